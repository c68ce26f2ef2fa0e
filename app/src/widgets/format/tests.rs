//! Unit tests of every writer: locales, compact, currency, dates and zones,
//! thresholds and value maps.

use super::*;
use serde_json::{json, Value};

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
