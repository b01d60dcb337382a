//! `evcat serve` over HTTP: the real binary on a free loopback port, driven
//! with hand-written HTTP/1.1 requests (`common::server`), so every header is
//! the test's choice, including the ones a browser would refuse to forge.

mod common;

use common::server::Server;
use common::{media, registered, s, sha256sum, Cat};

const ARTICLE: &str = "The ferry report.\n\nA clip posted on TikTok shows a guard waving people through the side door.\n\nOrganisers said 300 people attended.\n";

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

/// A video (E1/F1, 3 s, 320x240) and a photo (E2/F2, 640x480), each with a
/// title; returns their (file id, evidence id, sha256).
fn with_media(c: &Cat, video_title: &str, photo_title: &str) -> [(String, String, String); 2] {
    let v = media::make_mp4(&c.work("."), "clip.mp4", 3, 320, 240, None);
    let p = c.write("photo.jpg", &media::photo_jpeg(640, 480, 5));
    let mut out = Vec::new();
    for (path, title) in [(v, video_title), (p, photo_title)] {
        let report = c.json(&["add", s(&path), "--title", title]);
        let r = registered(&report)[0];
        out.push((
            r["file"].as_str().unwrap().to_string(),
            r["evidence"].as_str().unwrap().to_string(),
            r["sha256"].as_str().unwrap().to_string(),
        ));
    }
    [out[0].clone(), out[1].clone()]
}

/// With `Referrer-Policy: no-referrer`, Chromium sends `Origin: null` on a
/// same-origin form POST and the Origin check refused every browser POST.
/// `same-origin` keeps the referrer off other sites and the Origin on ours;
/// `null` itself stays refused (it is also what a sandboxed frame sends).
#[test]
fn referrer_policy_keeps_the_origin_of_same_origin_posts() {
    let c = Cat::new();
    with_article(&c, "Ferry");
    let srv = Server::start(&c, &[]);
    let cookie = srv.login();
    let page = srv.get("/articles/1", Some(&cookie), "");
    assert_eq!(page.header("referrer-policy"), Some("same-origin"));
    let csrf = srv.csrf(&cookie);
    let null = srv.post("/claims/1/status", &cookie, &format!("csrf={csrf}&status=confirmed"), "\r\nOrigin: null");
    assert_eq!(null.status, 403, "an opaque origin is not ours");
    let ours = srv.post(
        "/claims/1/status",
        &cookie,
        &format!("csrf={csrf}&status=confirmed"),
        &format!("\r\nOrigin: http://{}\r\nReferer: http://{}/articles/1", srv.host, srv.host),
    );
    assert_eq!(ours.status, 303, "{}", ours.text());
}

#[test]
fn gallery_and_file_page_show_thumbnails_facts_and_custody() {
    let c = Cat::new();
    let [(vf, ve, vsha), (pf, pe, psha)] = with_media(&c, "Clip of the side door", "Photo of the guard");
    let srv = Server::start(&c, &["--read-only"]);
    let cookie = srv.login();
    let gallery = srv.get("/files", Some(&cookie), "");
    assert_eq!(gallery.status, 200);
    let g = gallery.text();
    assert!(g.contains("Clip of the side door") && g.contains("Photo of the guard"), "{g}");
    // Thumbnails and poster frames are derived objects, served by hash with their recorded type.
    let thumbs: Vec<&str> =
        g.split("src=\"/objects/").skip(1).map(|rest| rest.split('"').next().unwrap_or_default()).collect();
    assert_eq!(thumbs.len(), 2, "one preview per file: {g}");
    for t in &thumbs {
        assert_ne!(*t, vsha, "the gallery shows previews, not the video itself");
        let r = srv.get(&format!("/objects/{t}"), Some(&cookie), "");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("image/jpeg"));
        assert!(r.body.starts_with(&[0xff, 0xd8]), "a JPEG");
        assert!(r.header("content-disposition").unwrap_or("").contains("F"), "named after its file");
    }
    let vnum = vf.trim_start_matches('F');
    let page = srv.get(&format!("/files/{vnum}"), Some(&cookie), "").text();
    for want in [
        format!("src=\"/objects/{vsha}\""),
        "id=\"player\"".to_string(),
        "00:03".to_string(),
        "video codec".to_string(),
        "Provenance".to_string(),
        "Content credentials".to_string(),
        "Fingerprints".to_string(),
        "pdq".to_string(),
        format!("Custody of {vf}"),
        format!("Custody of {ve}"),
        "registered".to_string(),
        "id=\"set-in\"".to_string(),
    ] {
        assert!(page.contains(&want), "{want} on the video page: {page}");
    }
    let pnum = pf.trim_start_matches('F');
    let page = srv.get(&format!("/files/{pnum}"), Some(&cookie), "").text();
    assert!(page.contains("id=\"photo\"") && page.contains(&format!("/objects/{psha}")), "{page}");
    assert!(page.contains("640x480") && page.contains(&pe), "{page}");
    assert_eq!(srv.get("/files/999", Some(&cookie), "").status, 404);
    assert_eq!(srv.get("/files/x", Some(&cookie), "").status, 400);
}

