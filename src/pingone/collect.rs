//! What the ingest reads, in which order, how concurrently, and what a denial means.
//!
//! Order: environments, the organization and built-in roles; then per environment the list
//! collections (populations, users, groups, custom roles, applications, resources, gateways);
//! then, after printing an estimate, the per-subject collections that cost one request per
//! object (group parents, group members when users do not carry `memberOfGroupIDs`, role
//! assignments of every user, group, worker app and gateway, grants, scopes); last the
//! activities, one time window at a time, newest first.
//!
//! Per-subject collections are probed with one subject first: a `403` there means the worker
//! may not read that collection (a coverage gap, recorded in the manifest, and no file written),
//! while a `403` after a success is PingOne under load and is retried. The other subjects are
//! then fetched with bounded concurrency, in order, so the export is deterministic.
//!
//! Every step (one list collection, one per-subject collection, the activities of one
//! environment) records its progress in the checkpoint ([`super::checkpoint`]): a resumed run
//! skips the steps done, reads the ids of their lists back from the work area, and continues a
//! per-subject step after the subjects handled and the activities after the windows done.
//!
//! Every object is checked with the reader's rules before it is written
//! ([`crate::export::validate`]): one the reader would refuse is left out, counted, and reported
//! in the manifest's coverage (`partial`). A subject whose id is not a plain identifier is never
//! put into a URL: its per-subject collections are not read, and that is reported the same way.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use futures_util::stream::{self, StreamExt};
use serde_json::{Value, json};

use super::checkpoint::{Checkpointer, Refused, State, Step};
use super::error::{IngestError, RequestError};
use super::paging::{ListQuery, Paged, PagingError, collect_all, for_each_page};
use super::request::Api;
use super::{IngestConfig, IngestProgress, IngestReport};
use crate::export::ExportWriter;
use crate::export::WriteError;
use crate::export::manifest::{
    ActivityWindow, CollectorRef, CoverageEntry, ManifestFile, OrganizationRef,
};
use crate::export::validate::{self, RecordKind, SeenIds};

/// What has been collected so far, for progress and for the message of a failed run.
#[derive(Default, Debug)]
pub struct Counters {
    counts: Mutex<BTreeMap<String, u64>>,
}

impl Counters {
    pub fn add(&self, kind: &str, n: u64) {
        if let Ok(mut c) = self.counts.lock() {
            *c.entry(kind.to_string()).or_default() += n;
        }
    }

    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Replaces the counts (with those of a checkpoint).
    pub fn restore(&self, counts: &BTreeMap<String, u64>) {
        if let Ok(mut c) = self.counts.lock() {
            *c = counts.clone();
        }
    }

    /// `collected 2 environments, 120 users, ...` (or `nothing collected yet`).
    pub fn summary(&self) -> String {
        let c = self.snapshot();
        if c.is_empty() {
            return "nothing collected yet".into();
        }
        let parts: Vec<String> = c.iter().map(|(k, v)| format!("{v} {k}")).collect();
        format!("collected {} so far", parts.join(", "))
    }
}

/// The outcome of one collection.
enum Got<T> {
    Ok(T),
    /// Not collected; the coverage entry has been recorded.
    Gap,
}

struct Run<'a> {
    api: &'a Api,
    cfg: &'a IngestConfig,
    progress: &'a dyn IngestProgress,
    counters: &'a Counters,
    out: &'a Mutex<ExportWriter>,
    ckpt: &'a Checkpointer,
    coverage: Mutex<Vec<CoverageEntry>>,
    refused: Mutex<BTreeMap<String, Refused>>,
    seen: Mutex<SeenIds>,
}

/// Object ids of one environment's list collections (None: not collected).
#[derive(Default)]
struct EnvLists {
    id: String,
    users: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    /// Every application, workers first: the subjects of application role assignments.
    role_apps: Option<Vec<String>>,
    applications: Option<Vec<String>>,
    resources: Option<Vec<String>>,
    gateways: Option<Vec<String>>,
    /// Users carried `memberOfGroupIDs`, so memberships are already written.
    memberships_from_users: bool,
}

fn id_of(v: &Value) -> Option<String> {
    v.get("id").and_then(Value::as_str).map(str::to_string)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock means a panic elsewhere already ended the run; keep going with the data.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn to_line(collection: &str, v: &Value) -> Result<Vec<u8>, WriteError> {
    serde_json::to_vec(v).map_err(|source| WriteError::Json {
        path: collection.into(),
        source,
    })
}

/// The record kind of a collection path (`environments/<env>/users` -> users).
fn kind_of(collection: &str) -> Option<RecordKind> {
    if collection == "environments" {
        return Some(RecordKind::Environment);
    }
    if collection == "roles" {
        return Some(RecordKind::BuiltinRole);
    }
    let stem = collection.rsplit('/').next()?;
    Some(match stem {
        "populations" => RecordKind::Population,
        "users" => RecordKind::User,
        "groups" => RecordKind::Group,
        "roles" => RecordKind::CustomRole,
        "applications" => RecordKind::Application,
        "resources" => RecordKind::Resource,
        "gateways" => RecordKind::Gateway,
        "activities" => RecordKind::Activity,
        "user_memberships" => RecordKind::UserMembership,
        "group_parents" => RecordKind::GroupParent,
        "role_assignments" => RecordKind::RoleAssignment,
        "grants" => RecordKind::Grant,
        "scopes" => RecordKind::Scope,
        _ => return None,
    })
}

/// The lines of a work-area file (a step done in an earlier run), as JSON values.
fn read_back(out: &ExportWriter, collection: &str) -> Result<Vec<Value>, IngestError> {
    let path = out.temp_dir().join(format!("{collection}.jsonl"));
    let bytes = std::fs::read(&path).map_err(|source| WriteError::Io {
        path: path.clone(),
        source,
    })?;
    let mut items = Vec::new();
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_slice(line).map_err(|e| WriteError::WorkArea {
            path: path.clone(),
            message: format!("a line is not JSON: {e}"),
        })?;
        items.push(v);
    }
    Ok(items)
}

