//! The architecture stays visible: every `crate::` path in `src/` points to the same layer or a
//! lower one (`../shared/design/style.md`, "A layout that shows the data flow").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module and the modules it may use. `cli` and `main` may use everything.
const ALLOWED: &[(&str, &[&str])] = &[
    ("cleanup", &[]),
    ("model", &[]),
    ("export", &["model", "cleanup"]),
    ("snapshot", &["model", "cleanup"]),
    ("usage", &["model"]),
    ("pingone", &["export", "model", "cleanup"]),
    ("synth", &["export", "model", "cleanup"]),
    (
        "input",
        &["export", "snapshot", "usage", "model", "cleanup"],
    ),
    ("resolve", &["model"]),
    ("graph", &["resolve", "model"]),
    ("findings", &["graph", "resolve", "usage", "model"]),
    ("diff", &["findings", "graph", "resolve", "model"]),
    (
        "report",
        &[
            "diff", "findings", "graph", "resolve", "usage", "model", "cleanup",
        ],
    ),
    // A file of a module may have its own, narrower row (`module/file`): the Parquet writer
    // takes CSV fields and knows nothing of the engine.
    ("report/parquet", &[]),
    (
        "review",
        &[
            "findings", "graph", "resolve", "usage", "model", "report", "cleanup",
        ],
    ),
    (
        "error",
        &[
            "export", "snapshot", "usage", "pingone", "synth", "input", "resolve", "graph",
            "findings", "diff", "report", "review",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `crate::X` module names used by the non-test, non-comment lines of `text`.
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("#[cfg(test)]") {
            break; // unit tests may use anything
        }
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + 7..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Upward imports as `module file -> used module`.
fn violations(src: &Path, allowed: &BTreeMap<&str, BTreeSet<&str>>) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut bad = Vec::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if matches!(module.as_str(), "cli" | "main" | "lib") || rel.ends_with("tests.rs") {
            continue;
        }
        let file = rel.with_extension("").to_string_lossy().replace('\\', "/");
        let Some(ok) = allowed
            .get(file.as_str())
            .or_else(|| allowed.get(module.as_str()))
        else {
            bad.push(format!(
                "{}: module `{module}` is not in the layer table",
                rel.display()
            ));
            continue;
        };
        for used in uses(&std::fs::read_to_string(&f).unwrap()) {
            let used_top = used.as_str();
            // `crate::Error` is the top-level error type: only the error layer and above.
            let used_mod = if used_top == "Error" {
                "error"
            } else {
                used_top
            };
            if used_mod != module && !ok.contains(used_mod) {
                bad.push(format!("{} uses crate::{used}", rel.display()));
            }
        }
    }
    bad
}

fn table() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    ALLOWED
        .iter()
        .map(|(m, ok)| (*m, ok.iter().copied().collect()))
        .collect()
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = violations(&src, &table());
    assert!(bad.is_empty(), "upward imports:\n{}", bad.join("\n"));
}

#[test]
fn the_layer_check_catches_an_upward_import() {
    // A copy of `src/model` with one upward import added must fail the check.
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("model")).unwrap();
    std::fs::write(
        src.join("model/mod.rs"),
        "//! crate::report in a comment is fine\nuse crate::report::Output;\n#[cfg(test)]\nmod tests { use crate::cli; }\n",
    )
    .unwrap();
    std::fs::create_dir_all(src.join("report")).unwrap();
    std::fs::write(src.join("report/parquet.rs"), "use crate::model::Tenant;\n").unwrap();
    let bad = violations(&src, &table());
    assert_eq!(
        bad,
        vec![
            "model/mod.rs uses crate::report".to_string(),
            "report/parquet.rs uses crate::model".to_string()
        ],
        "a file with its own row is held to it"
    );
}
