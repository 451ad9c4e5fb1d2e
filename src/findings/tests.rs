//! An independent reading of the findings contract (access model, section 4, with M4, M5, M8 and
//! M9): one test per rule, each with the rows the contract defines and the near misses that must
//! not fire. The expected rows were written from the contract text, not from the rule code.

use super::*;
use crate::model::builder::TenantBuilder;
use crate::model::time::MS_PER_DAY;
use crate::resolve::Resolver;

/// The capture time of every test tenant.
const T0: &str = "2026-11-01T00:00:00Z";

fn t0() -> Ts {
    Ts::parse(T0).expect("a valid timestamp")
}

/// (rule, severity, identity_type, identity_id, entitlement_type, entitlement_id, scope_type,
/// scope_id): the columns the contract defines exactly.
type Row = [String; 8];

fn row(f: &Finding) -> Row {
    [
        f.rule.to_string(),
        f.severity.as_str().to_string(),
        f.identity_type.clone(),
        f.identity_id.clone(),
        f.entitlement_type.clone(),
        f.entitlement_id.clone(),
        f.scope_type.clone(),
        f.scope_id.clone(),
    ]
}

fn r(cols: [&str; 8]) -> Row {
    cols.map(str::to_string)
}

/// One organization, two environments, a population, and the roles the tests use:
/// built-in privileged, built-in read-only, and custom roles (one named like a built-in).
fn base() -> TenantBuilder {
    TenantBuilder::new("org-1")
        .captured_at(T0)
        .env("env-a")
        .env("env-b")
        .population("pop-a", "env-a")
        .role(
            "r-orgadmin",
            "Organization Admin",
            &["orgmgt:update:environment", "identity:read:user"],
            None,
        )
        .role(
            "r-envadmin",
            "Environment Admin",
            &["identity:update:user", "identity:read:user"],
            None,
        )
        .role(
            "r-idro",
            "Identity Data Read Only",
            &["identity:read:user", "identity:read:group"],
            None,
        )
        .role(
            "r-fake-envadmin",
            "Environment Admin",
            &["identity:update:user"],
            Some("env-a"),
        )
        .role(
            "r-helpdesk",
            "Helpdesk",
            &["identity:update:user"],
            Some("env-a"),
        )
}

fn cfg(t: &Tenant) -> Config {
    Config::for_tenant(t)
}

fn all(t: &Tenant, cfg: &Config) -> Vec<Finding> {
    let r = Resolver::new(t);
    run(&r, cfg, &registry())
}

fn findings_of(t: &Tenant, cfg: &Config, rule: &str) -> Vec<Finding> {
    all(t, cfg).into_iter().filter(|f| f.rule == rule).collect()
}

fn rows_of(t: &Tenant, cfg: &Config, rule: &str) -> Vec<Row> {
    findings_of(t, cfg, rule).iter().map(row).collect()
}

/// An activity for [`with_activities`]: (recordedAt, action.type, actors.user.id, actors.client.id).
type Ev<'a> = (Ts, &'a str, &'a str, &'a str);

/// Sets the manifest's activities window and folds `events` into the usage ledger (M8).
fn with_activities(mut t: Tenant, window: (Ts, Ts), events: &[Ev]) -> Tenant {
    t.manifest.activities = Some(window);
    let acts: Vec<Activity> = events
        .iter()
        .map(|(at, action, user, client)| Activity {
            recorded_at: *at,
            action: t.strings.intern(action),
            actor_user: if user.is_empty() {
                Sym::EMPTY
            } else {
                t.strings.intern(user)
            },
            actor_client: if client.is_empty() {
                Sym::EMPTY
            } else {
                t.strings.intern(client)
            },
            success: true,
        })
        .collect();
    crate::usage::fold_into(&mut t, acts);
    t
}

fn days_before(days: i64) -> Ts {
    t0().minus_days(days)
}

// ---------------------------------------------------------------------------------------------
// open-application

#[test]
fn open_application_fires_on_enabled_apps_without_a_rule() {
    let mut b = base()
        .group("g-staff", "env-a")
        .app("app-open", "env-a", "WEB_APP", true, false, None)
        .app(
            "app-empty-list",
            "env-b",
            "SINGLE_PAGE_APP",
            true,
            false,
            Some((false, &[])),
        )
        .app(
            "app-any",
            "env-a",
            "WEB_APP",
            true,
            false,
            Some((false, &["g-staff"])),
        )
        .app(
            "app-all",
            "env-a",
            "WEB_APP",
            true,
            false,
            Some((true, &["g-staff"])),
        )
        .app(
            "app-missing-group",
            "env-a",
            "WEB_APP",
            true,
            false,
            Some((false, &["g-gone"])),
        )
        .app("app-admins", "env-a", "WEB_APP", true, true, None)
        .app(
            "app-admins-empty",
            "env-a",
            "WEB_APP",
            true,
            true,
            Some((false, &[])),
        )
        .app("app-worker", "env-a", "WORKER", true, false, None)
        .app("app-portal", "env-a", "PING_ONE_PORTAL", true, false, None)
        .app(
            "app-selfservice",
            "env-a",
            "PING_ONE_SELF_SERVICE",
            true,
            false,
            None,
        )
        .app("app-disabled", "env-a", "WEB_APP", false, false, None)
        .app("app-unknown-type", "env-a", "WEB_APP", true, false, None);
    // M6.3: a group rule with an unknown `type` is no rule, even with groups listed.
    let t = b.tenant_mut();
    let staff = t.strings.intern("g-staff");
    let unknown = t.strings.intern("SOME_FUTURE_TYPE");
    let last = t.applications.len() - 1;
    t.applications[last].access.group = Some(GroupRule {
        kind: GroupRuleKind::Unknown(unknown),
        groups: vec![staff],
    });
    let t = b.build();
    let want = |app: &str, env: &str| {
        r([
            "open-application",
            "medium",
            "",
            "",
            "APPLICATION",
            app,
            "ENVIRONMENT",
            env,
        ])
    };
    assert_eq!(
        rows_of(&t, &cfg(&t), "open-application"),
        vec![
            want("app-empty-list", "env-b"),
            want("app-open", "env-a"),
            want("app-unknown-type", "env-a"),
        ]
    );
    let f = &findings_of(&t, &cfg(&t), "open-application")[0];
    assert!(f.identity_name.is_empty(), "identity empty: {f:?}");
}

// ---------------------------------------------------------------------------------------------
// disabled-with-privilege

