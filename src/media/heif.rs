//! HEIF / HEIC / AVIF still images (ISO/IEC 23008-12): the `meta` box's items
//! and their properties. The primary item (`pitm`) gives the picture size
//! (`ispe`, on the grid item for tiled iPhone photos, else the grid's own
//! output size) and rotation (`irot`); the `Exif` and XMP (`mime`) items are
//! located through `iloc` and read with a bounded read each. mp4parse only
//! reads AVIF and not through its public API, so this is our own walk over
//! the same bounded box splitter as `isobmff`.

use std::io::{self, Read, Seek, SeekFrom};

use super::isobmff::{boxes, child};
use super::{exif, xmp, MediaFacts};

/// Largest item payload read (an EXIF or XMP item, a grid descriptor).
const MAX_ITEM: u64 = 4 << 20;
/// Items and extents considered (hostile files may declare millions).
const MAX_ITEMS: usize = 4096;

#[derive(Debug, Default, Clone)]
struct Item {
    id: u32,
    kind: [u8; 4],
    content_type: String,
}

#[derive(Debug, Clone)]
struct Location {
    id: u32,
    method: u8,
    base: u64,
    extents: Vec<(u64, u64)>,
}

/// Facts of a HEIF `meta` box payload (after its 4-byte version/flags).
pub(super) fn heif_facts<R: Read + Seek>(r: &mut R, size: u64, meta: &[u8], facts: &mut MediaFacts) -> io::Result<()> {
    let Some(body) = meta.get(4..) else { return Ok(()) };
    let primary = child(body, b"pitm").and_then(|p| match p.first()? {
        0 => p.get(4..6).map(|b| u32::from(u16::from_be_bytes([b[0], b[1]]))),
        _ => p.get(4..8).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
    });
    let items = child(body, b"iinf").map(items).unwrap_or_default();
    let locations = child(body, b"iloc").map(locations).unwrap_or_default();
    let idat = child(body, b"idat");
    let read_item = |r: &mut R, id: u32| -> io::Result<Option<Vec<u8>>> {
        let Some(loc) = locations.iter().find(|l| l.id == id) else { return Ok(None) };
        let mut out = Vec::new();
        for &(off, len) in &loc.extents {
            let Some(start) = loc.base.checked_add(off) else { return Ok(None) };
            // A length of 0 means "to the end of the file" (or of idat).
            let avail = if loc.method == 1 { idat.map_or(0, |d| d.len() as u64) } else { size };
            let len = if len == 0 { avail.saturating_sub(start) } else { len };
            if start.checked_add(len).is_none_or(|e| e > avail) || out.len() as u64 + len > MAX_ITEM {
                return Ok(None);
            }
            match loc.method {
                0 => {
                    r.seek(SeekFrom::Start(start))?;
                    (&mut *r).take(len).read_to_end(&mut out)?;
                }
                1 => out
                    .extend_from_slice(idat.and_then(|d| d.get(start as usize..(start + len) as usize)).unwrap_or(&[])),
                _ => return Ok(None),
            }
        }
        Ok(Some(out))
    };
    if let Some(p) = primary {
        let props = child(body, b"iprp").map(|iprp| properties_of(iprp, p)).unwrap_or_default();
        let mut sized = false;
        for (name, payload) in &props {
            match name {
                b"ispe" if payload.len() >= 12 => {
                    let w = u32::from_be_bytes([payload[4], payload[5], payload[6], payload[7]]);
                    let h = u32::from_be_bytes([payload[8], payload[9], payload[10], payload[11]]);
                    if w > 0 && h > 0 && !sized {
                        facts.add("width", w.to_string(), "heif:ispe");
                        facts.add("height", h.to_string(), "heif:ispe");
                        sized = true;
                    }
                }
                b"irot" if !payload.is_empty() => {
                    // Counter-clockwise quarter turns, as exiftool reports them.
                    facts.add("rotation", (u16::from(payload[0] & 3) * 90).to_string(), "heif:irot");
                }
                _ => {}
            }
        }
        let is_grid = items.iter().any(|i| i.id == p && &i.kind == b"grid");
        if !sized && is_grid {
            if let Some((w, h)) = read_item(r, p)?.as_deref().and_then(grid_size) {
                facts.add("width", w.to_string(), "heif:grid");
                facts.add("height", h.to_string(), "heif:grid");
            }
        }
    }
    for it in items.iter().take(MAX_ITEMS) {
        let is_xmp = &it.kind == b"mime" && it.content_type.eq_ignore_ascii_case("application/rdf+xml");
        if &it.kind != b"Exif" && !is_xmp {
            continue;
        }
        let Some(data) = read_item(r, it.id)? else {
            facts.warnings.push(format!(
                "HEIF: item {} ({}) is not where iloc says",
                it.id,
                String::from_utf8_lossy(&it.kind)
            ));
            continue;
        };
        if is_xmp {
            xmp::xmp_facts(&data, facts);
        } else if data.len() >= 4 {
            // The payload starts with the offset of the TIFF header (usually 6, past "Exif\0\0").
            let skip = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
            if let Some(tiff) = data.get(4usize.saturating_add(skip)..) {
                exif::from_tiff(tiff, facts);
            }
        }
    }
    Ok(())
}

fn be(b: &[u8], at: usize, n: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(n)?)?;
    Some(s.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
}

