//! Embedded posts and media in an article page, and the canonical form of their URLs.
//!
//! Recognised: X/Twitter, Instagram, TikTok, Threads, Bluesky and Reddit blockquotes;
//! Facebook `fb-post`/`fb-video`; YouTube, Vimeo, Twitch, TikTok, Instagram, Facebook,
//! Rumble, Telegram and X iframes; Telegram post widgets (`data-telegram-post`); AMP
//! components (`amp-twitter`, `amp-youtube`, `amp-instagram`, ...); `<video>` and `<img>`
//! with their caption; in-text links to posts on those platforms.
//!
//! [`canonical`] turns any of their URLs into one spelling per post, so the same post cited
//! twice (an embed and a link, `youtu.be` and `youtube.com/watch`, `mobile.twitter.com` and
//! `x.com`, with or without `?utm_source=...`) is one evidence item: it resolves relative
//! URLs, refuses everything but http(s) (`javascript:`, `data:`), lowercases the host, drops
//! `www.`/`m.`/`mobile.` prefixes of platform hosts, tracking parameters and fragments.

use std::sync::OnceLock;

use regex::Regex;
use scraper::ElementRef;
use url::Url;

/// An embed as found in the markup, before its URL is made canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// How it was found: "blockquote.twitter-tweet", "iframe", "link", "img", ...
    pub how: &'static str,
    /// The URL as written in the page (may be relative).
    pub url: String,
    /// Caption of an image or video (its `<figcaption>`, else `alt`/`title`).
    pub caption: Option<String>,
    /// Kind when the markup says it ("video" for `<video>`, "image" for `<img>`).
    pub kind: Option<&'static str>,
}

/// A post or media file with its canonical URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaUrl {
    /// evcat platform name ("x", "youtube", ...); None for media on the open web.
    pub platform: Option<&'static str>,
    pub url: String,
    /// The platform's id of the post (tweet id, YouTube video id, `channel/123` on Telegram).
    pub id: Option<String>,
    /// "video" | "image" | "web".
    pub kind: &'static str,
}

/// Blockquote embeds that carry the post's text, so their text is article text too.
pub(crate) fn embed_has_text(f: &Found) -> bool {
    f.how.starts_with("blockquote")
}

fn attr<'a>(el: &ElementRef<'a>, name: &str) -> Option<&'a str> {
    el.value().attr(name).map(str::trim).filter(|v| !v.is_empty())
}

fn has_class(el: &ElementRef, class: &str) -> bool {
    el.value().classes().any(|c| c.eq_ignore_ascii_case(class))
}

/// The first `<a href>` inside `el` whose canonical form is a post on `platform`.
fn post_link(el: &ElementRef, platform: &str) -> Option<String> {
    let mut fallback = None;
    for a in el.descendent_elements().filter(|e| e.value().name() == "a") {
        let Some(href) = attr(&a, "href") else { continue };
        if let Some(m) = canonical(href, None) {
            if m.platform == Some(platform) && m.id.is_some() {
                // The post's own link is usually the last one (the date); photos come first.
                fallback = Some(href.to_string());
            }
        }
    }
    fallback
}

