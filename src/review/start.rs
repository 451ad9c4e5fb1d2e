//! `review start`: resolve once, write one sheet per review target.
//!
//! Identities are resolved in the access export's order, in parallel chunks whose output is
//! appended in order, so sheets are byte-identical whatever the thread count. Each row carries
//! the facts a reviewer needs (identity state, how the access is granted, last use, findings)
//! and a recommendation with its reason; `decision` and `comment` are left empty.
//!
//! Cost: one resolution per identity (as the access export) plus one findings run; memory holds
//! the resolver, the findings and at most [`SPILL_BUDGET`] bytes of formatted rows (see
//! [`Spill`]), whatever the size of the campaign; the largest sheet's keys are compressed in
//! memory, one sheet at a time.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::campaign::{
    CampaignManifest, CampaignOptions, FORMAT_NAME, FORMAT_VERSION, InputInfo, MANIFEST_FILE,
    SheetEntry, sha256_hex,
};
use super::grants::{Ent, EntKind, Groups, access_ents, membership_ent};
use super::sheet::{header_bytes, row_id, write_keys, write_row};
use super::{By, ReviewError};
use crate::findings::{self, Config, Finding};
use crate::model::key::{Key, Keyed};
use crate::model::*;
use crate::report::output::Durability;
use crate::resolve::{Access, Identity, Resolver};

/// Options of `review start`.
#[derive(Clone, Debug)]
pub struct StartOptions {
    pub by: By,
    /// Target ids or exact names, or environment ids (see [`start`]).
    pub scope: Vec<String>,
    /// M9: when time-based recommendations are judged; the capture time when `None`.
    pub as_of: Option<Ts>,
    pub dormant_days: i64,
    pub usage_days: i64,
    /// The campaign's creation time; now when `None` (tests pin it).
    pub created_at: Option<Ts>,
    /// The reviewer of every sheet (change per sheet with `review assign`); empty: unassigned.
    pub reviewer: String,
}

impl StartOptions {
    pub fn new(by: By) -> Self {
        StartOptions {
            by,
            scope: Vec::new(),
            as_of: None,
            dormant_days: 90,
            usage_days: 14,
            created_at: None,
            reviewer: String::new(),
        }
    }
}

/// What `start` wrote.
#[derive(Clone, Debug)]
pub struct StartSummary {
    pub manifest: CampaignManifest,
    pub identities: u64,
    pub rows: u64,
}

/// A review target.
struct Target {
    kind: &'static str,
    id: Sym,
    name: Sym,
}

/// Findings by the identity they are about (`""` for findings about an entitlement itself).
#[derive(Default)]
struct FindingIndex {
    by_identity: HashMap<String, Vec<Finding>>,
}

impl FindingIndex {
    fn new(found: Vec<Finding>) -> Self {
        let mut ix = FindingIndex::default();
        for f in found {
            ix.by_identity
                .entry(f.identity_id.clone())
                .or_default()
                .push(f);
        }
        ix
    }

    /// Rule ids on a row: the entitlement's own findings, identity-level findings on role rows,
    /// and findings about the entitlement itself (an open application, a nesting cycle).
    fn rules_for(&self, row: Key<&str>) -> String {
        let Key {
            entitlement_type: ent_type,
            entitlement_id: ent_id,
            scope_type: st,
            scope_id: sid,
            ..
        } = row;
        let mut v: Vec<&'static str> = Vec::new();
        if let Some(fs) = self.by_identity.get(row.identity_id) {
            for f in fs {
                let exact = Keyed::key(f) == row;
                let identity_level = ent_type == "ROLE" && f.entitlement_type.is_empty();
                if exact || identity_level {
                    v.push(f.rule);
                }
            }
        }
        if let Some(fs) = self.by_identity.get("") {
            for f in fs {
                if f.entitlement_type == ent_type
                    && f.entitlement_id == ent_id
                    && ((f.scope_type == st && f.scope_id == sid) || f.scope_type.is_empty())
                {
                    v.push(f.rule);
                }
            }
        }
        v.sort_unstable();
        v.dedup();
        v.join(";")
    }
}

