//! Attack paths: "who can become what" (`../shared/design/attack-paths.md`).
//!
//! An identity's roles let it act on other identities, groups and role assignments: reset a
//! user's password and sign in as that user (P1), add an account it controls to a group (P2),
//! assign a role (P3). This module builds that as a petgraph graph ([`AttackGraph`]) whose nodes
//! are actors, groups and privileges (role, scope type, scope id) and whose edges are the
//! contract's `holds`, `grants` (cost 0) and the three capabilities (cost 1), then finds, for
//! every actor, the privileges it can obtain and the least number of escalation steps with a 0-1
//! breadth-first search ([`search`]).
//!
//! Why the graph stays linear in the tenant: a P1 privilege does not get one edge per user of its
//! scope. Each distinct target scope gets one [`AttackNode::UsersWithin`] node; the privilege
//! points to it (cost 1) and it points (cost 0) to the users within that scope, and only to the
//! enabled users that hold at least one privilege: taking over a user that holds nothing gains
//! nothing; and of the users that hold the same set of privileges only the first (by dense id),
//! since they are interchangeable targets. An organization's node points to its environments'
//! nodes rather than to their users. Groups appear only when a P2 privilege targets them and they
//! grant something; privileges only when someone holds them, a group grants them, or P3 can
//! create them. (The OpenGraph exporter lists every P1 target user of a scope itself, in one pass
//! over the users: `crate::report::opengraph`.)
//!
//! Build: O(identities · roles per identity + groups + the scopes each capable privilege
//! contains); the graph has O(privilege holders + groups + privileges + capability targets)
//! nodes and edges. One search is O(nodes + edges) of the reachable part; actors that hold the
//! same privileges share one search (see [`Escalations`]).

pub mod capability;
pub mod edges;
pub mod query;
pub mod render;
pub mod search;

#[cfg(test)]
mod naive;
#[cfg(test)]
mod tests;

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use self::capability::{Delegation, RoleCaps, ScopeTree, strict_containers};
use crate::model::*;
use crate::resolve::csr::Csr;
use crate::resolve::{Access, Identity, Resolver};

pub use crate::resolve::query::{find_role, find_scope};
pub use query::{WhoCanRow, who_can};
pub use search::{Escalation, Escalations, Gain, Gained, Search, gains_of};

/// A privilege: one ROLE entitlement (role id, scope type, scope id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Privilege {
    pub role_id: Sym,
    /// The role when it is in the snapshot (a missing role has no permissions).
    pub role: Option<RoleId>,
    pub scope: ScopeRef,
}

/// The dense id of a privilege node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrivId(pub u32);

impl PrivId {
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

/// A node of the attack graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttackNode {
    /// An actor (enabled user, application or gateway) that holds at least one privilege: the
    /// start of searches, and a P1 target when it is a user.
    Actor(Identity),
    /// A group some P2 privilege can add members to.
    Group(GroupId),
    Privilege(PrivId),
    /// "The users within scope S" (P1's target set): points to the enabled users within S that
    /// hold a privilege, or, for an organization, to its environments' nodes.
    UsersWithin(ScopeRef),
}

/// An edge of the attack graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttackEdge {
    /// actor -> privilege it holds (M2, M3).
    Holds,
    /// group -> privilege a member obtains through it (its own and its ancestors' assignments).
    Grants,
    /// users-within node -> user, or organization's node -> environment's node.
    Within,
    /// P1: privilege -> users-within node of its scope.
    ResetPassword,
    /// P2: privilege -> group.
    AddMember,
    /// P3: privilege -> privilege.
    AssignRole,
}

impl AttackEdge {
    /// The contract's cost: 1 for an escalation step, 0 otherwise.
    #[inline]
    pub fn cost(self) -> u32 {
        match self {
            AttackEdge::ResetPassword | AttackEdge::AddMember | AttackEdge::AssignRole => 1,
            _ => 0,
        }
    }

