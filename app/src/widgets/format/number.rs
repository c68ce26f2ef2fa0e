//! Numbers: grouping per locale, compact units, percent, currency, and compact JSON.

use super::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Invalid;

/// How a number is scaled and abbreviated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notation {
    /// `1,234.5`.
    #[default]
    Standard,
    /// `1.2k`, `3.4M`, `5.6B`, `7.8T`; a value that rounds up to the next unit is
    /// written in it (`999,950` is `1M`, not `1000k`).
    Compact,
    /// The value times 100 with the locale's percent sign: `0.253` is `25.3%` in
    /// English, `25,3 %` in German. A currency is not shown with a percentage.
    Percent,
}

/// How a widget writes its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NumberFormat {
    pub notation: Notation,
    /// Digits after the decimal separator. `None` is automatic: integers whole, other
    /// values with up to 2 decimals (up to 1 in compact notation), trailing zeros
    /// trimmed; with a currency, non-integers get exactly its minor digits (2, or 0
    /// for JPY and KRW).
    pub decimals: Option<u8>,
    /// Group the integer digits (`1,234`).
    pub thousands: bool,
    /// An ISO 4217 code such as `EUR`, shown as its symbol when it has a common one.
    pub currency: Option<String>,
    /// Text written before the number (and its sign).
    pub prefix: String,
    /// Text written after the number.
    pub suffix: String,
    pub locale: Locale,
}

impl Default for NumberFormat {
    fn default() -> Self {
        Self {
            notation: Notation::Standard,
            decimals: None,
            thousands: true,
            currency: None,
            prefix: String::new(),
            suffix: String::new(),
            locale: Locale::En,
        }
    }
}

/// A number taken apart for writing: the sign, the integer and fraction digits of its
/// magnitude, and what follows them.
pub(super) struct Parts {
    negative: bool,
    int: String,
    frac: String,
    /// A power of ten, for magnitudes too large to write out.
    exp: Option<i32>,
    /// A compact unit (`k`, `M`, …).
    unit: &'static str,
}

impl Parts {
    fn is_zero(&self) -> bool {
        self.int.bytes().chain(self.frac.bytes()).all(|b| b == b'0')
    }
}

/// Standard and percent values from this magnitude on are written in scientific
/// notation (`1.2e21`), as are compact ones beyond `999.9T`.
pub(super) const SCIENTIFIC_FROM: f64 = 1e21;

pub(super) const COMPACT_UNITS: [(f64, &str); 5] =
    [(1.0, ""), (1e3, "k"), (1e6, "M"), (1e9, "B"), (1e12, "T")];

