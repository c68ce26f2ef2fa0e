//! The page for an unknown address.

use crate::components::ErrorPanel;
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! { <ErrorPanel error=AppError::not_found("page") /> }
}
