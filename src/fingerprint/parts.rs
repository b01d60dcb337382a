//! Which parts of a picture get a hash, and in which orientations, so that
//! the copies reposts really are still meet their original (issue 15):
//!
//! - **whole**: the picture as it is;
//! - **trimmed**: the picture without uniform borders and UI strips
//!   (letterbox and pillarbox bars, a screenshot's status bar): kept only
//!   when trimming removed something, beside the untrimmed hash;
//! - **crop-90**, **crop-81**: centred crops keeping that share of the area
//!   (a copy cropped evenly all round);
//! - **cut-SIDE-D**: the picture without `D` % of its width or height on one
//!   side, for `D` in [`CUT_DEPTHS`]: an off-centre crop of the original
//!   meets the original's cut of that depth, and a caption, logo or
//!   watermark along one edge disappears from the same cut of both;
//! - **trimmed-cut-SIDE-D** (stills whose borders were trimmed): the same cuts
//!   of the trimmed content, so a screenshot's buttons or caption lying over
//!   the picture's edge go as a caption does, and meet the original's
//!   `cut-SIDE-D`;
//! - the eight **dihedral** orientations of the whole and trimmed hashes
//!   (PDQ's rotations and flips from one DCT): stored beside them but not
//!   indexed, and used only on the query side (mirrored and rotated copies).
//!
//! Why cuts and not a grid of fixed regions: a crop moves every fixed region
//! of the frame, and PDQ moves 25–35 bits per 2 % of misalignment (measured:
//! see ARCHITECTURE.md), so regions only meet when they are cut at nearly
//! the same depth; cuts along each side at 3 % steps keep any one-side crop
//! up to 19.5 % within 1.5 % of a stored cut.

use serde::Serialize;

use super::pdq;

/// Depths (percent of the width or height) of the one-side cuts.
pub const CUT_DEPTHS: [u8; 6] = [3, 6, 9, 12, 15, 18];
/// Centred crops (percent of the area kept).
pub const CENTRE_CROPS: [u8; 2] = [90, 81];

/// A side of the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    Top,
    Bottom,
    Left,
    Right,
}

impl Side {
    pub const ALL: [Side; 4] = [Side::Top, Side::Bottom, Side::Left, Side::Right];

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Top => "top",
            Side::Bottom => "bottom",
            Side::Left => "left",
            Side::Right => "right",
        }
    }
}

/// What a hash describes (`fingerprint.part`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    Whole,
    Trimmed,
    /// A centred crop keeping this percentage of the area.
    Centre(u8),
    /// Without this percentage on one side.
    Cut(Side, u8),
    /// The trimmed content without this percentage on one side (stills):
    /// a screenshot's buttons or caption over the picture's edge go, as a
    /// caption does from a [`Part::Cut`] of the same depth of the original.
    TrimmedCut(Side, u8),
}

impl Part {
    pub fn name(self) -> String {
        match self {
            Part::Whole => "whole".into(),
            Part::Trimmed => "trimmed".into(),
            Part::Centre(p) => format!("crop-{p}"),
            Part::Cut(s, d) => format!("cut-{}-{d}", s.as_str()),
            Part::TrimmedCut(s, d) => format!("trimmed-cut-{}-{d}", s.as_str()),
        }
    }

