//! `/objects/SHA256`: stored bytes, found only by their hash (never by a
//! path): a registered file or an object derived from one (thumbnail,
//! poster), with the media type recorded at `add` or at analysis, `Content-Disposition`, and
//! single-range requests (what a `<video>` element asks for when seeking).
//! Bytes are streamed from the file in small frames, never read whole.

use std::io::{Seek, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use tokio::io::{AsyncRead, ReadBuf};

use super::{pages, WebResult};
use crate::error::Error;
use crate::hash::Sha256;

/// Largest slice served for one ranged request; a player asks again for the
/// rest (206 with the true range). A whole-file GET is not capped: it streams.
const MAX_CHUNK: u64 = 8 << 20;

/// Bytes per body frame: what is held in memory at once per response.
const FRAME: usize = 64 << 10;

/// `remaining` bytes of an open file, from its current position, as a body
/// of `FRAME`-sized frames; hyper pulls the next frame only when the socket
/// has taken the last, so memory stays bounded whatever the object's size.
struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    buf: Box<[u8]>,
}

impl FileBody {
    fn new(file: std::fs::File, count: u64) -> FileBody {
        let size = count.min(FRAME as u64) as usize;
        FileBody { file: tokio::fs::File::from_std(file), remaining: count, buf: vec![0; size].into_boxed_slice() }
    }
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = this.remaining.min(this.buf.len() as u64) as usize;
        let mut rb = ReadBuf::new(&mut this.buf[..want]);
        match Pin::new(&mut this.file).poll_read(cx, &mut rb) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            // Content-Length is already sent: a file that shrank must fail the
            // response (the client sees a short body), not end it quietly.
            Poll::Ready(Ok(())) if rb.filled().is_empty() => Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "stored object is shorter than when the response started",
            )))),
            Poll::Ready(Ok(())) => {
                let data = Bytes::copy_from_slice(rb.filled());
                this.remaining -= data.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(data))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

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
        // A registered file, or a thumbnail / poster / contact sheet made from
        // one; either way the media type is the one recorded with the hash.
        let (media_type, name) = match cat.file_by_sha(&sha)? {
            Some(file) => (file.media_type, file.original_name),
            None => {
                let d = cat.derived_by_sha(&sha)?.ok_or_else(|| Error::not_found(format!("object {sha}")))?;
                let name = format!("{}-{}-{}", d.file, d.kind, &d.sha256[..12.min(d.sha256.len())]);
                (d.media_type, Some(name))
            }
        };
        if !cat.store().contains(&sha) {
            return Err(Error::not_found(format!("stored bytes of {sha}")).into());
        }
        (cat.store().object_path(&sha), media_type, name)
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
    f.seek(SeekFrom::Start(start)).map_err(io)?;
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
    Ok(b.body(Body::new(FileBody::new(f, count))).unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()))
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
