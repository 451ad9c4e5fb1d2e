//! Where reports go: a file written atomically, or standard output.
//!
//! A file is written to a temporary file in the destination's directory and renamed over the
//! destination only by [`Output::finish`]; an error or an interrupt before that leaves the old
//! file (or nothing) in place, never half a report.
//!
//! How far a finished file is guaranteed depends on what it holds ([`Durability`]): a report
//! derived from a snapshot is renamed into place without waiting for the disk (it can always be
//! written again, and the wait would be a third of an export's time); a record that cannot be
//! derived again (a campaign's state, review evidence) is synced before the rename.

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
    #[error("cannot serialize {what}")]
    Serialize {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

/// What a finished file survives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Renamed into place whole, without waiting for the disk: no reader, no error and no
    /// interrupt ever sees part of it, but a power cut in the seconds after the command may lose
    /// it (the operating system has not written it yet), as with `cp` or DuckDB's `COPY`. For
    /// reports derived from a snapshot: running the command again writes them again.
    Atomic,
    /// Synced to disk before the rename, and the directory after it: the file survives a power
    /// cut once the command has returned. For records that cannot be derived again.
    Durable,
}

enum Sink {
    File {
        tmp: tempfile::NamedTempFile,
        dest: PathBuf,
        /// Removes the temporary on Ctrl-C (see [`crate::cleanup`]).
        _reg: crate::cleanup::Registration,
        /// `Some` for a [`Durability::Durable`] file.
        writeback: Option<Writeback>,
    },
    Stdout,
    /// An existing destination that is not a regular file (`/dev/null`, a FIFO, a terminal):
    /// written in place. Replacing it by a rename would put a regular file where the device or
    /// pipe was (as root, `-o /dev/null` would replace the system's `/dev/null`).
    Device {
        dest: PathBuf,
    },
}

/// Bytes written between two early writebacks.
const WRITEBACK_EVERY: u64 = 32 << 20;

/// Early writeback of a large [`Durability::Durable`] output: a thread syncs the temporary's data
/// every [`WRITEBACK_EVERY`] bytes while the rest is still being computed, so the sync that must
/// precede the rename (a replace survives a power cut only for data already on disk) finds little
/// left to write. The disk works while the cores format, instead of after them.
struct Writeback {
    /// Handed to the thread when it starts.
    file: Option<std::fs::File>,
    tx: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
    since: u64,
}

impl Writeback {
    fn new(file: std::fs::File) -> Writeback {
        Writeback {
            file: Some(file),
            tx: None,
            thread: None,
            since: 0,
        }
    }

    /// Counts `n` bytes written; past the threshold, asks the thread (started on first use) to
    /// sync. A request while one is pending is dropped: that sync will cover these bytes too.
    fn wrote(&mut self, n: usize) {
        self.since += n as u64;
        if self.since < WRITEBACK_EVERY {
            return;
        }
        self.since = 0;
        if let Some(file) = self.file.take() {
            let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
            self.thread = Some(std::thread::spawn(move || {
                for () in rx {
                    file.sync_data()?;
                }
                Ok(())
            }));
            self.tx = Some(tx);
        }
        if let Some(tx) = &self.tx {
            let _ = tx.try_send(());
        }
    }

    /// Stops the thread; its first error, if any.
    fn stop(&mut self) -> io::Result<()> {
        self.tx = None;
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(io::Error::other("the writeback thread failed")),
            None => Ok(()),
        }
    }
}

/// A report destination.
pub struct Output {
    sink: Sink,
    buf: BufWriter<Box<dyn Write + Send>>,
    /// Directories created for this output: removed (while empty) when it is not finished.
    created_dirs: Vec<PathBuf>,
    _dir_regs: Vec<crate::cleanup::Registration>,
    finished: bool,
}

impl Drop for Output {
    fn drop(&mut self) {
        if !self.finished {
            // Never leave an empty output folder behind a failed run.
            if let Sink::File { tmp, .. } = &self.sink {
                let _ = std::fs::remove_file(tmp.path());
            }
            crate::cleanup::remove_empty_dirs(&self.created_dirs);
        }
    }
}

