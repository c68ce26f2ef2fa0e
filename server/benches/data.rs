//! The generated data the benchmarks share: orders with an id, a day, a region, an
//! amount and whether they are paid.

use std::io::Write;

pub fn regions() -> [&'static str; 8] {
    [
        "north", "south", "east", "west", "centre", "islands", "coast", "hills",
    ]
}

pub fn csv_text(rows: usize) -> Vec<u8> {
    let mut text = Vec::with_capacity(rows * 48);
    text.extend_from_slice(b"id,day,region,amount,paid\n");
    for i in 0..rows {
        writeln!(
            text,
            "{i},2024-{:02}-{:02},{},{}.{:02},{}",
            i % 12 + 1,
            i % 28 + 1,
            regions()[i % 8],
            (i * 7919) % 10_000,
            i % 100,
            i % 3 == 0
        )
        .unwrap();
    }
    text
}