impl<'a> Run<'a> {
    fn fail(&self, source: RequestError) -> IngestError {
        IngestError::Request {
            progress: self.counters.summary(),
            source,
        }
    }

    fn paging_err(&self, e: PagingError) -> IngestError {
        match e {
            PagingError::Request(r) => self.fail(r),
            PagingError::Write(w) => IngestError::Write(w),
        }
    }

    fn gap(&self, collection: &str, status: &str, detail: String) {
        tracing::info!(collection, status, detail = %detail, "coverage gap");
        lock(&self.coverage).push(CoverageEntry {
            collection: collection.to_string(),
            status: status.to_string(),
            detail,
        });
    }

    /// An object left out of `collection` (the reader would refuse it, or its id is unusable).
    fn refuse(&self, collection: &str, why: String) {
        tracing::warn!(collection, "left out: {why}");
        let mut r = lock(&self.refused);
        let e = r.entry(collection.to_string()).or_default();
        if e.count == 0 {
            self.progress.note(&format!(
                "WARNING: {collection}: left out an object p1graph cannot use: {why}"
            ));
            e.first = why;
        }
        e.count += 1;
    }

    /// Writes `line` into `collection` when the reader would accept it; `false` when it was
    /// left out.
    fn put(
        &self,
        out: &mut ExportWriter,
        collection: &str,
        kind: RecordKind,
        line: &[u8],
    ) -> Result<bool, WriteError> {
        let verdict = validate::check(kind, line, &mut lock(&self.seen));
        match verdict {
            Ok(_) => {
                out.write_raw_line(collection, line)?;
                Ok(true)
            }
            Err(why) => {
                self.refuse(collection, why);
                Ok(false)
            }
        }
    }

    /// Writes `{"parent":..,"item":..}` through [`Self::put`].
    fn put_child(
        &self,
        out: &mut ExportWriter,
        collection: &str,
        kind: RecordKind,
        parent_type: &str,
        parent_id: &str,
        item: &Value,
    ) -> Result<bool, WriteError> {
        let line = ExportWriter::child_line(collection, parent_type, parent_id, item)?;
        self.put(out, collection, kind, &line)
    }

    /// The step's progress from the checkpoint.
    fn step(&self, name: &str) -> Step {
        self.ckpt.step(name)
    }

    /// A consistent point: the files hold exactly what `update` says is done.
    fn point(&self, force: bool, update: impl FnOnce(&mut State)) -> Result<(), IngestError> {
        let mut out = lock(self.out);
        let coverage = lock(&self.coverage).clone();
        let refused = lock(&self.refused).clone();
        let counts = self.counters.snapshot();
        self.ckpt.record(&mut out, force, |s| {
            update(s);
            s.coverage = coverage;
            s.refused = refused;
            s.counts = counts;
        })?;
        Ok(())
    }

    /// Marks a step done (saved at once).
    fn done(&self, name: &str, gap: bool, carried: bool) -> Result<(), IngestError> {
        self.point(true, |s| {
            let e = s.steps.entry(name.to_string()).or_default();
            e.done = true;
            e.gap = gap;
            e.carried = carried;
        })
    }

    /// A paging failure that is a coverage gap (403, 404) or a fatal error.
    fn classify(&self, collection: &str, e: PagingError) -> Result<Got<()>, IngestError> {
        if let PagingError::Request(r) = &e {
            if let Some(d) = r.denied() {
                self.gap(collection, "denied", d);
                return Ok(Got::Gap);
            }
            if let Some(d) = r.not_found() {
                self.gap(collection, "failed", d);
                return Ok(Got::Gap);
            }
        }
        Err(self.paging_err(e))
    }

    /// Pages `q` into `collection` (items unchanged, those the reader accepts) and returns
    /// them. A step done in an earlier run is read back from the work area instead.
    async fn list(
        &self,
        collection: &str,
        kind: &str,
        q: ListQuery,
    ) -> Result<Got<Vec<Value>>, IngestError> {
        let st = self.step(collection);
        if st.done {
            if st.gap {
                return Ok(Got::Gap);
            }
            return Ok(Got::Ok(read_back(&lock(self.out), collection)?));
        }
        let rkind = kind_of(collection).unwrap_or(RecordKind::Environment);
        let mut items = Vec::new();
        let r = for_each_page(self.api, &q, false, |page| {
            let mut out = lock(self.out);
            let mut n = 0;
            for it in page {
                if self.put(&mut out, collection, rkind, &to_line(collection, &it)?)? {
                    items.push(it);
                    n += 1;
                }
            }
            self.counters.add(kind, n);
            Ok(())
        })
        .await;
        let got = match r {
            Ok(_) => {
                lock(self.out).touch(collection)?;
                Got::Ok(items)
            }
            Err(e) => {
                self.classify(collection, e)?;
                Got::Gap
            }
        };
        self.done(collection, matches!(got, Got::Gap), false)?;
        Ok(got)
    }

