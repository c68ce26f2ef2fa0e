//! Reading dates and times the way sources write them, and writing them back as ISO
//! 8601: dates as `2024-03-01`, instants as UTC RFC 3339 `2024-03-01T12:00:00Z`.
//!
//! Read: RFC 3339 and ISO 8601 with or without a zone or time (`T` or a space between
//! date and time), RFC 2822, `2012/01/31`, `31.01.2012`, `01/31/2012` and `31/01/2012`
//! (a part above 12 decides which is the day; `day_first` settles the rest), month
//! names (`Jan 1 2000`, `January 1, 2000`, `1 Jan 2000`), a chrono strftime `format`,
//! Unix seconds or milliseconds, and Excel serial dates (1900 or 1904 system).
//!
//! Zones: text without a zone is read in the step's `zone`, a fixed offset such as
//! `+02:00` (UTC when none is given). IANA names (`Europe/Paris`) are not read:
//! chrono-tz 0.10 with its whole database adds about 916 KB (130 KB gzipped) to an
//! `opt-level = "z"`, LTO wasm build, measured on its own. So daylight saving time is
//! not followed: local times written all year in a zone that changes its offset are
//! read an hour off for part of the year.

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, SecondsFormat,
    TimeDelta, TimeZone, Utc,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How numbers are read as dates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberDates {
    /// Unix milliseconds from 100,000,000,000 (March 1973) up, Unix seconds below.
    /// Text is not read as a number in this mode.
    #[default]
    Auto,
    UnixSeconds,
    UnixMillis,
    /// Days since 1899-12-31 as Excel counts them, 1900-02-29 included (the Lotus
    /// leap-year bug): serial 61 is 1900-03-01. A fraction is the time of day.
    Excel,
    /// Days since 1904-01-01 (Excel for the Mac before 2011).
    Excel1904,
}

/// A fixed offset from UTC, written `Z`, `UTC`, `+02:00`, `-0530` or `+02`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(FixedOffset);

impl Zone {
    pub fn utc() -> Self {
        Zone(Utc.fix())
    }

    /// Reads an offset, or says why not.
    pub fn parse(text: &str) -> Result<Zone, String> {
        let bad = || {
            format!(
                "zone '{text}': not an offset like +02:00 (names such as Europe/Paris are not read)"
            )
        };
        let t = text.trim();
        if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
            return Ok(Zone::utc());
        }
        let (sign, rest) = match t.as_bytes().first() {
            Some(b'+') => (1, &t[1..]),
            Some(b'-') => (-1, &t[1..]),
            _ => return Err(bad()),
        };
        let digits: String = rest.chars().filter(|c| *c != ':').collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
            return Err(bad());
        }
        let hours: i32 = digits[..2].parse().map_err(|_| bad())?;
        let minutes: i32 = if digits.len() == 4 {
            digits[2..].parse().map_err(|_| bad())?
        } else {
            0
        };
        if hours > 23 || minutes > 59 {
            return Err(bad());
        }
        FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
            .map(Zone)
            .ok_or_else(bad)
    }
}

impl Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Zone::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// How a step reads dates; the default reads the usual shapes in UTC.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DateOptions {
    /// A chrono strftime pattern tried before the usual shapes.
    pub format: Option<String>,
    /// Read `01/02/2012` as 1 February rather than 2 January.
    pub day_first: bool,
    /// Where zone-less text and Excel serials are; UTC when `None`.
    pub zone: Option<Zone>,
    pub numbers: NumberDates,
}

/// What a cell says: a calendar day, or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Day(NaiveDate),
    Instant(DateTime<Utc>),
}

impl When {
    /// The day: an instant's date in UTC.
    pub fn date(self) -> NaiveDate {
        match self {
            When::Day(d) => d,
            When::Instant(t) => t.date_naive(),
        }
    }

    /// The instant: a day's midnight UTC.
    pub fn instant(self) -> DateTime<Utc> {
        match self {
            When::Day(d) => d.and_time(NaiveTime::MIN).and_utc(),
            When::Instant(t) => t,
        }
    }
}

