//! `evcat article add` on saved web pages (issue 14): main text without page furniture,
//! metadata with sources, embedded posts as referenced evidence with their URLs, detection by
//! page language, saved-page archives, and hostile HTML.
//!
//! The pages in tests/data/pages/ were written for these tests, one site layout each: a
//! Deutsche Welle-like page (the case: language menu, two embedded tweets), a CMS with
//! JSON-LD, an OpenGraph-only page in ISO-8859-1, a page embedding a post of every platform, a
//! live blog, an AMP page.

mod common;

use std::path::PathBuf;

use common::{s, Cat};
use serde_json::Value;

fn page(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/pages").join(name)
}

fn import(c: &Cat, name: &str) -> Value {
    c.json(&["article", "add", s(&page(name))])
}

/// (body, lang, meta_sources) of an article, read directly from the catalog.
fn article_row(c: &Cat, id: i64) -> (String, Option<String>, Value) {
    let conn = rusqlite::Connection::open(c.dir.join("catalog.sqlite")).expect("open db");
    conn.query_row("SELECT body, lang, meta_sources FROM article WHERE id = ?1", [id], |r| {
        let ms: String = r.get(2)?;
        Ok((r.get(0)?, r.get(1)?, serde_json::from_str(&ms).unwrap_or(Value::Null)))
    })
    .expect("article row")
}

fn embedded(r: &Value) -> Vec<Value> {
    r["embedded"].as_array().cloned().unwrap_or_default()
}

fn urls(r: &Value) -> Vec<String> {
    embedded(r).iter().map(|e| e["url"].as_str().unwrap_or_default().to_string()).collect()
}

fn link_origins(c: &Cat) -> Vec<(String, Option<String>)> {
    let conn = rusqlite::Connection::open(c.dir.join("catalog.sqlite")).expect("open db");
    let mut st = conn.prepare("SELECT relation, origin FROM link ORDER BY id").expect("prepare");
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("query").map(|r| r.expect("row")).collect()
}

#[test]
fn deutsche_welle_page_keeps_the_article_and_drops_menus_languages_and_footer() {
    let c = Cat::new();
    let r = import(&c, "dw_live_protest.html");
    let (body, lang, sources) = article_row(&c, 1);
    for junk in [
        "Inhalt",
        "Navigation",
        "Choose from 30 Languages",
        "Deutsch",
        "Español",
        "Kiswahili",
        "Impressum",
        "Datenschutz",
        "Mehr zum Thema",
        "Aktuelle Themen",
        "Bundesliga",
        "Cookies",
        "Teilen auf X",
        "© 2026",
    ] {
        assert!(!body.contains(junk), "{junk:?} in the body:\n{body}");
    }
    assert!(body.starts_with("Proteste in Hafenstadt: Videos zeigen Polizeieinsatz\n\nTausende Menschen"), "{body}");
    assert!(body.contains("Der Stadtrat will im April über den nächsten Bauabschnitt entscheiden."));
    assert!(r["sentences"].as_u64().is_some_and(|n| n < 30), "{}", r["sentences"]);
    assert_eq!(lang.as_deref(), Some("de"));
    assert_eq!(r["lang"], "de");
    assert_eq!(sources["author"]["source"], "json-ld NewsArticle.author");
    assert_eq!(sources["lang"]["source"], "html lang");

    // The two embedded tweets: evidence with their status URLs and ids, not URL-less items.
    let e = embedded(&r);
    assert_eq!(e.len(), 2, "{e:#?}");
    assert_eq!(e[0]["url"], "https://x.com/hafenbuendnis/status/1767890123456789012");
    assert_eq!(e[0]["platform_id"], "1767890123456789012");
    assert_eq!(e[0]["platform"], "x");
    assert_eq!(e[1]["url"], "https://x.com/innensenat/status/1767901234567890123");
    // The German sentence citing the first tweet is its claim (detected by the German rules).
    assert!(
        e[0]["text"].as_str().unwrap_or_default().starts_with("Ein Video, das auf X veröffentlicht wurde"),
        "{}",
        e[0]
    );
    assert_eq!(e[0]["kind"], "video");
    let listed = c.json(&["list", "evidence", "--status", "referenced"]);
    let listed_urls: Vec<&str> =
        listed.as_array().expect("list").iter().filter_map(|v| v["source_url"].as_str()).collect();
    assert!(listed_urls.contains(&"https://x.com/hafenbuendnis/status/1767890123456789012"), "{listed_urls:?}");
    let none_without_url =
        listed.as_array().expect("list").iter().all(|v| v["platform"] != "x" || v["source_url"].is_string());
    assert!(none_without_url, "an X item without URL: {listed:#}");
    assert!(link_origins(&c).iter().filter(|(_, o)| o.as_deref() == Some("embedded")).count() == 2);
    c.ok(&["audit"]);
}

