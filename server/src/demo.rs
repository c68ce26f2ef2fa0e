//! The demo: a JSON endpoint whose values move on their own (`/demo/metrics`), and a
//! dashboard reading it, seeded once into an empty database so a first start shows
//! something alive.

use crate::startup::Core;
use app::api::ssr::Backend;
use app::model::{
    Binding, Dashboard, FieldKind, KpiProps, NewHttpDataset, Rect, Widget, WidgetId, WidgetKind,
};
use axum::Json;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// `GET /demo/metrics`: plausible operations figures that change every second.
pub async fn metrics() -> Json<Value> {
    let t = crate::now_ms() as f64 / 1000.0;
    let wobble = |period: f64, phase: f64| (t / period + phase).sin();
    let noise = (t * 7.31).sin() * (t * 3.17).cos();
    Json(json!({
        "visitors": (1200.0 + 300.0 * wobble(20.0, 0.0) + 40.0 * noise).round(),
        "orders_per_minute": (42.0 + 12.0 * wobble(11.0, 1.0) + 3.0 * noise).round(),
        "revenue_today": ((t % 86_400.0) * 1.7).round(),
        "cpu_percent": ((45.0 + 25.0 * wobble(7.0, 2.0) + 5.0 * noise) * 10.0).round() / 10.0,
    }))
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

async fn create(core: &Core, url: &str) -> Result<(), app::error::AppError> {
    let kpis = [
        ("visitors", "Visitors online", "", 0),
        ("orders_per_minute", "Orders / minute", "", 0),
        ("revenue_today", "Revenue today", "€", 0),
        ("cpu_percent", "CPU", "%", 1),
    ];
    let mut dashboard = Dashboard::new("Operations (demo)")?;
    for (i, (key, title, unit, decimals)) in kpis.into_iter().enumerate() {
        let dataset = core
            .create_http_dataset(NewHttpDataset {
                name: format!("Demo: {title}"),
                url: url.to_string(),
                path: format!("$.{key}"),
                field: "value".into(),
                kind: FieldKind::Number,
                refresh_ms: 1000,
                timeout_ms: 2000,
                always_refresh: false,
                pipeline: Default::default(),
            })
            .await?;
        let col = (i % 2) as i32;
        let row = (i / 2) as i32;
        dashboard.widgets.push(Widget {
            id: WidgetId::parse(format!("w{}", i + 1))?,
            rect: Rect {
                x: 80 + col * 900,
                y: 80 + row * 480,
                w: 860,
                h: 440,
            },
            kind: WidgetKind::Kpi(KpiProps {
                title: title.into(),
                unit: unit.into(),
                decimals,
            }),
            binding: Some(Binding {
                dataset: dataset.id,
                field: "value".into(),
            }),
        });
    }
    core.create_dashboard(dashboard).await?;
    Ok(())
}