/// `2024-03-01`.
pub fn format_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `2024-03-01T12:00:00Z`, with a fraction of a second only when there is one.
pub fn format_instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The cell as a `YYYY-MM-DD` date (`day == true`) or a UTC RFC 3339 timestamp, or
/// why not. Null and empty text stay null. A date with a zone keeps the day it names.
pub fn to_iso(value: &Value, day: bool, opts: &DateOptions) -> Result<Value, String> {
    if value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()) {
        return Ok(Value::Null);
    }
    let out = if day {
        format_date(read_day(value, opts)?)
    } else {
        format_instant(read(value, opts)?.instant())
    };
    Ok(Value::String(out))
}

/// The day a cell names: the date as written for text with a zone, the date in the
/// step's zone for numbers.
fn read_day(value: &Value, opts: &DateOptions) -> Result<NaiveDate, String> {
    if let Value::String(s) = value {
        if let Some(t) = zoned(s.trim()) {
            return Ok(t.date_naive());
        }
    }
    Ok(match read(value, opts)? {
        When::Day(d) => d,
        When::Instant(t) => {
            let zone = opts.zone.unwrap_or_else(Zone::utc).0;
            t.with_timezone(&zone).date_naive()
        }
    })
}

/// What a cell says, or why it cannot be read.
pub fn read(value: &Value, opts: &DateOptions) -> Result<When, String> {
    match value {
        Value::Number(n) => {
            let n = n.as_f64().ok_or_else(|| format!("{value} is not a date"))?;
            from_number(n, opts.numbers, opts.zone)
                .ok_or_else(|| format!("{value} is not a date in range"))
        }
        Value::String(s) => {
            let s = s.trim();
            if opts.numbers != NumberDates::Auto {
                if let Ok(n) = s.parse::<f64>() {
                    return from_number(n, opts.numbers, opts.zone)
                        .ok_or_else(|| format!("{value} is not a date in range"));
                }
            }
            from_text(s, opts).ok_or_else(|| format!("{value} is not a date"))
        }
        _ => Err(format!("{value} is not a date")),
    }
}

fn local(t: NaiveDateTime, zone: Option<Zone>) -> Option<DateTime<Utc>> {
    let zone = zone.unwrap_or_else(Zone::utc).0;
    zone.from_local_datetime(&t)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn from_number(n: f64, how: NumberDates, zone: Option<Zone>) -> Option<When> {
    // Beyond ±1e15 no reading lands inside chrono's range; the bound also keeps the
    // casts below exact.
    if !n.is_finite() || n.abs() > 1e15 {
        return None;
    }
    let millis = |ms: f64| DateTime::from_timestamp_millis(ms.round() as i64).map(When::Instant);
    match how {
        NumberDates::Auto if n.abs() >= 1e11 => millis(n),
        NumberDates::Auto | NumberDates::UnixSeconds => millis(n * 1000.0),
        NumberDates::UnixMillis => millis(n),
        NumberDates::Excel | NumberDates::Excel1904 => {
            if n < 0.0 {
                return None;
            }
            let days = n.trunc();
            let epoch = match how {
                NumberDates::Excel1904 => NaiveDate::from_ymd_opt(1904, 1, 1)?,
                // Serial 60 is the 29 February 1900 that Lotus invented.
                _ if days == 60.0 => return None,
                _ if days < 60.0 => NaiveDate::from_ymd_opt(1899, 12, 31)?,
                _ => NaiveDate::from_ymd_opt(1899, 12, 30)?,
            };
            let day = epoch.checked_add_signed(TimeDelta::try_days(days as i64)?)?;
            let ms = ((n - days) * 86_400_000.0).round() as i64;
            if ms == 0 {
                return Some(When::Day(day));
            }
            let t = day
                .and_time(NaiveTime::MIN)
                .checked_add_signed(TimeDelta::try_milliseconds(ms)?)?;
            local(t, zone).map(When::Instant)
        }
    }
}

/// Text with an explicit zone (`Z`, `+02:00`, RFC 2822), as written.
fn zoned(s: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    // "2024-03-01 12:00:00Z", "2024-03-01T12:00+0200" and friends.
    let s2 = match s.strip_suffix(['Z', 'z']) {
        Some(head) => format!("{head}+00:00"),
        None => s.to_string(),
    };
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%d %H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M%#z",
        "%Y-%m-%d %H:%M%#z",
        "%Y-%m-%d %H:%M:%S%.f %#z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&s2, f) {
            return Some(t);
        }
    }
    DateTime::parse_from_rfc2822(s).ok()
}

