//! Live streams (server-sent events). One connection per open screen carries only the
//! datasets that screen shows: first a `snapshot` of their current frames, then a
//! `frame` event whenever one changes. Slow clients see the newest frame when they are
//! ready (the hub is latest-wins), heartbeats keep proxies from closing idle streams,
//! and on shutdown every stream ends so clients reconnect elsewhere.

use super::error::ApiError;
use crate::startup::Core;
use app::error::AppError;
use app::model::{DatasetId, ShareToken};
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::wrappers::WatchStream;

/// Most datasets one stream may carry.
const MAX_DATASETS: usize = 200;
/// How often an open share stream checks that its link is still valid.
const SHARE_RECHECK: Duration = Duration::from_secs(5);

#[derive(serde::Deserialize)]
pub struct LiveQuery {
    #[serde(default)]
    datasets: String,
}

/// `GET /api/v1/live?datasets=a,b`: the editor's and viewer's stream.
pub async fn datasets(
    State(core): State<Arc<Core>>,
    Query(query): Query<LiveQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let ids = query
        .datasets
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| DatasetId::parse(s).map_err(|e| AppError::from(e.within("datasets"))))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(unknown) = ids.iter().find(|id| !core.scheduler.knows(id)) {
        return Err(AppError::not_found(&format!("dataset {unknown}")).into());
    }
    if ids.len() > MAX_DATASETS {
        return Err(AppError::Invalid {
            field: "datasets".into(),
            message: format!("a stream carries at most {MAX_DATASETS} datasets"),
        }
        .into());
    }
    Ok(sse(&core, ids, futures::future::pending()))
}

/// `GET /api/v1/live/share/{token}`: a share page's stream; the token decides which
/// datasets it carries.
pub async fn share(
    State(core): State<Arc<Core>>,
    Path(token): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
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
    Ok(sse(&core, dashboard.dashboard.datasets(), revoked))
}

fn sse(
    core: &Core,
    ids: Vec<DatasetId>,
    revoked: impl std::future::Future<Output = ()> + Send + 'static,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receivers: Vec<_> = ids.iter().map(|id| core.hub.subscribe(id)).collect();
    let frames: Vec<String> = receivers
        .iter()
        .filter_map(|rx| rx.borrow().as_ref().map(|p| p.json.clone()))
        .collect();
    let delivered = core.metrics.clone();
    let guard = crate::metrics::ViewerGuard::new(core.metrics.clone());
    let snapshot = stream::once(async move {
        Ok(event(
            "snapshot",
            format!(r#"{{"type":"snapshot","frames":[{}]}}"#, frames.join(",")),
        ))
    });
    let updates = stream::select_all(receivers.into_iter().map(WatchStream::from_changes))
        .filter_map(|published| async move { published })
        .map(|p| {
            Ok(event(
                "frame",
                format!(r#"{{"type":"frame","frame":{}}}"#, p.json),
            ))
        });
    let mut shutdown = core.shutdown.clone();
    let stopped = async move {
        tokio::select! {
            _ = shutdown.wait_for(|stopping| *stopping) => {},
            () = revoked => {},
        }
    };
    // Stay open with nothing to carry (an editor with no data yet) until shutdown.
    let stream = snapshot
        .chain(updates)
        .map(move |event| {
            delivered.events_delivered.inc();
            event
        })
        .chain(stream::pending())
        .take_until(stopped)
        .map(move |event| {
            let _open = &guard;
            event
        });
    Sse::new(stream).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("heartbeat"),
    )
}

/// One server-sent event; `data` is the JSON of a `LiveEvent` named `name`.
fn event(name: &'static str, data: String) -> Event {
    Event::default()
        .event(name)
        .retry(Duration::from_millis(1000))
        .data(data)
}

#[cfg(test)]
mod tests {
    use app::model::{DatasetId, Frame, LiveEvent};

    #[test]
    fn hand_built_events_are_live_events() {
        let frame = Frame::empty(DatasetId::parse("d").unwrap());
        let json = serde_json::to_string(&frame).unwrap();
        let one: LiveEvent =
            serde_json::from_str(&format!(r#"{{"type":"frame","frame":{json}}}"#)).unwrap();
        assert_eq!(
            one,
            LiveEvent::Frame {
                frame: frame.clone()
            }
        );
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
}
