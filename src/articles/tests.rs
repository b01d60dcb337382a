//! Unit and property tests for article import, sentence splitting, detection and quotes.

use proptest::prelude::*;

use super::eval::corpus;
use super::{
    body_sha256, detect_evidence, find_quote, parse_article, split_sentences, Format, ParsedArticle, QuoteMatch, Span,
};

fn sentences(body: &str) -> Vec<&str> {
    split_sentences(body).into_iter().map(|s| s.text(body)).collect()
}

/// Detections of a single-sentence text: (kind, platform).
fn detect_one(text: &str) -> Option<(String, Option<String>)> {
    let spans = split_sentences(text);
    let d = detect_evidence(text, &spans);
    d.into_iter().next().map(|d| (d.kind, d.platform))
}

fn sample(name: &str) -> ParsedArticle {
    let s = corpus().into_iter().find(|s| s.name == name).unwrap_or_else(|| panic!("missing test article {name}"));
    parse_article(&s.raw, s.ext.as_deref())
}

/// The span invariants: in bounds, on char boundaries, non-empty, trimmed, ordered and
/// non-overlapping.
fn check_spans(body: &str, spans: &[Span]) -> Result<(), String> {
    let mut prev_end = 0usize;
    for sp in spans {
        if sp.start >= sp.end || sp.end > body.len() {
            return Err(format!("bad span {sp:?} for body of {} bytes", body.len()));
        }
        if !body.is_char_boundary(sp.start) || !body.is_char_boundary(sp.end) {
            return Err(format!("span {sp:?} not on char boundaries"));
        }
        if sp.start < prev_end {
            return Err(format!("span {sp:?} overlaps or precedes the previous one"));
        }
        let t = &body[sp.start..sp.end];
        if t.trim() != t {
            return Err(format!("span {sp:?} not trimmed: {t:?}"));
        }
        prev_end = sp.end;
    }
    Ok(())
}

// ------------------------------------------------------------------ import

#[test]
fn seed_format_date_title_first_paragraph_and_trailer() {
    let a = sample("quarry_flood.txt");
    assert_eq!(a.format, Format::Seed);
    assert_eq!(a.format.as_str(), "seed");
    assert_eq!(a.published.as_deref(), Some("2025-11-02"));
    assert_eq!(a.title.as_deref(), Some("Millbrook residents flee as quarry wall fails"));
    let s = sentences(&a.body);
    assert!(
        s[0].starts_with("Residents of Millbrook were ordered"),
        "first paragraph kept, date prefix skipped: {:?}",
        s[0]
    );
    assert!(s.iter().all(|t| !t.contains("Originally published")));
    assert!(s.iter().all(|t| !t.contains("date 2025")));
    // The first paragraph is detected like any other.
    let d = detect_evidence(&a.body, &split_sentences(&a.body));
    assert!(d[0].span == split_sentences(&a.body)[0] && d[0].kind == "video");
}

#[test]
fn seed_format_minimal_and_crlf() {
    let raw = " date 2024-02-29 First paragraph here.\r\n\r\nSecond one.\r\n\r\nOriginally published as A title\r\n";
    let a = parse_article(raw, Some("txt"));
    assert_eq!(a.format, Format::Seed);
    assert_eq!(a.published.as_deref(), Some("2024-02-29"));
    assert_eq!(a.title.as_deref(), Some("A title"));
    assert!(!a.body.contains('\r'), "line endings normalized");
    assert_eq!(sentences(&a.body), vec!["First paragraph here.", "Second one."]);
    // An invalid date is no date, but the text is still the body.
    let a = parse_article(" date 2024-02-30 Text.\n\nOriginally published as T\n", None);
    assert_eq!(a.format, Format::Seed);
    assert_eq!(a.published, None);
    assert_eq!(a.title.as_deref(), Some("T"));
}

#[test]
fn plain_text_is_kept_verbatim() {
    let a = sample("kessler_bridge.txt");
    assert_eq!(a.format, Format::Plain);
    assert_eq!(a.title, None);
    assert!(a.body.starts_with("KESSLER FALLS, Ore. (Wire)"));
    let raw = "One line.\r\nTwo line.\rThree.";
    assert_eq!(parse_article(raw, None).body, "One line.\nTwo line.\nThree.");
}

