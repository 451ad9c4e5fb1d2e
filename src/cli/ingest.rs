//! `p1graph ingest`: read a PingOne organization live into an offline export directory.
//!
//! Owns the terminal side of the ingest: flags, where the secret comes from (environment,
//! file, hidden prompt; a warning for `--client-secret`), progress bars (hidden when quiet or
//! when stderr is not a terminal), the estimate for `--plan`, and the final summary with the
//! coverage table. The work itself is `crate::pingone::ingest`.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use secrecy::SecretString;

use crate::pingone::{self, IngestConfig, IngestError, IngestProgress, Region, RequestConfig};

/// `Debug` is written by hand so that `--client-secret` never shows up in a debug print.
#[derive(clap::Args)]
pub struct IngestArgs {
    /// The environment that holds the worker application (often "Administrators").
    #[arg(long, value_name = "ENV")]
    pub environment_id: String,
    /// The worker application's client id.
    #[arg(long, value_name = "ID")]
    pub client_id: String,
    /// PingOne region of the organization.
    #[arg(long, default_value = "NA", value_name = "NA|EU|CA|AU|SG|AP")]
    pub region: Region,
    /// The export directory to write (replaced atomically at the end), or a snapshot when it ends
    /// in `.p1g`.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// With a `.p1g` output: also keep the raw export directory here.
    #[arg(long, value_name = "DIR")]
    pub save_raw: Option<PathBuf>,
    /// An earlier snapshot: only activities newer than its high-water mark are read, and its usage
    /// ledger is carried forward into the new snapshot (needs a `.p1g` output).
    #[arg(long, value_name = "FILE.p1g")]
    pub previous: Option<PathBuf>,
    /// Read the client secret from this file (first line). Default: $P1GRAPH_CLIENT_SECRET, or a prompt.
    #[arg(long, value_name = "FILE")]
    pub client_secret_file: Option<PathBuf>,
    /// The client secret on the command line (leaks into shell history; prefer the environment).
    #[arg(long, value_name = "SECRET", hide_default_value = true)]
    pub client_secret: Option<String>,
    /// Management API base, including `/v1` (overrides the region).
    #[arg(long, env = "P1GRAPH_API_URL", value_name = "URL")]
    pub api_url: Option<String>,
    /// Auth host; the token is requested at `{URL}/{ENV}/as/token` (overrides the region).
    #[arg(long, env = "P1GRAPH_AUTH_URL", value_name = "URL")]
    pub auth_url: Option<String>,
    /// Only these environments (comma separated ids). Default: every environment the worker sees.
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub environments: Option<Vec<String>>,
    /// Start of the activities window (RFC 3339). Default: capture time minus 14 days.
    #[arg(long, value_name = "RFC3339")]
    pub activities_since: Option<jiff::Timestamp>,
    /// Do not read activities.
    #[arg(long)]
    pub no_activities: bool,
    /// Client-side request rate limit (requests per second).
    #[arg(long, default_value_t = 20.0, value_name = "N")]
    pub max_rps: f64,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub concurrency: usize,
    /// Seconds one request may take, body included (connecting: at most 20 of them); a request
    /// that timed out is retried twice, then the ingest stops.
    #[arg(
        long,
        env = "P1GRAPH_TIMEOUT",
        default_value_t = 120,
        value_name = "SECONDS"
    )]
    pub timeout: u64,
    /// Print the request estimate and exit.
    #[arg(long)]
    pub plan: bool,
    /// Write `.jsonl.zst` files.
    #[arg(long)]
    pub compress: bool,
    /// Continue the ingest that stopped early (its work area `.NAME.p1graph-work` beside
    /// `--out`), with the same options: what is complete is not read again.
    #[arg(long)]
    pub resume: bool,
    /// Save the checkpoint at most every N milliseconds (testing).
    #[arg(long, hide = true, default_value_t = 1000)]
    pub checkpoint_interval_ms: u64,
    /// Page size of list requests (testing).
    #[arg(long, hide = true, default_value_t = 1000)]
    pub page_size: u32,
    /// First retry delay in milliseconds (testing).
    #[arg(long, hide = true, default_value_t = 500)]
    pub retry_base_ms: u64,
    /// Retries per request before giving up.
    #[arg(long, hide = true, default_value_t = 6)]
    pub max_retries: u32,
    /// Width of one activities query, in hours (testing).
    #[arg(long, hide = true, default_value_t = 24)]
    pub activity_window_hours: u64,
}

