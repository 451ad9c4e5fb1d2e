//! `p1graph usage`: last use per identity, per role entitlement and per application (M8).

use std::path::PathBuf;

use super::{Globals, load_input};
use crate::Error;
use crate::findings::usage::compute;
use crate::report::usage::{View, usage_table};
use crate::resolve::Resolver;
use crate::resolve::explain::find_identity;

pub use super::TableFormat as Format;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An export directory or a `.p1g` snapshot.
    #[arg(long, short)]
    pub input: PathBuf,
    /// Only this identity (id, username or name).
    #[arg(long)]
    pub identity: Option<String>,
    #[arg(long, value_enum, default_value_t = View::Roles)]
    pub view: View,
    /// Default: a table on a terminal, CSV otherwise.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Only privileged roles that were not used (the roles view).
    #[arg(long)]
    pub unused: bool,
    #[command(flatten)]
    pub judgement: super::JudgementArgs,
    /// Write here (atomically) instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let format = a.format.unwrap_or(if super::to_terminal(a.out.as_deref()) {
        Format::Table
    } else {
        Format::Csv
    });
    let t = load_input(&a.input, g)?;
    let cfg = a.judgement.config(&t, g.quiet);
    let r = Resolver::new(&t);
    let only = a
        .identity
        .as_deref()
        .map(|q| find_identity(&r, q))
        .transpose()?;
    let (ids, mut roles, apps) = compute(&r, cfg.as_of, cfg.usage_days, only);
    if a.unused {
        roles.retain(|x| x.privileged && x.status == crate::findings::usage::UsageStatus::Unused);
    }
    let table = usage_table(a.view, &ids, &roles, &apps);
    let bytes = match format {
        Format::Csv => table.to_csv(),
        Format::Json => table.to_json()?,
        Format::Table => table
            .to_text(
                &t,
                cfg.as_of,
                cfg.usage_days,
                crate::report::table::terminal_width(),
            )
            .into_bytes(),
    };
    let mut out = crate::report::Output::create(a.out.as_deref())?;
    out.write_all(&bytes)?;
    out.finish()?;
    Ok(0)
}
