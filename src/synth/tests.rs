use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::*;
use crate::export::read_export;
use crate::model::Tenant;

fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

fn make(users: u64, seed: u64, compress: bool) -> (tempfile::TempDir, PathBuf, SynthStats) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t");
    let opts = SynthOptions {
        users,
        seed,
        compress,
        ..SynthOptions::default()
    };
    let stats = generate(&opts, &out, &|_, _, _| {}).unwrap();
    (dir, out, stats)
}

#[test]
fn same_seed_gives_identical_bytes() {
    let (_a, pa, sa) = make(3000, 11, false);
    let (_b, pb, sb) = make(3000, 11, false);
    assert_eq!(sa, sb);
    let (fa, fb) = (files(&pa), files(&pb));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(v == &fb[k], "{} differs", k.display());
    }
}

#[test]
fn different_seed_gives_different_tenant() {
    let (_a, pa, _) = make(500, 1, false);
    let (_b, pb, _) = make(500, 2, false);
    let (fa, fb) = (files(&pa), files(&pb));
    assert_ne!(fa, fb);
    // The environment ids differ, so every environment directory differs.
    let dirs = |f: &BTreeMap<PathBuf, Vec<u8>>| -> BTreeSet<PathBuf> {
        f.keys()
            .filter_map(|k| k.parent().map(Path::to_path_buf))
            .collect()
    };
    assert_ne!(dirs(&fa), dirs(&fb));
}

