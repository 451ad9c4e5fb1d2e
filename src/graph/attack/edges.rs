//! What an exporter of the attack graph needs beyond the tenant: every privilege node, the
//! capability edges (P1, P2, P3) between them, and, for each scope a P1 privilege targets, every
//! enabled user within it (the graph itself keeps one user per distinct held set; an export that
//! people search needs them all). Used by the BloodHound OpenGraph writer.

use super::Privilege;
use crate::model::*;

/// The escalation edges of the attack graph, as the attack-path engine computes them: what the
/// exporter cannot derive from the tenant alone.
#[derive(Debug, Default, Clone)]
pub struct AttackEdges {
    /// Every privilege node: held ones and those P3 can create.
    pub privileges: Vec<Privilege>,
    /// P1: privilege index -> the scope whose users it can take over.
    pub reset_password: Vec<(u32, ScopeRef)>,
    /// P2: privilege index -> group.
    pub add_member: Vec<(u32, GroupId)>,
    /// P3: privilege index -> privilege index.
    pub assign_role: Vec<(u32, u32)>,
    /// The enabled users within each P1 target scope (GROUP scopes: members through nesting).
    pub users_within: Vec<(ScopeRef, Vec<UserId>)>,
}

impl AttackEdges {
    /// The privileges and capability edges of the attack graph, plus every privilege some
    /// identity or group holds by assignment (an exported "has role" edge needs its node).
    /// The users within each P1 target scope are listed in full (every enabled user, as the
    /// contract's P1 says), computed in one pass over users and memberships.
    pub fn from_graph(g: &super::AttackGraph) -> AttackEdges {
        use super::{AttackEdge, AttackNode};
        let t = g.t;
        let mut privileges: Vec<Privilege> = g.privileges().to_vec();
        let mut index: rustc_hash::FxHashMap<Privilege, u32> = privileges
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, i as u32))
            .collect();
        for a in &t.assignments {
            let p = Privilege {
                role_id: a.role_id,
                role: a.role,
                scope: a.scope,
            };
            let next = privileges.len() as u32;
            if let std::collections::hash_map::Entry::Vacant(v) = index.entry(p) {
                v.insert(next);
                privileges.push(p);
            }
        }
        let mut out = AttackEdges {
            privileges,
            ..Default::default()
        };
        let node_priv = |n| match g.graph[n] {
            AttackNode::Privilege(p) => index.get(g.privilege(p)).copied(),
            _ => None,
        };
        let mut scopes: Vec<ScopeRef> = Vec::new();
        for (a, kind, b) in g.capability_edges() {
            let Some(from) = node_priv(a) else { continue };
            match (kind, g.graph[b]) {
                (AttackEdge::ResetPassword, AttackNode::UsersWithin(s)) => {
                    out.reset_password.push((from, s));
                    scopes.push(s);
                }
                (AttackEdge::AddMember, AttackNode::Group(gr)) => out.add_member.push((from, gr)),
                (AttackEdge::AssignRole, _) => {
                    if let Some(to) = node_priv(b) {
                        out.assign_role.push((from, to));
                    }
                }
                _ => {}
            }
        }
        out.reset_password.sort_unstable_by_key(|x| (x.0, x.1));
        out.reset_password.dedup();
        out.add_member.sort_unstable();
        out.add_member.dedup();
        out.assign_role.sort_unstable();
        out.assign_role.dedup();
        scopes.sort_unstable();
        scopes.dedup();
        out.users_within = users_within(t, &scopes);
        out
    }
}

/// The enabled users within each scope (attack-path model, "users within a scope"): one pass
/// over users for organizations, environments and populations, and one walk down the nesting
/// per GROUP scope. O(users + memberships + nestings per group scope).
fn users_within(t: &Tenant, scopes: &[ScopeRef]) -> Vec<(ScopeRef, Vec<UserId>)> {
    let mut by_env: Vec<Vec<UserId>> = vec![Vec::new(); t.environments.len()];
    let mut by_pop: rustc_hash::FxHashMap<Sym, Vec<UserId>> = Default::default();
    for (i, u) in t.users.iter().enumerate() {
        if u.is_active() {
            by_env[u.env.idx()].push(UserId::from_idx(i));
            if t.index.pop.contains_key(&u.population) {
                by_pop
                    .entry(u.population)
                    .or_default()
                    .push(UserId::from_idx(i));
            }
        }
    }
    let children = crate::resolve::csr::Csr::from_pairs(
        t.groups.len(),
        t.nestings.iter().map(|n| (n.parent.idx(), n.child)),
    );
    let members = crate::resolve::csr::Csr::from_pairs(
        t.groups.len(),
        t.memberships.iter().map(|m| (m.group.idx(), m.user)),
    );
    scopes
        .iter()
        .map(|&s| {
            let users: Vec<UserId> = match s.kind {
                ScopeKind::Organization if t.scope_is_known(s) => t
                    .environments
                    .iter()
                    .enumerate()
                    .filter(|(e, _)| t.env_organization(EnvId::from_idx(*e)) == s.id)
                    .flat_map(|(e, _)| by_env[e].iter().copied())
                    .collect(),
                ScopeKind::Environment => t
                    .index
                    .env
                    .get(&s.id)
                    .map_or(Vec::new(), |e| by_env[e.idx()].clone()),
                ScopeKind::Population => by_pop.get(&s.id).cloned().unwrap_or_default(),
                ScopeKind::Group => match t.index.group.get(&s.id) {
                    None => Vec::new(),
                    Some(g) => {
                        let mut seen = rustc_hash::FxHashSet::default();
                        seen.insert(g);
                        let mut stack = vec![g];
                        let mut users = Vec::new();
                        while let Some(x) = stack.pop() {
                            users.extend(
                                members
                                    .row(x.idx())
                                    .iter()
                                    .copied()
                                    .filter(|u| t.users[u.idx()].is_active()),
                            );
                            for &c in children.row(x.idx()) {
                                if seen.insert(c) {
                                    stack.push(c);
                                }
                            }
                        }
                        users.sort_unstable();
                        users.dedup();
                        users
                    }
                },
                _ => Vec::new(),
            };
            (s, users)
        })
        .collect()
}
