//! A small fluent builder of tenants, for tests, property tests and examples.
//!
//! It fills the same tables the export reader fills; ids are the strings given.

use super::*;

/// Builds a [`Tenant`] in memory.
#[derive(Default)]
pub struct TenantBuilder {
    t: Tenant,
}

impl TenantBuilder {
    pub fn new(org: &str) -> Self {
        let mut b = TenantBuilder::default();
        b.t.organization.id = b.t.strings.intern(org);
        b.t.organization.name = b.t.strings.intern(org);
        b
    }

    fn s(&mut self, s: &str) -> Sym {
        self.t.strings.intern(s)
    }

    fn env_id(&mut self, env: &str) -> EnvId {
        let sym = self.s(env);
        if let Some(i) = self.t.environments.iter().position(|e| e.id == sym) {
            return EnvId::from_idx(i);
        }
        let org = self.t.organization.id;
        self.t.environments.push(Environment {
            id: sym,
            name: sym,
            kind: Sym::EMPTY,
            region: Sym::EMPTY,
            organization: org,
        });
        EnvId::from_idx(self.t.environments.len() - 1)
    }

    pub fn env(mut self, id: &str) -> Self {
        self.env_id(id);
        self
    }

    pub fn population(mut self, id: &str, env: &str) -> Self {
        let env = self.env_id(env);
        let id = self.s(id);
        self.t.populations.push(Population {
            id,
            name: id,
            env,
            default: false,
        });
        self
    }

    pub fn user(self, id: &str, env: &str) -> Self {
        self.user_with(id, env, |_| {})
    }

    /// A user, adjusted by `f` (enabled, locked, sign-on, MFA ...).
    pub fn user_with(mut self, id: &str, env: &str, f: impl FnOnce(&mut User)) -> Self {
        let env = self.env_id(env);
        let id = self.s(id);
        let mut u = User {
            id,
            username: id,
            display_name: Sym::EMPTY,
            env,
            population: Sym::EMPTY,
            enabled: true,
            locked: false,
            last_sign_on: None,
            mfa_enabled: Some(true),
            created_at: None,
            identity_provider: Sym::EMPTY,
        };
        f(&mut u);
        self.t.users.push(u);
        self
    }

    pub fn group(mut self, id: &str, env: &str) -> Self {
        let env = self.env_id(env);
        let id = self.s(id);
        self.t.groups.push(Group {
            id,
            name: id,
            env,
            population: Sym::EMPTY,
            user_filter: Sym::EMPTY,
        });
        self
    }

    fn group_ix(&self, id: &str) -> GroupId {
        let sym = self.t.strings.get(id).expect("group declared before use");
        GroupId::from_idx(
            self.t
                .groups
                .iter()
                .position(|g| g.id == sym)
                .expect("group declared before use"),
        )
    }

    pub fn member(mut self, user: &str, group: &str) -> Self {
        let sym = self.t.strings.get(user).expect("user declared before use");
        let u = UserId::from_idx(
            self.t
                .users
                .iter()
                .position(|x| x.id == sym)
                .expect("user declared before use"),
        );
        let g = self.group_ix(group);
        let kind = self.s("DIRECT");
        self.t.memberships.push(Membership {
            user: u,
            group: g,
            kind,
        });
        self
    }

    /// `child` is nested in `parent`: members of `child` are members of `parent`.
    pub fn nest(mut self, child: &str, parent: &str) -> Self {
        let (c, p) = (self.group_ix(child), self.group_ix(parent));
        self.t.nestings.push(Nesting {
            child: c,
            parent: p,
        });
        self
    }

    /// A built-in role (`custom_env = None`) or a custom role defined in an environment.
    pub fn role(
        mut self,
        id: &str,
        name: &str,
        permissions: &[&str],
        custom_env: Option<&str>,
    ) -> Self {
        let env = custom_env.map(|e| self.env_id(e));
        let permissions: Vec<Sym> = permissions.iter().map(|p| self.s(p)).collect();
        let read_only = !permissions.is_empty()
            && permissions
                .iter()
                .all(|&p| self.t.strings.resolve(p).split(':').nth(1) == Some("read"));
        let (id, name) = (self.s(id), self.s(name));
        self.t.roles.push(Role {
            id,
            name,
            builtin: env.is_none(),
            env,
            permissions,
            read_only,
            applicable_to: Vec::new(),
            can_be_assigned_by: Vec::new(),
        });
        self
    }

