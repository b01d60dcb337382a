//! Matroska and WebM: a bounded EBML walk over the Segment's top-level
//! elements. `Info` (duration, DateUTC, muxing and writing app), `Tracks`
//! (codec IDs, frame size, frame rate) and `Tags` are read into memory when
//! small enough; the walk stops at the first `Cluster` (the media data) and
//! then seeks only to what the `SeekHead` says lies beyond it (mkvmerge puts
//! `Tags` at the end). [`attachment`] uses the same walk to find one
//! attached file (yt-dlp's embedded info.json) by name and mime type, reading
//! element headers one at a time and only the wanted FileData. Our own parser because the crates read more than
//! headers (matroska-demuxer parses every Cue point and allocates any element
//! size up to the file's length); this one allocates at most `MAX_MASTER`
//! per element and is fuzzed through `probe_media` and property-tested below.

use std::io::{self, Read, Seek, SeekFrom};

use super::facts::norm_time;
use super::{dec, MediaFacts, MediaKind};

pub(super) const EBML_MAGIC: [u8; 4] = [0x1a, 0x45, 0xdf, 0xa3];
const SEGMENT: u32 = 0x1853_8067;
const SEEK_HEAD: u32 = 0x114d_9b74;
const INFO: u32 = 0x1549_a966;
const TRACKS: u32 = 0x1654_ae6b;
const TAGS: u32 = 0x1254_c367;
const CLUSTER: u32 = 0x1f43_b675;
const ATTACHMENTS: u32 = 0x1941_a469;
const ATTACHED_FILE: u32 = 0x61a7;
const FILE_NAME: u32 = 0x466e;
const FILE_MIME_TYPE: u32 = 0x4660;
const FILE_DATA: u32 = 0x465c;
/// Attached files looked at (fonts, covers, an info.json).
const MAX_ATTACHED: usize = 1024;
/// Longest FileName / FileMimeType read.
const MAX_NAME: u64 = 4096;
/// Largest Info / Tracks / Tags / SeekHead element read.
const MAX_MASTER: u64 = 16 << 20;
/// Top-level elements walked before the first Cluster.
const MAX_TOP: usize = 256;
/// Elements parsed inside one master element (recursively).
const MAX_CHILDREN: usize = 100_000;
/// Nanoseconds between 1970-01-01 and Matroska's epoch, 2001-01-01 UTC.
const EPOCH_2001_SECS: i64 = 978_307_200;

/// A variable-length integer at `b[at..]`: (value, length). `keep_marker`
/// for element IDs, which are written with their length marker.
fn vint(b: &[u8], at: usize, keep_marker: bool) -> Option<(u64, usize)> {
    let first = *b.get(at)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let mut v = if keep_marker { u64::from(first) } else { u64::from(first) & ((1u64 << (8 - len)) - 1) };
    for i in 1..len {
        v = (v << 8) | u64::from(*b.get(at + i)?);
    }
    Some((v, len))
}

/// An element header: (id, data size or None when "unknown", header length).
fn header(b: &[u8], at: usize) -> Option<(u32, Option<u64>, usize)> {
    let (id, il) = vint(b, at, true)?;
    if il > 4 {
        return None;
    }
    let (size, sl) = vint(b, at + il, false)?;
    let unknown = size == (1u64 << (7 * sl)) - 1;
    Some((id as u32, (!unknown).then_some(size), il + sl))
}

/// The children of a master element held in memory, as (id, payload).
fn children(b: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() && out.len() < MAX_CHILDREN {
        let Some((id, size, hl)) = header(b, at) else { break };
        let start = at + hl;
        let end = match size {
            Some(s) => usize::try_from(s).ok().and_then(|s| start.checked_add(s)).filter(|&e| e <= b.len()),
            None => Some(b.len()),
        };
        let Some(end) = end else { break };
        out.push((id, &b[start..end]));
        at = end;
    }
    out
}

fn find(b: &[u8], id: u32) -> Option<&[u8]> {
    children(b).into_iter().find(|(i, _)| *i == id).map(|(_, p)| p)
}

fn uint(b: &[u8]) -> Option<u64> {
    (b.len() <= 8).then(|| b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x)))
}

