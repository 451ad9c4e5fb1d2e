//! The access export (access model, section 3): CSV or JSON, streamed.
//!
//! Identities are taken in export order ([`Resolver::identities_in_order`]), cut into chunks,
//! resolved and formatted in parallel (one reusable [`Access`] and row buffer per worker), and the
//! formatted chunks are written in order. Two batches of chunks are in memory at a time (one
//! written while the next is formatted), so the export of a tenant of any size runs in bounded
//! memory, and the bytes do not depend on the number of threads.

use std::fmt::Write as _;

use rayon::prelude::*;

use super::buffers::{Buffers, Workers};
pub use super::csv::write_csv_fields;
use super::csv::{Fixed, Holes, Plan, needs_quotes};
use super::output::{Output, OutputError};
use super::parquet::{Kind, Layout, ParquetError, ParquetWriter, RowChunk, Table};
use super::profiles::ProfileRows;
use crate::model::GroupId;
use crate::resolve::filter::AccessFilter;
pub use crate::resolve::labels::{
    identity_columns, identity_label, push_group_chain, role_label, role_sources,
};
pub use crate::resolve::rows::{AccessRow, EntitlementKey, RowBuilder, Skip};
use crate::resolve::{Access, Identity, Resolver};
use rustc_hash::FxHashMap;

/// The header of the access export.
pub const ACCESS_HEADER: &str = "identity_type,identity_id,identity_name,environment_id,enabled,entitlement_type,entitlement_id,entitlement_name,scope_type,scope_id,scope_name,via,sources,path";

/// Output format of row exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RowFormat {
    Csv,
    Json,
}

/// Totals of an export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportStats {
    pub identities: u64,
    pub rows: u64,
    pub bytes: u64,
}

const CHUNK: usize = 1024;
/// Chunks per Parquet batch (one row group each: large enough to compress well).
const BATCH: usize = 64;
/// Chunks per CSV or JSON batch: two batches are in memory at a time (one written while the next
/// is formatted), so a smaller one touches less memory. 16 kept both cores busy at 200,000 users,
/// where 64 cost 20 MB more peak memory and about 10% more time. 8 was tried too (fewer buffers
/// first touched): over four sets of 20-25 interleaved runs the seven-column export was about 3%
/// faster and the full CSV about 3% slower, within the noise of each set, and peak memory 11 MiB
/// lower; 16 is kept for the full CSV, the export most users write.
const TEXT_BATCH: usize = 16;

/// Writes the access export of every identity to `out`. `progress(done, total)` is called after
/// each batch.
pub fn write_access(
    r: &Resolver,
    format: RowFormat,
    out: &mut Output,
    progress: &dyn Fn(u64, u64),
) -> Result<ExportStats, OutputError> {
    write_access_columns(r, format, None, out, progress)
}

/// [`write_access`] with only the `columns` asked for (CSV), in their order.
pub fn write_access_columns(
    r: &Resolver,
    format: RowFormat,
    columns: Option<&super::csv::Columns>,
    out: &mut Output,
    progress: &dyn Fn(u64, u64),
) -> Result<ExportStats, OutputError> {
    write_access_filtered(r, None, format, columns, out, progress)
}

