//! `nesting-cycle`: groups nested in each other.

use crate::findings::{Context, Finding, Rule, Severity};

pub struct NestingCycle;

impl Rule for NestingCycle {
    fn id(&self) -> &'static str {
        "nesting-cycle"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn explanation(&self) -> &'static str {
        "A cycle of group nesting (a strongly connected set of two or more groups, or a group nested in itself). PingOne allows it and every group of the cycle ends up with the same members, which is rarely what was meant and makes access hard to reason about. One finding per cycle, named by its smallest group id."
    }
    fn check_tenant(&self, cx: &Context, out: &mut Vec<Finding>) {
        let t = cx.t();
        for &c in &cx.r.closure.cycles {
            let members = cx.r.closure.scc_members.row(c as usize);
            let mut ids: Vec<(&str, &str)> = members
                .iter()
                .map(|g| (t.s(t.groups[g.idx()].id), t.s(t.groups[g.idx()].name)))
                .collect();
            ids.sort();
            let Some(&(first, _)) = ids.first() else {
                continue;
            };
            let listed: Vec<String> = ids
                .iter()
                .map(|(id, name)| format!("{name} ({id})"))
                .collect();
            let edges: Vec<String> = members
                .iter()
                .flat_map(|&g| {
                    cx.r.closure
                        .parents
                        .row(g.idx())
                        .iter()
                        .filter(|p| members.contains(p))
                        .map(move |&p| (g, p))
                })
                .map(|(c, p)| format!("{} in {}", t.group_label(c), t.group_label(p)))
                .collect();
            out.push(Finding {
                rule: self.id(),
                severity: self.severity(),
                identity_type: String::new(),
                identity_id: String::new(),
                identity_name: String::new(),
                entitlement_type: "GROUP".into(),
                entitlement_id: first.into(),
                entitlement_name: String::new(),
                scope_type: String::new(),
                scope_id: String::new(),
                scope_name: String::new(),
                detail: format!(
                    "{} groups nested in a cycle: {}",
                    ids.len(),
                    listed.join(", ")
                ),
                recommendation: format!(
                    "remove one of the nestings ({}) so that membership flows one way",
                    edges.join("; ")
                ),
            });
        }
    }
}
