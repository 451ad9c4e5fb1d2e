//! One test per access-model rule (M1-M7): each `fixtures/rules/<case>/` is a tiny export whose
//! `expected.csv` was derived by hand from the access model; the engine's access export, reduced
//! to the same columns, must equal it row for row, order included.

use std::path::PathBuf;

use assert_cmd::Command;

fn fixture(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rules")
        .join(case)
}

const KEEP: [&str; 8] = [
    "identity_type",
    "identity_id",
    "entitlement_type",
    "entitlement_id",
    "scope_type",
    "scope_id",
    "via",
    "sources",
];

fn reduce(csv_bytes: &[u8]) -> Vec<Vec<String>> {
    let mut rd = csv::Reader::from_reader(csv_bytes);
    let headers = rd.headers().expect("header").clone();
    let idx: Vec<usize> = KEEP
        .iter()
        .map(|k| {
            headers
                .iter()
                .position(|h| h == *k)
                .unwrap_or_else(|| panic!("column {k} missing"))
        })
        .collect();
    rd.records()
        .map(|r| {
            let r = r.expect("row parses");
            idx.iter().map(|&i| r[i].to_string()).collect()
        })
        .collect()
}

fn check(case: &str) {
    let dir = fixture(case);
    let out = Command::cargo_bin("p1graph")
        .expect("binary")
        .env("COLUMNS", "120")
        .args(["access", "-q", "--input"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{case}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = std::fs::read(dir.join("expected.csv")).expect("expected.csv");
    assert_eq!(
        reduce(&out.stdout),
        reduce(&expected),
        "{case}: engine rows differ from the hand-derived rows"
    );
}

macro_rules! rule_cases {
    ($($name:ident),* $(,)?) => { $( #[test] fn $name() { check(stringify!($name)); } )* };
}

rule_cases!(
    m1_cycle_len1,
    m1_cycle_len2,
    m1_cycle_len3,
    m1_depth10_chain,
    m2_group_roles,
    m2_group_copy,
    m3_nonhuman,
    m4_cross_env_scopes,
    m5_missing_role,
    m6_all_groups_partial,
    m6_any_group,
    m6_admin_users_only,
    m6_open_and_disabled,
    m6_empty_group_list,
    m7_scopes,
);
