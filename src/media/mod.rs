//! What a file's own bytes say about it: media type by magic bytes, image
//! dimensions from the header, EXIF (`exif`), and MP4/MOV container facts
//! (`isobmff`).
//!
//! Everything here reads a bounded prefix or a bounded box of the file and
//! never decodes pixels: probing a 100000x100000 PNG header or an MP4 whose
//! box claims 2^63 bytes costs the same as probing a thumbnail. Third-party
//! parsers run under `catch_unwind`, so a parser bug becomes a warning on
//! that file instead of aborting a folder add. Facts never come from file
//! names.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use serde::{Deserialize, Serialize};

pub mod c2pa;
mod exif;
pub mod facts;
mod heif;
mod iptc;
mod isobmff;
mod matroska;
mod png;
mod quicktime;
mod riff;
mod xmp;

pub use facts::{disagreements, Disagreement, Fact};
pub use matroska::Attachment;

/// Bytes read for magic-number sniffing.
const SNIFF_LEN: usize = 8192;

/// Broad media category, driving the evidence kind of a new file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    #[default]
    Other,
}

/// Facts read from a file's bytes. Absent means the file does not say. The
/// typed fields are the chosen values (see [`facts::rank`]); `facts` keeps
/// every value read, with its source, including the ones not chosen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaFacts {
    /// MIME type from magic bytes; `application/octet-stream` when unknown.
    pub media_type: String,
    pub kind: MediaKind,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
    /// Codec as the container names it: sample-entry code (`avc1`, `hvc1`),
    /// Matroska CodecID (`V_VP9`), AVI FourCC (`H264`).
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    /// Capture time as RFC 3339 text, with the file's UTC offset when it gives
    /// one (EXIF OffsetTime*, XMP, Apple keys) and without one when it does not.
    pub captured_at: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub lens: Option<String>,
    pub gps_lat: Option<f64>,
    pub gps_lon: Option<f64>,
    /// Metres above sea level (negative below).
    pub gps_alt: Option<f64>,
    /// Direction the camera faced, degrees from north.
    pub gps_direction: Option<f64>,
    /// EXIF orientation 1-8.
    pub orientation: Option<u16>,
    /// Display rotation of a video track (0, 90, 180, 270) or HEIF `irot`.
    pub rotation: Option<u16>,
    /// Frames per second of the first video track.
    pub frame_rate: Option<f64>,
    pub software: Option<String>,
    /// The file carries an EXIF block (platforms usually strip it).
    pub has_exif: bool,
    /// Every fact read, with its source (container and tag).
    pub facts: Vec<Fact>,
    /// Things a parser could not read, one line each.
    pub warnings: Vec<String>,
    /// Content Credentials, when the file carries a C2PA manifest.
    pub c2pa: Option<c2pa::C2pa>,
    /// The file seems to carry a C2PA manifest (JUMBF box or chunk seen).
    #[serde(skip)]
    pub c2pa_hint: bool,
}

impl MediaFacts {
    /// Record a fact (see [`facts::Facts::add`]).
    pub(crate) fn add(&mut self, field: &str, value: impl Into<String>, source: &str) {
        let mut f = facts::Facts(std::mem::take(&mut self.facts));
        f.add(field, value, source);
        self.facts = f.0;
    }

    /// Fill the typed fields from the best-ranked fact of each.
    fn choose(&mut self) {
        let best = |field: &str| facts::best_of(&self.facts, field).map(str::to_string);
        let num = |field: &str| best(field).and_then(|v| v.parse::<f64>().ok()).filter(|v| v.is_finite());
        self.width = best("width").and_then(|v| v.parse().ok());
        self.height = best("height").and_then(|v| v.parse().ok());
        self.duration_ms = best("duration_ms").and_then(|v| v.parse().ok());
        self.video_codec = best("video_codec");
        self.audio_codec = best("audio_codec");
        self.captured_at = best("captured_at");
        self.make = best("make");
        self.model = best("model");
        self.lens = best("lens");
        self.gps_lat = num("gps_lat").filter(|v| v.abs() <= 90.0);
        self.gps_lon = num("gps_lon").filter(|v| v.abs() <= 180.0);
        self.gps_alt = num("gps_alt");
        self.gps_direction = num("gps_direction");
        self.orientation = best("orientation").and_then(|v| v.parse().ok());
        self.rotation = best("rotation").and_then(|v| v.parse().ok());
        self.frame_rate = num("frame_rate");
        self.software = best("software");
    }
}

