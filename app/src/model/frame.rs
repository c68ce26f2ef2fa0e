//! Live data: the latest frame of a dataset and the messages the live stream carries.

use super::{DatasetId, Row};
use serde::{Deserialize, Serialize};

/// The latest data of one dataset, with the state of its last refresh.
///
/// `rows` always hold the last *good* data: a failed refresh sets `error` and keeps
/// the rows, so screens keep showing the last good value next to the error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub dataset: DatasetId,
    /// Increases with every change of this frame; lets screens drop stale messages.
    pub seq: u64,
    pub rows: Vec<Row>,
    /// When `rows` were last refreshed successfully (Unix ms); 0 if never.
    pub updated_at_ms: i64,
    /// Why the last refresh failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where these rows come from, for views that keep work per row between frames.
    #[serde(skip)]
    pub lineage: Lineage,
}

/// A frame's rows as one history: every frame made or read starts a new lineage, and
/// appends applied in place keep it, counting the rows they dropped. A view that read
/// rows of lineage `id` up to absolute row `n` needs to read only the rows after `n`
/// of a later frame of the same lineage.
///
/// It takes no part in equality: two frames with the same rows are equal whatever
/// their history.
#[derive(Debug, Clone, Copy)]
pub struct Lineage {
    pub id: u64,
    /// The absolute index of `rows[0]`: how many rows appends have dropped.
    pub first: u64,
}

impl Default for Lineage {
    fn default() -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            first: 0,
        }
    }
}

impl PartialEq for Lineage {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Frame {
    pub fn empty(dataset: DatasetId) -> Self {
        Self::new(dataset, 0, Vec::new(), 0)
    }

    pub fn new(dataset: DatasetId, seq: u64, rows: Vec<Row>, updated_at_ms: i64) -> Self {
        Self {
            dataset,
            seq,
            rows,
            updated_at_ms,
            error: None,
            lineage: Lineage::default(),
        }
    }

    /// This frame after `append`, if `append` follows it directly (its `seq` is one
    /// more); `None` when a change was missed and the whole frame must be fetched.
    pub fn after(&self, append: &Append) -> Option<Frame> {
        if append.seq != self.seq + 1 || append.dataset != self.dataset {
            return None;
        }
        let drop = append.drop.min(self.rows.len());
        let mut rows = Vec::with_capacity(self.rows.len() - drop + append.rows.len());
        rows.extend_from_slice(&self.rows[drop..]);
        rows.extend(append.rows.iter().cloned());
        Some(Frame {
            lineage: Lineage {
                id: self.lineage.id,
                first: self.lineage.first + drop as u64,
            },
            ..Frame::new(self.dataset.clone(), append.seq, rows, append.updated_at_ms)
        })
    }

    /// Applies `append` to this frame in place when it follows it directly (no row is
    /// copied); `false`, and nothing changed, when a change was missed.
    pub fn append_in_place(&mut self, append: &Append) -> bool {
        if append.seq != self.seq + 1 || append.dataset != self.dataset {
            return false;
        }
        let drop = append.drop.min(self.rows.len());
        self.rows.drain(..drop);
        self.lineage.first += drop as u64;
        self.rows.extend(append.rows.iter().cloned());
        self.seq = append.seq;
        self.updated_at_ms = append.updated_at_ms;
        self.error = None;
        true
    }

    /// The number in `field` of the last row, for KPI widgets.
    pub fn number(&self, field: &str) -> Result<f64, String> {
        let row = self.rows.last().ok_or_else(|| "no data yet".to_string())?;
        match row.get(field) {
            Some(serde_json::Value::Number(n)) => n
                .as_f64()
                .ok_or_else(|| format!("field '{field}' is not a finite number")),
            Some(serde_json::Value::Null) => Err(format!("field '{field}' is empty")),
            Some(other) => Err(format!("field '{field}' is not a number: {other}")),
            None => Err(format!("the dataset has no field '{field}'")),
        }
    }
}

/// A change to a frame that only adds rows (and drops the oldest): what a push to an
/// append dataset sends instead of the whole frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Append {
    pub dataset: DatasetId,
    /// The frame's `seq` after this change; it applies to the frame of `seq - 1` only.
    pub seq: u64,
    /// How many of the oldest rows go.
    pub drop: usize,
    /// The rows added after the rest.
    pub rows: Vec<Row>,
    pub updated_at_ms: i64,
}

/// What the live stream sends, as server-sent events named by `event_name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// The current frames of the datasets the stream carries; sent first. After a
    /// resume (`Last-Event-ID`) it holds only the frames that changed meanwhile.
    Snapshot { frames: Vec<Frame> },
    /// One dataset changed: its whole frame.
    Frame { frame: Frame },
    /// Rows were added to one dataset.
    Append(Append),
    /// The server is going away: open a new stream now (to another instance).
    Reconnect,
    /// What the page shows changed (the dashboard was published): load it again. The
    /// stream ends; the page's new layout opens its own.
    Layout,
    /// An editor asked this screen to reload its page.
    Reload,
}

