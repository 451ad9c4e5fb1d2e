//! The access export's key rows against a second implementation in another language: one SQL
//! query over the export directory's raw JSON (`benches/duckdb_tenant.py`, the query the DuckDB
//! side-by-side times), run by DuckDB. It reads the files, not p1graph's model, so it checks the
//! export reader's cleaning (INDIRECT memberships, group-derived copies, references to entities
//! that are not there, missing collections) as well as rules M1-M7.
//!
//! It needs Python's `duckdb` module. `.ci/run` installs it and sets `P1GRAPH_REQUIRE_DUCKDB`,
//! so in CI a missing module fails the test; elsewhere the test says it was skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

const KEY: &str =
    "identity_type,identity_id,environment_id,entitlement_type,entitlement_id,scope_type,scope_id";

fn duckdb_available() -> bool {
    Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Every fixture tenant: the demo, one per access rule, one per attack capability.
fn fixture_tenants() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = vec![root.join("demo")];
    for family in ["rules", "attack"] {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join(family))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("manifest.json").is_file())
            .collect();
        dirs.sort();
        assert!(!dirs.is_empty(), "no tenants under fixtures/{family}");
        out.extend(dirs);
    }
    out
}

fn run_ok(args: &[&str]) {
    let (code, _, err) = crate::support::run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
}

/// Appends, in the first environment with a group's role assignment, an `INDIRECT` membership of
/// a user who belongs to no group in that group: the export format never stores one (the engine
/// derives them), so both readers must skip it, and the role must not reach the user.
fn add_indirect_membership(export: &Path) -> bool {
    let lines = |p: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let mut envs: Vec<PathBuf> = std::fs::read_dir(export.join("environments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    envs.sort();
    for env in envs {
        let Some(group) = lines(&env.join("role_assignments.jsonl"))
            .into_iter()
            .find(|a| a["parent"]["type"] == "GROUP")
            .map(|a| a["parent"]["id"].clone())
        else {
            continue;
        };
        let members = lines(&env.join("user_memberships.jsonl"));
        let loner = lines(&env.join("users.jsonl"))
            .into_iter()
            .find(|u| !members.iter().any(|m| m["parent"]["id"] == u["id"]));
        let Some(user) = loner else { continue };
        let line = serde_json::json!({
            "parent": {"type": "USER", "id": user["id"]},
            "item": {"id": group, "type": "INDIRECT"},
        });
        let path = env.join("user_memberships.jsonl");
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(&format!("{line}\n"));
        std::fs::write(&path, text).unwrap();
        return true;
    }
    false
}

#[test]
fn duckdb_computes_the_same_key_rows_from_the_raw_export() {
    if !duckdb_available() {
        assert!(
            std::env::var_os("P1GRAPH_REQUIRE_DUCKDB").is_none(),
            "P1GRAPH_REQUIRE_DUCKDB is set but `python3 -c 'import duckdb'` fails"
        );
        eprintln!("skipped: Python's duckdb module is not installed (pip install duckdb)");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let mut tenants = fixture_tenants();
    // Generated tenants: compressed files, cycles and deep nesting, ALL_GROUPS rules.
    for (profile, users, seed) in [("standard", "2000", "11"), ("group-heavy", "1500", "12")] {
        let dir = work.path().join(format!("synth-{profile}"));
        run_ok(&[
            "synth",
            "-q",
            "--users",
            users,
            "--seed",
            seed,
            "--profile",
            profile,
            "--compress",
            "--out",
            dir.to_str().unwrap(),
        ]);
        tenants.push(dir);
    }
    // A tenant with collections missing (a coverage gap is no rows, never an error).
    let gaps = work.path().join("gaps");
    crate::support::copy_dir(&tenants[0], &gaps);
    let mut removed = 0;
    for env in std::fs::read_dir(gaps.join("environments")).unwrap() {
        for name in ["grants.jsonl", "gateways.jsonl"] {
            if std::fs::remove_file(env.as_ref().unwrap().path().join(name)).is_ok() {
                removed += 1;
            }
        }
    }
    assert!(removed > 0);
    // And the built-in roles: no role counts as built-in for ADMIN_USERS_ONLY (M6.2).
    std::fs::remove_file(gaps.join("roles.jsonl")).unwrap();
    assert!(
        add_indirect_membership(&gaps),
        "no group with a role to point at"
    );
    tenants.push(gaps);

    let mut script = vec![
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("benches/duckdb_tenant.py")
            .to_string_lossy()
            .into_owned(),
    ];
    let mut ours = Vec::new();
    for (i, t) in tenants.iter().enumerate() {
        let (p, d) = (
            work.path().join(format!("{i}-p1graph.csv")),
            work.path().join(format!("{i}-duckdb.csv")),
        );
        run_ok(&[
            "access",
            "-q",
            "--input",
            t.to_str().unwrap(),
            "--columns",
            KEY,
            "--out",
            p.to_str().unwrap(),
        ]);
        script.push(t.to_string_lossy().into_owned());
        script.push(d.to_string_lossy().into_owned());
        ours.push((t, p, d));
    }
    let out = Command::new("python3").args(&script).output().unwrap();
    assert!(
        out.status.success(),
        "duckdb_tenant.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut total = 0;
    for (tenant, p, d) in ours {
        // p1graph ends lines with CRLF (RFC 4180), DuckDB with LF; nothing here needs quoting.
        let mine = std::fs::read_to_string(&p).unwrap().replace("\r\n", "\n");
        let theirs = std::fs::read_to_string(&d).unwrap();
        let rows = mine.lines().count() - 1;
        assert!(rows > 0, "{}: no access rows", tenant.display());
        if mine != theirs {
            let first = mine
                .lines()
                .zip(theirs.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(mine.lines().count().min(theirs.lines().count()));
            panic!(
                "{}: p1graph and DuckDB differ from line {} (p1graph {} lines, DuckDB {}):\n  p1graph: {:?}\n  DuckDB:  {:?}",
                tenant.display(),
                first + 1,
                mine.lines().count(),
                theirs.lines().count(),
                mine.lines().nth(first),
                theirs.lines().nth(first),
            );
        }
        total += rows;
    }
    assert!(total > 10_000, "only {total} rows compared");
}
