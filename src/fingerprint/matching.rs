//! When two files are near-duplicates: the match rule over per-frame PDQ
//! distances, the in-memory [`FingerprintSet`] (multi-index hashing over
//! every usable hash, grouped by file) and clustering for `similar --all`.
//! Pure: the persisted index in `catalog/fingerprints.rs` feeds candidates
//! to the same rule (`file_match`), so both give the same answers.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use super::audio::AudioMatch;
use super::index::Index;
use super::model::{FrameHash, StoredFingerprint};
use super::parts::{Part, Transform};
use super::{pdq, MIN_FRAME_QUALITY, MIN_IMAGE_QUALITY};
use crate::ids::FileId;
use crate::timefmt::format_clock_ms;

/// A video pair matches when at least this share of one side's usable
/// keyframes has a match on the other side.
const MIN_FRAME_SHARE: f64 = 0.5;

/// How a match looks, from the query file's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LooksLike {
    SamePicture,
    NearDuplicate,
    ReEncode,
    Excerpt,
    Contains,
    StillOf,
    ContainsStill,
    SharesScenes,
    /// Nothing seen matches, but the sound does (new visuals over the same
    /// audio, two recordings of one sound).
    SameAudio,
}

impl LooksLike {
    pub fn as_str(self) -> &'static str {
        match self {
            LooksLike::SamePicture => "same-picture",
            LooksLike::NearDuplicate => "near-duplicate",
            LooksLike::ReEncode => "re-encode",
            LooksLike::Excerpt => "excerpt",
            LooksLike::Contains => "contains",
            LooksLike::StillOf => "still-of",
            LooksLike::ContainsStill => "contains-still",
            LooksLike::SharesScenes => "shares-scenes",
            LooksLike::SameAudio => "same-audio",
        }
    }

    fn phrase(self) -> &'static str {
        match self {
            LooksLike::SamePicture => "looks like the same picture as",
            LooksLike::NearDuplicate => "looks like a near-duplicate of",
            LooksLike::ReEncode => "looks like a re-encode of",
            LooksLike::Excerpt => "looks like an excerpt of",
            LooksLike::Contains => "looks like it contains",
            LooksLike::StillOf => "looks like a still from",
            LooksLike::ContainsStill => "looks like it contains a frame like",
            LooksLike::SharesScenes => "shares scenes with",
            LooksLike::SameAudio => "has the same audio as",
        }
    }
}

/// What kind of copy a match is, when the hashes that matched say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum How {
    /// Mirrored left to right.
    Mirrored,
    /// Rotated clockwise by 90, 180 or 270 degrees.
    Rotated90,
    Rotated180,
    Rotated270,
    /// Flipped upside down, transposed or anti-transposed.
    Flipped,
    Transposed,
    /// Inside borders or UI strips (letterboxed, pillarboxed, a screenshot):
    /// matched with the borders trimmed.
    Letterboxed,
    /// Cropped on one side (matched a one-side cut of the other).
    Cropped,
    /// Something covers an edge (a caption, logo or watermark): matched with that edge cut from both.
    Edited,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Mirrored => "mirrored",
            How::Rotated90 => "rotated 90°",
            How::Rotated180 => "rotated 180°",
            How::Rotated270 => "rotated 270°",
            How::Flipped => "flipped",
            How::Transposed => "transposed",
            How::Letterboxed => "letterboxed",
            How::Cropped => "cropped",
            How::Edited => "captioned or watermarked",
        }
    }

    /// The query is the other file moved by `t` (its hash under the inverse
    /// of `t` met the other's).
    fn of_transform(t: Transform) -> Option<How> {
        match t {
            Transform::Identity => None,
            Transform::Mirror => Some(How::Mirrored),
            Transform::Rotate90 => Some(How::Rotated90),
            Transform::Rotate180 => Some(How::Rotated180),
            Transform::Rotate270 => Some(How::Rotated270),
            Transform::FlipVertical => Some(How::Flipped),
            Transform::Transpose | Transform::Transverse => Some(How::Transposed),
        }
    }
}

/// A stretch of the query video that matches a stretch of the other file,
/// from the times of the keyframes that matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub other_start_ms: u64,
    pub other_end_ms: u64,
}

