//! Attack paths end to end on `fixtures/attack/helpdesk_chain` (see `fixtures/attack/gen_attack.py`
//! for the story): the escalation export against the hand-derived `expected.csv`, its formats,
//! `who-can` (table, dot, Mermaid, errors), the `privilege-escalation` finding, `analyze` and
//! `explain`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/attack/helpdesk_chain")
}

fn p1graph(args: &[&str]) -> (bool, String, String) {
    let out = Command::cargo_bin("p1graph")
        .expect("binary")
        .env("COLUMNS", "120")
        .args(args)
        .arg("--input")
        .arg(fixture())
        .arg("-q")
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

const KEEP: [&str; 6] = [
    "identity_type",
    "identity_id",
    "role_id",
    "scope_type",
    "scope_id",
    "steps",
];

fn reduce(csv_text: &str) -> Vec<Vec<String>> {
    let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = rd.headers().expect("header").clone();
    let idx: Vec<usize> = KEEP
        .iter()
        .map(|k| headers.iter().position(|h| h == *k).expect("column"))
        .collect();
    rd.records()
        .map(|r| {
            let r = r.expect("row");
            idx.iter().map(|&i| r[i].to_string()).collect()
        })
        .collect()
}

#[test]
fn escalation_matches_the_hand_derived_rows() {
    let (ok, csv, err) = p1graph(&["escalation"]);
    assert!(ok, "{err}");
    let expected = std::fs::read_to_string(fixture().join("expected.csv")).expect("expected.csv");
    assert_eq!(reduce(&csv), reduce(&expected));
}

#[test]
fn escalation_csv_header_line_ends_and_paths() {
    let (ok, csv, _) = p1graph(&["escalation", "--format", "csv"]);
    assert!(ok);
    assert!(csv.starts_with(
        "identity_type,identity_id,identity_name,environment_id,role_id,role_name,scope_type,scope_id,scope_name,steps,path\r\n"
    ));
    assert!(
        csv.split('\n')
            .filter(|l| !l.is_empty())
            .all(|l| l.ends_with('\r'))
    );
    // ana resets carla (no MFA) to become Environment Admin.
    assert!(csv.contains(
        "USER,u-ana,ana.silva@acme.example,e-admin,r-env-admin,Environment Admin,ENVIRONMENT,e-prod,Prod,1,user:ana.silva@acme.example -> [Help Desk Admin @ POPULATION:Administrators] reset password -> user:carla.cruz@acme.example -> [holds] Environment Admin @ ENVIRONMENT:Prod\r\n"
    ), "{csv}");
    // the worker adds an account to a population group nested under Prod Admins.
    assert!(csv.contains("application:CI Deployer -> [Identity Data Admin @ POPULATION:Staff] add member -> group:Staff Leads -> [grants] Environment Admin @ ENVIRONMENT:Prod"), "{csv}");
}

#[test]
fn escalation_json_has_the_same_rows_with_numeric_steps() {
    let (ok, json, _) = p1graph(&["escalation", "--format", "json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let rows = v.as_array().expect("array");
    assert_eq!(rows.len(), 23);
    assert_eq!(rows[0]["identity_id"], "a-deploy");
    assert_eq!(rows[0]["steps"], 1);
    assert_eq!(rows[0]["scope_name"], "Prod");
}

#[test]
fn escalation_table() {
    let (ok, table, _) = p1graph(&["escalation", "--format", "table"]);
    assert!(ok);
    insta::assert_snapshot!("escalation_table", table);
}

#[test]
fn who_can_table_dot_and_mermaid() {
    let args = [
        "who-can",
        "--role",
        "Environment Admin",
        "--scope",
        "ENVIRONMENT:Prod",
    ];
    let (ok, table, err) = p1graph(&[&args[..], &["--format", "table"]].concat());
    assert!(ok, "{err}");
    insta::assert_snapshot!("who_can_table", table);
    // Piped without --format: CSV.
    let (ok, piped, _) = p1graph(&args);
    assert!(ok);
    assert!(piped.starts_with("identity_type,"), "{piped}");
    let (ok, dot, _) = p1graph(&[&args[..], &["--format", "dot"]].concat());
    assert!(ok);
    insta::assert_snapshot!("who_can_dot", dot);
    let (ok, mermaid, _) = p1graph(&[&args[..], &["--format", "mermaid"]].concat());
    assert!(ok);
    insta::assert_snapshot!("who_can_mermaid", mermaid);
}

#[test]
fn who_can_csv_lists_holders_at_zero_steps_and_respects_the_scope() {
    let (ok, csv, _) = p1graph(&[
        "who-can",
        "--role",
        "r-l2",
        "--scope",
        "POPULATION:p-admins",
        "--format",
        "csv",
    ]);
    assert!(ok);
    // Support L2 over the Administrators population: only ana reaches it (Help Desk Admin there).
    let rows = reduce(&csv);
    assert_eq!(
        rows,
        vec![vec!["USER", "u-ana", "r-l2", "POPULATION", "p-admins", "1"]]
    );
    let (ok, csv, _) = p1graph(&["who-can", "--role", "r-ida", "--format", "csv"]);
    assert!(ok);
    let rows = reduce(&csv);
    assert!(rows.contains(&vec![
        "USER".into(),
        "u-ben".into(),
        "r-ida".into(),
        "ENVIRONMENT".into(),
        "e-prod".into(),
        "0".into()
    ]));
}

#[test]
fn who_can_unknown_role_or_scope_lists_close_matches() {
    let (ok, _, err) = p1graph(&["who-can", "--role", "Enviroment Admin"]);
    assert!(!ok);
    assert!(err.contains("no role matches `Enviroment Admin`"), "{err}");
    assert!(err.contains("did you mean: Environment Admin"), "{err}");
    let (ok, _, err) = p1graph(&["who-can", "--role", "r-ida", "--scope", "ENVIRONMENT:Prd"]);
    assert!(!ok);
    assert!(err.contains("no scope matches"), "{err}");
    assert!(err.contains("Prod"), "{err}");
}

#[test]
fn privilege_escalation_finding_names_tier_zero_gains() {
    let (ok, csv, _) = p1graph(&["findings", "--format", "csv"]);
    assert!(ok);
    let mut got: Vec<String> = csv
        .lines()
        .filter(|l| l.starts_with("privilege-escalation,"))
        .map(|l| l.split(',').take(4).collect::<Vec<_>>().join(","))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            "privilege-escalation,critical,APPLICATION,a-deploy",
            "privilege-escalation,critical,USER,u-ana",
            "privilege-escalation,critical,USER,u-ben",
        ]
    );
}

#[test]
fn analyze_writes_escalation_csv_and_counts_tier_zero_reach() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::cargo_bin("p1graph")
        .expect("binary")
        .env("COLUMNS", "120")
        .args(["analyze", "-q", "--input"])
        .arg(fixture())
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("23 row(s); 3 identities can reach Organization or Environment Admin"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(dir.path().join("escalation.csv")).expect("written");
    let expected = std::fs::read_to_string(fixture().join("expected.csv")).expect("expected");
    assert_eq!(reduce(&csv), reduce(&expected));
}

#[test]
fn explain_shows_what_an_identity_can_become() {
    let (ok, text, _) = p1graph(&["explain", "--identity", "u-ben"]);
    assert!(ok);
    let section = text
        .split("\ncan become")
        .nth(1)
        .expect("a can-become section");
    assert!(section.starts_with(" (4 privileges"), "{section}");
    assert!(section.contains("Environment Admin @ ENVIRONMENT:Prod  [1 step]"));
    let (ok, text, _) = p1graph(&["explain", "--identity", "u-dan"]);
    assert!(ok);
    assert!(
        text.contains("can become: nothing beyond what it holds"),
        "{text}"
    );
    let (ok, mermaid, _) = p1graph(&["explain", "--identity", "u-ana", "--format", "mermaid"]);
    assert!(ok);
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(mermaid.contains("-->|reset password|"));
}

/// (identity_type, identity_id, role_id, scope_type, scope_id) -> steps of a CSV of the
/// escalation export's columns.
fn keyed(csv_text: &str) -> std::collections::BTreeMap<[String; 5], u32> {
    let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            (
                [0, 1, 4, 6, 7].map(|i| r[i].to_string()),
                r[9].parse().unwrap(),
            )
        })
        .collect()
}

