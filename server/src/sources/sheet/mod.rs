//! Reading spreadsheets into rows: CSV and TSV (csv), XLSX, XLSB, XLS and ODS (calamine).
//!
//! A header row names the columns (or the columns are named A, B, C…); cells keep
//! their types (numbers, text, booleans, dates as ISO 8601 text); empty rows are
//! skipped. Reading is bounded and never allocates by what a file claims: the file's
//! size is capped where it is received, a workbook's unpacked size is checked before it
//! is parsed (a zip bomb is refused), XLSX and XLSB cells are read as a stream and kept
//! sparsely, XLS and ODS files (which calamine reads whole, into dense grids) are
//! measured before calamine sees them, and every cell's position is checked against
//! the row, column and cell caps as it arrives.

mod compound;
#[cfg(test)]
mod fixtures;
mod markup;
mod ods;
mod text;
mod workbook;
mod xls;

use app::model::{column_name, CellRange, Row, SheetFormat, SheetSource};
use app::pipeline::batch::{Batch, Column};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Bounds on one read.
#[derive(Debug, Clone, Copy)]
pub struct SheetLimits {
    /// Most rows below the header.
    pub max_rows: usize,
    /// Most columns.
    pub max_cols: usize,
    /// Most cells kept, and most cells (rows × columns) in the rows made of them; for
    /// XLS and ODS, also the most cells calamine may lay out for the whole workbook.
    pub max_cells: usize,
    /// Most bytes a workbook's parts may unpack to.
    pub max_unpacked: u64,
}

impl Default for SheetLimits {
    fn default() -> Self {
        Self {
            max_rows: app::model::MAX_ROWS,
            max_cols: 16_384,
            max_cells: 10_000_000,
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
    let mut cells = Cells::new(options.range, limits);
    if format.is_text() {
        text::read(bytes, format, &mut cells)?;
    } else {
        workbook::read(bytes, format, options.sheet.as_deref(), limits, &mut cells)?;
    }
    rows_of(cells, options.header_row as usize, limits)
}

/// Reads `bytes` (a file called `name`) into a columnar batch: the rows `read` makes.
/// CSV and TSV fill the columns as they are read; a workbook's cells (kept sparsely
/// as they are read) move into the columns, with no rows between.
pub fn read_batch(
    bytes: &[u8],
    name: &str,
    options: &SheetOptions,
    limits: &SheetLimits,
) -> Result<Batch, String> {
    let format = options
        .format
        .unwrap_or_else(|| SheetFormat::sniff(bytes, name));
    if format.is_text() {
        text::read_batch(
            bytes,
            format,
            options.range,
            options.header_row as usize,
            limits,
        )
    } else {
        let mut cells = Cells::new(options.range, limits);
        workbook::read(bytes, format, options.sheet.as_deref(), limits, &mut cells)?;
        batch_of(cells, options.header_row as usize, limits)
    }
}

/// The sheets of a workbook, in order (one, named after the file, for CSV and TSV).
pub fn sheet_names(bytes: &[u8], name: &str, limits: &SheetLimits) -> Result<Vec<String>, String> {
    let format = SheetFormat::sniff(bytes, name);
    if format.is_text() {
        return Ok(vec![name.to_string()]);
    }
    workbook::sheet_names(bytes, format, limits)
}

/// A cell's name as the author sees it (`XFD1048576`).
fn cell_name(row: u32, col: u32) -> String {
    format!("{}{}", column_name(col), u64::from(row) + 1)
}

/// The cells of the chosen range, kept sparsely (only cells with a value) and checked
/// against the caps as each arrives, so that nothing is laid out by a far cell's
/// position.
struct Cells<'a> {
    first_row: u32,
    last_row: Option<u32>,
    first_col: u32,
    last_col: Option<u32>,
    limits: &'a SheetLimits,
    kept: usize,
    /// The columns seen so far: one past the rightmost cell kept, within the range.
    width: usize,
    /// Row within the range → (column within the range, value), in arrival order.
    rows: BTreeMap<u32, Vec<(u32, Value)>>,
}

impl<'a> Cells<'a> {
    fn new(range: Option<CellRange>, limits: &'a SheetLimits) -> Self {
        let (first_row, last_row, first_col, last_col) = match range {
            Some(r) => (r.first_row, r.last_row, r.first_col, Some(r.last_col)),
            None => (0, None, 0, None),
        };
        Self {
            first_row,
            last_row,
            first_col,
            last_col,
            limits,
            kept: 0,
            width: 0,
            rows: BTreeMap::new(),
        }
    }

