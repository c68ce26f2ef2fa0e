//! Workbooks built in code for the tests: minimal valid ones, and hostile ones a few
//! bytes long that ask a reader for gigabytes. Used by the unit tests, and by the
//! integration tests and fuzz seeds through `#[path]` (it needs only `std` and `zip`).
#![allow(dead_code)]

use std::io::{Cursor, Write};

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;

/// A compound file of 512-byte sectors holding one stream called `name`, which is
/// padded to 4096 bytes so that it lives in regular sectors: FAT in sector 0, the
/// directory in sector 1, the stream from sector 2.
pub fn compound_file(name: &str, stream: &[u8]) -> Vec<u8> {
    let mut data = stream.to_vec();
    data.resize(data.len().max(4096).next_multiple_of(512), 0);
    let count = (data.len() / 512) as u32;
    let mut file = Vec::new();
    let put = |file: &mut Vec<u8>, v: u32| file.extend_from_slice(&v.to_le_bytes());
    // Header.
    file.extend_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    file.extend_from_slice(&[0; 16]);
    file.extend_from_slice(&[0x3E, 0, 3, 0, 0xFE, 0xFF, 9, 0, 6, 0]);
    file.extend_from_slice(&[0; 10]);
    put(&mut file, 1); // FAT sectors
    put(&mut file, 1); // first directory sector
    put(&mut file, 0); // transaction
    put(&mut file, 4096); // mini stream cutoff
    put(&mut file, END_OF_CHAIN); // first mini FAT sector
    put(&mut file, 0); // mini FAT sectors
    put(&mut file, END_OF_CHAIN); // first DIFAT sector
    put(&mut file, 0); // DIFAT sectors
    put(&mut file, 0); // the FAT is sector 0
    while file.len() < 512 {
        put(&mut file, 0xFFFF_FFFF);
    }
    // FAT.
    put(&mut file, 0xFFFF_FFFD);
    put(&mut file, END_OF_CHAIN);
    for id in 2..count + 1 {
        put(&mut file, id + 1);
    }
    put(&mut file, END_OF_CHAIN);
    while file.len() < 1024 {
        put(&mut file, 0xFFFF_FFFF);
    }
    // Directory: the root, the stream, two unused entries.
    let entry = |file: &mut Vec<u8>, name: &str, kind: u8, child: u32, start: u32, len: u32| {
        let units: Vec<u16> = name.encode_utf16().chain([0]).collect();
        let mut raw = [0u8; 128];
        for (i, u) in units.iter().enumerate() {
            raw[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
        }
        raw[64..66].copy_from_slice(&((units.len() * 2) as u16).to_le_bytes());
        raw[66] = kind;
        raw[67] = 1;
        raw[68..72].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        raw[72..76].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        raw[76..80].copy_from_slice(&child.to_le_bytes());
        raw[116..120].copy_from_slice(&start.to_le_bytes());
        raw[120..124].copy_from_slice(&len.to_le_bytes());
        file.extend_from_slice(&raw);
    };
    entry(&mut file, "Root Entry", 5, 1, END_OF_CHAIN, 0);
    entry(&mut file, name, 2, 0xFFFF_FFFF, 2, data.len() as u32);
    file.extend_from_slice(&[0; 256]);
    file.extend_from_slice(&data);
    file
}

fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = typ.to_le_bytes().to_vec();
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
    out
}

fn number(row: u16, col: u16, value: f64) -> Vec<u8> {
    let mut data = row.to_le_bytes().to_vec();
    data.extend_from_slice(&col.to_le_bytes());
    data.extend_from_slice(&0u16.to_le_bytes());
    data.extend_from_slice(&value.to_le_bytes());
    record(0x0203, &data)
}

/// A BIFF8 `Workbook` stream with one sheet called "Data" holding `cells`
/// ((row, column, number)) and, if given, a DIMENSIONS record.
pub fn workbook_stream(
    cells: &[(u16, u16, f64)],
    dimensions: Option<(u32, u32, u16, u16)>,
) -> Vec<u8> {
    let bof = |dt: u16| {
        let mut data = 0x0600u16.to_le_bytes().to_vec();
        data.extend_from_slice(&dt.to_le_bytes());
        data.extend_from_slice(&[0; 12]);
        record(0x0809, &data)
    };
    let sheet_name = b"Data";
    let bound_sheet_len = 4 + 4 + 4 + sheet_name.len();
    let mut globals = bof(0x0005);
    let sheet_at = globals.len() + bound_sheet_len + 4;
    let mut bound = (sheet_at as u32).to_le_bytes().to_vec();
    bound.extend_from_slice(&[0, 0, sheet_name.len() as u8, 0]);
    bound.extend_from_slice(sheet_name);
    globals.extend(record(0x0085, &bound));
    globals.extend(record(0x000A, &[]));
    assert_eq!(globals.len(), sheet_at);
    let mut sheet = bof(0x0010);
    if let Some((first_row, last_row, first_col, last_col)) = dimensions {
        let mut data = first_row.to_le_bytes().to_vec();
        data.extend_from_slice(&last_row.to_le_bytes());
        data.extend_from_slice(&first_col.to_le_bytes());
        data.extend_from_slice(&last_col.to_le_bytes());
        data.extend_from_slice(&[0, 0]);
        sheet.extend(record(0x0200, &data));
    }
    for (row, col, value) in cells {
        sheet.extend(number(*row, *col, *value));
    }
    sheet.extend(record(0x000A, &[]));
    globals.extend(sheet);
    globals
}

/// An ODS file whose `content.xml` holds `tables` (the XML inside
/// `office:spreadsheet`), its parts deflated as LibreOffice stores them.
pub fn ods_file(tables: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", deflated).unwrap();
    zip.write_all(
            br#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#,
        )
        .unwrap();
    zip.start_file("content.xml", deflated).unwrap();
    write!(
            zip,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
        )
        .unwrap();
    zip.finish().unwrap().into_inner()
}

/// An XLSX file with one sheet, "Data", whose `sheetData` holds `rows`, and a
/// shared-string table if given.
pub fn xlsx_file(rows: &str, shared_strings: Option<&str>) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut part = |name: &str, text: &str| {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    };
    part(
        "[Content_Types].xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
    );
    part(
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    );
    part(
        "xl/workbook.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
    );
    part(
        "xl/_rels/workbook.xml.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
    );
    part(
        "xl/worksheets/sheet1.xml",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
        ),
    );
    if let Some(strings) = shared_strings {
        part("xl/sharedStrings.xml", strings);
    }
    zip.finish().unwrap().into_inner()
}
