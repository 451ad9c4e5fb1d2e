//! Audit activities over the manifest's 14-day window: sign-ons, flows and sessions by users,
//! API calls by worker applications, and admin actions through the admin console.
//!
//! The window is cut into one slice per chunk; chunk 0 is the newest slice and events inside a
//! chunk are newest first, so the file reads like PingOne's newest-first listing.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::json::{Kind, Uid, derive, push_str, push_ts, push_uid, uid};
use super::people::push_username;
use super::plan::{Access, EnvKind, EnvPlan, Plan, stream};

/// Events per chunk; fixed, so output does not depend on the number of threads.
pub const CHUNK_EVENTS: u64 = 32_768;

/// What an environment's events can refer to, computed once per environment.
pub struct EnvCtx {
    /// Applications people sign on to (enabled, not workers).
    signon: Vec<(Uid, String)>,
    /// Worker applications that call the API here, with their own environment.
    workers: Vec<(Uid, String, Uid)>,
    /// Administrators acting here: (environment index, user index).
    admins: Vec<(usize, u64)>,
}

impl EnvCtx {
    pub fn new(plan: &Plan, e: usize) -> EnvCtx {
        let env = &plan.envs[e];
        // Open applications (anyone in the environment may use them) are listed three times:
        // most sign-ons go where everyone has access.
        let mut signon: Vec<(Uid, String)> = Vec::new();
        for a in env.apps.iter().filter(|a| a.enabled && !a.is_worker()) {
            let times = if a.access == Access::Open { 3 } else { 1 };
            signon.extend(std::iter::repeat_n((a.id, a.name.clone()), times));
        }
        if env.kind == EnvKind::Administrators {
            // Administrators mostly sign on to the admin console.
            if let Some(console) = env.apps.iter().find(|a| a.kind == "PING_ONE_ADMIN_CONSOLE") {
                signon = vec![(console.id, console.name.clone()); 4];
                signon.extend(
                    env.apps
                        .iter()
                        .filter(|a| a.enabled && !a.is_worker())
                        .map(|a| (a.id, a.name.clone())),
                );
            }
        }
        let mut workers: Vec<(Uid, String, Uid)> = Vec::new();
        if let Some(admin_env) = plan.envs.first() {
            let by_name = |n: &str| {
                admin_env
                    .apps
                    .iter()
                    .find(|a| a.name == n)
                    .map(|a| (a.id, a.name.clone(), admin_env.id))
            };
            if e == 0 {
                workers.extend(by_name("Terraform Automation"));
            } else {
                workers.extend(by_name("SCIM Provisioner"));
            }
        }
        if e != 0 {
            workers.extend(
                env.apps
                    .iter()
                    .filter(|a| a.enabled && a.is_worker())
                    .map(|a| (a.id, a.name.clone(), env.id)),
            );
        }
        // Seven in ten administrators are active; the others hold roles they do not use.
        let admin_env_admins = plan.envs.first().map_or(0, |a| a.admin_users);
        let mut admins: Vec<(usize, u64)> = (0..(admin_env_admins * 7).div_ceil(10))
            .map(|u| (0, u))
            .collect();
        if e != 0 {
            admins.extend((0..env.admin_users).map(|u| (e, u)));
        }
        EnvCtx {
            signon,
            workers,
            admins,
        }
    }
}

pub fn chunks(env: &EnvPlan) -> u64 {
    env.activities.div_ceil(CHUNK_EVENTS)
}

pub struct ActivityChunk {
    pub lines: Vec<u8>,
    pub n: u64,
}

