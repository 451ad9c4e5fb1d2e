//! The rows of the access export (access model, section 3), one identity at a time: what each
//! row says, built once here and written by `report` as CSV, JSON, Parquet or a table, and
//! compared by `diff`.

use super::filter::AccessFilter;
use super::labels::{identity_label, identity_syms, push_group_chain, role_label, role_sources};
use super::{Access, Identity, Resolver, Via};
use crate::model::*;

/// One row of the access export, borrowed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AccessRow<'a> {
    pub identity_type: &'a str,
    pub identity_id: &'a str,
    pub identity_name: &'a str,
    pub environment_id: &'a str,
    pub enabled: bool,
    pub entitlement_type: &'a str,
    pub entitlement_id: &'a str,
    pub entitlement_name: &'a str,
    pub scope_type: &'a str,
    pub scope_id: &'a str,
    pub scope_name: &'a str,
    pub via: &'a str,
    pub sources: &'a str,
    pub path: &'a str,
}

/// The shortest group chain of a user to any of `groups`: appended as ` -> group:...` labels.
fn best_chain(r: &Resolver, u: UserId, groups: &[GroupId], out: &mut String) {
    if let Some(chain) = r.closure.shortest_chain_from(r.direct_groups(u), groups) {
        push_group_chain(r.t, &chain, out);
    }
}

/// A name column's text, or nothing when names are not wanted (computed only when wanted: a
/// scope's name is a hash lookup).
fn unless<'a>(skip: bool, name: impl FnOnce() -> &'a str) -> &'a str {
    if skip { "" } else { name() }
}

/// What a row's entitlement and scope cells (type, id and name of each) are derived from: rows
/// with equal keys have equal cells (for one [`Skip`]), whoever the identity. A tenant has few
/// (its applications, role assignments' role and scope pairs, granted scopes), so an export can
/// format those cells once per key instead of once per row.
///
/// A role's name is read through the role the entitlement points to, which is normally the
/// tenant's role with its id; the pointer is part of the key all the same, so that even a
/// snapshot where the two disagree is written as without the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EntitlementKey(u128, u64);

impl EntitlementKey {
    fn app(app: AppId) -> EntitlementKey {
        EntitlementKey(1 << 120 | app.idx() as u128, 0)
    }

    fn role(e: &super::RoleEnt) -> EntitlementKey {
        // The scope's kind in 33 bits: a known kind's number, or 5 + an unknown one's symbol.
        let kind: u128 = match e.scope.kind {
            ScopeKind::Organization => 0,
            ScopeKind::Environment => 1,
            ScopeKind::Population => 2,
            ScopeKind::Application => 3,
            ScopeKind::Group => 4,
            ScopeKind::Unknown(s) => 5 + s.0 as u128,
        };
        EntitlementKey(
            2 << 120 | (e.role_id.0 as u128) << 72 | kind << 32 | e.scope.id.0 as u128,
            e.role.map_or(0, |r| r.idx() as u64 + 1),
        )
    }

    fn scope(s: &super::ScopeEnt) -> EntitlementKey {
        EntitlementKey(
            3 << 120 | (s.scope.0 as u128) << 32 | s.resource.0 as u128,
            0,
        )
    }
}

/// Which columns a [`RowBuilder`] leaves empty because its caller does not want them: they are
/// then not computed at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Skip {
    /// `path`: its shortest group chain is most of the formatting cost.
    pub path: bool,
    /// `sources`.
    pub sources: bool,
    /// The identity's label at the start of `path`: rows formatted once for many users leave
    /// a hole there (the rest of the path is theirs alike).
    pub label: bool,
    /// All three name columns (`identity_name`, `entitlement_name`, `scope_name`): an identity's
    /// name is a read of its own place in the string arena (a cache miss per identity at a
    /// million users), which the key-column exports need not pay.
    pub names: bool,
}

/// Builds the rows of one identity, reusing its path and sources buffers between rows and
/// identities (no allocation per row once warm).
#[derive(Default)]
pub struct RowBuilder {
    path: String,
    sources: String,
    skip: Skip,
}

impl RowBuilder {
    /// A builder that leaves the columns `skip` names empty.
    pub fn skipping(skip: Skip) -> RowBuilder {
        RowBuilder {
            skip,
            ..RowBuilder::default()
        }
    }

    /// The columns left empty, to change which.
    pub fn skip_mut(&mut self) -> &mut Skip {
        &mut self.skip
    }

