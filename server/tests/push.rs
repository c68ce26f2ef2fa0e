//! The push API and the live stream's protocol, against the real server: rows pushed as
//! JSON or NDJSON reach viewers as appends; bad input is refused naming the row and
//! field; tokens, rate limits, body limits, viewer limits, resume and shutdown.

#[macro_use]
mod common;

use common::{
    create_dataset, create_pushed_dataset, push_at, spawn_app, spawn_app_env, Backend, FakeSource,
    SseReader, TestApp,
};
use serde_json::{json, Value};
use std::time::Duration;

const SOON: Duration = Duration::from_secs(5);

async fn pushed(app: &TestApp, mode: Value) -> (String, String) {
    create_pushed_dataset(&app.http, &app.base, mode).await
}

async fn push(app: &TestApp, id: &str, secret: &str, body: Value) -> (u16, Value) {
    push_at(&app.http, &app.base, id, secret, &body).await
}

async fn pushed_rows_reach_a_viewer_as_appends_and_are_kept(backend: Backend) {
    // No rate cap: every change is its own event here.
    let app = spawn_app_env(backend, &[("WALLBOARD_STREAM_MAX_RATE", "0")]).await;
    let (id, secret) = pushed(&app, json!({"kind": "append", "max_rows": 4})).await;
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    let (name, _) = live.next(SOON).await.unwrap();
    assert_eq!(name, "snapshot");

    assert_eq!(
        push(&app, &id, &secret, json!({"n": 1})).await,
        (200, json!({"accepted": 1, "seq": 1}))
    );
    live.frame_where(SOON, |f| f["seq"] == 1).await;
    assert_eq!(live.numbers(&id), vec![1]);

    let (status, body) = push(&app, &id, &secret, json!([{"n": 2}, {"n": "3"}])).await;
    assert_eq!((status, body["accepted"].clone()), (200, json!(2)));
    let ndjson = app
        .http
        .post(format!("{}/api/v1/datasets/{id}/rows", app.base))
        .bearer_auth(&secret)
        .header("content-type", "application/x-ndjson")
        .body("{\"n\":4}\n{\"n\":5}\n")
        .send()
        .await
        .unwrap();
    assert_eq!(ndjson.status(), 200);
    let (name, _) = live.next(SOON).await.unwrap();
    assert_eq!(
        name, "append",
        "the viewer holds the frame before: it gets rows only"
    );
    live.frame_where(SOON, |f| f["seq"] == 3).await;
    assert_eq!(
        live.numbers(&id),
        vec![2, 3, 4, 5],
        "four rows kept, oldest dropped"
    );

    // A new viewer (and the stored frame) sees the same.
    let mut fresh = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    fresh.next(SOON).await.unwrap();
    assert_eq!(fresh.numbers(&id), vec![2, 3, 4, 5]);
}

async fn a_replace_dataset_shows_only_the_last_push(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, secret) = pushed(&app, json!({"kind": "replace"})).await;
    push(&app, &id, &secret, json!([{"n": 1}, {"n": 2}])).await;
    push(&app, &id, &secret, json!([{"n": 9}])).await;
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    live.next(SOON).await.unwrap();
    assert_eq!(live.numbers(&id), vec![9]);
}

