//! Effective access per identity (access model M2, M3, M5, M6, M7).
//!
//! [`Resolver::new`] builds every per-group and per-environment structure once: the group
//! closure, assignment lists per subject, applications per environment split by access-control
//! kind, and an index from groups to the applications whose group rule lists them. Resolving one
//! identity ([`Resolver::resolve`]) is then a merge of short sorted lists into a reusable
//! [`Access`] buffer: no graph search, no heap allocation once the buffer has grown.
//!
//! Cost per user: O(d·a + r log r + k) where d is the number of direct groups, a the relevant
//! ancestors per group, r the role entitlements and k the application rows produced.

use std::cmp::Ordering;
use std::ops::Range;

use rustc_hash::FxHashMap;

use super::closure::GroupClosure;
use super::csr::Csr;
use crate::model::*;

/// An identity that can hold entitlements (M3: groups are not identities).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identity {
    User(UserId),
    Application(AppId),
    Gateway(GatewayId),
}

impl Identity {
    pub fn type_str(self) -> &'static str {
        match self {
            Identity::User(_) => "USER",
            Identity::Application(_) => "APPLICATION",
            Identity::Gateway(_) => "GATEWAY",
        }
    }
}

/// How an application entitlement was decided (M6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    Direct,
    Group,
    AdminRole,
    Open,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Direct => "DIRECT",
            Via::Group => "GROUP",
            Via::AdminRole => "ADMIN_ROLE",
            Via::Open => "OPEN",
        }
    }
}

/// The decision on one user's access to one application (M6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppDecision {
    Granted(Via),
    Denied(Vec<DenyReason>),
}

/// Why an application is denied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DenyReason {
    /// The application belongs to another environment than the user.
    OtherEnvironment,
    /// A worker application: users do not sign on to it.
    Worker,
    /// M6.1.
    Disabled,
    /// M6.2: `ADMIN_USERS_ONLY` and no admin-console role.
    NotAdmin,
    /// M6.3, `ALL_GROUPS`: the listed groups the user is not in; `missing` when a listed group is
    /// not in the snapshot (then the rule can never be met).
    AllGroups {
        lacking: Vec<GroupId>,
        missing: bool,
    },
    /// M6.3, `ANY_GROUP`: in none of the listed groups.
    AnyGroup {
        lacking: Vec<GroupId>,
        missing: bool,
    },
    /// M6.3, `ANY_GROUP` whose every listed group is missing from the snapshot.
    NoListedGroupExists,
}

/// One role entitlement: a distinct (role, scope) with all of its sources.
#[derive(Clone, Debug)]
pub struct RoleEnt {
    pub role_id: Sym,
    pub role: Option<RoleId>,
    pub scope: ScopeRef,
    /// A direct assignment is a source.
    pub direct: bool,
    /// Source groups (sorted by PingOne id) in [`Access::groups`].
    pub groups: Range<u32>,
    /// Every assignment behind it, in [`Access::assignments`]: direct ones first.
    pub assignments: Range<u32>,
}

/// One application entitlement of a user.
#[derive(Clone, Debug)]
pub struct AppEnt {
    pub app: AppId,
    pub via: Via,
    /// Deciding groups (for `Via::Group`), sorted by PingOne id, in [`Access::groups`].
    pub groups: Range<u32>,
}

/// One scope entitlement of an application (M7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScopeEnt {
    pub scope: Sym,
    pub resource: Sym,
}

/// The effective access of one identity; a reusable buffer.
#[derive(Default, Debug)]
pub struct Access {
    pub identity: Option<Identity>,
    /// Role entitlements, sorted by (role id, scope type, scope id) as strings.
    pub roles: Vec<RoleEnt>,
    /// Application entitlements, sorted by application id.
    pub apps: Vec<AppEnt>,
    /// Scope entitlements, sorted by (scope id, resource id).
    pub scopes: Vec<ScopeEnt>,
    pub groups: Vec<GroupId>,
    pub assignments: Vec<AssignmentId>,
    /// The user's relevant groups: groups(u) restricted to groups that hold roles or appear in
    /// an application's group rule. Sorted by dense id.
    pub relevant: Vec<GroupId>,
    raw: Vec<(AssignmentId, Option<GroupId>)>,
    cand: Vec<AppId>,
}

