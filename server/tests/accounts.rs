//! Accounts and authorization against a real server: first-run setup, sign-in and
//! out, sessions, password resets, the route-coverage walk over the router's own
//! tables, the authorization matrix (roles × actions, on SQLite and PostgreSQL), and
//! forged, expired and hostile credentials.

#[macro_use]
mod common;

use app::auth::Role;
use app::model::WorkspaceId;
use common::{
    plain_client, session_of, sign_in, signed_client, spawn_app, spawn_bare, Backend, TestApp,
    ADMIN_EMAIL, ADMIN_PASSWORD,
};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use wallboard_server::storage::{NewUser, Storage};

/// Makes a user with `role` in workspace `ws` straight in storage, then signs them in
/// over HTTP; returns their session cookie.
async fn member(
    app: &TestApp,
    storage: &Storage,
    ws: &WorkspaceId,
    email: &str,
    role: Role,
) -> String {
    let password = "plum tangerine kiwi";
    storage
        .insert_user(
            &NewUser {
                email: email.into(),
                name: email.into(),
                password_hash: wallboard_server::auth::password::hash_now(password),
                is_admin: false,
            },
            ws,
            role,
        )
        .await
        .unwrap()
        .expect("a new email");
    let res = sign_in(&app.base, email, password).await;
    assert_eq!(res.status(), 303, "{email} signs in");
    session_of(&res).expect("a session cookie")
}

fn main_ws() -> WorkspaceId {
    WorkspaceId::parse("main").unwrap()
}

/// A concrete path for a route pattern: each `{param}` or `:param` segment becomes `x1`.
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') || seg.starts_with(':') || seg.starts_with('*') {
                "x1"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn send(client: &reqwest::Client, method: Method, url: &str) -> reqwest::Response {
    let request = client.request(method.clone(), url);
    let request = if method == Method::POST {
        request
            .header("content-type", "application/json")
            .body("{}")
    } else {
        request
    };
    request.send().await.expect("the server answers")
}