impl std::fmt::Debug for IngestArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestArgs")
            .field("environment_id", &self.environment_id)
            .field("client_id", &self.client_id)
            .field("region", &self.region)
            .field("out", &self.out)
            .field("client_secret_file", &self.client_secret_file)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("api_url", &self.api_url)
            .field("auth_url", &self.auth_url)
            .field("environments", &self.environments)
            .field("activities_since", &self.activities_since)
            .field("no_activities", &self.no_activities)
            .field("max_rps", &self.max_rps)
            .field("concurrency", &self.concurrency)
            .field("timeout", &self.timeout)
            .field("plan", &self.plan)
            .field("compress", &self.compress)
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
}

impl IngestArgs {
    /// The validated library configuration.
    pub fn config(&self) -> Result<IngestConfig, IngestError> {
        let mut cfg = IngestConfig::new(&self.environment_id, &self.client_id, self.out.clone());
        cfg.region = self.region;
        cfg.api_url = self.api_url.clone().filter(|s| !s.is_empty());
        cfg.auth_url = self.auth_url.clone().filter(|s| !s.is_empty());
        cfg.environments = self
            .environments
            .clone()
            .map(|v| v.into_iter().filter(|s| !s.is_empty()).collect());
        cfg.activities_since = self.activities_since;
        cfg.activities = !self.no_activities;
        cfg.compress = self.compress;
        cfg.page_size = self.page_size;
        cfg.resume = self.resume;
        cfg.checkpoint_interval = Duration::from_millis(self.checkpoint_interval_ms);
        if self.activity_window_hours == 0 {
            return Err(IngestError::Config(
                "the activity window must be at least one hour".into(),
            ));
        }
        cfg.activity_window = Duration::from_secs(self.activity_window_hours * 3600);
        cfg.request = RequestConfig {
            max_rps: self.max_rps,
            activities_rps: self.max_rps.min(8.0),
            concurrency: self.concurrency,
            max_retries: self.max_retries,
            retry_base: Duration::from_millis(self.retry_base_ms),
            timeout: Duration::from_secs(self.timeout),
        };
        Ok(cfg)
    }

    /// The secret: `--client-secret` (with a warning), `$P1GRAPH_CLIENT_SECRET`,
    /// `--client-secret-file`, or a hidden prompt when stdin is a terminal.
    fn secret(&self) -> Result<SecretString, IngestError> {
        if let Some(s) = &self.client_secret {
            eprintln!(
                "warning: --client-secret leaks the secret into shell history and the process list; \
                 use P1GRAPH_CLIENT_SECRET or --client-secret-file"
            );
            return Ok(SecretString::from(s.clone()));
        }
        if let Some(path) = &self.client_secret_file {
            let mut text = String::new();
            std::fs::File::open(path)
                .and_then(|mut f| f.read_to_string(&mut text))
                .map_err(|source| IngestError::SecretFile {
                    path: path.clone(),
                    source,
                })?;
            let line = text.lines().next().unwrap_or("").trim().to_string();
            if line.is_empty() {
                return Err(IngestError::NoSecret);
            }
            return Ok(SecretString::from(line));
        }
        if let Ok(s) = std::env::var("P1GRAPH_CLIENT_SECRET")
            && !s.is_empty()
        {
            return Ok(SecretString::from(s));
        }
        if std::io::stdin().is_terminal() {
            let s =
                rpassword::prompt_password("client secret: ").map_err(|_| IngestError::NoSecret)?;
            if !s.is_empty() {
                return Ok(SecretString::from(s));
            }
        }
        Err(IngestError::NoSecret)
    }
}

/// The nearest existing ancestor of `path` when it is not a directory (nothing can be created
/// below it). An ancestor that cannot be inspected is left to the writer to report.
fn blocking_file(path: &std::path::Path) -> Option<PathBuf> {
    for a in path.ancestors().skip(1) {
        let a = if a.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            a
        };
        match std::fs::metadata(a) {
            Ok(m) if m.is_dir() => return None,
            Ok(_) => return Some(a.to_path_buf()),
            Err(_) => continue,
        }
    }
    None
}

/// The longest `--timeout` (a day).
const MAX_TIMEOUT_SECS: u64 = 86_400;

