//! Compact binary snapshots of the normalized model (`.p1g` files).
//!
//! Users ingest once (slow, rate-limited) and analyse many times; a snapshot holds the whole
//! [`Tenant`] (strings, manifest and coverage, organization, every entity table, relations,
//! roles with permissions, assignments, applications with access control, grants, the usage
//! ledger and the warnings) so that any analysis gives the same output from the snapshot as from
//! the export it came from. The derived [`crate::model::Index`] is not stored: [`load`] rebuilds
//! it.
//!
//! # Layout (format version 1)
//!
//! ```text
//! prefix   32 bytes, the same in every version:
//!          magic "P1GRAPH\0" | format version u32 | header length u32 | file length u64
//!          | header CRC-32 u32 | CRC-32 of the previous 28 bytes u32
//! header   access-model version, capture time, organization id and name, 17 entity counts,
//!          section table: (kind, compression, CRC-32 of stored bytes, offset, stored and raw
//!          length) per section
//! sections strings, meta, environments, populations, users, groups, memberships, nestings,
//!          roles, assignments, applications, resources, scopes, grants, gateways, usage;
//!          contiguous, in this order, each a struct of flat columns (see `codec`), stored as
//!          is or zstd-compressed
//! ```
//!
//! Every byte is covered by a checksum (the prefix by its own CRC, the header by the CRC in the
//! prefix, each section by the CRC in the header; sections are contiguous and the file length
//! is recorded), so any flipped byte is detected, and a cut-short file is reported as truncated.
//! After the checksums, every id and offset is range-checked (`sections`).
//!
//! All bytes are in the bincode wire format via `wincode`, behind [`codec`] alone.
//!
//! The string table is stored in the order the exports read it (users' ids, usernames and
//! display names first, users in id order; see `layout.rs`): symbol numbers in a file are the
//! writer's own, and equal tenants still give equal bytes.
//!
//! # Costs
//!
//! [`save`]: O(rows + string bytes) time, two copies of the encoded sections in memory (raw and
//! compressed), sections encoded and compressed in parallel. [`load`]: O(rows + string bytes);
//! the file is read in two buffers (the string arena, which becomes the interner's, and the
//! rest), sections are checked and decompressed in parallel, and decoded on both cores.
//!
//! Measured 2026-11-29 on 2 shared cores (release build, synthetic tenants from `synth`, page
//! cache warm): 1,000,000 users: export 1,657 MB, snapshot 140 MB (1/12), `read_export`
//! 19-26 s, `load` 0.7-1.3 s, peak memory of a load 414 MB; 100,000 users: 241 MB vs 18 MB,
//! 1.5 s vs 0.1 s.

mod codec;
mod error;
mod info;
mod layout;
mod sections;

use std::borrow::Cow;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use rayon::prelude::*;

use crate::model::{ACCESS_MODEL_VERSION, Tenant, Ts};
use codec::{HeaderWire, PREFIX_BODY_LEN, Prefix, SectionWire};
pub use error::SnapshotError;
pub use info::{ChecksumStatus, Compression, Counts, SectionInfo, SnapshotInfo};
use sections::SectionKind;

/// The first eight bytes of every snapshot.
pub const MAGIC: [u8; 8] = *b"P1GRAPH\0";

/// The format version this code writes, and the newest it reads. Version 2 adds roles'
/// `applicableTo` and `canBeAssignedBy` and the GROUP scope type (attack-path model).
pub const FORMAT_VERSION: u32 = 2;

/// Format versions older than [`FORMAT_VERSION`] that this code can still read (none yet). An
/// older version not listed here is refused with advice to re-create the snapshot.
const READABLE_OLD_VERSIONS: &[u32] = &[];

/// Fuzzing builds (`--cfg fuzzing`, set by `cargo fuzz`) do not compare checksums: a mutated
/// byte would otherwise never get past them. Every other build compares them all.
const SKIP_CHECKSUMS: bool = cfg!(fuzzing);

/// Bytes of the fixed prefix: the encoded [`Prefix`] and its CRC-32.
const PREFIX_LEN: usize = PREFIX_BODY_LEN + 4;

/// A header larger than this is refused before it is decoded (it is a few hundred bytes).
const MAX_HEADER_LEN: u32 = 1 << 20;

/// zstd level for sections: decompression speed hardly depends on the level; 3 is zstd's
/// default balance of ratio and compression time.
const ZSTD_LEVEL: i32 = 3;

