//! Writing the offline export directory, atomically.
//!
//! An [`ExportWriter`] writes into a hidden temporary directory beside the destination and renames
//! it into place only in [`ExportWriter::finish`]; dropping the writer (an error, Ctrl-C) removes
//! the temporary directory, so a reader never sees a half-written export. Files are plain JSON
//! Lines, or zstd-compressed when the writer is created with compression.
//!
//! [`ExportWriter::work_area`] is the resumable form used by the live ingest: a directory with a
//! stable name that survives a failure, plain files opened for appending, the byte length of
//! every file known at each consistent point ([`ExportWriter::flush_lengths`]), and on reopening
//! every file cut back to the length recorded then (a partial tail written after it is dropped).
//! Compression then happens once, at [`ExportWriter::finish`], so that a resumed export is
//! byte-identical to an uninterrupted one.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::manifest::ManifestFile;

/// Errors while writing an export directory.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{0}` already exists and is not an export directory; refusing to replace it")]
    NotAnExport(PathBuf),
    #[error("the work area `{path}` is damaged: {message}")]
    WorkArea { path: PathBuf, message: String },
    #[error("cannot serialize a record for `{path}`")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

enum Sink {
    Plain(BufWriter<File>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<File>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Zstd(w) => w.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(buf),
            Sink::Zstd(w) => w.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Zstd(w) => w.flush(),
        }
    }
}

impl Sink {
    fn sync_data(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.get_ref().sync_data(),
            Sink::Zstd(w) => w.get_ref().get_ref().sync_data(),
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Plain(mut w) => {
                w.flush()?;
                w.into_inner().map_err(|e| e.into_error())?.sync_all()
            }
            Sink::Zstd(w) => {
                let mut inner = w.finish()?;
                inner.flush()?;
                inner.into_inner().map_err(|e| e.into_error())?.sync_all()
            }
        }
    }
}

/// Writes one export directory. Collections are addressed by their path relative to the export
/// root without extension, e.g. `environments/<env>/users`.
pub struct ExportWriter {
    dest: PathBuf,
    tmp: PathBuf,
    compress: bool,
    files: HashMap<String, Sink>,
    finished: bool,
    /// Removes the temporary directory (and empty created parents) on Ctrl-C.
    _regs: (
        Option<crate::cleanup::Registration>,
        Vec<crate::cleanup::Registration>,
    ),
    /// Parent directories this writer created: removed (while empty) when it is not finished.
    created: Vec<PathBuf>,
    /// A work area: kept when the writer is dropped unfinished, files written plain and
    /// compressed at the end. `scratch` names files of the work area that are not part of the
    /// export (removed before the rename).
    work: Option<WorkArea>,
}

struct WorkArea {
    /// Bytes written so far per collection (every file of the work area).
    lens: BTreeMap<String, u64>,
    scratch: Vec<String>,
}

/// The collection of a `.jsonl` file below `root` (`environments/e1/users`), if it is one.
fn collection_of(root: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root).ok()?;
    let s = rel.to_str()?;
    let stem = s.strip_suffix(".jsonl")?;
    Some(stem.replace(std::path::MAIN_SEPARATOR, "/"))
}

/// Removes the empty folders below `dir` (not `dir` itself).
fn remove_empty_subdirs(dir: &Path) -> io::Result<()> {
    for e in fs::read_dir(dir)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            let p = e.path();
            remove_empty_subdirs(&p)?;
            if fs::read_dir(&p)?.next().is_none() {
                fs::remove_dir(&p)?;
            }
        }
    }
    Ok(())
}

fn walk_files(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for e in fs::read_dir(dir)? {
        let e = e?;
        let t = e.file_type()?;
        if t.is_dir() {
            walk_files(&e.path(), out)?;
        } else {
            out.push(e.path());
        }
    }
    Ok(())
}

