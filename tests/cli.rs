//! The `prologue` command line, end to end: the binary Cargo built for these tests, run as a
//! child process with its output captured (so it is not on a terminal: no progress display).

use prologue::workloads::short_mode;
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
