//! [`Tenant`] <-> the column sections of format version 1, with every id checked on the way in.
//!
//! Writing transposes each table into columns ([`super::codec`]); reading transposes back and
//! validates, before anything is built, that every column of a table has the table's length,
//! every [`Sym`] is a symbol of the string table, every dense id is an index of its table, every
//! CSR offset list is monotonic and ends at its target list's length, and every enum code and
//! flag bit is known. A file that passes its checksums but breaks any of these (a bug or a forged
//! file) is refused here instead of panicking later in an index lookup.
//!
//! Time and space: O(rows + list entries) per section, one pass to check and one to build.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::codec::*;
use super::layout::StringLayout;
use crate::model::usage::{ActorUsage, AppUse, Period};
use crate::model::*;

/// The sections of format version 1, in file order. The code is stored in the section table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SectionKind {
    Strings = 1,
    Meta = 2,
    Environments = 3,
    Populations = 4,
    Users = 5,
    Groups = 6,
    Memberships = 7,
    Nestings = 8,
    Roles = 9,
    Assignments = 10,
    Applications = 11,
    Resources = 12,
    Scopes = 13,
    Grants = 14,
    Gateways = 15,
    Usage = 16,
}

impl SectionKind {
    pub const ALL: [SectionKind; 16] = [
        SectionKind::Strings,
        SectionKind::Meta,
        SectionKind::Environments,
        SectionKind::Populations,
        SectionKind::Users,
        SectionKind::Groups,
        SectionKind::Memberships,
        SectionKind::Nestings,
        SectionKind::Roles,
        SectionKind::Assignments,
        SectionKind::Applications,
        SectionKind::Resources,
        SectionKind::Scopes,
        SectionKind::Grants,
        SectionKind::Gateways,
        SectionKind::Usage,
    ];

    pub fn code(self) -> u32 {
        self as u32
    }

    pub fn from_code(code: u32) -> Option<SectionKind> {
        SectionKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Strings => "strings",
            SectionKind::Meta => "meta",
            SectionKind::Environments => "environments",
            SectionKind::Populations => "populations",
            SectionKind::Users => "users",
            SectionKind::Groups => "groups",
            SectionKind::Memberships => "memberships",
            SectionKind::Nestings => "nestings",
            SectionKind::Roles => "roles",
            SectionKind::Assignments => "assignments",
            SectionKind::Applications => "applications",
            SectionKind::Resources => "resources",
            SectionKind::Scopes => "scopes",
            SectionKind::Grants => "grants",
            SectionKind::Gateways => "gateways",
            SectionKind::Usage => "usage",
        }
    }
}

/// Entity counts, as stored in the header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub strings: u64,
    pub environments: u64,
    pub populations: u64,
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
    pub nestings: u64,
    pub roles: u64,
    pub assignments: u64,
    pub applications: u64,
    pub resources: u64,
    pub scopes: u64,
    pub grants: u64,
    pub gateways: u64,
    pub usage_actors: u64,
    pub usage_app_uses: u64,
    pub warning_kinds: u64,
}

impl Counts {
    /// Display names, in stored order.
    pub const NAMES: [&'static str; 17] = [
        "strings",
        "environments",
        "populations",
        "users",
        "groups",
        "memberships",
        "nestings",
        "roles",
        "role assignments",
        "applications",
        "resources",
        "scopes",
        "grants",
        "gateways",
        "usage actors",
        "usage application uses",
        "warning kinds",
    ];

    pub fn of(t: &Tenant) -> Counts {
        let n = |x: usize| x as u64;
        Counts {
            strings: n(t.strings.len()),
            environments: n(t.environments.len()),
            populations: n(t.populations.len()),
            users: n(t.users.len()),
            groups: n(t.groups.len()),
            memberships: n(t.memberships.len()),
            nestings: n(t.nestings.len()),
            roles: n(t.roles.len()),
            assignments: n(t.assignments.len()),
            applications: n(t.applications.len()),
            resources: n(t.resources.len()),
            scopes: n(t.scopes.len()),
            grants: n(t.grants.len()),
            gateways: n(t.gateways.len()),
            usage_actors: n(t.usage.actors.len()),
            usage_app_uses: n(t.usage.app_uses.len()),
            warning_kinds: n(t.warnings.counts.len()),
        }
    }

    pub fn to_array(self) -> [u64; 17] {
        [
            self.strings,
            self.environments,
            self.populations,
            self.users,
            self.groups,
            self.memberships,
            self.nestings,
            self.roles,
            self.assignments,
            self.applications,
            self.resources,
            self.scopes,
            self.grants,
            self.gateways,
            self.usage_actors,
            self.usage_app_uses,
            self.warning_kinds,
        ]
    }

    pub fn from_array(a: [u64; 17]) -> Counts {
        Counts {
            strings: a[0],
            environments: a[1],
            populations: a[2],
            users: a[3],
            groups: a[4],
            memberships: a[5],
            nestings: a[6],
            roles: a[7],
            assignments: a[8],
            applications: a[9],
            resources: a[10],
            scopes: a[11],
            grants: a[12],
            gateways: a[13],
            usage_actors: a[14],
            usage_app_uses: a[15],
            warning_kinds: a[16],
        }
    }
}

// Flag bits. Unknown bits are refused on read.
const USER_ENABLED: u8 = 1;
const USER_LOCKED: u8 = 1 << 1;
const USER_HAS_MFA: u8 = 1 << 2;
const USER_MFA: u8 = 1 << 3;
const USER_HAS_LAST_SIGN_ON: u8 = 1 << 4;
const USER_HAS_CREATED_AT: u8 = 1 << 5;
const USER_ALL: u8 = (1 << 6) - 1;

const ROLE_BUILTIN: u8 = 1;
const ROLE_HAS_ENV: u8 = 1 << 1;
const ROLE_READ_ONLY: u8 = 1 << 2;
const ROLE_ALL: u8 = (1 << 3) - 1;

const ASSIGNMENT_HAS_ROLE: u8 = 1;
const ASSIGNMENT_READ_ONLY_FLAG: u8 = 1 << 1;
const ASSIGNMENT_ALL: u8 = (1 << 2) - 1;

const APP_ENABLED: u8 = 1;
const APP_ADMIN_USERS_ONLY: u8 = 1 << 1;
const APP_HAS_UNKNOWN_ROLE_TYPE: u8 = 1 << 2;
const APP_HAS_GROUP_RULE: u8 = 1 << 3;
const APP_ALL: u8 = (1 << 4) - 1;

