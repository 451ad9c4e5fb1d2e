//! Round trip, integrity and layout tests of the snapshot format.

use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::*;
use crate::export::manifest::{
    ActivityWindow, CollectorRef, CoverageEntry, ManifestFile, OrganizationRef,
};
use crate::export::{ExportWriter, read_export};
use crate::model::*;

const ORG: &str = "6c1c3a4e-0d2b-4a8e-9f5b-1a2b3c4d5e6f";
const PROD: &str = "1f0c6d9e-prod-4f7a-8c51-7d4c2f1e0a11";
const ADMIN: &str = "7a2e9b14-admn-4c3d-9e8f-0b1a2c3d4e5f";

/// A small but complete tenant in the export format: two environments, users with every field,
/// groups with nesting, built-in and custom roles, assignments with a missing role and an
/// unknown scope type, applications with each kind of access control, resources, scopes, grants,
/// a gateway, activities (so the usage ledger is not empty), and a coverage gap.
fn write_fixture(dir: &Path) -> PathBuf {
    let dest = dir.join("export");
    let mut w = ExportWriter::create(&dest, false).unwrap();
    w.write(
        "roles",
        &json!({"id": "r-org-admin", "name": "Organization Admin", "type": "PLATFORM",
        "permissions": [{"id": "orgmgt:create:environment"}, {"id": "orgmgt:read:environment"}]}),
    )
    .unwrap();
    w.write(
        "roles",
        &json!({"id": "r-env-admin", "name": "Environment Admin", "type": "PLATFORM",
        "permissions": [{"id": "orgmgt:update:environment"}]}),
    )
    .unwrap();
    w.write(
        "roles",
        &json!({"id": "r-readonly", "name": "Identity Data Read Only", "type": "PLATFORM",
        "permissions": [{"id": "users:read:user"}, {"id": "groups:read:group"}]}),
    )
    .unwrap();
    for (id, name, kind) in [
        (PROD, "Production", "PRODUCTION"),
        (ADMIN, "Administrators", "SANDBOX"),
    ] {
        w.write(
            "environments",
            &json!({"id": id, "name": name, "type": kind, "region": "NA",
            "organization": {"id": ORG}}),
        )
        .unwrap();
    }
    let e = |c: &str| format!("environments/{PROD}/{c}");
    let a = |c: &str| format!("environments/{ADMIN}/{c}");
    w.write(
        &e("populations"),
        &json!({"id": "pop-staff", "name": "Staff", "default": true}),
    )
    .unwrap();
    w.write(
        &e("populations"),
        &json!({"id": "pop-contractors", "name": "Contractors"}),
    )
    .unwrap();
    w.write(&e("users"), &json!({"id": "u-ada", "username": "ada.lovelace", "name": {"formatted": "Ada Lovelace"},
        "enabled": true, "population": {"id": "pop-staff"}, "lastSignOn": {"at": "2026-10-30T08:15:00.120Z"},
        "mfaEnabled": true, "createdAt": "2024-01-02T03:04:05Z", "identityProvider": {"type": "PING_ONE"}}))
        .unwrap();
    w.write(&e("users"), &json!({"id": "u-grace", "username": "grace.hopper", "name": {"given": "Grace", "family": "Hopper"},
        "enabled": true, "account": {"status": "LOCKED"}, "population": {"id": "pop-staff"}, "mfaEnabled": false}))
        .unwrap();
    w.write(
        &e("users"),
        &json!({"id": "u-linus", "username": "linus.t", "enabled": false,
        "population": {"id": "pop-gone"}, "identityProvider": {"type": "SAML"}}),
    )
    .unwrap();
    w.write(
        &e("users"),
        &json!({"id": "u-zoë", "username": "zoë.ünïcode", "name": {"formatted": "Zoë Ünïcode"}}),
    )
    .unwrap();
    w.write(&e("groups"), &json!({"id": "g-eng", "name": "Engineering"}))
        .unwrap();
    w.write(
        &e("groups"),
        &json!({"id": "g-platform", "name": "Platform", "population": {"id": "pop-staff"}}),
    )
    .unwrap();
    w.write(
        &e("groups"),
        &json!({"id": "g-dyn", "name": "Everyone in Staff",
        "userFilter": "population.id eq \"pop-staff\""}),
    )
    .unwrap();
    w.write(
        &e("roles"),
        &json!({"id": "r-custom", "name": "Helpdesk", "type": "CUSTOM",
        "permissions": [{"id": "users:update:user"}]}),
    )
    .unwrap();
    w.write(&e("applications"), &json!({"id": "app-admin", "name": "Admin Console", "type": "WEB_APP",
        "protocol": "OPENID_CONNECT", "enabled": true, "accessControl": {"role": {"type": "ADMIN_USERS_ONLY"}}}))
        .unwrap();
    w.write(&e("applications"), &json!({"id": "app-any", "name": "Wiki", "type": "WEB_APP", "protocol": "SAML",
        "enabled": true, "accessControl": {"group": {"type": "ANY_GROUP", "groups": [{"id": "g-eng"}, {"id": "g-missing"}]}}}))
        .unwrap();
    w.write(&e("applications"), &json!({"id": "app-all", "name": "Payroll", "type": "WEB_APP", "enabled": true,
        "accessControl": {"group": {"type": "ALL_GROUPS", "groups": [{"id": "g-eng"}, {"id": "g-platform"}]}}}))
        .unwrap();
    w.write(&e("applications"), &json!({"id": "app-odd", "name": "Odd", "type": "SINGLE_PAGE_APP", "enabled": false,
        "accessControl": {"role": {"type": "SOMETHING_NEW"}, "group": {"type": "SOME_GROUPS", "groups": [{"id": "g-eng"}]}}}))
        .unwrap();
    w.write(
        &e("applications"),
        &json!({"id": "app-open", "name": "Portal", "type": "PING_ONE_PORTAL", "enabled": true}),
    )
    .unwrap();
    w.write(
        &e("applications"),
        &json!({"id": "app-worker", "name": "Provisioner", "type": "WORKER",
        "protocol": "OPENID_CONNECT", "enabled": true}),
    )
    .unwrap();
    w.write(
        &e("resources"),
        &json!({"id": "res-api", "name": "Orders API", "type": "CUSTOM"}),
    )
    .unwrap();
    w.write_child(
        &e("scopes"),
        "RESOURCE",
        "res-api",
        &json!({"id": "sc-read", "name": "orders:read",
        "resource": {"id": "res-api"}}),
    )
    .unwrap();
    w.write_child(
        &e("scopes"),
        "RESOURCE",
        "res-api",
        &json!({"id": "sc-write", "name": "orders:write",
        "resource": {"id": "res-api"}}),
    )
    .unwrap();
    w.write_child(
        &e("grants"),
        "APPLICATION",
        "app-worker",
        &json!({"id": "gr-1", "resource": {"id": "res-api"},
        "scopes": [{"id": "sc-read"}, {"id": "sc-write"}]}),
    )
    .unwrap();
    w.write_child(
        &e("grants"),
        "APPLICATION",
        "app-any",
        &json!({"id": "gr-2", "resource": {"id": "res-api"}}),
    )
    .unwrap();
    w.write(
        &e("gateways"),
        &json!({"id": "gw-ldap", "name": "Corp LDAP", "type": "LDAP", "enabled": true}),
    )
    .unwrap();
    for (u, g) in [
        ("u-ada", "g-eng"),
        ("u-grace", "g-eng"),
        ("u-grace", "g-platform"),
        ("u-linus", "g-dyn"),
    ] {
        w.write_child(
            &e("user_memberships"),
            "USER",
            u,
            &json!({"id": g, "type": "DIRECT"}),
        )
        .unwrap();
    }
    w.write_child(
        &e("group_parents"),
        "GROUP",
        "g-platform",
        &json!({"id": "g-eng"}),
    )
    .unwrap();
    w.write_child(
        &e("role_assignments"),
        "USER",
        "u-ada",
        &json!({"id": "ra-1", "role": {"id": "r-org-admin"},
        "scope": {"id": ORG, "type": "ORGANIZATION"}}),
    )
    .unwrap();
    w.write_child(
        &e("role_assignments"),
        "GROUP",
        "g-eng",
        &json!({"id": "ra-2", "role": {"id": "r-custom"},
        "scope": {"id": "pop-staff", "type": "POPULATION"}, "readOnly": true}),
    )
    .unwrap();
    w.write_child(
        &e("role_assignments"),
        "USER",
        "u-grace",
        &json!({"id": "ra-3", "role": {"id": "r-deleted"},
        "scope": {"id": PROD, "type": "ENVIRONMENT"}}),
    )
    .unwrap();
    w.write_child(
        &e("role_assignments"),
        "APPLICATION",
        "app-worker",
        &json!({"id": "ra-4",
        "role": {"id": "r-env-admin"}, "scope": {"id": "x-1", "type": "FUTURE_SCOPE"}}),
    )
    .unwrap();
    w.write_child(
        &e("role_assignments"),
        "GATEWAY",
        "gw-ldap",
        &json!({"id": "ra-5", "role": {"id": "r-readonly"},
        "scope": {"id": "app-admin", "type": "APPLICATION"}}),
    )
    .unwrap();
    w.write(&e("activities"), &json!({"id": "ev-1", "recordedAt": "2026-10-29T10:00:00Z",
        "action": {"type": "USER.ACCESS_ALLOWED"}, "actors": {"user": {"id": "u-ada"}, "client": {"id": "app-any"}}}))
        .unwrap();
    w.write(&e("activities"), &json!({"id": "ev-2", "recordedAt": "2026-10-30T11:00:00Z",
        "action": {"type": "ROLE_ASSIGNMENT.CREATED"}, "actors": {"user": {"id": "u-ada"}, "client": {"id": "adminui"}}}))
        .unwrap();
    w.write(&e("activities"), &json!({"id": "ev-3", "recordedAt": "2026-10-30T12:00:00Z",
        "action": {"type": "USER.ACCESS_DENIED"}, "actors": {"user": {"id": "u-grace"}}, "result": {"status": "FAILED"}}))
        .unwrap();
    w.touch(&a("users")).unwrap();
    w.write(
        &a("users"),
        &json!({"id": "u-admin", "username": "root", "enabled": true}),
    )
    .unwrap();
    let mut m = ManifestFile::new();
    m.captured_at = Some("2026-11-01T00:00:00Z".into());
    m.region = Some("NA".into());
    m.organization = Some(OrganizationRef {
        id: ORG.into(),
        name: "Example Corp".into(),
    });
    m.collector = Some(CollectorRef {
        environment_id: ADMIN.into(),
        client_id: "app-collector".into(),
    });
    m.activities = Some(ActivityWindow {
        from: "2026-10-18T00:00:00Z".into(),
        to: "2026-11-01T00:00:00Z".into(),
    });
    m.coverage = vec![CoverageEntry {
        collection: format!("environments/{ADMIN}/activities"),
        status: "denied".into(),
        detail: "403 INSUFFICIENT_PERMISSIONS".into(),
    }];
    w.finish(&m).unwrap()
}

