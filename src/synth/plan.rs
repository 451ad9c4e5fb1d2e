//! The shape of a synthetic tenant, decided before any line is written.
//!
//! A [`Plan`] holds everything that is small (environments, populations, per-group facts,
//! nesting edges, applications, resources, gateways, role assignments) and the sizes of what is
//! large (users, memberships, activities). The large collections are generated later, in chunks,
//! from the plan and a per-chunk seeded RNG: any entity's id is a function of its coordinates
//! ([`super::json::uid`]), so a chunk can name a user or group without a shared table.
//!
//! Everything here comes from one sequential ChaCha8 stream, so the plan is a pure function of
//! the options.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::json::{Kind, Uid, days_from_civil, derive, uid};
use super::vocab::{self, builtin};
use super::{SynthOptions, SynthProfile};

/// The capture time written into the manifest: fixed, so that output depends only on options.
pub const CAPTURED_AT_DAYS: (i64, u32, u32) = (2026, 11, 1);
pub const MS_PER_DAY: i64 = 86_400_000;
/// The activities window: the 14 days before capture (PingOne's default retention).
pub const ACTIVITY_DAYS: i64 = 14;

/// Streams of the seeded generators (the `kind` coordinate of [`derive`]).
pub mod stream {
    pub const PLAN: u64 = 1001;
    pub const USERS: u64 = 1002;
    pub const NAMES: u64 = 1003;
    pub const ACTIVITIES: u64 = 1004;
}

/// A fixed seed for the ids of built-in roles: PingOne's built-in roles have the same ids in
/// every organization, so they do not follow the tenant's seed.
const BUILTIN_ROLE_SEED: u64 = 0x5049_4E47_4F4E_4531;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvKind {
    Administrators,
    Customers,
    Workforce,
    Other,
}

pub struct PopPlan {
    pub id: Uid,
    pub name: String,
    pub default: bool,
    /// Users `first_user..first_user + users` (local indexes) belong to this population.
    pub first_user: u64,
    pub users: u64,
    /// Population groups `first_group..first_group + groups`.
    pub first_group: u32,
    pub groups: u32,
}

#[derive(Clone, Copy, Default)]
pub struct GroupMeta {
    /// Index into the environment's populations for a population group.
    pub pop: Option<u16>,
    /// Index into [`vocab::USER_FILTERS`] for a dynamic group.
    pub filter: Option<u8>,
    pub holds_roles: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// No `accessControl`: everyone in the environment.
    Open,
    AdminOnly,
    AnyGroup(Vec<u32>),
    AllGroups(Vec<u32>),
    AdminAndAnyGroup(Vec<u32>),
    /// `group` present with an empty list (no group rule).
    EmptyGroupList,
}

pub struct AppPlan {
    pub id: Uid,
    pub name: String,
    pub kind: &'static str,
    pub protocol: &'static str,
    pub enabled: bool,
    pub access: Access,
}

impl AppPlan {
    pub fn is_worker(&self) -> bool {
        self.kind == "WORKER"
    }
}

pub struct ResourcePlan {
    pub id: Uid,
    pub name: String,
    pub kind: &'static str,
    pub scopes: Vec<(Uid, &'static str)>,
}

pub struct GrantPlan {
    pub id: Uid,
    pub app: usize,
    pub resource: usize,
    pub scopes: Vec<usize>,
}

pub struct GatewayPlan {
    pub id: Uid,
    pub name: &'static str,
    pub kind: &'static str,
    pub enabled: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A user of the environment, by local index.
    User(u64),
    Group(u32),
    App(usize),
    Gateway(usize),
}

/// What an assignment is scoped to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Organization,
    Environment(usize),
    Population(usize, usize),
    Application(usize, usize),
    /// A group of an environment (PingOne's `GROUP` scope type).
    Group(usize, u32),
    /// A scope whose target is gone (a dangling reference), with its type.
    Missing(&'static str, Uid),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleRef {
    Builtin(usize),
    Custom(usize),
    /// A role id that is in no role list (a deleted custom role).
    Missing(Uid),
}

#[derive(Clone, Copy, Debug)]
pub struct AssignPlan {
    pub id: Uid,
    pub subject: Subject,
    pub role: RoleRef,
    pub target: Target,
}

/// A user state the generator imposes (chains and near misses must not depend on chance).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserState {
    Active,
    Disabled,
    Locked,
}

pub struct EnvPlan {
    pub idx: u32,
    pub id: Uid,
    pub name: String,
    pub kind: EnvKind,
    pub sandbox: bool,
    /// `environments/<id>`: the collection prefix.
    pub dir: String,
    pub users: u64,
    pub email_domain: &'static str,
    pub pops: Vec<PopPlan>,
    /// Environment-level groups are `0..env_groups`; population groups follow.
    pub env_groups: u32,
    pub groups: Vec<GroupMeta>,
    /// Nesting edges (child, parent), unique, in generation order.
    pub nestings: Vec<(u32, u32)>,
    pub apps: Vec<AppPlan>,
    pub resources: Vec<ResourcePlan>,
    pub grants: Vec<GrantPlan>,
    pub gateways: Vec<GatewayPlan>,
    pub assignments: Vec<AssignPlan>,
    /// Users (local indexes) that hold a direct role assignment here; they sign on more
    /// carefully (MFA) and act as admins in activities.
    pub admin_users: u64,
    /// Users (local indexes) whose state is imposed rather than drawn.
    pub forced: Vec<(u64, UserState)>,
    pub activities: u64,
}

impl EnvPlan {
    pub fn group_id(&self, seed: u64, g: u32) -> Uid {
        uid(seed, Kind::Group, self.idx, g as u64)
    }

    pub fn user_id(&self, seed: u64, u: u64) -> Uid {
        uid(seed, Kind::User, self.idx, u)
    }