/// A near-duplicate of a query file.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    pub file: FileId,
    /// PDQ distance (of 256 bits): the median over matched query frames of
    /// the closest distance (stills: the distance). For `same-audio`: the
    /// audio's mean bit error (of 32), rounded.
    pub distance: u32,
    /// Query frames with a match in `file`, of the query's usable frames
    /// (0 of 0 for `same-audio`: no picture matched).
    pub frames_matched: u32,
    pub frames_total: u32,
    /// `file`'s frames with a match in the query, of its usable frames.
    pub other_frames_matched: u32,
    pub other_frames_total: u32,
    pub looks_like: LooksLike,
    /// What was done to make one from the other, when known.
    pub how: Vec<How>,
    /// For videos: which stretches of the query match which of `file`
    /// (for `same-audio`: the audio's, as in `audio.segments`).
    pub segments: Vec<Segment>,
    /// Length of the query in ms (last keyframe + the 1 s sampling step;
    /// `same-audio`: its audio's length); none for stills.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_ms: Option<u64>,
    /// The sound matches too (or only the sound, for `same-audio`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioMatch>,
}

/// A decoded audio length to the nearest second (an AAC track of a 12 s clip
/// lasts 12.004 s: "of 12 s", not "of 13 s").
fn nearest_second(ms: u64) -> u64 {
    (ms + 500) / 1000 * 1000
}

fn audio_clock(ms: u64) -> String {
    format_clock_ms(nearest_second(ms))
}

/// "00:00-00:06 matches F7 00:05-00:11 (6 of 6 s), ..." for `segments` of a
/// query `total_ms` long.
/// `clock` formats a time (audio times are rounded to whole seconds: an
/// item is 124 ms, so milliseconds would be false precision).
fn describe_segments(
    s: &mut String,
    file: FileId,
    segments: &[Segment],
    total_ms: Option<u64>,
    clock: fn(u64) -> String,
) {
    for (i, g) in segments.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&format!(
            "{}-{} matches {} {}-{} ({} of {} s)",
            clock(g.start_ms),
            clock(g.end_ms),
            file,
            clock(g.other_start_ms),
            clock(g.other_end_ms),
            (g.end_ms - g.start_ms).div_ceil(1000),
            total_ms.unwrap_or(g.end_ms).max(g.end_ms).div_ceil(1000),
        ));
    }
}

impl Match {
    /// "F41 looks like a re-encode of F7 (mirrored): PDQ distance 14, 18 of 20
    /// keyframes match; 00:00-00:06 matches F7 00:05-00:11 (6 of 6 s)".
    pub fn describe(&self, query: FileId) -> String {
        let mut s = format!("{query} {} {}", self.looks_like.phrase(), self.file);
        if let (LooksLike::SameAudio, Some(a)) = (self.looks_like, &self.audio) {
            s.push_str(&format!(": Chromaprint bit error {:.1} of 32", a.bit_error));
            if !a.segments.is_empty() {
                s.push_str("; ");
                describe_segments(&mut s, self.file, &a.segments, Some(nearest_second(a.query_ms)), audio_clock);
            }
            return s;
        }
        if !self.how.is_empty() {
            let words: Vec<&str> = self.how.iter().map(|h| h.as_str()).collect();
            s.push_str(&format!(" ({})", words.join(", ")));
        }
        s.push_str(&format!(": PDQ distance {}", self.distance));
        if self.looks_like != LooksLike::SamePicture && self.looks_like != LooksLike::NearDuplicate {
            s.push_str(&format!(", {} of {} keyframes match", self.frames_matched, self.frames_total));
        }
        if !self.segments.is_empty() {
            s.push_str("; ");
            describe_segments(&mut s, self.file, &self.segments, self.query_ms, format_clock_ms);
        }
        if let Some(a) = &self.audio {
            s.push_str("; same audio");
            if !a.segments.is_empty() {
                s.push_str(": ");
                describe_segments(&mut s, self.file, &a.segments, Some(nearest_second(a.query_ms)), audio_clock);
            }
        }
        s
    }

