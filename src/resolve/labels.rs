//! How identities, groups and roles are named in paths and columns: one place, so that the
//! access export, explain, findings, usage and reviews name things the same way.

use super::{Identity, RoleEnt};
use crate::model::*;

/// Identity columns: id, name, environment id, enabled.
pub fn identity_columns(t: &Tenant, id: Identity) -> (&str, &str, &str, bool) {
    let (pid, name, env, enabled) = identity_syms(t, id);
    (t.s(pid), t.s(name), t.s(env), enabled)
}

/// [`identity_columns`] as symbols, for callers that need not read every text (reading a
/// symbol's text touches the string arena).
pub fn identity_syms(t: &Tenant, id: Identity) -> (Sym, Sym, Sym, bool) {
    match id {
        Identity::User(u) => {
            let u = &t.users[u.idx()];
            (
                u.id,
                u.username,
                t.environments[u.env.idx()].id,
                u.is_active(),
            )
        }
        Identity::Application(a) => {
            let a = &t.applications[a.idx()];
            (a.id, a.name, t.environments[a.env.idx()].id, a.enabled)
        }
        Identity::Gateway(g) => {
            let g = &t.gateways[g.idx()];
            (g.id, g.name, t.environments[g.env.idx()].id, g.enabled)
        }
    }
}

/// The label of an identity in a path: `user:ana@example.com`, `application:CI deploy`.
pub fn identity_label(t: &Tenant, id: Identity, out: &mut String) {
    let (pid, name, _, _) = identity_columns(t, id);
    let kind = match id {
        Identity::User(_) => "user",
        Identity::Application(_) => "application",
        Identity::Gateway(_) => "gateway",
    };
    let shown = if name.is_empty() { pid } else { name };
    // `push_str`, not `write!`: these labels are built for every row of the access export.
    for part in [kind, ":", shown] {
        out.push_str(part);
    }
}

/// Appends ` -> group:A -> group:B ...` for a chain of groups.
pub fn push_group_chain(t: &Tenant, chain: &[GroupId], out: &mut String) {
    for &g in chain {
        out.push_str(" -> group:");
        out.push_str(t.group_label(g));
    }
}

/// ` -> role:NAME @ SCOPE_TYPE:SCOPE_NAME`
pub fn role_label(t: &Tenant, e: &RoleEnt, out: &mut String) {
    let name = e
        .role
        .map(|r| t.roles[r.idx()].name)
        .filter(|n| !n.is_empty())
        .unwrap_or(e.role_id);
    for part in [
        " -> role:",
        t.s(name),
        " @ ",
        t.scope_kind_str(e.scope.kind),
        ":",
        t.scope_name(e.scope),
    ] {
        out.push_str(part);
    }
}

/// `direct` and/or source group ids, sorted, `;`-separated.
pub fn role_sources(t: &Tenant, a: &super::Access, e: &RoleEnt, out: &mut String) {
    let groups = a.role_groups(e);
    // "direct" sorts among group ids by its bytes.
    let mut direct_pending = e.direct;
    let mut first = true;
    let mut push = |s: &str, out: &mut String| {
        if !first {
            out.push(';');
        }
        first = false;
        out.push_str(s);
    };
    for g in groups {
        let gid = t.s(t.groups[g.idx()].id);
        if direct_pending && "direct" < gid {
            push("direct", out);
            direct_pending = false;
        }
        push(gid, out);
    }
    if direct_pending {
        push("direct", out);
    }
}
