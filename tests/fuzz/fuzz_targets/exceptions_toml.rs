//! An exceptions file in TOML (`src/findings/exceptions.rs`): any text either parses or gives
//! an error naming the file and a line, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // `load` refuses non-UTF-8 files as an I/O error before parsing
    };
    let path = Path::new("accepted.toml");
    if let Err(e) = p1graph::findings::exceptions::parse(path, text) {
        let msg = e.to_string();
        assert!(
            msg.contains("accepted.toml") && msg.contains(" line "),
            "{msg}"
        );
    }
});