/// An element that is an embed as a whole (blockquotes, iframes, widgets, AMP components).
pub(crate) fn element_embed(el: &ElementRef) -> Option<Found> {
    let name = el.value().name();
    let found = |how: &'static str, url: &str| Some(Found { how, url: url.to_string(), caption: None, kind: None });
    match name {
        "blockquote" => {
            for (class, how, platform) in [
                ("twitter-tweet", "blockquote.twitter-tweet", "x"),
                ("twitter-video", "blockquote.twitter-video", "x"),
                ("instagram-media", "blockquote.instagram-media", "instagram"),
                ("tiktok-embed", "blockquote.tiktok-embed", "tiktok"),
                ("text-post-media", "blockquote.text-post-media", "threads"),
                ("bluesky-embed", "blockquote.bluesky-embed", "bluesky"),
                ("reddit-embed-bq", "blockquote.reddit-embed-bq", "reddit"),
                ("reddit-card", "blockquote.reddit-card", "reddit"),
            ] {
                if !has_class(el, class) {
                    continue;
                }
                let own = attr(el, "data-instgrm-permalink")
                    .or_else(|| attr(el, "cite"))
                    .or_else(|| attr(el, "data-text-post-permalink"))
                    .map(str::to_string)
                    .filter(|u| canonical(u, None).is_some_and(|m| m.id.is_some()));
                let bsky = attr(el, "data-bluesky-uri").and_then(at_uri_to_url);
                if let Some(u) = own.or(bsky).or_else(|| post_link(el, platform)) {
                    return found(how, &u);
                }
            }
            None
        }
        "div" if has_class(el, "fb-post") || has_class(el, "fb-video") => attr(el, "data-href")
            .and_then(|u| found(if has_class(el, "fb-video") { "div.fb-video" } else { "div.fb-post" }, u)),
        "iframe" | "amp-iframe" => {
            let src = attr(el, "src").or_else(|| attr(el, "data-src"))?;
            canonical(src, None).filter(|m| m.platform.is_some()).and_then(|_| found("iframe", src))
        }
        "script" => attr(el, "data-telegram-post")
            .and_then(|p| found("script[data-telegram-post]", &format!("https://t.me/{p}"))),
        "amp-twitter" => {
            attr(el, "data-tweetid").and_then(|id| found("amp-twitter", &format!("https://x.com/i/status/{id}")))
        }
        "amp-youtube" => attr(el, "data-videoid")
            .and_then(|id| found("amp-youtube", &format!("https://www.youtube.com/watch?v={id}"))),
        "amp-vimeo" => attr(el, "data-videoid").and_then(|id| found("amp-vimeo", &format!("https://vimeo.com/{id}"))),
        "amp-instagram" => attr(el, "data-shortcode")
            .and_then(|c| found("amp-instagram", &format!("https://www.instagram.com/p/{c}/"))),
        "amp-tiktok" => attr(el, "data-src").and_then(|u| found("amp-tiktok", u)),
        "amp-facebook" => attr(el, "data-href").and_then(|u| found("amp-facebook", u)),
        _ => None,
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `<figcaption>` of the figure around `el`, if any.
fn figure_caption(el: &ElementRef) -> Option<String> {
    let fig = el.ancestors().filter_map(ElementRef::wrap).take(4).find(|a| a.value().name() == "figure")?;
    let cap = fig.descendent_elements().find(|e| e.value().name() == "figcaption")?;
    Some(collapse(&cap.text().collect::<String>())).filter(|c| !c.is_empty())
}

/// Words in an image's class, id or src that mark page chrome rather than a photo.
fn chrome_image(el: &ElementRef, src: &str) -> bool {
    let v = el.value();
    let words = v.classes().chain(v.id()).map(str::to_ascii_lowercase).collect::<Vec<_>>().join(" ")
        + " "
        + &src.to_ascii_lowercase();
    [
        "logo",
        "icon",
        "avatar",
        "emoji",
        "sprite",
        "spinner",
        "placeholder",
        "pixel",
        "tracking",
        "spacer",
        "blank.gif",
        "badge",
    ]
    .iter()
    .any(|w| words.contains(w))
        || ["width", "height"].iter().any(|d| {
            v.attr(d).and_then(|x| x.trim().trim_end_matches("px").parse::<u32>().ok()).is_some_and(|x| x < 60)
        })
}

/// `<img>` / `<video>` (and their AMP forms) in the main text, with their caption.
pub(crate) fn media_embed(el: &ElementRef) -> Option<Found> {
    let name = el.value().name();
    let is_video = name == "video" || name == "amp-video";
    let lazy = ["data-src", "data-lazy-src", "data-original", "data-url"];
    let src = match name {
        "picture" => return None, // its <img> child is visited
        _ => attr(el, "src")
            .filter(|s| !s.starts_with("data:"))
            .or_else(|| lazy.iter().find_map(|a| attr(el, a)))
            .or_else(|| {
                el.descendent_elements().filter(|e| e.value().name() == "source").find_map(|s| {
                    attr(&s, "src").or_else(|| attr(&s, "srcset").and_then(|v| v.split_whitespace().next()))
                })
            })
            .or_else(|| attr(el, "srcset").and_then(|v| v.split_whitespace().next()))?,
    };
    if src.starts_with("data:") || (!is_video && chrome_image(el, src)) {
        return None;
    }
    let caption = figure_caption(el).or_else(|| attr(el, "alt").or_else(|| attr(el, "title")).map(collapse));
    Some(Found {
        how: if is_video { "video" } else { "img" },
        url: src.to_string(),
        caption: caption.filter(|c| !c.is_empty()),
        kind: Some(if is_video { "video" } else { "image" }),
    })
}

/// An in-text link to a post on a platform (profiles, hashtags and share buttons are not).
pub(crate) fn link_embed(el: &ElementRef) -> Option<Found> {
    let href = attr(el, "href")?;
    let m = canonical(href, None)?;
    (m.platform.is_some() && m.id.is_some()).then(|| Found {
        how: "link",
        url: href.to_string(),
        caption: None,
        kind: None,
    })
}

/// `at://did:plc:x/app.bsky.feed.post/rkey` to its bsky.app URL.
fn at_uri_to_url(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("at://")?;
    let (did, tail) = rest.split_once('/')?;
    let rkey = tail.strip_prefix("app.bsky.feed.post/")?;
    Some(format!("https://bsky.app/profile/{did}/post/{rkey}"))
}

fn re(p: &str) -> Regex {
    Regex::new(p).expect("embeds: literal regex") // literals; `patterns_compile` tests them
}

struct Patterns {
    tweet: Regex,
    youtube_path: Regex,
    vimeo: Regex,
    tiktok: Regex,
    instagram: Regex,
    threads: Regex,
    bsky: Regex,
    telegram: Regex,
    twitch_video: Regex,
    twitch_clip: Regex,
    reddit: Regex,
    rumble: Regex,
    fb_id: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        tweet: re(r"^/(?:([A-Za-z0-9_]{1,15})|i(?:/web)?)/status(?:es)?/(\d{5,25})"),
        youtube_path: re(r"^/(?:embed|shorts|live|v)/([A-Za-z0-9_-]{11})"),
        vimeo: re(r"^/(?:video/)?(\d{4,12})(?:/|$)"),
        tiktok: re(r"^/(?:@([A-Za-z0-9_.]+)/video|embed(?:/v2)?|v)/(\d{8,25})"),
        instagram: re(r"^/(?:[A-Za-z0-9_.]+/)?(p|reel|reels|tv)/([A-Za-z0-9_-]{5,40})"),
        threads: re(r"^/@([A-Za-z0-9_.]+)/post/([A-Za-z0-9_-]{5,40})"),
        bsky: re(r"^/profile/([^/]+)/post/([a-z0-9]{6,20})"),
        telegram: re(r"^/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,31})/(\d{1,10})"),
        twitch_video: re(r"^/videos/(\d{5,15})"),
        twitch_clip: re(r"^/(?:[A-Za-z0-9_]+/clip/)?([A-Za-z0-9_-]{6,100})$"),
        reddit: re(r"^/r/([A-Za-z0-9_]+)/comments/([a-z0-9]{4,12})"),
        rumble: re(r"^/(?:embed/)?(v[a-z0-9]{4,12})"),
        fb_id: re(r"/(?:posts|videos|reel|permalink)/(?:[^/]+/)?(\d{5,25})|/(pfbid[A-Za-z0-9]{10,})"),
    })
}

