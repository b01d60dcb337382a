//! Articles, claims, links and the newsroom questions, on catalogs built here.

mod common;

use common::{media, registered, s, Cat};

const ARTICLE: &str = " date 2026-02-02 A short report on the ferry terminal sit-in, written for these tests.

A clip posted on TikTok shows a guard waving people through the side door.

The company's video strategy was not discussed at the meeting.

A photo shared on Instagram shows a guard posing for a selfie with a protester.

Organisers said 300 people attended, and Dr. Lee said the figure was 3.5 times last year's.

Originally published as Ferry terminal sit-in draws hundreds
";

fn with_article(c: &Cat) -> serde_json::Value {
    let p = c.write("article.txt", ARTICLE.as_bytes());
    c.json(&["article", "add", s(&p), "--publisher", "Test Gazette"])
}

#[test]
fn import_seed_format_detects_evidence_and_is_idempotent() {
    let c = Cat::new();
    let r = with_article(&c);
    assert_eq!(r["article"], "A1");
    assert_eq!(r["already_imported"], false);
    assert_eq!(r["title"], "Ferry terminal sit-in draws hundreds");
    let detected = r["detected"].as_array().unwrap();
    let texts: Vec<&str> = detected.iter().map(|d| d["text"].as_str().unwrap()).collect();
    assert!(texts.iter().any(|t| t.starts_with("A clip posted on TikTok")), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("A photo shared on Instagram")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("video strategy")), "{texts:?}");
    let tiktok = detected.iter().find(|d| d["platform"] == "tiktok").unwrap();
    assert_eq!(tiktok["kind"], "video");

    let a = c.json(&["show", "A1"]);
    assert_eq!(a["article"]["published_at"], "2026-02-02");
    assert_eq!(a["article"]["publisher"], "Test Gazette");
    assert_eq!(a["article"]["sources"]["publisher"], "user");
    assert_eq!(a["article"]["sources"]["title"], "file");
    let body = a["article"]["body"].as_str().unwrap();
    assert_eq!(body, ARTICLE, "body stored verbatim");
    for claim in a["claims"].as_array().unwrap() {
        let (st, en) = (claim["start_byte"].as_u64().unwrap() as usize, claim["end_byte"].as_u64().unwrap() as usize);
        assert_eq!(&body[st..en], claim["text"].as_str().unwrap());
        assert_eq!(claim["status"], "detected");
    }
    // Detected evidence is referenced, waiting to be acquired.
    let todo = c.json(&["list", "evidence", "--status", "referenced"]);
    assert_eq!(todo.as_array().unwrap().len(), detected.len());

    let again = with_article(&c);
    assert_eq!(again["already_imported"], true);
    assert_eq!(again["article"], "A1");
    assert_eq!(c.json(&["list", "articles"]).as_array().unwrap().len(), 1);
    assert_eq!(c.json(&["list", "evidence"]).as_array().unwrap().len(), detected.len());
    let text = c.ok(&["show", "A1"]);
    assert!(text.contains("⟦C1 "), "claims are marked in the text: {text}");
}

#[test]
fn markdown_and_html_imports_take_title_and_drop_markup() {
    let c = Cat::new();
    let md = "---\ntitle: Harbour report\ndate: 2026-01-05\n---\n# Harbour report\n\nFootage posted on **YouTube** shows the *gate* opening.\n";
    let p = c.write("a.md", md.as_bytes());
    let r = c.json(&["article", "add", s(&p)]);
    let a = c.json(&["show", r["article"].as_str().unwrap()]);
    assert_eq!(a["article"]["format"], "markdown");
    assert_eq!(a["article"]["title"], "Harbour report");
    let body = a["article"]["body"].as_str().unwrap();
    assert!(!body.contains("**") && body.contains("YouTube"), "{body}");

    let html = "<html><head><title>Gate | Gazette</title><style>p{}</style><script>var x='clip posted on TikTok';</script></head>
<body><nav>Home | World</nav><article><h1>Gate opened</h1><p>A video posted on Facebook shows the gate opening.</p></article><footer>(c) Gazette</footer></body></html>";
    let p = c.write("b.html", html.as_bytes());
    let r = c.json(&["article", "add", s(&p), "--published", "2026-01-06"]);
    let a = c.json(&["show", r["article"].as_str().unwrap()]);
    assert_eq!(a["article"]["format"], "html");
    assert_eq!(a["article"]["published_at"], "2026-01-06");
    let body = a["article"]["body"].as_str().unwrap();
    assert!(body.contains("A video posted on Facebook shows the gate opening."), "{body}");
    assert!(!body.contains("var x") && !body.contains("p{}"), "{body}");
    let detected = r["detected"].as_array().unwrap();
    assert_eq!(detected.len(), 1, "{detected:?}");
    assert_eq!(detected[0]["platform"], "facebook");
}

