//! UI building blocks shared by the pages.

mod canvas;
mod connect;
mod connection;
mod data;
mod error_panel;
mod pipeline_editor;
mod widget;

pub use canvas::*;
pub use connect::*;
pub use connection::*;
pub use data::*;
pub use error_panel::*;
pub use pipeline_editor::*;
pub use widget::*;
