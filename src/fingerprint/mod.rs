//! Media intelligence: perceptual fingerprints (PDQ) of images and video
//! keyframes, near-duplicate search, derivation lineage, thumbnails and
//! platform transcode hints.
//!
//! - [`pdq`]: the PDQ hash, from the published specification.
//! - [`index`]: multi-index hashing over 256-bit hashes (exact radius search).
//! - [`video`]: keyframes through the `ffmpeg` on PATH (bounded frames and time).
//! - [`thumbs`]: thumbnail, poster and contact-sheet JPEGs (derived objects).
//! - [`hints`]: metadata signs of a platform re-encode.
//!
//! Analysis runs on `add` for each newly registered image or video (see
//! [`Catalog::analyze_files`]); per-file problems become warnings, never errors.
//! Set `EVCAT_MEDIA_ANALYSIS=off` to register without analysing (e.g. for
//! raw ingest benchmarks); `evcat fingerprint --missing` catches up later.

pub mod hints;
pub mod index;
pub mod pdq;
pub mod thumbs;
pub mod video;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufReader;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::catalog::files::{FileRecord, Storage};
use crate::catalog::fingerprints::{self as fpdb, SimilarityRow, StoredFingerprint};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::hash::Sha256;
use crate::ids::{EvidenceId, FileId};
use crate::media;
use crate::store::{Staged, Store};
use hints::Hint;
use index::Index;

/// Fingerprint method stored with every hash.
pub const METHOD: &str = "pdq";
/// Version of evcat's fingerprinting: the PDQ reference algorithm on the
/// oriented image (images over 2 MP are box-averaged first) plus two centred crops; videos sampled
/// at 1 frame/s plus scene changes (score > 0.4), at most 120 frames, decoded
/// by ffmpeg to ≤ 320 px RGB. Change it whenever hashes could change.
pub const VERSION: &str = "evcat-pdq-1";
/// Default largest per-frame PDQ distance (of 256 bits) that counts as a
/// match. ThreatExchange suggests 31 for PDQ; evcat's tests show resized and
/// recompressed copies, 10 % crops and brightness changes of photos and
/// lower-resolution re-encodes of videos within it, unrelated pictures
/// beyond 70 (see tests/fingerprints.rs).
pub const DEFAULT_MAX_DISTANCE: u32 = 31;
/// Frames (video keyframes) whose PDQ quality is below this are stored but
/// not matched on: black, white or fading frames look alike in every video.
pub const MIN_FRAME_QUALITY: u8 = pdq::MIN_QUALITY;
/// Still images below this quality are not matched on (near-flat pictures).
pub const MIN_IMAGE_QUALITY: u8 = 5;
/// A video pair matches when at least this share of one side's usable
/// keyframes has a match on the other side.
const MIN_FRAME_SHARE: f64 = 0.5;
/// Images larger than this are not decoded for fingerprints or thumbnails.
pub const MAX_PIXELS: u64 = 100_000_000;
/// Decoder allocation limit.
const MAX_DECODE_ALLOC: u64 = 1 << 30;
/// Above this many pixels, luminance is box-averaged by an integer factor
/// to at most this many before PDQ (speed and memory; the PDQ filter then
/// averages far more anyway). Up to it, hashes are the reference's bit for bit.
const REDUCE_ABOVE: u64 = 2_000_000;

/// One perceptual hash: a still image (index 0, no time) or a keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FrameHash {
    pub frame_index: u32,
    pub frame_ms: Option<u64>,
    #[serde(serialize_with = "ser_hex")]
    pub hash: pdq::Hash256,
    pub quality: u8,
}

fn ser_hex<S: serde::Serializer>(h: &pdq::Hash256, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(h))
}

