//! BloodHound OpenGraph: the organization, with the attack-path edges, as files BloodHound CE
//! ingests on the first upload (`../shared/opengraph/README.md`).
//!
//! Nodes: the organization, environments, populations, users, groups, roles, applications,
//! gateways, one node per privilege (role at a scope) and one "users within a scope" node per
//! scope that a password-reset privilege targets. Edges: memberships and nesting, "has role"
//! from identities and groups to privileges, privilege -> role and -> scope, containment, and the
//! escalation capabilities P1 (reset password, through the scope's users node), P2 (add member)
//! and P3 (assign role). Only edges an attacker can walk are traversable (the extension schema
//! says which), so BloodHound's pathfinding from an actor finds exactly what the escalation
//! export lists. The edge count stays linear in the tenant: one P1 edge per privilege, never one
//! per privilege and user.
//!
//! Output is streamed: nodes and edges are written as they are produced, in chunk files of at
//! most `max_items` nodes and edges when asked (nodes first, so that every edge's endpoints are
//! in the same file or an earlier one), into a temporary directory renamed into place at the end.
//! Memory: the case-insensitive id check (one small string per node) and one chunk's buffer.

use std::io::Write;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashSet;
use serde::ser::{SerializeMap, Serializer};

use crate::model::*;

/// The `metadata.source_kind` of every file, and the prefix of every kind.
pub const SOURCE_KIND: &str = "PingOne";

/// Errors writing the OpenGraph files.
#[derive(Debug, thiserror::Error)]
pub enum OpenGraphError {
    #[error("cannot write `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "node id `{0}` equals another node's id ignoring case; BloodHound upper-cases ids, so one would overwrite the other"
    )]
    CaseCollision(String),
    #[error("`{0}` exists and is not a directory")]
    NotADirectory(PathBuf),
    #[error("cannot write the zip file `{path}`: {message}")]
    Zip { path: PathBuf, message: String },
}

/// Node kinds: (name, display name, description, Font Awesome icon, colour).
pub const NODE_KINDS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "PingOneOrganization",
        "PingOne Organization",
        "A PingOne organization",
        "globe",
        "#b3261e",
    ),
    (
        "PingOneEnvironment",
        "PingOne Environment",
        "A PingOne environment (production, sandbox, ...)",
        "building",
        "#e8710a",
    ),
    (
        "PingOnePopulation",
        "PingOne Population",
        "A population of users in an environment",
        "people-group",
        "#f4b400",
    ),
    (
        "PingOneUser",
        "PingOne User",
        "A PingOne user account",
        "user",
        "#1a73e8",
    ),
    (
        "PingOneGroup",
        "PingOne Group",
        "A PingOne group (static or dynamic)",
        "users",
        "#12b5cb",
    ),
    (
        "PingOneRole",
        "PingOne Role",
        "A built-in or custom administrator role",
        "clipboard-list",
        "#7cb342",
    ),
    (
        "PingOnePrivilege",
        "PingOne Privilege",
        "An administrator role at one scope (organization, environment, population, application or group)",
        "key",
        "#d81b60",
    ),
    (
        "PingOneUserSet",
        "PingOne Users In Scope",
        "The users within a scope: whoever can reset passwords there can take over any of them",
        "user-group",
        "#5e97f6",
    ),
    (
        "PingOneApplication",
        "PingOne Application",
        "An application (worker applications hold administrator roles)",
        "window-maximize",
        "#0f9d58",
    ),
    (
        "PingOneGateway",
        "PingOne Gateway",
        "A PingOne gateway (LDAP, RADIUS, ...)",
        "server",
        "#795548",
    ),
];

/// Edge kinds: (name, description, traversable).
pub const EDGE_KINDS: &[(&str, &str, bool)] = &[
    (
        "PingOneMemberOf",
        "A user is a direct member of a group, or a group is nested in a parent group (its members are the parent's members)",
        true,
    ),
    (
        "PingOneHasRole",
        "An identity or a group holds a privilege (a role assignment at a scope)",
        true,
    ),
    (
        "PingOneResetPassword",
        "The privilege can reset the passwords of the users within a scope (attack-path model P1)",
        true,
    ),
    (
        "PingOneUserInScope",
        "An enabled user within the scope of a users-in-scope node",
        true,
    ),
    (
        "PingOneAddMember",
        "The privilege can add members to the group (attack-path model P2)",
        true,
    ),
    (
        "PingOneAssignRole",
        "The privilege can assign the target privilege (attack-path model P3)",
        true,
    ),
    (
        "PingOneOfRole",
        "A privilege is an assignment of this role",
        false,
    ),
    ("PingOneAtScope", "A privilege applies at this scope", false),
    (
        "PingOneContains",
        "Containment: organization, environment, population and what they hold",
        false,
    ),
];