/// Is a section stored compressed? Measured on synthetic tenants (2 cores):
///
/// * the string table (108 MB raw, 56 MB compressed at 1,000,000 users) is never compressed:
///   its decompression sat on the critical path of a load, and compressing it made loads about
///   25% slower;
/// * the users' table neither, since 2026-12-02: once the arena was read apart and the string
///   table took 4-6 ms to check, decompressing the users (3.9 -> 8.2 MB at 200,000 users,
///   15-16 ms) became the longest step of a load. Stored raw, a load takes 41 ms instead of
///   53 ms (medians of 20 interleaved runs) for a file of 25.2 MB instead of 20.8 MB. The
///   memberships stored raw as well gained nothing more (40 ms) for 3 MB more;
/// * every other section is decompressed beside those, so compression costs no load time
///   there; it is kept when it saves at least a quarter of the bytes (memberships 4.1 -> 1.0 MB,
///   usage 5.8 -> 2.2 MB at 200,000 users).
fn should_try_compressing(kind: SectionKind) -> bool {
    !matches!(kind, SectionKind::Strings | SectionKind::Users)
}

/// The most a compressed section may expand on load. The writer stores a section that would
/// compress further as it is, so that the reader can refuse any section claiming more: a file
/// then never decodes to more than this many times its size (a decompression bomb is refused
/// before it is decompressed). Real sections compress 2x to 5x (users, memberships, usage).
const MAX_EXPANSION: u64 = 64;

fn worth_compressing(raw: usize, compressed: usize) -> bool {
    compressed.saturating_mul(4) <= raw.saturating_mul(3)
        && raw as u64 <= (compressed as u64).saturating_mul(MAX_EXPANSION)
}

/// One encoded section, ready to be written.
struct StoredSection {
    kind: SectionKind,
    raw_len: u64,
    compression: Compression,
    bytes: Vec<u8>,
}

fn compression_code(c: Compression) -> u8 {
    match c {
        Compression::None => 0,
        Compression::Zstd => 1,
    }
}

/// Writes `tenant` to `path` atomically (a temporary file in the same directory, fsynced, then
/// renamed over `path`), with mode 0600 on Unix: a snapshot holds personal data.
///
/// Refuses to replace an existing file that is not a snapshot. The same tenant always gives the
/// same bytes.
pub fn save(tenant: &Tenant, path: &Path) -> Result<SnapshotInfo, SnapshotError> {
    let encode_err = |kind: SectionKind, detail: String| SnapshotError::Encode {
        path: path.to_path_buf(),
        section: kind.name().to_string(),
        detail,
    };
    let layout = layout::StringLayout::of(tenant);
    let stored: Vec<Result<StoredSection, SnapshotError>> = SectionKind::ALL
        .par_iter()
        .map(|&kind| {
            let raw =
                sections::encode_section(tenant, &layout, kind).map_err(|e| encode_err(kind, e))?;
            let compressed = if should_try_compressing(kind) {
                Some(
                    zstd::bulk::compress(&raw, ZSTD_LEVEL)
                        .map_err(|e| encode_err(kind, format!("zstd: {e}")))?,
                )
            } else {
                None
            };
            let raw_len = raw.len() as u64;
            let (compression, bytes) = match compressed {
                Some(c) if worth_compressing(raw.len(), c.len()) => (Compression::Zstd, c),
                _ => (Compression::None, raw),
            };
            Ok(StoredSection {
                kind,
                raw_len,
                compression,
                bytes,
            })
        })
        .collect();
    let stored: Vec<StoredSection> = stored.into_iter().collect::<Result<_, _>>()?;

    let counts = Counts::of(tenant);
    let mut offset = 0u64;
    let mut table = Vec::with_capacity(stored.len());
    for s in &stored {
        table.push(SectionWire {
            kind: s.kind.code(),
            compression: compression_code(s.compression),
            crc: crc32fast::hash(&s.bytes),
            offset,
            stored_len: s.bytes.len() as u64,
            raw_len: s.raw_len,
        });
        offset += s.bytes.len() as u64;
    }
    let header = HeaderWire {
        access_model_version: ACCESS_MODEL_VERSION,
        captured_at: tenant.manifest.captured_at.map(|t| t.0),
        organization_id: tenant.s(tenant.organization.id).to_string(),
        organization_name: tenant.s(tenant.organization.name).to_string(),
        counts: counts.to_array(),
        sections: table,
    };
    let header_bytes = codec::encode(&header).map_err(|e| SnapshotError::Encode {
        path: path.to_path_buf(),
        section: "header".into(),
        detail: e,
    })?;
    let header_len = u32::try_from(header_bytes.len()).unwrap_or(u32::MAX);
    let file_len = (PREFIX_LEN + header_bytes.len()) as u64 + offset;
    let prefix = Prefix {
        magic: MAGIC,
        format_version: FORMAT_VERSION,
        header_len,
        file_len,
        header_crc: crc32fast::hash(&header_bytes),
    };
    let mut prefix_bytes = codec::encode(&prefix).map_err(|e| SnapshotError::Encode {
        path: path.to_path_buf(),
        section: "prefix".into(),
        detail: e,
    })?;
    let prefix_crc = crc32fast::hash(&prefix_bytes);
    prefix_bytes.extend_from_slice(&codec::encode_u32(prefix_crc));

    let mut parts: Vec<&[u8]> = vec![&prefix_bytes, &header_bytes];
    parts.extend(stored.iter().map(|s| s.bytes.as_slice()));
    write_atomic(path, &parts).map_err(|source| SnapshotError::Write {
        path: path.to_path_buf(),
        source,
    })?;

    Ok(SnapshotInfo {
        path: path.to_path_buf(),
        file_len,
        format_version: FORMAT_VERSION,
        access_model_version: ACCESS_MODEL_VERSION,
        captured_at: tenant.manifest.captured_at,
        organization_id: header.organization_id,
        organization_name: header.organization_name,
        counts,
        sections: stored
            .iter()
            .map(|s| SectionInfo {
                name: s.kind.name(),
                raw_len: s.raw_len,
                stored_len: s.bytes.len() as u64,
                compression: s.compression,
                checksum: ChecksumStatus::Ok,
            })
            .collect(),
    })
}