impl Access {
    pub fn role_groups(&self, e: &RoleEnt) -> &[GroupId] {
        &self.groups[e.groups.start as usize..e.groups.end as usize]
    }
    pub fn role_assignments(&self, e: &RoleEnt) -> &[AssignmentId] {
        &self.assignments[e.assignments.start as usize..e.assignments.end as usize]
    }
    pub fn app_groups(&self, e: &AppEnt) -> &[GroupId] {
        &self.groups[e.groups.start as usize..e.groups.end as usize]
    }
    fn clear(&mut self) {
        self.identity = None;
        self.roles.clear();
        self.apps.clear();
        self.scopes.clear();
        self.groups.clear();
        self.assignments.clear();
        self.relevant.clear();
        self.raw.clear();
        self.cand.clear();
    }
}

/// An application's group rule with its groups resolved to dense ids.
#[derive(Clone, Debug)]
struct ResolvedRule {
    all: bool,
    /// Listed groups present in the snapshot, sorted by dense id.
    groups: Vec<GroupId>,
    /// A listed group is missing: an ALL_GROUPS rule can never be satisfied.
    missing: bool,
}

/// Everything computed once per tenant.
pub struct Resolver<'t> {
    pub t: &'t Tenant,
    pub closure: GroupClosure,
    pub user_groups: Csr<GroupId>,
    pub user_assign: Csr<AssignmentId>,
    pub group_assign: Csr<AssignmentId>,
    pub app_assign: Csr<AssignmentId>,
    pub gateway_assign: Csr<AssignmentId>,
    app_scopes: Csr<ScopeEnt>,
    env_open_apps: Csr<AppId>,
    env_admin_apps: Csr<AppId>,
    group_rule_apps: Csr<AppId>,
    rules: Vec<Option<ResolvedRule>>,
    /// Built-in roles that satisfy ADMIN_USERS_ONLY (M6.2).
    pub admin_console_role: Vec<bool>,
    /// Per application: is it a worker (never signed on to, M6)? Parsed once, not per user.
    worker: Vec<bool>,
    /// Is each group relevant (holds an assignment or is listed in a group rule)?
    pub relevant: Vec<bool>,
    /// Does each group have a relevant ancestor (itself included)? The groups a user's profile
    /// keeps ([`Resolver::profile`]), looked up once per direct group of every user.
    leads: Vec<bool>,
    /// The export order of identities, sorted once on first use.
    order: std::sync::OnceLock<Vec<Identity>>,
    /// Each application's place in PingOne-id order, each group's, and each role assignment's
    /// in (role id, scope type, scope id) order (equal keys, equal rank): the per-identity sorts
    /// compare these integers instead of interned strings.
    app_rank: Vec<u32>,
    group_rank: Vec<u32>,
    assignment_rank: Vec<u32>,
}

/// Ranks of `n` items in the order `cmp` gives, equal items sharing a rank: sorting by rank is
/// sorting by `cmp`, without touching the strings again.
fn ranks(n: usize, cmp: impl Fn(usize, usize) -> Ordering + Sync) -> Vec<u32> {
    use rayon::prelude::*;
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_by(|&a, &b| cmp(a as usize, b as usize));
    ranks_of_order(&order, cmp)
}

/// [`ranks`] from `order`, the positions already sorted by `cmp`.
fn ranks_of_order(order: &[u32], cmp: impl Fn(usize, usize) -> Ordering) -> Vec<u32> {
    let n = order.len();
    let mut rank = vec![0u32; n];
    let mut r = 0u32;
    for (i, &x) in order.iter().enumerate() {
        if i > 0 && cmp(order[i - 1] as usize, x as usize) != Ordering::Equal {
            r += 1;
        }
        rank[x as usize] = r;
    }
    rank
}

fn str_cmp(t: &Tenant, a: Sym, b: Sym) -> Ordering {
    if a == b {
        Ordering::Equal
    } else {
        t.s(a).as_bytes().cmp(t.s(b).as_bytes())
    }
}

