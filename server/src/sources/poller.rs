//! The polling schedule: one task per polled dataset, refreshing it on its interval.
//!
//! A dataset is polled only while someone watches it (on any instance: each instance
//! with viewers competes for the dataset's lease) or when it is marked "always
//! refresh", and then only by the instance holding its lease, so a cluster reads each
//! source once per interval. A refresh fetches the source, extracts typed rows and
//! publishes a new frame. A failed refresh publishes the *last good* rows with the
//! error, so every screen keeps the last good value and shows why it is stale; repeated
//! failures back off. One dataset's slow source never delays another's.

use super::lease::{Hold, Leases};
use crate::live::bus::Bus;
use crate::live::{Interest, Published};
use crate::storage::{SourcedDataset, Storage};
use app::model::{DataSource, Dataset, DatasetId, Frame};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The longest pause between attempts at a failing source.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// What a refresh needs, shared by all polling tasks.
pub struct PollContext {
    pub storage: Storage,
    pub bus: Arc<Bus>,
    pub leases: Leases,
    pub readers: Arc<super::reader::Readers>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The pipelines' limits and jq workers.
    pub pipelines: crate::sandbox::PipelineHost,
}

struct Task {
    handle: JoinHandle<()>,
    wake: Arc<Notify>,
}

#[derive(Default)]
pub struct Scheduler {
    tasks: Mutex<HashMap<DatasetId, Task>>,
}

impl Scheduler {
    /// Starts (or restarts) the polling task of `entry`; pushed datasets have none.
    pub fn schedule(&self, ctx: Arc<PollContext>, entry: SourcedDataset) {
        if !entry.source.config.is_polled() {
            return;
        }
        let id = entry.dataset.id.clone();
        let wake = Arc::new(Notify::new());
        let mut tasks = self.tasks.lock().expect("scheduler lock");
        // The old task stops before the new one starts, so they never poll together.
        if let Some(old) = tasks.remove(&id) {
            old.handle.abort();
        }
        let handle = tokio::spawn(poll_forever(ctx, entry, wake.clone()));
        tasks.insert(id, Task { handle, wake });
    }

    /// Rereads dataset `id`, changed or deleted on some instance: its task restarts
    /// with the new configuration (and polls at once where it holds the lease and a
    /// screen shows it), or stops and gives up its lease.
    pub async fn reload(&self, ctx: &Arc<PollContext>, id: &DatasetId) {
        match ctx.storage.get_dataset(id).await {
            Ok(Some(entry)) => {
                let running = self.tasks.lock().expect("scheduler lock").contains_key(id);
                if running || entry.dataset.always_refresh || ctx.bus.hub().is_watched(id) {
                    self.schedule(ctx.clone(), entry);
                }
            }
            Ok(None) => {
                let stopped = self.tasks.lock().expect("scheduler lock").remove(id);
                if let Some(task) = stopped {
                    task.handle.abort();
                    ctx.leases.release(id.as_str()).await;
                }
            }
            Err(err) => {
                tracing::warn!(dataset = %id, error = %err, "cannot reload a changed dataset")
            }
        }
    }

    /// The datasets that have a polling task here.
    pub fn scheduled(&self) -> Vec<DatasetId> {
        self.tasks
            .lock()
            .expect("scheduler lock")
            .keys()
            .cloned()
            .collect()
    }

    /// Follows the hub: a dataset that gains its first viewer here is refreshed now
    /// (if this instance gets its lease), and one created on another instance is
    /// scheduled here too.
    pub fn follow(self: &Arc<Self>, ctx: Arc<PollContext>) {
        let mut interest = ctx.bus.hub().listen();
        let scheduler = Arc::downgrade(self);
        tokio::spawn(async move {
            while let Some(event) = interest.recv().await {
                let Interest::Watched(id) = event else {
                    continue;
                };
                let Some(scheduler) = scheduler.upgrade() else {
                    return;
                };
                if scheduler.wake(&id) {
                    continue;
                }
                match ctx.storage.get_dataset(&id).await {
                    Ok(Some(entry)) => scheduler.schedule(ctx.clone(), entry),
                    Ok(None) => {}
                    Err(err) => {
                        tracing::warn!(dataset = %id, error = %err, "cannot load a dataset")
                    }
                }
            }
        });
    }

