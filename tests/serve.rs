//! `evcat serve` over HTTP: the real binary on a free loopback port, driven
//! with hand-written HTTP/1.1 requests (so every header is the test's choice,
//! including the ones a browser would refuse to forge).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::{media, registered, s, sha256sum, Cat};

const ARTICLE: &str = "The ferry report.\n\nA clip posted on TikTok shows a guard waving people through the side door.\n\nOrganisers said 300 people attended.\n";

/// A running `evcat serve`, stopped with SIGTERM on drop.
struct Server {
    child: Child,
    /// Kept open: the server's later output must not hit a closed pipe.
    _out: BufReader<std::process::ChildStdout>,
    host: String,
    token: String,
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Server {
    fn start(c: &Cat, extra: &[&str]) -> Server {
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
    fn raw(&self, head: &str, body: &[u8]) -> Resp {
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

    fn get(&self, path: &str, cookie: Option<&str>, extra: &str) -> Resp {
        let c = cookie.map(|c| format!("\r\nCookie: {c}")).unwrap_or_default();
        self.raw(&format!("GET {path} HTTP/1.1\r\nHost: {}{c}{extra}", self.host), b"")
    }

    fn post(&self, path: &str, cookie: &str, form: &str, extra: &str) -> Resp {
        self.raw(
            &format!(
                "POST {path} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded{extra}",
                self.host
            ),
            form.as_bytes(),
        )
    }

    /// Exchange the one-time token for the session cookie.
    fn login(&self) -> String {
        let r = self.get(&format!("/?token={}", self.token), None, "");
        assert_eq!(r.status, 303, "{}", r.text());
        let set = r.header("set-cookie").expect("Set-Cookie").to_string();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
        set.split(';').next().expect("cookie pair").to_string()
    }

    fn csrf(&self, cookie: &str) -> String {
        let page = self.get("/articles/1", Some(cookie), "").text();
        let at = page.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
        page[at..at + 64].to_string()
    }

    /// SIGTERM, and the exit status (a clean stop is 0).
    fn stop(mut self) -> std::process::ExitStatus {
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

fn with_article(c: &Cat, title: &str) {
    let p = c.write("article.txt", ARTICLE.as_bytes());
    c.ok(&["article", "add", s(&p), "--title", title]);
}

#[test]
fn without_the_token_nothing_is_served_and_the_token_works_once() {
    let c = Cat::new();
    with_article(&c, "Ferry");
    let srv = Server::start(&c, &[]);
    let r = srv.get("/", None, "");
    assert_eq!(r.status, 401);
    assert!(r.header("content-security-policy").unwrap_or("").contains("default-src 'none'"));
    assert_eq!(srv.get("/articles/1", Some("evcat_session=guess"), "").status, 401);
    assert_eq!(srv.get("/?token=0000", None, "").status, 403);
    let cookie = srv.login();
    assert_eq!(srv.get(&format!("/?token={}", srv.token), None, "").status, 403, "the token is one-time");
    let page = srv.get("/", Some(&cookie), "");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Ferry"));
    // A foreign Host (DNS rebinding) is refused even with the cookie.
    let r = srv.raw(&format!("GET / HTTP/1.1\r\nHost: evil.example:80\r\nCookie: {cookie}"), b"");
    assert_eq!(r.status, 403);
    assert!(srv.stop().success(), "SIGTERM stops the server cleanly");
}

#[test]
fn posts_need_the_csrf_token_and_a_same_origin() {
    let c = Cat::new();
    with_article(&c, "Ferry");
    let srv = Server::start(&c, &[]);
    let cookie = srv.login();
    let csrf = srv.csrf(&cookie);
    assert_eq!(srv.post("/claims/1/status", &cookie, "status=confirmed", "").status, 403);
    let cross = srv.post(
        "/claims/1/status",
        &cookie,
        &format!("csrf={csrf}&status=confirmed"),
        "\r\nOrigin: http://evil.example",
    );
    assert_eq!(cross.status, 403);
    assert!(cross.text().contains("Cross-site"));
    let ok = srv.post(
        "/claims/1/status",
        &cookie,
        &format!("csrf={csrf}&status=confirmed"),
        &format!("\r\nOrigin: http://{}", srv.host),
    );
    assert_eq!(ok.status, 303, "{}", ok.text());
    let bad = srv.post("/claims/1/status", &cookie, &format!("csrf={csrf}&status=asserted"), "");
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("only confirm or reject"), "the library's message is shown: {}", bad.text());
    assert!(srv.stop().success());
    let claims = c.json(&["claims", "--article", "A1"]);
    let all = claims.as_array().or_else(|| claims["claims"].as_array()).expect("claims list").clone();
    let c1 = all.iter().find(|x| x["id"] == "C1").expect("C1");
    assert_eq!(c1["status"], "confirmed", "only the same-origin POST with the token changed it");
}

#[test]
fn marking_a_span_records_exact_byte_offsets_and_a_custody_event() {
    let c = Cat::new();
    with_article(&c, "Ferry");
    let srv = Server::start(&c, &["--actor", "tester"]);
    let cookie = srv.login();
    let csrf = srv.csrf(&cookie);
    let quote = "Organisers said 300 people attended.";
    let start = ARTICLE.find(quote).unwrap();
    let end = start + quote.len();
    let r = srv.post("/articles/1/claims", &cookie, &format!("csrf={csrf}&start={start}&end={end}"), "");
    assert_eq!(r.status, 303, "{}", r.text());
    let loc = r.header("location").unwrap().to_string();
    // Outside the body, or splitting a character: the library refuses, the page says why.
    let r = srv.post("/articles/1/claims", &cookie, &format!("csrf={csrf}&start=0&end=99999"), "");
    assert_eq!(r.status, 400);
    assert!(r.text().contains("on character boundaries"), "{}", r.text());
    let page = srv.get("/articles/1", Some(&cookie), "").text();
    let id = loc.rsplit("#c").next().unwrap();
    assert!(page.contains(&format!("id=\"c{id}\"")), "the new claim is highlighted");
    assert!(srv.stop().success());
    let shown = c.json(&["show", &format!("C{id}")]);
    let claim = if shown["claim"].is_object() { &shown["claim"] } else { &shown };
    assert_eq!(claim["start_byte"], start);
    assert_eq!(claim["end_byte"], end);
    assert_eq!(claim["text"], quote);
    let log = c.ok(&["log"]);
    assert!(
        log.lines().any(|l| l.contains("marked") && l.contains(&format!("claim:{id} ")) && l.contains("by tester")),
        "a signed custody event by the serving actor names the claim: {log}"
    );
}

#[test]
fn catalog_text_is_escaped() {
    let c = Cat::new();
    with_article(&c, "<script>alert(1)</script> & \"quotes\"");
    let srv = Server::start(&c, &[]);
    let cookie = srv.login();
    for path in ["/", "/articles/1", "/search?q=script"] {
        let page = srv.get(path, Some(&cookie), "").text();
        assert!(!page.contains("<script>alert"), "{path}: {page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || path.starts_with("/search"),
            "{path}: {page}"
        );
    }
    let page = srv.get("/search?q=%3Cscript%3E", Some(&cookie), "").text();
    assert!(!page.contains("<script>") && page.contains("&lt;script&gt;"), "the query is escaped too: {page}");
}

#[test]
fn objects_by_hash_only_with_ranges_and_no_path_traversal() {
    let c = Cat::new();
    let bytes = media::random_bytes(100_000, 3);
    let p = c.write("clip.bin", &bytes);
    let report = c.json(&["add", s(&p)]);
    let sha = registered(&report)[0]["sha256"].as_str().unwrap().to_string();
    let srv = Server::start(&c, &["--read-only"]);
    let cookie = srv.login();
    let full = srv.get(&format!("/objects/{sha}"), Some(&cookie), "");
    assert_eq!(full.status, 200);
    assert_eq!(full.body, bytes);
    assert!(full.header("content-disposition").unwrap_or("").contains("clip.bin"));
    assert!(full.header("content-type").is_some());
    let part = srv.get(&format!("/objects/{sha}"), Some(&cookie), "\r\nRange: bytes=1000-1999");
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-range"), Some(format!("bytes 1000-1999/{}", bytes.len()).as_str()));
    assert_eq!(part.body, &bytes[1000..2000]);
    let tail = srv.get(&format!("/objects/{sha}"), Some(&cookie), "\r\nRange: bytes=-10");
    assert_eq!(tail.body, &bytes[bytes.len() - 10..]);
    assert_eq!(srv.get(&format!("/objects/{sha}"), Some(&cookie), "\r\nRange: bytes=200000-").status, 416);
    for path in [
        "/objects/../catalog.sqlite",
        "/objects/..%2F..%2Fcatalog.sqlite",
        "/objects/%2e%2e%2fcatalog.sqlite",
        "/static/..%2F..%2Fcatalog.sqlite",
        "/static/../../catalog.sqlite",
        &format!("/objects/{}", &sha[..12]),
        &format!("/objects/{sha}/../../catalog.sqlite"),
    ] {
        let r = srv.get(path, Some(&cookie), "");
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains("SQLite format"), "{path}");
    }
}

/// A plain GET of an object bigger than the per-range cap (8 MiB) is the
/// whole file, streamed: it once answered 416, so plain downloads failed.
#[test]
fn a_big_object_downloads_whole_with_a_plain_get() {
    use sha2::Digest;
    let c = Cat::new();
    let bytes = media::random_bytes(9 << 20 | 12_345, 7);
    let p = c.write("big.bin", &bytes);
    let report = c.json(&["add", s(&p)]);
    let sha = registered(&report)[0]["sha256"].as_str().unwrap().to_string();
    assert_eq!(sha, sha256sum(&p));
    let srv = Server::start(&c, &["--read-only"]);
    let cookie = srv.login();
    let full = srv.get(&format!("/objects/{sha}"), Some(&cookie), "");
    assert_eq!(full.status, 200, "{}", String::from_utf8_lossy(&full.body[..full.body.len().min(200)]));
    assert_eq!(full.header("content-length"), Some(bytes.len().to_string().as_str()));
    assert_eq!(full.body.len(), bytes.len());
    assert_eq!(hex::encode(sha2::Sha256::digest(&full.body)), sha);
    // Ranges stay capped per response, with the true range in Content-Range.
    let part = srv.get(&format!("/objects/{sha}"), Some(&cookie), "\r\nRange: bytes=100-");
    assert_eq!(part.status, 206);
    let end = 100 + (8 << 20) - 1;
    assert_eq!(part.header("content-range"), Some(format!("bytes 100-{end}/{}", bytes.len()).as_str()));
    assert_eq!(part.body, &bytes[100..=end]);
}

#[test]
fn read_only_refuses_every_write_and_huge_bodies_are_refused() {
    let c = Cat::new();
    with_article(&c, "Ferry");
    let srv = Server::start(&c, &["--read-only"]);
    let cookie = srv.login();
    let csrf = srv.csrf(&cookie);
    for (path, form) in
        [("/claims/1/status", "status=confirmed".to_string()), ("/articles/1/claims", "start=0&end=5".to_string())]
    {
        let r = srv.post(path, &cookie, &format!("csrf={csrf}&{form}"), "");
        assert_eq!(r.status, 403, "{path}");
        assert!(r.text().contains("--read-only"), "{}", r.text());
    }
    drop(srv);
    let srv = Server::start(&c, &[]);
    let cookie = srv.login();
    let csrf = srv.csrf(&cookie);
    let huge = format!("csrf={csrf}&status=confirmed&pad={}", "x".repeat(4 << 20));
    let r = srv.post("/claims/1/status", &cookie, &huge, "");
    assert_eq!(r.status, 413);
    assert!(srv.stop().success());
    let shown = c.json(&["show", "C1"]);
    let claim = if shown["claim"].is_object() { &shown["claim"] } else { &shown };
    assert_eq!(claim["status"], "detected", "neither the read-only server nor the huge POST changed it");
}
