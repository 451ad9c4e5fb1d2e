//! `p1graph diff OLD NEW`: what changed between two captures of one organization.
//!
//! Three kinds of change, all keyed by PingOne ids (dense ids differ between captures):
//!
//! * effective access gained and lost, per identity and entitlement, with the path that now
//!   grants it (or the path that granted it before), taken from the access export's rows, so
//!   the diff agrees with `p1graph access` by construction;
//! * findings new, resolved and unchanged (by the findings' key columns);
//! * escalation gains (attack paths) new and lost, a new path to Organization or Environment
//!   Admin first of all;
//! * entity changes: users added, removed, disabled, re-enabled; role assignments and direct
//!   memberships added and removed; applications whose access control changed.
//!
//! Rows are ordered most severe first: new privileged access, then new critical and high
//! findings, then other gained access, and so on down to unchanged findings.
//!
//! Cost: two full access resolutions and findings runs, O(rows of both access exports) memory.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rayon::prelude::*;

use super::access::{RowBuf, RowFormat};
use super::table::{Column, Table};
use crate::findings::{self, Finding, Severity};
use crate::model::*;
use crate::resolve::{Access, Identity, Resolver};

/// One change.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DiffRow {
    /// `access`, `finding`, `user`, `role-assignment`, `membership` or `application`.
    pub category: &'static str,
    /// `gained`, `lost`, `new`, `resolved`, `unchanged`, `added`, `removed`, `disabled`,
    /// `re-enabled` or `changed`.
    pub change: &'static str,
    /// `critical` .. `info`: a finding's severity; `high` for gained privileged access.
    pub severity: &'static str,
    /// The finding's rule; empty for other categories.
    pub rule: &'static str,
    pub identity_type: String,
    pub identity_id: String,
    pub identity_name: String,
    pub entitlement_type: String,
    pub entitlement_id: String,
    pub entitlement_name: String,
    pub scope_type: String,
    pub scope_id: String,
    /// The scope's name (organization, environment, population, application or group).
    pub scope_name: String,
    /// The access path, the finding's detail, or what changed.
    pub detail: String,
    /// Sort key, lower first: 0 a new path to Organization or Environment Admin, 1 new
    /// privileged access, 2-3 new critical/high findings and other new escalation gains, 4-5
    /// other new access and findings, 6-7 entity changes, 8-10 what was lost or resolved,
    /// 13 unchanged findings.
    #[serde(skip)]
    pub priority: u8,
}

/// The whole difference between two tenants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    pub rows: Vec<DiffRow>,
}

/// A severity from its text.
fn severity_of(s: &str) -> Option<Severity> {
    [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ]
    .into_iter()
    .find(|x| x.as_str() == s)
}

/// The header of the CSV form.
pub const DIFF_HEADER: &str = "category,change,severity,rule,identity_type,identity_id,identity_name,entitlement_type,entitlement_id,entitlement_name,scope_type,scope_id,scope_name,detail";

/// Key of an access row: identity and entitlement.
type AccessKey = (String, String, String, String, String, String);

struct AccessInfo {
    identity_name: String,
    entitlement_name: String,
    scope_name: String,
    path: String,
    privileged: bool,
}

