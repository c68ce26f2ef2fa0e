//! CSV and TSV: records read one at a time, their cells typed as they read (numbers,
//! booleans, text) and handed to the range's `Cells`.

use super::{Cells, SheetLimits};
use app::model::{CellRange, SheetFormat};
use app::pipeline::batch::{Batch, Cell, Column};
use serde_json::Value;

pub(super) fn read(bytes: &[u8], format: SheetFormat, cells: &mut Cells) -> Result<(), String> {
    records(bytes, format, |row, record| {
        if cells.past_the_end(row) {
            return Ok(false);
        }
        for (col, raw) in (0u32..).zip(record.iter()) {
            cells.push(row, col, typed(&String::from_utf8_lossy(raw)).to_value())?;
        }
        Ok(true)
    })
}

/// Hands each record to `each` with its row (from 0) until it says to stop.
fn records(
    bytes: &[u8],
    format: SheetFormat,
    mut each: impl FnMut(u32, &csv::ByteRecord) -> Result<bool, String>,
) -> Result<(), String> {
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
    let mut record = csv::ByteRecord::new();
    for row in 0u32.. {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(format!("line {line}: the file is not valid CSV ({e})"));
            }
        }
        if !each(row, &record)? {
            break;
        }
    }
    Ok(())
}

/// Reads CSV or TSV straight into columns: the table `read` and `rows_of` make, with
/// the same caps and errors, but no row of values per record and no string per
/// number. Cells are checked against the caps as they arrive, as `Cells::push` does;
/// past the cell cap, columns stop growing and the read only counts.
pub(super) fn read_batch(
    bytes: &[u8],
    format: SheetFormat,
    range: Option<CellRange>,
    header_row: usize,
    limits: &SheetLimits,
) -> Result<Batch, String> {
    let (first_row, last_row, first_col, last_col) = match range {
        Some(r) => (r.first_row, r.last_row, r.first_col, Some(r.last_col)),
        None => (0, None, 0, None),
    };
    let mut header: Vec<(u32, Value)> = Vec::new();
    let mut columns: Vec<Column> = Vec::new();
    let mut body_rows = 0usize;
    let mut width = 0usize;
    let mut kept = 0usize;
    // Past the cell cap (rows × columns), stop building and only count.
    let mut building = true;
    // The kept cells of the record being read: (column, field of the record, value).
    let mut line: Vec<(usize, usize, Typed)> = Vec::new();
    records(bytes, format, |row, record| {
        if last_row.is_some_and(|last| row > last) {
            return Ok(false);
        }
        if row < first_row {
            return Ok(true);
        }
        let r = row - first_row;
        line.clear();
        for (field, (col, raw)) in (0u32..).zip(record.iter()).enumerate() {
            if col < first_col || last_col.is_some_and(|last| col > last) {
                continue;
            }
            let (cell, valid) = match std::str::from_utf8(raw) {
                Ok(text) => (Typed::of(typed(text)), true),
                Err(_) => (Some(Typed::Text), false),
            };
            let Some(cell) = cell else {
                continue;
            };
            let c = col - first_col;
            if r as usize > limits.max_rows {
                return Err(format!(
                    "the sheet has more than {} rows (a cell at {}); choose a range",
                    limits.max_rows,
                    super::cell_name(row, col)
                ));
            }
            if c as usize >= limits.max_cols {
                return Err(format!(
                    "the sheet has more than {} columns (a cell at {}); choose a range",
                    limits.max_cols,
                    super::cell_name(row, col)
                ));
            }
            kept += 1;
            if kept > limits.max_cells {
                return Err(format!(
                    "the sheet has more than {} cells; choose a range",
                    limits.max_cells
                ));
            }
            width = width.max(c as usize + 1);
            let cell = if valid { cell } else { Typed::Lossy };
            if (r as usize) + 1 == header_row {
                header.push((c, cell.value(raw)));
            } else if r as usize >= header_row {
                line.push((c as usize, field, cell));
            }
        }
        if (r as usize) < header_row || line.is_empty() {
            return Ok(true);
        }
        body_rows += 1;
        if !building {
            return Ok(true);
        }
        if body_rows.saturating_mul(width) > limits.max_cells {
            building = false;
            columns = Vec::new();
            return Ok(true);
        }
        while columns.len() < width {
            columns.push(Column::nulls(body_rows - 1));
        }
        let mut cells = line.iter().peekable();
        for (c, column) in columns.iter_mut().enumerate() {
            match cells.next_if(|(at, _, _)| *at == c) {
                Some(&(_, field, cell)) => cell.push(record.get(field).unwrap_or_default(), column),
                None => column.push_null(),
            }
        }
        Ok(true)
    })?;
    if body_rows > limits.max_rows {
        return Err(format!(
            "the sheet has more than {} rows; choose a range",
            limits.max_rows
        ));
    }
    if body_rows.saturating_mul(width) > limits.max_cells {
        return Err(format!(
            "the sheet's {body_rows} rows × {width} columns make more than {} cells; choose a range",
            limits.max_cells
        ));
    }
    while columns.len() < width {
        columns.push(Column::nulls(body_rows));
    }
    let names = super::column_names(header, width, first_col);
    Ok(Batch::from_columns(
        names.into_iter().zip(columns).collect(),
    ))
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

/// A typed cell without its text, which stays in the record until it is kept.
#[derive(Debug, Clone, Copy)]
enum Typed {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text,
    /// Text that is not UTF-8, read with replacement characters.
    Lossy,
}

impl Typed {
    /// `None` for an empty cell.
    fn of(cell: Cell) -> Option<Typed> {
        match cell {
            Cell::Int(i) => Some(Typed::Int(i)),
            Cell::Float(f) => Some(Typed::Float(f)),
            Cell::Bool(b) => Some(Typed::Bool(b)),
            Cell::Text(_) | Cell::Json(_) => Some(Typed::Text),
            Cell::Null | Cell::Absent => None,
        }
    }

    fn cell(self, raw: &[u8]) -> Cell<'_> {
        match self {
            Typed::Int(i) => Cell::Int(i),
            Typed::Float(f) => Cell::Float(f),
            Typed::Bool(b) => Cell::Bool(b),
            Typed::Text | Typed::Lossy => Cell::Text(std::str::from_utf8(raw).unwrap_or_default()),
        }
    }

    fn value(self, raw: &[u8]) -> Value {
        match self {
            Typed::Lossy => Value::String(String::from_utf8_lossy(raw).into_owned()),
            _ => self.cell(raw).to_value(),
        }
    }

    fn push(self, raw: &[u8], column: &mut Column) {
        match self {
            Typed::Lossy => column.push_value(self.value(raw)),
            _ => column.push(self.cell(raw)),
        }
    }
}

/// A CSV cell as the value it reads as: empty is null, a plain number a number
/// (but not a code with leading zeros, like a ZIP code), true/false a boolean.
fn typed(raw: &str) -> Cell<'_> {
    let text = raw.trim();
    if text.is_empty() {
        return Cell::Null;
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    if !leading_zero
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        if let Ok(i) = text.parse::<i64>() {
            return Cell::Int(i);
        }
        if let Some(f) = text.parse::<f64>().ok().filter(|f| f.is_finite()) {
            return Cell::Float(f);
        }
    }
    if text.eq_ignore_ascii_case("true") {
        Cell::Bool(true)
    } else if text.eq_ignore_ascii_case("false") {
        Cell::Bool(false)
    } else {
        Cell::Text(raw)
    }
}
