//! What a privilege lets its holder do (attack-path model, section 2): the three capabilities
//! P1 reset password, P2 add member and P3 assign role, read from the role's permission ids, the
//! built-in "Can assign" table and custom roles' `canBeAssignedBy`.
//!
//! Everything here is computed once per tenant: [`Delegation`] maps every role id that can assign
//! something to the roles it may assign, and [`ScopeTree`] lists what each organization,
//! environment and population contains, so that the targets of one privilege cost time linear in
//! the scopes it contains, never in the users.

use rustc_hash::FxHashMap;

use crate::model::*;
use crate::resolve::csr::Csr;

/// P1: `dir:reset:userPassword` or `dir:set:userPassword`.
pub const RESET_PASSWORD: [&str; 2] = ["dir:reset:userPassword", "dir:set:userPassword"];
/// P2: `dir:create:groupMembership`.
pub const ADD_MEMBER: &str = "dir:create:groupMembership";

/// The built-in "Can assign" table of P3: assigner name -> assignable built-in role names.
/// `None` in the second column means "every built-in role except Organization Admin".
const CAN_ASSIGN: [(&str, Option<&[&str]>); 5] = [
    ("Organization Admin", Some(&["Environment Admin"])),
    ("Environment Admin", None),
    (
        "Identity Data Admin",
        Some(&[
            "Identity Data Admin",
            "Identity Data Read Only",
            "Help Desk Admin",
        ]),
    ),
    (
        "DaVinci Admin",
        Some(&["DaVinci Admin", "DaVinci Admin Read Only"]),
    ),
    (
        "Advanced Identity Cloud Super Admin",
        Some(&[
            "Advanced Identity Cloud Super Admin",
            "Advanced Identity Cloud Tenant Admin",
        ]),
    ),
];

/// The P1 and P2 capabilities of a role (a role missing from the snapshot has none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoleCaps {
    pub reset_password: bool,
    pub add_member: bool,
}

impl RoleCaps {
    /// Reads the permission ids of `role`. O(permissions).
    pub fn of(t: &Tenant, role: Option<RoleId>) -> RoleCaps {
        let Some(r) = role else {
            return RoleCaps::default();
        };
        let mut caps = RoleCaps::default();
        for &p in &t.roles[r.idx()].permissions {
            let p = t.s(p);
            caps.reset_password |= RESET_PASSWORD.contains(&p);
            caps.add_member |= p == ADD_MEMBER;
        }
        caps
    }
}

/// `assignable(R)` of P3 for every role id R that can assign anything, built once.
///
/// Keyed by role id so that a role missing from the snapshot still assigns the custom roles whose
/// `canBeAssignedBy` names it. O(roles · table + sum of `canBeAssignedBy`) time and space.
#[derive(Clone, Debug, Default)]
pub struct Delegation {
    assignable: FxHashMap<Sym, Vec<RoleId>>,
}

impl Delegation {
    pub fn new(t: &Tenant) -> Delegation {
        let mut builtin_by_name: FxHashMap<&str, Vec<RoleId>> = FxHashMap::default();
        for (i, r) in t.roles.iter().enumerate() {
            if r.builtin {
                builtin_by_name
                    .entry(t.s(r.name))
                    .or_default()
                    .push(RoleId::from_idx(i));
            }
        }
        let mut assignable: FxHashMap<Sym, Vec<RoleId>> = FxHashMap::default();
        for r in &t.roles {
            if !r.builtin {
                continue;
            }
            let Some((_, targets)) = CAN_ASSIGN.iter().find(|(n, _)| *n == t.s(r.name)) else {
                continue;
            };
            let list = assignable.entry(r.id).or_default();
            match targets {
                Some(names) => {
                    for n in names.iter() {
                        list.extend(builtin_by_name.get(n).into_iter().flatten());
                    }
                }
                None => list.extend(
                    t.roles
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| x.builtin && t.s(x.name) != "Organization Admin")
                        .map(|(i, _)| RoleId::from_idx(i)),
                ),
            }
        }
        // Custom roles are assignable only through `canBeAssignedBy`.
        for (i, r) in t.roles.iter().enumerate() {
            if r.builtin {
                continue;
            }
            for &by in &r.can_be_assigned_by {
                assignable.entry(by).or_default().push(RoleId::from_idx(i));
            }
        }
        for v in assignable.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        Delegation { assignable }
    }

    /// The roles a holder of role id `role_id` may assign (sorted by dense id).
    pub fn assignable(&self, role_id: Sym) -> &[RoleId] {
        self.assignable.get(&role_id).map_or(&[], |v| v.as_slice())
    }
}

