//! Helpers shared by the gc crate's integration tests.

use std::cell::RefCell;
use std::rc::Rc;

use prologue_gc::{CycleStats, Heap, Trigger};

#[allow(dead_code)] // not every test file resurrects
pub mod resurrect;
pub mod stepping;

/// Allocates small garbage until a young cycle runs on `heap` (whose pacing goal must be far
/// enough away that no full cycle comes first); returns the cycle's statistics. The allocation
/// that started the cycle is left behind as one garbage object.
#[allow(dead_code)] // not every test file runs young cycles
pub fn run_young_cycle(heap: &Heap) -> CycleStats {
    run_young_cycle_with_filler(heap).0
}

/// [`run_young_cycle`], and how many garbage integers it allocated before the cycle started:
/// no handle names them, so the cycle's release step frees every one of them, and a test can
/// tell exactly how many of `objects_released` were its own objects.
#[allow(dead_code)] // not every test file runs young cycles
pub fn run_young_cycle_with_filler(heap: &Heap) -> (CycleStats, usize) {
    let seen = Rc::new(RefCell::new(None));
    let sink = seen.clone();
    heap.on_cycle(move |c| {
        sink.borrow_mut().get_or_insert_with(|| c.clone());
    });
    let mut filler = 0;
    loop {
        drop(heap.alloc(filler as u64));
        if seen.borrow().is_some() {
            break;
        }
        filler += 1;
    }
    let cycle = seen.borrow_mut().take().expect("a cycle ran");
    assert_eq!(cycle.trigger, Trigger::Young);
    (cycle, filler)
}

/// Go's `testing.Short()`: `PROLOGUE_SHORT=1` asks for small sizes (CI's valgrind and torture
/// passes).
#[allow(dead_code)] // not every test file has a size knob
pub fn short() -> bool {
    std::env::var("PROLOGUE_SHORT").is_ok_and(|v| v == "1")
}

/// A proptest runner with a fixed seed (ChaCha, deterministic) that writes no failure files,
/// and the longest program to generate: 24 programs of up to 60 steps with
/// `PROLOGUE_SHORT=1` (CI's valgrind and torture passes), 256 of up to 200 otherwise.
#[allow(dead_code)] // not every test file runs programs
pub fn seeded_runner() -> (proptest::test_runner::TestRunner, usize) {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let (cases, max_len) = if short() { (24, 60) } else { (256, 200) };
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    (runner, max_len)
}

/// The text of a panic's payload (`panic!` with a literal or with formatting).
#[allow(dead_code)] // not every test file catches panics
pub fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        String::from("<non-string panic>")
    }
}
