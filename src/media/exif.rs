//! EXIF, through kamadak-exif: camera, lens, capture time (with its offset),
//! GPS (position, altitude, direction), orientation, software. Reads a
//! bounded prefix of the file.

use std::io::{self, Cursor, Read, Seek};

use super::{dec, guarded, MediaFacts};

/// Prefix read when looking for EXIF (JPEG APP1 sits in the first segments).
const EXIF_SCAN_LEN: u64 = 4 << 20;
/// First, cheaper attempt at the EXIF prefix.
const EXIF_FIRST_TRY: u64 = 256 << 10;

/// Returns the prefix it read, for the other metadata readers.
pub(super) fn exif_facts<R: Read + Seek>(r: &mut R, size: u64, facts: &mut MediaFacts) -> io::Result<Vec<u8>> {
    // Most files keep EXIF in their first kilobytes (JPEG APP1 precedes the
    // image data): try a small prefix, and a larger one only if it ran out.
    let mut prefix = Vec::new();
    (&mut *r).take(EXIF_FIRST_TRY.min(size)).read_to_end(&mut prefix)?;
    let read = |p: &[u8]| guarded(|| reader().read_from_container(&mut Cursor::new(p)));
    let mut parsed = read(&prefix);
    // A JPEG that reached its image data without APP1 has no EXIF; any other
    // failure on a cut prefix may just be the cut.
    let jpeg_without_exif = prefix.starts_with(&[0xff, 0xd8]) && matches!(parsed, Ok(Err(exif::Error::NotFound(_))));
    if matches!(parsed, Ok(Err(_))) && !jpeg_without_exif && size > EXIF_FIRST_TRY {
        r.take(EXIF_SCAN_LEN.min(size) - EXIF_FIRST_TRY).read_to_end(&mut prefix)?;
        parsed = read(&prefix);
    }
    accept(parsed, facts);
    Ok(prefix)
}

/// EXIF from a bare TIFF structure (a HEIF `Exif` item, a PNG `eXIf` chunk).
pub(super) fn from_tiff(tiff: &[u8], facts: &mut MediaFacts) {
    let parsed = guarded(|| reader().read_raw(tiff.to_vec()));
    accept(parsed, facts);
}

/// Tolerant reading: older cameras and consoles write layouts kamadak-exif
/// rejects as a whole in strict mode (an entry pointing past the block, a GPS
/// IFD with a next-IFD link, a cut thumbnail IFD) while the tags that matter
/// are intact; exiftool reads those, so we keep what parses and warn.
fn reader() -> exif::Reader {
    let mut r = exif::Reader::new();
    r.continue_on_error(true);
    r
}

fn accept(parsed: Result<Result<exif::Exif, exif::Error>, String>, facts: &mut MediaFacts) {
    let mut ignored = Vec::new();
    let ex = match parsed {
        Ok(Ok(ex)) => ex,
        // "No Exif data found" is the normal case for stripped files.
        Ok(Err(exif::Error::NotFound(_))) => return,
        Ok(Err(e)) => match e.distill_partial_result(|errs| ignored = errs) {
            Ok(ex) => ex,
            Err(e) => {
                facts.warnings.push(format!("EXIF: {e}"));
                return;
            }
        },
        Err(e) => {
            facts.warnings.push(format!("EXIF: {e}"));
            return;
        }
    };
    if let Some(e) = ignored.first() {
        facts
            .warnings
            .push(format!("EXIF: partly unreadable ({} problem(s), first: {e}); kept the rest", ignored.len()));
    }
    facts.has_exif = true;
    read_fields(&ex, facts);
}

