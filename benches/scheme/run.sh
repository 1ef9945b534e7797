#!/usr/bin/env bash
# Times `prologue run` against Lua 5.4, Guile 3.0 and CPython on the programs beside this
# script (each NAME.scm has a NAME.lua and a NAME.py doing the same work and printing the
# same result). Not part of CI: the machine it runs on decides the numbers, so it reports
# medians of alternated runs and ratios against Lua from the same run.
#
#   benches/scheme/run.sh [ROUNDS]          # default 5 rounds
#   benches/scheme/run.sh --markdown OUT.md 3          # also write the table, with the command
#   BASE=/path/to/old/prologue benches/scheme/run.sh   # add a column for another build
#   BENCHES="fib tak" benches/scheme/run.sh             # a subset
#
# Installs lua5.4 and guile-3.0 with apt-get when they are missing (as root, or with sudo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
command_line="benches/scheme/run.sh $*"
markdown=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --markdown)
            [ $# -ge 2 ] || { echo "--markdown needs a file" >&2; exit 2; }
            markdown="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
            shift 2
            ;;
        *) args+=("$1"); shift ;;
    esac
done
rounds="${args[0]:-5}"
benches="${BENCHES:-binary-trees fib tak nqueens deriv strings-vectors}"

need=()
command -v lua5.4 >/dev/null || need+=(lua5.4)
command -v guile >/dev/null || need+=(guile-3.0)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

(cd "$root" && cargo build --release --quiet)
prologue="$root/target/release/prologue"
python="$(command -v python3 || true)"

# The implementations compared, and how each runs a program.
impls=(prologue)
[ -n "${BASE:-}" ] && impls+=(prologue-base)
impls+=(lua5.4 guile-interp guile-compiled)
[ -n "$python" ] && impls+=(python3)

ext() { case "$1" in lua5.4) echo lua ;; python3) echo py ;; *) echo scm ;; esac; }
run_impl() {
    case "$1" in
        prologue) "$prologue" run "$2" ;;
        prologue-base) "$BASE" run "$2" ;;
        lua5.4) lua5.4 "$2" ;;
        # primitive-load evaluates with Guile's interpreter, never its compiled cache.
        guile-interp) guile --no-auto-compile -c '(primitive-load (cadr (command-line)))' "$2" ;;
        guile-compiled) guile "$2" ;;
        python3) "$python" "$2" ;;
    esac
}
export -f run_impl
export prologue python BASE

load="$(cut -d' ' -f1-3 /proc/loadavg)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cd "$here"
# Guile compiles a program on first run and caches it: warm the cache outside the timing.
for b in $benches; do guile "$b.scm" >/dev/null 2>&1 || true; done
for b in $benches; do
    expected=""
    for ((r = 1; r <= rounds; r++)); do
        for name in "${impls[@]}"; do
            file="$b.$(ext "$name")"
            out="$( { /usr/bin/time -f "TIME %e %M" bash -c 'run_impl "$@"' _ "$name" "$file" 2>&1 >/dev/fd/3 | grep '^TIME' ; } 3>"$log.out" )"
            result="$(tail -1 "$log.out")"
            if [ -z "$expected" ]; then expected="$result"; fi
            if [ "$result" != "$expected" ]; then
                echo "$b: $name printed '$result', expected '$expected'" >&2
                exit 1
            fi
            echo "$b $name ${out#TIME }" >>"$log"
        done
    done
done
rm -f "$log.out"

table="$(python3 - "$log" "$benches" "${impls[@]}" <<'PY'
import statistics, sys
log, benches, impls = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
rows = [l.split() for l in open(log)]
def med(b, i, col):
    xs = [float(r[col]) for r in rows if r[0] == b and r[1] == i]
    return statistics.median(xs) if xs else None
print("| program | " + " | ".join(impls) + " |")
print("|---|" + "---|" * len(impls))
for b in benches:
    lua = med(b, "lua5.4", 2)
    base = med(b, "prologue-base", 2)
    cells = []
    for i in impls:
        t, rss = med(b, i, 2), med(b, i, 3)
        cell = f"{t:.2f} s ({t / lua:.2f}x Lua"
        if i == "prologue" and base:
            cell += f", {t / base:.2f}x base"
        cells.append(cell + f"), {rss / 1024:.0f} MiB")
    print(f"| {b} | " + " | ".join(cells) + " |")
PY
)"
echo "$table"
if [ -n "$markdown" ]; then
    {
        echo "Wall time medians and peak RSS of $rounds alternated rounds, ratios against Lua 5.4"
        echo "from the same run$([ -n "${BASE:-}" ] && echo ' and, for prologue, against prologue-base')."
        echo "Machine: $(nproc) cores, $(uname -sm); load average before the run: $load."
        echo
        echo "Command: \`${BASE:+BASE=$BASE }${BENCHES:+BENCHES=\"$BENCHES\" }$command_line\`"
        echo
        echo "$table"
    } >"$markdown"
fi
