//! What a file's own bytes say about it: media type by magic bytes, image
//! dimensions from the header, EXIF, and MP4/MOV container facts.
//!
//! Everything here reads a bounded prefix or a bounded box of the file and
//! never decodes pixels: probing a 100000x100000 PNG header or an MP4 whose
//! box claims 2^63 bytes costs the same as probing a thumbnail. Third-party
//! parsers run under `catch_unwind`, so a parser bug becomes a warning on
//! that file instead of aborting a folder add. Facts never come from file
//! names.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Bytes read for magic-number sniffing.
const SNIFF_LEN: usize = 8192;
/// Prefix read when looking for EXIF (JPEG APP1 sits in the first segments).
const EXIF_SCAN_LEN: u64 = 4 << 20;
/// First, cheaper attempt at the EXIF prefix.
const EXIF_FIRST_TRY: u64 = 256 << 10;
/// Largest `moov` box parsed; bigger ones are reported, not read.
const MAX_MOOV: u64 = 64 << 20;
/// Top-level MP4 boxes walked before giving up (hostile files with millions of tiny boxes).
const MAX_TOP_BOXES: usize = 4096;

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

/// Facts read from a file's bytes. Absent means the file does not say.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaFacts {
    /// MIME type from magic bytes; `application/octet-stream` when unknown.
    pub media_type: String,
    pub kind: MediaKind,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
    /// Sample-entry four-character code, e.g. `avc1`, `hev1`.
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    /// EXIF DateTimeOriginal (with OffsetTimeOriginal when present) or the MP4
    /// `mvhd` creation time (UTC), as RFC 3339 text.
    pub captured_at: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub gps_lat: Option<f64>,
    pub gps_lon: Option<f64>,
    pub orientation: Option<u16>,
    pub software: Option<String>,
    /// The file carries an EXIF block (platforms usually strip it).
    pub has_exif: bool,
    /// Things a parser could not read, one line each.
    pub warnings: Vec<String>,
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

/// Probe any seekable reader (see [`probe_path`]).
pub fn probe_reader<R: Read + Seek>(mut r: R) -> io::Result<MediaFacts> {
    let size = r.seek(SeekFrom::End(0))?;
    r.seek(SeekFrom::Start(0))?;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut r).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    let (media_type, kind) = sniff(&head);
    let mut facts = MediaFacts { media_type, kind, ..MediaFacts::default() };
    let is_isobmff = head.get(4..8) == Some(b"ftyp".as_slice());
    match kind {
        MediaKind::Image => {
            r.seek(SeekFrom::Start(0))?;
            image_facts(&mut r, &mut facts)?;
            r.seek(SeekFrom::Start(0))?;
            exif_facts(&mut r, size, &mut facts)?;
        }
        _ if is_isobmff => {
            r.seek(SeekFrom::Start(0))?;
            mp4_facts(&mut r, size, &mut facts)?;
        }
        _ => {}
    }
    Ok(facts)
}

/// Run a third-party parser; a panic becomes `Err(message)`.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
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
            facts.width = Some(w);
            facts.height = Some(h);
        }
        Ok(Err(e)) => facts.warnings.push(format!("image header: {e}")),
        Err(e) => facts.warnings.push(format!("image header: {e}")),
    }
    Ok(())
}