    /// A match by sound alone.
    pub fn same_audio(file: FileId, audio: AudioMatch) -> Match {
        Match {
            file,
            distance: audio.bit_error.round() as u32,
            frames_matched: 0,
            frames_total: 0,
            other_frames_matched: 0,
            other_frames_total: 0,
            looks_like: LooksLike::SameAudio,
            how: Vec::new(),
            segments: audio.segments.clone(),
            query_ms: Some(audio.query_ms),
            audio: Some(audio),
        }
    }
}

/// Lowest quality a hash needs to be matched on, for a video's keyframes or a still.
pub(crate) fn min_quality(is_video: bool) -> u8 {
    if is_video {
        MIN_FRAME_QUALITY
    } else {
        MIN_IMAGE_QUALITY
    }
}

/// The usable hashes of a set of frames, for matching.
pub(crate) fn usable(frames: &[FrameHash], is_video: bool) -> Vec<FrameHash> {
    let min = min_quality(is_video);
    frames.iter().filter(|f| f.quality >= min).copied().collect()
}

/// An index over every usable fingerprint of a catalog, grouped by file.
/// Only identity hashes are indexed (what a query's variants are looked up
/// in); each file keeps all its usable hashes for when it is the query.
pub struct FingerprintSet {
    files: Vec<FileId>,
    prints: Vec<Vec<FrameHash>>,
    /// File position of each indexed hash.
    owner: Vec<u32>,
    by_file: HashMap<FileId, usize>,
    video: HashSet<FileId>,
    index: Index,
}

impl FingerprintSet {
    /// Build from stored fingerprints (any order); `video` says which files are videos.
    pub fn build(mut fps: Vec<StoredFingerprint>, video: &HashSet<FileId>) -> FingerprintSet {
        fps.sort_by_key(|f| (f.file, f.frame.frame_index, f.frame.part, f.frame.transform));
        let mut files = Vec::new();
        let mut prints: Vec<Vec<FrameHash>> = Vec::new();
        let mut owner = Vec::new();
        let mut hashes = Vec::new();
        let mut by_file = HashMap::new();
        for f in fps {
            if f.frame.quality < min_quality(video.contains(&f.file)) {
                continue;
            }
            if files.last() != Some(&f.file) {
                by_file.insert(f.file, files.len());
                files.push(f.file);
                prints.push(Vec::new());
            }
            let at = files.len() - 1;
            prints[at].push(f.frame);
            if f.frame.transform == Transform::Identity {
                hashes.push(f.frame.hash);
                owner.push(at as u32);
            }
        }
        let index = Index::build(&hashes);
        FingerprintSet { files, prints, owner, by_file, video: video.clone(), index }
    }

    /// Number of indexed hashes.
    pub fn len(&self) -> usize {
        self.owner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.owner.is_empty()
    }

    pub fn files(&self) -> &[FileId] {
        &self.files
    }

    pub fn is_video(&self, file: FileId) -> bool {
        self.video.contains(&file)
    }

    /// Usable hashes of a file in the set (every part and transform).
    pub fn hashes_of(&self, file: FileId) -> &[FrameHash] {
        self.by_file.get(&file).map(|&i| &self.prints[i][..]).unwrap_or(&[])
    }

    /// Files near-duplicating `query` (usable hashes of one file), closest first.
    /// `allow` filters candidate files (e.g. not the query itself).
    pub fn matches(
        &self,
        query: &[FrameHash],
        q_video: bool,
        max_distance: u32,
        allow: impl Fn(FileId) -> bool,
    ) -> Vec<Match> {
        let mut candidates = BTreeSet::new();
        for q in query {
            for hit in self.index.query(&q.hash, max_distance) {
                let f = self.owner[hit.pos as usize] as usize;
                if allow(self.files[f]) {
                    candidates.insert(f);
                }
            }
        }
        let mut out: Vec<Match> = candidates
            .into_iter()
            .filter_map(|f| {
                let other = self.files[f];
                file_match(query, q_video, max_distance, other, &self.prints[f], self.video.contains(&other))
            })
            .collect();
        sort_matches(&mut out);
        out
    }

