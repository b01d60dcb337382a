//! EXIF, through kamadak-exif: camera, capture time (with its offset), GPS,
//! orientation, software. Reads a bounded prefix of the file.

use std::io::{self, Cursor, Read, Seek};

use super::{guarded, MediaFacts};

/// Prefix read when looking for EXIF (JPEG APP1 sits in the first segments).
const EXIF_SCAN_LEN: u64 = 4 << 20;
/// First, cheaper attempt at the EXIF prefix.
const EXIF_FIRST_TRY: u64 = 256 << 10;

pub(super) fn exif_facts<R: Read + Seek>(r: &mut R, size: u64, facts: &mut MediaFacts) -> io::Result<()> {
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
