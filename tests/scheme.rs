//! Runs every Scheme program in `tests/scheme/` through `prologue run` and compares what it
//! printed with the expected files beside it:
//!
//! - `NAME.out`: expected standard output (absent: nothing);
//! - `NAME.err`: expected standard error; when present the exit status must be 1, when
//!   absent stderr must be empty and the status 0.
//!
//! Directives in a program's leading `;;` comments:
//! - `;; args: FLAGS` extra flags for `prologue run`;
//! - `;; torture: no` skip the program in the torture-mode run (too many allocations);
//! - `;; short: no` skip it when `PROLOGUE_SHORT=1`;
//! - `;; short: FROM => TO` the same, and run instead `NAME-short`: this program with the line
//!   `FROM` replaced by `TO` (a smaller size), with the same args and torture setting;
//! - `;; small: FROM => TO` also run `NAME-small`, this program with `FROM` replaced by `TO`,
//!   in every mode, torture included (the size that torture mode can afford);
//! - `;; position: any` compare the error line without its `LINE:COL` (for errors whose
//!   exact allocation depends on the collector's accounting, such as the heap limit).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const PROLOGUE: &str = env!("CARGO_BIN_EXE_prologue");

/// `prologue` with the collector's environment switches cleared: torture mode comes from
/// `--torture` in the torture run only (under PROLOGUE_GC_TORTURE=1 the full-size programs,
/// and the runaway allocation up to 64 MiB, would collect at every allocation for hours),
/// and gctrace lines would break the comparison of stderr.
fn prologue() -> Command {
    let mut command = Command::new(PROLOGUE);
    command
        .env_remove("PROLOGUE_GC_TORTURE")
        .env_remove("PROLOGUE_GCTRACE");
    command
}

fn scheme_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scheme")
}

fn short() -> bool {
    std::env::var("PROLOGUE_SHORT").is_ok_and(|v| v == "1")
}

struct Program {
    name: String,
    /// The folder holding `NAME.scm` (variants are written under the target directory).
    dir: PathBuf,
    args: Vec<String>,
    torture: bool,
    short: bool,
    any_position: bool,
}

/// `FILE:LINE:COL: error: message` lines with the position blanked out.
fn without_positions(stderr: &str) -> String {
    stderr
        .lines()
        .map(|line| match line.split_once(": error: ") {
            Some((place, message)) => {
                let file = place.split(':').next().unwrap_or(place);
                format!("{file}:?:?: error: {message}\n")
            }
            None => format!("{line}\n"),
        })
        .collect()
}

fn directive<'a>(src: &'a str, key: &str) -> Option<&'a str> {
    src.lines()
        .take_while(|l| l.starts_with(";;") || l.trim().is_empty())
        .find_map(|l| l.strip_prefix(";;")?.trim().strip_prefix(key))
        .map(|rest| {
            rest.trim_start_matches(':')
                .split("  ")
                .next()
                .unwrap_or("")
                .trim()
        })
}

/// `FROM => TO` from a directive's value.
fn rewrite(value: &str) -> Option<(&str, &str)> {
    let (from, to) = value.split_once(" => ")?;
    Some((from.trim(), to.trim()))
}

/// `NAME-SUFFIX.scm`: the program with its one line `from` replaced by `to`, written under the
/// target directory. Panics if `from` is not exactly one line of the program, so a variant
/// cannot silently drift from the program it is derived from.
fn variant(name: &str, src: &str, suffix: &str, (from, to): (&str, &str)) -> (String, PathBuf) {
    let hits = src.lines().filter(|l| l.trim() == from).count();
    assert_eq!(
        hits, 1,
        "{name}.scm: `{suffix}:` names `{from}`, found on {hits} lines"
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scheme-variants");
    std::fs::create_dir_all(&dir).expect("create the variants folder");
    let text: String = src
        .lines()
        .filter(|l| !l.starts_with(";;"))
        .map(|l| if l.trim() == from { to } else { l })
        .flat_map(|l| [l, "\n"])
        .collect();
    let name = format!("{name}-{suffix}");
    std::fs::write(dir.join(format!("{name}.scm")), text).expect("write a variant");
    (name, dir)
}

/// Every program, its variants written once per process: both suites run in parallel, and a
/// variant rewritten while the other suite's `prologue` reads it would be read half-written.
fn programs() -> &'static [Program] {
    static PROGRAMS: OnceLock<Vec<Program>> = OnceLock::new();
    PROGRAMS.get_or_init(load_programs)
}