/// The principal kinds: nodes that can act or be members.
pub const PRINCIPAL_KINDS: &[&str] = &[
    "PingOneUser",
    "PingOneGroup",
    "PingOneApplication",
    "PingOneGateway",
];

pub use crate::graph::attack::Privilege;
pub use crate::graph::attack::edges::AttackEdges;

/// Options of the export.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// At most this many nodes + edges per file (`None`: one file).
    pub max_items: Option<usize>,
    /// Pack the graph files into one `pingone.zip`.
    pub zip: bool,
}

/// What was written.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub nodes: u64,
    pub edges: u64,
    pub files: Vec<PathBuf>,
    pub bytes: u64,
}

/// A property value: never null, never an object.
enum Value<'a> {
    Str(&'a str),
    Owned(String),
    Bool(bool),
    List(Vec<&'a str>),
}

/// The properties of one node, serialized as a JSON object in insertion order.
#[derive(Default)]
struct Props<'a>(Vec<(&'static str, Value<'a>)>);

impl<'a> Props<'a> {
    fn s(mut self, k: &'static str, v: &'a str) -> Self {
        if !v.is_empty() {
            self.0.push((k, Value::Str(v)));
        }
        self
    }
    fn owned(mut self, k: &'static str, v: String) -> Self {
        if !v.is_empty() {
            self.0.push((k, Value::Owned(v)));
        }
        self
    }
    fn b(mut self, k: &'static str, v: bool) -> Self {
        self.0.push((k, Value::Bool(v)));
        self
    }
    fn list(mut self, k: &'static str, v: Vec<&'a str>) -> Self {
        if !v.is_empty() {
            self.0.push((k, Value::List(v)));
        }
        self
    }
}

impl serde::Serialize for Props<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            match v {
                Value::Str(x) => m.serialize_entry(k, x)?,
                Value::Owned(x) => m.serialize_entry(k, x)?,
                Value::Bool(x) => m.serialize_entry(k, x)?,
                Value::List(x) => m.serialize_entry(k, x)?,
            }
        }
        m.end()
    }
}

#[derive(serde::Serialize)]
struct NodeOut<'a> {
    id: &'a str,
    kinds: &'a [&'a str],
    properties: Props<'a>,
}

#[derive(serde::Serialize)]
struct End<'a> {
    value: &'a str,
}

#[derive(serde::Serialize)]
struct EdgeOut<'a> {
    kind: &'a str,
    start: End<'a>,
    end: End<'a>,
    properties: Props<'a>,
}

/// Chunked, streamed file writer.
struct Files {
    dir: PathBuf,
    max: usize,
    single: bool,
    n: usize,
    in_chunk: usize,
    in_section: usize,
    edges_open: bool,
    file: Option<std::io::BufWriter<std::fs::File>>,
    path: PathBuf,
    stats: Stats,
    buf: Vec<u8>,
}

