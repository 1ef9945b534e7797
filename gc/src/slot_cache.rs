//! The allocation fast path: per size class, one claimed bitmap word of free slots, handed
//! out with a trailing-zeros and a clear-lowest-bit, plus an allocation budget that lets most
//! allocations skip the pacing checks.
//!
//! Taking a slot from the page bitmap on every allocation meant a `RefCell` borrow of the
//! space, two bounds-checked table lookups, a cursor scan and four counter updates, which
//! was most of binary-trees' cost per node. Instead, each (class, prefixed) kind keeps a
//! [`SlotCache`]: the free bits of one bitmap word of its current page, claimed at once
//! (marked taken and counted as used in the page), and the address of the word's first slot.
//! An allocation takes the lowest bit. When the word is used up, the slow path claims the next
//! one (sweeping a page lazily or taking a fresh page as before).
//!
//! Claimed slots that hold no object yet must never be seen by anything that walks the
//! bitmaps. So caches are filled only while the heap is idle, and [`Heap::flush_slot_caches`]
//! gives the unused bits back before every cycle (full or young) and every `verify()`; a
//! cycle's own allocations (destructors, observers) take single slots the old way. A claimed
//! page is swept (never unswept: pages become unswept only at a cycle's end, with the caches
//! empty) and has used slots, so it is never reformatted or released while claimed.
//!
//! The budget is how many bytes can be allocated before any cycle could be due: the least
//! of the nursery's room, the full goal's room (less the young bytes, which a young cycle
//! may promote) and `max_heap_bytes`' room. It only shrinks as the heap allocates, and every
//! cycle sets it to zero, so an allocation within budget skips exactly the checks that would
//! have found nothing to do; the next one past it runs them and computes a new budget. It is
//! zero outside the idle phase too, so allocating from `trace` or during `verify()` still
//! reaches the check that panics.

use std::cell::Cell;
use std::ptr::NonNull;

use crate::alloc::{kind_index, Claim};
use crate::heap::{Heap, Phase};
use crate::prefetch::prefetch_read;
use crate::size_class::{CLASSES, CLASS_SIZES};

/// Kinds of small objects: every size class, with and without a length prefix.
pub(crate) const KINDS: usize = CLASSES * 2;

/// One kind's claimed word.
pub(crate) struct SlotCache {
    /// Claimed slots not handed out yet (bit `i`: slot `base + i * size`).
    bits: Cell<u64>,
    base: Cell<*mut u8>,
    page: Cell<u32>,
    word: Cell<u32>,
}

impl SlotCache {
    fn empty() -> SlotCache {
        SlotCache {
            bits: Cell::new(0),
            base: Cell::new(std::ptr::null_mut()),
            page: Cell::new(0),
            word: Cell::new(0),
        }
    }

    /// An empty cache for every kind.
    pub(crate) fn all_empty() -> [SlotCache; KINDS] {
        std::array::from_fn(|_| SlotCache::empty())
    }

    fn fill(&self, claim: Claim) {
        self.bits.set(claim.bits);
        self.base.set(claim.base.as_ptr());
        self.page.set(claim.page);
        self.word.set(claim.word);
    }
}

impl Heap {
    /// A slot of `class` from its cache, or through the slow path.
    #[inline]
    pub(crate) fn take_slot(&self, class: u8, prefixed: bool) -> NonNull<u8> {
        let kind = kind_index(class, prefixed);
        let cache = &self.slot_caches[kind];
        let bits = cache.bits.get();
        if bits == 0 {
            return self.take_slot_slow(kind);
        }
        let rest = bits & (bits - 1);
        cache.bits.set(rest);
        let size = CLASS_SIZES[class as usize] as usize;
        let base = cache.base.get();
        // SAFETY: a set bit is a claimed slot of the word starting at `base`, inside its page.
        let slot = unsafe { base.add(bits.trailing_zeros() as usize * size) };
        // The next allocation of this class writes the next claimed slot: start bringing its
        // line in now (a hint, never a fault, whatever the address).
        prefetch_read(base.wrapping_add(rest.trailing_zeros() as usize * size));
        crate::valgrind::mark_undefined(slot, size);
        // SAFETY: inside a page, so not null.
        unsafe { NonNull::new_unchecked(slot) }
    }

    /// Refills `kind`'s cache (sweeping a page of its kind lazily first if one is left, else
    /// from a fresh page) and takes a slot; outside the idle phase, takes a single slot
    /// without caching.
    #[inline(never)]
    fn take_slot_slow(&self, kind: usize) -> NonNull<u8> {
        let caching = self.phase.get() == Phase::Idle;
        loop {
            if caching {
                let claim = self.space.borrow_mut().claim(kind);
                if let Some(claim) = claim {
                    return self.hand_out_first(kind, claim);
                }
            } else if let Some(memory) = self.space.borrow_mut().allocate_small(kind) {
                return memory;
            }
            if !self.sweep_for_allocation(kind) {
                let mut space = self.space.borrow_mut();
                if !caching {
                    return space.allocate_fresh(kind);
                }
                let claim = space.claim_fresh(kind);
                drop(space);
                return self.hand_out_first(kind, claim);
            }
        }
    }

    /// Puts a fresh claim in `kind`'s cache and takes its first slot.
    fn hand_out_first(&self, kind: usize, claim: Claim) -> NonNull<u8> {
        let cache = &self.slot_caches[kind];
        debug_assert_eq!(cache.bits.get(), 0, "the cache was empty");
        cache.fill(claim);
        let class = (kind / 2) as u8;
        self.take_slot(class, kind % 2 == 1)
    }