fn write_atomic(path: &Path, parts: &[&[u8]]) -> io::Result<()> {
    if path.exists() && !is_snapshot(path) {
        let empty = fs::metadata(path)
            .map(|m| m.is_file() && m.len() == 0)
            .unwrap_or(false);
        if !empty {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the file exists and is not a p1graph snapshot; refusing to replace it",
            ));
        }
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // `tempfile` creates the file with mode 0600 on Unix and removes it if we fail before
    // `persist`.
    let mut tmp = tempfile::Builder::new()
        .prefix(".p1graph-snapshot-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    let _reg = crate::cleanup::temporary(tmp.path());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        for p in parts {
            w.write_all(p)?;
        }
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    {
        // Make the rename itself durable.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Does `path` start with the snapshot magic bytes? (A directory or unreadable file: no.)
pub fn is_snapshot(path: &Path) -> bool {
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let mut buf = [0u8; 8];
    f.read_exact(&mut buf).is_ok() && buf == MAGIC
}

/// A file whose prefix and header checked out.
struct Frame<'a> {
    header: HeaderWire,
    /// The sections, in [`SectionKind::ALL`] order, as stored.
    stored: Vec<(SectionKind, SectionWire, &'a [u8])>,
}

fn read_file(path: &Path) -> Result<Vec<u8>, SnapshotError> {
    fs::read(path).map_err(|source| SnapshotError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Checks the prefix, the version and the header, and slices the sections.
fn parse_frame<'a>(bytes: &'a [u8], path: &Path) -> Result<Frame<'a>, SnapshotError> {
    parse_frame_apart(bytes, None, path)
}

/// [`parse_frame`] of a file whose string arena (`hole` bytes, just after the strings section's
/// 8-byte length) was read into a buffer of its own ([`read_apart`]): `bytes` is the file
/// without them, every check is made against the whole file's length, and the strings section
/// is sliced without its arena.
fn parse_frame_apart<'a>(
    bytes: &'a [u8],
    hole: Option<usize>,
    path: &Path,
) -> Result<Frame<'a>, SnapshotError> {
    let p = || path.to_path_buf();
    let hole_len = hole.unwrap_or(0);
    let corrupt = |section: &str, detail: String| SnapshotError::Corrupt {
        path: p(),
        section: section.to_string(),
        detail,
    };
    let n = bytes.len() + hole_len;
    let magic_len = MAGIC.len().min(bytes.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(SnapshotError::Foreign { path: p() });
    }
    if bytes.len() < PREFIX_LEN {
        return Err(SnapshotError::Truncated {
            path: p(),
            detail: format!("it has {n} bytes, fewer than the {PREFIX_LEN}-byte prefix"),
        });
    }
    let (body, crc) = bytes[..PREFIX_LEN].split_at(PREFIX_BODY_LEN);
    if crc32fast::hash(body).to_le_bytes() != crc && !SKIP_CHECKSUMS {
        return Err(corrupt("prefix", "checksum mismatch".into()));
    }
    let prefix: Prefix = codec::decode(body).map_err(|e| corrupt("prefix", e))?;
    match prefix.format_version {
        FORMAT_VERSION => {}
        v if v > FORMAT_VERSION => {
            return Err(SnapshotError::FutureVersion {
                path: p(),
                found: v,
                supported: FORMAT_VERSION,
            });
        }
        // A known older version would be dispatched to its own reader here.
        v if READABLE_OLD_VERSIONS.contains(&v) => {}
        v => {
            return Err(SnapshotError::OldVersion {
                path: p(),
                found: v,
            });
        }
    }
    if (n as u64) < prefix.file_len {
        return Err(SnapshotError::Truncated {
            path: p(),
            detail: format!("it has {n} bytes, its header says {}", prefix.file_len),
        });
    }
    if (n as u64) > prefix.file_len {
        return Err(corrupt(
            "file",
            format!(
                "{} bytes follow the end recorded in the header",
                n as u64 - prefix.file_len
            ),
        ));
    }
    let header_end = PREFIX_LEN as u64 + u64::from(prefix.header_len);
    if prefix.header_len > MAX_HEADER_LEN || header_end > prefix.file_len {
        return Err(corrupt(
            "prefix",
            format!("header length {} is impossible", prefix.header_len),
        ));
    }
    // Both bounds were checked against the file length above.
    let header_bytes = &bytes[PREFIX_LEN..header_end as usize];
    if crc32fast::hash(header_bytes) != prefix.header_crc && !SKIP_CHECKSUMS {
        return Err(corrupt("header", "checksum mismatch".into()));
    }
    let header: HeaderWire = codec::decode(header_bytes).map_err(|e| corrupt("header", e))?;
    if header.access_model_version != ACCESS_MODEL_VERSION {
        return Err(SnapshotError::AccessModel {
            path: p(),
            found: header.access_model_version,
            supported: ACCESS_MODEL_VERSION,
        });
    }
    let data = &bytes[header_end as usize..];
    // The sections' length in the file.
    let data_len = data.len() as u64 + hole_len as u64;
    if header.sections.len() != SectionKind::ALL.len() {
        return Err(corrupt(
            "header",
            format!(
                "{} sections listed, expected {}",
                header.sections.len(),
                SectionKind::ALL.len()
            ),
        ));
    }
    let mut stored = Vec::with_capacity(header.sections.len());
    let mut next = 0u64;
    // Where section `next` starts in `bytes` (before the hole, the same place).
    let mut at = 0usize;
    for (s, kind) in header.sections.iter().zip(SectionKind::ALL) {
        let name = kind.name();
        if SectionKind::from_code(s.kind) != Some(kind) {
            return Err(corrupt(
                name,
                format!("section code {} where `{name}` belongs", s.kind),
            ));
        }
        if s.offset != next || s.stored_len > data_len - next {
            return Err(corrupt(name, "offset or length outside the file".into()));
        }
        // The strings section comes first; its arena is the hole, after its 8-byte length.
        let apart = match hole {
            Some(h) if kind == SectionKind::Strings => {
                if s.compression != 0 || s.stored_len < h as u64 + 16 {
                    return Err(corrupt(
                        name,
                        "the string arena is not where it belongs".into(),
                    ));
                }
                h
            }
            _ => 0,
        };
        match s.compression {
            0 if s.raw_len != s.stored_len => {
                return Err(corrupt(
                    name,
                    "uncompressed section with two different lengths".into(),
                ));
            }
            0 | 1 => {}
            c => return Err(corrupt(name, format!("unknown compression code {c}"))),
        }
        next += s.stored_len;
        // Checked above: within `data_len`, and `apart` no larger than the section.
        let len = (s.stored_len - apart as u64) as usize;
        stored.push((kind, *s, &data[at..at + len]));
        at += len;
    }
    if next != data_len {
        return Err(corrupt(
            "header",
            "the sections do not cover the file".into(),
        ));
    }
    Ok(Frame { header, stored })
}

