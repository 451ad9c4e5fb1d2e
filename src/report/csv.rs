//! CSV as every export writes it: RFC 4180, fields quoted only when needed, CRLF line ends,
//! UTF-8 without a byte-order mark. Hand-written because the exports format millions of rows
//! into reusable buffers without an allocation per field.

/// Appends one CSV record of arbitrary fields.
pub fn write_csv_fields(fields: &[&str], out: &mut Vec<u8>) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // memchr scans 16-32 bytes at a time: paths are long and rarely need quoting.
        let b = f.as_bytes();
        if memchr::memchr3(b',', b'"', b'\n', b).is_some() || memchr::memchr(b'\r', b).is_some() {
            out.push(b'"');
            for b in f.bytes() {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(f.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        let mut out = Vec::new();
        write_csv_fields(&["a", "b,c", "say \"hi\"", ""], &mut out);
        assert_eq!(out, b"a,\"b,c\",\"say \"\"hi\"\"\",\r\n");
    }
}
