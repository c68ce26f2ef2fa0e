//! Widgets against the real server: every kind renders its values into the first HTML;
//! a dashboard saved by the release before widget kinds loads and shows the same value;
//! markdown cannot run script; embeds frame only the operator's origins; pictures are
//! stored and served as pictures only.

#[macro_use]
mod common;

use common::{push_at, spawn_app, spawn_app_env, Backend, TestApp};
use serde_json::{json, Value};

/// A pushed dataset with a label, a time, a value and a status, holding `rows`.
async fn pushed_rows(app: &TestApp, rows: Value) -> String {
    let (status, summary) = app
        .call(
            "create_push_dataset",
            json!({"form": {"name": "sales", "fields": [
                {"name": "region", "kind": "text"}, {"name": "day", "kind": "text"},
                {"name": "orders", "kind": "number"}, {"name": "state", "kind": "text"}
            ], "mode": {"kind": "append", "max_rows": 100}}}),
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    let id = summary["id"].as_str().unwrap().to_string();
    let token = app
        .ok("create_push_token", json!({"dataset": id, "label": "t"}))
        .await;
    let secret = token["secret"].as_str().unwrap();
    let (status, body) = push_at(&app.http, &app.base, &id, secret, &rows).await;
    assert_eq!(status, 200, "{body}");
    id
}

fn widget(n: usize, kind: &str, props: Value, look: Value, binding: Value) -> Value {
    let (x, y) = ((n % 4) as i64 * 480, (n / 4) as i64 * 270);
    let mut w = json!({"id": format!("w{n}"), "rect": {"x": x, "y": y, "w": 460, "h": 250},
        "kind": kind, "props": props, "look": look});
    if !binding.is_null() {
        w["binding"] = binding;
    }
    w
}

async fn save(app: &TestApp, widgets: Vec<Value>) -> (u16, Value, String) {
    let id = app.ok("create_dashboard", json!({"name": "kinds"})).await;
    let id = id.as_str().unwrap().to_string();
    let (status, body) = app
        .call(
            "save_dashboard",
            json!({"id": id, "revision": 1, "dashboard": {"schema_version": 2, "name": "kinds",
                "resolution": {"width": 1920, "height": 1080}, "widgets": widgets}}),
        )
        .await;
    (status, body, id)
}

async fn page(app: &TestApp, path: &str) -> (reqwest::header::HeaderMap, String) {
    let res = app
        .http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let headers = res.headers().clone();
    // Hydration markers between adjacent texts are not part of what is shown.
    (headers, res.text().await.unwrap().replace("<!>", ""))
}

/// The text of the element whose opening tag holds `marker`.
fn text_of<'a>(html: &'a str, marker: &str) -> &'a str {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap();
    &rest[start..start + end]
}

