//! `review plan`: the PingOne API operations that would carry out the `revoke` decisions.
//!
//! p1graph is read-only by design: it never calls these operations. The plan is computed against
//! the very snapshot the campaign was started from (its hash is checked by the caller), so each
//! operation names the exact role assignment or membership that reviewers saw. Access that does
//! not come from the identity's own assignment or membership (an open application, a group's
//! role assignment, a nesting edge) cannot be removed for one identity alone; the plan states the
//! change needed and every other identity it would affect.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use serde::Serialize;

use super::campaign::CampaignManifest;
use super::grants::{Ent, EntKind, Granted, Groups, access_ents, membership_ent};
use super::sheet::{Campaign, col};
use crate::model::*;
use crate::resolve::{Access, Identity, Resolver};

/// Other identities listed per change (the total is always given).
pub const AFFECTS_LISTED: usize = 1000;

/// One API call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Operation {
    pub method: &'static str,
    /// Relative to the management API base, e.g. `/environments/E/users/U/roleAssignments/RA`.
    pub path: String,
    pub description: String,
    /// Other entitlements of the same identity that arrive through what this removes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_removes: Vec<String>,
}

/// A change that is not one identity's own: who else it affects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<Operation>,
    /// Other identities affected (labels), sorted, at most [`AFFECTS_LISTED`].
    pub affects: Vec<String>,
    pub affects_total: u64,
}

/// How one membership goes: an operation, or a change when it cannot be deleted.
enum Removal {
    Op(Operation),
    Change(Change),
}

/// The plan for one `revoke` row.
/// The name of a sheet row's scope in `t`, or empty.
fn scope_name(t: &Tenant, kind: &str, id: &str) -> String {
    let Some(id) = t.strings.get(id) else {
        return String::new();
    };
    let scope = ScopeRef {
        kind: ScopeKind::parse(kind, Sym::EMPTY),
        id,
    };
    t.scope_target_name(scope).unwrap_or("").to_string()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanItem {
    pub sheet: String,
    pub line: u64,
    pub row_id: String,
    pub identity_type: String,
    pub identity_id: String,
    pub identity_name: String,
    pub entitlement_type: String,
    pub entitlement_id: String,
    pub entitlement_name: String,
    pub scope_type: String,
    pub scope_id: String,
    /// The scope's name in the campaign's input (empty when it has none).
    pub scope_name: String,
    pub granted: String,
    pub comment: String,
    /// Operations that together remove this access for this identity.
    pub operations: Vec<Operation>,
    /// Changes needed instead of (or besides) identity-level operations.
    pub changes: Vec<Change>,
    pub notes: Vec<String>,
}

crate::model::key::keyed_by_fields!(PlanItem);

/// The remediation plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub campaign_id: String,
    pub input_sha256: String,
    pub api_base: String,
    pub revokes: usize,
    pub items: Vec<PlanItem>,
}

/// The management API base of a region (API.md 1.1); North America when unknown.
pub fn api_base(region: &str) -> &'static str {
    match region.to_ascii_uppercase().as_str() {
        "EU" => "https://api.pingone.eu/v1",
        "CA" => "https://api.pingone.ca/v1",
        "AU" => "https://api.pingone.com.au/v1",
        "SG" => "https://api.pingone.sg/v1",
        "AP" | "ASIA" => "https://api.pingone.asia/v1",
        _ => "https://api.pingone.com/v1",
    }
}

struct Planner<'a, 't> {
    r: &'a Resolver<'t>,
    groups: Option<Groups>,
    /// Members (users, sorted labels) of a group, by its closure: cached.
    members: HashMap<GroupId, Vec<String>>,
    /// Users (sorted labels) of an environment: cached.
    env_users: HashMap<EnvId, Vec<String>>,
}

/// Everyone in `all` but `me`: at most [`AFFECTS_LISTED`] of them, and how many there are.
fn cap_others(all: &[String], me: &str) -> (Vec<String>, u64) {
    let total = all.iter().filter(|l| *l != me).count() as u64;
    let listed = all
        .iter()
        .filter(|l| *l != me)
        .take(AFFECTS_LISTED)
        .cloned()
        .collect();
    (listed, total)
}

