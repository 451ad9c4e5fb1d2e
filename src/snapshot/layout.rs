//! The order in which a snapshot stores its strings.
//!
//! Why: the exports read every user's id and username in id order. In the order of ingest,
//! those strings are scattered over an arena of 30 MB (200,000 users) to 110 MB (1,000,000),
//! and reading them was the largest single cost of an access export after the load. With the
//! users' table in the same order ([`Tenant::order_users_by_id`]), the full access CSV at 200,000
//! users takes 0.36 s instead of 0.46 s, the seven key columns 0.29 s instead of 0.40 s (medians
//! of 9, output to a memory-backed file); this layout alone, with the table in file order, gained
//! little (0.47 against 0.48 s).
//!
//! So the writer renumbers the symbols: the empty string stays 0, then come each user's id,
//! username and display name in the order of [`Tenant::users_by_id`], then every other string
//! in its previous order. Every symbol column of the file is written through
//! [`StringLayout::sym`]. The text behind every field is unchanged; only symbol numbers differ,
//! and nothing derives an output from a symbol's number (the CLI tests compare every command's
//! output from an export and from its snapshot).
//!
//! The layout is a fixed point: a snapshot loaded and saved again keeps its numbering, so the
//! same tenant still gives the same bytes.

use crate::model::{Sym, Tenant};

/// Symbol numbers as stored, and the string table in that order.
pub(super) struct StringLayout {
    /// `new_of_old[s]` is the stored number of symbol `s`.
    new_of_old: Vec<u32>,
    arena: String,
    ends: Vec<u32>,
}

/// Marks a symbol not yet placed.
const UNPLACED: u32 = u32::MAX;

impl StringLayout {
    /// The layout of `t`'s strings. Time: O(strings + users log users); memory: a second copy
    /// of the arena and two `u32` per string.
    pub fn of(t: &Tenant) -> Self {
        let n = t.strings.len();
        let mut new_of_old = vec![UNPLACED; n];
        let mut order: Vec<u32> = Vec::with_capacity(n);
        let mut place = |s: Sym, order: &mut Vec<u32>| {
            let slot = &mut new_of_old[s.0 as usize];
            if *slot == UNPLACED {
                *slot = order.len() as u32;
                order.push(s.0);
            }
        };
        place(Sym::EMPTY, &mut order);
        for u in t.users_by_id() {
            let u = &t.users[u.idx()];
            for s in [u.id, u.username, u.display_name] {
                place(s, &mut order);
            }
        }
        for s in 0..n as u32 {
            place(Sym(s), &mut order);
        }
        let (old_arena, _) = t.strings.parts();
        let mut arena = String::with_capacity(old_arena.len());
        let mut ends = Vec::with_capacity(n);
        for &old in &order {
            arena.push_str(t.strings.resolve(Sym(old)));
            // The arena is no longer than the original, whose offsets fit in `u32`.
            ends.push(arena.len() as u32);
        }
        StringLayout {
            new_of_old,
            arena,
            ends,
        }
    }

    /// The stored number of `s`.
    #[inline]
    pub fn sym(&self, s: Sym) -> u32 {
        self.new_of_old[s.0 as usize]
    }

    /// The string table in stored order: the arena and each string's end offset.
    pub fn parts(&self) -> (&str, &[u32]) {
        (&self.arena, &self.ends)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::builder::TenantBuilder;

    #[test]
    fn users_strings_come_first_in_id_order_and_every_symbol_keeps_its_text() {
        let t = TenantBuilder::new("org-1")
            .env("env-a")
            .user("u-3", "env-a")
            .user("u-1", "env-a")
            .user("u-2", "env-a")
            .build();
        let l = StringLayout::of(&t);
        let (arena, ends) = l.parts();
        let text = |new: u32| {
            let start = if new == 0 { 0 } else { ends[new as usize - 1] };
            &arena[start as usize..ends[new as usize] as usize]
        };
        // Every symbol maps to a distinct slot holding its own text.
        let mut seen = std::collections::HashSet::new();
        for old in 0..t.strings.len() as u32 {
            let new = l.sym(Sym(old));
            assert!(seen.insert(new), "slot {new} given twice");
            assert_eq!(text(new), t.strings.resolve(Sym(old)));
        }
        assert_eq!(ends.len(), t.strings.len());
        assert_eq!(l.sym(Sym::EMPTY), 0);
        // The users' ids come right after the empty string, in id order.
        let ids: Vec<u32> = ["u-1", "u-2", "u-3"]
            .iter()
            .map(|id| l.sym(t.strings.get(id).unwrap()))
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert_eq!(ids[0], 1);
    }
}
