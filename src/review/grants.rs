//! One identity's reviewable entitlements, with how each is granted.
//!
//! Start, plan and verify all need the same facts about a row: the entitlement, its sources
//! (as in the access export), and the *entry groups*: the user's own direct groups through
//! which a group-derived grant arrives. Entry groups are what a remediation cuts (remove the
//! membership) and what verification compares (is the access still arriving through a path the
//! campaign saw?). Group membership rows need every ancestor group, not only the groups that
//! hold roles, so [`Groups`] keeps a closure over all groups.

use std::fmt::Write as _;

use crate::model::*;
use crate::resolve::closure::GroupClosure;
use crate::resolve::{Access, Identity, Resolver, Via};

/// The group closure over every group (membership review), beside the resolver's.
pub struct Groups {
    pub all: GroupClosure,
}

impl Groups {
    pub fn new(t: &Tenant) -> Self {
        Groups {
            all: GroupClosure::new(t.groups.len(), &t.nestings, &vec![true; t.groups.len()]),
        }
    }

    /// groups(u) (M1), sorted by dense id.
    pub fn of_user(&self, r: &Resolver, u: UserId) -> Vec<GroupId> {
        let mut out = Vec::new();
        self.all.ancestors_of(r.direct_groups(u), &mut out);
        out
    }
}

/// What kind of entitlement a row is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntKind {
    /// Index into [`Access::roles`].
    Role(usize),
    /// Index into [`Access::apps`].
    App(usize),
    /// Membership of a group (direct or through nesting).
    Group(GroupId),
}

/// How an entitlement reaches the identity: the sheet's `granted` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granted {
    Direct,
    Group,
    /// Assigned directly and also through a group: removing one leaves the other.
    DirectAndGroup,
    /// An application without access control (M6).
    Open,
    /// An application an admin role opens (ADMIN_USERS_ONLY).
    AdminRole,
}

impl Granted {
    pub const ALL: [Granted; 5] = [
        Granted::Direct,
        Granted::Group,
        Granted::DirectAndGroup,
        Granted::Open,
        Granted::AdminRole,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Granted::Direct => "direct",
            Granted::Group => "group",
            Granted::DirectAndGroup => "direct+group",
            Granted::Open => "open",
            Granted::AdminRole => "admin_role",
        }
    }

    /// The value of a sheet's `granted` cell; `None` for anything else.
    pub fn parse(s: &str) -> Option<Granted> {
        Granted::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// Does a direct assignment carry it?
    pub fn has_direct(self) -> bool {
        matches!(self, Granted::Direct | Granted::DirectAndGroup)
    }

    /// `open` and `admin_role`: the entry point is the application's rule itself.
    fn rule_entry(self) -> Option<&'static str> {
        matches!(self, Granted::Open | Granted::AdminRole).then_some(self.as_str())
    }
}

/// One reviewable entitlement of an identity.
#[derive(Clone, Debug)]
pub struct Ent {
    pub kind: EntKind,
    pub ent_type: &'static str,
    pub ent_id: Sym,
    pub ent_name: Sym,
    pub scope_type: String,
    pub scope_id: Sym,
    pub granted: Granted,
    /// `;`-separated sources, as in the access export.
    pub sources: String,
    /// The user's direct groups through which it arrives, sorted by PingOne id.
    pub via_groups: Vec<GroupId>,
    /// One shortest human-readable chain.
    pub path: String,
}

impl Ent {
    /// `via_groups` as ids joined by `;`.
    pub fn via_groups_text(&self, t: &Tenant) -> String {
        join_groups(t, &self.via_groups)
    }

    /// The entry points of this grant, for comparing paths across snapshots: `direct`,
    /// `open`, `admin_role`, or the ids of entry groups.
    pub fn entry_points(&self, t: &Tenant) -> Vec<String> {
        let mut out = Vec::new();
        if self.granted.has_direct() {
            out.push("direct".to_string());
        }
        if let Some(e) = self.granted.rule_entry() {
            out.push(e.to_string());
        }
        out.extend(
            self.via_groups
                .iter()
                .map(|g| t.s(t.groups[g.idx()].id).to_string()),
        );
        out
    }
}

/// Entry points as recorded in a sheet row (`granted` and `via_groups` columns).
pub fn recorded_entry_points(granted: &str, via_groups: &str) -> Vec<String> {
    let mut out = Vec::new();
    let granted = Granted::parse(granted);
    if granted.is_some_and(Granted::has_direct) {
        out.push("direct".to_string());
    }
    if let Some(e) = granted.and_then(Granted::rule_entry) {
        out.push(e.to_string());
    }
    out.extend(
        via_groups
            .split(';')
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    );
    out
}

pub fn join_groups(t: &Tenant, gs: &[GroupId]) -> String {
    gs.iter()
        .map(|g| t.s(t.groups[g.idx()].id))
        .collect::<Vec<_>>()
        .join(";")
}

fn sort_by_pid(t: &Tenant, gs: &mut [GroupId]) {
    gs.sort_by(|a, b| t.s(t.groups[a.idx()].id).cmp(t.s(t.groups[b.idx()].id)));
}

