//! The snapshot decoder (`src/snapshot`): any bytes either decode or are refused with a
//! `SnapshotError`, never a panic, an abort or an allocation sized by a forged length.
//! Built with `--cfg fuzzing`, the decoder skips its checksums, so mutations reach the
//! header, the section table, zstd and every section decoder.
//!
//! Both read paths run on every input: `decode` on the bytes, and `load` on them written to a
//! file (which reads the string arena into a buffer of its own when the file allows it). They
//! must agree: both load, or both refuse with the same message.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.p1g");
    let whole = p1graph::snapshot::decode(data.to_vec(), path);
    if let Err(e) = &whole {
        assert!(e.to_string().contains("fuzz.p1g"), "{e}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fuzz.p1g");
    std::fs::write(&file, data).unwrap();
    let from_file = p1graph::snapshot::load(&file);
    match (&whole, &from_file) {
        (Ok(_), Ok(_)) => {}
        (Err(a), Err(b)) => assert_eq!(
            a.to_string().replace("fuzz.p1g", ""),
            b.to_string().replace(file.to_str().unwrap(), ""),
        ),
        _ => panic!(
            "decode and load disagree: {:?} / {:?}",
            whole.as_ref().err().map(ToString::to_string),
            from_file.as_ref().err().map(ToString::to_string)
        ),
    }
});
