#!/usr/bin/env bash
# evcat against its peers (hashdeep, sha256sum, cp, exiftool) on the corpus that
# benches/make-corpus.sh generates. Benchmarks, not tests: nothing here fails a
# build; each figure is printed with its target and PASS/MISS.
#
#   bash benches/run.sh [CORPUS]
#
# Environment (all optional):
#   EVCAT_BENCH_CORPUS      corpus dir when no argument is given (default /tmp/evcat-bench)
#   EVCAT_BENCH_WORK        scratch dir for catalogs and copies (default /tmp/evcat-bench-work; wiped)
#   EVCAT_BENCH_RUNS        measured runs per figure, median reported (default 3)
#   EVCAT_BENCH_LOG_EVENTS  events in the log-audit catalog (default 1000000)
#   EVCAT_BENCH_ONLY        space-separated subset of: ingest small probe rss audit log
#   EVCAT_BENCH_QUIET_WAIT  max seconds to wait for a quiet machine before each run (default 600)
#   EVCAT_BENCH_TRIES       attempts per run when other processes disturb it (default 4)
#   EVCAT_BENCH_REV         benchmark this committed revision (e.g. HEAD) instead of the
#                           working tree: exported with git archive, built in
#                           EVCAT_BENCH_TARGET (default /tmp/evcat-bench-target)
#
# Cache policy, identical for every tool: warm page cache. The inputs (~840 MB
# media, 10,000 small files) fit in RAM many times over; every command is run
# once unmeasured (warm-up), then EVCAT_BENCH_RUNS measured runs; the median
# wall time is reported. Before every run (warm-up included) the output of the
# previous run is moved aside (deleted at the end) and `sync` flushes dirty
# pages, both outside the timed region, so no run pays for another's writeback.
#
# Machine load: before every run the script waits until other processes use
# less than 0.3 of a core (2 s sample of /proc/stat), up to EVCAT_BENCH_QUIET_WAIT
# seconds. After every run it computes "other CPU": the CPU seconds
# the whole machine used during the run (/proc/stat) minus the CPU seconds of
# the measured command and its children (getrusage via /usr/bin/time). When
# another process (e.g. a compile) takes more than a quarter of a core on
# average, the run is discarded and repeated (up to EVCAT_BENCH_TRIES, default
# 4, times); the figure shown
# is flagged "busy" if it never got a quiet run. Kernel writeback threads also
# count as "other CPU", so copying tools show a little.
set -euo pipefail
export LC_ALL=C

REPO="$(cd "$(dirname "$0")/.." && pwd)"
CORPUS="${1:-${EVCAT_BENCH_CORPUS:-/tmp/evcat-bench}}"
WORK="${EVCAT_BENCH_WORK:-/tmp/evcat-bench-work}"
RUNS="${EVCAT_BENCH_RUNS:-3}"
LOG_EVENTS="${EVCAT_BENCH_LOG_EVENTS:-1000000}"
ONLY="${EVCAT_BENCH_ONLY:-ingest small probe rss audit log}"
HZ=$(getconf CLK_TCK)
# The ingest comparisons measure hashing + storing, which is what the peers do;
# fingerprinting is measured separately (one info row, and BENCHMARKS.md's
# fingerprint section).
export EVCAT_MEDIA_ANALYSIS=off
NPROC=$(nproc)

