//! Measuring an XLS workbook before calamine reads it. calamine 0.38 lays out every
//! sheet of an XLS file as a dense grid as soon as it opens the file (even to list the
//! sheets): it reserves room for what a sheet's DIMENSIONS record declares, then spans
//! the sheet's top-left to bottom-right cell. Two far-apart cells, or one lying
//! record, make it allocate gigabytes. This walks the BIFF records the way calamine
//! does and refuses a workbook whose grids would pass the cell cap.

use super::{cell_name, SheetLimits};

/// What calamine would lay out for one sheet.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Extent {
    /// Cells reserved for the sheet's declared dimensions.
    pub declared: u64,
    /// The bottom-right cell with a value (from A1), if any.
    pub last: Option<(u32, u32)>,
    /// Cell records, each kept by calamine before it lays them out (a position may
    /// come many times).
    pub records: u64,
}

impl Extent {
    /// Cells from A1 to the bottom-right cell.
    fn cells(&self) -> u64 {
        self.last
            .map_or(0, |(r, c)| (u64::from(r) + 1) * (u64::from(c) + 1))
    }

    /// A run of `count` cells from (`row`, `col`) rightwards.
    fn see(&mut self, row: u32, col: u32, count: u32) {
        let (r, c) = self.last.unwrap_or((0, 0));
        self.last = Some((r.max(row), c.max(col + count - 1)));
        self.records += u64::from(count);
    }
}

/// One BIFF record: its type and data (continuations are not needed here).
fn records(mut stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let head = stream.get(..4)?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = u16::from_le_bytes([head[2], head[3]]) as usize;
        let data = stream.get(4..4 + len)?;
        stream = &stream[4 + len..];
        Some((typ, data))
    })
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    data.get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The sheets calamine would read from the `Workbook` stream, measured; or the reason
/// calamine would stop before reading them (a password).
pub(super) fn extents(stream: &[u8]) -> Result<Vec<Extent>, String> {
    let mut positions = Vec::new();
    for (typ, data) in records(stream) {
        match typ {
            // FilePass: the rest is encrypted.
            0x002F if u16_at(data, 0).is_some_and(|v| v != 0) => {
                return Err(super::workbook::PASSWORD.to_string())
            }
            // BoundSheet8: where a sheet's records start.
            0x0085 => positions.extend(u32_at(data, 0)),
            0x000A => break,
            _ => {}
        }
    }
    Ok(positions
        .into_iter()
        .filter_map(|at| stream.get(at as usize..))
        .map(sheet_extent)
        .collect())
}

fn sheet_extent(records_from: &[u8]) -> Extent {
    let mut extent = Extent::default();
    let mut seen_bof = false;
    let mut depth = 0usize;
    for (typ, data) in records(records_from) {
        // Nested substreams (embedded charts) are skipped, as calamine skips them.
        if depth > 0 {
            match typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        match typ {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x000A => break,
            // DIMENSIONS: calamine reserves rows × columns of it, computed as it does.
            0x0200 => {
                let (first_row, last_row, mut first_col, last_col) = match data.len() {
                    10 => (
                        u32::from(u16_at(data, 0).unwrap_or(0)),
                        u32::from(u16_at(data, 2).unwrap_or(0)),
                        u32::from(u16_at(data, 4).unwrap_or(0)),
                        u32::from(u16_at(data, 6).unwrap_or(0)),
                    ),
                    14 | 16 => (
                        u32_at(data, 0).unwrap_or(0),
                        u32_at(data, 4).unwrap_or(0),
                        u32::from(u16_at(data, 8).unwrap_or(0)),
                        u32::from(u16_at(data, 10).unwrap_or(0)),
                    ),
                    _ => continue,
                };
                if first_col > 0xFF || last_col < first_col {
                    first_col = 0;
                }
                let declared = if last_row >= 1 && last_col >= 1 {
                    let rows = (last_row - 1).wrapping_sub(first_row).wrapping_add(1);
                    let cols = (last_col - 1).wrapping_sub(first_col).wrapping_add(1);
                    u64::from(rows) * u64::from(cols)
                } else {
                    1
                };
                extent.declared = extent.declared.max(declared);
            }
            // Cells: Number, Label, RString, BoolErr, Rk, LabelSst, Formula.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                if let (Some(row), Some(col)) = (u16_at(data, 0), u16_at(data, 2)) {
                    extent.see(u32::from(row), u32::from(col), 1);
                }
            }
            // MulRk: a run of cells from a first column, one per 6 bytes.
            0x00BD if data.len() >= 6 => {
                if let (Some(row), Some(col)) = (u16_at(data, 0), u16_at(data, 2)) {
                    let run = (data.len() - 6).div_ceil(6).max(1) as u32;
                    extent.see(u32::from(row), u32::from(col), run);
                }
            }
            _ => {}
        }
    }
    extent
}

