//! Live streams (server-sent events). One connection per open screen carries only the
//! datasets that screen shows:
//!
//! - first a `snapshot` of their current frames;
//! - then, per change, an `append` (the rows added, when the viewer holds the frame
//!   just before) or a `frame` (the whole frame, otherwise);
//! - every event's id lists the `seq` the viewer now holds of each dataset, so a
//!   reconnecting client (`Last-Event-ID`, or `last_event_id=` in the query) gets a
//!   snapshot of only what changed meanwhile, from whichever instance it reaches;
//! - a slow client reads the newest frame when it is ready (latest wins): its memory is
//!   bounded by one frame per dataset and it never delays anyone else;
//! - a dataset changing faster than `WALLBOARD_STREAM_MAX_RATE` times a second reaches
//!   each viewer at most that often, always with its latest value (coalescing);
//! - a comment every 15 s keeps proxies from closing an idle stream;
//! - past `WALLBOARD_MAX_VIEWERS` open streams, or while stopping, a request gets 503
//!   with Retry-After; on shutdown every stream is sent `reconnect` and closed, and
//!   clients reconnect at once (to another instance behind the balancer);
//! - past `WALLBOARD_MAX_STREAMS_PER_CLIENT` streams from one client address, a request
//!   gets 429 with Retry-After;
//! - a query string longer than any valid request's (`MAX_QUERY_BYTES`) is refused
//!   with 414 before it is parsed, and a `datasets=` list is counted before its ids are.
//!
//! A share page's stream carries only what its widgets show: each frame goes through
//! the dashboard's [`SharedView`] (the bound fields of the bound datasets, errors as
//! "source unavailable since …"), made once per change and per projection in the hub
//! and shared by the share viewers that use it. Its event ids carry the view's tag, so
//! a client resumes only under the view it was served. Every `SHARE_RECHECK` the stream
//! checks its link (revoked: the stream ends) and, when the dashboard was saved since,
//! its view: a different one (a dataset or field no longer bound, or newly bound)
//! makes the stream send `reconnect` and end, and the client's next stream serves the
//! new view whole.
//!
//! A [`Viewer`] yields each event as ready-to-write bytes, so the same stream is served
//! through axum (`datasets`, `share`) or straight on a socket (`super::lean`).

use crate::live::{layout_key, Watch, Wire};
use crate::startup::Core;
use app::error::AppError;
use app::model::{DashboardId, DatasetId, Projection, ShareToken, SharedView};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Most datasets one stream may carry.
const MAX_DATASETS: usize = 200;
/// The longest query string a stream request may have: room for `MAX_DATASETS` ids of
/// 64 characters (with `%2C` between them) and a resume point naming each.
pub const MAX_QUERY_BYTES: usize = 32 * 1024;
/// How often an open share stream checks that its link is still valid and its
/// dashboard still binds what the stream carries.
const SHARE_RECHECK: Duration = Duration::from_secs(5);
/// How often an idle stream sends a comment, so proxies keep it open.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// What the browser waits before reconnecting after a plain disconnect (milliseconds).
const RETRY_MS: u32 = 1000;

/// The response head of every stream.
pub const CONTENT_TYPE: &str = "text/event-stream";

#[derive(serde::Deserialize, Default)]
pub struct LiveQuery {
    #[serde(default)]
    pub datasets: String,
    /// The dashboard a view or kiosk page shows: the stream tells the page when its
    /// layout changed (published).
    #[serde(default)]
    pub dashboard: Option<String>,
    #[serde(default)]
    pub last_event_id: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct ResumeQuery {
    #[serde(default)]
    pub last_event_id: Option<String>,
}

/// Why a stream was not opened: an `AppError`, a query too long to read, "busy, come
/// back later" (the instance), or "too many" (this client).
pub enum Refusal {
    App(AppError),
    /// 414: the query string is longer than any valid request's.
    TooLong,
    /// 503 with Retry-After.
    Busy {
        message: &'static str,
        retry_after_secs: u64,
    },
    /// 429 with Retry-After.
    TooMany {
        message: String,
        retry_after_secs: u64,
    },
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Refusal::App(e)
    }
}

