//! The escalation export (attack-path model, section 4) and the rows of `who-can`: CSV, JSON,
//! Parquet, a table for people, and drawings (dot, Mermaid) of the paths.
//!
//! CSV rows are formatted in parallel: batches of rows are cut into chunks, each chunk formatted
//! on one core into its own buffer (path text and fields in reusable scratch), and the chunks
//! written in order through [`Output`], so the bytes do not depend on the number of threads and
//! only one batch is in memory. Other formats are written one row at a time, in the order the
//! engine yields them (already the export's order).

use std::fmt::Write as _;

use petgraph::graph::EdgeIndex;

use super::access::identity_columns;
use super::output::{Output, OutputError};
use super::parquet::{Kind, Layout, ParquetError, ParquetWriter, RowChunk, Table};
use crate::graph::attack::render::{PathDrawing, path_text, privilege_label};
use crate::graph::attack::{AttackGraph, PrivId};
use crate::resolve::Identity;

/// The header of the escalation export.
pub const ESCALATION_HEADER: &str = "identity_type,identity_id,identity_name,environment_id,role_id,role_name,scope_type,scope_id,scope_name,steps,path";

/// Output formats of the escalation export and `who-can`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PathFormat {
    Csv,
    Json,
    Table,
    Dot,
    Mermaid,
}

/// One row to write: an actor, a privilege, its least steps, and one least-cost path (no
/// edges: the actor holds the privilege).
#[derive(Clone, Copy, Debug)]
pub struct PathRow<'a> {
    pub actor: Identity,
    pub privilege: PrivId,
    pub steps: u32,
    pub path: &'a [EdgeIndex],
}

/// Writes `rows` in `format`; returns the number of rows.
pub fn write_rows<'a>(
    g: &AttackGraph,
    rows: impl Iterator<Item = PathRow<'a>>,
    format: PathFormat,
    out: &mut Output,
) -> Result<u64, OutputError> {
    write_rows_columns(g, rows, format, None, out)
}

/// [`write_rows`] with only the `columns` asked for (CSV), in their order.
pub fn write_rows_columns<'a>(
    g: &AttackGraph,
    rows: impl Iterator<Item = PathRow<'a>>,
    format: PathFormat,
    columns: Option<&super::csv::Columns>,
    out: &mut Output,
) -> Result<u64, OutputError> {
    match format {
        PathFormat::Csv => {
            use rayon::prelude::*;
            const CHUNK: usize = 2048;
            const BATCH: usize = 64 * CHUNK;
            match columns {
                Some(c) => out.write_all(&c.header(ESCALATION_HEADER))?,
                None => {
                    out.write_all(ESCALATION_HEADER.as_bytes())?;
                    out.write_all(b"\r\n")?;
                }
            }
            let mut n = 0u64;
            let mut rows = rows.peekable();
            let mut batch: Vec<PathRow> = Vec::with_capacity(BATCH);
            let buffers = super::buffers::Buffers::new(CHUNK * 256);
            while rows.peek().is_some() {
                batch.clear();
                batch.extend(rows.by_ref().take(BATCH));
                let parts: Vec<Vec<u8>> = batch
                    .par_chunks(CHUNK)
                    .map_init(String::new, |path, chunk| {
                        let mut buf = buffers.take();
                        let mut steps = itoa_buf();
                        for r in chunk {
                            path.clear();
                            row_path(g, r, path);
                            let st = itoa(r.steps, &mut steps);
                            super::csv::write_record(&fields(g, r, st, path), columns, &mut buf);
                        }
                        buffers.filled(buf.len());
                        buf
                    })
                    .collect();
                for p in parts {
                    out.write_all(&p)?;
                    buffers.give(p);
                }
                n += batch.len() as u64;
            }
            Ok(n)
        }
        PathFormat::Json => {
            out.write_all(b"[")?;
            let mut n = 0;
            let mut path = String::new();
            for r in rows {
                path.clear();
                row_path(g, &r, &mut path);
                let steps = r.steps.to_string();
                let f = fields(g, &r, &steps, &path);
                let v = serde_json::json!({
                    "identity_type": f[0], "identity_id": f[1], "identity_name": f[2],
                    "environment_id": f[3], "role_id": f[4], "role_name": f[5],
                    "scope_type": f[6], "scope_id": f[7], "scope_name": f[8],
                    "steps": r.steps, "path": f[10],
                });
                out.write_all(if n == 0 { b"\n" } else { b",\n" })?;
                let line = serde_json::to_string(&v).map_err(|source| OutputError::Serialize {
                    what: "an escalation row",
                    source,
                })?;
                out.write_all(line.as_bytes())?;
                n += 1;
            }
            out.write_all(if n == 0 { b"]\n" } else { b"\n]\n" })?;
            Ok(n)
        }
        PathFormat::Table => {
            let mut s = String::new();
            let mut n = 0;
            let mut last: Option<Identity> = None;
            let mut actors = 0;
            for r in rows {
                if last != Some(r.actor) {
                    let (id, name, _, _) = identity_columns(g.t, r.actor);
                    let _ = writeln!(s, "{} {name} ({id})", r.actor.type_str());
                    last = Some(r.actor);
                    actors += 1;
                }
                s.push_str("  ");
                privilege_label(g, r.privilege, &mut s);
                let _ = writeln!(
                    s,
                    "  [{} step{}]",
                    r.steps,
                    if r.steps == 1 { "" } else { "s" }
                );
                s.push_str("    ");
                row_path(g, &r, &mut s);
                s.push('\n');
                n += 1;
                out.write_all(s.as_bytes())?;
                s.clear();
            }
            let _ = writeln!(
                s,
                "{n} row(s), {actors} identit{}",
                if actors == 1 { "y" } else { "ies" }
            );
            out.write_all(s.as_bytes())?;
            Ok(n)
        }
        PathFormat::Dot | PathFormat::Mermaid => {
            let mut d = PathDrawing::default();
            let mut n = 0;
            for r in rows {
                d.add_path(g, r.actor, Some(r.privilege), r.path);
                n += 1;
            }
            let text = if format == PathFormat::Dot {
                d.to_dot()
            } else {
                d.to_mermaid()
            };
            out.write_all(text.as_bytes())?;
            Ok(n)
        }
    }
}

