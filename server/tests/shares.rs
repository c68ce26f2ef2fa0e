//! Share links grown up, against a real server: tokens stored hashed and shown once,
//! an expiry that ends the page and its open streams, a password asked on the page
//! and required by its data and stream (rate-limited), view counts, and revocation
//! that ends open streams at once.

#[macro_use]
mod common;

use common::{dashboard_doc, plain_client, spawn_app, Backend, FakeSource, SseReader, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

/// A dashboard bound to a live dataset; returns its id.
async fn live_dashboard(app: &TestApp) -> String {
    let source = FakeSource::start(json!({ "v": 5 })).await;
    let (status, summary) = app
        .call(
            "create_dataset",
            json!({"form": {"name": "v", "source": {"type": "http", "url": source.url, "timeout_ms": 5000},
                            "path": "$.v", "refresh_ms": 1000, "pipeline": {"steps": []}}}),
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    let dataset = summary["id"].as_str().unwrap().to_string();
    let id = app.create_dashboard("Shared").await;
    let (status, saved) = app
        .save(&id, &dashboard_doc("Shared", Some(&dataset)), 1)
        .await;
    assert_eq!(status, 200, "{saved}");
    // Keep the source alive for the test's length.
    std::mem::forget(source);
    id
}

async fn share(app: &TestApp, id: &str, options: Value) -> (String, Value) {
    let made = app
        .ok("create_share_link", json!({"id": id, "options": options}))
        .await;
    (
        made["token"].as_str().unwrap().to_string(),
        made["link"].clone(),
    )
}

async fn status_of(client: &reqwest::Client, url: String) -> u16 {
    client.get(url).send().await.unwrap().status().as_u16()
}

async fn a_token_is_shown_once_and_stored_hashed(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = live_dashboard(&app).await;
    let (token, link) = share(&app, &id, json!({})).await;
    assert_eq!(token.len(), 43);
    let listed = app.ok("list_share_links", json!({"id": id})).await;
    assert!(
        !listed.to_string().contains(&token),
        "lists never show the token"
    );
    assert_eq!(listed[0]["id"], link["id"]);
    let storage = app.db.storage().await;
    assert!(
        storage.shared_revision(&token).await.unwrap().is_none(),
        "not stored in the clear"
    );
    let hash = wallboard_server::auth::hash_secret(&token);
    assert!(storage.shared_revision(&hash).await.unwrap().is_some());
    // Opening the page counts a view.
    let anonymous = plain_client();
    assert_eq!(
        status_of(&anonymous, format!("{}/s/{token}", app.base)).await,
        200
    );
    let listed = app.ok("list_share_links", json!({"id": id})).await;
    assert!(listed[0]["views"].as_i64().unwrap() >= 1, "{listed}");
    assert!(listed[0]["last_view_ms"].as_i64().is_some());
}

async fn a_password_guards_the_page_its_data_and_its_stream(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = live_dashboard(&app).await;
    let (status, answer) = app
        .call(
            "create_share_link",
            json!({"id": id, "options": {"password": "short"}}),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["field"], "password");
    let (token, link) = share(&app, &id, json!({"password": "open sesame 42"})).await;
    assert_eq!(link["has_password"], true);
    let anonymous = plain_client();
    let page = anonymous
        .get(format!("{}/s/{token}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 401);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("asks for a password") && !html.contains("Shared"),
        "{html}"
    );
    let data = common::call_at(
        &anonymous,
        &app.base,
        "load_shared",
        json!({"token": token}),
    )
    .await;
    assert_eq!(data.0, 401, "{}", data.1);
    assert_eq!(
        status_of(
            &anonymous,
            format!("{}/api/v1/live/share/{token}", app.base)
        )
        .await,
        401
    );
    assert_eq!(
        status_of(&anonymous, format!("{}/s/{token}/kiosk", app.base)).await,
        401
    );

    let try_password = |password: &'static str| {
        let url = format!("{}/s/{token}", app.base);
        async move {
            plain_client()
                .post(url)
                .form(&[("password", password)])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(try_password("wrong one").await.status(), 401);
    let right = try_password("open sesame 42").await;
    assert_eq!(right.status(), 303);
    let pass = right.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        pass.contains("HttpOnly") && pass.contains("SameSite=Lax"),
        "{pass}"
    );
    let pass = pass.split(';').next().unwrap().to_string();
    let with_pass = common::signed_client(&pass);
    assert_eq!(
        status_of(&with_pass, format!("{}/s/{token}", app.base)).await,
        200
    );
    let data = common::call_at(
        &with_pass,
        &app.base,
        "load_shared",
        json!({"token": token}),
    )
    .await;
    assert_eq!(data.0, 200, "{}", data.1);
    let mut live = SseReader::open_with(
        &common::signed_stream_client(&pass),
        &app.base,
        &format!("/api/v1/live/share/{token}"),
    )
    .await;
    live.next(Duration::from_secs(5)).await.expect("a snapshot");
    // A forged pass is no pass.
    let forged = common::signed_client(&format!("{}=00ff", pass.split('=').next().unwrap()));
    assert_eq!(
        status_of(&forged, format!("{}/s/{token}", app.base)).await,
        401
    );

    // Guessing is rate-limited per link and client.
    let mut last = 0;
    for _ in 0..wallboard_server::auth::shares::ATTEMPTS + 1 {
        last = try_password("a wrong guess").await.status().as_u16();
    }
    assert_eq!(last, 429);
}

async fn an_expired_link_stops_working_and_ends_its_streams(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = live_dashboard(&app).await;
    let storage = app.db.storage().await;
    let dashboard = app::model::DashboardId::parse(id.clone()).unwrap();
    // Made to expire 1.5 s from now (the form counts in hours).
    let token = "expiring_token_abcdefghijklmnopqrstuvwxyz01";
    storage
        .insert_share_link(
            &dashboard,
            &wallboard_server::auth::hash_secret(token),
            Some(wallboard_server::now_ms() + 1500),
            None,
        )
        .await
        .unwrap();
    let anonymous = plain_client();
    assert_eq!(
        status_of(&anonymous, format!("{}/s/{token}", app.base)).await,
        200
    );
    let mut live = SseReader::open_at(&app.base, &format!("/api/v1/live/share/{token}")).await;
    live.next(Duration::from_secs(5)).await.expect("a snapshot");
    let ended = tokio::time::timeout(Duration::from_secs(4), async {
        while live.next(Duration::from_secs(4)).await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its link's expiry");
    assert_eq!(
        status_of(&anonymous, format!("{}/s/{token}", app.base)).await,
        404
    );
    assert_eq!(
        status_of(
            &anonymous,
            format!("{}/api/v1/live/share/{token}", app.base)
        )
        .await,
        404
    );
    // The form's expiry is bounded.
    let (status, answer) = app
        .call(
            "create_share_link",
            json!({"id": id, "options": {"expires_in_hours": 0}}),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    let (_, link) = share(&app, &id, json!({"expires_in_hours": 24})).await;
    let in_a_day = link["expires_at_ms"].as_i64().unwrap() - wallboard_server::now_ms();
    assert!(
        (23 * 3_600_000..=24 * 3_600_000).contains(&in_a_day),
        "{in_a_day}"
    );
}

#[tokio::test]
async fn tokens_made_before_hashing_keep_working_after_it() {
    let db = common::TestDb::new(Backend::Sqlite).await;
    let storage = db.storage().await;
    let id = app::model::DashboardId::parse("legacy").unwrap();
    let ws = app::model::WorkspaceId::parse("main").unwrap();
    storage
        .insert_dashboard(&ws, &id, &app::model::Dashboard::new("Old").unwrap())
        .await
        .unwrap();
    // A link as the version before hashing stored it: the token in the clear.
    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    sqlx::query("INSERT INTO share_links (token, dashboard_id, created_at) VALUES ($1, $2, 1)")
        .bind("legacy_token_abcdefghijklmnopqrstuvwxyz0123")
        .bind("legacy")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(storage.hash_legacy_share_tokens().await.unwrap(), 1);
    assert_eq!(storage.hash_legacy_share_tokens().await.unwrap(), 0, "once");
    let hash = wallboard_server::auth::hash_secret("legacy_token_abcdefghijklmnopqrstuvwxyz0123");
    let shared = storage.shared_revision(&hash).await.unwrap().unwrap();
    assert_eq!(shared.dashboard, id);
    let listed = storage.list_share_links(&id).await.unwrap();
    assert_eq!(listed.len(), 1, "it has an id to be listed and revoked by");
}

#[tokio::test]
async fn hostile_password_invite_and_reset_posts_are_refused_and_the_server_answers() {
    let app = spawn_app(Backend::Sqlite).await;
    let id = live_dashboard(&app).await;
    let (token, _) = share(&app, &id, json!({"password": "open sesame 42"})).await;
    let client = plain_client();
    let post = |path: String, body: Vec<u8>| {
        let client = client.clone();
        async move {
            client
                .post(path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let share_page = format!("{}/s/{token}", app.base);
    // Past the body limit, malformed, and a password far past its bound.
    assert_eq!(post(share_page.clone(), vec![b'a'; 2 << 20]).await, 413);
    assert_eq!(post(share_page.clone(), b"%ZZ&&==\xff".to_vec()).await, 401);
    let long = format!("password={}", "p".repeat(100_000));
    assert_eq!(post(share_page.clone(), long.into_bytes()).await, 401);
    // Tokens that are not tokens, for every one-time link.
    let huge = "t".repeat(10_000);
    for path in [
        format!("/invite/{huge}"),
        format!("/reset/{huge}"),
        format!("/s/{huge}"),
    ] {
        let status = post(format!("{}{path}", app.base), b"password=x".to_vec()).await;
        assert!(
            status == 404 || status == 414 || status == 431,
            "{path}: {status}"
        );
    }
    let deep = format!("/invite/{}", "a/".repeat(5_000));
    assert!(post(format!("{}{deep}", app.base), Vec::new()).await >= 400);
    let health = client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "the server still answers");
    // Nothing was unlocked, nobody joined.
    assert_eq!(status_of(&client, share_page).await, 401);
    let storage = app.db.storage().await;
    assert_eq!(storage.count_users().await.unwrap(), 1);
}

on_both_backends!(
    a_token_is_shown_once_and_stored_hashed,
    a_password_guards_the_page_its_data_and_its_stream,
    an_expired_link_stops_working_and_ends_its_streams,
);
