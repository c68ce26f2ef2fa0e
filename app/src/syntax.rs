//! The one checked entry for every language a user writes: JSONPath (a dataset's path,
//! a pagination link, a pipeline step), jq filters, expressions, cell ranges and SQL.
//!
//! Each language's text goes through [`Bounds::check`] before its parser sees it: at
//! most `max_chars` characters, and brackets nested at most `max_nesting` deep
//! (brackets inside string literals do not count). The parsers are recursive descent:
//! the nesting bound is what keeps a hostile text from overflowing the stack of the
//! thread that parses it, and the length bound keeps the parse cheap. Languages parsed
//! by our own code (expressions) count their depth while parsing as well.

use serde_json_path::JsonPath;

/// How a language writes string literals, so brackets inside them are not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strings {
    /// `"…"` with `\` escapes and `\(…)` interpolation, `#` comments (jq).
    Jq,
    /// `'…'` or `"…"` with `\` escapes (JSONPath).
    Quoted,
}

/// The length and nesting a language accepts.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// What the text is, as error messages name it ("jq filter", "JSONPath").
    pub what: &'static str,
    pub max_chars: usize,
    pub max_nesting: usize,
    pub strings: Strings,
}

/// JSONPath queries: a dataset's path, a pagination link, a `json_path` step.
pub const JSON_PATH: Bounds = Bounds {
    what: "JSONPath",
    max_chars: 4_000,
    max_nesting: 64,
    strings: Strings::Quoted,
};

/// jq filters.
pub const JQ: Bounds = Bounds {
    what: "jq filter",
    max_chars: 4_000,
    max_nesting: 64,
    strings: Strings::Jq,
};

impl Bounds {
    /// Refuses text that is too long or nested too deeply, saying where.
    pub fn check(&self, text: &str) -> Result<(), String> {
        let Bounds {
            what,
            max_chars,
            max_nesting,
            strings,
        } = *self;
        // Counting stops at the first character past the bound: a huge text costs no
        // more than a long one.
        let len = text.chars().take(max_chars + 1).count();
        if len > max_chars {
            return Err(format!(
                "{what}: longer than {max_chars} characters ({} bytes); shorten it",
                text.len()
            ));
        }
        // What each open bracket is: a bracket, or an interpolation inside a string.
        let mut stack: Vec<bool> = Vec::new();
        let mut in_string: Option<char> = None;
        let jq = strings == Strings::Jq;
        let mut chars = text.chars().enumerate();
        while let Some((i, c)) = chars.next() {
            if let Some(q) = in_string {
                match c {
                    '\\' => {
                        if let Some((_, '(')) = chars.next().filter(|_| jq) {
                            stack.push(true);
                            in_string = None;
                        }
                    }
                    c if c == q => in_string = None,
                    _ => {}
                }
            } else {
                match c {
                    '"' => in_string = Some(c),
                    '\'' if !jq => in_string = Some(c),
                    '(' | '[' | '{' => stack.push(false),
                    // Closing an interpolation goes back into its string.
                    ')' | ']' | '}' => in_string = stack.pop().filter(|&i| i).map(|_| '"'),
                    '#' if jq => {
                        // A jq comment runs to the end of the line.
                        for (_, c) in chars.by_ref() {
                            if c == '\n' {
                                break;
                            }
                        }
                    }
                    _ => {}
                }
            }
            if stack.len() > max_nesting {
                return Err(format!(
                    "{what}, character {i}: nested more than {max_nesting} brackets deep"
                ));
            }
        }
        Ok(())
    }
}

/// Parses a JSONPath (RFC 9535) query within [`JSON_PATH`]'s bounds, or says what is
/// wrong and at which character. In the browser, a query using `match()` or
/// `search()` says it runs on the server (see [`check_json_path`]).
pub fn json_path(text: &str) -> Result<JsonPath, String> {
    JSON_PATH.check(text)?;
    json_path_shape(text)?;
    #[cfg(target_arch = "wasm32")]
    if uses_regex_functions(text) {
        return Err(REGEX_ON_SERVER.to_string());
    }
    parse_json_path(text)
}

