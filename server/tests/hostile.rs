//! The attack suite: each request that once took Wallboard down, or read what it must
//! not, sent to the real `wallboard` binary (its own process, so its memory can be
//! read and a crash is seen). Each test checks the answer is a clear refusal naming the
//! problem, that the process still answers `/healthz`, that its peak memory stayed
//! under a bound, and that nothing was stored.

mod common;

use serde_json::{json, Value};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// Peak resident memory the server may reach in any of these tests. The attacks
/// asked for 512 GiB (a sparse workbook), 19.5 GB (a doubling jq string), or more.
const MAX_PEAK_RSS_MB: u64 = 768;

/// A `wallboard` process on a fresh SQLite file, and a loopback source it may read.
struct Server {
    child: Child,
    base: String,
    http: reqwest::Client,
    dir: tempfile::TempDir,
    /// Datasets the test made on purpose.
    expect_datasets: usize,
}

impl Server {
    async fn start(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_wallboard"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("WALLBOARD_ADDR", format!("127.0.0.1:{port}"))
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/wallboard.db", dir.path().display()),
            )
            .env("WALLBOARD_DEMO", "false")
            .env("WALLBOARD_ALLOW_TARGETS", "loopback")
            .env("WALLBOARD_SITE_ROOT", dir.path())
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().expect("the server binary starts");
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            dir,
            expect_datasets: 0,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !server.healthy().await {
            assert!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let cookie = common::setup_admin(&server.base).await;
        server.http = common::signed_client_for(&cookie, Duration::from_secs(30));
        server
    }

    async fn healthy(&self) -> bool {
        matches!(
            self.http.get(format!("{}/healthz", self.base)).send().await,
            Ok(res) if res.status() == 200
        )
    }

    async fn call(&self, name: &str, body: Value) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/api/fn/{name}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: no answer ({e}); log:\n{}", self.log()));
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn upload(&self, name: &str, bytes: Vec<u8>) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/api/v1/uploads?name={name}", self.base))
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The process's peak resident memory so far, in MiB.
    fn peak_rss_mb(&self) -> u64 {
        let pid = self.child.id().expect("the server runs");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status");
        kb / 1024
    }

    /// What every attack must leave: a live process, bounded memory, nothing stored.
    async fn still_standing(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the server died; log:\n{}",
            self.log()
        );
        assert!(self.healthy().await, "the server does not answer /healthz");
        let peak = self.peak_rss_mb();
        assert!(
            peak < MAX_PEAK_RSS_MB,
            "the server's peak memory reached {peak} MiB"
        );
        let (status, datasets) = self.call("list_datasets", json!({})).await;
        assert_eq!(status, 200, "{datasets}");
        assert_eq!(
            datasets.as_array().map(Vec::len),
            Some(self.expect_datasets),
            "nothing is stored: {datasets}"
        );
        assert!(
            !self.log().contains("panicked"),
            "a panic was logged:\n{}",
            self.log()
        );
    }
}

