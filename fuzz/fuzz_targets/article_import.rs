#![no_main]
//! Article parsing, sentence splitting, detection and quote lookup on any text:
//! no panic, and every span lies on character boundaries inside the body.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let ext = ["txt", "md", "html", "htm"][usize::from(selector) % 4];
    let parsed = evcat::articles::parse_article(&text, Some(ext));
    let body = &parsed.body;
    let sentences = evcat::articles::split_sentences(body);
    for s in &sentences {
        assert!(s.start <= s.end && body.get(s.start..s.end).is_some(), "span {s:?} outside body");
    }
    let _ = evcat::articles::detect_evidence(body, &sentences);
    if let Some(s) = sentences.first() {
        let _ = evcat::articles::find_quote(body, s.text(body));
    }
    let _ = evcat::articles::find_quote(body, &text);
});