const LOCAL_TIMES: [&str; 6] = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
];

const DAYS: [&str; 11] = [
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%b %d %Y",
    "%b %d, %Y",
    "%B %d %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%a, %d %b %Y",
    "%A, %B %d, %Y",
];

fn from_text(s: &str, opts: &DateOptions) -> Option<When> {
    if s.len() > 100 {
        return None;
    }
    if let Some(f) = &opts.format {
        if let Some(w) = with_format(s, f, opts.zone) {
            return Some(w);
        }
    }
    if let Some(t) = zoned(s) {
        return Some(When::Instant(t.with_timezone(&Utc)));
    }
    for f in LOCAL_TIMES {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return local(t, opts.zone).map(When::Instant);
        }
    }
    for f in DAYS {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some(When::Day(d));
        }
    }
    slashed(s, opts)
}

/// Reads `s` with the strftime pattern `f`: an instant when it gives an offset or an
/// hour (missing minutes and seconds are 0), else a day.
fn with_format(s: &str, f: &str, zone: Option<Zone>) -> Option<When> {
    use chrono::format::{parse, Parsed, StrftimeItems};
    let mut p = Parsed::new();
    parse(&mut p, s, StrftimeItems::new(f)).ok()?;
    if p.timestamp().is_some() {
        return p.to_datetime_with_timezone(&Utc).ok().map(When::Instant);
    }
    if p.hour_mod_12().is_none() {
        return p.to_naive_date().ok().map(When::Day);
    }
    if p.minute().is_none() {
        p.set_minute(0).ok()?;
    }
    if p.offset().is_some() {
        return p
            .to_datetime()
            .ok()
            .map(|t| When::Instant(t.with_timezone(&Utc)));
    }
    let t = p.to_naive_datetime_with_offset(0).ok()?;
    local(t, zone).map(When::Instant)
}

