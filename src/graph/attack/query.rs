//! `who-can`: every actor that holds or can obtain a privilege of one role over one scope, with
//! the least steps and a path. The role and scope a person typed are found by
//! [`crate::resolve::query`].

use petgraph::graph::EdgeIndex;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::search::Search;
use super::{AttackGraph, PrivId};
use crate::model::*;
use crate::resolve::Identity;

/// One answer of `who-can`: an actor, a privilege of the role it holds (steps 0) or can obtain,
/// the least steps and one least-cost path.
#[derive(Clone, Debug)]
pub struct WhoCanRow {
    pub actor: Identity,
    pub privilege: PrivId,
    pub steps: u32,
    pub path: Vec<EdgeIndex>,
}

/// Every actor that holds or can obtain a privilege of role `role_id` whose scope contains
/// `scope` (any scope with `None`). Per actor, a privilege is listed unless a different listed
/// one covers it and is reached in no more steps: the broadest scopes, plus a narrower one when
/// it is reached sooner. Rows in export order. One search per distinct held set.
pub fn who_can(g: &AttackGraph, role_id: Sym, scope: Option<ScopeRef>) -> Vec<WhoCanRow> {
    let t = g.t;
    let candidates: Vec<PrivId> = (0..g.privileges().len() as u32)
        .map(PrivId)
        .filter(|&p| {
            let pr = g.privilege(p);
            pr.role_id == role_id && scope.is_none_or(|s| t.scope_contains(pr.scope, s))
        })
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    let mut set_of: FxHashMap<&[PrivId], u32> = FxHashMap::default();
    let mut sets: Vec<&[PrivId]> = Vec::new();
    let mut actor_set: Vec<(Identity, u32)> = Vec::new();
    for (i, &id) in g.actors().iter().enumerate() {
        let held = g.held(i);
        let s = *set_of.entry(held).or_insert_with(|| {
            sets.push(held);
            (sets.len() - 1) as u32
        });
        actor_set.push((id, s));
    }
    type Found = Vec<(PrivId, u32, Vec<EdgeIndex>)>;
    let found: Vec<Found> = sets
        .par_iter()
        .map_init(
            || Search::new(g),
            |search, held| {
                search.run(g, held);
                let reached: Vec<(PrivId, u32)> = candidates
                    .iter()
                    .filter_map(|&p| search.steps(g, p).map(|d| (p, d)))
                    .collect();
                let mut out: Found = Vec::new();
                for &(p, d) in &reached {
                    let hidden = reached.iter().any(|&(q, dq)| {
                        q != p
                            && dq <= d
                            && t.scope_contains(g.privilege(q).scope, g.privilege(p).scope)
                    });
                    if hidden {
                        continue;
                    }
                    let mut path = Vec::new();
                    search.path(g, p, &mut path);
                    out.push((p, d, path));
                }
                out.sort_by_key(|x| g.rank(x.0));
                out
            },
        )
        .collect();
    let mut rows = Vec::new();
    for (actor, s) in actor_set {
        for (p, d, path) in &found[s as usize] {
            rows.push(WhoCanRow {
                actor,
                privilege: *p,
                steps: *d,
                path: path.clone(),
            });
        }
    }
    rows
}
