//! Facts with sources: every value a parser reads is kept with the container
//! and tag it came from (`exif:DateTimeOriginal`, `xmp:CreateDate`,
//! `quicktime:mdta:com.apple.quicktime.creationdate`, `heif:ispe`, ...). The
//! chosen value of each field (the `file` row's column) is the one from the
//! most trusted source; the others are kept, and [`disagreements`] names the
//! fields whose sources say different things (a sign of editing).

use serde::{Deserialize, Serialize};

/// One thing a file says about itself, and where it says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// The field it informs: a `file` column (`captured_at`, `make`, `gps_lat`,
    /// ...) or a descriptive one (`byline`, `keywords`, `history`, ...).
    pub field: String,
    /// Text as read (numbers in decimal, times in RFC 3339 with the offset
    /// the file gives, or without one when it gives none).
    pub value: String,
    /// Container and tag, e.g. `exif:OffsetTimeOriginal`.
    pub source: String,
}

/// How much a source is trusted for its field; lower wins. Structure the
/// decoder relies on (image headers, `ispe`, track headers) beats metadata,
/// the camera's own EXIF beats container tags, which beat XMP (an editor's
/// restatement) and IPTC; muxer times (`mvhd`, `mdhd`) come last because
/// re-encoders rewrite them.
pub fn rank(field: &str, source: &str) -> u8 {
    let family = source.split(':').next().unwrap_or("");
    match (field, family) {
        (_, "image" | "heif" | "track" | "avih" | "strh") => 0,
        ("captured_at", "exif") if source == "exif:DateTime" => 6,
        (_, "exif") => 1,
        ("captured_at", "quicktime") if source.starts_with("quicktime:mvhd") => 7,
        (_, "quicktime" | "matroska" | "riff") => 2,
        (_, "xmp") => 3,
        (_, "iptc") => 4,
        _ => 5,
    }
}

/// Collects facts while the parsers run.
#[derive(Debug, Default, Clone)]
pub struct Facts(pub Vec<Fact>);

impl Facts {
    /// Record `value` (trimmed; empty values are not facts).
    pub fn add(&mut self, field: &str, value: impl Into<String>, source: &str) {
        let value: String = value.into();
        let value = value.trim_matches(|c: char| c == '\0' || c.is_whitespace());
        if value.is_empty() || self.0.iter().any(|f| f.field == field && f.source == source && f.value == value) {
            return;
        }
        self.0.push(Fact { field: field.to_string(), value: value.to_string(), source: source.to_string() });
    }

    /// The chosen value of `field`: the best-ranked source, first read on ties.
    pub fn best(&self, field: &str) -> Option<&str> {
        best_of(&self.0, field)
    }
}

/// See [`Facts::best`].
pub fn best_of<'a>(facts: &'a [Fact], field: &str) -> Option<&'a str> {
    facts
        .iter()
        .enumerate()
        .filter(|(_, f)| f.field == field)
        .min_by_key(|(i, f)| (rank(field, &f.source), *i))
        .map(|(_, f)| f.value.as_str())
}

/// A field whose sources disagree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disagreement {
    pub field: String,
    /// Each distinct value with the sources that give it.
    pub values: Vec<(String, Vec<String>)>,
}

/// Fields compared across sources. Others (software, keywords, history,
/// byline, ...) legitimately differ between a camera and an editor.
const COMPARED: &[&str] = &["captured_at", "make", "model", "lens", "gps_lat", "gps_lon", "gps_alt"];

/// The fields whose sources disagree beyond representation: times compared
/// to the second, and a zoneless time against a zoned one only up to a whole
/// zone offset (EXIF without OffsetTime vs a UTC container time is a missing
/// zone, not an edit); coordinates within 0.0001° (about 11 m), altitude
/// within 1 m; text case-insensitively.
pub fn disagreements(facts: &[Fact]) -> Vec<Disagreement> {
    let mut out = Vec::new();
    for field in COMPARED {
        let of: Vec<&Fact> = facts.iter().filter(|f| f.field == *field).collect();
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for f in &of {
            match groups.iter_mut().find(|(v, _)| same(field, v, &f.value)) {
                Some((_, srcs)) => srcs.push(f.source.clone()),
                None => groups.push((f.value.clone(), vec![f.source.clone()])),
            }
        }
        // Transitivity is not guaranteed (a zoneless time may match two zoned
        // ones that differ): only flag when some pair of groups truly differs.
        if groups.len() > 1 {
            out.push(Disagreement { field: field.to_string(), values: groups });
        }
    }
    out
}

fn same(field: &str, a: &str, b: &str) -> bool {
    match field {
        "captured_at" => same_time(a, b),
        "gps_lat" | "gps_lon" => num_close(a, b, 1e-4),
        "gps_alt" => num_close(a, b, 1.0),
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}

fn num_close(a: &str, b: &str, tol: f64) -> bool {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= tol,
        _ => a == b,
    }
}

/// Normalise a time as containers write it (RFC 3339, ISO 8601 with a
/// `+hhmm` offset, EXIF-style `YYYY:MM:DD HH:MM:SS`, with or without
/// fractional seconds) to RFC 3339 text to the second, keeping the offset
/// when there is one and leaving it out when there is none. A bare date stays
/// a date. `None` for anything else (including all-zero dates).
pub fn norm_time(s: &str) -> Option<String> {
    let s = s.trim().trim_end_matches('\0');
    let ymd = s.get(..10)?.replace(':', "-");
    let rest = s.get(10..).unwrap_or("");
    let s = format!("{ymd}{}", rest.replacen(' ', "T", 1));
    let zoned = ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%M%z"];
    let fixed = s.strip_suffix('Z').map(|b| format!("{b}+00:00")).unwrap_or_else(|| s.clone());
    for fmt in zoned {
        if let Ok(t) = chrono::DateTime::parse_from_str(&fixed, fmt) {
            let text = t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
            return Some(if s.ends_with('Z') { text.replace("+00:00", "Z") } else { text });
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&s, fmt) {
            return Some(t.format("%Y-%m-%dT%H:%M:%S").to_string());
        }
    }
    chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok().map(|d| d.format("%Y-%m-%d").to_string())
}

