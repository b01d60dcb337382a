//! Main-text extraction from an HTML page: the article's title, standfirst, paragraphs,
//! quotes, lists and captions, without navigation, menus, banners, share bars, related
//! links, comments or footers.
//!
//! The method, measured on real pages in `benches/extract/` (see BENCHMARKS.md):
//! 1. **Statistics**, bottom-up over the whole tree without recursion: visible text length,
//!    text inside links, paragraph text, commas, whether an embedded post is inside.
//! 2. **Boilerplate** is marked top-down: furniture tags (`nav`, `aside`, `footer`, forms'
//!    controls...), ARIA landmarks of furniture, hidden elements, and class/id words of
//!    furniture (`share`, `related`, `cookie`, `newsletter`, `comments`...). An element holding
//!    most of the page's paragraph text, or an embedded post, is never removed by a class
//!    word: a `<div class="content sidebar-layout">` around the whole article is not a sidebar.
//! 3. **The content root** is chosen by readability's scoring (paragraphs score their parent
//!    and, decreasingly, their ancestors; scores are scaled by `1 - link density`), moved up to
//!    an ancestor when several near-best candidates share it (live blogs, articles split into
//!    sections), and joined by its siblings that score well or read like paragraphs.
//! 4. **Blocks** are written from the root: headings, paragraphs, list items, quotes, table
//!    rows and captions, minus link-dense blocks and short furniture phrases. When that leaves
//!    almost nothing (pages without paragraph markup), every long, link-poor block of the page
//!    is kept instead.
//!
//! Every walk over the tree is iterative or depth-limited, so deep nesting cannot overflow the
//! stack; the work is linear in the number of nodes.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use ego_tree::{NodeId, NodeRef};
use regex::Regex;
use scraper::{ElementRef, Html, Node};

use super::embeds::{self, Found};

/// Subtrees that never hold article text.
const DROP_TAGS: &[&str] = &[
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "canvas",
    "head",
    "meta",
    "link",
    "button",
    "select",
    "input",
    "textarea",
    "option",
    "label",
    "dialog",
    "menu",
    "map",
    "object",
    "embed",
    "iframe",
    "audio",
    "source",
    "track",
    "amp-analytics",
    "amp-ad",
    "amp-sidebar",
    "amp-consent",
];

/// Furniture by tag; kept when they hold most of the page's paragraph text.
const FURNITURE_TAGS: &[&str] = &["nav", "aside", "footer", "header", "form"];

/// ARIA roles of page furniture.
const FURNITURE_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "dialog",
    "alertdialog",
    "menu",
    "menubar",
    "search",
    "toolbar",
];

/// Blocks: text before and after them is a separate paragraph.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "blockquote",
    "figcaption",
    "figure",
    "pre",
    "table",
    "tr",
    "thead",
    "tbody",
    "tfoot",
    "dl",
    "dt",
    "dd",
    "header",
    "address",
    "hr",
    "body",
    "center",
    "details",
    "summary",
    "caption",
    "footer",
    "aside",
    "nav",
];

/// Elements whose own text counts as paragraph text in the scoring.
const PARAGRAPH_TAGS: &[&str] = &["p", "pre", "td", "blockquote", "dd"];

