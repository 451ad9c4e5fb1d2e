//! What the usage ledger says per identity, per role entitlement and per application: the
//! evidence behind `unused-admin-role`, as the `usage` command shows it.
//!
//! Every "unused" judgement is qualified by the period the ledger actually observed: a role is
//! reported `unused` only when the window it is judged over is fully covered; otherwise
//! `not observed`.

use rayon::prelude::*;

use crate::model::*;
use crate::resolve::{Access, Identity, Resolver};

/// One identity's usage.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IdentityUsage {
    pub identity_type: &'static str,
    pub identity_id: String,
    pub identity_name: String,
    pub enabled: bool,
    pub last_sign_on: String,
    pub last_activity: String,
    pub last_admin_action: String,
    pub privileged_roles: usize,
}

/// One role entitlement with its holder's last admin action.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RoleUsage {
    pub identity_type: &'static str,
    pub identity_id: String,
    pub identity_name: String,
    pub role_id: String,
    pub role_name: String,
    pub scope_type: String,
    pub scope_id: String,
    pub privileged: bool,
    pub last_admin_action: String,
    pub status: UsageStatus,
}

/// Whether a role was used in the usage window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum UsageStatus {
    /// An admin action inside the window.
    #[serde(rename = "used")]
    Used,
    /// No admin action in the window, and the window was fully observed.
    #[serde(rename = "unused")]
    Unused,
    /// No admin action recorded, but the activities do not cover the window (M10): never
    /// evidence of disuse.
    #[serde(rename = "not observed")]
    NotObserved,
}

impl UsageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UsageStatus::Used => "used",
            UsageStatus::Unused => "unused",
            UsageStatus::NotObserved => "not observed",
        }
    }
}

/// One application's use.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AppUsage {
    pub application_id: String,
    pub application_name: String,
    pub environment_id: String,
    pub users_with_access: usize,
    pub active_7d: usize,
    pub active_30d: usize,
    pub active_90d: usize,
    pub never_used: usize,
    /// Users with access and no recorded use, in an environment whose activities were not
    /// collected (M10): not observed, never "never used".
    pub not_observed: usize,
}

fn ts(t: Option<Ts>) -> String {
    t.map_or(String::new(), |t| t.to_rfc3339())
}

/// All three views. `window_days` is the window a role must have been used in; `only` restricts to
/// one identity.
pub fn compute(
    r: &Resolver,
    as_of: Ts,
    window_days: i64,
    only: Option<Identity>,
) -> (Vec<IdentityUsage>, Vec<RoleUsage>, Vec<AppUsage>) {
    let t = r.t;
    let from = as_of.minus_days(window_days);
    let observed = t.usage_covers(from, as_of);
    // Environments whose activities were not collected: their apps' silence is not disuse.
    let env_unobserved: Vec<bool> = (0..t.environments.len())
        .map(|e| !t.env_activities_observed(EnvId::from_idx(e)))
        .collect();
    let ids: Vec<Identity> = match only {
        Some(i) => vec![i],
        None => r.identities_in_order().to_vec(),
    };
    type Part = (Vec<IdentityUsage>, Vec<RoleUsage>, Vec<(AppId, Option<Ts>)>);
    let parts: Vec<Part> = ids
        .par_chunks(2048)
        .map_init(Access::default, |a, chunk| {
            let mut iu = Vec::new();
            let mut ru = Vec::new();
            let mut au = Vec::new();
            for &id in chunk {
                r.resolve(id, a);
                let (pid, name, _, enabled) = crate::resolve::labels::identity_columns(t, id);
                let sym = t.strings.get(pid).unwrap_or(Sym::EMPTY);
                let actor = t.usage.actor(sym);
                let last_admin = actor.and_then(|x| x.last_admin_action);
                let privileged = a
                    .roles
                    .iter()
                    .filter(|e| !t.role_is_read_only(e.role))
                    .count();
                let last_sign_on = match id {
                    Identity::User(u) => t.users[u.idx()].last_sign_on,
                    _ => None,
                };
                if actor.is_some() || !a.roles.is_empty() || only.is_some() {
                    iu.push(IdentityUsage {
                        identity_type: id.type_str(),
                        identity_id: pid.into(),
                        identity_name: name.into(),
                        enabled,
                        last_sign_on: ts(last_sign_on),
                        last_activity: ts(actor.and_then(|x| x.last_activity)),
                        last_admin_action: ts(last_admin),
                        privileged_roles: privileged,
                    });
                }
                for e in &a.roles {
                    let status = if last_admin.is_some_and(|l| l >= from) {
                        UsageStatus::Used
                    } else if observed {
                        UsageStatus::Unused
                    } else {
                        UsageStatus::NotObserved
                    };
                    ru.push(RoleUsage {
                        identity_type: id.type_str(),
                        identity_id: pid.into(),
                        identity_name: name.into(),
                        role_id: t.s(e.role_id).into(),
                        role_name: e
                            .role
                            .map_or(String::new(), |x| t.s(t.roles[x.idx()].name).into()),
                        scope_type: t.scope_kind_str(e.scope.kind).into(),
                        scope_id: t.s(e.scope.id).into(),
                        privileged: !t.role_is_read_only(e.role),
                        last_admin_action: ts(last_admin),
                        status,
                    });
                }
                if let Identity::User(u) = id {
                    let uid = t.users[u.idx()].id;
                    for e in &a.apps {
                        au.push((e.app, t.usage.app_use(uid, t.applications[e.app.idx()].id)));
                    }
                }
            }
            (iu, ru, au)
        })
        .collect();
    let mut identities = Vec::new();
    let mut roles = Vec::new();
    let mut apps: Vec<AppUsage> = t
        .applications
        .iter()
        .map(|a| AppUsage {
            application_id: t.s(a.id).into(),
            application_name: t.s(a.name).into(),
            environment_id: t.s(t.environments[a.env.idx()].id).into(),
            users_with_access: 0,
            active_7d: 0,
            active_30d: 0,
            active_90d: 0,
            never_used: 0,
            not_observed: 0,
        })
        .collect();
    for (iu, ru, au) in parts {
        identities.extend(iu);
        roles.extend(ru);
        for (app, last) in au {
            let x = &mut apps[app.idx()];
            x.users_with_access += 1;
            match last {
                None if env_unobserved[t.applications[app.idx()].env.idx()] => x.not_observed += 1,
                None => x.never_used += 1,
                Some(l) => {
                    x.active_7d += (l >= as_of.minus_days(7)) as usize;
                    x.active_30d += (l >= as_of.minus_days(30)) as usize;
                    x.active_90d += (l >= as_of.minus_days(90)) as usize;
                }
            }
        }
    }
    apps.retain(|a| a.users_with_access > 0);
    apps.sort_by(|a, b| a.application_id.cmp(&b.application_id));
    (identities, roles, apps)
}