fn float(b: &[u8]) -> Option<f64> {
    let v = match b.len() {
        4 => f64::from(f32::from_be_bytes(b.try_into().ok()?)),
        8 => f64::from_be_bytes(b.try_into().ok()?),
        _ => return None,
    };
    v.is_finite().then_some(v)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim_end_matches('\0').to_string()
}

pub(super) fn matroska_facts<R: Read + Seek>(r: &mut R, size: u64, facts: &mut MediaFacts) -> io::Result<()> {
    let Some(l) = layout(r, size, &mut facts.warnings)? else { return Ok(()) };
    // infer names every EBML file by its first bytes; the DocType says which.
    match l.doc_type.as_deref() {
        Some("webm") => facts.media_type = "video/webm".into(),
        Some("matroska") => facts.media_type = "video/x-matroska".into(),
        _ => {}
    }
    let mut seen: Vec<u32> = Vec::new();
    let mut parsed = Parsed::default();
    for &(id, at, len) in &l.elements {
        if matches!(id, INFO | TRACKS | TAGS) && !seen.contains(&id) {
            if let Some(buf) = read_bounded(r, at, len, l.end, &mut facts.warnings)? {
                parsed.element(id, &buf);
                seen.push(id);
            }
        }
    }
    parsed.record(facts);
    Ok(())
}

/// Where a Matroska file's top-level elements are.
struct Layout {
    doc_type: Option<String>,
    /// End of the Segment (or of the file, if sooner).
    end: u64,
    /// (id, payload position, payload size) of each top-level element before
    /// the first Cluster, then of those the SeekHead places beyond it.
    elements: Vec<(u32, u64, u64)>,
}

/// Walk the EBML header and the Segment's top-level elements up to the first
/// Cluster, then follow the SeekHead; `None` (with a warning) if the file is
/// not a readable Matroska file.
fn layout<R: Read + Seek>(r: &mut R, size: u64, warnings: &mut Vec<String>) -> io::Result<Option<Layout>> {
    let mut head = [0u8; 64];
    r.seek(SeekFrom::Start(0))?;
    let n = read_some(r, &mut head)?;
    let Some((_, Some(ebml_size), hl)) = header(&head[..n], 0).filter(|h| h.0 == EBML_MAGIC_ID) else {
        warnings.push("Matroska: unreadable EBML header".into());
        return Ok(None);
    };
    let doc_type = head
        .get(hl..(hl as u64).saturating_add(ebml_size).min(n as u64) as usize)
        .and_then(|h| find(h, 0x4282))
        .map(text);
    // The Segment follows the EBML header.
    let seg_at = (hl as u64).saturating_add(ebml_size);
    r.seek(SeekFrom::Start(seg_at))?;
    let n = read_some(r, &mut head)?;
    let Some((SEGMENT, seg_size, shl)) = header(&head[..n], 0) else {
        warnings.push("Matroska: no Segment after the EBML header".into());
        return Ok(None);
    };
    let data = seg_at + shl as u64;
    let end = seg_size.and_then(|s| data.checked_add(s)).map_or(size, |e| e.min(size));
    let mut pos = data;
    let mut elements = Vec::new();
    let mut later: Vec<(u32, u64)> = Vec::new();
    let mut seek_head_read = false;
    for _ in 0..MAX_TOP {
        if pos >= end {
            break;
        }
        r.seek(SeekFrom::Start(pos))?;
        let n = read_some(r, &mut head)?;
        let Some((id, Some(el_size), hl)) = header(&head[..n], 0) else { break };
        if id == CLUSTER {
            break;
        }
        let at = pos + hl as u64;
        elements.push((id, at, el_size));
        if id == SEEK_HEAD && !seek_head_read {
            if let Some(buf) = read_bounded(r, at, el_size, end, warnings)? {
                later.extend(seek_entries(&buf).into_iter().map(|(i, p)| (i, data.saturating_add(p))));
                seek_head_read = true;
            }
        }
        let Some(next) = at.checked_add(el_size) else { break };
        pos = next;
    }
    for (id, at) in later {
        if at >= end {
            continue;
        }
        r.seek(SeekFrom::Start(at))?;
        let n = read_some(r, &mut head)?;
        if let Some((hid, Some(el_size), hl)) = header(&head[..n], 0).filter(|h| h.0 == id) {
            let payload = at + hl as u64;
            if !elements.iter().any(|&(_, p, _)| p == payload) {
                elements.push((hid, payload, el_size));
            }
        }
    }
    Ok(Some(Layout { doc_type, end, elements }))
}

