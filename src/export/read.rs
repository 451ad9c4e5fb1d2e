//! Export directory -> [`Tenant`].
//!
//! Two passes over the environments: first the entities (populations, users, groups, roles,
//! applications, resources, scopes, gateways) of every environment, then the relations
//! (memberships, nesting, role assignments, grants) that may point across environments (a
//! custom role lives in the Administrators environment). Environments are visited in id order
//! and lines in file order, so dense ids are deterministic for a given export.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashSet;

use super::ReadError;
use super::lines::{self, Parsed};
use super::manifest::{FORMAT_NAME, FORMAT_VERSION, ManifestFile};
use super::records::*;
use crate::model::*;

/// Reads an export directory into a normalized tenant.
pub fn read_export(dir: &Path) -> Result<Tenant, ReadError> {
    let mut l = Loader {
        dir: dir.to_path_buf(),
        t: Tenant::default(),
        seen_activities: ActivityIds::default(),
        activities: Vec::new(),
    };
    l.manifest()?;
    l.environments()?;
    l.builtin_roles()?;
    l.missing_collections()?;
    let envs: Vec<(EnvId, PathBuf)> = l.env_dirs()?;
    for (env, path) in &envs {
        l.entities(*env, path)?;
    }
    // Before relations, so that memberships are built with the final user numbers; rebuilds
    // the index.
    l.t.order_users_by_id();
    for (env, path) in &envs {
        l.relations(*env, path)?;
    }
    l.finish_relations();
    l.t.reindex();
    let mut t = l.t;
    crate::model::usage::fold_into(&mut t, l.activities);
    t.strings.check().map_err(|source| ReadError::TooLarge {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(t)
}

struct Loader {
    dir: PathBuf,
    t: Tenant,
    /// Ids of the activities read so far, to drop repeats. Not interned: nothing keeps them.
    seen_activities: ActivityIds,
    activities: Vec<Activity>,
}

/// A set of activity ids: PingOne's (lowercase UUIDs) as 16 bytes, any other as its text.
#[derive(Default)]
struct ActivityIds {
    uuids: FxHashSet<u128>,
    other: FxHashSet<Box<str>>,
}

impl ActivityIds {
    /// Adds `id`; false when it was already there.
    fn insert(&mut self, id: &str) -> bool {
        match uuid_bits(id) {
            Some(bits) => self.uuids.insert(bits),
            None => self.other.insert(id.into()),
        }
    }
}

/// The 128 bits of a UUID in canonical lowercase text (`8-4-4-4-12` hex digits); `None` for any
/// other text, so that two different ids never share a key.
fn uuid_bits(id: &str) -> Option<u128> {
    let b = id.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut bits = 0u128;
    for (i, &c) in b.iter().enumerate() {
        let nibble = match (i, c) {
            (8 | 13 | 18 | 23, b'-') => continue,
            (8 | 13 | 18 | 23, _) => return None,
            (_, b'0'..=b'9') => c - b'0',
            (_, b'a'..=b'f') => c - b'a' + 10,
            _ => return None,
        };
        bits = bits << 4 | u128::from(nibble);
    }
    Some(bits)
}

fn opt<'a>(s: &'a Option<Str<'_>>) -> &'a str {
    s.as_deref().unwrap_or("")
}

fn opt_id<'a>(r: &'a Option<OptIdRef<'_>>) -> &'a str {
    r.as_ref().and_then(|r| r.id.as_deref()).unwrap_or("")
}

impl Loader {
    fn sym(&mut self, s: &str) -> Sym {
        self.t.strings.intern(s)
    }

    fn note_unknown<T>(&mut self, collection: &str, p: &Parsed<T>) {
        for f in &p.unknown {
            self.t
                .warnings
                .add(&format!("unknown field in {collection}"), || f.clone());
        }
    }

    fn manifest(&mut self) -> Result<(), ReadError> {
        let path = self.dir.join("manifest.json");
        if !path.is_file() {
            if !self.dir.is_dir() {
                return Err(ReadError::Io {
                    path: self.dir.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
                });
            }
            return Err(ReadError::NoManifest {
                path: self.dir.clone(),
            });
        }
        let bytes = lines::read_small(&path)?;
        let m: ManifestFile = serde_json::from_slice(&bytes).map_err(|e| ReadError::Manifest {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if m.format != FORMAT_NAME {
            return Err(ReadError::Version {
                path,
                what: "format",
                found: m.format,
            });
        }
        if m.version != FORMAT_VERSION {
            return Err(ReadError::Version {
                path,
                what: "version",
                found: m.version.to_string(),
            });
        }
        let ts = |field: &str, v: &str| {
            Ts::parse(v).ok_or_else(|| ReadError::Manifest {
                path: path.clone(),
                message: format!("field `{field}`: `{v}` is not an RFC 3339 timestamp"),
            })
        };
        let captured_at = m
            .captured_at
            .as_deref()
            .map(|v| ts("capturedAt", v))
            .transpose()?;
        let activities = match &m.activities {
            Some(w) => Some((ts("activities.from", &w.from)?, ts("activities.to", &w.to)?)),
            None => None,
        };
        let org = m.organization.clone().unwrap_or_default();
        self.t.organization = Organization {
            id: self.sym(&org.id),
            name: self.sym(&org.name),
        };
        let collector = m.collector.clone().unwrap_or_default();
        let mut coverage: Vec<CoverageGap> = m
            .coverage
            .iter()
            .map(|c| CoverageGap {
                collection: c.collection.clone(),
                status: c.status.clone(),
                detail: c.detail.clone(),
            })
            .collect();
        coverage.sort();
        coverage.dedup();
        self.t.manifest = Manifest {
            captured_at,
            region: m.region.clone().unwrap_or_default(),
            collector_environment_id: collector.environment_id,
            collector_client_id: collector.client_id,
            activities,
            coverage,
        };
        Ok(())
    }

    fn environments(&mut self) -> Result<(), ReadError> {
        let Some(path) = lines::find(&self.dir.join("environments"))? else {
            return Ok(());
        };
        let mut seen = FxHashSet::default();
        lines::read_blocks(&path, |ls, first| {
            for p in lines::parse_lines::<EnvironmentRec>(&path, first, ls, ENVIRONMENT_KNOWN)? {
                self.note_unknown("environments", &p);
                let r = &p.rec;
                // The id names the environment's folder: it must not leave the export.
                if let Err(e) = super::validate::plain_id(&r.id) {
                    return Err(ReadError::Record {
                        path: path.clone(),
                        line: p.line,
                        message: format!("field `id`: {e}"),
                    });
                }
                let id = self.sym(&r.id);
                if !seen.insert(id) {
                    return Err(dup(&path, p.line, "environment", &r.id));
                }
                let env = Environment {
                    id,
                    name: self.sym(opt(&r.name)),
                    kind: self.sym(opt(&r.kind)),
                    region: self.sym(opt(&r.region)),
                    organization: self.sym(opt_id(&r.organization)),
                };
                self.t.environments.push(env);
            }
            Ok(())
        })?;
        // Environments in id order, so that dense ids follow the directory order.
        let strings = &self.t.strings;
        self.t
            .environments
            .sort_by(|a, b| strings.resolve(a.id).cmp(strings.resolve(b.id)));
        if self.t.organization.id.is_empty()
            && let Some(org) = self
                .t
                .environments
                .iter()
                .map(|e| e.organization)
                .find(|o| !o.is_empty())
        {
            self.t.organization.id = org;
        }
        Ok(())
    }

    /// Access model M10: a collection whose file is absent although its environment is listed in
    /// `environments.jsonl` (or an absent top-level file) was not collected. Each becomes a
    /// coverage gap with status `missing`, unless the manifest already lists it (its status and
    /// detail are kept). Runs before the directories of unlisted environments are added.
    fn missing_collections(&mut self) -> Result<(), ReadError> {
        let mut missing: Vec<String> = Vec::new();
        for top in super::collection::TOP_LEVEL {
            if lines::find(&self.dir.join(top))?.is_none() {
                missing.push(top.to_string());
            }
        }
        let root = self.dir.join("environments");
        for e in &self.t.environments {
            let id = self.t.s(e.id);
            let dir = root.join(id);
            for c in super::Collection::PER_ENVIRONMENT {
                if lines::find(&dir.join(c.stem()))?.is_none() {
                    missing.push(c.path(id));
                }
            }
        }
        let cov = &mut self.t.manifest.coverage;
        for collection in missing {
            if !cov.iter().any(|g| g.collection == collection) {
                cov.push(CoverageGap {
                    collection,
                    status: "missing".into(),
                    detail: "file absent from the export".into(),
                });
            }
        }
        cov.sort();
        cov.dedup_by(|a, b| a.collection == b.collection);
        Ok(())
    }

    /// The environment directories, in id order; a directory for an environment that
    /// `environments.jsonl` does not list still counts (with a warning).
    fn env_dirs(&mut self) -> Result<Vec<(EnvId, PathBuf)>, ReadError> {
        let root = self.dir.join("environments");
        let mut names: Vec<String> = Vec::new();
        if root.is_dir() {
            let rd = std::fs::read_dir(&root).map_err(|source| ReadError::Io {
                path: root.clone(),
                source,
            })?;
            for e in rd {
                let e = e.map_err(|source| ReadError::Io {
                    path: root.clone(),
                    source,
                })?;
                if e.path().is_dir()
                    && let Some(n) = e.file_name().to_str()
                    && !n.starts_with('.')
                {
                    names.push(n.to_string());
                }
            }
        }
        names.sort();
        self.t.reindex();
        let mut out = Vec::new();
        for n in names {
            let sym = self.sym(&n);
            let env = match self.t.index.env.get(&sym) {
                Some(&e) => e,
                None => {
                    self.t.warnings.add(
                        "environment directory not listed in environments.jsonl",
                        || n.clone(),
                    );
                    let e = EnvId::from_idx(self.t.environments.len());
                    let org = self.t.organization.id;
                    self.t.environments.push(Environment {
                        id: sym,
                        name: Sym::EMPTY,
                        kind: Sym::EMPTY,
                        region: Sym::EMPTY,
                        organization: org,
                    });
                    self.t.index.env.insert(sym, e);
                    e
                }
            };
            out.push((env, root.join(&n)));
        }
        Ok(out)
    }

    fn builtin_roles(&mut self) -> Result<(), ReadError> {
        let Some(path) = lines::find(&self.dir.join("roles"))? else {
            return Ok(());
        };
        self.roles(&path, None)
    }

    fn roles(&mut self, path: &Path, env: Option<EnvId>) -> Result<(), ReadError> {
        let collection = if env.is_some() {
            "custom roles"
        } else {
            "roles"
        };
        lines::read_blocks(path, |ls, first| {
            for p in lines::parse_lines::<RoleRec>(path, first, ls, ROLE_KNOWN)? {
                self.note_unknown(collection, &p);
                let r = &p.rec;
                let id = self.sym(&r.id);
                let kind = opt(&r.kind);
                // A role of any type but CUSTOM is built-in (M6.2). The custom-roles endpoint
                // may also list the built-ins (type PLATFORM): those repeat `GET /roles`.
                let builtin = env.is_none() || kind != "CUSTOM";
                if let Some(&existing) = self.t.index.role.get(&id) {
                    if env.is_some() && builtin && self.t.roles[existing.idx()].builtin {
                        continue;
                    }
                    return Err(dup(path, p.line, "role", &r.id));
                }
                let permissions: Vec<Sym> = r
                    .permissions
                    .iter()
                    .flatten()
                    .map(|perm| self.t.strings.intern(&perm.id))
                    .collect();
                let read_only = !permissions.is_empty()
                    && permissions
                        .iter()
                        .all(|&p| self.t.strings.resolve(p).split(':').nth(1) == Some("read"));
                let list = |v: &Option<Vec<NameOrRef<'_>>>, strings: &mut Interner| -> Vec<Sym> {
                    let mut out: Vec<Sym> = v
                        .iter()
                        .flatten()
                        .map(|x| x.text())
                        .filter(|x| !x.is_empty())
                        .map(|x| strings.intern(x))
                        .collect();
                    out.sort_unstable();
                    out.dedup();
                    out
                };
                let applicable_to = list(&r.applicable_to, &mut self.t.strings);
                let can_be_assigned_by = list(&r.can_be_assigned_by, &mut self.t.strings);
                let role = Role {
                    id,
                    name: self.sym(opt(&r.name)),
                    builtin,
                    env: if builtin { None } else { env },
                    permissions,
                    read_only,
                    applicable_to,
                    can_be_assigned_by,
                };
                self.t
                    .index
                    .role
                    .insert(id, RoleId::from_idx(self.t.roles.len()));
                self.t.roles.push(role);
            }
            Ok(())
        })
    }

    /// Pass 1: the entities of one environment.
    fn entities(&mut self, env: EnvId, dir: &Path) -> Result<(), ReadError> {
        if let Some(path) = lines::find(&dir.join("populations"))? {
            lines::read_blocks(&path, |ls, first| {
                for p in lines::parse_lines::<PopulationRec>(&path, first, ls, POPULATION_KNOWN)? {
                    self.note_unknown("populations", &p);
                    let r = &p.rec;
                    let id = self.sym(&r.id);
                    let ix = PopId::from_idx(self.t.populations.len());
                    if self.t.index.pop.insert(id, ix).is_some() {
                        return Err(dup(&path, p.line, "population", &r.id));
                    }
                    let name = self.sym(opt(&r.name));
                    self.t.populations.push(Population {
                        id,
                        name,
                        env,
                        default: r.default.unwrap_or(false),
                    });
                }
                Ok(())
            })?;
        }

        if let Some(path) = lines::find(&dir.join("users"))? {
            lines::read_blocks(&path, |ls, first| {
                let parsed = lines::parse_lines::<UserRec>(&path, first, ls, USER_KNOWN)?;
                self.t.users.reserve(parsed.len());
                for p in parsed {
                    self.note_unknown("users", &p);
                    let r = &p.rec;
                    let id = self.sym(&r.id);
                    let ix = UserId::from_idx(self.t.users.len());
                    if self.t.index.user.insert(id, ix).is_some() {
                        return Err(dup(&path, p.line, "user", &r.id));
                    }
                    let ts = |field: &str, v: Option<&str>| -> Result<Option<Ts>, ReadError> {
                        super::validate::timestamp(field, v).map_err(|message| ReadError::Record {
                            path: path.clone(),
                            line: p.line,
                            message,
                        })
                    };
                    let last_sign_on = ts(
                        "lastSignOn.at",
                        r.last_sign_on.as_ref().and_then(|l| l.at.as_deref()),
                    )?;
                    let created_at = ts("createdAt", r.created_at.as_deref())?;
                    let display = match &r.name {
                        Some(n) => match (&n.formatted, &n.given, &n.family) {
                            (Some(f), _, _) => f.to_string(),
                            (None, Some(g), Some(f)) => format!("{g} {f}"),
                            (None, Some(g), None) => g.to_string(),
                            (None, None, Some(f)) => f.to_string(),
                            _ => String::new(),
                        },
                        None => String::new(),
                    };
                    let status = r
                        .account
                        .as_ref()
                        .and_then(|a| a.status.as_deref())
                        .unwrap_or("");
                    let user = User {
                        id,
                        username: self.sym(opt(&r.username)),
                        display_name: self.sym(&display),
                        env,
                        population: self.sym(opt_id(&r.population)),
                        enabled: r.enabled.unwrap_or(true),
                        locked: status == "LOCKED",
                        last_sign_on,
                        mfa_enabled: r.mfa_enabled,
                        created_at,
                        identity_provider: self.sym(
                            r.identity_provider
                                .as_ref()
                                .and_then(|i| i.kind.as_deref())
                                .unwrap_or(""),
                        ),
                    };
                    self.t.users.push(user);
                }
                Ok(())
            })?;
        }

        if let Some(path) = lines::find(&dir.join("groups"))? {
            lines::read_blocks(&path, |ls, first| {
                for p in lines::parse_lines::<GroupRec>(&path, first, ls, GROUP_KNOWN)? {
                    self.note_unknown("groups", &p);
                    let r = &p.rec;
                    let id = self.sym(&r.id);
                    let ix = GroupId::from_idx(self.t.groups.len());
                    if self.t.index.group.insert(id, ix).is_some() {
                        return Err(dup(&path, p.line, "group", &r.id));
                    }
                    let g = Group {
                        id,
                        name: self.sym(opt(&r.name)),
                        env,
                        population: self.sym(opt_id(&r.population)),
                        user_filter: self.sym(opt(&r.user_filter)),
                    };
                    self.t.groups.push(g);
                }
                Ok(())
            })?;
        }

        if let Some(path) = lines::find(&dir.join("roles"))? {
            self.roles(&path, Some(env))?;
        }

        if let Some(path) = lines::find(&dir.join("applications"))? {
            lines::read_blocks(&path, |ls, first| {
                for p in lines::parse_lines::<ApplicationRec>(&path, first, ls, APPLICATION_KNOWN)?
                {
                    self.note_unknown("applications", &p);
                    let r = &p.rec;
                    let id = self.sym(&r.id);
                    let ix = AppId::from_idx(self.t.applications.len());
                    if self.t.index.app.insert(id, ix).is_some() {
                        return Err(dup(&path, p.line, "application", &r.id));
                    }
                    let access = self.access_control(r.access_control.as_ref(), &r.id);
                    let a = Application {
                        id,
                        name: self.sym(opt(&r.name)),
                        env,
                        kind: self.sym(opt(&r.kind)),
                        protocol: self.sym(opt(&r.protocol)),
                        enabled: r.enabled.unwrap_or(false),
                        access,
                    };
                    self.t.applications.push(a);
                }
                Ok(())
            })?;
        }

        if let Some(path) = lines::find(&dir.join("resources"))? {
            lines::read_blocks(&path, |ls, first| {
                for p in lines::parse_lines::<ResourceRec>(&path, first, ls, RESOURCE_KNOWN)? {
                    self.note_unknown("resources", &p);
                    let r = &p.rec;
                    let id = self.sym(&r.id);
                    let ix = ResourceId::from_idx(self.t.resources.len());
                    if self.t.index.resource.insert(id, ix).is_some() {
                        return Err(dup(&path, p.line, "resource", &r.id));
                    }
                    let res = Resource {
                        id,
                        name: self.sym(opt(&r.name)),
                        kind: self.sym(opt(&r.kind)),
                        env,
                    };
                    self.t.resources.push(res);
                }
                Ok(())
            })?;
        }

        if let Some(path) = lines::find(&dir.join("scopes"))? {
            lines::read_blocks(&path, |ls, first| {
                for p in lines::parse_lines::<Wrapped<ScopeRec>>(&path, first, ls, WRAPPED_KNOWN)? {
                    self.note_unknown("scopes", &p);
                    let w = &p.rec;
                    let id = self.sym(&w.item.id);
                    let ix = ScopeId::from_idx(self.t.scopes.len());
                    if self.t.index.scope.insert(id, ix).is_some() {
                        return Err(dup(&path, p.line, "scope", &w.item.id));
                    }
                    // The wrapper's parent is the resource; the item may repeat it.
                    let resource = match opt_id(&w.item.resource) {
                        "" => self.sym(&w.parent.id),
                        r => self.sym(r),
                    };
                    let s = ResourceScope {
                        id,
                        name: self.sym(opt(&w.item.name)),
                        resource,
                    };
                    self.t.scopes.push(s);
                }
                Ok(())
            })?;
        }

        if let Some(path) = lines::find(&dir.join("gateways"))? {
            lines::read_blocks(&path, |ls, first| {
                for p in lines::parse_lines::<GatewayRec>(&path, first, ls, GATEWAY_KNOWN)? {
                    self.note_unknown("gateways", &p);
                    let r = &p.rec;
                    let id = self.sym(&r.id);
                    let ix = GatewayId::from_idx(self.t.gateways.len());
                    if self.t.index.gateway.insert(id, ix).is_some() {
                        return Err(dup(&path, p.line, "gateway", &r.id));
                    }
                    let g = Gateway {
                        id,
                        name: self.sym(opt(&r.name)),
                        env,
                        kind: self.sym(opt(&r.kind)),
                        enabled: r.enabled.unwrap_or(false),
                    };
                    self.t.gateways.push(g);
                }
                Ok(())
            })?;
        }

        if let Some(path) = lines::find(&dir.join("activities"))? {
            lines::read_blocks(&path, |ls, first| {
                for p in lines::parse_lines::<ActivityRec>(&path, first, ls, ACTIVITY_KNOWN)? {
                    let r = &p.rec;
                    if !self.seen_activities.insert(&r.id) {
                        // Overlapping collection windows repeat events: deduplicate by id.
                        continue;
                    }
                    let recorded_at =
                        super::validate::required_timestamp("recordedAt", &r.recorded_at).map_err(
                            |message| ReadError::Record {
                                path: path.clone(),
                                line: p.line,
                                message,
                            },
                        )?;
                    let actors = r.actors.as_ref();
                    let a = Activity {
                        recorded_at,
                        action: self.sym(opt(&r.action.kind)),
                        actor_user: self.sym(actors.map_or("", |a| opt_id(&a.user))),
                        actor_client: self.sym(actors.map_or("", |a| opt_id(&a.client))),
                        success: r.result.as_ref().and_then(|r| r.status.as_deref())
                            != Some("FAILED"),
                    };
                    self.activities.push(a);
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    fn access_control(&mut self, ac: Option<&AccessControlRec>, app: &str) -> AccessControl {
        let Some(ac) = ac else {
            return AccessControl::default();
        };
        let mut out = AccessControl::default();
        match ac.role.as_ref().and_then(|r| r.kind.as_deref()) {
            None => {}
            Some("ADMIN_USERS_ONLY") => out.admin_users_only = true,
            Some(other) => {
                self.t
                    .warnings
                    .add("unknown accessControl.role.type (ignored)", || {
                        format!("{other} on application {app}")
                    });
                out.unknown_role_type = Some(self.sym(other));
            }
        }
        if let Some(g) = &ac.group {
            let kind = match g.kind.as_deref() {
                Some("ANY_GROUP") => GroupRuleKind::AnyGroup,
                Some("ALL_GROUPS") => GroupRuleKind::AllGroups,
                other => {
                    let raw = other.unwrap_or("");
                    self.t.warnings.add(
                        "missing or unknown accessControl.group.type (no group rule applied)",
                        || format!("`{raw}` on application {app}"),
                    );
                    GroupRuleKind::Unknown(self.sym(raw))
                }
            };
            let mut groups: Vec<Sym> = g
                .groups
                .iter()
                .flatten()
                .map(|r| self.t.strings.intern(&r.id))
                .collect();
            groups.sort();
            groups.dedup();
            out.group = Some(GroupRule { kind, groups });
        }
        out
    }

    /// Pass 2: relations of one environment.
    fn relations(&mut self, env: EnvId, dir: &Path) -> Result<(), ReadError> {
        if let Some(path) = lines::find(&dir.join("user_memberships"))? {
            lines::read_blocks(&path, |ls, first| {
                let parsed =
                    lines::parse_lines::<Wrapped<MembershipRec>>(&path, first, ls, WRAPPED_KNOWN)?;
                for p in parsed {
                    self.note_unknown("user_memberships", &p);
                    let w = &p.rec;
                    expect_parent(&path, p.line, &w.parent, "USER")?;
                    let kind = opt(&w.item.kind);
                    if kind == "INDIRECT" {
                        // Derived memberships are recomputed by the engine (export format).
                        self.t
                            .warnings
                            .add("INDIRECT membership skipped", || w.item.id.to_string());
                        continue;
                    }
                    let user = self
                        .t
                        .strings
                        .get(&w.parent.id)
                        .and_then(|s| self.t.index.user.get(&s));
                    let group = self
                        .t
                        .strings
                        .get(&w.item.id)
                        .and_then(|s| self.t.index.group.get(&s));
                    match (user, group) {
                        (Some(user), Some(group)) => {
                            let kind = self.sym(kind);
                            self.t.memberships.push(Membership { user, group, kind });
                        }
                        (None, _) => self
                            .t
                            .warnings
                            .add("membership of a user not in the snapshot (dropped)", || {
                                format!("{} -> {}", w.parent.id, w.item.id)
                            }),
                        (_, None) => self.t.warnings.add(
                            "membership in a group not in the snapshot (dropped)",
                            || format!("{} -> {}", w.parent.id, w.item.id),
                        ),
                    }
                }
                Ok(())
            })?;
        }

        if let Some(path) = lines::find(&dir.join("group_parents"))? {
            lines::read_blocks(&path, |ls, first| {
                for p in lines::parse_lines::<Wrapped<IdRef>>(&path, first, ls, WRAPPED_KNOWN)? {
                    self.note_unknown("group_parents", &p);
                    let w = &p.rec;
                    expect_parent(&path, p.line, &w.parent, "GROUP")?;
                    let child = self
                        .t
                        .strings
                        .get(&w.parent.id)
                        .and_then(|s| self.t.index.group.get(&s));
                    let parent = self
                        .t
                        .strings
                        .get(&w.item.id)
                        .and_then(|s| self.t.index.group.get(&s));
                    match (child, parent) {
                        (Some(child), Some(parent)) => {
                            self.t.nestings.push(Nesting { child, parent })
                        }
                        _ => self
                            .t
                            .warnings
                            .add("nesting with a group not in the snapshot (dropped)", || {
                                format!("{} in {}", w.parent.id, w.item.id)
                            }),
                    }
                }
                Ok(())
            })?;
        }

        if let Some(path) = lines::find(&dir.join("role_assignments"))? {
            lines::read_blocks(&path, |ls, first| {
                for p in
                    lines::parse_lines::<Wrapped<AssignmentRec>>(&path, first, ls, WRAPPED_KNOWN)?
                {
                    self.note_unknown("role_assignments", &p);
                    let w = &p.rec;
                    let Some(kind) = SubjectKind::parse(&w.parent.kind) else {
                        self.t.warnings.add(
                            "role assignment with an unknown subject type (ignored)",
                            || w.parent.kind.to_string(),
                        );
                        continue;
                    };
                    let copy_of = w.item.group.as_ref().and_then(|g| g.id.as_deref());
                    if kind == SubjectKind::User && copy_of.is_some() {
                        // M2: a group-derived copy, re-derived from the group's own assignments.
                        self.t
                            .warnings
                            .add_n("group-derived role assignment copies skipped", 1);
                        continue;
                    }
                    let id = self.sym(&w.item.id);
                    let role_id = self.sym(&w.item.role.id);
                    let scope_raw = self.sym(&w.item.scope.kind);
                    let scope_kind = ScopeKind::parse(&w.item.scope.kind, scope_raw);
                    if let ScopeKind::Unknown(_) = scope_kind {
                        self.t
                            .warnings
                            .add("unknown role assignment scope type (kept)", || {
                                w.item.scope.kind.to_string()
                            });
                    }
                    let a = RoleAssignment {
                        id,
                        subject: Subject {
                            kind,
                            id: self.sym(&w.parent.id),
                        },
                        role_id,
                        role: self.t.index.role.get(&role_id).copied(),
                        scope: ScopeRef {
                            kind: scope_kind,
                            id: self.sym(&w.item.scope.id),
                        },
                        read_only_flag: w.item.read_only.unwrap_or(false),
                        env,
                    };
                    self.t.assignments.push(a);
                }
                Ok(())
            })?;
        }

        if let Some(path) = lines::find(&dir.join("grants"))? {
            lines::read_blocks(&path, |ls, first| {
                for p in lines::parse_lines::<Wrapped<GrantRec>>(&path, first, ls, WRAPPED_KNOWN)? {
                    self.note_unknown("grants", &p);
                    let w = &p.rec;
                    expect_parent(&path, p.line, &w.parent, "APPLICATION")?;
                    let scopes: Vec<Sym> = w
                        .item
                        .scopes
                        .iter()
                        .flatten()
                        .map(|s| self.t.strings.intern(&s.id))
                        .collect();
                    let g = Grant {
                        id: self.sym(&w.item.id),
                        application: self.sym(&w.parent.id),
                        resource: self.sym(&w.item.resource.id),
                        scopes,
                    };
                    self.t.grants.push(g);
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Sorts and deduplicates relations, and checks assignment ids.
    fn finish_relations(&mut self) {
        let t = &mut self.t;
        t.memberships.sort_by_key(|m| (m.user, m.group));
        t.memberships.dedup_by_key(|m| (m.user, m.group));
        t.nestings.sort();
        t.nestings.dedup();
        // The same assignment can be listed twice (an overlapping page); keep one.
        let mut seen = FxHashSet::default();
        let before = t.assignments.len();
        t.assignments.retain(|a| seen.insert((a.id, a.subject.id)));
        t.warnings.add_n(
            "duplicate role assignment lines skipped",
            (before - t.assignments.len()) as u64,
        );
        for a in &t.assignments {
            let present = match a.subject.kind {
                SubjectKind::User => t.index.user.contains_key(&a.subject.id),
                SubjectKind::Group => t.index.group.contains_key(&a.subject.id),
                SubjectKind::Application => t.index.app.contains_key(&a.subject.id),
                SubjectKind::Gateway => t.index.gateway.contains_key(&a.subject.id),
            };
            if !present {
                t.warnings.add(
                    "role assignment whose subject is not in the snapshot (no rows)",
                    || {
                        format!(
                            "{} {}",
                            a.subject.kind.as_str(),
                            t.strings.resolve(a.subject.id)
                        )
                    },
                );
            }
            if a.role.is_none() {
                t.warnings
                    .add("role assignment whose role is not in the snapshot", || {
                        t.strings.resolve(a.role_id).to_string()
                    });
            }
        }
    }
}

fn dup(path: &Path, line: usize, kind: &'static str, id: &str) -> ReadError {
    ReadError::Duplicate {
        path: path.to_path_buf(),
        line,
        kind,
        id: id.to_string(),
    }
}

fn expect_parent(
    path: &Path,
    line: usize,
    parent: &ParentRec,
    want: &str,
) -> Result<(), ReadError> {
    super::validate::parent_type(&parent.kind, want).map_err(|message| ReadError::Record {
        path: path.to_path_buf(),
        line,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Repeats are found whatever the id's shape, and two different ids never collide: a UUID
    /// in capitals or without hyphens is another id, kept as text.
    #[test]
    fn activity_ids_drop_repeats_and_only_repeats() {
        let uuid = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
        assert_eq!(
            uuid_bits(uuid),
            Some(0x0a1b2c3d_4e5f_6789_abcd_ef0123456789)
        );
        for other in [
            "0A1B2C3D-4E5F-6789-ABCD-EF0123456789",
            "0a1b2c3d4e5f6789abcdef0123456789",
            "0a1b2c3d-4e5f-6789-abcd-ef012345678g",
            "0a1b2c3d+4e5f-6789-abcd-ef0123456789",
            "evt-1",
            "",
        ] {
            assert_eq!(uuid_bits(other), None, "{other}");
        }
        let mut seen = ActivityIds::default();
        for id in [uuid, "0A1B2C3D-4E5F-6789-ABCD-EF0123456789", "evt-1", ""] {
            assert!(seen.insert(id), "first {id:?}");
        }
        for id in [uuid, "0A1B2C3D-4E5F-6789-ABCD-EF0123456789", "evt-1", ""] {
            assert!(!seen.insert(id), "repeat {id:?}");
        }
        assert!(seen.insert("0a1b2c3d-4e5f-6789-abcd-ef0123456788"));
    }
}