fn regexes() -> &'static (Regex, Regex, Regex, Regex) {
    static R: OnceLock<(Regex, Regex, Regex, Regex)> = OnceLock::new();
    R.get_or_init(|| {
        // Patterns are literals; a test checks they compile, so `expect` cannot fire on input.
        let re = |p: &str| Regex::new(p).expect("extract: literal regex");
        (
            // Furniture by class/id word (tokens split on anything but letters and digits).
            re(concat!(
                r"(?i)^(?:ad|ads|adv|advert|advertisement|advertising|anzeige|werbung|publicidad|publicite|sponsor|sponsored|promo|promoted|banner",
                r"|share|sharing|shares|sharebar|social|socials|follow|newsletter|subscribe|subscription|signup|paywall|cookie|cookies|consent|gdpr",
                r"|related|recommended|recommendations|recirculation|trending|popular|mostread|most|outbrain|taboola|more|byline|dateline|timestamp|credit|credits|meta|author|authors",
                r"|breadcrumb|breadcrumbs|pagination|pager|skip|skiplink|sr|visually|screenreader|offscreen",
                r"|comment|comments|disqus|discussion|replies|respond|masthead|navbar|navigation|nav|menu|menus|toolbar|topbar|footer|sidebar|rail|widget|widgets",
                r"|modal|popup|overlay|login|signin|print|tags|tagcloud|keywords|topics|author-bio|bio|copyright|legal|rss|hidden|hide|tooltip)$"
            )),
            // Article containers by class/id word.
            re(r"(?i)^(?:article|articlebody|article-body|articletext|story|storybody|post|entry|content|main|body|text|blog|liveblog|live)$"),
            // Short furniture phrases that end up inside content roots.
            re(concat!(
                r"(?i)^(?:advertisement|anzeige|werbung|publicidad|publicité|related|see also|more on this|more from",
                r"|share this|share on|follow us|sign up|subscribe|click here|skip to|lesen sie auch|mehr zum thema|weiterlesen|das könnte sie auch",
                r"|lire aussi|à lire aussi|a lire aussi|voir aussi|lee también|leer también|ver también|leia também|veja também|saiba mais",
                r"|view this post on instagram|a post shared by|watch on youtube|©|copyright|all rights reserved|tous droits|alle rechte|todos los derechos|todos os direitos)"
            )),
            // Positive / negative class weights, readability's lists.
            re(r"(?i)-ad-|banner|combx|comment|com-|contact|footer|gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|widget"),
        )
    })
}

fn positive_weight() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i)article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story|live")
            .expect("extract: literal regex")
    })
}

#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    text: usize,
    link: usize,
    para: usize,
    commas: usize,
    direct: usize,
    embed: bool,
    /// Has a block-level child element (a `div` without one reads like a paragraph).
    blocky: bool,
}

/// One output paragraph, with the element it came from.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub text: String,
}

/// An embedded post or media found in the main text, anchored to output blocks.
#[derive(Debug, Clone)]
pub(crate) struct Anchored {
    pub found: Found,
    /// Blocks written while inside the embed (its own text), `first..end`; empty when it has
    /// none (an iframe), then `before` is the last block written before it.
    pub first: usize,
    pub end: usize,
    /// For an in-text link: its text, to find its sentence inside block `first`.
    pub link_text: Option<String>,
}

pub(crate) struct Extraction {
    pub blocks: Vec<Block>,
    pub embeds: Vec<Anchored>,
    /// The first visible `<h1>`, also the first block.
    pub headline: Option<String>,
}

fn words(el: &scraper::node::Element) -> Vec<String> {
    let mut out = Vec::new();
    for v in el.classes().chain(el.id()) {
        out.push(v.to_ascii_lowercase());
        for w in v.split(|c: char| !c.is_ascii_alphanumeric()) {
            if !w.is_empty() && w.len() != v.len() {
                out.push(w.to_ascii_lowercase());
            }
        }
    }
    out
}

fn is_hidden(el: &scraper::node::Element) -> bool {
    if el.attr("hidden").is_some() || el.attr("aria-hidden") == Some("true") {
        return true;
    }
    el.attr("style").is_some_and(|s| {
        let s: String = s.to_ascii_lowercase().split_whitespace().collect();
        s.contains("display:none") || s.contains("visibility:hidden")
    })
}

struct Page<'a> {
    stats: HashMap<NodeId, Stats>,
    removed: HashSet<NodeId>,
    alive: HashSet<NodeId>,
    body: NodeRef<'a, Node>,
}

