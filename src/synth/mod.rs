//! Seeded synthetic tenants in the export format, for tests, benches and demos.
//!
//! [`generate`] writes a realistic PingOne organization of any size (a million users in well
//! under a minute) as an offline export directory (`../shared/design/export-format.md`): an
//! Administrators environment with a few hundred admins, a large customer environment, a
//! workforce environment; heavy-tailed group sizes, nesting chains and cycles, dynamic groups,
//! role assignments of every subject and scope type (with a few dangling ones), applications with
//! every access-control kind, resources, scopes, grants, gateways and two weeks of activities.
//!
//! The output is a pure function of [`SynthOptions`]: the capture time is fixed, ids are derived
//! from the seed (see [`json::uid`]), and the large collections are generated in fixed-size
//! chunks, each from its own seeded ChaCha8 stream, in parallel but written in order.
//!
//! The module owns only generation; the CLI command `p1graph synth` is thin glue over
//! [`generate`].

mod activity;
mod emit;
pub mod json;
mod people;
mod plan;
mod vocab;

#[cfg(test)]
mod tests;

use std::path::Path;

use rayon::prelude::*;

use crate::export::manifest::{ActivityWindow, CollectorRef, ManifestFile, OrganizationRef};
use crate::export::{ExportWriter, WriteError};

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthOptions {
    /// Users over all environments.
    pub users: u64,
    pub seed: u64,
    /// Environments: the first is "Administrators", then "Customers", "Workforce", then
    /// smaller ones. With 1, everything lives in one environment.
    pub environments: u32,
    /// Write `.jsonl.zst` files.
    pub compress: bool,
    /// Activities per user per week over the 14-day window.
    pub activities_per_user_week: f64,
    /// A cap on activities, so that huge tenants stay fast to generate.
    pub max_activities: u64,
    /// The shape of the group structure.
    pub profile: SynthProfile,
}

/// The shape of a synthetic tenant's groups.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SynthProfile {
    /// About one group per ten users, a few nesting chains and cycles.
    #[default]
    Standard,
    /// About one group per two users, most groups nested (deep trees over the role-holding
    /// groups), more role-holding groups and more roles at GROUP scope.
    GroupHeavy,
}

impl SynthProfile {
    /// Parses `standard` or `group-heavy`.
    pub fn parse(s: &str) -> Option<SynthProfile> {
        match s {
            "standard" => Some(SynthProfile::Standard),
            "group-heavy" => Some(SynthProfile::GroupHeavy),
            _ => None,
        }
    }
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            users: 10_000,
            seed: 1,
            environments: 3,
            compress: false,
            activities_per_user_week: 1.0,
            max_activities: 1_000_000,
            profile: SynthProfile::Standard,
        }
    }
}

/// Largest number of environments [`generate`] accepts.
pub const MAX_ENVIRONMENTS: u32 = 100;

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynthStats {
    pub environments: u64,
    pub populations: u64,
    pub users: u64,
    pub groups: u64,
    /// Direct memberships (`user_memberships.jsonl` lines).
    pub memberships: u64,
    /// Nesting edges (`group_parents.jsonl` lines).
    pub nestings: u64,
    pub builtin_roles: u64,
    pub custom_roles: u64,
    /// Role assignments of users, groups, applications and gateways (not counting copies).
    pub role_assignments: u64,
    /// Group-derived copies listed under users (items with `group.id`).
    pub role_assignment_copies: u64,
    pub applications: u64,
    pub resources: u64,
    pub scopes: u64,
    pub grants: u64,
    pub gateways: u64,
    pub activities: u64,
    /// JSON bytes written (before compression), manifest excluded.
    pub json_bytes: u64,
    /// Bytes of all files on disk after finishing.
    pub disk_bytes: u64,
}

/// Errors while generating a tenant.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("invalid synth option: {0}")]
    Options(String),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot create a temporary directory")]
    TempDir(#[source] std::io::Error),
}

/// Writes blocks of complete lines through the [`ExportWriter`] and counts bytes.
struct Out {
    w: ExportWriter,
    bytes: u64,
}