    fn ids(items: &[Value]) -> Vec<String> {
        items.iter().filter_map(id_of).collect()
    }

    fn limit(&self) -> String {
        self.cfg.page_size.to_string()
    }

    /// Users, with `include=memberOfGroupIDs`; memberships they carry go to `user_memberships`.
    async fn users(&self, env: &str) -> Result<(Option<Vec<String>>, bool), IngestError> {
        let collection = format!("environments/{env}/users");
        let mcoll = format!("environments/{env}/user_memberships");
        let st = self.step(&collection);
        if st.done {
            if st.gap {
                return Ok((None, false));
            }
            let users = read_back(&lock(self.out), &collection)?;
            return Ok((Some(Self::ids(&users)), st.carried));
        }
        let mut include = true;
        loop {
            let mut q =
                ListQuery::new(format!("/environments/{env}/users")).param("limit", self.limit());
            if include {
                q = q.param("include", "memberOfGroupIDs");
            }
            let mut pages = 0u64;
            let r = self.users_pages(&q, &collection, &mcoll, &mut pages).await;
            match r {
                Ok((ids, carried)) => {
                    lock(self.out).touch(&collection)?;
                    self.done(&collection, false, carried)?;
                    return Ok((Some(ids), carried));
                }
                // PingOne documents `include` on single-user reads only: a list that rejects it
                // is read again without it (memberships then come from per-group listings).
                Err(PagingError::Request(RequestError::Status { status: 400, .. }))
                    if include && pages == 0 =>
                {
                    tracing::info!(
                        "the users list rejected include=memberOfGroupIDs; reading it without"
                    );
                    include = false;
                }
                Err(e) => {
                    self.classify(&collection, e)?;
                    self.gap(&mcoll, "denied", "users are not readable".into());
                    self.done(&collection, true, false)?;
                    return Ok((None, false));
                }
            }
        }
    }

    async fn users_pages(
        &self,
        q: &ListQuery,
        collection: &str,
        mcoll: &str,
        pages: &mut u64,
    ) -> Result<(Vec<String>, bool), PagingError> {
        let mut ids = Vec::new();
        let mut carried = false;
        for_each_page(self.api, q, false, |page| {
            *pages += 1;
            let mut out = lock(self.out);
            let mut memberships = 0u64;
            let mut users = 0u64;
            for u in &page {
                if !self.put(
                    &mut out,
                    collection,
                    RecordKind::User,
                    &to_line(collection, u)?,
                )? {
                    continue;
                }
                users += 1;
                let Some(uid) = u.get("id").and_then(Value::as_str) else {
                    continue;
                };
                ids.push(uid.to_string());
                if let Some(gids) = u.get("memberOfGroupIDs").and_then(Value::as_array) {
                    carried = true;
                    out.touch(mcoll)?;
                    for g in gids.iter().filter_map(Value::as_str) {
                        let item = json!({"id": g, "type": "DIRECT"});
                        if self.put_child(
                            &mut out,
                            mcoll,
                            RecordKind::UserMembership,
                            "USER",
                            uid,
                            &item,
                        )? {
                            memberships += 1;
                        }
                    }
                }
            }
            self.counters.add("users", users);
            self.counters.add("memberships", memberships);
            self.progress.advance(page.len() as u64);
            Ok(())
        })
        .await?;
        Ok((ids, carried))
    }

    async fn env_lists(&self, env: &str) -> Result<EnvLists, IngestError> {
        let base = format!("/environments/{env}");
        let coll = |name: &str| format!("environments/{env}/{name}");
        let mut lists = EnvLists {
            id: env.to_string(),
            ..Default::default()
        };
        self.list(
            &coll("populations"),
            "populations",
            ListQuery::new(format!("{base}/populations")).param("limit", self.limit()),
        )
        .await?;
        let (users, carried) = self.users(env).await?;
        lists.users = users;
        lists.memberships_from_users = carried;
        lists.groups = match self
            .list(
                &coll("groups"),
                "groups",
                ListQuery::new(format!("{base}/groups")).param("limit", self.limit()),
            )
            .await?
        {
            Got::Ok(items) => Some(Self::ids(&items)),
            Got::Gap => None,
        };
        self.list(
            &coll("roles"),
            "custom roles",
            ListQuery::new(format!("{base}/roles")),
        )
        .await?;
        if let Got::Ok(apps) = self
            .list(
                &coll("applications"),
                "applications",
                ListQuery::new(format!("{base}/applications")),
            )
            .await?
        {
            // Every application: the access model lets any application hold role assignments
            // (workers in practice); a non-worker that PingOne refuses (400/404) is skipped.
            // Workers go first, so the probe request of `per_subject` asks a subject that the
            // endpoint certainly serves.
            let is_worker = |a: &&Value| a.get("type").and_then(Value::as_str) == Some("WORKER");
            let (workers, others): (Vec<&Value>, Vec<&Value>) = apps.iter().partition(is_worker);
            lists.role_apps = Some(
                workers
                    .into_iter()
                    .chain(others)
                    .filter_map(id_of)
                    .collect(),
            );
            lists.applications = Some(Self::ids(&apps));
        }
        if let Got::Ok(res) = self
            .list(
                &coll("resources"),
                "resources",
                ListQuery::new(format!("{base}/resources")),
            )
            .await?
        {
            lists.resources = Some(Self::ids(&res));
        }
        if let Got::Ok(gws) = self
            .list(
                &coll("gateways"),
                "gateways",
                ListQuery::new(format!("{base}/gateways")),
            )
            .await?
        {
            lists.gateways = Some(Self::ids(&gws));
        }
        Ok(lists)
    }

