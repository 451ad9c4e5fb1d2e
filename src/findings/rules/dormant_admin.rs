//! `dormant-admin`: an enabled privileged admin who has not signed on for a long time.

use crate::findings::{Context, Finding, Rule, Severity};
use crate::resolve::{Access, Identity};

pub struct DormantAdmin;

impl Rule for DormantAdmin {
    fn id(&self) -> &'static str {
        "dormant-admin"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn explanation(&self) -> &'static str {
        "An enabled user holding a privileged (not read-only) role whose last sign-on (lastSignOn.at) is strictly older than --dormant-days (default 90) before the as-of time, or who never signed on and was created strictly before that. A user created recently who has not signed on yet is not dormant. One finding per user; critical when the user holds Organization Admin or Environment Admin (built-in), or a privileged role at ORGANIZATION scope."
    }
    fn check_identity(&self, cx: &Context, id: Identity, access: &Access, out: &mut Vec<Finding>) {
        let Identity::User(u) = id else { return };
        let t = cx.t();
        let user = &t.users[u.idx()];
        if !user.is_active() {
            return;
        }
        let Some(e) = access.roles.iter().find(|e| cx.privileged(e)) else {
            return;
        };
        let cutoff = cx.cfg.as_of.minus_days(cx.cfg.dormant_days);
        let detail = match (user.last_sign_on, user.created_at) {
            (Some(last), _) if last < cutoff => format!(
                "last sign-on {} ({} days before {}), holds {}",
                last.date(),
                last.days_until(cx.cfg.as_of),
                cx.cfg.as_of.date(),
                cx.role_text(e)
            ),
            (None, Some(created)) if created < cutoff => format!(
                "never signed on; created {} ({} days before {}), holds {}",
                created.date(),
                created.days_until(cx.cfg.as_of),
                cx.cfg.as_of.date(),
                cx.role_text(e)
            ),
            _ => return,
        };
        let mut f = cx.identity_finding(self, id);
        f.severity = cx.severity_for(self, access.roles.iter());
        let n = access.roles.iter().filter(|e| cx.privileged(e)).count();
        f.detail = if n > 1 {
            format!("{detail} and {} more privileged role(s)", n - 1)
        } else {
            detail
        };
        f.recommendation = format!(
            "confirm {} still needs admin access; if not, remove their role assignments (Users > {} > Roles) or disable the account",
            f.identity_name, f.identity_name
        );
        out.push(f);
    }
}
