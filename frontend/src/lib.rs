//! Browser entry point of the application (home page and editor): hydrates the
//! server-rendered page.

use wasm_bindgen::prelude::wasm_bindgen;

#[global_allocator]
static ALLOC: app::bench::CountingAlloc = app::bench::CountingAlloc;

/// Bytes the module holds allocated now (the soak benchmark reads it beside the size
/// of its linear memory).
#[wasm_bindgen]
pub fn heap_in_use() -> f64 {
    app::bench::CountingAlloc::held() as f64
}

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