/// A file attached to a Matroska file (`Attachments/AttachedFile`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub mime_type: String,
    /// FileData's size as the file states it.
    pub size: u64,
    /// FileData, when at most the `max` asked for.
    pub data: Option<Vec<u8>>,
}

/// The first attachment of a Matroska file that `wanted(name, mime type)`
/// accepts, its data read when at most `max` bytes. Only the attachments'
/// headers are read until one is wanted, so fonts and cover art cost a seek
/// each; `Ok(None)` when the file is not Matroska or attaches nothing wanted.
pub fn attachment<R: Read + Seek>(
    r: &mut R,
    size: u64,
    wanted: impl Fn(&str, &str) -> bool,
    max: u64,
) -> io::Result<Option<Attachment>> {
    let mut warnings = Vec::new();
    let Some(l) = layout(r, size, &mut warnings)? else { return Ok(None) };
    for &(_, at, len) in l.elements.iter().filter(|e| e.0 == ATTACHMENTS) {
        let end = at.saturating_add(len).min(l.end);
        for (fid, fat, flen) in child_headers(r, at, end, MAX_ATTACHED)? {
            if fid != ATTACHED_FILE {
                continue;
            }
            let fend = fat.saturating_add(flen).min(end);
            let (mut name, mut mime, mut data) = (String::new(), String::new(), None);
            for (cid, cat, clen) in child_headers(r, fat, fend, 64)? {
                match cid {
                    FILE_NAME | FILE_MIME_TYPE if clen <= MAX_NAME => {
                        let Some(b) = read_bounded(r, cat, clen, fend, &mut warnings)? else { continue };
                        if cid == FILE_NAME {
                            name = text(&b)
                        } else {
                            mime = text(&b)
                        }
                    }
                    FILE_DATA => data = Some((cat, clen)),
                    _ => {}
                }
            }
            let Some((dat, dlen)) = data else { continue };
            if !wanted(&name, &mime) {
                continue;
            }
            let data = if dlen <= max {
                r.seek(SeekFrom::Start(dat))?;
                let mut buf = Vec::new();
                (&mut *r).take(dlen).read_to_end(&mut buf)?;
                // A FileData cut short by the end of the file is not the attachment.
                (buf.len() as u64 == dlen).then_some(buf)
            } else {
                None
            };
            return Ok(Some(Attachment { name, mime_type: mime, size: dlen, data }));
        }
    }
    Ok(None)
}

/// The headers of the elements between `start` and `end`, read one at a
/// time (the payloads stay on disk): (id, payload position, payload size).
/// Stops at an unknown size, an element running past `end`, or `limit` elements.
fn child_headers<R: Read + Seek>(r: &mut R, start: u64, end: u64, limit: usize) -> io::Result<Vec<(u32, u64, u64)>> {
    let mut out = Vec::new();
    let mut pos = start;
    let mut head = [0u8; 12];
    while pos < end && out.len() < limit {
        r.seek(SeekFrom::Start(pos))?;
        let n = read_some(r, &mut head)?;
        let Some((id, Some(len), hl)) = header(&head[..n], 0) else { break };
        let at = pos + hl as u64;
        let Some(next) = at.checked_add(len).filter(|&e| e <= end) else { break };
        out.push((id, at, len));
        pos = next;
    }
    Ok(out)
}

const EBML_MAGIC_ID: u32 = 0x1a45_dfa3;

