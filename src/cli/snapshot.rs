//! `p1graph snapshot create|info`: the compact binary form of an organization.

use std::path::PathBuf;

use super::{Globals, load_input};
use crate::Error;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Read an export directory (or a snapshot) and write a `.p1g` snapshot.
    Create(CreateArgs),
    /// Print a snapshot's header, counts, section sizes and checksum status.
    Info(InfoArgs),
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// An export directory (or a snapshot, to rewrite it).
    #[arg(long, short)]
    pub input: PathBuf,
    /// The snapshot to write (mode 0600, written atomically).
    #[arg(long, short)]
    pub out: PathBuf,
    /// An earlier snapshot whose usage ledger is carried forward into this one.
    #[arg(long)]
    pub previous: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// The snapshot file.
    pub file: PathBuf,
    #[arg(long, value_enum, default_value_t = super::TextFormat::Text)]
    pub format: super::TextFormat,
}

pub fn run(c: Command, g: &Globals) -> Result<u8, Error> {
    match c {
        Command::Create(a) => {
            let mut t = load_input(&a.input, g)?;
            if let Some(p) = &a.previous {
                let prev = crate::snapshot::load(p)?;
                crate::usage::check_previous(&t, t.captured_at(), &prev, p)?;
                crate::usage::carry_forward(&mut t, &prev.usage, |s| prev.strings.resolve(s));
            }
            let info = crate::snapshot::save(&t, &a.out)?;
            if !g.quiet {
                eprintln!("wrote {} ({} bytes)", a.out.display(), info.file_len);
            }
            Ok(0)
        }
        Command::Info(a) => {
            let info = crate::snapshot::info(&a.file)?;
            super::print_text_or_json(a.format, || info.to_string(), &info)?;
            Ok(0)
        }
    }
}
