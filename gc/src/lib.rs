//! prologue-gc: a sound mark-sweep heap of [`Gc<T>`] handles whose every full cycle starts by
//! draining the object pools.
//!
//! # When to use it
//! Use a [`Heap`] when values form graphs with cycles and shared ownership that `Rc` would
//! leak: interpreters, object graphs, caches of linked records. Handles are plain values: keep
//! them in locals, `Vec`s, host structs, other heap objects or pools, with no rooting API. Don't
//! use it for tree-shaped data with one owner (`Box` is faster), across threads (a heap and its
//! handles are `!Send`). Full cycles run in bounded steps ([`Config::incremental`], on by
//! default; off, each stops the program for time proportional to the live heap), and young
//! cycles are sized to the same pause target.
//!
//! ```
//! use prologue_gc::{Gc, GcCell, Heap, Trace};
//!
//! #[derive(Trace)]
//! struct Node {
//!     value: i64,
//!     next: GcCell<Option<Gc<Node>>>,
//! }
//!
//! let heap = Heap::new();
//! let a = heap.alloc(Node { value: 1, next: GcCell::new(None) });
//! let b = heap.alloc(Node { value: 2, next: GcCell::new(Some(a.clone())) });
//! *a.next.borrow_mut() = Some(b.clone()); // a -> b -> a: a cycle `Rc` would leak
//!
//! let sum = a.value + a.next.borrow().as_ref().unwrap().value;
//! assert_eq!(sum, 3);
//!
//! drop((a, b));
//! let cycle = heap.collect();
//! assert_eq!(cycle.objects_freed, 2);
//! assert_eq!(heap.stats().objects, 0);
//! ```
//!
//! # Implementing `Trace`
//! Every heap value implements the unsafe trait [`Trace`]; `#[derive(Trace)]` writes it for
//! you and is always sound. What a manual impl must do is stated once, on [`Trace`] (its
//! `# Safety` rules), and what the collector checks at run time is in its `# Panics` section.
//! The numbered rules below are the collector's own, not an implementer's.
//!
//! # How roots are found: counting, not rooting
//! Each object starts with a 16-byte header (see `header.rs`): its vtable, a count of the
//! `Gc` handles that exist for it, the owning heap's id, and flags with a scratch count. Cloning
//! a handle increments the count, dropping it decrements it; nothing else happens outside a
//! collection. A cycle then:
//!
//! 1. **gc_start** detaches every pool's contents (`prologue_pool::detach_pools`, Go's
//!    `clearpools`) and drops the `LocalPool` values, the only pooled values that can hold
//!    handles, so a handle only a pool held is gone before anything is decided (the shared
//!    pools' values are dropped after the pause);
//! 2. **root discovery** traces every live object once and counts, per object, the handles
//!    found inside this heap. An object with more handles than internal references is held
//!    from outside (a local, a host struct, another heap): a root. Handles into *other*
//!    heaps are not counted, so an object of heap A held by an object of heap B is, for A, held
//!    from outside, and survives;
//! 3. **mark** traces from the roots with an explicit stack (no recursion);
//! 4. **sweep** first flags every unmarked object dead, then runs the finalizers of
//!    unreachable finalizable objects (which the mark kept, with what they reach, for one more
//!    cycle) while nothing has been dropped yet, then drops the dead values (so a destructor
//!    that reaches a dead object panics instead of reading freed memory), then frees the dead
//!    objects no handle names; a handle a destructor moved out keeps its object's memory as a
//!    dead "zombie" until it goes;
//! 5. **gc_end** records statistics ([`CycleStats`], [`HeapStats`]) and sets the next goal;
//!    then, after the pause, it drops the shared pools' detached values, prints the
//!    `PROLOGUE_GCTRACE=1` line and calls the [`Heap::on_cycle`] observers.
//!
//! The final cycle a dropped heap runs does not drain the pools (one heap's end should not
//! empty every pool of the process).
//!
//! A [`GcCell`] that is mutably borrowed during a cycle is not read at all (that would alias
//! the `&mut`): its handles are then uncounted and their targets survive as roots. A
//! [`GcSlot`] (a `Cell` for handles: values are cloned out and written whole) can never be
//! borrowed, so it is always read, and it takes no space beside its value.
//!
//! # What the collector relies on
//! Each rule is an invariant the collector's code keeps and its soundness argument uses; the
//! tests named fail without it.
//!
//! 1. **A cycle starts only from an idle heap, one at a time.** User code the collector calls
//!    (destructors, finalizers, observers, pool drains) finds the heap *busy*: an allocation
//!    there takes memory without starting a cycle, and `collect()` and `verify()` panic with a
//!    message naming the phase (the table below). *Tests:* `tests/user_code.rs` (every action
//!    at every point in every kind of cycle), `soundness.rs`.
//! 2. **No user code runs while an object is half built.** Between taking an object's memory
//!    and registering it only the collector's own code runs, so no cycle, `verify()` or page
//!    sweep ever meets an object whose value is not written; `alloc_slice` clones every element
//!    before the object exists. *Tests:* `busy_heap.rs`
//!    (`a_slice_whose_clone_starts_cycles_survives_while_held`,
//!    `verify_from_a_clone_inside_alloc_slice_sees_no_half_built_object`).
//! 3. **A sweep judges only objects that existed at its mark.** An object allocated after a
//!    mark goes to a swept or fresh page, or to the swept large-object list, never where a
//!    pending lazy sweep will look; so an unmarked object in an unswept place is garbage.
//!    *Tests:* `busy_heap.rs` (`a_large_object_allocated_by_*`).
//! 4. **A sweep condemns before it drops.** Every sweep (eager, lazy page, young) flags all
//!    the objects it kills dead and empties their weak slots before the first destructor runs,
//!    so no destructor can upgrade a weak handle to, or dereference, an object that sweep
//!    kills; a lazy cycle empties the weak slots of every unmarked object in its pause.
//!    *Tests:* `busy_heap.rs` (`weak_upgrade_in_a_destructor_during_a_young_sweep_*`),
//!    `soundness.rs` (`destructor_reaching_a_dead_object_panics_instead_of_reading_it`).
//! 5. **An object is freed only when no handle names it.** A dead object still named stays as
//!    a zombie (value dropped, use panics) until its count reaches zero, so a freed slot can
//!    be reused while unswept dead objects exist: none of them can hold a handle to it.
//!    *Tests:* `sweep_reuse.rs`, `soundness.rs`
//!    (`a_handle_resurrected_by_a_destructor_never_dangles`).
//! 6. **A handle count of zero is final once released.** A count can rise from zero only
//!    through a weak upgrade, so the release step empties an object's weak slot before it
//!    drops or frees anything, and reads the count right before each release. *Tests:*
//!    `release.rs` (`weak_handles_to_released_objects_stop_upgrading`,
//!    `a_handle_resurrected_by_a_released_object_names_a_live_object`).
//! 7. **An object is a root when it has more handles than references from this heap's live
//!    objects.** A handle root discovery cannot read (inside a mutably borrowed `GcCell`,
//!    another heap, a `#[trace(skip)]` field) is therefore a root, never a missed edge.
//!    *Tests:* `roots.rs` unit tests, `soundness.rs`
//!    (`a_mutably_borrowed_cell_keeps_its_contents_alive_through_an_explicit_collect`).
//!
//!
//! The rules of incremental full cycles ([`Config::incremental`]) follow. A cycle starts at a
//! moment T0 and marks in steps between which the program runs and moves handles; the danger
//! is a handle counted *inside* the heap that leaves for the outside after its target was
//! checked, while the object that held it loses its last outside handle before its own check
//! (the trap, pinned by `the_trap_a_handle_cloned_out_of_the_heap_between_two_root_checks`).
//!
//! 8. **Allocate black.** From T0 to the end of marking, objects are born marked: they are
//!    never counted or checked, and survive the cycle unless a young cycle releases them
//!    first (rule 13). *Test:* `tests/incremental.rs` (`objects_born_during_a_cycle_survive_it`,
//!    and every other test there).
//! 9. **A new handle greys its object.** While a heap of the thread marks, `Gc::clone` (and
//!    the clone of the one-word [`GcStr`] and [`GcSlice`]) and `WeakGc::upgrade` of a handle to
//!    an old, unmarked object mark it and queue it for tracing (one predictable branch on a
//!    thread-local flag otherwise). *Tests:* `the_trap_*` (one with a thin handle),
//!    `a_weak_handle_upgraded_between_two_root_checks_keeps_its_object`.
//! 10. **A cell's first write of a cycle greys what it held.** The first `borrow_mut` (so
//!     `replace`, `take`) of a `GcCell` after T0 greys every handle the cell holds and stamps
//!     the cell with the cycle's epoch; later writes in the cycle log nothing. Every write of
//!     a [`GcSlot`] after T0 greys the handles of the value it replaces (no coalescing, so no
//!     stamp). `GcCell` and `GcSlot` are the only interior mutability with a `Trace` impl that
//!     can hold a handle (`Cell<T>` needs `T: Copy`, which a handle is not). *Tests:*
//!     `a_handle_taken_out_of_a_cell_between_two_root_checks_keeps_its_object`,
//!     `a_handle_taken_out_of_a_slot_between_two_root_checks_keeps_its_object`.
//! 11. **A cell written during the cycle is not counted.** Counting skips a cell stamped at or
//!     after T0, so a handle stored after T0 never counts as internal, and a later write that
//!     moves it out again (unlogged, by rule 10's coalescing) cannot hide its target. A
//!     `GcSlot` logs every write, so counting reads it whatever was written. *Tests:*
//!     `a_handle_stored_and_moved_out_again_within_a_cycle_keeps_its_object`, and for slots
//!     `a_handle_stored_in_a_slot_and_moved_out_again_keeps_its_object`.
//! 12. **Nothing that existed at T0 is freed or unmarked before the end of marking.** The last
//!     lazy sweep is finished before T0 (a sweep clears the marks of what it keeps), every
//!     object is old from T0 (a young cycle runs first and what it leaves is promoted; the
//!     young cycles that run later touch only what was born since: rule 13), so no handle
//!     counted as internal vanishes with its holder. A whole
//!     cycle (`collect()`, the heap limit, dropping the heap) abandons one in progress: every
//!     mark and count is cleared first. *Tests:* `collect_during_an_incremental_cycle_is_exact`,
//!     `user_code.rs` (`user_code_in_incremental_cycles`).
//! 13. **During marking, a young cycle releases only what was born since T0.** Objects born
//!     during marking go on the young list, marked; a young cycle then runs its release step
//!     alone (no count, no mark: they are black already) and promotes what is left, marked.
//!     The release's cascade stops at old objects: one may have existed at T0 and been
//!     counted, and releasing it would drop handles that its targets' internal counts still
//!     include, hiding their holders outside. A released newborn was never counted (counting
//!     skips marked objects), never greyed (the barriers grey only old, unmarked objects) and
//!     so never on the mark stack or the barriers' log: no count, log or stack of the cycle
//!     names it once it is freed. So garbage made during a cycle is freed young, as between
//!     cycles, instead of waiting for the next cycle's sweep. *Tests:*
//!     `a_young_release_during_a_cycle_stops_at_old_objects`,
//!     `garbage_born_during_a_cycle_is_released_before_its_end`.
//!
//! Why that is enough: a handle counted as internal stays where it was counted until its
//! holder dies (not before the end, rule 12) or its cell is first written (which greys its
//! target, rule 10). So when X is checked, every handle to X outside counted places shows as
//! handles above internal references, unless X is already grey. After X's check, a new handle
//! to X outside counted places can only come from a clone or an upgrade (rule 9), from a
//! counted cell through its first write (rule 10), or from a place never counted: a new
//! object's fields (rule 8) or a written cell (rule 11), whose targets look held from outside.
//! Follow any path from a handle the program holds at the end of marking: its first object is
//! marked (a root at its check, or greyed), and each next edge was in place when its holder
//! was traced (marked objects are traced) or sits in an uncounted place, whose target was a
//! root or grey. So everything reachable at the end is marked, and the sweep frees only
//! garbage.
//!
//! # What user code may do while the heap is busy
//! Where the collector runs user code, and what each action does there. "Dying" means an
//! object the running cycle has found unreachable. Dropping handles is allowed everywhere.
//! Every cell is tested by `tests/user_code.rs`, natively, under valgrind and in torture
//! mode.
//!
//! | user code runs in | heap | allocate | `collect()`, `verify()` | upgrade a weak handle to a dying object | clone or read a dying object |
//! |---|---|---|---|---|---|
//! | `Trace::trace` (counting, marking, `verify`) | busy | panics | panics | must not ([`Trace`] rule 2) | must not |
//! | a destructor run by an eager sweep (`collect()`, limit, torture, heap drop) | busy | takes memory; the object lives (rule 3) | panic | `None` (rule 4) | panics: already swept |
//! | a destructor run by a lazy page sweep | busy | as above | panic | `None` | in this page: panics; in a page not swept yet: reads work, a clone is a zombie once that page is swept |
//! | a destructor run by a young sweep | busy | as above | panic | `None` | panics |
//! | a destructor run by a young cycle's release step | busy | as above | panic | `None` once released; before that a live handle, and the object survives (rule 6) | works until released, then panics |
//! | a finalizer | busy | as above | panic | what the finalized object reaches: a live handle (kept one more cycle); other dying objects: `None` | what it reaches works; other dying objects as for a sweep's destructor |
//! | a cycle observer ([`Heap::on_cycle`]) | busy | as above | panic | `None` | the cycle is over: dead objects panic |
//! | a `LocalPool` value's `Drop` (in `gc_start`) | busy | as above | panic | a live handle (nothing is decided yet) | works |
//! | a shared pool value's `Drop` (after the pause) | busy | as above | panic | values are `Send`: no handles | no handles |
//! | an element's `Clone` in `alloc_slice` | idle | works, may collect | work | a live handle | works |
//! | `Hash`/`Eq`/`Ord` of keys in traced collections | never called by the collector: tracing only iterates | | | | |
//!
//! While a heap is being dropped nothing can name it (its `Drop` has it mutably): user code
//! its final cycles run may use other heaps, which are idle.
//!
//! Between the steps of an incremental cycle the heap is idle: the program does anything it
//! likes, at the cost of the barriers (rules 9 and 10). `collect()` then abandons the cycle
//! and runs a whole one; `verify()` first completes it. During a step only `Trace::trace`
//! runs (the first row); finalizers run in its final pause, destructors in the lazy sweep
//! after it, and the `LocalPool` drain in its start pause, as in the rows above.
//!
//! # Incremental full cycles
//! With [`Config::incremental`], a pacing-triggered full cycle does not stop the program for
//! its whole length (`incremental/`): a start pause (a young cycle if the nursery holds
//! anything, the pools' drain, the switch to marking), then counting, root finding and
//! marking in steps, a final pause (the last greyed objects, finalizers, the switch to
//! sweeping), and the lazy sweep. A step runs when an allocation has used its share (a
//! thirty-second of the goal, at most 16 KiB) and does the work those bytes paid for: the
//! work left over the bytes left to the goal, so the marking ends before the heap reaches it. A step also ends at
//! [`Config::pause_target`]. Past the goal, every step works to its pause target and steps
//! come eight times as often; if the
//! program outruns the steps by half the goal again, the rest is done in one stop and the
//! cycle says so ([`CycleStats::outrun`]); `max_heap_bytes`
//! stays a hard limit (a whole cycle runs before it would be passed). The cycle starts 70%
//! of the way from the last live size to the goal.
//!
//! Costs: a stop is bounded by the pause target plus one page's walk, whatever the heap's
//! size; the start pause grows with the pools and with what the young cycle before it does,
//! the final pause with the weak slots and the pages. Objects born during marking survive
//! the cycle (they are collected by the next), so the heap holds more between cycles than
//! with stop-the-world cycles. The barriers cost one thread-local test per `Gc::clone`,
//! `WeakGc::upgrade` and `GcCell::borrow_mut` when no heap marks.
//!
//! # Pacing
//! Like Go with `GOGC`: after a cycle that leaves `live` bytes, the next one starts when an
//! allocation would take the heap past `max(min_heap_bytes, live * (1 + gc_percent / 100))`.
//! The collector's work is proportional to the live heap, and it runs once per
//! `live * gc_percent / 100` bytes allocated, so its cost per allocated byte stays constant as
//! the heap grows. `max_heap_bytes` is a hard limit on top: [`Heap::try_alloc`] fails when even
//! a collection cannot make room. [`Config::torture`] (or `PROLOGUE_GC_TORTURE=1`) collects and
//! verifies at every allocation, to find missing `trace` edges.
//!
//! # Observing the collector
//! [`Heap::collect`] returns the cycle's [`CycleStats`] (per-phase durations, objects and
//! bytes freed and live, heap size before and after, the next goal, pools and items drained);
//! [`Heap::stats`] gives the totals and the pause distribution (p50/p90/p99 from an HDR
//! histogram, max, total); [`Heap::on_cycle`] registers an observer called after every cycle;
//! `PROLOGUE_GCTRACE=1` prints one line per cycle to stderr, like Go's `GODEBUG=gctrace=1`
//! (the line is [`CycleStats`]'s `Display`). With the `serde` feature the statistics and [`Config`] derive
//! `serde::Serialize`, durations as integer nanoseconds. [`Heap::verify`] checks the heap's
//! invariants (torture mode runs it after every cycle).
//!
//! # What the design does not collect
//! - A cycle that spans two heaps (an object of A holds B's object, which holds A's): each
//!   heap sees the other's handle as held from outside, so neither frees its half until one
//!   edge is cut.
//! - A handle in a field marked `#[trace(skip)]`, or inside a `GcCell` that stays mutably
//!   borrowed, counts as held from outside: its object is kept.
//! - Objects still reachable from outside when their [`Heap`] is dropped are leaked (their
//!   memory stays valid so the handles keep working; their values are never dropped).
//!
//! # Memory: pages, size classes, headers
//! Small objects (up to 2 KiB, alignment at most 8) live in 64 KiB pages of equal slots, in 26
//! size classes (`size_class.rs`, `page.rs`, `alloc.rs`). Each class claims one bitmap word of
//! its current page's free slots at a time and hands them out with a trailing-zeros count, and
//! an allocation budget lets allocations skip the pacing checks until a cycle could be due
//! (`slot_cache.rs`); a page's metadata (bitmap, class, sweep state) sits in a side table, so
//! the collector's passes walk bitmaps and touch only slots that hold objects, and a page's
//! first word holds its index, so an object's page is found by masking its address.
//! Pages a sweep empties return to one pool that serves every class; empty pages beyond a
//! reserve go back to the system allocator after an eager sweep. Larger or over-aligned objects
//! are one system allocation each; the memory of a freed one is kept (two blocks at most,
//! within the bytes in use or 16 MiB) for the next large object of exactly its layout, so a
//! program that drops and remakes a big vector reuses memory already mapped.
//!
//! One object costs its 16-byte header (a vtable offset, the handle count, the heap id, and
//! flags that also carry the size class and root discovery's internal count; `header.rs` says
//! how 24 bytes became 16) plus rounding up to its class, and 8 more bytes for the length of a
//! `str` or slice; a page adds 8 bytes and about 400 bytes of side table (0.6%). A
//! binary-trees node (16-byte value) takes 32 bytes, as a `Box` node does.
//!
//! bumpalo is not used: besides the objects, a cycle needs only the mark stack and a few
//! scratch lists (condemned objects, the young list, the release step's worklist and released
//! old objects), which are `Vec`s kept from cycle to cycle, so a warmed-up cycle allocates
//! nothing; a bump region would be a second way to get the same. Objects themselves cannot
//! live in a bump region: they are freed one by one and their slots reused.
//!
//! With the `valgrind` feature the pages tell memcheck which slots are free (no-access) and which
//! are new (undefined), so a use after free inside a page is still reported (`valgrind.rs`).
//!
//! # Generations and lazy sweeping
//! Most cycles are *young* (`young.rs`). A young cycle first *releases* every young object no
//! handle names, and what that frees in turn, old objects included (`release.rs`): a handle
//! count of zero proves an object unreachable, so most garbage goes without being traced, by
//! reference counting deferred to the cycle. It then counts, marks and sweeps only the young
//! objects that are left, needs no write barrier (an old object's handle makes its young
//! target look held from outside), promotes the survivors, and neither drains pools nor runs
//! finalizers. A *full* cycle runs when the old generation has grown by `gc_percent` over what
//! the last full cycle left live, and on `collect()`; it is what frees garbage cycles that
//! reach old objects. A pacing-triggered full cycle sweeps *lazily* (`lazy.rs`): allocation
//! sweeps pages of its own class one at a time, and whatever is left is finished before the
//! next cycle counts anything; `collect()` always sweeps before it returns. `sweep.rs` explains
//! why reusing a slot while other pages are unswept is safe (a dead object is freed only at
//! handle count zero, so no unswept dead object can still point into a reused slot).
//!
//! # How the pause grows with live and dead objects
//! A handle clone or drop is one non-atomic increment or decrement, a dereference one flag
//! check. A full cycle traces every object once to count (live or dead), reads every header
//! once more to find the roots, traces every live object again to mark, and sweeps: the pause
//! grows linearly with live objects and, through root discovery and an eager sweep, with dead
//! ones. Per dead object a cycle pays one trace and one header read to count it and, in an
//! eager sweep, its drop and free; a lazy sweep moves the drop and free out of the pause.
//!
//! A young cycle's pause grows with what it frees and what survives, not with the heap: each
//! object it releases costs one count reaching zero and its drop (or one trace, for values
//! whose drop is their trace), each survivor one trace to count, one to mark and its promotion
//! (only its promotion, in the young cycles that skip the mark: `young.rs`).
//! The old objects one young cycle releases are bounded by a budget of the young list's size
//! (`release.rs`), and with incremental cycles on by half the pause target's time: without
//! it, a young cycle that drops the last handle to a large promoted tree would release the
//! whole tree in one pause, which can take longer than a full cycle over the same heap
//! (released objects are freed one by one, in no address order). With incremental cycles on,
//! the nursery is also sized so that a young cycle takes about half the pause target (from
//! the last young cycle's time per byte), a young mark that reaches the target promotes what
//! it has not proven dead instead of going on, and the full cycle runs in bounded steps (see
//! "Incremental full cycles"): no stop is then proportional to the heap. With them off, the
//! stop-the-world full cycle is.
//!
//! The measured costs (pause per phase by live and dead objects, per-object costs fitted from
//! them, young and full cycles on binary-trees) are in `BENCHMARKS.md` at the repository
//! root, which `benches/regenerate.sh` rebuilds from the `gc_pause` and `binary_trees` benches;
//! `cargo run --release -p prologue-gc --example pause -- N` times one heap of N live objects.

