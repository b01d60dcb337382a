//! Re-upload fixtures (issue 15): originals that look like photos and videos
//! made from them, and the transformations reposts really go through, one
//! per row of the table. Everything is generated (the `image` crate
//! and ffmpeg), deterministic per seed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use image::imageops::{self, FilterType};
use image::{Rgb, RgbImage};

use super::media;

/// One transformation of a still, as the table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoEdit {
    /// Resized to 50 % and re-encoded at JPEG quality 40.
    HalfSizeQ40,
    Greyscale,
    /// A white caption box with dark "text" over 10 % of the picture.
    Caption,
    Mirrored,
    Rotated90,
    /// 12 % cut off one side (which side depends on the seed).
    CropOneSide,
    /// Pasted into a taller 9:16 canvas with black bars and UI strips (a
    /// phone screenshot or a vertical repost).
    Screenshot,
}

impl PhotoEdit {
    pub const ALL: [PhotoEdit; 7] = [
        PhotoEdit::HalfSizeQ40,
        PhotoEdit::Greyscale,
        PhotoEdit::Caption,
        PhotoEdit::Mirrored,
        PhotoEdit::Rotated90,
        PhotoEdit::CropOneSide,
        PhotoEdit::Screenshot,
    ];

    pub fn label(self) -> &'static str {
        match self {
            PhotoEdit::HalfSizeQ40 => "photo resized to 50 % + JPEG quality 40",
            PhotoEdit::Greyscale => "photo in greyscale",
            PhotoEdit::Caption => "photo with a white caption box over 10 % of it",
            PhotoEdit::Mirrored => "photo mirrored",
            PhotoEdit::Rotated90 => "photo rotated 90 degrees",
            PhotoEdit::CropOneSide => "photo cropped 12 % off one side (off-centre)",
            PhotoEdit::Screenshot => "photo in a taller canvas with black bars and UI strips",
        }
    }

    /// The edited picture as a JPEG; `seed` varies the caption's place and the cropped side.
    pub fn apply(self, img: &RgbImage, seed: u64) -> Vec<u8> {
        let (w, h) = img.dimensions();
        match self {
            PhotoEdit::HalfSizeQ40 => media::encode(&imageops::resize(img, w / 2, h / 2, FilterType::Triangle), 40),
            PhotoEdit::Greyscale => {
                let grey = image::DynamicImage::ImageRgb8(img.clone()).grayscale().into_rgb8();
                media::encode(&grey, 85)
            }
            PhotoEdit::Caption => media::encode(&caption(img, seed), 85),
            PhotoEdit::Mirrored => media::encode(&imageops::flip_horizontal(img), 85),
            PhotoEdit::Rotated90 => media::encode(&imageops::rotate90(img), 85),
            PhotoEdit::CropOneSide => {
                let (cw, ch) = ((w as f64 * 0.12) as u32, (h as f64 * 0.12) as u32);
                let (x, y, nw, nh) = match seed % 4 {
                    0 => (cw, 0, w - cw, h),
                    1 => (0, 0, w - cw, h),
                    2 => (0, ch, w, h - ch),
                    _ => (0, 0, w, h - ch),
                };
                media::encode(&imageops::crop_imm(img, x, y, nw, nh).to_image(), 85)
            }
            PhotoEdit::Screenshot => media::encode(&screenshot(img, seed), 80),
        }
    }
}

/// Dark blocks in rows, like lines of text, inside `(x0, y0, w, h)`.
fn text_blocks(img: &mut RgbImage, (x0, y0, w, h): (u32, u32, u32, u32), ink: Rgb<u8>, seed: u64) {
    let mut rng = media::Rng::new(seed);
    let line = (h / 3).max(4);
    let glyph = (line * 6 / 10).max(2);
    let mut y = y0 + line / 3;
    while y + glyph < y0 + h {
        let mut x = x0 + glyph;
        while x + glyph < x0 + w - glyph {
            let len = glyph * (2 + rng.below(5));
            for yy in y..y + glyph {
                for xx in x..(x + len).min(x0 + w - glyph) {
                    img.put_pixel(xx, yy, ink);
                }
            }
            x += len + glyph;
        }
        y += line;
    }
}

