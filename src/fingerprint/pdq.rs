//! PDQ, the perceptual hash Facebook/Meta published in 2019 for media
//! matching (ThreatExchange `pdq/`, described in `hashing/hashing.pdf`),
//! implemented from that specification and its C++/Java reference code:
//!
//! 1. luminance `Y = 0.299 R + 0.587 G + 0.114 B` as `f32`;
//! 2. two passes of a Jarosz box filter (box along rows, then along columns;
//!    twice = a tent filter) with window `ceil(len / 128)` per axis;
//! 3. decimation to 64×64 by sampling the filtered image at cell centres;
//! 4. a 2D DCT of that 64×64 block, keeping the 16×16 coefficients after the
//!    DC row/column (`D[i][j] = sqrt(2/64) cos(π/128 (i+1)(2j+1))`, `B = D A Dᵀ`);
//! 5. one bit per coefficient: set when it is greater than the median of the
//!    256 (the 128th smallest);
//! 6. a quality score 0..100 from the gradients of the 64×64 block (hashes
//!    below 50 describe near-featureless images and are not used for matching).
//!
//! Bit `k = 16 i + j` of the hash is bit `k % 16` of 16-bit word `k / 16`; the
//! hex form lists words 15..0, each big-endian, exactly as the reference tools
//! print it. The arithmetic follows the reference order in `f32`, so for the
//! same decoded pixels the output is bit-identical to the reference (verified
//! against the ThreatExchange "bridge" vectors, see ARCHITECTURE.md).

use std::sync::OnceLock;

/// A 256-bit PDQ hash, as the reference's hex string bytes (32 bytes).
pub type Hash256 = [u8; 32];

/// What [`hash_luma`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pdq {
    pub hash: Hash256,
    /// 0..=100; below [`MIN_QUALITY`] the hash is too featureless to match on.
    pub quality: u8,
}

/// The reference's advice: ignore hashes of quality below 50.
pub const MIN_QUALITY: u8 = 50;

const LUMA_R: f32 = 0.299;
const LUMA_G: f32 = 0.587;
const LUMA_B: f32 = 0.114;
const PASSES: usize = 2;
const BLOCK: usize = 64;
const OUT: usize = 16;

/// Luminance of packed 8-bit RGB pixels, the reference's formula and order.
pub fn luma_from_rgb8(rgb: &[u8]) -> Vec<f32> {
    rgb.chunks_exact(3)
        .map(|p| LUMA_R * f32::from(p[0]) + LUMA_G * f32::from(p[1]) + LUMA_B * f32::from(p[2]))
        .collect()
}

/// Luminance of packed RGB pixels averaged over `factor`×`factor` cells, so
/// very large images are hashed without a full-size float buffer. `factor`
/// 1 is exactly [`luma_from_rgb8`]. Returns (width, height, luma).
pub fn luma_from_rgb8_reduced(rgb: &[u8], width: usize, height: usize, factor: usize) -> (usize, usize, Vec<f32>) {
    let factor = factor.max(1);
    if factor == 1 || rgb.len() < width * height * 3 {
        return (width, height, luma_from_rgb8(rgb));
    }
    let (w, h) = (width.div_ceil(factor), height.div_ceil(factor));
    let mut sum = vec![0f64; w * h];
    let mut count = vec![0u32; w * h];
    for y in 0..height {
        let row = &rgb[y * width * 3..(y + 1) * width * 3];
        let oy = (y / factor) * w;
        for (x, p) in row.chunks_exact(3).enumerate() {
            let l = LUMA_R * f32::from(p[0]) + LUMA_G * f32::from(p[1]) + LUMA_B * f32::from(p[2]);
            let o = oy + x / factor;
            sum[o] += f64::from(l);
            count[o] += 1;
        }
    }
    let luma = sum.iter().zip(&count).map(|(s, &c)| (s / f64::from(c.max(1))) as f32).collect();
    (w, h, luma)
}

/// PDQ of a row-major luminance buffer of `width`×`height` (both ≥ 1).
/// Returns `None` for empty or inconsistent input.
pub fn hash_luma(luma: &[f32], width: usize, height: usize) -> Option<Pdq> {
    let (dct, quality) = dct_of_luma(luma, width, height)?;
    Some(Pdq { hash: bits(&dct), quality })
}