/// [`write_access_columns`] with only the rows `filter` keeps (same rows, same order as the
/// unfiltered export).
pub fn write_access_filtered(
    r: &Resolver,
    filter: Option<&AccessFilter>,
    format: RowFormat,
    columns: Option<&super::csv::Columns>,
    out: &mut Output,
    progress: &dyn Fn(u64, u64),
) -> Result<ExportStats, OutputError> {
    let ids = match filter {
        Some(f) => std::borrow::Cow::Owned(f.identities(r)),
        None => std::borrow::Cow::Borrowed(r.identities_in_order()),
    };
    let mut stats = ExportStats {
        identities: ids.len() as u64,
        ..Default::default()
    };
    let header: Vec<u8> = match format {
        RowFormat::Csv => match columns {
            Some(c) => c.header(ACCESS_HEADER),
            None => format!("{ACCESS_HEADER}\r\n").into_bytes(),
        },
        RowFormat::Json => b"[".to_vec(),
    };
    out.write_all(&header)?;
    stats.bytes += header.len() as u64;
    let mut first_json = true;
    let mut done = 0u64;
    let buffers = Buffers::new(CHUNK * 256);
    let workers = Workers::new(|| (Access::default(), RowBuf::for_columns(columns)));
    let format_batch = |batch: &[Identity]| -> Vec<(Vec<u8>, u64)> {
        batch
            .par_chunks(CHUNK)
            .map(|chunk| {
                workers.with(|(access, rb)| {
                    let mut bytes = buffers.take();
                    let mut rows = 0u64;
                    for &id in chunk {
                        rows += rb.identity_rows(r, id, access, filter, format, &mut bytes);
                    }
                    buffers.filled(bytes.len());
                    (bytes, rows)
                })
            })
            .collect()
    };
    let mut write_batch = |parts: Vec<(Vec<u8>, u64)>| -> Result<(), OutputError> {
        for (bytes, rows) in parts {
            if bytes.is_empty() {
                buffers.give(bytes);
                continue;
            }
            if format == RowFormat::Json {
                // Each chunk starts with ",\n"; the very first row of the array drops the comma.
                let body = if first_json { &bytes[1..] } else { &bytes[..] };
                first_json = false;
                out.write_all(body)?;
                stats.bytes += body.len() as u64;
            } else {
                out.write_all(&bytes)?;
                stats.bytes += bytes.len() as u64;
            }
            stats.rows += rows;
            buffers.give(bytes);
        }
        Ok(())
    };
    // Batch k is written while batch k+1 is resolved and formatted: the writes (and the copy
    // into the page cache) overlap the formatting instead of leaving the cores idle.
    let mut pending: Option<Vec<(Vec<u8>, u64)>> = None;
    for batch in ids.chunks(CHUNK * TEXT_BATCH) {
        let (written, next) = rayon::join(
            || pending.take().map_or(Ok(()), &mut write_batch),
            || format_batch(batch),
        );
        written?;
        pending = Some(next);
        done += batch.len() as u64;
        progress(done, ids.len() as u64);
    }
    if let Some(p) = pending {
        write_batch(p)?;
    }
    for (_, rb) in workers.into_states() {
        if let Some(p) = &rb.profiles {
            let (profiles, bytes) = p.kept();
            tracing::debug!(profiles, bytes, "user profiles formatted once by a worker");
        }
    }
    if format == RowFormat::Json {
        let tail: &[u8] = if first_json { b"]\n" } else { b"\n]\n" };
        out.write_all(tail)?;
        stats.bytes += tail.len() as u64;
    }
    Ok(stats)
}

/// The access export's columns for Parquet: `enabled` is a boolean; names, `environment_id` and
/// `sources` (empty for OPEN applications) may be empty and become nulls.
pub const ACCESS_TABLE: Table = Table {
    header: ACCESS_HEADER,
    kinds: &[
        Kind::Text,         // identity_type
        Kind::Text,         // identity_id
        Kind::OptionalText, // identity_name
        Kind::OptionalText, // environment_id
        Kind::Boolean,      // enabled
        Kind::Text,         // entitlement_type
        Kind::Text,         // entitlement_id
        Kind::OptionalText, // entitlement_name
        Kind::Text,         // scope_type
        Kind::Text,         // scope_id
        Kind::OptionalText, // scope_name
        Kind::Text,         // via
        Kind::OptionalText, // sources
        Kind::Text,         // path
    ],
};

