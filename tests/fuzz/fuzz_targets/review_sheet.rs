//! The review sheet reader (`src/review/sheet.rs`): the input is a keys file (decompressed)
//! and a sheet, separated by the first NUL byte. Keys either parse or give a `Keys` error
//! naming the file; a sheet never fails as a whole but every problem names the sheet and a
//! line that exists, and never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use p1graph::review::sheet::{parse_keys, validate_sheet};

fuzz_target!(|data: &[u8]| {
    let (keys, sheet) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&[][..], data),
    };
    let keys = match parse_keys(Path::new("keys/s.csv.zst"), keys) {
        Ok(k) => k,
        Err(e) => {
            assert!(e.to_string().contains("keys/s.csv.zst"), "{e}");
            Vec::new()
        }
    };
    let mut problems = Vec::new();
    let (rows, progress) = validate_sheet("s.csv", sheet, &keys, &mut problems);
    let lines = sheet.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    // A deleted row is reported at its line in the original sheet (header + keys).
    let original = keys.len() as u64 + 1;
    for p in &problems {
        assert_eq!(p.file, "s.csv");
        assert!(p.line <= lines.max(original), "{p} beyond line {lines}");
    }
    assert!(rows.len() as u64 <= progress.rows);
    for r in &rows {
        assert!(r.line >= 2 && r.line <= lines, "row at line {}", r.line);
    }
});
