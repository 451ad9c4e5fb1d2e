//! `p1graph summary`: the shape of a tenant in numbers, as a readable table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rayon::prelude::*;

use crate::model::*;
use crate::resolve::{Access, Resolver};

/// Counts that describe a tenant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub organization: String,
    pub captured_at: String,
    pub environments: usize,
    pub populations: usize,
    pub users: usize,
    pub users_enabled: usize,
    pub groups: usize,
    pub dynamic_groups: usize,
    pub memberships: usize,
    pub nestings: usize,
    pub max_nesting_depth: u32,
    pub nesting_cycles: usize,
    pub roles_builtin: usize,
    pub roles_custom: usize,
    pub assignments_by_subject: BTreeMap<String, usize>,
    pub assignments_by_scope: BTreeMap<String, usize>,
    pub applications_by_access: BTreeMap<String, usize>,
    pub worker_applications: usize,
    pub gateways: usize,
    pub resources: usize,
    pub scopes: usize,
    pub grants: usize,
    pub activities_window: String,
    pub admins: usize,
    pub privileged_admins: usize,
    pub warnings: u64,
    pub coverage_gaps: usize,
    /// The collections not collected (M10), as `path (status)`.
    pub not_collected: Vec<String>,
    /// Environments whose activities were not collected: no claim of disuse (M8).
    pub activities_unobserved: usize,
}

/// Computes the summary; admins are counted over users, worker applications and gateways.
pub fn summarize(r: &Resolver) -> Summary {
    let t = r.t;
    let ids = r.identities_in_order();
    let (admins, privileged) = ids
        .par_iter()
        .map_init(Access::default, |a, &id| {
            // Roles only: applications do not make an admin.
            r.resolve_roles(id, a);
            let admin = !a.roles.is_empty();
            (admin as usize, (admin && r.is_privileged(a)) as usize)
        })
        .reduce(|| (0, 0), |x, y| (x.0 + y.0, x.1 + y.1));
    let mut by_subject = BTreeMap::new();
    let mut by_scope = BTreeMap::new();
    for a in &t.assignments {
        *by_subject
            .entry(a.subject.kind.as_str().to_string())
            .or_insert(0) += 1;
        *by_scope
            .entry(t.scope_kind_str(a.scope.kind).to_string())
            .or_insert(0) += 1;
    }
    let mut by_access = BTreeMap::new();
    let mut workers = 0;
    for a in &t.applications {
        if AppKind::parse(t.s(a.kind)) == AppKind::Worker {
            workers += 1;
            continue;
        }
        let group = a.access.effective_group_rule().map(|g| match g.kind {
            GroupRuleKind::AllGroups => "ALL_GROUPS",
            _ => "ANY_GROUP",
        });
        let k = match (a.access.admin_users_only, group) {
            (false, None) => "open".to_string(),
            (true, None) => "ADMIN_USERS_ONLY".to_string(),
            (false, Some(g)) => g.to_string(),
            (true, Some(g)) => format!("ADMIN_USERS_ONLY + {g}"),
        };
        let k = if a.enabled {
            k
        } else {
            format!("{k} (disabled)")
        };
        *by_access.entry(k).or_insert(0) += 1;
    }
    Summary {
        organization: format!("{} ({})", t.s(t.organization.name), t.s(t.organization.id)),
        captured_at: t
            .manifest
            .captured_at
            .map_or("unknown".into(), |c| c.to_rfc3339()),
        environments: t.environments.len(),
        populations: t.populations.len(),
        users: t.users.len(),
        users_enabled: t.users.iter().filter(|u| u.is_active()).count(),
        groups: t.groups.len(),
        dynamic_groups: t
            .groups
            .iter()
            .filter(|g| !g.user_filter.is_empty())
            .count(),
        memberships: t.memberships.len(),
        nestings: t.nestings.len(),
        max_nesting_depth: r.closure.max_depth,
        nesting_cycles: r.closure.cycles.len(),
        roles_builtin: t.roles.iter().filter(|r| r.builtin).count(),
        roles_custom: t.roles.iter().filter(|r| !r.builtin).count(),
        assignments_by_subject: by_subject,
        assignments_by_scope: by_scope,
        applications_by_access: by_access,
        worker_applications: workers,
        gateways: t.gateways.len(),
        resources: t.resources.len(),
        scopes: t.scopes.len(),
        grants: t.grants.len(),
        activities_window: t
            .manifest
            .activities
            .map_or("not collected".into(), |(f, to)| format!("{f} .. {to}")),
        admins,
        privileged_admins: privileged,
        warnings: t.warnings.total(),
        coverage_gaps: t.manifest.coverage.len(),
        not_collected: t
            .manifest
            .coverage
            .iter()
            .map(|c| format!("{} ({})", c.collection, c.status))
            .collect(),
        activities_unobserved: t.activity_gaps().len(),
    }
}

