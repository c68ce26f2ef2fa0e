//! Reading spreadsheets into rows: CSV and TSV (csv), XLSX, XLS and ODS (calamine).
//!
//! A header row names the columns (or the columns are named A, B, C…); cells keep
//! their types (numbers, text, booleans, dates as ISO 8601 text); empty rows are
//! skipped. Reading is bounded: the file's size is capped where it is received, a
//! workbook's unpacked size is checked before it is parsed (a zip bomb is refused),
//! and rows and cells are capped while they are read.

use app::model::{column_name, CellRange, Row, SheetFormat, SheetSource};
use calamine::{Data, Reader};
use serde_json::{Number, Value};
use std::io::Cursor;

/// Bounds on one read.
#[derive(Debug, Clone, Copy)]
pub struct SheetLimits {
    pub max_rows: usize,
    pub max_cells: usize,
    /// Most bytes a workbook's parts may unpack to.
    pub max_unpacked: u64,
}

impl Default for SheetLimits {
    fn default() -> Self {
        Self {
            max_rows: app::model::MAX_ROWS,
            max_cells: 5_000_000,
            max_unpacked: 256 << 20,
        }
    }
}

/// What to read of a file: the sheet, header row and range of a `SheetSource`.
#[derive(Debug, Clone, Default)]
pub struct SheetOptions {
    pub format: Option<SheetFormat>,
    pub sheet: Option<String>,
    pub header_row: u32,
    pub range: Option<CellRange>,
}

impl SheetOptions {
    pub fn of(source: &SheetSource) -> Self {
        Self {
            format: source.format,
            sheet: source.sheet.clone(),
            header_row: source.header_row,
            range: source.range,
        }
    }

    /// A CSV answer from an HTTP source: header in the first row, everything.
    pub fn csv() -> Self {
        Self {
            format: Some(SheetFormat::Csv),
            header_row: 1,
            ..Self::default()
        }
    }
}

/// Reads `bytes` (a file called `name`) into rows.
pub fn read(
    bytes: &[u8],
    name: &str,
    options: &SheetOptions,
    limits: &SheetLimits,
) -> Result<Vec<Row>, String> {
    let format = options
        .format
        .unwrap_or_else(|| SheetFormat::sniff(bytes, name));
    let grid = if format.is_text() {
        text_grid(bytes, format, options.range, limits)?
    } else {
        workbook_grid(bytes, format, options, limits)?
    };
    rows_of(grid, options, limits)
}

/// The sheets of a workbook, in order (one, named after the file, for CSV and TSV).
pub fn sheet_names(bytes: &[u8], name: &str, limits: &SheetLimits) -> Result<Vec<String>, String> {
    let format = SheetFormat::sniff(bytes, name);
    if format.is_text() {
        return Ok(vec![name.to_string()]);
    }
    guarded(format, || {
        check_unpacked(bytes, format, limits)?;
        Ok(open(bytes, format)?.sheet_names())
    })
}

/// Runs calamine's part of a read, turning a panic inside it into an error: its
/// readers can panic on some damaged files (found by fuzzing: calamine 0.38's XLS
/// reader indexes past a short sector chain in `cfb.rs`).
fn guarded<T>(format: SheetFormat, read: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(format!(
            "the file is damaged: the {} reader could not make sense of it",
            label(format)
        ))
    })
}

/// Cells by row: the first column's absolute index, then the cells.
struct Grid {
    first_col: u32,
    rows: Vec<Vec<Value>>,
}

fn text_grid(
    bytes: &[u8],
    format: SheetFormat,
    range: Option<CellRange>,
    limits: &SheetLimits,
) -> Result<Grid, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let delimiter = match format {
        SheetFormat::Tsv => b'\t',
        _ => guess_delimiter(bytes),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let (first_row, last_row, first_col, last_col) = match range {
        Some(r) => (
            r.first_row as usize,
            r.last_row.map(|l| l as usize),
            r.first_col as usize,
            Some(r.last_col as usize),
        ),
        None => (0, None, 0, None),
    };
    let mut rows = Vec::new();
    let mut cells = 0usize;
    let mut record = csv::ByteRecord::new();
    let mut index = 0usize;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(format!("line {line}: the file is not valid CSV ({e})"));
            }
        }
        let this = index;
        index += 1;
        if this < first_row {
            continue;
        }
        if last_row.is_some_and(|l| this > l) {
            break;
        }
        let end = last_col.map_or(record.len(), |l| (l + 1).min(record.len()));
        let row: Vec<Value> = (first_col..end.max(first_col))
            .map(|i| {
                let raw = record.get(i).unwrap_or_default();
                typed_text(&String::from_utf8_lossy(raw))
            })
            .collect();
        cells += row.len();
        check_size(rows.len() + 1, cells, limits)?;
        rows.push(row);
    }
    Ok(Grid {
        first_col: first_col as u32,
        rows,
    })
}

