//! `p1graph access`: the effective-access export, whole or narrowed to what a person asks
//! ("who has Organization Admin?", "who can sign on to Payroll?", "what can Ana do?").

use super::{Globals, load_input_with, progress};
use crate::Error;
use crate::report::Output;
use crate::report::access::{
    ACCESS_HEADER, ACCESS_TABLE, RowFormat, to_table, write_access_filtered, write_access_parquet,
};
use crate::resolve::Resolver;
use crate::resolve::filter::{AccessFilter, EntitlementType};
use crate::resolve::query::{find_entitlement, find_environment, find_identity};

pub use super::RowsFormat as Format;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub export: super::ExportArgs,
    /// Default: a table on a terminal, CSV otherwise.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Only this identity: an id, a username (or its part before `@`), or a name.
    #[arg(long, value_name = "ID|NAME")]
    pub identity: Option<String>,
    /// Only this entitlement: a role, application or scope (id or name; `role:`, `application:`,
    /// `scope:` prefixes pick the kind), or a group: the rows its members get through it.
    #[arg(long, value_name = "ID|NAME")]
    pub entitlement: Option<String>,
    /// Only these entitlement kinds (repeatable, or comma-separated).
    #[arg(long = "type", value_enum, value_delimiter = ',', value_name = "TYPE")]
    pub types: Vec<EntitlementType>,
    /// Only identities of this environment (id or name).
    #[arg(long, value_name = "ID|NAME")]
    pub environment: Option<String>,
    #[command(flatten)]
    pub rows: super::LimitArgs,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let terminal = super::to_terminal(a.export.out.as_deref());
    let format = a
        .format
        .unwrap_or(if terminal { Format::Table } else { Format::Csv });
    let columns = super::columns(
        a.export.columns.as_deref(),
        ACCESS_HEADER,
        matches!(format, Format::Csv | Format::Parquet),
    )?;
    if format == Format::Parquet {
        super::parquet_checks(a.export.out.as_deref(), ACCESS_TABLE, columns.as_ref())?;
    }
    // The access rows never read the usage ledger (access model M1-M7).
    let t = load_input_with(&a.export.input, g, crate::snapshot::Sections::WithoutUsage)?;
    let started = std::time::Instant::now();
    let r = Resolver::new(&t);
    tracing::debug!(
        resolver_ms = started.elapsed().as_secs_f64() * 1e3,
        "resolver built"
    );
    let phase = std::time::Instant::now();
    let identity = a
        .identity
        .as_deref()
        .map(|q| find_identity(&t, q))
        .transpose()?;
    let environment = a
        .environment
        .as_deref()
        .map(|q| find_environment(&t, q))
        .transpose()?;
    let target = a
        .entitlement
        .as_deref()
        .map(|q| find_entitlement(&t, q))
        .transpose()?;
    let filter = AccessFilter::new(&r, identity, environment, a.types.clone(), target);
    let filter = (!filter.is_empty()).then_some(&filter);
    let mut out = Output::create(a.export.out.as_deref())?;
    let row_format = match format {
        Format::Csv => RowFormat::Csv,
        Format::Json => RowFormat::Json,
        Format::Parquet => RowFormat::Csv, // not used: Parquet has its own writer below
        Format::Table => {
            let text = to_table(
                &r,
                filter,
                a.rows.limit(30),
                a.rows.ids,
                crate::report::table::terminal_width(),
            );
            out.write_all(text.as_bytes())?;
            out.finish()?;
            return Ok(0);
        }
    };
    let pb = progress::bar(
        g,
        (t.users.len() + t.applications.len() + t.gateways.len()) as u64,
        "resolving",
    );
    let progress = |done, _| pb.set_position(done);
    let stats = if format == Format::Parquet {
        write_access_parquet(&r, filter, columns.as_ref(), &mut out, &progress)?
    } else {
        write_access_filtered(
            &r,
            filter,
            row_format,
            columns.as_ref(),
            &mut out,
            &progress,
        )?
    };
    pb.finish_and_clear();
    let name = out.name();
    let written = phase.elapsed();
    out.finish()?;
    tracing::debug!(
        export_ms = written.as_secs_f64() * 1e3,
        finish_ms = (phase.elapsed() - written).as_secs_f64() * 1e3,
        rows = stats.rows,
        "access export written"
    );
    if a.export.out.is_some() && !g.quiet {
        eprintln!(
            "wrote {} rows for {} identities to {name}",
            stats.rows, stats.identities
        );
    }
    Ok(0)
}