#[test]
fn cms_json_ld_metadata_with_sources_and_flags_that_say_they_override() {
    let c = Cat::new();
    let r = import(&c, "cms_jsonld.html");
    let a = c.json(&["show", "A1"]);
    let art = if a["article"].is_object() { &a["article"] } else { &a };
    assert_eq!(art["title"], "Harbour bridge closed after crane strike");
    assert_eq!(art["author"], "Priya Natarajan", "JSON-LD author wins over <meta name=author>");
    assert_eq!(art["published_at"], "2026-02-03");
    assert_eq!(art["modified_at"], "2026-02-04");
    assert_eq!(art["publisher"], "Harbour City Ledger");
    assert_eq!(art["url"], "https://ledger.example.com/news/harbour-bridge-closed");
    assert_eq!(art["canonical_url"], "https://ledger.example.com/news/harbour-bridge-closed");
    assert_eq!(art["lang"], "en-GB");
    let ms = &art["meta_sources"];
    assert_eq!(ms["title"]["source"], "meta og:title");
    assert_eq!(ms["published_at"]["source"], "json-ld NewsArticle.datePublished");
    assert_eq!(ms["url"]["source"], "link rel=canonical");
    let body = art["body"].as_str().expect("body");
    for junk in [
        "cookie",
        "Search",
        "Home",
        "Share on",
        "Advertisement",
        "morning briefing",
        "Related stories",
        "Comments (42)",
        "shaking for years",
        "Most read",
        "All rights reserved",
        "Privacy policy",
    ] {
        assert!(!body.contains(junk), "{junk:?} in the body:\n{body}");
    }
    for kept in [
        "Engineers are inspecting the span",
        "We heard a bang like thunder",
        "The crane barge moored downstream",
        "Diversions in place",
        "Police urged drivers",
    ] {
        assert!(body.contains(kept), "{kept:?} missing:\n{body}");
    }
    // The in-text link to the post: the detected sentence gets its URL; the photo its src.
    let e = embedded(&r);
    assert!(
        e.iter().any(|x| x["url"] == "https://x.com/harbourwatch/status/1753987654321098765"
            && x["text"].as_str().unwrap_or_default().starts_with("Footage posted on X")),
        "{e:#?}"
    );
    assert!(
        e.iter().any(|x| x["url"] == "https://ledger.example.com/images/2026/bridge-crane.jpg" && x["kind"] == "image"),
        "{e:#?}"
    );
    assert!(r["detected"]
        .as_array()
        .expect("detected")
        .iter()
        .all(|d| !d["text"].as_str().unwrap_or("").starts_with("Footage posted")));

    // Flags override and the source says what the page said.
    let c2 = Cat::new();
    let out = c2.ok(&[
        "article",
        "add",
        s(&page("cms_jsonld.html")),
        "--url",
        "https://archive.example/x",
        "--author",
        "A. Person",
    ]);
    assert!(out.contains("url: --url overrides the page's link rel=canonical"), "{out}");
    let a = c2.json(&["show", "A1"]);
    let art = if a["article"].is_object() { &a["article"] } else { &a };
    assert_eq!(art["url"], "https://archive.example/x");
    assert_eq!(art["sources"]["url"], "user");
    assert_eq!(art["meta_sources"]["author"]["source"], "--author");
    assert_eq!(art["meta_sources"]["author"]["page"]["value"], "Priya Natarajan");
    c2.ok(&["audit"]);
}