    /// The imposed state of user `u`, if any.
    pub fn forced_state(&self, u: u64) -> Option<UserState> {
        self.forced.iter().find(|f| f.0 == u).map(|f| f.1)
    }

    /// The population of a user (local index).
    pub fn pop_of(&self, u: u64) -> usize {
        self.pops
            .iter()
            .position(|p| u < p.first_user + p.users)
            .unwrap_or(self.pops.len().saturating_sub(1))
    }
}

pub struct Plan {
    pub seed: u64,
    pub captured_ms: i64,
    pub org: Uid,
    pub org_name: String,
    pub builtin_roles: Vec<Uid>,
    /// Custom roles, all defined in environment 0 (the Administrators environment).
    pub custom_roles: Vec<Uid>,
    pub envs: Vec<EnvPlan>,
    /// The worker application the export claims to have been collected with (env 0, app index).
    pub collector_app: usize,
    /// Lowercase ASCII-ish slugs of the name lists, for usernames.
    pub first_slugs: Vec<String>,
    pub last_slugs: Vec<String>,
}

impl Plan {
    pub fn user_names(&self, env: u32, u: u64) -> (usize, usize) {
        let h = derive(self.seed, stream::NAMES, env as u64, u);
        (
            (h % vocab::FIRST_NAMES.len() as u64) as usize,
            ((h >> 24) % vocab::LAST_NAMES.len() as u64) as usize,
        )
    }

    pub fn role_id(&self, r: RoleRef) -> Uid {
        match r {
            RoleRef::Builtin(i) => self.builtin_roles[i],
            RoleRef::Custom(i) => self.custom_roles[i],
            RoleRef::Missing(u) => u,
        }
    }

    pub fn target(&self, t: Target) -> (&'static str, Uid) {
        match t {
            Target::Organization => (vocab::ORG, self.org),
            Target::Environment(e) => (vocab::ENV, self.envs[e].id),
            Target::Population(e, p) => (vocab::POP, self.envs[e].pops[p].id),
            Target::Application(e, a) => (vocab::APP, self.envs[e].apps[a].id),
            Target::Group(e, g) => (vocab::GROUP, self.envs[e].group_id(self.seed, g)),
            Target::Missing(kind, u) => (kind, u),
        }
    }

    pub fn activity_window(&self) -> (i64, i64) {
        (
            self.captured_ms - ACTIVITY_DAYS * MS_PER_DAY,
            self.captured_ms,
        )
    }
}

/// A lowercase ASCII slug of a name, for usernames and e-mail addresses ("Zoë" -> "zoe").
fn slug(s: &str) -> String {
    s.chars()
        .flat_map(|c| c.to_lowercase())
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' => Some(c),
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => Some('a'),
            'è' | 'é' | 'ê' | 'ë' => Some('e'),
            'ì' | 'í' | 'î' | 'ï' => Some('i'),
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'ø' => Some('o'),
            'ù' | 'ú' | 'û' | 'ü' => Some('u'),
            'ç' => Some('c'),
            'ñ' => Some('n'),
            _ => None,
        })
        .collect()
}

/// A Zipf-like draw in `0..n` (`n >= 1`): rank r has probability about 1/(r+1), so rank 0 is the
/// largest. Inverse of the continuous 1/x distribution: O(1), no table.
#[inline]
pub fn zipf(rng: &mut ChaCha8Rng, n: u32) -> u32 {
    let u: f64 = rng.random();
    let r = ((n as f64 + 1.0).powf(u) - 1.0) as u32;
    r.min(n.saturating_sub(1))
}

/// Splits `total` into parts proportional to `weights` (largest remainder goes to the first).
fn split(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    let mut parts: Vec<u64> = weights
        .iter()
        .map(|w| ((total as f64) * w / sum).floor() as u64)
        .collect();
    let given: u64 = parts.iter().sum();
    if let Some(first) = parts.first_mut() {
        *first += total - given.min(total);
    }
    parts
}

