//! `p1graph ingest` against the mock PingOne: paging, retries, tokens, coverage gaps, secrecy,
//! and a round trip (export -> mock -> ingest -> export) compared by PingOne ids.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use p1graph::model::Tenant;
use serde_json::Value;

use crate::support::mock_pingone::{AuthMethod, Fault, MockOptions, MockPingOne};

const ADMIN_ENV: &str = "a10aa5ea-7cba-5171-860d-5f97ef6805dc";
const PROD_ENV: &str = "82297299-7726-57b4-9d76-d6cc42861095";

/// `p1graph access -q --input PATH`: the CSV bytes.
fn access_export(input: &Path) -> Vec<u8> {
    let o = std::process::Command::new(assert_cmd::cargo::cargo_bin("p1graph"))
        .env("COLUMNS", "120")
        .args(["access", "-q", "--input"])
        .arg(input)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

/// The mini tenant served with one fault.
fn mock_with(fault: Fault) -> MockPingOne {
    MockPingOne::start(
        &mini(),
        MockOptions {
            faults: vec![fault],
            ..Default::default()
        },
    )
}

fn mini() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/data/mini")
}

fn cmd(mock: &MockPingOne, out: &Path) -> Command {
    Command::from_std(std_cmd(mock, out))
}

/// `p1graph ingest` against the mock: the worker in `env`, the secret in the environment, the
/// mock's hosts, everything else left to the caller.
fn ingest_cmd(mock: &MockPingOne, env: &str, out: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("p1graph"));
    c.env_remove("P1GRAPH_API_URL")
        .env_remove("P1GRAPH_AUTH_URL")
        .env_remove("P1GRAPH_TIMEOUT")
        .env("P1GRAPH_CLIENT_SECRET", mock.secret())
        .args([
            "ingest",
            "--environment-id",
            env,
            "--client-id",
            mock.client_id(),
        ])
        .arg("--out")
        .arg(out)
        .args(["--api-url", &mock.api_url(), "--auth-url", &mock.auth_url()]);
    c
}

/// The mini tenant's ingest: fast retries, a high rate, its activity period.
fn std_cmd(mock: &MockPingOne, out: &Path) -> std::process::Command {
    let mut c = ingest_cmd(mock, ADMIN_ENV, out);
    c.args([
        "--retry-base-ms",
        "20",
        "--max-rps",
        "500",
        "--concurrency",
        "4",
    ])
    .args([
        "--activities-since",
        "2026-11-01T00:00:00Z",
        "--activity-window-hours",
        "240",
    ]);
    c
}

fn run_ok(mock: &MockPingOne, out: &Path) -> String {
    let o = cmd(mock, out).output().expect("run");
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "ingest failed: {stderr}");
    stderr
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
        .expect("json")
}

/// The tenant as sets of PingOne ids and the facts the engine reads, independent of dense ids.
#[derive(Debug, PartialEq, Eq)]
struct Facts {
    environments: BTreeSet<String>,
    populations: BTreeSet<String>,
    users: BTreeSet<String>,
    groups: BTreeSet<String>,
    memberships: BTreeSet<String>,
    nestings: BTreeSet<String>,
    roles: BTreeSet<String>,
    assignments: BTreeSet<String>,
    applications: BTreeSet<String>,
    resources: BTreeSet<String>,
    scopes: BTreeSet<String>,
    grants: BTreeSet<String>,
    gateways: BTreeSet<String>,
}