    /// The label of the edge in paths and drawings.
    pub fn label(self) -> &'static str {
        match self {
            AttackEdge::Holds => "holds",
            AttackEdge::Grants => "grants",
            AttackEdge::Within => "within",
            AttackEdge::ResetPassword => "reset password",
            AttackEdge::AddMember => "add member",
            AttackEdge::AssignRole => "assign role",
        }
    }
}

/// The attack graph of one tenant.
pub struct AttackGraph<'t> {
    pub t: &'t Tenant,
    pub graph: DiGraph<AttackNode, AttackEdge>,
    privileges: Vec<Privilege>,
    priv_node: Vec<NodeIndex>,
    priv_index: FxHashMap<(Sym, ScopeRef), PrivId>,
    /// Actors in export order (identity type, then id).
    actors: Vec<Identity>,
    actor_node: FxHashMap<Identity, NodeIndex>,
    /// Actor -> its position in `actors`.
    actor_index: FxHashMap<Identity, u32>,
    /// Held privileges of each actor, parallel to `actors`, in the resolver's order.
    held: Csr<PrivId>,
    /// For each privilege: the other privileges of the same role whose scope contains its scope.
    covered_by: Csr<PrivId>,
    /// Does the privilege have a capability edge (an outgoing cost-1 edge)?
    capable: Vec<bool>,
    /// Each privilege's label (`Role @ TYPE:Scope`), made once on first use: paths name the
    /// same few privileges millions of times.
    labels: std::sync::OnceLock<Vec<String>>,
    /// Each privilege's position in the export order (role id, scope type, scope id).
    rank: Vec<u32>,
}

/// Scratch state of the build.
struct Builder<'r, 't> {
    r: &'r Resolver<'t>,
    t: &'t Tenant,
    g: DiGraph<AttackNode, AttackEdge>,
    privileges: Vec<Privilege>,
    priv_node: Vec<NodeIndex>,
    priv_index: FxHashMap<(Sym, ScopeRef), PrivId>,
    actor_node: FxHashMap<Identity, NodeIndex>,
    /// Enabled, privilege-holding user -> (its node, the id of its distinct held set).
    user_node: FxHashMap<UserId, (NodeIndex, u32)>,
    group_node: FxHashMap<GroupId, Option<NodeIndex>>,
    within_node: FxHashMap<ScopeRef, Option<NodeIndex>>,
    /// Users that hold a privilege and are enabled, by environment, by population (dense id),
    /// and by direct group.
    holders_by_env: Csr<UserId>,
    holders_by_pop: Csr<UserId>,
    holders_by_group: Csr<UserId>,
    children: Csr<GroupId>,
    tree: ScopeTree,
    delegation: Delegation,
    caps: Vec<RoleCaps>,
}

/// Is this identity an actor (model section 1): an enabled, unlocked user, or an application or
/// gateway whose `enabled` is true?
pub fn is_actor(t: &Tenant, id: Identity) -> bool {
    match id {
        Identity::User(u) => t.users[u.idx()].is_active(),
        Identity::Application(a) => t.applications[a.idx()].enabled,
        Identity::Gateway(g) => t.gateways[g.idx()].enabled,
    }
}

type Held = Vec<(Identity, Vec<(Sym, Option<RoleId>, ScopeRef)>)>;