/// What each scope contains, as flat lists: environments per organization, and populations,
/// groups and applications per environment, groups per population. Built once, O(entities).
pub struct ScopeTree {
    /// (organization id, environment) pairs, sorted by environment.
    org_envs: Vec<(Sym, EnvId)>,
    pub env_pops: Csr<PopId>,
    pub env_groups: Csr<GroupId>,
    pub env_apps: Csr<AppId>,
    pub pop_groups: Csr<GroupId>,
}

impl ScopeTree {
    pub fn new(t: &Tenant) -> ScopeTree {
        let n_env = t.environments.len();
        let org_envs = (0..n_env)
            .map(|e| (t.env_organization(EnvId::from_idx(e)), EnvId::from_idx(e)))
            .collect();
        let env_pops = Csr::from_pairs(
            n_env,
            t.populations
                .iter()
                .enumerate()
                .map(|(i, p)| (p.env.idx(), PopId::from_idx(i))),
        );
        let env_groups = Csr::from_pairs(
            n_env,
            t.groups
                .iter()
                .enumerate()
                .map(|(i, g)| (g.env.idx(), GroupId::from_idx(i))),
        );
        let env_apps = Csr::from_pairs(
            n_env,
            t.applications
                .iter()
                .enumerate()
                .map(|(i, a)| (a.env.idx(), AppId::from_idx(i))),
        );
        let pop_groups = Csr::from_pairs(
            t.populations.len(),
            t.groups.iter().enumerate().filter_map(|(i, g)| {
                t.index
                    .pop
                    .get(&g.population)
                    .map(|p| (p.idx(), GroupId::from_idx(i)))
            }),
        );
        ScopeTree {
            org_envs,
            env_pops,
            env_groups,
            env_apps,
            pop_groups,
        }
    }