/// Query parameters that only track who shared or clicked a link.
fn tracking_param(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    k.starts_with("utm_")
        || matches!(
            k.as_str(),
            "fbclid"
                | "gclid"
                | "igshid"
                | "igsh"
                | "mibextid"
                | "ref"
                | "ref_src"
                | "ref_url"
                | "s"
                | "t"
                | "si"
                | "feature"
                | "share"
                | "smid"
                | "cmpid"
                | "ocid"
                | "_ga"
                | "mc_cid"
                | "mc_eid"
                | "xtor"
                | "embed"
                | "autoplay"
                | "parent"
        )
}

fn query(u: &Url, key: &str) -> Option<String> {
    u.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned()).filter(|v| !v.is_empty())
}

/// The canonical URL of a post or media file, or None for anything that is not an http(s)
/// URL. `base` resolves relative URLs (the page's own URL).
pub fn canonical(raw: &str, base: Option<&Url>) -> Option<MediaUrl> {
    let raw = raw.trim();
    let raw = if raw.starts_with("//") { format!("https:{raw}") } else { raw.to_string() };
    let mut u = match base {
        Some(b) => b.join(&raw).ok()?,
        None => Url::parse(&raw).ok()?,
    };
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    u.set_fragment(None);
    let host = u.host_str()?.to_ascii_lowercase();
    let bare = ["www.", "m.", "mobile.", "mbasic.", "web.", "old.", "np.", "new."]
        .iter()
        .find_map(|p| host.strip_prefix(p))
        .unwrap_or(&host)
        .to_string();
    let path = u.path().to_string();
    let p = patterns();
    let post =
        |platform, url: String, id: Option<String>, kind| Some(MediaUrl { platform: Some(platform), url, id, kind });
    match bare.as_str() {
        "twitter.com" | "x.com" | "fxtwitter.com" | "vxtwitter.com" | "fixupx.com" => {
            let c = p.tweet.captures(&path)?;
            let id = c.get(2)?.as_str().to_string();
            let user = c.get(1).map_or("i", |m| m.as_str());
            post("x", format!("https://x.com/{user}/status/{id}"), Some(id), "web")
        }
        "platform.twitter.com" => {
            let id = query(&u, "id")?;
            post("x", format!("https://x.com/i/status/{id}"), Some(id), "web")
        }
        "youtube.com" | "youtube-nocookie.com" | "youtu.be" | "music.youtube.com" => {
            let id = if bare == "youtu.be" {
                path.trim_matches('/').split('/').next().map(str::to_string)
            } else if path == "/watch" {
                query(&u, "v")
            } else {
                p.youtube_path.captures(&path).and_then(|c| c.get(1)).map(|m| m.as_str().to_string())
            }
            .filter(|id| id.len() == 11)?;
            post("youtube", format!("https://www.youtube.com/watch?v={id}"), Some(id), "video")
        }
        "vimeo.com" | "player.vimeo.com" => {
            let id = p.vimeo.captures(&path)?.get(1)?.as_str().to_string();
            post("vimeo", format!("https://vimeo.com/{id}"), Some(id), "video")
        }
        "tiktok.com" => {
            let c = p.tiktok.captures(&path)?;
            let id = c.get(2)?.as_str().to_string();
            let url = match c.get(1) {
                Some(user) => format!("https://www.tiktok.com/@{}/video/{id}", user.as_str()),
                None => format!("https://www.tiktok.com/embed/v2/{id}"),
            };
            post("tiktok", url, Some(id), "video")
        }
        "instagram.com" | "instagr.am" => {
            let c = p.instagram.captures(&path)?;
            let kind =
                if c.get(1)?.as_str().starts_with("reel") || c.get(1)?.as_str() == "tv" { "video" } else { "image" };
            let section = if kind == "video" { "reel" } else { "p" };
            let id = c.get(2)?.as_str().to_string();
            post("instagram", format!("https://www.instagram.com/{section}/{id}/"), Some(id), kind)
        }
        "threads.net" | "threads.com" => {
            let c = p.threads.captures(&path)?;
            let id = c.get(2)?.as_str().to_string();
            post("threads", format!("https://www.threads.net/@{}/post/{id}", c.get(1)?.as_str()), Some(id), "web")
        }
        "bsky.app" => {
            let c = p.bsky.captures(&path)?;
            let id = c.get(2)?.as_str().to_string();
            post("bluesky", format!("https://bsky.app/profile/{}/post/{id}", c.get(1)?.as_str()), Some(id), "web")
        }
        "t.me" | "telegram.me" => {
            let c = p.telegram.captures(&path)?;
            let id = format!("{}/{}", c.get(1)?.as_str(), c.get(2)?.as_str());
            post("telegram", format!("https://t.me/{id}"), Some(id), "web")
        }
        "twitch.tv" | "player.twitch.tv" | "clips.twitch.tv" => {
            if let Some(v) = query(&u, "video") {
                let id = v.trim_start_matches('v').to_string();
                return post("twitch", format!("https://www.twitch.tv/videos/{id}"), Some(id), "video");
            }
            if let Some(c) = query(&u, "clip") {
                return post("twitch", format!("https://clips.twitch.tv/{c}"), Some(c), "video");
            }
            if let Some(ch) = query(&u, "channel") {
                return post("twitch", format!("https://www.twitch.tv/{ch}"), None, "video");
            }
            if let Some(c) = p.twitch_video.captures(&path) {
                let id = c.get(1)?.as_str().to_string();
                return post("twitch", format!("https://www.twitch.tv/videos/{id}"), Some(id), "video");
            }
            let clip = (bare == "clips.twitch.tv" || path.contains("/clip/"))
                .then(|| p.twitch_clip.captures(&path))
                .flatten()?;
            let id = clip.get(1)?.as_str().to_string();
            post("twitch", format!("https://clips.twitch.tv/{id}"), Some(id), "video")
        }
        "reddit.com" => {
            let c = p.reddit.captures(&path)?;
            let id = c.get(2)?.as_str().to_string();
            post("reddit", format!("https://www.reddit.com/r/{}/comments/{id}/", c.get(1)?.as_str()), Some(id), "web")
        }
        "rumble.com" => {
            let id = p.rumble.captures(&path)?.get(1)?.as_str().to_string();
            post("rumble", format!("https://rumble.com/embed/{id}/"), Some(id), "video")
        }
        "facebook.com" | "fb.watch" => {
            if path.starts_with("/plugins/") {
                return query(&u, "href")
                    .and_then(|inner| canonical(&inner, None))
                    .filter(|m| m.platform == Some("facebook"));
            }
            let watch = path.trim_end_matches('/') == "/watch";
            let video = path.contains("/videos/") || watch || path.contains("/reel/") || bare == "fb.watch";
            let id = query(&u, "story_fbid")
                .or_else(|| query(&u, "fbid"))
                .or_else(|| if watch { query(&u, "v") } else { None })
                .or_else(|| {
                    p.fb_id.captures(&path).and_then(|c| c.get(1).or(c.get(2))).map(|m| m.as_str().to_string())
                });
            let keep: Vec<(String, String)> = u
                .query_pairs()
                .filter(|(k, _)| matches!(k.as_ref(), "story_fbid" | "id" | "fbid" | "v"))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let mut url = format!("https://www.facebook.com{}", path.trim_end_matches('/'));
            if !keep.is_empty() {
                let q: Vec<String> = keep.iter().map(|(k, v)| format!("{k}={v}")).collect();
                url = format!("{url}?{}", q.join("&"));
            }
            id.as_ref()?;
            post("facebook", url, id, if video { "video" } else { "web" })
        }
        _ => {
            // Media on the open web: keep the URL minus tracking parameters.
            let kept: Vec<(String, String)> = u
                .query_pairs()
                .filter(|(k, _)| !tracking_param(k))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            u.set_query(None);
            if !kept.is_empty() {
                u.query_pairs_mut().extend_pairs(kept);
            }
            if u.host_str().is_some_and(|h| h != host) {
                u.set_host(Some(&host)).ok()?;
            }
            Some(MediaUrl { platform: None, url: u.to_string(), id: None, kind: "web" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(u: &str) -> (Option<&'static str>, String, Option<String>) {
        let m = canonical(u, None).unwrap_or_else(|| panic!("no canonical form for {u}"));
        (m.platform, m.url, m.id)
    }

    #[test]
    fn one_spelling_per_post() {
        let tweet =
            (Some("x"), "https://x.com/dw_politik/status/1234567890123".to_string(), Some("1234567890123".to_string()));
        for u in [
            "https://twitter.com/dw_politik/status/1234567890123?ref_src=twsrc%5Etfw",
            "https://mobile.twitter.com/dw_politik/status/1234567890123",
            "https://x.com/dw_politik/status/1234567890123/photo/1",
            "http://www.twitter.com/dw_politik/statuses/1234567890123#m",
        ] {
            assert_eq!(c(u), tweet, "{u}");
        }
        let yt =
            (Some("youtube"), "https://www.youtube.com/watch?v=dQw4w9WgXcQ".to_string(), Some("dQw4w9WgXcQ".into()));
        for u in [
            "https://youtu.be/dQw4w9WgXcQ?si=abc",
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0",
            "//www.youtube.com/embed/dQw4w9WgXcQ",
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        ] {
            assert_eq!(c(u), yt, "{u}");
        }
        assert_eq!(c("https://player.vimeo.com/video/76979871?h=8272103f6e").1, "https://vimeo.com/76979871");
        assert_eq!(
            c("https://www.instagram.com/reel/C1a2b3c4d5/?igsh=xyz").1,
            "https://www.instagram.com/reel/C1a2b3c4d5/"
        );
        assert_eq!(c("https://instagram.com/p/BxYz123/embed/captioned").1, "https://www.instagram.com/p/BxYz123/");
        assert_eq!(
            c("https://www.tiktok.com/@user.name/video/7234567890123456789?lang=en").2.as_deref(),
            Some("7234567890123456789")
        );
        assert_eq!(c("https://www.tiktok.com/embed/v2/7234567890123456789").0, Some("tiktok"));
        assert_eq!(c("https://t.me/s/some_channel/4521").1, "https://t.me/some_channel/4521");
        assert_eq!(
            c("https://clips.twitch.tv/embed?clip=IcyOriginalTriangle-5GQ9&parent=x.gg").1,
            "https://clips.twitch.tv/IcyOriginalTriangle-5GQ9"
        );
        assert_eq!(c("https://player.twitch.tv/?video=v1234567&parent=x").1, "https://www.twitch.tv/videos/1234567");
        assert_eq!(c("https://bsky.app/profile/someone.bsky.social/post/3kabcdefgh2x").0, Some("bluesky"));
        assert_eq!(c("https://www.threads.net/@zuck/post/C8abcdefgh").2.as_deref(), Some("C8abcdefgh"));
        assert_eq!(
            c("https://old.reddit.com/r/news/comments/abc123/some_title/").1,
            "https://www.reddit.com/r/news/comments/abc123/"
        );
        assert_eq!(
            c("https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fwww.facebook.com%2Fpolice%2Fposts%2F123456789&width=500").1,
            "https://www.facebook.com/police/posts/123456789"
        );
        assert_eq!(c("https://m.facebook.com/watch/?v=987654321").2.as_deref(), Some("987654321"));
    }

    #[test]
    fn profiles_share_buttons_and_scripts_are_not_posts() {
        for u in [
            "https://twitter.com/intent/tweet?text=x",
            "https://twitter.com/dw_politik",
            "https://www.facebook.com/sharer/sharer.php?u=x",
            "https://www.youtube.com/channel/UC123",
        ] {
            assert!(canonical(u, None).is_none_or(|m| m.id.is_none() || m.platform.is_none()), "{u}");
        }
        assert!(canonical("javascript:alert(1)", None).is_none());
        assert!(canonical("data:image/png;base64,AAAA", None).is_none());
        assert!(canonical("not a url", None).is_none());
    }

    #[test]
    fn web_media_loses_tracking_and_resolves_against_the_page() {
        let base = Url::parse("https://news.example.org/2026/story.html").ok();
        let m = canonical("/img/photo.jpg?utm_source=x&w=800#top", base.as_ref()).unwrap();
        assert_eq!((m.platform, m.url.as_str()), (None, "https://news.example.org/img/photo.jpg?w=800"));
    }

    #[test]
    fn bluesky_at_uri() {
        assert_eq!(
            at_uri_to_url("at://did:plc:abc/app.bsky.feed.post/3kxyz").as_deref(),
            Some("https://bsky.app/profile/did:plc:abc/post/3kxyz")
        );
        assert_eq!(at_uri_to_url("at://did:plc:abc/app.bsky.actor.profile/self"), None);
    }
}