    /// The inverse of [`Part::name`]; unknown names are `None`.
    pub fn parse(s: &str) -> Option<Part> {
        match s {
            "whole" => return Some(Part::Whole),
            "trimmed" => return Some(Part::Trimmed),
            _ => {}
        }
        if let Some(p) = s.strip_prefix("crop-") {
            return p.parse().ok().map(Part::Centre);
        }
        let (trimmed, rest) = match s.strip_prefix("trimmed-cut-") {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix("cut-")?),
        };
        let (side, d) = rest.split_once('-')?;
        let side = Side::ALL.into_iter().find(|x| x.as_str() == side)?;
        let d = d.parse().ok()?;
        Some(if trimmed { Part::TrimmedCut(side, d) } else { Part::Cut(side, d) })
    }

    /// Words for `show`.
    pub fn describe(self) -> String {
        match self {
            Part::Whole => "whole picture".into(),
            Part::Trimmed => "borders trimmed".into(),
            Part::Centre(p) => format!("centred crop, {p} % of area"),
            Part::Cut(s, d) => format!("without {d} % at the {}", s.as_str()),
            Part::TrimmedCut(s, d) => format!("borders trimmed, without {d} % at the {}", s.as_str()),
        }
    }

    /// The whole frame, trimmed or evenly cropped: comparable with any other such part.
    pub fn is_frame(self) -> bool {
        !matches!(self, Part::Cut(..) | Part::TrimmedCut(..))
    }

    /// Whether the borders were trimmed before this part was taken.
    pub fn is_trimmed(self) -> bool {
        matches!(self, Part::Trimmed | Part::TrimmedCut(..))
    }
}

impl Serialize for Part {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// A rotation or flip applied to a hash (`fingerprint.transform`): the hash
/// the picture would have after it. Only identity hashes are indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transform {
    Identity,
    Rotate90,
    Rotate180,
    Rotate270,
    Mirror,
    FlipVertical,
    Transpose,
    Transverse,
}

impl Transform {
    /// In the order of [`pdq::DIHEDRAL`].
    pub const ALL: [Transform; 8] = [
        Transform::Identity,
        Transform::Rotate90,
        Transform::Rotate180,
        Transform::Rotate270,
        Transform::Mirror,
        Transform::FlipVertical,
        Transform::Transpose,
        Transform::Transverse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transform::Identity => "identity",
            Transform::Rotate90 => "rotate-90",
            Transform::Rotate180 => "rotate-180",
            Transform::Rotate270 => "rotate-270",
            Transform::Mirror => "mirror",
            Transform::FlipVertical => "flip-vertical",
            Transform::Transpose => "transpose",
            Transform::Transverse => "transverse",
        }
    }

    pub fn parse(s: &str) -> Option<Transform> {
        Transform::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The transform that undoes this one.
    pub fn inverse(self) -> Transform {
        match self {
            Transform::Rotate90 => Transform::Rotate270,
            Transform::Rotate270 => Transform::Rotate90,
            t => t,
        }
    }
}

/// A rectangle of a luminance buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
}

/// A row (or column) is border when at least this share of its pixels lie
/// within [`FLAT_TOLERANCE`] of its median: bars are uniform up to JPEG
/// noise, and a few overlaid buttons (a repost's like and share icons, ~7 %
/// of a row) do not make a bar content.
const FLAT_SHARE: f32 = 0.90;
const FLAT_TOLERANCE: f32 = 10.0;
/// Trimming must keep at least this share of each dimension (else the
/// picture is mostly flat and trimming would only find noise).
const MIN_KEPT: f32 = 0.25;
/// And remove at least this share of one dimension to count.
const MIN_TRIM: f32 = 0.02;

/// A flat row or column counts as border only when its level is within this
/// of the bars' level: a sky or a white wall inside the picture is flat too,
/// but it is not the colour of the bars around it.
const BAR_LEVEL_TOLERANCE: f32 = 24.0;
/// The bars' level is read off the flat lines in this outer share of each side.
const EDGE_SHARE: f32 = 0.10;

/// `Some(median)` when the line is flat (see [`FLAT_SHARE`]).
fn flat(values: &mut [f32]) -> Option<f32> {
    if values.is_empty() {
        return Some(0.0);
    }
    let mid = values.len() / 2;
    let median = *values.select_nth_unstable_by(mid, f32::total_cmp).1;
    let near = values.iter().filter(|v| (**v - median).abs() <= FLAT_TOLERANCE).count();
    (near as f32 >= FLAT_SHARE * values.len() as f32).then_some(median)
}

