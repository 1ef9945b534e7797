#!/usr/bin/env bash
# Regenerates BENCHMARKS.md at the repository root: the one place where prologue's measured
# figures live. Every table in it comes from a run of this script on one machine, with the
# machine described, the exact command printed beside each table, and every ratio taken
# against a baseline measured in the same run (the machine may be shared: compare ratios).
#
#   benches/regenerate.sh            # full sizes (tens of minutes on two cores)
#   benches/regenerate.sh --quick    # small sizes, a few minutes: checks that the script,
#                                    # the benches and the tables still work
#   benches/regenerate.sh --no-scheme       # leave out the Scheme programs
#   benches/regenerate.sh --out FILE        # write somewhere else than BENCHMARKS.md
#
# What it runs, in order:
#   1. `prologue bench --json --baseline` for each workload (prologue and Box in one process),
#      with incremental and with stop-the-world full cycles; then the peak RSS of each side,
#      one process each;
#   2. the binary_trees bench (prologue against bumpalo, the Rust GC crates and Box);
#   3. the gc_bench bench (GCBench-like, prologue against Box);
#   4. the gc_pause bench (full-cycle pause by phase, the pool drain inside the pause);
#   5. the pool criterion bench (round trips against a thread_local! floor, detach time);
#   6. the Scheme programs (benches/scheme/run.sh --markdown, when run.sh supports it; otherwise
#      the last run it recorded in benches/scheme/last-run.md; otherwise a "not run" section);
#   7. Go's figures from benches/go-reference.md, quoted (no Go toolchain runs here).
# The new file replaces the old one only when every step succeeded.
#
# Needs cargo, python3 (the CLI's reports and criterion's estimates are JSON) and /usr/bin/time
# (Debian's package time: the peak RSS of each side).
set -Eeuo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

invocation="benches/regenerate.sh${*:+ $*}"
quick=0
scheme=1
out="$root/BENCHMARKS.md"
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --no-scheme) scheme=0 ;;
    --out)
        out="$2"
        shift
        ;;
    -h | --help)
        sed -n '2,27p' "$0"
        exit 0
        ;;
    *)
        echo "regenerate.sh: unknown argument $1 (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done
for tool in cargo python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || {
        echo "regenerate.sh: needs $tool" >&2
        exit 2
    }
done

export CARGO_TERM_COLOR=never
# The benches read these; a value left in the environment would change the sizes silently.
unset PROLOGUE_GCTRACE PROLOGUE_GC_TORTURE PROLOGUE_GC_INCREMENTAL PROLOGUE_SHORT \
    PROLOGUE_POOL_FORCE_FENCE PROLOGUE_BENCH_SIDES PROLOGUE_BENCH_CHECK

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Every step's stderr goes to one log, shown when a step fails.
errlog="$work/stderr.log"
: >"$errlog"
trap 'echo "regenerate.sh: a step failed; its stderr ends with:" >&2; tail -n 40 "$errlog" >&2' ERR
body="$work/body.md"
: >"$body"
started=$SECONDS
# What was measured and how busy the machine was, taken before anything runs (the figures
# come from this commit even if the tree changes while the benches run).
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
load_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"

# Sizes. Quick mode keeps every table but makes each run short; its figures only show that
# the machinery works (small heaps are dominated by start-up and cache effects).
if [ "$quick" -eq 1 ]; then
    mode="quick (\`--quick\`: small sizes, one round; figures check the machinery, not the runtime)"
    cli_runs=(
        "--workload binary-trees --depth 14"
        "--workload gcbench --depth 12"
        "--workload pool-churn --depth 6"
        "--workload pool-churn --depth 6 --policy victim"
        "--workload latency --depth 14 --rounds 2000"
        "--workload latency --depth 14 --rounds 2000 --stop-the-world"
    )
    rss_runs=("--workload latency --depth 14 --rounds 2000")
    trees_env=("PROLOGUE_BENCH_DEPTH=12 PROLOGUE_BENCH_RUNS=1")
    gcbench_env="PROLOGUE_BENCH_DEPTH=12 PROLOGUE_BENCH_RUNS=1"
    pause_env="PROLOGUE_PAUSE_LIVE=100000 PROLOGUE_PAUSE_GARBAGE=0,50000 PROLOGUE_PAUSE_CYCLES=2 PROLOGUE_POOL_CYCLES=10"
    criterion_args="--warm-up-time 0.2 --measurement-time 0.5"