/// The access rows of one identity, by key.
fn parse_rows(t: &Tenant, bytes: &[u8]) -> BTreeMap<AccessKey, AccessInfo> {
    let mut out = BTreeMap::new();
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    for rec in rd.records().flatten() {
        let f = |i: usize| rec.get(i).unwrap_or("").to_string();
        let (etype, eid) = (f(5), f(6));
        let privileged = etype == "ROLE" && {
            let role = t
                .strings
                .get(&eid)
                .and_then(|s| t.index.role.get(&s).copied());
            !t.role_is_read_only(role)
        };
        out.insert(
            (f(0), f(1), etype, eid, f(8), f(9)),
            AccessInfo {
                identity_name: f(2),
                entitlement_name: f(7),
                scope_name: f(10),
                path: f(13),
                privileged,
            },
        );
    }
    out
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
    let mut old = ro.identities_in_order();
    let mut new = rn.identities_in_order();
    old.sort_by(|&a, &b| identity_key(ro.t, a).cmp(&identity_key(ro.t, b)));
    new.sort_by(|&a, &b| identity_key(rn.t, a).cmp(&identity_key(rn.t, b)));
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

/// Access gained and lost, one identity at a time: both sides are resolved and formatted as
/// access rows; identical rows (the common case) are skipped without parsing, so memory holds
/// only the changes.
fn access_changes(ro: &Resolver, rn: &Resolver, rows: &mut Vec<DiffRow>) {
    let (old, new) = (ro.t, rn.t);
    let pairs = identity_pairs(ro, rn);
    let found: Vec<Vec<DiffRow>> = pairs
        .par_chunks(1024)
        .map_init(
            || (Access::default(), RowBuf::default(), Vec::new(), Vec::new()),
            |(access, buf, bo, bn), chunk| {
                let mut out = Vec::new();
                for &(io, inew) in chunk {
                    bo.clear();
                    bn.clear();
                    if let Some(id) = io {
                        ro.resolve(id, access);
                        buf.rows(ro, access, RowFormat::Csv, bo);
                    }
                    if let Some(id) = inew {
                        rn.resolve(id, access);
                        buf.rows(rn, access, RowFormat::Csv, bn);
                    }
                    if bo != bn {
                        let (mo, mn) = (parse_rows(old, bo), parse_rows(new, bn));
                        access_row_changes(&mo, &mn, &mut out);
                    }
                }
                out
            },
        )
        .collect();
    rows.extend(found.into_iter().flatten());
}

/// One side's findings and escalation gains, from one attack-graph search shared by both.
fn analyse(r: &Resolver) -> (Vec<Finding>, BTreeMap<GainKey, GainInfo>) {
    use crate::graph::attack::{AttackGraph, Escalations};
    let g = AttackGraph::build(r);
    let esc = Escalations::compute(&g);
    let cfg = findings::Config::for_tenant(r.t);
    let found = findings::run_with_attack(r, &cfg, &findings::registry(), Some((&g, &esc)));
    (found, gains(&g, &esc))
}

fn row(
    category: &'static str,
    change: &'static str,
    severity: &'static str,
    priority: u8,
) -> DiffRow {
    DiffRow {
        category,
        change,
        severity,
        rule: "",
        identity_type: String::new(),
        identity_id: String::new(),
        identity_name: String::new(),
        entitlement_type: String::new(),
        entitlement_id: String::new(),
        entitlement_name: String::new(),
        scope_type: String::new(),
        scope_id: String::new(),
        scope_name: String::new(),
        detail: String::new(),
        priority,
    }
}

/// Escalation key: identity type and id, role id, scope type and id.
type GainKey = (String, String, String, String, String);

struct GainInfo {
    identity_name: String,
    role_name: String,
    scope_name: String,
    steps: u32,
    path: String,
    tier_zero: bool,
}

/// Every escalation gain of a tenant (attack paths, section 4), by key.
fn gains(
    g: &crate::graph::attack::AttackGraph,
    esc: &crate::graph::attack::Escalations,
) -> BTreeMap<GainKey, GainInfo> {
    use crate::graph::attack::render;
    let t = g.t;
    let mut out = BTreeMap::new();
    for e in esc.rows() {
        let p = g.privilege(e.privilege);
        let (iid, name, _, _) = crate::resolve::labels::identity_columns(t, e.actor);
        let mut path = String::new();
        render::path_text(g, e.actor, None, e.path, &mut path);
        out.insert(
            (
                e.actor.type_str().to_string(),
                iid.to_string(),
                t.s(p.role_id).to_string(),
                t.scope_kind_str(p.scope.kind).to_string(),
                t.s(p.scope.id).to_string(),
            ),
            GainInfo {
                identity_name: name.to_string(),
                role_name: p
                    .role
                    .map_or(String::new(), |x| t.s(t.roles[x.idx()].name).to_string()),
                scope_name: t.scope_target_name(p.scope).unwrap_or("").to_string(),
                steps: e.steps,
                path,
                tier_zero: t.is_tier_zero_role(p.role),
            },
        );
    }
    out
}

/// Escalation gains new and removed (attack paths): a new path to Organization or Environment
/// Admin leads the diff (critical), other new gains follow privileged access (high); removed
/// gains are informational.
fn escalation_changes(
    a: &BTreeMap<GainKey, GainInfo>,
    b: &BTreeMap<GainKey, GainInfo>,
    rows: &mut Vec<DiffRow>,
) {
    let mut emit = |k: &GainKey, v: &GainInfo, change: &'static str| {
        let mut r = match (change, v.tier_zero) {
            ("gained", true) => row("escalation", change, "critical", 0),
            ("gained", false) => row("escalation", change, "high", 3),
            _ => row("escalation", change, "info", 8),
        };
        r.identity_type = k.0.clone();
        r.identity_id = k.1.clone();
        r.identity_name = v.identity_name.clone();
        r.entitlement_type = "ROLE".into();
        r.entitlement_id = k.2.clone();
        r.entitlement_name = v.role_name.clone();
        r.scope_type = k.3.clone();
        r.scope_id = k.4.clone();
        r.scope_name = v.scope_name.clone();
        r.detail = format!(
            "{} step{}: {}",
            v.steps,
            if v.steps == 1 { "" } else { "s" },
            v.path
        );
        rows.push(r);
    };
    for (k, v) in b {
        if !a.contains_key(k) {
            emit(k, v, "gained");
        }
    }
    for (k, v) in a {
        if !b.contains_key(k) {
            emit(k, v, "lost");
        }
    }
}

