//! Paths for people: the `path` column of the escalation export, and small drawings (Graphviz
//! dot, Mermaid) of a set of least-cost paths.
//!
//! A path reads from the actor to the gained privilege and names each step, e.g.
//! `user:ana -> [Identity Data Admin @ ENVIRONMENT:Prod] reset password -> user:ben -> [holds]
//! Environment Admin @ ENVIRONMENT:Prod`: the privilege the actor holds in brackets, then each
//! action with its target; a privilege reached on the way is named once, and the next action
//! uses it. The users-within nodes of the graph are an implementation device and never appear.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use petgraph::graph::{EdgeIndex, NodeIndex};

use super::{AttackEdge, AttackGraph, AttackNode, PrivId};
use crate::model::*;
use crate::resolve::Identity;

/// `Environment Admin @ ENVIRONMENT:Prod` (role name, or its id when missing or unnamed).
pub fn privilege_label(g: &AttackGraph, p: PrivId, out: &mut String) {
    out.push_str(g.privilege_text(p));
}

/// The label of any node: `user:ana`, `group:Ops`, a privilege, or `users within TYPE:NAME`.
pub fn node_label(g: &AttackGraph, n: NodeIndex, out: &mut String) {
    match g.graph[n] {
        AttackNode::Actor(id) => crate::resolve::labels::identity_label(g.t, id, out),
        AttackNode::Group(gr) => {
            let _ = write!(out, "group:{}", g.t.group_label(gr));
        }
        AttackNode::Privilege(p) => privilege_label(g, p, out),
        AttackNode::UsersWithin(s) => {
            let _ = write!(
                out,
                "users within {}:{}",
                g.t.scope_kind_str(s.kind),
                g.t.scope_name(s)
            );
        }
    }
}

/// Is this user's `mfaEnabled` true?
fn has_mfa(t: &Tenant, n: AttackNode) -> bool {
    matches!(n, AttackNode::Actor(Identity::User(u)) if t.users[u.idx()].mfa_enabled == Some(true))
}

/// Appends the readable path of `actor` along `edges` (from [`super::Search::path`]). With no
/// edges, `held` names the privilege the actor holds (steps 0): `user:ana -> [holds] ROLE @ S`.
pub fn path_text(
    g: &AttackGraph,
    actor: Identity,
    held: Option<PrivId>,
    edges: &[EdgeIndex],
    out: &mut String,
) {
    crate::resolve::labels::identity_label(g.t, actor, out);
    if edges.is_empty() {
        if let Some(p) = held {
            out.push_str(" -> [holds] ");
            privilege_label(g, p, out);
        }
        return;
    }
    let mut first = true;
    for &e in edges {
        let (a, kind, b) = g.edge(e);
        match kind {
            AttackEdge::ResetPassword | AttackEdge::AddMember | AttackEdge::AssignRole => {
                if first {
                    out.push_str(" -> [");
                    node_label(g, a, out);
                    out.push_str("] ");
                } else {
                    out.push_str(" -> ");
                }
                first = false;
                out.push_str(kind.label());
                if kind != AttackEdge::ResetPassword {
                    out.push_str(" -> ");
                    node_label(g, b, out);
                }
            }
            AttackEdge::Within => {
                if let AttackNode::Actor(_) = g.graph[b] {
                    out.push_str(" -> ");
                    node_label(g, b, out);
                    if has_mfa(g.t, g.graph[b]) {
                        out.push_str(" (target has MFA)");
                    }
                }
            }
            AttackEdge::Holds | AttackEdge::Grants => {
                out.push_str(" -> [");
                out.push_str(kind.label());
                out.push_str("] ");
                node_label(g, b, out);
            }
        }
    }
}

/// The kind of a node of a drawing, for its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Shape {
    Identity,
    Group,
    Privilege,
}

