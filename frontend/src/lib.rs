//! Browser entry point of the application (home page and editor): hydrates the
//! server-rendered page.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::bench::timed_hydration(|| leptos::mount::hydrate_body(app::App));
}

/// The pipeline engine's browser benchmark (`end2end/bench/pipeline.cjs`).
#[wasm_bindgen]
pub fn bench_pipeline(rows: u32, runs: u32) -> Vec<f64> {
    app::bench::bench_pipeline(rows, runs)
}
