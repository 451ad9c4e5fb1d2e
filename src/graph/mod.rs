//! The tenant as a petgraph graph: identities, groups, roles, scopes, applications, populations
//! and environments as nodes, with typed edges.
//!
//! The resolver does not walk this graph (it works on flat per-group lists, see
//! [`crate::resolve`]); the graph is the shape of the data for whoever wants to traverse it:
//! export to Graphviz, ad-hoc queries, and the structural counts of `p1graph summary`.
//! Role assignments become `HoldsRole` edges from the subject to the role, carrying the scope;
//! application access rules become `CanAccess` edges from the groups a rule lists (or from the
//! environment for open applications); grants become `GrantedScope` edges.

pub mod attack;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::model::*;

/// A node of the tenant graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    Environment(EnvId),
    Population(PopId),
    User(UserId),
    Group(GroupId),
    Role(RoleId),
    Application(AppId),
    Gateway(GatewayId),
    Scope(ScopeId),
}

/// A typed edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// user -> group (direct membership)
    MemberOf,
    /// child group -> parent group
    NestedIn,
    /// subject (user, group, application, gateway) -> role, at the assignment's scope
    HoldsRole(AssignmentId),
    /// group -> application (listed in its group rule); environment -> application (open or
    /// admin-only application)
    CanAccess,
    /// application -> scope (grant)
    GrantedScope,
    /// entity -> the environment or population it lives in
    In,
}

/// The graph plus the node of every entity.
pub struct TenantGraph {
    pub graph: DiGraph<Node, Edge>,
    env: Vec<NodeIndex>,
    pop: Vec<NodeIndex>,
    user: Vec<NodeIndex>,
    group: Vec<NodeIndex>,
    role: Vec<NodeIndex>,
    app: Vec<NodeIndex>,
    gateway: Vec<NodeIndex>,
    scope: Vec<NodeIndex>,
}

fn add_all<T>(
    g: &mut DiGraph<Node, Edge>,
    items: &[T],
    mk: impl Fn(usize) -> Node,
) -> Vec<NodeIndex> {
    (0..items.len()).map(|i| g.add_node(mk(i))).collect()
}

impl TenantGraph {
    /// Builds the graph. O(entities + relations).
    pub fn build(t: &Tenant) -> Self {
        let nodes = t.environments.len()
            + t.populations.len()
            + t.users.len()
            + t.groups.len()
            + t.roles.len()
            + t.applications.len()
            + t.gateways.len()
            + t.scopes.len();
        let edges = t.memberships.len()
            + t.nestings.len()
            + t.assignments.len()
            + t.users.len()
            + t.groups.len();
        let mut g = DiGraph::with_capacity(nodes, edges);
        let env = add_all(&mut g, &t.environments, |i| {
            Node::Environment(EnvId::from_idx(i))
        });
        let pop = add_all(&mut g, &t.populations, |i| {
            Node::Population(PopId::from_idx(i))
        });
        let user = add_all(&mut g, &t.users, |i| Node::User(UserId::from_idx(i)));
        let group = add_all(&mut g, &t.groups, |i| Node::Group(GroupId::from_idx(i)));
        let role = add_all(&mut g, &t.roles, |i| Node::Role(RoleId::from_idx(i)));
        let app = add_all(&mut g, &t.applications, |i| {
            Node::Application(AppId::from_idx(i))
        });
        let gateway = add_all(&mut g, &t.gateways, |i| {
            Node::Gateway(GatewayId::from_idx(i))
        });
        let scope = add_all(&mut g, &t.scopes, |i| Node::Scope(ScopeId::from_idx(i)));

        for p in 0..t.populations.len() {
            g.add_edge(pop[p], env[t.populations[p].env.idx()], Edge::In);
        }
        for (i, u) in t.users.iter().enumerate() {
            let home = t
                .index
                .pop
                .get(&u.population)
                .map_or(env[u.env.idx()], |p| pop[p.idx()]);
            g.add_edge(user[i], home, Edge::In);
        }
        for (i, gr) in t.groups.iter().enumerate() {
            g.add_edge(group[i], env[gr.env.idx()], Edge::In);
        }
        for m in &t.memberships {
            g.add_edge(user[m.user.idx()], group[m.group.idx()], Edge::MemberOf);
        }
        for n in &t.nestings {
            g.add_edge(group[n.child.idx()], group[n.parent.idx()], Edge::NestedIn);
        }
        for (i, a) in t.assignments.iter().enumerate() {
            let Some(r) = a.role else { continue };
            let from = match a.subject.kind {
                SubjectKind::User => t.index.user.get(&a.subject.id).map(|x| user[x.idx()]),
                SubjectKind::Group => t.index.group.get(&a.subject.id).map(|x| group[x.idx()]),
                SubjectKind::Application => t.index.app.get(&a.subject.id).map(|x| app[x.idx()]),
                SubjectKind::Gateway => {
                    t.index.gateway.get(&a.subject.id).map(|x| gateway[x.idx()])
                }
            };
            if let Some(from) = from {
                g.add_edge(
                    from,
                    role[r.idx()],
                    Edge::HoldsRole(AssignmentId::from_idx(i)),
                );
            }
        }
        for (i, a) in t.applications.iter().enumerate() {
            g.add_edge(app[i], env[a.env.idx()], Edge::In);
            match a.access.effective_group_rule() {
                Some(rule) => {
                    for s in &rule.groups {
                        if let Some(gr) = t.index.group.get(s) {
                            g.add_edge(group[gr.idx()], app[i], Edge::CanAccess);
                        }
                    }
                }
                None => {
                    g.add_edge(env[a.env.idx()], app[i], Edge::CanAccess);
                }
            }
        }
        for gr in &t.grants {
            let Some(a) = t.index.app.get(&gr.application) else {
                continue;
            };
            for s in &gr.scopes {
                if let Some(sc) = t.index.scope.get(s) {
                    g.add_edge(app[a.idx()], scope[sc.idx()], Edge::GrantedScope);
                }
            }
        }
        TenantGraph {
            graph: g,
            env,
            pop,
            user,
            group,
            role,
            app,
            gateway,
            scope,
        }
    }

    /// The node of an entity.
    pub fn node(&self, n: Node) -> NodeIndex {
        match n {
            Node::Environment(x) => self.env[x.idx()],
            Node::Population(x) => self.pop[x.idx()],
            Node::User(x) => self.user[x.idx()],
            Node::Group(x) => self.group[x.idx()],
            Node::Role(x) => self.role[x.idx()],
            Node::Application(x) => self.app[x.idx()],
            Node::Gateway(x) => self.gateway[x.idx()],
            Node::Scope(x) => self.scope[x.idx()],
        }
    }

    /// Edge counts by kind, for the summary.
    pub fn edge_counts(&self) -> [(&'static str, usize); 6] {
        let mut c = [0usize; 6];
        for e in self.graph.edge_weights() {
            let i = match e {
                Edge::MemberOf => 0,
                Edge::NestedIn => 1,
                Edge::HoldsRole(_) => 2,
                Edge::CanAccess => 3,
                Edge::GrantedScope => 4,
                Edge::In => 5,
            };
            c[i] += 1;
        }
        [
            ("member-of", c[0]),
            ("nested-in", c[1]),
            ("holds-role-at-scope", c[2]),
            ("can-access", c[3]),
            ("granted-scope", c[4]),
            ("in", c[5]),
        ]
    }
}
