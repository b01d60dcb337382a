//! Property and unit tests for saved web pages: decoding, extraction, metadata, embeds.

use proptest::prelude::*;

use super::embeds::canonical;
use super::{decode, parse_article, parse_article_bytes};

/// HTML-ish text: tags the extractor treats specially, embeds, attributes, entities, text.
fn htmlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<p>".to_string()),
        Just("</p>".to_string()),
        Just("<div class=\"share related\">".to_string()),
        Just("<div class=\"article-body\">".to_string()),
        Just("</div>".to_string()),
        Just("<article><h1>Title here</h1>".to_string()),
        Just("</article>".to_string()),
        Just("<nav><a href=\"/\">Home</a></nav>".to_string()),
        Just("<blockquote class=\"twitter-tweet\"><p>tweet</p><a href=\"https://twitter.com/a/status/123456789\">d</a></blockquote>".to_string()),
        Just("<iframe src=\"https://www.youtube.com/embed/AbCdEfGhIjK\"></iframe>".to_string()),
        Just("<iframe src=\"javascript:alert(1)\"></iframe>".to_string()),
        Just("<img src=\"/a.jpg\" alt=\"cap\">".to_string()),
        Just("<figure><video src=\"v.mp4\"></video><figcaption>cap</figcaption></figure>".to_string()),
        Just("<a href=\"https://youtu.be/AbCdEfGhIjK\">link</a>".to_string()),
        Just("<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"headline\":\"H\",\"articleBody\":\"x\"}</script>".to_string()),
        Just("<meta charset=\"iso-8859-1\">".to_string()),
        Just("<br>".to_string()),
        Just("&amp; &#x1F600; ".to_string()),
        "[a-zA-Z0-9 ,.!?äéñ€\u{1F600}]{0,80}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn check(bytes: &[u8], ext: &str) -> Result<(), TestCaseError> {
    if let Ok(a) = parse_article_bytes(bytes, Some(ext)) {
        prop_assert!(!a.body.contains("\n\n\n"), "paragraphs separated by one blank line");
        if let Some(p) = &a.page {
            for e in &p.embeds {
                prop_assert!(a.body.get(e.span.start..e.span.end).is_some(), "embed span {:?} outside body", e.span);
                prop_assert!(e.url.starts_with("http"), "{}", e.url);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn page_bytes_never_panic_and_spans_fit(s in htmlish(), junk in prop::collection::vec(any::<u8>(), 0..64)) {
        check(s.as_bytes(), "html")?;
        let mut b = s.into_bytes();
        b.extend(junk);
        check(&b, "html")?;
        check(&b, "mhtml")?;
    }

    #[test]
    fn any_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&b, "html")?;
        check(&b, "mhtml")?;
        let _ = decode(&b, true);
    }

    #[test]
    fn utf8_text_decodes_to_itself(s in "[^\u{feff}\u{fffe}]{0,200}") {
        prop_assume!(!s.starts_with('\u{feff}'));
        prop_assert_eq!(decode(s.as_bytes(), true).text, s);
    }

    #[test]
    fn canonical_is_idempotent(
        host in prop_oneof![Just("twitter.com"), Just("mobile.twitter.com"), Just("x.com"), Just("www.youtube.com"), Just("youtu.be"),
                            Just("www.instagram.com"), Just("t.me"), Just("www.tiktok.com"), Just("news.example.org")],
        path in "/[a-zA-Z0-9_@./-]{0,40}",
        query in "(\\?[a-z_]{1,8}=[a-zA-Z0-9]{0,12}(&[a-z_]{1,8}=[a-zA-Z0-9]{0,12}){0,3})?",
    ) {
        let u = format!("https://{host}{path}{query}");
        if let Some(m) = canonical(&u, None) {
            let again = canonical(&m.url, None);
            prop_assert!(again.is_some(), "{} -> {} has no canonical form", u, m.url);
            let again = again.unwrap_or(m.clone());
            prop_assert_eq!(&again.url, &m.url, "{}", u);
            prop_assert_eq!(again.id, m.id);
        }
    }
}

#[test]
fn json_ld_graph_and_sources() {
    let html = r#"<html lang="de-AT"><head>
      <script type="application/ld+json">{"@graph":[{"@type":"WebSite","name":"Site"},{"@type":["NewsArticle"],"headline":"Ld headline","author":[{"name":"A One"},{"name":"B Two"}],"datePublished":"2026-01-02T03:04:05Z","publisher":{"name":"Pub"}}]}</script>
      <meta property="og:title" content="OG title"><link rel="canonical" href="https://example.org/a"></head>
      <body><article><h1>H1 title</h1><p>Some paragraph of article text that is long enough to count as content here.</p></article></body></html>"#;
    let a = parse_article(html, Some("html"));
    let p = a.page.expect("page info");
    assert_eq!(a.title.as_deref(), Some("OG title"));
    assert_eq!(p.sources["title"], "meta og:title");
    assert_eq!(a.author.as_deref(), Some("A One, B Two"));
    assert_eq!(p.sources["author"], "json-ld NewsArticle.author");
    assert_eq!(a.published.as_deref(), Some("2026-01-02"));
    assert_eq!(a.publisher.as_deref(), Some("Pub"));
    assert_eq!(a.url.as_deref(), Some("https://example.org/a"));
    assert_eq!(p.lang.as_deref(), Some("de-AT"));
    assert_eq!(super::primary_language("de-AT"), "de");
}

#[test]
fn saved_from_comment_gives_the_url_when_the_page_has_none() {
    let html = "<!-- saved from url=(0031)https://example.org/story.html -->\n<html><body><p>Text of the story that is long enough to be kept as the body of the page.</p></body></html>";
    let a = parse_article(html, Some("html"));
    assert_eq!(a.url.as_deref(), Some("https://example.org/story.html"));
    assert_eq!(a.page.expect("page").sources["url"], "saved from url comment");
}

#[test]
fn deep_nesting_and_misnested_formatting_finish() {
    let mut deep = "<div>".repeat(50_000);
    deep.push_str("<p>Bottom paragraph with enough words to be article text for the extractor.</p>");
    let a = parse_article(&deep, Some("html"));
    assert!(a.body.len() < 1_000);
    let bold = format!("<p>{}</p>", "<b><i><a href=x>".repeat(5_000));
    let _ = parse_article(&bold, Some("html"));
}
