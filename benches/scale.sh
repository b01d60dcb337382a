#!/usr/bin/env bash
# Query latency on a large catalog, through the real binary.
#
#   bash benches/scale.sh [FILES] [CLAIMS] [FINGERPRINTS]
#        (defaults: 100000 files, 10000 claims, one fingerprint per file)
#
# Builds, in $EVCAT_BENCH_WORK (default /tmp/evcat-scale): FILES small distinct files
# registered through the library's bulk registration path (`Catalog::add_paths`, 512-file
# transactions, two signed events per file, here via `evcat add --in-place` with no media
# analysis), and one generated article whose CLAIMS sentences each cite a clip, so import
# creates CLAIMS detected claims, referenced evidence items and links in one transaction.
# Then the first FINGERPRINTS files get one synthetic PDQ fingerprint each
# (`examples/similar_catalog.rs --attach`: derived data, outside the custody log), so
# `similar` searches a persisted index of that size. Times each query 5 times (median;
# the log audit 3 times) and prints catalog bytes per file. Not part of CI; never asserts.
set -euo pipefail
FILES=${1:-100000}
CLAIMS=${2:-10000}
FPS=${3:-$FILES}
WORK=${EVCAT_BENCH_WORK:-/tmp/evcat-scale}
REPO="$(cd "$(dirname "$0")/.." && pwd)"
export EVCAT_MEDIA_ANALYSIS=off CI=true

cargo build --release --quiet --manifest-path "$REPO/Cargo.toml" --bin evcat --example similar_catalog
EVCAT="$REPO/target/release/evcat"
rm -rf "$WORK" && mkdir -p "$WORK/files"
ev() { "$EVCAT" --catalog "$WORK/cat" "$@"; }

echo "== generating $FILES files and an article with $CLAIMS citing sentences"
python3 - "$WORK" "$FILES" "$CLAIMS" <<'PY'
import os, sys
work, n, claims = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    d = os.path.join(work, "files", f"{i // 1000:04d}")
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i}.txt"), "w") as f:
        f.write(f"evidence note {i}: " + "x" * (i % 200) + "\n")
with open(os.path.join(work, "article.md"), "w") as f:
    f.write("---\ntitle: Scale test\ndate: 2026-11-25\n---\n\n")
    for i in range(claims):
        f.write(f"A clip posted on TikTok shows barrier number {i} being moved at the quay.\n\n")
PY

"$EVCAT" --actor bench init "$WORK/cat" >/dev/null
t0=$(date +%s.%N)
ev -q add --in-place "$WORK/files" >/dev/null
t1=$(date +%s.%N)
ev -q article add "$WORK/article.md" >/dev/null
t2=$(date +%s.%N)
"$REPO/target/release/examples/similar_catalog" --attach "$WORK/cat" "$FPS"
db=$(stat -c %s "$WORK/cat/catalog.sqlite")
awk -v f="$FILES" -v c="$CLAIMS" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v db="$db" 'BEGIN {
    printf "build: add --in-place %d files %.1f s; article with %d claims %.1f s; catalog.sqlite %.0f bytes (%.0f bytes/file incl. log)\n",
        f, t1 - t0, c, t2 - t1, db, db / f }'

median_ms() { # RUNS CMD...: median wall ms
    local n=$1 runs=() s e
    shift
    for ((i = 0; i < n; i++)); do
        s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N)
        runs+=($(( (e - s) / 1000000 )))
    done
    printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(( (n + 1) / 2 ))p"
}
mid=$((FILES / 2)); cmid=$((CLAIMS / 2))
printf '%-40s %10s\n' query "median ms"
fmid=$(( (FPS < FILES ? FPS : FILES) / 2 ))
for q in "list files --limit 50" "list evidence --status referenced --limit 50" "search barrier" "search note" \
         "show F$mid" "trace C$cmid" "claims --unsupported --limit 50" "cited-by E$cmid" "similar F$fmid" "similar F1"; do
    # shellcheck disable=SC2086
    printf '%-40s %10s\n' "$q" "$(median_ms 5 ev --json $q)"
done
events=$(ev --json log --head | python3 -c 'import json,sys; print(json.load(sys.stdin)["head"].split(":")[0])')
printf '%-40s %10s   (%s events)\n' "audit --log-only --no-record" "$(median_ms 3 ev --json audit --log-only --no-record)" "$events"