#[tokio::test]
async fn without_a_session_every_route_but_the_public_ones_refuses() {
    let app = spawn_app(Backend::Sqlite).await;
    let anonymous = plain_client();
    let mut public = Vec::new();
    let table = wallboard_server::startup::route_table();
    assert!(table.len() > 40, "the table holds every route: {table:?}");
    for (method, pattern) in table {
        let path = concrete(&pattern);
        let res = send(&anonymous, method.clone(), &format!("{}{path}", app.base)).await;
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        // The gate's refusals: a redirect to sign in, or 401 naming Wallboard's realm
        // (routes with tokens of their own, like /metrics, answer 401 without it).
        let realm = res.headers().get("www-authenticate").is_some_and(|v| {
            v.to_str()
                .unwrap_or_default()
                .contains("realm=\"wallboard\"")
        });
        let refused =
            (status == 401 && realm) || (status == 303 && location.starts_with("/signin?next="));
        if wallboard_server::auth::is_public(&method, &path) {
            assert!(
                !refused,
                "{method} {pattern} is public but answered {status}"
            );
            public.push(format!("{method} {pattern}"));
        } else {
            assert!(
                refused,
                "{method} {pattern} answered {status} {location} without a session"
            );
            if pattern.starts_with("/api/") {
                assert_eq!(status, 401, "{method} {pattern}: an API answers 401");
                let body: Value = res.json().await.unwrap();
                assert_eq!(body["error"], "unauthorized", "{body}");
            }
        }
    }
    public.sort();
    // What answers without a session, as documented in the README.
    let expected = [
        "GET /api/v1/images/{id}",
        "GET /api/v1/live/screen",
        "GET /api/v1/live/share/{token}",
        "GET /demo/metrics",
        "GET /healthz",
        "GET /invite/{token}",
        "GET /metrics",
        "GET /pkg/wallboard.css",
        "GET /readyz",
        "GET /reset/{token}",
        "GET /s/:token",
        "GET /s/:token/kiosk",
        "GET /setup",
        "GET /signin",
        "GET /tv",
        "POST /api/fn/load_share_page",
        "POST /api/fn/load_shared",
        "POST /api/fn/load_tv",
        "POST /api/v1/datasets/{id}/rows",
        "POST /invite/{token}",
        "POST /reset/{token}",
        "POST /s/{token}",
        "POST /s/{token}/kiosk",
        "POST /setup",
        "POST /signin",
        "POST /signout",
    ];
    let normalized: Vec<String> = public
        .iter()
        .map(|r| r.replace("{token}", ":token").replace(":token", "{token}"))
        .collect();
    let expected: Vec<String> = expected
        .iter()
        .map(|r| r.replace(":token", "{token}"))
        .collect();
    assert_eq!(normalized, expected);
    // Unknown paths are not a way around it either.
    let res = send(
        &anonymous,
        Method::GET,
        &format!("{}/no/such/page", app.base),
    )
    .await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn the_first_visit_sets_up_the_administrator_once() {
    let app = spawn_bare(Backend::Sqlite, &[]).await;
    let anonymous = plain_client();
    let res = anonymous
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/setup");
    let page = anonymous
        .get(format!("{}/setup", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("first administrator"), "{page}");

    // A weak password is refused with the reason, and nothing is made.
    let res = anonymous
        .post(format!("{}/setup", app.base))
        .form(&[
            ("email", "a@x.org"),
            ("password", "password123"),
            ("confirm", "password123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("common"));
    let storage = app.db.storage().await;
    assert_eq!(storage.count_users().await.unwrap(), 0);

    let cookie = common::setup_admin(&app.base).await;
    let me = signed_client(&cookie)
        .post(format!("{}/api/fn/me", app.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["role"], "owner");
    assert_eq!(me["workspace"]["id"], "main");

    // A second setup (another browser, another instance) makes no second administrator.
    let res = anonymous
        .post(format!("{}/setup", app.base))
        .form(&[
            ("email", "mallory@x.org"),
            ("password", "plum tangerine kiwi"),
            ("confirm", "plum tangerine kiwi"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/signin");
    assert!(session_of(&res).is_none());
    assert_eq!(storage.count_users().await.unwrap(), 1);
}

#[tokio::test]
async fn sign_in_rotates_sessions_and_sign_out_ends_them() {
    let app = spawn_app(Backend::Sqlite).await;
    let wrong = sign_in(&app.base, ADMIN_EMAIL, "not the password").await;
    assert_eq!(wrong.status(), 401);
    assert!(session_of(&wrong).is_none());
    let unknown = sign_in(&app.base, "nobody@x.org", ADMIN_PASSWORD).await;
    assert_eq!(
        unknown.status(),
        401,
        "an unknown account looks like a wrong password"
    );

    let first = session_of(&sign_in(&app.base, ADMIN_EMAIL, ADMIN_PASSWORD).await).unwrap();
    let second =
        session_of(&sign_in(&app.base, &ADMIN_EMAIL.to_uppercase(), ADMIN_PASSWORD).await).unwrap();
    assert_ne!(first, second, "every sign-in starts a new session");
    let works = |cookie: String| {
        let base = app.base.clone();
        async move {
            signed_client(&cookie)
                .post(format!("{base}/api/fn/list_dashboards"))
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(works(first.clone()).await, 200);
    assert_eq!(works(second.clone()).await, 200);

    // Signing out ends that session only.
    let res = signed_client(&first)
        .post(format!("{}/signout", app.base))
        .send()
        .await
        .unwrap();
    assert!(res.url().path().ends_with("/signin"));
    assert_eq!(works(first.clone()).await, 401);
    assert_eq!(works(second.clone()).await, 200);

    // Everywhere ends every session of the user.
    let res = plain_client()
        .post(format!("{}/signout", app.base))
        .header("cookie", &second)
        .form(&[("everywhere", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cleared = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(works(second.clone()).await, 401);
    assert_eq!(
        works(app.cookie.clone()).await,
        401,
        "the setup session too"
    );

    // The audit log has the sign-ins and the failure, without any password.
    let storage = app.db.storage().await;
    let entries = storage.audit_entries(None, None, 100).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"sign_in_failed"), "{actions:?}");
    assert!(actions.contains(&"sign_in"), "{actions:?}");
    assert!(actions.contains(&"sign_out_everywhere"), "{actions:?}");
    for e in &entries {
        let text = format!("{e:?}");
        assert!(
            !text.contains(ADMIN_PASSWORD) && !text.contains("not the password"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_account() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut statuses = Vec::new();
    for _ in 0..wallboard_server::auth::pages::ATTEMPTS_PER_ACCOUNT + 1 {
        statuses.push(
            sign_in(&app.base, ADMIN_EMAIL, "wrong password!")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // Over the limit, even the right password waits: guessing gains nothing.
    let res = sign_in(&app.base, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    // Another account is not locked by it.
    let res = sign_in(&app.base, "someone@x.org", "whatever it is").await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_old_sessions() {
    let app = spawn_app(Backend::Sqlite).await;
    let storage = app.db.storage().await;
    let link = wallboard_server::auth::reset_link(&storage, ADMIN_EMAIL, &app.base)
        .await
        .unwrap();
    let path = link.strip_prefix(&app.base).unwrap().to_string();
    let page = plain_client().get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let weak = plain_client()
        .post(&link)
        .form(&[("password", "short"), ("confirm", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), 422);
    let new = "a brand new passphrase";
    let done = plain_client()
        .post(&link)
        .form(&[("password", new), ("confirm", new)])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/signin?reset=1");
    // Used up: a second use fails and changes nothing.
    let again = plain_client()
        .post(&link)
        .form(&[
            ("password", "another new passphrase"),
            ("confirm", "another new passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404, "{path}");
    assert_eq!(
        sign_in(&app.base, ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(sign_in(&app.base, ADMIN_EMAIL, new).await.status(), 303);
    let old = app
        .http
        .post(format!("{}/api/fn/list_dashboards", app.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401, "sessions from before the reset end");
}

#[tokio::test]
async fn forged_expired_and_foreign_credentials_are_refused() {
    let app = spawn_app(Backend::Sqlite).await;
    let other = spawn_app(Backend::Sqlite).await;
    let list = |cookie: String| {
        let base = app.base.clone();
        async move {
            plain_client()
                .post(format!("{base}/api/fn/list_dashboards"))
                .header("cookie", cookie)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(list(app.cookie.clone()).await, 200);
    assert_eq!(
        list(other.cookie.clone()).await,
        401,
        "another deployment's session"
    );
    assert_eq!(list("wb_session=forged".into()).await, 401);
    assert_eq!(list(format!("wb_session={}", "A".repeat(4000))).await, 401);
    assert_eq!(list("wb_session=".into()).await, 401);
    let api = plain_client()
        .post(format!("{}/api/fn/list_dashboards", app.base))
        .bearer_auth("wba_forged")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);

    // An expired session is refused.
    let storage = app.db.storage().await;
    let secret = "an-expired-session-secret";
    let admin = storage.user_by_email(ADMIN_EMAIL).await.unwrap().unwrap();
    storage
        .insert_session(
            &wallboard_server::auth::hash_secret(secret),
            &admin.id,
            &main_ws(),
            wallboard_server::now_ms() - 1,
        )
        .await
        .unwrap();
    assert_eq!(list(format!("wb_session={secret}")).await, 401);
}

#[tokio::test]
async fn hostile_sign_in_requests_get_a_clear_4xx_and_store_nothing() {
    let app = spawn_bare(Backend::Sqlite, &[]).await;
    let client = plain_client();
    let post = |path: &'static str, content_type: &'static str, body: Vec<u8>| {
        let client = client.clone();
        let base = app.base.clone();
        async move {
            let res = client
                .post(format!("{base}{path}"))
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap_or_default())
        }
    };
    let form = "application/x-www-form-urlencoded";
    // Too large for any endpoint.
    let (status, _) = post("/setup", form, vec![b'a'; 2 << 20]).await;
    assert_eq!(status, 413);
    // Not a form.
    let (status, text) = post("/setup", "application/json", b"{\"email\":1}".to_vec()).await;
    assert_eq!(status, 400);
    assert!(text.contains("x-www-form-urlencoded"), "{text}");
    // Malformed and missing fields.
    let (status, text) = post("/setup", form, b"email=%ZZ&&==".to_vec()).await;
    assert_eq!(status, 400, "{text}");
    // A field past its bound.
    let long = format!("email=a%40x.org&password={}&confirm=x", "p".repeat(5000));
    let (status, text) = post("/setup", form, long.into_bytes()).await;
    assert_eq!(status, 400);
    assert!(text.contains("longer than"), "{text}");
    // Markup in the email comes back escaped.
    let (status, text) = post(
        "/setup",
        form,
        b"email=%3Cscript%3Ealert(1)%3C%2Fscript%3E&password=plum+tangerine+kiwi&confirm=plum+tangerine+kiwi".to_vec(),
    )
    .await;
    assert_eq!(status, 422);
    assert!(!text.contains("<script>alert"), "{text}");
    // The sign-in form alike.
    let (status, _) = post("/signin", form, vec![b'a'; 2 << 20]).await;
    assert_eq!(status, 413);
    let (status, text) = post("/signin", "text/plain", b"email=a".to_vec()).await;
    assert_eq!(status, 400);
    assert!(text.contains("x-www-form-urlencoded"), "{text}");
    let (status, _) = post("/signin", form, b"password=only".to_vec()).await;
    assert_eq!(status, 400, "a missing email");
    let storage = app.db.storage().await;
    assert_eq!(
        storage.count_users().await.unwrap(),
        0,
        "nothing was stored"
    );
    assert!(
        storage
            .audit_entries(None, None, 10)
            .await
            .unwrap()
            .is_empty(),
        "a malformed sign-in is not even an attempt"
    );

    // A cross-site form post is refused before it is read.
    let res = client
        .post(format!("{}/signin", app.base))
        .header("origin", "https://evil.example")
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // A redirect after sign-in stays on this site.
    let cookie = common::setup_admin(&app.base).await;
    assert!(!cookie.is_empty());
    let res = client
        .post(format!("{}/signin", app.base))
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("next", "//evil.example/x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
    // The server still answers.
    let health = client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

/// One caller of the matrix: a client for calls and one (without a time bound) for
/// live streams, sending the same credentials.
struct Who {
    name: &'static str,
    http: reqwest::Client,
    stream: reqwest::Client,
}

/// A caller sending `header: value` with every request (none for `anonymous`).
fn who(name: &'static str, credential: Option<(&str, String)>) -> Who {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some((header, value)) = credential {
        headers.insert(
            reqwest::header::HeaderName::from_bytes(header.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let build = |timeout: Option<Duration>| {
        let mut builder = reqwest::Client::builder().default_headers(headers.clone());
        if let Some(t) = timeout {
            builder = builder.timeout(t);
        }
        builder.build().unwrap()
    };
    Who {
        name,
        http: build(Some(Duration::from_secs(10))),
        stream: build(None),
    }
}

/// Makes an API token with `scope` as the app's administrator; returns its secret.
async fn api_token(app: &TestApp, scope: &str) -> String {
    app.ok(
        "create_api_token",
        json!({"form": {"label": scope, "scope": scope, "expires_in_days": 1}}),
    )
    .await["secret"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn the_authorization_matrix_holds(backend: Backend) {
    let app = spawn_app(backend).await;
    let storage = app.db.storage().await;
    let other_ws = storage.insert_workspace("Other").await.unwrap();
    let editor = member(&app, &storage, &main_ws(), "editor@x.org", Role::Editor).await;
    let viewer = member(&app, &storage, &main_ws(), "viewer@x.org", Role::Viewer).await;
    let outsider = member(&app, &storage, &other_ws, "outsider@x.org", Role::Owner).await;
    let bearer = |secret: String| Some(("authorization", format!("Bearer {secret}")));
    let callers = [
        who("owner", Some(("cookie", app.cookie.clone()))),
        who("editor", Some(("cookie", editor))),
        who("viewer", Some(("cookie", viewer))),
        who("outsider", Some(("cookie", outsider))),
        who("anonymous", None),
        who("read token", bearer(api_token(&app, "read").await)),
        who(
            "dashboards token",
            bearer(api_token(&app, "dashboards").await),
        ),
        who("push token", bearer(api_token(&app, "push").await)),
    ];
    // What the actions act on, in the first workspace.
    let dashboard = app.create_dashboard("Sales").await;
    let (dataset, _) =
        common::create_pushed_dataset(&app.http, &app.base, json!({"kind": "replace"})).await;
    let token = app
        .ok(
            "create_push_token",
            json!({"dataset": dataset, "label": "t"}),
        )
        .await["token"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let share = app.ok("create_share_link", json!({"id": dashboard})).await["link"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let doc = app.ok("load_editor", json!({"id": dashboard})).await["stored"]["dashboard"].clone();
    let editor_id = storage
        .user_by_email("editor@x.org")
        .await
        .unwrap()
        .unwrap()
        .id;
    let target = Target {
        editor: editor_id.to_string(),
        push_form: json!({"form": {
            "name": "p", "fields": [{"name": "n", "kind": "number"}], "mode": {"kind": "replace"}
        }}),
        preview_form: json!({"form": {
            "name": "x", "source": {"type": "http", "url": "http://127.0.0.1:9/x", "timeout_ms": 2000},
            "path": "$", "refresh_ms": 5000, "pipeline": {"steps": []}
        }}),
        dashboard: dashboard.clone(),
        dataset: dataset.clone(),
        token,
        share,
        doc,
    };

    // Owner, editor, viewer, outsider (owner of another workspace), anonymous, and API
    // tokens of the first workspace with the scopes read, dashboards and push.
    #[rustfmt::skip]
    let matrix: [(&str, [u16; 8]); 18] = [
        ("list",              [200, 200, 200, 200, 401, 200, 200, 403]),
        ("view",              [200, 200, 200, 404, 401, 200, 200, 403]),
        // The editor: only for those who may change the dashboard.
        ("load",              [200, 200, 403, 404, 401, 403, 200, 403]),
        ("save",              [200, 200, 403, 404, 401, 403, 200, 403]),
        ("create dataset",    [200, 200, 403, 200, 401, 403, 403, 403]),
        // An unreachable source: past authorization, the read fails.
        ("preview",           [422, 422, 403, 422, 401, 403, 403, 403]),
        ("upload",            [201, 201, 403, 201, 401, 403, 403, 403]),
        ("create push token", [200, 200, 403, 404, 401, 403, 403, 403]),
        ("list push tokens",  [200, 200, 403, 404, 401, 403, 403, 403]),
        ("create share",      [200, 200, 403, 404, 401, 403, 403, 403]),
        ("list shares",       [200, 200, 403, 404, 401, 403, 403, 403]),
        ("stream",            [200, 200, 200, 404, 401, 200, 200, 403]),
        // An API token is not a user.
        ("me",                [200, 200, 200, 200, 401, 403, 403, 403]),
        // Members are the owners' (the outsider invites to their own workspace).
        ("invite",            [200, 403, 403, 200, 401, 403, 403, 403]),
        ("change role",       [200, 403, 403, 404, 401, 403, 403, 403]),
        // The owner acts first; those after find the thing gone.
        ("revoke share",      [200, 404, 403, 404, 401, 403, 403, 403]),
        ("revoke push token", [200, 404, 403, 404, 401, 403, 403, 403]),
        ("delete",            [200, 404, 403, 404, 401, 403, 404, 403]),
    ];
    for (action, statuses) in &matrix {
        for (caller, wanted) in callers.iter().zip(statuses) {
            let status = act(&app, caller, action, &target).await;
            assert_eq!(status, *wanted, "{action} by {}", caller.name);
        }
    }
    // The outsider's listing shows nothing of the first workspace.
    let theirs = common::call_at(&callers[3].http, &app.base, "list_dashboards", json!({}))
        .await
        .1;
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["id"] != dashboard.as_str()),
        "{theirs}"
    );
    let datasets = common::call_at(&callers[3].http, &app.base, "list_datasets", json!({}))
        .await
        .1;
    assert!(
        datasets
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["id"] != dataset.as_str()),
        "{datasets}"
    );
}

/// What the matrix's actions act on, in the first workspace.
struct Target {
    /// The editor's user id (whose role the matrix sets, to what it is).
    editor: String,
    dashboard: String,
    dataset: String,
    token: String,
    share: String,
    doc: Value,
    push_form: Value,
    preview_form: Value,
}

/// Does `action` as `caller`; returns the status.
async fn act(app: &TestApp, caller: &Who, action: &str, t: &Target) -> u16 {
    let client = &caller.http;
    let Target {
        editor,
        dashboard,
        dataset,
        token,
        share,
        doc,
        push_form,
        preview_form,
    } = t;
    let call = |name: &'static str, body: Value| async move {
        common::call_at(client, &app.base, name, body).await.0
    };
    match action {
        "list" => call("list_dashboards", json!({})).await,
        "load" => call("load_editor", json!({"id": dashboard})).await,
        "view" => call("load_screen", json!({"id": dashboard})).await,
        "save" => {
            let revision = common::call_at(
                &app.http,
                &app.base,
                "load_editor",
                json!({"id": dashboard}),
            )
            .await
            .1["stored"]["revision"]
                .as_i64()
                .unwrap();
            call(
                "save_dashboard",
                json!({"id": dashboard, "dashboard": doc, "revision": revision}),
            )
            .await
        }
        "create dataset" => call("create_push_dataset", push_form.clone()).await,
        "preview" => call("preview_dataset", preview_form.clone()).await,
        "upload" => client
            .post(format!("{}/api/v1/uploads?name=x.csv", app.base))
            .header("content-type", "application/octet-stream")
            .body("region,sales\nnorth,3\n")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        "create push token" => {
            call(
                "create_push_token",
                json!({"dataset": dataset, "label": "x"}),
            )
            .await
        }
        "list push tokens" => call("list_push_tokens", json!({"dataset": dataset})).await,
        "create share" => call("create_share_link", json!({"id": dashboard})).await,
        "list shares" => call("list_share_links", json!({"id": dashboard})).await,
        "me" => call("me", json!({})).await,
        "invite" => call("create_invite", json!({"role": "viewer", "days": 1})).await,
        "change role" => call("change_member", json!({"user": editor, "role": "editor"})).await,
        "revoke share" => call("revoke_share_link", json!({"id": dashboard, "link": share})).await,
        "revoke push token" => {
            call(
                "revoke_push_token",
                json!({"dataset": dataset, "id": token}),
            )
            .await
        }
        "delete" => call("delete_dashboard", json!({"id": dashboard})).await,
        "stream" => {
            let res = caller
                .stream
                .get(format!("{}/api/v1/live?datasets={dataset}", app.base))
                .timeout(Duration::from_secs(5))
                .send()
                .await
                .unwrap();
            res.status().as_u16()
        }
        other => panic!("no action {other}"),
    }
}

/// Calls server function `name` as the holder of `cookie`.
async fn call_as(app: &TestApp, cookie: &str, name: &str, body: Value) -> (u16, Value) {
    common::call_at(&signed_client(cookie), &app.base, name, body).await
}

/// Opens invitation `path` as a new person and makes their account; returns the
/// session cookie it starts.
async fn accept(app: &TestApp, path: &str, email: &str) -> String {
    let landing = plain_client()
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(landing.status(), 200);
    assert!(landing.text().await.unwrap().contains("Join Main"));
    let res = plain_client()
        .post(format!("{}{path}", app.base))
        .form(&[
            ("email", email),
            ("name", "New"),
            ("password", "plum tangerine kiwi"),
            ("confirm", "plum tangerine kiwi"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{path}");
    session_of(&res).expect("joining signs in")
}

async fn an_invitation_makes_one_member_whose_role_owners_change(backend: Backend) {
    let app = spawn_app(backend).await;
    let dashboard = app.create_dashboard("Ops").await;
    let invite = app
        .ok("create_invite", json!({"role": "viewer", "days": 7}))
        .await;
    let path = invite["path"].as_str().unwrap().to_string();
    let viewer = accept(&app, &path, "vera@x.org").await;
    let me = call_as(&app, &viewer, "me", json!({})).await.1;
    assert_eq!(
        (me["email"].as_str(), me["role"].as_str()),
        (Some("vera@x.org"), Some("viewer"))
    );
    // Used up.
    let again = plain_client()
        .post(format!("{}{path}", app.base))
        .form(&[
            ("email", "eve@x.org"),
            ("password", "plum tangerine kiwi"),
            ("confirm", "plum tangerine kiwi"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let storage = app.db.storage().await;
    assert!(storage.user_by_email("eve@x.org").await.unwrap().is_none());

    // A viewer cannot open the editor; made an editor, they can.
    assert_eq!(
        call_as(&app, &viewer, "load_editor", json!({"id": dashboard}))
            .await
            .0,
        403
    );
    let members = app.ok("list_members", json!({})).await;
    let vera = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "vera@x.org")
        .unwrap()["user"]
        .clone();
    app.ok("change_member", json!({"user": vera, "role": "editor"}))
        .await;
    assert_eq!(
        call_as(&app, &viewer, "load_editor", json!({"id": dashboard}))
            .await
            .0,
        200
    );
    // Members and the audit log are the owners'.
    assert_eq!(
        call_as(&app, &viewer, "list_members", json!({})).await.0,
        403
    );
    assert_eq!(call_as(&app, &viewer, "audit_log", json!({})).await.0, 403);

    // The last owner stays an owner.
    let admin = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == ADMIN_EMAIL)
        .unwrap()["user"]
        .clone();
    let (status, answer) = app
        .call("change_member", json!({"user": admin, "role": "viewer"}))
        .await;
    assert_eq!(status, 409, "{answer}");
    // Removed, their session opens nothing any more.
    app.ok("change_member", json!({"user": vera, "role": null}))
        .await;
    assert_eq!(
        call_as(&app, &viewer, "list_dashboards", json!({})).await.0,
        401
    );

    let log = app.ok("audit_log", json!({})).await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    for wanted in [
        "invite_created",
        "member_joined",
        "role_changed",
        "member_removed",
        "dashboard_created",
    ] {
        assert!(actions.contains(&wanted), "{wanted} in {actions:?}");
    }
    let only = app.ok("audit_log", json!({"action": "role_changed"})).await;
    assert_eq!(only.as_array().unwrap().len(), 1, "{only}");
}

async fn api_tokens_work_within_their_scope_until_revoked_or_expired(backend: Backend) {
    let app = spawn_app(backend).await;
    let (dataset, _) =
        common::create_pushed_dataset(&app.http, &app.base, json!({"kind": "replace"})).await;
    let push_secret = api_token(&app, "push").await;
    let read_secret = api_token(&app, "read").await;
    assert!(push_secret.starts_with("wba_"));
    let bearer = |secret: &str| who("token", Some(("authorization", format!("Bearer {secret}"))));
    let pushed = common::push_at(
        &plain_client(),
        &app.base,
        &dataset,
        &push_secret,
        &json!({"n": 4}),
    )
    .await;
    assert_eq!(pushed.0, 200, "{}", pushed.1);
    let read = bearer(&read_secret);
    let listed = common::call_at(&read.http, &app.base, "list_datasets", json!({})).await;
    assert_eq!(listed.0, 200);
    // A read token does not push.
    let refused = common::push_at(
        &plain_client(),
        &app.base,
        &dataset,
        &read_secret,
        &json!({"n": 5}),
    )
    .await;
    assert_eq!(refused.0, 401, "{}", refused.1);

    // Lists show no secret, and the last use.
    let tokens = app.ok("list_api_tokens", json!({})).await;
    let text = tokens.to_string();
    assert!(!text.contains(&push_secret) && !text.contains(&read_secret));
    let read_row = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["scope"] == "read")
        .unwrap();
    assert!(read_row["last_used_ms"].as_i64().is_some(), "{read_row}");

    // Revoked: refused at once.
    app.ok("revoke_api_token", json!({"id": read_row["id"]}))
        .await;
    assert_eq!(
        common::call_at(&read.http, &app.base, "list_datasets", json!({}))
            .await
            .0,
        401
    );

    // Expired: refused.
    let storage = app.db.storage().await;
    let secret = "wba_expired-token-secret";
    storage
        .insert_api_token(
            &wallboard_server::auth::hash_secret(secret),
            &wallboard_server::storage::ApiTokenRow {
                id: app::model::ApiTokenId::parse("old").unwrap(),
                workspace: main_ws(),
                user: None,
                label: "old".into(),
                scope: app::auth::TokenScope::Read,
                created_at_ms: 0,
                expires_at_ms: Some(wallboard_server::now_ms() - 1),
                last_used_ms: None,
            },
        )
        .await
        .unwrap();
    let old = bearer(secret);
    assert_eq!(
        common::call_at(&old.http, &app.base, "list_datasets", json!({}))
            .await
            .0,
        401
    );

    // Bad forms are refused with the field.
    let (status, answer) = app
        .call(
            "create_api_token",
            json!({"form": {"label": "", "scope": "read"}}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["field"], "label");
    let (status, _) = app
        .call(
            "create_api_token",
            json!({"form": {"label": "x", "scope": "admin"}}),
        )
        .await;
    assert_eq!(status, 422);

    // A personal token stops working when its maker leaves the workspace.
    let storage = app.db.storage().await;
    let editor = member(&app, &storage, &main_ws(), "ed@x.org", Role::Editor).await;
    let (status, made) = call_as(
        &app,
        &editor,
        "create_api_token",
        json!({"form": {"label": "mine", "scope": "read"}}),
    )
    .await;
    assert_eq!(status, 200, "{made}");
    let (status, _) = call_as(
        &app,
        &editor,
        "create_api_token",
        json!({"form": {"label": "wide", "scope": "read", "workspace_wide": true}}),
    )
    .await;
    assert_eq!(status, 403, "only owners make workspace tokens");
    let personal = bearer(made["secret"].as_str().unwrap());
    assert_eq!(
        common::call_at(&personal.http, &app.base, "list_datasets", json!({}))
            .await
            .0,
        200
    );
    let ed = storage.user_by_email("ed@x.org").await.unwrap().unwrap();
    app.ok("change_member", json!({"user": ed.id, "role": null}))
        .await;
    assert_eq!(
        common::call_at(&personal.http, &app.base, "list_datasets", json!({}))
            .await
            .0,
        401
    );
}

async fn a_member_of_two_workspaces_switches_between_them(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_dashboard("In main").await;
    let storage = app.db.storage().await;
    let other = storage.insert_workspace("Second").await.unwrap();
    let admin = storage.user_by_email(ADMIN_EMAIL).await.unwrap().unwrap();
    storage
        .set_member(&other, &admin.id, Role::Viewer)
        .await
        .unwrap();
    let me = app.ok("me", json!({})).await;
    assert_eq!(me["workspaces"].as_array().unwrap().len(), 2, "{me}");
    let res = plain_client()
        .post(format!("{}/workspace", app.base))
        .header("cookie", &app.cookie)
        .form(&[("workspace", other.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
    let me = app.ok("me", json!({})).await;
    assert_eq!(
        (me["workspace"]["name"].as_str(), me["role"].as_str()),
        (Some("Second"), Some("viewer"))
    );
    assert!(app
        .ok("list_dashboards", json!({}))
        .await
        .as_array()
        .unwrap()
        .is_empty());
    // Not a member: refused, the session stays where it was.
    let res = plain_client()
        .post(format!("{}/workspace", app.base))
        .header("cookie", &app.cookie)
        .form(&[("workspace", "nowhere")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(app.ok("me", json!({})).await["workspace"]["name"], "Second");
}

async fn administrators_make_workspaces_and_reset_links(backend: Backend) {
    let app = spawn_app(backend).await;
    let storage = app.db.storage().await;
    let owner = member(&app, &storage, &main_ws(), "owner2@x.org", Role::Owner).await;
    // An owner who does not administer the server may do neither.
    let (status, _) = call_as(&app, &owner, "create_workspace", json!({"name": "Mine"})).await;
    assert_eq!(status, 403);
    let target = storage
        .user_by_email("owner2@x.org")
        .await
        .unwrap()
        .unwrap();
    let (status, _) = call_as(
        &app,
        &owner,
        "create_reset_link",
        json!({"user": target.id}),
    )
    .await;
    assert_eq!(status, 403);
    // The administrator may.
    let (status, answer) = app.call("create_workspace", json!({"name": ""})).await;
    assert_eq!(status, 422, "{answer}");
    app.ok("create_workspace", json!({"name": "Team B"})).await;
    let me = app.ok("me", json!({})).await;
    assert!(me["is_admin"].as_bool().unwrap());
    let names: Vec<&str> = me["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Main", "Team B"]);
    let path = app
        .ok("create_reset_link", json!({"user": target.id}))
        .await;
    let path = path.as_str().unwrap().to_string();
    assert!(path.starts_with("/reset/"), "{path}");
    let page = plain_client()
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}

on_both_backends!(
    the_authorization_matrix_holds,
    administrators_make_workspaces_and_reset_links,
    an_invitation_makes_one_member_whose_role_owners_change,
    api_tokens_work_within_their_scope_until_revoked_or_expired,
    a_member_of_two_workspaces_switches_between_them,
);