impl Summary {
    /// `0`, or the count and the first few collections not collected (M10).
    fn coverage_text(&self) -> String {
        const SHOWN: usize = 4;
        if self.not_collected.is_empty() {
            return "0".into();
        }
        let mut s = format!(
            "{} not collected: {}",
            self.coverage_gaps,
            self.not_collected
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
        if self.not_collected.len() > SHOWN {
            s.push_str(&format!(" and {} more", self.not_collected.len() - SHOWN));
        }
        if self.activities_unobserved > 0 {
            s.push_str("; activities incomplete, so no role is called unused");
        }
        s
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut rows: Vec<(String, String)> = vec![
            ("organization".into(), self.organization.clone()),
            ("captured at".into(), self.captured_at.clone()),
            ("environments".into(), self.environments.to_string()),
            ("populations".into(), self.populations.to_string()),
            (
                "users".into(),
                format!("{} ({} enabled)", self.users, self.users_enabled),
            ),
            (
                "groups".into(),
                format!("{} ({} dynamic)", self.groups, self.dynamic_groups),
            ),
            ("direct memberships".into(), self.memberships.to_string()),
            ("nesting edges".into(), self.nestings.to_string()),
            (
                "max nesting depth".into(),
                self.max_nesting_depth.to_string(),
            ),
            ("nesting cycles".into(), self.nesting_cycles.to_string()),
            (
                "roles".into(),
                format!(
                    "{} built-in, {} custom",
                    self.roles_builtin, self.roles_custom
                ),
            ),
        ];
        for (k, v) in &self.assignments_by_subject {
            rows.push((format!("assignments to {k}"), v.to_string()));
        }
        for (k, v) in &self.assignments_by_scope {
            rows.push((format!("assignments at {k} scope"), v.to_string()));
        }
        for (k, v) in &self.applications_by_access {
            rows.push((format!("applications: {k}"), v.to_string()));
        }
        rows.extend([
            (
                "worker applications".into(),
                self.worker_applications.to_string(),
            ),
            ("gateways".into(), self.gateways.to_string()),
            (
                "resources / scopes / grants".into(),
                format!("{} / {} / {}", self.resources, self.scopes, self.grants),
            ),
            ("activities window".into(), self.activities_window.clone()),
            ("admins (any role)".into(), self.admins.to_string()),
            (
                "privileged admins".into(),
                self.privileged_admins.to_string(),
            ),
            ("input warnings".into(), self.warnings.to_string()),
            ("coverage gaps".into(), self.coverage_text()),
            (
                "access model".into(),
                format!("version {}", crate::model::ACCESS_MODEL_VERSION),
            ),
        ]);
        let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let mut s = String::new();
        for (k, v) in rows {
            let _ = writeln!(s, "{k:<w$}  {v}");
        }
        f.write_str(&s)
    }
}

/// `summary.json` beside the main job's CSVs: what was analysed, how, and what came out, so a
/// report can be traced to its input and reproduced. Deterministic: the same input and options
/// give the same file (no run time; the file's own time says when).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunRecord {
    pub tool: &'static str,
    pub tool_version: &'static str,
    pub access_model_version: u32,
    pub input: InputRecord,
    pub organization_id: String,
    pub organization: String,
    pub captured_at: String,
    pub as_of: String,
    pub thresholds: Thresholds,
    /// Collections that were not collected (M10), as `path (status)`.
    pub coverage_gaps: Vec<String>,
    pub exceptions: Option<ExceptionsRecord>,
    pub counts: Counts,
    /// The tenant's shape, as `p1graph summary --format json` gives it.
    pub summary: Summary,
    pub outputs: Vec<String>,
}

/// Where the input came from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputRecord {
    pub path: String,
    /// `snapshot` or `export`.
    pub kind: &'static str,
    /// See [`crate::input::digest`].
    pub sha256: String,
}

/// The judgement thresholds of the run (access model M9).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Thresholds {
    pub dormant_days: i64,
    pub usage_days: i64,
    pub min_severity: Option<String>,
    pub fail_on: Option<String>,
}

/// The exceptions file and what it did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExceptionsRecord {
    pub path: String,
    pub sha256: String,
    pub suppressed: usize,
    pub expired: usize,
    pub stale: usize,
}

/// What the run produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Counts {
    pub identities: u64,
    pub access_rows: u64,
    pub findings: usize,
    pub findings_by_severity: BTreeMap<String, usize>,
    pub findings_by_rule: BTreeMap<String, usize>,
    pub escalation_rows: u64,
    /// Identities that can reach Organization or Environment Admin through attack paths.
    pub tier_zero_reachable: usize,
}