fn read_fields(ex: &exif::Exif, facts: &mut MediaFacts) {
    use exif::{In, Tag};
    let ascii = |tag: Tag| -> Option<String> {
        match &ex.get_field(tag, In::PRIMARY)?.value {
            exif::Value::Ascii(parts) => {
                let s = String::from_utf8_lossy(parts.first()?)
                    .trim_matches(|c: char| c == '\0' || c.is_whitespace())
                    .to_string();
                (!s.is_empty()).then_some(s)
            }
            _ => None,
        }
    };
    let uint = |tag: Tag| ex.get_field(tag, In::PRIMARY).and_then(|f| f.value.get_uint(0));
    let rational = |tag: Tag| -> Option<f64> {
        match &ex.get_field(tag, In::PRIMARY)?.value {
            exif::Value::Rational(v) => v.first().map(|r| r.to_f64()).filter(|x| x.is_finite()),
            exif::Value::SRational(v) => v.first().map(|r| r.to_f64()).filter(|x| x.is_finite()),
            _ => None,
        }
    };
    for (field, tag, source) in [
        ("make", Tag::Make, "exif:Make"),
        ("model", Tag::Model, "exif:Model"),
        ("software", Tag::Software, "exif:Software"),
        ("lens", Tag::LensModel, "exif:LensModel"),
    ] {
        if let Some(v) = ascii(tag) {
            facts.add(field, v, source);
        }
    }
    if let Some(o) = uint(Tag::Orientation).filter(|o| (1..=8).contains(o)) {
        facts.add("orientation", o.to_string(), "exif:Orientation");
    }
    for (field, tag, source) in [
        ("width", Tag::PixelXDimension, "exif:ExifImageWidth"),
        ("height", Tag::PixelYDimension, "exif:ExifImageHeight"),
    ] {
        if let Some(v) = uint(tag).filter(|&v| v > 0) {
            facts.add(field, v.to_string(), source);
        }
    }
    for (field, tag, offset_tag, source) in [
        ("captured_at", Tag::DateTimeOriginal, Tag::OffsetTimeOriginal, "exif:DateTimeOriginal"),
        ("captured_at", Tag::DateTimeDigitized, Tag::OffsetTimeDigitized, "exif:CreateDate"),
        ("modified_at", Tag::DateTime, Tag::OffsetTime, "exif:ModifyDate"),
    ] {
        let Some(t) = ascii(tag) else { continue };
        match exif_time(&t, ascii(offset_tag).as_deref()) {
            Some(ts) => facts.add(field, ts, source),
            None => facts.warnings.push(format!("EXIF: unreadable {} {t:?}", &source[5..])),
        }
    }
    let coord = |val: Tag, reference: Tag, neg: &str| -> Option<f64> {
        let f = ex.get_field(val, In::PRIMARY)?;
        let deg = match &f.value {
            exif::Value::Rational(v) if v.len() >= 3 => v[0].to_f64() + v[1].to_f64() / 60.0 + v[2].to_f64() / 3600.0,
            // Some writers give decimal degrees as one rational.
            exif::Value::Rational(v) if v.len() == 1 => v[0].to_f64(),
            _ => return None,
        };
        if !deg.is_finite() {
            return None;
        }
        let sign = match ascii(reference) {
            Some(r) if r.eq_ignore_ascii_case(neg) => -1.0,
            _ => 1.0,
        };
        Some(sign * deg)
    };
    if let Some(v) = coord(Tag::GPSLatitude, Tag::GPSLatitudeRef, "S").filter(|v| v.abs() <= 90.0) {
        facts.add("gps_lat", dec(v), "exif:GPSLatitude");
    }
    if let Some(v) = coord(Tag::GPSLongitude, Tag::GPSLongitudeRef, "W").filter(|v| v.abs() <= 180.0) {
        facts.add("gps_lon", dec(v), "exif:GPSLongitude");
    }
    if let Some(alt) = rational(Tag::GPSAltitude) {
        // GPSAltitudeRef 1 means below sea level.
        let below = uint(Tag::GPSAltitudeRef) == Some(1);
        facts.add("gps_alt", dec(if below { -alt } else { alt }), "exif:GPSAltitude");
    }
    if let Some(d) = rational(Tag::GPSImgDirection).filter(|d| (0.0..=360.0).contains(d)) {
        facts.add("gps_direction", dec(d), "exif:GPSImgDirection");
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_time_forms() {
        assert_eq!(exif_time("2026:03:14 13:02:03", Some("+01:00")).as_deref(), Some("2026-03-14T13:02:03+01:00"));
        assert_eq!(exif_time("2026:03:14 13:02:03", Some("junk")).as_deref(), Some("2026-03-14T13:02:03"));
        assert_eq!(exif_time("0000:00:00 00:00:00", None), None);
    }
}
