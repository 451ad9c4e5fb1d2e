//! Mutated inputs (byte flips, truncations, insertions, splices of valid seeds) fed to every
//! reader of untrusted bytes: the export line reader and manifest, the snapshot decoder, the
//! exceptions file (TOML and YAML), the review sheet reader and the API pager. The stable,
//! bounded counterpart of the fuzz targets in `tests/fuzz` (README "Hardening"): no input may
//! panic, and errors name the file and, where the format has lines, the line.

use std::path::Path;
use std::sync::OnceLock;

use p1graph::export::{Collection, ReadError, read_export};
use p1graph::pingone::paging::{ListQuery, Pager};
use p1graph::review::sheet::{parse_keys, validate_sheet};
use proptest::prelude::*;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo");
const ENV: &str = "409b05a7-ecd9-567d-a431-435d62902eb4";

/// One edit: 0 flips a byte, 1 truncates, 2 inserts a byte, 3 splices in a piece of `other`.
type Op = (u8, usize, u8);

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec((0u8..4, any::<usize>(), any::<u8>()), 1..5)
}

fn mutate(seed: &[u8], other: &[u8], ops: &[Op]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for &(kind, at, byte) in ops {
        let i = if b.is_empty() { 0 } else { at % b.len() };
        match kind {
            0 if !b.is_empty() => b[i] ^= byte.max(1),
            1 => b.truncate(i),
            2 => b.insert(i, byte),
            _ if !other.is_empty() => {
                let from = at % other.len();
                let len = usize::from(byte).min(other.len() - from);
                b.splice(i..i, other[from..from + len].iter().copied());
            }
            _ => {}
        }
    }
    b
}

/// The first `n` lines of a demo file.
fn head(rel: &str, n: usize) -> Vec<u8> {
    let text = std::fs::read_to_string(Path::new(DEMO).join(rel)).expect("a demo file");
    let mut out = String::new();
    for l in text.lines().take(n) {
        out.push_str(l);
        out.push('\n');
    }
    out.into_bytes()
}

const MANIFEST: &[u8] = br#"{"format":"p1graph-export","version":1,"capturedAt":"2026-11-01T00:00:00Z","organization":{"id":"o1","name":"Org"}}"#;

/// Writes a one-environment export with `file` (relative) holding `bytes`, and reads it.
fn read_with(file: &str, bytes: &[u8]) -> (Result<p1graph::model::Tenant, ReadError>, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    std::fs::create_dir_all(root.join("environments").join(ENV)).expect("environment directory");
    std::fs::write(root.join("manifest.json"), MANIFEST).expect("manifest");
    std::fs::write(
        root.join("environments.jsonl"),
        head("environments.jsonl", 3),
    )
    .expect("envs");
    std::fs::write(root.join(file), bytes).expect("the mutated file");
    let name = Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    (read_export(root), name)
}

fn export_seeds() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = Collection::PER_ENVIRONMENT
        .iter()
        .map(|c| format!("environments/{ENV}/{}.jsonl", c.stem()))
        .filter(|rel| Path::new(DEMO).join(rel).is_file())
        .map(|rel| {
            let bytes = head(&rel, 12);
            (rel, bytes)
        })
        .collect();
    v.push(("roles.jsonl".into(), head("roles.jsonl", 12)));
    v.push(("environments.jsonl".into(), head("environments.jsonl", 3)));
    v
}

fn snapshot_seed() -> &'static Vec<u8> {
    static SEED: OnceLock<Vec<u8>> = OnceLock::new();
    SEED.get_or_init(|| {
        let t = read_export(Path::new(DEMO)).expect("the demo reads");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("demo.p1g");
        p1graph::snapshot::save(&t, &path).expect("the demo saves");
        std::fs::read(&path).expect("the snapshot")
    })
}

