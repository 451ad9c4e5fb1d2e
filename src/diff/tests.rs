//! The diff's behaviour on the demo tenant and hand-made changes of it.

use std::path::Path;

use super::*;
use crate::findings::Severity;
use crate::model::*;

/// Every row of the diff, the unchanged findings included.
pub fn rows(old: &Tenant, new: &Tenant) -> Vec<DiffRow> {
    let opts = Options {
        include_unchanged: true,
        ..Options::default()
    };
    diff(old, new, &opts).unwrap().into_vec().unwrap()
}

fn count(rows: &[DiffRow], category: Category, change: Change) -> usize {
    rows.iter()
        .filter(|r| r.category == category && r.change == change)
        .count()
}

pub fn demo() -> Tenant {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    crate::export::read_export(&dir).unwrap()
}

/// `old` with hand-made changes: a user disabled, a user added, a membership that brings a
/// privileged role through a group, a direct privileged role assignment, an application's
/// access control changed.
pub fn changed(old: &Tenant) -> (Tenant, String, String) {
    let mut t = old.clone();
    // A user that is active and one that will gain a membership.
    let active = t.users.iter().position(|u| u.is_active()).unwrap();
    let disabled_id = t.s(t.users[active].id).to_string();
    t.users[active].enabled = false;
    // A group holding a privileged role.
    let (group, _) = t
        .assignments
        .iter()
        .filter(|a| a.subject.kind == SubjectKind::Group && !t.role_is_read_only(a.role))
        .find_map(|a| t.index.group.get(&a.subject.id).map(|g| (g, a.role)))
        .expect("the demo tenant has a group with a privileged role");
    let env = t.groups[group.idx()].env;
    let id = t.strings.intern("u-diff-newcomer");
    let name = t.strings.intern("new.comer");
    t.users.push(User {
        id,
        username: name,
        display_name: Sym::EMPTY,
        env,
        population: Sym::EMPTY,
        enabled: true,
        locked: false,
        last_sign_on: None,
        mfa_enabled: Some(true),
        created_at: None,
        identity_provider: Sym::EMPTY,
    });
    let newcomer = UserId::from_idx(t.users.len() - 1);
    let kind = t.strings.intern("DIRECT");
    t.memberships.push(Membership {
        user: newcomer,
        group,
        kind,
    });
    t.memberships.sort_by_key(|m| (m.user, m.group));
    // A direct privileged assignment for the newcomer.
    let role = t.roles.iter().position(|r| !r.read_only).unwrap();
    let org = t.organization.id;
    let aid = t.strings.intern("ra-diff-1");
    t.assignments.push(RoleAssignment {
        id: aid,
        subject: Subject {
            kind: SubjectKind::User,
            id,
        },
        role_id: t.roles[role].id,
        role: Some(RoleId::from_idx(role)),
        scope: ScopeRef {
            kind: ScopeKind::Organization,
            id: org,
        },
        read_only_flag: false,
        env,
    });
    let app = &mut t.applications[0];
    app.access.admin_users_only = !app.access.admin_users_only;
    t.reindex();
    (t, disabled_id, "u-diff-newcomer".into())
}

#[test]
fn a_tenant_against_itself_has_only_unchanged_findings() {
    let t = demo();
    let d = rows(&t, &t);
    assert!(
        d.iter().all(|r| r.change == Change::Unchanged),
        "{:?}",
        d.first()
    );
    assert!(count(&d, Category::Finding, Change::Unchanged) > 0);
}

