//! The command line: clap argument structs, one file per command, and terminal output.
//!
//! Each command module has an `Args` struct and a `run` function returning the exit code
//! (0, or 1 for "a result the caller asked to fail on"); errors go back to `main`, which prints
//! them once.

pub mod access;
pub mod analyze;
pub mod diff;
pub mod escalation;
pub mod explain;
pub mod findings;
#[cfg(feature = "ingest")]
pub mod ingest;
pub mod opengraph;
pub mod progress;
pub mod review;
pub mod rules;
pub mod snapshot;
pub mod summary;
#[cfg(feature = "synth")]
pub mod synth;
pub mod usage;
pub mod who_can;

use std::path::Path;

use clap::{Parser, Subcommand};

use crate::Error;
use crate::model::Tenant;

/// Who can do what in a PingOne organization, why, and what should go.
#[derive(Debug, Parser)]
#[command(name = "p1graph", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub globals: Globals,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Globals {
    /// No progress bars and no warnings on standard error.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More log output on standard error (-v, -vv, -vvv). The client secret never appears.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Color in tables: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl Globals {
    /// Whether output going to standard output (`to_terminal`: a terminal, not a file or a
    /// pipe) is colored. `--color always|never` wins over `NO_COLOR` (https://no-color.org).
    pub fn color(&self, to_terminal: bool) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                to_terminal
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        }
    }
}

/// Is the result going to a terminal: no `--out` and standard output is a terminal? Commands
/// then default to a table, and to CSV (or their natural text) when piped.
pub fn to_terminal(out: Option<&Path>) -> bool {
    use std::io::IsTerminal;
    out.is_none() && std::io::stdout().is_terminal()
}

pub use crate::report::{RowsFormat, TableFormat};

/// `--format` of commands whose natural output is text: `text` for a person, `json` for a
/// program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TextFormat {
    #[default]
    Text,
    Json,
}

/// Writes `text` or `value` as JSON to standard output, as `format` says.
pub fn print_text_or_json<T: serde::Serialize + ?Sized>(
    format: TextFormat,
    text: impl FnOnce() -> String,
    value: &T,
) -> Result<(), Error> {
    let bytes = match format {
        TextFormat::Text => text().into_bytes(),
        TextFormat::Json => crate::report::json::pretty(value)?,
    };
    let mut out = crate::report::Output::create(None)?;
    out.write_all(&bytes)?;
    out.finish()?;
    Ok(())
}

/// The rows shown in a table: `--limit N` (default `default`), or all with `--all`.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// At most this many rows in a table (default 30).
    #[arg(long, value_name = "N", conflicts_with = "all")]
    pub limit: Option<usize>,
    /// Every row in a table.
    #[arg(long)]
    pub all: bool,
    /// Ids instead of names in tables.
    #[arg(long)]
    pub ids: bool,
}

