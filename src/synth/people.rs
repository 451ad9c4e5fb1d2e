//! Users and their direct group memberships, generated in fixed-size chunks.
//!
//! Each chunk has its own RNG seeded from (seed, environment, chunk number), so chunks can be
//! generated in parallel and written in order with the same bytes as a sequential run. Group
//! sizes are heavy-tailed: a membership picks a group by a Zipf-like rank, so a few groups hold
//! a large share of the people and most groups are small.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::json::{Kind, derive, push_str, push_ts, push_u64, push_uid, uid};
use super::plan::{EnvKind, EnvPlan, MS_PER_DAY, Plan, UserState, stream, zipf};
use super::vocab;

/// Users per chunk; fixed, so output does not depend on the number of threads.
pub const CHUNK_USERS: u64 = 16_384;

pub struct UserChunk {
    /// `users.jsonl` lines, each ending in `\n`.
    pub users: Vec<u8>,
    /// `user_memberships.jsonl` lines.
    pub memberships: Vec<u8>,
    pub n_users: u64,
    /// (user, group) of every membership written, in order.
    pub pairs: Vec<(u64, u32)>,
}

pub fn chunks(env: &EnvPlan) -> u64 {
    env.users.div_ceil(CHUNK_USERS)
}

/// Appends the username of user `u` of `env` as a JSON string.
pub fn push_username(buf: &mut Vec<u8>, plan: &Plan, env: &EnvPlan, u: u64) {
    let (f, l) = plan.user_names(env.idx, u);
    let mut s = String::with_capacity(40);
    s.push_str(&plan.first_slugs[f]);
    s.push('.');
    s.push_str(&plan.last_slugs[l]);
    s.push_str(&u.to_string());
    push_str(buf, &s);
}

