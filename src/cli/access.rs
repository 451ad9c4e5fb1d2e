//! `p1graph access`: the effective-access export.

use super::{Globals, load_input, progress};
use crate::Error;
use crate::report::Output;
use crate::report::access::{ACCESS_HEADER, RowFormat, write_access_columns};
use crate::resolve::Resolver;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub export: super::ExportArgs,
    #[arg(long, value_enum, default_value_t = RowFormat::Csv)]
    pub format: RowFormat,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let columns = super::columns(
        a.export.columns.as_deref(),
        ACCESS_HEADER,
        a.format == RowFormat::Csv,
    )?;
    let t = load_input(&a.export.input, g)?;
    let r = Resolver::new(&t);
    let mut out = Output::create(a.export.out.as_deref())?;
    let pb = progress::bar(
        g,
        (t.users.len() + t.applications.len() + t.gateways.len()) as u64,
        "resolving",
    );
    let stats = write_access_columns(&r, a.format, columns.as_ref(), &mut out, &|done, _| {
        pb.set_position(done)
    })?;
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
