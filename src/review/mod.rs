//! Access-review campaigns: reviewer sheets, decisions, a remediation plan, verification.
//!
//! A campaign is a directory. [`start`] resolves a tenant once and writes one CSV sheet per
//! review target (an application, a role, a group or an environment) plus `campaign.json`, the
//! manifest that pins the input by its SHA-256, and `keys/`, the original key columns of every
//! row, so that [`sheet::read_campaign`] can tell a reviewer's decision from an edited, added,
//! duplicated or deleted row. [`plan`] turns `revoke` decisions into the PingOne API operations
//! that would carry them out (p1graph never calls them: it is read-only by design), and
//! [`verify`] checks a later snapshot for each revoke: gone, still there, or still reachable
//! through another path.
//!
//! Why a directory of CSV files: reviewers work in spreadsheet programs, one sheet per owner;
//! every cell that a spreadsheet could run as a formula is neutralised ([`sheet::neutralise`]).

pub mod campaign;
pub mod grants;
pub mod plan;
pub mod sheet;
pub mod start;
pub mod verify;

use std::path::PathBuf;

pub use campaign::{CampaignManifest, InputInfo, hash_input};
pub use plan::{Plan, build_plan};
pub use sheet::{Campaign, Decision, Problem, SheetRow};
pub use start::{StartOptions, StartSummary, start};
pub use verify::{Verification, verify};

/// What one sheet reviews.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// One sheet per application: who can sign on to it.
    Application,
    /// One sheet per admin role: who holds it, at which scope.
    Role,
    /// One sheet per group: its members, direct and through nesting.
    Group,
    /// One sheet per environment: every role and application entitlement of its identities.
    Environment,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::Application => "application",
            By::Role => "role",
            By::Group => "group",
            By::Environment => "environment",
        }
    }
}

/// Errors of review campaigns.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "`{0}` already holds a campaign (campaign.json); refusing to overwrite reviewers' work"
    )]
    Exists(PathBuf),
    #[error("`{0}` is not a review campaign: it has no campaign.json")]
    NotACampaign(PathBuf),
    #[error("`{path}`: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("`{path}`: {message}")]
    Keys { path: PathBuf, message: String },
    #[error("--scope `{0}` matches no review target and no environment")]
    UnknownScope(String),
    #[error("`{0}` names no sheet of the campaign (a sheet file, a target id or a target name)")]
    UnknownSheet(String),
    #[error(
        "the input changed since the campaign started: `{path}` has sha256 {found}, the campaign was started from {expected}"
    )]
    InputChanged {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("{} problem(s) in the campaign's sheets:\n{}", .0.len(), Problem::list(.0))]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Output(#[from] crate::report::OutputError),
}

impl ReviewError {
    pub fn help(&self) -> Option<String> {
        match self {
            ReviewError::Exists(_) => Some("choose a new --out directory for a new campaign".into()),
            ReviewError::NotACampaign(_) => {
                Some("pass the directory written by `p1graph review start`".into())
            }
            ReviewError::InputChanged { .. } => Some(
                "restore the snapshot the campaign was started from; verify a new one with `p1graph review verify --input`"
                    .into(),
            ),
            ReviewError::Invalid(_) => Some(
                "fix the lines named above: only `decision` (keep, revoke, unsure or empty) and `comment` may be edited"
                    .into(),
            ),
            ReviewError::UnknownSheet(_) => {
                Some("`p1graph review status` lists the sheets".into())
            }
            ReviewError::UnknownScope(_) => {
                Some("pass a target id or exact name, or an environment id".into())
            }
            _ => None,
        }
    }

    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> ReviewError + '_ {
        move |source| ReviewError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