/// Which lines are border: flat, at the bars' level, and that level (the
/// median level of the flat lines near the edges, unless `bar` is given).
/// With no flat line near an edge, every flat line counts, as a picture
/// whose edges are UI strips still has flat rows between them.
fn borders(levels: &[Option<f32>], bar: Option<f32>) -> (Vec<bool>, Option<f32>) {
    let n = levels.len();
    let edge = ((n as f32 * EDGE_SHARE).ceil() as usize).max(1);
    let bar = bar.or_else(|| {
        let mut at_edges: Vec<f32> =
            levels.iter().enumerate().filter(|(i, _)| *i < edge || *i + edge >= n).filter_map(|(_, l)| *l).collect();
        let mid = at_edges.len() / 2;
        (!at_edges.is_empty()).then(|| *at_edges.select_nth_unstable_by(mid, f32::total_cmp).1)
    });
    let Some(level) = bar else { return (levels.iter().map(Option::is_some).collect(), None) };
    (levels.iter().map(|l| l.is_some_and(|v| (v - level).abs() <= BAR_LEVEL_TOLERANCE)).collect(), Some(level))
}

/// The longest run of `false` in `is_flat` as (start, len).
fn longest_content(is_flat: &[bool]) -> (usize, usize) {
    let (mut best, mut start) = ((0, 0), None);
    for (i, &f) in is_flat.iter().chain(std::iter::once(&true)).enumerate() {
        match (f, start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                if i - s > best.1 {
                    best = (s, i - s);
                }
                start = None;
            }
            _ => {}
        }
    }
    best
}

/// The content of a picture without uniform borders and UI strips: the
/// longest band of non-uniform rows, then within it the longest band of
/// non-uniform columns. `None` when nothing (or almost everything) would go.
pub fn trim(luma: &[f32], w: usize, h: usize) -> Option<Rect> {
    if w < 16 || h < 16 || luma.len() != w * h {
        return None;
    }
    let rows: Vec<Option<f32>> = (0..h).map(|y| flat(&mut luma[y * w..(y + 1) * w].to_vec())).collect();
    let (row_borders, bar) = borders(&rows, None);
    let (y, rh) = longest_content(&row_borders);
    if rh == 0 {
        return None;
    }
    // Columns are border at the rows' bar level when rows had bars: a
    // uniform wall at the picture's side is not a pillarbox.
    let cols: Vec<Option<f32>> =
        (0..w).map(|x| flat(&mut (y..y + rh).map(|yy| luma[yy * w + x]).collect::<Vec<_>>())).collect();
    let rows_trimmed = rh < h;
    let (x, cw) = longest_content(&borders(&cols, bar.filter(|_| rows_trimmed)).0);
    let kept_enough = cw as f32 >= MIN_KEPT * w as f32 && rh as f32 >= MIN_KEPT * h as f32;
    let trimmed = (w - cw) as f32 >= MIN_TRIM * w as f32 || (h - rh) as f32 >= MIN_TRIM * h as f32;
    (kept_enough && trimmed).then_some(Rect { x, y, w: cw, h: rh })
}

/// The pixels of `r`.
pub fn crop(luma: &[f32], w: usize, r: Rect) -> Vec<f32> {
    let mut out = Vec::with_capacity(r.w * r.h);
    for y in r.y..r.y + r.h {
        out.extend_from_slice(&luma[y * w + r.x..y * w + r.x + r.w]);
    }
    out
}

