//! The gctrace line and (with the `serde` feature) the JSON form of the statistics.

use prologue_gc::{Config, CycleStats, Heap, Trigger};
use std::time::Duration;

#[test]
fn the_gctrace_line_names_every_phase_and_the_heap_sizes() {
    let heap = Heap::with_config(Config::default().torture(false));
    let _kept = heap.alloc([0u8; 1000]);
    drop(heap.alloc([0u8; 1000]));
    let cycle = heap.collect();
    let line = cycle.to_string();
    assert!(line.starts_with("gc 1 @"), "{line}");
    assert!(line.contains(" explicit: "), "{line}");
    assert!(
        line.contains("clear_pools+release+roots+mark+sweep"),
        "{line}"
    );
    assert!(line.contains("heap->live->goal"), "{line}");
    assert!(line.contains("1 roots, 1 live, 1 freed"), "{line}");
    assert!(!line.contains('\n'));
}

/// The line is `CycleStats`'s `Display`, figure by figure: built here from a default
/// `CycleStats` (what a user testing an observer does), so every field's place is pinned.
#[test]
fn the_gctrace_line_is_the_display_of_cycle_stats() {
    let ms = Duration::from_micros;
    let mut cycle = CycleStats::default();
    cycle.cycle = 7;
    cycle.trigger = Trigger::Pacing;
    cycle.at = Duration::from_millis(412);
    cycle.clear_pools = ms(3);
    cycle.release = ms(0);
    cycle.roots = ms(210);
    cycle.mark = ms(350);
    cycle.sweep = ms(120);
    cycle.pause = ms(690);
    cycle.pool_drop = ms(4);
    cycle.heap_before = 8192 << 10;
    cycle.heap_after = 4100 * 1024 + 512;
    cycle.next_goal = 8201 << 10;
    cycle.roots_found = 1;
    cycle.objects_live = 5120;
    cycle.objects_freed = 4890;
    cycle.pools_drained = 2;
    cycle.pool_items_drained = 31;
    assert_eq!(
        cycle.to_string(),
        "gc 7 @0.412s pacing: 0.003+0.000+0.210+0.350+0.120 ms \
         clear_pools+release+roots+mark+sweep = 0.690 ms pause (+0.004 ms pool drop); \
         8192.0->4100.5->8201.0 KiB heap->live->goal; 1 roots, 5120 live, 4890 freed \
         (0 released); 2 pools, 31 items drained"
    );

    // An incremental cycle says how many stops it took, the longest, and its wall time.
    cycle.incremental = true;
    cycle.stops = 12;
    cycle.longest_stop = ms(210);
    cycle.wall = Duration::from_millis(35);
    cycle.outrun = true;
    let line = cycle.to_string();
    assert!(
        line.contains(
            "= 0.690 ms pause in 12 stops, longest 0.210 ms over 35.000 ms, outrun (+0.004"
        ),
        "{line}"
    );
}

#[test]
fn a_default_cycle_stats_is_an_explicit_cycle_that_did_nothing() {
    let cycle = CycleStats::default();
    assert_eq!(cycle.trigger, Trigger::Explicit);
    assert_eq!(cycle.pause, Duration::ZERO);
    assert_eq!(
        (cycle.objects_freed, cycle.objects_live, cycle.stops),
        (0, 0, 0)
    );
    assert!(!cycle.incremental);
}

#[cfg(feature = "serde")]
#[test]
fn statistics_serialize_with_durations_in_nanoseconds() {
    let heap = Heap::with_config(Config::default().torture(false));
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

/// Run in a child process by the test below, with `PROLOGUE_GCTRACE=1`.
#[test]
fn gctrace_child() {
    if std::env::var("PROLOGUE_GCTRACE_CHILD").is_err() {
        return;
    }
    let heap = Heap::with_config(Config::default().torture(false));
    heap.collect();
    heap.collect();
}

#[test]
fn prologue_gctrace_prints_one_line_per_cycle_to_stderr() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "gctrace_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PROLOGUE_GCTRACE", "1")
        .env("PROLOGUE_GCTRACE_CHILD", "1")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("gc ")).collect();
    // Two explicit cycles, then the heap's final cycle when it is dropped.
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[0].starts_with("gc 1 @") && lines[1].starts_with("gc 2 @"),
        "{stderr}"
    );
    assert!(lines[2].contains("heap-drop"), "{stderr}");
}