fn user_label(t: &Tenant, u: UserId) -> String {
    let user = &t.users[u.idx()];
    format!("user:{} ({})", t.s(user.username), t.s(user.id))
}

fn group_name(t: &Tenant, g: GroupId) -> String {
    format!("`{}`", t.group_label(g))
}

impl<'a, 't> Planner<'a, 't> {
    fn t(&self) -> &'t Tenant {
        self.r.t
    }

    fn groups(&mut self) -> &Groups {
        let t = self.r.t;
        self.groups.get_or_insert_with(|| Groups::new(t))
    }

    /// Every user in group `g` (through nesting too), as labels.
    fn members_of(&mut self, g: GroupId) -> &Vec<String> {
        if !self.members.contains_key(&g) {
            let t = self.r.t;
            let r = self.r;
            let gs = self.groups();
            let mut v: Vec<String> = (0..t.users.len())
                .map(UserId::from_idx)
                .filter(|&u| {
                    r.direct_groups(u)
                        .iter()
                        .any(|&d| gs.all.distance(d, g).is_some())
                })
                .map(|u| user_label(t, u))
                .collect();
            v.sort();
            self.members.insert(g, v);
        }
        &self.members[&g]
    }

    fn others(&mut self, g: GroupId, me: &str) -> (Vec<String>, u64) {
        let all = self.members_of(g);
        cap_others(all, me)
    }

    /// Every user of environment `env`, as sorted labels: cached.
    fn env_users(&mut self, env: EnvId) -> &Vec<String> {
        let t = self.r.t;
        self.env_users.entry(env).or_insert_with(|| {
            let mut v: Vec<String> = (0..t.users.len())
                .map(UserId::from_idx)
                .filter(|&x| t.users[x.idx()].env == env)
                .map(|x| user_label(t, x))
                .collect();
            v.sort();
            v
        })
    }

    /// Removing user `u` from direct group `d`: the operation, or a change when the membership
    /// is dynamic.
    fn remove_membership(
        &self,
        u: UserId,
        d: GroupId,
        reaches: &str,
        all: &[Ent],
        own: &str,
    ) -> Removal {
        let t = self.t();
        let user = &t.users[u.idx()];
        let kind = t
            .memberships
            .binary_search_by_key(&(u, d), |m| (m.user, m.group))
            .ok()
            .map_or("", |i| t.s(t.memberships[i].kind));
        let grp = &t.groups[d.idx()];
        let dg = t.s(grp.id);
        let also: Vec<String> = all
            .iter()
            .filter(|e| e.via_groups.contains(&d))
            .map(|e| {
                format!(
                    "{} {} @ {}:{}",
                    e.ent_type,
                    ent_text(t, e),
                    e.scope_type,
                    t.s(e.scope_id)
                )
            })
            .filter(|x| x != own)
            .collect();
        if kind.eq_ignore_ascii_case("DYNAMIC") || !grp.user_filter.is_empty() && kind.is_empty() {
            return Removal::Change(Change {
                description: format!(
                    "{} is in group {} by its dynamic filter `{}`: change the user's attributes or the group's filter{reaches}",
                    user_label(t, u),
                    group_name(t, d),
                    t.s(grp.user_filter)
                ),
                operation: None,
                affects: Vec::new(),
                affects_total: 0,
            });
        }
        Removal::Op(Operation {
            method: "DELETE",
            path: format!(
                "/environments/{}/users/{}/memberOfGroups/{dg}",
                t.s(t.environments[user.env.idx()].id),
                t.s(user.id)
            ),
            description: format!(
                "remove {} from group {}{reaches}",
                user_label(t, u),
                group_name(t, d)
            ),
            also_removes: also,
        })
    }

    fn plan_row(&mut self, item: &mut PlanItem, id: Identity, access: &mut Access) {
        let r = self.r;
        let t = r.t;
        let mut ents = Vec::new();
        match (item.entitlement_type.as_str(), id) {
            ("GROUP", Identity::User(u)) => {
                r.resolve(id, access);
                access_ents(r, access, true, true, &mut ents);
                let target = t
                    .strings
                    .get(&item.entitlement_id)
                    .and_then(|s| t.index.group.get(&s));
                let Some(g) = target else {
                    item.notes.push("the group is not in the snapshot".into());
                    return;
                };
                let gs = self.groups();
                if !gs.of_user(r, u).contains(&g) {
                    item.notes
                        .push("the user is not a member of the group in the snapshot".into());
                    return;
                }
                let e = membership_ent(r, gs, u, g);
                let chains: Vec<(GroupId, Option<Vec<GroupId>>)> = e
                    .via_groups
                    .iter()
                    .map(|&d| (d, gs.all.chain(d, g)))
                    .collect();
                let me = user_label(t, u);
                let own = String::new();
                for (d, chain) in chains {
                    let reaches = if d == g {
                        String::new()
                    } else {
                        format!(" (nested in {})", group_name(t, g))
                    };
                    match self.remove_membership(u, d, &reaches, &ents, &own) {
                        Removal::Op(op) => item.operations.push(op),
                        Removal::Change(c) => item.changes.push(c),
                    }
                    if d != g
                        && let Some(chain) = chain
                        && chain.len() >= 2
                    {
                        let (child, parent) = (chain[0], chain[1]);
                        let (affects, total) = self.others(child, &me);
                        item.changes.push(Change {
                            description: format!(
                                "alternative: remove the nesting of group {} in {}; every member of {} loses {} and what it grants",
                                group_name(t, child),
                                group_name(t, parent),
                                group_name(t, child),
                                group_name(t, g)
                            ),
                            operation: Some(Operation {
                                method: "DELETE",
                                path: format!(
                                    "/environments/{}/groups/{}/memberOfGroups/{}",
                                    t.s(t.environments[t.groups[child.idx()].env.idx()].id),
                                    t.s(t.groups[child.idx()].id),
                                    t.s(t.groups[parent.idx()].id)
                                ),
                                description: "delete the nesting edge".into(),
                                also_removes: Vec::new(),
                            }),
                            affects,
                            affects_total: total,
                        });
                    }
                }
            }
            ("GROUP", _) => item.notes.push("only users are group members".into()),
            (kind, _) => {
                r.resolve(id, access);
                access_ents(r, access, true, true, &mut ents);
                let Some(e) = ents.iter().find(|e| {
                    e.ent_type == kind
                        && t.s(e.ent_id) == item.entitlement_id
                        && e.scope_type == item.scope_type
                        && t.s(e.scope_id) == item.scope_id
                }) else {
                    item.notes
                        .push("the entitlement is not in the snapshot".into());
                    return;
                };
                let e = e.clone();
                match e.kind {
                    EntKind::Role(i) => self.plan_role(item, id, access, i, &e, &ents),
                    EntKind::App(i) => self.plan_app(item, id, access, i, &e, &ents),
                    EntKind::Group(_) => {}
                }
            }
        }
    }

    fn plan_role(
        &mut self,
        item: &mut PlanItem,
        id: Identity,
        access: &Access,
        i: usize,
        e: &Ent,
        ents: &[Ent],
    ) {
        let t = self.t();
        let own = format!(
            "{} {} @ {}:{}",
            e.ent_type,
            ent_text(t, e),
            e.scope_type,
            t.s(e.scope_id)
        );
        let re = &access.roles[i];
        let (iid, _, _, _) = crate::resolve::labels::identity_columns(t, id);
        let mut group_assignments = Vec::new();
        for &aid in access.role_assignments(re) {
            let a = &t.assignments[aid.idx()];
            let env = t.s(t.environments[a.env.idx()].id);
            let seg = match a.subject.kind {
                SubjectKind::User => "users",
                SubjectKind::Application => "applications",
                SubjectKind::Gateway => "gateways",
                SubjectKind::Group => {
                    group_assignments.push(aid);
                    continue;
                }
            };
            if t.s(a.subject.id) != iid {
                continue;
            }
            item.operations.push(Operation {
                method: "DELETE",
                path: format!(
                    "/environments/{env}/{seg}/{}/roleAssignments/{}",
                    t.s(a.subject.id),
                    t.s(a.id)
                ),
                description: format!("delete the direct role assignment `{}`", t.s(a.id)),
                also_removes: Vec::new(),
            });
        }
        let Identity::User(u) = id else { return };
        if group_assignments.is_empty() {
            return;
        }
        let me = user_label(t, u);
        let holders: Vec<String> = access
            .role_groups(re)
            .iter()
            .map(|&g| group_name(t, g))
            .collect();
        let reaches = format!(
            " (through it the user holds the role from group {})",
            holders.join(", ")
        );
        for &d in &e.via_groups {
            match self.remove_membership(u, d, &reaches, ents, &own) {
                Removal::Op(op) => item.operations.push(op),
                Removal::Change(c) => item.changes.push(c),
            }
        }
        for aid in group_assignments {
            let a = &t.assignments[aid.idx()];
            let Some(g) = t.index.group.get(&a.subject.id) else {
                continue;
            };
            let (affects, total) = self.others(g, &me);
            item.changes.push(Change {
                description: format!(
                    "alternative: delete group {}'s role assignment `{}`; every other member of the group loses the role",
                    group_name(t, g),
                    t.s(a.id)
                ),
                operation: Some(Operation {
                    method: "DELETE",
                    path: format!(
                        "/environments/{}/groups/{}/roleAssignments/{}",
                        t.s(t.environments[a.env.idx()].id),
                        t.s(a.subject.id),
                        t.s(a.id)
                    ),
                    description: "delete the group's role assignment".into(),
                    also_removes: Vec::new(),
                }),
                affects,
                affects_total: total,
            });
        }
    }

    fn plan_app(
        &mut self,
        item: &mut PlanItem,
        id: Identity,
        access: &Access,
        i: usize,
        e: &Ent,
        ents: &[Ent],
    ) {
        let r = self.r;
        let t = r.t;
        let own = format!(
            "{} {} @ {}:{}",
            e.ent_type,
            ent_text(t, e),
            e.scope_type,
            t.s(e.scope_id)
        );
        let Identity::User(u) = id else { return };
        let ae = &access.apps[i];
        let app = &t.applications[ae.app.idx()];
        let env = t.s(t.environments[app.env.idx()].id);
        let me = user_label(t, u);
        match e.granted {
            Granted::Group => {
                let deciding = access.app_groups(ae);
                let all = r.rule_groups(ae.app).is_some_and(|x| x.0);
                // ANY_GROUP: every path must go; ALL_GROUPS: cutting one listed group suffices,
                // the one reached through the fewest memberships.
                let cut: Vec<GroupId> = if all {
                    deciding
                        .iter()
                        .map(|&g| super::grants::entry_groups(r, &r.closure, u, &[g]))
                        .min_by_key(|v| v.len())
                        .unwrap_or_default()
                } else {
                    e.via_groups.clone()
                };
                let reaches = format!(
                    " (the application's {} rule lists {})",
                    if all { "ALL_GROUPS" } else { "ANY_GROUP" },
                    deciding
                        .iter()
                        .map(|&g| group_name(t, g))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                for d in cut {
                    match self.remove_membership(u, d, &reaches, ents, &own) {
                        Removal::Op(op) => item.operations.push(op),
                        Removal::Change(c) => item.changes.push(c),
                    }
                }
            }
            Granted::Open => {
                let (others, total) = cap_others(self.env_users(app.env), &me);
                item.changes.push(Change {
                    description: format!(
                        "application `{}` has no access control: every user of environment `{}` can use it. Give it a group rule (accessControl.group) that {me} does not satisfy; every other user of the environment outside that group loses access too",
                        t.s(app.name),
                        t.s(t.environments[app.env.idx()].name),
                    ),
                    operation: Some(Operation {
                        method: "PUT",
                        path: format!("/environments/{env}/applications/{}", t.s(app.id)),
                        description: "update the application with an accessControl.group rule (body: the application as read, plus the rule)".into(),
                        also_removes: Vec::new(),
                    }),
                    affects: others,
                    affects_total: total,
                });
            }
            Granted::AdminRole => {
                item.changes.push(Change {
                    description: format!(
                        "application `{}` admits admins only (ADMIN_USERS_ONLY) and {me} holds {}: remove those role entitlements (review them on the role sheets), or give the application a group rule",
                        t.s(app.name),
                        e.sources.split(';').map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
                    ),
                    operation: None,
                    affects: Vec::new(),
                    affects_total: 0,
                });
            }
            _ => {}
        }
    }
}