fn read_some<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The `len` bytes at `at`, if at most [`MAX_MASTER`] and inside the Segment.
fn read_bounded<R: Read + Seek>(
    r: &mut R,
    at: u64,
    len: u64,
    end: u64,
    warnings: &mut Vec<String>,
) -> io::Result<Option<Vec<u8>>> {
    if len > MAX_MASTER || at.saturating_add(len) > end {
        warnings.push(format!("Matroska: element at byte {at} claims {len} bytes; not read"));
        return Ok(None);
    }
    r.seek(SeekFrom::Start(at))?;
    let mut buf = Vec::new();
    r.take(len).read_to_end(&mut buf)?;
    Ok(Some(buf))
}

/// SeekHead entries: (element id, position relative to the Segment data).
fn seek_entries(b: &[u8]) -> Vec<(u32, u64)> {
    children(b)
        .into_iter()
        .filter(|(id, _)| *id == 0x4dbb)
        .filter_map(|(_, seek)| {
            let id = uint(find(seek, 0x53ab)?)? as u32;
            Some((id, uint(find(seek, 0x53ac)?)?))
        })
        .take(64)
        .collect()
}

#[derive(Default)]
struct Parsed {
    facts: Vec<(&'static str, String, String)>,
}

impl Parsed {
    fn add(&mut self, field: &'static str, value: String, source: &str) {
        self.facts.push((field, value, source.to_string()));
    }

    fn element(&mut self, id: u32, b: &[u8]) {
        match id {
            INFO => self.info(b),
            TRACKS => self.tracks(b),
            TAGS => self.tags(b),
            _ => {}
        }
    }

    fn info(&mut self, b: &[u8]) {
        let scale = find(b, 0x2ad7b1).and_then(uint).filter(|&s| s > 0).unwrap_or(1_000_000);
        if let Some(d) = find(b, 0x4489).and_then(float).filter(|d| *d >= 0.0) {
            let ms = d * scale as f64 / 1e6;
            if ms < u64::MAX as f64 {
                self.add("duration_ms", (ms.round() as u64).to_string(), "matroska:Duration");
            }
        }
        if let Some(ns) =
            find(b, 0x4461).filter(|v| v.len() == 8).and_then(|v| Some(i64::from_be_bytes(v.try_into().ok()?)))
        {
            let secs = EPOCH_2001_SECS.checked_add(ns.div_euclid(1_000_000_000));
            if let Some(t) = secs.and_then(|s| chrono::DateTime::from_timestamp(s, 0)) {
                self.add("captured_at", t.format("%Y-%m-%dT%H:%M:%SZ").to_string(), "matroska:DateUTC");
            }
        }
        for (eid, field, source) in [
            (0x4d80, "muxing_app", "matroska:MuxingApp"),
            (0x5741, "software", "matroska:WritingApp"),
            (0x7ba9, "title", "matroska:Title"),
        ] {
            if let Some(v) = find(b, eid) {
                self.add(field, text(v), source);
            }
        }
    }

    fn tracks(&mut self, b: &[u8]) {
        let (mut video, mut audio) = (false, false);
        for (_, t) in children(b).into_iter().filter(|(id, _)| *id == 0xae) {
            let kind = find(t, 0x83).and_then(uint);
            let codec = find(t, 0x86).map(text);
            match kind {
                Some(1) if !video => {
                    video = true;
                    if let Some(c) = codec {
                        self.add("video_codec", c, "matroska:CodecID");
                    }
                    if let Some(v) = find(t, 0xe0) {
                        for (eid, field, source) in
                            [(0xb0, "width", "matroska:PixelWidth"), (0xba, "height", "matroska:PixelHeight")]
                        {
                            if let Some(x) = find(v, eid).and_then(uint).filter(|&x| x > 0 && x <= u64::from(u32::MAX))
                            {
                                self.add(field, x.to_string(), source);
                            }
                        }
                    }
                    if let Some(ns) = find(t, 0x23e383).and_then(uint).filter(|&n| n > 0) {
                        let fps = 1e9 / ns as f64;
                        self.add("frame_rate", dec((fps * 1000.0).round() / 1000.0), "matroska:DefaultDuration");
                    }
                }
                Some(2) if !audio => {
                    audio = true;
                    if let Some(c) = codec {
                        self.add("audio_codec", c, "matroska:CodecID");
                    }
                }
                _ => {}
            }
        }
    }