fn fixture_tenant(dir: &Path) -> Tenant {
    read_export(&write_fixture(dir)).unwrap()
}

/// `{:?}` of `v` with every `Sym(n)` replaced by its text in `t`: the snapshot writer numbers
/// symbols anew ([`super::layout`]), so two tenants are compared by the text behind every field.
/// Working on the `Debug` form reaches every symbol field of every entity, including ones added
/// later, without listing them.
fn text_of(t: &Tenant, v: &impl std::fmt::Debug) -> String {
    let raw = format!("{v:?}");
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw.as_str();
    while let Some(i) = rest.find("Sym(") {
        // `Sym(` preceded by an identifier character is another name (`ScopeSym(`, say).
        let inside = rest[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after = &rest[i + 4..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&rest[..i]);
        if !inside && digits > 0 && after[digits..].starts_with(')') {
            let n: u32 = after[..digits].parse().unwrap();
            out.push_str(&format!("{:?}", t.s(Sym(n))));
            rest = &after[digits + 1..];
        } else {
            out.push_str("Sym(");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Every stored part of two tenants says the same: the same text behind every field of every
/// row, rows in the same order (the usage ledger, sorted by symbol, is compared as a set), and
/// the derived index finds the same ids.
fn assert_same_tenant(a: &Tenant, b: &Tenant) {
    assert_eq!(a.strings.len(), b.strings.len(), "strings");
    assert_eq!(a.manifest, b.manifest, "manifest");
    assert_eq!(a.warnings, b.warnings, "warnings");
    macro_rules! same {
        ($($field:ident).+) => {
            assert_eq!(text_of(a, &a.$($field).+), text_of(b, &b.$($field).+), stringify!($($field).+));
        };
    }
    same!(organization);
    same!(environments);
    same!(populations);
    same!(users);
    same!(groups);
    same!(memberships);
    same!(nestings);
    same!(roles);
    same!(assignments);
    same!(applications);
    same!(resources);
    same!(scopes);
    same!(grants);
    same!(gateways);
    same!(usage.covered);
    same!(usage.high_water);
    same!(usage.events_seen);
    let rows = |t: &Tenant| {
        let mut v: Vec<String> = t.usage.actors.iter().map(|r| text_of(t, r)).collect();
        v.extend(t.usage.app_uses.iter().map(|r| text_of(t, r)));
        v.sort();
        v
    };
    assert_eq!(rows(a), rows(b), "usage rows");
    // The ledger's binary searches find every row of the other tenant.
    for x in &a.usage.actors {
        let id = b.strings.get(a.s(x.id)).expect("actor id");
        assert_eq!(text_of(b, &b.usage.actor(id)), text_of(a, &Some(x)));
    }
    for x in &a.usage.app_uses {
        let (u, app) = (b.strings.get(a.s(x.user)), b.strings.get(a.s(x.app)));
        assert_eq!(b.usage.app_use(u.unwrap(), app.unwrap()), Some(x.last));
    }
    let ids = |t: &Tenant| {
        let mut v: Vec<(String, UserId)> = t
            .index
            .user
            .iter()
            .map(|(k, v)| (t.s(k).to_string(), v))
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(a), ids(b), "user index");
    assert_eq!(a.index.group.len(), b.index.group.len(), "group index");
    assert_eq!(a.index.app.len(), b.index.app.len(), "application index");
}

/// The text comparison itself: it sees a symbol that points at other text, and is not fooled
/// by equal numbers.
#[test]
fn text_comparison_sees_a_symbol_with_other_text() {
    let dir = tempfile::tempdir().unwrap();
    let t = fixture_tenant(dir.path());
    let mut moved = t.clone();
    let u = &mut moved.users[0];
    u.username = u.display_name;
    assert_ne!(text_of(&t, &t.users), text_of(&moved, &moved.users));
    assert!(text_of(&t, &t.users[0]).contains(&format!("{:?}", t.s(t.users[0].id))));
    let caught = std::panic::catch_unwind(|| assert_same_tenant(&t, &moved));
    assert!(caught.is_err());
}

/// The writer's layout is a fixed point: a loaded snapshot saved again gives the same bytes,
/// and a tenant read from an export in any user order gives the same users' strings first.
#[test]
fn the_string_layout_is_stable_across_saves() {
    let dir = tempfile::tempdir().unwrap();
    let t = fixture_tenant(dir.path());
    let (a, b) = (dir.path().join("a.p1g"), dir.path().join("b.p1g"));
    save(&t, &a).unwrap();
    let back = load(&a).unwrap();
    save(&back, &b).unwrap();
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
    assert_eq!(back.strings.parts(), load(&b).unwrap().strings.parts());
    // Users' ids are numbered in id order, from symbol 1.
    let mut ids: Vec<(&str, Sym)> = back.users.iter().map(|u| (back.s(u.id), u.id)).collect();
    ids.sort();
    assert!(ids.windows(2).all(|w| w[0].1 < w[1].1), "{ids:?}");
    assert!(ids.iter().all(|(_, s)| s.0 <= 3 * back.users.len() as u32));
}

#[test]
fn fixture_exercises_every_optional_shape() {
    let dir = tempfile::tempdir().unwrap();
    let t = fixture_tenant(dir.path());
    // Guard against a fixture that silently stops covering a case.
    assert!(
        t.assignments.iter().any(|a| a.role.is_none()),
        "missing role"
    );
    assert!(
        t.assignments
            .iter()
            .any(|a| matches!(a.scope.kind, ScopeKind::Unknown(_))),
        "unknown scope"
    );
    assert!(t.applications.iter().any(|a| a.access.admin_users_only));
    assert!(
        t.applications
            .iter()
            .any(|a| a.access.unknown_role_type.is_some())
    );
    for k in [GroupRuleKind::AnyGroup, GroupRuleKind::AllGroups] {
        assert!(
            t.applications
                .iter()
                .any(|a| a.access.group.as_ref().is_some_and(|g| g.kind == k))
        );
    }
    assert!(t.applications.iter().any(|a| matches!(
        a.access.group.as_ref().map(|g| g.kind),
        Some(GroupRuleKind::Unknown(_))
    )));
    assert!(
        t.applications
            .iter()
            .any(|a| a.access.group.is_none() && !a.access.admin_users_only)
    );
    assert!(t.roles.iter().any(|r| r.env.is_some()) && t.roles.iter().any(|r| r.read_only));
    assert!(
        t.users.iter().any(|u| u.mfa_enabled == Some(false))
            && t.users.iter().any(|u| u.mfa_enabled.is_none())
    );
    assert!(t.users.iter().any(|u| u.locked) && t.users.iter().any(|u| u.last_sign_on.is_some()));
    assert!(
        !t.nestings.is_empty()
            && !t.grants.is_empty()
            && !t.scopes.is_empty()
            && !t.gateways.is_empty()
    );
    assert!(
        !t.usage.actors.is_empty() && !t.usage.app_uses.is_empty() && !t.usage.covered.is_empty()
    );
    assert!(!t.warnings.is_empty() && !t.manifest.coverage.is_empty());
}

#[test]
fn round_trip_keeps_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let t = fixture_tenant(dir.path());
    let path = dir.path().join("t.p1g");
    let saved = save(&t, &path).unwrap();
    let back = load(&path).unwrap();
    assert_same_tenant(&t, &back);
    // Behaviour that goes through the index agrees too.
    assert_eq!(
        back.scope_name(back.assignments[0].scope),
        t.scope_name(t.assignments[0].scope)
    );
    assert_eq!(info(&path).unwrap(), saved);
    assert!(saved.is_intact());
    assert_eq!(saved.counts.users, t.users.len() as u64);
    assert!(is_snapshot(&path));
    assert!(!is_snapshot(dir.path()));
    assert!(!is_snapshot(&dir.path().join("export/manifest.json")));
}

#[test]
fn empty_tenant_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.p1g");
    let t = Tenant::default();
    save(&t, &path).unwrap();
    assert_same_tenant(&t, &load(&path).unwrap());
}

#[test]
fn save_is_deterministic_and_replaces_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let t = fixture_tenant(dir.path());
    let (a, b) = (dir.path().join("a.p1g"), dir.path().join("b.p1g"));
    save(&t, &a).unwrap();
    save(&t, &b).unwrap();
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
    // Saving over an existing snapshot replaces it and leaves no temporary file behind.
    save(&Tenant::default(), &a).unwrap();
    assert_eq!(load(&a).unwrap().users.len(), 0);
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn refuses_to_replace_a_file_that_is_not_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    fs::write(&path, "keep me").unwrap();
    let err = save(&Tenant::default(), &path).unwrap_err();
    assert!(matches!(err, SnapshotError::Write { .. }), "{err}");
    assert_eq!(fs::read_to_string(&path).unwrap(), "keep me");
}

#[cfg(unix)]
#[test]
fn file_mode_is_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.p1g");
    // An existing, more open snapshot is replaced by a private one.
    save(&Tenant::default(), &path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    save(&Tenant::default(), &path).unwrap();
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

fn small_snapshot() -> (tempfile::TempDir, PathBuf, Vec<u8>, Tenant) {
    let dir = tempfile::tempdir().unwrap();
    let t = fixture_tenant(dir.path());
    let path = dir.path().join("t.p1g");
    save(&t, &path).unwrap();
    let bytes = fs::read(&path).unwrap();
    (dir, path, bytes, t)
}

#[test]
fn truncation_at_every_offset_is_a_clean_error() {
    let (dir, _, bytes, _) = small_snapshot();
    let cut = dir.path().join("cut.p1g");
    for len in 0..bytes.len() {
        fs::write(&cut, &bytes[..len]).unwrap();
        match load(&cut) {
            Err(SnapshotError::Truncated { .. }) => {}
            other => panic!("cut at {len}: expected a truncation error, got {other:?}"),
        }
        assert!(info(&cut).is_err(), "info, cut at {len}");
    }
}

/// `load` reads the string arena into a buffer of its own; the result is the tenant `decode`
/// gets from the whole file, and the arena is exactly the strings section's.
#[test]
fn the_arena_read_apart_gives_the_same_tenant() {
    let (_dir, path, bytes, t) = small_snapshot();
    let Apart { rest, arena } = read_apart(&path)
        .unwrap()
        .expect("a snapshot we wrote reads apart");
    assert_eq!(rest.len() + arena.len(), bytes.len());
    let whole = decode(bytes, &path).unwrap();
    let (whole_arena, whole_ends) = whole.strings.parts();
    assert_eq!(arena, whole_arena.as_bytes());
    let apart = load(&path).unwrap();
    assert_eq!(apart.strings.parts(), (whole_arena, whole_ends));
    assert_same_tenant(&whole, &apart);
    assert_same_tenant(&t, &apart);
}

/// Files that cannot be read apart (cut short, foreign, another first section) are read whole,
/// and the error is the one reading them whole gives.
#[test]
fn files_that_cannot_be_read_apart_are_read_whole() {
    let (dir, _, bytes, _) = small_snapshot();
    let bad = dir.path().join("bad.p1g");
    for cut in [
        0,
        10,
        PREFIX_LEN,
        PREFIX_LEN + 40,
        bytes.len() / 2,
        bytes.len() - 1,
    ] {
        fs::write(&bad, &bytes[..cut]).unwrap();
        assert!(read_apart(&bad).unwrap().is_none(), "cut at {cut}");
        let (a, b) = (
            load(&bad).unwrap_err(),
            decode(bytes[..cut].to_vec(), &bad).unwrap_err(),
        );
        assert_eq!(a.to_string(), b.to_string(), "cut at {cut}");
    }
    fs::write(
        &bad,
        b"not a snapshot at all, but long enough to hold a prefix",
    )
    .unwrap();
    assert!(read_apart(&bad).unwrap().is_none());
    assert!(matches!(load(&bad), Err(SnapshotError::Foreign { .. })));
}

/// A forged arena that is not UTF-8 (checksums fixed) is refused by name, not a panic.
#[test]
fn a_forged_arena_that_is_not_utf8_is_refused() {
    let (dir, _, bytes, _) = small_snapshot();
    let bad = dir.path().join("forged.p1g");
    let forged = forge(&bytes, SectionKind::Strings, |raw| {
        // The arena starts after its 8-byte length; its first string is the empty one, so its
        // first byte belongs to the second string.
        raw[8] = 0xFF;
    });
    fs::write(&bad, forged).unwrap();
    assert!(read_apart(&bad).unwrap().is_some());
    let err = load(&bad).unwrap_err();
    assert_eq!(err.section(), Some("strings"), "{err}");
    // Read apart or whole, the same message (found by the `snapshot` fuzz target).
    let whole = decode(fs::read(&bad).unwrap(), &bad).unwrap_err();
    assert_eq!(err.to_string(), whole.to_string());

    // And with the end offsets' length forged too: the arena is judged first on both paths, as
    // the codec reads the arena before the offsets (found by the fuzz target, second run).
    let forged = forge(&bytes, SectionKind::Strings, |raw| {
        raw[8] = 0xFF;
        let arena_len = u64::from_le_bytes(raw[..8].try_into().unwrap()) as usize;
        raw[8 + arena_len..16 + arena_len].copy_from_slice(&u64::MAX.to_le_bytes());
    });
    fs::write(&bad, forged).unwrap();
    assert!(read_apart(&bad).unwrap().is_some());
    let err = load(&bad).unwrap_err();
    let whole = decode(fs::read(&bad).unwrap(), &bad).unwrap_err();
    assert_eq!(err.to_string(), whole.to_string());
    assert!(err.to_string().contains("utf-8"), "{err}");
}

/// A header that claims a string arena far larger than the file is not read apart (no buffer is
/// sized by the claim: under the fuzzer's allocator, a claim of exabytes aborted); reading it
/// whole gives the error.
#[test]
fn a_claimed_arena_larger_than_the_file_is_read_whole() {
    let (dir, _, bytes, _) = small_snapshot();
    let frame = parse_frame(&bytes, Path::new("x")).unwrap();
    let mut header = frame.header.clone();
    let claimed: u64 = 1 << 40;
    header.sections[0].stored_len = claimed + 16;
    let hb = codec::encode(&header).unwrap();
    let old: Prefix = codec::decode(&bytes[..PREFIX_BODY_LEN]).unwrap();
    let old_header_len = old.header_len as usize;
    assert_eq!(hb.len(), old_header_len, "fixed-width header fields");
    let prefix = Prefix {
        header_crc: crc32fast::hash(&hb),
        ..old
    };
    let mut out = codec::encode(&prefix).unwrap();
    let c = crc32fast::hash(&out);
    out.extend_from_slice(&c.to_le_bytes());
    out.extend_from_slice(&hb);
    let body = &bytes[PREFIX_LEN + old_header_len..];
    out.extend_from_slice(&claimed.to_le_bytes());
    out.extend_from_slice(&body[8..]);
    assert_eq!(out.len(), bytes.len());
    let bad = dir.path().join("claims.p1g");
    fs::write(&bad, &out).unwrap();
    assert!(read_apart(&bad).unwrap().is_none());
    let err = load(&bad).unwrap_err();
    assert_eq!(err.to_string(), decode(out, &bad).unwrap_err().to_string());
}

/// [`unpack`] of `stored` as a zstd section of `kind` whose table entry claims `raw_len` bytes.
fn unpack_zstd(kind: SectionKind, stored: &[u8], raw_len: u64) -> Result<Vec<u8>, SnapshotError> {
    let s = SectionWire {
        kind: kind.code(),
        compression: 1,
        crc: crc32fast::hash(stored),
        offset: 0,
        stored_len: stored.len() as u64,
        raw_len,
    };
    unpack(Path::new("x.p1g"), kind, &s, stored).map(|raw| raw.into_owned())
}

/// A zstd section whose header and frame both claim more than its bytes could ever decompress
/// to is refused before any buffer is sized by the claim (without the bound, 1 TiB was asked of
/// the allocator and the error was "cannot allocate").
#[test]
fn a_claimed_raw_length_beyond_what_zstd_can_yield_is_refused() {
    let claimed: u64 = 1 << 40;
    // A frame header: magic, descriptor (single segment, 8-byte content size), the size, then
    // one last RLE block of 128 KiB.
    let mut stored = vec![0x28, 0xB5, 0x2F, 0xFD, 0xE0];
    stored.extend_from_slice(&claimed.to_le_bytes());
    let block: u32 = 1 | (1 << 1) | ((128 << 10) << 3);
    stored.extend_from_slice(&block.to_le_bytes()[..3]);
    stored.push(b'x');
    assert!(matches!(
        zstd::zstd_safe::get_frame_content_size(&stored),
        Ok(Some(n)) if n == claimed
    ));
    let err = unpack_zstd(SectionKind::Users, &stored, claimed).unwrap_err();
    assert_eq!(err.section(), Some("users"), "{err}");
    assert!(err.to_string().contains("more than 64 times"), "{err}");
}

/// A genuine zstd frame that expands 64 MiB of zeros from a few KiB (a decompression bomb) is
/// refused before it is decompressed; the writer stores such a section uncompressed instead.
#[test]
fn a_genuine_decompression_bomb_is_refused_and_never_written() {
    let raw = vec![0u8; 64 << 20];
    let stored = zstd::bulk::compress(&raw, ZSTD_LEVEL).unwrap();
    assert!(stored.len() < 64 << 10, "{} bytes", stored.len());
    let err = unpack_zstd(SectionKind::Usage, &stored, raw.len() as u64).unwrap_err();
    assert_eq!(err.section(), Some("usage"), "{err}");
    assert!(err.to_string().contains("decompression bomb"), "{err}");
    assert!(!worth_compressing(raw.len(), stored.len()));
    // Within the bound, a section that saves a quarter is compressed.
    assert!(worth_compressing(6_400, 100) && !worth_compressing(6_401, 100));
    assert!(!worth_compressing(1_000, 751));
}

#[test]
fn every_single_byte_flip_is_detected() {
    let (dir, _, bytes, _) = small_snapshot();
    let bad = dir.path().join("bad.p1g");
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= rng.random_range(1..=255u8);
        fs::write(&bad, &b).unwrap();
        let err = load(&bad).expect_err("a flipped byte must not load");
        // Reading the arena apart or the file whole, the same error.
        assert_eq!(
            err.to_string(),
            decode(b.clone(), &bad).unwrap_err().to_string(),
            "byte {i}"
        );
        // Flips in the magic make a foreign file; anywhere else the file is damaged.
        match &err {
            SnapshotError::Foreign { .. } => assert!(i < MAGIC.len(), "byte {i}: {err}"),
            SnapshotError::Corrupt { .. } | SnapshotError::Truncated { .. } => {}
            // The version is covered by the prefix checksum, checked first.
            other => panic!("byte {i}: unexpected {other:?}"),
        }
    }
}

#[test]
fn random_damage_never_loads_and_never_panics() {
    let (dir, _, bytes, t) = small_snapshot();
    let bad = dir.path().join("bad.p1g");
    let mut rng = ChaCha8Rng::seed_from_u64(0x9e3779b97f4a7c15);
    for round in 0..400 {
        let mut b = bytes.clone();
        let flips = rng.random_range(1..=8);
        for _ in 0..flips {
            let i = rng.random_range(0..b.len());
            b[i] = rng.random();
        }
        if round % 4 == 0 {
            let keep = rng.random_range(0..b.len());
            b.truncate(keep);
        }
        fs::write(&bad, &b).unwrap();
        let result = std::panic::catch_unwind(|| load(&bad));
        match result {
            Err(_) => panic!("round {round}: load panicked"),
            Ok(Ok(back)) => {
                // Only possible if every change was undone by chance; then it must be identical.
                assert_eq!(b, bytes, "round {round}: damaged file loaded");
                assert_same_tenant(&t, &back);
            }
            Ok(Err(_)) => {}
        }
    }
}

/// Rewrites a section's stored bytes and fixes every checksum, as a buggy writer or a forger
/// would: the range checks must still refuse the file.
fn forge(bytes: &[u8], kind: SectionKind, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let frame = parse_frame(bytes, Path::new("x")).unwrap();
    let mut header = frame.header.clone();
    let mut sections_out: Vec<Vec<u8>> = Vec::new();
    let mut edit = Some(edit);
    for (k, s, stored) in &frame.stored {
        let mut raw = section_bytes(Path::new("x"), *k, s, stored)
            .unwrap()
            .into_owned();
        if *k == kind
            && let Some(edit) = edit.take()
        {
            edit(&mut raw);
        }
        sections_out.push(raw);
    }
    let mut offset = 0;
    for (s, raw) in header.sections.iter_mut().zip(&sections_out) {
        s.compression = 0;
        s.offset = offset;
        s.stored_len = raw.len() as u64;
        s.raw_len = raw.len() as u64;
        s.crc = crc32fast::hash(raw);
        offset += raw.len() as u64;
    }
    let hb = codec::encode(&header).unwrap();
    let prefix = Prefix {
        magic: MAGIC,
        format_version: FORMAT_VERSION,
        header_len: hb.len() as u32,
        file_len: (PREFIX_LEN + hb.len()) as u64 + offset,
        header_crc: crc32fast::hash(&hb),
    };
    let mut out = codec::encode(&prefix).unwrap();
    let c = crc32fast::hash(&out);
    out.extend_from_slice(&c.to_le_bytes());
    out.extend_from_slice(&hb);
    for s in sections_out {
        out.extend_from_slice(&s);
    }
    out
}

#[test]
fn forged_out_of_range_ids_are_refused_with_the_section_name() {
    let (dir, _, bytes, t) = small_snapshot();
    let bad = dir.path().join("forged.p1g");
    // Unchanged re-encoding loads: the forger itself is faithful.
    fs::write(&bad, forge(&bytes, SectionKind::Users, |_| {})).unwrap();
    assert_same_tenant(&t, &load(&bad).unwrap());

    // The memberships section starts with the `user` column: length (u64) then the first id.
    let forged = forge(&bytes, SectionKind::Memberships, |raw| {
        raw[8..12].copy_from_slice(&(t.users.len() as u32).to_le_bytes());
    });
    fs::write(&bad, forged).unwrap();
    let err = load(&bad).unwrap_err();
    assert_eq!(err.section(), Some("memberships"), "{err}");
    assert!(err.to_string().contains("out of range"), "{err}");

    // A symbol beyond the string table, in the users' id column.
    let forged = forge(&bytes, SectionKind::Users, |raw| {
        raw[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    });
    fs::write(&bad, forged).unwrap();
    let err = load(&bad).unwrap_err();
    assert_eq!(err.section(), Some("users"), "{err}");

    // A CSR offset list that does not end at its target list's length.
    let forged = forge(&bytes, SectionKind::Roles, |raw| {
        let n = raw.len();
        // The permissions list is last: bump its length prefix by re-appending an entry.
        raw.extend_from_slice(&0u32.to_le_bytes());
        let _ = n;
    });
    fs::write(&bad, forged).unwrap();
    assert_eq!(load(&bad).unwrap_err().section(), Some("roles"));

    // The usage ledger is searched by binary search: rows out of order are refused.
    assert!(t.usage.actors.len() >= 2);
    let forged = forge(&bytes, SectionKind::Usage, |raw| {
        let mut w: codec::UsageWire = codec::decode(raw).unwrap();
        w.actor_id.reverse();
        *raw = codec::encode(&w).unwrap();
    });
    fs::write(&bad, forged).unwrap();
    let err = load(&bad).unwrap_err();
    assert_eq!(err.section(), Some("usage"), "{err}");
    assert!(err.to_string().contains("ascending"), "{err}");
}

/// Sections are decoded on several threads; when two are damaged, the error still names the one
/// that comes first in the file, whichever thread fails first.
#[test]
fn of_two_damaged_sections_the_first_in_the_file_is_named() {
    let (dir, _, bytes, t) = small_snapshot();
    let bad = dir.path().join("forged.p1g");
    let out_of_range = (t.users.len() as u32).to_le_bytes();
    // `users` (decoded beside the strings) and `memberships` (with the small tables).
    let forged = forge(&bytes, SectionKind::Memberships, |raw| {
        raw[8..12].copy_from_slice(&out_of_range)
    });
    let forged = forge(&forged, SectionKind::Users, |raw| {
        raw[8..12].copy_from_slice(&u32::MAX.to_le_bytes())
    });
    fs::write(&bad, forged).unwrap();
    for _ in 0..20 {
        assert_eq!(load(&bad).unwrap_err().section(), Some("users"));
    }
}

#[test]
fn foreign_files_are_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.p1g");
    fs::write(&path, b"{\"format\":\"p1graph-export\"}\n").unwrap();
    let err = load(&path).unwrap_err();
    assert!(matches!(err, SnapshotError::Foreign { .. }), "{err}");
    assert!(err.to_string().contains("not a p1graph snapshot"));
    assert!(err.help().is_some());
    assert!(matches!(info(&path), Err(SnapshotError::Foreign { .. })));
    let err = load(&dir.path().join("missing.p1g")).unwrap_err();
    assert!(matches!(err, SnapshotError::Read { .. }), "{err}");
}

/// Rewrites the prefix's version (and its checksum), as a newer or older p1graph would.
fn with_version(bytes: &[u8], version: u32) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[8..12].copy_from_slice(&version.to_le_bytes());
    let c = crc32fast::hash(&b[..PREFIX_BODY_LEN]);
    b[PREFIX_BODY_LEN..PREFIX_LEN].copy_from_slice(&c.to_le_bytes());
    b
}