fn ent_text(t: &Tenant, e: &Ent) -> String {
    if e.ent_name.is_empty() {
        t.s(e.ent_id).to_string()
    } else {
        t.s(e.ent_name).to_string()
    }
}

/// The plan for every `revoke` of a validated campaign, against the tenant it was started from.
pub fn build_plan(campaign: &Campaign, t: &Tenant) -> Plan {
    let r = Resolver::new(t);
    let by_id = r.identity_by_id();
    let mut planner = Planner {
        r: &r,
        groups: None,
        members: HashMap::new(),
        env_users: HashMap::new(),
    };
    let mut access = Access::default();
    let mut items = Vec::new();
    for (sheet, row) in campaign.revokes() {
        let mut item = PlanItem {
            sheet: sheet.entry.file.clone(),
            line: row.line,
            row_id: row.get(col::ROW_ID).to_string(),
            identity_type: row.get(col::IDENTITY_TYPE).to_string(),
            identity_id: row.get(col::IDENTITY_ID).to_string(),
            identity_name: row.get(col::IDENTITY_NAME).to_string(),
            entitlement_type: row.get(col::ENTITLEMENT_TYPE).to_string(),
            entitlement_id: row.get(col::ENTITLEMENT_ID).to_string(),
            entitlement_name: row.get(col::ENTITLEMENT_NAME).to_string(),
            scope_type: row.get(col::SCOPE_TYPE).to_string(),
            scope_id: row.get(col::SCOPE_ID).to_string(),
            scope_name: scope_name(t, row.get(col::SCOPE_TYPE), row.get(col::SCOPE_ID)),
            granted: row.get(col::GRANTED).to_string(),
            comment: row.get(col::COMMENT).to_string(),
            operations: Vec::new(),
            changes: Vec::new(),
            notes: Vec::new(),
        };
        match t.strings.get(&item.identity_id).and_then(|s| by_id.get(&s)) {
            Some(&id) => planner.plan_row(&mut item, id, &mut access),
            None => item
                .notes
                .push("the identity is not in the snapshot".into()),
        }
        if item.operations.is_empty() && item.changes.is_empty() && item.notes.is_empty() {
            item.notes.push("no operation found for this access".into());
        }
        items.push(item);
    }
    Plan {
        campaign_id: campaign.manifest.campaign_id.clone(),
        input_sha256: campaign.manifest.input.sha256.clone(),
        api_base: api_base(&t.manifest.region).to_string(),
        revokes: items.len(),
        items,
    }
}