/// A pushed dataset has no interval to judge its age by: its own "stale after" is
/// kept, changed with its name, bounded, and handed to the screens that show it.
async fn a_pushed_dataset_says_when_its_rows_are_stale(backend: Backend) {
    let app = spawn_app(backend).await;
    let form = json!({ "form": {
        "name": "door sensor", "fields": [{ "name": "n", "kind": "number" }],
        "mode": { "kind": "replace" }, "stale_after_secs": 90
    }});
    let made = app.ok("create_push_dataset", form).await;
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(made["stale_after_secs"], json!(90));

    let changed = app
        .ok(
            "update_dataset_basics",
            json!({ "id": id, "name": "front door", "stale_after_secs": 45 }),
        )
        .await;
    assert_eq!(changed["name"], json!("front door"));
    assert_eq!(changed["stale_after_secs"], json!(45));
    let editable = app.ok("dataset_form", json!({ "id": id })).await;
    assert_eq!(editable["stale_after_secs"], json!(45));

    // Out of bounds: refused, naming the field; nothing changes.
    for bad in [json!(0), json!(30 * 24 * 3600 + 1)] {
        let (status, body) = app
            .call(
                "update_dataset_basics",
                json!({ "id": id, "name": "renamed", "stale_after_secs": bad }),
            )
            .await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(body["field"], json!("stale_after_secs"));
    }
    let listed = app.ok("list_datasets", json!({})).await;
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == json!(id))
        .unwrap()
        .clone();
    assert_eq!(entry["name"], json!("front door"));
    assert_eq!(entry["stale_after_secs"], json!(45));

    // A share page of a dashboard reading it (a draft never published shows as it is)
    // carries the limit for its stale badges.
    let dashboard = app.create_dashboard("Doors").await;
    let doc = common::dashboard_doc("Doors", Some(&id));
    app.ok(
        "save_dashboard",
        json!({ "id": dashboard, "dashboard": doc, "revision": 1 }),
    )
    .await;
    let link = app
        .ok("create_share_link", json!({ "id": dashboard }))
        .await;
    let shared = app
        .ok("load_shared", json!({ "token": link["token"] }))
        .await;
    assert_eq!(
        shared["freshness"],
        json!([[id, { "interval_ms": null, "stale_after_ms": 45_000 }]])
    );
}

/// A pushed dataset's settings change in place: a new field is taken from the next
/// push, a smaller number of rows to keep drops the oldest at once (viewers and the
/// stored frame alike), and whether pushes append or replace stays as it was made.
async fn a_pushed_dataset_edit_changes_its_fields_and_limits_at_once(backend: Backend) {
    let app = spawn_app_env(backend, &[("WALLBOARD_STREAM_MAX_RATE", "0")]).await;
    let (id, secret) = pushed(&app, json!({"kind": "append", "max_rows": 5})).await;
    let rows: Vec<Value> = (1..=5)
        .map(|n| json!({"n": n, "site": "dropped"}))
        .collect();
    assert_eq!(push(&app, &id, &secret, json!(rows)).await.0, 200);
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    live.frame_where(SOON, |f| f["rows"].as_array().is_some_and(|r| r.len() == 5))
        .await;
    assert_eq!(live.numbers(&id), vec![1, 2, 3, 4, 5]);
    assert_eq!(
        live.frames[&id]["rows"][0].get("site"),
        None,
        "not a field yet"
    );

    let form = |mode: Value| {
        json!({ "id": id, "form": {
            "name": "sensors",
            "fields": [{ "name": "n", "kind": "number" }, { "name": "site", "kind": "text" }],
            "mode": mode, "stale_after_secs": 60
        }})
    };
    let done = app
        .ok(
            "update_push_dataset",
            form(json!({"kind": "append", "max_rows": 2})),
        )
        .await;
    assert_eq!(done["dataset"]["name"], json!("sensors"));
    assert_eq!(done["removed_fields"], json!([]));
    live.frame_where(SOON, |f| f["rows"].as_array().is_some_and(|r| r.len() == 2))
        .await;
    assert_eq!(live.numbers(&id), vec![4, 5], "the oldest went at once");

    assert_eq!(
        push(&app, &id, &secret, json!({"n": 6, "site": "north"}))
            .await
            .0,
        200
    );
    live.frame_where(SOON, |f| {
        f["rows"]
            .as_array()
            .is_some_and(|r| r.len() == 2 && r[1]["n"] == 6)
    })
    .await;
    assert_eq!(live.numbers(&id), vec![5, 6]);
    assert_eq!(live.frames[&id]["rows"][1]["site"], json!("north"));
    let mut fresh = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    fresh
        .frame_where(SOON, |f| {
            f["rows"].as_array().is_some_and(|r| !r.is_empty())
        })
        .await;
    assert_eq!(fresh.numbers(&id), vec![5, 6], "the stored rows agree");
    let editable = app.ok("dataset_form", json!({ "id": id })).await;
    assert_eq!(
        editable["push"]["mode"],
        json!({"kind": "append", "max_rows": 2})
    );
    assert_eq!(editable["push"]["fields"][1]["name"], json!("site"));

    // Append stays append; bad limits are refused naming the field; a removed field
    // is reported.
    let (status, body) = app
        .call("update_push_dataset", form(json!({"kind": "replace"})))
        .await;
    assert_eq!(
        (status, body["field"].clone()),
        (422, json!("mode")),
        "{body}"
    );
    let (status, body) = app
        .call(
            "update_push_dataset",
            form(json!({"kind": "append", "max_rows": 0})),
        )
        .await;
    assert_eq!(
        (status, body["field"].clone()),
        (422, json!("mode.max_rows")),
        "{body}"
    );
    let narrower = app
        .ok(
            "update_push_dataset",
            json!({ "id": id, "form": {
                "name": "sensors", "fields": [{ "name": "n", "kind": "number" }],
                "mode": {"kind": "append", "max_rows": 2}
            }}),
        )
        .await;
    assert_eq!(narrower["removed_fields"], json!(["site"]));
    assert_eq!(fresh.numbers(&id), vec![5, 6], "nothing else changed");
}