impl LimitArgs {
    pub fn limit(&self, default: usize) -> Option<usize> {
        if self.all {
            None
        } else {
            Some(self.limit.unwrap_or(default))
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the main job: access export, findings and a short summary into a report directory.
    Analyze(analyze::Args),
    /// Pull a whole PingOne organization through a read-only worker application.
    #[cfg(feature = "ingest")]
    Ingest(ingest::IngestArgs),
    /// Write the effective-access export (every identity's entitlements, with the path behind each).
    Access(access::Args),
    /// Attack paths: every privilege an identity can gain beyond the ones it holds.
    Escalation(escalation::Args),
    /// Who holds, or can obtain through attack paths, a role over a scope.
    WhoCan(who_can::Args),
    /// Show every path to an identity's entitlements, and why applications are denied.
    Explain(explain::Args),
    /// Excessive-privilege findings, with evidence and a recommendation each.
    Findings(findings::Args),
    /// List the finding rules.
    Rules(rules::Args),
    /// Compact binary snapshots: create one, or inspect one.
    #[command(subcommand)]
    Snapshot(snapshot::Command),
    /// What changed between two snapshots (or exports): access, findings, entities.
    Diff(diff::Args),
    /// Print the tenant's shape in numbers.
    Summary(summary::Args),
    /// Last use per identity, role entitlement and application, from the activity ledger.
    Usage(usage::Args),
    /// Write a generated tenant (export format) for tests and benchmarks.
    #[cfg(feature = "synth")]
    Synth(synth::Args),
    /// Access-review campaigns: reviewer sheets, decisions, remediation plan, verification.
    Review(review::Args),
    /// Write the organization and its attack paths as BloodHound OpenGraph files.
    #[command(name = "opengraph")]
    OpenGraph(opengraph::Args),
}

pub fn parse() -> Cli {
    Cli::parse()
}

pub fn run(cli: Cli) -> Result<u8, Error> {
    let g = &cli.globals;
    init_logging(g.verbose);
    if g.color == ColorChoice::Never
        || (g.color == ColorChoice::Auto
            && std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()))
    {
        console::set_colors_enabled(false);
        console::set_colors_enabled_stderr(false);
    }
    // Ctrl-C removes temporaries; the live ingest handles its own interrupts.
    #[cfg(feature = "ingest")]
    let live = matches!(cli.command, Command::Ingest(_));
    #[cfg(not(feature = "ingest"))]
    let live = false;
    if !live {
        crate::cleanup::install();
    }
    match cli.command {
        #[cfg(feature = "ingest")]
        Command::Ingest(a) => ingest::run(a, g.quiet),
        Command::Analyze(a) => analyze::run(a, g),
        Command::Access(a) => access::run(a, g),
        Command::Escalation(a) => escalation::run(a, g),
        Command::WhoCan(a) => who_can::run(a, g),
        Command::Explain(a) => explain::run(a, g),
        Command::Findings(a) => findings::run(a, g),
        Command::Rules(a) => rules::run(a),
        Command::Summary(a) => summary::run(a, g),
        Command::Snapshot(c) => snapshot::run(c, g),
        Command::Diff(a) => diff::run(a, g),
        #[cfg(feature = "synth")]
        Command::Synth(a) => synth::run(a, g),
        Command::Usage(a) => usage::run(a, g),
        Command::Review(a) => review::run(a, g),
        Command::OpenGraph(a) => opengraph::run(a, g),
    }
}

/// Logs go to standard error. Dependencies stay at `warn` at every verbosity: their traces could
/// show request headers.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
            "warn,p1graph={level}"
        )))
        .with_writer(std::io::stderr)
        .try_init();
}

/// `--as-of`: RFC 3339, or a bare date `YYYY-MM-DD` meaning midnight UTC. Parsed by clap, so a
/// bad value is refused before any input is read.
pub fn parse_as_of(s: &str) -> Result<crate::model::Ts, String> {
    if let Some(t) = crate::model::Ts::parse(s) {
        return Ok(t);
    }
    if let Ok(d) = s.trim().parse::<jiff::civil::Date>()
        && let Ok(z) = d.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Ok(crate::model::Ts(z.timestamp().as_millisecond()));
    }
    Err(format!(
        "`{s}` is neither an RFC 3339 timestamp (2026-11-01T00:00:00Z) nor a date (2026-11-01)"
    ))
}

/// How time-based rules are judged (access model M9): shared by `findings`, `analyze`, `usage`
/// and `review start`.
#[derive(Debug, Clone, clap::Args)]
pub struct JudgementArgs {
    /// Judge time-based rules at this instant (RFC 3339, or a date meaning midnight UTC) instead
    /// of the capture time.
    #[arg(long, value_name = "TIME", value_parser = parse_as_of)]
    pub as_of: Option<crate::model::Ts>,
    /// A privileged admin without a sign-on for more than this many days is dormant (at least 1).
    #[arg(long, default_value_t = 90, value_name = "DAYS", value_parser = clap::value_parser!(i64).range(1..))]
    pub dormant_days: i64,
    /// The window, in days, in which a privileged role must have been used (at least 1).
    #[arg(long, default_value_t = 14, value_name = "DAYS", value_parser = clap::value_parser!(i64).range(1..))]
    pub usage_days: i64,
}

