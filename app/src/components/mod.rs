//! UI building blocks shared by the pages.

mod canvas;
mod connect;
mod connection;
mod data;
mod error_panel;
mod pipeline_editor;
pub mod transfer;

pub use crate::widgets::WidgetBody;
pub use canvas::*;
pub(crate) use connect::upload;
pub use connect::*;
pub use connection::*;
pub use data::*;
pub use error_panel::*;
pub use pipeline_editor::*;