/// Refuses a workbook whose sheets calamine would lay out in more than
/// `limits.max_cells` cells in all.
pub(super) fn check(stream: &[u8], limits: &SheetLimits) -> Result<(), String> {
    let cap = limits.max_cells as u64;
    let (mut total, mut records) = (0u64, 0u64);
    for (i, extent) in extents(stream)?.iter().enumerate() {
        records = records.saturating_add(extent.records);
        if records > cap {
            return Err(format!(
                "the workbook holds more than {cap} cells; XLS workbooks are read whole: \
                 save the part you need as a smaller workbook, or as XLSX"
            ));
        }
        if extent.declared > cap {
            return Err(format!(
                "sheet {} declares {} cells; at most {cap} are read (XLS workbooks are read \
                 whole: save the part you need as a smaller workbook, or as XLSX)",
                i + 1,
                extent.declared
            ));
        }
        total = total.saturating_add(extent.cells());
        if total > cap {
            let (row, col) = extent.last.unwrap_or_default();
            return Err(format!(
                "the workbook spans more than {cap} cells (sheet {} reaches {} from A1); \
                 XLS workbooks are read whole: save the part you need as a smaller \
                 workbook, or as XLSX",
                i + 1,
                cell_name(row, col)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::workbook_stream;
    use super::*;

    #[test]
    fn a_sheet_is_measured_from_a1_to_its_last_cell() {
        let stream = workbook_stream(&[(0, 0, 1.0), (4, 2, 2.0)], Some((0, 5, 0, 3)));
        assert_eq!(
            extents(&stream).unwrap(),
            [Extent {
                declared: 15,
                last: Some((4, 2)),
                records: 2,
            }]
        );
    }

    #[test]
    fn two_far_apart_cells_are_refused_before_calamine_lays_them_out() {
        let stream = workbook_stream(&[(0, 0, 1.0), (65_535, 65_535, 2.0)], None);
        let err = check(&stream, &SheetLimits::default()).unwrap_err();
        assert!(
            err.contains("more than 10000000 cells") && err.contains("reaches CRXP65536"),
            "{err}"
        );
    }

    #[test]
    fn many_records_at_one_cell_count_against_the_cap() {
        let limits = SheetLimits {
            max_cells: 10,
            ..SheetLimits::default()
        };
        let stream = workbook_stream(&[(0, 0, 1.0); 10], None);
        check(&stream, &limits).unwrap();
        let stream = workbook_stream(&[(0, 0, 1.0); 11], None);
        let err = check(&stream, &limits).unwrap_err();
        assert!(err.contains("holds more than 10 cells"), "{err}");
    }

    #[test]
    fn declared_dimensions_past_the_cap_are_refused() {
        let stream = workbook_stream(&[(0, 0, 1.0)], Some((0, 1_048_576, 0, 16_384)));
        let err = check(&stream, &SheetLimits::default()).unwrap_err();
        assert!(err.contains("sheet 1 declares 17179869184 cells"), "{err}");
        // Rows given backwards wrap around in calamine's arithmetic: refused too.
        let stream = workbook_stream(&[(0, 0, 1.0)], Some((9, 2, 0, 3)));
        assert!(check(&stream, &SheetLimits::default()).is_err());
    }
}
