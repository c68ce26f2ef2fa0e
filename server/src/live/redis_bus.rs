//! The Redis side of the bus: publishing (one `PUBLISH` per change, plus the frame
//! cache) over a self-reconnecting connection, and this instance's one subscriber
//! connection, which follows the hub's viewers and survives Redis restarts.

use super::bus::Bus;
use super::{Applied, Interest, Published};
use app::model::DatasetId;
use futures::StreamExt;
use redis::aio::ConnectionManager;
use std::sync::{Arc, Weak};
use std::time::Duration;

pub struct RedisBus {
    client: redis::Client,
    conn: ConnectionManager,
    frame_ttl_ms: u64,
}

fn channel(id: &DatasetId) -> String {
    format!("wb:live:{id}")
}

/// Where revoked credentials are announced (see `LiveHub::revoked`).
const REVOKED: &str = "wb:revoked";

fn cache_key(id: &DatasetId) -> String {
    format!("wb:frame:{id}")
}

impl RedisBus {
    pub async fn connect(client: redis::Client, frame_ttl: Duration) -> redis::RedisResult<Self> {
        let conn = ConnectionManager::new(client.clone()).await?;
        Ok(Self {
            client,
            conn,
            frame_ttl_ms: frame_ttl.as_millis().max(1) as u64,
        })
    }

    /// Caches the whole frame and announces the change, in one round trip.
    pub async fn publish_frame(&self, id: &DatasetId, event: &str, frame_json: &str) {
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(cache_key(id))
            .arg(frame_json)
            .arg("PX")
            .arg(self.frame_ttl_ms)
            .ignore();
        self.announce(id, event, pipe).await;
    }

    /// Announces appended rows. The cached whole frame is dropped, so the next reader
    /// goes to the database instead of an outdated copy.
    pub async fn publish_append(&self, id: &DatasetId, event: &str) {
        let mut pipe = redis::pipe();
        pipe.cmd("DEL").arg(cache_key(id)).ignore();
        self.announce(id, event, pipe).await;
    }

    /// Runs `pipe` and publishes `event` on the dataset's channel. A failure is
    /// logged: the change is in the database, and hubs catch up on their next
    /// (re)load.
    async fn announce(&self, id: &DatasetId, event: &str, mut pipe: redis::Pipeline) {
        pipe.cmd("PUBLISH").arg(channel(id)).arg(event).ignore();
        let mut conn = self.conn.clone();
        if let Err(err) = pipe.query_async::<()>(&mut conn).await {
            tracing::warn!(dataset = %id, error = %err, "could not publish to Redis");
        }
    }

    /// Announces a revoked credential; `false` if Redis did not take it.
    pub async fn publish_revocation(&self, key: &str) -> bool {
        let mut conn = self.conn.clone();
        match redis::cmd("PUBLISH")
            .arg(REVOKED)
            .arg(key)
            .query_async::<()>(&mut conn)
            .await
        {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(error = %err, "could not publish a revocation to Redis");
                false
            }
        }
    }

    /// The cached frame of `id`, if Redis has one.
    pub async fn cached(&self, id: &DatasetId) -> Option<Published> {
        let mut conn = self.conn.clone();
        let text: Option<String> = redis::cmd("GET")
            .arg(cache_key(id))
            .query_async(&mut conn)
            .await
            .inspect_err(|err| tracing::warn!(dataset = %id, error = %err, "Redis GET failed"))
            .ok()
            .flatten();
        text.and_then(|t| Published::from_json(&t).ok())
    }

    /// Runs this instance's subscriber connection for as long as the bus lives.
    pub fn spawn_subscriber(bus: &Arc<Bus>) {
        let weak = Arc::downgrade(bus);
        let interest = bus.hub().listen();
        let client = bus
            .redis
            .as_ref()
            .expect("a Redis bus has a Redis part")
            .client
            .clone();
        tokio::spawn(subscribe_forever(client, weak, interest));
    }
}

async fn subscribe_forever(
    client: redis::Client,
    bus: Weak<Bus>,
    mut interest: tokio::sync::mpsc::UnboundedReceiver<Interest>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match client.get_async_pubsub().await {
            Ok(pubsub) => {
                backoff = Duration::from_millis(100);
                let (mut sink, mut messages) = pubsub.split();
                if let Err(err) = sink.subscribe(REVOKED).await {
                    tracing::warn!(error = %err, "Redis SUBSCRIBE failed");
                    continue;
                }
                let Some(live) = bus.upgrade() else { return };
                let watched = live.hub().watched();
                if !watched.is_empty() {
                    let channels: Vec<String> = watched.iter().map(channel).collect();
                    if let Err(err) = sink.subscribe(&channels).await {
                        tracing::warn!(error = %err, "Redis SUBSCRIBE failed");
                        continue;
                    }
                    tracing::info!(datasets = watched.len(), "subscribed to Redis");
                    // Whatever changed while we were not listening is in the database.
                    for id in &watched {
                        live.reload(id).await;
                    }
                }
                drop(live);
                loop {
                    tokio::select! {
                        message = messages.next() => {
                            let Some(message) = message else { break };
                            let Some(live) = bus.upgrade() else { return };
                            receive(&live, message).await;
                        }
                        event = interest.recv() => {
                            let Some(event) = event else { return };
                            let Some(live) = bus.upgrade() else { return };
                            if let Err(err) = follow(&live, &mut sink, event).await {
                                tracing::warn!(error = %err, "Redis subscription change failed");
                                break;
                            }
                        }
                    }
                }
                tracing::warn!("lost the Redis subscriber connection; reconnecting");
            }
            Err(err) => tracing::warn!(error = %err, "cannot reach Redis for pub/sub; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Subscribes to a newly watched dataset (then loads its frame, so nothing published
/// before the subscription took effect is missed), or unsubscribes from one that lost
/// its last viewer.
async fn follow(
    bus: &Bus,
    sink: &mut redis::aio::PubSubSink,
    event: Interest,
) -> redis::RedisResult<()> {
    match event {
        Interest::Watched(id) => {
            sink.subscribe(channel(&id)).await?;
            bus.reload(&id).await;
        }
        Interest::Unwatched(id) => {
            if !bus.hub().is_watched(&id) {
                sink.unsubscribe(channel(&id)).await?;
                bus.hub().forget_if_unwatched(&id);
            }
        }
    }
    Ok(())
}

async fn receive(bus: &Bus, message: redis::Msg) {
    let Ok(event) = std::str::from_utf8(message.get_payload_bytes()) else {
        tracing::warn!("a live message is not UTF-8");
        return;
    };
    if message.get_channel_name() == REVOKED {
        bus.hub().revoked(event);
        return;
    }
    match bus.hub().receive(event.to_string()) {
        Ok(Applied::Gap) => {
            let id = message
                .get_channel_name()
                .strip_prefix("wb:live:")
                .and_then(|id| DatasetId::parse(id).ok());
            if let Some(id) = id {
                bus.reload(&id).await;
            }
        }
        Ok(_) => {}
        Err(err) => tracing::warn!(error = %err, "ignoring a live message"),
    }
}
