//! `p1graph diff OLD NEW`: what changed in effective access, findings and entities.

use std::path::PathBuf;

use super::{Globals, load_input};
use crate::Error;
use crate::diff::{Options, diff};
use crate::report::diff as render;

pub use super::TableFormat as Format;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The earlier snapshot or export directory.
    pub old: PathBuf,
    /// The later snapshot or export directory.
    pub new: PathBuf,
    /// Write here (atomically) instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Default: a table on a terminal, CSV otherwise.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Compare two different organizations anyway (every entity then reads as added/removed).
    #[arg(long)]
    pub force: bool,
    /// Keep the findings present on both sides (left out by default: a diff is what changed).
    #[arg(long)]
    pub include_unchanged: bool,
    /// Exit 1 when a new finding or a gained escalation is at or above this severity, or any
    /// privileged access was gained: a gate for CI.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<crate::findings::Severity>,
    #[command(flatten)]
    pub rows: super::LimitArgs,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let old = load_input(&a.old, g)?;
    let new = load_input(&a.new, g)?;
    if crate::usage::other_organization(&old, &new) && !a.force {
        return Err(Error::Usage {
            message: format!(
                "`{}` is organization {} and `{}` is organization {}; refusing to compare two organizations",
                a.old.display(),
                crate::usage::org_label(&old),
                a.new.display(),
                crate::usage::org_label(&new)
            ),
            help: Some("pass --force to compare them anyway".into()),
        });
    }
    if let (Some(o), Some(n)) = (old.manifest.captured_at, new.manifest.captured_at)
        && o > n
        && !g.quiet
    {
        eprintln!(
            "warning: OLD (`{}`, captured {o}) is newer than NEW (`{}`, captured {n}): gains and losses read backwards",
            a.old.display(),
            a.new.display()
        );
    }
    let opts = Options {
        include_unchanged: a.include_unchanged,
        ..Options::default()
    };
    let d = diff(&old, &new, &opts)?;
    let counts = d.counts.clone();
    let format = a.format.unwrap_or(if super::to_terminal(a.out.as_deref()) {
        Format::Table
    } else {
        Format::Csv
    });
    let mut out = crate::report::Output::create(a.out.as_deref())?;
    match format {
        Format::Csv => render::write_csv(d, &mut out)?,
        Format::Json => render::write_json(d, &mut out)?,
        Format::Table => {
            let table =
                render::to_table(d, a.rows.limit(50), crate::report::table::terminal_width())?;
            out.write_all(table.as_bytes())?;
        }
    }
    out.finish()?;
    if let Some(level) = a.fail_on {
        let failing = counts.failing(level);
        if !failing.is_empty() {
            let parts: Vec<String> = failing.iter().map(|(k, n)| format!("{k} {n}")).collect();
            eprintln!(
                "failing (--fail-on {}): {} change(s): {}",
                level.as_str(),
                failing.values().sum::<usize>(),
                parts.join(", ")
            );
            return Ok(1);
        }
    }
    Ok(0)
}
