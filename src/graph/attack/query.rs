//! `who-can`: every actor that holds or can obtain a privilege of one role over one scope, with
//! the least steps and a path; and the lookups of the role and scope a person typed.

use petgraph::graph::EdgeIndex;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::search::Search;
use super::{AttackGraph, PrivId};
use crate::model::*;
use crate::resolve::Identity;

/// Errors of attack-path queries (a role or scope that cannot be found).
#[derive(Debug, thiserror::Error)]
pub enum AttackQueryError {
    #[error("no role matches `{query}`")]
    NoRole { query: String, close: Vec<String> },
    #[error("`{query}` matches {count} roles: {examples}")]
    AmbiguousRole {
        query: String,
        count: usize,
        examples: String,
    },
    #[error("no scope matches `{query}`")]
    NoScope { query: String, close: Vec<String> },
    #[error("`{query}` matches {count} scopes: {examples}")]
    AmbiguousScope {
        query: String,
        count: usize,
        examples: String,
    },
}

impl AttackQueryError {
    /// Advice for the help line: the closest names.
    pub fn help(&self) -> Option<String> {
        match self {
            AttackQueryError::NoRole { close, .. } | AttackQueryError::NoScope { close, .. } => {
                if close.is_empty() {
                    None
                } else {
                    Some(format!("close matches: {}", close.join(", ")))
                }
            }
            _ => Some("pass an id".into()),
        }
    }
}

/// Edit distance (Levenshtein), case-insensitive, for "close matches".
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Up to five candidates close to `query`: containing it, or within a third of its length in
/// edit distance; closest first.
fn close_matches<'a>(query: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    let q = query.to_lowercase();
    let limit = (query.chars().count() / 3).max(2);
    let mut hits: Vec<(usize, String)> = candidates
        .filter(|c| !c.is_empty())
        .filter_map(|c| {
            let d = distance(query, c);
            (d <= limit || c.to_lowercase().contains(&q)).then(|| (d, c.to_string()))
        })
        .collect();
    hits.sort();
    hits.dedup();
    hits.into_iter().take(5).map(|h| h.1).collect()
}

/// A role by id (also one only assignments name) or by name, case-insensitively. Returns the
/// role id.
pub fn find_role(t: &Tenant, query: &str) -> Result<Sym, AttackQueryError> {
    if let Some(sym) = t.strings.get(query)
        && (t.index.role.contains_key(&sym) || t.assignments.iter().any(|a| a.role_id == sym))
    {
        return Ok(sym);
    }
    let hits: Vec<&Role> = t
        .roles
        .iter()
        .filter(|r| t.s(r.name).eq_ignore_ascii_case(query))
        .collect();
    match hits.len() {
        1 => Ok(hits[0].id),
        0 => Err(AttackQueryError::NoRole {
            query: query.to_string(),
            close: close_matches(query, t.roles.iter().map(|r| t.s(r.name))),
        }),
        n => Err(AttackQueryError::AmbiguousRole {
            query: query.to_string(),
            count: n,
            examples: hits
                .iter()
                .map(|r| {
                    format!(
                        "{} ({})",
                        t.s(r.id),
                        if r.builtin { "built-in" } else { "custom" }
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Every scope target of the snapshot: (scope, name).
fn all_scopes(t: &Tenant) -> Vec<(ScopeRef, Sym)> {
    let mut v = vec![(
        ScopeRef {
            kind: ScopeKind::Organization,
            id: t.organization.id,
        },
        t.organization.name,
    )];
    let mk = |kind, id| ScopeRef { kind, id };
    v.extend(
        t.environments
            .iter()
            .map(|e| (mk(ScopeKind::Environment, e.id), e.name)),
    );
    v.extend(
        t.populations
            .iter()
            .map(|e| (mk(ScopeKind::Population, e.id), e.name)),
    );
    v.extend(
        t.groups
            .iter()
            .map(|e| (mk(ScopeKind::Group, e.id), e.name)),
    );
    v.extend(
        t.applications
            .iter()
            .map(|e| (mk(ScopeKind::Application, e.id), e.name)),
    );
    v
}

/// A scope as `TYPE:ID`, `TYPE:NAME`, or a bare id or name (names case-insensitively).
pub fn find_scope(t: &Tenant, query: &str) -> Result<ScopeRef, AttackQueryError> {
    let (kind, key) = match query.split_once(':') {
        Some((k, rest)) => {
            let k_up = k.to_ascii_uppercase();
            match ScopeKind::parse(&k_up, Sym::EMPTY) {
                ScopeKind::Unknown(_) => (None, query),
                kind => (Some(kind), rest),
            }
        }
        None => (None, query),
    };
    let scopes = all_scopes(t);
    let typed = |s: &ScopeRef| kind.is_none_or(|k| k == s.kind);
    let by_id: Vec<ScopeRef> = scopes
        .iter()
        .filter(|(s, _)| typed(s) && t.s(s.id) == key)
        .map(|x| x.0)
        .collect();
    let hits = if by_id.is_empty() {
        scopes
            .iter()
            .filter(|(s, n)| typed(s) && t.s(*n).eq_ignore_ascii_case(key))
            .map(|x| x.0)
            .collect()
    } else {
        by_id
    };
    let mut hits = hits;
    hits.dedup();
    match hits.len() {
        1 => Ok(hits[0]),
        0 => Err(AttackQueryError::NoScope {
            query: query.to_string(),
            close: close_matches(
                key,
                scopes
                    .iter()
                    .filter(|(s, _)| typed(s))
                    .flat_map(|(s, n)| [t.s(*n), t.s(s.id)]),
            ),
        }),
        n => Err(AttackQueryError::AmbiguousScope {
            query: query.to_string(),
            count: n,
            examples: hits
                .iter()
                .take(5)
                .map(|s| format!("{}:{}", t.scope_kind_str(s.kind), t.s(s.id)))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

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
