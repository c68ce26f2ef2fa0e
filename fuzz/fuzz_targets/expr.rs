//! Fuzzes the expression language of computed fields: any text is refused or parsed,
//! and a parsed expression evaluates on a row, without a panic, a stack overflow or a
//! text past the cell cap.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(expr) = app::pipeline::Expr::parse(text) {
        let row = serde_json::json!({"a": 1, "b": "two", "c": "2024-03-01", "d": null, "e": [1, 2]});
        if let Ok(serde_json::Value::String(s)) = expr.eval(row.as_object().unwrap()) {
            assert!(s.len() <= app::pipeline::budget::MAX_TEXT_BYTES);
        }
    }
});
