//! What one pipeline run may spend: the bytes of the values its steps make, and time.
//!
//! Steps that make values — computed fields, fills, joins, pivots and unpivots, jq and
//! JSONPath results — charge their size to the run's [`Budget`] as they make them.
//! Past `Limits::max_bytes` the step stops, with an error naming it, before it makes
//! the next value: a hostile pipeline cannot grow the process, and the last good rows
//! stay on screen. Time is checked between steps and every few thousand rows inside
//! them (natively; the browser runs the pipeline on a sample and has no deadline).
//!
//! Sizes are estimates of what a `serde_json::Value` holds on the heap, not exact
//! allocator figures: good enough to bound memory within a small factor.

use super::Limits;
use serde_json::Value;
use std::cell::Cell;

/// Longest text one computed cell may hold; a longer one is a problem of that cell.
pub const MAX_TEXT_BYTES: usize = 1 << 20;

/// How often (in rows) a long loop looks at the clock.
const CLOCK_EVERY: usize = 4096;

/// The bytes and time one run may still spend.
pub struct Budget {
    limits: Limits,
    left: Cell<usize>,
    max_bytes: usize,
    time_limit_ms: u64,
    deadline_ms: Option<f64>,
}

impl Budget {
    pub fn new(limits: &Limits) -> Self {
        Self {
            limits: *limits,
            left: Cell::new(limits.max_bytes),
            max_bytes: limits.max_bytes,
            time_limit_ms: limits.time_limit_ms,
            deadline_ms: imp::now_ms().map(|now| now + limits.time_limit_ms as f64),
        }
    }

    /// The limits of the run.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Takes `bytes` from the budget, or says the run is over it.
    pub fn charge(&self, bytes: usize) -> Result<(), String> {
        match self.left.get().checked_sub(bytes) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => {
                self.left.set(0);
                Err(format!(
                    "the values this pipeline makes take more than {} MiB; at most that \
                     much is kept per refresh (WALLBOARD_PIPELINE_MAX_BYTES)",
                    self.max_bytes >> 20
                ))
            }
        }
    }

    /// Takes the size of `v` from the budget.
    pub fn charge_value(&self, v: &Value) -> Result<(), String> {
        self.charge(value_size(v))
    }

    /// Bytes charged so far.
    pub fn used(&self) -> usize {
        self.max_bytes - self.left.get()
    }

    /// Fails once the run is past its time limit.
    pub fn check_time(&self) -> Result<(), String> {
        match (self.deadline_ms, imp::now_ms()) {
            (Some(deadline), Some(now)) if now > deadline => Err(format!(
                "the pipeline ran longer than {} s; it is stopped there \
                 (WALLBOARD_PIPELINE_TIME_LIMIT_SECS)",
                self.time_limit_ms / 1000
            )),
            _ => Ok(()),
        }
    }

    /// For loops over rows: checks the clock every few thousand rows.
    pub fn at_row(&self, i: usize) -> Result<(), String> {
        if i % CLOCK_EVERY == CLOCK_EVERY - 1 {
            self.check_time()
        } else {
            Ok(())
        }
    }
}

/// Roughly the heap bytes `v` holds, counted without recursion (any depth is safe).
pub fn value_size(v: &Value) -> usize {
    let mut total = 0;
    let mut todo = vec![v];
    while let Some(v) = todo.pop() {
        total += 16;
        match v {
            Value::String(s) => total += s.len(),
            Value::Array(items) => todo.extend(items.iter()),
            Value::Object(map) => {
                for (k, v) in map {
                    total += 32 + k.len();
                    todo.push(v);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    total
}

/// Roughly the heap bytes a row holds.
pub fn row_size(row: &crate::model::Row) -> usize {
    row.iter().map(|(k, v)| 32 + k.len() + value_size(v)).sum()
}

/// The length of `v` written as JSON, if it is at most `room` bytes; stops counting
/// as soon as it is past (a huge value costs no more than `room` to measure).
pub fn json_len_within(v: &Value, room: usize) -> Option<usize> {
    struct Measure {
        room: usize,
        used: usize,
    }
    impl std::io::Write for Measure {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.used += buf.len();
            if self.used > self.room {
                return Err(std::io::ErrorKind::OutOfMemory.into());
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut m = Measure { room, used: 0 };
    serde_json::to_writer(&mut m, v).ok().map(|()| m.used)
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::sync::OnceLock;
    use std::time::Instant;

    /// Milliseconds on a monotonic clock.
    pub fn now_ms() -> Option<f64> {
        static START: OnceLock<Instant> = OnceLock::new();
        Some(START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0)
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    /// The browser runs pipelines on samples, without a deadline.
    pub fn now_ms() -> Option<f64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn charges_past_the_budget_fail_and_say_which_setting_raises_it() {
        let limits = Limits {
            max_bytes: 100,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        budget.charge(60).unwrap();
        assert_eq!(budget.used(), 60);
        let err = budget.charge(41).unwrap_err();
        assert!(err.contains("WALLBOARD_PIPELINE_MAX_BYTES"), "{err}");
        assert!(
            budget.charge(1).is_err(),
            "an exhausted budget stays exhausted"
        );
    }

    #[test]
    fn sizes_grow_with_text_and_nesting_and_any_depth_is_safe() {
        let small = value_size(&json!("a"));
        let big = value_size(&json!("a".repeat(1000)));
        assert_eq!(big - small, 999);
        assert!(value_size(&json!({"k": [1, 2, 3]})) > value_size(&json!([1, 2, 3])));
        let mut deep = json!(null);
        for _ in 0..100_000 {
            deep = Value::Array(vec![deep]);
        }
        assert_eq!(value_size(&deep), 16 * 100_001);
        // Dropping a value this deep recurses: take it apart first.
        let mut v = deep;
        while let Value::Array(mut items) = v {
            v = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn json_length_is_measured_up_to_the_room_only() {
        assert_eq!(json_len_within(&json!({"a": 1}), 100), Some(7));
        assert_eq!(json_len_within(&json!("x".repeat(1000)), 100), None);
    }

    #[test]
    fn a_run_past_its_time_limit_is_stopped() {
        let limits = Limits {
            time_limit_ms: 0,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(budget
            .check_time()
            .unwrap_err()
            .contains("WALLBOARD_PIPELINE_TIME_LIMIT_SECS"));
    }
}
