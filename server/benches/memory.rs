//! What a dataset costs in memory in each form it takes, counted by a global allocator
//! that tracks the heap bytes held (one thread, release build):
//!
//!     cargo bench -p server --bench memory
//!
//! The data is the sources benchmark's 1,000,000-row, five-column CSV. The figures
//! are recorded in `docs/benchmarks.md` (issue 14's resident-memory target: holding a
//! 1,000,000-row × 5-column dataset in at most twice the CSV's size).

use app::model::{DatasetId, Frame};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use wallboard_server::sources::sheet::{read_batch, SheetLimits, SheetOptions};

#[path = "data.rs"]
mod data;

/// The system allocator, counting the bytes it holds for the program.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call goes to the system allocator unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            HELD.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        HELD.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            HELD.fetch_add(new_size, Relaxed);
            HELD.fetch_sub(layout.size(), Relaxed);
        }
        q
    }
}

#[global_allocator]
static HEAP: Counting = Counting;

/// Heap bytes held now.
fn held() -> usize {
    HELD.load(Relaxed)
}

fn line(what: &str, bytes: usize, csv: usize) {
    println!(
        "{what:<52} {:>8.1} MB  ({:.2} × the CSV)",
        bytes as f64 / 1e6,
        bytes as f64 / csv as f64
    );
}

fn main() {
    let rows = 1_000_000;
    let csv = data::csv_text(rows);
    let n = csv.len();
    println!(
        "wallboard memory of a {rows}-row, 5-column dataset (the CSV: {:.1} MB)",
        n as f64 / 1e6
    );
    let limits = SheetLimits {
        max_rows: rows,
        max_cells: rows * 10,
        ..SheetLimits::default()
    };

    let before = held();
    let batch = read_batch(&csv, "big.csv", &SheetOptions::csv(), &limits).unwrap();
    line(
        "as a columnar batch (the pipeline's form)",
        held() - before,
        n,
    );

    let before = held();
    let frame_rows = batch.clone().into_rows();
    let as_rows = held() - before;
    line("as row maps (a frame's rows, as held before)", as_rows, n);

    let before = held();
    let frame = Frame::new(DatasetId::parse("d").unwrap(), 1, frame_rows, 0);
    let json = serde_json::to_string(&frame).unwrap();
    let as_json = held() - before;
    line("as the frame's JSON (written once per change)", as_json, n);
    // A published frame used to keep its rows, its JSON and its `frame` event (the
    // JSON again, wrapped); it now keeps the batch, and its JSON (one text) only while
    // it is being sent when that is long (`live::published::KEEP_BYTES`).
    line(
        "a frame as held before: rows + JSON + event",
        as_rows + 2 * as_json,
        n,
    );
    drop((json, frame, batch));
}