/// Checks a JSONPath query as [`json_path`] does, for validating what a user wrote.
/// The browser bundle leaves out regular expressions (JSONPath's `match()` and
/// `search()`, about 150 KB compressed): there a query using them is checked for its
/// bounds and brackets only, and the server parses it whole when it is saved or run.
pub fn check_json_path(text: &str) -> Result<(), String> {
    #[cfg(target_arch = "wasm32")]
    {
        JSON_PATH.check(text)?;
        if uses_regex_functions(text) {
            return json_path_shape(text);
        }
    }
    json_path(text).map(|_| ())
}

/// What a JSONPath step using regular expressions says when run in the browser.
#[cfg(target_arch = "wasm32")]
const REGEX_ON_SERVER: &str =
    "JSONPath match() and search() run on the server: press Test to preview them";

/// Whether `text` calls `match(` or `search(` outside its string literals.
pub fn uses_regex_functions(text: &str) -> bool {
    let mut in_string: Option<char> = None;
    let mut escaped = false;
    let mut word = String::new();
    for c in text.chars() {
        if let Some(quote) = in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == quote {
                in_string = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                in_string = Some(c);
                word.clear();
            }
            '(' if word == "match" || word == "search" => return true,
            c if c.is_ascii_alphanumeric() || c == '_' => word.push(c),
            c if c.is_whitespace() && !word.is_empty() => {}
            _ => word.clear(),
        }
    }
    false
}

fn parse_json_path(text: &str) -> Result<JsonPath, String> {
    JsonPath::parse(text).map_err(|e| {
        format!(
            "JSONPath, character {}: {}",
            char_offset(text, e.position()),
            e.message()
        )
    })
}

/// Most filter selectors (`[?…]`) one JSONPath may nest inside each other.
pub const MAX_FILTER_NESTING: usize = 8;

/// Refuses JSONPaths whose brackets do not balance, or whose filters nest deeper than
/// [`MAX_FILTER_NESTING`], before the parser sees them: the parser backtracks at each
/// open filter, so its time grows exponentially with unclosed or deeply nested filters
/// (a 553-character path found by fuzzing took over 10 s).
fn json_path_shape(text: &str) -> Result<(), String> {
    // Each open bracket, whether it opened a filter, and where it is.
    let mut open: Vec<(char, bool, usize)> = Vec::new();
    let mut in_string: Option<char> = None;
    let mut chars = text.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        if let Some(q) = in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                c if c == q => in_string = None,
                _ => {}
            }
            continue;
        }
        match c {
            '"' | '\'' => in_string = Some(c),
            '(' => open.push(('(', false, i)),
            '[' => {
                while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                    chars.next();
                }
                let filter = chars.peek().is_some_and(|(_, c)| *c == '?');
                open.push(('[', filter, i));
                if open.iter().filter(|(_, f, _)| *f).count() > MAX_FILTER_NESTING {
                    return Err(format!(
                        "JSONPath, character {i}: filters nested more than {MAX_FILTER_NESTING} deep"
                    ));
                }
            }
            ')' | ']' => {
                let wanted = if c == ')' { '(' } else { '[' };
                match open.pop() {
                    Some((o, _, _)) if o == wanted => {}
                    _ => return Err(format!("JSONPath, character {i}: '{c}' closes nothing")),
                }
            }
            _ => {}
        }
    }
    if let Some(q) = in_string {
        return Err(format!(
            "JSONPath: a string opened with {q} is never closed"
        ));
    }
    match open.last() {
        Some((o, _, at)) => Err(format!(
            "JSONPath, character {at}: this '{o}' is never closed"
        )),
        None => Ok(()),
    }
}

