//! The typed model shared by the browser and the server: dashboards, widgets, data
//! bindings, data sources, datasets and live frames. Every type validates on
//! construction (or in `validate`), and the same code runs on both sides.

mod dashboard;
mod frame;
mod ids;
mod source;
mod validation;

pub use dashboard::*;
pub use frame::*;
pub use ids::*;
pub use source::*;
pub use validation::*;
