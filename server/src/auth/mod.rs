//! Accounts and authorization, in one place. [`gate`] runs in front of every route: it
//! resolves the request's [`Caller`] once (a session cookie, or an API token in
//! `Authorization: Bearer wba_…`), puts it in the request's extensions, and refuses a
//! request without one unless its route is public ([`is_public`]): pages redirect to
//! the sign-in page, everything else answers 401. Handlers then ask the caller, with
//! [`Caller::may`], for the scope of what they do. The raw-socket stream path
//! (`http::lean`) calls [`resolve`] the same way.

pub mod members;
pub mod pages;
pub mod password;
pub mod shares;

use crate::startup::Core;
use app::auth::{Caller, Me, WorkspaceSummary};
use app::error::AppError;
use app::model::{UserId, WorkspaceId};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rand::RngCore as _;
use std::sync::Arc;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "wb_session";
/// How long a session lasts after sign-in.
pub const SESSION_MS: i64 = 14 * 24 * 3600 * 1000;
/// A session's last-seen time is written at most this often.
const TOUCH_EVERY_MS: i64 = 5 * 60 * 1000;
/// What an API token's secret starts with (push tokens start with `wbp_`).
pub const API_TOKEN_PREFIX: &str = "wba_";
/// The workspace that existed before accounts; the first administrator owns it.
pub const FIRST_WORKSPACE: &str = "main";
/// How long a password-reset link works.
pub const RESET_MS: i64 = 24 * 3600 * 1000;

/// A new secret: `prefix` and 256 random bits, base64url without padding.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// What is stored of a secret: its SHA-256, in hex.
pub use crate::push::hash_secret;

/// Whether `method path` is answered without a caller: health probes and metrics
/// (which check their own token), the browser assets, share pages and their streams
/// and data, images, pushes (with their own token), the demo source, and the account
/// pages themselves. Everything else needs a session or an API token.
pub fn is_public(method: &Method, path: &str) -> bool {
    let read = matches!(*method, Method::GET | Method::HEAD);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let token_page =
        |prefix: &str| matches!(segments.as_slice(), [p, t] if *p == prefix && !t.is_empty());
    match segments.as_slice() {
        ["healthz"] | ["readyz"] | ["metrics"] | ["demo", "metrics"] => read,
        ["pkg", ..] | ["favicon.ico"] => read,
        // Share pages, and their password form's answer.
        ["s", token] | ["s", token, "kiosk"] => {
            (read || *method == Method::POST) && !token.is_empty()
        }
        ["api", "v1", "live", "share", token] => read && !token.is_empty(),
        // A TV: its pairing page and what it shows, by its device cookie.
        ["tv"] | ["api", "v1", "live", "screen"] => read,
        ["api", "fn", "load_tv"] => *method == Method::POST,
        ["api", "v1", "images", id] => read && !id.is_empty(),
        ["api", "fn", "load_shared"] | ["api", "fn", "load_share_page"] => *method == Method::POST,
        ["api", "v1", "datasets", id, "rows"] => *method == Method::POST && !id.is_empty(),
        ["signin"] | ["setup"] => read || *method == Method::POST,
        ["signout"] => *method == Method::POST,
        _ => (token_page("reset") || token_page("invite")) && (read || *method == Method::POST),
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// The request's bearer API token, if it carries one (other bearer tokens, such as
/// push tokens, are for their own routes).
fn api_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (token.starts_with(API_TOKEN_PREFIX) && token.len() <= 128).then_some(token)
}

/// Who makes a request with these headers: `Ok(None)` when it names no live session
/// or token (a forged, expired or revoked one included); `Err` only when the database
/// does not answer.
pub async fn resolve(core: &Core, headers: &HeaderMap) -> Result<Option<Caller>, AppError> {
    if let Some(secret) = api_token(headers) {
        let hash = hash_secret(secret);
        let Some(token) = core
            .storage
            .api_token(&hash)
            .await
            .map_err(crate::backend::storage_error)?
        else {
            return Ok(None);
        };
        if token
            .last_used_ms
            .is_none_or(|t| crate::now_ms() - t > TOUCH_EVERY_MS)
        {
            let _ = core.storage.touch_api_token(&token.id).await;
        }
        return Ok(Some(Caller::token(
            token.user,
            token.workspace,
            token.scope,
        )));
    }
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = hash_secret(secret);
    let Some(session) = core
        .storage
        .session(&hash)
        .await
        .map_err(crate::backend::storage_error)?
    else {
        return Ok(None);
    };
    let Some(role) = session.role else {
        // No longer a member of the session's workspace.
        return Ok(None);
    };
    if crate::now_ms() - session.last_seen_ms > TOUCH_EVERY_MS {
        let _ = core.storage.touch_session(&hash).await;
    }
    Ok(Some(Caller::member(session.user, session.workspace, role)))
}

/// What revoking ends a stream opened with these credentials: the session
/// (`session:<hash>`) and the user (`user:<id>`).
pub fn revocation_keys(caller: &Caller, headers: &HeaderMap) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(secret) = cookie(headers, SESSION_COOKIE) {
        keys.push(format!("session:{}", hash_secret(secret)));
    }
    if let Some(user) = caller.user() {
        keys.push(format!("user:{user}"));
    }
    keys
}