impl Files {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OpenGraphError + '_ {
        move |source| OpenGraphError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    fn open(&mut self) -> Result<(), OpenGraphError> {
        self.n += 1;
        let name = if self.single {
            "pingone.json".to_string()
        } else {
            format!("pingone-{:04}.json", self.n)
        };
        self.path = self.dir.join(name);
        let f = std::fs::File::create(&self.path).map_err(Self::io(&self.path))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        // `metadata` first: the server checks it only there.
        w.write_all(br#"{"metadata":{"source_kind":"PingOne"},"graph":{"nodes":["#)
            .map_err(Self::io(&self.path))?;
        self.file = Some(w);
        self.in_chunk = 0;
        self.in_section = 0;
        self.edges_open = false;
        Ok(())
    }

    fn close(&mut self) -> Result<(), OpenGraphError> {
        if let Some(mut w) = self.file.take() {
            let tail: &[u8] = if self.edges_open {
                b"]}}\n"
            } else {
                b"],\"edges\":[]}}\n"
            };
            w.write_all(tail).map_err(Self::io(&self.path))?;
            w.flush().map_err(Self::io(&self.path))?;
            let f = w.into_inner().map_err(|e| OpenGraphError::Io {
                path: self.path.clone(),
                source: e.into_error(),
            })?;
            self.stats.bytes += f.metadata().map(|m| m.len()).unwrap_or(0);
            self.stats.files.push(self.path.clone());
        }
        Ok(())
    }

    /// Starts an item of `edge` kind, opening a new chunk when the current one is full.
    fn item(&mut self, edge: bool) -> Result<(), OpenGraphError> {
        if self.file.is_some() && !self.single && self.in_chunk >= self.max {
            self.close()?;
        }
        if self.file.is_none() {
            self.open()?;
        }
        if edge && !self.edges_open {
            self.buf.extend_from_slice(b"],\"edges\":[");
            self.edges_open = true;
            self.in_section = 0;
        }
        if self.in_section > 0 {
            self.buf.push(b',');
        }
        self.buf.push(b'\n');
        self.in_chunk += 1;
        self.in_section += 1;
        Ok(())
    }

    fn flush_buf(&mut self) -> Result<(), OpenGraphError> {
        if let Some(w) = self.file.as_mut() {
            w.write_all(&self.buf).map_err(Self::io(&self.path))?;
        }
        self.buf.clear();
        Ok(())
    }

    fn node(&mut self, n: &NodeOut) -> Result<(), OpenGraphError> {
        self.item(false)?;
        // Serializing plain structs of strings and booleans into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.buf, n);
        self.stats.nodes += 1;
        self.flush_buf()
    }

    fn edge(&mut self, e: &EdgeOut) -> Result<(), OpenGraphError> {
        self.item(true)?;
        let _ = serde_json::to_writer(&mut self.buf, e);
        self.stats.edges += 1;
        self.flush_buf()
    }
}

/// The id of a privilege node: `PRIV-<role id>-<SCOPE TYPE>-<scope id>` (no colon).
pub fn privilege_id(t: &Tenant, p: &Privilege) -> String {
    format!(
        "PRIV-{}-{}-{}",
        t.s(p.role_id),
        t.scope_kind_str(p.scope.kind),
        t.s(p.scope.id)
    )
}

/// The id of a users-in-scope node: `USERS-<SCOPE TYPE>-<scope id>`.
pub fn user_set_id(t: &Tenant, s: ScopeRef) -> String {
    format!("USERS-{}-{}", t.scope_kind_str(s.kind), t.s(s.id))
}

/// The node id a scope is drawn as: the target's own node when it is in the snapshot.
fn scope_node_id(t: &Tenant, s: ScopeRef) -> Option<&str> {
    t.scope_is_known(s).then(|| t.s(s.id))
}

/// Writes the extension schema (`pingone-extension.json`) into `dir`.
pub fn write_extension(dir: &Path) -> Result<PathBuf, OpenGraphError> {
    let node_kinds: Vec<serde_json::Value> = NODE_KINDS
        .iter()
        .map(|(name, display, desc, icon, color)| {
            serde_json::json!({"name": name, "display_name": display, "description": desc,
                "is_display_kind": true, "icon": icon, "color": color})
        })
        .collect();
    let rel: Vec<serde_json::Value> = EDGE_KINDS
        .iter()
        .map(|(name, desc, trav)| {
            serde_json::json!({"name": name, "description": desc, "is_traversable": trav})
        })
        .collect();
    let v = serde_json::json!({
        "schema": {
            "name": "P1Graph",
            "display_name": "PingOne (p1graph)",
            "version": format!("v{}", env!("CARGO_PKG_VERSION")),
            "namespace": SOURCE_KIND,
        },
        "node_kinds": node_kinds,
        "relationship_kinds": rel,
        "environments": [{
            "environment_kind": "PingOneOrganization",
            "source_kind": SOURCE_KIND,
            "principal_kinds": PRINCIPAL_KINDS,
        }],
    });
    let path = dir.join("pingone-extension.json");
    let mut bytes = serde_json::to_vec_pretty(&v).map_err(|e| OpenGraphError::Io {
        path: path.clone(),
        source: e.into(),
    })?;
    bytes.push(b'\n');
    std::fs::write(&path, bytes).map_err(Files::io(&path))?;
    Ok(path)
}

/// Writes the graph and the extension schema into `out` (created; its previous `pingone*`
/// files are replaced).
pub fn write(
    t: &Tenant,
    attack: &AttackEdges,
    out: &Path,
    opts: Options,
) -> Result<Stats, OpenGraphError> {
    if out.exists() && !out.is_dir() {
        return Err(OpenGraphError::NotADirectory(out.to_path_buf()));
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (created, _regs) = crate::cleanup::create_dirs(parent).map_err(Files::io(parent))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "opengraph".into());
    let tmp = parent.join(format!(".{name}.p1graph-opengraph-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(Files::io(&tmp))?;
    let _reg = crate::cleanup::temporary(&tmp);
    let result = write_into(t, attack, &tmp, opts).and_then(|stats| {
        std::fs::create_dir_all(out).map_err(Files::io(out))?;
        // Replace the files of an earlier export; leave anything else in `out` alone.
        if let Ok(rd) = std::fs::read_dir(out) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with("pingone") && (n.ends_with(".json") || n.ends_with(".zip")) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let mut moved = Stats {
            files: Vec::new(),
            ..stats.clone()
        };
        for f in &stats.files {
            let dest = out.join(f.file_name().unwrap_or_default());
            std::fs::rename(f, &dest).map_err(Files::io(&dest))?;
            moved.files.push(dest);
        }
        Ok(moved)
    });
    let _ = std::fs::remove_dir_all(&tmp);
    if result.is_err() {
        crate::cleanup::remove_empty_dirs(&created);
    }
    result
}

fn write_into(
    t: &Tenant,
    attack: &AttackEdges,
    dir: &Path,
    opts: Options,
) -> Result<Stats, OpenGraphError> {
    let mut files = Files {
        dir: dir.to_path_buf(),
        max: opts.max_items.unwrap_or(usize::MAX).max(1),
        single: opts.max_items.is_none(),
        n: 0,
        in_chunk: 0,
        in_section: 0,
        edges_open: false,
        file: None,
        path: PathBuf::new(),
        stats: Stats::default(),
        buf: Vec::with_capacity(4096),
    };
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut check = |id: &str| -> Result<(), OpenGraphError> {
        let up = id.to_uppercase();
        if !seen.insert(up) {
            return Err(OpenGraphError::CaseCollision(id.to_string()));
        }
        Ok(())
    };
    let none = Props::default;

    // ---- nodes
    let org_id = t.s(t.organization.id);
    let org_node = (!org_id.is_empty()).then_some(org_id);
    if let Some(id) = org_node {
        check(id)?;
        files.node(&NodeOut {
            id,
            kinds: &["PingOneOrganization"],
            properties: none().s("name", t.s(t.organization.name)),
        })?;
    }
    for e in &t.environments {
        let id = t.s(e.id);
        check(id)?;
        files.node(&NodeOut {
            id,
            kinds: &["PingOneEnvironment"],
            properties: none()
                .s("name", t.s(e.name))
                .s("type", t.s(e.kind))
                .s("region", t.s(e.region)),
        })?;
    }
    for p in &t.populations {
        let id = t.s(p.id);
        check(id)?;
        files.node(&NodeOut {
            id,
            kinds: &["PingOnePopulation"],
            properties: none()
                .s("name", t.s(p.name))
                .s("environment_id", t.s(t.environments[p.env.idx()].id))
                .b("default", p.default),
        })?;
    }
    for u in &t.users {
        let id = t.s(u.id);
        check(id)?;
        let mut props = none()
            .s("name", t.s(u.username))
            .s("display_name", t.s(u.display_name))
            .b("enabled", u.enabled)
            .b("locked", u.locked)
            .b("active", u.is_active())
            .s("environment_id", t.s(t.environments[u.env.idx()].id))
            .s("population_id", t.s(u.population))
            .s("identity_provider", t.s(u.identity_provider));
        if let Some(m) = u.mfa_enabled {
            props = props.b("mfa_enabled", m);
        }
        if let Some(ts) = u.last_sign_on {
            props = props.owned("last_sign_on", ts.to_rfc3339());
        }
        files.node(&NodeOut {
            id,
            kinds: &["PingOneUser"],
            properties: props,
        })?;
    }
    for g in &t.groups {
        let id = t.s(g.id);
        check(id)?;
        files.node(&NodeOut {
            id,
            kinds: &["PingOneGroup"],
            properties: none()
                .s("name", t.s(g.name))
                .s("environment_id", t.s(t.environments[g.env.idx()].id))
                .s("population_id", t.s(g.population))
                .b("dynamic", !g.user_filter.is_empty())
                .s("user_filter", t.s(g.user_filter)),
        })?;
    }
    for r in &t.roles {
        let id = t.s(r.id);
        check(id)?;
        files.node(&NodeOut {
            id,
            kinds: &["PingOneRole"],
            properties: none()
                .s("name", t.s(r.name))
                .b("builtin", r.builtin)
                .b("read_only", r.read_only)
                .list(
                    "permissions",
                    r.permissions.iter().map(|&p| t.s(p)).collect(),
                )
                .list(
                    "applicable_to",
                    r.applicable_to.iter().map(|&p| t.s(p)).collect(),
                ),
        })?;
    }
    for a in &t.applications {
        let id = t.s(a.id);
        check(id)?;
        files.node(&NodeOut {
            id,
            kinds: &["PingOneApplication"],
            properties: none()
                .s("name", t.s(a.name))
                .s("type", t.s(a.kind))
                .s("protocol", t.s(a.protocol))
                .b("enabled", a.enabled)
                .s("environment_id", t.s(t.environments[a.env.idx()].id)),
        })?;
    }
    for g in &t.gateways {
        let id = t.s(g.id);
        check(id)?;
        files.node(&NodeOut {
            id,
            kinds: &["PingOneGateway"],
            properties: none()
                .s("name", t.s(g.name))
                .s("type", t.s(g.kind))
                .b("enabled", g.enabled)
                .s("environment_id", t.s(t.environments[g.env.idx()].id)),
        })?;
    }
    let priv_ids: Vec<String> = attack
        .privileges
        .iter()
        .map(|p| privilege_id(t, p))
        .collect();
    for (p, id) in attack.privileges.iter().zip(&priv_ids) {
        check(id)?;
        let role_name = p.role.map_or("", |r| t.s(t.roles[r.idx()].name));
        let shown = if role_name.is_empty() {
            t.s(p.role_id)
        } else {
            role_name
        };
        files.node(&NodeOut {
            id,
            kinds: &["PingOnePrivilege"],
            properties: none()
                .owned(
                    "name",
                    format!(
                        "{shown} @ {}:{}",
                        t.scope_kind_str(p.scope.kind),
                        t.scope_name(p.scope)
                    ),
                )
                .s("role_id", t.s(p.role_id))
                .s("role_name", role_name)
                .s("scope_type", t.scope_kind_str(p.scope.kind))
                .s("scope_id", t.s(p.scope.id))
                .s("scope_name", t.scope_target_name(p.scope).unwrap_or("")),
        })?;
    }
    let set_ids: Vec<String> = attack
        .users_within
        .iter()
        .map(|(s, _)| user_set_id(t, *s))
        .collect();
    for ((s, _), id) in attack.users_within.iter().zip(&set_ids) {
        check(id)?;
        files.node(&NodeOut {
            id,
            kinds: &["PingOneUserSet"],
            properties: none()
                .owned(
                    "name",
                    format!(
                        "users within {}:{}",
                        t.scope_kind_str(s.kind),
                        t.scope_name(*s)
                    ),
                )
                .s("scope_type", t.scope_kind_str(s.kind))
                .s("scope_id", t.s(s.id)),
        })?;
    }

    // ---- edges
    let mut edge = |kind: &str, start: &str, end: &str| {
        files.edge(&EdgeOut {
            kind,
            start: End { value: start },
            end: End { value: end },
            properties: Props::default(),
        })
    };
    // containment (not traversable)
    for e in &t.environments {
        if let Some(org) = org_node {
            edge("PingOneContains", org, t.s(e.id))?;
        }
    }
    for p in &t.populations {
        edge(
            "PingOneContains",
            t.s(t.environments[p.env.idx()].id),
            t.s(p.id),
        )?;
    }
    for u in &t.users {
        let parent = t
            .index
            .pop
            .get(&u.population)
            .map_or(t.s(t.environments[u.env.idx()].id), |p| {
                t.s(t.populations[p.idx()].id)
            });
        edge("PingOneContains", parent, t.s(u.id))?;
    }
    for g in &t.groups {
        let parent = t
            .index
            .pop
            .get(&g.population)
            .map_or(t.s(t.environments[g.env.idx()].id), |p| {
                t.s(t.populations[p.idx()].id)
            });
        edge("PingOneContains", parent, t.s(g.id))?;
    }
    for a in &t.applications {
        edge(
            "PingOneContains",
            t.s(t.environments[a.env.idx()].id),
            t.s(a.id),
        )?;
    }
    for g in &t.gateways {
        edge(
            "PingOneContains",
            t.s(t.environments[g.env.idx()].id),
            t.s(g.id),
        )?;
    }
    // memberships and nesting (traversable)
    for m in &t.memberships {
        edge(
            "PingOneMemberOf",
            t.s(t.users[m.user.idx()].id),
            t.s(t.groups[m.group.idx()].id),
        )?;
    }
    for n in &t.nestings {
        edge(
            "PingOneMemberOf",
            t.s(t.groups[n.child.idx()].id),
            t.s(t.groups[n.parent.idx()].id),
        )?;
    }
    // privileges: role and scope (not traversable)
    let priv_index: rustc_hash::FxHashMap<Privilege, u32> = attack
        .privileges
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, i as u32))
        .collect();
    for (p, id) in attack.privileges.iter().zip(&priv_ids) {
        if p.role.is_some() {
            edge("PingOneOfRole", id, t.s(p.role_id))?;
        }
        if let Some(s) = scope_node_id(t, p.scope)
            && (p.scope.kind != ScopeKind::Organization || org_node.is_some())
        {
            edge("PingOneAtScope", id, s)?;
        }
    }
    // holds: the subject of every assignment in the snapshot -> its privilege (traversable)
    let mut held: Vec<(&str, u32)> = Vec::new();
    for a in &t.assignments {
        let subject_known = match a.subject.kind {
            SubjectKind::User => t.index.user.contains_key(&a.subject.id),
            SubjectKind::Group => t.index.group.contains_key(&a.subject.id),
            SubjectKind::Application => t.index.app.contains_key(&a.subject.id),
            SubjectKind::Gateway => t.index.gateway.contains_key(&a.subject.id),
        };
        let key = Privilege {
            role_id: a.role_id,
            role: a.role,
            scope: a.scope,
        };
        if let (true, Some(&i)) = (subject_known, priv_index.get(&key)) {
            held.push((t.s(a.subject.id), i));
        }
    }
    held.sort_unstable();
    held.dedup();
    for (subject, i) in held {
        edge("PingOneHasRole", subject, &priv_ids[i as usize])?;
    }
    // escalation capabilities (traversable)
    let set_index: rustc_hash::FxHashMap<ScopeRef, usize> = attack
        .users_within
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (*s, i))
        .collect();
    for &(p, s) in &attack.reset_password {
        if let Some(&k) = set_index.get(&s) {
            edge("PingOneResetPassword", &priv_ids[p as usize], &set_ids[k])?;
        }
    }
    for ((_, users), set) in attack.users_within.iter().zip(&set_ids) {
        for u in users {
            edge("PingOneUserInScope", set, t.s(t.users[u.idx()].id))?;
        }
    }
    for &(p, g) in &attack.add_member {
        edge(
            "PingOneAddMember",
            &priv_ids[p as usize],
            t.s(t.groups[g.idx()].id),
        )?;
    }
    for &(p, q) in &attack.assign_role {
        edge(
            "PingOneAssignRole",
            &priv_ids[p as usize],
            &priv_ids[q as usize],
        )?;
    }
    files.close()?;
    let mut stats = files.stats;
    write_extension(dir).map(|p| stats.files.push(p))?;
    if opts.zip {
        stats = zip_graph(dir, stats)?;
    }
    Ok(stats)
}

