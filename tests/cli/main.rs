//! The integration tests: one binary (link time matters on two cores), one module per area.

mod demo;
mod errors;
mod escalation;
mod findings;
mod ingest;
mod oracle;
mod review;
mod rules;
mod support;
mod usage;
