//! PNG metadata the generic prefix scan cannot see: chunks after the image
//! data, zlib-compressed `iTXt`/`zTXt` text, and ImageMagick's
//! "Raw profile type exif|xmp|iptc|8bim|APP1" text chunks (hex-encoded
//! profiles: how `convert`/`mogrify` and many web pipelines carry a JPEG's
//! EXIF, XMP and IPTC into a PNG). Also the standard `tEXt` keywords a
//! verifier reads (`Software`, `Author`, `Creation Time`, `Description`).
//!
//! The walk seeks from chunk header to chunk header (bounded count), reads
//! only text and `eXIf` chunks (bounded size), and inflates with a bounded
//! output, so a PNG of any size or a zlib bomb costs the same.

use std::io::{self, Read, Seek, SeekFrom};

use super::{exif, iptc, xmp, MediaFacts};

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
/// Chunks walked before giving up (a 1 GB PNG in 8 KiB IDATs has ~130,000).
const MAX_CHUNKS: usize = 200_000;
/// Largest metadata chunk read (Photoshop XMP with history reaches ~1 MB).
const MAX_CHUNK: u32 = 8 << 20;
/// Largest inflated text or decoded profile kept.
const MAX_TEXT: u64 = 8 << 20;

/// A text chunk's keyword and its (inflated) text bytes.
struct Text {
    keyword: String,
    text: Vec<u8>,
}

/// Read the metadata chunks of a PNG (after the prefix scan, which reads an
/// early `eXIf`; XMP in PNG is read here only, wherever its chunk sits).
pub(super) fn png_facts<R: Read + Seek>(r: &mut R, size: u64, facts: &mut MediaFacts) -> io::Result<()> {
    r.seek(SeekFrom::Start(0))?;
    let mut sig = [0u8; 8];
    if r.read_exact(&mut sig).is_err() || &sig != SIGNATURE {
        return Ok(());
    }
    let mut at = 8u64;
    for _ in 0..MAX_CHUNKS {
        let mut head = [0u8; 8];
        if at + 12 > size || r.read_exact(&mut head).is_err() {
            break;
        }
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let kind = [head[4], head[5], head[6], head[7]];
        let next = at + 12 + u64::from(len);
        if next > size {
            facts.warnings.push(format!("PNG: chunk {} at byte {at} runs past the end of the file", tag(&kind)));
            break;
        }
        if &kind == b"IEND" {
            break;
        }
        let wanted = matches!(&kind, b"tEXt" | b"zTXt" | b"iTXt" | b"eXIf");
        if wanted && len <= MAX_CHUNK {
            let mut data = vec![0u8; len as usize];
            r.read_exact(&mut data)?;
            chunk(&kind, &data, facts);
        } else if wanted {
            facts.warnings.push(format!("PNG: {} chunk of {len} bytes skipped (over {MAX_CHUNK})", tag(&kind)));
        }
        r.seek(SeekFrom::Start(next))?;
        at = next;
    }
    Ok(())
}

fn tag(kind: &[u8; 4]) -> String {
    String::from_utf8_lossy(kind).into_owned()
}

fn chunk(kind: &[u8; 4], data: &[u8], facts: &mut MediaFacts) {
    if kind == b"eXIf" {
        // The prefix scan read an early eXIf already; a late one (after
        // IDAT, which some writers emit) is only seen here.
        if !facts.has_exif {
            exif::from_tiff(data, facts);
        }
        return;
    }
    let parsed = match kind {
        b"tEXt" => text_chunk(data),
        b"zTXt" => ztxt_chunk(data),
        _ => itxt_chunk(data),
    };
    match parsed {
        Ok(t) => text(&t, facts),
        Err(e) => facts.warnings.push(format!("PNG {}: {e}", tag(kind))),
    }
}

fn split_keyword(data: &[u8]) -> Result<(String, &[u8]), String> {
    let nul = memchr::memchr(0, data).filter(|&n| (1..=79).contains(&n)).ok_or("no keyword")?;
    // Keywords are Latin-1 by the specification.
    let keyword = data[..nul].iter().map(|&c| char::from(c)).collect();
    Ok((keyword, &data[nul + 1..]))
}