/// Picks `k` distinct values from `lo..hi` (fewer when the range is smaller), in draw order.
fn distinct(rng: &mut ChaCha8Rng, lo: u32, hi: u32, k: usize) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(k);
    if hi <= lo {
        return out;
    }
    let span = (hi - lo) as usize;
    let k = k.min(span);
    while out.len() < k {
        let v = rng.random_range(lo..hi);
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

const ENV_NAMES_EXTRA: &[(&str, bool)] = &[
    ("Customers EU", false),
    ("Partners", false),
    ("Staging", true),
    ("Development", true),
];

pub fn build(opts: &SynthOptions) -> Plan {
    let seed = opts.seed;
    let mut rng = ChaCha8Rng::seed_from_u64(derive(seed, stream::PLAN, 0, 0));
    let (y, m, d) = CAPTURED_AT_DAYS;
    let captured_ms = days_from_civil(y, m, d) * MS_PER_DAY;
    let k = opts.environments.max(1) as usize;

    // Users per environment: a few hundred administrators, most people in one customer
    // environment, a workforce environment, the rest spread thin.
    let users = opts.users;
    let admins = if k == 1 {
        users
    } else {
        (users / 1000).clamp(5, 400).min(users)
    };
    let rest = users - admins;
    let mut weights: Vec<f64> = Vec::new();
    for i in 1..k {
        weights.push(match (i, k) {
            (1, 2) => 1.0,
            (1, 3) => 0.85,
            (1, _) => 0.70,
            (2, 3) => 0.15,
            (2, _) => 0.12,
            _ => 0.18 / (k - 3) as f64,
        });
    }
    let mut per_env = vec![admins];
    per_env.extend(split(rest, &weights));

    let org_names = [
        "Acme Corporation",
        "Globex",
        "Initech",
        "Umbrella Group",
        "Stark Industries",
        "Wayne Enterprises",
    ];
    let org_name = org_names[rng.random_range(0..org_names.len())].to_string();

    let mut plan = Plan {
        seed,
        captured_ms,
        org: uid(seed, Kind::Organization, 0, 0),
        org_name,
        builtin_roles: (0..vocab::BUILTIN_ROLES.len())
            .map(|i| uid(BUILTIN_ROLE_SEED, Kind::BuiltinRole, 0, i as u64))
            .collect(),
        custom_roles: (0..vocab::CUSTOM_ROLES.len())
            .map(|i| uid(seed, Kind::CustomRole, 0, i as u64))
            .collect(),
        envs: Vec::with_capacity(k),
        collector_app: 0,
        first_slugs: vocab::FIRST_NAMES.iter().map(|s| slug(s)).collect(),
        last_slugs: vocab::LAST_NAMES.iter().map(|s| slug(s)).collect(),
    };

    for (i, &n) in per_env.iter().enumerate() {
        let (kind, name, sandbox) = match (i, k) {
            (0, 1) => (EnvKind::Administrators, "Production".to_string(), false),
            (0, _) => (EnvKind::Administrators, "Administrators".to_string(), false),
            (1, _) => (EnvKind::Customers, "Customers".to_string(), false),
            (2, _) => (EnvKind::Workforce, "Workforce".to_string(), false),
            _ => match ENV_NAMES_EXTRA.get(i - 3) {
                Some(&(n, s)) => (EnvKind::Other, n.to_string(), s),
                None => (EnvKind::Other, format!("Sandbox {}", i - 2), true),
            },
        };
        plan.envs.push(env_skeleton(
            &mut rng,
            seed,
            i as u32,
            kind,
            name,
            sandbox,
            n,
            opts.profile,
        ));
    }

    applications(&mut plan, &mut rng, users);
    resources_and_grants(&mut plan, &mut rng);
    gateways(&mut plan);
    assignments(&mut plan, &mut rng);

    let total_activities =
        ((users as f64) * opts.activities_per_user_week * (ACTIVITY_DAYS as f64 / 7.0))
            .round()
            .min(opts.max_activities as f64) as u64;
    let counts = split(
        total_activities,
        &plan
            .envs
            .iter()
            .map(|e| e.users as f64 + 1.0)
            .collect::<Vec<_>>(),
    );
    for (e, c) in plan.envs.iter_mut().zip(counts) {
        e.activities = if e.users == 0 { 0 } else { c };
    }
    plan
}

/// Environment, populations, groups and nesting.
#[allow(clippy::too_many_arguments)]
fn env_skeleton(
    rng: &mut ChaCha8Rng,
    seed: u64,
    idx: u32,
    kind: EnvKind,
    name: String,
    sandbox: bool,
    users: u64,
    profile: SynthProfile,
) -> EnvPlan {
    let heavy = profile == SynthProfile::GroupHeavy;
    let id = uid(seed, Kind::Environment, idx, 0);
    let (pop_names, pop_weights, email_domain): (&[&str], &[f64], &str) = match kind {
        EnvKind::Administrators => (&["Administrators"], &[1.0], "admin.example.com"),
        EnvKind::Customers => (
            &[
                "Customers",
                "Loyalty Program",
                "Imported Legacy Accounts",
                "B2B Partners",
            ],
            &[0.60, 0.20, 0.15, 0.05],
            "example.com",
        ),
        EnvKind::Workforce => (
            &["Employees", "Contractors", "Service Accounts"],
            &[0.80, 0.15, 0.05],
            "corp.example.com",
        ),
        EnvKind::Other => (&["Default", "Members"], &[0.7, 0.3], "example.org"),
    };
    let pop_users = split(users, pop_weights);

    // About one group per ten users, at least a handful; a majority at environment level.
    let min_groups: u64 = if kind == EnvKind::Administrators {
        13
    } else {
        30
    };
    // Group-heavy: one group per two users.
    let per_group = if heavy { 2 } else { 10 };
    let total_groups = (users / per_group).max(min_groups).min(u32::MAX as u64 / 2) as u32;
    let env_groups = ((total_groups as f64 * 0.6) as u32)
        .max(min_groups as u32)
        .min(total_groups);
    let pop_group_total = (total_groups - env_groups) as u64;
    let pop_groups = split(pop_group_total, pop_weights);

    let mut pops = Vec::with_capacity(pop_names.len());
    let mut first_user = 0;
    let mut first_group = env_groups;
    for (p, name) in pop_names.iter().enumerate() {
        let n = pop_users[p];
        // A population without users gets no groups (they could have no members).
        let g = if n == 0 { 0 } else { pop_groups[p] as u32 };
        pops.push(PopPlan {
            id: uid(seed, Kind::Population, idx, p as u64),
            name: name.to_string(),
            default: p == 0,
            first_user,
            users: n,
            first_group,
            groups: g,
        });
        first_user += n;
        first_group += g;
    }
    let total_groups = first_group;
    let mut groups = vec![GroupMeta::default(); total_groups as usize];
    for (p, pop) in pops.iter().enumerate() {
        for g in pop.first_group..pop.first_group + pop.groups {
            groups[g as usize].pop = Some(p as u16);
        }
    }

    let mut nestings: Vec<(u32, u32)> = Vec::new();
    let mut special: Vec<u32> = Vec::new();
    if kind == EnvKind::Administrators {
        // Role groups sit inside "All Administrators"; "Break Glass" inside "Platform Admins".
        for g in 1..env_groups.min(9) {
            nestings.push((g, 0));
        }
        if env_groups > 6 {
            nestings.push((6, 1));
        }
        for (g, meta) in groups
            .iter_mut()
            .enumerate()
            .take(env_groups.min(9) as usize)
            .skip(1)
        {
            meta.holds_roles = g != 0;
        }
    } else if env_groups >= 24 {
        // A chain of depth 10, a self-loop, and cycles of length 2, 3 and 4, one of them
        // feeding into the chain; the chain's top and one cycle hold roles.
        let lo = 1.min(env_groups);
        let hi = env_groups.min(400);
        let picks = distinct(rng, lo, hi, 21);
        if picks.len() == 21 {
            let chain = &picks[0..11];
            for w in chain.windows(2) {
                nestings.push((w[0], w[1]));
            }
            let s = picks[11];
            nestings.push((s, s));
            let (a, b) = (picks[12], picks[13]);
            nestings.push((a, b));
            nestings.push((b, a));
            let (x, y, z) = (picks[14], picks[15], picks[16]);
            nestings.extend([(x, y), (y, z), (z, x), (y, chain[5])]);
            let c4 = &picks[17..21];
            for i in 0..4 {
                nestings.push((c4[i], c4[(i + 1) % 4]));
            }
            groups[chain[10] as usize].holds_roles = true;
            groups[x as usize].holds_roles = true;
            special.extend_from_slice(&picks);
        }
        // Random nesting: about 2% of groups get a parent among the environment groups, bigger
        // groups more often (a department inside "All Employees").
        // Group-heavy: a third of the groups, so that deep trees form.
        let extra = (total_groups / if heavy { 3 } else { 50 }) as usize;
        for _ in 0..extra {
            let child = rng.random_range(0..total_groups);
            let parent = zipf(rng, env_groups);
            if child != parent && !special.contains(&child) {
                nestings.push((child, parent));
            }
        }
        // Roles on about 1.5% of groups, never the very largest ones.
        let n_role = ((total_groups as f64) * if heavy { 0.03 } else { 0.015 }).ceil() as usize;
        for _ in 0..n_role {
            let g = rng.random_range(5.min(total_groups - 1)..total_groups);
            groups[g as usize].holds_roles = true;
        }
        // Dynamic groups: about 4%, never one that holds roles (PingOne forbids it).
        for (g, meta) in groups.iter_mut().enumerate() {
            if !meta.holds_roles && !special.contains(&(g as u32)) && rng.random_bool(0.04) {
                meta.filter = Some(rng.random_range(0..vocab::USER_FILTERS.len()) as u8);
            }
        }
        // At least one dynamic group at every size (not the last environment group, which the
        // escalation chain may give a role).
        if !groups.iter().any(|m| m.filter.is_some()) {
            let pick = (1..total_groups)
                .rev()
                .filter(|&g| g + 1 != env_groups)
                .find(|&g| !groups[g as usize].holds_roles && !special.contains(&g));
            if let Some(g) = pick {
                groups[g as usize].filter = Some((g as usize % vocab::USER_FILTERS.len()) as u8);
            }
        }
    }
    // Unique edges, first occurrence kept.
    let mut seen = rustc_hash::FxHashSet::default();
    nestings.retain(|e| seen.insert(*e));

    EnvPlan {
        idx,
        id,
        dir: format!("environments/{id}"),
        name,
        kind,
        sandbox,
        users,
        email_domain,
        pops,
        env_groups,
        groups,
        nestings,
        apps: Vec::new(),
        resources: Vec::new(),
        grants: Vec::new(),
        gateways: Vec::new(),
        assignments: Vec::new(),
        admin_users: 0,
        forced: Vec::new(),
        activities: 0,
    }
}

fn app(
    seed: u64,
    env: u32,
    i: usize,
    name: impl Into<String>,
    kind: &'static str,
    protocol: &'static str,
    access: Access,
) -> AppPlan {
    AppPlan {
        id: uid(seed, Kind::Application, env, i as u64),
        name: name.into(),
        kind,
        protocol,
        enabled: true,
        access,
    }
}

/// Group picks for access rules: mostly among the 150 largest environment groups.
fn access_groups(rng: &mut ChaCha8Rng, env: &EnvPlan, n: usize) -> Vec<u32> {
    let hi = env.env_groups.clamp(1, 150);
    distinct(rng, 0, hi, n)
}

fn applications(plan: &mut Plan, rng: &mut ChaCha8Rng, users: u64) {
    let seed = plan.seed;
    let target = (users / 4000).clamp(24, 300) as usize;
    let non_admin_users: u64 = plan.envs.iter().skip(1).map(|e| e.users).sum();
    let k = plan.envs.len();
    for e in 0..k {
        let env = &plan.envs[e];
        let idx = env.idx;
        let mut apps: Vec<AppPlan> = Vec::new();
        apps.push(app(
            seed,
            idx,
            0,
            "PingOne Application Portal",
            "PING_ONE_PORTAL",
            "OPENID_CONNECT",
            Access::Open,
        ));
        apps.push(app(
            seed,
            idx,
            1,
            "PingOne Self-Service - MyAccount",
            "PING_ONE_SELF_SERVICE",
            "OPENID_CONNECT",
            Access::Open,
        ));
        if env.kind == EnvKind::Administrators {
            apps.push(app(
                seed,
                idx,
                2,
                "PingOne Admin Console",
                "PING_ONE_ADMIN_CONSOLE",
                "OPENID_CONNECT",
                Access::AdminOnly,
            ));
            apps.push(app(
                seed,
                idx,
                3,
                "p1graph Reader",
                "WORKER",
                "OPENID_CONNECT",
                Access::Open,
            ));
            apps.push(app(
                seed,
                idx,
                4,
                "Terraform Automation",
                "WORKER",
                "OPENID_CONNECT",
                Access::Open,
            ));
            apps.push(app(
                seed,
                idx,
                5,
                "SCIM Provisioner",
                "WORKER",
                "OPENID_CONNECT",
                Access::Open,
            ));
            apps.push(app(
                seed,
                idx,
                6,
                "Legacy Admin Intranet",
                "WEB_APP",
                "SAML",
                Access::EmptyGroupList,
            ));
            let mut old = app(
                seed,
                idx,
                7,
                "Old Reporting Worker",
                "WORKER",
                "OPENID_CONNECT",
                Access::Open,
            );
            old.enabled = false;
            apps.push(old);
            let g = access_groups(rng, env, 2);
            apps.push(app(
                seed,
                idx,
                8,
                "Ops Runbooks",
                "WEB_APP",
                "OPENID_CONNECT",
                Access::AdminAndAnyGroup(g),
            ));
            plan.collector_app = 3;
        } else {
            if env.kind == EnvKind::Customers {
                apps.push(app(
                    seed,
                    idx,
                    apps.len(),
                    "Marketing Site",
                    "WEB_APP",
                    "OPENID_CONNECT",
                    Access::Open,
                ));
            }
            let share = if non_admin_users == 0 {
                1.0
            } else {
                env.users as f64 / non_admin_users as f64
            };
            let n = ((target as f64 - 9.0 * 1.0) * share).round().max(6.0) as usize;
            for j in 0..n {
                let i = apps.len();
                let r: f64 = rng.random();
                let (kind, protocol) = match r {
                    r if r < 0.25 => ("WEB_APP", "OPENID_CONNECT"),
                    r if r < 0.35 => ("WEB_APP", "SAML"),
                    r if r < 0.38 => ("WEB_APP", "WS_FED"),
                    r if r < 0.55 => ("SINGLE_PAGE_APP", "OPENID_CONNECT"),
                    r if r < 0.70 => ("NATIVE_APP", "OPENID_CONNECT"),
                    r if r < 0.80 => ("SERVICE", "OPENID_CONNECT"),
                    _ => ("WORKER", "OPENID_CONNECT"),
                };
                // The first few apps cover every access-control kind; then a realistic mix.
                let pick = if j < 5 {
                    j as f64 / 5.0 + 0.01
                } else {
                    rng.random()
                };
                let access = if kind == "WORKER" {
                    Access::Open
                } else {
                    match pick {
                        p if p < 0.20 => Access::AdminOnly,
                        p if p < 0.40 => {
                            let g = access_groups(rng, env, 2);
                            Access::AllGroups(g)
                        }
                        p if p < 0.60 => {
                            let n = rng.random_range(1..=2);
                            let g = access_groups(rng, env, n);
                            Access::AdminAndAnyGroup(g)
                        }
                        _ => {
                            let n = rng.random_range(1..=3);
                            let g = access_groups(rng, env, n);
                            Access::AnyGroup(g)
                        }
                    }
                };
                let names = if kind == "WORKER" {
                    vocab::WORKER_NAMES
                } else {
                    vocab::APP_NAMES
                };
                let base = names[j % names.len()];
                let name = match j / names.len() {
                    0 => base.to_string(),
                    round => format!("{base} {}", round + 1),
                };
                let mut a = app(seed, idx, i, name, kind, protocol, access);
                a.enabled = j < 5 || !rng.random_bool(0.08);
                apps.push(a);
            }
            // The chain's top group guards one application, so depth matters for access.
            if let Some(&(_, top)) = env.nestings.get(9) {
                let i = apps.len();
                apps.push(app(
                    seed,
                    idx,
                    i,
                    "Board Portal",
                    "WEB_APP",
                    "OPENID_CONNECT",
                    Access::AnyGroup(vec![top]),
                ));
            }
        }
        plan.envs[e].apps = apps;
    }
}

fn resources_and_grants(plan: &mut Plan, rng: &mut ChaCha8Rng) {
    let seed = plan.seed;
    let mut scope_n = 0u64;
    for env in plan.envs.iter_mut() {
        let idx = env.idx;
        let mut scope = |name: &'static str| {
            scope_n += 1;
            (uid(seed, Kind::Scope, idx, scope_n), name)
        };
        let mut res = vec![
            ResourcePlan {
                id: uid(seed, Kind::Resource, idx, 0),
                name: "openid".into(),
                kind: "OPENID_CONNECT",
                scopes: vocab::OIDC_SCOPES.iter().map(|s| scope(s)).collect(),
            },
            ResourcePlan {
                id: uid(seed, Kind::Resource, idx, 1),
                name: "PingOne API".into(),
                kind: "PINGONE_API",
                scopes: vocab::PINGONE_API_SCOPES.iter().map(|s| scope(s)).collect(),
            },
        ];
        let n_custom = match env.kind {
            EnvKind::Administrators => 1,
            EnvKind::Customers => vocab::CUSTOM_RESOURCES.len(),
            _ => 3,
        };
        for (j, (name, scopes)) in vocab::CUSTOM_RESOURCES.iter().take(n_custom).enumerate() {
            res.push(ResourcePlan {
                id: uid(seed, Kind::Resource, idx, 2 + j as u64),
                name: name.to_string(),
                kind: "CUSTOM",
                scopes: scopes.iter().map(|s| scope(s)).collect(),
            });
        }
        let mut grants = Vec::new();
        let mut grant = |app: usize, resource: usize, scopes: Vec<usize>| {
            let id = uid(seed, Kind::Grant, idx, grants.len() as u64);
            grants.push(GrantPlan {
                id,
                app,
                resource,
                scopes,
            });
        };
        for (a, ap) in env.apps.iter().enumerate() {
            match ap.kind {
                "PING_ONE_SELF_SERVICE" => grant(a, 1, vec![0, 1, 2, 3]),
                "PING_ONE_PORTAL" | "PING_ONE_ADMIN_CONSOLE" => grant(a, 0, vec![0, 1]),
                "WORKER" => {
                    if rng.random_bool(0.3) {
                        grant(a, 1, vec![0, 2]);
                    }
                }
                _ => {
                    if ap.protocol == "OPENID_CONNECT" {
                        let n = rng.random_range(1..=vocab::OIDC_SCOPES.len());
                        grant(a, 0, (0..n).collect());
                    }
                    if res.len() > 2 && rng.random_bool(0.4) {
                        let r = rng.random_range(2..res.len());
                        let n = rng.random_range(1..=res[r].scopes.len());
                        grant(a, r, (0..n).collect());
                    }
                }
            }
        }
        env.resources = res;
        env.grants = grants;
    }
}