/// A demo review campaign's first sheet: (keys decompressed, sheet).
fn sheet_seed() -> &'static (Vec<u8>, Vec<u8>) {
    static SEED: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    SEED.get_or_init(|| {
        let t = read_export(Path::new(DEMO)).expect("the demo reads");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = dir.path().join("c");
        let input = p1graph::review::InputInfo {
            path: "demo".into(),
            kind: "export".into(),
            sha256: "0".repeat(64),
            captured_at: String::new(),
        };
        let mut opts = p1graph::review::StartOptions::new(p1graph::review::By::Application);
        opts.created_at = p1graph::model::Ts::parse("2026-11-02T00:00:00Z");
        let s = p1graph::review::start(&t, input, &opts, &out, &|_, _| {}).expect("a campaign");
        let first = &s.manifest.sheets[0];
        let packed = std::fs::read(out.join(&first.keys)).expect("keys");
        let keys = zstd::decode_all(packed.as_slice()).expect("zstd keys");
        let sheet = std::fs::read(out.join(&first.file)).expect("sheet");
        // Decisions on some rows, so that decided rows are mutated too.
        let text = String::from_utf8(sheet).expect("UTF-8 sheet");
        let decided: String = text
            .split_inclusive('\n')
            .enumerate()
            .map(|(i, l)| match l.strip_suffix(",,\n") {
                Some(body) if i % 2 == 1 => format!("{body},revoke,\n"),
                _ => l.to_string(),
            })
            .collect();
        (keys, decided.into_bytes())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_export_lines_read_or_name_file_and_line(
        pick in any::<usize>(), other in any::<usize>(), ops in ops()
    ) {
        let seeds = export_seeds();
        let (file, seed) = &seeds[pick % seeds.len()];
        let bytes = mutate(seed, &seeds[other % seeds.len()].1, &ops);
        let (r, name) = read_with(file, &bytes);
        match r {
            Ok(_) => {}
            Err(e @ (ReadError::Record { .. } | ReadError::Duplicate { .. })) => {
                let msg = e.to_string();
                prop_assert!(msg.contains(&name) && msg.contains(" line "), "{}", msg);
            }
            Err(e) => prop_assert!(false, "unexpected error for `{}`: {}", name, e),
        }
    }

    #[test]
    fn mutated_manifest_reads_or_names_the_manifest(ops in ops()) {
        let seed = std::fs::read(Path::new(DEMO).join("manifest.json")).expect("manifest");
        let bytes = mutate(&seed, MANIFEST, &ops);
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("manifest.json"), &bytes).expect("manifest");
        match read_export(dir.path()) {
            Ok(_) => {}
            Err(e @ (ReadError::Manifest { .. } | ReadError::Version { .. })) => {
                prop_assert!(e.to_string().contains("manifest.json"), "{}", e);
            }
            Err(e) => prop_assert!(false, "unexpected error: {}", e),
        }
    }

    #[test]
    fn mutated_snapshot_is_refused_naming_the_file(ops in ops()) {
        let seed = snapshot_seed();
        let bytes = mutate(seed, seed, &ops);
        let r = p1graph::snapshot::decode(bytes.clone(), Path::new("mutated.p1g"));
        if bytes != *seed {
            // Every byte is under a checksum and the length is recorded: any change is refused.
            let e = r.expect_err("a changed snapshot is refused");
            prop_assert!(e.to_string().contains("mutated.p1g"), "{}", e);
        }
    }

    #[test]
    fn mutated_exceptions_parse_or_name_file_and_line(yaml in any::<bool>(), ops in ops()) {
        let (path, seed) = if yaml {
            ("accepted.yaml", "exception:\n  - rule: admin-without-mfa\n    identity: breakglass@northwindhealth.example\n    reason: \"break-glass; token in the safe\"\n    owner: iam@example.com\n    expires: \"2027-03-31\"\n  - rule: nesting-cycle\n    reason: known\n    owner: o\n    expires: 2027-03-31T12:00:00Z\n")
        } else {
            ("accepted.toml", "[[exception]]\nrule = \"admin-without-mfa\"\nidentity = \"breakglass@northwindhealth.example\"\nentitlement = \"r\"\nreason = \"break-glass; token in the safe\"\nowner = \"iam@example.com\"\nexpires = \"2027-03-31\"\n\n[[exception]]\nrule = \"nesting-cycle\"\nreason = \"known\"\nowner = \"o\"\nexpires = \"2027-03-31T12:00:00Z\"\n")
        };
        let bytes = mutate(seed.as_bytes(), seed.as_bytes(), &ops);
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = p1graph::findings::exceptions::parse(Path::new(path), &text) {
            let msg = e.to_string();
            prop_assert!(msg.contains(path) && msg.contains(" line "), "{}", msg);
        }
    }

    #[test]
    fn mutated_sheets_give_problems_on_real_lines(on_keys in any::<bool>(), ops in ops()) {
        let (keys, sheet) = sheet_seed();
        let (keys, sheet) = if on_keys {
            (mutate(keys, sheet, &ops), sheet.clone())
        } else {
            (keys.clone(), mutate(sheet, keys, &ops))
        };
        let keys = match parse_keys(Path::new("k.keys.csv.zst"), &keys) {
            Ok(k) => k,
            Err(e) => {
                prop_assert!(e.to_string().contains("k.keys.csv.zst"), "{}", e);
                return Ok(());
            }
        };
        let mut problems = Vec::new();
        let (rows, progress) = validate_sheet("s.csv", &sheet, &keys, &mut problems);
        let lines = sheet.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        // A deleted row is reported at its line in the original sheet (header + keys).
        let original = keys.len() as u64 + 1;
        for p in &problems {
            prop_assert_eq!(&p.file, "s.csv");
            prop_assert!(p.line <= lines.max(original), "{} beyond line {}", p, lines);
        }
        prop_assert!(rows.len() as u64 <= progress.rows);
        for r in &rows {
            prop_assert!(r.line >= 2 && r.line <= lines, "row at line {}", r.line);
        }
    }

    #[test]
    fn mutated_pages_give_items_or_name_the_path(ops in ops(), other in any::<bool>()) {
        let first = r#"{"_links":{"next":{"href":"https://h/v1/environments/e/users?limit=2&cursor=c1"}},"_embedded":{"users":[{"id":"u1"},{"id":"u2"}],"populations":[{"id":"p"}]},"count":3}"#;
        let second = r#"{"_links":{"next":{"href":"?cursor=c2"}},"_embedded":{"users":[{"id":"u3"}]}}"#;
        let q = ListQuery::new("/environments/e/users").param("limit", "2");
        let mut pager = Pager::new(&q, "https://h/v1").expect("a valid URL");
        let (seed, splice) = if other { (second, first) } else { (first, second) };
        for body in [seed.as_bytes().to_vec(), mutate(seed.as_bytes(), splice.as_bytes(), &ops)] {
            let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) else {
                return Ok(());
            };
            match pager.read(&json) {
                Err(e) => {
                    prop_assert!(e.to_string().contains("/environments/e/users"), "{}", e);
                    return Ok(());
                }
                Ok((items, more)) => {
                    prop_assert!(items.iter().all(|v| v.is_object()));
                    if !more {
                        return Ok(());
                    }
                    prop_assert!(pager.url().query_pairs().any(|(k, _)| k == "limit"));
                }
            }
        }
    }
}