impl Output {
    /// `Some(path)`: a derived report, written atomically ([`Durability::Atomic`]); `None`:
    /// standard output.
    pub fn create(path: Option<&Path>) -> Result<Output, OutputError> {
        Self::create_with(path, Durability::Atomic)
    }

    /// `Some(path)`: a file written with `durability`; `None`: standard output.
    pub fn create_with(path: Option<&Path>, durability: Durability) -> Result<Output, OutputError> {
        match path {
            None => Ok(Output {
                sink: Sink::Stdout,
                buf: BufWriter::with_capacity(1 << 20, Box::new(io::stdout())),
                created_dirs: Vec::new(),
                _dir_regs: Vec::new(),
                finished: false,
            }),
            Some(dest) if std::fs::metadata(dest).is_ok_and(|m| !m.is_file() && !m.is_dir()) => {
                let file =
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open(dest)
                        .map_err(|source| OutputError::Io {
                            path: dest.to_path_buf(),
                            source,
                        })?;
                Ok(Output {
                    sink: Sink::Device {
                        dest: dest.to_path_buf(),
                    },
                    buf: BufWriter::with_capacity(1 << 20, Box::new(file)),
                    created_dirs: Vec::new(),
                    _dir_regs: Vec::new(),
                    finished: false,
                })
            }
            Some(dest) => {
                let dir = dest
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let err = |source| OutputError::Io {
                    path: dest.to_path_buf(),
                    source,
                };
                let (created_dirs, dir_regs) = crate::cleanup::create_dirs(dir).map_err(err)?;
                // The temporary's name says which output it belongs to.
                let name = dest
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let tmp = tempfile::Builder::new()
                    .prefix(&format!(".{name}.p1graph-"))
                    .suffix(".tmp")
                    .tempfile_in(dir)
                    .map_err(|e| {
                        crate::cleanup::remove_empty_dirs(&created_dirs);
                        err(e)
                    })?;
                let reg = crate::cleanup::temporary(tmp.path());
                let file = tmp.reopen().map_err(err)?;
                let writeback = match durability {
                    Durability::Atomic => None,
                    Durability::Durable => {
                        Some(Writeback::new(tmp.as_file().try_clone().map_err(err)?))
                    }
                };
                Ok(Output {
                    sink: Sink::File {
                        tmp,
                        dest: dest.to_path_buf(),
                        _reg: reg,
                        writeback,
                    },
                    buf: BufWriter::with_capacity(1 << 20, Box::new(file)),
                    created_dirs,
                    _dir_regs: dir_regs,
                    finished: false,
                })
            }
        }
    }

    /// The destination's name for messages.
    pub fn name(&self) -> String {
        match &self.sink {
            Sink::File { dest, .. } | Sink::Device { dest } => dest.display().to_string(),
            Sink::Stdout => "standard output".into(),
        }
    }

    fn err(&self, source: io::Error) -> OutputError {
        match &self.sink {
            Sink::File { dest, .. } | Sink::Device { dest } => OutputError::Io {
                path: dest.clone(),
                source,
            },
            Sink::Stdout => OutputError::Stdout(source),
        }
    }

