//! Fuzzes the pipeline engine: the input is a pipeline (JSON) and rows (JSON), split at
//! the first NUL byte. Reading the pipeline validates it (expressions, jq filters,
//! dates); running it must never panic, hang or exceed its row cap.
#![no_main]
use app::model::Row;
use app::pipeline::{Limits, Pipeline};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (pipeline, rows) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"[]"[..]),
    };
    let Ok(pipeline) = serde_json::from_slice::<Pipeline>(pipeline) else {
        return;
    };
    let rows: Vec<Row> = serde_json::from_slice::<Vec<serde_json::Value>>(rows)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| match v {
            serde_json::Value::Object(row) => Some(row),
            _ => None,
        })
        .collect();
    let limits = Limits {
        max_rows: 5_000,
        max_messages: 5,
    };
    if let Ok(out) = pipeline.run(rows, &limits) {
        assert!(out.rows.len() <= limits.max_rows);
    }
});
