//! The wire structs of the snapshot format and the one place that speaks `wincode`.
//!
//! Every byte of a `.p1g` file is in the bincode wire format (little-endian fixed-width
//! integers, `u64` length prefixes, `u8` tags for `Option` and `bool`), written and read with
//! `wincode`. Keeping all of it here means the rest of the crate never names the codec, and a
//! change of codec is a change of this file only.
//!
//! Tables are stored as columns (one `Vec` per field) rather than as a `Vec` of rows: columns of
//! plain integers encode and decode as straight copies, compress well (a column of environment
//! ids is mostly one value), and need no per-row framing. Variable-length lists use CSR form:
//! `offsets` has one entry per row plus one, starting at 0; row `i` owns
//! `targets[offsets[i]..offsets[i + 1]]`.

use wincode::config::Configuration;
use wincode::{SchemaRead, SchemaWrite};

/// The largest single sequence wincode may pre-allocate while encoding or decoding: the string
/// arena is the largest array and is bounded by `u32` offsets.
const LIMIT_HUGE: usize = u32::MAX as usize;
const LIMIT_LARGE: usize = 1 << 28;
const LIMIT_MEDIUM: usize = 1 << 24;
const LIMIT_SMALL: usize = 1 << 20;

/// How much larger in memory than on the wire a sequence can be: an `Option<i64>` that is
/// `None` is one byte encoded and sixteen decoded. Every other field of the wire structs
/// expands less.
const EXPANSION: usize = 16;

type Cfg = Configuration<true, LIMIT_HUGE>;
const CONFIG: Cfg = Cfg::new();
type CfgLarge = Configuration<true, LIMIT_LARGE>;
type CfgMedium = Configuration<true, LIMIT_MEDIUM>;
type CfgSmall = Configuration<true, LIMIT_SMALL>;

/// Encodes `value` in the bincode wire format.
pub(super) fn encode<T>(value: &T) -> Result<Vec<u8>, String>
where
    T: SchemaWrite<Cfg, Src = T>,
{
    wincode::config::serialize(value, CONFIG).map_err(|e| e.to_string())
}

/// A wire struct decodable under each of the pre-allocation limits [`decode`] picks from.
pub(super) trait Decode:
    Sized
    + for<'de> SchemaRead<'de, Cfg, Dst = Self>
    + for<'de> SchemaRead<'de, CfgLarge, Dst = Self>
    + for<'de> SchemaRead<'de, CfgMedium, Dst = Self>
    + for<'de> SchemaRead<'de, CfgSmall, Dst = Self>
{
}

impl<T> Decode for T where
    T: Sized
        + for<'de> SchemaRead<'de, Cfg, Dst = T>
        + for<'de> SchemaRead<'de, CfgLarge, Dst = T>
        + for<'de> SchemaRead<'de, CfgMedium, Dst = T>
        + for<'de> SchemaRead<'de, CfgSmall, Dst = T>
{
}

/// Decodes a `T` that must use every byte of `bytes`.
///
/// A length prefix is trusted only as far as the input could back it: wincode pre-allocates a
/// sequence from its length prefix before reading its elements, so the limit is the smallest
/// of four that covers `EXPANSION` times the input. A forged prefix in a small (even
/// checksum-valid) section then fails with an error, instead of reserving gigabytes.
pub(super) fn decode<T: Decode>(bytes: &[u8]) -> Result<T, String> {
    let need = bytes.len().saturating_mul(EXPANSION);
    let r = if need <= LIMIT_SMALL {
        wincode::config::deserialize_exact(bytes, CfgSmall::new())
    } else if need <= LIMIT_MEDIUM {
        wincode::config::deserialize_exact(bytes, CfgMedium::new())
    } else if need <= LIMIT_LARGE {
        wincode::config::deserialize_exact(bytes, CfgLarge::new())
    } else {
        wincode::config::deserialize_exact(bytes, CONFIG)
    };
    r.map_err(|e| e.to_string())
}

/// The fixed 28 bytes at the start of every snapshot, followed by the CRC-32 of those 28 bytes
/// (4 bytes, little-endian). This frame never changes between format versions, so that any
/// version can be recognised, its integrity checked and its version read.
#[derive(SchemaWrite, SchemaRead, Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Prefix {
    pub magic: [u8; 8],
    pub format_version: u32,
    /// Bytes of the encoded [`HeaderWire`] that follows the prefix.
    pub header_len: u32,
    /// The whole file's length: a shorter file is truncated.
    pub file_len: u64,
    /// CRC-32 of the encoded header.
    pub header_crc: u32,
}

