//! Browser entry point of the screens (`/view`, `/kiosk`, `/s/…`): hydrates
//! `app::ScreenApp`, whose router knows only those pages, so the editor, the Connect
//! data dialog and the pipeline engine are not linked into this bundle.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::bench::timed_hydration(|| leptos::mount::hydrate_body(app::ScreenApp));
}
