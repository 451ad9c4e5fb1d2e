//! Minimal dispatcher for the `ingest` branch (the lead's main.rs replaces it on merge).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "p1graph", version)]
struct Cli {
    /// Print only errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// More log output on stderr (-v, -vv, -vvv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read a PingOne organization live into an export directory.
    Ingest(p1graph::cli::ingest::IngestArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        // Dependencies stay at `warn`: their traces could show request headers.
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
            "warn,p1graph={level}"
        )))
        .with_writer(std::io::stderr)
        .try_init();
    let result = match cli.command {
        Command::Ingest(args) => p1graph::cli::ingest::run(args, cli.quiet),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let mut msg = format!("error: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            eprintln!("{msg}");
            if let Some(h) = e.help() {
                eprintln!("help: {h}");
            }
            ExitCode::from(2)
        }
    }
}
