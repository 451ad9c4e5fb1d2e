//! p1graph tells a security team who can do what in a PingOne organization, why, and what
//! should go.
//!
//! The crate is a pipeline; its folders follow the data:
//!
//! * [`pingone`] pulls an organization through a read-only worker application and writes the
//!   offline [`export`] directory; [`synth`] writes generated tenants in the same format.
//! * [`export`] reads that directory into the normalized [`model`] (dense ids, interned strings).
//! * [`graph`] turns the model into a petgraph graph of identities, groups, roles, scopes and
//!   applications; [`resolve`] computes effective access (access model M1-M7) with the paths
//!   behind every grant; [`graph::attack`] finds what each identity can become by using its
//!   roles on others (attack paths: reset password, add member, assign role).
//! * [`findings`] and [`review`] judge that access; [`usage`] keeps the activity ledger (M8).
//! * [`report`] prints CSV, JSON and tables; [`snapshot`] stores the model in a compact binary
//!   file for fast re-analysis and diffs.
//!
//! The engine is usable without the command line: [`cli`] is thin glue over these modules.

#![forbid(unsafe_code)]

pub mod cleanup;
pub mod cli;
pub mod diff;
pub mod error;
pub mod export;
pub mod findings;
pub mod graph;
pub mod input;
pub mod model;
#[cfg(feature = "ingest")]
pub mod pingone;
pub mod report;
pub mod resolve;
pub mod review;
pub mod snapshot;
#[cfg(feature = "synth")]
pub mod synth;
pub mod usage;

pub use error::Error;