/// The caller [`gate`] resolved for this request.
pub fn caller_of(extensions: &axum::http::Extensions) -> Result<Caller, AppError> {
    extensions
        .get::<Caller>()
        .cloned()
        .ok_or_else(AppError::unauthorized)
}

/// The scope of `action` for the caller of an axum handler (taken as
/// `Option<Extension<Caller>>`): 401 without one, 403 if it may not.
pub fn scope(
    caller: Option<axum::Extension<Caller>>,
    action: app::auth::Action,
) -> Result<app::auth::Scope, AppError> {
    caller.ok_or_else(AppError::unauthorized)?.0.may(action)
}

/// The middleware in front of every route (see the module's documentation).
pub async fn gate(State(core): State<Arc<Core>>, mut req: Request, next: Next) -> Response {
    // Assets and probes never need a caller: no session lookup for them.
    let path = req.uri().path();
    let plain = path.starts_with("/pkg/") || path == "/healthz" || path == "/readyz";
    if plain && is_public(req.method(), path) {
        return next.run(req).await;
    }
    let caller = match resolve(&core, req.headers()).await {
        Ok(caller) => caller,
        Err(err) => return error_response(&err),
    };
    match caller {
        Some(caller) => {
            req.extensions_mut().insert(caller);
        }
        None if is_public(req.method(), req.uri().path()) => {}
        None => return refuse(&core, req.method().clone(), req.uri().clone()).await,
    }
    next.run(req).await
}

/// The answer to a request that needs a caller and has none: a page goes to the
/// sign-in page (or to first-run setup while there are no users), anything else gets
/// 401 with a JSON error.
async fn refuse(core: &Core, method: Method, uri: axum::http::Uri) -> Response {
    let path = uri.path();
    let page = method == Method::GET && !path.starts_with("/api/");
    if !page {
        let mut response = error_response(&AppError::unauthorized());
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"wallboard\""),
        );
        return response;
    }
    let first_run = matches!(core.storage.count_users().await, Ok(0));
    let to = if first_run {
        "/setup".to_string()
    } else {
        let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        format!("/signin?next={}", pages::encode_component(next))
    };
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// An `AppError` as a JSON response with its status.
pub fn error_response(err: &AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(err)).into_response()
}

/// The `Set-Cookie` value that starts a session, or (`secret` `None`) ends it.
pub fn session_cookie(secret: Option<&str>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = match secret {
        Some(secret) => format!(
            "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            SESSION_MS / 1000
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).expect("a cookie of base64url is a valid header")
}

/// Starts a session for `user` in `workspace`; returns its secret (the cookie value).
pub async fn start_session(
    core: &Core,
    user: &UserId,
    workspace: &WorkspaceId,
) -> Result<String, AppError> {
    let secret = new_secret("");
    core.storage
        .insert_session(
            &hash_secret(&secret),
            user,
            workspace,
            crate::now_ms() + SESSION_MS,
        )
        .await
        .map_err(crate::backend::storage_error)?;
    Ok(secret)
}

/// Writes one line of the audit log. A failure is logged, not returned: the action it
/// records has already happened. `detail` must not hold secrets.
pub async fn audit(
    core: &Core,
    workspace: Option<&WorkspaceId>,
    actor: &str,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) {
    let entry = crate::storage::AuditEntry {
        at_ms: crate::now_ms(),
        workspace: workspace.cloned(),
        actor: actor.to_string(),
        action: action.to_string(),
        target: target.to_string(),
        detail: detail.to_string(),
    };
    if let Err(err) = core.storage.record_audit(&entry).await {
        tracing::error!(error = %err, action, "could not write the audit log");
    }
}

/// An email address as stored: trimmed and lower case; `None` if it is not one.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let fine = email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@');
    fine.then_some(email)
}

/// Why making the first administrator failed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0}")]
    Invalid(String),
    #[error("an administrator exists already: sign in, or have one issue a reset link")]
    Done,
    #[error("storage: {0}")]
    Storage(#[from] crate::storage::StorageError),
}

/// Makes the first administrator, owner of the first workspace (which holds what
/// existed before accounts). Only once: a second call, from this instance or another,
/// gets `SetupError::Done`.
pub async fn create_first_admin(
    storage: &crate::storage::Storage,
    email: &str,
    name: &str,
    password: &str,
) -> Result<UserId, SetupError> {
    let email = normalize_email(email).ok_or_else(|| {
        SetupError::Invalid(format!("'{}' is not an email address", shown(email)))
    })?;
    if let Some(why) = password::weakness(password, &email) {
        return Err(SetupError::Invalid(why));
    }
    let name = name.trim();
    if name.chars().count() > 100 {
        return Err(SetupError::Invalid(
            "a name is at most 100 characters".into(),
        ));
    }
    if storage.count_users().await? > 0 || !storage.claim_meta("setup", &email).await? {
        return Err(SetupError::Done);
    }
    let user = crate::storage::NewUser {
        name: if name.is_empty() {
            email.split('@').next().unwrap_or_default().to_string()
        } else {
            name.to_string()
        },
        email,
        password_hash: password::hash(password.to_string()).await,
        is_admin: true,
    };
    let workspace = WorkspaceId::parse(FIRST_WORKSPACE).expect("a valid id");
    storage
        .insert_user(&user, &workspace, app::auth::Role::Owner)
        .await?
        .ok_or(SetupError::Done)
}