/// The eight dihedral variants of the picture (the reference's
/// `dihedral` hashes), from one DCT: in the order of [`DIHEDRAL`], the
/// hash the picture would have after that rotation or flip. The quality is
/// the same for all eight.
pub fn hash_luma_dihedral(luma: &[f32], width: usize, height: usize) -> Option<(u8, [Hash256; 8])> {
    let (dct, quality) = dct_of_luma(luma, width, height)?;
    Some((quality, DIHEDRAL.map(|d| bits(&dihedral(&dct, d)))))
}

/// A rotation or flip of the picture, as its effect on the 16×16 DCT
/// coefficients `B[i][j]` (row frequency `i + 1`, column frequency `j + 1`):
/// mirroring a 64-sample axis negates its odd-frequency basis functions
/// (`cos` of `π u (2(63-x)+1) / 128` is `(-1)^u` times that of `x`), and a
/// transposition of the picture transposes `B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dihedral {
    pub transpose: bool,
    /// Negate the coefficients whose column frequency is odd (horizontal mirror, after any transpose).
    pub flip_h: bool,
    /// Negate those whose row frequency is odd (vertical flip).
    pub flip_v: bool,
}

/// Identity, rotations by 90, 180 and 270 degrees clockwise, horizontal
/// mirror, vertical flip, transpose, anti-transpose.
pub const DIHEDRAL: [Dihedral; 8] = [
    Dihedral { transpose: false, flip_h: false, flip_v: false },
    Dihedral { transpose: true, flip_h: true, flip_v: false },
    Dihedral { transpose: false, flip_h: true, flip_v: true },
    Dihedral { transpose: true, flip_h: false, flip_v: true },
    Dihedral { transpose: false, flip_h: true, flip_v: false },
    Dihedral { transpose: false, flip_h: false, flip_v: true },
    Dihedral { transpose: true, flip_h: false, flip_v: false },
    Dihedral { transpose: true, flip_h: true, flip_v: true },
];

fn dihedral(dct: &[f32; OUT * OUT], d: Dihedral) -> [f32; OUT * OUT] {
    let mut out = [0f32; OUT * OUT];
    for i in 0..OUT {
        for j in 0..OUT {
            let v = if d.transpose { dct[j * OUT + i] } else { dct[i * OUT + j] };
            // Frequency u = index + 1 is odd when the index is even.
            let neg = (d.flip_h && j % 2 == 0) != (d.flip_v && i % 2 == 0);
            out[i * OUT + j] = if neg { -v } else { v };
        }
    }
    out
}

/// The 16×16 DCT coefficients and the quality of a luminance buffer.
fn dct_of_luma(luma: &[f32], width: usize, height: usize) -> Option<([f32; OUT * OUT], u8)> {
    let buf = blurred(luma, width, height)?;
    Some(dct_of_blurred(&buf, width, (0, 0, width, height)))
}

/// The reference's two Jarosz box passes over a whole luminance buffer.
pub fn blurred(luma: &[f32], width: usize, height: usize) -> Option<Vec<f32>> {
    if width == 0 || height == 0 || luma.len() != width * height {
        return None;
    }
    let mut buf = luma.to_vec();
    let mut tmp = vec![0f32; buf.len()];
    let win_rows = window_size(width);
    let win_cols = window_size(height);
    for _ in 0..PASSES {
        for r in 0..height {
            box_1d(&buf, &mut tmp, r * width, 1, width, win_rows);
        }
        for c in 0..width {
            box_1d(&tmp, &mut buf, c, width, height, win_cols);
        }
    }
    Some(buf)
}

/// PDQ of the rectangle `(x, y, w, h)` of a buffer already [`blurred`]
/// (`width` wide) with the windows of the whole: sampling the shared blur
/// instead of blurring each part again. For the whole rectangle it is
/// exactly [`hash_luma`]; for a part it differs only within a window of the
/// part's edges, where the whole picture has neighbours the part has not.
pub fn hash_blurred(buf: &[f32], width: usize, rect: (usize, usize, usize, usize)) -> Option<(u8, [Hash256; 8])> {
    let (x, y, w, h) = rect;
    if w == 0 || h == 0 || width == 0 || x + w > width || (y + h) * width > buf.len() {
        return None;
    }
    let (dct, quality) = dct_of_blurred(buf, width, rect);
    Some((quality, DIHEDRAL.map(|d| bits(&dihedral(&dct, d)))))
}

