//! ISO base media files (MP4, MOV, 3GP, HEIF/HEIC/AVIF): a bounded walk of
//! the top-level boxes, `moov` parsed by mp4parse, and what mp4parse does not
//! expose read from our own bounded box walk (`quicktime` for movie
//! metadata, `heif` for still-image items). `mdat` is never read.

use std::io::{self, Cursor, Read, Seek, SeekFrom};

use super::{guarded, heif, quicktime, xmp, MediaFacts, MediaKind};

/// Largest `moov` box parsed; bigger ones are reported, not read.
const MAX_MOOV: u64 = 64 << 20;
/// Top-level MP4 boxes walked before giving up (hostile files with millions of tiny boxes).
const MAX_TOP_BOXES: usize = 4096;
/// Top-level boxes walked past `moov` looking for a `uuid` XMP box
/// (fragmented files have thousands of `moof`/`mdat` pairs).
const MAX_BOXES_AFTER_MOOV: usize = 64;
/// The `uuid` of an XMP box (Adobe XMP specification part 3).
const XMP_UUID: [u8; 16] = *b"\xbe\x7a\xcf\xcb\x97\xa9\x42\xe8\x9c\x71\x99\x94\x91\xe3\xaf\xac";
/// The `uuid` of a C2PA manifest box.
pub(super) const C2PA_UUID: [u8; 16] = *b"\xd8\xfe\xc3\xd6\x1b\x0e\x48\x3c\x92\x97\x58\x28\x87\x7e\xc4\x81";

/// Walk the top-level boxes, copy `ftyp` + `moov` (bounded) into memory and
/// let the `mp4` crate parse that; `mdat` is never read.
pub(super) fn mp4_facts<R: Read + Seek>(r: &mut R, size: u64, facts: &mut MediaFacts) -> io::Result<()> {
    let mut pos = 0u64;
    let mut ftyp: Option<Vec<u8>> = None;
    let mut moov: Option<Vec<u8>> = None;
    let mut meta: Option<Vec<u8>> = None;
    let mut after_moov = 0;
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
            b"ftyp" | b"moov" | b"meta" => {
                if box_size > MAX_MOOV {
                    facts.warnings.push(format!(
                        "MP4: {} box of {box_size} bytes is larger than the {MAX_MOOV}-byte limit; not parsed",
                        String::from_utf8_lossy(&name)
                    ));
                } else {
                    let mut buf = Vec::with_capacity(box_size as usize);
                    r.seek(SeekFrom::Start(pos))?;
                    (&mut *r).take(box_size).read_to_end(&mut buf)?;
                    match &name {
                        b"ftyp" => ftyp = Some(buf),
                        b"moov" => moov = Some(buf),
                        _ => meta = Some(buf),
                    }
                }
            }
            b"uuid" if box_size >= 24 => {
                let mut id = [0u8; 16];
                r.read_exact(&mut id[..])?;
                if id == XMP_UUID && box_size <= MAX_MOOV {
                    let mut buf = Vec::new();
                    (&mut *r).take(box_size - 24).read_to_end(&mut buf)?;
                    xmp::xmp_facts(&buf, facts);
                } else if id == C2PA_UUID {
                    facts.c2pa_hint = true;
                }
            }
            _ => {}
        }
        if moov.is_some() {
            after_moov += 1;
            if after_moov > MAX_BOXES_AFTER_MOOV {
                break;
            }
        }
        pos = end;
    }
    if let Some(brand) = ftyp.as_deref().and_then(|f| f.get(8..12)) {
        brand_type(brand, facts);
    }
    if let (Some(meta), None) = (&meta, &moov) {
        facts.kind = MediaKind::Image;
        if let Some(payload) = boxes(meta).first().map(|(_, p)| *p) {
            heif::heif_facts(r, size, payload, facts)?;
        }
        return Ok(());
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
                if let Some(d) = duration.checked_mul(1000).map(|d| d / u64::from(timescale)) {
                    facts.add("duration_ms", d.to_string(), "quicktime:mvhd:Duration");
                }
            }
            if let Some(t) = mp4_time(creation) {
                facts.add("captured_at", t, "quicktime:mvhd:CreateDate");
            }
        }
    }
    quicktime::moov_metadata(&moov_payload(&moov), facts);
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
    let mut has_audio = false;
    let mvhd_duration = facts.facts.iter().any(|f| f.field == "duration_ms");
    for (i, t) in ctx.tracks.iter().enumerate() {
        let code = codes.get(i).cloned().flatten();
        match t.track_type {
            mp4parse::TrackType::Video if !has_video => {
                has_video = true;
                if let Some(c) = code {
                    facts.add("video_codec", c, "track:stsd");
                }
                let entry_dims = t.stsd.as_ref().and_then(|s| {
                    s.descriptions.iter().find_map(|d| match d {
                        mp4parse::SampleEntry::Video(v) => Some((u32::from(v.width), u32::from(v.height))),
                        _ => None,
                    })
                });
                // tkhd sizes are 16.16 fixed point.
                let tkhd_dims = t.tkhd.as_ref().map(|h| (h.width >> 16, h.height >> 16));
                if let Some((w, h)) = entry_dims.or(tkhd_dims).filter(|&(w, h)| w > 0 && h > 0) {
                    facts.add("width", w.to_string(), "track:stsd");
                    facts.add("height", h.to_string(), "track:stsd");
                }
                if !mvhd_duration {
                    if let Some(d) = track_ms(t) {
                        facts.add("duration_ms", d.to_string(), "track:mdhd");
                    }
                }
            }
            mp4parse::TrackType::Audio if !has_audio => {
                has_audio = true;
                if let Some(c) = code {
                    facts.add("audio_codec", c, "track:stsd");
                }
                if !mvhd_duration && !has_video {
                    if let Some(d) = track_ms(t) {
                        facts.add("duration_ms", d.to_string(), "track:mdhd");
                    }
                }
            }
            _ => {}
        }
    }
    if !has_video && has_audio {
        facts.kind = MediaKind::Audio;
        if facts.media_type == "video/mp4" {
            facts.media_type = "audio/mp4".into();
        }
    } else if has_video {
        facts.kind = MediaKind::Video;
    }
    Ok(())
}

