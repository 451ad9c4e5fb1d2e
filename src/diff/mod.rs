//! `p1graph diff OLD NEW`: what changed between two captures of one organization.
//!
//! Kinds of change, all keyed by PingOne ids (dense ids differ between captures):
//!
//! * effective access gained and lost, per identity and entitlement, with the path that now
//!   grants it (or the path that granted it before), built from the access export's own rows
//!   ([`crate::resolve::rows`]), so the diff agrees with `p1graph access` by construction;
//! * findings new, resolved and unchanged (by the findings' key columns);
//! * escalation gains (attack paths) new and lost, a new path to Organization or Environment
//!   Admin first of all;
//! * entity changes: users added, removed, disabled, re-enabled; role assignments and direct
//!   memberships added and removed; applications whose access control changed.
//!
//! Rows are ordered most severe first ([`DiffRow::order`]): new privileged access, then new
//! critical and high findings, then other gained access, and so on down to unchanged findings.
//!
//! Memory: the two tenants, their resolvers and attack graphs, and at most a budget of rows.
//! Rows past the budget are sorted into runs on disk and merged when read ([`sort`]), because
//! the difference between two large captures can be far larger than either (millions of
//! escalation paths opened by one new group). `report::diff` only formats what this computes.

mod access;
mod entities;
mod escalation;
pub mod row;
mod sort;

use std::collections::BTreeMap;
use std::io;

pub use row::{Category, Change, DiffRow};
pub use sort::Sorted;

use crate::findings::{self, Finding, Severity};
use crate::model::Tenant;
use crate::resolve::Resolver;

/// How to compute a diff.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Keep the findings present on both sides (`--include-unchanged`).
    pub include_unchanged: bool,
    /// Bytes of rows held in memory before a sorted run is written to disk.
    pub budget: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            include_unchanged: false,
            budget: 256 << 20,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error(
        "cannot use temporary files for the diff's rows ({0}); set TMPDIR to a writable folder with free space"
    )]
    Spill(#[from] io::Error),
}

/// What the rows hold, counted as they are found: enough for the table's summary and for
/// `--fail-on` without reading the rows twice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    by: BTreeMap<(Category, Change), usize>,
    privileged_gained: usize,
    tier_zero_gained: usize,
    /// New findings and gained escalations by severity and label (rule, or category and
    /// change).
    gates: BTreeMap<(Severity, String), usize>,
}

impl Counts {
    fn add(&mut self, r: &DiffRow) {
        *self.by.entry((r.category, r.change)).or_default() += 1;
        match (r.category, r.change) {
            (Category::Access, Change::Gained) if r.severity == Severity::High => {
                self.privileged_gained += 1;
            }
            (Category::Finding, Change::New) | (Category::Escalation, Change::Gained) => {
                if r.category == Category::Escalation && r.severity == Severity::Critical {
                    self.tier_zero_gained += 1;
                }
                let label = if r.rule.is_empty() {
                    format!("{} {}", r.category.as_str(), r.change.as_str())
                } else {
                    r.rule.to_string()
                };
                *self.gates.entry((r.severity, label)).or_default() += 1;
            }
            _ => {}
        }
    }

    /// Rows of one category and change.
    pub fn count(&self, category: Category, change: Change) -> usize {
        self.by.get(&(category, change)).copied().unwrap_or(0)
    }

    /// Every row.
    pub fn total(&self) -> usize {
        self.by.values().sum()
    }

    /// Every row but the unchanged findings.
    pub fn changes(&self) -> usize {
        self.total() - self.count(Category::Finding, Change::Unchanged)
    }

    /// Gained access to a role that is not read-only.
    pub fn privileged_gained(&self) -> usize {
        self.privileged_gained
    }

    /// Gained escalation paths to Organization or Environment Admin.
    pub fn tier_zero_gained(&self) -> usize {
        self.tier_zero_gained
    }

    /// The changes `--fail-on LEVEL` fails on, counted by rule (or category and change): new
    /// findings and gained escalations at or above `level`, and any gained privileged access (a
    /// privileged role is a change a reviewer must see whatever the level).
    pub fn failing(&self, level: Severity) -> BTreeMap<String, usize> {
        let mut out: BTreeMap<String, usize> = BTreeMap::new();
        for ((severity, label), n) in &self.gates {
            if severity.at_least(level) {
                *out.entry(label.clone()).or_default() += n;
            }
        }
        if self.privileged_gained > 0 {
            *out.entry("access gained".into()).or_default() += self.privileged_gained;
        }
        out
    }
}

