//! What a reviewer should read first: findings ranked for tables, and rolled up per identity.
//!
//! The exports keep the contract's order (severity, rule, ids); a person reading a terminal needs
//! a different one. Within a severity, a finding over the whole organization outranks one over an
//! environment, which outranks a population or an application; a tier-zero role (Organization or
//! Environment Admin) outranks other privileges. And because one noisy rule (every admin without
//! MFA on a large tenant) would otherwise fill the screen, the table shows a few findings of every
//! rule before the rest of any rule.

use std::collections::BTreeMap;

use super::{Finding, Severity};
use crate::model::Tenant;

/// How many findings of each rule come before any rule's remainder.
pub const PER_RULE_FIRST: usize = 3;

/// Breadth of a finding's scope: 0 is the whole organization.
pub fn breadth(scope_type: &str) -> u8 {
    match scope_type {
        "ORGANIZATION" => 0,
        "ENVIRONMENT" => 1,
        "POPULATION" => 2,
        "GROUP" => 3,
        "APPLICATION" => 4,
        "" => 6,
        _ => 5,
    }
}

/// Privilege of a finding's entitlement: 0 for a tier-zero role, 1 for another role, 2 otherwise.
pub fn privilege(t: &Tenant, f: &Finding) -> u8 {
    if f.entitlement_type != "ROLE" {
        return 2;
    }
    let role = t
        .strings
        .get(&f.entitlement_id)
        .and_then(|s| t.index.role.get(&s).copied());
    if t.is_tier_zero_role(role) { 0 } else { 1 }
}

/// The table order of `found`: first up to [`PER_RULE_FIRST`] findings of every rule (by
/// severity, then breadth, privilege, rule and identity name), then every remaining finding in
/// the same order. The head of the table is thus every rule that fired, worst first, however
/// noisy one of them is.
pub fn ranked<'f>(t: &Tenant, found: &'f [Finding]) -> Vec<&'f Finding> {
    let key = |f: &Finding| {
        (
            f.severity,
            breadth(&f.scope_type),
            privilege(t, f),
            f.rule,
            f.identity_name.to_lowercase(),
            f.identity_id.clone(),
            f.entitlement_id.clone(),
            f.scope_id.clone(),
        )
    };
    let mut keyed: Vec<_> = found.iter().map(|f| (key(f), f)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut firsts = Vec::new();
    let mut rest = Vec::new();
    let mut taken: BTreeMap<(Severity, &str), usize> = BTreeMap::new();
    for (_, f) in keyed {
        let n = taken.entry((f.severity, f.rule)).or_default();
        if *n < PER_RULE_FIRST {
            *n += 1;
            firsts.push(f);
        } else {
            rest.push(f);
        }
    }
    firsts.extend(rest);
    firsts
}

/// How many findings [`ranked`] puts before the remainders.
pub fn head_len(found: &[Finding]) -> usize {
    rules_fired(found)
        .iter()
        .map(|&(_, _, n)| n.min(PER_RULE_FIRST))
        .sum()
}

/// Every rule that fired, worst first: (severity, rule, count).
pub fn rules_fired(found: &[Finding]) -> Vec<(Severity, &'static str, usize)> {
    let mut m: BTreeMap<(Severity, &'static str), usize> = BTreeMap::new();
    for f in found {
        *m.entry((f.severity, f.rule)).or_default() += 1;
    }
    let mut v: Vec<_> = m.into_iter().map(|((s, r), n)| (s, r, n)).collect();
    // Worst first; within a severity, the rule with most findings first.
    v.sort_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)).then(a.1.cmp(b.1)));
    v
}

/// One identity's findings rolled up.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IdentityRisk {
    pub identity_type: String,
    pub identity_id: String,
    pub identity_name: String,
    /// The worst severity among its findings.
    pub worst: Severity,
    /// Findings per severity, most severe first: critical, high, medium, low, info.
    pub counts: [usize; 5],
    pub findings: usize,
    /// Its rules, worst first, each once.
    pub rules: Vec<&'static str>,
    /// The broadest scope among its findings (`ORGANIZATION`, ...).
    pub broadest_scope: String,
}

