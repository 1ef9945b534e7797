//! The workloads give the right answers on both engines.

use prologue::workloads::{binary_trees, short_mode, Engine, Params, Workload};
use prologue::Config;

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
        let params = Params::new(workload, depth);
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
    params.config = Config {
        min_heap_bytes: 16 << 10,
        ..Config::default()
    };
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