/// A decimal as fact text: shortest form that round-trips.
pub(crate) fn dec(v: f64) -> String {
    format!("{v}")
}

/// MIME type and kind of a byte prefix.
pub fn sniff(head: &[u8]) -> (String, MediaKind) {
    if head.is_empty() {
        return ("application/x-empty".into(), MediaKind::Other);
    }
    if let Some(t) = infer::get(head) {
        let mime = t.mime_type().to_string();
        let kind = match t.matcher_type() {
            infer::MatcherType::Image => MediaKind::Image,
            infer::MatcherType::Video => MediaKind::Video,
            infer::MatcherType::Audio => MediaKind::Audio,
            infer::MatcherType::Doc | infer::MatcherType::Book | infer::MatcherType::Text => MediaKind::Document,
            _ if mime == "application/pdf" || mime == "application/rtf" => MediaKind::Document,
            _ => MediaKind::Other,
        };
        return (mime, kind);
    }
    if looks_like_text(head) {
        let lower: String = String::from_utf8_lossy(&head[..head.len().min(512)]).to_ascii_lowercase();
        if lower.trim_start().starts_with("<!doctype html") || lower.contains("<html") {
            return ("text/html".into(), MediaKind::Document);
        }
        return ("text/plain".into(), MediaKind::Document);
    }
    ("application/octet-stream".into(), MediaKind::Other)
}

fn looks_like_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // A prefix may cut a multi-byte character at its end.
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > head.len(),
    }
}

/// Probe a file. Errors only when the file cannot be opened or read; what
/// the bytes fail to say becomes `warnings`.
pub fn probe_path(path: &Path) -> io::Result<MediaFacts> {
    let f = File::open(path)?;
    probe_reader(BufReader::new(f))
}

/// The first attachment of the Matroska (MKV, MKA, WebM) file at `path` that
/// `wanted(file name, mime type)` accepts, its bytes read when at most `max`;
/// `Ok(None)` for any other file. Bounded like the probe: headers are read
/// one at a time and nothing larger than `max` is allocated.
pub fn matroska_attachment(
    path: &Path,
    wanted: impl Fn(&str, &str) -> bool,
    max: u64,
) -> io::Result<Option<Attachment>> {
    let mut r = BufReader::new(File::open(path)?);
    let size = r.seek(SeekFrom::End(0))?;
    r.seek(SeekFrom::Start(0))?;
    let mut magic = [0u8; 4];
    if size < 4 || r.read_exact(&mut magic).is_err() || magic != matroska::EBML_MAGIC {
        return Ok(None);
    }
    matroska::attachment(&mut r, size, wanted, max)
}

/// Probe any seekable reader (see [`probe_path`]).
pub fn probe_reader<R: Read + Seek + Send>(mut r: R) -> io::Result<MediaFacts> {
    let size = r.seek(SeekFrom::End(0))?;
    r.seek(SeekFrom::Start(0))?;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut r).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    let (media_type, kind) = sniff(&head);
    let mut facts = MediaFacts { media_type, kind, ..MediaFacts::default() };
    let is_isobmff = head.get(4..8) == Some(b"ftyp".as_slice());
    let is_riff = head.starts_with(b"RIFF");
    if is_isobmff {
        r.seek(SeekFrom::Start(0))?;
        isobmff::mp4_facts(&mut r, size, &mut facts)?;
    } else if head.starts_with(&matroska::EBML_MAGIC) {
        r.seek(SeekFrom::Start(0))?;
        matroska::matroska_facts(&mut r, size, &mut facts)?;
    } else if is_riff && head.get(8..12) == Some(b"AVI ".as_slice()) {
        r.seek(SeekFrom::Start(0))?;
        riff::avi_facts(&mut r, size, &mut facts)?;
    } else if kind == MediaKind::Image {
        r.seek(SeekFrom::Start(0))?;
        image_facts(&mut r, &mut facts)?;
        r.seek(SeekFrom::Start(0))?;
        // One bounded prefix serves EXIF, XMP and IPTC: all sit before the
        // pixel data in every still format we read.
        let prefix = exif::exif_facts(&mut r, size, &mut facts)?;
        if facts.media_type == "image/png" {
            png::png_facts(&mut r, size, &mut facts)?;
        } else {
            xmp::xmp_facts(&prefix, &mut facts);
        }
        iptc::iptc_facts(&prefix, &mut facts);
        facts.c2pa_hint |= c2pa::hint(&prefix);
    }
    if facts.c2pa_hint {
        r.seek(SeekFrom::Start(0))?;
        let mime = facts.media_type.clone();
        facts.c2pa = Some(c2pa::read(&mime, &mut r));
    }
    facts.choose();
    Ok(facts)
}

