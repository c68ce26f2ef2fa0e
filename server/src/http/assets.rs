//! The browser bundle under `/pkg`: wasm, JS glue and CSS, served pre-compressed
//! (`.gz` written at build time) where available, and revalidated by the browser
//! (`no-cache` with `Last-Modified`), so a new build is picked up at once.

use axum::http::{header, HeaderValue};
use axum::Router;
use std::path::Path;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

pub fn router<S: Clone + Send + Sync + 'static>(site_root: &Path) -> Router<S> {
    let dir = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new().nest_service(
        "/pkg",
        tower::ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache"),
            ))
            .service(dir),
    )
}