/// The regions of a still to hash besides the whole and the trimmed picture:
/// centred crops and one-side cuts, as rectangles of a `w`×`h` picture.
pub fn still_regions(w: usize, h: usize) -> Vec<(Part, Rect)> {
    let mut out = Vec::new();
    for keep in CENTRE_CROPS {
        let side = (f64::from(keep) / 100.0).sqrt();
        let (cw, ch) = (((w as f64) * side).round() as usize, ((h as f64) * side).round() as usize);
        if cw >= 8 && ch >= 8 && cw <= w && ch <= h {
            out.push((Part::Centre(keep), Rect { x: (w - cw) / 2, y: (h - ch) / 2, w: cw, h: ch }));
        }
    }
    for side in Side::ALL {
        for d in CUT_DEPTHS {
            let (dw, dh) = (w * usize::from(d) / 100, h * usize::from(d) / 100);
            let r = match side {
                Side::Top => Rect { x: 0, y: dh, w, h: h - dh },
                Side::Bottom => Rect { x: 0, y: 0, w, h: h - dh },
                Side::Left => Rect { x: dw, y: 0, w: w - dw, h },
                Side::Right => Rect { x: 0, y: 0, w: w - dw, h },
            };
            if r.w >= 8 && r.h >= 8 {
                out.push((Part::Cut(side, d), r));
            }
        }
    }
    out
}

/// One hash of a part of a picture under a transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartHash {
    pub part: Part,
    pub transform: Transform,
    pub hash: pdq::Hash256,
    pub quality: u8,
}