impl ExportWriter {
    /// Starts an export that will land at `dest`. `compress` writes `.jsonl.zst` files.
    pub fn create(dest: &Path, compress: bool) -> Result<Self, WriteError> {
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let (created, dir_regs) =
            crate::cleanup::create_dirs(parent).map_err(|source| WriteError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export".into());
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if tmp.exists() {
            let _ = fs::remove_dir_all(&tmp);
        }
        fs::create_dir_all(&tmp).map_err(|source| WriteError::Io {
            path: tmp.clone(),
            source,
        })?;
        let reg = crate::cleanup::temporary(&tmp);
        Ok(ExportWriter {
            dest: dest.to_path_buf(),
            _regs: (Some(reg), dir_regs),
            created,
            tmp,
            compress,
            files: HashMap::new(),
            finished: false,
            work: None,
        })
    }

    /// Opens the work area `work` of an export that will land at `dest`. With `lengths` (from
    /// the last checkpoint) the work area is resumed: every file is cut back to its recorded
    /// length and files written after that checkpoint are removed; without, it starts empty.
    /// Nothing is removed when the writer is dropped unfinished. `scratch` names files of the
    /// work area that are not part of the export.
    pub fn work_area(
        dest: &Path,
        work: &Path,
        compress: bool,
        lengths: Option<&BTreeMap<String, u64>>,
        scratch: &[&str],
    ) -> Result<Self, WriteError> {
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| WriteError::Io { path, source }
        };
        let damaged = |message: String| WriteError::WorkArea {
            path: work.to_path_buf(),
            message,
        };
        let mut lens = BTreeMap::new();
        match lengths {
            None => {
                if work.exists() {
                    // Scratch files (a checkpoint) stay: the caller writes them.
                    let mut files = Vec::new();
                    walk_files(work, &mut files).map_err(io_err(work))?;
                    for f in files {
                        let name = f.strip_prefix(work).ok().and_then(Path::to_str);
                        if !name.is_some_and(|n| scratch.contains(&n)) {
                            fs::remove_file(&f).map_err(io_err(&f))?;
                        }
                    }
                }
                fs::create_dir_all(work).map_err(io_err(work))?;
            }
            Some(lengths) => {
                // Stopped while compressing at the end: plain files already removed come back
                // from their compressed copies (written whole before any plain file went).
                for c in lengths.keys() {
                    let plain = work.join(format!("{c}.jsonl"));
                    let zst = work.join(format!("{c}.jsonl.zst"));
                    if !plain.exists() && zst.is_file() {
                        let bytes = fs::File::open(&zst)
                            .and_then(zstd::decode_all)
                            .map_err(io_err(&zst))?;
                        fs::write(&plain, bytes).map_err(io_err(&plain))?;
                    }
                }
                let mut files = Vec::new();
                walk_files(work, &mut files).map_err(io_err(work))?;
                for f in files {
                    let name = f.strip_prefix(work).ok().and_then(Path::to_str);
                    if name.is_some_and(|n| scratch.contains(&n)) {
                        continue;
                    }
                    match collection_of(work, &f).and_then(|c| lengths.get(&c).map(|l| (c, *l))) {
                        Some((c, want)) => {
                            let file = fs::OpenOptions::new()
                                .write(true)
                                .open(&f)
                                .map_err(io_err(&f))?;
                            let have = file.metadata().map_err(io_err(&f))?.len();
                            if have < want {
                                return Err(damaged(format!(
                                    "`{c}` has {have} bytes, the checkpoint recorded {want}"
                                )));
                            }
                            if have > want {
                                file.set_len(want).map_err(io_err(&f))?;
                                file.sync_all().map_err(io_err(&f))?;
                            }
                        }
                        // Written after the last checkpoint (or not part of the export).
                        None => fs::remove_file(&f).map_err(io_err(&f))?,
                    }
                }
                for (c, l) in lengths {
                    if !work.join(format!("{c}.jsonl")).is_file() {
                        return Err(damaged(format!(
                            "`{c}.jsonl` is missing (the checkpoint recorded {l} bytes)"
                        )));
                    }
                    lens.insert(c.clone(), *l);
                }
            }
        }
        // Folders emptied above would otherwise land in the export (an empty environment
        // folder reads as an environment).
        remove_empty_subdirs(work).map_err(io_err(work))?;
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let (created, dir_regs) = crate::cleanup::create_dirs(parent).map_err(io_err(parent))?;
        Ok(ExportWriter {
            dest: dest.to_path_buf(),
            // Not registered as a temporary: an interrupted ingest keeps its work area.
            _regs: (None, dir_regs),
            created,
            tmp: work.to_path_buf(),
            compress,
            files: HashMap::new(),
            finished: false,
            work: Some(WorkArea {
                lens,
                scratch: scratch.iter().map(|s| s.to_string()).collect(),
            }),
        })
    }

