//! Test helpers: a real Wallboard server on a free port against a fresh SQLite file or
//! a fresh PostgreSQL database, a controllable JSON source, and an SSE reader.
#![allow(dead_code, unused_macros)]

/// Defines each listed `async fn name(backend: Backend)` as two tests, one on SQLite
/// (`sqlite::name`) and one on PostgreSQL (`postgres::name`).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread")] async fn $name() { super::$name(super::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread")] async fn $name() { super::$name(super::Backend::Postgres).await })*
        }
    };
}

pub mod corpus;
#[path = "../../src/sources/sheet/fixtures.rs"]
pub mod fixtures;

use axum::routing::get;
use axum::Router;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wallboard_server::config::Config;
use wallboard_server::startup::{Application, ShutdownHandle};
use wallboard_server::storage::Storage;

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database of `backend`; dropped (PostgreSQL) or deleted (SQLite)
/// when the value goes out of scope.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

fn admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temp dir");
                let url = format!("sqlite://{}/wallboard.db", dir.path().display());
                Self {
                    url,
                    _dir: Some(dir),
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                use sqlx::Connection;
                let name = format!("wb_test_{}", wallboard_server::new_id());
                let admin = admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin} must run for these tests ({e}); `./wb test` starts it"));
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create the test database");
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap_or(admin);
                Self {
                    url: format!("{base}/{name}"),
                    _dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }

    pub async fn storage(&self) -> Storage {
        Storage::connect(&self.url).await.expect("storage connects")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Best effort, on a thread of its own: Drop cannot await.
            let admin = admin_url();
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub base: String,
    /// A client signed in as the first administrator (owner of the first workspace).
    pub http: reqwest::Client,
    /// Its session cookie (`wb_session=…`), for requests made another way.
    pub cookie: String,
    pub shutdown: ShutdownHandle,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    pub db: TestDb,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, false).await
}

pub async fn spawn_app_with(backend: Backend, demo: bool) -> TestApp {
    spawn_app_env(
        backend,
        &[("WALLBOARD_DEMO", if demo { "true" } else { "false" })],
    )
    .await
}

/// A server on a fresh database of `backend`, configured by `env` over the test defaults,
/// with its first administrator made (`app.http` is signed in as them).
pub async fn spawn_app_env(backend: Backend, env: &[(&str, &str)]) -> TestApp {
    let mut app = spawn_bare(backend, env).await;
    app.cookie = setup_admin(&app.base).await;
    app.http = signed_client(&app.cookie);
    app
}

/// A server on a fresh database with no accounts yet (`app.http` is not signed in).
pub async fn spawn_bare(backend: Backend, env: &[(&str, &str)]) -> TestApp {
    let db = TestDb::new(backend).await;
    let url = db.url.clone();
    let env: std::collections::HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let config = Config::from_lookup(|key| {
        if let Some(v) = env.get(key) {
            return Some(v.clone());
        }
        match key {
            "WALLBOARD_ADDR" => Some("127.0.0.1:0".into()),
            "DATABASE_URL" => Some(url.clone()),
            "WALLBOARD_DEMO" => Some("false".into()),
            "WALLBOARD_SHUTDOWN_GRACE_SECS" => Some("3".into()),
            // The test sources run on loopback, which sources may not reach by default.
            "WALLBOARD_ALLOW_TARGETS" => Some("loopback".into()),
            "WALLBOARD_METRICS_TOKEN" => Some(METRICS_TOKEN.into()),
            _ => None,
        }
    })
    .expect("test config");
    let config = Config {
        // This test binary is not `wallboard`: jq steps start the built one.
        worker_exe: env!("CARGO_BIN_EXE_wallboard").into(),
        ..config
    };
    let app = Application::build(config).await.expect("the server starts");
    let base = format!("http://{}", app.local_addr());
    let shutdown = app.shutdown_handle();
    let task = tokio::spawn(app.run_until_stopped());
    TestApp {
        base,
        http: plain_client(),
        cookie: String::new(),
        shutdown,
        task,
        db,
    }
}