/// Comma unless the first line has more semicolons or tabs (European exports).
fn guess_delimiter(bytes: &[u8]) -> u8 {
    let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |d: u8| line.iter().filter(|b| **b == d).count();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| (count(*d), *d == b','))
        .unwrap_or(b',')
}

/// A CSV cell as the value it reads as: empty is null, a plain number a number
/// (but not a code with leading zeros, like a ZIP code), true/false a boolean.
fn typed_text(raw: &str) -> Value {
    let text = raw.trim();
    if text.is_empty() {
        return Value::Null;
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    if !leading_zero
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Number(i.into());
        }
        if let Some(n) = text
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(Number::from_f64)
        {
            return Value::Number(n);
        }
    }
    match text.to_ascii_lowercase().as_str() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(raw.to_string()),
    }
}

fn check_size(rows: usize, cells: usize, limits: &SheetLimits) -> Result<(), String> {
    if rows > limits.max_rows + 1 {
        return Err(format!(
            "the sheet has more than {} rows; choose a range",
            limits.max_rows
        ));
    }
    if cells > limits.max_cells {
        return Err(format!(
            "the sheet has more than {} cells; choose a range",
            limits.max_cells
        ));
    }
    Ok(())
}

/// Refuses a workbook whose parts unpack to more than `limits.max_unpacked` bytes,
/// before anything is unpacked.
fn check_unpacked(bytes: &[u8], format: SheetFormat, limits: &SheetLimits) -> Result<(), String> {
    if !matches!(format, SheetFormat::Xlsx | SheetFormat::Ods) {
        return Ok(());
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("the file is not a valid {} workbook: {e}", label(format)))?;
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

fn label(format: SheetFormat) -> &'static str {
    match format {
        SheetFormat::Csv => "CSV",
        SheetFormat::Tsv => "TSV",
        SheetFormat::Xlsx => "XLSX",
        SheetFormat::Xls => "XLS",
        SheetFormat::Ods => "ODS",
    }
}

