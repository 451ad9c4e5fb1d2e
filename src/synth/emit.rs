//! The small collections, formatted from the [`Plan`]: environments, roles, populations, groups,
//! nesting, applications, resources, scopes, grants, gateways and role assignments.
//!
//! Each function returns the lines of one file (each ending in `\n`) and how many there are.
//! Only members that PingOne documents (and the reader knows) are written, so that loading a
//! synthetic tenant produces no "unknown field" warnings.

use super::json::{Uid, derive, push_str, push_ts, push_u64, push_uid};
use super::plan::{Access, AssignPlan, EnvKind, EnvPlan, MS_PER_DAY, Plan, Subject};
use super::vocab;

/// A creation time some days before capture, derived from an entity's coordinates.
fn created(plan: &Plan, kind: u64, env: u32, idx: u64) -> i64 {
    let h = derive(plan.seed, 2000 + kind, env as u64, idx);
    plan.captured_ms - 60 * MS_PER_DAY - (h % (1500 * MS_PER_DAY as u64)) as i64
}

fn push_id_ref(b: &mut Vec<u8>, key: &str, id: Uid) {
    b.push(b'"');
    b.extend_from_slice(key.as_bytes());
    b.extend_from_slice(b"\":{\"id\":");
    push_uid(b, id);
    b.push(b'}');
}

fn push_str_list(b: &mut Vec<u8>, items: &[&str]) {
    b.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        push_str(b, s);
    }
    b.push(b']');
}

fn push_id_list(b: &mut Vec<u8>, ids: impl Iterator<Item = Uid>) {
    b.push(b'[');
    for (i, id) in ids.enumerate() {
        if i > 0 {
            b.push(b',');
        }
        b.extend_from_slice(b"{\"id\":");
        push_uid(b, id);
        b.push(b'}');
    }
    b.push(b']');
}

pub fn environments(plan: &Plan) -> (Vec<u8>, u64) {
    let mut b = Vec::new();
    let license = super::json::uid(plan.seed, super::json::Kind::License, 0, 0);
    for env in &plan.envs {
        let t = created(plan, 1, env.idx, 0);
        b.extend_from_slice(b"{\"id\":");
        push_uid(&mut b, env.id);
        b.extend_from_slice(b",\"name\":");
        push_str(&mut b, &env.name);
        b.extend_from_slice(b",\"description\":");
        let desc = match env.kind {
            EnvKind::Administrators => "Administrator identities for the whole organization",
            EnvKind::Customers => "Customer identities",
            EnvKind::Workforce => "Employees and contractors",
            EnvKind::Other => "",
        };
        push_str(&mut b, desc);
        b.extend_from_slice(if env.sandbox {
            b",\"type\":\"SANDBOX\""
        } else {
            b",\"type\":\"PRODUCTION\""
        });
        b.extend_from_slice(b",\"region\":\"NA\",\"status\":\"ACTIVE\",");
        push_id_ref(&mut b, "organization", plan.org);
        b.push(b',');
        push_id_ref(&mut b, "license", license);
        b.extend_from_slice(b",\"createdAt\":");
        push_ts(&mut b, t);
        b.extend_from_slice(b",\"updatedAt\":");
        push_ts(&mut b, t + 7 * MS_PER_DAY);
        b.extend_from_slice(b",\"billOfMaterials\":{\"products\":[{\"type\":\"PING_ONE_BASE\"},{\"type\":\"PING_ONE_MFA\"}");
        if env.kind != EnvKind::Administrators {
            b.extend_from_slice(b",{\"type\":\"PING_ONE_DAVINCI\"}");
        }
        b.extend_from_slice(b"]}}\n");
    }
    (b, plan.envs.len() as u64)
}

