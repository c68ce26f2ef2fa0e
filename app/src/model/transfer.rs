//! Export and import of a whole dashboard: the dashboard document itself, marked by
//! `kind`, with the datasets its widgets read listed by name (`datasets`), so another
//! instance can map them onto its own. No source configuration and no credential is
//! ever part of it: those live with the datasets, which are not exported.
//!
//! ```json
//! { "kind": "wallboard.dashboard", "schema_version": 3, "name": "Sales",
//!   "resolution": {…}, "widgets": [ … ],
//!   "datasets": [ { "id": "d1f0…", "name": "Orders API" } ],
//!   "exported_at_ms": 1796…, "exported_from": "Wallboard 0.1.0" }
//! ```
//!
//! A bad document is refused with the path of the first bad field, as the dashboard
//! itself names it (`widgets[3].rect.w: …`).

use super::{Dashboard, DatasetId, Invalid};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What `kind` says in an export.
pub const EXPORT_KIND: &str = "wallboard.dashboard";
/// The largest export read (the server refuses request bodies past 1 MiB, and the
/// document travels inside one).
pub const MAX_IMPORT_BYTES: usize = 768 * 1024;

/// A dataset an exported dashboard reads: its id where it was exported, and its name,
/// by which an import finds the dataset to use instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetRef {
    pub id: DatasetId,
    pub name: String,
}

/// What an import does with one referenced dataset: bind the widgets that read it to
/// `to`, or leave them unbound (`None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetChoice {
    pub from: DatasetId,
    pub to: Option<DatasetId>,
}

/// An exported dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub dashboard: Dashboard,
    pub datasets: Vec<DatasetRef>,
}

impl Exported {
    /// The export of `dashboard`, naming each dataset it reads with `name_of` (a
    /// dataset it cannot name is listed by its id).
    pub fn new(dashboard: Dashboard, name_of: impl Fn(&DatasetId) -> Option<String>) -> Self {
        let datasets = dashboard
            .datasets()
            .into_iter()
            .map(|id| DatasetRef {
                name: name_of(&id).unwrap_or_else(|| id.to_string()),
                id,
            })
            .collect();
        Self {
            dashboard,
            datasets,
        }
    }

