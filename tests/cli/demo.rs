//! What a user sees on the demo tenant: insta snapshots of `access`, `explain`, `summary` and the
//! findings formats; determinism; streams and files agree.

use std::path::PathBuf;

use assert_cmd::Command;

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("p1graph").unwrap().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn demo_arg() -> String {
    demo().display().to_string()
}

#[test]
fn access_export_of_the_demo() {
    let (code, csv, _) = run(&["access", "-q", "--input", &demo_arg()]);
    assert_eq!(code, 0);
    assert!(csv.starts_with("identity_type,identity_id,identity_name,environment_id,enabled,entitlement_type,entitlement_id,entitlement_name,scope_type,scope_id,via,sources,path\r\n"));
    insta::assert_snapshot!("demo_access_csv", csv);
}

#[test]
fn access_export_is_byte_identical_across_runs_and_destinations() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.csv");
    let (_, first, _) = run(&["access", "-q", "--input", &demo_arg()]);
    let (code, _, _) = run(&["access", "-q", "--input", &demo_arg(), "--out", f.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&f).unwrap(), first);
    let (_, again, _) = run(&["access", "-q", "--input", &demo_arg()]);
    assert_eq!(again, first);
}

#[test]
fn access_json_has_the_same_rows_as_csv() {
    let (_, csv, _) = run(&["access", "-q", "--input", &demo_arg()]);
    let (code, json, _) = run(&["access", "-q", "--input", &demo_arg(), "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let rows = v.as_array().unwrap();
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    let recs: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), recs.len());
    for (j, c) in rows.iter().zip(&recs) {
        assert_eq!(j["identity_id"], c[1]);
        assert_eq!(j["entitlement_id"], c[6]);
        assert_eq!(j["scope_id"], c[9]);
        assert_eq!(j["via"], c[10]);
    }
}

#[test]
fn summary_of_the_demo() {
    let (code, out, _) = run(&["summary", "-q", "--input", &demo_arg()]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("demo_summary", out);
}

#[test]
fn findings_of_the_demo_in_three_formats() {
    let (code, csv, _) = run(&["findings", "-q", "--input", &demo_arg()]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("demo_findings_csv", csv);
    let (_, json, _) = run(&["findings", "-q", "--input", &demo_arg(), "--format", "json"]);
    insta::assert_snapshot!("demo_findings_json", json);
    let (_, table, _) = run(&["findings", "-q", "--input", &demo_arg(), "--format", "table"]);
    insta::assert_snapshot!("demo_findings_table", table);
}

#[test]
fn analyze_writes_both_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let (code, stdout, _) = run(&["analyze", "-q", "--input", &demo_arg(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(stdout.contains("privileged admins"));
    let (_, access, _) = run(&["access", "-q", "--input", &demo_arg()]);
    assert_eq!(std::fs::read_to_string(out.join("access.csv")).unwrap(), access);
    let (_, findings, _) = run(&["findings", "-q", "--input", &demo_arg()]);
    assert_eq!(std::fs::read_to_string(out.join("findings.csv")).unwrap(), findings);
}
