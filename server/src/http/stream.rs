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
//! - heartbeats keep proxies from closing idle streams;
//! - past `WALLBOARD_MAX_VIEWERS` open streams, or while stopping, a request gets 503
//!   with Retry-After; on shutdown every stream is sent `reconnect` and closed, and
//!   clients reconnect at once (to another instance behind the balancer).

use super::error::ApiError;
use crate::live::Watch;
use crate::startup::Core;
use app::error::AppError;
use app::model::{DatasetId, ShareToken};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Most datasets one stream may carry.
const MAX_DATASETS: usize = 200;
/// How often an open share stream checks that its link is still valid.
const SHARE_RECHECK: Duration = Duration::from_secs(5);
/// How often an idle stream sends a comment, so proxies keep it open.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// What the browser waits before reconnecting after a plain disconnect.
const RETRY: Duration = Duration::from_millis(1000);

#[derive(serde::Deserialize)]
pub struct LiveQuery {
    #[serde(default)]
    datasets: String,
    #[serde(default)]
    last_event_id: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct ResumeQuery {
    #[serde(default)]
    last_event_id: Option<String>,
}

/// `GET /api/v1/live?datasets=a,b`: the editor's and viewer's stream.
pub async fn datasets(
    State(core): State<Arc<Core>>,
    Query(query): Query<LiveQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut ids: Vec<DatasetId> = Vec::new();
    for raw in query.datasets.split(',').filter(|s| !s.is_empty()) {
        let id = DatasetId::parse(raw).map_err(|e| AppError::from(e.within("datasets")))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_DATASETS {
        return Err(AppError::Invalid {
            field: "datasets".into(),
            message: format!("a stream carries at most {MAX_DATASETS} datasets"),
        }
        .into());
    }
    for id in &ids {
        if core
            .datasets
            .get(&core.storage, id)
            .await
            .map_err(crate::backend::storage_error)?
            .is_none()
        {
            return Err(AppError::not_found(&format!("dataset {id}")).into());
        }
    }
    let resume = resume_point(&headers, query.last_event_id);
    Ok(open(core, ids, resume, Box::pin(std::future::pending())).await)
}

/// `GET /api/v1/live/share/{token}`: a share page's stream; the token decides which
/// datasets it carries.
pub async fn share(
    State(core): State<Arc<Core>>,
    Path(token): Path<String>,
    Query(query): Query<ResumeQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = ShareToken::parse(token).map_err(|_| AppError::not_found("share link"))?;
    let id = core
        .storage
        .resolve_share_link(&token)
        .await
        .map_err(crate::backend::storage_error)?
        .ok_or_else(|| AppError::not_found("share link"))?;
    let dashboard = core
        .storage
        .get_dashboard(&id)
        .await
        .map_err(crate::backend::storage_error)?
        .ok_or_else(|| AppError::not_found("share link"))?;
    // A revoked link (or a deleted dashboard) ends the open streams within one check.
    let watcher = core.clone();
    let revoked = async move {
        loop {
            tokio::time::sleep(SHARE_RECHECK).await;
            if let Ok(None) = watcher.storage.resolve_share_link(&token).await {
                return;
            }
        }
    };
    let resume = resume_point(&headers, query.last_event_id);
    Ok(open(
        core,
        dashboard.dashboard.datasets(),
        resume,
        Box::pin(revoked),
    )
    .await)
}

/// The resume point a reconnecting client sent: the header (browsers' own retry) or
/// the query (our own reconnects, which open a new `EventSource`).
fn resume_point(headers: &HeaderMap, query: Option<String>) -> Option<String> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(query)
}

/// The `seq` of each dataset that an event id names, if it names one per dataset.
fn parse_event_id(id: &str, datasets: usize) -> Option<Vec<u64>> {
    let seqs = id
        .split('.')
        .map(|s| s.parse().ok())
        .collect::<Option<Vec<u64>>>()?;
    (seqs.len() == datasets).then_some(seqs)
}

fn event_id(seqs: &[u64]) -> String {
    let mut id = String::with_capacity(seqs.len() * 4);
    for (i, seq) in seqs.iter().enumerate() {
        if i > 0 {
            id.push('.');
        }
        id.push_str(&seq.to_string());
    }
    id
}

/// Counts one open stream (for the limit and the metric) for as long as it lives.
struct Slot(Arc<Core>);

impl Slot {
    fn take(core: &Arc<Core>) -> Option<Self> {
        let open = core.streams.fetch_add(1, Ordering::AcqRel);
        if open >= core.config.max_viewers {
            core.streams.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        core.metrics.viewers.inc();
        Some(Self(core.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.streams.fetch_sub(1, Ordering::AcqRel);
        self.0.metrics.viewers.dec();
    }
}

fn refuse(core: &Core, why: &str, retry_after_secs: u64) -> Response {
    core.metrics.viewers_refused.inc();
    let mut response = ApiError(AppError::Unavailable {
        message: why.to_string(),
    })
    .into_response();
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

enum Stop {
    Shutdown,
    Revoked,
}

type StopFuture = Pin<Box<dyn Future<Output = Stop> + Send>>;

/// One open stream: what it watches, what its client holds, and when to stop.
struct Viewer {
    core: Arc<Core>,
    watches: Vec<Watch>,
    /// The `seq` the client holds of each dataset (0: nothing yet).
    held: Vec<u64>,
    /// When each dataset was last sent, for the rate cap.
    sent_at: Vec<Option<tokio::time::Instant>>,
    /// The least time between two events of one dataset (zero: no cap).
    gap: Duration,
    stop: StopFuture,
    done: bool,
    _slot: Slot,
}

async fn open(
    core: Arc<Core>,
    ids: Vec<DatasetId>,
    resume: Option<String>,
    revoked: Pin<Box<dyn Future<Output = ()> + Send>>,
) -> Response {
    if *core.shutdown.borrow() {
        return refuse(&core, "this instance is stopping; connect to another", 1);
    }
    let Some(slot) = Slot::take(&core) else {
        return refuse(&core, "this instance holds all the streams it can", 5);
    };
    // The first viewer of a dataset here makes the bus load its frame (once, however
    // many viewers arrive together); it reaches them as a `frame` event.
    let mut watches: Vec<Watch> = ids.iter().map(|id| core.hub.watch(id)).collect();
    let client_holds = resume.and_then(|id| parse_event_id(&id, ids.len()));
    let mut held = vec![0u64; ids.len()];
    let mut frames = Vec::new();
    for (i, watch) in watches.iter_mut().enumerate() {
        if let Some(p) = watch.rx.borrow_and_update().clone() {
            held[i] = p.frame.seq;
            let current = client_holds.as_ref().is_some_and(|c| c[i] == p.frame.seq);
            if !current {
                frames.push(p);
            }
        }
    }
    let mut snapshot = String::from(r#"{"type":"snapshot","frames":["#);
    for (i, p) in frames.iter().enumerate() {
        if i > 0 {
            snapshot.push(',');
        }
        snapshot.push_str(p.frame_json());
    }
    snapshot.push_str("]}");
    let first = event("snapshot", &snapshot, &event_id(&held));

    let mut shutdown = core.shutdown.clone();
    let stop: StopFuture = Box::pin(async move {
        tokio::select! {
            _ = shutdown.wait_for(|stopping| *stopping) => Stop::Shutdown,
            () = revoked => Stop::Revoked,
        }
    });
    let gap = match core.config.stream_max_rate {
        0 => Duration::ZERO,
        rate => Duration::from_secs(1) / rate,
    };
    let viewer = Viewer {
        core: core.clone(),
        watches,
        sent_at: vec![None; held.len()],
        gap,
        held,
        stop,
        done: false,
        _slot: slot,
    };
    core.metrics.updates_delivered.inc();
    let events = stream::unfold((viewer, Some(first)), |(mut viewer, first)| async move {
        let event = match first {
            Some(event) => event,
            None => {
                let event = viewer.next_event().await?;
                viewer.core.metrics.updates_delivered.inc();
                event
            }
        };
        Some((Ok::<_, Infallible>(event), (viewer, None)))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat"))
        .into_response()
}

impl Viewer {
    /// Waits for the next change worth sending (or the end of the stream).
    async fn next_event(&mut self) -> Option<Event> {
        if self.done {
            return None;
        }
        loop {
            let Viewer { watches, stop, .. } = self;
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
                why = stop => {
                    self.done = true;
                    return match why {
                        Stop::Shutdown => Some(reconnect(&self.held)),
                        Stop::Revoked => None,
                    };
                }
                changed = changed => {
                    let i = changed.ok()?;
                    // Too soon after the last event of this dataset: wait out the gap,
                    // then send whatever is latest by then.
                    if let Some(at) = self.sent_at[i] {
                        let due = at + self.gap;
                        if due > tokio::time::Instant::now() {
                            tokio::select! {
                                biased;
                                why = &mut self.stop => {
                                    self.done = true;
                                    return match why {
                                        Stop::Shutdown => Some(reconnect(&self.held)),
                                        Stop::Revoked => None,
                                    };
                                }
                                () = tokio::time::sleep_until(due) => {}
                            }
                        }
                    }
                    if let Some(event) = self.event_for(i) {
                        self.sent_at[i] = Some(tokio::time::Instant::now());
                        return Some(event);
                    }
                }
            }
        }
    }

    /// The event that brings the client's copy of dataset `i` up to date, if it is not.
    fn event_for(&mut self, i: usize) -> Option<Event> {
        let p = self.watches[i].rx.borrow_and_update().clone()?;
        let seq = p.frame.seq;
        let held = self.held[i];
        if seq <= held {
            return None;
        }
        let (name, data) = match p.append_event() {
            Some(append) if seq == held + 1 => ("append", append),
            _ => {
                if held > 0 && seq > held + 1 {
                    self.core.metrics.updates_coalesced.inc_by(seq - held - 1);
                }
                ("frame", p.frame_event())
            }
        };
        self.held[i] = seq;
        Some(event(name, data, &event_id(&self.held)))
    }
}

fn reconnect(held: &[u64]) -> Event {
    event("reconnect", r#"{"type":"reconnect"}"#, &event_id(held))
}

/// One server-sent event; `data` is the JSON of a `LiveEvent` named `name`.
fn event(name: &'static str, data: &str, id: &str) -> Event {
    Event::default().event(name).id(id).retry(RETRY).data(data)
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
        let one: LiveEvent = serde_json::from_str(p.frame_event()).unwrap();
        assert_eq!(
            one,
            LiveEvent::Frame {
                frame: frame.clone()
            }
        );
        let json = p.frame_json();
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
    fn event_ids_round_trip_and_must_fit_the_datasets() {
        assert_eq!(event_id(&[3, 0, 12]), "3.0.12");
        assert_eq!(parse_event_id("3.0.12", 3), Some(vec![3, 0, 12]));
        assert_eq!(parse_event_id("3.0.12", 2), None);
        assert_eq!(parse_event_id("3.x", 2), None);
        assert_eq!(parse_event_id("", 1), None);
    }
}
