//! `Config`: every setting, read once at start-up from environment variables (and a
//! `.env` file in development). Each variable is listed in the README and in
//! `.env.example`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A value that must not be printed: `Debug` shows only that it is set.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `WALLBOARD_ADDR`: where to listen (default `127.0.0.1:3000`; port 0 picks one).
    pub addr: SocketAddr,
    /// `DATABASE_URL`: `sqlite://…` (default `sqlite://data/wallboard.db`) or `postgres://…`.
    pub database_url: Secret,
    /// `WALLBOARD_SITE_ROOT`: the built browser assets (default `target/site`).
    pub site_root: PathBuf,
    /// `WALLBOARD_DEMO`: seed the demo dashboard into an empty database (default `true`).
    pub demo: bool,
    /// `WALLBOARD_LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `WALLBOARD_SHUTDOWN_GRACE_SECS`: how long open requests get to finish on SIGTERM
    /// (default 10).
    pub shutdown_grace: Duration,
    /// `WALLBOARD_MAX_RESPONSE_BYTES`: the largest source response read (default 8 MiB).
    pub max_response_bytes: usize,
    /// `REDIS_URL`: Redis for the live bus, frame cache, polling leases and push rate
    /// limits across instances (`redis://host:6379`). Unset: all in this process.
    pub redis_url: Option<Secret>,
    /// `WALLBOARD_MAX_VIEWERS`: live streams one instance holds open before answering
    /// 503 with Retry-After (default 16,000).
    pub max_viewers: usize,
    /// `WALLBOARD_PUSH_MAX_BYTES`: the largest push request body (default 16 MiB).
    pub push_max_bytes: usize,
    /// `WALLBOARD_PUSH_RATE`: push requests per second one token may make (default 100).
    pub push_rate: u32,
    /// `WALLBOARD_STREAM_MAX_RATE`: most events per second one stream sends for one
    /// dataset; faster changes are coalesced to the latest (default 20; 0: no cap).
    pub stream_max_rate: u32,
    /// `WALLBOARD_ALLOW_TARGETS`: non-public addresses sources may reach anyway:
    /// `loopback`, `private`, `link-local`, `cgnat`, IP addresses, CIDR ranges
    /// (default: none).
    pub allow_targets: crate::sources::outbound::Guard,
    /// `WALLBOARD_FRAME_CACHE_TTL_SECS`: how long Redis keeps a dataset's latest frame
    /// (default 3600).
    pub frame_cache_ttl: Duration,
    /// `WALLBOARD_SECRET_KEY`: 32 bytes (base64 or hex) that seal source credentials.
    /// Unset with a SQLite file: a key is made once and kept beside it
    /// (`<database>.key`). Unset otherwise: sources with credentials are refused.
    pub secret_key: Option<Secret>,
    /// `WALLBOARD_SECRET_KEY_OLD`: comma-separated earlier keys, which still open what
    /// they sealed (for rotation).
    pub secret_key_old: Option<Secret>,
    /// `WALLBOARD_SQLITE_DIRS`: comma-separated directories SQLite sources may read
    /// (default: none, SQLite sources off).
    pub sqlite_dirs: String,
    /// `WALLBOARD_MAX_UPLOAD_BYTES`: the largest spreadsheet upload (default 64 MiB: a
    /// CSV of a million narrow rows).
    pub max_upload_bytes: usize,
    /// `WALLBOARD_PIPELINE_MAX_BYTES`: most bytes of values one pipeline run may make,
    /// and the memory a jq step's worker may hold (default 256 MiB).
    pub pipeline_max_bytes: usize,
    /// `WALLBOARD_PIPELINE_TIME_LIMIT_SECS`: longest one pipeline run may take
    /// (default 10; a jq step has its own 5 s within it).
    pub pipeline_time_limit: Duration,
    /// The binary started as `wallboard jq-worker` for jq steps: the running one. Not
    /// read from the environment; tests that run the server in their own process
    /// point it at the built `wallboard`.
    pub worker_exe: PathBuf,
    /// `WALLBOARD_HTTP_PROXY`: an `http://` or `https://` proxy for every source
    /// request (default: none; `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY` are ignored).
    pub http_proxy: Option<Secret>,
    /// `WALLBOARD_METRICS_TOKEN`: the bearer token `/metrics` asks for; unset, `/metrics`
    /// answers 404 (metrics are off).
    pub metrics_token: Option<Secret>,
    /// `WALLBOARD_PUBLIC_URL` (`https://wall.example.com`) and `WALLBOARD_ALLOWED_HOSTS`
    /// (comma-separated `host[:port]`): the names the server answers for besides the
    /// loopback names of its port; requests naming another `Host` are refused.
    pub names: crate::http::site::Names,
    /// `WALLBOARD_HEADER_TIMEOUT_SECS`: how long a connection may take to send a request
    /// head, counted from when it opens or its previous response ended — so also how
    /// long an idle keep-alive connection stays open (default 10).
    pub header_timeout: Duration,
    /// `WALLBOARD_WRITE_TIMEOUT_SECS`: how long a write to a client may stay blocked
    /// (a client that reads nothing) before its connection is dropped (default 30).
    pub write_timeout: Duration,
    /// `WALLBOARD_MAX_STREAMS_PER_CLIENT`: live streams one client address (an IPv6
    /// client's /64) may hold open; past it a stream request gets 429 (default 200; 0:
    /// no cap).
    pub max_streams_per_client: u32,
    /// `WALLBOARD_TRUSTED_PROXIES`: reverse proxies (IP addresses, CIDR ranges) whose
    /// `X-Forwarded-For` names the client (default: none).
    pub trusted_proxies: crate::http::client::TrustedProxies,
    /// `WALLBOARD_EMBED_ORIGINS` (comma-separated `https://host[:port]`): the origins
    /// embed widgets may frame; pages allow exactly these in `frame-src` (default: none).
    pub embed_origins: Vec<String>,
}

