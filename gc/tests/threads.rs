//! Heaps on several threads at once: each thread's cycles drain the shared pools, which other
//! threads keep using, and each heap stays exact.

use prologue_gc::{Config, Gc, GcCell, Heap, Trace};
use prologue_pool::Pool;

static BUFFERS: Pool<Vec<u8>> = Pool::new(Vec::new);

#[derive(Trace)]
struct Node {
    next: GcCell<Option<Gc<Node>>>,
    payload: Vec<u8>,
}

#[test]
fn per_thread_heaps_collect_while_sharing_drained_pools() {
    let short = std::env::var("PROLOGUE_SHORT").is_ok_and(|v| v == "1");
    let rounds = if short { 200 } else { 2_000 };
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let heap =
                    Heap::with_config(Config::default().min_heap_bytes(64 << 10).torture(false));
                let keep = heap.alloc(Node {
                    next: GcCell::new(None),
                    payload: vec![t; 8],
                });
                for i in 0..rounds {
                    let mut buf = BUFFERS.get();
                    buf.clear();
                    buf.extend_from_slice(&[t; 16]);
                    // A garbage cycle through the heap, plus one object kept per round.
                    let a = heap.alloc(Node {
                        next: GcCell::new(None),
                        payload: buf.clone(),
                    });
                    let b = heap.alloc(Node {
                        next: GcCell::new(Some(a.clone())),
                        payload: vec![],
                    });
                    *a.next.borrow_mut() = Some(b);
                    if i % 10 == 0 {
                        let old = keep.next.borrow_mut().take();
                        *keep.next.borrow_mut() = Some(heap.alloc(Node {
                            next: GcCell::new(old),
                            payload: vec![t],
                        }));
                    }
                    BUFFERS.put(buf);
                }
                let cycle = heap.collect();
                heap.verify();
                assert_eq!(cycle.objects_live, 1 + rounds / 10);
                assert_eq!(heap.stats().objects, 1 + rounds / 10);
                assert!(keep.payload.iter().all(|&x| x == t));
                heap.stats().cycles
            })
        })
        .collect();
    for thread in threads {
        assert!(thread.join().unwrap() >= 1);
    }
}
