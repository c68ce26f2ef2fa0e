//! Fuzzes the jq entry (`JqFilter::parse`: the text bounds, then jaq's parser and
//! compiler): any text is refused or compiled without a panic or a stack overflow.
//! Running filters is bounded by the server's worker process, not fuzzed here.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = app::pipeline::JqFilter::parse(text);
    }
});
