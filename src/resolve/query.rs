//! Finding what a person typed: identities, entitlements (roles, applications, scopes, groups),
//! role-assignment scopes and environments, one way everywhere.
//!
//! Every lookup tries an exact id first, then a case-insensitive name; nothing found gives the
//! closest names ("did you mean"), several found gives the candidates with what tells them apart
//! (username and environment, built-in or custom). `explain`, `access`, `who-can` and `usage` all
//! ask through here, so the same words find the same thing in every command.

use crate::model::*;
use crate::resolve::Identity;
use crate::resolve::labels::identity_columns;

/// Errors of lookups: nothing or several things match what was typed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("no identity matches `{query}`")]
    NoIdentity { query: String, close: Vec<String> },
    #[error("`{query}` matches {count} identities: {}", candidates.join("; "))]
    AmbiguousIdentity {
        query: String,
        count: usize,
        candidates: Vec<String>,
    },
    #[error("identity `{identity}` has no entitlement matching `{query}`")]
    NoEntitlement { identity: String, query: String },
    #[error("no {what} matches `{query}`")]
    NoMatch {
        what: &'static str,
        query: String,
        close: Vec<String>,
    },
    #[error("`{query}` matches {count} {what}s: {}", candidates.join("; "))]
    Ambiguous {
        what: &'static str,
        query: String,
        count: usize,
        candidates: Vec<String>,
    },
}

