//! Group commit: push requests waiting at the same moment are committed in one
//! database transaction, then published, then acknowledged. Under load a transaction
//! carries many requests, so throughput grows with concurrency while every
//! acknowledgement still means "committed".

use crate::live::bus::Bus;
use crate::metrics::Metrics;
use crate::storage::{Committed, PushWrite, Storage};
use app::model::{DatasetId, PushMode};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most requests one transaction carries.
const MAX_BATCH_REQUESTS: usize = 512;
/// Most rows one transaction carries (beyond one request's own).
const MAX_BATCH_ROWS: usize = 200_000;
const _: () = assert!(
    MAX_BATCH_ROWS + super::MAX_ROWS_PER_REQUEST <= crate::storage::MAX_ROWS_PER_CHANGE,
    "every merged change fits the row positions of one change"
);

/// The `seq` a push became part of.
pub type Ack = Result<u64, String>;

struct Job {
    write: PushWrite,
    ack: oneshot::Sender<Ack>,
}

#[derive(Clone)]
pub struct PushWriter {
    jobs: mpsc::Sender<Job>,
}

impl PushWriter {
    pub fn start(storage: Storage, bus: Arc<Bus>, metrics: Arc<Metrics>) -> Self {
        let (jobs, rx) = mpsc::channel(4096);
        tokio::spawn(run(rx, storage, bus, metrics));
        Self { jobs }
    }

    /// Commits and publishes `write`; resolves once it is durable.
    pub async fn submit(&self, write: PushWrite) -> Ack {
        let (ack, done) = oneshot::channel();
        self.jobs
            .send(Job { write, ack })
            .await
            .map_err(|_| "the server is stopping".to_string())?;
        done.await
            .unwrap_or_else(|_| Err("the server is stopping".to_string()))
    }
}

async fn run(mut rx: mpsc::Receiver<Job>, storage: Storage, bus: Arc<Bus>, metrics: Arc<Metrics>) {
    while let Some(first) = rx.recv().await {
        let mut rows = first.write.rows.len();
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH_REQUESTS && rows < MAX_BATCH_ROWS {
            match rx.try_recv() {
                Ok(job) => {
                    rows += job.write.rows.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        metrics.push_batch_requests.observe(jobs.len() as f64);
        commit(&storage, &bus, jobs).await;
    }
}

/// One transaction for `jobs`: the requests for one dataset become one change (in
/// arrival order; for replace datasets the last one wins), datasets in id order so
/// that concurrent instances lock them in the same order.
async fn commit(storage: &Storage, bus: &Bus, jobs: Vec<Job>) {
    let mut merged: BTreeMap<DatasetId, (PushWrite, Vec<oneshot::Sender<Ack>>)> = BTreeMap::new();
    for Job { write, ack } in jobs {
        // Whether a dataset's pushes append or replace never changes (its limits may:
        // the latest write's apply), and a batch stays within one change's rows.
        match merged.get_mut(&write.dataset) {
            Some((held, acks)) => {
                match write.mode {
                    PushMode::Replace => held.rows = write.rows,
                    PushMode::Append { .. } => held.rows.extend(write.rows),
                }
                held.mode = write.mode;
                acks.push(ack);
            }
            None => {
                merged.insert(write.dataset.clone(), (write, vec![ack]));
            }
        }
    }
    let (writes, acks): (Vec<PushWrite>, Vec<Vec<oneshot::Sender<Ack>>>) =
        merged.into_values().unzip();
    match storage.commit_pushes(&writes).await {
        Ok(committed) => {
            for (change, acks) in committed.into_iter().zip(acks) {
                let seq = match change {
                    Committed::Appended(append) => {
                        let seq = append.seq;
                        bus.publish_append(append).await;
                        seq
                    }
                    Committed::Replaced(frame) => {
                        let seq = frame.seq;
                        bus.publish(frame).await;
                        seq
                    }
                };
                for ack in acks {
                    let _ = ack.send(Ok(seq));
                }
            }
        }
        Err(err) => {
            tracing::error!(error = %err, "could not commit pushed rows");
            for ack in acks.into_iter().flatten() {
                let _ = ack.send(Err("the database did not take the rows; retry".into()));
            }
        }
    }
}
