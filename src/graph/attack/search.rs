//! The search: 0-1 breadth-first search over the attack graph, and the escalation export's rows.
//!
//! Every edge costs 0 or 1 (section 3), so a deque replaces Dijkstra's heap: a node reached over
//! a 0-edge goes to the front, over a 1-edge to the back, and nodes leave the deque in order of
//! distance. O(V + E) of the reachable part per search, O(V) scratch reused across searches
//! (only the nodes a search touched are reset).
//!
//! [`Escalations::compute`] groups actors by the set of privileges they hold (many users share
//! one through the same groups) and runs one multi-source search per distinct set that has a
//! capability, in parallel with one [`Search`] per worker. Then section 4's filter keeps the
//! *gained* privileges: reached in at least one step and not covered by a different reached
//! privilege (held ones are reached at distance 0, so "not covered by a held privilege" is part
//! of the same test).

use std::collections::VecDeque;

use petgraph::graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::{AttackGraph, AttackNode, PrivId};
use crate::resolve::Identity;

const UNREACHED: u32 = u32::MAX;
const NO_EDGE: u32 = u32::MAX;

/// Reusable state of one 0-1 search: distance and predecessor edge of every node.
pub struct Search {
    dist: Vec<u32>,
    pred: Vec<u32>,
    touched: Vec<u32>,
    deque: VecDeque<u32>,
}

impl Search {
    /// Scratch for searches over `g`. O(nodes) space.
    pub fn new(g: &AttackGraph) -> Search {
        let n = g.graph.node_count();
        Search {
            dist: vec![UNREACHED; n],
            pred: vec![NO_EDGE; n],
            touched: Vec::new(),
            deque: VecDeque::new(),
        }
    }

    /// Least steps from any of `sources` (held privileges, distance 0) to every node.
    pub fn run(&mut self, g: &AttackGraph, sources: &[PrivId]) {
        for &n in &self.touched {
            self.dist[n as usize] = UNREACHED;
            self.pred[n as usize] = NO_EDGE;
        }
        self.touched.clear();
        self.deque.clear();
        for &s in sources {
            let n = g.privilege_node(s).index();
            if self.dist[n] != 0 {
                self.dist[n] = 0;
                self.touched.push(n as u32);
                self.deque.push_back(n as u32);
            }
        }
        while let Some(n) = self.deque.pop_front() {
            let d = self.dist[n as usize];
            for e in g.graph.edges(NodeIndex::new(n as usize)) {
                let w = e.weight().cost();
                let m = e.target().index();
                let nd = d + w;
                if nd < self.dist[m] {
                    if self.dist[m] == UNREACHED {
                        self.touched.push(m as u32);
                    }
                    self.dist[m] = nd;
                    self.pred[m] = e.id().index() as u32;
                    if w == 0 {
                        self.deque.push_front(m as u32);
                    } else {
                        self.deque.push_back(m as u32);
                    }
                }
            }
        }
    }

    /// The least steps to privilege `p` from the last run's sources; `None` when unreachable.
    pub fn steps(&self, g: &AttackGraph, p: PrivId) -> Option<u32> {
        let d = self.dist[g.privilege_node(p).index()];
        (d != UNREACHED).then_some(d)
    }

    /// Every privilege the last run reached (held ones included), in no particular order.
    pub fn reached<'a>(&'a self, g: &'a AttackGraph) -> impl Iterator<Item = (PrivId, u32)> + 'a {
        self.touched
            .iter()
            .filter_map(move |&n| match g.graph[NodeIndex::new(n as usize)] {
                AttackNode::Privilege(p) => Some((p, self.dist[n as usize])),
                _ => None,
            })
    }

    /// One least-cost path to `p`: the edges from a source privilege to `p`, in order. Empty for
    /// a source or an unreached privilege.
    pub fn path(&self, g: &AttackGraph, p: PrivId, out: &mut Vec<EdgeIndex>) {
        let start = out.len();
        let mut n = g.privilege_node(p).index();
        while self.pred[n] != NO_EDGE {
            let e = EdgeIndex::new(self.pred[n] as usize);
            out.push(e);
            match g.graph.edge_endpoints(e) {
                Some((a, _)) => n = a.index(),
                None => break,
            }
        }
        out[start..].reverse();
    }

    /// Section 4's filter on the last run: the gained privileges (reached in at least one step,
    /// not covered by a different reached privilege), sorted in export order.
    pub fn gained(&self, g: &AttackGraph, out: &mut Vec<PrivId>) {
        out.clear();
        for (p, d) in self.reached(g) {
            if d == 0 {
                continue;
            }
            if g.covered_by(p).iter().any(|&q| self.steps(g, q).is_some()) {
                continue;
            }
            out.push(p);
        }
        out.sort_unstable_by_key(|&p| g.rank(p));
    }
}

