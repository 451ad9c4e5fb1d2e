//! Where reports go: a file written atomically, or standard output.
//!
//! A file is written to a temporary file in the destination's directory and renamed over the
//! destination only by [`Output::finish`]; an error or an interrupt before that leaves the old
//! file (or nothing) in place, never half a report.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Errors writing a report.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write to standard output")]
    Stdout(#[source] io::Error),
}

enum Sink {
    File {
        tmp: tempfile::NamedTempFile,
        dest: PathBuf,
    },
    Stdout,
}

/// A report destination.
pub struct Output {
    sink: Sink,
    buf: BufWriter<Box<dyn Write + Send>>,
}

impl Output {
    /// `Some(path)`: a file, atomically; `None`: standard output.
    pub fn create(path: Option<&Path>) -> Result<Output, OutputError> {
        match path {
            None => Ok(Output {
                sink: Sink::Stdout,
                buf: BufWriter::with_capacity(1 << 20, Box::new(io::stdout())),
            }),
            Some(dest) => {
                let dir = dest
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let err = |source| OutputError::Io {
                    path: dest.to_path_buf(),
                    source,
                };
                std::fs::create_dir_all(dir).map_err(err)?;
                let tmp = tempfile::Builder::new()
                    .prefix(".p1graph-")
                    .suffix(".tmp")
                    .tempfile_in(dir)
                    .map_err(err)?;
                let file = tmp.reopen().map_err(err)?;
                Ok(Output {
                    sink: Sink::File {
                        tmp,
                        dest: dest.to_path_buf(),
                    },
                    buf: BufWriter::with_capacity(1 << 20, Box::new(file)),
                })
            }
        }
    }

    /// The destination's name for messages.
    pub fn name(&self) -> String {
        match &self.sink {
            Sink::File { dest, .. } => dest.display().to_string(),
            Sink::Stdout => "standard output".into(),
        }
    }

    fn err(&self, source: io::Error) -> OutputError {
        match &self.sink {
            Sink::File { dest, .. } => OutputError::Io {
                path: dest.clone(),
                source,
            },
            Sink::Stdout => OutputError::Stdout(source),
        }
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), OutputError> {
        self.buf.write_all(bytes).map_err(|e| self.err(e))
    }

    /// Flushes, and for a file syncs and renames it into place.
    pub fn finish(mut self) -> Result<(), OutputError> {
        self.buf.flush().map_err(|e| self.err(e))?;
        match self.sink {
            Sink::Stdout => Ok(()),
            Sink::File { tmp, dest } => {
                let err = |source| OutputError::Io {
                    path: dest.clone(),
                    source,
                };
                drop(self.buf);
                tmp.as_file().sync_all().map_err(err)?;
                tmp.persist(&dest).map_err(|e| err(e.error))?;
                Ok(())
            }
        }
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut o = Output::create(Some(path))?;
    o.write_all(bytes)?;
    o.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_appears_only_on_finish() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.csv");
        let mut o = Output::create(Some(&dest)).unwrap();
        o.write_all(b"x\n").unwrap();
        assert!(!dest.exists());
        o.finish().unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"x\n");
        let mut o = Output::create(Some(&dest)).unwrap();
        o.write_all(b"half").unwrap();
        drop(o);
        assert_eq!(
            std::fs::read(&dest).unwrap(),
            b"x\n",
            "an abandoned write leaves the old file"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }
}
