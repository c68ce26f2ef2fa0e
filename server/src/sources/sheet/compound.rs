//! OLE compound files, the container of XLS workbooks (and of Excel's password-protected
//! XLSX and XLSB files): checked before calamine reads one, and read strictly, so that
//! a stream measured here holds exactly the bytes calamine will parse.
//!
//! calamine 0.38 follows a looping sector chain forever (growing memory), indexes past
//! a short chain, and reads a small stream's missing sectors from wherever its file
//! reader happens to be (all found by fuzzing). A file with any of these is refused
//! here as damaged.

const END: u32 = 0xFFFF_FFFE;
const SPECIAL: u32 = 0xFFFF_FFFA;
/// Streams shorter than this live in the mini stream, in 64-byte sectors.
const MINI_CUTOFF: u64 = 4096;
const MINI_SECTOR: usize = 64;

fn damaged(why: &str) -> String {
    format!("the file is damaged: {why}")
}

/// A checked compound file: every sector chain ends, no stream claims more bytes than
/// the file has.
pub(super) struct Compound<'a> {
    bytes: &'a [u8],
    sector: usize,
    fat: Vec<u32>,
    entries: Vec<Entry>,
    mini_fat_start: u32,
    mini_fat_sectors: u32,
}

struct Entry {
    name: String,
    start: u32,
    len: u64,
}

impl<'a> Compound<'a> {
    pub(super) fn is_compound(bytes: &[u8]) -> bool {
        bytes.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
    }

    pub(super) fn parse(bytes: &'a [u8]) -> Result<Self, String> {
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
        if !Self::is_compound(bytes) || bytes.len() < 512 {
            return Err(damaged("it is not an OLE compound file"));
        }
        let shift = u16_at(30).ok_or_else(|| damaged("the header is cut short"))?;
        if shift != 9 && shift != 12 {
            return Err(damaged("the sector size is not 512 or 4096 bytes"));
        }
        if u16_at(32) != Some(6) {
            return Err(damaged("the mini sector size is not 64 bytes"));
        }
        let size = 1usize << shift;
        if bytes.len() < size {
            return Err(damaged("the header is cut short"));
        }
        let sectors = bytes.len().saturating_sub(512) / size + 1;
        let whole_sector = |id: u32| -> Option<&[u8]> {
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
            let block =
                whole_sector(difat).ok_or_else(|| damaged("a DIFAT sector is past the end"))?;
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
            let block = whole_sector(id).ok_or_else(|| damaged("a FAT sector is past the end"))?;
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
        let mut compound = Self {
            bytes,
            sector: size,
            fat,
            entries: Vec::new(),
            mini_fat_start: u32_at(60).unwrap_or(END),
            mini_fat_sectors: u32_at(64).unwrap_or(0),
        };
        // The directory; no entry may claim a stream longer than the file.
        let directory = compound.chain(u32_at(48).unwrap_or(END), u64::MAX)?;
        for entry in directory.chunks_exact(128) {
            let units: Vec<u16> = entry[..64]
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .take_while(|u| *u != 0)
                .collect();
            let len = u64::from_le_bytes(entry[120..128].try_into().unwrap_or([0; 8]));
            let len = if size == 512 { len & 0xFFFF_FFFF } else { len };
            if len > bytes.len() as u64 {
                return Err(damaged("a stream claims to be longer than the file"));
            }
            compound.entries.push(Entry {
                name: String::from_utf16_lossy(&units),
                start: u32::from_le_bytes(entry[116..120].try_into().unwrap_or([0; 4])),
                len,
            });
        }
        Ok(compound)
    }

    /// Whether an entry is called `name` (case aside, as calamine looks names up).
    pub(super) fn has(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.name.eq_ignore_ascii_case(name))
    }

    /// The stream called `name` (the first such entry, as calamine takes it), or `None`.
    pub(super) fn stream(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        let Some(entry) = self
            .entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
        else {
            return Ok(None);
        };
        if entry.len >= MINI_CUTOFF {
            return self.chain(entry.start, entry.len).map(Some);
        }
        if entry.len == 0 {
            return Ok(Some(Vec::new()));
        }
        if self.mini_fat_sectors == 0 {
            return Err(damaged("a small stream has no mini sector table"));
        }
        let root = self
            .entries
            .first()
            .ok_or_else(|| damaged("the directory is empty"))?;
        let mini_stream = self.chain(root.start, root.len)?;
        let mini_fat_len = u64::from(self.mini_fat_sectors).saturating_mul(self.sector as u64);
        let mini_fat: Vec<u32> = self
            .chain(self.mini_fat_start, mini_fat_len)?
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let mut out = Vec::new();
        let mut id = entry.start;
        while id != END && (out.len() as u64) < entry.len {
            if out.len() > mini_stream.len() {
                return Err(damaged("a mini sector chain loops"));
            }
            let start = (id as usize).saturating_mul(MINI_SECTOR);
            let sector = mini_stream
                .get(start..start.saturating_add(MINI_SECTOR))
                .ok_or_else(|| damaged("a mini sector is past the end of the mini stream"))?;
            let wanted = (entry.len - out.len() as u64).min(MINI_SECTOR as u64) as usize;
            out.extend_from_slice(&sector[..wanted]);
            id = *mini_fat
                .get(id as usize)
                .ok_or_else(|| damaged("a mini sector chain points past the end"))?;
        }
        Ok(Some(out))
    }

    /// Follows the sector chain from `start` for at most `len` bytes, as calamine does
    /// (a chain may end before `len`; the file's last sector may be short), refusing
    /// where calamine would index past the end.
    fn chain(&self, start: u32, len: u64) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let mut id = start;
        let mut hops = 0usize;
        while id != END {
            hops += 1;
            if hops > self.fat.len() + 1 {
                return Err(damaged("a sector chain loops"));
            }
            let begin = (id as usize)
                .checked_add(1)
                .and_then(|n| n.checked_mul(self.sector))
                .filter(|b| *b < self.bytes.len())
                .ok_or_else(|| damaged("a sector is past the end"))?;
            let sector = &self.bytes[begin..(begin + self.sector).min(self.bytes.len())];
            let wanted = (len - out.len() as u64).min(sector.len() as u64) as usize;
            out.extend_from_slice(&sector[..wanted]);
            if out.len() as u64 >= len {
                break;
            }
            id = *self
                .fat
                .get(id as usize)
                .ok_or_else(|| damaged("a sector chain points past the end"))?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::compound_file;
    use super::*;

    #[test]
    fn a_stream_reads_back_as_it_was_written() {
        let stream: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        let file = compound_file("Workbook", &stream);
        let compound = Compound::parse(&file).unwrap();
        assert!(compound.has("workbook"));
        let read = compound.stream("Workbook").unwrap().unwrap();
        assert_eq!(&read[..stream.len()], &stream[..]);
        assert!(compound.stream("Book").unwrap().is_none());
    }

    #[test]
    fn a_looping_chain_is_refused() {
        let mut file = compound_file("Workbook", b"x");
        // FAT entry 3 points back to sector 2.
        file[512 + 3 * 4..512 + 4 * 4].copy_from_slice(&2u32.to_le_bytes());
        let err = Compound::parse(&file).err().unwrap();
        assert!(err.contains("loops"), "{err}");
    }
}
