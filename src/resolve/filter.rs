//! Narrowing the access export to what a person asked: one identity, one environment, one kind
//! of entitlement, one entitlement, or what one group grants and to whom.
//!
//! A filter never changes a row: it keeps or drops whole rows of the unfiltered export, in the
//! same order, so `access --entitlement X` is exactly the rows of `access` whose entitlement is X.

use super::access::{Access, Identity, Resolver};
use super::query::Target;
use crate::model::*;

/// Entitlement kinds of the access export (`--type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum EntitlementType {
    Role,
    Application,
    Scope,
}

/// What to keep of the access export.
#[derive(Clone, Debug, Default)]
pub struct AccessFilter {
    pub identity: Option<Identity>,
    /// The identity's environment.
    pub environment: Option<EnvId>,
    /// Only these entitlement kinds (empty: all).
    pub types: Vec<EntitlementType>,
    pub target: Option<Target>,
    /// For a group target: the groups whose members are its members (it included), per group.
    members_of: Vec<bool>,
    /// For a group target: the groups whose grants its members get through it (it and its
    /// ancestors that hold roles or decide applications), sorted.
    grant_groups: Vec<GroupId>,
}

impl AccessFilter {
    pub fn new(
        r: &Resolver,
        identity: Option<Identity>,
        environment: Option<EnvId>,
        types: Vec<EntitlementType>,
        target: Option<Target>,
    ) -> AccessFilter {
        let mut f = AccessFilter {
            identity,
            environment,
            types,
            target,
            ..Default::default()
        };
        if let Some(Target::Group(g)) = target {
            f.members_of = vec![false; r.t.groups.len()];
            for d in r.closure.descendants(g) {
                f.members_of[d.idx()] = true;
            }
            f.grant_groups = r.closure.relevant_ancestors(g).to_vec();
            f.grant_groups.sort_unstable();
        }
        f
    }

    /// Does this filter keep everything?
    pub fn is_empty(&self) -> bool {
        self.identity.is_none()
            && self.environment.is_none()
            && self.types.is_empty()
            && self.target.is_none()
    }

    /// The identities that may have rows, in export order.
    pub fn identities(&self, r: &Resolver) -> Vec<Identity> {
        let t = r.t;
        if let Some(id) = self.identity {
            return if self.environment.is_none_or(|e| identity_env(t, id) == e) {
                vec![id]
            } else {
                Vec::new()
            };
        }
        let mut ids = r.identities_in_order();
        if let Some(e) = self.environment {
            ids.retain(|&id| identity_env(t, id) == e);
        }
        match self.target {
            Some(Target::Group(_)) => ids.retain(|&id| match id {
                Identity::User(u) => r.direct_groups(u).iter().any(|g| self.members_of[g.idx()]),
                _ => false,
            }),
            // Applications are users' entitlements; scopes are applications'.
            Some(Target::Application(_)) => ids.retain(|id| matches!(id, Identity::User(_))),
            Some(Target::Scope(_)) => ids.retain(|id| matches!(id, Identity::Application(_))),
            _ => {}
        }
        ids
    }

    /// Drops the entitlements of `a` that the filter does not keep.
    pub fn retain(&self, a: &mut Access) {
        let keep = |k: EntitlementType| self.types.is_empty() || self.types.contains(&k);
        if !keep(EntitlementType::Role) {
            a.roles.clear();
        }
        if !keep(EntitlementType::Application) {
            a.apps.clear();
        }
        if !keep(EntitlementType::Scope) {
            a.scopes.clear();
        }
        let grant = |gs: &[GroupId]| {
            gs.iter()
                .any(|g| self.grant_groups.binary_search(g).is_ok())
        };
        match self.target {
            None => {}
            Some(Target::Role(id)) => {
                a.apps.clear();
                a.scopes.clear();
                a.roles.retain(|e| e.role_id == id);
            }
            Some(Target::Application(app)) => {
                a.roles.clear();
                a.scopes.clear();
                a.apps.retain(|e| e.app == app);
            }
            Some(Target::Scope(s)) => {
                a.roles.clear();
                a.apps.clear();
                a.scopes.retain(|e| e.scope == s);
            }
            Some(Target::Group(_)) => {
                a.scopes.clear();
                let groups = std::mem::take(&mut a.groups);
                a.roles
                    .retain(|e| grant(&groups[e.groups.start as usize..e.groups.end as usize]));
                a.apps
                    .retain(|e| grant(&groups[e.groups.start as usize..e.groups.end as usize]));
                a.groups = groups;
            }
        }
    }
}

/// The environment an identity lives in.
pub fn identity_env(t: &Tenant, id: Identity) -> EnvId {
    match id {
        Identity::User(u) => t.users[u.idx()].env,
        Identity::Application(a) => t.applications[a.idx()].env,
        Identity::Gateway(g) => t.gateways[g.idx()].env,
    }
}