#[test]
fn every_collection_exists_for_every_environment() {
    let (_d, p, stats) = make(200, 3, false);
    assert_eq!(stats.environments, 3);
    assert!(p.join("manifest.json").is_file());
    assert!(p.join("roles.jsonl").is_file());
    assert!(p.join("environments.jsonl").is_file());
    let envs: Vec<_> = std::fs::read_dir(p.join("environments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(envs.len(), 3);
    for env in envs {
        for c in ENV_COLLECTIONS {
            assert!(
                env.join(format!("{c}.jsonl")).is_file(),
                "{} lacks {c}",
                env.display()
            );
        }
    }
}

fn load_and_check(path: &Path, stats: &SynthStats) -> Tenant {
    let t = read_export(path).unwrap();
    assert_eq!(t.environments.len() as u64, stats.environments);
    assert_eq!(t.populations.len() as u64, stats.populations);
    assert_eq!(t.users.len() as u64, stats.users);
    assert_eq!(t.groups.len() as u64, stats.groups);
    assert_eq!(t.memberships.len() as u64, stats.memberships);
    assert_eq!(t.nestings.len() as u64, stats.nestings);
    assert_eq!(
        t.roles.len() as u64,
        stats.builtin_roles + stats.custom_roles
    );
    assert_eq!(t.assignments.len() as u64, stats.role_assignments);
    assert_eq!(t.applications.len() as u64, stats.applications);
    assert_eq!(t.resources.len() as u64, stats.resources);
    assert_eq!(t.scopes.len() as u64, stats.scopes);
    assert_eq!(t.grants.len() as u64, stats.grants);
    assert_eq!(t.gateways.len() as u64, stats.gateways);
    // Only the deliberate oddities may warn: dangling role ids and the skipped copies.
    for kind in t.warnings.counts.keys() {
        assert!(
            kind.contains("role is not in the snapshot") || kind.contains("group-derived"),
            "unexpected warning `{kind}`: {:?}",
            t.warnings.counts[kind]
        );
    }
    t
}

#[test]
fn loads_without_errors_and_counts_match() {
    let (_d, p, stats) = make(5000, 5, false);
    assert_eq!(stats.users, 5000);
    let t = load_and_check(&p, &stats);
    assert!(stats.role_assignment_copies > 0, "{stats:?}");
    assert!(stats.activities >= 9000, "{stats:?}");
    assert_eq!(t.manifest.region, "NA");
    assert!(t.manifest.activities.is_some());
    // The collector is a worker application of the snapshot.
    let collector = t
        .strings
        .get(&t.manifest.collector_client_id)
        .expect("collector id interned");
    assert!(t.index.app.contains_key(&collector));
    // Activities: one line each, unique ids.
    let mut ids = BTreeSet::new();
    let mut lines = 0;
    for env in std::fs::read_dir(p.join("environments")).unwrap() {
        let text = std::fs::read_to_string(env.unwrap().path().join("activities.jsonl")).unwrap();
        for l in text.lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            ids.insert(v["id"].as_str().unwrap().to_string());
            lines += 1;
        }
    }
    assert_eq!(lines, stats.activities);
    assert_eq!(ids.len() as u64, stats.activities);
}

#[test]
fn compressed_output_loads_the_same() {
    let (_d, p, stats) = make(1500, 8, true);
    assert!(p.join("roles.jsonl.zst").is_file());
    let t = load_and_check(&p, &stats);
    let (_d2, p2, stats2) = make(1500, 8, false);
    let t2 = load_and_check(&p2, &stats2);
    assert_eq!(t.users.len(), t2.users.len());
    assert_eq!(stats.json_bytes, stats2.json_bytes);
    assert!(stats.disk_bytes < stats2.disk_bytes);
}

#[test]
fn access_control_kinds_are_all_present() {
    let (_d, p, stats) = make(2000, 9, false);
    let t = load_and_check(&p, &stats);
    let mut kinds = BTreeSet::new();
    for a in &t.applications {
        let k = match (&a.access.group, a.access.admin_users_only) {
            (None, false) => "open",
            (None, true) => "admin",
            (Some(g), admin) if g.groups.is_empty() => {
                if admin {
                    "admin+empty"
                } else {
                    "empty"
                }
            }
            (Some(g), admin) => match (&g.kind, admin) {
                (crate::model::GroupRuleKind::AnyGroup, false) => "any",
                (crate::model::GroupRuleKind::AnyGroup, true) => "admin+any",
                (crate::model::GroupRuleKind::AllGroups, _) => "all",
                _ => "other",
            },
        };
        kinds.insert(k);
    }
    for k in ["open", "admin", "empty", "any", "admin+any", "all"] {
        assert!(kinds.contains(k), "no {k} application in {kinds:?}");
    }
    assert!(t.applications.iter().any(|a| !a.enabled));
}

#[test]
fn nesting_has_cycles_and_a_chain_of_depth_ten() {
    let (_d, p, stats) = make(3000, 4, false);
    let t = load_and_check(&p, &stats);
    let mut parents: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for n in &t.nestings {
        parents.entry(n.child.0).or_default().push(n.parent.0);
    }
    assert!(
        t.nestings.iter().any(|n| n.child == n.parent),
        "no self-loop"
    );
    // A cycle of length >= 3: some group reaches itself in 3+ distinct steps.
    fn longest(
        g: u32,
        parents: &BTreeMap<u32, Vec<u32>>,
        path: &mut Vec<u32>,
        cap: usize,
    ) -> usize {
        if path.len() > cap {
            return path.len() - 1;
        }
        let mut best = path.len() - 1;
        for &p in parents.get(&g).into_iter().flatten() {
            if !path.contains(&p) {
                path.push(p);
                best = best.max(longest(p, parents, path, cap));
                path.pop();
            }
        }
        best
    }
    let depth = parents
        .keys()
        .map(|&g| longest(g, &parents, &mut vec![g], 12))
        .max()
        .unwrap_or(0);
    assert!(depth >= 10, "longest simple nesting path is {depth}");
    let has_long_cycle = t.nestings.iter().any(|n| {
        // n.child -> n.parent -> ... -> n.child in at least 3 edges.
        let mut frontier = vec![(n.parent.0, 1usize)];
        let mut seen = BTreeSet::new();
        while let Some((g, d)) = frontier.pop() {
            if g == n.child.0 && d >= 3 {
                return true;
            }
            if d > 6 || !seen.insert((g, d)) {
                continue;
            }
            for &p in parents.get(&g).into_iter().flatten() {
                frontier.push((p, d + 1));
            }
        }
        false
    });
    assert!(has_long_cycle, "no nesting cycle of length 3 or more");
    assert!(
        t.groups.iter().any(|g| !g.user_filter.is_empty()),
        "no dynamic group"
    );
}

#[test]
fn role_assignments_cover_every_subject_and_scope() {
    let (_d, p, stats) = make(4000, 6, false);
    let t = load_and_check(&p, &stats);
    let subjects: BTreeSet<&str> = t
        .assignments
        .iter()
        .map(|a| a.subject.kind.as_str())
        .collect();
    assert_eq!(
        subjects,
        BTreeSet::from(["APPLICATION", "GATEWAY", "GROUP", "USER"])
    );
    let scopes: BTreeSet<&str> = t
        .assignments
        .iter()
        .map(|a| t.scope_kind_str(a.scope.kind))
        .collect();
    assert_eq!(
        scopes,
        BTreeSet::from([
            "APPLICATION",
            "ENVIRONMENT",
            "GROUP",
            "ORGANIZATION",
            "POPULATION"
        ])
    );
    assert!(
        t.assignments.iter().any(|a| a.role.is_none()),
        "no dangling role"
    );
    assert!(
        t.assignments.iter().any(|a| t.scope_is_dangling(a.scope)),
        "no dangling scope"
    );
    let org = t.organization.id;
    assert!(
        t.assignments
            .iter()
            .filter(|a| t.scope_kind_str(a.scope.kind) == "ORGANIZATION")
            .all(|a| a.scope.id == org)
    );
}

#[test]
fn rejects_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SynthOptions {
        environments: 0,
        ..SynthOptions::default()
    };
    assert!(matches!(
        generate(&opts, &dir.path().join("x"), &|_, _, _| {}),
        Err(SynthError::Options(_))
    ));
    assert!(!dir.path().join("x").exists());
}

