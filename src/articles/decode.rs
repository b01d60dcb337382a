//! Bytes of a saved page to text: byte-order mark, then the page's own `<meta charset>`
//! (checked against the bytes, because saved pages lie), then windows-1252.
//!
//! Why the declared charset is not simply obeyed: a page saved by a browser is written in
//! UTF-8 by the browser while its `<meta>` still names the server's charset (a "charset
//! lie"); decoding such bytes as ISO-8859-1 turns every non-ASCII letter into mojibake. Bytes
//! that are valid UTF-8 and contain non-ASCII sequences are, in practice, UTF-8 (the chance
//! that legacy-encoded text forms valid multi-byte UTF-8 is tiny), so they win over the label.
//! Bytes that are not valid UTF-8 are decoded with the declared legacy encoding, and
//! malformed sequences become U+FFFD: a best-effort body, never an error.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// The decoded text and how it was decoded (for the import report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The encoding used, by its WHATWG name ("UTF-8", "windows-1252", "Shift_JIS", ...).
    pub encoding: &'static str,
    /// Why that encoding: "bom", "utf-8", "meta", "meta ignored: bytes are UTF-8", "default".
    pub reason: &'static str,
    /// True when malformed byte sequences were replaced with U+FFFD.
    pub had_errors: bool,
}

/// How many bytes are searched for a `<meta charset>` (the HTML standard's prescan reads 1024;
/// saved pages often put long comments and scripts first, so a little more is read).
const PRESCAN: usize = 4096;

/// Decode a page's bytes; `html` enables the `<meta charset>` prescan.
pub fn decode(bytes: &[u8], html: bool) -> Decoded {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded { text: text.into_owned(), encoding: enc.name(), reason: "bom", had_errors };
    }
    let utf8_ok = std::str::from_utf8(bytes).is_ok();
    let declared = if html { prescan_charset(&bytes[..bytes.len().min(PRESCAN)]) } else { None };
    match declared {
        // A page cannot really be UTF-16 without a BOM once it has an ASCII <meta>; the
        // standard maps such labels to UTF-8.
        Some(enc) if enc == UTF_16LE || enc == UTF_16BE || enc == UTF_8 => utf8(bytes, "meta"),
        Some(_) if utf8_ok && !bytes.is_ascii() => utf8(bytes, "meta ignored: bytes are UTF-8"),
        Some(enc) => {
            let (text, _, had_errors) = enc.decode(bytes);
            Decoded { text: text.into_owned(), encoding: enc.name(), reason: "meta", had_errors }
        }
        None if utf8_ok => utf8(bytes, "utf-8"),
        None => {
            let (text, _, had_errors) = WINDOWS_1252.decode(bytes);
            Decoded { text: text.into_owned(), encoding: WINDOWS_1252.name(), reason: "default", had_errors }
        }
    }
}

fn utf8(bytes: &[u8], reason: &'static str) -> Decoded {
    let (text, had_errors) = UTF_8.decode_without_bom_handling(bytes);
    Decoded { text: text.into_owned(), encoding: UTF_8.name(), reason, had_errors }
}

/// The charset named by the first `<meta charset=...>` or
/// `<meta http-equiv="Content-Type" content="...; charset=...">` in `head` (ASCII-case
/// insensitive, quotes optional). Unknown labels are ignored.
fn prescan_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = lower[start..].iter().position(|&b| b == b'>').map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let mut rest = &tag[c + b"charset".len()..];
            rest = trim_start(rest);
            if let Some(r) = rest.strip_prefix(b"=") {
                let r = trim_start(r);
                let r = r.strip_prefix(b"\"").or_else(|| r.strip_prefix(b"'")).unwrap_or(r);
                let label_end = r
                    .iter()
                    .position(|&b| b == b'"' || b == b'\'' || b == b';' || b == b'/' || b.is_ascii_whitespace())
                    .unwrap_or(r.len());
                if let Some(enc) = Encoding::for_label(&r[..label_end]) {
                    return Some(enc);
                }
            }
        }
        from = end.max(start + 1);
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_without_declaration() {
        let d = decode("<p>Grüße</p>".as_bytes(), true);
        assert_eq!((d.text.as_str(), d.encoding, d.reason), ("<p>Grüße</p>", "UTF-8", "utf-8"));
    }

    #[test]
    fn declared_legacy_charset_is_used_for_legacy_bytes() {
        let mut page = b"<html><head><meta charset=\"iso-8859-1\"></head><body><p>Gr".to_vec();
        page.extend([0xFC, 0xDF, 0x65]); // "üße" in Latin-1
        page.extend(b"</p>");
        let d = decode(&page, true);
        assert!(d.text.contains("Grüße"), "{}", d.text);
        assert_eq!(d.encoding, "windows-1252");
        assert!(!d.had_errors);
    }

    #[test]
    fn charset_lie_utf8_bytes_win_over_the_label() {
        let page = "<meta http-equiv='Content-Type' content='text/html; charset=ISO-8859-1'><p>Straße, café</p>";
        let d = decode(page.as_bytes(), true);
        assert!(d.text.contains("Straße, café"));
        assert_eq!(d.reason, "meta ignored: bytes are UTF-8");
    }

    #[test]
    fn shift_jis_and_bom() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("<meta charset=shift_jis><p>日本語</p>");
        let d = decode(&sjis, true);
        assert!(d.text.contains("日本語"));
        let mut bom = vec![0xFF, 0xFE];
        for u in "<p>hé</p>".encode_utf16() {
            bom.extend(u.to_le_bytes());
        }
        let d = decode(&bom, true);
        assert_eq!((d.text.as_str(), d.reason), ("<p>hé</p>", "bom"));
    }

    #[test]
    fn broken_bytes_are_replaced_not_refused() {
        let d = decode(&[b'<', b'p', b'>', 0xFF, 0xFE, 0xC3, b'<'], false);
        assert!(d.text.starts_with("<p>"));
        let d = decode(b"<meta charset=utf-8><p>\xC3\x28</p>", true);
        assert!(d.had_errors && d.text.contains('\u{fffd}'));
    }

    #[test]
    fn unknown_label_and_unterminated_meta() {
        assert_eq!(decode(b"<meta charset=klingon><p>x</p>", true).reason, "utf-8");
        assert_eq!(decode(b"<meta charset=", true).reason, "utf-8");
        assert_eq!(decode(b"<meta", true).encoding, "UTF-8");
    }
}