fn gateways(plan: &mut Plan) {
    let seed = plan.seed;
    for env in plan.envs.iter_mut() {
        let list: &[(&str, &str, bool)] = match env.kind {
            EnvKind::Administrators => &[],
            EnvKind::Customers => &[("PingFederate Bridge", "PING_FEDERATE", true)],
            EnvKind::Workforce => &[
                ("Corporate LDAP", "LDAP", true),
                ("Legacy LDAP", "LDAP", false),
                ("PingFederate Workforce", "PING_FEDERATE", true),
            ],
            EnvKind::Other => &[("Directory Sync", "LDAP", true)],
        };
        env.gateways = list
            .iter()
            .enumerate()
            .map(|(i, &(name, kind, enabled))| GatewayPlan {
                id: uid(seed, Kind::Gateway, env.idx, i as u64),
                name,
                kind,
                enabled,
            })
            .collect();
    }
}

/// Role assignments of every subject kind at every scope type, including a few dangling ones.
// Environments are addressed by index throughout (targets name them by index), so index loops
// read better here than zipped iterators.
#[allow(clippy::needless_range_loop)]
fn assignments(plan: &mut Plan, rng: &mut ChaCha8Rng) {
    use builtin::*;
    let seed = plan.seed;
    let k = plan.envs.len();
    let mut out: Vec<Vec<(Subject, RoleRef, Target)>> = vec![Vec::new(); k];
    let other_envs: Vec<usize> = (1..k).collect();
    let pick_env = |rng: &mut ChaCha8Rng| -> usize {
        if other_envs.is_empty() {
            0
        } else {
            other_envs[rng.random_range(0..other_envs.len())]
        }
    };
    let pop_in = |plan: &Plan, rng: &mut ChaCha8Rng, e: usize| -> Target {
        Target::Population(e, rng.random_range(0..plan.envs[e].pops.len()))
    };
    let app_in = |plan: &Plan, rng: &mut ChaCha8Rng, e: usize| -> Target {
        let apps = &plan.envs[e].apps;
        // Prefer a customer application (not the built-ins at 0 and 1).
        let lo = 2.min(apps.len().saturating_sub(1));
        Target::Application(e, rng.random_range(lo..apps.len()))
    };
    let custom = |name: &str| {
        vocab::CUSTOM_ROLES
            .iter()
            .position(|r| r.name == name)
            .map_or(RoleRef::Builtin(HELP_DESK_ADMIN), RoleRef::Custom)
    };

    // Administrators: every one of them holds something directly, except one in ten who hold
    // roles only through groups.
    let admins = plan.envs[0].users;
    plan.envs[0].admin_users = admins;
    for u in 0..admins {
        let list = &mut out[0];
        if u < 3 {
            list.push((
                Subject::User(u),
                RoleRef::Builtin(ORGANIZATION_ADMIN),
                Target::Organization,
            ));
            continue;
        }
        if rng.random_bool(0.1) {
            continue;
        }
        let n = rng.random_range(1..=3);
        let mut mine: Vec<(RoleRef, Target)> = Vec::new();
        for _ in 0..n {
            let e = pick_env(rng);
            let choice = match rng.random_range(0..12) {
                0 => (RoleRef::Builtin(ENVIRONMENT_ADMIN), Target::Environment(e)),
                1 => (
                    RoleRef::Builtin(IDENTITY_DATA_ADMIN),
                    Target::Environment(e),
                ),
                2 => (RoleRef::Builtin(IDENTITY_DATA_ADMIN), pop_in(plan, rng, e)),
                3 => (
                    RoleRef::Builtin(IDENTITY_DATA_READ_ONLY),
                    Target::Organization,
                ),
                4 => (
                    RoleRef::Builtin(CLIENT_APPLICATION_DEVELOPER),
                    Target::Environment(e),
                ),
                5 => (
                    RoleRef::Builtin(CONFIGURATION_READ_ONLY),
                    Target::Organization,
                ),
                6 => (RoleRef::Builtin(APPLICATION_OWNER), app_in(plan, rng, e)),
                7 => (RoleRef::Builtin(HELP_DESK_ADMIN), pop_in(plan, rng, e)),
                8 => (RoleRef::Builtin(DAVINCI_ADMIN), Target::Environment(e)),
                9 => (
                    RoleRef::Builtin(DAVINCI_ADMIN_READ_ONLY),
                    Target::Environment(e),
                ),
                10 => (RoleRef::Builtin(CUSTOM_ROLES_ADMIN), Target::Environment(0)),
                _ => (
                    custom(
                        [
                            "Support L1",
                            "Support L2",
                            "HR Data Steward",
                            "Security Analyst",
                        ][rng.random_range(0..4)],
                    ),
                    Target::Environment(e),
                ),
            };
            if !mine.contains(&choice) {
                mine.push(choice);
            }
        }
        list.extend(mine.into_iter().map(|(r, t)| (Subject::User(u), r, t)));
    }
    if admins > 0 {
        // Dangling references: a deleted custom role, a deleted population.
        out[0].push((
            Subject::User(0),
            RoleRef::Missing(uid(seed, Kind::Dangling, 0, 0)),
            Target::Environment(0),
        ));
        out[0].push((
            Subject::User(0),
            RoleRef::Builtin(HELP_DESK_ADMIN),
            Target::Missing(vocab::POP, uid(seed, Kind::Dangling, 0, 1)),
        ));
    }

    // The Administrators environment's role groups (see vocab::ADMIN_GROUPS).
    let first_other = pick_env(rng);
    let admin_group_roles: &[(u32, RoleRef, Option<Target>)] = &[
        (1, RoleRef::Builtin(ENVIRONMENT_ADMIN), None),
        (
            2,
            RoleRef::Builtin(HELP_DESK_ADMIN),
            Some(Target::Environment(first_other)),
        ),
        (
            2,
            custom("Support L1"),
            Some(Target::Environment(first_other)),
        ),
        (
            3,
            RoleRef::Builtin(IDENTITY_DATA_READ_ONLY),
            Some(Target::Organization),
        ),
        (3, custom("Security Analyst"), Some(Target::Organization)),
        (
            4,
            RoleRef::Builtin(CLIENT_APPLICATION_DEVELOPER),
            Some(Target::Environment(first_other)),
        ),
        (
            5,
            RoleRef::Builtin(IDENTITY_DATA_ADMIN),
            Some(Target::Environment(first_other)),
        ),
        (
            6,
            RoleRef::Builtin(ORGANIZATION_ADMIN),
            Some(Target::Organization),
        ),
        (
            7,
            RoleRef::Builtin(CONFIGURATION_READ_ONLY),
            Some(Target::Organization),
        ),
        (
            8,
            RoleRef::Builtin(DAVINCI_ADMIN),
            Some(Target::Environment(first_other)),
        ),
    ];
    for &(g, role, target) in admin_group_roles {
        if g >= plan.envs[0].env_groups {
            continue;
        }
        match target {
            Some(t) => out[0].push((Subject::Group(g), role, t)),
            // Platform Admins administer every environment.
            None => {
                for e in 0..k {
                    out[0].push((Subject::Group(g), role, Target::Environment(e)));
                }
            }
        }
    }

    // Groups holding roles in the other environments, mostly mild roles.
    for e in 1..k {
        let holders: Vec<u32> = plan.envs[e]
            .groups
            .iter()
            .enumerate()
            .filter(|(_, m)| m.holds_roles)
            .map(|(g, _)| g as u32)
            .collect();
        let env_groups = plan.envs[e].env_groups;
        for g in holders {
            let choice = match rng.random_range(0..10) {
                0 | 1 => (RoleRef::Builtin(HELP_DESK_ADMIN), pop_in(plan, rng, e)),
                2 => (
                    RoleRef::Builtin(IDENTITY_DATA_READ_ONLY),
                    Target::Environment(e),
                ),
                3 => (RoleRef::Builtin(APPLICATION_OWNER), app_in(plan, rng, e)),
                4 => (custom("Support L1"), pop_in(plan, rng, e)),
                5 => (custom("HR Data Steward"), Target::Environment(e)),
                6 => (
                    RoleRef::Builtin(CLIENT_APPLICATION_DEVELOPER),
                    Target::Environment(e),
                ),
                // Roles at GROUP scope: over the members of a (often large) group.
                7 => (
                    RoleRef::Builtin(HELP_DESK_ADMIN),
                    Target::Group(e, zipf(rng, env_groups)),
                ),
                8 => (custom("Team Lead"), Target::Group(e, g)),
                _ => (RoleRef::Builtin(IDENTITY_DATA_ADMIN), pop_in(plan, rng, e)),
            };
            out[e].push((Subject::Group(g), choice.0, choice.1));
        }
        // A handful of help-desk people in the workforce-like environments hold roles directly.
        if plan.envs[e].kind == EnvKind::Workforce || (k == 2 && e == 1) {
            let n = (plan.envs[e].users / 2000)
                .clamp(1, 60)
                .min(plan.envs[e].users);
            plan.envs[e].admin_users = n;
            for u in 0..n {
                let r = if u % 3 == 0 {
                    custom("Support L2")
                } else {
                    RoleRef::Builtin(HELP_DESK_ADMIN)
                };
                out[e].push((Subject::User(u), r, Target::Population(e, 0)));
            }
        }
    }

    escalation_chain(plan, &mut out);
    if admins > 3 && plan.envs[0].env_groups > 1 {
        // A team lead over the Platform Admins group: one password reset from Environment Admin.
        out[0].push((Subject::User(3), custom("Team Lead"), Target::Group(0, 1)));
        plan.envs[0].forced.push((3, UserState::Active));
    }

    // Worker applications and gateways.
    for e in 0..k {
        let env = &plan.envs[e];
        let mut list: Vec<(Subject, RoleRef, Target)> = Vec::new();
        for (a, ap) in env.apps.iter().enumerate() {
            if !ap.is_worker() {
                continue;
            }
            match (env.kind, ap.name.as_str()) {
                (EnvKind::Administrators, "p1graph Reader") => {
                    list.push((
                        Subject::App(a),
                        RoleRef::Builtin(IDENTITY_DATA_READ_ONLY),
                        Target::Organization,
                    ));
                    list.push((
                        Subject::App(a),
                        RoleRef::Builtin(CONFIGURATION_READ_ONLY),
                        Target::Organization,
                    ));
                    list.push((
                        Subject::App(a),
                        RoleRef::Builtin(DAVINCI_ADMIN_READ_ONLY),
                        Target::Environment(0),
                    ));
                }
                (EnvKind::Administrators, "Terraform Automation") => {
                    list.push((
                        Subject::App(a),
                        RoleRef::Builtin(ORGANIZATION_ADMIN),
                        Target::Organization,
                    ));
                    list.push((
                        Subject::App(a),
                        RoleRef::Builtin(ENVIRONMENT_ADMIN),
                        Target::Organization,
                    ));
                }
                (EnvKind::Administrators, "SCIM Provisioner") => {
                    for t in 1..k {
                        list.push((
                            Subject::App(a),
                            RoleRef::Builtin(IDENTITY_DATA_ADMIN),
                            Target::Environment(t),
                        ));
                    }
                }
                (EnvKind::Administrators, _) => {
                    list.push((
                        Subject::App(a),
                        RoleRef::Builtin(IDENTITY_DATA_READ_ONLY),
                        Target::Environment(0),
                    ));
                }
                _ => {
                    let r = match rng.random_range(0..6) {
                        0 => ENVIRONMENT_ADMIN,
                        1 | 2 => IDENTITY_DATA_READ_ONLY,
                        3 | 4 => IDENTITY_DATA_ADMIN,
                        _ => CONFIGURATION_READ_ONLY,
                    };
                    list.push((Subject::App(a), RoleRef::Builtin(r), Target::Environment(e)));
                }
            }
        }
        for (g, gw) in env.gateways.iter().enumerate() {
            let r = match (gw.kind, gw.enabled) {
                ("PING_FEDERATE", _) => ENVIRONMENT_ADMIN,
                ("LDAP", true) => IDENTITY_DATA_ADMIN,
                _ => IDENTITY_DATA_READ_ONLY,
            };
            if g % 4 != 3 {
                list.push((
                    Subject::Gateway(g),
                    RoleRef::Builtin(r),
                    Target::Environment(e),
                ));
            }
        }
        out[e].extend(list);
    }

    for (e, list) in out.into_iter().enumerate() {
        let idx = plan.envs[e].idx;
        plan.envs[e].assignments = list
            .into_iter()
            .enumerate()
            .map(|(i, (subject, role, target))| AssignPlan {
                id: uid(seed, Kind::Assignment, idx, i as u64),
                subject,
                role,
                target,
            })
            .collect();
    }
}

