//! The live ingest: read a PingOne organization through a read-only worker app and write the
//! offline export directory (`../shared/design/export-format.md`).
//!
//! Layers, each in its own file: [`region`] (hosts), [`auth`] (the token), [`request`] (the one
//! request path: auth, rate limits, concurrency, retries), [`paging`] (HAL `next` links) and
//! [`collect`] (what is read, in which order, how concurrently, and what a `403` means). The
//! command line lives in `crate::cli::ingest`; this module has no terminal output of its own and
//! reports through [`IngestProgress`].

pub mod auth;
pub mod checkpoint;
pub mod collect;
pub mod error;
pub mod paging;
pub mod region;
pub mod request;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

pub use checkpoint::CheckpointError;
pub use collect::{Counters, Plan};
pub use error::{AuthError, IngestError, RequestError};
pub use region::Region;
pub use request::RequestConfig;

use crate::export::manifest::CoverageEntry;

/// Everything an ingest needs except the secret.
#[derive(Clone, Debug)]
pub struct IngestConfig {
    /// The environment that holds the worker app (the token is requested there).
    pub environment_id: String,
    pub client_id: String,
    pub region: Region,
    /// Overrides the region's API base (`https://api.pingone.com/v1`); includes `/v1`.
    pub api_url: Option<String>,
    /// Overrides the region's auth host (`https://auth.pingone.com`).
    pub auth_url: Option<String>,
    /// The export directory to write.
    pub out: PathBuf,
    /// The work area (default: `.NAME.p1graph-work` beside `out`).
    pub work: Option<PathBuf>,
    /// Continue the ingest of the work area (else a work area present is an error).
    pub resume: bool,
    /// How often the checkpoint is saved at most (besides the end of every step).
    pub checkpoint_interval: Duration,
    /// Only these environments (default: every environment the worker sees).
    pub environments: Option<Vec<String>>,
    /// Start of the activities window (default: capture time - 14 days).
    pub activities_since: Option<jiff::Timestamp>,
    /// Collect activities at all.
    pub activities: bool,
    /// Width of one activities query; each window is paged to its end.
    pub activity_window: Duration,
    pub compress: bool,
    /// `limit` of list requests (PingOne allows up to 1000 for users and groups).
    pub page_size: u32,
    pub request: RequestConfig,
}

impl IngestConfig {
    pub fn new(environment_id: &str, client_id: &str, out: PathBuf) -> Self {
        IngestConfig {
            environment_id: environment_id.to_string(),
            client_id: client_id.to_string(),
            region: Region::Na,
            api_url: None,
            auth_url: None,
            out,
            work: None,
            resume: false,
            checkpoint_interval: Duration::from_secs(1),
            environments: None,
            activities_since: None,
            activities: true,
            activity_window: Duration::from_secs(86_400),
            compress: false,
            page_size: 1000,
            request: RequestConfig::default(),
        }
    }

    pub fn api_base(&self) -> String {
        self.api_url
            .clone()
            .unwrap_or_else(|| self.region.api_base())
            .trim_end_matches('/')
            .to_string()
    }

    pub fn auth_base(&self) -> String {
        self.auth_url
            .clone()
            .unwrap_or_else(|| self.region.auth_base())
            .trim_end_matches('/')
            .to_string()
    }

