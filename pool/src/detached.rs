//! [`Detached`]: one value a drain took, type-erased and stored inline, to be dropped later.
//!
//! A drain takes one container (a [`Generation`](crate::shard::Generation)) out of each shard
//! and must hold them, whatever their pool's value type, until it drops them after the pause.
//! Boxing each one as a `Box<dyn Send>` would cost an allocation per shard inside the pause; a
//! `Detached` keeps the container's few words inline, next to the function that drops it, so
//! the drain's only allocation is its one list of them (kept from drain to drain).

use std::cell::Cell;
use std::marker::PhantomData;
use std::mem::{align_of, size_of, MaybeUninit};

/// Inline capacity, in words: a `Vec` and a `VecDeque` (seven words) fit.
const WORDS: usize = 8;

type Storage = [usize; WORDS];

/// An owned value of any `Send + 'static` type that fits in [`WORDS`] words (checked at
/// compile time), dropped when this is dropped. `'static` because nothing ties a `Detached`
/// to the lifetimes inside its value: it may be dropped after any borrow has ended.
///
/// `Send` by construction: [`new`](Self::new) accepts only `Send` values. `!Sync` (it never
/// lends its value out, but claims no more than it needs).
pub(crate) struct Detached {
    /// Holds a value of the type `drop_value` was instantiated with, initialised (rule of `new`).
    storage: MaybeUninit<Storage>,
    /// Drops the value in `storage` in place.
    drop_value: unsafe fn(*mut Storage),
    _not_sync: PhantomData<Cell<()>>,
}

/// Whether a `V` fits in the inline storage.
const fn fits<V>() -> bool {
    size_of::<V>() <= size_of::<Storage>() && align_of::<V>() <= align_of::<Storage>()
}

/// Drops the `V` stored at `storage`.
///
/// # Safety
/// `storage` holds an initialised `V` (so `V` fits), which the caller never uses again.
unsafe fn drop_in_storage<V>(storage: *mut Storage) {
    // SAFETY: the caller's contract: an initialised `V`, aligned (it fits), used once.
    unsafe { storage.cast::<V>().drop_in_place() }
}

impl Detached {
    /// Takes ownership of `value`, stored inline.
    #[inline]
    pub(crate) fn new<V: Send + 'static>(value: V) -> Self {
        // A drain's `Generation` (a `Vec` and a `VecDeque`) fits whatever its value type: a
        // type that does not is a compile error here, not a hidden allocation in the pause.
        const { assert!(fits::<V>(), "Detached holds values of at most WORDS words") };
        let mut storage = MaybeUninit::<Storage>::uninit();
        // SAFETY: `V` fits (asserted at compile time): the write stays inside `storage` and is
        // aligned; the storage is uninitialised, so nothing is overwritten without being dropped.
        unsafe { storage.as_mut_ptr().cast::<V>().write(value) };
        Detached {
            storage,
            drop_value: drop_in_storage::<V>,
            _not_sync: PhantomData,
        }
    }
}

impl Drop for Detached {
    fn drop(&mut self) {
        // SAFETY: `storage` holds the initialised `V` that `drop_value` was instantiated with
        // (`new` wrote both), and `drop` runs once, so it is never used again.
        unsafe { (self.drop_value)(self.storage.as_mut_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::Detached;
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    use std::sync::Arc;

    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Relaxed);
        }
    }

    #[test]
    fn drops_its_value_exactly_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let first = Detached::new(Counted(drops.clone()));
        let second = Detached::new(Counted(drops.clone()));
        let moved = vec![first, second]; // moving them keeps the values intact
        assert_eq!(drops.load(Relaxed), 0);
        drop(moved);
        assert_eq!(drops.load(Relaxed), 2);
    }
}