else
    mode="full"
    cli_runs=(
        "--workload binary-trees"
        "--workload binary-trees --depth 18"
        "--workload gcbench"
        "--workload pool-churn"
        "--workload pool-churn --policy victim"
        "--workload binary-trees --depth 18 --stop-the-world"
        "--workload binary-trees --depth 20"
        "--workload binary-trees --depth 20 --stop-the-world"
        "--workload latency"
        "--workload latency --stop-the-world"
        "--workload latency --depth 23 --rounds 20000"
        "--workload latency --depth 23 --rounds 20000 --stop-the-world"
    )
    rss_runs=("--workload latency" "--workload binary-trees --depth 18")
    trees_env=("PROLOGUE_BENCH_DEPTH=18 PROLOGUE_BENCH_RUNS=3" "PROLOGUE_BENCH_DEPTH=20 PROLOGUE_BENCH_RUNS=1")
    gcbench_env="PROLOGUE_BENCH_DEPTH=16 PROLOGUE_BENCH_RUNS=5"
    pause_env=""
    criterion_args="--warm-up-time 1 --measurement-time 2"
fi

# section TITLE: starts a section of the body and reports progress on stderr.
section() {
    echo "==> $1" >&2
    printf '\n## %s\n\n' "$1" >>"$body"
}

# run_env "VAR=1 VAR2=2" COMMAND...: runs COMMAND with those variables set.
run_env() {
    local assignments=$1
    shift
    # shellcheck disable=SC2086 # the assignments are words on purpose
    env $assignments "$@"
}

# fenced FILE: appends FILE to the body inside a text fence.
fenced() {
    {
        echo '```text'
        cat "$1"
        echo '```'
    } >>"$body"
}

echo "==> building (release)" >&2
cargo build --release --quiet -p prologue-cli --bin prologue
cargo bench --quiet -p prologue-benches --no-run 2>>"$errlog"
prologue="$root/target/release/prologue"

