//! Bad input: one clear error naming the file, line and field; exit code 2; no output file.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::support::copy_dir;

fn bad(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/bad")
        .join(case)
}

/// Runs `access --out` on a bad export; returns stderr after checking the exit code and that no
/// output (not even a temporary file) was left behind.
fn fails(case: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("access.csv");
    let out = Command::cargo_bin("p1graph")
        .unwrap()
        .env("COLUMNS", "120")
        .args(["access", "--input"])
        .arg(bad(case))
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{case}: exit code");
    assert!(!out_file.exists(), "{case}: no output file");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "{case}: no temporary file left"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{case}: one error: {err}"
    );
    err
}

#[test]
fn malformed_line_names_file_and_line() {
    let err = fails("malformed_line");
    assert!(err.contains("users.jsonl` line 3"), "{err}");
}

#[test]
fn missing_required_field_names_it() {
    let err = fails("missing_field");
    assert!(err.contains("role_assignments.jsonl` line"), "{err}");
    assert!(err.contains("missing field `role`"), "{err}");
}

#[test]
fn duplicate_id_is_an_error() {
    let err = fails("duplicate_id");
    assert!(
        err.contains("users.jsonl` line 2") && err.contains("duplicate user id"),
        "{err}"
    );
}

#[test]
fn unknown_export_version_is_refused() {
    let err = fails("unknown_version");
    assert!(
        err.contains("manifest.json") && err.contains("version `99`"),
        "{err}"
    );
}

#[test]
fn a_directory_without_manifest_is_not_an_export() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("p1graph")
        .unwrap()
        .env("COLUMNS", "120")
        .args(["summary", "--input"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no manifest.json") && err.contains("help:"),
        "{err}"
    );
}

#[test]
fn unknown_fields_and_enum_values_are_tolerated_and_counted() {
    use p1graph::export::manifest::ManifestFile;
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("exp");
    let mut w = p1graph::export::ExportWriter::create(&dest, false).unwrap();
    w.write(
        "environments",
        &json!({"id": "e1", "name": "Prod", "organization": {"id": "o1"}, "brandNewField": 1}),
    )
    .unwrap();
    w.write(
        "roles",
        &json!({"id": "r1", "name": "Environment Admin", "permissions": [{"id": "x:update:y"}]}),
    )
    .unwrap();
    w.write(
        "environments/e1/users",
        &json!({"id": "u1", "username": "ana", "enabled": true, "favouriteColour": "teal"}),
    )
    .unwrap();
    w.write_child(
        "environments/e1/role_assignments",
        "USER",
        "u1",
        &json!({"id": "ra1", "role": {"id": "r1"}, "scope": {"type": "FUTURE_SCOPE", "id": "g9"}}),
    )
    .unwrap();
    w.finish(&ManifestFile::new()).unwrap();
    let out = Command::cargo_bin("p1graph")
        .unwrap()
        .env("COLUMNS", "120")
        .args(["access", "--input"])
        .arg(&dest)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("unknown field in users (e.g. favouriteColour)"),
        "{err}"
    );
    assert!(err.contains("unknown field in environments"), "{err}");
    assert!(
        err.contains("unknown role assignment scope type (kept) (e.g. FUTURE_SCOPE)"),
        "{err}"
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(
        csv.contains(
            "USER,u1,ana,e1,true,ROLE,r1,Environment Admin,FUTURE_SCOPE,g9,,DIRECT,direct,"
        ),
        "{csv}"
    );
}

const PROD_ENV: &str = "82297299-7726-57b4-9d76-d6cc42861095";

/// A copy of the mini export in `dir`, and its Production `users` file without extension.
fn damaged_mini(dir: &Path) -> (PathBuf, PathBuf) {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cli/data/mini");
    let dest = dir.join("mini");
    copy_dir(&src, &dest);
    let users = dest.join(format!("environments/{PROD_ENV}/users"));
    assert!(users.with_extension("jsonl").is_file());
    (dest, users)
}