/// A white caption box with text, 80 % wide, covering 10 % of the area, at
/// the top or the bottom (meme style).
fn caption(img: &RgbImage, seed: u64) -> RgbImage {
    let (w, h) = img.dimensions();
    let mut out = img.clone();
    let (bw, bh) = (w * 8 / 10, h / 8);
    let x0 = (w - bw) / 2;
    let y0 = if seed.is_multiple_of(2) { h / 30 } else { h - bh - h / 30 };
    for y in y0..y0 + bh {
        for x in x0..x0 + bw {
            out.put_pixel(x, y, Rgb([250, 250, 250]));
        }
    }
    text_blocks(&mut out, (x0, y0, bw, bh), Rgb([20, 20, 20]), seed);
    out
}

/// The picture at the width of a 720×1280 phone screen, centred between
/// black bars, under a status bar and over a strip of buttons and a caption.
fn screenshot(img: &RgbImage, seed: u64) -> RgbImage {
    let (cw, ch) = (720u32, 1280u32);
    let (w, h) = img.dimensions();
    // Landscape: the screen's width; portrait: 70 % of its height.
    let (sw, sh) =
        if w * ch >= h * cw { (cw, (h * cw / w).max(1)) } else { ((w * ch * 7 / 10 / h).max(1), ch * 7 / 10) };
    let scaled = imageops::resize(img, sw, sh, FilterType::Triangle);
    let mut out = RgbImage::from_pixel(cw, ch, Rgb([0, 0, 0]));
    imageops::overlay(&mut out, &scaled, i64::from((cw - sw) / 2), i64::from((ch - sh) / 2));
    // Status bar: clock and icons, light on dark grey.
    for y in 0..48 {
        for x in 0..cw {
            out.put_pixel(x, y, Rgb([28, 28, 30]));
        }
    }
    text_blocks(&mut out, (0, 8, 200, 36), Rgb([235, 235, 235]), seed);
    text_blocks(&mut out, (560, 8, 160, 36), Rgb([235, 235, 235]), seed + 1);
    // Bottom: user name and caption lines, then round buttons on the right.
    text_blocks(&mut out, (16, ch - 210, 520, 120), Rgb([240, 240, 240]), seed + 2);
    for (i, cy) in [ch - 420, ch - 320, ch - 220].iter().enumerate() {
        let cx = 660i64;
        for y in (*cy as i64 - 26)..(*cy as i64 + 26) {
            for x in (cx - 26)..(cx + 26) {
                if (x - cx).pow(2) + (y - *cy as i64).pow(2) <= 26 * 26 {
                    out.put_pixel(x as u32, y as u32, Rgb([230, 230 - 40 * i as u8, 230]));
                }
            }
        }
    }
    for y in ch - 70..ch {
        for x in 0..cw {
            out.put_pixel(x, y, Rgb([18, 18, 18]));
        }
    }
    text_blocks(&mut out, (40, ch - 60, 640, 50), Rgb([200, 200, 200]), seed + 3);
    out
}