fn exif_facts<R: Read + Seek>(r: &mut R, size: u64, facts: &mut MediaFacts) -> io::Result<()> {
    // Most files keep EXIF in their first kilobytes (JPEG APP1 precedes the
    // image data): try a small prefix, and a larger one only if it ran out.
    let mut prefix = Vec::new();
    (&mut *r).take(EXIF_FIRST_TRY.min(size)).read_to_end(&mut prefix)?;
    let mut parsed = guarded(|| exif::Reader::new().read_from_container(&mut Cursor::new(&prefix)));
    // A JPEG that reached its image data without APP1 has no EXIF; any other
    // failure on a cut prefix may just be the cut.
    let jpeg_without_exif = prefix.starts_with(&[0xff, 0xd8]) && matches!(parsed, Ok(Err(exif::Error::NotFound(_))));
    if matches!(parsed, Ok(Err(_))) && !jpeg_without_exif && size > EXIF_FIRST_TRY {
        r.take(EXIF_SCAN_LEN.min(size) - EXIF_FIRST_TRY).read_to_end(&mut prefix)?;
        parsed = guarded(|| exif::Reader::new().read_from_container(&mut Cursor::new(&prefix)));
    }
    let ex = match parsed {
        Ok(Ok(ex)) => ex,
        // "No Exif data found" is the normal case for stripped files.
        Ok(Err(exif::Error::NotFound(_))) => return Ok(()),
        Ok(Err(e)) => {
            facts.warnings.push(format!("EXIF: {e}"));
            return Ok(());
        }
        Err(e) => {
            facts.warnings.push(format!("EXIF: {e}"));
            return Ok(());
        }
    };
    facts.has_exif = true;
    use exif::{In, Tag};
    let ascii = |tag: Tag, ifd: In| -> Option<String> {
        match &ex.get_field(tag, ifd)?.value {
            exif::Value::Ascii(parts) => {
                let s = String::from_utf8_lossy(parts.first()?)
                    .trim_matches(|c: char| c == '\0' || c.is_whitespace())
                    .to_string();
                (!s.is_empty()).then_some(s)
            }
            _ => None,
        }
    };
    facts.make = ascii(Tag::Make, In::PRIMARY);
    facts.model = ascii(Tag::Model, In::PRIMARY);
    facts.software = ascii(Tag::Software, In::PRIMARY);
    facts.orientation = ex
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u16::try_from(v).ok());
    let taken = ascii(Tag::DateTimeOriginal, In::PRIMARY).or_else(|| ascii(Tag::DateTime, In::PRIMARY));
    if let Some(t) = taken {
        let offset = ascii(Tag::OffsetTimeOriginal, In::PRIMARY);
        match exif_time(&t, offset.as_deref()) {
            Some(ts) => facts.captured_at = Some(ts),
            None => facts.warnings.push(format!("EXIF: unreadable DateTimeOriginal {t:?}")),
        }
    }
    let coord = |val: Tag, reference: Tag, neg: &str| -> Option<f64> {
        let f = ex.get_field(val, In::PRIMARY)?;
        let deg = match &f.value {
            exif::Value::Rational(v) if v.len() >= 3 => v[0].to_f64() + v[1].to_f64() / 60.0 + v[2].to_f64() / 3600.0,
            _ => return None,
        };
        if !deg.is_finite() {
            return None;
        }
        let sign = match ascii(reference, In::PRIMARY) {
            Some(r) if r.eq_ignore_ascii_case(neg) => -1.0,
            _ => 1.0,
        };
        Some(sign * deg)
    };
    facts.gps_lat = coord(Tag::GPSLatitude, Tag::GPSLatitudeRef, "S").filter(|v| v.abs() <= 90.0);
    facts.gps_lon = coord(Tag::GPSLongitude, Tag::GPSLongitudeRef, "W").filter(|v| v.abs() <= 180.0);
    Ok(())
}

/// `2026:03:14 13:02:03` (+ `+01:00`) -> `2026-03-14T13:02:03+01:00`; without
/// an offset the local time is kept without a zone (EXIF does not say which).
fn exif_time(t: &str, offset: Option<&str>) -> Option<String> {
    let naive = chrono::NaiveDateTime::parse_from_str(t.trim(), "%Y:%m:%d %H:%M:%S").ok()?;
    let base = naive.format("%Y-%m-%dT%H:%M:%S").to_string();
    match offset.map(str::trim) {
        Some(o) if valid_offset(o) => Some(format!("{base}{o}")),
        _ => Some(base),
    }
}

fn valid_offset(o: &str) -> bool {
    let b = o.as_bytes();
    b.len() == 6
        && (b[0] == b'+' || b[0] == b'-')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3] == b':'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
}

