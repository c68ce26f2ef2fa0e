//! Wallboard's shared crate: the typed model, the transformation of source data, the
//! Leptos pages and components, and the server functions between them. It compiles for
//! the server (`ssr`) and for the browser (`hydrate`) from the same source.

#![recursion_limit = "256"]

pub mod api;
pub mod bench;
pub mod components;
pub mod error;
pub mod hooks;
pub mod model;
pub mod pages;
pub mod pipeline;
pub mod syntax;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The HTML document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="dark light" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="wallboard" href="/pkg/wallboard.css" />
        <Title text="Wallboard" />
        <Router>
            <Routes fallback=|| pages::NotFound.into_view()>
                <Route path=path!("/") view=pages::HomePage ssr=SsrMode::Async />
                <Route path=path!("/edit/:id") view=pages::EditorPage ssr=SsrMode::Async />
                <Route path=path!("/view/:id") view=pages::ViewPage ssr=SsrMode::Async />
                <Route path=path!("/kiosk/:id") view=pages::KioskPage ssr=SsrMode::Async />
                <Route path=path!("/s/:token") view=pages::SharePage ssr=SsrMode::Async />
                <Route path=path!("/s/:token/kiosk") view=pages::ShareKioskPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