impl<'t> AttackGraph<'t> {
    /// Builds the attack graph: every actor's held privileges (through the resolver, M1-M3),
    /// then the capabilities of every privilege, including the privileges that P2 and P3 make
    /// reachable, until no new privilege appears.
    pub fn build(r: &Resolver<'t>) -> AttackGraph<'t> {
        let t = r.t;
        let ids = r.identities_in_order();
        // Held privileges of every actor, resolved in parallel; most users hold nothing.
        let held: Held = ids
            .par_chunks(4096)
            .map_init(Access::default, |access, chunk| {
                let mut out = Vec::new();
                for &id in chunk {
                    if !is_actor(t, id) {
                        continue;
                    }
                    r.resolve_roles(id, access);
                    if access.roles.is_empty() {
                        continue;
                    }
                    out.push((
                        id,
                        access
                            .roles
                            .iter()
                            .map(|e| (e.role_id, e.role, e.scope))
                            .collect(),
                    ));
                }
                out
            })
            .flatten()
            .collect();

        let n_groups = t.groups.len();
        let mut env_pairs = Vec::new();
        let mut pop_pairs = Vec::new();
        let mut group_pairs = Vec::new();
        for (id, _) in &held {
            if let Identity::User(u) = *id {
                let user = &t.users[u.idx()];
                env_pairs.push((user.env.idx(), u));
                if let Some(p) = t.index.pop.get(&user.population) {
                    pop_pairs.push((p.idx(), u));
                }
                for &g in r.direct_groups(u) {
                    group_pairs.push((g.idx(), u));
                }
            }
        }
        let mut b = Builder {
            r,
            t,
            g: DiGraph::new(),
            privileges: Vec::new(),
            priv_node: Vec::new(),
            priv_index: FxHashMap::default(),
            actor_node: FxHashMap::default(),
            user_node: FxHashMap::default(),
            group_node: FxHashMap::default(),
            within_node: FxHashMap::default(),
            holders_by_env: Csr::from_pairs(t.environments.len(), env_pairs.into_iter()),
            holders_by_pop: Csr::from_pairs(t.populations.len(), pop_pairs.into_iter()),
            holders_by_group: Csr::from_pairs(n_groups, group_pairs.into_iter()),
            children: Csr::from_pairs(
                n_groups,
                t.nestings.iter().map(|n| (n.parent.idx(), n.child)),
            ),
            tree: ScopeTree::new(t),
            delegation: Delegation::new(t),
            caps: (0..t.roles.len())
                .map(|i| RoleCaps::of(t, Some(RoleId::from_idx(i))))
                .collect(),
        };

        let mut actors = Vec::with_capacity(held.len());
        let mut held_csr = Csr {
            offsets: vec![0],
            targets: Vec::new(),
        };
        let mut row = Vec::new();
        let mut set_ids: FxHashMap<Vec<PrivId>, u32> = FxHashMap::default();
        for (id, privs) in held {
            let node = b.g.add_node(AttackNode::Actor(id));
            b.actor_node.insert(id, node);
            row.clear();
            for (role_id, role, scope) in privs {
                let p = b.privilege(role_id, role, scope);
                b.g.add_edge(node, b.priv_node[p.idx()], AttackEdge::Holds);
                row.push(p);
            }
            if let Identity::User(u) = id {
                let next = set_ids.len() as u32;
                let set = *set_ids.entry(row.clone()).or_insert(next);
                b.user_node.insert(u, (node, set));
            }
            held_csr.push_row(&row);
            actors.push(id);
        }

        // Capabilities, over a growing list: P2 and P3 add privileges that may have their own.
        let mut capable = Vec::new();
        let mut i = 0;
        while i < b.privileges.len() {
            capable.push(b.expand(PrivId(i as u32)));
            i += 1;
        }

        let mut covered_by = Csr {
            offsets: vec![0],
            targets: Vec::new(),
        };
        let mut containers = Vec::new();
        let mut cov = Vec::new();
        for p in &b.privileges {
            containers.clear();
            cov.clear();
            strict_containers(t, p.scope, &mut containers);
            for &c in &containers {
                if let Some(&q) = b.priv_index.get(&(p.role_id, c)) {
                    cov.push(q);
                }
            }
            covered_by.push_row(&cov);
        }

        let mut order: Vec<u32> = (0..b.privileges.len() as u32).collect();
        order.sort_by(|&x, &y| {
            let (a, c) = (&b.privileges[x as usize], &b.privileges[y as usize]);
            (
                t.s(a.role_id).as_bytes(),
                t.scope_kind_str(a.scope.kind).as_bytes(),
                t.s(a.scope.id).as_bytes(),
            )
                .cmp(&(
                    t.s(c.role_id).as_bytes(),
                    t.scope_kind_str(c.scope.kind).as_bytes(),
                    t.s(c.scope.id).as_bytes(),
                ))
        });
        let mut rank = vec![0u32; order.len()];
        for (pos, &p) in order.iter().enumerate() {
            rank[p as usize] = pos as u32;
        }

        let actor_index = actors
            .iter()
            .enumerate()
            .map(|(i, &a)| (a, i as u32))
            .collect();
        AttackGraph {
            t,
            graph: b.g,
            privileges: b.privileges,
            priv_node: b.priv_node,
            priv_index: b.priv_index,
            actors,
            actor_index,
            actor_node: b.actor_node,
            held: held_csr,
            covered_by,
            capable,
            rank,
            labels: std::sync::OnceLock::new(),
        }
    }

    /// The label of privilege `p`: `Environment Admin @ ENVIRONMENT:Prod` (role name, or its id
    /// when missing or unnamed). All labels are made on the first call, in parallel.
    pub fn privilege_text(&self, p: PrivId) -> &str {
        let labels = self.labels.get_or_init(|| {
            let t = self.t;
            self.privileges
                .par_iter()
                .map(|pr| {
                    let name = pr
                        .role
                        .map(|r| t.roles[r.idx()].name)
                        .filter(|n| !n.is_empty())
                        .unwrap_or(pr.role_id);
                    format!(
                        "{} @ {}:{}",
                        t.s(name),
                        t.scope_kind_str(pr.scope.kind),
                        t.scope_name(pr.scope)
                    )
                })
                .collect()
        });
        &labels[p.idx()]
    }

    /// Every privilege node, by [`PrivId`].
    pub fn privileges(&self) -> &[Privilege] {
        &self.privileges
    }

    pub fn privilege(&self, p: PrivId) -> &Privilege {
        &self.privileges[p.idx()]
    }

    /// The privilege node of (role id, scope), when the graph has one.
    pub fn privilege_id(&self, role_id: Sym, scope: ScopeRef) -> Option<PrivId> {
        self.priv_index.get(&(role_id, scope)).copied()
    }

    /// The graph node of a privilege.
    pub fn privilege_node(&self, p: PrivId) -> NodeIndex {
        self.priv_node[p.idx()]
    }

    /// The graph node of an actor (`None` when it is not an actor or holds nothing).
    pub fn actor_node(&self, id: Identity) -> Option<NodeIndex> {
        self.actor_node.get(&id).copied()
    }

    /// Actors that hold at least one privilege, in export order.
    pub fn actors(&self) -> &[Identity] {
        &self.actors
    }

    /// The privileges actor number `i` (in [`Self::actors`]) holds.
    pub fn held(&self, i: usize) -> &[PrivId] {
        self.held.row(i)
    }

    /// The privileges of an identity (empty when it is no actor or holds nothing).
    pub fn held_by(&self, id: Identity) -> &[PrivId] {
        self.actor_index
            .get(&id)
            .map_or(&[], |&i| self.held.row(i as usize))
    }

    /// Does privilege `p` have at least one capability (P1, P2 or P3 edge)?
    pub fn is_capable(&self, p: PrivId) -> bool {
        self.capable[p.idx()]
    }

    /// The other privileges of the same role whose scope contains `p`'s scope.
    pub fn covered_by(&self, p: PrivId) -> &[PrivId] {
        self.covered_by.row(p.idx())
    }

    /// `p`'s position in the export order (role id, scope type, scope id as UTF-8 bytes).
    pub fn rank(&self, p: PrivId) -> u32 {
        self.rank[p.idx()]
    }

    /// The capability edges (P1, P2, P3) of the graph: (from, kind, to) with node weights, in
    /// edge order. P1 edges end at a [`AttackNode::UsersWithin`] node, whose `Within` edges lead
    /// to one user per distinct held set. For exporters (OpenGraph, Graphviz).
    pub fn capability_edges(
        &self,
    ) -> impl Iterator<Item = (NodeIndex, AttackEdge, NodeIndex)> + '_ {
        self.graph.edge_indices().filter_map(move |e| {
            let w = self.graph[e];
            let (a, b) = self.graph.edge_endpoints(e)?;
            (w.cost() == 1).then_some((a, w, b))
        })
    }

