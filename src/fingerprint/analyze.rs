//! Analysing one file: decode it under limits (images here, video keyframes
//! through [`super::video`], sound through [`super::audio`]), hash stills and
//! keyframes with PDQ and sound with Chromaprint, stage the thumbnails in
//! the store, read the transcode hints. Produces an
//! [`Analysis`]; never fails: problems become its status and note.

use std::io::BufReader;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use super::model::{Analysis, Derived, DerivedKind, FrameHash, Status};
use super::parts::{self, Transform};
use super::{audio, hints, pdq, thumbs, video, MIN_FRAME_QUALITY};
use crate::error::{Error, Result};
use crate::ids::FileId;
use crate::media;
use crate::store::Store;

/// Images larger than this are not decoded for fingerprints or thumbnails.
pub const MAX_PIXELS: u64 = 100_000_000;
/// Decoder allocation limit.
const MAX_DECODE_ALLOC: u64 = 1 << 30;
/// Above this many pixels, luminance is box-averaged by an integer factor
/// to at most this many before PDQ (speed and memory; the PDQ filter then
/// averages far more anyway). Up to it, hashes are the reference's bit for bit.
const REDUCE_ABOVE: u64 = 2_000_000;

/// Media analysis hashes luminance box-averaged to at most this many
/// pixels: PDQ decimates to 64×64 anyway, and the two dozen parts of a
/// still cost little at this size (`hash_rgb` keeps the reference's 2 MP).
const ANALYSIS_PIXELS: u64 = 512 * 512;

/// Transforms hashed for a still (all of PDQ's dihedral variants) and for
/// a keyframe (the mirror image only: rotated videos are rotated back by
/// ffmpeg from their metadata, and each keyframe variant costs a lookup).
const STILL_TRANSFORMS: [Transform; 7] = [
    Transform::Rotate90,
    Transform::Rotate180,
    Transform::Rotate270,
    Transform::Mirror,
    Transform::FlipVertical,
    Transform::Transpose,
    Transform::Transverse,
];
const FRAME_TRANSFORMS: [Transform; 1] = [Transform::Mirror];

const NO_FFMPEG: &str = "ffmpeg not found on PATH: no keyframe fingerprints or thumbnails";
const NO_FFMPEG_AUDIO: &str = "ffmpeg not found on PATH: no audio fingerprint";

/// Run a decoder that might panic on hostile input; a panic becomes its message.
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

/// How large media analysis decodes a picture: JPEGs at the smallest IDCT
/// scale (1/2, 1/4, 1/8) keeping at least this many pixels on the longer
/// side, enough for PDQ (which decimates to 64×64) and the 320 px thumbnail
/// alike; the reference-compatible [`fingerprint_image_file`] decodes in full.
const ANALYSIS_EDGE: u32 = 400;

/// Whether to decode in full or at a reduced scale where the format allows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scale {
    Full,
    Analysis,
}

/// A JPEG decoded by the IDCT at a reduced scale (`jpeg_decoder::Decoder::scale`:
/// a quarter of the pixels at 1/2, a sixteenth at 1/4, so most of the work
/// of a full decode is never done). `None` for pixel formats this path does
/// not handle (CMYK, 16-bit): the full decode handles them, and those it
/// cannot decode.
fn decode_jpeg_scaled(path: &Path, (w, h): (u32, u32)) -> std::result::Result<Option<image::RgbImage>, String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut d = jpeg_decoder::Decoder::new(BufReader::new(f));
    d.set_max_decoding_buffer_size(MAX_DECODE_ALLOC as usize);
    let long = w.max(h).max(1);
    let want = |v: u32| (u64::from(v) * u64::from(ANALYSIS_EDGE)).div_ceil(u64::from(long)).clamp(1, 65535) as u16;
    d.scale(want(w), want(h)).map_err(|e| e.to_string())?;
    let pixels = d.decode().map_err(|e| e.to_string())?;
    let Some(info) = d.info() else { return Ok(None) };
    let (iw, ih) = (u32::from(info.width), u32::from(info.height));
    let rgb = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        _ => return Ok(None),
    };
    Ok(image::RgbImage::from_raw(iw, ih, rgb))
}

