#!/usr/bin/env bash
# End-to-end near-duplicate search on a large catalog (issue 5), through the real binary.
#
#   bash benches/similar.sh [N] [PHOTOS]        (defaults: 1000000 fingerprints, 20 photos)
#
# Builds, in $EVCAT_BENCH_WORK (default /tmp/evcat-similar), a catalog holding N synthetic
# fingerprints (examples/similar_catalog.rs; band rows made by the schema's triggers), then
# times `evcat similar F1 --json` (5 runs: median wall, peak RSS from /usr/bin/time -v) and
# `evcat add` of PHOTOS generated photos in one batch (with media analysis, i.e. PDQ,
# thumbnails and the near-duplicate check against the N held fingerprints), and the same
# add into an empty catalog for comparison; then the same for resized copies of those photos
# (made with ffmpeg), which add reports as near-duplicates. EVCAT_BENCH_REUSE=1 keeps a
# catalog built by an earlier run (only the timings run again). Not part of CI; never asserts.
set -euo pipefail
N=${1:-1000000}
PHOTOS=${2:-20}
WORK=${EVCAT_BENCH_WORK:-/tmp/evcat-similar}
REPO="$(cd "$(dirname "$0")/.." && pwd)"
export CI=true

cargo build --release --quiet --manifest-path "$REPO/Cargo.toml" --bin evcat --example similar_catalog
EVCAT="$REPO/target/release/evcat"
if [[ "${EVCAT_BENCH_REUSE:-}" == 1 && -d "$WORK/cat" ]]; then
    echo "reusing $WORK/cat"
else
    rm -rf "$WORK" && mkdir -p "$WORK"
    "$REPO/target/release/examples/similar_catalog" "$WORK/cat" "$N" "$PHOTOS"
fi
echo "catalog.sqlite: $(du -m "$WORK/cat/catalog.sqlite" | cut -f1) MB"

timed() { # label, command...: median wall of 5 runs and the largest peak RSS
    local label=$1; shift
    local walls=() rss=0
    for _ in 1 2 3 4 5; do
        /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/out.json"
        walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); print p[n] + (n > 1 ? p[n-1] * 60 : 0)}' "$WORK/time.txt")")
        r=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
        (( r > rss )) && rss=$r
    done
    med=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n 3p)
    echo "$label: median ${med} s wall (runs: ${walls[*]}), peak RSS $((rss / 1024)) MB"
}

timed "similar F1 --json" "$EVCAT" --catalog "$WORK/cat" similar F1 --json
echo "  matches: $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["matches"]))' "$WORK/out.json")"
timed "similar F300000 --json (a uniform, unclustered file)" "$EVCAT" --catalog "$WORK/cat" similar F300000 --json

one_add() { # catalog, folder, label
    /usr/bin/time -v -o "$WORK/time.txt" "$EVCAT" --catalog "$1" add --json "$2" >"$WORK/add.json"
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); print p[n] + (n > 1 ? p[n-1] * 60 : 0)}' "$WORK/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    echo "$3: ${wall} s wall, peak RSS $((rss / 1024)) MB, $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["media"]["analyzed"], "analysed,", len(r["media"]["near_duplicates"]), "near-duplicates")' "$WORK/add.json")"
}
run=$(date +%s%N)
mkdir -p "$WORK/photos-$run" "$WORK/copies-$run"
for p in "$WORK"/cat.photos/*.jpg; do
    # A fresh set each run (one changed pixel row of noise keeps SHA-256s new), and resized copies.
    ffmpeg -loglevel error -y -i "$p" -vf "drawbox=x=0:y=0:w=2:h=1:color=0x$(printf '%06x' $((RANDOM * 512 % 16777216))):t=fill" -q:v 3 "$WORK/photos-$run/$(basename "$p")"
    ffmpeg -loglevel error -y -i "$WORK/photos-$run/$(basename "$p")" -vf scale=600:-2 -q:v 8 "$WORK/copies-$run/$(basename "$p")"
done
rm -rf "$WORK/empty" && "$EVCAT" --actor bench init "$WORK/empty" >/dev/null
one_add "$WORK/empty" "$WORK/photos-$run" "add $PHOTOS photos, empty catalog"
one_add "$WORK/cat" "$WORK/photos-$run" "add $PHOTOS photos, catalog holding $N fingerprints"
one_add "$WORK/empty" "$WORK/copies-$run" "add $PHOTOS resized copies of them, empty catalog + the photos"
one_add "$WORK/cat" "$WORK/copies-$run" "add $PHOTOS resized copies of them, catalog holding $N fingerprints + the photos"
