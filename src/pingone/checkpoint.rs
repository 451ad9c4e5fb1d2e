//! The checkpoint of a resumable ingest: what is complete in the work area.
//!
//! The ingest writes its export into a work area beside `--out` (`.NAME.p1graph-work`), kept
//! when a run stops early. `checkpoint.json` there records the run's identity (organization
//! collector, region, hosts, the options that change what is collected, the tool version) and
//! its progress at the last consistent point: the steps done (each list collection, each
//! per-subject collection), the number of subjects handled in the per-subject step under way
//! (subjects are handled in a fixed order, so a count is the set of subjects done), the activity
//! windows done per environment, the coverage gaps and refused objects so far, the counters, and
//! the byte length of every file at that point. A resumed run cuts each file back to that length
//! (a partial tail written after it is dropped) and continues after the recorded progress.
//!
//! Durability: at a consistent point the files are flushed and their lengths recorded in memory;
//! at most every `interval` (and at the end of every step, and when the run stops on an error or
//! an interrupt) the files are fsynced, then the checkpoint is written to a temporary file,
//! fsynced and renamed over `checkpoint.json`, and the directory is fsynced. A SIGKILL loses at
//! most the work since the last saved checkpoint.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::IngestConfig;
use crate::export::ExportWriter;
use crate::export::WriteError;
use crate::export::manifest::{CoverageEntry, OrganizationRef};

/// The checkpoint's file name inside the work area.
pub const FILE_NAME: &str = "checkpoint.json";
const FORMAT: &str = "p1graph-ingest-checkpoint";
const VERSION: u32 = 1;

/// The work area of an ingest that writes the export directory `out`: `.NAME.p1graph-work`
/// beside it.
pub fn work_area_for(out: &Path) -> PathBuf {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    parent.join(format!(".{name}.p1graph-work"))
}

/// What must be equal for a run to continue another: the organization and worker, the hosts,
/// the options that change what is collected, and the tool version.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RunIdentity {
    pub tool_version: String,
    pub region: String,
    pub api_url: String,
    pub auth_url: String,
    pub environment_id: String,
    pub client_id: String,
    pub environments: Option<Vec<String>>,
    pub activities: bool,
    pub activities_since: Option<String>,
    pub activity_window_secs: u64,
    pub page_size: u32,
}

impl RunIdentity {
    pub fn of(cfg: &IngestConfig) -> Self {
        RunIdentity {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            region: cfg.region.code().to_string(),
            api_url: cfg.api_base(),
            auth_url: cfg.auth_base(),
            environment_id: cfg.environment_id.clone(),
            client_id: cfg.client_id.clone(),
            environments: cfg.environments.clone(),
            activities: cfg.activities,
            activities_since: cfg.activities_since.map(|t| t.to_string()),
            activity_window_secs: cfg.activity_window.as_secs(),
            page_size: cfg.page_size,
        }
    }

    /// Every difference between the run that wrote the checkpoint (`self`) and this one, as
    /// `what: was X, now Y`.
    pub fn differences(&self, now: &RunIdentity) -> Vec<String> {
        let mut out = Vec::new();
        let mut cmp = |what: &str, was: String, is: String| {
            if was != is {
                out.push(format!("{what}: was `{was}`, now `{is}`"));
            }
        };
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "(default)".into());
        let list = |v: &Option<Vec<String>>| {
            v.as_ref()
                .map_or_else(|| "(all)".to_string(), |v| v.join(","))
        };
        cmp(
            "p1graph version",
            self.tool_version.clone(),
            now.tool_version.clone(),
        );
        cmp("--region", self.region.clone(), now.region.clone());
        cmp("--api-url", self.api_url.clone(), now.api_url.clone());
        cmp("--auth-url", self.auth_url.clone(), now.auth_url.clone());
        cmp(
            "--environment-id",
            self.environment_id.clone(),
            now.environment_id.clone(),
        );
        cmp("--client-id", self.client_id.clone(), now.client_id.clone());
        cmp(
            "--environments",
            list(&self.environments),
            list(&now.environments),
        );
        cmp(
            "--no-activities",
            (!self.activities).to_string(),
            (!now.activities).to_string(),
        );
        cmp(
            "--activities-since",
            opt(&self.activities_since),
            opt(&now.activities_since),
        );
        cmp(
            "activity window (seconds)",
            self.activity_window_secs.to_string(),
            now.activity_window_secs.to_string(),
        );
        cmp(
            "page size",
            self.page_size.to_string(),
            now.page_size.to_string(),
        );
        out
    }
}