#[test]
fn markdown_front_matter_and_rendering() {
    let a = sample("council_budget.md");
    assert_eq!(a.format, Format::Markdown);
    assert_eq!(a.title.as_deref(), Some("Harwick council's arts budget row spills online"));
    assert_eq!(a.published.as_deref(), Some("2025-09-18"));
    assert_eq!(a.author.as_deref(), Some("Priya Nandakumar"));
    assert_eq!(a.publisher.as_deref(), Some("The Harwick Ledger"));
    assert!(!a.body.contains("**") && !a.body.contains("]("), "{}", a.body);
    assert!(!a.body.contains("title:"), "front matter is not body");
    assert!(a.body.contains("£4.2 million arts budget"));
    assert_eq!(a.links, vec!["https://example.org/chat.png".to_string()]);

    // No front matter: title from the first heading.
    let a = parse_article("# Gate opened\n\nFootage posted on *YouTube* shows it.\n", None);
    assert_eq!(a.format, Format::Markdown);
    assert_eq!(a.title.as_deref(), Some("Gate opened"));
    assert!(a.body.contains("Footage posted on YouTube shows it."));
}

#[test]
fn html_metadata_and_page_furniture_dropped() {
    let a = sample("eastgate_arena.html");
    assert_eq!(a.format, Format::Html);
    assert_eq!(a.title.as_deref(), Some("Crowd surge at Eastgate Arena: what the footage shows"), "og:title wins");
    assert_eq!(a.published.as_deref(), Some("2025-06-21"));
    assert_eq!(a.author.as_deref(), Some("Tomasz Wren"));
    assert_eq!(a.publisher.as_deref(), Some("The Northern Courier"));
    for junk in [
        "dataLayer",
        "video-embed",
        "Photos posted by readers",
        "Live footage from the newsroom",
        "Follow us",
        "Drone footage shows scale",
        "Share this video",
        "photo newsletter",
        "trackVideo",
        "A clip posted on TikTok shows",
    ] {
        assert!(!a.body.contains(junk), "{junk:?} leaked into {}", a.body);
    }
    assert!(a.body.contains("CCTV footage from the arena's north concourse shows"));

    // <title> minus site name, <time datetime>, JSON-LD publisher, div.site-footer dropped.
    let a = sample("ferrow_sitin.html");
    assert_eq!(a.format, Format::Html);
    assert_eq!(
        a.title.as_deref(),
        Some("Ferrow town hall sit-in ends peacefully"),
        "<title> without the site name (the JSON-LD publisher)"
    );
    assert_eq!(a.published.as_deref(), Some("2025-04-09"));
    assert_eq!(a.publisher.as_deref(), Some("Ferrow Valley Gazette"));
    assert!(!a.body.contains("cookies") && !a.body.contains("Photo credits"));

    // <title> fallback with the site suffix stripped.
    let html = "<html><head><title>Gate opened | Gazette</title></head><body><p>A video posted on Facebook shows the gate.</p><p>More text here.</p></body></html>";
    let a = parse_article(html, None);
    assert_eq!(a.format, Format::Html);
    assert_eq!(a.title.as_deref(), Some("Gate opened"));
    assert_eq!(a.body, "A video posted on Facebook shows the gate.\n\nMore text here.");
}

// ------------------------------------------------------------------ sentences

#[test]
fn sentence_offsets_round_trip_on_every_article() {
    let all = corpus();
    assert!(all.len() >= 5);
    for s in all {
        let a = parse_article(&s.raw, s.ext.as_deref());
        let spans = split_sentences(&a.body);
        assert!(!spans.is_empty(), "{}", s.name);
        check_spans(&a.body, &spans).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        for sp in &spans {
            let t = &a.body[sp.start..sp.end];
            assert_eq!(sp.text(&a.body), t);
            assert_eq!(t, t.trim());
        }
    }
}

