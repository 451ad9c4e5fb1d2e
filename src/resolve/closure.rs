//! Group closure (access model M1), computed once per group, never per user.
//!
//! Nesting edges point from a child group to a parent group (members of the child are members of
//! the parent). Cycles are legal, so the nesting graph is first condensed into strongly connected
//! components with petgraph's Tarjan; every group of a component has the same ancestors.
//!
//! The resolver only needs, for each group, the ancestors that *matter*: groups that hold a role
//! assignment or appear in an application's group rule ("relevant" groups). Those sets are
//! computed bottom-up over the condensation DAG, one sorted list per component.
//!
//! Complexity: Tarjan is O(G + E). The DAG pass is O(sum over components of the sizes of its
//! parents' relevant sets) time and O(sum of relevant-ancestor set sizes) space. With few
//! relevant groups (PingOne allows role assignments in at most 500 groups) this is near-linear.

use std::sync::OnceLock;

use petgraph::graph::{DiGraph, NodeIndex};
use rustc_hash::FxHashMap;

use super::csr::Csr;
use crate::model::{GroupId, Nesting};

/// The nesting graph, condensed.
pub struct GroupClosure {
    /// Component of each group.
    pub scc_of: Vec<u32>,
    /// Groups of each component, sorted.
    pub scc_members: Csr<GroupId>,
    /// Relevant ancestors of each component (its own relevant members included), sorted.
    pub relevant_anc: Csr<GroupId>,
    /// Components that are cycles: two or more groups, or one group nested in itself.
    pub cycles: Vec<u32>,
    /// Longest nesting chain, in edges, over the condensation (a cycle counts once).
    pub max_depth: u32,
    /// Child edges (parent -> children), for walking down from a target group.
    children: Csr<GroupId>,
    /// Parent edges (child -> parents), for explain.
    pub parents: Csr<GroupId>,
    /// Shortest paths down from each relevant group, computed on first use.
    down: Vec<OnceLock<DownPaths>>,
    /// Relevant group -> its slot in `down`.
    relevant_slot: FxHashMap<GroupId, u32>,
}

/// For one target group `t`: every group that reaches `t` through nesting, with the distance and
/// the next group on one shortest chain toward `t`. Sorted by group.
pub struct DownPaths {
    entries: Vec<(GroupId, u32, GroupId)>,
}

impl DownPaths {
    /// `(distance, next hop)` from `g` to the target; `None` when `g` does not reach it.
    pub fn get(&self, g: GroupId) -> Option<(u32, GroupId)> {
        self.entries
            .binary_search_by_key(&g, |e| e.0)
            .ok()
            .map(|i| (self.entries[i].1, self.entries[i].2))
    }
}

