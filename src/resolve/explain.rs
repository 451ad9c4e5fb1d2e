//! Explain: every path behind an identity's entitlements, and why applications are denied.
//!
//! "Every path" means: for each source of an entitlement (a direct assignment, or a group that
//! holds it), and for each of the identity's direct groups that reaches that source, the shortest
//! nesting chain from that direct group. Enumerating every simple path through a nesting graph
//! with cycles can be exponential and says nothing more to a reviewer.

use super::QueryError;
use super::access::{Access, Identity, Resolver, Via};
use crate::model::*;

/// One entitlement and its paths, as lines for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    /// `ROLE`, `APPLICATION`, `SCOPE`, or `DENIED` for an application the identity cannot access.
    pub kind: &'static str,
    pub id: String,
    pub title: String,
    pub paths: Vec<String>,
}

/// The explanation of one identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub identity: Identity,
    pub header: Vec<String>,
    pub entries: Vec<Explained>,
}

/// Finds an identity by PingOne id, username, or name (display name; application or gateway name).
pub fn find_identity(r: &Resolver, query: &str) -> Result<Identity, QueryError> {
    let t = r.t;
    if let Some(sym) = t.strings.get(query) {
        if let Some(&u) = t.index.user.get(&sym) {
            return Ok(Identity::User(u));
        }
        if let Some(&a) = t.index.app.get(&sym) {
            return Ok(Identity::Application(a));
        }
        if let Some(&g) = t.index.gateway.get(&sym) {
            return Ok(Identity::Gateway(g));
        }
    }
    let mut hits: Vec<Identity> = Vec::new();
    let by_name = |s: Sym| t.s(s).eq_ignore_ascii_case(query);
    for (i, u) in t.users.iter().enumerate() {
        if by_name(u.username) {
            hits.push(Identity::User(UserId::from_idx(i)));
        }
    }
    if hits.is_empty() {
        // `ana.silva` for `ana.silva@example.com`
        for (i, u) in t.users.iter().enumerate() {
            if t.s(u.username)
                .split('@')
                .next()
                .is_some_and(|l| l.eq_ignore_ascii_case(query))
            {
                hits.push(Identity::User(UserId::from_idx(i)));
            }
        }
    }
    if hits.is_empty() {
        for (i, u) in t.users.iter().enumerate() {
            if by_name(u.display_name) {
                hits.push(Identity::User(UserId::from_idx(i)));
            }
        }
        for (i, a) in t.applications.iter().enumerate() {
            if by_name(a.name) {
                hits.push(Identity::Application(AppId::from_idx(i)));
            }
        }
        for (i, g) in t.gateways.iter().enumerate() {
            if by_name(g.name) {
                hits.push(Identity::Gateway(GatewayId::from_idx(i)));
            }
        }
    }
    match hits.len() {
        0 => Err(QueryError::NoIdentity(query.to_string())),
        1 => Ok(hits[0]),
        n => {
            let examples = hits
                .iter()
                .take(5)
                .map(|&h| crate::resolve::labels::identity_columns(t, h).0.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            Err(QueryError::AmbiguousIdentity {
                query: query.to_string(),
                count: n,
                examples: format!("{examples} (pass an id)"),
            })
        }
    }
}

fn chain_text(t: &Tenant, chain: &[GroupId]) -> String {
    chain
        .iter()
        .map(|&g| format!("group:{}", t.group_label(g)))
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// Every shortest chain, one per direct group of `u` that reaches `target`.
fn chains_to(r: &Resolver, u: UserId, target: GroupId) -> Vec<String> {
    let mut out = Vec::new();
    for &d in r.direct_groups(u) {
        if let Some(chain) = r.closure.chain(d, target) {
            out.push(chain_text(r.t, &chain));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Explains `id`. `filter` keeps only entitlements whose id or name equals it.
pub fn explain(
    r: &Resolver,
    id: Identity,
    filter: Option<&str>,
) -> Result<Explanation, QueryError> {
    let t = r.t;
    let mut access = Access::default();
    r.resolve(id, &mut access);
    let (pid, name, env, enabled) = crate::resolve::labels::identity_columns(t, id);
    let env_name = t
        .index
        .env
        .get(&t.strings.get(env).unwrap_or(Sym::EMPTY))
        .map_or("", |e| t.s(t.environments[e.idx()].name));
    let mut header = vec![format!(
        "{} {} ({pid}) in environment {} ({env}), {}",
        id.type_str().to_lowercase(),
        name,
        env_name,
        if enabled { "enabled" } else { "DISABLED" }
    )];
    if let Identity::User(u) = id {
        let user = &t.users[u.idx()];
        header.push(format!(
            "mfa: {}, last sign-on: {}, created: {}",
            match user.mfa_enabled {
                Some(true) => "enabled",
                Some(false) => "DISABLED",
                None => "unknown",
            },
            user.last_sign_on.map_or("never".into(), |t| t.to_rfc3339()),
            user.created_at.map_or("unknown".into(), |t| t.to_rfc3339())
        ));
        let direct: Vec<&str> = r
            .direct_groups(u)
            .iter()
            .map(|&g| t.group_label(g))
            .collect();
        header.push(format!(
            "direct groups ({}): {}",
            direct.len(),
            if direct.is_empty() {
                "none".into()
            } else {
                direct.join(", ")
            }
        ));
    }
    let mut entries = Vec::new();
    for e in &access.roles {
        let role_name = e
            .role
            .map_or("(role not in snapshot)", |x| t.s(t.roles[x.idx()].name));
        let title = format!(
            "role {role_name} @ {}:{}{}",
            t.scope_kind_str(e.scope.kind),
            t.scope_name(e.scope),
            if t.role_is_read_only(e.role) {
                " (read-only)"
            } else {
                " (privileged)"
            }
        );
        let mut paths = Vec::new();
        for &aid in access.role_assignments(e) {
            let asg = &t.assignments[aid.idx()];
            match asg.subject.kind {
                SubjectKind::Group => {
                    let Some(&g) = t.index.group.get(&asg.subject.id) else {
                        continue;
                    };
                    let via = if let Identity::User(u) = id {
                        chains_to(r, u, g)
                    } else {
                        Vec::new()
                    };
                    for c in via {
                        paths.push(format!("via {c} (M2; assignment {})", t.s(asg.id)));
                    }
                }
                _ => paths.push(format!("direct assignment {} (M2/M3)", t.s(asg.id))),
            }
        }
        entries.push(Explained {
            kind: "ROLE",
            id: t.s(e.role_id).to_string(),
            title,
            paths,
        });
    }
    if let Identity::User(u) = id {
        let user_env = t.users[u.idx()].env;
        let mut granted = vec![false; 0];
        granted.resize(t.applications.len(), false);
        for e in &access.apps {
            granted[e.app.idx()] = true;
            let app = &t.applications[e.app.idx()];
            let mut paths = Vec::new();
            match e.via {
                Via::Open => paths.push(
                    "no access-control rule: every user of the environment (M6.4, OPEN)".into(),
                ),
                Via::AdminRole => {
                    for role in access
                        .roles
                        .iter()
                        .filter(|x| x.role.is_some_and(|x| r.admin_console_role[x.idx()]))
                    {
                        paths.push(format!(
                            "ADMIN_USERS_ONLY satisfied by built-in role {} (M6.2, ADMIN_ROLE)",
                            t.s(t.roles[role.role.map_or(0, |x| x.idx())].name)
                        ));
                    }
                }
                Via::Group | Via::Direct => {
                    let (all, _, _) = r.rule_groups(e.app).unwrap_or((false, &[], false));
                    for &g in access.app_groups(e) {
                        for c in chains_to(r, u, g) {
                            paths.push(format!(
                                "{} rule matched through {c} (M6.3, GROUP)",
                                if all { "ALL_GROUPS" } else { "ANY_GROUP" }
                            ));
                        }
                    }
                    if app.access.admin_users_only {
                        paths.push("ADMIN_USERS_ONLY also satisfied (M6.2)".into());
                    }
                }
            }
            entries.push(Explained {
                kind: "APPLICATION",
                id: t.s(app.id).to_string(),
                title: format!("application {} ({})", t.s(app.name), e.via.as_str()),
                paths,
            });
        }
        // Denied applications of the user's environment, with the reason.
        for (i, app) in t.applications.iter().enumerate() {
            if granted[i] || app.env != user_env || AppKind::parse(t.s(app.kind)) == AppKind::Worker
            {
                continue;
            }
            let mut why = Vec::new();
            if !app.enabled {
                why.push("the application is disabled (M6.1)".to_string());
            } else {
                if app.access.admin_users_only
                    && !access
                        .roles
                        .iter()
                        .any(|x| x.role.is_some_and(|x| r.admin_console_role[x.idx()]))
                {
                    why.push("ADMIN_USERS_ONLY: holds none of Organization Admin, Environment Admin, Identity Data Admin, Client Application Developer (M6.2)".into());
                }
                if let Some((all, groups, missing)) = r.rule_groups(AppId::from_idx(i)) {
                    let lacking: Vec<&str> = groups
                        .iter()
                        .filter(|g| access.relevant.binary_search(g).is_err())
                        .map(|&g| t.group_label(g))
                        .collect();
                    if all && (missing || !lacking.is_empty()) {
                        let mut s = format!("ALL_GROUPS: not a member of {}", lacking.join(", "));
                        if missing {
                            s.push_str(" (and a listed group is not in the snapshot, so the rule can never be met)");
                        }
                        why.push(s + " (M6.3)");
                    } else if !all && groups.is_empty() {
                        // Every listed group is missing: the resolver denies, and says why.
                        why.push("ANY_GROUP: no listed group is in the snapshot, so the rule can never be met (M6.3)".into());
                    } else if !all && lacking.len() == groups.len() {
                        let mut s =
                            format!("ANY_GROUP: a member of none of {}", lacking.join(", "));
                        if missing {
                            s.push_str(" (another listed group is not in the snapshot)");
                        }
                        why.push(s + " (M6.3)");
                    }
                }
            }
            if why.is_empty() {
                continue;
            }
            entries.push(Explained {
                kind: "DENIED",
                id: t.s(app.id).to_string(),
                title: format!("application {} (no access)", t.s(app.name)),
                paths: why,
            });
        }
    }
    for s in &access.scopes {
        let name = t
            .index
            .scope
            .get(&s.scope)
            .map_or("", |x| t.s(t.scopes[x.idx()].name));
        entries.push(Explained {
            kind: "SCOPE",
            id: t.s(s.scope).to_string(),
            title: format!("scope {name} of resource {}", t.s(s.resource)),
            paths: vec!["granted to the application (M7)".into()],
        });
    }
    if let Some(f) = filter {
        entries.retain(|e| e.id == f || e.title.contains(f));
        if entries.is_empty() {
            return Err(QueryError::NoEntitlement {
                identity: pid.to_string(),
                query: f.to_string(),
            });
        }
    }
    Ok(Explanation {
        identity: id,
        header,
        entries,
    })
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for h in &self.header {
            writeln!(f, "{h}")?;
        }
        for e in &self.entries {
            writeln!(f)?;
            writeln!(f, "{:<11} {}  [{}]", e.kind, e.title, e.id)?;
            for p in &e.paths {
                writeln!(f, "    - {p}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::builder::TenantBuilder;

    #[test]
    fn a_rule_of_missing_groups_is_explained_not_listed_empty() {
        let t = TenantBuilder::new("org-1")
            .env("env-a")
            .group("g-ops", "env-a")
            .user("u-ana", "env-a")
            .member("u-ana", "g-ops")
            .app(
                "app-gone",
                "env-a",
                "WEB_APP",
                true,
                false,
                Some((false, &["g-gone"])),
            )
            .app(
                "app-some",
                "env-a",
                "WEB_APP",
                true,
                false,
                Some((false, &["g-gone", "g-other"])),
            )
            .group("g-other", "env-a")
            .build();
        let r = Resolver::new(&t);
        let e = explain(&r, Identity::User(UserId::from_idx(0)), None).unwrap();
        let denied = |id: &str| -> String {
            e.entries
                .iter()
                .find(|x| x.kind == "DENIED" && x.id == id)
                .map(|x| x.paths.join(" | "))
                .unwrap_or_default()
        };
        // The resolver denies both; explain says why, never "a member of none of " and nothing.
        assert!(
            denied("app-gone").contains("no listed group is in the snapshot"),
            "{}",
            denied("app-gone")
        );
        assert!(
            denied("app-some").contains("a member of none of g-other"),
            "{}",
            denied("app-some")
        );
        assert!(denied("app-some").contains("another listed group is not in the snapshot"));
    }
}
