//! The "connect data" form shared by every polled source type, and what testing it
//! shows: the source's first rows, the rows after the pipeline, each step's report.

use super::{Field, Invalid, JsonPathExpr, RefreshInterval, Row, SourceConfig};
use crate::pipeline::{Pipeline, StepReport};
use serde::{Deserialize, Serialize};

/// A new dataset over a new source. Credentials in `source` are as typed; the server
/// seals them before storing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetForm {
    pub name: String,
    pub source: SourceConfig,
    /// JSON answers: the JSONPath to the rows (default `$`, the whole answer).
    #[serde(default)]
    pub path: String,
    pub refresh_ms: u64,
    #[serde(default)]
    pub always_refresh: bool,
    #[serde(default)]
    pub pipeline: Pipeline,
    /// Seconds after the last update when screens mark its widgets stale (`None`: a
    /// few refresh intervals).
    #[serde(default)]
    pub stale_after_secs: Option<u32>,
}

impl DatasetForm {
    /// Checks the form; returns the path and the interval.
    pub fn parse(&self) -> Result<(JsonPathExpr, RefreshInterval), Invalid> {
        if self.name.trim().is_empty() || self.name.chars().count() > 120 {
            return Err(Invalid::new("name", "a name is 1 to 120 characters"));
        }
        if matches!(self.source, SourceConfig::Push(_)) {
            return Err(Invalid::new(
                "source",
                "pushed datasets are made with their own form",
            ));
        }
        self.source.validate().map_err(|e| e.within("source"))?;
        let path = if self.path.trim().is_empty() {
            "$"
        } else {
            self.path.as_str()
        };
        let path = JsonPathExpr::parse(path).map_err(|e| e.within("path"))?;
        let refresh =
            RefreshInterval::from_millis(self.refresh_ms).map_err(|e| e.within("refresh_ms"))?;
        super::source::validate_stale_after(self.stale_after_secs)?;
        if self.pipeline.steps.len() > 50 {
            return Err(Invalid::new("pipeline", "a pipeline has at most 50 steps"));
        }
        Ok((path, refresh))
    }
}

/// What "Test" shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    /// The source's first rows before the pipeline (the editor re-runs the pipeline on
    /// these to preview each step as it is edited).
    pub sample: Vec<Row>,
    /// Rows the source gave in all.
    pub source_rows: usize,
    /// The first rows after the pipeline.
    pub rows: Vec<Row>,
    /// Rows after the pipeline in all.
    pub total_rows: usize,
    /// The fields of the result, as a widget can bind them.
    pub fields: Vec<Field>,
    /// One per step.
    pub reports: Vec<StepReport>,
    /// Why the pipeline stopped, naming the step.
    pub pipeline_error: Option<String>,
    /// How long reading the source took.
    pub read_ms: u64,
}

impl Preview {
    /// Sample rows kept for the editor.
    pub const SAMPLE_ROWS: usize = 1_000;
    /// Result rows shown.
    pub const SHOWN_ROWS: usize = 50;
}