    /// Whether no row at or after `row` (absolute) can be in the range.
    fn past_the_end(&self, row: u32) -> bool {
        self.last_row.is_some_and(|last| row > last)
    }

    /// Keeps the cell at (`row`, `col`) (absolute, from A1) if it is in the range and
    /// has a value; refuses one past a cap.
    fn push(&mut self, row: u32, col: u32, value: Value) -> Result<(), String> {
        if value.is_null()
            || row < self.first_row
            || col < self.first_col
            || self.past_the_end(row)
            || self.last_col.is_some_and(|last| col > last)
        {
            return Ok(());
        }
        let (r, c) = (row - self.first_row, col - self.first_col);
        // The header and the rows above it count: `max_rows` below a header in row 1.
        if r as usize > self.limits.max_rows {
            return Err(format!(
                "the sheet has more than {} rows (a cell at {}); choose a range",
                self.limits.max_rows,
                cell_name(row, col)
            ));
        }
        if c as usize >= self.limits.max_cols {
            return Err(format!(
                "the sheet has more than {} columns (a cell at {}); choose a range",
                self.limits.max_cols,
                cell_name(row, col)
            ));
        }
        self.kept += 1;
        if self.kept > self.limits.max_cells {
            return Err(format!(
                "the sheet has more than {} cells; choose a range",
                self.limits.max_cells
            ));
        }
        self.width = self.width.max(c as usize + 1);
        self.rows.entry(r).or_default().push((c, value));
        Ok(())
    }
}

/// Names the columns from the header row (1-based within the range; 0 for none: the
/// columns are then named by letter) and turns the rows after it into rows. Refuses
/// before building them if rows × columns would pass the cell cap.
fn rows_of(cells: Cells, header_row: usize, limits: &SheetLimits) -> Result<Vec<Row>, String> {
    let (names, body) = table_of(cells, header_row, limits)?;
    Ok(body
        .into_iter()
        .map(|row| {
            let mut values = row.into_iter().peekable();
            names
                .iter()
                .enumerate()
                .map(|(c, name)| {
                    let value = values.next_if(|(at, _)| *at as usize == c);
                    (name.clone(), value.map_or(Value::Null, |(_, v)| v))
                })
                .collect()
        })
        .collect())
}

/// The rows `rows_of` makes, as columns: the cells move straight into them, with no
/// row maps between.
fn batch_of(cells: Cells, header_row: usize, limits: &SheetLimits) -> Result<Batch, String> {
    let (names, body) = table_of(cells, header_row, limits)?;
    let mut columns: Vec<Column> = names
        .iter()
        .map(|_| Column::with_capacity(body.len()))
        .collect();
    for row in body {
        let mut values = row.into_iter().peekable();
        for (c, column) in columns.iter_mut().enumerate() {
            match values.next_if(|(at, _)| *at as usize == c) {
                Some((_, v)) => column.push_value(v),
                None => column.push_null(),
            }
        }
    }
    Ok(Batch::from_columns(
        names.into_iter().zip(columns).collect(),
    ))
}

/// The column names and the rows below the header (each row's cells in column order),
/// checked against the row and cell caps.
#[allow(clippy::type_complexity)]
fn table_of(
    mut cells: Cells,
    header_row: usize,
    limits: &SheetLimits,
) -> Result<(Vec<String>, Vec<Vec<(u32, Value)>>), String> {
    let width = cells.width;
    let header: Vec<(u32, Value)> = match header_row {
        0 => Vec::new(),
        n => u32::try_from(n - 1)
            .ok()
            .and_then(|at| cells.rows.remove(&at))
            .map(in_column_order)
            .unwrap_or_default(),
    };
    let body: Vec<Vec<(u32, Value)>> = cells
        .rows
        .into_iter()
        .filter(|(at, _)| *at as usize >= header_row)
        .map(|(_, row)| in_column_order(row))
        .collect();
    if body.len() > limits.max_rows {
        return Err(format!(
            "the sheet has more than {} rows; choose a range",
            limits.max_rows
        ));
    }
    if body.len().saturating_mul(width) > limits.max_cells {
        return Err(format!(
            "the sheet's {} rows × {width} columns make more than {} cells; choose a range",
            body.len(),
            limits.max_cells
        ));
    }
    Ok((column_names(header, width, cells.first_col), body))
}

/// The names of `width` columns from the header's cells (in column order): a header
/// cell's text, or the column's letter where it has none; repeats made unique.
fn column_names(header: Vec<(u32, Value)>, width: usize, first_col: u32) -> Vec<String> {
    let mut header = header.into_iter().peekable();
    unique_names((0..width as u32).map(|c| {
        let letter = || column_name(first_col.saturating_add(c));
        match header.next_if(|(at, _)| *at == c).map(|(_, v)| v) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().chars().take(64).collect(),
            Some(Value::String(_)) | None => letter(),
            Some(other) => other.to_string().chars().take(64).collect(),
        }
    }))
}