    /// One request (all pages) per subject; `emit` writes a subject's items. The first subject
    /// that answers is fetched alone, so that a `403` is told apart from load. A `404` is a
    /// subject deleted meanwhile; with `refused_is_empty`, a `400` is a subject the endpoint does
    /// not serve (a non-worker application's role assignments) and counts as no items. A subject
    /// whose id is not a plain identifier is not asked (reported as left out of `collection`).
    ///
    /// `step` names the step in the checkpoint: a step done is not read again (its outcome is
    /// returned), one under way continues after the subjects handled. The caller marks the
    /// step done.
    #[allow(clippy::too_many_arguments)]
    async fn per_subject<Q, E>(
        &self,
        step: &str,
        collection: &str,
        phase: &str,
        ids: &[String],
        refused_is_empty: bool,
        query: Q,
        emit: E,
    ) -> Result<Got<()>, IngestError>
    where
        Q: Fn(&str) -> ListQuery,
        E: Fn(&Self, &mut ExportWriter, &str, Vec<Value>) -> Result<u64, WriteError>,
    {
        let st = self.step(step);
        if st.done {
            return Ok(if st.gap { Got::Gap } else { Got::Ok(()) });
        }
        self.progress.phase(phase, Some(ids.len() as u64));
        let mut start = (st.subjects as usize).min(ids.len());
        let mut probed = st.probed;
        self.progress.advance(start as u64);
        let usable = |id: &str| match validate::plain_id(id) {
            Ok(()) => true,
            Err(e) => {
                self.refuse(
                    collection,
                    format!("a subject was not read, its id is unusable: {e}"),
                );
                false
            }
        };
        let handled = |n: usize, probed: bool| {
            self.point(false, |s| {
                let e = s.steps.entry(step.to_string()).or_default();
                e.subjects = n as u64;
                e.probed = probed;
            })
        };
        // Probe: until one subject answers (404s are subjects deleted meanwhile).
        while !probed && start < ids.len() {
            let id = &ids[start];
            start += 1;
            if !usable(id) {
                self.progress.advance(1);
                handled(start, probed)?;
                continue;
            }
            match collect_all(self.api, &query(id), false).await {
                Ok(items) => {
                    let n = emit(self, &mut lock(self.out), id, items)?;
                    self.counters.add(phase, n);
                    self.progress.advance(1);
                    probed = true;
                }
                Err(PagingError::Request(r))
                    if r.not_found().is_some()
                        || (refused_is_empty && r.bad_request().is_some()) =>
                {
                    self.progress.advance(1);
                }
                Err(PagingError::Request(r)) if r.denied().is_some() => {
                    return Ok(Got::Gap);
                }
                Err(e) => return Err(self.paging_err(e)),
            }
            handled(start, probed)?;
        }
        let mut results = stream::iter(ids[start..].iter().enumerate())
            .map(|(i, id)| {
                let q = validate::plain_id(id).is_ok().then(|| query(id));
                async move {
                    let r = match q {
                        Some(q) => Some(collect_all(self.api, &q, true).await),
                        None => None,
                    };
                    (start + i + 1, id, r)
                }
            })
            .buffered(self.api.concurrency());
        while let Some((n, id, r)) = results.next().await {
            match r {
                None => {
                    usable(id);
                }
                Some(Ok(items)) => {
                    let n = emit(self, &mut lock(self.out), id, items)?;
                    self.counters.add(phase, n);
                }
                Some(Err(PagingError::Request(r))) if r.not_found().is_some() => {
                    tracing::info!(subject = %id, "subject disappeared during the ingest (404)");
                }
                Some(Err(PagingError::Request(r)))
                    if refused_is_empty && r.bad_request().is_some() =>
                {
                    tracing::warn!(subject = %id, "the server refused this subject's list (400); skipped");
                }
                Some(Err(e)) => return Err(self.paging_err(e)),
            }
            self.progress.advance(1);
            handled(n, probed)?;
        }
        Ok(Got::Ok(()))
    }

    /// Writes each item wrapped with its parent; returns the count written.
    fn wrap(
        collection: String,
        kind: RecordKind,
        parent_type: &'static str,
    ) -> impl Fn(&Self, &mut ExportWriter, &str, Vec<Value>) -> Result<u64, WriteError> {
        move |run, out, parent, items| {
            out.touch(&collection)?;
            let mut n = 0;
            for it in &items {
                if run.put_child(out, &collection, kind, parent_type, parent, it)? {
                    n += 1;
                }
            }
            Ok(n)
        }
    }

