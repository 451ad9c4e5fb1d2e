//! Activities in PingOne's real shapes, and `p1graph usage`.

use std::path::PathBuf;

use assert_cmd::Command;
use p1graph::export::lines::parse_lines;
use p1graph::export::records::{ACTIVITY_KNOWN, ActivityRec};

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/activities/pingone-samples.jsonl")
}

#[test]
fn real_pingone_activity_events_parse() {
    let path = samples();
    let bytes = std::fs::read(&path).unwrap();
    let lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let recs = parse_lines::<ActivityRec>(&path, 1, &lines, ACTIVITY_KNOWN)
        .expect("every real event parses");
    assert_eq!(recs.len(), lines.len());
    assert!(lines.len() >= 19);
    // events without actors, literal client ids, empty population objects
    assert!(recs.iter().any(|p| p.rec.actors.is_none()));
    assert!(recs.iter().any(|p| {
        p.rec
            .actors
            .as_ref()
            .and_then(|a| a.client.as_ref())
            .and_then(|c| c.id.as_deref())
            == Some("adminui")
    }));
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("\"population\":{}"));
}

#[test]
fn usage_lists_unused_privileged_roles_of_the_demo_once_every_environment_is_observed() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = crate::support::observed_demo(tmp.path());
    let out = Command::cargo_bin("p1graph")
        .unwrap()
        .env("COLUMNS", "120")
        .args(["usage", "-q", "--unused", "--format", "csv", "--input"])
        .arg(&demo)
        .output()
        .unwrap();
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    // exactly the holders the unused-admin-role rule names
    let f = Command::cargo_bin("p1graph")
        .unwrap()
        .env("COLUMNS", "120")
        .args(["findings", "-q", "--rule", "unused-admin-role", "--input"])
        .arg(&demo)
        .output()
        .unwrap();
    let findings = String::from_utf8(f.stdout).unwrap();
    assert_eq!(rows.len(), findings.lines().count() - 1);
    assert!(rows.iter().all(|r| r.ends_with(",true,,unused")), "{csv}");
    assert!(csv.contains("breakglass@"));
    assert!(
        !csv.contains("ana.silva@"),
        "ana made admin actions in the window"
    );
}

#[test]
fn usage_never_calls_a_role_unused_while_an_environment_is_unobserved() {
    // The demo's manifest records the Sandbox activities as denied (M10): nothing is "unused",
    // privileged roles without a recent action are "not observed", and the table says why.
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("p1graph")
            .unwrap()
            .env("COLUMNS", "120")
            .args(args)
            .arg(&demo)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let unused = run(&["usage", "-q", "--unused", "--format", "csv", "--input"]);
    assert_eq!(unused.lines().count(), 1, "{unused}");
    let roles = run(&["usage", "-q", "--format", "csv", "--input"]);
    assert!(roles.contains(",not observed"), "{roles}");
    assert!(!roles.contains(",unused"), "{roles}");
    let table = run(&["usage", "-q", "--format", "table", "--input"]);
    assert!(
        table
            .contains("not observed: environments/0264e7e7-5ac8-5ac5-87df-603dc385a343/activities"),
        "{table}"
    );
    let findings = run(&["findings", "-q", "--rule", "unused-admin-role", "--input"]);
    assert_eq!(findings.lines().count(), 1, "{findings}");
}
