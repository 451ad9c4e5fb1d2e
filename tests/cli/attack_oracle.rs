//! The attack-path engine against a deliberately naive reference written from the contract text
//! (`attack-paths.md`) only, not from the engine: every entity becomes plain strings, every
//! capability becomes explicit edges, and the least steps come from a 0-1 breadth-first search
//! per set of held privileges. Clarity over speed.
//!
//! Two kinds of tests:
//! * the reference against the hand-derived `fixtures/attack/*/expected.csv` (this validates the
//!   reference itself);
//! * the `p1graph escalation --format csv` output against the reference, on those fixtures, the
//!   demo tenant and synthetic tenants of several sizes, seeds and profiles (key columns and
//!   `steps`).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use p1graph::export::read_export;
use p1graph::model::{ScopeKind, SubjectKind, Tenant};
use p1graph::synth::{SynthOptions, SynthProfile, generate};

// ---------------------------------------------------------------------------------------------
// The snapshot as plain strings.

/// A scope: (type, id), e.g. ("ENVIRONMENT", "e-prod").
type Scope = (String, String);
/// A privilege: (role id, scope type, scope id).
type Priv = (String, String, String);

struct RoleInfo {
    name: String,
    builtin: bool,
    permissions: Vec<String>,
    applicable_to: Vec<String>,
    can_be_assigned_by: Vec<String>,
}

struct UserInfo {
    id: String,
    env: String,
    population: String,
    /// Enabled and not LOCKED.
    active: bool,
}

struct GroupInfo {
    id: String,
    env: String,
    /// Empty for an environment group.
    population: String,
}

/// One organization, from the export, with nothing derived except the closure helpers below.
struct World {
    /// Environment id -> its organization id (the snapshot's organization when absent).
    envs: BTreeMap<String, String>,
    /// Organization ids in the snapshot.
    orgs: BTreeSet<String>,
    /// Population id -> environment id.
    pops: BTreeMap<String, String>,
    users: Vec<UserInfo>,
    groups: Vec<GroupInfo>,
    group_index: HashMap<String, usize>,
    /// Application id -> (environment id, enabled).
    apps: BTreeMap<String, (String, bool)>,
    /// Gateway id -> enabled.
    gateways: BTreeMap<String, bool>,
    roles: HashMap<String, RoleInfo>,
    /// User index -> the groups it is a direct member of (group indexes).
    direct: Vec<Vec<usize>>,
    /// Group index -> its parent groups.
    parents: Vec<Vec<usize>>,
    /// (subject type, subject id) -> the privileges of its own role assignments.
    assigned: HashMap<(String, String), BTreeSet<Priv>>,
}

fn world(t: &Tenant) -> World {
    let s = |x| t.s(x).to_string();
    let org = s(t.organization.id);
    let mut envs = BTreeMap::new();
    let mut orgs = BTreeSet::new();
    if !org.is_empty() {
        orgs.insert(org.clone());
    }
    for e in &t.environments {
        let o = if t.s(e.organization).is_empty() {
            org.clone()
        } else {
            s(e.organization)
        };
        if !o.is_empty() {
            orgs.insert(o.clone());
        }
        envs.insert(s(e.id), o);
    }
    let env_id = |e: p1graph::model::EnvId| s(t.environments[e.idx()].id);
    let pops = t
        .populations
        .iter()
        .map(|p| (s(p.id), env_id(p.env)))
        .collect();
    let users: Vec<UserInfo> = t
        .users
        .iter()
        .map(|u| UserInfo {
            id: s(u.id),
            env: env_id(u.env),
            population: s(u.population),
            active: u.enabled && !u.locked,
        })
        .collect();
    let groups: Vec<GroupInfo> = t
        .groups
        .iter()
        .map(|g| GroupInfo {
            id: s(g.id),
            env: env_id(g.env),
            population: s(g.population),
        })
        .collect();
    let group_index = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.clone(), i))
        .collect();
    let apps = t
        .applications
        .iter()
        .map(|a| (s(a.id), (env_id(a.env), a.enabled)))
        .collect::<BTreeMap<_, _>>();
    let gateways = t
        .gateways
        .iter()
        .map(|g| (s(g.id), g.enabled))
        .collect::<BTreeMap<_, _>>();
    let roles = t
        .roles
        .iter()
        .map(|r| {
            (
                s(r.id),
                RoleInfo {
                    name: s(r.name),
                    builtin: r.builtin,
                    permissions: r.permissions.iter().map(|&p| s(p)).collect(),
                    applicable_to: r.applicable_to.iter().map(|&p| s(p)).collect(),
                    can_be_assigned_by: r.can_be_assigned_by.iter().map(|&p| s(p)).collect(),
                },
            )
        })
        .collect();
    let mut direct = vec![Vec::new(); users.len()];
    for m in &t.memberships {
        direct[m.user.idx()].push(m.group.idx());
    }
    let mut parents = vec![Vec::new(); groups.len()];
    for n in &t.nestings {
        parents[n.child.idx()].push(n.parent.idx());
    }
    let user_ids: BTreeSet<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let mut assigned: HashMap<(String, String), BTreeSet<Priv>> = HashMap::new();
    for a in &t.assignments {
        let sid = s(a.subject.id);
        // M3: an assignment whose subject is not in the snapshot gives nothing.
        let present = match a.subject.kind {
            SubjectKind::User => user_ids.contains(sid.as_str()),
            SubjectKind::Group => groups.iter().any(|g| g.id == sid),
            SubjectKind::Application => apps.contains_key(&sid),
            SubjectKind::Gateway => gateways.contains_key(&sid),
        };
        if !present {
            continue;
        }
        let scope_type = match a.scope.kind {
            ScopeKind::Organization => "ORGANIZATION".to_string(),
            ScopeKind::Environment => "ENVIRONMENT".to_string(),
            ScopeKind::Population => "POPULATION".to_string(),
            ScopeKind::Application => "APPLICATION".to_string(),
            ScopeKind::Group => "GROUP".to_string(),
            ScopeKind::Unknown(raw) => s(raw),
        };
        assigned
            .entry((a.subject.kind.as_str().to_string(), sid))
            .or_default()
            .insert((s(a.role_id), scope_type, s(a.scope.id)));
    }
    World {
        envs,
        orgs,
        pops,
        users,
        groups,
        group_index,
        apps,
        gateways,
        roles,
        direct,
        parents,
        assigned,
    }
}