    async fn env_relations(&self, l: &EnvLists) -> Result<(), IngestError> {
        let env = l.id.as_str();
        let coll = |name: &str| format!("environments/{env}/{name}");
        let base = format!("/environments/{env}");
        let limit = self.limit();

        // Group nesting: parents of every group.
        match &l.groups {
            Some(groups) => {
                let c = coll("group_parents");
                let got = self
                    .per_subject(
                        &c,
                        &c,
                        "group parents",
                        groups,
                        false,
                        |g| {
                            ListQuery::new(format!("{base}/groups/{g}/memberOfGroups"))
                                .param("limit", limit.clone())
                        },
                        Self::wrap(c.clone(), RecordKind::GroupParent, "GROUP"),
                    )
                    .await?;
                match got {
                    Got::Ok(()) => lock(self.out).touch(&c)?,
                    Got::Gap => self.gap(&c, "denied", "403 INSUFFICIENT_PERMISSIONS".into()),
                }
                self.done(&c, matches!(got, Got::Gap), false)?;
            }
            None => self.gap(
                &coll("group_parents"),
                "denied",
                "groups are not readable".into(),
            ),
        }

        // Memberships, when the users did not carry them: list the members of each group.
        if l.users.is_some() && !l.memberships_from_users {
            let c = coll("user_memberships");
            match &l.groups {
                Some(groups) => {
                    let c2 = c.clone();
                    let got = self
                        .per_subject(
                            &c,
                            &c,
                            "group members",
                            groups,
                            false,
                            |g| {
                                ListQuery::new(format!("{base}/users"))
                                    .param("filter", format!("memberOfGroups[id eq \"{g}\"]"))
                                    .param("limit", limit.clone())
                            },
                            move |run, out, g, users| {
                                out.touch(&c2)?;
                                let mut n = 0;
                                for u in users.iter().filter_map(id_of) {
                                    if run.put_child(
                                        out,
                                        &c2,
                                        RecordKind::UserMembership,
                                        "USER",
                                        &u,
                                        &json!({"id": g, "type": "DIRECT"}),
                                    )? {
                                        n += 1;
                                    }
                                }
                                Ok(n)
                            },
                        )
                        .await?;
                    match got {
                        Got::Ok(()) => lock(self.out).touch(&c)?,
                        Got::Gap => self.gap(&c, "denied", "403 INSUFFICIENT_PERMISSIONS".into()),
                    }
                    self.done(&c, matches!(got, Got::Gap), false)?;
                }
                None => self.gap(&c, "denied", "groups are not readable".into()),
            }
        }

        // Role assignments of every subject kind, into one file.
        let c = coll("role_assignments");
        let kinds: [(&str, &str, &Option<Vec<String>>); 4] = [
            ("USER", "users", &l.users),
            ("GROUP", "groups", &l.groups),
            ("APPLICATION", "applications", &l.role_apps),
            ("GATEWAY", "gateways", &l.gateways),
        ];
        let mut denied = Vec::new();
        for (parent_type, seg, ids) in kinds {
            let Some(ids) = ids else {
                denied.push(format!("{seg} are not readable"));
                continue;
            };
            let step = format!("{c}#{parent_type}");
            let got = self
                .per_subject(
                    &step,
                    &c,
                    &format!("{} role assignments", parent_type.to_lowercase()),
                    ids,
                    parent_type == "APPLICATION",
                    |s| {
                        ListQuery::new(format!("{base}/{seg}/{s}/roleAssignments"))
                            .param("limit", limit.clone())
                    },
                    Self::wrap(c.clone(), RecordKind::RoleAssignment, parent_type),
                )
                .await?;
            if let Got::Gap = got {
                denied.push(format!(
                    "403 INSUFFICIENT_PERMISSIONS on {seg}/{{id}}/roleAssignments"
                ));
            }
            self.done(&step, matches!(got, Got::Gap), false)?;
        }
        if denied.len() == 4 {
            self.gap(&c, "denied", denied.join("; "));
        } else {
            lock(self.out).touch(&c)?;
            if !denied.is_empty() {
                self.gap(&c, "partial", denied.join("; "));
            }
        }

        // Grants per application, scopes per resource.
        for (name, seg, parent_type, ids, what, kind) in [
            (
                "grants",
                "applications",
                "APPLICATION",
                &l.applications,
                "grants",
                RecordKind::Grant,
            ),
            (
                "scopes",
                "resources",
                "RESOURCE",
                &l.resources,
                "scopes",
                RecordKind::Scope,
            ),
        ] {
            let c = coll(name);
            match ids {
                Some(ids) => {
                    let got = self
                        .per_subject(
                            &c,
                            &c,
                            what,
                            ids,
                            false,
                            |s| ListQuery::new(format!("{base}/{seg}/{s}/{what}")),
                            Self::wrap(c.clone(), kind, parent_type),
                        )
                        .await?;
                    match got {
                        Got::Ok(()) => lock(self.out).touch(&c)?,
                        Got::Gap => self.gap(&c, "denied", "403 INSUFFICIENT_PERMISSIONS".into()),
                    }
                    self.done(&c, matches!(got, Got::Gap), false)?;
                }
                None => self.gap(&c, "denied", format!("{seg} are not readable")),
            }
        }
        Ok(())
    }