    /// Work area: flushes every open file to the operating system and returns the byte length
    /// of every file of the export so far (a consistent point to record in a checkpoint).
    pub fn flush_lengths(&mut self) -> Result<BTreeMap<String, u64>, WriteError> {
        for (name, sink) in self.files.iter_mut() {
            sink.flush().map_err(|source| WriteError::Io {
                path: self.tmp.join(name),
                source,
            })?;
        }
        Ok(self
            .work
            .as_ref()
            .map(|w| w.lens.clone())
            .unwrap_or_default())
    }

    /// Flushes and fsyncs every open file: what [`Self::flush_lengths`] reported is durable.
    pub fn sync_all(&mut self) -> Result<(), WriteError> {
        for (name, sink) in self.files.iter_mut() {
            let path = self.tmp.join(name);
            sink.flush()
                .and_then(|_| sink.sync_data())
                .map_err(|source| WriteError::Io { path, source })?;
        }
        Ok(())
    }

    /// The temporary directory being written (for tests and progress messages).
    pub fn temp_dir(&self) -> &Path {
        &self.tmp
    }

    fn sink(&mut self, collection: &str) -> Result<&mut Sink, WriteError> {
        if !self.files.contains_key(collection) {
            let ext = if self.compress && self.work.is_none() {
                "jsonl.zst"
            } else {
                "jsonl"
            };
            let path = self.tmp.join(format!("{collection}.{ext}"));
            crate::cleanup::check().map_err(|source| WriteError::Io {
                path: path.clone(),
                source,
            })?;
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).map_err(|source| WriteError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            let io_err = |source| WriteError::Io {
                path: path.clone(),
                source,
            };
            let file = if self.work.is_some() {
                fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(io_err)?
            } else {
                File::create(&path).map_err(io_err)?
            };
            let f = BufWriter::with_capacity(1 << 16, file);
            if let Some(w) = &mut self.work {
                w.lens.entry(collection.to_string()).or_insert(0);
            }
            let sink = if self.compress && self.work.is_none() {
                Sink::Zstd(zstd::stream::write::Encoder::new(f, 3).map_err(io_err)?)
            } else {
                Sink::Plain(f)
            };
            self.files.insert(collection.to_string(), sink);
        }
        Ok(self.files.get_mut(collection).expect("inserted above"))
    }

    /// Declares a collection that was collected and is empty: the file exists with no lines
    /// (a missing file would mean "not collected").
    pub fn touch(&mut self, collection: &str) -> Result<(), WriteError> {
        self.sink(collection).map(|_| ())
    }

    /// Appends one record (serialized as one JSON line).
    pub fn write<T: Serialize + ?Sized>(
        &mut self,
        collection: &str,
        record: &T,
    ) -> Result<(), WriteError> {
        let line = serde_json::to_vec(record).map_err(|source| WriteError::Json {
            path: PathBuf::from(collection),
            source,
        })?;
        self.write_raw_line(collection, &line)
    }

    /// Appends one record already serialized as JSON (without the newline).
    pub fn write_raw_line(&mut self, collection: &str, json: &[u8]) -> Result<(), WriteError> {
        let tmp = self.tmp.clone();
        let sink = self.sink(collection)?;
        sink.write_all(json)
            .and_then(|_| sink.write_all(b"\n"))
            .map_err(|source| WriteError::Io {
                path: tmp.join(collection),
                source,
            })?;
        if let Some(w) = &mut self.work
            && let Some(l) = w.lens.get_mut(collection)
        {
            *l += json.len() as u64 + 1;
        }
        Ok(())
    }

