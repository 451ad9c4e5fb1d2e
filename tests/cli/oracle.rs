//! The resolver against a deliberately naive reference: a breadth-first search per user over
//! memberships and nesting, then rules M2-M7 read straight off the access model, on random
//! tenants with cycles. Rows must agree exactly, order included.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use p1graph::model::builder::TenantBuilder;
use p1graph::model::*;
use p1graph::report::access::{RowBuf, RowFormat};
use p1graph::resolve::{Access, Resolver};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

const ADMIN_NAMES: [&str; 4] = [
    "Organization Admin",
    "Environment Admin",
    "Identity Data Admin",
    "Client Application Developer",
];

fn random_tenant(seed: u64) -> Tenant {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n_users = rng.random_range(1..10);
    let n_groups = rng.random_range(1..9);
    let envs = ["env-a", "env-b"];
    let mut b = TenantBuilder::new("org-1")
        .env("env-a")
        .env("env-b")
        .population("pop-a", "env-a");
    b = b
        .role(
            "r-envadmin",
            "Environment Admin",
            &["identity:update:user"],
            None,
        )
        .role(
            "r-idro",
            "Identity Data Read Only",
            &["identity:read:user"],
            None,
        )
        .role(
            "r-fake",
            "Environment Admin",
            &["identity:update:user"],
            Some("env-a"),
        )
        .role(
            "r-dev",
            "Client Application Developer",
            &["applications:create:application"],
            None,
        );
    for u in 0..n_users {
        let env = envs[rng.random_range(0..2)];
        b = b.user(&format!("u{u}"), env);
    }
    for g in 0..n_groups {
        b = b.group(&format!("g{g}"), envs[rng.random_range(0..2)]);
    }
    for _ in 0..rng.random_range(0..n_users * 2 + 1) {
        b = b.member(
            &format!("u{}", rng.random_range(0..n_users)),
            &format!("g{}", rng.random_range(0..n_groups)),
        );
    }
    for _ in 0..rng.random_range(0..n_groups * 2 + 1) {
        b = b.nest(
            &format!("g{}", rng.random_range(0..n_groups)),
            &format!("g{}", rng.random_range(0..n_groups)),
        );
    }
    let n_apps = rng.random_range(0..6);
    for a in 0..n_apps {
        let kind = ["WEB_APP", "WORKER", "PING_ONE_PORTAL"][rng.random_range(0..3)];
        let enabled = rng.random_range(0..5) > 0;
        let admin_only = rng.random_range(0..3) == 0;
        let listed: Vec<String> = (0..rng.random_range(0..3))
            .map(|_| {
                if rng.random_range(0..6) == 0 {
                    "g-missing".to_string()
                } else {
                    format!("g{}", rng.random_range(0..n_groups))
                }
            })
            .collect();
        let listed_ref: Vec<&str> = listed.iter().map(|s| s.as_str()).collect();
        let rule = match rng.random_range(0..3) {
            0 => None,
            1 => Some((false, listed_ref.as_slice())),
            _ => Some((true, listed_ref.as_slice())),
        };
        b = b.app(
            &format!("app{a}"),
            envs[rng.random_range(0..2)],
            kind,
            enabled,
            admin_only,
            rule,
        );
        if rng.random_range(0..2) == 0 {
            b = b.grant(&format!("app{a}"), "res-1", &["sc-1", "sc-2"]);
        }
    }
    b = b.gateway("gw-1", "env-a", true);
    let roles = ["r-envadmin", "r-idro", "r-fake", "r-dev", "r-missing"];
    for i in 0..rng.random_range(0..12) {
        let (kind, sid) = match rng.random_range(0..5) {
            0 | 1 => ("USER", format!("u{}", rng.random_range(0..n_users))),
            2 => ("GROUP", format!("g{}", rng.random_range(0..n_groups))),
            3 if n_apps > 0 => ("APPLICATION", format!("app{}", rng.random_range(0..n_apps))),
            3 => ("GATEWAY", "gw-1".to_string()),
            _ => ("GROUP", "g-gone".to_string()),
        };
        let (st, sc) = [
            ("ORGANIZATION", "org-1"),
            ("ENVIRONMENT", "env-a"),
            ("ENVIRONMENT", "env-b"),
            ("POPULATION", "pop-a"),
            ("GROUP", "g0"),
        ][rng.random_range(0..5)];
        let role = roles[rng.random_range(0..roles.len())];
        b = b.assign(&format!("ra{i}"), kind, &sid, role, st, sc);
    }
    b.build()
}