fn items(iinf: &[u8]) -> Vec<Item> {
    let header = if iinf.first() == Some(&0) { 6 } else { 8 };
    let Some(rest) = iinf.get(header..) else { return Vec::new() };
    boxes(rest)
        .into_iter()
        .filter(|(n, _)| n == b"infe")
        .filter_map(|(_, p)| {
            let version = *p.first()?;
            if version < 2 {
                return None;
            }
            let (id, at) = if version == 2 { (be(p, 4, 2)? as u32, 8) } else { (be(p, 4, 4)? as u32, 10) };
            let kind: [u8; 4] = p.get(at..at + 4)?.try_into().ok()?;
            let strings = p.get(at + 4..).unwrap_or_default();
            let mut parts = strings.split(|&b| b == 0);
            let _name = parts.next();
            let content_type = parts.next().map(|s| String::from_utf8_lossy(s).into_owned()).unwrap_or_default();
            Some(Item { id, kind, content_type })
        })
        .take(MAX_ITEMS)
        .collect()
}

fn locations(iloc: &[u8]) -> Vec<Location> {
    parse_iloc(iloc).unwrap_or_default()
}

fn parse_iloc(p: &[u8]) -> Option<Vec<Location>> {
    let version = *p.first()?;
    let sizes = *p.get(4)?;
    let (off_size, len_size) = (usize::from(sizes >> 4), usize::from(sizes & 15));
    let more = *p.get(5)?;
    let base_size = usize::from(more >> 4);
    let index_size = if version >= 1 { usize::from(more & 15) } else { 0 };
    let (count, mut at) = if version < 2 { (be(p, 6, 2)?, 8) } else { (be(p, 6, 4)?, 10) };
    let id_size = if version < 2 { 2 } else { 4 };
    let mut out = Vec::new();
    for _ in 0..count.min(MAX_ITEMS as u64) {
        let id = be(p, at, id_size)? as u32;
        at += id_size;
        let mut method = 0;
        if version >= 1 {
            method = (be(p, at, 2)? & 15) as u8;
            at += 2;
        }
        at += 2; // data_reference_index
        let base = if base_size > 0 { be(p, at, base_size)? } else { 0 };
        at += base_size;
        let extents = be(p, at, 2)?;
        at += 2;
        let mut ex = Vec::new();
        for _ in 0..extents {
            at += index_size;
            let off = if off_size > 0 { be(p, at, off_size)? } else { 0 };
            at += off_size;
            let len = if len_size > 0 { be(p, at, len_size)? } else { 0 };
            at += len_size;
            if ex.len() < 64 {
                ex.push((off, len));
            }
        }
        out.push(Location { id, method, base, extents: ex });
    }
    Some(out)
}

/// The property boxes `ipma` associates with `item`, in association order.
fn properties_of(iprp: &[u8], item: u32) -> Vec<([u8; 4], Vec<u8>)> {
    let Some(ipco) = child(iprp, b"ipco") else { return Vec::new() };
    let props = boxes(ipco);
    let mut out = Vec::new();
    for (name, ipma) in boxes(iprp) {
        if &name != b"ipma" {
            continue;
        }
        let (Some(&version), Some(flags)) = (ipma.first(), be(ipma, 1, 3)) else { continue };
        let Some(count) = be(ipma, 4, 4) else { continue };
        let mut at = 8;
        for _ in 0..count.min(MAX_ITEMS as u64) {
            let id_size = if version < 1 { 2 } else { 4 };
            let (Some(id), Some(n)) = (be(ipma, at, id_size), be(ipma, at + id_size, 1)) else { break };
            at += id_size + 1;
            let wide = flags & 1 == 1;
            for _ in 0..n {
                let idx = if wide { be(ipma, at, 2).map(|v| v & 0x7fff) } else { be(ipma, at, 1).map(|v| v & 0x7f) };
                at += if wide { 2 } else { 1 };
                if id as u32 == item {
                    if let Some((pn, pp)) = idx.filter(|&i| i > 0).and_then(|i| props.get(i as usize - 1)) {
                        out.push((*pn, pp.to_vec()));
                    }
                }
            }
        }
    }
    out
}

/// Output size of an `ImageGrid` item (version, flags, rows-1, columns-1, width, height).
fn grid_size(d: &[u8]) -> Option<(u32, u32)> {
    let n = if d.get(1)? & 1 == 1 { 4 } else { 2 };
    let (w, h) = (be(d, 4, n)? as u32, be(d, 4 + n, n)? as u32);
    (w > 0 && h > 0).then_some((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn grid_sizes() {
        assert_eq!(grid_size(&[0, 0, 1, 1, 0x0f, 0xc0, 0x0b, 0xd0]), Some((4032, 3024)));
        assert_eq!(grid_size(&[0, 1, 0, 0, 0, 0, 0, 9, 0, 0, 0, 7]), Some((9, 7)));
        assert_eq!(grid_size(&[0, 0, 0]), None);
    }

    #[test]
    fn iloc_v1_with_idat() {
        // version 1, offset/length 4 bytes, base 0, one item (id 7, method 1), one extent.
        let mut p = vec![1, 0, 0, 0, 0x44, 0x00, 0, 1, 0, 7, 0, 1, 0, 0, 0, 1];
        p.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 3]);
        let l = parse_iloc(&p).unwrap();
        assert_eq!((l[0].id, l[0].method, l[0].extents.clone()), (7, 1, vec![(2, 3)]));
    }

    proptest! {
        #[test]
        fn item_tables_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_iloc(&bytes);
            let _ = items(&bytes);
            let _ = properties_of(&bytes, 1);
            let _ = grid_size(&bytes);
        }
    }
}
