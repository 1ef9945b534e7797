//! A pool's shards, one per thread index, allocated in buckets of growing size on first use.
//!
//! Bucket `b` holds `2^b` shards, so thread indices `0..2^BUCKETS - 1` fit in `BUCKETS` lazily
//! allocated arrays and a shard never moves once allocated (owners keep `&Shard` across calls).

use crate::shard::Shard;
use crate::sync::{AtomicPtr, AtomicUsize};
use std::ptr;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Release};

const BUCKETS: usize = 32;

/// Bucket and offset of a thread index.
#[inline(always)]
fn locate(index: usize) -> (usize, usize) {
    let i = index + 1;
    let bucket = (usize::BITS - 1 - i.leading_zeros()) as usize;
    (bucket, i - (1 << bucket))
}

/// The shards of one pool. `repr(C)`: `used` and the first bucket pointers come first, on the
/// pool core's first cache line (`PoolCore`), which is all a drain reads of the table.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct ShardTable<T> {
    /// One more than the highest allocated bucket: `for_each` (a drain) stops there instead of
    /// reading all the bucket pointers, which are cold cache lines in a pause.
    used: AtomicUsize,
    buckets: [AtomicPtr<Shard<T>>; BUCKETS],
}

impl<T> ShardTable<T> {
    pub(crate) fn new() -> Self {
        ShardTable {
            used: AtomicUsize::new(0),
            buckets: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
        }
    }

    /// The shard of thread index `index`, allocating its bucket if needed.
    #[inline(always)]
    pub(crate) fn get_or_alloc(&self, index: usize) -> &Shard<T> {
        let (bucket, offset) = locate(index);
        assert!(bucket < BUCKETS, "more than 2^32 live threads");
        let base = self.buckets[bucket].load(Acquire);
        let base = if base.is_null() {
            self.alloc(bucket)
        } else {
            base
        };
        // SAFETY: `base` points to a live array of `1 << bucket` shards (published with a
        // release CAS in `alloc`, freed only by `Drop` which needs `&mut self`), and
        // `offset < 1 << bucket`.
        unsafe { &*base.add(offset) }
    }

    #[cold]
    fn alloc(&self, bucket: usize) -> *mut Shard<T> {
        let fresh: Box<[Shard<T>]> = (0..1usize << bucket).map(|_| Shard::new()).collect();
        let fresh = Box::into_raw(fresh) as *mut Shard<T>;
        match self.buckets[bucket].compare_exchange(ptr::null_mut(), fresh, AcqRel, Acquire) {
            Ok(_) => {
                self.used.fetch_max(bucket + 1, Release);
                fresh
            }
            Err(winner) => {
                // SAFETY: `fresh` came from `Box::into_raw` of a slice of this length just above
                // and was never published.
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(fresh, 1 << bucket)) });
                winner
            }
        }
    }

    /// Prefetches the first `max` allocated shards (a drain's look-ahead: most pools have a
    /// shard or two, those of the threads that use them).
    #[inline]
    pub(crate) fn prefetch(&self, max: usize) {
        self.iter().take(max).for_each(Shard::prefetch);
    }

    /// Calls `f` on every allocated shard.
    pub(crate) fn for_each(&self, f: impl FnMut(&Shard<T>)) {
        self.iter().for_each(f);
    }

    /// Every allocated shard, in thread-index order.
    fn iter(&self) -> impl Iterator<Item = &Shard<T>> {
        // A bucket published after this load is skipped: the values its shards receive wait for
        // the next drain (none is lost; this drain just does not see them).
        let used = self.used.load(Acquire);
        self.buckets[..used]
            .iter()
            .enumerate()
            .flat_map(|(bucket, slot)| {
                let base = slot.load(Acquire);
                let len = if base.is_null() { 0 } else { 1usize << bucket };
                // SAFETY: as in `get_or_alloc` (`offset < len`, and `len` is 0 for a bucket
                // not allocated yet).
                (0..len).map(move |offset| unsafe { &*base.add(offset) })
            })
    }
}

impl<T> Drop for ShardTable<T> {
    fn drop(&mut self) {
        for (bucket, slot) in self.buckets.iter().enumerate() {
            let base = slot.load(Acquire);
            if !base.is_null() {
                // SAFETY: published by `alloc` from a boxed slice of `1 << bucket` shards;
                // `&mut self` means no shard reference is live.
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(base, 1 << bucket)) });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn indices_map_to_distinct_slots() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(1), (1, 0));
        assert_eq!(locate(2), (1, 1));
        assert_eq!(locate(3), (2, 0));
        assert_eq!(locate(6), (2, 3));
        assert_eq!(locate(7), (3, 0));
    }
}
