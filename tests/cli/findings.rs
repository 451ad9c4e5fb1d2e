//! `p1graph findings` end to end: the CI gate (`--fail-on`), filters (`--min-severity`, `--rule`),
//! accepted risks (`--exceptions`), `--as-of`, and the three formats, on small exports written
//! here with the crate's own export writer.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use p1graph::export::ExportWriter;
use p1graph::export::manifest::{CollectorRef, ManifestFile, OrganizationRef};
use serde_json::{Value, json};

const ENV: &str = "env-a";

/// What goes into a test export.
#[derive(Default)]
struct Spec {
    /// A privileged admin with `mfaEnabled = false` (admin-without-mfa, high).
    admin_without_mfa: bool,
    /// An enabled web application without access control (open-application, medium).
    open_app: bool,
    /// Two groups nested in each other (nesting-cycle, low).
    cycle: bool,
    /// A privileged admin whose last sign-on was on 2026-09-01 (dormant after 90 days).
    signed_on_in_september: bool,
}

fn write_export(dir: &Path, name: &str, spec: &Spec) -> PathBuf {
    let dest = dir.join(name);
    let mut w = ExportWriter::create(&dest, false).expect("writer");
    let env = |c: &str| format!("environments/{ENV}/{c}");
    w.write(
        "environments",
        &json!({"id": ENV, "name": "Prod", "type": "PRODUCTION", "organization": {"id": "org-1"}}),
    )
    .expect("write");
    w.write(
        "roles",
        &json!({"id": "r-envadmin", "name": "Environment Admin", "type": "PLATFORM",
                "permissions": [{"id": "identity:update:user"}, {"id": "identity:read:user"}]}),
    )
    .expect("write");
    w.write(
        "roles",
        &json!({"id": "r-idro", "name": "Identity Data Read Only", "type": "PLATFORM",
                "permissions": [{"id": "identity:read:user"}]}),
    )
    .expect("write");
    for c in [
        "populations",
        "users",
        "groups",
        "roles",
        "applications",
        "resources",
        "gateways",
        "activities",
        "user_memberships",
        "group_parents",
        "role_assignments",
        "grants",
        "scopes",
    ] {
        w.touch(&env(c)).expect("touch");
    }
    let assign = |w: &mut ExportWriter, id: &str, user: &str| {
        w.write_child(
            &env("role_assignments"),
            "USER",
            user,
            &json!({"id": id, "role": {"id": "r-envadmin"}, "scope": {"id": ENV, "type": "ENVIRONMENT"}}),
        )
        .expect("write");
    };
    if spec.admin_without_mfa {
        w.write(
            &env("users"),
            &json!({"id": "u-nomfa", "username": "nomfa", "enabled": true, "mfaEnabled": false,
                    "lastSignOn": {"at": "2026-10-30T00:00:00Z"}, "createdAt": "2025-01-01T00:00:00Z"}),
        )
        .expect("write");
        assign(&mut w, "ra-1", "u-nomfa");
    }
    if spec.signed_on_in_september {
        w.write(
            &env("users"),
            &json!({"id": "u-sept", "username": "sept", "enabled": true, "mfaEnabled": true,
                    "lastSignOn": {"at": "2026-09-01T00:00:00Z"}, "createdAt": "2025-01-01T00:00:00Z"}),
        )
        .expect("write");
        assign(&mut w, "ra-2", "u-sept");
    }
    if spec.open_app {
        w.write(
            &env("applications"),
            &json!({"id": "app-open", "name": "Wiki", "type": "WEB_APP", "protocol": "OPENID_CONNECT", "enabled": true}),
        )
        .expect("write");
    }
    if spec.cycle {
        for g in ["g-a", "g-b"] {
            w.write(&env("groups"), &json!({"id": g, "name": g}))
                .expect("write");
        }
        w.write_child(&env("group_parents"), "GROUP", "g-a", &json!({"id": "g-b"}))
            .expect("write");
        w.write_child(&env("group_parents"), "GROUP", "g-b", &json!({"id": "g-a"}))
            .expect("write");
    }
    let mut m = ManifestFile::new();
    m.captured_at = Some("2026-11-01T00:00:00Z".into());
    m.region = Some("NA".into());
    m.organization = Some(OrganizationRef {
        id: "org-1".into(),
        name: "Org".into(),
    });
    m.collector = Some(CollectorRef {
        environment_id: ENV.into(),
        client_id: "w-collector".into(),
    });
    w.finish(&m).expect("finish")
}

