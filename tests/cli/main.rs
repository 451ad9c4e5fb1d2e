//! The integration tests: one binary (link time matters on two cores), one module per area.

mod architecture;
mod attack_oracle;
mod coverage;
mod demo;
mod duckdb_oracle;
mod errors;
mod escalation;
mod findings;
mod ingest;
mod layout;
mod mutations;
mod opengraph;
mod oracle;
mod parquet;
mod questions;
mod refusals;
mod resume;
mod review;
mod rules;
mod support;
mod usage;