    /// The environments of organization `org` (those whose organization is `org`).
    pub fn envs_of(&self, org: Sym) -> impl Iterator<Item = EnvId> + '_ {
        self.org_envs
            .iter()
            .filter(move |(o, _)| *o == org)
            .map(|&(_, e)| e)
    }

    /// Every group scope `s` contains when `s` is an ORGANIZATION, ENVIRONMENT or POPULATION
    /// scope in the snapshot (P2's targets); none for any other scope. Appends to `out`.
    pub fn groups_within(&self, t: &Tenant, s: ScopeRef, out: &mut Vec<GroupId>) {
        match s.kind {
            ScopeKind::Organization if t.scope_is_known(s) => {
                for e in self.envs_of(s.id) {
                    out.extend_from_slice(self.env_groups.row(e.idx()));
                }
            }
            ScopeKind::Environment => {
                if let Some(e) = t.index.env.get(&s.id) {
                    out.extend_from_slice(self.env_groups.row(e.idx()));
                }
            }
            ScopeKind::Population => {
                if let Some(p) = t.index.pop.get(&s.id) {
                    out.extend_from_slice(self.pop_groups.row(p.idx()));
                }
            }
            _ => {}
        }
    }

    /// P3's targets for one assignable role: the maximal scopes inside `s` at which a role with
    /// `applicable_to` may be assigned (`s` itself and every environment, population, group and
    /// application it contains, that is in the snapshot and of an applicable type, minus those
    /// another kept scope contains). Appends to `out`. O(scopes inside `s`).
    pub fn maximal_scopes(
        &self,
        t: &Tenant,
        s: ScopeRef,
        applicable_to: &[Sym],
        out: &mut Vec<ScopeRef>,
    ) {
        let ok = |k: ScopeKind| {
            applicable_to.is_empty() || applicable_to.iter().any(|&a| t.s(a) == t.scope_kind_str(k))
        };
        if !t.scope_is_known(s) {
            return;
        }
        match s.kind {
            ScopeKind::Organization => {
                if ok(ScopeKind::Organization) {
                    out.push(s);
                } else {
                    for e in self.envs_of(s.id) {
                        self.maximal_in_env(t, s, e, &ok, out);
                    }
                }
            }
            ScopeKind::Environment => {
                if let Some(&e) = t.index.env.get(&s.id) {
                    self.maximal_in_env(t, s, e, &ok, out);
                }
            }
            ScopeKind::Population => {
                if ok(ScopeKind::Population) {
                    out.push(s);
                } else if ok(ScopeKind::Group)
                    && let Some(p) = t.index.pop.get(&s.id)
                {
                    for &g in self.pop_groups.row(p.idx()) {
                        out.push(group_scope(t, g));
                    }
                }
            }
            ScopeKind::Group | ScopeKind::Application => {
                if ok(s.kind) {
                    out.push(s);
                }
            }
            ScopeKind::Unknown(_) => {}
        }
    }

    /// The maximal applicable scopes within environment `e`, for a search started at `outer`
    /// (`e` itself or its organization).
    fn maximal_in_env(
        &self,
        t: &Tenant,
        outer: ScopeRef,
        e: EnvId,
        ok: &dyn Fn(ScopeKind) -> bool,
        out: &mut Vec<ScopeRef>,
    ) {
        if ok(ScopeKind::Environment) {
            out.push(ScopeRef {
                kind: ScopeKind::Environment,
                id: t.environments[e.idx()].id,
            });
            return;
        }
        if ok(ScopeKind::Population) {
            for &p in self.env_pops.row(e.idx()) {
                out.push(ScopeRef {
                    kind: ScopeKind::Population,
                    id: t.populations[p.idx()].id,
                });
            }
        }
        if ok(ScopeKind::Group) {
            for &g in self.env_groups.row(e.idx()) {
                // Dropped when its population is a kept scope too.
                let pop = t.groups[g.idx()].population;
                let pop_kept = ok(ScopeKind::Population)
                    && t.index.pop.contains_key(&pop)
                    && t.scope_contains(
                        outer,
                        ScopeRef {
                            kind: ScopeKind::Population,
                            id: pop,
                        },
                    );
                if !pop_kept {
                    out.push(group_scope(t, g));
                }
            }
        }
        if ok(ScopeKind::Application) {
            for &a in self.env_apps.row(e.idx()) {
                out.push(ScopeRef {
                    kind: ScopeKind::Application,
                    id: t.applications[a.idx()].id,
                });
            }
        }
    }
}

fn group_scope(t: &Tenant, g: GroupId) -> ScopeRef {
    ScopeRef {
        kind: ScopeKind::Group,
        id: t.groups[g.idx()].id,
    }
}

/// The scopes other than `s` itself that contain `s` (model, "Contains"): its organization, its
/// environment and, for a group, its population. At most three; none for a scope missing from
/// the snapshot or of an unknown type. Used to test "covers" in O(1).
pub fn strict_containers(t: &Tenant, s: ScopeRef, out: &mut Vec<ScopeRef>) {
    let env = match s.kind {
        ScopeKind::Environment => t.index.env.get(&s.id).copied(),
        ScopeKind::Population => t.index.pop.get(&s.id).map(|&p| t.populations[p.idx()].env),
        ScopeKind::Application => t.index.app.get(&s.id).map(|&a| t.applications[a.idx()].env),
        ScopeKind::Group => t.index.group.get(&s.id).map(|g| t.groups[g.idx()].env),
        _ => None,
    };
    let Some(env) = env else { return };
    out.push(ScopeRef {
        kind: ScopeKind::Organization,
        id: t.env_organization(env),
    });
    if s.kind != ScopeKind::Environment {
        out.push(ScopeRef {
            kind: ScopeKind::Environment,
            id: t.environments[env.idx()].id,
        });
    }
    if s.kind == ScopeKind::Group
        && let Some(g) = t.index.group.get(&s.id)
    {
        let pop = t.groups[g.idx()].population;
        if t.index.pop.contains_key(&pop) {
            out.push(ScopeRef {
                kind: ScopeKind::Population,
                id: pop,
            });
        }
    }
}
