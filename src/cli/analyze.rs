//! `p1graph analyze`: the main job. Reads an organization, writes `access.csv` and
//! `findings.csv` into a report directory and prints a short summary for a person.

use std::path::PathBuf;

use super::{Globals, load_input, progress};
use crate::Error;
use crate::report::Output;
use crate::report::access::{RowFormat, write_access};
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
    let cfg = crate::findings::Config::for_tenant(&t);
    let found = crate::findings::run(&r, &cfg, &crate::findings::registry());
    let findings_path = a.out.join("findings.csv");
    crate::report::output::write_file(&findings_path, &crate::report::findings::to_csv(&found))?;
    let s = summarize(&r);
    println!("{s}");
    let mut by_sev = std::collections::BTreeMap::new();
    for f in &found {
        *by_sev.entry(f.severity).or_insert(0usize) += 1;
    }
    let counts: Vec<String> = by_sev
        .iter()
        .map(|(k, v)| format!("{v} {}", k.as_str()))
        .collect();
    println!("access:   {} ({} rows)", access_path.display(), stats.rows);
    println!(
        "findings: {} ({} finding(s){})",
        findings_path.display(),
        found.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(": {}", counts.join(", "))
        }
    );
    Ok(0)
}
