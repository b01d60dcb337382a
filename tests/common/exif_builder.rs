//! Deterministic JPEG pixels and a hand-built EXIF block, shared by the
//! integration-test fixtures (`tests/common/media.rs`) and
//! `examples/make_samples.rs` so the committed samples and the tests come from
//! the same code.
//!
//! The EXIF is assembled byte by byte rather than with a library on purpose:
//! the tests then check evcat's reader against bytes we control, and
//! `tests/fixtures_selfcheck.rs` cross-checks those bytes with exiftool.
#![allow(dead_code)]

use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, Rgb, RgbImage};

/// The EXIF fields the fixtures can write. `None` leaves the tag out.
#[derive(Default, Clone, Debug)]
pub struct Exif {
    /// "YYYY:MM:DD HH:MM:SS", as cameras write it (no zone).
    pub date_time_original: Option<String>,
    /// "+01:00"; written as OffsetTimeOriginal.
    pub offset: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    /// (latitude, longitude) in decimal degrees; negative means S / W.
    pub gps: Option<(f64, f64)>,
    pub orientation: Option<u16>,
    pub software: Option<String>,
}

/// splitmix64: tiny, well-mixed and stable forever, so fixtures never change
/// under us the way a crate's RNG might between versions.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % u64::from(n)) as u32
    }

    pub fn byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }
}

/// A seed-dependent picture: a tinted gradient with a few filled circles and
/// rectangles. Smooth areas keep JPEGs small; the shapes give perceptual
/// hashes and re-encodes something real to latch on to.
pub fn render(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut rng = SplitMix64::new(seed);
    let tint = [rng.byte(), rng.byte(), rng.byte()];
    let (wd, hd) = (w.max(1), h.max(1));
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let fx = x * 255 / wd;
        let fy = y * 255 / hd;
        Rgb([
            (fx / 2 + u32::from(tint[0]) / 2) as u8,
            (fy / 2 + u32::from(tint[1]) / 2) as u8,
            ((fx + fy) / 4 + u32::from(tint[2]) / 2) as u8,
        ])
    });

    let shapes = 3 + rng.below(4);
    let span = (w.min(h) / 4).max(1);
    for _ in 0..shapes {
        let color = Rgb([rng.byte(), rng.byte(), rng.byte()]);
        let cx = i64::from(rng.below(wd));
        let cy = i64::from(rng.below(hd));
        let r = i64::from(1 + rng.below(span));
        let circle = rng.below(2) == 0;
        let x0 = (cx - r).max(0);
        let x1 = (cx + r).min(i64::from(w) - 1);
        let y0 = (cy - r).max(0);
        let y1 = (cy + r).min(i64::from(h) - 1);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (dx, dy) = (x - cx, y - cy);
                if !circle || dx * dx + dy * dy <= r * r {
                    img.put_pixel(x as u32, y as u32, color);
                }
            }
        }
    }
    img
}

pub fn encode_jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode(img.as_raw(), img.width(), img.height(), ExtendedColorType::Rgb8)
        .expect("encoding an in-memory RGB image as JPEG");
    out
}

/// A deterministic JPEG (quality 85) whose bytes depend on `seed`.
pub fn jpeg_bytes(w: u32, h: u32, seed: u64) -> Vec<u8> {
    encode_jpeg(&render(w, h, seed), 85)
}

/// `jpeg_bytes` with an APP1 Exif segment built from `exif`.
pub fn jpeg_with_exif(w: u32, h: u32, seed: u64, exif: &Exif) -> Vec<u8> {
    insert_exif(&jpeg_bytes(w, h, seed), exif)
}

/// Inserts an APP1 "Exif\0\0" segment right after SOI, where EXIF readers
/// (and the Exif spec) expect it.
pub fn insert_exif(jpeg: &[u8], exif: &Exif) -> Vec<u8> {
    assert!(jpeg.starts_with(&[0xFF, 0xD8]), "not a JPEG: no SOI marker");
    let tiff = tiff_block(exif);
    // The segment length counts itself (2 bytes) and the "Exif\0\0" header.
    let seg_len = 2 + 6 + tiff.len();
    let seg_len = u16::try_from(seg_len).expect("EXIF block too large for one APP1 segment");
    let mut out = Vec::with_capacity(jpeg.len() + usize::from(seg_len) + 2);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&seg_len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

// TIFF field types.
const BYTE: u16 = 1;
const ASCII: u16 = 2;
const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;
const UNDEFINED: u16 = 7;

struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    /// Little-endian value bytes, exactly `count` items of `kind`.
    data: Vec<u8>,
}

impl Entry {
    fn ascii(tag: u16, s: &str) -> Entry {
        assert!(!s.contains('\0'), "EXIF ASCII value contains NUL: {s:?}");
        let mut data = s.as_bytes().to_vec();
        data.push(0);
        Entry { tag, kind: ASCII, count: data.len() as u32, data }
    }

    fn short(tag: u16, v: u16) -> Entry {
        Entry { tag, kind: SHORT, count: 1, data: v.to_le_bytes().to_vec() }
    }

    fn long(tag: u16, v: u32) -> Entry {
        Entry { tag, kind: LONG, count: 1, data: v.to_le_bytes().to_vec() }
    }

    fn rationals(tag: u16, vs: &[(u32, u32)]) -> Entry {
        let data = vs.iter().flat_map(|&(n, d)| n.to_le_bytes().into_iter().chain(d.to_le_bytes())).collect();
        Entry { tag, kind: RATIONAL, count: vs.len() as u32, data }
    }

