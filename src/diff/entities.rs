//! Entity changes: users added, removed, disabled and re-enabled; role assignments and direct
//! memberships added and removed; applications whose access control changed.

use std::fmt::Write as _;
use std::io;

use super::{Category, Change, DiffRow, Sink, merge_join};
use crate::findings::Severity;
use crate::model::*;

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

pub(super) fn changes(old: &Tenant, new: &Tenant, sink: &mut Sink) -> io::Result<()> {
    // Users: added, removed, disabled (or locked), re-enabled.
    fn users(t: &Tenant) -> Vec<(&str, (&str, &str, bool))> {
        t.users
            .iter()
            .map(|u| (t.s(u.id), (t.s(u.id), t.s(u.username), u.is_active())))
            .collect()
    }
    let user_row = |&(id, name, _): &(&str, &str, bool), change: Change, detail: &str| {
        let mut r = DiffRow::new(
            Category::User,
            change,
            Severity::Info,
            if change == Change::ReEnabled { 6 } else { 7 },
        );
        r.identity_type = "USER".into();
        r.identity_id = id.to_string();
        r.identity_name = name.to_string();
        r.detail = detail.to_string();
        r
    };
    merge_join(users(old), users(new), |o, n| match (o, n) {
        (None, Some(n)) => sink.push(user_row(n, Change::Added, "")),
        (Some(o), None) => sink.push(user_row(o, Change::Removed, "")),
        (Some(o), Some(n)) if o.2 && !n.2 => {
            sink.push(user_row(n, Change::Disabled, "disabled or locked"))
        }
        (Some(o), Some(n)) if !o.2 && n.2 => {
            sink.push(user_row(n, Change::ReEnabled, "enabled and not locked"))
        }
        _ => Ok(()),
    })?;

    // Role assignments, by (assignment id, subject id).
    fn assignments(t: &Tenant) -> Vec<((&str, &str), usize)> {
        t.assignments
            .iter()
            .enumerate()
            .map(|(i, a)| ((t.s(a.id), t.s(a.subject.id)), i))
            .collect()
    }
    let assignment_row = |t: &Tenant, i: usize, change: Change, priority: u8| {
        let a = &t.assignments[i];
        let mut r = DiffRow::new(Category::RoleAssignment, change, Severity::Info, priority);
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
        (None, Some(&i)) => sink.push(assignment_row(new, i, Change::Added, 6)),
        (Some(&i), None) => sink.push(assignment_row(old, i, Change::Removed, 9)),
        _ => Ok(()),
    })?;

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
    let mem_row = |t: &Tenant, i: usize, change: Change| {
        let m = &t.memberships[i];
        let (u, g) = (&t.users[m.user.idx()], &t.groups[m.group.idx()]);
        let mut r = DiffRow::new(
            Category::Membership,
            change,
            Severity::Info,
            if change == Change::Added { 7 } else { 9 },
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
        (None, Some(&i)) => sink.push(mem_row(new, i, Change::Added)),
        (Some(&i), None) => sink.push(mem_row(old, i, Change::Removed)),
        _ => Ok(()),
    })?;

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
            let mut r = DiffRow::new(Category::Application, Change::Changed, Severity::Info, 6);
            r.entitlement_type = "APPLICATION".into();
            r.entitlement_id = id.to_string();
            r.entitlement_name = name.to_string();
            r.detail = format!("access control: {before} -> {ac}");
            sink.push(r)?;
        }
        Ok(())
    })?;
    Ok(())
}
