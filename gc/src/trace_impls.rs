//! [`Trace`] for standard types.
//!
//! Leaf types (numbers, strings, ...) have `NEEDS_TRACE = false`, and containers forward it, so
//! a `Vec<u64>` costs the collector nothing. There is deliberately no impl for `Rc`, `Arc` or
//! `RefCell`: shared owners hide how many handles exist (rule 3 of [`Trace`]); use
//! [`GcCell`](crate::GcCell) for interior mutability.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, LinkedList, VecDeque};
use std::marker::PhantomData;

use crate::trace::{Trace, Tracer};

macro_rules! leaf {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: the type holds no handles (rules 1 and 4).
        unsafe impl Trace for $t {
            const NEEDS_TRACE: bool = false;
            #[inline]
            fn trace(&self, _: &mut Tracer) {}
        }
    )*};
}

/// Calls `$m!` with the plain `Copy` types that hold no handle: leaves whose clone is a copy
/// of bits (so `slot.rs` makes them `SlotValue`s too).
macro_rules! plain_copy_types {
    ($m:ident) => {
        $m!(
            (),
            bool,
            char,
            u8,
            u16,
            u32,
            u64,
            u128,
            usize,
            i8,
            i16,
            i32,
            i64,
            i128,
            isize,
            f32,
            f64,
            &'static str,
            std::num::NonZeroU8,
            std::num::NonZeroU16,
            std::num::NonZeroU32,
            std::num::NonZeroU64,
            std::num::NonZeroUsize,
            std::num::NonZeroI32,
            std::num::NonZeroI64,
            std::time::Duration,
            std::time::Instant,
            std::time::SystemTime,
            std::cmp::Ordering
        );
    };
}
pub(crate) use plain_copy_types;

plain_copy_types!(leaf);

leaf!(
    str,
    String,
    std::path::Path,
    std::path::PathBuf,
    std::ffi::OsStr,
    std::ffi::OsString,
    std::sync::atomic::AtomicBool,
    std::sync::atomic::AtomicUsize,
    std::sync::atomic::AtomicU64,
    std::sync::atomic::AtomicI64,
);

// SAFETY: holds no value of `T`.
unsafe impl<T: ?Sized> Trace for PhantomData<T> {
    const NEEDS_TRACE: bool = false;
    #[inline]
    fn trace(&self, _: &mut Tracer) {}
}

// SAFETY: a `Copy` type cannot own a `Gc` (handles are not `Copy`), so there is nothing to visit.
unsafe impl<T: Copy> Trace for Cell<T> {
    const NEEDS_TRACE: bool = false;
    #[inline]
    fn trace(&self, _: &mut Tracer) {}
}

// SAFETY: the box owns its value; visited once.
unsafe impl<T: ?Sized + Trace> Trace for Box<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer) {
        (**self).trace(tracer);
    }
}

// SAFETY: visits each owned element once.
unsafe impl<T: Trace> Trace for [T] {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    const DROP_IS_TRACE: bool = T::DROP_IS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer) {
        if T::NEEDS_TRACE {
            for item in self {
                item.trace(tracer);
            }
        }
    }
}

// SAFETY: visits each owned element once.
unsafe impl<T: Trace, const N: usize> Trace for [T; N] {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    const DROP_IS_TRACE: bool = T::DROP_IS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer) {
        self.as_slice().trace(tracer);
    }
}

// SAFETY: the option owns its value; visited once.
unsafe impl<T: Trace> Trace for Option<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    const DROP_IS_TRACE: bool = T::DROP_IS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer) {
        if let Some(value) = self {
            value.trace(tracer);
        }
    }
}

// SAFETY: visits whichever variant is present, once.
unsafe impl<T: Trace, E: Trace> Trace for Result<T, E> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE || E::NEEDS_TRACE;
    const DROP_IS_TRACE: bool = T::DROP_IS_TRACE && E::DROP_IS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer) {
        match self {
            Ok(value) => value.trace(tracer),
            Err(error) => error.trace(tracer),
        }
    }
}

// SAFETY: the wrapper owns its value; visited once.
unsafe impl<T: Trace> Trace for std::cmp::Reverse<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    const DROP_IS_TRACE: bool = T::DROP_IS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer) {
        self.0.trace(tracer);
    }
}

// SAFETY: the wrapper owns its value; visited once (a value never dropped keeps its targets
// alive, which is a leak, not unsoundness).
unsafe impl<T: ?Sized + Trace> Trace for std::mem::ManuallyDrop<T> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer) {
        (**self).trace(tracer);
    }
}

macro_rules! sequence {
    ($($name:ident),*) => {$(
        // SAFETY: visits each owned element once.
        unsafe impl<T: Trace> Trace for $name<T> {
            const NEEDS_TRACE: bool = T::NEEDS_TRACE;
            #[inline]
            fn trace(&self, tracer: &mut Tracer) {
                if T::NEEDS_TRACE {
                    for item in self.iter() {
                        item.trace(tracer);
                    }
                }
            }
        }
    )*};
}

sequence!(Vec, VecDeque, LinkedList, BinaryHeap, BTreeSet);

// SAFETY: visits each owned element once.
unsafe impl<T: Trace, S> Trace for HashSet<T, S> {
    const NEEDS_TRACE: bool = T::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer) {
        if T::NEEDS_TRACE {
            for item in self {
                item.trace(tracer);
            }
        }
    }
}

// SAFETY: visits each owned key and value once.
unsafe impl<K: Trace, V: Trace, S> Trace for HashMap<K, V, S> {
    const NEEDS_TRACE: bool = K::NEEDS_TRACE || V::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer) {
        if Self::NEEDS_TRACE {
            for (key, value) in self {
                key.trace(tracer);
                value.trace(tracer);
            }
        }
    }
}

// SAFETY: visits each owned key and value once.
unsafe impl<K: Trace, V: Trace> Trace for BTreeMap<K, V> {
    const NEEDS_TRACE: bool = K::NEEDS_TRACE || V::NEEDS_TRACE;
    #[inline]
    fn trace(&self, tracer: &mut Tracer) {
        if Self::NEEDS_TRACE {
            for (key, value) in self {
                key.trace(tracer);
                value.trace(tracer);
            }
        }
    }
}

macro_rules! tuple {
    ($($name:ident)+) => {
        // SAFETY: visits each owned field once.
        unsafe impl<$($name: Trace),+> Trace for ($($name,)+) {
            const NEEDS_TRACE: bool = false $(|| $name::NEEDS_TRACE)+;
            const DROP_IS_TRACE: bool = true $(&& $name::DROP_IS_TRACE)+;
            #[inline]
            #[allow(non_snake_case)]
            fn trace(&self, tracer: &mut Tracer) {
                let ($($name,)+) = self;
                $($name.trace(tracer);)+
            }
        }
    };
}

tuple!(A);
tuple!(A B);
tuple!(A B C);
tuple!(A B C D);
tuple!(A B C D E);
tuple!(A B C D E F);
tuple!(A B C D E F G);
tuple!(A B C D E F G H);
tuple!(A B C D E F G H I);
tuple!(A B C D E F G H I J);
tuple!(A B C D E F G H I J K);
tuple!(A B C D E F G H I J K L);
