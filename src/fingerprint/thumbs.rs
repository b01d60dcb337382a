//! Thumbnails: a small JPEG per image, a poster frame and a contact sheet per
//! video. Encoded here (not by ffmpeg) so the bytes are deterministic for the
//! same pixels, and stored as derived objects in the content-addressed store.

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{ExtendedColorType, RgbImage};

/// Longest edge of an image thumbnail or poster.
pub const THUMB_EDGE: u32 = 320;
/// Contact sheet: columns, cells at most, and cell width.
const SHEET_COLS: u32 = 4;
const SHEET_CELLS: usize = 12;
const CELL_W: u32 = 160;
const JPEG_QUALITY: u8 = 80;

/// A JPEG ready for the store.
#[derive(Debug, Clone)]
pub struct Jpeg {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

pub fn encode(img: &RgbImage) -> Option<Jpeg> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
        .encode(img.as_raw(), img.width(), img.height(), ExtendedColorType::Rgb8)
        .ok()?;
    Some(Jpeg { bytes, width: img.width(), height: img.height() })
}

/// Fit within `edge`×`edge`, keeping the aspect; never upscales.
pub fn fit(img: &RgbImage, edge: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    if w <= edge && h <= edge {
        return img.clone();
    }
    let scale = f64::from(edge) / f64::from(w.max(h));
    let nw = ((f64::from(w) * scale).round() as u32).clamp(1, edge);
    let nh = ((f64::from(h) * scale).round() as u32).clamp(1, edge);
    image::imageops::thumbnail(img, nw, nh)
}

pub fn thumbnail(img: &RgbImage) -> Option<Jpeg> {
    encode(&fit(img, THUMB_EDGE))
}

/// A grid of up to 12 frames picked evenly from `frames`.
pub fn contact_sheet(frames: &[RgbImage]) -> Option<Jpeg> {
    if frames.is_empty() {
        return None;
    }
    let n = frames.len().min(SHEET_CELLS);
    let picks: Vec<&RgbImage> = (0..n).map(|i| &frames[i * frames.len() / n]).collect();
    let (fw, fh) = picks[0].dimensions();
    let cell_h =
        ((u64::from(CELL_W) * u64::from(fh.max(1))) / u64::from(fw.max(1))).clamp(1, 4 * u64::from(CELL_W)) as u32;
    let cols = SHEET_COLS.min(n as u32);
    let rows = (n as u32).div_ceil(cols);
    let mut sheet = RgbImage::new(cols * CELL_W, rows * cell_h);
    for (i, f) in picks.iter().enumerate() {
        let cell = image::imageops::resize(*f, CELL_W, cell_h, FilterType::Triangle);
        let (x, y) = ((i as u32 % cols) * CELL_W, (i as u32 / cols) * cell_h);
        image::imageops::replace(&mut sheet, &cell, i64::from(x), i64::from(y));
    }
    encode(&sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnail_fits_and_is_deterministic() {
        let img = RgbImage::from_fn(1000, 500, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 9]));
        let a = thumbnail(&img).unwrap();
        let b = thumbnail(&img).unwrap();
        assert_eq!((a.width, a.height), (320, 160));
        assert_eq!(a.bytes, b.bytes);
        assert_eq!(&a.bytes[..2], &[0xff, 0xd8]);
    }

    #[test]
    fn contact_sheet_grid() {
        let frames: Vec<RgbImage> =
            (0..30).map(|i| RgbImage::from_pixel(320, 180, image::Rgb([i as u8 * 8, 0, 0]))).collect();
        let s = contact_sheet(&frames).unwrap();
        assert_eq!((s.width, s.height), (640, 270));
        assert!(contact_sheet(&[]).is_none());
    }
}