/// An escalation chain of several steps in the workforce-like environment (attack-paths.md),
/// present at every size where the environment has room for it: help-desk person A (local user 0,
/// Support L2 or Help Desk Admin at population 0) resets the password of B (HR Data Steward at
/// the environment), who adds an account to group G (Identity Data Admin at the environment),
/// whose members reset C (Environment Admin at the environment, outside population 0): Environment
/// Admin in three steps. Near misses in population 0: D (disabled, Organization Admin) and L
/// (LOCKED, Environment Admin) are no stepping stones.
fn escalation_chain(plan: &mut Plan, out: &mut [Vec<(Subject, RoleRef, Target)>]) {
    use builtin::*;
    let k = plan.envs.len();
    let Some(e) = (1..k).find(|&e| plan.envs[e].kind == EnvKind::Workforce || k == 2) else {
        return;
    };
    let env = &plan.envs[e];
    let helpdesk = env.admin_users;
    let (b, d, l, c) = (
        helpdesk,
        helpdesk + 1,
        helpdesk + 2,
        env.users.saturating_sub(1),
    );
    if helpdesk == 0
        || env.pops.len() < 2
        || env.pops[0].users < helpdesk + 3
        || env.pop_of(c) == 0
        || env.env_groups < 2
    {
        return;
    }
    let g = env.env_groups - 1;
    let steward = vocab::CUSTOM_ROLES
        .iter()
        .position(|r| r.name == "HR Data Steward")
        .map_or(RoleRef::Builtin(IDENTITY_DATA_ADMIN), RoleRef::Custom);
    let env_t = Target::Environment(e);
    out[e].extend([
        (Subject::User(b), steward, env_t),
        (
            Subject::Group(g),
            RoleRef::Builtin(IDENTITY_DATA_ADMIN),
            env_t,
        ),
        (Subject::User(c), RoleRef::Builtin(ENVIRONMENT_ADMIN), env_t),
        (
            Subject::User(d),
            RoleRef::Builtin(ORGANIZATION_ADMIN),
            Target::Organization,
        ),
        (Subject::User(l), RoleRef::Builtin(ENVIRONMENT_ADMIN), env_t),
    ]);
    let env = &mut plan.envs[e];
    env.groups[g as usize].holds_roles = true;
    env.groups[g as usize].filter = None;
    env.forced.extend([
        (0, UserState::Active),
        (b, UserState::Active),
        (c, UserState::Active),
        (d, UserState::Disabled),
        (l, UserState::Locked),
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_ascii() {
        assert_eq!(slug("Zoë"), "zoe");
        assert_eq!(slug("O'Brien"), "obrien");
        assert_eq!(slug("Van der Berg"), "vanderberg");
        assert_eq!(slug("Bjørn"), "bjorn");
    }

    #[test]
    fn zipf_is_heavy_tailed_and_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut counts = vec![0u32; 1000];
        for _ in 0..200_000 {
            counts[zipf(&mut rng, 1000) as usize] += 1;
        }
        assert!(
            counts[0] > 20 * counts[500].max(1),
            "{} vs {}",
            counts[0],
            counts[500]
        );
        assert_eq!(zipf(&mut rng, 1), 0);
    }

    #[test]
    fn users_split_exactly_over_environments_and_populations() {
        for k in [1, 2, 3, 5, 9] {
            let plan = build(&SynthOptions {
                users: 12_345,
                environments: k,
                ..SynthOptions::default()
            });
            assert_eq!(plan.envs.len(), k as usize);
            assert_eq!(plan.envs.iter().map(|e| e.users).sum::<u64>(), 12_345);
            for e in &plan.envs {
                assert_eq!(e.pops.iter().map(|p| p.users).sum::<u64>(), e.users);
            }
        }
    }
}
