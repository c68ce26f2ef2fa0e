//! `AppError`: the one error type the UI sees. Each variant is something a user can act
//! on; internal causes are logged on the server and reach clients only as an opaque
//! message. On the server each variant sets the HTTP status of the response.

use crate::model::Invalid;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum AppError {
    /// 404: `what` names the thing that does not exist ("dashboard", "share link").
    #[error("{what} not found")]
    NotFound { what: String },
    /// 422: a value the user sent is invalid; `field` is its path.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// 409: someone else saved first.
    #[error("{message}")]
    Conflict { message: String },
    /// 401: nobody is signed in (or the session or token has ended).
    #[error("{message}")]
    Unauthorized { message: String },
    /// 403: the caller may not do this.
    #[error("{message}")]
    Forbidden { message: String },
    /// 503: a dependency (database, network) does not answer; try again.
    #[error("{message}")]
    Unavailable { message: String },
    /// 500: something broke on the server; details are in its log.
    #[error("something went wrong on the server (the details are in its log)")]
    Internal,
}

impl AppError {
    pub fn not_found(what: &str) -> Self {
        AppError::NotFound { what: what.into() }
    }

    pub fn unauthorized() -> Self {
        AppError::Unauthorized {
            message: "sign in first: this needs a session or an API token".into(),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict {
            message: message.into(),
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound { .. } => 404,
            AppError::Invalid { .. } => 422,
            AppError::Conflict { .. } => 409,
            AppError::Unauthorized { .. } => 401,
            AppError::Forbidden { .. } => 403,
            AppError::Unavailable { .. } => 503,
            AppError::Internal => 500,
        }
    }
}

/// Sets the status of the page being rendered on the server to `error`'s; does nothing
/// in the browser.
pub fn set_page_status(error: &AppError) {
    imp::set_status(error.status());
}

#[cfg(feature = "ssr")]
mod imp {
    pub fn set_status(code: u16) {
        if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(
                http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    }
}

#[cfg(not(feature = "ssr"))]
mod imp {
    pub fn set_status(_code: u16) {}
}

impl From<Invalid> for AppError {
    fn from(e: Invalid) -> Self {
        AppError::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::Deserialization(message) => {
                AppError::Invalid {
                    field: "request".into(),
                    message,
                }
            }
            ServerFnErrorErr::MissingArg(arg) => AppError::Invalid {
                field: arg,
                message: "is missing".into(),
            },
            ServerFnErrorErr::Request(_) => AppError::Unavailable {
                message: "the server cannot be reached; check the connection and try again".into(),
            },
            _ => AppError::Internal,
        }
    }
}