#[test]
fn opengraph_only_latin1_page_in_french() {
    let c = Cat::new();
    let r = import(&c, "og_only.html");
    let (body, lang, ms) = article_row(&c, 1);
    assert!(body.contains("la préfecture") && body.contains("« choqué »"), "ISO-8859-1 decoded: {body}");
    assert!(body.contains("Plusieurs centaines de personnes"), "standfirst kept: {body}");
    for junk in ["Accueil", "Partager", "À lire aussi", "Mentions légales", "Tous droits"] {
        assert!(!body.contains(junk), "{junk:?} in the body:\n{body}");
    }
    assert_eq!(lang.as_deref(), Some("fr"));
    assert_eq!(ms["author"]["source"], "meta article:author");
    assert_eq!(ms["published_at"]["source"], "meta article:published_time");
    assert_eq!(ms["url"]["source"], "meta og:url");
    assert!(r["encoding"].as_str().unwrap_or_default().starts_with("windows-1252"), "{}", r["encoding"]);
    let e = embedded(&r);
    let tiktok = e.iter().find(|x| x["platform"] == "tiktok").expect("tiktok embed");
    assert_eq!(tiktok["url"], "https://www.tiktok.com/@lyonenlutte/video/7325123456789012345");
    assert!(tiktok["text"].as_str().unwrap_or_default().starts_with("Une vidéo publiée sur TikTok montre"), "{tiktok}");
    let det = r["detected"].as_array().expect("detected");
    assert!(
        det.iter().any(|d| d["platform"] == "facebook"
            && d["text"].as_str().unwrap_or("").starts_with("Le maire a écrit sur Facebook")),
        "{det:#?}"
    );
}

#[test]
fn every_platform_embed_found_once_per_url_and_nothing_executes_in_the_report() {
    let c = Cat::new();
    let r = import(&c, "embeds_all.html");
    let e = embedded(&r);
    let want = [
        ("x", "https://x.com/jay_in_stand/status/1766000000000000001", "1766000000000000001"),
        ("instagram", "https://www.instagram.com/p/C4aBcDeFgHi/", "C4aBcDeFgHi"),
        ("tiktok", "https://www.tiktok.com/@northfan/video/7344000000000000002", "7344000000000000002"),
        ("facebook", "https://www.facebook.com/northernfc/posts/1234567890123456", "1234567890123456"),
        ("threads", "https://www.threads.net/@stewardsunion/post/C4xYz12AbCd", "C4xYz12AbCd"),
        ("bluesky", "https://bsky.app/profile/did:plc:abc123xyz/post/3kmnopqrstu2x", "3kmnopqrstu2x"),
        ("youtube", "https://www.youtube.com/watch?v=AbCdEfGhIjK", "AbCdEfGhIjK"),
        ("vimeo", "https://vimeo.com/912345678", "912345678"),
        ("twitch", "https://www.twitch.tv/videos/2090000000", "2090000000"),
        ("telegram", "https://t.me/northultras/4521", "northultras/4521"),
        ("reddit", "https://www.reddit.com/r/northfc/comments/1b9xyz/", "1b9xyz"),
    ];
    for (platform, url, id) in want {
        let hit = e
            .iter()
            .find(|x| x["url"] == url)
            .unwrap_or_else(|| panic!("{platform} {url} not found in {:#?}", urls(&r)));
        assert_eq!(hit["platform"], platform, "{hit}");
        assert_eq!(hit["platform_id"], id, "{hit}");
    }
    assert!(urls(&r).contains(&"https://courier.example.net/media/gate-cctv.mp4".to_string()), "{:?}", urls(&r));
    let img = e.iter().find(|x| x["url"] == "https://courier.example.net/media/north-exit.jpg").expect("img");
    assert_eq!(img["kind"], "image");
    assert!(
        img["text"].as_str().unwrap_or_default().contains("photographed the next morning"),
        "anchored to its caption: {img}"
    );
    assert!(!urls(&r).iter().any(|u| u.starts_with("javascript")));

    // youtu.be and x.com links in the last paragraph are the same posts: no new items.
    let ev: Vec<&str> = e.iter().filter_map(|x| x["evidence"].as_str()).collect();
    let distinct: std::collections::BTreeSet<&str> = ev.iter().copied().collect();
    assert_eq!(distinct.len(), 13, "one evidence per URL: {:#?}", urls(&r));
    let yt: std::collections::BTreeSet<&str> =
        e.iter().filter(|x| x["platform"] == "youtube").filter_map(|x| x["evidence"].as_str()).collect();
    assert_eq!(yt.len(), 1);

    let out = c.work("report.html");
    c.json(&["export", "report", s(&out), "--article", "A1"]);
    let html = std::fs::read_to_string(&out).expect("report");
    let lower = html.to_ascii_lowercase();
    assert!(
        !lower.contains("<script")
            && !lower.contains("javascript:")
            && !lower.contains("onclick")
            && !lower.contains("<iframe"),
        "{html}"
    );
    c.ok(&["audit"]);
}