impl Refusal {
    /// The status and JSON body of the refusal, and its Retry-After if any.
    pub fn parts(&self) -> (StatusCode, String, Option<u64>) {
        match self {
            Refusal::App(e) => (
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                serde_json::to_string(e).expect("an error serializes"),
                None,
            ),
            Refusal::TooLong => (
                StatusCode::URI_TOO_LONG,
                serde_json::to_string(&AppError::Invalid {
                    field: "query".into(),
                    message: format!(
                        "the query string is longer than {MAX_QUERY_BYTES} bytes; a stream \
                         carries at most {MAX_DATASETS} datasets"
                    ),
                })
                .expect("an error serializes"),
                None,
            ),
            Refusal::Busy {
                message,
                retry_after_secs,
            } => (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::to_string(&AppError::Unavailable {
                    message: message.to_string(),
                })
                .expect("an error serializes"),
                Some(*retry_after_secs),
            ),
            Refusal::TooMany {
                message,
                retry_after_secs,
            } => (
                StatusCode::TOO_MANY_REQUESTS,
                serde_json::json!({"error": "too_many_streams", "message": message}).to_string(),
                Some(*retry_after_secs),
            ),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, body, retry_after) = self.parts();
        let mut response =
            (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Reads a stream request's query string, refusing one too long before parsing it.
pub fn read_query<Q: serde::de::DeserializeOwned>(raw: &str) -> Result<Q, Refusal> {
    if raw.len() > MAX_QUERY_BYTES {
        return Err(Refusal::TooLong);
    }
    serde_urlencoded::from_str(raw).map_err(|e| {
        Refusal::App(AppError::Invalid {
            field: "query".into(),
            message: e.to_string(),
        })
    })
}

/// The client a request through axum comes from (see [`super::client`]); `None` when
/// the connection's address is unknown.
fn client_of(core: &Core, req: &Parts) -> Option<IpAddr> {
    let peer = req.extensions.get::<ConnectInfo<SocketAddr>>()?.0;
    let forwarded = req
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    Some(core.config.trusted_proxies.client(peer.ip(), forwarded))
}

/// `GET /api/v1/live?datasets=a,b`: the editor's and viewer's stream.
pub async fn datasets(State(core): State<Arc<Core>>, req: Parts) -> Response {
    let client = client_of(&core, &req);
    let opened = async {
        let caller = crate::auth::caller_of(&req.extensions)?;
        let scope = caller.may(app::auth::Action::View)?;
        let query: LiveQuery = read_query(req.uri.query().unwrap_or_default())?;
        let resume = resume_point(last_event_id(&req.headers), query.last_event_id.clone());
        let ends_on = crate::auth::revocation_keys(&caller, &req.headers);
        open_datasets(&core, &scope, &query, ends_on, resume, client).await
    };
    match opened.await {
        Ok(viewer) => viewer.into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// `GET /api/v1/live/share/{token}`: a share page's stream; the token decides which
/// datasets it carries.
pub async fn share(
    State(core): State<Arc<Core>>,
    Path(token): Path<String>,
    req: Parts,
) -> Response {
    let client = client_of(&core, &req);
    let opened = async {
        let query: ResumeQuery = read_query(req.uri.query().unwrap_or_default())?;
        let resume = resume_point(last_event_id(&req.headers), query.last_event_id.clone());
        open_share(&core, token, &req.headers, resume, client).await
    };
    match opened.await {
        Ok(viewer) => viewer.into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// What a TV's page reports of itself when it opens its stream.
#[derive(serde::Deserialize, Default)]
pub struct ScreenQuery {
    /// The panel's size in CSS pixels.
    #[serde(default)]
    pub w: Option<u32>,
    #[serde(default)]
    pub h: Option<u32>,
    /// The version of Wallboard the page runs.
    #[serde(default)]
    pub v: Option<String>,
    #[serde(default)]
    pub last_event_id: Option<String>,
}

/// How often an open screen's stream checks its screen and reports it seen.
const SCREEN_RECHECK: Duration = Duration::from_secs(5);
/// How often an open screen's stream records it as seen.
const SCREEN_TOUCH: Duration = Duration::from_secs(30);

/// `GET /api/v1/live/screen`: a paired TV's stream (its device cookie decides what it
/// carries: every slide of what the screen shows, cut down like a share page's).
pub async fn screen(State(core): State<Arc<Core>>, req: Parts) -> Response {
    let client = client_of(&core, &req);
    let opened = async {
        let query: ScreenQuery = read_query(req.uri.query().unwrap_or_default())?;
        let resume = resume_point(last_event_id(&req.headers), query.last_event_id.clone());
        open_screen(&core, &req.headers, &query, resume, client).await
    };
    match opened.await {
        Ok(viewer) => viewer.into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// Opens the stream of the screen whose device token `headers` carry; an unknown,
/// unpaired or forged token is refused (401). The stream sends `layout` and ends when
/// what the screen shows changes (assigned, unpaired, a playlist edited, a slide
/// published), and `reload` when an editor asks the screen to reload.
pub async fn open_screen(
    core: &Arc<Core>,
    headers: &HeaderMap,
    query: &ScreenQuery,
    resume: Option<String>,
    client: Option<IpAddr>,
) -> Result<Viewer, Refusal> {
    use crate::backend::screens;
    let screen = screens::paired_screen(core, headers)
        .await?
        .ok_or_else(|| AppError::Unauthorized {
            message: "this screen is not paired: open /tv to pair it".into(),
        })?;
    let resolution = match (query.w, query.h) {
        (Some(w), Some(h)) if w > 0 && h > 0 && w <= 100_000 && h <= 100_000 => {
            Some(format!("{w}\u{d7}{h}"))
        }
        _ => None,
    };
    let version = query.v.as_deref().filter(|v| {
        v.len() <= 32
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
    });
    core.storage
        .touch_screen(&screen.id, resolution.as_deref(), version)
        .await
        .map_err(crate::backend::storage_error)?;
    // A publish of any dashboard it shows changes the page.
    let (view, layouts) = slides_view(core, &screen.workspace, &screen.shows).await?;
    let state = core
        .storage
        .screen_state(&screen.id)
        .await
        .map_err(crate::backend::storage_error)?;
    let ended = screen_ended(core.clone(), screen, state, layouts);
    open_view(core, view, resume, client, ended).await
}

/// What `shows` puts on a screen, as a stream sees it: the view of all its slides, and
/// the keys announcing a publish of one of their dashboards.
async fn slides_view(
    core: &Arc<Core>,
    workspace: &app::model::WorkspaceId,
    shows: &app::model::Shows,
) -> Result<(SharedView, Vec<String>), AppError> {
    let slides = crate::backend::screens::slides(core, workspace, shows).await?;
    let view = SharedView::of_all(slides.iter().map(|(_, s)| &s.dashboard));
    let layouts = slides.iter().map(|(id, _)| layout_key(id)).collect();
    Ok((view, layouts))
}

/// A stream of `view`'s datasets cut down to what it shows, until `ended`.
async fn open_view(
    core: &Arc<Core>,
    view: SharedView,
    resume: Option<String>,
    client: Option<IpAddr>,
    ended: impl Future<Output = Stop> + Send + 'static,
) -> Result<Viewer, Refusal> {
    Viewer::open(
        core,
        view.datasets(),
        Some(view),
        resume,
        client,
        Box::pin(ended),
    )
    .await
}

/// Resolves when a screen's stream must stop: what it shows changed (announced on the
/// bus, or found in a check), it was unpaired, or an editor asked it to reload. While
/// open, the screen is recorded as seen every `SCREEN_TOUCH`.
async fn screen_ended(
    core: Arc<Core>,
    screen: crate::storage::ScreenRow,
    state: Option<crate::storage::ScreenState>,
    layouts: Vec<String>,
) -> Stop {
    use crate::backend::screens;
    let changed = screens::screen_key(&screen.id);
    let reload = screens::reload_key(&screen.id);
    let playlist = match &screen.shows {
        app::model::Shows::Playlist(id) => Some(screens::playlist_key(id)),
        _ => None,
    };
    let mut revocations = core.hub.revocations();
    let mut touched = Instant::now();
    loop {
        tokio::select! {
            () = tokio::time::sleep(SCREEN_RECHECK) => {}
            heard = revocations.recv() => match heard {
                Ok(key) if key == reload => return Stop::Reload,
                Ok(key) if key == changed || playlist.as_ref() == Some(&key) || layouts.contains(&key) => {
                    return Stop::Republished
                }
                Ok(_) => continue,
                // Missed announcements: check the database now.
                Err(_) => {}
            },
        }
        match core.storage.screen_state(&screen.id).await {
            Ok(now) if now != state => return Stop::Republished,
            Ok(_) | Err(_) => {}
        }
        if touched.elapsed() >= SCREEN_TOUCH {
            touched = Instant::now();
            let _ = core.storage.touch_screen(&screen.id, None, None).await;
        }
    }
}

/// Opens the stream of the datasets named in `query.datasets` (comma-separated ids) for
/// `client`; a dataset or dashboard outside `scope`'s workspace is "not found". The
/// stream ends when any of `ends_on` is revoked (the caller's session or user: signing
/// out ends it), and with a `layout` event when `query.dashboard` is published.
pub async fn open_datasets(
    core: &Arc<Core>,
    scope: &app::auth::Scope,
    query: &LiveQuery,
    ends_on: Vec<String>,
    resume: Option<String>,
    client: Option<IpAddr>,
) -> Result<Viewer, Refusal> {
    let named = query.datasets.split(',').filter(|s| !s.is_empty());
    if named.clone().count() > MAX_DATASETS {
        return Err(AppError::Invalid {
            field: "datasets".into(),
            message: format!("a stream carries at most {MAX_DATASETS} datasets"),
        }
        .into());
    }
    let mut ids: Vec<DatasetId> = Vec::new();
    for raw in named {
        let id = DatasetId::parse(raw).map_err(|e| AppError::from(e.within("datasets")))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    for id in &ids {
        if core
            .datasets
            .get(&core.storage, id)
            .await
            .map_err(crate::backend::storage_error)?
            .is_none_or(|entry| &entry.workspace != scope.workspace())
        {
            return Err(AppError::not_found(&format!("dataset {id}")).into());
        }
    }
    let layout = match query.dashboard.as_deref().filter(|d| !d.is_empty()) {
        None => None,
        Some(raw) => {
            let id = DashboardId::parse(raw).map_err(|e| AppError::from(e.within("dashboard")))?;
            if !core
                .storage
                .dashboard_exists(scope.workspace(), &id)
                .await
                .map_err(crate::backend::storage_error)?
            {
                return Err(AppError::not_found("dashboard").into());
            }
            Some(layout_key(&id))
        }
    };
    let mut revocations = core.hub.revocations();
    let ended = async move {
        loop {
            match revocations.recv().await {
                Ok(key) if ends_on.contains(&key) => return Stop::Revoked,
                Ok(key) if layout.as_ref() == Some(&key) => return Stop::Republished,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    return std::future::pending().await
                }
                _ => {}
            }
        }
    };
    Viewer::open(core, ids, None, resume, client, Box::pin(ended)).await
}

/// Opens a share page's stream, carrying the dashboard's [`SharedView`]; `headers`
/// carry the pass of a password-protected link. Revoking the link ends it at once (on
/// every instance, through the bus), its expiry ends it on time, and a changed view
/// within one check.
pub async fn open_share(
    core: &Arc<Core>,
    token: String,
    headers: &HeaderMap,
    resume: Option<String>,
    client: Option<IpAddr>,
) -> Result<Viewer, Refusal> {
    let token = ShareToken::parse(token).map_err(|_| AppError::not_found("share link"))?;
    let (shared, hash) = match crate::auth::shares::open(core, &token, headers).await {
        Err(AppError::NotFound { .. }) => {
            return open_playlist_share(core, &token, resume, client).await
        }
        opened => opened?,
    };
    let shown = core
        .storage
        .get_shown(&shared.workspace, &shared.dashboard)
        .await
        .map_err(crate::backend::storage_error)?
        .ok_or_else(|| AppError::not_found("share link"))?;
    let view = SharedView::of(&shown.dashboard);
    let ended = share_ended(core.clone(), hash, shared);
    open_view(core, view, resume, client, ended).await
}

/// Opens the stream of a playlist's share link: every slide's datasets, cut down to
/// what the widgets bind. Revoking the link ends it; a change of the playlist or a
/// publish of one of its dashboards sends `layout`.
async fn open_playlist_share(
    core: &Arc<Core>,
    token: &ShareToken,
    resume: Option<String>,
    client: Option<IpAddr>,
) -> Result<Viewer, Refusal> {
    use crate::backend::screens;
    let hash = crate::auth::shares::token_hash(token);
    let shared = core
        .storage
        .shared_playlist(&hash)
        .await
        .map_err(crate::backend::storage_error)?
        .ok_or_else(|| AppError::not_found("share link"))?;
    let shows = app::model::Shows::Playlist(shared.playlist.clone());
    let (view, mut watched) = slides_view(core, &shared.workspace, &shows).await?;
    watched.push(screens::playlist_key(&shared.playlist));
    let ended = playlist_share_ended(core.clone(), hash, shared, watched);
    open_view(core, view, resume, client, ended).await
}

/// Resolves when a playlist share stream must stop: its link was revoked (announced,
/// or found in a check), or what it shows changed (`changes` announced, or the
/// playlist's revision moved).
async fn playlist_share_ended(
    core: Arc<Core>,
    token_hash: String,
    shared: crate::storage::SharedPlaylist,
    changes: Vec<String>,
) -> Stop {
    let key = format!("share:{}", shared.link);
    let mut revocations = core.hub.revocations();
    loop {
        tokio::select! {
            () = tokio::time::sleep(SHARE_RECHECK) => {}
            heard = revocations.recv() => match heard {
                Ok(revoked) if revoked == key => return Stop::Revoked,
                Ok(changed) if changes.contains(&changed) => return Stop::Republished,
                Ok(_) => continue,
                Err(_) => {}
            },
        }
        match core.storage.shared_playlist(&token_hash).await {
            Ok(None) => return Stop::Revoked,
            Ok(Some(now)) if now.revision != shared.revision => return Stop::Republished,
            Ok(Some(_)) | Err(_) => continue,
        }
    }
}

/// Resolves when a share stream must stop: its link was revoked (announced on the
/// bus, or found in a check), expired, or its dashboard deleted; or what the link shows
/// changed (a publish, announced on the bus or found in a check). One query per check.
/// A database that does not answer ends nothing: the next check decides.
async fn share_ended(
    core: Arc<Core>,
    token_hash: String,
    shared: crate::storage::SharedRevision,
) -> Stop {
    let key = format!("share:{}", shared.link);
    let layout = layout_key(&shared.dashboard);
    let shown = shared.shown();
    let mut revocations = core.hub.revocations();
    let expiry = async {
        match shared.expires_at_ms {
            Some(at) => {
                let left = (at - crate::now_ms()).max(0) as u64;
                tokio::time::sleep(Duration::from_millis(left)).await
            }
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            () = tokio::time::sleep(SHARE_RECHECK) => {}
            () = &mut expiry => return Stop::Revoked,
            revoked = revocations.recv() => match revoked {
                Ok(revoked) if revoked == key => return Stop::Revoked,
                Ok(changed) if changed == layout => return Stop::Republished,
                Ok(_) => continue,
                // Missed announcements: check the database now.
                Err(_) => {}
            },
        }
        match core.storage.shared_revision(&token_hash).await {
            Ok(None) => return Stop::Revoked,
            Ok(Some(now)) if now.shown() != shown => return Stop::Republished,
            Ok(Some(_)) | Err(_) => continue,
        }
    }
}

/// The resume point a reconnecting client sent: the header (browsers' own retry) or
/// the query (our own reconnects, which open a new `EventSource`).
pub fn resume_point(header: Option<&str>, query: Option<String>) -> Option<String> {
    header.map(str::to_string).or(query)
}

fn last_event_id(headers: &HeaderMap) -> Option<&str> {
    headers.get("last-event-id").and_then(|v| v.to_str().ok())
}

/// The `seq` of each dataset that an event id names, if it names one per dataset and
/// starts with `prefix` (a share view's tag).
fn parse_event_id(id: &str, prefix: &str, datasets: usize) -> Option<Vec<u64>> {
    let seqs = id
        .strip_prefix(prefix)?
        .split('.')
        .map(|s| s.parse().ok())
        .collect::<Option<Vec<u64>>>()?;
    (seqs.len() == datasets).then_some(seqs)
}

fn event_id(prefix: &str, seqs: &[u64]) -> String {
    let mut id = String::with_capacity(prefix.len() + seqs.len() * 4);
    id.push_str(prefix);
    for (i, seq) in seqs.iter().enumerate() {
        if i > 0 {
            id.push('.');
        }
        id.push_str(&seq.to_string());
    }
    id
}

/// One server-sent event as bytes; `data` is the JSON of a `LiveEvent` (one line).
fn event_bytes(name: &str, id: &str, data: &str, retry: bool) -> Bytes {
    let mut out = String::with_capacity(name.len() + id.len() + data.len() + 40);
    out.push_str("event: ");
    out.push_str(name);
    out.push_str("\nid: ");
    out.push_str(id);
    if retry {
        out.push_str(&format!("\nretry: {RETRY_MS}"));
    }
    out.push_str("\ndata: ");
    out.push_str(data);
    out.push_str("\n\n");
    Bytes::from(out)
}

const HEARTBEAT_BYTES: &[u8] = b": heartbeat\n\n";

/// Counts one open stream (for the limits and the metric) for as long as it lives.
struct Slot {
    core: Arc<Core>,
    /// The client's key in `core.client_streams`, if counted there.
    client: Option<IpAddr>,
}

impl Slot {
    /// Takes a slot for `client`, unless it holds its share already (429) or the
    /// instance is full (503).
    fn take(core: &Arc<Core>, client: Option<IpAddr>) -> Result<Self, Refusal> {
        let per_client = core.config.max_streams_per_client;
        let client =
            match client {
                None => None,
                Some(ip) => Some(core.client_streams.take(ip, per_client).ok_or_else(|| {
                    Refusal::TooMany {
                        message: format!(
                            "this address holds {per_client} live streams already, as many as \
                         one client may (WALLBOARD_MAX_STREAMS_PER_CLIENT); close some \
                         screens or ask the operator to raise the limit"
                        ),
                        retry_after_secs: 30,
                    }
                })?),
            };
        let open = core.streams.fetch_add(1, Ordering::AcqRel);
        if open >= core.config.max_viewers {
            core.streams.fetch_sub(1, Ordering::AcqRel);
            if let Some(key) = client {
                core.client_streams.release(key);
            }
            return Err(Refusal::Busy {
                message: "this instance holds all the streams it can",
                retry_after_secs: 5,
            });
        }
        core.metrics.viewers.inc();
        Ok(Self {
            core: core.clone(),
            client,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.core.streams.fetch_sub(1, Ordering::AcqRel);
        self.core.metrics.viewers.dec();
        if let Some(key) = self.client {
            self.core.client_streams.release(key);
        }
    }
}

enum Stop {
    Shutdown,
    Revoked,
    /// What the page shows changed (published): the client loads the new layout,
    /// which opens a new stream.
    Republished,
    /// An editor asked the screen to reload its page.
    Reload,
}

type StopFuture = Pin<Box<dyn Future<Output = Stop> + Send>>;

/// One open stream: what it watches, what its client holds, and when to stop.
pub struct Viewer {
    core: Arc<Core>,
    watches: Vec<Watch>,
    /// For a share stream, the projection of each watched dataset (same order).
    projections: Option<Vec<Projection>>,
    /// What every event id starts with: a share view's tag and `_`, or nothing.
    id_prefix: String,
    /// The `seq` the client holds of each dataset (0: nothing yet).
    held: Vec<u64>,
    /// When each dataset was last sent, for the rate cap.
    sent_at: Vec<Option<Instant>>,
    /// The least time between two events of one dataset (zero: no cap).
    gap: Duration,
    /// The snapshot, until it is sent.
    first: Option<Bytes>,
    last_write: Instant,
    /// Fires `HEARTBEAT` after the last write at the earliest; kept across events (a
    /// new timer per event would cost a timer insertion and removal per delivery).
    heartbeat: Pin<Box<tokio::time::Sleep>>,
    stop: StopFuture,
    done: bool,
    /// How many events the bytes `next_bytes` gives hold.
    events: u64,
    _slot: Slot,
}

impl Viewer {
    /// Opens a stream of `ids`; with `view`, a share stream (`ids` are its datasets).
    async fn open(
        core: &Arc<Core>,
        ids: Vec<DatasetId>,
        view: Option<SharedView>,
        resume: Option<String>,
        client: Option<IpAddr>,
        ended: StopFuture,
    ) -> Result<Self, Refusal> {
        if *core.shutdown.borrow() {
            core.metrics.viewers_refused.inc();
            return Err(Refusal::Busy {
                message: "this instance is stopping; connect to another",
                retry_after_secs: 1,
            });
        }
        let slot = Slot::take(core, client).inspect_err(|_| {
            core.metrics.viewers_refused.inc();
        })?;
        // The first viewer of a dataset here makes the bus load its frame (once,
        // however many viewers arrive together); it reaches them as a `frame` event.
        let mut watches: Vec<Watch> = ids.iter().map(|id| core.hub.watch(id)).collect();
        let id_prefix = view
            .as_ref()
            .map(|v| format!("{}_", v.tag()))
            .unwrap_or_default();
        let projections: Option<Vec<Projection>> = view.map(|v| {
            ids.iter()
                .map(|id| {
                    v.projection(id)
                        .cloned()
                        .expect("a share stream's datasets are bound")
                })
                .collect()
        });
        let client_holds = resume.and_then(|id| parse_event_id(&id, &id_prefix, ids.len()));
        let mut held = vec![0u64; ids.len()];
        let mut snapshot = String::from(r#"{"type":"snapshot","frames":["#);
        let mut first_frame = true;
        for (i, watch) in watches.iter_mut().enumerate() {
            if let Some(p) = watch.rx.borrow_and_update().clone() {
                held[i] = p.seq;
                let current = client_holds.as_ref().is_some_and(|c| c[i] == p.seq);
                if !current {
                    if !first_frame {
                        snapshot.push(',');
                    }
                    let projection = projections.as_ref().map(|all| &all[i]);
                    snapshot.push_str(&Wire::of(p, projection).frame_json());
                    first_frame = false;
                }
            }
        }
        snapshot.push_str("]}");
        let first = event_bytes("snapshot", &event_id(&id_prefix, &held), &snapshot, true);
        let mut shutdown = core.shutdown.clone();
        let stop: StopFuture = Box::pin(async move {
            tokio::select! {
                _ = shutdown.wait_for(|stopping| *stopping) => Stop::Shutdown,
                why = ended => why,
            }
        });
        let gap = match core.config.stream_max_rate {
            0 => Duration::ZERO,
            rate => Duration::from_secs(1) / rate,
        };
        Ok(Self {
            core: core.clone(),
            sent_at: vec![None; held.len()],
            watches,
            projections,
            id_prefix,
            held,
            gap,
            first: Some(first),
            last_write: Instant::now(),
            heartbeat: Box::pin(tokio::time::sleep(HEARTBEAT)),
            stop,
            done: false,
            events: 0,
            _slot: slot,
        })
    }

    /// The next bytes to write (an event or a heartbeat); `None` when the stream ends.
    pub async fn next_bytes(&mut self) -> Option<Bytes> {
        self.events = 1;
        let bytes = match self.first.take() {
            Some(first) => Some(first),
            None => self.next_event().await,
        }?;
        self.last_write = Instant::now();
        if bytes.as_ref() != HEARTBEAT_BYTES {
            self.core.metrics.updates_delivered.inc_by(self.events);
            self.core.metrics.stream_writes.inc();
        }
        Some(bytes)
    }

    async fn next_event(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        loop {
            let Viewer {
                watches,
                stop,
                heartbeat,
                ..
            } = self;
            let changed = async {
                if watches.len() == 1 {
                    watches[0].rx.changed().await.map(|()| 0)
                } else if watches.is_empty() {
                    std::future::pending().await
                } else {
                    let waits = watches
                        .iter_mut()
                        .enumerate()
                        .map(|(i, w)| Box::pin(async move { w.rx.changed().await.map(|()| i) }));
                    futures::future::select_all(waits).await.0
                }
            };
            tokio::select! {
                biased;
                why = stop => return self.stopped(why),
                changed = changed => {
                    let i = changed.ok()?;
                    // Too soon after the last event of this dataset: wait out the gap,
                    // then send whatever is latest by then.
                    if let Some(at) = self.sent_at[i] {
                        let due = at + self.gap;
                        if due > Instant::now() {
                            tokio::select! {
                                biased;
                                why = &mut self.stop => return self.stopped(why),
                                () = tokio::time::sleep_until(due) => {}
                            }
                        }
                    }
                    if let Some(event) = self.event_for(i) {
                        let now = Instant::now();
                        self.sent_at[i] = Some(now);
                        return Some(self.with_others_due(i, event, now));
                    }
                }
                () = heartbeat.as_mut() => {
                    let due = self.last_write + HEARTBEAT;
                    if due <= Instant::now() {
                        self.heartbeat.as_mut().reset(Instant::now() + HEARTBEAT);
                        return Some(Bytes::from_static(HEARTBEAT_BYTES));
                    }
                    self.heartbeat.as_mut().reset(due);
                }
            }
        }
    }

    /// `event` (of dataset `first`) followed by the events of every other dataset of
    /// this stream that changed meanwhile and is not held back by the rate cap: one
    /// write for all of them, however many datasets a wake-up finds changed.
    fn with_others_due(&mut self, first: usize, event: Bytes, now: Instant) -> Bytes {
        let mut all: Option<Vec<u8>> = None;
        for j in 0..self.watches.len() {
            let due = self.sent_at[j].is_none_or(|at| at + self.gap <= now);
            if j == first || !due || !self.watches[j].rx.has_changed().unwrap_or(false) {
                continue;
            }
            if let Some(next) = self.event_for(j) {
                self.sent_at[j] = Some(now);
                self.events += 1;
                all.get_or_insert_with(|| event.to_vec())
                    .extend_from_slice(&next);
            }
        }
        all.map_or(event, Bytes::from)
    }

    fn stopped(&mut self, why: Stop) -> Option<Bytes> {
        self.done = true;
        match why {
            Stop::Shutdown => Some(event_bytes(
                "reconnect",
                &event_id(&self.id_prefix, &self.held),
                r#"{"type":"reconnect"}"#,
                false,
            )),
            Stop::Republished => Some(event_bytes(
                "layout",
                &event_id(&self.id_prefix, &self.held),
                r#"{"type":"layout"}"#,
                false,
            )),
            Stop::Reload => Some(event_bytes(
                "reload",
                &event_id(&self.id_prefix, &self.held),
                r#"{"type":"reload"}"#,
                false,
            )),
            Stop::Revoked => None,
        }
    }

    /// The event that brings the client's copy of dataset `i` up to date, if it is not.
    fn event_for(&mut self, i: usize) -> Option<Bytes> {
        let p = self.watches[i].rx.borrow_and_update().clone()?;
        let seq = p.seq;
        let held = self.held[i];
        if seq <= held {
            return None;
        }
        let published = p.clone();
        let wire = Wire::of(p, self.projections.as_ref().map(|all| &all[i]));
        let frame_event;
        let (append, name, data) = match wire.append_event() {
            Some(append) if seq == held + 1 => (true, "append", append),
            _ => {
                if held > 0 && seq > held + 1 {
                    self.core.metrics.updates_coalesced.inc_by(seq - held - 1);
                }
                frame_event = wire.frame_event();
                (false, "frame", &*frame_event)
            }
        };
        self.held[i] = seq;
        let make = || event_bytes(name, &event_id(&self.id_prefix, &self.held), data, false);
        // A stream of one dataset, unprojected and unprefixed, gets the same bytes as
        // every other such stream at this change: its event id is the seq alone.
        let alone = self.watches.len() == 1 && self.projections.is_none();
        Some(match (alone && self.id_prefix.is_empty(), append) {
            (true, true) => published.append_sse(make),
            (true, false) => published.frame_text().sse(),
            (false, _) => make(),
        })
    }
}

impl IntoResponse for Viewer {
    fn into_response(self) -> Response {
        let events = futures::stream::unfold(self, |mut viewer| async move {
            let bytes = viewer.next_bytes().await?;
            Some((Ok::<_, std::convert::Infallible>(bytes), viewer))
        });
        (
            [
                (header::CONTENT_TYPE, CONTENT_TYPE),
                (header::CACHE_CONTROL, "no-cache"),
                (header::HeaderName::from_static("x-accel-buffering"), "no"),
            ],
            Body::from_stream(events),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::Published;
    use app::model::{Frame, LiveEvent};

    #[test]
    fn hand_built_events_are_live_events() {
        let frame = Frame::empty(DatasetId::parse("d").unwrap());
        let p = Published::full(frame.clone());
        let text = p.frame_text();
        let one: LiveEvent = serde_json::from_str(text.event()).unwrap();
        assert_eq!(
            one,
            LiveEvent::Frame {
                frame: frame.clone()
            }
        );
        let json = text.json();
        let all: LiveEvent = serde_json::from_str(&format!(
            r#"{{"type":"snapshot","frames":[{json},{json}]}}"#
        ))
        .unwrap();
        assert_eq!(
            all,
            LiveEvent::Snapshot {
                frames: vec![frame.clone(), frame]
            }
        );
    }

    #[test]
    fn events_are_framed_as_server_sent_events() {
        let e = event_bytes("frame", "3.4", r#"{"a":1}"#, true);
        assert_eq!(
            e.as_ref(),
            b"event: frame\nid: 3.4\nretry: 1000\ndata: {\"a\":1}\n\n"
        );
        let e = event_bytes("append", "5", "{}", false);
        assert_eq!(e.as_ref(), b"event: append\nid: 5\ndata: {}\n\n");
    }

    #[test]
    fn event_ids_round_trip_and_must_fit_the_datasets() {
        assert_eq!(event_id("", &[3, 0, 12]), "3.0.12");
        assert_eq!(parse_event_id("3.0.12", "", 3), Some(vec![3, 0, 12]));
        assert_eq!(parse_event_id("3.0.12", "", 2), None);
        assert_eq!(parse_event_id("3.x", "", 2), None);
        assert_eq!(parse_event_id("", "", 1), None);
    }

    #[test]
    fn a_share_event_id_resumes_only_under_the_same_view() {
        let id = event_id("00ab_", &[4, 7]);
        assert_eq!(id, "00ab_4.7");
        assert_eq!(parse_event_id(&id, "00ab_", 2), Some(vec![4, 7]));
        assert_eq!(parse_event_id(&id, "00ac_", 2), None, "another view");
        assert_eq!(parse_event_id("4.7", "00ab_", 2), None, "an unshared id");
        assert_eq!(parse_event_id(&id, "", 2), None, "a share id elsewhere");
    }
}