impl Page<'_> {
    fn st(&self, id: NodeId) -> Stats {
        self.stats.get(&id).copied().unwrap_or_default()
    }
    fn link_density(&self, id: NodeId) -> f64 {
        let s = self.st(id);
        if s.text == 0 {
            0.0
        } else {
            s.link as f64 / s.text as f64
        }
    }
}

fn chars(s: &str) -> usize {
    s.chars().filter(|c| !c.is_whitespace()).count()
}

/// Bottom-up statistics (reverse pre-order visits children before their parent).
fn statistics(doc: &Html) -> HashMap<NodeId, Stats> {
    let order: Vec<NodeRef<Node>> = doc.tree.root().descendants().collect();
    let mut stats: HashMap<NodeId, Stats> = HashMap::with_capacity(order.len());
    for n in order.iter().rev() {
        let mut s = Stats::default();
        match n.value() {
            Node::Text(t) => {
                s.text = chars(t);
                s.commas = t.matches([',', '，', '、', '،']).count();
            }
            Node::Element(e) => {
                if DROP_TAGS.contains(&e.name()) {
                    s.embed = ElementRef::wrap(*n).is_some_and(|el| embeds::element_embed(&el).is_some());
                    stats.insert(n.id(), s);
                    continue;
                }
                for c in n.children() {
                    let cs = stats.get(&c.id()).copied().unwrap_or_default();
                    s.text += cs.text;
                    s.link += cs.link;
                    s.para += cs.para;
                    s.commas += cs.commas;
                    s.embed |= cs.embed;
                    match c.value() {
                        Node::Text(t) => s.direct += chars(t),
                        Node::Element(ce) => s.blocky |= BLOCK_TAGS.contains(&ce.name()),
                        _ => {}
                    }
                }
                if e.name() == "a" {
                    s.link = s.text;
                }
                if PARAGRAPH_TAGS.contains(&e.name())
                    || (e.name() == "div" && (s.direct >= 60 || (!s.blocky && s.text >= 25)))
                {
                    s.para = s.para.max(s.text.saturating_sub(s.link));
                }
                if !s.embed {
                    s.embed = ElementRef::wrap(*n).is_some_and(|el| embeds::element_embed(&el).is_some());
                }
            }
            _ => {}
        }
        stats.insert(n.id(), s);
    }
    stats
}

/// Mark furniture top-down; a removed element's subtree is skipped.
/// Returns the removed elements and every node left alive (not inside a removed one).
fn mark_removed(
    doc: &Html,
    stats: &HashMap<NodeId, Stats>,
    page_para: usize,
    page_text: usize,
) -> (HashSet<NodeId>, HashSet<NodeId>) {
    let (furniture, container, _, _) = regexes();
    let mut removed = HashSet::new();
    let mut alive = HashSet::new();
    let mut stack: Vec<NodeRef<Node>> = vec![doc.tree.root()];
    while let Some(n) = stack.pop() {
        if let Node::Element(e) = n.value() {
            let st = stats.get(&n.id()).copied().unwrap_or_default();
            // Never remove by class or landmark what holds most of the article or an embed.
            let own = st.text.saturating_sub(st.link);
            let protected = st.embed || (page_para > 0 && st.para * 2 > page_para) || own * 2 > page_text;
            let name = e.name();
            let article_header = name == "header"
                && n.ancestors()
                    .any(|a| matches!(a.value(), Node::Element(x) if x.name() == "article" || x.name() == "main"));
            let drop = DROP_TAGS.contains(&name)
                || (!protected
                    && ((FURNITURE_TAGS.contains(&name) && !article_header)
                        || e.attr("role")
                            .is_some_and(|r| FURNITURE_ROLES.contains(&r.trim().to_ascii_lowercase().as_str()))
                        || is_hidden(e)
                        || {
                            let w = words(e);
                            w.iter().any(|x| furniture.is_match(x))
                                && !w.iter().any(|x| container.is_match(x) && x.len() > 3 && own > 400)
                        }));
            if drop && name != "body" && name != "html" {
                removed.insert(n.id());
                continue;
            }
        }
        alive.insert(n.id());
        // Push in reverse so that children are visited in document order (not required, but
        // keeps the walk predictable).
        let children: Vec<NodeRef<Node>> = n.children().collect();
        stack.extend(children.into_iter().rev());
    }
    (removed, alive)
}

