//! A lock-free latency histogram: 100 µs buckets up to 10 s, and one beyond. Many
//! viewer tasks record into it at once without contention beyond an atomic add.

use std::sync::atomic::{AtomicU64, Ordering};

const BUCKET_US: u64 = 100;
const BUCKETS: usize = 100_000;

pub struct Histogram {
    buckets: Vec<AtomicU64>,
    max: AtomicU64,
}

impl Histogram {
    pub fn new() -> Self {
        Self {
            buckets: (0..=BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            max: AtomicU64::new(0),
        }
    }

    pub fn record(&self, us: u64) {
        let i = ((us / BUCKET_US) as usize).min(BUCKETS);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.max.fetch_max(us, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// The upper edge of the bucket holding quantile `q`, in µs (None if empty).
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += b.load(Ordering::Relaxed);
            if seen >= rank {
                return Some((i as u64 + 1) * BUCKET_US);
            }
        }
        Some(self.max())
    }

    pub fn max(&self) -> u64 {
        self.max.load(Ordering::Relaxed)
    }

    /// The non-empty buckets as `[[index, count], …]` plus the max.
    pub fn to_json(&self) -> serde_json::Value {
        let buckets: Vec<[u64; 2]> = self
            .buckets
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let c = b.load(Ordering::Relaxed);
                (c > 0).then_some([i as u64, c])
            })
            .collect();
        serde_json::json!({"buckets": buckets, "max": self.max()})
    }

    pub fn add_json(&mut self, v: &serde_json::Value) {
        for pair in v["buckets"].as_array().into_iter().flatten() {
            let (i, c) = (pair[0].as_u64().unwrap_or(0), pair[1].as_u64().unwrap_or(0));
            self.buckets[(i as usize).min(BUCKETS)].fetch_add(c, Ordering::Relaxed);
        }
        self.max
            .fetch_max(v["max"].as_u64().unwrap_or(0), Ordering::Relaxed);
    }
}

/// Microseconds as milliseconds for reports.
pub fn ms(us: impl Into<Option<u64>>) -> String {
    match us.into() {
        Some(us) => format!("{:.1} ms", us as f64 / 1000.0),
        None => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_the_recorded_values() {
        let h = Histogram::new();
        assert_eq!(h.quantile(0.5), None);
        for us in [150, 250, 250, 5_000, 20_000_000] {
            h.record(us);
        }
        assert_eq!(h.quantile(0.2), Some(200));
        assert_eq!(h.quantile(0.6), Some(300));
        assert_eq!(h.quantile(0.8), Some(5_100));
        assert_eq!(h.max(), 20_000_000);
        let mut merged = Histogram::new();
        merged.add_json(&h.to_json());
        assert_eq!(merged.count(), 5);
        assert_eq!(merged.quantile(0.6), Some(300));
    }
}