/// SHA-256 over the hashes in frame order (what the custody event attests).
pub fn digest(frames: &[FrameHash]) -> String {
    let mut bytes = Vec::with_capacity(frames.len() * 32);
    for f in frames {
        bytes.extend_from_slice(&f.hash);
    }
    Sha256::of_bytes(&bytes).to_hex()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    /// A video, but no ffmpeg on PATH.
    NoFfmpeg,
    /// Over the size limits; not decoded.
    Refused,
    /// Could not be decoded.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NoFfmpeg => "no-ffmpeg",
            Status::Refused => "refused",
            Status::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DerivedKind {
    Thumbnail,
    Poster,
    ContactSheet,
}

/// A derived object staged in the store, published once its row commits.
#[derive(Debug, Clone)]
pub struct Derived {
    pub kind: DerivedKind,
    pub sha256: Sha256,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    pub staged: Staged,
}

/// Everything analysing one file produced.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub file: FileId,
    pub method: String,
    pub version: String,
    pub status: Status,
    pub note: Option<String>,
    pub is_video: bool,
    pub frames: Vec<FrameHash>,
    pub derived: Vec<Derived>,
    pub hints: Vec<Hint>,
}

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

/// A near-duplicate found while adding: `file` looks like `of`.
#[derive(Debug, Clone, Serialize)]
pub struct NearDuplicate {
    pub file: FileId,
    pub of: FileId,
    pub distance: u32,
    pub frames_matched: u32,
    pub frames_total: u32,
    pub looks_like: LooksLike,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileNote {
    pub file: FileId,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileHints {
    pub file: FileId,
    pub hints: Vec<Hint>,
}

/// What media analysis did during one `add` (part of the add report).
#[derive(Debug, Clone, Default, Serialize)]
pub struct MediaSummary {
    /// Image and video files analysed.
    pub analyzed: u64,
    /// Of those, files that got fingerprints.
    pub fingerprinted: u64,
    /// Catalog-wide notices, each once (e.g. ffmpeg missing).
    pub notices: Vec<String>,
    pub near_duplicates: Vec<NearDuplicate>,
    pub transcode_hints: Vec<FileHints>,
    /// Per-file problems (refused, undecodable); the files are registered.
    pub warnings: Vec<FileNote>,
}

impl MediaSummary {
    pub fn merge(&mut self, other: MediaSummary) {
        self.analyzed += other.analyzed;
        self.fingerprinted += other.fingerprinted;
        for n in other.notices {
            if !self.notices.contains(&n) {
                self.notices.push(n);
            }
        }
        self.near_duplicates.extend(other.near_duplicates);
        self.transcode_hints.extend(other.transcode_hints);
        self.warnings.extend(other.warnings);
    }

    pub fn is_empty(&self) -> bool {
        self.analyzed == 0 && self.notices.is_empty()
    }
}

fn guarded<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

/// A decoded, oriented image, or why not.
enum Decoded {
    Image(image::RgbImage),
    Refused(String),
    Failed(String),
}

/// Decode an image for fingerprinting under explicit limits: refuse more than
/// [`MAX_PIXELS`] from the header before decoding, cap decoder allocations,
/// apply the EXIF orientation (platforms rotate pixels and strip the tag).
fn decode_image(path: &Path) -> Decoded {
    let open = || -> std::result::Result<image::ImageReader<BufReader<std::fs::File>>, String> {
        let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
        let mut r = image::ImageReader::new(BufReader::new(f)).with_guessed_format().map_err(|e| e.to_string())?;
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(MAX_DECODE_ALLOC);
        limits.max_image_width = Some(1 << 20);
        limits.max_image_height = Some(1 << 20);
        r.limits(limits);
        Ok(r)
    };
    let dims = match open().and_then(|r| r.into_dimensions().map_err(|e| e.to_string())) {
        Ok(d) => d,
        Err(e) => return Decoded::Failed(format!("cannot read the image header: {e}")),
    };
    let pixels = u64::from(dims.0) * u64::from(dims.1);
    if pixels > MAX_PIXELS {
        return Decoded::Refused(format!(
            "image is {}x{} ({} megapixels), above the {} megapixel limit for fingerprints and thumbnails; not decoded",
            dims.0,
            dims.1,
            pixels / 1_000_000,
            MAX_PIXELS / 1_000_000
        ));
    }
    let decoded = guarded(|| -> std::result::Result<image::RgbImage, String> {
        use image::ImageDecoder;
        let reader = open()?;
        let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
        let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
        let mut img = image::DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
        img.apply_orientation(orientation);
        Ok(img.into_rgb8())
    });
    match decoded {
        Ok(Ok(img)) if img.width() > 0 && img.height() > 0 => Decoded::Image(img),
        Ok(Ok(_)) => Decoded::Failed("image has no pixels".into()),
        Ok(Err(e)) => Decoded::Failed(format!("cannot decode the image: {e}")),
        Err(e) => Decoded::Failed(format!("image decoder failed internally ({e})")),
    }
}

/// Luminance of an RGB image (box-averaged first when very large).
fn luma_of(img: &image::RgbImage) -> (usize, usize, Vec<f32>) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let pixels = (w as u64) * (h as u64);
    let factor = if pixels > REDUCE_ABOVE { ((pixels as f64 / REDUCE_ABOVE as f64).sqrt().ceil()) as usize } else { 1 };
    pdq::luma_from_rgb8_reduced(img.as_raw(), w, h, factor)
}

/// PDQ of an RGB image (box-averaged first when very large).
pub fn hash_rgb(img: &image::RgbImage) -> Option<pdq::Pdq> {
    let (lw, lh, luma) = luma_of(img);
    pdq::hash_luma(&luma, lw, lh)
}

/// Share of the area kept by the centred crops hashed besides the whole
/// picture (frames 1 and 2 of a still). PDQ alone does not survive crops:
/// a 10 % crop moves a photo 40-60 bits away; hashing centred crops lets a
/// cropped copy meet the original's crop variant (and vice versa).
pub const STILL_CROPS: [f64; 2] = [0.90, 0.81];

/// The fingerprints of a still picture: the whole, then its centred crops.
pub fn still_hashes(img: &image::RgbImage) -> Vec<FrameHash> {
    let (w, h, luma) = luma_of(img);
    let mut out = Vec::with_capacity(1 + STILL_CROPS.len());
    if let Some(p) = pdq::hash_luma(&luma, w, h) {
        out.push(FrameHash { frame_index: 0, frame_ms: None, hash: p.hash, quality: p.quality });
    }
    for (i, keep) in STILL_CROPS.iter().enumerate() {
        let side = keep.sqrt();
        let (cw, ch) = (((w as f64) * side).round() as usize, ((h as f64) * side).round() as usize);
        if cw < 8 || ch < 8 || cw > w || ch > h {
            continue;
        }
        let (x0, y0) = ((w - cw) / 2, (h - ch) / 2);
        let mut crop = Vec::with_capacity(cw * ch);
        for y in y0..y0 + ch {
            crop.extend_from_slice(&luma[y * w + x0..y * w + x0 + cw]);
        }
        if let Some(p) = pdq::hash_luma(&crop, cw, ch) {
            out.push(FrameHash { frame_index: i as u32 + 1, frame_ms: None, hash: p.hash, quality: p.quality });
        }
    }
    out
}

/// Fingerprint an image file (no catalog needed): PDQ hash and quality of
/// the whole picture, as the reference tools compute it.
pub fn fingerprint_image_file(path: &Path) -> Result<FrameHash> {
    match decode_image(path) {
        Decoded::Image(img) => hash_rgb(&img)
            .map(|p| FrameHash { frame_index: 0, frame_ms: None, hash: p.hash, quality: p.quality })
            .ok_or_else(|| Error::Unsupported { path: path.to_path_buf(), reason: "image too small to hash".into() }),
        Decoded::Refused(r) | Decoded::Failed(r) => Err(Error::Unsupported { path: path.to_path_buf(), reason: r }),
    }
}

fn stage(store: &Store, kind: DerivedKind, jpeg: thumbs::Jpeg) -> std::result::Result<Derived, String> {
    let staged = store.stage_bytes(&jpeg.bytes).map_err(|e| e.to_string())?;
    Ok(Derived {
        kind,
        sha256: staged.sha256,
        width: jpeg.width,
        height: jpeg.height,
        size: jpeg.bytes.len() as u64,
        staged,
    })
}

fn new_analysis(file: FileId, is_video: bool) -> Analysis {
    Analysis {
        file,
        method: METHOD.into(),
        version: VERSION.into(),
        status: Status::Ok,
        note: None,
        is_video,
        frames: Vec::new(),
        derived: Vec::new(),
        hints: Vec::new(),
    }
}

fn analyze_image(file: FileId, path: &Path, store: &Store) -> Analysis {
    let mut a = new_analysis(file, false);
    if let Ok(facts) = media::probe_path(path) {
        a.hints = hints::image_hints(&facts);
    }
    match decode_image(path) {
        Decoded::Image(img) => {
            a.frames = still_hashes(&img);
            if a.frames.is_empty() {
                a.status = Status::Failed;
                a.note = Some("image too small to fingerprint".into());
            }
            if let Some(j) = thumbs::thumbnail(&img) {
                match stage(store, DerivedKind::Thumbnail, j) {
                    Ok(d) => a.derived.push(d),
                    Err(e) => a.note = Some(format!("thumbnail not stored: {e}")),
                }
            }
        }
        Decoded::Refused(r) => {
            a.status = Status::Refused;
            a.note = Some(r);
        }
        Decoded::Failed(r) => {
            a.status = Status::Failed;
            a.note = Some(r);
        }
    }
    a
}

fn analyze_video(file: FileId, path: &Path, ffmpeg: bool, store: &Store) -> Analysis {
    let mut a = new_analysis(file, true);
    if !ffmpeg {
        a.status = Status::NoFfmpeg;
        a.note = Some("ffmpeg not found on PATH: no keyframe fingerprints or thumbnails".into());
        return a;
    }
    let decoded = match video::decode(path) {
        Ok(d) => d,
        Err(video::VideoError::NoFfmpeg) => {
            a.status = Status::NoFfmpeg;
            a.note = Some("ffmpeg not found on PATH: no keyframe fingerprints or thumbnails".into());
            return a;
        }
        Err(video::VideoError::Failed(e)) => {
            a.status = Status::Failed;
            a.note = Some(e);
            return a;
        }
    };
    a.hints = hints::video_hints(&decoded.tags);
    a.note = decoded.truncated.clone();
    let mut images = Vec::with_capacity(decoded.frames.len());
    for (i, f) in decoded.frames.into_iter().enumerate() {
        let Some(img) = image::RgbImage::from_raw(f.width, f.height, f.rgb) else { continue };
        if let Some(p) = hash_rgb(&img) {
            a.frames.push(FrameHash { frame_index: i as u32, frame_ms: Some(f.ms), hash: p.hash, quality: p.quality });
        }
        images.push((f.ms, img));
    }
    if a.frames.is_empty() {
        a.status = Status::Failed;
        a.note = Some("ffmpeg decoded no frames".into());
        return a;
    }
    // Poster: the first well-exposed frame from 1 s on, else the best one.
    let quality_at = |ms: u64| a.frames.iter().find(|f| f.frame_ms == Some(ms)).map(|f| f.quality).unwrap_or(0);
    let poster = images
        .iter()
        .find(|(ms, _)| *ms >= 1000 && quality_at(*ms) >= MIN_FRAME_QUALITY)
        .or_else(|| images.iter().max_by_key(|(ms, _)| quality_at(*ms)))
        .map(|(_, img)| img);
    let mut derived = Vec::new();
    if let Some(j) = poster.and_then(thumbs::thumbnail) {
        derived.push(stage(store, DerivedKind::Poster, j));
    }
    let only: Vec<image::RgbImage> = images.into_iter().map(|(_, i)| i).collect();
    if let Some(j) = thumbs::contact_sheet(&only) {
        derived.push(stage(store, DerivedKind::ContactSheet, j));
    }
    for d in derived {
        match d {
            Ok(d) => a.derived.push(d),
            Err(e) => a.note = Some(format!("thumbnail not stored: {e}")),
        }
    }
    a
}

fn is_image(media_type: &str) -> bool {
    media_type.starts_with("image/")
}

fn is_video(media_type: &str) -> bool {
    media_type.starts_with("video/")
}

/// The usable hashes of a set of frames, for matching.
fn usable(frames: &[FrameHash], is_video: bool) -> Vec<pdq::Hash256> {
    let min = if is_video { MIN_FRAME_QUALITY } else { MIN_IMAGE_QUALITY };
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
            let min = if video.contains(&file) { MIN_FRAME_QUALITY } else { MIN_IMAGE_QUALITY };
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
}

/// Apply the match rule to one candidate file, given the closest distance of
/// each query frame that has a hit in it and its own usable hashes.
fn file_match(
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
fn sort_matches(out: &mut [Match]) {
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

/// A file in a lineage graph.
#[derive(Debug, Clone, Serialize)]
pub struct LineageNode {
    pub file: FileId,
    pub evidence: EvidenceId,
    pub media_type: String,
    pub name: Option<String>,
    pub derived_from: Option<FileId>,
    /// How it was derived, as confirmed with `evcat derive --how`.
    pub how: Option<String>,
    pub captured_at: Option<String>,
    pub posted_at: Option<String>,
    pub platform: Option<String>,
    pub source_url: Option<String>,
    pub transcode_hints: Vec<String>,
    /// This node holds the earliest known capture or post time of the graph.
    pub earliest: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Earliest {
    pub file: FileId,
    /// `capture` (the file's own metadata) or `post` (the evidence's posted_at).
    pub what: &'static str,
    pub at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Lineage {
    /// Files connected by confirmed derivations, parents before children.
    pub nodes: Vec<LineageNode>,
    pub earliest: Option<Earliest>,
    /// Machine-found `similar-to` relations touching the graph, not confirmed.
    pub similar: Vec<SimilarityRow>,
}

/// Sortable instant of a stored time: RFC 3339, a zone-less date-time
/// (taken as UTC) or a date.
fn instant(t: &str) -> Option<i64> {
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp());
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, f) {
            return Some(d.and_utc().timestamp());
        }
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

/// Where a file's bytes can be read now.
fn file_path(store: &Store, rec: &FileRecord) -> Option<PathBuf> {
    match rec.storage {
        Storage::Object => Some(store.object_path(&rec.sha256)),
        Storage::InPlace => rec.original_path.clone().map(PathBuf::from),
    }
}

impl Catalog {
    /// Analyse newly registered files for `add`: never fails; catalog-level
    /// problems become notices. Honours `EVCAT_MEDIA_ANALYSIS=off`.
    pub fn analyze_added(&mut self, files: &[FileId]) -> MediaSummary {
        if std::env::var("EVCAT_MEDIA_ANALYSIS").is_ok_and(|v| v.eq_ignore_ascii_case("off") || v == "0") {
            return MediaSummary::default();
        }
        match self.analyze_files(files, DEFAULT_MAX_DISTANCE) {
            Ok(s) => s,
            Err(e) => MediaSummary {
                notices: vec![format!(
                    "media analysis was not recorded ({e}); the files are registered; run `evcat fingerprint --missing` to retry"
                )],
                ..Default::default()
            },
        }
    }

    /// Fingerprint, thumbnail and hint the given files (images and videos;
    /// others are ignored), find near-duplicates among everything held, and
    /// record it all in one transaction with one attesting custody event.
    pub fn analyze_files(&mut self, files: &[FileId], max_distance: u32) -> Result<MediaSummary> {
        let mut summary = MediaSummary::default();
        let mut targets = Vec::new();
        for &f in files {
            let rec = self.file(f)?;
            if !(is_image(&rec.media_type) || is_video(&rec.media_type)) {
                continue;
            }
            match file_path(self.store(), &rec) {
                Some(p) => targets.push((rec, p)),
                None => summary.warnings.push(FileNote { file: f, message: "no readable location recorded".into() }),
            }
        }
        if targets.is_empty() {
            return Ok(summary);
        }
        let any_video = targets.iter().any(|(r, _)| is_video(&r.media_type));
        let ffmpeg = any_video && video::ffmpeg_available();
        let store = self.store().clone();
        let analyses: Vec<Analysis> = targets
            .par_iter()
            .map(|(rec, path)| {
                if is_video(&rec.media_type) {
                    analyze_video(rec.id, path, ffmpeg, &store)
                } else {
                    analyze_image(rec.id, path, &store)
                }
            })
            .collect();

        // Near-duplicates among what was held before (through the persisted
        // index, which reads only band-lookup candidates, not every row) plus
        // this batch (a small in-memory index); a file is compared with files
        // held before it, so each pair is reported once. The batch's own stored
        // fingerprints (a re-analysis) are about to be replaced: not candidates.
        let batch: HashSet<FileId> = analyses.iter().map(|a| a.file).collect();
        let mut fresh = Vec::new();
        let mut videos = HashSet::new();
        for a in &analyses {
            fresh.extend(fpdb::as_stored(a.file, &a.frames));
            if a.is_video {
                videos.insert(a.file);
            }
        }
        let set = FingerprintSet::build(fresh, &videos);
        let order: HashMap<FileId, usize> = analyses.iter().enumerate().map(|(i, a)| (a.file, i)).collect();
        let mut batch_rows = Vec::with_capacity(analyses.len());
        for (i, a) in analyses.into_iter().enumerate() {
            let query = usable(&a.frames, a.is_video);
            let mut matches = self.stored_matches(&query, !a.is_video, max_distance, |f| !batch.contains(&f))?;
            matches.extend(
                set.matches(&query, !a.is_video, max_distance, |f| {
                    f != a.file && order.get(&f).is_some_and(|&j| j < i)
                }),
            );
            sort_matches(&mut matches);
            batch_rows.push((a, matches));
        }
        let staged: Vec<Vec<Staged>> =
            batch_rows.iter().map(|(a, _)| a.derived.iter().map(|d| d.staged.clone()).collect()).collect();
        let recorded = self.write(|w| fpdb::record(w, &batch_rows));
        let inserted = match recorded {
            Ok(i) => i,
            Err(e) => {
                for st in staged.iter().flatten() {
                    store.discard(st);
                }
                return Err(e);
            }
        };
        for (sts, ins) in staged.iter().zip(&inserted) {
            for (st, new) in sts.iter().zip(ins) {
                if *new {
                    store.publish(st)?;
                } else {
                    store.discard(st);
                }
            }
        }
        let mut no_ffmpeg = 0;
        for (a, matches) in batch_rows {
            summary.analyzed += 1;
            if !a.frames.is_empty() {
                summary.fingerprinted += 1;
            }
            match a.status {
                Status::NoFfmpeg => no_ffmpeg += 1,
                Status::Refused | Status::Failed => summary.warnings.push(FileNote {
                    file: a.file,
                    message: a.note.clone().unwrap_or_else(|| "not fingerprinted".into()),
                }),
                Status::Ok => {
                    if let Some(n) = &a.note {
                        summary.warnings.push(FileNote { file: a.file, message: n.clone() });
                    }
                }
            }
            if !a.hints.is_empty() {
                summary.transcode_hints.push(FileHints { file: a.file, hints: a.hints.clone() });
            }
            for m in matches {
                summary.near_duplicates.push(NearDuplicate {
                    file: a.file,
                    of: m.file,
                    distance: m.distance,
                    frames_matched: m.frames_matched,
                    frames_total: m.frames_total,
                    looks_like: m.looks_like,
                    message: m.describe(a.file),
                });
            }
        }
        if no_ffmpeg > 0 {
            summary.notices.push(format!(
                "ffmpeg not found on PATH: {no_ffmpeg} video(s) recorded without keyframe fingerprints or thumbnails; install ffmpeg, then run `evcat fingerprint --missing`"
            ));
        }
        Ok(summary)
    }

    /// Ids of files whose media type is video.
    fn video_files(&self) -> Result<HashSet<FileId>> {
        Ok(self
            .list_files(&crate::catalog::files::FileFilter { media_type: Some("video/".into()), ..Default::default() })?
            .into_iter()
            .map(|f| f.id)
            .collect())
    }

    /// Build the search set over every fingerprint held.
    pub fn fingerprint_set(&self) -> Result<FingerprintSet> {
        Ok(FingerprintSet::build(self.all_fingerprints()?, &self.video_files()?))
    }

    /// Near-duplicates of `file`, closest first.
    pub fn similar(&self, file: FileId, max_distance: u32) -> Result<Vec<Match>> {
        let rec = self.file(file)?;
        let own = self.fingerprints_of(file)?;
        if own.is_empty() {
            let why = match self.analysis_of(file)? {
                Some(a) => a.note.unwrap_or_else(|| format!("analysis status {}", a.status)),
                None if is_image(&rec.media_type) || is_video(&rec.media_type) => {
                    "it has not been analysed; run `evcat fingerprint --missing`".into()
                }
                None => format!("{} files are not fingerprinted", rec.media_type),
            };
            return Err(Error::Conflict(format!("{file} has no fingerprints: {why}")));
        }
        let frames: Vec<FrameHash> = own
            .iter()
            .map(|f| FrameHash { frame_index: f.frame_index, frame_ms: f.frame_ms, hash: f.hash, quality: f.quality })
            .collect();
        let query = usable(&frames, is_video(&rec.media_type));
        self.stored_matches(&query, !is_video(&rec.media_type), max_distance, |f| f != file)
    }

    /// Files held whose fingerprints near-duplicate `query` (usable hashes of
    /// one file), closest first, found through the persisted band index: reads
    /// the candidates' rows and the matching files' fingerprints, never the
    /// whole table (below radius 48). Same answers as [`FingerprintSet::matches`]
    /// over every stored fingerprint.
    fn stored_matches(
        &self,
        query: &[pdq::Hash256],
        q_still: bool,
        max_distance: u32,
        allow: impl Fn(FileId) -> bool,
    ) -> Result<Vec<Match>> {
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let mut near: BTreeMap<FileId, Vec<fpdb::Near>> = BTreeMap::new();
        for n in fpdb::near(self.conn(), query, max_distance)? {
            if allow(n.file) {
                near.entry(n.file).or_default().push(n);
            }
        }
        let mut out = Vec::new();
        for (file, hits) in near {
            let o_video = is_video(&self.file(file)?.media_type);
            let min = if o_video { MIN_FRAME_QUALITY } else { MIN_IMAGE_QUALITY };
            let mut best: BTreeMap<usize, u32> = BTreeMap::new();
            for n in hits.iter().filter(|n| n.quality >= min) {
                let e = best.entry(n.query).or_insert(u32::MAX);
                *e = (*e).min(n.distance);
            }
            if best.is_empty() {
                continue;
            }
            let other: Vec<pdq::Hash256> =
                self.fingerprints_of(file)?.into_iter().filter(|f| f.quality >= min).map(|f| f.hash).collect();
            if let Some(m) = file_match(query, q_still, max_distance, file, &best, &other, !o_video) {
                out.push(m);
            }
        }
        sort_matches(&mut out);
        Ok(out)
    }

    /// Clusters of near-duplicates across the catalog (connected components).
    pub fn similar_all(&self, max_distance: u32) -> Result<Vec<Cluster>> {
        let set = self.fingerprint_set()?;
        let files = set.files().to_vec();
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
            for m in set.matches(set.hashes_of(f), !set.is_video(f), max_distance, |o| o > f) {
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
        Ok(clusters)
    }

    /// The derivation graph around `files` (confirmed `derived_from` links,
    /// both directions), with the earliest known capture/post marked.
    pub fn lineage(&self, files: &[FileId]) -> Result<Lineage> {
        let mut seen: HashSet<FileId> = HashSet::new();
        let mut queue: Vec<FileId> = files.to_vec();
        let mut recs: Vec<FileRecord> = Vec::new();
        while let Some(f) = queue.pop() {
            if !seen.insert(f) || seen.len() > 100_000 {
                continue;
            }
            let rec = self.file(f)?;
            if let Some(p) = rec.derived_from {
                queue.push(p);
            }
            queue.extend(self.derived_children(f)?);
            recs.push(rec);
        }
        // Parents before children: order by depth, then id.
        let parent: HashMap<FileId, Option<FileId>> = recs.iter().map(|r| (r.id, r.derived_from)).collect();
        let depth = |mut f: FileId| {
            let mut d = 0;
            while let Some(Some(p)) = parent.get(&f) {
                d += 1;
                f = *p;
                if d > 100_000 {
                    break;
                }
            }
            d
        };
        recs.sort_by_key(|r| (depth(r.id), r.id));
        let mut nodes = Vec::with_capacity(recs.len());
        let mut earliest: Option<(i64, Earliest)> = None;
        for r in recs {
            let ev = self.evidence(r.evidence_id)?;
            let how = if r.derived_from.is_some() { self.derivation_how(r.id)? } else { None };
            let hints = match self.analysis_of(r.id)? {
                Some(a) => a
                    .hints
                    .as_array()
                    .map(|v| v.iter().filter_map(|h| h["code"].as_str().map(str::to_string)).collect())
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            for (what, t) in [("capture", r.captured_at.as_deref()), ("post", ev.posted_at.as_deref())] {
                if let Some((t, at)) = t.and_then(|t| instant(t).map(|i| (i, t))) {
                    if earliest.as_ref().is_none_or(|(e, _)| t < *e) {
                        earliest = Some((t, Earliest { file: r.id, what, at: at.to_string() }));
                    }
                }
            }
            nodes.push(LineageNode {
                file: r.id,
                evidence: r.evidence_id,
                media_type: r.media_type,
                name: r.original_name,
                derived_from: r.derived_from,
                how,
                captured_at: r.captured_at,
                posted_at: ev.posted_at,
                platform: ev.platform,
                source_url: ev.source_url,
                transcode_hints: hints,
                earliest: false,
            });
        }
        let earliest = earliest.map(|(_, e)| e);
        if let Some(e) = &earliest {
            for n in &mut nodes {
                n.earliest = n.file == e.file;
            }
        }
        let mut similar = Vec::new();
        let mut pairs = HashSet::new();
        for n in &nodes {
            for s in self.similarity_of(n.file)? {
                if pairs.insert((s.file, s.other)) {
                    similar.push(s);
                }
            }
        }
        Ok(Lineage { nodes, earliest, similar })
    }

    /// Files of an evidence item (for `lineage E12`).
    pub fn file_ids_of(&self, evidence: EvidenceId) -> Result<Vec<FileId>> {
        Ok(self.files_of(evidence)?.into_iter().map(|f| f.id).collect())
    }
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
    fn times_compare_across_forms() {
        assert!(instant("2026-03-14T13:02:03+01:00") < instant("2026-03-14T13:02:03Z"));
        assert!(instant("2026-03-14") < instant("2026-03-14T00:00:01"));
        assert_eq!(instant("garbage"), None);
    }
}