/// Decode an image for fingerprinting under explicit limits: refuse more than
/// [`MAX_PIXELS`] from the header before decoding, cap decoder allocations,
/// apply the EXIF orientation (platforms rotate pixels and strip the tag).
/// `Scale::Analysis` decodes JPEGs at a reduced scale.
fn decode_image(path: &Path, scale: Scale) -> Decoded {
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
        let jpeg = reader.format() == Some(image::ImageFormat::Jpeg);
        let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
        let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
        let scaled = match scale {
            // A JPEG the scaled decoder refuses still gets the full decode.
            Scale::Analysis if jpeg && dims.0.max(dims.1) > 2 * ANALYSIS_EDGE => {
                decode_jpeg_scaled(path, dims).ok().flatten()
            }
            _ => None,
        };
        let mut img = match scaled {
            Some(rgb) => image::DynamicImage::ImageRgb8(rgb),
            None => image::DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?,
        };
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

/// Luminance of an RGB image, box-averaged by an integer factor to at most
/// `max_pixels`.
fn luma_of(img: &image::RgbImage, max_pixels: u64) -> (usize, usize, Vec<f32>) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let pixels = (w as u64) * (h as u64);
    let factor = if pixels > max_pixels { ((pixels as f64 / max_pixels as f64).sqrt().ceil()) as usize } else { 1 };
    pdq::luma_from_rgb8_reduced(img.as_raw(), w, h, factor)
}

/// PDQ of an RGB image as the reference computes it (box-averaged first above 2 MP).
pub fn hash_rgb(img: &image::RgbImage) -> Option<pdq::Pdq> {
    let (lw, lh, luma) = luma_of(img, REDUCE_ABOVE);
    pdq::hash_luma(&luma, lw, lh)
}

/// The fingerprints of a still picture: every part of [`parts::hashes`],
/// the dihedral variants of the whole and trimmed picture included.
pub fn still_hashes(img: &image::RgbImage) -> Vec<FrameHash> {
    let (w, h, luma) = luma_of(img, ANALYSIS_PIXELS);
    parts::hashes(&luma, w, h, &STILL_TRANSFORMS, true)
        .into_iter()
        .map(|p| FrameHash {
            frame_index: 0,
            frame_ms: None,
            part: p.part,
            transform: p.transform,
            hash: p.hash,
            quality: p.quality,
        })
        .collect()
}

/// The fingerprints of keyframe `index` at `ms`: whole and trimmed, each with its mirror image.
pub fn keyframe_hashes(img: &image::RgbImage, index: u32, ms: u64) -> Vec<FrameHash> {
    let (w, h, luma) = luma_of(img, ANALYSIS_PIXELS);
    parts::hashes(&luma, w, h, &FRAME_TRANSFORMS, false)
        .into_iter()
        .map(|p| FrameHash {
            frame_index: index,
            frame_ms: Some(ms),
            part: p.part,
            transform: p.transform,
            hash: p.hash,
            quality: p.quality,
        })
        .collect()
}

/// Fingerprint an image file (no catalog needed): PDQ hash and quality of
/// the whole picture, as the reference tools compute it.
pub fn fingerprint_image_file(path: &Path) -> Result<FrameHash> {
    match decode_image(path, Scale::Full) {
        Decoded::Image(img) => hash_rgb(&img)
            .map(|p| FrameHash {
                frame_index: 0,
                frame_ms: None,
                part: parts::Part::Whole,
                transform: Transform::Identity,
                hash: p.hash,
                quality: p.quality,
            })
            .ok_or_else(|| Error::Unsupported { path: path.to_path_buf(), reason: "image too small to hash".into() }),
        Decoded::Refused(r) | Decoded::Failed(r) => Err(Error::Unsupported { path: path.to_path_buf(), reason: r }),
    }
}

/// An image file decoded as media analysis decodes it (JPEGs at reduced
/// scale, EXIF orientation applied), for benchmarks and tools.
pub fn decode_for_analysis(path: &Path) -> Result<image::RgbImage> {
    match decode_image(path, Scale::Analysis) {
        Decoded::Image(img) => Ok(img),
        Decoded::Refused(r) | Decoded::Failed(r) => Err(Error::Unsupported { path: path.to_path_buf(), reason: r }),
    }
}

/// Stage a thumbnail JPEG in the store (published only once its row commits).
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

/// Keep a staged derived object, or note why it is missing.
fn keep_derived(a: &mut Analysis, staged: std::result::Result<Derived, String>) {
    match staged {
        Ok(d) => a.derived.push(d),
        Err(e) => a.note = Some(format!("thumbnail not stored: {e}")),
    }
}

/// Analyse an image file: still hashes, thumbnail, hints.
pub(crate) fn analyze_image(file: FileId, path: &Path, store: &Store) -> Analysis {
    let mut a = Analysis::new(file, false);
    if let Ok(facts) = media::probe_path(path) {
        a.hints = hints::image_hints(&facts);
    }
    match decode_image(path, Scale::Analysis) {
        Decoded::Image(img) => {
            a.frames = still_hashes(&img);
            if a.frames.is_empty() {
                a.fail(Status::Failed, "image too small to fingerprint");
            }
            if let Some(j) = thumbs::thumbnail(&img) {
                keep_derived(&mut a, stage(store, DerivedKind::Thumbnail, j));
            }
        }
        Decoded::Refused(r) => a.fail(Status::Refused, r),
        Decoded::Failed(r) => a.fail(Status::Failed, r),
    }
    a
}