#[test]
fn quote_lookup_exact_forgiving_missing_and_ambiguous() {
    let c = Cat::new();
    with_article(&c);
    let m = c.json(&["claim", "add", "--article", "A1", "--quote", "Organisers said 300 people attended"]);
    assert_eq!(m["already_marked"], false);
    let claim = &m["claim"];
    assert_eq!(claim["status"], "asserted");
    let (st, en) = (claim["start_byte"].as_u64().unwrap() as usize, claim["end_byte"].as_u64().unwrap() as usize);
    assert_eq!(&ARTICLE[st..en], "Organisers said 300 people attended");
    // Whitespace and case differences are forgiven; the span is in the original text.
    let m2 = c.json(&["claim", "add", "--article", "A1", "--quote", "organisers  said 300\npeople attended"]);
    assert_eq!(m2["already_marked"], true);
    assert_eq!(m2["claim"]["id"], claim["id"]);
    // A quote not in the text: error with suggestions.
    let (_, err) =
        c.fails(&["claim", "add", "--article", "A1", "--quote", "a guard waving people through the front door"], 2);
    assert!(err.contains("not found"), "{err}");
    assert!(err.contains("side door"), "suggests the closest sentence: {err}");
    // Ambiguous.
    let (_, err) = c.fails(&["claim", "add", "--article", "A1", "--quote", "a guard"], 2);
    assert!(err.contains("occurs 2 times"), "{err}");
    // Standalone claims.
    let st = c.json(&["claim", "add", "--text", "The side door was locked all day."]);
    assert_eq!(st["claim"]["article_id"], serde_json::Value::Null);
    c.fails(&["claim", "add", "--article", "A9", "--quote", "x"], 2);
}

#[test]
fn links_validate_ranges_and_regions() {
    let c = Cat::new();
    with_article(&c);
    let clip = media::make_mp4(&c.work(""), "door.mp4", 3, 320, 240, None);
    let r = c.json(&["add", s(&clip)]);
    let video_ev = registered(&r)[0]["evidence"].as_str().unwrap().to_string();
    let photo = c.write("selfie.jpg", &media::jpeg_bytes(400, 300, 8));
    let r = c.json(&["add", s(&photo)]);
    let photo_ev = registered(&r)[0]["evidence"].as_str().unwrap().to_string();

    let l = c.json(&["link", "C1", &video_ev, "--relation", "depicts", "--at", "00:01-00:02.5", "--note", "door"]);
    assert_eq!(l["range"]["start_ms"], 1000);
    assert_eq!(l["range"]["end_ms"], 2500);
    let (_, err) = c.fails(&["link", "C1", &video_ev, "--relation", "depicts", "--at", "00:01-00:09"], 2);
    assert!(err.contains("ends after the end"), "{err}");
    c.fails(&["link", "C1", &video_ev, "--relation", "depicts", "--at", "00:05-00:02"], 2);
    c.fails(&["link", "C1", &video_ev, "--relation", "depicts", "--at", "1:75-2:00"], 2);
    let (_, err) =
        c.fails(&["link", "C1", &video_ev, "--relation", "depicts", "--at", "00:01-00:02.5", "--note", "again"], 2);
    assert!(err.contains("already linked"), "{err}");

    c.json(&["link", "C2", &photo_ev, "--relation", "supports", "--region", "10,10,100,100"]);
    let (_, err) = c.fails(&["link", "C2", &photo_ev, "--relation", "depicts", "--region", "350,10,100,100"], 2);
    assert!(err.contains("beyond the 400x300"), "{err}");
    let (_, err) = c.fails(&["link", "C2", &photo_ev, "--relation", "depicts", "--at", "00:01-00:02"], 2);
    assert!(err.contains("image evidence"), "{err}");
    c.fails(&["link", "C2", &photo_ev, "--relation", "proves"], 2);
    c.fails(&["link", "C99", &photo_ev, "--relation", "depicts"], 2);

    let id = l["id"].as_str().unwrap();
    c.ok(&["unlink", id, "--reason", "wrong clip"]);
    c.fails(&["show", id], 2);
    let timeline = c.json(&["custody", id]);
    let actions: Vec<&str> = timeline.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["linked", "unlinked"]);
    c.ok(&["audit"]);
}