on_both_backends!(
    pushed_rows_reach_a_viewer_as_appends_and_are_kept,
    a_replace_dataset_shows_only_the_last_push,
    a_pushed_dataset_says_when_its_rows_are_stale,
    a_pushed_dataset_edit_changes_its_fields_and_limits_at_once,
);

#[tokio::test]
async fn a_rejected_push_names_the_row_and_field_and_writes_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    let (id, secret) = pushed(&app, json!({"kind": "append", "max_rows": 100})).await;
    let (status, body) = push(&app, &id, &secret, json!([{"n": 1}, {"n": "many"}])).await;
    assert_eq!(status, 422);
    assert_eq!(
        (body["row"].clone(), body["field"].clone()),
        (json!(2), json!("n"))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("row 2, field 'n': expected a number"),
        "{body}"
    );
    let bad_json = app
        .http
        .post(format!("{}/api/v1/datasets/{id}/rows", app.base))
        .bearer_auth(&secret)
        .header("content-type", "application/json")
        .body("[{\"n\": 1},")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 422);
    let xml = app
        .http
        .post(format!("{}/api/v1/datasets/{id}/rows", app.base))
        .bearer_auth(&secret)
        .header("content-type", "text/xml")
        .body("<n>1</n>")
        .send()
        .await
        .unwrap();
    assert_eq!(xml.status(), 415);
    // Nothing of the refused requests was kept.
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    live.next(SOON).await.unwrap();
    assert!(live.numbers(&id).is_empty());
}