const TABLE: &[(&str, &[&str])] = &[
    ("Organization Admin", &["Environment Admin"]),
    (
        "Identity Data Admin",
        &[
            "Identity Data Admin",
            "Identity Data Read Only",
            "Help Desk Admin",
        ],
    ),
    (
        "DaVinci Admin",
        &["DaVinci Admin", "DaVinci Admin Read Only"],
    ),
    (
        "Advanced Identity Cloud Super Admin",
        &[
            "Advanced Identity Cloud Super Admin",
            "Advanced Identity Cloud Tenant Admin",
        ],
    ),
];

impl World {
    /// Is the target of this scope in the snapshot?
    fn known(&self, s: &Scope) -> bool {
        match s.0.as_str() {
            "ORGANIZATION" => self.orgs.contains(&s.1),
            "ENVIRONMENT" => self.envs.contains_key(&s.1),
            "POPULATION" => self.pops.contains_key(&s.1),
            "GROUP" => self.group_index.contains_key(&s.1),
            "APPLICATION" => self.apps.contains_key(&s.1),
            _ => false,
        }
    }

    /// The environment a known environment, population, group or application lives in.
    fn env_of(&self, s: &Scope) -> Option<&String> {
        match s.0.as_str() {
            "ENVIRONMENT" => self.envs.get_key_value(&s.1).map(|(k, _)| k),
            "POPULATION" => self.pops.get(&s.1),
            "GROUP" => self.group_index.get(&s.1).map(|&g| &self.groups[g].env),
            "APPLICATION" => self.apps.get(&s.1).map(|(e, _)| e),
            _ => None,
        }
    }

    /// Section 1 "Contains". A scope missing from the snapshot, or of an unknown type, contains
    /// only itself and is contained only in itself.
    fn contains(&self, outer: &Scope, inner: &Scope) -> bool {
        if outer == inner {
            return true;
        }
        if !self.known(outer) || !self.known(inner) {
            return false;
        }
        match outer.0.as_str() {
            "ORGANIZATION" => self
                .env_of(inner)
                .is_some_and(|e| self.envs.get(e) == Some(&outer.1)),
            "ENVIRONMENT" => {
                inner.0 != "ENVIRONMENT" && self.env_of(inner).is_some_and(|e| *e == outer.1)
            }
            "POPULATION" => {
                inner.0 == "GROUP" && self.groups[self.group_index[&inner.1]].population == outer.1
            }
            _ => false,
        }
    }