/// Checks a section's CRC-32: of `stored`, or, when the section's arena was read apart
/// ([`read_apart`]), of its first 8 bytes, the `arena`, then the rest.
fn check_crc_apart(
    path: &Path,
    kind: SectionKind,
    s: &SectionWire,
    stored: &[u8],
    arena: Option<&[u8]>,
) -> Result<(), SnapshotError> {
    let crc = match arena {
        None => crc32fast::hash(stored),
        Some(arena) => {
            // `parse_frame_apart` left at least 16 bytes around the arena.
            let (len, rest) = stored.split_at(8);
            let mut h = crc32fast::Hasher::new();
            h.update(len);
            h.update(arena);
            h.update(rest);
            h.finalize()
        }
    };
    if crc != s.crc && !SKIP_CHECKSUMS {
        return Err(SnapshotError::Corrupt {
            path: path.to_path_buf(),
            section: kind.name().to_string(),
            detail: format!(
                "checksum mismatch (recorded {:08x}, computed {crc:08x})",
                s.crc
            ),
        });
    }
    Ok(())
}

/// A section's raw bytes: borrowed when stored as is, decompressed otherwise.
fn unpack<'a>(
    path: &Path,
    kind: SectionKind,
    s: &SectionWire,
    stored: &'a [u8],
) -> Result<Cow<'a, [u8]>, SnapshotError> {
    let corrupt = |detail: String| SnapshotError::Corrupt {
        path: path.to_path_buf(),
        section: kind.name().to_string(),
        detail,
    };
    if s.compression == 0 {
        return Ok(Cow::Borrowed(stored));
    }
    let raw_len = usize::try_from(s.raw_len).map_err(|_| corrupt("raw length too large".into()))?;
    match zstd::zstd_safe::get_frame_content_size(stored) {
        Ok(Some(size)) if size == s.raw_len => {}
        _ => {
            return Err(corrupt(
                "the zstd frame does not have the recorded length".into(),
            ));
        }
    }
    // The length comes from the file (its frame repeats it): before it sizes an allocation or
    // the decompressor runs, it must be one the writer could have stored. Bounding it by what a
    // zstd frame can hold (128 KiB per 3-byte block) was not enough: a genuine frame of a few
    // KiB expands to gigabytes. The writer never compresses past `MAX_EXPANSION`.
    let most = (stored.len() as u64).saturating_mul(MAX_EXPANSION);
    if s.raw_len > most {
        return Err(corrupt(format!(
            "it claims {} bytes from {} compressed bytes, more than {MAX_EXPANSION} times as many (a snapshot never holds such a section; a decompression bomb would)",
            s.raw_len,
            stored.len()
        )));
    }
    // Allocate fallibly all the same: the bound can still exceed the memory at hand.
    let mut out: Vec<u8> = Vec::new();
    out.try_reserve_exact(raw_len)
        .map_err(|_| corrupt(format!("cannot allocate {raw_len} bytes")))?;
    let mut d = zstd::bulk::Decompressor::new().map_err(|e| corrupt(format!("zstd: {e}")))?;
    let got = d
        .decompress_to_buffer(stored, &mut out)
        .map_err(|e| corrupt(format!("zstd: {e}")))?;
    if got != raw_len {
        return Err(corrupt(format!(
            "decompressed to {got} bytes, expected {raw_len}"
        )));
    }
    Ok(Cow::Owned(out))
}

