//! Writing the offline export directory, atomically.
//!
//! An [`ExportWriter`] writes into a hidden temporary directory beside the destination and renames
//! it into place only in [`ExportWriter::finish`]; dropping the writer (an error, Ctrl-C) removes
//! the temporary directory, so a reader never sees a half-written export. Files are plain JSON
//! Lines, or zstd-compressed when the writer is created with compression.

use std::collections::HashMap;
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
        crate::cleanup::Registration,
        Vec<crate::cleanup::Registration>,
    ),
    /// Parent directories this writer created: removed (while empty) when it is not finished.
    created: Vec<PathBuf>,
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
            _regs: (reg, dir_regs),
            created,
            tmp,
            compress,
            files: HashMap::new(),
            finished: false,
        })
    }

    /// The temporary directory being written (for tests and progress messages).
    pub fn temp_dir(&self) -> &Path {
        &self.tmp
    }

    fn sink(&mut self, collection: &str) -> Result<&mut Sink, WriteError> {
        if !self.files.contains_key(collection) {
            let ext = if self.compress { "jsonl.zst" } else { "jsonl" };
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
            let f = BufWriter::with_capacity(1 << 16, File::create(&path).map_err(io_err)?);
            let sink = if self.compress {
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
        self.write(
            collection,
            &Wrapped {
                parent: Parent {
                    kind: parent_type,
                    id: parent_id,
                },
                item,
            },
        )
    }

    /// Writes the manifest, flushes and fsyncs every file, and renames the directory into place
    /// (replacing an earlier export at `dest`, never anything else).
    pub fn finish(mut self, manifest: &ManifestFile) -> Result<PathBuf, WriteError> {
        for (name, sink) in self.files.drain() {
            let path = self.tmp.join(&name);
            sink.finish()
                .map_err(|source| WriteError::Io { path, source })?;
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
        Ok(self.dest.clone())
    }
}

impl Drop for ExportWriter {
    fn drop(&mut self) {
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
