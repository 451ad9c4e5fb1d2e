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
use super::table::{Column, Table as TextTable};
use crate::findings::{FINDINGS_HEADER, Finding, Severity, rank};
use crate::model::Tenant;

/// Output formats of `p1graph findings`: the row exports' formats.
pub use super::RowsFormat as FindingsFormat;

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
    let buffers = super::buffers::Buffers::new(CHUNK * 200);
    for batch in findings.chunks(CHUNK * BATCH) {
        let parts: Vec<Vec<u8>> = batch
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut buf = buffers.take();
                for f in chunk {
                    super::csv::write_record(&fields(f), columns, &mut buf);
                }
                buffers.filled(buf.len());
                buf
            })
            .collect();
        for p in parts {
            sink(&p)?;
            buffers.give(p);
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
) -> Result<Vec<u8>, super::output::OutputError> {
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
    super::json::pretty_named(&rows, "the findings")
}

/// Counts that accompany a table: suppressed and expired exceptions, for instance.
#[derive(Debug, Default, Clone)]
pub struct TableNotes {
    pub lines: Vec<String>,
}

/// How a findings table is drawn.
#[derive(Clone, Copy, Debug)]
pub struct TableOptions {
    pub color: bool,
    /// At most this many rows (`None`: all).
    pub limit: Option<usize>,
    /// Ids instead of names.
    pub ids: bool,
    /// Render at most this wide.
    pub width: usize,
}

/// The default number of rows of a findings table.
pub const DEFAULT_LIMIT: usize = 30;

fn paint(color: bool, sev: Severity, s: &str) -> String {
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
}

/// `name` when there is one (and ids are not asked for), else `id`.
fn named<'a>(name: &'a str, id: &'a str, ids: bool) -> &'a str {
    if ids || name.is_empty() { id } else { name }
}

/// The scope cell: `TYPE name` (or id).
fn scope_cell(f: &Finding, ids: bool) -> String {
    if f.scope_type.is_empty() {
        return String::new();
    }
    format!(
        "{} {}",
        f.scope_type.to_lowercase(),
        named(&f.scope_name, &f.scope_id, ids)
    )
}

/// The findings as a table for a person: every rule that fired with its count, worst first,
/// then the findings ranked by [`crate::findings::rank::ranked`], names instead of ids.
pub fn to_table(t: &Tenant, findings: &[Finding], notes: &TableNotes, o: TableOptions) -> String {
    let mut out = String::new();
    if findings.is_empty() {
        out.push_str("no findings\n");
        for l in &notes.lines {
            let _ = writeln!(out, "{l}");
        }
        return out;
    }
    let fired = rank::rules_fired(findings);
    let mut by_sev: BTreeMap<Severity, usize> = BTreeMap::new();
    for f in findings {
        *by_sev.entry(f.severity).or_default() += 1;
    }
    let counts: Vec<String> = by_sev
        .iter()
        .map(|(s, n)| paint(o.color, *s, &format!("{n} {}", s.as_str())))
        .collect();
    let _ = writeln!(
        out,
        "{} finding(s): {}; {} rule(s) fired",
        findings.len(),
        counts.join(", "),
        fired.len()
    );
    let mut rules = TextTable::new(vec![
        Column::keep("SEVERITY"),
        Column::keep("RULE"),
        Column::number("FINDINGS"),
    ]);
    for (s, r, n) in &fired {
        rules.row([s.as_str().to_string(), r.to_string(), n.to_string()]);
    }
    out.push('\n');
    out.push_str(&colorize_severity(rules.render(o.width), o.color));
    let ranked = rank::ranked(t, findings);
    let shown = o.limit.unwrap_or(usize::MAX).min(ranked.len());
    let mut table = TextTable::new(vec![
        Column::keep("SEVERITY"),
        Column::keep("RULE"),
        Column::shrink("IDENTITY", 12),
        Column::shrink("ENTITLEMENT @ SCOPE", 16),
        Column::shrink("DETAIL", 24),
    ]);
    for f in &ranked[..shown] {
        let ent = match (f.entitlement_type.is_empty(), f.scope_type.is_empty()) {
            (true, true) => String::new(),
            (true, false) => scope_cell(f, o.ids),
            (false, true) => format!(
                "{} {}",
                f.entitlement_type.to_lowercase(),
                named(&f.entitlement_name, &f.entitlement_id, o.ids)
            ),
            (false, false) => format!(
                "{} @ {}",
                named(&f.entitlement_name, &f.entitlement_id, o.ids),
                scope_cell(f, o.ids)
            ),
        };
        table.row([
            f.severity.as_str().to_string(),
            f.rule.to_string(),
            named(&f.identity_name, &f.identity_id, o.ids).to_string(),
            ent,
            f.detail.clone(),
        ]);
    }
    out.push('\n');
    out.push_str(&colorize_severity(table.render(o.width), o.color));
    out.push('\n');
    if shown < ranked.len() {
        let _ = writeln!(
            out,
            "showing {shown} of {} (worst first, a few of every rule before the rest); --all shows every row, --format csv writes the export",
            ranked.len()
        );
    } else {
        let _ = writeln!(out, "showing all {shown}");
    }
    out.push_str(&table.cut_note());
    for l in &notes.lines {
        let _ = writeln!(out, "{l}");
    }
    out
}

