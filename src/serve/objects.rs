//! `/objects/SHA256`: stored bytes, found only by their hash (never by a
//! path), with the media type recorded at `add`, `Content-Disposition`, and
//! single-range requests (what a `<video>` element asks for when seeking).

use std::io::{Read, Seek, SeekFrom};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{pages, WebResult};
use crate::error::Error;
use crate::hash::Sha256;

/// Largest slice read into memory for one response; a player asks again for
/// the rest (206 with the true range), so big files never load whole.
const MAX_CHUNK: u64 = 8 << 20;

/// Parse `bytes=A-B`, `bytes=A-` or `bytes=-N` against a length. None: not
/// satisfiable (or a multi-range request, which we do not serve).
fn parse_range(v: &str, len: u64) -> Option<(u64, u64)> {
    let spec = v.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (len.saturating_sub(n), len - 1)
        }
        (a, "") => (a.parse().ok()?, len - 1),
        (a, b) => (a.parse().ok()?, b.parse::<u64>().ok()?.min(len - 1)),
    };
    (start <= end && start < len).then_some((start, end))
}

pub(crate) async fn object(
    State(state): State<super::State>,
    Path(sha): Path<String>,
    headers: HeaderMap,
) -> WebResult<Response> {
    let Ok(sha) = sha.parse::<Sha256>() else {
        return Ok(pages::message(StatusCode::NOT_FOUND, "Not found", "Objects are addressed by their full SHA-256."));
    };
    let (path, media_type, name) = {
        let cat = state.catalog();
        let file = cat.file_by_sha(&sha)?.ok_or_else(|| Error::not_found(format!("object {sha}")))?;
        if !cat.store().contains(&sha) {
            return Err(Error::not_found(format!("stored bytes of {sha}")).into());
        }
        (cat.store().object_path(&sha), file.media_type, file.original_name)
    };
    let io = |e| Error::io("reading stored object", path.clone(), e);
    let mut f = std::fs::File::open(&path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, len.saturating_sub(1)),
        Some(r) => match parse_range(r, len) {
            Some((s, e)) => (StatusCode::PARTIAL_CONTENT, s, e.min(s + MAX_CHUNK - 1)),
            None => {
                return Ok(Response::builder()
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                    .body(Body::empty())
                    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()))
            }
        },
    };
    let count = if len == 0 { 0 } else { end - start + 1 };
    if status == StatusCode::OK && count > MAX_CHUNK {
        // Whole-file GETs of big objects: answer with the first chunk as a range.
        return Ok(Response::builder()
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(header::CONTENT_RANGE, format!("bytes */{len}"))
            .header(header::ACCEPT_RANGES, "bytes")
            .body(Body::from("object too large for one response: ask for a byte range"))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()));
    }
    let mut buf = vec![0u8; count as usize];
    f.seek(SeekFrom::Start(start)).map_err(io)?;
    f.read_exact(&mut buf).map_err(io)?;
    // The name is only a suggestion for "save as"; strip what would break the header.
    let safe: String = name
        .unwrap_or_else(|| sha.to_string())
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\' || *c == ' ')
        .collect();
    let mut b = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, media_type)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_DISPOSITION, format!("inline; filename=\"{safe}\""))
        .header(header::CONTENT_LENGTH, count);
    if status == StatusCode::PARTIAL_CONTENT {
        b = b.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"));
    }
    Ok(b.body(Body::from(buf)).unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-3", 10), Some((0, 3)));
        assert_eq!(parse_range("bytes=4-", 10), Some((4, 9)));
        assert_eq!(parse_range("bytes=-3", 10), Some((7, 9)));
        assert_eq!(parse_range("bytes=5-100", 10), Some((5, 9)));
        assert_eq!(parse_range("bytes=10-12", 10), None);
        assert_eq!(parse_range("bytes=3-1", 10), None);
        assert_eq!(parse_range("bytes=0-1,4-5", 10), None);
        assert_eq!(parse_range("items=0-1", 10), None);
        assert_eq!(parse_range("bytes=x-1", 10), None);
        assert_eq!(parse_range("bytes=0-0", 0), None);
    }
}
