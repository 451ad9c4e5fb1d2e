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

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use futures_util::stream::{self, StreamExt};
use serde_json::{Value, json};

use super::error::{IngestError, RequestError};
use super::paging::{ListQuery, Paged, PagingError, collect_all, for_each_page};
use super::request::Api;
use super::{IngestConfig, IngestProgress, IngestReport};
use crate::export::ExportWriter;
use crate::export::WriteError;
use crate::export::manifest::{
    ActivityWindow, CollectorRef, CoverageEntry, ManifestFile, OrganizationRef,
};

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
    out: Mutex<ExportWriter>,
    coverage: Mutex<Vec<CoverageEntry>>,
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

    /// Pages `q` into `collection` (items unchanged) and returns the item ids.
    async fn list(
        &self,
        collection: &str,
        kind: &str,
        q: ListQuery,
    ) -> Result<Got<Vec<Value>>, IngestError> {
        let mut items = Vec::new();
        let r = for_each_page(self.api, &q, false, |page| {
            let mut out = lock(&self.out);
            for it in &page {
                out.write(collection, it)?;
            }
            self.counters.add(kind, page.len() as u64);
            items.extend(page);
            Ok(())
        })
        .await;
        match r {
            Ok(_) => {
                lock(&self.out).touch(collection)?;
                Ok(Got::Ok(items))
            }
            Err(e) => self.classify(collection, e).map(|_| Got::Gap),
        }
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
                    lock(&self.out).touch(&collection)?;
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
            let mut out = lock(&self.out);
            let mut memberships = 0u64;
            for u in &page {
                out.write(collection, u)?;
                let Some(uid) = u.get("id").and_then(Value::as_str) else {
                    continue;
                };
                ids.push(uid.to_string());
                if let Some(gids) = u.get("memberOfGroupIDs").and_then(Value::as_array) {
                    carried = true;
                    out.touch(mcoll)?;
                    for g in gids.iter().filter_map(Value::as_str) {
                        out.write_child(mcoll, "USER", uid, &json!({"id": g, "type": "DIRECT"}))?;
                        memberships += 1;
                    }
                }
            }
            self.counters.add("users", page.len() as u64);
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
    /// not serve (a non-worker application's role assignments) and counts as no items.
    async fn per_subject<Q, E>(
        &self,
        phase: &str,
        ids: &[String],
        refused_is_empty: bool,
        query: Q,
        emit: E,
    ) -> Result<Got<()>, IngestError>
    where
        Q: Fn(&str) -> ListQuery,
        E: Fn(&mut ExportWriter, &str, Vec<Value>) -> Result<u64, WriteError>,
    {
        self.progress.phase(phase, Some(ids.len() as u64));
        let mut start = 0;
        // Probe: until one subject answers (404s are subjects deleted meanwhile).
        while start < ids.len() {
            let id = &ids[start];
            start += 1;
            match collect_all(self.api, &query(id), false).await {
                Ok(items) => {
                    let n = emit(&mut lock(&self.out), id, items)?;
                    self.counters.add(phase, n);
                    self.progress.advance(1);
                    break;
                }
                Err(PagingError::Request(r))
                    if r.not_found().is_some()
                        || (refused_is_empty && r.bad_request().is_some()) =>
                {
                    self.progress.advance(1);
                    continue;
                }
                Err(PagingError::Request(r)) if r.denied().is_some() => {
                    return Ok(Got::Gap);
                }
                Err(e) => return Err(self.paging_err(e)),
            }
        }
        let mut results = stream::iter(ids[start..].iter())
            .map(|id| {
                let q = query(id);
                async move { (id, collect_all(self.api, &q, true).await) }
            })
            .buffered(self.api.concurrency());
        while let Some((id, r)) = results.next().await {
            match r {
                Ok(items) => {
                    let n = emit(&mut lock(&self.out), id, items)?;
                    self.counters.add(phase, n);
                }
                Err(PagingError::Request(r)) if r.not_found().is_some() => {
                    tracing::info!(subject = %id, "subject disappeared during the ingest (404)");
                }
                Err(PagingError::Request(r)) if refused_is_empty && r.bad_request().is_some() => {
                    tracing::warn!(subject = %id, "the server refused this subject's list (400); skipped");
                }
                Err(e) => return Err(self.paging_err(e)),
            }
            self.progress.advance(1);
        }
        Ok(Got::Ok(()))
    }

    /// Writes each item wrapped with its parent; returns the count.
    fn wrap(
        collection: String,
        parent_type: &'static str,
    ) -> impl Fn(&mut ExportWriter, &str, Vec<Value>) -> Result<u64, WriteError> {
        move |out, parent, items| {
            out.touch(&collection)?;
            for it in &items {
                out.write_child(&collection, parent_type, parent, it)?;
            }
            Ok(items.len() as u64)
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
                        "group parents",
                        groups,
                        false,
                        |g| {
                            ListQuery::new(format!("{base}/groups/{g}/memberOfGroups"))
                                .param("limit", limit.clone())
                        },
                        Self::wrap(c.clone(), "GROUP"),
                    )
                    .await?;
                match got {
                    Got::Ok(()) => lock(&self.out).touch(&c)?,
                    Got::Gap => self.gap(&c, "denied", "403 INSUFFICIENT_PERMISSIONS".into()),
                }
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
                            "group members",
                            groups,
                            false,
                            |g| {
                                ListQuery::new(format!("{base}/users"))
                                    .param("filter", format!("memberOfGroups[id eq \"{g}\"]"))
                                    .param("limit", limit.clone())
                            },
                            move |out, g, users| {
                                out.touch(&c2)?;
                                let mut n = 0;
                                for u in users.iter().filter_map(id_of) {
                                    out.write_child(
                                        &c2,
                                        "USER",
                                        &u,
                                        &json!({"id": g, "type": "DIRECT"}),
                                    )?;
                                    n += 1;
                                }
                                Ok(n)
                            },
                        )
                        .await?;
                    match got {
                        Got::Ok(()) => lock(&self.out).touch(&c)?,
                        Got::Gap => self.gap(&c, "denied", "403 INSUFFICIENT_PERMISSIONS".into()),
                    }
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
            let got = self
                .per_subject(
                    &format!("{} role assignments", parent_type.to_lowercase()),
                    ids,
                    parent_type == "APPLICATION",
                    |s| {
                        ListQuery::new(format!("{base}/{seg}/{s}/roleAssignments"))
                            .param("limit", limit.clone())
                    },
                    Self::wrap(c.clone(), parent_type),
                )
                .await?;
            if let Got::Gap = got {
                denied.push(format!(
                    "403 INSUFFICIENT_PERMISSIONS on {seg}/{{id}}/roleAssignments"
                ));
            }
        }
        if denied.len() == 4 {
            self.gap(&c, "denied", denied.join("; "));
        } else {
            lock(&self.out).touch(&c)?;
            if !denied.is_empty() {
                self.gap(&c, "partial", denied.join("; "));
            }
        }

        // Grants per application, scopes per resource.
        for (name, seg, parent_type, ids, what) in [
            (
                "grants",
                "applications",
                "APPLICATION",
                &l.applications,
                "grants",
            ),
            ("scopes", "resources", "RESOURCE", &l.resources, "scopes"),
        ] {
            let c = coll(name);
            match ids {
                Some(ids) => {
                    let got = self
                        .per_subject(
                            what,
                            ids,
                            false,
                            |s| ListQuery::new(format!("{base}/{seg}/{s}/{what}")),
                            Self::wrap(c.clone(), parent_type),
                        )
                        .await?;
                    match got {
                        Got::Ok(()) => lock(&self.out).touch(&c)?,
                        Got::Gap => self.gap(&c, "denied", "403 INSUFFICIENT_PERMISSIONS".into()),
                    }
                }
                None => self.gap(&c, "denied", format!("{seg} are not readable")),
            }
        }
        Ok(())
    }

    /// Activities in `[from, to)`, one window at a time, newest first, deduplicated by id.
    async fn activities(
        &self,
        env: &str,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<(), IngestError> {
        let c = format!("environments/{env}/activities");
        let step = jiff::SignedDuration::try_from(self.cfg.activity_window)
            .unwrap_or(jiff::SignedDuration::from_hours(24));
        let step = if step.is_zero() || step.is_negative() {
            jiff::SignedDuration::from_hours(24)
        } else {
            step
        };
        let mut seen: HashSet<String> = HashSet::new();
        let mut hi = to;
        let mut first = true;
        while hi > from {
            let lo = hi.checked_sub(step).unwrap_or(from).max(from);
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
                let mut out = lock(&self.out);
                let mut n = 0;
                for a in &page {
                    let fresh = match id_of(a) {
                        Some(id) => seen.insert(id),
                        None => true,
                    };
                    if fresh {
                        out.write(&c, a)?;
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
                        return Ok(());
                    }
                } else {
                    return Err(self.paging_err(e));
                }
            }
            first = false;
            self.progress.advance(1);
            hi = lo;
        }
        lock(&self.out).touch(&c)?;
        Ok(())
    }
}

