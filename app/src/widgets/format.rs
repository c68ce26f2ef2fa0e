//! How values are written on a wall: numbers per locale (grouping, compact units,
//! percent, currency), instants in a zone with a strftime subset, ages and countdowns,
//! and the colours that thresholds and value maps give them.
//!
//! Everything here is pure and total: no input (NaN, infinities, negative zero, `i64`
//! extremes, absurd strings) makes it panic; what cannot be written shows as `—`.
//!
//! Zones: fixed offsets are computed here; IANA names (`Europe/Paris`) are looked up
//! with chrono-tz on the server and with the browser's `Intl.DateTimeFormat` in wasm,
//! so both sides agree without shipping the zone database to the browser.

use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta, Timelike};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Invalid;

/// What is shown for a value that cannot be written: missing, not finite, out of range.
pub const DASH: &str = "—";

/// The most decimals a format may ask for.
pub const MAX_DECIMALS: u8 = 6;
/// The longest prefix or suffix, in characters.
pub const MAX_AFFIX_CHARS: usize = 20;
/// The longest date pattern, in characters.
pub const MAX_PATTERN_CHARS: usize = 60;
/// The longest zone name, in characters.
pub const MAX_ZONE_CHARS: usize = 64;
/// The most threshold steps.
pub const MAX_STEPS: usize = 20;
/// The most value-map entries.
pub const MAX_MAP_ENTRIES: usize = 50;
/// The longest value-map text (`equals` and `label`), in characters.
pub const MAX_MAP_TEXT_CHARS: usize = 100;
/// Arrays and objects are shown as compact JSON cut to this many characters.
pub const MAX_JSON_CHARS: usize = 80;

const NBSP: &str = "\u{a0}";
const NNBSP: &str = "\u{202f}";

// ---------------------------------------------------------------------------------
// Locales
// ---------------------------------------------------------------------------------

/// The conventions numbers and dates are written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    /// English (US): `1,234.5`, `$1.00`.
    #[default]
    En,
    /// English (UK): `1,234.5`, `£1.00`.
    EnGb,
    /// German: `1.234,5`, `1,00 €`.
    De,
    /// French: `1 234,5` (narrow no-break space), `1,00 €`.
    Fr,
    /// Spanish: `1234,5` and `12.345,5` (groups from five digits), `1,00 €`.
    Es,
    /// Italian: `1.234,5`, `1,00 €`.
    It,
    /// Dutch: `1.234,5`, `€ 1,00`.
    Nl,
    /// Portuguese (Brazil): `1.234,5`, `R$ 1,00`.
    Pt,
    /// Swedish: `1 234,5` (no-break space), `1,00 kr`.
    Sv,
    /// Japanese: `1,234.5`, `¥1`.
    Ja,
    /// Hindi (India): `12,34,567.5` (lakh grouping), `₹1.00`.
    Hi,
}

/// Where a locale writes the currency symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurrencyPlacement {
    /// `$1.00` (a space is still put after a symbol made of letters: `CHF 1.00`).
    Before,
    /// `€ 1,00`.
    BeforeSpaced,
    /// `1,00 €`.
    After,
}

/// How the integer digits are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grouping {
    /// Groups of three: `1,234,567`.
    Thousands,
    /// Groups of three, but only from five digits on: `1234`, `12.345`.
    ThousandsFromFive,
    /// The last three, then groups of two: `12,34,567`.
    Lakh,
}

impl Locale {
    /// Every locale, in the order the inspector lists them.
    pub const ALL: [Locale; 11] = [
        Locale::En,
        Locale::EnGb,
        Locale::De,
        Locale::Fr,
        Locale::Es,
        Locale::It,
        Locale::Nl,
        Locale::Pt,
        Locale::Sv,
        Locale::Ja,
        Locale::Hi,
    ];

    /// The BCP 47 tag: `en`, `en-GB`, `de`, `pt-BR`.
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::EnGb => "en-GB",
            Locale::De => "de",
            Locale::Fr => "fr",
            Locale::Es => "es",
            Locale::It => "it",
            Locale::Nl => "nl",
            Locale::Pt => "pt-BR",
            Locale::Sv => "sv",
            Locale::Ja => "ja",
            Locale::Hi => "hi",
        }
    }

    /// The name in its own language, for the inspector's select.
    pub fn label(self) -> &'static str {
        match self {
            Locale::En => "English (US)",
            Locale::EnGb => "English (UK)",
            Locale::De => "Deutsch",
            Locale::Fr => "Français",
            Locale::Es => "Español",
            Locale::It => "Italiano",
            Locale::Nl => "Nederlands",
            Locale::Pt => "Português (Brasil)",
            Locale::Sv => "Svenska",
            Locale::Ja => "日本語",
            Locale::Hi => "हिन्दी",
        }
    }

    pub fn decimal_separator(self) -> char {
        match self {
            Locale::En | Locale::EnGb | Locale::Ja | Locale::Hi => '.',
            _ => ',',
        }
    }

    pub fn group_separator(self) -> &'static str {
        match self {
            Locale::En | Locale::EnGb | Locale::Ja | Locale::Hi => ",",
            Locale::De | Locale::Es | Locale::It | Locale::Nl | Locale::Pt => ".",
            Locale::Fr => NNBSP,
            Locale::Sv => NBSP,
        }
    }

    pub fn currency_placement(self) -> CurrencyPlacement {
        match self {
            Locale::En | Locale::EnGb | Locale::Ja | Locale::Hi => CurrencyPlacement::Before,
            Locale::Nl | Locale::Pt => CurrencyPlacement::BeforeSpaced,
            Locale::De | Locale::Fr | Locale::Es | Locale::It | Locale::Sv => {
                CurrencyPlacement::After
            }
        }
    }

    /// What follows a percentage: `%`, or a no-break space and `%`.
    pub fn percent_sign(self) -> &'static str {
        match self {
            Locale::De | Locale::Es | Locale::Sv => "\u{a0}%",
            Locale::Fr => "\u{202f}%",
            _ => "%",
        }
    }

    fn grouping(self) -> Grouping {
        match self {
            Locale::Es => Grouping::ThousandsFromFive,
            Locale::Hi => Grouping::Lakh,
            _ => Grouping::Thousands,
        }
    }

    fn names(self) -> &'static Names {
        match self {
            Locale::De => &GERMAN,
            Locale::Fr => &FRENCH,
            _ => &ENGLISH,
        }
    }
}

