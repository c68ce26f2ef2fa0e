//! Upgrades stored dashboard documents to the current schema before they are parsed:
//! every reader (storage, the save API) goes through `upgrade`, so a dashboard saved by
//! any earlier release loads and shows what it showed before.

use super::{Invalid, SCHEMA_VERSION};
use serde_json::{json, Map, Value};

/// `doc` at the current schema version. Documents already current, and documents too
/// malformed to upgrade, pass through unchanged: parsing then names what is wrong.
pub fn upgrade(mut doc: Value) -> Result<Value, Invalid> {
    let Some(version) = doc.get("schema_version").and_then(Value::as_u64) else {
        return Ok(doc);
    };
    if version > u64::from(SCHEMA_VERSION) || version == 0 {
        return Ok(doc);
    }
    if version == 1 {
        v1_to_v2(&mut doc);
    }
    Ok(doc)
}

/// Version 1 had one kind, the KPI, with title, unit and decimals in its props, and a
/// binding of one field read from the last row. Version 2 moves title and number
/// format to the shared `look`, and binds fields to named slots with an explicit row.
fn v1_to_v2(doc: &mut Value) {
    if let Some(widgets) = doc.get_mut("widgets").and_then(Value::as_array_mut) {
        for widget in widgets.iter_mut().filter_map(Value::as_object_mut) {
            kpi_v1_to_v2(widget);
        }
    }
    doc["schema_version"] = json!(2);
}

fn kpi_v1_to_v2(widget: &mut Map<String, Value>) {
    if widget.get("kind").and_then(Value::as_str) != Some("kpi") {
        return;
    }
    let props = widget.remove("props").unwrap_or_else(|| json!({}));
    let title = props.get("title").cloned().unwrap_or_else(|| json!(""));
    let unit = props
        .get("unit")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let decimals = props.get("decimals").cloned().unwrap_or_else(|| json!(0));
    // Version 1 wrote the unit after a space: `12.5 %`.
    let suffix = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    widget.insert("props".into(), json!({}));
    widget.insert(
        "look".into(),
        json!({ "title": title, "format": { "decimals": decimals, "suffix": suffix } }),
    );
    if let Some(binding) = widget.get_mut("binding").and_then(Value::as_object_mut) {
        if let Some(field) = binding.remove("field") {
            binding.insert("slots".into(), json!({ "value": [field] }));
            binding.insert("row".into(), json!({ "pick": "last" }));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Dashboard, DatasetId, Frame, RowPick, WidgetKind};
    use serde_json::json;

    /// A dashboard exactly as the release before widget kinds saved it.
    const SAVED_BY_V1: &str = r#"{"schema_version":1,"name":"Operations (demo)",
        "resolution":{"width":1920,"height":1080},"theme":"dark","widgets":[
        {"id":"w1","rect":{"x":80,"y":80,"w":860,"h":440},"kind":"kpi",
         "props":{"title":"Revenue today","unit":"€","decimals":2},
         "binding":{"dataset":"ds-1","field":"value"}},
        {"id":"w2","rect":{"x":980,"y":80,"w":860,"h":440},"kind":"kpi",
         "props":{"title":"Unbound","unit":"","decimals":0}}]}"#;

    #[test]
    fn a_dashboard_saved_by_version_1_loads_and_shows_the_same_value() {
        let d = Dashboard::from_json(SAVED_BY_V1).expect("version 1 loads");
        assert_eq!(d.schema_version, 2);
        let w = &d.widgets[0];
        assert!(matches!(w.kind, WidgetKind::Kpi(_)));
        assert_eq!(w.look.title, "Revenue today");
        let b = w.binding.as_ref().unwrap();
        assert_eq!(b.dataset, DatasetId::parse("ds-1").unwrap());
        assert_eq!(b.field("value"), Some("value"));
        assert_eq!(b.row, RowPick::Last);
        // Version 1 showed the last row's value, grouped, with its decimals and unit.
        let mut f = Frame::empty(b.dataset.clone());
        f.rows = vec![
            json!({"value": 1.0}).as_object().unwrap().clone(),
            json!({"value": 1234.5}).as_object().unwrap().clone(),
        ];
        let (v, _) = f.pick_number(b, "value").unwrap();
        assert_eq!(w.look.format.format(v), "1,234.50 €");
        assert!(d.widgets[1].binding.is_none());
        assert_eq!(d.widgets[1].look.format.format(7.0), "7");
    }

    #[test]
    fn an_upgraded_dashboard_saves_as_the_current_version_and_reads_back() {
        let d = Dashboard::from_json(SAVED_BY_V1).unwrap();
        let text = serde_json::to_string(&d).unwrap();
        assert!(text.contains(r#""schema_version":2"#));
        assert_eq!(Dashboard::from_json(&text).unwrap(), d);
    }

    #[test]
    fn a_version_1_document_sent_to_the_save_api_is_upgraded_too() {
        let doc: crate::model::Document<Dashboard> = serde_json::from_str(SAVED_BY_V1).unwrap();
        assert_eq!(doc.into_inner().unwrap().widgets.len(), 2);
    }
}
