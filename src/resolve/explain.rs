//! Explain: every path behind an identity's entitlements, and why applications are denied.
//!
//! "Every path" means: for each source of an entitlement (a direct assignment, or a group that
//! holds it), and for each of the identity's direct groups that reaches that source, the shortest
//! nesting chain from that direct group. Enumerating every simple path through a nesting graph
//! with cycles can be exponential and says nothing more to a reviewer.

use super::QueryError;
use super::access::{Access, AppDecision, DenyReason, Identity, Resolver, Via};
use super::query::Target;
use crate::model::*;

/// What an explained entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ExplainKind {
    Role,
    Application,
    Scope,
    /// An application the identity cannot access, with the reason.
    Denied,
}

impl ExplainKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExplainKind::Role => "ROLE",
            ExplainKind::Application => "APPLICATION",
            ExplainKind::Scope => "SCOPE",
            ExplainKind::Denied => "DENIED",
        }
    }
}

/// One entitlement and its paths, as lines for a person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Explained {
    pub kind: ExplainKind,
    pub id: String,
    pub title: String,
    pub paths: Vec<String>,
}

/// The explanation of one identity.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Explanation {
    #[serde(skip)]
    pub identity: Identity,
    pub header: Vec<String>,
    /// Things a reviewer should know before reading the entries (a disabled user, an
    /// application of another environment, a custom role named like a built-in one).
    pub notes: Vec<String>,
    pub entries: Vec<Explained>,
}

/// Finds an identity (see [`super::query::find_identity`]).
pub fn find_identity(r: &Resolver, query: &str) -> Result<Identity, QueryError> {
    super::query::find_identity(r.t, query)
}

