//! The command line: clap argument structs, one file per command, and terminal output.
//!
//! Each command module has an `Args` struct and a `run` function returning the exit code
//! (0, or 1 for "a result the caller asked to fail on"); errors go back to `main`, which prints
//! them once.

pub mod access;
pub mod analyze;
pub mod explain;
pub mod findings;
pub mod progress;
pub mod review;
pub mod rules;
pub mod summary;

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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the main job: access export, findings and a short summary into a report directory.
    Analyze(analyze::Args),
    /// Write the effective-access export (every identity's entitlements, with the path behind each).
    Access(access::Args),
    /// Show every path to an identity's entitlements, and why applications are denied.
    Explain(explain::Args),
    /// Excessive-privilege findings, with evidence and a recommendation each.
    Findings(findings::Args),
    /// List the finding rules.
    Rules(rules::Args),
    /// Print the tenant's shape in numbers.
    Summary(summary::Args),
    /// Access-review campaigns: reviewer sheets, decisions, remediation plan, verification.
    Review(review::Args),
}

pub fn parse() -> Cli {
    Cli::parse()
}

pub fn run(cli: Cli) -> Result<u8, Error> {
    let g = &cli.globals;
    match cli.command {
        Command::Analyze(a) => analyze::run(a, g),
        Command::Access(a) => access::run(a, g),
        Command::Explain(a) => explain::run(a, g),
        Command::Findings(a) => findings::run(a, g),
        Command::Rules(a) => rules::run(a),
        Command::Summary(a) => summary::run(a, g),
        Command::Review(a) => review::run(a, g),
    }
}

/// Loads `--input` with a spinner, and reports tolerated input problems on standard error.
pub fn load_input(path: &Path, g: &Globals) -> Result<Tenant, Error> {
    let spinner = progress::spinner(g, &format!("reading {}", path.display()));
    let t = crate::input::load(path)?;
    spinner.finish_and_clear();
    if !g.quiet {
        print_warnings(&t);
    }
    Ok(t)
}

/// Prints the warning counts of a load.
pub fn print_warnings(t: &Tenant) {
    for (kind, (n, examples)) in &t.warnings.counts {
        let ex = if examples.is_empty() {
            String::new()
        } else {
            format!(" (e.g. {})", examples.join(", "))
        };
        eprintln!("warning: {n} {kind}{ex}");
    }
}
