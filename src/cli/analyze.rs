//! `p1graph analyze`: the main job. Reads an organization, writes `access.csv`, `findings.csv`,
//! `escalation.csv` and `summary.json` (provenance) into a report directory, and prints what to
//! look at first: the top findings, then the next commands, then the tenant in numbers.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use super::{Globals, load_input, progress};
use crate::Error;
use crate::findings::{self, Severity, rank};
use crate::graph::attack::{AttackGraph, Escalations};
use crate::report::Output;
use crate::report::access::{RowFormat, write_access};
use crate::report::escalation::{PathFormat, write_rows};
use crate::report::summary::{
    Counts, ExceptionsRecord, InputRecord, RunRecord, Thresholds, summarize,
};
use crate::resolve::Resolver;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An export directory or a `.p1g` snapshot.
    #[arg(long, short)]
    pub input: PathBuf,
    /// The report directory (created if needed).
    #[arg(long, short, default_value = "report")]
    pub out: PathBuf,
    #[command(flatten)]
    pub judgement: super::JudgementArgs,
    /// Accepted risks (TOML or YAML): matching findings leave findings.csv, counted in
    /// summary.json.
    #[arg(long)]
    pub exceptions: Option<PathBuf>,
    /// findings.csv keeps only findings at or above this severity.
    #[arg(long, value_enum)]
    pub min_severity: Option<Severity>,
    /// Exit 1 (after writing every file) when a finding at or above this severity remains.
    #[arg(long, value_enum)]
    pub fail_on: Option<Severity>,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let exceptions = match &a.exceptions {
        Some(p) => Some(findings::exceptions::load(p)?),
        None => None,
    };
    let t = load_input(&a.input, g)?;
    let r = Resolver::new(&t);
    let access_path = a.out.join("access.csv");
    let mut out = Output::create(Some(&access_path))?;
    let pb = progress::bar(
        g,
        (t.users.len() + t.applications.len() + t.gateways.len()) as u64,
        "resolving",
    );
    let stats = write_access(&r, RowFormat::Csv, &mut out, &|done, _| {
        pb.set_position(done)
    })?;
    pb.finish_and_clear();
    out.finish()?;
    let cfg = a.judgement.config(&t, g.quiet);
    // One attack-path search serves both the privilege-escalation rule and escalation.csv.
    let graph = AttackGraph::build(&r);
    let esc = Escalations::compute(&graph);
    let mut found =
        findings::run_with_attack(&r, &cfg, &findings::registry(), Some((&graph, &esc)));
    if let Some(min) = a.min_severity {
        found.retain(|f| f.severity.at_least(min));
    }
    let mut applied = findings::exceptions::Applied::default();
    if let Some(ex) = &exceptions {
        applied = findings::exceptions::apply(&mut found, ex, cfg.as_of);
        for l in applied.notes() {
            if !g.quiet || !l.ends_with("suppressed by exceptions") {
                eprintln!("note: {l}");
            }
        }
    }
    let findings_path = a.out.join("findings.csv");
    crate::report::output::write_file(&findings_path, &crate::report::findings::to_csv(&found))?;
    let escalation_path = a.out.join("escalation.csv");
    let mut out = Output::create(Some(&escalation_path))?;
    let esc_rows = write_rows(
        &graph,
        super::escalation::rows(&esc),
        PathFormat::Csv,
        &mut out,
    )?;
    out.finish()?;
    let tier_zero = tier_zero_actors(&graph, &esc);
    let s = summarize(&r);

    // summary.json: provenance and counts.
    let mut by_severity = BTreeMap::new();
    let mut by_rule = BTreeMap::new();
    for f in &found {
        *by_severity
            .entry(f.severity.as_str().to_string())
            .or_insert(0usize) += 1;
        *by_rule.entry(f.rule.to_string()).or_insert(0usize) += 1;
    }
    let summary_path = a.out.join("summary.json");
    let record = RunRecord {
        tool: "p1graph",
        tool_version: env!("CARGO_PKG_VERSION"),
        access_model_version: crate::model::ACCESS_MODEL_VERSION,
        input: InputRecord {
            path: a.input.display().to_string(),
            kind: if a.input.is_dir() {
                "export"
            } else {
                "snapshot"
            },
            sha256: crate::input::digest(&a.input)?,
        },
        organization_id: t.s(t.organization.id).to_string(),
        organization: t.s(t.organization.name).to_string(),
        captured_at: t
            .manifest
            .captured_at
            .map_or(String::new(), |c| c.to_rfc3339()),
        as_of: cfg.as_of.to_rfc3339(),
        thresholds: Thresholds {
            dormant_days: cfg.dormant_days,
            usage_days: cfg.usage_days,
            min_severity: a.min_severity.map(|x| x.as_str().to_string()),
            fail_on: a.fail_on.map(|x| x.as_str().to_string()),
        },
        coverage_gaps: s.not_collected.clone(),
        exceptions: match &a.exceptions {
            Some(p) => Some(ExceptionsRecord {
                path: p.display().to_string(),
                sha256: crate::input::digest(p)?,
                suppressed: applied.suppressed,
                expired: applied.expired.len(),
                stale: applied.stale.len(),
            }),
            None => None,
        },
        counts: Counts {
            identities: stats.identities,
            access_rows: stats.rows,
            findings: found.len(),
            findings_by_severity: by_severity,
            findings_by_rule: by_rule,
            escalation_rows: esc_rows,
            tier_zero_reachable: tier_zero,
        },
        summary: s.clone(),
        outputs: vec![
            "access.csv".into(),
            "findings.csv".into(),
            "escalation.csv".into(),
            "summary.json".into(),
        ],
    };
    crate::report::output::write_file(
        &summary_path,
        &crate::report::json::pretty_named(&record, "summary.json")?,
    )?;

    // What a person reads: the worst findings first, then where everything is, then numbers.
    let mut text = String::new();
    let ranked = rank::ranked(&t, &found);
    let fired = rank::rules_fired(&found);
    if ranked.is_empty() {
        text.push_str("no findings\n");
    } else {
        let _ = writeln!(
            text,
            "top findings ({} of {}; {} rule(s) fired):",
            ranked.len().min(TOP),
            ranked.len(),
            fired.len()
        );
        for f in ranked.iter().take(TOP) {
            let who = if f.identity_name.is_empty() {
                &f.identity_id
            } else {
                &f.identity_name
            };
            let what = if f.entitlement_name.is_empty() {
                &f.entitlement_id
            } else {
                &f.entitlement_name
            };
            let _ = writeln!(
                text,
                "  {:<8} {:<24} {}{}{}",
                f.severity.as_str(),
                f.rule,
                who,
                if who.is_empty() || what.is_empty() {
                    ""
                } else {
                    ": "
                },
                what
            );
        }
    }
    text.push('\n');
    let _ = writeln!(
        text,
        "access:     {} ({} rows)",
        access_path.display(),
        stats.rows
    );
    let mut per_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    for f in &found {
        *per_severity.entry(f.severity).or_default() += 1;
    }
    let counts: Vec<String> = per_severity
        .iter()
        .map(|(k, v)| format!("{v} {}", k.as_str()))
        .collect();
    let _ = writeln!(
        text,
        "findings:   {} ({} finding(s){})",
        findings_path.display(),
        found.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(": {}", counts.join(", "))
        }
    );
    let _ = writeln!(
        text,
        "escalation: {} ({esc_rows} row(s); {tier_zero} identit{} can reach Organization or Environment Admin)",
        escalation_path.display(),
        if tier_zero == 1 { "y" } else { "ies" }
    );
    let _ = writeln!(
        text,
        "summary:    {} (provenance: input SHA-256, versions, thresholds, coverage, counts)",
        summary_path.display()
    );
    let input = shell_word(&a.input.display().to_string());
    text.push_str("\nnext:\n");
    let _ = writeln!(
        text,
        "  p1graph findings --input {input}            every rule that fired, worst first"
    );
    if let Some(worst) = ranked.iter().find(|f| !f.identity_id.is_empty()) {
        let who = if worst.identity_name.is_empty() {
            &worst.identity_id
        } else {
            &worst.identity_name
        };
        let _ = writeln!(
            text,
            "  p1graph explain --input {input} --identity {}   why the worst finding holds",
            shell_word(who)
        );
    }
    let _ = writeln!(
        text,
        "  p1graph who-can --input {input} --role 'Organization Admin'   who holds or can obtain it"
    );
    let _ = writeln!(text, "\n{s}");
    let mut stdout = Output::create(None)?;
    stdout.write_all(text.as_bytes())?;
    stdout.finish()?;
    if let Some(th) = a.fail_on {
        let failing: Vec<&findings::Finding> =
            found.iter().filter(|f| f.severity.at_least(th)).collect();
        if !failing.is_empty() {
            eprintln!("{}", super::findings::fail_on_reason(th, &failing));
            return Ok(1);
        }
    }
    Ok(0)
}

/// Findings shown on the terminal before everything else.
const TOP: usize = 5;

/// `word` quoted for a POSIX shell when it needs to be.
pub fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// How many actors gain the built-in Organization Admin or Environment Admin somewhere.
fn tier_zero_actors(g: &AttackGraph, esc: &Escalations) -> usize {
    let t = g.t;
    let mut n = 0;
    let mut last = None;
    for e in esc.rows() {
        if last == Some(e.actor) {
            continue;
        }
        if t.is_tier_zero_role(g.privilege(e.privilege).role) {
            n += 1;
            last = Some(e.actor);
        }
    }
    n
}
