#!/usr/bin/env bash
# The main job on the shipped samples: build evcat, create ./demo-catalog, import
# the sample article, acquire the media it cites with provenance, confirm and link
# the claims, hand a file over, audit, and print a summary.
#
#   bash samples/demo.sh [CATALOG_DIR]      (default: ./demo-catalog, recreated each run)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
dir=${1:-$root/demo-catalog}

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/evcat"

rm -rf "$dir"
ev() { "$bin" --catalog "$dir" "$@"; }
say() { printf '\n== %s\n' "$*"; }
# First "<key>": "<value>" in a JSON document on stdin (pretty-printed by evcat).
field() { sed -n "s/^ *\"$1\": \"\([^\"]*\)\".*/\1/p" | head -n 1; }

say "Create the catalog (default actor: archivist) and a second signing identity"
ev --actor archivist init "$dir" --role archivist
ev actor add editor --role editor

say "Import the article; evcat detects sentences that cite media"
ev article add "$here/article.txt" --publisher "Harbour City Ledger" \
   --url "https://ledger.example/2026/03/14/open-gate" --author "R. Anand"

# The claim for an exact sentence, and the evidence detection linked to it
# (created here if detection did not).
claim_of() { ev --json claim add --article A1 --quote "$1" | field id; }
evidence_of() {
  local claim=$1 kind=$2 platform=$3 e
  e=$(ev --json show "$claim" | field evidence_id)
  if [ -z "$e" ]; then
    e=$(ev --json evidence add --kind "$kind" --platform "$platform" --title "$kind cited in A1" | field id)
    ev link "$claim" "$e" --relation mentions >/dev/null
  fi
  echo "$e"
}

say "Acquire the TikTok clip, the Instagram livestream excerpt and the photo on X"
clip_claim=$(claim_of "A clip posted on TikTok from the quay shows two officers lifting a steel barrier aside as the crowd moves towards the old customs house.")
clip_ev=$(evidence_of "$clip_claim" video tiktok)
ev evidence edit "$clip_ev" --url "https://www.tiktok.com/@quaywatch/video/7345550011122233344" \
   --author "@quaywatch" --posted-at "2026-03-14T13:52:00Z" --platform-id 7345550011122233344 \
   --title "Officers lift barrier at the quay gate" --reason "post located by the verification desk"
ev add "$here/media/barrier-clip.mp4" --evidence "$clip_ev" --acquired-by archivist \
   --method download --tool "yt-dlp 2026.02.01" --note "original upload, downloaded 40 min after posting"

live_claim=$(claim_of "Footage streamed live on Instagram from inside the customs house appears to show an officer chatting and laughing with protesters in the main hall.")
live_ev=$(evidence_of "$live_claim" video instagram)
ev evidence edit "$live_ev" --url "https://www.instagram.com/harbourtenants/live/18012345678" \
   --author "@harbourtenants" --posted-at "2026-03-14T14:20:00Z" --title "Instagram Live from the customs house"
ev add "$here/media/livestream-excerpt.mp4" --evidence "$live_ev" --acquired-by archivist \
   --method screen-recording --tool "OBS Studio 31" --note "excerpt of the live broadcast, recorded while live"

photo_claim=$(claim_of "A photo shared widely on X shows a uniformed officer posing for a selfie with a man wearing a union scarf.")
photo_ev=$(evidence_of "$photo_claim" image x)
ev evidence edit "$photo_ev" --url "https://x.com/dockside_ana/status/1768123456789012345" \
   --author "@dockside_ana" --posted-at "2026-03-14T15:05:00Z" --title "Officer selfie with protester"
ev add "$here/media/selfie-photo.jpg" --evidence "$photo_ev" --acquired-by archivist \
   --method sent-by-source --note "original from the photographer's phone, EXIF intact"
ev add "$here/media/selfie-reupload.jpg" --evidence "$photo_ev" --acquired-by archivist \
   --method download --tool "browser save-as" --note "the copy as posted on X (re-encoded, EXIF stripped)"

say "A photo with no article claim yet: registered as its own evidence"
ev add "$here/media/steps-photo.jpg" --platform other --acquired-by archivist --method sent-by-source

say "The editor confirms the claims and links them to what the media shows"
for c in "$clip_claim" "$live_claim" "$photo_claim"; do ev --actor editor claim confirm "$c"; done
ev --actor editor link "$clip_claim" "$clip_ev" --relation depicts --at 00:01-00:03 \
   --note "barrier lifted at 00:01, crowd passes by 00:03"
ev --actor editor link "$live_claim" "$live_ev" --relation supports --note "officer visible centre frame"
ev --actor editor link "$photo_claim" "$photo_ev" --relation depicts --region 180,90,280,300 \
   --note "officer and man in union scarf"

say "Hand the original photo to the legal desk"
photo_file=$(ev --json list files --evidence "$photo_ev" | field sha256)
ev custody transfer "${photo_file:0:12}" --to "legal desk (M. Ferreira)" --reason "pre-publication legal review"

say "Audit: fixity of every file, the signed hash chain, record integrity"
ev audit

say "Summary"
ev show A1
ev trace "$clip_claim"
ev trace "$photo_claim"
say "Claims with no acquired evidence yet"
ev claims --unsupported
say "Evidence still to acquire"
ev list evidence --status referenced
say "Publish this checkpoint (the chain head) to prove later that nothing before it changed"
ev log --head
