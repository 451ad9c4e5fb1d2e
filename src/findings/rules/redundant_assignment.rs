//! `redundant-assignment`: a direct role assignment that a group already grants.

use crate::findings::{Context, Finding, Rule, Severity};
use crate::model::SubjectKind;
use crate::resolve::{Access, Identity};

pub struct RedundantAssignment;

impl Rule for RedundantAssignment {
    fn id(&self) -> &'static str {
        "redundant-assignment"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn explanation(&self) -> &'static str {
        "A direct role assignment to a user whose role the user also holds through a group at an equal or broader scope (ORGANIZATION covers its environments, an ENVIRONMENT its populations and applications). Removing the direct assignment changes nothing today, and leaves one place to revoke. A group grant at a narrower scope does not make it redundant. One finding per direct assignment."
    }
    fn check_identity(&self, cx: &Context, id: Identity, access: &Access, out: &mut Vec<Finding>) {
        let Identity::User(u) = id else { return };
        let t = cx.t();
        for e in access.roles.iter().filter(|e| e.direct) {
            for &direct in access.role_assignments(e) {
                let d = &t.assignments[direct.idx()];
                if d.subject.kind != SubjectKind::User {
                    continue;
                }
                // The group-held assignments of the same role whose scope contains this one.
                let mut covering: Vec<(usize, String)> = Vec::new();
                for g in access.roles.iter().filter(|g| g.role_id == e.role_id) {
                    for &ga in access.role_assignments(g) {
                        let a = &t.assignments[ga.idx()];
                        if a.subject.kind != SubjectKind::Group
                            || !t.scope_contains(a.scope, d.scope)
                        {
                            continue;
                        }
                        let Some(group) = t.index.group.get(&a.subject.id) else {
                            continue;
                        };
                        let chain = cx.r.shortest_chain(u, group).unwrap_or_else(|| vec![group]);
                        let text = chain
                            .iter()
                            .map(|&g| t.group_label(g))
                            .collect::<Vec<_>>()
                            .join(" -> ");
                        covering.push((
                            chain.len(),
                            format!(
                                "group {text} (assignment {} @ {}:{})",
                                t.s(a.id),
                                t.scope_kind_str(a.scope.kind),
                                t.scope_name(a.scope)
                            ),
                        ));
                    }
                }
                if covering.is_empty() {
                    continue;
                }
                covering.sort();
                let mut f = cx.role_finding(self, id, e);
                f.scope_type = t.scope_kind_str(d.scope.kind).into();
                f.scope_id = t.s(d.scope.id).into();
                f.detail = format!(
                    "direct assignment {} of {} is also granted through {}",
                    t.s(d.id),
                    cx.role_text(e),
                    covering
                        .iter()
                        .map(|c| c.1.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                f.recommendation = format!(
                    "delete the direct role assignment {} (Users > {} > Roles); the group keeps granting it",
                    t.s(d.id),
                    f.identity_name
                );
                out.push(f);
            }
        }
    }
}
