//! The real server on a free port, over HTTP: pages, server functions, live streams,
//! health, share-link safety and bad input. The core tests run on SQLite and PostgreSQL.

#[macro_use]
mod common;

use common::{
    create_dataset, dashboard_doc, spawn_app, spawn_app_with, Backend, FakeSource, SseReader,
};
use serde_json::json;
use std::time::Duration;

const SOON: Duration = Duration::from_secs(5);

async fn health_and_readiness_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get("/healthz").await, (200, "ok".into()));
    assert_eq!(app.get("/readyz").await, (200, "ready".into()));
}

async fn a_saved_layout_comes_back_and_a_stale_save_is_a_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.create_dashboard("Sales floor").await;
    let doc = dashboard_doc("Sales floor", None);
    let rev = app
        .ok(
            "save_dashboard",
            json!({ "id": id, "dashboard": doc, "revision": 1 }),
        )
        .await;
    assert_eq!(rev, json!(2));
    let loaded = app.ok("load_editor", json!({ "id": id })).await;
    assert_eq!(
        loaded["stored"]["dashboard"]["widgets"][0]["rect"],
        json!({ "x": 100, "y": 100, "w": 400, "h": 240 })
    );
    assert_eq!(loaded["stored"]["revision"], json!(2));

    let mut moved = doc.clone();
    moved["widgets"][0]["rect"]["x"] = json!(500);
    let (status, body) = app.save(&id, &moved, 1).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "conflict");
    let loaded = app.ok("load_editor", json!({ "id": id })).await;
    assert_eq!(
        loaded["stored"]["dashboard"]["widgets"][0]["rect"]["x"],
        json!(100),
        "a stale save overwrote"
    );
}

async fn a_source_value_reaches_every_screen_live(backend: Backend) {
    let app = spawn_app(backend).await;
    let source = FakeSource::start(json!({ "data": { "sales": 41 } })).await;
    let dataset = create_dataset(&app, &source.url, "$.data.sales", 2000).await;
    let id = app.create_dashboard("Live").await;
    app.ok(
        "save_dashboard",
        json!({ "id": id, "dashboard": dashboard_doc("Live", Some(&dataset)), "revision": 1 }),
    )
    .await;
    let share = app.ok("create_share_link", json!({ "id": id })).await;
    let token = share["token"].as_str().unwrap().to_string();

    let mut editor = SseReader::open(&app, &format!("/api/v1/live?datasets={dataset}")).await;
    let mut shared = SseReader::open(&app, &format!("/api/v1/live/share/{token}")).await;
    let value = |v: f64| move |f: &serde_json::Value| f["rows"][0]["value"].as_f64() == Some(v);
    editor.frame_where(SOON, value(41.0)).await;
    shared.frame_where(SOON, value(41.0)).await;

    source.set(json!({ "data": { "sales": 42 } }));
    editor.frame_where(SOON, value(42.0)).await;
    shared.frame_where(SOON, value(42.0)).await;

    // The first HTML of every screen already holds the current value.
    for path in [
        format!("/view/{id}"),
        format!("/kiosk/{id}"),
        format!("/s/{token}"),
        format!("/s/{token}/kiosk"),
        format!("/edit/{id}"),
    ] {
        let (status, html) = app.get(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            html.contains(">42</div>"),
            "{path} does not show 42 in its first HTML"
        );
    }
}

