//! QuickTime / MP4 metadata that mp4parse does not expose, read from the
//! (bounded, in-memory) `moov` payload: Apple `mdta` keys
//! (`com.apple.quicktime.creationdate`, `location.ISO6709`, `make`, `model`,
//! `software`), iTunes-style `ilst` items, `udta` strings (`©xyz`, `©mak`,
//! `©mod`, `©swr`, `©day`), XMP in `udta/XMP_`, and per video track the
//! display rotation (`tkhd` matrix) and frame rate (`mdhd` + `stts`).

use super::facts::norm_time;
use super::isobmff::{boxes, child};
use super::{dec, xmp, MediaFacts};

/// `stts` entries summed for the frame rate (a hostile table may be huge).
const MAX_STTS: usize = 1 << 20;

pub(super) fn moov_metadata(moov: &[u8], facts: &mut MediaFacts) {
    for (name, trak) in boxes(moov) {
        if &name == b"trak" && handler(trak) == Some(*b"vide") {
            track_facts(trak, facts);
            break;
        }
    }
    if let Some(meta) = child(moov, b"meta") {
        meta_items(meta, "quicktime", facts);
    }
    if let Some(udta) = child(moov, b"udta") {
        udta_facts(udta, facts);
    }
}

fn handler(trak: &[u8]) -> Option<[u8; 4]> {
    let hdlr = child(child(trak, b"mdia")?, b"hdlr")?;
    hdlr.get(8..12)?.try_into().ok()
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn track_facts(trak: &[u8], facts: &mut MediaFacts) {
    if let Some(tkhd) = child(trak, b"tkhd") {
        // The matrix follows the version-dependent times and duration.
        let m = if tkhd.first() == Some(&1) { 4 + 8 + 8 + 4 + 4 + 8 + 8 + 8 } else { 4 + 4 + 4 + 4 + 4 + 4 + 8 + 8 };
        if let (Some(a), Some(b)) = (be32(tkhd, m), be32(tkhd, m + 4)) {
            let (a, b) = (f64::from(a as i32), f64::from(b as i32));
            if a != 0.0 || b != 0.0 {
                let deg = b.atan2(a).to_degrees().round() as i64;
                facts.add("rotation", deg.rem_euclid(360).to_string(), "track:tkhd");
            }
        }
    }
    let Some(mdia) = child(trak, b"mdia") else { return };
    let timescale = child(mdia, b"mdhd").and_then(|m| if m.first() == Some(&1) { be32(m, 20) } else { be32(m, 12) });
    let stts = child(mdia, b"minf").and_then(|m| child(m, b"stbl")).and_then(|s| child(s, b"stts"));
    if let (Some(scale), Some(stts)) = (timescale.filter(|&s| s > 0), stts) {
        let n = be32(stts, 4).unwrap_or(0) as usize;
        let (mut frames, mut ticks) = (0u64, 0u64);
        for i in 0..n.min(MAX_STTS) {
            let (Some(c), Some(d)) = (be32(stts, 8 + i * 8), be32(stts, 12 + i * 8)) else { break };
            frames += u64::from(c);
            ticks += u64::from(c) * u64::from(d);
        }
        if frames > 0 && ticks > 0 {
            let fps = frames as f64 * f64::from(scale) / ticks as f64;
            facts.add("frame_rate", dec((fps * 1000.0).round() / 1000.0), "track:stts");
        }
    }
}

/// `meta` (a full box) holding `hdlr`, optionally `keys`, and `ilst`.
pub(super) fn meta_items(meta: &[u8], family: &str, facts: &mut MediaFacts) {
    // QuickTime's moov/meta is a plain box, MP4's udta/meta a full box.
    let body = if child(meta, b"hdlr").is_some() { meta } else { meta.get(4..).unwrap_or_default() };
    let keys: Vec<String> = child(body, b"keys")
        .map(|k| {
            boxes(k.get(8..).unwrap_or_default())
                .into_iter()
                .map(|(_, key)| String::from_utf8_lossy(key).into_owned())
                .collect()
        })
        .unwrap_or_default();
    let Some(ilst) = child(body, b"ilst") else { return };
    for (name, item) in boxes(ilst) {
        let Some(value) = child(item, b"data").and_then(data_text) else { continue };
        let index = u32::from_be_bytes(name) as usize;
        if !keys.is_empty() && index >= 1 && index <= keys.len() {
            let key = &keys[index - 1];
            apple_key(key, &value, &format!("{family}:mdta:{key}"), facts);
        } else {
            let tag = String::from_utf8_lossy(&name.map(|c| if c == 0xa9 { b'@' } else { c })).replace('@', "©");
            four_cc(&name, &value, &format!("{family}:ilst:{tag}"), facts);
        }
    }
}

/// The text of a `data` box (type indicator, locale, value); numbers as decimal.
fn data_text(d: &[u8]) -> Option<String> {
    let kind = be32(d, 0)? & 0x00ff_ffff;
    let v = d.get(8..)?;
    match kind {
        1 => Some(String::from_utf8_lossy(v).into_owned()),
        21 | 22 if !v.is_empty() && v.len() <= 8 => {
            let mut n = v.iter().fold(0i64, |a, &b| (a << 8) | i64::from(b));
            if kind == 21 && v[0] & 0x80 != 0 && v.len() < 8 {
                n -= 1i64 << (8 * v.len());
            }
            Some(n.to_string())
        }
        _ => None,
    }
}

fn apple_key(key: &str, value: &str, source: &str, facts: &mut MediaFacts) {
    match key.strip_prefix("com.apple.quicktime.").unwrap_or(key) {
        "creationdate" => match norm_time(value) {
            Some(t) => facts.add("captured_at", t, source),
            None => facts.warnings.push(format!("QuickTime: unreadable {key} {value:?}")),
        },
        "location.ISO6709" => location(value, source, facts),
        "make" => facts.add("make", value, source),
        "model" => facts.add("model", value, source),
        "software" => facts.add("software", value, source),
        "camera.lens_model" => facts.add("lens", value, source),
        _ => {}
    }
}

fn four_cc(name: &[u8; 4], value: &str, source: &str, facts: &mut MediaFacts) {
    match name {
        b"\xa9xyz" => location(value, source, facts),
        b"\xa9mak" => facts.add("make", value, source),
        b"\xa9mod" => facts.add("model", value, source),
        b"\xa9swr" | b"\xa9too" => facts.add("software", value, source),
        b"\xa9day" => {
            if let Some(t) = norm_time(value) {
                facts.add("captured_at", t, source);
            }
        }
        b"\xa9nam" => facts.add("title", value, source),
        b"\xa9cmt" => facts.add("comment", value, source),
        _ => {}
    }
}

fn udta_facts(udta: &[u8], facts: &mut MediaFacts) {
    for (name, p) in boxes(udta) {
        match &name {
            b"meta" => meta_items(p, "quicktime", facts),
            b"XMP_" => xmp::xmp_facts(p, facts),
            b"loci" => loci(p, facts),
            n if n[0] == 0xa9 => {
                // QuickTime international text: length, language, then the bytes;
                // some writers put an iTunes `data` box here instead.
                let text = match (p.get(0..2), child(p, b"data")) {
                    (_, Some(d)) => data_text(d),
                    (Some(l), None) => {
                        let len = usize::from(u16::from_be_bytes([l[0], l[1]]));
                        p.get(4..4 + len).map(|s| String::from_utf8_lossy(s).into_owned())
                    }
                    _ => None,
                };
                let tag = String::from_utf8_lossy(&n[1..]).into_owned();
                if let Some(t) = text {
                    four_cc(n, &t, &format!("quicktime:udta:©{tag}"), facts);
                }
            }
            _ => {}
        }
    }
}

/// 3GPP `loci` (TS 26.244), which ffmpeg's MP4 muxer writes for `location`:
/// version/flags, language, name (NUL-terminated), role, then longitude,
/// latitude and altitude as signed 16.16 fixed point.
fn loci(p: &[u8], facts: &mut MediaFacts) {
    let Some(name_end) = p.get(6..).and_then(|n| n.iter().position(|&b| b == 0)) else { return };
    let at = 6 + name_end + 1 + 1;
    let fixed = |o: usize| be32(p, at + o).map(|v| f64::from(v as i32) / 65536.0);
    let (Some(lon), Some(lat)) = (fixed(0), fixed(4)) else { return };
    if lat.abs() > 90.0 || lon.abs() > 180.0 {
        facts.warnings.push(format!("3GPP loci: position out of range ({lat}, {lon})"));
        return;
    }
    facts.add("gps_lat", dec(lat), "quicktime:udta:loci");
    facts.add("gps_lon", dec(lon), "quicktime:udta:loci");
    if let Some(alt) = fixed(8) {
        facts.add("gps_alt", dec(alt), "quicktime:udta:loci");
    }
}

/// An ISO 6709 point (`+51.5074-000.1278+011.000/`, also the DDMM and DDMMSS
/// forms) as (lat, lon, altitude).
pub(super) fn iso6709(s: &str) -> Option<(f64, f64, Option<f64>)> {
    let s = s.trim().trim_end_matches('/');
    let s = s.split("CRS").next()?;
    let starts: Vec<usize> = s.char_indices().filter(|(_, c)| *c == '+' || *c == '-').map(|(i, _)| i).collect();
    if starts.len() < 2 || starts[0] != 0 {
        return None;
    }
    let part = |k: usize| s.get(starts[k]..*starts.get(k + 1).unwrap_or(&s.len()));
    let angle = |t: &str, deg_digits: usize| -> Option<f64> {
        let (sign, body) = (if t.starts_with('-') { -1.0 } else { 1.0 }, t.get(1..)?);
        let int_len = body.find('.').unwrap_or(body.len());
        let v: f64 = body.parse().ok()?;
        let deg = match int_len.checked_sub(deg_digits)? {
            0 => v,
            2 => (v / 100.0).trunc() + (v % 100.0) / 60.0,
            4 => (v / 10000.0).trunc() + ((v / 100.0).trunc() % 100.0) / 60.0 + (v % 100.0) / 3600.0,
            _ => return None,
        };
        Some(sign * deg)
    };
    let lat = angle(part(0)?, 2).filter(|v| v.abs() <= 90.0)?;
    let lon = angle(part(1)?, 3).filter(|v| v.abs() <= 180.0)?;
    let alt = starts.get(2).and_then(|_| part(2)?.parse::<f64>().ok()).filter(|a| a.is_finite());
    Some((lat, lon, alt))
}

fn location(value: &str, source: &str, facts: &mut MediaFacts) {
    match iso6709(value) {
        Some((lat, lon, alt)) => {
            facts.add("gps_lat", dec(lat), source);
            facts.add("gps_lon", dec(lon), source);
            if let Some(a) = alt {
                facts.add("gps_alt", dec(a), source);
            }
        }
        None => facts.warnings.push(format!("QuickTime: unreadable location {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn iso6709_forms() {
        assert_eq!(iso6709("+51.5000-000.2500+010.000/"), Some((51.5, -0.25, Some(10.0))));
        assert_eq!(iso6709("+40.7484-073.9857/"), Some((40.7484, -73.9857, None)));
        let (lat, lon, _) = iso6709("+4030-07400/").unwrap();
        assert!((lat - 40.5).abs() < 1e-9 && (lon + 74.0).abs() < 1e-9);
        let (lat, _, _) = iso6709("+403000-0740000/").unwrap();
        assert!((lat - 40.5).abs() < 1e-9);
        assert_eq!(iso6709("junk"), None);
        assert_eq!(iso6709("+95.0+010.0/"), None);
    }

    #[test]
    fn loci_as_ffmpeg_writes_it() {
        let mut p = vec![0, 0, 0, 0, 0, 0, 0, 0];
        p.extend_from_slice(&[0xff, 0xff, 0xc0, 0x00, 0x00, 0x33, 0x80, 0x00, 0, 0, 0, 0]);
        p.extend_from_slice(b"earth\0\0");
        let mut f = MediaFacts::default();
        loci(&p, &mut f);
        f.choose();
        assert_eq!((f.gps_lat, f.gps_lon, f.gps_alt), (Some(51.5), Some(-0.25), Some(0.0)));
    }

    #[test]
    fn data_box_values() {
        assert_eq!(data_text(&[0, 0, 0, 1, 0, 0, 0, 0, b'h', b'i']).as_deref(), Some("hi"));
        assert_eq!(data_text(&[0, 0, 0, 21, 0, 0, 0, 0, 0xff]).as_deref(), Some("-1"));
        assert_eq!(data_text(&[0, 0, 0, 22, 0, 0, 0, 0, 1, 0]).as_deref(), Some("256"));
    }

    proptest! {
        #[test]
        fn metadata_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..1024), s in ".{0,40}") {
            let mut f = MediaFacts::default();
            moov_metadata(&bytes, &mut f);
            meta_items(&bytes, "quicktime", &mut f);
            udta_facts(&bytes, &mut f);
            let _ = iso6709(&s);
        }
    }
}
