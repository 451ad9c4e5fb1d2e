//! CSV as every export writes it: RFC 4180, fields quoted only when needed, CRLF line ends,
//! UTF-8 without a byte-order mark. Hand-written because the exports format millions of rows
//! into reusable buffers without an allocation per field.

/// Appends one CSV record of arbitrary fields.
pub fn write_csv_fields(fields: &[&str], out: &mut Vec<u8>) {
    reserve_record(fields.iter().copied(), out);
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_field(f, out);
    }
    out.extend_from_slice(b"\r\n");
}

/// Makes room for a record of `fields` unquoted, at once: the field copies then never grow the
/// buffer one by one.
#[inline]
fn reserve_record<'a>(fields: impl Iterator<Item = &'a str>, out: &mut Vec<u8>) {
    let (n, bytes) = fields.fold((0, 0), |(n, b), f| (n + 1, b + f.len()));
    out.reserve(bytes + n + 2);
}

/// Appends one field, quoted when it must be.
#[inline]
fn write_field(f: &str, out: &mut Vec<u8>) {
    if needs_quotes(f.as_bytes()) {
        out.push(b'"');
        write_escaped(f, out);
        out.push(b'"');
    } else {
        out.extend_from_slice(f.as_bytes());
    }
}

/// Appends a quoted field's text: `"` doubled.
fn write_escaped(f: &str, out: &mut Vec<u8>) {
    for b in f.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
}