/// One role line; `custom` is (environment, `canBeAssignedBy` role ids) for a custom role.
fn role_line(b: &mut Vec<u8>, id: Uid, def: &vocab::RoleDef, custom: Option<(Uid, &[Uid])>) {
    b.extend_from_slice(b"{\"id\":");
    push_uid(b, id);
    b.extend_from_slice(b",\"name\":");
    push_str(b, def.name);
    b.extend_from_slice(b",\"description\":");
    push_str(b, def.description);
    if let Some((env, _)) = custom {
        b.extend_from_slice(b",\"type\":\"CUSTOM\",");
        push_id_ref(b, "environment", env);
    }
    b.extend_from_slice(b",\"applicableTo\":");
    push_str_list(b, def.applicable_to);
    b.extend_from_slice(b",\"permissions\":[");
    for (i, p) in def.permissions.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        b.extend_from_slice(b"{\"id\":");
        push_str(b, p);
        if custom.is_none() {
            b.extend_from_slice(b",\"classifier\":");
            push_str(b, p.split(':').next_back().unwrap_or(p));
        }
        b.push(b'}');
    }
    b.push(b']');
    if let Some((_, assigners)) = custom {
        b.extend_from_slice(b",\"canBeAssignedBy\":");
        push_id_list(b, assigners.iter().copied());
        b.extend_from_slice(b",\"canAssign\":[]");
    }
    b.extend_from_slice(b"}\n");
}

pub fn builtin_roles(plan: &Plan) -> (Vec<u8>, u64) {
    let mut b = Vec::new();
    for (def, &id) in vocab::BUILTIN_ROLES.iter().zip(&plan.builtin_roles) {
        role_line(&mut b, id, def, None);
    }
    (b, vocab::BUILTIN_ROLES.len() as u64)
}

pub fn custom_roles(plan: &Plan, env: &EnvPlan) -> (Vec<u8>, u64) {
    let mut b = Vec::new();
    for (def, &id) in vocab::CUSTOM_ROLES.iter().zip(&plan.custom_roles) {
        let assigners: Vec<Uid> = def
            .assigned_by
            .iter()
            .map(|&r| plan.builtin_roles[r])
            .collect();
        role_line(&mut b, id, def, Some((env.id, &assigners)));
    }
    (b, vocab::CUSTOM_ROLES.len() as u64)
}

pub fn populations(plan: &Plan, env: &EnvPlan) -> (Vec<u8>, u64) {
    let mut b = Vec::new();
    for (i, p) in env.pops.iter().enumerate() {
        b.extend_from_slice(b"{\"id\":");
        push_uid(&mut b, p.id);
        b.push(b',');
        push_id_ref(&mut b, "environment", env.id);
        b.extend_from_slice(b",\"name\":");
        push_str(&mut b, &p.name);
        b.extend_from_slice(if p.default {
            b",\"default\":true"
        } else {
            b",\"default\":false"
        });
        b.extend_from_slice(b",\"userCount\":");
        push_u64(&mut b, p.users);
        b.extend_from_slice(b",\"createdAt\":");
        push_ts(&mut b, created(plan, 2, env.idx, i as u64));
        b.extend_from_slice(b"}\n");
    }
    (b, env.pops.len() as u64)
}

/// A group's name, unique within its environment.
pub fn group_name(env: &EnvPlan, g: u32) -> String {
    let lead: &[&str] = match env.kind {
        EnvKind::Administrators => vocab::ADMIN_GROUPS,
        EnvKind::Customers => vocab::CUSTOMER_GROUPS,
        EnvKind::Workforce => vocab::WORKFORCE_GROUPS,
        EnvKind::Other => &[],
    };
    let made_up = |j: u32| {
        let t = vocab::GROUP_TOPICS.len() as u32;
        let p = vocab::GROUP_PLACES.len() as u32;
        let topic = vocab::GROUP_TOPICS[(j % t) as usize];
        let place = vocab::GROUP_PLACES[(j / t % p) as usize];
        match j / (t * p) {
            0 => format!("{topic} {place}"),
            round => format!("{topic} {place} {}", round + 1),
        }
    };
    if g < env.env_groups {
        match lead.get(g as usize) {
            Some(n) => n.to_string(),
            None => made_up(g - lead.len() as u32),
        }
    } else {
        let p = env
            .pops
            .iter()
            .find(|p| g >= p.first_group && g < p.first_group + p.groups);
        match p {
            Some(p) => format!("{} - {}", p.name, made_up(g - p.first_group)),
            None => format!("Group {g}"),
        }
    }
}