impl QueryError {
    /// Advice for the help line: the closest names, or how to pick one of several.
    pub fn help(&self) -> Option<String> {
        match self {
            QueryError::NoIdentity { close, .. } | QueryError::NoMatch { close, .. } => {
                if close.is_empty() {
                    None
                } else {
                    Some(format!("did you mean: {}", close.join(", ")))
                }
            }
            QueryError::AmbiguousIdentity { .. } => {
                Some("pass the id (the first value of each candidate)".into())
            }
            QueryError::Ambiguous { .. } => Some(
                "pass the id, or prefix the kind (`role:`, `application:`, `scope:`, `group:`)"
                    .into(),
            ),
            QueryError::NoEntitlement { .. } => None,
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
pub fn close_matches<'a>(query: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
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
pub fn find_role(t: &Tenant, query: &str) -> Result<Sym, QueryError> {
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
        0 => Err(QueryError::NoMatch {
            what: "role",
            query: query.to_string(),
            close: close_matches(query, t.roles.iter().map(|r| t.s(r.name))),
        }),
        n => Err(QueryError::Ambiguous {
            what: "role",
            query: query.to_string(),
            count: n,
            candidates: hits.iter().map(|r| role_candidate(t, r)).collect(),
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
pub fn find_scope(t: &Tenant, query: &str) -> Result<ScopeRef, QueryError> {
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
        0 => Err(QueryError::NoMatch {
            what: "scope",
            query: query.to_string(),
            close: close_matches(
                key,
                scopes
                    .iter()
                    .filter(|(s, _)| typed(s))
                    .flat_map(|(s, n)| [t.s(*n), t.s(s.id)]),
            ),
        }),
        n => Err(QueryError::Ambiguous {
            what: "scope",
            query: query.to_string(),
            count: n,
            candidates: hits
                .iter()
                .take(8)
                .map(|s| format!("{}:{}", t.scope_kind_str(s.kind), t.s(s.id)))
                .collect(),
        }),
    }
}

/// `Organization Admin (built-in, id ...)` or `Organization Admin (custom, environment Prod, id
/// ...)`: what tells two roles of one name apart.
fn role_candidate(t: &Tenant, r: &Role) -> String {
    let kind = if r.builtin { "built-in" } else { "custom" };
    match r.env {
        Some(e) if !r.builtin => format!(
            "{} (id {}, {kind}, environment {})",
            t.s(r.name),
            t.s(r.id),
            t.s(t.environments[e.idx()].name)
        ),
        _ => format!("{} (id {}, {kind})", t.s(r.name), t.s(r.id)),
    }
}

/// The environment's name, or its id when it has none.
fn env_label(t: &Tenant, e: EnvId) -> &str {
    let env = &t.environments[e.idx()];
    if env.name.is_empty() {
        t.s(env.id)
    } else {
        t.s(env.name)
    }
}

/// `id (username, environment Prod)`: a candidate identity in an ambiguity list.
fn identity_candidate(t: &Tenant, id: Identity) -> String {
    let (pid, name, _, _) = identity_columns(t, id);
    let env = match id {
        Identity::User(u) => t.users[u.idx()].env,
        Identity::Application(a) => t.applications[a.idx()].env,
        Identity::Gateway(g) => t.gateways[g.idx()].env,
    };
    format!(
        "{pid} ({} {name}, environment {})",
        id.type_str().to_lowercase(),
        env_label(t, env)
    )
}

/// Finds an identity: a PingOne id; else a username, case-insensitively; else the local part of
/// a username (`ana.silva` for `ana.silva@example.com`); else a user's display name or an
/// application's or gateway's name.
pub fn find_identity(t: &Tenant, query: &str) -> Result<Identity, QueryError> {
    if let Some(sym) = t.strings.get(query) {
        if let Some(u) = t.index.user.get(&sym) {
            return Ok(Identity::User(u));
        }
        if let Some(&a) = t.index.app.get(&sym) {
            return Ok(Identity::Application(a));
        }
        if let Some(&g) = t.index.gateway.get(&sym) {
            return Ok(Identity::Gateway(g));
        }
    }
    let by_name = |s: Sym| t.s(s).eq_ignore_ascii_case(query);
    let users = || (0..t.users.len()).map(UserId::from_idx);
    let mut hits: Vec<Identity> = users()
        .filter(|u| by_name(t.users[u.idx()].username))
        .map(Identity::User)
        .collect();
    if hits.is_empty() {
        hits = users()
            .filter(|u| {
                t.s(t.users[u.idx()].username)
                    .split_once('@')
                    .is_some_and(|(l, _)| l.eq_ignore_ascii_case(query))
            })
            .map(Identity::User)
            .collect();
    }
    if hits.is_empty() {
        hits.extend(
            users()
                .filter(|u| by_name(t.users[u.idx()].display_name))
                .map(Identity::User),
        );
        hits.extend(
            (0..t.applications.len())
                .map(AppId::from_idx)
                .filter(|a| by_name(t.applications[a.idx()].name))
                .map(Identity::Application),
        );
        hits.extend(
            (0..t.gateways.len())
                .map(GatewayId::from_idx)
                .filter(|g| by_name(t.gateways[g.idx()].name))
                .map(Identity::Gateway),
        );
    }
    match hits.len() {
        1 => Ok(hits[0]),
        0 => Err(QueryError::NoIdentity {
            query: query.to_string(),
            close: close_matches(
                query,
                t.users
                    .iter()
                    .flat_map(|u| {
                        // The local part too: `anna.silva` is close to `ana.silva@...`.
                        let name = t.s(u.username);
                        [name, name.split_once('@').map_or("", |(l, _)| l)]
                    })
                    .chain(t.applications.iter().map(|a| t.s(a.name)))
                    .chain(t.gateways.iter().map(|g| t.s(g.name))),
            ),
        }),
        n => Err(QueryError::AmbiguousIdentity {
            query: query.to_string(),
            count: n,
            candidates: hits
                .iter()
                .take(8)
                .map(|&h| identity_candidate(t, h))
                .collect(),
        }),
    }
}

/// What a person asks about: something identities hold or are members of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A role, by id (a role only assignments name has no [`RoleId`]).
    Role(Sym),
    Application(AppId),
    /// A resource scope, by id.
    Scope(Sym),
    Group(GroupId),
}

impl Target {
    /// The access export's `entitlement_type` (groups are not entitlements: `GROUP`).
    pub fn type_str(self) -> &'static str {
        match self {
            Target::Role(_) => "ROLE",
            Target::Application(_) => "APPLICATION",
            Target::Scope(_) => "SCOPE",
            Target::Group(_) => "GROUP",
        }
    }

    /// `role Organization Admin`, `application Payroll (environment Prod)`, ...
    pub fn label(self, t: &Tenant) -> String {
        match self {
            Target::Role(id) => {
                let name = t
                    .index
                    .role
                    .get(&id)
                    .map_or(t.s(id), |r| t.s(t.roles[r.idx()].name));
                format!("role {name}")
            }
            Target::Application(a) => {
                let app = &t.applications[a.idx()];
                format!(
                    "application {} (environment {})",
                    t.s(app.name),
                    env_label(t, app.env)
                )
            }
            Target::Scope(s) => {
                let name = t
                    .index
                    .scope
                    .get(&s)
                    .map_or(t.s(s), |x| t.s(t.scopes[x.idx()].name));
                format!("scope {name}")
            }
            Target::Group(g) => {
                let gr = &t.groups[g.idx()];
                format!(
                    "group {} (environment {})",
                    t.s(gr.name),
                    env_label(t, gr.env)
                )
            }
        }
    }
}

/// The kinds a query may be restricted to with a prefix (`role:Organization Admin`).
const KINDS: [(&str, &str); 5] = [
    ("role", "ROLE"),
    ("application", "APPLICATION"),
    ("app", "APPLICATION"),
    ("scope", "SCOPE"),
    ("group", "GROUP"),
];

/// Finds an entitlement or a group: `KIND:` prefix optional (`role:`, `application:`, `scope:`,
/// `group:`), then an exact id, then a case-insensitive name. Several matches are an error
/// listing them (a custom role named like a built-in one, say).
pub fn find_entitlement(t: &Tenant, query: &str) -> Result<Target, QueryError> {
    find_entitlements(t, query, |_| true)
}

/// [`find_entitlement`], where several matches are narrowed to those `relevant` keeps (the ones
/// an identity holds, for instance) before they are an error.
pub fn find_entitlements(
    t: &Tenant,
    query: &str,
    relevant: impl Fn(Target) -> bool,
) -> Result<Target, QueryError> {
    let (kind, key) = match query.split_once(':') {
        Some((k, rest)) => match KINDS.iter().find(|(p, _)| p.eq_ignore_ascii_case(k)) {
            Some((_, kind)) => (Some(*kind), rest.trim()),
            None => (None, query),
        },
        None => (None, query),
    };
    let want = |k: &str| kind.is_none_or(|x| x == k);
    let mut hits: Vec<Target> = Vec::new();
    if let Some(sym) = t.strings.get(key) {
        if want("ROLE")
            && (t.index.role.contains_key(&sym) || t.assignments.iter().any(|a| a.role_id == sym))
        {
            hits.push(Target::Role(sym));
        }
        if want("APPLICATION")
            && let Some(&a) = t.index.app.get(&sym)
        {
            hits.push(Target::Application(a));
        }
        if want("SCOPE") && t.index.scope.contains_key(&sym) {
            hits.push(Target::Scope(sym));
        }
        if want("GROUP")
            && let Some(g) = t.index.group.get(&sym)
        {
            hits.push(Target::Group(g));
        }
    }
    if hits.is_empty() {
        let by_name = |s: Sym| t.s(s).eq_ignore_ascii_case(key);
        if want("ROLE") {
            hits.extend(
                t.roles
                    .iter()
                    .filter(|r| by_name(r.name))
                    .map(|r| Target::Role(r.id)),
            );
        }
        if want("APPLICATION") {
            hits.extend(
                (0..t.applications.len())
                    .map(AppId::from_idx)
                    .filter(|a| by_name(t.applications[a.idx()].name))
                    .map(Target::Application),
            );
        }
        if want("SCOPE") {
            hits.extend(
                t.scopes
                    .iter()
                    .filter(|s| by_name(s.name))
                    .map(|s| Target::Scope(s.id)),
            );
        }
        if want("GROUP") {
            hits.extend(
                (0..t.groups.len())
                    .map(GroupId::from_idx)
                    .filter(|g| by_name(t.groups[g.idx()].name))
                    .map(Target::Group),
            );
        }
    }
    if hits.len() > 1 {
        let kept: Vec<Target> = hits.iter().copied().filter(|&h| relevant(h)).collect();
        if kept.len() == 1 {
            return Ok(kept[0]);
        }
    }
    match hits.len() {
        1 => Ok(hits[0]),
        0 => {
            let names = t
                .roles
                .iter()
                .filter(|_| want("ROLE"))
                .map(|r| t.s(r.name))
                .chain(
                    t.applications
                        .iter()
                        .filter(|_| want("APPLICATION"))
                        .map(|a| t.s(a.name)),
                )
                .chain(
                    t.scopes
                        .iter()
                        .filter(|_| want("SCOPE"))
                        .map(|s| t.s(s.name)),
                )
                .chain(
                    t.groups
                        .iter()
                        .filter(|_| want("GROUP"))
                        .map(|g| t.s(g.name)),
                );
            Err(QueryError::NoMatch {
                what: "role, application, scope or group",
                query: query.to_string(),
                close: close_matches(key, names),
            })
        }
        n => Err(QueryError::Ambiguous {
            what: "entitlement",
            query: query.to_string(),
            count: n,
            candidates: hits
                .iter()
                .take(8)
                .map(|&h| target_candidate(t, h))
                .collect(),
        }),
    }
}

/// A candidate entitlement in an ambiguity list, with what tells it apart.
fn target_candidate(t: &Tenant, x: Target) -> String {
    match x {
        Target::Role(id) => match t.index.role.get(&id) {
            Some(r) => format!("role {}", role_candidate(t, &t.roles[r.idx()])),
            None => format!("role {} (not in the snapshot)", t.s(id)),
        },
        Target::Application(a) => {
            format!("{} (id {})", x.label(t), t.s(t.applications[a.idx()].id))
        }
        Target::Scope(s) => {
            let resource = t
                .index
                .scope
                .get(&s)
                .map(|i| t.scopes[i.idx()].resource)
                .and_then(|r| t.index.resource.get(&r))
                .map_or("", |r| t.s(t.resources[r.idx()].name));
            format!("{} (id {}, resource {resource})", x.label(t), t.s(s))
        }
        Target::Group(g) => format!("{} (id {})", x.label(t), t.s(t.groups[g.idx()].id)),
    }
}

/// Finds an environment by id or name (case-insensitively).
pub fn find_environment(t: &Tenant, query: &str) -> Result<EnvId, QueryError> {
    if let Some(sym) = t.strings.get(query)
        && let Some(&e) = t.index.env.get(&sym)
    {
        return Ok(e);
    }
    let hits: Vec<EnvId> = (0..t.environments.len())
        .map(EnvId::from_idx)
        .filter(|e| {
            t.s(t.environments[e.idx()].name)
                .eq_ignore_ascii_case(query)
        })
        .collect();
    match hits.len() {
        1 => Ok(hits[0]),
        0 => Err(QueryError::NoMatch {
            what: "environment",
            query: query.to_string(),
            close: close_matches(query, t.environments.iter().map(|e| t.s(e.name))),
        }),
        n => Err(QueryError::Ambiguous {
            what: "environment",
            query: query.to_string(),
            count: n,
            candidates: hits
                .iter()
                .map(|e| {
                    format!(
                        "{} (id {})",
                        env_label(t, *e),
                        t.s(t.environments[e.idx()].id)
                    )
                })
                .collect(),
        }),
    }
}
