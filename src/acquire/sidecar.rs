//! Downloader sidecars: the JSON a download tool writes beside the media file,
//! read as the file's provenance.
//!
//! | tool | sidecar of `NAME.EXT` | fields taken |
//! |---|---|---|
//! | yt-dlp (`--write-info-json`) | `NAME.info.json` | `webpage_url` (else `original_url`) → url; `extractor_key` → platform; `id` → platform id; `uploader` / `uploader_id` / `channel` → author (and `uploader_id`, else `channel_id`, → author id); `timestamp` (else `upload_date`) → posted at; `title`; `description`; `epoch` → acquired at; `_version.version` → tool `yt-dlp VERSION`; kept as record fields: `original_url`, `live_status`, `was_live`, `uploader`, `uploader_id`, `channel`, `channel_id`, `extractor_key`, `upload_date`; `duration`, `width`, `height` cross-checked against the file |
//! | yt-dlp (`--embed-info-json`, `.mkv`/`.mka` only) | none: a Matroska attachment `info.json` (`application/json`) inside the file ([`parse_embedded`], found by `attach::embedded`) | as the `.info.json`, without the `_filename` check; the record names the attachment and adds `embedded_in` |
//! | gallery-dl (`--write-metadata`) | `NAME.EXT.json` | `category` → platform; the extractor's post id (`tweet_id`, `post_id`, `shortcode`, `id`) → platform id; `author`/`user`/`owner` `.name` (else `username`) → author, their `.id` → author id; `date` → posted at; `content`/`description`/`title`; kept: `category`, `subcategory`, `num`, `count`, the post URL keys; `width`/`height`/`duration` cross-checked |
//! | Instaloader (default, compressed) | `NAME.json.xz` (xz, check NONE, as `save_structure_to_file` writes it; decompressed by [`xz_decompress`], at most [`MAX_SIDECAR_BYTES`]) | as `NAME.json` below |
//! | Instaloader (`--no-compress-json`) | `NAME.json` | `node.shortcode` → platform id and url; `node.owner.username`/`.id` → author / author id; `node.taken_at_timestamp` → posted at; the first caption → description; `instaloader.version` → tool; `node.dimensions` and `node.video_duration` cross-checked |
//! | auto-archiver (`metadata.json`) | `metadata.json` in the folder, naming the media in `media[].filename` | `metadata.url` → url (platform from its host); `metadata.title`; `metadata.content` → description; `metadata.author` → author; `metadata.timestamp` → posted at; `metadata._processed_at` → acquired at; kept: `status`; each `media[].properties.hash` (`SHA-256:HEX`) verified against the bytes |
//!
//! Parsing is pure ([`parse`]): bytes and names in, [`SidecarFacts`] out, so
//! every rule is unit-tested; `ingest` pairs files with their sidecars and
//! records what comes out.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::catalog::evidence::{Platform, Provenance};

/// Sidecars larger than this are not read (real ones are kilobytes to a few MB).
pub const MAX_SIDECAR_BYTES: u64 = 64 << 20;

/// liblzma's memory limit when decoding a `.json.xz`: the dictionary of xz's
/// largest preset (9: 64 MiB) fits; Instaloader's (preset 6) is 8 MiB.
const XZ_MEMLIMIT: u64 = 80 << 20;

/// Which tool wrote a sidecar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SidecarFormat {
    YtDlp,
    GalleryDl,
    Instaloader,
    AutoArchiver,
}

impl SidecarFormat {
    /// The name stored as the acquisition record's format.
    pub fn as_str(self) -> &'static str {
        match self {
            SidecarFormat::YtDlp => "yt-dlp info.json",
            SidecarFormat::GalleryDl => "gallery-dl metadata",
            SidecarFormat::Instaloader => "instaloader metadata",
            SidecarFormat::AutoArchiver => "auto-archiver metadata.json",
        }
    }

    /// The sidecar `sidecar_name` would be for media file `media_name`, by
    /// the tools' naming rules (auto-archiver's is by content: see [`named_media`]).
    pub fn by_name(media_name: &str, sidecar_name: &str) -> Option<SidecarFormat> {
        if sidecar_name == "metadata.json" {
            return Some(SidecarFormat::AutoArchiver);
        }
        let stem = media_name.rsplit_once('.').map_or(media_name, |(s, _)| s);
        if sidecar_name.strip_suffix(".info.json") == Some(stem) {
            Some(SidecarFormat::YtDlp)
        } else if sidecar_name.strip_suffix(".json.xz") == Some(stem) {
            Some(SidecarFormat::Instaloader)
        } else if sidecar_name.strip_suffix(".json") == Some(media_name) {
            Some(SidecarFormat::GalleryDl)
        } else if sidecar_name.strip_suffix(".json") == Some(stem) {
            Some(SidecarFormat::Instaloader)
        } else {
            None
        }
    }

    /// Sidecar names to look for beside an explicitly named media file, in
    /// order of preference.
    pub fn candidates(media_name: &str) -> Vec<String> {
        let stem = media_name.rsplit_once('.').map_or(media_name, |(s, _)| s);
        vec![
            format!("{stem}.info.json"),
            format!("{media_name}.json"),
            format!("{stem}.json.xz"),
            format!("{stem}.json"),
            "metadata.json".into(),
        ]
    }
}

