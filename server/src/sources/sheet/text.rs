//! CSV and TSV: records read one at a time, their cells typed as they read (numbers,
//! booleans, text) and handed to the range's `Cells`.

use super::Cells;
use app::model::SheetFormat;
use serde_json::{Number, Value};

pub(super) fn read(bytes: &[u8], format: SheetFormat, cells: &mut Cells) -> Result<(), String> {
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
        if cells.past_the_end(row) {
            break;
        }
        for (col, raw) in (0u32..).zip(record.iter()) {
            cells.push(row, col, typed_text(&String::from_utf8_lossy(raw)))?;
        }
    }
    Ok(())
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
