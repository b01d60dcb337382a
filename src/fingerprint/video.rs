//! Keyframes from videos via the `ffmpeg` on PATH: one frame per second plus
//! scene changes, at most [`MAX_FRAMES`], decoded to small RGB frames over a
//! pipe, under a wall-clock limit. Also collects the container/stream tags
//! ffmpeg prints (encoder, handler), which feed the transcode hints.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Frames fingerprinted per video at most.
pub const MAX_FRAMES: usize = 120;
/// Longest edge of decoded frames (aspect kept).
pub const FRAME_EDGE: u32 = 320;
/// Wall-clock limit for one ffmpeg run.
pub const TIME_LIMIT: Duration = Duration::from_secs(120);
/// Minimum scene-change score that adds a frame between the 1-per-second samples.
const SCENE_THRESHOLD: f32 = 0.4;

/// One decoded frame.
pub struct Frame {
    /// Presentation time in milliseconds.
    pub ms: u64,
    pub width: u32,
    pub height: u32,
    /// Packed RGB, `width * height * 3` bytes.
    pub rgb: Vec<u8>,
}

/// What one ffmpeg run gave.
pub struct Decoded {
    pub frames: Vec<Frame>,
    /// `key: value` metadata lines ffmpeg printed for the input (lower-cased keys).
    pub tags: Vec<(String, String)>,
    /// The run stopped early (frame cap reached or time limit); frames so far are kept.
    pub truncated: Option<String>,
}

#[derive(Debug)]
pub enum VideoError {
    /// No `ffmpeg` on PATH.
    NoFfmpeg,
    /// ffmpeg ran but produced nothing usable.
    Failed(String),
}

/// Whether an `ffmpeg` can be started.
pub fn ffmpeg_available() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Decode sampled frames of `path` with ffmpeg.
pub fn decode(path: &Path) -> Result<Decoded, VideoError> {
    let select = format!("select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,1)+gt(scene\\,{SCENE_THRESHOLD})'");
    let scale = format!(
        "scale=w={FRAME_EDGE}:h={FRAME_EDGE}:force_original_aspect_ratio=decrease:flags=area,scale=trunc(iw/2)*2:trunc(ih/2)*2"
    );
    let filter = format!("{select},{scale},format=rgb24,showinfo");
    let mut child = match Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-nostats", "-loglevel", "info", "-threads", "2", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-an", "-sn", "-dn", "-vf", &filter, "-fps_mode", "vfr"])
        .args(["-frames:v", &MAX_FRAMES.to_string(), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(VideoError::NoFfmpeg),
        Err(e) => return Err(VideoError::Failed(format!("cannot start ffmpeg: {e}"))),
    };
    let (Some(mut out), Some(mut err)) = (child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(VideoError::Failed("ffmpeg pipes unavailable".into()));
    };
    // Frames are small (≤ 320×320×3) and capped, so both streams fit in memory.
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let cap = (MAX_FRAMES as u64 + 1) * u64::from(FRAME_EDGE * FRAME_EDGE * 3);
        let _ = (&mut out).take(cap).read_to_end(&mut buf);
        // Drain anything past the cap so ffmpeg never blocks on a full pipe.
        let _ = std::io::copy(&mut out, &mut std::io::sink());
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut err).take(8 << 20).read_to_end(&mut buf);
        let _ = std::io::copy(&mut err, &mut std::io::sink());
        String::from_utf8_lossy(&buf).into_owned()
    });
    let started = Instant::now();
    let mut truncated = None;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if started.elapsed() > TIME_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                truncated = Some(format!("ffmpeg stopped after the {} s time limit", TIME_LIMIT.as_secs()));
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(VideoError::Failed(format!("waiting for ffmpeg: {e}")));
            }
        }
    };
    let raw = out_reader.join().unwrap_or_default();
    let log = err_reader.join().unwrap_or_default();
    let infos = parse_showinfo(&log);
    let tags = parse_tags(&log);
    let Some(&(_, w, h)) = infos.first() else {
        let why = log.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no frames decoded").trim().to_string();
        return Err(VideoError::Failed(match status {
            Some(s) if !s.success() => format!("ffmpeg failed ({s}): {why}"),
            _ => format!("ffmpeg decoded no frames: {why}"),
        }));
    };
    let size = (w as usize) * (h as usize) * 3;
    let mut frames = Vec::new();
    for (i, chunk) in raw.chunks_exact(size.max(1)).enumerate() {
        let Some(&(ms, fw, fh)) = infos.get(i) else { break };
        if (fw, fh) != (w, h) {
            // A mid-stream resolution change; frames after it are not comparable in size.
            truncated = Some("frame size changed mid-stream; later frames skipped".into());
            break;
        }
        frames.push(Frame { ms, width: w, height: h, rgb: chunk.to_vec() });
    }
    if frames.len() >= MAX_FRAMES && truncated.is_none() {
        truncated = Some(format!("sampled the first {MAX_FRAMES} keyframes only"));
    }
    Ok(Decoded { frames, tags, truncated })
}

