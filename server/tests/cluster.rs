//! Three real server processes on loopback sharing one PostgreSQL database and Redis
//! (127.0.0.1:6379, or `TEST_REDIS_URL`): what a cluster behind a load balancer must do.
//!
//! The scenarios run one at a time (one of them restarts Redis).

mod common;

use common::{
    call_at, create_pushed_dataset, metric, push_at, setup_admin, signed_client,
    signed_stream_client, Backend, FakeSource, SseReader, TestDb, METRICS_TOKEN,
};
use serde_json::json;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

const SOON: Duration = Duration::from_secs(10);

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

async fn redis_answers() -> bool {
    let Ok(client) = redis::Client::open(redis_url()) else {
        return false;
    };
    match client.get_multiplexed_async_connection().await {
        Ok(mut conn) => redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .is_ok(),
        Err(_) => false,
    }
}

struct Instance {
    child: Option<Child>,
    base: String,
}

impl Instance {
    async fn start(db_url: &str, logs: &std::path::Path, name: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(logs.join(format!("{name}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_wallboard"))
            .env("WALLBOARD_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", db_url)
            .env("REDIS_URL", redis_url())
            .env("WALLBOARD_DEMO", "false")
            .env("WALLBOARD_ALLOW_TARGETS", "loopback")
            .env("WALLBOARD_SHUTDOWN_GRACE_SECS", "3")
            .env("WALLBOARD_METRICS_TOKEN", METRICS_TOKEN)
            .env("RUST_LOG", "info")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the server binary starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(res) = http.get(format!("{base}/readyz")).send().await {
                if res.status() == 200 {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "{name} did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self {
            child: Some(child),
            base,
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().and_then(|c| c.id()).expect("running")
    }

    /// SIGKILL: the instance dies without a word.
    async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.unwrap();
        }
    }

    /// SIGTERM, then waits for it to exit.
    async fn stop(&mut self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        if let Some(mut child) = self.child.take() {
            let exit = tokio::time::timeout(Duration::from_secs(15), child.wait())
                .await
                .expect("a stopped instance exits")
                .unwrap();
            assert!(exit.success(), "a graceful stop exits 0: {exit}");
        }
    }

    async fn metric(&self, name: &str) -> f64 {
        let text = reqwest::Client::new()
            .get(format!("{}/metrics", self.base))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        metric(&text, name)
    }
}

struct Cluster {
    nodes: Vec<Instance>,
    /// Signed in as the administrator (sessions live in the shared database, so on
    /// every instance).
    http: reqwest::Client,
    /// The same session, for live streams.
    streams: reqwest::Client,
    _db: TestDb,
    _logs: tempfile::TempDir,
}

impl Cluster {
    async fn start(n: usize) -> Self {
        assert!(
            redis_answers().await,
            "Redis must run at {} for these tests; `./wb test` starts it",
            redis_url()
        );
        let db = TestDb::new(Backend::Postgres).await;
        // Migrate once, so that the instances do not race to create the schema.
        db.storage().await;
        let logs = tempfile::tempdir().unwrap();
        let mut nodes = Vec::new();
        for i in 0..n {
            nodes.push(Instance::start(&db.url, logs.path(), &format!("node{i}")).await);
        }
        let cookie = setup_admin(&nodes[0].base).await;
        Self {
            nodes,
            http: signed_client(&cookie),
            streams: signed_stream_client(&cookie),
            _db: db,
            _logs: logs,
        }
    }
}

fn live_path(dataset: &str) -> String {
    format!("/api/v1/live?datasets={dataset}")
}

#[tokio::test]
async fn a_push_into_one_instance_reaches_viewers_on_the_others() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let c = Cluster::start(3).await;
    let (a, b, z) = (&c.nodes[0], &c.nodes[1], &c.nodes[2]);
    let (id, secret) = create_pushed_dataset(
        &c.http,
        &a.base,
        json!({"kind": "append", "max_rows": 1000}),
    )
    .await;
    let mut on_c = SseReader::open_with(&c.streams, &z.base, &live_path(&id)).await;
    let mut on_b = SseReader::open_with(&c.streams, &b.base, &live_path(&id)).await;
    on_c.next(SOON).await.unwrap();
    on_b.next(SOON).await.unwrap();
    for n in 1..=20 {
        let (status, body) = push_at(&c.http, &a.base, &id, &secret, &json!({"n": n})).await;
        assert_eq!(status, 200, "{body}");
    }
    on_c.frame_where(SOON, |f| f["seq"] == 20).await;
    on_b.frame_where(SOON, |f| f["seq"] == 20).await;
    assert_eq!(on_c.numbers(&id), (1..=20).collect::<Vec<_>>());
    assert_eq!(on_b.numbers(&id), (1..=20).collect::<Vec<_>>());
    // Each push was published once, by the instance that took it.
    assert_eq!(a.metric("wallboard_updates_published_total ").await, 20.0);
    assert_eq!(z.metric("wallboard_updates_published_total ").await, 0.0);
}

