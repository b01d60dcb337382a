//! Platform transcode hints: signs in a file's own metadata that the bytes
//! were re-encoded or re-muxed by a platform or a tool, so they are not the
//! camera original. Hints are evidence for a person to weigh, never proof.

use serde::Serialize;

use crate::media::MediaFacts;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hint {
    /// Short machine-readable code, e.g. `jpeg-without-exif`, `ffmpeg-muxer`.
    pub code: String,
    pub message: String,
}

fn hint(code: &str, message: impl Into<String>) -> Hint {
    Hint { code: code.to_string(), message: message.into() }
}

/// Longest edges platforms commonly resize photos to.
const PLATFORM_EDGES: [u32; 5] = [1080, 1280, 1600, 2048, 4096];

/// Hints from the probe facts of an image.
pub fn image_hints(facts: &MediaFacts) -> Vec<Hint> {
    let mut out = Vec::new();
    if facts.media_type == "image/jpeg" && !facts.has_exif {
        out.push(hint(
            "jpeg-without-exif",
            "JPEG without EXIF: cameras and phones write EXIF, platforms strip it on upload; likely a platform copy, not the camera original",
        ));
    }
    if facts.media_type == "image/webp" {
        out.push(hint("webp", "WebP image: cameras do not write WebP; platforms and browsers serve it"));
    }
    if let (Some(w), Some(h)) = (facts.width, facts.height) {
        let edge = w.max(h);
        if !facts.has_exif && PLATFORM_EDGES.contains(&edge) {
            out.push(hint("platform-size", format!("longest edge {edge} px is a size platforms resize uploads to")));
        }
    }
    out
}

/// Hints from a video's container and stream tags as ffmpeg reports them.
pub fn video_hints(tags: &[(String, String)]) -> Vec<Hint> {
    let mut out = Vec::new();
    fn get<'a>(tags: &'a [(String, String)], k: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        tags.iter().filter(move |(key, _)| key == k).map(|(_, v)| v.as_str())
    }
    let camera = tags.iter().any(|(k, _)| {
        k.starts_with("com.apple.quicktime.make") || k.starts_with("com.android.") || k == "make" || k == "model"
    });
    for enc in get(tags, "encoder") {
        if enc.starts_with("Lavf") || enc.starts_with("Lavc") {
            out.push(hint(
                "ffmpeg-muxer",
                format!("written by FFmpeg ({enc}): re-encoded or re-muxed by a platform or a download tool, not as a camera wrote it"),
            ));
            break;
        }
    }
    for h in get(tags, "handler_name") {
        if h.contains("Google") {
            out.push(hint("google-handler", format!("handler {h:?}: processed by YouTube/Google")));
            break;
        }
    }
    if get(tags, "major_brand").any(|b| b == "dash") {
        out.push(hint("dash", "DASH-segmented MP4: the form streaming platforms serve"));
    }
    if tags.iter().any(|(k, v)| k == "comment" && v.starts_with("vid:")) || tags.iter().any(|(k, _)| k == "aigc_info") {
        out.push(hint("tiktok-tags", "TikTok-style metadata tags (vid:/aigc_info)"));
    }
    if !out.is_empty() && !camera {
        out.push(hint("no-camera-tags", "no camera make/model tags in the container"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripped_jpeg_is_hinted_and_camera_jpeg_is_not() {
        let mut f =
            MediaFacts { media_type: "image/jpeg".into(), width: Some(2048), height: Some(1536), ..Default::default() };
        let h = image_hints(&f);
        assert!(h.iter().any(|h| h.code == "jpeg-without-exif"));
        assert!(h.iter().any(|h| h.code == "platform-size"));
        f.has_exif = true;
        assert!(image_hints(&f).is_empty());
    }

    #[test]
    fn lavf_encoder_is_hinted() {
        let tags = vec![("encoder".to_string(), "Lavf60.16.100".to_string())];
        let h = video_hints(&tags);
        assert_eq!(h[0].code, "ffmpeg-muxer");
        assert!(video_hints(&[("major_brand".into(), "qt".into())]).is_empty());
    }
}