    /// Writes `bytes`. A large slice (a formatted chunk of rows, about 1 MB) goes straight to
    /// the destination after what is buffered: `BufWriter` would copy any slice shorter than
    /// its 1 MiB buffer first, 2.7% of an access export's CPU time at 200,000 users.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), OutputError> {
        const DIRECT: usize = 64 << 10;
        let written = if bytes.len() >= DIRECT {
            let flushed = if self.buf.buffer().is_empty() {
                Ok(())
            } else {
                self.buf.flush()
            };
            flushed.and_then(|()| self.buf.get_mut().write_all(bytes))
        } else {
            self.buf.write_all(bytes)
        };
        written.map_err(|e| self.err(e))?;
        if let Sink::File {
            writeback: Some(writeback),
            ..
        } = &mut self.sink
        {
            writeback.wrote(bytes.len());
        }
        Ok(())
    }

    /// Flushes, and for a file renames it into place (synced first, and its directory after,
    /// when it is [`Durability::Durable`]).
    pub fn finish(mut self) -> Result<(), OutputError> {
        self.buf.flush().map_err(|e| self.err(e))?;
        // `persist` takes the temporary by value: move the sink out.
        let result = match std::mem::replace(&mut self.sink, Sink::Stdout) {
            Sink::Stdout | Sink::Device { .. } => Ok(()),
            Sink::File {
                tmp,
                dest,
                _reg,
                writeback,
            } => {
                let err = |source| OutputError::Io {
                    path: dest.clone(),
                    source,
                };
                let durable = writeback.is_some();
                let synced = match writeback {
                    Some(mut w) => w.stop().and_then(|()| tmp.as_file().sync_all()),
                    None => Ok(()),
                };
                synced
                    .and_then(|()| replace(tmp, &dest, durable))
                    .map_err(err)
                    .map(|()| {
                        if durable {
                            sync_dir(&dest);
                        }
                    })
            }
        };
        self.finished = result.is_ok();
        result
    }
}

/// Puts the finished temporary `tmp` at `dest`, atomically: a reader of `dest` sees the old
/// file or the new one, whole.
///
/// A derived report on Linux replacing a regular file is *exchanged* with it
/// (`renameat2(RENAME_EXCHANGE)`), then the temporary name, now holding the old file, is
/// removed. Why not a plain rename over `dest`: ext4 (`auto_da_alloc`, on by default) treats a
/// rename over an existing file as a request to start writing the new file out, inside the
/// rename call. Measured here for a 193 MB access export: the rename took 0.13-0.36 s; the
/// exchange takes under a millisecond and removing the old file 0.08-0.13 s. A derived report
/// is not synced anyway ([`Durability::Atomic`]); the kernel writes it back as any other file.
/// A durable output is synced first, so it keeps the plain rename; so do a new destination,
/// one that is not a regular file, and a file system without the exchange.
fn replace(tmp: tempfile::NamedTempFile, dest: &Path, durable: bool) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    if !durable
        && std::fs::symlink_metadata(dest).is_ok_and(|m| m.file_type().is_file())
        && rustix::fs::renameat_with(
            rustix::fs::CWD,
            tmp.path(),
            rustix::fs::CWD,
            dest,
            rustix::fs::RenameFlags::EXCHANGE,
        )
        .is_ok()
    {
        // `tmp`'s name now holds the old file: removing it is what the rename would have done.
        return tmp.close();
    }
    let _ = durable;
    tmp.persist(dest).map(|_| ()).map_err(|e| e.error)
}

/// Makes a rename in `file`'s directory durable. Best effort: some file systems cannot open a
/// directory for syncing, and the file itself is already synced.
fn sync_dir(file: &Path) {
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes the derived report `bytes` to `path` atomically ([`Durability::Atomic`]).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    write_file_with(path, bytes, Durability::Atomic)
}