    /// Wakes the task of `id`; `false` if there is none.
    fn wake(&self, id: &DatasetId) -> bool {
        let tasks = self.tasks.lock().expect("scheduler lock");
        match tasks.get(id) {
            Some(task) => {
                task.wake.notify_one();
                true
            }
            None => false,
        }
    }

    /// Stops every task and gives up their leases, so other instances take over at once.
    pub async fn stop_all(&self, ctx: &PollContext) {
        let stopped: Vec<DatasetId> = {
            let mut tasks = self.tasks.lock().expect("scheduler lock");
            tasks
                .drain()
                .map(|(id, task)| {
                    task.handle.abort();
                    id
                })
                .collect()
        };
        for id in stopped {
            ctx.leases.release(id.as_str()).await;
        }
        ctx.metrics.leases_held.set(0);
    }
}

/// How long to wait, beyond the usual interval, after `failures` failures in a row:
/// nothing after the first, then 1, 3, 7 … intervals, at most five minutes.
fn backoff(interval: Duration, failures: u32) -> Duration {
    let factor = (1u32 << failures.saturating_sub(1).min(16)) - 1;
    (interval * factor).min(MAX_BACKOFF)
}

async fn poll_forever(ctx: Arc<PollContext>, entry: SourcedDataset, wake: Arc<Notify>) {
    let SourcedDataset {
        dataset, source, ..
    } = entry;
    let interval = Duration::from_millis(dataset.refresh.millis());
    // A lease outlives two intervals: the holder renews it every interval, and when it
    // dies another instance takes over within one lease period and one interval.
    let lease_ttl = (interval * 2).max(Duration::from_secs(2));
    let lease = dataset.id.to_string();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut holding = false;
    let mut last: Option<Arc<Published>> = None;
    let mut failures = 0u32;
    let mut resume_at = Instant::now();
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = wake.notified() => {}
        }
        let wanted = dataset.always_refresh || ctx.bus.hub().is_watched(&dataset.id);
        if !wanted {
            if holding {
                ctx.leases.release(&lease).await;
                ctx.metrics.lease_released.inc();
                ctx.metrics.leases_held.dec();
                holding = false;
            }
            continue;
        }
        match ctx.leases.hold(&lease, lease_ttl).await {
            Ok(Hold::Acquired) => {
                tracing::info!(dataset = %dataset.id, "took the polling lease");
                ctx.metrics.lease_acquired.inc();
                if !holding {
                    ctx.metrics.leases_held.inc();
                }
                holding = true;
                // Another instance polled until now: start from what it stored.
                last = None;
            }
            Ok(Hold::Kept) => {
                if !holding {
                    ctx.metrics.leases_held.inc();
                }
                holding = true;
            }
            Ok(Hold::Elsewhere) | Err(_) if !holding => continue,
            Ok(Hold::Elsewhere) => {
                ctx.metrics.lease_released.inc();
                ctx.metrics.leases_held.dec();
                holding = false;
                continue;
            }
            Err(err) => {
                // Without Redis nobody can know who polls; nobody does until it is back.
                tracing::warn!(dataset = %dataset.id, error = %err, "cannot reach the lease store");
                ctx.metrics.leases_held.dec();
                holding = false;
                continue;
            }
        }
        if Instant::now() < resume_at {
            continue;
        }
        if last.is_none() {
            last = ctx.bus.stored(&dataset.id).await.map(Arc::new);
        }
        if refresh(&ctx, &dataset, &source, &mut last).await {
            failures = 0;
        } else {
            failures += 1;
            resume_at = Instant::now() + backoff(interval, failures);
        }
    }
}

