//! `p1graph diff OLD NEW`: what changed in effective access, findings and entities.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::{Globals, load_input};
use crate::Error;
use crate::report::diff::diff;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
    Table,
}

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
    let d = diff(&old, &new);
    let format = a
        .format
        .unwrap_or(if a.out.is_none() && std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Csv
        });
    let bytes = match format {
        Format::Csv => d.to_csv(),
        Format::Json => d.to_json(),
        Format::Table => d.to_table().into_bytes(),
    };
    let mut out = crate::report::Output::create(a.out.as_deref())?;
    out.write_all(&bytes)?;
    out.finish()?;
    Ok(0)
}