/// A one-time link that sets a new password for `email`'s account (valid for a day).
pub async fn reset_link(
    storage: &crate::storage::Storage,
    email: &str,
    base_url: &str,
) -> Result<String, String> {
    let email = normalize_email(email)
        .ok_or_else(|| format!("'{}' is not an email address", shown(email)))?;
    let user = storage
        .user_by_email(&email)
        .await
        .map_err(|e| format!("storage: {e}"))?
        .ok_or_else(|| format!("there is no account for {email}"))?;
    let secret = new_secret("");
    storage
        .insert_password_reset(&hash_secret(&secret), &user.id, crate::now_ms() + RESET_MS)
        .await
        .map_err(|e| format!("storage: {e}"))?;
    Ok(format!("{}/reset/{secret}", base_url.trim_end_matches('/')))
}

/// Text from a request, cut short and with control characters replaced, for messages.
pub fn shown(text: &str) -> String {
    text.chars()
        .take(80)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// The signed-in user as pages show them.
pub async fn me(core: &Core, caller: &Caller) -> Result<Me, AppError> {
    let user = caller
        .user()
        .filter(|_| caller.role().is_some())
        .ok_or_else(|| AppError::Forbidden {
            message: "an API token is not a signed-in user".into(),
        })?;
    let row = core
        .storage
        .user(user)
        .await
        .map_err(crate::backend::storage_error)?
        .ok_or_else(AppError::unauthorized)?;
    let workspaces: Vec<WorkspaceSummary> = core
        .storage
        .memberships(user)
        .await
        .map_err(crate::backend::storage_error)?
        .into_iter()
        .map(|(id, name, role)| WorkspaceSummary { id, name, role })
        .collect();
    let workspace = workspaces
        .iter()
        .find(|w| &w.id == caller.workspace())
        .cloned()
        .ok_or_else(AppError::unauthorized)?;
    Ok(Me {
        email: row.email,
        name: row.name,
        is_admin: row.is_admin,
        role: workspace.role,
        workspace,
        workspaces,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documented_routes_are_public() {
        let get = Method::GET;
        let post = Method::POST;
        for (method, path) in [
            (&get, "/healthz"),
            (&get, "/pkg/wallboard.js"),
            (&get, "/s/abc"),
            (&get, "/s/abc/kiosk"),
            (&post, "/s/abc"),
            (&get, "/api/v1/live/share/abc"),
            (&post, "/api/fn/load_shared"),
            (&get, "/tv"),
            (&get, "/api/v1/live/screen"),
            (&post, "/api/fn/load_tv"),
            (&post, "/api/v1/datasets/d1/rows"),
            (&get, "/signin"),
            (&post, "/signin"),
            (&get, "/reset/abc"),
            (&post, "/invite/abc"),
        ] {
            assert!(is_public(method, path), "{method} {path}");
        }
        for (method, path) in [
            (&get, "/"),
            (&get, "/edit/d1"),
            (&get, "/view/d1"),
            (&get, "/kiosk/d1"),
            (&get, "/api/v1/live"),
            (&post, "/api/fn/list_dashboards"),
            (&post, "/api/fn/pair_screen"),
            (&post, "/tv"),
            (&post, "/api/fn/load_shared/x"),
            (&post, "/api/v1/uploads"),
            (&Method::PUT, "/s/abc"),
            (&get, "/s/"),
            (&get, "/s/a/b"),
            (&get, "/reset/"),
            (&get, "/signout"),
            (&post, "/healthz"),
        ] {
            assert!(!is_public(method, path), "{method} {path}");
        }
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; wb_session=xyz; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("xyz"));
        headers.insert(header::COOKIE, "wb_sessionx=1".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), None);
        let long = format!("wb_session={}", "a".repeat(500));
        headers.insert(header::COOKIE, long.parse().unwrap());
        assert_eq!(
            cookie(&headers, SESSION_COOKIE),
            None,
            "too long to be ours"
        );
    }

    #[test]
    fn session_cookies_are_http_only_and_lax() {
        let set = session_cookie(Some("s3cret"), true);
        let set = set.to_str().unwrap();
        assert!(set.starts_with("wb_session=s3cret;"));
        for part in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(set.contains(part), "{set}");
        }
        assert!(!session_cookie(Some("s"), false)
            .to_str()
            .unwrap()
            .contains("Secure"));
        assert!(session_cookie(None, false)
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
    }

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").as_deref(),
            Some("ada@example.com")
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.org",
            "a b@x.org",
            "a@x",
            "a@@x.org",
            "a@.x",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
