//! JSON Lines files, plain or zstd-compressed, parsed in parallel blocks.
//!
//! Why blocks: a million-user `users.jsonl` is most of a gigabyte. Reading it whole would double
//! peak memory; parsing it line by line on one core leaves the other idle. A block of lines is
//! read, its lines are parsed in parallel into records that borrow from the block, and then handed
//! to a sequential consumer (interning needs `&mut`), before the next block is read.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;

use super::ReadError;

const BLOCK_BYTES: usize = 8 << 20;

/// Finds `<base>.jsonl` or `<base>.jsonl.zst`; `None` when neither exists (not collected).
pub fn find(base: &Path) -> Result<Option<PathBuf>, ReadError> {
    let plain = base.with_extension("jsonl");
    let zst = base.with_extension("jsonl.zst");
    match (plain.is_file(), zst.is_file()) {
        (true, true) => Err(ReadError::Ambiguous { plain, zst }),
        (true, false) => Ok(Some(plain)),
        (false, true) => Ok(Some(zst)),
        (false, false) => Ok(None),
    }
}

fn is_zst(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "zst")
}

fn open(path: &Path) -> Result<Box<dyn BufRead>, ReadError> {
    let f = File::open(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if is_zst(path) {
        let dec = zstd::stream::read::Decoder::new(f).map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Box::new(BufReader::with_capacity(1 << 20, dec)))
    } else {
        Ok(Box::new(BufReader::with_capacity(1 << 20, f)))
    }
}

/// One parsed line: its 1-based number, the record, and the unknown members it had.
pub struct Parsed<T> {
    pub line: usize,
    pub rec: T,
    pub unknown: Vec<String>,
}