/// The access export as Parquet: the CSV's rows and order (`columns` honoured), one row group
/// per batch of identities. Batch k+1 is resolved and laid out in columns while batch k is
/// encoded, so both cores stay busy although the encoder is sequential.
pub fn write_access_parquet(
    r: &Resolver,
    filter: Option<&AccessFilter>,
    columns: Option<&super::csv::Columns>,
    out: &mut Output,
    progress: &dyn Fn(u64, u64),
) -> Result<ExportStats, ParquetError> {
    let ids = match filter {
        Some(f) => std::borrow::Cow::Owned(f.identities(r)),
        None => std::borrow::Cow::Borrowed(r.identities_in_order()),
    };
    let mut w = ParquetWriter::new(Layout::new(ACCESS_TABLE, columns)?, out)?;
    let layout = std::sync::Arc::clone(w.layout());
    let total = ids.len() as u64;
    let format = |batch: &[Identity]| -> Vec<RowChunk> {
        batch
            .par_chunks(CHUNK)
            .map_init(
                || (Access::default(), RowBuf::for_columns(columns)),
                |(access, rb), chunk| {
                    let mut rows = RowChunk::new(&layout, chunk.len() * 8);
                    for &id in chunk {
                        r.resolve(id, access);
                        rb.each_row(r, access, filter, |row| rows.push(&row.fields()));
                    }
                    rows
                },
            )
            .collect()
    };
    let mut pending: Option<Vec<RowChunk>> = None;
    let mut done = 0u64;
    for batch in ids.chunks(CHUNK * BATCH) {
        let (written, next) = rayon::join(
            || pending.take().map_or(Ok(()), |p| w.write(p)),
            || format(batch),
        );
        written?;
        pending = Some(next);
        done += batch.len() as u64;
        progress(done, total);
    }
    if let Some(p) = pending {
        w.write(p)?;
    }
    let rows = w.finish()?;
    Ok(ExportStats {
        identities: total,
        rows,
        bytes: 0,
    })
}

/// Formats the rows of one identity: [`RowBuilder`]'s rows written as CSV or JSON, with only
/// the `--columns` asked for.
pub struct RowBuf {
    rows: RowBuilder,
    /// How a CSV record of the `--columns` asked for (all by default) is written.
    plan: Plan,
    /// The current identity's cells, formatted once.
    who: Fixed,
    /// Each entitlement's cells met so far, formatted once.
    what: FxHashMap<EntitlementKey, Fixed>,
    /// The records of each user profile met so far (CSV).
    profiles: Option<ProfileRows>,
    /// Where those records leave holes for the identity's own text: its cells, and its label at
    /// the start of `path`.
    holes: Holes,
    /// A user's profile: the groups that decide its rows.
    groups: Vec<GroupId>,
    /// A user's label, which starts its paths.
    label: String,
}

/// The classes of [`Plan`] cells: an identity's own (type, id, name, environment, enabled: the
/// same in each of its rows) and an entitlement's (type, id, name, scope type, id, name: the
/// same in each row with its [`EntitlementKey`]).
const WHO: usize = 0;
const WHAT: usize = 1;

/// The [`Plan`] class of each column of [`ACCESS_HEADER`].
fn access_class(column: usize) -> Option<usize> {
    match column {
        0..=4 => Some(WHO),
        5..=10 => Some(WHAT),
        _ => None,
    }
}

/// Positions of `sources` and `path` in [`ACCESS_HEADER`].
const SOURCES_COLUMN: usize = 12;
const PATH_COLUMN: usize = 13;
/// Positions of `identity_name`, `entitlement_name` and `scope_name`.
const NAME_COLUMNS: [usize; 3] = [2, 7, 10];

impl Default for RowBuf {
    /// Every column.
    fn default() -> RowBuf {
        RowBuf::for_columns(None)
    }
}

