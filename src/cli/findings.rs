//! `p1graph findings`: excessive-privilege findings, with a CI gate.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::{Globals, load_input};
use crate::Error;
use crate::findings::{self, Config, Severity};
use crate::model::Ts;
use crate::report::Output;
use crate::report::findings::{FindingsFormat, TableNotes, to_csv, to_json, to_table};
use crate::resolve::Resolver;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An export directory or a `.p1g` snapshot.
    #[arg(long, short)]
    pub input: PathBuf,
    /// Write here (atomically) instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = FindingsFormat::Csv)]
    pub format: FindingsFormat,
    /// Judge time-based rules at this instant (RFC 3339) instead of the capture time.
    #[arg(long)]
    pub as_of: Option<String>,
    /// A privileged admin without a sign-on for more than this many days is dormant.
    #[arg(long, default_value_t = 90)]
    pub dormant_days: i64,
    /// The window, in days, in which a privileged role must have been used.
    #[arg(long, default_value_t = 14)]
    pub usage_days: i64,
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

/// Parses the shared options into a findings config.
pub fn config(
    t: &crate::model::Tenant,
    as_of: Option<&str>,
    dormant_days: i64,
    usage_days: i64,
) -> Result<Config, Error> {
    let mut cfg = Config::for_tenant(t);
    if let Some(s) = as_of {
        cfg.as_of = Ts::parse(s)
            .ok_or_else(|| Error::usage(format!("--as-of: `{s}` is not an RFC 3339 timestamp")))?;
    }
    if dormant_days < 0 || usage_days < 0 {
        return Err(Error::usage(
            "--dormant-days and --usage-days must not be negative",
        ));
    }
    cfg.dormant_days = dormant_days;
    cfg.usage_days = usage_days;
    Ok(cfg)
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let exceptions = match &a.exceptions {
        Some(p) => Some(findings::exceptions::load(p)?),
        None => None,
    };
    let t = load_input(&a.input, g)?;
    let cfg = config(&t, a.as_of.as_deref(), a.dormant_days, a.usage_days)?;
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
    if let Some(ex) = &exceptions {
        notes.lines = findings::exceptions::apply(&mut found, ex, cfg.as_of).notes();
    }
    let bytes = match a.format {
        FindingsFormat::Csv => to_csv(&found),
        FindingsFormat::Json => to_json(&found),
        FindingsFormat::Table => {
            let color = a.out.is_none() && std::io::stdout().is_terminal();
            to_table(&found, &notes, color).into_bytes()
        }
    };
    let mut out = Output::create(a.out.as_deref())?;
    out.write_all(&bytes)?;
    out.finish()?;
    if a.format != FindingsFormat::Table && !g.quiet {
        for l in &notes.lines {
            eprintln!("note: {l}");
        }
    }
    let failing = a
        .fail_on
        .is_some_and(|th| found.iter().any(|f| f.severity.at_least(th)));
    Ok(if failing { 1 } else { 0 })
}