    fn validate(&self) -> Result<(), IngestError> {
        if self.environment_id.trim().is_empty() {
            return Err(IngestError::Config("`--environment-id` is empty".into()));
        }
        // Both go into URL paths.
        crate::export::validate::plain_id(&self.environment_id)
            .map_err(|e| IngestError::Config(format!("`--environment-id`: {e}")))?;
        for env in self.environments.iter().flatten() {
            crate::export::validate::plain_id(env)
                .map_err(|e| IngestError::Config(format!("`--environments`: {e}")))?;
        }
        if self.client_id.trim().is_empty() {
            return Err(IngestError::Config("`--client-id` is empty".into()));
        }
        if !(self.request.max_rps.is_finite() && self.request.max_rps > 0.0) {
            return Err(IngestError::Config(
                "`--max-rps` must be a positive number".into(),
            ));
        }
        if self.request.concurrency == 0 {
            return Err(IngestError::Config(
                "`--concurrency` must be at least 1".into(),
            ));
        }
        if self.request.timeout.is_zero() {
            return Err(IngestError::Config(
                "`--timeout` must be at least 1 second".into(),
            ));
        }
        if self.page_size == 0 {
            return Err(IngestError::Config(
                "the page size must be at least 1".into(),
            ));
        }
        for (what, u) in [
            ("--api-url", self.api_base()),
            ("--auth-url", self.auth_base()),
        ] {
            match url::Url::parse(&u) {
                Ok(p) if p.scheme() == "https" || p.scheme() == "http" => {}
                _ => {
                    return Err(IngestError::Config(format!(
                        "`{what}` `{u}` is not an http(s) URL"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// How an ingest reports progress. Every method has a no-op default.
pub trait IngestProgress: Send + Sync {
    /// A new phase starts; `total` is the number of steps when known.
    fn phase(&self, _name: &str, _total: Option<u64>) {}
    /// `n` more steps of the current phase are done.
    fn advance(&self, _n: u64) {}
    /// Something the user should read (estimates, warnings).
    fn note(&self, _message: &str) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl IngestProgress for NoProgress {}

/// What an ingest did.
#[derive(Clone, Debug, Default)]
pub struct IngestReport {
    pub out: PathBuf,
    pub environments: u64,
    /// Items written per kind (`users`, `groups`, `role assignments`, ...).
    pub counts: BTreeMap<String, u64>,
    pub coverage: Vec<CoverageEntry>,
    /// HTTP requests to the API (retries included), and token requests.
    pub requests: u64,
    pub retries: u64,
    pub token_requests: u64,
    pub elapsed: Duration,
    /// No environment returned a single user: the worker probably lacks Identity Data Read Only.
    pub no_users: bool,
}

fn http_client(cfg: &RequestConfig) -> Result<reqwest::Client, IngestError> {
    // TLS verification is always on; there is deliberately no option to turn it off.
    reqwest::Client::builder()
        .user_agent(concat!("p1graph/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(cfg.connect_timeout())
        .timeout(cfg.timeout)
        .build()
        .map_err(|e| IngestError::Config(format!("cannot build the HTTP client: {e}")))
}

fn api_for(cfg: &IngestConfig, secret: SecretString) -> Result<request::Api, IngestError> {
    let http = http_client(&cfg.request)?;
    let tokens = auth::TokenSource::new(
        http.clone(),
        &cfg.auth_base(),
        &cfg.environment_id,
        &cfg.client_id,
        secret,
    );
    Ok(request::Api::new(
        http,
        &cfg.api_base(),
        tokens,
        cfg.request.clone(),
    ))
}

/// The work area of an ingest.
pub fn work_dir(cfg: &IngestConfig) -> PathBuf {
    cfg.work
        .clone()
        .unwrap_or_else(|| checkpoint::work_area_for(&cfg.out))
}

/// Checks, before anything is read, that the work area agrees with `--resume`: a work area
/// present needs `--resume`, and `--resume` needs one. Returns its checkpoint (`None`: start
/// afresh).
pub fn check_work_area(
    cfg: &IngestConfig,
) -> Result<Option<(checkpoint::RunIdentity, checkpoint::State)>, IngestError> {
    let work = work_dir(cfg);
    let present = work.exists();
    if !cfg.resume {
        if present {
            return Err(CheckpointError::Exists(work).into());
        }
        return Ok(None);
    }
    if !present {
        return Err(CheckpointError::Missing(work).into());
    }
    let Some((was, state)) = checkpoint::load(&work)? else {
        // Stopped before its first checkpoint: nothing in it is complete.
        return Ok(None);
    };
    let differences = was.differences(&checkpoint::RunIdentity::of(cfg));
    if !differences.is_empty() {
        return Err(CheckpointError::Differs {
            path: work,
            differences,
        }
        .into());
    }
    Ok(Some((was, state)))
}

/// Runs a whole ingest into the work area (see [`checkpoint`]), renamed to `cfg.out` when
/// complete. On an error or Ctrl-C nothing is left at `cfg.out`; the work area keeps what was
/// collected for `--resume`, and the error says what had been collected and where it is kept.
pub async fn ingest(
    cfg: IngestConfig,
    secret: SecretString,
    progress: &dyn IngestProgress,
) -> Result<IngestReport, IngestError> {
    cfg.validate()?;
    let resumed = check_work_area(&cfg)?;
    let api = api_for(&cfg, secret)?;
    let work = work_dir(&cfg);
    let counters = Counters::default();
    let started = std::time::Instant::now();
    let (lengths, mut state) = match resumed {
        Some((_, state)) => (Some(state.files.clone()), state),
        None => {
            let captured = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            let state = checkpoint::State {
                captured_at: captured.to_string(),
                ..Default::default()
            };
            (None, state)
        }
    };
    state.runs += 1;
    if state.runs > 1 {
        counters.restore(&state.counts);
        progress.note(&format!(
            "resuming the ingest in {} ({})",
            work.display(),
            counters.summary()
        ));
    }
    let writer = crate::export::ExportWriter::work_area(
        &cfg.out,
        &work,
        cfg.compress,
        lengths.as_ref(),
        &[checkpoint::FILE_NAME],
    )?;
    let out = std::sync::Mutex::new(writer);
    let ckpt = checkpoint::Checkpointer::new(
        &work,
        checkpoint::RunIdentity::of(&cfg),
        state,
        cfg.checkpoint_interval,
    );
    let lock = || out.lock().unwrap_or_else(|e| e.into_inner());
    // The work area always holds a checkpoint.
    ckpt.save(&mut lock())?;
    let result = tokio::select! {
        r = collect::run(&api, &cfg, progress, &counters, &out, &ckpt) => r,
        _ = interrupted() => Err(IngestError::Interrupted { progress: counters.summary() }),
    };
    let (mut report, manifest) = match result {
        Ok(r) => r,
        Err(e) => {
            let st = ckpt.state();
            if st.runs == 1 && st.steps.is_empty() {
                // Nothing complete (a wrong secret, a host that does not answer): nothing to
                // resume, so no work area is left to trip the next run.
                drop(out);
                let _ = std::fs::remove_dir_all(&work);
                return Err(e);
            }
            // Keep the last consistent point for `--resume`.
            if let Err(w) = ckpt.save(&mut lock()) {
                tracing::warn!("the checkpoint could not be saved: {w}");
            }
            // A resume refused (another organization) has its own advice.
            if let IngestError::Checkpoint(_) = e {
                return Err(e);
            }
            return Err(IngestError::Stopped {
                work,
                source: Box::new(e),
            });
        }
    };
    let writer = out.into_inner().unwrap_or_else(|e| e.into_inner());
    report.out = writer.finish(&manifest)?;
    report.requests = api
        .stats
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    report.retries = api.stats.retries.load(std::sync::atomic::Ordering::Relaxed);
    report.token_requests = api.token_requests();
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Ctrl-C, or on Unix also SIGTERM: either way the export is abandoned cleanly. A signal that
/// cannot be listened to never fires (rather than interrupting at once).
async fn interrupted() {
    async fn ctrl_c() {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = async {
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    if term.recv().await.is_none() {
                        std::future::pending::<()>().await;
                    }
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = ctrl_c() => {}
            _ = term => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c().await;
}

/// [`ingest`] on a runtime of its own, for callers that are not async.
pub fn ingest_blocking(
    cfg: IngestConfig,
    secret: SecretString,
    progress: &dyn IngestProgress,
) -> Result<IngestReport, IngestError> {
    runtime()?.block_on(ingest(cfg, secret, progress))
}

/// Signs in and counts what an ingest would read, without reading it: one small request per
/// collection. Returns the request estimate for `p1graph ingest --plan`.
pub async fn plan(cfg: IngestConfig, secret: SecretString) -> Result<Plan, IngestError> {
    cfg.validate()?;
    let api = api_for(&cfg, secret)?;
    collect::plan(&api, &cfg).await
}

/// [`plan`] on a runtime of its own.
pub fn plan_blocking(cfg: IngestConfig, secret: SecretString) -> Result<Plan, IngestError> {
    runtime()?.block_on(plan(cfg, secret))
}

fn runtime() -> Result<tokio::runtime::Runtime, IngestError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(IngestError::Runtime)
}