fn text_chunk(data: &[u8]) -> Result<Text, String> {
    let (keyword, rest) = split_keyword(data)?;
    Ok(Text { keyword, text: rest.to_vec() })
}

fn ztxt_chunk(data: &[u8]) -> Result<Text, String> {
    let (keyword, rest) = split_keyword(data)?;
    let (&method, body) = rest.split_first().ok_or("no compression method")?;
    if method != 0 {
        return Err(format!("unknown compression method {method}"));
    }
    Ok(Text { keyword, text: inflate(body)? })
}

fn itxt_chunk(data: &[u8]) -> Result<Text, String> {
    let (keyword, rest) = split_keyword(data)?;
    let (&flag, rest) = rest.split_first().ok_or("no compression flag")?;
    let (&method, rest) = rest.split_first().ok_or("no compression method")?;
    // Language tag and translated keyword, each NUL-terminated.
    let lang_end = memchr::memchr(0, rest).ok_or("no language tag")?;
    let rest = &rest[lang_end + 1..];
    let tr_end = memchr::memchr(0, rest).ok_or("no translated keyword")?;
    let body = &rest[tr_end + 1..];
    match (flag, method) {
        (0, _) => Ok(Text { keyword, text: body.to_vec() }),
        (1, 0) => Ok(Text { keyword, text: inflate(body)? }),
        (1, m) => Err(format!("unknown compression method {m}")),
        (f, _) => Err(format!("bad compression flag {f}")),
    }
}

/// zlib-inflate at most [`MAX_TEXT`] bytes.
fn inflate(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(body).take(MAX_TEXT + 1).read_to_end(&mut out).map_err(|e| format!("zlib: {e}"))?;
    if out.len() as u64 > MAX_TEXT {
        return Err(format!("inflates to more than {MAX_TEXT} bytes"));
    }
    Ok(out)
}

fn text(t: &Text, facts: &mut MediaFacts) {
    let lower = t.keyword.to_ascii_lowercase();
    if let Some(profile) = lower.strip_prefix("raw profile type ") {
        match decode_raw_profile(&t.text) {
            Ok(bytes) => raw_profile(profile, &bytes, facts),
            Err(e) => facts.warnings.push(format!("PNG \"{}\": {e}", t.keyword)),
        }
        return;
    }
    let value = || String::from_utf8_lossy(&t.text).into_owned();
    match t.keyword.as_str() {
        // The XMP specification says uncompressed; some writers compress.
        "XML:com.adobe.xmp" => xmp::xmp_facts(&t.text, facts),
        "Software" => facts.add("software", value(), "png:Software"),
        "Author" => facts.add("byline", value(), "png:Author"),
        "Description" => facts.add("caption", value(), "png:Description"),
        "Title" => facts.add("title", value(), "png:Title"),
        "Copyright" => facts.add("copyright", value(), "png:Copyright"),
        // Free text by the specification (RFC 1123 suggested), so kept as
        // written rather than read as a capture time.
        "Creation Time" => facts.add("creation_time_text", value(), "png:Creation Time"),
        _ => {}
    }
}

/// ImageMagick's layout: `\n<name>\n<decimal length>\n<hex digits, wrapped>`.
fn decode_raw_profile(text: &[u8]) -> Result<Vec<u8>, String> {
    let s = std::str::from_utf8(text).map_err(|_| "not ASCII text".to_string())?;
    let mut lines = s.trim_start_matches('\n').splitn(3, '\n');
    let _name = lines.next().ok_or("no profile name")?;
    let len: u64 = lines.next().ok_or("no length")?.trim().parse().map_err(|_| "length is not a number".to_string())?;
    if len > MAX_TEXT {
        return Err(format!("profile claims {len} bytes (over {MAX_TEXT})"));
    }
    let digits: String = lines.next().unwrap_or("").chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = hex::decode(&digits).map_err(|e| format!("hex: {e}"))?;
    if bytes.len() as u64 != len {
        return Err(format!("profile holds {} bytes, its header says {len}", bytes.len()));
    }
    Ok(bytes)
}

