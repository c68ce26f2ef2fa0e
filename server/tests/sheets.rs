//! Spreadsheet reading on real files made by other programs (`../shared/data`, see its
//! SOURCES.md): Excel and LibreOffice workbooks from the calamine project, and the
//! Vega project's CSV datasets.

use app::model::{CellRange, SheetFormat};
use serde_json::{json, Value};
use wallboard_server::sources::sheet::{read, sheet_names, SheetLimits, SheetOptions};

fn data(path: &str) -> Vec<u8> {
    let file = format!("{}/../../shared/data/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&file)
        .unwrap_or_else(|e| panic!("{file}: {e} (../shared must sit beside the repository)"))
}

fn rows(path: &str, options: SheetOptions) -> Vec<Value> {
    let name = path.rsplit('/').next().unwrap();
    read(&data(path), name, &options, &SheetLimits::default())
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .into_iter()
        .map(Value::Object)
        .collect()
}

fn header_at(row: u32) -> SheetOptions {
    SheetOptions {
        header_row: row,
        ..SheetOptions::default()
    }
}

#[test]
fn an_excel_table_reads_with_its_header_and_shared_strings() {
    let rows = rows("spreadsheets/inventory-table.xlsx", header_at(1));
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0], json!({"Item": 1, "Type": "Apple", "Quantity": 50}));
    assert_eq!(rows[3], json!({"Item": 4, "Type": "Pear", "Quantity": 100}));
}

#[test]
fn dates_in_the_1900_and_1904_systems_read_as_the_same_days() {
    for file in ["spreadsheets/date.xlsx", "spreadsheets/date_1904.xlsx"] {
        let rows = rows(file, header_at(0));
        assert_eq!(rows[0], json!({"A": "2021-01-01", "B": 15}), "{file}");
        assert_eq!(rows[1], json!({"A": "2021-01-02", "B": 16}), "{file}");
        // A3 is a [h]:mm:ss duration of 255:10:10, read as seconds.
        assert_eq!(rows[2], json!({"A": 918610, "B": 17}), "{file}");
    }
}

#[test]
fn ods_dates_times_and_durations_read_as_iso_text() {
    let rows = rows("spreadsheets/date.ods", header_at(0));
    assert_eq!(rows[0]["A"], json!("2021-01-01"));
    assert_eq!(rows[1]["A"], json!("2021-01-01T10:10:10"));
    assert_eq!(rows[2]["A"], json!("PT10H10M10S"));
    assert_eq!(rows[3]["B"], json!(18));
}

#[test]
fn a_header_further_down_the_sheet_is_found_where_the_author_says() {
    let rows = rows("spreadsheets/header-row.xlsx", header_at(9));
    assert_eq!(
        rows,
        vec![json!({"Columns": "put data here", "Column A": 1, "Column B": 2, "Column C": 3})]
    );
}

#[test]
fn every_sheet_is_listed_and_a_named_one_is_read() {
    for file in [
        "spreadsheets/any_sheets.xlsx",
        "spreadsheets/any_sheets.ods",
    ] {
        let names = sheet_names(&data(file), file, &SheetLimits::default()).unwrap();
        assert_eq!(
            names,
            ["Visible", "Hidden", "VeryHidden", "Chart"],
            "{file}"
        );
        let visible = rows(
            file,
            SheetOptions {
                sheet: Some("visible".into()),
                range: Some(CellRange::parse("A1:B3").unwrap()),
                ..header_at(0)
            },
        );
        assert_eq!(
            visible,
            [
                json!({"A": 1, "B": 2}),
                json!({"A": 3, "B": 4}),
                json!({"A": 5, "B": 6})
            ],
            "{file}"
        );
        let err = read(
            &data(file),
            file,
            &SheetOptions {
                sheet: Some("Totals".into()),
                ..header_at(1)
            },
            &SheetLimits::default(),
        )
        .unwrap_err();
        assert!(
            err.contains("no sheet 'Totals'") && err.contains("VeryHidden"),
            "{err}"
        );
    }
}

#[test]
fn an_old_xls_with_merged_cells_reads_its_text() {
    let rows = rows("spreadsheets/merge_cells.xls", header_at(0));
    assert_eq!(rows[0]["A"], json!("Row Merge"));
    assert_eq!(rows[0]["C"], json!("Not Merged"));
    assert_eq!(rows[1]["B"], json!("Chunk Merged"));
}