/// Runs p1graph with exactly `args`.
fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::cargo_bin("p1graph")
        .expect("binary")
        .env("COLUMNS", "120")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

#[test]
fn who_can_agrees_with_the_escalation_export_for_every_gained_role() {
    // Every gained row of the export appears in `who-can --role R` with the same steps, and
    // every non-zero row of `who-can` without --scope is a gain of the export or reached no
    // later than one.
    let tmp = tempfile::tempdir().unwrap();
    let synth = tmp.path().join("t");
    let (ok, _, err) = run(&[
        "synth",
        "-q",
        "--users",
        "300",
        "--seed",
        "5",
        "--out",
        synth.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    for input in [demo, synth] {
        let input = input.to_str().unwrap();
        let (ok, esc, err) = run(&["escalation", "-q", "--format", "csv", "--input", input]);
        assert!(ok, "{err}");
        let esc = keyed(&esc);
        let roles: std::collections::BTreeSet<String> = esc.keys().map(|k| k[2].clone()).collect();
        assert!(!roles.is_empty());
        for role in roles {
            let (ok, wc, err) = run(&[
                "who-can", "-q", "--format", "csv", "--input", input, "--role", &role,
            ]);
            assert!(ok, "{role}: {err}");
            let wc = keyed(&wc);
            for (k, steps) in esc.iter().filter(|(k, _)| k[2] == role) {
                assert_eq!(wc.get(k), Some(steps), "{input}: {k:?}");
            }
            assert!(wc.keys().all(|k| k[2] == role));
        }
    }
}