/// A readable, id-based form of an application's access control.
fn access_control_text(t: &Tenant, a: &Application) -> String {
    let mut s = String::new();
    if a.access.admin_users_only {
        s.push_str("ADMIN_USERS_ONLY");
    }
    if let Some(x) = a.access.unknown_role_type {
        let _ = write!(s, "role type {}", t.s(x));
    }
    if let Some(g) = &a.access.group {
        if !s.is_empty() {
            s.push_str("; ");
        }
        let kind = match g.kind {
            GroupRuleKind::AnyGroup => "ANY_GROUP",
            GroupRuleKind::AllGroups => "ALL_GROUPS",
            GroupRuleKind::Unknown(k) => t.s(k),
        };
        let mut groups: Vec<&str> = g.groups.iter().map(|&x| t.s(x)).collect();
        groups.sort_unstable();
        let _ = write!(s, "{kind} [{}]", groups.join(", "));
    }
    if s.is_empty() {
        s.push_str("open");
    }
    s
}

/// The display name of an assignment's subject; empty when it is not in the tenant.
fn subject_name(t: &Tenant, s: Subject) -> &str {
    let i = &t.index;
    let name = match s.kind {
        SubjectKind::User => i.user.get(&s.id).map(|u| t.users[u.idx()].username),
        SubjectKind::Group => i.group.get(&s.id).map(|g| t.groups[g.idx()].name),
        SubjectKind::Application => i.app.get(&s.id).map(|a| t.applications[a.idx()].name),
        SubjectKind::Gateway => i.gateway.get(&s.id).map(|g| t.gateways[g.idx()].name),
    };
    name.map_or("", |n| t.s(n))
}

/// Computes every change from `old` to `new`.
pub fn diff(old: &Tenant, new: &Tenant) -> Diff {
    let mut rows = Vec::new();
    let (ro, rn) = rayon::join(|| Resolver::new(old), || Resolver::new(new));
    access_changes(&ro, &rn, &mut rows);
    let ((f_old, g_old), (f_new, g_new)) = rayon::join(|| analyse(&ro), || analyse(&rn));
    finding_changes(&f_old, &f_new, &mut rows);
    escalation_changes(&g_old, &g_new, &mut rows);
    entity_changes(old, new, &mut rows);
    rows.sort_by(|a, b| {
        (
            a.priority,
            &a.identity_id,
            &a.entitlement_id,
            &a.scope_id,
            a.category,
            a.change,
            &a.detail,
        )
            .cmp(&(
                b.priority,
                &b.identity_id,
                &b.entitlement_id,
                &b.scope_id,
                b.category,
                b.change,
                &b.detail,
            ))
    });
    Diff { rows }
}