const ACTOR_HAS_LAST_ACTIVITY: u8 = 1;
const ACTOR_HAS_LAST_ADMIN_ACTION: u8 = 1 << 1;
const ACTOR_ALL: u8 = (1 << 2) - 1;

const SCOPE_UNKNOWN: u8 = 5;
const GROUP_RULE_UNKNOWN: u8 = 2;

fn col<T, U>(rows: &[T], f: impl Fn(&T) -> U) -> Vec<U> {
    rows.iter().map(f).collect()
}

/// A column of symbols, numbered as the layout stores them.
fn syms<T>(rows: &[T], l: &StringLayout, f: impl Fn(&T) -> Sym) -> Vec<u32> {
    rows.iter().map(|r| l.sym(f(r))).collect()
}

fn opt_ts(t: Option<Ts>) -> i64 {
    t.map_or(0, |t| t.0)
}

fn bit(on: bool, b: u8) -> u8 {
    if on { b } else { 0 }
}

/// CSR form of per-row lists.
fn csr<T>(
    rows: &[T],
    l: &StringLayout,
    list: impl Fn(&T) -> &[Sym],
) -> Result<(Vec<u32>, Vec<u32>), String> {
    let mut offsets = Vec::with_capacity(rows.len() + 1);
    let mut targets = Vec::new();
    offsets.push(0u32);
    for r in rows {
        targets.extend(list(r).iter().map(|&s| l.sym(s)));
        let end = u32::try_from(targets.len())
            .map_err(|_| "more than 4 billion list entries".to_string())?;
        offsets.push(end);
    }
    Ok((offsets, targets))
}

