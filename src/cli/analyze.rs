//! `p1graph analyze`: the main job. Reads an organization, writes `access.csv`, `findings.csv`
//! and `escalation.csv` into a report directory and prints a short summary for a person.

use std::path::PathBuf;

use super::{Globals, load_input, progress};
use crate::Error;
use crate::graph::attack::{AttackGraph, Escalations};
use crate::report::Output;
use crate::report::access::{RowFormat, write_access};
use crate::report::escalation::{PathFormat, write_rows};
use crate::report::summary::summarize;
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
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
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
    let found = crate::findings::run_with_attack(
        &r,
        &cfg,
        &crate::findings::registry(),
        Some((&graph, &esc)),
    );
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
    // One write through `Output`: a closed pipe ends the run quietly instead of panicking.
    let mut text = format!("{s}\n");
    let mut by_sev = std::collections::BTreeMap::new();
    for f in &found {
        *by_sev.entry(f.severity).or_insert(0usize) += 1;
    }
    let counts: Vec<String> = by_sev
        .iter()
        .map(|(k, v)| format!("{v} {}", k.as_str()))
        .collect();
    text.push_str(&format!(
        "access:   {} ({} rows)\n",
        access_path.display(),
        stats.rows
    ));
    text.push_str(&format!(
        "findings: {} ({} finding(s){})\n",
        findings_path.display(),
        found.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(": {}", counts.join(", "))
        }
    ));
    text.push_str(&format!(
        "escalation: {} ({esc_rows} row(s); {tier_zero} identit{} can reach Organization or Environment Admin)\n",
        escalation_path.display(),
        if tier_zero == 1 { "y" } else { "ies" }
    ));
    let mut stdout = Output::create(None)?;
    stdout.write_all(text.as_bytes())?;
    stdout.finish()?;
    Ok(0)
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