impl<'t> Resolver<'t> {
    pub fn new(t: &'t Tenant) -> Self {
        let n_users = t.users.len();
        let n_groups = t.groups.len();
        let mut user_pairs = Vec::new();
        let mut group_pairs = Vec::new();
        let mut app_pairs = Vec::new();
        let mut gw_pairs = Vec::new();
        for (i, a) in t.assignments.iter().enumerate() {
            let aid = AssignmentId::from_idx(i);
            let sid = a.subject.id;
            match a.subject.kind {
                SubjectKind::User => {
                    if let Some(u) = t.index.user.get(&sid) {
                        user_pairs.push((u.idx(), aid));
                    }
                }
                SubjectKind::Group => {
                    if let Some(g) = t.index.group.get(&sid) {
                        group_pairs.push((g.idx(), aid));
                    }
                }
                SubjectKind::Application => {
                    if let Some(x) = t.index.app.get(&sid) {
                        app_pairs.push((x.idx(), aid));
                    }
                }
                SubjectKind::Gateway => {
                    if let Some(x) = t.index.gateway.get(&sid) {
                        gw_pairs.push((x.idx(), aid));
                    }
                }
            }
        }
        let user_assign = Csr::from_pairs(n_users, user_pairs.into_iter());
        let group_assign = Csr::from_pairs(n_groups, group_pairs.iter().copied());
        let app_assign = Csr::from_pairs(t.applications.len(), app_pairs.into_iter());
        let gateway_assign = Csr::from_pairs(t.gateways.len(), gw_pairs.into_iter());

        // Application scopes (M7): one per granted scope, whatever the application's state.
        let mut scope_pairs: Vec<(usize, ScopeEnt)> = Vec::new();
        for g in &t.grants {
            if let Some(a) = t.index.app.get(&g.application) {
                for &s in &g.scopes {
                    scope_pairs.push((
                        a.idx(),
                        ScopeEnt {
                            scope: s,
                            resource: g.resource,
                        },
                    ));
                }
            }
        }
        scope_pairs.sort_by(|x, y| {
            x.0.cmp(&y.0)
                .then_with(|| str_cmp(t, x.1.scope, y.1.scope))
                .then_with(|| str_cmp(t, x.1.resource, y.1.resource))
        });
        scope_pairs.dedup_by(|x, y| x.0 == y.0 && x.1 == y.1);
        let app_scopes = Csr::from_pairs(t.applications.len(), scope_pairs.into_iter());

        // Applications by environment and access-control kind (M6).
        let mut open = Vec::new();
        let mut admin = Vec::new();
        let mut by_group = Vec::new();
        let mut rules: Vec<Option<ResolvedRule>> = vec![None; t.applications.len()];
        let mut relevant = vec![false; n_groups];
        for &(g, _) in &group_pairs {
            relevant[g] = true;
        }
        let worker: Vec<bool> = t
            .applications
            .iter()
            .map(|a| AppKind::parse(t.s(a.kind)) == AppKind::Worker)
            .collect();
        for (i, a) in t.applications.iter().enumerate() {
            let app = AppId::from_idx(i);
            if !a.enabled || worker[i] {
                continue;
            }
            match a.access.effective_group_rule() {
                Some(rule) => {
                    let mut groups: Vec<GroupId> = Vec::new();
                    let mut missing = false;
                    for s in &rule.groups {
                        match t.index.group.get(s) {
                            Some(g) => groups.push(g),
                            None => missing = true,
                        }
                    }
                    groups.sort_unstable();
                    groups.dedup();
                    for &g in &groups {
                        relevant[g.idx()] = true;
                        by_group.push((g.idx(), app));
                    }
                    rules[i] = Some(ResolvedRule {
                        all: rule.kind == GroupRuleKind::AllGroups,
                        groups,
                        missing,
                    });
                }
                None if a.access.admin_users_only => admin.push((a.env.idx(), app)),
                None => open.push((a.env.idx(), app)),
            }
        }
        let n_env = t.environments.len();
        let env_open_apps = Csr::from_pairs(n_env, open.into_iter());
        let env_admin_apps = Csr::from_pairs(n_env, admin.into_iter());
        let group_rule_apps = Csr::from_pairs(n_groups, by_group.into_iter());
        let admin_console_role = t
            .roles
            .iter()
            .map(|r| r.builtin && ADMIN_USERS_ONLY_ROLES.contains(&t.s(r.name)))
            .collect();
        // The three largest pieces (at 200,000 users: 4, 3-10 and 6 ms) on both cores.
        let ((user_groups, group_rank), closure) = rayon::join(
            || {
                rayon::join(
                    || {
                        Csr::from_pairs(
                            n_users,
                            t.memberships.iter().map(|m| (m.user.idx(), m.group)),
                        )
                    },
                    || {
                        ranks_of_order(&t.order_by_text(n_groups, |g| t.groups[g].id), |a, b| {
                            str_cmp(t, t.groups[a].id, t.groups[b].id)
                        })
                    },
                )
            },
            || GroupClosure::new(n_groups, &t.nestings, &relevant),
        );
        let leads = (0..n_groups)
            .map(|g| !closure.relevant_ancestors(GroupId::from_idx(g)).is_empty())
            .collect();
        let app_rank = ranks(t.applications.len(), |a, b| {
            str_cmp(t, t.applications[a].id, t.applications[b].id)
        });
        let assignment_rank = ranks(t.assignments.len(), |x, y| {
            let (a, b) = (&t.assignments[x], &t.assignments[y]);
            str_cmp(t, a.role_id, b.role_id)
                .then_with(|| {
                    t.scope_kind_str(a.scope.kind)
                        .cmp(t.scope_kind_str(b.scope.kind))
                })
                .then_with(|| str_cmp(t, a.scope.id, b.scope.id))
        });
        Resolver {
            t,
            closure,
            user_groups,
            user_assign,
            group_assign,
            app_assign,
            gateway_assign,
            app_scopes,
            env_open_apps,
            env_admin_apps,
            group_rule_apps,
            rules,
            admin_console_role,
            worker,
            leads,
            relevant,
            order: std::sync::OnceLock::new(),
            app_rank,
            group_rank,
            assignment_rank,
        }
    }

