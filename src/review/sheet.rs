//! Reviewer sheets: the CSV layout, formula neutralisation, and reading decisions back.
//!
//! A sheet is UTF-8 CSV with a byte-order mark (so that spreadsheet programs detect the
//! encoding) and one header line. Every cell that a spreadsheet could evaluate (it starts with
//! `=`, `+`, `-`, `@`, a tab or a carriage return) is written with a leading `'`; a cell that
//! itself starts with `'` gets one more, so reading strips exactly one and every value round-trips.
//!
//! Reading validates against `keys/`, the original key columns written at start: a row whose
//! `row_id` is unknown, whose key columns changed, that appears twice, or that is missing is a
//! [`Problem`] naming the sheet file and line. Only `decision` and `comment` are the reviewer's.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::ReviewError;
use super::campaign::{CampaignManifest, SheetEntry, hex};

/// The columns of a sheet, in order.
pub const COLUMNS: [&str; 27] = [
    "row_id",
    "target_type",
    "target_id",
    "target_name",
    "identity_type",
    "identity_id",
    "identity_name",
    "username",
    "environment_id",
    "enabled",
    "last_sign_on",
    "entitlement_type",
    "entitlement_id",
    "entitlement_name",
    "scope_type",
    "scope_id",
    "granted",
    "sources",
    "via_groups",
    "path",
    "last_use",
    "usage_period",
    "findings",
    "recommendation",
    "reason",
    "decision",
    "comment",
];

/// Column indexes.
pub mod col {
    pub const ROW_ID: usize = 0;
    pub const TARGET_TYPE: usize = 1;
    pub const TARGET_ID: usize = 2;
    pub const TARGET_NAME: usize = 3;
    pub const IDENTITY_TYPE: usize = 4;
    pub const IDENTITY_ID: usize = 5;
    pub const IDENTITY_NAME: usize = 6;
    pub const USERNAME: usize = 7;
    pub const ENVIRONMENT_ID: usize = 8;
    pub const ENABLED: usize = 9;
    pub const LAST_SIGN_ON: usize = 10;
    pub const ENTITLEMENT_TYPE: usize = 11;
    pub const ENTITLEMENT_ID: usize = 12;
    pub const ENTITLEMENT_NAME: usize = 13;
    pub const SCOPE_TYPE: usize = 14;
    pub const SCOPE_ID: usize = 15;
    pub const GRANTED: usize = 16;
    pub const SOURCES: usize = 17;
    pub const VIA_GROUPS: usize = 18;
    pub const PATH: usize = 19;
    pub const LAST_USE: usize = 20;
    pub const USAGE_PERIOD: usize = 21;
    pub const FINDINGS: usize = 22;
    pub const RECOMMENDATION: usize = 23;
    pub const REASON: usize = 24;
    pub const DECISION: usize = 25;
    pub const COMMENT: usize = 26;
}

/// The order the columns are written in: the row id, then the reviewer's `decision` and
/// `comment` (on screen without scrolling), then the facts. [`col`] indexes stay logical:
/// writing and reading translate through this order.
pub const SHEET_ORDER: [usize; 27] = [
    col::ROW_ID,
    col::DECISION,
    col::COMMENT,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    24,
];

/// The header as written, in [`SHEET_ORDER`].
pub fn sheet_header() -> [&'static str; 27] {
    SHEET_ORDER.map(|i| COLUMNS[i])
}

/// The columns a reviewer must not edit (also stored in `keys/`).
pub const KEY_COLUMNS: [usize; 12] = [
    col::ROW_ID,
    col::TARGET_TYPE,
    col::TARGET_ID,
    col::IDENTITY_TYPE,
    col::IDENTITY_ID,
    col::ENTITLEMENT_TYPE,
    col::ENTITLEMENT_ID,
    col::SCOPE_TYPE,
    col::SCOPE_ID,
    col::GRANTED,
    col::SOURCES,
    col::VIA_GROUPS,
];