    /// Global tags (no target, or the whole file) and, for DURATION only,
    /// track tags (the duration of streams ffmpeg writes without Info/Duration).
    fn tags(&mut self, b: &[u8]) {
        for (_, tag) in children(b).into_iter().filter(|(id, _)| *id == 0x7373) {
            let targeted = find(tag, 0x63c0).is_some_and(|t| find(t, 0x63c5).is_some());
            for (_, st) in children(tag).into_iter().filter(|(id, _)| *id == 0x67c8) {
                let (Some(name), Some(value)) = (find(st, 0x45a3).map(text), find(st, 0x4487).map(text)) else {
                    continue;
                };
                let source = format!("matroska:tag:{name}");
                match name.to_ascii_uppercase().as_str() {
                    "DURATION" => {
                        if let Some(ms) = clock_ms(&value) {
                            self.add("duration_ms", ms.to_string(), &source);
                        }
                    }
                    _ if targeted => {}
                    "DATE_RECORDED" | "CREATION_TIME" | "DATE_ENCODED" => {
                        if let Some(t) = norm_time(&value) {
                            self.add("captured_at", t, &source);
                        }
                    }
                    "ENCODER" => self.add("encoder", value, &source),
                    "TITLE" => self.add("title", value, &source),
                    "ARTIST" => self.add("byline", value, &source),
                    "COMMENT" | "DESCRIPTION" => self.add("comment", value, &source),
                    _ => self.add("tag", format!("{name}={value}"), &source),
                }
            }
        }
    }

