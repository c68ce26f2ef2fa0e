//! Copying and pasting widgets through the system clipboard as a small JSON document,
//! so it works within a dashboard, between dashboards and between browser tabs.
//! Duplicating is a copy and a paste in one step.

use super::{Dashboard, DatasetId, Invalid, Widget, WidgetId, GRID, MAX_WIDGETS, SCHEMA_VERSION};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What `kind` says in a clip: tells copied widgets from any other text.
pub const CLIP_KIND: &str = "wallboard.widgets";
/// The largest clipboard text read as a clip.
pub const MAX_CLIP_BYTES: usize = 2 * 1024 * 1024;

/// Widgets on their way through the clipboard, back to front.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    pub kind: String,
    pub schema_version: u32,
    pub widgets: Vec<Widget>,
}

/// What a paste did.
#[derive(Debug, Clone, PartialEq)]
pub struct Pasted {
    /// The new widgets' ids, to select them.
    pub ids: Vec<WidgetId>,
    /// Widgets whose dataset this workspace does not have: pasted unbound.
    pub unbound: usize,
}

impl Clip {
    /// The widgets of `dashboard` whose ids are in `ids`, in stacking order.
    pub fn of(dashboard: &Dashboard, ids: &[WidgetId]) -> Self {
        Self {
            kind: CLIP_KIND.into(),
            schema_version: SCHEMA_VERSION,
            widgets: dashboard
                .widgets
                .iter()
                .filter(|w| ids.contains(&w.id))
                .cloned()
                .collect(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads clipboard text: `Ok(None)` when it is not a clip at all (any other copied
    /// text), an error naming the bad field when it is a clip that cannot be used.
    /// Clips from an earlier schema are upgraded like stored dashboards.
    pub fn parse(text: &str) -> Result<Option<Self>, Invalid> {
        if text.len() > MAX_CLIP_BYTES {
            return Err(Invalid::new(
                "",
                format!(
                    "the clipboard holds {} bytes; pasted widgets are at most {MAX_CLIP_BYTES}",
                    text.len()
                ),
            ));
        }
        let Ok(raw) = serde_json::from_str::<Value>(text) else {
            return Ok(None);
        };
        if raw.get("kind").and_then(Value::as_str) != Some(CLIP_KIND) {
            return Ok(None);
        }
        // Upgraded as the widgets of a dashboard, so old clips read like old dashboards.
        let as_dashboard = serde_json::json!({
            "schema_version": raw.get("schema_version").cloned().unwrap_or(Value::Null),
            "widgets": raw.get("widgets").cloned().unwrap_or(Value::Null),
        });
        let upgraded = super::migrate::upgrade(as_dashboard)?;
        let mut clip = raw;
        clip["schema_version"] = upgraded["schema_version"].clone();
        clip["widgets"] = upgraded["widgets"].clone();
        let clip: Self =
            serde_path_to_error::deserialize(clip).map_err(super::validation::located)?;
        if clip.schema_version != SCHEMA_VERSION {
            return Err(Invalid::new(
                "schema_version",
                format!(
                    "widgets copied from schema version {} cannot be pasted here (version {SCHEMA_VERSION})",
                    clip.schema_version
                ),
            ));
        }
        Ok(Some(clip))
    }

    /// Adds the clip's widgets to `dashboard` with fresh ids, moved down and right by
    /// two grid steps as often as needed not to land exactly on a widget already there,
    /// and kept on the canvas. Bindings to datasets `known` does not accept are dropped.
    /// Every widget is checked before any is added: an error leaves the dashboard as it
    /// was and names the bad one (`widgets[2].rect.w`).
    pub fn paste_into(
        self,
        dashboard: &mut Dashboard,
        known: impl Fn(&DatasetId) -> bool,
    ) -> Result<Pasted, Invalid> {
        if dashboard.widgets.len() + self.widgets.len() > MAX_WIDGETS {
            return Err(Invalid::new(
                "widgets",
                format!(
                    "pasting {} widgets would pass the {MAX_WIDGETS} a dashboard holds",
                    self.widgets.len()
                ),
            ));
        }
        let taken = |x: i32, y: i32| {
            dashboard
                .widgets
                .iter()
                .any(|w| w.rect.x == x && w.rect.y == y)
        };
        let step = 2 * GRID;
        let shift = (0..50)
            .find(|k| {
                !self
                    .widgets
                    .iter()
                    .any(|w| taken(w.rect.x + k * step, w.rect.y + k * step))
            })
            .unwrap_or(0)
            * step;
        let mut scratch = dashboard.clone();
        let mut ids = Vec::new();
        let mut unbound = 0;
        for (i, mut widget) in self.widgets.into_iter().enumerate() {
            widget.id = scratch.next_widget_id();
            widget.rect.x += shift;
            widget.rect.y += shift;
            widget.rect = widget.rect.keep_inside(&scratch.resolution);
            if widget.binding.as_ref().is_some_and(|b| !known(&b.dataset)) {
                widget.binding = None;
                unbound += 1;
            }
            widget
                .validate(&scratch.resolution)
                .map_err(|e| e.within(&format!("widgets[{i}]")))?;
            ids.push(widget.id.clone());
            scratch.widgets.push(widget);
        }
        *dashboard = scratch;
        Ok(Pasted { ids, unbound })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Binding, Rect, WidgetKind};

    fn board() -> Dashboard {
        let mut d = Dashboard::new("Wall").unwrap();
        for (i, x) in [0, 300].into_iter().enumerate() {
            let id = WidgetId::parse(format!("w{}", i + 1)).unwrap();
            let rect = Rect {
                x,
                y: 100,
                w: 200,
                h: 100,
            };
            d.widgets
                .push(Widget::new(id, rect, WidgetKind::Kpi(Default::default())));
        }
        d
    }

    fn ids(d: &Dashboard) -> Vec<&str> {
        d.widgets.iter().map(|w| w.id.as_str()).collect()
    }

    #[test]
    fn a_copy_pastes_back_with_new_ids_beside_the_original() {
        let mut d = board();
        let text = Clip::of(&d, &[d.widgets[1].id.clone()]).to_json();
        let clip = Clip::parse(&text).unwrap().expect("a clip");
        let pasted = clip.clone().paste_into(&mut d, |_| true).unwrap();
        assert_eq!(ids(&d), ["w1", "w2", "w3"]);
        assert_eq!(pasted.ids[0].as_str(), "w3");
        assert_eq!((d.widgets[2].rect.x, d.widgets[2].rect.y), (320, 120));
        // A second paste does not land on the first.
        clip.paste_into(&mut d, |_| true).unwrap();
        assert_eq!((d.widgets[3].rect.x, d.widgets[3].rect.y), (340, 140));
    }

    #[test]
    fn other_text_is_not_a_clip() {
        assert_eq!(Clip::parse("hello"), Ok(None));
        assert_eq!(Clip::parse("{\"kind\":\"other\"}"), Ok(None));
        assert_eq!(Clip::parse("[1,2]"), Ok(None));
    }

    #[test]
    fn a_broken_clip_names_the_bad_field_and_changes_nothing() {
        let d = board();
        let mut raw: Value = serde_json::from_str(&Clip::of(&d, &[]).to_json()).unwrap();
        let mut widget = serde_json::to_value(&d.widgets[0]).unwrap();
        widget["rect"]["w"] = serde_json::json!("wide");
        raw["widgets"] = serde_json::json!([widget]);
        let err = Clip::parse(&raw.to_string()).unwrap_err();
        assert!(err.field.starts_with("widgets[0].rect.w"), "{err}");

        // A widget that parses but is invalid is refused before anything is added.
        let mut d = board();
        let mut clip = Clip::of(&d, &[d.widgets[0].id.clone()]);
        clip.widgets.push(clip.widgets[0].clone());
        clip.widgets[1].look.title = "x".repeat(500);
        let before = d.clone();
        let err = clip.paste_into(&mut d, |_| true).unwrap_err();
        assert_eq!(err.field, "widgets[1].look.title");
        assert_eq!(d, before);
    }

    #[test]
    fn an_oversized_clip_is_refused_and_too_many_widgets_are_refused() {
        let big = "x".repeat(MAX_CLIP_BYTES + 1);
        assert!(Clip::parse(&big).is_err());
        let mut d = board();
        let mut clip = Clip::of(&d, &[d.widgets[0].id.clone()]);
        clip.widgets = vec![clip.widgets[0].clone(); MAX_WIDGETS];
        let err = clip.paste_into(&mut d, |_| true).unwrap_err();
        assert_eq!(err.field, "widgets");
        assert_eq!(d.widgets.len(), 2);
    }

    #[test]
    fn a_binding_to_an_unknown_dataset_is_dropped() {
        let mut d = board();
        let dataset = DatasetId::parse("elsewhere").unwrap();
        d.widgets[0].binding = Some(Binding::new(dataset));
        let clip = Clip::of(&d, &[d.widgets[0].id.clone()]);
        let pasted = clip.paste_into(&mut d, |_| false).unwrap();
        assert_eq!(pasted.unbound, 1);
        assert!(d.widgets[2].binding.is_none());
    }

    #[test]
    fn a_clip_keeps_the_stacking_order_and_an_old_schema_is_upgraded() {
        let d = board();
        let clip = Clip::of(&d, &[d.widgets[1].id.clone(), d.widgets[0].id.clone()]);
        assert_eq!(clip.widgets[0].id.as_str(), "w1");
        let old = serde_json::json!({
            "kind": CLIP_KIND,
            "schema_version": 1,
            "widgets": [{"id": "a", "rect": {"x": 0, "y": 0, "w": 100, "h": 100},
                         "kind": "kpi", "props": {"title": "Old", "unit": "", "decimals": 0}}]
        });
        let clip = Clip::parse(&old.to_string()).unwrap().unwrap();
        assert_eq!(clip.widgets[0].look.title, "Old");
    }
}
