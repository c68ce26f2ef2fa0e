//! Credentials go only to a source's own origin: two test servers on different ports
//! (two origins) record what reaches them, and the secret must reach only the first,
//! whether the second is reached by a page link in the body, a `Link` header or a
//! redirect. Secrets put outside the auth section are refused when the source is
//! checked, saying where they go.

#[macro_use]
mod common;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use common::{spawn_app_env, Backend, TestApp};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

const KEY: &str = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c=";
const SECRET: &str = "k-very-secret-9";

async fn app() -> TestApp {
    spawn_app_env(Backend::Sqlite, &[("WALLBOARD_SECRET_KEY", KEY)]).await
}

/// One request as a server saw it: path and query, and every header.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    headers: HeaderMap,
}

impl Seen {
    /// Whether the secret (in any header, or as Basic credentials), the tenant header
    /// or the region parameter is anywhere in it.
    fn carries_anything_configured(&self) -> bool {
        let in_headers = self.headers.iter().any(|(name, value)| {
            value.to_str().unwrap_or_default().contains(SECRET)
                || ["x-tenant", "x-api-key", "authorization"].contains(&name.as_str())
        });
        in_headers || self.target.contains(SECRET) || self.target.contains("region=")
    }
}

/// A test server that records each request and answers what `answer` says for its path.
#[derive(Clone)]
struct Recorder {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

type Answer = fn(&str, &str) -> Response;

/// What a recorder's handler holds: what it saw, its base URL and how it answers.
type RecorderState = (Arc<Mutex<Vec<Seen>>>, String, Answer);

async fn recorder(answer: Answer) -> Recorder {
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = (seen.clone(), base.clone(), answer);
    let app = Router::new()
        .fallback(any(
            |State((seen, base, answer)): State<RecorderState>, request: Request| async move {
                let target = request
                    .uri()
                    .path_and_query()
                    .map(|p| p.to_string())
                    .unwrap_or_default();
                seen.lock().unwrap().push(Seen {
                    target: target.clone(),
                    headers: request.headers().clone(),
                });
                answer(&base, &target)
            },
        ))
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Recorder { base, seen }
}

impl Recorder {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// The second origin: every path answers one row, `{"items": [{"page": 2}]}`.
fn elsewhere(_: &str, _: &str) -> Response {
    axum::Json(json!({"items": [{"page": 2}], "next": null})).into_response()
}

fn form(source: Value) -> Value {
    json!({"form": {"name": "t", "source": source, "path": "$.items", "refresh_ms": 1000}})
}

/// A source of `url` with every kind of configuration a secret could travel in.
fn source(url: String, auth: Value) -> Value {
    json!({"type": "http", "url": url, "timeout_ms": 2000, "auth": auth,
           "headers": [{"name": "X-Tenant", "value": "t1"}],
           "query": [{"name": "region", "value": "north"}],
           "pagination": {"kind": "next_link", "next": "$.next", "max_pages": 3}})
}

fn auths() -> [Value; 4] {
    [
        json!({"kind": "api_key", "header": "X-API-Key", "key": SECRET}),
        json!({"kind": "api_key_param", "param": "api_key", "key": SECRET}),
        json!({"kind": "bearer", "token": SECRET}),
        json!({"kind": "basic", "user": "me", "password": SECRET}),
    ]
}

/// Page 1 of the source's own origin; the next link (the second origin's base) is put
/// in the body at `/paged/<base>` and in a `Link` header at `/linked/<base>`.
fn own(_: &str, target: &str) -> Response {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if let Some(other) = path.strip_prefix("/paged/") {
        // The link repeats the request's query (the region, the key when it is a
        // parameter), as many APIs' links do.
        let next = format!("http://{other}/page2?{query}&page=2");
        return axum::Json(json!({"items": [{"page": 1}], "next": next})).into_response();
    }
    if let Some(other) = path.strip_prefix("/linked/") {
        let link = format!("<http://{other}/page2>; rel=\"next\"");
        return (
            [("link", link)],
            axum::Json(json!({"items": [{"page": 1}]})),
        )
            .into_response();
    }
    if let Some(other) = path.strip_prefix("/away/") {
        let code = if target.contains("keep=1") {
            StatusCode::TEMPORARY_REDIRECT
        } else {
            StatusCode::FOUND
        };
        let to = format!("http://{other}/data");
        return (code, [("location", to)]).into_response();
    }
    if path == "/hop" {
        return (StatusCode::FOUND, [("location", "/here")]).into_response();
    }
    axum::Json(json!({"items": [{"page": 1}]})).into_response()
}

fn pages(answer: &Value) -> Vec<i64> {
    answer["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|r| r["page"].as_i64().unwrap())
        .collect()
}

/// Asserts the first origin got everything configured and the second nothing of it.
fn only_the_own_origin_got_it(a: &Recorder, b: &Recorder, auth: &Value) {
    let first = &a.seen()[0];
    let got_secret = first.headers.iter().any(|(_, v)| {
        let v = v.to_str().unwrap_or_default();
        v.contains(SECRET) || v.starts_with("Basic ")
    }) || first.target.contains(SECRET);
    assert!(
        got_secret,
        "{auth}: the own origin gets the secret: {first:?}"
    );
    assert!(first.target.contains("region=north"), "{first:?}");
    assert_eq!(first.headers["x-tenant"], "t1");
    let second = b.seen();
    assert!(!second.is_empty(), "{auth}: the second origin was asked");
    for seen in second {
        assert!(
            !seen.carries_anything_configured(),
            "{auth}: the second origin got something configured: {seen:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_link_in_the_body_to_another_origin_carries_no_credentials() {
    let app = app().await;
    for auth in auths() {
        let (a, b) = (recorder(own).await, recorder(elsewhere).await);
        let other = b.base.trim_start_matches("http://");
        let answer = app
            .ok(
                "preview_dataset",
                form(source(format!("{}/paged/{other}", a.base), auth.clone())),
            )
            .await;
        assert_eq!(pages(&answer), [1, 2], "{auth}");
        only_the_own_origin_got_it(&a, &b, &auth);
        assert!(
            b.seen()[0].target.contains("page=2"),
            "the link's own parameters stay: {:?}",
            b.seen()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_header_to_another_origin_carries_no_credentials() {
    let app = app().await;
    for auth in auths() {
        let (a, b) = (recorder(own).await, recorder(elsewhere).await);
        let other = b.base.trim_start_matches("http://");
        let mut linked = source(format!("{}/linked/{other}", a.base), auth.clone());
        linked["pagination"] = json!({"kind": "next_link", "max_pages": 3});
        let answer = app.ok("preview_dataset", form(linked)).await;
        assert_eq!(pages(&answer), [1, 2], "{auth}");
        only_the_own_origin_got_it(&a, &b, &auth);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_another_origin_carries_no_credentials_but_one_within_keeps_them() {
    let app = app().await;
    for auth in auths() {
        let (a, b) = (recorder(own).await, recorder(elsewhere).await);
        let other = b.base.trim_start_matches("http://");
        let mut away = source(format!("{}/away/{other}", a.base), auth.clone());
        away["pagination"] = Value::Null;
        let answer = app.ok("preview_dataset", form(away)).await;
        assert_eq!(pages(&answer), [2], "{auth}: the redirect is followed");
        only_the_own_origin_got_it(&a, &b, &auth);

        // The control: a redirect within the origin keeps everything.
        let mut hop = source(format!("{}/hop", a.base), auth.clone());
        hop["pagination"] = Value::Null;
        app.ok("preview_dataset", form(hop)).await;
        let here = a
            .seen()
            .into_iter()
            .find(|s| s.target.starts_with("/here"))
            .unwrap();
        assert_eq!(here.headers["x-tenant"], "t1", "{auth}");
        assert!(
            here.headers.contains_key("x-api-key")
                || here.headers.contains_key("authorization")
                || here.target.contains(SECRET),
            "{auth}: {here:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_redirected_to_another_origin_keeping_its_method_is_refused() {
    let app = app().await;
    let (a, b) = (recorder(own).await, recorder(elsewhere).await);
    let other = b.base.trim_start_matches("http://");
    let mut post = source(
        format!("{}/away/{other}?keep=1", a.base),
        json!({"kind": "bearer", "token": SECRET}),
    );
    post["pagination"] = Value::Null;
    post["method"] = json!("POST");
    post["body"] = json!(r#"{"q": "bolts"}"#);
    let (status, answer) = app.call("preview_dataset", form(post)).await;
    assert_eq!(status, 422, "{answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.contains("redirects its POST to another origin"),
        "{message}"
    );
    assert!(b.seen().is_empty(), "the second origin was not asked");
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_outside_the_auth_section_are_refused_saying_where_they_go() {
    let app = app().await;
    let a = recorder(own).await;
    let plain = |url: String| json!({"type": "http", "url": url, "timeout_ms": 2000});
    let userinfo = a.base.replace("http://", "http://me:pw@");
    let mut cases = vec![
        (
            plain(format!("{userinfo}/data")),
            "source.url",
            "auth section (basic)",
        ),
        (
            plain(format!("{}/data?api_key={SECRET}", a.base)),
            "source.url",
            "API key parameter",
        ),
    ];
    for (list, name) in [
        ("headers", "X-API-Key"),
        ("headers", "Authorization"),
        ("headers", "Cookie"),
        ("query", "access_token"),
    ] {
        let mut s = plain(format!("{}/data", a.base));
        s[list] = json!([{"name": name, "value": SECRET}]);
        cases.push((s, "", "auth section"));
    }
    for (source, field, says) in cases {
        let (status, answer) = app.call("preview_dataset", form(source.clone())).await;
        assert_eq!(status, 422, "{source}: {answer}");
        assert!(
            answer.to_string().contains(says) && answer.to_string().contains(field),
            "{source}: {answer}"
        );
    }
    assert!(a.seen().is_empty(), "nothing was sent");
}