    /// The document, pretty-printed, stamped with when and by what it was made.
    pub fn to_json(&self, exported_at_ms: i64) -> String {
        let mut doc = serde_json::to_value(&self.dashboard).unwrap_or(Value::Null);
        if let Value::Object(fields) = &mut doc {
            let mut out = serde_json::Map::new();
            out.insert("kind".into(), EXPORT_KIND.into());
            out.extend(std::mem::take(fields));
            out.insert(
                "datasets".into(),
                serde_json::to_value(&self.datasets).unwrap_or_default(),
            );
            out.insert("exported_at_ms".into(), exported_at_ms.into());
            out.insert(
                "exported_from".into(),
                format!("Wallboard {}", env!("CARGO_PKG_VERSION")).into(),
            );
            doc = Value::Object(out);
        }
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

    /// Reads an export: the size, the JSON, the kind, the dataset list and the
    /// dashboard (upgraded from an earlier schema like a stored one, then validated),
    /// each refused with what is wrong and where.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if text.len() > MAX_IMPORT_BYTES {
            return Err(Invalid::new(
                "",
                format!(
                    "the file has {} bytes; an exported dashboard has at most {MAX_IMPORT_BYTES}",
                    text.len()
                ),
            ));
        }
        let raw: Value = serde_json::from_str(text)
            .map_err(|e| Invalid::new("", format!("this is not JSON: {e}")))?;
        let Value::Object(mut fields) = raw else {
            return Err(Invalid::new(
                "",
                "an exported dashboard is a JSON object; this is not one",
            ));
        };
        match fields.remove("kind") {
            Some(Value::String(kind)) if kind == EXPORT_KIND => {}
            _ => {
                return Err(Invalid::new(
                    "kind",
                    format!(
                        "this is not an exported Wallboard dashboard (its kind is not \
                         \"{EXPORT_KIND}\")"
                    ),
                ))
            }
        }
        let datasets: Vec<DatasetRef> = match fields.remove("datasets") {
            None | Some(Value::Null) => Vec::new(),
            Some(list) => serde_path_to_error::deserialize(list)
                .map_err(super::validation::located)
                .map_err(|e| e.within("datasets"))?,
        };
        fields.remove("exported_at_ms");
        fields.remove("exported_from");
        let upgraded = super::migrate::upgrade(Value::Object(fields))?;
        let dashboard: Dashboard =
            serde_path_to_error::deserialize(upgraded).map_err(super::validation::located)?;
        dashboard.validate()?;
        // Every dataset a widget reads must be listed, so the import can map it.
        for (i, widget) in dashboard.widgets.iter().enumerate() {
            if let Some(binding) = &widget.binding {
                if !datasets.iter().any(|d| d.id == binding.dataset) {
                    return Err(Invalid::new(
                        format!("widgets[{i}].binding.dataset"),
                        format!(
                            "dataset {} is not among the document's datasets",
                            binding.dataset
                        ),
                    ));
                }
            }
        }
        Ok(Self {
            dashboard,
            datasets,
        })
    }

    /// The dataset `name` among `available` when exactly one has it: what an import
    /// offers by default for a reference.
    pub fn match_by_name<'a>(
        name: &str,
        available: impl IntoIterator<Item = (&'a DatasetId, &'a str)>,
    ) -> Option<DatasetId> {
        let mut found = available.into_iter().filter(|(_, n)| *n == name);
        match (found.next(), found.next()) {
            (Some((id, _)), None) => Some(id.clone()),
            _ => None,
        }
    }

    /// For each referenced dataset, the one of `available` with its name (when exactly
    /// one has it), else none: what an import offers before the author changes it.
    pub fn choices_by_name<'a>(
        &self,
        available: impl IntoIterator<Item = (&'a DatasetId, &'a str)> + Clone,
    ) -> Vec<DatasetChoice> {
        self.datasets
            .iter()
            .map(|r| DatasetChoice {
                from: r.id.clone(),
                to: Self::match_by_name(&r.name, available.clone()),
            })
            .collect()
    }

    /// The dashboard with each reference rebound as `choices` say; a reference without
    /// a choice, or chosen `None`, leaves its widgets unbound. Returns how many widgets
    /// lost their binding.
    pub fn rebind(self, choices: &[DatasetChoice]) -> (Dashboard, usize) {
        let mut dashboard = self.dashboard;
        let mut unbound = 0;
        for widget in &mut dashboard.widgets {
            let Some(binding) = &mut widget.binding else {
                continue;
            };
            match choices.iter().find(|c| c.from == binding.dataset) {
                Some(DatasetChoice { to: Some(to), .. }) => binding.dataset = to.clone(),
                _ => {
                    widget.binding = None;
                    unbound += 1;
                }
            }
        }
        (dashboard, unbound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Binding, Rect, Widget, WidgetId, WidgetKind};

    fn ds(id: &str) -> DatasetId {
        DatasetId::parse(id).unwrap()
    }

    fn sample() -> Dashboard {
        let mut d = Dashboard::new("Sales").unwrap();
        for (i, dataset) in ["a", "b", "a"].into_iter().enumerate() {
            let mut w = Widget::new(
                WidgetId::parse(format!("w{i}")).unwrap(),
                Rect {
                    x: 100 * i as i32,
                    y: 0,
                    w: 100,
                    h: 100,
                },
                WidgetKind::Kpi(Default::default()),
            );
            w.binding = Some(Binding::new(ds(dataset)));
            d.widgets.push(w);
        }
        d
    }

    fn names(id: &DatasetId) -> Option<String> {
        match id.as_str() {
            "a" => Some("Orders".into()),
            "b" => Some("Tickets".into()),
            _ => None,
        }
    }

    #[test]
    fn an_export_reads_back_whole_and_names_its_datasets() {
        let text = Exported::new(sample(), names).to_json(1_000);
        let raw: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(raw["kind"], EXPORT_KIND);
        assert_eq!(raw["datasets"][0]["name"], "Orders");
        let back = Exported::parse(&text).unwrap();
        assert_eq!(back.dashboard, sample());
        assert_eq!(
            back.datasets
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>(),
            ["Orders", "Tickets"]
        );
    }

    #[test]
    fn a_bad_document_is_refused_naming_the_field() {
        let text = Exported::new(sample(), names).to_json(0);
        let mut raw: Value = serde_json::from_str(&text).unwrap();
        raw["widgets"][2]["rect"]["w"] = json("\"wide\"");
        let err = Exported::parse(&raw.to_string()).unwrap_err();
        assert_eq!(err.field, "widgets[2].rect.w", "{err}");

        let mut raw: Value = serde_json::from_str(&text).unwrap();
        raw["widgets"][1]["rect"]["w"] = json("0");
        let err = Exported::parse(&raw.to_string()).unwrap_err();
        assert!(err.field.starts_with("widgets[1].rect"), "{err}");

        let mut raw: Value = serde_json::from_str(&text).unwrap();
        raw["kind"] = json("\"wallboard.widgets\"");
        assert_eq!(Exported::parse(&raw.to_string()).unwrap_err().field, "kind");

        let mut raw: Value = serde_json::from_str(&text).unwrap();
        raw["datasets"] = json("[{\"id\": \"a\"}]");
        assert!(Exported::parse(&raw.to_string())
            .unwrap_err()
            .field
            .starts_with("datasets[0]"));

        let mut raw: Value = serde_json::from_str(&text).unwrap();
        raw["datasets"] = json("[{\"id\": \"a\", \"name\": \"Orders\"}]");
        assert_eq!(
            Exported::parse(&raw.to_string()).unwrap_err().field,
            "widgets[1].binding.dataset"
        );

        assert_eq!(Exported::parse("{nope").unwrap_err().field, "");
        assert_eq!(Exported::parse("[1]").unwrap_err().field, "");
        let huge = format!("\"{}\"", "x".repeat(MAX_IMPORT_BYTES));
        assert!(Exported::parse(&huge)
            .unwrap_err()
            .message
            .contains("at most"));
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(Exported::parse(&deep).unwrap_err().field, "");
    }

    fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn an_import_rebinds_by_choice_and_unbinds_the_rest() {
        let exported = Exported::parse(&Exported::new(sample(), names).to_json(0)).unwrap();
        let choices = [DatasetChoice {
            from: ds("a"),
            to: Some(ds("x")),
        }];
        let (d, unbound) = exported.rebind(&choices);
        assert_eq!(unbound, 1);
        let bound: Vec<Option<&str>> = d
            .widgets
            .iter()
            .map(|w| w.binding.as_ref().map(|b| b.dataset.as_str()))
            .collect();
        assert_eq!(bound, [Some("x"), None, Some("x")]);
    }

    #[test]
    fn a_name_matches_only_when_one_dataset_has_it() {
        let (a, b, c) = (ds("a"), ds("b"), ds("c"));
        let available = [(&a, "Orders"), (&b, "Tickets"), (&c, "Tickets")];
        assert_eq!(
            Exported::match_by_name("Orders", available),
            Some(a.clone())
        );
        assert_eq!(Exported::match_by_name("Tickets", available), None);
        assert_eq!(Exported::match_by_name("Nope", available), None);
    }
}