    fn record(self, facts: &mut MediaFacts) {
        let has_video = self.facts.iter().any(|(f, _, _)| *f == "video_codec");
        let has_audio = self.facts.iter().any(|(f, _, _)| *f == "audio_codec");
        for (field, value, source) in self.facts {
            facts.add(field, value, &source);
        }
        if has_video {
            facts.kind = MediaKind::Video;
        } else if has_audio {
            facts.kind = MediaKind::Audio;
            if let Some(sub) = facts.media_type.strip_prefix("video/") {
                facts.media_type = format!("audio/{sub}");
            }
        }
    }
}

/// `00:01:02.500000000` as milliseconds.
fn clock_ms(v: &str) -> Option<u64> {
    let mut parts = v.trim().split(':');
    let (h, m, s) = (parts.next()?.parse::<u64>().ok()?, parts.next()?.parse::<u64>().ok()?, parts.next()?);
    let secs: f64 = s.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| (h * 3600 + m * 60) * 1000 + (secs * 1000.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn el(id: u32, payload: &[u8]) -> Vec<u8> {
        let mut o: Vec<u8> = id.to_be_bytes().iter().copied().skip_while(|&b| b == 0).collect();
        // An 8-byte size: marker byte 0x01, then 7 bytes.
        o.push(0x01);
        o.extend_from_slice(&(payload.len() as u64).to_be_bytes()[1..]);
        o.extend_from_slice(payload);
        o
    }

    fn file() -> Vec<u8> {
        let info =
            [el(0x2ad7b1, &[0x0f, 0x42, 0x40]), el(0x4489, &2500.0f64.to_be_bytes()), el(0x4d80, b"Lavf59")].concat();
        let video = [el(0xb0, &[0x01, 0x40]), el(0xba, &[0xf0])].concat();
        let track =
            [el(0x83, &[1]), el(0x86, b"V_VP9"), el(0x23e383, &40_000_000u32.to_be_bytes()), el(0xe0, &video)].concat();
        let seg = [el(INFO, &info), el(TRACKS, &el(0xae, &track)), el(CLUSTER, &[0; 16])].concat();
        [el(EBML_MAGIC_ID, &el(0x4282, b"webm")), el(SEGMENT, &seg)].concat()
    }

    #[test]
    fn reads_info_and_tracks() {
        let mut f = MediaFacts { media_type: "video/x-matroska".into(), ..Default::default() };
        matroska_facts(&mut Cursor::new(file()), file().len() as u64, &mut f).unwrap();
        f.choose();
        assert_eq!(f.media_type, "video/webm");
        assert_eq!((f.width, f.height, f.duration_ms), (Some(320), Some(240), Some(2500)));
        assert_eq!((f.video_codec.as_deref(), f.frame_rate), (Some("V_VP9"), Some(25.0)));
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    }

    fn attached(name: &str, mime: &str, data: &[u8]) -> Vec<u8> {
        el(
            ATTACHED_FILE,
            &[el(FILE_NAME, name.as_bytes()), el(FILE_MIME_TYPE, mime.as_bytes()), el(FILE_DATA, data)].concat(),
        )
    }

    /// A file attaching a cover and an info.json, as yt-dlp's ffmpeg call leaves it.
    fn with_attachments(files: &[Vec<u8>]) -> Vec<u8> {
        let seg = [el(INFO, &el(0x4d80, b"Lavf59")), el(ATTACHMENTS, &files.concat()), el(CLUSTER, &[0; 16])].concat();
        [el(EBML_MAGIC_ID, &el(0x4282, b"matroska")), el(SEGMENT, &seg)].concat()
    }

    fn json_attachment(b: &[u8], max: u64) -> Option<Attachment> {
        attachment(&mut Cursor::new(b), b.len() as u64, |n, m| n == "info.json" && m == "application/json", max)
            .unwrap()
    }

    #[test]
    fn finds_the_wanted_attachment_past_others() {
        let f = with_attachments(&[
            attached("cover.jpg", "image/jpeg", &[0xff; 300]),
            attached("info.json", "application/json", b"{}"),
        ]);
        let a = json_attachment(&f, 1024).unwrap();
        assert_eq!(
            (a.name.as_str(), a.mime_type.as_str(), a.size, a.data.as_deref()),
            ("info.json", "application/json", 2, Some(&b"{}"[..]))
        );
        // Above the cap: found, size stated, not read.
        let big = with_attachments(&[attached("info.json", "application/json", &[b' '; 5000])]);
        let a = json_attachment(&big, 4096).unwrap();
        assert_eq!((a.size, a.data), (5000, None));
        // Cut short by the end of the file: the element runs past its parent, so it is not listed.
        let cut = &big[..big.len() - 2000];
        assert_eq!(json_attachment(cut, 1 << 20), None);
        assert_eq!(json_attachment(&file(), 1024), None, "no attachments");
        assert_eq!(json_attachment(&with_attachments(&[attached("info.json", "text/plain", b"{}")]), 1024), None);
    }

    #[test]
    fn vints() {
        assert_eq!(vint(&[0x81], 0, false), Some((1, 1)));
        assert_eq!(vint(&[0x40, 0x02], 0, false), Some((2, 2)));
        assert_eq!(vint(&[0x1a, 0x45, 0xdf, 0xa3], 0, true), Some((0x1a45_dfa3, 4)));
        assert_eq!(vint(&[0], 0, false), None);
        assert_eq!(header(&[0x1f, 0x43, 0xb6, 0x75, 0xff], 0), Some((CLUSTER, None, 5)));
        assert_eq!(clock_ms("00:00:02.040000000"), Some(2040));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in prop::collection::vec(any::<u8>(), 0..1500), cut in 0usize..400) {
            let mut f = MediaFacts::default();
            let mut data = EBML_MAGIC.to_vec();
            data.extend_from_slice(&bytes);
            let _ = matroska_facts(&mut Cursor::new(&data), data.len() as u64, &mut f);
            let good = file();
            let mut flipped = good.clone();
            let i = cut % flipped.len();
            flipped[i] ^= bytes.first().copied().unwrap_or(0xff);
            let _ = matroska_facts(&mut Cursor::new(&flipped), flipped.len() as u64, &mut f);
            let _ = children(&bytes);
            let att = with_attachments(&[attached("info.json", "application/json", &bytes)]);
            let mut flipped = att.clone();
            let i = cut % flipped.len();
            flipped[i] ^= bytes.first().copied().unwrap_or(0xff);
            let _ = attachment(&mut Cursor::new(&flipped), flipped.len() as u64, |_, _| true, 1 << 20);
            let _ = attachment(&mut Cursor::new(&data), data.len() as u64, |_, _| true, 1 << 20);
        }
    }
}
