//! Fuzzes the ods reader: arbitrary bytes read as a .ods file.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod sheets;

fuzz_target!(|data: &[u8]| {
    sheets::read_as(data, "fuzz.ods", app::model::SheetFormat::Ods);
});
