//! `p1graph opengraph`: files BloodHound CE accepts (the published schemas and the server's
//! rules, checked by this test code), and pathfinding over traversable edges that finds exactly
//! the escalation export's gains.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

fn run(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("p1graph")
        .unwrap()
        .env("COLUMNS", "120")
        .args(args)
        .output()
        .unwrap()
}

/// The extension schema: node kinds and which relationship kinds are traversable.
pub struct Extension {
    pub node_kinds: HashSet<String>,
    pub traversable: HashMap<String, bool>,
}

pub fn read_extension(dir: &Path) -> Extension {
    let v: Value =
        serde_json::from_slice(&std::fs::read(dir.join("pingone-extension.json")).unwrap())
            .unwrap();
    for k in ["schema", "node_kinds", "relationship_kinds", "environments"] {
        assert!(v.get(k).is_some(), "extension lacks `{k}`");
    }
    for k in ["name", "display_name", "version", "namespace"] {
        assert!(v["schema"][k].is_string(), "schema.{k}");
    }
    let node_kinds: HashSet<String> = v["node_kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            for k in ["name", "display_name", "description", "icon", "color"] {
                assert!(n[k].is_string(), "node kind {n} lacks {k}");
            }
            assert!(n["is_display_kind"].is_boolean());
            n["name"].as_str().unwrap().to_string()
        })
        .collect();
    let traversable: HashMap<String, bool> = v["relationship_kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["is_traversable"].as_bool().unwrap(),
            )
        })
        .collect();
    let env = &v["environments"][0];
    assert_eq!(env["source_kind"], "PingOne");
    assert!(node_kinds.contains(env["environment_kind"].as_str().unwrap()));
    for p in env["principal_kinds"].as_array().unwrap() {
        assert!(node_kinds.contains(p.as_str().unwrap()));
    }
    Extension {
        node_kinds,
        traversable,
    }
}

/// A property value as the node/edge schemas allow: string, number, boolean, or a homogeneous
/// array of one of those; never null, never an object.
fn check_props(what: &str, props: &Value) {
    let Some(m) = props.as_object() else {
        panic!("{what}: properties must be an object: {props}")
    };
    assert!(!m.contains_key("objectid"), "{what}: objectid");
    for (k, v) in m {
        let snake = !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && k.starts_with(|c: char| c.is_ascii_lowercase());
        assert!(
            snake,
            "{what}: property name `{k}` is not lowercase snake_case"
        );
        match v {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {}
            Value::Array(a) => {
                let kinds: HashSet<u8> = a
                    .iter()
                    .map(|x| match x {
                        Value::String(_) => 0,
                        Value::Number(_) => 1,
                        Value::Bool(_) => 2,
                        other => panic!("{what}: `{k}` holds {other}"),
                    })
                    .collect();
                assert!(kinds.len() <= 1, "{what}: `{k}` is not homogeneous");
            }
            other => panic!("{what}: `{k}` = {other} (null or object)"),
        }
    }
}

/// The whole graph of a directory's files, checked against the schemas and the server's rules.
pub struct Graph {
    pub kinds: HashMap<String, Vec<String>>,
    pub props: HashMap<String, Value>,
    pub edges: Vec<(String, String, String)>,
}

