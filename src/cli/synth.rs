//! `p1graph synth`: write a generated tenant in the export format.

use std::path::PathBuf;

use super::{Globals, progress};
use crate::Error;
use crate::synth::{SynthOptions, generate};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of users.
    #[arg(long, default_value_t = 10_000)]
    pub users: u64,
    /// Seed: the same seed and options give byte-identical output.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of environments (the first is the Administrators environment).
    #[arg(long, default_value_t = 3)]
    pub environments: u32,
    /// The export directory to write.
    #[arg(long, short, default_value = "synth")]
    pub out: PathBuf,
    /// Write `.jsonl.zst` files.
    #[arg(long)]
    pub compress: bool,
    /// `standard` (about one group per ten users) or `group-heavy` (one group per two users,
    /// much more nesting, twice as many role-holding groups).
    #[arg(long, default_value = "standard", value_parser = parse_profile)]
    pub profile: crate::synth::SynthProfile,
}

fn parse_profile(s: &str) -> Result<crate::synth::SynthProfile, String> {
    crate::synth::SynthProfile::parse(s)
        .ok_or_else(|| format!("`{s}`: expected `standard` or `group-heavy`"))
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let opts = SynthOptions {
        users: a.users,
        seed: a.seed,
        environments: a.environments,
        compress: a.compress,
        profile: a.profile,
        ..Default::default()
    };
    let pb = progress::bar(g, a.users, "generating users");
    let started = std::time::Instant::now();
    let stats = generate(&opts, &a.out, &|phase, done, total| {
        pb.set_message(format!("generating {phase}"));
        pb.set_length(total);
        pb.set_position(done);
    })?;
    pb.finish_and_clear();
    if !g.quiet {
        eprintln!(
            "wrote {} in {:.1}s: {} users, {} groups, {} memberships, {} nestings, {} role assignments, {} applications, {} activities, {} MB on disk",
            a.out.display(),
            started.elapsed().as_secs_f64(),
            stats.users,
            stats.groups,
            stats.memberships,
            stats.nestings,
            stats.role_assignments,
            stats.applications,
            stats.activities,
            stats.disk_bytes / 1_000_000
        );
    }
    Ok(0)
}
