//! Excessive-privilege findings (access model, section 4).
//!
//! Each rule is one file under [`rules`] implementing [`Rule`]; [`registry`] lists them. A run
//! resolves every identity once (roles only), in parallel, and hands each identity's access to
//! every rule's per-identity check; rules about the tenant as a whole (applications, nesting,
//! assignments, coverage) run once. Findings are then sorted and deduplicated as the contract
//! says, so the output does not depend on thread scheduling.

pub mod exceptions;
pub mod rank;
pub mod rules;
#[cfg(test)]
mod tests;
pub mod usage;

use std::cmp::Ordering;

use rayon::prelude::*;

use crate::model::key::{Key, Keyed};
use crate::model::*;
use crate::resolve::{Access, Identity, Resolver, RoleEnt};

/// Severity, most severe first.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// 0 for critical .. 4 for info.
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// Is `self` at or above `threshold`?
    pub fn at_least(self, threshold: Severity) -> bool {
        self.rank() <= threshold.rank()
    }
}

/// One finding: a row of the findings export.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub identity_type: String,
    pub identity_id: String,
    pub identity_name: String,
    pub entitlement_type: String,
    pub entitlement_id: String,
    /// The entitlement's name (role, application, group, scope); empty for COLLECTION and when
    /// missing. Filled by [`run`] from the type and id, so rules need not.
    pub entitlement_name: String,
    pub scope_type: String,
    pub scope_id: String,
    /// The scope's name, as in the access export. Filled by [`run`].
    pub scope_name: String,
    pub detail: String,
    pub recommendation: String,
}

crate::model::key::keyed_by_fields!(Finding);

/// The header of the findings export.
pub const FINDINGS_HEADER: &str = "rule,severity,identity_type,identity_id,identity_name,entitlement_type,entitlement_id,entitlement_name,scope_type,scope_id,scope_name,detail,recommendation";

impl Finding {
    /// The key columns: findings equal on these appear once.
    pub fn key(&self) -> (&str, Key<&str>) {
        (self.rule, Keyed::key(self))
    }

    /// The contract's order: severity, rule, identity id, entitlement id, scope id; then the
    /// remaining key columns so that the order is total.
    pub fn order(&self, other: &Finding) -> Ordering {
        (
            self.severity.rank(),
            self.rule,
            &self.identity_id,
            &self.entitlement_id,
            &self.scope_id,
        )
            .cmp(&(
                other.severity.rank(),
                other.rule,
                &other.identity_id,
                &other.entitlement_id,
                &other.scope_id,
            ))
            .then_with(|| self.key().cmp(&other.key()))
    }
}

/// Options of a findings run.
#[derive(Clone, Debug)]
pub struct Config {
    /// M9: the instant every time-based rule is judged at.
    pub as_of: Ts,
    pub dormant_days: i64,
    pub usage_days: i64,
}

impl Config {
    /// Defaults of the access model, judged at the tenant's capture time.
    pub fn for_tenant(t: &Tenant) -> Self {
        Config {
            as_of: t.captured_at(),
            dormant_days: 90,
            usage_days: 14,
        }
    }
}

/// What a rule sees.
pub struct Context<'r, 't> {
    pub r: &'r Resolver<'t>,
    pub cfg: &'r Config,
    /// Were the activities of every environment collected (M8, M10)? Computed once per run.
    pub activities_complete: bool,
    /// The attack graph and its escalations, when the caller already computed them (`analyze`,
    /// `diff`): `privilege-escalation` then reads them instead of searching again.
    pub attack: Option<(
        &'r crate::graph::attack::AttackGraph<'t>,
        &'r crate::graph::attack::Escalations,
    )>,
}

impl<'r, 't> Context<'r, 't> {
    pub fn t(&self) -> &'t Tenant {
        self.r.t
    }

    /// A finding about an identity, with the identity columns filled in.
    pub fn identity_finding(&self, rule: &dyn Rule, id: Identity) -> Finding {
        let (iid, name, _, _) = crate::resolve::labels::identity_columns(self.t(), id);
        Finding {
            rule: rule.id(),
            severity: rule.severity(),
            identity_type: id.type_str().to_string(),
            identity_id: iid.to_string(),
            identity_name: name.to_string(),
            entitlement_type: String::new(),
            entitlement_id: String::new(),
            entitlement_name: String::new(),
            scope_type: String::new(),
            scope_id: String::new(),
            scope_name: String::new(),
            detail: String::new(),
            recommendation: String::new(),
        }
    }

    /// A finding about one role entitlement of an identity.
    pub fn role_finding(&self, rule: &dyn Rule, id: Identity, e: &RoleEnt) -> Finding {
        let t = self.t();
        let mut f = self.identity_finding(rule, id);
        f.entitlement_type = "ROLE".into();
        f.entitlement_id = t.s(e.role_id).to_string();
        f.scope_type = t.scope_kind_str(e.scope.kind).to_string();
        f.scope_id = t.s(e.scope.id).to_string();
        f
    }

    /// `Environment Admin @ ENVIRONMENT:Prod`
    pub fn role_text(&self, e: &RoleEnt) -> String {
        let t = self.t();
        let name = e
            .role
            .map(|r| t.s(t.roles[r.idx()].name))
            .filter(|n| !n.is_empty())
            .unwrap_or(t.s(e.role_id));
        format!(
            "{name} @ {}:{}",
            t.scope_kind_str(e.scope.kind),
            t.scope_name(e.scope)
        )
    }

    /// How an entitlement is held: `direct assignment ra-1` / `through group Ops`.
    pub fn sources_text(&self, a: &Access, e: &RoleEnt) -> String {
        let t = self.t();
        let mut parts = Vec::new();
        if e.direct {
            parts.push("a direct assignment".to_string());
        }
        for g in a.role_groups(e) {
            parts.push(format!("group {}", t.group_label(*g)));
        }
        parts.join(" and ")
    }

    /// Is a role entitlement tier zero (built-in Organization or Environment Admin, or a
    /// privileged role at ORGANIZATION scope)? Such findings are `critical` (section 4).
    pub fn tier_zero(&self, e: &RoleEnt) -> bool {
        self.t().is_tier_zero(e.role, e.scope)
    }

    /// `critical` when any of `roles` is tier zero, else the rule's own severity.
    pub fn severity_for<'a>(
        &self,
        rule: &dyn Rule,
        mut roles: impl Iterator<Item = &'a RoleEnt>,
    ) -> Severity {
        if roles.any(|e| self.tier_zero(e)) {
            Severity::Critical
        } else {
            rule.severity()
        }
    }

    /// Is a role entitlement privileged (M5)?
    pub fn privileged(&self, e: &RoleEnt) -> bool {
        !self.t().role_is_read_only(e.role)
    }
}

