//! Detection of sentences that cite media evidence.
//!
//! Per sentence:
//! 1. Non-evidence phrases are masked ("video game", "photo opportunity", "camera-shy",
//!    "tunnel vision", "at a brisk clip", "public image", "recording studio", ...).
//! 2. Platforms are found ("X"/"Twitter" only in platform context: "on X", "X post").
//! 3. Media cues are matched. *Strong* cues count alone (footage, livestream, dashcam,
//!    body-worn camera, CCTV, selfie, screenshot, pictured, filmed, Australian "vision" in its
//!    footage sense). *Weak* cues (video, clip, photo, picture, image, recording, audio ...)
//!    count only with citing context: a citing verb (shows, appears to show, captured, posted,
//!    shared, emerged, obtained ...), "a video of", "in a video", or a platform.
//! 4. Text posts: a platform post cited as the source of a statement ("wrote in a post on X",
//!    "posted on Facebook that ...", "tweeted") IS detected, as kind "web" with low confidence:
//!    the post is evidence the reviewer can archive. A platform merely named ("a Facebook page
//!    was set up", "banned from Twitter", "its Twitch channel gained followers") is not, and
//!    neither is the company X speaking for itself ("X said in a statement"): "X" counts as the
//!    platform only in platform context ("on X", "X post"), and a statement is not a post.
//!    A channel / group / account is a source only when a citing verb follows it ("a Telegram
//!    channel claimed ...").
//! 5. Appeals for footage ("anyone with dashcam footage is urged to contact police") are not
//!    citations and are vetoed unless the sentence also says existing media shows something.
//! 6. Promised media ("they will post a live stream", "the footage would be released") is not
//!    cited yet and is vetoed unless another citing verb is present.
//! 7. "audio clip" / "voice recording" are audio: their "clip" does not count as video.
//!
//! One detection per sentence; the dominant kind is video > image > audio > web.

use std::sync::OnceLock;

use regex::Regex;

use super::{Detection, Span};