impl std::fmt::Display for SidecarFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the file itself should show, by the sidecar (cross-checked, never stored as fact).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expected {
    pub duration_ms: Option<u64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// The facts a sidecar gives about one media file.
#[derive(Debug, Clone, PartialEq)]
pub struct SidecarFacts {
    pub format: SidecarFormat,
    /// Evidence provenance (source `sidecar`); its `author_id` with the
    /// platform and post id is the stable key of a post.
    pub provenance: Provenance,
    pub acquired_at: Option<String>,
    pub tool: Option<String>,
    pub method: Option<&'static str>,
    /// Facts without a column of their own, kept in the file's acquisition record.
    pub fields: BTreeMap<String, String>,
    pub expect: Expected,
    /// A hash the tool recorded for the media file (`algorithm`, lowercase hex).
    pub recorded_hash: Option<(String, String)>,
}

/// Why a sidecar was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct SidecarError(pub String);

type Parsed = Result<SidecarFacts, SidecarError>;

fn err<T>(msg: impl Into<String>) -> Result<T, SidecarError> {
    Err(SidecarError(msg.into()))
}

/// Parse `bytes`, the sidecar of media file `media_name` in `format`.
pub fn parse(format: SidecarFormat, bytes: &[u8], media_name: &str) -> Parsed {
    let v: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return err(format!("not a {format} sidecar: not JSON ({e})")),
    };
    if !v.is_object() {
        return err(format!("not a {format} sidecar: a JSON {} instead of an object", kind_of(&v)));
    }
    match format {
        SidecarFormat::YtDlp => ytdlp(&v, Some(media_name)),
        SidecarFormat::GalleryDl => gallerydl(&v, media_name),
        SidecarFormat::Instaloader => instaloader(&v),
        SidecarFormat::AutoArchiver => autoarchiver(&v, media_name),
    }
}

/// Parse the yt-dlp info.json embedded in a media file by `--embed-info-json`.
/// Its `_filename` is not checked against the file's name: the record is
/// inside the bytes it describes, and a renamed file keeps it.
pub fn parse_embedded(bytes: &[u8]) -> Parsed {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) if v.is_object() => ytdlp(&v, None),
        Ok(v) => err(format!("not a yt-dlp info.json: a JSON {} instead of an object", kind_of(&v))),
        Err(e) => err(format!("not a yt-dlp info.json: not JSON ({e})")),
    }
}

/// Why an xz-compressed sidecar was not decompressed.
#[derive(Debug, Clone, PartialEq)]
pub enum XzError {
    /// More than the limit asked for: refused, having held at most `limit + 1` bytes.
    TooLarge,
    /// Not an xz stream, corrupt, or needing more than liblzma's memory limit.
    Invalid(String),
}

/// Decompress one xz stream (`bytes`, e.g. Instaloader's `.json.xz`) to at
/// most `limit` bytes. Streaming, so a bomb costs `limit` bytes of output and
/// liblzma's dictionary (capped by [`XZ_MEMLIMIT`]), never its stated size.
pub fn xz_decompress(bytes: &[u8], limit: u64) -> Result<Vec<u8>, XzError> {
    use std::io::Read;
    let stream = xz2::stream::Stream::new_stream_decoder(XZ_MEMLIMIT, 0)
        .map_err(|e| XzError::Invalid(format!("cannot start the xz decoder: {e}")))?;
    let mut out = Vec::new();
    xz2::read::XzDecoder::new_stream(bytes, stream)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| XzError::Invalid(format!("not xz-compressed data ({e})")))?;
    if out.len() as u64 > limit {
        return Err(XzError::TooLarge);
    }
    Ok(out)
}

