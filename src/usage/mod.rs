//! Activities -> the usage ledger (access model M8).
//!
//! Folding is incremental: a ledger carried from an earlier snapshot absorbs newer events and
//! the newly observed period, so usage history outlives PingOne's 14-day audit window.

use std::path::PathBuf;

use rustc_hash::FxHashMap;

use crate::model::usage::{ActorUsage, AppUse, UsageLedger};
use crate::model::{Sym, Tenant, Ts};

pub use crate::model::usage::{fold, fold_into, is_admin_action};

/// Why an earlier snapshot cannot be combined with a later input.
#[derive(Debug, thiserror::Error)]
pub enum PreviousError {
    #[error(
        "`{previous}` is a snapshot of organization {previous_org}, but the input is organization {input_org}; refusing to mix their usage"
    )]
    OtherOrganization {
        previous: PathBuf,
        previous_org: String,
        input_org: String,
    },
    #[error(
        "`{previous}` was captured at {previous_at}, after the input (captured at {input_at}); refusing to carry a newer ledger into an older capture"
    )]
    Newer {
        previous: PathBuf,
        previous_at: Ts,
        input_at: Ts,
    },
}

impl PreviousError {
    pub fn help(&self) -> Option<String> {
        Some(match self {
            PreviousError::OtherOrganization { .. } => {
                "pass a snapshot of the same organization as --previous, or none".into()
            }
            PreviousError::Newer { .. } => {
                "--previous must name an earlier snapshot of the same organization".into()
            }
        })
    }
}

/// `org (name)`, or `org` when the name is unknown, or `(unknown)`.
pub fn org_label(t: &Tenant) -> String {
    let (id, name) = (t.s(t.organization.id), t.s(t.organization.name));
    match (id.is_empty(), name.is_empty()) {
        (true, _) => "(unknown)".into(),
        (false, true) => format!("`{id}`"),
        (false, false) => format!("`{id}` ({name})"),
    }
}

/// Do `a` and `b` name different organizations? Unknown ids (empty) never conflict.
pub fn other_organization(a: &Tenant, b: &Tenant) -> bool {
    let (x, y) = (a.s(a.organization.id), b.s(b.organization.id));
    !x.is_empty() && !y.is_empty() && x != y
}

/// Checks that `previous` (read from `path`) may be carried forward into `input`: the same
/// organization, and captured no later than `input_at` (the input's capture time, or now for a
/// live ingest).
pub fn check_previous(
    input: &Tenant,
    input_at: Ts,
    previous: &Tenant,
    path: &std::path::Path,
) -> Result<(), PreviousError> {
    if other_organization(input, previous) {
        return Err(PreviousError::OtherOrganization {
            previous: path.to_path_buf(),
            previous_org: org_label(previous),
            input_org: org_label(input),
        });
    }
    check_previous_time(input_at, previous, path)
}

/// The time half of [`check_previous`], usable before the input exists (a live ingest).
pub fn check_previous_time(
    input_at: Ts,
    previous: &Tenant,
    path: &std::path::Path,
) -> Result<(), PreviousError> {
    match previous.manifest.captured_at {
        Some(p) if p > input_at => Err(PreviousError::Newer {
            previous: path.to_path_buf(),
            previous_at: p,
            input_at,
        }),
        _ => Ok(()),
    }
}

/// Carries an earlier ledger forward into `tenant` (whose ledger holds the new observations):
/// per actor and per (user, application) the newest times win, observed periods are united (gaps
/// stay visible), the high-water mark is the newest of both. `old_text` resolves the earlier
/// ledger's symbols (they belong to another string table).
pub fn carry_forward<'a>(
    tenant: &mut Tenant,
    old: &UsageLedger,
    old_text: impl Fn(Sym) -> &'a str,
) {
    let mut new = std::mem::take(&mut tenant.usage);
    let mut actors: FxHashMap<Sym, ActorUsage> = new.actors.drain(..).map(|a| (a.id, a)).collect();
    for a in &old.actors {
        let id = tenant.strings.intern(old_text(a.id));
        let e = actors.entry(id).or_insert(ActorUsage {
            id,
            last_activity: None,
            last_admin_action: None,
        });
        e.last_activity = e.last_activity.max(a.last_activity);
        e.last_admin_action = e.last_admin_action.max(a.last_admin_action);
    }
    let mut uses: FxHashMap<(Sym, Sym), Ts> = new
        .app_uses
        .drain(..)
        .map(|u| ((u.user, u.app), u.last))
        .collect();
    for u in &old.app_uses {
        let key = (
            tenant.strings.intern(old_text(u.user)),
            tenant.strings.intern(old_text(u.app)),
        );
        let e = uses.entry(key).or_insert(u.last);
        *e = (*e).max(u.last);
    }
    new.actors = actors.into_values().collect();
    new.actors.sort_by_key(|a| a.id);
    new.app_uses = uses
        .into_iter()
        .map(|((user, app), last)| AppUse { user, app, last })
        .collect();
    new.app_uses.sort_by_key(|u| (u.user, u.app));
    for p in &old.covered {
        new.add_period(*p);
    }
    new.high_water = new.high_water.max(old.high_water);
    new.events_seen += old.events_seen;
    tenant.usage = new;
}