const SIGN_ON: &[(&str, &str)] = &[
    ("FLOW.CREATED", "Sign-on flow started"),
    ("FLOW.UPDATED", "Sign-on flow continued"),
    ("SESSION.CREATED", "Session Created"),
    ("SESSION.DELETED", "Session Deleted"),
    ("AUTHENTICATION.CREATED", "Authentication Created"),
    ("OTP.CHECK_SUCCESS", "OTP Check Succeeded"),
];
const WORKER_ACTIONS: &[(&str, &str, &str)] = &[
    ("USER.CREATED", "User Created", "USER"),
    ("USER.UPDATED", "User Updated", "USER"),
    (
        "MEMBER_OF_GROUP.CREATED",
        "Group Membership Created",
        "MEMBER_OF_GROUP",
    ),
    ("GROUP.UPDATED", "Group Updated", "GROUP"),
];
const ADMIN_ACTIONS: &[(&str, &str, &str)] = &[
    ("USER.UPDATED", "User Updated", "USER"),
    ("USER.CREATED", "User Created", "USER"),
    ("PASSWORD.RESET", "Password Reset", "USER"),
    ("USER.UNLOCKED", "User Unlocked", "USER"),
    (
        "MEMBER_OF_GROUP.CREATED",
        "Group Membership Created",
        "MEMBER_OF_GROUP",
    ),
    ("GROUP.UPDATED", "Group Updated", "GROUP"),
    ("ROLE_ASSIGNMENT.CREATED", "Role Assignment Created", "USER"),
    ("APPLICATION.UPDATED", "Application Updated", "APPLICATION"),
    ("SECRET.READ", "Secret Read", "APPLICATION"),
];

fn push_client(b: &mut Vec<u8>, id: &[u8], name: &str, env: Uid) {
    b.extend_from_slice(b"\"client\":{\"id\":");
    b.extend_from_slice(id);
    b.extend_from_slice(b",\"name\":");
    push_str(b, name);
    b.extend_from_slice(b",\"type\":\"CLIENT\",\"environment\":{\"id\":");
    push_uid(b, env);
    b.extend_from_slice(b"}}");
}

fn push_user_actor(b: &mut Vec<u8>, plan: &Plan, e: usize, u: u64) {
    let env = &plan.envs[e];
    b.extend_from_slice(b"\"user\":{\"id\":");
    push_uid(b, env.user_id(plan.seed, u));
    b.extend_from_slice(b",\"name\":");
    push_username(b, plan, env, u);
    b.extend_from_slice(b",\"type\":\"USER\",\"environment\":{\"id\":");
    push_uid(b, env.id);
    b.extend_from_slice(b"},\"population\":{\"id\":");
    push_uid(b, env.pops[env.pop_of(u)].id);
    b.extend_from_slice(b"}}");
}

fn quoted(u: Uid) -> Vec<u8> {
    let mut v = Vec::with_capacity(38);
    push_uid(&mut v, u);
    v
}