/// The media file names an auto-archiver `metadata.json` lists (base names).
pub fn named_media(bytes: &[u8]) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<Value>(bytes) else { return Vec::new() };
    v.get("media")
        .and_then(Value::as_array)
        .map(|m| m.iter().filter_map(|e| str_at(e, "filename")).map(|f| base_name(&f)).collect())
        .unwrap_or_default()
}

/// Whether a `NAME.json` beside `NAME.EXT` is Instaloader's (a plain
/// `.json` is too common a name to claim without looking).
pub fn is_instaloader(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Value>(bytes).is_ok_and(|v| v.get("instaloader").is_some_and(Value::is_object))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Null => "null",
        Value::Object(_) => "object",
    }
}

fn base_name(p: &str) -> String {
    p.rsplit(['/', '\\']).next().unwrap_or(p).to_string()
}

/// A scalar as text: strings as they are, integers and booleans printed.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn str_at(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(scalar)
}

fn first(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| str_at(v, k))
}

fn dim(v: &Value, key: &str) -> Option<u32> {
    v.get(key).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0)
}

fn secs_ms(v: &Value, key: &str) -> Option<u64> {
    let s = v.get(key).and_then(Value::as_f64)?;
    (s.is_finite() && s > 0.0 && s < 1e9).then(|| (s * 1000.0).round() as u64)
}

/// Unix seconds (integer or float) as RFC 3339 UTC.
fn unix_time(v: &Value, key: &str) -> Option<String> {
    let s = v.get(key).and_then(Value::as_f64)?;
    if !s.is_finite() {
        return None;
    }
    let dt = chrono::DateTime::from_timestamp(s.floor() as i64, 0)?;
    Some(dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// A time as the tool wrote it, normalised; `None` if it is not a time.
fn time_text(s: &str) -> Option<String> {
    crate::timefmt::normalize_timestamp("sidecar time", s).ok()
}

/// yt-dlp's extractor names of the platforms evcat knows.
fn platform_of_extractor(key: &str) -> Platform {
    let k = key.to_ascii_lowercase();
    let pairs: [(&str, Platform); 12] = [
        ("tiktok", Platform::Tiktok),
        ("youtube", Platform::Youtube),
        ("twitter", Platform::X),
        ("instagram", Platform::Instagram),
        ("facebook", Platform::Facebook),
        ("telegram", Platform::Telegram),
        ("twitch", Platform::Twitch),
        ("reddit", Platform::Reddit),
        ("rumble", Platform::Rumble),
        ("snapchat", Platform::Snapchat),
        ("parler", Platform::Parler),
        ("generic", Platform::Web),
    ];
    pairs.into_iter().find(|(name, _)| k.starts_with(name)).map_or(Platform::Other, |(_, p)| p)
}

/// The platform of a URL's host, for tools that record only the URL.
pub fn platform_of_url(url: &str) -> Option<Platform> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?.rsplit('@').next()?.to_ascii_lowercase();
    let host = host.split(':').next().unwrap_or(&host).trim_start_matches("www.").trim_start_matches("m.");
    let table: [(&str, Platform); 11] = [
        ("tiktok.com", Platform::Tiktok),
        ("youtube.com", Platform::Youtube),
        ("youtu.be", Platform::Youtube),
        ("twitter.com", Platform::X),
        ("x.com", Platform::X),
        ("instagram.com", Platform::Instagram),
        ("facebook.com", Platform::Facebook),
        ("t.me", Platform::Telegram),
        ("twitch.tv", Platform::Twitch),
        ("reddit.com", Platform::Reddit),
        ("rumble.com", Platform::Rumble),
    ];
    Some(
        table
            .into_iter()
            .find(|(d, _)| host == *d || host.ends_with(&format!(".{d}")))
            .map_or(Platform::Web, |(_, p)| p),
    )
}

fn keep(fields: &mut BTreeMap<String, String>, v: &Value, keys: &[&str]) {
    for k in keys {
        if let Some(s) = str_at(v, k) {
            fields.insert((*k).to_string(), s);
        }
    }
}

fn stem_of(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

fn ytdlp(v: &Value, media_name: Option<&str>) -> Parsed {
    if v.get("_type").and_then(Value::as_str).is_some_and(|t| t != "video") {
        return err(format!("a yt-dlp {} record, not one video's", v["_type"].as_str().unwrap_or("?")));
    }
    if v.get("extractor_key").is_none() && v.get("webpage_url").is_none() {
        return err("not a yt-dlp info.json: neither extractor_key nor webpage_url");
    }
    // `_filename`/`filename` name the output; a post-processor may have
    // changed the extension since (remux, merge), so compare stems.
    if let (Some(named), Some(media_name)) = (first(v, &["_filename", "filename"]).map(|f| base_name(&f)), media_name) {
        if stem_of(&named) != stem_of(media_name) {
            return err(format!("names the file {named:?}, not {media_name:?}"));
        }
    }
    let author = first(v, &["uploader", "uploader_id", "channel"]);
    let posted_at = unix_time(v, "timestamp").or_else(|| str_at(v, "upload_date").and_then(|d| yyyymmdd(&d)));
    let mut fields = BTreeMap::new();
    keep(
        &mut fields,
        v,
        &[
            "original_url",
            "live_status",
            "was_live",
            "uploader",
            "uploader_id",
            "channel",
            "channel_id",
            "extractor_key",
            "upload_date",
        ],
    );
    let version = v.get("_version").and_then(|ver| str_at(ver, "version")).or_else(|| str_at(v, "_version"));
    Ok(SidecarFacts {
        format: SidecarFormat::YtDlp,
        provenance: Provenance {
            title: str_at(v, "title"),
            description: str_at(v, "description"),
            platform: str_at(v, "extractor_key").map(|k| platform_of_extractor(&k)),
            source_url: first(v, &["webpage_url", "original_url"]),
            platform_id: str_at(v, "id"),
            author_handle: author,
            posted_at,
            author_id: first(v, &["uploader_id", "channel_id"]),
        },
        acquired_at: unix_time(v, "epoch"),
        tool: Some(version.map_or_else(|| "yt-dlp".to_string(), |ver| format!("yt-dlp {ver}"))),
        method: Some("download"),
        fields,
        expect: Expected { duration_ms: secs_ms(v, "duration"), width: dim(v, "width"), height: dim(v, "height") },
        recorded_hash: None,
    })
}

fn yyyymmdd(d: &str) -> Option<String> {
    if d.len() != 8 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    time_text(&format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..]))
}

