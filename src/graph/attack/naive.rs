//! A naive reading of the attack-path contract, for property tests: every edge materialised per
//! user (a P1 privilege points at each enabled user within its scope), group closures by plain
//! breadth-first search, scopes tested against every entity, Dijkstra with a binary heap from
//! each actor, and section 4's filter written as the contract says it. Slow and obvious.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use crate::model::*;

/// (identity_type, identity_id, role_id, scope_type, scope_id, steps), sorted.
pub type Row = (String, String, String, String, String, u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum N {
    User(usize),
    App(usize),
    Gateway(usize),
    Group(usize),
    Priv(usize),
}

const BUILTIN_TABLE: [(&str, &[&str]); 4] = [
    ("Organization Admin", &["Environment Admin"]),
    (
        "Identity Data Admin",
        &[
            "Identity Data Admin",
            "Identity Data Read Only",
            "Help Desk Admin",
        ],
    ),
    (
        "DaVinci Admin",
        &["DaVinci Admin", "DaVinci Admin Read Only"],
    ),
    (
        "Advanced Identity Cloud Super Admin",
        &[
            "Advanced Identity Cloud Super Admin",
            "Advanced Identity Cloud Tenant Admin",
        ],
    ),
];

/// groups(u) of M1 for a set of direct groups.
fn closure(t: &Tenant, direct: &[usize]) -> BTreeSet<usize> {
    let mut seen: BTreeSet<usize> = direct.iter().copied().collect();
    let mut todo: Vec<usize> = direct.to_vec();
    while let Some(g) = todo.pop() {
        for n in &t.nestings {
            if n.child.idx() == g && seen.insert(n.parent.idx()) {
                todo.push(n.parent.idx());
            }
        }
    }
    seen
}

fn kind_ok(t: &Tenant, role: &Role, k: ScopeKind) -> bool {
    role.applicable_to.is_empty()
        || role
            .applicable_to
            .iter()
            .any(|&a| t.s(a) == t.scope_kind_str(k))
}

/// Every candidate scope of the snapshot (for P3 and P2).
fn all_scopes(t: &Tenant) -> Vec<ScopeRef> {
    let mut v = Vec::new();
    for e in &t.environments {
        v.push(ScopeRef {
            kind: ScopeKind::Environment,
            id: e.id,
        });
    }
    for p in &t.populations {
        v.push(ScopeRef {
            kind: ScopeKind::Population,
            id: p.id,
        });
    }
    for g in &t.groups {
        v.push(ScopeRef {
            kind: ScopeKind::Group,
            id: g.id,
        });
    }
    for a in &t.applications {
        v.push(ScopeRef {
            kind: ScopeKind::Application,
            id: a.id,
        });
    }
    v
}

/// The escalation rows of every actor.
pub fn escalations(t: &Tenant) -> Vec<Row> {
    let users_groups: Vec<BTreeSet<usize>> = (0..t.users.len())
        .map(|u| {
            let direct: Vec<usize> = t
                .memberships
                .iter()
                .filter(|m| m.user.idx() == u)
                .map(|m| m.group.idx())
                .collect();
            closure(t, &direct)
        })
        .collect();
    let mut privs: Vec<(Sym, ScopeRef)> = Vec::new();
    let intern = |privs: &mut Vec<(Sym, ScopeRef)>, r: Sym, s: ScopeRef| -> usize {
        match privs.iter().position(|&p| p == (r, s)) {
            Some(i) => i,
            None => {
                privs.push((r, s));
                privs.len() - 1
            }
        }
    };
    let assignments_of = |kind: SubjectKind, id: Sym| -> Vec<(Sym, ScopeRef)> {
        t.assignments
            .iter()
            .filter(|a| a.subject.kind == kind && a.subject.id == id)
            .map(|a| (a.role_id, a.scope))
            .collect()
    };
    // Held privileges.
    let mut edges: BTreeMap<N, Vec<(N, u32)>> = BTreeMap::new();
    let mut actors: Vec<N> = Vec::new();
    for (i, u) in t.users.iter().enumerate() {
        let mut held = assignments_of(SubjectKind::User, u.id);
        for &g in &users_groups[i] {
            held.extend(assignments_of(SubjectKind::Group, t.groups[g].id));
        }
        let e = edges.entry(N::User(i)).or_default();
        for (r, s) in held {
            e.push((N::Priv(intern(&mut privs, r, s)), 0));
        }
        if u.is_active() {
            actors.push(N::User(i));
        }
    }
    for (i, a) in t.applications.iter().enumerate() {
        let e = edges.entry(N::App(i)).or_default();
        for (r, s) in assignments_of(SubjectKind::Application, a.id) {
            e.push((N::Priv(intern(&mut privs, r, s)), 0));
        }
        if a.enabled {
            actors.push(N::App(i));
        }
    }
    for (i, gw) in t.gateways.iter().enumerate() {
        let e = edges.entry(N::Gateway(i)).or_default();
        for (r, s) in assignments_of(SubjectKind::Gateway, gw.id) {
            e.push((N::Priv(intern(&mut privs, r, s)), 0));
        }
        if gw.enabled {
            actors.push(N::Gateway(i));
        }
    }
    // Grants: a group's and its ancestors' assignments.
    for (i, _) in t.groups.iter().enumerate() {
        let anc = closure(t, &[i]);
        let mut list = Vec::new();
        for g in anc {
            for (r, s) in assignments_of(SubjectKind::Group, t.groups[g].id) {
                list.push((N::Priv(intern(&mut privs, r, s)), 0));
            }
        }
        edges.insert(N::Group(i), list);
    }
    // Capabilities, over a growing privilege list.
    let role_of = |r: Sym| t.roles.iter().find(|x| x.id == r);
    let mut i = 0;
    while i < privs.len() {
        let (rid, s) = privs[i];
        let role = role_of(rid);
        let perms: Vec<&str> = role.map_or(Vec::new(), |r| {
            r.permissions.iter().map(|&p| t.s(p)).collect()
        });
        let mut out = Vec::new();
        if perms.contains(&"dir:reset:userPassword") || perms.contains(&"dir:set:userPassword") {
            for (u, user) in t.users.iter().enumerate() {
                if !user.is_active() {
                    continue;
                }
                let env = &t.environments[user.env.idx()];
                let within = match s.kind {
                    ScopeKind::Organization => {
                        t.scope_is_known(s) && t.env_organization(user.env) == s.id
                    }
                    ScopeKind::Environment => env.id == s.id,
                    ScopeKind::Population => {
                        t.populations.iter().any(|p| p.id == s.id) && user.population == s.id
                    }
                    ScopeKind::Group => users_groups[u].iter().any(|&g| t.groups[g].id == s.id),
                    _ => false,
                };
                if within {
                    out.push((N::User(u), 1));
                }
            }
        }
        if perms.contains(&"dir:create:groupMembership")
            && matches!(
                s.kind,
                ScopeKind::Organization | ScopeKind::Environment | ScopeKind::Population
            )
            && t.scope_is_known(s)
        {
            for (g, group) in t.groups.iter().enumerate() {
                if t.scope_contains(
                    s,
                    ScopeRef {
                        kind: ScopeKind::Group,
                        id: group.id,
                    },
                ) {
                    out.push((N::Group(g), 1));
                }
            }
        }
        // P3
        let mut assignable: Vec<&Role> = Vec::new();
        if let Some(r) = role.filter(|r| r.builtin) {
            let name = t.s(r.name);
            if name == "Environment Admin" {
                assignable.extend(
                    t.roles
                        .iter()
                        .filter(|x| x.builtin && t.s(x.name) != "Organization Admin"),
                );
            }
            for (n, targets) in BUILTIN_TABLE {
                if n == name {
                    assignable.extend(
                        t.roles
                            .iter()
                            .filter(|x| x.builtin && targets.contains(&t.s(x.name))),
                    );
                }
            }
        }
        assignable.extend(
            t.roles
                .iter()
                .filter(|x| !x.builtin && x.can_be_assigned_by.contains(&rid)),
        );
        for r2 in assignable {
            let mut cands: Vec<ScopeRef> = vec![s];
            cands.extend(
                all_scopes(t)
                    .into_iter()
                    .filter(|&c| c != s && t.scope_contains(s, c)),
            );
            let kept: Vec<ScopeRef> = cands
                .into_iter()
                .filter(|&c| t.scope_is_known(c) && kind_ok(t, r2, c.kind))
                .collect();
            for &c in &kept {
                if kept.iter().any(|&k| k != c && t.scope_contains(k, c)) {
                    continue;
                }
                let j = intern(&mut privs, r2.id, c);
                if j != i {
                    out.push((N::Priv(j), 1));
                }
            }
        }
        edges.insert(N::Priv(i), out);
        i += 1;
    }
    // Dijkstra from each actor; the filter of section 4.
    let covers = |q: (Sym, ScopeRef), p: (Sym, ScopeRef)| q.0 == p.0 && t.scope_contains(q.1, p.1);
    let mut rows = Vec::new();
    for &a in &actors {
        let mut dist: BTreeMap<N, u32> = BTreeMap::new();
        let mut heap = BinaryHeap::new();
        dist.insert(a, 0);
        heap.push(Reverse((0u32, a)));
        while let Some(Reverse((d, n))) = heap.pop() {
            if dist.get(&n).is_some_and(|&x| x < d) {
                continue;
            }
            for &(m, w) in edges.get(&n).map_or(&[][..], |v| v.as_slice()) {
                let nd = d + w;
                if dist.get(&m).is_none_or(|&x| nd < x) {
                    dist.insert(m, nd);
                    heap.push(Reverse((nd, m)));
                }
            }
        }
        let held: Vec<usize> = edges[&a]
            .iter()
            .filter_map(|&(n, _)| match n {
                N::Priv(p) => Some(p),
                _ => None,
            })
            .collect();
        let obtained: Vec<(usize, u32)> = dist
            .iter()
            .filter_map(|(&n, &d)| match n {
                N::Priv(p) => Some((p, d)),
                _ => None,
            })
            .collect();
        let (itype, iid) = match a {
            N::User(i) => ("USER", t.users[i].id),
            N::App(i) => ("APPLICATION", t.applications[i].id),
            N::Gateway(i) => ("GATEWAY", t.gateways[i].id),
            _ => continue,
        };
        for &(p, d) in &obtained {
            if held.iter().any(|&h| covers(privs[h], privs[p])) {
                continue;
            }
            if obtained
                .iter()
                .any(|&(q, _)| q != p && covers(privs[q], privs[p]))
            {
                continue;
            }
            let (r, s) = privs[p];
            rows.push((
                itype.to_string(),
                t.s(iid).to_string(),
                t.s(r).to_string(),
                t.scope_kind_str(s.kind).to_string(),
                t.s(s.id).to_string(),
                d,
            ));
        }
    }
    rows.sort_by(|x, y| {
        (
            x.0.as_bytes(),
            x.1.as_bytes(),
            x.2.as_bytes(),
            x.3.as_bytes(),
            x.4.as_bytes(),
        )
            .cmp(&(
                y.0.as_bytes(),
                y.1.as_bytes(),
                y.2.as_bytes(),
                y.3.as_bytes(),
                y.4.as_bytes(),
            ))
    });
    rows
}
