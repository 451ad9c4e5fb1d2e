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
    #[error("cannot read `{path}` to digest it")]
    Digest {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
            InputError::Digest { .. } => None,
        }
    }
}

/// Loads an export directory or a snapshot.
pub fn load(path: &Path) -> Result<Tenant, InputError> {
    load_with(path, crate::snapshot::Sections::All)
}

/// [`load`], decoding only `sections` of a snapshot (an export directory is read whole).
pub fn load_with(path: &Path, sections: crate::snapshot::Sections) -> Result<Tenant, InputError> {
    if path.is_dir() {
        return Ok(crate::export::read_export(path)?);
    }
    if !path.exists() {
        return Err(InputError::Missing(path.to_path_buf()));
    }
    if crate::snapshot::is_snapshot(path) {
        return Ok(crate::snapshot::load_with(path, sections)?);
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

/// The SHA-256 of an input, as lowercase hex, for provenance: of the file for a snapshot; for an
/// export directory, of the sorted list of `relative/path NUL sha256(content) LF` over every
/// regular file below it, so that the digest names the content, not the order a file system
/// lists it in.
pub fn digest(path: &Path) -> Result<String, InputError> {
    use sha2::{Digest, Sha256};
    let err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| InputError::Digest { path: p, source }
    };
    fn hash_file(p: &Path) -> std::io::Result<[u8; 32]> {
        let mut h = Sha256::new();
        let mut f = std::fs::File::open(p)?;
        std::io::copy(&mut f, &mut h)?;
        Ok(h.finalize().into())
    }
    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
    if !path.is_dir() {
        return Ok(hex(&hash_file(path).map_err(err(path))?));
    }
    let mut files = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(err(&dir))? {
            let entry = entry.map_err(err(&dir))?;
            let ft = entry.file_type().map_err(err(&entry.path()))?;
            if ft.is_dir() {
                stack.push(entry.path());
            } else if ft.is_file() {
                files.push(entry.path());
            }
        }
    }
    let mut lines: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(path)
                .unwrap_or(&p)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            (rel, p)
        })
        .collect();
    lines.sort();
    let mut h = Sha256::new();
    for (rel, p) in &lines {
        h.update(rel.as_bytes());
        h.update([0]);
        h.update(hex(&hash_file(p).map_err(err(p))?).as_bytes());
        h.update(b"\n");
    }
    Ok(hex(&h.finalize()))
}
