//! The demo: a JSON endpoint whose values move on their own (`/demo/metrics`), and a
//! dashboard reading it, seeded once into an empty database so a first start shows
//! something alive.

use crate::sources::lease::Hold;
use crate::startup::Core;
use crate::storage::PushWrite;
use app::api::ssr::Backend;
use app::model::{
    Agg, Binding, Columns, Dashboard, DataSource, Dataset, DatasetId, Field, FieldKind, HttpSource,
    JsonPathExpr, Look, NewPushDataset, PushMode, Rect, RefreshInterval, RowPick, SourceConfig,
    SourceId, Widget, WidgetId, WidgetKind,
};
use app::widgets::format::{Color, NumberFormat, Step, Thresholds};
use app::widgets::{self, format::Notation};
use axum::Json;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;

/// `GET /demo/metrics`: plausible operations figures that change every second.
pub async fn metrics() -> Json<Value> {
    Json(figures(crate::now_ms() as f64 / 1000.0))
}

fn figures(t: f64) -> Value {
    let wobble = |period: f64, phase: f64| (t / period + phase).sin();
    let noise = (t * 7.31).sin() * (t * 3.17).cos();
    let around = |base: f64, swing: f64, period: f64, phase: f64| {
        (base + swing * wobble(period, phase) + swing * 0.15 * noise).round()
    };
    let regions = [
        "Europe",
        "North America",
        "Asia",
        "South America",
        "Oceania",
    ];
    let sources = [
        "Search", "Direct", "Social", "Email", "Referral", "Ads", "Other",
    ];
    let services = [
        ("API", 42.0),
        ("Web", 85.0),
        ("Payments", 120.0),
        ("Search", 64.0),
        ("Mail", 230.0),
    ];
    let agents = ["Ana", "Bo", "Chen", "Dara", "Eli", "Femi", "Gus", "Hana"];
    json!({
        "now": [{
            "visitors": around(1200.0, 300.0, 20.0, 0.0),
            "orders_per_minute": around(42.0, 12.0, 11.0, 1.0),
            "revenue_today": ((t % 86_400.0) * 1.7).round(),
            "cpu_percent": ((45.0 + 25.0 * wobble(7.0, 2.0) + 5.0 * noise) * 10.0).round() / 10.0,
        }],
        "regions": regions.iter().enumerate().map(|(i, r)| json!({
            "region": r, "orders": around(400.0 / (i as f64 + 1.0), 60.0 / (i as f64 + 1.0), 9.0 + i as f64, i as f64),
        })).collect::<Vec<_>>(),
        "sources": sources.iter().enumerate().map(|(i, s)| json!({
            "source": s, "visits": around(900.0 / (i as f64 + 1.5), 80.0, 13.0 + i as f64, i as f64 * 0.7).max(5.0),
        })).collect::<Vec<_>>(),
        "services": services.iter().enumerate().map(|(i, (name, base))| {
            let latency = around(*base, base * 0.35, 8.0 + i as f64 * 3.0, i as f64);
            json!({
                "service": name,
                "status": if latency > base * 1.3 { "degraded" } else { "up" },
                "latency_ms": latency,
                "error_rate": ((0.4 + 0.4 * wobble(15.0 + i as f64, i as f64)).max(0.0) * 100.0).round() / 100.0,
            })
        }).collect::<Vec<_>>(),
        "agents": agents.iter().enumerate().map(|(i, a)| json!({
            "agent": a, "tickets": around(30.0 + i as f64 * 2.0, 8.0, 17.0 + i as f64 * 2.0, i as f64 * 1.3),
        })).collect::<Vec<_>>(),
    })
}

