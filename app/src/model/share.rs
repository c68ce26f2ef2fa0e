//! What a share page may see of a dashboard's data: the fields its widgets bind, of
//! the datasets they bind, and of a failing source only that it is unavailable and
//! since when (no host, no database message, no URL).
//!
//! A [`SharedView`] is made from the dashboard; [`Projection::frame`] is the one place
//! a frame is cut down for a share page. The share page's first HTML and its live
//! stream both go through it.

use super::{Append, Dashboard, DatasetId, Frame, Row};
use std::sync::Arc;

/// The fields a share page receives of one dataset: those some widget binds, sorted,
/// or every field when a widget shows them all (a table with no columns chosen).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Projection {
    fields: Arc<[String]>,
    every: bool,
}

impl Projection {
    pub fn new(fields: impl IntoIterator<Item = String>) -> Self {
        let mut fields: Vec<String> = fields.into_iter().collect();
        fields.sort();
        fields.dedup();
        Self {
            fields: fields.into(),
            every: false,
        }
    }

    /// Every field of the dataset's rows.
    pub fn every() -> Self {
        Self {
            fields: Arc::new([]),
            every: true,
        }
    }

    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    pub fn is_every(&self) -> bool {
        self.every
    }

    /// `row` with the bound fields only (a field the row lacks stays absent).
    pub fn row(&self, row: &Row) -> Row {
        if self.every {
            return row.clone();
        }
        let mut out = Row::new();
        for field in self.fields.iter() {
            if let Some(value) = row.get(field) {
                out.insert(field.clone(), value.clone());
            }
        }
        out
    }

    /// `batch` with the bound fields only (and every row).
    pub fn batch(&self, batch: &crate::pipeline::Batch) -> crate::pipeline::Batch {
        if self.every {
            return batch.clone();
        }
        let mut out = crate::pipeline::Batch::with_len(batch.len());
        for field in self.fields.iter() {
            if let Some(column) = batch.column(field) {
                out.set(field, column.clone());
            }
        }
        out
    }

    /// The frame a share page receives: the bound fields of each row, and in place of
    /// the refresh error a generic "source unavailable since …".
    pub fn frame(&self, frame: &Frame) -> Frame {
        Frame {
            dataset: frame.dataset.clone(),
            seq: frame.seq,
            rows: frame.rows.iter().map(|r| self.row(r)).collect(),
            updated_at_ms: frame.updated_at_ms,
            error: frame
                .error
                .as_ref()
                .map(|_| unavailable_since(frame.updated_at_ms)),
            lineage: frame.lineage,
        }
    }

    /// The append a share page receives when `frame` was reached by adding its last
    /// `added` rows and dropping `drop` of the oldest.
    pub fn append(&self, frame: &Frame, drop: usize, added: usize) -> Append {
        let from = frame.rows.len().saturating_sub(added);
        Append {
            dataset: frame.dataset.clone(),
            seq: frame.seq,
            drop,
            rows: frame.rows[from..].iter().map(|r| self.row(r)).collect(),
            updated_at_ms: frame.updated_at_ms,
        }
    }
}

/// What a share page says of a source whose last refresh failed, whatever the cause:
/// since when its data is stale (its last good refresh, in UTC), and nothing else.
pub fn unavailable_since(updated_at_ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(updated_at_ms).filter(|_| updated_at_ms > 0) {
        Some(at) => format!(
            "source unavailable since {}",
            at.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        None => "source unavailable".to_string(),
    }
}

/// The datasets a shared dashboard's widgets bind, each with its bound fields, in
/// widget order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SharedView {
    datasets: Vec<(DatasetId, Projection)>,
}

impl SharedView {
    pub fn of(dashboard: &Dashboard) -> Self {
        Self::of_all([dashboard])
    }