impl RowBuf {
    /// A row formatter for `columns` (all when `None`): columns left out are not computed.
    pub fn for_columns(columns: Option<&super::csv::Columns>) -> RowBuf {
        let wants = |i| columns.is_none_or(|c| c.indices().contains(&i));
        let holes = Holes {
            class: WHO,
            lead: wants(PATH_COLUMN).then_some(PATH_COLUMN),
        };
        let plan = Plan::new(
            &columns.map_or_else(
                || (0..ACCESS_HEADER.split(',').count()).collect(),
                |c| c.indices().to_vec(),
            ),
            access_class,
        );
        RowBuf {
            rows: RowBuilder::skipping(Skip {
                path: !wants(PATH_COLUMN),
                sources: !wants(SOURCES_COLUMN),
                names: NAME_COLUMNS.iter().all(|&i| !wants(i)),
                label: false,
            }),
            profiles: Some(ProfileRows::new(plan.holes(holes))),
            holes,
            plan,
            who: Fixed::default(),
            what: FxHashMap::default(),
            groups: Vec::new(),
            label: String::new(),
        }
    }

    /// Appends the rows of identity `id` that `filter` keeps to `bytes`; returns the number of
    /// rows. `access` is a scratch buffer: `id` is resolved into it unless its rows are those of
    /// a user profile met before ([`ProfileRows`]), which are then copied.
    pub fn identity_rows(
        &mut self,
        r: &Resolver,
        id: Identity,
        access: &mut Access,
        filter: Option<&AccessFilter>,
        format: RowFormat,
        bytes: &mut Vec<u8>,
    ) -> u64 {
        if format == RowFormat::Csv
            && filter.is_none()
            && let Identity::User(u) = id
            && let Some(profiles) = self.profiles.as_mut()
            && let Some(env) = r.profile(u, &mut self.groups)
        {
            self.label.clear();
            if self.holes.lead.is_some() {
                identity_label(r.t, id, &mut self.label);
            }
            // A label that needs quotes (rare) cannot be put in front of another text as is.
            let known = if needs_quotes(self.label.as_bytes()) {
                None
            } else {
                match profiles.find(env, &self.groups) {
                    Some(known) => Some(known),
                    None if profiles.full() => None,
                    None => {
                        r.resolve(id, access);
                        let (rows, plan, what, holes) =
                            (&mut self.rows, &self.plan, &mut self.what, self.holes);
                        rows.skip_mut().label = true;
                        let known = profiles.insert(env, &self.groups, |out, cuts| {
                            let none = Fixed::default();
                            rows.each_row_keyed(r, access, None, |row, key| {
                                let cells = what_cells(plan, what, row, key);
                                plan.write_holes(holes, &row.fields(), &[&none, cells], out, cuts);
                            });
                        });
                        rows.skip_mut().label = false;
                        Some(known)
                    }
                }
            };
            if let Some(known) = known {
                let cells = self.rows.identity_cells(r.t, id);
                self.plan
                    .fill(self.holes, &cells.fields(), &self.label, &mut self.who);
                return profiles.write(known, &self.plan, &self.who, bytes);
            }
        }
        r.resolve(id, access);
        self.rows_filtered(r, access, filter, format, bytes)
    }

    /// Appends the rows of `access` to `bytes`; returns the number of rows.
    pub fn rows(
        &mut self,
        r: &Resolver,
        a: &Access,
        format: RowFormat,
        bytes: &mut Vec<u8>,
    ) -> u64 {
        self.rows_filtered(r, a, None, format, bytes)
    }

    /// [`RowBuf::rows`] with only the rows `filter` keeps.
    pub fn rows_filtered(
        &mut self,
        r: &Resolver,
        a: &Access,
        filter: Option<&AccessFilter>,
        format: RowFormat,
        bytes: &mut Vec<u8>,
    ) -> u64 {
        match format {
            RowFormat::Csv => {
                let (plan, who, what) = (&self.plan, &mut self.who, &mut self.what);
                let mut first = true;
                let none = Fixed::default();
                let cache = plan.has(WHAT);
                self.rows.each_row_keyed(r, a, filter, |row, key| {
                    let fields = row.fields();
                    if std::mem::take(&mut first) {
                        plan.fix(WHO, &fields, who);
                    }
                    let cells = match cache {
                        true => what_cells(plan, what, row, key),
                        false => &none,
                    };
                    plan.write(&fields, &[who, cells], bytes);
                })
            }
            RowFormat::Json => self
                .rows
                .each_row(r, a, filter, |row| write_json_row(row, bytes)),
        }
    }