/// Everything row formatting reads.
struct Ctx<'a, 't> {
    r: &'a Resolver<'t>,
    cfg: &'a Config,
    findings: &'a FindingIndex,
    usage_known: bool,
    usage_period: String,
}

/// Per-identity facts shared by its rows.
struct IdentityFacts<'a> {
    iid: &'a str,
    name: &'a str,
    username: &'a str,
    env: &'a str,
    enabled: bool,
    last_sign_on: String,
    /// `revoke` reasons that hold for every row of the identity.
    reasons: Vec<String>,
}

fn identity_facts<'a>(cx: &Ctx<'a, '_>, id: Identity) -> IdentityFacts<'a> {
    let t: &'a Tenant = cx.r.t;
    let (iid, name, env, enabled) = crate::resolve::labels::identity_columns(t, id);
    let mut reasons = Vec::new();
    let mut f = IdentityFacts {
        iid,
        name,
        username: "",
        env,
        enabled,
        last_sign_on: String::new(),
        reasons: Vec::new(),
    };
    match id {
        Identity::User(u) => {
            let user = &t.users[u.idx()];
            f.username = t.s(user.username);
            if !user.display_name.is_empty() {
                f.name = t.s(user.display_name);
            }
            f.last_sign_on = user
                .last_sign_on
                .map(|x| x.to_rfc3339())
                .unwrap_or_default();
            if !user.enabled {
                reasons.push("the user is disabled".to_string());
            } else if user.locked {
                reasons.push("the user's account is locked".to_string());
            } else {
                let limit = cx.cfg.as_of.minus_days(cx.cfg.dormant_days);
                match (user.last_sign_on, user.created_at) {
                    (Some(l), _) if l < limit => reasons.push(format!(
                        "dormant: last sign-on {} ({} days before {})",
                        l.date(),
                        l.days_until(cx.cfg.as_of),
                        cx.cfg.as_of.date()
                    )),
                    (None, Some(c)) if c < limit => {
                        reasons.push(format!("dormant: never signed on, created {}", c.date()))
                    }
                    _ => {}
                }
            }
        }
        Identity::Application(_) | Identity::Gateway(_) => {
            if !enabled {
                reasons.push(format!("the {} is disabled", id.type_str().to_lowercase()));
            }
        }
    }
    f.reasons = reasons;
    f
}

/// One formatted row and its keys.
struct RowOut {
    target: u32,
    row: Vec<u8>,
    keys: Vec<u8>,
}