    /// Activities in `[from, to)`, one window at a time, newest first, deduplicated by id. A
    /// resumed run continues after the windows done (the ids already written are read back).
    async fn activities(
        &self,
        env: &str,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<(), IngestError> {
        let c = format!("environments/{env}/activities");
        let st = self.step(&c);
        if st.done {
            self.progress.advance(st.windows);
            return Ok(());
        }
        let step = jiff::SignedDuration::try_from(self.cfg.activity_window)
            .unwrap_or(jiff::SignedDuration::from_hours(24));
        let step = if step.is_zero() || step.is_negative() {
            jiff::SignedDuration::from_hours(24)
        } else {
            step
        };
        let mut seen: HashSet<String> = HashSet::new();
        if st.windows > 0 {
            let out = lock(self.out);
            if out.temp_dir().join(format!("{c}.jsonl")).is_file() {
                seen.extend(read_back(&out, &c)?.iter().filter_map(id_of));
            }
        }
        let mut hi = to;
        let mut windows = 0u64;
        while hi > from {
            let lo = hi.checked_sub(step).unwrap_or(from).max(from);
            if windows < st.windows {
                // Done in an earlier run.
                windows += 1;
                self.progress.advance(1);
                hi = lo;
                continue;
            }
            let first = windows == 0;
            let q = ListQuery::new(format!("/environments/{env}/activities"))
                .param(
                    "filter",
                    format!("recordedat ge \"{lo}\" and recordedat lt \"{hi}\""),
                )
                .param(
                    "limit",
                    self.limit()
                        .parse::<u32>()
                        .unwrap_or(1000)
                        .min(1000)
                        .to_string(),
                )
                .activities();
            let r: Result<Paged, PagingError> = for_each_page(self.api, &q, !first, |page| {
                let mut out = lock(self.out);
                let mut n = 0;
                for a in &page {
                    let fresh = match id_of(a) {
                        Some(id) => !seen.contains(&id),
                        None => true,
                    };
                    if fresh && self.put(&mut out, &c, RecordKind::Activity, &to_line(&c, a)?)? {
                        if let Some(id) = id_of(a) {
                            seen.insert(id);
                        }
                        n += 1;
                    }
                }
                self.counters.add("activities", n);
                Ok(())
            })
            .await;
            if let Err(e) = r {
                if first {
                    if let Got::Gap = self.classify(&c, e)? {
                        return self.done(&c, true, false);
                    }
                } else {
                    return Err(self.paging_err(e));
                }
            }
            windows += 1;
            self.progress.advance(1);
            lock(self.out).touch(&c)?;
            self.point(false, |s| {
                s.steps.entry(c.clone()).or_default().windows = windows;
            })?;
            hi = lo;
        }
        lock(self.out).touch(&c)?;
        self.point(true, |s| {
            let e = s.steps.entry(c.clone()).or_default();
            e.windows = windows;
            e.done = true;
        })
    }
}

/// Refills the duplicate-id sets from the files an earlier run wrote (they were valid then).
fn reload_seen(out: &ExportWriter, files: &BTreeMap<String, u64>) -> Result<SeenIds, IngestError> {
    let mut seen = SeenIds::default();
    for c in files.keys() {
        let Some(kind) = kind_of(c) else { continue };
        if matches!(
            kind,
            RecordKind::Activity
                | RecordKind::UserMembership
                | RecordKind::GroupParent
                | RecordKind::RoleAssignment
                | RecordKind::Grant
        ) {
            continue;
        }
        let path = out.temp_dir().join(format!("{c}.jsonl"));
        let bytes = std::fs::read(&path).map_err(|source| WriteError::Io {
            path: path.clone(),
            source,
        })?;
        for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            // Checked when written; a repeat here cannot happen, and is ignored if it does.
            let _ = validate::check(kind, line, &mut seen);
        }
    }
    Ok(seen)
}

/// The coverage entries, with one `partial` entry (or an addition to the collection's entry)
/// per collection that had objects left out.
fn merged_coverage(
    mut coverage: Vec<CoverageEntry>,
    refused: &BTreeMap<String, Refused>,
) -> Vec<CoverageEntry> {
    coverage.sort();
    coverage.dedup();
    for (collection, r) in refused {
        let what = format!(
            "{} object{} left out (first: {})",
            r.count,
            if r.count == 1 { "" } else { "s" },
            r.first
        );
        match coverage.iter_mut().find(|c| &c.collection == collection) {
            Some(c) => {
                if c.detail.is_empty() {
                    c.detail = what;
                } else {
                    c.detail = format!("{}; {what}", c.detail);
                }
            }
            None => coverage.push(CoverageEntry {
                collection: collection.clone(),
                status: "partial".into(),
                detail: what,
            }),
        }
    }
    coverage.sort();
    coverage
}

