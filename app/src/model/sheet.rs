//! Spreadsheet sources: an uploaded file (kept in the database, so every instance can
//! read it) or a URL to a CSV or XLSX file (a published Google Sheet, say) refreshed on
//! the dataset's interval; which sheet, which header row, which range.

use super::{HttpSource, Invalid, UploadId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetFormat {
    Csv,
    Tsv,
    /// An Excel workbook: XML parts (`.xlsx`, `.xlsm`) or binary parts (`.xlsb`), told
    /// apart by the reader from the parts inside.
    Xlsx,
    Xls,
    Ods,
}

impl SheetFormat {
    /// The format a file name's extension names.
    pub fn from_name(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "csv" => SheetFormat::Csv,
            "tsv" | "tab" => SheetFormat::Tsv,
            // Excel's binary workbook is read by the same entry (see `Xlsx`).
            "xlsx" | "xlsm" | "xlsb" => SheetFormat::Xlsx,
            "xls" => SheetFormat::Xls,
            "ods" => SheetFormat::Ods,
            _ => return None,
        })
    }

    /// The format a file's first bytes show: a zip (XLSX or ODS, told apart by
    /// name), an OLE compound file (XLS), or text (CSV, or TSV when tabs separate).
    pub fn sniff(bytes: &[u8], name: &str) -> Self {
        match Self::from_name(name) {
            Some(f) => f,
            None if bytes.starts_with(b"PK\x03\x04") => {
                if bytes
                    .windows(46)
                    .take(200)
                    .any(|w| w.starts_with(b"mimetypeapplication/vnd.oasis"))
                {
                    SheetFormat::Ods
                } else {
                    SheetFormat::Xlsx
                }
            }
            None if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) => SheetFormat::Xls,
            None => {
                let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
                if line.contains(&b'\t') {
                    SheetFormat::Tsv
                } else {
                    SheetFormat::Csv
                }
            }
        }
    }

    pub fn is_text(self) -> bool {
        matches!(self, SheetFormat::Csv | SheetFormat::Tsv)
    }
}

/// What an upload answers: the stored file's id and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadInfo {
    pub id: UploadId,
    pub name: String,
    pub size: u64,
    pub format: SheetFormat,
    /// Sheet names in order (the file's name for CSV and TSV).
    pub sheets: Vec<String>,
}

/// Where the file is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SheetFile {
    /// A file uploaded through `POST /api/v1/uploads`.
    Upload { upload: UploadId, name: String },
    /// A file fetched from the web on every refresh.
    Url { http: HttpSource },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetSource {
    pub file: SheetFile,
    /// The format; guessed from the name and the first bytes when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<SheetFormat>,
    /// The sheet's name (workbooks); the first sheet when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The 1-based row holding the column names, counted within the range; 0 when the
    /// file has none (columns are then named A, B, C…).
    #[serde(default = "first_row")]
    pub header_row: u32,
    /// A cell range such as `B2:F200` (or `B2:F` for "to the end"); all cells when not
    /// given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<CellRange>,
}

fn first_row() -> u32 {
    1
}

impl SheetSource {
    pub fn short_name(&self) -> String {
        match &self.file {
            SheetFile::Upload { name, .. } => name.clone(),
            SheetFile::Url { http } => http.short_name(),
        }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        if let SheetFile::Url { http } = &self.file {
            http.validate().map_err(|e| e.within("file.http"))?;
        }
        if let Some(sheet) = &self.sheet {
            if sheet.chars().count() > 100 {
                return Err(Invalid::new(
                    "sheet",
                    "a sheet name is at most 100 characters",
                ));
            }
        }
        if self.header_row > 1000 {
            return Err(Invalid::new(
                "header_row",
                "the header row is one of the first 1,000 rows (0: none)",
            ));
        }
        Ok(())
    }
}

/// A rectangle of cells, 0-based and inclusive; `last_row` open when the range runs to
/// the end of the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CellRange {
    pub first_row: u32,
    pub first_col: u32,
    pub last_row: Option<u32>,
    pub last_col: u32,
}

impl CellRange {
    /// Longest range text read (`XFD10000000:XFD10000000` has 23).
    pub const MAX_CHARS: usize = 40;

