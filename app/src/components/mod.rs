//! UI building blocks shared by the pages.

mod canvas;
mod connection;
mod data;
mod error_panel;
mod widget;

pub use canvas::*;
pub use connection::*;
pub use data::*;
pub use error_panel::*;
pub use widget::*;