/// The character index of byte offset `byte` in `text`.
pub fn char_offset(text: &str, byte: usize) -> usize {
    text.get(..byte.min(text.len()))
        .map_or(byte, |s| s.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request that overflowed the stack: `$[?` + 100,000 `(` + `@` + 100,000 `)` + `]`.
    fn deep_filter(depth: usize) -> String {
        format!("$[?{}@{}]", "(".repeat(depth), ")".repeat(depth))
    }

    #[test]
    fn a_deeply_nested_json_path_is_refused_before_it_is_parsed() {
        let err = json_path(&deep_filter(100_000)).unwrap_err();
        assert!(err.starts_with("JSONPath: longer than 4000"), "{err}");
        let err = json_path(&deep_filter(1_000)).unwrap_err();
        assert_eq!(
            err,
            "JSONPath, character 66: nested more than 64 brackets deep"
        );
        assert!(json_path(&deep_filter(30)).is_ok());
    }

    #[test]
    fn unclosed_or_deeply_nested_filters_are_refused_before_parsing() {
        // The shape of the path fuzzing found to take over 10 s in the parser.
        let unclosed = "$.store.book[?@.price < 10 && match(@.re[?@.x".repeat(12);
        let err = json_path(&unclosed).unwrap_err();
        assert!(
            err.contains("filters nested more than 8 deep") || err.contains("never closed"),
            "{err}"
        );
        assert_eq!(
            json_path("$.a[?@.b").unwrap_err(),
            "JSONPath, character 3: this '[' is never closed"
        );
        assert_eq!(
            json_path("$.a]").unwrap_err(),
            "JSONPath, character 3: ']' closes nothing"
        );
        let nine = format!("$.a{}{}", "[?@.b".repeat(9), "]".repeat(9));
        assert!(json_path(&nine)
            .unwrap_err()
            .contains("filters nested more than 8 deep"));
        // Brackets inside strings do not count, and ordinary paths still parse.
        assert!(json_path("$.a[?@.name == 'x[y(']").is_ok());
        assert!(json_path("$.store.book[?@.price < 10 && match(@.title, 'a.*')].title").is_ok());
        let eight = format!("$.a{}{}", "[?@.b".repeat(8), "]".repeat(8));
        assert!(
            json_path(&eight).is_ok(),
            "eight nested filters are a valid path"
        );
    }

    #[test]
    fn a_huge_json_path_is_refused_without_reading_all_of_it() {
        let huge = format!("$.{}", "a".repeat(50 << 20));
        let err = json_path(&huge).unwrap_err();
        assert!(err.contains("longer than 4000 characters"), "{err}");
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let quoted = format!("$['{}']", "(".repeat(500));
        assert!(json_path(&quoted).is_ok());
        let jq = format!("\"{}\"", "[".repeat(500));
        assert!(JQ.check(&jq).is_ok());
        let comment = format!("1 # {}\n", "{".repeat(500));
        assert!(JQ.check(&comment).is_ok());
    }

    #[test]
    fn jq_interpolations_nest_like_brackets() {
        let mut deep = String::new();
        for _ in 0..70 {
            deep.push_str("\"\\(");
        }
        let err = JQ.check(&deep).unwrap_err();
        assert!(err.contains("nested more than 64"), "{err}");
    }

    #[test]
    fn calls_of_match_and_search_are_found_outside_strings_only() {
        assert!(uses_regex_functions("$[?match(@.a, 'x.*')]"));
        assert!(uses_regex_functions("$[?@.b && search (@.a, 'x')]"));
        assert!(!uses_regex_functions("$[?@.a == 'match(x)']"));
        assert!(!uses_regex_functions("$[?@.a == \"it's search(\\\" \"]"));
        assert!(!uses_regex_functions("$.rematch(1)"));
        assert!(!uses_regex_functions("$[?length(@.match) > 1]"));
        // Natively, such a query is parsed whole, like any other.
        assert!(check_json_path("$[?match(@.a, 'x.*')]").is_ok());
        assert!(check_json_path("$[?match(@.a, 'x.*']").is_err());
    }

    #[test]
    fn a_json_path_error_says_at_which_character() {
        let err = json_path("$.a[").unwrap_err();
        assert!(err.starts_with("JSONPath, character "), "{err}");
    }
}
