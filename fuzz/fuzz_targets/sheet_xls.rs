//! Fuzzes the xls reader: arbitrary bytes read as a .xls file.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod sheets;

fuzz_target!(|data: &[u8]| {
    sheets::read_as(data, "fuzz.xls", app::model::SheetFormat::Xls);
});
