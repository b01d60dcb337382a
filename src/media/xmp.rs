//! XMP packets (RDF/XML), parsed with quick-xml's namespace-aware reader:
//! dates (`xmp:CreateDate`, `exif:DateTimeOriginal`, `photoshop:DateCreated`),
//! camera, lens, GPS, `xmp:CreatorTool`, Dublin Core / IPTC Core descriptions
//! and the `xmpMM:History` of saves. Properties are matched by namespace URI,
//! not by the prefix a writer chose. The packet is found by its delimiters in
//! bytes already read (JPEG APP1, PNG iTXt, WebP `XMP ` chunk, TIFF tag 700,
//! GIF extension, MP4 `uuid`/`XMP_`, HEIF `mime` item all store it verbatim).

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, XmlVersion};

use super::facts::norm_time;
use super::{dec, MediaFacts};

/// Largest packet parsed (real ones are a few KB; Photoshop's can reach 1 MB).
const MAX_PACKET: usize = 4 << 20;
/// Values kept per packet (a hostile packet may hold millions).
const MAX_VALUES: usize = 10_000;
/// Element nesting followed.
const MAX_DEPTH: usize = 64;

const NAMESPACES: &[(&str, &str)] = &[
    ("http://ns.adobe.com/xap/1.0/", "xmp"),
    ("http://ns.adobe.com/exif/1.0/", "exif"),
    ("http://cipa.jp/exif/1.0/", "exifEX"),
    ("http://ns.adobe.com/tiff/1.0/", "tiff"),
    ("http://ns.adobe.com/photoshop/1.0/", "photoshop"),
    ("http://purl.org/dc/elements/1.1/", "dc"),
    ("http://ns.adobe.com/xap/1.0/mm/", "xmpMM"),
    ("http://ns.adobe.com/xap/1.0/sType/ResourceEvent#", "stEvt"),
    ("http://ns.adobe.com/exif/1.0/aux/", "aux"),
    ("http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/", "Iptc4xmpCore"),
    ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf"),
];

/// The first XMP packet in `bytes`, by its `x:xmpmeta` (or bare `rdf:RDF`) delimiters.
pub(super) fn find_packet(bytes: &[u8]) -> Option<&[u8]> {
    for (open, close) in [(&b"<x:xmpmeta"[..], &b"</x:xmpmeta>"[..]), (b"<rdf:RDF", b"</rdf:RDF>")] {
        if let Some(start) = memchr::memmem::find(bytes, open) {
            let rest = &bytes[start..bytes.len().min(start + MAX_PACKET)];
            if let Some(end) = memchr::memmem::find(rest, close) {
                return Some(&rest[..end + close.len()]);
            }
        }
    }
    None
}

/// One value: (property, sub-property inside a structure, list index, text).
type Value = (String, Option<String>, usize, String);

/// Parse the packet found in `bytes` (or `bytes` itself) into facts.
pub(super) fn xmp_facts(bytes: &[u8], facts: &mut MediaFacts) {
    let Some(packet) = find_packet(bytes) else { return };
    match values(packet) {
        Ok(v) => record(&v, facts),
        Err(e) => facts.warnings.push(format!("XMP: {e}")),
    }
}

fn canonical(ns: &ResolveResult<'_>, local: &[u8]) -> Option<String> {
    let ResolveResult::Bound(ns) = ns else { return None };
    let prefix = NAMESPACES.iter().find(|(uri, _)| uri.as_bytes() == ns.as_ref())?.1;
    Some(format!("{prefix}:{}", String::from_utf8_lossy(local)))
}

/// Flatten the RDF into values, property by property.
fn values(packet: &[u8]) -> Result<Vec<Value>, String> {
    let mut reader = NsReader::from_reader(packet);
    let mut out: Vec<Value> = Vec::new();
    // Element names (None for unknown namespaces), and where the first
    // rdf:Description sits in the stack.
    let mut stack: Vec<Option<String>> = Vec::new();
    let mut li = 0usize;
    let mut buf = Vec::new();
    // Text arrives in pieces around entity references (`&amp;`): gathered
    // here and flushed at the next tag.
    let mut text = String::new();
    loop {
        let (ns, ev) = reader.read_resolved_event_into(&mut buf).map_err(|e| e.to_string())?;
        match &ev {
            Event::Text(t) => text.push_str(&t.decode().map_err(|e| e.to_string())?),
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(t)),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => text.push(c),
                _ => text.push_str(match &r[..] {
                    b"amp" => "&",
                    b"lt" => "<",
                    b"gt" => ">",
                    b"quot" => "\"",
                    b"apos" => "'",
                    _ => "",
                }),
            },
            _ => {
                let (prop, sub) = position(&stack);
                if let Some(p) = prop {
                    if !text.trim().is_empty() {
                        out.push((p, sub, li, std::mem::take(&mut text)));
                    }
                }
                text.clear();
            }
        }
        let empty = matches!(ev, Event::Empty(_));
        match ev {
            Event::Start(e) | Event::Empty(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err("nested too deeply".into());
                }
                let name = canonical(&ns, e.local_name().as_ref());
                stack.push(name.clone());
                let (prop, _) = position(&stack);
                if name.as_deref() == Some("rdf:li") {
                    li += 1;
                }
                // Attributes carry simple properties (on rdf:Description) or
                // structure fields (on rdf:li or a property element).
                for a in e.attributes().flatten() {
                    let (ans, local) = reader.resolver().resolve_attribute(a.key);
                    let Some(an) = canonical(&ans, local.as_ref()) else { continue };
                    if an.starts_with("rdf:") {
                        continue;
                    }
                    let v = a.normalized_value(XmlVersion::Implicit1_0).map(|c| c.into_owned()).unwrap_or_default();
                    match &prop {
                        None if name.as_deref() == Some("rdf:Description") => out.push((an, None, 0, v)),
                        Some(p) => out.push((p.clone(), Some(an), li, v)),
                        None => {}
                    }
                }
                if empty {
                    stack.pop();
                }
            }
            Event::End(_) => {
                stack.pop();
                if position(&stack).0.is_none() {
                    li = 0;
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if out.len() > MAX_VALUES {
            return Err(format!("more than {MAX_VALUES} values; not read"));
        }
        buf.clear();
    }
    Ok(out)
}