/// Runs `access` on a damaged export, to stdout and with `--out`: exit code 2, nothing on stdout
/// (no partial CSV), no output file, one error. Returns that error.
fn refused(input: &Path) -> String {
    let o = Command::cargo_bin("p1graph")
        .unwrap()
        .env("COLUMNS", "120")
        .args(["access", "--input"])
        .arg(input)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        o.stdout.is_empty(),
        "partial CSV: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "one error: {err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("access.csv");
    let o = Command::cargo_bin("p1graph")
        .unwrap()
        .env("COLUMNS", "120")
        .args(["access", "--input"])
        .arg(input)
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr), err, "the same error");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no output or temporary file"
    );
    err
}

fn zstd_of(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

#[test]
fn plain_and_compressed_copies_of_one_collection_are_ambiguous() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, users) = damaged_mini(tmp.path());
    let plain = users.with_extension("jsonl");
    let zst = users.with_extension("jsonl.zst");
    // The same content both ways: still refused, never one picked silently.
    std::fs::write(&zst, zstd_of(&std::fs::read(&plain).unwrap())).unwrap();
    let err = refused(&input);
    assert!(
        err.contains(&format!(
            "both `{}` and `{}` exist; keep one",
            plain.display(),
            zst.display()
        )),
        "{err}"
    );
}

#[test]
fn a_zst_file_that_is_not_zstd_names_the_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, users) = damaged_mini(tmp.path());
    let zst = users.with_extension("jsonl.zst");
    std::fs::remove_file(users.with_extension("jsonl")).unwrap();
    std::fs::write(&zst, b"these bytes are not a zstd frame at all\n").unwrap();
    let err = refused(&input);
    assert!(
        err.contains(&format!(
            "`{}` line 1: the zstd stream is corrupt or truncated",
            zst.display()
        )),
        "{err}"
    );
    assert!(err.contains("help: the file was damaged"), "{err}");
}

#[test]
fn a_truncated_zst_file_names_the_file_and_the_line_it_broke_in() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, users) = damaged_mini(tmp.path());
    let plain = users.with_extension("jsonl");
    let zst = users.with_extension("jsonl.zst");
    let text = std::fs::read(&plain).unwrap();
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    assert!(lines.len() >= 3, "mini has {} users", lines.len());
    // Lines 1-2 in one whole frame, the rest in a second frame cut short (as a copy interrupted
    // half-way would leave it).
    let mut bytes = zstd_of(&lines[..2].concat());
    let rest = zstd_of(&lines[2..].concat());
    bytes.extend_from_slice(&rest[..rest.len() / 2]);
    std::fs::write(&zst, bytes).unwrap();
    std::fs::remove_file(&plain).unwrap();
    let err = refused(&input);
    assert!(
        err.contains(&format!(
            "`{}` line 3: the zstd stream is corrupt or truncated",
            zst.display()
        )),
        "{err}"
    );
}

/// Replaces the first `after` in line `line` (1-based) of `path` by `after` followed by `bad`;
/// returns the 1-based column of the first byte of `bad`.
fn insert_bytes(path: &Path, line: usize, after: &str, bad: &[u8]) -> usize {
    let text = std::fs::read(path).unwrap();
    let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let l = &mut lines[line - 1];
    let at = l
        .windows(after.len())
        .position(|w| w == after.as_bytes())
        .unwrap_or_else(|| panic!("no {after} in line {line}"))
        + after.len();
    l.splice(at..at, bad.iter().copied());
    std::fs::write(path, lines.join(&b'\n')).unwrap();
    at + 1
}

#[test]
fn invalid_utf8_names_the_file_line_and_column_even_in_an_unused_member() {
    // `username` is read; `email` is not (it was skipped unchecked, so the damage went unnoticed).
    for member in ["\"username\":\"", "\"email\":\""] {
        let tmp = tempfile::tempdir().unwrap();
        let (input, users) = damaged_mini(tmp.path());
        let plain = users.with_extension("jsonl");
        let column = insert_bytes(&plain, 2, member, b"\xff\xfe");
        let err = refused(&input);
        assert!(
            err.contains(&format!(
                "`{}` line 2: not valid UTF-8 at column {column} (byte 0xFF)",
                plain.display()
            )),
            "{member}: {err}"
        );
    }
}
