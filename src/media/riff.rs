//! AVI (RIFF `AVI `): the `hdrl` list (main header `avih`, per-stream `strh`
//! and `strf`) and the `INFO` list (software, creation date), found by a
//! bounded walk of the top-level chunks; `movi` (the media data) and `idx1`
//! are skipped by their sizes. A bounded parser of our own (no maintained
//! crate reads AVI headers without demuxing), fuzzed through `probe_media`
//! and property-tested below. WebP, the other RIFF format, is an image and
//! goes through the image path.

use std::io::{self, Read, Seek, SeekFrom};

use super::facts::norm_time;
use super::{dec, MediaFacts, MediaKind};

/// Largest `hdrl` / `INFO` list read.
const MAX_LIST: u32 = 1 << 20;
/// Top-level chunks walked.
const MAX_CHUNKS: usize = 64;

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The chunks in `b` as (id, payload); sizes are padded to even.
fn chunks(b: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while b.len().saturating_sub(at) >= 8 && out.len() < 4096 {
        let id: [u8; 4] = b[at..at + 4].try_into().unwrap_or([0; 4]);
        let size = le32(b, at + 4).unwrap_or(0) as usize;
        let Some(payload) = b.get(at + 8..(at + 8).saturating_add(size)) else {
            // A cut last chunk still yields what it holds.
            out.push((id, &b[at + 8..]));
            break;
        };
        out.push((id, payload));
        at += 8 + size + (size & 1);
    }
    out
}

/// `LIST` chunks of `kind` among `chunks`, as their contents.
fn lists<'a>(cs: &[([u8; 4], &'a [u8])], kind: &[u8; 4]) -> Vec<&'a [u8]> {
    cs.iter().filter(|(id, p)| id == b"LIST" && p.get(..4) == Some(kind)).map(|(_, p)| &p[4..]).collect()
}

pub(super) fn avi_facts<R: Read + Seek>(r: &mut R, size: u64, facts: &mut MediaFacts) -> io::Result<()> {
    let mut pos = 12u64;
    for _ in 0..MAX_CHUNKS {
        if pos + 12 > size {
            break;
        }
        r.seek(SeekFrom::Start(pos))?;
        let mut h = [0u8; 12];
        r.read_exact(&mut h)?;
        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        let wanted = &h[..4] == b"LIST" && (&h[8..12] == b"hdrl" || &h[8..12] == b"INFO");
        if wanted && len <= MAX_LIST && pos + 8 + u64::from(len) <= size {
            let mut buf = vec![0u8; len as usize];
            r.seek(SeekFrom::Start(pos + 8))?;
            r.read_exact(&mut buf)?;
            let one = [(*b"LIST", buf.as_slice())];
            if let Some(hdrl) = lists(&one, b"hdrl").first() {
                header_list(hdrl, facts);
            }
            if let Some(info) = lists(&one, b"INFO").first() {
                info_list(info, facts);
            }
        } else if wanted {
            facts.warnings.push(format!("AVI: list at byte {pos} claims {len} bytes; not read"));
        }
        pos += 8 + u64::from(len) + u64::from(len & 1);
    }
    Ok(())
}

fn header_list(hdrl: &[u8], facts: &mut MediaFacts) {
    let cs = chunks(hdrl);
    if let Some((_, avih)) = cs.iter().find(|(id, _)| id == b"avih") {
        if let (Some(w), Some(h)) = (le32(avih, 32), le32(avih, 36)) {
            if w > 0 && h > 0 {
                facts.add("width", w.to_string(), "avih:Width");
                facts.add("height", h.to_string(), "avih:Height");
            }
        }
    }
    let (mut video, mut audio) = (false, false);
    for strl in lists(&cs, b"strl") {
        let sc = chunks(strl);
        let Some((_, strh)) = sc.iter().find(|(id, _)| id == b"strh") else { continue };
        let strf = sc.iter().find(|(id, _)| id == b"strf").map(|(_, p)| *p).unwrap_or_default();
        let fourcc = |b: &[u8], at: usize| -> Option<String> {
            let c = b.get(at..at + 4)?;
            (c.iter().all(|x| x.is_ascii_graphic()) && c != [b'0'; 4]).then(|| String::from_utf8_lossy(c).into_owned())
        };
        match strh.get(..4) {
            Some(b"vids") if !video => {
                video = true;
                if let Some(c) = fourcc(strh, 4).or_else(|| fourcc(strf, 16)) {
                    facts.add("video_codec", c, "strh:fccHandler");
                }
                let (scale, rate, length) = (le32(strh, 20), le32(strh, 24), le32(strh, 32));
                if let (Some(scale), Some(rate)) = (scale.filter(|&s| s > 0), rate.filter(|&r| r > 0)) {
                    let fps = f64::from(rate) / f64::from(scale);
                    facts.add("frame_rate", dec((fps * 1000.0).round() / 1000.0), "strh:Rate");
                    if let Some(n) = length {
                        let ms = u64::from(n) * u64::from(scale) * 1000 / u64::from(rate);
                        facts.add("duration_ms", ms.to_string(), "strh:Length");
                    }
                }
            }
            Some(b"auds") if !audio => {
                audio = true;
                if let Some(tag) = strf.get(..2).map(|t| u16::from_le_bytes([t[0], t[1]])) {
                    facts.add("audio_codec", wave_format(tag), "strf:wFormatTag");
                }
            }
            _ => {}
        }
    }
    if video {
        facts.kind = MediaKind::Video;
    } else if audio {
        facts.kind = MediaKind::Audio;
    }
}