async fn every_kind_renders_its_values_in_the_first_html(backend: Backend) {
    let app = spawn_app(backend).await;
    let ds = pushed_rows(
        &app,
        json!([
            {"region": "Europe", "day": "2024-03-01", "orders": 120, "state": "up"},
            {"region": "Asia", "day": "2024-03-02", "orders": 340, "state": "up"},
            {"region": "Oceania", "day": "2024-03-03", "orders": 75, "state": "down"},
        ]),
    )
    .await;
    let bind = |slots: Value, row: Value| json!({"dataset": ds, "slots": slots, "row": row});
    let last = json!({"pick": "last"});
    let widgets = vec![
        widget(
            0,
            "kpi",
            json!({}),
            json!({"title": "Orders"}),
            bind(
                json!({"value": ["orders"]}),
                json!({"pick": "aggregate", "agg": "sum"}),
            ),
        ),
        widget(
            1,
            "line",
            json!({}),
            json!({}),
            bind(json!({"x": ["day"], "y": ["orders"]}), last.clone()),
        ),
        widget(
            2,
            "bar",
            json!({}),
            json!({}),
            bind(
                json!({"category": ["region"], "values": ["orders"]}),
                last.clone(),
            ),
        ),
        widget(
            3,
            "pie",
            json!({}),
            json!({}),
            bind(
                json!({"label": ["region"], "value": ["orders"]}),
                last.clone(),
            ),
        ),
        widget(
            4,
            "gauge",
            json!({"min": 0, "max": 500}),
            json!({}),
            bind(
                json!({"value": ["orders"]}),
                json!({"pick": "where", "field": "region", "equals": "asia"}),
            ),
        ),
        widget(
            5,
            "progress",
            json!({"min": 0, "max": 200, "target": 150}),
            json!({}),
            bind(json!({"value": ["orders"]}), json!({"pick": "first"})),
        ),
        widget(
            6,
            "table",
            json!({"sort_by": "orders"}),
            json!({}),
            bind(json!({"columns": ["region", "orders"]}), last.clone()),
        ),
        widget(
            7,
            "leaderboard",
            json!({}),
            json!({}),
            bind(
                json!({"label": ["region"], "value": ["orders"]}),
                last.clone(),
            ),
        ),
        widget(
            8,
            "text",
            json!({"markdown": "## Weekly\nOrders in Asia: {{value}}"}),
            json!({}),
            bind(
                json!({"value": ["orders"]}),
                json!({"pick": "where", "field": "region", "equals": "Asia"}),
            ),
        ),
        widget(
            9,
            "status",
            json!({"mapping": {"entries": [{"equals": "down", "label": "Outage", "color": "red"}]}}),
            json!({}),
            bind(json!({"value": ["state"]}), last.clone()),
        ),
        widget(
            10,
            "clock",
            json!({}),
            json!({"time_format": {"pattern": "%Y", "zone": "Europe/Paris"}}),
            Value::Null,
        ),
        widget(
            11,
            "image",
            json!({"source": {"from": "url", "url": "https://example.com/logo.png"}}),
            json!({}),
            Value::Null,
        ),
    ];
    let (status, body, id) = save(&app, widgets).await;
    assert_eq!(status, 200, "{body}");
    let (_, html) = page(&app, &format!("/view/{id}")).await;
    // The KPI sums all rows; the gauge reads Asia; the progress bar the first row.
    assert!(html.contains(">535</div>"), "KPI sum");
    let line = html
        .split("class=\"series\"")
        .nth(1)
        .expect("a line series path");
    assert!(
        line.contains("d=\"M"),
        "the line's path is drawn on the server"
    );
    assert_eq!(html.matches("<rect").count(), 3, "one bar per region");
    assert_eq!(
        html.matches("class=\"slice\"").count(),
        3,
        "one slice per region"
    );
    assert_eq!(text_of(&html, "data-testid=\"gauge-value\""), "340");
    assert_eq!(text_of(&html, "data-testid=\"progress-value\""), "120");
    let table = html.split("table-widget").nth(1).unwrap();
    let asia = table.find(">Asia<").unwrap();
    assert!(
        asia < table.find(">Europe<").unwrap(),
        "the table is sorted by orders, largest first"
    );
    assert!(
        html.contains("class=\"name\">Asia<"),
        "the leaderboard ranks Asia first"
    );
    assert!(
        html.contains("Weekly")
            && html.contains("Orders in Asia: <span class=\"md-value\">340</span>")
    );
    assert!(
        html.contains(">Outage<"),
        "the status maps the last row's state"
    );
    let year = chrono::Utc::now().format("%Y").to_string();
    assert!(
        html.contains(&format!(">{year}<")),
        "the clock shows the time in its format"
    );
    assert!(html.contains("src=\"https://example.com/logo.png\""));
    // Screens load the viewer bundle, the editor the whole application.
    assert!(html.contains("/pkg/viewer.js"));
    let (_, editor) = page(&app, &format!("/edit/{id}")).await;
    assert!(editor.contains("/pkg/wallboard.js") && !editor.contains("/pkg/viewer.js"));
}