pub(crate) struct Rules {
    negatives: Regex,
    platforms: Vec<(&'static str, Regex)>,
    video_strong: Regex,
    video_weak: Regex,
    image_strong: Regex,
    image_weak: Regex,
    audio_strong: Regex,
    audio_weak: Regex,
    live: Regex,
    cite: Regex,
    existing: Regex,
    noun_of: Regex,
    in_a_noun: Regex,
    vision: Regex,
    vision_modifier: Regex,
    vision_veto: Regex,
    web_verb_on_platform: Regex,
    web_platform_noun: Regex,
    web_platform_source: Regex,
    prospective: Regex,
    web_noun_on_platform: Regex,
    web_verbs: Regex,
    appeal: Regex,
    filmed_veto: Regex,
}

fn re(p: &str) -> Result<Regex, regex::Error> {
    Regex::new(p)
}

const PLAT: &str = "\u{1}P";

/// The compiled rules. All patterns are literals in this file and a unit test checks they
/// compile; if one ever did not, detection finds nothing rather than panicking.
pub(crate) fn rules() -> Result<&'static Rules, &'static regex::Error> {
    static RULES: OnceLock<Result<Rules, regex::Error>> = OnceLock::new();
    RULES.get_or_init(build).as_ref()
}

fn build() -> Result<Rules, regex::Error> {
    Ok(Rules {
        negatives: re(concat!(
            r"(?i)\bvideo[- ]?gam(?:es?|ing)\b|\bvideo[- ]?conferenc\w*|\bvideo[- ]?(?:calls?|calling|chats?)\b",
            r"|\b(?:via |by |over )?video[- ]?links?\b|\bvideo (?:content )?strateg\w*|\bvideo (?:production|editors?|stores?|rentals?|players?|streaming (?:services?|platforms?)|assistant referee)\b",
            r"|\bphoto[- ]?op(?:portunit(?:y|ies)|s)?\b|\bphoto[- ]?(?:booths?|id|identification|finish|shoots?|competitions?)\b",
            r"|\bcamera[- ]?(?:shy|ready|operators?)\b",
            r"|\b(?:bigger|big|full|whole|clearer|clear|grim|mixed|overall|complete|broader|rosy|same) picture\b|\bpicture of health\b|\bpaint(?:s|ed|ing)? (?:a |an )?(?:\w+ )?picture\b|\bget the picture\b|\bmotion pictures?\b|\bpicture[- ]perfect\b|\bin the picture\b",
            r"|\b(?:public|brand|self|corporate|body|international)[- ]image\b|\bimage (?:problems?|crisis|makeover)\b",
            r"|\brecording (?:studios?|artists?|contracts?|industry|labels?|careers?|sessions?)\b|\brecord labels?\b",
            r"|\btunnel vision\b|\bnight vision\b|\b(?:blurred|double|blurry|poor|peripheral) vision\b|\bfield of vision\b|\bvision (?:loss|impaired|impairment|problems?|statement|board)\b",
            r"|\bat a (?:\w+ )?clip\b|\bclip[- ]?(?:art|on)\b|\b(?:paper|hair|tie|bulldog|money|ammunition|magazine) ?clips?\b|\bclip(?:ped|ping|s)? (?:the|its|his|her|their) wings\b",
            r"|\bposted (?:bail|guards?|officers|a (?:loss|profit|record|deficit|surplus))\b|\b(?:police|military|border|guard|command|trading|observation|lamp|goal|sign) ?posts?\b|\bpost[- ]office\b",
            r"|\bselfie[- ]sticks?\b|\bscreen time\b"
        ))?,
        platforms: vec![
            ("tiktok", re(r"(?i)\btik ?toks?\b|\btik ?tok(?:er|ers)\b")?),
            (
                "x",
                re(
                    r"(?i:\btwitter\b|\b(?:re)?tweet(?:s|ed|ing)?\b|\bx\.com\b)|\b(?:on|to|via|onto|across) X(?:$|[\s,;:!?)]|\.(?:\s|$))|\bX (?:posts?|users?|accounts?|handles?|feeds?|profiles?|threads?|followers|bio)\b|\bX\s*\(formerly",
                )?,
            ),
            ("youtube", re(r"(?i)\byou ?tube\b")?),
            ("facebook", re(r"(?i)\bfacebook\b")?),
            ("instagram", re(r"(?i)\binstagram\b|\binsta\b")?),
            ("telegram", re(r"(?i)\btelegram\b")?),
            ("twitch", re(r"\bTwitch\b|(?i:\btwitch\.tv\b)")?),
            ("reddit", re(r"(?i)\breddit\b|\bsubreddits?\b|(?:^|\s)r/\w+")?),
            ("snapchat", re(r"(?i)\bsnapchat\b|\bsnap ?map\b")?),
            ("parler", re(r"\bParler\b")?),
            (
                "rumble",
                re(
                    r"\b(?:on|to|via|onto) Rumble\b|\bRumble (?:videos?|channels?|streams?|accounts?|pages?|users?|posts?)\b|(?i:\brumble\.com\b)",
                )?,
            ),
            ("whatsapp", re(r"(?i)\bwhats ?app\b")?),
        ],
        video_strong: re(concat!(
            r"(?i)\bfootage\b|\bdash[- ]?cams?\b|\bdash[- ]?camera\b|\bbody[- ]?(?:worn|cams?|cameras?)\b|\bbodycams?\b",
            r"|\bcctv\b|\b(?:security|surveillance|doorbell|traffic) (?:cameras?|cams?|video|vision)\b",
            r"|\bcaught on (?:camera|video|film|tape|cctv)\b|\bon camera\b|\bfilmed\b|\bvideoed\b|\bvideotaped\b"
        ))?,
        video_weak: re(r"(?i)\bvideos?\b|\bclips?\b|\bvlogs?\b|\breels?\b|\bvids?\b|\bfilming\b|\bfilm of\b")?,
        image_strong: re(
            r"(?i)\bselfies?\b|\bscreen ?shots?\b|\bscreen ?grabs?\b|\bscreengrabs?\b|\bphotographed\b|\bpictured\b",
        )?,
        image_weak: re(
            r"(?i)\bphotos?\b|\bphotographs?\b|\bpictures?\b|\bimages?\b|\bsnapshots?\b|\bpics?\b|\bmemes?\b|\bphoto ?gallery\b",
        )?,
        audio_strong: re(
            r"(?i)\bvoice ?(?:messages?|notes?|memos?|recordings?|mails?)\b|\baudio (?:recordings?|clips?|files?|messages?|of)\b",
        )?,
        audio_weak: re(
            r"(?i)\baudio\b|\brecordings?\b|\b(?:911|000|triple[- ]zero|emergency|999|112) calls?\b|\bpodcasts?\b|\bradio (?:transmissions?|traffic|chatter|calls?)\b|\bphone calls? recording\b",
        )?,
        live: re(concat!(
            r"(?i)\blive[- ]?stream(?:s|ed|ing|er|ers)?\b|\bstream(?:ed|ing)? (?:\w+ ){0,3}live\b|\b(?:re)?broadcast(?:s|ed|ing)? (?:\w+ ){0,3}live\b",
            r"|\bwent live\b|\b(?:facebook|instagram|tiktok|youtube|twitch) live\b|\blive (?:video|feed|footage|broadcast|stream)s?\b|\bstreamers?\b"
        ))?,
        cite: re(concat!(
            r"(?i)\bshows?\b|\bshowed\b|\bshowing\b|\bshown\b|\bappear(?:s|ed)? to (?:show|capture|depict)\b|\bpurport(?:s|ed|ing)? to show\b",
            r"|\bcaptur(?:e|es|ed|ing)\b|\bdepict(?:s|ed|ing)?\b|\breveal(?:s|ed|ing)?\b|\bemerged\b|\bsurfaced\b|\bcirculat(?:ing|ed|es)\b|\bviral\b",
            r"|\bposted\b|\bshared\b|\buploaded\b|\bobtained\b|\breleased\b|\bpublished\b|\bleaked\b|\bfilmed\b|\brecorded\b|\btweeted\b|\bstreamed\b",
            r"|\btaken (?:by|from|at|on|in|inside|outside|during|moments|shortly|minutes|seconds)\b|\bseen\b|\bheard\b|\baired\b|\bbroadcast\b|\bin which\b",
            r"|\bappears? in\b|\bfeatur(?:es|ed|ing)\b|\bviewed\b|\bwatched\b|\bhanded (?:over )?to\b|\bprovided to\b|\bdoing the rounds\b"
        ))?,
        existing: re(
            r"(?i)\bshows?\b|\bshowed\b|\bshowing\b|\bappears? to show\b|\bemerged\b|\bsurfaced\b|\bviral\b|\bcirculat(?:ing|ed)\b|\bcaptured\b",
        )?,
        // "images of" / "pictures of" are left out: "the image of the city" is a figure of speech.
        noun_of: re(
            r"(?i)\b(?:videos?|clips?|photos?|photographs?|recordings?|audio|snapshots?|screenshots?)\s+(?:of|from)\b",
        )?,
        in_a_noun: re(
            r"(?i)\bin (?:a|an|the|one|his|her|their|its|this|that|another) (?:\S+ ){0,2}(?:videos?|clips?|photos?|photographs?|pictures?|images?|recordings?|posts?)\b",
        )?,
        vision: re(r"(?i)\bvision\b")?,
        vision_modifier: re(concat!(
            r"(?i)\b(?:cctv|security|dash ?cam|dashcam|drone|aerial|helicopter|chopper|mobile|phone|smartphone|news|tv|television|dramatic|shocking|disturbing",
            r"|graphic|horrific|confronting|exclusive|live|body[- ]?worn|bodycam|amateur|raw|footage and|surveillance|camera|video|\d+) vision\b"
        ))?,
        vision_veto: re(
            r"(?i)\b(?:a|an|our|his|her|their|its|my|your|shared|long[- ]term|bold|grand|clear|common|united|strategic|founding|\w+['’]s) vision\b|\bvision (?:for|to)\b",
        )?,
        web_verb_on_platform: re(&format!(
            r"(?i)\b(?:posted|wrote|writes|said|says|shared|announced|claimed|published|commented|declared|tweeted|messaged|uploaded|warned|boasted|joked|admitted|confirmed|revealed|replied|responded)\b(?:\s+\S+){{0,4}}?\s+(?:on|to|in|via|across)\s+(?:\S+\s+){{0,3}}?{PLAT}"
        ))?,
        web_platform_noun: re(&format!(
            r"(?i){PLAT}\s+(?:posts?|messages?|threads?|stor(?:y|ies)|comments?|status|updates?)\b"
        ))?,
        web_platform_source: re(&format!(
            r"(?i){PLAT}\s+(?:channels?|groups?|chats?|accounts?|pages?|feeds?|users?)\s+(?:\S+\s+){{0,5}}?(?:posted|wrote|said|shared|claimed|announced|published|reported|circulated|warned|alleged)\b"
        ))?,
        web_noun_on_platform: re(&format!(
            r"(?i)\b(?:posts?|messages?|threads?|comments?|stor(?:y|ies)|status(?: update)?)\s+(?:on|to|in|via)\s+(?:\S+\s+){{0,2}}?{PLAT}"
        ))?,
        web_verbs: re(
            r"(?i)\b(?:posted|wrote|said|shared|claimed|announced|published|commented|declared|tweeted|messaged|uploaded|warned|boasted|joked|admitted|confirmed|revealed|shows?|showed)\b",
        )?,
        appeal: re(concat!(
            r"(?i)\b(?:anyone|anybody|witnesses|motorists|drivers|residents|members of the public|people|those)\b[^.;]*\b(?:urged|asked|encouraged|requested|called on|invited|appeal(?:ed|ing)?)\b",
            r"|\b(?:urg\w+|ask\w*|appeal\w*|call\w* on|encourag\w+)\b[^.;]*\b(?:anyone|anybody|witnesses|motorists|drivers|members of the public)\b",
            r"|\bappeal(?:ed|ing|s)? for\b[^.;]*\b(?:footage|vision|videos?|photos?|images?|dash ?cams?)\b"
        ))?,
        prospective: re(concat!(
            r"(?i)\b(?:will|would|could|plan(?:s|ned)? to|intend(?:s|ed)? to|going to|promised to|threatened to|vowed to|hope(?:s|d)? to)",
            r"\s+(?:\w+\s+){0,2}?(?:post|stream|live[- ]?stream|broadcast|film|record|share|release|publish|upload)(?:ed|d)?\b"
        ))?,
        filmed_veto: re(
            r"(?i)\b(?:movie|film|series|show|episode|documentary|season|scenes?|advert\w*|commercial)s? (?:was|were|is|are|had been|has been|being|will be) (?:filmed|shot)\b|\b(?:declined|refused|asked not|did not want|didn't want) to be filmed\b",
        )?,
    })
}

fn platform_default_kind(p: &str) -> &'static str {
    match p {
        "tiktok" | "youtube" | "twitch" | "rumble" => "video",
        "instagram" | "snapchat" => "image",
        _ => "web",
    }
}