# 1. Whole workloads through the CLI.
section "Whole workloads: \`prologue bench\`"
cat >>"$body" <<'EOF'
Each row is one run of `prologue bench ARGS --baseline --json`: the workload on prologue, then
the same workload on plain `Box`/`Vec` in the same process (outputs compared). Ratios are
prologue's wall time over that `Box` run's. What each column means is in the README ("Reading
the bench report"); with several threads (pool-churn) the pauses of every thread's heap are
summed, so the GC share of wall time can pass 100%.

EOF
i=0
for args in "${cli_runs[@]}"; do
    echo "    prologue bench $args --baseline --json" >&2
    i=$((i + 1))
    printf '%s\n' "$args" >"$work/cli-$i.args"
    # shellcheck disable=SC2086 # $args is a list of flags
    "$prologue" bench $args --baseline --json >"$work/cli-$i.json" 2>>"$errlog"
done
python3 - "$work" "$i" >>"$body" <<'PY'
import json, os, sys
work, count = sys.argv[1], int(sys.argv[2])
runs = []
for i in range(1, count + 1):
    with open(os.path.join(work, f"cli-{i}.args")) as f:
        args = f.read().strip()
    with open(os.path.join(work, f"cli-{i}.json")) as f:
        runs.append((args, json.load(f)))

def secs(v):
    return f"{v:.3f} s" if v < 1 else f"{v:.2f} s"

def ms(us):
    return f"{us / 1000:.3f}" if us < 1000 else f"{us / 1000:.1f}"

print("| `prologue bench` arguments | prologue | Box | prologue / Box | cycles "
      "| pause p50 / p99 / max (ms) | GC share of wall | heap peak | pool gets: hits, news |")
print("|---|---:|---:|---:|---:|---|---:|---:|---|")
for args, r in runs:
    pools = "-"
    if r.get("pool_gets"):
        gets = r["pool_gets"]
        pools = (f"{gets}: {r['pool_hits'] / gets:.0%} hits, "
                 f"{r['pool_news']} news")
    print(f"| `{args}` | {secs(r['wall_seconds'])} | {secs(r['baseline_wall_seconds'])} "
          f"| {r['ratio_to_baseline']:.2f}x | {r['cycles']} "
          f"| {ms(r['pause_p50_us'])} / {ms(r['pause_p99_us'])} / {ms(r['pause_max_us'])} "
          f"| {r['gc_time_share']:.1%} | {r['heap_peak_bytes'] / 2**20:.1f} MiB | {pools} |")

latency = [(a, r) for a, r in runs if "round_p50_us" in r]
if latency:
    print()
    print("Latency: the round times the program measured on prologue and on `Box` in the same")
    print("run (p50 / p99 / p99.9 / max, in us), beside every stop the collector made and the")
    print("minimum mutator utilisation in 1 / 10 / 100 ms windows.")
    print()
    print("| `prologue bench` arguments | rounds, prologue | rounds, Box "
          "| stops p50 / p99 / max (us) | MMU 1 / 10 / 100 ms |")
    print("|---|---|---|---|---|")
    for args, r in latency:
        def rounds(prefix):
            keys = ("round_p50_us", "round_p99_us", "round_p999_us", "round_max_us")
            return " / ".join(f"{r[prefix + k]:.1f}" for k in keys)
        stops = " / ".join(f"{r[k]:.1f}" for k in ("stop_p50_us", "stop_p99_us", "stop_max_us"))
        mmu = " / ".join(f"{r[k]:.2f}" for k in ("mmu_1ms", "mmu_10ms", "mmu_100ms"))
        print(f"| `{args}` | {rounds('')} | {rounds('baseline_')} | {stops} | {mmu} |")
PY

# 1b. Peak RSS: each side in a process of its own (/usr/bin/time's maximum resident set).
section "Peak RSS: incremental, stop-the-world and Box"
cat >>"$body" <<'EOF'
Each cell is the peak resident set of one process (`/usr/bin/time -f %M`) running only that
side: `prologue bench ARGS` (incremental cycles, the default), `prologue bench ARGS
--stop-the-world`, and `prologue bench ARGS --baseline-only` (the plain `Box` program);
ratios to the `Box` process from the same run.

| `prologue bench` arguments | incremental | stop-the-world | Box |
|---|---:|---:|---:|
EOF
for args in "${rss_runs[@]}"; do
    row=()
    for side in "" "--stop-the-world" "--baseline-only"; do
        echo "    /usr/bin/time -f %M prologue bench $args $side" >&2
        # shellcheck disable=SC2086 # $args and $side are lists of flags
        /usr/bin/time -f %M -o "$work/rss" "$prologue" bench $args $side >/dev/null 2>>"$errlog"
        row+=("$(tail -n 1 "$work/rss")")
    done
    python3 - "$args" "${row[@]}" >>"$body" <<'PY'
import sys
args, inc, stw, box = sys.argv[1], *map(int, sys.argv[2:5])
cell = lambda kib: f"{kib / 1024:.1f} MiB ({kib / box:.2f}x)"
print(f"| `{args}` | {cell(inc)} | {cell(stw)} | {box / 1024:.1f} MiB |")
PY
done

# 2. binary-trees against the Rust GC crates.
section "binary-trees against the Rust GC crates"
cat >>"$body" <<'EOF'
Benchmarks Game binary-trees, single thread, every side in its own child process of the bench
binary (fresh allocator, its own peak RSS), sides alternated round by round; medians, and
ratios to `Box` from the same run. Columns and sides are described in `benches/binary_trees.rs`.
EOF
for assignments in "${trees_env[@]}"; do
    echo "    $assignments cargo bench -p prologue-benches --bench binary_trees" >&2
    printf '\n`%s cargo bench -p prologue-benches --bench binary_trees`:\n\n' "$assignments" >>"$body"
    run_env "$assignments" cargo bench --quiet -p prologue-benches --bench binary_trees \
        2>>"$errlog" >"$work/trees.txt"
    fenced "$work/trees.txt"
done

# 3. GCBench-like.
section "GCBench-like"
echo "    $gcbench_env cargo bench -p prologue-benches --bench gc_bench" >&2
printf '`%s cargo bench -p prologue-benches --bench gc_bench`:\n\n' "$gcbench_env" >>"$body"
run_env "$gcbench_env" cargo bench --quiet -p prologue-benches --bench gc_bench \
    2>>"$errlog" >"$work/gcbench.txt"
fenced "$work/gcbench.txt"

# 4. The full-cycle pause and the pool drain inside it.
section "Full-cycle pause by phase, and the pool drain inside it"
cat >>"$body" <<'EOF'
Explicit full cycles over a tree of N live objects plus garbage (pacing and the young
generation off), medians per phase; then the per-object costs fitted from the rows; then the
pool drain inside the pause, with Go's `BenchmarkPoolSTW` for reference. How the pause grows,
and why, is in the gc crate's documentation ("How the pause grows with live and dead
objects").

EOF
pause_cmd="cargo bench -p prologue-benches --bench gc_pause"
[ -n "$pause_env" ] && pause_cmd="$pause_env $pause_cmd"
echo "    $pause_cmd" >&2
printf '`%s`:\n\n' "$pause_cmd" >>"$body"
run_env "$pause_env" cargo bench --quiet -p prologue-benches --bench gc_pause \
    2>>"$errlog" >"$work/pause.txt"
fenced "$work/pause.txt"

# 5. The pool against the Rust pool crates (criterion). Criterion keeps its estimates under
# CRITERION_HOME; a fresh one per run, so no earlier run's estimate can leak into the table.
section "Pool round trip and detach time"
criterion_cmd="cargo bench -p prologue-benches --bench pool -- $criterion_args 'round_trip_4k|stw_detach'"
echo "    $criterion_cmd" >&2
CRITERION_HOME="$work/criterion" cargo bench --quiet -p prologue-benches --bench pool -- \
    $criterion_args --noplot 'round_trip_4k|stw_detach' >"$work/pool.txt" 2>>"$errlog"
cat >>"$body" <<EOF
\`$criterion_cmd\` (criterion medians). A get, clear, push of one byte and put of a 4 KiB
buffer, as a ratio to a bare \`thread_local!\` \`RefCell<Vec>\` (the floor: no sharing at
all) from the same run; with 2 threads both work on one shared pool at once and the time is
per thread.

EOF
python3 - "$work/criterion" >>"$body" <<'PY'
import json, os, sys
home = sys.argv[1]

def median_ns(*parts):
    # Criterion writes a group or bench id's '/' as '_' in its directory names.
    path = os.path.join(home, *(p.replace("/", "_") for p in parts), "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except (OSError, ValueError, KeyError):
        return None

sides = [
    ("thread_local_floor", "`thread_local!` `RefCell<Vec>` (floor)"),
    ("prologue_pool", "prologue `Pool`"),
    ("lockfree_object_pool", "lockfree-object-pool"),
    ("object_pool", "object-pool"),
    ("parking_lot_mutex_vec", "parking_lot `Mutex<Vec>`"),
]
print("| | 1 thread | 2 threads, per thread |")
print("|---|---:|---:|")
for key, label in sides:
    cells = []
    for threads in ("1_thread", "2_thread"):
        floor = median_ns("round_trip_4k/" + threads, "thread_local_floor")
        value = median_ns("round_trip_4k/" + threads, key)
        if value is None or not floor:
            cells.append("not run")
        else:
            cells.append(f"{value:.1f} ns ({value / floor:.2f}x)")
    print(f"| {label} | {cells[0]} | {cells[1]} |")
print()
print("`detach_pools` (the part of a drain inside a collection pause), criterion median:")
print()
print("| pools | detach time |")
print("|---|---:|")
for name in ("1_pools_x_100000", "1000_pools_x_100"):
    value = median_ns("stw_detach", name)
    shown = "not run" if value is None else f"{value / 1000:.2f} us"
    print(f"| {name.replace('_pools_x_', ' x ')} items | {shown} |")
PY
printf '\nThe bench also prints the detach time by rank over 101 samples:\n\n' >>"$body"
grep '^stw_detach/.*p50' "$work/pool.txt" >"$work/stw.txt" || echo "(no stw_detach lines)" >"$work/stw.txt"
fenced "$work/stw.txt"

# 6. Scheme.
section "Scheme programs: \`prologue run\` against Lua, Guile and CPython"
scheme_run="$root/benches/scheme/run.sh"
last_run="$root/benches/scheme/last-run.md"
if [ "$scheme" -eq 1 ] && [ "$quick" -eq 0 ] && grep -q -- '--markdown' "$scheme_run"; then
    # run.sh writes the table (with its command) to the file --markdown names: the one
    # BENCHMARKS.md and later --no-scheme regenerations quote.
    echo "    benches/scheme/run.sh --markdown benches/scheme/last-run.md 3" >&2
    (cd "$root" && benches/scheme/run.sh --markdown benches/scheme/last-run.md 3) >>"$errlog" 2>&1
    printf 'Run by this regeneration:\n\n' >>"$body"
    cat "$last_run" >>"$body"
elif [ -f "$last_run" ]; then
    cat >>"$body" <<'EOF'
**Not run by this regeneration** (quick mode, `--no-scheme`, or `benches/scheme/run.sh` without
`--markdown`): what follows is the last run recorded in `benches/scheme/last-run.md`, on its own
date and machine, not the machine described above.

EOF
    cat "$last_run" >>"$body"
else
    cat >>"$body" <<'EOF'
**Not run.** `benches/scheme/run.sh` was not run by this regeneration (quick mode,
`--no-scheme`, or a run.sh without `--markdown`), and no `benches/scheme/last-run.md` exists.
EOF
fi

# 7. Go's figures: measured by hand outside this repository, quoted as they were taken.
section "Go, for reference (not measured by this script)"
cat "$root/benches/go-reference.md" >>"$body"

# The header last: it reports how long the whole run took.
took=$((SECONDS - started))
cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
{
    cat <<EOF
# prologue benchmarks

Generated by \`$invocation\`; do not edit by hand, run the script again.
The documentation (README, rustdoc) says how things work and how their cost grows; the
figures live here only.

- date: $(date -u '+%Y-%m-%d %H:%M UTC')
- commit: $commit
- machine: $(nproc) CPUs, ${cpu:-unknown CPU}
- load average (1, 5, 15 min): $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) at the end
- rustc: $(rustc -V)
- mode: $mode
- the whole regeneration took $((took / 60)) min $((took % 60)) s

The machine may be shared with other builds, so seconds drift between runs: compare the
**ratios**, each taken against a baseline measured in the same run.
EOF
    cat "$body"
} >"$work/BENCHMARKS.md"
mv "$work/BENCHMARKS.md" "$out"
echo "wrote $out in ${took} s" >&2
