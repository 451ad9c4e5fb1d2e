//! `open-application`: an enabled application anyone in its environment can use (M6.4).

use crate::findings::{Context, Finding, Rule, Severity};
use crate::model::AppKind;

pub struct OpenApplication;

impl Rule for OpenApplication {
    fn id(&self) -> &'static str {
        "open-application"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn explanation(&self) -> &'static str {
        "An enabled application (not a worker, the application portal or self-service) with no access-control rule: neither ADMIN_USERS_ONLY nor a group rule with at least one group. Every user of its environment can sign on to it (access model M6.4); an empty group list counts as no rule."
    }
    fn check_tenant(&self, cx: &Context, out: &mut Vec<Finding>) {
        let t = cx.t();
        for a in &t.applications {
            if !a.enabled || AppKind::parse(t.s(a.kind)) != AppKind::Other || !a.access.is_open() {
                continue;
            }
            let env = &t.environments[a.env.idx()];
            let users = t.users.iter().filter(|u| u.env == a.env).count();
            let mut why = String::from("no access-control rule");
            if let Some(g) = &a.access.group {
                if g.groups.is_empty() {
                    why = "a group rule with an empty group list (no rule)".into();
                } else {
                    why = "a group rule of unknown type (not applied)".into();
                }
            }
            out.push(Finding {
                rule: self.id(),
                severity: self.severity(),
                identity_type: String::new(),
                identity_id: String::new(),
                identity_name: String::new(),
                entitlement_type: "APPLICATION".into(),
                entitlement_id: t.s(a.id).into(),
                entitlement_name: String::new(),
                scope_type: "ENVIRONMENT".into(),
                scope_id: t.s(env.id).into(),
                scope_name: String::new(),
                detail: format!(
                    "{} application `{}` is enabled with {why}: all {users} users of environment {} can access it",
                    t.s(a.kind),
                    t.s(a.name),
                    t.s(env.name)
                ),
                recommendation: format!(
                    "in PingOne, open application `{}` > Access and require membership of the groups that should use it (accessControl.group ANY_GROUP), or ADMIN_USERS_ONLY for admin tools",
                    t.s(a.name)
                ),
            });
        }
    }
}
