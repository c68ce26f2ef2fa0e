//! Building and running the server: storage, live hub, polling, the axum router with
//! the Leptos routes, and graceful shutdown.

use crate::config::Config;
use crate::http;
use crate::live::bus::Bus;
use crate::live::LiveHub;
use crate::push::writer::PushWriter;
use crate::push::TokenCache;
use crate::rate::RateLimiter;
use crate::sources::lease::Leases;
use crate::sources::poller::{PollContext, Scheduler};
use crate::sources::reader::{ReadCaps, Readers};
use crate::sources::vault::Vault;
use crate::storage::{Storage, StorageError};
use app::api::ssr::Services;
use axum::extract::ConnectInfo;
use axum::extract::FromRef;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// Counts the lean streams still open, so shutdown can wait for them.
mod open_streams {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::sync::Notify;

    #[derive(Default, Clone)]
    pub struct Tracker(Arc<(AtomicUsize, Notify)>);

    pub struct Token(Arc<(AtomicUsize, Notify)>);

    impl Tracker {
        pub fn token(&self) -> Token {
            self.0 .0.fetch_add(1, Ordering::AcqRel);
            Token(self.0.clone())
        }

        /// Resolves when every token is dropped.
        pub async fn wait(&self) {
            loop {
                let notified = self.0 .1.notified();
                tokio::pin!(notified);
                // Registered before the check, so a last drop in between still wakes us.
                notified.as_mut().enable();
                if self.0 .0.load(Ordering::Acquire) == 0 {
                    return;
                }
                notified.await;
            }
        }
    }

    impl Drop for Token {
        fn drop(&mut self) {
            if self.0 .0.fetch_sub(1, Ordering::AcqRel) == 1 {
                self.0 .1.notify_waiters();
            }
        }
    }
}

/// The services every request handler and background task shares.
pub struct Core {
    pub config: Config,
    pub storage: Storage,
    pub hub: Arc<LiveHub>,
    pub bus: Arc<Bus>,
    pub scheduler: Arc<Scheduler>,
    pub poll: Arc<PollContext>,
    pub pushes: PushWriter,
    /// Rate limits: pushes per token, sign-in attempts per account and address.
    pub rate: RateLimiter,
    pub push_tokens: TokenCache,
    /// Datasets read once per instance (streams and pushes look them up).
    pub datasets: crate::storage::DatasetCache,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Live streams open now (checked against `config.max_viewers`).
    pub streams: AtomicUsize,
    /// Live streams open now per client (checked against
    /// `config.max_streams_per_client`).
    pub client_streams: http::client::StreamCounts,
    /// The names this server answers for and the origins it takes requests from.
    pub site: Arc<http::site::Site>,
    /// Turns `true` when the server starts shutting down.
    pub shutdown: watch::Receiver<bool>,
}

/// Axum state: the Leptos options and the core, each extractable on its own.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub core: Arc<Core>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("{0}")]
    Config(String),
}