fn format_row(
    cx: &Ctx,
    id: Identity,
    facts: &IdentityFacts,
    access: &Access,
    target: (u32, &Target),
    e: &Ent,
) -> RowOut {
    let t = cx.r.t;
    let from = cx.cfg.as_of.minus_days(cx.cfg.usage_days);
    let ent_id = t.s(e.ent_id);
    let scope_id = t.s(e.scope_id);
    let target_id = t.s(target.1.id);
    let rid = row_id(
        target_id,
        facts.iid,
        e.ent_type,
        ent_id,
        (&e.scope_type, scope_id),
    );
    let findings = cx.findings.rules_for(Key {
        identity_type: id.type_str(),
        identity_id: facts.iid,
        entitlement_type: e.ent_type,
        entitlement_id: ent_id,
        scope_type: &e.scope_type,
        scope_id,
    });
    let mut reasons = facts.reasons.clone();
    if findings.split(';').any(|r| r == "redundant-assignment") {
        reasons.push(
            "redundant: the direct assignment is also granted through a group at an equal or broader scope"
                .into(),
        );
    }
    // Last use (M8) and the unused test.
    let id_sym = match id {
        Identity::User(u) => t.users[u.idx()].id,
        Identity::Application(a) => t.applications[a.idx()].id,
        Identity::Gateway(g) => t.gateways[g.idx()].id,
    };
    let (last_use, unused) = match e.kind {
        EntKind::App(_) => {
            let last = t.usage.app_use(id_sym, e.ent_id);
            (
                last,
                last.is_none_or(|l| l < from).then(|| {
                    format!(
                        "unused: no sign-on to this application in the {} days before {}",
                        cx.cfg.usage_days,
                        cx.cfg.as_of.date()
                    )
                }),
            )
        }
        EntKind::Role(i) => {
            let last = t.usage.actor(id_sym).and_then(|a| a.last_admin_action);
            let privileged = !t.role_is_read_only(access.roles[i].role);
            (
                last,
                (privileged && last.is_none_or(|l| l < from)).then(|| {
                    format!(
                        "unused: no admin action in the {} days before {}",
                        cx.cfg.usage_days,
                        cx.cfg.as_of.date()
                    )
                }),
            )
        }
        EntKind::Group(_) => (t.usage.actor(id_sym).and_then(|a| a.last_activity), None),
    };
    let last_use_text = match (last_use, cx.usage_known) {
        (Some(l), _) => l.to_rfc3339(),
        (None, true) => "none".to_string(),
        (None, false) => String::new(),
    };
    if cx.usage_known
        && let Some(u) = unused
    {
        reasons.push(u);
    }
    let (recommendation, reason) = if reasons.is_empty() {
        let why = match last_use {
            Some(l) if cx.usage_known => format!("in use (last {})", l.date()),
            _ => "no reason to revoke found".to_string(),
        };
        ("keep", why)
    } else {
        ("revoke", reasons.join("; "))
    };
    let via = e.via_groups_text(t);
    let cells: [&str; 27] = [
        &rid,
        target.1.kind,
        target_id,
        t.s(target.1.name),
        id.type_str(),
        facts.iid,
        facts.name,
        facts.username,
        facts.env,
        if facts.enabled { "true" } else { "false" },
        &facts.last_sign_on,
        e.ent_type,
        ent_id,
        t.s(e.ent_name),
        &e.scope_type,
        scope_id,
        e.granted.as_str(),
        &e.sources,
        &via,
        &e.path,
        &last_use_text,
        &cx.usage_period,
        &findings,
        recommendation,
        &reason,
        "",
        "",
    ];
    let mut row = Vec::with_capacity(512);
    write_row(&cells, &mut row);
    let mut keys = Vec::with_capacity(256);
    write_keys(&cells, &mut keys);
    RowOut {
        target: target.0,
        row,
        keys,
    }
}

/// The possible targets of a campaign, sorted by PingOne id, with lookups.
struct Targets {
    list: Vec<Target>,
    by_sym: FxHashMap<Sym, u32>,
}

fn targets(t: &Tenant, by: By) -> Targets {
    let mut list: Vec<Target> = match by {
        By::Application => t
            .applications
            .iter()
            .map(|a| Target {
                kind: "APPLICATION",
                id: a.id,
                name: a.name,
            })
            .collect(),
        By::Role => {
            let mut v: Vec<Target> = t
                .roles
                .iter()
                .map(|r| Target {
                    kind: "ROLE",
                    id: r.id,
                    name: r.name,
                })
                .collect();
            for a in &t.assignments {
                if a.role.is_none() {
                    v.push(Target {
                        kind: "ROLE",
                        id: a.role_id,
                        name: Sym::EMPTY,
                    });
                }
            }
            v
        }
        By::Group => t
            .groups
            .iter()
            .map(|g| Target {
                kind: "GROUP",
                id: g.id,
                name: g.name,
            })
            .collect(),
        By::Environment => t
            .environments
            .iter()
            .map(|e| Target {
                kind: "ENVIRONMENT",
                id: e.id,
                name: e.name,
            })
            .collect(),
    };
    list.sort_by(|a, b| t.s(a.id).cmp(t.s(b.id)));
    list.dedup_by_key(|x| x.id);
    let by_sym = list
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id, i as u32))
        .collect();
    Targets { list, by_sym }
}

/// A file-name-safe rendering: ASCII letters, digits, `.`, `_`; runs of anything else -> `-`.
fn slug(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= max {
            break;
        }
    }
    out.trim_matches(|c| c == '-' || c == '.').to_string()
}

