//! The workloads give the right answers on both engines.

use prologue::{Config, PauseKind};
use prologue_workloads::{binary_trees, short_mode, Engine, Params, Workload};

#[test]
fn binary_trees_prints_the_benchmarks_game_output() {
    let expected = include_str!("data/binarytrees-output-10.txt");
    assert_eq!(
        binary_trees::output_prologue(Config::default(), 10),
        expected
    );
    assert_eq!(binary_trees::output_baseline(10), expected);
}

#[test]
fn every_workload_agrees_with_its_baseline() {
    for workload in Workload::ALL {
        let depth = match (workload, short_mode()) {
            (Workload::PoolChurn, true) => 1,
            (Workload::PoolChurn, false) => 4,
            (_, true) => 6,
            (_, false) => 10,
        };
        let depth = depth.max(*workload.depth_range().start());
        let mut params = Params::new(workload, depth);
        if workload == Workload::Latency {
            params.rounds = Some(if short_mode() { 64 } else { 1000 });
        }
        let heap = workload.run(Engine::Prologue, &params);
        let boxed = workload.run(Engine::Baseline, &params);
        assert_eq!(heap.output, boxed.output, "{workload}");
        assert_eq!(heap.checksum, boxed.checksum, "{workload}");
        assert!(heap.gc.is_some() && boxed.gc.is_none());
        assert_eq!(heap.depth, depth);
    }
}

#[test]
fn small_heap_floors_make_the_collector_run() {
    let mut params = Params::new(Workload::BinaryTrees, if short_mode() { 6 } else { 12 });
    params.config = Config::default().min_heap_bytes(16 << 10);
    let run = Workload::BinaryTrees.run(Engine::Prologue, &params);
    let gc = run.gc.expect("prologue runs report their cycles");
    assert!(gc.cycle_count() > 0);
    assert!(gc.pause_quantile(0.5) <= gc.pause_max());
    assert!(gc.heap_peak_bytes > 0);
    assert!(gc.cycles.windows(2).all(|w| w[0].at <= w[1].at));
}

#[test]
fn sizes_are_checked() {
    for workload in Workload::ALL {
        let range = workload.depth_range();
        assert!(Params::new(workload, *range.end() + 1).validate().is_err());
        assert!(Params::new(workload, workload.default_depth())
            .validate()
            .is_ok());
        assert_eq!(workload.name().parse::<Workload>(), Ok(workload));
    }
    assert!("no-such".parse::<Workload>().is_err());
}

#[test]
fn the_pause_log_is_every_pause_the_heap_counted() {
    let mut params = Params::new(Workload::Latency, 10);
    params.rounds = Some(if short_mode() { 200 } else { 2000 });
    params.config = Config::default()
        .young_bytes(64 << 10)
        .min_heap_bytes(64 << 10);
    let run = Workload::Latency.run(Engine::Prologue, &params);
    let gc = run.gc.expect("prologue runs report their pauses");
    let counted: u64 = gc.heaps.iter().map(|h| h.pauses).sum();
    assert!(counted > 0, "the small nursery makes the collector stop");
    assert_eq!(gc.pause_count() as u64, counted);
    // Young cycles with the small nursery; full ones at every allocation in torture mode.
    assert!(gc
        .pauses
        .iter()
        .any(|p| matches!(p.kind, PauseKind::Young | PauseKind::Full)));
    assert!(gc.pauses.windows(2).all(|w| w[0].end() <= w[1].start));
    assert!(gc.pauses.last().unwrap().end() <= run.wall);
    let kinds = gc.pause_counts();
    assert_eq!(
        kinds.young + kinds.full + kinds.sweep + kinds.other,
        counted
    );
    let rounds = run.rounds.expect("latency times its rounds");
    assert_eq!(rounds.count() as u64, params.rounds.unwrap());
    assert!(rounds.quantile(0.5) <= rounds.max());
}

#[test]
fn rounds_are_checked() {
    let mut params = Params::new(Workload::Latency, 10);
    params.rounds = Some(0);
    assert!(params
        .validate()
        .unwrap_err()
        .contains("rounds 0 is out of range"));
    params.rounds = Some(1);
    assert!(params.validate().is_ok());
    let mut params = Params::new(Workload::BinaryTrees, 10);
    params.rounds = Some(5);
    assert!(params
        .validate()
        .unwrap_err()
        .contains("only to the latency workload"));
}