impl NumberFormat {
    /// A standard format with fixed decimals.
    pub fn with_decimals(decimals: u8) -> Self {
        Self {
            decimals: Some(decimals),
            ..Self::default()
        }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(d) = self.decimals {
            if d > MAX_DECIMALS {
                return Err(Invalid::new(
                    "decimals",
                    format!("{d} decimals: at most {MAX_DECIMALS} are shown"),
                ));
            }
        }
        for (field, text) in [("prefix", &self.prefix), ("suffix", &self.suffix)] {
            let n = text.chars().count();
            if n > MAX_AFFIX_CHARS {
                return Err(Invalid::new(
                    field,
                    format!("{n} characters: at most {MAX_AFFIX_CHARS} fit beside a value"),
                ));
            }
        }
        if let Some(code) = &self.currency {
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(Invalid::new(
                    "currency",
                    format!("'{code}' is not an ISO 4217 code: write three capitals like EUR"),
                ));
            }
        }
        Ok(())
    }

    /// `v` as this format writes it; `—` when it is not finite.
    pub fn format(&self, v: f64) -> String {
        if !v.is_finite() {
            return DASH.to_string();
        }
        let negative = v < 0.0;
        let abs = v.abs();
        let parts = match self.notation {
            Notation::Standard if abs >= SCIENTIFIC_FROM => {
                let (decimals, trim) = self.decimals_or(2);
                scientific(abs, decimals, trim, negative, 0)
            }
            Notation::Standard => {
                let (decimals, trim) = self.auto_decimals(abs, 2);
                fixed(abs, decimals, trim, negative)
            }
            Notation::Compact => {
                let (decimals, trim) = self.decimals_or(1);
                compact(abs, decimals, trim, negative)
            }
            Notation::Percent => {
                let (decimals, trim) = self.decimals_or(2);
                let scaled = abs * 100.0;
                if scaled.is_finite() && scaled < SCIENTIFIC_FROM {
                    fixed(scaled, decimals, trim, negative)
                } else {
                    scientific(abs, decimals, trim, negative, 2)
                }
            }
        };
        self.assemble(parts)
    }

    /// A cell as this format writes it: numbers formatted; text shown as it is (a
    /// number held in text is not reformatted); `true`/`false`; null as `—`; arrays
    /// and objects as compact JSON cut to 80 characters with `…`.
    pub fn format_value(&self, v: &Value) -> String {
        match v {
            Value::Null => DASH.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::String(s) => s.clone(),
            Value::Number(n) => {
                // Integers are written from their digits, so i64 and u64 extremes stay exact.
                let exact = n
                    .as_i64()
                    .map(|i| (i < 0, i.unsigned_abs()))
                    .or_else(|| n.as_u64().map(|u| (false, u)));
                match exact {
                    Some((negative, abs)) if self.notation == Notation::Standard => {
                        let (decimals, _) = self.decimals_or(0);
                        self.assemble(Parts {
                            negative,
                            int: abs.to_string(),
                            frac: "0".repeat(decimals),
                            exp: None,
                            unit: "",
                        })
                    }
                    _ => n
                        .as_f64()
                        .map_or_else(|| DASH.to_string(), |f| self.format(f)),
                }
            }
            Value::Array(_) | Value::Object(_) => compact_json(v, MAX_JSON_CHARS),
        }
    }

    /// The decimals to write and whether trailing zeros go: the fixed ones, else up to
    /// `auto` trimmed.
    fn decimals_or(&self, auto: usize) -> (usize, bool) {
        match self.decimals {
            Some(d) => (usize::from(d.min(MAX_DECIMALS)), false),
            None => (auto, true),
        }
    }

    /// Standard notation's decimals for `abs`: see [`NumberFormat::decimals`].
    fn auto_decimals(&self, abs: f64, auto: usize) -> (usize, bool) {
        if self.decimals.is_some() {
            return self.decimals_or(auto);
        }
        if abs.fract() == 0.0 {
            return (0, false);
        }
        match &self.currency {
            Some(code) => (minor_digits(code), false),
            None => (auto, true),
        }
    }

    fn assemble(&self, parts: Parts) -> String {
        let locale = self.locale;
        let negative = parts.negative && !parts.is_zero();
        let mut number = if self.thousands && parts.exp.is_none() {
            group(&parts.int, locale)
        } else {
            parts.int
        };
        if !parts.frac.is_empty() {
            number.push(locale.decimal_separator());
            number.push_str(&parts.frac);
        }
        if let Some(e) = parts.exp {
            number.push_str(&format!("e{e}"));
        }
        number.push_str(parts.unit);
        let currency = self
            .currency
            .as_deref()
            .filter(|_| self.notation != Notation::Percent);
        let body = match currency {
            None if self.notation == Notation::Percent => number + locale.percent_sign(),
            None => number,
            Some(code) => {
                let symbol = currency_symbol(code);
                let letters = symbol.chars().all(char::is_alphabetic);
                match locale.currency_placement() {
                    CurrencyPlacement::Before if !letters => format!("{symbol}{number}"),
                    CurrencyPlacement::Before | CurrencyPlacement::BeforeSpaced => {
                        format!("{symbol}{NBSP}{number}")
                    }
                    CurrencyPlacement::After => format!("{number}{NBSP}{symbol}"),
                }
            }
        };
        let sign = if negative { "-" } else { "" };
        format!("{}{sign}{body}{}", self.prefix, self.suffix)
    }
}

/// The integer and fraction digits of a formatted number (`12.50` → `12`, `50`), the
/// fraction's trailing zeros dropped when `trim`.
fn split_digits(text: &str, trim: bool) -> (String, String) {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = if trim {
        frac.trim_end_matches('0')
    } else {
        frac
    };
    (int.to_string(), frac.to_string())
}

/// `abs` (finite, below 1e21 or so) rounded to `decimals`.
pub(super) fn fixed(abs: f64, decimals: usize, trim: bool, negative: bool) -> Parts {
    let text = format!("{abs:.decimals$}");
    let (int, frac) = split_digits(&text, trim);
    Parts {
        negative,
        int,
        frac,
        exp: None,
        unit: "",
    }
}