/// Analyse a video file: keyframe hashes, poster and contact sheet, hints.
/// `ffmpeg` says whether ffmpeg was found on PATH (checked once per batch).
pub(crate) fn analyze_video(file: FileId, path: &Path, ffmpeg: bool, store: &Store) -> Analysis {
    let mut a = Analysis::new(file, true);
    if !ffmpeg {
        a.fail(Status::NoFfmpeg, NO_FFMPEG);
        return a;
    }
    let decoded = match video::decode(path) {
        Ok(d) => d,
        Err(video::VideoError::NoFfmpeg) => {
            a.fail(Status::NoFfmpeg, NO_FFMPEG);
            return a;
        }
        Err(video::VideoError::Failed(e)) => {
            a.fail(Status::Failed, e);
            return a;
        }
    };
    a.hints = hints::video_hints(&decoded.tags);
    a.note = decoded.truncated;
    let images = hash_keyframes(&mut a, decoded.frames);
    if a.frames.is_empty() {
        a.fail(Status::Failed, "ffmpeg decoded no frames");
        return a;
    }
    // A second ffmpeg run, audio only: it demuxes the file again but
    // decodes only the sound (no video decoder runs), once, at 11 025 Hz mono.
    match audio::fingerprint_file(path) {
        Ok(p) => a.audio = Some(p),
        // Silent clips and screen recordings without sound are normal.
        Err(audio::AudioError::NoAudio | audio::AudioError::TooShort) => {}
        Err(audio::AudioError::NoFfmpeg) => a.note = Some(NO_FFMPEG_AUDIO.into()),
        Err(audio::AudioError::Failed(e)) => {
            a.note.get_or_insert_with(|| format!("audio not fingerprinted: {e}"));
        }
    }
    let mut derived = Vec::new();
    if let Some(j) = poster(&a.frames, &images).and_then(thumbs::thumbnail) {
        derived.push(stage(store, DerivedKind::Poster, j));
    }
    let only: Vec<image::RgbImage> = images.into_iter().map(|(_, i)| i).collect();
    if let Some(j) = thumbs::contact_sheet(&only) {
        derived.push(stage(store, DerivedKind::ContactSheet, j));
    }
    for d in derived {
        keep_derived(&mut a, d);
    }
    a
}

/// Analyse an audio file: its Chromaprint fingerprint.
/// `ffmpeg` says whether ffmpeg was found on PATH (checked once per batch).
pub(crate) fn analyze_audio(file: FileId, path: &Path, ffmpeg: bool) -> Analysis {
    let mut a = Analysis::new(file, false);
    if !ffmpeg {
        a.fail(Status::NoFfmpeg, NO_FFMPEG_AUDIO);
        return a;
    }
    match audio::fingerprint_file(path) {
        Ok(p) => a.audio = Some(p),
        Err(audio::AudioError::NoFfmpeg) => a.fail(Status::NoFfmpeg, NO_FFMPEG_AUDIO),
        Err(audio::AudioError::NoAudio) => a.fail(Status::Failed, "ffmpeg found no audio stream"),
        Err(audio::AudioError::TooShort) => a.fail(Status::Failed, "audio too short to fingerprint"),
        Err(audio::AudioError::Failed(e)) => a.fail(Status::Failed, e),
    }
    a
}

/// Hash each decoded keyframe into `a.frames`; returns the frames as images
/// with their times (for the poster and contact sheet).
fn hash_keyframes(a: &mut Analysis, frames: Vec<video::Frame>) -> Vec<(u64, image::RgbImage)> {
    let mut images = Vec::with_capacity(frames.len());
    for (i, f) in frames.into_iter().enumerate() {
        let Some(img) = image::RgbImage::from_raw(f.width, f.height, f.rgb) else { continue };
        a.frames.extend(keyframe_hashes(&img, i as u32, f.ms));
        images.push((f.ms, img));
    }
    images
}

/// The poster: the first well-exposed frame from 1 s on, else the best one.
fn poster<'a>(frames: &[FrameHash], images: &'a [(u64, image::RgbImage)]) -> Option<&'a image::RgbImage> {
    let quality_at = |ms: u64| {
        frames.iter().find(|f| f.frame_ms == Some(ms) && f.part == parts::Part::Whole).map(|f| f.quality).unwrap_or(0)
    };
    images
        .iter()
        .find(|(ms, _)| *ms >= 1000 && quality_at(*ms) >= MIN_FRAME_QUALITY)
        .or_else(|| images.iter().max_by_key(|(ms, _)| quality_at(*ms)))
        .map(|(_, img)| img)
}