#[test]
fn abbreviations_decimals_quotes_and_ellipses() {
    let body = "Mr. Smith met Dr. Jones at St. Mary's on Jan. 5 in the U.S. capital. \
                Sales rose to 3.5 million. He said \"it is over.\" Then he left... \
                Nobody followed. Was it true? Yes! The U.S. The end.";
    assert_eq!(
        sentences(body),
        vec![
            "Mr. Smith met Dr. Jones at St. Mary's on Jan. 5 in the U.S. capital.",
            "Sales rose to 3.5 million.",
            "He said \"it is over.\"",
            "Then he left...",
            "Nobody followed.",
            "Was it true?",
            "Yes!",
            "The U.S.",
            "The end.",
        ]
    );
    // "U.S." before a sentence starter ends a sentence; lower case never starts one.
    assert_eq!(
        sentences("He moved to the U.S. The move was hard. He said e.g. this and that."),
        vec!["He moved to the U.S.", "The move was hard.", "He said e.g. this and that."]
    );
    // Curly quotes, and an ellipsis char.
    assert_eq!(sentences("“We are done.” She left… Later, rain."), vec!["“We are done.”", "She left…", "Later, rain."]);
    // Paragraphs never share a sentence; an initial is not a boundary.
    assert_eq!(
        sentences("No full stop here\n\nJ. R. Smith spoke. Then\nit ended."),
        vec!["No full stop here", "J. R. Smith spoke.", "Then\nit ended."]
    );
    assert!(split_sentences("").is_empty());
    assert!(split_sentences(" \n\n \t").is_empty());
}

// ------------------------------------------------------------------ detection

#[test]
fn positives_by_kind_and_platform() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("A clip posted on TikTok shows the guard.", "video", Some("tiktok")),
        ("Footage obtained by the paper shows the fire.", "video", None),
        ("Vision posted online shows the crowd.", "video", None),
        ("Dashcam vision shows the ute swerving.", "video", None),
        ("Drone footage shows the damage.", "video", None),
        ("CCTV shows the man entering.", "video", None),
        ("Body-worn camera footage was released.", "video", None),
        ("The livestream showed the arrest.", "video", None),
        ("He streamed live on Twitch as it happened.", "video", Some("twitch")),
        ("She went live on Facebook Live from the scene.", "video", Some("facebook")),
        ("A video uploaded to Rumble shows the rally.", "video", Some("rumble")),
        ("A photo shared on Instagram shows the crowd.", "image", Some("instagram")),
        ("A screenshot of the message was posted.", "image", None),
        ("He posted a selfie from the roof.", "image", None),
        ("A photograph taken by a neighbour shows the car.", "image", None),
        ("A photo shared on Snapchat shows the party.", "image", Some("snapchat")),
        ("An audio recording obtained by police captures the threat.", "audio", None),
        ("A voice message shared on WhatsApp warned residents.", "audio", Some("whatsapp")),
        ("The mayor wrote in a post on X that he was sorry.", "web", Some("x")),
        ("He tweeted that the bridge was unsafe.", "web", Some("x")),
        ("A post on Parler named the steward.", "web", Some("parler")),
        ("Posts in a Telegram channel claimed the wall leaked.", "web", Some("telegram")),
        ("Users on Reddit shared photos of the flood.", "image", Some("reddit")),
        ("A video posted to YouTube shows the crash.", "video", Some("youtube")),
    ];
    for (text, kind, platform) in cases {
        let got = detect_one(text);
        assert_eq!(got, Some((kind.to_string(), platform.map(str::to_string))), "{text}");
    }
    let live = detect_evidence(
        "The crash was broadcast live by a news helicopter.",
        &split_sentences("The crash was broadcast live by a news helicopter."),
    );
    assert!(live.first().is_some_and(|d| d.live && d.kind == "video"));
}

#[test]
fn negatives_are_not_detected() {
    for text in [
        "The company's video strategy has cost millions.",
        "The race ended in a photo finish.",
        "The image of the city suffered for years.",
        "He has a clear picture of events.",
        "She is a recording artist from Ohio.",
        "Parents worry about screen time.",
        "The mayor outlined the vision for the city's future.",
        "The council's vision for the precinct is unchanged.",
        "Sales of video games rose.",
        "X said in a statement that it does not comment on accounts.",
        "The company deleted its Facebook page.",
        "Its Twitch channel gained 4,000 followers.",
        "Anyone with dashcam footage is urged to contact police.",
        "They will post a live stream of the meeting if the council does not.",
        "Picket lines will be livestreamed on the union's YouTube channel from Monday.",
        "Police said the footage would be released next week.",
        "Families who live near the quarry were evacuated.",
        "Officers posted at the gate followed the plan.",
        "The driver may have had tunnel vision.",
        "He kept a telegram from the palace.",
        "He did not twitch when asked.",
        "The snap election drew a record crowd.",
    ] {
        assert_eq!(detect_one(text), None, "{text}");
    }
}

