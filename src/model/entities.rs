//! Typed entities of one PingOne organization (access model, section 1).
//!
//! Every entity keeps its PingOne id and display fields as [`Sym`]s. References to other entities
//! are dense ids when the target must exist (an entity's own environment), and raw [`Sym`] ids
//! when the target may be missing from the snapshot (a role assignment's role or scope): dangling
//! references are data that findings report, never silently dropped.

use super::ids::*;
use super::intern::Sym;
use super::time::Ts;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Organization {
    pub id: Sym,
    pub name: Sym,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    pub id: Sym,
    pub name: Sym,
    /// `PRODUCTION`, `SANDBOX`, ...
    pub kind: Sym,
    pub region: Sym,
    /// `organization.id`; empty when absent.
    pub organization: Sym,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Population {
    pub id: Sym,
    pub name: Sym,
    pub env: EnvId,
    pub default: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: Sym,
    pub username: Sym,
    /// `name.formatted`, or given + family; empty when absent.
    pub display_name: Sym,
    pub env: EnvId,
    /// `population.id` as reported (may name a population that is not in the snapshot).
    pub population: Sym,
    /// The admin enable flag.
    pub enabled: bool,
    /// `account.status = LOCKED`.
    pub locked: bool,
    pub last_sign_on: Option<Ts>,
    /// `mfaEnabled`; `None` when the field is absent.
    pub mfa_enabled: Option<bool>,
    pub created_at: Option<Ts>,
    /// `identityProvider.type` (`PING_ONE`, `SAML`, ...); empty when absent.
    pub identity_provider: Sym,
}

impl User {
    /// "Enabled" in the access model's sense: enabled and not LOCKED (section 3).
    pub fn is_active(&self) -> bool {
        self.enabled && !self.locked
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub id: Sym,
    pub name: Sym,
    pub env: EnvId,
    /// `population.id` for population groups; empty for environment groups.
    pub population: Sym,
    /// `userFilter` (dynamic membership); empty for static groups.
    pub user_filter: Sym,
}

/// A direct membership as PingOne reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Membership {
    pub user: UserId,
    pub group: GroupId,
    /// `DIRECT`, `DYNAMIC`, ... as reported; empty when unknown.
    pub kind: Sym,
}

/// Child group -> parent group: members of the child are members of the parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Nesting {
    pub child: GroupId,
    pub parent: GroupId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub id: Sym,
    pub name: Sym,
    /// From `GET /roles` or any role whose `type` is not `CUSTOM` (access model M6.2).
    pub builtin: bool,
    /// Where a custom role is defined; `None` for built-in roles.
    pub env: Option<EnvId>,
    pub permissions: Vec<Sym>,
    /// Every permission has the action part `read` (M5); false for an empty permission list.
    pub read_only: bool,
    /// `applicableTo[]`: the scope types the role may be assigned at, as reported. Empty means
    /// "every type" (attack-path model P3).
    pub applicable_to: Vec<Sym>,
    /// `canBeAssignedBy[].id`: roles whose holders may assign this (custom) role (P3).
    pub can_be_assigned_by: Vec<Sym>,
}

/// The built-in roles whose holders rule an organization or an environment: "tier zero" for the
/// severities of the findings (access model section 4) and the `privilege-escalation` rule.
pub const TIER_ZERO_ROLES: [&str; 2] = ["Organization Admin", "Environment Admin"];

/// The four built-in roles that satisfy `ADMIN_USERS_ONLY` (M6.2).
pub const ADMIN_USERS_ONLY_ROLES: [&str; 4] = [
    "Organization Admin",
    "Environment Admin",
    "Identity Data Admin",
    "Client Application Developer",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubjectKind {
    User,
    Group,
    Application,
    Gateway,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::User => "USER",
            SubjectKind::Group => "GROUP",
            SubjectKind::Application => "APPLICATION",
            SubjectKind::Gateway => "GATEWAY",
        }
    }

    pub fn parse(s: &str) -> Option<SubjectKind> {
        Some(match s {
            "USER" => SubjectKind::User,
            "GROUP" => SubjectKind::Group,
            "APPLICATION" => SubjectKind::Application,
            "GATEWAY" => SubjectKind::Gateway,
            _ => return None,
        })
    }
}

/// The kind of a role assignment's scope. Unknown kinds (PingOne adds some) are kept verbatim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScopeKind {
    Organization,
    Environment,
    Population,
    Application,
    /// A group scope (PingOne's newer `GROUP` scope type): the group's members (M1).
    Group,
    /// A scope type this version does not know; the symbol is the raw value.
    Unknown(Sym),
}

