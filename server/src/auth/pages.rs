//! The account pages: first-run setup, sign-in, sign-out and password reset. Plain
//! HTML forms rendered here (no script, no application bundle), posted back to the
//! same path. Every form body is bounded (the router's 1 MiB limit, and each field's
//! own length) and read with an error page, never a panic, when it is malformed.

use super::{password, Caller};
use crate::startup::Core;
use app::auth::Role;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// Sign-in attempts allowed per account, and per client address, in one window.
pub const ATTEMPTS_PER_ACCOUNT: u32 = 10;
pub const ATTEMPTS_PER_CLIENT: u32 = 30;
pub const ATTEMPT_WINDOW_SECS: i64 = 300;

/// Largest value of any one form field (a password is checked against its own bound).
const MAX_FIELD_BYTES: usize = 1024;

/// Escapes text for HTML content and attribute values.
pub use app::widgets::escape_xml as escape;

/// Percent-encodes `text` for a query value.
pub fn encode_component(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A local path to go to after signing in: a path on this site, nothing else (no
/// `//host`, no scheme, no backslash tricks).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.len() <= 2000
                && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// One account page: a title, an optional message, and a form.
fn page(status: StatusCode, title: &str, message: Option<(&str, &str)>, body: &str) -> Response {
    page_with(status, title, message, body, "")
}

/// An account page with `head` (trusted markup) added to its `<head>`.
pub(super) fn page_with(
    status: StatusCode,
    title: &str,
    message: Option<(&str, &str)>,
    body: &str,
    head: &str,
) -> Response {
    let message = message
        .map(|(class, text)| format!(r#"<p class="{class}" role="alert">{}</p>"#, escape(text)))
        .unwrap_or_default();
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark light">{head}
<link rel="icon" type="image/svg+xml" href="/pkg/favicon.svg">
<link rel="stylesheet" href="/pkg/wallboard.css">
<title>{title} · Wallboard</title></head>
<body><main class="account-page"><h1>{title}</h1>{message}{body}</main></body></html>"#,
        title = escape(title),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

/// The fields of a new account: email, name, password twice.
fn account_fields(email: &str, name: &str) -> String {
    let password_label = format!("Password (at least {} characters)", password::MIN_CHARS);
    [
        field("email", "Email", "email", email, "username"),
        field("name", "Name", "text", name, "name"),
        field("password", &password_label, "password", "", "new-password"),
        field("confirm", "Password again", "password", "", "new-password"),
    ]
    .concat()
}

fn field(name: &str, label: &str, kind: &str, value: &str, autocomplete: &str) -> String {
    format!(
        r#"<label>{label}<input name="{name}" type="{kind}" value="{value}" autocomplete="{autocomplete}" required maxlength="{MAX_FIELD_BYTES}"></label>"#,
        label = escape(label),
        value = escape(value),
    )
}

/// Reads a urlencoded form; `Err` is the message for the page.
fn read_form<T: for<'de> Deserialize<'de>>(headers: &HeaderMap, body: &[u8]) -> Result<T, String> {
    let urlencoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !urlencoded {
        return Err("send the form as application/x-www-form-urlencoded".into());
    }
    let fields: HashMap<String, String> =
        serde_urlencoded::from_bytes(body).map_err(|e| format!("the form cannot be read: {e}"))?;
    if let Some((name, _)) = fields.iter().find(|(_, v)| v.len() > MAX_FIELD_BYTES) {
        return Err(format!(
            "{} is longer than {MAX_FIELD_BYTES} bytes",
            super::shown(name)
        ));
    }
    serde_urlencoded::from_bytes(body).map_err(|e| format!("the form cannot be read: {e}"))
}

fn client_of(core: &Core, req_headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    let forwarded = req_headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    match peer {
        Some(peer) => core
            .config
            .trusted_proxies
            .client(peer.ip(), forwarded)
            .to_string(),
        None => "unknown".into(),
    }
}

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

fn signed_in(core: &Core, secret: &str, to: &str) -> Response {
    let mut response = redirect(to);
    response.headers_mut().insert(
        header::SET_COOKIE,
        super::session_cookie(Some(secret), core.site.is_https()),
    );
    response
}

// --- setup ---

fn setup_form(status: StatusCode, error: Option<&str>, email: &str, name: &str) -> Response {
    let body = format!(
        r#"<p class="hint">Wallboard has no accounts yet. Make the first administrator: they own the workspace that holds every dashboard and dataset there is.</p>
<form method="post" action="/setup">{}<button class="primary" type="submit">Create the administrator</button></form>"#,
        account_fields(email, name),
    );
    page(
        status,
        "Set up Wallboard",
        error.map(|e| ("problem", e)),
        &body,
    )
}

pub async fn setup_page(State(core): State<Arc<Core>>) -> Response {
    match core.storage.count_users().await {
        Ok(0) => setup_form(StatusCode::OK, None, "", ""),
        Ok(_) => redirect("/signin"),
        Err(err) => super::error_response(&crate::backend::storage_error(err)),
    }
}

#[derive(Deserialize)]
struct SetupForm {
    email: String,
    #[serde(default)]
    name: String,
    password: String,
    confirm: String,
}

pub async fn setup(State(core): State<Arc<Core>>, headers: HeaderMap, body: Bytes) -> Response {
    let form: SetupForm = match read_form(&headers, &body) {
        Ok(form) => form,
        Err(why) => return setup_form(StatusCode::BAD_REQUEST, Some(&why), "", ""),
    };
    if form.password != form.confirm {
        return setup_form(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("the two passwords differ"),
            &form.email,
            &form.name,
        );
    }
    match super::create_first_admin(&core.storage, &form.email, &form.name, &form.password).await {
        Ok(user) => {
            let workspace = app::model::WorkspaceId::parse(super::FIRST_WORKSPACE).expect("valid");
            let actor = format!("user:{user}");
            super::audit(
                &core,
                Some(&workspace),
                &actor,
                "setup",
                &actor,
                serde_json::json!({}),
            )
            .await;
            match super::start_session(&core, &user, &workspace).await {
                Ok(secret) => signed_in(&core, &secret, "/"),
                Err(err) => super::error_response(&err),
            }
        }
        Err(super::SetupError::Invalid(why)) => setup_form(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&why),
            &form.email,
            &form.name,
        ),
        Err(super::SetupError::Done) => redirect("/signin"),
        Err(super::SetupError::Storage(err)) => {
            super::error_response(&crate::backend::storage_error(err))
        }
    }
}

// --- sign in and out ---

fn signin_form(
    status: StatusCode,
    message: Option<(&str, &str)>,
    email: &str,
    next: &str,
) -> Response {
    let body = format!(
        r#"<form method="post" action="/signin">{}{}<input type="hidden" name="next" value="{}"><button class="primary" type="submit">Sign in</button></form>
<p class="hint">Forgot the password? An owner or administrator can issue a reset link (<code>wallboard reset-password EMAIL</code>).</p>"#,
        field("email", "Email", "email", email, "username"),
        field("password", "Password", "password", "", "current-password"),
        escape(next),
    );
    page(status, "Sign in to Wallboard", message, &body)
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    reset: Option<String>,
}

pub async fn signin_page(
    State(core): State<Arc<Core>>,
    axum::extract::Query(query): axum::extract::Query<NextQuery>,
) -> Response {
    if matches!(core.storage.count_users().await, Ok(0)) {
        return redirect("/setup");
    }
    let message = query
        .reset
        .is_some()
        .then_some(("ok", "Your password is changed; sign in with it."));
    signin_form(
        StatusCode::OK,
        message,
        "",
        &safe_next(query.next.as_deref()),
    )
}

#[derive(Deserialize)]
struct SigninForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn signin(
    State(core): State<Arc<Core>>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: SigninForm = match read_form(&headers, &body) {
        Ok(form) => form,
        Err(why) => return signin_form(StatusCode::BAD_REQUEST, Some(("problem", &why)), "", "/"),
    };
    let next = safe_next(form.next.as_deref());
    let client = client_of(&core, &headers, peer.map(|p| p.0 .0));
    let email = super::normalize_email(&form.email).unwrap_or_default();
    for (key, limit) in [
        (format!("signin:client:{client}"), ATTEMPTS_PER_CLIENT),
        (format!("signin:account:{email}"), ATTEMPTS_PER_ACCOUNT),
    ] {
        if let Err(wait_ms) = core.rate.hit(&key, limit, ATTEMPT_WINDOW_SECS).await {
            let secs = wait_ms.div_ceil(1000);
            let mut response = signin_form(
                StatusCode::TOO_MANY_REQUESTS,
                Some((
                    "problem",
                    &format!("Too many sign-in attempts; try again in {secs} s."),
                )),
                &form.email,
                &next,
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, secs.into());
            return response;
        }
    }
    let user = match core.storage.user_by_email(&email).await {
        Ok(user) => user,
        Err(err) => return super::error_response(&crate::backend::storage_error(err)),
    };
    let phc = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::decoy().to_string());
    let matches = password::verify(form.password, phc).await && user.is_some();
    let Some(user) = user.filter(|_| matches) else {
        super::audit(
            &core,
            None,
            &format!("client:{client}"),
            "sign_in_failed",
            &format!("email:{}", super::shown(&email)),
            serde_json::json!({}),
        )
        .await;
        return signin_form(
            StatusCode::UNAUTHORIZED,
            Some(("problem", "The email or the password is wrong.")),
            &form.email,
            &next,
        );
    };
    let memberships = match core.storage.memberships(&user.id).await {
        Ok(m) => m,
        Err(err) => return super::error_response(&crate::backend::storage_error(err)),
    };
    let Some((workspace, _, _)) = memberships.into_iter().next() else {
        return signin_form(
            StatusCode::FORBIDDEN,
            Some((
                "problem",
                "This account belongs to no workspace any more; ask an owner to invite it again.",
            )),
            &form.email,
            &next,
        );
    };
    // A new session on every sign-in; the one this browser had (if any) ends.
    if let Some(old) = super::cookie(&headers, super::SESSION_COOKIE) {
        let _ = core.storage.delete_session(&super::hash_secret(old)).await;
    }
    let actor = format!("user:{}", user.id);
    super::audit(
        &core,
        Some(&workspace),
        &actor,
        "sign_in",
        &actor,
        serde_json::json!({"client": client}),
    )
    .await;
    match super::start_session(&core, &user.id, &workspace).await {
        Ok(secret) => signed_in(&core, &secret, &next),
        Err(err) => super::error_response(&err),
    }
}

#[derive(Deserialize)]
struct SignoutForm {
    #[serde(default)]
    everywhere: Option<String>,
}

/// `POST /signout`: ends this session, or with `everywhere=1` every session of the
/// user on every instance.
pub async fn signout(State(core): State<Arc<Core>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let everywhere = read_form::<SignoutForm>(&parts.headers, &body)
        .ok()
        .and_then(|f| f.everywhere)
        .is_some_and(|v| v == "1");
    if let Some(secret) = super::cookie(&parts.headers, super::SESSION_COOKIE) {
        let hash = super::hash_secret(secret);
        let caller = parts.extensions.get::<Caller>();
        match (everywhere, caller.and_then(|c| c.user())) {
            (true, Some(user)) => {
                let _ = core.storage.delete_sessions_of(user).await;
                // Streams the user has open, on every instance, end.
                core.bus.revoke(&format!("user:{user}")).await;
                let actor = format!("user:{user}");
                super::audit(
                    &core,
                    caller.map(|c| c.workspace()),
                    &actor,
                    "sign_out_everywhere",
                    &actor,
                    serde_json::json!({}),
                )
                .await;
            }
            _ => {
                let _ = core.storage.delete_session(&hash).await;
                core.bus.revoke(&format!("session:{hash}")).await;
            }
        }
    }
    let mut response = redirect("/signin");
    response.headers_mut().insert(
        header::SET_COOKIE,
        super::session_cookie(None, core.site.is_https()),
    );
    response
}

// --- invitations ---

fn invite_page(
    status: StatusCode,
    error: Option<&str>,
    token: &str,
    workspace: &str,
    role: Role,
    signed_in_as: Option<&str>,
) -> Response {
    let title = format!("Join {workspace}");
    let action = format!("/invite/{}", escape(token));
    let body = match signed_in_as {
        Some(email) => format!(
            r#"<p>You are invited as <strong>{role}</strong>. Join as {email}?</p>
<form method="post" action="{action}"><input type="hidden" name="join" value="1"><button class="primary" type="submit">Join</button></form>"#,
            role = role.as_str(),
            email = escape(email),
        ),
        None => format!(
            r#"<p>You are invited as <strong>{role}</strong>. Make your account:</p>
<form method="post" action="{action}">{}<button class="primary" type="submit">Create the account and join</button></form>
<p class="hint">Have an account already? <a href="/signin?next={next}">Sign in</a>, then open this link again.</p>"#,
            account_fields("", ""),
            role = role.as_str(),
            next = encode_component(&format!("/invite/{token}")),
        ),
    };
    page(status, &title, error.map(|e| ("problem", e)), &body)
}

pub async fn invite_landing(
    State(core): State<Arc<Core>>,
    Path(token): Path<String>,
    caller: Option<axum::Extension<Caller>>,
) -> Response {
    if token.len() > 128 {
        return dead_link();
    }
    let (_, name, role) = match core.storage.invite(&super::hash_secret(&token)).await {
        Ok(Some(invite)) => invite,
        Ok(None) => return dead_link(),
        Err(err) => return super::error_response(&crate::backend::storage_error(err)),
    };
    let email = match caller.as_ref().and_then(|c| c.user().cloned()) {
        Some(user) => match core.storage.user(&user).await {
            Ok(row) => row.map(|r| r.email),
            Err(err) => return super::error_response(&crate::backend::storage_error(err)),
        },
        None => None,
    };
    invite_page(StatusCode::OK, None, &token, &name, role, email.as_deref())
}

#[derive(Deserialize)]
struct JoinForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /invite/{token}`: a signed-in user joins; anyone else makes an account and
/// joins. The invitation is used up either way, once.
pub async fn join(
    State(core): State<Arc<Core>>,
    Path(token): Path<String>,
    caller: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if token.len() > 128 {
        return dead_link();
    }
    let hash = super::hash_secret(&token);
    let (_, ws_name, role) = match core.storage.invite(&hash).await {
        Ok(Some(invite)) => invite,
        Ok(None) => return dead_link(),
        Err(err) => return super::error_response(&crate::backend::storage_error(err)),
    };
    let form: JoinForm = match read_form(&headers, &body) {
        Ok(form) => form,
        Err(why) => {
            return invite_page(
                StatusCode::BAD_REQUEST,
                Some(&why),
                &token,
                &ws_name,
                role,
                None,
            )
        }
    };
    let existing = caller.as_ref().and_then(|c| c.user().cloned());
    let (user, new_user) = match existing {
        Some(user) => (user, None),
        None => {
            let again =
                |status, why: &str| invite_page(status, Some(why), &token, &ws_name, role, None);
            let Some(email) = super::normalize_email(&form.email) else {
                return again(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "that is not an email address",
                );
            };
            if form.password != form.confirm {
                return again(StatusCode::UNPROCESSABLE_ENTITY, "the two passwords differ");
            }
            if let Some(why) = password::weakness(&form.password, &email) {
                return again(StatusCode::UNPROCESSABLE_ENTITY, &why);
            }
            let name = form.name.trim();
            if name.chars().count() > 100 {
                return again(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "a name is at most 100 characters",
                );
            }
            match core.storage.user_by_email(&email).await {
                Ok(Some(_)) => {
                    return again(
                        StatusCode::CONFLICT,
                        "an account with this email exists: sign in, then open this link again",
                    )
                }
                Ok(None) => {}
                Err(err) => return super::error_response(&crate::backend::storage_error(err)),
            }
            let new = crate::storage::NewUser {
                name: if name.is_empty() {
                    email.split('@').next().unwrap_or_default().to_string()
                } else {
                    name.to_string()
                },
                email,
                password_hash: password::hash(form.password).await,
                is_admin: false,
            };
            let id = app::model::UserId::parse(crate::new_id()).expect("hex is a valid id");
            (id, Some(new))
        }
    };
    let (workspace, role) = match core
        .storage
        .redeem_invite(&hash, &user, new_user.as_ref())
        .await
    {
        Ok(Some(joined)) => joined,
        Ok(None) => return dead_link(),
        Err(err) => return super::error_response(&crate::backend::storage_error(err)),
    };
    let actor = format!("user:{user}");
    super::audit(
        &core,
        Some(&workspace),
        &actor,
        "member_joined",
        &actor,
        serde_json::json!({"role": role}),
    )
    .await;
    // A signed-in user's session moves to the workspace; a new account gets one.
    if let Some(secret) =
        super::cookie(&headers, super::SESSION_COOKIE).filter(|_| new_user.is_none())
    {
        let _ = core
            .storage
            .switch_session(&super::hash_secret(secret), &workspace)
            .await;
        return redirect("/");
    }
    match super::start_session(&core, &user, &workspace).await {
        Ok(secret) => signed_in(&core, &secret, "/"),
        Err(err) => super::error_response(&err),
    }
}

// --- workspaces ---

#[derive(Deserialize)]
struct SwitchForm {
    workspace: String,
}

/// `POST /workspace`: moves this session to another workspace of the user.
pub async fn switch_workspace(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(secret) = super::cookie(&headers, super::SESSION_COOKIE) else {
        return super::error_response(&app::error::AppError::unauthorized());
    };
    let form: SwitchForm = match read_form(&headers, &body) {
        Ok(form) => form,
        Err(why) => {
            return super::error_response(&app::error::AppError::Invalid {
                field: "form".into(),
                message: why,
            })
        }
    };
    let Ok(workspace) = app::model::WorkspaceId::parse(form.workspace) else {
        return super::error_response(&app::error::AppError::not_found("workspace"));
    };
    match core
        .storage
        .switch_session(&super::hash_secret(secret), &workspace)
        .await
    {
        Ok(true) => redirect("/"),
        Ok(false) => super::error_response(&app::error::AppError::not_found("workspace")),
        Err(err) => super::error_response(&crate::backend::storage_error(err)),
    }
}

// --- password reset ---

fn reset_form(status: StatusCode, error: Option<&str>, token: &str) -> Response {
    let body = format!(
        r#"<form method="post" action="/reset/{}">{}{}<button class="primary" type="submit">Set the password</button></form>"#,
        escape(token),
        field(
            "password",
            &format!("New password (at least {} characters)", password::MIN_CHARS),
            "password",
            "",
            "new-password"
        ),
        field(
            "confirm",
            "New password again",
            "password",
            "",
            "new-password"
        ),
    );
    page(
        status,
        "Choose a new password",
        error.map(|e| ("problem", e)),
        &body,
    )
}

fn dead_link() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "This link does not work",
        Some((
            "problem",
            "The link is unknown, used already, or expired: ask for a new one.",
        )),
        r#"<p><a href="/signin">Sign in</a></p>"#,
    )
}

pub async fn reset_page(State(core): State<Arc<Core>>, Path(token): Path<String>) -> Response {
    if token.len() > 128 {
        return dead_link();
    }
    match core
        .storage
        .password_reset(&super::hash_secret(&token))
        .await
    {
        Ok(Some(_)) => reset_form(StatusCode::OK, None, &token),
        Ok(None) => dead_link(),
        Err(err) => super::error_response(&crate::backend::storage_error(err)),
    }
}

#[derive(Deserialize)]
struct ResetForm {
    password: String,
    confirm: String,
}

pub async fn reset(
    State(core): State<Arc<Core>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if token.len() > 128 {
        return dead_link();
    }
    let hash = super::hash_secret(&token);
    let user = match core.storage.password_reset(&hash).await {
        Ok(Some(user)) => user,
        Ok(None) => return dead_link(),
        Err(err) => return super::error_response(&crate::backend::storage_error(err)),
    };
    let form: ResetForm = match read_form(&headers, &body) {
        Ok(form) => form,
        Err(why) => return reset_form(StatusCode::BAD_REQUEST, Some(&why), &token),
    };
    if form.password != form.confirm {
        return reset_form(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("the two passwords differ"),
            &token,
        );
    }
    let email = match core.storage.user(&user).await {
        Ok(Some(row)) => row.email,
        Ok(None) => return dead_link(),
        Err(err) => return super::error_response(&crate::backend::storage_error(err)),
    };
    if let Some(why) = password::weakness(&form.password, &email) {
        return reset_form(StatusCode::UNPROCESSABLE_ENTITY, Some(&why), &token);
    }
    let phc = password::hash(form.password).await;
    match core.storage.redeem_password_reset(&hash, &phc).await {
        Ok(Some(user)) => {
            let actor = format!("user:{user}");
            super::audit(
                &core,
                None,
                &actor,
                "password_reset",
                &actor,
                serde_json::json!({}),
            )
            .await;
            redirect("/signin?reset=1")
        }
        Ok(None) => dead_link(),
        Err(err) => super::error_response(&crate::backend::storage_error(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/edit/abc?x=1")), "/edit/abc?x=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "edit",
            "",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