/// A time as (local wall clock, offset in seconds if known).
pub fn parse_time(s: &str) -> Option<(chrono::NaiveDateTime, Option<i32>)> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some((t.naive_local(), Some(t.offset().local_minus_utc())));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some((t, None));
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| (t, None))
}

fn same_time(a: &str, b: &str) -> bool {
    let (Some((la, oa)), Some((lb, ob))) = (parse_time(a), parse_time(b)) else {
        return a == b;
    };
    // Date-only values (photoshop:DateCreated, IPTC without a time) agree with
    // any time on the same day.
    let date_only = |s: &str| s.trim().len() == 10;
    if date_only(a) || date_only(b) {
        return la.date() == lb.date();
    }
    let secs = |t: chrono::NaiveDateTime| t.and_utc().timestamp();
    match (oa, ob) {
        (Some(x), Some(y)) => secs(la) - i64::from(x) == secs(lb) - i64::from(y),
        (None, None) => secs(la) == secs(lb),
        // One side has no zone: equal wall clocks, or a difference that is a
        // plausible zone offset (whole quarter hours, at most 14 h) when the
        // zoned side is UTC.
        (Some(o), None) | (None, Some(o)) => {
            let d = secs(la) - secs(lb);
            d == 0 || (o == 0 && d.abs() <= 14 * 3600 && d % 900 == 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(field: &str, value: &str, source: &str) -> Fact {
        Fact { field: field.into(), value: value.into(), source: source.into() }
    }

    #[test]
    fn best_prefers_camera_exif_over_xmp_and_muxer_times() {
        let mut fs = Facts::default();
        fs.add("captured_at", "2026-03-14T12:00:00Z", "quicktime:mvhd:CreationTime");
        fs.add("captured_at", "2026-03-14T13:00:00+01:00", "xmp:CreateDate");
        assert_eq!(fs.best("captured_at"), Some("2026-03-14T13:00:00+01:00"));
        fs.add("captured_at", "2026-03-14T13:00:00", "exif:DateTimeOriginal");
        assert_eq!(fs.best("captured_at"), Some("2026-03-14T13:00:00"));
        fs.add("captured_at", "  ", "exif:Other");
        assert_eq!(fs.0.len(), 3, "blank values are not facts");
    }

    #[test]
    fn zone_differences_are_not_disagreements() {
        let facts = vec![
            f("captured_at", "2026-03-14T13:02:03", "exif:DateTimeOriginal"),
            f("captured_at", "2026-03-14T13:02:03+01:00", "xmp:DateTimeOriginal"),
            f("captured_at", "2026-03-14T12:02:03Z", "quicktime:mvhd:CreationTime"),
            f("captured_at", "2026-03-14", "xmp:photoshop:DateCreated"),
            f("gps_lat", "51.5", "exif:GPSLatitude"),
            f("gps_lat", "51.50001", "xmp:GPSLatitude"),
        ];
        assert_eq!(disagreements(&facts), vec![]);
    }

    #[test]
    fn edited_time_and_moved_gps_are_flagged() {
        let facts = vec![
            f("captured_at", "2026-03-14T13:02:03+01:00", "exif:DateTimeOriginal"),
            f("captured_at", "2026-03-15T09:00:00+01:00", "xmp:CreateDate"),
            f("gps_lon", "-0.25", "exif:GPSLongitude"),
            f("gps_lon", "-0.35", "xmp:GPSLongitude"),
            f("make", "Apple", "exif:Make"),
            f("make", "APPLE", "quicktime:mdta:com.apple.quicktime.make"),
        ];
        let d = disagreements(&facts);
        let fields: Vec<&str> = d.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["captured_at", "gps_lon"]);
        assert_eq!(d[0].values[1], ("2026-03-15T09:00:00+01:00".into(), vec!["xmp:CreateDate".to_string()]));
    }

    #[test]
    fn normalised_times() {
        assert_eq!(norm_time("2026-03-14T13:02:03+0100").as_deref(), Some("2026-03-14T13:02:03+01:00"));
        assert_eq!(norm_time("2026-03-14T13:02:03.250-05:00").as_deref(), Some("2026-03-14T13:02:03-05:00"));
        assert_eq!(norm_time("2026-03-14T12:02:03Z").as_deref(), Some("2026-03-14T12:02:03Z"));
        assert_eq!(norm_time("2026:03:14 13:02:03").as_deref(), Some("2026-03-14T13:02:03"));
        assert_eq!(norm_time("2026-03-14T13:02").as_deref(), Some("2026-03-14T13:02:00"));
        assert_eq!(norm_time("2026-03-14").as_deref(), Some("2026-03-14"));
        assert_eq!(norm_time("0000:00:00 00:00:00"), None);
        assert_eq!(norm_time("2026"), None);
        assert_eq!(norm_time("é"), None);
    }

    #[test]
    fn time_forms() {
        assert!(parse_time("2026-03-14T13:02:03.5+01:00").is_some());
        assert_eq!(parse_time("2026-03-14T13:02:03").map(|t| t.1), Some(None));
        assert!(parse_time("yesterday").is_none());
        assert!(!same_time("2026-03-14T13:02:03", "2026-03-14T13:02:04Z"));
    }
}
