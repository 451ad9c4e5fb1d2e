//! The integration tests: one binary (link time matters on two cores), one module per area.

mod oracle;
mod review;
mod rules;