const BOM: &str = "\u{feff}";

/// Does a spreadsheet program treat a cell starting with this character as a formula (or
/// strip it)?
fn dangerous(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// The cell as written: `'` before a formula-like value, and before a value that itself starts
/// with `'` (so that [`unneutralise`] is exact).
pub fn neutralise(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some(c) if dangerous(c) || c == '\'' => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// The value of a cell as read: one leading `'` removed.
pub fn unneutralise(s: &str) -> &str {
    s.strip_prefix('\'').unwrap_or(s)
}

/// The stable key of a row: SHA-256 of the identity, entitlement and scope columns (and the
/// review target, so a row is unique campaign-wide), first 16 bytes in hex, prefixed `rv-`.
pub fn row_id(
    target_id: &str,
    identity: &str,
    ent_type: &str,
    ent_id: &str,
    scope: (&str, &str),
) -> String {
    let mut h = Sha256::new();
    for part in [target_id, identity, ent_type, ent_id, scope.0, scope.1] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    // The `rv-` prefix keeps spreadsheet programs from reading an all-digit (or digits-`e`-digits)
    // hash as a number and rewriting it on save.
    format!("rv-{}", hex(&h.finalize()[..16]))
}

/// The header line of a sheet, with the byte-order mark.
pub fn header_bytes() -> Vec<u8> {
    let mut out = BOM.as_bytes().to_vec();
    crate::report::csv::write_csv_fields(&sheet_header(), &mut out);
    out
}

/// Appends one row, neutralised.
pub fn write_row(cells: &[&str; 27], out: &mut Vec<u8>) {
    let n: Vec<Cow<str>> = SHEET_ORDER.iter().map(|&i| neutralise(cells[i])).collect();
    let refs: Vec<&str> = n.iter().map(|c| c.as_ref()).collect();
    crate::report::csv::write_csv_fields(&refs, out);
}

/// Appends the key columns of a row to a keys buffer (plain CSV, compressed when written).
pub fn write_keys(cells: &[&str; 27], out: &mut Vec<u8>) {
    let keys: Vec<&str> = KEY_COLUMNS.iter().map(|&i| cells[i]).collect();
    crate::report::csv::write_csv_fields(&keys, out);
}

/// A reviewer's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Pending,
    Keep,
    Revoke,
    Unsure,
}

impl Decision {
    /// Case and surrounding spaces do not matter; empty is pending.
    pub fn parse(s: &str) -> Option<Decision> {
        let s = s.trim();
        if s.is_empty() {
            return Some(Decision::Pending);
        }
        Some(match s.to_ascii_lowercase().as_str() {
            "keep" => Decision::Keep,
            "revoke" => Decision::Revoke,
            "unsure" => Decision::Unsure,
            _ => return None,
        })
    }
}

/// A validation problem: a sheet file, a line (0: the whole file) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub file: String,
    pub line: u64,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl Problem {
    pub fn list(ps: &[Problem]) -> String {
        ps.iter()
            .map(|p| format!("  {p}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// One row read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRow {
    /// Line in the sheet file (the header is line 1).
    pub line: u64,
    /// Cell values, un-neutralised, one per [`COLUMNS`] entry.
    pub cells: Vec<String>,
    pub decision: Decision,
}

impl SheetRow {
    pub fn get(&self, c: usize) -> &str {
        self.cells.get(c).map_or("", |s| s.as_str())
    }
}

/// Decision counts of one sheet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub rows: u64,
    pub keep: u64,
    pub revoke: u64,
    pub unsure: u64,
    pub pending: u64,
}

impl Progress {
    pub fn add(&mut self, d: Decision) {
        self.rows += 1;
        match d {
            Decision::Keep => self.keep += 1,
            Decision::Revoke => self.revoke += 1,
            Decision::Unsure => self.unsure += 1,
            Decision::Pending => self.pending += 1,
        }
    }

    pub fn merge(&mut self, o: &Progress) {
        self.rows += o.rows;
        self.keep += o.keep;
        self.revoke += o.revoke;
        self.unsure += o.unsure;
        self.pending += o.pending;
    }

    /// Rows with a final decision (keep or revoke).
    pub fn decided(&self) -> u64 {
        self.keep + self.revoke
    }
}

/// One sheet read back.
#[derive(Clone, Debug)]
pub struct SheetData {
    pub entry: SheetEntry,
    /// The rows with a decision (keep, revoke, unsure), in sheet order: what plan and verify
    /// read. Pending rows are only counted, so that status on a large campaign stays small.
    pub rows: Vec<SheetRow>,
    pub progress: Progress,
}

/// A campaign read back and validated.
#[derive(Clone, Debug)]
pub struct Campaign {
    pub manifest: CampaignManifest,
    pub sheets: Vec<SheetData>,
    pub problems: Vec<Problem>,
}

impl Campaign {
    pub fn progress(&self) -> Progress {
        let mut p = Progress::default();
        for s in &self.sheets {
            p.merge(&s.progress);
        }
        p
    }

    /// Every row with a `revoke` decision, with its sheet.
    pub fn revokes(&self) -> impl Iterator<Item = (&SheetData, &SheetRow)> {
        self.sheets.iter().flat_map(|s| {
            s.rows
                .iter()
                .filter(|r| r.decision == Decision::Revoke)
                .map(move |r| (s, r))
        })
    }

    /// Errors out when any problem was found.
    pub fn require_valid(self) -> Result<Campaign, ReviewError> {
        if self.problems.is_empty() {
            Ok(self)
        } else {
            Err(ReviewError::Invalid(self.problems))
        }
    }
}

/// Reads every sheet of the campaign at `dir` and validates it against its keys.
pub fn read_campaign(dir: &Path) -> Result<Campaign, ReviewError> {
    let manifest = CampaignManifest::load(dir)?;
    let mut sheets = Vec::with_capacity(manifest.sheets.len());
    let mut problems = Vec::new();
    for entry in &manifest.sheets {
        let keys = read_keys(&dir.join(&entry.keys))?;
        let path = dir.join(&entry.file);
        let (rows, progress) = match std::fs::read(&path) {
            Ok(bytes) => validate_sheet(&entry.file, &bytes, &keys, &mut problems),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                problems.push(Problem {
                    file: entry.file.clone(),
                    line: 0,
                    message: format!("the sheet is missing ({} rows were deleted)", keys.len()),
                });
                (Vec::new(), Progress::default())
            }
            Err(e) => return Err(ReviewError::io(&path)(e)),
        };
        sheets.push(SheetData {
            entry: entry.clone(),
            rows,
            progress,
        });
    }
    Ok(Campaign {
        manifest,
        sheets,
        problems,
    })
}

/// The original key columns of a sheet, in row order.
pub fn read_keys(path: &Path) -> Result<Vec<csv::StringRecord>, ReviewError> {
    let file = std::fs::File::open(path).map_err(ReviewError::io(path))?;
    let mut plain = Vec::new();
    zstd::stream::read::Decoder::new(file)
        .and_then(|mut d| d.read_to_end(&mut plain))
        .map_err(ReviewError::io(path))?;
    parse_keys(path, &plain)
}

/// Parses the decompressed key columns of a sheet; `path` names the keys file in errors.
/// [`read_keys`] is this after reading and decompressing the file (the fuzz targets call it).
pub fn parse_keys(path: &Path, plain: &[u8]) -> Result<Vec<csv::StringRecord>, ReviewError> {
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(plain);
    let mut out = Vec::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| ReviewError::Keys {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if rec.len() != KEY_COLUMNS.len() {
            return Err(ReviewError::Keys {
                path: path.to_path_buf(),
                message: format!(
                    "a record has {} fields, expected {}",
                    rec.len(),
                    KEY_COLUMNS.len()
                ),
            });
        }
        out.push(rec);
    }
    Ok(out)
}

/// Validates one sheet's bytes against its original keys; pushes problems, returns the rows
/// that could be read and their progress.
pub fn validate_sheet(
    file: &str,
    bytes: &[u8],
    keys: &[csv::StringRecord],
    problems: &mut Vec<Problem>,
) -> (Vec<SheetRow>, Progress) {
    let mut push = |line: u64, message: String| {
        problems.push(Problem {
            file: file.to_string(),
            line,
            message,
        })
    };
    let bytes = bytes.strip_prefix(BOM.as_bytes()).unwrap_or(bytes);
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut progress = Progress::default();
    let mut rec = csv::StringRecord::new();
    match rd.read_record(&mut rec) {
        Ok(false) => {
            push(1, "the sheet is empty: the header line is missing".into());
            return (rows, progress);
        }
        Err(e) => {
            push(1, format!("cannot read the header: {e}"));
            return (rows, progress);
        }
        Ok(true) => {
            let got: Vec<&str> = rec.iter().map(|c| unneutralise(c.trim())).collect();
            let expected = sheet_header();
            if got != expected {
                let which = expected
                    .iter()
                    .enumerate()
                    .find(|(i, c)| got.get(*i) != Some(*c))
                    .map(|(i, c)| {
                        format!(
                            "column {} should be `{c}`, found `{}`",
                            i + 1,
                            got.get(i).copied().unwrap_or("")
                        )
                    })
                    .unwrap_or_else(|| {
                        format!("{} columns, expected {}", got.len(), COLUMNS.len())
                    });
                let hint = if got.len() == 1 && got[0].contains(';') {
                    " (it was saved with `;` separators: save it as CSV UTF-8, comma-delimited)"
                } else {
                    ""
                };
                push(1, format!("the header was changed: {which}{hint}"));
                return (rows, progress);
            }
        }
    }
    let index: HashMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (&k[0], i)).collect();
    let mut seen: Vec<Option<u64>> = vec![None; keys.len()];
    // The reader's own line count lags behind with CRLF line ends, so lines are counted here:
    // a record starts after any line breaks at the reader's offset.
    let mut counted_to = 0usize;
    let mut newlines = 0u64;
    loop {
        let mut off = (rd.position().byte() as usize).min(bytes.len());
        while off < bytes.len() && matches!(bytes[off], b'\r' | b'\n') {
            off += 1;
        }
        if off > counted_to {
            newlines += bytes[counted_to..off]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            counted_to = off;
        }
        let line = newlines + 1;
        match rd.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                push(line, format!("cannot read the row: {e}"));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue; // spreadsheet programs append blank lines
        }
        if rec.len() != COLUMNS.len() {
            push(
                line,
                format!(
                    "the row has {} fields, expected {}",
                    rec.len(),
                    COLUMNS.len()
                ),
            );
            continue;
        }
        // Back to the logical column order.
        let mut cells: Vec<String> = vec![String::new(); COLUMNS.len()];
        for (pos, c) in rec.iter().enumerate() {
            cells[SHEET_ORDER[pos]] = unneutralise(c).to_string();
        }
        let rid = cells[col::ROW_ID].trim();
        let Some(&k) = index.get(rid) else {
            push(
                line,
                format!(
                    "row_id `{rid}` is not part of this campaign (a row was added, or its row_id edited)"
                ),
            );
            continue;
        };
        if let Some(first) = seen[k] {
            push(
                line,
                format!("row `{rid}` is duplicated (first on line {first})"),
            );
            continue;
        }
        seen[k] = Some(line);
        let mut edited = false;
        for (j, &c) in KEY_COLUMNS.iter().enumerate().skip(1) {
            if cells[c] != keys[k][j] {
                push(
                    line,
                    format!(
                        "key column `{}` was edited: `{}`, the campaign has `{}`",
                        COLUMNS[c], cells[c], &keys[k][j]
                    ),
                );
                edited = true;
            }
        }
        let decision = match Decision::parse(&cells[col::DECISION]) {
            Some(d) => d,
            None => {
                push(
                    line,
                    format!(
                        "unknown decision `{}` (use keep, revoke, unsure, or leave it empty)",
                        cells[col::DECISION].trim()
                    ),
                );
                continue;
            }
        };
        if edited {
            continue;
        }
        progress.add(decision);
        if decision != Decision::Pending {
            rows.push(SheetRow {
                line,
                cells,
                decision,
            });
        }
    }
    for (k, s) in seen.iter().enumerate() {
        if s.is_none() {
            let key = &keys[k];
            push(
                k as u64 + 2,
                format!(
                    "row `{}` was deleted (line {} of the original sheet: {} `{}`, {} `{}` at {}:{})",
                    &key[0],
                    k + 2,
                    key[3].to_lowercase(),
                    &key[4],
                    key[5].to_lowercase(),
                    &key[6],
                    &key[7],
                    &key[8]
                ),
            );
        }
    }
    (rows, progress)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rid: &str, ident: &str) -> [String; 27] {
        let mut c: [String; 27] = Default::default();
        c[col::ROW_ID] = rid.into();
        c[col::TARGET_TYPE] = "APPLICATION".into();
        c[col::TARGET_ID] = "app-1".into();
        c[col::IDENTITY_TYPE] = "USER".into();
        c[col::IDENTITY_ID] = ident.into();
        c[col::IDENTITY_NAME] = "=HYPERLINK(\"http://x\")".into();
        c[col::ENTITLEMENT_TYPE] = "APPLICATION".into();
        c[col::ENTITLEMENT_ID] = "app-1".into();
        c[col::SCOPE_TYPE] = "ENVIRONMENT".into();
        c[col::SCOPE_ID] = "env-1".into();
        c[col::GRANTED] = "group".into();
        c[col::SOURCES] = "g-1".into();
        c
    }

    fn sheet(rows: &[[String; 27]]) -> (Vec<u8>, Vec<csv::StringRecord>) {
        let mut bytes = header_bytes();
        let mut keys = Vec::new();
        for r in rows {
            let refs: [&str; 27] = std::array::from_fn(|i| r[i].as_str());
            write_row(&refs, &mut bytes);
            keys.push(csv::StringRecord::from(
                KEY_COLUMNS
                    .iter()
                    .map(|&i| r[i].clone())
                    .collect::<Vec<_>>(),
            ));
        }
        (bytes, keys)
    }

    fn check(bytes: &[u8], keys: &[csv::StringRecord]) -> (Vec<SheetRow>, Vec<String>) {
        let mut problems = Vec::new();
        let (rows, _) = validate_sheet("sheets/a.csv", bytes, keys, &mut problems);
        (rows, problems.iter().map(|p| p.to_string()).collect())
    }

    #[test]
    fn formula_cells_are_neutralised_and_round_trip() {
        for s in [
            "=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "'=x", "'plain",
        ] {
            let n = neutralise(s);
            assert!(n.starts_with('\''), "{s:?} -> {n:?}");
            assert_eq!(unneutralise(&n), s);
        }
        for s in ["plain", "", "2026-01-01", "a=b"] {
            assert_eq!(neutralise(s), s);
            assert_eq!(unneutralise(s), s);
        }
        let (bytes, _) = sheet(&[cells("r1", "u-1")]);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(
            text.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
            "{text}"
        );
    }

    #[test]
    fn an_unchanged_sheet_is_valid_and_decisions_parse() {
        let mut a = cells("r1", "u-1");
        a[col::DECISION] = " Revoke ".into();
        let (bytes, keys) = sheet(&[a, cells("r2", "u-2")]);
        let (rows, problems) = check(&bytes, &keys);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows.len(), 1, "pending rows are counted, not kept");
        assert_eq!(rows[0].decision, Decision::Revoke);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].get(col::IDENTITY_NAME), "=HYPERLINK(\"http://x\")");
    }

    #[test]
    fn unknown_decisions_are_errors_naming_the_line() {
        let mut a = cells("r1", "u-1");
        a[col::DECISION] = "remove".into();
        let (bytes, keys) = sheet(&[cells("r0", "u-0"), a]);
        let (_, problems) = check(&bytes, &keys);
        assert_eq!(
            problems,
            [
                "sheets/a.csv:3: unknown decision `remove` (use keep, revoke, unsure, or leave it empty)"
            ]
        );
    }

    #[test]
    fn line_numbers_count_breaks_inside_quoted_cells() {
        let mut a = cells("r1", "u-1");
        a[col::COMMENT] = "two\nlines".into();
        let mut b = cells("r2", "u-2");
        b[col::DECISION] = "maybe".into();
        let (bytes, keys) = sheet(&[a, b]);
        let (_, problems) = check(&bytes, &keys);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("sheets/a.csv:4: unknown decision `maybe`"),
            "{problems:?}"
        );
    }

    #[test]
    fn edited_key_columns_are_errors() {
        let (_, keys) = sheet(&[cells("r1", "u-1")]);
        let (bytes, _) = sheet(&[cells("r1", "u-9")]);
        let (rows, problems) = check(&bytes, &keys);
        assert!(rows.is_empty());
        assert_eq!(
            problems,
            ["sheets/a.csv:2: key column `identity_id` was edited: `u-9`, the campaign has `u-1`"]
        );
        let (bytes, _) = sheet(&[cells("zz", "u-1")]);
        let (_, problems) = check(&bytes, &keys);
        assert!(
            problems[0].starts_with("sheets/a.csv:2: row_id `zz` is not part"),
            "{problems:?}"
        );
    }

    #[test]
    fn duplicated_and_deleted_rows_are_errors() {
        let (_, keys) = sheet(&[cells("r1", "u-1"), cells("r2", "u-2")]);
        let (bytes, _) = sheet(&[cells("r1", "u-1"), cells("r1", "u-1")]);
        let (_, problems) = check(&bytes, &keys);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(
            problems[0],
            "sheets/a.csv:3: row `r1` is duplicated (first on line 2)"
        );
        assert!(
            problems[1].starts_with("sheets/a.csv:3: row `r2` was deleted"),
            "{problems:?}"
        );
        assert!(problems[1].contains("user `u-2`"), "{problems:?}");
    }

    #[test]
    fn a_changed_header_is_an_error() {
        let (mut bytes, keys) = sheet(&[cells("r1", "u-1")]);
        let text = String::from_utf8(bytes.clone())
            .unwrap()
            .replacen("decision", "verdict", 1);
        bytes = text.into_bytes();
        let (_, problems) = check(&bytes, &keys);
        assert_eq!(
            problems,
            [
                "sheets/a.csv:1: the header was changed: column 2 should be `decision`, found `verdict`"
            ]
        );
    }

    #[test]
    fn a_sheet_saved_with_semicolons_gets_a_hint() {
        let (bytes, keys) = sheet(&[cells("r1", "u-1")]);
        let text = String::from_utf8(bytes).unwrap().replace(',', ";");
        let (_, problems) = check(text.as_bytes(), &keys);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("saved with `;` separators"),
            "{problems:?}"
        );
    }

    #[test]
    fn row_ids_are_stable_and_distinct() {
        let a = row_id("t", "u", "ROLE", "r", ("ENVIRONMENT", "e"));
        assert_eq!(a, row_id("t", "u", "ROLE", "r", ("ENVIRONMENT", "e")));
        assert_eq!(a.len(), 35);
        assert!(a.starts_with("rv-"));
        assert_ne!(a, row_id("t", "u", "ROLE", "r", ("ENVIRONMENT", "f")));
        assert_ne!(
            row_id("t", "ab", "c", "", ("", "")),
            row_id("t", "a", "bc", "", ("", ""))
        );
    }
}
