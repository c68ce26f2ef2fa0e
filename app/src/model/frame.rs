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
}

impl Frame {
    pub fn empty(dataset: DatasetId) -> Self {
        Self {
            dataset,
            seq: 0,
            rows: Vec::new(),
            updated_at_ms: 0,
            error: None,
        }
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

/// What the live stream sends, as server-sent events named by `event_name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// The current frames of every dataset the stream carries; sent first.
    Snapshot { frames: Vec<Frame> },
    /// One dataset changed.
    Frame { frame: Frame },
}

impl LiveEvent {
    pub fn event_name(&self) -> &'static str {
        match self {
            LiveEvent::Snapshot { .. } => "snapshot",
            LiveEvent::Frame { .. } => "frame",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
