//! Test helpers: a real Wallboard server on a free port against a fresh SQLite file or
//! a fresh PostgreSQL database, a controllable JSON source, and an SSE reader.
#![allow(dead_code)]

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
    pub http: reqwest::Client,
    pub shutdown: ShutdownHandle,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    pub db: TestDb,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, false).await
}

pub async fn spawn_app_with(backend: Backend, demo: bool) -> TestApp {
    let db = TestDb::new(backend).await;
    let url = db.url.clone();
    let config = Config::from_lookup(|key| match key {
        "WALLBOARD_ADDR" => Some("127.0.0.1:0".into()),
        "DATABASE_URL" => Some(url.clone()),
        "WALLBOARD_DEMO" => Some(demo.to_string()),
        "WALLBOARD_SHUTDOWN_GRACE_SECS" => Some("3".into()),
        _ => None,
    })
    .expect("test config");
    let app = Application::build(config).await.expect("the server starts");
    let base = format!("http://{}", app.local_addr());
    let shutdown = app.shutdown_handle();
    let task = tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    TestApp {
        base,
        http,
        shutdown,
        task,
        db,
    }
}

impl TestApp {
    /// Calls server function `name` with a JSON body; returns the status and JSON answer.
    pub async fn call(&self, name: &str, body: Value) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/api/fn/{name}", self.base))
            .json(&body)
            .send()
            .await
            .expect("the server answers");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
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

    pub async fn get(&self, path: &str) -> (u16, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("the server answers");
        (res.status().as_u16(), res.text().await.unwrap())
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

/// Reads server-sent events from a live stream.
pub struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    pub async fn open(app: &TestApp, path: &str) -> Self {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .expect("the stream opens");
        assert_eq!(response.status(), 200, "stream {path}");
        Self {
            response,
            buffer: String::new(),
        }
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
                        }
                    }
                    if data.is_empty() {
                        continue;
                    }
                    return Some((
                        name,
                        serde_json::from_str(&data).expect("event data is JSON"),
                    ));
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

    /// Reads events until `pred` holds for a frame; returns that frame.
    pub async fn frame_where(&mut self, within: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let (name, data) = self.next(left).await.expect("the stream stays open");
            let frames: Vec<Value> = match name.as_str() {
                "snapshot" => data["frames"].as_array().cloned().unwrap_or_default(),
                "frame" => vec![data["frame"].clone()],
                _ => vec![],
            };
            if let Some(f) = frames.into_iter().find(|f| pred(f)) {
                return f;
            }
        }
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
