//! The one network step of evcat: an HTTP/1.1 POST of a time-stamp request
//! to a TSA. Plain `http://` only, over `std::net`: an RFC 3161 response is
//! signed, so transport security adds nothing to what is verified, most
//! public TSAs serve plain HTTP, and a TLS stack (rustls and its crypto
//! backend) would be the heaviest dependency of the build for it. The
//! response head is parsed by `httparse`; the body is read up to a limit,
//! by Content-Length, chunked encoding or to the end of the connection.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Largest response accepted (a token with its chain is a few kB).
const MAX_RESPONSE: usize = 1 << 20;
const TIMEOUT: Duration = Duration::from_secs(30);

/// `host`, `port`, `path` of an `http://` URL.
fn split_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = match url.strip_prefix("http://") {
        Some(r) => r,
        None if url.starts_with("https://") => {
            return Err("https:// is not supported: RFC 3161 responses are signed, use the TSA's http:// address".into())
        }
        None => return Err("the TSA URL must start with http://".into()),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err("the URL has no host (or has credentials in it)".into());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
            (h.to_string(), p.parse::<u16>().map_err(|_| format!("{p:?} is not a port"))?)
        }
        _ => (authority.to_string(), 80),
    };
    Ok((host.trim_start_matches('[').trim_end_matches(']').to_string(), port, path.to_string()))
}

/// POST `body` with `content_type` to `url`; the response body if the
/// status is 200.
pub(super) fn post(url: &str, content_type: &str, accept: &str, body: &[u8]) -> Result<Vec<u8>, String> {
    let (host, port, path) = split_url(url)?;
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} has no address"))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|_| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let host_header = if port == 80 { host.clone() } else { format!("{host}:{port}") };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host_header}\r\nContent-Type: {content_type}\r\nAccept: {accept}\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: evcat/{}\r\n\r\n",
        body.len(),
        env!("CARGO_PKG_VERSION")
    );
    stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body)).map_err(|e| format!("cannot send: {e}"))?;
    let mut raw = Vec::new();
    stream.take(MAX_RESPONSE as u64 + 64 * 1024).read_to_end(&mut raw).map_err(|e| format!("cannot read: {e}"))?;
    parse_response(&raw)
}

/// The body of a complete HTTP/1.x response held in `raw`.
fn parse_response(raw: &[u8]) -> Result<Vec<u8>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let start = match resp.parse(raw) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err("the TSA closed the connection mid-response".into()),
        Err(e) => return Err(format!("not an HTTP response: {e}")),
    };
    let code = resp.code.unwrap_or(0);
    if code != 200 {
        return Err(format!("the TSA answered HTTP {code} {}", resp.reason.unwrap_or("")));
    }
    let header = |name: &str| {
        resp.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
    };
    let rest = &raw[start..];
    let body = if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else if let Some(len) = header("content-length") {
        let len: usize = len.parse().map_err(|_| format!("bad Content-Length {len:?}"))?;
        if len > MAX_RESPONSE {
            return Err(format!("the response is {len} bytes, more than the {MAX_RESPONSE}-byte limit"));
        }
        rest.get(..len).ok_or("the response is shorter than its Content-Length")?.to_vec()
    } else {
        rest.to_vec()
    };
    if body.len() > MAX_RESPONSE {
        return Err(format!("the response is larger than the {MAX_RESPONSE}-byte limit"));
    }
    Ok(body)
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").ok_or("truncated chunk size")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| format!("bad chunk size {size_text:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if out.len() + size > MAX_RESPONSE {
            return Err("the chunked response exceeds the size limit".into());
        }
        let chunk = rest.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or("truncated chunk")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn urls_and_responses() {
        assert_eq!(split_url("http://tsa.example/ts").unwrap(), ("tsa.example".into(), 80, "/ts".into()));
        assert_eq!(split_url("http://127.0.0.1:8080").unwrap(), ("127.0.0.1".into(), 8080, "/".into()));
        assert_eq!(split_url("http://[::1]:81/x").unwrap(), ("::1".into(), 81, "/x".into()));
        assert!(split_url("https://tsa.example/").unwrap_err().contains("http://"));
        assert!(split_url("ftp://x").is_err());
        assert!(split_url("http://u:p@x/").is_err());
        let ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: 3\r\n\r\nabcdef";
        assert_eq!(parse_response(ok).unwrap(), b"abc");
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1;x=y\r\nc\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap(), b"abc");
        let close = b"HTTP/1.0 200 OK\r\n\r\nxyz";
        assert_eq!(parse_response(close).unwrap(), b"xyz");
        assert!(parse_response(b"HTTP/1.1 500 Oops\r\n\r\n").unwrap_err().contains("500"));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n").is_err());
    }

    proptest! {
        #[test]
        fn response_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_response(&bytes);
            let mut framed = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            framed.extend_from_slice(&bytes);
            let _ = parse_response(&framed);
        }
    }
}
