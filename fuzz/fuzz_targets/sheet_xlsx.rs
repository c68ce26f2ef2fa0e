//! Fuzzes the xlsx reader: arbitrary bytes read as a .xlsx file.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod sheets;

fuzz_target!(|data: &[u8]| {
    sheets::read_as(data, "fuzz.xlsx", app::model::SheetFormat::Xlsx);
});
