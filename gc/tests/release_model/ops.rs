//! The operations of a random program, and their proptest strategy.

use proptest::prelude::*;

use super::SLOTS;

#[derive(Clone, Debug)]
pub enum Op {
    /// A new node in heap `heap % 2` whose slots name the given local handles (indices
    /// modulo the count; a slot stays empty where the heaps forbid the edge): a new local.
    Alloc {
        heap: usize,
        slots: [Option<usize>; SLOTS],
    },
    /// `count` nodes in heap `heap % 2`, built bottom-up with random edges to each other and
    /// to local handles and a weak handle kept to some (drawn from `seed`), closed into a
    /// cycle if `cycle`, then dropped; all while the cell of local `borrowed` (if any) is
    /// mutably borrowed.
    Garbage {
        heap: usize,
        count: usize,
        seed: u64,
        cycle: bool,
        borrowed: Option<usize>,
    },
    /// Store a clone of local `to` in slot `slot` of local `from` (dropping the old handle).
    Link {
        from: usize,
        slot: usize,
        to: usize,
    },
    /// Empty a slot of a local (dropping its handle).
    Unlink {
        from: usize,
        slot: usize,
    },
    /// Move a slot's handle out into a new local.
    Take {
        from: usize,
        slot: usize,
    },
    DropLocal(usize),
    CloneLocal(usize),
    /// Put a clone of a local into the pool.
    PoolPut(usize),
    /// Move a local into the pool.
    PoolMove(usize),
    /// Take the newest pooled handle back as a local.
    PoolGet,
    /// Keep a weak handle to a local's node.
    Downgrade(usize),
    /// Upgrade a kept weak handle; a successful upgrade is a new local.
    Upgrade(usize),
    /// `collect()` heap B, then heap A, and check everything exactly.
    Collect,
    /// `collect()` one heap only.
    CollectOne(usize),
}

pub fn op() -> impl Strategy<Value = Op> {
    let slots = prop::array::uniform3(prop::option::of(any::<usize>()));
    prop_oneof![
        6 => (any::<usize>(), slots).prop_map(|(heap, slots)| Op::Alloc { heap, slots }),
        5 => (
            any::<usize>(),
            1..12usize,
            any::<u64>(),
            any::<bool>(),
            prop::option::weighted(0.2, any::<usize>()),
        )
            .prop_map(|(heap, count, seed, cycle, borrowed)| Op::Garbage {
                heap,
                count,
                seed,
                cycle,
                borrowed,
            }),
        4 => (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(from, slot, to)| Op::Link { from, slot, to }),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(from, slot)| Op::Unlink { from, slot }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(from, slot)| Op::Take { from, slot }),
        4 => any::<usize>().prop_map(Op::DropLocal),
        1 => any::<usize>().prop_map(Op::CloneLocal),
        1 => any::<usize>().prop_map(Op::PoolPut),
        1 => any::<usize>().prop_map(Op::PoolMove),
        1 => Just(Op::PoolGet),
        1 => any::<usize>().prop_map(Op::Downgrade),
        2 => any::<usize>().prop_map(Op::Upgrade),
        1 => Just(Op::Collect),
        1 => any::<usize>().prop_map(Op::CollectOne),
    ]
}
