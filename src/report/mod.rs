//! What users see: the access export, summaries, explanations, and where they are written.

pub mod access;
pub mod buffers;
pub mod csv;
pub mod diff;
pub mod escalation;
pub mod findings;
pub mod json;
pub mod opengraph;
pub mod output;
pub mod parquet;
pub mod profiles;
pub mod summary;
pub mod table;
pub mod usage;

pub use output::{Output, OutputError};

/// `--format` of the row exports (`access`, `findings`, `escalation`): a table on a terminal and
/// CSV when piped unless asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RowsFormat {
    Csv,
    Json,
    Table,
    /// A Parquet file (to `--out FILE` or a pipe, never a terminal).
    Parquet,
}

/// `--format` of the reports that have no Parquet form (`diff`, `usage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    Csv,
    Json,
    Table,
}