#[test]
fn future_and_old_versions_are_refused_with_advice() {
    let (dir, _, bytes, _) = small_snapshot();
    let path = dir.path().join("v.p1g");
    fs::write(&path, with_version(&bytes, FORMAT_VERSION + 1)).unwrap();
    let err = load(&path).unwrap_err();
    match &err {
        SnapshotError::FutureVersion {
            found, supported, ..
        } => {
            assert_eq!((*found, *supported), (FORMAT_VERSION + 1, FORMAT_VERSION));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("newer"), "{err}");
    assert!(err.help().unwrap().contains("p1graph snapshot create"));

    fs::write(&path, with_version(&bytes, 0)).unwrap();
    let err = load(&path).unwrap_err();
    assert!(
        matches!(err, SnapshotError::OldVersion { found: 0, .. }),
        "{err}"
    );
    assert!(
        err.help()
            .unwrap()
            .contains("re-create it with `p1graph snapshot create")
    );
}

#[test]
fn info_reports_a_damaged_section_by_name() {
    let (dir, path, mut bytes, _) = small_snapshot();
    let good = info(&path).unwrap();
    let users = good
        .sections
        .iter()
        .position(|s| s.name == "users")
        .unwrap();
    // The users section starts after the prefix, the header and the sections before it.
    let frame = parse_frame(&bytes, &path).unwrap();
    let header_len = bytes.len() - frame.stored.iter().map(|s| s.2.len()).sum::<usize>();
    let start = header_len + frame.stored[users].1.offset as usize;
    drop(frame);
    bytes[start] ^= 0x40;
    let bad = dir.path().join("bad.p1g");
    fs::write(&bad, &bytes).unwrap();
    let i = info(&bad).unwrap();
    assert!(!i.is_intact());
    assert_eq!(i.sections[users].checksum, ChecksumStatus::Mismatch);
    assert_eq!(
        i.sections
            .iter()
            .filter(|s| s.checksum == ChecksumStatus::Mismatch)
            .count(),
        1
    );
    assert!(i.to_string().contains("CORRUPTED in users"), "{i}");
    let err = load(&bad).unwrap_err();
    assert_eq!(err.section(), Some("users"));
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
}

#[test]
fn info_display_shows_header_counts_and_sections() {
    let (_dir, path, _, t) = small_snapshot();
    let text = info(&path).unwrap().to_string();
    assert!(text.contains("Example Corp"), "{text}");
    assert!(text.contains("2026-11-01T00:00:00Z"), "{text}");
    assert!(text.contains("integrity       ok"), "{text}");
    let users_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("users "))
        .unwrap();
    assert!(
        users_line.ends_with(&t.users.len().to_string()),
        "{users_line}"
    );
    for k in SectionKind::ALL {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(k.name())),
            "{}",
            k.name()
        );
    }
}

