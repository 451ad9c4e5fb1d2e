//! What `p1graph snapshot info` reports: the header, the counts, and every section's sizes,
//! compression and checksum status.

use std::fmt;
use std::path::PathBuf;

use crate::model::Ts;

pub use super::sections::Counts;

/// How a section is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Zstd,
}

impl Compression {
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Zstd => "zstd",
        }
    }
}

/// The result of checking a section's CRC-32.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChecksumStatus {
    Ok,
    Mismatch,
}

/// One section of a snapshot.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SectionInfo {
    pub name: &'static str,
    /// Bytes before compression.
    pub raw_len: u64,
    /// Bytes in the file.
    pub stored_len: u64,
    pub compression: Compression,
    pub checksum: ChecksumStatus,
}

/// A snapshot's header and layout.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotInfo {
    pub path: PathBuf,
    pub file_len: u64,
    pub format_version: u32,
    pub access_model_version: u32,
    #[serde(serialize_with = "rfc3339")]
    pub captured_at: Option<Ts>,
    pub organization_id: String,
    pub organization_name: String,
    pub counts: Counts,
    pub sections: Vec<SectionInfo>,
}

/// `captured_at` as RFC 3339 text (or null) in JSON.
fn rfc3339<S: serde::Serializer>(t: &Option<Ts>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_rfc3339()),
        None => s.serialize_none(),
    }
}

impl SnapshotInfo {
    /// Every section's checksum matches.
    pub fn is_intact(&self) -> bool {
        self.sections
            .iter()
            .all(|s| s.checksum == ChecksumStatus::Ok)
    }

    /// Sum of the sections' uncompressed sizes.
    pub fn raw_len(&self) -> u64 {
        self.sections.iter().map(|s| s.raw_len).sum()
    }
}

/// `1234567` -> `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count for people: `512 B`, `1.5 KiB`, `12.0 MiB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

impl fmt::Display for SnapshotInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "snapshot        {}", self.path.display())?;
        writeln!(
            f,
            "format          p1graph snapshot version {}, access model version {}",
            self.format_version, self.access_model_version
        )?;
        let captured = self
            .captured_at
            .map_or_else(|| "unknown".to_string(), |t| t.to_rfc3339());
        writeln!(f, "captured at     {captured}")?;
        let org = match (
            self.organization_name.is_empty(),
            self.organization_id.is_empty(),
        ) {
            (_, true) => "unknown".to_string(),
            (true, false) => self.organization_id.clone(),
            (false, false) => format!("{} ({})", self.organization_name, self.organization_id),
        };
        writeln!(f, "organization    {org}")?;
        writeln!(
            f,
            "size            {} ({} bytes; {} uncompressed)",
            bytes(self.file_len),
            thousands(self.file_len),
            bytes(self.raw_len())
        )?;
        let status = if self.is_intact() {
            "ok (every section matches its checksum)".to_string()
        } else {
            let bad: Vec<&str> = self
                .sections
                .iter()
                .filter(|s| s.checksum != ChecksumStatus::Ok)
                .map(|s| s.name)
                .collect();
            format!("CORRUPTED in {}", bad.join(", "))
        };
        writeln!(f, "integrity       {status}")?;
        writeln!(f)?;
        writeln!(f, "counts")?;
        for (name, n) in Counts::NAMES.iter().zip(self.counts.to_array()) {
            writeln!(f, "  {name:<26}{:>14}", thousands(n))?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "  {:<14}{:>14}{:>14}  {:<12}checksum",
            "section", "raw bytes", "stored bytes", "compression"
        )?;
        for s in &self.sections {
            let check = match s.checksum {
                ChecksumStatus::Ok => "ok",
                ChecksumStatus::Mismatch => "MISMATCH",
            };
            writeln!(
                f,
                "  {:<14}{:>14}{:>14}  {:<12}{}",
                s.name,
                thousands(s.raw_len),
                thousands(s.stored_len),
                s.compression.as_str(),
                check
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(bytes(10), "10 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 << 20), "3.0 MiB");
    }
}
