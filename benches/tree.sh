#!/usr/bin/env bash
# Issue-16 Merkle-tree benchmark (figures in BENCHMARKS.md; never asserted in tests):
#   bash benches/tree.sh [WORK]     (default /tmp/evcat-tree-bench; deleted at the end)
# Builds the release binary and the bench_log / bench_tree examples into
# $CARGO_TARGET_DIR (default $WORK/target, deleted with WORK), a catalog of
# EVCAT_BENCH_LOG_EVENTS events (default 1000000), then measures:
#   1. the audit's chain pass without vs with the tree check (bench_tree, one process);
#   2. the inclusion proof of one event and its verification, through the library
#      (bench_tree) and the real binary (`evcat log --proof`, `evcat verify-proof`);
#   3. `evcat audit --log-only --no-record` for context.
# Binary timings: 1 warm-up + EVCAT_BENCH_RUNS (default 5) runs, median wall time.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${1:-/tmp/evcat-tree-bench}"
EVENTS="${EVCAT_BENCH_LOG_EVENTS:-1000000}"
RUNS="${EVCAT_BENCH_RUNS:-5}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$WORK/target}"
mkdir -p "$WORK"
unset EVCAT_CATALOG EVCAT_ACTOR EVCAT_KEY_FILE EVCAT_LOCATION || true

# c2pa off: no code measured here reaches it, and it triples the build.
(cd "$SRC" && cargo build --release --quiet --no-default-features --bin evcat --example bench_log --example bench_tree)
BIN="$CARGO_TARGET_DIR/release"
CAT="$WORK/log"
if [ ! -f "$CAT/catalog.sqlite" ]; then
    "$BIN/examples/bench_log" "$CAT" "$EVENTS"
fi
cd "$WORK"

ms() { # median wall ms of RUNS runs of "$@" (after one warm-up), stdout to /dev/null
    "$@" >/dev/null
    local all=()
    for _ in $(seq "$RUNS"); do
        local t0 t1
        t0=$(date +%s%N)
        "$@" >/dev/null
        t1=$(date +%s%N)
        all+=("$(awk -v d=$((t1 - t0)) 'BEGIN {printf "%.1f", d / 1e6}')")
    done
    printf '%s\n' "${all[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%s ms (runs:", a[int((NR+1)/2)]}'
    printf ' %s' "${all[@]}"
    echo ")"
}

echo "== machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(git -C "$SRC" rev-parse --short HEAD)"
echo "== 1+2. library (bench_tree, 3 alternated runs)"
"$BIN/examples/bench_tree" "$CAT" 3
SEQ=$((EVENTS / 2 + 1))
"$BIN/evcat" --catalog "$CAT" log --proof "$SEQ" --json >"$WORK/proof.json"
echo "== 2. binary: proof of event #$SEQ ($(stat -c %s "$WORK/proof.json") bytes)"
echo "evcat log --proof $SEQ --json:   $(ms "$BIN/evcat" --catalog "$CAT" log --proof "$SEQ" --json)"
echo "evcat verify-proof proof.json:   $(ms "$BIN/evcat" verify-proof "$WORK/proof.json")"
echo "evcat --version (process start): $(ms "$BIN/evcat" --version)"
echo "verify_chain.py --proof (info):  $(ms python3 "$SRC/tools/verify_chain.py" --proof "$WORK/proof.json")"
echo "== 3. evcat audit --log-only --no-record (1 warm-up + 3 runs)"
RUNS=3
echo "audit: $(ms "$BIN/evcat" --catalog "$CAT" audit -q --log-only --no-record)"
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -z "${EVCAT_BENCH_KEEP:-}" ]; then rm -rf "$WORK"; fi
