//! Shared test support: the mock PingOne server and tenant generators.

pub mod generate;
pub mod mock_pingone;

use std::path::{Path, PathBuf};

/// Runs `p1graph` with `args` (tables at `COLUMNS=120`); returns the exit code,
/// standard output and standard error.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("p1graph")
        .unwrap()
        .env("COLUMNS", "120")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// A copy of the demo whose Sandbox activities were collected (an empty file, no coverage gap):
/// every environment observed, so disuse can be claimed (M8).
pub fn observed_demo(dir: &Path) -> PathBuf {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let dest = dir.join("demo-observed");
    copy_dir(&src, &dest);
    let manifest = dest.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let sandbox = m["coverage"][0]["collection"].as_str().unwrap().to_string();
    m["coverage"] = serde_json::json!([]);
    std::fs::write(&manifest, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    std::fs::write(dest.join(format!("{sandbox}.jsonl")), b"").unwrap();
    dest
}
