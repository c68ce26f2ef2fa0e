//! Every polled source type against real servers, through the server functions the
//! editor calls: SQL on PostgreSQL, MariaDB and SQLite; HTTP with methods, auth,
//! formats, retries and pages (a test server); spreadsheet uploads; credentials sealed
//! at rest; and the outbound guard in front of SQL hosts.

#[macro_use]
mod common;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use common::{corpus, fixtures, spawn_app_env, Backend, SseReader, TestApp};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c=";

async fn app_with(env: &[(&str, &str)]) -> TestApp {
    let mut all = vec![("WALLBOARD_SECRET_KEY", KEY)];
    all.extend_from_slice(env);
    spawn_app_env(Backend::Sqlite, &all).await
}

fn form(source: Value, pipeline: Value) -> Value {
    json!({"form": {"name": "t", "source": source, "refresh_ms": 1000, "pipeline": {"steps": pipeline}}})
}

async fn preview(app: &TestApp, source: Value) -> Value {
    let (status, answer) = app.call("preview_dataset", form(source, json!([]))).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn preview_error(app: &TestApp, source: Value) -> String {
    let (status, answer) = app.call("preview_dataset", form(source, json!([]))).await;
    assert_eq!(status, 422, "{answer}");
    answer["message"].as_str().unwrap_or_default().to_string()
}

// --- SQL ---

async fn pg_database() -> (String, sqlx::PgPool) {
    common::pg_scratch_database("wb_src_").await
}

fn pg_source(database: &str, query: &str) -> Value {
    json!({"type": "sql", "driver": "postgres", "host": "127.0.0.1", "database": database,
           "user": "postgres", "password": "not-needed-on-trust", "query": query,
           "timeout_ms": 2000, "max_rows": 10})
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_columns_map_to_typed_fields_and_parameters_are_bound() {
    let app = app_with(&[]).await;
    let (db, pool) = pg_database().await;
    sqlx::raw_sql(
        "CREATE TABLE sales (id INT, region TEXT, amount NUMERIC(12,2), ratio FLOAT8,
            ok BOOLEAN, day DATE, at TIMESTAMPTZ, local TIMESTAMP, extra JSONB, big BIGINT);
         INSERT INTO sales VALUES
           (1, 'north', 1234.50, 0.25, true, '2024-03-01', '2024-03-01 12:00:00+02',
            '2024-03-01 08:30:00', '{\"a\": [1]}', 9007199254740993),
           (2, 'south', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
           (3, 'north', 7, 1.5, false, '2024-03-02', '2024-03-02 00:00:00+00',
            '2024-03-02 00:00:00', 'null', 0);",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut source = pg_source(
        &db,
        "SELECT * FROM sales WHERE region = :region ORDER BY id",
    );
    source["params"] = json!([{"name": "region", "value": "north"}]);
    let p = preview(&app, source).await;
    assert_eq!(p["source_rows"], 2);
    assert_eq!(
        p["rows"][0],
        json!({"id": 1, "region": "north", "amount": 1234.5, "ratio": 0.25, "ok": true,
               "day": "2024-03-01", "at": "2024-03-01T10:00:00Z", "local": "2024-03-01T08:30:00",
               "extra": {"a": [1]}, "big": 9007199254740993i64})
    );
    let kinds: HashMap<String, String> = p["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().into(),
                f["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(kinds["amount"], "number");
    assert_eq!(kinds["ok"], "boolean");
    assert_eq!(kinds["day"], "text");

    let err = preview_error(&app, pg_source(&db, "SELECT '1 day'::interval AS span")).await;
    assert!(
        err.contains("'span'") && err.contains("INTERVAL") && err.contains("cast"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_queries_are_read_only_bounded_in_time_and_capped_in_rows() {
    let app = app_with(&[]).await;
    let (db, pool) = pg_database().await;
    sqlx::query("CREATE TABLE t (n INT)")
        .execute(&pool)
        .await
        .unwrap();

    let err = preview_error(&app, pg_source(&db, "INSERT INTO t VALUES (1) RETURNING n")).await;
    assert!(err.contains("read-only transaction"), "{err}");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing was written");

    let mut slow = pg_source(&db, "SELECT pg_sleep(5)");
    slow["timeout_ms"] = json!(300);
    let started = std::time::Instant::now();
    let err = preview_error(&app, slow).await;
    assert!(err.contains("statement timeout"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(4));

    let err = preview_error(&app, pg_source(&db, "SELECT generate_series(1, 11) AS n")).await;
    assert!(err.contains("more than 10 rows"), "{err}");

    let err = preview_error(&app, pg_source(&db, "SELECT 1; DROP TABLE t")).await;
    assert!(err.contains("refused the query"), "{err}");
    let mut wrong = pg_source(&db, "SELECT 1");
    wrong["database"] = json!("no_such_database_here");
    let err = preview_error(&app, wrong).await;
    assert!(err.contains("no_such_database_here"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sql_host_on_loopback_is_refused_unless_allowed() {
    let app = app_with(&[("WALLBOARD_ALLOW_TARGETS", "")]).await;
    for host in ["127.0.0.1", "localhost"] {
        let mut source = pg_source("postgres", "SELECT 1");
        source["host"] = json!(host);
        let err = preview_error(&app, source).await;
        assert!(
            err.contains("loopback") && err.contains("WALLBOARD_ALLOW_TARGETS"),
            "{err}"
        );
    }
}

fn mariadb_source(query: &str) -> Value {
    json!({"type": "sql", "driver": "mysql", "host": "127.0.0.1", "database": "test",
           "user": "root", "query": query, "timeout_ms": 1000, "max_rows": 100})
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_columns_map_to_typed_fields_and_writes_are_refused() {
    use sqlx::Connection;
    let app = app_with(&[]).await;
    let table = format!("wb_src_{}", wallboard_server::new_id());
    let mut conn = sqlx::MySqlConnection::connect("mysql://root@127.0.0.1:3306/test")
        .await
        .expect("MariaDB runs on 127.0.0.1:3306");
    sqlx::query(&format!(
        "CREATE TABLE {table} (id INT, name VARCHAR(20), price DECIMAL(10,2), w DOUBLE,
            ok BOOLEAN, day DATE, at DATETIME, n BIGINT UNSIGNED)"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(&format!(
        "INSERT INTO {table} VALUES (1, 'bolt', 12.50, 0.5, TRUE, '2024-03-01', '2024-03-01 08:30:00', 18446744073709551615),
                                    (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
    ))
    .execute(&mut conn)
    .await
    .unwrap();

    let mut source = mariadb_source(&format!(
        "SELECT * FROM {table} WHERE id >= :min ORDER BY id"
    ));
    source["params"] = json!([{"name": "min", "value": 1}]);
    let p = preview(&app, source).await;
    assert_eq!(
        p["rows"][0],
        json!({"id": 1, "name": "bolt", "price": 12.5, "w": 0.5, "ok": true,
               "day": "2024-03-01", "at": "2024-03-01T08:30:00", "n": 18446744073709551615u64})
    );
    assert_eq!(p["rows"][1]["name"], Value::Null);

    let err = preview_error(&app, mariadb_source(&format!("DELETE FROM {table}"))).await;
    assert!(err.contains("READ ONLY"), "{err}");
    let left: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 2, "nothing was deleted");

    let mut slow = mariadb_source("SELECT SLEEP(5) AS s");
    slow["timeout_ms"] = json!(300);
    let started = std::time::Instant::now();
    let outcome = app.call("preview_dataset", form(slow, json!([]))).await;
    // MariaDB stops the statement; SLEEP reports the interruption as 1 or an error.
    assert!(started.elapsed() < Duration::from_secs(4), "{outcome:?}");
    sqlx::query(&format!("DROP TABLE {table}"))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_files_are_read_only_from_allowed_directories() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.db");
    {
        use sqlx::sqlite::SqliteConnectOptions;
        use sqlx::ConnectOptions;
        let mut conn = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE TABLE m (k TEXT, v REAL, on_call BOOLEAN, n INTEGER);
             INSERT INTO m VALUES ('cpu', 0.75, 1, 3), ('disk', NULL, 0, NULL);",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let app = app_with(&[("WALLBOARD_SQLITE_DIRS", dir.path().to_str().unwrap())]).await;
    let source = |path: &str, query: &str| {
        json!({"type": "sql", "driver": "sqlite", "database": path, "query": query,
               "timeout_ms": 300, "max_rows": 100})
    };
    let path = file.to_str().unwrap();
    let p = preview(&app, source(path, "SELECT * FROM m ORDER BY k")).await;
    assert_eq!(
        p["rows"],
        json!([{"k": "cpu", "v": 0.75, "on_call": true, "n": 3},
               {"k": "disk", "v": null, "on_call": false, "n": null}])
    );
    let err = preview_error(&app, source(path, "DELETE FROM m")).await;
    assert!(
        err.contains("readonly") || err.contains("read-only") || err.contains("query_only"),
        "{err}"
    );
    let err = preview_error(
        &app,
        source(
            path,
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        ),
    )
    .await;
    assert!(err.contains("longer than 300 ms"), "{err}");

    let own = app.db.url.trim_start_matches("sqlite://").to_string();
    let err = preview_error(&app, source(&own, "SELECT 1")).await;
    assert!(
        err.contains("outside") || err.contains("own database"),
        "{err}"
    );
    let err = preview_error(&app, source("/etc/passwd", "SELECT 1")).await;
    assert!(err.contains("outside the directories"), "{err}");
}

// --- HTTP ---

#[derive(Clone, Default)]
struct Api {
    failures_left: Arc<AtomicUsize>,
    hits: Arc<AtomicUsize>,
}

async fn api_server() -> (String, Api) {
    let api = Api::default();
    let app = Router::new()
        .route(
            "/search",
            post(|headers: HeaderMap, body: String| async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
                if auth != Some("Bearer tok-123") {
                    return (StatusCode::UNAUTHORIZED, "no").into_response();
                }
                let asked: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                axum::Json(json!({"hits": [{"q": asked["q"], "n": 2}]})).into_response()
            }),
        )
        .route(
            "/keyed",
            get(
                |headers: HeaderMap, Query(q): Query<HashMap<String, String>>| async move {
                    if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some("k-9") {
                        return (StatusCode::FORBIDDEN, "no").into_response();
                    }
                    axum::Json(json!([{"region": q.get("region").cloned(), "v": 1}]))
                        .into_response()
                },
            ),
        )
        .route(
            "/csv",
            get(|| async { "day;sales\n2024-03-01;1.234\n2024-03-02;17\n" }),
        )
        .route("/number", get(|| async { " 42.5\n" }))
        .route(
            "/flaky",
            get(|State(api): State<Api>| async move {
                api.hits.fetch_add(1, Ordering::SeqCst);
                let left = api.failures_left.load(Ordering::SeqCst);
                if left > 0 {
                    api.failures_left.store(left - 1, Ordering::SeqCst);
                    return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
                }
                axum::Json(json!({"v": 7})).into_response()
            }),
        )
        .route(
            "/paged",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                let page: u32 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                let items: Vec<Value> = if page <= 3 {
                    vec![json!({"page": page})]
                } else {
                    vec![]
                };
                let next = (page < 3).then(|| format!("/paged?page={}", page + 1));
                axum::Json(json!({"items": items, "next": next}))
            }),
        )
        .route(
            "/linked",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                let page: u32 = q.get("p").and_then(|p| p.parse().ok()).unwrap_or(1);
                let mut response = axum::Json(json!([{"p": page}])).into_response();
                if page < 4 {
                    let link = format!("</linked?p={}>; rel=\"next\"", page + 1);
                    response.headers_mut().insert("link", link.parse().unwrap());
                }
                response
            }),
        )
        .with_state(api.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, api)
}

fn http(url: String) -> Value {
    json!({"type": "http", "url": url, "timeout_ms": 2000})
}

#[tokio::test(flavor = "multi_thread")]
async fn http_sources_post_with_auth_and_read_csv_and_plain_numbers() {
    let app = app_with(&[]).await;
    let (base, _) = api_server().await;

    let mut search = http(format!("{base}/search"));
    search["method"] = json!("POST");
    search["body"] = json!(r#"{"q": "bolts"}"#);
    search["auth"] = json!({"kind": "bearer", "token": "tok-123"});
    let (status, answer) = app
        .call(
            "preview_dataset",
            json!({"form": {"name": "t", "source": search, "path": "$.hits", "refresh_ms": 1000}}),
        )
        .await;
    assert_eq!(
        (status, &answer["rows"]),
        (200, &json!([{"q": "bolts", "n": 2}])),
        "{answer}"
    );

    search["auth"] = json!({"kind": "bearer", "token": "wrong"});
    let err = preview_error(&app, search).await;
    assert!(err.contains("401") && err.contains("credentials"), "{err}");

    let mut keyed = http(format!("{base}/keyed"));
    keyed["auth"] = json!({"kind": "api_key", "header": "X-API-Key", "key": "k-9"});
    keyed["query"] = json!([{"name": "region", "value": "north"}]);
    assert_eq!(
        preview(&app, keyed).await["rows"],
        json!([{"region": "north", "v": 1}])
    );

    let mut csv = http(format!("{base}/csv"));
    csv["format"] = json!("csv");
    assert_eq!(
        preview(&app, csv).await["rows"],
        json!([{"day": "2024-03-01", "sales": 1.234}, {"day": "2024-03-02", "sales": 17}])
    );
    let mut number = http(format!("{base}/number"));
    number["format"] = json!("number");
    assert_eq!(
        preview(&app, number).await["rows"],
        json!([{"value": 42.5}])
    );
    let mut not_number = http(format!("{base}/csv"));
    not_number["format"] = json!("number");
    assert!(preview_error(&app, not_number)
        .await
        .contains("not a number"));
}

#[tokio::test(flavor = "multi_thread")]
async fn http_retries_back_off_and_give_up_saying_how_often_they_tried() {
    let app = app_with(&[]).await;
    let (base, api) = api_server().await;
    let mut flaky = http(format!("{base}/flaky"));
    flaky["retries"] = json!(2);
    api.failures_left.store(2, Ordering::SeqCst);
    assert_eq!(
        preview(&app, flaky.clone()).await["rows"],
        json!([{"v": 7}])
    );
    assert_eq!(api.hits.load(Ordering::SeqCst), 3);

    api.failures_left.store(5, Ordering::SeqCst);
    let err = preview_error(&app, flaky).await;
    assert!(
        err.contains("503") && err.contains("after 3 attempts"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn http_pages_are_followed_by_body_link_header_or_page_number_up_to_the_cap() {
    let app = app_with(&[]).await;
    let (base, _) = api_server().await;
    let paged = |pagination: Value, url: &str, path: &str| {
        let mut source = http(format!("{base}{url}"));
        source["pagination"] = pagination;
        json!({"form": {"name": "t", "source": source, "path": path, "refresh_ms": 1000}})
    };
    let rows = |answer: &Value, key: &str| -> Vec<i64> {
        answer["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[key].as_i64().unwrap())
            .collect()
    };
    let next_in_body = paged(
        json!({"kind": "next_link", "next": "$.next", "max_pages": 10}),
        "/paged",
        "$.items",
    );
    assert_eq!(
        rows(&app.ok("preview_dataset", next_in_body).await, "page"),
        [1, 2, 3]
    );

    let by_number = paged(
        json!({"kind": "page_param", "param": "page", "start": 1, "max_pages": 10}),
        "/paged",
        "$.items",
    );
    assert_eq!(
        rows(&app.ok("preview_dataset", by_number).await, "page"),
        [1, 2, 3]
    );

    let link_header = paged(json!({"kind": "next_link", "max_pages": 2}), "/linked", "$");
    assert_eq!(
        rows(&app.ok("preview_dataset", link_header).await, "p"),
        [1, 2],
        "capped at 2 pages"
    );
}

// --- Credentials ---

#[tokio::test(flavor = "multi_thread")]
async fn credentials_are_sealed_at_rest_and_still_used_by_refreshes() {
    let app = app_with(&[]).await;
    let (base, _) = api_server().await;
    let mut keyed = http(format!("{base}/keyed"));
    keyed["auth"] = json!({"kind": "api_key", "header": "X-API-Key", "key": "k-9"});
    keyed["query"] = json!([{"name": "region", "value": "west"}]);
    let summary = app.ok("create_dataset", form(keyed, json!([]))).await;
    let id = summary["id"].as_str().unwrap().to_string();
    assert_eq!(summary["kind"], "http");
    assert_eq!(summary["fields"][0]["name"], "region");

    let storage = app.db.storage().await;
    let stored = storage.list_datasets().await.unwrap();
    let config = serde_json::to_string(&stored[0].source.config).unwrap();
    assert!(!config.contains("k-9"), "{config}");
    assert!(config.contains("\"sealed\":\"v1."), "{config}");
    let listed = app.ok("list_datasets", json!({})).await.to_string();
    assert!(
        !listed.contains("k-9") && !listed.contains("sealed"),
        "{listed}"
    );

    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    let frame = live
        .frame_where(Duration::from_secs(5), |f| f["rows"][0]["region"] == "west")
        .await;
    assert_eq!(frame["error"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_source_with_credentials_is_refused_without_a_key_and_says_which_to_set() {
    let app = spawn_app_env(Backend::Postgres, &[]).await;
    let (base, _) = api_server().await;
    let mut keyed = http(format!("{base}/keyed"));
    keyed["auth"] = json!({"kind": "api_key", "header": "X-API-Key", "key": "k-9"});
    let (status, answer) = app.call("create_dataset", form(keyed, json!([]))).await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("WALLBOARD_SECRET_KEY"),
        "{answer}"
    );
    assert_eq!(app.ok("list_datasets", json!({})).await, json!([]));
}

// --- Spreadsheets ---

async fn upload(app: &TestApp, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let res = app
        .http
        .post(format!("{}/api/v1/uploads?name={name}", app.base))
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_uploaded_workbook_becomes_a_live_dataset_with_a_pipeline() {
    let app = app_with(&[]).await;
    let (status, info) = upload(
        &app,
        "table-multiple.xlsx",
        corpus::calamine("table-multiple.xlsx"),
    )
    .await;
    assert_eq!(status, 201, "{info}");
    assert_eq!(info["sheets"], json!(["Sheet1", "Sheet2", "Sheet3"]));
    assert_eq!(info["format"], "xlsx");
    let source = json!({"type": "sheet", "file": {"kind": "upload", "upload": info["id"], "name": "table-multiple.xlsx"},
                        "sheet": "Sheet1", "header_row": 1});
    let pipeline = json!([
        {"op": "filter", "field": "Quantity", "cmp": "ge", "value": 60},
        {"op": "sort", "field": "Quantity", "descending": true}
    ]);
    let p = app
        .ok("preview_dataset", form(source.clone(), pipeline.clone()))
        .await;
    assert_eq!(p["source_rows"], 4);
    assert_eq!(
        p["rows"],
        json!([{"Item": 2, "Type": "Banana", "Quantity": 200},
               {"Item": 4, "Type": "Pear", "Quantity": 100},
               {"Item": 3, "Type": "Orange", "Quantity": 60}])
    );
    assert_eq!(p["reports"][0]["rows"], 3);
    let id = app.ok("create_dataset", form(source, pipeline)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    let frame = live
        .frame_where(Duration::from_secs(5), |f| {
            f["rows"].as_array().is_some_and(|r| r.len() == 3)
        })
        .await;
    assert_eq!(frame["rows"][0]["Type"], "Banana");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_or_oversized_upload_is_refused_and_nothing_is_kept() {
    let app = app_with(&[("WALLBOARD_MAX_UPLOAD_BYTES", "4096")]).await;
    let mut broken = corpus::calamine("issue139.xlsx");
    broken.truncate(broken.len() / 2);
    let (status, answer) = upload(&app, "issue139.xlsx", broken).await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("issue139.xlsx: "),
        "{answer}"
    );
    let (status, answer) = upload(&app, "big.csv", vec![b'a'; 5000]).await;
    assert_eq!(status, 413, "{answer}");
}

fn upload_source(info: &Value) -> Value {
    json!({"type": "sheet", "file": {"kind": "upload", "upload": info["id"], "name": info["name"]},
           "header_row": 1})
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_spreadsheets_get_a_clear_error_and_the_server_keeps_serving() {
    let app = app_with(&[]).await;
    let message = |answer: &Value| answer["message"].as_str().unwrap_or_default().to_string();

    // Files whose sheets list cheaply are kept; reading them is refused.
    let far_xlsx = fixtures::xlsx_file(
        r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>"#,
        None,
    );
    let mut wide_csv = vec!["a"; 100_001].join(",");
    wide_csv.push_str("\n1\n");
    for (name, bytes, why) in [
        (
            "far.xlsx",
            far_xlsx,
            "more than 1000000 rows (a cell at XFD1048576); choose a range",
        ),
        (
            "wide.csv",
            wide_csv.into_bytes(),
            "more than 16384 columns (a cell at XFE1); choose a range",
        ),
    ] {
        let (status, info) = upload(&app, name, bytes).await;
        assert_eq!(status, 201, "{name}: {info}");
        let err = preview_error(&app, upload_source(&info)).await;
        assert!(err.contains(why), "{name}: {err}");
    }

    // Files that calamine would lay out whole are refused before they are kept.
    let far_xls = fixtures::compound_file(
        "Workbook",
        &fixtures::workbook_stream(&[(0, 0, 1.0), (65_535, 65_535, 2.0)], None),
    );
    let repeated_ods = fixtures::ods_file(&format!(
        r#"<table:table table:name="Big">{}</table:table>"#,
        r#"<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row>"#
            .repeat(100)
    ));
    let many_strings = fixtures::xlsx_file(
        "",
        Some(
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="1000000000000"></sst>"#,
        ),
    );
    for (name, bytes, why) in [
        ("far.xls", far_xls, "spans more than 10000000 cells"),
        ("big.ods", repeated_ods, "spans more than 10000000 cells"),
        (
            "strings.xlsx",
            many_strings,
            "lists 1000000000000 shared strings",
        ),
        (
            "password.xlsx",
            corpus::calamine("password.xlsx"),
            "password-protected",
        ),
        (
            "empty_file.ods",
            corpus::calamine("empty_file.ods"),
            "empty (0 bytes)",
        ),
    ] {
        let (status, answer) = upload(&app, name, bytes).await;
        assert_eq!(status, 422, "{name}: {answer}");
        assert!(
            message(&answer).starts_with(&format!("{name}: ")) && message(&answer).contains(why),
            "{name}: {answer}"
        );
    }
    assert_eq!(app.get("/healthz").await, (200, "ok".into()));
    // Only the two files whose sheets could be listed were kept.
    let db = sqlx::SqlitePool::connect(&app.db.url).await.unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM uploads")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(kept, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn vega_datasets_read_over_http_as_json_and_csv() {
    let app = app_with(&[]).await;
    let files = Router::new()
        .route(
            "/cars.json",
            get(|| async {
                (
                    [("content-type", "application/json")],
                    corpus::vega("cars.json"),
                )
            }),
        )
        .route(
            "/seattle-weather.csv",
            get(|| async { corpus::vega("seattle-weather.csv") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, files).await });

    let japan = json!([{"op": "filter", "field": "Origin", "cmp": "eq", "value": "Japan"}]);
    let p = app
        .ok(
            "preview_dataset",
            form(http(format!("{base}/cars.json")), japan),
        )
        .await;
    assert_eq!(p["source_rows"], 406);
    assert_eq!(p["total_rows"], 79);
    assert_eq!(
        p["sample"][0],
        json!({"Name": "chevrolet chevelle malibu", "Miles_per_Gallon": 18, "Cylinders": 8,
               "Displacement": 307, "Horsepower": 130, "Weight_in_lbs": 3504,
               "Acceleration": 12, "Year": "1970-01-01", "Origin": "USA"})
    );

    let mut weather = http(format!("{base}/seattle-weather.csv"));
    weather["format"] = json!("csv");
    let snow = json!([{"op": "filter", "field": "weather", "cmp": "eq", "value": "snow"}]);
    let p = app.ok("preview_dataset", form(weather, snow)).await;
    assert_eq!(
        (p["source_rows"].clone(), p["total_rows"].clone()),
        (json!(1461), json!(23))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rotating_the_key_reseals_every_stored_credential() {
    use wallboard_server::sources::vault::{reseal_stored, Vault};
    let app = app_with(&[]).await;
    let (base, _) = api_server().await;
    let mut keyed = http(format!("{base}/keyed"));
    keyed["auth"] = json!({"kind": "api_key", "header": "X-API-Key", "key": "k-9"});
    app.ok("create_dataset", form(keyed, json!([]))).await;
    let storage = app.db.storage().await;

    let new_key = Vault::new_key();
    let during = Vault::from_keys(Some(&new_key), Some(KEY)).unwrap();
    assert_eq!(reseal_stored(&storage, &during).await.unwrap(), 1);
    assert_eq!(
        reseal_stored(&storage, &during).await.unwrap(),
        0,
        "already current"
    );

    let after = Vault::from_keys(Some(&new_key), None).unwrap();
    let mut source = storage.list_sources().await.unwrap().remove(0);
    after
        .open_all(&mut source.config, source.id.as_str())
        .unwrap();
    assert!(serde_json::to_string(&source.config)
        .unwrap()
        .contains("k-9"));
    let before = Vault::from_keys(Some(KEY), None).unwrap();
    let mut stale = storage.list_sources().await.unwrap().remove(0);
    let err = before
        .open_all(&mut stale.config, stale.id.as_str())
        .unwrap_err();
    assert!(
        err.to_string().contains("WALLBOARD_SECRET_KEY_OLD"),
        "{err}"
    );
}

// --- editing and deleting datasets ---

/// An edit keeps the dataset's id and a credential left blank, changes the path, the
/// pipeline and the name, reaches an open stream at once, and lists the widgets that
/// read a field now gone. Another workspace's form, or a sealed value sent back, is
/// refused.
#[tokio::test(flavor = "multi_thread")]
async fn an_edited_dataset_keeps_its_credential_and_its_viewers_get_the_new_rows() {
    let app = app_with(&[]).await;
    let (base, _) = api_server().await;
    let mut keyed = http(format!("{base}/keyed"));
    keyed["auth"] = json!({"kind": "api_key", "header": "X-API-Key", "key": "k-9"});
    keyed["query"] = json!([{"name": "region", "value": "west"}]);
    let created = app.ok("create_dataset", form(keyed, json!([]))).await;
    let id = created["id"].as_str().unwrap().to_string();
    let dashboard = app.create_dashboard("Regions").await;
    let mut doc = common::dashboard_doc("Regions", Some(&id));
    doc["widgets"][0]["binding"] =
        json!({"dataset": id, "slots": {"value": ["v"]}, "row": {"pick": "last"}});
    doc["schema_version"] = json!(2);
    doc["widgets"][0]["look"] = json!({"title": "West"});
    doc["widgets"][0]["props"] = json!({});
    let (status, body) = app.save(&dashboard, &doc, 1).await;
    assert_eq!(status, 200, "{body}");
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    live.frame_where(Duration::from_secs(5), |f| f["rows"][0]["region"] == "west")
        .await;

    // The form comes back without the credential.
    let editable = app.ok("dataset_form", json!({"id": id})).await;
    assert_eq!(editable["has_credentials"], true);
    let text = editable.to_string();
    assert!(!text.contains("k-9") && !text.contains("sealed"), "{text}");
    let mut edited = editable["form"].clone();
    assert_eq!(edited["source"]["auth"]["key"], "");

    // Test and save with the key left blank: the stored one is used.
    edited["name"] = json!("East");
    edited["source"]["query"] = json!([{"name": "region", "value": "east"}]);
    edited["pipeline"] = json!({"steps": [{"op": "rename", "from": "v", "to": "value"}]});
    let (status, preview) = app
        .call("preview_dataset", json!({"form": edited, "editing": id}))
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["rows"][0]["region"], "east");
    let done = app
        .ok("update_dataset", json!({"id": id, "form": edited}))
        .await;
    assert_eq!(done["dataset"]["id"], json!(id));
    assert_eq!(done["dataset"]["name"], "East");
    assert_eq!(done["removed_fields"], json!(["v"]));
    assert_eq!(done["affected"], json!(["Regions › West (v)"]));
    // The viewer gets the new rows without asking.
    live.frame_where(Duration::from_secs(5), |f| f["rows"][0]["region"] == "east")
        .await;
    let storage = app.db.storage().await;
    let stored = storage
        .get_dataset(&app::model::DatasetId::parse(id.clone()).unwrap())
        .await
        .unwrap()
        .unwrap();
    let config = serde_json::to_string(&stored.source.config).unwrap();
    assert!(
        config.contains("\"sealed\":\"v1.") && !config.contains("k-9"),
        "{config}"
    );
    // The binding is untouched: the widget says the field is gone, nothing breaks.
    let kept = app.ok("load_editor", json!({"id": dashboard})).await;
    assert_eq!(
        kept["stored"]["dashboard"]["widgets"][0]["binding"]["dataset"],
        json!(id)
    );
    assert_eq!(app.get(&format!("/view/{dashboard}")).await.0, 200);

    // A sealed value sent back in a form is refused; so is an unknown dataset.
    let mut smuggled = edited.clone();
    smuggled["source"]["auth"]["key"] = json!({"sealed": "v1.x.y"});
    let (status, body) = app
        .call("update_dataset", json!({"id": id, "form": smuggled}))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .call("update_dataset", json!({"id": "nope", "form": edited}))
        .await;
    assert_eq!(status, 404);
}

/// A dataset in use cannot be deleted, and the refusal says where it is used; once
/// unbound it goes, with its rows, and its uploaded file when nothing else reads it.
#[tokio::test(flavor = "multi_thread")]
async fn a_dataset_is_deleted_only_when_unused_and_takes_its_upload_along() {
    let app = app_with(&[]).await;
    let (status, info) = upload(&app, "sales.csv", b"region,v\nwest,1\n".to_vec()).await;
    assert_eq!(status, 201, "{info}");
    let created = app
        .ok("create_dataset", form(upload_source(&info), json!([])))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let dashboard = app.create_dashboard("Wall").await;
    let (status, _) = app
        .save(&dashboard, &common::dashboard_doc("Wall", Some(&id)), 1)
        .await;
    assert_eq!(status, 200);

    let (status, body) = app.call("delete_dataset", json!({"id": id})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains("Wall"), "{body}");

    // The form of an uploaded sheet names its file.
    let editable = app.ok("dataset_form", json!({"id": id})).await;
    assert_eq!(editable["upload"]["name"], "sales.csv");

    let (status, _) = app
        .save(&dashboard, &common::dashboard_doc("Wall", None), 2)
        .await;
    assert_eq!(status, 200);
    app.ok("delete_dataset", json!({"id": id})).await;
    let listed = app.ok("list_datasets", json!({})).await;
    assert!(!listed.to_string().contains(&id), "{listed}");
    let storage = app.db.storage().await;
    let upload_id = app::model::UploadId::parse(info["id"].as_str().unwrap()).unwrap();
    assert!(storage.get_upload(&upload_id).await.unwrap().is_none());
    let (status, _) = app.call("delete_dataset", json!({"id": id})).await;
    assert_eq!(status, 404);
}