/// (property, sub-property) of the innermost element: the property is the
/// child of the first `rdf:Description`; the sub-property the innermost
/// non-RDF element below it.
fn position(stack: &[Option<String>]) -> (Option<String>, Option<String>) {
    let Some(d) = stack.iter().position(|n| n.as_deref() == Some("rdf:Description")) else { return (None, None) };
    let Some(prop) = stack.get(d + 1) else { return (None, None) };
    let sub = stack[d + 2..].iter().rev().flatten().find(|n| !n.starts_with("rdf:")).cloned();
    (prop.clone(), sub)
}

/// `51,30.5N` / `51,30,30N` (XMP GPSCoordinate) as signed degrees.
fn gps_coordinate(v: &str) -> Option<f64> {
    let v = v.trim();
    let last = v.chars().last()?;
    let sign = match last.to_ascii_uppercase() {
        'N' | 'E' => 1.0,
        'S' | 'W' => -1.0,
        _ => return v.parse().ok(),
    };
    let parts: Vec<f64> =
        v[..v.len() - 1].split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().ok()?;
    let deg = match parts.as_slice() {
        [d, m] => d + m / 60.0,
        [d, m, s] => d + m / 60.0 + s / 3600.0,
        [d] => *d,
        _ => return None,
    };
    Some(sign * deg).filter(|d| d.is_finite())
}

/// `123/10` or `12.3`.
fn rational(v: &str) -> Option<f64> {
    let v = v.trim();
    let r = match v.split_once('/') {
        Some((n, d)) => n.trim().parse::<f64>().ok()? / d.trim().parse::<f64>().ok()?,
        None => v.parse().ok()?,
    };
    r.is_finite().then_some(r)
}

fn record(values: &[Value], facts: &mut MediaFacts) {
    let get = |p: &str| values.iter().find(|(n, s, _, _)| n == p && s.is_none()).map(|v| v.3.as_str());
    let times = [
        ("captured_at", "exif:DateTimeOriginal"),
        ("captured_at", "xmp:CreateDate"),
        ("captured_at", "photoshop:DateCreated"),
        ("captured_at", "exif:DateTimeDigitized"),
        ("modified_at", "xmp:ModifyDate"),
    ];
    for (field, p) in times {
        if let Some(v) = get(p) {
            match norm_time(v) {
                Some(t) => facts.add(field, t, &source(p)),
                None => facts.warnings.push(format!("XMP: unreadable {p} {v:?}")),
            }
        }
    }
    let texts = [
        ("make", "tiff:Make"),
        ("model", "tiff:Model"),
        ("lens", "exifEX:LensModel"),
        ("lens", "aux:Lens"),
        ("software", "xmp:CreatorTool"),
        ("orientation", "tiff:Orientation"),
        ("title", "dc:title"),
        ("caption", "dc:description"),
        ("copyright", "dc:rights"),
        ("credit", "photoshop:Credit"),
        ("city", "photoshop:City"),
        ("country", "photoshop:Country"),
    ];
    for (field, p) in texts {
        if let Some(v) = get(p) {
            facts.add(field, v, &source(p));
        }
    }
    for (field, p) in [("byline", "dc:creator"), ("keywords", "dc:subject")] {
        for (_, _, _, v) in values.iter().filter(|(n, s, _, _)| n == p && s.is_none()) {
            facts.add(field, v.as_str(), &source(p));
        }
    }
    for (field, p) in [("gps_lat", "exif:GPSLatitude"), ("gps_lon", "exif:GPSLongitude")] {
        if let Some(d) = get(p).and_then(gps_coordinate) {
            facts.add(field, dec(d), &source(p));
        }
    }
    if let Some(a) = get("exif:GPSAltitude").and_then(rational) {
        let below = get("exif:GPSAltitudeRef").map(str::trim) == Some("1");
        facts.add("gps_alt", dec(if below { -a } else { a }), &source("exif:GPSAltitude"));
    }
    if let Some(d) = get("exif:GPSImgDirection").and_then(rational) {
        facts.add("gps_direction", dec(d), &source("exif:GPSImgDirection"));
    }
    history(values, facts);
}