#[test]
fn detection_skips_spans_that_do_not_fit() {
    let body = "A clip posted on TikTok shows the guard.";
    let spans = [Span { start: 0, end: 999 }, Span { start: 5, end: 2 }, Span { start: 0, end: body.len() }];
    let d = detect_evidence(body, &spans);
    assert_eq!(d.len(), 1);
    assert!(d[0].confidence > 0.0 && d[0].confidence <= 1.0);
    assert!(d[0].cues.iter().any(|c| c == "clip"));
}

#[test]
fn adversarial_inputs_do_not_panic() {
    let big = [
        ">".repeat(20_000),
        "<div>".repeat(5_000),
        "[".repeat(20_000),
        "a. B".repeat(20_000),
        "*_".repeat(20_000),
        "\n".repeat(20_000),
        format!(" date 2024-01-01 {}", "é.".repeat(10_000)),
        "Originally published as".to_string(),
        " date 9999-99-99".to_string(),
        "---\ntitle: x\n".to_string(),
    ];
    for raw in &big {
        for ext in [None, Some("md"), Some("html"), Some("txt")] {
            let a = parse_article(raw, ext);
            let spans = split_sentences(&a.body);
            check_spans(&a.body, &spans).unwrap_or_else(|e| panic!("{e}"));
            let _ = detect_evidence(&a.body, &spans);
        }
        let _ = find_quote(raw, "a. B a. B");
    }
}

#[test]
fn rules_compile() {
    assert!(super::detect::rules().is_ok());
}

// ------------------------------------------------------------------ quotes

const QBODY: &str = "A clip posted on TikTok shows a guard waving people through the side door.\n\n\
    The company said it was \"reviewing the footage.\"\n\n\
    A photo shared on Instagram shows a guard posing for a selfie.";

#[test]
fn quote_exact_unique() {
    let q = "waving people through the side door";
    match find_quote(QBODY, q) {
        QuoteMatch::Unique(sp) => assert_eq!(sp.text(QBODY), q),
        other => panic!("{other:?}"),
    }
    // Surrounding whitespace in the quote is ignored.
    assert!(matches!(find_quote(QBODY, "  shows a guard waving \n"), QuoteMatch::Unique(_)));
}