fn load_programs() -> Vec<Program> {
    let mut names: Vec<String> = std::fs::read_dir(scheme_dir())
        .expect("tests/scheme exists")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".scm").map(str::to_string)
        })
        .collect();
    names.sort();
    let mut programs = Vec::new();
    for name in names {
        let src = std::fs::read_to_string(scheme_dir().join(format!("{name}.scm"))).unwrap();
        let short_directive = directive(&src, "short:");
        let program = Program {
            args: directive(&src, "args:")
                .map(|a| a.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            torture: directive(&src, "torture:") != Some("no"),
            short: short_directive.is_none(),
            any_position: directive(&src, "position:") == Some("any"),
            dir: scheme_dir(),
            name,
        };
        if let Some(change) = short_directive.and_then(rewrite) {
            let (name, dir) = variant(&program.name, &src, "short", change);
            let short = Program {
                name,
                dir,
                short: true,
                args: program.args.clone(),
                ..program
            };
            programs.push(short);
        }
        if let Some(change) = directive(&src, "small:").and_then(rewrite) {
            let (name, dir) = variant(&program.name, &src, "small", change);
            let small = Program {
                name,
                dir,
                args: program.args.clone(),
                torture: true,
                short: true,
                any_position: program.any_position,
            };
            programs.push(small);
        }
        programs.push(program);
    }
    programs
}

fn expected(name: &str, ext: &str) -> Option<String> {
    std::fs::read_to_string(scheme_dir().join(format!("{name}.{ext}"))).ok()
}

/// Runs one program; returns a description of each mismatch.
fn check(p: &Program, extra: &[&str]) -> Result<Duration, String> {
    let start = Instant::now();
    let output = prologue()
        .current_dir(&p.dir)
        .arg("run")
        .arg(format!("{}.scm", p.name))
        .args(&p.args)
        .args(extra)
        .output()
        .map_err(|e| format!("{}: cannot run prologue: {e}", p.name))?;
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let want_out = expected(&p.name, "out").unwrap_or_default();
    let want_err = expected(&p.name, "err");
    let want_status = if want_err.is_some() { 1 } else { 0 };
    let mut problems = Vec::new();
    if stdout != want_out {
        problems.push(format!("stdout:\n--- want\n{want_out}--- got\n{stdout}"));
    }
    let (stderr, want_err) = if p.any_position {
        (
            without_positions(&stderr).into(),
            want_err.map(|w| without_positions(&w)),
        )
    } else {
        (stderr, want_err)
    };
    if stderr != want_err.clone().unwrap_or_default() {
        problems.push(format!(
            "stderr:\n--- want\n{}--- got\n{stderr}",
            want_err.unwrap_or_default()
        ));
    }
    if output.status.code() != Some(want_status) {
        problems.push(format!(
            "exit status {:?}, want {want_status}",
            output.status.code()
        ));
    }
    if problems.is_empty() {
        Ok(elapsed)
    } else {
        Err(format!("{} {:?}: {}", p.name, extra, problems.join("\n")))
    }
}