#[test]
fn disabled_with_privilege_covers_disabled_and_locked_holders_read_only_included() {
    let t = base()
        .group("g-ops", "env-a")
        .user_with("u-disabled", "env-a", |u| u.enabled = false)
        .user_with("u-locked", "env-a", |u| u.locked = true)
        .user_with("u-disabled-ro", "env-a", |u| u.enabled = false)
        .user_with("u-disabled-group", "env-a", |u| u.enabled = false)
        .user("u-enabled", "env-a")
        .user_with("u-disabled-no-role", "env-a", |u| u.enabled = false)
        .member("u-disabled-group", "g-ops")
        .app("app-worker-off", "env-a", "WORKER", false, false, None)
        .app("app-worker-on", "env-a", "WORKER", true, false, None)
        .gateway("gw-off", "env-a", false)
        .gateway("gw-on", "env-a", true)
        .assign(
            "ra1",
            "USER",
            "u-disabled",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra2",
            "USER",
            "u-disabled",
            "r-gone",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra3",
            "USER",
            "u-locked",
            "r-helpdesk",
            "POPULATION",
            "pop-a",
        )
        .assign(
            "ra4",
            "USER",
            "u-disabled-ro",
            "r-idro",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra5",
            "GROUP",
            "g-ops",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra6",
            "USER",
            "u-enabled",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra7",
            "APPLICATION",
            "app-worker-off",
            "r-idro",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra8",
            "APPLICATION",
            "app-worker-on",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra9",
            "GATEWAY",
            "gw-off",
            "r-envadmin",
            "ENVIRONMENT",
            "env-b",
        )
        .assign(
            "ra10",
            "GATEWAY",
            "gw-on",
            "r-envadmin",
            "ENVIRONMENT",
            "env-b",
        )
        .build();
    // v2: critical when the role is the built-in Environment/Organization Admin.
    let want = |it: &str, id: &str, role: &str, st: &str, sid: &str| {
        let sev = if role == "r-envadmin" {
            "critical"
        } else {
            "high"
        };
        r([
            "disabled-with-privilege",
            sev,
            it,
            id,
            "ROLE",
            role,
            st,
            sid,
        ])
    };
    assert_eq!(
        rows_of(&t, &cfg(&t), "disabled-with-privilege"),
        vec![
            // critical first (the built-in Environment Admin), then high.
            want("GATEWAY", "gw-off", "r-envadmin", "ENVIRONMENT", "env-b"),
            want("USER", "u-disabled", "r-envadmin", "ENVIRONMENT", "env-a"),
            want(
                "USER",
                "u-disabled-group",
                "r-envadmin",
                "ENVIRONMENT",
                "env-a"
            ),
            want(
                "APPLICATION",
                "app-worker-off",
                "r-idro",
                "ENVIRONMENT",
                "env-a"
            ),
            // M5: a role missing from the snapshot still gives its ROLE row.
            want("USER", "u-disabled", "r-gone", "ENVIRONMENT", "env-a"),
            want("USER", "u-disabled-ro", "r-idro", "ENVIRONMENT", "env-a"),
            want("USER", "u-locked", "r-helpdesk", "POPULATION", "pop-a"),
        ]
    );
}

