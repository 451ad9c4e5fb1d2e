//! `p1graph opengraph`: the organization and its attack paths as BloodHound OpenGraph files.

use std::path::PathBuf;

use super::{Globals, load_input};
use crate::Error;
use crate::graph::attack::AttackGraph;
use crate::report::opengraph::{self, AttackEdges, Options};
use crate::resolve::Resolver;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An export directory or a `.p1g` snapshot.
    #[arg(long, short)]
    pub input: PathBuf,
    /// The directory to write `pingone.json` (or chunks, or `pingone.zip`) and
    /// `pingone-extension.json` into.
    #[arg(long, short)]
    pub out: PathBuf,
    /// At most this many nodes + edges per file (numbered `pingone-0001.json`, ...).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_items: Option<u64>,
    /// Pack the graph files into one `pingone.zip`.
    #[arg(long)]
    pub zip: bool,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let t = load_input(&a.input, g)?;
    let spinner = super::progress::spinner(g, "writing the OpenGraph files");
    let r = Resolver::new(&t);
    let graph = AttackGraph::build(&r);
    let attack = AttackEdges::from_graph(&graph);
    let stats = opengraph::write(
        &t,
        &attack,
        &a.out,
        Options {
            max_items: a.max_items.map(|n| n as usize),
            zip: a.zip,
        },
    )?;
    spinner.finish_and_clear();
    if !g.quiet {
        eprintln!(
            "wrote {} node(s) and {} edge(s) in {} file(s), {} bytes, into {}",
            stats.nodes,
            stats.edges,
            stats.files.len(),
            stats.bytes,
            a.out.display()
        );
    }
    Ok(0)
}