/// A row's cells sorted by column; of two cells at one position, the later one.
fn in_column_order(mut row: Vec<(u32, Value)>) -> Vec<(u32, Value)> {
    row.reverse();
    // Stable: of equal columns, the one that arrived last now comes first and stays.
    row.sort_by_key(|(c, _)| *c);
    row.dedup_by_key(|(c, _)| *c);
    row
}

/// Makes column names unique by suffixing repeats (`a`, `a_2`, `a_3`…), in time
/// linear in the number of names: each name's next suffix is remembered, and a
/// suffix already taken is tried at most once.
fn unique_names(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    let mut next: HashMap<String, usize> = HashMap::new();
    let mut unique = Vec::new();
    for name in names {
        let chosen = if taken.contains(&name) {
            let n = next.entry(name.clone()).or_insert(2);
            loop {
                let candidate = format!("{name}_{n}");
                *n += 1;
                if !taken.contains(&candidate) {
                    break candidate;
                }
            }
        } else {
            name
        };
        taken.insert(chosen.clone());
        unique.push(chosen);
    }
    unique
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
        let rows = csv("a,a,,a_2,a\n1,2,3,4,5\n", SheetOptions::csv());
        let keys: Vec<&String> = rows[0].keys().collect();
        assert_eq!(keys, ["a", "a_2", "C", "a_2_2", "a_3"]);
    }

    #[test]
    fn naming_many_repeated_headers_takes_linear_time() {
        // 100,000 copies of one name: the old search for a free suffix was cubic.
        let names = unique_names(std::iter::repeat_n("a".to_string(), 100_000));
        assert_eq!(names[0], "a");
        assert_eq!(names[99_999], "a_100000");
        let distinct: HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), names.len());
    }

    #[test]
    fn a_csv_header_of_100001_columns_is_refused_by_the_column_cap() {
        let mut text = vec!["a"; 100_001].join(",");
        text.push_str("\n1\n");
        let err = read(
            text.as_bytes(),
            "wide.csv",
            &SheetOptions::csv(),
            &SheetLimits::default(),
        )
        .unwrap_err();
        assert!(
            err.contains("more than 16384 columns") && err.contains("XFE1"),
            "{err}"
        );
    }

    #[test]
    fn a_wide_header_over_many_rows_is_refused_before_the_rows_are_built() {
        // 1,000 columns named once, then 20,000 one-cell rows: padded, 20 million cells.
        let mut text = vec!["a"; 1_000].join(",");
        text.push('\n');
        text.push_str(&"1\n".repeat(20_000));
        let err = read(
            text.as_bytes(),
            "x.csv",
            &SheetOptions::csv(),
            &SheetLimits::default(),
        )
        .unwrap_err();
        assert!(
            err.contains("20000 rows × 1000 columns make more than 10000000 cells"),
            "{err}"
        );
    }

    #[test]
    fn too_many_rows_is_an_error_that_says_what_to_do() {
        let limits = SheetLimits {
            max_rows: 2,
            ..SheetLimits::default()
        };
        let err = read(b"a\n1\n2\n3\n", "x.csv", &SheetOptions::csv(), &limits).unwrap_err();
        assert!(
            err.contains("more than 2 rows (a cell at A4); choose a range"),
            "{err}"
        );
    }

    #[test]
    fn of_two_cells_at_one_position_the_later_is_kept() {
        let row = in_column_order(vec![(2, json!("x")), (0, json!(1)), (2, json!("y"))]);
        assert_eq!(row, [(0, json!(1)), (2, json!("y"))]);
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

    mod batches {
        use super::*;
        use proptest::prelude::*;

        fn both(bytes: &[u8], options: &SheetOptions, limits: &SheetLimits) {
            let rows = read(bytes, "x.csv", options, limits);
            let batch = read_batch(bytes, "x.csv", options, limits).map(Batch::into_rows);
            assert_eq!(
                batch,
                rows,
                "{:?} {options:?}",
                String::from_utf8_lossy(bytes)
            );
        }

        #[test]
        fn a_csv_read_into_columns_is_the_table_read_into_rows() {
            let limits = SheetLimits::default();
            for text in [
                "a,b,c\n1,x,true\n2.5,,FALSE\n\n,,\n007,-3,\"q,uoted\"\n",
                "a;b\n1;2\n3\n4;5;6\n",
                "\u{feff}x\n  7 \n1e400\n-0\n",
                "h,h,,h\n1,2,3,4\n",
            ] {
                for header_row in 0..3 {
                    for range in [
                        None,
                        CellRange::parse("B2:C").ok(),
                        CellRange::parse("A1:B2").ok(),
                    ] {
                        both(
                            text.as_bytes(),
                            &SheetOptions {
                                header_row,
                                range,
                                ..SheetOptions::csv()
                            },
                            &limits,
                        );
                    }
                }
            }
            both(b"a\n\xff\xfe\n", &SheetOptions::csv(), &limits);
        }

        #[test]
        fn columns_refuse_what_rows_refuse_with_the_same_words() {
            let tight = SheetLimits {
                max_rows: 2,
                max_cols: 3,
                max_cells: 6,
                ..SheetLimits::default()
            };
            for text in [
                "a\n1\n2\n3\n",
                "a,b,c,d\n1\n",
                "a,b\n1,2\n3,4\n5,6\n",
                "a,,,\n1\n2,,x\n",
            ] {
                both(text.as_bytes(), &SheetOptions::csv(), &tight);
            }
        }

        proptest! {
            #[test]
            fn any_small_csv_reads_the_same_into_columns(
                cells in prop::collection::vec(prop::collection::vec(
                    prop::sample::select(vec!["", "1", "-2", "0.5", "007", "x", " y ", "true", "\"a,b\"", "1e3", "\u{e9}"]), 0..5), 0..8),
                header_row in 0u32..3,
                range in prop::sample::select(vec![None, Some("A1:B3"), Some("B1:D"), Some("A2:E")]),
                max_cells in 1usize..40,
            ) {
                let text: String = cells.iter().map(|r| r.join(",") + "\n").collect();
                let options = SheetOptions { header_row, range: range.and_then(|r| CellRange::parse(r).ok()), ..SheetOptions::csv() };
                let limits = SheetLimits { max_rows: 5, max_cols: 4, max_cells, ..SheetLimits::default() };
                let rows = read(text.as_bytes(), "x.csv", &options, &limits);
                let batch = read_batch(text.as_bytes(), "x.csv", &options, &limits).map(Batch::into_rows);
                prop_assert_eq!(batch, rows);
            }
        }
    }
}
