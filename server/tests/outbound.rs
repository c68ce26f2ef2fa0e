//! The outbound guard against real servers: sources on loopback are refused unless
//! allowed, by address, by name (after DNS) and after a redirect; the refusal says why
//! and nothing reaches the target. The demo's own endpoint stays reachable.

mod common;

use axum::response::Redirect;
use axum::routing::get;
use common::{create_dataset, spawn_app_env, Backend, FakeSource, SseReader, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

const SOON: Duration = Duration::from_secs(5);

async fn error_of(app: &TestApp, dataset: &str) -> String {
    let mut live = SseReader::open(app, &format!("/api/v1/live?datasets={dataset}")).await;
    let frame = live.frame_where(SOON, |f| f["error"].is_string()).await;
    frame["error"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn loopback_sources_are_refused_by_address_and_by_name_unless_allowed() {
    let app = spawn_app_env(Backend::Sqlite, &[("WALLBOARD_ALLOW_TARGETS", "")]).await;
    let source = FakeSource::start(json!({"v": 1})).await;
    let by_address = create_dataset(&app, &source.url, "$.v", 1000).await;
    let why = error_of(&app, &by_address).await;
    assert!(
        why.starts_with("refused: 127.0.0.1 is a loopback address"),
        "{why}"
    );
    assert!(why.contains("WALLBOARD_ALLOW_TARGETS=loopback"), "{why}");

    let by_name = source.url.replace("127.0.0.1", "localhost");
    let by_name = create_dataset(&app, &by_name, "$.v", 1000).await;
    let why = error_of(&app, &by_name).await;
    assert!(why.starts_with("refused: localhost resolves to"), "{why}");
    assert!(why.contains("loopback address"), "{why}");
    assert_eq!(
        *source.hits.lock().unwrap(),
        0,
        "nothing reached the source"
    );
}

#[tokio::test]
async fn a_redirect_to_a_forbidden_address_is_refused() {
    // Only 127.0.0.1 is allowed; the redirect goes to 127.0.0.2, also loopback.
    let app = spawn_app_env(Backend::Sqlite, &[("WALLBOARD_ALLOW_TARGETS", "127.0.0.1")]).await;
    let target = FakeSource::start(json!({"v": 1})).await;
    let elsewhere = target.url.replace("127.0.0.1", "127.0.0.2");
    let redirector = axum::Router::new().route(
        "/moved",
        get(move || {
            let to = elsewhere.clone();
            async move { Redirect::temporary(&to) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/moved", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, redirector).await });
    let dataset = create_dataset(&app, &url, "$.v", 1000).await;
    let why = error_of(&app, &dataset).await;
    assert!(why.contains("127.0.0.2 is a loopback address"), "{why}");
    assert!(why.ends_with("(after a redirect)"), "{why}");
    assert_eq!(*target.hits.lock().unwrap(), 0);
}

#[tokio::test]
async fn the_demo_reads_its_own_endpoint_with_nothing_allowed() {
    let app = spawn_app_env(
        Backend::Sqlite,
        &[("WALLBOARD_ALLOW_TARGETS", ""), ("WALLBOARD_DEMO", "true")],
    )
    .await;
    let datasets: Value = app.ok("list_datasets", json!({})).await;
    let id = datasets[0]["id"].as_str().unwrap().to_string();
    let mut live = SseReader::open(&app, &format!("/api/v1/live?datasets={id}")).await;
    let frame = live
        .frame_where(SOON, |f| {
            f["rows"].as_array().is_some_and(|r| !r.is_empty())
        })
        .await;
    assert!(frame["error"].is_null(), "{frame}");
}