/// A photo-like outdoor scene: a sky graded towards the horizon (nearly
/// uniform along each row, as real skies are: a trap for border trimming),
/// textured ground, buildings with lit windows, trees and a sun.
pub fn scene(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut rng = media::Rng::new(seed ^ 0x5ce7e);
    let horizon = h * (35 + rng.below(25)) / 100;
    let sky_top = [rng.below(60) as f32 + 20.0, rng.below(80) as f32 + 60.0, 150.0 + rng.below(100) as f32];
    let sky_low = [200.0 + rng.below(55) as f32, 170.0 + rng.below(60) as f32, 140.0 + rng.below(100) as f32];
    let texture = media::photo(w, h, seed ^ 0xa11);
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        if y < horizon {
            let t = y as f32 / horizon.max(1) as f32;
            Rgb([0, 1, 2].map(|c| (sky_top[c] * (1.0 - t) + sky_low[c] * t) as u8))
        } else {
            let p = texture.get_pixel(x, y).0;
            Rgb([p[0] / 2 + 30, p[1] / 2 + 50, p[2] / 3 + 20])
        }
    });
    let sun = (i64::from(rng.below(w)), i64::from(rng.below(horizon.max(2) / 2 + 1)), i64::from(h / 20 + 4));
    disc(&mut img, sun, Rgb([255, 240, 200]));
    let mut x = rng.below(w / 8 + 1);
    while x < w {
        let bw = w / 14 + rng.below(w / 8 + 1);
        let bh = h / 10 + rng.below(h / 3 + 1);
        let top = horizon.saturating_sub(bh);
        let wall = Rgb([60 + rng.byte() / 3, 55 + rng.byte() / 3, 50 + rng.byte() / 3]);
        for yy in top..(horizon + h / 30).min(h) {
            for xx in x..(x + bw).min(w) {
                img.put_pixel(xx, yy, wall);
            }
        }
        let (step_x, step_y) = ((bw / 5).max(4), (bh / 8).max(4));
        let mut wy = top + step_y / 2;
        while wy + step_y / 2 < horizon {
            let mut wx = x + step_x / 3;
            while wx + step_x / 2 < (x + bw).min(w) {
                let lit = if rng.below(3) == 0 { Rgb([240, 220, 140]) } else { Rgb([30, 35, 45]) };
                for yy in wy..wy + step_y / 2 {
                    for xx in wx..wx + step_x / 2 {
                        img.put_pixel(xx, yy, lit);
                    }
                }
                wx += step_x;
            }
            wy += step_y;
        }
        x += bw + rng.below(w / 10 + 1);
    }
    for _ in 0..(3 + rng.below(6)) {
        let (tx, ty) = (i64::from(rng.below(w)), i64::from(horizon + rng.below(h - horizon)));
        let r = i64::from(h / 25 + rng.below(h / 12 + 1));
        disc(&mut img, (tx, ty, r), Rgb([20 + rng.byte() / 5, 70 + rng.byte() / 3, 25 + rng.byte() / 5]));
    }
    img
}

fn disc(img: &mut RgbImage, (cx, cy, r): (i64, i64, i64), color: Rgb<u8>) {
    let (w, h) = (i64::from(img.width()), i64::from(img.height()));
    for y in (cy - r).max(0)..(cy + r).min(h) {
        for x in (cx - r).max(0)..(cx + r).min(w) {
            if (x - cx).pow(2) + (y - cy).pow(2) <= r * r {
                img.put_pixel(x as u32, y as u32, color);
            }
        }
    }
}

/// A scene (even seeds) or a textured photo (odd seeds) of `w`×`h`, drawn
/// at half the size and enlarged (as soft as a phone photo, and quick to
/// make in an unoptimised test build).
pub fn picture(w: u32, h: u32, seed: u64) -> RgbImage {
    let (hw, hh) = ((w / 2).max(1), (h / 2).max(1));
    let small = if seed.is_multiple_of(2) { scene(hw, hh, seed) } else { media::photo(hw, hh, seed) };
    imageops::resize(&small, w, h, FilterType::CatmullRom)
}

/// The `i`-th original: scenes and textured photos, landscape and portrait,
/// of different sizes and aspect ratios.
pub fn original(i: u64) -> RgbImage {
    let sizes = [(1200, 900), (1280, 720), (900, 1200), (1600, 1200), (1080, 1080)];
    let (w, h) = sizes[(i % sizes.len() as u64) as usize];
    picture(w, h, 1000 + i)
}

/// One transformation of a video, as the table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoEdit {
    /// Re-encoded at 854×480, lower quality.
    Reencode480,
    /// The 6 s from 00:05 to 00:11.
    Excerpt,
    Mirrored,
    /// 16:9 letterboxed into a 9:16 (720×1280) vertical frame.
    Vertical,
}

impl VideoEdit {
    pub const ALL: [VideoEdit; 4] =
        [VideoEdit::Reencode480, VideoEdit::Excerpt, VideoEdit::Mirrored, VideoEdit::Vertical];