    /// Every identity that can have rows, in the export's order: by identity type, then id,
    /// comparing UTF-8 bytes (APPLICATION < GATEWAY < USER). Sorted once per resolver (the main
    /// job asks for it three times: access, findings, summary).
    pub fn identities_in_order(&self) -> &[Identity] {
        self.order.get_or_init(|| self.sort_identities())
    }

    fn sort_identities(&self) -> Vec<Identity> {
        let t = self.t;
        let mut apps: Vec<AppId> = (0..t.applications.len()).map(AppId::from_idx).collect();
        apps.sort_by_key(|a| (self.app_rank[a.idx()], *a));
        let mut gws: Vec<GatewayId> = (0..t.gateways.len()).map(GatewayId::from_idx).collect();
        gws.sort_by(|a, b| str_cmp(t, t.gateways[a.idx()].id, t.gateways[b.idx()].id));
        let users = t.users_by_id();
        let mut out = Vec::with_capacity(apps.len() + gws.len() + users.len());
        out.extend(apps.into_iter().map(Identity::Application));
        out.extend(gws.into_iter().map(Identity::Gateway));
        out.extend(users.into_iter().map(Identity::User));
        out
    }

    /// Resolves one identity into `out` (cleared first).
    pub fn resolve(&self, id: Identity, out: &mut Access) {
        self.resolve_inner(id, out, true);
    }

    /// Resolves only role entitlements (and, for applications, scopes): what findings need.
    pub fn resolve_roles(&self, id: Identity, out: &mut Access) {
        self.resolve_inner(id, out, false);
    }

    fn resolve_inner(&self, id: Identity, out: &mut Access, apps: bool) {
        out.clear();
        out.identity = Some(id);
        match id {
            Identity::User(u) => self.resolve_user(u, out, apps),
            Identity::Application(a) => {
                for &aid in self.app_assign.row(a.idx()) {
                    out.raw.push((aid, None));
                }
                self.group_roles(out);
                out.scopes.extend_from_slice(self.app_scopes.row(a.idx()));
            }
            Identity::Gateway(g) => {
                for &aid in self.gateway_assign.row(g.idx()) {
                    out.raw.push((aid, None));
                }
                self.group_roles(out);
            }
        }
    }

    /// The relevant groups of user `u` (groups(u) ∩ relevant), sorted, into `out.relevant`.
    pub fn relevant_groups(&self, u: UserId, out: &mut Vec<GroupId>) {
        self.closure
            .ancestors_of(self.user_groups.row(u.idx()), out);
    }