fn access_row_changes(
    old: &BTreeMap<AccessKey, AccessInfo>,
    new: &BTreeMap<AccessKey, AccessInfo>,
    rows: &mut Vec<DiffRow>,
) {
    let mut emit = |k: &AccessKey, v: &AccessInfo, change: &'static str| {
        let (severity, priority) = match (change, v.privileged) {
            ("gained", true) => ("high", 1),
            ("gained", false) => ("low", 4),
            (_, true) => ("info", 8),
            _ => ("info", 9),
        };
        let mut r = row("access", change, severity, priority);
        r.identity_type = k.0.clone();
        r.identity_id = k.1.clone();
        r.identity_name = v.identity_name.clone();
        r.entitlement_type = k.2.clone();
        r.entitlement_id = k.3.clone();
        r.entitlement_name = v.entitlement_name.clone();
        r.scope_type = k.4.clone();
        r.scope_id = k.5.clone();
        r.scope_name = v.scope_name.clone();
        r.detail = v.path.clone();
        rows.push(r);
    };
    for (k, v) in new {
        if !old.contains_key(k) {
            emit(k, v, "gained");
        }
    }
    for (k, v) in old {
        if !new.contains_key(k) {
            emit(k, v, "lost");
        }
    }
}

fn finding_changes(old: &[Finding], new: &[Finding], rows: &mut Vec<DiffRow>) {
    let old_keys: BTreeMap<_, &Finding> = old.iter().map(|f| (f.key(), f)).collect();
    let new_keys: BTreeMap<_, &Finding> = new.iter().map(|f| (f.key(), f)).collect();
    let mut emit = |f: &Finding, change: &'static str, priority: u8| {
        let mut r = row("finding", change, f.severity.as_str(), priority);
        r.identity_type = f.identity_type.clone();
        r.identity_id = f.identity_id.clone();
        r.identity_name = f.identity_name.clone();
        r.entitlement_type = f.entitlement_type.clone();
        r.entitlement_id = f.entitlement_id.clone();
        r.entitlement_name = f.entitlement_name.clone();
        r.rule = f.rule;
        r.scope_type = f.scope_type.clone();
        r.scope_id = f.scope_id.clone();
        r.scope_name = f.scope_name.clone();
        r.detail = f.detail.clone();
        rows.push(r);
    };
    for (k, f) in &new_keys {
        if old_keys.contains_key(k) {
            emit(f, "unchanged", 13);
        } else {
            let p = match f.severity {
                Severity::Critical => 2,
                Severity::High => 3,
                _ => 5,
            };
            emit(f, "new", p);
        }
    }
    for (k, f) in &old_keys {
        if !new_keys.contains_key(k) {
            emit(f, "resolved", 10);
        }
    }
}

/// Walks two lists keyed by PingOne ids (sorted here) side by side: `f(old, new)` for every key
/// of either, with `None` on the side that lacks it. Keys borrow the tenants' strings, so a
/// million-row comparison allocates only the two lists.
fn merge_join<K: Ord + Copy, V>(
    mut old: Vec<(K, V)>,
    mut new: Vec<(K, V)>,
    mut f: impl FnMut(Option<&V>, Option<&V>),
) {
    old.sort_unstable_by_key(|x| x.0);
    new.sort_unstable_by_key(|x| x.0);
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let ord = match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) => a.0.cmp(&b.0),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                f(Some(&old[i].1), None);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                f(None, Some(&new[j].1));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                f(Some(&old[i].1), Some(&new[j].1));
                i += 1;
                j += 1;
            }
        }
    }
}

