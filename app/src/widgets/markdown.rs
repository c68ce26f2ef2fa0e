//! The text widget's markdown, safe by construction: text is parsed into a small tree
//! that has no place for raw HTML, link targets pass an allow-list when they are
//! parsed ([`Href`] cannot be built otherwise), and the tree is rendered with `view!`,
//! which escapes all text. No `inner_html` anywhere.
//!
//! Bounded: input beyond [`MAX_CHARS`] is cut (with a note), at most [`MAX_BLOCKS`]
//! blocks are kept, inline nesting stops at [`MAX_DEPTH`] (deeper markers stay text),
//! and parsing is close to linear in the input: every closing marker is found from
//! tables built in one pass, never by scanning ahead from each opener.
//!
//! Read: `#` to `###` headings, paragraphs (a line break is soft; two trailing spaces
//! or a trailing `\` make it hard), `-`/`*`/`+` and `1.` lists (one level), fenced code
//! (```` ``` ```` or `~~~`), `---` rules, `> ` quotes; inline `**strong**`, `*em*`,
//! `_em_`, `` `code` ``, `[text](href)`, `<https://…>` and `{{value}}`, the widget's
//! bound value.

use leptos::prelude::*;

/// Input beyond this many characters is cut, with a note.
pub const MAX_CHARS: usize = 20_000;
/// Blocks (each list item counts as one) beyond this are left out, with a note.
pub const MAX_BLOCKS: usize = 500;
/// Inline markers nested deeper than this stay text.
pub const MAX_DEPTH: usize = 8;
/// The longest link target kept.
pub const MAX_HREF_CHARS: usize = 2048;

/// What `{{value}}` shows when the widget has no value.
const NO_VALUE: &str = "—";
/// Marks a hard line break in a block's inline text. Control characters are removed
/// from the input first, so it cannot come from the author.
const HARD_BREAK: char = '\u{0}';

/// A block of the text.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Level 1 to 3 (`####` and deeper are written as level 3).
    Heading {
        level: u8,
        content: Vec<Inline>,
    },
    Paragraph(Vec<Inline>),
    /// `start` is the first number of an ordered list; `None` for bullets.
    List {
        start: Option<u32>,
        items: Vec<Vec<Inline>>,
    },
    /// A fenced code block's text, as written.
    Code(String),
    Rule,
    Quote(Vec<Inline>),
    /// Said by the parser, not the author: the text was cut.
    Note(String),
}

/// A run of text inside a block.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Em(Vec<Inline>),
    Code(String),
    Link {
        href: Href,
        content: Vec<Inline>,
    },
    Break,
    /// `{{value}}`: where the widget's bound value goes.
    Value,
}

/// A link target that passed the allow-list: `http:`, `https:`, `mailto:`, or a path
/// on this site (`/…`, not `//…`). Only [`Href::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Href(String);

