//! A running `evcat serve` for the HTTP and browser tests: the real binary
//! on a free loopback port, and hand-written HTTP/1.1 requests (so every
//! header is the test's choice, including ones a browser would refuse to forge).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use super::Cat;

/// A running `evcat serve`, stopped with SIGTERM on drop.
pub struct Server {
    pub child: Child,
    /// Kept open: the server's later output must not hit a closed pipe.
    _out: BufReader<std::process::ChildStdout>,
    pub host: String,
    pub token: String,
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Server {
    pub fn start(c: &Cat, extra: &[&str]) -> Server {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("evcat"))
            .env_remove("EVCAT_CATALOG")
            .env_remove("EVCAT_ACTOR")
            .arg("--catalog")
            .arg(&c.dir)
            .args(["serve", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn evcat serve");
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        out.read_line(&mut line).expect("read the URL line");
        let url =
            line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("no URL in {line:?}"));
        let rest = url.trim_start_matches("http://");
        let (host, query) = rest.split_once("/?token=").expect("URL with token");
        Server { child, _out: out, host: host.to_string(), token: query.trim().to_string() }
    }

    /// Send raw `head` (request line + headers, no final blank line) and body.
    pub fn raw(&self, head: &str, body: &[u8]) -> Resp {
        let mut st = TcpStream::connect(&self.host).expect("connect");
        st.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        let req = format!("{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
        st.write_all(req.as_bytes()).expect("send head");
        // A server that refuses early may close before reading all of a big body.
        let _ = st.write_all(body);
        let mut buf = Vec::new();
        let _ = st.read_to_end(&mut buf);
        let mut hs = [httparse::EMPTY_HEADER; 64];
        let mut r = httparse::Response::new(&mut hs);
        let n = match r.parse(&buf).expect("parse response") {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => panic!("partial response: {}", String::from_utf8_lossy(&buf)),
        };
        let headers =
            r.headers.iter().map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned())).collect();
        Resp { status: r.code.expect("status"), headers, body: buf[n..].to_vec() }
    }

    pub fn get(&self, path: &str, cookie: Option<&str>, extra: &str) -> Resp {
        let c = cookie.map(|c| format!("\r\nCookie: {c}")).unwrap_or_default();
        self.raw(&format!("GET {path} HTTP/1.1\r\nHost: {}{c}{extra}", self.host), b"")
    }

    pub fn post(&self, path: &str, cookie: &str, form: &str, extra: &str) -> Resp {
        self.raw(
            &format!(
                "POST {path} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded{extra}",
                self.host
            ),
            form.as_bytes(),
        )
    }

    /// Exchange the one-time token for the session cookie.
    pub fn login(&self) -> String {
        let r = self.get(&format!("/?token={}", self.token), None, "");
        assert_eq!(r.status, 303, "{}", r.text());
        let set = r.header("set-cookie").expect("Set-Cookie").to_string();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
        set.split(';').next().expect("cookie pair").to_string()
    }

    pub fn csrf(&self, cookie: &str) -> String {
        // The audit page always has a form, whatever the catalog holds.
        let page = self.get("/audit", Some(cookie), "").text();
        let at = page.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
        page[at..at + 64].to_string()
    }

    /// SIGTERM, and the exit status (a clean stop is 0).
    pub fn stop(mut self) -> std::process::ExitStatus {
        let st =
            std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(st.success());
        let code = self.child.wait().expect("wait");
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        assert!(!err.contains("panicked"), "{err}");
        code
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