impl JudgementArgs {
    /// The findings configuration for tenant `t`; warns (unless quiet) when `--as-of` is before
    /// the capture time, since what happened after it is then already in the data.
    pub fn config(&self, t: &Tenant, quiet: bool) -> crate::findings::Config {
        let mut cfg = crate::findings::Config::for_tenant(t);
        if let Some(at) = self.as_of {
            if let Some(cap) = t.manifest.captured_at
                && at < cap
                && !quiet
            {
                eprintln!(
                    "warning: --as-of {at} is before the capture time {cap}: states (enabled, MFA, assignments) are those at capture"
                );
            }
            cfg.as_of = at;
        }
        cfg.dormant_days = self.dormant_days;
        cfg.usage_days = self.usage_days;
        cfg
    }
}

/// The arguments of the row exports (`access`, `findings`, `escalation`): where from, where to,
/// and which columns.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// An export directory or a `.p1g` snapshot.
    #[arg(long, short)]
    pub input: std::path::PathBuf,
    /// Write here (atomically) instead of standard output.
    #[arg(long, short)]
    pub out: Option<std::path::PathBuf>,
    /// Only these columns (CSV or Parquet), in this order (comma-separated header names).
    #[arg(long, value_name = "NAME,...")]
    pub columns: Option<String>,
}

/// `--columns`: checked against the export's header before the input is read; CSV and Parquet
/// only (`tabular`).
pub fn columns(
    spec: Option<&str>,
    header: &str,
    tabular: bool,
) -> Result<Option<crate::report::csv::Columns>, Error> {
    let Some(spec) = spec else { return Ok(None) };
    if !tabular {
        return Err(Error::usage(
            "--columns applies to --format csv and --format parquet",
        ));
    }
    crate::report::csv::Columns::parse(spec, header)
        .map(Some)
        .map_err(|e| Error::Usage {
            message: e.to_string(),
            help: None,
        })
}

/// `--format parquet`: checked before the input is read. The file is binary, so it is never
/// written to a terminal; a file (`--out`) or a pipe is fine (the writer never seeks). A
/// `--columns` selection must name distinct columns.
pub fn parquet_checks(
    out: Option<&Path>,
    table: crate::report::parquet::Table,
    columns: Option<&crate::report::csv::Columns>,
) -> Result<(), Error> {
    use std::io::IsTerminal;
    if out.is_none() && std::io::stdout().is_terminal() {
        return Err(Error::Usage {
            message: "--format parquet writes a binary file, not text for a terminal".into(),
            help: Some("give --out FILE, or redirect standard output to a file or a pipe".into()),
        });
    }
    crate::report::parquet::Layout::new(table, columns)?;
    Ok(())
}

/// Loads `--input` with a spinner, and reports tolerated input problems on standard error.
pub fn load_input(path: &Path, g: &Globals) -> Result<Tenant, Error> {
    load_input_with(path, g, crate::snapshot::Sections::All)
}

/// [`load_input`], decoding only `sections` of a snapshot.
pub fn load_input_with(
    path: &Path,
    g: &Globals,
    sections: crate::snapshot::Sections,
) -> Result<Tenant, Error> {
    let spinner = progress::spinner(g, &format!("reading {}", path.display()));
    let started = std::time::Instant::now();
    let t = crate::input::load_with(path, sections)?;
    tracing::debug!(
        load_ms = started.elapsed().as_secs_f64() * 1e3,
        "input loaded"
    );
    spinner.finish_and_clear();
    if !g.quiet {
        print_warnings(&t);
    }
    Ok(t)
}

/// Prints the warning counts of a load, and one warning per collection that was not collected
/// (access model M10: what nobody saw is never read as "none").
pub fn print_warnings(t: &Tenant) {
    const SHOWN: usize = 10;
    let cov = &t.manifest.coverage;
    if cov.len() > SHOWN {
        eprintln!(
            "warning: {} collections were not collected; the first {SHOWN}:",
            cov.len()
        );
    }
    for c in cov.iter().take(SHOWN) {
        let detail = if c.detail.is_empty() {
            String::new()
        } else {
            format!(": {}", c.detail)
        };
        eprintln!(
            "warning: not collected: {} ({}{detail}); findings that depend on it say so, and it is reported as a coverage-gap finding",
            c.collection, c.status
        );
    }
    for (kind, (n, examples)) in &t.warnings.counts {
        let ex = if examples.is_empty() {
            String::new()
        } else {
            format!(" (e.g. {})", examples.join(", "))
        };
        eprintln!("warning: {n} {kind}{ex}");
    }
}
