//! The offline export directory (`../shared/design/export-format.md`): read and write.
//!
//! Reading turns the directory into a [`crate::model::Tenant`]; writing is used by the live
//! ingest and the synthetic generator. Every API object is stored unchanged as one JSON line, so
//! the reader is lenient about members it does not use (counted as unknown) and strict about the
//! few it needs (a clear error naming the file, line and field).

pub mod collection;
pub mod lines;
pub mod manifest;
pub mod read;
pub mod records;
pub mod validate;
pub mod write;

use std::io;
use std::path::PathBuf;

pub use collection::Collection;
pub use read::read_export;
pub use write::{ExportWriter, WriteError};

/// Errors while reading an export directory.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{path}` is not an export directory: it has no manifest.json")]
    NoManifest { path: PathBuf },
    #[error("`{path}`: the organization does not fit one model")]
    TooLarge {
        path: PathBuf,
        #[source]
        source: crate::model::intern::InternerFull,
    },
    #[error("`{path}`: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error(
        "`{path}`: unsupported export {what} `{found}` (this p1graph reads format `p1graph-export` version 1)"
    )]
    Version {
        path: PathBuf,
        what: &'static str,
        found: String,
    },
    #[error("`{path}` line {line}: {message}")]
    Record {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("`{path}` line {line}: field `id`: duplicate {kind} id `{id}`")]
    Duplicate {
        path: PathBuf,
        line: usize,
        kind: &'static str,
        id: String,
    },
    #[error("`{path}` line {line}: the zstd stream is corrupt or truncated")]
    Decompress {
        path: PathBuf,
        /// The line being decompressed when the stream failed (the ones before were whole).
        line: usize,
        #[source]
        source: io::Error,
    },
    #[error("both `{plain}` and `{zst}` exist; keep one")]
    Ambiguous { plain: PathBuf, zst: PathBuf },
}

impl ReadError {
    pub fn help(&self) -> Option<String> {
        match self {
            ReadError::NoManifest { .. } => Some(
                "pass a directory written by `p1graph ingest` or `p1graph synth`, or a `.p1g` snapshot"
                    .into(),
            ),
            ReadError::Version { .. } => Some("re-create the export with this version of p1graph".into()),
            ReadError::Decompress { .. } => Some(
                "the file was damaged after it was written: restore it from a copy, or run the ingest again"
                    .into(),
            ),
            _ => None,
        }
    }
}