/// Checks an XLS file's compound-file structure before calamine reads it: every sector
/// chain must end (calamine follows a looping directory chain forever, growing memory:
/// found by fuzzing) and no stream may claim to be longer than the file.
fn check_compound_file(bytes: &[u8]) -> Result<(), String> {
    const END: u32 = 0xFFFF_FFFE;
    const SPECIAL: u32 = 0xFFFF_FFFA;
    let damaged = |why: &str| format!("the file is damaged: {why}");
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let shift = u16_at(30).ok_or_else(|| damaged("the header is cut short"))?;
    if shift != 9 && shift != 12 {
        return Err(damaged("the sector size is not 512 or 4096 bytes"));
    }
    let size = 1usize << shift;
    let sectors = bytes.len().saturating_sub(512) / size + 1;
    let sector = |id: u32| -> Option<&[u8]> {
        let start = (id as usize).checked_add(1)?.checked_mul(size)?;
        bytes.get(start..start.checked_add(size)?)
    };
    // The FAT: its sectors are listed in the header's DIFAT (and a DIFAT chain).
    let mut fat_sectors: Vec<u32> = (0..109)
        .filter_map(|i| u32_at(76 + 4 * i))
        .filter(|id| *id < SPECIAL)
        .collect();
    let mut difat = u32_at(68).unwrap_or(END);
    let mut hops = 0;
    while difat < SPECIAL {
        hops += 1;
        let block = sector(difat).ok_or_else(|| damaged("a DIFAT sector is past the end"))?;
        if hops > sectors {
            return Err(damaged("the DIFAT chain loops"));
        }
        let ids: Vec<u32> = block
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let (next, listed) = ids
            .split_last()
            .ok_or_else(|| damaged("an empty DIFAT sector"))?;
        fat_sectors.extend(listed.iter().filter(|id| **id < SPECIAL));
        difat = *next;
    }
    if fat_sectors.len() > sectors {
        return Err(damaged("more FAT sectors than the file holds"));
    }
    let mut fat: Vec<u32> = Vec::with_capacity(fat_sectors.len() * size / 4);
    for id in fat_sectors {
        let block = sector(id).ok_or_else(|| damaged("a FAT sector is past the end"))?;
        fat.extend(
            block
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
    }
    // Every chain must end: walk each once (0 unseen, 1 on the current walk, 2 done).
    let mut state = vec![0u8; fat.len()];
    for start in 0..fat.len() {
        let mut walk = Vec::new();
        let mut at = start;
        loop {
            match state[at] {
                2 => break,
                1 => return Err(damaged("a sector chain loops")),
                _ => {}
            }
            state[at] = 1;
            walk.push(at);
            let next = fat[at];
            if next >= SPECIAL {
                break;
            }
            if next as usize >= fat.len() {
                return Err(damaged("a sector chain points past the end"));
            }
            at = next as usize;
        }
        for i in walk {
            state[i] = 2;
        }
    }
    // No directory entry may claim a stream longer than the file.
    let mut dir = u32_at(48).unwrap_or(END);
    while dir < SPECIAL {
        let block = sector(dir).ok_or_else(|| damaged("a directory sector is past the end"))?;
        for entry in block.chunks_exact(128) {
            let stream = u64::from_le_bytes(entry[120..128].try_into().unwrap_or([0; 8]));
            let stream = if size == 512 {
                stream & 0xFFFF_FFFF
            } else {
                stream
            };
            if stream > bytes.len() as u64 {
                return Err(damaged("a stream claims to be longer than the file"));
            }
        }
        dir = *fat
            .get(dir as usize)
            .ok_or_else(|| damaged("the directory chain points past the end"))?;
    }
    Ok(())
}

fn open(bytes: &[u8], format: SheetFormat) -> Result<calamine::Sheets<Cursor<&[u8]>>, String> {
    if format == SheetFormat::Xls {
        check_compound_file(bytes)?;
    }
    let cursor = Cursor::new(bytes);
    let opened = match format {
        SheetFormat::Xlsx => calamine::open_workbook_from_rs(cursor)
            .map(calamine::Sheets::Xlsx)
            .map_err(|e| e.to_string()),
        SheetFormat::Xls => calamine::open_workbook_from_rs(cursor)
            .map(calamine::Sheets::Xls)
            .map_err(|e| e.to_string()),
        SheetFormat::Ods => calamine::open_workbook_from_rs(cursor)
            .map(calamine::Sheets::Ods)
            .map_err(|e| e.to_string()),
        SheetFormat::Csv | SheetFormat::Tsv => Err("not a workbook".to_string()),
    };
    opened.map_err(|e| format!("the file is not a valid {} workbook: {e}", label(format)))
}

fn workbook_grid(
    bytes: &[u8],
    format: SheetFormat,
    options: &SheetOptions,
    limits: &SheetLimits,
) -> Result<Grid, String> {
    guarded(format, || {
        check_unpacked(bytes, format, limits)?;
        workbook_cells(bytes, format, options, limits)
    })
}

fn workbook_cells(
    bytes: &[u8],
    format: SheetFormat,
    options: &SheetOptions,
    limits: &SheetLimits,
) -> Result<Grid, String> {
    let mut workbook = open(bytes, format)?;
    let names = workbook.sheet_names();
    let name = match &options.sheet {
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
    // Every cell from A1, so ranges and the header row count as the author sees them.
    workbook.with_header_row(calamine::HeaderRow::Row(0));
    let sheet = workbook
        .worksheet_range(&name)
        .map_err(|e| format!("sheet '{name}' cannot be read: {e}"))?;
    let Some((end_row, end_col)) = sheet.end() else {
        return Ok(Grid {
            first_col: 0,
            rows: vec![],
        });
    };
    let (first_row, first_col, last_row, last_col) = match options.range {
        Some(r) => (
            r.first_row,
            r.first_col,
            r.last_row.unwrap_or(end_row).min(end_row),
            r.last_col.min(end_col),
        ),
        None => (0, 0, end_row, end_col),
    };
    let mut rows = Vec::new();
    let mut cells = 0usize;
    for r in first_row..=last_row {
        if first_col > last_col {
            break;
        }
        let row: Vec<Value> = (first_col..=last_col)
            .map(|c| sheet.get_value((r, c)).map_or(Value::Null, cell_value))
            .collect();
        cells += row.len();
        check_size(rows.len() + 1, cells, limits)?;
        rows.push(row);
    }
    Ok(Grid { first_col, rows })
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

/// Names the columns from the header row (or A, B, C…) and turns the rows after it
/// into rows, skipping empty ones.
fn rows_of(grid: Grid, options: &SheetOptions, limits: &SheetLimits) -> Result<Vec<Row>, String> {
    let width = grid.rows.iter().map(Vec::len).max().unwrap_or(0);
    let header_at = options.header_row as usize;
    let mut names: Vec<String> = Vec::with_capacity(width);
    for c in 0..width {
        let letter = column_name(grid.first_col + c as u32);
        let name = if header_at == 0 {
            letter
        } else {
            match grid.rows.get(header_at - 1).and_then(|r| r.get(c)) {
                Some(Value::String(s)) if !s.trim().is_empty() => {
                    s.trim().chars().take(64).collect()
                }
                Some(Value::Null) | None => letter,
                Some(other) => other.to_string().chars().take(64).collect(),
            }
        };
        let mut unique = name.clone();
        let mut n = 2;
        while names.contains(&unique) {
            unique = format!("{name}_{n}");
            n += 1;
        }
        names.push(unique);
    }
    let body = grid.rows.into_iter().skip(header_at);
    let mut rows = Vec::new();
    for cells in body {
        if cells.iter().all(Value::is_null) {
            continue;
        }
        if rows.len() == limits.max_rows {
            return Err(format!(
                "the sheet has more than {} rows; choose a range",
                limits.max_rows
            ));
        }
        let mut row = Row::new();
        for (name, value) in names
            .iter()
            .zip(cells.into_iter().chain(std::iter::repeat(Value::Null)))
        {
            row.insert(name.clone(), value);
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn csv(text: &str, options: SheetOptions) -> Vec<Row> {
        read(text.as_bytes(), "x.csv", &options, &SheetLimits::default()).unwrap()
    }

    #[test]
    fn csv_cells_keep_their_types_and_codes_keep_their_zeros() {
        let rows = csv(
            "zip,n,ok,name,x\n02139,1.5,TRUE,\"Smith, J\",\n",
            SheetOptions::csv(),
        );
        assert_eq!(
            Value::Object(rows[0].clone()),
            json!({"zip": "02139", "n": 1.5, "ok": true, "name": "Smith, J", "x": null})
        );
    }

    #[test]
    fn semicolons_are_guessed_and_a_bom_is_dropped() {
        let rows = csv("\u{feff}a;b\n1;2\n", SheetOptions::csv());
        assert_eq!(rows[0]["a"], json!(1));
        assert_eq!(rows[0]["b"], json!(2));
    }

    #[test]
    fn a_range_and_a_missing_header_name_the_columns_by_letter() {
        let options = SheetOptions {
            format: Some(SheetFormat::Csv),
            header_row: 0,
            range: Some(CellRange::parse("B2:C3").unwrap()),
            sheet: None,
        };
        let rows = csv("a,b,c\n1,2,3\n4,5,6\n7,8,9\n", options);
        assert_eq!(rows.len(), 2);
        assert_eq!(Value::Object(rows[1].clone()), json!({"B": 5, "C": 6}));
    }

    #[test]
    fn duplicate_and_empty_headers_get_unique_names() {
        let rows = csv("a,a,\n1,2,3\n", SheetOptions::csv());
        let keys: Vec<&String> = rows[0].keys().collect();
        assert_eq!(keys, ["a", "a_2", "C"]);
    }

    #[test]
    fn too_many_rows_is_an_error_that_says_what_to_do() {
        let limits = SheetLimits {
            max_rows: 2,
            ..SheetLimits::default()
        };
        let err = read(b"a\n1\n2\n3\n", "x.csv", &SheetOptions::csv(), &limits).unwrap_err();
        assert!(err.contains("more than 2 rows; choose a range"), "{err}");
    }

    #[test]
    fn a_broken_workbook_says_which_format_it_is_not() {
        let err = read(
            b"PK\x03\x04garbage",
            "x.xlsx",
            &SheetOptions::default(),
            &SheetLimits::default(),
        )
        .unwrap_err();
        assert!(err.contains("not a valid XLSX workbook"), "{err}");
    }
}
