//! Zones and dates: fixed offsets and IANA names, strftime patterns, ages and
//! countdowns.

use super::*;
use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta, Timelike};
use serde::{Deserialize, Serialize};

use crate::model::Invalid;

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

pub(super) fn is_utc(name: &str) -> bool {
    name.eq_ignore_ascii_case("utc") || name == "Z"
}

/// Minutes east of UTC for `+05:30`, `-0800`, `+02` or `""` (zero, as `GMT` reads in
/// the browser's `GMT+05:30`); `None` beyond ±18:00.
pub(super) fn parse_offset(text: &str) -> Option<i32> {
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
pub(super) fn iana_shape(name: &str) -> bool {
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

pub(super) struct Names {
    months: [&'static str; 12],
    months_short: [&'static str; 12],
    /// Monday first.
    days: [&'static str; 7],
    days_short: [&'static str; 7],
}

pub(super) const ENGLISH: Names = Names {
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

pub(super) const GERMAN: Names = Names {
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

pub(super) const FRENCH: Names = Names {
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

pub(super) fn write_pattern(pattern: &str, t: &NaiveDateTime, zone: &str, names: &Names) -> String {
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