/// A finding rule.
pub trait Rule: Sync + Send {
    /// The stable kebab-case id.
    fn id(&self) -> &'static str;
    fn severity(&self) -> Severity;
    /// Does the rule read activities (usage)?
    fn needs_activities(&self) -> bool {
        false
    }
    /// One paragraph for `p1graph rules`.
    fn explanation(&self) -> &'static str;
    /// Checks one identity, given its role entitlements.
    fn check_identity(
        &self,
        _cx: &Context,
        _id: Identity,
        _access: &Access,
        _out: &mut Vec<Finding>,
    ) {
    }
    /// Checks the tenant as a whole.
    fn check_tenant(&self, _cx: &Context, _out: &mut Vec<Finding>) {}
}

/// Every rule, in catalogue order.
pub fn registry() -> Vec<Box<dyn Rule>> {
    rules::all()
}

/// Runs `rules` over the tenant: sorted, deduplicated findings.
pub fn run(r: &Resolver, cfg: &Config, rules: &[Box<dyn Rule>]) -> Vec<Finding> {
    run_with_attack(r, cfg, rules, None)
}

/// [`run`], reusing an attack graph and its escalations the caller has already computed.
pub fn run_with_attack<'r, 't>(
    r: &'r Resolver<'t>,
    cfg: &'r Config,
    rules: &[Box<dyn Rule>],
    attack: Option<(
        &'r crate::graph::attack::AttackGraph<'t>,
        &'r crate::graph::attack::Escalations,
    )>,
) -> Vec<Finding> {
    let cx = Context {
        r,
        cfg,
        activities_complete: r.t.activity_gaps().is_empty(),
        attack,
    };
    let ids = r.identities_in_order();
    let mut out: Vec<Finding> = ids
        .par_chunks(4096)
        .map_init(Access::default, |access, chunk| {
            let mut found = Vec::new();
            for &id in chunk {
                r.resolve_roles(id, access);
                if access.roles.is_empty() {
                    continue;
                }
                for rule in rules {
                    rule.check_identity(&cx, id, access, &mut found);
                }
            }
            found
        })
        .flatten()
        .collect();
    for rule in rules {
        rule.check_tenant(&cx, &mut out);
    }
    out.par_sort_by(|a, b| a.order(b));
    out.dedup_by(|a, b| a.key() == b.key());
    out.par_iter_mut().for_each(|f| fill_names(r.t, f));
    out
}

/// Fills `entitlement_name` and `scope_name` (access model section 4) from the type and id
/// columns, the same way for every rule: ROLE, APPLICATION, GROUP and SCOPE entitlements by
/// their name in the snapshot; scopes as in the access export (RESOURCE scopes by the resource's
/// name). Empty when the target is missing, for COLLECTION, and for unknown types.
pub fn fill_names(t: &Tenant, f: &mut Finding) {
    let sym = |s: &str| t.strings.get(s);
    let ent = sym(&f.entitlement_id).and_then(|id| match f.entitlement_type.as_str() {
        "ROLE" => t.index.role.get(&id).map(|r| t.roles[r.idx()].name),
        "APPLICATION" => t.index.app.get(&id).map(|a| t.applications[a.idx()].name),
        "GROUP" => t.index.group.get(&id).map(|g| t.groups[g.idx()].name),
        "SCOPE" => t.index.scope.get(&id).map(|s| t.scopes[s.idx()].name),
        _ => None,
    });
    f.entitlement_name = ent.map_or(String::new(), |n| t.s(n).to_string());
    let scope = sym(&f.scope_id).and_then(|id| {
        if f.scope_type == "RESOURCE" {
            return t
                .index
                .resource
                .get(&id)
                .map(|r| t.s(t.resources[r.idx()].name));
        }
        // The raw symbol only matters for unknown types, which have no name anyway.
        let kind = ScopeKind::parse(&f.scope_type, Sym::EMPTY);
        t.scope_target_name(ScopeRef { kind, id })
    });
    f.scope_name = scope.unwrap_or("").to_string();
}
