//! The pipeline benchmark that runs in the browser (`end2end/bench/pipeline.cjs` calls
//! it in Chromium through the bundle's exports): the same engine the editor previews
//! with, on generated rows.

use crate::model::Row;
use crate::pipeline::Pipeline;
use serde_json::json;

/// `rows` generated sales rows: id, day, region, amount (text, as spreadsheets give
/// it), paid.
pub fn sample_rows(rows: usize) -> Vec<Row> {
    let regions = [
        "north", "south", "east", "west", "centre", "islands", "coast", "hills",
    ];
    (0..rows)
        .map(|i| {
            let row = json!({
                "id": i,
                "day": format!("2024-{:02}-{:02}", i % 12 + 1, i % 28 + 1),
                "region": regions[i % 8],
                "amount": format!("{}.{:02}", (i * 7919) % 10_000, i % 100),
                "paid": i % 3 == 0,
            });
            match row {
                serde_json::Value::Object(map) => map,
                _ => Row::new(),
            }
        })
        .collect()
}

/// A pipeline an author would build: clean a text number, compute a field, filter,
/// bucket by month with aggregates, sort.
pub fn sample_pipeline() -> Pipeline {
    serde_json::from_value(json!({"steps": [
        {"op": "convert", "field": "amount", "to": "number"},
        {"op": "compute", "field": "net", "expr": "round(amount * 0.8, 2)"},
        {"op": "filter", "field": "paid", "cmp": "eq", "value": true},
        {"op": "time_bucket", "field": "day", "unit": "month", "keys": ["region"], "aggregates": [
            {"field": "net", "agg": "sum", "as": "net"},
            {"field": "amount", "agg": "avg", "as": "mean"},
            {"field": "id", "agg": "count", "as": "n"}]},
        {"op": "sort", "field": "net", "descending": true}
    ]}))
    .unwrap_or_default()
}

/// Runs the sample pipeline on `rows` generated rows `runs` times; the median time of
/// one run, in milliseconds, and the rows it made. Exported by the application bundle
/// only (`frontend`), so the screens' viewer bundle does not carry the pipeline.
#[cfg(feature = "hydrate")]
pub fn bench_pipeline(rows: u32, runs: u32) -> Vec<f64> {
    let performance = web_sys::window().and_then(|w| w.performance());
    let now = || {
        performance
            .as_ref()
            .map_or_else(js_sys::Date::now, |p| p.now())
    };
    let data = sample_rows(rows as usize);
    let pipeline = sample_pipeline();
    let mut times = Vec::new();
    let mut out = 0;
    for _ in 0..runs.max(1) {
        let input = data.clone();
        let started = now();
        out = pipeline
            .run(input, &crate::pipeline::Limits::default())
            .map(|o| o.rows.len())
            .unwrap_or(0);
        times.push(now() - started);
    }
    times.sort_by(f64::total_cmp);
    vec![times[times.len() / 2], out as f64]
}

/// Hydrates with `run` and records how long it took, with everything it queued, as the
/// User Timing measure `wallboard-hydrate` (read by `end2end/bench/widgets.cjs`).
#[cfg(feature = "hydrate")]
pub fn timed_hydration(run: impl FnOnce()) {
    use wasm_bindgen::JsCast;
    let window = web_sys::window();
    if let Some(p) = window.as_ref().and_then(|w| w.performance()) {
        let _ = p.mark("wallboard-hydrate-start");
    }
    run();
    // A timer runs after the hydration's own task and the microtasks it queued.
    let done = wasm_bindgen::closure::Closure::once_into_js(|| {
        if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
            let _ = p.measure_with_start_mark("wallboard-hydrate", "wallboard-hydrate-start");
        }
    });
    if let Some(w) = window {
        let _ = w.set_timeout_with_callback(done.unchecked_ref());
    }
}

/// The viewer bundle's allocator: the system one (dlmalloc in wasm), counting the
/// bytes it holds for the program. The wasm module's linear memory only ever grows, so
/// its size says how much was ever needed at once; this count says what is held now,
/// which tells a leak (it climbs) from fragmentation or a high-water mark (it does not).
/// The soak benchmark (`end2end/bench/widgets.cjs`) reads it through `heap_in_use`.
pub struct CountingAlloc;

static HELD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Live allocations by size in bytes (the last counts every size from 1024 up): which
/// size climbs says what leaks.
static BY_SIZE: [std::sync::atomic::AtomicIsize; 1025] =
    [const { std::sync::atomic::AtomicIsize::new(0) }; 1025];

fn count(size: usize, by: isize) {
    BY_SIZE[size.min(1024)].fetch_add(by, std::sync::atomic::Ordering::Relaxed);
}

impl CountingAlloc {
    /// Bytes allocated and not yet freed.
    pub fn held() -> usize {
        HELD.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many allocations of each size (index) are live; the last entry counts every
    /// size from 1024 bytes up.
    pub fn by_size() -> Vec<f64> {
        BY_SIZE
            .iter()
            .map(|n| n.load(std::sync::atomic::Ordering::Relaxed) as f64)
            .collect()
    }
}

// SAFETY: every call is passed on unchanged to `System`, which upholds the contract;
// the counter only observes sizes.
unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        // SAFETY: same layout, passed on.
        let p = unsafe { std::alloc::System.alloc(layout) };
        if !p.is_null() {
            HELD.fetch_add(layout.size(), Relaxed);
            count(layout.size(), 1);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        // SAFETY: same layout, passed on.
        let p = unsafe { std::alloc::System.alloc_zeroed(layout) };
        if !p.is_null() {
            HELD.fetch_add(layout.size(), Relaxed);
            count(layout.size(), 1);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        use std::sync::atomic::Ordering::Relaxed;
        // SAFETY: the caller's pointer and layout, from `alloc`.
        unsafe { std::alloc::System.dealloc(ptr, layout) };
        HELD.fetch_sub(layout.size(), Relaxed);
        count(layout.size(), -1);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        // SAFETY: the caller's pointer, layout and size, passed on.
        let p = unsafe { std::alloc::System.realloc(ptr, layout, new) };
        if !p.is_null() {
            HELD.fetch_sub(layout.size(), Relaxed);
            HELD.fetch_add(new, Relaxed);
            count(layout.size(), -1);
            count(new, 1);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_counting_allocator_counts_what_is_held_and_frees_it() {
        use std::alloc::{GlobalAlloc, Layout};
        let alloc = super::CountingAlloc;
        let layout = Layout::from_size_align(4096, 8).unwrap();
        let before = super::CountingAlloc::held();
        // SAFETY: a non-zero layout; the block is grown, then freed with its layout.
        unsafe {
            let p = alloc.alloc(layout);
            assert!(!p.is_null());
            assert_eq!(super::CountingAlloc::held() - before, 4096);
            let p = alloc.realloc(p, layout, 10_000);
            assert!(!p.is_null());
            assert_eq!(super::CountingAlloc::held() - before, 10_000);
            alloc.dealloc(p, Layout::from_size_align(10_000, 8).unwrap());
        }
        assert_eq!(super::CountingAlloc::held(), before);
    }

    #[test]
    fn the_sample_pipeline_runs_and_groups_by_month_and_region() {
        let out = super::sample_pipeline()
            .run(
                super::sample_rows(10_000),
                &crate::pipeline::Limits::default(),
            )
            .unwrap();
        assert_eq!(out.reports.len(), 5);
        assert_eq!(out.reports[0].problems, 0);
        assert!(
            out.rows.len() <= 12 * 8 && !out.rows.is_empty(),
            "{}",
            out.rows.len()
        );
    }
}