impl Out {
    /// Appends `lines` (each ending in `\n`) to `collection`.
    fn block(&mut self, collection: &str, lines: &[u8]) -> Result<(), WriteError> {
        // `write_raw_line` adds the final newline itself; an empty block writes nothing (a
        // lone newline would be a blank line).
        let Some(body) = lines.strip_suffix(b"\n") else {
            return Ok(());
        };
        self.bytes += lines.len() as u64;
        self.w.write_raw_line(collection, body)
    }
}

/// Every per-environment collection: all are written, empty or not, since a missing file means
/// "not collected".
pub const ENV_COLLECTIONS: &[&str] = &[
    "populations",
    "users",
    "groups",
    "roles",
    "applications",
    "resources",
    "gateways",
    "activities",
    "user_memberships",
    "group_parents",
    "role_assignments",
    "grants",
    "scopes",
];

/// Generates chunks `0..n` in parallel batches and hands them to `sink` in order, on the
/// calling thread; the next batch is generated (on rayon's pool) while the previous one is
/// written.
fn pipeline<T, G, S>(n: u64, generate: G, mut sink: S) -> Result<(), SynthError>
where
    T: Send,
    G: Fn(u64) -> T + Sync,
    S: FnMut(T) -> Result<(), SynthError>,
{
    let batch = (rayon::current_num_threads() as u64).max(2);
    let mut pending: Vec<T> = Vec::new();
    let mut next = 0u64;
    loop {
        let end = (next + batch).min(n);
        let range = next..end;
        let generate = &generate;
        let produced = std::thread::scope(|s| -> Result<Vec<T>, SynthError> {
            let worker = s.spawn(move || range.into_par_iter().map(generate).collect::<Vec<T>>());
            let written: Result<(), SynthError> = pending.drain(..).try_for_each(&mut sink);
            let produced = match worker.join() {
                Ok(p) => p,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            written.map(|()| produced)
        })?;
        if produced.is_empty() {
            return Ok(());
        }
        pending = produced;
        next = end;
    }
}

/// Generates a tenant into the export directory `out` (written atomically: it appears only when
/// complete). `progress(phase, done, total)` is called after each chunk of users or activities.
pub fn generate(
    opts: &SynthOptions,
    out: &Path,
    progress: &dyn Fn(&str, u64, u64),
) -> Result<SynthStats, SynthError> {
    if opts.environments == 0 || opts.environments > MAX_ENVIRONMENTS {
        return Err(SynthError::Options(format!(
            "environments must be between 1 and {MAX_ENVIRONMENTS}, not {}",
            opts.environments
        )));
    }
    if !opts.activities_per_user_week.is_finite() || opts.activities_per_user_week < 0.0 {
        return Err(SynthError::Options(format!(
            "activities per user per week must be a non-negative number, not {}",
            opts.activities_per_user_week
        )));
    }
    let plan = plan::build(opts);
    let mut out_w = Out {
        w: ExportWriter::create(out, opts.compress)?,
        bytes: 0,
    };
    let w = &mut out_w;
    let mut st = SynthStats::default();

    w.w.touch("environments")?;
    w.w.touch("roles")?;
    for env in &plan.envs {
        for c in ENV_COLLECTIONS {
            w.w.touch(&format!("{}/{c}", env.dir))?;
        }
    }
    let (b, n) = emit::environments(&plan);
    w.block("environments", &b)?;
    st.environments = n;
    let (b, n) = emit::builtin_roles(&plan);
    w.block("roles", &b)?;
    st.builtin_roles = n;

    let total_users = opts.users;
    let total_activities: u64 = plan.envs.iter().map(|e| e.activities).sum();
    let mut users_done = 0u64;
    let mut activities_done = 0u64;
    for (e, env) in plan.envs.iter().enumerate() {
        let coll = |c: &str| format!("{}/{c}", env.dir);
        let (b, n) = emit::populations(&plan, env);
        w.block(&coll("populations"), &b)?;
        st.populations += n;
        if e == 0 {
            let (b, n) = emit::custom_roles(&plan, env);
            w.block(&coll("roles"), &b)?;
            st.custom_roles += n;
        }
        let (b, n) = emit::applications(&plan, env);
        w.block(&coll("applications"), &b)?;
        st.applications += n;
        let (b, n) = emit::resources(&plan, env);
        w.block(&coll("resources"), &b)?;
        st.resources += n;
        let (b, n) = emit::scopes(&plan, env);
        w.block(&coll("scopes"), &b)?;
        st.scopes += n;
        let (b, n) = emit::grants(&plan, env);
        w.block(&coll("grants"), &b)?;
        st.grants += n;
        let (b, n) = emit::gateways(&plan, env);
        w.block(&coll("gateways"), &b)?;
        st.gateways += n;

        // Users and memberships; member counts per group for `directMemberCounts`, and the
        // memberships in role-holding groups for the group-derived copies.
        let users_coll = coll("users");
        let mem_coll = coll("user_memberships");
        let mut members = vec![0u32; env.groups.len()];
        let mut role_pairs: Vec<(u64, u32)> = Vec::new();
        pipeline(
            people::chunks(env),
            |c| people::user_chunk(&plan, env, c),
            |chunk| {
                w.block(&users_coll, &chunk.users)?;
                w.block(&mem_coll, &chunk.memberships)?;
                st.users += chunk.n_users;
                st.memberships += chunk.pairs.len() as u64;
                for &(u, g) in &chunk.pairs {
                    if let Some(m) = members.get_mut(g as usize) {
                        *m += 1;
                    }
                    if e == 0 && env.groups.get(g as usize).is_some_and(|m| m.holds_roles) {
                        role_pairs.push((u, g));
                    }
                }
                users_done += chunk.n_users;
                progress("users", users_done, total_users);
                Ok(())
            },
        )?;

        let (b, n) = emit::groups(&plan, env, &members);
        w.block(&coll("groups"), &b)?;
        st.groups += n;
        let (b, n) = emit::group_parents(&plan, env);
        w.block(&coll("group_parents"), &b)?;
        st.nestings += n;
        let (b, n, copies) = emit::role_assignments(&plan, env, &role_pairs);
        w.block(&coll("role_assignments"), &b)?;
        st.role_assignments += n;
        st.role_assignment_copies += copies;

        let ctx = activity::EnvCtx::new(&plan, e);
        let act_coll = coll("activities");
        pipeline(
            activity::chunks(env),
            |c| activity::activity_chunk(&plan, e, &ctx, c),
            |chunk| {
                w.block(&act_coll, &chunk.lines)?;
                st.activities += chunk.n;
                activities_done += chunk.n;
                progress("activities", activities_done, total_activities);
                Ok(())
            },
        )?;
    }

    let (from, to) = plan.activity_window();
    let mut manifest = ManifestFile::new();
    manifest.captured_at = Some(json::ts_string(plan.captured_ms).replace(".000Z", "Z"));
    manifest.region = Some("NA".into());
    manifest.organization = Some(OrganizationRef {
        id: plan.org.to_string(),
        name: plan.org_name.clone(),
    });
    manifest.collector = plan.envs.first().map(|admin| CollectorRef {
        environment_id: admin.id.to_string(),
        client_id: admin
            .apps
            .get(plan.collector_app)
            .map(|a| a.id.to_string())
            .unwrap_or_default(),
    });
    manifest.activities = Some(ActivityWindow {
        from: json::ts_string(from).replace(".000Z", "Z"),
        to: json::ts_string(to).replace(".000Z", "Z"),
    });
    st.json_bytes = out_w.bytes;
    let dest = out_w.w.finish(&manifest)?;
    st.disk_bytes = dir_size(&dest);
    Ok(st)
}

/// Total size of the files under `dir` (best effort: unreadable entries count as zero).
fn dir_size(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Generates a tenant of `users` users (other options default) into a fresh temporary
/// directory, for tests and benches. The export is at `dir.path().join("export")`.
pub fn generate_to_temp(
    users: u64,
    seed: u64,
) -> Result<(tempfile::TempDir, SynthStats), SynthError> {
    let dir = tempfile::tempdir().map_err(SynthError::TempDir)?;
    let opts = SynthOptions {
        users,
        seed,
        ..SynthOptions::default()
    };
    let stats = generate(&opts, &dir.path().join("export"), &|_, _, _| {})?;
    Ok((dir, stats))
}