/// Packs the graph files into `pingone.zip` (the extension schema stays beside it: it is
/// registered, not uploaded).
fn zip_graph(dir: &Path, stats: Stats) -> Result<Stats, OpenGraphError> {
    let path = dir.join("pingone.zip");
    let zerr = |e: zip::result::ZipError| OpenGraphError::Zip {
        path: path.clone(),
        message: e.to_string(),
    };
    let f = std::fs::File::create(&path).map_err(Files::io(&path))?;
    let mut z = zip::ZipWriter::new(std::io::BufWriter::new(f));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let mut files = Vec::new();
    for f in &stats.files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name == "pingone-extension.json" {
            files.push(f.clone());
            continue;
        }
        z.start_file(name.as_str(), options).map_err(zerr)?;
        let mut src = std::fs::File::open(f).map_err(Files::io(f))?;
        std::io::copy(&mut src, &mut z).map_err(Files::io(&path))?;
        std::fs::remove_file(f).map_err(Files::io(f))?;
    }
    let w = z.finish().map_err(zerr)?;
    let inner = w.into_inner().map_err(|e| OpenGraphError::Io {
        path: path.clone(),
        source: e.into_error(),
    })?;
    let bytes = inner.metadata().map(|m| m.len()).unwrap_or(0);
    files.insert(0, path.clone());
    Ok(Stats {
        files,
        bytes,
        ..stats
    })
}