/// Writes `bytes` to `path` atomically, with `durability`.
pub fn write_file_with(
    path: &Path,
    bytes: &[u8],
    durability: Durability,
) -> Result<(), OutputError> {
    let mut o = Output::create_with(Some(path), durability)?;
    o.write_all(bytes)?;
    o.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replacing keeps rename's meaning whichever way it is done: the name gets the new file,
    /// other hard links keep the old one, a symbolic link is replaced (not followed), a
    /// directory is refused, and no temporary is left behind.
    #[test]
    fn replacing_behaves_as_a_rename() {
        let dir = tempfile::tempdir().unwrap();
        let names = |d: &Path| {
            let mut v: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let write = |dest: &Path, text: &[u8], durability| {
            let mut o = Output::create_with(Some(dest), durability)?;
            o.write_all(text)?;
            o.finish()
        };
        let dest = dir.path().join("a.csv");
        let other = dir.path().join("other");
        std::fs::write(&dest, b"old").unwrap();
        std::fs::hard_link(&dest, &other).unwrap();
        for (round, durability) in [Durability::Atomic, Durability::Durable]
            .into_iter()
            .enumerate()
        {
            let text = format!("new {round}");
            write(&dest, text.as_bytes(), durability).unwrap();
            assert_eq!(std::fs::read(&dest).unwrap(), text.as_bytes());
            assert_eq!(std::fs::read(&other).unwrap(), b"old");
            assert_eq!(names(dir.path()), ["a.csv", "other"]);
        }
        // A symbolic link is replaced by the file; its target is untouched.
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&other, &link).unwrap();
            write(&link, b"via link", Durability::Atomic).unwrap();
            assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
            assert_eq!(std::fs::read(&link).unwrap(), b"via link");
            assert_eq!(std::fs::read(&other).unwrap(), b"old");
        }
        // A directory in the way is an error, and stays as it was.
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("keep"), b"k").unwrap();
        assert!(write(&sub, b"x", Durability::Atomic).is_err());
        assert_eq!(names(&sub), ["keep"]);
        assert!(names(dir.path()).iter().all(|n| !n.ends_with(".tmp")));
    }

    /// A destination that exists and is not a regular file is written in place: `-o /dev/null`
    /// must leave `/dev/null` a device (as root, a rename over it replaced the system's).
    #[cfg(unix)]
    #[test]
    fn a_device_is_written_in_place_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let null = Path::new("/dev/null");
        let mut o = Output::create(Some(null)).unwrap();
        o.write_all(&[b'x'; 100 << 10]).unwrap();
        assert_eq!(o.name(), "/dev/null");
        o.finish().unwrap();
        assert!(
            std::fs::metadata(null)
                .unwrap()
                .file_type()
                .is_char_device()
        );
        assert!(
            !std::fs::read_dir("/dev").unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".p1graph-")),
            "no temporary beside the device"
        );
    }

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

    /// Past the writeback threshold a durable output's thread syncs the temporary while writing
    /// goes on; the file is whole and in place after `finish`, and an abandoned one is still
    /// removed. A derived report has no such thread.
    #[test]
    fn a_large_output_is_whole_with_early_writeback() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("big.csv");
        let block: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
        let blocks = (WRITEBACK_EVERY as usize / block.len()) * 2 + 3;
        let mut o = Output::create_with(Some(&dest), Durability::Durable).unwrap();
        for _ in 0..blocks {
            o.write_all(&block).unwrap();
        }
        match &o.sink {
            Sink::File { writeback, .. } => assert!(
                writeback.as_ref().is_some_and(|w| w.thread.is_some()),
                "started"
            ),
            Sink::Stdout | Sink::Device { .. } => unreachable!(),
        }
        let mut derived = Output::create(Some(&dir.path().join("derived.csv"))).unwrap();
        for _ in 0..blocks {
            derived.write_all(&block).unwrap();
        }
        match &derived.sink {
            Sink::File { writeback, .. } => assert!(writeback.is_none(), "no sync thread"),
            Sink::Stdout | Sink::Device { .. } => unreachable!(),
        }
        derived.finish().unwrap();
        assert_eq!(
            std::fs::metadata(dir.path().join("derived.csv"))
                .unwrap()
                .len(),
            (blocks * block.len()) as u64
        );
        std::fs::remove_file(dir.path().join("derived.csv")).unwrap();
        assert!(!dest.exists());
        o.finish().unwrap();
        let got = std::fs::read(&dest).unwrap();
        assert_eq!(got.len(), blocks * block.len());
        assert!(got.chunks(block.len()).all(|c| c == block.as_slice()));

        let mut o = Output::create(Some(&dir.path().join("gone.csv"))).unwrap();
        for _ in 0..blocks {
            o.write_all(&block).unwrap();
        }
        drop(o);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(
            names.len(),
            1,
            "only big.csv: the abandoned temporary is gone"
        );
    }

    #[test]
    fn an_unfinished_output_leaves_no_empty_folder() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("report/sub/a.csv");
        let mut o = Output::create(Some(&dest)).unwrap();
        o.write_all(b"half").unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path().join("report/sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.len() == 1 && names[0].starts_with(".a.csv.p1graph-"),
            "the temporary names its output: {names:?}"
        );
        drop(o);
        assert!(!dir.path().join("report").exists());
    }
}
