//! `--input PATH`: an export directory or a `.p1g` snapshot (recognised by its magic bytes),
//! loaded into a [`Tenant`].

use std::path::{Path, PathBuf};

use crate::model::Tenant;

/// Errors choosing or loading an input.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("`{0}` does not exist")]
    Missing(PathBuf),
    #[error("`{0}` is neither an export directory nor a p1graph snapshot")]
    Unrecognised(PathBuf),
    #[error(transparent)]
    Read(#[from] crate::export::ReadError),
    #[error(transparent)]
    Snapshot(#[from] crate::snapshot::SnapshotError),
    #[error(transparent)]
    Previous(#[from] crate::usage::PreviousError),
}

impl InputError {
    pub fn help(&self) -> Option<String> {
        match self {
            InputError::Missing(_) | InputError::Unrecognised(_) => {
                Some("pass an export directory (with manifest.json) or a `.p1g` snapshot".into())
            }
            InputError::Read(e) => e.help(),
            InputError::Snapshot(e) => e.help(),
            InputError::Previous(e) => e.help(),
        }
    }
}

/// Loads an export directory or a snapshot.
pub fn load(path: &Path) -> Result<Tenant, InputError> {
    if path.is_dir() {
        return Ok(crate::export::read_export(path)?);
    }
    if !path.exists() {
        return Err(InputError::Missing(path.to_path_buf()));
    }
    if crate::snapshot::is_snapshot(path) {
        return Ok(crate::snapshot::load(path)?);
    }
    Err(InputError::Unrecognised(path.to_path_buf()))
}

/// An export directory -> a snapshot at `out`, with an earlier snapshot's usage ledger carried
/// forward (after checking it belongs to the same organization and is not newer). The library
/// step behind `ingest --out FILE.p1g`.
pub fn snapshot_from_export(
    export: &Path,
    previous: Option<&(Tenant, PathBuf)>,
    out: &Path,
) -> Result<crate::snapshot::SnapshotInfo, InputError> {
    let mut tenant = crate::export::read_export(export)?;
    if let Some((prev, path)) = previous {
        crate::usage::check_previous(&tenant, tenant.captured_at(), prev, path)?;
        crate::usage::carry_forward(&mut tenant, &prev.usage, |s| prev.strings.resolve(s));
    }
    Ok(crate::snapshot::save(&tenant, out)?)
}
