//! The findings export (access model, section 4) as CSV, JSON or Parquet, and a table for
//! people.
//!
//! CSV rows are formatted in parallel batches (as the access export): chunks of findings are
//! formatted on all cores into their own buffers and written in order, so the bytes do not
//! depend on the number of threads.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rayon::prelude::*;

use super::csv::Columns;
use super::output::{Output, OutputError};
use super::parquet::{Kind, Layout, ParquetError, ParquetWriter, RowChunk, Table};
use crate::findings::{FINDINGS_HEADER, Finding, Severity};

/// Output formats of `p1graph findings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FindingsFormat {
    Csv,
    Json,
    Table,
    Parquet,
}

/// CSV: one header line, one row per finding, RFC 4180.
pub fn to_csv(findings: &[Finding]) -> Vec<u8> {
    to_csv_columns(findings, None)
}

/// [`to_csv`] with only the `columns` asked for, in their order.
pub fn to_csv_columns(findings: &[Finding], columns: Option<&Columns>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + findings.len() * 200);
    let done: Result<(), std::convert::Infallible> = csv_batches(findings, columns, |b| {
        out.extend_from_slice(b);
        Ok(())
    });
    let Ok(()) = done;
    out
}

/// [`to_csv_columns`] streamed to `out`: one batch of formatted rows in memory at a time.
pub fn write_csv(
    findings: &[Finding],
    columns: Option<&Columns>,
    out: &mut Output,
) -> Result<(), OutputError> {
    csv_batches(findings, columns, |b| out.write_all(b))
}

/// Rows per chunk formatted by one worker, and chunks per batch.
const CHUNK: usize = 2048;
const BATCH: usize = 64;

/// The CSV, header first, handed to `sink` in order: each batch of rows is cut into chunks
/// formatted on all cores into their own buffers, so the bytes do not depend on the number of
/// threads.
fn csv_batches<E>(
    findings: &[Finding],
    columns: Option<&Columns>,
    mut sink: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    match columns {
        Some(c) => sink(&c.header(FINDINGS_HEADER))?,
        None => sink(format!("{FINDINGS_HEADER}\r\n").as_bytes())?,
    }
    for batch in findings.chunks(CHUNK * BATCH) {
        let parts: Vec<Vec<u8>> = batch
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut buf = Vec::with_capacity(chunk.len() * 200);
                for f in chunk {
                    super::csv::write_record(&fields(f), columns, &mut buf);
                }
                buf
            })
            .collect();
        for p in &parts {
            sink(p)?;
        }
    }
    Ok(())
}

/// A finding's cells as the CSV writes them, in header order.
fn fields(f: &Finding) -> [&str; 13] {
    [
        f.rule,
        f.severity.as_str(),
        &f.identity_type,
        &f.identity_id,
        &f.identity_name,
        &f.entitlement_type,
        &f.entitlement_id,
        &f.entitlement_name,
        &f.scope_type,
        &f.scope_id,
        &f.scope_name,
        &f.detail,
        &f.recommendation,
    ]
}

/// The findings export's columns for Parquet: all text; rule, severity, detail and
/// recommendation are always there, the identity, entitlement and scope columns are empty for
/// some rules (access model, section 4) and become nulls.
pub const FINDINGS_TABLE: Table = Table {
    header: FINDINGS_HEADER,
    kinds: &[
        Kind::Text,         // rule
        Kind::Text,         // severity
        Kind::OptionalText, // identity_type
        Kind::OptionalText, // identity_id
        Kind::OptionalText, // identity_name
        Kind::OptionalText, // entitlement_type
        Kind::OptionalText, // entitlement_id
        Kind::OptionalText, // entitlement_name
        Kind::OptionalText, // scope_type
        Kind::OptionalText, // scope_id
        Kind::OptionalText, // scope_name
        Kind::Text,         // detail
        Kind::Text,         // recommendation
    ],
};

/// The CSV's rows, in its order, as Parquet (`columns` honoured): one row group per batch.
pub fn write_parquet(
    findings: &[Finding],
    columns: Option<&Columns>,
    out: &mut Output,
) -> Result<u64, ParquetError> {
    let mut w = ParquetWriter::new(Layout::new(FINDINGS_TABLE, columns)?, out)?;
    let layout = std::sync::Arc::clone(w.layout());
    for batch in findings.chunks(CHUNK * BATCH) {
        let parts: Vec<RowChunk> = batch
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut rows = RowChunk::new(&layout, chunk.len());
                for f in chunk {
                    rows.push(&fields(f));
                }
                rows
            })
            .collect();
        w.write(parts)?;
    }
    w.finish()
}