/// Encodes one section of `t`.
pub fn encode_section(t: &Tenant, l: &StringLayout, kind: SectionKind) -> Result<Vec<u8>, String> {
    match kind {
        SectionKind::Strings => {
            let (arena, ends) = l.parts();
            encode(&StringsWire {
                arena: arena.to_string(),
                ends: ends.to_vec(),
            })
        }
        SectionKind::Meta => {
            let m = &t.manifest;
            let mut warning_example_offsets = vec![0u32];
            let mut warning_examples = Vec::new();
            for (_, ex) in t.warnings.counts.values() {
                warning_examples.extend(ex.iter().cloned());
                warning_example_offsets.push(
                    u32::try_from(warning_examples.len())
                        .map_err(|_| "too many warning examples".to_string())?,
                );
            }
            encode(&MetaWire {
                organization_id: l.sym(t.organization.id),
                organization_name: l.sym(t.organization.name),
                captured_at: m.captured_at.map(|t| t.0),
                region: m.region.clone(),
                collector_environment_id: m.collector_environment_id.clone(),
                collector_client_id: m.collector_client_id.clone(),
                activities: m.activities.map(|(a, b)| (a.0, b.0)),
                coverage_collection: col(&m.coverage, |c| c.collection.clone()),
                coverage_status: col(&m.coverage, |c| c.status.clone()),
                coverage_detail: col(&m.coverage, |c| c.detail.clone()),
                warning_kind: t.warnings.counts.keys().cloned().collect(),
                warning_count: t.warnings.counts.values().map(|v| v.0).collect(),
                warning_example_offsets,
                warning_examples,
            })
        }
        SectionKind::Environments => {
            let e = &t.environments;
            encode(&EnvironmentsWire {
                id: syms(e, l, |x| x.id),
                name: syms(e, l, |x| x.name),
                kind: syms(e, l, |x| x.kind),
                region: syms(e, l, |x| x.region),
                organization: syms(e, l, |x| x.organization),
            })
        }
        SectionKind::Populations => {
            let p = &t.populations;
            encode(&PopulationsWire {
                id: syms(p, l, |x| x.id),
                name: syms(p, l, |x| x.name),
                env: col(p, |x| x.env.0),
                default: col(p, |x| x.default),
            })
        }
        SectionKind::Users => {
            let u = &t.users;
            encode(&UsersWire {
                id: syms(u, l, |x| x.id),
                username: syms(u, l, |x| x.username),
                display_name: syms(u, l, |x| x.display_name),
                env: col(u, |x| x.env.0),
                population: syms(u, l, |x| x.population),
                identity_provider: syms(u, l, |x| x.identity_provider),
                flags: col(u, |x| {
                    bit(x.enabled, USER_ENABLED)
                        | bit(x.locked, USER_LOCKED)
                        | bit(x.mfa_enabled.is_some(), USER_HAS_MFA)
                        | bit(x.mfa_enabled == Some(true), USER_MFA)
                        | bit(x.last_sign_on.is_some(), USER_HAS_LAST_SIGN_ON)
                        | bit(x.created_at.is_some(), USER_HAS_CREATED_AT)
                }),
                last_sign_on: col(u, |x| opt_ts(x.last_sign_on)),
                created_at: col(u, |x| opt_ts(x.created_at)),
            })
        }
        SectionKind::Groups => {
            let g = &t.groups;
            encode(&GroupsWire {
                id: syms(g, l, |x| x.id),
                name: syms(g, l, |x| x.name),
                env: col(g, |x| x.env.0),
                population: syms(g, l, |x| x.population),
                user_filter: syms(g, l, |x| x.user_filter),
            })
        }
        SectionKind::Memberships => {
            let m = &t.memberships;
            encode(&MembershipsWire {
                user: col(m, |x| x.user.0),
                group: col(m, |x| x.group.0),
                kind: syms(m, l, |x| x.kind),
            })
        }
        SectionKind::Nestings => {
            let n = &t.nestings;
            encode(&NestingsWire {
                child: col(n, |x| x.child.0),
                parent: col(n, |x| x.parent.0),
            })
        }
        SectionKind::Roles => {
            let r = &t.roles;
            let (permission_offsets, permissions) = csr(r, l, |x| &x.permissions)?;
            let (applicable_offsets, applicable_to) = csr(r, l, |x| &x.applicable_to)?;
            let (assigned_by_offsets, can_be_assigned_by) = csr(r, l, |x| &x.can_be_assigned_by)?;
            encode(&RolesWire {
                id: syms(r, l, |x| x.id),
                name: syms(r, l, |x| x.name),
                env: col(r, |x| x.env.map_or(0, |e| e.0)),
                flags: col(r, |x| {
                    bit(x.builtin, ROLE_BUILTIN)
                        | bit(x.env.is_some(), ROLE_HAS_ENV)
                        | bit(x.read_only, ROLE_READ_ONLY)
                }),
                permission_offsets,
                permissions,
                applicable_offsets,
                applicable_to,
                assigned_by_offsets,
                can_be_assigned_by,
            })
        }
        SectionKind::Assignments => {
            let a = &t.assignments;
            encode(&AssignmentsWire {
                id: syms(a, l, |x| x.id),
                subject_kind: col(a, |x| subject_code(x.subject.kind)),
                subject_id: syms(a, l, |x| x.subject.id),
                role_id: syms(a, l, |x| x.role_id),
                role: col(a, |x| x.role.map_or(0, |r| r.0)),
                scope_kind: col(a, |x| scope_code(x.scope.kind, l).0),
                scope_kind_raw: col(a, |x| scope_code(x.scope.kind, l).1),
                scope_id: syms(a, l, |x| x.scope.id),
                env: col(a, |x| x.env.0),
                flags: col(a, |x| {
                    bit(x.role.is_some(), ASSIGNMENT_HAS_ROLE)
                        | bit(x.read_only_flag, ASSIGNMENT_READ_ONLY_FLAG)
                }),
            })
        }
        SectionKind::Applications => {
            let a = &t.applications;
            let empty: &[Sym] = &[];
            let (group_rule_offsets, group_rule_groups) = csr(a, l, |x| {
                x.access
                    .group
                    .as_ref()
                    .map_or(empty, |g| g.groups.as_slice())
            })?;
            encode(&ApplicationsWire {
                id: syms(a, l, |x| x.id),
                name: syms(a, l, |x| x.name),
                env: col(a, |x| x.env.0),
                kind: syms(a, l, |x| x.kind),
                protocol: syms(a, l, |x| x.protocol),
                flags: col(a, |x| {
                    bit(x.enabled, APP_ENABLED)
                        | bit(x.access.admin_users_only, APP_ADMIN_USERS_ONLY)
                        | bit(
                            x.access.unknown_role_type.is_some(),
                            APP_HAS_UNKNOWN_ROLE_TYPE,
                        )
                        | bit(x.access.group.is_some(), APP_HAS_GROUP_RULE)
                }),
                unknown_role_type: col(a, |x| x.access.unknown_role_type.map_or(0, |s| l.sym(s))),
                group_rule_kind: col(a, |x| {
                    x.access
                        .group
                        .as_ref()
                        .map_or(0, |g| group_rule_code(g.kind, l).0)
                }),
                group_rule_raw: col(a, |x| {
                    x.access
                        .group
                        .as_ref()
                        .map_or(0, |g| group_rule_code(g.kind, l).1)
                }),
                group_rule_offsets,
                group_rule_groups,
            })
        }
        SectionKind::Resources => {
            let r = &t.resources;
            encode(&ResourcesWire {
                id: syms(r, l, |x| x.id),
                name: syms(r, l, |x| x.name),
                kind: syms(r, l, |x| x.kind),
                env: col(r, |x| x.env.0),
            })
        }
        SectionKind::Scopes => {
            let s = &t.scopes;
            encode(&ScopesWire {
                id: syms(s, l, |x| x.id),
                name: syms(s, l, |x| x.name),
                resource: syms(s, l, |x| x.resource),
            })
        }
        SectionKind::Grants => {
            let g = &t.grants;
            let (scope_offsets, scopes) = csr(g, l, |x| &x.scopes)?;
            encode(&GrantsWire {
                id: syms(g, l, |x| x.id),
                application: syms(g, l, |x| x.application),
                resource: syms(g, l, |x| x.resource),
                scope_offsets,
                scopes,
            })
        }
        SectionKind::Gateways => {
            let g = &t.gateways;
            encode(&GatewaysWire {
                id: syms(g, l, |x| x.id),
                name: syms(g, l, |x| x.name),
                env: col(g, |x| x.env.0),
                kind: syms(g, l, |x| x.kind),
                enabled: col(g, |x| x.enabled),
            })
        }
        SectionKind::Usage => {
            let u = &t.usage;
            // The ledger is kept sorted by symbol for its binary searches; the layout numbers
            // symbols anew, so the rows are sorted again by their new numbers.
            let mut actors: Vec<&ActorUsage> = u.actors.iter().collect();
            actors.sort_unstable_by_key(|a| l.sym(a.id));
            let mut uses: Vec<&AppUse> = u.app_uses.iter().collect();
            uses.sort_unstable_by_key(|a| (l.sym(a.user), l.sym(a.app)));
            encode(&UsageWire {
                covered_from: col(&u.covered, |p| p.from.0),
                covered_to: col(&u.covered, |p| p.to.0),
                actor_id: syms(&actors, l, |a| a.id),
                actor_flags: col(&actors, |a| {
                    bit(a.last_activity.is_some(), ACTOR_HAS_LAST_ACTIVITY)
                        | bit(a.last_admin_action.is_some(), ACTOR_HAS_LAST_ADMIN_ACTION)
                }),
                actor_last_activity: col(&actors, |a| opt_ts(a.last_activity)),
                actor_last_admin_action: col(&actors, |a| opt_ts(a.last_admin_action)),
                app_use_user: syms(&uses, l, |a| a.user),
                app_use_app: syms(&uses, l, |a| a.app),
                app_use_last: col(&uses, |a| a.last.0),
                high_water: u.high_water.map(|t| t.0),
                events_seen: u.events_seen,
            })
        }
    }
}

fn subject_code(k: SubjectKind) -> u8 {
    match k {
        SubjectKind::User => 0,
        SubjectKind::Group => 1,
        SubjectKind::Application => 2,
        SubjectKind::Gateway => 3,
    }
}

fn scope_code(k: ScopeKind, l: &StringLayout) -> (u8, u32) {
    match k {
        ScopeKind::Organization => (0, 0),
        ScopeKind::Environment => (1, 0),
        ScopeKind::Population => (2, 0),
        ScopeKind::Application => (3, 0),
        ScopeKind::Group => (4, 0),
        ScopeKind::Unknown(s) => (SCOPE_UNKNOWN, l.sym(s)),
    }
}