#[test]
fn newsroom_questions() {
    let c = Cat::new();
    let r = with_article(&c);
    let detected = r["detected"].as_array().unwrap();
    let tiktok = detected.iter().find(|d| d["platform"] == "tiktok").unwrap();
    let (claim, ev) = (tiktok["claim"].as_str().unwrap().to_string(), tiktok["evidence"].as_str().unwrap().to_string());

    // Before acquisition every non-rejected claim is unsupported.
    let unsupported = c.json(&["claims", "--unsupported"]);
    assert_eq!(unsupported.as_array().unwrap().len(), detected.len());

    let clip = media::make_mp4(&c.work(""), "tt.mp4", 2, 160, 120, None);
    let r = c.json(&["add", s(&clip), "--evidence", &ev]);
    let file = registered(&r)[0]["file"].as_str().unwrap().to_string();
    c.ok(&["claim", "confirm", &claim]);
    c.ok(&["link", &claim, &ev, "--relation", "depicts", "--at", "00:00-00:01"]);
    let unsupported = c.json(&["claims", "--unsupported"]);
    assert!(!unsupported.as_array().unwrap().iter().any(|c2| c2["id"] == claim.as_str()));
    assert_eq!(unsupported.as_array().unwrap().len(), detected.len() - 1);
    // Rejecting a claim removes it from the question.
    let other = detected.iter().find(|d| d["platform"] != "tiktok").unwrap()["claim"].as_str().unwrap().to_string();
    c.ok(&["claim", "reject", &other, "--reason", "not evidence"]);
    assert_eq!(c.json(&["claims", "--unsupported"]).as_array().unwrap().len(), detected.len() - 2);

    // cited-by works from evidence and from the file.
    for id in [ev.as_str(), file.as_str()] {
        let cites = c.json(&["cited-by", id]);
        assert!(
            cites.as_array().unwrap().iter().any(|x| x["claim"] == claim.as_str() && x["article"] == "A1"),
            "{cites:#}"
        );
    }

    c.ok(&["audit"]);
    let t = c.json(&["trace", &claim]);
    assert_eq!(t["claim"]["status"], "confirmed");
    let depicts = t["links"].as_array().unwrap().iter().find(|l| l["link"]["relation"] == "depicts").unwrap();
    assert_eq!(depicts["files"][0]["fixity"], "ok");
    assert_eq!(depicts["files"][0]["file"]["id"], file.as_str());
    assert!(t["last_audit"]["seq"].as_u64().is_some());
    let text = c.ok(&["trace", &claim]);
    assert!(text.contains("└─") && text.contains("fixity ok") && text.contains("last audit"), "{text}");
}

#[test]
fn search_covers_articles_and_claims() {
    let c = Cat::new();
    with_article(&c);
    let hits = c.json(&["search", "ferry"]);
    assert!(hits.as_array().unwrap().iter().any(|h| h["id"] == "A1"));
    let hits = c.json(&["search", "waving"]);
    assert!(hits.as_array().unwrap().iter().any(|h| h["kind"] == "claim"));
}
