//! Typed errors of the live ingest.
//!
//! Messages are lowercase, name the request path (never a query string with a cursor, never a
//! token or the client secret) and keep advice in [`IngestError::help`]. A `403` on a collection is
//! not an error here: it becomes a coverage gap in the manifest (see `collect.rs`).

use std::path::PathBuf;

use crate::export::WriteError;

/// A failed API request after the request path gave up on it.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("`{path}` answered HTTP {status}{}", detail_suffix(.code))]
    Status {
        path: String,
        status: u16,
        /// The PingOne error `code` / first `details[].code`, when the body had them.
        code: Option<String>,
    },
    #[error("`{path}` kept failing after {attempts} attempts (last: {last})")]
    Exhausted {
        path: String,
        attempts: u32,
        last: String,
    },
    #[error(
        "`{path}` did not answer within the timeout of {} s ({attempts} attempts)",
        .timeout.as_secs_f64()
    )]
    TimedOut {
        path: String,
        timeout: std::time::Duration,
        attempts: u32,
    },
    #[error("cannot reach `{path}`: {message}")]
    Connect { path: String, message: String },
    #[error("`{path}` returned a body that is not the expected JSON: {message}")]
    Malformed { path: String, message: String },
    #[error("`{path}`: {message}")]
    Paging { path: String, message: String },
    #[error(transparent)]
    Auth(#[from] AuthError),
}

fn detail_suffix(code: &Option<String>) -> String {
    match code {
        Some(c) => format!(" {c}"),
        None => String::new(),
    }
}

impl RequestError {
    /// Advice for the user when the ingest stopped on this error.
    pub fn help(&self) -> Option<String> {
        match self {
            RequestError::TimedOut { .. } => Some(
                "if the API is only slow, raise --timeout (or P1GRAPH_TIMEOUT); otherwise check the network and any proxy"
                    .into(),
            ),
            // The server answered, but not with a list that can be read to its end.
            RequestError::Paging { .. } | RequestError::Malformed { .. } => None,
            // No HTTP status: the connection itself kept failing.
            RequestError::Exhausted { last, .. } if !last.starts_with("HTTP") => {
                Some("the connection to the API kept failing: check the network and any proxy".into())
            }
            _ => Some("lower --max-rps if the API was overloaded".into()),
        }
    }

    /// `Some(detail)` when this is a permission denial (`403`), i.e. a coverage gap.
    pub fn denied(&self) -> Option<String> {
        match self {
            RequestError::Status {
                status: 403, code, ..
            } => Some(format!(
                "403 {}",
                code.as_deref().unwrap_or("INSUFFICIENT_PERMISSIONS")
            )),
            _ => None,
        }
    }

    /// `Some(detail)` when the collection does not exist (`404`), also a coverage gap.
    /// A `400` on a per-subject list: PingOne may refuse role-assignment lists for applications
    /// that are not workers. Treated like a subject without items.
    pub fn bad_request(&self) -> Option<String> {
        match self {
            RequestError::Status {
                status: 400, code, ..
            } => Some(format!(
                "400 {}",
                code.as_deref().unwrap_or("INVALID_REQUEST")
            )),
            _ => None,
        }
    }

    pub fn not_found(&self) -> Option<String> {
        match self {
            RequestError::Status {
                status: 404, code, ..
            } => Some(format!("404 {}", code.as_deref().unwrap_or("NOT_FOUND"))),
            _ => None,
        }
    }
}

/// The token request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    #[error("the token endpoint `{url}` rejected the client credentials (HTTP {status}: {error})")]
    Rejected {
        url: String,
        status: u16,
        /// OAuth `error` and `error_description`, scrubbed of the secret.
        error: String,
    },
    #[error("cannot reach the token endpoint `{url}`: {message}")]
    Connect { url: String, message: String },
    #[error("the token endpoint `{url}` returned an unexpected body: {message}")]
    Malformed { url: String, message: String },
}

/// Everything `p1graph ingest` can fail with.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("invalid option: {0}")]
    Config(String),
    #[error(
        "no client secret: set P1GRAPH_CLIENT_SECRET, pass --client-secret-file, or run interactively"
    )]
    NoSecret,
    #[error("cannot read the client secret from `{path}`")]
    SecretFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot sign in")]
    Auth(#[from] AuthError),
    #[error("ingest failed ({progress})")]
    Request {
        progress: String,
        #[source]
        source: RequestError,
    },
    #[error("cannot write the export")]
    Write(#[from] WriteError),
    #[error("interrupted ({progress})")]
    Interrupted { progress: String },
    #[error(transparent)]
    Checkpoint(#[from] super::checkpoint::CheckpointError),
    /// The run stopped early; the work area keeps what was collected.
    #[error("{source}")]
    Stopped {
        work: PathBuf,
        source: Box<IngestError>,
    },
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

impl IngestError {
    /// Advice for the user, printed on a separate line.
    pub fn help(&self) -> Option<String> {
        match self {
            IngestError::Auth(AuthError::Rejected { .. }) => Some(
                "check --client-id, --environment-id (the environment of the worker app), --region, and the secret"
                    .into(),
            ),
            IngestError::Request { source, .. } => source.help(),
            IngestError::Checkpoint(e) => e.help(),
            IngestError::Stopped { work, source } => {
                let mut h = format!(
                    "nothing was written at the output; what was collected is kept in `{}`: run the same command with --resume to continue, or remove that folder to start over",
                    work.display()
                );
                if let Some(inner) = source.help() {
                    h = format!("{inner}\n{h}");
                }
                Some(h)
            }
            _ => None,
        }
    }
}
