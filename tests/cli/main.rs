//! The CLI integration tests: one test binary (link time) with a module per command.

mod ingest;
mod support;