    /// Reads `A1:C10` or `A1:C` (case-insensitive); at most `MAX_CHARS` characters.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if text.len() > Self::MAX_CHARS {
            return Err(Invalid::new(
                "range",
                format!(
                    "a cell range is at most {} characters, like A1:D100 (this one has {} bytes)",
                    Self::MAX_CHARS,
                    text.len()
                ),
            ));
        }
        let bad = || {
            Invalid::new(
                "range",
                format!("'{text}' is not a cell range like A1:D100 (or A1:D for all rows)"),
            )
        };
        let (from, to) = text.trim().split_once(':').ok_or_else(bad)?;
        let (first_col, first_row) = cell(from).ok_or_else(bad)?;
        let first_row = first_row.ok_or_else(bad)?;
        let (last_col, last_row) = cell(to).ok_or_else(bad)?;
        if last_col < first_col || last_row.is_some_and(|r| r < first_row) {
            return Err(Invalid::new(
                "range",
                format!("in '{text}' the second cell comes before the first"),
            ));
        }
        Ok(Self {
            first_row,
            first_col,
            last_row,
            last_col,
        })
    }
}

/// `B12` → (column 1, Some(row 11)); `B` → (1, None).
fn cell(text: &str) -> Option<(u32, Option<u32>)> {
    let text = text.trim().to_ascii_uppercase();
    let letters = text.chars().take_while(char::is_ascii_alphabetic).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = text[..letters]
        .bytes()
        .fold(0u32, |acc, b| acc * 26 + u32::from(b - b'A' + 1))
        - 1;
    let digits = &text[letters..];
    if digits.is_empty() {
        return Some((col, None));
    }
    let row: u32 = digits.parse().ok()?;
    if row == 0 || row > 10_000_000 {
        return None;
    }
    Some((col, Some(row - 1)))
}

/// `0` → `A`, `27` → `AB`: a column's letters.
pub fn column_name(mut col: u32) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

impl TryFrom<String> for CellRange {
    type Error = Invalid;
    fn try_from(text: String) -> Result<Self, Invalid> {
        Self::parse(&text)
    }
}

impl From<CellRange> for String {
    fn from(r: CellRange) -> String {
        let last_row = r.last_row.map(|r| (r + 1).to_string()).unwrap_or_default();
        format!(
            "{}{}:{}{}",
            column_name(r.first_col),
            r.first_row + 1,
            column_name(r.last_col),
            last_row
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_reads_and_writes_back_the_same() {
        let r = CellRange::parse("b2:AB100").unwrap();
        assert_eq!(
            (r.first_col, r.first_row, r.last_col, r.last_row),
            (1, 1, 27, Some(99))
        );
        assert_eq!(String::from(r), "B2:AB100");
        let open = CellRange::parse("A1:C").unwrap();
        assert_eq!(open.last_row, None);
        assert_eq!(String::from(open), "A1:C");
    }

    #[test]
    fn a_backwards_or_malformed_range_is_refused() {
        assert!(CellRange::parse("C1:A5")
            .unwrap_err()
            .message
            .contains("before"));
        assert!(CellRange::parse("A0:B2").is_err());
        assert!(CellRange::parse("A1").is_err());
        assert!(CellRange::parse("AAAA1:B2").is_err());
    }

    #[test]
    fn a_huge_range_is_refused_without_echoing_it() {
        let huge = format!("A1:{}", "9".repeat(1 << 20));
        let err = CellRange::parse(&huge).unwrap_err();
        assert!(err.message.contains("at most 40 characters"), "{err:?}");
        assert!(err.message.len() < 200);
    }

    #[test]
    fn a_format_is_known_by_name_or_by_its_first_bytes() {
        assert_eq!(
            SheetFormat::from_name("Sales.XLSX"),
            Some(SheetFormat::Xlsx)
        );
        assert_eq!(
            SheetFormat::sniff(b"a\tb\n1\t2", "export"),
            SheetFormat::Tsv
        );
        assert_eq!(SheetFormat::sniff(b"a,b\n", "export"), SheetFormat::Csv);
        assert_eq!(
            SheetFormat::sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0], "x"),
            SheetFormat::Xls
        );
        assert_eq!(SheetFormat::from_name("a.xlsb"), Some(SheetFormat::Xlsx));
    }

    #[test]
    fn column_names_run_past_z() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(701), "ZZ");
    }
}
