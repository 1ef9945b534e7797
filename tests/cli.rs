//! The `prologue` command line, end to end: the binary Cargo built for these tests, run as a
//! child process with its output captured (so it is not on a terminal: no progress display).

use prologue_workloads::short_mode;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn prologue(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_prologue"))
        .args(args)
        .env_remove("PROLOGUE_GCTRACE")
        .output()
        .expect("run the prologue binary")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A tree depth small enough for debug builds and torture mode.
fn depth() -> &'static str {
    if short_mode() {
        "6"
    } else {
        "10"
    }
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "prologue failed ({}): {}",
        output.status,
        stderr(output)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {}", stdout(output)))
}

fn f64_field(report: &Value, field: &str) -> f64 {
    report[field]
        .as_f64()
        .unwrap_or_else(|| panic!("no number `{field}` in {report}"))
}

/// `prefix` p50 <= p99 [<= p999] <= max, all present and not negative.
fn check_ranked(report: &Value, prefix: &str, quantiles: &[&str]) {
    let values: Vec<f64> = quantiles
        .iter()
        .map(|q| f64_field(report, &format!("{prefix}_{q}_us")))
        .collect();
    assert!(values[0] >= 0.0, "{prefix}: {values:?}");
    assert!(
        values.windows(2).all(|w| w[0] <= w[1]),
        "{prefix} percentiles out of order: {values:?}"
    );
}

/// The fields every bench report has about the stops the program felt.
fn check_pause_fields(report: &Value) {
    for window in ["mmu_1ms", "mmu_10ms", "mmu_100ms"] {
        let mmu = f64_field(report, window);
        assert!((0.0..=1.0).contains(&mmu), "{window} = {mmu}");
    }
    // A longer window can only dilute the worst stop.
    assert!(f64_field(report, "mmu_1ms") <= f64_field(report, "mmu_10ms"));
    assert!(f64_field(report, "mmu_10ms") <= f64_field(report, "mmu_100ms"));
    check_ranked(report, "stop", &["p50", "p99", "max"]);
    let pauses = report["pauses"].as_u64().expect("pauses is a count");
    let kinds = &report["pauses_by_kind"];
    let by_kind: u64 = ["young", "full", "sweep", "other"]
        .iter()
        .map(|k| {
            kinds[k]
                .as_u64()
                .unwrap_or_else(|| panic!("no {k} in {kinds}"))
        })
        .sum();
    assert_eq!(by_kind, pauses, "{kinds}");
    let counted: u64 = report["heap_stats"]
        .as_array()
        .expect("heap_stats is a list")
        .iter()
        .map(|h| h["pauses"].as_u64().expect("each heap counts its pauses"))
        .sum();
    assert_eq!(
        pauses, counted,
        "the pause log has every pause the heaps counted"
    );
    assert!(pauses >= report["cycles"].as_u64().unwrap());
    // A stop-the-world cycle is one stop; an incremental one is several, which together
    // make its pause.
    let stop_max = f64_field(report, "stop_max_us");
    assert!(stop_max > 0.0 || pauses == 0);
    if std::env::var("PROLOGUE_GC_INCREMENTAL").as_deref() == Ok("0") {
        assert!(stop_max >= f64_field(report, "pause_max_us"));
    }
}

