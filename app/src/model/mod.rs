//! The typed model shared by the browser and the server: dashboards, widgets, data
//! bindings, data sources (HTTP, SQL, spreadsheets, pushed data), datasets and live frames. Every type validates on
//! construction (or in `validate`), and the same code runs on both sides.

mod binding;
pub mod clipboard;
pub mod compare;
mod credential;
mod dashboard;
mod frame;
pub mod history;
mod ids;
pub mod layout;
pub mod migrate;
mod preview;
mod screen;
mod share;
mod sheet;
mod source;
mod sql;
pub mod transfer;
mod validation;

pub use binding::*;
pub use credential::*;
pub use dashboard::*;
pub use frame::*;
pub use ids::*;
pub use preview::*;
pub use screen::*;
pub use share::*;
pub use sheet::*;
pub use source::*;
pub use sql::*;
pub use validation::*;