die() { echo "run.sh: $*" >&2; exit 2; }
[ -f "$CORPUS/.stamp" ] || die "no complete corpus in $CORPUS; run: bash benches/make-corpus.sh $CORPUS"
for t in hashdeep exiftool sha256sum /usr/bin/time cargo; do command -v "$t" >/dev/null || die "$t not found"; done
case "$(realpath -m "$WORK")/" in "$REPO"/*) die "EVCAT_BENCH_WORK must be outside the repository" ;; esac
CORPUS="$(cd "$CORPUS" && pwd)"
MEDIA="$CORPUS/media"
SMALLDIR="$CORPUS/small"
BIG="$CORPUS/big/big-2g.bin"

rm -rf "$WORK"
mkdir -p "$WORK/bin"
WORK="$(cd "$WORK" && pwd)"
RESULTS="$WORK/results.md"
RUNLOG="$WORK/runs.log"
: >"$RESULTS"
: >"$RUNLOG"

if [ -z "${EVCAT_BENCH_REV:-}" ]; then
    echo "== build: cargo build --release (working tree: binary + bench_log example)"
    SRC="$REPO"
    TARGET="$REPO/target"
    (cd "$SRC" && cargo build --release --quiet --bin evcat --example bench_log) ||
        die "the working tree does not build; to benchmark a committed revision instead: EVCAT_BENCH_REV=HEAD bash benches/run.sh"
else
    # A committed revision, exported with `git archive` (the repository is only
    # read) and built in its own target dir, so work in progress in src/ neither
    # breaks nor changes the figures. benches/ comes from the working tree.
    SRC="$WORK/src"
    TARGET="${EVCAT_BENCH_TARGET:-/tmp/evcat-bench-target}"
    echo "== build: $EVCAT_BENCH_REV ($(git -C "$REPO" rev-parse --short "$EVCAT_BENCH_REV")) via git archive, cargo build --release, target $TARGET"
    mkdir -p "$SRC"
    git -C "$REPO" archive "$EVCAT_BENCH_REV" | tar -x -C "$SRC"
    rm -rf "$SRC/benches"
    cp -r "$REPO/benches" "$SRC/benches"
    grep -q 'name = "bench_log"' "$SRC/Cargo.toml" ||
        printf '\n[[example]]\nname = "bench_log"\npath = "benches/tools/log_events.rs"\n' >>"$SRC/Cargo.toml"
    (cd "$SRC" && CARGO_TARGET_DIR="$TARGET" cargo build --release --quiet --bin evcat --example bench_log)
fi
# Copy, so a concurrent rebuild cannot swap the binary mid-run.
cp "$TARGET/release/evcat" "$WORK/bin/evcat"
cp "$TARGET/release/examples/bench_log" "$WORK/bin/bench_log"
EVCAT="$WORK/bin/evcat"
# Run from a directory with no catalog above it, so nothing is discovered by accident.
cd "$WORK"
unset EVCAT_CATALOG EVCAT_ACTOR EVCAT_KEY_FILE EVCAT_LOCATION || true

media_bytes=$(find "$MEDIA" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
media_files=$(find "$MEDIA" -type f | wc -l)
small_bytes=$(find "$SMALLDIR" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
small_files=$(find "$SMALLDIR" -type f | wc -l)
big_bytes=$(stat -c %s "$BIG")

echo "== machine"
echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
if [ -n "${EVCAT_BENCH_REV:-}" ]; then
    echo "evcat:    $(git -C "$REPO" rev-parse --short "$EVCAT_BENCH_REV") ($EVCAT_BENCH_REV, committed tree)"
else
    echo "evcat:    $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted src/ changes')"
fi
echo "cpu:      $NPROC x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), sha_ni: $(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no)"
echo "memory:   $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "disk:     $(df -h "$WORK" | awk 'NR==2 {print $1, $2 " total,", $4 " free"}') (work), $(df -h "$CORPUS" | awk 'NR==2 {print $1}') (corpus)"
echo "tools:    $(hashdeep -V 2>&1 | head -1 | sed 's/^/hashdeep /'); $(sha256sum --version | head -1); exiftool $(exiftool -ver); $(cp --version | head -1)"
echo "corpus:   $CORPUS: media $media_files files $(awk -v b="$media_bytes" 'BEGIN {printf "%.1f MB", b/1e6}'), small $small_files files $(awk -v b="$small_bytes" 'BEGIN {printf "%.1f MB", b/1e6}'), big $(awk -v b="$big_bytes" 'BEGIN {printf "%.2f GB", b/1e9}')"
echo "load:     $(uptime)"
echo "runs:     warm cache, 1 warm-up + $RUNS measured runs per figure, median"

# ---------------------------------------------------------------- measuring

busy_jiffies() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# Wait (up to QUIET_WAIT s) until the machine is quiet: less than QUIET_CORES
# cores busy over a 2 s sample. Other engineers' compiles and test suites share
# these cores; measuring next to them measures them.
QUIET_WAIT="${EVCAT_BENCH_QUIET_WAIT:-600}"
QUIET_CORES="${EVCAT_BENCH_QUIET_CORES:-0.3}"
wait_quiet() {
    local waited=0 b0 b1 cores
    while :; do
        b0=$(busy_jiffies)
        sleep 2
        b1=$(busy_jiffies)
        cores=$(awk -v j=$((b1 - b0)) -v hz="$HZ" 'BEGIN {printf "%.2f", j / hz / 2}')
        if awk -v c="$cores" -v q="$QUIET_CORES" 'BEGIN {exit !(c <= q)}'; then
            return 0
        fi
        if [ "$waited" -ge "$QUIET_WAIT" ]; then
            echo "   (machine still busy after ${waited} s: $cores cores in use by others; measuring anyway)"
            return 0
        fi
        if [ $((waited % 60)) = 0 ]; then
            echo "   (waiting for a quiet machine: $cores cores in use by others; top: $(ps -eo pcpu,comm --sort=-pcpu --no-headers | head -3 | awk '{printf "%s %s%%; ", $2, $1}'))"
        fi
        sleep 3
        waited=$((waited + 5))
    done
}

# measure NAME SETUP_FN CMD...   -> sets MED (median wall s), RSS_KB (median peak RSS), FLAG
# SETUP_FN runs before every run, untimed (use : for none).
measure() {
    local name=$1 setup=$2
    shift 2
    local walls=() rsss=() cpus=() flag="" i tries
    for ((i = 0; i <= RUNS; i++)); do
        for ((tries = 1; ; tries++)); do
            "$setup"
            sync
            wait_quiet
            local b0 t0 t1 b1 rc=0
            b0=$(busy_jiffies)
            t0=$(date +%s%N)
            /usr/bin/time -f '%M %U %S' -o "$WORK/.time" "$@" >"$WORK/.out" 2>"$WORK/.err" || rc=$?
            t1=$(date +%s%N)
            b1=$(busy_jiffies)
            if [ "$rc" != 0 ]; then
                echo "run.sh: $name failed (exit $rc): $*" >&2
                tail -5 "$WORK/.err" >&2
                exit 1
            fi
            local rss u s wall other
            read -r rss u s < <(grep -v '^Command' "$WORK/.time" | tail -1)
            wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
            other=$(awk -v j=$((b1 - b0)) -v hz="$HZ" -v u="$u" -v s="$s" 'BEGIN {o = j / hz - u - s; printf "%.2f", (o < 0 ? 0 : o)}')
            printf '%-34s run %d%s wall %8.3f s  cpu %6.2f s  rss %7d KB  other-cpu %5.2f s  load %s\n' \
                "$name" "$i" "$([ "$i" = 0 ] && echo ' (warm-up)' || echo '')" "$wall" "$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')" \
                "$rss" "$other" "$(cut -d' ' -f1 /proc/loadavg)" >>"$RUNLOG"
            if awk -v o="$other" -v w="$wall" 'BEGIN {exit !(o > 0.25 * w + 0.05)}'; then
                if [ "$tries" -lt "${EVCAT_BENCH_TRIES:-4}" ]; then
                    echo "   ($name run $i disturbed: other processes used ${other} CPU s in ${wall} s; re-running)"
                    sleep 5
                    continue
                fi
                flag="busy"
            fi
            break
        done
        if [ "$i" -gt 0 ]; then
            walls+=("$wall")
            rsss+=("$rss")
            cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')")
        fi
    done
    MED=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    RSS_KB=$(printf '%s\n' "${rsss[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    MED_CPU=$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{a[NR] = $1} END {printf "%.2f", a[int((NR + 1) / 2)]}')
    FLAG=$flag
    ALL="$(printf '%s ' "${walls[@]}")"
}

# ---------------------------------------------------------------- reporting

printf '| workload | tool | wall s (median) | CPU s (median) | throughput | ratio (wall) | ratio (CPU) | target | result |\n' >>"$RESULTS"
printf '|---|---|---:|---:|---:|---:|---:|---|---|\n' >>"$RESULTS"

# row WORKLOAD TOOL WALL THROUGHPUT RATIO TARGET RESULT; CPU from the last
# measure (MED_CPU), CPU ratio against PEER_CPU when a wall ratio is given.
PEER_CPU=""
row() {
    local cr=""
    if [ -n "$5" ] && [ -n "$PEER_CPU" ]; then cr=$(awk -v a="$MED_CPU" -v b="$PEER_CPU" 'BEGIN {printf "%.2f", a / b}'); fi
    printf '  %-22s %-42s %8s s %7s cpu-s  %-30s %-5s %-5s %-19s %s\n' "$1" "$2" "$3" "$MED_CPU" "$4" "$5" "$cr" "$6" "$7"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$MED_CPU" "$4" "$5" "$cr" "$6" "$7" >>"$RESULTS"
}
mbs() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.0f MB/s", b / 1e6 / s}'; }
fps() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f files/s", n / s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
# verdict VALUE OP LIMIT -> PASS/MISS (plus the busy flag)
verdict() {
    local r
    r=$(awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {ok = (op == "<=" ? v <= l : op == "<" ? v < l : v >= l); print (ok ? "PASS" : "MISS")}')
    echo "$r${FLAG:+ ($FLAG)}"
}
want() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
header() { echo; echo "== $1  [load: $(cut -d' ' -f1-3 /proc/loadavg)]"; }

# Outputs of earlier runs are moved aside, not deleted, until the end: on ext4
# (this machine's runs without a journal) creating files right after deleting
# many makes the inode allocator skip the recently freed inodes
# (ext4 `recently_deleted`), which would charge one run for another's cleanup.
TRASH_N=0
trash() {
    if [ -e "$1" ]; then
        TRASH_N=$((TRASH_N + 1))
        mkdir -p "$WORK/trash"
        mv "$1" "$WORK/trash/$TRASH_N"
    fi
}
nothing() { :; }
fresh_catalog() { trash "$WORK/cat"; "$EVCAT" init "$WORK/cat" -q >/dev/null; }
fresh_cp() { trash "$WORK/cp"; }

# ---------------------------------------------------------------- 1. media ingest

if want ingest; then
    header "1. ingest of the media part ($media_files files, $(awk -v b="$media_bytes" 'BEGIN {printf "%.0f MB", b/1e6}'))"
    measure "hashdeep -c sha256 -r" nothing hashdeep -c sha256 -r "$MEDIA"
    hd=$MED
    PEER_CPU=$MED_CPU
    row "ingest media" "hashdeep -c sha256 -r" "$hd" "$(mbs "$media_bytes" "$hd")" "1.00" "peer" "$FLAG"

    measure "evcat add" fresh_catalog "$EVCAT" --catalog "$WORK/cat" add -q "$MEDIA"
    ev=$MED
    row "ingest media" "evcat add (copy into store, fsync)" "$ev" "$(mbs "$media_bytes" "$ev")" "$(ratio "$ev" "$hd")" "<= 0.80 x hashdeep" "$(verdict "$(ratio "$ev" "$hd")" "<=" 0.80)"
    echo "   runs: $ALL"

    measure "evcat add --in-place" fresh_catalog "$EVCAT" --catalog "$WORK/cat" add -q --in-place "$MEDIA"
    row "ingest media" "evcat add --in-place" "$MED" "$(mbs "$media_bytes" "$MED")" "$(ratio "$MED" "$hd")" "info" "$FLAG"
    # The default add also fingerprints (PDQ on every photo, ffmpeg keyframes
    # of every clip) and makes thumbnails: more work than any peer does.
    measure "evcat add + media analysis" fresh_catalog env EVCAT_MEDIA_ANALYSIS=on "$EVCAT" --catalog "$WORK/cat" add -q "$MEDIA"
    row "ingest media" "evcat add with media analysis (PDQ, keyframes, thumbnails)" "$MED" "$(mbs "$media_bytes" "$MED")" "$(ratio "$MED" "$hd")" "info" "$FLAG"

    measure "sha256sum (find + xargs)" nothing bash -c 'find "$1" -type f -print0 | xargs -0 sha256sum' _ "$MEDIA"
    row "ingest media" "sha256sum (find + xargs, 1 process)" "$MED" "$(mbs "$media_bytes" "$MED")" "$(ratio "$MED" "$hd")" "info" "$FLAG"

    measure "sha256sum (find + xargs -P)" nothing bash -c 'find "$1" -type f -print0 | xargs -0 -P "$2" -n 16 sha256sum' _ "$MEDIA" "$NPROC"
    row "ingest media" "sha256sum (find + xargs -P$NPROC -n16)" "$MED" "$(mbs "$media_bytes" "$MED")" "$(ratio "$MED" "$hd")" "info" "$FLAG"

    measure "cp -r" fresh_cp cp -r "$MEDIA" "$WORK/cp"
    row "ingest media" "cp -r (no fsync)" "$MED" "$(mbs "$media_bytes" "$MED")" "$(ratio "$MED" "$hd")" "info" "$FLAG"

    measure "cp -r && sync" fresh_cp bash -c 'cp -r "$1" "$2" && sync' _ "$MEDIA" "$WORK/cp"
    row "ingest media" "cp -r && sync" "$MED" "$(mbs "$media_bytes" "$MED")" "$(ratio "$MED" "$hd")" "info" "$FLAG"
    trash "$WORK/cp"
    trash "$WORK/cat"
fi

# ---------------------------------------------------------------- 2. small files

if want small; then
    PEER_CPU=""
    header "2. $small_files small files ($(awk -v b="$small_bytes" 'BEGIN {printf "%.1f MB", b/1e6}'))"
    measure "evcat add small" fresh_catalog "$EVCAT" --catalog "$WORK/cat" add -q "$SMALLDIR"
    row "small files" "evcat add" "$MED" "$(fps "$small_files" "$MED")" "" ">= 5000 files/s" "$(verdict "$(awk -v n="$small_files" -v s="$MED" 'BEGIN {print n / s}')" ">=" 5000)"
    echo "   runs: $ALL"
    measure "evcat add --in-place small" fresh_catalog "$EVCAT" --catalog "$WORK/cat" add -q --in-place "$SMALLDIR"
    row "small files" "evcat add --in-place" "$MED" "$(fps "$small_files" "$MED")" "" "info" "$FLAG"
    measure "hashdeep small" nothing hashdeep -c sha256 -r "$SMALLDIR"
    row "small files" "hashdeep -c sha256 -r" "$MED" "$(fps "$small_files" "$MED")" "" "info" "$FLAG"
    measure "cp -r small" fresh_cp cp -r "$SMALLDIR" "$WORK/cp"
    row "small files" "cp -r (no fsync)" "$MED" "$(fps "$small_files" "$MED")" "" "info" "$FLAG"
    trash "$WORK/cp"
    trash "$WORK/cat"
fi

# ---------------------------------------------------------------- 3. probe

if want probe; then
    mapfile -t probe_files < <(find "$MEDIA" -type f | sort)
    header "3. probe of ${#probe_files[@]} photos and clips"
    measure "exiftool -j" nothing exiftool -j "${probe_files[@]}"
    ex=$MED
    PEER_CPU=$MED_CPU
    row "probe media" "exiftool -j" "$ex" "$(fps "${#probe_files[@]}" "$ex")" "1.00" "peer" "$FLAG"
    # Like exiftool, --no-hash reads headers only: the comparable workload.
    measure "evcat probe --no-hash --json" nothing "$EVCAT" probe --no-hash --json "${probe_files[@]}"
    "$EVCAT" probe --no-hash --json "${probe_files[@]}" >"$WORK/probe.json"
    row "probe media" "evcat probe --no-hash --json" "$MED" "$(fps "${#probe_files[@]}" "$MED")" "$(ratio "$MED" "$ex")" "<= 0.10 x exiftool" "$(verdict "$(ratio "$MED" "$ex")" "<=" 0.10)"
    # With the full-file SHA-256 that `add` records (reads every byte).
    measure "evcat probe --json" nothing "$EVCAT" probe --json "${probe_files[@]}"
    row "probe media" "evcat probe --json (with SHA-256)" "$MED" "$(fps "${#probe_files[@]}" "$MED")" "$(ratio "$MED" "$ex")" "info" "$FLAG"
    echo "   runs: $ALL"
    measure "exiftool -fast2 -j" nothing exiftool -fast2 -j "${probe_files[@]}"
    row "probe media" "exiftool -fast2 -j" "$MED" "$(fps "${#probe_files[@]}" "$MED")" "$(ratio "$MED" "$ex")" "info" "$FLAG"
fi

# ---------------------------------------------------------------- 4. RSS

if want rss; then
    PEER_CPU=""
    header "4. peak RSS of evcat add of one $(awk -v b="$big_bytes" 'BEGIN {printf "%.2f GB", b/1e9}') file"
    measure "evcat add 2G" fresh_catalog "$EVCAT" --catalog "$WORK/cat" add -q "$BIG"
    row "2 GB file" "evcat add: peak RSS" "$MED" "$(mbs "$big_bytes" "$MED"), $(awk -v k="$RSS_KB" 'BEGIN {printf "%.1f MB RSS", k/1024}')" "" "< 64 MB RSS" "$(verdict "$RSS_KB" "<" 65536)"
    echo "   runs: $ALL"
    measure "sha256sum 2G" nothing sha256sum "$BIG"
    row "2 GB file" "sha256sum" "$MED" "$(mbs "$big_bytes" "$MED"), $(awk -v k="$RSS_KB" 'BEGIN {printf "%.1f MB RSS", k/1024}')" "" "info" "$FLAG"
    trash "$WORK/cat"
fi

# ---------------------------------------------------------------- 5. audit

if want audit; then
    header "5. audit of the media part"
    rm -rf "$WORK/acat"
    "$EVCAT" init "$WORK/acat" -q >/dev/null
    "$EVCAT" --catalog "$WORK/acat" add -q "$MEDIA" >/dev/null
    hashdeep -c sha256 -r "$MEDIA" >"$WORK/known.txt"
    measure "hashdeep -a -k" nothing hashdeep -c sha256 -a -k "$WORK/known.txt" -r "$MEDIA"
    ha=$MED
    PEER_CPU=$MED_CPU
    row "audit media" "hashdeep -c sha256 -a -k known -r" "$ha" "$(mbs "$media_bytes" "$ha")" "1.00" "peer" "$FLAG"
    measure "evcat audit --objects-only" nothing "$EVCAT" --catalog "$WORK/acat" audit -q --objects-only --no-record
    row "audit media" "evcat audit --objects-only --no-record" "$MED" "$(mbs "$media_bytes" "$MED")" "$(ratio "$MED" "$ha")" "<= 0.35 x hashdeep" "$(verdict "$(ratio "$MED" "$ha")" "<=" 0.35)"
    echo "   runs: $ALL"
    measure "evcat audit (full)" nothing "$EVCAT" --catalog "$WORK/acat" audit -q --no-record
    row "audit media" "evcat audit --no-record (full)" "$MED" "$(mbs "$media_bytes" "$MED")" "$(ratio "$MED" "$ha")" "<= 0.35 x hashdeep" "$(verdict "$(ratio "$MED" "$ha")" "<=" 0.35)"
    measure "sha256sum -c" nothing bash -c 'cd "$1" && sha256sum --quiet -c "$2"' _ "$CORPUS" "$CORPUS/media.sha256"
    row "audit media" "sha256sum -c (1 process)" "$MED" "$(mbs "$media_bytes" "$MED")" "$(ratio "$MED" "$ha")" "info" "$FLAG"
    trash "$WORK/acat"
fi

# ---------------------------------------------------------------- 6. log audit

if want log; then
    PEER_CPU=""
    header "6. audit of a custody log with $LOG_EVENTS events"
    rm -rf "$WORK/log"
    sync
    b0=$(busy_jiffies)
    "$WORK/bin/bench_log" "$WORK/log" "$LOG_EVENTS" | tee "$WORK/bench_log.out"
    b1=$(busy_jiffies)
    sync
    build_secs=$(sed -n 's/.*build_secs=\([0-9.]*\).*/\1/p' "$WORK/bench_log.out")
    MED_CPU="?"
    db_bytes=$(stat -c %s "$WORK/log/catalog.sqlite")
    row "log $LOG_EVENTS events" "build (Writer::append, 50k/tx)" "$build_secs" "$(fps "$LOG_EVENTS" "$build_secs" | sed 's/files/events/'), $(awk -v b="$db_bytes" 'BEGIN {printf "%.0f MB db", b/1e6}')" "" "info" "$(awk -v j=$((b1 - b0)) -v hz="$HZ" -v w="$build_secs" 'BEGIN {printf "machine busy %.0f%%", 100 * j / hz / w / 2}')"
    measure "evcat audit --log-only" nothing "$EVCAT" --catalog "$WORK/log" audit -q --log-only --no-record
    row "log $LOG_EVENTS events" "evcat audit --log-only --no-record" "$MED" "$(fps "$LOG_EVENTS" "$MED" | sed 's/files/events/'), $(awk -v k="$RSS_KB" 'BEGIN {printf "%.0f MB RSS", k/1024}')" "" "< 10 s" "$(verdict "$MED" "<" 10)"
    echo "   runs: $ALL"
    trash "$WORK/log"
fi

echo
echo "== results (markdown, also in $RESULTS; every run with its CPU and 'other CPU' in $RUNLOG)"
cat "$RESULTS"
echo
echo "load at end: $(uptime)"
echo "deleting the outputs ($(du -sh "$WORK/trash" 2>/dev/null | cut -f1))"
rm -rf "$WORK/trash"