/// Walk the top-level boxes, copy `ftyp` + `moov` (bounded) into memory and
/// let the `mp4` crate parse that; `mdat` is never read.
fn mp4_facts<R: Read + Seek>(r: &mut R, size: u64, facts: &mut MediaFacts) -> io::Result<()> {
    let mut pos = 0u64;
    let mut ftyp: Option<Vec<u8>> = None;
    let mut moov: Option<Vec<u8>> = None;
    for _ in 0..MAX_TOP_BOXES {
        if pos + 8 > size {
            break;
        }
        r.seek(SeekFrom::Start(pos))?;
        let mut hdr = [0u8; 16];
        r.read_exact(&mut hdr[..8])?;
        let mut box_size = u64::from(u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]));
        let name = [hdr[4], hdr[5], hdr[6], hdr[7]];
        if box_size == 1 {
            if pos + 16 > size {
                facts.warnings.push(format!("MP4: truncated box header at byte {pos}"));
                break;
            }
            r.read_exact(&mut hdr[8..16])?;
            let mut large = [0u8; 8];
            large.copy_from_slice(&hdr[8..16]);
            box_size = u64::from_be_bytes(large);
        } else if box_size == 0 {
            box_size = size - pos;
        }
        let end = pos.checked_add(box_size);
        let Some(end) = end.filter(|&e| box_size >= 8 && e <= size) else {
            facts.warnings.push(format!(
                "MP4: box {:?} at byte {pos} claims {box_size} bytes but the file has {} left",
                String::from_utf8_lossy(&name),
                size - pos
            ));
            break;
        };
        match &name {
            b"ftyp" | b"moov" => {
                if box_size > MAX_MOOV {
                    facts.warnings.push(format!(
                        "MP4: {} box of {box_size} bytes is larger than the {MAX_MOOV}-byte limit; not parsed",
                        String::from_utf8_lossy(&name)
                    ));
                } else {
                    let mut buf = Vec::with_capacity(box_size as usize);
                    r.seek(SeekFrom::Start(pos))?;
                    (&mut *r).take(box_size).read_to_end(&mut buf)?;
                    if name == *b"ftyp" {
                        ftyp = Some(buf);
                    } else {
                        moov = Some(buf);
                    }
                }
            }
            _ => {}
        }
        if ftyp.is_some() && moov.is_some() {
            break;
        }
        pos = end;
    }
    let (Some(ftyp), Some(moov)) = (ftyp, moov) else {
        facts.warnings.push("MP4: no readable moov box (truncated or fragmented file)".into());
        return Ok(());
    };
    // The movie header and sample-entry codes come from our own bounded box
    // walk (mp4parse does not expose them); tracks from mp4parse, Mozilla's
    // parser that Firefox ships and OSS-Fuzz fuzzes.
    if let Some(mvhd) = child(&moov_payload(&moov), b"mvhd") {
        if let Some((creation, timescale, duration)) = parse_mvhd(mvhd) {
            if timescale > 0 {
                facts.duration_ms = duration.checked_mul(1000).map(|d| d / u64::from(timescale));
            }
            facts.captured_at = mp4_time(creation);
        }
    }
    let codes = sample_entry_codes(&moov_payload(&moov));
    let mut buf = ftyp;
    buf.extend_from_slice(&moov);
    let parsed = guarded(|| mp4parse::read_mp4(&mut Cursor::new(buf)));
    let ctx = match parsed {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            facts.warnings.push(format!("MP4: {e:?}"));
            return Ok(());
        }
        Err(e) => {
            facts.warnings.push(format!("MP4: {e}"));
            return Ok(());
        }
    };
    let mut has_video = false;
    for (i, t) in ctx.tracks.iter().enumerate() {
        let code = codes.get(i).cloned().flatten();
        match t.track_type {
            mp4parse::TrackType::Video => {
                has_video = true;
                if facts.video_codec.is_none() {
                    facts.video_codec = code;
                    let entry_dims = t.stsd.as_ref().and_then(|s| {
                        s.descriptions.iter().find_map(|d| match d {
                            mp4parse::SampleEntry::Video(v) => Some((u32::from(v.width), u32::from(v.height))),
                            _ => None,
                        })
                    });
                    // tkhd sizes are 16.16 fixed point.
                    let tkhd_dims = t.tkhd.as_ref().map(|h| (h.width >> 16, h.height >> 16));
                    if let Some((w, h)) = entry_dims.or(tkhd_dims).filter(|&(w, h)| w > 0 && h > 0) {
                        facts.width = Some(w);
                        facts.height = Some(h);
                    }
                }
                if facts.duration_ms.is_none() {
                    facts.duration_ms = track_ms(t);
                }
            }
            mp4parse::TrackType::Audio => {
                if facts.audio_codec.is_none() {
                    facts.audio_codec = code;
                }
                if facts.duration_ms.is_none() {
                    facts.duration_ms = track_ms(t);
                }
            }
            _ => {}
        }
    }
    if !has_video && facts.audio_codec.is_some() {
        facts.kind = MediaKind::Audio;
        if facts.media_type == "video/mp4" {
            facts.media_type = "audio/mp4".into();
        }
    } else if has_video {
        facts.kind = MediaKind::Video;
    }
    Ok(())
}

