//! `disabled-with-privilege`: a disabled or locked identity that still holds roles.

use crate::findings::{Context, Finding, Rule, Severity};
use crate::model::AppKind;
use crate::resolve::{Access, Identity};

pub struct DisabledWithPrivilege;

impl Rule for DisabledWithPrivilege {
    fn id(&self) -> &'static str {
        "disabled-with-privilege"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn explanation(&self) -> &'static str {
        "A user that is disabled or LOCKED, or a disabled worker application or gateway, that still holds role entitlements (read-only roles included). Re-enabling the account silently restores the access; one finding per entitlement, critical when the role is Organization Admin or Environment Admin (built-in), or a privileged role at ORGANIZATION scope."
    }
    fn check_identity(&self, cx: &Context, id: Identity, access: &Access, out: &mut Vec<Finding>) {
        let t = cx.t();
        let state = match id {
            Identity::User(u) => {
                let u = &t.users[u.idx()];
                if u.is_active() {
                    return;
                }
                if !u.enabled { "disabled" } else { "locked" }
            }
            Identity::Application(a) => {
                let app = &t.applications[a.idx()];
                if app.enabled || AppKind::parse(t.s(app.kind)) != AppKind::Worker {
                    return;
                }
                "a disabled worker application"
            }
            Identity::Gateway(g) => {
                if t.gateways[g.idx()].enabled {
                    return;
                }
                "a disabled gateway"
            }
        };
        for e in &access.roles {
            let mut f = cx.role_finding(self, id, e);
            f.severity = cx.severity_for(self, std::iter::once(e));
            f.detail = format!(
                "{} is {state} but holds {} through {}",
                f.identity_name,
                cx.role_text(e),
                cx.sources_text(access, e)
            );
            f.recommendation = removal_advice(cx, access, e);
            out.push(f);
        }
    }
}

/// What to remove in PingOne so that an entitlement goes away.
pub fn removal_advice(cx: &Context, access: &Access, e: &crate::resolve::RoleEnt) -> String {
    let t = cx.t();
    let mut steps = Vec::new();
    for &aid in access.role_assignments(e) {
        let a = &t.assignments[aid.idx()];
        steps.push(format!(
            "delete role assignment {} ({} {} > Roles)",
            t.s(a.id),
            a.subject.kind.as_str().to_lowercase(),
            t.s(a.subject.id)
        ));
    }
    steps.dedup();
    if !access.role_groups(e).is_empty() {
        steps.push("or remove the identity from the granting group(s)".into());
    }
    steps.join("; ")
}
