//! The bus: how a dataset change reaches the hub of every instance, and where the
//! latest frame of a dataset is found when a hub does not hold it.
//!
//! - **Local** (the embedded default, one process): a change goes straight into this
//!   instance's hub, which keeps the latest frame of every dataset in memory.
//! - **Redis** (`REDIS_URL`, many instances): a change is published once to the
//!   dataset's channel, and its whole frame is cached under a key with a TTL. Each
//!   instance holds one subscriber connection and subscribes to a dataset's channel
//!   only while it has viewers of that dataset; it resubscribes by itself after Redis
//!   restarts and then reloads what it may have missed.
//!
//! Either way the database stays the truth: a hub that misses a change (a gap in
//! `seq`) reloads the frame from storage, and nothing queries a source per viewer.

use super::redis_bus::RedisBus;
use super::{dataset_key, layout_key, Applied, Interest, LiveHub, Published};
use crate::metrics::Metrics;
use crate::storage::{Storage, StoredFrame};
use app::model::{Append, DashboardId, DatasetId, Frame, LiveEvent};
use std::sync::Arc;

pub struct Bus {
    hub: Arc<LiveHub>,
    storage: Storage,
    metrics: Arc<Metrics>,
    pub(super) redis: Option<RedisBus>,
}

impl Bus {
    /// The in-process bus.
    pub fn local(hub: Arc<LiveHub>, storage: Storage, metrics: Arc<Metrics>) -> Arc<Self> {
        let bus = Arc::new(Self {
            hub,
            storage,
            metrics,
            redis: None,
        });
        let mut interest = bus.hub.listen();
        let weak = Arc::downgrade(&bus);
        tokio::spawn(async move {
            while let Some(event) = interest.recv().await {
                let Some(bus) = weak.upgrade() else { return };
                if let Interest::Watched(id) = event {
                    if bus.hub.latest(&id).is_none() {
                        bus.reload(&id).await;
                    }
                }
            }
        });
        bus
    }

    /// The Redis bus; its subscriber runs until the process ends.
    pub async fn redis(
        hub: Arc<LiveHub>,
        storage: Storage,
        metrics: Arc<Metrics>,
        client: redis::Client,
        frame_ttl: std::time::Duration,
    ) -> redis::RedisResult<Arc<Self>> {
        let redis = RedisBus::connect(client, frame_ttl).await?;
        let bus = Arc::new(Self {
            hub,
            storage,
            metrics,
            redis: Some(redis),
        });
        RedisBus::spawn_subscriber(&bus);
        Ok(bus)
    }

    /// Announces that credential `key` was revoked, to every instance's streams (within
    /// one Redis round trip; locally at once). If Redis fails, this instance still
    /// hears it, and the others find out on their next periodic check.
    pub async fn revoke(&self, key: &str) {
        match &self.redis {
            Some(redis) if redis.publish_revocation(key).await => {}
            _ => self.hub.revoked(key),
        }
    }

    /// Announces that what the screens of dashboard `id` show changed (it was
    /// published, or saved while never published): their streams send `layout` and
    /// end, and their pages load the new layout. Same channel as revocations.
    pub async fn dashboard_changed(&self, id: &DashboardId) {
        self.revoke(&layout_key(id)).await
    }

    /// Announces that dataset `id` was changed or deleted: every instance forgets what
    /// it held of it and its poller rereads it (`startup::follow_dataset_changes`).
    pub async fn dataset_changed(&self, id: &DatasetId) {
        self.revoke(&dataset_key(id)).await
    }

    pub fn hub(&self) -> &Arc<LiveHub> {
        &self.hub
    }

    pub fn backend_name(&self) -> &'static str {
        if self.redis.is_some() {
            "redis"
        } else {
            "local"
        }
    }

    /// Publishes a dataset's whole new frame.
    pub async fn publish(&self, frame: Frame) {
        self.publish_shared(Arc::new(Published::full(frame))).await;
    }

    /// Publishes a dataset's whole new frame, already in its published form (whose
    /// JSON, made once, the caller may also store).
    pub async fn publish_shared(&self, published: Arc<Published>) {
        self.metrics.updates_published.inc();
        match &self.redis {
            None => {
                self.hub.publish(published);
            }
            Some(redis) => {
                let text = published.frame_text();
                redis
                    .publish_frame(&published.dataset, text.event(), text.json())
                    .await;
            }
        }
    }

    /// Publishes rows appended to a dataset.
    pub async fn publish_append(&self, append: Append) {
        self.metrics.updates_published.inc();
        let event = LiveEvent::Append(append);
        let json = serde_json::to_string(&event).expect("an event serializes");
        let LiveEvent::Append(append) = event else {
            unreachable!("made above")
        };
        match &self.redis {
            None => {
                if self.hub.apply(&append, json) == Applied::Gap {
                    if self.hub.is_watched(&append.dataset) {
                        self.reload(&append.dataset).await;
                    } else {
                        // Nobody needs it now; the next first viewer loads it whole.
                        self.hub.forget_if_unwatched(&append.dataset);
                    }
                }
            }
            Some(redis) => redis.publish_append(&append.dataset, &json).await,
        }
    }

    /// The latest frame of `id`: from this hub when it is current, else from the cache
    /// or the database (and then kept in the hub if someone here watches it).
    pub async fn latest(&self, id: &DatasetId) -> Option<Arc<Published>> {
        if let Some(held) = self.hub.latest(id) {
            if self.redis.is_none() || self.hub.is_watched(id) {
                return Some(held);
            }
        }
        let cached = match &self.redis {
            Some(redis) => redis.cached(id).await,
            None => None,
        };
        let published = Arc::new(match cached {
            Some(published) => published,
            None => self.stored(id).await?,
        });
        if self.redis.is_none() || self.hub.is_watched(id) {
            self.hub.publish(published.clone());
        }
        Some(published)
    }

    /// Reads the frame of `id` from the database into the hub.
    pub async fn reload(&self, id: &DatasetId) {
        if let Some(published) = self.stored(id).await {
            self.hub.publish(Arc::new(published));
        }
    }

    /// The latest frame of `id` in the database (a polled dataset's rows read into a
    /// batch, a pushed one's kept as rows).
    pub async fn stored(&self, id: &DatasetId) -> Option<Published> {
        let read = match self.storage.load_stored_frame(id).await {
            Ok(stored) => stored?,
            Err(err) => {
                tracing::warn!(dataset = %id, error = %err, "could not load the latest frame");
                return None;
            }
        };
        match read {
            StoredFrame::Rows(frame) => Some(Published::full(frame)),
            StoredFrame::Json(text) => Published::from_json(&text)
                .inspect_err(|err| {
                    tracing::warn!(dataset = %id, error = %err, "the stored frame is unreadable");
                })
                .ok(),
        }
    }
}
