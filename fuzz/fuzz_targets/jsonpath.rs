//! Fuzzes the JSONPath entry (`syntax::json_path`, behind every dataset path,
//! pagination link and `json_path` step): any text is refused or parsed without a
//! panic or a stack overflow, and a parsed query runs on a small document.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(path) = app::syntax::json_path(text) {
        let doc = serde_json::json!({"a": [1, {"b": "x", "c": [true, null]}], "d": {"e": 2.5}});
        let _ = path.query(&doc).all();
    }
});
