//! Compressed sparse rows: a list of lists in two flat arrays.
//!
//! Why: per-user group lists, per-group assignment lists and closures hold millions of short
//! lists. `Vec<Vec<T>>` costs a heap allocation and 24 bytes per list; a CSR costs one `u32`
//! offset per list and is contiguous in memory.

/// Row `i` is `targets[offsets[i]..offsets[i + 1]]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Csr<T> {
    pub offsets: Vec<u32>,
    pub targets: Vec<T>,
}

impl<T: Copy> Csr<T> {
    /// Builds rows from `(row, value)` pairs; `rows` is the number of rows. Values keep their
    /// input order within a row. O(rows + pairs).
    pub fn from_pairs(rows: usize, pairs: impl Iterator<Item = (usize, T)> + Clone) -> Self {
        let mut counts = vec![0u32; rows + 1];
        for (r, _) in pairs.clone() {
            counts[r + 1] += 1;
        }
        for i in 0..rows {
            counts[i + 1] += counts[i];
        }
        let offsets = counts.clone();
        let mut fill = counts;
        let n = offsets[rows] as usize;
        let mut targets: Vec<Option<T>> = vec![None; n];
        for (r, v) in pairs {
            targets[fill[r] as usize] = Some(v);
            fill[r] += 1;
        }
        // Every slot was filled. Sized up front: collected from `flatten` (no size hint), the
        // array grew by doubling, each time into fresh pages (a memberships table of millions).
        let mut flat = Vec::with_capacity(n);
        flat.extend(targets.into_iter().flatten());
        Csr {
            offsets,
            targets: flat,
        }
    }

    /// An empty CSR with `rows` empty rows.
    pub fn empty(rows: usize) -> Self {
        Csr {
            offsets: vec![0; rows + 1],
            targets: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push_row(&mut self, row: &[T]) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.targets.extend_from_slice(row);
        self.offsets.push(self.targets.len() as u32);
    }

    #[inline]
    pub fn row(&self, i: usize) -> &[T] {
        &self.targets[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    pub fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_values_in_order() {
        let pairs = vec![(2usize, 'c'), (0, 'a'), (2, 'd'), (0, 'b')];
        let c = Csr::from_pairs(3, pairs.into_iter());
        assert_eq!(c.row(0), &['a', 'b']);
        assert!(c.row(1).is_empty());
        assert_eq!(c.row(2), &['c', 'd']);
        assert_eq!(c.rows(), 3);
    }
}