async fn a_share_token_opens_the_dashboard_but_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let source = FakeSource::start(json!({ "v": 7 })).await;
    let dataset = create_dataset(&app, &source.url, "$.v", 2000).await;
    let id = app.create_dashboard("Secret source").await;
    app.ok("save_dashboard", json!({ "id": id, "dashboard": dashboard_doc("Secret source", Some(&dataset)), "revision": 1 })).await;
    let made = app.ok("create_share_link", json!({ "id": id })).await;
    let token = made["token"].as_str().unwrap().to_string();
    let link = made["link"]["id"].clone();
    assert!(token.len() >= 22, "a token carries at least 128 bits");

    let shared = app.ok("load_shared", json!({ "token": token })).await;
    let text = shared.to_string();
    assert!(
        !text.contains(&id),
        "the share payload reveals the dashboard id"
    );
    assert!(
        !text.contains(&source.url) && !text.contains("127.0.0.1"),
        "the share payload reveals the source"
    );
    let (_, html) = app.get(&format!("/s/{token}")).await;
    assert!(
        !html.contains(&id),
        "the share page reveals the dashboard id"
    );
    assert!(
        !html.contains(&source.url),
        "the share page reveals the source URL"
    );

    // The token is not a dashboard id: nothing that changes state accepts it.
    let doc = dashboard_doc("Defaced", None);
    for (name, body) in [
        (
            "save_dashboard",
            json!({ "id": token, "dashboard": doc, "revision": 1 }),
        ),
        ("delete_dashboard", json!({ "id": token })),
        ("revoke_share_link", json!({ "id": token, "link": token })),
        ("create_share_link", json!({ "id": token })),
    ] {
        let (status, body) = app.call(name, body).await;
        assert!(
            status == 404 || status == 422,
            "{name} with a share token answered {status}: {body}"
        );
    }
    // The live stream is read-only by construction (GET); a POST to it is refused.
    let res = app
        .http
        .post(format!("{}/api/v1/live/share/{token}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    let loaded = app.ok("load_editor", json!({ "id": id })).await;
    assert_eq!(loaded["stored"]["dashboard"]["name"], "Secret source");
    assert_eq!(loaded["stored"]["revision"], json!(2));

    // Revoked: the page and the stream are gone at once.
    app.ok("revoke_share_link", json!({ "id": id, "link": link }))
        .await;
    assert_eq!(app.get(&format!("/s/{token}")).await.0, 404);
    assert_eq!(app.get(&format!("/api/v1/live/share/{token}")).await.0, 404);
}

on_both_backends!(
    health_and_readiness_answer,
    a_saved_layout_comes_back_and_a_stale_save_is_a_conflict,
    a_source_value_reaches_every_screen_live,
    a_share_token_opens_the_dashboard_but_changes_nothing,
);

#[tokio::test(flavor = "multi_thread")]
async fn unknown_dashboards_and_tokens_are_404s_with_a_message() {
    let app = spawn_app(Backend::Sqlite).await;
    for path in [
        "/view/nope",
        "/kiosk/nope",
        "/edit/nope",
        "/s/nope",
        "/s/bad%20token/kiosk",
        "/no/such/page",
    ] {
        let (status, html) = app.get(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("not found"), "{path} has no message");
    }
    let (status, body) = app.call("load_screen", json!({ "id": "nope" })).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    assert_eq!(app.get("/api/v1/live/share/nope").await.0, 404);
    let (status, body) = app.get("/api/v1/live?datasets=a%20b").await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_dashboard_is_refused_naming_the_field() {
    let app = spawn_app(Backend::Sqlite).await;
    let id = app.create_dashboard("x").await;
    let mut doc = dashboard_doc("x", None);
    doc["widgets"][0]["rect"]["w"] = json!(5000);
    let (status, body) = app.save(&id, &doc, 1).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "widgets[0].rect.w");

    let mut doc = dashboard_doc("x", None);
    doc["resolution"]["height"] = json!("tall");
    let (status, body) = app.save(&id, &doc, 1).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("invalid type"),
        "{body}"
    );

    let (status, body) = app.call("create_dashboard", json!({ "name": "  " })).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("name")));
    // Nothing was half-written.
    assert_eq!(
        app.ok("load_editor", json!({ "id": id })).await["stored"]["revision"],
        json!(1)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_source_form_is_refused_naming_the_field() {
    let app = spawn_app(Backend::Sqlite).await;
    let form = |url: &str, path: &str, refresh: u64| {
        json!({ "form": {
        "name": "x", "url": url, "path": path, "field": "value", "kind": "number", "refresh_ms": refresh, "timeout_ms": 1000 }})
    };
    for (body, field) in [
        (form("ftp://x", "$.v", 1000), "url"),
        (form("http://x", "$.[", 1000), "path"),
        (form("http://x", "$.v", 10), "refresh_ms"),
    ] {
        let (status, answer) = app.call("create_http_dataset", body).await;
        assert_eq!(
            (status, answer["field"].as_str()),
            (422, Some(field)),
            "{answer}"
        );
    }
    assert_eq!(app.ok("list_datasets", json!({})).await, json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_source_keeps_the_last_good_value_and_says_why() {
    let app = spawn_app(Backend::Sqlite).await;
    let source = FakeSource::start(json!({ "v": 10 })).await;
    let dataset = create_dataset(&app, &source.url, "$.v", 300).await;
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={dataset}")).await;
    let good = |f: &serde_json::Value| f["rows"][0]["value"].as_f64() == Some(10.0);
    live.frame_where(SOON, good).await;

    let failing = |needle: &'static str| {
        move |f: &serde_json::Value| f["error"].as_str().is_some_and(|e| e.contains(needle))
    };
    source.set(json!({ "v": "n/a" }));
    let f = live.frame_where(SOON, failing("expected a number")).await;
    assert_eq!(
        f["rows"][0]["value"],
        json!(10),
        "the last good value was lost"
    );

    source.set(json!({ "other": 1 }));
    let f = live.frame_where(SOON, failing("matches nothing")).await;
    assert_eq!(f["rows"][0]["value"], json!(10));

    source.set(json!({ "v": 11 }));
    source.set_delay(Duration::from_millis(1500));
    let f = live
        .frame_where(SOON, failing("did not answer within 300 ms"))
        .await;
    assert_eq!(f["rows"][0]["value"], json!(10));

    source.set_delay(Duration::ZERO);
    let f = live
        .frame_where(SOON, |f| f["rows"][0]["value"].as_f64() == Some(11.0))
        .await;
    assert!(
        f.get("error").is_none(),
        "recovered frames carry no error: {f}"
    );
    // Everyone else is still served.
    assert_eq!(app.get("/healthz").await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_source_is_reported() {
    let app = spawn_app(Backend::Sqlite).await;
    let dataset = create_dataset(&app, "http://127.0.0.1:9/nothing", "$.v", 1000).await;
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={dataset}")).await;
    let f = live
        .frame_where(SOON, |f| {
            f["error"]
                .as_str()
                .is_some_and(|e| e.contains("cannot be reached"))
        })
        .await;
    assert_eq!(f["rows"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_ends_open_streams_and_the_server_stops() {
    let app = spawn_app(Backend::Sqlite).await;
    let source = FakeSource::start(json!({ "v": 1 })).await;
    let dataset = create_dataset(&app, &source.url, "$.v", 1000).await;
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={dataset}")).await;
    live.next(SOON).await.expect("a snapshot");
    app.shutdown.shutdown();
    // The stream ends (rather than hanging until the grace period runs out).
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        while live.next(Duration::from_secs(2)).await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream did not end on shutdown");
    let stopped = tokio::time::timeout(Duration::from_secs(5), app.task).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "the server did not stop cleanly: {stopped:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_is_seeded_once_and_moves() {
    let app = spawn_app_with(Backend::Sqlite, true).await;
    let list = app.ok("list_dashboards", json!({})).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "Operations (demo)");
    let id = list[0]["id"].as_str().unwrap();
    let screen = app.ok("load_screen", json!({ "id": id })).await;
    let url = screen["stream_url"].as_str().unwrap().to_string();
    let mut live = SseReader::open(&app, &url).await;
    let first = live
        .frame_where(SOON, |f| !f["rows"].as_array().unwrap().is_empty())
        .await;
    let dataset = first["dataset"].clone();
    let later = live
        .frame_where(Duration::from_secs(10), |f| {
            f["dataset"] == dataset && f["rows"] != first["rows"]
        })
        .await;
    assert_ne!(later["rows"], first["rows"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn static_assets_are_served_compressed_with_cache_headers() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let css = "body { color: red; }\n".repeat(200);
    std::fs::write(pkg.join("wallboard.css"), &css).unwrap();
    let db = common::TestDb::new(Backend::Sqlite).await;
    let (url, root) = (db.url.clone(), dir.path().display().to_string());
    let config = wallboard_server::config::Config::from_lookup(|k| match k {
        "WALLBOARD_ADDR" => Some("127.0.0.1:0".into()),
        "DATABASE_URL" => Some(url.clone()),
        "WALLBOARD_DEMO" => Some("false".into()),
        "WALLBOARD_SITE_ROOT" => Some(root.clone()),
        _ => None,
    })
    .unwrap();
    let app = wallboard_server::startup::Application::build(config)
        .await
        .unwrap();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    let res = reqwest::Client::builder()
        .no_gzip()
        .build()
        .unwrap()
        .get(format!("{base}/pkg/wallboard.css"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert!(res.bytes().await.unwrap().len() < css.len() / 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_site_and_oversized_requests_are_refused() {
    let app = spawn_app(Backend::Sqlite).await;
    let url = format!("{}/api/fn/create_dashboard", app.base);
    // A form post from another site (a "simple" request, no preflight) is refused.
    let res = app
        .http
        .post(&url)
        .header("content-type", "text/plain")
        .body(r#"{"name":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 415);
    let res = app
        .http
        .post(&url)
        .header("origin", "https://evil.example")
        .json(&json!({ "name": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let res = app
        .http
        .post(&url)
        .header("origin", &app.base)
        .json(&json!({ "name": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let huge = "x".repeat(2 << 20);
    let res = app
        .http
        .post(&url)
        .json(&json!({ "name": huge }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    // On a fresh connection: the server may close the refused one before the client has
    // written all of its body, and a pooled connection would then fail to send.
    let fresh = common::signed_client(&app.cookie);
    let (status, list) = common::call_at(&fresh, &app.base, "list_dashboards", json!({})).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_of_an_unknown_dataset_is_refused() {
    let app = spawn_app(Backend::Sqlite).await;
    let (status, body) = app.get("/api/v1/live?datasets=nosuchdataset").await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("dataset nosuchdataset"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn revoking_a_share_link_ends_its_open_streams() {
    let app = spawn_app(Backend::Sqlite).await;
    let source = FakeSource::start(json!({ "v": 1 })).await;
    let dataset = create_dataset(&app, &source.url, "$.v", 1000).await;
    let id = app.create_dashboard("x").await;
    app.ok(
        "save_dashboard",
        json!({ "id": id, "dashboard": dashboard_doc("x", Some(&dataset)), "revision": 1 }),
    )
    .await;
    let made = app.ok("create_share_link", json!({ "id": id })).await;
    let token = made["token"].as_str().unwrap().to_string();
    let link = made["link"]["id"].clone();
    let mut live = SseReader::open(&app, &format!("/api/v1/live/share/{token}")).await;
    live.next(SOON).await.expect("a snapshot");
    app.ok("revoke_share_link", json!({ "id": id, "link": link }))
        .await;
    // At once: the revocation is announced to the streams, not found by polling.
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        while live.next(Duration::from_secs(2)).await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the share stream outlived its link by 2 s");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_viewers_polls_and_deliveries() {
    let app = spawn_app(Backend::Sqlite).await;
    let source = FakeSource::start(json!({ "v": 1 })).await;
    let dataset = create_dataset(&app, &source.url, "$.v", 1000).await;
    let metric = common::metric;
    let before = app.metrics().await;
    assert_eq!(metric(&before, "wallboard_viewers "), 0.0);
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={dataset}")).await;
    live.frame_where(SOON, |f| f["rows"][0]["value"].as_f64() == Some(1.0))
        .await;
    let text = app.metrics().await;
    assert_eq!(metric(&text, "wallboard_viewers "), 1.0);
    assert!(metric(&text, "wallboard_polls_total ") >= 1.0);
    assert!(metric(&text, "wallboard_updates_published_total ") >= 1.0);
    assert!(metric(&text, "wallboard_updates_delivered_total ") >= 1.0);
    assert!(text.contains("wallboard_poll_duration_seconds_bucket"));
    drop(live);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = app.metrics().await;
    assert_eq!(
        metric(&after, "wallboard_viewers "),
        0.0,
        "a closed stream is still counted"
    );
}

#[tokio::test]
async fn a_dataset_pipeline_shapes_the_polled_rows() {
    let app = spawn_app(Backend::Sqlite).await;
    let source = FakeSource::start(json!({ "items": [
        { "units": 3 }, { "units": 5 }, { "units": "n/a" }, { "units": 1 }
    ]}))
    .await;
    let summary = app
        .ok(
            "create_http_dataset",
            json!({ "form": {
                "name": "orders", "url": source.url, "path": "$.items", "field": "units",
                "kind": "number", "refresh_ms": 1000, "timeout_ms": 1000,
                "pipeline": { "steps": [
                    { "op": "filter", "field": "units", "cmp": "ge", "value": 2 },
                    { "op": "reduce", "aggregates": [
                        { "field": "units", "agg": "sum", "as": "value" },
                        { "field": "units", "agg": "count", "as": "orders" }
                    ]}
                ]}
            }}),
        )
        .await;
    let id = summary["id"].as_str().unwrap();
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    let frame = live.frame_where(SOON, |f| f["error"].is_string()).await;
    // "n/a" does not pass extraction as a number: the whole read fails, naming it.
    assert!(
        frame["error"].as_str().unwrap_or("").contains("row 3"),
        "{frame}"
    );
    source.set(json!({ "items": [{ "units": 3 }, { "units": 5 }, { "units": 1 }] }));
    let frame = live
        .frame_where(SOON, |f| {
            f["error"].is_null() && f["rows"][0]["value"] == 8.0
        })
        .await;
    assert_eq!(frame["rows"], json!([{ "value": 8.0, "orders": 2 }]));

    // A step that cannot be read is refused when the dataset is made.
    let (status, body) = app
        .call(
            "create_http_dataset",
            json!({ "form": {
                "name": "bad", "url": source.url, "path": "$.items", "field": "units",
                "kind": "number", "refresh_ms": 1000, "timeout_ms": 1000,
                "pipeline": { "steps": [{ "op": "explode" }] }
            }}),
        )
        .await;
    assert_ne!(status, 200, "{body}");
}

/// Export from one instance, import into another: the dataset reference is matched by
/// name there, the layout arrives whole, and no source configuration travels. A bad
/// document is refused naming the field, and makes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn an_export_imports_into_another_instance_by_dataset_name() {
    let source = FakeSource::start(json!({"v": 7})).await;
    let here = spawn_app(Backend::Sqlite).await;
    let dataset = create_dataset(&here, &source.url, "$.v", 1000).await;
    let id = here.create_dashboard("Floor").await;
    let (status, _) = here
        .save(&id, &dashboard_doc("Floor", Some(&dataset)), 1)
        .await;
    assert_eq!(status, 200);
    let exported = here.ok("export_dashboard", json!({"id": id})).await;
    let text = exported.as_str().unwrap().to_string();
    assert!(
        !text.contains(&source.url),
        "an export carries no source settings"
    );
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["kind"], "wallboard.dashboard");
    assert_eq!(doc["datasets"][0]["name"], "test");

    let there = spawn_app(Backend::Sqlite).await;
    let theirs = create_dataset(&there, &source.url, "$.v", 1000).await;
    let choices = json!([{"from": dataset, "to": theirs}]);
    let made = there
        .ok(
            "import_dashboard",
            json!({"document": text, "choices": choices}),
        )
        .await;
    assert_eq!(made["unbound"], 0);
    let screen = there.ok("load_screen", json!({"id": made["id"]})).await;
    assert_eq!(screen["dashboard"]["name"], "Floor");
    assert_eq!(screen["dashboard"]["widgets"][0]["rect"]["w"], 400);
    assert_eq!(
        screen["dashboard"]["widgets"][0]["binding"]["dataset"],
        json!(theirs)
    );

    // Without a choice the widget comes unbound; a choice of another workspace's (or an
    // unknown) dataset is refused.
    let made = there
        .ok("import_dashboard", json!({"document": text}))
        .await;
    assert_eq!(made["unbound"], 1);
    let (status, body) = there
        .call(
            "import_dashboard",
            json!({"document": text, "choices": [{"from": dataset, "to": "nope"}]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    let mut bad = doc.clone();
    bad["widgets"][0]["rect"]["w"] = json!("wide");
    let before = there.ok("list_dashboards", json!({})).await;
    let (status, body) = there
        .call("import_dashboard", json!({"document": bad.to_string()}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "widgets[0].rect.w", "{body}");
    let (status, body) = there
        .call(
            "import_dashboard",
            json!({"document": "x".repeat(800 * 1024)}),
        )
        .await;
    assert!(status == 422 || status == 413, "{status} {body}");
    assert_eq!(there.ok("list_dashboards", json!({})).await, before);
    assert_eq!(there.get("/healthz").await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_is_a_new_unpublished_copy() {
    let app = spawn_app(Backend::Sqlite).await;
    let id = app.create_dashboard("Floor").await;
    let (status, revision) = app.save(&id, &dashboard_doc("Floor", None), 1).await;
    assert_eq!(status, 200);
    app.ok("publish_dashboard", json!({"id": id, "revision": revision}))
        .await;
    let copy = app.ok("duplicate_dashboard", json!({"id": id})).await;
    assert_ne!(copy, json!(id));
    let data = app.ok("load_editor", json!({"id": copy})).await;
    assert_eq!(data["stored"]["dashboard"]["name"], "Floor (copy)");
    assert_eq!(
        data["stored"]["dashboard"]["widgets"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(data["published"].is_null());
    assert_eq!(
        app.ok("list_versions", json!({"id": copy})).await,
        json!([])
    );
}

/// Each template, on a first run with the demo, makes a dashboard whose every widget
/// reads the demo's data, and whose datasets all deliver rows.
#[tokio::test(flavor = "multi_thread")]
async fn every_template_makes_a_live_dashboard_from_the_demo() {
    let app = spawn_app_with(Backend::Sqlite, true).await;
    for slug in ["sales-wall", "service-health", "support-queue"] {
        let made = app.ok("create_from_template", json!({"slug": slug})).await;
        assert_eq!(made["unbound"], 0, "{slug}");
        let screen = app.ok("load_screen", json!({"id": made["id"]})).await;
        let widgets = screen["dashboard"]["widgets"].as_array().unwrap();
        let bound: Vec<&str> = widgets
            .iter()
            .filter_map(|w| w["binding"]["dataset"].as_str())
            .collect();
        assert!(bound.len() >= 4, "{slug}: {bound:?}");
        let url = screen["stream_url"].as_str().unwrap().to_string();
        let mut live = SseReader::open(&app, &url).await;
        let mut wanted: std::collections::HashSet<String> =
            bound.iter().map(|d| d.to_string()).collect();
        while !wanted.is_empty() {
            let frame = live
                .frame_where(Duration::from_secs(15), |f| {
                    f["dataset"].as_str().is_some_and(|d| wanted.contains(d))
                        && f["rows"].as_array().is_some_and(|r| !r.is_empty())
                        && f["error"].is_null()
                })
                .await;
            wanted.remove(frame["dataset"].as_str().unwrap());
        }
    }
    let (status, _) = app
        .call("create_from_template", json!({"slug": "nope"}))
        .await;
    assert_eq!(status, 404);
}
