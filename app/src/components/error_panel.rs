//! How an `AppError` looks on a page.

use crate::error::AppError;
use leptos::prelude::*;

/// A full-page message for an error that stops the page from showing anything.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    crate::error::set_page_status(&error);
    let title = match &error {
        AppError::NotFound { .. } => "Not found",
        AppError::Invalid { .. } => "Invalid request",
        AppError::Conflict { .. } => "Conflict",
        AppError::Unauthorized { .. } => "Sign in",
        AppError::Forbidden { .. } => "Not allowed",
        AppError::Unavailable { .. } => "Unavailable",
        AppError::Internal => "Something went wrong",
    };
    view! {
        <main class="error-page" role="alert">
            <h1>{title}</h1>
            <p data-testid="error-message">{error.to_string()}</p>
            <a href="/">"Back to the dashboards"</a>
        </main>
    }
}
