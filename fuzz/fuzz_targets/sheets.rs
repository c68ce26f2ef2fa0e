//! The server's spreadsheet reader, compiled into the fuzz targets from its source (the
//! server crate itself is too heavy to build with sanitizers on every CI run).

#[path = "../../server/src/sources/sheet/mod.rs"]
#[allow(dead_code)]
mod sheet;

pub use sheet::{read, sheet_names, SheetLimits, SheetOptions};

/// Reads `data` as a file of `format` with small limits; any outcome but a panic, a
/// hang or a runaway allocation is fine.
pub fn read_as(data: &[u8], name: &str, format: app::model::SheetFormat) {
    // The reader catches panics inside calamine and reports them as errors; silence the
    // hook libfuzzer installs (it aborts on any panic, caught or not). A panic that
    // escapes the reader still unwinds into libfuzzer and is reported as a crash.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let limits = SheetLimits {
        max_rows: 2_000,
        max_cols: 200,
        max_cells: 50_000,
        max_unpacked: 8 << 20,
    };
    let _ = sheet_names(data, name, &limits);
    for header_row in [0, 1, 3] {
        let options = SheetOptions {
            format: Some(format),
            header_row,
            ..SheetOptions::default()
        };
        let _ = read(data, name, &options, &limits);
    }
}
