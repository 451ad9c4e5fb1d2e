//! `unused-admin-role`: a privileged role whose holder made no admin action in the usage window.

use crate::findings::{Context, Finding, Rule, Severity};
use crate::resolve::{Access, Identity};

pub struct UnusedAdminRole;

impl Rule for UnusedAdminRole {
    fn id(&self) -> &'static str {
        "unused-admin-role"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn needs_activities(&self) -> bool {
        true
    }
    fn explanation(&self) -> &'static str {
        "A privileged role entitlement whose holder (user, worker application or gateway, in any state) made no admin action (an activity that is not a sign-on event, access model M8) in the --usage-days (default 14) before the as-of time. It fires only when the observed activity period covers that whole window and the activities of every environment were collected (access model M8, M10), so missing audit data never reads as disuse. One finding per entitlement."
    }
    fn check_identity(&self, cx: &Context, id: Identity, access: &Access, out: &mut Vec<Finding>) {
        let t = cx.t();
        let from = cx.cfg.as_of.minus_days(cx.cfg.usage_days);
        // M8: no claim of disuse while any environment's activities went unobserved.
        if !cx.activities_complete || !t.usage.covers(from, cx.cfg.as_of) {
            return;
        }
        let (pid, _, _, _) = crate::resolve::labels::identity_columns(t, id);
        let last = t
            .strings
            .get(pid)
            .and_then(|s| t.usage.actor(s))
            .and_then(|a| a.last_admin_action);
        if last.is_some_and(|l| l >= from) {
            return;
        }
        let seen = match last {
            Some(l) => format!(
                "last admin action {} ({} days before {})",
                l.date(),
                l.days_until(cx.cfg.as_of),
                cx.cfg.as_of.date()
            ),
            None => "no admin action in the observed activity period".to_string(),
        };
        let covered = t.usage.span().map_or(String::new(), |p| {
            format!(
                " (activities observed {} .. {})",
                p.from.date(),
                p.to.date()
            )
        });
        for e in access.roles.iter().filter(|e| cx.privileged(e)) {
            let mut f = cx.role_finding(self, id, e);
            f.detail = format!(
                "holds {} but made no admin action in the {} days before {}: {seen}{covered}",
                cx.role_text(e),
                cx.cfg.usage_days,
                cx.cfg.as_of.date()
            );
            f.recommendation = format!(
                "confirm {} needs {}; if not, remove it ({}) or replace it with a read-only role",
                f.identity_name,
                cx.role_text(e),
                super::disabled_with_privilege::removal_advice(cx, access, e)
            );
            out.push(f);
        }
    }
}
