//! Share links: tokens stored hashed, an optional expiry, an optional password. A
//! password-protected link's page first asks for the password (rate-limited per link
//! and client); the right one earns a pass, a cookie `wb_share_<link id>` holding an
//! HMAC of the token's hash keyed with the link's Argon2 hash, which the server checks
//! on the page, its data and its stream. Changing or revoking the link voids it.

use super::pages::escape;
use crate::startup::Core;
use crate::storage::SharedRevision;
use app::error::AppError;
use app::model::ShareToken;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::Arc;

/// Password attempts allowed per link and client address in one window.
pub const ATTEMPTS: u32 = 10;
pub const ATTEMPT_WINDOW_SECS: i64 = 300;
/// How long a pass lasts (at most until the link expires).
const PASS_SECS: i64 = 7 * 24 * 3600;

const COOKIE_PREFIX: &str = "wb_share_";

/// The hash a share token is stored and looked up by.
pub fn token_hash(token: &ShareToken) -> String {
    super::hash_secret(token.as_str())
}

/// The pass for a link: HMAC-SHA256 of the token's hash under the password's hash.
fn pass(token_hash: &str, password_hash: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(password_hash.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(token_hash.as_bytes());
    mac
}

fn pass_text(token_hash: &str, password_hash: &str) -> String {
    pass(token_hash, password_hash)
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether the request may see link `shared` (token hash `hash`): it has no password,
/// or the request carries its pass.
pub fn admits(headers: &HeaderMap, shared: &SharedRevision, hash: &str) -> bool {
    let Some(password_hash) = &shared.password_hash else {
        return true;
    };
    let name = format!("{COOKIE_PREFIX}{}", shared.link);
    let Some(given) = super::cookie(headers, &name) else {
        return false;
    };
    let Some(bytes) = hex_bytes(given) else {
        return false;
    };
    // Constant-time comparison.
    pass(hash, password_hash).verify_slice(&bytes).is_ok()
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The live link `token` opens, if the request may see it: `NotFound` for an unknown,
/// revoked or expired link (all alike), `Unauthorized` when its password is needed.
pub async fn open(
    core: &Core,
    token: &ShareToken,
    headers: &HeaderMap,
) -> Result<(SharedRevision, String), AppError> {
    let hash = token_hash(token);
    let shared = core
        .storage
        .shared_revision(&hash)
        .await
        .map_err(crate::backend::storage_error)?
        .ok_or_else(|| AppError::not_found("share link"))?;
    if !admits(headers, &shared, &hash) {
        return Err(AppError::Unauthorized {
            message: "this share link asks for a password: open its page to give it".into(),
        });
    }
    Ok((shared, hash))
}

/// The share token of a share page's path (`/s/{token}` or `/s/{token}/kiosk`).
fn page_token(path: &str) -> Option<ShareToken> {
    let rest = path.strip_prefix("/s/")?;
    let token = rest.strip_suffix("/kiosk").unwrap_or(rest);
    if token.contains('/') {
        return None;
    }
    ShareToken::parse(token).ok()
}

/// In front of every route: a share page of a password-protected link, without its
/// pass, gets the password form instead of the dashboard. Everything else goes on.
pub async fn password_gate(State(core): State<Arc<Core>>, req: Request, next: Next) -> Response {
    if *req.method() != Method::GET {
        return next.run(req).await;
    }
    let Some(token) = page_token(req.uri().path()) else {
        return next.run(req).await;
    };
    let hash = token_hash(&token);
    match core.storage.shared_revision(&hash).await {
        Ok(Some(shared)) if !admits(req.headers(), &shared, &hash) => {
            password_page(StatusCode::UNAUTHORIZED, None, req.uri().path())
        }
        _ => next.run(req).await,
    }
}

/// The password form. Share pages are served with `Referrer-Policy: no-referrer`, under
/// which a browser posts a form with `Origin: null` (and the origin check refuses it);
/// this page narrows the policy to `same-origin` instead: the token still never leaves
/// the site in a `Referer`.
fn password_page(status: StatusCode, error: Option<&str>, path: &str) -> Response {
    let body = format!(
        r#"<form method="post" action="{}"><label>Password<input name="password" type="password" autocomplete="current-password" required maxlength="256" autofocus></label>
<button class="primary" type="submit">Open</button></form>"#,
        escape(path)
    );
    super::pages::page_with(
        status,
        "This dashboard asks for a password",
        error.map(|e| ("problem", e)),
        &body,
        r#"<meta name="referrer" content="same-origin">"#,
    )
}

/// `POST /s/{token}` (and `/s/{token}/kiosk`): checks the password; the right one sets
/// the pass and goes back to the page.
pub async fn unlock(
    State(core): State<Arc<Core>>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    req_uri: axum::http::Uri,
    body: Bytes,
) -> Response {
    let path = req_uri.path().to_string();
    let gone = || {
        (
            StatusCode::NOT_FOUND,
            "this share link does not work: it is unknown, revoked or expired",
        )
            .into_response()
    };
    let Ok(token) = ShareToken::parse(token) else {
        return gone();
    };
    let hash = token_hash(&token);
    let shared = match core.storage.shared_revision(&hash).await {
        Ok(Some(shared)) => shared,
        Ok(None) => return gone(),
        Err(err) => return super::error_response(&crate::backend::storage_error(err)),
    };
    let Some(password_hash) = shared.password_hash.clone() else {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, path)]).into_response();
    };
    let password = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .ok()
        .and_then(|fields| fields.into_iter().find(|(k, _)| k == "password"))
        .map(|(_, v)| v)
        .unwrap_or_default();
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let client = peer
        .map(|p| {
            core.config
                .trusted_proxies
                .client(p.0 .0.ip(), forwarded)
                .to_string()
        })
        .unwrap_or_else(|| "unknown".into());
    let key = format!("share:{}:{client}", shared.link);
    if let Err(wait) = core.rate.hit(&key, ATTEMPTS, ATTEMPT_WINDOW_SECS).await {
        let secs = wait.div_ceil(1000);
        let mut response = password_page(
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!("Too many attempts; try again in {secs} s.")),
            &path,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return response;
    }
    if !super::password::verify(password, password_hash.clone()).await {
        return password_page(
            StatusCode::UNAUTHORIZED,
            Some("That is not the password."),
            &path,
        );
    }
    let max_age = shared
        .expires_at_ms
        .map(|e| ((e - crate::now_ms()) / 1000).clamp(1, PASS_SECS))
        .unwrap_or(PASS_SECS);
    let secure = if core.site.is_https() { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE_PREFIX}{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        shared.link,
        pass_text(&hash, &password_hash),
    );
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, path)]).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_page_paths_give_their_token() {
        let token = "t0k3n_abcdefghijklmnopqrstuvwxyz0123456789AB";
        assert!(page_token(&format!("/s/{token}")).is_some());
        assert!(page_token(&format!("/s/{token}/kiosk")).is_some());
        assert!(page_token(&format!("/s/{token}/x")).is_none());
        assert!(page_token("/s/").is_none());
        assert!(page_token("/view/abc").is_none());
    }

    #[test]
    fn a_pass_matches_its_link_and_password_only() {
        let shared = SharedRevision {
            workspace: app::model::WorkspaceId::parse("w").unwrap(),
            dashboard: app::model::DashboardId::parse("d").unwrap(),
            revision: 1,
            published_version: None,
            link: app::model::ShareLinkId::parse("l1").unwrap(),
            expires_at_ms: None,
            password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$abc$def".into()),
        };
        let good = pass_text("hash", shared.password_hash.as_ref().unwrap());
        let with = |cookie: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::COOKIE, cookie.parse().unwrap());
            h
        };
        assert!(admits(
            &with(&format!("wb_share_l1={good}")),
            &shared,
            "hash"
        ));
        assert!(!admits(
            &with(&format!("wb_share_l1={good}")),
            &shared,
            "other"
        ));
        assert!(!admits(
            &with(&format!("wb_share_l2={good}")),
            &shared,
            "hash"
        ));
        assert!(!admits(&with("wb_share_l1=00"), &shared, "hash"));
        assert!(!admits(&HeaderMap::new(), &shared, "hash"));
        let open = SharedRevision {
            password_hash: None,
            ..shared
        };
        assert!(admits(&HeaderMap::new(), &open, "hash"));
    }
}
