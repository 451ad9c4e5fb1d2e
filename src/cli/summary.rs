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
    #[arg(long, value_enum, default_value_t = super::TextFormat::Text)]
    pub format: super::TextFormat,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let t = load_input(&a.input, g)?;
    let r = Resolver::new(&t);
    let s = summarize(&r);
    super::print_text_or_json(a.format, || s.to_string(), &s)?;
    Ok(0)
}
