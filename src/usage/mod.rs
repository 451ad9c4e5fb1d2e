//! Activities -> the usage ledger (access model M8).
//!
//! Folding is incremental: a ledger carried from an earlier snapshot absorbs newer events and
//! the newly observed period, so usage history outlives PingOne's 14-day audit window.

use rustc_hash::FxHashMap;

use crate::model::usage::{ActorUsage, AppUse, Period, UsageLedger};
use crate::model::{Activity, Sym, Tenant, Ts};

/// The sign-on families of M8: events of these types are not admin actions.
const SIGN_ON_PREFIXES: &[&str] = &[
    "USER.ACCESS_",
    "FLOW.",
    "SESSION.",
    "AUTHENTICATION.",
    "PASSWORD.CHECK_",
    "OTP.",
    "ASSERTION.",
    "USER.SLO_",
    "OAUTH_CONSENT.",
];

/// Is an event of this `action.type` an admin action (M8)? `FLOW_DEFINITION.*` is; `FLOW.*` is not.
pub fn is_admin_action(action_type: &str) -> bool {
    !SIGN_ON_PREFIXES.iter().any(|p| action_type.starts_with(p))
}

/// Folds `activities` and the manifest's activity window into `tenant.usage`.
pub fn fold_into(tenant: &mut Tenant, activities: Vec<Activity>) {
    let ledger = std::mem::take(&mut tenant.usage);
    let window = tenant.manifest.activities;
    tenant.usage = fold(ledger, &activities, window, |s| tenant.strings.resolve(s));
}

/// Folds events into `ledger`; `window` is the period they cover.
pub fn fold<'a>(
    mut ledger: UsageLedger,
    activities: &[Activity],
    window: Option<(Ts, Ts)>,
    text: impl Fn(Sym) -> &'a str,
) -> UsageLedger {
    let access_allowed = "USER.ACCESS_ALLOWED";
    let mut actors: FxHashMap<Sym, ActorUsage> =
        ledger.actors.drain(..).map(|a| (a.id, a)).collect();
    let mut uses: FxHashMap<(Sym, Sym), Ts> = ledger
        .app_uses
        .drain(..)
        .map(|u| ((u.user, u.app), u.last))
        .collect();
    let mut admin_cache: FxHashMap<Sym, bool> = FxHashMap::default();
    for a in activities {
        let admin = *admin_cache
            .entry(a.action)
            .or_insert_with(|| is_admin_action(text(a.action)));
        for actor in [a.actor_user, a.actor_client] {
            if actor.is_empty() {
                continue;
            }
            let e = actors.entry(actor).or_insert(ActorUsage {
                id: actor,
                last_activity: None,
                last_admin_action: None,
            });
            e.last_activity = e.last_activity.max(Some(a.recorded_at));
            if admin {
                e.last_admin_action = e.last_admin_action.max(Some(a.recorded_at));
            }
        }
        if !a.actor_user.is_empty()
            && !a.actor_client.is_empty()
            && text(a.action) == access_allowed
        {
            let e = uses
                .entry((a.actor_user, a.actor_client))
                .or_insert(a.recorded_at);
            *e = (*e).max(a.recorded_at);
        }
        ledger.high_water = ledger.high_water.max(Some(a.recorded_at));
    }
    ledger.events_seen += activities.len() as u64;
    ledger.actors = actors.into_values().collect();
    ledger.actors.sort_by_key(|a| a.id);
    ledger.app_uses = uses
        .into_iter()
        .map(|((user, app), last)| AppUse { user, app, last })
        .collect();
    ledger.app_uses.sort_by_key(|u| (u.user, u.app));
    if let Some((from, to)) = window {
        ledger.add_period(Period { from, to });
    }
    ledger
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_on_families_are_not_admin_actions() {
        for t in [
            "USER.ACCESS_ALLOWED",
            "FLOW.UPDATED",
            "SESSION.CREATED",
            "PASSWORD.CHECK_SUCCEEDED",
            "OAUTH_CONSENT.X",
        ] {
            assert!(!is_admin_action(t), "{t}");
        }
        for t in [
            "FLOW_DEFINITION.UPDATED",
            "ROLE_ASSIGNMENT.CREATED",
            "PASSWORD.RESET",
            "USER.UPDATED",
        ] {
            assert!(is_admin_action(t), "{t}");
        }
    }
}
