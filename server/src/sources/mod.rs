//! Reading data sources: fetching (HTTP) behind the outbound guard, the per-dataset
//! polling schedule, and the leases that make one instance of many poll each dataset.

pub mod http;
pub mod lease;
pub mod outbound;
pub mod poller;