fn entity_changes(old: &Tenant, new: &Tenant, rows: &mut Vec<DiffRow>) {
    // Users: added, removed, disabled (or locked), re-enabled.
    fn users(t: &Tenant) -> Vec<(&str, (&str, &str, bool))> {
        t.users
            .iter()
            .map(|u| (t.s(u.id), (t.s(u.id), t.s(u.username), u.is_active())))
            .collect()
    }
    let user_row = |&(id, name, _): &(&str, &str, bool), change: &'static str, detail: &str| {
        let mut r = row(
            "user",
            change,
            "info",
            if change == "re-enabled" { 6 } else { 7 },
        );
        r.identity_type = "USER".into();
        r.identity_id = id.to_string();
        r.identity_name = name.to_string();
        r.detail = detail.to_string();
        r
    };
    merge_join(users(old), users(new), |o, n| match (o, n) {
        (None, Some(n)) => rows.push(user_row(n, "added", "")),
        (Some(o), None) => rows.push(user_row(o, "removed", "")),
        (Some(o), Some(n)) if o.2 && !n.2 => {
            rows.push(user_row(n, "disabled", "disabled or locked"))
        }
        (Some(o), Some(n)) if !o.2 && n.2 => {
            rows.push(user_row(n, "re-enabled", "enabled and not locked"))
        }
        _ => {}
    });

    // Role assignments, by (assignment id, subject id).
    fn assignments(t: &Tenant) -> Vec<((&str, &str), usize)> {
        t.assignments
            .iter()
            .enumerate()
            .map(|(i, a)| ((t.s(a.id), t.s(a.subject.id)), i))
            .collect()
    }
    let assignment_row = |t: &Tenant, i: usize, change: &'static str, priority: u8| {
        let a = &t.assignments[i];
        let mut r = row("role-assignment", change, "info", priority);
        r.identity_type = a.subject.kind.as_str().to_string();
        r.identity_id = t.s(a.subject.id).to_string();
        r.identity_name = subject_name(t, a.subject).to_string();
        r.entitlement_type = "ROLE".into();
        r.entitlement_id = t.s(a.role_id).to_string();
        r.entitlement_name = t.role_name(a).to_string();
        r.scope_type = t.scope_kind_str(a.scope.kind).to_string();
        r.scope_id = t.s(a.scope.id).to_string();
        r.scope_name = t.scope_target_name(a.scope).unwrap_or("").to_string();
        r.detail = format!("assignment {}", t.s(a.id));
        r
    };
    merge_join(assignments(old), assignments(new), |o, n| match (o, n) {
        (None, Some(&i)) => rows.push(assignment_row(new, i, "added", 6)),
        (Some(&i), None) => rows.push(assignment_row(old, i, "removed", 9)),
        _ => {}
    });

    // Direct memberships, by (user id, group id).
    fn memberships(t: &Tenant) -> Vec<((&str, &str), usize)> {
        t.memberships
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let u = &t.users[m.user.idx()];
                let g = &t.groups[m.group.idx()];
                ((t.s(u.id), t.s(g.id)), i)
            })
            .collect()
    }
    let mem_row = |t: &Tenant, i: usize, change: &'static str| {
        let m = &t.memberships[i];
        let (u, g) = (&t.users[m.user.idx()], &t.groups[m.group.idx()]);
        let mut r = row(
            "membership",
            change,
            "info",
            if change == "added" { 7 } else { 9 },
        );
        r.identity_type = "USER".into();
        r.identity_id = t.s(u.id).to_string();
        r.identity_name = t.s(u.username).to_string();
        r.entitlement_type = "GROUP".into();
        r.entitlement_id = t.s(g.id).to_string();
        r.entitlement_name = t.s(g.name).to_string();
        r
    };
    merge_join(memberships(old), memberships(new), |o, n| match (o, n) {
        (None, Some(&i)) => rows.push(mem_row(new, i, "added")),
        (Some(&i), None) => rows.push(mem_row(old, i, "removed")),
        _ => {}
    });

    // Applications whose access control changed.
    fn apps(t: &Tenant) -> Vec<(&str, (&str, &str, String))> {
        t.applications
            .iter()
            .map(|a| {
                (
                    t.s(a.id),
                    (t.s(a.id), t.s(a.name), access_control_text(t, a)),
                )
            })
            .collect()
    }
    merge_join(apps(old), apps(new), |o, n| {
        if let (Some((_, _, before)), Some((id, name, ac))) = (o, n)
            && before != ac
        {
            let mut r = row("application", "changed", "info", 6);
            r.entitlement_type = "APPLICATION".into();
            r.entitlement_id = id.to_string();
            r.entitlement_name = name.to_string();
            r.detail = format!("access control: {before} -> {ac}");
            rows.push(r);
        }
    });
}

