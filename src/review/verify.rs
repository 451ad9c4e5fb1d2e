//! `review verify`: is every revoked access really gone in a later snapshot?
//!
//! For each `revoke` row the new snapshot is resolved for that identity. The access is
//! *applied* when the identity or the entitlement is gone; *not applied* when it still arrives
//! through one of the entry points the campaign recorded (a direct assignment, an entry group, an
//! open application); *still reachable* when the recorded paths were cut but the access arrives
//! through another one, which is named. The result, with the campaign manifest and the SHA-256 of
//! every sheet and of both inputs, is the evidence an auditor keeps.

use std::path::Path;

use serde::Serialize;

use super::ReviewError;
use super::campaign::{CampaignManifest, InputInfo, MANIFEST_FILE, sha256_file};
use super::grants::{Ent, Groups, access_ents, membership_ent, recorded_entry_points};
use super::sheet::{Campaign, col};
use crate::model::*;
use crate::resolve::{Access, Resolver};

/// What became of one revoke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Applied,
    NotApplied,
    StillReachable,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::NotApplied => "not applied",
            Outcome::StillReachable => "still reachable",
        }
    }
}

/// One verified revoke.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyResult {
    pub sheet: String,
    pub line: u64,
    pub row_id: String,
    pub identity_type: String,
    pub identity_id: String,
    pub identity_name: String,
    pub entitlement_type: String,
    pub entitlement_id: String,
    pub entitlement_name: String,
    pub scope_type: String,
    pub scope_id: String,
    pub outcome: Outcome,
    pub detail: String,
    /// Entry points through which the access still arrives (empty when applied).
    pub through: Vec<String>,
    /// One shortest path in the new snapshot (empty when applied).
    pub path: String,
}

crate::model::key::keyed_by_fields!(VerifyResult);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub revokes: u64,
    pub applied: u64,
    pub not_applied: u64,
    pub still_reachable: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileHash {
    pub file: String,
    pub sha256: String,
    /// Who reviewed the sheet, as the campaign records it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reviewer: String,
}

/// The evidence of one verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub format: &'static str,
    pub version: u32,
    pub verified_at: String,
    pub campaign: CampaignManifest,
    pub campaign_manifest_sha256: String,
    pub sheets: Vec<FileHash>,
    pub original_input: InputInfo,
    pub new_input: InputInfo,
    pub summary: Summary,
    pub results: Vec<VerifyResult>,
}

fn entry_text(t: &Tenant, p: &str) -> String {
    match p {
        "direct" => "a direct assignment".into(),
        "open" => "the application being open to every user of its environment".into(),
        "admin_role" => "an admin role (the application admits admins only)".into(),
        g => {
            let name = t
                .strings
                .get(g)
                .and_then(|s| t.index.group.get(&s))
                .map(|x| t.group_label(x))
                .filter(|n| !n.is_empty())
                .unwrap_or(g);
            format!("group `{name}`")
        }
    }
}

