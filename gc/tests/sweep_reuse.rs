//! Pins the hazard issue 6 names for lazy sweeping: memory freed by one cycle and reused by new
//! objects must never be touched by the drop of a dead object from that cycle (which would
//! decrement the new occupant's handle count). With eager sweeping this holds trivially; a
//! lazy or deferred sweep must keep it.

use prologue_gc::{Config, Gc, GcCell, Heap, Trace};

#[derive(Trace)]
struct Pair {
    other: GcCell<Option<Gc<Pair>>>,
    value: u64,
}

#[test]
fn objects_reusing_freed_memory_keep_exact_handle_counts() {
    let short = std::env::var("PROLOGUE_SHORT").is_ok_and(|v| v == "1");
    let n = if short { 2_000 } else { 50_000 };
    let heap = Heap::with_config(Config {
        torture: false,
        ..Config::default()
    });
    for round in 0..3u64 {
        // Garbage cycles: each dead object's drop decrements its partner.
        for i in 0..n {
            let a = heap.alloc(Pair {
                other: GcCell::new(None),
                value: i,
            });
            let b = heap.alloc(Pair {
                other: GcCell::new(Some(a.clone())),
                value: i,
            });
            *a.other.borrow_mut() = Some(b);
        }
        heap.collect();
        // New objects, likely at the addresses just freed.
        let fresh: Vec<Gc<Pair>> = (0..2 * n)
            .map(|i| {
                heap.alloc(Pair {
                    other: GcCell::new(None),
                    value: round * 1_000_000 + i,
                })
            })
            .collect();
        assert!(fresh.iter().all(|p| Gc::handle_count(p) == 1));
        let cycle = heap.collect();
        assert_eq!(cycle.objects_live, fresh.len());
        assert!(fresh
            .iter()
            .enumerate()
            .all(|(i, p)| p.value == round * 1_000_000 + i as u64));
        heap.verify();
    }
}