pub fn groups(plan: &Plan, env: &EnvPlan, members: &[u32]) -> (Vec<u8>, u64) {
    let mut b = Vec::with_capacity(env.groups.len() * 300);
    for (g, meta) in env.groups.iter().enumerate() {
        let g32 = g as u32;
        b.extend_from_slice(b"{\"id\":");
        push_uid(&mut b, env.group_id(plan.seed, g32));
        b.push(b',');
        push_id_ref(&mut b, "environment", env.id);
        b.extend_from_slice(b",\"name\":");
        push_str(&mut b, &group_name(env, g32));
        if let Some(p) = meta.pop {
            b.push(b',');
            push_id_ref(&mut b, "population", env.pops[p as usize].id);
        }
        if let Some(f) = meta.filter {
            b.extend_from_slice(b",\"userFilter\":");
            push_str(&mut b, vocab::USER_FILTERS[f as usize]);
        }
        b.extend_from_slice(b",\"directMemberCounts\":{\"users\":");
        push_u64(&mut b, members.get(g).copied().unwrap_or(0) as u64);
        b.extend_from_slice(b"},\"createdAt\":");
        push_ts(&mut b, created(plan, 3, env.idx, g as u64));
        b.extend_from_slice(b"}\n");
    }
    (b, env.groups.len() as u64)
}

pub fn group_parents(plan: &Plan, env: &EnvPlan) -> (Vec<u8>, u64) {
    let mut b = Vec::new();
    for &(child, parent) in &env.nestings {
        b.extend_from_slice(b"{\"parent\":{\"type\":\"GROUP\",\"id\":");
        push_uid(&mut b, env.group_id(plan.seed, child));
        b.extend_from_slice(b"},\"item\":{\"id\":");
        push_uid(&mut b, env.group_id(plan.seed, parent));
        b.extend_from_slice(b"}}\n");
    }
    (b, env.nestings.len() as u64)
}

