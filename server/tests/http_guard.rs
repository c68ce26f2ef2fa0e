//! The HTTP surface against the real server: it answers only for its own names (pages,
//! server functions, push, uploads and the raw-socket stream path alike), refuses
//! foreign origins, sends security headers with a CSP nonce that the page's scripts
//! carry, and bounds each connection — a slow request head, a client that reads
//! nothing, too many streams from one address, an oversized `datasets=` list.

mod common;

use common::{create_pushed_dataset, push_at, spawn_app, spawn_app_env, Backend, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A generous bound for things that must happen "soon" (never a performance figure).
const BOUND: Duration = Duration::from_secs(20);

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

fn port(app: &TestApp) -> u16 {
    addr(app).rsplit_once(':').unwrap().1.parse().unwrap()
}

/// `request` (one or several pipelined requests) with the app's session cookie on
/// each, as a signed-in browser sends them.
fn signed(app: &TestApp, request: &str) -> String {
    request.replace(
        " HTTP/1.1\r\n",
        &format!(" HTTP/1.1\r\nCookie: {}\r\n", app.cookie),
    )
}

/// Sends `request` as written (signed in) on a fresh connection and reads the answer
/// to its end; returns the status and the whole answer (head and body).
async fn raw(app: &TestApp, request: &str) -> (u16, String) {
    let mut socket = TcpStream::connect(addr(app)).await.unwrap();
    socket
        .write_all(signed(app, request).as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(BOUND, socket.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes")
        .unwrap();
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    (status, text)
}

fn get(path: &str, host: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
}

fn post_json(path: &str, host: &str, origin: Option<&str>, body: &str) -> String {
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\n{origin}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The value of header `name` in a raw answer.
fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    let head = answer.split("\r\n\r\n").next()?;
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Sends `request` on a fresh connection and reads the answer's head only (a live
/// stream does not end); returns the status, the text read and the open connection.
async fn stream_head(app: &TestApp, request: &str) -> (u16, String, TcpStream) {
    let mut socket = TcpStream::connect(addr(app)).await.unwrap();
    socket
        .write_all(signed(app, request).as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(BOUND, socket.read(&mut chunk))
            .await
            .expect("the server answers")
            .unwrap();
        assert!(n > 0, "closed before the head ended");
        answer.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&answer).to_string();
    (
        text.split(' ').nth(1).unwrap().parse().unwrap(),
        text,
        socket,
    )
}

/// Whether the server closes `socket` (end of stream or reset) within `BOUND`, reading
/// and discarding whatever it sends first.
async fn closed_by_server(socket: &mut TcpStream) -> bool {
    let mut sink = [0u8; 4096];
    tokio::time::timeout(BOUND, async {
        loop {
            match socket.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_host_is_refused_on_every_route_and_on_the_stream_socket() {
    let app = spawn_app(Backend::Sqlite).await;
    let evil = format!("evil.example:{}", port(&app));
    let origin = format!("http://{evil}");

    // The issue's exact request: a DNS-rebinding page calling the editor's API.
    let (status, answer) = raw(
        &app,
        &post_json("/api/fn/list_datasets", &evil, Some(&origin), "{}"),
    )
    .await;
    assert_eq!(status, 421, "{answer}");
    assert!(answer.contains("WALLBOARD_PUBLIC_URL"), "{answer}");
    assert!(!answer.contains("\"datasets\""), "{answer}");

    for path in [
        "/",
        "/edit/x",
        "/s/token",
        "/pkg/wallboard.css",
        "/api/v1/live/share/t",
    ] {
        let (status, answer) = raw(&app, &get(path, &evil)).await;
        assert_eq!(status, 421, "GET {path}: {answer}");
    }
    let (status, _) = raw(
        &app,
        &post_json("/api/v1/datasets/d/rows", &evil, None, r#"{"n":1}"#),
    )
    .await;
    assert_eq!(status, 421, "push");
    let (status, _) = raw(
        &app,
        &format!(
            "POST /api/v1/uploads?name=a.csv HTTP/1.1\r\nHost: {evil}\r\n\
             Content-Type: application/octet-stream\r\nContent-Length: 3\r\nConnection: close\r\n\r\na,b"
        ),
    )
    .await;
    assert_eq!(status, 421, "upload");

    // The stream path that reads the socket itself checks the Host too.
    let (status, answer) = raw(&app, &get("/api/v1/live?datasets=", &evil)).await;
    assert_eq!(status, 421, "{answer}");
    assert!(
        answer.contains("not a name this server answers for"),
        "{answer}"
    );
    let (status, _) = raw(
        &app,
        "GET /api/v1/live?datasets= HTTP/1.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 400, "a stream request without a Host");
    let (status, _) = raw(&app, "GET / HTTP/1.0\r\nConnection: close\r\n\r\n").await;
    assert_eq!(status, 400, "a page request without a Host");

    // Probes answer whatever the Host (orchestrators call them by the pod's address).
    let (status, answer) = raw(&app, &get("/healthz", &evil)).await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = raw(&app, &get("/readyz", "10.1.2.3:3000")).await;
    assert_eq!(status, 200);

    assert!(
        app.ok("list_dashboards", json!({}))
            .await
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing was created"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_names_are_answered_without_configuration() {
    let app = spawn_app(Backend::Sqlite).await;
    let port = port(&app);
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let (status, answer) = raw(&app, &get("/", &host)).await;
        assert_eq!(status, 200, "{host}: {answer}");
        let origin = format!("http://{host}");
        let (status, answer) = raw(
            &app,
            &post_json("/api/fn/list_dashboards", &host, Some(&origin), "{}"),
        )
        .await;
        assert_eq!(status, 200, "{host}: {answer}");
        let (status, answer, _) = stream_head(&app, &get("/api/v1/live?datasets=", &host)).await;
        assert_eq!(status, 200, "{host}: {answer}");
    }
    // Another port of localhost is another site.
    let (status, _) = raw(&app, &get("/", &format!("localhost:{}", port + 1))).await;
    assert_eq!(status, 421);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_origin_is_refused_on_every_request_that_changes_something() {
    let app = spawn_app(Backend::Sqlite).await;
    let host = format!("127.0.0.1:{}", port(&app));
    for origin in ["http://evil.example", "null", "http://localhost:1"] {
        let (status, answer) = raw(
            &app,
            &post_json(
                "/api/fn/create_dashboard",
                &host,
                Some(origin),
                r#"{"name":"x"}"#,
            ),
        )
        .await;
        assert_eq!(status, 403, "{origin}: {answer}");
        assert!(answer.contains("cross-site request refused"), "{answer}");
        let (status, _) = raw(
            &app,
            &post_json("/api/v1/datasets/d/rows", &host, Some(origin), "{}"),
        )
        .await;
        assert_eq!(status, 403, "push from {origin}");
    }
    assert!(app
        .ok("list_dashboards", json!({}))
        .await
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_public_url_pins_the_host_and_the_origin_and_turns_on_hsts() {
    let app = spawn_app_env(
        Backend::Sqlite,
        &[("WALLBOARD_PUBLIC_URL", "https://wall.example.com")],
    )
    .await;
    let (status, answer) = raw(&app, &get("/", "wall.example.com")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        header(&answer, "strict-transport-security"),
        Some("max-age=31536000")
    );
    let call = |origin: &'static str| {
        post_json(
            "/api/fn/list_dashboards",
            "wall.example.com",
            Some(origin),
            "{}",
        )
    };
    assert_eq!(raw(&app, &call("https://wall.example.com")).await.0, 200);
    assert_eq!(raw(&app, &call("http://wall.example.com")).await.0, 403);
    assert_eq!(raw(&app, &call("https://evil.example")).await.0, 403);
    assert_eq!(raw(&app, &get("/", "other.example.com")).await.0, 421);
    // The loopback names stay usable on the machine itself.
    let (status, _) = raw(&app, &get("/", &format!("localhost:{}", port(&app)))).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_carries_a_csp_whose_nonce_is_on_each_of_its_scripts() {
    let app = spawn_app(Backend::Sqlite).await;
    let host = format!("127.0.0.1:{}", port(&app));
    let (status, page) = raw(&app, &get("/", &host)).await;
    assert_eq!(status, 200);
    let csp = header(&page, "content-security-policy").expect("a CSP on the page");
    let nonce = csp
        .split_whitespace()
        .find_map(|t| t.strip_prefix("'nonce-")?.strip_suffix('\''))
        .unwrap_or_else(|| panic!("no nonce in {csp}"));
    assert!(nonce.len() >= 22, "{nonce}");
    for directive in [
        "script-src 'self' 'nonce-",
        "'wasm-unsafe-eval'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "connect-src 'self'",
        "img-src 'self' data:",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    let body = page.split_once("\r\n\r\n").unwrap().1;
    let scripts: Vec<&str> = body.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "the page has its hydration script");
    for script in &scripts {
        let tag = script.split('>').next().unwrap();
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "a script without the header's nonce: <script{tag}>"
        );
    }
    assert_eq!(header(&page, "x-frame-options"), Some("DENY"));
    assert_eq!(header(&page, "x-content-type-options"), Some("nosniff"));
    assert_eq!(
        header(&page, "referrer-policy"),
        Some("strict-origin-when-cross-origin")
    );
    assert_eq!(
        header(&page, "strict-transport-security"),
        None,
        "plain http"
    );

    let (_, again) = raw(&app, &get("/", &host)).await;
    assert_ne!(
        header(&again, "content-security-policy"),
        Some(csp),
        "each page its own nonce"
    );
    // Not a page: no CSP, but still nosniff.
    let (_, json) = raw(
        &app,
        &post_json("/api/fn/list_dashboards", &host, None, "{}"),
    )
    .await;
    assert_eq!(header(&json, "content-security-policy"), None);
    assert_eq!(header(&json, "x-content-type-options"), Some("nosniff"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_share_page_sends_no_referrer() {
    let app = spawn_app(Backend::Sqlite).await;
    let id = app.create_dashboard("Shared").await;
    let token = app.ok("create_share_link", json!({ "id": id })).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let host = format!("127.0.0.1:{}", port(&app));
    let (status, page) = raw(&app, &get(&format!("/s/{token}"), &host)).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(header(&page, "referrer-policy"), Some("no-referrer"));
    assert!(header(&page, "content-security-policy").is_some());
    let (_, kiosk) = raw(&app, &get(&format!("/s/{token}/kiosk"), &host)).await;
    assert_eq!(header(&kiosk, "referrer-policy"), Some("no-referrer"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_or_silent_client_is_cut_off_at_the_header_timeout_while_others_are_served() {
    let app = spawn_app_env(Backend::Sqlite, &[("WALLBOARD_HEADER_TIMEOUT_SECS", "1")]).await;
    let host = format!("127.0.0.1:{}", port(&app));
    let openings: Vec<Vec<u8>> = vec![
        // Half a header line, through hyper.
        format!("GET / HTTP/1.1\r\nHost: {host}\r\nUser-Ag").into_bytes(),
        // Half a stream request, on the lean path.
        format!("GET /api/v1/live?datasets= HTTP/1.1\r\nHost: {host}\r\nLast-Ev").into_bytes(),
        // Nothing at all.
        Vec::new(),
        // First bytes that could still be a stream request, or HTTP/2.
        b"G".to_vec(),
        b"PRI * HTTP/2".to_vec(),
        // A keep-alive connection left idle after one answer.
        format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes(),
    ];
    let mut sockets = Vec::new();
    for opening in &openings {
        let mut socket = TcpStream::connect(addr(&app)).await.unwrap();
        socket.write_all(opening).await.unwrap();
        sockets.push(socket);
    }
    let (status, body) = app.get("/healthz").await;
    assert_eq!(
        (status, body.as_str()),
        (200, "ok"),
        "others are served meanwhile"
    );
    for (socket, opening) in sockets.iter_mut().zip(&openings) {
        assert!(
            closed_by_server(socket).await,
            "still open: {:?}",
            String::from_utf8_lossy(opening)
        );
    }
    // A fresh client: the pooled connection above has been idle past the timeout too.
    let res = reqwest::Client::new()
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// A connection whose receive buffer is small, so the server's writes block soon.
async fn silent_socket(app: &TestApp) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(addr(app).parse().unwrap()).await.unwrap()
}

async fn viewers(app: &TestApp) -> f64 {
    let metrics = app.metrics().await;
    common::metric(&metrics, "wallboard_viewers ")
}

/// Waits (within `BOUND`) until `viewers(app)` is `n`; false if it never is.
async fn viewers_become(app: &TestApp, n: f64) -> bool {
    let deadline = tokio::time::Instant::now() + BOUND;
    while tokio::time::Instant::now() < deadline {
        if viewers(app).await == n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Opens two streams of `dataset` that never read: one on the lean path, one through
/// hyper (the stream is the second request on its connection).
async fn open_silent_streams(app: &TestApp, dataset: &str) -> Vec<TcpStream> {
    let host = format!("127.0.0.1:{}", port(app));
    let stream = format!("GET /api/v1/live?datasets={dataset} HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let mut lean = silent_socket(app).await;
    lean.write_all(signed(app, &stream).as_bytes())
        .await
        .unwrap();
    let mut routed = silent_socket(app).await;
    let two = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n{stream}");
    routed
        .write_all(signed(app, &two).as_bytes())
        .await
        .unwrap();
    assert!(viewers_become(app, 2.0).await, "both streams open");
    vec![lean, routed]
}

/// Replaces `dataset`'s rows with 50,000 of them (a frame of about half a megabyte).
async fn push_big_frame(app: &TestApp, dataset: &str, secret: &str, round: usize) {
    let rows: Vec<Value> = (0..50_000).map(|n| json!({ "n": n + round })).collect();
    let (status, body) = push_at(&app.http, &app.base, dataset, secret, &Value::Array(rows)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_client_that_reads_nothing_is_dropped_after_the_write_timeout() {
    let app = spawn_app_env(
        Backend::Sqlite,
        &[
            ("WALLBOARD_WRITE_TIMEOUT_SECS", "1"),
            ("WALLBOARD_STREAM_MAX_RATE", "0"),
        ],
    )
    .await;
    let (id, secret) =
        create_pushed_dataset(&app.http, &app.base, json!({"kind": "replace"})).await;
    let _silent = open_silent_streams(&app, &id).await;
    // Frames pile up in the kernel's buffers until a write blocks; a second later the
    // client is dropped.
    let mut round = 0;
    while viewers(&app).await > 0.0 && round < 40 {
        push_big_frame(&app, &id, &secret, round).await;
        round += 1;
    }
    assert!(
        viewers_become(&app, 0.0).await,
        "clients that read nothing still hold their streams after {round} frames"
    );
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_reads_nothing_does_not_hold_up_shutdown() {
    let app = spawn_app_env(
        Backend::Sqlite,
        &[
            // Neither the write timeout nor the grace period would end it.
            ("WALLBOARD_WRITE_TIMEOUT_SECS", "3600"),
            ("WALLBOARD_SHUTDOWN_GRACE_SECS", "3600"),
            ("WALLBOARD_STREAM_MAX_RATE", "0"),
        ],
    )
    .await;
    let (id, secret) =
        create_pushed_dataset(&app.http, &app.base, json!({"kind": "replace"})).await;
    let _silent = open_silent_streams(&app, &id).await;
    for round in 0..8 {
        push_big_frame(&app, &id, &secret, round).await;
    }
    app.shutdown.shutdown();
    let stopped = tokio::time::timeout(BOUND, app.task).await;
    assert!(
        stopped.is_ok(),
        "the server waits for clients that read nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_stream_past_the_per_client_cap_is_refused_with_429() {
    let app = spawn_app_env(
        Backend::Sqlite,
        &[("WALLBOARD_MAX_STREAMS_PER_CLIENT", "2")],
    )
    .await;
    let (id, _) = create_pushed_dataset(&app.http, &app.base, json!({"kind": "replace"})).await;
    let path = format!("/api/v1/live?datasets={id}");
    let first = common::SseReader::open(&app, &path).await;
    let _second = common::SseReader::open(&app, &path).await;

    // On the lean path (a fresh connection)…
    let res = common::signed_stream_client(&app.cookie)
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "30");
    let body = res.text().await.unwrap();
    assert!(body.contains("WALLBOARD_MAX_STREAMS_PER_CLIENT"), "{body}");
    // …and through hyper (a connection that served something else first).
    let mut cookie = reqwest::header::HeaderMap::new();
    cookie.insert(reqwest::header::COOKIE, app.cookie.parse().unwrap());
    let reused = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .default_headers(cookie)
        .build()
        .unwrap();
    reused
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    let res = reused
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);

    // A closed stream gives its place back.
    drop(first);
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let res = common::signed_stream_client(&app.cookie)
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        if res.status() == 200 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place stays taken"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_each_forwarded_client_is_counted_apart() {
    let app = spawn_app_env(
        Backend::Sqlite,
        &[
            ("WALLBOARD_MAX_STREAMS_PER_CLIENT", "1"),
            ("WALLBOARD_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await;
    let host = format!("127.0.0.1:{}", port(&app));
    let stream = |client: &str| {
        format!(
            "GET /api/v1/live?datasets= HTTP/1.1\r\nHost: {host}\r\nX-Forwarded-For: {client}\r\n\r\n"
        )
    };
    let (a, _, _open_a) = stream_head(&app, &stream("203.0.113.1")).await;
    let (b, _, _open_b) = stream_head(&app, &stream("203.0.113.2")).await;
    let (again, answer, _) = stream_head(&app, &stream("198.51.100.7, 203.0.113.1")).await;
    assert_eq!((a, b), (200, 200));
    assert_eq!(again, 429, "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_datasets_list_of_100000_ids_is_refused_before_it_is_read() {
    let app = spawn_app(Backend::Sqlite).await;
    let host = format!("127.0.0.1:{}", port(&app));
    let huge = vec!["a"; 100_000].join(",");
    let request = get(&format!("/api/v1/live?datasets={huge}"), &host);

    // On the lean path…
    let (status, answer) = raw(&app, &request).await;
    assert_eq!(status, 414, "{}", &answer[..answer.len().min(300)]);
    assert!(answer.contains("at most 200 datasets"), "{answer}");
    // …and through hyper, after another request on the connection: hyper refuses a
    // target this long itself (past 64 KiB, with no body); a shorter one that is still
    // too long for any valid stream gets the same answer as above.
    let routed = |request: &str| format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n{request}");
    let second = |answer: String| {
        let i = answer
            .match_indices("HTTP/1.1 ")
            .nth(1)
            .expect("a second answer")
            .0;
        answer[i..].to_string()
    };
    let (_, answer) = raw(&app, &routed(&request)).await;
    assert!(second(answer).starts_with("HTTP/1.1 414"));
    let long = vec!["a"; 20_000].join(",");
    let (_, answer) = raw(
        &app,
        &routed(&get(&format!("/api/v1/live?datasets={long}"), &host)),
    )
    .await;
    let answer = second(answer);
    assert!(answer.starts_with("HTTP/1.1 414"), "{answer}");
    assert!(answer.contains("at most 200 datasets"), "{answer}");

    // 201 short ids fit in the query but not in one stream.
    let many: Vec<String> = (0..201).map(|i| format!("d{i}")).collect();
    let (status, answer) = raw(
        &app,
        &get(&format!("/api/v1/live?datasets={}", many.join(",")), &host),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer.contains("at most 200 datasets"), "{answer}");
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, 200);
}
