//! Parsing user-supplied times at the edge, into the one stored form.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

use crate::error::{Error, Result};

/// Normalise a user-supplied timestamp to RFC 3339 UTC (`2021-01-06T19:40:00Z`).
///
/// Accepts RFC 3339 with any offset, `YYYY-MM-DD HH:MM[:SS]` (taken as UTC) and a
/// bare date `YYYY-MM-DD`, which is kept as a date: inventing a midnight would
/// claim a precision the source never had.
pub fn normalize_timestamp(what: &'static str, input: &str) -> Result<String> {
    let s = input.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(dt.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::AutoSi, true));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(n.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.format("%Y-%m-%d").to_string());
    }
    Err(Error::invalid(
        what,
        input,
        "expected RFC 3339 (2021-01-06T19:40:00Z), 'YYYY-MM-DD HH:MM[:SS]' (UTC) or YYYY-MM-DD",
    ))
}

/// Parse a clip time `HH:MM:SS(.mmm)`, `MM:SS(.mmm)` or seconds `SS(.mmm)` into milliseconds.
pub fn parse_clock_ms(input: &str) -> Option<u64> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let parts: Vec<&str> = whole.split(':').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let mut secs: u64 = 0;
    for (i, p) in parts.iter().enumerate() {
        let v: u64 = p.parse().ok()?;
        if i > 0 && v >= 60 {
            return None;
        }
        secs = secs.checked_mul(60)?.checked_add(v)?;
    }
    let mut ms = secs.checked_mul(1000)?;
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 3 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let padded = format!("{f:0<3}");
        ms = ms.checked_add(padded.parse::<u64>().ok()?)?;
    }
    Some(ms)
}

/// Format milliseconds as `MM:SS.mmm` or `H:MM:SS.mmm`.
pub fn format_clock_ms(ms: u64) -> String {
    let (h, rem) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rem) = (rem / 60_000, rem % 60_000);
    let (s, milli) = (rem / 1000, rem % 1000);
    let frac = if milli == 0 { String::new() } else { format!(".{milli:03}") };
    if h > 0 {
        format!("{h}:{m:02}:{s:02}{frac}")
    } else {
        format!("{m:02}:{s:02}{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(normalize_timestamp("t", "2021-01-06T14:40:00-05:00").unwrap(), "2021-01-06T19:40:00Z");
        assert_eq!(normalize_timestamp("t", "2021-01-06 19:40").unwrap(), "2021-01-06T19:40:00Z");
        assert_eq!(normalize_timestamp("t", "2021-01-06").unwrap(), "2021-01-06");
        assert!(normalize_timestamp("t", "yesterday").is_err());
        assert!(normalize_timestamp("t", "2021-13-01").is_err());
    }

    #[test]
    fn clock() {
        assert_eq!(parse_clock_ms("00:12"), Some(12_000));
        assert_eq!(parse_clock_ms("1:02:03.5"), Some(3_723_500));
        assert_eq!(parse_clock_ms("12.25"), Some(12_250));
        assert_eq!(parse_clock_ms("00:61"), None);
        assert_eq!(parse_clock_ms("a:00"), None);
        assert_eq!(parse_clock_ms(""), None);
        assert_eq!(format_clock_ms(12_000), "00:12");
        assert_eq!(format_clock_ms(3_723_500), "1:02:03.500");
    }
}