fn full(dir: &Path) -> PathBuf {
    write_export(
        dir,
        "full",
        &Spec {
            admin_without_mfa: true,
            open_app: true,
            cycle: true,
            ..Spec::default()
        },
    )
}

fn findings(input: &Path, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("p1graph")
        .expect("binary")
        .env("COLUMNS", "120")
        .args(["findings", "-q", "--input"])
        .arg(input)
        .args(extra)
        .output()
        .expect("runs")
}

/// (rule, severity, identity_id, entitlement_id, scope_id) of each CSV row.
fn csv_rows(out: &[u8]) -> Vec<[String; 5]> {
    let mut rd = csv::Reader::from_reader(out);
    let h = rd.headers().expect("header").clone();
    let col = |name: &str| h.iter().position(|x| x == name).expect("column");
    let idx = [
        col("rule"),
        col("severity"),
        col("identity_id"),
        col("entitlement_id"),
        col("scope_id"),
    ];
    rd.records()
        .map(|r| {
            let r = r.expect("row");
            idx.map(|i| r[i].to_string())
        })
        .collect()
}

fn rules_of(out: &[u8]) -> Vec<String> {
    csv_rows(out).into_iter().map(|r| r[0].clone()).collect()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn findings_csv_rows_of_the_full_export() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = full(dir.path());
    let o = findings(&input, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let header = String::from_utf8_lossy(&o.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        header,
        "rule,severity,identity_type,identity_id,identity_name,entitlement_type,entitlement_id,entitlement_name,scope_type,scope_id,scope_name,detail,recommendation"
    );
    let s = |x: [&str; 5]| x.map(str::to_string);
    assert_eq!(
        csv_rows(&o.stdout),
        vec![
            // v2: the user holds the built-in Environment Admin, so the finding is critical.
            s(["admin-without-mfa", "critical", "u-nomfa", "", ""]),
            s(["open-application", "medium", "", "app-open", ENV]),
            s(["nesting-cycle", "low", "", "g-a", ""]),
        ]
    );
}

#[test]
fn findings_fail_on_high_exits_1_only_when_a_high_finding_remains() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = full(dir.path());
    let o = findings(&input, &["--fail-on", "high"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // The rows are still written when the gate fails.
    assert_eq!(rules_of(&o.stdout).len(), 3);

    let lower = write_export(
        dir.path(),
        "lower",
        &Spec {
            open_app: true,
            cycle: true,
            ..Spec::default()
        },
    );
    let o = findings(&lower, &["--fail-on", "high"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        rules_of(&o.stdout),
        vec!["open-application", "nesting-cycle"]
    );
    let o = findings(&lower, &["--fail-on", "medium"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = findings(&lower, &["--fail-on", "low", "--rule", "admin-without-mfa"]);
    assert_eq!(o.status.code(), Some(0), "no finding left: {}", stderr(&o));
}

#[test]
fn findings_min_severity_and_rule_filters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = full(dir.path());
    let o = findings(&input, &["--min-severity", "medium"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        rules_of(&o.stdout),
        vec!["admin-without-mfa", "open-application"]
    );
    let o = findings(&input, &["--rule", "nesting-cycle"]);
    assert_eq!(rules_of(&o.stdout), vec!["nesting-cycle"]);
    let o = findings(
        &input,
        &["--rule", "nesting-cycle", "--rule", "admin-without-mfa"],
    );
    assert_eq!(
        rules_of(&o.stdout),
        vec!["admin-without-mfa", "nesting-cycle"]
    );
    // A filtered-out high finding does not trip the gate.
    let o = findings(&input, &["--rule", "nesting-cycle", "--fail-on", "high"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn findings_unknown_rule_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = full(dir.path());
    let o = findings(&input, &["--rule", "no-such-rule"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("unknown rule") && err.contains("no-such-rule"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "no rows on a usage error");
}

#[test]
fn findings_as_of_moves_the_dormancy_judgement() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_export(
        dir.path(),
        "sept",
        &Spec {
            signed_on_in_september: true,
            ..Spec::default()
        },
    );
    // At capture (2026-11-01) the last sign-on is 61 days old.
    let o = findings(&input, &["--rule", "dormant-admin"]);
    assert_eq!(rules_of(&o.stdout), Vec::<String>::new());
    let o = findings(
        &input,
        &["--rule", "dormant-admin", "--as-of", "2027-01-01T00:00:00Z"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        csv_rows(&o.stdout),
        vec![["dormant-admin", "critical", "u-sept", "", ""].map(str::to_string)]
    );
    let o = findings(&input, &["--rule", "dormant-admin", "--dormant-days", "30"]);
    assert_eq!(rules_of(&o.stdout), vec!["dormant-admin"]);
    let o = findings(&input, &["--as-of", "last tuesday"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

const EXCEPTIONS: &str = r#"
[[exception]]
rule = "admin-without-mfa"
identity = "u-nomfa"
reason = "break-glass account"
owner = "iam@example.com"
expires = "2027-03-31"

[[exception]]
rule = "open-application"
entitlement = "app-open"
reason = "was accepted last year"
owner = "iam@example.com"
expires = "2026-01-01"

[[exception]]
rule = "dormant-admin"
identity = "u-gone"
reason = "left the company"
owner = "iam@example.com"
expires = "2027-03-31"
"#;

#[test]
fn findings_exceptions_suppress_and_report_expired_and_stale() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = full(dir.path());
    let ex = dir.path().join("exceptions.toml");
    std::fs::write(&ex, EXCEPTIONS).expect("write");
    let o = Command::cargo_bin("p1graph")
        .expect("binary")
        .env("COLUMNS", "120")
        .args(["findings", "--input"])
        .arg(&input)
        .arg("--exceptions")
        .arg(&ex)
        .args(["--fail-on", "high"])
        .output()
        .expect("runs");
    let err = stderr(&o);
    // The only high finding is suppressed: the gate passes.
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(
        rules_of(&o.stdout),
        vec!["open-application", "nesting-cycle"],
        "the expired exception no longer suppresses"
    );
    assert!(err.contains("1 finding(s) suppressed"), "{err}");
    assert!(
        err.contains("expired") && err.contains("open-application"),
        "{err}"
    );
    assert!(err.contains("stale") && err.contains("u-gone"), "{err}");
}

#[test]
fn findings_malformed_exceptions_exit_2_naming_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = full(dir.path());
    let ex = dir.path().join("bad.toml");
    std::fs::write(
        &ex,
        "[[exception]]\nrule = \"admin-without-mfa\"\nidentity = \"u-nomfa\"\nreason = \nowner = \"o\"\nexpires = \"2027-01-01\"\n",
    )
    .expect("write");
    let o = findings(&input, &["--exceptions", ex.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("bad.toml") && err.contains("line 4"), "{err}");
}

#[test]
fn findings_json_has_the_rows_of_the_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = full(dir.path());
    let csv_out = findings(&input, &[]);
    let json_out = findings(&input, &["--format", "json"]);
    assert_eq!(json_out.status.code(), Some(0), "{}", stderr(&json_out));
    let v: Value = serde_json::from_slice(&json_out.stdout).expect("valid JSON");
    let arr = v.as_array().expect("a JSON array of findings");
    let from_json: Vec<[String; 5]> = arr
        .iter()
        .map(|f| {
            [
                "rule",
                "severity",
                "identity_id",
                "entitlement_id",
                "scope_id",
            ]
            .map(|k| {
                f.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| panic!("field {k} in {f}"))
                    .to_string()
            })
        })
        .collect();
    assert_eq!(from_json, csv_rows(&csv_out.stdout));
    assert_eq!(from_json.len(), 3);
}

#[test]
fn findings_table_counts_per_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = full(dir.path());
    let o = findings(&input, &["--format", "table"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for rule in ["admin-without-mfa", "open-application", "nesting-cycle"] {
        // The "rules fired" block: severity, rule, count.
        let counted = text.lines().any(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            w.len() == 3 && w[1] == rule && w[2] == "1"
        });
        assert!(counted, "no count line for {rule}:\n{text}");
    }
    assert!(!text.contains("dormant-admin"), "{text}");
}