fn track_ms(t: &mp4parse::Track) -> Option<u64> {
    let (d, scale) = (t.duration?.0, t.timescale?.0);
    (scale > 0).then(|| d.checked_mul(1000).map(|x| x / scale)).flatten()
}

/// The boxes directly inside `buf`, as (type, payload). Stops at the first
/// malformed header, so every step advances and stays inside `buf`.
fn boxes(buf: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while buf.len().saturating_sub(pos) >= 8 && out.len() < MAX_TOP_BOXES {
        let b = &buf[pos..];
        let size32 = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let name = [b[4], b[5], b[6], b[7]];
        let (header, size) = match size32 {
            0 => (8, b.len()),
            1 if b.len() >= 16 => {
                let mut large = [0u8; 8];
                large.copy_from_slice(&b[8..16]);
                (16, usize::try_from(u64::from_be_bytes(large)).unwrap_or(usize::MAX))
            }
            1 => break,
            n => (8, n),
        };
        if size < header || size > b.len() {
            break;
        }
        out.push((name, &b[header..size]));
        pos += size;
    }
    out
}

fn child<'a>(buf: &'a [u8], name: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(buf).into_iter().find(|(n, _)| n == name).map(|(_, p)| p)
}

/// The payload of a whole `moov` box (header included in `moov`).
fn moov_payload(moov: &[u8]) -> Vec<u8> {
    boxes(moov).into_iter().find(|(n, _)| n == b"moov").map(|(_, p)| p.to_vec()).unwrap_or_default()
}

/// (creation time, timescale, duration) from an `mvhd` payload.
fn parse_mvhd(p: &[u8]) -> Option<(u64, u32, u64)> {
    let be32 = |o: usize| p.get(o..o + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let be64 = |o: usize| {
        p.get(o..o + 8).map(|b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_be_bytes(a)
        })
    };
    match p.first()? {
        0 => Some((u64::from(be32(4)?), be32(12)?, u64::from(be32(16)?))),
        1 => Some((be64(4)?, be32(20)?, be64(24)?)),
        _ => None,
    }
}

/// Per `trak`, in order: the four-character code of its first sample entry
/// (`avc1`, `hvc1`, `mp4a`, ...), which names the codec as the file does.
fn sample_entry_codes(moov: &[u8]) -> Vec<Option<String>> {
    boxes(moov)
        .into_iter()
        .filter(|(n, _)| n == b"trak")
        .map(|(_, trak)| {
            let stsd = child(trak, b"mdia")
                .and_then(|m| child(m, b"minf"))
                .and_then(|m| child(m, b"stbl"))
                .and_then(|s| child(s, b"stsd"))?;
            let (name, _) = *boxes(stsd.get(8..)?).first()?;
            name.iter().all(|c| c.is_ascii_graphic()).then(|| String::from_utf8_lossy(&name).into_owned())
        })
        .collect()
}

/// MP4 times count seconds from 1904-01-01 UTC; 0 means unset.
fn mp4_time(secs: u64) -> Option<String> {
    const MAC_EPOCH_TO_UNIX: i64 = 2_082_844_800;
    if secs == 0 {
        return None;
    }
    let unix = i64::try_from(secs).ok()?.checked_sub(MAC_EPOCH_TO_UNIX)?;
    let t = chrono::DateTime::from_timestamp(unix, 0)?;
    Some(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    #[test]
    fn mp4_epoch() {
        assert_eq!(mp4_time(0), None);
        assert_eq!(mp4_time(2_082_844_800).as_deref(), Some("1970-01-01T00:00:00Z"));
    }

    #[test]
    fn exif_time_forms() {
        assert_eq!(exif_time("2026:03:14 13:02:03", Some("+01:00")).as_deref(), Some("2026-03-14T13:02:03+01:00"));
        assert_eq!(exif_time("2026:03:14 13:02:03", Some("junk")).as_deref(), Some("2026-03-14T13:02:03"));
        assert_eq!(exif_time("0000:00:00 00:00:00", None), None);
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
