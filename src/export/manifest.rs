//! `manifest.json` of the offline export directory (export format, version 1).

use serde::{Deserialize, Serialize};

pub const FORMAT_NAME: &str = "p1graph-export";
pub const FORMAT_VERSION: u32 = 1;

/// The manifest as it is written and read. Unknown members are tolerated on read.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ManifestFile {
    pub format: String,
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector: Option<CollectorRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activities: Option<ActivityWindow>,
    #[serde(default)]
    pub coverage: Vec<CoverageEntry>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrganizationRef {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CollectorRef {
    #[serde(default)]
    pub environment_id: String,
    #[serde(default)]
    pub client_id: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ActivityWindow {
    pub from: String,
    pub to: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct CoverageEntry {
    pub collection: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl ManifestFile {
    pub fn new() -> Self {
        ManifestFile {
            format: FORMAT_NAME.to_string(),
            version: FORMAT_VERSION,
            ..Default::default()
        }
    }
}
