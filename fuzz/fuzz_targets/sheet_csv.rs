//! Fuzzes the csv reader: arbitrary bytes read as a .csv file.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod sheets;

fuzz_target!(|data: &[u8]| {
    sheets::read_as(data, "fuzz.csv", app::model::SheetFormat::Csv);
});