#[test]
fn latency_matches_its_baseline_and_ranks_its_rounds() {
    let rounds = if short_mode() { "300" } else { "3000" };
    let output = prologue(&[
        "bench",
        "--workload",
        "latency",
        "--depth",
        "10",
        "--rounds",
        rounds,
        "--baseline",
        "--json",
    ]);
    let report = json(&output);
    assert_eq!(report["workload"], "latency");
    assert_eq!(report["depth"], 10);
    assert_eq!(report["output_matches_baseline"], true);
    assert_eq!(report["rounds"].as_u64(), rounds.parse().ok());
    check_pause_fields(&report);
    check_ranked(&report, "round", &["p50", "p99", "p999", "max"]);
    check_ranked(&report, "baseline_round", &["p50", "p99", "p999", "max"]);
    if !short_mode() {
        // 3000 rounds allocate about 24 MiB: young cycles run.
        assert!(report["pauses"].as_u64().unwrap() > 0, "{report}");
    }

    let text = prologue(&[
        "bench",
        "--workload",
        "latency",
        "--depth",
        "9",
        "--rounds",
        "16",
        "--baseline",
    ]);
    assert!(text.status.success(), "{}", stderr(&text));
    let text = stdout(&text);
    for line in [
        "  | live tree of 9 levels: 511 nodes, sum 130816\n",
        "  | 16 rounds: 4080 short-lived nodes, sum ",
        "  | 2 subtrees of 255 nodes replaced, 0 steps down\n",
        "  | live tree at the end: 511 nodes, sum ",
        "round p50/p99/p99.9/max",
        "Box round p50/p99/p99.9/max",
        "stops (every pause)",
        "MMU 1 / 10 / 100 ms",
        "same output as Box          yes",
    ] {
        assert!(text.contains(line), "no `{line}` in the report:\n{text}");
    }
}

#[test]
fn bench_json_has_the_documented_fields() {
    let output = prologue(&[
        "bench",
        "--workload",
        "binary-trees",
        "--depth",
        depth(),
        "--baseline",
        "--json",
    ]);
    let report = json(&output);
    for field in [
        "workload",
        "wall_seconds",
        "cycles",
        "pause_p50_us",
        "pause_p99_us",
        "pause_max_us",
        "gc_time_share",
        "heap_peak_bytes",
        "baseline_wall_seconds",
        "ratio_to_baseline",
    ] {
        assert!(report.get(field).is_some(), "no `{field}` in {report}");
    }
    assert_eq!(report["workload"], "binary-trees");
    assert_eq!(report["output_matches_baseline"], true);
    assert!(report["wall_seconds"].as_f64().unwrap() > 0.0);
    assert!(report["heap_peak_bytes"].as_u64().unwrap() > 0);
    let heaps = report["heap_stats"]
        .as_array()
        .expect("heap_stats is a list");
    assert_eq!(heaps.len(), 1);
    assert_eq!(heaps[0]["cycles"], report["cycles"]);
    let p50 = report["pause_p50_us"].as_f64().unwrap();
    let max = report["pause_max_us"].as_f64().unwrap();
    assert!(p50 <= max);
    check_pause_fields(&report);
    assert!(
        stderr(&output).is_empty(),
        "no progress display off a terminal: {}",
        stderr(&output)
    );
}

#[test]
fn every_workload_and_policy_runs_from_the_command_line() {
    let churn_depth = if short_mode() { "1" } else { "3" };
    for (workload, depth, policy) in [
        ("gcbench", depth(), "drain"),
        ("pool-churn", churn_depth, "drain"),
        ("pool-churn", churn_depth, "victim"),
    ] {
        let output = prologue(&[
            "bench",
            "--workload",
            workload,
            "--depth",
            depth,
            "--policy",
            policy,
            "--gc-percent",
            "50",
            "--json",
        ]);
        let report = json(&output);
        assert_eq!(report["workload"], workload);
        assert_eq!(report["policy"], policy);
        assert_eq!(report["gc_percent"], 50);
        assert!(report.get("baseline_wall_seconds").is_none());
        check_pause_fields(&report);
        assert!(
            report.get("round_p50_us").is_none(),
            "{workload} has no rounds"
        );
        if workload == "pool-churn" {
            assert!(report["pool_gets"].as_u64().unwrap() > 0);
        }
    }
}