async fn a_dashboard_saved_before_widget_kinds_shows_the_same_value(backend: Backend) {
    let app = spawn_app(backend).await;
    let ds = pushed_rows(&app, json!([{"orders": 1}, {"orders": 1234.5}])).await;
    let id = app.ok("create_dashboard", json!({"name": "old"})).await;
    // Exactly what the previous release saved: version 1, title/unit/decimals in props.
    let (status, body) = app
        .call(
            "save_dashboard",
            json!({"id": id, "revision": 1, "dashboard": {"schema_version": 1, "name": "old",
                "resolution": {"width": 1920, "height": 1080}, "theme": "dark", "widgets": [
                {"id": "w1", "rect": {"x": 0, "y": 0, "w": 400, "h": 240}, "kind": "kpi",
                 "props": {"title": "Revenue", "unit": "€", "decimals": 2},
                 "binding": {"dataset": ds, "field": "orders"}}]}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, html) = page(&app, &format!("/view/{}", id.as_str().unwrap())).await;
    assert!(
        html.contains(">1,234.50 €</div>"),
        "the last row, as version 1 showed it"
    );
    assert!(html.contains("Revenue"));
    let editor = app.ok("load_editor", json!({"id": id})).await;
    assert_eq!(editor["stored"]["dashboard"]["schema_version"], 2);
}

async fn markdown_cannot_run_script_or_open_javascript(backend: Backend) {
    let app = spawn_app(backend).await;
    let md = "# Hi <script>alert(1)</script>\n[click](javascript:alert(2)) <img src=x onerror=alert(3)> [ok](https://example.com)";
    let (status, body, id) = save(
        &app,
        vec![widget(
            0,
            "text",
            json!({"markdown": md}),
            json!({}),
            Value::Null,
        )],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, html) = page(&app, &format!("/view/{id}")).await;
    let text = html.split("text-widget").nth(1).unwrap();
    let text = &text[..text.find("</div>").unwrap()];
    assert!(
        !text.contains("<script") && text.contains("&lt;script&gt;"),
        "{text}"
    );
    assert!(
        !text.contains("<img") && !text.contains("javascript:alert(2)\""),
        "{text}"
    );
    assert!(
        text.contains("href=\"https://example.com\"")
            && text.contains("rel=\"noopener noreferrer\"")
    );
}

async fn embeds_frame_only_the_origins_the_operator_allows(backend: Backend) {
    let app = spawn_app_env(
        backend,
        &[("WALLBOARD_EMBED_ORIGINS", "https://grafana.example")],
    )
    .await;
    let embed = |url: &str| widget(0, "embed", json!({"url": url}), json!({}), Value::Null);
    let (status, body, _) = save(&app, vec![embed("https://evil.example/x")]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "widgets[0].props.url");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("https://evil.example is not an allowed origin"));
    let (status, body, id) = save(&app, vec![embed("https://grafana.example/d/1")]).await;
    assert_eq!(status, 200, "{body}");
    let (headers, html) = page(&app, &format!("/view/{id}")).await;
    assert!(html.contains("<iframe src=\"https://grafana.example/d/1\""));
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-src https://grafana.example;"), "{csp}");
}

async fn pictures_are_kept_and_served_as_pictures_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let upload = |bytes: Vec<u8>, name: &str| {
        app.http
            .post(format!("{}/api/v1/images?name={name}", app.base))
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
    };
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR rest of a picture".to_vec();
    let res = upload(png.clone(), "logo.png").await.unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .http
        .get(format!("{}/api/v1/images/{id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);
    let res = upload(b"<svg onload=alert(1)/>".to_vec(), "x.svg")
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("not a PNG, JPEG, GIF or WebP"));
    // A spreadsheet upload is not served as a picture.
    let csv = app
        .http
        .post(format!("{}/api/v1/uploads?name=a.csv", app.base))
        .header("content-type", "application/octet-stream")
        .body("a,b\n1,2\n")
        .send()
        .await
        .unwrap();
    let sheet = csv.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .http
        .get(format!("{}/api/v1/images/{sheet}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

on_both_backends!(
    every_kind_renders_its_values_in_the_first_html,
    a_dashboard_saved_before_widget_kinds_shows_the_same_value,
    markdown_cannot_run_script_or_open_javascript,
    embeds_frame_only_the_origins_the_operator_allows,
    pictures_are_kept_and_served_as_pictures_only,
);