impl Href {
    /// The target, or `None` for anything else: `javascript:`, `data:`, `vbscript:`
    /// in any case, protocol-relative `//host`, backslashes, whitespace or control
    /// characters anywhere (browsers drop some of them, so they could hide a scheme),
    /// and targets over [`MAX_HREF_CHARS`].
    pub fn parse(raw: &str) -> Option<Href> {
        let href = raw.trim();
        if href.is_empty() || href.chars().count() > MAX_HREF_CHARS {
            return None;
        }
        let risky =
            |c: char| c.is_whitespace() || c.is_control() || matches!(c, '\\' | '"' | '<' | '>');
        if href.chars().any(risky) {
            return None;
        }
        let lower = href.to_ascii_lowercase();
        let allowed = ["http://", "https://", "mailto:"]
            .iter()
            .any(|scheme| lower.starts_with(scheme))
            || (href.starts_with('/') && !href.starts_with("//"));
        allowed.then(|| Href(href.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Not a path on this site: opened in a new tab, without an opener or referrer.
    pub fn is_external(&self) -> bool {
        !self.0.starts_with('/')
    }
}

// ---------------------------------------------------------------------------------
// Blocks
// ---------------------------------------------------------------------------------

/// The text as blocks; see the module documentation for what is read.
pub fn parse(text: &str) -> Vec<Block> {
    let (clean, cut) = bounded(text);
    let lines: Vec<&str> = clean.split('\n').collect();
    let mut blocks = Vec::new();
    let mut room = MAX_BLOCKS;
    let mut i = 0;
    while i < lines.len() {
        if room == 0 {
            blocks.push(Block::Note(format!(
                "The text has more than {MAX_BLOCKS} blocks: the rest is not shown."
            )));
            return blocks;
        }
        let (block, used, next) = match classify(lines[i]) {
            Line::Blank => {
                i += 1;
                continue;
            }
            Line::Fence(fence) => {
                let body = lines[i + 1..]
                    .iter()
                    .take_while(|l| !closes(l, fence))
                    .copied()
                    .collect::<Vec<_>>();
                let next = (i + 1 + body.len() + 1).min(lines.len());
                (Block::Code(body.join("\n")), 1, next)
            }
            Line::Heading(level, rest) => {
                let content = inlines(rest);
                (Block::Heading { level, content }, 1, i + 1)
            }
            Line::Rule => (Block::Rule, 1, i + 1),
            Line::Quote(_) => {
                let mut body = Vec::new();
                let mut j = i;
                while let Some(Line::Quote(rest)) = lines.get(j).map(|l| classify(l)) {
                    body.push(rest);
                    j += 1;
                }
                (Block::Quote(inlines(&join(&body))), 1, j)
            }
            Line::Item(first, _) => {
                let (items, next) = list(&lines, i, first.is_some(), room);
                let used = items.len();
                let items = items.iter().map(|lines| inlines(&join(lines))).collect();
                (
                    Block::List {
                        start: first,
                        items,
                    },
                    used,
                    next,
                )
            }
            Line::Text => {
                let mut j = i + 1;
                while j < lines.len() && continues_paragraph(classify(lines[j])) {
                    j += 1;
                }
                (Block::Paragraph(inlines(&join(&lines[i..j]))), 1, j)
            }
        };
        blocks.push(block);
        room = room.saturating_sub(used);
        i = next;
    }
    if cut {
        blocks.push(Block::Note(format!(
            "The text is longer than {MAX_CHARS} characters: the rest is not shown."
        )));
    }
    blocks
}

/// The first [`MAX_CHARS`] characters with line endings as `\n` and control
/// characters other than newline and tab removed; whether anything was cut.
fn bounded(text: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len().min(MAX_CHARS * 4));
    let mut chars = text.chars().peekable();
    let mut n = 0;
    while let Some(c) = chars.next() {
        if n == MAX_CHARS {
            return (out, true);
        }
        n += 1;
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    (out, false)
}

/// What a line starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line<'a> {
    Blank,
    /// A code fence: its character and length.
    Fence((char, usize)),
    Heading(u8, &'a str),
    Rule,
    Quote(&'a str),
    /// A list item: the number of an ordered one, and the item's text.
    Item(Option<u32>, &'a str),
    Text,
}

fn classify(line: &str) -> Line<'_> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let t = line.trim_start();
    if t.is_empty() {
        return Line::Blank;
    }
    if indent > 3 {
        return Line::Text;
    }
    for fence in ['`', '~'] {
        let n = t.chars().take_while(|c| *c == fence).count();
        if n >= 3 && !(fence == '`' && t[n..].contains('`')) {
            return Line::Fence((fence, n));
        }
    }
    let hashes = t.bytes().take_while(|b| *b == b'#').count();
    if (1..=6).contains(&hashes) && (t.len() == hashes || t[hashes..].starts_with([' ', '\t'])) {
        let rest = t[hashes..].trim();
        // A closing run of #s, when set off by a space, is not part of the title.
        let rest = match rest.trim_end_matches('#') {
            head if head.is_empty() || head.ends_with(' ') => head.trim_end(),
            _ => rest,
        };
        return Line::Heading(hashes.min(3) as u8, rest);
    }
    if is_rule(t) {
        return Line::Rule;
    }
    if let Some(rest) = t.strip_prefix('>') {
        return Line::Quote(rest.strip_prefix(' ').unwrap_or(rest));
    }
    if let Some(rest) = t.strip_prefix(['-', '*', '+']) {
        if rest.is_empty() || rest.starts_with([' ', '\t']) {
            return Line::Item(None, rest.trim_start());
        }
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &t[digits..];
        if let Some(rest) = rest.strip_prefix(['.', ')']) {
            if rest.is_empty() || rest.starts_with([' ', '\t']) {
                let n = t[..digits].parse().unwrap_or(1);
                return Line::Item(Some(n), rest.trim_start());
            }
        }
    }
    Line::Text
}

/// Plain text goes on; of the other blocks only an ordered list starting at 1 may
/// interrupt a paragraph (`2024. was a year` does not).
fn continues_paragraph(line: Line) -> bool {
    match line {
        Line::Text => true,
        Line::Item(Some(n), _) => n != 1,
        _ => false,
    }
}

/// `---`, `***` or `___`, three or more, spaces allowed between.
fn is_rule(t: &str) -> bool {
    let marks: Vec<char> = t.chars().filter(|c| !c.is_whitespace()).collect();
    marks.len() >= 3 && matches!(marks[0], '-' | '*' | '_') && marks.iter().all(|c| *c == marks[0])
}

fn closes(line: &str, (fence, n): (char, usize)) -> bool {
    let t = line.trim();
    t.chars().count() >= n && t.chars().all(|c| c == fence)
}

/// The items of the list starting at `lines[i]` (each its lines of text), at most
/// `room` of them, and the index of the line after the list. An item goes on over
/// lines of plain text; a blank line ends the list unless an item of the same kind
/// follows it.
fn list<'a>(
    lines: &[&'a str],
    mut i: usize,
    ordered: bool,
    room: usize,
) -> (Vec<Vec<&'a str>>, usize) {
    let mut items: Vec<Vec<&'a str>> = Vec::new();
    while i < lines.len() {
        match classify(lines[i]) {
            Line::Item(n, rest) if n.is_some() == ordered => {
                if items.len() == room {
                    break;
                }
                items.push(vec![rest]);
            }
            Line::Text => match items.last_mut() {
                Some(item) => item.push(lines[i]),
                None => break,
            },
            Line::Blank => {
                let next = lines[i + 1..].iter().find(|l| !l.trim().is_empty());
                match next.map(|l| classify(l)) {
                    Some(Line::Item(n, _)) if n.is_some() == ordered => {}
                    _ => break,
                }
            }
            _ => break,
        }
        i += 1;
    }
    (items, i)
}

/// A block's lines as one inline text: soft breaks as `\n`, hard ones (two trailing
/// spaces or a trailing `\`) as [`HARD_BREAK`].
fn join(lines: &[&str]) -> String {
    let mut out = String::new();
    for (k, line) in lines.iter().enumerate() {
        let line = line.trim_start();
        if k + 1 == lines.len() {
            out.push_str(line.trim_end());
        } else if line.ends_with("  ") {
            out.push_str(line.trim_end());
            out.push(HARD_BREAK);
        } else if let Some(head) = line.trim_end().strip_suffix('\\') {
            out.push_str(head);
            out.push(HARD_BREAK);
        } else {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

// ---------------------------------------------------------------------------------
// Inlines
// ---------------------------------------------------------------------------------

const NONE: usize = usize::MAX;
/// A code span's closing backticks are looked for among this many following runs.
const CODE_RUNS_AHEAD: usize = 64;
/// `{{value}}` with spaces inside the braces fits in this many characters.
const VALUE_CHARS: usize = 16;

/// The inline content of one block.
fn inlines(text: &str) -> Vec<Inline> {
    let scan = Scan::new(text);
    merge(scan.parse(0, scan.chars.len(), 0, false))
}

/// A block's characters with, for each position, where its markers close.
struct Scan {
    chars: Vec<char>,
    /// At the first backtick of a code span: the position after its closing run.
    code_end: Vec<usize>,
    in_code: Vec<bool>,
    /// Preceded by a backslash that escapes it.
    escaped: Vec<bool>,
    /// At a `[`: its matching `]`.
    bracket_close: Vec<usize>,
    /// The first `)` at or after each position.
    next_paren: Vec<usize>,
    /// The first `>` at or after each position.
    next_gt: Vec<usize>,
    /// Sorted positions that can close `**`, `*` and `_`.
    strong_closers: Vec<usize>,
    star_closers: Vec<usize>,
    under_closers: Vec<usize>,
}

impl Scan {
    fn new(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let n = chars.len();
        let at = |i: usize| chars.get(i).copied();
        let mut code_end = vec![NONE; n];
        let mut in_code = vec![false; n];
        let mut runs = Vec::new();
        let mut i = 0;
        while i < n {
            if chars[i] == '`' {
                let len = chars[i..].iter().take_while(|c| **c == '`').count();
                runs.push((i, len));
                i += len;
            } else {
                i += 1;
            }
        }
        let mut r = 0;
        while r < runs.len() {
            let (start, len) = runs[r];
            let opens = start == 0 || chars[start - 1] != '\\';
            let close = runs[r + 1..]
                .iter()
                .take(CODE_RUNS_AHEAD)
                .position(|(_, l)| *l == len);
            match close {
                Some(k) if opens => {
                    let end = runs[r + 1 + k].0 + len;
                    code_end[start] = end;
                    in_code[start..end].iter_mut().for_each(|b| *b = true);
                    r += k + 2;
                }
                _ => r += 1,
            }
        }
        let mut escaped = vec![false; n];
        for i in 0..n.saturating_sub(1) {
            if chars[i] == '\\' && !escaped[i] && !in_code[i] {
                escaped[i + 1] = true;
            }
        }
        let plain = |i: usize| !in_code[i] && !escaped[i];
        let mut bracket_close = vec![NONE; n];
        let mut open = Vec::new();
        for (i, c) in chars.iter().enumerate() {
            match c {
                '[' if plain(i) => open.push(i),
                ']' if plain(i) => {
                    if let Some(o) = open.pop() {
                        bracket_close[o] = i;
                    }
                }
                _ => {}
            }
        }
        let next_of = |target: char| {
            let mut next = vec![NONE; n + 1];
            for i in (0..n).rev() {
                next[i] = if chars[i] == target { i } else { next[i + 1] };
            }
            next
        };
        let next_paren = next_of(')');
        let next_gt = next_of('>');
        let ws = |c: Option<char>| c.is_none_or(char::is_whitespace);
        let closers = |is: &dyn Fn(usize) -> bool| -> Vec<usize> {
            (1..n).filter(|&i| plain(i) && is(i)).collect()
        };
        let strong_closers =
            closers(&|i| chars[i] == '*' && at(i + 1) == Some('*') && !ws(at(i - 1)));
        let star_closers = closers(&|i| {
            chars[i] == '*' && !ws(at(i - 1)) && at(i - 1) != Some('*') && at(i + 1) != Some('*')
        });
        let under_closers = closers(&|i| {
            chars[i] == '_'
                && !ws(at(i - 1))
                && at(i - 1) != Some('_')
                && !at(i + 1).is_some_and(|c| c.is_alphanumeric() || c == '_')
        });
        Scan {
            chars,
            code_end,
            in_code,
            escaped,
            bracket_close,
            next_paren,
            next_gt,
            strong_closers,
            star_closers,
            under_closers,
        }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    /// The first of `closers` in `from..end`.
    fn first(closers: &[usize], from: usize, end: usize) -> Option<usize> {
        let k = closers.partition_point(|&p| p < from);
        closers.get(k).copied().filter(|&p| p < end)
    }

    /// The inlines of `chars[start..end]`, `depth` markers deep; inside a link's text
    /// no other link opens.
    fn parse(&self, start: usize, end: usize, depth: usize, in_link: bool) -> Vec<Inline> {
        let mut out = Vec::new();
        let mut text = String::new();
        let flush = |text: &mut String, out: &mut Vec<Inline>| {
            if !text.is_empty() {
                out.push(Inline::Text(std::mem::take(text)));
            }
        };
        let nest = depth < MAX_DEPTH;
        let mut i = start;
        while i < end {
            let c = self.chars[i];
            let code_end = self.code_end[i];
            if code_end != NONE && code_end <= end {
                flush(&mut text, &mut out);
                out.push(Inline::Code(self.code(i, code_end)));
                i = code_end;
                continue;
            }
            let plain = !self.escaped[i] && !self.in_code[i];
            let found = match c {
                HARD_BREAK => Some((vec![Inline::Break], i + 1)),
                '\\' if self.at(i + 1).is_some_and(|n| n.is_ascii_punctuation()) && i + 1 < end => {
                    text.push(self.chars[i + 1]);
                    i += 2;
                    continue;
                }
                '*' | '_' if plain && nest => self.emphasis(i, end, depth, in_link),
                '[' if plain && nest && !in_link => self.link(i, end, depth),
                '<' if plain && !in_link => self.autolink(i, end),
                '{' if plain => self.value(i, end),
                _ => None,
            };
            match found {
                Some((items, next)) => {
                    flush(&mut text, &mut out);
                    out.extend(items);
                    i = next;
                }
                None => {
                    text.push(c);
                    i += 1;
                }
            }
        }
        flush(&mut text, &mut out);
        out
    }

    /// A code span's text: line breaks as spaces, and one space stripped from each
    /// end when both ends have one (so `` `` ` `` `` can show a backtick).
    fn code(&self, start: usize, end: usize) -> String {
        let len = self.chars[start..]
            .iter()
            .take_while(|c| **c == '`')
            .count();
        let inner: String = self.chars[start + len..end - len]
            .iter()
            .map(|&c| if c == '\n' || c == HARD_BREAK { ' ' } else { c })
            .collect();
        match inner.strip_prefix(' ').and_then(|s| s.strip_suffix(' ')) {
            Some(s) if !s.trim().is_empty() => s.to_string(),
            _ => inner,
        }
    }

    fn emphasis(
        &self,
        i: usize,
        end: usize,
        depth: usize,
        in_link: bool,
    ) -> Option<(Vec<Inline>, usize)> {
        let starts_word = |k: usize| self.at(k).is_some_and(|c| !c.is_whitespace()) && k < end;
        if self.chars[i] == '*' && self.at(i + 1) == Some('*') {
            if !starts_word(i + 2) || self.at(i + 2) == Some('*') {
                return None;
            }
            let close = Self::first(&self.strong_closers, i + 3, end.saturating_sub(1))?;
            let inner = self.parse(i + 2, close, depth + 1, in_link);
            return Some((vec![Inline::Strong(inner)], close + 2));
        }
        let c = self.chars[i];
        if !starts_word(i + 1) || self.at(i + 1) == Some(c) {
            return None;
        }
        let closers = if c == '*' {
            &self.star_closers
        } else {
            // An underscore inside a word (snake_case) opens nothing.
            if i > 0 && self.chars[i - 1].is_alphanumeric() {
                return None;
            }
            &self.under_closers
        };
        let close = Self::first(closers, i + 2, end)?;
        let inner = self.parse(i + 1, close, depth + 1, in_link);
        Some((vec![Inline::Em(inner)], close + 1))
    }

    /// `[text](href)`. A target off the allow-list leaves the text, as plain text.
    fn link(&self, i: usize, end: usize, depth: usize) -> Option<(Vec<Inline>, usize)> {
        let close = self.bracket_close[i];
        if close == NONE || close + 1 >= end || self.chars[close + 1] != '(' {
            return None;
        }
        let paren = self.next_paren[close + 2];
        if paren == NONE || paren >= end {
            return None;
        }
        let raw: String = self.chars[close + 2..paren].iter().collect();
        if raw.trim().chars().any(char::is_whitespace) {
            return None;
        }
        let content = self.parse(i + 1, close, depth + 1, true);
        let items = match Href::parse(&raw) {
            Some(href) => vec![Inline::Link { href, content }],
            None => content,
        };
        Some((items, paren + 1))
    }

    /// `<https://…>` or `<mailto:…>`; anything else between `<` and `>` is text.
    fn autolink(&self, i: usize, end: usize) -> Option<(Vec<Inline>, usize)> {
        let gt = *self.next_gt.get(i + 1)?;
        if gt == NONE || gt >= end {
            return None;
        }
        let raw: String = self.chars[i + 1..gt].iter().collect();
        let href = Href::parse(&raw).filter(|h| h.is_external() && h.as_str() == raw)?;
        let content = vec![Inline::Text(raw)];
        Some((vec![Inline::Link { href, content }], gt + 1))
    }

    /// `{{value}}`, with optional spaces inside the braces.
    fn value(&self, i: usize, end: usize) -> Option<(Vec<Inline>, usize)> {
        if i + 2 > end || self.at(i + 1) != Some('{') {
            return None;
        }
        let window = &self.chars[i + 2..end.min(i + 2 + VALUE_CHARS)];
        let k = window.windows(2).position(|w| w == ['}', '}'])?;
        let inner: String = window[..k].iter().collect();
        (inner.trim() == "value").then(|| (vec![Inline::Value], i + 2 + k + 2))
    }
}

/// Neighbouring text runs joined (a link label left as text can leave them apart).
fn merge(items: Vec<Inline>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(items.len());
    for item in items {
        let item = match item {
            Inline::Strong(c) => Inline::Strong(merge(c)),
            Inline::Em(c) => Inline::Em(merge(c)),
            Inline::Link { href, content } => Inline::Link {
                href,
                content: merge(content),
            },
            other => other,
        };
        match (out.last_mut(), item) {
            (Some(Inline::Text(a)), Inline::Text(b)) => a.push_str(&b),
            (_, item) => out.push(item),
        }
    }
    out
}

// ---------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------

/// The blocks as elements, `{{value}}` showing `value` (`—` when there is none). All
/// text goes through `view!`, which escapes it; the same on the server and in the
/// browser.
pub fn render(blocks: &[Block], value: Option<String>) -> AnyView {
    let value = value.unwrap_or_else(|| NO_VALUE.to_string());
    blocks
        .iter()
        .map(|b| render_block(b, &value))
        .collect_view()
        .into_any()
}

fn render_block(block: &Block, value: &str) -> AnyView {
    match block {
        Block::Heading { level: 1, content } => {
            view! { <h1>{render_inlines(content, value)}</h1> }.into_any()
        }
        Block::Heading { level: 2, content } => {
            view! { <h2>{render_inlines(content, value)}</h2> }.into_any()
        }
        Block::Heading { content, .. } => {
            view! { <h3>{render_inlines(content, value)}</h3> }.into_any()
        }
        Block::Paragraph(content) => view! { <p>{render_inlines(content, value)}</p> }.into_any(),
        Block::List { start, items } => {
            let items = items
                .iter()
                .map(|item| view! { <li>{render_inlines(item, value)}</li> })
                .collect_view();
            match start {
                Some(n) => view! { <ol start=n.to_string()>{items}</ol> }.into_any(),
                None => view! { <ul>{items}</ul> }.into_any(),
            }
        }
        Block::Code(text) => view! { <pre><code>{text.clone()}</code></pre> }.into_any(),
        Block::Rule => view! { <hr /> }.into_any(),
        Block::Quote(content) => {
            view! { <blockquote><p>{render_inlines(content, value)}</p></blockquote> }.into_any()
        }
        Block::Note(text) => view! { <p class="md-note">{text.clone()}</p> }.into_any(),
    }
}

fn render_inlines(items: &[Inline], value: &str) -> AnyView {
    items
        .iter()
        .map(|item| render_inline(item, value))
        .collect_view()
        .into_any()
}

fn render_inline(item: &Inline, value: &str) -> AnyView {
    match item {
        Inline::Text(text) => text.clone().into_any(),
        Inline::Strong(c) => view! { <strong>{render_inlines(c, value)}</strong> }.into_any(),
        Inline::Em(c) => view! { <em>{render_inlines(c, value)}</em> }.into_any(),
        Inline::Code(text) => view! { <code>{text.clone()}</code> }.into_any(),
        Inline::Link { href, content } => {
            let external = href.is_external();
            view! {
                <a
                    href=href.as_str().to_string()
                    target=external.then_some("_blank")
                    rel=external.then_some("noopener noreferrer")
                >
                    {render_inlines(content, value)}
                </a>
            }
            .into_any()
        }
        Inline::Break => view! { <br /> }.into_any(),
        Inline::Value => view! { <span class="md-value">{value.to_string()}</span> }.into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.to_string())
    }

    fn para(s: &str) -> Vec<Inline> {
        match parse(s).as_slice() {
            [Block::Paragraph(c)] => c.clone(),
            other => panic!("{s:?} is not one paragraph: {other:?}"),
        }
    }

    fn link(href: &str, label: &str) -> Inline {
        Inline::Link {
            href: Href::parse(href).unwrap(),
            content: vec![text(label)],
        }
    }

    /// Every link target in the tree, and the tree's inline depth.
    fn walk(items: &[Inline], depth: usize, hrefs: &mut Vec<String>) -> usize {
        items
            .iter()
            .map(|i| match i {
                Inline::Strong(c) | Inline::Em(c) => walk(c, depth + 1, hrefs),
                Inline::Link { href, content } => {
                    hrefs.push(href.as_str().to_string());
                    walk(content, depth + 1, hrefs)
                }
                _ => depth,
            })
            .max()
            .unwrap_or(depth)
    }

    fn contents(blocks: &[Block]) -> Vec<&[Inline]> {
        blocks
            .iter()
            .flat_map(|b| match b {
                Block::Heading { content, .. }
                | Block::Paragraph(content)
                | Block::Quote(content) => {
                    vec![content.as_slice()]
                }
                Block::List { items, .. } => items.iter().map(Vec::as_slice).collect(),
                _ => vec![],
            })
            .collect()
    }

    #[test]
    fn blocks_are_read() {
        let doc = "# Title\n\nSome *text*\nover two lines.\n\n- one\n- two\n\n3. three\n4. four\n\n```\n<b>code</b>\n```\n---\n> quoted\n> more\n### Small ###";
        let blocks = parse(doc);
        assert_eq!(
            blocks,
            [
                Block::Heading {
                    level: 1,
                    content: vec![text("Title")]
                },
                Block::Paragraph(vec![
                    text("Some "),
                    Inline::Em(vec![text("text")]),
                    text("\nover two lines."),
                ]),
                Block::List {
                    start: None,
                    items: vec![vec![text("one")], vec![text("two")]]
                },
                Block::List {
                    start: Some(3),
                    items: vec![vec![text("three")], vec![text("four")]]
                },
                Block::Code("<b>code</b>".to_string()),
                Block::Rule,
                Block::Quote(vec![text("quoted\nmore")]),
                Block::Heading {
                    level: 3,
                    content: vec![text("Small")]
                },
            ]
        );
    }

    #[test]
    fn hard_breaks_come_from_two_spaces_or_a_backslash() {
        assert_eq!(
            para("a  \nb\\\nc"),
            [
                text("a"),
                Inline::Break,
                text("b"),
                Inline::Break,
                text("c")
            ]
        );
    }

    #[test]
    fn list_items_continue_over_lines_and_across_blank_lines() {
        let blocks = parse("- a\n  more\n\n- b\n\nafter");
        assert_eq!(
            blocks,
            [
                Block::List {
                    start: None,
                    items: vec![vec![text("a\nmore")], vec![text("b")]]
                },
                Block::Paragraph(vec![text("after")]),
            ]
        );
    }

    #[test]
    fn inline_markers_nest() {
        assert_eq!(
            para("**bold *and em* here** and _under_ and `co*de*` {{ value }}!"),
            [
                Inline::Strong(vec![
                    text("bold "),
                    Inline::Em(vec![text("and em")]),
                    text(" here")
                ]),
                text(" and "),
                Inline::Em(vec![text("under")]),
                text(" and "),
                Inline::Code("co*de*".to_string()),
                text(" "),
                Inline::Value,
                text("!"),
            ]
        );
        assert_eq!(
            para("snake_case_name and 2*3*4"),
            [
                text("snake_case_name and 2"),
                Inline::Em(vec![text("3")]),
                text("4")
            ]
        );
        assert_eq!(
            para(r"\*not em\* and \`not code\`"),
            [text("*not em* and `not code`")]
        );
        assert_eq!(para("``a ` b``"), [Inline::Code("a ` b".to_string())]);
        assert_eq!(para("a * not em*"), [text("a * not em*")]);
    }

    #[test]
    fn links_and_autolinks_on_the_allow_list_become_links() {
        assert_eq!(
            para("[Docs](https://example.com/a_b) and [home](/dash/1) <mailto:ops@example.com>"),
            [
                link("https://example.com/a_b", "Docs"),
                text(" and "),
                link("/dash/1", "home"),
                text(" "),
                link("mailto:ops@example.com", "mailto:ops@example.com"),
            ]
        );
        assert!(Href::parse("https://x").unwrap().is_external());
        assert!(!Href::parse("/x").unwrap().is_external());
        assert_eq!(
            para("[a [b](/x)](/y)"),
            [link("/y", "a [b](/x)")],
            "no link in a link"
        );
    }

    #[test]
    fn scripts_and_other_schemes_are_inert_text() {
        for target in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "\u{1}javascript:alert(1)",
            "java\tscript:alert(1)",
            "&#106;avascript:alert(1)",
            "&#x6A;avascript:alert(1)",
            "javascript&colon;alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox(1)",
            "//evil.example",
            "/\\evil.example",
            "file:///etc/passwd",
            "#x",
        ] {
            assert_eq!(Href::parse(target), None, "{target:?}");
            let doc = format!("[click]({target})");
            let mut hrefs = Vec::new();
            for c in contents(&parse(&doc)) {
                walk(c, 0, &mut hrefs);
            }
            assert!(hrefs.is_empty(), "{target:?} made a link: {hrefs:?}");
        }
        assert_eq!(para("[click](javascript:alert(1))"), [text("click)")]);
        assert_eq!(
            para("<javascript:alert(1)>"),
            [text("<javascript:alert(1)>")]
        );
    }

    #[test]
    fn raw_html_stays_text() {
        let doc = "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n**<b onclick=\"x\">hi</b>**";
        assert_eq!(
            parse(doc),
            [
                Block::Paragraph(vec![text("<script>alert(1)</script>")]),
                Block::Paragraph(vec![text("<img src=x onerror=alert(1)>")]),
                Block::Paragraph(vec![Inline::Strong(vec![text("<b onclick=\"x\">hi</b>")])]),
            ]
        );
    }

    #[test]
    fn control_characters_and_line_endings_are_cleaned() {
        assert_eq!(para("a\u{0}b\u{1b}c\r\nd\re"), [text("abc\nd\ne")]);
    }

    #[test]
    fn huge_input_is_cut_with_a_note() {
        let blocks = parse(&"word ".repeat(1_000_000));
        assert_eq!(blocks.len(), 2);
        let Block::Paragraph(c) = &blocks[0] else {
            panic!("{:?}", blocks[0]);
        };
        assert_eq!(c, &[text("word ".repeat(4000).trim_end())]);
        assert!(matches!(&blocks[1], Block::Note(n) if n.contains("20000")));
    }

    #[test]
    fn too_many_blocks_end_with_a_note() {
        let blocks = parse(&"p\n\n".repeat(600));
        assert_eq!(blocks.len(), MAX_BLOCKS + 1);
        assert!(matches!(blocks.last(), Some(Block::Note(n)) if n.contains("500")));
        let items = parse(&"- i\n".repeat(600));
        let Block::List { items: kept, .. } = &items[0] else {
            panic!("{:?}", items[0]);
        };
        assert_eq!(kept.len(), MAX_BLOCKS);
    }

    #[test]
    fn deep_and_pathological_nesting_is_bounded() {
        let nested = format!("{}x{}", "[".repeat(5000), "](/a)".repeat(5000));
        let stars = "*_".repeat(5000) + "x" + &"_*".repeat(5000);
        let strong = format!("{}x{}", "**a ".repeat(3000), " b**".repeat(3000));
        let openers = "*a ".repeat(6000);
        let brackets = "[".repeat(19_000);
        let ticks = "`".repeat(9000) + "x" + &"` ".repeat(9000);
        let mixed = "*_**[`<{".repeat(2500);
        for doc in [nested, stars, strong, openers, brackets, ticks, mixed] {
            let blocks = parse(&doc);
            for c in contents(&blocks) {
                assert!(walk(c, 0, &mut Vec::new()) <= MAX_DEPTH);
            }
        }
    }

    #[test]
    fn the_depth_limit_leaves_deeper_markers_as_text() {
        let scan = Scan::new("*a*");
        assert_eq!(scan.parse(0, 3, MAX_DEPTH, false), [text("*a*")]);
        assert_eq!(
            scan.parse(0, 3, MAX_DEPTH - 1, false),
            [Inline::Em(vec![text("a")])]
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn rendered_html_escapes_text_and_marks_external_links() {
        let html = render(
            &parse("<script>alert(1)</script> **hi** [x](https://e.com) [y](/p) {{value}}"),
            Some("<b>5</b>".to_string()),
        )
        .to_html()
        // Leptos marks where lists of views end; they are not part of the markup.
        .replace("<!>", "");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("<strong>hi</strong>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://e.com" target="_blank" rel="noopener noreferrer">x</a>"#
            ),
            "{html}"
        );
        assert!(html.contains(r#"<a href="/p">y</a>"#), "{html}");
        assert!(html.contains("&lt;b&gt;5&lt;/b&gt;"), "{html}");
    }
}