/// A reason an application is denied, for a person (the rule numbers are the README's "How
/// access is decided").
fn deny_text(t: &Tenant, reason: &DenyReason) -> String {
    let names = |gs: &[GroupId]| {
        gs.iter()
            .map(|&g| t.group_label(g))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match reason {
        DenyReason::OtherEnvironment => {
            "the application is in another environment than the user (M6)".into()
        }
        DenyReason::Worker => "a worker application: users do not sign on to it".into(),
        DenyReason::Disabled => "the application is disabled (M6.1)".into(),
        DenyReason::NotAdmin => "ADMIN_USERS_ONLY: holds none of Organization Admin, Environment Admin, Identity Data Admin, Client Application Developer (M6.2)".into(),
        DenyReason::AllGroups { lacking, missing } => {
            let mut s = format!("ALL_GROUPS: not a member of {}", names(lacking));
            if *missing {
                s.push_str(
                    " (and a listed group is not in the snapshot, so the rule can never be met)",
                );
            }
            s + " (M6.3)"
        }
        DenyReason::AnyGroup { lacking, missing } => {
            let mut s = format!("ANY_GROUP: a member of none of {}", names(lacking));
            if *missing {
                s.push_str(" (another listed group is not in the snapshot)");
            }
            s + " (M6.3)"
        }
        DenyReason::NoListedGroupExists => "ANY_GROUP: no listed group is in the snapshot, so the rule can never be met (M6.3)".into(),
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

/// Explains `id`. `target` keeps only that entitlement (for a group: what the identity gets
/// through it).
pub fn explain(
    r: &Resolver,
    id: Identity,
    target: Option<Target>,
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
                    let Some(g) = t.index.group.get(&asg.subject.id) else {
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
            kind: ExplainKind::Role,
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
                kind: ExplainKind::Application,
                id: t.s(app.id).to_string(),
                title: format!("application {} ({})", t.s(app.name), e.via.as_str()),
                paths,
            });
        }
        // Denied applications of the user's environment, with the reason.
        for (i, app) in t.applications.iter().enumerate() {
            if granted[i] || app.env != user_env || r.is_worker(AppId::from_idx(i)) {
                continue;
            }
            let is_admin = access
                .roles
                .iter()
                .any(|x| x.role.is_some_and(|x| r.admin_console_role[x.idx()]));
            let decision = r.decide_app(user_env, AppId::from_idx(i), is_admin, &access.relevant);
            let why: Vec<String> = match decision {
                AppDecision::Granted(_) => Vec::new(),
                AppDecision::Denied(reasons) => reasons.iter().map(|x| deny_text(t, x)).collect(),
            };
            if why.is_empty() {
                continue;
            }
            entries.push(Explained {
                kind: ExplainKind::Denied,
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
            kind: ExplainKind::Scope,
            id: t.s(s.scope).to_string(),
            title: format!("scope {name} of resource {}", t.s(s.resource)),
            paths: vec!["granted to the application (M7)".into()],
        });
    }
    let mut notes = Vec::new();
    if let Identity::User(u) = id {
        let user = &t.users[u.idx()];
        if (!user.enabled || user.locked) && !access.roles.is_empty() {
            notes.push(format!(
                "this user is {}: it cannot sign on now, but keeps the {} role(s) below, and enabling it gives them back at once (see the finding disabled-with-privilege)",
                if user.enabled { "locked" } else { "disabled" },
                access.roles.len()
            ));
        }
    }
    for e in &access.roles {
        if let Some(role) = e.role.map(|x| &t.roles[x.idx()])
            && !role.builtin
            && t.roles
                .iter()
                .any(|b| b.builtin && t.s(b.name).eq_ignore_ascii_case(t.s(role.name)))
        {
            notes.push(format!(
                "`{}` ({}) is a custom role named like the built-in role: its permissions are its own, not the built-in role's",
                t.s(role.name),
                t.s(role.id)
            ));
        }
    }
    notes.dedup();
    if let Some(target) = target {
        let want_id = match target {
            Target::Role(x) | Target::Scope(x) => t.s(x).to_string(),
            Target::Application(a) => t.s(t.applications[a.idx()].id).to_string(),
            Target::Group(g) => t.s(t.groups[g.idx()].id).to_string(),
        };
        match target {
            Target::Group(g) => {
                let label = format!("group:{}", t.group_label(g));
                entries.retain(|e| {
                    e.kind != ExplainKind::Denied && e.paths.iter().any(|p| p.contains(&label))
                });
            }
            _ => entries.retain(|e| e.id == want_id),
        }
        if let (Target::Application(a), Identity::User(u)) = (target, id) {
            let app = &t.applications[a.idx()];
            let user_env = t.users[u.idx()].env;
            if app.env != user_env {
                entries.push(Explained {
                    kind: ExplainKind::Denied,
                    id: want_id.clone(),
                    title: format!("application {} (no access)", t.s(app.name)),
                    paths: vec![format!(
                        "the application is in environment {}, the user in environment {}: an application gives access only to users of its own environment (access model M6)",
                        t.s(t.environments[app.env.idx()].name),
                        t.s(t.environments[user_env.idx()].name)
                    )],
                });
            } else if r.is_worker(a) && entries.is_empty() {
                entries.push(Explained {
                    kind: ExplainKind::Denied,
                    id: want_id.clone(),
                    title: format!("application {} (no access)", t.s(app.name)),
                    paths: vec!["a worker application is not signed on to by users: it is an identity itself (explain it with --identity)".into()],
                });
            }
        }
        if entries.is_empty() {
            return Err(QueryError::NoEntitlement {
                identity: pid.to_string(),
                query: target.label(t),
            });
        }
    }
    Ok(Explanation {
        identity: id,
        header,
        notes,
        entries,
    })
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for h in &self.header {
            writeln!(f, "{h}")?;
        }
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        for e in &self.entries {
            writeln!(f)?;
            writeln!(f, "{:<11} {}  [{}]", e.kind.as_str(), e.title, e.id)?;
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
                .find(|x| x.kind == ExplainKind::Denied && x.id == id)
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
