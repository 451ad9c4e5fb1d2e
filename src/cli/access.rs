//! `p1graph access`: the effective-access export.

use super::{Globals, load_input, progress};
use crate::Error;
use crate::report::Output;
use crate::report::access::{
    ACCESS_HEADER, ACCESS_TABLE, RowFormat, write_access_columns, write_access_parquet,
};
use crate::resolve::Resolver;

/// The formats of the access export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
    /// A Parquet file (to `--out FILE` or a pipe, never a terminal).
    Parquet,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub export: super::ExportArgs,
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let columns = super::columns(
        a.export.columns.as_deref(),
        ACCESS_HEADER,
        a.format != Format::Json,
    )?;
    if a.format == Format::Parquet {
        super::parquet_checks(a.export.out.as_deref(), ACCESS_TABLE, columns.as_ref())?;
    }
    let t = load_input(&a.export.input, g)?;
    let r = Resolver::new(&t);
    let mut out = Output::create(a.export.out.as_deref())?;
    let pb = progress::bar(
        g,
        (t.users.len() + t.applications.len() + t.gateways.len()) as u64,
        "resolving",
    );
    let progress = |done, _| pb.set_position(done);
    let stats = match a.format {
        Format::Csv => {
            write_access_columns(&r, RowFormat::Csv, columns.as_ref(), &mut out, &progress)?
        }
        Format::Json => write_access_columns(&r, RowFormat::Json, None, &mut out, &progress)?,
        Format::Parquet => write_access_parquet(&r, columns.as_ref(), &mut out, &progress)?,
    };
    pb.finish_and_clear();
    let name = out.name();
    out.finish()?;
    if a.export.out.is_some() && !g.quiet {
        eprintln!(
            "wrote {} rows for {} identities to {name}",
            stats.rows, stats.identities
        );
    }
    Ok(0)
}