fn class_weight(e: &scraper::node::Element) -> f64 {
    let (_, _, _, negative) = regexes();
    let mut w = 0.0;
    for v in e.classes().chain(e.id()) {
        if negative.is_match(v) {
            w -= 25.0;
        }
        if positive_weight().is_match(v) {
            w += 25.0;
        }
    }
    if e.attr("itemprop").is_some_and(|p| p.eq_ignore_ascii_case("articleBody")) {
        w += 50.0;
    }
    w
}

fn tag_base(name: &str) -> f64 {
    match name {
        "div" | "article" | "main" | "section" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    }
}

fn alive(page: &Page, n: NodeRef<Node>) -> bool {
    page.alive.contains(&n.id())
}

/// Readability's candidate scoring; returns the content roots in document order.
fn content_roots<'a>(page: &Page<'a>) -> Vec<NodeRef<'a, Node>> {
    let mut scores: HashMap<NodeId, f64> = HashMap::new();
    let mut nodes: HashMap<NodeId, NodeRef<Node>> = HashMap::new();
    for n in page.body.descendants() {
        let Node::Element(e) = n.value() else { continue };
        let st = page.st(n.id());
        let is_para = PARAGRAPH_TAGS.contains(&e.name()) || (e.name() == "div" && (st.direct >= 60 || !st.blocky));
        if !is_para || st.text < 25 || page.removed.contains(&n.id()) || !alive(page, n) {
            continue;
        }
        let score = 1.0 + st.commas.min(20) as f64 + (st.text as f64 / 100.0).min(3.0);
        for (level, a) in n.ancestors().take(5).enumerate() {
            let Node::Element(ae) = a.value() else { break };
            let entry = scores.entry(a.id()).or_insert_with(|| tag_base(ae.name()) + class_weight(ae));
            nodes.insert(a.id(), a);
            let div = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f64 * 3.0,
            };
            *entry += score / div;
        }
    }
    let mut ranked: Vec<(NodeId, f64)> =
        scores.iter().map(|(id, s)| (*id, s * (1.0 - page.link_density(*id)))).filter(|(_, s)| *s > 0.0).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let Some(&(top_id, top_score)) = ranked.first() else {
        return Vec::new();
    };
    let Some(mut top) = nodes.get(&top_id).copied() else {
        return Vec::new();
    };
    // Several near-best candidates under one ancestor: the ancestor is the article.
    let alternatives: Vec<NodeId> =
        ranked.iter().skip(1).take(5).filter(|(_, s)| *s >= top_score * 0.75).map(|(id, _)| *id).collect();
    if alternatives.len() >= 2 {
        // Bounded walks: deep nesting must not make this quadratic.
        for a in top.ancestors().take(8) {
            if a.id() == page.body.id() {
                break;
            }
            let holds = alternatives
                .iter()
                .filter(|id| nodes.get(id).is_some_and(|n| n.ancestors().take(12).any(|x| x.id() == a.id())))
                .count();
            if holds >= 2 {
                top = a;
                break;
            }
        }
    }
    // The body container of an <article>: the article itself, with its headline and
    // standfirst, when that adds little else (its furniture is already marked).
    let own = |n: NodeRef<Node>| {
        let s = page.st(n.id());
        s.text.saturating_sub(s.link)
    };
    if let Some(a) = top.ancestors().take(4).find(|a| matches!(a.value(), Node::Element(e) if e.name() == "article")) {
        if alive(page, a) && own(a) <= own(top) * 2 && page.link_density(a.id()) < 0.35 {
            top = a;
        }
    }
    let final_score = |id: NodeId| scores.get(&id).map_or(0.0, |s| s * (1.0 - page.link_density(id)));
    let top_score = final_score(top.id()).max(top_score);
    let Some(parent) = top.parent() else {
        return vec![top];
    };
    let threshold = (top_score * 0.2).max(10.0);
    let top_class = match top.value() {
        Node::Element(e) => e.attr("class").unwrap_or("").to_string(),
        _ => String::new(),
    };
    let mut roots = Vec::new();
    let mut before_top_done = false;
    for sib in parent.children() {
        if sib.id() == top.id() {
            roots.push(sib);
            before_top_done = true;
            continue;
        }
        let Node::Element(e) = sib.value() else { continue };
        if page.removed.contains(&sib.id()) {
            continue;
        }
        let mut score = final_score(sib.id());
        if !top_class.is_empty() && e.attr("class") == Some(top_class.as_str()) {
            score += top_score * 0.2;
        }
        let st = page.st(sib.id());
        let ld = page.link_density(sib.id());
        let para_like = e.name() == "p" && ((st.text > 80 && ld < 0.25) || (st.text > 0 && st.text <= 80 && ld == 0.0));
        // A standfirst in its own block just before the body.
        let standfirst = !before_top_done && st.text > 80 && ld < 0.25 && st.text * 3 < page.st(top.id()).text;
        if score >= threshold || para_like || standfirst || (st.embed && st.text < 2000) {
            roots.push(sib);
        }
    }
    roots
}

