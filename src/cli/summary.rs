//! `p1graph summary`: counts as a readable table.

use std::path::PathBuf;

use super::{Globals, load_input};
use crate::Error;
use crate::report::summary::summarize;
use crate::resolve::Resolver;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An export directory or a `.p1g` snapshot.
    #[arg(long, short)]
    pub input: PathBuf,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let t = load_input(&a.input, g)?;
    let r = Resolver::new(&t);
    let s = summarize(&r);
    let mut out = crate::report::Output::create(None)?;
    out.write_all(s.to_string().as_bytes())?;
    out.finish()?;
    Ok(0)
}