/// The progress of one step (a list collection, a per-subject collection, the activities of an
/// environment).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Complete (its files hold everything it will write).
    #[serde(default, skip_serializing_if = "is_false")]
    pub done: bool,
    /// Ended in a coverage gap (not collected).
    #[serde(default, skip_serializing_if = "is_false")]
    pub gap: bool,
    /// Per-subject steps: subjects handled, in the step's fixed order.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub subjects: u64,
    /// Per-subject steps: a subject has answered (later `403`s are load, not a denial).
    #[serde(default, skip_serializing_if = "is_false")]
    pub probed: bool,
    /// Activities: windows done, newest first.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub windows: u64,
    /// Users: they carried `memberOfGroupIDs`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub carried: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Objects left out of a collection (the reader would refuse them, or their id is unusable).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Refused {
    pub count: u64,
    pub first: String,
}

/// The progress of a run at a consistent point.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// The capture time of the first run, kept by every resumed one (the export's `capturedAt`
    /// and the end of the activities window).
    pub captured_at: String,
    #[serde(default)]
    pub organization: Option<OrganizationRef>,
    #[serde(default)]
    pub steps: BTreeMap<String, Step>,
    #[serde(default)]
    pub coverage: Vec<CoverageEntry>,
    #[serde(default)]
    pub refused: BTreeMap<String, Refused>,
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    /// Byte length of every file of the work area (collection path -> bytes).
    #[serde(default)]
    pub files: BTreeMap<String, u64>,
    /// Runs that wrote this work area (1 for the first).
    #[serde(default)]
    pub runs: u64,
}

#[derive(Serialize, Deserialize)]
struct CheckpointFile {
    format: String,
    version: u32,
    identity: RunIdentity,
    state: State,
}

/// Errors of the work area and its checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("a work area from an earlier ingest exists at `{0}`; refusing to reuse or delete it")]
    Exists(PathBuf),
    #[error("--resume: there is no work area at `{0}` to resume")]
    Missing(PathBuf),
    #[error("cannot read the checkpoint `{path}`: {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error(
        "cannot resume the ingest in `{path}`: this run differs from the one that wrote it:\n  {}",
        differences.join("\n  ")
    )]
    Differs {
        path: PathBuf,
        differences: Vec<String>,
    },
    #[error("cannot write the checkpoint `{path}`")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl CheckpointError {
    pub fn help(&self) -> Option<String> {
        match self {
            CheckpointError::Exists(p) => Some(format!(
                "run the same command with --resume to continue it, or remove `{}` to start over",
                p.display()
            )),
            CheckpointError::Missing(_) => Some("run the command without --resume".into()),
            CheckpointError::Differs { path, .. } => Some(format!(
                "repeat the earlier command with --resume, or remove `{}` to start over",
                path.display()
            )),
            _ => None,
        }
    }
}

/// Reads the checkpoint of a work area: `Ok(None)` when the work area has none (a run stopped
/// before its first checkpoint).
pub fn load(work: &Path) -> Result<Option<(RunIdentity, State)>, CheckpointError> {
    let path = work.join(FILE_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CheckpointError::Unreadable {
                path,
                message: e.to_string(),
            });
        }
    };
    let f: CheckpointFile =
        serde_json::from_slice(&bytes).map_err(|e| CheckpointError::Unreadable {
            path: path.clone(),
            message: e.to_string(),
        })?;
    if f.format != FORMAT || f.version != VERSION {
        return Err(CheckpointError::Unreadable {
            path,
            message: format!(
                "format `{}` version {} (this p1graph writes `{FORMAT}` version {VERSION})",
                f.format, f.version
            ),
        });
    }
    Ok(Some((f.identity, f.state)))
}

/// The checkpoint of the run under way: the state at the last consistent point, saved durably
/// at most every `interval`.
pub struct Checkpointer {
    work: PathBuf,
    identity: RunIdentity,
    interval: Duration,
    inner: Mutex<Inner>,
}

