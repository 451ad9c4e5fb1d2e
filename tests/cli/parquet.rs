//! `--format parquet`: the file holds exactly the CSV's rows, in order, typed; read back with the
//! parquet crate's own reader on the demo tenant and a generated one, with and without
//! `--columns`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use parquet::basic::{LogicalType, Repetition, Type as Physical};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::cargo_bin("p1graph")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

/// A generated tenant (with escalation chains, so every export has rows).
fn synth(dir: &Path) -> PathBuf {
    let out = dir.join("synth");
    let (code, _, err) = run(&[
        "synth",
        "-q",
        "--users",
        "700",
        "--seed",
        "11",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    out
}

/// Header and records of a CSV file.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rd = csv::Reader::from_path(path).unwrap();
    let header = rd.headers().unwrap().iter().map(str::to_string).collect();
    let rows = rd
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// A Parquet file as the CSV would show it (a null is an empty cell), and its number of nulls.
fn read_parquet(path: &Path) -> (Vec<String>, Vec<Vec<String>>, usize) {
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr();
    let header = schema
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let mut nulls = 0;
    let mut rows = Vec::new();
    for row in reader.get_row_iter(None).unwrap() {
        let row = row.unwrap();
        let cells = row
            .get_column_iter()
            .map(|(name, f)| match f {
                Field::Null => {
                    nulls += 1;
                    String::new()
                }
                Field::Str(s) => s.clone(),
                Field::Bool(b) => b.to_string(),
                Field::Long(n) => n.to_string(),
                other => panic!("column {name}: unexpected {other:?}"),
            })
            .collect();
        rows.push(cells);
    }
    (header, rows, nulls)
}

/// The physical type, logical type and repetition of each column.
fn column_types(path: &Path) -> Vec<(String, Physical, Option<LogicalType>, Repetition)> {
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr();
    schema
        .columns()
        .iter()
        .map(|c| {
            let t = c.self_type();
            (
                c.name().to_string(),
                c.physical_type(),
                c.logical_type_ref().cloned(),
                t.get_basic_info().repetition(),
            )
        })
        .collect()
}

const EXPORTS: [(&str, &str); 3] = [
    (
        "access",
        "identity_id,identity_type,entitlement_type,entitlement_id,scope_type,scope_id,environment_id,enabled",
    ),
    ("findings", "severity,rule,identity_id,scope_name,detail"),
    ("escalation", "steps,identity_id,role_name,scope_id"),
];

#[test]
fn parquet_holds_the_csv_rows_in_order_with_and_without_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = [demo(), synth(tmp.path())];
    for input in &inputs {
        let input = input.to_str().unwrap();
        for (cmd, cols) in EXPORTS {
            for columns in [None, Some(cols)] {
                let csv_path = tmp.path().join(format!("{cmd}.csv"));
                let pq_path = tmp.path().join(format!("{cmd}.parquet"));
                let mut args = vec![cmd, "-q", "--input", input];
                if let Some(c) = columns {
                    args.extend(["--columns", c]);
                }
                let mut a = args.clone();
                a.extend(["--format", "csv", "--out", csv_path.to_str().unwrap()]);
                let (code, _, err) = run(&a);
                assert_eq!(code, 0, "{cmd} csv: {err}");
                let mut a = args.clone();
                a.extend(["--format", "parquet", "--out", pq_path.to_str().unwrap()]);
                let (code, _, err) = run(&a);
                assert_eq!(code, 0, "{cmd} parquet: {err}");

                let (csv_header, csv_rows) = read_csv(&csv_path);
                let (pq_header, pq_rows, _) = read_parquet(&pq_path);
                assert_eq!(pq_header, csv_header, "{input} {cmd} {columns:?}");
                assert!(!csv_rows.is_empty(), "{input} {cmd}: no rows to compare");
                assert_eq!(pq_rows.len(), csv_rows.len(), "{input} {cmd} {columns:?}");
                for (i, (p, c)) in pq_rows.iter().zip(&csv_rows).enumerate() {
                    assert_eq!(p, c, "{input} {cmd} {columns:?}: row {}", i + 1);
                }
            }
        }
    }
}

#[test]
fn parquet_columns_are_typed_and_empty_optional_cells_are_null() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = demo();
    let demo = demo.to_str().unwrap();
    let mut types = Vec::new();
    let mut nulls = Vec::new();
    for (cmd, _) in EXPORTS {
        let path = tmp.path().join(format!("{cmd}.parquet"));
        let (code, _, err) = run(&[
            cmd,
            "-q",
            "--input",
            demo,
            "--format",
            "parquet",
            "--out",
            path.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        types.push(column_types(&path));
        nulls.push(read_parquet(&path).2);
    }
    let find = |t: &Vec<(String, Physical, Option<LogicalType>, Repetition)>, name: &str| {
        t.iter().find(|c| c.0 == name).cloned().unwrap()
    };
    let (_, p, l, r) = find(&types[0], "enabled");
    assert_eq!((p, l, r), (Physical::BOOLEAN, None, Repetition::REQUIRED));
    let (_, p, l, r) = find(&types[0], "identity_id");
    assert_eq!(
        (p, l, r),
        (
            Physical::BYTE_ARRAY,
            Some(LogicalType::String),
            Repetition::REQUIRED
        )
    );
    let (_, p, l, r) = find(&types[0], "scope_name");
    assert_eq!(
        (p, l, r),
        (
            Physical::BYTE_ARRAY,
            Some(LogicalType::String),
            Repetition::OPTIONAL
        )
    );
    let (_, p, _, r) = find(&types[2], "steps");
    assert_eq!((p, r), (Physical::INT64, Repetition::REQUIRED));
    assert!(
        types[1].iter().all(|c| c.2 == Some(LogicalType::String)),
        "findings are all text: {:?}",
        types[1]
    );
    // The demo has open applications (findings without an identity) and OPEN access rows
    // (no sources): their empty cells are nulls, not empty strings.
    assert!(nulls[0] > 0 && nulls[1] > 0, "nulls: {nulls:?}");
}

#[test]
fn parquet_to_a_pipe_equals_the_file_and_two_runs_are_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = demo();
    let demo = demo.to_str().unwrap();
    let path = tmp.path().join("a.parquet");
    let (code, _, err) = run(&[
        "access",
        "-q",
        "--input",
        demo,
        "--format",
        "parquet",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, piped, err) = run(&["access", "-q", "--input", demo, "--format", "parquet"]);
    assert_eq!(code, 0, "{err}");
    let file = std::fs::read(&path).unwrap();
    assert!(file.starts_with(b"PAR1") && file.ends_with(b"PAR1"));
    assert_eq!(piped, file);
}

#[test]
fn parquet_refuses_a_column_named_twice_before_reading_the_input() {
    let (code, out, err) = run(&[
        "access",
        "--input",
        "/nonexistent/tenant",
        "--format",
        "parquet",
        "--columns",
        "identity_id,via,identity_id",
        "--out",
        "/nonexistent/a.parquet",
    ]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("`identity_id` is named twice"),
        "stderr: {err}"
    );
}

#[test]
fn json_still_refuses_columns() {
    let (code, _, err) = run(&[
        "escalation",
        "--input",
        demo().to_str().unwrap(),
        "--format",
        "json",
        "--columns",
        "steps",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--columns applies to --format csv and --format parquet"),
        "stderr: {err}"
    );
}
