//! `p1graph usage` for people and programs: the roles, identities and applications views as
//! CSV, JSON or a table. [`crate::findings::usage`] computes them.

use super::csv::write_csv_fields;
use super::output::OutputError;
use super::table::{Column, Table};
use crate::findings::usage::{AppUsage, IdentityUsage, RoleUsage};
use crate::model::{Tenant, Ts};

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

/// One view as text cells under its header.
pub struct UsageTable {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// The cells of `view`.
pub fn usage_table(
    view: View,
    ids: &[IdentityUsage],
    roles: &[RoleUsage],
    apps: &[AppUsage],
) -> UsageTable {
    let (header, rows): (Vec<&'static str>, Vec<Vec<String>>) = match view {
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
    UsageTable { header, rows }
}

impl UsageTable {
    /// RFC 4180, CRLF, header first.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        write_csv_fields(&self.header, &mut bytes);
        for r in &self.rows {
            let f: Vec<&str> = r.iter().map(|s| s.as_str()).collect();
            write_csv_fields(&f, &mut bytes);
        }
        bytes
    }

    /// An array of objects, one per row, every value a string as in the CSV.
    pub fn to_json(&self) -> Result<Vec<u8>, OutputError> {
        let v: Vec<serde_json::Map<String, serde_json::Value>> = self
            .rows
            .iter()
            .map(|r| {
                self.header
                    .iter()
                    .zip(r)
                    .map(|(h, v)| (h.to_string(), serde_json::Value::String(v.clone())))
                    .collect()
            })
            .collect();
        super::json::pretty(&v)
    }

    /// A table for people, after what was observed and when it is judged: a role is never
    /// called unused while an environment's activities are missing (M10).
    pub fn to_text(&self, t: &Tenant, as_of: Ts, usage_days: i64, width: usize) -> String {
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
            as_of,
            usage_days
        );
        let gaps = t.activity_gaps();
        if !gaps.is_empty() {
            s.push_str(&format!(
                "not observed: {} (not collected); no role is called unused while any environment is unobserved\n\n",
                gaps.join(", ")
            ));
        }
        // Names and ids may be cut to fit the terminal, with an ellipsis; never silently.
        let mut table = Table::new(self.header.iter().map(|h| Column::shrink(h, 10)).collect());
        for r in &self.rows {
            table.row(r.iter().cloned());
        }
        s.push_str(&table.render(width));
        s.push_str(&table.cut_note());
        s.push_str(&format!("\n{} row(s)\n", self.rows.len()));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_json_and_text_hold_the_same_rows() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        let t = crate::export::read_export(&dir).unwrap();
        let r = crate::resolve::Resolver::new(&t);
        let as_of = t.manifest.captured_at.unwrap();
        let (ids, roles, apps) = crate::findings::usage::compute(&r, as_of, 14, None);
        for view in [View::Roles, View::Identities, View::Applications] {
            let table = usage_table(view, &ids, &roles, &apps);
            assert!(!table.rows.is_empty(), "{view:?}");
            let csv = String::from_utf8(table.to_csv()).unwrap();
            assert_eq!(csv.lines().count(), table.rows.len() + 1);
            assert!(csv.starts_with(&table.header.join(",")));
            let json = table.to_json().unwrap();
            assert!(json.ends_with(b"]\n"), "one final newline");
            let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
            assert_eq!(v.as_array().unwrap().len(), table.rows.len());
            let text = table.to_text(&t, as_of, 14, 200);
            assert!(
                text.ends_with(&format!("{} row(s)\n", table.rows.len())),
                "{text}"
            );
        }
    }
}