/// Every check that needs no network, done before the secret is read or any request is sent:
/// an ingest can take hours, and a conflict found at its end would throw that away.
fn preflight(args: &IngestArgs, snapshot_out: bool) -> Result<(), crate::Error> {
    let usage = |m: String, help: &str| crate::Error::Usage {
        message: m,
        help: (!help.is_empty()).then(|| help.to_string()),
    };
    // Everything is created below the nearest existing folder of a path: a file there fails.
    let inside_a_directory = |p: &std::path::Path, flag: &str| -> Result<(), crate::Error> {
        match blocking_file(p) {
            None => Ok(()),
            Some(file) => Err(usage(
                format!(
                    "{flag} `{}` cannot be created: `{}` is a file, not a directory",
                    p.display(),
                    file.display()
                ),
                "name a path inside a directory",
            )),
        }
    };
    inside_a_directory(&args.out, "--out")?;
    if let Some(raw) = &args.save_raw {
        inside_a_directory(raw, "--save-raw")?;
    }
    // Where the export directory goes (the raw copy for a snapshot output).
    let export_dir = |p: &std::path::Path, flag: &str| -> Result<(), crate::Error> {
        if p.exists() && !p.join("manifest.json").is_file() {
            return Err(usage(
                format!(
                    "{flag} `{}` already exists and is not an export directory; refusing to replace it",
                    p.display()
                ),
                "name a new directory, or an earlier export directory to replace",
            ));
        }
        Ok(())
    };
    if snapshot_out {
        if args.out.is_dir() || (args.out.exists() && !crate::snapshot::is_snapshot(&args.out)) {
            return Err(usage(
                format!(
                    "--out `{}` already exists and is not a snapshot; refusing to replace it",
                    args.out.display()
                ),
                "name a new file, or an earlier .p1g snapshot to replace",
            ));
        }
    } else {
        export_dir(&args.out, "--out")?;
    }
    if let Some(raw) = &args.save_raw {
        if !snapshot_out {
            return Err(usage(
                "--save-raw needs a snapshot output (--out FILE.p1g); --out DIR already is the raw export".into(),
                "",
            ));
        }
        if raw == &args.out {
            return Err(usage("--save-raw and --out name the same path".into(), ""));
        }
        export_dir(raw, "--save-raw")?;
    }
    if args.no_activities && args.activities_since.is_some() {
        return Err(usage(
            "--activities-since and --no-activities contradict each other".into(),
            "keep one",
        ));
    }
    if let Some(since) = args.activities_since
        && since > jiff::Timestamp::now()
    {
        return Err(usage(
            format!("--activities-since {since} is in the future"),
            "",
        ));
    }
    if args.client_secret.is_some() && args.client_secret_file.is_some() {
        return Err(usage(
            "--client-secret and --client-secret-file both given".into(),
            "keep one (prefer --client-secret-file or P1GRAPH_CLIENT_SECRET)",
        ));
    }
    if !(args.max_rps > 0.0 && args.max_rps.is_finite()) {
        return Err(usage(
            format!("--max-rps must be a positive number, not {}", args.max_rps),
            "",
        ));
    }
    if args.concurrency == 0 {
        return Err(usage("--concurrency must be at least 1".into(), ""));
    }
    if !(1..=MAX_TIMEOUT_SECS).contains(&args.timeout) {
        return Err(usage(
            format!(
                "--timeout must be between 1 and {MAX_TIMEOUT_SECS} seconds, not {}",
                args.timeout
            ),
            "",
        ));
    }
    if args.previous.is_some() && !snapshot_out {
        return Err(usage(
            "--previous needs a snapshot output (--out FILE.p1g): the usage ledger lives in snapshots".into(),
            "",
        ));
    }
    Ok(())
}

/// Progress bars on stderr.
struct Bars {
    bar: ProgressBar,
    quiet: bool,
}

impl Bars {
    fn new(visible: bool, quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(
            None,
            if visible {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Bars { bar, quiet }
    }
}

impl IngestProgress for Bars {
    fn phase(&self, name: &str, total: Option<u64>) {
        self.bar.set_position(0);
        match total {
            Some(t) => {
                self.bar.set_length(t);
                self.bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {msg:<24} [{bar:30}] {pos}/{len} ({eta})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
            }
            None => {
                self.bar.unset_length();
                self.bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} {pos}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
            }
        }
        self.bar.set_message(name.to_string());
    }
    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }
    fn note(&self, message: &str) {
        // Notes are shown even when the bar is hidden (estimates, missing roles); with `-q` only
        // warnings are.
        if !self.quiet || message.starts_with("WARNING") {
            self.bar.suspend(|| eprintln!("{message}"));
        }
    }
}

