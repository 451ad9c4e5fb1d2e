//! Byte buffers recycled between the threads that format an export and the one that writes it.
//!
//! Why: a batch of the access export formats tens of megabytes into per-chunk buffers. Allocated
//! afresh for every batch, each buffer costs a page fault per 4 KiB page (the kernel zeroes every
//! page it hands out) and a copy each time it grows; at 200,000 users that was a fifth of the
//! export's CPU time. Recycled, a buffer keeps its grown capacity and its pages: memory stays at
//! two batches' worth, as before, but is touched once.

use std::sync::Mutex;

/// A pool of empty byte buffers.
pub struct Buffers {
    free: Mutex<Vec<Vec<u8>>>,
    /// Capacity of a buffer made when the pool is empty.
    capacity: usize,
}

impl Buffers {
    pub fn new(capacity: usize) -> Buffers {
        Buffers {
            free: Mutex::new(Vec::new()),
            capacity,
        }
    }

    /// An empty buffer: a recycled one when there is one.
    pub fn take(&self) -> Vec<u8> {
        let recycled = self.free.lock().map(|mut f| f.pop()).unwrap_or(None);
        recycled.unwrap_or_else(|| Vec::with_capacity(self.capacity))
    }

    /// Returns `buf` (written out) for reuse.
    pub fn give(&self, mut buf: Vec<u8>) {
        buf.clear();
        if let Ok(mut f) = self.free.lock() {
            f.push(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_buffer_comes_back_empty_with_its_capacity() {
        let pool = Buffers::new(16);
        let mut b = pool.take();
        assert!(b.is_empty() && b.capacity() >= 16);
        b.extend_from_slice(&[7; 1000]);
        let grown = b.capacity();
        pool.give(b);
        let again = pool.take();
        assert!(again.is_empty());
        assert_eq!(again.capacity(), grown, "the grown buffer is reused");
        let fresh = pool.take();
        assert!(
            fresh.capacity() >= 16 && fresh.capacity() < grown,
            "pool empty: a new one"
        );
    }
}