/// The whole ingest (see the module documentation for the order), into the work area `out`
/// whose progress `ckpt` holds. Returns the report (without its output path) and the manifest
/// to finish the export with.
pub async fn run(
    api: &Api,
    cfg: &IngestConfig,
    progress: &dyn IngestProgress,
    counters: &Counters,
    out: &Mutex<ExportWriter>,
    ckpt: &Checkpointer,
) -> Result<(IngestReport, ManifestFile), IngestError> {
    let resumed = ckpt.state();
    let captured = resumed
        .captured_at
        .parse::<jiff::Timestamp>()
        .map_err(|e| IngestError::Config(format!("the checkpoint's capture time: {e}")))?;
    api.sign_in().await.map_err(|e| match e {
        RequestError::Auth(a) => IngestError::Auth(a),
        other => IngestError::Request {
            progress: counters.summary(),
            source: other,
        },
    })?;
    let seen = reload_seen(&lock(out), &resumed.files)?;
    let run = Run {
        api,
        cfg,
        progress,
        counters,
        out,
        ckpt,
        coverage: Mutex::new(resumed.coverage.clone()),
        refused: Mutex::new(resumed.refused.clone()),
        seen: Mutex::new(seen),
    };
    if resumed.runs > 1
        && let Some(org) = &resumed.organization
    {
        check_organization(api, cfg, &org.id, progress).await?;
    }

    progress.phase("environments", None);
    let envs_done = run.step("environments").done;
    let envs = match run
        .list(
            "environments",
            "environments",
            ListQuery::new("/environments"),
        )
        .await?
    {
        Got::Ok(envs) => envs,
        Got::Gap => Vec::new(),
    };
    let organization = match (&resumed.organization, envs_done) {
        (Some(org), true) => org.clone(),
        _ => {
            let org = organization(api, &envs).await;
            run.point(true, |s| s.organization = Some(org.clone()))?;
            org
        }
    };
    run.list("roles", "roles", ListQuery::new("/roles")).await?;

    let visible: Vec<String> = envs.iter().filter_map(id_of).collect();
    let selected: Vec<String> = match &cfg.environments {
        None => visible.clone(),
        Some(want) => {
            for w in want {
                if !visible.contains(w) {
                    return Err(IngestError::Config(format!(
                        "environment `{w}` is not among the {} environments the worker can see",
                        visible.len()
                    )));
                }
            }
            for v in &visible {
                if !want.contains(v) {
                    run.gap(
                        &format!("environments/{v}"),
                        "skipped",
                        "not selected with --environments".into(),
                    );
                }
            }
            want.clone()
        }
    };

    let mut lists = Vec::new();
    for env in &selected {
        progress.phase(&format!("environment {env}"), None);
        lists.push(run.env_lists(env).await?);
    }

    let users_seen: usize = lists
        .iter()
        .filter_map(|l| l.users.as_ref())
        .map(Vec::len)
        .sum();
    let no_users = users_seen == 0 && !selected.is_empty();
    if no_users {
        progress.note(
            "WARNING: no environment returned a single user. The worker app probably lacks the \
             Identity Data Read Only role; the export will have no identities to analyse.",
        );
    }

    let est = relation_requests(&lists);
    progress.note(&format!(
        "reading relations: about {est} requests, ~{} at {} requests/s",
        human_duration(est as f64 / cfg.request.max_rps),
        cfg.request.max_rps
    ));
    for l in &lists {
        run.env_relations(l).await?;
    }

    let from = match cfg.activities_since {
        Some(t) => t,
        None => captured
            .checked_sub(jiff::SignedDuration::from_hours(24 * 14))
            .unwrap_or(captured),
    };
    if cfg.activities {
        let windows = ((captured.as_second() - from.as_second()).max(0) as f64
            / cfg.activity_window.as_secs_f64().max(1.0))
        .ceil() as u64;
        progress.phase("activities", Some(windows * selected.len() as u64));
        for env in &selected {
            run.activities(env, from, captured).await?;
        }
    } else {
        for env in &selected {
            run.gap(
                &format!("environments/{env}/activities"),
                "skipped",
                "--no-activities".into(),
            );
        }
    }

    let coverage = merged_coverage(
        std::mem::take(&mut *lock(&run.coverage)),
        &lock(&run.refused),
    );
    let manifest = ManifestFile {
        captured_at: Some(captured.to_string()),
        region: Some(cfg.region.code().to_string()),
        organization: Some(organization),
        collector: Some(CollectorRef {
            environment_id: cfg.environment_id.clone(),
            client_id: cfg.client_id.clone(),
        }),
        activities: cfg.activities.then(|| ActivityWindow {
            from: from.to_string(),
            to: captured.to_string(),
        }),
        coverage: coverage.clone(),
        ..ManifestFile::new()
    };
    Ok((
        IngestReport {
            environments: selected.len() as u64,
            counts: counters.snapshot(),
            coverage,
            no_users,
            ..Default::default()
        },
        manifest,
    ))
}

/// The organization of the environments (its name when readable; an id that is not a plain
/// identifier is not put into a URL).
async fn organization(api: &Api, envs: &[Value]) -> OrganizationRef {
    let id = envs
        .iter()
        .find_map(|e| e.pointer("/organization/id").and_then(Value::as_str))
        .unwrap_or("")
        .to_string();
    if id.is_empty() {
        return OrganizationRef::default();
    }
    if let Err(e) = validate::plain_id(&id) {
        tracing::warn!("organization name not read: {e}");
        return OrganizationRef {
            id,
            name: String::new(),
        };
    }
    let name = match api
        .get(
            &format!("{}/organizations/{id}", api.base()),
            super::request::RateGroup::General,
            false,
        )
        .await
    {
        Ok(v) => v
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        Err(e) => {
            tracing::info!("organization name not readable: {e}");
            String::new()
        }
    };
    OrganizationRef { id, name }
}

/// A resumed run: the worker's environment must still belong to the organization of the
/// checkpoint (one request; when it cannot be read, the other checks stand alone).
async fn check_organization(
    api: &Api,
    cfg: &IngestConfig,
    org: &str,
    progress: &dyn IngestProgress,
) -> Result<(), IngestError> {
    if org.is_empty() {
        return Ok(());
    }
    let url = format!("{}/environments/{}", api.base(), cfg.environment_id);
    match api
        .get(&url, super::request::RateGroup::General, false)
        .await
    {
        Ok(v) => match v.pointer("/organization/id").and_then(Value::as_str) {
            Some(now) if now != org => Err(IngestError::Checkpoint(
                super::checkpoint::CheckpointError::Differs {
                    path: super::work_dir(cfg),
                    differences: vec![format!("organization: was `{org}`, now `{now}`")],
                },
            )),
            _ => Ok(()),
        },
        Err(RequestError::Auth(a)) => Err(IngestError::Auth(a)),
        Err(e) => {
            progress.note(&format!(
                "note: the organization of environment {} could not be read to confirm the resume ({e})",
                cfg.environment_id
            ));
            Ok(())
        }
    }
}

/// Requests of the per-subject phase for the lists read so far.
fn relation_requests(lists: &[EnvLists]) -> u64 {
    let n = |v: &Option<Vec<String>>| v.as_ref().map_or(0, |v| v.len() as u64);
    lists
        .iter()
        .map(|l| {
            let members = if l.memberships_from_users {
                0
            } else {
                n(&l.groups)
            };
            n(&l.groups) * 2
                + members
                + n(&l.users)
                + n(&l.role_apps)
                + n(&l.gateways)
                + n(&l.applications)
                + n(&l.resources)
        })
        .sum()
}

