//! Errors of reading and writing snapshots.
//!
//! Each way a file can be unusable has its own variant, so that the message says which: not a
//! snapshot at all, cut short, damaged (and where), written by a newer or an older p1graph.

use std::io;
use std::path::PathBuf;

/// Why a snapshot could not be written, read or inspected.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read snapshot `{path}`")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write snapshot `{path}`")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{path}` is not a p1graph snapshot (it does not start with the snapshot magic bytes)")]
    Foreign { path: PathBuf },
    #[error("snapshot `{path}` is truncated: {detail}")]
    Truncated { path: PathBuf, detail: String },
    #[error("snapshot `{path}` is corrupted in section `{section}`: {detail}")]
    Corrupt {
        path: PathBuf,
        section: String,
        detail: String,
    },
    #[error(
        "snapshot `{path}` has format version {found}, which is newer than this p1graph reads (version {supported})"
    )]
    FutureVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("snapshot `{path}` has format version {found}, which this p1graph no longer reads")]
    OldVersion { path: PathBuf, found: u32 },
    #[error(
        "snapshot `{path}` was made for access model version {found}; this p1graph implements version {supported}"
    )]
    AccessModel {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("cannot encode section `{section}` of snapshot `{path}`: {detail}")]
    Encode {
        path: PathBuf,
        section: String,
        detail: String,
    },
}

impl SnapshotError {
    /// Advice for the user, printed on its own line after the error.
    pub fn help(&self) -> Option<String> {
        const RECREATE: &str =
            "re-create it with `p1graph snapshot create --input EXPORT_DIR --out FILE.p1g`";
        match self {
            SnapshotError::Foreign { .. } => Some(
                "pass a `.p1g` file written by `p1graph snapshot create` or `p1graph ingest --out`, or an export directory"
                    .into(),
            ),
            SnapshotError::Truncated { .. } | SnapshotError::Corrupt { .. } => {
                Some(format!("the file was damaged after it was written; {RECREATE}"))
            }
            SnapshotError::FutureVersion { .. } => {
                Some(format!("upgrade p1graph, or {RECREATE} with this version"))
            }
            SnapshotError::OldVersion { .. } | SnapshotError::AccessModel { .. } => Some(RECREATE.into()),
            _ => None,
        }
    }

    /// The section a corruption was found in, when the error names one.
    pub fn section(&self) -> Option<&str> {
        match self {
            SnapshotError::Corrupt { section, .. } | SnapshotError::Encode { section, .. } => {
                Some(section)
            }
            _ => None,
        }
    }
}
