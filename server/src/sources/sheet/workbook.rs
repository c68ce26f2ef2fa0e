//! Workbooks (XLSX, XLSB, XLS, ODS) through calamine, checked before calamine sees them
//! (size unpacked, password, what calamine would lay out) and read without a dense
//! grid where calamine allows it: XLSX and XLSB cells come as a stream.

use super::markup::{attribute, reader as xml};
use super::{compound::Compound, ods, xls, Cells, SheetLimits};
use app::model::SheetFormat;
use calamine::{Data, DataRef, Reader, Sheets};
use quick_xml::events::Event;
use serde_json::{Number, Value};
use std::fmt::Display;
use std::io::{BufReader, Cursor, Read};

pub(super) const PASSWORD: &str = "the workbook is password-protected, and Wallboard \
    cannot read encrypted files: save a copy without a password and use that";

/// Which of calamine's readers a workbook needs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Xlsx,
    /// Excel's binary workbook, which the model files under `SheetFormat::Xlsx`.
    Xlsb,
    Xls,
    Ods,
}

impl Kind {
    fn of(bytes: &[u8], format: SheetFormat) -> Self {
        match format {
            SheetFormat::Xls => Kind::Xls,
            SheetFormat::Ods => Kind::Ods,
            SheetFormat::Xlsx | SheetFormat::Csv | SheetFormat::Tsv => {
                let binary = zip::ZipArchive::new(Cursor::new(bytes)).is_ok_and(|zip| {
                    zip.file_names_raw()
                        .any(|n| n.eq_ignore_ascii_case(b"xl/workbook.bin"))
                });
                if binary {
                    Kind::Xlsb
                } else {
                    Kind::Xlsx
                }
            }
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Xlsx => "XLSX",
            Kind::Xlsb => "XLSB",
            Kind::Xls => "XLS",
            Kind::Ods => "ODS",
        }
    }
}

/// Reads the cells of `sheet` (the first sheet when `None`) into `cells`.
pub(super) fn read(
    bytes: &[u8],
    format: SheetFormat,
    sheet: Option<&str>,
    limits: &SheetLimits,
    cells: &mut Cells,
) -> Result<(), String> {
    guarded(format, || {
        let kind = Kind::of(bytes, format);
        check(bytes, kind, limits)?;
        let mut workbook = open(bytes, kind)?;
        let names = workbook.sheet_names();
        let name = match sheet {
            Some(wanted) => names
                .iter()
                .find(|n| *n == wanted)
                .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(wanted)))
                .ok_or_else(|| {
                    format!(
                        "the workbook has no sheet '{wanted}'; its sheets are {}",
                        names.join(", ")
                    )
                })?,
            None => names.first().ok_or("the workbook has no sheets")?,
        }
        .clone();
        sheet_cells(&mut workbook, &name, cells)
    })
}

/// The workbook's sheets, in order.
pub(super) fn sheet_names(
    bytes: &[u8],
    format: SheetFormat,
    limits: &SheetLimits,
) -> Result<Vec<String>, String> {
    guarded(format, || {
        let kind = Kind::of(bytes, format);
        check(bytes, kind, limits)?;
        Ok(open(bytes, kind)?.sheet_names())
    })
}

/// Runs a workbook read (the checks, then calamine), turning a panic into an error:
/// calamine's readers can panic on some damaged files (found by fuzzing: calamine
/// 0.38's XLS reader indexes past a short sector chain in `cfb.rs`).
fn guarded<T>(format: SheetFormat, read: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        let reader = match format {
            SheetFormat::Xls => "XLS",
            SheetFormat::Ods => "ODS",
            _ => "Excel",
        };
        Err(format!(
            "the file is damaged: the {reader} reader could not make sense of it"
        ))
    })
}

/// Everything checked before calamine opens the file.
fn check(bytes: &[u8], kind: Kind, limits: &SheetLimits) -> Result<(), String> {
    if bytes.is_empty() {
        return Err("the file is empty (0 bytes)".to_string());
    }
    if Compound::is_compound(bytes) && kind != Kind::Xls {
        // Excel saves a password-protected XLSX or XLSB as an encrypted compound file.
        let compound = Compound::parse(bytes)?;
        if compound.has("EncryptedPackage") {
            return Err(PASSWORD.to_string());
        }
        return Err(format!(
            "the file is not a valid {} workbook: it is an older Office file (an XLS \
             workbook with another name?)",
            kind.label()
        ));
    }
    match kind {
        Kind::Xls => {
            let compound = Compound::parse(bytes)?;
            let stream = match compound.stream("Workbook")? {
                Some(stream) => stream,
                None => compound
                    .stream("Book")?
                    .ok_or("the file is not a valid XLS workbook: it has no Workbook stream")?,
            };
            xls::check(&stream, limits)
        }
        Kind::Xlsx => {
            check_unpacked(bytes, kind, limits)?;
            check_shared_strings(bytes, limits)
        }
        Kind::Xlsb => {
            check_unpacked(bytes, kind, limits)?;
            check_records(bytes, limits)
        }
        Kind::Ods => {
            check_unpacked(bytes, kind, limits)?;
            if ods::is_encrypted(bytes)? {
                return Err(PASSWORD.to_string());
            }
            ods::check(bytes, limits)
        }
    }
}

