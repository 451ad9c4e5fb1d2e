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
}

impl InputError {
    pub fn help(&self) -> Option<String> {
        Some("pass an export directory (with manifest.json) or a `.p1g` snapshot".into())
    }
}

/// Loads an export directory or a snapshot.
pub fn load(path: &Path) -> Result<Tenant, crate::Error> {
    if path.is_dir() {
        return Ok(crate::export::read_export(path)?);
    }
    if !path.exists() {
        return Err(InputError::Missing(path.to_path_buf()).into());
    }
    if crate::snapshot::is_snapshot(path) {
        return Ok(crate::snapshot::load(path)?);
    }
    Err(InputError::Unrecognised(path.to_path_buf()).into())
}