struct Inner {
    state: State,
    /// The state changed since it was last saved.
    dirty: bool,
    saved: Instant,
}

impl Checkpointer {
    pub fn new(work: &Path, identity: RunIdentity, state: State, interval: Duration) -> Self {
        Checkpointer {
            work: work.to_path_buf(),
            identity,
            interval,
            inner: Mutex::new(Inner {
                state,
                dirty: true,
                saved: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock means a panic elsewhere already ended the run.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the state at the last consistent point.
    pub fn state(&self) -> State {
        self.lock().state.clone()
    }

    /// The progress of one step at the last consistent point.
    pub fn step(&self, name: &str) -> Step {
        self.lock()
            .state
            .steps
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    /// Records a consistent point: `update` changes the state, `out` gives the file lengths.
    /// Saves durably when `force` or when the interval has passed.
    pub fn record(
        &self,
        out: &mut ExportWriter,
        force: bool,
        update: impl FnOnce(&mut State),
    ) -> Result<(), WriteError> {
        let files = out.flush_lengths()?;
        let mut inner = self.lock();
        update(&mut inner.state);
        inner.state.files = files;
        inner.dirty = true;
        if force || inner.saved.elapsed() >= self.interval {
            self.save_locked(&mut inner, out)?;
        }
        Ok(())
    }

    /// Saves the last consistent point now (when the run stops early).
    pub fn save(&self, out: &mut ExportWriter) -> Result<(), WriteError> {
        let mut inner = self.lock();
        self.save_locked(&mut inner, out)
    }

    fn save_locked(&self, inner: &mut Inner, out: &mut ExportWriter) -> Result<(), WriteError> {
        if !inner.dirty {
            return Ok(());
        }
        // The files first: the checkpoint must never promise bytes that are not on disk.
        out.sync_all()?;
        let path = self.work.join(FILE_NAME);
        let tmp = self.work.join(format!("{FILE_NAME}.tmp"));
        let body = serde_json::to_vec_pretty(&CheckpointFile {
            format: FORMAT.into(),
            version: VERSION,
            identity: self.identity.clone(),
            state: inner.state.clone(),
        })
        .map_err(|source| WriteError::Json {
            path: path.clone(),
            source,
        })?;
        let io = |p: &Path| {
            let p = p.to_path_buf();
            move |source| WriteError::Io { path: p, source }
        };
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(&body).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        // The rename itself is durable once the directory is.
        if let Ok(d) = std::fs::File::open(&self.work) {
            let _ = d.sync_all();
        }
        inner.dirty = false;
        inner.saved = Instant::now();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_each_option() {
        let mut cfg = IngestConfig::new("e1", "c1", PathBuf::from("out"));
        let a = RunIdentity::of(&cfg);
        assert!(a.differences(&a).is_empty());
        cfg.client_id = "c2".into();
        cfg.activities = false;
        let d = a.differences(&RunIdentity::of(&cfg));
        assert_eq!(
            d,
            vec![
                "--client-id: was `c1`, now `c2`".to_string(),
                "--no-activities: was `false`, now `true`".to_string()
            ]
        );
    }

    #[test]
    fn work_area_sits_beside_the_output() {
        assert_eq!(
            work_area_for(Path::new("a/b/export")),
            PathBuf::from("a/b/.export.p1graph-work")
        );
        assert_eq!(
            work_area_for(Path::new("export")),
            PathBuf::from("./.export.p1graph-work")
        );
    }

    #[test]
    fn a_saved_checkpoint_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("w");
        let cfg = IngestConfig::new("e1", "c1", dir.path().join("out"));
        let mut out =
            ExportWriter::work_area(&dir.path().join("out"), &work, false, None, &[FILE_NAME])
                .unwrap();
        out.write("roles", &serde_json::json!({"id": "r"})).unwrap();
        let c = Checkpointer::new(
            &work,
            RunIdentity::of(&cfg),
            State::default(),
            Duration::from_secs(3600),
        );
        c.record(&mut out, true, |s| {
            s.steps.entry("roles".into()).or_default().done = true;
        })
        .unwrap();
        let (id, state) = load(&work).unwrap().unwrap();
        assert_eq!(id, RunIdentity::of(&cfg));
        assert!(state.steps["roles"].done);
        assert_eq!(state.files["roles"], 11);
    }
}
