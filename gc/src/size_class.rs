//! Size classes of the small-object allocator: which slot size an object of a given layout
//! gets.
//!
//! Objects up to [`MAX_SMALL`] bytes with an alignment of at most 8 live in fixed-size slots
//! of 64 KiB pages (see `page.rs`). The classes step by 8 bytes up to 64, then by a quarter of
//! each power of two, so a slot wastes at most about 20% of its size (25% just above a power of
//! two), the trade-off jemalloc and Go's `sizeclasses.go` make too. Larger or over-aligned
//! objects are allocated one by one from the system allocator ("large" objects).

use std::alloc::Layout;

/// The largest object (header included) that gets a slot in a page.
pub(crate) const MAX_SMALL: usize = 2048;

/// Slot sizes, ascending. Every one is a multiple of 8, so every slot of a page is 8-aligned.
pub(crate) const CLASS_SIZES: [u32; 26] = [
    24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768,
    896, 1024, 1280, 1536, 1792, 2048,
];

/// Number of size classes.
pub(crate) const CLASSES: usize = CLASS_SIZES.len();

/// `LOOKUP[(size + 7) / 8]` is the class of an object of `size` bytes.
const LOOKUP: [u8; MAX_SMALL / 8 + 1] = {
    let mut table = [0u8; MAX_SMALL / 8 + 1];
    let mut words = 0;
    let mut class = 0;
    while words <= MAX_SMALL / 8 {
        while (CLASS_SIZES[class] as usize) < words * 8 {
            class += 1;
        }
        table[words] = class as u8;
        words += 1;
    }
    table
};

/// The class of an object with this layout, or `None` for a large object.
#[inline]
pub(crate) const fn class_for(layout: Layout) -> Option<u8> {
    if layout.size() > MAX_SMALL || layout.align() > 8 {
        None
    } else {
        Some(LOOKUP[layout.size().div_ceil(8)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_small_size_gets_the_smallest_class_that_fits() {
        for size in 1..=MAX_SMALL {
            let class = class_for(Layout::from_size_align(size, 8).unwrap()).unwrap() as usize;
            assert!(CLASS_SIZES[class] as usize >= size, "size {size}");
            if class > 0 {
                assert!(
                    (CLASS_SIZES[class - 1] as usize) < size.max(24),
                    "size {size}"
                );
            }
        }
    }

    #[test]
    fn big_and_over_aligned_objects_are_large() {
        assert_eq!(
            class_for(Layout::from_size_align(MAX_SMALL + 1, 8).unwrap()),
            None
        );
        assert_eq!(class_for(Layout::from_size_align(64, 16).unwrap()), None);
    }
}
