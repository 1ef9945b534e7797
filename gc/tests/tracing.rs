//! The `tracing` feature: a subscriber sees one span per stop of the collector and the phase
//! and cycle events inside it. Run with `cargo test -p prologue-gc --features tracing --test
//! tracing` (CI does).
#![cfg(feature = "tracing")]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use prologue_gc::{Config, Gc, GcCell, Heap, Trace};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// What the recorder saw: span names in the order entered, and each event's message, its
/// `phase` field and the span it happened in.
#[derive(Default)]
struct Seen {
    spans: Vec<&'static str>,
    events: Vec<(String, Option<String>, Option<&'static str>)>,
    figures: Vec<(String, u64)>,
}

struct Recorder {
    seen: Arc<Mutex<Seen>>,
    names: Mutex<Vec<&'static str>>,
    current: Mutex<Vec<u64>>,
    next: AtomicU64,
}

#[derive(Default)]
struct Fields {
    message: String,
    phase: Option<String>,
    numbers: Vec<(String, u64)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "phase" {
            self.phase = Some(value.to_string());
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.numbers.push((field.name().to_string(), value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        }
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "prologue_gc"
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut names = self.names.lock().unwrap();
        names.push(span.metadata().name());
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        assert_eq!(id as usize, names.len());
        Id::from_u64(id)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let names = self.names.lock().unwrap();
        let within = self
            .current
            .lock()
            .unwrap()
            .last()
            .map(|&id| names[id as usize - 1]);
        let mut seen = self.seen.lock().unwrap();
        seen.figures.extend(fields.numbers);
        seen.events.push((fields.message, fields.phase, within));
    }
    fn enter(&self, span: &Id) {
        let name = self.names.lock().unwrap()[span.into_u64() as usize - 1];
        self.seen.lock().unwrap().spans.push(name);
        self.current.lock().unwrap().push(span.into_u64());
    }
    fn exit(&self, span: &Id) {
        let popped = self.current.lock().unwrap().pop();
        assert_eq!(popped, Some(span.into_u64()));
    }
}

fn recorded(f: impl FnOnce()) -> Seen {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let recorder = Recorder {
        seen: seen.clone(),
        names: Mutex::new(Vec::new()),
        current: Mutex::new(Vec::new()),
        next: AtomicU64::new(0),
    };
    tracing::subscriber::with_default(recorder, f);
    Arc::try_unwrap(seen)
        .ok()
        .expect("the subscriber is gone")
        .into_inner()
        .unwrap()
}

#[derive(Trace)]
struct Node {
    next: GcCell<Option<Gc<Node>>>,
}

#[test]
fn a_full_cycle_is_a_span_holding_its_phases_and_figures() {
    let config = Config::default().torture(false);
    let heap = Heap::with_config(config);
    let keep = heap.alloc(Node {
        next: GcCell::new(None),
    });
    let seen = recorded(|| {
        for _ in 0..3 {
            drop(heap.alloc(Node {
                next: GcCell::new(Some(keep.clone())),
            }));
        }
        heap.collect();
    });
    assert_eq!(seen.spans, ["gc_full"]);
    let phases: Vec<&str> = seen
        .events
        .iter()
        .filter(|e| e.0 == "gc phase")
        .map(|e| e.1.as_deref().unwrap())
        .collect();
    assert_eq!(
        phases,
        [
            "sweep_finish",
            "clear_pools",
            "roots",
            "mark",
            "sweep",
            "pool_drop"
        ]
    );
    let cycle: Vec<_> = seen.events.iter().filter(|e| e.0 == "gc cycle").collect();
    assert_eq!(cycle.len(), 1);
    // Every event happened inside the cycle's span.
    assert!(seen.events.iter().all(|e| e.2 == Some("gc_full")));
    let figure = |name: &str| {
        seen.figures
            .iter()
            .filter(|(n, _)| n == name)
            .map(|&(_, v)| v)
            .collect::<Vec<u64>>()
    };
    assert_eq!(figure("objects_freed"), [3, 3]); // the sweep phase and the cycle
    assert_eq!(figure("objects_marked"), [1]);
    assert!(figure("pause_ns")[0] > 0);
    drop(keep);
}

#[test]
fn young_and_incremental_cycles_have_spans_of_their_own() {
    let config = Config::default()
        .torture(false)
        .young_bytes(64 << 10)
        .min_heap_bytes(1 << 20)
        .incremental(true);
    let heap = Heap::with_config(config);
    let _keep: Vec<Gc<Node>> = (0..1000)
        .map(|_| {
            heap.alloc(Node {
                next: GcCell::new(None),
            })
        })
        .collect();
    let seen = recorded(|| {
        // Young cycles promote what the ring holds, which dies old: the old generation grows
        // until an incremental full cycle starts, steps and ends.
        let mut ring = std::collections::VecDeque::new();
        for _ in 0..200_000 {
            ring.push_back(heap.alloc(Node {
                next: GcCell::new(None),
            }));
            if ring.len() > 5000 {
                ring.pop_front();
            }
        }
    });
    for name in [
        "gc_young",
        "gc_incremental_start",
        "gc_incremental_step",
        "gc_incremental_finish",
    ] {
        assert!(seen.spans.contains(&name), "no {name} span in {:?}", {
            let mut s = seen.spans.clone();
            s.dedup();
            s
        });
    }
    assert!(!seen.spans.contains(&"gc_full"));
    // Young cycles report a release phase; each cycle event sits in a stop's span.
    assert!(seen
        .events
        .iter()
        .any(|e| e.1.as_deref() == Some("release") && e.2 == Some("gc_young")));
    assert!(seen
        .events
        .iter()
        .filter(|e| e.0 == "gc cycle")
        .all(|e| matches!(e.2, Some("gc_young") | Some("gc_incremental_finish"))));
}