    /// Clusters of near-duplicates among the set's files: the connected
    /// components of the match relation, each with its matching pairs.
    pub fn clusters(&self, max_distance: u32) -> Vec<Cluster> {
        let files = self.files();
        let pos: HashMap<FileId, usize> = files.iter().enumerate().map(|(i, f)| (*f, i)).collect();
        let mut parent: Vec<usize> = (0..files.len()).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        let mut pairs = Vec::new();
        for (i, &f) in files.iter().enumerate() {
            for m in self.matches(self.hashes_of(f), self.is_video(f), max_distance, |o| o > f) {
                let j = pos.get(&m.file).copied().unwrap_or(i);
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
                pairs.push(Pair { file: f, other: m.file, distance: m.distance, looks_like: m.looks_like });
            }
        }
        let mut groups: BTreeMap<usize, Vec<FileId>> = BTreeMap::new();
        for (i, &f) in files.iter().enumerate() {
            let r = find(&mut parent, i);
            groups.entry(r).or_default().push(f);
        }
        let mut clusters: Vec<Cluster> = groups
            .into_values()
            .filter(|g| g.len() > 1)
            .map(|mut g| {
                g.sort();
                let members: HashSet<FileId> = g.iter().copied().collect();
                let mut ps: Vec<Pair> = pairs.iter().filter(|p| members.contains(&p.file)).cloned().collect();
                ps.sort_by_key(|p| (p.distance, p.file, p.other));
                Cluster { files: g, pairs: ps }
            })
            .collect();
        clusters.sort_by_key(|c| c.files.first().copied());
        clusters
    }
}

/// How two parts may be compared, best first: frame with frame (whole,
/// trimmed, centred crops), a one-side cut with a whole or trimmed frame
/// (a crop), the same cut on both sides (an edited edge), also when one
/// side's cut is of its trimmed content (an edge covered in a letterboxed
/// copy, such as a screenshot's buttons over the picture). Other pairs are
/// not compared: each allowed pairing is one more chance of a false match.
fn pairing(q: Part, o: Part) -> Option<u8> {
    match (q, o) {
        (a, b) if a.is_frame() && b.is_frame() => Some(0),
        (Part::Cut(..), Part::Whole | Part::Trimmed) | (Part::Whole | Part::Trimmed, Part::Cut(..)) => Some(1),
        // An edge covered in a letterboxed copy (a screenshot's buttons over
        // the picture): the trimmed content's cut meets the original's.
        (Part::Cut(a, x) | Part::TrimmedCut(a, x), Part::Cut(b, y) | Part::TrimmedCut(b, y)) if a == b && x == y => {
            Some(2)
        }
        _ => None,
    }
}

/// The best pair of one query frame with the other file under one transform.
#[derive(Debug, Clone, Copy)]
struct Best {
    rank: (u8, bool, u32),
    distance: u32,
    other_ms: Option<u64>,
}

/// Apply the match rule to one candidate file: under each transform of the
/// query's hashes, pair query and `other` hashes (identity) as [`pairing`]
/// allows; at least half of one side's usable frames (a still is one frame)
/// must find a pair within `max_distance`. The transform matching the
/// larger share wins (identity on a tie). Stills report their closest
/// allowed pair, videos the median over matched frames.
pub(crate) fn file_match(
    query: &[FrameHash],
    q_video: bool,
    max_distance: u32,
    file: FileId,
    other: &[FrameHash],
    o_video: bool,
) -> Option<Match> {
    let q_frames: BTreeSet<u32> = query.iter().map(|f| f.frame_index).collect();
    let o_ident: Vec<&FrameHash> = other.iter().filter(|o| o.transform == Transform::Identity).collect();
    let o_frames: BTreeSet<u32> = o_ident.iter().map(|f| f.frame_index).collect();
    let transforms: BTreeSet<Transform> = query.iter().map(|f| f.transform).collect();
    let mut best: Option<(f64, Transform, Match)> = None;
    for t in transforms {
        let mut per_frame: BTreeMap<u32, (Best, u64)> = BTreeMap::new();
        let mut o_matched = BTreeSet::new();
        for q in query.iter().filter(|q| q.transform == t) {
            for o in &o_ident {
                let Some(kind) = pairing(q.part, o.part) else { continue };
                let d = pdq::distance(&q.hash, &o.hash);
                if d > max_distance {
                    continue;
                }
                o_matched.insert(o.frame_index);
                let trimmed = q.part.is_trimmed() || o.part.is_trimmed();
                let b = Best { rank: (kind, trimmed, d), distance: d, other_ms: o.frame_ms };
                let e = per_frame.entry(q.frame_index).or_insert((b, q.frame_ms.unwrap_or(0)));
                if b.rank < e.0.rank {
                    e.0 = b;
                }
            }
        }
        let Some(m) =
            decide(&per_frame, (q_frames.len(), o_matched.len(), o_frames.len()), file, (q_video, o_video), t)
        else {
            continue;
        };
        let share = f64::from(m.frames_matched) / f64::from(m.frames_total.max(1));
        let other_share = f64::from(m.other_frames_matched) / f64::from(m.other_frames_total.max(1));
        let score = share.max(other_share);
        if best.as_ref().is_none_or(|(s, _, b)| score > *s || (score == *s && m.distance < b.distance)) {
            best = Some((score, t, m));
        }
    }
    best.map(|(_, _, mut m)| {
        if let Some(q_end) = query.iter().filter_map(|f| f.frame_ms).max().filter(|_| q_video) {
            m.query_ms = Some(q_end + 1000);
        }
        m
    })
}