#[test]
fn disabled_with_privilege_ignores_disabled_non_worker_applications() {
    // The contract names "a disabled worker application or gateway".
    let t = base()
        .app("app-web-off", "env-a", "WEB_APP", false, false, None)
        .assign(
            "ra1",
            "APPLICATION",
            "app-web-off",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .build();
    assert_eq!(
        rows_of(&t, &cfg(&t), "disabled-with-privilege"),
        Vec::<Row>::new()
    );
}

// ---------------------------------------------------------------------------------------------
// dormant-admin

fn dormant_tenant() -> Tenant {
    let ms = |days: i64, extra_ms: i64| Some(Ts(days_before(days).0 - extra_ms));
    base()
        .group("g-ops", "env-a")
        // Exactly 90 days: not strictly older.
        .user_with("u-exactly-90", "env-a", |u| u.last_sign_on = ms(90, 0))
        // One millisecond past 90 days.
        .user_with("u-90-and-1ms", "env-a", |u| u.last_sign_on = ms(90, 1))
        .user_with("u-recent", "env-a", |u| u.last_sign_on = ms(3, 0))
        // Never signed on, created yesterday: not dormant.
        .user_with("u-new", "env-a", |u| u.created_at = ms(1, 0))
        // Never signed on, created long ago: dormant.
        .user_with("u-never", "env-a", |u| u.created_at = ms(200, 0))
        .user_with("u-never-exactly-90", "env-a", |u| u.created_at = ms(90, 0))
        // Privileged through a group only.
        .user_with("u-via-group", "env-a", |u| u.last_sign_on = ms(121, 0))
        // Read-only admin: not privileged.
        .user_with("u-readonly", "env-a", |u| u.last_sign_on = ms(400, 0))
        // Disabled / locked: not "dormant" (they are disabled-with-privilege).
        .user_with("u-disabled", "env-a", |u| {
            u.enabled = false;
            u.last_sign_on = ms(400, 0);
        })
        .user_with("u-locked", "env-a", |u| {
            u.locked = true;
            u.last_sign_on = ms(400, 0);
        })
        // No role at all.
        .user_with("u-norole", "env-a", |u| u.last_sign_on = ms(400, 0))
        // A role missing from the snapshot counts as privileged.
        .user_with("u-missing-role", "env-a", |u| u.last_sign_on = ms(100, 0))
        // Several privileged roles: still one finding.
        .user_with("u-two-roles", "env-a", |u| u.last_sign_on = ms(100, 0))
        .member("u-via-group", "g-ops")
        .assign(
            "ra1",
            "USER",
            "u-exactly-90",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra2",
            "USER",
            "u-90-and-1ms",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra3",
            "USER",
            "u-recent",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign("ra4", "USER", "u-new", "r-envadmin", "ENVIRONMENT", "env-a")
        .assign(
            "ra5",
            "USER",
            "u-never",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra6",
            "USER",
            "u-never-exactly-90",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra7",
            "GROUP",
            "g-ops",
            "r-helpdesk",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra8",
            "USER",
            "u-readonly",
            "r-idro",
            "ORGANIZATION",
            "org-1",
        )
        .assign(
            "ra9",
            "USER",
            "u-disabled",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra10",
            "USER",
            "u-locked",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra11",
            "USER",
            "u-missing-role",
            "r-gone",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra12",
            "USER",
            "u-two-roles",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra13",
            "USER",
            "u-two-roles",
            "r-orgadmin",
            "ORGANIZATION",
            "org-1",
        )
        .build()
}

/// v2: critical when the user holds a tier-zero role (these hold r-envadmin or r-orgadmin).
fn dormant(id: &str) -> Row {
    let high = ["u-missing-role", "u-via-group", "u-readonly", "u-new"];
    let sev = if !high.contains(&id) {
        "critical"
    } else {
        "high"
    };
    r(["dormant-admin", sev, "USER", id, "", "", "", ""])
}

#[test]
fn dormant_admin_strictly_older_than_the_threshold() {
    let t = dormant_tenant();
    assert_eq!(
        rows_of(&t, &cfg(&t), "dormant-admin"),
        vec![
            dormant("u-90-and-1ms"),
            dormant("u-never"),
            dormant("u-two-roles"),
            dormant("u-missing-role"),
            dormant("u-via-group"),
        ]
    );
}

#[test]
fn dormant_admin_is_judged_at_as_of_and_dormant_days() {
    let t = dormant_tenant();
    // Thirty days earlier, only the sign-ons older than 120 days at capture count.
    let mut c = cfg(&t);
    c.as_of = Ts(t0().0 - 30 * MS_PER_DAY);
    assert_eq!(
        rows_of(&t, &c, "dormant-admin"),
        vec![dormant("u-never"), dormant("u-via-group")]
    );
    // A shorter threshold at capture time catches the recent ones too (not u-new: 1 day).
    let mut c = cfg(&t);
    c.dormant_days = 2;
    let got = rows_of(&t, &c, "dormant-admin");
    assert!(got.contains(&dormant("u-recent")), "{got:?}");
    assert!(got.contains(&dormant("u-exactly-90")), "{got:?}");
    assert!(!got.contains(&dormant("u-new")), "{got:?}");
    assert!(!got.contains(&dormant("u-readonly")), "{got:?}");
}

#[test]
fn dormant_admin_disabled_holders_are_disabled_with_privilege_instead() {
    let t = dormant_tenant();
    let ids: Vec<String> = rows_of(&t, &cfg(&t), "disabled-with-privilege")
        .into_iter()
        .map(|r| r[3].clone())
        .collect();
    assert_eq!(ids, vec!["u-disabled", "u-locked"]);
}

// ---------------------------------------------------------------------------------------------
// admin-without-mfa

#[test]
fn admin_without_mfa_only_enabled_privileged_users_with_mfa_false() {
    let t = base()
        .group("g-ops", "env-a")
        .user_with("u-nomfa", "env-a", |u| u.mfa_enabled = Some(false))
        .user_with("u-nomfa-group", "env-a", |u| u.mfa_enabled = Some(false))
        .user_with("u-nomfa-missing-role", "env-a", |u| {
            u.mfa_enabled = Some(false)
        })
        .user_with("u-mfa", "env-a", |u| u.mfa_enabled = Some(true))
        .user_with("u-nomfa-readonly", "env-a", |u| u.mfa_enabled = Some(false))
        .user_with("u-nomfa-disabled", "env-a", |u| {
            u.mfa_enabled = Some(false);
            u.enabled = false;
        })
        .user_with("u-nomfa-locked", "env-a", |u| {
            u.mfa_enabled = Some(false);
            u.locked = true;
        })
        .user_with("u-nomfa-norole", "env-a", |u| u.mfa_enabled = Some(false))
        // `mfaEnabled` absent is not `mfaEnabled = false`.
        .user_with("u-mfa-unknown", "env-a", |u| u.mfa_enabled = None)
        .member("u-nomfa-group", "g-ops")
        .assign(
            "ra1",
            "USER",
            "u-nomfa",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra1b",
            "USER",
            "u-nomfa",
            "r-orgadmin",
            "ORGANIZATION",
            "org-1",
        )
        .assign("ra2", "GROUP", "g-ops", "r-helpdesk", "POPULATION", "pop-a")
        .assign(
            "ra3",
            "USER",
            "u-nomfa-missing-role",
            "r-gone",
            "ENVIRONMENT",
            "env-a",
        )
        .assign("ra4", "USER", "u-mfa", "r-envadmin", "ENVIRONMENT", "env-a")
        .assign(
            "ra5",
            "USER",
            "u-nomfa-readonly",
            "r-idro",
            "ORGANIZATION",
            "org-1",
        )
        .assign(
            "ra6",
            "USER",
            "u-nomfa-disabled",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra7",
            "USER",
            "u-nomfa-locked",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra8",
            "USER",
            "u-mfa-unknown",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .build();
    // v2: u-nomfa holds the built-in Environment Admin: critical.
    let want = |id: &str| {
        let sev = if id == "u-nomfa" { "critical" } else { "high" };
        r(["admin-without-mfa", sev, "USER", id, "", "", "", ""])
    };
    assert_eq!(
        rows_of(&t, &cfg(&t), "admin-without-mfa"),
        vec![
            want("u-nomfa"),
            want("u-nomfa-group"),
            want("u-nomfa-missing-role"),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// redundant-assignment

#[test]
fn redundant_assignment_needs_a_group_grant_at_an_equal_or_broader_scope() {
    let t = base()
        .population("pop-b", "env-b")
        .group("g-env", "env-a")
        .group("g-org", "env-a")
        .group("g-pop", "env-a")
        .group("g-child", "env-a")
        .group("g-parent", "env-a")
        .group("g-other-env", "env-a")
        // Same environment: redundant.
        .user("u-same", "env-a")
        // Organization-wide group grant covers an environment: redundant.
        .user("u-org", "env-a")
        // Group grant at a narrower (population) scope: not redundant.
        .user("u-narrower", "env-a")
        // Direct population, group environment that contains it: redundant.
        .user("u-pop-in-env", "env-a")
        // Nested group grant: redundant.
        .user("u-nested", "env-a")
        // Group grant on another environment: not redundant.
        .user("u-other-env", "env-a")
        // A different role through the group: not redundant.
        .user("u-other-role", "env-a")
        // Direct ORGANIZATION, group ENVIRONMENT: the group grant is narrower.
        .user("u-direct-org", "env-a")
        // A missing population is contained only in itself.
        .user("u-dangling", "env-a")
        .member("u-same", "g-env")
        .member("u-org", "g-org")
        .member("u-narrower", "g-pop")
        .member("u-pop-in-env", "g-env")
        .member("u-nested", "g-child")
        .member("u-other-env", "g-other-env")
        .member("u-other-role", "g-env")
        .member("u-direct-org", "g-env")
        .member("u-dangling", "g-env")
        .member("u-dangling", "g-org")
        .nest("g-child", "g-parent")
        .assign(
            "ga1",
            "GROUP",
            "g-env",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ga2",
            "GROUP",
            "g-org",
            "r-envadmin",
            "ORGANIZATION",
            "org-1",
        )
        .assign("ga3", "GROUP", "g-pop", "r-envadmin", "POPULATION", "pop-a")
        .assign(
            "ga4",
            "GROUP",
            "g-parent",
            "r-helpdesk",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ga5",
            "GROUP",
            "g-other-env",
            "r-envadmin",
            "ENVIRONMENT",
            "env-b",
        )
        .assign(
            "ra1",
            "USER",
            "u-same",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign("ra2", "USER", "u-org", "r-envadmin", "ENVIRONMENT", "env-b")
        .assign(
            "ra3",
            "USER",
            "u-narrower",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra4",
            "USER",
            "u-pop-in-env",
            "r-envadmin",
            "POPULATION",
            "pop-a",
        )
        .assign(
            "ra5",
            "USER",
            "u-nested",
            "r-helpdesk",
            "POPULATION",
            "pop-a",
        )
        .assign(
            "ra6",
            "USER",
            "u-other-env",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra7",
            "USER",
            "u-other-role",
            "r-orgadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra8",
            "USER",
            "u-direct-org",
            "r-envadmin",
            "ORGANIZATION",
            "org-1",
        )
        .assign(
            "ra9",
            "USER",
            "u-dangling",
            "r-envadmin",
            "POPULATION",
            "pop-gone",
        )
        .build();
    let want = |id: &str, role: &str, st: &str, sid: &str| {
        r([
            "redundant-assignment",
            "low",
            "USER",
            id,
            "ROLE",
            role,
            st,
            sid,
        ])
    };
    let found = findings_of(&t, &cfg(&t), "redundant-assignment");
    assert_eq!(
        found.iter().map(row).collect::<Vec<_>>(),
        vec![
            want("u-nested", "r-helpdesk", "POPULATION", "pop-a"),
            want("u-org", "r-envadmin", "ENVIRONMENT", "env-b"),
            want("u-pop-in-env", "r-envadmin", "POPULATION", "pop-a"),
            want("u-same", "r-envadmin", "ENVIRONMENT", "env-a"),
        ]
    );
    // "detail names the group path": both groups of the nesting chain.
    let nested = &found[0].detail;
    assert!(
        nested.contains("g-child") && nested.contains("g-parent"),
        "{nested}"
    );
    assert!(found[3].detail.contains("g-env"), "{}", found[3].detail);
}

// ---------------------------------------------------------------------------------------------
// overprivileged-worker

#[test]
fn overprivileged_worker_built_in_admins_or_privileged_at_organization_scope() {
    let t = base()
        .app("w-envadmin", "env-a", "WORKER", true, false, None)
        .app("w-orgadmin-env", "env-a", "WORKER", true, false, None)
        .app("w-fake-envadmin", "env-a", "WORKER", true, false, None)
        .app("w-custom-org", "env-a", "WORKER", true, false, None)
        .app("w-readonly-org", "env-a", "WORKER", true, false, None)
        .app("w-helpdesk-env", "env-a", "WORKER", true, false, None)
        .app("w-missing-org", "env-a", "WORKER", true, false, None)
        .app("w-disabled", "env-a", "WORKER", false, false, None)
        .app("web-envadmin", "env-a", "WEB_APP", true, false, None)
        .gateway("gw-envadmin", "env-a", true)
        .assign(
            "ra1",
            "APPLICATION",
            "w-envadmin",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra2",
            "APPLICATION",
            "w-orgadmin-env",
            "r-orgadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra3",
            "APPLICATION",
            "w-fake-envadmin",
            "r-fake-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra4",
            "APPLICATION",
            "w-custom-org",
            "r-helpdesk",
            "ORGANIZATION",
            "org-1",
        )
        .assign(
            "ra5",
            "APPLICATION",
            "w-readonly-org",
            "r-idro",
            "ORGANIZATION",
            "org-1",
        )
        .assign(
            "ra6",
            "APPLICATION",
            "w-helpdesk-env",
            "r-helpdesk",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra7",
            "APPLICATION",
            "w-missing-org",
            "r-gone",
            "ORGANIZATION",
            "org-1",
        )
        .assign(
            "ra8",
            "APPLICATION",
            "w-disabled",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra9",
            "APPLICATION",
            "web-envadmin",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra10",
            "GATEWAY",
            "gw-envadmin",
            "r-envadmin",
            "POPULATION",
            "pop-a",
        )
        .build();
    let want = |it: &str, id: &str, role: &str, st: &str, sid: &str| {
        r([
            "overprivileged-worker",
            "high",
            it,
            id,
            "ROLE",
            role,
            st,
            sid,
        ])
    };
    assert_eq!(
        rows_of(&t, &cfg(&t), "overprivileged-worker"),
        vec![
            want(
                "GATEWAY",
                "gw-envadmin",
                "r-envadmin",
                "POPULATION",
                "pop-a"
            ),
            want(
                "APPLICATION",
                "w-custom-org",
                "r-helpdesk",
                "ORGANIZATION",
                "org-1"
            ),
            want(
                "APPLICATION",
                "w-disabled",
                "r-envadmin",
                "ENVIRONMENT",
                "env-a"
            ),
            want(
                "APPLICATION",
                "w-envadmin",
                "r-envadmin",
                "ENVIRONMENT",
                "env-a"
            ),
            want(
                "APPLICATION",
                "w-missing-org",
                "r-gone",
                "ORGANIZATION",
                "org-1"
            ),
            want(
                "APPLICATION",
                "w-orgadmin-env",
                "r-orgadmin",
                "ENVIRONMENT",
                "env-a"
            ),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// nesting-cycle

#[test]
fn nesting_cycle_one_finding_per_cycle_named_by_the_smallest_id() {
    let t = base()
        .group("self", "env-a")
        .group("b2", "env-a")
        .group("a2", "env-a")
        // String order: "g10" < "g2" < "g9".
        .group("g9", "env-a")
        .group("g10", "env-a")
        .group("g2", "env-a")
        .group("tail", "env-a")
        .group("chain1", "env-a")
        .group("chain2", "env-a")
        .group("chain3", "env-a")
        .nest("self", "self")
        .nest("b2", "a2")
        .nest("a2", "b2")
        .nest("g9", "g10")
        .nest("g10", "g2")
        .nest("g2", "g9")
        // A group nested into a cycle is not part of it.
        .nest("tail", "g9")
        .nest("chain1", "chain2")
        .nest("chain2", "chain3")
        // Two cycles sharing a group are one strongly connected set: one finding.
        .group("x3", "env-a")
        .group("x2", "env-a")
        .group("x1", "env-a")
        .nest("x1", "x2")
        .nest("x2", "x1")
        .nest("x2", "x3")
        .nest("x3", "x2")
        .build();
    let want = |g: &str| r(["nesting-cycle", "low", "", "", "GROUP", g, "", ""]);
    let found = findings_of(&t, &cfg(&t), "nesting-cycle");
    assert_eq!(
        found.iter().map(row).collect::<Vec<_>>(),
        vec![want("a2"), want("g10"), want("self"), want("x1")]
    );
    assert!(found[3].detail.contains("x3"), "{}", found[3].detail);
    let three = &found[1].detail;
    for g in ["g10", "g2", "g9"] {
        assert!(three.contains(g), "detail lists every group: {three}");
    }
    assert!(!three.contains("tail"), "{three}");
    assert!(found[0].detail.contains("b2"), "{}", found[0].detail);
}

#[test]
fn nesting_cycle_none_for_a_chain() {
    let t = base()
        .group("c1", "env-a")
        .group("c2", "env-a")
        .group("c3", "env-a")
        .nest("c1", "c2")
        .nest("c2", "c3")
        .nest("c1", "c3")
        .build();
    assert_eq!(rows_of(&t, &cfg(&t), "nesting-cycle"), Vec::<Row>::new());
}

// ---------------------------------------------------------------------------------------------
// orphaned-assignment

#[test]
fn orphaned_assignment_missing_role_or_known_scope_kind_target() {
    let t = base()
        .group("g-ops", "env-a")
        .user("u1", "env-a")
        .app("w1", "env-a", "WORKER", true, false, None)
        .app("web1", "env-a", "WEB_APP", true, false, None)
        .gateway("gw1", "env-a", true)
        .assign("ra1", "USER", "u1", "r-gone", "ENVIRONMENT", "env-a")
        .assign("ra2", "USER", "u1", "r-envadmin", "POPULATION", "pop-gone")
        .assign(
            "ra3",
            "GROUP",
            "g-ops",
            "r-envadmin",
            "ENVIRONMENT",
            "env-gone",
        )
        .assign(
            "ra4",
            "APPLICATION",
            "w1",
            "r-envadmin",
            "APPLICATION",
            "app-gone",
        )
        .assign("ra5", "GATEWAY", "gw1", "r-gone2", "ENVIRONMENT", "env-a")
        // Role and scope both missing: still one row for the assignment.
        .assign("ra6", "USER", "u1", "r-gone3", "ENVIRONMENT", "env-gone")
        // Present targets: not orphaned.
        .assign("ok1", "USER", "u1", "r-envadmin", "POPULATION", "pop-a")
        .assign("ok2", "USER", "u1", "r-envadmin", "APPLICATION", "web1")
        .assign("ok3", "USER", "u1", "r-orgadmin", "ORGANIZATION", "org-1")
        // An unknown scope type is not orphaned.
        .assign(
            "ok4",
            "USER",
            "u1",
            "r-envadmin",
            "FUTURE_SCOPE",
            "whatever",
        )
        .build();
    let want = |it: &str, id: &str, role: &str, st: &str, sid: &str| {
        r(["orphaned-assignment", "low", it, id, "ROLE", role, st, sid])
    };
    let found = findings_of(&t, &cfg(&t), "orphaned-assignment");
    assert_eq!(
        found.iter().map(row).collect::<Vec<_>>(),
        vec![
            want("GROUP", "g-ops", "r-envadmin", "ENVIRONMENT", "env-gone"),
            want("GATEWAY", "gw1", "r-gone2", "ENVIRONMENT", "env-a"),
            want("USER", "u1", "r-envadmin", "POPULATION", "pop-gone"),
            want("USER", "u1", "r-gone", "ENVIRONMENT", "env-a"),
            want("USER", "u1", "r-gone3", "ENVIRONMENT", "env-gone"),
            want("APPLICATION", "w1", "r-envadmin", "APPLICATION", "app-gone"),
        ]
    );
}

#[test]
fn orphaned_assignment_duplicate_keys_appear_once() {
    // Two assignments that differ only in their id are the same on every key column.
    let t = base()
        .user("u1", "env-a")
        .assign("ra1", "USER", "u1", "r-gone", "ENVIRONMENT", "env-a")
        .assign("ra2", "USER", "u1", "r-gone", "ENVIRONMENT", "env-a")
        .build();
    assert_eq!(
        rows_of(&t, &cfg(&t), "orphaned-assignment"),
        vec![r([
            "orphaned-assignment",
            "low",
            "USER",
            "u1",
            "ROLE",
            "r-gone",
            "ENVIRONMENT",
            "env-a"
        ])]
    );
}

// ---------------------------------------------------------------------------------------------
// collector-overprivileged

#[test]
fn collector_overprivileged_only_the_collector_and_only_non_read_only_roles() {
    let mut b = base()
        .app("w-collector", "env-a", "WORKER", true, false, None)
        .app("w-other", "env-a", "WORKER", true, false, None)
        .assign(
            "ra1",
            "APPLICATION",
            "w-collector",
            "r-idro",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra2",
            "APPLICATION",
            "w-collector",
            "r-helpdesk",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra3",
            "APPLICATION",
            "w-collector",
            "r-gone",
            "ENVIRONMENT",
            "env-b",
        )
        .assign(
            "ra4",
            "APPLICATION",
            "w-other",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        );
    b.tenant_mut().manifest.collector_client_id = "w-collector".into();
    b.tenant_mut().manifest.collector_environment_id = "env-a".into();
    let t = b.build();
    let want = |role: &str, sid: &str| {
        r([
            "collector-overprivileged",
            "high",
            "APPLICATION",
            "w-collector",
            "ROLE",
            role,
            "ENVIRONMENT",
            sid,
        ])
    };
    assert_eq!(
        rows_of(&t, &cfg(&t), "collector-overprivileged"),
        vec![want("r-gone", "env-b"), want("r-helpdesk", "env-a")]
    );
}

#[test]
fn collector_overprivileged_read_only_collector_gives_nothing() {
    let mut b = base()
        .app("w-collector", "env-a", "WORKER", true, false, None)
        .assign(
            "ra1",
            "APPLICATION",
            "w-collector",
            "r-idro",
            "ORGANIZATION",
            "org-1",
        );
    b.tenant_mut().manifest.collector_client_id = "w-collector".into();
    let t = b.build();
    assert_eq!(
        rows_of(&t, &cfg(&t), "collector-overprivileged"),
        Vec::<Row>::new()
    );
}

// ---------------------------------------------------------------------------------------------
// unused-admin-role

fn unused_tenant() -> Tenant {
    base()
        .group("g-help", "env-a")
        .user("u-idle", "env-a")
        .member("u-idle", "g-help")
        .assign(
            "ga1",
            "GROUP",
            "g-help",
            "r-helpdesk",
            "POPULATION",
            "pop-a",
        )
        .user("u-signon-only", "env-a")
        .user("u-admin", "env-a")
        .user("u-flowdef", "env-a")
        .user("u-flow", "env-a")
        .user("u-old-action", "env-a")
        .user_with("u-disabled", "env-a", |u| u.enabled = false)
        .user("u-readonly", "env-a")
        .user("u-mixed", "env-a")
        .app("w-client-actor", "env-a", "WORKER", true, false, None)
        .app("w-idle", "env-a", "WORKER", true, false, None)
        .gateway("gw-idle", "env-a", true)
        .assign(
            "ra1",
            "USER",
            "u-idle",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra2",
            "USER",
            "u-signon-only",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra3",
            "USER",
            "u-admin",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra3b",
            "USER",
            "u-admin",
            "r-orgadmin",
            "ORGANIZATION",
            "org-1",
        )
        .assign(
            "ra4",
            "USER",
            "u-flowdef",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra5",
            "USER",
            "u-flow",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra6",
            "USER",
            "u-old-action",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra7",
            "USER",
            "u-disabled",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra8",
            "USER",
            "u-readonly",
            "r-idro",
            "ENVIRONMENT",
            "env-a",
        )
        .assign("ra9", "USER", "u-mixed", "r-idro", "ENVIRONMENT", "env-a")
        .assign(
            "ra10",
            "USER",
            "u-mixed",
            "r-helpdesk",
            "POPULATION",
            "pop-a",
        )
        .assign(
            "ra11",
            "APPLICATION",
            "w-client-actor",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra12",
            "APPLICATION",
            "w-idle",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra13",
            "GATEWAY",
            "gw-idle",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .build()
}

fn unused_events() -> Vec<Ev<'static>> {
    vec![
        (
            days_before(2),
            "USER.ACCESS_ALLOWED",
            "u-signon-only",
            "some-app",
        ),
        (days_before(2), "SESSION.CREATED", "u-signon-only", ""),
        (days_before(3), "ROLE_ASSIGNMENT.CREATED", "u-admin", ""),
        (days_before(4), "FLOW_DEFINITION.UPDATED", "u-flowdef", ""),
        (days_before(4), "FLOW.UPDATED", "u-flow", ""),
        // Outside the 14-day window.
        (days_before(20), "USER.UPDATED", "u-old-action", ""),
        // An admin action by a worker app as the client actor, on behalf of no user.
        (days_before(1), "USER.CREATED", "", "w-client-actor"),
        // A failed admin action still counts (whatever its result.status).
        (days_before(5), "GROUP.UPDATED", "u-readonly", ""),
    ]
}

fn unused(it: &str, id: &str, role: &str, st: &str, sid: &str) -> Row {
    r(["unused-admin-role", "medium", it, id, "ROLE", role, st, sid])
}

#[test]
fn unused_admin_role_per_privileged_entitlement_of_idle_holders() {
    let t = with_activities(unused_tenant(), (days_before(14), t0()), &unused_events());
    let env = |it: &str, id: &str| unused(it, id, "r-envadmin", "ENVIRONMENT", "env-a");
    assert_eq!(
        rows_of(&t, &cfg(&t), "unused-admin-role"),
        vec![
            env("GATEWAY", "gw-idle"),
            env("USER", "u-disabled"),
            env("USER", "u-flow"),
            env("USER", "u-idle"),
            // A role reached through a group is an entitlement of the user too (M2).
            unused("USER", "u-idle", "r-helpdesk", "POPULATION", "pop-a"),
            unused("USER", "u-mixed", "r-helpdesk", "POPULATION", "pop-a"),
            env("USER", "u-old-action"),
            env("USER", "u-signon-only"),
            env("APPLICATION", "w-idle"),
        ]
    );
}

#[test]
fn unused_admin_role_needs_a_covered_period_of_usage_days() {
    // 13 days of activities do not span the 14-day window: no finding at all.
    let t = with_activities(unused_tenant(), (days_before(13), t0()), &unused_events());
    assert_eq!(
        rows_of(&t, &cfg(&t), "unused-admin-role"),
        Vec::<Row>::new()
    );
    // The same with a 13-day usage window fires.
    let mut c = cfg(&t);
    c.usage_days = 13;
    assert!(!rows_of(&t, &c, "unused-admin-role").is_empty());
    // No activities window at all: nothing is known, nothing fires.
    let t = unused_tenant();
    assert_eq!(
        rows_of(&t, &cfg(&t), "unused-admin-role"),
        Vec::<Row>::new()
    );
}

#[test]
fn unused_admin_role_never_fires_while_any_environment_is_unobserved() {
    // M8 amended / M10: the same tenant that fires above, with one environment's activities
    // not collected (denied, or its file missing), says nothing about disuse anywhere.
    for status in ["denied", "missing"] {
        let mut t = with_activities(unused_tenant(), (days_before(14), t0()), &unused_events());
        assert!(!rows_of(&t, &cfg(&t), "unused-admin-role").is_empty());
        t.manifest.coverage.push(CoverageGap {
            collection: "environments/env-b/activities".into(),
            status: status.into(),
            detail: String::new(),
        });
        assert_eq!(
            rows_of(&t, &cfg(&t), "unused-admin-role"),
            Vec::<Row>::new(),
            "{status}"
        );
        // ... while the gap itself is reported.
        assert_eq!(
            rows_of(&t, &cfg(&t), "coverage-gap"),
            vec![r([
                "coverage-gap",
                "info",
                "",
                "",
                "COLLECTION",
                "environments/env-b/activities",
                "",
                ""
            ])]
        );
    }
    // A gap in another collection does not hide activities.
    let mut t = with_activities(unused_tenant(), (days_before(14), t0()), &unused_events());
    t.manifest.coverage.push(CoverageGap {
        collection: "environments/env-b/users".into(),
        status: "missing".into(),
        detail: String::new(),
    });
    assert!(!rows_of(&t, &cfg(&t), "unused-admin-role").is_empty());
}

#[test]
fn unused_admin_role_window_moves_with_as_of() {
    let t = with_activities(unused_tenant(), (days_before(40), t0()), &unused_events());
    // Judged 10 days before capture, u-old-action's action (20 days before capture) is inside
    // the 14 days before as_of, so it is not unused; u-admin's (3 days) is after as_of and
    // outside the window.
    let mut c = cfg(&t);
    c.as_of = days_before(10);
    let ids: Vec<String> = rows_of(&t, &c, "unused-admin-role")
        .into_iter()
        .map(|r| r[3].clone())
        .collect();
    assert!(!ids.contains(&"u-old-action".to_string()), "{ids:?}");
    assert!(ids.contains(&"u-idle".to_string()), "{ids:?}");
}

// ---------------------------------------------------------------------------------------------
// broad-scope-role

#[test]
fn severity_is_critical_for_tier_zero_roles_only() {
    // A custom privileged role at ORGANIZATION scope is tier zero; the same role at ENVIRONMENT
    // scope is not; a custom role named "Environment Admin" is not the built-in one.
    let t = base()
        .role(
            "r-custom",
            "Support L2",
            &["dir:update:user"],
            Some("env-a"),
        )
        .user_with("u-org", "env-a", |u| u.mfa_enabled = Some(false))
        .user_with("u-env", "env-a", |u| u.mfa_enabled = Some(false))
        .user_with("u-fake", "env-a", |u| u.mfa_enabled = Some(false))
        .assign("ra1", "USER", "u-org", "r-custom", "ORGANIZATION", "org-1")
        .assign("ra2", "USER", "u-env", "r-custom", "ENVIRONMENT", "env-a")
        .assign(
            "ra3",
            "USER",
            "u-fake",
            "r-fake-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .build();
    assert_eq!(
        rows_of(&t, &cfg(&t), "admin-without-mfa"),
        vec![
            r([
                "admin-without-mfa",
                "critical",
                "USER",
                "u-org",
                "",
                "",
                "",
                ""
            ]),
            r(["admin-without-mfa", "high", "USER", "u-env", "", "", "", ""]),
            r([
                "admin-without-mfa",
                "high",
                "USER",
                "u-fake",
                "",
                "",
                "",
                ""
            ]),
        ]
    );
}

#[test]
fn findings_carry_entitlement_and_scope_names() {
    let t = base()
        .user_with("u-nomfa", "env-a", |u| u.mfa_enabled = Some(false))
        .user_with("u-off", "env-a", |u| u.enabled = false)
        .assign("ra1", "USER", "u-off", "r-envadmin", "ENVIRONMENT", "env-a")
        .assign("ra2", "USER", "u-off", "r-gone", "ENVIRONMENT", "env-gone")
        .build();
    let f = findings_of(&t, &cfg(&t), "disabled-with-privilege");
    let names: Vec<(&str, &str, &str)> = f
        .iter()
        .map(|f| {
            (
                f.entitlement_id.as_str(),
                f.entitlement_name.as_str(),
                f.scope_name.as_str(),
            )
        })
        .collect();
    let env_name = t.s(t.environments[0].name).to_string();
    assert!(!env_name.is_empty());
    // A missing role and a missing scope give empty names, never the id.
    assert_eq!(
        names,
        vec![
            ("r-envadmin", "Environment Admin", env_name.as_str()),
            ("r-gone", "", "")
        ]
    );
}

#[test]
fn broad_scope_role_privileged_user_roles_at_organization_scope() {
    let t = base()
        .group("g-org", "env-a")
        .user("u-org", "env-a")
        .user("u-via-group", "env-a")
        .user("u-readonly-org", "env-a")
        .user("u-env", "env-a")
        .user("u-missing-role", "env-a")
        .user_with("u-disabled", "env-a", |u| u.enabled = false)
        .app("w-org", "env-a", "WORKER", true, false, None)
        .member("u-via-group", "g-org")
        .assign(
            "ra1",
            "USER",
            "u-org",
            "r-orgadmin",
            "ORGANIZATION",
            "org-1",
        )
        .assign(
            "ra1b",
            "USER",
            "u-org",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        )
        .assign(
            "ra2",
            "GROUP",
            "g-org",
            "r-helpdesk",
            "ORGANIZATION",
            "org-1",
        )
        .assign(
            "ra3",
            "USER",
            "u-readonly-org",
            "r-idro",
            "ORGANIZATION",
            "org-1",
        )
        .assign("ra4", "USER", "u-env", "r-envadmin", "ENVIRONMENT", "env-a")
        .assign(
            "ra5",
            "USER",
            "u-missing-role",
            "r-gone",
            "ORGANIZATION",
            "org-1",
        )
        .assign(
            "ra6",
            "USER",
            "u-disabled",
            "r-orgadmin",
            "ORGANIZATION",
            "org-1",
        )
        .assign(
            "ra7",
            "APPLICATION",
            "w-org",
            "r-orgadmin",
            "ORGANIZATION",
            "org-1",
        )
        .build();
    let want = |id: &str, role: &str| {
        r([
            "broad-scope-role",
            "medium",
            "USER",
            id,
            "ROLE",
            role,
            "ORGANIZATION",
            "org-1",
        ])
    };
    assert_eq!(
        rows_of(&t, &cfg(&t), "broad-scope-role"),
        vec![
            // "a user holding": the contract does not restrict it to enabled users.
            want("u-disabled", "r-orgadmin"),
            want("u-missing-role", "r-gone"),
            want("u-org", "r-orgadmin"),
            want("u-via-group", "r-helpdesk"),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// coverage-gap (not in the section 4 table: export format, manifest `coverage`)

#[test]
fn coverage_gap_one_finding_per_uncollected_collection() {
    let mut b = base();
    b.tenant_mut().manifest.coverage = vec![
        CoverageGap {
            collection: "environments/env-a/activities".into(),
            status: "denied".into(),
            detail: "403 INSUFFICIENT_PERMISSIONS".into(),
        },
        CoverageGap {
            collection: "environments/env-b/roles".into(),
            status: "failed".into(),
            detail: String::new(),
        },
    ];
    let t = b.build();
    let found = findings_of(&t, &cfg(&t), "coverage-gap");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].detail.contains("environments/env-a/activities")
            || found[0]
                .entitlement_id
                .contains("environments/env-a/activities"),
        "{:?}",
        found[0]
    );
    // Nothing to report when everything was collected.
    let t = base().build();
    assert!(findings_of(&t, &cfg(&t), "coverage-gap").is_empty());
}

// ---------------------------------------------------------------------------------------------
// the run as a whole: sorting and deduplication

#[test]
fn findings_are_sorted_by_severity_rule_identity_entitlement_scope() {
    let mut t = base()
        .group("g1", "env-a")
        .group("g2", "env-a")
        .nest("g1", "g2")
        .nest("g2", "g1")
        .user_with("u-b", "env-a", |u| {
            u.mfa_enabled = Some(false);
            u.created_at = Some(days_before(400));
        })
        .user_with("u-a", "env-a", |u| u.enabled = false)
        .member("u-b", "g1")
        .app("app-open", "env-a", "WEB_APP", true, false, None)
        .app("w1", "env-a", "WORKER", true, false, None)
        .assign("ra1", "USER", "u-b", "r-orgadmin", "ORGANIZATION", "org-1")
        .assign("ra2", "GROUP", "g1", "r-orgadmin", "ORGANIZATION", "org-1")
        .assign("ra3", "USER", "u-a", "r-envadmin", "ENVIRONMENT", "env-a")
        .assign("ra4", "USER", "u-a", "r-idro", "ENVIRONMENT", "env-a")
        .assign(
            "ra5",
            "APPLICATION",
            "w1",
            "r-orgadmin",
            "ORGANIZATION",
            "org-1",
        )
        .assign("ra6", "USER", "u-b", "r-gone", "ENVIRONMENT", "env-a")
        .build();
    t = with_activities(t, (days_before(14), t0()), &[]);
    let got: Vec<Row> = all(&t, &cfg(&t)).iter().map(row).collect();
    let want: Vec<Row> = vec![
        r([
            "admin-without-mfa",
            "critical",
            "USER",
            "u-b",
            "",
            "",
            "",
            "",
        ]),
        r([
            "disabled-with-privilege",
            "critical",
            "USER",
            "u-a",
            "ROLE",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        ]),
        r(["dormant-admin", "critical", "USER", "u-b", "", "", "", ""]),
        // Organization Admin assigns Environment Admin organization-wide (attack paths, P3).
        r([
            "privilege-escalation",
            "critical",
            "USER",
            "u-b",
            "ROLE",
            "r-envadmin",
            "ORGANIZATION",
            "org-1",
        ]),
        r([
            "privilege-escalation",
            "critical",
            "APPLICATION",
            "w1",
            "ROLE",
            "r-envadmin",
            "ORGANIZATION",
            "org-1",
        ]),
        r([
            "disabled-with-privilege",
            "high",
            "USER",
            "u-a",
            "ROLE",
            "r-idro",
            "ENVIRONMENT",
            "env-a",
        ]),
        r([
            "overprivileged-worker",
            "high",
            "APPLICATION",
            "w1",
            "ROLE",
            "r-orgadmin",
            "ORGANIZATION",
            "org-1",
        ]),
        r([
            "broad-scope-role",
            "medium",
            "USER",
            "u-b",
            "ROLE",
            "r-orgadmin",
            "ORGANIZATION",
            "org-1",
        ]),
        r([
            "open-application",
            "medium",
            "",
            "",
            "APPLICATION",
            "app-open",
            "ENVIRONMENT",
            "env-a",
        ]),
        r([
            "unused-admin-role",
            "medium",
            "USER",
            "u-a",
            "ROLE",
            "r-envadmin",
            "ENVIRONMENT",
            "env-a",
        ]),
        r([
            "unused-admin-role",
            "medium",
            "USER",
            "u-b",
            "ROLE",
            "r-gone",
            "ENVIRONMENT",
            "env-a",
        ]),
        r([
            "unused-admin-role",
            "medium",
            "USER",
            "u-b",
            "ROLE",
            "r-orgadmin",
            "ORGANIZATION",
            "org-1",
        ]),
        r([
            "unused-admin-role",
            "medium",
            "APPLICATION",
            "w1",
            "ROLE",
            "r-orgadmin",
            "ORGANIZATION",
            "org-1",
        ]),
        r(["nesting-cycle", "low", "", "", "GROUP", "g1", "", ""]),
        r([
            "orphaned-assignment",
            "low",
            "USER",
            "u-b",
            "ROLE",
            "r-gone",
            "ENVIRONMENT",
            "env-a",
        ]),
        r([
            "redundant-assignment",
            "low",
            "USER",
            "u-b",
            "ROLE",
            "r-orgadmin",
            "ORGANIZATION",
            "org-1",
        ]),
    ];
    assert_eq!(got, want);
}

#[test]
fn findings_rule_filtering_runs_only_the_given_rules() {
    let t = base()
        .user_with("u1", "env-a", |u| {
            u.enabled = false;
            u.mfa_enabled = Some(false);
        })
        .app("app-open", "env-a", "WEB_APP", true, false, None)
        .assign("ra1", "USER", "u1", "r-envadmin", "ENVIRONMENT", "env-a")
        .build();
    let res = Resolver::new(&t);
    let rules: Vec<Box<dyn Rule>> = registry()
        .into_iter()
        .filter(|x| x.id() == "open-application")
        .collect();
    let got = run(&res, &cfg(&t), &rules);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rule, "open-application");
    // The registry's ids are the contract's, plus coverage-gap and privilege-escalation.
    let mut ids: Vec<&str> = registry().iter().map(|x| x.id()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        vec![
            "admin-without-mfa",
            "broad-scope-role",
            "collector-overprivileged",
            "coverage-gap",
            "disabled-with-privilege",
            "dormant-admin",
            "nesting-cycle",
            "open-application",
            "orphaned-assignment",
            "overprivileged-worker",
            "privilege-escalation",
            "redundant-assignment",
            "unused-admin-role",
        ]
    );
}
