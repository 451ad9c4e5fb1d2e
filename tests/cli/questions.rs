//! The reviewer's questions, each one command: who holds X, who can sign on to Y, what does a
//! group grant, what changed, what can X become; answered by name in a table on a terminal and
//! as CSV or JSON when piped. Filters are checked against the full export: a filter keeps whole
//! rows, in the same order, and nothing else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn demo() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/demo")
        .display()
        .to_string()
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::cargo_bin("p1graph").unwrap();
    c.env("COLUMNS", "120").env_remove("NO_COLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    run_env(args, &[])
}

/// CSV text -> records (header first).
fn records(csv: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

fn full_access() -> Vec<Vec<String>> {
    let (code, csv, err) = run(&["access", "-q", "--input", &demo()]);
    assert_eq!(code, 0, "{err}");
    records(&csv)
}

/// `access ARGS` must be exactly the full export's header and the rows `keep` selects.
fn assert_filter(args: &[&str], keep: impl Fn(&[String], &[String]) -> bool) -> usize {
    let full = full_access();
    let header = full[0].clone();
    let expected: Vec<Vec<String>> = std::iter::once(header.clone())
        .chain(full[1..].iter().filter(|r| keep(&header, r)).cloned())
        .collect();
    let mut all = vec!["access", "-q", "--input"];
    let d = demo();
    all.push(&d);
    all.extend_from_slice(args);
    let (code, csv, err) = run(&all);
    assert_eq!(code, 0, "{args:?}: {err}");
    let got = records(&csv);
    if got != expected {
        let at = got.iter().zip(&expected).position(|(a, b)| a != b);
        panic!(
            "access {args:?}: {} rows, expected {}; first difference at {at:?}: {:?} vs {:?}",
            got.len(),
            expected.len(),
            at.map(|i| &got[i]),
            at.map(|i| &expected[i])
        );
    }
    got.len() - 1
}

#[test]
fn access_filters_keep_whole_rows_of_the_full_export_in_order() {
    let full = full_access();
    let h = &full[0];
    let (ename, eid, etype) = (
        column(h, "entitlement_name"),
        column(h, "entitlement_id"),
        column(h, "entitlement_type"),
    );
    let org_admin: Vec<&String> = full[1..]
        .iter()
        .filter(|r| r[ename] == "Organization Admin")
        .map(|r| &r[eid])
        .collect();
    assert!(!org_admin.is_empty());
    let org_admin = org_admin[0].clone();

    // "Who holds Organization Admin?" by name, case-insensitively.
    let n = assert_filter(&["--entitlement", "organization admin"], |h, r| {
        r[column(h, "entitlement_id")] == org_admin
    });
    assert_eq!(n, 2);
    // "Who can sign on to Patient Portal?"
    let n = assert_filter(&["--entitlement", "Patient Portal"], |h, r| {
        r[column(h, "entitlement_type")] == "APPLICATION"
            && r[column(h, "entitlement_name")] == "Patient Portal"
    });
    assert!(n > 10, "{n}");
    // By id, the same rows.
    assert_filter(&["--entitlement", &org_admin], |h, r| {
        r[column(h, "entitlement_id")] == org_admin
    });
    // Kinds, one identity, one environment, and together.
    assert_filter(&["--type", "ROLE"], |h, r| {
        r[column(h, "entitlement_type")] == "ROLE"
    });
    assert_filter(&["--type", "SCOPE,APPLICATION"], |_, r| r[etype] != "ROLE");
    assert_filter(&["--identity", "ana.silva"], |h, r| {
        r[column(h, "identity_name")] == "ana.silva@northwindhealth.example"
    });
    let prod = full[1..]
        .iter()
        .find(|r| {
            r[column(h, "scope_name")] == "Prod" && r[column(h, "scope_type")] == "ENVIRONMENT"
        })
        .map(|r| r[column(h, "scope_id")].clone())
        .unwrap();
    let n = assert_filter(&["--environment", "prod", "--type", "ROLE"], |h, r| {
        r[column(h, "environment_id")] == prod && r[column(h, "entitlement_type")] == "ROLE"
    });
    assert!(n > 0);
}

#[test]
fn a_group_as_target_lists_what_its_members_get_through_it() {
    let full = full_access();
    let (code, csv, err) = run(&[
        "access",
        "-q",
        "--input",
        &demo(),
        "--entitlement",
        "group:Platform Admins",
    ]);
    assert_eq!(code, 0, "{err}");
    let got = records(&csv);
    assert!(got.len() > 1, "{csv}");
    for r in &got[1..] {
        assert!(full.contains(r), "{r:?} is not a row of the full export");
    }
    let h = &got[0];
    assert!(got[1..].iter().any(|r| {
        r[column(h, "identity_name")] == "sam.okafor@northwindhealth.example"
            && r[column(h, "entitlement_name")] == "Environment Admin"
    }));
    // The explanation of the group: its grants, then its members' rows.
    let (code, text, err) = run(&[
        "explain",
        "-q",
        "--input",
        &demo(),
        "--entitlement",
        "group:Platform Admins",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("grants (1):"), "{text}");
    insta::assert_snapshot!("explain_group_platform_admins", text);
}

#[test]
fn explain_by_entitlement_lists_every_holder_with_the_path() {
    let (code, text, err) = run(&[
        "explain",
        "-q",
        "--input",
        &demo(),
        "--entitlement",
        "Organization Admin",
    ]);
    assert_eq!(code, 0, "{err}");
    // The hint names the input as given: not pinned, the checkout's path varies.
    let text = text.replace(&demo(), "[DEMO]");
    insta::assert_snapshot!("explain_holders_organization_admin", text);
    // As CSV it is the access export's rows for that entitlement.
    let (_, csv, _) = run(&[
        "explain",
        "-q",
        "--input",
        &demo(),
        "--entitlement",
        "Organization Admin",
        "--format",
        "csv",
    ]);
    let (_, filtered, _) = run(&[
        "access",
        "-q",
        "--input",
        &demo(),
        "--entitlement",
        "Organization Admin",
    ]);
    assert_eq!(csv, filtered);
    assert_eq!(records(&csv).len(), 3);
}

#[test]
fn lookups_suggest_and_disambiguate() {
    // A custom role named like a built-in one: both listed, told apart.
    let (code, _, err) = run(&[
        "access",
        "-q",
        "--input",
        &demo(),
        "--entitlement",
        "Environment Admin",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("matches 2 entitlements"), "{err}");
    assert!(
        err.contains("built-in") && err.contains("custom, environment Administrators"),
        "{err}"
    );
    // The kind prefix and the id settle it; so does the identity that holds one of them.
    let (code, _, err) = run(&[
        "explain",
        "-q",
        "--input",
        &demo(),
        "--identity",
        "CI Deployer",
        "--entitlement",
        "Environment Admin",
    ]);
    assert_eq!(code, 0, "{err}");
    // Did you mean.
    let (code, _, err) = run(&[
        "explain",
        "-q",
        "--input",
        &demo(),
        "--identity",
        "anna.silva",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean: ana.silva"), "{err}");
    let (code, _, err) = run(&["access", "-q", "--input", &demo(), "--environment", "Prdo"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no environment matches `Prdo`") && err.contains("did you mean: Prod"),
        "{err}"
    );
    let explain = |identity: &str, entitlement: &str| {
        run(&[
            "explain",
            "-q",
            "--input",
            &demo(),
            "--identity",
            identity,
            "--entitlement",
            entitlement,
        ])
    };
    // An application of another environment is explained, not "not found".
    let (code, text, err) = explain(
        "valentina.ruiz@sandbox.northwindhealth.example",
        "application:Patient Portal",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("an application gives access only to users of its own environment"),
        "{text}"
    );
    // A worker application of the user's own environment is explained as one (it is an
    // identity, never signed on to), not as "no rule grants it".
    let (code, text, err) = explain("rachel.green", "application:Reporting Worker");
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("DENIED")
            && text.contains("a worker application is not signed on to by users"),
        "{text}"
    );
    // A disabled user is said to be one, with what enabling it gives back.
    let (_, text, _) = run(&[
        "explain",
        "-q",
        "--input",
        &demo(),
        "--identity",
        "fatima.zahra",
    ]);
    assert!(text.contains("note: this user is disabled"), "{text}");
    assert!(text.contains("disabled-with-privilege"), "{text}");
}

fn synth(dir: &Path, users: &str) -> String {
    let out = dir.join("tenant");
    let (code, _, err) = run(&[
        "synth",
        "-q",
        "--users",
        users,
        "--seed",
        "11",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    out.display().to_string()
}

#[test]
fn the_findings_table_shows_every_rule_that_fired_worst_first() {
    let dir = tempfile::tempdir().unwrap();
    let input = synth(dir.path(), "3000");
    let (_, csv, _) = run(&["findings", "-q", "--input", &input]);
    let rows = records(&csv);
    let rule = column(&rows[0], "rule");
    let fired: std::collections::BTreeSet<&str> =
        rows[1..].iter().map(|r| r[rule].as_str()).collect();
    assert!(fired.len() >= 5, "{fired:?}");
    let (code, table, err) = run(&["findings", "-q", "--input", &input, "--format", "table"]);
    assert_eq!(code, 0, "{err}");
    // Every rule in the rules block, and at least one row of every rule in the ranked rows.
    // Paragraphs: the counts line, the rules block, the ranked rows, the footer.
    let parts: Vec<&str> = table.split("\n\n").collect();
    assert!(parts.len() >= 3, "{table}");
    let (block, ranked) = (parts[1], parts[2]);
    for r in &fired {
        assert!(block.contains(r), "{r} not in the rules block:\n{table}");
        assert!(
            ranked
                .lines()
                .any(|l| l.split_whitespace().nth(1) == Some(r)),
            "no row of {r}:\n{table}"
        );
    }
    // Worst first: over the head (a few findings of every rule), severities never go back up.
    let mut per_rule: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let sev = column(&rows[0], "severity");
    for r in &rows[1..] {
        *per_rule
            .entry((r[sev].as_str(), r[rule].as_str()))
            .or_default() += 1;
    }
    let head: usize = per_rule.values().map(|&n| n.min(3)).sum();
    let order = ["critical", "high", "medium", "low", "info"];
    let ranks: Vec<usize> = ranked
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|w| order.iter().position(|o| *o == w))
        .take(head)
        .collect();
    assert_eq!(
        ranks.len(),
        head,
        "the default table shows the whole head:\n{table}"
    );
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{table}");
    // --all shows every finding, --limit caps.
    let (_, all, _) = run(&[
        "findings", "-q", "--input", &input, "--format", "table", "--all",
    ]);
    assert!(
        all.contains(&format!("showing all {}", rows.len() - 1)),
        "{all}"
    );
    let (_, few, _) = run(&[
        "findings", "-q", "--input", &input, "--format", "table", "--limit", "4",
    ]);
    assert!(
        few.contains(&format!("showing 4 of {}", rows.len() - 1)),
        "{few}"
    );
}

#[test]
fn findings_by_identity_rolls_up_the_export() {
    let (_, csv, _) = run(&["findings", "-q", "--input", &demo()]);
    let rows = records(&csv);
    let h = &rows[0];
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows[1..] {
        if !r[column(h, "identity_id")].is_empty() {
            *expected
                .entry(r[column(h, "identity_id")].clone())
                .or_default() += 1;
        }
    }
    let (code, by, err) = run(&["findings", "-q", "--input", &demo(), "--by", "identity"]);
    assert_eq!(code, 0, "{err}");
    let by = records(&by);
    let bh = &by[0];
    let got: BTreeMap<String, usize> = by[1..]
        .iter()
        .map(|r| {
            (
                r[column(bh, "identity_id")].clone(),
                r[column(bh, "findings")].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    // Worst first.
    assert_eq!(by[1][column(bh, "worst")], "critical");
    let (_, table, _) = run(&[
        "findings",
        "-q",
        "--input",
        &demo(),
        "--by",
        "identity",
        "--format",
        "table",
    ]);
    insta::assert_snapshot!("findings_by_identity_table", table);
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let args = ["findings", "-q", "--input", &demo(), "--format", "table"];
    let with = |extra: &[&str], env: &[(&str, &str)]| {
        let mut a = args.to_vec();
        a.extend_from_slice(extra);
        run_env(&a, env).1
    };
    assert!(with(&["--color", "always"], &[]).contains("\u{1b}["));
    assert!(!with(&["--color", "never"], &[]).contains("\u{1b}["));
    // Piped, auto means none; NO_COLOR never adds any.
    assert!(!with(&[], &[]).contains("\u{1b}["));
    assert!(!with(&["--color", "auto"], &[("NO_COLOR", "1")]).contains("\u{1b}["));
}

#[test]
fn json_everywhere_a_program_may_ask() {
    let parse = |args: &[&str]| -> Value {
        let (code, out, err) = run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
    };
    let s = parse(&["summary", "-q", "--input", &demo(), "--format", "json"]);
    assert_eq!(s["users"], 62);
    assert_eq!(
        s["organization"].as_str().unwrap().split(' ').next(),
        Some("Northwind")
    );
    let r = parse(&["rules", "--format", "json"]);
    let ids: Vec<&str> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"privilege-escalation") && ids.len() >= 13,
        "{ids:?}"
    );
    let e = parse(&[
        "explain",
        "-q",
        "--input",
        &demo(),
        "--identity",
        "ana.silva",
        "--format",
        "json",
    ]);
    assert_eq!(e["identity_type"], "USER");
    assert_eq!(e["entries"][0]["kind"], "ROLE");
    assert!(
        e["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "broad-scope-role")
    );
    assert!(!e["can_become"].as_array().unwrap().is_empty());
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("demo.p1g");
    let (code, _, err) = run(&[
        "snapshot",
        "create",
        "-q",
        "--input",
        &demo(),
        "--out",
        snap.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let i = parse(&[
        "snapshot",
        "info",
        snap.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(i["counts"]["users"], 62);
    assert!(
        i["sections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["checksum"] == "ok")
    );
}

fn sha256_file(p: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(p).unwrap();
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn analyze_records_provenance_and_gates() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("demo.p1g");
    run(&[
        "snapshot",
        "create",
        "-q",
        "--input",
        &demo(),
        "--out",
        snap.to_str().unwrap(),
    ]);
    let analyze = |out: &std::path::Path| {
        run(&[
            "analyze",
            "-q",
            "--input",
            snap.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--min-severity",
            "high",
            "--fail-on",
            "critical",
            "--dormant-days",
            "30",
        ])
    };
    let out = dir.path().join("report");
    let (code, text, err) = analyze(&out);
    assert_eq!(code, 1, "critical findings fail the gate: {err}");
    assert!(err.contains("failing (--fail-on critical)"), "{err}");
    // The terminal leads with the top findings, then says what to run next.
    assert!(text.starts_with("top findings (5 of "), "{text}");
    assert!(text.contains("next:\n  p1graph findings --input"), "{text}");
    let findings = records(&std::fs::read_to_string(out.join("findings.csv")).unwrap());
    let sev = column(&findings[0], "severity");
    assert!(
        findings[1..]
            .iter()
            .all(|r| r[sev] == "critical" || r[sev] == "high")
    );
    let s: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["input"]["sha256"], sha256_file(&snap));
    assert_eq!(s["input"]["kind"], "snapshot");
    assert_eq!(s["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(s["access_model_version"], 2);
    assert_eq!(s["thresholds"]["dormant_days"], 30);
    assert_eq!(s["thresholds"]["min_severity"], "high");
    assert_eq!(s["counts"]["findings"], findings.len() - 1);
    assert_eq!(s["captured_at"], "2026-11-01T00:00:00Z");
    assert_eq!(s["coverage_gaps"].as_array().unwrap().len(), 1);
    // Same input, same summary.json.
    let again = dir.path().join("again");
    analyze(&again);
    assert_eq!(
        std::fs::read(out.join("summary.json")).unwrap(),
        std::fs::read(again.join("summary.json")).unwrap()
    );
}

#[test]
fn diff_leaves_out_what_did_not_change_and_gates() {
    let (code, csv, err) = run(&["diff", "-q", &demo(), &demo(), "--fail-on", "info"]);
    assert_eq!(code, 0, "no change passes any gate: {err}");
    assert_eq!(records(&csv).len(), 1, "only the header: {csv}");
    let (_, csv, _) = run(&["diff", "-q", &demo(), &demo(), "--include-unchanged"]);
    let rows = records(&csv);
    assert!(rows.len() > 30);
    assert!(rows[1..].iter().all(|r| r[1] == "unchanged"));
    // Another tenant: everything is new, and the gate fails, saying on what.
    let dir = tempfile::tempdir().unwrap();
    let other = synth(dir.path(), "300");
    let (code, _, err) = run(&[
        "diff",
        "-q",
        &demo(),
        &other,
        "--force",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("failing (--fail-on critical)"), "{err}");
}