fn zip_of(bytes: &[u8], kind: Kind) -> Result<zip::ZipArchive<Cursor<&[u8]>>, String> {
    zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("the file is not a valid {} workbook: {e}", kind.label()))
}

/// Refuses a workbook whose parts unpack to more than `limits.max_unpacked` bytes,
/// before anything is unpacked.
fn check_unpacked(bytes: &[u8], kind: Kind, limits: &SheetLimits) -> Result<(), String> {
    let mut archive = zip_of(bytes, kind)?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| format!("the workbook is damaged: {e}"))?;
        total = total.saturating_add(entry.size());
    }
    if total > limits.max_unpacked {
        return Err(format!(
            "the workbook unpacks to {} MiB; at most {} MiB are read",
            total >> 20,
            limits.max_unpacked >> 20
        ));
    }
    Ok(())
}

/// Refuses an XLSX whose shared-string table would pass the cell cap: calamine 0.38
/// reserves room for as many strings as `uniqueCount` says (a 1 KB file can ask for
/// terabytes), and keeps every string it lists.
fn check_shared_strings(bytes: &[u8], limits: &SheetLimits) -> Result<(), String> {
    let cap = limits.max_cells as u64;
    let too_many =
        |n: String| format!("the workbook lists {n} shared strings; at most {cap} cells are read");
    let mut archive = zip_of(bytes, Kind::Xlsx)?;
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| format!("the workbook is damaged: {e}"))?;
        if !part_name(&entry).ends_with("sharedstrings.xml") {
            continue;
        }
        let mut reader = xml(BufReader::new(entry));
        let (mut buf, mut listed) = (Vec::new(), 0u64);
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(Event::Start(e)) if e.local_name().as_ref() == "sst" => {
                    let declared = attribute(&e, "uniqueCount")
                        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                        .map(|v| v.trim_start_matches('0'));
                    if let Some(digits) = declared {
                        if digits.len() > 18 || digits.parse::<u64>().unwrap_or(0) > cap {
                            return Err(too_many(digits.to_string()));
                        }
                    }
                }
                Ok(Event::Start(e)) if e.local_name().as_ref() == "si" => {
                    listed += 1;
                    if listed > cap {
                        return Err(too_many(format!("more than {cap}")));
                    }
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
            buf.clear();
        }
    }
    Ok(())
}