/// `a/b/yyyy` (or with dashes), optionally followed by a time: a part above 12 is
/// the day, otherwise `day_first` decides.
fn slashed(s: &str, opts: &DateOptions) -> Option<When> {
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (s, None),
    };
    let sep = if date.contains('/') { '/' } else { '-' };
    let parts: Vec<&str> = date.split(sep).collect();
    let [a, b, y] = parts.as_slice() else {
        return None;
    };
    let num = |t: &str| -> Option<u32> {
        (!t.is_empty() && t.len() <= 2 && t.bytes().all(|c| c.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (a, b) = (num(a)?, num(b)?);
    if y.len() != 4 || !y.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let y: i32 = y.parse().ok()?;
    let day_first = if a > 12 {
        true
    } else if b > 12 {
        false
    } else {
        opts.day_first
    };
    let (month, day) = if day_first { (b, a) } else { (a, b) };
    let d = NaiveDate::from_ymd_opt(y, month, day)?;
    match time {
        None => Some(When::Day(d)),
        Some(t) => {
            let t = ["%H:%M:%S%.f", "%H:%M"]
                .iter()
                .find_map(|f| NaiveTime::parse_from_str(t, f).ok())?;
            local(d.and_time(t), opts.zone).map(When::Instant)
        }
    }
}

/// Year, month and day of a cell read with the default options.
pub fn ymd(value: &Value) -> Option<(i32, u32, u32)> {
    let d = read_day(value, &DateOptions::default()).ok()?;
    Some((d.year(), d.month(), d.day()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn iso(v: Value, day: bool, opts: &DateOptions) -> Result<Value, String> {
        to_iso(&v, day, opts)
    }

    fn ts(v: Value) -> String {
        iso(v.clone(), false, &DateOptions::default())
            .unwrap_or_else(|e| panic!("{v}: {e}"))
            .as_str()
            .unwrap()
            .to_string()
    }

    fn date(v: Value) -> String {
        iso(v.clone(), true, &DateOptions::default())
            .unwrap_or_else(|e| panic!("{v}: {e}"))
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn rfc3339_and_iso_text_with_a_zone_become_utc() {
        assert_eq!(ts(json!("2024-03-01T12:00:00Z")), "2024-03-01T12:00:00Z");
        assert_eq!(
            ts(json!("2024-03-01T14:00:00+02:00")),
            "2024-03-01T12:00:00Z"
        );
        assert_eq!(
            ts(json!("2024-03-01 14:00:00+0200")),
            "2024-03-01T12:00:00Z"
        );
        assert_eq!(
            ts(json!("2024-03-01T12:00:00.250Z")),
            "2024-03-01T12:00:00.250Z"
        );
        assert_eq!(ts(json!("2024-03-01 12:00Z")), "2024-03-01T12:00:00Z");
        assert_eq!(
            ts(json!("Fri, 01 Mar 2024 13:00:00 +0100")),
            "2024-03-01T12:00:00Z"
        );
    }

    #[test]
    fn text_without_a_zone_is_read_in_the_steps_zone() {
        assert_eq!(ts(json!("2024-03-01T12:00:00")), "2024-03-01T12:00:00Z");
        assert_eq!(ts(json!("2024-03-01 12:00")), "2024-03-01T12:00:00Z");
        let paris = DateOptions {
            zone: Some(Zone::parse("+01:00").unwrap()),
            ..DateOptions::default()
        };
        assert_eq!(
            iso(json!("2024-03-01 13:00:00"), false, &paris),
            Ok(json!("2024-03-01T12:00:00Z"))
        );
        assert_eq!(
            iso(json!("2024-03-01"), false, &paris),
            Ok(json!("2024-03-01T00:00:00Z")),
            "a bare date is a day, not a local midnight"
        );
        assert_eq!(
            iso(json!("2024-03-01T13:00:00Z"), false, &paris),
            Ok(json!("2024-03-01T13:00:00Z")),
            "an explicit zone wins"
        );
    }

    #[test]
    fn dates_in_the_usual_shapes_become_iso_days() {
        assert_eq!(date(json!("2012-01-01")), "2012-01-01");
        assert_eq!(date(json!("2012/01/31")), "2012-01-31");
        assert_eq!(date(json!("01/31/2012")), "2012-01-31");
        assert_eq!(date(json!("31/01/2012")), "2012-01-31");
        assert_eq!(date(json!("31.01.2012")), "2012-01-31");
        assert_eq!(date(json!("Jan 1 2000")), "2000-01-01");
        assert_eq!(date(json!("January 1, 2000")), "2000-01-01");
        assert_eq!(date(json!("1 Jan 2000")), "2000-01-01");
        assert_eq!(
            date(json!("2024-03-01T23:30:00-05:00")),
            "2024-03-01",
            "the day as written"
        );
    }

    #[test]
    fn ambiguous_slashed_dates_follow_day_first_and_a_format_wins() {
        assert_eq!(date(json!("01/02/2012")), "2012-01-02");
        let day_first = DateOptions {
            day_first: true,
            ..DateOptions::default()
        };
        assert_eq!(
            iso(json!("01/02/2012"), true, &day_first),
            Ok(json!("2012-02-01"))
        );
        let formatted = DateOptions {
            format: Some("%d|%m|%Y %Hh".to_string()),
            zone: Some(Zone::parse("+02:00").unwrap()),
            ..DateOptions::default()
        };
        assert_eq!(
            iso(json!("05|06|2020 07h"), false, &formatted),
            Ok(json!("2020-06-05T05:00:00Z")),
            "the hour is kept, minutes default to 0, the zone applies"
        );
        let unix = DateOptions {
            format: Some("%s".to_string()),
            ..DateOptions::default()
        };
        assert_eq!(iso(json!("86400"), true, &unix), Ok(json!("1970-01-02")));
        let formatted = DateOptions {
            format: Some("%d|%m|%Y".to_string()),
            ..DateOptions::default()
        };
        assert_eq!(
            iso(json!("05|06|2020"), true, &formatted),
            Ok(json!("2020-06-05"))
        );
    }

    #[test]
    fn unix_seconds_and_milliseconds_are_told_apart_by_size() {
        assert_eq!(ts(json!(1_709_294_400)), "2024-03-01T12:00:00Z");
        assert_eq!(ts(json!(1_709_294_400_000i64)), "2024-03-01T12:00:00Z");
        assert_eq!(ts(json!(1_709_294_400.5)), "2024-03-01T12:00:00.500Z");
        let millis = DateOptions {
            numbers: NumberDates::UnixMillis,
            ..DateOptions::default()
        };
        assert_eq!(
            iso(json!("86400000"), true, &millis),
            Ok(json!("1970-01-02")),
            "text is read as a number once the kind is named"
        );
        assert!(iso(json!(1e300), false, &DateOptions::default()).is_err());
    }

    #[test]
    fn excel_serials_count_the_lotus_leap_day_and_the_1904_system_does_not() {
        let excel = DateOptions {
            numbers: NumberDates::Excel,
            ..DateOptions::default()
        };
        let day = |n: Value| iso(n, true, &excel);
        assert_eq!(day(json!(1)), Ok(json!("1900-01-01")));
        assert_eq!(day(json!(59)), Ok(json!("1900-02-28")));
        assert!(day(json!(60)).is_err(), "1900-02-29 never was");
        assert_eq!(day(json!(61)), Ok(json!("1900-03-01")));
        assert_eq!(day(json!(45352)), Ok(json!("2024-03-01")));
        assert_eq!(
            iso(json!(45352.5), false, &excel),
            Ok(json!("2024-03-01T12:00:00Z"))
        );
        let mac = DateOptions {
            numbers: NumberDates::Excel1904,
            ..DateOptions::default()
        };
        assert_eq!(iso(json!(0), true, &mac), Ok(json!("1904-01-01")));
        assert_eq!(iso(json!(43890), true, &mac), Ok(json!("2024-03-01")));
        assert!(iso(json!(-1), true, &excel).is_err());
    }

    #[test]
    fn zones_are_offsets_and_names_are_refused_with_a_reason() {
        assert_eq!(Zone::parse("+02:00").unwrap().0.local_minus_utc(), 7200);
        assert_eq!(Zone::parse("-0530").unwrap().0.local_minus_utc(), -19800);
        assert_eq!(Zone::parse("Z").unwrap(), Zone::utc());
        let err = Zone::parse("Europe/Paris").unwrap_err();
        assert!(err.starts_with("zone 'Europe/Paris': "), "{err}");
        assert!(Zone::parse("+25:00").is_err());
    }

    #[test]
    fn what_is_not_a_date_says_so_and_blanks_stay_null() {
        assert_eq!(
            iso(json!("soon"), true, &DateOptions::default()),
            Err("\"soon\" is not a date".to_string())
        );
        assert!(iso(json!("02/30/2012"), true, &DateOptions::default()).is_err());
        assert!(iso(json!(true), true, &DateOptions::default()).is_err());
        assert_eq!(
            iso(json!(" "), true, &DateOptions::default()),
            Ok(Value::Null)
        );
        assert_eq!(
            iso(Value::Null, false, &DateOptions::default()),
            Ok(Value::Null)
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn no_text_makes_the_date_reader_panic(text in "\\PC{0,60}", day_first: bool) {
                for numbers in [NumberDates::Auto, NumberDates::Excel, NumberDates::UnixMillis] {
                    let opts = DateOptions { day_first, numbers, format: Some(text.clone()), zone: Zone::parse("+05:30").ok() };
                    let _ = to_iso(&Value::String(text.clone()), false, &opts);
                    let _ = to_iso(&Value::String(text.clone()), true, &opts);
                }
            }

            #[test]
            fn date_like_text_never_panics(y in 0u32..10000, a in 0u32..40, b in 0u32..40, sep in "[-/. ]") {
                let text = format!("{a}{sep}{b}{sep}{y}");
                let _ = to_iso(&Value::String(text), true, &DateOptions::default());
            }

            #[test]
            fn no_number_makes_the_date_reader_panic(n in proptest::num::f64::ANY) {
                for numbers in [NumberDates::Auto, NumberDates::Excel, NumberDates::Excel1904, NumberDates::UnixSeconds] {
                    let opts = DateOptions { numbers, ..DateOptions::default() };
                    if let Some(n) = serde_json::Number::from_f64(n) {
                        let _ = to_iso(&Value::Number(n), false, &opts);
                    }
                }
            }

            #[test]
            fn every_day_round_trips_through_its_iso_text(days in -100_000i64..100_000) {
                let d = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + TimeDelta::days(days);
                let text = format_date(d);
                prop_assert_eq!(to_iso(&Value::String(text.clone()), true, &DateOptions::default()), Ok(Value::String(text)));
            }
        }
    }
}