/// Run a third-party parser; a panic becomes `Err(message)`.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        format!("parser failed internally ({msg})")
    })
}

fn image_facts<R: Read + Seek>(r: &mut R, facts: &mut MediaFacts) -> io::Result<()> {
    let reader = image::ImageReader::new(BufReader::new(r)).with_guessed_format()?;
    let mut reader = reader;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(64 << 20);
    reader.limits(limits);
    match guarded(|| reader.into_dimensions()) {
        Ok(Ok((w, h))) => {
            facts.add("width", w.to_string(), "image:header");
            facts.add("height", h.to_string(), "image:header");
        }
        Ok(Err(e)) => facts.warnings.push(format!("image header: {e}")),
        Err(e) => facts.warnings.push(format!("image header: {e}")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn png_dimensions_from_header() {
        let f = probe_reader(Cursor::new(png(17, 9))).unwrap();
        assert_eq!(f.media_type, "image/png");
        assert_eq!(f.kind, MediaKind::Image);
        assert_eq!((f.width, f.height), (Some(17), Some(9)));
        assert!(!f.has_exif);
    }

    #[test]
    fn text_and_empty_and_binary() {
        assert_eq!(sniff(b"").0, "application/x-empty");
        assert_eq!(sniff("Hello, wörld".as_bytes()), ("text/plain".into(), MediaKind::Document));
        assert_eq!(sniff(b"<!DOCTYPE html><html>").0, "text/html");
        assert_eq!(sniff(&[0u8, 1, 2, 3, 0xff]).1, MediaKind::Other);
    }

    #[test]
    fn mp4_box_claiming_huge_size_is_a_warning() {
        let mut b = Vec::new();
        b.extend_from_slice(&16u32.to_be_bytes());
        b.extend_from_slice(b"ftypisom");
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(b"moov");
        b.extend_from_slice(&(u64::MAX - 7).to_be_bytes());
        b.extend_from_slice(&[0u8; 32]);
        let f = probe_reader(Cursor::new(b)).unwrap();
        assert_eq!(f.kind, MediaKind::Video);
        assert!(f.warnings.iter().any(|w| w.contains("claims")), "{:?}", f.warnings);
    }

    /// Inputs the fuzzers found (tests/data/fuzz/probe_media): each must be
    /// probed quickly. A hang fails after 60 s instead of blocking the suite.
    #[test]
    fn fuzz_regressions_finish() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz/probe_media");
        let inputs: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert!(!inputs.is_empty());
        for p in inputs {
            let bytes = std::fs::read(&p).unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || tx.send(probe_reader(Cursor::new(bytes)).map(|f| f.warnings)));
            let got = rx.recv_timeout(std::time::Duration::from_secs(60));
            assert!(got.is_ok(), "probing {} did not finish within 60 s", p.display());
        }
    }

    proptest! {
        #[test]
        fn probe_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048), magic in 0usize..4) {
            let mut data = match magic {
                0 => b"\xff\xd8\xff\xe1".to_vec(),
                1 => b"\x89PNG\r\n\x1a\n".to_vec(),
                2 => b"\0\0\0\x18ftypmp42".to_vec(),
                _ => Vec::new(),
            };
            data.extend_from_slice(&bytes);
            let _ = probe_reader(Cursor::new(data));
        }
    }
}
