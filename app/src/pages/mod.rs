//! One component per route.

mod data;
mod editor;
mod home;
mod not_found;
mod screen;
mod screens;
mod settings;
mod tv;

pub use data::DataPage;
pub use editor::EditorPage;
pub use home::HomePage;
pub use not_found::NotFound;
pub use screen::{KioskPage, ShareKioskPage, SharePage, VersionPage, ViewPage};
pub use screens::ScreensPage;
pub use settings::SettingsPage;
pub use tv::{TvPage, WATCHDOG as TV_WATCHDOG};

use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The route parameter `name`, parsed with `parse`; an unparsable value reads as
/// "`what` not found", as an unknown one would.
fn param<T: 'static>(
    name: &'static str,
    what: &'static str,
    parse: fn(String) -> Result<T, crate::model::Invalid>,
) -> impl Fn() -> Result<T, AppError> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || {
        params
            .read()
            .get(name)
            .and_then(|raw| parse(raw).ok())
            .ok_or_else(|| AppError::not_found(what))
    }
}
