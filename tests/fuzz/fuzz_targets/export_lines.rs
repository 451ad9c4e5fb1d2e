//! The export line reader, for every collection: the first byte picks the collection, the
//! rest is its `.jsonl` file in a one-environment export directory. Any bytes either read or
//! give an error naming the file (and the line, for a record), never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use p1graph::export::{Collection, ReadError, read_export};

const ENV: &str = "0264e7e7-5ac8-5ac5-87df-603dc385a343";

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    std::fs::write(
        root.join("manifest.json"),
        br#"{"format":"p1graph-export","version":1,"capturedAt":"2026-11-01T00:00:00Z","organization":{"id":"o1","name":"Org"}}"#,
    )
    .expect("write the manifest");
    let env_dir = root.join("environments").join(ENV);
    std::fs::create_dir_all(&env_dir).expect("environment directory");
    let env_line = format!(
        "{{\"id\":\"{ENV}\",\"name\":\"Prod\",\"type\":\"PRODUCTION\",\"organization\":{{\"id\":\"o1\"}}}}\n"
    );
    let per_env = Collection::PER_ENVIRONMENT;
    let n = per_env.len() + 2;
    let file = match usize::from(pick) % n {
        i if i < per_env.len() => {
            std::fs::write(root.join("environments.jsonl"), &env_line).expect("environments");
            env_dir.join(format!("{}.jsonl", per_env[i].stem()))
        }
        i if i == per_env.len() => root.join("environments.jsonl"),
        _ => {
            std::fs::write(root.join("environments.jsonl"), &env_line).expect("environments");
            root.join("roles.jsonl")
        }
    };
    std::fs::write(&file, body).expect("write the collection");
    check(read_export(root), &file);
});

fn check(r: Result<p1graph::model::Tenant, ReadError>, file: &Path) {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match r {
        Ok(_) => {}
        Err(e @ (ReadError::Record { .. } | ReadError::Duplicate { .. })) => {
            let msg = e.to_string();
            assert!(msg.contains(name) && msg.contains(" line "), "{msg}");
        }
        Err(e) => panic!("unexpected error for `{name}`: {e}"),
    }
}
