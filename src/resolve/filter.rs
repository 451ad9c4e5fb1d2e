//! Narrowing the access export to what a person asked: one identity, one environment, one kind
//! of entitlement, one entitlement, or what one group grants and to whom.
//!
//! A filter never changes a row: it keeps or drops whole rows of the unfiltered export, in the
//! same order, so `access --entitlement X` is exactly the rows of `access` whose entitlement is X.

use super::access::{Access, AppEnt, Identity, Resolver, RoleEnt, ScopeEnt};
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
        let mut ids = r.identities_in_order().to_vec();
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

    fn keeps_type(&self, k: EntitlementType) -> bool {
        self.types.is_empty() || self.types.contains(&k)
    }

    fn through_group(&self, groups: &[GroupId]) -> bool {
        groups
            .iter()
            .any(|g| self.grant_groups.binary_search(g).is_ok())
    }

    /// Is the ROLE row of `e` kept? (The rows are decided one by one, never by editing the
    /// [`Access`]: an application row's path names a role, which must stay there.)
    pub fn keeps_role(&self, a: &Access, e: &RoleEnt) -> bool {
        self.keeps_type(EntitlementType::Role)
            && match self.target {
                None => true,
                Some(Target::Role(id)) => e.role_id == id,
                Some(Target::Group(_)) => self.through_group(a.role_groups(e)),
                Some(_) => false,
            }
    }

    /// Is the APPLICATION row of `e` kept?
    pub fn keeps_app(&self, a: &Access, e: &AppEnt) -> bool {
        self.keeps_type(EntitlementType::Application)
            && match self.target {
                None => true,
                Some(Target::Application(app)) => e.app == app,
                Some(Target::Group(_)) => self.through_group(a.app_groups(e)),
                Some(_) => false,
            }
    }

    /// Is the SCOPE row of `e` kept?
    pub fn keeps_scope(&self, e: &ScopeEnt) -> bool {
        self.keeps_type(EntitlementType::Scope)
            && match self.target {
                None => true,
                Some(Target::Scope(s)) => e.scope == s,
                Some(_) => false,
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
