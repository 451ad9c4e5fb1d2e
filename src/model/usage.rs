//! The usage ledger (access model M8): what activities say about who used what, and when.
//!
//! It is the compact residue of audit events: raw events are not kept. Keys are raw PingOne ids
//! (actors can be clients such as `adminui` that are not entities of the snapshot). The ledger is
//! built here from activities ([`fold`]: the M8 rules) and carried by `crate::usage` from snapshot to snapshot, so it can cover more than the
//! 14 days the audit API serves; `covered` says which periods were actually observed.

use rustc_hash::FxHashMap;

use super::intern::Sym;
use super::time::Ts;

/// A half-open observation period `[from, to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    pub from: Ts,
    pub to: Ts,
}

/// What the ledger knows of one actor (a user or a client).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActorUsage {
    pub id: Sym,
    /// Newest `recordedAt` of any event where it is an actor.
    pub last_activity: Option<Ts>,
    /// Newest `recordedAt` of an admin action (not a sign-on family event).
    pub last_admin_action: Option<Ts>,
}

/// A user's last `USER.ACCESS_ALLOWED` to one application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppUse {
    pub user: Sym,
    pub app: Sym,
    pub last: Ts,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageLedger {
    /// Observed periods, sorted and disjoint (merged when they touch).
    pub covered: Vec<Period>,
    /// Sorted by `id`.
    pub actors: Vec<ActorUsage>,
    /// Sorted by (`user`, `app`).
    pub app_uses: Vec<AppUse>,
    /// Newest `recordedAt` seen: where an incremental collection resumes.
    pub high_water: Option<Ts>,
    /// Activities folded into the ledger over its life.
    pub events_seen: u64,
}

impl UsageLedger {
    pub fn actor(&self, id: Sym) -> Option<&ActorUsage> {
        self.actors
            .binary_search_by_key(&id, |a| a.id)
            .ok()
            .map(|i| &self.actors[i])
    }

    pub fn app_use(&self, user: Sym, app: Sym) -> Option<Ts> {
        self.app_uses
            .binary_search_by_key(&(user, app), |a| (a.user, a.app))
            .ok()
            .map(|i| self.app_uses[i].last)
    }

    /// Total observed time in `[from, to)`, in milliseconds.
    pub fn covered_ms_within(&self, from: Ts, to: Ts) -> i64 {
        self.covered
            .iter()
            .map(|p| (p.to.0.min(to.0) - p.from.0.max(from.0)).max(0))
            .sum()
    }

    /// True when `[from, to)` is observed without a gap.
    pub fn covers(&self, from: Ts, to: Ts) -> bool {
        self.covered_ms_within(from, to) >= to.0 - from.0
    }

    /// The span from the oldest observed instant to the newest (gaps included).
    pub fn span(&self) -> Option<Period> {
        Some(Period {
            from: self.covered.first()?.from,
            to: self.covered.last()?.to,
        })
    }

    /// Adds an observed period, keeping `covered` sorted and merged.
    pub fn add_period(&mut self, p: Period) {
        if p.to <= p.from {
            return;
        }
        self.covered.push(p);
        self.covered.sort();
        let mut merged: Vec<Period> = Vec::with_capacity(self.covered.len());
        for p in self.covered.drain(..) {
            match merged.last_mut() {
                Some(last) if p.from <= last.to => last.to = last.to.max(p.to),
                _ => merged.push(p),
            }
        }
        self.covered = merged;
    }
}

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
pub fn fold_into(tenant: &mut super::Tenant, activities: Vec<super::Activity>) {
    let ledger = std::mem::take(&mut tenant.usage);
    let window = tenant.manifest.activities;
    tenant.usage = fold(ledger, &activities, window, |s| tenant.strings.resolve(s));
}

/// Folds events into `ledger`; `window` is the period they cover.
pub fn fold<'a>(
    mut ledger: UsageLedger,
    activities: &[super::Activity],
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
    fn periods_merge_and_gaps_are_visible() {
        let mut l = UsageLedger::default();
        l.add_period(Period {
            from: Ts(0),
            to: Ts(10),
        });
        l.add_period(Period {
            from: Ts(20),
            to: Ts(30),
        });
        l.add_period(Period {
            from: Ts(5),
            to: Ts(12),
        });
        assert_eq!(l.covered.len(), 2);
        assert!(l.covers(Ts(0), Ts(12)));
        assert!(!l.covers(Ts(0), Ts(25)));
        assert_eq!(l.covered_ms_within(Ts(0), Ts(30)), 22);
        assert_eq!(
            l.span(),
            Some(Period {
                from: Ts(0),
                to: Ts(30)
            })
        );
    }

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
