//! `coverage-gap`: a collection the collector could not read, so a clean report cannot hide
//! missing data.

use crate::findings::{Context, Finding, Rule, Severity};

pub struct CoverageGap;

impl Rule for CoverageGap {
    fn id(&self) -> &'static str {
        "coverage-gap"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn explanation(&self) -> &'static str {
        "A collection the export manifest records as not collected completely (denied, failed or skipped). Every conclusion that depends on it may be incomplete: for example, no activities means no usage evidence. One finding per collection."
    }
    fn check_tenant(&self, cx: &Context, out: &mut Vec<Finding>) {
        for c in &cx.t().manifest.coverage {
            out.push(Finding {
                rule: self.id(),
                severity: self.severity(),
                identity_type: String::new(),
                identity_id: String::new(),
                identity_name: String::new(),
                entitlement_type: "COLLECTION".into(),
                entitlement_id: c.collection.clone(),
                entitlement_name: String::new(),
                scope_type: String::new(),
                scope_id: String::new(),
                scope_name: String::new(),
                detail: format!(
                    "{} was not collected: {}{}",
                    c.collection,
                    c.status,
                    if c.detail.is_empty() { String::new() } else { format!(" ({})", c.detail) }
                ),
                recommendation: if c.status == "denied" {
                    "grant the collector worker the read-only role that covers this collection, then ingest again".into()
                } else {
                    "ingest again; until then treat findings that depend on this collection as incomplete".into()
                },
            });
        }
    }
}