/// Creates the demo dashboard unless a demo was seeded before (in this database, by
/// any instance).
pub async fn seed(core: &Core, addr: SocketAddr) {
    match core
        .storage
        .claim_meta("demo_seeded", &crate::now_ms().to_string())
        .await
    {
        Ok(true) => {}
        Ok(false) => return,
        Err(err) => {
            tracing::warn!(error = %err, "demo: could not check whether it was seeded");
            return;
        }
    }
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        addr.ip().to_string()
    };
    let url = format!("http://{host}:{}/demo/metrics", addr.port());
    if let Err(err) = create(core, &url).await {
        tracing::warn!(error = %err, "demo: could not be seeded");
    } else {
        tracing::info!("demo dashboard seeded");
    }
}

/// The metadata key holding the id of the dataset the demo pushes to.
const PUSHED_KEY: &str = "demo_pushed_dataset";

/// Pushes a point of response times every second to the demo's pushed dataset, through
/// the same writer the push API uses, for as long as the server runs. Scaled out, one
/// instance pushes at a time: the one holding the lease `demo-pusher`.
pub async fn push_points(core: std::sync::Arc<Core>) {
    let Ok(Some(id)) = core.storage.get_meta(PUSHED_KEY).await else {
        return;
    };
    let Ok(dataset) = DatasetId::parse(id) else {
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let lease = core
            .poll
            .leases
            .hold("demo-pusher", Duration::from_secs(3))
            .await;
        if !matches!(lease, Ok(Hold::Acquired | Hold::Kept)) {
            continue;
        }
        let t = crate::now_ms();
        let s = t as f64 / 1000.0;
        let p50 = (80.0 + 20.0 * (s / 17.0).sin() + 6.0 * (s * 1.7).sin()).round();
        let p95 = (p50 * 2.1 + 25.0 * (s / 5.0).sin().abs()).round();
        let at = chrono::DateTime::from_timestamp_millis(t)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        let row = json!({"time": at, "p50_ms": p50, "p95_ms": p95});
        let write = PushWrite {
            dataset: dataset.clone(),
            mode: PushMode::Append {
                max_rows: 300,
                max_age_secs: None,
            },
            rows: vec![row.as_object().cloned().unwrap_or_default()],
        };
        if core.pushes.submit(write).await.is_err() {
            return;
        }
    }
}

/// A dataset reading `path` of the demo endpoint, keeping the rows' own columns.
async fn http_dataset(
    core: &Core,
    scope: &app::auth::Scope,
    url: &str,
    name: &str,
    path: &str,
    fields: &[(&str, FieldKind)],
    refresh_ms: u64,
) -> Result<DatasetId, app::error::AppError> {
    let source = DataSource {
        id: SourceId::parse(crate::new_id())?,
        name: "demo endpoint".into(),
        config: SourceConfig::Http(HttpSource::get(url)),
    };
    let dataset = Dataset {
        id: DatasetId::parse(crate::new_id())?,
        name: name.into(),
        source: source.id.clone(),
        path: JsonPathExpr::parse(path)?,
        fields: fields
            .iter()
            .map(|(n, k)| Field {
                name: (*n).into(),
                kind: *k,
            })
            .collect(),
        refresh: RefreshInterval::from_millis(refresh_ms)?,
        always_refresh: false,
        pipeline: Default::default(),
        columns: Columns::Discovered,
        stale_after_secs: None,
    };
    Ok(core.add_dataset(scope, source, dataset).await?.id)
}

/// What a demo widget reads: its dataset, each slot's fields, and the row it picks.
type Bound<'a> = (&'a DatasetId, &'a [(&'a str, &'a [&'a str])], RowPick);

fn place(
    id: usize,
    (x, y, w, h): (i32, i32, i32, i32),
    kind: WidgetKind,
    look: Look,
    dataset: Option<Bound<'_>>,
) -> Result<Widget, app::error::AppError> {
    let mut widget = Widget::new(
        WidgetId::parse(format!("w{id}"))?,
        Rect { x, y, w, h },
        kind,
    );
    widget.look = look;
    widget.binding = dataset.map(|(d, slots, row)| {
        let mut b = Binding::new(d.clone());
        for (slot, fields) in slots {
            b.set(slot, fields.iter().map(|f| f.to_string()).collect());
        }
        b.row = row;
        b
    });
    Ok(widget)
}