fn host_slug(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .map(|c| {
            if c == ' ' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

pub fn applications(plan: &Plan, env: &EnvPlan) -> (Vec<u8>, u64) {
    let mut b = Vec::new();
    for (i, a) in env.apps.iter().enumerate() {
        b.extend_from_slice(b"{\"id\":");
        push_uid(&mut b, a.id);
        b.push(b',');
        push_id_ref(&mut b, "environment", env.id);
        b.extend_from_slice(b",\"name\":");
        push_str(&mut b, &a.name);
        b.extend_from_slice(if a.enabled {
            b",\"enabled\":true"
        } else {
            b",\"enabled\":false"
        });
        b.extend_from_slice(b",\"type\":");
        push_str(&mut b, a.kind);
        b.extend_from_slice(b",\"protocol\":");
        push_str(&mut b, a.protocol);
        b.extend_from_slice(b",\"createdAt\":");
        push_ts(&mut b, created(plan, 4, env.idx, i as u64));
        let host = host_slug(&a.name);
        match (a.protocol, a.kind) {
            ("OPENID_CONNECT", "WORKER" | "SERVICE") => {
                b.extend_from_slice(b",\"grantTypes\":[\"CLIENT_CREDENTIALS\"],\"tokenEndpointAuthMethod\":\"CLIENT_SECRET_BASIC\"");
            }
            ("OPENID_CONNECT", "SINGLE_PAGE_APP" | "NATIVE_APP") => {
                b.extend_from_slice(b",\"grantTypes\":[\"AUTHORIZATION_CODE\",\"REFRESH_TOKEN\"],\"tokenEndpointAuthMethod\":\"NONE\",\"pkceEnforcement\":\"S256_REQUIRED\"");
            }
            ("OPENID_CONNECT", _) => {
                b.extend_from_slice(b",\"grantTypes\":[\"AUTHORIZATION_CODE\"],\"tokenEndpointAuthMethod\":\"CLIENT_SECRET_BASIC\",\"redirectUris\":");
                push_str_list(&mut b, &[&format!("https://{host}.example.com/callback")]);
            }
            ("SAML", _) => {
                b.extend_from_slice(b",\"spEntityId\":");
                push_str(&mut b, &format!("urn:{host}:sp"));
                b.extend_from_slice(b",\"acsUrls\":");
                push_str_list(&mut b, &[&format!("https://{host}.example.com/saml/acs")]);
            }
            _ => {
                b.extend_from_slice(b",\"domainName\":");
                push_str(&mut b, &format!("{host}.example.com"));
                b.extend_from_slice(b",\"replyUrl\":");
                push_str(&mut b, &format!("https://{host}.example.com/wsfed"));
            }
        }
        if !a.is_worker() {
            let groups = |b: &mut Vec<u8>, kind: &str, gs: &[u32]| {
                b.extend_from_slice(b"\"group\":{\"type\":");
                push_str(b, kind);
                b.extend_from_slice(b",\"groups\":");
                push_id_list(b, gs.iter().map(|&g| env.group_id(plan.seed, g)));
                b.push(b'}');
            };
            match &a.access {
                Access::Open => {}
                Access::AdminOnly => {
                    b.extend_from_slice(
                        b",\"accessControl\":{\"role\":{\"type\":\"ADMIN_USERS_ONLY\"}}",
                    );
                }
                Access::AnyGroup(gs) => {
                    b.extend_from_slice(b",\"accessControl\":{");
                    groups(&mut b, "ANY_GROUP", gs);
                    b.push(b'}');
                }
                Access::AllGroups(gs) => {
                    b.extend_from_slice(b",\"accessControl\":{");
                    groups(&mut b, "ALL_GROUPS", gs);
                    b.push(b'}');
                }
                Access::AdminAndAnyGroup(gs) => {
                    b.extend_from_slice(
                        b",\"accessControl\":{\"role\":{\"type\":\"ADMIN_USERS_ONLY\"},",
                    );
                    groups(&mut b, "ANY_GROUP", gs);
                    b.push(b'}');
                }
                Access::EmptyGroupList => {
                    b.extend_from_slice(b",\"accessControl\":{");
                    groups(&mut b, "ANY_GROUP", &[]);
                    b.push(b'}');
                }
            }
        }
        b.extend_from_slice(b"}\n");
    }
    (b, env.apps.len() as u64)
}

pub fn resources(plan: &Plan, env: &EnvPlan) -> (Vec<u8>, u64) {
    let mut b = Vec::new();
    for (i, r) in env.resources.iter().enumerate() {
        b.extend_from_slice(b"{\"id\":");
        push_uid(&mut b, r.id);
        b.push(b',');
        push_id_ref(&mut b, "environment", env.id);
        b.extend_from_slice(b",\"name\":");
        push_str(&mut b, &r.name);
        b.extend_from_slice(b",\"type\":");
        push_str(&mut b, r.kind);
        b.extend_from_slice(b",\"audience\":");
        let aud = match r.kind {
            "PINGONE_API" => "https://api.pingone.com".to_string(),
            "OPENID_CONNECT" => "https://auth.pingone.com".to_string(),
            _ => format!("https://api.example.com/{}", host_slug(&r.name)),
        };
        push_str(&mut b, &aud);
        b.extend_from_slice(b",\"accessTokenValiditySeconds\":3600,\"createdAt\":");
        push_ts(&mut b, created(plan, 5, env.idx, i as u64));
        b.extend_from_slice(b"}\n");
    }
    (b, env.resources.len() as u64)
}

pub fn scopes(plan: &Plan, env: &EnvPlan) -> (Vec<u8>, u64) {
    let mut b = Vec::new();
    let mut n = 0;
    for r in &env.resources {
        for &(id, name) in &r.scopes {
            b.extend_from_slice(b"{\"parent\":{\"type\":\"RESOURCE\",\"id\":");
            push_uid(&mut b, r.id);
            b.extend_from_slice(b"},\"item\":{\"id\":");
            push_uid(&mut b, id);
            b.extend_from_slice(b",\"name\":");
            push_str(&mut b, name);
            b.push(b',');
            push_id_ref(&mut b, "resource", r.id);
            b.extend_from_slice(b",\"createdAt\":");
            push_ts(&mut b, created(plan, 6, env.idx, n));
            b.extend_from_slice(b"}}\n");
            n += 1;
        }
    }
    (b, n)
}

pub fn grants(plan: &Plan, env: &EnvPlan) -> (Vec<u8>, u64) {
    let mut b = Vec::new();
    for (i, g) in env.grants.iter().enumerate() {
        let app = env.apps[g.app].id;
        let res = &env.resources[g.resource];
        b.extend_from_slice(b"{\"parent\":{\"type\":\"APPLICATION\",\"id\":");
        push_uid(&mut b, app);
        b.extend_from_slice(b"},\"item\":{\"id\":");
        push_uid(&mut b, g.id);
        b.push(b',');
        push_id_ref(&mut b, "application", app);
        b.push(b',');
        push_id_ref(&mut b, "resource", res.id);
        b.extend_from_slice(b",\"scopes\":");
        push_id_list(
            &mut b,
            g.scopes
                .iter()
                .filter_map(|&s| res.scopes.get(s).map(|x| x.0)),
        );
        b.extend_from_slice(b",\"createdAt\":");
        push_ts(&mut b, created(plan, 7, env.idx, i as u64));
        b.extend_from_slice(b"}}\n");
    }
    (b, env.grants.len() as u64)
}

pub fn gateways(plan: &Plan, env: &EnvPlan) -> (Vec<u8>, u64) {
    let mut b = Vec::new();
    for (i, g) in env.gateways.iter().enumerate() {
        b.extend_from_slice(b"{\"id\":");
        push_uid(&mut b, g.id);
        b.push(b',');
        push_id_ref(&mut b, "environment", env.id);
        b.extend_from_slice(b",\"name\":");
        push_str(&mut b, g.name);
        b.extend_from_slice(b",\"type\":");
        push_str(&mut b, g.kind);
        b.extend_from_slice(if g.enabled {
            b",\"enabled\":true"
        } else {
            b",\"enabled\":false"
        });
        b.extend_from_slice(b",\"createdAt\":");
        push_ts(&mut b, created(plan, 8, env.idx, i as u64));
        b.extend_from_slice(b"}\n");
    }
    (b, env.gateways.len() as u64)
}

fn assignment_line(
    b: &mut Vec<u8>,
    plan: &Plan,
    env: &EnvPlan,
    a: &AssignPlan,
    copy_for: Option<u64>,
) {
    let seed = plan.seed;
    let (ptype, pid) = match (copy_for, a.subject) {
        (Some(u), _) => ("USER", env.user_id(seed, u)),
        (None, Subject::User(u)) => ("USER", env.user_id(seed, u)),
        (None, Subject::Group(g)) => ("GROUP", env.group_id(seed, g)),
        (None, Subject::App(i)) => ("APPLICATION", env.apps[i].id),
        (None, Subject::Gateway(i)) => ("GATEWAY", env.gateways[i].id),
    };
    let (scope_kind, scope_id) = plan.target(a.target);
    b.extend_from_slice(b"{\"parent\":{\"type\":");
    push_str(b, ptype);
    b.extend_from_slice(b",\"id\":");
    push_uid(b, pid);
    b.extend_from_slice(b"},\"item\":{\"id\":");
    push_uid(b, a.id);
    b.push(b',');
    push_id_ref(b, "role", plan.role_id(a.role));
    b.extend_from_slice(b",\"scope\":{\"id\":");
    push_uid(b, scope_id);
    b.extend_from_slice(b",\"type\":");
    push_str(b, scope_kind);
    b.extend_from_slice(b"},");
    push_id_ref(b, "environment", env.id);
    b.extend_from_slice(b",\"readOnly\":false");
    match a.subject {
        Subject::Group(g) => {
            b.push(b',');
            push_id_ref(b, "group", env.group_id(seed, g));
        }
        Subject::Gateway(i) => {
            b.push(b',');
            push_id_ref(b, "gateway", env.gateways[i].id);
        }
        _ => {}
    }
    b.extend_from_slice(b"}}\n");
}

/// Role assignments of the environment's subjects, then group-derived copies listed under the
/// members of role-holding groups (every second such member), as `GET /users/{id}/roleAssignments`
/// may return them. Returns (lines, assignments, copies).
pub fn role_assignments(plan: &Plan, env: &EnvPlan, pairs: &[(u64, u32)]) -> (Vec<u8>, u64, u64) {
    let mut b = Vec::new();
    for a in &env.assignments {
        assignment_line(&mut b, plan, env, a, None);
    }
    let mut copies = 0;
    for &(u, g) in pairs {
        if u % 2 != 0 {
            continue;
        }
        for a in env
            .assignments
            .iter()
            .filter(|a| a.subject == Subject::Group(g))
        {
            assignment_line(&mut b, plan, env, a, Some(u));
            copies += 1;
        }
    }
    (b, env.assignments.len() as u64, copies)
}
