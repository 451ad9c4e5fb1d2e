//! Access model v2, M10 and M8: a collection nobody collected is a coverage gap, never "none".

use std::path::Path;

use assert_cmd::Command;

use crate::support::{copy_dir, observed_demo};

const PROD: &str = "409b05a7-ecd9-567d-a431-435d62902eb4";
const SANDBOX: &str = "0264e7e7-5ac8-5ac5-87df-603dc385a343";

/// Runs p1graph with `args` then `input`; returns (exit code, stdout, stderr).
fn run(args: &[&str], input: &Path) -> (i32, String, String) {
    let input = input.to_str().unwrap();
    crate::support::run(&[args, &[input]].concat())
}

/// (rule, entitlement_id) of every finding.
fn findings(input: &Path) -> Vec<(String, String)> {
    let (code, csv, err) = run(&["findings", "--format", "csv", "--input"], input);
    assert_eq!(code, 0, "{err}");
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    let h = rd.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (rule, ent) = (col("rule"), col("entitlement_id"));
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            (r[rule].to_string(), r[ent].to_string())
        })
        .collect()
}

fn gaps(f: &[(String, String)]) -> Vec<&str> {
    f.iter()
        .filter(|x| x.0 == "coverage-gap")
        .map(|x| x.1.as_str())
        .collect()
}

#[test]
fn the_demo_reports_its_denied_sandbox_activities_and_claims_no_disuse() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let f = findings(&demo);
    assert_eq!(gaps(&f), vec![format!("environments/{SANDBOX}/activities")]);
    assert!(!f.iter().any(|x| x.0 == "unused-admin-role"), "{f:?}");
    let (_, _, err) = run(&["findings", "--format", "csv", "--input"], &demo);
    assert!(
        err.contains(&format!(
            "warning: not collected: environments/{SANDBOX}/activities (denied"
        )),
        "{err}"
    );
    let (_, summary, _) = run(&["summary", "-q", "--input"], &demo);
    assert!(summary.contains("coverage gaps"), "{summary}");
    assert!(
        summary.contains(&format!(
            "1 not collected: environments/{SANDBOX}/activities (denied)"
        )),
        "{summary}"
    );
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("access model") && l.ends_with("version 2")),
        "{summary}"
    );
}

#[test]
fn a_removed_activities_file_is_a_gap_and_silences_unused_admin_role() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = observed_demo(tmp.path());
    let baseline = findings(&demo);
    assert_eq!(gaps(&baseline), Vec::<&str>::new());
    // The observed demo does call some roles unused: the check below can fail.
    assert!(baseline.iter().any(|x| x.0 == "unused-admin-role"));
    std::fs::remove_file(demo.join(format!("environments/{PROD}/activities.jsonl"))).unwrap();
    let f = findings(&demo);
    assert_eq!(gaps(&f), vec![format!("environments/{PROD}/activities")]);
    assert!(!f.iter().any(|x| x.0 == "unused-admin-role"), "{f:?}");
}

#[test]
fn every_missing_collection_file_gives_exactly_its_own_gap() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = observed_demo(tmp.path());
    let stems = [
        "activities",
        "applications",
        "gateways",
        "grants",
        "group_parents",
        "groups",
        "populations",
        "resources",
        "role_assignments",
        "roles",
        "scopes",
        "user_memberships",
        "users",
    ];
    for stem in stems {
        let case = tmp.path().join(format!("case-{stem}"));
        copy_dir(&demo, &case);
        std::fs::remove_file(case.join(format!("environments/{PROD}/{stem}.jsonl"))).unwrap();
        let f = findings(&case);
        assert_eq!(
            gaps(&f),
            vec![format!("environments/{PROD}/{stem}")],
            "{stem}"
        );
    }
    // The organization-wide roles file too.
    let case = tmp.path().join("case-top-roles");
    copy_dir(&demo, &case);
    std::fs::remove_file(case.join("roles.jsonl")).unwrap();
    assert_eq!(gaps(&findings(&case)), vec!["roles"]);
}

#[test]
fn a_listed_environment_without_a_directory_misses_every_collection() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = observed_demo(tmp.path());
    std::fs::remove_dir_all(demo.join(format!("environments/{SANDBOX}"))).unwrap();
    let f = findings(&demo);
    let g = gaps(&f);
    assert_eq!(g.len(), 13, "{g:?}");
    assert!(
        g.iter()
            .all(|x| x.starts_with(&format!("environments/{SANDBOX}/")))
    );
    assert!(!f.iter().any(|x| x.0 == "unused-admin-role"));
}

#[test]
fn a_snapshot_keeps_the_coverage_it_was_made_from() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = observed_demo(tmp.path());
    std::fs::remove_file(demo.join(format!("environments/{PROD}/role_assignments.jsonl"))).unwrap();
    let snap = tmp.path().join("s.p1g");
    let out = Command::cargo_bin("p1graph")
        .unwrap()
        .env("COLUMNS", "120")
        .args(["snapshot", "create", "-q", "--input"])
        .arg(&demo)
        .arg("--out")
        .arg(&snap)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(findings(&snap), findings(&demo));
    assert_eq!(
        gaps(&findings(&snap)),
        vec![format!("environments/{PROD}/role_assignments")]
    );
}

#[test]
fn an_ingest_writes_every_collection_so_the_reader_sees_no_false_gap() {
    use crate::support::mock_pingone::{MockOptions, MockPingOne};
    let mini = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/data/mini");
    let mock = MockPingOne::start(&mini, MockOptions::default());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    let o = std::process::Command::new(assert_cmd::cargo::cargo_bin("p1graph"))
        .env("COLUMNS", "120")
        .env_remove("P1GRAPH_API_URL")
        .env_remove("P1GRAPH_AUTH_URL")
        .env("P1GRAPH_CLIENT_SECRET", mock.secret())
        .args([
            "ingest",
            "-q",
            "--environment-id",
            "a10aa5ea-7cba-5171-860d-5f97ef6805dc",
        ])
        .args(["--client-id", mock.client_id()])
        .arg("--out")
        .arg(&out)
        .args(["--api-url", &mock.api_url(), "--auth-url", &mock.auth_url()])
        .args(["--retry-base-ms", "20", "--max-rps", "500"])
        .args([
            "--activities-since",
            "2026-11-01T00:00:00Z",
            "--activity-window-hours",
            "240",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The same gaps as the source export: the reader, the snapshot and the ingest agree.
    let source = findings(&mini);
    let ingested = findings(&out);
    assert_eq!(gaps(&ingested), gaps(&source));
    let envs = std::fs::read_dir(out.join("environments")).unwrap().count();
    assert!(envs >= 2);
    for e in std::fs::read_dir(out.join("environments")).unwrap() {
        let dir = e.unwrap().path();
        let n = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(n, 13, "{}", dir.display());
    }
}