impl Plan {
    pub fn to_json(&self) -> Result<Vec<u8>, crate::report::output::OutputError> {
        crate::report::json::pretty_named(self, "the remediation plan")
    }

    /// A reviewed shell script: `set -euo pipefail`, one commented block per revoke, each API
    /// operation once, changes that affect others as comments only. The token comes from
    /// `$P1_TOKEN` at run time; nothing secret is written.
    pub fn to_sh(&self, manifest: &CampaignManifest) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "#!/usr/bin/env bash");
        let _ = writeln!(
            s,
            "# Remediation plan of access review {}",
            one_line(&manifest.campaign_id)
        );
        let _ = writeln!(
            s,
            "# Input sha256 {} ({} revoke decision(s)).",
            self.input_sha256, self.revokes
        );
        let _ = writeln!(
            s,
            "# Generated by p1graph, which never calls these operations itself: read every"
        );
        let _ = writeln!(
            s,
            "# block, then run it with an access token of an admin allowed to make the changes:"
        );
        let _ = writeln!(s, "#   P1_TOKEN=... bash plan.sh");
        let _ = writeln!(
            s,
            "# Lines starting with `# CHANGE` affect other identities and are not run."
        );
        let _ = writeln!(s, "set -euo pipefail");
        let _ = writeln!(
            s,
            ": \"${{P1_TOKEN:?set P1_TOKEN to an admin access token}}\""
        );
        let _ = writeln!(s, "API=\"${{P1_API:-{}}}\"", self.api_base);
        let _ = writeln!(
            s,
            "p1() {{ curl --fail-with-body -sS -X \"$1\" -H \"Authorization: Bearer ${{P1_TOKEN}}\" \"${{API}}$2\"; echo; }}"
        );
        let mut done: BTreeSet<(String, String)> = BTreeSet::new();
        for it in &self.items {
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "# {}:{} revoke {} `{}` @ {}:{} from {} `{}` ({})",
                one_line(&it.sheet),
                it.line,
                it.entitlement_type,
                one_line(if it.entitlement_name.is_empty() {
                    &it.entitlement_id
                } else {
                    &it.entitlement_name
                }),
                one_line(&it.scope_type),
                one_line(if it.scope_name.is_empty() {
                    &it.scope_id
                } else {
                    &it.scope_name
                }),
                it.identity_type.to_lowercase(),
                one_line(&it.identity_name),
                one_line(&it.identity_id)
            );
            if !it.comment.trim().is_empty() {
                let _ = writeln!(s, "# reviewer: {}", one_line(&it.comment));
            }
            for n in &it.notes {
                let _ = writeln!(s, "# NOTE {}", one_line(n));
            }
            for op in &it.operations {
                let _ = writeln!(s, "# {}", one_line(&op.description));
                for a in &op.also_removes {
                    let _ = writeln!(
                        s,
                        "#   also removes (unless another path grants it): {}",
                        one_line(a)
                    );
                }
                if !safe_path(&op.path) {
                    let _ = writeln!(
                        s,
                        "# SKIPPED: an id in `{}` has unexpected characters",
                        one_line(&op.path)
                    );
                } else if done.insert((op.method.to_string(), op.path.clone())) {
                    let _ = writeln!(s, "p1 {} '{}'", op.method, op.path);
                } else {
                    let _ = writeln!(s, "# (already done above) {} {}", op.method, op.path);
                }
            }
            for c in &it.changes {
                let _ = writeln!(s, "# CHANGE {}", one_line(&c.description));
                if let Some(op) = &c.operation {
                    let _ = writeln!(
                        s,
                        "#   {} {} ({})",
                        op.method,
                        one_line(&op.path),
                        one_line(&op.description)
                    );
                }
                if c.affects_total > 0 {
                    let _ = writeln!(
                        s,
                        "#   affects {} other identit{}:",
                        c.affects_total,
                        if c.affects_total == 1 { "y" } else { "ies" }
                    );
                    for a in c.affects.iter().take(20) {
                        let _ = writeln!(s, "#     {}", one_line(a));
                    }
                    if c.affects_total > 20 {
                        let _ = writeln!(
                            s,
                            "#     ... and {} more (see the JSON plan)",
                            c.affects_total - 20
                        );
                    }
                }
            }
        }
        s
    }
}

/// Text safe inside a shell comment: one line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A path made of characters that are inert inside single quotes and a URL path.
fn safe_path(p: &str) -> bool {
    p.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_paths_refuse_shell_metacharacters() {
        assert!(safe_path("/environments/e-1/users/u_1/memberOfGroups/g.1"));
        assert!(!safe_path("/environments/e/users/'$(rm -rf ~)'"));
        assert!(!safe_path("/environments/e/users/a b"));
        assert_eq!(one_line("a\nb\r"), "a b ");
    }

    #[test]
    fn regions_map_to_api_hosts() {
        assert_eq!(api_base("EU"), "https://api.pingone.eu/v1");
        assert_eq!(api_base(""), "https://api.pingone.com/v1");
    }
}
