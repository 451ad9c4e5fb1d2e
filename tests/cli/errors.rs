//! Bad input: one clear error naming the file, line and field; exit code 2; no output file.

use std::path::PathBuf;

use assert_cmd::Command;

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
