//! `p1graph explain`: every path to an identity's entitlements.

use std::path::PathBuf;

use super::{Globals, load_input};
use crate::Error;
use crate::resolve::Resolver;
use crate::resolve::explain::{explain, find_identity};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An export directory or a `.p1g` snapshot.
    #[arg(long, short)]
    pub input: PathBuf,
    /// The identity: a PingOne id, a username, or a name.
    #[arg(long)]
    pub identity: String,
    /// Only this entitlement: a role, application or scope id, or a name.
    #[arg(long)]
    pub entitlement: Option<String>,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let t = load_input(&a.input, g)?;
    let r = Resolver::new(&t);
    let id = find_identity(&r, &a.identity)?;
    let e = explain(&r, id, a.entitlement.as_deref())?;
    let mut out = crate::report::Output::create(None)?;
    out.write_all(e.to_string().as_bytes())?;
    out.finish()?;
    Ok(0)
}