#[test]
fn temp_helper_writes_a_loadable_export() {
    let (dir, stats) = generate_to_temp(300, 2).unwrap();
    let t = read_export(&dir.path().join("export")).unwrap();
    assert_eq!(t.users.len() as u64, stats.users);
}

#[test]
fn tiny_and_odd_shapes_load() {
    for (users, environments) in [(0, 3), (1, 3), (7, 1), (50, 2), (400, 7)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("t");
        let opts = SynthOptions {
            users,
            environments,
            ..SynthOptions::default()
        };
        let stats = generate(&opts, &out, &|_, _, _| {}).unwrap();
        assert_eq!(stats.users, users);
        assert_eq!(stats.environments, environments as u64);
        load_and_check(&out, &stats);
    }
}

#[test]
fn progress_reaches_the_totals() {
    let dir = tempfile::tempdir().unwrap();
    let seen = std::cell::RefCell::new(BTreeMap::<String, (u64, u64)>::new());
    let opts = SynthOptions {
        users: 40_000,
        ..SynthOptions::default()
    };
    let stats = generate(&opts, &dir.path().join("t"), &|phase, done, total| {
        seen.borrow_mut().insert(phase.to_string(), (done, total));
    })
    .unwrap();
    let seen = seen.into_inner();
    assert_eq!(seen["users"], (stats.users, stats.users));
    assert_eq!(seen["activities"], (stats.activities, stats.activities));
}

// ---------------------------------------------------------------------------------------------
// The attack-path model's capabilities (attack-paths.md section 2) are all present.

fn role_named<'t>(t: &'t Tenant, name: &str, builtin: bool) -> &'t crate::model::Role {
    t.roles
        .iter()
        .find(|r| t.s(r.name) == name && r.builtin == builtin)
        .unwrap_or_else(|| panic!("no role {name}"))
}

fn perms(t: &Tenant, r: &crate::model::Role) -> BTreeSet<String> {
    r.permissions.iter().map(|&p| t.s(p).to_string()).collect()
}

fn applicable(t: &Tenant, r: &crate::model::Role) -> Vec<String> {
    r.applicable_to
        .iter()
        .map(|&p| t.s(p).to_string())
        .collect()
}

#[test]
fn builtin_roles_carry_pingone_permission_ids_and_applicable_to() {
    let (_d, p, stats) = make(60, 1, false);
    let t = load_and_check(&p, &stats);
    let reset = |n: &str| perms(&t, role_named(&t, n, true)).contains("dir:reset:userPassword");
    let add = |n: &str| perms(&t, role_named(&t, n, true)).contains("dir:create:groupMembership");
    for n in [
        "Organization Admin",
        "Environment Admin",
        "Identity Data Admin",
        "Help Desk Admin",
    ] {
        assert!(reset(n), "{n} cannot reset passwords");
    }
    for n in [
        "Organization Admin",
        "Environment Admin",
        "Identity Data Admin",
    ] {
        assert!(add(n), "{n} cannot add members");
    }
    assert!(!add("Help Desk Admin"));
    for n in [
        "Identity Data Read Only",
        "Configuration Read Only",
        "DaVinci Admin Read Only",
    ] {
        let r = role_named(&t, n, true);
        assert!(r.read_only, "{n} is not read-only");
        assert!(
            perms(&t, r)
                .iter()
                .all(|p| p.split(':').nth(1) == Some("read"))
        );
    }
    assert_eq!(
        applicable(&t, role_named(&t, "Organization Admin", true)),
        ["ORGANIZATION"]
    );
    assert_eq!(
        applicable(&t, role_named(&t, "Environment Admin", true)),
        ["ORGANIZATION", "ENVIRONMENT"]
    );
    for n in ["Identity Data Admin", "Help Desk Admin"] {
        assert_eq!(
            applicable(&t, role_named(&t, n, true)),
            ["ENVIRONMENT", "POPULATION"]
        );
    }
    assert!(t.roles.iter().all(|r| !r.applicable_to.is_empty()));
    // Custom roles: assignable through canBeAssignedBy; one named like a built-in, by nobody.
    let builtin_ids: BTreeSet<_> = t.roles.iter().filter(|r| r.builtin).map(|r| r.id).collect();
    let custom: Vec<_> = t.roles.iter().filter(|r| !r.builtin).collect();
    assert!(custom.iter().any(|r| !r.can_be_assigned_by.is_empty()));
    assert!(
        custom
            .iter()
            .flat_map(|r| &r.can_be_assigned_by)
            .all(|a| builtin_ids.contains(a))
    );
    let fake = role_named(&t, "Environment Admin", false);
    assert!(fake.can_be_assigned_by.is_empty());
    let lead = role_named(&t, "Team Lead", false);
    assert!(applicable(&t, lead).contains(&"GROUP".to_string()));
    assert!(perms(&t, lead).contains("dir:reset:userPassword"));
}