fn gallerydl(v: &Value, media_name: &str) -> Parsed {
    let Some(category) = str_at(v, "category") else {
        return err("not a gallery-dl metadata file: no \"category\"");
    };
    if let (Some(name), Some(ext)) = (str_at(v, "filename"), str_at(v, "extension")) {
        let named = format!("{name}.{ext}");
        if named != media_name {
            return err(format!("names the file {named:?}, not {media_name:?}"));
        }
    }
    let who = ["author", "user", "owner"].iter().find_map(|k| v.get(*k).filter(|a| a.is_object()));
    let author = who.and_then(|a| first(a, &["name", "nick"])).or_else(|| first(v, &["username", "uploader"]));
    let author_id = who.and_then(|a| str_at(a, "id")).or_else(|| str_at(v, "user_id"));
    let post_id = first(v, &["tweet_id", "post_id", "shortcode", "status_id", "message_id", "id"]);
    let mut fields = BTreeMap::new();
    keep(&mut fields, v, &["category", "subcategory", "num", "count", "post_url", "url", "lang"]);
    let platform = match category.as_str() {
        "twitter" => Platform::X,
        "directlink" => Platform::Web,
        other => platform_of_extractor(other),
    };
    Ok(SidecarFacts {
        format: SidecarFormat::GalleryDl,
        provenance: Provenance {
            title: str_at(v, "title"),
            description: first(v, &["content", "description", "caption"]),
            platform: Some(platform),
            source_url: first(v, &["post_url", "page_url"])
                .or_else(|| post_url(platform, author.as_deref(), post_id.as_deref())),
            platform_id: post_id,
            author_handle: author,
            posted_at: str_at(v, "date").and_then(|d| time_text(&d)),
            author_id,
        },
        acquired_at: None,
        tool: Some("gallery-dl".into()),
        method: Some("download"),
        fields,
        expect: Expected { duration_ms: secs_ms(v, "duration"), width: dim(v, "width"), height: dim(v, "height") },
        recorded_hash: None,
    })
}

/// The canonical URL of a post where the platform's scheme is fixed.
fn post_url(platform: Platform, author: Option<&str>, id: Option<&str>) -> Option<String> {
    let id = id?;
    match platform {
        Platform::X => Some(format!("https://x.com/{}/status/{id}", author.unwrap_or("i"))),
        Platform::Instagram => Some(format!("https://www.instagram.com/p/{id}/")),
        _ => None,
    }
}