impl Diff {
    /// Rows of one category and change.
    pub fn count(&self, category: &str, change: &str) -> usize {
        self.rows
            .iter()
            .filter(|r| r.category == category && r.change == change)
            .count()
    }

    /// The CSV form (RFC 4180, CRLF), header first.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = format!("{DIFF_HEADER}\r\n").into_bytes();
        for r in &self.rows {
            super::access::write_csv_fields(
                &[
                    r.category,
                    r.change,
                    r.severity,
                    r.rule,
                    &r.identity_type,
                    &r.identity_id,
                    &r.identity_name,
                    &r.entitlement_type,
                    &r.entitlement_id,
                    &r.entitlement_name,
                    &r.scope_type,
                    &r.scope_id,
                    &r.scope_name,
                    &r.detail,
                ],
                &mut out,
            );
        }
        out
    }

    /// The JSON form: an array of row objects.
    pub fn to_json(&self) -> Result<Vec<u8>, super::output::OutputError> {
        super::json::pretty_named(&self.rows, "the diff")
    }

    /// Drops the unchanged findings (what `diff` does unless `--include-unchanged`).
    pub fn without_unchanged(mut self) -> Diff {
        self.rows.retain(|r| r.change != "unchanged");
        self
    }

    /// The changes `--fail-on LEVEL` fails on: new findings, gained escalations at or above
    /// `level`, and any gained privileged access (a privileged role is a change a reviewer must
    /// see whatever the level).
    pub fn failing(&self, level: Severity) -> Vec<&DiffRow> {
        self.rows
            .iter()
            .filter(|r| match (r.category, r.change) {
                ("finding", "new") | ("escalation", "gained") => {
                    severity_of(r.severity).is_some_and(|s| s.at_least(level))
                }
                ("access", "gained") => r.severity == "high",
                _ => false,
            })
            .collect()
    }

    /// A table for people: counts first, then the changes (never the unchanged findings), most
    /// important first, at most `limit` of them, fitted to `width`.
    pub fn to_table(&self, limit: Option<usize>, width: usize) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "access: {} gained ({} privileged), {} lost",
            self.count("access", "gained"),
            self.rows
                .iter()
                .filter(|r| r.category == "access" && r.change == "gained" && r.severity == "high")
                .count(),
            self.count("access", "lost")
        );
        let _ = writeln!(
            s,
            "escalation: {} gained ({} to Organization or Environment Admin), {} lost",
            self.count("escalation", "gained"),
            self.rows
                .iter()
                .filter(|r| r.category == "escalation" && r.severity == "critical")
                .count(),
            self.count("escalation", "lost")
        );
        let _ = writeln!(
            s,
            "findings: {} new, {} resolved, {} unchanged",
            self.count("finding", "new"),
            self.count("finding", "resolved"),
            self.count("finding", "unchanged")
        );
        let _ = writeln!(
            s,
            "users: {} added, {} removed, {} disabled, {} re-enabled; role assignments: {} added, {} removed; memberships: {} added, {} removed; applications with changed access control: {}",
            self.count("user", "added"),
            self.count("user", "removed"),
            self.count("user", "disabled"),
            self.count("user", "re-enabled"),
            self.count("role-assignment", "added"),
            self.count("role-assignment", "removed"),
            self.count("membership", "added"),
            self.count("membership", "removed"),
            self.count("application", "changed"),
        );
        let mut table = Table::new(vec![
            Column::keep("SEVERITY"),
            Column::keep("CATEGORY"),
            Column::keep("CHANGE"),
            Column::shrink("IDENTITY", 12),
            Column::shrink("WHAT", 16),
            Column::shrink("DETAIL", 24),
        ]);
        let changes: Vec<&DiffRow> = self
            .rows
            .iter()
            .filter(|r| r.change != "unchanged")
            .collect();
        let shown = limit.unwrap_or(usize::MAX).min(changes.len());
        for r in &changes[..shown] {
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
                r.severity.to_string(),
                r.category.to_string(),
                r.change.to_string(),
                who.to_string(),
                what.trim().to_string(),
                r.detail.clone(),
            ]);
        }
        if changes.is_empty() {
            s.push_str("\nno changes\n");
            return s;
        }
        s.push('\n');
        s.push_str(&table.render(width));
        if shown < changes.len() {
            let _ = writeln!(
                s,
                "\nshowing {shown} of {} changes (most important first); --all shows every one, --format csv writes them all",
                changes.len()
            );
        }
        s.push_str(&table.cut_note());
        s
    }
}