#[test]
fn similar_files_are_shown_side_by_side_with_lineage() {
    let c = Cat::new();
    let a = c.write("orig.jpg", &media::photo_jpeg(800, 600, 11));
    let b = c.write("repost.jpg", &media::photo_resized(800, 600, 11, 400, 300, 70));
    c.ok(&["add", s(&a)]);
    c.ok(&["add", s(&b)]);
    c.ok(&["derive", "F2", "--from", "F1", "--how", "transcode"]);
    let srv = Server::start(&c, &["--read-only"]);
    let cookie = srv.login();
    let page = srv.get("/files/1", Some(&cookie), "").text();
    let side = page.split("class=\"side-by-side\"").nth(1).unwrap_or_else(|| panic!("no side-by-side: {page}"));
    assert!(side.contains("href=\"/files/2\"") && side.contains("PDQ distance"), "{side}");
    assert_eq!(side.matches("<img").count(), 2, "both previews: {side}");
    let lineage = page.split("<h2>Lineage</h2>").nth(1).expect("lineage");
    assert!(lineage.contains("derived from F1 (transcode)"), "{lineage}");
}

#[test]
fn links_from_the_file_page_use_the_cli_parsing_and_validation() {
    let c = Cat::new();
    with_article(&c, "Ferry");
    let [(vf, ve, _), (pf, pe, _)] = with_media(&c, "Clip", "Photo");
    c.ok(&["actor", "add", "desk"]);
    let srv = Server::start(&c, &["--actor", "desk"]);
    let cookie = srv.login();
    let csrf = srv.csrf(&cookie);
    let vnum = vf.trim_start_matches('F');
    let pnum = pf.trim_start_matches('F');
    let post = |form: String| srv.post("/links", &cookie, &format!("csrf={csrf}&{form}"), "");
    let r = post(format!("claim=C1&evidence={ve}&relation=depicts&at=00%3A01.250-00%3A02.5&file={vnum}"));
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), Some(format!("/files/{vnum}#link-evidence").as_str()));
    let r =
        post(format!("claim=C1&evidence={pe}&relation=supports&region=10%2C20%2C300%2C200&note=officer&file={pnum}"));
    assert_eq!(r.status, 303, "{}", r.text());
    // Refusals carry the library's own message, the one `evcat link` prints.
    for (form, cli, why) in [
        (
            format!("claim=C1&evidence={ve}&relation=depicts&at=00%3A02-00%3A01&file={vnum}"),
            vec!["link", "C1", &ve, "--relation", "depicts", "--at", "00:02-00:01"],
            "end must be after start",
        ),
        (
            format!("claim=C1&evidence={pe}&relation=depicts&region=600%2C0%2C100%2C100&file={pnum}"),
            vec!["link", "C1", &pe, "--relation", "depicts", "--region", "600,0,100,100"],
            "extends beyond the 640x480 picture",
        ),
        (
            format!("claim=C1&evidence={pe}&relation=depicts&at=00%3A00-00%3A01&file={pnum}"),
            vec!["link", "C1", &pe, "--relation", "depicts", "--at", "00:00-00:01"],
            "a time range applies to video or audio",
        ),
        (
            format!("claim=C99&evidence={pe}&relation=depicts&file={pnum}"),
            vec!["link", "C99", &pe, "--relation", "depicts"],
            "C99",
        ),
        (
            format!("claim=C1&evidence={pe}&relation=shows&file={pnum}"),
            vec!["link", "C1", &pe, "--relation", "shows"],
            "expected one of: depicts, supports, contradicts, mentions",
        ),
    ] {
        let r = post(form);
        assert!(r.status == 400 || r.status == 404, "{why}: {} {}", r.status, r.text());
        let page = r.text();
        assert!(page.contains(why), "{why}: {page}");
        assert!(page.contains(&format!("href=\"/files/{pnum}\"")) || page.contains(&format!("href=\"/files/{vnum}\"")));
        let out = c.cmd().args(&cli).output().expect("run evcat link");
        assert_eq!(out.status.code(), Some(2), "{cli:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(why), "the CLI says the same: {cli:?}");
    }
    let page = srv.get(&format!("/files/{pnum}"), Some(&cookie), "").text();
    assert!(page.contains("region <span class=\"region\">10,20,300,200</span>"), "{page}");
    let article = srv.get("/articles/1", Some(&cookie), "").text();
    assert!(article.contains(&format!("depicts {ve} at 00:01.250-00:02.500")), "links beside the claim: {article}");
    assert!(srv.stop().success());
    // (The article's own detected links are there too; these are the desk's.)
    let links = c.json(&["show", "C1"])["links"].as_array().cloned().unwrap_or_default();
    let desk: Vec<&serde_json::Value> = links.iter().filter(|l| l["created_by"] == "desk").collect();
    assert_eq!(desk.len(), 2, "{links:?}");
    assert_eq!(desk[0]["evidence_id"], ve.as_str());
    assert_eq!(desk[0]["range"], serde_json::json!({ "start_ms": 1250, "end_ms": 2500 }));
    assert_eq!(desk[0]["origin"], "manual");
    assert_eq!(desk[1]["evidence_id"], pe.as_str());
    assert_eq!(desk[1]["region"], serde_json::json!({ "x": 10, "y": 20, "w": 300, "h": 200 }));
    assert_eq!(desk[1]["note"], "officer");
    let log = c.ok(&["log"]);
    assert_eq!(log.lines().filter(|l| l.contains("linked") && l.contains("by desk")).count(), 2, "{log}");
}