/// Refuses an XLSB whose binary parts have a record longer than what is left of the
/// part (calamine 0.38 allocates a record's stated length, up to 256 MiB, before
/// reading it) or list more shared strings than the cell cap.
fn check_records(bytes: &[u8], limits: &SheetLimits) -> Result<(), String> {
    let mut archive = zip_of(bytes, Kind::Xlsb)?;
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| format!("the workbook is damaged: {e}"))?;
        let name = part_name(&entry);
        if !name.ends_with(".bin") {
            continue;
        }
        let strings = name.ends_with("sharedstrings.bin");
        let mut part = BufReader::new(entry);
        let mut listed = 0u64;
        while let Some(first) = byte(&mut part) {
            let typ = match first & 0x80 {
                0 => u16::from(first),
                _ => match byte(&mut part) {
                    Some(second) => u16::from(first & 0x7F) + (u16::from(second & 0x7F) << 7),
                    None => break,
                },
            };
            let mut len = 0u64;
            for i in 0..4 {
                let Some(b) = byte(&mut part) else { break };
                len += u64::from(b & 0x7F) << (7 * i);
                if b & 0x80 == 0 {
                    break;
                }
            }
            let skipped = std::io::copy(&mut (&mut part).take(len), &mut std::io::sink())
                .map_err(|e| format!("the workbook is damaged: {e}"))?;
            if skipped < len {
                return Err(format!(
                    "the file is damaged: a record in {name} runs past the end of the part"
                ));
            }
            if strings && typ == 0x0013 {
                listed += 1;
                if listed > limits.max_cells as u64 {
                    return Err(format!(
                        "the workbook lists more than {0} shared strings; at most {0} cells \
                         are read",
                        limits.max_cells
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A part's name, in lower case (calamine looks parts up regardless of case).
fn part_name<R: Read>(entry: &zip::read::ZipFile<R>) -> String {
    String::from_utf8_lossy(entry.name_raw()).to_ascii_lowercase()
}

fn byte(part: &mut impl Read) -> Option<u8> {
    let mut b = [0u8];
    part.read_exact(&mut b).ok().map(|_| b[0])
}

fn open(bytes: &[u8], kind: Kind) -> Result<Sheets<Cursor<&[u8]>>, String> {
    let invalid =
        |e: &dyn Display| format!("the file is not a valid {} workbook: {e}", kind.label());
    let cursor = Cursor::new(bytes);
    match kind {
        Kind::Xlsx => match calamine::open_workbook_from_rs(cursor) {
            Ok(w) => Ok(Sheets::Xlsx(w)),
            Err(calamine::XlsxError::Password) => Err(PASSWORD.to_string()),
            Err(e) => Err(invalid(&e)),
        },
        Kind::Xlsb => match calamine::open_workbook_from_rs(cursor) {
            Ok(w) => Ok(Sheets::Xlsb(w)),
            Err(calamine::XlsbError::Password) => Err(PASSWORD.to_string()),
            Err(e) => Err(invalid(&e)),
        },
        Kind::Xls => match calamine::open_workbook_from_rs(cursor) {
            Ok(w) => Ok(Sheets::Xls(w)),
            Err(calamine::XlsError::Password) => Err(PASSWORD.to_string()),
            Err(e) => Err(invalid(&e)),
        },
        Kind::Ods => match calamine::open_workbook_from_rs(cursor) {
            Ok(w) => Ok(Sheets::Ods(w)),
            Err(calamine::OdsError::Password) => Err(PASSWORD.to_string()),
            Err(e) => Err(invalid(&e)),
        },
    }
}

/// Hands every cell with a value of sheet `name` to `cells`: XLSX and XLSB as a stream
/// (nothing laid out), XLS and ODS from the grid calamine built when it opened the file
/// (measured before, see `xls` and `ods`).
fn sheet_cells(
    workbook: &mut Sheets<Cursor<&[u8]>>,
    name: &str,
    cells: &mut Cells,
) -> Result<(), String> {
    let cannot = |e: &dyn Display| format!("sheet '{name}' cannot be read: {e}");
    let push = |cells: &mut Cells, cell: calamine::Cell<DataRef>| {
        let (row, col) = cell.get_position();
        match cell.get_value() {
            DataRef::Empty => Ok(()),
            value => cells.push(row, col, cell_value(&Data::from(value.clone()))),
        }
    };
    match workbook {
        Sheets::Xlsx(xlsx) => {
            let mut reader = match xlsx.worksheet_cells_reader(name) {
                Ok(reader) => reader,
                // A chart sheet: no cells.
                Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(()),
                Err(e) => return Err(cannot(&e)),
            };
            while let Some(cell) = reader.next_cell().map_err(|e| cannot(&e))? {
                push(cells, cell)?;
            }
        }
        Sheets::Xlsb(xlsb) => {
            let mut reader = xlsb.worksheet_cells_reader(name).map_err(|e| cannot(&e))?;
            while let Some(cell) = reader.next_cell().map_err(|e| cannot(&e))? {
                push(cells, cell)?;
            }
        }
        Sheets::Xls(_) | Sheets::Ods(_) => {
            let grid = workbook.worksheet_range(name).map_err(|e| cannot(&e))?;
            if let Some((top, left)) = grid.start() {
                for (r, c, value) in grid.used_cells() {
                    cells.push(top + r as u32, left + c as u32, cell_value(value))?;
                }
            }
        }
    }
    Ok(())
}

/// A workbook cell as JSON: dates and times as ISO 8601 text (a date alone when there
/// is no time of day), errors such as `#DIV/0!` as null.
fn cell_value(cell: &Data) -> Value {
    match cell {
        Data::Int(i) => Value::Number((*i).into()),
        Data::Float(f) => number(*f),
        Data::String(s) => Value::String(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        // A duration, in seconds (to the millisecond).
        Data::DateTime(dt) if dt.is_duration() => {
            number((dt.as_f64() * 86_400_000.0).round() / 1000.0)
        }
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => {
                Value::String(t.date().format("%Y-%m-%d").to_string())
            }
            Some(t) => Value::String(t.format("%Y-%m-%dT%H:%M:%S").to_string()),
            None => Value::Null,
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::String(s.clone()),
        Data::Error(_) | Data::Empty => Value::Null,
    }
}

/// A number as JSON: whole numbers (which workbooks store as floats) as integers.
fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        Value::Number((f as i64).into())
    } else {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{compound_file, ods_file, workbook_stream, xlsx_file};
    use super::super::{read, sheet_names, SheetOptions};
    use super::*;
    use app::model::CellRange;
    use serde_json::json;

    fn rows(bytes: &[u8], name: &str, options: SheetOptions) -> Result<Vec<Value>, String> {
        read(bytes, name, &options, &SheetLimits::default())
            .map(|rows| rows.into_iter().map(Value::Object).collect())
    }

    #[test]
    fn a_tiny_xlsx_with_cells_at_a1_and_xfd1048576_is_refused_without_laying_them_out() {
        let file = xlsx_file(
            r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>"#,
            None,
        );
        assert!(file.len() < 2048, "{} bytes", file.len());
        assert_eq!(
            sheet_names(&file, "far.xlsx", &SheetLimits::default()).unwrap(),
            ["Data"]
        );
        let err = rows(&file, "far.xlsx", SheetOptions::default()).unwrap_err();
        assert!(
            err.contains("more than 1000000 rows (a cell at XFD1048576); choose a range"),
            "{err}"
        );
        // A range leaves the far cell out, and the near one reads.
        let near = SheetOptions {
            range: Some(CellRange::parse("A1:B10").unwrap()),
            ..SheetOptions::default()
        };
        assert_eq!(rows(&file, "far.xlsx", near).unwrap(), [json!({"A": 1})]);
    }

    #[test]
    fn an_xlsx_declaring_a_trillion_shared_strings_is_refused_before_calamine_reserves_them() {
        let strings = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1000000000000"><si><t>x</t></si></sst>"#;
        let file = xlsx_file(
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
            Some(strings),
        );
        let err = sheet_names(&file, "x.xlsx", &SheetLimits::default()).unwrap_err();
        assert!(
            err.contains("lists 1000000000000 shared strings; at most 10000000 cells"),
            "{err}"
        );
        // The same table, honest, reads.
        let honest = strings.replace("1000000000000", "1");
        let file = xlsx_file(
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
            Some(&honest),
        );
        let options = SheetOptions::default();
        assert_eq!(rows(&file, "x.xlsx", options).unwrap(), [json!({"A": "x"})]);
    }

    #[test]
    fn an_xls_with_a_far_cell_is_refused_and_a_near_one_reads() {
        let near = compound_file(
            "Workbook",
            &workbook_stream(&[(0, 0, 1.5), (3, 2, 7.0)], Some((0, 4, 0, 3))),
        );
        assert_eq!(
            sheet_names(&near, "near.xls", &SheetLimits::default()).unwrap(),
            ["Data"]
        );
        assert_eq!(
            rows(&near, "near.xls", SheetOptions::default()).unwrap(),
            [
                json!({"A": 1.5, "B": null, "C": null}),
                json!({"A": null, "B": null, "C": 7})
            ]
        );
        let far = compound_file(
            "Workbook",
            &workbook_stream(&[(0, 0, 1.0), (65_535, 65_535, 2.0)], None),
        );
        for err in [
            rows(&far, "far.xls", SheetOptions::default()).unwrap_err(),
            sheet_names(&far, "far.xls", &SheetLimits::default()).unwrap_err(),
        ] {
            assert!(
                err.contains("spans more than 10000000 cells (sheet 1 reaches CRXP65536"),
                "{err}"
            );
        }
    }

    #[test]
    fn an_ods_with_huge_repeat_counts_is_refused_and_a_plain_one_reads() {
        let plain = ods_file(
            r#"<table:table table:name="T"><table:table-row><table:table-cell office:value-type="string"><text:p>n</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048573"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>"#,
        );
        let options = SheetOptions {
            header_row: 1,
            ..SheetOptions::default()
        };
        assert_eq!(
            rows(&plain, "plain.ods", options).unwrap(),
            [json!({"n": 3}), json!({"n": 3})]
        );
        let hostile = ods_file(&format!(
            r#"<table:table table:name="Big">{}</table:table>"#,
            r#"<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row>"#
                .repeat(100)
        ));
        let err = sheet_names(&hostile, "big.ods", &SheetLimits::default()).unwrap_err();
        assert!(err.contains("more than 10000000 cells"), "{err}");
    }

    #[test]
    fn an_empty_file_is_named_as_empty() {
        let err = sheet_names(b"", "x.xlsx", &SheetLimits::default()).unwrap_err();
        assert_eq!(err, "the file is empty (0 bytes)");
    }
}