/// Checks a section's CRC and returns its raw bytes.
#[cfg(test)]
fn section_bytes<'a>(
    path: &Path,
    kind: SectionKind,
    s: &SectionWire,
    stored: &'a [u8],
) -> Result<Cow<'a, [u8]>, SnapshotError> {
    check_crc_apart(path, kind, s, stored, None)?;
    unpack(path, kind, s, stored)
}

/// Reads a snapshot back into a tenant (index rebuilt).
///
/// Truncated, corrupted, foreign and future-version files are refused with an error that says
/// which; ids and offsets are range-checked, so a bad file never panics later.
pub fn load(path: &Path) -> Result<Tenant, SnapshotError> {
    load_with(path, Sections::All)
}

/// What a load decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sections {
    /// Every section.
    All,
    /// Every section but the usage ledger, which only the findings and the usage report read:
    /// the exports of access rows skip its decoding (a tenth of the file at 200,000 users). Its
    /// checksum is still verified, so a damaged file is refused all the same; the tenant's
    /// ledger is left empty, which reads as "no usage covered" (never as evidence of disuse).
    WithoutUsage,
}

/// [`load`], decoding only `sections`.
pub fn load_with(path: &Path, sections: Sections) -> Result<Tenant, SnapshotError> {
    match read_apart(path)? {
        Some(Apart { rest, arena }) => decode_apart(rest, Some(arena), path, sections),
        None => decode_apart(read_file(path)?, None, path, sections),
    }
}

