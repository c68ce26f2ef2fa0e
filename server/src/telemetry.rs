//! Structured logs with `tracing`: text for people, JSON for log collectors.
//! `RUST_LOG` filters (default `info`).

use crate::config::{Config, LogFormat};
use tracing_subscriber::{fmt, EnvFilter};

pub fn init(config: &Config) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = fmt().with_env_filter(filter).with_target(true);
    let _ = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
