//! IPTC IIM in JPEG (what wire photos carry): the APP13 "Photoshop 3.0"
//! segment, its 8BIM resource 0x0404, and the record-2 datasets in it
//! (by-line, credit, caption, keywords, date and time created, ...). No crate
//! reads IIM without also writing and decoding images, and the format is
//! small: a bounded parser over bytes already read, property-tested below and
//! reached by the `probe_media` fuzz target.

use super::facts::norm_time;
use super::MediaFacts;

/// JPEG segments walked before giving up.
const MAX_SEGMENTS: usize = 1024;

/// IPTC facts from a JPEG prefix.
pub(super) fn iptc_facts(jpeg: &[u8], facts: &mut MediaFacts) {
    let Some(iim) = app13_iim(jpeg) else { return };
    record(&datasets(iim), facts);
}

/// The IIM block of the first APP13 Photoshop segment holding resource 0x0404.
fn app13_iim(b: &[u8]) -> Option<&[u8]> {
    if !b.starts_with(&[0xff, 0xd8]) {
        return None;
    }
    let mut at = 2;
    for _ in 0..MAX_SEGMENTS {
        let (&m0, &marker) = (b.get(at)?, b.get(at + 1)?);
        if m0 != 0xff {
            return None;
        }
        // Start of scan or end of image: no more metadata segments.
        if marker == 0xda || marker == 0xd9 {
            return None;
        }
        if marker == 0xff || (0xd0..=0xd7).contains(&marker) || marker == 0x01 {
            at += if marker == 0xff { 1 } else { 2 };
            continue;
        }
        let len = usize::from(u16::from_be_bytes([*b.get(at + 2)?, *b.get(at + 3)?]));
        let seg = b.get(at + 4..at + 2 + len.max(2))?;
        if marker == 0xed {
            if let Some(iim) = seg.strip_prefix(b"Photoshop 3.0\0").and_then(resource_0404) {
                return Some(iim);
            }
        }
        at += 2 + len;
    }
    None
}

/// Walk 8BIM image resources: type, id, Pascal name padded to even, size, data padded to even.
fn resource_0404(mut r: &[u8]) -> Option<&[u8]> {
    while r.len() >= 12 {
        if &r[..4] != b"8BIM" {
            return None;
        }
        let id = u16::from_be_bytes([r[4], r[5]]);
        let name_len = usize::from(r[6]);
        let name_total = (1 + name_len + 1) & !1;
        let at = 6 + name_total;
        let size = u32::from_be_bytes(r.get(at..at + 4)?.try_into().ok()?) as usize;
        let data = r.get(at + 4..(at + 4).checked_add(size)?)?;
        if id == 0x0404 {
            return Some(data);
        }
        r = r.get(at + 4 + ((size + 1) & !1)..)?;
    }
    None
}

/// (record, dataset, bytes) in order; stops at the first malformed tag.
fn datasets(mut d: &[u8]) -> Vec<(u8, u8, &[u8])> {
    let mut out = Vec::new();
    while d.len() >= 5 && d[0] == 0x1c {
        let (rec, set) = (d[1], d[2]);
        let len = u16::from_be_bytes([d[3], d[4]]);
        // Extended (>32 KB) datasets: the high bit says the length follows in N bytes.
        let (len, at) = if len & 0x8000 != 0 {
            let n = usize::from(len & 0x7fff);
            let Some(bytes) = d.get(5..5 + n).filter(|_| n <= 4) else { break };
            (bytes.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b)), 5 + n)
        } else {
            (usize::from(len), 5)
        };
        let Some(value) = at.checked_add(len).and_then(|end| d.get(at..end)) else { break };
        out.push((rec, set, value));
        d = &d[at + len..];
    }
    out
}