/// Reads a snapshot with its string arena in a buffer of its own, the file's other bytes in
/// another; `None` when the file does not look like a snapshot whose arena can be read so (it is
/// then read whole, and [`decode`] says what is wrong with it).
///
/// Why: the arena is most of the file (30 of 37 MB at 200,000 users). Read with the rest, it was
/// copied out into the interner: 30 MB more memory to fault in and copy on every load. Nothing
/// read here is trusted: [`decode_apart`] checks the prefix, header and checksums exactly as
/// [`decode`] does.
fn read_apart(path: &Path) -> Result<Option<Apart>, SnapshotError> {
    let io = |source| SnapshotError::Read {
        path: path.to_path_buf(),
        source,
    };
    let f = File::open(path).map_err(io)?;
    let file_len = f.metadata().map_err(io)?.len();
    let mut bytes = Vec::new();
    // Appends the file's next `n` bytes to `bytes` (which holds the file from its start), or
    // says the file ended first.
    let read = |bytes: &mut Vec<u8>, n: u64| -> Result<bool, SnapshotError> {
        let at = bytes.len() as u64;
        read_at(&f, bytes, at, n).map_err(io)
    };
    if !read(&mut bytes, PREFIX_LEN as u64)? {
        return Ok(None);
    }
    let Ok(prefix) = codec::decode::<Prefix>(&bytes[..PREFIX_BODY_LEN]) else {
        return Ok(None);
    };
    if prefix.magic != MAGIC
        || prefix.file_len != file_len
        || prefix.header_len > MAX_HEADER_LEN
        || !read(&mut bytes, u64::from(prefix.header_len))?
    {
        return Ok(None);
    }
    let Ok(header) = codec::decode::<HeaderWire>(&bytes[PREFIX_LEN..]) else {
        return Ok(None);
    };
    let Some(strings) = header.sections.first() else {
        return Ok(None);
    };
    if strings.kind != SectionKind::Strings.code()
        || strings.compression != 0
        || strings.offset != 0
        || strings.stored_len < 16
        || !read(&mut bytes, 8)?
    {
        return Ok(None);
    }
    let arena_len = u64::from_le_bytes(bytes[bytes.len() - 8..].try_into().expect("8 bytes"));
    // Both lengths are the file's word: the arena must also fit in what is left of the file,
    // so that a forged length never sizes an allocation (found by the `snapshot` fuzz target).
    if arena_len > strings.stored_len - 16
        || arena_len > file_len.saturating_sub(bytes.len() as u64)
    {
        return Ok(None);
    }
    let arena_at = bytes.len() as u64;
    let tail = file_len - arena_at - arena_len;
    let mut arena = Vec::new();
    if arena.try_reserve_exact(arena_len as usize).is_err()
        || bytes.try_reserve_exact(tail as usize).is_err()
    {
        return Ok(None);
    }
    // The arena and the sections after it are read at once, on two cores: most of a read's
    // time is the first touch of the new buffers' memory, not the copy.
    let (a, b) = rayon::join(
        || read_at(&f, &mut arena, arena_at, arena_len),
        || read_at(&f, &mut bytes, arena_at + arena_len, tail),
    );
    if !a.map_err(io)? || !b.map_err(io)? {
        return Ok(None);
    }
    Ok(Some(Apart { rest: bytes, arena }))
}

/// Appends exactly `n` bytes of `f` from `offset` to `buf` (room already reserved); `false`
/// when the file ends first. Positional reads through a shared handle, so two can run at once.
fn read_at(f: &File, buf: &mut Vec<u8>, offset: u64, n: u64) -> io::Result<bool> {
    struct At<'f>(&'f File, u64);
    impl Read for At<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            #[cfg(unix)]
            let got = std::os::unix::fs::FileExt::read_at(self.0, out, self.1)?;
            #[cfg(windows)]
            let got = std::os::windows::fs::FileExt::seek_read(self.0, out, self.1)?;
            self.1 += got as u64;
            Ok(got)
        }
    }
    let want = buf.len() as u64 + n;
    At(f, offset).take(n).read_to_end(buf)?;
    Ok(buf.len() as u64 == want)
}