/// Runs `p1graph ingest`; returns the exit code (0) or the error (exit code 2).
///
/// A `.p1g` output is an ingest into a raw export directory (`--save-raw`, or a temporary one)
/// followed by `snapshot create`, with the `--previous` ledger carried forward.
pub fn run(args: IngestArgs, quiet: bool) -> Result<u8, crate::Error> {
    let mut cfg = args.config()?;
    let snapshot_out = cfg
        .out
        .extension()
        .is_some_and(|e| e == "p1g")
        .then(|| cfg.out.clone());
    preflight(&args, snapshot_out.is_some())?;
    let previous = match &args.previous {
        None => None,
        Some(p) => {
            let prev = crate::snapshot::load(p)?;
            // The organization is checked once it is known (after collection); the time now.
            crate::usage::check_previous_time(crate::model::Ts::now(), &prev, p)?;
            Some((prev, p.clone()))
        }
    };
    if let Some((prev, _)) = &previous
        && args.activities_since.is_none()
        && let Some(hw) = prev.usage.high_water
    {
        // Incremental: only what is newer than the previous high-water mark, within the 14
        // days the audit API serves.
        let horizon = crate::model::Ts::now().minus_days(14);
        let since = hw.max(horizon);
        cfg.activities_since = jiff::Timestamp::from_millisecond(since.0).ok();
    }
    let mut _raw_tmp: Option<tempfile::TempDir> = None;
    if let Some(out) = &snapshot_out {
        // The work area is named after the snapshot, wherever the raw export goes.
        cfg.work = Some(pingone::checkpoint::work_area_for(out));
        cfg.out = match &args.save_raw {
            Some(dir) => dir.clone(),
            None => {
                let parent = out
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                let tmp = tempfile::Builder::new()
                    .prefix(".p1graph-raw-")
                    .tempdir_in(parent)
                    .map_err(|source| crate::export::WriteError::Io {
                        path: parent.to_path_buf(),
                        source,
                    })?;
                let dir = tmp.path().join("export");
                _raw_tmp = Some(tmp);
                dir
            }
        };
    }
    if !args.plan {
        // Before the secret is asked for: a work area present needs --resume, and --resume
        // needs one (and the same options).
        pingone::check_work_area(&cfg)?;
    }
    let secret = args.secret()?;
    if args.plan {
        let plan = pingone::plan_blocking(cfg, secret)?;
        let mut out = crate::report::Output::create(None)?;
        out.write_all(format!("{plan}\n").as_bytes())?;
        out.finish()?;
        return Ok(0);
    }
    let visible = !quiet && std::io::stderr().is_terminal();
    let bars = Bars::new(visible, quiet);
    let result = pingone::ingest_blocking(cfg, secret, &bars);
    bars.bar.finish_and_clear();
    let report = result?;
    if !quiet {
        let c = &report.counts;
        let n = |k: &str| c.get(k).copied().unwrap_or(0);
        eprintln!(
            "wrote {}: {} environments, {} users, {} groups, {} memberships, {} role assignments, {} applications, {} activities \
             ({} requests, {} retries, {:.1} s)",
            report.out.display(),
            report.environments,
            n("users"),
            n("groups"),
            n("memberships") + n("group members"),
            n("user role assignments")
                + n("group role assignments")
                + n("application role assignments")
                + n("gateway role assignments"),
            n("applications"),
            n("activities"),
            report.requests,
            report.retries,
            report.elapsed.as_secs_f64()
        );
        if !report.coverage.is_empty() {
            eprintln!("not collected completely ({}):", report.coverage.len());
            for g in &report.coverage {
                eprintln!("  {:<60} {:<8} {}", g.collection, g.status, g.detail);
            }
        }
    }
    if report.no_users {
        eprintln!(
            "WARNING: no users were read in any environment: grant the worker Identity Data Read Only."
        );
    }
    if let Some(out) = snapshot_out {
        let made = crate::input::snapshot_from_export(&report.out, previous.as_ref(), &out);
        match made {
            Ok(info) => {
                if !quiet {
                    eprintln!("wrote snapshot {} ({} bytes)", out.display(), info.file_len);
                }
            }
            Err(e) => {
                // Keep what was collected: a temporary raw export is moved out of harm's way.
                let kept = match _raw_tmp.take() {
                    Some(tmp) => {
                        let base = tmp.keep();
                        let dest = base.with_file_name(format!(
                            "p1graph-collected-{}",
                            jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ")
                        ));
                        match std::fs::rename(base.join("export"), &dest) {
                            Ok(()) => {
                                let _ = std::fs::remove_dir(&base);
                                dest
                            }
                            Err(_) => base.join("export"),
                        }
                    }
                    None => report.out.clone(),
                };
                return Err(crate::Error::Kept {
                    inner: Box::new(e.into()),
                    path: kept,
                });
            }
        }
    }
    Ok(0)
}
