//! Guards that put a value back into its pool when dropped.

use crate::local_pool::LocalPool;
use crate::pool::Pool;
use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

macro_rules! guard {
    ($(#[$doc:meta])* $name:ident, $pool:ident, $($bound:tt)*) => {
        $(#[$doc])*
        pub struct $name<'a, T: $($bound)*> {
            pool: &'a $pool<T>,
            value: ManuallyDrop<T>,
        }

        impl<'a, T: $($bound)*> $name<'a, T> {
            pub(crate) fn new(pool: &'a $pool<T>, value: T) -> Self {
                $name { pool, value: ManuallyDrop::new(value) }
            }

            /// Takes the value out for good: it will not go back to the pool.
            pub fn into_inner(this: Self) -> T {
                let mut this = ManuallyDrop::new(this);
                // SAFETY: `this` is never used again and its `Drop` never runs, so the value
                // is moved out exactly once.
                unsafe { ManuallyDrop::take(&mut this.value) }
            }

            /// The pool the value goes back to.
            pub fn pool(this: &Self) -> &'a $pool<T> {
                this.pool
            }
        }

        impl<T: $($bound)*> Deref for $name<'_, T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.value
            }
        }

        impl<T: $($bound)*> DerefMut for $name<'_, T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.value
            }
        }

        impl<T: $($bound)*> Drop for $name<'_, T> {
            fn drop(&mut self) {
                // SAFETY: `drop` runs once and `value` is not used after this.
                let value = unsafe { ManuallyDrop::take(&mut self.value) };
                self.pool.put(value);
            }
        }

        impl<T: fmt::Debug + $($bound)*> fmt::Debug for $name<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&*self.value).finish()
            }
        }
    };
}

guard!(
    /// A value from [`Pool::pull`]: derefs to `T` and goes back to the pool when dropped;
    /// [`Pooled::into_inner`] keeps it instead.
    ///
    /// ```
    /// use prologue_pool::Pool;
    ///
    /// let pool = Pool::new(Vec::<u32>::new);
    /// let mut v = pool.pull();
    /// v.push(1);
    /// drop(v);
    /// assert_eq!(pool.try_get(), Some(vec![1]));
    /// ```
    Pooled, Pool, Send + 'static
);

guard!(
    /// A value from [`LocalPool::pull`]: derefs to `T` and goes back to the pool when dropped;
    /// [`LocalPooled::into_inner`] keeps it instead.
    ///
    /// ```
    /// use prologue_pool::LocalPool;
    /// use std::rc::Rc;
    ///
    /// let pool = LocalPool::new(|| Rc::new(0));
    /// let one = pool.pull();
    /// assert_eq!(**one, 0);
    /// drop(one);
    /// assert!(pool.try_get().is_some());
    /// ```
    LocalPooled, LocalPool, 'static
);