#[test]
fn the_audit_page_runs_the_audit_and_shows_the_head() {
    let c = Cat::new();
    with_article(&c, "Ferry");
    c.ok(&["actor", "add", "desk"]);
    let srv = Server::start(&c, &["--actor", "desk"]);
    let cookie = srv.login();
    let page = srv.get("/audit", Some(&cookie), "").text();
    assert!(page.contains("No audit recorded yet"), "{page}");
    let head_before = page.split("<code id=\"head\">").nth(1).and_then(|r| r.split('<').next()).expect("head");
    let csrf = srv.csrf(&cookie);
    assert_eq!(srv.post("/audit", &cookie, "", "").status, 403, "the CSRF token is needed");
    let r = srv.post("/audit", &cookie, &format!("csrf={csrf}"), "");
    assert_eq!(r.status, 200, "{}", r.text());
    let report = r.text();
    assert!(report.contains("Audit clean."), "{report}");
    let recorded = report.split("Recorded as event #").nth(1).and_then(|r| r.split('.').next()).expect("recorded");
    let head_after = report.split("<code id=\"head\">").nth(1).and_then(|r| r.split('<').next()).expect("head");
    assert_eq!(head_before, head_after, "the audit verified the head the page showed");
    assert!(srv.stop().success());
    let cli = c.json(&["audit", "--no-record"]);
    assert_eq!(cli["clean"], true);
    let seq: u64 = recorded.parse().expect("event number");
    assert!(head_after.starts_with(&format!("{}:", seq - 1)), "the head audited ({head_after}) is before #{seq}");
    let log = c.ok(&["log"]);
    assert!(
        log.lines().any(|l| l.contains(&format!("#{seq} ")) && l.contains("verified") && l.contains("by desk")),
        "{log}"
    );
}

#[test]
fn evidence_titles_are_escaped_on_the_evidence_pages() {
    let c = Cat::new();
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    with_media(&c, evil, evil);
    let srv = Server::start(&c, &["--read-only"]);
    let cookie = srv.login();
    for path in ["/files", "/files/1", "/files/2"] {
        let page = srv.get(path, Some(&cookie), "").text();
        assert!(!page.contains("<script>alert") && !page.contains("<img src=x"), "{path}: {page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"), "{path}");
    }
}