/// The replacement for one platform mention in `canon`: the token, keeping a leading
/// preposition ("on X" matches as a whole) and trailing punctuation (" X," / " X.").
fn platform_token(m: &str) -> String {
    let mut lead = "";
    for prep in ["on ", "to ", "via ", "onto ", "across "] {
        if m.len() > prep.len() && m.get(..prep.len()).is_some_and(|h| h.eq_ignore_ascii_case(prep)) {
            lead = &m[..prep.len()]; // ASCII prefix: a char boundary
            break;
        }
    }
    let trail_at =
        m.rfind(|c: char| c.is_alphanumeric()).map_or(m.len(), |i| i + m[i..].chars().next().map_or(0, char::len_utf8));
    let trail = m.get(trail_at..).unwrap_or("");
    format!(" {lead}{PLAT} {trail}")
}

/// Blanks every match of `re`, keeping byte offsets (shared by the per-language rules).
pub(super) fn mask(text: &str, re: &Regex) -> String {
    re.replace_all(text, |c: &regex::Captures| " ".repeat(c.get(0).map_or(0, |m| m.as_str().len()))).into_owned()
}

/// Collects the distinct lower-cased matches of `re` into `cues`; true if any matched.
pub(super) fn cues_of(re: &Regex, text: &str, cues: &mut Vec<String>) -> bool {
    let mut any = false;
    for m in re.find_iter(text) {
        any = true;
        let c = m.as_str().trim().to_lowercase();
        if !cues.contains(&c) {
            cues.push(c);
        }
    }
    any
}