    /// The endpoints and kind of an edge.
    pub fn edge(&self, e: EdgeIndex) -> (NodeIndex, AttackEdge, NodeIndex) {
        let (a, b) = self
            .graph
            .edge_endpoints(e)
            .unwrap_or((NodeIndex::end(), NodeIndex::end()));
        (a, self.graph[e], b)
    }
}

impl<'r, 't> Builder<'r, 't> {
    /// The privilege node of (role, scope), created on first use.
    fn privilege(&mut self, role_id: Sym, role: Option<RoleId>, scope: ScopeRef) -> PrivId {
        if let Some(&p) = self.priv_index.get(&(role_id, scope)) {
            return p;
        }
        let p = PrivId(self.privileges.len() as u32);
        self.privileges.push(Privilege {
            role_id,
            role,
            scope,
        });
        self.priv_node
            .push(self.g.add_node(AttackNode::Privilege(p)));
        self.priv_index.insert((role_id, scope), p);
        p
    }

    /// Adds the capability edges of privilege `p`; true when it has at least one.
    fn expand(&mut self, p: PrivId) -> bool {
        let t = self.t;
        let Privilege {
            role_id,
            role,
            scope,
        } = self.privileges[p.idx()];
        let from = self.priv_node[p.idx()];
        let caps = role.map_or(RoleCaps::default(), |r| self.caps[r.idx()]);
        let mut any = false;
        if caps.reset_password
            && let Some(w) = self.users_within(scope)
        {
            self.g.add_edge(from, w, AttackEdge::ResetPassword);
            any = true;
        }
        if caps.add_member {
            let mut groups = Vec::new();
            self.tree.groups_within(t, scope, &mut groups);
            for g in groups {
                if let Some(gn) = self.group(g) {
                    self.g.add_edge(from, gn, AttackEdge::AddMember);
                    any = true;
                }
            }
        }
        let assignable = self.delegation.assignable(role_id).to_vec();
        let mut scopes = Vec::new();
        for r2 in assignable {
            scopes.clear();
            let role2 = &t.roles[r2.idx()];
            self.tree
                .maximal_scopes(t, scope, &role2.applicable_to, &mut scopes);
            let id2 = role2.id;
            for &s2 in &scopes {
                let q = self.privilege(id2, Some(r2), s2);
                if q != p {
                    let to = self.priv_node[q.idx()];
                    self.g.add_edge(from, to, AttackEdge::AssignRole);
                    any = true;
                }
            }
        }
        any
    }