/// The whole ingest (see the module documentation for the order).
pub async fn run(
    api: &Api,
    cfg: &IngestConfig,
    progress: &dyn IngestProgress,
    counters: &Counters,
) -> Result<IngestReport, IngestError> {
    let captured = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    api.sign_in().await.map_err(|e| match e {
        RequestError::Auth(a) => IngestError::Auth(a),
        other => IngestError::Request {
            progress: counters.summary(),
            source: other,
        },
    })?;
    let run = Run {
        api,
        cfg,
        progress,
        counters,
        out: Mutex::new(ExportWriter::create(&cfg.out, cfg.compress)?),
        coverage: Mutex::new(Vec::new()),
    };

    progress.phase("environments", None);
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
    let org_id = envs
        .iter()
        .find_map(|e| e.pointer("/organization/id").and_then(Value::as_str))
        .unwrap_or("")
        .to_string();
    let org_name = if org_id.is_empty() {
        String::new()
    } else {
        match api
            .get(
                &format!("{}/organizations/{org_id}", api.base()),
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

    let mut coverage = std::mem::take(&mut *lock(&run.coverage));
    coverage.sort();
    coverage.dedup();
    let manifest = ManifestFile {
        captured_at: Some(captured.to_string()),
        region: Some(cfg.region.code().to_string()),
        organization: Some(OrganizationRef {
            id: org_id,
            name: org_name,
        }),
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
    let writer = run.out.into_inner().unwrap_or_else(|e| e.into_inner());
    let out = writer.finish(&manifest)?;
    Ok(IngestReport {
        out,
        environments: selected.len() as u64,
        counts: counters.snapshot(),
        coverage,
        no_users,
        ..Default::default()
    })
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