    /// What decides user `u`'s access apart from who the user is, when it holds no role
    /// assignment of its own (`None` when it does): its environment, returned, and its direct
    /// groups that have a relevant ancestor (themselves included), written to `groups`, sorted.
    ///
    /// Users with equal profiles get equal entitlements by equal means (the same groups and
    /// assignments behind each): [`Resolver::resolve`] reads nothing else of a user (M2: its
    /// direct assignments and its groups' ones; M6: its environment and groups; the groups
    /// only through the relevant ones, which are the relevant ancestors of these). Their paths
    /// are equal too but for the identity's label: a path's group chain
    /// ([`Resolver::shortest_chain`]) runs from a direct group to a relevant one. So an export
    /// can format such users' rows once per profile. Most users hold roles only through groups
    /// and share them with many others: 200,000 generated users have about 1,400 profiles.
    ///
    /// Why direct groups, not the relevant groups they lead to (fewer profiles): those take a
    /// merge of ancestor lists per user, which cost more than the few extra profiles.
    pub fn profile(&self, u: UserId, groups: &mut Vec<GroupId>) -> Option<EnvId> {
        if !self.user_assign.row(u.idx()).is_empty() {
            return None;
        }
        groups.clear();
        groups.extend(
            self.direct_groups(u)
                .iter()
                .filter(|&&g| self.leads[g.idx()]),
        );
        groups.sort_unstable();
        groups.dedup();
        Some(self.t.users[u.idx()].env)
    }

    fn resolve_user(&self, u: UserId, out: &mut Access, apps: bool) {
        let t = self.t;
        let mut relevant = std::mem::take(&mut out.relevant);
        self.relevant_groups(u, &mut relevant);
        // M2: direct assignments, then the assignments of every group in groups(u).
        for &aid in self.user_assign.row(u.idx()) {
            out.raw.push((aid, None));
        }
        for &g in &relevant {
            for &aid in self.group_assign.row(g.idx()) {
                out.raw.push((aid, Some(g)));
            }
        }
        self.group_roles(out);
        if !apps {
            out.relevant = relevant;
            return;
        }

        // M6: applications of the user's environment.
        let env = t.users[u.idx()].env;
        let is_admin = out
            .roles
            .iter()
            .any(|r| r.role.is_some_and(|r| self.admin_console_role[r.idx()]));
        let mut cand = std::mem::take(&mut out.cand);
        cand.clear();
        cand.extend_from_slice(self.env_open_apps.row(env.idx()));
        if is_admin {
            cand.extend_from_slice(self.env_admin_apps.row(env.idx()));
        }
        for &g in &relevant {
            cand.extend_from_slice(self.group_rule_apps.row(g.idx()));
        }
        cand.sort_unstable_by_key(|a| (self.app_rank[a.idx()], *a));
        cand.dedup();
        for &app in &cand {
            let a = &t.applications[app.idx()];
            if a.env != env {
                continue;
            }
            match self.decide_app(env, app, is_admin, &relevant) {
                AppDecision::Granted(Via::Group) => {
                    let Some(rule) = &self.rules[app.idx()] else {
                        continue;
                    };
                    let start = out.groups.len() as u32;
                    for &g in &rule.groups {
                        if relevant.binary_search(&g).is_ok() {
                            out.groups.push(g);
                        }
                    }
                    out.groups[start as usize..].sort_by_key(|g| self.group_rank[g.idx()]);
                    out.apps.push(AppEnt {
                        app,
                        via: Via::Group,
                        groups: start..out.groups.len() as u32,
                    });
                }
                AppDecision::Granted(via) => out.apps.push(AppEnt {
                    app,
                    via,
                    groups: 0..0,
                }),
                AppDecision::Denied(_) => {}
            }
        }
        out.cand = cand;
        out.relevant = relevant;
    }

    /// Whether `app` is a worker application: an identity itself, never signed on to (M6).
    pub fn is_worker(&self, app: AppId) -> bool {
        self.worker[app.idx()]
    }