#[test]
fn each_kind_of_change_is_reported_and_privileged_gains_lead() {
    let old = demo();
    let (new, disabled, newcomer) = changed(&old);
    let d = rows(&old, &new);
    assert!(d.iter().any(|r| r.category == Category::User
        && r.change == Change::Disabled
        && r.identity_id == disabled));
    assert!(d.iter().any(|r| r.category == Category::User
        && r.change == Change::Added
        && r.identity_id == newcomer));
    assert!(d.iter().any(|r| r.category == Category::Membership
        && r.change == Change::Added
        && r.identity_id == newcomer));
    assert!(d.iter().any(|r| r.category == Category::RoleAssignment
        && r.change == Change::Added
        && r.identity_id == newcomer));
    assert_eq!(count(&d, Category::Application, Change::Changed), 1);
    let gained: Vec<&DiffRow> = d
        .iter()
        .filter(|r| {
            r.category == Category::Access
                && r.change == Change::Gained
                && r.identity_id == newcomer
        })
        .collect();
    assert!(
        gained
            .iter()
            .any(|r| r.entitlement_type == "ROLE" && r.severity == Severity::High)
    );
    // The path names the identity and where the access comes from.
    assert!(gained.iter().all(|r| r.detail.contains("->")), "{gained:?}");
    // Most severe first: a new path to Environment Admin leads, then new privileged access.
    assert_eq!(
        (d[0].category, d[0].change, d[0].severity),
        (Category::Escalation, Change::Gained, Severity::Critical)
    );
    assert_eq!(d[0].identity_id, newcomer);
    assert_eq!(d[0].entitlement_name, "Environment Admin");
    assert!(d[0].detail.starts_with("1 step: user:new.comer -> "));
    let first_access = d
        .iter()
        .position(|r| r.category == Category::Access)
        .unwrap();
    assert_eq!(
        (d[first_access].change, d[first_access].severity),
        (Change::Gained, Severity::High)
    );
    assert!(
        d[..first_access]
            .iter()
            .all(|r| r.severity == Severity::Critical)
    );
    // The reverse diff loses what was gained.
    let back = rows(&new, &old);
    assert_eq!(
        count(&back, Category::Escalation, Change::Lost),
        count(&d, Category::Escalation, Change::Gained)
    );
    // The reverse direction undoes each change.
    let back = rows(&new, &old);
    assert!(back.iter().any(|r| r.category == Category::User
        && r.change == Change::ReEnabled
        && r.identity_id == disabled));
    assert!(back.iter().any(|r| r.category == Category::User
        && r.change == Change::Removed
        && r.identity_id == newcomer));
    assert!(
        back.iter()
            .any(|r| r.category == Category::RoleAssignment && r.change == Change::Removed)
    );
    assert!(
        back.iter()
            .any(|r| r.category == Category::Membership && r.change == Change::Removed)
    );
    assert_eq!(
        count(&back, Category::Access, Change::Lost),
        count(&d, Category::Access, Change::Gained)
    );
    assert_eq!(
        count(&back, Category::Finding, Change::Resolved),
        count(&d, Category::Finding, Change::New)
    );
}

#[test]
fn diff_is_the_same_from_snapshots() {
    let old = demo();
    let (new, _, _) = changed(&old);
    let dir = tempfile::tempdir().unwrap();
    let (po, pn) = (dir.path().join("old.p1g"), dir.path().join("new.p1g"));
    crate::snapshot::save(&old, &po).unwrap();
    crate::snapshot::save(&new, &pn).unwrap();
    let from_snapshots = rows(
        &crate::snapshot::load(&po).unwrap(),
        &crate::snapshot::load(&pn).unwrap(),
    );
    assert_eq!(from_snapshots, rows(&old, &new));
}

#[test]
fn a_tiny_memory_budget_spills_and_gives_the_same_rows_and_counts() {
    let old = demo();
    let (new, _, _) = changed(&old);
    let roomy = diff(&old, &new, &Options::default()).unwrap();
    let counts = roomy.counts.clone();
    let expected = roomy.into_vec().unwrap();
    assert!(expected.len() > 10, "the hand-made changes give rows");
    // A budget of a few rows: many runs on disk, merged back.
    let tiny = diff(
        &old,
        &new,
        &Options {
            budget: 2_000,
            ..Options::default()
        },
    )
    .unwrap();
    assert!(
        matches!(tiny.rows, Sorted::Merge { .. }),
        "the rows spilled"
    );
    assert_eq!(tiny.counts, counts);
    assert_eq!(tiny.into_vec().unwrap(), expected);
    assert_eq!(counts.total(), expected.len());
}

#[test]
fn counts_and_the_fail_on_gate_match_the_rows() {
    let old = demo();
    let (new, _, _) = changed(&old);
    let d = diff(&old, &new, &Options::default()).unwrap();
    let counts = d.counts.clone();
    let all = d.into_vec().unwrap();
    for c in Category::ALL {
        for h in Change::ALL {
            assert_eq!(counts.count(c, h), count(&all, c, h), "{c:?} {h:?}");
        }
    }
    let privileged = all
        .iter()
        .filter(|r| {
            r.category == Category::Access
                && r.change == Change::Gained
                && r.severity == Severity::High
        })
        .count();
    assert!(privileged > 0);
    assert_eq!(counts.privileged_gained(), privileged);
    for level in [
        Severity::Critical,
        Severity::High,
        Severity::Low,
        Severity::Info,
    ] {
        let expected = all
            .iter()
            .filter(|r| match (r.category, r.change) {
                (Category::Finding, Change::New) | (Category::Escalation, Change::Gained) => {
                    r.severity.at_least(level)
                }
                (Category::Access, Change::Gained) => r.severity == Severity::High,
                _ => false,
            })
            .count();
        assert_eq!(
            counts.failing(level).values().sum::<usize>(),
            expected,
            "{level:?}"
        );
    }
}