/// A small graph of least-cost paths, drawn as Graphviz dot or Mermaid. Nodes are identities,
/// groups and privileges (keyed by label, so that the output is deterministic); edges are
/// labelled `holds`, `reset password`, `add member`, `grants`, `assign role`.
#[derive(Default, Debug)]
pub struct PathDrawing {
    nodes: BTreeMap<String, Shape>,
    edges: BTreeSet<(String, String, &'static str)>,
}

impl PathDrawing {
    /// Adds the path of `actor` along `edges` (or, with no edges, its holding of `held`).
    pub fn add_path(
        &mut self,
        g: &AttackGraph,
        actor: Identity,
        held: Option<PrivId>,
        edges: &[EdgeIndex],
    ) {
        let mut s = String::new();
        crate::resolve::labels::identity_label(g.t, actor, &mut s);
        let actor_label = self.node(s, Shape::Identity);
        let start = match edges.first() {
            Some(&e) => {
                let (a, _, _) = g.edge(e);
                match g.graph[a] {
                    AttackNode::Privilege(p) => Some(p),
                    _ => None,
                }
            }
            None => held,
        };
        if let Some(p) = start {
            let pl = self.label_of(g, g.privilege_node(p));
            self.edges.insert((actor_label, pl, "holds"));
        }
        // P1 edges reach a user through users-within nodes: remember the privilege.
        let mut reset_from: Option<String> = None;
        for &e in edges {
            let (a, kind, b) = g.edge(e);
            match kind {
                AttackEdge::ResetPassword => reset_from = Some(self.label_of(g, a)),
                AttackEdge::Within => {
                    if let (AttackNode::Actor(_), Some(from)) = (g.graph[b], reset_from.take()) {
                        let to = self.label_of(g, b);
                        self.edges.insert((from, to, "reset password"));
                    } else if let AttackNode::UsersWithin(_) = g.graph[b] {
                        // organization -> environment: keep waiting for the user
                    }
                }
                _ => {
                    let (from, to) = (self.label_of(g, a), self.label_of(g, b));
                    self.edges.insert((from, to, kind.label()));
                }
            }
        }
    }

    fn node(&mut self, label: String, shape: Shape) -> String {
        self.nodes.entry(label.clone()).or_insert(shape);
        label
    }

    fn label_of(&mut self, g: &AttackGraph, n: NodeIndex) -> String {
        let mut s = String::new();
        node_label(g, n, &mut s);
        let shape = match g.graph[n] {
            AttackNode::Actor(_) => Shape::Identity,
            AttackNode::Group(_) => Shape::Group,
            _ => Shape::Privilege,
        };
        self.node(s, shape)
    }

    fn ids(&self) -> BTreeMap<&str, String> {
        self.nodes
            .keys()
            .enumerate()
            .map(|(i, k)| (k.as_str(), format!("n{i}")))
            .collect()
    }

    /// Graphviz dot.
    pub fn to_dot(&self) -> String {
        let ids = self.ids();
        let mut s = String::from(
            "digraph attack_paths {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n",
        );
        for (label, shape) in &self.nodes {
            let shape = match shape {
                Shape::Identity => "ellipse",
                Shape::Group => "box",
                Shape::Privilege => "box, style=rounded",
            };
            let _ = writeln!(
                s,
                "  {} [label=\"{}\", shape={shape}];",
                ids[label.as_str()],
                dot_escape(label)
            );
        }
        for (a, b, l) in &self.edges {
            let _ = writeln!(
                s,
                "  {} -> {} [label=\"{l}\"];",
                ids[a.as_str()],
                ids[b.as_str()]
            );
        }
        s.push_str("}\n");
        s
    }

    /// Mermaid flowchart.
    pub fn to_mermaid(&self) -> String {
        let ids = self.ids();
        let mut s = String::from("flowchart LR\n");
        for (label, shape) in &self.nodes {
            let text = mermaid_escape(label);
            let id = &ids[label.as_str()];
            let _ = match shape {
                Shape::Identity => writeln!(s, "  {id}([\"{text}\"])"),
                Shape::Group => writeln!(s, "  {id}[\"{text}\"]"),
                Shape::Privilege => writeln!(s, "  {id}(\"{text}\")"),
            };
        }
        for (a, b, l) in &self.edges {
            let _ = writeln!(s, "  {} -->|{l}| {}", ids[a.as_str()], ids[b.as_str()]);
        }
        s
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn mermaid_escape(s: &str) -> String {
    s.replace('"', "#quot;")
}
