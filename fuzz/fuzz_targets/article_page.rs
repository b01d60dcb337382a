#![no_main]
//! Saved-page bytes (HTML in any charset, or MHTML) through decoding, main-text extraction,
//! metadata, embeds and detection by language: no panic, no hang, and every embed's span lies
//! on character boundaries inside the body.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let ext = ["html", "mhtml", "htm"][usize::from(selector) % 3];
    let Ok(parsed) = evcat::articles::parse_article_bytes(rest, Some(ext)) else { return };
    let body = &parsed.body;
    if let Some(page) = &parsed.page {
        for e in &page.embeds {
            assert!(body.get(e.span.start..e.span.end).is_some(), "embed span {:?} outside body", e.span);
            assert!(e.url.starts_with("http://") || e.url.starts_with("https://"), "non-http URL {}", e.url);
        }
        let lang = page.lang.as_deref().map(evcat::articles::primary_language);
        let sentences = evcat::articles::split_sentences(body);
        let _ = evcat::articles::detect_evidence_in(body, &sentences, lang.as_deref());
    }
});
