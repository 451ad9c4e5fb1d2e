//! The crate's top-level error: one variant per pipeline stage, each wrapping that stage's own
//! error type. `main` renders it once (the cause chain, then a help line) and maps it to an exit
//! code: 2 for every error (1 is reserved for "a result the caller asked to fail on").

use std::error::Error as _;
use std::io;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Read(#[from] crate::export::ReadError),
    #[error(transparent)]
    Write(#[from] crate::export::WriteError),
    #[error(transparent)]
    Output(#[from] crate::report::OutputError),
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    #[error(transparent)]
    Query(#[from] crate::resolve::QueryError),
    #[error(transparent)]
    Exceptions(#[from] crate::findings::exceptions::ExceptionsError),
    #[cfg(feature = "synth")]
    #[error(transparent)]
    Synth(#[from] crate::synth::SynthError),
    #[cfg(feature = "ingest")]
    #[error(transparent)]
    Ingest(#[from] crate::pingone::error::IngestError),
    #[error(transparent)]
    Snapshot(#[from] crate::snapshot::SnapshotError),
    #[error(transparent)]
    Review(#[from] crate::review::ReviewError),
    #[error(transparent)]
    Previous(#[from] crate::usage::PreviousError),
    #[error(transparent)]
    Diff(#[from] crate::diff::DiffError),
    #[error(transparent)]
    DiffOutput(#[from] crate::report::diff::DiffOutputError),
    #[error(transparent)]
    Parquet(#[from] crate::report::parquet::ParquetError),
    #[error(transparent)]
    OpenGraph(#[from] crate::report::opengraph::OpenGraphError),
    /// A failure after a live collection: the collected export was kept, and the message says
    /// where, so that hours of collection are never thrown away.
    #[error("{inner}")]
    Kept {
        inner: Box<Error>,
        path: std::path::PathBuf,
    },
    /// Invalid combination of arguments that clap cannot express.
    #[error("{message}")]
    Usage {
        message: String,
        help: Option<String>,
    },
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            help: None,
        }
    }

    /// The exit code for this error.
    pub fn exit_code(&self) -> u8 {
        2
    }

    /// True when the error is only a closed stdout (`| head`).
    pub fn is_broken_pipe(&self) -> bool {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = cur {
            if let Some(io) = e.downcast_ref::<io::Error>()
                && io.kind() == io::ErrorKind::BrokenPipe
            {
                return true;
            }
            cur = e.source();
        }
        false
    }

    /// `error: ...` with the cause chain, then `help: ...` when there is advice.
    pub fn render(&self) -> String {
        let mut out = format!("error: {self}");
        let mut cur = match self {
            Error::Kept { inner, .. } => inner.source(),
            _ => self.source(),
        };
        while let Some(e) = cur {
            let msg = e.to_string();
            if !out.ends_with(&msg) {
                out.push_str(&format!("\n  caused by: {msg}"));
            }
            cur = e.source();
        }
        if let Some(help) = self.help() {
            out.push_str(&format!("\nhelp: {help}"));
        }
        out
    }

    fn help(&self) -> Option<String> {
        match self {
            Error::Usage { help, .. } => help.clone(),
            Error::Read(e) => e.help(),
            Error::Input(e) => e.help(),
            #[cfg(feature = "ingest")]
            Error::Ingest(e) => e.help(),
            Error::Snapshot(e) => e.help(),
            Error::Review(e) => e.help(),
            Error::Previous(e) => e.help(),
            Error::Exceptions(e) => e.help(),
            Error::Query(e) => e.help(),
            Error::Kept { inner, path } => Some(format!(
                "the collected export is kept in `{}`; once the cause is fixed, `p1graph snapshot create --input {}` makes the snapshot without collecting again{}",
                path.display(),
                path.display(),
                inner
                    .help()
                    .map_or(String::new(), |h| format!("\nhelp: {h}"))
            )),
            _ => None,
        }
    }
}