    /// The group node of `g`, created with its `grants` edges on first use: the assignments of
    /// `g` and of every ancestor (M1), as privileges. `None` for a group that grants nothing:
    /// adding a member to it gains nothing, and most groups of a large tenant are such groups.
    fn group(&mut self, g: GroupId) -> Option<NodeIndex> {
        if let Some(&n) = self.group_node.get(&g) {
            return n;
        }
        let t = self.t;
        let r = self.r;
        let mut privs: Vec<(Sym, Option<RoleId>, ScopeRef)> = Vec::new();
        for &anc in r.closure.relevant_ancestors(g) {
            for &aid in r.group_assign.row(anc.idx()) {
                let a = &t.assignments[aid.idx()];
                privs.push((a.role_id, a.role, a.scope));
            }
        }
        if privs.is_empty() {
            self.group_node.insert(g, None);
            return None;
        }
        let n = self.g.add_node(AttackNode::Group(g));
        self.group_node.insert(g, Some(n));
        // A stable order by assignment key, then one edge per distinct privilege.
        privs.sort_by(|x, y| {
            (t.s(x.0), t.scope_kind_str(x.2.kind), t.s(x.2.id)).cmp(&(
                t.s(y.0),
                t.scope_kind_str(y.2.kind),
                t.s(y.2.id),
            ))
        });
        privs.dedup_by(|x, y| x.0 == y.0 && x.2 == y.2);
        for (role_id, role, scope) in privs {
            let p = self.privilege(role_id, role, scope);
            self.g
                .add_edge(n, self.priv_node[p.idx()], AttackEdge::Grants);
        }
        Some(n)
    }