    /// A row with only `id`'s own cells (type, id, name, environment, enabled): the same in
    /// each of its rows.
    pub fn identity_cells<'t>(&self, t: &'t Tenant, id: Identity) -> AccessRow<'t> {
        let (iid, iname, ienv, enabled) = identity_syms(t, id);
        AccessRow {
            identity_type: id.type_str(),
            identity_id: t.s(iid),
            identity_name: unless(self.skip.names, || t.s(iname)),
            environment_id: t.s(ienv),
            enabled,
            ..AccessRow::default()
        }
    }

    /// Calls `emit` with each row of `access` that `filter` keeps, in export order; returns
    /// the number of rows.
    pub fn each_row(
        &mut self,
        r: &Resolver,
        a: &Access,
        filter: Option<&AccessFilter>,
        mut emit: impl FnMut(&AccessRow),
    ) -> u64 {
        self.each_row_keyed(r, a, filter, |row, _| emit(row))
    }

    /// [`RowBuilder::each_row`], with each row's [`EntitlementKey`].
    pub fn each_row_keyed(
        &mut self,
        r: &Resolver,
        a: &Access,
        filter: Option<&AccessFilter>,
        mut emit: impl FnMut(&AccessRow, EntitlementKey),
    ) -> u64 {
        let t = r.t;
        let Some(id) = a.identity else { return 0 };
        let skip_names = self.skip.names;
        let who = self.identity_cells(t, id);
        let mut n = 0;
        // APPLICATION rows (users only)
        for e in &a.apps {
            if filter.is_some_and(|f| !f.keeps_app(a, e)) {
                continue;
            }
            let app = &t.applications[e.app.idx()];
            let mut sources = std::mem::take(&mut self.sources);
            let mut path = std::mem::take(&mut self.path);
            sources.clear();
            path.clear();
            for (i, g) in a.app_groups(e).iter().enumerate() {
                if self.skip.sources {
                    break;
                }
                if i > 0 {
                    sources.push(';');
                }
                sources.push_str(t.s(t.groups[g.idx()].id));
            }
            if !self.skip.path && !self.skip.label {
                identity_label(t, id, &mut path);
            }
            if !self.skip.path
                && let Identity::User(u) = id
            {
                match e.via {
                    Via::Group => best_chain(r, u, a.app_groups(e), &mut path),
                    Via::AdminRole => {
                        if let Some(role) = a
                            .roles
                            .iter()
                            .find(|x| x.role.is_some_and(|x| r.admin_console_role[x.idx()]))
                        {
                            role_label(t, role, &mut path);
                        }
                    }
                    _ => {}
                }
            }
            if !self.skip.path {
                path.push_str(" -> application:");
                path.push_str(t.s(app.name));
            }
            let row = AccessRow {
                entitlement_type: "APPLICATION",
                entitlement_id: t.s(app.id),
                entitlement_name: unless(skip_names, || t.s(app.name)),
                scope_type: "ENVIRONMENT",
                scope_id: t.s(t.environments[app.env.idx()].id),
                scope_name: unless(skip_names, || t.s(t.environments[app.env.idx()].name)),
                via: e.via.as_str(),
                sources: &sources,
                path: &path,
                ..who
            };
            emit(&row, EntitlementKey::app(e.app));
            n += 1;
            self.sources = sources;
            self.path = path;
        }

        // ROLE rows
        for e in &a.roles {
            if filter.is_some_and(|f| !f.keeps_role(a, e)) {
                continue;
            }
            let mut sources = std::mem::take(&mut self.sources);
            let mut path = std::mem::take(&mut self.path);
            sources.clear();
            path.clear();
            if !self.skip.sources {
                role_sources(t, a, e, &mut sources);
            }
            if !self.skip.path {
                if !self.skip.label {
                    identity_label(t, id, &mut path);
                }
                if !e.direct
                    && let Identity::User(u) = id
                {
                    best_chain(r, u, a.role_groups(e), &mut path);
                }
                role_label(t, e, &mut path);
            }
            let row = AccessRow {
                entitlement_type: "ROLE",
                entitlement_id: t.s(e.role_id),
                entitlement_name: unless(skip_names, || {
                    e.role.map_or("", |x| t.s(t.roles[x.idx()].name))
                }),
                scope_type: t.scope_kind_str(e.scope.kind),
                scope_id: t.s(e.scope.id),
                scope_name: unless(skip_names, || t.scope_target_name(e.scope).unwrap_or("")),
                via: if e.direct { "DIRECT" } else { "GROUP" },
                sources: &sources,
                path: &path,
                ..who
            };
            emit(&row, EntitlementKey::role(e));
            n += 1;
            self.sources = sources;
            self.path = path;
        }

        // SCOPE rows (applications only)
        for s in &a.scopes {
            if filter.is_some_and(|f| !f.keeps_scope(s)) {
                continue;
            }
            let mut path = std::mem::take(&mut self.path);
            path.clear();
            let scope_name = t
                .index
                .scope
                .get(&s.scope)
                .map_or(Sym::EMPTY, |x| t.scopes[x.idx()].name);
            let res_name_col = t
                .index
                .resource
                .get(&s.resource)
                .map_or(Sym::EMPTY, |x| t.resources[x.idx()].name);
            let res_name = if res_name_col.is_empty() {
                s.resource
            } else {
                res_name_col
            };
            let shown = if scope_name.is_empty() {
                s.scope
            } else {
                scope_name
            };
            if !self.skip.path {
                if !self.skip.label {
                    identity_label(t, id, &mut path);
                }
                for part in [" -> scope:", t.s(shown), " @ RESOURCE:", t.s(res_name)] {
                    path.push_str(part);
                }
            }
            let row = AccessRow {
                entitlement_type: "SCOPE",
                entitlement_id: t.s(s.scope),
                entitlement_name: unless(skip_names, || t.s(scope_name)),
                scope_type: "RESOURCE",
                scope_id: t.s(s.resource),
                scope_name: unless(skip_names, || t.s(res_name_col)),
                via: "DIRECT",
                sources: "direct",
                path: &path,
                ..who
            };
            emit(&row, EntitlementKey::scope(s));
            n += 1;
            self.path = path;
        }
        n
    }
}