/// Colors the severity word at the start of each row of a rendered table.
fn colorize_severity(rendered: String, color: bool) -> String {
    if !color {
        return rendered;
    }
    let mut out = String::with_capacity(rendered.len() + 64);
    for line in rendered.lines() {
        let sev = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Info,
        ]
        .into_iter()
        .find(|s| line.starts_with(s.as_str()) && line[s.as_str().len()..].starts_with(' '));
        match sev {
            Some(s) => {
                out.push_str(&paint(true, s, s.as_str()));
                out.push_str(&line[s.as_str().len()..]);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The header of `findings --by identity --format csv`.
pub const BY_IDENTITY_HEADER: &str = "identity_type,identity_id,identity_name,worst,critical,high,medium,low,info,findings,broadest_scope,rules";

/// Findings rolled up per identity ([`rank::by_identity`]) as CSV, JSON or a table.
pub fn by_identity(
    risks: &[rank::IdentityRisk],
    format: FindingsFormat,
    o: TableOptions,
) -> Result<Vec<u8>, super::output::OutputError> {
    Ok(match format {
        // The command refuses Parquet for this view before any work; CSV is the fallback.
        FindingsFormat::Csv | FindingsFormat::Parquet => {
            let mut out = format!("{BY_IDENTITY_HEADER}\r\n").into_bytes();
            for r in risks {
                let c: Vec<String> = r.counts.iter().map(|n| n.to_string()).collect();
                let n = r.findings.to_string();
                let rules = r.rules.join(";");
                super::csv::write_record(
                    &[
                        &r.identity_type,
                        &r.identity_id,
                        &r.identity_name,
                        r.worst.as_str(),
                        &c[0],
                        &c[1],
                        &c[2],
                        &c[3],
                        &c[4],
                        &n,
                        &r.broadest_scope,
                        &rules,
                    ],
                    None,
                    &mut out,
                );
            }
            out
        }
        FindingsFormat::Json => super::json::pretty_named(risks, "the findings by identity")?,
        FindingsFormat::Table => {
            let mut table = TextTable::new(vec![
                Column::keep("WORST"),
                Column::shrink("IDENTITY", 12),
                Column::keep("TYPE"),
                Column::number("CRIT"),
                Column::number("HIGH"),
                Column::number("MED"),
                Column::number("LOW"),
                Column::number("INFO"),
                Column::keep("BROADEST"),
                Column::shrink("RULES", 16),
            ]);
            let shown = o.limit.unwrap_or(usize::MAX).min(risks.len());
            for r in &risks[..shown] {
                let mut cells = vec![
                    r.worst.as_str().to_string(),
                    named(&r.identity_name, &r.identity_id, o.ids).to_string(),
                    r.identity_type.to_lowercase(),
                ];
                cells.extend(r.counts.iter().map(|n| n.to_string()));
                cells.push(r.broadest_scope.to_lowercase());
                cells.push(r.rules.join(", "));
                table.row(cells);
            }
            let mut out = colorize_severity(table.render(o.width), o.color);
            out.push('\n');
            if shown < risks.len() {
                out.push_str(&format!(
                    "showing {shown} of {} identities (worst first); --all shows every one\n",
                    risks.len()
                ));
            } else {
                out.push_str(&format!("{} identities with findings\n", risks.len()));
            }
            out.push_str(&table.cut_note());
            out.into_bytes()
        }
    })
}