/// The hashes of a picture (or a video frame) given as luminance: the whole
/// and the trimmed picture with the `transforms` of each, then, for stills,
/// the centred crops and one-side cuts (identity only). The picture is
/// blurred once: the whole and the crops and cuts sample that one blur
/// (`pdq::hash_blurred`); the trimmed content is blurred on its own, since
/// the bars next to it would otherwise bleed into its edges.
pub fn hashes(luma: &[f32], w: usize, h: usize, transforms: &[Transform], still: bool) -> Vec<PartHash> {
    let mut out = Vec::new();
    let keep = |part: Part, (quality, variants): (u8, [pdq::Hash256; 8]), out: &mut Vec<PartHash>| {
        for (t, hash) in Transform::ALL.into_iter().zip(variants) {
            if t == Transform::Identity || transforms.contains(&t) {
                out.push(PartHash { part, transform: t, hash, quality });
            }
        }
    };
    let Some(blur) = pdq::blurred(luma, w, h) else { return out };
    if let Some(v) = pdq::hash_blurred(&blur, w, (0, 0, w, h)) {
        keep(Part::Whole, v, &mut out);
    }
    if let Some(r) = trim(luma, w, h) {
        let content = crop(luma, w, r);
        if let Some(v) = pdq::hash_luma_dihedral(&content, r.w, r.h) {
            keep(Part::Trimmed, v, &mut out);
        }
        // Stills: the trimmed content's one-side cuts, from its own blur.
        if let Some(tblur) = pdq::blurred(&content, r.w, r.h).filter(|_| still) {
            for (part, c) in still_regions(r.w, r.h) {
                let Part::Cut(side, d) = part else { continue };
                if let Some((quality, v)) = pdq::hash_blurred(&tblur, r.w, (c.x, c.y, c.w, c.h)) {
                    out.push(PartHash {
                        part: Part::TrimmedCut(side, d),
                        transform: Transform::Identity,
                        hash: v[0],
                        quality,
                    });
                }
            }
        }
    }
    if still {
        for (part, r) in still_regions(w, h) {
            if let Some((quality, v)) = pdq::hash_blurred(&blur, w, (r.x, r.y, r.w, r.h)) {
                out.push(PartHash { part, transform: Transform::Identity, hash: v[0], quality });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn textured(w: usize, h: usize) -> Vec<f32> {
        (0..w * h)
            .map(|k| ((k % w) as f32 * 0.37).sin() * 60.0 + ((k / w) as f32 * 0.23).cos() * 50.0 + 128.0)
            .collect()
    }

    /// A picture pasted into a taller black canvas with a noisy status bar.
    fn letterboxed(w: usize, h: usize, canvas_h: usize) -> (Vec<f32>, usize) {
        let pic = textured(w, h);
        let top = (canvas_h - h) / 2;
        let mut out = vec![0.0f32; w * canvas_h];
        for y in 0..h {
            out[(top + y) * w..(top + y + 1) * w].copy_from_slice(&pic[y * w..(y + 1) * w]);
        }
        for y in 2..10 {
            for x in (5..w / 3).step_by(3) {
                out[y * w + x] = 230.0;
            }
        }
        (out, top)
    }

    #[test]
    fn trims_bars_and_a_status_strip_to_the_content() {
        let (l, top) = letterboxed(180, 101, 320);
        assert_eq!(trim(&l, 180, 320), Some(Rect { x: 0, y: top, w: 180, h: 101 }));
        // Nothing to trim in the picture itself.
        assert_eq!(trim(&textured(180, 101), 180, 101), None);
        // A flat picture is not trimmed to noise.
        assert_eq!(trim(&[40.0; 100 * 100], 100, 100), None);
    }

    #[test]
    fn flat_content_inside_the_bars_is_content_not_border() {
        // Black bars around a picture whose top third is a uniform sky and
        // whose right edge is a uniform wall.
        let (w, h, canvas_h) = (180, 101, 320);
        let (mut l, top) = letterboxed(w, h, canvas_h);
        for y in top..top + h / 3 {
            l[y * w..(y + 1) * w].fill(170.0);
        }
        for y in top..top + h {
            l[y * w + w - 12..(y + 1) * w].fill(120.0);
        }
        assert_eq!(trim(&l, w, canvas_h), Some(Rect { x: 0, y: top, w, h }));
        // The same picture without bars: the sky is at the edge, so it goes
        // (a second, harmless hash of the rest); the wall stays, being
        // another level than the sky.
        let pic: Vec<f32> = l[top * w..(top + h) * w].to_vec();
        assert_eq!(trim(&pic, w, h), Some(Rect { x: 0, y: h / 3, w, h: h - h / 3 }));
    }

    #[test]
    fn pillarbox_bars_are_trimmed_when_rows_have_none() {
        // A portrait picture between black side bars (no bars above or below).
        let (pw, h, w) = (60, 120, 200);
        let pic = textured(pw, h);
        let left = (w - pw) / 2;
        let mut l = vec![0.0f32; w * h];
        for y in 0..h {
            l[y * w + left..y * w + left + pw].copy_from_slice(&pic[y * pw..(y + 1) * pw]);
        }
        assert_eq!(trim(&l, w, h), Some(Rect { x: left, y: 0, w: pw, h }));
    }

    #[test]
    fn part_names_round_trip() {
        for (p, _) in still_regions(200, 100) {
            assert_eq!(Part::parse(&p.name()), Some(p));
        }
        for p in [Part::Whole, Part::Trimmed, Part::TrimmedCut(Side::Bottom, 15), Part::TrimmedCut(Side::Left, 3)] {
            assert_eq!(Part::parse(&p.name()), Some(p));
        }
        assert_eq!(Part::parse("trimmed-cut-middle-3"), None);
        for t in Transform::ALL {
            assert_eq!(Transform::parse(t.as_str()), Some(t));
            assert_eq!(t.inverse().inverse(), t);
        }
        assert_eq!(Part::parse("cut-middle-3"), None);
    }

    proptest! {
        #[test]
        fn trim_never_panics_and_stays_inside(w in 1usize..60, h in 1usize..60, seed in any::<u32>()) {
            let l: Vec<f32> = (0..w * h).map(|k| if (k as u32 ^ seed) % 7 < 3 { 0.0 } else { ((k as u32).wrapping_mul(seed) % 251) as f32 }).collect();
            if let Some(r) = trim(&l, w, h) {
                prop_assert!(r.x + r.w <= w && r.y + r.h <= h && r.w > 0 && r.h > 0);
            }
        }
    }
}
