//! Criterion benches of every pipeline stage on generated tenants.
//!
//! Sizes: 10,000 and 100,000 users by default; set `P1GRAPH_BENCH_LARGE=1` to add 1,000,000
//! (generation alone takes a while and the export is several GB on disk). Each tenant is generated
//! once into a temporary directory with the same seed as `p1graph synth --seed 7`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rayon::prelude::*;

use p1graph::export::read_export;
use p1graph::findings;
use p1graph::graph::TenantGraph;
use p1graph::graph::attack::{AttackGraph, Escalations};
use p1graph::report::Output;
use p1graph::report::access::{RowFormat, write_access};
use p1graph::resolve::{Access, Resolver};
use p1graph::snapshot;
use p1graph::synth::generate_to_temp;

fn sizes() -> Vec<u64> {
    let mut v = vec![10_000, 100_000];
    if std::env::var_os("P1GRAPH_BENCH_LARGE").is_some() {
        v.push(1_000_000);
    }
    v
}

fn pipeline(c: &mut Criterion) {
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for users in sizes() {
        let (tmp, _stats) = generate_to_temp(users, 7).expect("generate tenant");
        let dir = tmp.path().join("export");
        let t = read_export(&dir).expect("read export");
        g.bench_with_input(BenchmarkId::new("read_export", users), &users, |b, _| {
            b.iter(|| black_box(read_export(&dir).unwrap()))
        });
        g.bench_with_input(BenchmarkId::new("build_graph", users), &users, |b, _| {
            b.iter(|| black_box(TenantGraph::build(&t).graph.edge_count()))
        });
        g.bench_with_input(BenchmarkId::new("resolve_all", users), &users, |b, _| {
            b.iter(|| {
                let r = Resolver::new(&t);
                let ids = r.identities_in_order();
                let rows: usize = ids
                    .par_iter()
                    .map_init(Access::default, |a, &id| {
                        r.resolve(id, a);
                        a.roles.len() + a.apps.len() + a.scopes.len()
                    })
                    .sum();
                black_box(rows)
            })
        });
        let r = Resolver::new(&t);
        let cfg = findings::Config::for_tenant(&t);
        let rules = findings::registry();
        g.bench_with_input(BenchmarkId::new("findings", users), &users, |b, _| {
            b.iter(|| black_box(findings::run(&r, &cfg, &rules).len()))
        });
        g.bench_with_input(BenchmarkId::new("attack_paths", users), &users, |b, _| {
            b.iter(|| {
                let graph = AttackGraph::build(&r);
                black_box(Escalations::compute(&graph).len())
            })
        });
        let out_dir = tempfile::tempdir().unwrap();
        let csv = out_dir.path().join("access.csv");
        g.bench_with_input(
            BenchmarkId::new("write_access_csv", users),
            &users,
            |b, _| {
                b.iter(|| {
                    let mut out = Output::create(Some(&csv)).unwrap();
                    let s = write_access(&r, RowFormat::Csv, &mut out, &|_, _| {}).unwrap();
                    out.finish().unwrap();
                    black_box(s.bytes)
                })
            },
        );
        let snap = out_dir.path().join("t.p1g");
        g.bench_with_input(BenchmarkId::new("snapshot_save", users), &users, |b, _| {
            b.iter(|| black_box(snapshot::save(&t, &snap).unwrap()))
        });
        g.bench_with_input(BenchmarkId::new("snapshot_load", users), &users, |b, _| {
            b.iter(|| black_box(snapshot::load(&snap).unwrap().users.len()))
        });
    }
    g.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