/// Encoded size of [`Prefix`].
pub(super) const PREFIX_BODY_LEN: usize = 28;

/// Encodes a `u32` (the prefix checksum) in the wire format.
pub(super) fn encode_u32(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}

/// The header of format version 1: what `snapshot info` shows without reading the sections, and
/// where each section is.
#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct HeaderWire {
    pub access_model_version: u32,
    pub captured_at: Option<i64>,
    pub organization_id: String,
    pub organization_name: String,
    /// Entity counts in the order of `Counts::NAMES`.
    pub counts: [u64; 17],
    pub sections: Vec<SectionWire>,
}

/// One entry of the section table.
#[derive(SchemaWrite, SchemaRead, Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SectionWire {
    /// Which section (`SectionKind` code).
    pub kind: u32,
    /// 0: stored as is; 1: zstd.
    pub compression: u8,
    /// CRC-32 of the stored bytes.
    pub crc: u32,
    /// Offset of the stored bytes from the end of the header.
    pub offset: u64,
    pub stored_len: u64,
    /// Length after decompression (equal to `stored_len` when stored as is).
    pub raw_len: u64,
}

/// The interner: one arena and the end offset of every string.
#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct StringsWire {
    pub arena: String,
    pub ends: Vec<u32>,
}

/// The manifest, the organization and the warnings.
#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct MetaWire {
    pub organization_id: u32,
    pub organization_name: u32,
    pub captured_at: Option<i64>,
    pub region: String,
    pub collector_environment_id: String,
    pub collector_client_id: String,
    pub activities: Option<(i64, i64)>,
    pub coverage_collection: Vec<String>,
    pub coverage_status: Vec<String>,
    pub coverage_detail: Vec<String>,
    pub warning_kind: Vec<String>,
    pub warning_count: Vec<u64>,
    /// CSR over `warning_examples`.
    pub warning_example_offsets: Vec<u32>,
    pub warning_examples: Vec<String>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct EnvironmentsWire {
    pub id: Vec<u32>,
    pub name: Vec<u32>,
    pub kind: Vec<u32>,
    pub region: Vec<u32>,
    pub organization: Vec<u32>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct PopulationsWire {
    pub id: Vec<u32>,
    pub name: Vec<u32>,
    pub env: Vec<u32>,
    pub default: Vec<bool>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct UsersWire {
    pub id: Vec<u32>,
    pub username: Vec<u32>,
    pub display_name: Vec<u32>,
    pub env: Vec<u32>,
    pub population: Vec<u32>,
    pub identity_provider: Vec<u32>,
    /// Bit flags, see `sections::user_flags`.
    pub flags: Vec<u8>,
    /// Milliseconds; 0 when absent (the flags say which).
    pub last_sign_on: Vec<i64>,
    pub created_at: Vec<i64>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct GroupsWire {
    pub id: Vec<u32>,
    pub name: Vec<u32>,
    pub env: Vec<u32>,
    pub population: Vec<u32>,
    pub user_filter: Vec<u32>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct MembershipsWire {
    pub user: Vec<u32>,
    pub group: Vec<u32>,
    pub kind: Vec<u32>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct NestingsWire {
    pub child: Vec<u32>,
    pub parent: Vec<u32>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct RolesWire {
    pub id: Vec<u32>,
    pub name: Vec<u32>,
    /// The defining environment; 0 when the flags say there is none.
    pub env: Vec<u32>,
    pub flags: Vec<u8>,
    /// CSR over `permissions`.
    pub permission_offsets: Vec<u32>,
    pub permissions: Vec<u32>,
    /// CSR over `applicable_to` (scope type names, format version 2).
    pub applicable_offsets: Vec<u32>,
    pub applicable_to: Vec<u32>,
    /// CSR over `can_be_assigned_by` (role ids, format version 2).
    pub assigned_by_offsets: Vec<u32>,
    pub can_be_assigned_by: Vec<u32>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct AssignmentsWire {
    pub id: Vec<u32>,
    pub subject_kind: Vec<u8>,
    pub subject_id: Vec<u32>,
    pub role_id: Vec<u32>,
    /// The dense role; 0 when the flags say the role is missing.
    pub role: Vec<u32>,
    pub scope_kind: Vec<u8>,
    /// The raw text of an unknown scope kind; 0 for known kinds.
    pub scope_kind_raw: Vec<u32>,
    pub scope_id: Vec<u32>,
    pub env: Vec<u32>,
    pub flags: Vec<u8>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct ApplicationsWire {
    pub id: Vec<u32>,
    pub name: Vec<u32>,
    pub env: Vec<u32>,
    pub kind: Vec<u32>,
    pub protocol: Vec<u32>,
    pub flags: Vec<u8>,
    pub unknown_role_type: Vec<u32>,
    pub group_rule_kind: Vec<u8>,
    pub group_rule_raw: Vec<u32>,
    /// CSR over `group_rule_groups`.
    pub group_rule_offsets: Vec<u32>,
    pub group_rule_groups: Vec<u32>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct ResourcesWire {
    pub id: Vec<u32>,
    pub name: Vec<u32>,
    pub kind: Vec<u32>,
    pub env: Vec<u32>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct ScopesWire {
    pub id: Vec<u32>,
    pub name: Vec<u32>,
    pub resource: Vec<u32>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct GrantsWire {
    pub id: Vec<u32>,
    pub application: Vec<u32>,
    pub resource: Vec<u32>,
    /// CSR over `scopes`.
    pub scope_offsets: Vec<u32>,
    pub scopes: Vec<u32>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct GatewaysWire {
    pub id: Vec<u32>,
    pub name: Vec<u32>,
    pub env: Vec<u32>,
    pub kind: Vec<u32>,
    pub enabled: Vec<bool>,
}

#[derive(SchemaWrite, SchemaRead, Debug, Clone, PartialEq, Eq)]
pub(super) struct UsageWire {
    pub covered_from: Vec<i64>,
    pub covered_to: Vec<i64>,
    pub actor_id: Vec<u32>,
    /// Bit 0: `last_activity` present; bit 1: `last_admin_action` present.
    pub actor_flags: Vec<u8>,
    pub actor_last_activity: Vec<i64>,
    pub actor_last_admin_action: Vec<i64>,
    pub app_use_user: Vec<u32>,
    pub app_use_app: Vec<u32>,
    pub app_use_last: Vec<i64>,
    pub high_water: Option<i64>,
    pub events_seen: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_has_its_documented_size_and_layout() {
        let p = Prefix {
            magic: *b"P1GRAPH\0",
            format_version: 7,
            header_len: 9,
            file_len: 11,
            header_crc: 13,
        };
        let bytes = encode(&p).unwrap();
        assert_eq!(bytes.len(), PREFIX_BODY_LEN);
        assert_eq!(&bytes[..8], b"P1GRAPH\0");
        assert_eq!(bytes[8..12], 7u32.to_le_bytes());
        assert_eq!(decode::<Prefix>(&bytes).unwrap(), p);
        assert_eq!(encode_u32(5), [5, 0, 0, 0]);
    }

    #[test]
    fn decode_refuses_trailing_bytes_and_bad_bools() {
        let w = PopulationsWire {
            id: vec![1],
            name: vec![2],
            env: vec![0],
            default: vec![true],
        };
        let mut bytes = encode(&w).unwrap();
        assert_eq!(decode::<PopulationsWire>(&bytes).unwrap(), w);
        let last = bytes.len() - 1;
        bytes[last] = 2;
        assert!(decode::<PopulationsWire>(&bytes).is_err());
        bytes[last] = 1;
        bytes.push(0);
        assert!(decode::<PopulationsWire>(&bytes).is_err());
    }

    /// A sequence length of 2^29 `u32`s (2 GiB) in a section of a few bytes: refused from the
    /// length prefix, before any allocation (the limit follows the input's size).
    #[test]
    fn a_forged_length_prefix_is_refused_not_allocated() {
        let mut bytes = (1u64 << 29).to_le_bytes().to_vec();
        bytes.extend_from_slice(&[0; 64]);
        let e = decode::<EnvironmentsWire>(&bytes).unwrap_err();
        assert!(e.contains("preallocation limit"), "{e}");
        // The same shape with an honest length decodes.
        let w = EnvironmentsWire {
            id: vec![1, 2, 3],
            name: vec![4, 5, 6],
            kind: vec![0; 3],
            region: vec![0; 3],
            organization: vec![7; 3],
        };
        let back: EnvironmentsWire = decode(&encode(&w).unwrap()).unwrap();
        assert_eq!(back, w);
    }
}
