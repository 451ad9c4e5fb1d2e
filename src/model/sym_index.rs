//! [`SymIndex`]: PingOne id -> dense id for the large tables (users, groups), one slot per
//! interned string.
//!
//! Why not a hash map: loading a 200,000-user snapshot spent 12 ms of CPU inserting its users
//! into one, on the path of every command, and a lookup hashed and probed. Symbols are dense
//! numbers already, so the index is an array by symbol: built in one pass of stores, looked up
//! by one load. It costs 4 bytes per interned string (1.8 MB at 200,000 users, where the hash
//! map of the users took about as much).

use std::marker::PhantomData;

use super::ids::DenseId;
use super::intern::Sym;

/// A map from symbols to dense ids, stored as one slot per symbol number.
#[derive(Clone, Debug)]
pub struct SymIndex<I> {
    slots: Vec<u32>,
    len: usize,
    id: PhantomData<I>,
}

/// The slot of a symbol that maps to nothing.
const NONE: u32 = u32::MAX;

impl<I> Default for SymIndex<I> {
    fn default() -> Self {
        SymIndex {
            slots: Vec::new(),
            len: 0,
            id: PhantomData,
        }
    }
}

impl<I: DenseId> SymIndex<I> {
    /// The index of `keys` (the `i`th key maps to dense id `i`; a key met twice, to its last
    /// place, as a map's inserts in order would), for symbols below `symbols`.
    pub fn build(keys: impl Iterator<Item = Sym>, symbols: usize) -> Self {
        let mut index = SymIndex {
            slots: vec![NONE; symbols],
            ..SymIndex::default()
        };
        for (i, k) in keys.enumerate() {
            index.insert(k, I::from_idx(i));
        }
        index
    }

    /// The dense id of `sym`.
    #[inline]
    pub fn get(&self, sym: &Sym) -> Option<I> {
        match self.slots.get(sym.0 as usize) {
            Some(&slot) if slot != NONE => Some(I::from_idx(slot as usize)),
            _ => None,
        }
    }

    pub fn contains_key(&self, sym: &Sym) -> bool {
        self.get(sym).is_some()
    }

    /// Maps `sym` to `id`; returns what it mapped to before.
    pub fn insert(&mut self, sym: Sym, id: I) -> Option<I> {
        let at = sym.0 as usize;
        if at >= self.slots.len() {
            self.slots.resize((at + 1).max(self.slots.len() * 2), NONE);
        }
        let before = std::mem::replace(&mut self.slots[at], id.idx() as u32);
        if before == NONE {
            self.len += 1;
            None
        } else {
            Some(I::from_idx(before as usize))
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every (symbol, dense id), by symbol number.
    pub fn iter(&self) -> impl Iterator<Item = (Sym, I)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| **s != NONE)
            .map(|(k, &s)| (Sym(k as u32), I::from_idx(s as usize)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserId;

    /// It answers as a hash map fed the same inserts would: new keys, replaced keys (the old id
    /// returned), keys past the slots so far, and absent keys.
    #[test]
    fn it_answers_as_a_map() {
        let mut index: SymIndex<UserId> = SymIndex::build([Sym(3), Sym(1), Sym(3)].into_iter(), 2);
        let mut map = std::collections::HashMap::new();
        for (i, k) in [3, 1, 3].into_iter().enumerate() {
            map.insert(k, i);
        }
        assert_eq!(index.len(), map.len());
        assert_eq!(index.get(&Sym(3)), Some(UserId(2)), "the last place wins");
        assert_eq!(index.get(&Sym(1)), Some(UserId(1)));
        assert_eq!(index.get(&Sym(0)), None);
        assert_eq!(index.get(&Sym(1000)), None);
        assert_eq!(index.insert(Sym(1000), UserId(7)), None);
        assert_eq!(index.insert(Sym(1000), UserId(8)), Some(UserId(7)));
        assert!(index.contains_key(&Sym(1000)) && !index.contains_key(&Sym(999)));
        assert_eq!(
            index.iter().collect::<Vec<_>>(),
            [
                (Sym(1), UserId(1)),
                (Sym(3), UserId(2)),
                (Sym(1000), UserId(8))
            ]
        );
        assert_eq!(index.len(), 3);
    }
}
