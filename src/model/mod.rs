//! The normalized tenant: one PingOne organization as dense tables of typed entities.
//!
//! Everything downstream (graph, resolver, findings, snapshot) reads a [`Tenant`]. Each entity kind
//! is a `Vec` indexed by its dense id; strings are interned once in [`Tenant::strings`]; lookups
//! from PingOne ids to dense ids go through [`Index`], which is derived data and rebuilt on load.
//! This module imports nothing else of the crate.

pub mod builder;
pub mod entities;
pub mod ids;
pub mod intern;
pub mod key;
pub mod sym_index;
pub mod time;
pub mod usage;

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

pub use entities::*;
pub use ids::*;
pub use intern::{Interner, Sym};
pub use sym_index::SymIndex;
pub use time::Ts;
pub use usage::UsageLedger;

/// The version of the access model this engine implements (`../shared/design/access-model.md`).
pub const ACCESS_MODEL_VERSION: u32 = 2;

/// One collection that was not collected completely (export manifest `coverage`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CoverageGap {
    pub collection: String,
    pub status: String,
    pub detail: String,
}

/// What the export's `manifest.json` says about the capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub captured_at: Option<Ts>,
    pub region: String,
    pub collector_environment_id: String,
    pub collector_client_id: String,
    /// The `activities` window `[from, to)`.
    pub activities: Option<(Ts, Ts)>,
    pub coverage: Vec<CoverageGap>,
}

/// Counts of tolerated oddities in the input (unknown fields, unknown enum values, dangling
/// references), with a few examples each, so that a run can say what it skipped over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Warnings {
    pub counts: BTreeMap<String, (u64, Vec<String>)>,
}

impl Warnings {
    const EXAMPLES: usize = 3;

    pub fn add(&mut self, kind: &str, example: impl FnOnce() -> String) {
        let e = self.counts.entry(kind.to_string()).or_default();
        e.0 += 1;
        if e.1.len() < Self::EXAMPLES {
            e.1.push(example());
        }
    }

    pub fn add_n(&mut self, kind: &str, n: u64) {
        if n > 0 {
            self.counts.entry(kind.to_string()).or_default().0 += n;
        }
    }

