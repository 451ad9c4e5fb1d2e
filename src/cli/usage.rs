//! `p1graph usage`: last use per identity, per role entitlement and per application (M8).

use std::path::PathBuf;

use super::{Globals, load_input};
use crate::Error;
use crate::findings::usage::compute;
use crate::report::access::write_csv_fields;
use crate::resolve::Resolver;
use crate::resolve::explain::find_identity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum View {
    /// One row per role entitlement with its holder's last admin action (`unused` when the window
    /// was observed and nothing happened).
    Roles,
    /// One row per identity with an activity or a role.
    Identities,
    /// One row per application: users with access, active in 7/30/90 days, never used.
    Applications,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
    Table,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An export directory or a `.p1g` snapshot.
    #[arg(long, short)]
    pub input: PathBuf,
    /// Only this identity (id, username or name).
    #[arg(long)]
    pub identity: Option<String>,
    #[arg(long, value_enum, default_value_t = View::Roles)]
    pub view: View,
    /// Default: a table on a terminal, CSV otherwise.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Only privileged roles that were not used (the roles view).
    #[arg(long)]
    pub unused: bool,
    #[command(flatten)]
    pub judgement: super::JudgementArgs,
    /// Write here (atomically) instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let format = a.format.unwrap_or(if super::to_terminal(a.out.as_deref()) {
        Format::Table
    } else {
        Format::Csv
    });
    let t = load_input(&a.input, g)?;
    let cfg = a.judgement.config(&t, g.quiet);
    let r = Resolver::new(&t);
    let only = a
        .identity
        .as_deref()
        .map(|q| find_identity(&r, q))
        .transpose()?;
    let (ids, mut roles, apps) = compute(&r, cfg.as_of, cfg.usage_days, only);
    if a.unused {
        roles.retain(|x| x.privileged && x.status == crate::findings::usage::UsageStatus::Unused);
    }
    let (header, rows): (Vec<&str>, Vec<Vec<String>>) = match a.view {
        View::Roles => (
            vec![
                "identity_type",
                "identity_id",
                "identity_name",
                "role_id",
                "role_name",
                "scope_type",
                "scope_id",
                "privileged",
                "last_admin_action",
                "status",
            ],
            roles
                .iter()
                .map(|x| {
                    vec![
                        x.identity_type.into(),
                        x.identity_id.clone(),
                        x.identity_name.clone(),
                        x.role_id.clone(),
                        x.role_name.clone(),
                        x.scope_type.clone(),
                        x.scope_id.clone(),
                        x.privileged.to_string(),
                        x.last_admin_action.clone(),
                        x.status.as_str().into(),
                    ]
                })
                .collect(),
        ),
        View::Identities => (
            vec![
                "identity_type",
                "identity_id",
                "identity_name",
                "enabled",
                "last_sign_on",
                "last_activity",
                "last_admin_action",
                "privileged_roles",
            ],
            ids.iter()
                .map(|x| {
                    vec![
                        x.identity_type.into(),
                        x.identity_id.clone(),
                        x.identity_name.clone(),
                        x.enabled.to_string(),
                        x.last_sign_on.clone(),
                        x.last_activity.clone(),
                        x.last_admin_action.clone(),
                        x.privileged_roles.to_string(),
                    ]
                })
                .collect(),
        ),
        View::Applications => (
            vec![
                "application_id",
                "application_name",
                "environment_id",
                "users_with_access",
                "active_7d",
                "active_30d",
                "active_90d",
                "never_used",
                "not_observed",
            ],
            apps.iter()
                .map(|x| {
                    vec![
                        x.application_id.clone(),
                        x.application_name.clone(),
                        x.environment_id.clone(),
                        x.users_with_access.to_string(),
                        x.active_7d.to_string(),
                        x.active_30d.to_string(),
                        x.active_90d.to_string(),
                        x.never_used.to_string(),
                        x.not_observed.to_string(),
                    ]
                })
                .collect(),
        ),
    };
    let mut bytes = Vec::new();
    match format {
        Format::Csv => {
            write_csv_fields(&header, &mut bytes);
            for r in &rows {
                let f: Vec<&str> = r.iter().map(|s| s.as_str()).collect();
                write_csv_fields(&f, &mut bytes);
            }
        }
        Format::Json => {
            let v: Vec<serde_json::Map<String, serde_json::Value>> = rows
                .iter()
                .map(|r| {
                    header
                        .iter()
                        .zip(r)
                        .map(|(h, v)| (h.to_string(), serde_json::Value::String(v.clone())))
                        .collect()
                })
                .collect();
            bytes = crate::report::json::pretty(&v)?;
            bytes.push(b'\n');
        }
        Format::Table => {
            let covered: Vec<String> = t
                .usage
                .covered
                .iter()
                .map(|p| format!("{} .. {}", p.from, p.to))
                .collect();
            let mut s = format!(
                "activity observed: {}\njudged at {} over the last {} days\n\n",
                if covered.is_empty() {
                    "never (no activities collected)".into()
                } else {
                    covered.join(", ")
                },
                cfg.as_of,
                cfg.usage_days
            );
            let gaps = t.activity_gaps();
            if !gaps.is_empty() {
                s.push_str(&format!(
                    "not observed: {} (not collected); no role is called unused while any environment is unobserved\n\n",
                    gaps.join(", ")
                ));
            }
            // Names and ids may be cut to fit the terminal, with an ellipsis; never silently.
            let mut table = crate::report::table::Table::new(
                header
                    .iter()
                    .map(|h| crate::report::table::Column::shrink(h, 10))
                    .collect(),
            );
            for r in &rows {
                table.row(r.iter().cloned());
            }
            s.push_str(&table.render(crate::report::table::terminal_width()));
            s.push_str(&table.cut_note());
            s.push_str(&format!("\n{} row(s)\n", rows.len()));
            bytes = s.into_bytes();
        }
    }
    let mut out = crate::report::Output::create(a.out.as_deref())?;
    out.write_all(&bytes)?;
    out.finish()?;
    Ok(0)
}
