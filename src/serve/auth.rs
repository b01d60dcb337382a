//! Who may talk to the server: the one-time token -> session cookie exchange,
//! the CSRF check on every POST, the Host check (DNS rebinding), `--read-only`,
//! and the security headers every response carries.

use std::net::SocketAddr;
use std::sync::Mutex;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::pages;
use crate::error::{Error, Result};

pub(crate) const COOKIE: &str = "evcat_session";
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                              media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) struct Secrets {
    /// Printed once; taken (set to None) by the first request that presents it.
    token: Mutex<Option<String>>,
    printed: String,
    session: String,
    pub(crate) csrf: String,
    addr: SocketAddr,
}

fn random_hex() -> Result<String> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).map_err(|e| Error::Conflict(format!("no randomness for the session secrets: {e}")))?;
    Ok(hex::encode(b))
}

/// Compare secrets without an early exit, so timing does not leak a prefix.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Secrets {
    pub(crate) fn new(addr: SocketAddr) -> Result<Self> {
        let token = random_hex()?;
        Ok(Secrets {
            token: Mutex::new(Some(token.clone())),
            printed: token,
            session: random_hex()?,
            csrf: random_hex()?,
            addr,
        })
    }

    pub(crate) fn one_time_token(&self) -> String {
        self.printed.clone()
    }

    fn take_token(&self, presented: &str) -> bool {
        let mut t = self.token.lock().unwrap_or_else(|p| p.into_inner());
        match t.as_deref() {
            Some(expected) if same(expected, presented) => {
                *t = None;
                true
            }
            _ => false,
        }
    }

    fn has_session(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .any(|(k, v)| k == COOKIE && same(v, &self.session))
    }

    /// Only our own address names: a page on another site that resolves its
    /// name to 127.0.0.1 (DNS rebinding) sends its own name as Host.
    fn host_ok(&self, headers: &HeaderMap) -> bool {
        let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
        let port = self.addr.port();
        let ip = self.addr.ip();
        let allowed = [format!("{ip}:{port}"), format!("[{ip}]:{port}"), format!("localhost:{port}")];
        allowed.iter().any(|a| a.eq_ignore_ascii_case(host))
            || (ip.is_unspecified() && host.ends_with(&format!(":{port}")))
    }
}

fn deny(status: StatusCode, text: &str) -> Response {
    pages::message(status, "Not allowed", text)
}

fn query_token(req: &Request) -> Option<String> {
    let q = req.uri().query()?;
    url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "token").map(|(_, v)| v.into_owned())
}

/// The one middleware every request passes through, in this order: Host,
/// token exchange, session cookie, read-only, CSRF (checked by the POST
/// handlers' form extractor via [`check_csrf`]), then the security headers.
pub(crate) async fn guard(State(state): State<super::State>, req: Request, next: Next) -> Response {
    let mut resp = decide(&state, req, next).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn decide(state: &super::AppState, req: Request, next: Next) -> Response {
    let s = &state.auth;
    if !s.host_ok(req.headers()) {
        return deny(StatusCode::FORBIDDEN, "Unknown Host header: open the address evcat serve printed.");
    }
    if let Some(t) = query_token(&req) {
        if !s.take_token(&t) {
            return deny(
                StatusCode::FORBIDDEN,
                "This access token is wrong or was already used; restart evcat serve for a new one.",
            );
        }
        // Strip the token from the address bar and history.
        let cookie = format!("{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/", s.session);
        return Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, req.uri().path())
            .header(header::SET_COOKIE, cookie)
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    if !s.has_session(req.headers()) {
        return deny(StatusCode::UNAUTHORIZED, "Open the address with the token that evcat serve printed.");
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        if state.read_only {
            return deny(StatusCode::FORBIDDEN, "This server runs with --read-only: it refuses every change.");
        }
        // A browser always names the page a POST came from; a cross-site one
        // is refused even before its (missing) CSRF field is looked at.
        if let Some(o) = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
            let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
            if o != format!("http://{host}") {
                return deny(StatusCode::FORBIDDEN, "Cross-site request refused.");
            }
        }
    }
    next.run(req).await
}

/// Every POST form carries `csrf`; handlers check it first and answer with
/// [`csrf_refused`] when it is missing or wrong.
pub(crate) fn csrf_ok(state: &super::AppState, presented: &str) -> bool {
    same(presented, &state.auth.csrf)
}

pub(crate) fn csrf_refused() -> Response {
    deny(StatusCode::FORBIDDEN, "Missing or wrong CSRF token: reload the page and try again.")
}