    /// Bytes this entry needs outside the IFD; values of up to 4 bytes live in
    /// the entry itself. Padded to even so every value starts on a word
    /// boundary, as TIFF requires.
    fn out_of_line_len(&self) -> usize {
        if self.data.len() <= 4 {
            0
        } else {
            self.data.len() + self.data.len() % 2
        }
    }
}

/// Size of an IFD (count, entries, next-IFD link) plus its out-of-line data.
fn ifd_len(entries: &[Entry]) -> usize {
    2 + 12 * entries.len() + 4 + entries.iter().map(Entry::out_of_line_len).sum::<usize>()
}

/// Appends an IFD at the end of `out`, which must start at the TIFF header,
/// since every offset in TIFF is relative to it.
fn write_ifd(out: &mut Vec<u8>, entries: &mut [Entry]) {
    entries.sort_by_key(|e| e.tag);
    let start = out.len();
    let mut data_off = start + 2 + 12 * entries.len() + 4;
    let mut data = Vec::new();
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for e in entries.iter() {
        out.extend_from_slice(&e.tag.to_le_bytes());
        out.extend_from_slice(&e.kind.to_le_bytes());
        out.extend_from_slice(&e.count.to_le_bytes());
        if e.data.len() <= 4 {
            let mut inline = [0u8; 4];
            inline[..e.data.len()].copy_from_slice(&e.data);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&(data_off as u32).to_le_bytes());
            data.extend_from_slice(&e.data);
            if e.data.len() % 2 == 1 {
                data.push(0);
            }
            data_off += e.out_of_line_len();
        }
    }
    // No IFD1 (thumbnail): the chain ends here.
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&data);
    debug_assert_eq!(out.len() - start, ifd_len(entries));
}

/// Degrees, minutes, seconds as EXIF rationals. Works in whole
/// micro-arcseconds so rounding can never produce 60 seconds.
fn dms(deg: f64) -> [(u32, u32); 3] {
    let total = (deg.abs() * 3600.0 * 1e6).round() as u64;
    let d = total / 3_600_000_000;
    let m = total % 3_600_000_000 / 60_000_000;
    let s = total % 60_000_000;
    [(d as u32, 1), (m as u32, 1), (s as u32, 1_000_000)]
}

/// The TIFF structure that follows "Exif\0\0": little-endian header, IFD0,
/// then the Exif and GPS sub-IFDs when they have anything to hold.
pub fn tiff_block(exif: &Exif) -> Vec<u8> {
    let mut sub = Vec::new();
    if exif.date_time_original.is_some() || exif.offset.is_some() {
        // ExifVersion is mandatory in a conforming Exif IFD.
        sub.push(Entry { tag: 0x9000, kind: UNDEFINED, count: 4, data: b"0232".to_vec() });
    }
    if let Some(v) = &exif.date_time_original {
        sub.push(Entry::ascii(0x9003, v));
    }
    if let Some(v) = &exif.offset {
        sub.push(Entry::ascii(0x9011, v));
    }

    let mut gps = Vec::new();
    if let Some((lat, lon)) = exif.gps {
        gps.push(Entry { tag: 0x0000, kind: BYTE, count: 4, data: vec![2, 3, 0, 0] });
        gps.push(Entry::ascii(0x0001, if lat < 0.0 { "S" } else { "N" }));
        gps.push(Entry::rationals(0x0002, &dms(lat)));
        gps.push(Entry::ascii(0x0003, if lon < 0.0 { "W" } else { "E" }));
        gps.push(Entry::rationals(0x0004, &dms(lon)));
    }

    let mut ifd0 = Vec::new();
    if let Some(v) = &exif.make {
        ifd0.push(Entry::ascii(0x010F, v));
    }
    if let Some(v) = &exif.model {
        ifd0.push(Entry::ascii(0x0110, v));
    }
    if let Some(v) = exif.orientation {
        ifd0.push(Entry::short(0x0112, v));
    }
    if let Some(v) = &exif.software {
        ifd0.push(Entry::ascii(0x0131, v));
    }
    // Pointer values don't change IFD0's size, so lay out with placeholders
    // first and patch the real offsets in afterwards.
    let has_sub = !sub.is_empty();
    let has_gps = !gps.is_empty();
    if has_sub {
        ifd0.push(Entry::long(0x8769, 0));
    }
    if has_gps {
        ifd0.push(Entry::long(0x8825, 0));
    }
    let sub_off = 8 + ifd_len(&ifd0);
    let gps_off = sub_off + if has_sub { ifd_len(&sub) } else { 0 };
    for e in ifd0.iter_mut() {
        match e.tag {
            0x8769 => e.data = (sub_off as u32).to_le_bytes().to_vec(),
            0x8825 => e.data = (gps_off as u32).to_le_bytes().to_vec(),
            _ => {}
        }
    }

    let mut out = Vec::new();
    out.extend_from_slice(b"II");
    out.extend_from_slice(&42u16.to_le_bytes());
    out.extend_from_slice(&8u32.to_le_bytes());
    write_ifd(&mut out, &mut ifd0);
    if has_sub {
        assert_eq!(out.len(), sub_off, "Exif IFD layout drifted");
        write_ifd(&mut out, &mut sub);
    }
    if has_gps {
        assert_eq!(out.len(), gps_off, "GPS IFD layout drifted");
        write_ifd(&mut out, &mut gps);
    }
    out
}