    /// `{"parent":{"type":T,"id":ID},"item":ITEM}` as one JSON line (without the newline), as
    /// [`Self::write_child`] writes it.
    pub fn child_line<T: Serialize + ?Sized>(
        collection: &str,
        parent_type: &str,
        parent_id: &str,
        item: &T,
    ) -> Result<Vec<u8>, WriteError> {
        #[derive(Serialize)]
        struct Parent<'a> {
            #[serde(rename = "type")]
            kind: &'a str,
            id: &'a str,
        }
        #[derive(Serialize)]
        struct Wrapped<'a, T: ?Sized> {
            parent: Parent<'a>,
            item: &'a T,
        }
        serde_json::to_vec(&Wrapped {
            parent: Parent {
                kind: parent_type,
                id: parent_id,
            },
            item,
        })
        .map_err(|source| WriteError::Json {
            path: PathBuf::from(collection),
            source,
        })
    }

    /// Appends a wrapped record `{"parent":{"type":T,"id":ID},"item":ITEM}`.
    pub fn write_child<T: Serialize + ?Sized>(
        &mut self,
        collection: &str,
        parent_type: &str,
        parent_id: &str,
        item: &T,
    ) -> Result<(), WriteError> {
        let line = Self::child_line(collection, parent_type, parent_id, item)?;
        self.write_raw_line(collection, &line)
    }

    /// Writes the manifest, flushes and fsyncs every file, and renames the directory into place
    /// (replacing an earlier export at `dest`, never anything else).
    pub fn finish(mut self, manifest: &ManifestFile) -> Result<PathBuf, WriteError> {
        for (name, sink) in self.files.drain() {
            let path = self.tmp.join(&name);
            sink.finish()
                .map_err(|source| WriteError::Io { path, source })?;
        }
        if let Some(w) = &self.work
            && self.compress
        {
            // Every file compressed before any plain one goes: a work area stopped in between
            // is restored from the compressed copies when reopened.
            for c in w.lens.keys() {
                compress_file(&self.tmp.join(format!("{c}.jsonl")))?;
            }
            for c in w.lens.keys() {
                let plain = self.tmp.join(format!("{c}.jsonl"));
                fs::remove_file(&plain).map_err(|source| WriteError::Io {
                    path: plain,
                    source,
                })?;
            }
        }
        let mpath = self.tmp.join("manifest.json");
        let mut body = serde_json::to_vec_pretty(manifest).map_err(|source| WriteError::Json {
            path: mpath.clone(),
            source,
        })?;
        body.push(b'\n');
        fs::write(&mpath, body).map_err(|source| WriteError::Io {
            path: mpath.clone(),
            source,
        })?;
        if self.dest.exists() {
            if !self.dest.join("manifest.json").is_file() {
                return Err(WriteError::NotAnExport(self.dest.clone()));
            }
            fs::remove_dir_all(&self.dest).map_err(|source| WriteError::Io {
                path: self.dest.clone(),
                source,
            })?;
        }
        fs::rename(&self.tmp, &self.dest).map_err(|source| WriteError::Io {
            path: self.dest.clone(),
            source,
        })?;
        self.finished = true;
        // A work area's scratch files (its checkpoint) go last: until the rename, the work
        // area must stay resumable.
        if let Some(w) = &self.work {
            for name in &w.scratch {
                let p = self.dest.join(name);
                if p.exists() {
                    fs::remove_file(&p).map_err(|source| WriteError::Io { path: p, source })?;
                }
            }
        }
        Ok(self.dest.clone())
    }
}

/// `X.jsonl` -> `X.jsonl.zst` beside it (one frame, level 3: the same bytes for the same
/// input).
fn compress_file(plain: &Path) -> Result<(), WriteError> {
    let zst = plain.with_extension("jsonl.zst");
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError::Io { path, source }
    };
    let mut input = File::open(plain).map_err(io_err(plain))?;
    let out = BufWriter::new(File::create(&zst).map_err(io_err(&zst))?);
    let mut enc = zstd::stream::write::Encoder::new(out, 3).map_err(io_err(&zst))?;
    io::copy(&mut input, &mut enc).map_err(io_err(&zst))?;
    let mut out = enc.finish().map_err(io_err(&zst))?;
    out.flush().map_err(io_err(&zst))?;
    out.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .map_err(io_err(&zst))
}