pub fn activity_chunk(plan: &Plan, e: usize, ctx: &EnvCtx, chunk: u64) -> ActivityChunk {
    let env = &plan.envs[e];
    let seed = plan.seed;
    let mut rng =
        ChaCha8Rng::seed_from_u64(derive(seed, stream::ACTIVITIES, env.idx as u64, chunk));
    let n_chunks = chunks(env).max(1);
    let base = env.activities / n_chunks;
    let extra = env.activities % n_chunks;
    let n = base + u64::from(chunk < extra);
    let first_event = chunk * base + chunk.min(extra);
    let (from, to) = plan.activity_window();
    let slice = (to - from) / n_chunks as i64;
    // Chunk 0 is the newest slice.
    let hi = to - slice * chunk as i64;
    let lo = hi - slice;
    let mut times: Vec<i64> = (0..n)
        .map(|_| rng.random_range(lo..hi.max(lo + 1)))
        .collect();
    times.sort_unstable_by(|a, b| b.cmp(a));

    let mut b = Vec::with_capacity(n as usize * 700);
    for (i, &at) in times.iter().enumerate() {
        let id = uid(seed, Kind::Activity, env.idx, first_event + i as u64);
        let corr = uid(seed, Kind::Correlation, env.idx, first_event + i as u64);
        let user = rng.random_range(0..env.users.max(1));
        b.extend_from_slice(b"{\"id\":");
        push_uid(&mut b, id);
        b.extend_from_slice(b",\"recordedAt\":");
        push_ts(&mut b, at);
        b.extend_from_slice(b",\"createdAt\":");
        push_ts(&mut b, at + rng.random_range(5..60));
        b.extend_from_slice(b",\"correlationId\":");
        push_uid(&mut b, corr);

        let r: f64 = rng.random();
        let mut status_ok = true;
        let mut admin_tag = false;
        // (type, description, resource kind, result description)
        let (action, desc, res_kind, result): (&str, &str, &str, &str);
        if r < 0.42 && !ctx.signon.is_empty() {
            let (app_id, app_name) = &ctx.signon[rng.random_range(0..ctx.signon.len())];
            let denied = r >= 0.40;
            b.extend_from_slice(b",\"actors\":{");
            push_client(&mut b, &quoted(*app_id), app_name, env.id);
            b.push(b',');
            push_user_actor(&mut b, plan, e, user);
            b.push(b'}');
            if denied {
                status_ok = false;
                (action, desc, res_kind, result) = (
                    "USER.ACCESS_DENIED",
                    "User Access Denied",
                    "USER",
                    "Failed group access control",
                );
            } else {
                (action, desc, res_kind, result) = (
                    "USER.ACCESS_ALLOWED",
                    "User Access Allowed",
                    "USER",
                    "Passed role access control",
                );
            }
        } else if r < 0.86 || (r < 0.96 && ctx.workers.is_empty()) || ctx.admins.is_empty() {
            if (0.78..0.86).contains(&r) {
                // Password checks carry no actors.
                status_ok = rng.random_bool(0.9);
                (action, desc) = if status_ok {
                    ("PASSWORD.CHECK_SUCCEEDED", "Password Check Succeeded")
                } else {
                    ("PASSWORD.CHECK_FAILED", "Password Check Failed")
                };
            } else {
                let (a, d) = SIGN_ON[rng.random_range(0..SIGN_ON.len())];
                (action, desc) = (a, d);
                b.extend_from_slice(b",\"actors\":{");
                if a.starts_with("FLOW.") && !ctx.signon.is_empty() {
                    let (app_id, app_name) = &ctx.signon[rng.random_range(0..ctx.signon.len())];
                    push_client(&mut b, &quoted(*app_id), app_name, env.id);
                    b.push(b',');
                }
                push_user_actor(&mut b, plan, e, user);
                b.push(b'}');
            }
            (res_kind, result) = ("USER", "");
        } else if r < 0.96 {
            let (w_id, w_name, w_env) = &ctx.workers[rng.random_range(0..ctx.workers.len())];
            let (a, d, k) = WORKER_ACTIONS[rng.random_range(0..WORKER_ACTIONS.len())];
            (action, desc, res_kind, result) = (a, d, k, "");
            b.extend_from_slice(b",\"actors\":{");
            push_client(&mut b, &quoted(*w_id), w_name, *w_env);
            b.push(b'}');
        } else {
            let (ae, au) = ctx.admins[rng.random_range(0..ctx.admins.len())];
            let (a, d, k) = ADMIN_ACTIONS[rng.random_range(0..ADMIN_ACTIONS.len())];
            (action, desc, res_kind, result) = (a, d, k, "");
            admin_tag = true;
            b.extend_from_slice(b",\"actors\":{");
            push_client(
                &mut b,
                b"\"adminui\"",
                "PingOne Admin Console",
                plan.envs[ae].id,
            );
            b.push(b',');
            push_user_actor(&mut b, plan, ae, au);
            b.push(b'}');
        }

        b.extend_from_slice(b",\"action\":{\"type\":");
        push_str(&mut b, action);
        b.extend_from_slice(b",\"description\":");
        push_str(&mut b, desc);
        b.extend_from_slice(b"},\"resources\":[{\"type\":");
        push_str(&mut b, res_kind);
        b.extend_from_slice(b",\"id\":");
        match res_kind {
            "GROUP" | "MEMBER_OF_GROUP" => {
                let g = rng.random_range(0..env.groups.len().max(1)) as u32;
                push_uid(&mut b, env.group_id(seed, g));
            }
            "APPLICATION" => {
                let a = rng.random_range(0..env.apps.len().max(1));
                push_uid(&mut b, uid(seed, Kind::Application, env.idx, a as u64));
            }
            _ => {
                push_uid(&mut b, env.user_id(seed, user));
                b.extend_from_slice(b",\"name\":");
                push_username(&mut b, plan, env, user);
            }
        }
        b.extend_from_slice(b",\"environment\":{\"id\":");
        push_uid(&mut b, env.id);
        b.extend_from_slice(b"}}],\"result\":{\"status\":");
        b.extend_from_slice(if status_ok {
            b"\"SUCCESS\""
        } else {
            b"\"FAILED\""
        });
        if !result.is_empty() {
            b.extend_from_slice(b",\"description\":");
            push_str(&mut b, result);
        }
        b.push(b'}');
        if admin_tag {
            b.extend_from_slice(b",\"tags\":[\"adminIdentityEvent\"]");
        }
        b.extend_from_slice(b"}\n");
    }
    ActivityChunk { lines: b, n }
}