/// A tenant built in code, large enough for compression to pay on its big sections.
fn bulk_tenant(users: usize) -> Tenant {
    let mut t = Tenant::default();
    let s = |t: &mut Tenant, x: String| t.strings.intern(&x);
    let env_id = s(&mut t, "env-bulk".into());
    t.environments.push(Environment {
        id: env_id,
        name: env_id,
        kind: Sym::EMPTY,
        region: Sym::EMPTY,
        organization: Sym::EMPTY,
    });
    let direct = s(&mut t, "DIRECT".into());
    for g in 0..users / 10 {
        let id = s(&mut t, format!("group-{g:08}"));
        t.groups.push(Group {
            id,
            name: id,
            env: EnvId(0),
            population: Sym::EMPTY,
            user_filter: Sym::EMPTY,
        });
    }
    for u in 0..users {
        let id = s(&mut t, format!("user-{u:08}"));
        t.users.push(User {
            id,
            username: id,
            display_name: Sym::EMPTY,
            env: EnvId(0),
            population: Sym::EMPTY,
            enabled: u % 7 != 0,
            locked: false,
            last_sign_on: Some(Ts(1_700_000_000_000 + u as i64)),
            mfa_enabled: None,
            created_at: None,
            identity_provider: Sym::EMPTY,
        });
        for k in 0..3 {
            t.memberships.push(Membership {
                user: UserId(u as u32),
                group: GroupId(((u * 7 + k * 13) % (users / 10)) as u32),
                kind: direct,
            });
        }
    }
    t.reindex();
    t
}