impl Config {
    /// The site's address for links the server prints (`WALLBOARD_PUBLIC_URL`).
    pub fn public_url(&self) -> Option<String> {
        self.names.public_base()
    }

    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads the configuration through `get`, so tests need not touch the process
    /// environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let addr = get("WALLBOARD_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr = addr.parse().map_err(|_| {
            format!("WALLBOARD_ADDR: '{addr}' is not an address like 127.0.0.1:3000")
        })?;
        let database_url =
            get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/wallboard.db".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres:")
            || database_url.starts_with("postgresql:"))
        {
            return Err("DATABASE_URL: must start with sqlite: or postgres:".into());
        }
        let demo = parse_bool("WALLBOARD_DEMO", get("WALLBOARD_DEMO"), true)?;
        let log_format = match get("WALLBOARD_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(format!(
                    "WALLBOARD_LOG_FORMAT: '{other}' is neither text nor json"
                ))
            }
        };
        let grace = parse_num(
            "WALLBOARD_SHUTDOWN_GRACE_SECS",
            get("WALLBOARD_SHUTDOWN_GRACE_SECS"),
            10,
        )?;
        let max_response_bytes = parse_num(
            "WALLBOARD_MAX_RESPONSE_BYTES",
            get("WALLBOARD_MAX_RESPONSE_BYTES"),
            8 << 20,
        )?;
        let redis_url = get("REDIS_URL").filter(|u| !u.trim().is_empty());
        if let Some(url) = &redis_url {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err("REDIS_URL: must start with redis:// or rediss://".into());
            }
        }
        let max_viewers = parse_num(
            "WALLBOARD_MAX_VIEWERS",
            get("WALLBOARD_MAX_VIEWERS"),
            16_000,
        )?;
        let push_max_bytes = parse_num(
            "WALLBOARD_PUSH_MAX_BYTES",
            get("WALLBOARD_PUSH_MAX_BYTES"),
            16 << 20,
        )?;
        let push_rate = parse_num("WALLBOARD_PUSH_RATE", get("WALLBOARD_PUSH_RATE"), 100)?;
        if push_rate == 0 || push_rate > u64::from(u32::MAX) {
            return Err("WALLBOARD_PUSH_RATE: must be at least 1".into());
        }
        let stream_max_rate = parse_num(
            "WALLBOARD_STREAM_MAX_RATE",
            get("WALLBOARD_STREAM_MAX_RATE"),
            20,
        )?
        .min(1_000_000) as u32;
        let allow_targets = crate::sources::outbound::Guard::parse(
            &get("WALLBOARD_ALLOW_TARGETS").unwrap_or_default(),
        )?;
        let frame_cache_ttl = parse_num(
            "WALLBOARD_FRAME_CACHE_TTL_SECS",
            get("WALLBOARD_FRAME_CACHE_TTL_SECS"),
            3600,
        )?;
        let max_upload_bytes = parse_num(
            "WALLBOARD_MAX_UPLOAD_BYTES",
            get("WALLBOARD_MAX_UPLOAD_BYTES"),
            64 << 20,
        )?;
        let pipeline_max_bytes = parse_num(
            "WALLBOARD_PIPELINE_MAX_BYTES",
            get("WALLBOARD_PIPELINE_MAX_BYTES"),
            app::pipeline::DEFAULT_MAX_BYTES as u64,
        )?;
        if pipeline_max_bytes < 1 << 20 {
            return Err("WALLBOARD_PIPELINE_MAX_BYTES: must be at least 1048576 (1 MiB)".into());
        }
        let pipeline_time_limit = parse_num(
            "WALLBOARD_PIPELINE_TIME_LIMIT_SECS",
            get("WALLBOARD_PIPELINE_TIME_LIMIT_SECS"),
            10,
        )?;
        if pipeline_time_limit == 0 {
            return Err("WALLBOARD_PIPELINE_TIME_LIMIT_SECS: must be at least 1".into());
        }
        let names = crate::http::site::Names::parse(
            get("WALLBOARD_PUBLIC_URL").as_deref(),
            get("WALLBOARD_ALLOWED_HOSTS").as_deref(),
        )?;
        let header_timeout = parse_num(
            "WALLBOARD_HEADER_TIMEOUT_SECS",
            get("WALLBOARD_HEADER_TIMEOUT_SECS"),
            10,
        )?;
        let write_timeout = parse_num(
            "WALLBOARD_WRITE_TIMEOUT_SECS",
            get("WALLBOARD_WRITE_TIMEOUT_SECS"),
            30,
        )?;
        if header_timeout == 0 || write_timeout == 0 {
            return Err(
                "WALLBOARD_HEADER_TIMEOUT_SECS and WALLBOARD_WRITE_TIMEOUT_SECS: must be at \
                 least 1"
                    .into(),
            );
        }
        let max_streams_per_client = parse_num(
            "WALLBOARD_MAX_STREAMS_PER_CLIENT",
            get("WALLBOARD_MAX_STREAMS_PER_CLIENT"),
            200,
        )?
        .min(u64::from(u32::MAX)) as u32;
        let trusted_proxies = crate::http::client::TrustedProxies::parse(
            &get("WALLBOARD_TRUSTED_PROXIES").unwrap_or_default(),
        )?;
        let embed_origins = parse_origins(&get("WALLBOARD_EMBED_ORIGINS").unwrap_or_default())?;
        let secret = |key: &str| get(key).filter(|v| !v.trim().is_empty()).map(Secret::new);
        let http_proxy = get("WALLBOARD_HTTP_PROXY")
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .map(Secret::new);
        if let Some(proxy) = &http_proxy {
            let valid = url::Url::parse(proxy.expose())
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !valid {
                return Err(
                    "WALLBOARD_HTTP_PROXY: must be a URL like http://proxy.internal:3128".into(),
                );
            }
        }
        Ok(Self {
            addr,
            database_url: Secret::new(database_url),
            site_root: get("WALLBOARD_SITE_ROOT")
                .unwrap_or_else(|| "target/site".into())
                .into(),
            demo,
            log_format,
            shutdown_grace: Duration::from_secs(grace),
            max_response_bytes: max_response_bytes as usize,
            redis_url: redis_url.map(Secret::new),
            max_viewers: max_viewers as usize,
            push_max_bytes: push_max_bytes as usize,
            push_rate: push_rate as u32,
            stream_max_rate,
            allow_targets,
            frame_cache_ttl: Duration::from_secs(frame_cache_ttl.max(1)),
            secret_key: secret("WALLBOARD_SECRET_KEY"),
            secret_key_old: secret("WALLBOARD_SECRET_KEY_OLD"),
            sqlite_dirs: get("WALLBOARD_SQLITE_DIRS").unwrap_or_default(),
            max_upload_bytes: max_upload_bytes as usize,
            pipeline_max_bytes: pipeline_max_bytes as usize,
            pipeline_time_limit: Duration::from_secs(pipeline_time_limit),
            worker_exe: std::env::current_exe().unwrap_or_else(|_| "wallboard".into()),
            http_proxy,
            metrics_token: secret("WALLBOARD_METRICS_TOKEN"),
            names,
            header_timeout: Duration::from_secs(header_timeout.min(86_400)),
            write_timeout: Duration::from_secs(write_timeout.min(86_400)),
            max_streams_per_client,
            trusted_proxies,
            embed_origins,
        })
    }
}

