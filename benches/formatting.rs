//! Criterion benches of the row exports' formatting on a generated tenant: the access export as
//! CSV (all columns, the seven key columns) and Parquet, the findings and escalation exports as
//! CSV and Parquet. Resolution is part of the access figures (the export resolves as it
//! writes); findings and attack paths are computed once, outside the timed loop.
//!
//! 100,000 users by default (`p1graph synth --users 100000 --seed 7`); set
//! `P1GRAPH_BENCH_USERS=N` for another size. Throughput is the CSV's size in bytes, so criterion
//! prints MB/s.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use p1graph::export::read_export;
use p1graph::findings;
use p1graph::graph::attack::{AttackGraph, Escalations};
use p1graph::report::Output;
use p1graph::report::access::{
    ACCESS_HEADER, RowFormat, write_access_columns, write_access_parquet,
};
use p1graph::report::csv::Columns;
use p1graph::report::escalation::{PathFormat, PathRow, write_parquet, write_rows};
use p1graph::resolve::Resolver;
use p1graph::synth::generate_to_temp;

/// The columns that identify an access row.
const KEY_COLUMNS: &str =
    "identity_type,identity_id,environment_id,entitlement_type,entitlement_id,scope_type,scope_id";

fn users() -> u64 {
    std::env::var("P1GRAPH_BENCH_USERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

fn formatting(c: &mut Criterion) {
    let users = users();
    let (tmp, _stats) = generate_to_temp(users, 7).expect("generate tenant");
    let t = read_export(&tmp.path().join("export")).expect("read export");
    let r = Resolver::new(&t);
    let out_dir = tempfile::tempdir().unwrap();
    let file = |name: &str| out_dir.path().join(name);
    let key = Columns::parse(KEY_COLUMNS, ACCESS_HEADER).unwrap();

    // Sizes of the CSVs, for throughput.
    let csv_size = |columns: Option<&Columns>| {
        let mut out = Output::create(Some(&file("size.csv"))).unwrap();
        let s = write_access_columns(&r, RowFormat::Csv, columns, &mut out, &|_, _| {}).unwrap();
        out.finish().unwrap();
        s.bytes
    };
    let full_bytes = csv_size(None);
    let key_bytes = csv_size(Some(&key));

    let mut g = c.benchmark_group("format_access");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    for (label, columns, bytes) in [("all", None, full_bytes), ("key7", Some(&key), key_bytes)] {
        g.throughput(Throughput::Bytes(bytes));
        g.bench_with_input(BenchmarkId::new("csv", label), &users, |b, _| {
            b.iter(|| {
                let mut out = Output::create(Some(&file("a.csv"))).unwrap();
                let s = write_access_columns(&r, RowFormat::Csv, columns, &mut out, &|_, _| {})
                    .unwrap();
                out.finish().unwrap();
                black_box(s.rows)
            })
        });
        g.bench_with_input(BenchmarkId::new("parquet", label), &users, |b, _| {
            b.iter(|| {
                let mut out = Output::create(Some(&file("a.parquet"))).unwrap();
                let s = write_access_parquet(&r, None, columns, &mut out, &|_, _| {}).unwrap();
                out.finish().unwrap();
                black_box(s.rows)
            })
        });
    }
    g.finish();

    let cfg = findings::Config::for_tenant(&t);
    let found = findings::run(&r, &cfg, &findings::registry());
    let graph = AttackGraph::build(&r);
    let esc = Escalations::compute(&graph);
    let rows = || {
        esc.rows().map(|e| PathRow {
            actor: e.actor,
            privilege: e.privilege,
            steps: e.steps,
            path: e.path,
        })
    };
    let mut g = c.benchmark_group("format_rows");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Bytes(
        p1graph::report::findings::to_csv(&found).len() as u64,
    ));
    g.bench_with_input(BenchmarkId::new("findings_csv", users), &users, |b, _| {
        b.iter(|| {
            let mut out = Output::create(Some(&file("f.csv"))).unwrap();
            p1graph::report::findings::write_csv(&found, None, &mut out).unwrap();
            out.finish().unwrap();
        })
    });
    g.bench_with_input(
        BenchmarkId::new("findings_parquet", users),
        &users,
        |b, _| {
            b.iter(|| {
                let mut out = Output::create(Some(&file("f.parquet"))).unwrap();
                let n = p1graph::report::findings::write_parquet(&found, None, &mut out).unwrap();
                out.finish().unwrap();
                black_box(n)
            })
        },
    );
    let esc_bytes = {
        let mut out = Output::create(Some(&file("e.csv"))).unwrap();
        write_rows(&graph, rows(), PathFormat::Csv, &mut out).unwrap();
        out.finish().unwrap();
        std::fs::metadata(file("e.csv")).unwrap().len()
    };
    g.throughput(Throughput::Bytes(esc_bytes));
    g.bench_with_input(BenchmarkId::new("escalation_csv", users), &users, |b, _| {
        b.iter(|| {
            let mut out = Output::create(Some(&file("e.csv"))).unwrap();
            let n = write_rows(&graph, rows(), PathFormat::Csv, &mut out).unwrap();
            out.finish().unwrap();
            black_box(n)
        })
    });
    g.bench_with_input(
        BenchmarkId::new("escalation_parquet", users),
        &users,
        |b, _| {
            b.iter(|| {
                let mut out = Output::create(Some(&file("e.parquet"))).unwrap();
                let n = write_parquet(&graph, rows(), None, &mut out).unwrap();
                out.finish().unwrap();
                black_box(n)
            })
        },
    );
    g.finish();
}

criterion_group!(benches, formatting);
criterion_main!(benches);