#[test]
fn big_sections_are_compressed_but_the_strings_and_users_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let t = bulk_tenant(5000);
    let path = dir.path().join("bulk.p1g");
    let saved = save(&t, &path).unwrap();
    let by_name = |n: &str| saved.sections.iter().find(|s| s.name == n).unwrap().clone();
    // Both are read on the critical path of a load (see `should_try_compressing`).
    for n in ["strings", "users"] {
        let s = by_name(n);
        assert_eq!(s.compression, Compression::None, "{n}");
        assert_eq!(s.stored_len, s.raw_len, "{n}");
    }
    let s = by_name("memberships");
    assert_eq!(s.compression, Compression::Zstd);
    assert!(s.stored_len * 4 <= s.raw_len * 3);
    assert_same_tenant(&t, &load(&path).unwrap());

    // Damage inside a compressed section is caught by its checksum, before zstd sees it.
    let mut bytes = fs::read(&path).unwrap();
    let frame = parse_frame(&bytes, &path).unwrap();
    let data_start = bytes.len() - frame.stored.iter().map(|s| s.2.len()).sum::<usize>();
    let (_, m, _) = frame.stored[SectionKind::Memberships as usize - 1];
    drop(frame);
    bytes[data_start + m.offset as usize + m.stored_len as usize / 2] ^= 0x01;
    let bad = dir.path().join("bad.p1g");
    fs::write(&bad, &bytes).unwrap();
    let err = load(&bad).unwrap_err();
    assert_eq!(err.section(), Some("memberships"), "{err}");
}