#[test]
fn live_blog_in_spanish_and_amp_page_in_portuguese() {
    let c = Cat::new();
    let r = import(&c, "liveblog.html");
    let (body, lang, _) = article_row(&c, 1);
    assert_eq!(lang.as_deref(), Some("es-ES"));
    for kept in ["La Aemet mantiene", "Los bomberos han rescatado", "Renfe ha suspendido", "Las lluvias torrenciales"] {
        assert!(body.contains(kept), "{kept:?} missing:\n{body}");
    }
    for junk in ["Portada", "Otras noticias", "El Valencia CF", "Aviso legal"] {
        assert!(!body.contains(junk), "{junk:?} in the body:\n{body}");
    }
    let e = embedded(&r);
    let yt = e.iter().find(|x| x["platform"] == "youtube").expect("youtube");
    assert!(yt["text"].as_str().unwrap_or_default().starts_with("Un vídeo publicado en YouTube muestra"), "{yt}");
    assert!(e.iter().any(|x| x["url"] == "https://x.com/alcaldia_pai/status/1851000000000000003"));

    let r = import(&c, "amp.html");
    let e = embedded(&r);
    for url in [
        "https://x.com/i/status/1787000000000000004",
        "https://www.youtube.com/watch?v=QwErTyUiOpA",
        "https://www.instagram.com/p/C6qRsTuVwXy/",
        "https://gazetadosul.example.com.br/fotos/sarandi-barco.jpg",
    ] {
        assert!(urls(&r).contains(&url.to_string()), "{url} not in {:?}", urls(&r));
    }
    let insta = e.iter().find(|x| x["platform"] == "instagram").expect("instagram");
    assert!(
        insta["text"].as_str().unwrap_or_default().starts_with("Um vídeo publicado no Instagram mostra"),
        "{insta}"
    );
    assert_eq!(insta["kind"], "video", "the Portuguese sentence calls it a video");
    let (body, lang, _) = article_row(&c, 2);
    assert_eq!(lang.as_deref(), Some("pt-BR"));
    assert!(!body.contains("Publicidade") && !body.contains("Início") && !body.contains("Todos os direitos"), "{body}");
    c.ok(&["audit"]);
}

