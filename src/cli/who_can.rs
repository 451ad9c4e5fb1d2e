//! `p1graph who-can`: every identity that holds, or can obtain through attack paths, a role over
//! a scope, with the least steps and one path each.

use std::path::PathBuf;

use super::{Globals, load_input};
use crate::Error;
use crate::graph::attack::{AttackGraph, find_role, find_scope, who_can};
use crate::report::Output;
use crate::report::escalation::{PathFormat, PathRow, write_rows};
use crate::resolve::Resolver;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An export directory or a `.p1g` snapshot.
    #[arg(long, short)]
    pub input: PathBuf,
    /// The role: its id or its name.
    #[arg(long)]
    pub role: String,
    /// Only privileges whose scope contains this one: `TYPE:ID`, `TYPE:NAME`, an id or a name.
    #[arg(long)]
    pub scope: Option<String>,
    /// Default: a table on a terminal, CSV otherwise.
    #[arg(long, value_enum)]
    pub format: Option<PathFormat>,
    /// Write here (atomically) instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let t = load_input(&a.input, g)?;
    let role = find_role(&t, &a.role)?;
    let scope = a.scope.as_deref().map(|s| find_scope(&t, s)).transpose()?;
    let r = Resolver::new(&t);
    let graph = AttackGraph::build(&r);
    let rows = who_can(&graph, role, scope);
    let mut out = Output::create(a.out.as_deref())?;
    write_rows(
        &graph,
        rows.iter().map(|w| PathRow {
            actor: w.actor,
            privilege: w.privilege,
            steps: w.steps,
            path: &w.path,
        }),
        a.format.unwrap_or(if super::to_terminal(a.out.as_deref()) {
            PathFormat::Table
        } else {
            PathFormat::Csv
        }),
        &mut out,
    )?;
    out.finish()?;
    Ok(0)
}