/// `xmp:CreateDate` keeps its name; other namespaces are spelled out
/// (`xmp:exif:DateTimeOriginal`), so an XMP restatement of an EXIF tag is
/// never mistaken for the EXIF tag itself.
fn source(p: &str) -> String {
    if p.starts_with("xmp:") {
        p.to_string()
    } else {
        format!("xmp:{p}")
    }
}

/// One `history` fact per `xmpMM:History` event: "action when by agent".
fn history(values: &[Value], facts: &mut MediaFacts) {
    let events: Vec<&Value> = values.iter().filter(|(p, s, _, _)| p == "xmpMM:History" && s.is_some()).collect();
    let mut last = 0;
    for (_, _, i, _) in &events {
        if *i == last {
            continue;
        }
        last = *i;
        let field = |name: &str| {
            events.iter().find(|(_, s, j, _)| j == i && s.as_deref() == Some(name)).map(|v| v.3.trim().to_string())
        };
        let text =
            [field("stEvt:action"), field("stEvt:when"), field("stEvt:softwareAgent").map(|a| format!("by {a}"))]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
        facts.add("history", text, "xmp:xmpMM:History");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PACKET: &str = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:e="http://ns.adobe.com/exif/1.0/"
   xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
   xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
   xmp:CreateDate="2026-03-14T13:02:03+01:00" xmp:CreatorTool="Adobe Photoshop 25.0 (Macintosh)">
  <e:GPSLatitude>51,30.0000N</e:GPSLatitude><e:GPSLongitude>0,15.0W</e:GPSLongitude>
  <e:GPSAltitude>105/10</e:GPSAltitude>
  <dc:subject><rdf:Bag><rdf:li>barrier</rdf:li><rdf:li>police &amp; protest</rdf:li></rdf:Bag></dc:subject>
  <xmpMM:History><rdf:Seq>
   <rdf:li stEvt:action="created" stEvt:when="2026-03-14T13:02:03+01:00" stEvt:softwareAgent="Camera"/>
   <rdf:li rdf:parseType="Resource"><stEvt:action>saved</stEvt:action><stEvt:softwareAgent>Photoshop</stEvt:softwareAgent></rdf:li>
  </rdf:Seq></xmpMM:History>
 </rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#;

    #[test]
    fn reads_properties_by_namespace_not_prefix() {
        let mut f = MediaFacts::default();
        let bytes = [b"\xff\xd8junk".as_slice(), PACKET.as_bytes(), b"more"].concat();
        xmp_facts(&bytes, &mut f);
        let got = |field: &str| {
            f.facts
                .iter()
                .filter(|x| x.field == field)
                .map(|x| (x.value.as_str(), x.source.as_str()))
                .collect::<Vec<_>>()
        };
        assert_eq!(got("captured_at"), [("2026-03-14T13:02:03+01:00", "xmp:CreateDate")]);
        assert_eq!(got("software"), [("Adobe Photoshop 25.0 (Macintosh)", "xmp:CreatorTool")]);
        assert_eq!(got("gps_lat"), [("51.5", "xmp:exif:GPSLatitude")]);
        assert_eq!(got("gps_lon"), [("-0.25", "xmp:exif:GPSLongitude")]);
        assert_eq!(got("gps_alt"), [("10.5", "xmp:exif:GPSAltitude")]);
        assert_eq!(got("keywords").len(), 2);
        assert_eq!(got("keywords")[1].0, "police & protest");
        assert_eq!(
            got("history"),
            [
                ("created 2026-03-14T13:02:03+01:00 by Camera", "xmp:xmpMM:History"),
                ("saved by Photoshop", "xmp:xmpMM:History")
            ]
        );
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    }

    #[test]
    fn coordinates() {
        assert_eq!(gps_coordinate("51,30.5N"), Some(51.0 + 30.5 / 60.0));
        assert_eq!(gps_coordinate("10,0,36W"), Some(-10.01));
        assert_eq!(gps_coordinate("N"), None);
        assert_eq!(rational("7/0"), None);
    }

    proptest! {
        #[test]
        fn packets_never_panic(body in ".{0,300}", cut in 0usize..2000) {
            let mut f = MediaFacts::default();
            let p = PACKET.replace("barrier", &body);
            xmp_facts(p.as_bytes(), &mut f);
            xmp_facts(&p.as_bytes()[..cut.min(p.len())], &mut f);
        }
    }
}
