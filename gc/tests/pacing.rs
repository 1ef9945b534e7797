//! Pacing and limits: GOGC-style goals keep a garbage loop bounded; max_heap_bytes holds.
//!
//! These tests pin exact cycle behaviour, so they build their heaps with `torture: false`
//! whatever `PROLOGUE_GC_TORTURE` says.

use std::panic::{catch_unwind, AssertUnwindSafe};

use prologue_gc::{Config, Gc, Heap, Trigger};

fn short() -> bool {
    std::env::var("PROLOGUE_SHORT").is_ok_and(|v| v == "1")
}

#[test]
fn a_garbage_loop_keeps_the_heap_bounded() {
    let min = 256 << 10;
    let heap = Heap::with_config(
        Config::default()
            .gc_percent(100)
            .min_heap_bytes(min)
            .max_heap_bytes(None)
            .torture(false)
            .young_bytes(0)
            // Stop-the-world pacing: the heap never passes its goal (`incremental.rs` pins the
            // incremental bound).
            .incremental(false),
    );
    let live: Vec<Gc<[u64; 4]>> = (0..1000).map(|i| heap.alloc([i; 4])).collect();
    let rounds = if short() { 40_000 } else { 1_000_000 };
    for i in 0..rounds {
        let garbage = heap.alloc([i as u64; 4]);
        assert_eq!(garbage[3], i as u64);
    }
    let stats = heap.stats();
    let object = stats.bytes_allocated as usize / stats.allocations as usize;
    assert!(stats.cycles >= 5, "pacing ran cycles: {stats:?}");
    // The live set is well under the floor, so the heap never passes the floor (plus one object).
    assert!(
        stats.peak_bytes <= min + object,
        "peak {} > goal {min}",
        stats.peak_bytes
    );
    assert_eq!(stats.next_goal, min);
    assert_eq!(live.len(), 1000);
    assert!(live.iter().enumerate().all(|(i, v)| v[0] == i as u64));
}

#[test]
fn the_goal_is_live_bytes_times_one_plus_gc_percent() {
    let heap = Heap::with_config(
        Config::default()
            .gc_percent(50)
            .min_heap_bytes(1024)
            .max_heap_bytes(None)
            .torture(false)
            .young_bytes(0),
    );
    let live: Vec<_> = (0..1000u64).map(|i| heap.alloc(i)).collect();
    let cycle = heap.collect();
    assert_eq!(cycle.next_goal, cycle.heap_after + cycle.heap_after / 2);
    assert_eq!(heap.stats().next_goal, cycle.next_goal);
    // Allocating past the goal starts a pacing cycle, reported as such.
    let triggers = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = triggers.clone();
    heap.on_cycle(move |c| sink.borrow_mut().push(c.trigger));
    let mut extra = Vec::new();
    let cycles = heap.stats().cycles;
    while heap.stats().cycles == cycles {
        extra.push(heap.alloc(0u64));
    }
    assert_eq!(*triggers.borrow(), [Trigger::Pacing]);
    drop((live, extra));
}

#[test]
fn try_alloc_fails_at_the_limit_and_recovers_after_a_collection() {
    let limit = 64 << 10;
    let heap = Heap::with_config(
        Config::default()
            .gc_percent(100)
            .min_heap_bytes(1 << 30) // pacing never triggers: only the limit does
            .max_heap_bytes(limit)
            .torture(false)
            .young_bytes(0),
    );
    let mut kept = Vec::new();
    let error = loop {
        match heap.try_alloc([0u8; 1000]) {
            Ok(gc) => kept.push(gc),
            Err(e) => break e,
        }
    };
    assert_eq!(error.limit, limit);
    assert!(error.heap_bytes + error.requested > limit);
    assert!(heap.stats().bytes <= limit);
    assert!(error.to_string().contains("heap limit exceeded"));
    // The failed attempt ran a collection to make room (nothing was garbage).
    assert!(heap.stats().cycles >= 1);

    // Garbage makes room: the next try_alloc collects (trigger Limit) and succeeds.
    kept.truncate(kept.len() / 2);
    let cycles = heap.stats().cycles;
    assert!(heap.try_alloc([1u8; 1000]).is_ok());
    assert_eq!(heap.stats().cycles, cycles + 1);
    assert!(heap.stats().bytes <= limit);
}

#[test]
fn alloc_panics_clearly_at_the_limit() {
    let heap = Heap::with_config(Config::default().max_heap_bytes(1000).torture(false));
    let result = catch_unwind(AssertUnwindSafe(|| heap.alloc([0u8; 2000])));
    let payload = result.unwrap_err();
    let message = payload.downcast_ref::<String>().unwrap();
    assert!(message.contains("heap limit exceeded"), "{message}");
    // The heap is still usable.
    assert_eq!(*heap.alloc(5u8), 5);
    assert!(heap.try_alloc_str_fits());
}

trait FitsCheck {
    fn try_alloc_str_fits(&self) -> bool;
}

impl FitsCheck for Heap {
    fn try_alloc_str_fits(&self) -> bool {
        &*self.alloc_str("ok") == "ok"
    }
}

#[test]
fn torture_mode_collects_at_every_allocation() {
    let heap = Heap::with_config(
        Config::default()
            .torture(true)
            // (Incremental torture takes a step at every allocation instead: `incremental.rs`.)
            .incremental(false),
    );
    let kept: Vec<_> = (0..50u32).map(|i| heap.alloc(i)).collect();
    assert_eq!(heap.stats().cycles, 50);
    assert!(kept.iter().enumerate().all(|(i, v)| **v == i as u32));
}

/// Run in a child process by the test below.
#[test]
fn torture_env_child() {
    if let Ok(expected) = std::env::var("PROLOGUE_TORTURE_CHILD_EXPECTS") {
        assert_eq!(Config::default().torture.to_string(), expected);
        let heap = Heap::new();
        let _a = heap.alloc(1u8);
        let _b = heap.alloc(2u8);
        assert_eq!(heap.stats().cycles, if expected == "true" { 2 } else { 0 });
    }
}

#[test]
fn prologue_gc_torture_turns_torture_on_for_default_configs() {
    for (value, expected) in [("1", "true"), ("0", "false")] {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "torture_env_child", "--test-threads=1"])
            .env("PROLOGUE_GC_TORTURE", value)
            // Stop-the-world torture: a whole cycle at every allocation.
            .env("PROLOGUE_GC_INCREMENTAL", "0")
            .env("PROLOGUE_TORTURE_CHILD_EXPECTS", expected)
            .status()
            .unwrap();
        assert!(status.success(), "PROLOGUE_GC_TORTURE={value}");
    }
}

/// Run in a child process by the test below.
#[test]
fn incremental_env_child() {
    if let Ok(expected) = std::env::var("PROLOGUE_INCREMENTAL_CHILD_EXPECTS") {
        assert_eq!(Config::default().incremental.to_string(), expected);
    }
}

#[test]
fn incremental_cycles_are_the_default_and_prologue_gc_incremental_0_turns_them_off() {
    for (value, expected) in [(None, "true"), (Some("1"), "true"), (Some("0"), "false")] {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args(["--exact", "incremental_env_child", "--test-threads=1"])
            .env("PROLOGUE_INCREMENTAL_CHILD_EXPECTS", expected);
        match value {
            Some(value) => child.env("PROLOGUE_GC_INCREMENTAL", value),
            None => child.env_remove("PROLOGUE_GC_INCREMENTAL"),
        };
        assert!(
            child.status().unwrap().success(),
            "PROLOGUE_GC_INCREMENTAL={value:?}"
        );
    }
}