    /// Calls `emit` with each row of `access` that `filter` keeps, in export order.
    pub fn each_row(
        &mut self,
        r: &Resolver,
        a: &Access,
        filter: Option<&AccessFilter>,
        emit: impl FnMut(&AccessRow),
    ) -> u64 {
        self.rows.each_row(r, a, filter, emit)
    }
}

/// The entitlement cells of `row` (whose key is `key`), formatted on first use.
fn what_cells<'c>(
    plan: &Plan,
    what: &'c mut FxHashMap<EntitlementKey, Fixed>,
    row: &AccessRow,
    key: EntitlementKey,
) -> &'c Fixed {
    what.entry(key).or_insert_with(|| {
        let mut cells = Fixed::default();
        plan.fix(WHAT, &row.fields(), &mut cells);
        cells
    })
}

/// Appends one row as a JSON object, preceded by ",\n".
fn write_json_row(row: &AccessRow, bytes: &mut Vec<u8>) {
    bytes.extend_from_slice(b",\n");
    let r = JsonRow {
        enabled: row.enabled,
        entitlement_id: row.entitlement_id,
        entitlement_name: row.entitlement_name,
        entitlement_type: row.entitlement_type,
        environment_id: row.environment_id,
        identity_id: row.identity_id,
        identity_name: row.identity_name,
        identity_type: row.identity_type,
        path: row.path,
        scope_id: row.scope_id,
        scope_name: row.scope_name,
        scope_type: row.scope_type,
        sources: Sources(row.sources),
        via: row.via,
    };
    // Serializing borrowed strings and a bool into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *bytes, &r);
}

/// One access row as a JSON object, written straight from the borrowed row (no intermediate
/// `Value`). Members are in name order, as the JSON export has always had them.
#[derive(serde::Serialize)]
struct JsonRow<'a> {
    enabled: bool,
    entitlement_id: &'a str,
    entitlement_name: &'a str,
    entitlement_type: &'a str,
    environment_id: &'a str,
    identity_id: &'a str,
    identity_name: &'a str,
    identity_type: &'a str,
    path: &'a str,
    scope_id: &'a str,
    scope_name: &'a str,
    scope_type: &'a str,
    sources: Sources<'a>,
    via: &'a str,
}

/// The `;`-separated sources cell as a JSON array (empty for none).
struct Sources<'a>(&'a str);

impl serde::Serialize for Sources<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_empty() {
            s.collect_seq(std::iter::empty::<&str>())
        } else {
            s.collect_seq(self.0.split(';'))
        }
    }
}

/// The access rows as a table for a person: the first `limit` rows (all with `None`) of what
/// `filter` keeps, names first (ids with `ids`), and the total.
pub fn to_table(
    r: &Resolver,
    filter: Option<&AccessFilter>,
    limit: Option<usize>,
    ids: bool,
    width: usize,
) -> String {
    let list = match filter {
        Some(f) => std::borrow::Cow::Owned(f.identities(r)),
        None => std::borrow::Cow::Borrowed(r.identities_in_order()),
    };
    let mut table = super::table::Table::new(vec![
        super::table::Column::shrink("IDENTITY", 12),
        super::table::Column::keep("TYPE"),
        super::table::Column::shrink("ENTITLEMENT", 12),
        super::table::Column::shrink("SCOPE", 12),
        super::table::Column::keep("VIA"),
        super::table::Column::shrink("PATH", 20),
    ]);
    let limit = limit.unwrap_or(usize::MAX);
    let mut total = 0u64;
    let mut access = Access::default();
    let mut rb = RowBuf::default();
    let pick = |name: &str, id: &str| -> String {
        if ids || name.is_empty() {
            id.to_string()
        } else {
            name.to_string()
        }
    };
    for &id in list.iter() {
        r.resolve(id, &mut access);
        total += rb.each_row(r, &access, filter, |row| {
            if table.rows.len() < limit {
                table.row([
                    pick(row.identity_name, row.identity_id),
                    row.identity_type.to_lowercase(),
                    format!(
                        "{} {}",
                        row.entitlement_type.to_lowercase(),
                        pick(row.entitlement_name, row.entitlement_id)
                    ),
                    format!(
                        "{} {}",
                        row.scope_type.to_lowercase(),
                        pick(row.scope_name, row.scope_id)
                    ),
                    row.via.to_lowercase(),
                    row.path.to_string(),
                ]);
            }
        });
    }
    if total == 0 {
        return "no access rows match\n".to_string();
    }
    let mut out = table.render(width);
    out.push('\n');
    let shown = table.rows.len() as u64;
    if shown < total {
        let _ = writeln!(
            out,
            "showing {shown} of {total} rows; --all shows every row, --format csv writes the export"
        );
    } else {
        let _ = writeln!(out, "{total} row(s)");
    }
    out.push_str(&table.cut_note());
    out
}

