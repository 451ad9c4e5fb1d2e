//! `manifest.json` of an export directory: any bytes either read or give a `Manifest`,
//! `Version` or `Record` error naming the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use p1graph::export::{ReadError, read_export};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("manifest.json"), data).expect("write the manifest");
    match read_export(dir.path()) {
        Ok(_) => {}
        Err(e @ (ReadError::Manifest { .. } | ReadError::Version { .. })) => {
            assert!(e.to_string().contains("manifest.json"), "{e}");
        }
        Err(e) => panic!("unexpected error for a manifest: {e}"),
    }
});