impl ScopeKind {
    pub fn parse(s: &str, raw: Sym) -> ScopeKind {
        match s {
            "ORGANIZATION" => ScopeKind::Organization,
            "ENVIRONMENT" => ScopeKind::Environment,
            "POPULATION" => ScopeKind::Population,
            "APPLICATION" => ScopeKind::Application,
            "GROUP" => ScopeKind::Group,
            _ => ScopeKind::Unknown(raw),
        }
    }

    /// Breadth rank for display ordering: organization first.
    pub fn rank(self) -> u8 {
        match self {
            ScopeKind::Organization => 0,
            ScopeKind::Environment => 1,
            ScopeKind::Population => 2,
            ScopeKind::Application => 3,
            ScopeKind::Group => 4,
            ScopeKind::Unknown(_) => 5,
        }
    }
}

/// A role assignment's scope as assigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeRef {
    pub kind: ScopeKind,
    pub id: Sym,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    pub kind: SubjectKind,
    /// The subject's PingOne id.
    pub id: Sym,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleAssignment {
    pub id: Sym,
    pub subject: Subject,
    /// `role.id` as reported.
    pub role_id: Sym,
    /// The role when it is in the snapshot.
    pub role: Option<RoleId>,
    pub scope: ScopeRef,
    /// PingOne's `readOnly` flag (the collector may not modify it); not the M5 notion.
    pub read_only_flag: bool,
    /// The environment of the collection it was read from (the subject's environment).
    pub env: EnvId,
}

/// The kind of group rule of an application's access control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupRuleKind {
    AnyGroup,
    AllGroups,
    /// Missing or unknown `type`: no group rule (M6.3), counted in a warning.
    Unknown(Sym),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRule {
    pub kind: GroupRuleKind,
    /// The listed group ids, deduplicated and sorted by symbol (may name missing groups).
    pub groups: Vec<Sym>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessControl {
    /// `accessControl.role.type = ADMIN_USERS_ONLY`.
    pub admin_users_only: bool,
    /// `accessControl.role.type` when present and not `ADMIN_USERS_ONLY` (tolerated, counted).
    pub unknown_role_type: Option<Sym>,
    pub group: Option<GroupRule>,
}

impl AccessControl {
    /// The group rule that M6.3 applies: a known type with a non-empty list.
    pub fn effective_group_rule(&self) -> Option<&GroupRule> {
        self.group
            .as_ref()
            .filter(|g| !g.groups.is_empty() && !matches!(g.kind, GroupRuleKind::Unknown(_)))
    }

    /// No rule at all: every user of the environment may access (M6.4).
    pub fn is_open(&self) -> bool {
        !self.admin_users_only && self.effective_group_rule().is_none()
    }
}

/// The application types the access model names (`type`); every other type is `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppKind {
    /// A worker application: holds roles (M3), never signed on to by users (M6.1).
    Worker,
    /// The PingOne application portal (exempt from `open-application`).
    PingOnePortal,
    /// The PingOne self-service application (exempt from `open-application`).
    PingOneSelfService,
    Other,
}

impl AppKind {
    pub fn parse(s: &str) -> AppKind {
        match s {
            "WORKER" => AppKind::Worker,
            "PING_ONE_PORTAL" => AppKind::PingOnePortal,
            "PING_ONE_SELF_SERVICE" => AppKind::PingOneSelfService,
            _ => AppKind::Other,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub id: Sym,
    pub name: Sym,
    pub env: EnvId,
    /// `type`: `WEB_APP`, `WORKER`, `PING_ONE_PORTAL`, ...
    pub kind: Sym,
    pub protocol: Sym,
    pub enabled: bool,
    pub access: AccessControl,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub id: Sym,
    pub name: Sym,
    pub kind: Sym,
    pub env: EnvId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceScope {
    pub id: Sym,
    pub name: Sym,
    pub resource: Sym,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub id: Sym,
    pub application: Sym,
    pub resource: Sym,
    pub scopes: Vec<Sym>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gateway {
    pub id: Sym,
    pub name: Sym,
    pub env: EnvId,
    pub kind: Sym,
    pub enabled: bool,
}

/// One audit activity, reduced to what rule M8 reads. Its id only serves to drop repeats while
/// the export is read (`export::read`), and is not kept: interned, the ids of a 200,000-user
/// tenant's 400,000 events were half of the string table, stored in every snapshot and never read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    pub recorded_at: Ts,
    pub action: Sym,
    pub actor_user: Sym,
    pub actor_client: Sym,
    pub success: bool,
}
