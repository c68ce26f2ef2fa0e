//! Browser entry point of the screens (`/view`, `/kiosk`, `/s/…`): hydrates
//! `app::ScreenApp`, whose router knows only those pages, so the editor, the Connect
//! data dialog and the pipeline engine are not linked into this bundle.

use wasm_bindgen::prelude::wasm_bindgen;

#[global_allocator]
static ALLOC: app::bench::CountingAlloc = app::bench::CountingAlloc;

/// Bytes the module holds allocated now (the soak benchmark reads it beside the size
/// of its linear memory).
#[wasm_bindgen]
pub fn heap_in_use() -> f64 {
    app::bench::CountingAlloc::held() as f64
}

/// Live allocations by size (see `app::bench::CountingAlloc::by_size`).
#[wasm_bindgen]
pub fn heap_by_size() -> Vec<f64> {
    app::bench::CountingAlloc::by_size()
}

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::bench::timed_hydration(|| leptos::mount::hydrate_body(app::ScreenApp));
}
