//! `collector-overprivileged`: the worker p1graph signed in with can do more than read.

use crate::findings::{Context, Finding, Rule, Severity};
use crate::resolve::{Access, Identity};

pub struct CollectorOverprivileged;

impl Rule for CollectorOverprivileged {
    fn id(&self) -> &'static str {
        "collector-overprivileged"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn explanation(&self) -> &'static str {
        "The worker application p1graph signed in with (the export manifest's collector.clientId) holds a role that is not read-only. p1graph needs only Configuration Read Only, Identity Data Read Only and DaVinci Admin Read Only; anything more is a standing credential with write power. One finding per such entitlement."
    }
    fn check_identity(&self, cx: &Context, id: Identity, access: &Access, out: &mut Vec<Finding>) {
        let Identity::Application(a) = id else { return };
        let t = cx.t();
        let collector = &t.manifest.collector_client_id;
        if collector.is_empty() || t.s(t.applications[a.idx()].id) != collector {
            return;
        }
        for e in access.roles.iter().filter(|e| cx.privileged(e)) {
            let mut f = cx.role_finding(self, id, e);
            f.detail = format!(
                "the p1graph collector {} holds {}, which is not read-only",
                f.identity_name,
                cx.role_text(e)
            );
            f.recommendation = format!(
                "delete role assignment(s) {} of the collector; it needs only the read-only roles",
                access
                    .role_assignments(e)
                    .iter()
                    .map(|x| t.s(t.assignments[x.idx()].id))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            out.push(f);
        }
    }
}