#[test]
fn the_seattle_weather_csv_has_every_day_of_four_years() {
    let rows = rows("vega/seattle-weather.csv", SheetOptions::csv());
    assert_eq!(rows.len(), 1461);
    assert_eq!(
        rows[0],
        json!({"date": "2012/01/01", "precipitation": 0.0, "temp_max": 12.8,
               "temp_min": 5.0, "wind": 4.7, "weather": "drizzle"})
    );
    assert_eq!(rows[1460]["date"], json!("2015/12/31"));
}

#[test]
fn the_stocks_csv_keeps_text_dates_and_numeric_prices() {
    let rows = rows("vega/stocks.csv", SheetOptions::csv());
    // 561 lines: the header and 560 prices (SOURCES.md says 559; `grep -c ''` says 561).
    assert_eq!(rows.len(), 560);
    assert_eq!(
        rows[559],
        json!({"symbol": "AAPL", "date": "Mar 1 2010", "price": 223.02})
    );
    assert_eq!(
        rows[0],
        json!({"symbol": "MSFT", "date": "Jan 1 2000", "price": 39.81})
    );
    let symbols: std::collections::BTreeSet<&str> =
        rows.iter().filter_map(|r| r["symbol"].as_str()).collect();
    assert_eq!(
        symbols.into_iter().collect::<Vec<_>>(),
        ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
    );
}

#[test]
fn the_format_is_sniffed_when_the_name_says_nothing() {
    assert_eq!(
        SheetFormat::sniff(&data("spreadsheets/merge_cells.xls"), "download"),
        SheetFormat::Xls
    );
    assert_eq!(
        SheetFormat::sniff(&data("spreadsheets/any_sheets.ods"), "download"),
        SheetFormat::Ods
    );
    assert_eq!(
        SheetFormat::sniff(&data("spreadsheets/date.xlsx"), "download"),
        SheetFormat::Xlsx
    );
}

#[test]
fn a_workbook_that_unpacks_too_large_is_refused_before_it_is_read() {
    let limits = SheetLimits {
        max_unpacked: 1024,
        ..SheetLimits::default()
    };
    let err = read(
        &data("spreadsheets/inventory-table.xlsx"),
        "inventory-table.xlsx",
        &header_at(1),
        &limits,
    )
    .unwrap_err();
    assert!(err.contains("unpacks to"), "{err}");
}

#[test]
fn a_truncated_workbook_is_an_error_not_a_crash() {
    let whole = data("spreadsheets/inventory-table.xlsx");
    for cut in [10, whole.len() / 3, whole.len() / 2, whole.len() - 10] {
        let err = read(
            &whole[..cut],
            "x.xlsx",
            &header_at(1),
            &SheetLimits::default(),
        );
        assert!(err.is_err(), "cut at {cut} still read");
    }
}

#[test]
fn a_damaged_xls_that_crashes_the_xls_reader_is_an_error() {
    // Found by `cargo fuzz run sheet_xls`: calamine 0.38 panics on its sector chain.
    let file = format!(
        "{}/tests/data/fuzz-xls-cfb-slice.xls",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(file).unwrap();
    let err = read(&bytes, "x.xls", &header_at(1), &SheetLimits::default()).unwrap_err();
    assert!(err.contains("damaged"), "{err}");
    let err = sheet_names(&bytes, "x.xls", &SheetLimits::default()).unwrap_err();
    assert!(err.contains("damaged"), "{err}");
}

#[test]
fn a_damaged_xls_whose_sector_chain_loops_is_refused_before_it_is_read() {
    // Found by `cargo fuzz run sheet_xls`: calamine 0.38 follows a looping directory
    // chain forever, growing memory.
    let file = format!(
        "{}/tests/data/fuzz-xls-fat-loop.xls",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(file).unwrap();
    let err = read(&bytes, "x.xls", &header_at(1), &SheetLimits::default()).unwrap_err();
    assert!(err.contains("damaged"), "{err}");
    // The real XLS still reads.
    assert!(!rows("spreadsheets/merge_cells.xls", header_at(0)).is_empty());
}
