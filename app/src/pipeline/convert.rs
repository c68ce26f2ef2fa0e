//! The `convert` step: turns a field into a number, integer, boolean, text, date or
//! timestamp (dates are read in `dates`), cleaning
//! what spreadsheets and APIs put around values — spaces, thousands separators,
//! currency signs and codes, percent signs, decimal commas, accounting negatives
//! `(1,234)`, the Unicode minus. A cell that still cannot be read becomes null and is
//! counted in the step's report; it never stops the run.

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

/// What a field is converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Number,
    Integer,
    Boolean,
    Text,
    /// `YYYY-MM-DD` (see `dates` for what is read).
    Date,
    /// UTC RFC 3339, `2024-03-01T12:00:00Z`.
    Timestamp,
}

/// Which character separates decimals in text numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decimal {
    /// `1,234.5` (and `1.234,5` when both separators appear, the last one decides).
    #[default]
    Auto,
    /// `1,234.5`
    Point,
    /// `1.234,5`
    Comma,
}

/// `value` as `target`, or why not. Dates are read with the default `DateOptions`.
pub fn convert(value: &Value, target: Target, decimal: Decimal) -> Result<Value, String> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    match target {
        Target::Date | Target::Timestamp => {
            super::dates::to_iso(value, target == Target::Date, &Default::default())
        }
        Target::Text => Ok(match value {
            Value::String(s) => Value::String(s.trim().to_string()),
            other => Value::String(other.to_string()),
        }),
        Target::Boolean => match value {
            Value::Bool(_) => Ok(value.clone()),
            Value::Number(n) if n.as_f64() == Some(1.0) => Ok(Value::Bool(true)),
            Value::Number(n) if n.as_f64() == Some(0.0) => Ok(Value::Bool(false)),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "on" | "1" => Ok(Value::Bool(true)),
                "false" | "no" | "n" | "off" | "0" => Ok(Value::Bool(false)),
                "" => Ok(Value::Null),
                _ => Err(format!("{value} is not true or false")),
            },
            _ => Err(format!("{value} is not true or false")),
        },
        Target::Number | Target::Integer => {
            let n = match value {
                Value::Number(n) => n.as_f64().ok_or_else(|| format!("{value} is too large"))?,
                Value::String(s) if s.trim().is_empty() => return Ok(Value::Null),
                Value::String(s) => {
                    parse_number(s, decimal).ok_or_else(|| format!("{value} is not a number"))?
                }
                Value::Bool(_) | Value::Array(_) | Value::Object(_) => {
                    return Err(format!("{value} is not a number"))
                }
                Value::Null => return Ok(Value::Null),
            };
            if target == Target::Integer {
                if n.fract() != 0.0 || n.abs() > 9_007_199_254_740_992.0 {
                    return Err(format!("{value} is not a whole number"));
                }
                return Ok(Value::from(n as i64));
            }
            Number::from_f64(n)
                .map(Value::Number)
                .ok_or_else(|| format!("{value} is not a finite number"))
        }
    }
}

/// Reads a number written for people: `" $1,234.50 "`, `"1.234,5 €"`, `"(12)"`,
/// `"12.5 %"`, `"−3"`, `"1 000"`, `"1'000"`, `"USD 7"`, `"2.5e3"`.
pub fn parse_number(text: &str, decimal: Decimal) -> Option<f64> {
    let mut s: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, '\u{a0}' | '\u{202f}' | '\u{2009}'))
        .collect();
    let mut negative = false;
    if s.starts_with('(') && s.ends_with(')') {
        negative = true;
        s = s[1..s.len() - 1].to_string();
    }
    s = s.replace('\u{2212}', "-");
    // Percent, currency symbols and three-letter codes around the number.
    let s = s.trim_end_matches('%').trim();
    let s = s.trim_matches(|c: char| "$€£¥₹₽₩₺₪฿".contains(c)).trim();
    let s = strip_code(s);
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest.trim()),
        None => (1.0, s.strip_prefix('+').unwrap_or(s).trim()),
    };
    // A currency sign may also sit after the minus: "-$5".
    let digits = digits.trim_start_matches(|c: char| "$€£¥₹₽₩₺₪฿".contains(c));
    let normalized = normalize(digits, decimal)?;
    let n: f64 = normalized.parse().ok()?;
    if !n.is_finite() {
        return None;
    }
    Some(if negative { -n * sign } else { n * sign })
}

/// Drops an ISO currency code (three capital letters) before or after the number.
fn strip_code(s: &str) -> &str {
    let code = |t: &str| t.len() == 3 && t.chars().all(|c| c.is_ascii_uppercase());
    if let Some((head, rest)) = s.split_once(' ') {
        if code(head) {
            return rest.trim();
        }
    }
    if let Some((rest, tail)) = s.rsplit_once(' ') {
        if code(tail) {
            return rest.trim();
        }
    }
    s
}