/// Starts a campaign on tenant `t` (read from `input`) into `out_dir`.
///
/// `opts.scope` narrows the campaign: a value equal to a target's id or exact name keeps that
/// target; a value equal to an environment id keeps only identities of that environment. A value
/// that matches nothing is an error. `progress(done, total)` is called after each batch.
pub fn start(
    t: &Tenant,
    input: InputInfo,
    opts: &StartOptions,
    out_dir: &Path,
    progress: &dyn Fn(u64, u64),
) -> Result<StartSummary, ReviewError> {
    if out_dir.join(MANIFEST_FILE).exists() {
        return Err(ReviewError::Exists(out_dir.to_path_buf()));
    }
    let r = Resolver::new(t);
    let groups = (opts.by == By::Group).then(|| Groups::new(t));
    let cfg = Config {
        as_of: opts.as_of.unwrap_or_else(|| t.captured_at()),
        dormant_days: opts.dormant_days,
        usage_days: opts.usage_days,
    };
    let found = findings::run(&r, &cfg, &findings::registry());
    let findex = FindingIndex::new(found);
    let tg = targets(t, opts.by);

    // --scope
    let mut env_filter: Vec<EnvId> = Vec::new();
    let mut target_filter: Vec<u32> = Vec::new();
    for s in &opts.scope {
        let mut hit = false;
        if let Some(sym) = t.strings.get(s)
            && let Some(&e) = t.index.env.get(&sym)
        {
            env_filter.push(e);
            hit = true;
        }
        for (i, x) in tg.list.iter().enumerate() {
            if t.s(x.id) == s || (!x.name.is_empty() && t.s(x.name) == s) {
                target_filter.push(i as u32);
                hit = true;
            }
        }
        if !hit {
            return Err(ReviewError::UnknownScope(s.clone()));
        }
    }
    if opts.by == By::Environment {
        // An environment id names the target itself.
        env_filter.clear();
    }
    let mut keep_target = vec![target_filter.is_empty(); tg.list.len()];
    for &i in &target_filter {
        keep_target[i as usize] = true;
    }

    let usage_from = cfg.as_of.minus_days(cfg.usage_days);
    let cx = Ctx {
        r: &r,
        cfg: &cfg,
        findings: &findex,
        usage_known: t.usage_covers(usage_from, cfg.as_of),
        usage_period: t
            .usage
            .span()
            .map(|p| format!("{}/{}", p.from, p.to))
            .unwrap_or_default(),
    };

    let ids: Vec<Identity> = r
        .identities_in_order()
        .iter()
        .filter(|id| {
            let env = match *id {
                Identity::User(u) => t.users[u.idx()].env,
                Identity::Application(a) => t.applications[a.idx()].env,
                Identity::Gateway(g) => t.gateways[g.idx()].env,
            };
            env_filter.is_empty() || env_filter.contains(&env)
        })
        .filter(|id| {
            opts.by == By::Role || opts.by == By::Environment || matches!(id, Identity::User(_))
        })
        .copied()
        .collect();

    // Sheets, keys and the manifest go into a staging directory beside `out_dir`, moved into
    // place at the end: a failed or interrupted start leaves nothing behind (no half campaign,
    // no empty folder).
    let final_dir = out_dir;
    let stage = Staging::new(final_dir)?;
    let out_dir = stage.path.as_path();
    let mut spill = Spill::new(out_dir.join(".spill"), tg.list.len())?;
    let mut done = 0u64;
    const CHUNK: usize = 512;
    // 8k identities per batch: a batch of formatted rows is held whole before it is spilled.
    for batch in ids.chunks(CHUNK * 16) {
        let parts: Vec<Vec<RowOut>> = batch
            .par_chunks(CHUNK)
            .map_init(
                || (Access::default(), Vec::<Ent>::new()),
                |(access, ents), chunk| {
                    let mut out = Vec::new();
                    for &id in chunk {
                        rows_of(
                            &cx,
                            groups.as_ref(),
                            &tg,
                            &keep_target,
                            opts.by,
                            id,
                            access,
                            ents,
                            &mut out,
                        );
                    }
                    out
                },
            )
            .collect();
        for part in parts {
            for ro in part {
                spill.push(&ro);
            }
        }
        spill.relieve(SPILL_BUDGET)?;
        done += batch.len() as u64;
        progress(done, ids.len() as u64);
    }
    spill.relieve(0)?;

    let mut sheets = Vec::new();
    let mut total = 0u64;
    let mut used_names = std::collections::HashSet::new();
    let sheets_dir = out_dir.join("sheets");
    for (i, tgt) in tg.list.iter().enumerate() {
        let count = spill.counts[i];
        if count == 0 {
            continue;
        }
        let name = {
            let id = slug(t.s(tgt.id), 64);
            let nm = slug(t.s(tgt.name), 40);
            if nm.is_empty() {
                format!("{}-{id}", opts.by.as_str())
            } else {
                format!("{}-{nm}-{id}", opts.by.as_str())
            }
        };
        // Distinct ids can share a slug; the first keeps it, later ones get a counter.
        let mut name = name;
        if !used_names.insert(name.clone()) {
            let mut k = 2;
            while !used_names.insert(format!("{name}-{k}")) {
                k += 1;
            }
            name = format!("{name}-{k}");
        }
        let file = format!("sheets/{name}.csv");
        let keys = format!("keys/{name}.keys.csv.zst");
        std::fs::create_dir_all(&sheets_dir).map_err(ReviewError::io(&sheets_dir))?;
        spill.finish_sheet(i, &out_dir.join(&file), &out_dir.join(&keys))?;
        total += count;
        sheets.push(SheetEntry {
            file,
            keys,
            target_type: tgt.kind.to_string(),
            target_id: t.s(tgt.id).to_string(),
            target_name: t.s(tgt.name).to_string(),
            rows: count,
            reviewer: opts.reviewer.clone(),
        });
    }
    spill.remove()?;
    let created = opts.created_at.unwrap_or_else(Ts::now);
    let options = CampaignOptions {
        by: opts.by,
        scope: opts.scope.clone(),
        as_of: cfg.as_of.to_rfc3339(),
        dormant_days: cfg.dormant_days,
        usage_days: cfg.usage_days,
    };
    let seed = format!(
        "{}\n{}\n{}",
        input.sha256,
        serde_json::to_string(&options).map_err(|source| {
            crate::report::OutputError::Serialize {
                what: "the campaign options",
                source,
            }
        })?,
        created
    );
    let manifest = CampaignManifest {
        format: FORMAT_NAME.into(),
        version: FORMAT_VERSION,
        campaign_id: format!(
            "rc-{}-{}",
            created.date().replace('-', ""),
            &sha256_hex(seed.as_bytes())[..8]
        ),
        created_at: created.to_rfc3339(),
        input,
        options,
        usage_period: cx.usage_period.clone(),
        sheets,
    };
    crate::report::output::write_file_with(
        &out_dir.join(MANIFEST_FILE),
        &manifest.to_json()?,
        Durability::Durable,
    )?;
    stage.commit(final_dir)?;
    Ok(StartSummary {
        manifest,
        identities: ids.len() as u64,
        rows: total,
    })
}