fn run_suite(torture: bool) {
    let extra: &[&str] = if torture { &["--torture"] } else { &[] };
    let mut failures = Vec::new();
    let mut ran = 0;
    for p in programs() {
        if (torture && !p.torture) || (short() && !p.short) {
            continue;
        }
        ran += 1;
        match check(p, extra) {
            Ok(t) => eprintln!("ok   {:<28} {:>8.2?}", p.name, t),
            Err(e) => {
                eprintln!("FAIL {}", p.name);
                failures.push(e);
            }
        }
    }
    assert!(ran > 10, "only {ran} programs ran");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_program_prints_what_its_expected_files_say() {
    run_suite(false);
}

/// The same programs with a collection at every allocation (and a heap verification after
/// each): a handle the interpreter forgot to keep would be freed and the output would differ.
#[test]
fn every_program_survives_torture_mode() {
    run_suite(true);
}

#[test]
fn binary_trees_matches_the_benchmarks_game_output() {
    // The Benchmarks Game's canonical output, kept in the repository (tests/data) so this
    // check runs everywhere instead of skipping where the shared folder is absent.
    let canonical =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/binarytrees-output-10.txt");
    let want = std::fs::read_to_string(&canonical)
        .unwrap_or_else(|e| panic!("read {}: {e}", canonical.display()));
    assert_eq!(
        expected("binary-trees", "out").as_deref(),
        Some(want.as_str())
    );
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let out = prologue()
        .args(["run", "no/such/file.scm"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn a_bad_flag_is_a_usage_error() {
    for args in [
        &["run", "x.scm", "--max-heap", "lots"][..],
        &["run", "--no-such-flag"],
        &["run", "x.scm", "--timeout", "soon"],
    ] {
        let out = prologue().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn a_program_is_read_from_stdin_when_no_file_is_given() {
    let mut child = prologue()
        .arg("run")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"(display (* 6 7)) (newline) (car 1)")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "42\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "<stdin>:1:29: error: car: expected a pair, got 1\n"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn invalid_utf8_is_a_positioned_error() {
    let dir = std::env::temp_dir().join(format!("prologue-scheme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.scm");
    std::fs::write(&file, b"(display 1)\n  \xff").unwrap();
    let out = prologue().arg("run").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.ends_with(":2:3: error: the program is not valid UTF-8\n"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gc_stats_reports_cycles_pauses_and_drained_pools() {
    let out = prologue()
        .current_dir(scheme_dir())
        .args([
            "run",
            "binary-trees.scm",
            "--gc-stats",
            "--gc-percent",
            "10",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("gc-stats: ") && err.contains(" cycles; pause total "),
        "{err}"
    );
    assert!(err.contains("value-stack pool: "), "{err}");
    assert!(err.contains("% of it in collection pauses"), "{err}");
    let cycles: u64 = err
        .lines()
        .find(|l| l.contains(" cycles; "))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(cycles > 0, "{err}");
}

#[test]
fn gc_census_prints_the_heap_by_type_at_exit() {
    let out = prologue()
        .current_dir(scheme_dir())
        .args(["run", "closures.scm", "--gc-census"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("gc-census: "))
        .collect();
    assert!(lines.len() >= 4, "{err}");
    assert!(
        lines[1].contains("objects") && lines[1].contains("bytes"),
        "{err}"
    );
    assert!(err.contains("prologue::scheme::value::"), "{err}");
    assert!(
        lines.iter().any(|l| l.starts_with("gc-census: total ")),
        "{err}"
    );
    // The program's own output is untouched.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        std::fs::read_to_string(scheme_dir().join("closures.out")).unwrap()
    );
}

/// Reads the peak resident set size (VmHWM) of a running process, in bytes.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A script that allocates forever under `--max-heap 64M` ends with "heap limit exceeded",
/// and the process's memory stays bounded by the limit (plus the interpreter's own).
#[test]
fn runaway_allocation_ends_in_bounded_memory() {
    let mut child = prologue()
        .args(["run", "--max-heap", "64M"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"(define (grow acc) (grow (cons (make-vector 100 acc) (cons (make-string 100) acc))))\n(grow '())")
        .unwrap();
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(rss) = peak_rss(pid) {
            peak = peak.max(rss);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.ends_with("error: heap limit exceeded\n"), "{err}");
    eprintln!(
        "peak RSS {:.1} MiB with --max-heap 64M",
        peak as f64 / (1 << 20) as f64
    );
    if peak > 0 {
        assert!(peak < 200 << 20, "peak RSS {peak} bytes");
    }
}
