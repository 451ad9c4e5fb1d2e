//! `orphaned-assignment`: a role assignment pointing at a role or scope that no longer exists.

use crate::findings::{Context, Finding, Rule, Severity};
use crate::model::SubjectKind;

pub struct OrphanedAssignment;

impl Rule for OrphanedAssignment {
    fn id(&self) -> &'static str {
        "orphaned-assignment"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn explanation(&self) -> &'static str {
        "A role assignment whose role, or whose POPULATION, ENVIRONMENT or APPLICATION scope, is not in the snapshot: it was deleted, or the collector could not read it. The assignment may grant nothing today or something unexpected if the id reappears. One finding per assignment, naming its subject (a group's assignment names the group)."
    }
    fn check_tenant(&self, cx: &Context, out: &mut Vec<Finding>) {
        let t = cx.t();
        for a in &t.assignments {
            let role_missing = a.role.is_none();
            let scope_missing = t.scope_is_dangling(a.scope);
            if !role_missing && !scope_missing {
                continue;
            }
            let name = match a.subject.kind {
                SubjectKind::User => t
                    .index
                    .user
                    .get(&a.subject.id)
                    .map(|u| t.users[u.idx()].username),
                SubjectKind::Group => t
                    .index
                    .group
                    .get(&a.subject.id)
                    .map(|g| t.groups[g.idx()].name),
                SubjectKind::Application => t
                    .index
                    .app
                    .get(&a.subject.id)
                    .map(|x| t.applications[x.idx()].name),
                SubjectKind::Gateway => t
                    .index
                    .gateway
                    .get(&a.subject.id)
                    .map(|x| t.gateways[x.idx()].name),
            };
            let mut what = Vec::new();
            if role_missing {
                what.push(format!("role {} is not in the snapshot", t.s(a.role_id)));
            }
            if scope_missing {
                what.push(format!(
                    "{} scope {} is not in the snapshot",
                    t.scope_kind_str(a.scope.kind),
                    t.s(a.scope.id)
                ));
            }
            out.push(Finding {
                rule: self.id(),
                severity: self.severity(),
                identity_type: a.subject.kind.as_str().into(),
                identity_id: t.s(a.subject.id).into(),
                identity_name: name.map_or(String::new(), |n| t.s(n).to_string()),
                entitlement_type: "ROLE".into(),
                entitlement_id: t.s(a.role_id).into(),
                entitlement_name: String::new(),
                scope_type: t.scope_kind_str(a.scope.kind).into(),
                scope_id: t.s(a.scope.id).into(),
                scope_name: String::new(),
                detail: format!("role assignment {}: {}", t.s(a.id), what.join("; ")),
                recommendation: format!(
                    "delete role assignment {} of {} {} (or re-collect if the collector lacked permission to read the role or scope)",
                    t.s(a.id),
                    a.subject.kind.as_str().to_lowercase(),
                    t.s(a.subject.id)
                ),
            });
        }
    }
}
