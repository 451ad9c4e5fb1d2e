//! `admin-without-mfa`: an enabled privileged admin without MFA.

use crate::findings::{Context, Finding, Rule, Severity};
use crate::resolve::{Access, Identity};

pub struct AdminWithoutMfa;

impl Rule for AdminWithoutMfa {
    fn id(&self) -> &'static str {
        "admin-without-mfa"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn explanation(&self) -> &'static str {
        "An enabled user holding a privileged (not read-only) role whose mfaEnabled is false: a stolen password is enough to act as this admin. Users whose MFA state is unknown (field absent) are not flagged. One finding per user; critical when the user holds Organization Admin or Environment Admin (built-in), or a privileged role at ORGANIZATION scope."
    }
    fn check_identity(&self, cx: &Context, id: Identity, access: &Access, out: &mut Vec<Finding>) {
        let Identity::User(u) = id else { return };
        let t = cx.t();
        let user = &t.users[u.idx()];
        if !user.is_active() || user.mfa_enabled != Some(false) {
            return;
        }
        let privileged: Vec<String> = access
            .roles
            .iter()
            .filter(|e| cx.privileged(e))
            .map(|e| cx.role_text(e))
            .collect();
        if privileged.is_empty() {
            return;
        }
        let mut f = cx.identity_finding(self, id);
        f.severity = cx.severity_for(self, access.roles.iter());
        f.detail = format!("mfaEnabled is false; holds {}", privileged.join(", "));
        f.recommendation = format!(
            "enable MFA for {} (Users > {} > Authentication > MFA) and require it in the admin sign-on policy",
            f.identity_name, f.identity_name
        );
        out.push(f);
    }
}