    /// Whether a user of environment `env`, holding an admin-console role or not (`is_admin`),
    /// whose relevant groups are `relevant` (sorted), can access application `app` (access model
    /// M6), and if not, every reason. The one decision the resolver and `explain` share.
    pub fn decide_app(
        &self,
        env: EnvId,
        app: AppId,
        is_admin: bool,
        relevant: &[GroupId],
    ) -> AppDecision {
        let t = self.t;
        let a = &t.applications[app.idx()];
        let mut why = Vec::new();
        if a.env != env {
            why.push(DenyReason::OtherEnvironment);
        }
        if self.is_worker(app) {
            why.push(DenyReason::Worker);
        }
        if !a.enabled {
            why.push(DenyReason::Disabled);
        }
        if !why.is_empty() {
            return AppDecision::Denied(why);
        }
        match &self.rules[app.idx()] {
            None if a.access.admin_users_only => {
                if is_admin {
                    AppDecision::Granted(Via::AdminRole)
                } else {
                    AppDecision::Denied(vec![DenyReason::NotAdmin])
                }
            }
            None => AppDecision::Granted(Via::Open),
            Some(rule) => {
                if a.access.admin_users_only && !is_admin {
                    why.push(DenyReason::NotAdmin);
                }
                let member = |g: &GroupId| relevant.binary_search(g).is_ok();
                // The groups lacking, listed only for a denial (this runs per user and app).
                let members = rule.groups.iter().filter(|g| member(g)).count();
                let lacking = || rule.groups.iter().copied().filter(|g| !member(g)).collect();
                if rule.all {
                    if rule.missing || members < rule.groups.len() {
                        why.push(DenyReason::AllGroups {
                            lacking: lacking(),
                            missing: rule.missing,
                        });
                    }
                } else if rule.groups.is_empty() {
                    why.push(DenyReason::NoListedGroupExists);
                } else if members == 0 {
                    why.push(DenyReason::AnyGroup {
                        lacking: lacking(),
                        missing: rule.missing,
                    });
                }
                if why.is_empty() {
                    AppDecision::Granted(Via::Group)
                } else {
                    AppDecision::Denied(why)
                }
            }
        }
    }

    /// Groups `out.raw` (assignment, source group) into role entitlements.
    fn group_roles(&self, out: &mut Access) {
        let t = self.t;
        let same_key =
            |a: &RoleAssignment, b: &RoleAssignment| a.role_id == b.role_id && a.scope == b.scope;
        // Key (role id, scope type, scope id) by rank; direct sources first, then groups by
        // PingOne id; then the assignment.
        out.raw.sort_unstable_by_key(|&(aid, src)| {
            (
                self.assignment_rank[aid.idx()],
                src.map_or(0, |g| 1 + self.group_rank[g.idx()] as u64),
                aid,
            )
        });
        let mut i = 0;
        let raw = std::mem::take(&mut out.raw);
        while i < raw.len() {
            let first = &t.assignments[raw[i].0.idx()];
            let mut j = i;
            let gstart = out.groups.len() as u32;
            let astart = out.assignments.len() as u32;
            let mut direct = false;
            while j < raw.len() && same_key(&t.assignments[raw[j].0.idx()], first) {
                let (aid, src) = raw[j];
                out.assignments.push(aid);
                match src {
                    None => direct = true,
                    Some(g) => {
                        if out.groups.last() != Some(&g) || out.groups.len() as u32 == gstart {
                            out.groups.push(g);
                        }
                    }
                }
                j += 1;
            }
            out.roles.push(RoleEnt {
                role_id: first.role_id,
                role: first.role,
                scope: first.scope,
                direct,
                groups: gstart..out.groups.len() as u32,
                assignments: astart..out.assignments.len() as u32,
            });
            i = j;
        }
        out.raw = raw;
    }

    /// Is this identity an admin (holds a role entitlement) / privileged admin (M5)?
    pub fn is_privileged(&self, access: &Access) -> bool {
        access
            .roles
            .iter()
            .any(|r| !self.t.role_is_read_only(r.role))
    }

    /// The direct groups of a user.
    pub fn direct_groups(&self, u: UserId) -> &[GroupId] {
        self.user_groups.row(u.idx())
    }

    /// The shortest chain from one of the user's direct groups up to `target` (both included):
    /// the direct group is chosen by (distance, dense id).
    pub fn shortest_chain(&self, u: UserId, target: GroupId) -> Option<Vec<GroupId>> {
        self.closure
            .shortest_chain_from(self.direct_groups(u), &[target])
    }

    /// Every user's group in the resolved rule of application `a` (for explain): the listed groups
    /// present in the snapshot, whether it is ALL_GROUPS, and whether a listed group is missing.
    pub fn rule_groups(&self, a: AppId) -> Option<(bool, &[GroupId], bool)> {
        self.rules[a.idx()]
            .as_ref()
            .map(|r| (r.all, r.groups.as_slice(), r.missing))
    }