fn facts(t: &Tenant) -> Facts {
    let s = |x| t.s(x).to_string();
    Facts {
        environments: t
            .environments
            .iter()
            .map(|e| format!("{} {}", s(e.id), s(e.name)))
            .collect(),
        populations: t
            .populations
            .iter()
            .map(|p| format!("{} {}", s(p.id), s(p.name)))
            .collect(),
        users: t
            .users
            .iter()
            .map(|u| format!("{} {} {} {}", s(u.id), s(u.username), u.enabled, u.locked))
            .collect(),
        groups: t
            .groups
            .iter()
            .map(|g| format!("{} {} {}", s(g.id), s(g.name), s(g.user_filter)))
            .collect(),
        memberships: t
            .memberships
            .iter()
            .map(|m| {
                format!(
                    "{} in {}",
                    s(t.users[m.user.idx()].id),
                    s(t.groups[m.group.idx()].id)
                )
            })
            .collect(),
        nestings: t
            .nestings
            .iter()
            .map(|n| {
                format!(
                    "{} in {}",
                    s(t.groups[n.child.idx()].id),
                    s(t.groups[n.parent.idx()].id)
                )
            })
            .collect(),
        roles: t
            .roles
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} {}",
                    s(r.id),
                    s(r.name),
                    r.builtin,
                    r.permissions.len()
                )
            })
            .collect(),
        assignments: t
            .assignments
            .iter()
            .map(|a| {
                format!(
                    "{} {:?} {} {} {:?} {}",
                    s(a.id),
                    a.subject.kind,
                    s(a.subject.id),
                    s(a.role_id),
                    a.scope.kind,
                    s(a.scope.id)
                )
            })
            .collect(),
        applications: t
            .applications
            .iter()
            .map(|a| format!("{} {} {} {}", s(a.id), s(a.name), s(a.kind), a.enabled))
            .collect(),
        resources: t
            .resources
            .iter()
            .map(|r| format!("{} {}", s(r.id), s(r.name)))
            .collect(),
        scopes: t
            .scopes
            .iter()
            .map(|x| format!("{} {} {}", s(x.id), s(x.name), s(x.resource)))
            .collect(),
        grants: t
            .grants
            .iter()
            .map(|g| {
                format!(
                    "{} {} {} {}",
                    s(g.id),
                    s(g.application),
                    s(g.resource),
                    g.scopes.len()
                )
            })
            .collect(),
        gateways: t
            .gateways
            .iter()
            .map(|g| format!("{} {}", s(g.id), s(g.name)))
            .collect(),
    }
}

fn assert_equivalent(out: &Path) {
    let a = p1graph::export::read_export(&mini()).expect("read mini");
    let b = p1graph::export::read_export(out).expect("read ingested");
    let (fa, fb) = (facts(&a), facts(&b));
    assert!(!fa.memberships.is_empty() && !fa.nestings.is_empty() && !fa.assignments.is_empty());
    assert_eq!(fa, fb);
    assert_eq!(
        b.organization.name,
        b.strings.get("Acme Corp").unwrap_or_default()
    );
}

