//! Measuring an ODS workbook before calamine reads it. calamine 0.38 lays out every
//! table of `content.xml` as a dense grid when it opens the file (even to list the
//! sheets), expanding `table:number-columns-repeated` and `table:number-rows-repeated`
//! into copies of the repeated cell (its text and formula too) and `text:s` into
//! spaces. Its own caps (16,384 columns, 1,048,576 rows, 100 million cells) still let
//! a few kilobytes of XML ask for tens of gigabytes. This reads the XML as calamine
//! does, without building anything, and refuses a workbook that would pass the caps.
//!
//! Empty cells repeated to the sheet's edge, which LibreOffice writes in every file,
//! cost nothing: calamine lays out only up to the last cell with a value.

use super::markup::{attribute, count, reader as xml};
use super::{cell_name, SheetLimits};
use quick_xml::events::Event;
use std::io::{BufRead, BufReader, Cursor};

/// What calamine would lay out for one table.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Extent {
    pub name: String,
    /// Rows from the top to the last row with a value (repeats counted).
    pub rows: u64,
    /// Columns from the left to the last cell with a value (repeats counted).
    pub cols: u64,
    /// Bytes of text and formulas, counted once per copy calamine makes.
    pub text: u64,
    /// Row elements, each of which calamine keeps a note of.
    pub elements: u64,
}

/// Whether `META-INF/manifest.xml` says the parts are encrypted (a password).
pub(super) fn is_encrypted(bytes: &[u8]) -> Result<bool, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("the file is not a valid ODS workbook: {e}"))?;
    let Ok(manifest) = zip.by_name("META-INF/manifest.xml") else {
        return Ok(false);
    };
    let mut reader = xml(BufReader::new(manifest));
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == "manifest:encryption-data" => {
                return Ok(true)
            }
            Ok(Event::Eof) | Err(_) => return Ok(false),
            _ => {}
        }
        buf.clear();
    }
}

/// Measures every named table of `content.xml`, as calamine reads them all.
pub(super) fn extents(bytes: &[u8]) -> Result<Vec<Extent>, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("the file is not a valid ODS workbook: {e}"))?;
    let content = zip
        .by_name("content.xml")
        .map_err(|_| "the file is not a valid ODS workbook: it has no content.xml".to_string())?;
    let mut reader = xml(BufReader::new(content));
    let mut tables = Vec::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == "table:table" => {
                if let Some(name) = attribute(&e, "table:name").map(str::to_string) {
                    tables.push(table(&mut reader, name));
                }
            }
            // calamine stops at the first XML error; what it laid out before counts.
            Ok(Event::Eof) | Err(_) => return Ok(tables),
            _ => {}
        }
        buf.clear();
    }
}

fn table<R: BufRead>(reader: &mut quick_xml::Reader<R>, name: String) -> Extent {
    let mut extent = Extent {
        name,
        ..Extent::default()
    };
    let mut rows_above = 0u64;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == "table:table-row" => {
                let copies = count(&e, "table:number-rows-repeated");
                let (cols, text) = row(reader);
                extent.elements += 1;
                rows_above = rows_above.saturating_add(copies);
                if cols > 0 {
                    extent.rows = rows_above;
                    extent.cols = extent.cols.max(cols);
                    extent.text = extent.text.saturating_add(copies.saturating_mul(text));
                }
            }
            Ok(Event::End(e)) if e.name().as_ref() == "table:table" => break,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    extent
}

/// One row: the columns up to its last cell with a value (0 if none), and the bytes
/// of text and formulas in its cells, once per repeated copy.
fn row<R: BufRead>(reader: &mut quick_xml::Reader<R>) -> (u64, u64) {
    let (mut at, mut cols, mut text) = (0u64, 0u64, 0u64);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e))
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                let copies = count(&e, "table:number-columns-repeated");
                let mut valued = false;
                let mut bytes = 0u64;
                for key in [
                    "office:value",
                    "office:string-value",
                    "office:date-value",
                    "office:time-value",
                    "office:boolean-value",
                    "table:formula",
                ] {
                    if let Some(v) = attribute(&e, key) {
                        valued = true;
                        bytes = bytes.saturating_add(v.len() as u64);
                    }
                }
                valued |= attribute(&e, "office:value-type") == Some("string");
                let name = e.name().as_ref().to_string();
                bytes = bytes.saturating_add(cell_text(reader, &name));
                at = at.saturating_add(copies);
                if valued {
                    cols = at;
                    text = text.saturating_add(copies.saturating_mul(bytes));
                }
            }
            Ok(Event::End(e)) if e.name().as_ref() == "table:table-row" => break,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    (cols, text)
}

/// Reads to the end of the cell called `name`, counting the bytes of text calamine
/// may build from it (`text:s` expands to `text:c` spaces).
fn cell_text<R: BufRead>(reader: &mut quick_xml::Reader<R>, name: &str) -> u64 {
    let (mut depth, mut bytes) = (0usize, 0u64);
    let mut buf = Vec::new();
    loop {
        let add = match reader.read_event_into(&mut buf) {
            Ok(Event::Text(t)) => t.len() as u64,
            Ok(Event::GeneralRef(_)) => 4,
            Ok(Event::Start(e)) if e.name().as_ref() == name => {
                depth += 1;
                0
            }
            Ok(Event::Start(e)) if e.name().as_ref() == "text:s" => count(&e, "text:c"),
            Ok(Event::Start(_)) => 1,
            Ok(Event::End(e)) if e.name().as_ref() == name => {
                if depth == 0 {
                    return bytes;
                }
                depth -= 1;
                0
            }
            Ok(Event::Eof) | Err(_) => return bytes,
            _ => 0,
        };
        bytes = bytes.saturating_add(add);
        buf.clear();
    }
}