/// Findings per identity, worst first: by worst severity, then the counts per severity (more
/// critical findings first, then more high ones, ...), then the broadest scope, then name.
/// Findings without an identity (collections, applications' rules) are left out.
pub fn by_identity(found: &[Finding]) -> Vec<IdentityRisk> {
    let mut m: BTreeMap<(&str, &str), IdentityRisk> = BTreeMap::new();
    for f in found.iter().filter(|f| !f.identity_id.is_empty()) {
        let e = m
            .entry((&f.identity_type, &f.identity_id))
            .or_insert_with(|| IdentityRisk {
                identity_type: f.identity_type.clone(),
                identity_id: f.identity_id.clone(),
                identity_name: f.identity_name.clone(),
                worst: f.severity,
                counts: [0; 5],
                findings: 0,
                rules: Vec::new(),
                broadest_scope: f.scope_type.clone(),
            });
        e.worst = e.worst.min(f.severity);
        e.counts[f.severity.rank() as usize] += 1;
        e.findings += 1;
        if !e.rules.contains(&f.rule) {
            e.rules.push(f.rule);
        }
        if breadth(&f.scope_type) < breadth(&e.broadest_scope) {
            e.broadest_scope = f.scope_type.clone();
        }
    }
    let severity_of: BTreeMap<&str, Severity> =
        found.iter().map(|f| (f.rule, f.severity)).collect();
    let mut v: Vec<IdentityRisk> = m.into_values().collect();
    for r in &mut v {
        r.rules
            .sort_by_key(|rule| (severity_of.get(rule).copied(), *rule));
    }
    v.sort_by(|a, b| {
        a.worst
            .cmp(&b.worst)
            .then_with(|| b.counts.cmp(&a.counts))
            .then_with(|| breadth(&a.broadest_scope).cmp(&breadth(&b.broadest_scope)))
            .then_with(|| {
                a.identity_name
                    .to_lowercase()
                    .cmp(&b.identity_name.to_lowercase())
            })
            .then_with(|| a.identity_id.cmp(&b.identity_id))
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(rule: &'static str, sev: Severity, who: &str, scope: &str) -> Finding {
        Finding {
            rule,
            severity: sev,
            identity_type: "USER".into(),
            identity_id: format!("id-{who}"),
            identity_name: who.into(),
            entitlement_type: "ROLE".into(),
            entitlement_id: "r".into(),
            entitlement_name: String::new(),
            scope_type: scope.into(),
            scope_id: "s".into(),
            scope_name: String::new(),
            detail: String::new(),
            recommendation: String::new(),
        }
    }

    #[test]
    fn a_noisy_rule_does_not_hide_a_quiet_one() {
        let t = Tenant::default();
        let mut found: Vec<Finding> = (0..50)
            .map(|i| {
                f(
                    "admin-without-mfa",
                    Severity::High,
                    &format!("u{i:02}"),
                    "ENVIRONMENT",
                )
            })
            .collect();
        found.push(f(
            "over-privileged-worker",
            Severity::High,
            "zz-worker",
            "ENVIRONMENT",
        ));
        let r = ranked(&t, &found);
        assert_eq!(r.len(), 51);
        let pos = r
            .iter()
            .position(|x| x.rule == "over-privileged-worker")
            .unwrap();
        assert!(pos <= PER_RULE_FIRST, "the quiet rule comes at {pos}");
    }

    #[test]
    fn severity_then_breadth() {
        let t = Tenant::default();
        let found = vec![
            f("a", Severity::High, "x", "POPULATION"),
            f("a", Severity::High, "y", "ORGANIZATION"),
            f("b", Severity::Critical, "z", "APPLICATION"),
        ];
        let r: Vec<&str> = ranked(&t, &found)
            .iter()
            .map(|x| x.identity_name.as_str())
            .collect();
        assert_eq!(r, ["z", "y", "x"]);
    }

    #[test]
    fn identities_roll_up_worst_first() {
        let found = vec![
            f("a", Severity::High, "x", "POPULATION"),
            f("b", Severity::Low, "x", "ORGANIZATION"),
            f("a", Severity::High, "y", "ENVIRONMENT"),
            f("c", Severity::Critical, "w", "APPLICATION"),
        ];
        let v = by_identity(&found);
        let names: Vec<&str> = v.iter().map(|x| x.identity_name.as_str()).collect();
        // w has a critical; x has a high and a low, so more findings than y's single high.
        assert_eq!(names, ["w", "x", "y"]);
        assert_eq!(v[1].counts, [0, 1, 0, 1, 0]);
        assert_eq!(v[1].rules, ["a", "b"]);
        assert_eq!(v[1].broadest_scope, "ORGANIZATION");
    }

    #[test]
    fn rules_fired_lists_each_rule_once_worst_first() {
        let found = vec![
            f("a", Severity::High, "x", ""),
            f("a", Severity::High, "y", ""),
            f("b", Severity::Critical, "z", ""),
            f("c", Severity::High, "z", ""),
        ];
        let r = rules_fired(&found);
        assert_eq!(
            r,
            [
                (Severity::Critical, "b", 1),
                (Severity::High, "a", 2),
                (Severity::High, "c", 1)
            ]
        );
    }
}
