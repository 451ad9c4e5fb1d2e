//! A snapshot answers every command exactly as the export it was made from.
//!
//! The snapshot writer stores the string table in its own order (users' strings first, in id
//! order) and so numbers every symbol anew. Nothing a user sees may depend on those numbers:
//! here every command that reads a tenant runs on an export and on its snapshot, and their
//! outputs (standard output, or every file written) must be byte-identical.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Runs `p1graph`, which must succeed; its standard output.
fn run(args: &[&str]) -> String {
    let (code, out, err) = crate::support::run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// Every file under `dir`, by relative path, except `skip`.
fn files(dir: &Path, skip: &[&str]) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, skip: &[&str], out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                walk(root, &p, skip, out);
            } else if !skip.contains(&rel.as_str()) {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, skip, &mut out);
    out
}

/// `summary.json` without the lines that name its input (path, kind and SHA-256 differ by
/// design between an export and a snapshot).
fn provenance_free(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !(l.starts_with("\"path\":")
                || l.starts_with("\"sha256\":")
                || l == "\"kind\": \"export\","
                || l == "\"kind\": \"snapshot\",")
        })
        .collect();
    assert_eq!(text.lines().count(), kept.len() + 3, "{text}");
    kept.join("\n").into_bytes()
}

/// Runs every reading command on `export` and on a snapshot of it; asserts equal outputs.
fn same_answers(export: &Path, work: &Path) {
    let snap = work.join("t.p1g");
    let (e, s) = (export.to_str().unwrap(), snap.to_str().unwrap());
    run(&["snapshot", "create", "-q", "--input", e, "--out", s]);
    let first_user = run(&[
        "access",
        "-q",
        "--input",
        e,
        "--columns",
        "identity_type,identity_id",
    ])
    .lines()
    .find_map(|l| l.strip_prefix("USER,").map(str::to_string))
    .expect("a user with access");
    let stdout_commands: Vec<Vec<&str>> = vec![
        vec!["access"],
        vec!["access", "--format", "json"],
        vec!["findings", "--format", "csv"],
        vec!["findings", "--format", "json"],
        vec!["summary"],
        vec!["escalation", "--format", "csv"],
        vec!["usage", "--format", "csv"],
        vec![
            "who-can",
            "--role",
            "Identity Data Admin",
            "--format",
            "csv",
        ],
        vec!["who-can", "--role", "Organization Admin", "--format", "csv"],
        vec!["explain", "--identity", &first_user],
    ];
    for cmd in &stdout_commands {
        let with = |input: &str| run(&[&cmd[..], &["-q", "--input", input]].concat());
        let (a, b) = (with(e), with(s));
        assert!(!a.is_empty(), "{cmd:?} printed nothing");
        assert!(
            a == b,
            "{cmd:?} differs between the export and its snapshot"
        );
    }
    // Commands that write directories; `campaign.json` holds a fresh campaign id and time.
    let dir_commands: [(&[&str], &[&str]); 3] = [
        (&["analyze"], &[]),
        (&["opengraph"], &[]),
        (
            &["review", "start", "--by", "application"],
            &["campaign.json"],
        ),
    ];
    for (cmd, skip) in dir_commands {
        let out = |input: &str, name: &str| -> PathBuf {
            let dir = work.join(name);
            run(&[
                cmd,
                &["-q", "--input", input, "--out", dir.to_str().unwrap()],
            ]
            .concat());
            dir
        };
        let (a, b) = (
            out(e, &format!("{}-e", cmd[0])),
            out(s, &format!("{}-s", cmd[0])),
        );
        let (fa, fb) = (files(&a, skip), files(&b, skip));
        assert!(!fa.is_empty(), "{cmd:?} wrote nothing");
        assert_eq!(
            fa.keys().collect::<Vec<_>>(),
            fb.keys().collect::<Vec<_>>(),
            "{cmd:?}"
        );
        for (name, bytes) in &fa {
            let (x, y) = if name == "summary.json" {
                (provenance_free(bytes), provenance_free(&fb[name]))
            } else {
                (bytes.clone(), fb[name].clone())
            };
            assert!(x == y, "{cmd:?}: `{name}` differs");
        }
    }
}

#[test]
fn the_demo_answers_the_same_from_its_snapshot() {
    let work = tempfile::tempdir().unwrap();
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    same_answers(&demo, work.path());
}

/// A generated tenant: hundreds of users in no particular id order, nested groups, custom
/// roles, activities.
#[test]
fn a_generated_tenant_answers_the_same_from_its_snapshot() {
    let work = tempfile::tempdir().unwrap();
    let export = work.path().join("export");
    run(&[
        "synth",
        "-q",
        "--users",
        "600",
        "--seed",
        "11",
        "--profile",
        "group-heavy",
        "--out",
        export.to_str().unwrap(),
    ]);
    same_answers(&export, work.path());
}