struct Writer<'p, 'a> {
    page: &'p Page<'a>,
    cur: String,
    blocks: Vec<Block>,
    embeds: Vec<Anchored>,
    /// Inside an element embed: its own links are part of it, not further embeds.
    in_embed: usize,
}

impl Writer<'_, '_> {
    fn flush(&mut self) {
        let (_, _, phrases, _) = regexes();
        let cur = std::mem::take(&mut self.cur);
        let mut para: Vec<&str> = Vec::new();
        let push = |para: &mut Vec<&str>, blocks: &mut Vec<Block>| {
            if para.is_empty() {
                return;
            }
            let text = para.join("\n");
            para.clear();
            if text.chars().count() < 120 && phrases.is_match(&text) {
                return;
            }
            blocks.push(Block { text });
        };
        for line in cur.split('\n') {
            let l = line.trim();
            if l.is_empty() {
                push(&mut para, &mut self.blocks);
            } else {
                para.push(l);
            }
        }
        push(&mut para, &mut self.blocks);
    }

    fn inline(&mut self, t: &str) {
        for c in t.chars() {
            if c.is_whitespace() {
                if !self.cur.is_empty() && !self.cur.ends_with([' ', '\n']) {
                    self.cur.push(' ');
                }
            } else {
                self.cur.push(c);
            }
        }
    }

    /// A link-dense list item, heading or short block inside the content is navigation.
    fn skip_block(&self, n: NodeRef<Node>, name: &str) -> bool {
        let st = self.page.st(n.id());
        if st.embed {
            return false;
        }
        let ld = self.page.link_density(n.id());
        match name {
            "li" | "h2" | "h3" | "h4" | "h5" | "h6" | "dt" | "dd" => ld > 0.5,
            "ul" | "ol" | "dl" | "table" => ld > 0.6 && st.text > 0,
            "p" => ld > 0.95 && st.text < 30,
            "div" | "section" | "header" => ld > 0.7 && st.text < 600 && st.text > 0,
            _ => false,
        }
    }