#[test]
fn bench_flags_work_without_the_subcommand_and_the_text_report_reads() {
    let output = prologue(&["--depth", depth(), "--baseline"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for label in [
        "wall time",
        "collections",
        "pause p50 / p99 / max",
        "total pause",
        "heap peak",
        "pool gets",
        "prologue / Box",
    ] {
        assert!(text.contains(label), "no `{label}` in the report:\n{text}");
    }
    assert!(text.contains("| long lived tree of depth"));
}

#[test]
fn plot_writes_an_svg() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pauses.svg");
    let _ = std::fs::remove_file(&path);
    let output = prologue(&[
        "bench",
        "--depth",
        depth(),
        "--plot",
        path.to_str().unwrap(),
        "--json",
    ]);
    json(&output);
    let svg = std::fs::read_to_string(&path).expect("the plot was written");
    assert!(
        svg.contains("<svg"),
        "not an SVG: {}",
        &svg[..svg.len().min(200)]
    );
    assert!(svg.contains("pause distribution"));
    assert!(svg.contains("minimum mutator utilisation"));
    assert!(svg.contains("stops over the run"));
}

#[test]
fn plot_draws_the_kinds_of_stop_apart_with_round_ticks() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("latency.svg");
    let _ = std::fs::remove_file(&path);
    let rounds = if short_mode() { "300" } else { "3000" };
    let output = prologue(&[
        "bench",
        "--workload",
        "latency",
        "--depth",
        "10",
        "--rounds",
        rounds,
        "--plot",
        path.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let svg = std::fs::read_to_string(&path).expect("the plot was written");
    // The MMU axis runs from 100 us to 1 s in decades, and utilisation from 0 to 1.
    // (plotters writes each text on a line of its own.)
    for label in ["100 us", "1 ms", "10 ms", "100 ms", "1 s", "0.0", "1.0"] {
        assert!(
            svg.contains(&format!("\n{label}\n")),
            "no tick label {label}"
        );
    }
    if !short_mode() {
        assert!(
            svg.contains("\nyoung cycle\n"),
            "no legend for young cycles"
        );
    }
}

#[test]
fn bad_input_exits_2_with_a_message_and_no_panic() {
    let missing_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no/such/dir/p.svg");
    let cases: Vec<Vec<&str>> = vec![
        vec!["bench", "--no-such-flag"],
        vec!["bench", "--workload", "nope"],
        vec!["bench", "--depth", "99"],
        vec!["bench", "--workload", "pool-churn", "--depth", "21"],
        vec!["bench", "--depth", "-3"],
        vec!["bench", "--gc-percent", "200000"],
        vec!["bench", "--policy", "sometimes"],
        vec!["bench", "--plot", missing_dir.to_str().unwrap()],
        vec!["bench", "--workload", "latency", "--depth", "8"],
        vec!["bench", "--workload", "latency", "--depth", "24"],
        vec!["bench", "--workload", "latency", "--rounds", "0"],
        vec!["bench", "--workload", "latency", "--rounds", "10000001"],
        vec!["bench", "--workload", "latency", "--rounds", "-5"],
        vec!["bench", "--workload", "latency", "--rounds", "many"],
        vec!["bench", "--workload", "gcbench", "--rounds", "10"],
        vec!["stress", "--threads", "0"],
        vec!["stress", "--seconds", "-1"],
        vec!["stress", "--seconds", "soon"],
        vec!["no-such-command"],
    ];
    for args in cases {
        let output = prologue(&args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("error"), "{args:?}: no message: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}

#[test]
fn depth_errors_say_what_is_accepted() {
    let output = prologue(&["bench", "--workload", "gcbench", "--depth", "30"]);
    let err = stderr(&output);
    assert!(
        err.contains("depth 30 is out of range for gcbench"),
        "{err}"
    );
    assert!(err.contains("4..=20"), "{err}");
}

#[test]
fn latency_size_errors_say_what_is_accepted() {
    for (args, wanted) in [
        (
            &["--depth", "8"][..],
            "depth 8 is out of range for latency: expected 9..=23",
        ),
        (
            &["--rounds", "0"],
            "rounds 0 is out of range: expected 1..=10000000",
        ),
    ] {
        let output = prologue(&[&["bench", "--workload", "latency"][..], args].concat());
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains(wanted), "{}", stderr(&output));
    }
}

#[test]
fn pause_target_errors_say_what_is_accepted() {
    for (value, wanted) in [
        ("5us", "pause target 5us is outside 10us..=1s"),
        ("2s", "pause target 2s is outside 10us..=1s"),
        ("fast", "bad duration 'fast'"),
    ] {
        let output = prologue(&["bench", "--depth", "4", "--pause-target", value]);
        assert_eq!(output.status.code(), Some(2), "{value}");
        assert!(stderr(&output).contains(wanted), "{}", stderr(&output));
    }
}

#[test]
fn the_report_says_how_full_cycles_ran() {
    let output = prologue(&["bench", "--depth", "6", "--pause-target", "1ms", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["pause_target_us"].as_f64(), Some(1000.0));
    let output = prologue(&["bench", "--depth", "6", "--stop-the-world"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains(", stop-the-world"), "{text}");
}

#[test]
fn baseline_only_runs_the_box_program_alone() {
    let output = prologue(&[
        "bench",
        "--workload",
        "latency",
        "--depth",
        "9",
        "--rounds",
        "50",
        "--baseline-only",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("on Box only") && text.contains("rounds p50"),
        "{text}"
    );
    assert!(!text.contains("collections"), "{text}");
    let refused = prologue(&["bench", "--baseline-only", "--json"]);
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn help_and_version_exit_0() {
    for args in [
        &["--help"][..],
        &["bench", "--help"],
        &["stress", "--help"],
        &["--version"],
    ] {
        let output = prologue(args);
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert!(!stdout(&output).is_empty());
    }
}

#[test]
fn a_short_stress_run_passes_its_checks() {
    let output = prologue(&[
        "stress",
        "--threads",
        "2",
        "--seconds",
        "1",
        "--seed",
        "7",
        "--json",
    ]);
    let summary = json(&output);
    assert_eq!(summary["ok"], true, "{summary}");
    assert_eq!(summary["threads"], 2);
    assert!(summary["steps"].as_u64().unwrap() > 0);
    assert!(summary["full_checks"].as_u64().unwrap() >= 2, "{summary}");
    assert_eq!(summary["buffers_created"], summary["buffers_dropped"]);

    let text = prologue(&["stress", "--threads", "1", "--seconds", "0.5"]);
    assert!(text.status.success(), "{}", stderr(&text));
    assert!(stdout(&text).contains("result"));
}

#[test]
fn bench_census_adds_the_heap_by_type_to_the_text_and_json_reports() {
    let args = [
        "bench",
        "--workload",
        "gcbench",
        "--depth",
        depth(),
        "--census",
    ];
    let text = prologue(&args);
    assert!(text.status.success(), "{}", stderr(&text));
    let out = stdout(&text);
    assert!(out.contains("heap census at the end"), "{out}");
    assert!(out.contains(" rank ") && out.contains("total "), "{out}");

    let report = json(&prologue(&[&args[..], &["--json"]].concat()));
    let census = &report["census"];
    let entries = census["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("no census entries in {report}"));
    let objects: u64 = entries.iter().map(|e| e["objects"].as_u64().unwrap()).sum();
    let bytes: u64 = entries.iter().map(|e| e["bytes"].as_u64().unwrap()).sum();
    assert_eq!(census["objects"].as_u64(), Some(objects), "{census}");
    assert_eq!(census["bytes"].as_u64(), Some(bytes), "{census}");
    assert!(entries.iter().all(|e| e["type_name"].is_string()));
    let sizes: Vec<u64> = entries
        .iter()
        .map(|e| e["bytes"].as_u64().unwrap())
        .collect();
    assert!(
        sizes.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {sizes:?}"
    );

    // Without the flag the report has no census (and the run takes none).
    let plain = json(&prologue(&[
        "bench",
        "--workload",
        "gcbench",
        "--depth",
        depth(),
        "--json",
    ]));
    assert!(plain.get("census").is_none(), "{plain}");
}