pub fn read_and_validate(dir: &Path) -> Graph {
    let ext = read_extension(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("pingone") && n.ends_with(".json") && n != "pingone-extension.json"
        })
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut g = Graph {
        kinds: HashMap::new(),
        props: HashMap::new(),
        edges: Vec::new(),
    };
    let mut upper: HashSet<String> = HashSet::new();
    let mut raw_edges = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        // metadata first, and only metadata and graph at the top level
        assert!(
            text.starts_with(r#"{"metadata":{"source_kind":"PingOne"}"#),
            "{}",
            f.display()
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        let top: BTreeSet<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(top, BTreeSet::from(["graph", "metadata"]));
        let nodes = v["graph"]["nodes"].as_array().unwrap();
        let edges = v["graph"]["edges"].as_array().unwrap();
        assert!(
            !nodes.is_empty() || !edges.is_empty(),
            "empty graph in {}",
            f.display()
        );
        for n in nodes {
            let id = n["id"].as_str().unwrap().to_string();
            assert!(!id.contains(':'), "colon in id {id}");
            assert!(
                upper.insert(id.to_uppercase()),
                "id {id} not unique ignoring case"
            );
            let kinds: Vec<String> = n["kinds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().to_string())
                .collect();
            assert!((1..=3).contains(&kinds.len()), "{id}: {kinds:?}");
            for k in &kinds {
                assert!(!k.to_lowercase().starts_with("tag"), "tag kind {k}");
                assert!(k.starts_with("PingOne") && !k.contains('_'), "{k}");
                assert!(ext.node_kinds.contains(k), "kind {k} not in the extension");
            }
            check_props(&id, &n["properties"]);
            g.props.insert(id.clone(), n["properties"].clone());
            g.kinds.insert(id, kinds);
        }
        for e in edges {
            let kind = e["kind"].as_str().unwrap().to_string();
            assert!(
                kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{kind}"
            );
            assert!(
                ext.traversable.contains_key(&kind),
                "edge kind {kind} not declared"
            );
            assert!(e["properties"].is_object(), "edges always carry properties");
            check_props(&kind, &e["properties"]);
            let s = e["start"]["value"].as_str().unwrap().to_string();
            let t = e["end"]["value"].as_str().unwrap().to_string();
            for k in ["start", "end"] {
                let m = e[k]["match_by"].as_str().unwrap_or("id");
                assert_eq!(m, "id");
            }
            raw_edges.push((kind, s, t));
        }
    }
    for (k, s, t) in &raw_edges {
        assert!(g.kinds.contains_key(s), "{k}: start {s} names no node");
        assert!(g.kinds.contains_key(t), "{k}: end {t} names no node");
    }
    g.edges = raw_edges;
    let _ = ext.traversable;
    g
}

#[test]
fn the_demo_export_passes_the_schemas_and_upload_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("og");
    let o = run(&[
        "opengraph",
        "-q",
        "-i",
        demo().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let g = read_and_validate(&out);
    // Every entity is a node.
    let t = p1graph::export::read_export(&demo()).unwrap();
    let count = |k: &str| g.kinds.values().filter(|v| v[0] == k).count();
    assert_eq!(count("PingOneUser"), t.users.len());
    assert_eq!(count("PingOneGroup"), t.groups.len());
    assert_eq!(count("PingOneRole"), t.roles.len());
    assert_eq!(count("PingOneApplication"), t.applications.len());
    assert_eq!(count("PingOneGateway"), t.gateways.len());
    assert_eq!(count("PingOneEnvironment"), t.environments.len());
    assert_eq!(count("PingOnePopulation"), t.populations.len());
    assert_eq!(count("PingOneOrganization"), 1);
    // Users carry what the issue names; no null anywhere (checked above).
    let user = &g.props[t.s(t.users[0].id)];
    for k in ["name", "enabled", "environment_id"] {
        assert!(user.get(k).is_some(), "user lacks {k}: {user}");
    }
    // Privilege nodes carry role and scope.
    let p = g
        .kinds
        .iter()
        .find(|(_, k)| k[0] == "PingOnePrivilege")
        .map(|(id, _)| &g.props[id])
        .expect("a privilege node");
    for k in ["role_id", "scope_type", "scope_id"] {
        assert!(p.get(k).is_some(), "{p}");
    }
}

#[test]
fn chunks_and_zip_hold_the_same_graph() {
    let tmp = tempfile::tempdir().unwrap();
    let d = demo();
    let one = tmp.path().join("one");
    let chunks = tmp.path().join("chunks");
    let zipped = tmp.path().join("zipped");
    for (out, extra) in [
        (&one, vec![]),
        (&chunks, vec!["--max-items", "40"]),
        (&zipped, vec!["--max-items", "40", "--zip"]),
    ] {
        let mut args = vec![
            "opengraph",
            "-q",
            "-i",
            d.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let a = read_and_validate(&one);
    let b = read_and_validate(&chunks);
    let n = std::fs::read_dir(&chunks).unwrap().count();
    assert!(n > 3, "several chunks: {n}");
    for f in std::fs::read_dir(&chunks).unwrap() {
        let p = f.unwrap().path();
        if p.file_name().unwrap() == "pingone-extension.json" {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        let items = v["graph"]["nodes"].as_array().unwrap().len()
            + v["graph"]["edges"].as_array().unwrap().len();
        assert!(items <= 40 && items > 0, "{}: {items}", p.display());
    }
    assert_eq!(a.kinds, b.kinds);
    let sorted = |g: &Graph| {
        let mut e = g.edges.clone();
        e.sort();
        e
    };
    assert_eq!(sorted(&a), sorted(&b));
    // The zip holds the chunk files.
    let f = std::fs::File::open(zipped.join("pingone.zip")).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let unz = tmp.path().join("unz");
    z.extract(&unz).unwrap();
    std::fs::copy(
        zipped.join("pingone-extension.json"),
        unz.join("pingone-extension.json"),
    )
    .unwrap();
    let c = read_and_validate(&unz);
    assert_eq!(a.kinds, c.kinds);
    assert_eq!(sorted(&a), sorted(&c));
}

/// Least escalation steps from `start` to every node, over traversable edges (0-1 BFS: the
/// capability edges cost 1, holding and membership cost 0).
pub fn reachable(
    g: &Graph,
    ext_traversable: &HashMap<String, bool>,
    start: &str,
) -> BTreeMap<String, u32> {
    let mut adj: HashMap<&str, Vec<(&str, u32)>> = HashMap::new();
    for (k, s, t) in &g.edges {
        if ext_traversable[k] {
            let cost = u32::from(matches!(
                k.as_str(),
                "PingOneResetPassword" | "PingOneAddMember" | "PingOneAssignRole"
            ));
            adj.entry(s).or_default().push((t, cost));
        }
    }
    let mut dist: BTreeMap<String, u32> = BTreeMap::new();
    let mut dq = VecDeque::from([(start.to_string(), 0u32)]);
    while let Some((n, d)) = dq.pop_front() {
        if dist.get(&n).is_some_and(|&x| x <= d) {
            continue;
        }
        dist.insert(n.clone(), d);
        for &(m, c) in adj.get(n.as_str()).map(|v| v.as_slice()).unwrap_or(&[]) {
            if c == 0 {
                dq.push_front((m.to_string(), d));
            } else {
                dq.push_back((m.to_string(), d + 1));
            }
        }
    }
    dist
}

/// (identity_type, identity_id, role_id, scope_type, scope_id) -> steps, from an escalation CSV.
fn escalation_rows(input: &Path) -> BTreeMap<(String, String, String, String, String), u32> {
    let o = run(&[
        "escalation",
        "-q",
        "--format",
        "csv",
        "--input",
        input.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut rd = csv::Reader::from_reader(o.stdout.as_slice());
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            (
                (
                    r[0].to_string(),
                    r[1].to_string(),
                    r[4].to_string(),
                    r[6].to_string(),
                    r[7].to_string(),
                ),
                r[9].parse().unwrap(),
            )
        })
        .collect()
}

/// BloodHound's view: from every actor, the privileges reachable over traversable edges with
/// their least escalation steps, filtered as the escalation export's section 4 says.
fn pathfinding_gains(
    input: &Path,
    out: &Path,
) -> BTreeMap<(String, String, String, String, String), u32> {
    let o = run(&[
        "opengraph",
        "-q",
        "-i",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let g = read_and_validate(out);
    let ext = read_extension(out);
    let t = if input.is_dir() {
        p1graph::export::read_export(input).unwrap()
    } else {
        p1graph::snapshot::load(input).unwrap()
    };
    use p1graph::model::{ScopeKind, ScopeRef, Sym};
    let scope_of = |props: &Value| -> ScopeRef {
        let st = props["scope_type"].as_str().unwrap();
        let id = props["scope_id"].as_str().unwrap();
        ScopeRef {
            kind: ScopeKind::parse(st, t.strings.get(st).unwrap_or(Sym::EMPTY)),
            id: t.strings.get(id).unwrap_or(Sym::EMPTY),
        }
    };
    let covers = |a: &Value, b: &Value| -> bool {
        a["role_id"] == b["role_id"] && t.scope_contains(scope_of(a), scope_of(b))
    };
    let mut out_rows = BTreeMap::new();
    let mut actors: Vec<(&str, String)> = Vec::new();
    for u in &t.users {
        if u.is_active() {
            actors.push(("USER", t.s(u.id).to_string()));
        }
    }
    for a in &t.applications {
        if a.enabled {
            actors.push(("APPLICATION", t.s(a.id).to_string()));
        }
    }
    for gw in &t.gateways {
        if gw.enabled {
            actors.push(("GATEWAY", t.s(gw.id).to_string()));
        }
    }
    for (kind, id) in actors {
        let dist = reachable(&g, &ext.traversable, &id);
        let privs: Vec<(&String, u32)> = dist
            .iter()
            .filter(|(n, _)| g.kinds[*n][0] == "PingOnePrivilege")
            .map(|(n, d)| (n, *d))
            .collect();
        let held: Vec<&Value> = privs
            .iter()
            .filter(|(_, d)| *d == 0)
            .map(|(n, _)| &g.props[*n])
            .collect();
        for (n, d) in &privs {
            if *d == 0 {
                continue;
            }
            let p = &g.props[*n];
            if held.iter().any(|h| covers(h, p)) {
                continue;
            }
            if privs.iter().any(|(m, _)| m != n && covers(&g.props[*m], p)) {
                continue;
            }
            let key = (
                kind.to_string(),
                id.clone(),
                p["role_id"].as_str().unwrap().to_string(),
                p["scope_type"].as_str().unwrap().to_string(),
                p["scope_id"].as_str().unwrap().to_string(),
            );
            out_rows.insert(key, *d);
        }
    }
    out_rows
}

fn assert_pathfinding_equals_escalation(input: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    let want = escalation_rows(input);
    let got = pathfinding_gains(input, &tmp.path().join("og"));
    assert!(
        !want.is_empty(),
        "the tenant has escalations: the check can fail"
    );
    let missing: Vec<_> = want
        .iter()
        .filter(|(k, _)| !got.contains_key(*k))
        .take(5)
        .collect();
    let extra: Vec<_> = got
        .iter()
        .filter(|(k, _)| !want.contains_key(*k))
        .take(5)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{}: missing {missing:?}, extra {extra:?}",
        input.display()
    );
    assert_eq!(got, want, "{}: steps differ", input.display());
}

#[test]
fn pathfinding_over_traversable_edges_equals_the_escalation_export_on_the_demo_and_fixtures() {
    assert_pathfinding_equals_escalation(&demo());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/attack");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 5);
    for c in cases {
        assert_pathfinding_equals_escalation(&c);
    }
}

#[test]
fn pathfinding_over_traversable_edges_equals_the_escalation_export_on_generated_tenants() {
    let tmp = tempfile::tempdir().unwrap();
    for (users, seed, profile) in [(3000u32, 7u32, "standard"), (1500, 2, "group-heavy")] {
        let dir = tmp.path().join(format!("t-{users}-{seed}-{profile}"));
        let o = run(&[
            "synth",
            "-q",
            "--users",
            &users.to_string(),
            "--seed",
            &seed.to_string(),
            "--profile",
            profile,
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(o.status.success());
        assert_pathfinding_equals_escalation(&dir);
    }
}

#[test]
fn a_user_with_no_role_and_no_role_bearing_group_reaches_no_privilege() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("og");
    let o = run(&[
        "opengraph",
        "-q",
        "-i",
        demo().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let g = read_and_validate(&out);
    let ext = read_extension(&out);
    let t = p1graph::export::read_export(&demo()).unwrap();
    let r = p1graph::resolve::Resolver::new(&t);
    let mut access = p1graph::resolve::Access::default();
    let mut checked = 0;
    for (i, u) in t.users.iter().enumerate() {
        r.resolve_roles(
            p1graph::resolve::Identity::User(p1graph::model::UserId::from_idx(i)),
            &mut access,
        );
        if !access.roles.is_empty() {
            continue;
        }
        checked += 1;
        let dist = reachable(&g, &ext.traversable, t.s(u.id));
        let privs: Vec<&String> = dist
            .keys()
            .filter(|n| g.kinds[*n][0] == "PingOnePrivilege")
            .collect();
        assert!(privs.is_empty(), "{} reaches {privs:?}", t.s(u.username));
    }
    assert!(checked > 10);
}