/// One gained privilege of a set of held privileges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gain {
    pub privilege: PrivId,
    pub steps: u32,
    /// Into [`Escalations`]' edge list.
    path: std::ops::Range<u32>,
}

/// One row of the escalation export: an actor, a gained privilege, the least steps and one
/// least-cost path (the graph's edges from the held privilege it starts at).
#[derive(Clone, Copy, Debug)]
pub struct Escalation<'a> {
    pub actor: Identity,
    pub privilege: PrivId,
    pub steps: u32,
    pub path: &'a [EdgeIndex],
}

/// What every actor gains (section 4), computed once.
pub struct Escalations {
    /// Gains of each distinct held set, in export order of the privilege.
    gains: Vec<Vec<Gain>>,
    edges: Vec<Vec<EdgeIndex>>,
    /// Actors that gain something, in export order, with their set.
    actors: Vec<(Identity, u32)>,
}

impl Escalations {
    /// Searches from every actor that holds a capable privilege; one search per distinct held
    /// set, in parallel. O(sets · reachable graph) time, O(threads · nodes) scratch.
    pub fn compute(g: &AttackGraph) -> Escalations {
        let mut set_of: FxHashMap<&[PrivId], u32> = FxHashMap::default();
        let mut sets: Vec<&[PrivId]> = Vec::new();
        let mut actor_set: Vec<(Identity, u32)> = Vec::new();
        for (i, &id) in g.actors().iter().enumerate() {
            let held = g.held(i);
            if !held.iter().any(|&p| g.is_capable(p)) {
                continue;
            }
            let s = *set_of.entry(held).or_insert_with(|| {
                sets.push(held);
                (sets.len() - 1) as u32
            });
            actor_set.push((id, s));
        }
        let results: Vec<(Vec<Gain>, Vec<EdgeIndex>)> = sets
            .par_iter()
            .map_init(
                || (Search::new(g), Vec::new()),
                |(search, gained), held| {
                    search.run(g, held);
                    search.gained(g, gained);
                    let mut edges = Vec::new();
                    let gains = gained
                        .iter()
                        .map(|&p| {
                            let start = edges.len() as u32;
                            search.path(g, p, &mut edges);
                            Gain {
                                privilege: p,
                                steps: search.steps(g, p).unwrap_or(0),
                                path: start..edges.len() as u32,
                            }
                        })
                        .collect();
                    (gains, edges)
                },
            )
            .collect();
        let (gains, edges): (Vec<_>, Vec<_>) = results.into_iter().unzip();
        actor_set.retain(|&(_, s)| !gains[s as usize].is_empty());
        Escalations {
            gains,
            edges,
            actors: actor_set,
        }
    }

    /// Actors that gain at least one privilege, in export order.
    pub fn actors(&self) -> impl Iterator<Item = Identity> + '_ {
        self.actors.iter().map(|a| a.0)
    }

    /// Number of rows of the export.
    pub fn len(&self) -> usize {
        self.actors
            .iter()
            .map(|&(_, s)| self.gains[s as usize].len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.actors.is_empty()
    }

    /// The rows of one actor, in export order.
    pub fn of(&self, id: Identity) -> impl Iterator<Item = Escalation<'_>> + '_ {
        self.actors
            .iter()
            .filter(move |a| a.0 == id)
            .flat_map(move |&(a, s)| self.rows_of(a, s))
    }

    fn rows_of(&self, actor: Identity, s: u32) -> impl Iterator<Item = Escalation<'_>> + '_ {
        let edges = &self.edges[s as usize];
        self.gains[s as usize].iter().map(move |gn| Escalation {
            actor,
            privilege: gn.privilege,
            steps: gn.steps,
            path: &edges[gn.path.start as usize..gn.path.end as usize],
        })
    }

    /// Every row, in export order: (identity type, identity id, role id, scope type, scope id).
    pub fn rows(&self) -> impl Iterator<Item = Escalation<'_>> + '_ {
        self.actors
            .iter()
            .flat_map(move |&(a, s)| self.rows_of(a, s))
    }
}

/// One gained privilege of one actor, with its own path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gained {
    pub privilege: PrivId,
    pub steps: u32,
    pub path: Vec<EdgeIndex>,
}

/// What one identity gains (section 4), in export order: one search. Empty for an identity that
/// is no actor or holds nothing.
pub fn gains_of(g: &AttackGraph, id: Identity) -> Vec<Gained> {
    let held = g.held_by(id);
    if held.is_empty() {
        return Vec::new();
    }
    let mut search = Search::new(g);
    search.run(g, held);
    let mut gained = Vec::new();
    search.gained(g, &mut gained);
    gained
        .into_iter()
        .map(|p| {
            let mut path = Vec::new();
            search.path(g, p, &mut path);
            Gained {
                privilege: p,
                steps: search.steps(g, p).unwrap_or(0),
                path,
            }
        })
        .collect()
}