/// Bytes of formatted rows and keys held in memory before they are appended to the spill files.
const SPILL_BUDGET: usize = 48 << 20;

/// Formatted rows on their way to their sheets.
///
/// Rows arrive in identity order, interleaved across sheets. Holding every sheet until the end
/// took 3.9 GiB at 1,000,000 users (`--by application`); instead each sheet has a buffer, and
/// when the buffers together exceed the budget the largest are appended to the sheet's spill
/// files (the sheet, header first, and its keys uncompressed) in the staging directory until
/// half the budget is left. A spill file is opened about once per budget's worth of its rows, so
/// a campaign with a hundred thousand small sheets does not open a file per row. At the end
/// each sheet's file is moved to its name and its keys compressed whole, one sheet at a time,
/// with the same bytes as when everything was held in memory.
struct Spill {
    dir: PathBuf,
    rows: Vec<Vec<u8>>,
    keys: Vec<Vec<u8>>,
    /// Has the sheet's spill file been created (with the header)?
    started: Vec<bool>,
    counts: Vec<u64>,
    buffered: usize,
    header: Vec<u8>,
}

impl Spill {
    fn new(dir: PathBuf, sheets: usize) -> Result<Spill, ReviewError> {
        std::fs::create_dir_all(&dir).map_err(ReviewError::io(&dir))?;
        Ok(Spill {
            dir,
            rows: vec![Vec::new(); sheets],
            keys: vec![Vec::new(); sheets],
            started: vec![false; sheets],
            counts: vec![0; sheets],
            buffered: 0,
            header: header_bytes(),
        })
    }