/// A loopback HTTP source answering `/rows` with a small JSON array.
async fn source() -> String {
    let app = axum::Router::new().route(
        "/rows",
        axum::routing::get(|| async {
            axum::Json(json!([{"region": "north", "n": 1}, {"region": "south", "n": 2}]))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/rows", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn http_form(url: &str, path: &str, steps: Value) -> Value {
    json!({"form": {"name": "t", "source": {"type": "http", "url": url, "timeout_ms": 5000},
                    "path": path, "refresh_ms": 1000, "pipeline": {"steps": steps}}})
}

fn message(answer: &Value) -> String {
    answer["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| answer.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_json_path_nested_a_hundred_thousand_deep_is_refused() {
    let mut server = Server::start(&[]).await;
    let url = source().await;
    let path = format!("$[?{}@{}]", "(".repeat(100_000), ")".repeat(100_000));
    let (status, answer) = server
        .call("preview_dataset", http_form(&url, &path, json!([])))
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(message(&answer).contains("JSONPath"), "{answer}");
    let nested = format!("$[?{}@{}]", "(".repeat(1_000), ")".repeat(1_000));
    let (status, answer) = server
        .call("create_dataset", http_form(&url, &nested, json!([])))
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(message(&answer).contains("nested more than 64"), "{answer}");
    // In a step and in a pagination link too.
    let step = json!([{"op": "json_path", "path": nested}]);
    let (status, answer) = server
        .call("create_dataset", http_form(&url, "$", step))
        .await;
    assert_eq!(status, 422, "{answer}");
    server.still_standing().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jq_filter_asking_for_a_terabyte_stops_its_step_not_the_server() {
    let mut server = Server::start(&[]).await;
    let url = source().await;
    let steps = json!([{"op": "jq", "filter": "[\"x\" * 1000000000000]"}]);
    let (status, answer) = server
        .call("preview_dataset", http_form(&url, "$", steps.clone()))
        .await;
    assert_eq!(status, 200, "{answer}");
    let error = answer["pipeline_error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("step 1: jq: ") && error.contains("memory"),
        "{answer}"
    );
    let (status, answer) = server
        .call("create_dataset", http_form(&url, "$", steps))
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(message(&answer).contains("memory"), "{answer}");
    server.still_standing().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jq_filter_that_doubles_a_string_forty_times_is_stopped_at_its_budget() {
    let mut server = Server::start(&[("WALLBOARD_PIPELINE_MAX_BYTES", "67108864")]).await;
    let url = source().await;
    let steps = json!([{"op": "jq", "filter": "reduce range(40) as $_ (\"x\"; . + .)"}]);
    let (status, answer) = server
        .call("preview_dataset", http_form(&url, "$", steps))
        .await;
    assert_eq!(status, 200, "{answer}");
    let error = answer["pipeline_error"].as_str().unwrap_or_default();
    assert!(error.contains("more than 64 MiB of memory"), "{answer}");
    // The same filter, bounded, still runs: the worker is not broken for the next one.
    let fine = json!([{"op": "jq", "filter": "reduce range(4) as $_ (\"x\"; . + .) | {s: .}"}]);
    let (status, answer) = server
        .call("preview_dataset", http_form(&url, "$", fine))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["rows"],
        json!([{"s": "xxxxxxxxxxxxxxxx"}]),
        "{answer}"
    );
    server.still_standing().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn endless_and_deeply_recursive_jq_filters_end_with_a_reason() {
    let mut server = Server::start(&[]).await;
    let url = source().await;
    for (filter, reasons) in [
        ("def f: [f]; f", &["recursed too deeply"][..]),
        ("last(range(1e18))", &["steps", "longer than"][..]),
        (
            "[limit(100000000; repeat(1))] | length",
            &["steps", "memory", "longer than"][..],
        ),
    ] {
        let steps = json!([{"op": "jq", "filter": filter}]);
        let (status, answer) = server
            .call("preview_dataset", http_form(&url, "$", steps))
            .await;
        assert_eq!(status, 200, "{filter}: {answer}");
        let error = answer["pipeline_error"].as_str().unwrap_or_default();
        assert!(
            error.starts_with("step 1: jq: ") && reasons.iter().any(|r| error.contains(r)),
            "{filter}: {answer}"
        );
    }
    server.still_standing().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn computed_fields_and_fills_that_grow_without_bound_stop_at_the_byte_budget() {
    let mut server = Server::start(&[("WALLBOARD_PIPELINE_MAX_BYTES", "16777216")]).await;
    let url = source().await;
    let big = "x".repeat(500_000);
    // Each step doubles the text: past the cell cap the cell is a problem, and the
    // fill of a large value on many rows passes the run's budget.
    let steps = json!([
        {"op": "fill_null", "field": "pad", "value": big},
        {"op": "compute", "field": "a", "expr": "concat(pad, pad)"},
        {"op": "compute", "field": "b", "expr": "concat(a, a)"},
    ]);
    let (status, answer) = server
        .call("preview_dataset", http_form(&url, "$", steps))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["reports"][2]["problems"], 2, "{answer}");
    assert!(
        answer["reports"][2]["messages"][0]
            .as_str()
            .unwrap_or_default()
            .contains("longer than 1 MiB"),
        "{answer}"
    );
    let many: Vec<Value> = (0..40)
        .map(|i| json!({"op": "compute", "field": format!("c{i}"), "expr": "concat(pad, 'y')"}))
        .collect();
    let mut steps = vec![json!({"op": "fill_null", "field": "pad", "value": big})];
    steps.extend(many);
    let (status, answer) = server
        .call("preview_dataset", http_form(&url, "$", json!(steps)))
        .await;
    assert_eq!(status, 200, "{answer}");
    let error = answer["pipeline_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("take more than 16 MiB") && error.contains("WALLBOARD_PIPELINE_MAX_BYTES"),
        "{answer}"
    );
    server.still_standing().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pipeline_past_the_step_cap_is_refused_when_stored() {
    let mut server = Server::start(&[]).await;
    let url = source().await;
    let steps: Vec<Value> = (0..51).map(|_| json!({"op": "limit", "n": 1})).collect();
    let (status, answer) = server
        .call("create_dataset", http_form(&url, "$", json!(steps)))
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer.to_string().contains("at most 50 steps"), "{answer}");
    server.still_standing().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expressions_jq_and_ranges_of_hostile_size_are_refused_when_read() {
    let mut server = Server::start(&[]).await;
    let url = source().await;
    let deep_expr = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let deep_jq = format!("{}.{}", "[".repeat(100_000), "]".repeat(100_000));
    // Nesting without brackets, within the length bound: parsed on a large stack.
    let keywords = format!("{}1{}", "if . then ".repeat(180), " else 0 end".repeat(180));
    for steps in [
        json!([{"op": "compute", "field": "x", "expr": deep_expr}]),
        json!([{"op": "compute", "field": "x", "expr": "1+".repeat(200_000) + "1"}]),
        json!([{"op": "jq", "filter": deep_jq}]),
    ] {
        let (status, answer) = server
            .call("preview_dataset", http_form(&url, "$", steps))
            .await;
        assert_eq!(status, 422, "{answer}");
        assert!(
            message(&answer).contains("nested more than")
                || message(&answer).contains("characters"),
            "{answer}"
        );
    }
    let steps = json!([{"op": "jq", "filter": keywords}]);
    let (status, answer) = server
        .call("preview_dataset", http_form(&url, "$", steps))
        .await;
    assert_eq!(status, 200, "{answer}");
    server.still_standing().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn jq_filters_shaped_like_a_column_scan_but_hostile_are_answered() {
    let mut server = Server::start(&[]).await;
    let url = source().await;
    // A projection as wide as the length bound allows (past the scan's 100 fields:
    // jaq's bounded worker makes it), malformed and interpolating look-alikes.
    let fields: Vec<String> = (0..680).map(|i| format!("f{i}")).collect();
    let wide = format!("map({{{}}})", fields.join(", "));
    assert!(wide.len() <= 4_000, "{}", wide.len());
    let steps = json!([{"op": "jq", "filter": wide}]);
    let (status, answer) = server
        .call("preview_dataset", http_form(&url, "$", steps))
        .await;
    assert_eq!(status, 200, "{answer}");
    let first = &answer["rows"][0];
    assert_eq!(first.as_object().map(|r| r.len()), Some(680), "{answer}");
    assert_eq!(first["f679"], Value::Null, "{answer}");
    for (filter, refused) in [
        ("map(select(.a == \"x))", true),
        ("map(select(.n > 1) | {region, n})", false),
        ("map(select(.a == \"\\(.b)\") | {a})", false),
        (".[] | select(.a >= ) | {a}", true),
    ] {
        let steps = json!([{"op": "jq", "filter": filter}]);
        let (status, answer) = server
            .call("preview_dataset", http_form(&url, "$", steps))
            .await;
        assert_eq!(
            status,
            if refused { 422 } else { 200 },
            "{filter}: {answer}"
        );
    }
    server.still_standing().await;
}

/// A valid XLSX whose only cells are A1 and XFD1048576: a 1 KB file whose dense grid
/// would be 2^34 cells.
fn sparse_corners_xlsx() -> Vec<u8> {
    common::fixtures::xlsx_file(
        r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>"#,
        None,
    )
}

fn sheet_form(upload: &Value, name: &str) -> Value {
    json!({"form": {"name": "t", "refresh_ms": 1000, "pipeline": {"steps": []},
                    "source": {"type": "sheet", "file": {"kind": "upload", "upload": upload, "name": name},
                               "header_row": 1}}})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workbook_with_cells_at_opposite_corners_is_refused_without_allocating_the_grid() {
    let mut server = Server::start(&[]).await;
    let (status, info) = server.upload("corners.xlsx", sparse_corners_xlsx()).await;
    if status == 201 {
        let (status, answer) = server
            .call("preview_dataset", sheet_form(&info["id"], "corners.xlsx"))
            .await;
        assert_eq!(status, 422, "{answer}");
        assert!(!message(&answer).is_empty(), "{answer}");
    } else {
        assert_eq!(status, 422, "{info}");
    }
    server.still_standing().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_csv_header_of_a_hundred_thousand_equal_names_is_answered_at_once() {
    let mut server = Server::start(&[]).await;
    let header = vec!["a"; 100_001].join(",");
    let csv = format!("{header}\n{}\n", vec!["1"; 100_001].join(","));
    let (status, info) = server.upload("wide.csv", csv.into_bytes()).await;
    if status == 201 {
        let (status, answer) = server
            .call("preview_dataset", sheet_form(&info["id"], "wide.csv"))
            .await;
        assert!(status == 200 || status == 422, "{answer}");
    } else {
        assert_eq!(status, 422, "{info}");
    }
    server.still_standing().await;
}

/// CSV is read straight into columns (`sheet::read_batch`): one row past the row cap
/// (1,000,000), and a file of 10,240,000 cells (past the 10,000,000-cell cap), are each
/// refused with the cap named, for a preview and for a dataset being created, and
/// nothing is kept.
#[tokio::test(flavor = "multi_thread")]
async fn csv_files_past_the_row_or_the_cell_cap_are_refused_naming_the_cap() {
    let mut server = Server::start(&[]).await;
    let mut tall = String::from("n\n");
    for i in 0..=app::model::MAX_ROWS {
        tall.push_str(&format!("{i}\n"));
    }
    let line = vec!["1"; 64].join(",");
    let mut wide = format!(
        "{}\n",
        (0..64)
            .map(|c| format!("c{c}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    for _ in 0..160_000 {
        wide.push_str(&line);
        wide.push('\n');
    }
    for (name, csv, cap) in [
        (
            "tall.csv",
            tall,
            format!("more than {} rows", app::model::MAX_ROWS),
        ),
        ("wide.csv", wide, "more than 10000000 cells".to_string()),
    ] {
        let (status, info) = server.upload(name, csv.into_bytes()).await;
        assert_eq!(status, 201, "{info}");
        for call in ["preview_dataset", "create_dataset"] {
            let (status, answer) = server.call(call, sheet_form(&info["id"], name)).await;
            assert_eq!(status, 422, "{call} {name}: {answer}");
            assert!(message(&answer).contains(&cap), "{call} {name}: {answer}");
        }
        server.still_standing().await;
    }
}

/// The byte budget beside the row cap: a CSV of 20,000 rows of 100-character text is
/// far below the row and cell caps, but holds 2 MiB of values, past a 1 MiB
/// `WALLBOARD_PIPELINE_MAX_BYTES`; it is refused naming the budget (a preview says so
/// in its pipeline error, a new dataset is refused), while 20,000 narrow rows fit.
#[tokio::test(flavor = "multi_thread")]
async fn a_dataset_past_the_byte_budget_is_refused_where_as_many_narrow_rows_fit() {
    let mut server = Server::start(&[("WALLBOARD_PIPELINE_MAX_BYTES", "1048576")]).await;
    let mut wide = String::from("n,text\n");
    let mut narrow = String::from("n\n");
    for i in 0..20_000 {
        wide.push_str(&format!("{i},{}\n", "x".repeat(100)));
        narrow.push_str(&format!("{i}\n"));
    }
    let (_, info) = server.upload("narrow.csv", narrow.into_bytes()).await;
    let (status, answer) = server
        .call("preview_dataset", sheet_form(&info["id"], "narrow.csv"))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["total_rows"], 20_000, "{answer}");
    let (status, info) = server.upload("wide.csv", wide.into_bytes()).await;
    assert_eq!(status, 201, "{info}");
    let (status, answer) = server
        .call("preview_dataset", sheet_form(&info["id"], "wide.csv"))
        .await;
    assert_eq!(status, 200, "{answer}");
    let error = answer["pipeline_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("20000 rows hold 3 MiB") && error.contains("WALLBOARD_PIPELINE_MAX_BYTES"),
        "{answer}"
    );
    let (status, answer) = server
        .call("create_dataset", sheet_form(&info["id"], "wide.csv"))
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        message(&answer).contains("WALLBOARD_PIPELINE_MAX_BYTES"),
        "{answer}"
    );
    server.still_standing().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_query_cannot_attach_another_database() {
    let allowed = tempfile::tempdir().unwrap();
    let data = allowed.path().join("data.db");
    sqlite_file(&data).await;
    let dirs = allowed.path().display().to_string();
    let mut server = Server::start(&[("WALLBOARD_SQLITE_DIRS", &dirs)]).await;
    let own = server.dir.path().join("wallboard.db").display().to_string();
    for query in [
        format!("ATTACH '{own}' AS c; SELECT * FROM c.sqlite_master"),
        format!("ATTACH DATABASE '{own}' AS c"),
        "SELECT * FROM pragma_database_list".to_string(),
        "PRAGMA writable_schema = 1".to_string(),
        "SELECT load_extension('/tmp/x')".to_string(),
        "SELECT 1; SELECT 2".to_string(),
    ] {
        let form = json!({"form": {"name": "t", "refresh_ms": 1000, "pipeline": {"steps": []},
            "source": {"type": "sql", "driver": "sqlite", "database": data.display().to_string(),
                       "query": query, "timeout_ms": 2000, "max_rows": 10}}});
        let (status, answer) = server.call("preview_dataset", form).await;
        assert_eq!(status, 422, "{query}: {answer}");
        assert!(
            !answer.to_string().contains("CREATE TABLE"),
            "{query}: {answer}"
        );
    }
    server.still_standing().await;
}

/// A SQLite file with one table of one row.
async fn sqlite_file(path: &std::path::Path) {
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1)")
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_for_another_host_is_refused_on_every_path() {
    let mut server = Server::start(&[]).await;
    let evil = |req: reqwest::RequestBuilder| {
        req.header("host", "evil.example:3000")
            .header("origin", "http://evil.example:3000")
    };
    let res = evil(
        server
            .http
            .post(format!("{}/api/fn/list_datasets", server.base)),
    )
    .header("content-type", "application/json")
    .body("{}")
    .send()
    .await
    .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = evil(server.http.get(format!("{}/", server.base)))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    // The raw-socket stream path reads the request head itself.
    let mut socket = tokio::net::TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    socket
        .write_all(b"GET /api/v1/live?datasets= HTTP/1.1\r\nHost: evil.example:3000\r\nAccept: text/event-stream\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut head))
        .await
        .unwrap()
        .unwrap();
    let head = String::from_utf8_lossy(&head[..n]);
    assert!(head.starts_with("HTTP/1.1 4"), "{head}");
    // A page from another site cannot call server functions even with our Host.
    let res = server
        .http
        .post(format!("{}/api/fn/list_datasets", server.base))
        .header("origin", "http://evil.example:3000")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    server.still_standing().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_carry_the_security_headers() {
    let mut server = Server::start(&[]).await;
    let res = server
        .http
        .get(format!("{}/", server.base))
        .send()
        .await
        .unwrap();
    let headers = res.headers().clone();
    let csp = headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'nonce-"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("referrer-policy"));
    server.still_standing().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn push_bodies_nested_deep_or_past_the_row_cap_are_refused() {
    let mut server = Server::start(&[]).await;
    let (id, secret) = common::create_pushed_dataset(
        &server.http,
        &server.base,
        json!({"kind": "append", "max_rows": 10}),
    )
    .await;
    let push = |body: String| {
        server
            .http
            .post(format!("{}/api/v1/datasets/{id}/rows", server.base))
            .bearer_auth(&secret)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let res = push(deep).await.unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let many = format!("[{}]", vec!["{\"n\": 1}"; 1_000_000].join(","));
    let res = push(many).await.unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    server.expect_datasets = 1;
    server.still_standing().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn widget_documents_past_their_bounds_are_refused_and_nothing_is_saved() {
    let mut server = Server::start(&[]).await;
    let (status, id) = server
        .call("create_dashboard", json!({"name": "wall"}))
        .await;
    assert_eq!(status, 200, "{id}");
    let widget = |i: usize, kind: &str, props: Value| {
        json!({"id": format!("w{i}"), "rect": {"x": 0, "y": 0, "w": 100, "h": 100},
            "kind": kind, "props": props})
    };
    let columns: Vec<Value> = (0..51).map(|i| json!({"field": format!("f{i}")})).collect();
    let cases: Vec<(Vec<Value>, &str)> = vec![
        (
            (0..501).map(|i| widget(i, "kpi", json!({}))).collect(),
            "at most 500 widgets",
        ),
        (
            vec![widget(0, "text", json!({"markdown": "a".repeat(20_001)}))],
            "at most 20000 characters",
        ),
        (
            vec![widget(0, "table", json!({"columns": columns}))],
            "at most 50 columns",
        ),
        (
            vec![widget(0, "kpi", json!({}))
                .as_object()
                .cloned()
                .map(|mut w| {
                    w.insert("look".into(), json!({"title": "t".repeat(201)}));
                    Value::Object(w)
                })
                .unwrap()],
            "at most 200 characters",
        ),
        (
            vec![widget(0, "embed", json!({"url": "javascript:alert(1)"}))],
            "an address starts with https:// or http://",
        ),
    ];
    for (widgets, says) in cases {
        let n = widgets.len();
        let (status, answer) = server
            .call(
                "save_dashboard",
                json!({"id": id, "revision": 1, "dashboard": {"schema_version": 2, "name": "wall",
                    "resolution": {"width": 1920, "height": 1080}, "widgets": widgets}}),
            )
            .await;
        assert_eq!(status, 422, "{n} widgets: {answer}");
        assert!(message(&answer).contains(says), "{says}: {answer}");
        assert!(
            answer["field"]
                .as_str()
                .is_some_and(|f| f.starts_with("widgets")),
            "the answer says where: {answer}"
        );
    }
    // Properties nested 100,000 deep: refused by the JSON reader's depth bound
    // before anything is built.
    let raw = format!(
        r#"{{"id": {id}, "revision": 1, "dashboard": {{"schema_version": 2, "name": "wall", "resolution": {{"width": 1920, "height": 1080}}, "widgets": [{{"id": "w1", "rect": {{"x": 0, "y": 0, "w": 9, "h": 9}}, "kind": "text", "props": {}1{}}}]}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let res = server
        .http
        .post(format!("{}/api/fn/save_dashboard", server.base))
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let (status, screen) = server.call("load_screen", json!({"id": id})).await;
    assert_eq!(status, 200, "{screen}");
    assert_eq!(
        screen["dashboard"]["widgets"],
        json!([]),
        "no refused document was saved"
    );
    server.still_standing().await;
}
