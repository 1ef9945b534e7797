//! `alloc_slice_from_fn`: a large slice built in place, and the spare blocks freed large
//! objects leave for the next one of their layout.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::{Rc, Weak};

use prologue_gc::{Config, Gc, Heap, Trace};

fn heap() -> Heap {
    Heap::with_config(Config::default().torture(false))
}

/// Elements past one page: a large object.
const LARGE: usize = 100_000;

#[test]
fn small_and_large_slices_from_fn_hold_their_elements() {
    let heap = heap();
    let small = heap.alloc_slice_from_fn(10, |i| i as u64 * 3);
    let large = heap.alloc_slice_from_fn(LARGE, |i| i as u64 * 3);
    let handles = heap.alloc_slice_from_fn(LARGE, |i| heap.alloc(i as u64));
    assert_eq!(&*small, &[0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    assert!(large.iter().enumerate().all(|(i, &x)| x == i as u64 * 3));
    heap.collect();
    heap.verify();
    // The handles inside are traced: each element's object is kept by the slice alone.
    assert!(handles.iter().enumerate().all(|(i, x)| **x == i as u64));
    drop((small, large, handles));
    let freed = heap.collect().objects_freed;
    assert_eq!(freed, 3 + LARGE);
    assert_eq!(heap.stats().bytes, 0);
}

/// Rule 2: `f` may allocate, collect and verify while the slice is half built; the block
/// is not in the heap yet, so no cycle or verify meets it, and the handles already written
/// into it are held from outside.
#[test]
fn a_large_slice_whose_fn_collects_keeps_the_elements_already_made() {
    for young_bytes in [0, 64 << 10] {
        let heap = Heap::with_config(Config::default().young_bytes(young_bytes).torture(false));
        let before = heap.stats().cycles;
        let slice = heap.alloc_slice_from_fn(LARGE, |i| {
            if i % 20_000 == 1 {
                heap.collect();
                heap.verify();
            }
            heap.alloc(i as u64)
        });
        assert!(
            heap.stats().cycles > before,
            "no cycle ran during the build"
        );
        heap.collect();
        heap.verify();
        assert!(slice.iter().enumerate().all(|(i, x)| **x == i as u64));
    }
}

/// Counts its drops.
struct DropCount(Rc<Cell<usize>>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[derive(Trace)]
struct Counted {
    #[trace(skip)]
    // Read by nothing: it counts when it is dropped.
    _drops: DropCount,
}

#[test]
fn a_panic_in_the_fn_drops_the_elements_made_so_far() {
    let heap = heap();
    let drops = Rc::new(Cell::new(0));
    let result = catch_unwind(AssertUnwindSafe(|| {
        heap.alloc_slice_from_fn(LARGE, |i| {
            assert!(i < 500, "stop");
            Counted {
                _drops: DropCount(drops.clone()),
            }
        })
    }));
    assert!(result.is_err());
    assert_eq!(drops.get(), 500);
    assert_eq!(heap.stats().objects, 0);
    assert_eq!(heap.stats().bytes, 0);
    heap.verify();
    // The heap goes on working, and the block is reused.
    let slice = heap.alloc_slice_from_fn(LARGE, |_| Counted {
        _drops: DropCount(drops.clone()),
    });
    drop(slice);
    heap.collect();
    assert_eq!(drops.get(), 500 + LARGE);
}

#[test]
fn a_large_slice_past_the_limit_is_an_error_and_drops_its_elements() {
    let heap = Heap::with_config(Config::default().max_heap_bytes(64 << 10).torture(false));
    let drops = Rc::new(Cell::new(0));
    let result = heap.try_alloc_slice_from_fn(LARGE, |_| Counted {
        _drops: DropCount(drops.clone()),
    });
    assert!(result.is_err());
    assert_eq!(drops.get(), LARGE);
    assert_eq!(heap.stats().bytes, 0);
    assert_eq!(heap.stats().objects, 0);
}

/// The memory of a freed large object serves the next one of its layout: no fresh memory
/// (and no page faults) for a program that makes and drops a big vector each round.
#[test]
fn a_freed_large_object_s_memory_serves_the_next_one_of_its_layout() {
    let heap = heap();
    let first = heap.alloc_slice_from_fn(LARGE, |i| i as u64);
    let at = Gc::as_ptr(&first).cast::<u8>() as usize;
    drop(first);
    heap.collect();
    assert_eq!(heap.stats().bytes, 0);
    let second = heap.alloc_slice_from_fn(LARGE, |i| i as u64 + 1);
    assert_eq!(Gc::as_ptr(&second).cast::<u8>() as usize, at);
    assert!(second.iter().enumerate().all(|(i, &x)| x == i as u64 + 1));
    // `alloc_slice` takes large memory the same way.
    drop(second);
    heap.collect();
    let third = heap.alloc_slice(&vec![7u64; LARGE]);
    assert_eq!(Gc::as_ptr(&third).cast::<u8>() as usize, at);
    assert!(third.iter().all(|&x| x == 7));
    heap.verify();
}

/// A large slice of handles whose elements die with it, built in torture mode (a cycle and
/// a verify at every allocation, so at every element).
#[test]
fn large_slices_from_fn_under_torture() {
    let heap = Rc::new(Heap::with_config(Config::default().torture(true)));
    let weak: Weak<Heap> = Rc::downgrade(&heap);
    let slice = heap.alloc_slice_from_fn(3_000, |i| {
        let heap = weak.upgrade().expect("heap alive");
        heap.alloc(i as u32)
    });
    assert!(slice.iter().enumerate().all(|(i, x)| **x == i as u32));
    drop(slice);
    heap.collect();
    assert_eq!(heap.stats().objects, 0);
}