#[cfg(test)]
#[cfg(feature = "synth")]
mod profile_tests {
    use super::*;
    use crate::report::csv::Columns;

    /// The access CSV of every identity, written as the export writes it, with or without
    /// the records of user profiles kept; and how many profiles were kept.
    fn export(r: &Resolver, columns: Option<&Columns>, profiles: bool) -> (Vec<u8>, usize) {
        let mut rb = RowBuf::for_columns(columns);
        if !profiles {
            rb.profiles = None;
        }
        let (mut a, mut out) = (Access::default(), Vec::new());
        for &id in r.identities_in_order() {
            rb.identity_rows(r, id, &mut a, None, RowFormat::Csv, &mut out);
        }
        (out, rb.profiles.map_or(0, |p| p.kept().0))
    }

    /// Rows copied from a profile's records are byte for byte those formatted for the user,
    /// whatever the columns (identity cells first, last, split in several runs, absent,
    /// repeated; `path`, whose records leave a hole for the user's label, once or twice; cells
    /// that need quotes), on the demo tenant (with a user whose label needs quotes, so it cannot
    /// be put in a hole, and a group name with a quote in its users' paths) and a generated one.
    #[test]
    fn profile_records_are_the_rows_formatted_for_each_user() {
        let (dir, _) = crate::synth::generate_to_temp(2000, 5).unwrap();
        let synth = crate::export::read_export(&dir.path().join("export")).unwrap();
        let mut demo = crate::diff::tests::demo();
        let comma = demo.strings.intern("Doe, Jane");
        let quote = demo.strings.intern("the \"core\" team");
        demo.users[0].username = comma;
        for g in &mut demo.groups {
            g.name = quote;
        }
        for t in [&demo, &synth] {
            let r = Resolver::new(t);
            for spec in [
                None,
                Some(
                    "identity_type,identity_id,environment_id,entitlement_type,entitlement_id,scope_type,scope_id",
                ),
                Some(
                    "identity_type,identity_id,identity_name,environment_id,enabled,entitlement_type,entitlement_id,entitlement_name,scope_type,scope_id,scope_name,via,sources",
                ),
                Some("sources,entitlement_id,identity_id,via,enabled,identity_name,scope_name"),
                Some("entitlement_id,scope_id,via"),
                Some("identity_id,identity_id,enabled"),
                Some("path,identity_id,path"),
                Some("entitlement_id,path"),
            ] {
                let columns = spec.map(|s| Columns::parse(s, ACCESS_HEADER).unwrap());
                let (want, none) = export(&r, columns.as_ref(), false);
                let (got, kept) = export(&r, columns.as_ref(), true);
                assert_eq!(none, 0);
                assert!(!want.is_empty());
                assert_eq!(
                    String::from_utf8(got).unwrap(),
                    String::from_utf8(want).unwrap(),
                    "{spec:?}"
                );
                assert!(
                    kept > 0 && kept < t.users.len(),
                    "{spec:?}: {kept} profiles"
                );
            }
        }
    }
}
