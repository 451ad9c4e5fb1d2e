//! `overprivileged-worker`: a worker application or gateway with administrator-level roles.

use crate::findings::{Context, Finding, Rule, Severity};
use crate::model::ScopeKind;
use crate::resolve::{Access, Identity};

pub struct OverprivilegedWorker;

impl Rule for OverprivilegedWorker {
    fn id(&self) -> &'static str {
        "overprivileged-worker"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn explanation(&self) -> &'static str {
        "A worker application or gateway holding the built-in Organization Admin or Environment Admin role, or any privileged role at ORGANIZATION scope. Whoever holds its client secret acts with those powers, unattended. One finding per entitlement."
    }
    fn check_identity(&self, cx: &Context, id: Identity, access: &Access, out: &mut Vec<Finding>) {
        let t = cx.t();
        match id {
            Identity::Application(a) if t.app_is_worker(a) => {}
            Identity::Gateway(_) => {}
            _ => return,
        }
        for e in &access.roles {
            let admin = e.role.is_some_and(|r| {
                let r = &t.roles[r.idx()];
                r.builtin && matches!(t.s(r.name), "Organization Admin" | "Environment Admin")
            });
            let org_wide = e.scope.kind == ScopeKind::Organization && cx.privileged(e);
            if !admin && !org_wide {
                continue;
            }
            let mut f = cx.role_finding(self, id, e);
            let scopes: Vec<String> = access
                .scopes
                .iter()
                .map(|s| {
                    t.index
                        .scope
                        .get(&s.scope)
                        .map_or(t.s(s.scope), |x| t.s(t.scopes[x.idx()].name))
                        .to_string()
                })
                .collect();
            let roles: Vec<String> = access.roles.iter().map(|r| cx.role_text(r)).collect();
            f.detail = format!(
                "{} holds {}{}; all roles: {}{}",
                f.identity_name,
                cx.role_text(e),
                if admin {
                    " (an administrator role)"
                } else {
                    " (privileged, organization-wide)"
                },
                roles.join(", "),
                if scopes.is_empty() {
                    String::new()
                } else {
                    format!("; granted scopes: {}", scopes.join(", "))
                }
            );
            f.recommendation = format!(
                "replace role assignment(s) {} with the narrowest role and scope the integration needs (e.g. a custom role at ENVIRONMENT or POPULATION scope), and rotate its secret",
                access
                    .role_assignments(e)
                    .iter()
                    .map(|a| t.s(t.assignments[a.idx()].id))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            out.push(f);
        }
    }
}