/// The naive reference.
fn reference(t: &Tenant) -> Vec<Row> {
    let s = |x: Sym| t.s(x).to_string();
    let mut parents: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for n in &t.nestings {
        parents
            .entry(s(t.groups[n.child.idx()].id))
            .or_default()
            .push(s(t.groups[n.parent.idx()].id));
    }
    let mut rows: Vec<Row> = Vec::new();
    let role_rows =
        |ty: &str, id: &str, asg: Vec<(&RoleAssignment, Option<String>)>, rows: &mut Vec<Row>| {
            let mut by: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
            for (a, src) in asg {
                by.entry((
                    s(a.role_id),
                    t.scope_kind_str(a.scope.kind).to_string(),
                    s(a.scope.id),
                ))
                .or_default()
                .insert(src.unwrap_or_else(|| "direct".into()));
            }
            for ((r, st, sid), srcs) in by {
                let via = if srcs.contains("direct") {
                    "DIRECT"
                } else {
                    "GROUP"
                };
                let sources = srcs.into_iter().collect::<Vec<_>>().join(";");
                rows.push((
                    ty.into(),
                    id.into(),
                    "ROLE".into(),
                    r,
                    st,
                    sid,
                    via.into(),
                    sources,
                ));
            }
        };
    for u in &t.users {
        let uid = s(u.id);
        // BFS over membership and nesting.
        let mut groups: BTreeSet<String> = BTreeSet::new();
        let mut q: VecDeque<String> = VecDeque::new();
        for m in t
            .memberships
            .iter()
            .filter(|m| t.users[m.user.idx()].id == u.id)
        {
            q.push_back(s(t.groups[m.group.idx()].id));
        }
        while let Some(g) = q.pop_front() {
            if groups.insert(g.clone()) {
                for p in parents.get(&g).into_iter().flatten() {
                    q.push_back(p.clone());
                }
            }
        }
        let mut asg = Vec::new();
        for a in &t.assignments {
            match a.subject.kind {
                SubjectKind::User if s(a.subject.id) == uid => asg.push((a, None)),
                SubjectKind::Group if groups.contains(&s(a.subject.id)) => {
                    asg.push((a, Some(s(a.subject.id))))
                }
                _ => {}
            }
        }
        let is_admin = asg.iter().any(|(a, _)| {
            t.index.role.get(&a.role_id).is_some_and(|r| {
                let r = &t.roles[r.idx()];
                r.builtin && ADMIN_NAMES.contains(&t.s(r.name))
            })
        });
        for a in &t.applications {
            if a.env != u.env || !a.enabled || t.s(a.kind) == "WORKER" {
                continue;
            }
            let rule = a.access.group.as_ref().filter(|g| !g.groups.is_empty());
            let (ok, via, sources) = match rule {
                Some(r) => {
                    let listed: BTreeSet<String> = r.groups.iter().map(|g| s(*g)).collect();
                    let hit: Vec<String> = listed
                        .iter()
                        .filter(|g| groups.contains(*g))
                        .cloned()
                        .collect();
                    let pass = match r.kind {
                        GroupRuleKind::AllGroups => hit.len() == listed.len(),
                        _ => !hit.is_empty(),
                    };
                    (
                        pass && (!a.access.admin_users_only || is_admin),
                        "GROUP",
                        hit.join(";"),
                    )
                }
                None if a.access.admin_users_only => (is_admin, "ADMIN_ROLE", String::new()),
                None => (true, "OPEN", String::new()),
            };
            if ok {
                rows.push((
                    "USER".into(),
                    uid.clone(),
                    "APPLICATION".into(),
                    s(a.id),
                    "ENVIRONMENT".into(),
                    s(t.environments[a.env.idx()].id),
                    via.into(),
                    sources,
                ));
            }
        }
        role_rows("USER", &uid, asg, &mut rows);
    }
    for a in &t.applications {
        let aid = s(a.id);
        let asg = t
            .assignments
            .iter()
            .filter(|x| x.subject.kind == SubjectKind::Application && s(x.subject.id) == aid)
            .map(|x| (x, None))
            .collect();
        role_rows("APPLICATION", &aid, asg, &mut rows);
        let mut scopes = BTreeSet::new();
        for g in t.grants.iter().filter(|g| s(g.application) == aid) {
            for sc in &g.scopes {
                scopes.insert((s(*sc), s(g.resource)));
            }
        }
        for (sc, res) in scopes {
            rows.push((
                "APPLICATION".into(),
                aid.clone(),
                "SCOPE".into(),
                sc,
                "RESOURCE".into(),
                res,
                "DIRECT".into(),
                "direct".into(),
            ));
        }
    }
    for g in &t.gateways {
        let gid = s(g.id);
        let asg = t
            .assignments
            .iter()
            .filter(|x| x.subject.kind == SubjectKind::Gateway && s(x.subject.id) == gid)
            .map(|x| (x, None))
            .collect();
        role_rows("GATEWAY", &gid, asg, &mut rows);
    }
    rows.sort_by(|a, b| {
        (&a.0, &a.1, &a.2, &a.3, &a.4, &a.5).cmp(&(&b.0, &b.1, &b.2, &b.3, &b.4, &b.5))
    });
    rows
}

/// The engine's rows, in the engine's order, reduced to the same columns.
fn engine(t: &Tenant) -> Vec<Row> {
    let r = Resolver::new(t);
    let mut bytes = Vec::new();
    let mut access = Access::default();
    let mut rb = RowBuf::default();
    for &id in r.identities_in_order() {
        r.resolve(id, &mut access);
        rb.rows(&r, &access, RowFormat::Csv, &mut bytes);
    }
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice());
    rd.records()
        .map(|rec| {
            let rec = rec.expect("engine CSV parses");
            let f = |i: usize| rec[i].to_string();
            (f(0), f(1), f(5), f(6), f(8), f(9), f(11), f(12))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
    #[test]
    fn resolver_matches_naive_reference(seed in any::<u64>()) {
        let t = random_tenant(seed);
        prop_assert_eq!(engine(&t), reference(&t));
    }
}