#[cfg(test)]
mod tests_support {
    use std::path::Path;

    use super::*;

    pub fn demo() -> Tenant {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        crate::export::read_export(&dir).unwrap()
    }

    /// `old` with hand-made changes: a user disabled, a user added, a membership that brings a
    /// privileged role through a group, a direct privileged role assignment, an application's
    /// access control changed.
    pub fn changed(old: &Tenant) -> (Tenant, String, String) {
        let mut t = old.clone();
        // A user that is active and one that will gain a membership.
        let active = t.users.iter().position(|u| u.is_active()).unwrap();
        let disabled_id = t.s(t.users[active].id).to_string();
        t.users[active].enabled = false;
        // A group holding a privileged role.
        let (group, _) = t
            .assignments
            .iter()
            .filter(|a| a.subject.kind == SubjectKind::Group && !t.role_is_read_only(a.role))
            .find_map(|a| t.index.group.get(&a.subject.id).map(|&g| (g, a.role)))
            .expect("the demo tenant has a group with a privileged role");
        let env = t.groups[group.idx()].env;
        let id = t.strings.intern("u-diff-newcomer");
        let name = t.strings.intern("new.comer");
        t.users.push(User {
            id,
            username: name,
            display_name: Sym::EMPTY,
            env,
            population: Sym::EMPTY,
            enabled: true,
            locked: false,
            last_sign_on: None,
            mfa_enabled: Some(true),
            created_at: None,
            identity_provider: Sym::EMPTY,
        });
        let newcomer = UserId::from_idx(t.users.len() - 1);
        let kind = t.strings.intern("DIRECT");
        t.memberships.push(Membership {
            user: newcomer,
            group,
            kind,
        });
        t.memberships.sort_by_key(|m| (m.user, m.group));
        // A direct privileged assignment for the newcomer.
        let role = t.roles.iter().position(|r| !r.read_only).unwrap();
        let org = t.organization.id;
        let aid = t.strings.intern("ra-diff-1");
        t.assignments.push(RoleAssignment {
            id: aid,
            subject: Subject {
                kind: SubjectKind::User,
                id,
            },
            role_id: t.roles[role].id,
            role: Some(RoleId::from_idx(role)),
            scope: ScopeRef {
                kind: ScopeKind::Organization,
                id: org,
            },
            read_only_flag: false,
            env,
        });
        let app = &mut t.applications[0];
        app.access.admin_users_only = !app.access.admin_users_only;
        t.reindex();
        (t, disabled_id, "u-diff-newcomer".into())
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::*;
    use super::*;

    #[test]
    fn a_tenant_against_itself_has_only_unchanged_findings() {
        let t = demo();
        let d = diff(&t, &t);
        assert!(
            d.rows.iter().all(|r| r.change == "unchanged"),
            "{:?}",
            d.rows.first()
        );
        assert!(d.count("finding", "unchanged") > 0);
    }

    #[test]
    fn each_kind_of_change_is_reported_and_privileged_gains_lead() {
        let old = demo();
        let (new, disabled, newcomer) = changed(&old);
        let d = diff(&old, &new);
        assert!(
            d.rows.iter().any(|r| r.category == "user"
                && r.change == "disabled"
                && r.identity_id == disabled)
        );
        assert!(
            d.rows
                .iter()
                .any(|r| r.category == "user" && r.change == "added" && r.identity_id == newcomer)
        );
        assert!(d.rows.iter().any(|r| r.category == "membership"
            && r.change == "added"
            && r.identity_id == newcomer));
        assert!(d.rows.iter().any(|r| r.category == "role-assignment"
            && r.change == "added"
            && r.identity_id == newcomer));
        assert_eq!(d.count("application", "changed"), 1);
        let gained: Vec<&DiffRow> = d
            .rows
            .iter()
            .filter(|r| r.category == "access" && r.change == "gained" && r.identity_id == newcomer)
            .collect();
        assert!(
            gained
                .iter()
                .any(|r| r.entitlement_type == "ROLE" && r.severity == "high")
        );
        // The path names the identity and where the access comes from.
        assert!(gained.iter().all(|r| r.detail.contains("->")), "{gained:?}");
        // Most severe first: a new path to Environment Admin leads, then new privileged access.
        assert_eq!(
            (d.rows[0].category, d.rows[0].change, d.rows[0].severity),
            ("escalation", "gained", "critical")
        );
        assert_eq!(d.rows[0].identity_id, newcomer);
        assert_eq!(d.rows[0].entitlement_name, "Environment Admin");
        assert!(d.rows[0].detail.starts_with("1 step: user:new.comer -> "));
        let first_access = d.rows.iter().position(|r| r.category == "access").unwrap();
        assert_eq!(
            (d.rows[first_access].change, d.rows[first_access].severity),
            ("gained", "high")
        );
        assert!(
            d.rows[..first_access]
                .iter()
                .all(|r| r.severity == "critical")
        );
        // The reverse diff loses what was gained.
        let back = diff(&new, &old);
        assert_eq!(
            back.count("escalation", "lost"),
            d.count("escalation", "gained")
        );
        let table = d.to_table(None, 200);
        // The first change under the table's header line.
        let first = table
            .lines()
            .skip_while(|l| !l.is_empty())
            .nth(2)
            .unwrap_or("");
        assert!(
            first.starts_with("critical")
                && first.contains("escalation")
                && first.contains("gained"),
            "{table}"
        );
        let csv = String::from_utf8(d.to_csv()).unwrap();
        assert!(csv.starts_with(DIFF_HEADER));
        assert_eq!(csv.lines().count(), d.rows.len() + 1);
        let json: serde_json::Value = serde_json::from_slice(&d.to_json().unwrap()).unwrap();
        assert_eq!(json.as_array().map(|a| a.len()), Some(d.rows.len()));

        // The reverse direction undoes each change.
        let back = diff(&new, &old);
        assert!(back.rows.iter().any(|r| r.category == "user"
            && r.change == "re-enabled"
            && r.identity_id == disabled));
        assert!(
            back.rows.iter().any(|r| r.category == "user"
                && r.change == "removed"
                && r.identity_id == newcomer)
        );
        assert!(
            back.rows
                .iter()
                .any(|r| r.category == "role-assignment" && r.change == "removed")
        );
        assert!(
            back.rows
                .iter()
                .any(|r| r.category == "membership" && r.change == "removed")
        );
        assert_eq!(back.count("access", "lost"), d.count("access", "gained"));
        assert_eq!(back.count("finding", "resolved"), d.count("finding", "new"));
    }

    #[test]
    fn diff_is_the_same_from_snapshots() {
        let old = demo();
        let (new, _, _) = changed(&old);
        let dir = tempfile::tempdir().unwrap();
        let (po, pn) = (dir.path().join("old.p1g"), dir.path().join("new.p1g"));
        crate::snapshot::save(&old, &po).unwrap();
        crate::snapshot::save(&new, &pn).unwrap();
        let from_snapshots = diff(
            &crate::snapshot::load(&po).unwrap(),
            &crate::snapshot::load(&pn).unwrap(),
        );
        assert_eq!(from_snapshots, diff(&old, &new));
    }
}

#[cfg(test)]
mod snapshots {
    use super::tests_support::*;

    #[test]
    fn diff_table_and_csv_snapshot() {
        let old = demo();
        let (new, _, _) = changed(&old);
        let d = super::diff(&old, &new);
        insta::assert_snapshot!("diff_table", d.to_table(None, 160));
        insta::assert_snapshot!("diff_csv", String::from_utf8(d.to_csv()).unwrap());
    }
}
