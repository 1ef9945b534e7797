//! The gctrace line and (with the `serde` feature) the JSON form of the statistics.

use prologue_gc::{Config, Heap};

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
