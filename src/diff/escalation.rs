//! Escalation gains (attack paths, section 4) new and lost between two captures.

use std::io;

use rayon::prelude::*;

use super::{Category, Change, DiffRow, Sink};
use crate::findings::{Finding, Severity};
use crate::graph::attack::{AttackGraph, Escalation, Escalations, render};
use crate::resolve::Resolver;
use crate::resolve::labels::identity_columns;

/// One capture's attack graph, its escalations and its findings (which reuse the search).
pub(super) struct Side<'r> {
    graph: AttackGraph<'r>,
    escalations: Escalations,
    pub findings: Vec<Finding>,
}

impl<'r> Side<'r> {
    pub fn new(r: &'r Resolver<'r>) -> Side<'r> {
        let graph = AttackGraph::build(r);
        let escalations = Escalations::compute(&graph);
        let findings = super::side_findings(r, &graph, &escalations);
        Side {
            graph,
            escalations,
            findings,
        }
    }
}

/// Escalation key: identity type and id, role id, scope type and id; borrowed from the tenant,
/// computed when compared rather than stored (a large tenant has millions of escalation rows).
type GainKey<'a> = (&'static str, &'a str, &'a str, &'a str, &'a str);

fn key<'a>(g: &'a AttackGraph, e: &Escalation) -> GainKey<'a> {
    let t = g.t;
    let p = g.privilege(e.privilege);
    (
        e.actor.type_str(),
        identity_columns(t, e.actor).0,
        t.s(p.role_id),
        t.scope_kind_str(p.scope.kind),
        t.s(p.scope.id),
    )
}

fn row(g: &AttackGraph, e: &Escalation, change: Change) -> DiffRow {
    let t = g.t;
    let p = g.privilege(e.privilege);
    let tier_zero = t.is_tier_zero_role(p.role);
    let mut r = match (change, tier_zero) {
        (Change::Gained, true) => DiffRow::new(Category::Escalation, change, Severity::Critical, 0),
        (Change::Gained, false) => DiffRow::new(Category::Escalation, change, Severity::High, 3),
        _ => DiffRow::new(Category::Escalation, change, Severity::Info, 8),
    };
    let (iid, name, _, _) = identity_columns(t, e.actor);
    r.identity_type = e.actor.type_str().to_string();
    r.identity_id = iid.to_string();
    r.identity_name = name.to_string();
    r.entitlement_type = "ROLE".into();
    r.entitlement_id = t.s(p.role_id).to_string();
    r.entitlement_name = p
        .role
        .map_or(String::new(), |x| t.s(t.roles[x.idx()].name).to_string());
    r.scope_type = t.scope_kind_str(p.scope.kind).to_string();
    r.scope_id = t.s(p.scope.id).to_string();
    r.scope_name = t.scope_target_name(p.scope).unwrap_or("").to_string();
    let mut path = String::new();
    render::path_text(g, e.actor, None, e.path, &mut path);
    r.detail = format!(
        "{} step{}: {path}",
        e.steps,
        if e.steps == 1 { "" } else { "s" }
    );
    r
}

/// A side's escalation rows in key order.
fn sorted<'s>(s: &'s Side) -> Vec<Escalation<'s>> {
    let mut v: Vec<Escalation> = s.escalations.rows().collect();
    v.par_sort_by(|x, y| key(&s.graph, x).cmp(&key(&s.graph, y)));
    v
}

/// Escalation gains new and removed: a new path to Organization or Environment Admin leads the
/// diff (critical), other new gains follow privileged access (high); removed gains are
/// informational. Gained rows first, then lost ones, each in key order.
pub(super) fn changes(a: &Side, b: &Side, sink: &mut Sink) -> io::Result<()> {
    let (old, new) = rayon::join(|| sorted(a), || sorted(b));
    // Gained: in the new capture and not the old; lost: the reverse.
    for (from, to, change) in [(b, a, Change::Gained), (a, b, Change::Lost)] {
        let (these, others) = match change {
            Change::Gained => (&new, &old),
            _ => (&old, &new),
        };
        let mut j = 0;
        for e in these {
            let k = key(&from.graph, e);
            while j < others.len() && key(&to.graph, &others[j]) < k {
                j += 1;
            }
            if j < others.len() && key(&to.graph, &others[j]) == k {
                continue;
            }
            sink.push(row(&from.graph, e, change))?;
        }
    }
    Ok(())
}