    /// M1: the groups of a user (direct and every ancestor).
    fn closure(&self, start: impl IntoIterator<Item = usize>) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<usize> = start.into_iter().collect();
        while let Some(g) = todo.pop() {
            if seen.insert(g) {
                todo.extend(self.parents[g].iter().copied());
            }
        }
        seen
    }

    /// Section 1 "Users within a scope" (user indexes).
    fn users_within(&self, s: &Scope) -> Vec<usize> {
        if !self.known(s) {
            return Vec::new();
        }
        (0..self.users.len())
            .filter(|&u| {
                let user = &self.users[u];
                match s.0.as_str() {
                    "ORGANIZATION" => self.envs.get(&user.env) == Some(&s.1),
                    "ENVIRONMENT" => user.env == s.1,
                    "POPULATION" => user.population == s.1,
                    "GROUP" => self
                        .closure(self.direct[u].iter().copied())
                        .contains(&self.group_index[&s.1]),
                    _ => false,
                }
            })
            .collect()
    }

    /// Privileges an identity holds (M2, M3).
    fn held(&self, kind: &str, id: &str, user: Option<usize>) -> BTreeSet<Priv> {
        let mut out = self
            .assigned
            .get(&(kind.to_string(), id.to_string()))
            .cloned()
            .unwrap_or_default();
        if let Some(u) = user {
            for g in self.closure(self.direct[u].iter().copied()) {
                out.extend(self.group_privileges_own(g));
            }
        }
        out
    }

    fn group_privileges_own(&self, g: usize) -> BTreeSet<Priv> {
        self.assigned
            .get(&("GROUP".to_string(), self.groups[g].id.clone()))
            .cloned()
            .unwrap_or_default()
    }

    /// P2's effect: what a member obtains through group `g` (its and its ancestors' roles).
    fn grants(&self, g: usize) -> BTreeSet<Priv> {
        self.closure([g])
            .into_iter()
            .flat_map(|a| self.group_privileges_own(a))
            .collect()
    }

    fn perms(&self, role: &str) -> &[String] {
        self.roles
            .get(role)
            .map_or(&[][..], |r| r.permissions.as_slice())
    }

    /// P3's `assignable(R)` (role ids).
    fn assignable(&self, role: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(r) = self.roles.get(role).filter(|r| r.builtin) {
            let names: Vec<&str> = if r.name == "Environment Admin" {
                self.roles
                    .values()
                    .filter(|x| x.builtin && x.name != "Organization Admin")
                    .map(|x| x.name.as_str())
                    .collect()
            } else {
                TABLE
                    .iter()
                    .find(|(n, _)| *n == r.name)
                    .map_or(Vec::new(), |(_, t)| t.to_vec())
            };
            for (id, x) in &self.roles {
                if x.builtin && names.contains(&x.name.as_str()) {
                    out.push(id.clone());
                }
            }
        }
        for (id, x) in &self.roles {
            if !x.builtin && x.can_be_assigned_by.iter().any(|a| a == role) {
                out.push(id.clone());
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// S and every environment, population, group and application it contains, that are in the
    /// snapshot.
    fn scopes_inside(&self, s: &Scope) -> Vec<Scope> {
        let mut all: Vec<Scope> = Vec::new();
        all.extend(self.envs.keys().map(|e| ("ENVIRONMENT".into(), e.clone())));
        all.extend(self.pops.keys().map(|p| ("POPULATION".into(), p.clone())));
        all.extend(self.groups.iter().map(|g| ("GROUP".into(), g.id.clone())));
        all.extend(self.apps.keys().map(|a| ("APPLICATION".into(), a.clone())));
        let mut out: Vec<Scope> = vec![s.clone()];
        out.extend(all.into_iter().filter(|x| x != s && self.contains(s, x)));
        out.retain(|x| self.known(x));
        out
    }

    /// P3's targets for R2 inside S: the maximal applicable scopes.
    fn maximal(&self, r2: &str, s: &Scope) -> Vec<Scope> {
        let applicable: &[String] = self
            .roles
            .get(r2)
            .map_or(&[][..], |r| r.applicable_to.as_slice());
        let kept: Vec<Scope> = self
            .scopes_inside(s)
            .into_iter()
            .filter(|x| applicable.is_empty() || applicable.contains(&x.0))
            .collect();
        kept.iter()
            .filter(|x| !kept.iter().any(|o| o != *x && self.contains(o, x)))
            .cloned()
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The attack graph (section 3) and the export rows (section 4).

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Node {
    User(usize),
    Group(usize),
    Priv(Priv),
}

/// Edges out of a node, with their cost, built on demand and remembered.
struct Graph<'w> {
    w: &'w World,
    edges: HashMap<Node, Vec<(Node, u32)>>,
}

impl<'w> Graph<'w> {
    fn out(&mut self, n: &Node) -> Vec<(Node, u32)> {
        if let Some(e) = self.edges.get(n) {
            return e.clone();
        }
        let w = self.w;
        let mut e: Vec<(Node, u32)> = Vec::new();
        match n {
            Node::User(u) => {
                let user = &w.users[*u];
                for p in w.held("USER", &user.id, Some(*u)) {
                    e.push((Node::Priv(p), 0));
                }
            }
            Node::Group(g) => {
                for p in w.grants(*g) {
                    e.push((Node::Priv(p), 0));
                }
            }
            Node::Priv((role, st, sid)) => {
                let scope: Scope = (st.clone(), sid.clone());
                let perms = w.perms(role);
                // P1
                if perms
                    .iter()
                    .any(|p| p == "dir:reset:userPassword" || p == "dir:set:userPassword")
                {
                    for u in w.users_within(&scope) {
                        if w.users[u].active {
                            e.push((Node::User(u), 1));
                        }
                    }
                }
                // P2
                if perms.iter().any(|p| p == "dir:create:groupMembership")
                    && ["ORGANIZATION", "ENVIRONMENT", "POPULATION"].contains(&st.as_str())
                    && w.known(&scope)
                {
                    for (g, group) in w.groups.iter().enumerate() {
                        if w.contains(&scope, &("GROUP".into(), group.id.clone())) {
                            e.push((Node::Group(g), 1));
                        }
                    }
                }
                // P3
                for r2 in w.assignable(role) {
                    for (t, i) in w.maximal(&r2, &scope) {
                        e.push((Node::Priv((r2.clone(), t, i)), 1));
                    }
                }
            }
        }
        self.edges.insert(n.clone(), e.clone());
        e
    }

    /// 0-1 BFS from the held privileges: least steps of every reachable privilege.
    fn obtain(&mut self, held: &BTreeSet<Priv>) -> BTreeMap<Priv, u32> {
        let mut dist: HashMap<Node, u32> = HashMap::new();
        let mut queue: VecDeque<(Node, u32)> = VecDeque::new();
        for p in held {
            dist.insert(Node::Priv(p.clone()), 0);
            queue.push_back((Node::Priv(p.clone()), 0));
        }
        while let Some((n, d)) = queue.pop_front() {
            if dist.get(&n).is_some_and(|&best| best < d) {
                continue;
            }
            for (m, c) in self.out(&n) {
                let nd = d + c;
                if dist.get(&m).is_none_or(|&best| nd < best) {
                    dist.insert(m.clone(), nd);
                    if c == 0 {
                        queue.push_front((m, nd));
                    } else {
                        queue.push_back((m, nd));
                    }
                }
            }
        }
        dist.into_iter()
            .filter_map(|(n, d)| match n {
                Node::Priv(p) => Some((p, d)),
                _ => None,
            })
            .collect()
    }
}

/// One expected row: `identity_type,identity_id,role_id,scope_type,scope_id,steps`.
type Row = (String, String, String, String, String, u32);

/// The escalation rows of an export, by the contract, in section 4's order.
fn oracle(dir: &Path) -> Vec<Row> {
    let t = read_export(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let w = world(&t);
    // Actors (section 1), with what they hold.
    let mut actors: Vec<(String, String, BTreeSet<Priv>)> = Vec::new();
    for (u, user) in w.users.iter().enumerate() {
        if user.active {
            actors.push((
                "USER".into(),
                user.id.clone(),
                w.held("USER", &user.id, Some(u)),
            ));
        }
    }
    for (a, (_, enabled)) in &w.apps {
        if *enabled {
            actors.push((
                "APPLICATION".into(),
                a.clone(),
                w.held("APPLICATION", a, None),
            ));
        }
    }
    for (g, enabled) in &w.gateways {
        if *enabled {
            actors.push(("GATEWAY".into(), g.clone(), w.held("GATEWAY", g, None)));
        }
    }
    let mut graph = Graph {
        w: &w,
        edges: HashMap::new(),
    };
    // Actors with the same held privileges obtain the same: search once per distinct set.
    let mut cache: HashMap<BTreeSet<Priv>, Vec<(Priv, u32)>> = HashMap::new();
    let mut rows: Vec<Row> = Vec::new();
    for (kind, id, held) in actors {
        if held.is_empty() {
            continue;
        }
        if !cache.contains_key(&held) {
            let obtained = graph.obtain(&held);
            let gained: Vec<(Priv, u32)> = obtained
                .iter()
                .filter(|(p, _)| !held.contains(*p))
                .filter(|(p, _)| {
                    !obtained.keys().any(|q| {
                        q != *p
                            && q.0 == p.0
                            && w.contains(&(q.1.clone(), q.2.clone()), &(p.1.clone(), p.2.clone()))
                    })
                })
                .map(|(p, d)| (p.clone(), *d))
                .collect();
            cache.insert(held.clone(), gained);
        }
        for ((r, st, sid), d) in &cache[&held] {
            rows.push((
                kind.clone(),
                id.clone(),
                r.clone(),
                st.clone(),
                sid.clone(),
                *d,
            ));
        }
    }
    rows.sort_by(|a, b| {
        (
            a.0.as_bytes(),
            a.1.as_bytes(),
            a.2.as_bytes(),
            a.3.as_bytes(),
            a.4.as_bytes(),
        )
            .cmp(&(
                b.0.as_bytes(),
                b.1.as_bytes(),
                b.2.as_bytes(),
                b.3.as_bytes(),
                b.4.as_bytes(),
            ))
    });
    rows
}

fn fmt_rows(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .map(|r| format!("{},{},{},{},{},{}", r.0, r.1, r.2, r.3, r.4, r.5))
        .collect()
}

/// A readable difference of two row lists (at most 40 lines).
fn diff(expected: &[String], actual: &[String]) -> String {
    let e: BTreeSet<&String> = expected.iter().collect();
    let a: BTreeSet<&String> = actual.iter().collect();
    let mut out: Vec<String> = Vec::new();
    out.extend(e.difference(&a).map(|r| format!("- {r}")));
    out.extend(a.difference(&e).map(|r| format!("+ {r}")));
    let n = out.len();
    out.truncate(40);
    format!(
        "{n} differing rows (- expected only, + actual only):\n{}",
        out.join("\n")
    )
}

// ---------------------------------------------------------------------------------------------
// Inputs.

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn attack_cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/attack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.csv").is_file())
        .collect();
    v.sort();
    assert!(v.len() >= 8, "attack fixtures missing: {v:?}");
    v
}

fn expected_rows(case: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(case.join("expected.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("identity_type,identity_id,role_id,scope_type,scope_id,steps")
    );
    lines.map(str::to_string).collect()
}

fn synth(users: u64, seed: u64, profile: SynthProfile) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("export");
    let opts = SynthOptions {
        users,
        seed,
        profile,
        activities_per_user_week: 0.1,
        ..SynthOptions::default()
    };
    generate(&opts, &out, &|_, _, _| {}).unwrap();
    (dir, out)
}

/// `p1graph escalation --format csv` rows, reduced to the key columns and `steps`.
fn cli_rows(input: &Path) -> Vec<String> {
    let out = Command::cargo_bin("p1graph")
        .unwrap()
        .env("COLUMNS", "120")
        .args(["escalation", "-q", "--input"])
        .arg(input)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "escalation failed on {}: {}",
        input.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(out.stdout.as_slice());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(
        header.join(","),
        "identity_type,identity_id,identity_name,environment_id,role_id,role_name,scope_type,scope_id,scope_name,steps,path"
    );
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        assert!(!rec[10].is_empty(), "row without a path: {rec:?}");
        rows.push(format!(
            "{},{},{},{},{},{}",
            &rec[0], &rec[1], &rec[4], &rec[6], &rec[7], &rec[9]
        ));
    }
    rows
}

/// The CLI's rows equal the reference's, in the same order.
fn check_cli(input: &Path) {
    let expected = fmt_rows(&oracle(input));
    let actual = cli_rows(input);
    assert!(
        expected == actual,
        "{}: {}",
        input.display(),
        if diff(&expected, &actual).starts_with("0 ") {
            "same rows, different order".to_string()
        } else {
            diff(&expected, &actual)
        }
    );
}

// ---------------------------------------------------------------------------------------------
// (a) The reference against the hand-derived fixtures.

#[test]
fn attack_oracle_reproduces_every_hand_derived_fixture() {
    let mut failures = Vec::new();
    for case in attack_cases() {
        let expected = expected_rows(&case);
        let actual = fmt_rows(&oracle(&case));
        if expected != actual {
            failures.push(format!("{}: {}", case.display(), diff(&expected, &actual)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn attack_oracle_finds_the_demo_story() {
    let rows = fmt_rows(&oracle(&root().join("fixtures/demo")));
    for (story, steps) in DEMO_STORY {
        let hit = rows.iter().find(|r| r.starts_with(&format!("{story},")));
        assert_eq!(
            hit.map(|r| r.rsplit(',').next().unwrap()),
            Some(*steps),
            "{story}"
        );
    }
    for absent in DEMO_NOT_GAINED {
        assert!(
            !rows.iter().any(|r| r.starts_with(&format!("{absent},"))),
            "{absent}"
        );
    }
    // Every row of tariq, as CASES.md lists them.
    let tariq: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.starts_with("USER,20a8d24a-1118-5359-a61d-6209dc860086,"))
        .cloned()
        .collect();
    let expected: BTreeSet<String> = DEMO_TARIQ
        .iter()
        .map(|(rest, steps)| format!("USER,20a8d24a-1118-5359-a61d-6209dc860086,{rest},{steps}"))
        .collect();
    assert_eq!(tariq, expected);
}

/// The demo's escalation story (fixtures/demo/CASES.md, "Escalation"): actor, role, scope
/// (ids) and the least steps, derived by hand.
const DEMO_STORY: &[(&str, &str)] = &[
    // marta (Access Coordinator @ POPULATION Service Desk): joins Sandbox Operators ->
    // Environment Admin @ ENVIRONMENT Sandbox (1); its Identity Data Admin @ Sandbox (2)
    // assigns Access Coordinator @ POPULATION Sandbox Users (3).
    (
        "USER,83a35990-0bfc-5fa0-b1d1-5963f7d0d4fe,4ee28634-9ee9-54af-801d-ee14a10b3575,ENVIRONMENT,0264e7e7-5ac8-5ac5-87df-603dc385a343",
        "1",
    ),
    (
        "USER,83a35990-0bfc-5fa0-b1d1-5963f7d0d4fe,bb063197-530b-5afa-81d9-09b311c4a933,POPULATION,1a3979fe-38b7-54d0-959e-88448c450883",
        "3",
    ),
    // mei (Identity Data Admin @ ENVIRONMENT Prod via Identity Team): Access Coordinator lists
    // Identity Data Admin in canBeAssignedBy: at the populations of Prod, 1 step.
    (
        "USER,a784d156-638e-5752-8750-8a00c39d1dfb,bb063197-530b-5afa-81d9-09b311c4a933,POPULATION,44480924-7561-5d8f-bd3c-7e3041c6157f",
        "1",
    ),
    (
        "USER,a784d156-638e-5752-8750-8a00c39d1dfb,bb063197-530b-5afa-81d9-09b311c4a933,POPULATION,1d93fca5-aeee-5a18-bfd0-142641d78b50",
        "1",
    ),
    // kwame (Environment Admin @ ENVIRONMENT Prod): the table never yields a custom role; he
    // assigns Identity Data Admin @ Prod (1), which assigns Access Coordinator (2).
    (
        "USER,132fed24-263f-5966-872f-b99adbf2758e,bb063197-530b-5afa-81d9-09b311c4a933,POPULATION,44480924-7561-5d8f-bd3c-7e3041c6157f",
        "2",
    ),
    // wei (DaVinci Admin @ ENVIRONMENT Prod): DaVinci Admin Read Only @ Prod (1).
    (
        "USER,79b91805-f284-5667-92bf-d8b1f852ba04,3f63ac40-519a-5748-9b64-3f82d2efc2e1,ENVIRONMENT,409b05a7-ecd9-567d-a431-435d62902eb4",
        "1",
    ),
];

/// Privileges the story's actors do not gain (near misses).
const DEMO_NOT_GAINED: &[&str] = &[
    // tariq: Custom Roles Admin is applicable at ORGANIZATION only, nothing inside Sandbox.
    "USER,20a8d24a-1118-5359-a61d-6209dc860086,153d7bee-93e4-59b4-a423-00f8683e9ce5",
    // tariq: Organization Admin (ana, in population Administrators, not Service Desk).
    "USER,20a8d24a-1118-5359-a61d-6209dc860086,91540fae-ac9b-53c2-ba06-e4bfaf8dd438",
    // wei: DaVinci Admin's row names no custom role.
    "USER,79b91805-f284-5667-92bf-d8b1f852ba04,bb063197-530b-5afa-81d9-09b311c4a933",
];

/// tariq (Help Desk Admin @ POPULATION Service Desk): (role, scope type, scope id), steps.
const DEMO_TARIQ: &[(&str, u32)] = &[
    // Resets marta: Access Coordinator @ Service Desk (1); joins Sandbox Operators:
    // Environment Admin @ Sandbox (2).
    (
        "bb063197-530b-5afa-81d9-09b311c4a933,POPULATION,b104d800-f7db-524a-a593-ed7dd67c3ac6",
        1,
    ),
    (
        "4ee28634-9ee9-54af-801d-ee14a10b3575,ENVIRONMENT,0264e7e7-5ac8-5ac5-87df-603dc385a343",
        2,
    ),
    // Environment Admin @ Sandbox assigns every built-in but Organization Admin (Custom Roles
    // Admin has no applicable scope inside Sandbox), Application Owner at each Sandbox
    // application, and the custom roles whose canBeAssignedBy lists Environment Admin.
    (
        "a639c2a1-e1a1-527b-964c-310c0668cbbc,ENVIRONMENT,0264e7e7-5ac8-5ac5-87df-603dc385a343",
        3,
    ),
    (
        "c68456c1-3662-55f5-a66f-158b87eca20c,ENVIRONMENT,0264e7e7-5ac8-5ac5-87df-603dc385a343",
        3,
    ),
    (
        "43e5ae0a-1d9e-5445-843a-31a292d3b6a3,ENVIRONMENT,0264e7e7-5ac8-5ac5-87df-603dc385a343",
        3,
    ),
    (
        "2e830d26-81ad-5c8b-acbd-72166a1ccc5e,ENVIRONMENT,0264e7e7-5ac8-5ac5-87df-603dc385a343",
        3,
    ),
    (
        "ddec441d-204e-5397-9d5f-81d4fc6349f0,ENVIRONMENT,0264e7e7-5ac8-5ac5-87df-603dc385a343",
        3,
    ),
    (
        "66364e32-56fc-52eb-ab5c-fb7d08221d95,ENVIRONMENT,0264e7e7-5ac8-5ac5-87df-603dc385a343",
        3,
    ),
    (
        "3f63ac40-519a-5748-9b64-3f82d2efc2e1,ENVIRONMENT,0264e7e7-5ac8-5ac5-87df-603dc385a343",
        3,
    ),
    (
        "9c997e82-3783-5db0-bc77-b4823b2106fa,APPLICATION,5a5c4793-5a59-5dca-80f1-b6977f09ccc1",
        3,
    ),
    (
        "9c997e82-3783-5db0-bc77-b4823b2106fa,APPLICATION,1983fa31-036b-587c-a83b-56dd41ac6f66",
        3,
    ),
    (
        "9c997e82-3783-5db0-bc77-b4823b2106fa,APPLICATION,4a28dec3-e3f6-5337-a6db-4039bda26ce1",
        3,
    ),
    (
        "9c997e82-3783-5db0-bc77-b4823b2106fa,APPLICATION,af2d9b4d-214d-58f6-9579-cfffbbc27c63",
        3,
    ),
    (
        "998ccce1-0c92-5db8-b715-22d0dcee0915,ENVIRONMENT,0264e7e7-5ac8-5ac5-87df-603dc385a343",
        3,
    ),
    (
        "b1deaa69-4f5b-599a-9ef6-6a773ec58996,ENVIRONMENT,0264e7e7-5ac8-5ac5-87df-603dc385a343",
        3,
    ),
    (
        "b1680a2d-18ea-5d30-bebf-24f9d5c7a309,ENVIRONMENT,0264e7e7-5ac8-5ac5-87df-603dc385a343",
        3,
    ),
    // Identity Data Admin @ Sandbox (3) assigns Access Coordinator @ Sandbox Users (4).
    (
        "bb063197-530b-5afa-81d9-09b311c4a933,POPULATION,1a3979fe-38b7-54d0-959e-88448c450883",
        4,
    ),
];

#[test]
fn attack_oracle_sees_every_capability_in_synth_tenants() {
    for (users, seed, profile) in [
        (60, 1, SynthProfile::Standard),
        (500, 2, SynthProfile::GroupHeavy),
    ] {
        let (_d, dir) = synth(users, seed, profile);
        let rows = oracle(&dir);
        assert!(
            rows.iter().any(|r| r.5 >= 3),
            "{users} users: no chain of 3 steps or more"
        );
        let t = read_export(&dir).unwrap();
        let tier0: BTreeSet<String> = t
            .roles
            .iter()
            .filter(|r| {
                r.builtin && ["Organization Admin", "Environment Admin"].contains(&t.s(r.name))
            })
            .map(|r| t.s(r.id).to_string())
            .collect();
        assert!(
            rows.iter().any(|r| tier0.contains(&r.2) && r.5 >= 2),
            "{users} users: no tier-zero gain in two steps or more"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// (b) The engine (`p1graph escalation`) against the reference. These fail until the engine is
// merged.

#[test]
fn escalation_cli_matches_the_oracle_on_attack_fixtures() {
    for case in attack_cases() {
        check_cli(&case);
    }
}

#[test]
fn escalation_cli_matches_the_oracle_on_the_demo() {
    check_cli(&root().join("fixtures/demo"));
}

#[test]
fn escalation_cli_matches_the_oracle_on_small_synth_tenants() {
    for seed in [1, 2, 3] {
        let (_d, dir) = synth(60, seed, SynthProfile::Standard);
        check_cli(&dir);
    }
    let (_d, dir) = synth(60, 4, SynthProfile::GroupHeavy);
    check_cli(&dir);
}

#[test]
fn escalation_cli_matches_the_oracle_on_500_users() {
    for (seed, profile) in [(5, SynthProfile::Standard), (6, SynthProfile::GroupHeavy)] {
        let (_d, dir) = synth(500, seed, profile);
        check_cli(&dir);
    }
}

#[test]
fn escalation_cli_matches_the_oracle_on_3000_users() {
    for (seed, profile) in [(7, SynthProfile::Standard), (8, SynthProfile::GroupHeavy)] {
        let (_d, dir) = synth(3000, seed, profile);
        check_cli(&dir);
    }
}

/// Prints the reference's rows for the export named by `P1GRAPH_ORACLE_DIR`, or for a synth
/// tenant `P1GRAPH_ORACLE_SYNTH=users,seed,profile` (a debugging aid:
/// `P1GRAPH_ORACLE_DIR=fixtures/demo cargo test --test cli print_oracle_rows -- --ignored
/// --nocapture`).
#[test]
#[ignore]
fn print_oracle_rows() {
    let (_keep, dir) = match std::env::var("P1GRAPH_ORACLE_SYNTH") {
        Ok(spec) => {
            let f: Vec<&str> = spec.split(',').collect();
            let profile = SynthProfile::parse(f.get(2).copied().unwrap_or("standard"))
                .expect("profile: standard or group-heavy");
            let (d, dir) = synth(f[0].parse().unwrap(), f[1].parse().unwrap(), profile);
            (Some(d), dir)
        }
        Err(_) => (
            None,
            PathBuf::from(std::env::var("P1GRAPH_ORACLE_DIR").expect("P1GRAPH_ORACLE_DIR")),
        ),
    };
    for r in fmt_rows(&oracle(&dir)) {
        println!("{r}");
    }
}

// ---------------------------------------------------------------------------------------------
// Random small tenants: every oddity the contract names, in random combinations.

/// Writes a random export: two environments, populations, groups (some dynamic, some in a
/// population, nesting with cycles), users (some disabled or locked, one in a missing
/// population), worker applications and a gateway (some disabled), built-in roles with their
/// capabilities, custom roles with random permissions, `applicableTo` (GROUP and empty
/// included) and `canBeAssignedBy` (a missing role included), one custom role named like a
/// built-in, and assignments of every subject kind at every scope type, missing and unknown
/// scopes, missing roles and subjects included.
fn random_export(dir: &Path, seed: u64) {
    use rand::{Rng, SeedableRng};
    use serde_json::{Value, json};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let envs = ["e-a", "e-b"];
    let pops = [("p-a1", "e-a"), ("p-a2", "e-a"), ("p-b1", "e-b")];
    let mut files: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    fn put(files: &mut BTreeMap<String, Vec<Value>>, path: String, v: Value) {
        files.entry(path).or_default().push(v);
    }
    for e in envs {
        for c in [
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
        ] {
            files.entry(format!("environments/{e}/{c}")).or_default();
        }
    }
    for (p, e) in pops {
        put(
            &mut files,
            format!("environments/{e}/populations"),
            json!({"id": p, "name": p, "environment": {"id": e}}),
        );
    }
    let n_users = rng.random_range(2..10);
    let n_groups = rng.random_range(1..8);
    let mut user_env = Vec::new();
    for u in 0..n_users {
        let (p, e) = if rng.random_bool(0.1) {
            ("p-gone", envs[rng.random_range(0..2)])
        } else {
            pops[rng.random_range(0..pops.len())]
        };
        user_env.push(e);
        let status = if rng.random_bool(0.15) {
            "LOCKED"
        } else {
            "OK"
        };
        put(
            &mut files,
            format!("environments/{e}/users"),
            json!({"id": format!("u{u}"), "username": format!("u{u}"), "environment": {"id": e},
                   "population": {"id": p}, "enabled": rng.random_bool(0.85),
                   "account": {"status": status}}),
        );
    }
    let mut group_env = Vec::new();
    for g in 0..n_groups {
        let e = envs[rng.random_range(0..2)];
        group_env.push(e);
        let mut obj =
            json!({"id": format!("g{g}"), "name": format!("g{g}"), "environment": {"id": e}});
        let in_env: Vec<&str> = pops.iter().filter(|p| p.1 == e).map(|p| p.0).collect();
        if rng.random_bool(0.5) {
            obj["population"] = json!({"id": in_env[rng.random_range(0..in_env.len())]});
        }
        if rng.random_bool(0.2) {
            obj["userFilter"] = json!("title eq \"Nurse\"");
        }
        put(&mut files, format!("environments/{e}/groups"), obj);
    }
    for _ in 0..rng.random_range(0..n_users * 2 + 1) {
        let u = rng.random_range(0..n_users);
        let g = rng.random_range(0..n_groups);
        put(
            &mut files,
            format!("environments/{}/user_memberships", user_env[u]),
            json!({"parent": {"type": "USER", "id": format!("u{u}")}, "item": {"id": format!("g{g}"), "type": "DIRECT"}}),
        );
    }
    for _ in 0..rng.random_range(0..n_groups * 2 + 1) {
        let c = rng.random_range(0..n_groups);
        let p = rng.random_range(0..n_groups);
        put(
            &mut files,
            format!("environments/{}/group_parents", group_env[c]),
            json!({"parent": {"type": "GROUP", "id": format!("g{c}")}, "item": {"id": format!("g{p}")}}),
        );
    }
    let apps = ["a0", "a1"];
    for (i, a) in apps.iter().enumerate() {
        put(
            &mut files,
            format!("environments/{}/applications", envs[i]),
            json!({"id": a, "name": a, "type": "WORKER", "protocol": "OPENID_CONNECT",
                   "enabled": rng.random_bool(0.7), "environment": {"id": envs[i]}}),
        );
    }
    put(
        &mut files,
        "environments/e-b/gateways".into(),
        json!({"id": "gw0", "name": "gw0", "type": "LDAP", "enabled": rng.random_bool(0.7),
               "environment": {"id": "e-b"}}),
    );
    // Built-in roles: (id, name, applicableTo, permissions).
    let reset = "dir:reset:userPassword";
    let set = "dir:set:userPassword";
    let add = "dir:create:groupMembership";
    let read = "dir:read:user";
    let builtin: &[(&str, &str, &[&str], &[&str])] = &[
        (
            "r-oa",
            "Organization Admin",
            &["ORGANIZATION"],
            &[reset, add],
        ),
        (
            "r-ea",
            "Environment Admin",
            &["ORGANIZATION", "ENVIRONMENT"],
            &[reset, set, add],
        ),
        (
            "r-ida",
            "Identity Data Admin",
            &["ENVIRONMENT", "POPULATION"],
            &[reset, add],
        ),
        (
            "r-idro",
            "Identity Data Read Only",
            &["ORGANIZATION", "ENVIRONMENT", "POPULATION"],
            &[read],
        ),
        (
            "r-hda",
            "Help Desk Admin",
            &["ENVIRONMENT", "POPULATION"],
            &[reset, read],
        ),
        (
            "r-dva",
            "DaVinci Admin",
            &["ENVIRONMENT"],
            &["davinci:read:dvFlows"],
        ),
        (
            "r-dvro",
            "DaVinci Admin Read Only",
            &["ENVIRONMENT"],
            &["davinci:read:dvFlows"],
        ),
        (
            "r-ao",
            "Application Owner",
            &["APPLICATION"],
            &["applications:read:application"],
        ),
        (
            "r-cra",
            "Custom Roles Admin",
            &["ORGANIZATION"],
            &["permissions:read:customRole"],
        ),
    ];
    let mut role_ids: Vec<String> = builtin.iter().map(|b| b.0.to_string()).collect();
    let mut roles_out = Vec::new();
    for (id, name, app, perms) in builtin {
        roles_out.push(json!({"id": id, "name": name, "applicableTo": app,
                              "permissions": perms.iter().map(|p| json!({"id": p})).collect::<Vec<_>>()}));
    }
    let scope_types = [
        "ORGANIZATION",
        "ENVIRONMENT",
        "POPULATION",
        "APPLICATION",
        "GROUP",
    ];
    for c in 0..3 {
        let id = format!("r-c{c}");
        let perms: Vec<Value> = [reset, set, add, read]
            .iter()
            .filter(|_| rng.random_bool(0.35))
            .map(|p| json!({"id": p}))
            .collect();
        let applicable: Vec<&str> = scope_types
            .iter()
            .copied()
            .filter(|_| rng.random_bool(0.4))
            .collect();
        let mut by: Vec<Value> = role_ids
            .iter()
            .filter(|_| rng.random_bool(0.25))
            .map(|r| json!({"id": r}))
            .collect();
        if rng.random_bool(0.2) {
            by.push(json!({"id": "r-gone"}));
        }
        let name = if c == 0 {
            "Environment Admin".to_string()
        } else {
            format!("Custom {c}")
        };
        put(
            &mut files,
            "environments/e-a/roles".into(),
            json!({"id": id, "name": name, "type": "CUSTOM", "environment": {"id": "e-a"},
                   "applicableTo": applicable, "permissions": perms, "canBeAssignedBy": by}),
        );
        role_ids.push(id);
    }
    role_ids.push("r-gone".into());
    let mut scopes: Vec<(String, String)> = vec![
        ("ORGANIZATION".into(), "o-org".into()),
        ("POPULATION".into(), "p-gone".into()),
        ("ENVIRONMENT".into(), "e-gone".into()),
        ("TENANT".into(), "t-1".into()),
    ];
    scopes.extend(envs.iter().map(|e| ("ENVIRONMENT".into(), e.to_string())));
    scopes.extend(pops.iter().map(|p| ("POPULATION".into(), p.0.to_string())));
    scopes.extend(apps.iter().map(|a| ("APPLICATION".into(), a.to_string())));
    scopes.extend((0..n_groups).map(|g| ("GROUP".into(), format!("g{g}"))));
    for i in 0..rng.random_range(1..12) {
        let role = &role_ids[rng.random_range(0..role_ids.len())];
        let (st, sid) = &scopes[rng.random_range(0..scopes.len())];
        let (kind, subject, env) = match rng.random_range(0..10) {
            0..=4 => {
                let u = rng.random_range(0..n_users);
                ("USER", format!("u{u}"), user_env[u])
            }
            5..=7 => {
                let g = rng.random_range(0..n_groups);
                ("GROUP", format!("g{g}"), group_env[g])
            }
            8 => {
                let a = rng.random_range(0..apps.len());
                ("APPLICATION", apps[a].to_string(), envs[a])
            }
            _ if rng.random_bool(0.5) => ("GATEWAY", "gw0".to_string(), "e-b"),
            _ => ("USER", "u-ghost".to_string(), "e-a"),
        };
        let mut item = json!({"id": format!("ra{i}"), "role": {"id": role},
                              "scope": {"type": st, "id": sid}, "environment": {"id": env}});
        if kind == "GROUP" {
            item["group"] = json!({"id": subject});
        }
        if kind == "GATEWAY" {
            item["gateway"] = json!({"id": subject});
        }
        put(
            &mut files,
            format!("environments/{env}/role_assignments"),
            json!({"parent": {"type": kind, "id": subject}, "item": item}),
        );
    }
    std::fs::create_dir_all(dir).unwrap();
    let write = |path: &Path, lines: &[Value]| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let text: String = lines.iter().map(|v| format!("{v}\n")).collect();
        std::fs::write(path, text).unwrap();
    };
    write(&dir.join("roles.jsonl"), &roles_out);
    write(
        &dir.join("environments.jsonl"),
        &envs
            .iter()
            .map(|e| json!({"id": e, "name": e, "type": "PRODUCTION", "region": "NA", "organization": {"id": "o-org"}}))
            .collect::<Vec<_>>(),
    );
    for (path, lines) in &files {
        write(&dir.join(format!("{path}.jsonl")), lines);
    }
    std::fs::write(
        dir.join("manifest.json"),
        json!({"format": "p1graph-export", "version": 1, "capturedAt": "2026-11-01T00:00:00Z",
               "region": "NA", "organization": {"id": "o-org", "name": "Random Org"},
               "collector": {"environmentId": "e-a", "clientId": "a-collector"}, "coverage": []})
        .to_string(),
    )
    .unwrap();
}

#[test]
fn attack_oracle_reads_random_tenants() {
    let tmp = tempfile::tempdir().unwrap();
    let mut with_rows = 0;
    for seed in 0..40 {
        let dir = tmp.path().join(format!("t{seed}"));
        random_export(&dir, seed);
        if !oracle(&dir).is_empty() {
            with_rows += 1;
        }
    }
    assert!(
        with_rows >= 10,
        "only {with_rows} random tenants have escalation rows"
    );
}

#[test]
fn escalation_cli_matches_the_oracle_on_random_tenants() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in 0..40 {
        let dir = tmp.path().join(format!("t{seed}"));
        random_export(&dir, seed);
        check_cli(&dir);
    }
}
