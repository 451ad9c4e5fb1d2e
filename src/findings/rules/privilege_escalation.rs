//! `privilege-escalation` (attack-path model, section 5): an actor that can gain the built-in
//! Organization Admin or Environment Admin role through what its own roles let it do.
//!
//! It runs the attack-path engine once over the whole tenant ([`crate::graph::attack`]), so it is
//! a tenant rule: one finding per (actor, gained privilege) of those two roles.

use crate::findings::{Context, Finding, Rule, Severity};
use crate::graph::attack::render::{path_text, privilege_label};
use crate::graph::attack::{AttackGraph, Escalations};
use crate::resolve::RoleEnt;

pub struct PrivilegeEscalation;

impl Rule for PrivilegeEscalation {
    fn id(&self) -> &'static str {
        "privilege-escalation"
    }
    fn severity(&self) -> Severity {
        Severity::Critical
    }
    fn explanation(&self) -> &'static str {
        "An enabled identity that does not hold the built-in Organization Admin or Environment Admin role at a scope, but can obtain it there by using its own roles: resetting the password of a user who holds it, adding an account it controls to a group that grants it, or assigning it. One finding per identity and gained privilege; the detail gives the least number of steps and one path."
    }
    fn check_tenant(&self, cx: &Context, out: &mut Vec<Finding>) {
        let t = cx.t();
        let built;
        let (g, esc) = match cx.attack {
            Some(a) => a,
            None => {
                let g = AttackGraph::build(cx.r);
                let esc = Escalations::compute(&g);
                built = (g, esc);
                (&built.0, &built.1)
            }
        };
        for e in esc.rows() {
            let p = g.privilege(e.privilege);
            if !t.is_tier_zero_role(p.role) {
                continue;
            }
            let ent = RoleEnt {
                role_id: p.role_id,
                role: p.role,
                scope: p.scope,
                direct: false,
                groups: 0..0,
                assignments: 0..0,
            };
            let mut f = cx.role_finding(self, e.actor, &ent);
            let mut gained = String::new();
            privilege_label(g, e.privilege, &mut gained);
            let mut path = String::new();
            path_text(g, e.actor, Some(e.privilege), e.path, &mut path);
            let mut start = String::new();
            if let Some(&first) = e.path.first() {
                let (a, _, _) = g.edge(first);
                if let crate::graph::attack::AttackNode::Privilege(h) = g.graph[a] {
                    privilege_label(g, h, &mut start);
                }
            }
            f.detail = format!(
                "{} can gain {gained} in {} step{}: {path}",
                f.identity_name,
                e.steps,
                if e.steps == 1 { "" } else { "s" }
            );
            f.recommendation = format!(
                "narrow or remove {}, or protect the accounts, groups and assignments on the path; an identity that may administer tier-zero roles should hold them openly and be reviewed as such",
                if start.is_empty() {
                    "the privilege the path starts from".to_string()
                } else {
                    start
                }
            );
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Config, run};
    use crate::model::builder::TenantBuilder;
    use crate::resolve::Resolver;

    #[test]
    fn privilege_escalation_fires_on_gained_tier_zero_roles_only() {
        let t = TenantBuilder::new("org")
            .env("prod")
            .role(
                "r-oa",
                "Organization Admin",
                &["orgmgt:update:environment"],
                None,
            )
            .applicable_to(&["ORGANIZATION"])
            .role("r-ea", "Environment Admin", &["identity:update:user"], None)
            .applicable_to(&["ORGANIZATION", "ENVIRONMENT"])
            .role("r-hd", "Help Desk Admin", &["dir:reset:userPassword"], None)
            .applicable_to(&["ENVIRONMENT", "POPULATION"])
            // a custom role named like the built-in is not tier zero
            .role("r-fake", "Environment Admin", &[], Some("prod"))
            .user("ana", "prod")
            .user("ben", "prod")
            .user("carl", "prod")
            .assign("x1", "USER", "ana", "r-hd", "ENVIRONMENT", "prod")
            .assign("x2", "USER", "ben", "r-oa", "ORGANIZATION", "org")
            .assign("x3", "USER", "carl", "r-fake", "ENVIRONMENT", "prod")
            .build();
        let r = Resolver::new(&t);
        let found: Vec<(String, String, String, String)> = run(
            &r,
            &Config::for_tenant(&t),
            &[Box::new(PrivilegeEscalation) as Box<dyn Rule>],
        )
        .into_iter()
        .inspect(|f| assert_eq!(f.severity, Severity::Critical))
        .map(|f| (f.identity_id, f.entitlement_id, f.scope_type, f.scope_id))
        .collect();
        let s = |a: &str, b: &str, c: &str, d: &str| (a.into(), b.into(), c.into(), d.into());
        assert_eq!(
            found,
            vec![
                // ana resets ben (Organization Admin), who assigns Environment Admin org-wide.
                s("ana", "r-ea", "ORGANIZATION", "org"),
                s("ana", "r-oa", "ORGANIZATION", "org"),
                s("ben", "r-ea", "ORGANIZATION", "org"),
            ]
        );
    }
}