/// `(pts_time ms, width, height)` of each frame from the `showinfo` filter's lines.
fn parse_showinfo(log: &str) -> Vec<(u64, u32, u32)> {
    let mut out = Vec::new();
    for line in log.lines() {
        if !line.contains("showinfo") || !line.contains(" n:") {
            continue;
        }
        let field = |key: &str| -> Option<&str> {
            let at = line.find(key)? + key.len();
            let rest = line[at..].trim_start();
            Some(rest.split_whitespace().next().unwrap_or(""))
        };
        let ms = field("pts_time:")
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|t| t.is_finite() && *t >= 0.0)
            .map(|t| (t * 1000.0).round() as u64)
            .unwrap_or(0);
        let Some((w, h)) = field(" s:").and_then(|s| s.split_once('x')) else { continue };
        let (Ok(w), Ok(h)) = (w.parse::<u32>(), h.parse::<u32>()) else { continue };
        if w == 0 || h == 0 || w > 4 * FRAME_EDGE || h > 4 * FRAME_EDGE {
            continue;
        }
        out.push((ms, w, h));
    }
    out
}

/// Metadata lines of the input section (`    encoder         : Lavf60.16.100`).
fn parse_tags(log: &str) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    let mut in_input = false;
    for line in log.lines() {
        if line.starts_with("Input #") {
            in_input = true;
            continue;
        }
        if line.starts_with("Output #") || line.starts_with("Stream mapping") {
            in_input = false;
        }
        if !in_input {
            continue;
        }
        let t = line.trim();
        if let Some((k, v)) = t.split_once(':') {
            let k = k.trim();
            if !k.is_empty() && !k.contains(' ') && k.len() < 64 {
                tags.push((k.to_ascii_lowercase(), v.trim().to_string()));
            }
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn showinfo_lines_parse() {
        let log = "[Parsed_showinfo_3 @ 0x5] n:   0 pts:      0 pts_time:0       duration:512 fmt:rgb24 sar:1/1 s:320x180 i:P\n\
                   [Parsed_showinfo_3 @ 0x5] n:   1 pts:  12800 pts_time:1.0 duration:512 fmt:rgb24 s:320x180 i:P\n\
                   [Parsed_showinfo_3 @ 0x5] config in time_base: 1/12800";
        assert_eq!(parse_showinfo(log), vec![(0, 320, 180), (1000, 320, 180)]);
    }

    #[test]
    fn input_tags_parse() {
        let log = "Input #0, mov,mp4, from 'x.mp4':\n  Metadata:\n    major_brand     : isom\n    encoder         : Lavf60.16.100\n  Duration: 00:00:02.00, start: 0.000000\n    Metadata:\n      handler_name    : VideoHandler\nStream mapping:\n  encoder : nope";
        let tags = parse_tags(log);
        assert!(tags.contains(&("encoder".into(), "Lavf60.16.100".into())));
        assert!(tags.contains(&("handler_name".into(), "VideoHandler".into())));
        assert!(!tags.iter().any(|(_, v)| v == "nope"));
    }
}
