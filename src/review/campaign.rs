//! The campaign manifest (`campaign.json`) and the input fingerprint.
//!
//! The manifest pins the input a campaign was started from by its SHA-256 (of a snapshot file,
//! or of an export directory's files in sorted order), so that `plan` can refuse to compute
//! operations against a different organization state than the reviewers saw.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{By, ReviewError};

pub const MANIFEST_FILE: &str = "campaign.json";
pub const FORMAT_NAME: &str = "p1graph-review";
pub const FORMAT_VERSION: u32 = 1;

/// The input a campaign reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputInfo {
    /// Absolute path as given when the campaign started.
    pub path: PathBuf,
    /// `export` (a directory) or `snapshot` (a file).
    pub kind: String,
    /// Hex SHA-256 (see [`hash_input`]).
    pub sha256: String,
    /// The capture time of the input, RFC 3339; empty when unknown.
    pub captured_at: String,
}

impl InputInfo {
    /// Fingerprints the input at `path`.
    pub fn of(path: &Path, captured_at: Option<crate::model::Ts>) -> Result<Self, ReviewError> {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        Ok(InputInfo {
            kind: if path.is_dir() { "export" } else { "snapshot" }.into(),
            sha256: hash_input(path)?,
            path: abs,
            captured_at: captured_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        })
    }
}

/// Options a campaign was started with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignOptions {
    pub by: By,
    pub scope: Vec<String>,
    pub as_of: String,
    pub dormant_days: i64,
    pub usage_days: i64,
}

/// One sheet of the campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetEntry {
    /// Path relative to the campaign directory, `/`-separated.
    pub file: String,
    /// Original key columns of every row (zstd-compressed CSV), relative path.
    pub keys: String,
    pub target_type: String,
    pub target_id: String,
    pub target_name: String,
    pub rows: u64,
    /// Who reviews this sheet (an e-mail address or a name); empty until assigned. Kept in the
    /// campaign and so in the verification evidence.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reviewer: String,
}

/// `campaign.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignManifest {
    pub format: String,
    pub version: u32,
    pub campaign_id: String,
    pub created_at: String,
    pub input: InputInfo,
    pub options: CampaignOptions,
    /// The usage period covered (M8), `from/to`; empty without activity data.
    pub usage_period: String,
    pub sheets: Vec<SheetEntry>,
}

impl CampaignManifest {
    pub fn load(dir: &Path) -> Result<Self, ReviewError> {
        let path = dir.join(MANIFEST_FILE);
        if !path.is_file() {
            return Err(ReviewError::NotACampaign(dir.to_path_buf()));
        }
        let bytes = std::fs::read(&path).map_err(ReviewError::io(&path))?;
        let m: CampaignManifest =
            serde_json::from_slice(&bytes).map_err(|e| ReviewError::Manifest {
                path: path.clone(),
                message: e.to_string(),
            })?;
        if m.format != FORMAT_NAME || m.version != FORMAT_VERSION {
            return Err(ReviewError::Manifest {
                path,
                message: format!(
                    "unsupported campaign format `{}` version {} (this p1graph reads `{FORMAT_NAME}` version {FORMAT_VERSION})",
                    m.format, m.version
                ),
            });
        }
        for s in &m.sheets {
            for rel in [&s.file, &s.keys] {
                if !is_safe_relative(rel) {
                    return Err(ReviewError::Manifest {
                        path: path.clone(),
                        message: format!("sheet path `{rel}` leaves the campaign directory"),
                    });
                }
            }
        }
        Ok(m)
    }

    pub fn to_json(&self) -> Result<Vec<u8>, crate::report::output::OutputError> {
        crate::report::json::pretty_named(self, "campaign.json")
    }

    /// Records `reviewer` for every sheet `which` names (a sheet file, a target id or a target
    /// name; `*` for all), and writes `campaign.json` again (atomically). Returns the sheets.
    pub fn assign(
        &mut self,
        dir: &Path,
        which: &str,
        reviewer: &str,
    ) -> Result<Vec<String>, ReviewError> {
        let mut hit = Vec::new();
        for s in &mut self.sheets {
            let name = s.file.rsplit('/').next().unwrap_or(&s.file);
            if which == "*"
                || which == s.file
                || which == name
                || which == s.target_id
                || s.target_name.eq_ignore_ascii_case(which)
            {
                s.reviewer = reviewer.to_string();
                hit.push(s.file.clone());
            }
        }
        if hit.is_empty() {
            return Err(ReviewError::UnknownSheet(which.to_string()));
        }
        crate::report::output::write_file_with(
            &dir.join(MANIFEST_FILE),
            &self.to_json()?,
            crate::report::output::Durability::Durable,
        )?;
        Ok(hit)
    }
}

/// A relative path made of plain components (no `..`, no root).
fn is_safe_relative(p: &str) -> bool {
    !p.is_empty()
        && Path::new(p)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// SHA-256 of an input: a file's bytes, or for a directory every file below it in sorted
/// relative-path order, each as `path NUL length NUL bytes`, so that renaming or moving
/// content between files changes the hash.
pub fn hash_input(path: &Path) -> Result<String, ReviewError> {
    let mut h = Sha256::new();
    if path.is_dir() {
        let mut files = Vec::new();
        walk(path, path, &mut files)?;
        files.sort();
        for (rel, full) in files {
            let bytes = std::fs::read(&full).map_err(ReviewError::io(&full))?;
            h.update(rel.as_bytes());
            h.update([0]);
            h.update((bytes.len() as u64).to_le_bytes());
            h.update([0]);
            h.update(&bytes);
        }
    } else {
        let mut f = std::fs::File::open(path).map_err(ReviewError::io(path))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).map_err(ReviewError::io(path))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
    }
    Ok(hex(&h.finalize()))
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), ReviewError> {
    for e in std::fs::read_dir(dir).map_err(ReviewError::io(dir))? {
        let e = e.map_err(ReviewError::io(dir))?;
        let p = e.path();
        let ft = e.file_type().map_err(ReviewError::io(&p))?;
        if ft.is_dir() {
            walk(root, &p, out)?;
        } else {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((rel, p));
        }
    }
    Ok(())
}

/// SHA-256 of a byte string, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String, ReviewError> {
    hash_input(path)
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_hash_depends_on_names_and_contents() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("environments/e1")).unwrap();
        std::fs::write(d.path().join("manifest.json"), b"{}").unwrap();
        std::fs::write(d.path().join("environments/e1/users.jsonl"), b"a\n").unwrap();
        let h1 = hash_input(d.path()).unwrap();
        assert_eq!(h1, hash_input(d.path()).unwrap(), "stable");
        std::fs::write(d.path().join("environments/e1/users.jsonl"), b"b\n").unwrap();
        let h2 = hash_input(d.path()).unwrap();
        assert_ne!(h1, h2);
        std::fs::rename(
            d.path().join("environments/e1/users.jsonl"),
            d.path().join("environments/e1/groups.jsonl"),
        )
        .unwrap();
        assert_ne!(h2, hash_input(d.path()).unwrap());
    }

    #[test]
    fn unsafe_sheet_paths_are_refused() {
        assert!(is_safe_relative("sheets/a.csv"));
        assert!(!is_safe_relative("../a.csv"));
        assert!(!is_safe_relative("/etc/passwd"));
        assert!(!is_safe_relative(""));
    }
}
