//! String interning: every PingOne id, name and enum value is stored once in one arena.
//!
//! Why: a million-user tenant holds several million short strings. Storing each as its own
//! `String` costs a heap allocation and 24 bytes of header apiece; here a string costs its bytes
//! plus one `u32` offset, and a [`Sym`] is a 4-byte handle that compares and hashes as an integer.
//! The hash table stores only symbol numbers (hashbrown's `HashTable`), never a second copy of the
//! text.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// A handle to an interned string. `Sym::EMPTY` is always the empty string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sym(pub u32);

impl Sym {
    /// The empty string, interned first in every [`Interner`].
    pub const EMPTY: Sym = Sym(0);

    pub fn is_empty(self) -> bool {
        self == Sym::EMPTY
    }
}

/// An append-only string table.
#[derive(Clone)]
pub struct Interner {
    arena: String,
    /// `ends[i]` is the end offset of symbol `i` in `arena`; symbol `i` starts at `ends[i - 1]`.
    ends: Vec<u32>,
    /// Symbol numbers by hash of their text, built on first lookup: a loaded snapshot whose
    /// commands only turn symbols into text (the exports) never pays for it.
    table: std::sync::OnceLock<HashTable<u32>>,
    hasher: FxBuildHasher,
    /// The arena's byte limit: offsets are `u32`. A test lowers it.
    limit: usize,
    /// Bytes of the strings refused because the arena was full (0: none).
    refused: u64,
}

/// The interner ran out of room: more than 4 GiB of distinct strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "more than {limit} bytes of distinct strings ({refused} more were refused): too large for one snapshot"
)]
pub struct InternerFull {
    pub limit: usize,
    pub refused: u64,
}

impl Default for Interner {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("strings", &self.len())
            .field("bytes", &self.arena.len())
            .finish()
    }
}

impl Interner {
    pub fn new() -> Self {
        let mut i = Interner {
            arena: String::new(),
            ends: Vec::new(),
            table: std::sync::OnceLock::from(HashTable::new()),
            hasher: FxBuildHasher,
            limit: u32::MAX as usize,
            refused: 0,
        };
        let empty = i.intern("");
        debug_assert_eq!(empty, Sym::EMPTY);
        i
    }

    /// An error when a string was refused because the arena was full.
    pub fn check(&self) -> Result<(), InternerFull> {
        if self.refused == 0 {
            Ok(())
        } else {
            Err(InternerFull {
                limit: self.limit,
                refused: self.refused,
            })
        }
    }

    /// Rebuilds an interner from its raw parts (used by the snapshot reader). The lookup table
    /// is built on first use ([`Interner::get`], [`Interner::intern`]).
    ///
    /// Returns `None` when the offsets do not describe valid UTF-8 boundaries in ascending order.
    /// A string stored twice is not looked for here (the snapshot's writer never stores one, and
    /// its checksum covers damage); should one occur, lookups find its first symbol.
    pub fn from_parts(arena: String, ends: Vec<u32>) -> Option<Self> {
        let mut prev = 0u32;
        for &e in &ends {
            if e < prev || e as usize > arena.len() || !arena.is_char_boundary(e as usize) {
                return None;
            }
            prev = e;
        }
        if ends.first().copied() != Some(0) {
            return None;
        }
        Some(Interner {
            arena,
            ends,
            table: std::sync::OnceLock::new(),
            hasher: FxBuildHasher,
            limit: u32::MAX as usize,
            refused: 0,
        })
    }

    /// The lookup table, built from the arena when first needed.
    fn table(&self) -> &HashTable<u32> {
        self.table.get_or_init(|| {
            let mut table = HashTable::with_capacity(self.ends.len());
            for i in 0..self.ends.len() as u32 {
                let s = Self::slice(&self.arena, &self.ends, i);
                let h = self.hasher.hash_one(s);
                if table
                    .find(h, |&j: &u32| Self::slice(&self.arena, &self.ends, j) == s)
                    .is_none()
                {
                    table.insert_unique(h, i, |&j: &u32| {
                        self.hasher
                            .hash_one(Self::slice(&self.arena, &self.ends, j))
                    });
                }
            }
            table
        })
    }

    /// The raw parts: the arena and the end offsets, for the snapshot writer.
    pub fn parts(&self) -> (&str, &[u32]) {
        (&self.arena, &self.ends)
    }