    fn rows_path(&self, i: usize) -> PathBuf {
        self.dir.join(format!("{i}.csv"))
    }

    fn keys_path(&self, i: usize) -> PathBuf {
        self.dir.join(format!("{i}.keys.csv"))
    }

    fn push(&mut self, ro: &RowOut) {
        let i = ro.target as usize;
        self.rows[i].extend_from_slice(&ro.row);
        self.keys[i].extend_from_slice(&ro.keys);
        self.counts[i] += 1;
        self.buffered += ro.row.len() + ro.keys.len();
    }

    /// When more than `budget` bytes are buffered, appends the largest buffers to their files
    /// until at most half of it is left (`0`: everything).
    fn relieve(&mut self, budget: usize) -> Result<(), ReviewError> {
        if self.buffered <= budget {
            return Ok(());
        }
        let mut order: Vec<usize> = (0..self.rows.len())
            .filter(|&i| !self.rows[i].is_empty() || !self.keys[i].is_empty())
            .collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.rows[i].len() + self.keys[i].len()));
        for i in order {
            if self.buffered <= budget / 2 && budget > 0 {
                break;
            }
            self.append(i)?;
        }
        Ok(())
    }

    fn append(&mut self, i: usize) -> Result<(), ReviewError> {
        let first = !self.started[i];
        let rows_path = self.rows_path(i);
        let mut f = open_append(&rows_path, first)?;
        if first {
            f.write_all(&self.header)
                .map_err(ReviewError::io(&rows_path))?;
            self.started[i] = true;
        }
        f.write_all(&self.rows[i])
            .map_err(ReviewError::io(&rows_path))?;
        let keys_path = self.keys_path(i);
        open_append(&keys_path, first)?
            .write_all(&self.keys[i])
            .map_err(ReviewError::io(&keys_path))?;
        self.buffered -= self.rows[i].len() + self.keys[i].len();
        // Release the memory, not only the length: a sheet may never grow again.
        self.rows[i] = Vec::new();
        self.keys[i] = Vec::new();
        Ok(())
    }

    /// Moves sheet `i` (fully appended) to `sheet`, and writes its keys compressed to `keys`.
    fn finish_sheet(&self, i: usize, sheet: &Path, keys: &Path) -> Result<(), ReviewError> {
        let rows_path = self.rows_path(i);
        std::fs::File::open(&rows_path)
            .and_then(|f| f.sync_all())
            .map_err(ReviewError::io(&rows_path))?;
        std::fs::rename(&rows_path, sheet).map_err(ReviewError::io(sheet))?;
        let keys_path = self.keys_path(i);
        let plain = std::fs::read(&keys_path).map_err(ReviewError::io(&keys_path))?;
        let packed = zstd::bulk::compress(&plain, 3).map_err(ReviewError::io(keys))?;
        drop(plain);
        crate::report::output::write_file_with(keys, &packed, Durability::Durable)?;
        std::fs::remove_file(&keys_path).map_err(ReviewError::io(&keys_path))?;
        Ok(())
    }

    /// Removes the (by now empty) spill directory.
    fn remove(self) -> Result<(), ReviewError> {
        std::fs::remove_dir(&self.dir).map_err(ReviewError::io(&self.dir))
    }
}

/// Opens a spill file for appending, created (mode 0600 on Unix, like every other output:
/// sheets hold personal data) when `create`.
fn open_append(path: &Path, create: bool) -> Result<std::fs::File, ReviewError> {
    let mut o = std::fs::OpenOptions::new();
    o.append(true).create_new(create);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path).map_err(ReviewError::io(path))
}

