//! Live streams (server-sent events). One connection per open screen carries only the
//! datasets that screen shows: first a `snapshot` of their current frames, then a
//! `frame` event whenever one changes. Slow clients see the newest frame when they are
//! ready (the hub is latest-wins), heartbeats keep proxies from closing idle streams,
//! and on shutdown every stream ends so clients reconnect elsewhere.

use super::error::ApiError;
use crate::startup::Core;
use app::error::AppError;
use app::model::{DatasetId, LiveEvent, ShareToken};
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::wrappers::WatchStream;

/// Most datasets one stream may carry.
const MAX_DATASETS: usize = 200;

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
    if ids.len() > MAX_DATASETS {
        return Err(AppError::Invalid {
            field: "datasets".into(),
            message: format!("a stream carries at most {MAX_DATASETS} datasets"),
        }
        .into());
    }
    Ok(sse(&core, ids))
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
    Ok(sse(&core, dashboard.dashboard.datasets()))
}

fn sse(core: &Core, ids: Vec<DatasetId>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receivers: Vec<_> = ids.iter().map(|id| core.hub.subscribe(id)).collect();
    let frames = receivers
        .iter()
        .filter_map(|rx| rx.borrow().as_ref().map(|f| (**f).clone()))
        .collect();
    let snapshot = stream::once(async move { event(&LiveEvent::Snapshot { frames }) });
    let updates = stream::select_all(receivers.into_iter().map(WatchStream::from_changes))
        .filter_map(|frame| async move { frame })
        .map(|frame| {
            event(&LiveEvent::Frame {
                frame: (*frame).clone(),
            })
        });
    let mut shutdown = core.shutdown.clone();
    let stopped = async move {
        let _ = shutdown.wait_for(|stopping| *stopping).await;
    };
    // Stay open with nothing to carry (an editor with no data yet) until shutdown.
    let stream = snapshot
        .chain(updates)
        .chain(stream::pending())
        .take_until(stopped);
    Sse::new(stream).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("heartbeat"),
    )
}

fn event(message: &LiveEvent) -> Result<Event, Infallible> {
    let data = serde_json::to_string(message).expect("a live event serializes");
    Ok(Event::default()
        .event(message.event_name())
        .retry(Duration::from_millis(1000))
        .data(data))
}