/// JSON: an array of objects with the CSV's columns as members, plus `suppressed`: `null`, or
/// the exception that accepted the finding (reason, owner, expiry). Suppressed findings stay
/// visible here (they leave the CSV and the table), in the same order as the rest.
pub fn to_json(
    findings: &[Finding],
    suppressed: &[(Finding, crate::findings::exceptions::Exception)],
) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Suppression<'a> {
        reason: &'a str,
        owner: &'a str,
        expires: &'a str,
        exception: usize,
    }
    #[derive(serde::Serialize)]
    struct Row<'a> {
        #[serde(flatten)]
        finding: &'a Finding,
        suppressed: Option<Suppression<'a>>,
    }
    let mut rows: Vec<Row> = findings
        .iter()
        .map(|f| Row {
            finding: f,
            suppressed: None,
        })
        .chain(suppressed.iter().map(|(f, e)| Row {
            finding: f,
            suppressed: Some(Suppression {
                reason: &e.reason,
                owner: &e.owner,
                expires: &e.expires_text,
                exception: e.number,
            }),
        }))
        .collect();
    rows.sort_by(|a, b| a.finding.order(b.finding));
    let mut v = serde_json::to_vec_pretty(&rows).unwrap_or_else(|_| b"[]".to_vec());
    v.push(b'\n');
    v
}

/// Counts that accompany a table: suppressed and expired exceptions, for instance.
#[derive(Debug, Default, Clone)]
pub struct TableNotes {
    pub lines: Vec<String>,
}

/// A readable summary grouped by severity, with counts per rule; colored when `color`.
pub fn to_table(findings: &[Finding], notes: &TableNotes, color: bool) -> String {
    let paint = |sev: Severity, s: &str| -> String {
        if !color {
            return s.to_string();
        }
        let style = match sev {
            Severity::Critical => console::Style::new().red().bold(),
            Severity::High => console::Style::new().red(),
            Severity::Medium => console::Style::new().yellow(),
            Severity::Low => console::Style::new().cyan(),
            Severity::Info => console::Style::new().dim(),
        };
        style.apply_to(s).force_styling(true).to_string()
    };
    let mut out = String::new();
    let mut by_sev: BTreeMap<Severity, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_sev.entry(f.severity).or_default().push(f);
    }
    if findings.is_empty() {
        out.push_str("no findings\n");
    }
    for (sev, fs) in &by_sev {
        let _ = writeln!(
            out,
            "{} ({})",
            paint(*sev, &sev.as_str().to_uppercase()),
            fs.len()
        );
        let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
        for f in fs {
            *per_rule.entry(f.rule).or_default() += 1;
        }
        for (rule, n) in &per_rule {
            let _ = writeln!(out, "  {rule:<26} {n:>6}");
        }
        for f in fs.iter().take(20) {
            let who = if f.identity_name.is_empty() {
                &f.identity_id
            } else {
                &f.identity_name
            };
            // Names first (ids when the snapshot has no name), with the scope when there is one.
            let ent = if f.entitlement_name.is_empty() {
                &f.entitlement_id
            } else {
                &f.entitlement_name
            };
            let at = match (f.scope_type.is_empty(), f.scope_name.is_empty()) {
                (true, _) => String::new(),
                (false, true) => format!(" @ {}:{}", f.scope_type, f.scope_id),
                (false, false) => format!(" @ {}:{}", f.scope_type, f.scope_name),
            };
            let what = match (f.identity_id.is_empty(), f.entitlement_id.is_empty()) {
                (true, _) => format!("{} {ent}{at}", f.entitlement_type.to_lowercase()),
                (false, true) => who.to_string(),
                (false, false) => {
                    format!("{who} / {} {ent}{at}", f.entitlement_type.to_lowercase())
                }
            };
            let _ = writeln!(out, "    - [{}] {what}: {}", f.rule, f.detail);
        }
        if fs.len() > 20 {
            let _ = writeln!(
                out,
                "    ... {} more (use --format csv for all)",
                fs.len() - 20
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "total: {} finding(s)", findings.len());
    for l in &notes.lines {
        let _ = writeln!(out, "{l}");
    }
    out
}