impl GroupClosure {
    /// Condenses the nesting graph of `n` groups. `relevant[g]` marks the groups whose
    /// membership the resolver asks about.
    pub fn new(n: usize, nestings: &[Nesting], relevant: &[bool]) -> Self {
        let mut g: DiGraph<(), ()> = DiGraph::with_capacity(n, nestings.len());
        for _ in 0..n {
            g.add_node(());
        }
        for e in nestings {
            g.add_edge(
                NodeIndex::new(e.child.idx()),
                NodeIndex::new(e.parent.idx()),
                (),
            );
        }
        // Tarjan returns components in reverse topological order: for an edge child -> parent,
        // the parent's component comes first. That is the order the DAG pass needs.
        let sccs = petgraph::algo::tarjan_scc(&g);
        drop(g);
        let mut scc_of = vec![0u32; n];
        let mut scc_members = Csr {
            offsets: vec![0],
            targets: Vec::with_capacity(n),
        };
        for (i, comp) in sccs.iter().enumerate() {
            let mut members: Vec<GroupId> = comp
                .iter()
                .map(|ni| GroupId::from_idx(ni.index()))
                .collect();
            members.sort();
            for m in &members {
                scc_of[m.idx()] = i as u32;
            }
            scc_members.push_row(&members);
        }
        let parents = Csr::from_pairs(n, nestings.iter().map(|e| (e.child.idx(), e.parent)));
        let children = Csr::from_pairs(n, nestings.iter().map(|e| (e.parent.idx(), e.child)));

        let n_scc = sccs.len();
        let mut relevant_anc = Csr {
            offsets: vec![0],
            targets: Vec::new(),
        };
        let mut depth = vec![0u32; n_scc];
        let mut cycles = Vec::new();
        let mut scratch: Vec<GroupId> = Vec::new();
        for s in 0..n_scc {
            scratch.clear();
            let members = scc_members.row(s);
            let mut is_cycle = members.len() > 1;
            let mut d = 0u32;
            for &m in members {
                if relevant[m.idx()] {
                    scratch.push(m);
                }
                for &p in parents.row(m.idx()) {
                    let ps = scc_of[p.idx()] as usize;
                    if ps == s {
                        is_cycle = true; // covers the self-loop
                        continue;
                    }
                    // `ps < s`: parents' components were finished earlier.
                    scratch.extend_from_slice(relevant_anc.row(ps));
                    d = d.max(depth[ps] + 1);
                }
            }
            scratch.sort_unstable();
            scratch.dedup();
            relevant_anc.push_row(&scratch);
            depth[s] = d;
            if is_cycle {
                cycles.push(s as u32);
            }
        }
        let max_depth = depth.iter().copied().max().unwrap_or(0);
        let relevant_slot: FxHashMap<GroupId, u32> = relevant
            .iter()
            .enumerate()
            .filter(|(_, r)| **r)
            .enumerate()
            .map(|(slot, (g, _))| (GroupId::from_idx(g), slot as u32))
            .collect();
        let down = (0..relevant_slot.len()).map(|_| OnceLock::new()).collect();
        GroupClosure {
            scc_of,
            scc_members,
            relevant_anc,
            cycles,
            max_depth,
            children,
            parents,
            down,
            relevant_slot,
        }
    }

    /// The relevant ancestors of group `g` (including `g` when relevant).
    #[inline]
    pub fn relevant_ancestors(&self, g: GroupId) -> &[GroupId] {
        self.relevant_anc.row(self.scc_of[g.idx()] as usize)
    }

    /// Shortest chains from any group down to relevant group `target` (breadth-first over child
    /// edges, once per target, cached). `None` when `target` is not relevant.
    pub fn down_paths(&self, target: GroupId) -> Option<&DownPaths> {
        let slot = *self.relevant_slot.get(&target)?;
        Some(self.down[slot as usize].get_or_init(|| self.bfs_down(target)))
    }

    fn bfs_down(&self, target: GroupId) -> DownPaths {
        let mut seen: FxHashMap<GroupId, (u32, GroupId)> = FxHashMap::default();
        seen.insert(target, (0, target));
        let mut frontier = vec![target];
        let mut dist = 0;
        while !frontier.is_empty() {
            dist += 1;
            let mut next = Vec::new();
            for &p in &frontier {
                for &c in self.children.row(p.idx()) {
                    if let std::collections::hash_map::Entry::Vacant(e) = seen.entry(c) {
                        e.insert((dist, p));
                        next.push(c);
                    }
                }
            }
            next.sort_unstable();
            frontier = next;
        }
        let mut entries: Vec<(GroupId, u32, GroupId)> =
            seen.into_iter().map(|(g, (d, n))| (g, d, n)).collect();
        entries.sort_unstable();
        DownPaths { entries }
    }

    /// One shortest chain from `from` up to relevant group `to`, both included; `None` when
    /// `from` does not reach `to`.
    pub fn chain(&self, from: GroupId, to: GroupId) -> Option<Vec<GroupId>> {
        let down = self.down_paths(to)?;
        let (mut d, _) = down.get(from)?;
        let mut chain = vec![from];
        let mut cur = from;
        while d > 0 {
            let (_, next) = down.get(cur)?;
            chain.push(next);
            cur = next;
            d -= 1;
        }
        Some(chain)
    }