#[test]
fn read_only_refuses_links_and_audits() {
    let c = Cat::new();
    with_article(&c, "Ferry");
    let [(vf, ve, _), _] = with_media(&c, "Clip", "Photo");
    let before = c.json(&["show", "C1"])["links"].clone();
    let srv = Server::start(&c, &["--read-only"]);
    let cookie = srv.login();
    let csrf = srv.csrf(&cookie);
    for (path, form) in [
        ("/links", format!("claim=C1&evidence={ve}&relation=depicts&file={}", vf.trim_start_matches('F'))),
        ("/audit", String::new()),
    ] {
        let r = srv.post(path, &cookie, &format!("csrf={csrf}&{form}"), "");
        assert_eq!(r.status, 403, "{path}");
        assert!(r.text().contains("--read-only"), "{}", r.text());
    }
    assert!(srv.stop().success());
    assert_eq!(c.json(&["show", "C1"])["links"], before, "no link was added");
}

/// A multipart/form-data body with the CSRF token first, then one file.
fn multipart(csrf: &str, name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let b = "evcatTestBoundary7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

#[test]
fn the_acquisition_to_do_takes_an_upload_through_the_add_path_and_refuses_a_huge_one() {
    let c = Cat::new();
    c.ok(&[
        "evidence",
        "add",
        "--kind",
        "image",
        "--title",
        "Guard at the side door",
        "--url",
        "https://example.org/p/123",
    ]);
    c.ok(&["actor", "add", "desk"]);
    let srv = Server::start(&c, &["--actor", "desk", "--max-upload-bytes", "1000000"]);
    let cookie = srv.login();
    let todo = srv.get("/acquire", Some(&cookie), "").text();
    assert!(todo.contains("Guard at the side door") && todo.contains("https://example.org/p/123"), "{todo}");
    assert!(todo.contains("enctype=\"multipart/form-data\""), "{todo}");
    let csrf = srv.csrf(&cookie);
    let send = |ctype: &str, body: &[u8]| {
        srv.raw(
            &format!("POST /acquire/1 HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nContent-Type: {ctype}", srv.host),
            body,
        )
    };
    // Over the cap: 413 with a message, nothing registered, the evidence still to acquire.
    let (ctype, body) = multipart(&csrf, "huge.bin", &media::random_bytes(3 << 20, 4));
    let r = send(&ctype, &body);
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("larger than this server accepts"), "{}", r.text());
    // Without the token nothing is written.
    let photo = media::photo_jpeg(640, 480, 8);
    let (ctype, body) = multipart("wrong", "guard.jpg", &photo);
    assert_eq!(send(&ctype, &body).status, 403);
    // Within the cap: registered like `evcat add guard.jpg --evidence E1`.
    let (ctype, body) = multipart(&csrf, "../../guard.jpg", &photo);
    let r = send(&ctype, &body);
    assert_eq!(r.status, 303, "{}", r.text());
    let loc = r.header("location").expect("location").to_string();
    assert!(loc.starts_with("/files/"), "{loc}");
    let page = srv.get(&loc, Some(&cookie), "").text();
    assert!(page.contains("640x480") && page.contains("image/jpeg"), "{page}");
    assert!(!srv.get("/acquire", Some(&cookie), "").text().contains("Guard at the side door"), "acquired now");
    // Everything else keeps the 64 KiB form limit.
    let big_form = format!("csrf={csrf}&claim=C1&evidence=E1&relation=depicts&note={}", "x".repeat(200_000));
    assert_eq!(srv.post("/links", &cookie, &big_form, "").status, 413);
    assert!(srv.stop().success());
    let shown = c.json(&["show", "E1"]);
    assert_eq!(shown["evidence"]["status"], "acquired");
    let files = shown["files"].as_array().expect("files");
    assert_eq!(files.len(), 1, "only the upload within the cap: {files:?}");
    assert_eq!(files[0]["sha256"], common::sha256_bytes(&photo));
    assert_eq!(files[0]["original_name"], "guard.jpg", "the folders of the browser's name are dropped");
    assert_eq!(files[0]["media_type"], "image/jpeg");
    let log = c.ok(&["log"]);
    assert!(log.lines().any(|l| l.contains("acquired") && l.contains("by desk")), "{log}");
}
