//! When two files are near-duplicates: the match rule over per-frame PDQ
//! distances, the in-memory [`FingerprintSet`] (multi-index hashing over
//! every usable hash, grouped by file) and clustering for `similar --all`.
//! Pure: the persisted index in `catalog/fingerprints.rs` feeds candidates
//! to the same rule (`file_match`), so both give the same answers.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::index::Index;
use super::model::{FrameHash, StoredFingerprint};
use super::{pdq, MIN_FRAME_QUALITY, MIN_IMAGE_QUALITY};
use crate::ids::FileId;

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
        }
    }
}

/// A near-duplicate of a query file.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    pub file: FileId,
    /// Median over matched query frames of the closest distance (stills: the distance).
    pub distance: u32,
    /// Query frames with a match in `file`, of the query's usable frames.
    pub frames_matched: u32,
    pub frames_total: u32,
    /// `file`'s frames with a match in the query, of its usable frames.
    pub other_frames_matched: u32,
    pub other_frames_total: u32,
    pub looks_like: LooksLike,
}

impl Match {
    /// "F41 looks like a re-encode of F7: PDQ distance 14, 18 of 20 keyframes match".
    pub fn describe(&self, query: FileId) -> String {
        let mut s = format!("{query} {} {}: PDQ distance {}", self.looks_like.phrase(), self.file, self.distance);
        if self.looks_like != LooksLike::SamePicture && self.looks_like != LooksLike::NearDuplicate {
            s.push_str(&format!(", {} of {} keyframes match", self.frames_matched, self.frames_total));
        }
        s
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
pub(crate) fn usable(frames: &[FrameHash], is_video: bool) -> Vec<pdq::Hash256> {
    let min = min_quality(is_video);
    frames.iter().filter(|f| f.quality >= min).map(|f| f.hash).collect()
}

/// An index over every usable fingerprint of a catalog, grouped by file.
pub struct FingerprintSet {
    files: Vec<FileId>,
    /// Per file: its usable hashes (positions `ranges[i]` in `hashes`).
    ranges: Vec<std::ops::Range<usize>>,
    owner: Vec<u32>,
    hashes: Vec<pdq::Hash256>,
    by_file: HashMap<FileId, usize>,
    video: HashSet<FileId>,
    index: Index,
}

impl FingerprintSet {
    /// Build from stored fingerprints (any order); `video` says which files are videos.
    pub fn build(mut fps: Vec<StoredFingerprint>, video: &HashSet<FileId>) -> FingerprintSet {
        fps.sort_by_key(|f| (f.file, f.frame_index));
        let mut files = Vec::new();
        let mut ranges = Vec::new();
        let mut owner = Vec::new();
        let mut hashes = Vec::new();
        let mut by_file = HashMap::new();
        let mut i = 0;
        while i < fps.len() {
            let file = fps[i].file;
            let min = min_quality(video.contains(&file));
            let start = hashes.len();
            while i < fps.len() && fps[i].file == file {
                if fps[i].quality >= min {
                    hashes.push(fps[i].hash);
                    owner.push(files.len() as u32);
                }
                i += 1;
            }
            by_file.insert(file, files.len());
            files.push(file);
            ranges.push(start..hashes.len());
        }
        let index = Index::build(&hashes);
        FingerprintSet { files, ranges, owner, hashes, by_file, video: video.clone(), index }
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    pub fn files(&self) -> &[FileId] {
        &self.files
    }

    pub fn is_video(&self, file: FileId) -> bool {
        self.video.contains(&file)
    }

    /// Usable hashes of a file in the set.
    pub fn hashes_of(&self, file: FileId) -> &[pdq::Hash256] {
        self.by_file.get(&file).map(|&i| &self.hashes[self.ranges[i].clone()]).unwrap_or(&[])
    }

    /// Files near-duplicating `query` (usable hashes of one file), closest first.
    /// `allow` filters candidate files (e.g. not the query itself).
    pub fn matches(
        &self,
        query: &[pdq::Hash256],
        q_still: bool,
        max_distance: u32,
        allow: impl Fn(FileId) -> bool,
    ) -> Vec<Match> {
        if query.is_empty() {
            return Vec::new();
        }
        // Per candidate file: closest distance for each query frame that has a hit.
        let mut per_file: HashMap<usize, BTreeMap<usize, u32>> = HashMap::new();
        for (qi, q) in query.iter().enumerate() {
            for hit in self.index.query(q, max_distance) {
                let f = self.owner[hit.pos as usize] as usize;
                if !allow(self.files[f]) {
                    continue;
                }
                let e = per_file.entry(f).or_default().entry(qi).or_insert(u32::MAX);
                *e = (*e).min(hit.distance);
            }
        }
        let mut out = Vec::new();
        for (f, best) in per_file {
            let other = &self.hashes[self.ranges[f].clone()];
            let o_still = !self.video.contains(&self.files[f]);
            if let Some(m) = file_match(query, q_still, max_distance, self.files[f], &best, other, o_still) {
                out.push(m);
            }
        }
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
            for m in self.matches(self.hashes_of(f), !self.is_video(f), max_distance, |o| o > f) {
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

/// Apply the match rule to one candidate file, given the closest distance of
/// each query frame that has a hit in it and its own usable hashes.
pub(crate) fn file_match(
    query: &[pdq::Hash256],
    q_still: bool,
    max_distance: u32,
    file: FileId,
    best: &BTreeMap<usize, u32>,
    other: &[pdq::Hash256],
    o_still: bool,
) -> Option<Match> {
    let other_matched =
        other.iter().filter(|o| query.iter().any(|q| pdq::distance(q, o) <= max_distance)).count() as u32;
    let mut dists: Vec<u32> = best.values().copied().collect();
    dists.sort_unstable();
    decide(dists, query.len() as u32, other_matched, other.len() as u32, file, (q_still, o_still))
}

/// Closest first, then the larger share of matched frames, then file id.
pub(crate) fn sort_matches(out: &mut [Match]) {
    out.sort_by(|a, b| {
        let share = |m: &Match| m.frames_matched as f64 / f64::from(m.frames_total.max(1));
        a.distance.cmp(&b.distance).then(share(b).total_cmp(&share(a))).then(a.file.cmp(&b.file))
    });
}

/// The match rule: at least half of one side's usable hashes (video
/// keyframes, or a still's whole picture and crop variants) must find a match
/// on the other side. Stills report their closest distance, videos the median.
fn decide(
    dists: Vec<u32>,
    q_total: u32,
    o_matched: u32,
    o_total: u32,
    file: FileId,
    (q_still, o_still): (bool, bool),
) -> Option<Match> {
    let q_matched = dists.len() as u32;
    if q_matched == 0 || q_total == 0 || o_total == 0 {
        return None;
    }
    let fq = f64::from(q_matched) / f64::from(q_total);
    let fo = f64::from(o_matched) / f64::from(o_total);
    if fq < MIN_FRAME_SHARE && fo < MIN_FRAME_SHARE {
        return None;
    }
    let distance = if q_still { dists[0] } else { dists[(dists.len() - 1) / 2] };
    let looks_like = match (q_still, o_still) {
        (true, true) if distance == 0 => LooksLike::SamePicture,
        (true, true) => LooksLike::NearDuplicate,
        (true, false) => LooksLike::StillOf,
        (false, true) => LooksLike::ContainsStill,
        _ if fq >= 0.8 && fo >= 0.8 => LooksLike::ReEncode,
        _ if fq >= 0.8 => LooksLike::Excerpt,
        _ if fo >= 0.8 => LooksLike::Contains,
        _ => LooksLike::SharesScenes,
    };
    Some(Match {
        file,
        distance,
        frames_matched: q_matched,
        frames_total: q_total,
        other_frames_matched: o_matched,
        other_frames_total: o_total,
        looks_like,
    })
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

    fn h(seed: u8, flips: &[usize]) -> pdq::Hash256 {
        let mut x = [seed; 32];
        for &b in flips {
            x[b / 8] ^= 1 << (b % 8);
        }
        x
    }

    fn fp(file: i64, idx: u32, hash: pdq::Hash256) -> StoredFingerprint {
        StoredFingerprint {
            file: FileId(file),
            frame_index: idx,
            frame_ms: Some(u64::from(idx) * 1000),
            hash,
            quality: 80,
        }
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
        let m = set.matches(set.hashes_of(FileId(1)), false, 31, |f| f != FileId(1));
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].file, FileId(2));
        assert_eq!((m[0].frames_matched, m[0].frames_total, m[0].distance), (3, 4, 2));
        assert_eq!(m[0].describe(FileId(1)), "F1 shares scenes with F2: PDQ distance 2, 3 of 4 keyframes match");
    }

    #[test]
    fn still_matches_on_distance() {
        let a = h(7, &[]);
        let fps = vec![fp(1, 0, a), fp(2, 0, h(7, &[1, 2, 3])), fp(3, 0, h(0x70, &[]))];
        let set = FingerprintSet::build(fps, &HashSet::new());
        let m = set.matches(&[a], true, 31, |f| f != FileId(1));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].looks_like, LooksLike::NearDuplicate);
        assert_eq!(m[0].describe(FileId(1)), "F1 looks like a near-duplicate of F2: PDQ distance 3");
    }

    #[test]
    fn clusters_are_connected_components_with_their_pairs() {
        // 1 ~ 2 and 2 ~ 4 (not 1 ~ 4): one cluster of three; 3 and 5 alone.
        let flipped = |n: usize| h(7, &(0..n).collect::<Vec<_>>());
        let fps = vec![
            fp(1, 0, h(7, &[])),
            fp(2, 0, flipped(20)),
            fp(3, 0, h(0x70, &[])),
            fp(4, 0, flipped(40)),
            fp(5, 0, h(0x0f, &[])),
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