    /// The users-within node of scope `s` (P1's targets), created on first use; `None` for a
    /// scope with no users within it by definition (APPLICATION, unknown type, missing target).
    fn users_within(&mut self, s: ScopeRef) -> Option<NodeIndex> {
        if let Some(&n) = self.within_node.get(&s) {
            return n;
        }
        let t = self.t;
        let node = match s.kind {
            ScopeKind::Organization if t.scope_is_known(s) => {
                let n = self.g.add_node(AttackNode::UsersWithin(s));
                let envs: Vec<EnvId> = self.tree.envs_of(s.id).collect();
                for e in envs {
                    let es = ScopeRef {
                        kind: ScopeKind::Environment,
                        id: t.environments[e.idx()].id,
                    };
                    if let Some(en) = self.users_within(es) {
                        self.g.add_edge(n, en, AttackEdge::Within);
                    }
                }
                Some(n)
            }
            ScopeKind::Environment => t.index.env.get(&s.id).map(|&e| {
                let users = self.holders_by_env.row(e.idx()).to_vec();
                self.within_users(s, &users)
            }),
            ScopeKind::Population => t.index.pop.get(&s.id).map(|&p| {
                let users = self.holders_by_pop.row(p.idx()).to_vec();
                self.within_users(s, &users)
            }),
            ScopeKind::Group => t.index.group.get(&s.id).map(|g| {
                let users = self.group_users(g);
                self.within_users(s, &users)
            }),
            _ => None,
        };
        self.within_node.insert(s, node);
        node
    }

    /// A users-within node with an edge to each of `users` (sorted by dense id) that holds a
    /// different set of privileges: users holding the same set are interchangeable targets (the
    /// same privileges at the same cost), so the first one stands for the others. This keeps
    /// searches proportional to the distinct sets within a scope, not to its users.
    fn within_users(&mut self, s: ScopeRef, users: &[UserId]) -> NodeIndex {
        let n = self.g.add_node(AttackNode::UsersWithin(s));
        let mut seen: rustc_hash::FxHashSet<u32> = rustc_hash::FxHashSet::default();
        for &u in users {
            let Some(&(un, set)) = self.user_node.get(&u) else {
                continue;
            };
            if seen.insert(set) {
                self.g.add_edge(n, un, AttackEdge::Within);
            }
        }
        n
    }

    /// The privilege-holding users `u` with `g` in groups(u): direct members of `g` or of any
    /// group nested under it, walking nesting children once (cycles included). Sorted.
    fn group_users(&self, g: GroupId) -> Vec<UserId> {
        let mut seen = rustc_hash::FxHashSet::default();
        seen.insert(g);
        let mut stack = vec![g];
        let mut users = Vec::new();
        while let Some(x) = stack.pop() {
            users.extend_from_slice(self.holders_by_group.row(x.idx()));
            for &c in self.children.row(x.idx()) {
                if seen.insert(c) {
                    stack.push(c);
                }
            }
        }
        users.sort_unstable();
        users.dedup();
        users
    }
}
