//! The snapshot decoder (`src/snapshot`): any bytes either decode or are refused with a
//! `SnapshotError`, never a panic, an abort or an allocation sized by a forged length.
//! Built with `--cfg fuzzing`, the decoder skips its checksums, so mutations reach the
//! header, the section table, zstd and every section decoder.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.p1g");
    if let Err(e) = p1graph::snapshot::decode(data.to_vec(), path) {
        assert!(e.to_string().contains("fuzz.p1g"), "{e}");
    }
});