fn titled(title: &str) -> Look {
    Look::titled(title)
}

fn color(name: &str) -> Color {
    Color::parse(name).expect("a palette colour")
}

async fn create(core: &Core, url: &str) -> Result<(), app::error::AppError> {
    use FieldKind::{Number, Text};
    // The demo goes into the first workspace, which the first administrator owns.
    let workspace = app::model::WorkspaceId::parse(crate::auth::FIRST_WORKSPACE)?;
    let scope = &app::auth::Caller::system(workspace).may(app::auth::Action::EditData)?;
    let now = http_dataset(
        core,
        scope,
        url,
        "Demo: site now",
        "$.now",
        &[
            ("visitors", Number),
            ("orders_per_minute", Number),
            ("revenue_today", Number),
            ("cpu_percent", Number),
        ],
        1000,
    )
    .await?;
    let regions = http_dataset(
        core,
        scope,
        url,
        "Demo: orders by region",
        "$.regions",
        &[("region", Text), ("orders", Number)],
        2000,
    )
    .await?;
    let sources = http_dataset(
        core,
        scope,
        url,
        "Demo: traffic sources",
        "$.sources",
        &[("source", Text), ("visits", Number)],
        3000,
    )
    .await?;
    let services = http_dataset(
        core,
        scope,
        url,
        "Demo: services",
        "$.services",
        &[
            ("service", Text),
            ("status", Text),
            ("latency_ms", Number),
            ("error_rate", Number),
        ],
        2000,
    )
    .await?;
    let agents = http_dataset(
        core,
        scope,
        url,
        "Demo: support agents",
        "$.agents",
        &[("agent", Text), ("tickets", Number)],
        3000,
    )
    .await?;
    let pushed = core
        .create_push_dataset(
            scope,
            NewPushDataset {
                name: "Demo: response times (pushed)".into(),
                stale_after_secs: Some(30),
                fields: vec![
                    Field {
                        name: "time".into(),
                        kind: Text,
                    },
                    Field {
                        name: "p50_ms".into(),
                        kind: Number,
                    },
                    Field {
                        name: "p95_ms".into(),
                        kind: Number,
                    },
                ],
                mode: PushMode::Append {
                    max_rows: 300,
                    max_age_secs: None,
                },
            },
        )
        .await?
        .id;
    core.storage
        .claim_meta(PUSHED_KEY, pushed.as_str())
        .await
        .map_err(|_| app::error::AppError::Internal)?;

    let last = RowPick::Last;
    let money = NumberFormat {
        currency: Some("EUR".into()),
        decimals: Some(0),
        ..NumberFormat::default()
    };
    let percent_look = Look {
        format: NumberFormat {
            suffix: " %".into(),
            decimals: Some(1),
            ..NumberFormat::default()
        },
        thresholds: Thresholds {
            base: Some(color("green")),
            steps: vec![
                Step {
                    from: 60.0,
                    color: color("orange"),
                },
                Step {
                    from: 80.0,
                    color: color("red"),
                },
            ],
        },
        ..titled("CPU")
    };
    let latency_look = Look {
        format: NumberFormat {
            suffix: " ms".into(),
            ..NumberFormat::default()
        },
        thresholds: Thresholds {
            base: None,
            steps: vec![
                Step {
                    from: 150.0,
                    color: color("orange"),
                },
                Step {
                    from: 250.0,
                    color: color("red"),
                },
            ],
        },
        ..titled("Services")
    };
    let widgets = vec![
        place(1, (40, 40, 440, 240), WidgetKind::Kpi(widgets::Kpi { sparkline: true, ..Default::default() }), Look { subtitle: "online now".into(), ..titled("Visitors") }, Some((&now, &[("value", &["visitors"])], last.clone())))?,
        place(2, (500, 40, 440, 240), WidgetKind::Kpi(widgets::Kpi { compare: widgets::kpi::Compare::Target, target: Some(120_000.0), ..Default::default() }), Look { format: money.clone(), ..titled("Revenue today") }, Some((&now, &[("value", &["revenue_today"])], last.clone())))?,
        place(3, (960, 40, 440, 240), WidgetKind::Gauge(widgets::Gauge::default()), percent_look, Some((&now, &[("value", &["cpu_percent"])], last.clone())))?,
        place(4, (1420, 40, 460, 240), WidgetKind::Clock(Default::default()), Look { time_format: app::widgets::format::DateFormat { pattern: "%H:%M:%S".into(), ..Default::default() }, ..titled("Time") }, None)?,
        place(5, (40, 300, 900, 380), WidgetKind::Line(widgets::LineChart { area: true, last_seconds: 120, ..Default::default() }), Look { format: NumberFormat { suffix: " ms".into(), ..NumberFormat::default() }, time_format: app::widgets::format::DateFormat { pattern: "%H:%M:%S".into(), ..Default::default() }, subtitle: "pushed every second through the push API".into(), ..titled("Response time") }, Some((&pushed, &[("x", &["time"]), ("y", &["p50_ms", "p95_ms"])], last.clone())))?,
        place(6, (960, 300, 460, 380), WidgetKind::Bar(widgets::BarChart { horizontal: true, sort: widgets::bar::Sort::Descending, ..Default::default() }), titled("Orders by region"), Some((&regions, &[("category", &["region"]), ("values", &["orders"])], last.clone())))?,
        place(7, (1440, 300, 440, 380), WidgetKind::Pie(widgets::PieChart { max_slices: 5, ..Default::default() }), Look { format: NumberFormat { notation: Notation::Compact, ..NumberFormat::default() }, ..titled("Traffic sources") }, Some((&sources, &[("label", &["source"]), ("value", &["visits"])], last.clone())))?,
        place(8, (40, 700, 700, 340), WidgetKind::Table(widgets::Table {
            columns: vec![widgets::table::ColumnStyle { field: "latency_ms".into(), label: "Latency".into(), colored: true, ..Default::default() }, widgets::table::ColumnStyle { field: "error_rate".into(), label: "Errors %".into(), format: Some(NumberFormat { decimals: Some(2), ..NumberFormat::default() }), ..Default::default() }],
            ..Default::default()
        }), latency_look, Some((&services, &[("columns", &["service", "status", "latency_ms", "error_rate"])], last.clone())))?,
        place(9, (760, 700, 440, 340), WidgetKind::Leaderboard(widgets::Leaderboard { max_rows: 6, ..Default::default() }), Look { subtitle: "tickets closed today".into(), ..titled("Support") }, Some((&agents, &[("label", &["agent"]), ("value", &["tickets"])], last.clone())))?,
        place(10, (1220, 700, 320, 160), WidgetKind::Status(widgets::Status { mapping: widgets::status::parse_mapping("up = green Operational\ndegraded = orange Degraded\ndown = red Down").map_err(|_| app::error::AppError::Internal)? }), titled("API"), Some((&services, &[("value", &["status"])], RowPick::Where { field: "service".into(), equals: "API".into() })))?,
        place(11, (1560, 700, 320, 160), WidgetKind::Kpi(widgets::Kpi { compare: widgets::kpi::Compare::None, ..Default::default() }), Look { subtitle: "sum over regions".into(), ..titled("Orders") }, Some((&regions, &[("value", &["orders"])], RowPick::Aggregate { agg: Agg::Sum })))?,
        place(12, (1220, 880, 660, 160), WidgetKind::Text(widgets::Text {
            markdown: "### This wall is live\nEvery widget follows its data within a second. Open the **editor** from the [dashboard list](/) to change it, or push your own rows with the push API.".into(),
            size: 22,
            ..Default::default()
        }), Look::default(), None)?,
    ];
    let mut dashboard = Dashboard::new("Operations (demo)")?;
    dashboard.widgets = widgets;
    dashboard.validate()?;
    core.create_dashboard(scope, dashboard).await?;
    Ok(())
}