    pub fn label(self) -> &'static str {
        match self {
            VideoEdit::Reencode480 => "video re-encoded at 480p",
            VideoEdit::Excerpt => "video, a 6 s excerpt",
            VideoEdit::Mirrored => "video mirrored",
            VideoEdit::Vertical => "16:9 video letterboxed into a 9:16 vertical frame",
        }
    }

    pub fn apply(self, src: &Path, dst: &Path) -> PathBuf {
        let input = src.to_str().expect("utf-8 path");
        let enc = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k"];
        match self {
            VideoEdit::Reencode480 => {
                ffmpeg(&[&["-i", input, "-vf", "scale=854:480", "-crf", "32"][..], &enc].concat(), dst)
            }
            VideoEdit::Excerpt => {
                ffmpeg(&[&["-ss", "5", "-i", input, "-t", "6", "-crf", "26"][..], &enc].concat(), dst)
            }
            VideoEdit::Mirrored => ffmpeg(&[&["-i", input, "-vf", "hflip", "-crf", "26"][..], &enc].concat(), dst),
            VideoEdit::Vertical => ffmpeg(
                &[&["-i", input, "-vf", "scale=720:-2,pad=720:1280:(ow-iw)/2:(oh-ih)/2:black", "-crf", "28"][..], &enc]
                    .concat(),
                dst,
            ),
        }
        dst.to_path_buf()
    }
}

/// A 12 s, 640×360 clip made from three generated pictures (4 s each, the
/// camera panning across each), with a tune of its own: the kind of video
/// people cut, mirror and repost. `seed` makes it distinct.
pub fn video_from_photos(dir: &Path, name: &str, seed: u64, secs_each: u32) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    let mut inputs: Vec<String> = Vec::new();
    for k in 0..3 {
        let img = picture(960, 540, seed * 7 + k);
        let p = dir.join(format!("{name}-{k}.png"));
        img.save(&p).unwrap_or_else(|e| panic!("writing {}: {e}", p.display()));
        inputs.push(p.to_str().expect("utf-8 path").to_string());
    }
    let t = secs_each.to_string();
    let mut args: Vec<String> = Vec::new();
    for p in &inputs {
        args.extend(["-loop", "1", "-framerate", "25", "-t", &t, "-i", p].map(String::from));
    }
    // A tune: a few notes of seed-dependent pitch over a quiet noise floor.
    let f0 = 180 + (seed % 17) * 23;
    let tune = format!(
        "aevalsrc='0.4*sin(2*PI*t*({f0}+{d}*floor(mod(t*2\\,5))))+0.05*sin(2*PI*t*{f1})':s=22050:d={total}",
        d = 30 + seed % 11 * 7,
        f1 = 1000 + seed * 37 % 900,
        total = secs_each * 3
    );
    args.extend(["-f", "lavfi", "-i", &tune].map(String::from));
    let pan = |i: usize| format!("[{i}:v]crop=640:360:x='(iw-640)*t/{t}':y='(ih-360)*({i}+1)/4',setsar=1[v{i}]");
    let filter = format!("{};{};{};[v0][v1][v2]concat=n=3:v=1:a=0[v]", pan(0), pan(1), pan(2));
    args.extend(["-filter_complex", &filter, "-map", "[v]", "-map", "3:a"].map(String::from));
    args.extend(["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"].map(String::from));
    args.extend(["-c:a", "aac", "-b:a", "128k", "-shortest"].map(String::from));
    let path = dir.join(name);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ffmpeg(&refs, &path);
    for p in &inputs {
        let _ = std::fs::remove_file(p);
    }
    path
}

fn ffmpeg(args: &[&str], out: &Path) {
    let res = Command::new("ffmpeg").args(["-y", "-loglevel", "error", "-nostdin"]).args(args).arg(out).output();
    let o = match res {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("ffmpeg not found on PATH: run `bash .ci/install-test-deps`")
        }
        Err(e) => panic!("could not run ffmpeg: {e}"),
    };
    assert!(o.status.success(), "ffmpeg {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
}