fn dct_of_blurred(buf: &[f32], width: usize, rect: (usize, usize, usize, usize)) -> ([f32; OUT * OUT], u8) {
    let block = decimate(buf, width, rect);
    let quality = quality(&block);
    (dct64_to_16(&block), quality)
}

/// Jarosz window: `ceil(old / (2 * 64))`, at least 1.
fn window_size(old: usize) -> usize {
    old.div_ceil(2 * BLOCK)
}

/// The reference `box1DFloat`: a running box mean of `full` samples centred
/// on each output, shrinking at both ends. Reads `len` values of `input`
/// starting at `start` every `stride`, writes the same positions of `output`.
fn box_1d(input: &[f32], output: &mut [f32], start: usize, stride: usize, len: usize, full: usize) {
    let full = full.clamp(1, len.max(1));
    let half = (full + 2) / 2;
    let phase1 = half - 1;
    let phase2 = full - half + 1;
    let phase3 = len - full;
    let phase4 = half - 1;
    let at = |i: usize| start + i * stride;
    let (mut li, mut ri, mut oi) = (0usize, 0usize, 0usize);
    let mut sum = 0f32;
    let mut n = 0usize;
    for _ in 0..phase1 {
        sum += input[at(ri)];
        n += 1;
        ri += 1;
    }
    for _ in 0..phase2 {
        sum += input[at(ri)];
        n += 1;
        output[at(oi)] = sum / n as f32;
        ri += 1;
        oi += 1;
    }
    for _ in 0..phase3 {
        sum += input[at(ri)];
        sum -= input[at(li)];
        output[at(oi)] = sum / n as f32;
        li += 1;
        ri += 1;
        oi += 1;
    }
    for _ in 0..phase4 {
        sum -= input[at(li)];
        n -= 1;
        output[at(oi)] = sum / n as f32;
        li += 1;
        oi += 1;
    }
}

/// Sample the filtered image at the centres of a 64×64 grid over `(x0, y0, w, h)`.
fn decimate(buf: &[f32], width: usize, (x0, y0, w, h): (usize, usize, usize, usize)) -> Vec<[f32; BLOCK]> {
    let mut out = vec![[0f32; BLOCK]; BLOCK];
    for (i, row) in out.iter_mut().enumerate() {
        let y = y0 + ((2 * i + 1) * h) / (2 * BLOCK);
        for (j, v) in row.iter_mut().enumerate() {
            let x = x0 + ((2 * j + 1) * w) / (2 * BLOCK);
            *v = buf[y * width + x];
        }
    }
    out
}

/// The reference quality metric: quantised absolute gradients, summed, / 90, capped at 100.
fn quality(block: &[[f32; BLOCK]]) -> u8 {
    let mut sum: i64 = 0;
    for pair in block.windows(2) {
        for (u, v) in pair[0].iter().zip(pair[1].iter()) {
            let d = ((u - v) * 100.0 / 255.0) as i64;
            sum += d.abs();
        }
    }
    for row in block.iter() {
        for j in 0..BLOCK - 1 {
            let d = ((row[j] - row[j + 1]) * 100.0 / 255.0) as i64;
            sum += d.abs();
        }
    }
    (sum / 90).min(100) as u8
}

/// The 16×64 DCT matrix, rows 1..=16 of the DCT-II basis (DC skipped).
pub(crate) fn dct_matrix() -> &'static [[f32; BLOCK]; OUT] {
    static M: OnceLock<[[f32; BLOCK]; OUT]> = OnceLock::new();
    M.get_or_init(|| {
        let scale = (2.0f64 / 64.0).sqrt();
        let mut m = [[0f32; BLOCK]; OUT];
        for (i, row) in m.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                let arg = (std::f64::consts::PI / 2.0 / 64.0) * (i as f64 + 1.0) * (2.0 * j as f64 + 1.0);
                *v = (scale * arg.cos()) as f32;
            }
        }
        m
    })
}