/// A campaign being written: a hidden directory beside the destination, named after it, removed
/// on drop (and on Ctrl-C) unless [`Staging::commit`] moved it into place.
struct Staging {
    path: std::path::PathBuf,
    created: Vec<std::path::PathBuf>,
    done: bool,
    _regs: (
        crate::cleanup::Registration,
        Vec<crate::cleanup::Registration>,
    ),
}

impl Staging {
    fn new(dest: &Path) -> Result<Staging, ReviewError> {
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let (created, dir_regs) =
            crate::cleanup::create_dirs(parent).map_err(ReviewError::io(parent))?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "campaign".into());
        let path = parent.join(format!(".{name}.p1graph-campaign-{}", std::process::id()));
        if path.exists() {
            let _ = std::fs::remove_dir_all(&path);
        }
        std::fs::create_dir_all(&path).map_err(ReviewError::io(&path))?;
        let reg = crate::cleanup::temporary(&path);
        Ok(Staging {
            path,
            created,
            done: false,
            _regs: (reg, dir_regs),
        })
    }

    /// Moves the campaign into `dest`: a rename when `dest` does not exist, else each entry
    /// (the caller checked that `dest` holds no campaign).
    fn commit(mut self, dest: &Path) -> Result<(), ReviewError> {
        if !dest.exists() {
            std::fs::rename(&self.path, dest).map_err(ReviewError::io(dest))?;
        } else {
            for e in std::fs::read_dir(&self.path).map_err(ReviewError::io(&self.path))? {
                let e = e.map_err(ReviewError::io(&self.path))?;
                let to = dest.join(e.file_name());
                if to.is_dir() {
                    let _ = std::fs::remove_dir_all(&to);
                }
                std::fs::rename(e.path(), &to).map_err(ReviewError::io(&to))?;
            }
            let _ = std::fs::remove_dir(&self.path);
        }
        self.done = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.path);
            crate::cleanup::remove_empty_dirs(&self.created);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn rows_of(
    cx: &Ctx,
    groups: Option<&Groups>,
    tg: &Targets,
    keep_target: &[bool],
    by: By,
    id: Identity,
    access: &mut Access,
    ents: &mut Vec<Ent>,
    out: &mut Vec<RowOut>,
) {
    let r = cx.r;
    let t = r.t;
    ents.clear();
    match by {
        By::Application => {
            r.resolve(id, access);
            access_ents(r, access, true, false, ents);
        }
        By::Role => {
            r.resolve_roles(id, access);
            access_ents(r, access, false, true, ents);
        }
        By::Environment => {
            r.resolve(id, access);
            access_ents(r, access, true, true, ents);
        }
        By::Group => {
            let (Identity::User(u), Some(gs)) = (id, groups) else {
                return;
            };
            access.identity = Some(id);
            for g in gs.of_user(r, u) {
                ents.push(membership_ent(r, gs, u, g));
            }
        }
    }
    if ents.is_empty() {
        return;
    }
    let facts = identity_facts(cx, id);
    for e in ents.iter() {
        let key = match by {
            By::Environment => t.environments[env_of(t, id).idx()].id,
            By::Application | By::Role | By::Group => e.ent_id,
        };
        let Some(&ti) = tg.by_sym.get(&key) else {
            continue;
        };
        if !keep_target[ti as usize] {
            continue;
        }
        out.push(format_row(
            cx,
            id,
            &facts,
            access,
            (ti, &tg.list[ti as usize]),
            e,
        ));
    }
}

fn env_of(t: &Tenant, id: Identity) -> EnvId {
    match id {
        Identity::User(u) => t.users[u.idx()].env,
        Identity::Application(a) => t.applications[a.idx()].env,
        Identity::Gateway(g) => t.gateways[g.idx()].env,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_name_safe() {
        assert_eq!(slug("HR Portal (prod)", 40), "HR-Portal-prod");
        assert_eq!(slug("../../etc", 40), "etc");
        assert_eq!(slug("Ärzte=1", 40), "rzte-1");
    }
}