/// Refuses a workbook whose tables calamine would lay out past the caps: more columns
/// than `limits.max_cols`, more than `limits.max_cells` cells in all, or more than
/// `limits.max_unpacked` bytes of copied text.
pub(super) fn check(bytes: &[u8], limits: &SheetLimits) -> Result<(), String> {
    let advice = "ODS workbooks are read whole: save the part you need as a smaller \
                  workbook, or as XLSX";
    let (mut cells, mut text, mut elements) = (0u64, 0u64, 0u64);
    for table in extents(bytes)? {
        elements = elements.saturating_add(table.elements);
        if elements > limits.max_cells as u64 {
            return Err(format!(
                "the workbook has more than {} rows in its XML; {advice}",
                limits.max_cells
            ));
        }
        if table.cols > limits.max_cols as u64 {
            return Err(format!(
                "sheet '{}' has a cell in column {}; at most {} columns are read; {advice}",
                table.name, table.cols, limits.max_cols
            ));
        }
        cells = cells.saturating_add(table.rows.saturating_mul(table.cols));
        if cells > limits.max_cells as u64 {
            let last = |n: u64| u32::try_from(n.saturating_sub(1)).unwrap_or(u32::MAX);
            return Err(format!(
                "the workbook spans more than {} cells (sheet '{}' reaches {} from A1); \
                 {advice}",
                limits.max_cells,
                table.name,
                cell_name(last(table.rows), last(table.cols))
            ));
        }
        text = text.saturating_add(table.text);
        if text > limits.max_unpacked {
            return Err(format!(
                "the workbook's repeated cells copy more than {} MiB of text (sheet '{}'); \
                 {advice}",
                limits.max_unpacked >> 20,
                table.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::ods_file;
    use super::*;
    use std::io::Read;

    fn part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut text = String::new();
        zip.by_name(name)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    fn float(value: u32, repeated: u64) -> String {
        format!(
            r#"<table:table-cell table:number-columns-repeated="{repeated}" office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>"#
        )
    }

    #[test]
    fn trailing_empty_repeats_cost_nothing_and_values_are_measured_from_a1() {
        let file = ods_file(&format!(
            r#"<table:table table:name="T"><table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="3"/>{}<table:table-cell table:number-columns-repeated="16380"/></table:table-row><table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>"#,
            float(7, 1)
        ));
        assert!(part(&file, "content.xml").contains("1048574"));
        assert_eq!(
            extents(&file).unwrap(),
            [Extent {
                name: "T".into(),
                rows: 2,
                cols: 4,
                // "7" in office:value, the text:p element and its "7", in 2 rows.
                text: 2 * 3,
                elements: 2,
            }]
        );
        check(&file, &SheetLimits::default()).unwrap();
    }

    #[test]
    fn huge_repeat_counts_are_refused_before_calamine_expands_them() {
        // 100 rows of 16,384 copies of a number: calamine 0.38 would build 1.6 million
        // cells for each row element before its own caps apply.
        let row = format!(
            r#"<table:table-row table:number-rows-repeated="1000000">{}</table:table-row>"#,
            float(1, 16_384)
        );
        let file = ods_file(&format!(
            r#"<table:table table:name="Big">{}</table:table>"#,
            row.repeat(100)
        ));
        assert!(file.len() < 4096, "{} bytes", file.len());
        let err = check(&file, &SheetLimits::default()).unwrap_err();
        assert!(
            err.contains("more than 10000000 cells") && err.contains("sheet 'Big'"),
            "{err}"
        );
    }

    #[test]
    fn row_elements_count_against_the_cap_even_when_empty() {
        let limits = SheetLimits {
            max_cells: 10,
            ..SheetLimits::default()
        };
        let table = |rows: usize| {
            ods_file(&format!(
                r#"<table:table table:name="E">{}</table:table>"#,
                "<table:table-row/>".repeat(rows)
            ))
        };
        check(&table(10), &limits).unwrap();
        let err = check(&table(11), &limits).unwrap_err();
        assert!(err.contains("more than 10 rows in its XML"), "{err}");
    }

    #[test]
    fn a_cell_past_the_column_cap_is_refused() {
        let file = ods_file(&format!(
            r#"<table:table table:name="Wide"><table:table-row><table:table-cell table:number-columns-repeated="4000000000"/>{}</table:table-row></table:table>"#,
            float(1, 1)
        ));
        let err = check(&file, &SheetLimits::default()).unwrap_err();
        assert!(err.contains("column 4000000001"), "{err}");
    }

    #[test]
    fn a_space_run_of_four_billion_is_refused() {
        let file = ods_file(
            r#"<table:table table:name="S"><table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="4000000000"/>b</text:p></table:table-cell></table:table-row></table:table>"#,
        );
        let err = check(&file, &SheetLimits::default()).unwrap_err();
        assert!(err.contains("more than 256 MiB of text"), "{err}");
    }

    #[test]
    fn attributes_are_read_as_calamine_reads_them() {
        let file = ods_file(
            r#"<table:table table:name="A"><table:table-row table:number-rows-repeated = '3' table:number-rows-repeated="9"><table:table-cell office:value-type="string"/></table:table-row></table:table>"#,
        );
        assert_eq!(extents(&file).unwrap()[0].rows, 3);
    }
}