/// Australian "vision" (= footage): a media modifier before it ("mobile phone vision"), a
/// citing verb shortly after it ("vision has emerged", "vision shows"), or "vision of" + an
/// event / people doing something. Vetoed by "a vision for", possessives ("the council's
/// vision"), "shared vision" unless a media modifier is present.
fn vision_footage(r: &Rules, text: &str) -> bool {
    if !r.vision.is_match(text) {
        return false;
    }
    if r.vision_modifier.is_match(text) {
        return true;
    }
    for m in r.vision.find_iter(text) {
        let before = text.get(..m.start()).unwrap_or("");
        let after = text.get(m.end()..).unwrap_or("");
        // Veto: "a vision", "the council's vision", "vision for".
        let prev: Vec<&str> = before.split_whitespace().rev().take(2).collect();
        let window = format!("{} {}", prev.iter().rev().cloned().collect::<Vec<_>>().join(" "), m.as_str());
        let next_two: String = after.split_whitespace().take(1).collect::<Vec<_>>().join(" ");
        if r.vision_veto.is_match(&format!("{window} {next_two}")) {
            continue;
        }
        let next: Vec<String> = after
            .split_whitespace()
            .take(6)
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
            .collect();
        const VERBS: &[&str] = &[
            "emerged",
            "surfaced",
            "shows",
            "show",
            "showed",
            "showing",
            "shown",
            "appears",
            "appeared",
            "captured",
            "captures",
            "obtained",
            "released",
            "aired",
            "broadcast",
            "posted",
            "shared",
            "circulating",
            "circulated",
            "filmed",
            "taken",
            "depicts",
            "depicted",
            "reveals",
            "revealed",
        ];
        if next.iter().any(|w| VERBS.contains(&w.as_str())) {
            return true;
        }
        if next.first().map(String::as_str) == Some("of") {
            let who = next.get(1).map(String::as_str).unwrap_or("");
            const NOT_EVENT: &[&str] =
                &["its", "his", "her", "their", "our", "my", "your", "a", "an", "what", "how", "the"];
            const EVENTS: &[&str] = &[
                "moment",
                "moments",
                "incident",
                "crash",
                "attack",
                "arrest",
                "scene",
                "scenes",
                "confrontation",
                "brawl",
                "fight",
                "raid",
                "chaos",
                "clash",
                "clashes",
                "collapse",
            ];
            let third = next.get(2).map(String::as_str).unwrap_or("");
            if (!NOT_EVENT.contains(&who) && !who.is_empty()) || (who == "the" && EVENTS.contains(&third)) {
                // "vision of police officers removing ..." : people doing something.
                if EVENTS.contains(&who) || EVENTS.contains(&third) || next.iter().skip(1).any(|w| w.ends_with("ing")) {
                    return true;
                }
            }
        }
    }
    false
}