    fn walk(&mut self, n: NodeRef<Node>, depth: usize) {
        if depth > 200 {
            return; // pathological nesting: the rest of this subtree is dropped
        }
        match n.value() {
            Node::Text(t) => self.inline(t),
            Node::Element(e) => {
                let Some(el) = ElementRef::wrap(n) else { return };
                let name = e.name();
                if let Some(found) = embeds::element_embed(&el) {
                    let first = self.blocks.len();
                    if embeds::embed_has_text(&found) {
                        self.flush();
                        let start = self.blocks.len();
                        self.in_embed += 1;
                        self.children(n, depth);
                        self.in_embed -= 1;
                        self.flush();
                        self.embeds.push(Anchored { found, first: start, end: self.blocks.len(), link_text: None });
                    } else {
                        self.embeds.push(Anchored { found, first, end: first, link_text: None });
                    }
                    return;
                }
                if self.page.removed.contains(&n.id()) {
                    return;
                }
                match name {
                    "br" => self.cur.push('\n'),
                    "img" | "video" | "picture" | "amp-img" | "amp-video" => {
                        if let Some(found) = embeds::media_embed(&el) {
                            let at = self.blocks.len();
                            self.embeds.push(Anchored { found, first: at, end: at, link_text: None });
                        }
                    }
                    "pre" => {
                        self.flush();
                        let text: String = el.text().collect();
                        self.cur.push_str(&text);
                        self.flush();
                    }
                    "td" | "th" => {
                        self.inline(" ");
                        self.children(n, depth);
                        self.inline(" ");
                    }
                    "a" => {
                        if let Some(found) = embeds::link_embed(&el).filter(|_| self.in_embed == 0) {
                            let text = el.text().collect::<String>();
                            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                            let at = self.blocks.len();
                            self.embeds.push(Anchored { found, first: at, end: at + 1, link_text: Some(text) });
                        }
                        self.children(n, depth);
                    }
                    _ => {
                        let block = BLOCK_TAGS.contains(&name);
                        if block && self.skip_block(n, name) {
                            return;
                        }
                        if block {
                            self.flush();
                        }
                        self.children(n, depth);
                        if block {
                            self.flush();
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn children(&mut self, n: NodeRef<Node>, depth: usize) {
        for c in n.children() {
            self.walk(c, depth + 1);
        }
    }
}

/// The first visible `<h1>` of the page, the usual place of the headline.
fn headline(page: &Page) -> Option<String> {
    page.body
        .descendants()
        .filter(|n| matches!(n.value(), Node::Element(e) if e.name() == "h1"))
        .find(|n| alive(page, *n))
        .and_then(ElementRef::wrap)
        .map(|h| h.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|h| !h.is_empty())
}

/// Extract the main text of a parsed page.
pub(crate) fn extract(doc: &Html) -> Extraction {
    let stats = statistics(doc);
    let body = doc
        .tree
        .root()
        .descendants()
        .find(|n| matches!(n.value(), Node::Element(e) if e.name() == "body"))
        .unwrap_or_else(|| doc.tree.root());
    let page_para = stats.get(&body.id()).map_or(0, |s| s.para);
    let page_text = stats.get(&body.id()).map_or(0, |s| s.text.saturating_sub(s.link));
    let (removed, alive) = mark_removed(doc, &stats, page_para, page_text);
    let page = Page { stats, removed, alive, body };
    let mut w = Writer { page: &page, cur: String::new(), blocks: Vec::new(), embeds: Vec::new(), in_embed: 0 };
    let roots = content_roots(&page);
    for r in &roots {
        w.walk(*r, 0);
    }
    w.flush();
    let total: usize = w.blocks.iter().map(|b| b.text.len()).sum();
    if total < 250 {
        // No paragraph structure worth the name: keep every long, link-poor block.
        w.blocks.clear();
        w.embeds.clear();
        w.walk(body, 0);
        w.flush();
    }
    let headline = headline(&page);
    if let Some(h) = &headline {
        if !w.blocks.iter().take(3).any(|b| &b.text == h) {
            w.blocks.insert(0, Block { text: h.clone() });
            for e in &mut w.embeds {
                e.first += 1;
                e.end += 1;
            }
        }
    }
    Extraction { blocks: w.blocks, embeds: w.embeds, headline }
}