/// The digits with thousands separators removed and a `.` decimal point, or `None` if
/// the text is not a number.
fn normalize(digits: &str, decimal: Decimal) -> Option<String> {
    if digits.is_empty() {
        return None;
    }
    // Exponents are only read in plain numbers.
    if digits.contains(['e', 'E']) {
        return digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
            .then(|| digits.to_string());
    }
    if !digits
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '\'' | '_'))
    {
        return None;
    }
    let point = match decimal {
        Decimal::Point => Some('.'),
        Decimal::Comma => Some(','),
        Decimal::Auto => {
            let (last_dot, last_comma) = (digits.rfind('.'), digits.rfind(','));
            match (last_dot, last_comma) {
                (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
                (Some(_), None) => {
                    // "1.234.567" is grouping; "1.5" is a decimal.
                    (digits.matches('.').count() == 1).then_some('.')
                }
                (None, Some(_)) => {
                    // "1,234" and "12,345,678" are grouping; "3,5" is a decimal.
                    let grouped = digits.matches(',').count() > 1 || {
                        let after = &digits[digits.rfind(',')? + 1..];
                        after.len() == 3
                    };
                    (!grouped).then_some(',')
                }
                (None, None) => None,
            }
        }
    };
    let mut out = String::with_capacity(digits.len());
    let mut seen_point = false;
    for c in digits.chars() {
        if Some(c) == point {
            if seen_point {
                return None;
            }
            seen_point = true;
            out.push('.');
        } else if c.is_ascii_digit() {
            out.push(c);
        }
        // Any other separator groups thousands.
    }
    (!out.is_empty() && out != ".").then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn num(s: &str) -> Option<f64> {
        parse_number(s, Decimal::Auto)
    }

    #[test]
    fn numbers_written_for_people_are_read() {
        assert_eq!(num(" 42 "), Some(42.0));
        assert_eq!(num("$1,234.50"), Some(1234.5));
        assert_eq!(num("1.234,5 €"), Some(1234.5));
        assert_eq!(num("1,234"), Some(1234.0));
        assert_eq!(num("3,5"), Some(3.5));
        assert_eq!(num("12,345,678"), Some(12_345_678.0));
        assert_eq!(num("1.234.567"), Some(1_234_567.0));
        assert_eq!(num("1 000"), Some(1000.0));
        assert_eq!(num("1\u{a0}000,25"), Some(1000.25));
        assert_eq!(num("1'000"), Some(1000.0));
        assert_eq!(num("(1,234)"), Some(-1234.0));
        assert_eq!(num("\u{2212}3"), Some(-3.0));
        assert_eq!(num("-$5"), Some(-5.0));
        assert_eq!(num("12.5 %"), Some(12.5));
        assert_eq!(num("USD 7"), Some(7.0));
        assert_eq!(num("7 EUR"), Some(7.0));
        assert_eq!(num("2.5e3"), Some(2500.0));
        assert_eq!(parse_number("1,234", Decimal::Comma), Some(1.234));
        assert_eq!(parse_number("1.234", Decimal::Comma), Some(1234.0));
    }

    #[test]
    fn text_that_is_not_a_number_is_refused() {
        for bad in [
            "",
            "abc",
            "1.2.3,4,5",
            "12abc",
            "--3",
            "1,2,3.4.5",
            "$",
            ".",
        ] {
            assert_eq!(num(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cells_convert_to_each_target_or_say_why_not() {
        assert_eq!(
            convert(&json!(" 3 "), Target::Number, Decimal::Auto),
            Ok(json!(3.0))
        );
        assert_eq!(
            convert(&json!("4.0"), Target::Integer, Decimal::Auto),
            Ok(json!(4))
        );
        assert!(convert(&json!("4.5"), Target::Integer, Decimal::Auto)
            .unwrap_err()
            .contains("whole number"));
        assert_eq!(
            convert(&json!("Yes"), Target::Boolean, Decimal::Auto),
            Ok(json!(true))
        );
        assert_eq!(
            convert(&json!(0), Target::Boolean, Decimal::Auto),
            Ok(json!(false))
        );
        assert!(convert(&json!("maybe"), Target::Boolean, Decimal::Auto).is_err());
        assert_eq!(
            convert(&json!(12), Target::Text, Decimal::Auto),
            Ok(json!("12"))
        );
        assert_eq!(
            convert(&json!(""), Target::Number, Decimal::Auto),
            Ok(Value::Null)
        );
        assert_eq!(
            convert(&Value::Null, Target::Integer, Decimal::Auto),
            Ok(Value::Null)
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// `n` (in hundredths) written with `group` between thousands and `point`
        /// before the cents.
        fn written(hundredths: i64, group: &str, point: &str) -> String {
            let sign = if hundredths < 0 { "-" } else { "" };
            let abs = hundredths.unsigned_abs();
            let (whole, cents) = (abs / 100, abs % 100);
            let digits = whole.to_string();
            let mut grouped = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    grouped.push_str(group);
                }
                grouped.push(c);
            }
            format!("{sign}{grouped}{point}{cents:02}")
        }

        proptest! {
            #[test]
            fn point_decimals_with_comma_groups_round_trip(h in -10_000_000_000i64..10_000_000_000) {
                let text = written(h, ",", ".");
                prop_assert_eq!(parse_number(&text, Decimal::Auto), Some(h as f64 / 100.0), "{}", text);
            }

            #[test]
            fn comma_decimals_with_point_groups_round_trip(h in -10_000_000_000i64..10_000_000_000) {
                let text = written(h, ".", ",");
                prop_assert_eq!(parse_number(&text, Decimal::Comma), Some(h as f64 / 100.0), "{}", text);
            }

            #[test]
            fn currency_and_spaces_do_not_change_the_value(h in 0i64..1_000_000_000) {
                let text = format!("  € {} ", written(h, " ", ","));
                prop_assert_eq!(parse_number(&text, Decimal::Comma), Some(h as f64 / 100.0), "{}", text);
            }

            #[test]
            fn no_text_makes_the_parser_panic(text in "\\PC{0,40}") {
                let _ = parse_number(&text, Decimal::Auto);
                let _ = convert(&Value::String(text), Target::Integer, Decimal::Auto);
            }
        }
    }
}