/// Detect sentences that cite media evidence. `sentences` are spans into `body` (normally from
/// [`split_sentences`](super::split_sentences)); spans that do not fit `body` are skipped.
pub fn detect_evidence(body: &str, sentences: &[Span]) -> Vec<Detection> {
    let Ok(r) = rules() else {
        return Vec::new();
    };
    sentences
        .iter()
        .filter_map(|&span| {
            let text = body.get(span.start..span.end)?;
            detect_sentence(r, text).map(|mut d| {
                d.span = span;
                d
            })
        })
        .collect()
}

/// [`detect_evidence`] with the rules of the page's language (`lang`: a primary subtag such
/// as "de"): German, French, Spanish and Portuguese have their own (`detect_lang`); any other
/// language, or none, uses the English rules.
pub fn detect_evidence_in(body: &str, sentences: &[Span], lang: Option<&str>) -> Vec<Detection> {
    let Some(r) = lang.and_then(super::detect_lang::rules_for) else {
        return detect_evidence(body, sentences);
    };
    sentences
        .iter()
        .filter_map(|&span| {
            let text = body.get(span.start..span.end)?;
            super::detect_lang::detect_sentence(r, text).map(|mut d| {
                d.span = span;
                d
            })
        })
        .collect()
}

fn detect_sentence(r: &Rules, text: &str) -> Option<Detection> {
    if text.len() > 20_000 {
        return None; // not a sentence; keep the regexes' work bounded
    }
    let masked = mask(text, &r.negatives);
    let masked = mask(&masked, &r.filmed_veto);

    // Platforms, in order of first mention; `canon` has each mention replaced by a token.
    let mut found: Vec<(usize, &'static str, String)> = Vec::new();
    for (name, pre) in &r.platforms {
        if let Some(m) = pre.find(&masked) {
            found.push((m.start(), name, m.as_str().trim().to_string()));
        }
    }
    found.sort_by_key(|f| f.0);
    let platform = found.first().map(|f| f.1);
    let mut canon = masked.clone();
    for (_, pre) in &r.platforms {
        canon = pre
            .replace_all(&canon, |c: &regex::Captures| platform_token(c.get(0).map_or("", |m| m.as_str())))
            .into_owned();
    }

    let mut cues: Vec<String> = Vec::new();
    let vs = cues_of(&r.video_strong, &masked, &mut cues);
    let live = cues_of(&r.live, &masked, &mut cues)
        || (platform == Some("twitch") && masked.to_lowercase().contains("stream"));
    let vision = vision_footage(r, &masked);
    if vision {
        cues.push("vision".into());
    }
    let is_ = cues_of(&r.image_strong, &masked, &mut cues);
    let as_ = cues_of(&r.audio_strong, &masked, &mut cues);
    let mut weak_cues = Vec::new();
    // "audio clip", "voice recording": the clip is audio, not video.
    let vw = cues_of(&r.video_weak, &mask(&masked, &r.audio_strong), &mut weak_cues);
    let iw = cues_of(&r.image_weak, &masked, &mut weak_cues);
    let aw = cues_of(&r.audio_weak, &masked, &mut weak_cues);
    let mut cite_cues = Vec::new();
    let cited = cues_of(&r.cite, &masked, &mut cite_cues);
    let context = cited
        || platform.is_some()
        || r.noun_of.is_match(&masked)
        || r.in_a_noun.is_match(&masked)
        || masked.to_lowercase().contains("social media")
        || masked.to_lowercase().contains("online");

    let web_post = platform.is_some()
        && (r.web_verb_on_platform.is_match(&canon)
            || r.web_noun_on_platform.is_match(&canon)
            || (r.web_platform_noun.is_match(&canon) && r.web_verbs.is_match(&canon))
            || r.web_platform_source.is_match(&canon)
            || platform == Some("x") && found.iter().any(|f| f.2.to_lowercase().contains("tweet")));

    let video = vs || live || vision || (vw && context);
    let image = is_ || (iw && context);
    let audio = as_ || (aw && context);
    let platform_cited = platform.is_some() && cited;

    let kind = if video {
        "video"
    } else if image {
        "image"
    } else if audio {
        "audio"
    } else if web_post {
        "web"
    } else if platform_cited {
        platform.map_or("web", platform_default_kind)
    } else {
        return None;
    };
    // A video/image/audio word whose kind won is a cue too.
    if (vw && kind == "video") || (iw && kind == "image") || (aw && kind == "audio") || context {
        for c in weak_cues {
            if !cues.contains(&c) {
                cues.push(c);
            }
        }
    }

    // Appeals for footage are not citations.
    if r.appeal.is_match(&masked) && !r.existing.is_match(&mask(&masked, &r.appeal)) {
        return None;
    }
    // Media promised, not (yet) cited: "they will post a live stream of the meeting".
    if r.prospective.is_match(&masked) && !r.cite.is_match(&mask(&masked, &r.prospective)) {
        return None;
    }

    let strong = vs || live || vision || is_ || as_;
    let confidence = match kind {
        "web" => 0.5,
        _ if strong && cited => 0.9,
        _ if strong || cited => 0.75,
        _ => 0.6,
    };
    for c in cite_cues {
        if !cues.contains(&c) {
            cues.push(c);
        }
    }
    for f in &found {
        let c = f.2.to_lowercase();
        if !cues.contains(&c) {
            cues.push(c);
        }
    }
    Some(Detection {
        span: Span { start: 0, end: 0 },
        kind: kind.to_string(),
        platform: platform.map(str::to_string),
        live,
        cues,
        confidence,
    })
}