/// The verdict from the best pair of each matched query frame under transform `t`.
fn decide(
    per_frame: &BTreeMap<u32, (Best, u64)>,
    (q_total, o_matched, o_total): (usize, usize, usize),
    file: FileId,
    (q_video, o_video): (bool, bool),
    t: Transform,
) -> Option<Match> {
    let q_matched = per_frame.len();
    if q_matched == 0 || q_total == 0 || o_total == 0 {
        return None;
    }
    let fq = q_matched as f64 / q_total as f64;
    let fo = o_matched as f64 / o_total as f64;
    if fq < MIN_FRAME_SHARE && fo < MIN_FRAME_SHARE {
        return None;
    }
    let mut chosen: Vec<&Best> = per_frame.values().map(|(b, _)| b).collect();
    chosen.sort_by_key(|b| b.rank);
    let mut dists: Vec<u32> = chosen.iter().map(|b| b.distance).collect();
    dists.sort_unstable();
    let distance = if q_video { dists[(dists.len() - 1) / 2] } else { chosen[0].distance };
    let looks_like = match (!q_video, !o_video) {
        (true, true) if distance == 0 && t == Transform::Identity => LooksLike::SamePicture,
        (true, true) => LooksLike::NearDuplicate,
        (true, false) => LooksLike::StillOf,
        (false, true) => LooksLike::ContainsStill,
        _ if fq >= 0.8 && fo >= 0.8 => LooksLike::ReEncode,
        _ if fq >= 0.8 => LooksLike::Excerpt,
        _ if fo >= 0.8 => LooksLike::Contains,
        _ => LooksLike::SharesScenes,
    };
    let mut how: Vec<How> = How::of_transform(t.inverse()).into_iter().collect();
    // A kind of pairing counts when it explains most matched frames (a still: its one frame).
    let most = |f: &dyn Fn(&Best) -> bool| chosen.iter().filter(|b| f(b)).count() * 2 > chosen.len();
    if most(&|b| b.rank.1) {
        how.push(How::Letterboxed);
    }
    if most(&|b| b.rank.0 == 1) {
        how.push(How::Cropped);
    }
    if most(&|b| b.rank.0 == 2) {
        how.push(How::Edited);
    }
    let segments = if q_video && !o_video { Vec::new() } else { segments(per_frame) };
    Some(Match {
        file,
        distance,
        frames_matched: q_matched as u32,
        frames_total: q_total as u32,
        other_frames_matched: o_matched as u32,
        other_frames_total: o_total as u32,
        looks_like,
        how,
        segments: if q_video && o_video { segments } else { Vec::new() },
        query_ms: None,
        audio: None,
    })
}

