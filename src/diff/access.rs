//! Effective access gained and lost: both captures resolved identity by identity and their
//! access rows compared.

use std::collections::BTreeMap;
use std::io;

use rayon::prelude::*;

use super::{Category, Change, DiffRow, Sink};
use crate::findings::Severity;
use crate::model::Tenant;
use crate::model::key::{Key, Keyed};
use crate::resolve::rows::{AccessRow, RowBuilder};
use crate::resolve::{Access, Identity, Resolver};

/// Identities per parallel task, and tasks per batch handed to the sink.
const CHUNK: usize = 1024;
const BATCH: usize = 64;

type AccessKey = Key<String>;

struct AccessInfo {
    identity_name: String,
    entitlement_name: String,
    scope_name: String,
    path: String,
    privileged: bool,
}

/// Sort key of an identity across tenants: kind, then PingOne id (dense ids differ).
fn identity_key(t: &Tenant, id: Identity) -> (u8, &str) {
    match id {
        Identity::Application(a) => (0, t.s(t.applications[a.idx()].id)),
        Identity::Gateway(g) => (1, t.s(t.gateways[g.idx()].id)),
        Identity::User(u) => (2, t.s(t.users[u.idx()].id)),
    }
}

/// Every identity of either tenant, paired by PingOne id.
fn identity_pairs(ro: &Resolver, rn: &Resolver) -> Vec<(Option<Identity>, Option<Identity>)> {
    let mut old = ro.identities_in_order().to_vec();
    let mut new = rn.identities_in_order().to_vec();
    old.par_sort_by(|&a, &b| identity_key(ro.t, a).cmp(&identity_key(ro.t, b)));
    new.par_sort_by(|&a, &b| identity_key(rn.t, a).cmp(&identity_key(rn.t, b)));
    let mut out = Vec::with_capacity(old.len().max(new.len()));
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let ord = match (old.get(i), new.get(j)) {
            (Some(&a), Some(&b)) => identity_key(ro.t, a).cmp(&identity_key(rn.t, b)),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                out.push((Some(old[i]), None));
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push((None, Some(new[j])));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((Some(old[i]), Some(new[j])));
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// The rows of one resolved identity as one byte string (cells and rows separated by control
/// characters no cell holds unescaped): equal strings, equal rows.
fn flat(r: &Resolver, a: &Access, rb: &mut RowBuilder, out: &mut Vec<u8>) {
    out.clear();
    rb.each_row(r, a, None, |row| {
        for cell in row.fields() {
            out.extend_from_slice(cell.as_bytes());
            out.push(0x1f);
        }
        out.push(0x1e);
    });
}

/// The rows of one resolved identity by key.
fn keyed(r: &Resolver, a: &Access, rb: &mut RowBuilder) -> BTreeMap<AccessKey, AccessInfo> {
    let t = r.t;
    let mut out = BTreeMap::new();
    rb.each_row(r, a, None, |row: &AccessRow| {
        let privileged = row.entitlement_type == "ROLE" && {
            let role = t
                .strings
                .get(row.entitlement_id)
                .and_then(|s| t.index.role.get(&s).copied());
            !t.role_is_read_only(role)
        };
        out.insert(
            row.key().to_owned_key(),
            AccessInfo {
                identity_name: row.identity_name.to_string(),
                entitlement_name: row.entitlement_name.to_string(),
                scope_name: row.scope_name.to_string(),
                path: row.path.to_string(),
                privileged,
            },
        );
    });
    out
}

/// Access gained and lost, one identity at a time: both sides are resolved and their rows
/// compared as flat bytes; only identities whose rows differ are keyed, so the common case (no
/// change) allocates nothing per identity.
pub(super) fn changes(ro: &Resolver, rn: &Resolver, sink: &mut Sink) -> io::Result<()> {
    let pairs = identity_pairs(ro, rn);
    for batch in pairs.chunks(CHUNK * BATCH) {
        let found: Vec<Vec<DiffRow>> = batch
            .par_chunks(CHUNK)
            .map_init(
                || {
                    (
                        (Access::default(), Access::default()),
                        RowBuilder::default(),
                        (Vec::new(), Vec::new()),
                    )
                },
                |((ao, an), rb, (bo, bn)), chunk| {
                    let mut out = Vec::new();
                    for &(io, inew) in chunk {
                        bo.clear();
                        bn.clear();
                        if let Some(id) = io {
                            ro.resolve(id, ao);
                            flat(ro, ao, rb, bo);
                        }
                        if let Some(id) = inew {
                            rn.resolve(id, an);
                            flat(rn, an, rb, bn);
                        }
                        if bo != bn {
                            let mo = io.map(|_| keyed(ro, ao, rb)).unwrap_or_default();
                            let mn = inew.map(|_| keyed(rn, an, rb)).unwrap_or_default();
                            row_changes(&mo, &mn, &mut out);
                        }
                    }
                    out
                },
            )
            .collect();
        for r in found.into_iter().flatten() {
            sink.push(r)?;
        }
    }
    Ok(())
}

fn row_changes(
    old: &BTreeMap<AccessKey, AccessInfo>,
    new: &BTreeMap<AccessKey, AccessInfo>,
    rows: &mut Vec<DiffRow>,
) {
    let mut emit = |k: &AccessKey, v: &AccessInfo, change: Change| {
        let (severity, priority) = match (change, v.privileged) {
            (Change::Gained, true) => (Severity::High, 1),
            (Change::Gained, false) => (Severity::Low, 4),
            (_, true) => (Severity::Info, 8),
            _ => (Severity::Info, 9),
        };
        let mut r = DiffRow::new(Category::Access, change, severity, priority);
        let k = k.clone();
        r.identity_type = k.identity_type;
        r.identity_id = k.identity_id;
        r.identity_name = v.identity_name.clone();
        r.entitlement_type = k.entitlement_type;
        r.entitlement_id = k.entitlement_id;
        r.entitlement_name = v.entitlement_name.clone();
        r.scope_type = k.scope_type;
        r.scope_id = k.scope_id;
        r.scope_name = v.scope_name.clone();
        r.detail = v.path.clone();
        rows.push(r);
    };
    for (k, v) in new {
        if !old.contains_key(k) {
            emit(k, v, Change::Gained);
        }
    }
    for (k, v) in old {
        if !new.contains_key(k) {
            emit(k, v, Change::Lost);
        }
    }
}
