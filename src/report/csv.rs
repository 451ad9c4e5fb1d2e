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

/// A `--columns NAME,NAME,...` selection: positions in an export's header, in the order asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns(Vec<usize>);

/// An unknown column name.
#[derive(Debug, thiserror::Error)]
#[error("--columns: unknown column `{name}`; the columns are: {valid}")]
pub struct ColumnsError {
    pub name: String,
    pub valid: String,
}

impl Columns {
    /// Parses `spec` against `header` (comma-separated names). Names may repeat; an empty
    /// selection is an error too.
    pub fn parse(spec: &str, header: &str) -> Result<Columns, ColumnsError> {
        let names: Vec<&str> = header.split(',').collect();
        let err = |name: &str| ColumnsError {
            name: name.to_string(),
            valid: names.join(", "),
        };
        let mut idx = Vec::new();
        for want in spec.split(',').map(str::trim) {
            match names.iter().position(|n| *n == want) {
                Some(i) => idx.push(i),
                None => return Err(err(want)),
            }
        }
        Ok(Columns(idx))
    }

    /// Positions of the selected columns in the header, in the order asked.
    pub fn indices(&self) -> &[usize] {
        &self.0
    }

    /// The header line of the selection (CRLF included).
    pub fn header(&self, header: &str) -> Vec<u8> {
        let names: Vec<&str> = header.split(',').collect();
        let picked: Vec<&str> = self.0.iter().map(|&i| names[i]).collect();
        let mut out = Vec::new();
        write_csv_fields(&picked, &mut out);
        out
    }

    /// Appends the selected `fields` as one CSV record.
    pub fn write(&self, fields: &[&str], out: &mut Vec<u8>) {
        let mut picked: [&str; 16] = [""; 16];
        let n = self.0.len().min(16);
        for (k, &i) in self.0.iter().take(n).enumerate() {
            picked[k] = fields.get(i).copied().unwrap_or("");
        }
        if self.0.len() <= 16 {
            write_csv_fields(&picked[..n], out);
        } else {
            let v: Vec<&str> = self
                .0
                .iter()
                .map(|&i| fields.get(i).copied().unwrap_or(""))
                .collect();
            write_csv_fields(&v, out);
        }
    }
}

/// Writes `fields` whole, or the selected ones.
pub fn write_record(fields: &[&str], columns: Option<&Columns>, out: &mut Vec<u8>) {
    match columns {
        Some(c) => c.write(fields, out),
        None => write_csv_fields(fields, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_pick_in_the_asked_order_and_name_the_valid_ones() {
        let c = Columns::parse("c,a", "a,b,c").unwrap();
        assert_eq!(c.header("a,b,c"), b"c,a\r\n");
        let mut out = Vec::new();
        c.write(&["1", "2", "x,y"], &mut out);
        assert_eq!(out, b"\"x,y\",1\r\n");
        let e = Columns::parse("a,zz", "a,b,c").unwrap_err();
        assert_eq!(
            e.to_string(),
            "--columns: unknown column `zz`; the columns are: a, b, c"
        );
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        let mut out = Vec::new();
        write_csv_fields(&["a", "b,c", "say \"hi\"", ""], &mut out);
        assert_eq!(out, b"a,\"b,c\",\"say \"\"hi\"\"\",\r\n");
    }
}