/// Largest drift of the time offset between the two files inside one
/// segment, and largest gap between matched keyframes (frames are sampled
/// once a second, plus scene changes).
const SEGMENT_DRIFT_MS: i64 = 1500;
const SEGMENT_GAP_MS: u64 = 3000;
/// The sampling step: a matched keyframe stands for the second after it.
const FRAME_STEP_MS: u64 = 1000;

/// Runs of matched keyframes in query order whose offset to the other file
/// stays put: each run is a segment of the query matching one of the other.
fn segments(per_frame: &BTreeMap<u32, (Best, u64)>) -> Vec<Segment> {
    let mut pairs: Vec<(u64, u64)> =
        per_frame.values().filter_map(|(b, q_ms)| b.other_ms.map(|o| (*q_ms, o))).collect();
    pairs.sort_unstable();
    let mut out: Vec<(Segment, i64)> = Vec::new();
    for (q, o) in pairs {
        let offset = o as i64 - q as i64;
        if let Some((seg, off)) = out.last_mut() {
            if q <= seg.end_ms + SEGMENT_GAP_MS && (offset - *off).abs() <= SEGMENT_DRIFT_MS {
                seg.end_ms = seg.end_ms.max(q + FRAME_STEP_MS);
                seg.other_start_ms = seg.other_start_ms.min(o);
                seg.other_end_ms = seg.other_end_ms.max(o + FRAME_STEP_MS);
                continue;
            }
        }
        out.push((
            Segment { start_ms: q, end_ms: q + FRAME_STEP_MS, other_start_ms: o, other_end_ms: o + FRAME_STEP_MS },
            offset,
        ));
    }
    out.into_iter().map(|(s, _)| s).collect()
}

/// Matches by picture first (their distances are PDQ's), then by sound
/// alone; each closest first, then the larger share of matched frames (or
/// of matched sound), then file id.
pub(crate) fn sort_matches(out: &mut [Match]) {
    out.sort_by(|a, b| {
        let share = |m: &Match| match (&m.audio, m.looks_like) {
            (Some(x), LooksLike::SameAudio) => x.matched_ms as f64 / (x.query_ms.max(1) as f64),
            _ => m.frames_matched as f64 / f64::from(m.frames_total.max(1)),
        };
        let by_sound = |m: &Match| m.looks_like == LooksLike::SameAudio;
        by_sound(a)
            .cmp(&by_sound(b))
            .then(a.distance.cmp(&b.distance))
            .then(share(b).total_cmp(&share(a)))
            .then(a.file.cmp(&b.file))
    });
}

