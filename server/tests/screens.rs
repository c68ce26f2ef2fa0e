//! Screens on the wall, through a real server: a TV pairs by the code it shows, keeps a
//! device token, follows what it is given (a dashboard, a playlist) on its stream,
//! reloads and unpairs on command; forged and revoked tokens open nothing; bad
//! playlists and codes are refused naming the field; the pairing table has a bound.

mod common;

use common::{
    call_at, create_pushed_dataset, plain_client, push_at, signed_client, signed_stream_client,
    spawn_app, Backend, SseReader, TestApp,
};
use serde_json::{json, Value};
use std::time::Duration;

const SOON: Duration = Duration::from_secs(10);

/// A TV: a browser with no session, keeping the device cookie the server sets.
struct Tv {
    cookie: Option<String>,
}

impl Tv {
    fn new() -> Self {
        Self { cookie: None }
    }

    fn client(&self) -> reqwest::Client {
        match &self.cookie {
            Some(c) => signed_client(c),
            None => plain_client(),
        }
    }

    /// Calls `load_tv` as the TV page does; keeps a device cookie the answer sets.
    async fn load(&mut self, base: &str) -> (u16, Value, Option<String>) {
        let res = self
            .client()
            .post(format!("{base}/api/fn/load_tv"))
            .json(&json!({}))
            .send()
            .await
            .expect("the server answers");
        let set = res
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("wb_device="))
            .map(|v| v.to_string());
        if let Some(set) = &set {
            assert!(set.contains("HttpOnly"), "{set}");
            self.cookie = Some(set.split(';').next().unwrap().to_string());
        }
        let status = res.status().as_u16();
        let body: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null);
        (status, body, set)
    }

    async fn code(&mut self, base: &str) -> String {
        let (status, body, _) = self.load(base).await;
        assert_eq!(status, 200, "{body}");
        body["Pairing"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("a pairing code: {body}"))
            .to_string()
    }

    async fn stream(&self, base: &str) -> reqwest::Response {
        let cookie = self.cookie.as_deref().unwrap_or("x=1");
        signed_stream_client(cookie)
            .get(format!("{base}/api/v1/live/screen?w=1920&h=1080&v=9.9.9"))
            .send()
            .await
            .expect("the server answers")
    }

    async fn open(&self, base: &str) -> SseReader {
        let cookie = self.cookie.as_deref().expect("a paired TV");
        SseReader::open_with(
            &signed_stream_client(cookie),
            base,
            "/api/v1/live/screen?w=1920&h=1080&v=9.9.9",
        )
        .await
    }
}

/// A dashboard named `name` with one KPI on `dataset`'s field `n`.
async fn dashboard_on(app: &TestApp, name: &str, dataset: &str) -> String {
    let id = app.create_dashboard(name).await;
    let doc = json!({
        "schema_version": 2, "name": name, "resolution": {"width": 1920, "height": 1080},
        "widgets": [{"id": "w1", "rect": {"x": 100, "y": 100, "w": 400, "h": 240}, "kind": "kpi",
                     "props": {}, "look": {"title": name},
                     "binding": {"dataset": dataset, "slots": {"value": ["n"]}, "row": {"pick": "last"}}}]
    });
    let (status, body) = app.save(&id, &doc, 1).await;
    assert_eq!(status, 200, "{body}");
    id
}

/// Reads `stream` until it ends; the name of its last event.
async fn last_event(stream: &mut SseReader) -> Option<String> {
    tokio::time::timeout(Duration::from_secs(3), async {
        let mut last = None;
        while let Some((name, _)) = stream.next(Duration::from_secs(3)).await {
            last = Some(name);
        }
        last
    })
    .await
    .expect("the stream ends within 3 s")
}