#[cfg(test)]
mod carry_tests {
    use super::*;
    use crate::model::Activity;
    use crate::model::builder::TenantBuilder;

    fn ledger_with(t: &mut Tenant, actor: &str, action: &str, at: &str, window: (&str, &str)) {
        let a = Activity {
            recorded_at: Ts::parse(at).unwrap(),
            action: t.strings.intern(action),
            actor_user: t.strings.intern(actor),
            actor_client: Sym::EMPTY,
            success: true,
        };
        t.manifest.activities = Some((Ts::parse(window.0).unwrap(), Ts::parse(window.1).unwrap()));
        fold_into(t, vec![a]);
    }

    #[test]
    fn ledger_carries_forward_across_three_snapshots_with_a_gap() {
        // Snapshot 1 observes Oct 1-15, snapshot 2 Oct 15-29, snapshot 3 Nov 20 - Dec 4 (gap).
        let mut s1 = TenantBuilder::new("o")
            .user("u1", "e")
            .user("u2", "e")
            .build();
        ledger_with(
            &mut s1,
            "u1",
            "USER.UPDATED",
            "2026-10-03T00:00:00Z",
            ("2026-10-01T00:00:00Z", "2026-10-15T00:00:00Z"),
        );
        let mut s2 = TenantBuilder::new("o")
            .user("u2", "e")
            .user("u1", "e")
            .build();
        ledger_with(
            &mut s2,
            "u2",
            "SESSION.CREATED",
            "2026-10-20T00:00:00Z",
            ("2026-10-15T00:00:00Z", "2026-10-29T00:00:00Z"),
        );
        carry_forward(&mut s2, &s1.usage.clone(), |s| s1.strings.resolve(s));
        let mut s3 = TenantBuilder::new("o").user("u1", "e").build();
        ledger_with(
            &mut s3,
            "u2",
            "GROUP.UPDATED",
            "2026-11-25T00:00:00Z",
            ("2026-11-20T00:00:00Z", "2026-12-04T00:00:00Z"),
        );
        carry_forward(&mut s3, &s2.usage.clone(), |s| s2.strings.resolve(s));

        let u1 = s3.strings.get("u1").unwrap();
        let u2 = s3.strings.get("u2").unwrap();
        assert_eq!(
            s3.usage.actor(u1).unwrap().last_admin_action,
            Ts::parse("2026-10-03T00:00:00Z")
        );
        assert_eq!(
            s3.usage.actor(u2).unwrap().last_admin_action,
            Ts::parse("2026-11-25T00:00:00Z")
        );
        assert_eq!(
            s3.usage.actor(u2).unwrap().last_activity,
            Ts::parse("2026-11-25T00:00:00Z")
        );
        assert_eq!(
            s3.usage.covered.len(),
            2,
            "Oct 1-29 merged, the gap before Nov 20 kept"
        );
        assert!(s3.usage.covers(
            Ts::parse("2026-10-01T00:00:00Z").unwrap(),
            Ts::parse("2026-10-29T00:00:00Z").unwrap()
        ));
        assert!(!s3.usage.covers(
            Ts::parse("2026-10-25T00:00:00Z").unwrap(),
            Ts::parse("2026-11-25T00:00:00Z").unwrap()
        ));
        assert_eq!(s3.usage.high_water, Ts::parse("2026-11-25T00:00:00Z"));
        assert_eq!(s3.usage.events_seen, 3);
    }
}