/// A cluster of near-duplicates (`similar --all`).
#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    pub files: Vec<FileId>,
    /// The matching pairs inside the cluster, closest first.
    pub pairs: Vec<Pair>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    pub file: FileId,
    pub other: FileId,
    pub distance: u32,
    pub looks_like: LooksLike,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::parts::Side;

    fn h(seed: u8, flips: &[usize]) -> pdq::Hash256 {
        let mut x = [seed; 32];
        for &b in flips {
            x[b / 8] ^= 1 << (b % 8);
        }
        x
    }

    fn frame(idx: u32, ms: Option<u64>, part: Part, transform: Transform, hash: pdq::Hash256) -> FrameHash {
        FrameHash { frame_index: idx, frame_ms: ms, part, transform, hash, quality: 80 }
    }

    fn fp(file: i64, idx: u32, hash: pdq::Hash256) -> StoredFingerprint {
        let frame = frame(idx, Some(u64::from(idx) * 1000), Part::Whole, Transform::Identity, hash);
        StoredFingerprint { file: FileId(file), frame }
    }

    fn still(file: i64, part: Part, hash: pdq::Hash256) -> StoredFingerprint {
        StoredFingerprint { file: FileId(file), frame: frame(0, None, part, Transform::Identity, hash) }
    }

    #[test]
    fn video_rule_needs_half_the_frames() {
        // File 1: 4 frames; file 2 shares 3 of them (re-encode-ish); file 3 shares 1 of 4.
        let frames: Vec<pdq::Hash256> = (0..4).map(|i| h(i * 40 + 1, &[])).collect();
        let mut fps = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            fps.push(fp(1, i as u32, *f));
        }
        for i in 0..3 {
            fps.push(fp(2, i as u32, h(i as u8 * 40 + 1, &[3, 70])));
        }
        fps.push(fp(2, 3, h(250, &[])));
        fps.push(fp(3, 0, frames[0]));
        for i in 1..4 {
            fps.push(fp(3, i, h(200 + i as u8, &[])));
        }
        let videos: HashSet<FileId> = [FileId(1), FileId(2), FileId(3)].into();
        let set = FingerprintSet::build(fps, &videos);
        let m = set.matches(set.hashes_of(FileId(1)), true, 31, |f| f != FileId(1));
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].file, FileId(2));
        assert_eq!((m[0].frames_matched, m[0].frames_total, m[0].distance), (3, 4, 2));
        assert_eq!(
            m[0].describe(FileId(1)),
            "F1 shares scenes with F2: PDQ distance 2, 3 of 4 keyframes match; 00:00-00:03 matches F2 00:00-00:03 (3 of 4 s)"
        );
    }

    #[test]
    fn still_matches_on_distance() {
        let a = h(7, &[]);
        let fps = vec![
            still(1, Part::Whole, a),
            still(2, Part::Whole, h(7, &[1, 2, 3])),
            still(3, Part::Whole, h(0x70, &[])),
        ];
        let set = FingerprintSet::build(fps, &HashSet::new());
        let m = set.matches(set.hashes_of(FileId(1)), false, 31, |f| f != FileId(1));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].looks_like, LooksLike::NearDuplicate);
        assert_eq!(m[0].describe(FileId(1)), "F1 looks like a near-duplicate of F2: PDQ distance 3");
    }

    /// A mirrored copy meets the original through the query's mirror
    /// variant; a cut meets a whole picture (a crop) and the same cut (an
    /// edited edge); a cut never meets a different cut.
    #[test]
    fn verdicts_say_what_kind_of_copy() {
        let (a, b, c) = (h(7, &[]), h(0x31, &[]), h(0x5c, &[]));
        let mut query = vec![frame(0, None, Part::Whole, Transform::Identity, h(0x70, &[]))];
        query.push(frame(0, None, Part::Whole, Transform::Mirror, a));
        let other = [frame(0, None, Part::Whole, Transform::Identity, h(7, &[4, 9]))];
        let m = file_match(&query, false, 31, FileId(2), &other, false).unwrap();
        assert_eq!((m.how.clone(), m.distance), (vec![How::Mirrored], 2));
        assert!(m.describe(FileId(1)).starts_with("F1 looks like a near-duplicate of F2 (mirrored): PDQ distance 2"));

        let cut = Part::Cut(Side::Left, 12);
        let query = [frame(0, None, Part::Whole, Transform::Identity, b)];
        let other = [frame(0, None, cut, Transform::Identity, b), frame(0, None, Part::Whole, Transform::Identity, c)];
        assert_eq!(file_match(&query, false, 31, FileId(2), &other, false).unwrap().how, [How::Cropped]);
        let query = [frame(0, None, Part::Cut(Side::Top, 9), Transform::Identity, b)];
        let edited = [frame(0, None, Part::Cut(Side::Top, 9), Transform::Identity, b)];
        assert_eq!(file_match(&query, false, 31, FileId(2), &edited, false).unwrap().how, [How::Edited]);
        let other_cut = [frame(0, None, Part::Cut(Side::Bottom, 9), Transform::Identity, b)];
        assert!(file_match(&query, false, 31, FileId(2), &other_cut, false).is_none());

        // A screenshot whose buttons cover the picture's bottom edge: its
        // trimmed content's cut meets the original's cut of that depth, and
        // nothing else (not the original's whole picture, not another cut).
        let shot = [frame(0, None, Part::TrimmedCut(Side::Bottom, 15), Transform::Identity, b)];
        let original = [frame(0, None, Part::Cut(Side::Bottom, 15), Transform::Identity, b)];
        let m = file_match(&shot, false, 31, FileId(2), &original, false).unwrap();
        assert_eq!(m.how, [How::Letterboxed, How::Edited]);
        let whole = [frame(0, None, Part::Whole, Transform::Identity, b)];
        assert!(file_match(&shot, false, 31, FileId(2), &whole, false).is_none());
        let deeper = [frame(0, None, Part::Cut(Side::Bottom, 18), Transform::Identity, b)];
        assert!(file_match(&shot, false, 31, FileId(2), &deeper, false).is_none());
    }

    #[test]
    fn segments_follow_the_time_offset() {
        // Query frames 0..6 s match the other's 5..11 s; then 20..22 s its 40..42 s.
        let mut query = Vec::new();
        let mut other = Vec::new();
        for (i, (q, o)) in [(0, 5), (1, 6), (2, 7), (3, 8), (4, 9), (5, 10), (20, 40), (21, 41)].iter().enumerate() {
            let x = h(i as u8 * 29 + 3, &[]);
            query.push(frame(i as u32, Some(q * 1000), Part::Whole, Transform::Identity, x));
            other.push(frame(i as u32, Some(o * 1000), Part::Whole, Transform::Identity, x));
        }
        let m = file_match(&query, true, 31, FileId(2), &other, true).unwrap();
        let got: Vec<(u64, u64, u64, u64)> =
            m.segments.iter().map(|s| (s.start_ms, s.end_ms, s.other_start_ms, s.other_end_ms)).collect();
        assert_eq!(got, [(0, 6000, 5000, 11000), (20000, 22000, 40000, 42000)]);
        assert!(
            m.describe(FileId(1)).contains("; 00:00-00:06 matches F2 00:05-00:11 (6 of 22 s), 00:20-00:22"),
            "{}",
            m.describe(FileId(1))
        );
    }

    /// A match by sound alone reads as one, with whole-second audio times,
    /// and sorts after every match by picture; a match by both says both.
    #[test]
    fn same_audio_verdicts_and_order() {
        let seg = Segment { start_ms: 0, end_ms: 6809, other_start_ms: 4457, other_end_ms: 11266 };
        let audio =
            AudioMatch { bit_error: 2.03, matched_ms: 6809, query_ms: 7012, other_ms: 12004, segments: vec![seg] };
        let by_sound = Match::same_audio(FileId(2), audio.clone());
        assert_eq!(
            (by_sound.looks_like, by_sound.distance, by_sound.segments.clone()),
            (LooksLike::SameAudio, 2, vec![seg])
        );
        assert_eq!(
            by_sound.describe(FileId(7)),
            "F7 has the same audio as F2: Chromaprint bit error 2.0 of 32; 00:00-00:07 matches F2 00:04-00:11 (7 of 7 s)"
        );
        let q = [frame(0, None, Part::Whole, Transform::Identity, h(7, &[]))];
        let mut by_picture = file_match(&q, false, 31, FileId(3), &q, false).unwrap();
        by_picture.distance = 30;
        by_picture.audio = Some(audio);
        assert!(by_picture
            .describe(FileId(7))
            .ends_with("; same audio: 00:00-00:07 matches F3 00:04-00:11 (7 of 7 s)"));
        let mut both = vec![by_sound, by_picture];
        sort_matches(&mut both);
        assert_eq!(both.iter().map(|m| m.file).collect::<Vec<_>>(), [FileId(3), FileId(2)]);
    }

    #[test]
    fn clusters_are_connected_components_with_their_pairs() {
        // 1 ~ 2 and 2 ~ 4 (not 1 ~ 4): one cluster of three; 3 and 5 alone.
        let flipped = |n: usize| h(7, &(0..n).collect::<Vec<_>>());
        let fps = vec![
            still(1, Part::Whole, h(7, &[])),
            still(2, Part::Whole, flipped(20)),
            still(3, Part::Whole, h(0x70, &[])),
            still(4, Part::Whole, flipped(40)),
            still(5, Part::Whole, h(0x0f, &[])),
        ];
        let set = FingerprintSet::build(fps, &HashSet::new());
        let c = set.clusters(20);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].files, [FileId(1), FileId(2), FileId(4)]);
        let pairs: Vec<(FileId, FileId, u32)> = c[0].pairs.iter().map(|p| (p.file, p.other, p.distance)).collect();
        assert_eq!(pairs, [(FileId(1), FileId(2), 20), (FileId(2), FileId(4), 20)]);
        assert!(set.clusters(19).is_empty());
    }
}
