//! Keyframes from videos via the `ffmpeg` on PATH: one frame per second plus
//! scene changes, at most [`MAX_FRAMES`], decoded to small RGB frames over a
//! pipe, under a wall-clock limit. Also collects the container/stream tags
//! ffmpeg prints (encoder, handler), which feed the transcode hints.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Frames fingerprinted per video at most.
pub const MAX_FRAMES: usize = 120;
/// Shorter edge of decoded frames (aspect kept; never enlarged). The
/// shorter edge, so that a 16:9 picture letterboxed into a 9:16 frame keeps
/// 320×180 pixels of content instead of 180×101.
pub const FRAME_EDGE: u32 = 320;
/// Longest edge accepted for a decoded frame (a 4:1 panorama at [`FRAME_EDGE`]).
const MAX_FRAME_EDGE: u32 = 4 * FRAME_EDGE;
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
    let mut child = spawn_ffmpeg(path)?;
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(VideoError::Failed("ffmpeg pipes unavailable".into()));
    };
    // Frames are small (≤ 320×1280×3) and capped, so both streams fit in memory.
    let out_reader = std::thread::spawn(move || {
        read_capped(out, (MAX_FRAMES as u64 + 1) * u64::from(FRAME_EDGE) * u64::from(MAX_FRAME_EDGE) * 3)
    });
    let err_reader = std::thread::spawn(move || String::from_utf8_lossy(&read_capped(err, 8 << 20)).into_owned());
    let (status, timed_out) = wait_bounded(&mut child)?;
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
    let (frames, size_changed) = split_frames(&raw, &infos, (w, h));
    let truncated = size_changed
        .or(timed_out)
        .or_else(|| (frames.len() >= MAX_FRAMES).then(|| format!("sampled the first {MAX_FRAMES} keyframes only")));
    Ok(Decoded { frames, tags, truncated })
}

/// Start ffmpeg sampling 1 frame/s plus scene changes, the shorter edge
/// scaled to at most [`FRAME_EDGE`] (the longer to at most [`MAX_FRAME_EDGE`]),
/// as raw RGB on stdout with a `showinfo` line per frame on stderr.
///
/// The 1 frame/s samples are the first frame of each whole second, not one
/// second after the last selected frame: a scene change is selected in one
/// copy and not in another (bars or a new encode change the scene score),
/// and counting from it would shift every later sample of that copy by up
/// to a second, which in a moving shot is another picture.
fn spawn_ffmpeg(path: &Path) -> Result<Child, VideoError> {
    let select =
        format!("select='isnan(prev_selected_t)+gt(floor(t)\\,floor(prev_selected_t))+gt(scene\\,{SCENE_THRESHOLD})'");
    let scale = format!(
        "scale=w='if(gte(iw,ih),-1,min({FRAME_EDGE},iw))':h='if(gte(iw,ih),min({FRAME_EDGE},ih),-1)':flags=area,\
         scale=w='min(trunc(iw/2)*2,{MAX_FRAME_EDGE})':h='min(trunc(ih/2)*2,{MAX_FRAME_EDGE})':flags=area"
    );
    let filter = format!("{select},{scale},format=rgb24,showinfo");
    match Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-nostats", "-loglevel", "info", "-threads", "2", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-an", "-sn", "-dn", "-vf", &filter, "-fps_mode", "vfr"])
        .args(["-frames:v", &MAX_FRAMES.to_string(), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => Ok(c),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(VideoError::NoFfmpeg),
        Err(e) => Err(VideoError::Failed(format!("cannot start ffmpeg: {e}"))),
    }
}

/// Up to `cap` bytes of a pipe; the rest is drained so the writer never
/// blocks on a full pipe.
pub(super) fn read_capped(mut pipe: impl Read, cap: u64) -> Vec<u8> {
    let mut buf = Vec::new();
    let _ = (&mut pipe).take(cap).read_to_end(&mut buf);
    let _ = std::io::copy(&mut pipe, &mut std::io::sink());
    buf
}

/// Wait for ffmpeg at most [`TIME_LIMIT`]: its exit status, or none and why
/// when it was killed at the limit (the frames so far are kept).
pub(super) fn wait_bounded(child: &mut Child) -> Result<(Option<ExitStatus>, Option<String>), VideoError> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(s)) => return Ok((Some(s), None)),
            Ok(None) if started.elapsed() > TIME_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok((None, Some(format!("ffmpeg stopped after the {} s time limit", TIME_LIMIT.as_secs()))));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(VideoError::Failed(format!("waiting for ffmpeg: {e}")));
            }
        }
    }
}

/// Cut the raw RGB stream into frames of the first frame's size `(w, h)`,
/// timed by `infos`. A mid-stream resolution change ends the frames (later
/// ones are not comparable in size), and says so.
fn split_frames(raw: &[u8], infos: &[(u64, u32, u32)], (w, h): (u32, u32)) -> (Vec<Frame>, Option<String>) {
    let size = (w as usize) * (h as usize) * 3;
    let mut frames = Vec::new();
    for (i, chunk) in raw.chunks_exact(size.max(1)).enumerate() {
        let Some(&(ms, fw, fh)) = infos.get(i) else { break };
        if (fw, fh) != (w, h) {
            return (frames, Some("frame size changed mid-stream; later frames skipped".into()));
        }
        frames.push(Frame { ms, width: w, height: h, rgb: chunk.to_vec() });
    }
    (frames, None)
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
        if w == 0 || h == 0 || w > MAX_FRAME_EDGE || h > MAX_FRAME_EDGE {
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

    #[test]
    fn frames_are_cut_by_the_first_size_and_stop_at_a_change() {
        let infos = [(0, 2, 2), (1000, 2, 2), (2000, 4, 2), (3000, 2, 2)];
        let raw: Vec<u8> = (0..60).collect();
        let (frames, why) = split_frames(&raw, &infos, (2, 2));
        assert_eq!(frames.iter().map(|f| f.ms).collect::<Vec<_>>(), [0, 1000]);
        assert_eq!(frames[1].rgb, (12..24).collect::<Vec<u8>>());
        assert_eq!(why.as_deref(), Some("frame size changed mid-stream; later frames skipped"));
        // Fewer infos than frames: the untimed rest is dropped; a partial frame too.
        let (frames, why) = split_frames(&raw[..30], &infos[..1], (2, 2));
        assert_eq!((frames.len(), why), (1, None));
    }
}