impl crate::model::key::Keyed for AccessRow<'_> {
    fn key(&self) -> crate::model::key::Key<&str> {
        crate::model::key::Key {
            identity_type: self.identity_type,
            identity_id: self.identity_id,
            entitlement_type: self.entitlement_type,
            entitlement_id: self.entitlement_id,
            scope_type: self.scope_type,
            scope_id: self.scope_id,
        }
    }
}

impl AccessRow<'_> {
    /// The row's cells as the CSV writes them, in header order.
    pub fn fields(&self) -> [&str; 14] {
        [
            self.identity_type,
            self.identity_id,
            self.identity_name,
            self.environment_id,
            if self.enabled { "true" } else { "false" },
            self.entitlement_type,
            self.entitlement_id,
            self.entitlement_name,
            self.scope_type,
            self.scope_id,
            self.scope_name,
            self.via,
            self.sources,
            self.path,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::{RoleEnt, ScopeEnt};
    use super::*;

    fn role(role: u32, kind: ScopeKind, scope: u32) -> RoleEnt {
        RoleEnt {
            role_id: Sym(role),
            role: None,
            scope: ScopeRef {
                kind,
                id: Sym(scope),
            },
            direct: true,
            groups: 0..0,
            assignments: 0..0,
        }
    }

    /// Keys are equal exactly when the cells they stand for are: every part of a role's key
    /// (role id, the role it points to, scope kind, including unknown kinds, and scope id), an
    /// application's, and a granted scope's tells them apart, and the three kinds of rows never
    /// share a key. How an entitlement is held (directly, through which groups) does not enter
    /// its key.
    #[test]
    fn entitlement_keys_tell_apart_exactly_the_cells() {
        let kinds = [
            ScopeKind::Organization,
            ScopeKind::Environment,
            ScopeKind::Population,
            ScopeKind::Application,
            ScopeKind::Group,
            ScopeKind::Unknown(Sym(0)),
            ScopeKind::Unknown(Sym(1)),
            ScopeKind::Unknown(Sym(u32::MAX)),
        ];
        let mut keys = Vec::new();
        for r in [0, 1, u32::MAX] {
            for k in kinds {
                for s in [0, 1, u32::MAX] {
                    keys.push(EntitlementKey::role(&role(r, k, s)));
                }
            }
        }
        let mut pointed = role(0, ScopeKind::Organization, 0);
        pointed.role = Some(RoleId::from_idx(0));
        keys.push(EntitlementKey::role(&pointed));
        for a in [0, 1, 200_000] {
            keys.push(EntitlementKey::app(AppId::from_idx(a)));
        }
        for (sc, res) in [(0, 0), (0, 1), (1, 0), (u32::MAX, u32::MAX)] {
            keys.push(EntitlementKey::scope(&ScopeEnt {
                scope: Sym(sc),
                resource: Sym(res),
            }));
        }
        let distinct: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(
            distinct.len(),
            keys.len(),
            "two different cells share a key"
        );
        let mut held_otherwise = role(7, ScopeKind::Population, 9);
        held_otherwise.direct = false;
        held_otherwise.groups = 2..5;
        held_otherwise.assignments = 1..3;
        assert_eq!(
            EntitlementKey::role(&held_otherwise),
            EntitlementKey::role(&role(7, ScopeKind::Population, 9))
        );
    }
}
