//! The diff for people and programs: CSV, JSON and a table, streamed from the sorted rows
//! [`crate::diff`] computes. Nothing here decides what changed.

use std::fmt::Write as _;

use super::output::{Output, OutputError};
use super::table::{Column, Table};
use crate::diff::{Category, Change, Changes, Counts, DiffError, DiffRow};

/// The header of the CSV form.
pub const DIFF_HEADER: &str = "category,change,severity,rule,identity_type,identity_id,identity_name,entitlement_type,entitlement_id,entitlement_name,scope_type,scope_id,scope_name,detail";

/// Reading the rows or writing them failed.
#[derive(Debug, thiserror::Error)]
pub enum DiffOutputError {
    #[error(transparent)]
    Rows(#[from] DiffError),
    #[error(transparent)]
    Output(#[from] OutputError),
}

fn next_row(r: std::io::Result<DiffRow>) -> Result<DiffRow, DiffError> {
    r.map_err(DiffError::from)
}

/// One CSV record (RFC 4180, CRLF).
pub fn csv_record(r: &DiffRow, out: &mut Vec<u8>) {
    let t = r.texts();
    super::csv::write_csv_fields(
        &[
            r.category.as_str(),
            r.change.as_str(),
            r.severity.as_str(),
            r.rule,
            t[0],
            t[1],
            t[2],
            t[3],
            t[4],
            t[5],
            t[6],
            t[7],
            t[8],
            t[9],
        ],
        out,
    );
}

/// The CSV form, header first, row by row.
pub fn write_csv(changes: Changes, out: &mut Output) -> Result<(), DiffOutputError> {
    out.write_all(format!("{DIFF_HEADER}\r\n").as_bytes())?;
    let mut buf = Vec::with_capacity(1024);
    for r in changes.rows {
        buf.clear();
        csv_record(&next_row(r)?, &mut buf);
        out.write_all(&buf)?;
    }
    Ok(())
}

/// The JSON form: an array of row objects, byte for byte what `serde_json::to_vec_pretty` of
/// the whole list would give, written one row at a time.
pub fn write_json(changes: Changes, out: &mut Output) -> Result<(), DiffOutputError> {
    let mut first = true;
    for r in changes.rows {
        let r = next_row(r)?;
        let one = serde_json::to_string_pretty(&r).map_err(|source| OutputError::Serialize {
            what: "the diff",
            source,
        })?;
        out.write_all(if first { b"[\n" } else { b",\n" })?;
        first = false;
        let mut indented = String::with_capacity(one.len() + 64);
        for (i, line) in one.lines().enumerate() {
            if i > 0 {
                indented.push('\n');
            }
            indented.push_str("  ");
            indented.push_str(line);
        }
        out.write_all(indented.as_bytes())?;
    }
    out.write_all(if first { b"[]\n" } else { b"\n]\n" })?;
    Ok(())
}

/// A table for people: counts first, then the changes (never the unchanged findings), most
/// important first, at most `limit` of them, fitted to `width`. Reads only the rows it shows.
pub fn to_table(changes: Changes, limit: Option<usize>, width: usize) -> Result<String, DiffError> {
    use Category as C;
    use Change as H;
    let c: &Counts = &changes.counts;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "access: {} gained ({} privileged), {} lost",
        c.count(C::Access, H::Gained),
        c.privileged_gained(),
        c.count(C::Access, H::Lost)
    );
    let _ = writeln!(
        s,
        "escalation: {} gained ({} to Organization or Environment Admin), {} lost",
        c.count(C::Escalation, H::Gained),
        c.tier_zero_gained(),
        c.count(C::Escalation, H::Lost)
    );
    let _ = writeln!(
        s,
        "findings: {} new, {} resolved, {} unchanged",
        c.count(C::Finding, H::New),
        c.count(C::Finding, H::Resolved),
        c.count(C::Finding, H::Unchanged)
    );
    let _ = writeln!(
        s,
        "users: {} added, {} removed, {} disabled, {} re-enabled; role assignments: {} added, {} removed; memberships: {} added, {} removed; applications with changed access control: {}",
        c.count(C::User, H::Added),
        c.count(C::User, H::Removed),
        c.count(C::User, H::Disabled),
        c.count(C::User, H::ReEnabled),
        c.count(C::RoleAssignment, H::Added),
        c.count(C::RoleAssignment, H::Removed),
        c.count(C::Membership, H::Added),
        c.count(C::Membership, H::Removed),
        c.count(C::Application, H::Changed),
    );
    let total = c.changes();
    if total == 0 {
        s.push_str("\nno changes\n");
        return Ok(s);
    }
    let mut table = Table::new(vec![
        Column::keep("SEVERITY"),
        Column::keep("CATEGORY"),
        Column::keep("CHANGE"),
        Column::shrink("IDENTITY", 12),
        Column::shrink("WHAT", 16),
        Column::shrink("DETAIL", 24),
    ]);
    let shown = limit.unwrap_or(usize::MAX).min(total);
    for r in changes.rows {
        if table.rows.len() >= shown {
            break;
        }
        let r = next_row(r)?;
        if r.change == H::Unchanged {
            continue;
        }
        let who = if r.identity_name.is_empty() {
            &r.identity_id
        } else {
            &r.identity_name
        };
        let ent = if r.entitlement_name.is_empty() {
            &r.entitlement_id
        } else {
            &r.entitlement_name
        };
        let scope = if r.scope_name.is_empty() {
            &r.scope_id
        } else {
            &r.scope_name
        };
        let mut what = String::new();
        if !r.rule.is_empty() {
            let _ = write!(what, "[{}] ", r.rule);
        }
        if !ent.is_empty() {
            let _ = write!(what, "{} {ent}", r.entitlement_type.to_lowercase());
        }
        if !scope.is_empty() {
            let _ = write!(what, " @ {} {scope}", r.scope_type.to_lowercase());
        }
        table.row([
            r.severity.as_str().to_string(),
            r.category.as_str().to_string(),
            r.change.as_str().to_string(),
            who.to_string(),
            what.trim().to_string(),
            r.detail.clone(),
        ]);
    }
    s.push('\n');
    s.push_str(&table.render(width));
    if shown < total {
        let _ = writeln!(
            s,
            "\nshowing {shown} of {total} changes (most important first); --all shows every one, --format csv writes them all"
        );
    }
    s.push_str(&table.cut_note());
    Ok(s)
}

#[cfg(test)]
mod snapshots {
    use crate::diff::tests::{changed, demo};
    use crate::diff::{Options, diff};

