//! What an interrupted command leaves behind: nothing.
//!
//! Every output is written to a temporary file or directory and renamed into place at the end,
//! so a failure already leaves no half-written output (the temporary is removed on drop). A
//! Ctrl-C or SIGTERM, though, ends the process without running destructors. This module keeps a
//! registry of the temporaries in flight (and of the output directories a command created), and
//! [`install`] sets a signal handler that removes them before exiting with status 130. The live
//! ingest has its own cooperative handling (it reports what it had collected) and does not
//! install this one.
//!
//! Imports nothing of the crate: any layer may register what it creates.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// What to remove on an interrupt.
#[derive(Debug, Clone)]
enum Entry {
    /// A temporary file or directory: removed whole.
    Temporary(PathBuf),
    /// A directory the command created for its output: removed only while empty.
    CreatedDir(PathBuf),
}

static PENDING: Mutex<Vec<(u64, Entry)>> = Mutex::new(Vec::new());
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `Err(Interrupted)` once an interrupt started the cleanup: writers call it before they create
/// a file or directory.
pub fn check() -> std::io::Result<()> {
    if interrupted() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "interrupted",
        ));
    }
    Ok(())
}

/// Has an interrupt started the cleanup? The work may then fail on files the handler removed;
/// `main` leaves the exit to the handler instead of reporting that failure.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
static NEXT: AtomicU64 = AtomicU64::new(1);

/// Keeps a path registered until dropped.
#[derive(Debug)]
#[must_use = "the path is unregistered when this is dropped"]
pub struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut p) = PENDING.lock() {
            p.retain(|(id, _)| *id != self.0);
        }
    }
}

fn register(e: Entry) -> Registration {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut p) = PENDING.lock() {
        p.push((id, e));
    }
    Registration(id)
}

/// Registers a temporary file or directory, removed whole on an interrupt.
pub fn temporary(path: &Path) -> Registration {
    register(Entry::Temporary(path.to_path_buf()))
}

/// Creates `dir` and its missing ancestors, registering each one it created (removed on an
/// interrupt while still empty). Returns the created directories, outermost first, so that the
/// caller can remove them (while empty) when it fails.
pub fn create_dirs(dir: &Path) -> std::io::Result<(Vec<PathBuf>, Vec<Registration>)> {
    check()?;
    let mut missing = Vec::new();
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        cur = d.parent();
    }
    missing.reverse();
    std::fs::create_dir_all(dir)?;
    let regs = missing
        .iter()
        .map(|d| register(Entry::CreatedDir(d.clone())))
        .collect();
    Ok((missing, regs))
}

/// Removes the directories of [`create_dirs`] that are still empty, innermost first.
pub fn remove_empty_dirs(created: &[PathBuf]) {
    for d in created.iter().rev() {
        let _ = std::fs::remove_dir(d);
    }
}

/// Removes everything registered: temporaries first, then empty created directories
/// (innermost first).
pub fn remove_all() {
    remove_matching(|_| true);
}

/// [`remove_all`], restricted to the registered paths `keep` accepts.
fn remove_matching(keep: impl Fn(&Path) -> bool) {
    let entries: Vec<Entry> = match PENDING.lock() {
        Ok(p) => p
            .iter()
            .map(|(_, e)| e.clone())
            .filter(|e| match e {
                Entry::Temporary(p) | Entry::CreatedDir(p) => keep(p),
            })
            .collect(),
        Err(_) => return,
    };
    for e in &entries {
        if let Entry::Temporary(p) = e {
            if p.is_dir() {
                let _ = std::fs::remove_dir_all(p);
            } else {
                let _ = std::fs::remove_file(p);
            }
        }
    }
    let mut dirs: Vec<&PathBuf> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::CreatedDir(d) => Some(d),
            Entry::Temporary(_) => None,
        })
        .collect();
    // Deeper paths first.
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs {
        let _ = std::fs::remove_dir(d);
    }
}

/// Installs the Ctrl-C / SIGTERM handler: remove what is registered, say so, exit 130.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        // Writers check the flag before creating anything; give the creations already under way
        // a moment to land, so that nothing is made again after the removal.
        std::thread::sleep(std::time::Duration::from_millis(100));
        remove_all();
        // A second pass for anything a stalled writer made during the first.
        std::thread::sleep(std::time::Duration::from_millis(50));
        remove_all();
        eprintln!("interrupted; no output was written");
        std::process::exit(130);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_all_takes_temporaries_and_only_empty_created_dirs() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("a/b");
        let (created, _regs) = create_dirs(&out).unwrap();
        assert_eq!(created, vec![root.path().join("a"), out.clone()]);
        let tmp = out.join(".x.tmp");
        std::fs::write(&tmp, b"half").unwrap();
        let reg = temporary(&tmp);
        // Only this test's paths: other tests register theirs concurrently.
        let mine = |p: &Path| p.starts_with(root.path());
        remove_matching(mine);
        assert!(!tmp.exists());
        assert!(!root.path().join("a").exists(), "empty created dirs go too");
        drop(reg);
        // A created directory that holds a finished output stays.
        let (_c, _r) = create_dirs(&out).unwrap();
        std::fs::write(out.join("done.csv"), b"x").unwrap();
        remove_matching(mine);
        assert!(out.join("done.csv").exists());
    }
}