/// Reads `WALLBOARD_EMBED_ORIGINS`: each entry an origin (scheme, host, optional port;
/// no path), lower-cased.
fn parse_origins(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let origin = app::model::url_origin(entry)
            .filter(|o| o == &entry.trim_end_matches('/').to_ascii_lowercase())
            .ok_or_else(|| {
                format!(
                    "WALLBOARD_EMBED_ORIGINS: '{entry}' is not an origin like \
                     https://grafana.example.com (scheme, host and port only)"
                )
            })?;
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

fn parse_bool(key: &str, value: Option<String>, default: bool) -> Result<bool, String> {
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(format!("{key}: '{other}' is not true or false")),
    }
}

fn parse_num(key: &str, value: Option<String>, default: u64) -> Result<u64, String> {
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| format!("{key}: '{v}' is not a whole number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_start_on_sqlite_at_port_3000() {
        let c = config(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert!(c.database_url.expose().starts_with("sqlite:"));
        assert!(c.demo);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        assert!(config(&[("WALLBOARD_ADDR", "nowhere")])
            .unwrap_err()
            .starts_with("WALLBOARD_ADDR"));
        assert!(config(&[("DATABASE_URL", "mysql://x")])
            .unwrap_err()
            .starts_with("DATABASE_URL"));
        assert!(config(&[("WALLBOARD_DEMO", "perhaps")])
            .unwrap_err()
            .starts_with("WALLBOARD_DEMO"));
    }

    #[test]
    fn redis_is_optional_and_checked() {
        assert!(config(&[]).unwrap().redis_url.is_none());
        let c = config(&[("REDIS_URL", "redis://:pw@127.0.0.1:6379")]).unwrap();
        assert!(!format!("{c:?}").contains("pw@"));
        assert!(config(&[("REDIS_URL", "127.0.0.1:6379")])
            .unwrap_err()
            .starts_with("REDIS_URL"));
        assert!(config(&[("WALLBOARD_PUSH_RATE", "0")])
            .unwrap_err()
            .starts_with("WALLBOARD_PUSH_RATE"));
    }

    #[test]
    fn a_proxy_is_off_unless_set_and_its_credentials_do_not_print() {
        assert!(config(&[]).unwrap().http_proxy.is_none());
        let c = config(&[("WALLBOARD_HTTP_PROXY", " http://u:hunter2@proxy:3128 ")]).unwrap();
        assert_eq!(
            c.http_proxy.as_ref().unwrap().expose(),
            "http://u:hunter2@proxy:3128"
        );
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(config(&[("WALLBOARD_HTTP_PROXY", "proxy:3128")])
            .unwrap_err()
            .starts_with("WALLBOARD_HTTP_PROXY"));
    }

    #[test]
    fn connection_limits_have_defaults_and_refuse_zero_timeouts() {
        let c = config(&[]).unwrap();
        assert_eq!(c.header_timeout, Duration::from_secs(10));
        assert_eq!(c.write_timeout, Duration::from_secs(30));
        assert_eq!(c.max_streams_per_client, 200);
        assert!(c.names.is_empty());
        assert!(config(&[("WALLBOARD_HEADER_TIMEOUT_SECS", "0")])
            .unwrap_err()
            .starts_with("WALLBOARD_HEADER_TIMEOUT_SECS"));
        assert!(config(&[("WALLBOARD_PUBLIC_URL", "wall.example.com")])
            .unwrap_err()
            .starts_with("WALLBOARD_PUBLIC_URL"));
    }

    #[test]
    fn the_database_url_does_not_print() {
        let c = config(&[("DATABASE_URL", "postgres://u:hunter2@db/x")]).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