/// `abs × 10^shift` as `d.ddde±x`, with up to 2 (or `decimals`) mantissa decimals.
pub(super) fn scientific(
    abs: f64,
    decimals: usize,
    trim: bool,
    negative: bool,
    shift: i32,
) -> Parts {
    let decimals = if trim { decimals.max(2) } else { decimals };
    let text = format!("{abs:.decimals$e}");
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let (int, frac) = split_digits(mantissa, trim);
    Parts {
        negative,
        int,
        frac,
        exp: Some(exp.parse::<i32>().unwrap_or(0).saturating_add(shift)),
        unit: "",
    }
}

/// Compact notation: the largest unit that keeps the rounded value under 1000.
pub(super) fn compact(abs: f64, decimals: usize, trim: bool, negative: bool) -> Parts {
    let mut unit = COMPACT_UNITS
        .iter()
        .rposition(|(size, _)| abs >= *size)
        .unwrap_or(0);
    loop {
        let (size, name) = COMPACT_UNITS[unit];
        let mut parts = fixed(abs / size, decimals, trim, negative);
        if parts.int.len() <= 3 {
            parts.unit = name;
            return parts;
        }
        if unit + 1 == COMPACT_UNITS.len() {
            return scientific(abs, decimals, trim, negative, 0);
        }
        unit += 1;
    }
}

/// The integer digits with the locale's group separators.
pub(super) fn group(int: &str, locale: Locale) -> String {
    let sep = locale.group_separator();
    let n = int.len();
    let grouped = match locale.grouping() {
        Grouping::ThousandsFromFive if n < 5 => return int.to_string(),
        Grouping::Thousands | Grouping::ThousandsFromFive => n > 3,
        Grouping::Lakh => n > 3,
    };
    if !grouped || !int.bytes().all(|b| b.is_ascii_digit()) {
        return int.to_string();
    }
    // Cut points from the right: every 3 digits, or 3 then every 2 (lakh).
    let mut cuts = Vec::new();
    let mut at = n - 3;
    let width = if locale.grouping() == Grouping::Lakh {
        2
    } else {
        3
    };
    while at > 0 {
        cuts.push(at);
        at = at.saturating_sub(width);
    }
    let mut out = String::with_capacity(n + cuts.len() * sep.len());
    let mut start = 0;
    for &cut in cuts.iter().rev() {
        out.push_str(&int[start..cut]);
        out.push_str(sep);
        start = cut;
    }
    out.push_str(&int[start..]);
    out
}

/// The symbol written for a currency code, or the code itself.
pub fn currency_symbol(code: &str) -> &str {
    match code {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        "CNY" => "CN¥",
        "INR" => "₹",
        "KRW" => "₩",
        "BRL" => "R$",
        "AUD" => "A$",
        "CAD" => "CA$",
        "CHF" => "CHF",
        "SEK" | "NOK" | "DKK" => "kr",
        "PLN" => "zł",
        "CZK" => "Kč",
        "RUB" => "₽",
        "TRY" => "₺",
        "ILS" => "₪",
        "MXN" => "MX$",
        "NZD" => "NZ$",
        other => other,
    }
}

/// Digits after the separator a currency's amounts carry.
pub(super) fn minor_digits(code: &str) -> usize {
    match code {
        "JPY" | "KRW" => 0,
        _ => 2,
    }
}

/// `v` as compact JSON of at most `max` characters, the last one `…` when cut. Only
/// a little more than `max` characters is ever serialized, however large `v` is.
pub(super) fn compact_json(v: &Value, max: usize) -> String {
    struct Bounded {
        out: Vec<u8>,
        room: usize,
    }
    impl std::io::Write for Bounded {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if buf.len() > self.room {
                let take = self.room;
                self.out.extend_from_slice(&buf[..take]);
                self.room = 0;
                return Err(std::io::Error::other("full"));
            }
            self.out.extend_from_slice(buf);
            self.room -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    // Four bytes per character covers any UTF-8; one more tells "cut" from "exact".
    let mut w = Bounded {
        out: Vec::new(),
        room: max * 4 + 1,
    };
    let complete = serde_json::to_writer(&mut w, v).is_ok();
    let text = String::from_utf8_lossy(&w.out);
    if complete && text.chars().count() <= max {
        return text.into_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}