impl LiveEvent {
    pub fn event_name(&self) -> &'static str {
        match self {
            LiveEvent::Snapshot { .. } => "snapshot",
            LiveEvent::Frame { .. } => "frame",
            LiveEvent::Append(_) => "append",
            LiveEvent::Reconnect => "reconnect",
            LiveEvent::Layout => "layout",
            LiveEvent::Reload => "reload",
        }
    }

    /// Reads the message of the event named `name` (its [`LiveEvent::event_name`])
    /// straight into its variant. Deserializing `LiveEvent` itself would first read
    /// the whole message into serde's intermediate tree to find its `type` (an
    /// internally tagged enum), which doubles the work of every append a screen
    /// receives; the event name already says which variant it is.
    pub fn read(name: &str, data: &str) -> Result<LiveEvent, String> {
        #[derive(Deserialize)]
        struct Frames {
            frames: Vec<Frame>,
        }
        #[derive(Deserialize)]
        struct One {
            frame: Frame,
        }
        let event = match name {
            "snapshot" => serde_json::from_str::<Frames>(data)
                .map(|f| LiveEvent::Snapshot { frames: f.frames }),
            "frame" => {
                serde_json::from_str::<One>(data).map(|f| LiveEvent::Frame { frame: f.frame })
            }
            "append" => serde_json::from_str::<Append>(data).map(LiveEvent::Append),
            "reconnect" => Ok(LiveEvent::Reconnect),
            "layout" => Ok(LiveEvent::Layout),
            "reload" => Ok(LiveEvent::Reload),
            other => return Err(format!("an event named '{other}' is not a live event")),
        };
        event.map_err(|e| format!("{name}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_event_reads_back_by_its_name_as_it_was_written() {
        let frame = Frame::new(
            DatasetId::parse("d").unwrap(),
            3,
            vec![json!({"v": 1, "t": "x"}).as_object().unwrap().clone()],
            7,
        );
        let events = [
            LiveEvent::Snapshot {
                frames: vec![frame.clone(), Frame::empty(DatasetId::parse("e").unwrap())],
            },
            LiveEvent::Frame {
                frame: frame.clone(),
            },
            LiveEvent::Append(Append {
                dataset: frame.dataset.clone(),
                seq: 4,
                drop: 1,
                rows: frame.rows.clone(),
                updated_at_ms: 8,
            }),
            LiveEvent::Reconnect,
            LiveEvent::Layout,
            LiveEvent::Reload,
        ];
        for event in events {
            let data = serde_json::to_string(&event).unwrap();
            assert_eq!(
                LiveEvent::read(event.event_name(), &data),
                Ok(event.clone())
            );
            assert_eq!(serde_json::from_str::<LiveEvent>(&data).unwrap(), event);
        }
        assert!(LiveEvent::read("append", r#"{"type":"append"}"#)
            .unwrap_err()
            .starts_with("append: missing field"));
        assert_eq!(
            LiveEvent::read("nope", "{}").unwrap_err(),
            "an event named 'nope' is not a live event"
        );
    }

    #[test]
    fn the_number_of_a_kpi_is_read_from_the_last_row() {
        let mut f = Frame::empty(DatasetId::parse("d").unwrap());
        assert_eq!(f.number("v").unwrap_err(), "no data yet");
        f.rows.push(json!({"v": 1}).as_object().unwrap().clone());
        f.rows
            .push(json!({"v": 2.5, "t": "x"}).as_object().unwrap().clone());
        assert_eq!(f.number("v").unwrap(), 2.5);
        assert!(f.number("t").unwrap_err().contains("not a number"));
        assert!(f.number("zz").unwrap_err().contains("no field"));
    }

    fn row(v: i64) -> Row {
        json!({ "v": v }).as_object().unwrap().clone()
    }

    #[test]
    fn an_append_applies_only_to_the_frame_before_it() {
        let mut f = Frame::empty(DatasetId::parse("d").unwrap());
        f.seq = 4;
        f.rows = vec![row(1), row(2), row(3)];
        let append = Append {
            dataset: f.dataset.clone(),
            seq: 5,
            drop: 2,
            rows: vec![row(4)],
            updated_at_ms: 9,
        };
        let next = f.after(&append).unwrap();
        assert_eq!(next.rows, vec![row(3), row(4)]);
        assert_eq!((next.seq, next.updated_at_ms), (5, 9));
        assert!(
            next.after(&append).is_none(),
            "a repeated append is refused"
        );
        let mut in_place = f.clone();
        assert!(in_place.append_in_place(&append));
        assert_eq!(in_place, next, "in place and copied appends agree");
        for appended in [&in_place, &next] {
            assert_eq!(appended.lineage.id, f.lineage.id, "one history");
            assert_eq!(appended.lineage.first, 2, "two rows dropped");
        }
        assert_ne!(
            Frame::empty(f.dataset.clone()).lineage.id,
            f.lineage.id,
            "a new frame starts a new history"
        );
        assert!(
            !in_place.append_in_place(&append),
            "a repeated append is refused"
        );
        assert_eq!(in_place, next, "and changes nothing");
        let gap = Append { seq: 7, ..append };
        assert!(
            next.after(&gap).is_none(),
            "an append after a gap is refused"
        );
    }

    #[test]
    fn an_append_event_is_tagged_like_the_others() {
        let event = LiveEvent::Append(Append {
            dataset: DatasetId::parse("d").unwrap(),
            seq: 1,
            drop: 0,
            rows: vec![row(1)],
            updated_at_ms: 2,
        });
        let text = serde_json::to_string(&event).unwrap();
        assert!(
            text.starts_with(r#"{"type":"append","dataset":"d""#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<LiveEvent>(&text).unwrap(), event);
        assert_eq!(
            serde_json::to_string(&LiveEvent::Reconnect).unwrap(),
            r#"{"type":"reconnect"}"#
        );
    }
}