    /// Per-identity memo of PingOne id -> identity, for lookups by the CLI.
    pub fn identity_by_id(&self) -> FxHashMap<Sym, Identity> {
        let t = self.t;
        let mut m = FxHashMap::default();
        for (s, u) in t.index.user.iter() {
            m.insert(s, Identity::User(u));
        }
        for (s, &a) in &t.index.app {
            m.insert(*s, Identity::Application(a));
        }
        for (s, &g) in &t.index.gateway {
            m.insert(*s, Identity::Gateway(g));
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::builder::TenantBuilder;

    /// Users come in byte order of their ids, whatever their table order, including ids that
    /// share their first 16 bytes (the integer sort key) or are shorter than it.
    #[test]
    fn users_are_ordered_by_id_bytes_past_the_sort_key() {
        let ids = [
            "aaaaaaaaaaaaaaaa-2",
            "zz",
            "aaaaaaaaaaaaaaaa-10",
            "aaaaaaaaaaaaaaaa",
            "aaaaaaaaaaaaaaa",
            "aaaaaaaaaaaaaaa\u{0}",
            "b",
            "aaaaaaaaaaaaaaaaé",
            "aaaaaaaaaaaaaaaa-",
        ];
        let mut b = TenantBuilder::new("org-1").env("env-a");
        for id in ids {
            b = b.user(id, "env-a");
        }
        let t = b.build();
        let r = Resolver::new(&t);
        let got: Vec<&str> = r
            .identities_in_order()
            .iter()
            .map(|&id| match id {
                Identity::User(u) => t.s(t.users[u.idx()].id),
                other => panic!("only users here: {other:?}"),
            })
            .collect();
        let mut want = ids.to_vec();
        want.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        assert_eq!(got, want);
    }
}

#[cfg(test)]
#[cfg(feature = "synth")]
mod profile_tests {
    use super::*;

    /// What an identity's access says, without the identity, with the group chains its paths
    /// show: equal for users of equal profiles.
    fn summary(r: &Resolver, a: &Access) -> String {
        let chain = |groups: &[GroupId]| match a.identity {
            Some(Identity::User(u)) => {
                format!(
                    "{:?}",
                    r.closure.shortest_chain_from(r.direct_groups(u), groups)
                )
            }
            _ => String::new(),
        };
        let mut s = String::new();
        for e in &a.roles {
            s += &format!(
                "role {:?} {:?} {:?} {} {:?} {:?} {}\n",
                e.role_id,
                e.role,
                e.scope,
                e.direct,
                a.role_groups(e),
                a.role_assignments(e),
                chain(a.role_groups(e))
            );
        }
        for e in &a.apps {
            let groups = a.app_groups(e);
            s += &format!(
                "app {:?} {:?} {:?} {}\n",
                e.app,
                e.via,
                groups,
                chain(groups)
            );
        }
        for e in &a.scopes {
            s += &format!("scope {e:?}\n");
        }
        s
    }

    /// [`Resolver::profile`]'s promise, on a generated tenant (nested groups, group rules,
    /// roles held through groups and directly): users with equal profiles are resolved to
    /// equal entitlements by equal means, with equal group chains in their paths; users
    /// holding a role of their own have no profile.
    #[test]
    fn users_of_one_profile_get_the_same_access() {
        let (dir, _) = crate::synth::generate_to_temp(3000, 11).unwrap();
        let t = crate::export::read_export(&dir.path().join("export")).unwrap();
        let r = Resolver::new(&t);
        let mut seen: FxHashMap<(EnvId, Vec<GroupId>), (UserId, String)> = FxHashMap::default();
        let (mut groups, mut a) = (Vec::new(), Access::default());
        let (mut shared, mut own) = (0, 0);
        for i in 0..t.users.len() {
            let u = UserId::from_idx(i);
            r.resolve(Identity::User(u), &mut a);
            let Some(env) = r.profile(u, &mut groups) else {
                assert!(!r.user_assign.row(i).is_empty());
                own += 1;
                continue;
            };
            let got = summary(&r, &a);
            match seen.get(&(env, groups.clone())) {
                Some((first, want)) => {
                    assert_eq!(&got, want, "users {first:?} and {u:?} share a profile");
                    shared += 1;
                }
                None => {
                    seen.insert((env, groups.clone()), (u, got));
                }
            }
        }
        assert!(shared > 1000, "most users share a profile: {shared}");
        assert!(own > 0, "some users hold a role of their own");
    }
}
