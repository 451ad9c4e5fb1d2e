//! What users see: the access export, summaries, explanations, and where they are written.

pub mod access;
pub mod csv;
pub mod diff;
pub mod escalation;
pub mod findings;
pub mod json;
pub mod opengraph;
pub mod output;
pub mod parquet;
pub mod summary;
pub mod table;
pub mod usage;

pub use output::{Output, OutputError};
