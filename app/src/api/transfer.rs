//! Server functions that move whole dashboards: export one as a JSON document (no
//! credentials, datasets by name), import such a document with the author's choice of
//! dataset for each reference, duplicate one, and start one from a template.

use crate::error::AppError;
use crate::model::transfer::DatasetChoice;
use crate::model::DashboardId;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// A starter dashboard on the home page, reading the demo's datasets by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

/// The templates offered; their documents are exports kept with the server
/// (`app/templates/<slug>.json`).
pub const TEMPLATES: &[Template] = &[
    Template {
        slug: "sales-wall",
        name: "Sales wall",
        description:
            "Revenue against target, orders per minute, orders by region and traffic sources.",
    },
    Template {
        slug: "service-health",
        name: "Service health",
        description: "Status lights per service, latency and error table, response times and CPU.",
    },
    Template {
        slug: "support-queue",
        name: "Support queue",
        description: "Agents' leaderboard, tickets closed, the busiest agent and a clock.",
    },
];

/// What an import made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    pub id: DashboardId,
    /// Widgets left without data (their dataset was not mapped).
    pub unbound: usize,
}

/// The dashboard's draft as an export document (pretty JSON).
#[server(prefix = "/api/fn", endpoint = "export_dashboard", input = Json)]
pub async fn export_dashboard(id: DashboardId) -> Result<String, AppError> {
    use super::ssr::*;
    use crate::model::transfer::Exported;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            let dashboard = backend.load_dashboard(&scope, &id).await?.dashboard;
            let datasets = backend.list_datasets(&scope).await?;
            let exported = Exported::new(dashboard, |id| {
                datasets
                    .iter()
                    .find(|d| &d.id == id)
                    .map(|d| d.name.clone())
            });
            Ok(exported.to_json(crate::widgets::now_ms()))
        }
        .await,
    )
}

/// Makes a new dashboard from an export `document`, binding each dataset it references
/// as `choices` say (unmentioned ones are left unbound). A bad document is refused with
/// the path of the bad field, and nothing is made.
#[server(prefix = "/api/fn", endpoint = "import_dashboard", input = Json)]
pub async fn import_dashboard(
    document: String,
    #[server(default)] choices: Vec<DatasetChoice>,
) -> Result<Imported, AppError> {
    use super::ssr::*;
    use crate::model::transfer::Exported;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            let (dashboard, unbound) = Exported::parse(&document)?.rebind(&choices);
            let id = backend.create_dashboard(&scope, dashboard).await?;
            Ok(Imported { id, unbound })
        }
        .await,
    )
}

/// A copy of the dashboard's draft, named "… (copy)"; not published, no share links.
#[server(prefix = "/api/fn", endpoint = "duplicate_dashboard", input = Json)]
pub async fn duplicate_dashboard(id: DashboardId) -> Result<DashboardId, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            let mut dashboard = backend.load_dashboard(&scope, &id).await?.dashboard;
            dashboard.name = crate::model::copy_name(&dashboard.name);
            backend.create_dashboard(&scope, dashboard).await
        }
        .await,
    )
}

/// A new dashboard from template `slug`, bound to this workspace's datasets of the
/// names it reads (the demo's); a dataset it cannot find leaves its widgets unbound.
#[server(prefix = "/api/fn", endpoint = "create_from_template", input = Json)]
pub async fn create_from_template(slug: String) -> Result<Imported, AppError> {
    use super::ssr::*;
    use crate::model::transfer::Exported;
    respond(
        async {
            let (backend, scope) = authorized(Action::EditDashboards)?;
            let document = template_document(&slug)
                .ok_or_else(|| AppError::not_found(&format!("template {slug:?}")))?;
            let exported = Exported::parse(document)?;
            let available = backend.list_datasets(&scope).await?;
            let choices =
                exported.choices_by_name(available.iter().map(|d| (&d.id, d.name.as_str())));
            let (dashboard, unbound) = exported.rebind(&choices);
            let id = backend.create_dashboard(&scope, dashboard).await?;
            Ok(Imported { id, unbound })
        }
        .await,
    )
}

/// The export document of template `slug`.
#[cfg(feature = "ssr")]
pub fn template_document(slug: &str) -> Option<&'static str> {
    match slug {
        "sales-wall" => Some(include_str!("../../templates/sales-wall.json")),
        "service-health" => Some(include_str!("../../templates/service-health.json")),
        "support-queue" => Some(include_str!("../../templates/support-queue.json")),
        _ => None,
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::model::transfer::Exported;

    #[test]
    fn every_template_is_a_valid_export_reading_only_demo_datasets() {
        for t in TEMPLATES {
            let doc =
                template_document(t.slug).unwrap_or_else(|| panic!("{} has no document", t.slug));
            let exported = Exported::parse(doc).unwrap_or_else(|e| panic!("{}: {e}", t.slug));
            assert_eq!(exported.dashboard.name, t.name, "{}", t.slug);
            assert!(exported.dashboard.widgets.len() >= 5, "{}", t.slug);
            assert!(!exported.datasets.is_empty(), "{}", t.slug);
            for d in &exported.datasets {
                assert!(d.name.starts_with("Demo: "), "{}: {}", t.slug, d.name);
            }
        }
    }
}