// ---------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------

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
struct Parts {
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
const SCIENTIFIC_FROM: f64 = 1e21;

const COMPACT_UNITS: [(f64, &str); 5] =
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

/// `abs` (finite, below 1e21 or so) rounded to `decimals`.
fn fixed(abs: f64, decimals: usize, trim: bool, negative: bool) -> Parts {
    let text = format!("{abs:.decimals$}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac = if trim {
        frac.trim_end_matches('0')
    } else {
        frac
    };
    Parts {
        negative,
        int: int.to_string(),
        frac: frac.to_string(),
        exp: None,
        unit: "",
    }
}

/// `abs × 10^shift` as `d.ddde±x`, with up to 2 (or `decimals`) mantissa decimals.
fn scientific(abs: f64, decimals: usize, trim: bool, negative: bool, shift: i32) -> Parts {
    let decimals = if trim { decimals.max(2) } else { decimals };
    let text = format!("{abs:.decimals$e}");
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let frac = if trim {
        frac.trim_end_matches('0')
    } else {
        frac
    };
    Parts {
        negative,
        int: int.to_string(),
        frac: frac.to_string(),
        exp: Some(exp.parse::<i32>().unwrap_or(0).saturating_add(shift)),
        unit: "",
    }
}

/// Compact notation: the largest unit that keeps the rounded value under 1000.
fn compact(abs: f64, decimals: usize, trim: bool, negative: bool) -> Parts {
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
fn group(int: &str, locale: Locale) -> String {
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
fn minor_digits(code: &str) -> usize {
    match code {
        "JPY" | "KRW" => 0,
        _ => 2,
    }
}

/// `v` as compact JSON of at most `max` characters, the last one `…` when cut. Only
/// a little more than `max` characters is ever serialized, however large `v` is.
fn compact_json(v: &Value, max: usize) -> String {
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

// ---------------------------------------------------------------------------------
// Zones
// ---------------------------------------------------------------------------------

/// Where a wall's clock is: `UTC`, a fixed offset such as `+05:30`, or an IANA name
/// such as `Europe/Paris`. Serialized as the plain string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Zone(pub String);

impl Default for Zone {
    fn default() -> Self {
        Zone::utc()
    }
}

impl Zone {
    pub fn utc() -> Self {
        Zone("UTC".to_string())
    }

    pub fn new(name: impl Into<String>) -> Self {
        Zone(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the name's shape: `UTC`, an offset from `-18:00` to `+18:00`, or an IANA
    /// name. The server checks that the name exists (chrono-tz); the browser, without
    /// the zone database, checks only that it looks like `Area/Location`.
    pub fn validate(&self) -> Result<(), Invalid> {
        let name = self.0.as_str();
        let n = name.chars().count();
        if n == 0 || n > MAX_ZONE_CHARS {
            return Err(Invalid::new(
                "",
                format!("a zone name has 1 to {MAX_ZONE_CHARS} characters, this one {n}"),
            ));
        }
        if is_utc(name) {
            return Ok(());
        }
        if name.starts_with(['+', '-']) {
            return parse_offset(name).map(|_| ()).ok_or_else(|| {
                Invalid::new(
                    "",
                    format!("'{name}' is not an offset from -18:00 to +18:00 written like +05:30"),
                )
            });
        }
        if imp::known_name(name) {
            Ok(())
        } else {
            Err(Invalid::new(
                "",
                format!("'{name}' is not a known time zone: write UTC, an offset like +05:30 or a name like Europe/Paris"),
            ))
        }
    }

    /// Minutes east of UTC at the instant `utc_ms`, or `None` for a name this side
    /// does not know (callers then show UTC and say so).
    pub fn offset_minutes_at(&self, utc_ms: i64) -> Option<i32> {
        let name = self.0.as_str();
        if is_utc(name) {
            return Some(0);
        }
        if name.starts_with(['+', '-']) {
            return parse_offset(name);
        }
        if name.chars().count() > MAX_ZONE_CHARS || !iana_shape(name) {
            return None;
        }
        imp::iana_offset_minutes(name, utc_ms)
    }
}

fn is_utc(name: &str) -> bool {
    name.eq_ignore_ascii_case("utc") || name == "Z"
}

/// Minutes east of UTC for `+05:30`, `-0800`, `+02` or `""` (zero, as `GMT` reads in
/// the browser's `GMT+05:30`); `None` beyond ±18:00.
fn parse_offset(text: &str) -> Option<i32> {
    if text.is_empty() {
        return Some(0);
    }
    let (sign, rest) = match text.chars().next()? {
        '+' => (1, &text[1..]),
        '-' => (-1, &text[1..]),
        '\u{2212}' => (-1, &text['\u{2212}'.len_utf8()..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "00"),
    };
    let digits = |t: &str, max: i32| -> Option<i32> {
        if t.is_empty() || t.len() > 2 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok().filter(|v| *v <= max)
    };
    let minutes = digits(h, 18)? * 60 + digits(m, 59)?;
    (minutes <= 18 * 60).then_some(sign * minutes)
}

/// `Area/Location` and friends: one to three `/`-separated parts of ASCII letters,
/// digits, `_`, `-` and `+`, each starting with a letter.
fn iana_shape(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    parts.len() <= 3
        && parts.iter().all(|p| {
            p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && p.len() <= 30
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
        })
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use chrono::{DateTime, Offset, TimeZone};
    use chrono_tz::Tz;

    pub fn known_name(name: &str) -> bool {
        name.parse::<Tz>().is_ok()
    }

    pub fn iana_offset_minutes(name: &str, utc_ms: i64) -> Option<i32> {
        let tz: Tz = name.parse().ok()?;
        let t = DateTime::from_timestamp_millis(utc_ms)?;
        Some(
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc()
                / 60,
        )
    }
}

/// The browser asks `Intl.DateTimeFormat` (`timeZoneName: "longOffset"` gives
/// `GMT+05:30`), caching one formatter per name.
#[cfg(target_arch = "wasm32")]
mod imp {
    use js_sys::{Array, Date, Function, Intl, Object, Reflect};
    use std::cell::RefCell;
    use wasm_bindgen::{JsCast, JsValue};

    /// Beyond ±8.64e15 ms a JavaScript `Date` is invalid and formatting throws.
    const JS_DATE_LIMIT_MS: i64 = 8_640_000_000_000_000;
    const CACHED: usize = 16;

    thread_local! {
        static FORMATTERS: RefCell<Vec<(String, Option<Intl::DateTimeFormat>)>> =
            const { RefCell::new(Vec::new()) };
    }

    pub fn known_name(name: &str) -> bool {
        super::iana_shape(name)
    }

    pub fn iana_offset_minutes(name: &str, utc_ms: i64) -> Option<i32> {
        if utc_ms.unsigned_abs() > JS_DATE_LIMIT_MS as u64 {
            return None;
        }
        let fmt = formatter(name)?;
        let parts = fmt.format_to_parts(&Date::new(&JsValue::from_f64(utc_ms as f64)));
        let part = parts.iter().find(|p| {
            Reflect::get(p, &"type".into())
                .ok()
                .and_then(|t| t.as_string())
                .as_deref()
                == Some("timeZoneName")
        })?;
        let text = Reflect::get(&part, &"value".into()).ok()?.as_string()?;
        super::parse_offset(text.strip_prefix("GMT")?)
    }

    /// A formatter for `name`, or `None` when the browser does not know the zone (the
    /// constructor throws a `RangeError`, caught here through `Reflect.construct`).
    fn formatter(name: &str) -> Option<Intl::DateTimeFormat> {
        FORMATTERS.with(|cache| {
            let mut cache = cache.borrow_mut();
            if let Some((_, f)) = cache.iter().find(|(n, _)| n == name) {
                return f.clone();
            }
            let made = construct(name);
            if cache.len() >= CACHED {
                cache.remove(0);
            }
            cache.push((name.to_string(), made.clone()));
            made
        })
    }

    fn construct(name: &str) -> Option<Intl::DateTimeFormat> {
        let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
        let ctor: Function = Reflect::get(&intl, &"DateTimeFormat".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let options = Object::new();
        Reflect::set(&options, &"timeZone".into(), &name.into()).ok()?;
        Reflect::set(&options, &"timeZoneName".into(), &"longOffset".into()).ok()?;
        let args = Array::of2(&"en-US".into(), &options);
        Reflect::construct(&ctor, &args)
            .ok()
            .map(JsCast::unchecked_into)
    }
}

// ---------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------

/// The specifiers a date pattern may use.
pub const DATE_SPECIFIERS: &str = "YymdeHIMSpbBaAjZ%";

/// How a widget writes instants: a strftime pattern in a zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DateFormat {
    /// A strftime subset: `%Y %y %m %d %e %H %I %M %S %p %b %B %a %A %j %Z %%`.
    pub pattern: String,
    pub zone: Zone,
}

impl Default for DateFormat {
    fn default() -> Self {
        Self {
            pattern: "%Y-%m-%d %H:%M".to_string(),
            zone: Zone::utc(),
        }
    }
}

struct Names {
    months: [&'static str; 12],
    months_short: [&'static str; 12],
    /// Monday first.
    days: [&'static str; 7],
    days_short: [&'static str; 7],
}

const ENGLISH: Names = Names {
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    months_short: [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    days: [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    days_short: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
};

const GERMAN: Names = Names {
    months: [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    months_short: [
        "Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez",
    ],
    days: [
        "Montag",
        "Dienstag",
        "Mittwoch",
        "Donnerstag",
        "Freitag",
        "Samstag",
        "Sonntag",
    ],
    days_short: ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"],
};

const FRENCH: Names = Names {
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    months_short: [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ],
    days: [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ],
    days_short: ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
};

impl DateFormat {
    pub fn new(pattern: impl Into<String>, zone: Zone) -> Self {
        Self {
            pattern: pattern.into(),
            zone,
        }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        let n = self.pattern.chars().count();
        if n > MAX_PATTERN_CHARS {
            return Err(Invalid::new(
                "pattern",
                format!("{n} characters: a date pattern has at most {MAX_PATTERN_CHARS}"),
            ));
        }
        let mut chars = self.pattern.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                continue;
            }
            match chars.next() {
                Some(s) if DATE_SPECIFIERS.contains(s) => {}
                Some(s) => {
                    return Err(Invalid::new(
                        "pattern",
                        format!(
                            "%{s} is not supported: use %Y %y %m %d %e %H %I %M %S %p %b %B %a %A %j %Z or %% for a percent sign"
                        ),
                    ))
                }
                None => {
                    return Err(Invalid::new(
                        "pattern",
                        "a % ends the pattern: write %% for a percent sign",
                    ))
                }
            }
        }
        self.zone.validate().map_err(|e| e.within("zone"))
    }

    /// The instant `utc_ms` in English; see [`DateFormat::format_in`].
    pub fn format(&self, utc_ms: i64) -> String {
        self.format_in(utc_ms, Locale::En)
    }

    /// The instant `utc_ms` (Unix milliseconds) in the zone, with month and day names
    /// in `locale` (German and French; English otherwise). `—` when out of range. A
    /// zone this side does not know is shown as UTC, and says so: `%Z` writes `UTC`,
    /// and without `%Z` ` UTC` is appended. Unsupported specifiers are written as
    /// they are.
    pub fn format_in(&self, utc_ms: i64, locale: Locale) -> String {
        let offset = self.zone.offset_minutes_at(utc_ms);
        let Some(local) = DateTime::from_timestamp_millis(utc_ms).and_then(|t| {
            t.naive_utc()
                .checked_add_signed(TimeDelta::minutes(i64::from(offset.unwrap_or(0))))
        }) else {
            return DASH.to_string();
        };
        let label = zone_label(offset.unwrap_or(0));
        let mut out = write_pattern(&self.pattern, &local, &label, locale.names());
        if offset.is_none() && !self.pattern.contains("%Z") {
            out.push_str(" UTC");
        }
        out
    }
}

/// `UTC`, `UTC+05:30`, `UTC-08:00`: the same on the server and in the browser.
pub fn zone_label(offset_minutes: i32) -> String {
    if offset_minutes == 0 {
        return "UTC".to_string();
    }
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let m = offset_minutes.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

fn write_pattern(pattern: &str, t: &NaiveDateTime, zone: &str, names: &Names) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut chars = pattern.chars();
    let month = t.month0() as usize;
    let weekday = t.weekday().num_days_from_monday() as usize;
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Writing to a String cannot fail.
        let _ = match chars.next() {
            Some('Y') => write!(out, "{:04}", t.year()),
            Some('y') => write!(out, "{:02}", t.year().rem_euclid(100)),
            Some('m') => write!(out, "{:02}", t.month()),
            Some('d') => write!(out, "{:02}", t.day()),
            Some('e') => write!(out, "{:>2}", t.day()),
            Some('H') => write!(out, "{:02}", t.hour()),
            Some('I') => write!(out, "{hour12:02}"),
            Some('M') => write!(out, "{:02}", t.minute()),
            Some('S') => write!(out, "{:02}", t.second()),
            Some('p') => write!(out, "{}", if t.hour() < 12 { "AM" } else { "PM" }),
            Some('b') => write!(out, "{}", names.months_short[month]),
            Some('B') => write!(out, "{}", names.months[month]),
            Some('a') => write!(out, "{}", names.days_short[weekday]),
            Some('A') => write!(out, "{}", names.days[weekday]),
            Some('j') => write!(out, "{:03}", t.ordinal()),
            Some('Z') => write!(out, "{zone}"),
            Some('%') => write!(out, "%"),
            Some(other) => write!(out, "%{other}"),
            None => write!(out, "%"),
        };
    }
    out
}

/// Unix ms from a JSON value: the one reader widgets share (`model::parse_instant`),
/// kept apart from the pipeline so screens do not carry the pipeline's date engine.
pub use crate::model::parse_instant;

/// How long ago, for stale badges: `12 s`, `4 min`, `3 h`, `2 d` (whole units, cut
/// down). Negative durations are `0 s`.
pub fn age(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

/// Time left: `2d 03:04:05`, `03:04:05`, and `00:00:00` once past. Partial seconds
/// count as a whole one, so `00:00:00` shows only when the moment has come.
pub fn countdown(ms: i64) -> String {
    if ms <= 0 {
        return "00:00:00".to_string();
    }
    let s = ms / 1000 + i64::from(ms % 1000 != 0);
    let (d, h, m, s) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d}d {h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

// ---------------------------------------------------------------------------------
// Colours, thresholds and value maps
// ---------------------------------------------------------------------------------

/// The palette names a colour may use; each is the CSS variable `--c-<name>`.
pub const PALETTE: [&str; 10] = [
    "green", "yellow", "orange", "red", "blue", "purple", "teal", "grey", "text", "muted",
];

/// A colour that is safe to put in a style attribute: `#rgb`, `#rrggbb` or a palette
/// name. Anything else is refused when read, so CSS cannot be injected through it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Color(String);

impl Default for Color {
    fn default() -> Self {
        Color("text".to_string())
    }
}

impl TryFrom<String> for Color {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        if is_color(&text) {
            Ok(Color(text))
        } else {
            Err(color_error(&text))
        }
    }
}

impl From<Color> for String {
    fn from(c: Color) -> String {
        c.0
    }
}

fn is_color(text: &str) -> bool {
    match text.strip_prefix('#') {
        Some(hex) => matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => PALETTE.contains(&text),
    }
}

fn color_error(text: &str) -> String {
    let shown: String = text.chars().take(40).collect();
    format!(
        "'{shown}' is not a colour: write #rgb, #rrggbb or one of {}",
        PALETTE.join(", ")
    )
}

impl Color {
    /// Reads a colour, or says why not.
    pub fn parse(text: &str) -> Result<Color, Invalid> {
        Color::try_from(text.to_string()).map_err(|e| Invalid::new("", e))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        if is_color(&self.0) {
            Ok(())
        } else {
            Err(Invalid::new("", color_error(&self.0)))
        }
    }

    /// The CSS value: the hex as written, or `var(--c-<name>)`.
    pub fn css(&self) -> String {
        if self.0.starts_with('#') {
            self.0.clone()
        } else {
            format!("var(--c-{})", self.0)
        }
    }
}

/// Colours by value: `base` below the first step, else the colour of the last step
/// reached.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    pub base: Option<Color>,
    /// In strictly increasing `from` order.
    pub steps: Vec<Step>,
}

/// From `from` on (inclusive), values take `color`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Step {
    pub from: f64,
    pub color: Color,
}

impl Thresholds {
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(base) = &self.base {
            base.validate().map_err(|e| e.within("base"))?;
        }
        if self.steps.len() > MAX_STEPS {
            return Err(Invalid::new(
                "steps",
                format!("{} steps: at most {MAX_STEPS}", self.steps.len()),
            ));
        }
        let mut previous = f64::NEG_INFINITY;
        for (i, step) in self.steps.iter().enumerate() {
            let at = format!("steps[{i}]");
            if !step.from.is_finite() {
                return Err(Invalid::new("from", "a step starts at a finite number").within(&at));
            }
            if step.from <= previous {
                return Err(Invalid::new(
                    "from",
                    format!(
                        "{} does not follow {previous}: steps go in increasing order",
                        step.from
                    ),
                )
                .within(&at));
            }
            previous = step.from;
            step.color
                .validate()
                .map_err(|e| e.within("color").within(&at))?;
        }
        Ok(())
    }

    /// The colour of `v`: the last step whose `from` is at most `v`, else `base`.
    /// NaN takes `base`.
    pub fn color_for(&self, v: f64) -> Option<&Color> {
        self.steps
            .iter()
            .rev()
            .find(|s| s.from <= v)
            .map(|s| &s.color)
            .or(self.base.as_ref())
    }
}

/// Labels and colours for particular values (`"down"` → red, "Down").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValueMap {
    pub entries: Vec<MapEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MapEntry {
    /// Compared with the value's text, trimmed and ignoring case.
    pub equals: String,
    /// Shown instead of the value; the value itself when `None`.
    pub label: Option<String>,
    pub color: Color,
}

impl ValueMap {
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.entries.len() > MAX_MAP_ENTRIES {
            return Err(Invalid::new(
                "entries",
                format!("{} entries: at most {MAX_MAP_ENTRIES}", self.entries.len()),
            ));
        }
        for (i, e) in self.entries.iter().enumerate() {
            let at = format!("entries[{i}]");
            let texts = [("equals", Some(&e.equals)), ("label", e.label.as_ref())];
            for (field, text) in texts {
                let n = text.map_or(0, |t| t.chars().count());
                if n > MAX_MAP_TEXT_CHARS {
                    return Err(Invalid::new(
                        field,
                        format!("{n} characters: at most {MAX_MAP_TEXT_CHARS}"),
                    )
                    .within(&at));
                }
            }
            e.color
                .validate()
                .map_err(|err| err.within("color").within(&at))?;
        }
        Ok(())
    }

    /// The first entry matching `v`'s text (numbers written plainly: `1.0` is `1`);
    /// arrays and objects match nothing.
    pub fn find(&self, v: &Value) -> Option<&MapEntry> {
        let text = match v {
            Value::String(s) => s.trim().to_lowercase(),
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
                _ => n.to_string(),
            },
            Value::Bool(b) => b.to_string(),
            Value::Null => "null".to_string(),
            Value::Array(_) | Value::Object(_) => return None,
        };
        self.entries
            .iter()
            .find(|e| e.equals.trim().to_lowercase() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn num(locale: Locale) -> NumberFormat {
        NumberFormat {
            locale,
            ..NumberFormat::default()
        }
    }

    fn ms(iso: &str) -> i64 {
        parse_instant(&json!(iso)).unwrap_or_else(|| panic!("{iso}"))
    }

    #[test]
    fn numbers_are_grouped_and_separated_per_locale() {
        assert_eq!(num(Locale::En).format(1234.5), "1,234.5");
        assert_eq!(num(Locale::De).format(1234.5), "1.234,5");
        assert_eq!(num(Locale::Fr).format(1234.5), "1\u{202f}234,5");
        assert_eq!(num(Locale::Sv).format(1234.5), "1\u{a0}234,5");
        assert_eq!(num(Locale::Es).format(1234.5), "1234,5");
        assert_eq!(num(Locale::Es).format(12345.5), "12.345,5");
        assert_eq!(num(Locale::Hi).format(1234567.0), "12,34,567");
        assert_eq!(num(Locale::Hi).format(123.0), "123");
        assert_eq!(num(Locale::En).format(1234567890.0), "1,234,567,890");
        let plain = NumberFormat {
            thousands: false,
            ..num(Locale::De)
        };
        assert_eq!(plain.format(1234567.25), "1234567,25");
    }

    #[test]
    fn automatic_decimals_show_integers_whole_and_trim_the_rest() {
        let f = NumberFormat::default();
        assert_eq!(f.format(42.0), "42");
        assert_eq!(f.format(1.23456), "1.23");
        assert_eq!(f.format(2.5), "2.5");
        assert_eq!(f.format(2.001), "2");
        assert_eq!(f.format(0.004), "0");
        assert_eq!(NumberFormat::with_decimals(3).format(2.5), "2.500");
        assert_eq!(NumberFormat::with_decimals(0).format(2.5), "2");
        assert_eq!(NumberFormat::with_decimals(200).format(1.0), "1.000000");
    }

    #[test]
    fn negatives_use_an_ascii_minus_and_negative_zero_is_zero() {
        let f = NumberFormat::default();
        assert_eq!(f.format(-1234.5), "-1,234.5");
        assert_eq!(f.format(-0.0), "0");
        assert_eq!(f.format(-0.001), "0");
        assert_eq!(NumberFormat::with_decimals(2).format(-0.001), "0.00");
        assert_eq!(num(Locale::De).format(-1234.5), "-1.234,5");
    }

    #[test]
    fn compact_numbers_take_the_unit_they_round_into() {
        let c = NumberFormat {
            notation: Notation::Compact,
            ..NumberFormat::default()
        };
        assert_eq!(c.format(0.0), "0");
        assert_eq!(c.format(999.0), "999");
        assert_eq!(c.format(999.96), "1k");
        assert_eq!(c.format(1234.0), "1.2k");
        assert_eq!(c.format(3_400_000.0), "3.4M");
        assert_eq!(c.format(5.6e9), "5.6B");
        assert_eq!(c.format(7.8e12), "7.8T");
        assert_eq!(c.format(999_949.0), "999.9k");
        assert_eq!(c.format(999_950.0), "1M");
        assert_eq!(c.format(-1_500_000.0), "-1.5M");
        assert_eq!(c.format(999.96e12), "1e15");
        let de = NumberFormat {
            locale: Locale::De,
            decimals: Some(2),
            ..c
        };
        assert_eq!(de.format(1234.0), "1,23k");
    }

    #[test]
    fn percentages_follow_the_locale() {
        let p = |locale| NumberFormat {
            notation: Notation::Percent,
            locale,
            ..NumberFormat::default()
        };
        assert_eq!(p(Locale::En).format(0.253), "25.3%");
        assert_eq!(p(Locale::De).format(0.253), "25,3\u{a0}%");
        assert_eq!(p(Locale::Fr).format(0.253), "25,3\u{202f}%");
        assert_eq!(p(Locale::En).format(-1.0), "-100%");
        let currency = NumberFormat {
            currency: Some("USD".into()),
            ..p(Locale::En)
        };
        assert_eq!(currency.format(0.5), "50%");
    }

    #[test]
    fn currencies_are_placed_per_locale() {
        let money = |locale, code: &str| NumberFormat {
            currency: Some(code.into()),
            locale,
            ..NumberFormat::default()
        };
        assert_eq!(money(Locale::En, "USD").format(1.0), "$1");
        assert_eq!(money(Locale::En, "USD").format(1.5), "$1.50");
        assert_eq!(money(Locale::En, "EUR").format(-1234.5), "-€1,234.50");
        assert_eq!(money(Locale::De, "EUR").format(1234.5), "1.234,50\u{a0}€");
        assert_eq!(money(Locale::Fr, "EUR").format(1.0), "1\u{a0}€");
        assert_eq!(money(Locale::Nl, "EUR").format(1.25), "€\u{a0}1,25");
        assert_eq!(money(Locale::Pt, "BRL").format(1.25), "R$\u{a0}1,25");
        assert_eq!(money(Locale::Sv, "SEK").format(10.0), "10\u{a0}kr");
        assert_eq!(money(Locale::En, "CHF").format(3.0), "CHF\u{a0}3");
        assert_eq!(money(Locale::En, "XAU").format(3.0), "XAU\u{a0}3");
        assert_eq!(money(Locale::Ja, "JPY").format(1234.4), "¥1,234");
        let compact = NumberFormat {
            notation: Notation::Compact,
            ..money(Locale::En, "USD")
        };
        assert_eq!(compact.format(1_200_000.0), "$1.2M");
    }

    #[test]
    fn prefix_and_suffix_wrap_the_number() {
        let f = NumberFormat {
            prefix: "≈ ".into(),
            suffix: " req/s".into(),
            ..NumberFormat::default()
        };
        assert_eq!(f.format(-12.0), "≈ -12 req/s");
    }

    #[test]
    fn extreme_numbers_are_written_without_panicking() {
        let f = NumberFormat::default();
        assert_eq!(f.format(f64::NAN), "—");
        assert_eq!(f.format(f64::INFINITY), "—");
        assert_eq!(f.format(f64::NEG_INFINITY), "—");
        assert_eq!(f.format(1e20), "100,000,000,000,000,000,000");
        assert_eq!(f.format(1.5e300), "1.5e300");
        assert_eq!(f.format(f64::MIN_POSITIVE), "0");
        let p = NumberFormat {
            notation: Notation::Percent,
            ..NumberFormat::default()
        };
        assert_eq!(p.format(f64::MAX), "1.8e310%");
        assert_eq!(
            f.format_value(&json!(i64::MIN)),
            "-9,223,372,036,854,775,808"
        );
        assert_eq!(
            f.format_value(&json!(u64::MAX)),
            "18,446,744,073,709,551,615"
        );
        assert_eq!(
            NumberFormat::with_decimals(2).format_value(&json!(-5)),
            "-5.00"
        );
    }

    #[test]
    fn cells_are_written_by_kind() {
        let f = num(Locale::De);
        assert_eq!(f.format_value(&json!(1234.5)), "1.234,5");
        assert_eq!(f.format_value(&json!("1234.5")), "1234.5");
        assert_eq!(f.format_value(&json!(true)), "true");
        assert_eq!(f.format_value(&Value::Null), "—");
        assert_eq!(f.format_value(&json!({"a": [1, 2]})), r#"{"a":[1,2]}"#);
        let long = f.format_value(&json!(vec!["abcdefghij"; 100]));
        assert_eq!(long.chars().count(), 80);
        assert!(long.starts_with(r#"["abcdefghij","#) && long.ends_with('…'));
        let mut deep = json!(1);
        for _ in 0..10_000 {
            deep = Value::Array(vec![deep]);
        }
        assert_eq!(f.format_value(&deep).chars().count(), 80);
        // Take the deep value apart iteratively: dropping it would recurse.
        while let Value::Array(mut items) = deep {
            deep = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn number_formats_name_their_bad_field() {
        let bad = |f: NumberFormat| f.validate().unwrap_err().field;
        assert!(NumberFormat::default().validate().is_ok());
        assert_eq!(bad(NumberFormat::with_decimals(7)), "decimals");
        let long = NumberFormat {
            suffix: "x".repeat(21),
            ..NumberFormat::default()
        };
        assert_eq!(bad(long), "suffix");
        for code in ["eur", "EURO", "E1R", ""] {
            let f = NumberFormat {
                currency: Some(code.into()),
                ..NumberFormat::default()
            };
            assert_eq!(bad(f), "currency", "{code}");
        }
    }

    #[test]
    fn old_documents_load_with_defaults_and_locales_round_trip() {
        let f: NumberFormat = serde_json::from_str(r#"{"decimals": 1}"#).unwrap();
        assert!(f.thousands);
        assert_eq!(f.locale, Locale::En);
        for l in Locale::ALL {
            let text = serde_json::to_string(&l).unwrap();
            assert_eq!(serde_json::from_str::<Locale>(&text).unwrap(), l);
        }
        assert_eq!(serde_json::to_string(&Locale::EnGb).unwrap(), r#""en_gb""#);
        let d: DateFormat = serde_json::from_str(r#"{"zone": "+05:30"}"#).unwrap();
        assert_eq!(d.pattern, "%Y-%m-%d %H:%M");
        assert_eq!(serde_json::to_string(&d.zone).unwrap(), r#""+05:30""#);
    }

    #[test]
    fn fixed_offsets_and_utc_are_read_directly() {
        assert_eq!(Zone::utc().offset_minutes_at(0), Some(0));
        assert_eq!(Zone::new("+05:30").offset_minutes_at(0), Some(330));
        assert_eq!(Zone::new("-08:00").offset_minutes_at(0), Some(-480));
        assert_eq!(Zone::new("-0330").offset_minutes_at(0), Some(-210));
        assert_eq!(Zone::new("+19:00").offset_minutes_at(0), None);
        assert_eq!(Zone::new("Mars/Olympus").offset_minutes_at(0), None);
        assert_eq!(parse_offset(""), Some(0));
        assert_eq!(parse_offset("\u{2212}02:00"), Some(-120));
        assert_eq!(parse_offset("+5:3x"), None);
    }

    #[test]
    fn paris_follows_daylight_saving_time() {
        let paris = Zone::new("Europe/Paris");
        assert_eq!(
            paris.offset_minutes_at(ms("2024-01-15T12:00:00Z")),
            Some(60)
        );
        assert_eq!(
            paris.offset_minutes_at(ms("2024-07-15T12:00:00Z")),
            Some(120)
        );
        // The switch: 2024-03-31 01:00 UTC.
        assert_eq!(
            paris.offset_minutes_at(ms("2024-03-31T00:59:59Z")),
            Some(60)
        );
        assert_eq!(
            paris.offset_minutes_at(ms("2024-03-31T01:00:00Z")),
            Some(120)
        );
        let f = DateFormat::new("%d %b %H:%M %Z", paris);
        assert_eq!(
            f.format(ms("2024-01-15T12:00:00Z")),
            "15 Jan 13:00 UTC+01:00"
        );
        assert_eq!(
            f.format(ms("2024-07-15T12:00:00Z")),
            "15 Jul 14:00 UTC+02:00"
        );
    }

    #[test]
    fn dates_are_written_in_their_zone() {
        let t = ms("2024-03-05T23:04:09Z");
        let f = |p: &str, z: &str| DateFormat::new(p, Zone::new(z)).format(t);
        assert_eq!(f("%Y-%m-%d %H:%M", "UTC"), "2024-03-05 23:04");
        assert_eq!(
            f("%Y-%m-%d %H:%M:%S %Z", "+05:30"),
            "2024-03-06 04:34:09 UTC+05:30"
        );
        assert_eq!(
            f("%a %e %b %y, %I:%M %p", "-08:00"),
            "Tue  5 Mar 24, 03:04 PM"
        );
        assert_eq!(f("%A %B %j 100%%", "UTC"), "Tuesday March 065 100%");
        assert_eq!(f("%H:%M", "Nowhere/Land"), "23:04 UTC");
        assert_eq!(f("%H:%M %Z", "Nowhere/Land"), "23:04 UTC");
        assert_eq!(DateFormat::default().format(i64::MAX), "—");
        assert_eq!(DateFormat::default().format(i64::MIN), "—");
        let de = DateFormat::new("%A, %e. %B", Zone::utc());
        assert_eq!(de.format_in(t, Locale::De), "Dienstag,  5. März");
        let fr = DateFormat::new("%a %d %b", Zone::utc());
        assert_eq!(fr.format_in(t, Locale::Fr), "mar. 05 mars");
    }

    #[test]
    fn date_formats_name_the_bad_specifier_or_zone() {
        let err = |p: &str, z: &str| DateFormat::new(p, Zone::new(z)).validate().unwrap_err();
        assert!(DateFormat::default().validate().is_ok());
        let e = err("%Y-%q", "UTC");
        assert_eq!(e.field, "pattern");
        assert!(e.message.contains("%q"), "{e}");
        assert_eq!(err("%Y %", "UTC").field, "pattern");
        assert_eq!(err(&"%Y".repeat(31), "UTC").field, "pattern");
        assert_eq!(err("%Y", "Europe/Nowhere").field, "zone");
        assert_eq!(err("%Y", "+25:00").field, "zone");
        assert_eq!(err("%Y", &"A".repeat(65)).field, "zone");
        for ok in [
            "UTC",
            "+05:30",
            "-08:00",
            "Europe/Paris",
            "America/Argentina/Buenos_Aires",
        ] {
            assert!(Zone::new(ok).validate().is_ok(), "{ok}");
        }
    }

    #[test]
    fn instants_are_read_like_the_pipeline_reads_them() {
        assert_eq!(
            parse_instant(&json!(1_700_000_000)),
            Some(1_700_000_000_000)
        );
        assert_eq!(
            parse_instant(&json!(1_700_000_000_123_i64)),
            Some(1_700_000_000_123)
        );
        assert_eq!(
            parse_instant(&json!("2024-03-01")),
            Some(ms("2024-03-01T00:00:00Z"))
        );
        assert_eq!(
            parse_instant(&json!("2024-03-01T14:00:00+02:00")),
            Some(1_709_294_400_000)
        );
        assert_eq!(parse_instant(&json!("soon")), None);
        assert_eq!(parse_instant(&json!(true)), None);
        assert_eq!(parse_instant(&json!(f64::MAX)), None);
    }

    #[test]
    fn ages_and_countdowns_read_at_a_glance() {
        assert_eq!(age(12_999), "12 s");
        assert_eq!(age(4 * 60_000 + 59_000), "4 min");
        assert_eq!(age(3 * 3_600_000), "3 h");
        assert_eq!(age(2 * 86_400_000 + 5), "2 d");
        assert_eq!(age(-5), "0 s");
        assert_eq!(age(i64::MAX), "106751991167 d");
        let dhms = ((2 * 24 + 3) * 3600 + 4 * 60 + 5) * 1000;
        assert_eq!(countdown(dhms), "2d 03:04:05");
        assert_eq!(countdown(dhms - 2 * 86_400_000), "03:04:05");
        assert_eq!(countdown(1), "00:00:01");
        assert_eq!(countdown(0), "00:00:00");
        assert_eq!(countdown(i64::MIN), "00:00:00");
        assert_eq!(countdown(i64::MAX), "106751991167d 07:12:56");
    }

    #[test]
    fn colours_are_hex_or_palette_names_and_nothing_else() {
        for ok in ["#fff", "#A0b1C2", "red", "muted"] {
            assert!(Color::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "red;background:url(x)",
            "#ff",
            "#ggg",
            "#ff00ff00",
            "Red",
            " red",
            "var(--c-red)",
            "url(javascript:alert(1))",
            "",
        ] {
            assert!(Color::parse(bad).is_err(), "{bad}");
            assert!(
                serde_json::from_value::<Color>(json!(bad)).is_err(),
                "{bad}"
            );
        }
        assert_eq!(Color::parse("red").unwrap().css(), "var(--c-red)");
        assert_eq!(Color::parse("#0a0").unwrap().css(), "#0a0");
    }

    fn thresholds() -> Thresholds {
        let c = |s: &str| Color::parse(s).unwrap();
        Thresholds {
            base: Some(c("green")),
            steps: vec![
                Step {
                    from: 50.0,
                    color: c("yellow"),
                },
                Step {
                    from: 80.0,
                    color: c("red"),
                },
            ],
        }
    }

    #[test]
    fn thresholds_take_the_last_step_reached() {
        let t = thresholds();
        let at = |v: f64| t.color_for(v).map(Color::as_str);
        assert_eq!(at(10.0), Some("green"));
        assert_eq!(at(50.0), Some("yellow"));
        assert_eq!(at(79.9), Some("yellow"));
        assert_eq!(at(80.0), Some("red"));
        assert_eq!(at(1e300), Some("red"));
        assert_eq!(at(f64::NAN), Some("green"));
        assert_eq!(Thresholds::default().color_for(1.0), None);
    }

    #[test]
    fn thresholds_name_the_bad_step() {
        assert!(thresholds().validate().is_ok());
        let mut t = thresholds();
        t.steps[1].from = 50.0;
        assert_eq!(t.validate().unwrap_err().field, "steps[1].from");
        t.steps[1].from = f64::NAN;
        assert_eq!(t.validate().unwrap_err().field, "steps[1].from");
        let mut t = thresholds();
        t.steps[0].color = Color("red;x".into());
        assert_eq!(t.validate().unwrap_err().field, "steps[0].color");
        let mut t = thresholds();
        t.steps = (0..21)
            .map(|i| Step {
                from: f64::from(i),
                color: Color::default(),
            })
            .collect();
        assert_eq!(t.validate().unwrap_err().field, "steps");
    }

    #[test]
    fn value_maps_match_text_trimmed_and_ignoring_case() {
        let entry = |equals: &str, color: &str| MapEntry {
            equals: equals.into(),
            label: Some(equals.to_uppercase()),
            color: Color::parse(color).unwrap(),
        };
        let map = ValueMap {
            entries: vec![
                entry(" Down ", "red"),
                entry("1", "green"),
                entry("true", "blue"),
            ],
        };
        assert!(map.validate().is_ok());
        let found = |v: Value| map.find(&v).map(|e| e.color.as_str());
        assert_eq!(found(json!("down")), Some("red"));
        assert_eq!(found(json!("  DOWN")), Some("red"));
        assert_eq!(found(json!(1)), Some("green"));
        assert_eq!(found(json!(1.0)), Some("green"));
        assert_eq!(found(json!(true)), Some("blue"));
        assert_eq!(found(json!("up")), None);
        assert_eq!(found(json!(["down"])), None);
        let mut big = map.clone();
        big.entries[0].label = Some("x".repeat(101));
        assert_eq!(big.validate().unwrap_err().field, "entries[0].label");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_format() -> impl Strategy<Value = NumberFormat> {
            (
                0usize..3,
                proptest::option::of(0u8..10),
                any::<bool>(),
                0usize..11,
                proptest::option::of("[A-Z]{3}"),
            )
                .prop_map(|(n, decimals, thousands, l, currency)| NumberFormat {
                    notation: [Notation::Standard, Notation::Compact, Notation::Percent][n],
                    decimals,
                    thousands,
                    currency,
                    locale: Locale::ALL[l],
                    ..NumberFormat::default()
                })
        }

        proptest! {
            #[test]
            fn no_number_makes_a_format_panic(f in any_format(), v in proptest::num::f64::ANY) {
                let text = f.format(v);
                prop_assert!(!text.is_empty());
            }

            #[test]
            fn no_instant_or_zone_makes_a_date_panic(t in any::<i64>(), z in "\\PC{0,70}", p in "\\PC{0,70}") {
                let f = DateFormat::new(p, Zone::new(z));
                let _ = f.validate();
                let _ = f.format(t);
                let _ = age(t);
                let _ = countdown(t);
            }
        }
    }
}