#[test]
fn info_report_snapshot() {
    let (_dir, path, _, _) = small_snapshot();
    let text = info(&path).unwrap().to_string();
    let text = text.replace(&path.display().to_string(), "[PATH]");
    // Compressed sizes belong to the zstd version, not to p1graph: they are not pinned.
    insta::with_settings!({filters => vec![
        (r"size\s+[^\n]*", "size            [sizes depend on zstd]"),
        (r"(?m)^(  [a-z]+\s+[\d,]+)\s+[\d,]+(\s+(?:none|zstd))", "$1  [stored]$2"),
    ]}, {
        insta::assert_snapshot!(text);
    });
}

/// Without its usage section, a load gives the same tenant but an empty ledger; a damaged usage
/// section is still refused, by name: its checksum is verified although it is not decoded.
#[test]
fn a_load_without_usage_keeps_everything_else_and_still_checks_it() {
    let (dir, path, mut bytes, t) = small_snapshot();
    assert!(!t.usage.actors.is_empty(), "the fixture has usage");
    let lean = load_with(&path, Sections::WithoutUsage).unwrap();
    assert!(lean.usage.actors.is_empty() && lean.usage.covered.is_empty());
    let mut expected = load(&path).unwrap();
    expected.usage = Default::default();
    assert_same_tenant(&expected, &lean);

    let frame = parse_frame(&bytes, &path).unwrap();
    let header_len = bytes.len() - frame.stored.iter().map(|s| s.2.len()).sum::<usize>();
    let usage = frame
        .stored
        .iter()
        .position(|s| s.0 == SectionKind::Usage)
        .unwrap();
    let start = header_len + frame.stored[usage].1.offset as usize;
    drop(frame);
    bytes[start] ^= 0x40;
    let bad = dir.path().join("bad.p1g");
    fs::write(&bad, &bytes).unwrap();
    let err = load_with(&bad, Sections::WithoutUsage).unwrap_err();
    assert_eq!(err.section(), Some("usage"), "{err}");
}