    #[test]
    fn diff_table_and_csv_snapshot() {
        let old = demo();
        let (new, _, _) = changed(&old);
        let opts = Options {
            include_unchanged: true,
            ..Options::default()
        };
        let rows = diff(&old, &new, &opts).unwrap().into_vec().unwrap();
        let table = super::to_table(diff(&old, &new, &opts).unwrap(), None, 160);
        insta::assert_snapshot!("diff_table", table.unwrap());
        let mut csv = format!("{}\r\n", super::DIFF_HEADER).into_bytes();
        for r in &rows {
            super::csv_record(r, &mut csv);
        }
        insta::assert_snapshot!("diff_csv", String::from_utf8(csv).unwrap());
    }

    /// The streamed CSV and JSON are what formatting the whole list at once gives.
    #[test]
    fn streamed_csv_and_json_match_the_whole_list() {
        let old = demo();
        let (new, _, _) = changed(&old);
        let rows = diff(&old, &new, &Options::default())
            .unwrap()
            .into_vec()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (pc, pj) = (dir.path().join("d.csv"), dir.path().join("d.json"));
        let budget = Options {
            budget: 1_000,
            ..Options::default()
        };
        let mut out = crate::report::Output::create(Some(&pc)).unwrap();
        super::write_csv(diff(&old, &new, &budget).unwrap(), &mut out).unwrap();
        out.finish().unwrap();
        let mut out = crate::report::Output::create(Some(&pj)).unwrap();
        super::write_json(diff(&old, &new, &budget).unwrap(), &mut out).unwrap();
        out.finish().unwrap();
        let mut csv = format!("{}\r\n", super::DIFF_HEADER).into_bytes();
        for r in &rows {
            super::csv_record(r, &mut csv);
        }
        assert_eq!(std::fs::read(&pc).unwrap(), csv);
        let mut json = serde_json::to_vec_pretty(&rows).unwrap();
        json.push(b'\n');
        assert_eq!(std::fs::read(&pj).unwrap(), json);
        // No rows: an empty array, as serde_json writes it.
        let t = demo();
        let mut out = crate::report::Output::create(Some(&pj)).unwrap();
        super::write_json(diff(&t, &t, &Options::default()).unwrap(), &mut out).unwrap();
        out.finish().unwrap();
        assert_eq!(std::fs::read(&pj).unwrap(), b"[]\n");
    }
}