    /// Sets the last role's `applicableTo[]` (scope type names).
    pub fn applicable_to(mut self, types: &[&str]) -> Self {
        let v: Vec<Sym> = types.iter().map(|x| self.s(x)).collect();
        if let Some(r) = self.t.roles.last_mut() {
            r.applicable_to = v;
        }
        self
    }

    /// Sets the last role's `canBeAssignedBy[]` (role ids).
    pub fn can_be_assigned_by(mut self, roles: &[&str]) -> Self {
        let v: Vec<Sym> = roles.iter().map(|x| self.s(x)).collect();
        if let Some(r) = self.t.roles.last_mut() {
            r.can_be_assigned_by = v;
        }
        self
    }

    /// A role assignment. `subject` is `USER`, `GROUP`, `APPLICATION` or `GATEWAY`.
    pub fn assign(
        mut self,
        id: &str,
        subject: &str,
        subject_id: &str,
        role: &str,
        scope_type: &str,
        scope_id: &str,
    ) -> Self {
        let kind = SubjectKind::parse(subject).expect("a known subject type");
        let env = EnvId(0);
        let raw = self.s(scope_type);
        let a = RoleAssignment {
            id: self.s(id),
            subject: Subject {
                kind,
                id: self.s(subject_id),
            },
            role_id: self.s(role),
            role: None,
            scope: ScopeRef {
                kind: ScopeKind::parse(scope_type, raw),
                id: self.s(scope_id),
            },
            read_only_flag: false,
            env,
        };
        self.t.assignments.push(a);
        self
    }

    /// An application. `groups = Some((all, ids))` sets a group rule.
    pub fn app(
        mut self,
        id: &str,
        env: &str,
        kind: &str,
        enabled: bool,
        admin_only: bool,
        groups: Option<(bool, &[&str])>,
    ) -> Self {
        let env = self.env_id(env);
        let group = groups.map(|(all, ids)| {
            let mut groups: Vec<Sym> = ids.iter().map(|g| self.s(g)).collect();
            groups.sort();
            groups.dedup();
            GroupRule {
                kind: if all {
                    GroupRuleKind::AllGroups
                } else {
                    GroupRuleKind::AnyGroup
                },
                groups,
            }
        });
        let a = Application {
            id: self.s(id),
            name: self.s(id),
            env,
            kind: self.s(kind),
            protocol: Sym::EMPTY,
            enabled,
            access: AccessControl {
                admin_users_only: admin_only,
                unknown_role_type: None,
                group,
            },
        };
        self.t.applications.push(a);
        self
    }

    pub fn gateway(mut self, id: &str, env: &str, enabled: bool) -> Self {
        let env = self.env_id(env);
        let id = self.s(id);
        let kind = self.s("LDAP");
        self.t.gateways.push(Gateway {
            id,
            name: id,
            env,
            kind,
            enabled,
        });
        self
    }

    pub fn grant(mut self, app: &str, resource: &str, scopes: &[&str]) -> Self {
        let g = Grant {
            id: self.s(&format!("grant-{app}-{resource}")),
            application: self.s(app),
            resource: self.s(resource),
            scopes: scopes.iter().map(|s| self.s(s)).collect(),
        };
        self.t.grants.push(g);
        self
    }

    pub fn captured_at(mut self, ts: &str) -> Self {
        self.t.manifest.captured_at = Ts::parse(ts);
        self
    }

    /// Direct access to the tenant being built, for anything the builder does not cover.
    pub fn tenant_mut(&mut self) -> &mut Tenant {
        &mut self.t
    }

    /// Finishes: sorts relations, resolves role references and builds the index.
    pub fn build(mut self) -> Tenant {
        self.t.memberships.sort_by_key(|m| (m.user, m.group));
        self.t.memberships.dedup_by_key(|m| (m.user, m.group));
        self.t.nestings.sort();
        self.t.nestings.dedup();
        self.t.reindex();
        for a in &mut self.t.assignments {
            a.role = self.t.index.role.get(&a.role_id).copied();
        }
        self.t
    }
}