mod alloc;
mod barrier;
mod cell;
mod census;
mod config;
mod cycle;
mod finalize;
mod gc;
mod gctrace;
mod header;
mod heap;
mod heap_alloc;
mod incremental;
mod lazy;
mod mark;
mod mmu;
mod observers;
mod pacing;
mod page;
mod prefetch;
mod recorder;
mod release;
mod retainers;
mod roots;
mod size_class;
mod slot;
mod slot_cache;
mod spans;
mod stats;
mod sweep;
mod thin;
mod trace;
mod trace_impls;
mod valgrind;
mod verify;
mod weak;
mod young;

pub use cell::{BorrowError, BorrowMutError, GcCell, GcRef, GcRefMut};
pub use census::{Census, CensusEntry, HeapBusy};
pub use config::Config;
pub use finalize::Finalize;
pub use gc::Gc;
pub use heap::Heap;
pub use heap_alloc::AllocError;
pub use recorder::{Pause, PauseKind};
pub use retainers::{Retainer, RetainerPath, RetainersError};
pub use slot::{GcSlot, SlotValue};
pub use stats::{CycleStats, HeapStats, Trigger};
pub use thin::{GcSlice, GcStr};
pub use trace::{Trace, Tracer};
pub use weak::WeakGc;

/// `#[derive(Trace)]`: implements [`Trace`] by visiting every field, except those marked
/// `#[trace(skip)]` (which must hold no handles). It refuses types that implement `Drop`.
/// `#[trace(crate = "path")]` on the type names this crate when it is re-exported under
/// another path (the default is `::prologue_gc`). Self-recursive types (`Box<Expr>` fields)
/// just work; mutually recursive ones need `#[trace(recursive)]` on one of them.
/// `#[trace(skip)]` on a field holding a `Gc` is not unsound, but that handle then counts as
/// held from outside the heap, so its object (and what it reaches) is never collected.
pub use prologue_gc_derive::Trace;

/// The derive the `prologue` facade re-exports as `Trace` (its code names `::prologue`).
#[doc(hidden)]
pub use prologue_gc_derive::PrologueTrace;