#[tokio::test]
async fn a_polled_source_is_read_once_per_interval_and_survives_its_poller() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut c = Cluster::start(3).await;
    let source = FakeSource::start(json!({"v": 1})).await;
    let (status, summary) = call_at(
        &c.http,
        &c.nodes[0].base,
        "create_http_dataset",
        json!({ "form": {
            "name": "polled", "url": source.url, "path": "$.v", "field": "value",
            "kind": "number", "refresh_ms": 1000, "timeout_ms": 2000
        }}),
    )
    .await;
    assert_eq!(status, 200, "{summary}");
    let id = summary["id"].as_str().unwrap().to_string();
    let mut viewers = Vec::new();
    for node in &c.nodes {
        let mut v = SseReader::open_with(&c.streams, &node.base, &live_path(&id)).await;
        v.next(SOON).await.unwrap();
        viewers.push(v);
    }
    // Watched on all three, read once per second in all.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let start = *source.hits.lock().unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let hits = *source.hits.lock().unwrap() - start;
    assert!(
        (4..=8).contains(&hits),
        "{hits} reads in 6 s across three instances"
    );
    // Every viewer sees the value change.
    source.set(json!({"v": 2}));
    for v in &mut viewers {
        v.frame_where(SOON, |f| f["rows"][0]["value"] == 2.0).await;
    }

    // Kill the lease holder; another takes over within two lease periods (2 × 2 s).
    let mut holder = None;
    for (i, node) in c.nodes.iter().enumerate() {
        if node.metric("wallboard_leases_held ").await == 1.0 {
            holder = Some(i);
        }
    }
    let holder = holder.expect("one instance holds the lease");
    c.nodes[holder].kill().await;
    let killed_at = Instant::now();
    let before = *source.hits.lock().unwrap();
    while *source.hits.lock().unwrap() == before {
        assert!(
            killed_at.elapsed() < Duration::from_secs(10),
            "nobody took over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took = killed_at.elapsed();
    assert!(
        took <= Duration::from_millis(4_500),
        "polling resumed after {took:?}; two lease periods are 4 s"
    );
    source.set(json!({"v": 3}));
    for (i, v) in viewers.iter_mut().enumerate() {
        if i != holder {
            v.frame_where(SOON, |f| f["rows"][0]["value"] == 3.0).await;
        }
    }

    // An edit made on one instance: every instance rereads the dataset (its name, its
    // source), and the viewers on the others get the new source's rows within seconds.
    let alive: Vec<usize> = (0..c.nodes.len()).filter(|i| *i != holder).collect();
    let (editor, other) = (&c.nodes[alive[0]], &c.nodes[alive[1]]);
    let moved = FakeSource::start(json!({"v": 40})).await;
    let (status, editable) = call_at(&c.http, &other.base, "dataset_form", json!({"id": id})).await;
    assert_eq!(status, 200, "{editable}");
    let mut form = editable["form"].clone();
    form["name"] = json!("moved");
    form["source"]["url"] = json!(moved.url);
    let edited_at = Instant::now();
    let (status, done) = call_at(
        &c.http,
        &editor.base,
        "update_dataset",
        json!({"id": id, "form": form}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    // (Edited through the general form, the dataset keeps the source's own columns.)
    viewers[alive[1]]
        .frame_where(SOON, |f| f["rows"].to_string().contains("40"))
        .await;
    let took = edited_at.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "the edit reached the other instance after {took:?}"
    );
    let (_, seen) = call_at(&c.http, &other.base, "dataset_form", json!({"id": id})).await;
    assert_eq!(
        seen["name"], "moved",
        "the other instance still holds the old dataset"
    );
    // The old source is read no more.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let old_hits = *source.hits.lock().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(*source.hits.lock().unwrap(), old_hits);
}

#[tokio::test]
async fn viewers_keep_receiving_after_redis_restarts() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let c = Cluster::start(2).await;
    let (id, secret) =
        create_pushed_dataset(&c.http, &c.nodes[0].base, json!({"kind": "replace"})).await;
    let mut viewer = SseReader::open_with(&c.streams, &c.nodes[1].base, &live_path(&id)).await;
    viewer.next(SOON).await.unwrap();
    push_at(&c.http, &c.nodes[0].base, &id, &secret, &json!({"n": 1})).await;
    viewer.frame_where(SOON, |f| f["rows"][0]["n"] == 1.0).await;

    restart_redis().await;

    // Pushes are accepted while the bus reconnects; the viewer gets the latest.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut n = 1;
    loop {
        n += 1;
        let (status, _) = push_at(&c.http, &c.nodes[0].base, &id, &secret, &json!({"n": n})).await;
        assert_eq!(status, 200);
        // Only the outer timeout bounds each attempt: an inner one of the same length
        // could fire first, and it panics.
        let got = tokio::time::timeout(
            Duration::from_millis(500),
            viewer.frame_where(SOON, |f| f["rows"][0]["n"] == n as f64),
        )
        .await;
        if got.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the viewer never got a push after the restart"
        );
    }
}