/// Refreshes `dataset` once and publishes the result if it changed; `last` is the
/// frame published before. Returns whether the source could be read.
#[tracing::instrument(skip_all, fields(dataset = %dataset.id))]
pub async fn refresh(
    ctx: &PollContext,
    dataset: &Dataset,
    source: &DataSource,
    last: &mut Option<Arc<Published>>,
) -> bool {
    let previous = last.clone();
    let previous_seq = previous.as_ref().map_or(0, |p| p.seq);
    let started = std::time::Instant::now();
    let outcome = read(ctx, dataset, source).await;
    ctx.metrics.polls.inc();
    ctx.metrics
        .poll_seconds
        .observe(started.elapsed().as_secs_f64());
    let ok = outcome.is_ok();
    if !ok {
        ctx.metrics.poll_failures.inc();
    }
    let published = match outcome {
        Ok(batch) => {
            if previous_seq > 0 && previous.as_deref().is_some_and(|p| p.holds(&batch)) {
                return true;
            }
            let (id, seq) = (dataset.id.clone(), previous_seq + 1);
            Published::batch(id, seq, Arc::new(batch), crate::now_ms())
        }
        Err(error) => {
            tracing::info!(error = %error, "refresh failed; keeping the last good data");
            match previous.as_deref() {
                Some(p) if p.error.as_deref() == Some(error.as_str()) => return false,
                // The same rows, shared: nothing is copied.
                Some(p) => p.failed(error),
                None => Published::full(Frame {
                    seq: 1,
                    error: Some(error),
                    ..Frame::empty(dataset.id.clone())
                }),
            }
        }
    };
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        seq = published.seq,
        "refreshed"
    );
    // One published form, shared by the poller (its `last`), the store and the viewers:
    // its JSON is written once (a long one again only after everyone let it go).
    let published = Arc::new(published);
    let (id, seq) = (&published.dataset, published.seq);
    let text = published.frame_text();
    if let Err(err) = ctx.storage.save_frame_json(id, seq, text.json()).await {
        tracing::warn!(error = %err, "could not store the latest frame");
    }
    drop(text);
    let rows = published.held().len();
    *last = Some(published.clone());
    ctx.bus.publish_shared(published).await;
    if rows >= BIG_ROWS {
        tokio::task::spawn_blocking(move || release_freed_memory_after(rows));
    }
    ok
}

/// After a read of this many rows or more, freed memory is given back (see below).
const BIG_ROWS: usize = 100_000;

/// Gives the allocator's free memory back to the system after a read of `rows` rows,
/// if that is `BIG_ROWS` or more. glibc keeps what a thread freed for its next
/// allocations, so the temporaries of a big read (the source's text, the rows a step
/// made, the JSON written for the store) would otherwise stay resident beside the data
/// held.
pub(crate) fn release_freed_memory_after(rows: usize) {
    if rows < BIG_ROWS {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers; it only returns free pages of the
    // allocator's own heaps to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

async fn read(
    ctx: &PollContext,
    dataset: &Dataset,
    source: &DataSource,
) -> Result<app::pipeline::Batch, String> {
    let read = ctx.readers.read(source, dataset).await?;
    let joined = joined_rows(&ctx.bus, &dataset.pipeline).await;
    // Extraction and the pipeline are CPU work: keep them off the async workers.
    let dataset = dataset.clone();
    let host = ctx.pipelines.clone();
    tokio::task::spawn_blocking(move || dataset.shape_batch(read, &host.env(&joined)))
        .await
        .map_err(|_| "shaping the data failed".to_string())?
}

/// The latest rows of the datasets `pipeline` joins (those with no frame are left out,
/// and the join then says the dataset is not available).
pub async fn joined_rows(
    bus: &Bus,
    pipeline: &app::pipeline::Pipeline,
) -> HashMap<String, Vec<app::model::Row>> {
    let mut joined = HashMap::new();
    for id in pipeline.joined_datasets() {
        let Ok(parsed) = DatasetId::parse(id.clone()) else {
            continue;
        };
        if let Some(published) = bus.latest(&parsed).await {
            joined.insert(id, published.held().to_rows());
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_exponentially_up_to_five_minutes() {
        let s = Duration::from_secs(1);
        assert_eq!(backoff(s, 1), Duration::ZERO);
        assert_eq!(backoff(s, 2), s);
        assert_eq!(backoff(s, 3), 3 * s);
        assert_eq!(backoff(s, 4), 7 * s);
        assert_eq!(backoff(s, 40), MAX_BACKOFF);
    }
}
