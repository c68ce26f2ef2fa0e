//! Wallboard's shared crate: the typed model, the transformation of source data, the
//! Leptos pages and components, and the server functions between them. It compiles for
//! the server (`ssr`) and for the browser (`hydrate`) from the same source.

#![recursion_limit = "256"]

pub mod api;
pub mod auth;
pub mod bench;
pub mod components;
pub mod error;
pub mod hooks;
pub mod model;
pub mod pages;
pub mod pipeline;
pub mod syntax;
pub mod widgets;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// Whether `path` is a screen (view, kiosk, share page or a TV): served the viewer
/// bundle.
pub fn is_screen_path(path: &str) -> bool {
    path == "/tv"
        || ["/view/", "/kiosk/", "/s/"]
            .iter()
            .any(|p| path.starts_with(p))
}

/// The HTML document around the app; rendered on the server only. Screens load the
/// small viewer bundle (`viewer.js`, hydrating [`ScreenApp`]); every other page the
/// whole application (`wallboard.js`, hydrating [`App`]).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let screen =
        use_context::<http::request::Parts>().is_some_and(|p| is_screen_path(p.uri.path()));
    #[cfg(not(feature = "ssr"))]
    let screen = false;
    #[cfg(feature = "ssr")]
    let tv = use_context::<http::request::Parts>().is_some_and(|p| p.uri.path() == "/tv");
    #[cfg(not(feature = "ssr"))]
    let tv = false;
    #[cfg(feature = "ssr")]
    let options = {
        let mut options = options;
        if screen {
            options.output_name = "viewer".into();
        }
        options
    };
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="dark light" />
                <link rel="icon" type="image/svg+xml" href="/pkg/favicon.svg" />
                // A screen without JavaScript still shows the server's values, fresh
                // every minute.
                {screen.then(|| view! { <noscript><meta http-equiv="refresh" content="60" /></noscript> })}
                {tv.then(|| view! { <script nonce=leptos::nonce::use_nonce() inner_html=pages::TV_WATCHDOG></script> })}
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The screens alone: the same routes as [`App`] for `/view`, `/kiosk` and `/s/…`, so
/// a screen's server HTML hydrates with either.
#[component]
pub fn ScreenApp() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="wallboard" href="/pkg/wallboard.css" />
        <Title text="Wallboard" />
        <Router>
            <Routes fallback=|| pages::NotFound.into_view()>
                <Route path=path!("/view/:id") view=pages::ViewPage ssr=SsrMode::Async />
                <Route path=path!("/view/:id/v/:version") view=pages::VersionPage ssr=SsrMode::Async />
                <Route path=path!("/kiosk/:id") view=pages::KioskPage ssr=SsrMode::Async />
                <Route path=path!("/s/:token") view=pages::SharePage ssr=SsrMode::Async />
                <Route path=path!("/s/:token/kiosk") view=pages::ShareKioskPage ssr=SsrMode::Async />
                <Route path=path!("/tv") view=pages::TvPage ssr=SsrMode::Async />
            </Routes>
        </Router>
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
                <Route path=path!("/settings") view=pages::SettingsPage ssr=SsrMode::Async />
                <Route path=path!("/data") view=pages::DataPage ssr=SsrMode::Async />
                <Route path=path!("/screens") view=pages::ScreensPage ssr=SsrMode::Async />
                <Route path=path!("/edit/:id") view=pages::EditorPage ssr=SsrMode::Async />
                <Route path=path!("/view/:id") view=pages::ViewPage ssr=SsrMode::Async />
                <Route path=path!("/view/:id/v/:version") view=pages::VersionPage ssr=SsrMode::Async />
                <Route path=path!("/kiosk/:id") view=pages::KioskPage ssr=SsrMode::Async />
                <Route path=path!("/s/:token") view=pages::SharePage ssr=SsrMode::Async />
                <Route path=path!("/s/:token/kiosk") view=pages::ShareKioskPage ssr=SsrMode::Async />
                <Route path=path!("/tv") view=pages::TvPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
