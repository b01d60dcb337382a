//! Evidence-reference rules for German, French, Spanish and Portuguese newsroom phrasing,
//! chosen by the page's language ([`super::detect_evidence_in`]).
//!
//! The same shape as the English rules in `detect.rs`, smaller: *strong* media cues count
//! alone ("Aufnahmen einer Überwachungskamera", "filmé", "grabado", "gravado"); *weak* ones
//! (Video, vidéo, imágenes, foto ...) count with a citing verb ("zeigt", "montre", "muestra",
//! "mostra", "veröffentlicht", "publiée sur", "publicado en", "publicado no") or a platform; a
//! post on a platform cited as a source ("schrieb auf X", "a écrit sur Facebook", "escribió en
//! X", "escreveu no Instagram") is kind "web". Non-evidence compounds are masked first
//! ("Videospiel", "jeu vidéo", "videojuego", "videochamada", "Fotoshooting" ...).
//! Platform names are those of the English rules, with "X" only after a preposition of the
//! language ("auf X", "sur X", "en X", "no X").

use std::sync::OnceLock;

use regex::Regex;

use super::detect::{cues_of as cues, mask};
use super::{Detection, Span};

pub(crate) struct LangRules {
    negatives: Regex,
    video_strong: Regex,
    video_weak: Regex,
    image_strong: Regex,
    image_weak: Regex,
    audio: Regex,
    live: Regex,
    cite: Regex,
    web_post: Regex,
    platforms: Vec<(&'static str, Regex)>,
}

const PLATFORMS: &[(&str, &str)] = &[
    ("tiktok", r"(?i)\btik ?tok\b"),
    ("youtube", r"(?i)\byou ?tube\b"),
    ("facebook", r"(?i)\bfacebook\b"),
    ("instagram", r"(?i)\binstagram\b"),
    ("telegram", r"(?i)\btelegram\b"),
    ("twitch", r"\bTwitch\b"),
    ("reddit", r"(?i)\breddit\b"),
    ("snapchat", r"(?i)\bsnapchat\b"),
    ("whatsapp", r"(?i)\bwhats ?app\b"),
];

fn build(lang: &str) -> Option<Result<LangRules, regex::Error>> {
    // (negatives, video strong, video weak, image strong, image weak, audio, live, cite, web
    // verbs, prepositions before "X")
    let p: [&str; 10] = match lang {
        "de" => [
            r"(?i)\bvideo(?:spiel|spiele|konferenz|konferenzen|schalte|telefonat|call|anruf|beweis|schiedsrichter|thek)\w*|\bfoto(?:shooting|termin|grafen?|apparat)\w*|\bbild(?:ung|schirm|er ?buch)\w*|\bim bilde\b|\bein bild (?:machen|von der lage)\b",
            r"(?i)\b(?:video|film|handy|amateur|kamera|drohnen|überwachungs|dashcam|bodycam)?aufnahmen?\b|\bmitschnitt\w*|\bgefilmt\b|\bdash ?cam\b|\bbody ?cam\b|\büberwachungskamera\w*|\bhandyvideo\w*",
            r"(?i)\bvideos?\b|\bvideoclips?\b|\bclips?\b|\bfilm(?:chen)?\b",
            r"(?i)\bscreenshots?\b|\bselfies?\b|\bfotografiert\b|\bbildschirmfoto\w*",
            r"(?i)\bfotos?\b|\bbilder?\b|\bbildern\b|\baufnahme\b",
            r"(?i)\bsprachnachricht\w*|\btonaufnahme\w*|\baudio(?:aufnahme|datei|mitschnitt)?\w*|\bnotruf\w*",
            r"(?i)\blive[- ]?stream\w*|\blive übertragen\b|\bliveübertragung\b|\blive-video\b",
            r"(?i)\bzeig(?:t|en|te|ten)\b|\bzu sehen\b|\bveröffentlicht\w*|\bgeteilt\b|\bteilte\b|\bgepostet\b|\bpostete\b|\bhochgeladen\b|\bkursier\w+|\bverbreite\w+|\baufgetaucht\b|\bdokumentier\w+|\bfesthalt\w+|\bfestgehalten\b|\bwertet\b[^.;]{0,40}\baus\b|\bausgewertet\b|\bauswerten\b|\bprüf(?:t|en|te)\b",
            r"(?i)\b(?:schrieb|schreibt|postete|teilte|erklärte|twitterte|kommentierte|verkündete)\b[^.;]{0,60}\b(?:auf|bei|in|über)\b",
            r"\b(?:auf|bei|über|via) X\b",
        ],
        "fr" => [
            r"(?i)\bjeux? vidéo\w*|\bvidéo ?(?:conférence|surveillance de masse|projecteur|club)\w*|\bvisio(?:conférence)?\b|\bséance photo\b|\bappareil photo\b|\bphoto de famille\b|\bimage de marque\b",
            r"(?i)\bfilmé(?:e|es|s)?\b|\bcaméra (?:de surveillance|piéton|embarquée)\b|\bdashcam\b|\benregistrement vidéo\b|\bvidéosurveillance\b|\bséquence(?:s)? vidéo\b",
            r"(?i)\bvidéos?\b|\bséquences?\b|\bextraits?\b|\bclips?\b|\bimages\b",
            r"(?i)\bcaptures? d['’]écran\b|\bselfies?\b|\bphotographié(?:e|es|s)?\b",
            r"(?i)\bphotos?\b|\bphotographies?\b|\bclichés?\b",
            r"(?i)\benregistrements? (?:audio|sonores?)\b|\bmessages? vocal\w*|\baudio\b|\bappel au 17\b",
            r"(?i)\ben direct\b|\ben live\b|\blive\b|\bdiffusé(?:e|es|s)? en direct\b",
            r"(?i)\bmontr(?:e|ent|ait|aient|ant)\b|\bon (?:y )?(?:voit|aperçoit|peut voir|entend)\b|\bpubliée?s?\b|\bpartagée?s?\b|\bdiffusée?s?\b|\bpostée?s?\b|\bcircul(?:e|ent|ant|ait)\b|\brelayée?s?\b|\bmise?s? en ligne\b|\bdevenue?s? virale?s?\b",
            r"(?i)\b(?:a écrit|écrit|a publié|a posté|a tweeté|a réagi|a déclaré|a annoncé|a commenté|a partagé)\b[^.;]{0,60}\b(?:sur|via)\b",
            r"\b(?:sur|via) X\b",
        ],
        "es" => [
            r"(?i)\bvideo ?juegos?\b|\bvideojuegos?\b|\bvideo ?llamadas?\b|\bvideoconferencias?\b|\bsesión de fotos\b|\bcámara de fotos\b|\bimagen (?:pública|de marca)\b",
            r"(?i)\bgrabad[oa]s?\b|\bfilmad[oa]s?\b|\bgrabaci(?:ón|ones)\b|\bcámaras? de (?:seguridad|vigilancia)\b|\bdashcam\b",
            r"(?i)\bv[ií]deos?\b|\bclips?\b|\bimágenes\b|\bsecuencias?\b",
            r"(?i)\bcapturas? de pantalla\b|\bselfies?\b|\bfotografiad[oa]s?\b",
            r"(?i)\bfotos?\b|\bfotograf[ií]as?\b|\bimagen\b",
            r"(?i)\baudios?\b|\bmensajes? de voz\b|\bnotas? de voz\b",
            r"(?i)\ben directo\b|\ben vivo\b|\btransmisi(?:ón|ones) en (?:directo|vivo)\b|\bdirecto\b",
            r"(?i)\bmuestr(?:a|an)\b|\bmostr(?:aba|aban|ó|aron)\b|\bse (?:ve|ven|observa|observan|escucha|aprecia)\b|\bpublicad[oa]s?\b|\bdifundid[oa]s?\b|\bcompartid[oa]s?\b|\bcircul(?:a|an|ó)\b|\bsubid[oa]s?\b|\bviralizad[oa]s?\b",
            r"(?i)\b(?:escribió|publicó|tuiteó|compartió|afirmó|denunció|anunció|señaló|respondió)\b[^.;]{0,60}\b(?:en|a través de)\b",
            r"\b(?:en|a través de) X\b",
        ],
        "pt" => [
            r"(?i)\bvideo ?games?\b|\bvideogames?\b|\bv[ií]deo ?chamadas?\b|\bvideoconfer[eê]ncias?\b|\bsess(?:ão|ões) de fotos\b|\bm[aá]quina fotogr[aá]fica\b|\bimagem pública\b",
            r"(?i)\bgravad[oa]s?\b|\bfilmad[oa]s?\b|\bgrava(?:ção|ções)\b|\bcâmeras? de (?:segurança|vigilância)\b|\bdashcam\b",
            r"(?i)\bv[ií]deos?\b|\bclipes?\b|\bimagens\b",
            r"(?i)\bcapturas? de tela\b|\bselfies?\b|\bfotografad[oa]s?\b|\bprints?\b",
            r"(?i)\bfotos?\b|\bfotografias?\b|\bimagem\b",
            r"(?i)\b[aá]udios?\b|\bmensage(?:m|ns) de voz\b",
            r"(?i)\bao vivo\b|\btransmiss(?:ão|ões) ao vivo\b|\blive\b|\bem direto\b",
            r"(?i)\bmostr(?:a|am|ava|avam|ou|aram)\b|\b(?:é|era) possível (?:ver|ouvir)\b|\bvê-se\b|\bpublicad[oa]s?\b|\bdivulgad[oa]s?\b|\bcompartilhad[oa]s?\b|\bpartilhad[oa]s?\b|\bcircul(?:a|am|ou)\b|\bpostad[oa]s?\b|\bviralizou\b",
            r"(?i)\b(?:escreveu|publicou|postou|tuitou|compartilhou|afirmou|disse|anunciou|respondeu)\b[^.;]{0,60}\b(?:no|na|em|pelo|pela)\b",
            r"\b(?:no|na|em|pelo) X\b",
        ],
        _ => return None,
    };
    Some((|| {
        let mut platforms =
            vec![("x", Regex::new(&format!(r"(?i:\btwitter\b|\btweet\w*|\btuit\w*|\bx\.com\b)|{}", p[9]))?)];
        for (name, pat) in PLATFORMS {
            platforms.push((name, Regex::new(pat)?));
        }
        Ok(LangRules {
            negatives: Regex::new(p[0])?,
            video_strong: Regex::new(p[1])?,
            video_weak: Regex::new(p[2])?,
            image_strong: Regex::new(p[3])?,
            image_weak: Regex::new(p[4])?,
            audio: Regex::new(p[5])?,
            live: Regex::new(p[6])?,
            cite: Regex::new(p[7])?,
            web_post: Regex::new(p[8])?,
            platforms,
        })
    })())
}

/// The rules for a primary language subtag, or None when evcat has none for it.
pub(crate) fn rules_for(lang: &str) -> Option<&'static LangRules> {
    static DE: OnceLock<Option<LangRules>> = OnceLock::new();
    static FR: OnceLock<Option<LangRules>> = OnceLock::new();
    static ES: OnceLock<Option<LangRules>> = OnceLock::new();
    static PT: OnceLock<Option<LangRules>> = OnceLock::new();
    let cell = match lang {
        "de" => &DE,
        "fr" => &FR,
        "es" => &ES,
        "pt" => &PT,
        _ => return None,
    };
    // Patterns are literals; `lang_rules_compile` checks every language.
    cell.get_or_init(|| build(lang).and_then(Result::ok)).as_ref()
}