    // Inlined: the exports resolve several symbols per row, millions of times.
    #[inline]
    fn slice<'a>(arena: &'a str, ends: &[u32], i: u32) -> &'a str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { ends[i - 1] as usize };
        &arena[start..ends[i] as usize]
    }

    /// Interns `s`, returning the existing symbol when it is already known.
    ///
    /// Past 4 GiB of distinct strings nothing more fits: `s` is then refused, [`Sym::EMPTY`]
    /// is returned and the refusal is remembered, so that the loader's [`Interner::check`] turns
    /// it into an error (a tenant that large is an input error, never a panic).
    pub fn intern(&mut self, s: &str) -> Sym {
        let h = self.hasher.hash_one(s);
        let _ = self.table();
        let (arena, ends) = (&self.arena, &self.ends);
        let table = self.table.get_mut().expect("built just above");
        if let Some(&i) = table.find(h, |&j| Self::slice(arena, ends, j) == s) {
            return Sym(i);
        }
        if self.arena.len() + s.len() > self.limit {
            self.refused += s.len() as u64;
            return Sym::EMPTY;
        }
        let id = self.ends.len() as u32;
        self.arena.push_str(s);
        self.ends.push(self.arena.len() as u32);
        let (arena, ends, hasher) = (&self.arena, &self.ends, &self.hasher);
        if let Some(table) = self.table.get_mut() {
            table.insert_unique(h, id, |&j| hasher.hash_one(Self::slice(arena, ends, j)));
        }
        Sym(id)
    }

    /// Looks `s` up without interning it.
    pub fn get(&self, s: &str) -> Option<Sym> {
        let h = self.hasher.hash_one(s);
        self.table()
            .find(h, |&j| Self::slice(&self.arena, &self.ends, j) == s)
            .map(|&i| Sym(i))
    }

    /// The text of a symbol. Panics only on a symbol from another interner (a programming error).
    #[inline]
    pub fn resolve(&self, sym: Sym) -> &str {
        Self::slice(&self.arena, &self.ends, sym.0)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.len() <= 1
    }

    /// Heap bytes held (arena, offsets and table), for the memory report.
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.ends.capacity() * 4
            + self.table.get().map_or(0, |t| t.capacity() * 5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_arena_refuses_strings_and_says_so_instead_of_panicking() {
        let mut i = Interner::new();
        i.limit = 10;
        let a = i.intern("abcdef");
        assert_eq!(i.check(), Ok(()));
        // Known strings are still found; a new one that does not fit is refused.
        assert_eq!(i.intern("abcdef"), a);
        assert_eq!(i.intern("ghijkl"), Sym::EMPTY);
        assert_eq!(i.get("ghijkl"), None);
        let e = i.check().unwrap_err();
        assert_eq!(e.refused, 6);
        assert!(e.to_string().contains("too large"), "{e}");
    }

    #[test]
    fn interning_is_idempotent_and_round_trips() {
        let mut i = Interner::new();
        let a = i.intern("alpha");
        let b = i.intern("beta");
        assert_ne!(a, b);
        assert_eq!(i.intern("alpha"), a);
        assert_eq!(i.resolve(b), "beta");
        assert_eq!(i.resolve(Sym::EMPTY), "");
        assert_eq!(i.get("gamma"), None);
    }

    #[test]
    fn from_parts_rebuilds_and_rejects_garbage() {
        let mut i = Interner::new();
        for s in ["x", "yy", "zzz", "é"] {
            i.intern(s);
        }
        let (arena, ends) = i.parts();
        let j = Interner::from_parts(arena.to_string(), ends.to_vec()).unwrap();
        assert_eq!(j.get("zzz"), i.get("zzz"));
        assert_eq!(j.resolve(Sym(4)), "é");
        // an offset in the middle of a multi-byte character
        let mut bad = ends.to_vec();
        *bad.last_mut().unwrap() -= 1;
        assert!(Interner::from_parts(arena.to_string(), bad).is_none());
        // A duplicated string (never written by the snapshot writer) is found at its first
        // symbol; nothing panics.
        let d = Interner::from_parts("aa".into(), vec![0, 1, 2]).unwrap();
        assert_eq!(d.get("a"), Some(Sym(1)));
        assert_eq!(d.resolve(Sym(2)), "a");
    }
}