/// ffmpeg's `aevalsrc` expression for a tune that never repeats: a note
/// every 250 ms whose pitch (two octaves) comes from a hash of the note's
/// index and `seed`, over a bass line changing every 500 ms.
fn tune_expr(seed: u64) -> String {
    let note = |rate: u32, salt: f64, span: u32| {
        let phase = salt + seed as f64 * 0.6173;
        format!("mod(floor(abs(sin(floor(t*{rate})*12.9898+{phase:.4})*43758.5453))\\,{span})/12")
    };
    format!("0.35*sin(2*PI*t*220*pow(2\\,{}))+0.25*sin(2*PI*t*110*pow(2\\,{}))", note(4, 7.0, 24), note(2, 3.0, 12))
}

/// A `secs` long 44.1 kHz stereo WAV of the tune of `seed` over a quiet
/// pink-noise bed (a room): the sound a clip carries. Distinct per seed.
pub fn tune_wav(dir: &Path, name: &str, seed: u64, secs: u32) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    let path = dir.join(name);
    let tune = format!("aevalsrc=exprs='{}':s=44100:d={secs}", tune_expr(seed));
    let noise = format!("anoisesrc=d={secs}:c=pink:a=0.02:seed={seed}:r=44100");
    let mix = "[0][1]amix=inputs=2:normalize=0,pan=stereo|c0=c0|c1=c0";
    ffmpeg(
        &["-f", "lavfi", "-i", &tune, "-f", "lavfi", "-i", &noise, "-filter_complex", mix, "-c:a", "pcm_s16le"],
        &path,
    );
    path
}

/// `audio` recorded again: cut to `from`..`from + secs`, under pink noise
/// of its own (`seed`) at `noise` amplitude, encoded by `codec` (an audio
/// file: `libmp3lame`, `aac`): what a second phone recording of the same
/// sound gives.
pub fn rerecord(audio: &Path, out: &Path, (from, secs): (f64, f64), noise: f64, seed: u64, codec: &str) -> PathBuf {
    let noise = format!("anoisesrc=d={secs}:c=pink:a={noise}:seed={seed}:r=44100");
    let (from, secs) = (from.to_string(), secs.to_string());
    let input = audio.to_str().expect("utf-8 path");
    ffmpeg(
        &["-ss", &from, "-t", &secs, "-i", input, "-f", "lavfi", "-i", &noise]
            .into_iter()
            .chain(["-filter_complex", "[0][1]amix=inputs=2:normalize=0", "-ac", "1", "-c:a", codec, "-b:a", "96k"])
            .collect::<Vec<_>>(),
        out,
    );
    out.to_path_buf()
}

/// `video`'s pictures with `audio`'s sound (AAC), as long as the shorter:
/// a re-upload with new visuals over the same sound, or a clip given its tune.
pub fn with_sound(video: &Path, audio: &Path, out: &Path) -> PathBuf {
    let (v, a) = (video.to_str().expect("utf-8 path"), audio.to_str().expect("utf-8 path"));
    ffmpeg(
        &[
            "-i",
            v,
            "-i",
            a,
            "-map",
            "0:v:0",
            "-map",
            "1:a:0",
            "-c:v",
            "copy",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-shortest",
        ],
        out,
    );
    out.to_path_buf()
}

/// A `secs` long H.264 clip of the ffmpeg test pattern `source` (`testsrc`,
/// `testsrc2`, `mandelbrot`, ...) with `audio`'s sound.
pub fn pattern_with_sound(source: &str, audio: &Path, out: &Path, secs: u32) -> PathBuf {
    let src = format!("{source}=size=640x360:rate=25");
    let (a, secs) = (audio.to_str().expect("utf-8 path"), secs.to_string());
    ffmpeg(
        &["-f", "lavfi", "-i", &src, "-i", a, "-t", &secs, "-map", "0:v", "-map", "1:a"]
            .into_iter()
            .chain(["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k"])
            .collect::<Vec<_>>(),
        out,
    );
    out.to_path_buf()
}

/// An excerpt of `video` from `from` s, `secs` long, re-encoded.
pub fn excerpt(video: &Path, out: &Path, from: f64, secs: f64) -> PathBuf {
    let (from, secs) = (from.to_string(), secs.to_string());
    let v = video.to_str().expect("utf-8 path");
    ffmpeg(
        &["-ss", &from, "-t", &secs, "-i", v, "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", "-b:a", "96k"],
        out,
    );
    out.to_path_buf()
}