fn group_rule_code(k: GroupRuleKind, l: &StringLayout) -> (u8, u32) {
    match k {
        GroupRuleKind::AnyGroup => (0, 0),
        GroupRuleKind::AllGroups => (1, 0),
        GroupRuleKind::Unknown(s) => (GROUP_RULE_UNKNOWN, l.sym(s)),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Table sizes from the header, used to check ids before the tables are built.
struct Bounds {
    strings: u32,
    envs: u32,
    users: u32,
    groups: u32,
    roles: u32,
}

type Fault = String;

/// Checks that every column has `n` rows.
fn rows(n: u64, cols: &[(&str, usize)]) -> Result<usize, Fault> {
    for &(name, len) in cols {
        if len as u64 != n {
            return Err(format!(
                "column `{name}` has {len} rows, the header says {n}"
            ));
        }
    }
    usize::try_from(n).map_err(|_| format!("{n} rows do not fit in memory"))
}

fn check_below(name: &str, v: &[u32], bound: u32, what: &str) -> Result<(), Fault> {
    match v.iter().position(|&x| x >= bound) {
        None => Ok(()),
        Some(i) => Err(format!(
            "column `{name}` row {i}: {what} {} is out of range (there are {bound})",
            v[i]
        )),
    }
}

fn check_syms(name: &str, v: &[u32], b: &Bounds) -> Result<(), Fault> {
    check_below(name, v, b.strings, "string")
}

fn check_flags(name: &str, v: &[u8], all: u8) -> Result<(), Fault> {
    match v.iter().position(|&f| f & !all != 0) {
        None => Ok(()),
        Some(i) => Err(format!(
            "column `{name}` row {i}: unknown flag bits {:#04x}",
            v[i]
        )),
    }
}

/// An optional value must be 0 when absent, so that the encoding of a tenant is unique.
fn check_absent_zero<T: PartialEq + Default + Copy + std::fmt::Debug>(
    name: &str,
    v: &[T],
    present: impl Fn(usize) -> bool,
) -> Result<(), Fault> {
    match (0..v.len()).find(|&i| !present(i) && v[i] != T::default()) {
        None => Ok(()),
        Some(i) => Err(format!(
            "column `{name}` row {i}: value {:?} for an absent field",
            v[i]
        )),
    }
}

/// Checks a CSR offset list for `n` rows over `targets` entries.
fn check_csr(name: &str, offsets: &[u32], n: usize, targets: usize) -> Result<(), Fault> {
    if offsets.len() != n + 1 {
        return Err(format!(
            "offsets `{name}` have {} entries for {n} rows",
            offsets.len()
        ));
    }
    if offsets[0] != 0 {
        return Err(format!("offsets `{name}` do not start at 0"));
    }
    if let Some(i) = offsets.windows(2).position(|w| w[0] > w[1]) {
        return Err(format!("offsets `{name}` decrease at row {i}"));
    }
    if offsets[n] as usize != targets {
        return Err(format!(
            "offsets `{name}` end at {} but the list has {targets} entries",
            offsets[n]
        ));
    }
    Ok(())
}

fn to_syms(v: &[u32]) -> Vec<Sym> {
    v.iter().map(|&s| Sym(s)).collect()
}

fn list(offsets: &[u32], targets: &[u32], i: usize) -> Vec<Sym> {
    to_syms(&targets[offsets[i] as usize..offsets[i + 1] as usize])
}

fn ts_if(present: bool, v: i64) -> Option<Ts> {
    present.then_some(Ts(v))
}

/// Runs `decode` on the raw bytes of section `k`, mapping its fault to the caller's error.
fn one<'a, T, E>(
    k: SectionKind,
    fetch: &(dyn Fn(SectionKind) -> Result<Cow<'a, [u8]>, E> + Sync),
    fault: &(dyn Fn(SectionKind, Fault) -> E + Sync),
    decode: impl FnOnce(&[u8]) -> Result<T, Fault>,
) -> Result<T, E> {
    let raw = fetch(k)?;
    decode(&raw).map_err(|e| fault(k, e))
}

/// Decodes and checks every section; returns the tenant without its index.
///
/// `fetch` returns a section's raw (decompressed) bytes; each is dropped as soon as its table is
/// built, so at most one decompressed section per thread is alive. The three largest sections
/// (strings, users, usage) are decoded beside the rest, on all cores. When several sections are
/// damaged, the error names the first in file order, whatever the scheduling.
///
/// `arena`: the string arena when the reader put it in a buffer of its own (see `load`); the
/// strings section then holds everything but the arena's bytes. `usage`: whether to decode the
/// usage section (when not, the ledger is left empty).
pub fn decode_tenant<'a, E: Send>(
    counts: &Counts,
    fetch: &(dyn Fn(SectionKind) -> Result<Cow<'a, [u8]>, E> + Sync),
    fault: &(dyn Fn(SectionKind, Fault) -> E + Sync),
    arena: Option<Vec<u8>>,
    usage: bool,
) -> Result<Tenant, E> {
    let b = Bounds {
        strings: bound(counts.strings),
        envs: bound(counts.environments),
        users: bound(counts.users),
        groups: bound(counts.groups),
        roles: bound(counts.roles),
    };
    use SectionKind as K;
    // `section!(Kind, decode_fn)`: one section through its table decoder.
    macro_rules! section {
        ($kind:ident, $decode:ident) => {
            one(K::$kind, fetch, fault, |r| $decode(r, counts, &b))
        };
    }
    // Meta, environments and populations: a few hundred bytes, decoded first on this thread.
    let mut t = Tenant::default();
    let head = (|| -> Result<(), E> {
        one(K::Meta, fetch, fault, |r| {
            decode_meta(r, counts, &b, &mut t)
        })?;
        t.environments = section!(Environments, decode_environments)?;
        t.populations = section!(Populations, decode_populations)?;
        Ok(())
    })();
    // Groups .. gateways, in file order, on the tenant (after the head: it is done by then).
    let tail = |t: &mut Tenant| -> Result<(), E> {
        t.groups = section!(Groups, decode_groups)?;
        t.memberships = section!(Memberships, decode_memberships)?;
        t.nestings = section!(Nestings, decode_nestings)?;
        t.roles = section!(Roles, decode_roles)?;
        t.assignments = section!(Assignments, decode_assignments)?;
        t.applications = section!(Applications, decode_applications)?;
        t.resources = section!(Resources, decode_resources)?;
        t.scopes = section!(Scopes, decode_scopes)?;
        t.grants = section!(Grants, decode_grants)?;
        t.gateways = section!(Gateways, decode_gateways)?;
        Ok(())
    };
    let ((strings, users), (tail, usage)) = rayon::join(
        || {
            rayon::join(
                || match arena {
                    None => one(K::Strings, fetch, fault, |r| decode_strings(r, counts)),
                    Some(arena) => one(K::Strings, fetch, fault, |r| {
                        decode_strings_apart(r, arena, counts)
                    }),
                },
                || section!(Users, decode_users),
            )
        },
        || {
            rayon::join(
                || tail(&mut t),
                || match usage {
                    true => section!(Usage, decode_usage),
                    false => Ok(UsageLedger::default()),
                },
            )
        },
    );
    // File order: strings, meta .. populations, users, groups .. gateways, usage.
    let strings = strings?;
    head?;
    let users = users?;
    tail?;
    t.usage = usage?;
    t.users = users;
    t.strings = strings;
    Ok(t)
}

/// A table size as an exclusive id bound; counts beyond `u32` cannot be valid ids anyway.
fn bound(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn decode_strings(bytes: &[u8], counts: &Counts) -> Result<Interner, Fault> {
    from_wire(decode(bytes)?, counts)
}

fn from_wire(w: StringsWire, counts: &Counts) -> Result<Interner, Fault> {
    rows(counts.strings, &[("ends", w.ends.len())])?;
    Interner::from_parts(w.arena, w.ends).ok_or_else(|| {
        "the string table is invalid (offsets out of order, not on character boundaries, or a string twice)".to_string()
    })
}

/// The strings section without its arena's bytes (the arena's length, then the end offsets),
/// and the arena read apart: the same checks as [`decode_strings`], with no copy of the arena.
fn decode_strings_apart(bytes: &[u8], arena: Vec<u8>, counts: &Counts) -> Result<Interner, Fault> {
    let (len, ends) = bytes
        .split_first_chunk::<8>()
        .ok_or("the string table is cut short")?;
    if u64::from_le_bytes(*len) != arena.len() as u64 {
        return Err("the string arena does not have its recorded length".into());
    }
    // The whole-file path's codec reads the arena before the offsets, so the arena is judged
    // first here too, with the codec's message for a `String` (`Utf8Error`'s): both paths give
    // the same error for any damage.
    let arena = String::from_utf8(arena).map_err(|e| e.utf8_error().to_string())?;
    let ends: Vec<u32> = decode(ends)?;
    from_wire(StringsWire { arena, ends }, counts)
}

fn decode_meta(bytes: &[u8], counts: &Counts, b: &Bounds, t: &mut Tenant) -> Result<(), Fault> {
    let w: MetaWire = decode(bytes)?;
    check_syms("organization", &[w.organization_id, w.organization_name], b)?;
    let nc = w.coverage_collection.len();
    if w.coverage_status.len() != nc || w.coverage_detail.len() != nc {
        return Err("coverage columns have different lengths".into());
    }
    let nw = rows(
        counts.warning_kinds,
        &[
            ("warning_kind", w.warning_kind.len()),
            ("warning_count", w.warning_count.len()),
        ],
    )?;
    check_csr(
        "warning_example_offsets",
        &w.warning_example_offsets,
        nw,
        w.warning_examples.len(),
    )?;
    if let Some(i) = w.warning_kind.windows(2).position(|p| p[0] >= p[1]) {
        return Err(format!(
            "warning kinds are not in strictly ascending order at row {i}"
        ));
    }
    t.organization = Organization {
        id: Sym(w.organization_id),
        name: Sym(w.organization_name),
    };
    t.manifest = Manifest {
        captured_at: w.captured_at.map(Ts),
        region: w.region,
        collector_environment_id: w.collector_environment_id,
        collector_client_id: w.collector_client_id,
        activities: w.activities.map(|(a, b)| (Ts(a), Ts(b))),
        coverage: w
            .coverage_collection
            .into_iter()
            .zip(w.coverage_status)
            .zip(w.coverage_detail)
            .map(|((collection, status), detail)| CoverageGap {
                collection,
                status,
                detail,
            })
            .collect(),
    };
    let mut counts_map = BTreeMap::new();
    let offs = &w.warning_example_offsets;
    let mut examples = w.warning_examples.into_iter();
    for (i, (kind, n)) in w.warning_kind.into_iter().zip(w.warning_count).enumerate() {
        let k = (offs[i + 1] - offs[i]) as usize;
        let ex: Vec<String> = examples.by_ref().take(k).collect();
        counts_map.insert(kind, (n, ex));
    }
    t.warnings = Warnings { counts: counts_map };
    Ok(())
}

fn decode_environments(
    bytes: &[u8],
    counts: &Counts,
    b: &Bounds,
) -> Result<Vec<Environment>, Fault> {
    let w: EnvironmentsWire = decode(bytes)?;
    let n = rows(
        counts.environments,
        &[
            ("id", w.id.len()),
            ("name", w.name.len()),
            ("kind", w.kind.len()),
            ("region", w.region.len()),
            ("organization", w.organization.len()),
        ],
    )?;
    for (name, c) in [
        ("id", &w.id),
        ("name", &w.name),
        ("kind", &w.kind),
        ("region", &w.region),
        ("organization", &w.organization),
    ] {
        check_syms(name, c, b)?;
    }
    Ok((0..n)
        .map(|i| Environment {
            id: Sym(w.id[i]),
            name: Sym(w.name[i]),
            kind: Sym(w.kind[i]),
            region: Sym(w.region[i]),
            organization: Sym(w.organization[i]),
        })
        .collect())
}

fn decode_populations(bytes: &[u8], counts: &Counts, b: &Bounds) -> Result<Vec<Population>, Fault> {
    let w: PopulationsWire = decode(bytes)?;
    let n = rows(
        counts.populations,
        &[
            ("id", w.id.len()),
            ("name", w.name.len()),
            ("env", w.env.len()),
            ("default", w.default.len()),
        ],
    )?;
    check_syms("id", &w.id, b)?;
    check_syms("name", &w.name, b)?;
    check_below("env", &w.env, b.envs, "environment")?;
    Ok((0..n)
        .map(|i| Population {
            id: Sym(w.id[i]),
            name: Sym(w.name[i]),
            env: EnvId(w.env[i]),
            default: w.default[i],
        })
        .collect())
}

fn decode_users(bytes: &[u8], counts: &Counts, b: &Bounds) -> Result<Vec<User>, Fault> {
    let w: UsersWire = decode(bytes)?;
    let n = rows(
        counts.users,
        &[
            ("id", w.id.len()),
            ("username", w.username.len()),
            ("display_name", w.display_name.len()),
            ("env", w.env.len()),
            ("population", w.population.len()),
            ("identity_provider", w.identity_provider.len()),
            ("flags", w.flags.len()),
            ("last_sign_on", w.last_sign_on.len()),
            ("created_at", w.created_at.len()),
        ],
    )?;
    for (name, c) in [
        ("id", &w.id),
        ("username", &w.username),
        ("display_name", &w.display_name),
        ("population", &w.population),
        ("identity_provider", &w.identity_provider),
    ] {
        check_syms(name, c, b)?;
    }
    check_below("env", &w.env, b.envs, "environment")?;
    check_flags("flags", &w.flags, USER_ALL)?;
    let f = &w.flags;
    if let Some(i) = f
        .iter()
        .position(|&x| x & USER_MFA != 0 && x & USER_HAS_MFA == 0)
    {
        return Err(format!(
            "column `flags` row {i}: mfa value without mfa presence"
        ));
    }
    check_absent_zero("last_sign_on", &w.last_sign_on, |i| {
        f[i] & USER_HAS_LAST_SIGN_ON != 0
    })?;
    check_absent_zero("created_at", &w.created_at, |i| {
        f[i] & USER_HAS_CREATED_AT != 0
    })?;
    Ok((0..n)
        .map(|i| {
            let f = w.flags[i];
            User {
                id: Sym(w.id[i]),
                username: Sym(w.username[i]),
                display_name: Sym(w.display_name[i]),
                env: EnvId(w.env[i]),
                population: Sym(w.population[i]),
                enabled: f & USER_ENABLED != 0,
                locked: f & USER_LOCKED != 0,
                last_sign_on: ts_if(f & USER_HAS_LAST_SIGN_ON != 0, w.last_sign_on[i]),
                mfa_enabled: (f & USER_HAS_MFA != 0).then_some(f & USER_MFA != 0),
                created_at: ts_if(f & USER_HAS_CREATED_AT != 0, w.created_at[i]),
                identity_provider: Sym(w.identity_provider[i]),
            }
        })
        .collect())
}

fn decode_groups(bytes: &[u8], counts: &Counts, b: &Bounds) -> Result<Vec<Group>, Fault> {
    let w: GroupsWire = decode(bytes)?;
    let n = rows(
        counts.groups,
        &[
            ("id", w.id.len()),
            ("name", w.name.len()),
            ("env", w.env.len()),
            ("population", w.population.len()),
            ("user_filter", w.user_filter.len()),
        ],
    )?;
    for (name, c) in [
        ("id", &w.id),
        ("name", &w.name),
        ("population", &w.population),
        ("user_filter", &w.user_filter),
    ] {
        check_syms(name, c, b)?;
    }
    check_below("env", &w.env, b.envs, "environment")?;
    Ok((0..n)
        .map(|i| Group {
            id: Sym(w.id[i]),
            name: Sym(w.name[i]),
            env: EnvId(w.env[i]),
            population: Sym(w.population[i]),
            user_filter: Sym(w.user_filter[i]),
        })
        .collect())
}

fn decode_memberships(bytes: &[u8], counts: &Counts, b: &Bounds) -> Result<Vec<Membership>, Fault> {
    let w: MembershipsWire = decode(bytes)?;
    let n = rows(
        counts.memberships,
        &[
            ("user", w.user.len()),
            ("group", w.group.len()),
            ("kind", w.kind.len()),
        ],
    )?;
    check_below("user", &w.user, b.users, "user")?;
    check_below("group", &w.group, b.groups, "group")?;
    check_syms("kind", &w.kind, b)?;
    Ok((0..n)
        .map(|i| Membership {
            user: UserId(w.user[i]),
            group: GroupId(w.group[i]),
            kind: Sym(w.kind[i]),
        })
        .collect())
}

fn decode_nestings(bytes: &[u8], counts: &Counts, b: &Bounds) -> Result<Vec<Nesting>, Fault> {
    let w: NestingsWire = decode(bytes)?;
    let n = rows(
        counts.nestings,
        &[("child", w.child.len()), ("parent", w.parent.len())],
    )?;
    check_below("child", &w.child, b.groups, "group")?;
    check_below("parent", &w.parent, b.groups, "group")?;
    Ok((0..n)
        .map(|i| Nesting {
            child: GroupId(w.child[i]),
            parent: GroupId(w.parent[i]),
        })
        .collect())
}

fn decode_roles(bytes: &[u8], counts: &Counts, b: &Bounds) -> Result<Vec<Role>, Fault> {
    let w: RolesWire = decode(bytes)?;
    let n = rows(
        counts.roles,
        &[
            ("id", w.id.len()),
            ("name", w.name.len()),
            ("env", w.env.len()),
            ("flags", w.flags.len()),
        ],
    )?;
    check_syms("id", &w.id, b)?;
    check_syms("name", &w.name, b)?;
    check_syms("permissions", &w.permissions, b)?;
    check_syms("applicable_to", &w.applicable_to, b)?;
    check_syms("can_be_assigned_by", &w.can_be_assigned_by, b)?;
    check_flags("flags", &w.flags, ROLE_ALL)?;
    let f = &w.flags;
    check_absent_zero("env", &w.env, |i| f[i] & ROLE_HAS_ENV != 0)?;
    if let Some(i) = (0..n).find(|&i| f[i] & ROLE_HAS_ENV != 0 && w.env[i] >= b.envs) {
        return Err(format!(
            "column `env` row {i}: environment {} is out of range",
            w.env[i]
        ));
    }
    check_csr(
        "permission_offsets",
        &w.permission_offsets,
        n,
        w.permissions.len(),
    )?;
    check_csr(
        "applicable_offsets",
        &w.applicable_offsets,
        n,
        w.applicable_to.len(),
    )?;
    check_csr(
        "assigned_by_offsets",
        &w.assigned_by_offsets,
        n,
        w.can_be_assigned_by.len(),
    )?;
    Ok((0..n)
        .map(|i| {
            let f = w.flags[i];
            Role {
                id: Sym(w.id[i]),
                name: Sym(w.name[i]),
                builtin: f & ROLE_BUILTIN != 0,
                env: (f & ROLE_HAS_ENV != 0).then_some(EnvId(w.env[i])),
                permissions: list(&w.permission_offsets, &w.permissions, i),
                read_only: f & ROLE_READ_ONLY != 0,
                applicable_to: list(&w.applicable_offsets, &w.applicable_to, i),
                can_be_assigned_by: list(&w.assigned_by_offsets, &w.can_be_assigned_by, i),
            }
        })
        .collect())
}

fn decode_assignments(
    bytes: &[u8],
    counts: &Counts,
    b: &Bounds,
) -> Result<Vec<RoleAssignment>, Fault> {
    let w: AssignmentsWire = decode(bytes)?;
    let n = rows(
        counts.assignments,
        &[
            ("id", w.id.len()),
            ("subject_kind", w.subject_kind.len()),
            ("subject_id", w.subject_id.len()),
            ("role_id", w.role_id.len()),
            ("role", w.role.len()),
            ("scope_kind", w.scope_kind.len()),
            ("scope_kind_raw", w.scope_kind_raw.len()),
            ("scope_id", w.scope_id.len()),
            ("env", w.env.len()),
            ("flags", w.flags.len()),
        ],
    )?;
    for (name, c) in [
        ("id", &w.id),
        ("subject_id", &w.subject_id),
        ("role_id", &w.role_id),
        ("scope_kind_raw", &w.scope_kind_raw),
        ("scope_id", &w.scope_id),
    ] {
        check_syms(name, c, b)?;
    }
    check_below("env", &w.env, b.envs, "environment")?;
    check_flags("flags", &w.flags, ASSIGNMENT_ALL)?;
    if let Some(i) = w.subject_kind.iter().position(|&k| k > 3) {
        return Err(format!(
            "column `subject_kind` row {i}: unknown code {}",
            w.subject_kind[i]
        ));
    }
    if let Some(i) = w.scope_kind.iter().position(|&k| k > SCOPE_UNKNOWN) {
        return Err(format!(
            "column `scope_kind` row {i}: unknown code {}",
            w.scope_kind[i]
        ));
    }
    check_absent_zero("scope_kind_raw", &w.scope_kind_raw, |i| {
        w.scope_kind[i] == SCOPE_UNKNOWN
    })?;
    let f = &w.flags;
    check_absent_zero("role", &w.role, |i| f[i] & ASSIGNMENT_HAS_ROLE != 0)?;
    if let Some(i) = (0..n).find(|&i| f[i] & ASSIGNMENT_HAS_ROLE != 0 && w.role[i] >= b.roles) {
        return Err(format!(
            "column `role` row {i}: role {} is out of range (there are {})",
            w.role[i], b.roles
        ));
    }
    Ok((0..n)
        .map(|i| {
            let f = w.flags[i];
            let subject_kind = match w.subject_kind[i] {
                0 => SubjectKind::User,
                1 => SubjectKind::Group,
                2 => SubjectKind::Application,
                _ => SubjectKind::Gateway,
            };
            let scope_kind = match w.scope_kind[i] {
                0 => ScopeKind::Organization,
                1 => ScopeKind::Environment,
                2 => ScopeKind::Population,
                3 => ScopeKind::Application,
                4 => ScopeKind::Group,
                _ => ScopeKind::Unknown(Sym(w.scope_kind_raw[i])),
            };
            RoleAssignment {
                id: Sym(w.id[i]),
                subject: Subject {
                    kind: subject_kind,
                    id: Sym(w.subject_id[i]),
                },
                role_id: Sym(w.role_id[i]),
                role: (f & ASSIGNMENT_HAS_ROLE != 0).then_some(RoleId(w.role[i])),
                scope: ScopeRef {
                    kind: scope_kind,
                    id: Sym(w.scope_id[i]),
                },
                read_only_flag: f & ASSIGNMENT_READ_ONLY_FLAG != 0,
                env: EnvId(w.env[i]),
            }
        })
        .collect())
}

fn decode_applications(
    bytes: &[u8],
    counts: &Counts,
    b: &Bounds,
) -> Result<Vec<Application>, Fault> {
    let w: ApplicationsWire = decode(bytes)?;
    let n = rows(
        counts.applications,
        &[
            ("id", w.id.len()),
            ("name", w.name.len()),
            ("env", w.env.len()),
            ("kind", w.kind.len()),
            ("protocol", w.protocol.len()),
            ("flags", w.flags.len()),
            ("unknown_role_type", w.unknown_role_type.len()),
            ("group_rule_kind", w.group_rule_kind.len()),
            ("group_rule_raw", w.group_rule_raw.len()),
        ],
    )?;
    for (name, c) in [
        ("id", &w.id),
        ("name", &w.name),
        ("kind", &w.kind),
        ("protocol", &w.protocol),
        ("unknown_role_type", &w.unknown_role_type),
        ("group_rule_raw", &w.group_rule_raw),
        ("group_rule_groups", &w.group_rule_groups),
    ] {
        check_syms(name, c, b)?;
    }
    check_below("env", &w.env, b.envs, "environment")?;
    check_flags("flags", &w.flags, APP_ALL)?;
    let f = &w.flags;
    check_absent_zero("unknown_role_type", &w.unknown_role_type, |i| {
        f[i] & APP_HAS_UNKNOWN_ROLE_TYPE != 0
    })?;
    if let Some(i) = w
        .group_rule_kind
        .iter()
        .position(|&k| k > GROUP_RULE_UNKNOWN)
    {
        return Err(format!(
            "column `group_rule_kind` row {i}: unknown code {}",
            w.group_rule_kind[i]
        ));
    }
    check_absent_zero("group_rule_kind", &w.group_rule_kind, |i| {
        f[i] & APP_HAS_GROUP_RULE != 0
    })?;
    check_absent_zero("group_rule_raw", &w.group_rule_raw, |i| {
        w.group_rule_kind[i] == GROUP_RULE_UNKNOWN
    })?;
    check_csr(
        "group_rule_offsets",
        &w.group_rule_offsets,
        n,
        w.group_rule_groups.len(),
    )?;
    if let Some(i) = (0..n).find(|&i| {
        f[i] & APP_HAS_GROUP_RULE == 0 && w.group_rule_offsets[i] != w.group_rule_offsets[i + 1]
    }) {
        return Err(format!("row {i}: group rule groups without a group rule"));
    }
    Ok((0..n)
        .map(|i| {
            let f = w.flags[i];
            let group = (f & APP_HAS_GROUP_RULE != 0).then(|| GroupRule {
                kind: match w.group_rule_kind[i] {
                    0 => GroupRuleKind::AnyGroup,
                    1 => GroupRuleKind::AllGroups,
                    _ => GroupRuleKind::Unknown(Sym(w.group_rule_raw[i])),
                },
                groups: list(&w.group_rule_offsets, &w.group_rule_groups, i),
            });
            Application {
                id: Sym(w.id[i]),
                name: Sym(w.name[i]),
                env: EnvId(w.env[i]),
                kind: Sym(w.kind[i]),
                protocol: Sym(w.protocol[i]),
                enabled: f & APP_ENABLED != 0,
                access: AccessControl {
                    admin_users_only: f & APP_ADMIN_USERS_ONLY != 0,
                    unknown_role_type: (f & APP_HAS_UNKNOWN_ROLE_TYPE != 0)
                        .then_some(Sym(w.unknown_role_type[i])),
                    group,
                },
            }
        })
        .collect())
}

fn decode_resources(bytes: &[u8], counts: &Counts, b: &Bounds) -> Result<Vec<Resource>, Fault> {
    let w: ResourcesWire = decode(bytes)?;
    let n = rows(
        counts.resources,
        &[
            ("id", w.id.len()),
            ("name", w.name.len()),
            ("kind", w.kind.len()),
            ("env", w.env.len()),
        ],
    )?;
    check_syms("id", &w.id, b)?;
    check_syms("name", &w.name, b)?;
    check_syms("kind", &w.kind, b)?;
    check_below("env", &w.env, b.envs, "environment")?;
    Ok((0..n)
        .map(|i| Resource {
            id: Sym(w.id[i]),
            name: Sym(w.name[i]),
            kind: Sym(w.kind[i]),
            env: EnvId(w.env[i]),
        })
        .collect())
}

fn decode_scopes(bytes: &[u8], counts: &Counts, b: &Bounds) -> Result<Vec<ResourceScope>, Fault> {
    let w: ScopesWire = decode(bytes)?;
    let n = rows(
        counts.scopes,
        &[
            ("id", w.id.len()),
            ("name", w.name.len()),
            ("resource", w.resource.len()),
        ],
    )?;
    check_syms("id", &w.id, b)?;
    check_syms("name", &w.name, b)?;
    check_syms("resource", &w.resource, b)?;
    Ok((0..n)
        .map(|i| ResourceScope {
            id: Sym(w.id[i]),
            name: Sym(w.name[i]),
            resource: Sym(w.resource[i]),
        })
        .collect())
}

fn decode_grants(bytes: &[u8], counts: &Counts, b: &Bounds) -> Result<Vec<Grant>, Fault> {
    let w: GrantsWire = decode(bytes)?;
    let n = rows(
        counts.grants,
        &[
            ("id", w.id.len()),
            ("application", w.application.len()),
            ("resource", w.resource.len()),
        ],
    )?;
    check_syms("id", &w.id, b)?;
    check_syms("application", &w.application, b)?;
    check_syms("resource", &w.resource, b)?;
    check_syms("scopes", &w.scopes, b)?;
    check_csr("scope_offsets", &w.scope_offsets, n, w.scopes.len())?;
    Ok((0..n)
        .map(|i| Grant {
            id: Sym(w.id[i]),
            application: Sym(w.application[i]),
            resource: Sym(w.resource[i]),
            scopes: list(&w.scope_offsets, &w.scopes, i),
        })
        .collect())
}

fn decode_gateways(bytes: &[u8], counts: &Counts, b: &Bounds) -> Result<Vec<Gateway>, Fault> {
    let w: GatewaysWire = decode(bytes)?;
    let n = rows(
        counts.gateways,
        &[
            ("id", w.id.len()),
            ("name", w.name.len()),
            ("env", w.env.len()),
            ("kind", w.kind.len()),
            ("enabled", w.enabled.len()),
        ],
    )?;
    check_syms("id", &w.id, b)?;
    check_syms("name", &w.name, b)?;
    check_syms("kind", &w.kind, b)?;
    check_below("env", &w.env, b.envs, "environment")?;
    Ok((0..n)
        .map(|i| Gateway {
            id: Sym(w.id[i]),
            name: Sym(w.name[i]),
            env: EnvId(w.env[i]),
            kind: Sym(w.kind[i]),
            enabled: w.enabled[i],
        })
        .collect())
}

fn decode_usage(bytes: &[u8], counts: &Counts, b: &Bounds) -> Result<UsageLedger, Fault> {
    let w: UsageWire = decode(bytes)?;
    if w.covered_from.len() != w.covered_to.len() {
        return Err("covered period columns have different lengths".into());
    }
    let na = rows(
        counts.usage_actors,
        &[
            ("actor_id", w.actor_id.len()),
            ("actor_flags", w.actor_flags.len()),
            ("actor_last_activity", w.actor_last_activity.len()),
            ("actor_last_admin_action", w.actor_last_admin_action.len()),
        ],
    )?;
    let nu = rows(
        counts.usage_app_uses,
        &[
            ("app_use_user", w.app_use_user.len()),
            ("app_use_app", w.app_use_app.len()),
            ("app_use_last", w.app_use_last.len()),
        ],
    )?;
    check_syms("actor_id", &w.actor_id, b)?;
    check_syms("app_use_user", &w.app_use_user, b)?;
    check_syms("app_use_app", &w.app_use_app, b)?;
    // The ledger's lookups are binary searches: rows out of order would make them miss.
    if let Some(i) = w.actor_id.windows(2).position(|p| p[0] >= p[1]) {
        return Err(format!(
            "column `actor_id` row {}: not in ascending order",
            i + 1
        ));
    }
    if let Some(i) = (1..nu).find(|&i| {
        (w.app_use_user[i - 1], w.app_use_app[i - 1]) >= (w.app_use_user[i], w.app_use_app[i])
    }) {
        return Err(format!(
            "columns `app_use_user`, `app_use_app` row {i}: not in ascending order"
        ));
    }
    check_flags("actor_flags", &w.actor_flags, ACTOR_ALL)?;
    let f = &w.actor_flags;
    check_absent_zero("actor_last_activity", &w.actor_last_activity, |i| {
        f[i] & ACTOR_HAS_LAST_ACTIVITY != 0
    })?;
    check_absent_zero("actor_last_admin_action", &w.actor_last_admin_action, |i| {
        f[i] & ACTOR_HAS_LAST_ADMIN_ACTION != 0
    })?;
    Ok(UsageLedger {
        covered: w
            .covered_from
            .iter()
            .zip(&w.covered_to)
            .map(|(&from, &to)| Period {
                from: Ts(from),
                to: Ts(to),
            })
            .collect(),
        actors: (0..na)
            .map(|i| ActorUsage {
                id: Sym(w.actor_id[i]),
                last_activity: ts_if(
                    f[i] & ACTOR_HAS_LAST_ACTIVITY != 0,
                    w.actor_last_activity[i],
                ),
                last_admin_action: ts_if(
                    f[i] & ACTOR_HAS_LAST_ADMIN_ACTION != 0,
                    w.actor_last_admin_action[i],
                ),
            })
            .collect(),
        app_uses: (0..nu)
            .map(|i| AppUse {
                user: Sym(w.app_use_user[i]),
                app: Sym(w.app_use_app[i]),
                last: Ts(w.app_use_last[i]),
            })
            .collect(),
        high_water: w.high_water.map(Ts),
        events_seen: w.events_seen,
    })
}