fn raw_profile(profile: &str, bytes: &[u8], facts: &mut MediaFacts) {
    const XMP_APP1: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
    match profile {
        "exif" | "app1" if !facts.has_exif && !bytes.starts_with(XMP_APP1) => {
            // ImageMagick keeps the APP1 header; other writers store bare TIFF.
            exif::from_tiff(bytes.strip_prefix(b"Exif\0\0").unwrap_or(bytes), facts);
        }
        "xmp" | "app1" => xmp::xmp_facts(bytes, facts),
        "iptc" | "8bim" => iptc::from_irb_or_iim(bytes, facts),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn chunk_bytes(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&[0; 4]); // CRC is not checked by the walk
        out
    }

    fn png_with(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend(chunk_bytes(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]));
        for (k, d) in chunks {
            out.extend(chunk_bytes(k, d));
        }
        out.extend(chunk_bytes(b"IEND", &[]));
        out
    }

    fn deflate(b: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    fn probe(bytes: &[u8]) -> MediaFacts {
        let mut f = MediaFacts::default();
        png_facts(&mut Cursor::new(bytes), bytes.len() as u64, &mut f).unwrap();
        f
    }

    const XMP: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Screenshot Tool 3"/></rdf:RDF></x:xmpmeta>"#;

    #[test]
    fn compressed_itxt_xmp_after_the_image_data() {
        let mut itxt = b"XML:com.adobe.xmp\0\x01\x00\0\0".to_vec();
        itxt.extend(deflate(XMP.as_bytes()));
        let f = probe(&png_with(&[(b"IDAT", vec![0; 64]), (b"iTXt", itxt)]));
        assert!(f.facts.iter().any(|x| x.field == "software" && x.value == "Screenshot Tool 3"), "{:?}", f.facts);
    }

    #[test]
    fn imagemagick_raw_xmp_profile_in_ztxt() {
        let hexed = hex::encode(XMP.as_bytes());
        let text = format!("\nxmp\n{:8}\n{}\n", XMP.len(), hexed);
        let mut z = b"Raw profile type xmp\0\0".to_vec();
        z.extend(deflate(text.as_bytes()));
        let f = probe(&png_with(&[(b"zTXt", z)]));
        assert!(f.facts.iter().any(|x| x.field == "software" && x.value == "Screenshot Tool 3"), "{:?}", f.facts);
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    }

    #[test]
    fn a_raw_profile_shorter_than_its_header_says_is_a_warning() {
        let text = "\nexif\n      40\n4578696600004d4d\n";
        let f = probe(&png_with(&[(b"tEXt", [b"Raw profile type exif\0".as_slice(), text.as_bytes()].concat())]));
        assert!(f.warnings.iter().any(|w| w.contains("its header says 40")), "{:?}", f.warnings);
    }

    #[test]
    fn a_zlib_bomb_stops_at_the_bound() {
        let bomb = deflate(&vec![b'a'; (MAX_TEXT + 10) as usize]);
        let mut itxt = b"XML:com.adobe.xmp\0\x01\x00\0\0".to_vec();
        itxt.extend(bomb);
        let f = probe(&png_with(&[(b"iTXt", itxt)]));
        assert!(f.warnings.iter().any(|w| w.contains("inflates to more than")), "{:?}", f.warnings);
    }

    #[test]
    fn standard_keywords_keep_their_source() {
        let f = probe(&png_with(&[(b"tEXt", b"Software\0gnome-screenshot".to_vec())]));
        assert_eq!(f.facts[0].source, "png:Software");
        assert_eq!(f.facts[0].value, "gnome-screenshot");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_after_the_signature_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let mut bytes = SIGNATURE.to_vec();
            bytes.extend(body);
            let _ = probe(&bytes);
        }
    }
}