    /// What the widgets of all `dashboards` bind (a playlist's slides).
    pub fn of_all<'a>(dashboards: impl IntoIterator<Item = &'a Dashboard>) -> Self {
        let mut bound: Vec<(DatasetId, Vec<String>, bool)> = Vec::new();
        for widget in dashboards.into_iter().flat_map(|d| &d.widgets) {
            let Some(binding) = &widget.binding else {
                continue;
            };
            let used = binding.used_fields();
            let every = binding.shows_every_field(widget.kind.slots());
            match bound.iter_mut().find(|(id, ..)| id == &binding.dataset) {
                Some((_, fields, all)) => {
                    fields.extend(used);
                    *all |= every;
                }
                None => bound.push((binding.dataset.clone(), used, every)),
            }
        }
        Self {
            datasets: bound
                .into_iter()
                .map(|(id, fields, every)| {
                    let projection = if every {
                        Projection::every()
                    } else {
                        Projection::new(fields)
                    };
                    (id, projection)
                })
                .collect(),
        }
    }

    /// The bound datasets, in widget order.
    pub fn datasets(&self) -> Vec<DatasetId> {
        self.datasets.iter().map(|(id, _)| id.clone()).collect()
    }

    /// The projection of dataset `id`; `None` if no widget binds it.
    pub fn projection(&self, id: &DatasetId) -> Option<&Projection> {
        self.datasets
            .iter()
            .find_map(|(bound, p)| (bound == id).then_some(p))
    }

    /// `frame` as a share page receives it; `None` if no widget binds its dataset.
    pub fn frame(&self, frame: &Frame) -> Option<Frame> {
        self.projection(&frame.dataset).map(|p| p.frame(frame))
    }

    /// A short fingerprint of the view (16 hex digits), the same on every instance and
    /// build: a stream resumes only from a point made under the same view.
    pub fn tag(&self) -> String {
        // FNV-1a over the datasets and fields, each followed by a separator byte that
        // no id or field name holds.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes.iter().chain([&0u8]) {
                hash ^= u64::from(*b);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        for (id, projection) in &self.datasets {
            eat(id.as_str().as_bytes());
            for field in projection.fields() {
                eat(field.as_bytes());
            }
            if projection.is_every() {
                eat(b"\x02");
            }
            eat(b"\x01");
        }
        format!("{hash:016x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Binding, Rect, Widget, WidgetId, WidgetKind};
    use serde_json::json;

    fn kpi(id: &str, dataset: &str, field: &str) -> Widget {
        let rect = Rect {
            x: 0,
            y: 0,
            w: 100,
            h: 100,
        };
        let mut w = Widget::new(
            WidgetId::parse(id).unwrap(),
            rect,
            WidgetKind::Kpi(Default::default()),
        );
        let mut b = Binding::new(DatasetId::parse(dataset).unwrap());
        b.set("value", vec![field.into()]);
        w.binding = Some(b);
        w
    }

    fn dashboard(widgets: Vec<Widget>) -> Dashboard {
        let mut d = Dashboard::new("shared").unwrap();
        d.widgets = widgets;
        d
    }

    fn frame(dataset: &str, rows: serde_json::Value) -> Frame {
        Frame::new(
            DatasetId::parse(dataset).unwrap(),
            3,
            rows.as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_object().unwrap().clone())
                .collect(),
            1_700_000_000_000,
        )
    }

    #[test]
    fn a_shared_frame_keeps_only_the_bound_fields_of_bound_datasets() {
        let view = SharedView::of(&dashboard(vec![
            kpi("w1", "a", "value"),
            kpi("w2", "a", "count"),
            kpi("w3", "b", "value"),
            kpi("w4", "a", "value"),
        ]));
        assert_eq!(view.datasets().len(), 2);
        let full = frame(
            "a",
            json!([{"value": 1, "count": 2, "secret_note": "x"}, {"secret_note": "y"}]),
        );
        let shared = view.frame(&full).unwrap();
        assert_eq!(
            serde_json::to_value(&shared.rows).unwrap(),
            json!([{"count": 2, "value": 1}, {}])
        );
        assert_eq!(
            (shared.seq, shared.updated_at_ms),
            (full.seq, full.updated_at_ms)
        );
        assert!(view.frame(&frame("c", json!([{"value": 1}]))).is_none());
    }

    #[test]
    fn a_table_without_chosen_columns_shares_every_field_it_shows() {
        let mut table = kpi("w2", "a", "value");
        table.kind = WidgetKind::Table(Default::default());
        table.binding = Some(Binding::new(DatasetId::parse("a").unwrap()));
        let kpis_only = SharedView::of(&dashboard(vec![kpi("w1", "a", "value")]));
        let with_table = SharedView::of(&dashboard(vec![kpi("w1", "a", "value"), table]));
        let full = frame("a", json!([{"value": 1, "host": "x"}]));
        assert_eq!(
            serde_json::to_value(&with_table.frame(&full).unwrap().rows).unwrap(),
            json!([{"value": 1, "host": "x"}]),
            "the table shows every column, so the share page receives them"
        );
        assert_eq!(
            serde_json::to_value(&kpis_only.frame(&full).unwrap().rows).unwrap(),
            json!([{"value": 1}])
        );
        assert_ne!(
            kpis_only.tag(),
            with_table.tag(),
            "a stream resumes under its own view"
        );
    }

    #[test]
    fn a_shared_error_says_only_since_when_the_source_is_unavailable() {
        let view = SharedView::of(&dashboard(vec![kpi("w1", "a", "value")]));
        let mut failing = frame("a", json!([{"value": 1}]));
        failing.error =
            Some("cannot reach db.internal:5432: password authentication failed".into());
        let shared = view.frame(&failing).unwrap();
        assert_eq!(
            shared.error.as_deref(),
            Some("source unavailable since 2023-11-14 22:13:20 UTC")
        );
        failing.updated_at_ms = 0;
        assert_eq!(
            view.frame(&failing).unwrap().error.as_deref(),
            Some("source unavailable")
        );
    }

    #[test]
    fn a_shared_append_carries_the_added_rows_cut_down() {
        let p = Projection::new(["value".to_string()]);
        let full = frame("a", json!([{"value": 1, "s": 1}, {"value": 2, "s": 2}]));
        let append = p.append(&full, 1, 1);
        assert_eq!(append.drop, 1);
        assert_eq!(
            serde_json::to_value(&append.rows).unwrap(),
            json!([{"value": 2}])
        );
        // Applied to the shared frame before, it gives the shared frame after.
        let before = Frame {
            seq: 2,
            rows: vec![p.row(&full.rows[0]), p.row(&full.rows[0])],
            ..p.frame(&full)
        };
        assert_eq!(before.after(&append).unwrap(), p.frame(&full));
    }

    #[test]
    fn the_tag_changes_with_the_bound_datasets_and_fields_only() {
        let one = SharedView::of(&dashboard(vec![kpi("w1", "a", "value")]));
        let same = SharedView::of(&dashboard(vec![
            kpi("w7", "a", "value"),
            kpi("w8", "a", "value"),
        ]));
        let other_field = SharedView::of(&dashboard(vec![kpi("w1", "a", "count")]));
        let other_dataset = SharedView::of(&dashboard(vec![kpi("w1", "b", "value")]));
        assert_eq!(one, same);
        assert_eq!(one.tag(), same.tag());
        assert_eq!(one.tag().len(), 16);
        assert_ne!(one.tag(), other_field.tag());
        assert_ne!(one.tag(), other_dataset.tag());
        assert_ne!(one.tag(), SharedView::default().tag());
    }
}