/// The bearer token `/metrics` asks for in tests.
pub const METRICS_TOKEN: &str = "test-metrics-token";
/// The first administrator every test server gets.
pub const ADMIN_EMAIL: &str = "admin@test.example";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A client that follows no redirects (to see them) and keeps no cookies.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A client sending `cookie` (`wb_session=…`) with every request, each bounded by 10 s.
pub fn signed_client(cookie: &str) -> reqwest::Client {
    signed_builder(cookie)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A client sending `cookie`, each request bounded by `timeout`.
pub fn signed_client_for(cookie: &str, timeout: Duration) -> reqwest::Client {
    signed_builder(cookie).timeout(timeout).build().unwrap()
}

/// A client sending `cookie` with no overall time bound (for live streams).
pub fn signed_stream_client(cookie: &str) -> reqwest::Client {
    signed_builder(cookie).build().unwrap()
}

fn signed_builder(cookie: &str) -> reqwest::ClientBuilder {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse().unwrap());
    reqwest::Client::builder().default_headers(headers)
}

/// The `wb_session=…` pair a response sets, if it sets one.
pub fn session_of(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("wb_session=") && !v.starts_with("wb_session=;"))
        .map(|v| v.split(';').next().unwrap().to_string())
}

/// Makes the first administrator through the setup page at `base`; returns the
/// session cookie it starts.
pub async fn setup_admin(base: &str) -> String {
    let res = plain_client()
        .post(format!("{base}/setup"))
        .form(&[
            ("email", ADMIN_EMAIL),
            ("name", "Admin"),
            ("password", ADMIN_PASSWORD),
            ("confirm", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .expect("the server answers");
    assert_eq!(res.status(), 303, "setup redirects once done");
    session_of(&res).expect("setup starts a session")
}

/// Signs in at `base`; returns the response (303 with a session cookie on success).
pub async fn sign_in(base: &str, email: &str, password: &str) -> reqwest::Response {
    plain_client()
        .post(format!("{base}/signin"))
        .form(&[("email", email), ("password", password), ("next", "/")])
        .send()
        .await
        .expect("the server answers")
}

/// Calls server function `name` at `base` with a JSON body; returns the status and
/// JSON answer.
pub async fn call_at(http: &reqwest::Client, base: &str, name: &str, body: Value) -> (u16, Value) {
    let res = http
        .post(format!("{base}/api/fn/{name}"))
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json)
}

/// Pushes `body` (JSON) to `dataset` at `base` with push token `secret`.
pub async fn push_at(
    http: &reqwest::Client,
    base: &str,
    dataset: &str,
    secret: &str,
    body: &Value,
) -> (u16, Value) {
    let res = http
        .post(format!("{base}/api/v1/datasets/{dataset}/rows"))
        .bearer_auth(secret)
        .json(body)
        .send()
        .await
        .expect("the server answers");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Creates a pushed dataset with one number field `n` and a token for it, through the
/// server at `base`; returns (dataset id, token secret).
pub async fn create_pushed_dataset(
    http: &reqwest::Client,
    base: &str,
    mode: Value,
) -> (String, String) {
    let (status, summary) = call_at(
        http,
        base,
        "create_push_dataset",
        serde_json::json!({ "form": {
            "name": "pushed", "fields": [{ "name": "n", "kind": "number" }], "mode": mode
        }}),
    )
    .await;
    assert_eq!(status, 200, "{summary}");
    let id = summary["id"].as_str().unwrap().to_string();
    let (status, token) = call_at(
        http,
        base,
        "create_push_token",
        serde_json::json!({ "dataset": id, "label": "test" }),
    )
    .await;
    assert_eq!(status, 200, "{token}");
    (id, token["secret"].as_str().unwrap().to_string())
}

/// The value of metric line `name` (with its trailing space) in `text`.
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("no metric {name}"))
        .trim()
        .parse()
        .unwrap()
}

impl TestApp {
    /// Calls server function `name` with a JSON body; returns the status and JSON answer.
    pub async fn call(&self, name: &str, body: Value) -> (u16, Value) {
        call_at(&self.http, &self.base, name, body).await
    }

    /// Like `call`, but the call must succeed.
    pub async fn ok(&self, name: &str, body: Value) -> Value {
        let (status, json) = self.call(name, body).await;
        assert_eq!(status, 200, "{name} failed: {json}");
        json
    }

    /// Saves `dashboard` over `revision` through the editor's server function.
    pub async fn save(&self, id: &str, dashboard: &Value, revision: i64) -> (u16, Value) {
        self.call(
            "save_dashboard",
            serde_json::json!({ "id": id, "dashboard": dashboard, "revision": revision }),
        )
        .await
    }

    /// The status and body of `GET path`, without Leptos' hydration markers (`<!>`):
    /// they are not part of what a page shows, and where they fall depends on how the
    /// views are typed.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("the server answers");
        let status = res.status().as_u16();
        (status, res.text().await.unwrap().replace("<!>", ""))
    }

    /// The text of `/metrics`, read with the metrics token.
    pub async fn metrics(&self) -> String {
        let res = self
            .http
            .get(format!("{}/metrics", self.base))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("the server answers");
        assert_eq!(res.status(), 200, "metrics");
        res.text().await.unwrap()
    }

    pub async fn create_dashboard(&self, name: &str) -> String {
        self.ok("create_dashboard", serde_json::json!({ "name": name }))
            .await
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// A JSON source the test controls: what it answers and how slowly.
#[derive(Clone)]
pub struct FakeSource {
    pub url: String,
    body: Arc<Mutex<Value>>,
    delay: Arc<Mutex<Duration>>,
    pub hits: Arc<Mutex<u64>>,
}

impl FakeSource {
    pub async fn start(initial: Value) -> Self {
        let body = Arc::new(Mutex::new(initial));
        let delay = Arc::new(Mutex::new(Duration::ZERO));
        let hits = Arc::new(Mutex::new(0));
        let (b, d, h) = (body.clone(), delay.clone(), hits.clone());
        let app = Router::new().route(
            "/data",
            get(move || {
                let (b, d, h) = (b.clone(), d.clone(), h.clone());
                async move {
                    *h.lock().unwrap() += 1;
                    let wait = *d.lock().unwrap();
                    tokio::time::sleep(wait).await;
                    axum::Json(b.lock().unwrap().clone())
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/data", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url,
            body,
            delay,
            hits,
        }
    }

    pub fn set(&self, value: Value) {
        *self.body.lock().unwrap() = value;
    }

    pub fn set_delay(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }
}

/// Reads server-sent events from a live stream and keeps the frames they describe,
/// as a browser would: snapshots and frames replace, appends apply to the frame just
/// before them (a gap is a test failure).
pub struct SseReader {
    response: reqwest::Response,
    /// The client that opened it (signed in, or not for share streams).
    client: reqwest::Client,
    buffer: String,
    path: String,
    /// The id of the last event read.
    pub last_id: Option<String>,
    /// Dataset id → frame, as JSON.
    pub frames: std::collections::HashMap<String, Value>,
}

impl SseReader {
    /// Opens `path` at the app, signed in as its administrator.
    pub async fn open(app: &TestApp, path: &str) -> Self {
        Self::open_with(&signed_stream_client(&app.cookie), &app.base, path).await
    }

    /// Opens `path` at `base` without signing in (share streams).
    pub async fn open_at(base: &str, path: &str) -> Self {
        Self::open_with(&reqwest::Client::new(), base, path).await
    }

    pub async fn open_with(client: &reqwest::Client, base: &str, path: &str) -> Self {
        let response = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("the stream opens");
        assert_eq!(response.status(), 200, "stream {path}");
        Self {
            response,
            client: client.clone(),
            buffer: String::new(),
            path: path.to_string(),
            last_id: None,
            frames: Default::default(),
        }
    }

    /// Opens the same stream at `base`, resuming after the last event read.
    pub async fn resume_at(&mut self, base: &str) {
        let mut request = self.client.get(format!("{base}{}", self.path));
        if let Some(id) = &self.last_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.expect("the stream reopens");
        assert_eq!(response.status(), 200, "stream {}", self.path);
        self.response = response;
        self.buffer.clear();
    }

    /// The next event as (name, data), skipping heartbeats; `None` when the stream ends.
    pub async fn next(&mut self, within: Duration) -> Option<(String, Value)> {
        tokio::time::timeout(within, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let mut name = String::from("message");
                    let mut data = String::new();
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("event:") {
                            name = v.trim().to_string();
                        } else if let Some(v) = line.strip_prefix("data:") {
                            data.push_str(v.trim_start());
                        } else if let Some(v) = line.strip_prefix("id:") {
                            self.last_id = Some(v.trim().to_string());
                        }
                    }
                    if data.is_empty() {
                        continue;
                    }
                    let data: Value = serde_json::from_str(&data).expect("event data is JSON");
                    self.apply(&name, &data);
                    return Some((name, data));
                }
                match self.response.chunk().await {
                    Ok(Some(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                    _ => return None,
                }
            }
        })
        .await
        .expect("an event arrives in time")
    }

    fn apply(&mut self, name: &str, data: &Value) {
        let mut put = |frame: &Value| {
            let id = frame["dataset"].as_str().unwrap().to_string();
            self.frames.insert(id, frame.clone());
        };
        match name {
            "snapshot" => data["frames"].as_array().unwrap().iter().for_each(put),
            "frame" => put(&data["frame"]),
            "append" => {
                let id = data["dataset"].as_str().unwrap();
                let held = self
                    .frames
                    .get_mut(id)
                    .unwrap_or_else(|| panic!("an append for {id} came before its frame"));
                let seq = data["seq"].as_u64().unwrap();
                assert_eq!(
                    held["seq"].as_u64().unwrap() + 1,
                    seq,
                    "appends arrive in order"
                );
                let drop = data["drop"].as_u64().unwrap() as usize;
                let mut rows = held["rows"].as_array().unwrap().clone();
                rows.drain(..drop.min(rows.len()));
                rows.extend(data["rows"].as_array().unwrap().iter().cloned());
                held["rows"] = Value::Array(rows);
                held["seq"] = seq.into();
            }
            _ => {}
        }
    }

    /// Reads events until `pred` holds for a frame; returns that frame.
    pub async fn frame_where(&mut self, within: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(f) = self.frames.values().find(|f| pred(f)) {
                return f.clone();
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            self.next(left).await.expect("the stream stays open");
        }
    }

    /// The values of field `n` in the rows held for `dataset`.
    pub fn numbers(&self, dataset: &str) -> Vec<i64> {
        self.frames
            .get(dataset)
            .and_then(|f| f["rows"].as_array())
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r["n"].as_f64())
                    .map(|n| n as i64)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A dashboard document with one KPI, bound to `dataset` if given.
pub fn dashboard_doc(name: &str, dataset: Option<&str>) -> Value {
    let mut widget = serde_json::json!({
        "id": "w1",
        "rect": { "x": 100, "y": 100, "w": 400, "h": 240 },
        "kind": "kpi",
        "props": { "title": "Sales", "unit": "", "decimals": 0 }
    });
    if let Some(d) = dataset {
        widget["binding"] = serde_json::json!({ "dataset": d, "field": "value" });
    }
    serde_json::json!({
        "schema_version": 1,
        "name": name,
        "resolution": { "width": 1920, "height": 1080 },
        "theme": "dark",
        "widgets": [widget]
    })
}

/// Creates a dataset reading `path` from `url` every second; returns its id.
pub async fn create_dataset(app: &TestApp, url: &str, path: &str, timeout_ms: u32) -> String {
    let summary = app
        .ok(
            "create_http_dataset",
            serde_json::json!({ "form": {
                "name": "test", "url": url, "path": path, "field": "value",
                "kind": "number", "refresh_ms": 1000, "timeout_ms": timeout_ms
            }}),
        )
        .await;
    summary["id"].as_str().unwrap().to_string()
}

/// A fresh PostgreSQL database named `<prefix><random>` for a source test to read, and a
/// pool on it; the caller drops it (or leaves it to the server's cleanup).
pub async fn pg_scratch_database(prefix: &str) -> (String, sqlx::PgPool) {
    use sqlx::Connection;
    let name = format!("{prefix}{}", wallboard_server::new_id());
    let mut admin = sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .expect("PostgreSQL runs on 127.0.0.1:5432");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let pool = sqlx::PgPool::connect(&format!("postgres://postgres@127.0.0.1:5432/{name}"))
        .await
        .unwrap();
    (name, pool)
}