/// The user's direct groups that reach any of `targets` in `closure`, sorted by PingOne id.
pub fn entry_groups(
    r: &Resolver,
    closure: &GroupClosure,
    u: UserId,
    targets: &[GroupId],
) -> Vec<GroupId> {
    let mut out: Vec<GroupId> = r
        .direct_groups(u)
        .iter()
        .copied()
        .filter(|&d| targets.iter().any(|&g| closure.distance(d, g).is_some()))
        .collect();
    sort_by_pid(r.t, &mut out);
    out.dedup();
    out
}

/// ` -> group:A -> group:B`: one shortest chain from a direct group of `u` to any of `targets`.
fn push_chain(
    r: &Resolver,
    closure: &GroupClosure,
    u: UserId,
    targets: &[GroupId],
    out: &mut String,
) {
    if let Some(chain) = closure.shortest_chain_from(r.direct_groups(u), targets) {
        crate::resolve::labels::push_group_chain(r.t, &chain, out);
    }
}

/// The role and application entitlements of an identity (roles for every identity,
/// applications for users), in the access export's order: applications first, then roles.
pub fn access_ents(
    r: &Resolver,
    a: &Access,
    want_apps: bool,
    want_roles: bool,
    out: &mut Vec<Ent>,
) {
    let t = r.t;
    let Some(id) = a.identity else { return };
    let mut label = String::new();
    crate::resolve::labels::identity_label(t, id, &mut label);
    if want_apps {
        for (i, e) in a.apps.iter().enumerate() {
            let app = &t.applications[e.app.idx()];
            let mut path = label.clone();
            let mut via_groups = Vec::new();
            let mut sources = String::new();
            let granted = match e.via {
                Via::Group => {
                    sources = join_groups(t, a.app_groups(e));
                    if let Identity::User(u) = id {
                        via_groups = entry_groups(r, &r.closure, u, a.app_groups(e));
                        push_chain(r, &r.closure, u, a.app_groups(e), &mut path);
                    }
                    Granted::Group
                }
                Via::AdminRole => {
                    let mut ids: Vec<&str> = Vec::new();
                    for x in &a.roles {
                        if x.role.is_some_and(|rr| r.admin_console_role[rr.idx()]) {
                            if ids.is_empty() {
                                crate::resolve::labels::role_label(t, x, &mut path);
                            }
                            ids.push(t.s(x.role_id));
                        }
                    }
                    ids.dedup();
                    sources = ids.join(";");
                    Granted::AdminRole
                }
                Via::Open => Granted::Open,
                Via::Direct => Granted::Direct,
            };
            let _ = write!(path, " -> application:{}", t.s(app.name));
            out.push(Ent {
                kind: EntKind::App(i),
                ent_type: "APPLICATION",
                ent_id: app.id,
                ent_name: app.name,
                scope_type: "ENVIRONMENT".into(),
                scope_id: t.environments[app.env.idx()].id,
                granted,
                sources,
                via_groups,
                path,
            });
        }
    }
    if want_roles {
        for (i, e) in a.roles.iter().enumerate() {
            let mut sources = String::new();
            crate::resolve::labels::role_sources(t, a, e, &mut sources);
            let mut path = label.clone();
            let mut via_groups = Vec::new();
            let groups = a.role_groups(e);
            if let Identity::User(u) = id
                && !groups.is_empty()
            {
                via_groups = entry_groups(r, &r.closure, u, groups);
                if !e.direct {
                    push_chain(r, &r.closure, u, groups, &mut path);
                }
            }
            crate::resolve::labels::role_label(t, e, &mut path);
            let granted = match (e.direct, groups.is_empty()) {
                (true, true) => Granted::Direct,
                (true, false) => Granted::DirectAndGroup,
                _ => Granted::Group,
            };
            out.push(Ent {
                kind: EntKind::Role(i),
                ent_type: "ROLE",
                ent_id: e.role_id,
                ent_name: e.role.map_or(Sym::EMPTY, |x| t.roles[x.idx()].name),
                scope_type: t.scope_kind_str(e.scope.kind).to_string(),
                scope_id: e.scope.id,
                granted,
                sources,
                via_groups,
                path,
            });
        }
    }
}

/// One group membership row of user `u` for group `g` (which must be in groups(u)).
pub fn membership_ent(r: &Resolver, groups: &Groups, u: UserId, g: GroupId) -> Ent {
    let t = r.t;
    let grp = &t.groups[g.idx()];
    let direct = r.direct_groups(u).contains(&g);
    let via_groups = entry_groups(r, &groups.all, u, &[g]);
    let nested = via_groups.iter().any(|&d| d != g);
    let mut path = String::new();
    crate::resolve::labels::identity_label(t, Identity::User(u), &mut path);
    push_chain(r, &groups.all, u, &[g], &mut path);
    Ent {
        kind: EntKind::Group(g),
        ent_type: "GROUP",
        ent_id: grp.id,
        ent_name: grp.name,
        scope_type: "ENVIRONMENT".into(),
        scope_id: t.environments[grp.env.idx()].id,
        granted: match (direct, nested) {
            (true, false) => Granted::Direct,
            (true, true) => Granted::DirectAndGroup,
            _ => Granted::Group,
        },
        sources: t.s(grp.id).to_string(),
        via_groups,
        path,
    }
}
