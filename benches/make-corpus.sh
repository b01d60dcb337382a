#!/usr/bin/env bash
# Generates the benchmark corpus, deterministically, once:
#
#   bash benches/make-corpus.sh [DIR]      # DIR default: $EVCAT_BENCH_CORPUS or /tmp/evcat-bench
#
#   DIR/media/videos/clip-NN.mp4     20 H.264 720p clips, 20 s at 8 Mbit/s (~21 MB each), with creation_time
#   DIR/media/photos/photo-NNNN.jpg  300 1920x1080 JPEGs with EXIF (~1.4 MB each)
#   DIR/small/dNN/eNN/fNNNNN.bin     10,000 files of 0.5-4 KB pseudo-random bytes in 100 folders
#   DIR/big/big-2g.bin               one 2 GiB file of pseudo-random bytes (real blocks, not sparse)
#
# Each part is skipped when its stamp file (DIR/.stamp-PART) exists, so an
# interrupted run resumes; delete DIR to regenerate. Needs ffmpeg and cargo;
# works non-interactively (CI=true, no stdin). Never put DIR inside the repo.
set -euo pipefail
export LC_ALL=C

REPO="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${1:-${EVCAT_BENCH_CORPUS:-/tmp/evcat-bench}}"
VERSION="evcat-bench-corpus v1"
CLIPS="${EVCAT_BENCH_CLIPS:-20}"
PHOTOS="${EVCAT_BENCH_PHOTOS:-300}"
SMALL="${EVCAT_BENCH_SMALL:-10000}"
BIG_BYTES="${EVCAT_BENCH_BIG_BYTES:-2147483648}"

case "$(realpath -m "$DIR")/" in
"$REPO"/*) echo "make-corpus: refusing to put the corpus inside the repository ($DIR)" >&2; exit 2 ;;
esac
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

need=$((900 + BIG_BYTES / 1048576 + 100))
avail=$(df -Pm "$DIR" | awk 'NR==2 {print $4}')
if [ "$avail" -lt "$need" ]; then
    echo "make-corpus: $DIR has ${avail} MB free, the corpus needs about ${need} MB" >&2
    exit 2
fi
for tool in ffmpeg cargo; do
    command -v "$tool" >/dev/null || { echo "make-corpus: $tool not found" >&2; exit 2; }
done

done_part() { [ -f "$DIR/.stamp-$1" ] && [ "$(cat "$DIR/.stamp-$1")" = "$VERSION" ]; }
stamp() { echo "$VERSION" >"$DIR/.stamp-$1"; }

if [ -f "$DIR/.stamp" ] && [ "$(cat "$DIR/.stamp")" = "$VERSION" ]; then
    echo "make-corpus: $DIR is complete ($VERSION); delete it to regenerate"
    exit 0
fi

echo "make-corpus: building the generator (cargo build --release --example bench_corpus)"
(cd "$REPO" && cargo build --release --quiet --example bench_corpus)
GEN="$REPO/target/release/examples/bench_corpus"

# (a) clips. x264 runs single-threaded (-threads 1) because its frame threads
# make bitrate-mode output differ from run to run; two encoders run side by side.
if ! done_part videos; then
    echo "make-corpus: $CLIPS clips -> $DIR/media/videos"
    rm -rf "$DIR/media/videos"
    mkdir -p "$DIR/media/videos"
    export DIR
    seq 1 "$CLIPS" | xargs -P "$(nproc)" -I{} bash -c '
        i={}
        name=$(printf "clip-%02d.mp4" "$i")
        ts=$(printf "2026-03-%02dT%02d:%02d:00Z" $((1 + i % 28)) $((i % 24)) $((i * 7 % 60)))
        ffmpeg -y -nostdin -loglevel error \
            -f lavfi -i "testsrc2=size=1280x720:rate=30,noise=alls=24:allf=t+u:all_seed=$i" \
            -f lavfi -i "sine=frequency=$((200 + 20 * i)):sample_rate=48000" -t 20 \
            -c:v libx264 -preset ultrafast -b:v 8M -maxrate 8M -bufsize 16M -pix_fmt yuv420p -threads 1 \
            -c:a aac -b:a 64k -movflags +faststart \
            -fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1 \
            -metadata creation_time="$ts" "$DIR/media/videos/.tmp-$name"
        mv "$DIR/media/videos/.tmp-$name" "$DIR/media/videos/$name"
    '
    stamp videos
fi

# (b) photos
if ! done_part photos; then
    echo "make-corpus: $PHOTOS photos -> $DIR/media/photos"
    rm -rf "$DIR/media/photos"
    "$GEN" photos "$DIR/media/photos" "$PHOTOS"
    stamp photos
fi

# (c) small files
if ! done_part small; then
    echo "make-corpus: $SMALL small files -> $DIR/small"
    rm -rf "$DIR/small"
    "$GEN" small "$DIR/small" "$SMALL"
    stamp small
fi

# (d) the big file
if ! done_part big; then
    echo "make-corpus: $BIG_BYTES-byte file -> $DIR/big/big-2g.bin"
    rm -rf "$DIR/big"
    "$GEN" big "$DIR/big/big-2g.bin" "$BIG_BYTES"
    stamp big
fi

sync
# A manifest lets anyone check that two machines benchmarked the same bytes.
(cd "$DIR" && find media -type f -print0 | sort -z | xargs -0 sha256sum >"$DIR/media.sha256")
echo "$VERSION" >"$DIR/.stamp"
du -sh "$DIR/media" "$DIR/media/videos" "$DIR/media/photos" "$DIR/small" "$DIR/big" 2>/dev/null || true
echo "make-corpus: done: $DIR (media manifest: $DIR/media.sha256, sha256 of it: $(sha256sum <"$DIR/media.sha256" | cut -c1-16))"