/// `B = D A Dᵀ` keeping 16×16, summing in the reference's order.
fn dct64_to_16(a: &[[f32; BLOCK]]) -> [f32; OUT * OUT] {
    let d = dct_matrix();
    let mut t = [[0f32; BLOCK]; OUT];
    for i in 0..OUT {
        for j in 0..BLOCK {
            let mut s = 0f32;
            for k in 0..BLOCK {
                s += d[i][k] * a[k][j];
            }
            t[i][j] = s;
        }
    }
    let mut b = [0f32; OUT * OUT];
    for i in 0..OUT {
        for j in 0..OUT {
            let mut s = 0f32;
            for k in 0..BLOCK {
                s += t[i][k] * d[j][k];
            }
            b[i * OUT + j] = s;
        }
    }
    b
}

/// One bit per coefficient above the median, in the reference's layout.
fn bits(dct: &[f32; OUT * OUT]) -> Hash256 {
    let mut sorted = *dct;
    sorted.sort_by(f32::total_cmp);
    // Torben's median over 256 values as the reference uses it: the 128th smallest.
    let median = sorted[OUT * OUT / 2 - 1];
    let mut hash = [0u8; 32];
    for (k, v) in dct.iter().enumerate() {
        if *v > median {
            hash[31 - k / 8] |= 1 << (k % 8);
        }
    }
    hash
}