fn instaloader(v: &Value) -> Parsed {
    let Some(node) = v.get("node").filter(|n| n.is_object()) else {
        return err("not an Instaloader metadata file: no \"node\" object");
    };
    let shortcode = str_at(node, "shortcode");
    let owner = node.get("owner");
    let caption = node.pointer("/edge_media_to_caption/edges/0/node/text").and_then(scalar);
    let dims = node.get("dimensions");
    let mut fields = BTreeMap::new();
    keep(&mut fields, node, &["__typename", "id"]);
    if let Some(t) = v.pointer("/instaloader/node_type").and_then(scalar) {
        fields.insert("node_type".into(), t);
    }
    Ok(SidecarFacts {
        format: SidecarFormat::Instaloader,
        provenance: Provenance {
            title: None,
            description: caption,
            platform: Some(Platform::Instagram),
            source_url: shortcode.as_ref().map(|s| format!("https://www.instagram.com/p/{s}/")),
            platform_id: shortcode,
            author_handle: owner.and_then(|o| str_at(o, "username")),
            posted_at: unix_time(node, "taken_at_timestamp"),
            author_id: owner.and_then(|o| str_at(o, "id")),
        },
        acquired_at: None,
        tool: Some(
            v.pointer("/instaloader/version")
                .and_then(scalar)
                .map_or("instaloader".into(), |ver| format!("instaloader {ver}")),
        ),
        method: Some("download"),
        fields,
        expect: Expected {
            duration_ms: secs_ms(node, "video_duration"),
            width: dims.and_then(|d| dim(d, "width")),
            height: dims.and_then(|d| dim(d, "height")),
        },
        recorded_hash: None,
    })
}

fn autoarchiver(v: &Value, media_name: &str) -> Parsed {
    let (Some(meta), Some(media)) = (v.get("metadata"), v.get("media").and_then(Value::as_array)) else {
        return err("not an auto-archiver metadata.json: no \"metadata\" object and \"media\" list");
    };
    let Some(entry) = media.iter().find(|m| str_at(m, "filename").is_some_and(|f| base_name(&f) == media_name)) else {
        return err(format!("does not list {media_name:?} in its media"));
    };
    let recorded_hash = match entry.pointer("/properties/hash").and_then(Value::as_str) {
        None => None,
        Some(h) => match h.split_once(':') {
            Some((algo, hex)) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some((algo.to_ascii_uppercase(), hex.to_ascii_lowercase()))
            }
            _ => return err(format!("the hash of {media_name:?} is not ALGORITHM:HEX: {h:?}")),
        },
    };
    let url = str_at(meta, "url");
    let mut fields = BTreeMap::new();
    keep(&mut fields, v, &["status"]);
    if let Some(id) = entry.pointer("/properties/id").and_then(scalar) {
        fields.insert("media_id".into(), id);
    }
    Ok(SidecarFacts {
        format: SidecarFormat::AutoArchiver,
        provenance: Provenance {
            title: str_at(meta, "title"),
            description: str_at(meta, "content"),
            platform: url.as_deref().and_then(platform_of_url),
            source_url: url,
            platform_id: None,
            author_handle: str_at(meta, "author"),
            posted_at: str_at(meta, "timestamp").and_then(|t| time_text(&t)),
            author_id: None,
        },
        acquired_at: str_at(meta, "_processed_at").and_then(|t| time_text(&t)),
        tool: Some("auto-archiver".into()),
        method: Some("archive"),
        fields,
        expect: Expected::default(),
        recorded_hash,
    })
}

/// Disagreements between what the sidecar says of the media and what the
/// file's own headers say, one warning each.
pub fn cross_check(expect: &Expected, facts: &crate::media::MediaFacts, sidecar: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(want), Some(got)) = (expect.duration_ms, facts.duration_ms) {
        // Container and stream durations differ by a frame or two.
        if want.abs_diff(got) > 1000 {
            out.push(format!(
                "{sidecar} gives a duration of {} s, the file {} s",
                want as f64 / 1000.0,
                got as f64 / 1000.0
            ));
        }
    }
    if let (Some(w), Some(h), Some(fw), Some(fh)) = (expect.width, expect.height, facts.width, facts.height) {
        // A rotated video's stored frame is the sidecar's frame turned.
        if (w, h) != (fw, fh) && (h, w) != (fw, fh) {
            out.push(format!("{sidecar} gives a frame of {w}x{h}, the file {fw}x{fh}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
