//! What the XML pre-checks share: a reader configured as calamine configures its own,
//! and attributes found as calamine finds them, so that a check sees what calamine
//! will read.

use quick_xml::events::BytesStart;
use std::io::BufRead;

pub(super) fn reader<R: BufRead>(input: R) -> quick_xml::Reader<R> {
    let mut xml = quick_xml::Reader::from_reader(input);
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    xml
}

/// The value of attribute `key` of `e` as calamine reads it: `key="value"` pairs up to
/// the first malformed one, the first pair called `key` winning, the value raw.
pub(super) fn attribute<'a>(e: &'a BytesStart, key: &str) -> Option<&'a str> {
    let mut raw = e.attributes_raw();
    loop {
        raw = raw.trim_start();
        let (k, rest) = raw.split_once('=')?;
        let rest = rest.trim_start();
        let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
        let rest = &rest[1..];
        let (value, rest) = rest.split_once(quote).unwrap_or((rest, ""));
        if k.trim_end() == key {
            return Some(value);
        }
        raw = rest;
    }
}

/// A whole-number attribute (a repeat count), 1 when absent or not a number.
pub(super) fn count(e: &BytesStart, key: &str) -> u64 {
    attribute(e, key)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1)
}