/// A snapshot file read in two buffers by [`read_apart`].
struct Apart {
    /// Every byte of the file but the arena's.
    rest: Vec<u8>,
    /// The string arena's bytes.
    arena: Vec<u8>,
}

/// Decodes the bytes of a whole snapshot file; `path` only names the file in errors. [`load`]
/// is this after reading the file; the fuzz targets (`tests/fuzz`) call it on arbitrary bytes.
///
/// Built with `--cfg fuzzing` (as `cargo fuzz` does), checksums are not compared, so that
/// mutated files reach the decoders behind them instead of all stopping at the first CRC.
pub fn decode(bytes: Vec<u8>, path: &Path) -> Result<Tenant, SnapshotError> {
    decode_apart(bytes, None, path, Sections::All)
}

/// [`decode`] of a file read by [`read_apart`] (`arena` given) or whole (`None`).
fn decode_apart(
    bytes: Vec<u8>,
    arena: Option<Vec<u8>>,
    path: &Path,
    sections: Sections,
) -> Result<Tenant, SnapshotError> {
    let frame = parse_frame_apart(&bytes, arena.as_ref().map(Vec::len), path)?;
    // Every checksum first (cheap, parallel), so that a damaged file is reported as such and
    // by its first damaged section, whatever the scheduling.
    let crcs: Vec<Result<(), SnapshotError>> = frame
        .stored
        .par_iter()
        .map(|(kind, s, stored)| {
            let apart = arena.as_deref().filter(|_| *kind == SectionKind::Strings);
            check_crc_apart(path, *kind, s, stored, apart)
        })
        .collect();
    crcs.into_iter().collect::<Result<Vec<()>, _>>()?;
    let counts = Counts::from_array(frame.header.counts);
    let fetch = |kind: SectionKind| {
        let (_, s, stored) = &frame.stored[kind as usize - 1];
        unpack(path, kind, s, stored)
    };
    let fault = |kind: SectionKind, detail: String| SnapshotError::Corrupt {
        path: path.to_path_buf(),
        section: kind.name().to_string(),
        detail,
    };
    let usage = sections == Sections::All;
    let mut t = sections::decode_tenant(&counts, &fetch, &fault, arena, usage)?;
    // The header repeats what `info` shows; it must agree with the sections.
    let h = &frame.header;
    if h.captured_at != t.manifest.captured_at.map(|t| t.0)
        || h.organization_id != t.s(t.organization.id)
        || h.organization_name != t.s(t.organization.name)
    {
        return Err(SnapshotError::Corrupt {
            path: path.to_path_buf(),
            section: "header".into(),
            detail: "the header disagrees with the meta section".into(),
        });
    }
    // Free the file before building the index, to lower the peak.
    drop(frame);
    drop(bytes);
    t.reindex();
    Ok(t)
}

/// The header, counts and layout of a snapshot, with every section's checksum verified.
///
/// A file whose prefix or header is unusable is an error; a section whose checksum does not
/// match is reported in [`SectionInfo::checksum`].
pub fn info(path: &Path) -> Result<SnapshotInfo, SnapshotError> {
    let bytes = read_file(path)?;
    let frame = parse_frame(&bytes, path)?;
    let sections = frame
        .stored
        .par_iter()
        .map(|(kind, s, stored)| SectionInfo {
            name: kind.name(),
            raw_len: s.raw_len,
            stored_len: s.stored_len,
            compression: if s.compression == 0 {
                Compression::None
            } else {
                Compression::Zstd
            },
            checksum: if crc32fast::hash(stored) == s.crc {
                ChecksumStatus::Ok
            } else {
                ChecksumStatus::Mismatch
            },
        })
        .collect();
    let h = frame.header;
    Ok(SnapshotInfo {
        path: path.to_path_buf(),
        file_len: bytes.len() as u64,
        format_version: FORMAT_VERSION,
        access_model_version: h.access_model_version,
        captured_at: h.captured_at.map(Ts),
        organization_id: h.organization_id,
        organization_name: h.organization_name,
        counts: Counts::from_array(h.counts),
        sections,
    })
}

#[cfg(test)]
mod tests;
