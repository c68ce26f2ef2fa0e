//! `wallboard-load`: Wallboard's load tool.
//!
//! Opens real viewer connections (raw HTTP/1.1 server-sent events on their own
//! sockets), pushes rows through the push API, and measures delivery at the viewers.
//! Every pushed row carries `n` (a counter) and `t` (the send time, Unix µs); a viewer
//! that receives a row records `now - t`, and, when the pusher runs in the same process,
//! `now - ack(n)`: the time from the push's acknowledgement to its receipt.
//!
//! ```text
//! wallboard-load setup   --server URL [--mode replace|append]
//! wallboard-load viewers --server URL[,URL…] --dataset ID --auth A --count N --seconds S
//!                        [--out FILE]
//! wallboard-load push    --server URL --dataset ID --token T --rate R --seconds S [--batch B]
//! wallboard-load run     --server URL[,URL…] --dataset ID --token T --auth A --count N
//!                        --rate R --seconds S [--batch B] [--out FILE]
//! wallboard-load merge   FILE…
//! ```
//!
//! `setup` makes the server's first administrator (`bench@wallboard.local`, password
//! from `WALLBOARD_BENCH_PASSWORD` or a fixed one; on a server that has one already, it
//! signs in with them), a pushed dataset, a push token and a `read` API token; it prints
//! `DATASET PUSH_TOKEN API_TOKEN`. Viewers send the API token (`--auth`).
//!
//! Each process holds at most ~19,000 sockets (the open-file limit is 20,000): run
//! several `viewers` processes with `--out` and `merge` their results.

mod hist;

use hist::Histogram;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_micros() as u64
}

struct Args(HashMap<String, String>, Vec<String>);

impl Args {
    fn parse(raw: impl Iterator<Item = String>) -> Self {
        let mut named = HashMap::new();
        let mut free = Vec::new();
        let mut raw = raw.peekable();
        while let Some(a) = raw.next() {
            if let Some(key) = a.strip_prefix("--") {
                let value = match raw.peek() {
                    Some(v) if !v.starts_with("--") => raw.next().unwrap(),
                    _ => "true".into(),
                };
                named.insert(key.to_string(), value);
            } else {
                free.push(a);
            }
        }
        Self(named, free)
    }

    fn str(&self, key: &str) -> String {
        self.0
            .get(key)
            .cloned()
            .unwrap_or_else(|| fail(&format!("--{key} is required")))
    }

    fn num(&self, key: &str, default: u64) -> u64 {
        match self.0.get(key) {
            None => default,
            Some(v) => v
                .parse()
                .unwrap_or_else(|_| fail(&format!("--{key}: '{v}' is not a whole number"))),
        }
    }

    fn opt(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
}

fn fail(why: &str) -> ! {
    eprintln!("wallboard-load: {why}");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let mut raw = std::env::args().skip(1);
    let command = raw.next().unwrap_or_default();
    let args = Args::parse(raw);
    match command.as_str() {
        "setup" => setup(&args).await,
        "viewers" => run(&args, false).await,
        "run" => run(&args, true).await,
        "push" => {
            let stats = Arc::new(Stats::new(0));
            let stop = Instant::now() + Duration::from_secs(args.num("seconds", 10));
            push(&args, stats.clone(), stop).await;
            println!("{}", stats.push_report(args.num("seconds", 10)));
        }
        "merge" => merge(&args.1),
        _ => fail("usage: wallboard-load setup|viewers|push|run|merge … (see the source's header)"),
    }
}

const BENCH_EMAIL: &str = "bench@wallboard.local";

/// A session on `server` as the bench administrator: made through first-run setup, or
/// signed in when the server has accounts already. Returns the `wb_session=…` pair.
async fn bench_session(server: &str) -> String {
    let password = std::env::var("WALLBOARD_BENCH_PASSWORD")
        .unwrap_or_else(|_| "plum tangerine kiwi 2026".into());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let form = [
        ("email", BENCH_EMAIL),
        ("name", "Bench"),
        ("password", password.as_str()),
        ("confirm", password.as_str()),
    ];
    for path in ["/setup", "/signin"] {
        let res = http
            .post(format!("{server}{path}"))
            .form(&form)
            .send()
            .await
            .unwrap_or_else(|e| fail(&format!("the server does not answer: {e}")));
        let cookie = res
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("wb_session=") && !v.starts_with("wb_session=;"))
            .and_then(|v| v.split(';').next())
            .map(str::to_string);
        if let Some(cookie) = cookie {
            return cookie;
        }
    }
    fail("could not set up or sign in as the bench administrator (WALLBOARD_BENCH_PASSWORD?)")
}

