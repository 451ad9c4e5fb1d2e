//! `p1graph findings`: excessive-privilege findings, with a CI gate.

use std::path::PathBuf;

use super::{Globals, load_input};
use crate::Error;
use crate::findings::FINDINGS_HEADER;
use crate::findings::{self, Severity, rank};
use crate::report::Output;
use crate::report::findings::{
    DEFAULT_LIMIT, FINDINGS_TABLE, FindingsFormat, TableNotes, TableOptions, by_identity, to_json,
    to_table, write_csv, write_parquet,
};
use crate::report::table::terminal_width;
use crate::resolve::Resolver;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub export: super::ExportArgs,
    /// Default: a ranked table on a terminal, CSV otherwise.
    #[arg(long, value_enum)]
    pub format: Option<FindingsFormat>,
    /// `identity`: each identity's findings rolled up, worst first.
    #[arg(long, value_enum, value_name = "VIEW")]
    pub by: Option<By>,
    #[command(flatten)]
    pub rows: super::LimitArgs,
    #[command(flatten)]
    pub judgement: super::JudgementArgs,
    /// Only findings at or above this severity.
    #[arg(long, value_enum)]
    pub min_severity: Option<Severity>,
    /// Only these rules (repeatable).
    #[arg(long = "rule")]
    pub rules: Vec<String>,
    /// Accepted risks (TOML or YAML): matching findings are suppressed until their expiry.
    #[arg(long)]
    pub exceptions: Option<PathBuf>,
    /// Exit 1 when a finding at or above this severity remains.
    #[arg(long, value_enum)]
    pub fail_on: Option<Severity>,
}

/// `--by`: a rolled-up view instead of one row per finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    Identity,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let terminal = super::to_terminal(a.export.out.as_deref());
    let format = a.format.unwrap_or(if terminal {
        FindingsFormat::Table
    } else {
        FindingsFormat::Csv
    });
    if a.by.is_some() && a.export.columns.is_some() {
        return Err(Error::usage(
            "--columns applies to the findings export, not --by identity",
        ));
    }
    let columns = super::columns(
        a.export.columns.as_deref(),
        FINDINGS_HEADER,
        matches!(format, FindingsFormat::Csv | FindingsFormat::Parquet),
    )?;
    if a.by.is_some() && format == FindingsFormat::Parquet {
        return Err(Error::usage(
            "--by identity writes a table, CSV or JSON; Parquet is for the findings export",
        ));
    }
    if format == FindingsFormat::Parquet {
        super::parquet_checks(a.export.out.as_deref(), FINDINGS_TABLE, columns.as_ref())?;
    }
    let exceptions = match &a.exceptions {
        Some(p) => Some(findings::exceptions::load(p)?),
        None => None,
    };
    let t = load_input(&a.export.input, g)?;
    let cfg = a.judgement.config(&t, g.quiet);
    let mut rules = findings::registry();
    if !a.rules.is_empty() {
        for want in &a.rules {
            if !rules.iter().any(|r| r.id() == want) {
                return Err(Error::Usage {
                    message: format!("--rule: unknown rule `{want}`"),
                    help: Some("`p1graph rules` lists the rule ids".into()),
                });
            }
        }
        rules.retain(|r| a.rules.iter().any(|w| w == r.id()));
    }
    let r = Resolver::new(&t);
    let mut found = findings::run(&r, &cfg, &rules);
    if let Some(min) = a.min_severity {
        found.retain(|f| f.severity.at_least(min));
    }
    let mut notes = TableNotes::default();
    let mut applied = findings::exceptions::Applied::default();
    if let Some(ex) = &exceptions {
        applied = findings::exceptions::apply(&mut found, ex, cfg.as_of);
        notes.lines = applied.notes();
    }
    let opts = TableOptions {
        color: g.color(terminal),
        // Enough rows for a few findings of every rule that fired, whatever their severity.
        limit: a.rows.limit(DEFAULT_LIMIT.max(rank::head_len(&found))),
        ids: a.rows.ids,
        width: terminal_width(),
    };
    let mut out = Output::create(a.export.out.as_deref())?;
    match (a.by, format) {
        (Some(By::Identity), f) => {
            out.write_all(&by_identity(&rank::by_identity(&found), f, opts)?)?
        }
        (None, FindingsFormat::Csv) => write_csv(&found, columns.as_ref(), &mut out)?,
        (None, FindingsFormat::Parquet) => {
            write_parquet(&found, columns.as_ref(), &mut out)?;
        }
        (None, FindingsFormat::Json) => {
            out.write_all(&to_json(&found, &applied.suppressed_findings)?)?
        }
        (None, FindingsFormat::Table) => {
            out.write_all(to_table(&t, &found, &notes, opts).as_bytes())?
        }
    }
    out.finish()?;
    // Expired and stale exceptions are reported even with -q: an accepted risk that no longer
    // applies is a finding about the exceptions file itself.
    let to_stderr = format != FindingsFormat::Table || a.by.is_some() || a.export.out.is_some();
    if to_stderr {
        for l in &notes.lines {
            let is_count = l.ends_with("suppressed by exceptions");
            if !g.quiet || !is_count {
                eprintln!("note: {l}");
            }
        }
    }
    if let Some(th) = a.fail_on {
        let failing: Vec<&findings::Finding> =
            found.iter().filter(|f| f.severity.at_least(th)).collect();
        if !failing.is_empty() {
            eprintln!("{}", fail_on_reason(th, &failing));
            return Ok(1);
        }
    }
    Ok(0)
}

/// Why `--fail-on` fails: the count at or above the threshold, per rule.
pub fn fail_on_reason(th: Severity, failing: &[&findings::Finding]) -> String {
    let mut per_rule: std::collections::BTreeMap<(u8, &str), usize> = Default::default();
    for f in failing {
        *per_rule.entry((f.severity.rank(), f.rule)).or_default() += 1;
    }
    let parts: Vec<String> = per_rule
        .iter()
        .map(|((_, rule), n)| format!("{rule} {n}"))
        .collect();
    format!(
        "failing (--fail-on {}): {} finding(s) at or above {}: {}",
        th.as_str(),
        failing.len(),
        th.as_str(),
        parts.join(", ")
    )
}