fn record(sets: &[(u8, u8, &[u8])], facts: &mut MediaFacts) {
    // IIM text is Latin-1 unless 1:90 declares UTF-8; valid UTF-8 is taken as
    // UTF-8 either way (Latin-1 text with accents is almost never valid UTF-8).
    let text = |v: &[u8]| -> String {
        match std::str::from_utf8(v) {
            Ok(s) => s.to_string(),
            Err(_) => v.iter().map(|&c| char::from(c)).collect(),
        }
    };
    let mut date = None;
    let mut time = None;
    for &(rec, set, v) in sets {
        if rec != 2 {
            continue;
        }
        let (field, name) = match set {
            5 => ("title", "ObjectName"),
            25 => ("keywords", "Keywords"),
            55 => {
                date = Some(text(v));
                continue;
            }
            60 => {
                time = Some(text(v));
                continue;
            }
            80 => ("byline", "By-line"),
            90 => ("city", "City"),
            101 => ("country", "Country-PrimaryLocationName"),
            110 => ("credit", "Credit"),
            115 => ("source_name", "Source"),
            116 => ("copyright", "CopyrightNotice"),
            120 => ("caption", "Caption-Abstract"),
            _ => continue,
        };
        facts.add(field, text(v), &format!("iptc:{name}"));
    }
    // DateCreated CCYYMMDD, TimeCreated HHMMSS±HHMM.
    if let Some(d) = date.filter(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit())) {
        let iso = format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..8]);
        let full = match time.as_deref().filter(|t| t.len() >= 6 && t.is_char_boundary(6)) {
            Some(t) => {
                let zone = t.get(6..).filter(|z| z.len() == 5).map(|z| format!("{}:{}", &z[..3], &z[3..]));
                format!("{iso}T{}:{}:{}{}", &t[..2], &t[2..4], &t[4..6], zone.unwrap_or_default())
            }
            None => iso,
        };
        if let Some(t) = norm_time(&full) {
            facts.add("captured_at", t, "iptc:DateCreated");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ds(set: u8, v: &str) -> Vec<u8> {
        let mut o = vec![0x1c, 2, set];
        o.extend_from_slice(&(v.len() as u16).to_be_bytes());
        o.extend_from_slice(v.as_bytes());
        o
    }

    pub(crate) fn jpeg_with_iim(iim: &[u8]) -> Vec<u8> {
        let mut res = b"8BIM\x04\x04\0\0".to_vec();
        res.extend_from_slice(&(iim.len() as u32).to_be_bytes());
        res.extend_from_slice(iim);
        if iim.len() % 2 == 1 {
            res.push(0);
        }
        let mut seg = b"Photoshop 3.0\0".to_vec();
        seg.extend_from_slice(&res);
        let mut out = vec![0xff, 0xd8, 0xff, 0xed];
        out.extend_from_slice(&((seg.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&seg);
        out.extend_from_slice(&[0xff, 0xda, 0, 2]);
        out
    }

    #[test]
    fn wire_photo_fields() {
        let iim = [
            ds(80, "Ana Reporter"),
            ds(110, "Harbour Wire"),
            ds(25, "police"),
            ds(25, "barrier"),
            ds(55, "20260314"),
            ds(60, "130203+0100"),
            ds(120, "Officers lift a barrier."),
        ]
        .concat();
        let mut f = MediaFacts::default();
        iptc_facts(&jpeg_with_iim(&iim), &mut f);
        let got: Vec<(&str, &str, &str)> =
            f.facts.iter().map(|x| (x.field.as_str(), x.value.as_str(), x.source.as_str())).collect();
        assert_eq!(
            got,
            [
                ("byline", "Ana Reporter", "iptc:By-line"),
                ("credit", "Harbour Wire", "iptc:Credit"),
                ("keywords", "police", "iptc:Keywords"),
                ("keywords", "barrier", "iptc:Keywords"),
                ("caption", "Officers lift a barrier.", "iptc:Caption-Abstract"),
                ("captured_at", "2026-03-14T13:02:03+01:00", "iptc:DateCreated"),
            ]
        );
    }

    proptest! {
        #[test]
        fn never_panics(iim in prop::collection::vec(any::<u8>(), 0..600), raw in prop::collection::vec(any::<u8>(), 0..600)) {
            let mut f = MediaFacts::default();
            iptc_facts(&jpeg_with_iim(&iim), &mut f);
            let mut j = vec![0xff, 0xd8];
            j.extend_from_slice(&raw);
            iptc_facts(&j, &mut f);
            let _ = resource_0404(&raw);
        }
    }
}