/// Whether a field holds `,`, `"`, LF or CR, the bytes RFC 4180 quotes.
///
/// Why not `memchr`: most fields are ids and short names (5-40 bytes), where the two calls a
/// four-byte search takes cost more than the scan. Here 8 bytes are tested per step as one
/// `u64` (SWAR), for the four bytes at once and without a branch per byte or per needle: a
/// first "any byte below `-`?" filter, tried before, was tripped by every space, so the text
/// columns (names, paths) paid a mispredicted branch on most words. Bytes of 0x80 and above
/// (UTF-8 beyond ASCII) never match, so no character is cut apart.
#[inline]
pub fn needs_quotes(b: &[u8]) -> bool {
    const LO: u64 = u64::from_ne_bytes([0x01; 8]);
    const HI: u64 = u64::from_ne_bytes([0x80; 8]);
    /// The high bit of some byte is set when any byte of `v` is zero (exact: the classic
    /// `haszero`, as a mask).
    #[inline(always)]
    fn zero_bytes(v: u64) -> u64 {
        v.wrapping_sub(LO) & !v & HI
    }
    /// Non-zero when `v` holds any of the four bytes.
    #[inline(always)]
    fn special(v: u64) -> u64 {
        zero_bytes(v ^ (LO * b',' as u64))
            | zero_bytes(v ^ (LO * b'"' as u64))
            | zero_bytes(v ^ (LO * b'\n' as u64))
            | zero_bytes(v ^ (LO * b'\r' as u64))
    }
    let word = |w: &[u8]| u64::from_ne_bytes(w.try_into().expect("8 bytes"));
    if b.len() < 8 {
        // Short cells (enum values, small names): byte by byte is as fast, and copying them into
        // a word would stall on the store.
        return b.iter().any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r'));
    }
    // Fields almost never need quotes: every word is tested, and the answer read once.
    let mut words = b.chunks_exact(8);
    let mut found = 0;
    for w in &mut words {
        found |= special(word(w));
    }
    // The tail: the last 8 bytes, overlapping the previous word.
    if !words.remainder().is_empty() {
        found |= special(word(&b[b.len() - 8..]));
    }
    found != 0
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

    /// Appends the selected `fields` as one CSV record (a position past `fields` is empty).
    pub fn write(&self, fields: &[&str], out: &mut Vec<u8>) {
        let field = |i: usize| fields.get(i).copied().unwrap_or("");
        reserve_record(self.0.iter().map(|&i| field(i)), out);
        for (k, &i) in self.0.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            write_field(field(i), out);
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// How the records of an export whose cells repeat are written: cells that are the same over
/// many rows are formatted once and copied into each row as one slice (commas included).
///
/// Why: formatting was the largest cost of the access export. Its cells fall in two classes that
/// repeat: an identity's own (type, id, name, environment, enabled), the same in each of its rows
/// (3 on average at 200,000 users), and an entitlement's (type, id, name, scope type, id, name),
/// drawn from the tenant's few applications, role assignments and scopes. Only `via`, `sources`
/// and `path` are formatted in every row.
#[derive(Clone, Debug)]
pub struct Plan {
    parts: Vec<Part>,
}

/// Where [`Plan::write_holes`] leaves holes in a record: at each run of fixed class `class`,
/// and at the start of column `lead`, for text that needs no quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holes {
    pub class: usize,
    pub lead: Option<usize>,
}

/// One piece of a [`Plan`]'s record.
#[derive(Clone, Debug)]
enum Part {
    /// A run of consecutive selected columns all of fixed class `class`: the `run`th such run
    /// of its class, as formatted by [`Plan::fix`].
    Fixed {
        class: usize,
        run: usize,
        columns: Vec<usize>,
    },
    /// A column formatted in each row.
    Field(usize),
}

/// The runs of one class of a [`Plan`], formatted from one row.
#[derive(Clone, Debug, Default)]
pub struct Fixed {
    bytes: Vec<u8>,
    /// The end of each run in `bytes`.
    ends: Vec<usize>,
}

impl Fixed {
    fn run(&self, k: usize) -> &[u8] {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.bytes[start..self.ends[k]]
    }
}

impl Plan {
    /// The plan of `selection` (positions in the header, in output order): `class(i)` is the
    /// fixed class of column `i` (a small number: `0`, `1`, ...), or `None` for a column
    /// formatted in each row.
    pub fn new(selection: &[usize], class: impl Fn(usize) -> Option<usize>) -> Plan {
        let mut parts: Vec<Part> = Vec::new();
        let mut runs: Vec<usize> = Vec::new();
        for &i in selection {
            match (class(i), parts.last_mut()) {
                (Some(c), Some(Part::Fixed { class, columns, .. })) if *class == c => {
                    columns.push(i)
                }
                (Some(c), _) => {
                    if runs.len() <= c {
                        runs.resize(c + 1, 0);
                    }
                    parts.push(Part::Fixed {
                        class: c,
                        run: runs[c],
                        columns: vec![i],
                    });
                    runs[c] += 1;
                }
                (None, _) => parts.push(Part::Field(i)),
            }
        }
        Plan { parts }
    }

    /// Whether any selected column is of class `class`.
    pub fn has(&self, class: usize) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Fixed { class: c, .. } if *c == class))
    }

    /// Formats the runs of class `class` of the row `fields` into `cells`.
    pub fn fix(&self, class: usize, fields: &[&str], cells: &mut Fixed) {
        self.fill(Holes { class, lead: None }, fields, "", cells);
    }

    /// Appends one record: each fixed run from `cells[class]` (formatted by [`Plan::fix`] from
    /// a row with the same cells of that class), the other columns from `fields`.
    #[inline]
    pub fn write(&self, fields: &[&str], cells: &[&Fixed], out: &mut Vec<u8>) {
        let field = |i: usize| fields.get(i).copied().unwrap_or("");
        let unquoted: usize = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Fixed { class, run, .. } => cells[*class].run(*run).len(),
                Part::Field(i) => field(*i).len(),
            })
            .sum();
        out.reserve(unquoted + self.parts.len() + 2);
        for (k, part) in self.parts.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            match part {
                Part::Fixed { class, run, .. } => out.extend_from_slice(cells[*class].run(*run)),
                Part::Field(i) => write_field(field(*i), out),
            }
        }
        out.extend_from_slice(b"\r\n");
    }

    /// Appends one record as [`Plan::write`] does, but with holes where `holes` says: `cuts`
    /// gets each hole's position in `out`, in order, then the record's end. The record is
    /// written whole later by [`Plan::splice`], with what [`Plan::fill`] formats for any row.
    pub fn write_holes(
        &self,
        holes: Holes,
        fields: &[&str],
        cells: &[&Fixed],
        out: &mut Vec<u8>,
        cuts: &mut Vec<u32>,
    ) {
        let field = |i: usize| fields.get(i).copied().unwrap_or("");
        for (k, part) in self.parts.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            match part {
                Part::Fixed { class, .. } if *class == holes.class => cuts.push(out.len() as u32),
                Part::Fixed { class, run, .. } => out.extend_from_slice(cells[*class].run(*run)),
                // The text that goes first needs no quotes (see `Holes`): the field needs them
                // when the rest does.
                Part::Field(i) if holes.lead == Some(*i) => {
                    let rest = field(*i);
                    if needs_quotes(rest.as_bytes()) {
                        out.push(b'"');
                        cuts.push(out.len() as u32);
                        write_escaped(rest, out);
                        out.push(b'"');
                    } else {
                        cuts.push(out.len() as u32);
                        out.extend_from_slice(rest.as_bytes());
                    }
                }
                Part::Field(i) => write_field(field(*i), out),
            }
        }
        out.extend_from_slice(b"\r\n");
        cuts.push(out.len() as u32);
    }

    /// What goes in the holes of records written by [`Plan::write_holes`], in their order: the
    /// runs of class `holes.class` of the row `fields`, and `lead` (which must need no quotes)
    /// at the start of column `holes.lead`.
    pub fn fill(&self, holes: Holes, fields: &[&str], lead: &str, cells: &mut Fixed) {
        let field = |i: usize| fields.get(i).copied().unwrap_or("");
        debug_assert!(!needs_quotes(lead.as_bytes()));
        cells.bytes.clear();
        cells.ends.clear();
        for part in &self.parts {
            match part {
                Part::Fixed { class, columns, .. } if *class == holes.class => {
                    for (k, &i) in columns.iter().enumerate() {
                        if k > 0 {
                            cells.bytes.push(b',');
                        }
                        write_field(field(i), &mut cells.bytes);
                    }
                }
                Part::Field(i) if holes.lead == Some(*i) => {
                    cells.bytes.extend_from_slice(lead.as_bytes())
                }
                _ => continue,
            }
            cells.ends.push(cells.bytes.len());
        }
    }

    /// How many holes [`Plan::write_holes`] leaves in a record.
    pub fn holes(&self, holes: Holes) -> usize {
        self.parts
            .iter()
            .filter(|p| match p {
                Part::Fixed { class, .. } => *class == holes.class,
                Part::Field(i) => holes.lead == Some(*i),
            })
            .count()
    }

    /// Appends the record `bytes[start..end]` written by [`Plan::write_holes`] (`cuts`: its
    /// holes' positions in `bytes`, then `end`), with the runs of `fill` in its holes.
    #[inline]
    pub fn splice(
        &self,
        bytes: &[u8],
        start: usize,
        cuts: &[u32],
        fill: &Fixed,
        out: &mut Vec<u8>,
    ) {
        let Some((&end, holes)) = cuts.split_last() else {
            return;
        };
        out.reserve(end as usize - start + fill.bytes.len());
        let mut at = start;
        for (k, &cut) in holes.iter().enumerate() {
            out.extend_from_slice(&bytes[at..cut as usize]);
            out.extend_from_slice(fill.run(k));
            at = cut as usize;
        }
        out.extend_from_slice(&bytes[at..end as usize]);
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

    /// The word-at-a-time test agrees with the obvious byte test on every byte value, at every
    /// position of words and tails, and on mixed text.
    #[test]
    fn needs_quotes_agrees_with_a_byte_scan() {
        let slow = |b: &[u8]| b.iter().any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r'));
        for len in 0..=24 {
            for pos in 0..len {
                for c in 0..=255u8 {
                    let mut v = vec![b'a'; len];
                    v[pos] = c;
                    assert_eq!(needs_quotes(&v), slow(&v), "len {len} pos {pos} byte {c}");
                }
            }
        }
        for s in [
            "",
            "00be9cdb-4810-40ef",
            "Mobile Banking",
            "a,b",
            "é\r",
            "ÿÿ\"",
            "x\ny",
        ] {
            assert_eq!(needs_quotes(s.as_bytes()), slow(s.as_bytes()), "{s:?}");
        }
    }

    /// The plan tests' header: `a`, `b` of fixed class 0; `c`, `d` of class 1; `e`, `f`
    /// formatted per row.
    const HEADER: &str = "a,b,c,d,e,f";

    fn class(i: usize) -> Option<usize> {
        match i {
            0 | 1 => Some(0),
            2 | 3 => Some(1),
            _ => None,
        }
    }

    /// Selections with fixed runs before, between and after per-row columns, split, repeated,
    /// alone or absent.
    const SELECTIONS: [&str; 10] = [
        "a,b,c,d,e,f",
        "f,e,d,c,b,a",
        "a,c,b,d",
        "a,c,b,f,d",
        "e,a,b,f,c,d,e",
        "c,c,a,a",
        "f,f",
        "c,e",
        "e,f",
        "b",
    ];

    /// A selection of [`HEADER`] and its plan.
    fn planned(spec: &str) -> (Columns, Plan) {
        let columns = Columns::parse(spec, HEADER).unwrap();
        let plan = Plan::new(columns.indices(), class);
        (columns, plan)
    }

    /// A plan writes what `Columns::write` writes, whatever the selection: fixed runs of each
    /// class (formatted from another row with the same fixed cells) between, before and after
    /// columns formatted per row, repeated columns, and cells that need quoting.
    #[test]
    fn a_plan_writes_the_same_records_as_the_columns() {
        let rows: [[&str; 6]; 3] = [
            ["id-1", "x,y", "ROLE", "say \"hi\"", "e1", "line\nbreak"],
            ["id-1", "x,y", "ROLE", "say \"hi\"", "", "p -> q"],
            ["id-1", "x,y", "APP", "plain", "e3", ""],
        ];
        for spec in SELECTIONS {
            let (columns, plan) = planned(spec);
            assert_eq!(
                plan.has(0),
                spec.contains('a') || spec.contains('b'),
                "{spec}"
            );
            let (mut who, mut what) = (Fixed::default(), Fixed::default());
            // Class 0 is fixed from the first row only; class 1 from each row (as the access
            // export does per identity and per entitlement).
            plan.fix(0, &rows[0], &mut who);
            for row in &rows {
                plan.fix(1, row, &mut what);
                let (mut want, mut got) = (Vec::new(), Vec::new());
                columns.write(row, &mut want);
                plan.write(row, &[&who, &what], &mut got);
                assert_eq!(
                    String::from_utf8(got).unwrap(),
                    String::from_utf8(want).unwrap(),
                    "{spec}"
                );
            }
        }
    }

    /// A record written with holes and spliced with another row's fill is that row's record:
    /// holes at class 0's runs and at the start of column `f` (whose lead text is `lead:`),
    /// before, between and after other columns, twice, and with the rest of `f` quoted or not.
    #[test]
    fn records_with_holes_spliced_are_whole_records() {
        // The first row is the one the records are written from; the others fill them.
        let rest = [" -> x", " -> \"y\", z", ""];
        let rows: [[&str; 6]; 2] = [
            ["id-1", "name", "ROLE", "r", "e", ""],
            ["id-2", "x,y", "ROLE", "r", "e", ""],
        ];
        for spec in SELECTIONS {
            let (columns, plan) = planned(spec);
            for lead in [None, Some(5)] {
                let holes = Holes { class: 0, lead };
                for r in rest {
                    let mut what = Fixed::default();
                    plan.fix(1, &rows[0], &mut what);
                    let mut written = rows[0];
                    written[5] = r;
                    let (mut bytes, mut cuts) = (b"junk".to_vec(), Vec::new());
                    plan.write_holes(
                        holes,
                        &written,
                        &[&Fixed::default(), &what],
                        &mut bytes,
                        &mut cuts,
                    );
                    assert_eq!(cuts.len(), plan.holes(holes) + 1, "{spec}");
                    for row in &rows {
                        let label = if lead.is_some() { "user:ana" } else { "" };
                        let whole = format!("{label}{r}");
                        let mut full = *row;
                        full[5] = &whole;
                        let mut want = Vec::new();
                        columns.write(&full, &mut want);
                        let (mut fill, mut got) = (Fixed::default(), Vec::new());
                        plan.fill(holes, row, label, &mut fill);
                        plan.splice(&bytes, 4, &cuts, &fill, &mut got);
                        assert_eq!(
                            String::from_utf8(got).unwrap(),
                            String::from_utf8(want).unwrap(),
                            "{spec} {lead:?} {r:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        let mut out = Vec::new();
        write_csv_fields(&["a", "b,c", "say \"hi\"", ""], &mut out);
        assert_eq!(out, b"a,\"b,c\",\"say \"\"hi\"\"\",\r\n");
    }
}