/// The credentials vault: the configured keys, or for a SQLite file without one, a
/// key made once and kept beside the database (readable by its owner only).
pub fn vault(config: &Config, storage: &Storage) -> Result<Vault, StartupError> {
    let old = config.secret_key_old.as_ref().map(|k| k.expose());
    if let Some(key) = &config.secret_key {
        return Vault::from_keys(Some(key.expose()), old).map_err(StartupError::Config);
    }
    let Some(db) = storage.sqlite_file() else {
        tracing::warn!("WALLBOARD_SECRET_KEY is not set: sources with credentials cannot be saved");
        return Vault::from_keys(None, old).map_err(StartupError::Config);
    };
    let mut path = db.into_os_string();
    path.push(".key");
    let path = std::path::PathBuf::from(path);
    let key = match std::fs::read_to_string(&path) {
        Ok(key) => key,
        Err(_) => {
            let key = Vault::new_key();
            write_private(&path, &key).map_err(|e| {
                StartupError::Config(format!("cannot write the key file {}: {e}", path.display()))
            })?;
            tracing::info!(file = %path.display(), "made a key for source credentials");
            key
        }
    };
    Vault::from_keys(Some(&key), old)
        .map_err(|e| StartupError::Config(format!("{}: {e}", path.display())))
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// Asks a running `Application` to shut down gracefully.
#[derive(Clone)]
pub struct ShutdownHandle(watch::Sender<bool>);

impl ShutdownHandle {
    pub fn shutdown(&self) {
        self.0.send_replace(true);
    }
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    core: Arc<Core>,
    shutdown_tx: watch::Sender<bool>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let listener =
            TcpListener::bind(config.addr)
                .await
                .map_err(|source| StartupError::Listen {
                    addr: config.addr,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartupError::Listen {
                addr: config.addr,
                source,
            })?;
        let storage = Storage::connect(config.database_url.expose()).await?;
        tracing::info!(backend = storage.backend_name(), "storage ready");
        let hashed = storage.hash_legacy_share_tokens().await?;
        if hashed > 0 {
            tracing::info!(links = hashed, "share tokens are now stored hashed");
        }

        let metrics = crate::metrics::Metrics::new();
        let hub = LiveHub::new();
        let (bus, leases, rate) = match &config.redis_url {
            None => (
                Bus::local(hub.clone(), storage.clone(), metrics.clone()),
                Leases::Local,
                RateLimiter::local(),
            ),
            Some(url) => {
                let client = redis::Client::open(url.expose())?;
                let conn = redis::aio::ConnectionManager::new(client.clone()).await?;
                let bus = Bus::redis(
                    hub.clone(),
                    storage.clone(),
                    metrics.clone(),
                    client,
                    config.frame_cache_ttl,
                )
                .await?;
                tracing::info!("live bus, leases and rate limits on Redis");
                (
                    bus,
                    Leases::Redis {
                        conn: conn.clone(),
                        holder: crate::new_id(),
                    },
                    RateLimiter::redis(conn),
                )
            }
        };
        let guard = Arc::new(config.allow_targets.clone().with_own_port(addr.port()));
        let proxy = config.http_proxy.as_ref().map(|p| p.expose());
        let client = crate::sources::outbound::client(guard.clone(), proxy)?;
        let vault = vault(&config, &storage)?;
        let mut sql = crate::sources::sql::SqlPolicy::parse(&config.sqlite_dirs);
        sql.own_database = storage.sqlite_file();
        let readers = Arc::new(Readers::new(
            client,
            guard,
            vault,
            sql,
            storage.clone(),
            ReadCaps {
                response: config.max_response_bytes,
                dataset: config.pipeline_max_bytes,
                file: config.max_upload_bytes,
            },
        ));
        let poll = Arc::new(PollContext {
            storage: storage.clone(),
            bus: bus.clone(),
            leases,
            readers,
            metrics: metrics.clone(),
            pipelines: crate::sandbox::PipelineHost {
                limits: app::pipeline::Limits {
                    max_bytes: config.pipeline_max_bytes,
                    time_limit_ms: config.pipeline_time_limit.as_millis() as u64,
                    ..Default::default()
                },
                jq: crate::sandbox::JqWorker {
                    exe: config.worker_exe.clone(),
                    memory_bytes: config.pipeline_max_bytes,
                },
            },
        });
        let (shutdown_tx, shutdown) = watch::channel(false);
        let site =
            http::site::Site::new(&config.names, addr).with_frame_origins(&config.embed_origins);
        if site.accepts_any_ip() {
            tracing::warn!(
                "listening on every interface with no WALLBOARD_PUBLIC_URL: only loopback names \
                 and IP addresses are answered, host names are refused; set \
                 WALLBOARD_PUBLIC_URL=https://wall.example.com (or WALLBOARD_ALLOWED_HOSTS) \
                 to the name browsers use"
            );
        }
        let core = Arc::new(Core {
            config: config.clone(),
            pushes: PushWriter::start(storage.clone(), bus.clone(), metrics.clone()),
            storage,
            hub,
            bus,
            scheduler: Arc::new(Scheduler::default()),
            poll,
            rate,
            push_tokens: TokenCache::default(),
            datasets: Default::default(),
            metrics,
            streams: AtomicUsize::new(0),
            client_streams: Default::default(),
            site: Arc::new(site),
            shutdown,
        });
        for entry in core.storage.list_datasets().await? {
            core.scheduler.schedule(core.poll.clone(), entry);
        }
        core.scheduler.follow(core.poll.clone());
        follow_dataset_changes(&core);
        if config.demo {
            crate::demo::seed(&core, addr).await;
            tokio::spawn(crate::demo::push_points(core.clone()));
        }
        let router = router(core.clone(), addr);
        Ok(Self {
            listener,
            router,
            core,
            shutdown_tx,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shutdown_tx.clone())
    }

    /// Serves until SIGTERM, Ctrl-C or the shutdown handle; then ends every live
    /// stream, lets open requests finish (up to the configured grace), stops polling
    /// and closes storage.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            listener,
            router,
            core,
            shutdown_tx,
        } = self;
        tracing::info!(addr = %listener.local_addr()?, "listening");
        let signals = shutdown_tx.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            signals.send_replace(true);
        });
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let streams = open_streams::Tracker::default();
        let (http1, http2) = builders(&core.config);
        let mut stopping = core.shutdown.clone();
        loop {
            let (socket, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Out of file descriptors, say: back off instead of spinning.
                        tracing::warn!(error = %err, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = async { let _ = stopping.wait_for(|s| *s).await; } => break,
            };
            let _ = socket.set_nodelay(true);
            let (core, router) = (core.clone(), router.clone());
            let (http1, http2) = (http1.clone(), http2.clone());
            let watcher = graceful.watcher();
            let stream = streams.token();
            tokio::spawn(async move {
                let deadline = tokio::time::Instant::now() + core.config.header_timeout;
                let kind = http::conn::sniff(&socket, deadline).await;
                let socket = http::conn::Deadline::new(
                    socket,
                    core.config.write_timeout,
                    core.shutdown.clone(),
                );
                let builder = match kind {
                    Some(http::conn::Kind::LeanStream) => {
                        http::lean::serve(core, socket, peer, deadline).await;
                        drop(stream);
                        return;
                    }
                    Some(http::conn::Kind::Http1) => http1,
                    Some(http::conn::Kind::Http2) => http2,
                    None => return,
                };
                drop(stream);
                // Handlers see the peer's address (per-client limits) as `ConnectInfo`.
                let service = TowerToHyperService::new(router.map_request(
                    move |mut req: axum::http::Request<hyper::body::Incoming>| {
                        req.extensions_mut().insert(ConnectInfo(peer));
                        req
                    },
                ));
                let conn = builder
                    .serve_connection(TokioIo::new(socket), service)
                    .into_owned();
                if let Err(err) = watcher.watch(conn).await {
                    tracing::debug!(error = %err, "connection ended with an error");
                }
            });
        }
        tracing::info!("shutting down: closing streams, finishing requests");
        drop(listener);
        let grace = core.config.shutdown_grace;
        let finished = async {
            graceful.shutdown().await;
            streams.wait().await;
        };
        if tokio::time::timeout(grace, finished).await.is_err() {
            tracing::warn!("requests still open after the grace period; stopping anyway");
        }
        core.scheduler.stop_all(&core.poll).await;
        core.storage.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The HTTP/1 and HTTP/2 connection settings (the kind is known before hyper starts,
/// so neither waits to find it out). HTTP/1: a request head must arrive within the
/// header timeout, counted from when the connection opens or its previous response
/// ends, so it also bounds an idle keep-alive connection. HTTP/2 (prior knowledge):
/// a peer that stops answering pings is dropped.
fn builders(config: &Config) -> (Builder<TokioExecutor>, Builder<TokioExecutor>) {
    let mut http1 = Builder::new(TokioExecutor::new()).http1_only();
    http1
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    let mut http2 = Builder::new(TokioExecutor::new()).http2_only();
    http2
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(std::time::Duration::from_secs(20)))
        .keep_alive_timeout(
            config
                .header_timeout
                .max(std::time::Duration::from_secs(10)),
        )
        .max_concurrent_streams(200);
    (http1, http2)
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// How a route's request body is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyLimit {
    /// `http::guard::MAX_BODY_BYTES`, like the pages and server functions.
    Default,
    /// Its handler reads the body under a limit of its own (pushes, uploads).
    Own,
}

/// One of the server's own routes (beside the Leptos pages and server functions).
struct OwnRoute {
    method: Method,
    path: &'static str,
    limit: BodyLimit,
    handler: MethodRouter<AppState>,
}

/// The server's own routes: the router is built from this table, and the
/// route-coverage test walks it (see [`route_table`]). Routes sharing a path merge.
fn own_routes() -> Vec<OwnRoute> {
    use crate::auth::pages;
    use BodyLimit::{Default, Own};
    let route = |method: Method, path, limit, handler| OwnRoute {
        method,
        path,
        limit,
        handler,
    };
    vec![
        route(Method::GET, "/healthz", Default, get(http::health::healthz)),
        route(Method::GET, "/readyz", Default, get(http::health::readyz)),
        route(
            Method::GET,
            "/metrics",
            Default,
            get(crate::metrics::handler),
        ),
        route(
            Method::GET,
            "/api/v1/live",
            Default,
            get(http::stream::datasets),
        ),
        route(
            Method::GET,
            "/api/v1/live/share/{token}",
            Default,
            get(http::stream::share),
        ),
        route(
            Method::GET,
            "/api/v1/live/screen",
            Default,
            get(http::stream::screen),
        ),
        route(
            Method::GET,
            "/demo/metrics",
            Default,
            get(crate::demo::metrics),
        ),
        route(Method::GET, "/setup", Default, get(pages::setup_page)),
        route(Method::POST, "/setup", Default, post(pages::setup)),
        route(Method::GET, "/signin", Default, get(pages::signin_page)),
        route(Method::POST, "/signin", Default, post(pages::signin)),
        route(Method::POST, "/signout", Default, post(pages::signout)),
        route(
            Method::GET,
            "/reset/{token}",
            Default,
            get(pages::reset_page),
        ),
        route(Method::POST, "/reset/{token}", Default, post(pages::reset)),
        route(
            Method::GET,
            "/invite/{token}",
            Default,
            get(pages::invite_landing),
        ),
        route(Method::POST, "/invite/{token}", Default, post(pages::join)),
        route(
            Method::POST,
            "/workspace",
            Default,
            post(pages::switch_workspace),
        ),
        route(
            Method::POST,
            "/s/{token}",
            Default,
            post(crate::auth::shares::unlock),
        ),
        route(
            Method::POST,
            "/s/{token}/kiosk",
            Default,
            post(crate::auth::shares::unlock),
        ),
        route(
            Method::POST,
            "/api/v1/datasets/{id}/rows",
            Own,
            post(crate::push::push_rows),
        ),
        route(
            Method::POST,
            "/api/v1/uploads",
            Own,
            post(http::uploads::upload),
        ),
        route(
            Method::POST,
            "/api/v1/images",
            Own,
            post(http::images::upload),
        ),
        route(
            Method::GET,
            "/api/v1/images/{id}",
            Own,
            get(http::images::serve),
        ),
    ]
}

/// Every method and path the router answers, from the tables it is built from: the
/// server's own routes, the Leptos pages and every registered server function (and
/// `/pkg/…`, the assets). Paths keep their `{parameter}` segments.
pub fn route_table() -> Vec<(Method, String)> {
    let mut all: Vec<(Method, String)> = own_routes()
        .into_iter()
        .map(|r| (r.method, r.path.to_string()))
        .collect();
    for page in generate_route_list(app::App) {
        for method in page.methods() {
            let method = match method {
                leptos_router::Method::Post => Method::POST,
                leptos_router::Method::Put => Method::PUT,
                leptos_router::Method::Delete => Method::DELETE,
                leptos_router::Method::Patch => Method::PATCH,
                leptos_router::Method::Get => Method::GET,
            };
            all.push((method, page.path().to_string()));
        }
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        all.push((method, path.to_string()));
    }
    all.push((Method::GET, "/pkg/wallboard.css".to_string()));
    all
}

fn router(core: Arc<Core>, addr: SocketAddr) -> Router {
    let leptos_options = LeptosOptions::builder()
        .output_name("wallboard")
        .site_root(core.config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let state = AppState {
        leptos_options: leptos_options.clone(),
        core: core.clone(),
    };
    let routes = generate_route_list(app::App);
    let services = Services(core.clone());
    // The Leptos handlers' context: the services, and the page's CSP nonce.
    let context = move || {
        provide_context(services.clone());
        http::headers::provide_nonce();
    };
    let site = core.site.clone();
    let (bounded, own_limits): (Vec<_>, Vec<_>) = own_routes()
        .into_iter()
        .partition(|r| r.limit == BodyLimit::Default);
    let add = |router: Router<AppState>, routes: Vec<OwnRoute>| {
        routes
            .into_iter()
            .fold(router, |router, r| router.route(r.path, r.handler))
    };
    let pages = add(Router::new(), bounded)
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || app::shell(options.clone())
        })
        .merge(http::assets::router(&core.config.site_root))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell))
        .layer(axum::middleware::from_fn(
            http::fn_status::status_from_error,
        ))
        .layer(RequestBodyLimitLayer::new(http::guard::MAX_BODY_BYTES));
    // The push API and uploads read their bodies under their own (larger) limits.
    add(pages, own_limits)
        // Every route and the fallback: the caller is resolved once, here, and a request
        // without one reaches only the public routes (`auth::is_public`).
        .layer(from_fn_with_state(
            core.clone(),
            crate::auth::shares::password_gate,
        ))
        .layer(from_fn_with_state(core.clone(), crate::auth::gate))
        .layer(CompressionLayer::new())
        // On every route (layers added last run first): the host check, then the origin
        // check, with the security headers on every answer, refusals included.
        .layer(from_fn_with_state(site.clone(), http::guard::same_origin))
        .layer(from_fn_with_state(site.clone(), http::guard::known_host))
        .layer(from_fn_with_state(site, http::headers::security_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Keeps this instance current with datasets changed or deleted on any instance (the
/// bus announces them): the cached dataset is forgotten and its poller rereads it.
/// Announcements missed (a lagging listener) forget everything and reread every task.
fn follow_dataset_changes(core: &Arc<Core>) {
    use tokio::sync::broadcast::error::RecvError;
    let mut announcements = core.hub.revocations();
    let core = Arc::downgrade(core);
    tokio::spawn(async move {
        loop {
            let heard = announcements.recv().await;
            let Some(core) = core.upgrade() else { return };
            match heard {
                Ok(key) => {
                    let Some(id) = key
                        .strip_prefix("dataset:")
                        .and_then(|raw| app::model::DatasetId::parse(raw).ok())
                    else {
                        continue;
                    };
                    core.datasets.forget(&id);
                    core.scheduler.reload(&core.poll, &id).await;
                }
                Err(RecvError::Lagged(_)) => {
                    core.datasets.clear();
                    for id in core.scheduler.scheduled() {
                        core.scheduler.reload(&core.poll, &id).await;
                    }
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}