fn human_duration(secs: f64) -> String {
    let s = secs.ceil() as u64;
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s.div_ceil(60)),
        _ => format!("{:.1} h", s as f64 / 3600.0),
    }
}

/// What `--plan` prints: counts per environment and the request estimate.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub environments: Vec<PlanEnv>,
    pub requests: u64,
    pub activity_requests: u64,
    pub max_rps: f64,
    pub activities_rps: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanEnv {
    pub id: String,
    pub name: String,
    /// `None` when the count is not readable (denied) or not reported.
    pub users: Option<u64>,
    pub groups: Option<u64>,
    pub applications: Option<u64>,
    pub gateways: Option<u64>,
    pub resources: Option<u64>,
}

impl Plan {
    /// Seconds at the configured rates (a lower bound: retries and latency come on top).
    pub fn seconds(&self) -> f64 {
        self.requests as f64 / self.max_rps
            + self.activity_requests as f64 / self.activities_rps.min(self.max_rps)
    }
}

impl std::fmt::Display for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = |v: Option<u64>| v.map_or_else(|| "?".to_string(), |v| v.to_string());
        writeln!(
            f,
            "{:<38} {:>9} {:>8} {:>6} {:>8} {:>9}",
            "environment", "users", "groups", "apps", "gateways", "resources"
        )?;
        for e in &self.environments {
            let label = if e.name.is_empty() {
                e.id.clone()
            } else {
                format!("{} ({})", e.name, &e.id[..e.id.len().min(8)])
            };
            writeln!(
                f,
                "{:<38} {:>9} {:>8} {:>6} {:>8} {:>9}",
                label,
                c(e.users),
                c(e.groups),
                c(e.applications),
                c(e.gateways),
                c(e.resources)
            )?;
        }
        write!(
            f,
            "about {} requests ({} for activities), at least {} at {} requests/s",
            self.requests + self.activity_requests,
            self.activity_requests,
            human_duration(self.seconds()),
            self.max_rps
        )
    }
}

/// The size of one collection from a one-item page (`count`, else the page itself when it is the last).
async fn count_of(api: &Api, path: String) -> Option<u64> {
    let q = ListQuery::new(path).param("limit", "1");
    let url = q.url(api.base()).ok()?;
    let body = api
        .get(url.as_str(), super::request::RateGroup::General, false)
        .await
        .ok()?;
    if let Some(c) = body.get("count").and_then(Value::as_u64) {
        return Some(c);
    }
    if body.pointer("/_links/next/href").is_none() {
        return super::paging::embedded_items(&body)
            .ok()
            .map(|v| v.len() as u64);
    }
    None
}

/// Counts what an ingest would read (see [`super::plan`]).
pub async fn plan(api: &Api, cfg: &IngestConfig) -> Result<Plan, IngestError> {
    let fail = |e: RequestError| match e {
        RequestError::Auth(a) => IngestError::Auth(a),
        other => IngestError::Request {
            progress: "planning".into(),
            source: other,
        },
    };
    api.sign_in().await.map_err(fail)?;
    let envs = collect_all(api, &ListQuery::new("/environments"), false)
        .await
        .map_err(|e| match e {
            PagingError::Request(r) => fail(r),
            PagingError::Write(w) => IngestError::Write(w),
        })?;
    let mut plan = Plan {
        max_rps: cfg.request.max_rps,
        activities_rps: cfg.request.activities_rps,
        requests: 3,
        ..Default::default()
    };
    let page = cfg.page_size.max(1) as u64;
    for e in &envs {
        let Some(id) = id_of(e) else { continue };
        if cfg.environments.as_ref().is_some_and(|w| !w.contains(&id)) {
            continue;
        }
        let base = format!("/environments/{id}");
        let pe = PlanEnv {
            name: e
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            users: count_of(api, format!("{base}/users")).await,
            groups: count_of(api, format!("{base}/groups")).await,
            applications: count_of(api, format!("{base}/applications")).await,
            gateways: count_of(api, format!("{base}/gateways")).await,
            resources: count_of(api, format!("{base}/resources")).await,
            id,
        };
        let (u, g, a, gw, r) = (
            pe.users.unwrap_or(0),
            pe.groups.unwrap_or(0),
            pe.applications.unwrap_or(0),
            pe.gateways.unwrap_or(0),
            pe.resources.unwrap_or(0),
        );
        // Lists (pages), then per subject: parents + members per group, assignments per user,
        // group, app and gateway, grants per app, scopes per resource.
        plan.requests += 7 + u.div_ceil(page) + g.div_ceil(page) + 3 * g + u + 2 * a + gw + r;
        if cfg.activities {
            let since = cfg.activities_since.map_or(14 * 86_400, |t| {
                (jiff::Timestamp::now().as_second() - t.as_second()).max(0) as u64
            });
            plan.activity_requests += since.div_ceil(cfg.activity_window.as_secs().max(1));
        }
        plan.environments.push(pe);
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_summarize_what_was_collected() {
        let c = Counters::default();
        assert_eq!(c.summary(), "nothing collected yet");
        c.add("users", 3);
        c.add("users", 2);
        assert_eq!(c.summary(), "collected 5 users so far");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(5.2), "6 s");
        assert_eq!(human_duration(600.0), "10 min");
        assert_eq!(human_duration(36_000.0), "10.0 h");
    }
}
