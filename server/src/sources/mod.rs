//! Reading data sources: fetching (HTTP) and the per-dataset polling schedule.

pub mod http;
pub mod poller;