/// Creates a pushed dataset (fields `n`, `t`), a push token and a read API token;
/// prints `DATASET PUSH_TOKEN API_TOKEN`.
async fn setup(args: &Args) {
    let server = args.str("server");
    let mode = match args.opt("mode").as_deref() {
        None | Some("replace") => serde_json::json!({"kind": "replace"}),
        Some("append") => serde_json::json!({"kind": "append", "max_rows": 1000}),
        Some(other) => fail(&format!("--mode: '{other}' is neither replace nor append")),
    };
    let cookie = bench_session(&server).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::COOKIE,
        cookie.parse().expect("a cookie is a header value"),
    );
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a client");
    let call = |name: &str, body: serde_json::Value| {
        let http = http.clone();
        let url = format!("{server}/api/fn/{name}");
        async move {
            let res = http
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap_or_else(|e| fail(&format!("the server does not answer: {e}")));
            let status = res.status();
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            if !status.is_success() {
                fail(&format!("{status}: {body}"));
            }
            body
        }
    };
    let summary = call(
        "create_push_dataset",
        serde_json::json!({"form": {"name": "load test", "mode": mode, "fields": [
            {"name": "n", "kind": "number"}, {"name": "t", "kind": "number"}]}}),
    )
    .await;
    let id = summary["id"].as_str().unwrap().to_string();
    let token = call(
        "create_push_token",
        serde_json::json!({"dataset": id, "label": "load test"}),
    )
    .await;
    let api = call(
        "create_api_token",
        serde_json::json!({"form": {"label": "load test viewers", "scope": "read", "expires_in_days": 1}}),
    )
    .await;
    println!(
        "{id} {} {}",
        token["secret"].as_str().unwrap(),
        api["secret"].as_str().unwrap()
    );
}

/// What one process measured.
struct Stats {
    from_send: Histogram,
    from_ack: Histogram,
    delivered: AtomicU64,
    connected: AtomicU64,
    failed: AtomicU64,
    pushed: AtomicU64,
    push_rows: AtomicU64,
    push_errors: AtomicU64,
    ack: Histogram,
    /// Ack time (Unix µs) of push `n`, when the pusher runs here.
    acked_at: Vec<AtomicU64>,
    /// Per viewer: the last value of `n` seen (for "holds the latest" checks).
    last_seen: Vec<AtomicU64>,
}

