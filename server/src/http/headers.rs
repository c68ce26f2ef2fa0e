//! Security headers on every response, and the Content-Security-Policy nonce of each
//! page: the middleware makes a nonce per request, keeps it in the request's extensions
//! and names it in the page's CSP; [`provide_nonce`] hands the same nonce to Leptos, which
//! puts it on the hydration script and on the inline scripts that carry resolved data.

use super::site::Site;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use leptos::prelude::{provide_context, use_context};
use rand::RngCore as _;
use std::sync::Arc;

/// The nonce of one request's page (base64url of 128 random bits).
#[derive(Debug, Clone)]
pub struct CspNonce(pub Arc<str>);

impl CspNonce {
    fn new() -> Self {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Self(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(bytes)
                .into(),
        )
    }
}

/// The policy of a page whose inline scripts carry `nonce`. Styles allow `'unsafe-inline'`
/// because widget positions and sizes are `style` attributes (set on the server and
/// updated by hydration); a nonce in `style-src` would switch that off.
///
/// Image widgets may show pictures from any https address (`img-src https:`); embed
/// widgets may frame only the origins the operator lists (`frames`, from
/// `WALLBOARD_EMBED_ORIGINS`), and nothing when there are none.
pub fn content_security_policy(nonce: &str, frames: &[String]) -> String {
    let frame_src = if frames.is_empty() {
        "'none'".to_string()
    } else {
        frames.join(" ")
    };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self'; \
         connect-src 'self'; frame-src {frame_src}; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// One year, without `includeSubDomains` (other hosts of the domain are not ours).
const HSTS: &str = "max-age=31536000";

/// Adds the security headers: `X-Content-Type-Options` and `Referrer-Policy` on every
/// response (`no-referrer` under `/s/`, so a share page's token never leaves in a
/// `Referer`), the CSP and `X-Frame-Options` on HTML, HSTS when the public URL is https.
pub async fn security_headers(
    State(site): State<Arc<Site>>,
    mut req: Request,
    next: Next,
) -> Response {
    let nonce = CspNonce::new();
    req.extensions_mut().insert(nonce.clone());
    let share_page = req.uri().path().starts_with("/s/");
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(if share_page {
            "no-referrer"
        } else {
            "strict-origin-when-cross-origin"
        }),
    );
    if site.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        let csp = content_security_policy(&nonce.0, site.frame_origins());
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&csp).expect("base64 and ASCII make a valid header"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    res
}

/// Provides the request's nonce as Leptos' `Nonce`, in place of the one leptos_axum
/// makes (which no header names). Call it in the additional context of the Leptos
/// handlers: it reads the request `Parts` leptos_axum has provided by then, and does
/// nothing where there are none.
pub fn provide_nonce() {
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_gets_its_own_nonce_in_the_policy() {
        let (a, b) = (CspNonce::new(), CspNonce::new());
        assert_ne!(a.0, b.0);
        assert_eq!(a.0.len(), 22);
        let csp = content_security_policy(&a.0, &[]);
        assert!(csp.contains(&format!(
            "script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'",
            a.0
        )));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.contains("object-src 'none'"));
        assert!(!csp.contains(" 'unsafe-eval'"), "no eval of script text");
        assert!(csp.contains("frame-src 'none'"));
        let framing = content_security_policy(&a.0, &["https://grafana.example".into()]);
        assert!(framing.contains("frame-src https://grafana.example;"));
    }
}