/// Reads `path` block by block and calls `f(lines, first_line_number)` for each block.
/// Use [`parse_lines`] inside `f` to turn the lines into records that borrow from the block.
pub fn read_blocks<F>(path: &Path, mut f: F) -> Result<(), ReadError>
where
    F: FnMut(&[&[u8]], usize) -> Result<(), ReadError>,
{
    let mut reader = open(path)?;
    let mut block: Vec<u8> = Vec::with_capacity(BLOCK_BYTES + (1 << 16));
    let mut first_line = 1usize;
    loop {
        block.clear();
        let eof = fill_block(&mut reader, &mut block).map_err(|source| {
            if is_zst(path) && source.raw_os_error().is_none() {
                // Not the file system: the decoder. The lines before this one were whole.
                ReadError::Decompress {
                    path: path.to_path_buf(),
                    line: first_line + memchr::memchr_iter(b'\n', &block).count(),
                    source,
                }
            } else {
                ReadError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        if block.is_empty() && eof {
            return Ok(());
        }
        let mut lines: Vec<&[u8]> = block.split(|&b| b == b'\n').collect();
        // A trailing newline yields one empty piece that is not a line.
        if block.last() == Some(&b'\n') {
            lines.pop();
        }
        f(&lines, first_line)?;
        first_line += lines.len();
        if eof {
            return Ok(());
        }
    }
}

/// Reads whole lines into `block` until it holds about `BLOCK_BYTES`. Returns true at EOF.
fn fill_block(reader: &mut Box<dyn BufRead>, block: &mut Vec<u8>) -> io::Result<bool> {
    while block.len() < BLOCK_BYTES {
        let n = reader.read_until(b'\n', block)?;
        if n == 0 {
            return Ok(true);
        }
    }
    Ok(reader.fill_buf()?.is_empty())
}

/// Parses lines in parallel, in order. Blank lines are skipped.
///
/// `known` lists the members that are documented but unused; every other ignored member is
/// reported in `Parsed::unknown` (top level, or directly under `item` for wrapped records).
pub fn parse_lines<'a, T>(
    path: &Path,
    first_line: usize,
    lines: &[&'a [u8]],
    known: &[&str],
) -> Result<Vec<Parsed<T>>, ReadError>
where
    T: Deserialize<'a> + Send,
{
    let parsed: Result<Vec<Option<Parsed<T>>>, ReadError> = lines
        .par_iter()
        .with_min_len(256)
        .enumerate()
        .map(|(i, line)| parse_line(path, first_line + i, line, known))
        .collect();
    Ok(parsed?.into_iter().flatten().collect())
}

fn parse_line<'a, T: Deserialize<'a>>(
    path: &Path,
    line_no: usize,
    line: &'a [u8],
    known: &[&str],
) -> Result<Option<Parsed<T>>, ReadError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(None);
    }
    // JSON Lines are UTF-8. serde_json checks the strings it reads, not the ones it skips (an
    // unused member), so a damaged line could otherwise pass unnoticed.
    utf8(line).map_err(|message| ReadError::Record {
        path: path.to_path_buf(),
        line: line_no,
        message,
    })?;
    let mut unknown = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(line);
    let rec = serde_ignored::deserialize(&mut de, |p| {
        // Only members at the top level, or directly under a wrapper's `item`, are counted.
        let field = match &p {
            serde_ignored::Path::Map {
                parent: serde_ignored::Path::Root,
                key,
            } => key.as_str(),
            serde_ignored::Path::Map {
                parent:
                    serde_ignored::Path::Map {
                        parent: serde_ignored::Path::Root,
                        key: item,
                    },
                key,
            } if item == "item" => key.as_str(),
            _ => return,
        };
        if !known.contains(&field) && !super::records::ITEM_KNOWN.contains(&field) {
            unknown.push(field.to_string());
        }
    })
    .and_then(|r| de.end().map(|_| r))
    .map_err(|e| ReadError::Record {
        path: path.to_path_buf(),
        line: line_no,
        message: describe_json_error(&e),
    })?;
    Ok(Some(Parsed {
        line: line_no,
        rec,
        unknown,
    }))
}

/// Parses one line into `T` as [`parse_lines`] does (the same acceptance), without counting
/// unknown members; the error is the reader's message for the line.
pub fn parse_one<'a, T: Deserialize<'a>>(line: &'a [u8]) -> Result<T, String> {
    utf8(line)?;
    serde_json::from_slice(line).map_err(|e| describe_json_error(&e))
}

/// `Ok` when `line` is UTF-8; else where it is not, as the column (1-based byte) of the first
/// invalid byte.
fn utf8(line: &[u8]) -> Result<(), String> {
    match std::str::from_utf8(line) {
        Ok(_) => Ok(()),
        Err(e) => {
            let at = e.valid_up_to();
            Err(format!(
                "not valid UTF-8 at column {} (byte 0x{:02X})",
                at + 1,
                line[at]
            ))
        }
    }
}

fn describe_json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    // serde_json appends " at line 1 column N"; the line is ours to report, keep the column.
    match msg.rfind(" at line ") {
        Some(i) => {
            let col = msg[i..].rsplit(' ').next().unwrap_or("");
            format!("{}, column {col}", &msg[..i])
        }
        None => msg,
    }
}

/// Reads a whole small file (the manifest) as bytes.
pub fn read_small(path: &Path) -> Result<Vec<u8>, ReadError> {
    let mut buf = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut buf))
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_names_the_column_of_the_first_bad_byte() {
        assert_eq!(utf8("{\"n\":\"Zoë\"}".as_bytes()), Ok(()));
        assert_eq!(
            utf8(b"{\"n\":\"a\xffb\"}"),
            Err("not valid UTF-8 at column 8 (byte 0xFF)".into())
        );
        // A sequence cut short is invalid too, and so is the same line to `parse_one`.
        let cut = b"{\"n\":\"\xc3\"}";
        assert_eq!(
            utf8(cut),
            Err("not valid UTF-8 at column 7 (byte 0xC3)".into())
        );
        assert!(parse_one::<serde_json::Value>(cut).is_err());
    }
}