    pub fn merge(&mut self, other: Warnings) {
        for (k, (n, ex)) in other.counts {
            let e = self.counts.entry(k).or_default();
            e.0 += n;
            for x in ex {
                if e.1.len() < Self::EXAMPLES {
                    e.1.push(x);
                }
            }
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.values().map(|v| v.0).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// PingOne id -> dense id, per entity kind. Derived from the tables; see [`Tenant::reindex`].
#[derive(Clone, Debug, Default)]
pub struct Index {
    pub env: FxHashMap<Sym, EnvId>,
    pub pop: FxHashMap<Sym, PopId>,
    pub user: SymIndex<UserId>,
    pub group: SymIndex<GroupId>,
    pub role: FxHashMap<Sym, RoleId>,
    pub app: FxHashMap<Sym, AppId>,
    pub resource: FxHashMap<Sym, ResourceId>,
    pub scope: FxHashMap<Sym, ScopeId>,
    pub gateway: FxHashMap<Sym, GatewayId>,
}

/// A whole organization, normalized.
#[derive(Clone, Debug, Default)]
pub struct Tenant {
    pub strings: Interner,
    pub manifest: Manifest,
    pub organization: Organization,
    pub environments: Vec<Environment>,
    pub populations: Vec<Population>,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    /// Direct memberships, sorted by (user, group) and deduplicated.
    pub memberships: Vec<Membership>,
    /// Group nesting edges, sorted and deduplicated.
    pub nestings: Vec<Nesting>,
    pub roles: Vec<Role>,
    pub assignments: Vec<RoleAssignment>,
    pub applications: Vec<Application>,
    pub resources: Vec<Resource>,
    pub scopes: Vec<ResourceScope>,
    pub grants: Vec<Grant>,
    pub gateways: Vec<Gateway>,
    pub usage: UsageLedger,
    pub warnings: Warnings,
    /// Derived lookups; call [`Tenant::reindex`] after changing the tables.
    pub index: Index,
}

fn index_of<T, I: Copy>(
    items: &[T],
    id: impl Fn(&T) -> Sym,
    mk: impl Fn(usize) -> I,
) -> FxHashMap<Sym, I> {
    let mut m = FxHashMap::with_capacity_and_hasher(items.len(), Default::default());
    for (i, it) in items.iter().enumerate() {
        m.insert(id(it), mk(i));
    }
    m
}

impl Tenant {
    /// Rebuilds [`Index`] from the tables.
    pub fn reindex(&mut self) {
        // Users and groups are most of the work: built on two cores.
        let symbols = self.strings.len();
        let (user, group) = rayon::join(
            || SymIndex::build(self.users.iter().map(|e| e.id), symbols),
            || SymIndex::build(self.groups.iter().map(|e| e.id), symbols),
        );
        self.index = Index {
            env: index_of(&self.environments, |e| e.id, EnvId::from_idx),
            pop: index_of(&self.populations, |e| e.id, PopId::from_idx),
            user,
            group,
            role: index_of(&self.roles, |e| e.id, RoleId::from_idx),
            app: index_of(&self.applications, |e| e.id, AppId::from_idx),
            resource: index_of(&self.resources, |e| e.id, ResourceId::from_idx),
            scope: index_of(&self.scopes, |e| e.id, ScopeId::from_idx),
            gateway: index_of(&self.gateways, |e| e.id, GatewayId::from_idx),
        };
    }

    /// The text of a symbol.
    #[inline]
    pub fn s(&self, sym: Sym) -> &str {
        self.strings.resolve(sym)
    }

    /// Every user, ordered by PingOne id (UTF-8 bytes; equal ids by table position).
    ///
    /// Defined once, here, because two layers must agree on it: it is the order of users in
    /// every export, and the snapshot writer lays the string table out in it (users' strings
    /// then sit in the arena in the order the exports read them).
    ///
    /// Sorted by [`Tenant::order_by_text`]: a snapshot stores its users in this order, which
    /// is then checked (one pass) instead of sorted again.
    pub fn users_by_id(&self) -> Vec<UserId> {
        self.order_by_text(self.users.len(), |i| self.users[i].id)
            .into_iter()
            .map(|i| UserId::from_idx(i as usize))
            .collect()
    }

    /// The positions `0..n` ordered by the text of `text(i)` (UTF-8 bytes; equal texts by
    /// position): how every id order of the exports is computed.
    ///
    /// Each position is keyed by an integer, the first 16 bytes of its text, read once:
    /// comparisons then touch the keyed array only, not the string arena. Texts that share 16
    /// bytes fall back to the whole text; the key never contradicts it (a shorter text pads
    /// with zeros, below any byte that follows). Positions already in order (the users of a
    /// snapshot) are recognised in one pass over their texts, and neither keyed nor sorted.
    pub fn order_by_text(&self, n: usize, text: impl Fn(usize) -> Sym + Sync) -> Vec<u32> {
        use rayon::prelude::*;
        // Already in order (a snapshot's users): one pass over the texts, no keys to build.
        let in_order = (1..n).into_par_iter().all(|i| {
            let (x, y) = (text(i - 1), text(i));
            x == y || self.s(x).as_bytes() <= self.s(y).as_bytes()
        });
        if in_order {
            return (0..n as u32).collect();
        }
        let prefix = |s: &str| {
            let mut k = [0u8; 16];
            let n = s.len().min(16);
            k[..n].copy_from_slice(&s.as_bytes()[..n]);
            u128::from_be_bytes(k)
        };
        let mut keyed: Vec<(u128, u32)> = (0..n)
            .into_par_iter()
            .map(|i| (prefix(self.s(text(i))), i as u32))
            .collect();
        let cmp = |a: &(u128, u32), b: &(u128, u32)| {
            a.0.cmp(&b.0).then_with(|| {
                let (x, y) = (text(a.1 as usize), text(b.1 as usize));
                let text = if x == y {
                    std::cmp::Ordering::Equal
                } else {
                    self.s(x).as_bytes().cmp(self.s(y).as_bytes())
                };
                text.then(a.1.cmp(&b.1))
            })
        };
        keyed.par_sort_unstable_by(cmp);
        keyed.into_iter().map(|(_, i)| i).collect()
    }

    /// Puts the users in [`Tenant::users_by_id`] order, the order every export visits them in:
    /// a user's record and the resolver's per-user tables are then read front to back, and the
    /// snapshot's string layout follows the table. Measured at 200,000 users (medians of 9,
    /// output to a memory-backed file): 0.46 s against 0.36 s for the full access CSV, 0.40
    /// against 0.29 s for the seven key columns; the string layout alone gave 0.48 against 0.47 s.
    ///
    /// Nothing depends on this order for correctness (a snapshot written before it loads and
    /// answers the same). The export reader calls it before it reads relations, so no
    /// membership refers to a user yet; any that do are renumbered and sorted again. The index
    /// is rebuilt.
    pub fn order_users_by_id(&mut self) {
        let order = self.users_by_id();
        if order.iter().enumerate().all(|(i, u)| u.idx() == i) {
            self.reindex();
            return;
        }
        let mut new_of_old = vec![0u32; order.len()];
        for (new, old) in order.iter().enumerate() {
            new_of_old[old.idx()] = new as u32;
        }
        let mut old = std::mem::take(&mut self.users);
        self.users = order
            .iter()
            .map(|u| std::mem::replace(&mut old[u.idx()], placeholder_user()))
            .collect();
        if !self.memberships.is_empty() {
            for m in &mut self.memberships {
                m.user = UserId::from_idx(new_of_old[m.user.idx()] as usize);
            }
            self.memberships.sort_by_key(|m| (m.user, m.group));
        }
        self.reindex();
    }

    /// The capture time, or now when the export does not say.
    pub fn captured_at(&self) -> Ts {
        self.manifest.captured_at.unwrap_or_else(Ts::now)
    }

    /// The collections whose gap hides activities (M8, M10): every `environments/<id>/activities`
    /// in the coverage, and `environments` itself (without the list of environments nobody knows
    /// which environments went unobserved). Empty when every environment's activities were
    /// collected.
    pub fn activity_gaps(&self) -> Vec<&str> {
        self.manifest
            .coverage
            .iter()
            .map(|c| c.collection.as_str())
            .filter(|c| {
                *c == "environments"
                    || (c.starts_with("environments/") && c.ends_with("/activities"))
            })
            .collect()
    }

    /// Were the activities of environment `e` collected (M10)?
    pub fn env_activities_observed(&self, e: EnvId) -> bool {
        let id = self.s(self.environments[e.idx()].id);
        !self.activity_gaps().iter().any(|g| {
            *g == "environments"
                || g.strip_prefix("environments/")
                    .and_then(|r| r.strip_suffix("/activities"))
                    == Some(id)
        })
    }

    /// Is `[from, to)` a covered period of the usage ledger (M8)? Only while the activities of
    /// every environment were collected: an admin may have acted where nobody observed.
    pub fn usage_covers(&self, from: Ts, to: Ts) -> bool {
        self.activity_gaps().is_empty() && self.usage.covers(from, to)
    }

    /// Is role `r` read-only (M5)? A role missing from the snapshot is privileged.
    pub fn role_is_read_only(&self, r: Option<RoleId>) -> bool {
        r.is_some_and(|r| self.roles[r.idx()].read_only)
    }

    /// A group's name, or its id when it has none (for paths and messages).
    pub fn group_label(&self, g: GroupId) -> &str {
        let g = &self.groups[g.idx()];
        self.s(if g.name.is_empty() { g.id } else { g.name })
    }

    /// The display name of an assignment's role (empty when the role is missing).
    pub fn role_name(&self, a: &RoleAssignment) -> &str {
        a.role.map_or("", |r| self.s(self.roles[r.idx()].name))
    }

    /// Does scope `outer` contain scope `inner` (M4, extended to groups as the attack-path model
    /// says)? ORGANIZATION contains every environment of the organization and what they hold;
    /// ENVIRONMENT `e` its populations, groups and applications; POPULATION `p` the groups whose
    /// `population.id` is `p`; APPLICATION and GROUP only themselves. A scope whose target is
    /// missing from the snapshot (either side), or of an unknown type, is contained only in
    /// itself. O(1).
    pub fn scope_contains(&self, outer: ScopeRef, inner: ScopeRef) -> bool {
        if outer == inner {
            return true;
        }
        // The environment an inner scope lives in, when its target is known.
        let inner_env: Option<EnvId> = match inner.kind {
            ScopeKind::Environment => self.index.env.get(&inner.id).copied(),
            ScopeKind::Population => self
                .index
                .pop
                .get(&inner.id)
                .map(|&p| self.populations[p.idx()].env),
            ScopeKind::Application => self
                .index
                .app
                .get(&inner.id)
                .map(|&a| self.applications[a.idx()].env),
            ScopeKind::Group => self
                .index
                .group
                .get(&inner.id)
                .map(|g| self.groups[g.idx()].env),
            _ => None,
        };
        let Some(inner_env) = inner_env else {
            return false;
        };
        match outer.kind {
            ScopeKind::Organization => self.env_organization(inner_env) == outer.id,
            ScopeKind::Environment => {
                inner.kind != ScopeKind::Environment
                    && self.environments[inner_env.idx()].id == outer.id
            }
            ScopeKind::Population => {
                inner.kind == ScopeKind::Group
                    && self.index.pop.contains_key(&outer.id)
                    && self
                        .index
                        .group
                        .get(&inner.id)
                        .is_some_and(|g| self.groups[g.idx()].population == outer.id)
            }
            _ => false,
        }
    }

    /// The organization an environment belongs to: its `organization.id`, or the snapshot's
    /// organization when the environment does not say.
    pub fn env_organization(&self, e: EnvId) -> Sym {
        let env_org = self.environments[e.idx()].organization;
        if env_org.is_empty() {
            self.organization.id
        } else {
            env_org
        }
    }

    /// Is the target of this scope in the snapshot? An unknown scope type never is.
    pub fn scope_is_known(&self, scope: ScopeRef) -> bool {
        match scope.kind {
            ScopeKind::Organization => {
                !scope.id.is_empty()
                    && (scope.id == self.organization.id
                        || self.environments.iter().any(|e| e.organization == scope.id))
            }
            ScopeKind::Environment => self.index.env.contains_key(&scope.id),
            ScopeKind::Population => self.index.pop.contains_key(&scope.id),
            ScopeKind::Application => self.index.app.contains_key(&scope.id),
            ScopeKind::Group => self.index.group.contains_key(&scope.id),
            ScopeKind::Unknown(_) => false,
        }
    }

    /// The name of a scope's target (organization, environment, population, application, group),
    /// `None` when the target is missing from the snapshot or the type is unknown. The
    /// `scope_name` column of the exports (empty for `None`).
    pub fn scope_target_name(&self, scope: ScopeRef) -> Option<&str> {
        let name = match scope.kind {
            ScopeKind::Organization => (!scope.id.is_empty() && scope.id == self.organization.id)
                .then_some(self.organization.name),
            ScopeKind::Environment => self
                .index
                .env
                .get(&scope.id)
                .map(|e| self.environments[e.idx()].name),
            ScopeKind::Population => self
                .index
                .pop
                .get(&scope.id)
                .map(|p| self.populations[p.idx()].name),
            ScopeKind::Application => self
                .index
                .app
                .get(&scope.id)
                .map(|a| self.applications[a.idx()].name),
            ScopeKind::Group => self
                .index
                .group
                .get(&scope.id)
                .map(|g| self.groups[g.idx()].name),
            ScopeKind::Unknown(_) => None,
        };
        name.map(|n| self.s(n))
    }

    /// The human name of a scope target for paths and messages: its name, or the raw id when the
    /// target is unknown or has no name.
    pub fn scope_name(&self, scope: ScopeRef) -> &str {
        match self.scope_target_name(scope) {
            Some(n) if !n.is_empty() => n,
            _ => self.s(scope.id),
        }
    }

    /// Is this role the built-in role named `name` (a custom role with that name is not)?
    pub fn role_is_builtin_named(&self, r: Option<RoleId>, name: &str) -> bool {
        r.is_some_and(|r| {
            let role = &self.roles[r.idx()];
            role.builtin && self.s(role.name) == name
        })
    }

    /// Is (role, scope) "tier zero" (access model section 4, severities): the built-in
    /// Organization Admin or Environment Admin at any scope, or a privileged role at ORGANIZATION
    /// scope.
    pub fn is_tier_zero(&self, r: Option<RoleId>, scope: ScopeRef) -> bool {
        self.is_tier_zero_role(r)
            || (scope.kind == ScopeKind::Organization && !self.role_is_read_only(r))
    }

    /// Is the role the built-in Organization Admin or Environment Admin (what the
    /// `privilege-escalation` rule and a diff's tier-zero paths look for)?
    pub fn is_tier_zero_role(&self, r: Option<RoleId>) -> bool {
        TIER_ZERO_ROLES
            .iter()
            .any(|n| self.role_is_builtin_named(r, n))
    }

    /// The raw text of a scope kind.
    pub fn scope_kind_str(&self, k: ScopeKind) -> &str {
        match k {
            ScopeKind::Organization => "ORGANIZATION",
            ScopeKind::Environment => "ENVIRONMENT",
            ScopeKind::Population => "POPULATION",
            ScopeKind::Application => "APPLICATION",
            ScopeKind::Group => "GROUP",
            ScopeKind::Unknown(s) => self.s(s),
        }
    }

    /// Is the role target of this scope missing from the snapshot (for `orphaned-assignment`)?
    pub fn scope_is_dangling(&self, scope: ScopeRef) -> bool {
        match scope.kind {
            ScopeKind::Environment => !self.index.env.contains_key(&scope.id),
            ScopeKind::Population => !self.index.pop.contains_key(&scope.id),
            ScopeKind::Application => !self.index.app.contains_key(&scope.id),
            // The findings catalogue names POPULATION, ENVIRONMENT and APPLICATION scopes only.
            _ => false,
        }
    }

    /// The kind of application `a` (its `type`).
    pub fn app_kind(&self, a: AppId) -> AppKind {
        AppKind::parse(self.s(self.applications[a.idx()].kind))
    }

    /// Is this application a worker (`type = WORKER`)?
    pub fn app_is_worker(&self, a: AppId) -> bool {
        self.app_kind(a) == AppKind::Worker
    }
}

/// A user with no data, left behind while [`Tenant::order_users_by_id`] moves the real ones.
fn placeholder_user() -> User {
    User {
        id: Sym::EMPTY,
        username: Sym::EMPTY,
        display_name: Sym::EMPTY,
        env: EnvId::from_idx(0),
        population: Sym::EMPTY,
        enabled: false,
        locked: false,
        last_sign_on: None,
        mfa_enabled: None,
        created_at: None,
        identity_provider: Sym::EMPTY,
    }
}

#[cfg(test)]
mod tests {
    use super::builder::TenantBuilder;
    use super::*;

    /// Users end in id order; memberships follow their users, stay sorted, and the index
    /// finds every user at its new place.
    #[test]
    fn ordering_users_by_id_moves_their_memberships_and_index() {
        let mut t = TenantBuilder::new("org-1")
            .env("env-a")
            .user("u-3", "env-a")
            .user("u-1", "env-a")
            .user("u-2", "env-a")
            .group("g-1", "env-a")
            .group("g-2", "env-a")
            .member("u-3", "g-1")
            .member("u-1", "g-2")
            .member("u-3", "g-2")
            .build();
        let before: Vec<(String, String)> = pairs(&t);
        t.order_users_by_id();
        let ids: Vec<&str> = t.users.iter().map(|u| t.s(u.id)).collect();
        assert_eq!(ids, ["u-1", "u-2", "u-3"]);
        assert_eq!(pairs(&t), before);
        assert!(
            t.memberships
                .windows(2)
                .all(|w| (w[0].user, w[0].group) < (w[1].user, w[1].group))
        );
        for (i, u) in t.users.iter().enumerate() {
            assert_eq!(t.index.user.get(&u.id), Some(UserId::from_idx(i)));
        }
        // Already in order: nothing moves.
        let again = t.clone();
        t.order_users_by_id();
        assert_eq!(t.users, again.users);
        assert_eq!(t.memberships, again.memberships);
    }

    /// (user id, group id) of every membership, sorted.
    fn pairs(t: &Tenant) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = t
            .memberships
            .iter()
            .map(|m| {
                (
                    t.s(t.users[m.user.idx()].id).to_string(),
                    t.s(t.groups[m.group.idx()].id).to_string(),
                )
            })
            .collect();
        v.sort();
        v
    }
}
