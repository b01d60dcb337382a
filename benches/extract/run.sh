#!/usr/bin/env bash
# Main-text extraction benchmark: evcat vs trafilatura vs readability (Mozilla's
# Readability.js on jsdom, and readability-lxml), plus candidate Rust crates, on the pages in
# benches/extract/pages/ scored with the snippet method (see README.md there).
#
#   bash benches/extract/run.sh            # all tools
#   EVCAT_EXTRACT_ONLY="evcat trafilatura" bash benches/extract/run.sh
#   bash benches/extract/run.sh --pages    # also the per-page F1 table
#
# Installs what is missing into target/ (never committed): a Python venv with trafilatura and
# readability-lxml, node modules @mozilla/readability and jsdom, and builds the candidate
# crates (benches/extract/candidates, its own workspace). Network: PyPI, npm, crates.io only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$root/target/extract-bench"
venv="$root/target/extract-venv"
only="${EVCAT_EXTRACT_ONLY:-evcat trafilatura readability candidates}"
mkdir -p "$work/pages" "$work/out"

want() { [[ " $only " == *" $1 "* ]]; }

# Pages, decompressed once (the tools read plain .html files).
for f in "$here"/pages/*; do
  name="$(basename "$f")"; name="${name%.gz}"
  [ -f "$work/pages/$name" ] && [ "$work/pages/$name" -nt "$f" ] && continue
  case "$f" in *.gz) gzip -dc "$f" > "$work/pages/$name" ;; *) cp "$f" "$work/pages/$name" ;; esac
done
# The layouts written for the tests, as the "written for evcat" group.
for f in "$root"/tests/data/pages/*.html; do
  cp "$f" "$work/pages/syn-$(basename "$f")"
done
pages=("$work"/pages/*.html)
echo "extract bench: ${#pages[@]} pages" >&2

if want trafilatura || want readability; then
  if ! "$venv/bin/python" -c 'import trafilatura, readability' >/dev/null 2>&1; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check 'trafilatura==2.3.1'
    "$venv/bin/pip" install -q --disable-pip-version-check 'readability-lxml==0.9' lxml_html_clean
  fi
  echo "extract bench: trafilatura $("$venv/bin/python" -c 'import trafilatura; print(trafilatura.__version__)'), readability-lxml" >&2
  "$venv/bin/python" "$here/py_extract.py" "${pages[@]}" > "$work/out/python.jsonl"
fi

if want readability; then
  node_dir="$work/node"
  if [ ! -d "$node_dir/node_modules/@mozilla/readability" ] || [ ! -d "$node_dir/node_modules/jsdom" ]; then
    mkdir -p "$node_dir" && (cd "$node_dir" && npm init -y >/dev/null && npm install --silent @mozilla/readability@0.6.0 jsdom@26)
  fi
  EVCAT_NODE_MODULES="$node_dir/node_modules" node "$here/readability.mjs" "${pages[@]}" > "$work/out/readability-js.jsonl"
fi

if want evcat; then
  (cd "$root" && cargo build -q --release --example bench_extract)
  "$root/target/release/examples/bench_extract" "${pages[@]}" > "$work/out/evcat.jsonl"
fi

if want candidates; then
  (cd "$here/candidates" && CARGO_TARGET_DIR="$root/target/extract-candidates" cargo build -q --release)
  "$root/target/extract-candidates/release/evcat-extract-candidates" "${pages[@]}" > "$work/out/candidates.jsonl"
fi

python3 "$here/score.py" "$here/gold.json" "$work"/out/*.jsonl "$@"