pub(crate) fn detect_sentence(r: &LangRules, text: &str) -> Option<Detection> {
    if text.len() > 20_000 {
        return None;
    }
    let t = mask(text, &r.negatives);
    let mut found: Vec<(usize, &'static str, String)> = r
        .platforms
        .iter()
        .filter_map(|(n, re)| re.find(&t).map(|m| (m.start(), *n, m.as_str().trim().to_lowercase())))
        .collect();
    found.sort_by_key(|f| f.0);
    let platform = found.first().map(|f| f.1);
    let mut c = Vec::new();
    let vs = cues(&r.video_strong, &t, &mut c);
    let live = cues(&r.live, &t, &mut c) && (platform.is_some() || vs || r.video_weak.is_match(&t));
    let is = cues(&r.image_strong, &t, &mut c);
    let au = cues(&r.audio, &t, &mut c);
    let mut weak = Vec::new();
    let vw = cues(&r.video_weak, &t, &mut weak);
    let iw = cues(&r.image_weak, &t, &mut weak);
    let mut cite_cues = Vec::new();
    let cited = cues(&r.cite, &t, &mut cite_cues);
    let context = cited || platform.is_some();
    let web = platform.is_some() && r.web_post.is_match(&t);
    let video = vs || live || (vw && context);
    let image = is || (iw && context);
    let audio = au && context;
    let kind = if video {
        "video"
    } else if image {
        "image"
    } else if audio {
        "audio"
    } else if web {
        "web"
    } else {
        return None;
    };
    let strong = vs || live || is;
    let confidence = match kind {
        "web" => 0.5,
        _ if strong && cited => 0.9,
        _ if strong || cited => 0.75,
        _ => 0.6,
    };
    c.extend(weak);
    c.extend(cite_cues);
    c.extend(found.iter().map(|f| f.2.clone()));
    c.dedup();
    Some(Detection {
        span: Span { start: 0, end: 0 },
        kind: kind.to_string(),
        platform: platform.map(str::to_string),
        live,
        cues: c,
        confidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lang_rules_compile() {
        for l in ["de", "fr", "es", "pt"] {
            assert!(build(l).is_some_and(|r| r.is_ok()), "rules for {l} do not compile");
            assert!(rules_for(l).is_some());
        }
        assert!(rules_for("en").is_none());
    }

    fn one(lang: &str, s: &str) -> Option<(String, Option<String>)> {
        detect_sentence(rules_for(lang)?, s).map(|d| (d.kind, d.platform))
    }

    #[test]
    fn newsroom_phrasing() {
        let v = |p: Option<&str>| Some(("video".to_string(), p.map(str::to_string)));
        assert_eq!(one("de", "Ein Video zeigt, wie Polizisten die Absperrung öffnen."), v(None));
        assert_eq!(one("de", "Das Video, das auf X veröffentlicht wurde, zeigt den Platz."), v(Some("x")));
        assert_eq!(one("fr", "Une vidéo publiée sur TikTok montre la foule."), v(Some("tiktok")));
        assert_eq!(one("es", "Un video publicado en Instagram muestra a los agentes."), v(Some("instagram")));
        assert_eq!(one("pt", "Um vídeo publicado no YouTube mostra os manifestantes."), v(Some("youtube")));
        assert_eq!(one("de", "Der Minister schrieb auf X, er sei empört.").map(|d| d.0).as_deref(), Some("web"));
        assert_eq!(one("fr", "Le maire a écrit sur Facebook qu'il était choqué.").map(|d| d.0).as_deref(), Some("web"));
        assert_eq!(
            one("de", "Aufnahmen einer Überwachungskamera belegen den Ablauf.").map(|d| d.0).as_deref(),
            Some("video")
        );
    }

    #[test]
    fn not_evidence() {
        for (l, s) in [
            ("de", "Das Videospiel verkaufte sich gut."),
            ("de", "Die Konferenz fand per Videokonferenz statt."),
            ("fr", "Le marché du jeu vidéo progresse."),
            ("es", "La reunión se hizo por videollamada."),
            ("pt", "A indústria de videogames cresceu."),
            ("de", "Der Bürgermeister sprach über den Haushalt."),
            ("fr", "Le conseil a voté le budget."),
        ] {
            assert_eq!(one(l, s), None, "{l}: {s}");
        }
    }
}
