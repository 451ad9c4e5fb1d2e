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
pub mod time;
pub mod usage;

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

pub use entities::*;
pub use ids::*;
pub use intern::{Interner, Sym};
pub use time::Ts;
pub use usage::UsageLedger;

/// The version of the access model this engine implements (`../shared/design/access-model.md`).
pub const ACCESS_MODEL_VERSION: u32 = 1;

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
    pub user: FxHashMap<Sym, UserId>,
    pub group: FxHashMap<Sym, GroupId>,
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
        self.index = Index {
            env: index_of(&self.environments, |e| e.id, EnvId::from_idx),
            pop: index_of(&self.populations, |e| e.id, PopId::from_idx),
            user: index_of(&self.users, |e| e.id, UserId::from_idx),
            group: index_of(&self.groups, |e| e.id, GroupId::from_idx),
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

    /// The capture time, or now when the export does not say.
    pub fn captured_at(&self) -> Ts {
        self.manifest.captured_at.unwrap_or_else(Ts::now)
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

    /// Does scope `outer` contain scope `inner` (M4)? A scope whose target is missing from the
    /// snapshot is contained only in itself.
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
            _ => None,
        };
        let Some(inner_env) = inner_env else {
            return false;
        };
        match outer.kind {
            ScopeKind::Organization => {
                let env_org = self.environments[inner_env.idx()].organization;
                // An environment without an organization id belongs to the snapshot's organization.
                let org = if env_org.is_empty() {
                    self.organization.id
                } else {
                    env_org
                };
                org == outer.id
            }
            ScopeKind::Environment => {
                inner.kind != ScopeKind::Environment
                    && self.environments[inner_env.idx()].id == outer.id
            }
            _ => false,
        }
    }

    /// The human name of a scope target: environment, population or application name, the
    /// organization name; the raw id when the target is unknown.
    pub fn scope_name(&self, scope: ScopeRef) -> &str {
        let name = match scope.kind {
            ScopeKind::Organization if scope.id == self.organization.id => {
                Some(self.organization.name)
            }
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
            _ => None,
        };
        match name {
            Some(n) if !n.is_empty() => self.s(n),
            _ => self.s(scope.id),
        }
    }

    /// The raw text of a scope kind.
    pub fn scope_kind_str(&self, k: ScopeKind) -> &str {
        match k {
            ScopeKind::Organization => "ORGANIZATION",
            ScopeKind::Environment => "ENVIRONMENT",
            ScopeKind::Population => "POPULATION",
            ScopeKind::Application => "APPLICATION",
            ScopeKind::Unknown(s) => self.s(s),
        }
    }

    /// Is the role target of this scope missing from the snapshot (for `orphaned-assignment`)?
    pub fn scope_is_dangling(&self, scope: ScopeRef) -> bool {
        match scope.kind {
            ScopeKind::Environment => !self.index.env.contains_key(&scope.id),
            ScopeKind::Population => !self.index.pop.contains_key(&scope.id),
            ScopeKind::Application => !self.index.app.contains_key(&scope.id),
            _ => false,
        }
    }

    /// Is this application a worker (`type = WORKER`)?
    pub fn app_is_worker(&self, a: AppId) -> bool {
        self.s(self.applications[a.idx()].kind) == "WORKER"
    }
}