/// The changes from one capture to the next: counts at once, rows in order as they are read.
pub struct Changes {
    pub counts: Counts,
    pub rows: Sorted,
}

impl Changes {
    /// Every row in memory (tests and small tenants).
    pub fn into_vec(self) -> Result<Vec<DiffRow>, DiffError> {
        Ok(self.rows.collect::<io::Result<Vec<_>>>()?)
    }
}

/// Where the producers put rows: counted, and sorted within the memory budget.
struct Sink {
    sorter: sort::Sorter,
    counts: Counts,
    include_unchanged: bool,
}

impl Sink {
    fn push(&mut self, r: DiffRow) -> io::Result<()> {
        if r.change == Change::Unchanged && !self.include_unchanged {
            return Ok(());
        }
        self.counts.add(&r);
        self.sorter.push(r)
    }
}

/// Computes every change from `old` to `new`.
pub fn diff(old: &Tenant, new: &Tenant, opts: &Options) -> Result<Changes, DiffError> {
    let mut sink = Sink {
        sorter: sort::Sorter::new(opts.budget),
        counts: Counts::default(),
        include_unchanged: opts.include_unchanged,
    };
    let (ro, rn) = rayon::join(|| Resolver::new(old), || Resolver::new(new));
    access::changes(&ro, &rn, &mut sink)?;
    {
        let (a, b) = rayon::join(|| escalation::Side::new(&ro), || escalation::Side::new(&rn));
        finding_changes(&a.findings, &b.findings, &mut sink)?;
        escalation::changes(&a, &b, &mut sink)?;
    }
    entities::changes(old, new, &mut sink)?;
    Ok(Changes {
        counts: sink.counts,
        rows: sink.sorter.finish()?,
    })
}

/// One side's findings, from the attack-graph search the escalation changes share.
fn side_findings(
    r: &Resolver,
    g: &crate::graph::attack::AttackGraph,
    esc: &crate::graph::attack::Escalations,
) -> Vec<Finding> {
    let cfg = findings::Config::for_tenant(r.t);
    findings::run_with_attack(r, &cfg, &findings::registry(), Some((g, esc)))
}

fn finding_changes(old: &[Finding], new: &[Finding], sink: &mut Sink) -> io::Result<()> {
    let old_keys: BTreeMap<_, &Finding> = old.iter().map(|f| (f.key(), f)).collect();
    let new_keys: BTreeMap<_, &Finding> = new.iter().map(|f| (f.key(), f)).collect();
    let row = |f: &Finding, change: Change, priority: u8| {
        let mut r = DiffRow::new(Category::Finding, change, f.severity, priority);
        r.identity_type = f.identity_type.clone();
        r.identity_id = f.identity_id.clone();
        r.identity_name = f.identity_name.clone();
        r.entitlement_type = f.entitlement_type.clone();
        r.entitlement_id = f.entitlement_id.clone();
        r.entitlement_name = f.entitlement_name.clone();
        r.rule = f.rule;
        r.scope_type = f.scope_type.clone();
        r.scope_id = f.scope_id.clone();
        r.scope_name = f.scope_name.clone();
        r.detail = f.detail.clone();
        r
    };
    for (k, f) in &new_keys {
        if old_keys.contains_key(k) {
            sink.push(row(f, Change::Unchanged, 13))?;
        } else {
            let p = match f.severity {
                Severity::Critical => 2,
                Severity::High => 3,
                _ => 5,
            };
            sink.push(row(f, Change::New, p))?;
        }
    }
    for (k, f) in &old_keys {
        if !new_keys.contains_key(k) {
            sink.push(row(f, Change::Resolved, 10))?;
        }
    }
    Ok(())
}

/// Walks two lists keyed by PingOne ids (sorted here) side by side: `f(old, new)` for every key
/// of either, with `None` on the side that lacks it. Keys borrow the tenants' strings, so a
/// million-row comparison allocates only the two lists.
fn merge_join<K: Ord + Copy, V>(
    mut old: Vec<(K, V)>,
    mut new: Vec<(K, V)>,
    mut f: impl FnMut(Option<&V>, Option<&V>) -> io::Result<()>,
) -> io::Result<()> {
    old.sort_unstable_by_key(|x| x.0);
    new.sort_unstable_by_key(|x| x.0);
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let ord = match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) => a.0.cmp(&b.0),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                f(Some(&old[i].1), None)?;
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                f(None, Some(&new[j].1))?;
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                f(Some(&old[i].1), Some(&new[j].1))?;
                i += 1;
                j += 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