    /// The relevant ancestors of every group in `direct`, united, sorted and deduplicated into
    /// `out`: groups(u) restricted to relevant groups, for a user whose direct groups are
    /// `direct` (M1).
    pub fn ancestors_of(&self, direct: &[GroupId], out: &mut Vec<GroupId>) {
        out.clear();
        for &d in direct {
            out.extend_from_slice(self.relevant_ancestors(d));
        }
        out.sort_unstable();
        out.dedup();
    }

    /// One shortest chain from any of `direct` up to any of `targets` (both ends included).
    /// Ties: the first target in `targets` order, then the direct group with the smallest id.
    pub fn shortest_chain_from(
        &self,
        direct: &[GroupId],
        targets: &[GroupId],
    ) -> Option<Vec<GroupId>> {
        let mut best: Option<(u32, GroupId, GroupId)> = None;
        for &g in targets {
            let here = direct
                .iter()
                .filter_map(|&d| self.distance(d, g).map(|dist| (dist, d)))
                .min();
            if let Some((dist, d)) = here
                && best.is_none_or(|b| dist < b.0)
            {
                best = Some((dist, d, g));
            }
        }
        let (_, d, g) = best?;
        self.chain(d, g)
    }

    /// Distance from `from` up to relevant group `to`.
    pub fn distance(&self, from: GroupId, to: GroupId) -> Option<u32> {
        self.down_paths(to)?.get(from).map(|(d, _)| d)
    }

    /// Every group that reaches `g` through nesting (its members are members of `g`), `g`
    /// included; sorted. A walk down the child edges, for one group a person asked about.
    pub fn descendants(&self, g: GroupId) -> Vec<GroupId> {
        let mut seen = vec![false; self.children.rows()];
        let mut stack = vec![g];
        seen[g.idx()] = true;
        let mut out = Vec::new();
        while let Some(p) = stack.pop() {
            out.push(p);
            for &c in self.children.row(p.idx()) {
                if !seen[c.idx()] {
                    seen[c.idx()] = true;
                    stack.push(c);
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Number of components.
    pub fn components(&self) -> usize {
        self.scc_members.rows()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nest(pairs: &[(u32, u32)]) -> Vec<Nesting> {
        pairs
            .iter()
            .map(|&(c, p)| Nesting {
                child: GroupId(c),
                parent: GroupId(p),
            })
            .collect()
    }

    #[test]
    fn cycles_share_ancestors_and_are_reported() {
        // 0 -> 1 -> 2 -> 0 is a cycle; 2 -> 3; 4 nested in itself.
        let e = nest(&[(0, 1), (1, 2), (2, 0), (2, 3), (4, 4)]);
        let c = GroupClosure::new(5, &e, &[true; 5]);
        for g in 0..3 {
            assert_eq!(
                c.relevant_ancestors(GroupId(g)),
                &[GroupId(0), GroupId(1), GroupId(2), GroupId(3)]
            );
        }
        assert_eq!(c.relevant_ancestors(GroupId(3)), &[GroupId(3)]);
        assert_eq!(c.cycles.len(), 2);
        assert_eq!(
            c.chain(GroupId(0), GroupId(3)),
            Some(vec![GroupId(0), GroupId(1), GroupId(2), GroupId(3)])
        );
        assert_eq!(c.distance(GroupId(3), GroupId(0)), None);
    }

    #[test]
    fn only_relevant_ancestors_are_kept() {
        let e = nest(&[(0, 1), (1, 2)]);
        let rel = [false, false, true];
        let c = GroupClosure::new(3, &e, &rel);
        assert_eq!(c.relevant_ancestors(GroupId(0)), &[GroupId(2)]);
        assert_eq!(c.max_depth, 2);
        assert!(c.down_paths(GroupId(1)).is_none());
    }
}
