//! Byte buffers recycled between the threads that format an export and the one that writes it,
//! and the formatting threads' own scratch states.
//!
//! Why: a batch of the access export formats tens of megabytes into per-chunk buffers. Allocated
//! afresh for every batch, each buffer costs a page fault per 4 KiB page (the kernel zeroes every
//! page it hands out) and a copy each time it grows; at 200,000 users that was a fifth of the
//! export's CPU time. Recycled, a buffer keeps its grown capacity and its pages: memory stays at
//! two batches' worth, as before, but is touched once.
//!
//! New buffers are made as large as the largest one filled so far (and a quarter), not grown
//! from a guess: growing a buffer copies it into fresh memory, and with transparent huge pages
//! the kernel zeroes 2 MiB at each first touch. At 200,000 users (seven key columns), page
//! zeroing under the formatter fell from 7.5% to 5% of the CPU samples; the rest is the first
//! touch of each buffer, which recycling already limits to two batches.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A pool of empty byte buffers.
pub struct Buffers {
    free: Mutex<Vec<Vec<u8>>>,
    /// Capacity of a buffer made when the pool is empty and nothing was filled yet.
    capacity: usize,
    /// The largest length [`Buffers::filled`] was told of.
    largest: AtomicUsize,
}

impl Buffers {
    pub fn new(capacity: usize) -> Buffers {
        Buffers {
            free: Mutex::new(Vec::new()),
            capacity,
            largest: AtomicUsize::new(0),
        }
    }

    /// An empty buffer: a recycled one when there is one, else a new one sized by what the
    /// buffers filled so far took.
    pub fn take(&self) -> Vec<u8> {
        let recycled = self.free.lock().map(|mut f| f.pop()).unwrap_or(None);
        recycled.unwrap_or_else(|| {
            let largest = self.largest.load(Ordering::Relaxed);
            Vec::with_capacity(self.capacity.max(largest.saturating_add(largest / 4)))
        })
    }

    /// Tells the pool that a buffer was filled to `len` bytes (before it is written and given
    /// back), so that the buffers it makes next need not grow.
    pub fn filled(&self, len: usize) {
        self.largest.fetch_max(len, Ordering::Relaxed);
    }

    /// Returns `buf` (written out) for reuse.
    pub fn give(&self, mut buf: Vec<u8>) {
        buf.clear();
        if let Ok(mut f) = self.free.lock() {
            f.push(buf);
        }
    }
}

/// One scratch state per thread of rayon's pool, kept from one batch to the next.
///
/// Why: `map_init` makes a state per rayon job, several per batch, so the caches in a state
/// (an export's formatted entitlement cells and user profiles) started cold many times over.
/// Here each thread takes its own state by its index; a job that finds it busy (never, as
/// states are not held across a call into rayon) or runs outside the pool gets a new one.
pub struct Workers<S, F> {
    states: Vec<Mutex<S>>,
    make: F,
}

impl<S, F: Fn() -> S> Workers<S, F> {
    /// States made by `make`, one per thread of the current pool.
    pub fn new(make: F) -> Workers<S, F> {
        Workers {
            states: (0..rayon::current_num_threads())
                .map(|_| Mutex::new(make()))
                .collect(),
            make,
        }
    }

    /// The states of the pool's threads (not those made for jobs outside it).
    pub fn into_states(self) -> impl Iterator<Item = S> {
        self.states.into_iter().filter_map(|m| m.into_inner().ok())
    }

    /// Runs `f` with the current thread's state.
    pub fn with<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        let own = rayon::current_thread_index()
            .and_then(|i| self.states.get(i))
            .and_then(|m| m.try_lock().ok());
        match own {
            Some(mut state) => f(&mut state),
            None => f(&mut (self.make)()),
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

    #[test]
    fn new_buffers_are_sized_by_the_largest_filled() {
        let pool = Buffers::new(16);
        pool.filled(800);
        pool.filled(400);
        let b = pool.take();
        assert!(b.capacity() >= 1000, "800 and a quarter: {}", b.capacity());
    }
}
