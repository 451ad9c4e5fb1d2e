//! The findings export (access model, section 4) as CSV or JSON, and a table for people.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::findings::{FINDINGS_HEADER, Finding, Severity};

/// Output formats of `p1graph findings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FindingsFormat {
    Csv,
    Json,
    Table,
}

/// CSV: one header line, one row per finding, RFC 4180.
pub fn to_csv(findings: &[Finding]) -> Vec<u8> {
    to_csv_columns(findings, None)
}

/// [`to_csv`] with only the `columns` asked for, in their order.
pub fn to_csv_columns(findings: &[Finding], columns: Option<&super::csv::Columns>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + findings.len() * 200);
    match columns {
        Some(c) => out.extend_from_slice(&c.header(FINDINGS_HEADER)),
        None => {
            out.extend_from_slice(FINDINGS_HEADER.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    for f in findings {
        super::csv::write_record(
            &[
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
            ],
            columns,
            &mut out,
        );
    }
    out
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
