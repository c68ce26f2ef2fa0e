//! Reading data sources: HTTP APIs, SQL databases and spreadsheets behind the
//! outbound guard, the credentials vault, the per-dataset polling schedule, and the
//! leases that make one instance of many poll each dataset.

pub mod http;
pub mod lease;
pub mod outbound;
pub mod poller;
pub mod reader;
pub mod sheet;
pub mod sql;
pub mod sqlite_lockdown;
pub mod vault;
