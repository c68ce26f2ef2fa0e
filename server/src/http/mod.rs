//! The HTTP layer beside the Leptos pages and server functions: live streams (through
//! axum, or straight on the socket when a connection opens with one), health probes,
//! spreadsheet uploads and static assets; and what guards all of them — the names the
//! server answers for, security headers, and the limits on each connection and client.

pub mod assets;
pub mod client;
pub mod conn;
pub mod fn_status;
pub mod guard;
pub mod headers;
pub mod health;
pub mod images;
pub mod lean;
pub mod site;
pub mod stream;
pub mod uploads;
