//! `p1graph escalation`: the escalation export (attack-path model, section 4): every privilege an
//! actor can gain beyond the ones it holds, with the least steps and one path.

use super::{Globals, load_input};
use crate::Error;
use crate::graph::attack::{AttackGraph, Escalations};
use crate::report::Output;
use crate::report::escalation::{
    ESCALATION_HEADER, ESCALATION_TABLE, PathFormat, PathRow, write_parquet, write_rows_columns,
};
use crate::resolve::Resolver;

pub use super::RowsFormat as Format;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub export: super::ExportArgs,
    /// Default: a table on a terminal, CSV otherwise.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let format = a
        .format
        .unwrap_or(if super::to_terminal(a.export.out.as_deref()) {
            Format::Table
        } else {
            Format::Csv
        });
    let columns = super::columns(
        a.export.columns.as_deref(),
        ESCALATION_HEADER,
        matches!(format, Format::Csv | Format::Parquet),
    )?;
    if format == Format::Parquet {
        super::parquet_checks(a.export.out.as_deref(), ESCALATION_TABLE, columns.as_ref())?;
    }
    let t = load_input(&a.export.input, g)?;
    let r = Resolver::new(&t);
    let spinner = super::progress::spinner(g, "searching attack paths");
    let graph = AttackGraph::build(&r);
    let esc = Escalations::compute(&graph);
    spinner.finish_and_clear();
    let mut out = Output::create(a.export.out.as_deref())?;
    let n = match format {
        Format::Parquet => write_parquet(&graph, rows(&esc), columns.as_ref(), &mut out)?,
        Format::Csv | Format::Json | Format::Table => {
            let format = match format {
                Format::Json => PathFormat::Json,
                Format::Table => PathFormat::Table,
                _ => PathFormat::Csv,
            };
            write_rows_columns(&graph, rows(&esc), format, columns.as_ref(), &mut out)?
        }
    };
    let name = out.name();
    out.finish()?;
    if a.export.out.is_some() && !g.quiet {
        eprintln!(
            "wrote {n} rows for {} identities to {name}",
            esc.actors().count()
        );
    }
    Ok(0)
}

/// The export's rows as [`PathRow`]s.
pub fn rows(esc: &Escalations) -> impl Iterator<Item = PathRow<'_>> + '_ {
    esc.rows().map(|e| PathRow {
        actor: e.actor,
        privilege: e.privilege,
        steps: e.steps,
        path: e.path,
    })
}