#[test]
fn quote_tolerant_whitespace_case_and_curly_quotes() {
    match find_quote(QBODY, "the company  said it was “Reviewing\nthe footage.”") {
        QuoteMatch::Unique(sp) => {
            assert_eq!(sp.text(QBODY), "The company said it was \"reviewing the footage.\"")
        }
        other => panic!("{other:?}"),
    }
    let body = "She said it’s “over” now.";
    match find_quote(body, "it's \"over\"") {
        QuoteMatch::Unique(sp) => assert_eq!(sp.text(body), "it’s “over”"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn quote_not_found_suggests_sentences() {
    match find_quote(QBODY, "a guard waving people through the front door") {
        QuoteMatch::NotFound { suggestions } => {
            assert!(!suggestions.is_empty() && suggestions.len() <= 3);
            assert!(suggestions[0].1.contains("side door"), "{suggestions:?}");
            for (sp, text) in &suggestions {
                assert_eq!(sp.text(QBODY), text);
            }
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(find_quote(QBODY, "   "), QuoteMatch::NotFound { suggestions: Vec::new() });
    assert_eq!(find_quote(QBODY, "zzz qqq"), QuoteMatch::NotFound { suggestions: Vec::new() });
}

#[test]
fn quote_ambiguous_lists_spans() {
    match find_quote(QBODY, "a guard") {
        QuoteMatch::Ambiguous(spans) => {
            assert_eq!(spans.len(), 2);
            assert!(spans.iter().all(|s| s.text(QBODY) == "a guard"));
            assert!(spans[0].start < spans[1].start);
        }
        other => panic!("{other:?}"),
    }
    // Tolerant matches can be ambiguous too.
    assert!(matches!(
        find_quote(QBODY, "A  GUARD"),
        QuoteMatch::Ambiguous(v) if v.len() == 2
    ));
}

#[test]
fn body_hash_is_stable() {
    assert_eq!(body_sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(body_sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    for s in corpus() {
        let a = parse_article(&s.raw, s.ext.as_deref());
        let b = parse_article(&s.raw, s.ext.as_deref());
        assert_eq!(body_sha256(&a.body), body_sha256(&b.body), "{}", s.name);
        // CRLF and LF copies of a file import to the same body.
        let crlf = s.raw.replace('\n', "\r\n");
        let c = parse_article(&crlf, s.ext.as_deref());
        assert_eq!(body_sha256(&a.body), body_sha256(&c.body), "{}", s.name);
    }
}

// ------------------------------------------------------------------ properties

/// Text built from fragments that exercise the splitter and detector: terminators, quotes,
/// abbreviations, multi-byte chars, blank lines, seed markers, markup.
fn texty() -> impl Strategy<Value = String> {
    let frag = prop_oneof![
        Just(". ".to_string()),
        Just("...".to_string()),
        Just("…".to_string()),
        Just("?\" ".to_string()),
        Just("!” ".to_string()),
        Just("U.S. ".to_string()),
        Just("Dr. ".to_string()),
        Just("3.5 ".to_string()),
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just("\r\n".to_string()),
        Just(" date 2024-01-02 ".to_string()),
        Just("Originally published as ".to_string()),
        Just("- ".to_string()),
        Just("1. ".to_string()),
        Just("<p>".to_string()),
        Just("</p>".to_string()),
        Just("# ".to_string()),
        Just("---\n".to_string()),
        Just("A clip posted on TikTok shows ".to_string()),
        Just("vision ".to_string()),
        Just(" on X ".to_string()),
        Just("é".to_string()),
        Just("日本".to_string()),
        Just("🎥".to_string()),
        Just("\u{200b}".to_string()),
        "[A-Za-z ]{0,12}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(frag, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn split_sentences_spans_are_valid(s in prop_oneof![texty(), any::<String>()]) {
        let spans = split_sentences(&s);
        if let Err(e) = check_spans(&s, &spans) {
            return Err(TestCaseError::fail(e));
        }
        for d in detect_evidence(&s, &spans) {
            prop_assert!(spans.contains(&d.span));
            prop_assert!(["video", "image", "audio", "web"].contains(&d.kind.as_str()));
        }
    }

    #[test]
    fn parse_article_never_panics(s in prop_oneof![texty(), any::<String>()],
                                  ext in prop::option::of(prop_oneof![
                                      Just("txt"), Just("md"), Just("html"), Just("weird")])) {
        let a = parse_article(&s, ext);
        prop_assert!(!a.body.contains('\r'));
        let spans = split_sentences(&a.body);
        if let Err(e) = check_spans(&a.body, &spans) {
            return Err(TestCaseError::fail(e));
        }
        let _ = detect_evidence(&a.body, &spans);
    }

    #[test]
    fn find_quote_never_panics_and_spans_fit(body in prop_oneof![texty(), any::<String>()],
                                             quote in prop_oneof![texty(), any::<String>()]) {
        let fits = |sp: &Span| sp.start < sp.end && sp.end <= body.len()
            && body.is_char_boundary(sp.start) && body.is_char_boundary(sp.end);
        match find_quote(&body, &quote) {
            QuoteMatch::Unique(sp) => prop_assert!(fits(&sp)),
            QuoteMatch::Ambiguous(v) => {
                prop_assert!(v.len() > 1);
                prop_assert!(v.iter().all(fits));
            }
            QuoteMatch::NotFound { suggestions } => {
                prop_assert!(suggestions.len() <= 3);
                for (sp, t) in &suggestions {
                    prop_assert!(fits(sp));
                    prop_assert_eq!(sp.text(&body), t.as_str());
                }
            }
        }
    }

    #[test]
    fn find_quote_finds_any_substring(body in texty(), a in 0usize..200, len in 1usize..40) {
        // Any non-blank slice of the body is found (uniquely or ambiguously), at a span whose
        // text is that slice modulo the tolerant folding.
        let mut start = a.min(body.len());
        while !body.is_char_boundary(start) { start -= 1; }
        let mut end = (start + len).min(body.len());
        while !body.is_char_boundary(end) { end -= 1; }
        let q = &body[start..end];
        prop_assume!(!q.trim().is_empty());
        match find_quote(&body, q) {
            QuoteMatch::Unique(sp) => prop_assert_eq!(sp.text(&body), q.trim()),
            QuoteMatch::Ambiguous(v) => prop_assert!(v.iter().any(|sp| sp.text(&body) == q.trim())),
            QuoteMatch::NotFound { .. } => prop_assert!(false, "{:?} not found in {:?}", q, body),
        }
    }
}