#[tokio::test]
async fn tokens_are_checked_and_revocation_takes_effect_at_once() {
    let app = spawn_app(Backend::Sqlite).await;
    let (id, secret) = pushed(&app, json!({"kind": "replace"})).await;
    let (other, other_secret) = pushed(&app, json!({"kind": "replace"})).await;
    let none = app
        .http
        .post(format!("{}/api/v1/datasets/{id}/rows", app.base))
        .json(&json!({"n": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    assert_eq!(push(&app, &id, "wbp_guess", json!({"n": 1})).await.0, 401);
    assert_eq!(push(&app, &id, &other_secret, json!({"n": 1})).await.0, 401);
    assert_eq!(
        push(&app, &other, &other_secret, json!({"n": 1})).await.0,
        200
    );

    // Lists never show the secret; revoking stops it on the next request.
    let tokens = app.ok("list_push_tokens", json!({"dataset": id})).await;
    assert_eq!(tokens.as_array().unwrap().len(), 1);
    assert!(!tokens.to_string().contains(&secret[4..]));
    assert_eq!(push(&app, &id, &secret, json!({"n": 1})).await.0, 200);
    let token_id = tokens[0]["id"].clone();
    app.ok("revoke_push_token", json!({"dataset": id, "id": token_id}))
        .await;
    assert_eq!(push(&app, &id, &secret, json!({"n": 1})).await.0, 401);
}

#[tokio::test]
async fn a_polled_dataset_takes_no_pushes_and_no_tokens() {
    let app = spawn_app(Backend::Sqlite).await;
    let source = FakeSource::start(json!({"v": 1})).await;
    let id = create_dataset(&app, &source.url, "$.v", 1000).await;
    let (status, body) = app
        .call("create_push_token", json!({"dataset": id, "label": "x"}))
        .await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test]
async fn the_rate_limit_and_the_body_limit_answer_429_and_413() {
    let app = spawn_app_env(
        Backend::Sqlite,
        &[
            ("WALLBOARD_PUSH_RATE", "3"),
            ("WALLBOARD_PUSH_MAX_BYTES", "1000"),
        ],
    )
    .await;
    let (id, secret) = pushed(&app, json!({"kind": "replace"})).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..8 {
        let res = app
            .http
            .post(format!("{}/api/v1/datasets/{id}/rows", app.base))
            .bearer_auth(&secret)
            .json(&json!({"n": 1}))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            retry_after = res.headers().get("retry-after").cloned();
        }
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().filter(|s| **s == 200).count() <= 6,
        "{statuses:?}"
    );
    assert_eq!(retry_after.unwrap(), "1");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let big: Vec<Value> = (0..200).map(|n| json!({"n": n})).collect();
    let (status, body) = push(&app, &id, &secret, Value::Array(big)).await;
    assert_eq!(status, 413, "{body}");
}

#[tokio::test]
async fn a_full_instance_answers_503_with_retry_after() {
    let app = spawn_app_env(Backend::Sqlite, &[("WALLBOARD_MAX_VIEWERS", "1")]).await;
    let (id, _) = pushed(&app, json!({"kind": "replace"})).await;
    let path = format!("/api/v1/live?datasets={id}");
    let mut first = SseReader::open(&app, &path).await;
    first.next(SOON).await.unwrap();
    let second = app
        .http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 503);
    assert!(second.headers().contains_key("retry-after"));
    drop(first);
    // The slot is free again once the first stream is gone.
    let mut open = false;
    for _ in 0..50 {
        let res = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        if res.status() == 200 {
            open = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(open, "a closed stream frees its slot");
}

#[tokio::test]
async fn a_resumed_stream_sends_only_what_changed() {
    let app = spawn_app(Backend::Sqlite).await;
    let (a, sa) = pushed(&app, json!({"kind": "replace"})).await;
    let (b, sb) = pushed(&app, json!({"kind": "replace"})).await;
    push(&app, &a, &sa, json!({"n": 1})).await;
    push(&app, &b, &sb, json!({"n": 1})).await;
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={a},{b}")).await;
    let (_, snapshot) = live.next(SOON).await.unwrap();
    assert_eq!(snapshot["frames"].as_array().unwrap().len(), 2);
    assert_eq!(live.last_id.as_deref(), Some("1.1"));

    // Disconnected, b changes; the resumed stream carries b alone.
    push(&app, &b, &sb, json!({"n": 2})).await;
    live.resume_at(&app.base).await;
    let (name, snapshot) = live.next(SOON).await.unwrap();
    assert_eq!(name, "snapshot");
    let frames = snapshot["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["dataset"], json!(b));
    assert_eq!(live.last_id.as_deref(), Some("1.2"));
    assert_eq!(live.numbers(&a), vec![1], "a is still held from before");
}

#[tokio::test]
async fn shutdown_tells_viewers_to_reconnect() {
    let app = spawn_app(Backend::Sqlite).await;
    let (id, _) = pushed(&app, json!({"kind": "replace"})).await;
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    live.next(SOON).await.unwrap();
    app.shutdown.shutdown();
    let (name, data) = live.next(SOON).await.expect("a last event");
    assert_eq!(
        (name.as_str(), data),
        ("reconnect", json!({"type": "reconnect"}))
    );
    assert!(live.next(SOON).await.is_none(), "then the stream ends");
}

#[tokio::test]
async fn a_fast_dataset_is_coalesced_to_the_latest_at_the_rate_cap() {
    let app = spawn_app_env(Backend::Sqlite, &[("WALLBOARD_STREAM_MAX_RATE", "4")]).await;
    let (id, secret) = pushed(&app, json!({"kind": "replace"})).await;
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    live.next(SOON).await.unwrap();
    for n in 1..=30 {
        push(&app, &id, &secret, json!({"n": n})).await;
    }
    live.frame_where(SOON, |f| f["rows"][0]["n"] == 30.0).await;
    let mut events = 0;
    while tokio::time::timeout(Duration::from_millis(600), live.next(SOON))
        .await
        .ok()
        .flatten()
        .is_some()
    {
        events += 1;
    }
    assert_eq!(events, 0, "nothing after the latest");
    let metrics = app.metrics().await;
    let coalesced = common::metric(&metrics, "wallboard_updates_coalesced_total ");
    assert!(
        coalesced >= 10.0,
        "{coalesced} changes coalesced of 30 pushed"
    );
}

#[tokio::test]
async fn a_stream_of_several_datasets_writes_all_that_is_due_at_once() {
    // One event per dataset a second: the stream holds b back, and a changes meanwhile.
    let app = spawn_app_env(Backend::Sqlite, &[("WALLBOARD_STREAM_MAX_RATE", "1")]).await;
    let (a, sa) = pushed(&app, json!({"kind": "replace"})).await;
    let (b, sb) = pushed(&app, json!({"kind": "replace"})).await;
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={a},{b}")).await;
    live.next(SOON).await.unwrap();
    push(&app, &a, &sa, json!({"n": 1})).await;
    live.frame_where(SOON, |f| f["rows"][0]["n"] == 1.0).await;
    push(&app, &b, &sb, json!({"n": 1})).await;
    live.frame_where(SOON, |f| {
        f["rows"][0]["n"] == 1.0 && f["dataset"] == json!(b)
    })
    .await;
    let before = app.metrics().await;
    // b changes and waits out its second; a changes while it waits, and is due by then.
    push(&app, &b, &sb, json!({"n": 2})).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    push(&app, &a, &sa, json!({"n": 2})).await;
    let (_, first) = live.next(SOON).await.unwrap();
    let (_, second) = live.next(SOON).await.unwrap();
    let datasets = [&first, &second].map(|e| e["frame"]["dataset"].clone());
    assert_eq!(datasets, [json!(b), json!(a)], "{first} {second}");
    assert_eq!(live.last_id.as_deref(), Some("2.2"));
    let after = app.metrics().await;
    let counted = |m: &str, name: &str| common::metric(m, name);
    let delivered = counted(&after, "wallboard_updates_delivered_total ")
        - counted(&before, "wallboard_updates_delivered_total ");
    let writes = counted(&after, "wallboard_stream_writes_total ")
        - counted(&before, "wallboard_stream_writes_total ");
    assert_eq!((delivered, writes), (2.0, 1.0), "both events in one write");
}

#[tokio::test]
async fn a_stream_is_served_alike_on_a_new_and_on_a_reused_connection() {
    let app = spawn_app(Backend::Sqlite).await;
    let (id, secret) = pushed(&app, json!({"kind": "replace"})).await;
    push(&app, &id, &secret, json!({"n": 7})).await;
    let path = format!("/api/v1/live?datasets={id}");
    // A connection that opens with the stream: served straight on the socket.
    let fresh = common::signed_stream_client(&app.cookie);
    let lean = fresh
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(lean.status(), 200);
    assert_eq!(lean.headers()["content-type"], "text/event-stream");
    assert_eq!(lean.headers()["connection"], "close");
    // A connection that served another request first: through hyper and axum.
    let mut cookie = reqwest::header::HeaderMap::new();
    cookie.insert(reqwest::header::COOKIE, app.cookie.parse().unwrap());
    let reused = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .default_headers(cookie)
        .build()
        .unwrap();
    let health = reused
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    let routed = reused
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(routed.status(), 200);
    assert_eq!(routed.headers()["content-type"], "text/event-stream");
    assert!(!routed.headers().contains_key("connection"));
    for mut response in [lean, routed] {
        let mut text = String::new();
        while !text.contains("\n\n") {
            let chunk = tokio::time::timeout(SOON, response.chunk())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(
            text.starts_with("event: snapshot\nid: 1\nretry: 1000\ndata: "),
            "{text}"
        );
        assert!(
            text.contains(r#""n":7.0"#) || text.contains(r#""n":7"#),
            "{text}"
        );
    }
    // Bad requests on the lean path get plain HTTP answers.
    let (status, _) = app.get("/api/v1/live?datasets=nope!").await;
    assert_eq!(status, 422);
    let res = fresh
        .get(format!("{}/api/v1/live?datasets=missing", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn only_watched_or_always_refreshed_datasets_are_polled() {
    let app = spawn_app(Backend::Sqlite).await;
    let quiet = FakeSource::start(json!({"v": 1})).await;
    let always = FakeSource::start(json!({"v": 1})).await;
    let form = |url: &str, always_refresh: bool| {
        json!({ "form": {
            "name": "polled", "url": url, "path": "$.v", "field": "value", "kind": "number",
            "refresh_ms": 1000, "timeout_ms": 1000, "always_refresh": always_refresh
        }})
    };
    let id = app.ok("create_http_dataset", form(&quiet.url, false)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let listed = app.ok("create_http_dataset", form(&always.url, true)).await;
    assert_eq!(listed["always_refresh"], json!(true));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        *quiet.hits.lock().unwrap(),
        0,
        "nobody watches it: not read"
    );
    assert!(*always.hits.lock().unwrap() >= 2, "always refreshed");

    // The first viewer starts polling at once.
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    live.frame_where(SOON, |f| f["rows"][0]["value"] == 1.0)
        .await;
    assert!(*quiet.hits.lock().unwrap() >= 1);
    // When the last viewer leaves, polling stops again.
    drop(live);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = *quiet.hits.lock().unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        *quiet.hits.lock().unwrap(),
        after,
        "not read once unwatched"
    );
}

#[tokio::test]
async fn a_hostile_push_body_is_refused_and_the_server_keeps_serving() {
    let app = spawn_app(Backend::Sqlite).await;
    let (id, secret) = pushed(&app, json!({"kind": "append", "max_rows": 10})).await;
    let raw = |body: String, content_type: &'static str| {
        app.http
            .post(format!("{}/api/v1/datasets/{id}/rows", app.base))
            .bearer_auth(&secret)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    // 100,000 levels of nesting, as the whole body, inside a row, and as an NDJSON line.
    let deep = "[".repeat(100_000);
    for (body, content_type) in [
        (deep.clone(), "application/json"),
        (format!(r#"[{{"n": {deep}"#), "application/json"),
        (format!("{{\"n\":1}}\n{deep}"), "application/x-ndjson"),
    ] {
        let res = raw(body, content_type).await.unwrap();
        assert_eq!(res.status(), 422);
        let answer: Value = res.json().await.unwrap();
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .contains("recursion limit exceeded"),
            "{answer}"
        );
    }
    // One row more than the cap, each row cheap: refused naming the cap.
    let cap = wallboard_server::push::MAX_ROWS_PER_REQUEST;
    let many = format!("[{}{{}}]", "{},".repeat(cap));
    let res = raw(many, "application/json").await.unwrap();
    assert_eq!(res.status(), 422);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(
        answer["message"],
        json!(format!("at most {cap} rows per request; split the batch"))
    );
    // A row whose text is past the row budget: refused naming the row and field.
    let long = "x".repeat(wallboard_server::push::MAX_ROW_BYTES + 1);
    let res = raw(
        format!(r#"[{{"n":1}},{{"n":"{long}"}}]"#),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(
        (answer["row"].clone(), answer["field"].clone()),
        (json!(2), json!("n"))
    );

    let (status, body) = app.get("/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    assert_eq!(push(&app, &id, &secret, json!({"n": 1})).await.0, 200);
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    live.frame_where(SOON, |f| f["seq"] == 1).await;
    assert_eq!(
        live.numbers(&id),
        vec![1],
        "nothing of the refused bodies was kept"
    );
}

/// A published dashboard `name` with one widget on a replace-pushed dataset, and a
/// view page's stream of it, past its snapshot.
struct PublishedView {
    dataset: String,
    secret: String,
    dashboard: String,
    doc: Value,
    revision: Value,
    live: SseReader,
}

impl PublishedView {
    async fn open(app: &TestApp, name: &str) -> Self {
        let (dataset, secret) = pushed(app, json!({"kind": "replace"})).await;
        let dashboard = app.create_dashboard(name).await;
        let doc = common::dashboard_doc(name, Some(&dataset));
        let (status, revision) = app.save(&dashboard, &doc, 1).await;
        assert_eq!(status, 200, "{revision}");
        app.ok(
            "publish_dashboard",
            json!({"id": dashboard, "revision": revision}),
        )
        .await;
        let path = format!("/api/v1/live?datasets={dataset}&dashboard={dashboard}");
        let mut live = SseReader::open(app, &path).await;
        assert_eq!(live.next(SOON).await.unwrap().0, "snapshot");
        Self {
            dataset,
            secret,
            dashboard,
            doc,
            revision,
            live,
        }
    }
}

/// Screens read a dataset's stale limits with their page: an edit that changes them
/// sends `layout` to the open screens of every dashboard reading it (they load their
/// page data again, in place); a rename does not.
#[tokio::test]
async fn a_stale_limit_edit_reloads_the_open_screens_of_dashboards_reading_it() {
    let app = spawn_app(Backend::Sqlite).await;
    let view = PublishedView::open(&app, "doors").await;
    let (dataset, secret, id, mut live) = (view.dataset, view.secret, view.dashboard, view.live);
    let form = |name: &str, stale: Value| {
        json!({ "id": dataset, "form": {
            "name": name, "fields": [{ "name": "n", "kind": "number" }],
            "mode": { "kind": "replace" }, "stale_after_secs": stale
        }})
    };

    // A new name leaves the screens' limits as they are: the stream goes on.
    app.ok("update_push_dataset", form("doors", Value::Null))
        .await;
    push(&app, &dataset, &secret, json!({"n": 5})).await;
    let (name, _) = live.next(SOON).await.expect("the stream goes on");
    assert_ne!(name, "layout");

    // A new "stale after": the screen is told to load its page data again.
    app.ok("update_push_dataset", form("doors", json!(30)))
        .await;
    let (name, _) = live.next(SOON).await.expect("a layout event");
    assert_eq!(name, "layout");
    let screen = app.ok("load_screen", json!({ "id": id })).await;
    let limits = screen["freshness"]
        .as_array()
        .and_then(|all| all.iter().find(|entry| entry[0] == json!(dataset)))
        .cloned();
    assert_eq!(
        limits.map(|entry| entry[1]["stale_after_ms"].clone()),
        Some(json!(30_000)),
        "{screen}"
    );
}

/// A view page's stream names its dashboard: a draft save of a published dashboard
/// leaves it alone, a publish sends `layout` and ends it; a dashboard the caller
/// cannot see, or a malformed id, opens nothing.
#[tokio::test]
async fn a_view_stream_hears_of_a_publish_and_only_of_its_own_dashboard() {
    let app = spawn_app(Backend::Sqlite).await;
    let view = PublishedView::open(&app, "wall").await;
    let (dataset, secret, id, doc, revision, mut live) = (
        view.dataset,
        view.secret,
        view.dashboard,
        view.doc,
        view.revision,
        view.live,
    );

    // A draft save: screens keep the published version, the stream goes on.
    let mut draft = doc.clone();
    draft["name"] = json!("wall, draft");
    let (status, revision) = app.save(&id, &draft, revision.as_i64().unwrap()).await;
    assert_eq!(status, 200);
    push(&app, &dataset, &secret, json!({"value": 5})).await;
    let (name, _) = live.next(SOON).await.expect("the stream goes on");
    assert_ne!(name, "layout");

    app.ok("publish_dashboard", json!({"id": id, "revision": revision}))
        .await;
    let (name, data) = live.next(SOON).await.expect("a layout event");
    assert_eq!((name.as_str(), data), ("layout", json!({"type": "layout"})));
    assert!(live.next(SOON).await.is_none(), "then the stream ends");

    let (status, _) = app
        .get(&format!("/api/v1/live?datasets={dataset}&dashboard=nope!"))
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .get(&format!(
            "/api/v1/live?datasets={dataset}&dashboard=missing"
        ))
        .await;
    assert_eq!(status, 404);
}