async fn pairs_follows_and_unpairs(backend: Backend) {
    let app = spawn_app(backend).await;
    let base = app.base.clone();
    let (dataset, secret) =
        create_pushed_dataset(&app.http, &base, json!({"kind": "replace"})).await;
    let lobby = dashboard_on(&app, "Lobby", &dataset).await;
    let sales = dashboard_on(&app, "Sales", &dataset).await;

    // The TV gets a code and a device cookie; asking again gives the same code.
    let mut tv = Tv::new();
    let code = tv.code(&base).await;
    assert_eq!(code.len(), 6);
    let (_, again, set) = tv.load(&base).await;
    assert_eq!(again["Pairing"]["code"], code.as_str());
    assert!(set.is_none(), "a known device keeps its token");

    // A wrong code is refused, naming the field; the right one, typed loosely, pairs.
    let wrong = if code == "AAAAAA" { "BBBBBB" } else { "AAAAAA" };
    let settings =
        json!({"name": "Lobby TV", "shows": {"kind": "dashboard", "id": lobby}, "fit": "fill"});
    let (status, body) = app
        .call("pair_screen", json!({"code": wrong, "settings": settings}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "code", "{body}");
    let typed = format!("{} {}", code[..3].to_lowercase(), &code[3..]);
    let paired = app
        .ok("pair_screen", json!({"code": typed, "settings": settings}))
        .await;
    let screen = paired["id"].as_str().unwrap().to_string();
    assert_eq!(paired["name"], "Lobby TV");

    // The TV now shows the dashboard with its values, fit as chosen.
    push_at(&app.http, &base, &dataset, &secret, &json!([{"n": 41}])).await;
    let (status, shown, _) = tv.load(&base).await;
    assert_eq!(status, 200, "{shown}");
    let show = &shown["Showing"];
    assert_eq!(show["fit"], "fill");
    assert_eq!(show["slides"].as_array().unwrap().len(), 1);
    assert_eq!(show["slides"][0]["dashboard"]["name"], "Lobby");

    // Its stream carries the data and reports the panel; the list says it is online.
    let mut stream = tv.open(&base).await;
    stream.next(SOON).await.expect("a snapshot");
    let listed = app.ok("list_screens", json!({})).await;
    let row = &listed.as_array().unwrap()[0];
    assert_eq!(row["online"], true, "{row}");
    assert_eq!(row["resolution"], "1920\u{d7}1080");
    assert_eq!(row["app_version"], "9.9.9");
    push_at(&app.http, &base, &dataset, &secret, &json!([{"n": 42}])).await;
    stream.frame_where(SOON, |f| f["rows"][0]["n"] == 42).await;

    // A playlist of two dashboards, assigned: the open stream says to load it.
    let slides = json!([
        {"dashboard": lobby, "seconds": 5, "transition": "fade"},
        {"dashboard": sales, "seconds": 10, "transition": "cut"}
    ]);
    let playlist = app
        .ok(
            "save_playlist",
            json!({"playlist": {"name": "Rotation", "slides": slides}}),
        )
        .await;
    let playlist = playlist.as_str().unwrap().to_string();
    app.ok(
        "update_screen",
        json!({"id": screen, "settings": {"name": "Lobby TV", "shows": {"kind": "playlist", "id": playlist}}}),
    )
    .await;
    assert_eq!(last_event(&mut stream).await.as_deref(), Some("layout"));
    let (_, shown, _) = tv.load(&base).await;
    let names: Vec<&str> = shown["Showing"]["slides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["dashboard"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Lobby", "Sales"]);

    // Editing the playlist reaches the screen too; so does a reload command.
    let mut stream = tv.open(&base).await;
    stream.next(SOON).await.expect("a snapshot");
    app.ok(
        "save_playlist",
        json!({"id": playlist, "playlist": {"name": "Rotation", "slides": [{"dashboard": sales, "seconds": 30}]}}),
    )
    .await;
    assert_eq!(last_event(&mut stream).await.as_deref(), Some("layout"));
    let mut stream = tv.open(&base).await;
    stream.next(SOON).await.expect("a snapshot");
    app.ok("reload_screen", json!({"id": screen})).await;
    assert_eq!(last_event(&mut stream).await.as_deref(), Some("reload"));

    // Unpaired: the stream ends, the old token opens nothing, the TV shows a new code.
    let mut stream = tv.open(&base).await;
    stream.next(SOON).await.expect("a snapshot");
    let revoked = tv.cookie.clone().unwrap();
    app.ok("unpair_screen", json!({"id": screen})).await;
    assert_eq!(last_event(&mut stream).await.as_deref(), Some("layout"));
    let refused = tv.stream(&base).await;
    assert_eq!(refused.status(), 401, "a revoked device token is refused");
    let (status, state, set) = tv.load(&base).await;
    assert_eq!(status, 200);
    assert!(state["Pairing"]["code"].is_string(), "{state}");
    assert!(set.is_some(), "an unpaired TV gets a new device token");
    assert_ne!(tv.cookie.as_deref(), Some(revoked.as_str()));
    let listed = app.ok("list_screens", json!({})).await;
    assert_eq!(listed.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_tv_pairs_by_code_follows_what_it_is_given_and_unpairs_sqlite() {
    pairs_follows_and_unpairs(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_tv_pairs_by_code_follows_what_it_is_given_and_unpairs_postgres() {
    pairs_follows_and_unpairs(Backend::Postgres).await;
}

#[tokio::test]
async fn forged_device_tokens_open_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    for cookie in [
        "wb_device=wbd_forged",
        "wb_device=not-a-device-token",
        "x=1",
    ] {
        let tv = Tv {
            cookie: Some(cookie.to_string()),
        };
        let res = tv.stream(&app.base).await;
        assert_eq!(res.status(), 401, "{cookie}");
        let body = res.text().await.unwrap();
        assert!(body.contains("not paired"), "{body}");
    }
    // A forged token on the page gets a pairing code and a token of its own.
    let mut tv = Tv {
        cookie: Some("wb_device=wbd_forged".into()),
    };
    let (status, state, set) = tv.load(&app.base).await;
    assert_eq!(status, 200);
    assert!(state["Pairing"].is_object(), "{state}");
    assert!(set.is_some());
    // The TV page itself needs no session.
    let res = plain_client()
        .get(format!("{}/tv", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"tv-code\""),
        "the first HTML shows the code"
    );
    assert!(html.contains("viewer"), "the TV loads the viewer bundle");
    assert!(
        html.contains("http-equiv=\"refresh\""),
        "without script it refreshes itself"
    );
}

#[tokio::test]
async fn bad_playlists_and_screen_settings_are_refused_naming_the_field() {
    let app = spawn_app(Backend::Sqlite).await;
    let id = app.create_dashboard("Wall").await;
    for (slides, field) in [
        (json!([]), "slides"),
        (
            json!([{"dashboard": id, "seconds": 4}]),
            "slides[0].seconds",
        ),
        (
            json!([{"dashboard": id, "seconds": 3601}]),
            "slides[0].seconds",
        ),
        (
            json!([{"dashboard": id, "seconds": 10}, {"dashboard": "nope", "seconds": 10}]),
            "slides[1].dashboard",
        ),
    ] {
        let (status, body) = app
            .call(
                "save_playlist",
                json!({"playlist": {"name": "P", "slides": slides}}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["field"], field, "{body}");
    }
    let (status, body) = app
        .call(
            "save_playlist",
            json!({"playlist": {"name": " ", "slides": [{"dashboard": id, "seconds": 10}]}}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["field"], "name", "{body}");
    assert_eq!(
        app.ok("list_playlists", json!({})).await,
        json!([]),
        "nothing was stored"
    );

    let settings = json!({"name": "TV", "shows": {"kind": "dashboard", "id": "nope"}});
    for (code, field) in [("AB", "code"), ("ABCDEF", "shows")] {
        let (status, body) = app
            .call("pair_screen", json!({"code": code, "settings": settings}))
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["field"], field, "{body}");
    }
    let (status, body) = app
        .call(
            "update_screen",
            json!({"id": "nope", "settings": {"name": "TV"}}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    // A viewer-only caller may not pair.
    let anonymous = call_at(
        &plain_client(),
        &app.base,
        "pair_screen",
        json!({"code": "ABCDEF", "settings": settings}),
    )
    .await;
    assert_eq!(anonymous.0, 401);
}

#[tokio::test]
async fn pairing_codes_waiting_are_bounded_and_the_server_still_answers() {
    let app = spawn_app(Backend::Sqlite).await;
    // Fill the table up to its bound directly (ten thousand requests would only be
    // slower), then ask as a new TV.
    let pool = sqlx::SqlitePool::connect(&app.db.url).await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
         INSERT INTO screen_pairings (token_hash, code, expires_at)
         SELECT 'h' || i, 'C' || i, 9999999999999 FROM n",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut tv = Tv::new();
    let (status, body, set) = tv.load(&app.base).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.to_string().contains("too many screens"), "{body}");
    assert!(set.is_none());
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, 200);
    // Expired codes do not count.
    sqlx::query("UPDATE screen_pairings SET expires_at = 1")
        .execute(&pool)
        .await
        .unwrap();
    let code = tv.code(&app.base).await;
    assert_eq!(code.len(), 6);
}

#[tokio::test]
async fn a_playlist_share_link_shows_every_slide_until_revoked() {
    let app = spawn_app(Backend::Sqlite).await;
    let base = app.base.clone();
    let (dataset, secret) =
        create_pushed_dataset(&app.http, &base, json!({"kind": "replace"})).await;
    let lobby = dashboard_on(&app, "Lobby", &dataset).await;
    let sales = dashboard_on(&app, "Sales", &dataset).await;
    push_at(&app.http, &base, &dataset, &secret, &json!([{"n": 5}])).await;
    let slides = json!([{"dashboard": lobby, "seconds": 5}, {"dashboard": sales, "seconds": 5}]);
    let playlist = app
        .ok(
            "save_playlist",
            json!({"playlist": {"name": "Rotation", "slides": slides}}),
        )
        .await;
    let made = app
        .ok("create_playlist_share", json!({"id": playlist}))
        .await;
    let token = made["token"].as_str().unwrap().to_string();
    let link = made["link"]["id"].clone();

    // Anyone with the link: both slides, values cut down to what the widgets show.
    let anonymous = plain_client();
    let (status, page) = call_at(
        &anonymous,
        &base,
        "load_share_page",
        json!({"token": token}),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let show = &page["Playlist"];
    assert_eq!(show["screen"], "Rotation");
    assert_eq!(show["slides"].as_array().unwrap().len(), 2);
    assert_eq!(show["frames"][0]["rows"], json!([{"n": 5}]));
    // A dashboard's link still opens its dashboard through the same function.
    let dash = app.ok("create_share_link", json!({"id": lobby})).await;
    let (status, page) = call_at(
        &anonymous,
        &base,
        "load_share_page",
        json!({"token": dash["token"]}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(page["Dashboard"].is_object(), "{page}");
    let html = anonymous
        .get(format!("{base}/s/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), 200);
    let html = html.text().await.unwrap();
    assert_eq!(
        html.matches("data-testid=\"tv-slide\"").count(),
        2,
        "both slides in the first HTML"
    );

    // Its stream carries the data; editing the playlist sends `layout`.
    let path = format!("/api/v1/live/share/{token}");
    let mut stream = SseReader::open_at(&base, &path).await;
    stream.next(SOON).await.expect("a snapshot");
    push_at(&app.http, &base, &dataset, &secret, &json!([{"n": 6}])).await;
    stream.frame_where(SOON, |f| f["rows"][0]["n"] == 6).await;
    app.ok(
        "save_playlist",
        json!({"id": playlist, "playlist": {"name": "Rotation", "slides": [{"dashboard": sales, "seconds": 9}]}}),
    )
    .await;
    assert_eq!(last_event(&mut stream).await.as_deref(), Some("layout"));

    // Revoked: the open stream ends, the page and the stream are refused.
    let mut stream = SseReader::open_at(&base, &path).await;
    stream.next(SOON).await.expect("a snapshot");
    let listed = app
        .ok("list_playlist_shares", json!({"id": playlist}))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0]["views"].as_i64().unwrap() >= 1);
    app.ok(
        "revoke_playlist_share",
        json!({"id": playlist, "link": link}),
    )
    .await;
    tokio::time::timeout(Duration::from_secs(3), async {
        while stream.next(Duration::from_secs(3)).await.is_some() {}
    })
    .await
    .expect("the revoked link's stream ends within 3 s");
    let (status, _) = call_at(
        &anonymous,
        &base,
        "load_share_page",
        json!({"token": token}),
    )
    .await;
    assert_eq!(status, 404);
    let res = anonymous.get(format!("{base}{path}")).send().await.unwrap();
    assert_eq!(res.status(), 404);
}