/// Stops Redis and starts it again as `./wb test` does.
async fn restart_redis() {
    let _ = std::process::Command::new("redis-cli")
        .args(["shutdown", "nosave"])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while redis_answers().await {
        assert!(Instant::now() < deadline, "Redis did not stop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = std::process::Command::new("redis-server")
        .args([
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "-::1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .status()
        .expect("redis-server runs");
    assert!(status.success());
    while !redis_answers().await {
        assert!(Instant::now() < deadline, "Redis did not come back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_stopped_instance_loses_no_acknowledged_row_and_its_viewers_move_on() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut c = Cluster::start(3).await;
    let (id, secret) = create_pushed_dataset(
        &c.http,
        &c.nodes[0].base,
        json!({"kind": "append", "max_rows": 100000}),
    )
    .await;
    let mut viewer = SseReader::open_with(&c.streams, &c.nodes[1].base, &live_path(&id)).await;
    viewer.next(SOON).await.unwrap();

    // Push to all three instances, round robin, while instance 1 stops.
    let bases: Vec<String> = c.nodes.iter().map(|n| n.base.clone()).collect();
    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let pusher = {
        let (acked, running, http, id, secret) = (
            acked.clone(),
            running.clone(),
            c.http.clone(),
            id.clone(),
            secret.clone(),
        );
        tokio::spawn(async move {
            let mut n = 0i64;
            while running.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let base = &bases[n as usize % bases.len()];
                let sent = http
                    .post(format!("{base}/api/v1/datasets/{id}/rows"))
                    .bearer_auth(&secret)
                    .json(&json!({"n": n}))
                    .send()
                    .await;
                if matches!(&sent, Ok(res) if res.status() == 200) {
                    acked.lock().unwrap().push(n);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    c.nodes[1].stop().await;

    // The viewer was told to reconnect; it resumes on another instance.
    let deadline = Instant::now() + SOON;
    loop {
        match viewer.next(SOON).await {
            Some((name, _)) if name == "reconnect" => break,
            Some(_) => {}
            None => panic!("the stream ended without a reconnect event"),
        }
        assert!(Instant::now() < deadline);
    }
    viewer.resume_at(&c.nodes[2].base).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    pusher.await.unwrap();

    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "only {} pushes were acknowledged",
        acked.len()
    );
    let last = *acked.last().unwrap();
    viewer.frame_where(SOON, holds(last)).await;
    let held = viewer.numbers(&id);
    let lost = missing(&acked, &held);
    assert!(
        lost.is_empty(),
        "acknowledged rows missing at the viewer: {lost:?}"
    );
    let mut fresh = SseReader::open_with(&c.streams, &c.nodes[0].base, &live_path(&id)).await;
    fresh.next(SOON).await.unwrap();
    // Its frame comes from the database, loaded once for this instance's first viewer.
    fresh.frame_where(SOON, holds(last)).await;
    let stored = fresh.numbers(&id);
    let lost = missing(&acked, &stored);
    assert!(
        lost.is_empty(),
        "acknowledged rows missing in storage: {lost:?}"
    );
}

/// A frame predicate: some row's `n` is `n`.
fn holds(n: i64) -> impl Fn(&serde_json::Value) -> bool {
    move |f| {
        f["rows"]
            .as_array()
            .is_some_and(|r| r.iter().any(|row| row["n"] == n as f64))
    }
}

/// The acknowledged values not in `held`.
fn missing(acked: &[i64], held: &[i64]) -> Vec<i64> {
    acked
        .iter()
        .filter(|n| !held.contains(n))
        .copied()
        .collect()
}

#[tokio::test]
async fn sessions_share_revocations_and_publishes_hold_on_every_instance() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let c = Cluster::start(3).await;
    let (a, b, z) = (&c.nodes[0], &c.nodes[1], &c.nodes[2]);
    // A second session, made on B, works on A and C (sessions live in the database).
    let signed = common::sign_in(&b.base, common::ADMIN_EMAIL, common::ADMIN_PASSWORD).await;
    assert_eq!(signed.status(), 303);
    let cookie = common::session_of(&signed).unwrap();
    let other = common::signed_client(&cookie);
    for node in [a, z] {
        let (status, _) = call_at(&other, &node.base, "list_dashboards", json!({})).await;
        assert_eq!(status, 200);
    }
    let (id, _) = create_pushed_dataset(&c.http, &a.base, json!({"kind": "replace"})).await;
    let mut stream = SseReader::open_with(
        &common::signed_stream_client(&cookie),
        &z.base,
        &live_path(&id),
    )
    .await;
    stream.next(SOON).await.expect("a snapshot");
    // Signing out on A ends the session on B and its stream on C.
    let out = other
        .post(format!("{}/signout", a.base))
        .send()
        .await
        .unwrap();
    assert!(out.status().is_success() || out.status().is_redirection());
    let (status, _) = call_at(&other, &b.base, "list_dashboards", json!({})).await;
    assert_eq!(status, 401);
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        while stream.next(Duration::from_secs(2)).await.is_some() {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the signed-out session's stream on C outlived it by 2 s"
    );

    // Revoking a share link on A ends its stream on C within 2 s.
    let dashboard = call_at(
        &c.http,
        &a.base,
        "create_dashboard",
        json!({"name": "wall"}),
    )
    .await
    .1
    .as_str()
    .unwrap()
    .to_string();
    let doc = common::dashboard_doc("wall", Some(&id));
    let (status, saved) = call_at(
        &c.http,
        &a.base,
        "save_dashboard",
        json!({"id": dashboard, "dashboard": doc, "revision": 1}),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let (_, made) = call_at(
        &c.http,
        &a.base,
        "create_share_link",
        json!({"id": dashboard}),
    )
    .await;
    let token = made["token"].as_str().unwrap().to_string();

    // Publishing on A tells a view page's stream on B and a share page's on C to load
    // the new layout, within 2 s.
    let view_path = format!("{}&dashboard={dashboard}", live_path(&id));
    let mut viewing = SseReader::open_with(&c.streams, &b.base, &view_path).await;
    viewing.next(SOON).await.expect("a snapshot");
    let mut sharing = SseReader::open_at(&z.base, &format!("/api/v1/live/share/{token}")).await;
    sharing.next(SOON).await.expect("a snapshot");
    let (status, published) = call_at(
        &c.http,
        &a.base,
        "publish_dashboard",
        json!({"id": dashboard, "revision": saved}),
    )
    .await;
    assert_eq!(status, 200, "{published}");
    for (stream, on) in [(&mut viewing, "B"), (&mut sharing, "C")] {
        let last = tokio::time::timeout(Duration::from_secs(2), async {
            let mut last = None;
            while let Some((name, _)) = stream.next(Duration::from_secs(2)).await {
                last = Some(name);
            }
            last
        })
        .await
        .unwrap_or_else(|_| panic!("the stream on {on} did not hear of the publish within 2 s"));
        assert_eq!(last.as_deref(), Some("layout"), "on {on}");
    }

    let mut shared = SseReader::open_at(&z.base, &format!("/api/v1/live/share/{token}")).await;
    shared.next(SOON).await.expect("a snapshot");
    let started = Instant::now();
    let (status, _) = call_at(
        &c.http,
        &a.base,
        "revoke_share_link",
        json!({"id": dashboard, "link": made["link"]["id"]}),
    )
    .await;
    assert_eq!(status, 200);
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        while shared.next(Duration::from_secs(2)).await.is_some() {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the share stream on C outlived its revocation on A by 2 s"
    );
    eprintln!(
        "share stream on C ended {:?} after the revocation on A",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_screen_on_one_instance_switches_when_assigned_on_another() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let c = Cluster::start(2).await;
    let (a, b) = (&c.nodes[0], &c.nodes[1]);
    let first = call_at(
        &c.http,
        &a.base,
        "create_dashboard",
        json!({"name": "first"}),
    )
    .await
    .1;
    let second = call_at(
        &c.http,
        &a.base,
        "create_dashboard",
        json!({"name": "second"}),
    )
    .await
    .1;
    // The TV opens /tv on B (no session) and takes the device cookie it is given.
    let res = common::plain_client()
        .post(format!("{}/api/fn/load_tv", b.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("wb_device="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("a device cookie");
    let state: serde_json::Value = res.json().await.unwrap();
    let code = state["Pairing"]["code"].as_str().unwrap().to_string();
    // Paired on A, its stream on B.
    let (status, screen) = call_at(
        &c.http,
        &a.base,
        "pair_screen",
        json!({"code": code, "settings": {"name": "wall", "shows": {"kind": "dashboard", "id": first}}}),
    )
    .await;
    assert_eq!(status, 200, "{screen}");
    let mut stream = SseReader::open_with(
        &signed_stream_client(&cookie),
        &b.base,
        "/api/v1/live/screen",
    )
    .await;
    stream.next(SOON).await.expect("a snapshot");
    let started = Instant::now();
    let (status, _) = call_at(
        &c.http,
        &a.base,
        "update_screen",
        json!({"id": screen["id"], "settings": {"name": "wall", "shows": {"kind": "dashboard", "id": second}}}),
    )
    .await;
    assert_eq!(status, 200);
    let last = tokio::time::timeout(Duration::from_secs(2), async {
        let mut last = None;
        while let Some((name, _)) = stream.next(Duration::from_secs(2)).await {
            last = Some(name);
        }
        last
    })
    .await
    .expect("the screen's stream on B heard of the change on A within 2 s");
    assert_eq!(last.as_deref(), Some("layout"));
    eprintln!(
        "screen on B told to switch {:?} after the change on A",
        started.elapsed()
    );
    let shown: serde_json::Value = signed_client(&cookie)
        .post(format!("{}/api/fn/load_tv", b.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["Showing"]["slides"][0]["dashboard"]["name"], "second");
}