/// The escalation export's columns for Parquet: `steps` is an integer; names and
/// `environment_id` may be empty and become nulls.
pub const ESCALATION_TABLE: Table = Table {
    header: ESCALATION_HEADER,
    kinds: &[
        Kind::Text,         // identity_type
        Kind::Text,         // identity_id
        Kind::OptionalText, // identity_name
        Kind::OptionalText, // environment_id
        Kind::Text,         // role_id
        Kind::OptionalText, // role_name
        Kind::Text,         // scope_type
        Kind::Text,         // scope_id
        Kind::OptionalText, // scope_name
        Kind::Int64,        // steps
        Kind::Text,         // path
    ],
};

/// The CSV's rows, in its order, as Parquet (`columns` honoured): one row group per batch of
/// rows, laid out in columns on all cores while the previous batch is encoded.
pub fn write_parquet<'a>(
    g: &AttackGraph,
    rows: impl Iterator<Item = PathRow<'a>>,
    columns: Option<&super::csv::Columns>,
    out: &mut Output,
) -> Result<u64, ParquetError> {
    use rayon::prelude::*;
    const CHUNK: usize = 2048;
    const BATCH: usize = 64 * CHUNK;
    let mut w = ParquetWriter::new(Layout::new(ESCALATION_TABLE, columns)?, out)?;
    let layout = std::sync::Arc::clone(w.layout());
    let format = |batch: &[PathRow]| -> Vec<RowChunk> {
        batch
            .par_chunks(CHUNK)
            .map_init(String::new, |path, chunk| {
                let mut cols = RowChunk::new(&layout, chunk.len());
                let mut steps = itoa_buf();
                for r in chunk {
                    path.clear();
                    row_path(g, r, path);
                    let st = itoa(r.steps, &mut steps);
                    cols.push(&fields(g, r, st, path));
                }
                cols
            })
            .collect()
    };
    let mut rows = rows.peekable();
    let mut batch: Vec<PathRow> = Vec::with_capacity(BATCH);
    let mut pending: Option<Vec<RowChunk>> = None;
    while rows.peek().is_some() {
        batch.clear();
        batch.extend(rows.by_ref().take(BATCH));
        let (written, next) = rayon::join(
            || pending.take().map_or(Ok(()), |p| w.write(p)),
            || format(&batch),
        );
        written?;
        pending = Some(next);
    }
    if let Some(p) = pending {
        w.write(p)?;
    }
    w.finish()
}

fn itoa_buf() -> [u8; 10] {
    [0; 10]
}

/// `n` in decimal, without allocating.
fn itoa(mut n: u32, buf: &mut [u8; 10]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

fn row_path(g: &AttackGraph, r: &PathRow, out: &mut String) {
    path_text(g, r.actor, Some(r.privilege), r.path, out);
}

/// The eleven columns of a row.
fn fields<'g>(g: &'g AttackGraph, r: &PathRow, steps: &'g str, path: &'g str) -> [&'g str; 11] {
    let t = g.t;
    let (id, name, env, _) = identity_columns(t, r.actor);
    let p = g.privilege(r.privilege);
    [
        r.actor.type_str(),
        id,
        name,
        env,
        t.s(p.role_id),
        p.role.map_or("", |x| t.s(t.roles[x.idx()].name)),
        t.scope_kind_str(p.scope.kind),
        t.s(p.scope.id),
        t.scope_target_name(p.scope).unwrap_or(""),
        steps,
        path,
    ]
}