impl Stats {
    fn new(viewers: usize) -> Self {
        Self {
            from_send: Histogram::new(),
            from_ack: Histogram::new(),
            delivered: AtomicU64::new(0),
            connected: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            pushed: AtomicU64::new(0),
            push_rows: AtomicU64::new(0),
            push_errors: AtomicU64::new(0),
            ack: Histogram::new(),
            acked_at: (0..2_000_000).map(|_| AtomicU64::new(0)).collect(),
            last_seen: (0..viewers).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn push_report(&self, seconds: u64) -> String {
        format!(
            "pushes {} ({} rows, {:.0} rows/s), errors {}, ack latency p50 {} p99 {} max {}",
            self.pushed.load(Ordering::Relaxed),
            self.push_rows.load(Ordering::Relaxed),
            self.push_rows.load(Ordering::Relaxed) as f64 / seconds as f64,
            self.push_errors.load(Ordering::Relaxed),
            hist::ms(self.ack.quantile(0.5)),
            hist::ms(self.ack.quantile(0.99)),
            hist::ms(self.ack.max()),
        )
    }
}

/// Opens `--count` viewers (and, in `run`, pushes) for `--seconds`, then reports.
async fn run(args: &Args, with_pusher: bool) {
    let servers: Vec<String> = args
        .str("server")
        .split(',')
        .map(|s| s.trim_end_matches('/').to_string())
        .collect();
    let dataset = args.str("dataset");
    let auth: Arc<str> = args.str("auth").into();
    let count = args.num("count", 100) as usize;
    let seconds = args.num("seconds", 10);
    let stats = Arc::new(Stats::new(count));
    let running = Arc::new(AtomicBool::new(true));
    let started = Instant::now();
    // Connect at `--ramp` connections a second so listen backlogs are not flooded.
    let ramp = args.num("ramp", 5000).max(100);
    let wave = (ramp / 20).max(1) as usize;
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let server = servers[i % servers.len()].clone();
        let path = format!("/api/v1/live?datasets={dataset}");
        let (stats, running, auth) = (stats.clone(), running.clone(), auth.clone());
        tasks.push(tokio::spawn(async move {
            viewer(i, &server, &path, &auth, &stats, &running).await;
        }));
        if i % wave == wave - 1 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while (stats.connected.load(Ordering::Relaxed) + stats.failed.load(Ordering::Relaxed))
        < count as u64
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "{} viewers connected ({} failed) in {:.1} s",
        stats.connected.load(Ordering::Relaxed),
        stats.failed.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    let measure_from = Instant::now();
    stats.delivered.store(0, Ordering::Relaxed);
    let stop = measure_from + Duration::from_secs(seconds);
    if with_pusher {
        let push_args = Args(
            [
                ("server", servers[0].clone()),
                ("dataset", dataset.clone()),
                ("token", args.str("token")),
                ("rate", args.num("rate", 10).to_string()),
                ("batch", args.num("batch", 1).to_string()),
                ("concurrency", args.num("concurrency", 64).to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            vec![],
        );
        push(&push_args, stats.clone(), stop).await;
        settle(&push_args, &stats).await;
    } else {
        tokio::time::sleep_until(stop.into()).await;
    }
    let elapsed = measure_from.elapsed().as_secs_f64();
    let delivered = stats.delivered.load(Ordering::Relaxed);
    running.store(false, Ordering::Relaxed);
    let last_push = stats.pushed.load(Ordering::Relaxed);
    let holding_latest = stats
        .last_seen
        .iter()
        .filter(|n| n.load(Ordering::Relaxed) == last_push)
        .count();
    let summary = serde_json::json!({
        "viewers": stats.connected.load(Ordering::Relaxed),
        "failed": stats.failed.load(Ordering::Relaxed),
        "seconds": elapsed,
        "delivered": delivered,
        "delivered_per_sec": delivered as f64 / elapsed,
        "holding_last_push": holding_latest,
        "from_send": stats.from_send.to_json(),
        "from_ack": stats.from_ack.to_json(),
    });
    if let Some(out) = args.opt("out") {
        std::fs::write(&out, summary.to_string())
            .unwrap_or_else(|e| fail(&format!("cannot write {out}: {e}")));
    }
    println!(
        "viewers {} (failed {}), delivered {} in {:.1} s = {:.0}/s; from send p50 {} p99 {} max {}; from ack p50 {} p99 {}",
        summary["viewers"],
        summary["failed"],
        delivered,
        elapsed,
        delivered as f64 / elapsed,
        hist::ms(stats.from_send.quantile(0.5)),
        hist::ms(stats.from_send.quantile(0.99)),
        hist::ms(stats.from_send.max()),
        hist::ms(stats.from_ack.quantile(0.5)),
        hist::ms(stats.from_ack.quantile(0.99)),
    );
    if with_pusher {
        println!(
            "{}; viewers holding the last push: {holding_latest}",
            stats.push_report(seconds)
        );
    }
    for t in tasks {
        t.abort();
    }
}

/// One viewer: a raw socket reading the stream until told to stop.
async fn viewer(
    i: usize,
    server: &str,
    path: &str,
    auth: &str,
    stats: &Stats,
    running: &AtomicBool,
) {
    let host = server.strip_prefix("http://").unwrap_or(server);
    let mut socket = match TcpStream::connect(host).await {
        Ok(socket) => socket,
        Err(e) => {
            if stats.failed.fetch_add(1, Ordering::Relaxed) < 3 {
                eprintln!("viewer {i}: cannot connect to {host}: {e}");
            }
            return;
        }
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {auth}\r\n\
         Accept: text/event-stream\r\nConnection: keep-alive\r\n\r\n"
    );
    if socket.write_all(request.as_bytes()).await.is_err() {
        stats.failed.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut buf = vec![0u8; 4 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    let mut headers_done = false;
    while running.load(Ordering::Relaxed) {
        let n = match socket.read(&mut buf).await {
            Ok(0) | Err(_) => {
                if !headers_done {
                    if stats.failed.fetch_add(1, Ordering::Relaxed) < 3 {
                        eprintln!("viewer {i}: closed before answering");
                    }
                    return;
                }
                break;
            }
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        if !headers_done {
            let Some(end) = find(&pending, b"\r\n\r\n") else {
                continue;
            };
            if !pending.starts_with(b"HTTP/1.1 200") {
                if stats.failed.fetch_add(1, Ordering::Relaxed) < 3 {
                    let head = String::from_utf8_lossy(&pending[..end.min(200)]).to_string();
                    eprintln!("viewer {i}: refused: {head}");
                }
                return;
            }
            headers_done = true;
            stats.connected.fetch_add(1, Ordering::Relaxed);
            pending.drain(..end + 4);
        }
        // Chunked transfer framing is skipped over: only `data:` lines matter, and a
        // chunk boundary never splits one of our small events in practice (an event
        // is written in one chunk).
        while let Some(end) = find(&pending, b"\n\n") {
            let received = now_us();
            let event = &pending[..end];
            if find(event, b"event: frame").is_some() || find(event, b"event: append").is_some() {
                stats.delivered.fetch_add(1, Ordering::Relaxed);
                if let Some((n, t)) = last_row(event) {
                    stats.from_send.record(received.saturating_sub(t));
                    if let Some(acked) = stats.acked_at.get(n as usize) {
                        let acked = acked.load(Ordering::Relaxed);
                        // Unknown when the pusher runs elsewhere; an event that
                        // beat its own acknowledgement counts as zero.
                        if acked > 0 {
                            stats.from_ack.record(received.saturating_sub(acked));
                        } else if stats.pushed.load(Ordering::Relaxed) > 0 {
                            stats.from_ack.record(0);
                        }
                    }
                    if let Some(seen) = stats.last_seen.get(i) {
                        seen.store(n, Ordering::Relaxed);
                    }
                }
            }
            pending.drain(..end + 2);
        }
    }
    stats.connected.fetch_sub(1, Ordering::Relaxed);
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `n` and `t` of the last row in an event's data.
fn last_row(event: &[u8]) -> Option<(u64, u64)> {
    let t_at = event.windows(4).rposition(|w| w == b"\"t\":")?;
    let n_at = event.windows(4).rposition(|w| w == b"\"n\":")?;
    Some((number(&event[n_at + 4..])?, number(&event[t_at + 4..])?))
}

fn number(text: &[u8]) -> Option<u64> {
    let digits: Vec<u8> = text
        .iter()
        .copied()
        .skip_while(|b| *b == b' ')
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .collect();
    std::str::from_utf8(&digits)
        .ok()?
        .parse::<f64>()
        .ok()
        .map(|f| f as u64)
}

/// After the pushes: one last push, then how long until every viewer holds it.
async fn settle(args: &Args, stats: &Stats) {
    let last = stats.pushed.load(Ordering::Relaxed) + 1;
    let http = reqwest::Client::new();
    let url = format!(
        "{}/api/v1/datasets/{}/rows",
        args.str("server"),
        args.str("dataset")
    );
    let res = http
        .post(&url)
        .bearer_auth(args.str("token"))
        .header("content-type", "application/json")
        .body(format!(r#"{{"n":{last},"t":{}}}"#, now_us()))
        .send()
        .await;
    if !matches!(&res, Ok(r) if r.status().is_success()) {
        eprintln!("the last push failed: {res:?}");
        return;
    }
    let acked = Instant::now();
    stats.pushed.store(last, Ordering::Relaxed);
    let viewers = stats.connected.load(Ordering::Relaxed) as usize;
    loop {
        let holding = stats
            .last_seen
            .iter()
            .filter(|n| n.load(Ordering::Relaxed) == last)
            .count();
        if holding >= viewers {
            println!(
                "all {viewers} viewers held the last push {:.1} ms after its acknowledgement",
                acked.elapsed().as_secs_f64() * 1000.0
            );
            return;
        }
        if acked.elapsed() > Duration::from_secs(5) {
            println!("after 5 s, {holding} of {viewers} viewers held the last push");
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Pushes `--batch` rows per request at `--rate` requests per second until `stop`.
async fn push(args: &Args, stats: Arc<Stats>, stop: Instant) {
    let server = args.str("server");
    let url = format!("{server}/api/v1/datasets/{}/rows", args.str("dataset"));
    let token = args.str("token");
    let rate = args.num("rate", 10).max(1);
    let batch = args.num("batch", 1).max(1);
    let concurrency = args.num("concurrency", 64).max(1) as usize;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("an HTTP client");
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut next = Instant::now();
    let mut n = 0u64;
    let mut inflight = Vec::new();
    while Instant::now() < stop {
        n += 1;
        let permit = limit.clone().acquire_owned().await.expect("open semaphore");
        let (http, url, token, stats) = (http.clone(), url.clone(), token.clone(), stats.clone());
        let seq = n;
        inflight.push(tokio::spawn(async move {
            let sent = now_us();
            let body = if batch == 1 {
                format!(r#"{{"n":{seq},"t":{sent}}}"#)
            } else {
                let rows: Vec<String> = (0..batch)
                    .map(|_| format!(r#"{{"n":{seq},"t":{sent}}}"#))
                    .collect();
                format!("[{}]", rows.join(","))
            };
            let res = http
                .post(&url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            let acked = now_us();
            match res {
                Ok(r) if r.status().is_success() => {
                    if let Some(slot) = stats.acked_at.get(seq as usize) {
                        slot.store(acked, Ordering::Relaxed);
                    }
                    stats.pushed.fetch_max(seq, Ordering::Relaxed);
                    stats.push_rows.fetch_add(batch, Ordering::Relaxed);
                    stats.ack.record(acked - sent);
                }
                Ok(r) => {
                    let status = r.status();
                    if stats.push_errors.fetch_add(1, Ordering::Relaxed) < 3 {
                        eprintln!(
                            "push refused: {status} {}",
                            r.text().await.unwrap_or_default()
                        );
                    }
                }
                Err(e) => {
                    if stats.push_errors.fetch_add(1, Ordering::Relaxed) < 3 {
                        eprintln!("push failed: {e}");
                    }
                }
            }
            drop(permit);
        }));
        if inflight.len() > 10_000 {
            inflight.retain(|t: &tokio::task::JoinHandle<()>| !t.is_finished());
        }
        next += interval;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    for t in inflight {
        let _ = t.await;
    }
}

/// Merges the `--out` files of several processes into one report.
fn merge(files: &[String]) {
    let mut total =
        serde_json::json!({"viewers": 0, "failed": 0, "delivered": 0, "delivered_per_sec": 0.0});
    let mut from_send = Histogram::new();
    let mut from_ack = Histogram::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| fail(&format!("{f}: {e}")));
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| fail(&format!("{f}: {e}")));
        for key in ["viewers", "failed", "delivered"] {
            total[key] = (total[key].as_u64().unwrap() + v[key].as_u64().unwrap_or(0)).into();
        }
        total["delivered_per_sec"] = (total["delivered_per_sec"].as_f64().unwrap()
            + v["delivered_per_sec"].as_f64().unwrap_or(0.0))
        .into();
        from_send.add_json(&v["from_send"]);
        from_ack.add_json(&v["from_ack"]);
    }
    println!(
        "{} files: viewers {} (failed {}), delivered {} = {:.0}/s; from send p50 {} p99 {} max {}; from ack p50 {} p99 {}",
        files.len(),
        total["viewers"],
        total["failed"],
        total["delivered"],
        total["delivered_per_sec"].as_f64().unwrap(),
        hist::ms(from_send.quantile(0.5)),
        hist::ms(from_send.quantile(0.99)),
        hist::ms(from_send.max()),
        hist::ms(from_ack.quantile(0.5)),
        hist::ms(from_ack.quantile(0.99)),
    );
}