/// The three-step chain of `plan::escalation_chain`, found in the loaded tenant: an active
/// password resetter at a population, an active member-manager in that population, a static
/// group holding Identity Data Admin at the environment, an active Environment Admin outside
/// the population; plus a disabled and a locked admin.
fn has_chain(t: &Tenant) -> bool {
    use crate::model::{ScopeKind, SubjectKind};
    let id = |n: &str, b: bool| role_named(t, n, b).id;
    let (ida, ea) = (
        id("Identity Data Admin", true),
        id("Environment Admin", true),
    );
    let steward = id("HR Data Steward", false);
    let resetters = [id("Help Desk Admin", true), id("Support L2", false)];
    let user = |s: crate::model::Sym| t.index.user.get(&s).map(|u| &t.users[u.idx()]);
    let direct = |role: crate::model::Sym, kind: ScopeKind| {
        t.assignments
            .iter()
            .filter(move |a| {
                a.subject.kind == SubjectKind::User && a.role_id == role && a.scope.kind == kind
            })
            .filter_map(move |a| user(a.subject.id).map(|u| (u, a)))
            .filter(|(u, _)| u.is_active())
    };
    direct(steward, ScopeKind::Environment).any(|(b, sa)| {
        let env = sa.scope.id;
        let group_ok = t.assignments.iter().any(|a| {
            a.subject.kind == SubjectKind::Group
                && a.role_id == ida
                && a.scope.id == env
                && t.index
                    .group
                    .get(&a.subject.id)
                    .is_some_and(|g| t.groups[g.idx()].user_filter.is_empty())
        });
        let resetter_ok = resetters
            .iter()
            .any(|&r| direct(r, ScopeKind::Population).any(|(_, a)| a.scope.id == b.population));
        let target_ok = direct(ea, ScopeKind::Environment)
            .any(|(c, a)| a.scope.id == env && c.population != b.population);
        group_ok && resetter_ok && target_ok
    })
}

#[test]
fn escalation_chains_and_near_misses_occur_at_every_size() {
    for (users, seed) in [(60, 1), (61, 9), (500, 2), (3000, 3), (40_000, 4)] {
        let (_d, p, stats) = make(users, seed, false);
        let t = load_and_check(&p, &stats);
        assert!(has_chain(&t), "{users} users: no escalation chain");
        let admins_off = |f: fn(&crate::model::User) -> bool| {
            t.assignments.iter().any(|a| {
                t.index
                    .user
                    .get(&a.subject.id)
                    .is_some_and(|u| f(&t.users[u.idx()]))
            })
        };
        assert!(admins_off(|u| !u.enabled), "{users}: no disabled admin");
        assert!(admins_off(|u| u.locked), "{users}: no locked admin");
        assert!(
            t.assignments
                .iter()
                .any(|a| a.scope.kind == crate::model::ScopeKind::Group),
            "{users}: no role at GROUP scope"
        );
        assert!(
            t.groups.iter().any(|g| !g.user_filter.is_empty()),
            "{users}: no dynamic group"
        );
    }
}

#[test]
fn group_heavy_profile_has_many_nested_groups() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t");
    let opts = SynthOptions {
        users: 3000,
        seed: 5,
        profile: SynthProfile::GroupHeavy,
        ..SynthOptions::default()
    };
    let stats = generate(&opts, &out, &|_, _, _| {}).unwrap();
    let t = load_and_check(&out, &stats);
    let (_d2, _p2, standard) = make(3000, 5, false);
    assert!(
        stats.groups >= 3 * standard.groups,
        "{} groups",
        stats.groups
    );
    assert!(
        stats.nestings * 5 >= stats.groups,
        "{} nestings",
        stats.nestings
    );
    assert!(has_chain(&t));
    assert_eq!(
        SynthProfile::parse("group-heavy"),
        Some(SynthProfile::GroupHeavy)
    );
    assert_eq!(
        SynthProfile::parse("standard"),
        Some(SynthProfile::Standard)
    );
    assert_eq!(SynthProfile::parse("huge"), None);
}