/// Media types `infer` does not know (3GP) or names generically, from the major brand.
fn brand_type(brand: &[u8], facts: &mut MediaFacts) {
    let t = match brand {
        b if b.starts_with(b"3gp") || b.starts_with(b"3ge") || b.starts_with(b"3gs") => "video/3gpp",
        b if b.starts_with(b"3g2") => "video/3gpp2",
        b"heic" | b"heix" | b"heim" | b"heis" => "image/heic",
        b"mif1" | b"msf1" if facts.media_type == "application/octet-stream" => "image/heif",
        b"avif" | b"avis" => "image/avif",
        _ => return,
    };
    facts.media_type = t.into();
    if t.starts_with("image/") {
        facts.kind = MediaKind::Image;
    } else if facts.kind == MediaKind::Other {
        facts.kind = MediaKind::Video;
    }
}

fn track_ms(t: &mp4parse::Track) -> Option<u64> {
    let (d, scale) = (t.duration?.0, t.timescale?.0);
    (scale > 0).then(|| d.checked_mul(1000).map(|x| x / scale)).flatten()
}

/// The boxes directly inside `buf`, as (type, payload). Stops at the first
/// malformed header, so every step advances and stays inside `buf`.
pub(super) fn boxes(buf: &[u8]) -> Vec<([u8; 4], &[u8])> {
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

pub(super) fn child<'a>(buf: &'a [u8], name: &[u8; 4]) -> Option<&'a [u8]> {
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

    #[test]
    fn mp4_epoch() {
        assert_eq!(mp4_time(0), None);
        assert_eq!(mp4_time(2_082_844_800).as_deref(), Some("1970-01-01T00:00:00Z"));
    }
}
