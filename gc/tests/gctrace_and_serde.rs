//! The gctrace line and (with the `serde` feature) the JSON form of the statistics.

use prologue_gc::{gctrace_line, Config, Heap};

#[test]
fn the_gctrace_line_names_every_phase_and_the_heap_sizes() {
    let heap = Heap::with_config(Config {
        torture: false,
        ..Config::default()
    });
    let _kept = heap.alloc([0u8; 1000]);
    drop(heap.alloc([0u8; 1000]));
    let cycle = heap.collect();
    let line = gctrace_line(&cycle);
    assert!(line.starts_with("gc 1 @"), "{line}");
    assert!(line.contains(" explicit: "), "{line}");
    assert!(line.contains("clear_pools+roots+mark+sweep"), "{line}");
    assert!(line.contains("heap->live->goal"), "{line}");
    assert!(line.contains("1 roots, 1 live, 1 freed"), "{line}");
    assert!(!line.contains('\n'));
}

#[cfg(feature = "serde")]
#[test]
fn statistics_serialize_with_durations_in_nanoseconds() {
    let heap = Heap::with_config(Config {
        torture: false,
        ..Config::default()
    });
    let cycle = heap.collect();
    let json = serde_json::to_value(&cycle).unwrap();
    assert_eq!(json["cycle"], 1);
    assert_eq!(json["trigger"], "Explicit");
    assert_eq!(
        json["pause"].as_u64().unwrap() as u128,
        cycle.pause.as_nanos()
    );
    let stats = serde_json::to_value(heap.stats()).unwrap();
    assert_eq!(stats["cycles"], 1);
    assert!(stats["pause_p99"].is_u64());
    let config = serde_json::to_value(heap.config()).unwrap();
    assert_eq!(config["gc_percent"], 100);
}
