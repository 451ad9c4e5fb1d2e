//! Access model v2 for people: refuse what would mix or lose data, explain every error, and
//! leave nothing behind an interrupted or failed command.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

use crate::support::copy_dir;
use crate::support::mock_pingone::{MockOptions, MockPingOne};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

fn mini() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/data/mini")
}

fn p1graph(args: &[&str]) -> Output {
    Command::cargo_bin("p1graph")
        .unwrap()
        .env("COLUMNS", "120")
        .args(args)
        .output()
        .unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A snapshot of another organization (a generated tenant).
fn foreign_snapshot(dir: &Path) -> PathBuf {
    let export = dir.join("foreign");
    let o = p1graph(&[
        "synth",
        "-q",
        "--users",
        "60",
        "--seed",
        "3",
        "--out",
        s(&export),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let snap = dir.join("foreign.p1g");
    let o = p1graph(&["snapshot", "create", "-q", "-i", s(&export), "-o", s(&snap)]);
    assert!(o.status.success(), "{}", err(&o));
    snap
}

/// The demo, captured a month later than the bundled one.
fn later_demo(dir: &Path) -> PathBuf {
    let d = dir.join("demo-later");
    copy_dir(&demo(), &d);
    let m = d.join("manifest.json");
    let text = std::fs::read_to_string(&m).unwrap().replace(
        "\"capturedAt\": \"2026-11-01T00:00:00Z\"",
        "\"capturedAt\": \"2026-12-01T00:00:00Z\"",
    );
    assert!(text.contains("2026-12-01T00:00:00Z"));
    std::fs::write(&m, text).unwrap();
    d
}

#[test]
fn snapshot_create_refuses_a_previous_snapshot_of_another_organization() {
    let tmp = tempfile::tempdir().unwrap();
    let foreign = foreign_snapshot(tmp.path());
    let out = tmp.path().join("demo.p1g");
    let o = p1graph(&[
        "snapshot",
        "create",
        "-i",
        s(&demo()),
        "-o",
        s(&out),
        "--previous",
        s(&foreign),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = err(&o);
    assert!(e.contains("is a snapshot of organization"), "{e}");
    assert!(
        e.contains("Northwind Health"),
        "names the input's organization: {e}"
    );
    assert!(e.contains(s(&foreign)), "names the previous snapshot: {e}");
    assert!(!out.exists());
}

#[test]
fn snapshot_create_refuses_a_previous_snapshot_captured_after_the_input() {
    let tmp = tempfile::tempdir().unwrap();
    let later = tmp.path().join("later.p1g");
    let o = p1graph(&[
        "snapshot",
        "create",
        "-q",
        "-i",
        s(&later_demo(tmp.path())),
        "-o",
        s(&later),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let out = tmp.path().join("demo.p1g");
    let o = p1graph(&[
        "snapshot",
        "create",
        "-i",
        s(&demo()),
        "-o",
        s(&out),
        "--previous",
        s(&later),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = err(&o);
    assert!(
        e.contains("2026-12-01T00:00:00Z") && e.contains("2026-11-01T00:00:00Z"),
        "{e}"
    );
    // The other way round is the normal use.
    let earlier = tmp.path().join("earlier.p1g");
    let o = p1graph(&[
        "snapshot",
        "create",
        "-q",
        "-i",
        s(&demo()),
        "-o",
        s(&earlier),
    ]);
    assert!(o.status.success());
    let o = p1graph(&[
        "snapshot",
        "create",
        "-q",
        "-i",
        s(&tmp.path().join("demo-later")),
        "-o",
        s(&out),
        "--previous",
        s(&earlier),
    ]);
    assert!(o.status.success(), "{}", err(&o));
}

#[test]
fn diff_refuses_two_organizations_unless_forced_and_warns_when_old_is_newer() {
    let tmp = tempfile::tempdir().unwrap();
    let foreign = foreign_snapshot(tmp.path());
    let o = p1graph(&["diff", s(&demo()), s(&foreign), "--format", "csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("refusing to compare two organizations"),
        "{}",
        err(&o)
    );
    assert!(err(&o).contains("--force"));
    let o = p1graph(&[
        "diff",
        "-q",
        s(&demo()),
        s(&foreign),
        "--format",
        "csv",
        "--force",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let later = later_demo(tmp.path());
    let o = p1graph(&["diff", s(&later), s(&demo()), "--format", "csv"]);
    assert!(o.status.success());
    assert!(err(&o).contains("is newer than NEW"), "{}", err(&o));
    let o = p1graph(&["diff", s(&demo()), s(&later), "--format", "csv"]);
    assert!(!err(&o).contains("is newer than NEW"), "{}", err(&o));
}

/// `p1graph ingest` against `mock`, writing `out`.
fn ingest(mock: &MockPingOne, out: &Path, extra: &[&str]) -> Output {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("p1graph"))
        .env("COLUMNS", "120")
        .env_remove("P1GRAPH_API_URL")
        .env_remove("P1GRAPH_AUTH_URL")
        .env("P1GRAPH_CLIENT_SECRET", mock.secret())
        .args([
            "ingest",
            "--environment-id",
            "a10aa5ea-7cba-5171-860d-5f97ef6805dc",
        ])
        .args(["--client-id", mock.client_id(), "--out", s(out)])
        .args(["--api-url", &mock.api_url(), "--auth-url", &mock.auth_url()])
        .args(["--retry-base-ms", "20", "--max-rps", "500"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn ingest_checks_every_flag_conflict_before_signing_in() {
    let mock = MockPingOne::start(&mini(), MockOptions::default());
    let tmp = tempfile::tempdir().unwrap();
    let not_export = tmp.path().join("photos");
    std::fs::create_dir_all(&not_export).unwrap();
    std::fs::write(not_export.join("cat.jpg"), b"meow").unwrap();
    let not_snapshot = tmp.path().join("notes.p1g");
    std::fs::write(&not_snapshot, b"my notes").unwrap();
    let snap = tmp.path().join("s.p1g");
    let (raw, dir, x, y) = (
        tmp.path().join("raw"),
        tmp.path().join("dir"),
        tmp.path().join("x"),
        tmp.path().join("y"),
    );
    let cases: Vec<(Vec<&str>, &Path, &str)> = vec![
        (vec![], &not_export, "is not an export directory"),
        (vec![], &not_snapshot, "is not a snapshot"),
        (
            vec!["--save-raw", s(&not_export)],
            &snap,
            "is not an export directory",
        ),
        (
            vec!["--save-raw", s(&raw)],
            &dir,
            "--save-raw needs a snapshot output",
        ),
        (
            vec![
                "--no-activities",
                "--activities-since",
                "2026-10-01T00:00:00Z",
            ],
            &x,
            "contradict",
        ),
        (vec!["--concurrency", "0"], &y, "--concurrency"),
    ];
    for (extra, out, want) in cases {
        let o = ingest(&mock, out, &extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        assert!(err(&o).contains(want), "{extra:?}: {}", err(&o));
        assert!(
            mock.log().is_empty(),
            "{extra:?}: no request before the checks pass"
        );
    }
    assert_eq!(std::fs::read(not_export.join("cat.jpg")).unwrap(), b"meow");
    assert_eq!(std::fs::read(&not_snapshot).unwrap(), b"my notes");
}

#[test]
fn a_failure_after_collection_keeps_the_collected_export_and_says_where() {
    let mock = MockPingOne::start(&mini(), MockOptions::default());
    let tmp = tempfile::tempdir().unwrap();
    let foreign = foreign_snapshot(tmp.path());
    let out = tmp.path().join("mini.p1g");
    let o = ingest(&mock, &out, &["--previous", s(&foreign)]);
    assert_eq!(o.status.code(), Some(2));
    let e = err(&o);
    assert!(e.contains("is a snapshot of organization"), "{e}");
    assert!(!out.exists());
    let kept = e
        .lines()
        .find_map(|l| {
            l.split('`')
                .nth(1)
                .filter(|_| l.contains("collected export is kept"))
        })
        .expect("the message names the kept directory")
        .to_string();
    let kept = PathBuf::from(kept);
    assert!(kept.join("manifest.json").is_file(), "{e}");
    // It is a complete export: a snapshot can be made from it without collecting again.
    let o = p1graph(&["snapshot", "create", "-q", "-i", s(&kept), "-o", s(&out)]);
    assert!(o.status.success(), "{}", err(&o));
}

#[test]
fn as_of_is_checked_before_the_input_is_read_and_takes_a_bare_date() {
    let o = p1graph(&[
        "findings",
        "--input",
        "/nonexistent/input",
        "--as-of",
        "last tuesday",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = err(&o);
    assert!(e.contains("--as-of") && e.contains("last tuesday"), "{e}");
    assert!(
        !e.contains("/nonexistent/input"),
        "checked before the input: {e}"
    );
    let d = s(&demo()).to_string();
    let bare = p1graph(&["findings", "-q", "--input", &d, "--as-of", "2027-01-01"]);
    let full = p1graph(&[
        "findings",
        "-q",
        "--input",
        &d,
        "--as-of",
        "2027-01-01T00:00:00Z",
    ]);
    assert!(bare.status.success(), "{}", err(&bare));
    assert_eq!(bare.stdout, full.stdout);
    let early = p1graph(&["findings", "--input", &d, "--as-of", "2026-10-01"]);
    assert!(
        err(&early).contains("is before the capture time"),
        "{}",
        err(&early)
    );
    for flag in ["--dormant-days", "--usage-days"] {
        let o = p1graph(&["findings", "--input", &d, flag, "0"]);
        assert_eq!(o.status.code(), Some(2), "{flag}");
        assert!(err(&o).contains(flag), "{}", err(&o));
    }
}

#[test]
fn fail_on_says_why_it_fails() {
    let o = p1graph(&[
        "findings",
        "-q",
        "--input",
        s(&demo()),
        "--fail-on",
        "critical",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = err(&o);
    assert!(e.contains("failing (--fail-on critical)"), "{e}");
    assert!(
        e.contains("dormant-admin 3") && e.contains("admin-without-mfa 1"),
        "{e}"
    );
}

#[test]
fn exceptions_unknown_rules_usernames_stale_entries_and_suppressed_json() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[exception]]\nrule = \"admin-without-mfaa\"\nidentity = \"x\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"2099-01-01\"\n",
    )
    .unwrap();
    let o = p1graph(&["findings", "--input", s(&demo()), "--exceptions", s(&bad)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("line 2") && err(&o).contains("unknown rule `admin-without-mfaa`"),
        "{}",
        err(&o)
    );
    assert!(
        err(&o).contains("admin-without-mfa,"),
        "help lists the ids: {}",
        err(&o)
    );

    let ok = tmp.path().join("ok.toml");
    std::fs::write(
        &ok,
        "[[exception]]\nrule = \"admin-without-mfa\"\nidentity = \"breakglass@northwindhealth.example\"\nreason = \"break-glass, token in the safe\"\nowner = \"iam@northwind.example\"\nexpires = \"2099-01-01\"\n\n[[exception]]\nrule = \"nesting-cycle\"\nidentity = \"nobody\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"2099-01-01\"\n",
    )
    .unwrap();
    let o = p1graph(&[
        "findings",
        "-q",
        "--input",
        s(&demo()),
        "--exceptions",
        s(&ok),
    ]);
    assert!(o.status.success());
    let csv = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(
        !csv.contains("admin-without-mfa,critical,USER"),
        "suppressed by username: {csv}"
    );
    assert!(
        err(&o).contains("stale exception #2"),
        "reported even with -q: {}",
        err(&o)
    );
    let o = p1graph(&[
        "findings",
        "-q",
        "--input",
        s(&demo()),
        "--exceptions",
        s(&ok),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sup: Vec<&serde_json::Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["suppressed"].is_null())
        .collect();
    assert_eq!(sup.len(), 1, "{v}");
    assert_eq!(sup[0]["rule"], "admin-without-mfa");
    assert_eq!(sup[0]["suppressed"]["owner"], "iam@northwind.example");
    assert_eq!(sup[0]["suppressed"]["expires"], "2099-01-01");
}

#[cfg(unix)]
#[test]
fn ctrl_c_leaves_no_temporary_and_no_empty_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("big/tenant");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("p1graph"))
        .env("COLUMNS", "120")
        .args(["synth", "-q", "--users", "3000000", "--out", s(&out)])
        .spawn()
        .unwrap();
    // Wait until the generator has started writing its temporary directory.
    let big = tmp.path().join("big");
    let started = std::time::Instant::now();
    while std::fs::read_dir(&big).map_or(true, |mut d| d.next().is_none()) {
        assert!(
            started.elapsed().as_secs() < 60,
            "synth never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let status = child.wait().unwrap();
    assert!(!status.success(), "{status:?}");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?} ({status:?})");
    // The handler's own exit status (130) is the normal outcome.
    if status.code() != Some(130) {
        eprintln!("note: interrupted synth exited with {status:?}");
    }
}