/// Verifies every revoke of `campaign` (in `dir`) against tenant `t` read from `new_input`.
pub fn verify(
    campaign: &Campaign,
    dir: &Path,
    t: &Tenant,
    new_input: InputInfo,
    now: Ts,
) -> Result<Verification, ReviewError> {
    let r = Resolver::new(t);
    let by_id = r.identity_by_id();
    let mut groups: Option<Groups> = None;
    let mut access = Access::default();
    let mut results = Vec::new();
    let mut summary = Summary::default();
    let mut ents: Vec<Ent> = Vec::new();
    for (sheet, row) in campaign.revokes() {
        let ent_type = row.get(col::ENTITLEMENT_TYPE);
        let ent_id = row.get(col::ENTITLEMENT_ID);
        let mut res = VerifyResult {
            sheet: sheet.entry.file.clone(),
            line: row.line,
            row_id: row.get(col::ROW_ID).to_string(),
            identity_type: row.get(col::IDENTITY_TYPE).to_string(),
            identity_id: row.get(col::IDENTITY_ID).to_string(),
            identity_name: row.get(col::IDENTITY_NAME).to_string(),
            entitlement_type: ent_type.to_string(),
            entitlement_id: ent_id.to_string(),
            entitlement_name: row.get(col::ENTITLEMENT_NAME).to_string(),
            scope_type: row.get(col::SCOPE_TYPE).to_string(),
            scope_id: row.get(col::SCOPE_ID).to_string(),
            outcome: Outcome::Applied,
            detail: String::new(),
            through: Vec::new(),
            path: String::new(),
        };
        let found: Option<Ent> = match t.strings.get(&res.identity_id).and_then(|s| by_id.get(&s)) {
            None => {
                res.detail = "the identity no longer exists".into();
                None
            }
            Some(&id) => {
                ents.clear();
                if ent_type == "GROUP" {
                    let g = t.strings.get(ent_id).and_then(|s| t.index.group.get(&s));
                    match (id, g) {
                        (crate::resolve::Identity::User(u), Some(g)) => {
                            let gs = groups.get_or_insert_with(|| Groups::new(t));
                            gs.of_user(&r, u)
                                .contains(&g)
                                .then(|| membership_ent(&r, gs, u, g))
                        }
                        _ => None,
                    }
                } else {
                    r.resolve(id, &mut access);
                    access_ents(&r, &access, true, true, &mut ents);
                    ents.iter()
                        .find(|e| {
                            e.ent_type == ent_type
                                && t.s(e.ent_id) == ent_id
                                && e.scope_type == res.scope_type
                                && t.s(e.scope_id) == res.scope_id
                        })
                        .cloned()
                }
            }
        };
        match found {
            None => {
                if res.detail.is_empty() {
                    res.detail = "the access is gone".into();
                }
                summary.applied += 1;
            }
            Some(e) => {
                let now_points = e.entry_points(t);
                let before = recorded_entry_points(row.get(col::GRANTED), row.get(col::VIA_GROUPS));
                let same: Vec<&String> = now_points.iter().filter(|p| before.contains(p)).collect();
                res.path = e.path.clone();
                if !same.is_empty() || now_points.is_empty() {
                    res.outcome = Outcome::NotApplied;
                    res.through = same.iter().map(|s| s.to_string()).collect();
                    res.detail = format!(
                        "still granted through {}",
                        same.iter()
                            .map(|p| entry_text(t, p))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    );
                    if same.is_empty() {
                        res.detail = "still granted".into();
                    }
                    summary.not_applied += 1;
                } else {
                    res.outcome = Outcome::StillReachable;
                    res.detail = format!(
                        "the reviewed path is gone, but the access still arrives through {}",
                        now_points
                            .iter()
                            .map(|p| entry_text(t, p))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    );
                    res.through = now_points;
                    summary.still_reachable += 1;
                }
            }
        }
        summary.revokes += 1;
        results.push(res);
    }
    let mut sheets = Vec::new();
    for s in &campaign.sheets {
        let p = dir.join(&s.entry.file);
        sheets.push(FileHash {
            file: s.entry.file.clone(),
            reviewer: s.entry.reviewer.clone(),
            sha256: if p.exists() {
                sha256_file(&p)?
            } else {
                String::new()
            },
        });
    }
    Ok(Verification {
        format: "p1graph-review-evidence",
        version: 1,
        verified_at: now.to_rfc3339(),
        campaign: campaign.manifest.clone(),
        campaign_manifest_sha256: sha256_file(&dir.join(MANIFEST_FILE))?,
        sheets,
        original_input: campaign.manifest.input.clone(),
        new_input,
        summary,
        results,
    })
}

impl Verification {
    pub fn to_json(&self) -> Result<Vec<u8>, crate::report::output::OutputError> {
        crate::report::json::pretty_named(self, "the evidence")
    }

    /// The evidence file's name in the campaign directory.
    pub fn file_name(&self) -> String {
        let stamp: String = self
            .verified_at
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        format!("evidence-{stamp}.json")
    }

    /// The summary for a person.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let sm = &self.summary;
        let _ = writeln!(
            s,
            "campaign {}: {} revoke(s) checked against {} (sha256 {})",
            self.campaign.campaign_id,
            sm.revokes,
            self.new_input.path.display(),
            self.new_input.sha256
        );
        let _ = writeln!(s, "  applied:          {}", sm.applied);
        let _ = writeln!(s, "  not applied:      {}", sm.not_applied);
        let _ = writeln!(s, "  still reachable:  {}", sm.still_reachable);
        for r in &self.results {
            let ent = if r.entitlement_name.is_empty() {
                &r.entitlement_id
            } else {
                &r.entitlement_name
            };
            let _ = write!(
                s,
                "{}:{}: {} {} `{}` @ {}:{} of {} `{}`: {}",
                r.sheet,
                r.line,
                r.outcome.as_str(),
                r.entitlement_type,
                ent,
                r.scope_type,
                r.scope_id,
                r.identity_type.to_lowercase(),
                r.identity_name,
                r.detail
            );
            if !r.path.is_empty() {
                let _ = write!(s, " ({})", r.path);
            }
            s.push('\n');
        }
        s
    }
}
