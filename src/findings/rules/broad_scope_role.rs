//! `broad-scope-role`: a user holding a privileged role over the whole organization.

use crate::findings::{Context, Finding, Rule, Severity};
use crate::model::ScopeKind;
use crate::resolve::{Access, Identity};

pub struct BroadScopeRole;

impl Rule for BroadScopeRole {
    fn id(&self) -> &'static str {
        "broad-scope-role"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn explanation(&self) -> &'static str {
        "A user holding a privileged (not read-only) role at ORGANIZATION scope: it covers every environment, including ones created later. Most admins need an ENVIRONMENT or POPULATION scope. One finding per entitlement."
    }
    fn check_identity(&self, cx: &Context, id: Identity, access: &Access, out: &mut Vec<Finding>) {
        if !matches!(id, Identity::User(_)) {
            return;
        }
        let t = cx.t();
        for e in access
            .roles
            .iter()
            .filter(|e| e.scope.kind == ScopeKind::Organization && cx.privileged(e))
        {
            let mut f = cx.role_finding(self, id, e);
            f.detail = format!(
                "holds {} through {}: it covers all {} environments and any created later",
                cx.role_text(e),
                cx.sources_text(access, e),
                t.environments.len()
            );
            f.recommendation = "re-assign the role at ENVIRONMENT (or POPULATION) scope for the environments this admin manages, then delete the ORGANIZATION-scoped assignment".into();
            out.push(f);
        }
    }
}