pub fn user_chunk(plan: &Plan, env: &EnvPlan, chunk: u64) -> UserChunk {
    let seed = plan.seed;
    let mut rng = ChaCha8Rng::seed_from_u64(derive(seed, stream::USERS, env.idx as u64, chunk));
    let lo = chunk * CHUNK_USERS;
    let hi = (lo + CHUNK_USERS).min(env.users);
    let n = hi.saturating_sub(lo);
    let mut users = Vec::with_capacity(n as usize * 600);
    let mut memberships = Vec::with_capacity(n as usize * 250);
    let mut pairs = Vec::with_capacity(n as usize * 2);
    let now = plan.captured_ms;
    let idp = uid(seed, Kind::IdentityProvider, env.idx, 0);
    let mut pop = env.pop_of(lo);
    let (mfa_rate, title_rate) = match env.kind {
        EnvKind::Administrators => (0.80, 1.0),
        EnvKind::Customers => (0.35, 0.0),
        EnvKind::Workforce => (0.85, 1.0),
        EnvKind::Other => (0.5, 0.2),
    };
    let mut picks: Vec<u32> = Vec::with_capacity(8);
    for u in lo..hi {
        while pop + 1 < env.pops.len() && u >= env.pops[pop].first_user + env.pops[pop].users {
            pop += 1;
        }
        let p = &env.pops[pop];
        let id = env.user_id(seed, u);
        let admin = u < env.admin_users;
        let (fi, li) = plan.user_names(env.idx, u);
        let (first, last) = (vocab::FIRST_NAMES[fi], vocab::LAST_NAMES[li]);

        let enabled = rng.random_bool(0.96);
        let locked = rng.random_bool(0.01);
        let (enabled, locked) = match env.forced_state(u) {
            Some(UserState::Active) => (true, false),
            Some(UserState::Disabled) => (false, false),
            Some(UserState::Locked) => (true, true),
            None => (enabled, locked),
        };
        let mfa = rng.random_bool(if admin { 0.8 } else { mfa_rate });
        let created = now - rng.random_range(30 * MS_PER_DAY..1800 * MS_PER_DAY);
        let last_sign_on = if rng.random_bool(0.08) {
            None
        } else if admin && rng.random_bool(0.1) {
            // A dormant administrator: last seen 100 to 400 days ago.
            Some((now - rng.random_range(100 * MS_PER_DAY..400 * MS_PER_DAY)).max(created + 1000))
        } else {
            let v: f64 = rng.random();
            // Within the past year, mostly recent.
            let span = ((now - created).min(365 * MS_PER_DAY) as f64 * v * v * v) as i64;
            Some((now - span - rng.random_range(0..3_600_000)).max(created + 1000))
        };
        let federated = env.kind == EnvKind::Workforce && rng.random_bool(0.3);

        let b = &mut users;
        b.extend_from_slice(b"{\"id\":");
        push_uid(b, id);
        b.extend_from_slice(b",\"environment\":{\"id\":");
        push_uid(b, env.id);
        b.extend_from_slice(b"},\"username\":");
        let start = b.len();
        push_username(b, plan, env, u);
        let uname_end = b.len();
        b.extend_from_slice(b",\"email\":");
        // The username without its closing quote, then the domain.
        b.extend_from_within(start..uname_end - 1);
        b.push(b'@');
        b.extend_from_slice(env.email_domain.as_bytes());
        b.push(b'"');
        b.extend_from_slice(b",\"emailVerified\":");
        b.extend_from_slice(if rng.random_bool(0.9) {
            b"true"
        } else {
            b"false"
        });
        b.extend_from_slice(b",\"name\":{\"given\":");
        push_str(b, first);
        b.extend_from_slice(b",\"family\":");
        push_str(b, last);
        b.extend_from_slice(b",\"formatted\":");
        push_str(b, &format!("{first} {last}"));
        b.extend_from_slice(b"},\"enabled\":");
        b.extend_from_slice(if enabled { b"true" } else { b"false" });
        b.extend_from_slice(b",\"account\":{\"canAuthenticate\":");
        b.extend_from_slice(if enabled && !locked {
            b"true"
        } else {
            b"false"
        });
        b.extend_from_slice(if locked {
            b",\"status\":\"LOCKED\"}"
        } else {
            b",\"status\":\"OK\"}"
        });
        b.extend_from_slice(b",\"lifecycle\":{\"status\":\"ACCOUNT_OK\"},\"population\":{\"id\":");
        push_uid(b, p.id);
        if federated {
            b.extend_from_slice(b"},\"identityProvider\":{\"id\":");
            push_uid(b, idp);
            b.extend_from_slice(b",\"type\":\"SAML\"}");
        } else {
            b.extend_from_slice(b"},\"identityProvider\":{\"type\":\"PING_ONE\"}");
        }
        if title_rate > 0.0 && rng.random_bool(title_rate) {
            b.extend_from_slice(b",\"title\":");
            let t = if env.kind == EnvKind::Administrators {
                "Administrator"
            } else {
                vocab::TITLES[rng.random_range(0..vocab::TITLES.len())]
            };
            push_str(b, t);
        }
        b.extend_from_slice(b",\"mfaEnabled\":");
        b.extend_from_slice(if mfa { b"true" } else { b"false" });
        if let Some(at) = last_sign_on {
            b.extend_from_slice(b",\"lastSignOn\":{\"at\":");
            push_ts(b, at);
            b.extend_from_slice(b",\"remoteIp\":\"203.0.113.");
            push_u64(b, rng.random_range(1..255));
            b.extend_from_slice(b"\"}");
        }
        b.extend_from_slice(b",\"createdAt\":");
        push_ts(b, created);
        b.extend_from_slice(b",\"updatedAt\":");
        push_ts(b, last_sign_on.unwrap_or(created));
        b.extend_from_slice(b"}\n");

        // Direct memberships: none for about 15%, one to five for the rest (administrators
        // always have one to three).
        let count = if env.kind == EnvKind::Administrators {
            rng.random_range(1..=3)
        } else {
            match rng.random::<f64>() {
                r if r < 0.15 => 0,
                r if r < 0.50 => 1,
                r if r < 0.75 => 2,
                r if r < 0.90 => 3,
                r if r < 0.97 => 4,
                _ => 5,
            }
        };
        picks.clear();
        for _ in 0..count {
            let g = if p.groups > 0 && rng.random_bool(0.35) {
                p.first_group + zipf(&mut rng, p.groups)
            } else {
                zipf(&mut rng, env.env_groups)
            };
            if !picks.contains(&g) {
                picks.push(g);
            }
        }
        for &g in &picks {
            let m = &mut memberships;
            m.extend_from_slice(b"{\"parent\":{\"type\":\"USER\",\"id\":");
            push_uid(m, id);
            m.extend_from_slice(b"},\"item\":{\"id\":");
            push_uid(m, env.group_id(seed, g));
            m.extend_from_slice(b",\"type\":\"DIRECT\"}}\n");
            pairs.push((u, g));
        }
    }
    UserChunk {
        users,
        memberships,
        n_users: n,
        pairs,
    }
}
