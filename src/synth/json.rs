//! Hand-formatted JSON for the generator's hot loops: ids, strings, timestamps.
//!
//! Why not serde: a million-user tenant is a couple of gigabytes of JSON Lines, and building a
//! `serde_json::Value` (or a struct per record) for every line doubles the work. The records are
//! flat and fixed, so they are appended straight into a byte buffer. Every string that is not a
//! literal goes through [`push_str`], which escapes it as JSON requires.

/// A UUID as 128 bits, printed 8-4-4-4-12 in lowercase hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(pub u128);

/// The kinds of generated ids; part of the hash input, so that ids of different kinds never meet.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Kind {
    Organization = 1,
    Environment,
    Population,
    User,
    Group,
    BuiltinRole,
    CustomRole,
    Application,
    Resource,
    Scope,
    Grant,
    Gateway,
    Assignment,
    Activity,
    Correlation,
    License,
    IdentityProvider,
    Dangling,
}

/// splitmix64's finalizer: a fast bijective mix of 64 bits.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 64-bit value derived from the seed and three coordinates (kind or stream, environment,
/// index). Used for ids and for seeding per-chunk generators, so that any entity's id can be
/// recomputed anywhere from its coordinates without storing it.
#[inline]
pub fn derive(seed: u64, kind: u64, env: u64, idx: u64) -> u64 {
    mix(seed ^ mix((kind << 40) ^ (env << 20) ^ mix(idx ^ mix(env.wrapping_add(kind)))))
}

/// The id of entity `idx` of `kind` in environment `env`, as a random-looking version 4 UUID.
#[inline]
pub fn uid(seed: u64, kind: Kind, env: u32, idx: u64) -> Uid {
    let hi = derive(seed, kind as u64, env as u64, idx);
    let lo = mix(hi ^ 0xD1B5_4A32_D192_ED03);
    let mut u = ((hi as u128) << 64) | lo as u128;
    // Version 4 in bits 76..80, variant 0b10 in bits 62..64.
    u = (u & !(0xF_u128 << 76)) | (0x4_u128 << 76);
    u = (u & !(0b11_u128 << 62)) | (0b10_u128 << 62);
    Uid(u)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Uid {
    /// The 36 bytes of the 8-4-4-4-12 form.
    pub fn bytes(self) -> [u8; 36] {
        let mut out = [b'-'; 36];
        let mut nibble = 0;
        for (i, slot) in out.iter_mut().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                continue;
            }
            let shift = 124 - 4 * nibble;
            *slot = HEX[((self.0 >> shift) & 0xF) as usize];
            nibble += 1;
        }
        out
    }
}

impl std::fmt::Display for Uid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self.bytes();
        // The bytes are ASCII hex digits and dashes.
        f.write_str(std::str::from_utf8(&b).map_err(|_| std::fmt::Error)?)
    }
}

/// Appends `"<uuid>"`.
#[inline]
pub fn push_uid(buf: &mut Vec<u8>, u: Uid) {
    buf.push(b'"');
    buf.extend_from_slice(&u.bytes());
    buf.push(b'"');
}

/// Appends a JSON string literal, escaping quotes, backslashes and control characters.
pub fn push_str(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            buf.extend_from_slice(b"\\u00");
            buf.push(HEX[(b >> 4) as usize]);
            buf.push(HEX[(b & 0xF) as usize]);
        } else {
            buf.extend_from_slice(esc);
        }
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

/// Appends a non-negative integer.
#[inline]
pub fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

#[inline]
fn push_2(buf: &mut Vec<u8>, n: u32) {
    buf.push(b'0' + (n / 10) as u8);
    buf.push(b'0' + (n % 10) as u8);
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (`civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Appends `"YYYY-MM-DDTHH:MM:SS.mmmZ"` for milliseconds since the epoch (years 0..=9999).
pub fn push_ts(buf: &mut Vec<u8>, ms: i64) {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let y = y.clamp(0, 9999) as u32;
    let secs = (rem / 1000) as u32;
    let millis = (rem % 1000) as u32;
    buf.push(b'"');
    push_2(buf, y / 100);
    push_2(buf, y % 100);
    buf.push(b'-');
    push_2(buf, m);
    buf.push(b'-');
    push_2(buf, d);
    buf.push(b'T');
    push_2(buf, secs / 3600);
    buf.push(b':');
    push_2(buf, secs / 60 % 60);
    buf.push(b':');
    push_2(buf, secs % 60);
    buf.push(b'.');
    buf.push(b'0' + (millis / 100) as u8);
    push_2(buf, millis % 100);
    buf.extend_from_slice(b"Z\"");
}

/// `push_ts` as a `String` without the quotes (for the manifest).
pub fn ts_string(ms: i64) -> String {
    let mut b = Vec::with_capacity(26);
    push_ts(&mut b, ms);
    String::from_utf8_lossy(&b[1..b.len() - 1]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_is_v4_shaped_and_stable() {
        let a = uid(7, Kind::User, 1, 42);
        let s = a.to_string();
        assert_eq!(s.len(), 36);
        assert_eq!(&s[14..15], "4");
        assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"), "{s}");
        assert_eq!(a, uid(7, Kind::User, 1, 42));
        assert_ne!(a, uid(7, Kind::User, 1, 43));
        assert_ne!(a, uid(7, Kind::Group, 1, 42));
        assert_ne!(a, uid(8, Kind::User, 1, 42));
    }

    #[test]
    fn strings_are_escaped_as_json() {
        let mut b = Vec::new();
        push_str(&mut b, "type eq \"Contractor\" \\ \n\u{1}é");
        let back: String = serde_json::from_slice(&b).unwrap();
        assert_eq!(back, "type eq \"Contractor\" \\ \n\u{1}é");
    }

    #[test]
    fn timestamps_match_jiff() {
        for ms in [0i64, 1_793_491_200_000, 1_700_000_000_123, 951_782_400_999] {
            let s = ts_string(ms);
            let t: jiff::Timestamp = s.parse().unwrap();
            assert_eq!(t.as_millisecond(), ms, "{s}");
        }
        assert_eq!(
            ts_string(days_from_civil(2026, 11, 1) * 86_400_000),
            "2026-11-01T00:00:00.000Z"
        );
    }

    #[test]
    fn integers_print() {
        let mut b = Vec::new();
        push_u64(&mut b, 0);
        b.push(b',');
        push_u64(&mut b, 18_446_744_073_709_551_615);
        assert_eq!(b, b"0,18446744073709551615");
    }
}