#[test]
fn an_embedded_post_already_in_the_catalog_is_linked_not_duplicated() {
    let c = Cat::new();
    let pre = c.json(&[
        "evidence",
        "add",
        "--kind",
        "video",
        "--platform",
        "twitter",
        "--url",
        "https://mobile.twitter.com/hafenbuendnis/status/1767890123456789012?s=20",
    ]);
    let pre_id = pre["id"].as_str().or(pre["evidence"].as_str()).expect("evidence id").to_string();
    let r = import(&c, "dw_live_protest.html");
    let e = embedded(&r);
    let first = e.iter().find(|x| x["platform_id"] == "1767890123456789012").expect("embed");
    assert_eq!(first["evidence"], pre_id.as_str());
    assert_eq!(first["existing"], true);
    let cited = c.json(&["cited-by", &pre_id]);
    assert!(cited.to_string().contains("Ein Video, das auf X"), "{cited}");
    c.ok(&["audit"]);
}

#[test]
fn saved_webpage_complete_folder_and_mhtml_recover_frame_urls() {
    let c = Cat::new();
    let html = "<html lang=\"en\"><head><title>Dam breach</title></head><body><article><h1>Dam breach floods valley</h1>\
        <p>Residents of the valley were evacuated overnight after the old dam gave way, officials said on Friday morning.</p>\
        <p>Drone footage of the breach was posted on YouTube by the regional government.</p>\
        <iframe src=\"./dam_files/embed.html\"></iframe><p>Water levels are expected to fall by the weekend, the agency said.</p></article></body></html>";
    c.write("saved/dam.html", html.as_bytes());
    c.write(
        "saved/dam_files/embed.html",
        b"<!DOCTYPE html>\n<!-- saved from url=(0041)https://www.youtube.com/embed/Dam1Breach2 -->\n<html><body>player</body></html>",
    );
    c.write("saved/dam_files/style.css", b"body{}");
    let r = c.json(&["article", "add", s(&c.work("saved"))]);
    assert_eq!(urls(&r), vec!["https://www.youtube.com/watch?v=Dam1Breach2".to_string()], "{r:#}");
    assert_eq!(r["saved_as"], "webpage, complete");
    assert!(embedded(&r)[0]["text"].as_str().unwrap_or_default().starts_with("Drone footage of the breach"));

    let qp = html.replace("./dam_files/embed.html", "cid:frame-7A1B@mhtml.blink").replace('=', "=3D");
    let mhtml = format!(
        "From: <Saved by Blink>\r\nSnapshot-Content-Location: https://news.example.org/dam\r\nSubject: Dam breach\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/related;\r\n\ttype=\"text/html\";\r\n\tboundary=\"----MultipartBoundary--xyz----\"\r\n\r\n\
         ------MultipartBoundary--xyz----\r\nContent-Type: text/html\r\nContent-ID: <frame-MAIN@mhtml.blink>\r\nContent-Transfer-Encoding: quoted-printable\r\n\
         Content-Location: https://news.example.org/dam\r\n\r\n{qp}\r\n\
         ------MultipartBoundary--xyz----\r\nContent-Type: text/html\r\nContent-ID: <frame-7A1B@mhtml.blink>\r\nContent-Transfer-Encoding: quoted-printable\r\n\
         Content-Location: https://www.youtube.com/embed/Dam1Breach2\r\n\r\n<html><body>player</body></html>\r\n\
         ------MultipartBoundary--xyz------\r\n"
    );
    let c2 = Cat::new();
    let p = c2.write("dam.mhtml", mhtml.as_bytes());
    let r = c2.json(&["article", "add", s(&p)]);
    assert_eq!(r["saved_as"], "mhtml");
    assert_eq!(urls(&r), vec!["https://www.youtube.com/watch?v=Dam1Breach2".to_string()], "{r:#}");
    let a = c2.json(&["show", "A1"]);
    let art = if a["article"].is_object() { &a["article"] } else { &a };
    assert_eq!(art["url"], "https://news.example.org/dam");
    assert_eq!(art["meta_sources"]["url"]["source"], "mhtml Content-Location");
    // The raw archive is kept byte-exact.
    let sha = art["source_sha256"].as_str().expect("source sha");
    assert_eq!(std::fs::read(c2.object_path(sha)).expect("object"), mhtml.as_bytes());
    c2.ok(&["audit"]);
}