fn activity_ids(dir: &Path) -> BTreeSet<String> {
    [ADMIN_ENV, PROD_ENV]
        .iter()
        .flat_map(|e| lines(&dir.join(format!("environments/{e}/activities.jsonl"))))
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn round_trip_pages_every_collection_to_the_end() {
    let mock = MockPingOne::start(
        &mini(),
        MockOptions {
            max_page: 2,
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    run_ok(&mock, &out);
    assert_equivalent(&out);
    assert_eq!(activity_ids(&out), activity_ids(&mini()));
    // Users carried memberOfGroupIDs, so no per-group member listing was needed.
    assert!(
        mock.log()
            .iter()
            .all(|l| !l.query.contains("memberOfGroups"))
    );
    // 7 production users at 2 per page: exactly 4 pages, no request past the last page.
    assert_eq!(mock.count(&format!("/environments/{PROD_ENV}/users")), 4);
    assert_eq!(mock.count(&format!("/environments/{ADMIN_ENV}/users")), 2);
    let m = manifest(&out);
    assert_eq!(m["collector"]["clientId"], mock.client_id());
    assert_eq!(m["collector"]["environmentId"], ADMIN_ENV);
    assert_eq!(m["organization"]["name"], "Acme Corp");
    assert_eq!(m["coverage"], serde_json::json!([]));
    assert_eq!(m["activities"]["from"], "2026-11-01T00:00:00Z");
}

#[test]
fn without_member_ids_memberships_come_from_group_filters() {
    let mock = MockPingOne::start(
        &mini(),
        MockOptions {
            include_member_ids: false,
            nesting_key: "groups",
            omit_empty_embedded: true,
            max_page: 3,
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    run_ok(&mock, &out);
    assert_equivalent(&out);
    let filtered = mock
        .log()
        .iter()
        .filter(|l| l.query.contains("memberOfGroups"))
        .count();
    assert_eq!(filtered, 9, "one member listing per group (2 + 7 groups)");
    // Objects are stored unchanged.
    let src = lines(&mini().join(format!("environments/{PROD_ENV}/users.jsonl")));
    let got = lines(&out.join(format!("environments/{PROD_ENV}/users.jsonl")));
    assert_eq!(src, got);
}

#[test]
fn next_links_that_drop_include_get_it_back() {
    let mock = MockPingOne::start(
        &mini(),
        MockOptions {
            max_page: 2,
            faults: vec![Fault::DropIncludeInNext],
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    run_ok(&mock, &out);
    let users: Vec<_> = mock
        .log()
        .into_iter()
        .filter(|l| l.path.ends_with("/users"))
        .collect();
    assert!(users.len() >= 4);
    assert!(
        users
            .iter()
            .all(|l| l.query.contains("include=memberOfGroupIDs"))
    );
    assert_equivalent(&out);
}

#[test]
fn failure_on_page_three_leaves_no_output_but_the_work_area() {
    let mock = MockPingOne::start(
        &mini(),
        MockOptions {
            max_page: 2,
            faults: vec![Fault::FailOnPage {
                path_suffix: format!("{PROD_ENV}/users"),
                page: 3,
            }],
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    let o = cmd(&mock, &out).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("HTTP 500") && stderr.contains("collected"),
        "{stderr}"
    );
    assert!(!out.exists());
    assert_only_the_work_area(tmp.path(), &stderr);
    // Pages 1 and 2 were read, page 3 failed, nothing after it.
    assert_eq!(mock.count(&format!("/environments/{PROD_ENV}/users")), 3);
}

#[test]
fn malformed_body_is_an_error_without_output() {
    let mock = mock_with(Fault::Malformed {
        path_suffix: "/groups".into(),
        times: 1,
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    let o = cmd(&mock, &out).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not the expected JSON"));
    assert!(!out.exists());
}

#[test]
fn retries_honour_retry_after_and_503_bursts() {
    let mock = MockPingOne::start(
        &mini(),
        MockOptions {
            faults: vec![
                Fault::Status {
                    path_suffix: format!("{ADMIN_ENV}/groups"),
                    status: 429,
                    times: Some(2),
                    retry_after: Some(1),
                },
                Fault::Status {
                    path_suffix: "/applications".into(),
                    status: 503,
                    times: Some(3),
                    retry_after: None,
                },
                Fault::Slow {
                    path_suffix: "/resources".into(),
                    millis: 50,
                },
            ],
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    run_ok(&mock, &out);
    assert_equivalent(&out);
    let log = mock.log();
    let groups: Vec<_> = log
        .iter()
        .filter(|l| l.path.ends_with(&format!("{ADMIN_ENV}/groups")))
        .collect();
    assert_eq!(
        groups.iter().map(|l| l.status).collect::<Vec<_>>(),
        vec![429, 429, 200]
    );
    assert_eq!(log.iter().filter(|l| l.status == 503).count(), 3);
}

#[test]
fn retry_after_delays_the_retry() {
    let mock = mock_with(Fault::Status {
        path_suffix: "/environments".into(),
        status: 429,
        times: Some(1),
        retry_after: Some(1),
    });
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    run_ok(&mock, &tmp.path().join("export"));
    // A lower bound only: the client must have waited the second the server asked for.
    assert!(started.elapsed().as_millis() >= 1000);
    assert_eq!(mock.count("/v1/environments"), 2);
}

#[test]
fn expired_and_revoked_tokens_are_refreshed() {
    let mock = MockPingOne::start(
        &mini(),
        MockOptions {
            token_ttl_secs: 2,
            revoke_tokens_after: Some(5),
            faults: vec![Fault::Slow {
                path_suffix: "/populations".into(),
                millis: 1200,
            }],
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    run_ok(&mock, &out);
    assert_equivalent(&out);
    assert!(
        mock.token_requests().len() >= 3,
        "initial, after revocation, after expiry"
    );
    assert!(
        mock.log()
            .iter()
            .any(|l| l.status == 401 && !l.path.ends_with("/as/token"))
    );
}

#[test]
fn basic_falls_back_to_post_once() {
    let mock = MockPingOne::start(
        &mini(),
        MockOptions {
            auth_method: AuthMethod::Post,
            revoke_tokens_after: Some(10),
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    run_ok(&mock, &tmp.path().join("export"));
    let methods: Vec<String> = mock
        .token_requests()
        .into_iter()
        .filter_map(|l| l.auth)
        .collect();
    assert_eq!(methods[..2], ["basic".to_string(), "post".to_string()]);
    assert!(methods.len() >= 3, "a refresh happened: {methods:?}");
    assert!(
        methods[2..].iter().all(|m| m == "post"),
        "the working method is remembered: {methods:?}"
    );
}

#[test]
fn denied_collections_are_coverage_gaps() {
    let mock = MockPingOne::start(
        &mini(),
        MockOptions {
            faults: vec![Fault::deny("/activities"), Fault::deny("/grants")],
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    let stderr = run_ok(&mock, &out);
    let m = manifest(&out);
    let cov: Vec<(String, String, String)> = m["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["collection"].as_str().unwrap().into(),
                c["status"].as_str().unwrap().into(),
                c["detail"].as_str().unwrap().into(),
            )
        })
        .collect();
    for env in [ADMIN_ENV, PROD_ENV] {
        let want = (
            format!("environments/{env}/activities"),
            "denied".to_string(),
            "403 INSUFFICIENT_PERMISSIONS".to_string(),
        );
        assert!(cov.contains(&want), "{cov:?}");
        assert!(
            !out.join(format!("environments/{env}/activities.jsonl"))
                .exists()
        );
        assert!(
            !out.join(format!("environments/{env}/grants.jsonl"))
                .exists()
        );
        assert!(
            cov.iter()
                .any(|c| c.0 == format!("environments/{env}/grants") && c.1 == "denied")
        );
    }
    assert!(stderr.contains("not collected completely"));
    // Denied per-subject collections are probed with one request, not one per subject.
    assert_eq!(mock.count("/grants"), 2);
    // The rest is intact.
    let t = p1graph::export::read_export(&out).unwrap();
    assert_eq!(t.users.len(), 10);
    assert_eq!(t.manifest.coverage.len(), 4);
}

#[test]
fn no_users_anywhere_warns_about_the_missing_role() {
    let mock = MockPingOne::start(
        &mini(),
        MockOptions {
            faults: vec![Fault::deny("/users")],
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let stderr = run_ok(&mock, &tmp.path().join("export"));
    assert!(stderr.contains("Identity Data Read Only"), "{stderr}");
}

#[test]
fn the_secret_never_appears_in_output() {
    let tmp = tempfile::tempdir().unwrap();
    // A 401 on the token: the secret is wrong (and the server wants POST).
    let mock = MockPingOne::start(
        &mini(),
        MockOptions {
            auth_method: AuthMethod::Post,
            ..Default::default()
        },
    );
    let secret = mock.secret().to_string();
    let o = cmd(&mock, &tmp.path().join("a"))
        .env("P1GRAPH_CLIENT_SECRET", format!("{secret}-wrong"))
        .arg("-vvv")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(all.contains("invalid_client"), "{all}");
    assert!(!all.contains(&secret), "{all}");
    drop(mock);
    // A 500 in the middle of a verbose run.
    let mock = mock_with(Fault::Status {
        path_suffix: "/roleAssignments".into(),
        status: 500,
        times: None,
        retry_after: None,
    });
    let out = tmp.path().join("b");
    let o = cmd(&mock, &out).arg("-vvv").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(all.contains("HTTP 500"), "{all}");
    assert!(!all.contains(&secret), "{all}");
    assert!(!out.exists());
    // And in a successful, compressed export.
    let out = tmp.path().join("c");
    let mock = MockPingOne::start(&mini(), MockOptions::default());
    let o = cmd(&mock, &out)
        .args(["-vvv", "--compress"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains(&secret));
    let t = p1graph::export::read_export(&out).unwrap();
    assert_eq!(t.users.len(), 10);
    let mut compressed = 0;
    for e in walk(&out) {
        let mut bytes = std::fs::read(&e).unwrap();
        // Scan what a reader sees: compressed files decompressed (the secret would not show in
        // zstd bytes as such).
        if e.extension().is_some_and(|x| x == "zst") {
            bytes = zstd::decode_all(&bytes[..]).unwrap();
            compressed += 1;
        }
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{}",
            e.display()
        );
    }
    assert!(
        compressed > 5,
        "the export was compressed: {compressed} .zst files"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn p1g_output_writes_a_snapshot_and_previous_carries_the_ledger() {
    let mock = MockPingOne::start(&mini(), MockOptions::default());
    let tmp = tempfile::tempdir().unwrap();
    let first = tmp.path().join("first.p1g");
    let raw = tmp.path().join("raw");
    let o = cmd(&mock, &first)
        .arg("--save-raw")
        .arg(&raw)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(p1graph::snapshot::is_snapshot(&first));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&first).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert_eq!(access_export(&first), access_export(&raw));
    assert_eq!(access_export(&first), access_export(&mini()));
    // No raw directory is left behind without --save-raw.
    let second = tmp.path().join("second.p1g");
    let o = cmd(&mock, &second)
        .arg("--previous")
        .arg(&first)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".p1graph-raw")),
        "{names:?}"
    );
    let a = p1graph::snapshot::load(&first).unwrap();
    let b = p1graph::snapshot::load(&second).unwrap();
    assert!(a.usage.events_seen > 0);
    assert_eq!(
        b.usage.events_seen,
        2 * a.usage.events_seen,
        "the earlier ledger was carried forward"
    );
    assert_eq!(b.usage.span().unwrap().from, a.usage.span().unwrap().from);
    // --previous without a snapshot output is refused before any request.
    let log_before = mock.log().len();
    let o = cmd(&mock, &tmp.path().join("dir"))
        .arg("--previous")
        .arg(&first)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(mock.log().len(), log_before);
}

#[test]
fn plan_prints_an_estimate_and_writes_nothing() {
    let mock = MockPingOne::start(&mini(), MockOptions::default());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    let o = cmd(&mock, &out).arg("--plan").output().unwrap();
    assert!(o.status.success());
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("Acme Production") && stdout.contains("requests"),
        "{stdout}"
    );
    assert!(!out.exists());
}

#[test]
fn selected_environments_only() {
    let mock = MockPingOne::start(&mini(), MockOptions::default());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    let o = ingest_cmd(&mock, ADMIN_ENV, &out)
        .args(["--retry-base-ms", "20", "--max-rps", "500"])
        .args(["--environments", PROD_ENV, "--no-activities"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.join(format!("environments/{ADMIN_ENV}")).exists());
    assert!(
        out.join(format!("environments/{PROD_ENV}/users.jsonl"))
            .exists()
    );
    assert_eq!(mock.count("/activities"), 0);
    let cov = manifest(&out)["coverage"].to_string();
    assert!(cov.contains("skipped") && cov.contains(ADMIN_ENV));
}

/// Measures a large tenant: `cargo test --release --test cli measure_large_tenant -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_large_tenant() {
    let users: u64 = std::env::var("P1GRAPH_MEASURE_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let groups = users / 10;
    let rps: u32 = std::env::var("P1GRAPH_MEASURE_RPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let (env, _) = crate::support::generate::large_tenant(&src, users, groups);
    let mock = MockPingOne::start(
        &src,
        MockOptions {
            rate_limit_rps: Some(rps),
            ..Default::default()
        },
    );
    let out = tmp.path().join("out");
    // The client's limit: just under the server's by default; set it above to exercise 429s.
    let client_rps: f64 = std::env::var("P1GRAPH_MEASURE_CLIENT_RPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(rps as f64 * 0.95);
    let started = Instant::now();
    let o = ingest_cmd(&mock, &env, &out)
        .args([
            "--no-activities",
            "--max-rps",
            &client_rps.to_string(),
            "--concurrency",
            "8",
        ])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let requests = mock.log().iter().filter(|l| l.method == "GET").count();
    let throttled = mock.log().iter().filter(|l| l.status == 429).count();
    let t = p1graph::export::read_export(&out).unwrap();
    assert_eq!(t.users.len() as u64, users);
    println!(
        "measure: {users} users, {groups} groups, server limit {rps} rps, client limit {client_rps} rps: {requests} requests ({:.1} per 1,000 users), {throttled} throttled, {:.1} s; at 20 rps this is {:.1} h",
        requests as f64 * 1000.0 / users as f64,
        elapsed.as_secs_f64(),
        requests as f64 / 20.0 / 3600.0
    );
    println!("{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_403_after_success_is_load_and_retried() {
    let mock = mock_with(Fault::StatusAfter {
        path_suffix: "/roleAssignments".into(),
        status: 403,
        after: 1,
        times: 2,
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    run_ok(&mock, &out);
    assert_equivalent(&out);
    assert_eq!(mock.log().iter().filter(|l| l.status == 403).count(), 2);
    assert_eq!(manifest(&out)["coverage"], serde_json::json!([]));
}

#[test]
fn ctrl_c_leaves_no_output_but_the_work_area_and_says_what_was_collected() {
    let mock = mock_with(Fault::Slow {
        path_suffix: "/groups".into(),
        millis: 30_000,
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    let mut c = std_cmd(&mock, &out);
    let child = c
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the ingest is past the users (the groups request is held by the mock).
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    while mock.count(&format!("{ADMIN_ENV}/users")) == 0 {
        assert!(
            Instant::now() < deadline,
            "the ingest never reached the users"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("interrupted") && stderr.contains("3 users"),
        "{stderr}"
    );
    assert!(!out.exists());
    assert_only_the_work_area(tmp.path(), &stderr);
}

/// Beside `export`, a stopped ingest leaves only its work area (with a checkpoint, for
/// `--resume`), and says so.
fn assert_only_the_work_area(dir: &Path, stderr: &str) {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec![".export.p1graph-work".to_string()]);
    assert!(dir.join(".export.p1graph-work/checkpoint.json").is_file());
    assert!(
        stderr.contains("--resume") && stderr.contains(".export.p1graph-work"),
        "{stderr}"
    );
}

#[test]
fn a_users_list_that_rejects_include_is_read_without_it() {
    let mock = MockPingOne::start(
        &mini(),
        MockOptions {
            reject_include_on_lists: true,
            max_page: 4,
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    run_ok(&mock, &out);
    assert_equivalent(&out);
    let log = mock.log();
    assert_eq!(
        log.iter().filter(|l| l.status == 400).count(),
        2,
        "one rejected request per environment"
    );
    assert!(log.iter().any(|l| l.query.contains("memberOfGroups")));
}

/// The demo tenant served by the mock and ingested gives the same access export, byte for byte,
/// and the same findings (coverage aside), as reading `fixtures/demo` directly.
#[test]
fn demo_round_trip_gives_the_same_access_export() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let mock = MockPingOne::start(
        &demo,
        MockOptions {
            client_id: "31127f76-3cf1-5065-b17a-b1c00246e922".into(),
            max_page: 7,
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    let o = ingest_cmd(&mock, "97474ea2-80f7-535a-8ec1-b12ec1c97d88", &out)
        .args(["-q", "--max-rps", "500", "--retry-base-ms", "20"])
        .args([
            "--activities-since",
            "2026-10-18T00:00:00Z",
            "--activity-window-hours",
            "240",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let direct = access_export(&demo);
    let ingested = access_export(&out);
    assert!(direct.len() > 1000);
    assert!(
        direct == ingested,
        "access export differs after a round trip through the mock"
    );
}

/// Measures activity collection on a generated tenant (`p1graph synth` output), served by the mock
/// at the audit rate limit. Run:
/// `P1GRAPH_MEASURE_EXPORT=/tmp/s100k cargo test --release --test cli measure_activities -- --ignored --nocapture`
#[test]
#[ignore]
fn measure_activities() {
    let Some(src) = std::env::var_os("P1GRAPH_MEASURE_EXPORT").map(PathBuf::from) else {
        return;
    };
    let m: Value =
        serde_json::from_slice(&std::fs::read(src.join("manifest.json")).unwrap()).unwrap();
    let env = m["collector"]["environmentId"]
        .as_str()
        .unwrap()
        .to_string();
    let client = m["collector"]["clientId"].as_str().unwrap().to_string();
    let from = m["activities"]["from"].as_str().unwrap().to_string();
    let mock = MockPingOne::start(
        &src,
        MockOptions {
            client_id: client.clone(),
            rate_limit_rps: Some(1000),
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let started = Instant::now();
    let o = ingest_cmd(&mock, &env, &out)
        .args([
            "-q",
            "--activities-since",
            &from,
            "--max-rps",
            "950",
            "--concurrency",
            "8",
        ])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let log = mock.log();
    let activity_requests = log
        .iter()
        .filter(|l| l.path.ends_with("/activities"))
        .count();
    let t = p1graph::export::read_export(&out).unwrap();
    let src_t = p1graph::export::read_export(&src).unwrap();
    assert_eq!(
        t.usage.events_seen, src_t.usage.events_seen,
        "every activity collected once"
    );
    println!(
        "measure: {} users, {} activities in {} activity requests (at most 8 per second: >= {:.0} s of the run); whole ingest {} requests in {:.1} s",
        t.users.len(),
        t.usage.events_seen,
        activity_requests,
        activity_requests as f64 / 8.0,
        log.len(),
        elapsed.as_secs_f64()
    );
}

/// Windows the server widens so that they overlap: events come back twice and are kept once.
#[test]
fn overlapping_activity_windows_are_deduplicated() {
    let mock = MockPingOne::start(
        &mini(),
        MockOptions {
            widen_activity_windows_secs: 2 * 86_400,
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    let o = cmd(&mock, &out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let windows = mock
        .log()
        .iter()
        .filter(|l| l.path.ends_with("/activities"))
        .count();
    assert!(
        windows >= 3,
        "several 10-day windows over the period: {windows}"
    );
    let mut lines_seen = 0;
    for env in std::fs::read_dir(out.join("environments")).unwrap() {
        let p = env.unwrap().path().join("activities.jsonl");
        if p.exists() {
            lines_seen += lines(&p).len();
        }
    }
    let ids = activity_ids(&out);
    assert!(!ids.is_empty());
    assert_eq!(lines_seen, ids.len(), "no activity written twice");
    assert_eq!(ids, activity_ids(&mini()));
}

/// A `400` on a non-worker application's role assignments means "none"; the same answer for a
/// user's role assignments is an error: the tolerance belongs to applications only.
#[test]
fn refused_role_assignments_are_empty_for_applications_only() {
    let refuse = |suffix: &str| MockOptions {
        faults: vec![Fault::Status {
            path_suffix: suffix.into(),
            status: 400,
            times: None,
            retry_after: None,
        }],
        ..Default::default()
    };
    let tmp = tempfile::tempdir().unwrap();
    let mock = MockPingOne::start(
        &mini(),
        refuse("/applications/f3bab1ad-3efc-519d-98b3-0d9101f5905a/roleAssignments"),
    );
    let out = tmp.path().join("apps");
    run_ok(&mock, &out);
    assert!(
        mock.log().iter().any(|l| l.status == 400),
        "the refusal was exercised"
    );
    assert_equivalent(&out);
    let mock = MockPingOne::start(
        &mini(),
        refuse("/users/151a0695-f118-5194-adfc-924ee68e1ec7/roleAssignments"),
    );
    let out = tmp.path().join("users");
    let o = cmd(&mock, &out).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists());
}

/// `(exit code, stderr)` of an ingest expected to fail; never a panic.
fn run_failing(mut c: std::process::Command) -> (Option<i32>, String) {
    let o = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    (o.status.code(), stderr)
}

#[test]
fn a_server_that_never_answers_times_out_after_two_retries() {
    let groups = format!("/v1/environments/{PROD_ENV}/groups");
    let mock = mock_with(Fault::Hang {
        path_suffix: groups.clone(),
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    let mut c = std_cmd(&mock, &out);
    // The timeout from the environment (the flag is `--timeout`).
    c.env("P1GRAPH_TIMEOUT", "1");
    let started = Instant::now();
    let (code, stderr) = run_failing(c);
    let took = started.elapsed();
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "`{groups}` did not answer within the timeout of 1 s (3 attempts)"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("raise --timeout"), "{stderr}");
    // Each attempt waited for the timeout, and there were three: not the six retries of other
    // failures, not an endless wait.
    assert_eq!(mock.hung(), 3);
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(30),
        "{took:?}"
    );
    assert!(!out.exists());
    assert_only_the_work_area(tmp.path(), &stderr);
}

#[test]
fn the_timeout_flag_is_checked_before_anything_is_requested() {
    let mock = MockPingOne::start(&mini(), MockOptions::default());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    for bad in ["0", "86401"] {
        let mut c = std_cmd(&mock, &out);
        c.args(["--timeout", bad]);
        let (code, stderr) = run_failing(c);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "--timeout must be between 1 and 86400 seconds, not {bad}"
            )),
            "{stderr}"
        );
    }
    assert!(mock.log().is_empty());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn a_connection_dropped_mid_body_is_retried() {
    let groups = format!("/v1/environments/{PROD_ENV}/groups");
    let mock = mock_with(Fault::DropMidBody {
        path_suffix: groups.clone(),
        times: Some(1),
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    run_ok(&mock, &out);
    assert_equivalent(&out);
    assert_eq!(mock.count(&groups), 2, "the broken answer, then the retry");
}

#[test]
fn a_connection_always_dropped_mid_body_stops_the_ingest_and_says_so() {
    let groups = format!("/v1/environments/{PROD_ENV}/groups");
    let mock = mock_with(Fault::DropMidBody {
        path_suffix: groups.clone(),
        times: None,
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    let (code, stderr) = run_failing(std_cmd(&mock, &out));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "`{groups}` kept failing after 7 attempts (last: the connection broke while reading the body (HTTP 200)"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("end of file before message length reached")
            && stderr.contains("help: the connection to the API kept failing"),
        "{stderr}"
    );
    // The first attempt and the six retries, each with the headers and part of the body.
    assert_eq!(mock.count(&groups), 7);
    assert!(!out.exists());
    assert_only_the_work_area(tmp.path(), &stderr);
}

#[test]
fn a_next_link_to_the_same_page_stops_the_ingest_naming_the_collection() {
    let groups = format!("/v1/environments/{PROD_ENV}/groups");
    let mock = mock_with(Fault::NextToSelf {
        path_suffix: groups.clone(),
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("export");
    let (code, stderr) = run_failing(std_cmd(&mock, &out));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("`{groups}`: the `next` link does not advance")),
        "{stderr}"
    );
    // Not load: no advice to slow down.
    assert!(!stderr.contains("--max-rps"), "{stderr}");
    // Refused at the first page: the same page is never requested again.
    assert_eq!(mock.count(&groups), 1);
    assert!(!out.exists());
    assert_only_the_work_area(tmp.path(), &stderr);
}

#[test]
fn an_output_below_a_file_is_refused_naming_the_file_before_any_request() {
    let mock = MockPingOne::start(&mini(), MockOptions::default());
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, b"not a directory\n").unwrap();
    for (flag, out, extra) in [
        ("--out", file.join("export"), vec![]),
        ("--out", file.join("deeper/export"), vec![]),
        ("--out", file.join("northwind.p1g"), vec![]),
        (
            "--save-raw",
            tmp.path().join("northwind.p1g"),
            vec![
                "--save-raw".to_string(),
                file.join("raw").display().to_string(),
            ],
        ),
    ] {
        let mut c = std_cmd(&mock, &out);
        c.args(&extra);
        let (code, stderr) = run_failing(c);
        assert_eq!(code, Some(2), "{stderr}");
        let named = if flag == "--out" {
            out.clone()
        } else {
            file.join("raw")
        };
        assert!(
            stderr.contains(&format!(
                "{flag} `{}` cannot be created: `{}` is a file, not a directory",
                named.display(),
                file.display()
            )),
            "{stderr}"
        );
    }
    // Nothing was requested, nothing was written, the file is unchanged.
    assert!(mock.log().is_empty());
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["plain-file"]);
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory\n");
}
