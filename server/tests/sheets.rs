//! Spreadsheet reading on real files made by other programs: Excel and LibreOffice
//! workbooks from python-calamine's test data, and the Vega project's datasets, both
//! fetched from PyPI pinned by SHA-256 (see `common::corpus`). What each file holds was
//! read with other tools (openpyxl, xlrd, pyxlsb, the ODS XML, python-calamine's own
//! tests), not with this reader.

mod common;

use app::model::{CellRange, SheetFormat};
use common::corpus::{calamine, vega};
use serde_json::{json, Value};
use wallboard_server::sources::sheet::{read, read_batch, sheet_names, SheetLimits, SheetOptions};

/// The rows of a file, read into rows and, as sources read it, into columns: both
/// must give the same table.
fn rows_of(bytes: &[u8], name: &str, options: SheetOptions) -> Vec<Value> {
    let limits = SheetLimits::default();
    let rows = read(bytes, name, &options, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
    let columns = read_batch(bytes, name, &options, &limits)
        .unwrap_or_else(|e| panic!("{name} into columns: {e}"))
        .into_rows();
    assert_eq!(columns, rows, "{name} into columns");
    rows.into_iter().map(Value::Object).collect()
}

fn workbook(name: &str, options: SheetOptions) -> Vec<Value> {
    rows_of(&calamine(name), name, options)
}

fn header_at(row: u32) -> SheetOptions {
    SheetOptions {
        header_row: row,
        ..SheetOptions::default()
    }
}

fn sheet(name: &str, header_row: u32) -> SheetOptions {
    SheetOptions {
        sheet: Some(name.into()),
        ..header_at(header_row)
    }
}

fn names(file: &str) -> Result<Vec<String>, String> {
    sheet_names(&calamine(file), file, &SheetLimits::default())
}

#[test]
fn an_excel_table_reads_with_its_header_and_shared_strings() {
    let rows = workbook("table-multiple.xlsx", header_at(1));
    assert_eq!(
        rows,
        [
            json!({"Item": 1, "Type": "Apple", "Quantity": 50}),
            json!({"Item": 2, "Type": "Banana", "Quantity": 200}),
            json!({"Item": 3, "Type": "Orange", "Quantity": 60}),
            json!({"Item": 4, "Type": "Pear", "Quantity": 100}),
        ]
    );
    let prices = workbook("table-multiple.xlsx", sheet("Sheet2", 1));
    assert_eq!(prices[2], json!({"Item": 3, "Price": 0.55}));
}

#[test]
fn every_format_reads_the_same_typed_cells() {
    // base.* holds one row of typed cells in Sheet1 row 2 (row 1 has only formatting).
    let common = json!({"A": "String", "B": 1, "C": 1.1, "D": true, "E": false,
                        "F": "2010-10-10", "G": "2010-10-10T10:10:10"});
    for file in ["base.xlsx", "base.xlsb", "base.xls", "base.ods"] {
        let rows = workbook(file, header_at(0));
        assert_eq!(rows.len(), 1, "{file}: {rows:?}");
        let row = rows[0].as_object().unwrap();
        for (column, value) in common.as_object().unwrap() {
            assert_eq!(&row[column], value, "{file} column {column}");
        }
        if file.ends_with(".ods") {
            // LibreOffice stores times and durations as ISO 8601 durations.
            assert_eq!(row["H"], "PT10H10M10S", "{file}");
            assert_eq!(row["I"], "PT10H10M10.1S", "{file}");
            assert_eq!(row["J"], "PT255H10M10S", "{file}");
        } else {
            // A time of day (hh:mm:ss AM/PM) on Excel's day 0, then two [hh]:mm:ss
            // durations, in seconds.
            assert_eq!(row["H"], "1899-12-31T10:10:10", "{file}");
            assert_eq!(row["I"], 36_610.1, "{file}");
            assert_eq!(row["J"], 918_610, "{file}");
        }
        assert_eq!(
            workbook(file, sheet("Sheet2", 1)),
            Vec::<Value>::new(),
            "{file}"
        );
    }
}

#[test]
fn a_header_further_down_the_sheet_is_found_where_the_author_says() {
    let bob = [
        json!({"Item": 1, "Units": 750}),
        json!({"Item": 2, "Units": 800}),
        json!({"Item": 3, "Units": 100}),
        json!({"Item": 4, "Units": 70}),
    ];
    assert_eq!(workbook("table-multiple.xlsx", sheet("Sheet3", 7)), bob);
    let in_range = SheetOptions {
        range: Some(CellRange::parse("A7:B11").unwrap()),
        ..sheet("Sheet3", 1)
    };
    assert_eq!(workbook("table-multiple.xlsx", in_range), bob);
}

#[test]
fn a_sheet_that_starts_away_from_a1_keeps_its_columns_and_repeated_headers_get_suffixes() {
    // Sheet3 holds B2:D4: "line1" three times, then "line2", then "line3".
    for file in ["base.xlsx", "base.xlsb"] {
        assert_eq!(
            workbook(file, sheet("Sheet3", 2)),
            [
                json!({"A": null, "line1": "line2", "line1_2": "line2", "line1_3": "line2"}),
                json!({"A": null, "line1": "line3", "line1_2": "line3", "line1_3": "line3"}),
            ],
            "{file}"
        );
    }
}

#[test]
fn every_sheet_is_listed_and_a_named_one_is_read() {
    for file in [
        "any_sheets.xlsx",
        "any_sheets.xlsb",
        "any_sheets.xls",
        "any_sheets.ods",
    ] {
        assert_eq!(
            names(file).unwrap(),
            ["Visible", "Hidden", "VeryHidden", "Chart"],
            "{file}"
        );
        let visible = SheetOptions {
            sheet: Some("visible".into()),
            range: Some(CellRange::parse("A1:B3").unwrap()),
            ..header_at(0)
        };
        assert_eq!(
            workbook(file, visible),
            [
                json!({"A": 1, "B": 2}),
                json!({"A": 3, "B": 4}),
                json!({"A": 5, "B": 6})
            ],
            "{file}"
        );
        let note = workbook(file, sheet("Visible", 0));
        assert_eq!(
            note.last().unwrap()["A"],
            "This workbook contains 4 sheets: Visible, Hidden, VeryHidden and Chart",
            "{file}"
        );
        let err = read(
            &calamine(file),
            file,
            &sheet("Totals", 1),
            &SheetLimits::default(),
        )
        .unwrap_err();
        assert!(
            err.contains("no sheet 'Totals'") && err.contains("VeryHidden"),
            "{err}"
        );
    }
    assert_eq!(
        names("base.xlsb").unwrap(),
        ["Sheet1", "Sheet2", "Sheet3", "Merged Cells"]
    );
    assert_eq!(
        names("base.xls").unwrap(),
        ["Sheet1", "Sheet2", "Merged Cells"]
    );
}

#[test]
fn a_password_protected_workbook_says_so() {
    for file in [
        "password.xlsx",
        "password.xlsb",
        "password.xls",
        "password.ods",
    ] {
        let err = names(file).unwrap_err();
        assert!(
            err.starts_with("the workbook is password-protected")
                && err.contains("save a copy without a password"),
            "{file}: {err}"
        );
    }
}

#[test]
fn an_empty_file_says_it_is_empty() {
    for file in ["empty_file.xlsx", "empty_file.xlsb", "empty_file.ods"] {
        let err = names(file).unwrap_err();
        assert!(
            err.starts_with("the file is empty (0 bytes)"),
            "{file}: {err}"
        );
    }
}

#[test]
fn a_date_past_the_year_9999_reads_as_its_date() {
    // issue139.xlsx: A2 is serial 2994626 with a date format, 10099-01-01 (openpyxl
    // calls it out of range; python-calamine's tests give the number).
    assert_eq!(
        workbook("issue139.xlsx", header_at(1)),
        [json!({"date": "+10099-01-01"})]
    );
}

#[test]
fn the_seattle_weather_csv_has_every_day_of_four_years() {
    let rows = rows_of(
        &vega("seattle-weather.csv"),
        "seattle-weather.csv",
        SheetOptions::csv(),
    );
    assert_eq!(rows.len(), 1461);
    assert_eq!(
        rows[0],
        json!({"date": "2012/01/01", "precipitation": 0.0, "temp_max": 12.8,
               "temp_min": 5.0, "wind": 4.7, "weather": "drizzle"})
    );
    assert_eq!(
        rows[1460],
        json!({"date": "2015/12/31", "precipitation": 0.0, "temp_max": 5.6,
               "temp_min": -2.1, "wind": 3.5, "weather": "sun"})
    );
    let snow = rows.iter().filter(|r| r["weather"] == "snow").count();
    assert_eq!(snow, 23);
}

#[test]
fn the_stocks_csv_keeps_text_dates_and_numeric_prices() {
    let rows = rows_of(&vega("stocks.csv"), "stocks.csv", SheetOptions::csv());
    assert_eq!(rows.len(), 560);
    assert_eq!(
        rows[0],
        json!({"symbol": "MSFT", "date": "Jan 1 2000", "price": 39.81})
    );
    assert_eq!(
        rows[559],
        json!({"symbol": "AAPL", "date": "Mar 1 2010", "price": 223.02})
    );
    let symbols: std::collections::BTreeSet<&str> =
        rows.iter().filter_map(|r| r["symbol"].as_str()).collect();
    assert_eq!(
        symbols.into_iter().collect::<Vec<_>>(),
        ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
    );
}

#[test]
fn a_wide_csv_keeps_every_column_in_order() {
    let rows = rows_of(
        &vega("us-employment.csv"),
        "us-employment.csv",
        SheetOptions::csv(),
    );
    assert_eq!(rows.len(), 120);
    let first = rows[0].as_object().unwrap();
    assert_eq!(first.len(), 24);
    assert_eq!(first.keys().next().unwrap(), "month");
    assert_eq!(first.keys().next_back().unwrap(), "nonfarm_change");
    assert_eq!(first["month"], "2006-01-01");
    assert_eq!(first["wholesale_trade"], 5840.4);
    assert_eq!(rows[119]["nonfarm_change"], 234);
}

#[test]
fn the_format_is_sniffed_when_the_name_says_nothing() {
    let sniff = |file: &str| SheetFormat::sniff(&calamine(file), "download");
    assert_eq!(sniff("base.xls"), SheetFormat::Xls);
    assert_eq!(sniff("any_sheets.ods"), SheetFormat::Ods);
    assert_eq!(sniff("base.xlsx"), SheetFormat::Xlsx);
    // The binary Excel workbook is told apart by its parts when read.
    assert_eq!(sniff("base.xlsb"), SheetFormat::Xlsx);
    assert_eq!(
        rows_of(&calamine("base.xlsb"), "download", header_at(0))[0]["A"],
        "String"
    );
}

#[test]
fn a_workbook_that_unpacks_too_large_is_refused_before_it_is_read() {
    let limits = SheetLimits {
        max_unpacked: 1024,
        ..SheetLimits::default()
    };
    for file in ["table-multiple.xlsx", "base.xlsb", "base.ods"] {
        let err = read(&calamine(file), file, &header_at(1), &limits).unwrap_err();
        assert!(err.contains("unpacks to"), "{file}: {err}");
    }
}

#[test]
fn a_truncated_workbook_is_an_error_not_a_crash() {
    for file in ["table-multiple.xlsx", "base.xlsb", "base.xls", "base.ods"] {
        let whole = calamine(file);
        let mut cuts = vec![10, whole.len() / 3, whole.len() / 2];
        if !file.ends_with(".xls") {
            // A zip's directory is at its end. (An XLS file may end in unused space.)
            cuts.push(whole.len() - 10);
        }
        for cut in cuts {
            let err = read(&whole[..cut], file, &header_at(1), &SheetLimits::default());
            assert!(err.is_err(), "{file} cut at {cut} still read");
        }
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
    // A real XLS still reads.
    assert_eq!(workbook("base.xls", header_at(0))[0]["A"], "String");
}