impl Drop for ExportWriter {
    fn drop(&mut self) {
        if self.work.is_some() {
            // A work area is kept for a resumed run; buffered bytes past the last checkpoint are
            // cut off when it is reopened.
            return;
        }
        if !self.finished {
            self.files.clear();
            let _ = fs::remove_dir_all(&self.tmp);
            crate::cleanup::remove_empty_dirs(&self.created);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_lands_only_on_finish() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("exp");
        let mut w = ExportWriter::create(&dest, false).unwrap();
        w.write("environments/e1/users", &serde_json::json!({"id": "u1"}))
            .unwrap();
        w.write_child(
            "environments/e1/grants",
            "APPLICATION",
            "a1",
            &serde_json::json!({"id": "g"}),
        )
        .unwrap();
        assert!(!dest.exists());
        w.finish(&ManifestFile::new()).unwrap();
        let users = fs::read_to_string(dest.join("environments/e1/users.jsonl")).unwrap();
        assert_eq!(users, "{\"id\":\"u1\"}\n");
        let grants = fs::read_to_string(dest.join("environments/e1/grants.jsonl")).unwrap();
        assert!(
            grants.starts_with("{\"parent\":{\"type\":\"APPLICATION\",\"id\":\"a1\"},\"item\"")
        );
    }

    #[test]
    fn a_reopened_work_area_is_cut_back_to_the_recorded_lengths() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("exp");
        let work = dir.path().join(".exp.work");
        let mut w = ExportWriter::work_area(&dest, &work, true, None, &["ckpt"]).unwrap();
        w.write("environments/e1/users", &serde_json::json!({"id": "u1"}))
            .unwrap();
        let lengths = w.flush_lengths().unwrap();
        assert_eq!(lengths["environments/e1/users"], 12);
        // Written after the checkpoint: a partial tail and a new file.
        w.write_raw_line("environments/e1/users", b"{\"id\":\"u2")
            .unwrap();
        w.touch("roles").unwrap();
        w.touch("environments/e2/users").unwrap();
        fs::write(work.join("ckpt"), b"kept").unwrap();
        w.sync_all().unwrap();
        drop(w);
        assert!(work.is_dir(), "a work area outlives its writer");
        let mut w = ExportWriter::work_area(&dest, &work, true, Some(&lengths), &["ckpt"]).unwrap();
        assert!(!work.join("roles.jsonl").exists());
        assert!(
            !work.join("environments/e2").exists(),
            "emptied folders go too"
        );
        assert_eq!(fs::read(work.join("ckpt")).unwrap(), b"kept");
        w.write("environments/e1/users", &serde_json::json!({"id": "u2"}))
            .unwrap();
        w.finish(&ManifestFile::new()).unwrap();
        assert!(!work.exists());
        assert!(!work.join("ckpt").exists() && !dest.join("ckpt").exists());
        let f = fs::File::open(dest.join("environments/e1/users.jsonl.zst")).unwrap();
        let text = zstd::decode_all(f).unwrap();
        assert_eq!(text, b"{\"id\":\"u1\"}\n{\"id\":\"u2\"}\n");
        // A file shorter than recorded is damage, not something to paper over.
        let work2 = dir.path().join(".w2");
        fs::create_dir_all(&work2).unwrap();
        fs::write(work2.join("roles.jsonl"), b"").unwrap();
        let mut want = BTreeMap::new();
        want.insert("roles".to_string(), 5u64);
        assert!(matches!(
            ExportWriter::work_area(&dest, &work2, false, Some(&want), &[]),
            Err(WriteError::WorkArea { .. })
        ));
    }

    #[test]
    fn a_work_area_stopped_while_compressing_is_restored() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("exp");
        let work = dir.path().join(".exp.work");
        let mut w = ExportWriter::work_area(&dest, &work, true, None, &[]).unwrap();
        w.write("roles", &serde_json::json!({"id": "r1"})).unwrap();
        let lengths = w.flush_lengths().unwrap();
        drop(w);
        // What finish leaves when stopped after removing a plain file.
        compress_file(&work.join("roles.jsonl")).unwrap();
        fs::remove_file(work.join("roles.jsonl")).unwrap();
        let w = ExportWriter::work_area(&dest, &work, true, Some(&lengths), &[]).unwrap();
        assert_eq!(
            fs::read_to_string(work.join("roles.jsonl")).unwrap(),
            "{\"id\":\"r1\"}\n"
        );
        assert!(!work.join("roles.jsonl.zst").exists());
        w.finish(&ManifestFile::new()).unwrap();
        assert!(dest.join("roles.jsonl.zst").is_file() && !dest.join("roles.jsonl").exists());
    }

    #[test]
    fn dropped_writer_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("exp");
        let mut w = ExportWriter::create(&dest, true).unwrap();
        w.write("roles", &serde_json::json!({"id": "r"})).unwrap();
        let tmp = w.temp_dir().to_path_buf();
        drop(w);
        assert!(!tmp.exists() && !dest.exists());
    }
}