/// Number of differing bits.
pub fn distance(a: &Hash256, b: &Hash256) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scene(w: usize, h: usize, seed: u32) -> Vec<f32> {
        let mut v = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                let fx = x as f32 / w as f32;
                let fy = y as f32 / h as f32;
                let blob =
                    if ((fx - 0.3 - seed as f32 * 0.05).powi(2) + (fy - 0.6).powi(2)) < 0.04 { 120.0 } else { 0.0 };
                v.push(60.0 * fx + 40.0 * (fy * 6.0 + seed as f32).sin() + blob);
            }
        }
        v
    }

    #[test]
    fn dct_matrix_matches_reference_constants() {
        // Values of the reference's float table (bits as printed by the C++ tool).
        let d = dct_matrix();
        assert_eq!(d[0][0].to_bits(), 0x3e34f6fe);
        assert_eq!(d[0][63].to_bits(), 0xbe34f6fe);
        assert_eq!(d[1][0].to_bits(), 0x3e34cd21);
        // Rows are orthonormal-ish DCT basis vectors.
        for (i, row) in d.iter().enumerate() {
            let n: f32 = row.iter().map(|v| v * v).sum();
            assert!((n - 1.0).abs() < 1e-4, "row {i} norm {n}");
        }
    }

    #[test]
    fn box_filter_of_constant_is_constant() {
        let input = vec![5.0f32; 37];
        let mut out = vec![0.0f32; 37];
        for win in [1, 2, 3, 7, 8, 37] {
            box_1d(&input, &mut out, 0, 1, 37, win);
            assert!(out.iter().all(|v| (v - 5.0).abs() < 1e-5), "window {win}: {out:?}");
        }
    }

    #[test]
    fn box_filter_window_3_is_centred_mean() {
        let input = [0.0f32, 3.0, 6.0, 9.0, 12.0];
        let mut out = [0.0f32; 5];
        box_1d(&input, &mut out, 0, 1, 5, 3);
        assert_eq!(out, [1.5, 3.0, 6.0, 9.0, 10.5]);
    }

    #[test]
    fn median_split_sets_half_the_bits() {
        let p = hash_luma(&scene(200, 150, 1), 200, 150).unwrap();
        let ones: u32 = p.hash.iter().map(|b| b.count_ones()).sum();
        assert_eq!(ones, 128);
        assert!(p.quality > 0);
    }

    #[test]
    fn deterministic_and_brightness_invariant() {
        let base = scene(320, 240, 2);
        let a = hash_luma(&base, 320, 240).unwrap();
        let b = hash_luma(&base, 320, 240).unwrap();
        assert_eq!(a, b);
        let brighter: Vec<f32> = base.iter().map(|v| v * 1.1 + 12.0).collect();
        let c = hash_luma(&brighter, 320, 240).unwrap();
        assert!(distance(&a.hash, &c.hash) <= 4, "{}", distance(&a.hash, &c.hash));
    }

    #[test]
    fn flat_image_has_zero_quality() {
        let p = hash_luma(&vec![128.0; 100 * 100], 100, 100).unwrap();
        assert_eq!(p.quality, 0);
    }

    #[test]
    fn different_scenes_are_far_apart() {
        let a = hash_luma(&scene(256, 256, 1), 256, 256).unwrap();
        let b = hash_luma(&scene(256, 256, 5), 256, 256).unwrap();
        assert!(distance(&a.hash, &b.hash) > 40, "{}", distance(&a.hash, &b.hash));
    }

    #[test]
    fn tiny_and_bad_inputs() {
        assert!(hash_luma(&[], 0, 0).is_none());
        assert!(hash_luma(&[1.0; 5], 2, 3).is_none());
        assert!(hash_luma(&[1.0], 1, 1).is_some());
        assert!(hash_luma(&[1.0, 2.0, 3.0], 3, 1).is_some());
    }

    #[test]
    fn reduced_luma_factor_one_is_exact() {
        let rgb: Vec<u8> = (0..(7 * 5 * 3)).map(|i| (i * 37 % 256) as u8).collect();
        assert_eq!(luma_from_rgb8_reduced(&rgb, 7, 5, 1).2, luma_from_rgb8(&rgb));
        let (w, h, l) = luma_from_rgb8_reduced(&rgb, 7, 5, 2);
        assert_eq!((w, h, l.len()), (4, 3, 12));
    }

    /// Each dihedral variant is (within rounding) the hash of the picture
    /// actually rotated or flipped.
    #[test]
    fn dihedral_variants_are_the_hashes_of_the_moved_picture() {
        let (w, h) = (96usize, 80usize);
        let base = scene(w, h, 3);
        let at = |x: usize, y: usize| base[y * w + x];
        let moved: [(usize, usize, Vec<f32>); 8] = [
            (w, h, base.clone()),
            (h, w, (0..w * h).map(|k| at(k / h, h - 1 - k % h)).collect()),
            (w, h, (0..w * h).map(|k| at(w - 1 - k % w, h - 1 - k / w)).collect()),
            (h, w, (0..w * h).map(|k| at(w - 1 - k / h, k % h)).collect()),
            (w, h, (0..w * h).map(|k| at(w - 1 - k % w, k / w)).collect()),
            (w, h, (0..w * h).map(|k| at(k % w, h - 1 - k / w)).collect()),
            (h, w, (0..w * h).map(|k| at(k / h, k % h)).collect()),
            (h, w, (0..w * h).map(|k| at(w - 1 - k / h, h - 1 - k % h)).collect()),
        ];
        let (_, variants) = hash_luma_dihedral(&base, w, h).unwrap();
        assert_eq!(variants[0], hash_luma(&base, w, h).unwrap().hash);
        for (k, (mw, mh, m)) in moved.iter().enumerate() {
            let direct = hash_luma(m, *mw, *mh).unwrap().hash;
            let d = distance(&direct, &variants[k]);
            assert!(d <= 12, "variant {k}: {d} bits from the moved picture's hash");
            if k > 0 {
                assert!(distance(&variants[0], &variants[k]) > 40, "variant {k} is a different picture");
            }
        }
    }

    proptest! {
        #[test]
        fn hamming_is_a_metric(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), c in any::<[u8; 32]>()) {
            prop_assert_eq!(distance(&a, &a), 0);
            prop_assert_eq!(distance(&a, &b), distance(&b, &a));
            prop_assert!(distance(&a, &c) <= distance(&a, &b) + distance(&b, &c));
            prop_assert_eq!(distance(&a, &b) == 0, a == b);
            prop_assert!(distance(&a, &b) <= 256);
        }

        #[test]
        fn never_panics_on_any_shape(w in 1usize..300, h in 1usize..300, seed in 0u32..10) {
            let v = scene(w, h, seed);
            let p = hash_luma(&v, w, h);
            prop_assert!(p.is_some());
        }
    }
}