    /// Gives every cache's unused slots back to their pages (before anything walks the
    /// bitmaps), and zeroes the allocation budget.
    pub(crate) fn flush_slot_caches(&self) {
        self.budget.set(0);
        let mut space = self.space.borrow_mut();
        for cache in &self.slot_caches {
            let bits = cache.bits.replace(0);
            if bits != 0 {
                space.unclaim(cache.page.get(), cache.word.get(), bits);
            }
        }
        space.settle_claims();
    }

    /// Bytes of claimed slots not handed out yet (counted in the space's bytes).
    pub(crate) fn cached_bytes(&self) -> usize {
        self.slot_caches
            .iter()
            .enumerate()
            .map(|(kind, cache)| {
                cache.bits.get().count_ones() as usize * CLASS_SIZES[kind / 2] as usize
            })
            .sum()
    }

    /// Bytes that can be allocated before any cycle could be due (see the module docs).
    pub(crate) fn allocation_budget(&self) -> usize {
        if self.phase.get() != Phase::Idle || self.config.torture {
            return 0;
        }
        let to_goal = self.pacer.get().room(self.paced.get());
        let nursery = self.nursery.get();
        let mut budget = if nursery == 0 {
            to_goal
        } else {
            let young = self.young_bytes.get();
            nursery.min(to_goal).saturating_sub(young)
        };
        if let Some(limit) = self.config.max_heap_bytes {
            budget = budget.min(limit.saturating_sub(self.bytes()));
        }
        if self.config.incremental {
            // Until the next incremental cycle starts, or the next step is due (steps pace
            // themselves by the room to the goal, and go on past it).
            budget = if self.is_marking() {
                let limit = match self.config.max_heap_bytes {
                    Some(limit) => limit.saturating_sub(self.bytes()),
                    None => usize::MAX,
                };
                // ...or the next young cycle (rule 13).
                let nursery = match self.nursery.get() {
                    0 => usize::MAX,
                    nursery => nursery.saturating_sub(self.young_bytes.get()),
                };
                limit.min(self.bytes_to_next_step()).min(nursery)
            } else {
                budget.min(self.pacer.get().room_to_start(self.paced.get()))
            };
        }
        budget
    }
}

#[cfg(test)]
mod tests {
    use crate::size_class::{class_for, CLASS_SIZES};
    use crate::{Config, Heap};
    use std::alloc::Layout;

    fn heap(config: Config) -> Heap {
        Heap::with_config(Config {
            torture: false,
            ..config
        })
    }

    fn slot_of<T>() -> usize {
        let layout = Layout::new::<crate::header::GcBox<T>>();
        CLASS_SIZES[class_for(layout).expect("small") as usize] as usize
    }

    #[test]
    fn claimed_slots_are_not_counted_and_not_walked() {
        let heap = heap(Config::default());
        let kept: Vec<_> = (0..3u64).map(|i| heap.alloc(i)).collect();
        // The cache claimed a whole word; only the three handed-out slots count.
        assert_eq!(heap.stats().bytes, 3 * slot_of::<u64>());
        heap.verify(); // walks the bitmaps: the unused claimed slots went back first
        let more: Vec<_> = (0..200u64).map(|i| heap.alloc(i)).collect();
        assert_eq!(heap.stats().bytes, 203 * slot_of::<u64>());
        assert_eq!(heap.stats().objects, 203);
        heap.verify();
        assert!(kept
            .iter()
            .chain(&more)
            .enumerate()
            .all(|(i, v)| { **v == if i < 3 { i as u64 } else { i as u64 - 3 } }));
    }

    #[test]
    fn the_budget_never_lets_the_heap_pass_its_limit() {
        let limit = 64 << 10;
        let heap = heap(Config {
            max_heap_bytes: Some(limit),
            ..Config::default()
        });
        let mut kept = Vec::new();
        while let Ok(v) = heap.try_alloc([0u64; 4]) {
            kept.push(v);
            assert!(heap.stats().bytes <= limit);
        }
        assert_eq!(kept.len() * slot_of::<[u64; 4]>(), heap.stats().bytes);
        assert!(heap.stats().bytes + slot_of::<[u64; 4]>() > limit);
        heap.verify();
    }

    #[test]
    fn past_its_goal_a_marking_heap_steps_eight_times_as_often() {
        let heap = heap(Config {
            incremental: true,
            young_bytes: 0,
            ..Config::default()
        });
        let live: Vec<_> = (0..1000u64).map(|i| heap.alloc(i)).collect();
        heap.start_incremental(crate::Trigger::Pacing);
        let goal = heap.pacer.get().next_goal();
        let step = crate::incremental::step_bytes(goal, false);
        assert_eq!(heap.allocation_budget(), step);
        heap.paced.set(goal + 1);
        assert_eq!(heap.allocation_budget(), step / 8);
        heap.collect();
        assert!(live.iter().zip(0..).all(|(v, i)| **v == i));
    }

    #[test]
    fn a_cycle_gives_claimed_slots_back_and_they_are_reused() {
        let heap = heap(Config::default());
        for round in 0..4u64 {
            let kept: Vec<_> = (0..100).map(|i| heap.alloc(round * 1000 + i)).collect();
            heap.collect();
            assert_eq!(heap.stats().objects, 100);
            assert_eq!(heap.stats().bytes, 100 * slot_of::<u64>());
            assert!(kept.iter().zip(0..).all(|(v, i)| **v == round * 1000 + i));
        }
        heap.collect();
        assert_eq!(heap.stats().bytes, 0);
    }
}
