//! The HTTP layer beside the Leptos pages and server functions: live streams (through
//! axum, or straight on the socket when a connection opens with one), health probes,
//! spreadsheet uploads and static assets.

pub mod assets;
pub mod fn_status;
pub mod guard;
pub mod health;
pub mod lean;
pub mod stream;
pub mod uploads;