/// A WAVEFORMATEX format tag by its usual name.
pub(super) fn wave_format(tag: u16) -> String {
    match tag {
        0x0001 => "pcm".into(),
        0x0003 => "pcm-float".into(),
        0x0055 => "mp3".into(),
        0x00ff | 0x1610 => "aac".into(),
        0x2000 => "ac3".into(),
        other => format!("0x{other:04x}"),
    }
}

fn info_list(info: &[u8], facts: &mut MediaFacts) {
    for (id, p) in chunks(info) {
        let v = String::from_utf8_lossy(p).trim_end_matches('\0').trim().to_string();
        match &id {
            b"ISFT" => facts.add("software", v, "riff:INFO:ISFT"),
            b"ICRD" | b"IDIT" => {
                if let Some(t) = norm_time(&v) {
                    facts.add("captured_at", t, &format!("riff:INFO:{}", String::from_utf8_lossy(&id)));
                }
            }
            b"INAM" => facts.add("title", v, "riff:INFO:INAM"),
            b"IART" => facts.add("byline", v, "riff:INFO:IART"),
            b"ICMT" => facts.add("comment", v, "riff:INFO:ICMT"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn chunk(id: &[u8; 4], p: &[u8]) -> Vec<u8> {
        let mut o = id.to_vec();
        o.extend_from_slice(&(p.len() as u32).to_le_bytes());
        o.extend_from_slice(p);
        if p.len() % 2 == 1 {
            o.push(0);
        }
        o
    }

    fn list(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        chunk(b"LIST", &[kind.as_slice(), body].concat())
    }

    fn avi() -> Vec<u8> {
        let mut avih = vec![0u8; 56];
        avih[32..36].copy_from_slice(&320u32.to_le_bytes());
        avih[36..40].copy_from_slice(&240u32.to_le_bytes());
        let mut strh = vec![0u8; 56];
        strh[..8].copy_from_slice(b"vidsFMP4");
        strh[20..24].copy_from_slice(&1u32.to_le_bytes());
        strh[24..28].copy_from_slice(&25u32.to_le_bytes());
        strh[32..36].copy_from_slice(&50u32.to_le_bytes());
        let strl = list(b"strl", &[chunk(b"strh", &strh), chunk(b"strf", &[0u8; 40])].concat());
        let hdrl = list(b"hdrl", &[chunk(b"avih", &avih), strl].concat());
        let info = list(b"INFO", &chunk(b"ISFT", b"Lavf59.27.100\0"));
        let body = [b"AVI ".as_slice(), &hdrl, &info, &list(b"movi", &[0u8; 100])].concat();
        chunk(b"RIFF", &body)
    }

    #[test]
    fn reads_headers() {
        let mut f = MediaFacts::default();
        let b = avi();
        avi_facts(&mut Cursor::new(&b), b.len() as u64, &mut f).unwrap();
        f.choose();
        assert_eq!((f.width, f.height, f.duration_ms, f.frame_rate), (Some(320), Some(240), Some(2000), Some(25.0)));
        assert_eq!((f.video_codec.as_deref(), f.software.as_deref()), (Some("FMP4"), Some("Lavf59.27.100")));
        assert_eq!(f.kind, MediaKind::Video);
    }

    proptest! {
        #[test]
        fn never_panics(at in 0usize..400, x in any::<u8>(), tail in prop::collection::vec(any::<u8>(), 0..300)) {
            let mut b = avi();
            let i = at % b.len();
            b[i] ^= x;
            b.extend_from_slice(&tail);
            let mut f = MediaFacts::default();
            let _ = avi_facts(&mut Cursor::new(&b), b.len() as u64, &mut f);
            let _ = chunks(&tail);
        }
    }
}