#[test]
fn hostile_pages_give_a_clear_error_or_a_best_effort_body() {
    let c = Cat::new();
    // Deep nesting: 100,000 nested divs around one paragraph.
    let mut deep = String::from("<html><body>");
    deep.push_str(&"<div>".repeat(100_000));
    deep.push_str("<p>A video posted on TikTok shows the deepest paragraph of this page, far below the rest.</p>");
    deep.push_str("</body></html>");
    let p = c.write("deep.html", deep.as_bytes());
    let out = c.cmd().args(["--json", "article", "add", s(&p)]).output().expect("run");
    assert!(matches!(out.status.code(), Some(0) | Some(2)), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));

    // 50 MB of markup: refused with a message naming the file and the limit.
    let big = "<p>x</p>".repeat(50 * 1024 * 1024 / 8);
    let p = c.write("big.html", big.as_bytes());
    let (_, err) = c.fails(&["article", "add", s(&p)], 2);
    assert!(err.contains("big.html") && err.contains("limit"), "{err}");

    // Broken encodings: invalid UTF-8 in an HTML page is replaced, not refused.
    let mut broken = b"<html><body><p>Residents say the water rose within minutes \xFF\xFE\xC3 and the road was cut off by noon.</p><p>The council met on Friday to discuss the repairs to the embankment.</p></body></html>".to_vec();
    broken.extend(b"\xE2\x82");
    let p = c.write("broken.html", &broken);
    c.json(&["article", "add", s(&p)]);

    // A charset lie: <meta> says Latin-1, the bytes are UTF-8.
    let lie = "<html><head><meta charset=\"iso-8859-1\"></head><body><p>Die Straße am Fluss wurde am Montag gesperrt, teilte die Stadtverwaltung mit.</p><p>Die Anwohner müssen Umwege über die Brücke in Kauf nehmen.</p></body></html>";
    let p = c.write("lie.html", lie.as_bytes());
    let r = c.json(&["article", "add", s(&p)]);
    let (body, _, _) = article_row(
        &c,
        r["article"].as_str().and_then(|a| a.strip_prefix('A')).and_then(|n| n.parse().ok()).expect("id"),
    );
    assert!(body.contains("Die Straße am Fluss") && body.contains("müssen"), "{body}");

    // A page that is only script: a clear error.
    let p = c.write("script.html", b"<html><head><script>document.write('<p>hello</p>')</script></head><body><script>var a=1;</script></body></html>");
    let (_, err) = c.fails(&["article", "add", s(&p)], 2);
    assert!(err.contains("no article text"), "{err}");

    // An iframe to a javascript: URL is not evidence and nothing of it reaches the report.
    let js = "<html><body><article><p>The mayor spoke at length to reporters outside the town hall on Monday evening.</p><iframe src=\"javascript:alert('x')\"></iframe><p><a href=\"javascript:alert(2)\">click</a> The meeting ends at nine.</p></article></body></html>";
    let p = c.write("js.html", js.as_bytes());
    let r = c.json(&["article", "add", s(&p)]);
    assert!(embedded(&r).is_empty(), "{r:#}");
    let out = c.work("r.html");
    c.json(&["export", "report", s(&out), "--all"]);
    let html = std::fs::read_to_string(&out).expect("report").to_ascii_lowercase();
    assert!(!html.contains("javascript:") && !html.contains("<script") && !html.contains("<iframe"));
    c.ok(&["audit"]);
}
