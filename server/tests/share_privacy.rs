//! Share pages receive only what their widgets show, against the real server: the
//! first HTML, the server function and the live stream (lean and routed) carry the
//! bound fields of the bound datasets only; a failing source shows as "source
//! unavailable …" without its host; saving the dashboard with another set of bindings
//! ends the open share streams, whose next stream serves the new set. The editor and
//! the owner's screens keep whole frames.

#[macro_use]
mod common;

use common::{call_at, spawn_app, Backend, FakeSource, SseReader, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

const SOON: Duration = Duration::from_secs(5);
/// Longer than the share streams' check interval (5 s), with room to spare.
const RECHECK: Duration = Duration::from_secs(12);

const SECRET: &str = "the-launch-code-7731";

/// A pushed dataset with fields `value` (number) and `secret_note` (text), and a push
/// token for it.
async fn secret_dataset(app: &TestApp) -> (String, String) {
    let summary = app
        .ok(
            "create_push_dataset",
            json!({ "form": {
                "name": "with a secret",
                "fields": [
                    { "name": "value", "kind": "number" },
                    { "name": "secret_note", "kind": "text" }
                ],
                "mode": { "kind": "append", "max_rows": 10 }
            }}),
        )
        .await;
    let id = summary["id"].as_str().unwrap().to_string();
    let token = app
        .ok(
            "create_push_token",
            json!({ "dataset": id, "label": "test" }),
        )
        .await;
    (id, token["secret"].as_str().unwrap().to_string())
}

/// The keys of each row of `frame` (JSON), and the numbers in its field `value`.
fn shape(frame: &Value) -> (Vec<Vec<String>>, Vec<f64>) {
    let rows = frame["rows"].as_array().expect("rows");
    (
        rows.iter()
            .map(|r| r.as_object().unwrap().keys().cloned().collect())
            .collect(),
        rows.iter().filter_map(|r| r["value"].as_f64()).collect(),
    )
}

fn only_value(values: &[f64]) -> (Vec<Vec<String>>, Vec<f64>) {
    (
        vec![vec!["value".to_string()]; values.len()],
        values.to_vec(),
    )
}

async fn push(app: &TestApp, dataset: &str, secret: &str, body: Value) {
    let (status, answer) = common::push_at(&app.http, &app.base, dataset, secret, &body).await;
    assert_eq!(status, 200, "{answer}");
}

/// A dashboard whose KPIs bind each (dataset, field) of `bindings`.
fn doc(bindings: &[(&str, &str)]) -> Value {
    let widgets: Vec<Value> = bindings
        .iter()
        .enumerate()
        .map(|(i, (dataset, field))| {
            json!({
                "id": format!("w{}", i + 1),
                "rect": { "x": 100 + 450 * (i as i32 % 3), "y": 100 + 300 * (i as i32 / 3), "w": 400, "h": 240 },
                "kind": "kpi",
                "props": { "title": format!("KPI {}", i + 1), "unit": "", "decimals": 0 },
                "binding": { "dataset": dataset, "field": field }
            })
        })
        .collect();
    json!({
        "schema_version": 1,
        "name": "Shared",
        "resolution": { "width": 1920, "height": 1080 },
        "theme": "dark",
        "widgets": widgets
    })
}

/// Creates a dashboard binding `bindings` and a share link to it; returns the
/// dashboard id, its revision and the share token.
async fn shared(app: &TestApp, bindings: &[(&str, &str)]) -> (String, i64, String) {
    let id = app.create_dashboard("Shared").await;
    let (status, revision) = app.save(&id, &doc(bindings), 1).await;
    assert_eq!(status, 200, "{revision}");
    let token = app.ok("create_share_link", json!({ "id": id })).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    (id, revision.as_i64().unwrap(), token)
}

/// The first event of a stream opened on a connection that served `/healthz` first
/// (so through hyper and axum, not the lean path), as raw text.
async fn first_event_routed(app: &TestApp, path: &str) -> String {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let health = client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    let mut response = client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(!response.headers().contains_key("connection"), "routed");
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(SOON, response.chunk())
            .await
            .expect("an event in time")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

/// Reads `live` until it ends; returns the names of the events read. The stream must
/// end within `within`.
async fn until_it_ends(live: &mut SseReader, within: Duration) -> Vec<String> {
    let mut names = Vec::new();
    let ended = tokio::time::timeout(within, async {
        while let Some((name, _)) = live.next(within).await {
            names.push(name);
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream is still open; read {names:?}");
    names
}

async fn a_share_carries_only_the_bound_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let (dataset, secret) = secret_dataset(&app).await;
    push(
        &app,
        &dataset,
        &secret,
        json!({ "value": 42, "secret_note": SECRET }),
    )
    .await;
    let (id, _, token) = shared(&app, &[(&dataset, "value")]).await;

    // The owner's screens and the editor's stream keep whole frames: the test can see
    // the secret where it is allowed.
    let (_, view) = app.get(&format!("/view/{id}")).await;
    assert!(view.contains(SECRET), "the view page holds whole frames");
    let mut editor = SseReader::open(&app, &format!("/api/v1/live?datasets={dataset}")).await;
    let (_, snapshot) = editor.next(SOON).await.unwrap();
    assert!(snapshot.to_string().contains(SECRET));

    // The share page's first HTML, its server function and both stream transports.
    for path in [format!("/s/{token}"), format!("/s/{token}/kiosk")] {
        let (status, html) = app.get(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains(">42</div>"), "{path} shows the bound value");
        assert!(
            !html.contains("secret_note") && !html.contains(SECRET),
            "{path} holds an unbound field"
        );
    }
    let (status, payload) = call_at(
        &app.http,
        &app.base,
        "load_shared",
        json!({ "token": token }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(shape(&payload["frames"][0]), only_value(&[42.0]));
    assert!(!payload.to_string().contains("secret_note"));

    let routed = first_event_routed(&app, &format!("/api/v1/live/share/{token}")).await;
    assert!(routed.starts_with("event: snapshot\n"), "{routed}");
    assert!(
        routed.contains(r#""value":42"#) && !routed.contains("secret_note"),
        "{routed}"
    );

    let mut live = SseReader::open(&app, &format!("/api/v1/live/share/{token}")).await;
    let (name, snapshot) = live.next(SOON).await.unwrap();
    assert_eq!(name, "snapshot");
    assert_eq!(shape(&snapshot["frames"][0]), only_value(&[42.0]));
    assert!(!snapshot.to_string().contains("secret_note"));

    // Later rows reach the share stream as appends of the bound field only.
    push(
        &app,
        &dataset,
        &secret,
        json!([{ "value": 43, "secret_note": "second secret" }]),
    )
    .await;
    let (name, append) = live.next(SOON).await.unwrap();
    assert_eq!(name, "append");
    assert_eq!(shape(&append), only_value(&[43.0]));
    assert!(!append.to_string().contains("secret"), "{append}");
    let (name, full) = editor.next(SOON).await.unwrap();
    assert_eq!(name, "append");
    assert!(full.to_string().contains("second secret"));
}

async fn a_failing_source_shows_on_a_share_only_as_unavailable(backend: Backend) {
    let app = spawn_app(backend).await;
    // Refused by the outbound guard: its error names the address.
    let hidden = "10.255.255.1";
    let refused = app
        .ok(
            "create_http_dataset",
            json!({ "form": {
                "name": "private", "url": format!("http://{hidden}/data"), "path": "$.v",
                "field": "value", "kind": "number", "refresh_ms": 1000, "timeout_ms": 1000
            }}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Read once, then failing: its data is stale since that read.
    let source = FakeSource::start(json!({ "v": 5 })).await;
    let stale = common::create_dataset(&app, &source.url, "$.v", 1000).await;
    let (_, _, token) = shared(&app, &[(&refused, "value"), (&stale, "value")]).await;

    let mut editor =
        SseReader::open(&app, &format!("/api/v1/live?datasets={refused},{stale}")).await;
    let mut live = SseReader::open(&app, &format!("/api/v1/live/share/{token}")).await;
    editor
        .frame_where(SOON, |f| f["rows"][0]["value"] == 5.0)
        .await;
    source.set(json!({ "w": 6 }));
    editor
        .frame_where(SOON, |f| {
            f["error"].as_str().is_some_and(|e| e.contains(hidden))
        })
        .await;
    editor
        .frame_where(SOON, |f| {
            f["dataset"] == json!(stale) && f["error"].is_string()
        })
        .await;

    let refused_frame = live
        .frame_where(SOON, |f| {
            f["dataset"] == json!(refused) && f["error"].is_string()
        })
        .await;
    assert_eq!(refused_frame["error"], json!("source unavailable"));
    let stale_frame = live
        .frame_where(SOON, |f| {
            f["dataset"] == json!(stale) && f["error"].is_string()
        })
        .await;
    let said = stale_frame["error"].as_str().unwrap();
    assert!(
        said.starts_with("source unavailable since 20") && said.ends_with(" UTC"),
        "{said}"
    );
    assert_eq!(
        shape(&stale_frame),
        only_value(&[5.0]),
        "the last good data stays"
    );
    for frame in live.frames.values() {
        let text = frame.to_string();
        assert!(
            !text.contains(hidden) && !text.contains("127.0.0.1") && !text.contains("path"),
            "{text}"
        );
    }

    let (_, html) = app.get(&format!("/s/{token}")).await;
    assert!(html.contains("source unavailable"), "the page says why");
    assert!(
        !html.contains(hidden) && !html.contains(&source.url) && !html.contains("refused"),
        "the share page shows a source's error"
    );
}

async fn a_changed_dashboard_ends_its_share_streams_and_the_next_serves_the_new_view(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (kept, kept_secret) = secret_dataset(&app).await;
    let (removed, removed_secret) = secret_dataset(&app).await;
    push(
        &app,
        &kept,
        &kept_secret,
        json!({ "value": 1, "secret_note": SECRET }),
    )
    .await;
    push(
        &app,
        &removed,
        &removed_secret,
        json!({ "value": 2, "secret_note": SECRET }),
    )
    .await;
    let (id, revision, token) = shared(&app, &[(&kept, "value"), (&removed, "value")]).await;
    app.ok("publish_dashboard", json!({"id": id, "revision": revision}))
        .await;
    // The editor stays open throughout, so the hub holds both frames and every share
    // snapshot below carries what the client lacks right away.
    let mut editor =
        SseReader::open(&app, &format!("/api/v1/live?datasets={kept},{removed}")).await;
    for dataset in [&kept, &removed] {
        editor
            .frame_where(SOON, |f| f["dataset"] == json!(dataset))
            .await;
    }
    let path = format!("/api/v1/live/share/{token}");
    let mut live = SseReader::open(&app, &path).await;
    let (_, snapshot) = live.next(SOON).await.unwrap();
    assert_eq!(snapshot["frames"].as_array().unwrap().len(), 2);

    // Published, the share page shows the published version: saving the draft (even
    // one that binds other fields) keeps the stream as it is.
    let mut same = doc(&[(&kept, "value"), (&removed, "secret_note")]);
    same["widgets"][0]["props"]["title"] = json!("Renamed");
    let (status, revision) = app.save(&id, &same, revision).await;
    assert_eq!(status, 200);
    let revision = revision.as_i64().unwrap();
    // Past one check: the stream is still open and carries the next change.
    tokio::time::sleep(Duration::from_secs(6)).await;
    push(&app, &kept, &kept_secret, json!({ "value": 3 })).await;
    let (name, _) = tokio::time::timeout(RECHECK, live.next(RECHECK))
        .await
        .unwrap()
        .expect("the stream stays open");
    assert_eq!(name, "append");

    // Publishing a version that rebinds a field: the stream tells its page to load
    // the new layout, and ends.
    let (status, revision_after) = app
        .save(
            &id,
            &doc(&[(&kept, "secret_note"), (&removed, "value")]),
            revision,
        )
        .await;
    assert_eq!(status, 200);
    let revision = revision_after.as_i64().unwrap();
    app.ok("publish_dashboard", json!({"id": id, "revision": revision}))
        .await;
    let names = until_it_ends(&mut live, RECHECK).await;
    assert_eq!(
        names.last().map(String::as_str),
        Some("layout"),
        "{names:?}"
    );
    // Resuming from the old view is a fresh snapshot of the new one.
    live.resume_at(&app.base).await;
    let (name, snapshot) = live.next(SOON).await.unwrap();
    assert_eq!(name, "snapshot");
    let frames = snapshot["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 2, "every frame again, under the new view");
    let kept_frame = frames.iter().find(|f| f["dataset"] == json!(kept)).unwrap();
    assert_eq!(
        kept_frame["rows"],
        json!([{ "secret_note": SECRET }, { "secret_note": null }]),
        "now the bound field is secret_note, and value is not sent"
    );

    // Removing a dataset from the dashboard: its rows no longer reach the share page.
    let (status, revision_after) = app
        .save(&id, &doc(&[(&kept, "secret_note")]), revision)
        .await;
    assert_eq!(status, 200);
    app.ok(
        "publish_dashboard",
        json!({"id": id, "revision": revision_after.as_i64().unwrap()}),
    )
    .await;
    let names = until_it_ends(&mut live, RECHECK).await;
    assert_eq!(
        names.last().map(String::as_str),
        Some("layout"),
        "{names:?}"
    );
    live.resume_at(&app.base).await;
    let (_, snapshot) = live.next(SOON).await.unwrap();
    let datasets: Vec<&Value> = snapshot["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["dataset"])
        .collect();
    assert_eq!(datasets, vec![&json!(kept)]);
    // A push to the removed dataset, then one to the kept one: only the second comes.
    push(&app, &removed, &removed_secret, json!({ "value": 99 })).await;
    push(&app, &kept, &kept_secret, json!({ "secret_note": "last" })).await;
    let (name, event) = live.next(SOON).await.unwrap();
    assert_eq!(name, "append");
    assert_eq!(event["dataset"], json!(kept), "{event}");
    let (_, html) = app.get(&format!("/s/{token}")).await;
    assert!(
        !html.contains(&removed),
        "the share page names the removed dataset"
    );
}

on_both_backends!(
    a_share_carries_only_the_bound_fields,
    a_failing_source_shows_on_a_share_only_as_unavailable,
    a_changed_dashboard_ends_its_share_streams_and_the_next_serves_the_new_view,
);
