//! `evcat article`, `claim`, `link`, `unlink`, `claims`, `trace`, `cited-by`,
//! and `show` for articles, claims and links.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use evcat::catalog::articles::{Article, ArticleMeta};
use evcat::catalog::claims::{Claim, ClaimFilter, ClaimStatus};
use evcat::catalog::links::{Link, LinkOrigin, NewLink, Region, Relation, TimeRange};
use evcat::catalog::trace::CustodySummary;
use evcat::ids::{ArticleId, ClaimId, EvidenceId, LinkId, Ref};
use evcat::timefmt::normalize_timestamp;
use evcat::{Catalog, Error, Result};

use super::flags::ReasonArg;
use super::output::human_bytes;
use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum ArticleCmd {
    /// Import an article (plain text, seed format, Markdown, a saved HTML page, an .mhtml
    /// archive or a "Webpage, complete" folder), detect the sentences that cite media
    /// evidence and record the page's embedded posts and media with their URLs.
    Add(ArticleAddArgs),
}

#[derive(Debug, Args)]
pub struct ArticleAddArgs {
    /// The article file, or the folder of a page saved "complete".
    pub file: PathBuf,
    /// Overrides the page's title (recorded as the field's source).
    #[arg(long)]
    pub title: Option<String>,
    /// Overrides the page's URL (canonical link, og:url, ...); the override is recorded.
    #[arg(long)]
    pub url: Option<String>,
    /// Overrides the page's publisher (og:site_name, JSON-LD publisher).
    #[arg(long)]
    pub publisher: Option<String>,
    /// Overrides the page's author (JSON-LD author, meta author).
    #[arg(long)]
    pub author: Option<String>,
    /// Publication date (YYYY-MM-DD or RFC 3339); overrides the date in the text.
    #[arg(long)]
    pub published: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ClaimCmd {
    /// Mark a claim: an exact quote from an article, or a standalone statement.
    Add(ClaimAddArgs),
    /// Confirm a (detected) claim.
    Confirm(ClaimReviewArgs),
    /// Reject a (detected) claim: it does not cite evidence.
    Reject(ClaimReviewArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["quote", "text"])))]
pub struct ClaimAddArgs {
    /// The article the quote is in (A3).
    #[arg(long, requires = "quote")]
    pub article: Option<ArticleId>,
    /// Exact words from the article (whitespace, quote style and case are forgiven).
    #[arg(long, requires = "article")]
    pub quote: Option<String>,
    /// A standalone claim, not from an imported article.
    #[arg(long, conflicts_with_all = ["article", "quote"])]
    pub text: Option<String>,
}

#[derive(Debug, Args)]
pub struct ClaimReviewArgs {
    pub id: ClaimId,
    #[command(flatten)]
    pub reason: ReasonArg,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The claim (C7).
    pub claim: ClaimId,
    /// The evidence (E12).
    pub evidence: EvidenceId,
    /// depicts, supports, contradicts or mentions.
    #[arg(long)]
    pub relation: Relation,
    /// Time range of a video or recording, e.g. 00:12-00:18.
    #[arg(long, value_name = "START-END")]
    pub at: Option<TimeRange>,
    /// Fill --at with the stretch of the evidence's video that this file
    /// (F15, e.g. a re-upload) matches, as `evcat similar F15` shows it.
    #[arg(long, value_name = "FILE", conflicts_with = "at")]
    pub from_match: Option<String>,
    /// Region of a photo or frame in pixels: x,y,w,h.
    #[arg(long, value_name = "X,Y,W,H")]
    pub region: Option<Region>,
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct UnlinkArgs {
    pub id: LinkId,
    #[command(flatten)]
    pub reason: ReasonArg,
}

#[derive(Debug, Args)]
pub struct ClaimsArgs {
    /// Only claims with no depicts/supports/mentions link to acquired evidence.
    #[arg(long)]
    pub unsupported: bool,
    #[arg(long, conflicts_with = "unsupported")]
    pub article: Option<ArticleId>,
    #[arg(long, conflicts_with = "unsupported")]
    pub status: Option<ClaimStatus>,
    #[arg(long)]
    pub limit: Option<u64>,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    pub claim: ClaimId,
}

#[derive(Debug, Args)]
pub struct CitedByArgs {
    /// Evidence (E12), file (F40) or SHA-256 prefix.
    pub id: String,
}

pub fn article(ctx: &Ctx, cmd: ArticleCmd) -> Result<u8> {
    let ArticleCmd::Add(a) = cmd;
    let mut cat = ctx.open()?;
    let meta = ArticleMeta {
        title: a.title,
        url: a.url,
        publisher: a.publisher,
        author: a.author,
        published: a.published.map(|p| normalize_timestamp("published", &p)).transpose()?,
    };
    let r = cat.import_article(&a.file, &meta)?;
    ctx.out.emit(&r, || {
        if r.already_imported {
            return format!(
                "already imported as {} ({}); nothing changed\n",
                r.article,
                r.title.as_deref().unwrap_or("untitled")
            );
        }
        let mut s = format!(
            "imported {} \"{}\" ({}, {} sentences)\n",
            r.article,
            r.title.as_deref().unwrap_or("untitled"),
            r.format.as_str(),
            r.sentences
        );
        s.push_str(&format!(
            "detected {} evidence reference(s); review with `evcat claim confirm|reject`:\n",
            r.detected.len()
        ));
        for d in &r.detected {
            s.push_str(&format!(
                "  {} -> {} {}{}{}  \"{}\"\n",
                d.claim,
                d.evidence,
                d.kind,
                d.platform.as_deref().map(|p| format!(" on {p}")).unwrap_or_default(),
                if d.live { " (live)" } else { "" },
                clip(&d.text, 90)
            ));
        }
        if !r.embedded.is_empty() {
            s.push_str(&format!(
                "{} embedded post(s)/media, referenced evidence to acquire (`evcat list evidence --status referenced`):\n",
                r.embedded.len()
            ));
        }
        for e in &r.embedded {
            s.push_str(&format!(
                "  {} -> {} {}{} <{}>{}  ({})\n",
                e.claim,
                e.evidence,
                e.kind,
                e.platform.as_deref().map(|p| format!(" on {p}")).unwrap_or_default(),
                e.url,
                if e.existing { " (already in the catalog)" } else { "" },
                e.how
            ));
        }
        for (field, src) in &r.meta_sources {
            if let Some(page) = src.get("page") {
                s.push_str(&format!(
                    "{field}: {} overrides the page's {} ({})\n",
                    src.get("source").and_then(|v| v.as_str()).unwrap_or("flag"),
                    page.get("source").and_then(|v| v.as_str()).unwrap_or("?"),
                    page.get("value").and_then(|v| v.as_str()).unwrap_or("")
                ));
            }
        }
        s
    })?;
    Ok(0)
}

fn clip(s: &str, n: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        format!("{}…", one_line.chars().take(n).collect::<String>())
    }
}

fn claim_line(c: &Claim) -> String {
    format!(
        "{:<6} {:<10} {:<5} \"{}\"\n",
        c.id.to_string(),
        c.status.as_str(),
        c.article_id.map(|a| a.to_string()).unwrap_or_else(|| "-".into()),
        clip(&c.text, 100)
    )
}

pub fn claim(ctx: &Ctx, cmd: ClaimCmd) -> Result<u8> {
    let mut cat = ctx.open()?;
    match cmd {
        ClaimCmd::Add(a) => {
            let marked = match (a.article, a.quote, a.text) {
                (Some(art), Some(q), None) => cat.add_claim_quote(art, &q)?,
                (None, None, Some(t)) => cat.add_claim_text(&t)?,
                _ => {
                    return Err(Error::invalid("claim add", "", "give --article A3 --quote \"...\" or --text \"...\""))
                }
            };
            ctx.out.emit(&marked, || {
                let c = &marked.claim;
                let pos = match (c.start_byte, c.end_byte) {
                    (Some(s), Some(e)) => format!(" at bytes {s}..{e}"),
                    _ => String::new(),
                };
                if marked.already_marked {
                    format!("already marked as {}{pos}\n", c.id)
                } else {
                    format!("marked {}{pos}: \"{}\"\n", c.id, clip(&c.text, 100))
                }
            })?;
        }
        ClaimCmd::Confirm(a) => {
            let c = cat.set_claim_status(a.id, ClaimStatus::Confirmed, a.reason.get())?;
            ctx.out.emit(&c, || format!("{} confirmed\n", c.id))?;
        }
        ClaimCmd::Reject(a) => {
            let c = cat.set_claim_status(a.id, ClaimStatus::Rejected, a.reason.get())?;
            ctx.out.emit(&c, || format!("{} rejected\n", c.id))?;
        }
    }
    Ok(0)
}

fn link_text(l: &Link) -> String {
    let mut s = format!("{} {} {} {}", l.id, l.claim_id, l.relation, l.evidence_id);
    if let Some(r) = l.range {
        s.push_str(&format!(" at {r}"));
    }
    if let Some(r) = l.region {
        s.push_str(&format!(" region {},{},{},{}", r.x, r.y, r.w, r.h));
    }
    s
}

pub fn link(ctx: &Ctx, a: LinkArgs) -> Result<u8> {
    let mut cat = ctx.open()?;
    let range_ms = match a.from_match.as_deref() {
        Some(f) => match f.parse::<Ref>()? {
            Ref::File(file) => Some(cat.matched_range(cat.file(file)?.id, a.evidence)?),
            Ref::Sha256Prefix(p) => Some(cat.matched_range(cat.file_by_prefix(&p)?.id, a.evidence)?),
            _ => return Err(Error::invalid("--from-match", f, "expected a file (F15) or a SHA-256 prefix")),
        },
        None => a.at,
    };
    let l = cat.link_claim(&NewLink {
        claim: a.claim,
        evidence: a.evidence,
        relation: a.relation,
        range_ms,
        region: a.region,
        note: a.note,
        origin: LinkOrigin::Manual,
    })?;
    ctx.out.emit(&l, || format!("linked {}\n", link_text(&l)))?;
    Ok(0)
}

pub fn unlink(ctx: &Ctx, a: UnlinkArgs) -> Result<u8> {
    let mut cat = ctx.open()?;
    let l = cat.unlink(a.id, a.reason.get())?;
    ctx.out.emit(&l, || format!("unlinked {}\n", link_text(&l)))?;
    Ok(0)
}

pub fn claims(ctx: &Ctx, a: ClaimsArgs) -> Result<u8> {
    let cat = ctx.open()?;
    let rows = if a.unsupported {
        cat.unsupported_claims(a.limit)?
    } else {
        cat.list_claims(&ClaimFilter { article: a.article, status: a.status, limit: a.limit, offset: None })?
    };
    ctx.out.emit(&rows, || {
        if rows.is_empty() && a.unsupported {
            return "every claim is linked to acquired evidence\n".into();
        }
        rows.iter().map(claim_line).collect()
    })?;
    Ok(0)
}

fn summary_text(c: &CustodySummary) -> String {
    match (&c.first, &c.last) {
        (Some(f), Some(l)) => format!(
            "custody: {} event(s); {} {} by {}; last {} #{} {} by {}",
            c.events, f.event.action, f.event.at, f.event.actor, l.event.action, l.event.seq, l.event.at, l.event.actor
        ),
        _ => "custody: no events".into(),
    }
}

pub fn trace(ctx: &Ctx, a: TraceArgs) -> Result<u8> {
    let cat = ctx.open()?;
    let t = cat.trace(a.claim)?;
    ctx.out.emit(&t, || {
        let c = &t.claim;
        let mut s = format!("{} [{}] \"{}\"\n", c.id, c.status, clip(&c.text, 110));
        if let Some((aid, title)) = &t.article {
            s.push_str(&format!("│  in {aid} \"{}\"", title.as_deref().unwrap_or("untitled")));
            if let (Some(b), Some(e)) = (c.start_byte, c.end_byte) {
                s.push_str(&format!(" bytes {b}..{e}"));
            }
            s.push('\n');
        }
        s.push_str(&format!("│  {}\n", summary_text(&t.claim_custody)));
        if t.links.is_empty() {
            s.push_str("└─ no evidence linked\n");
        }
        for (i, tl) in t.links.iter().enumerate() {
            let last = i + 1 == t.links.len();
            let (branch, pad) = if last { ("└─", "   ") } else { ("├─", "│  ") };
            let e = &tl.evidence;
            let mut head = format!("{branch} {} {} → {} {} [{}]", tl.link.id, tl.link.relation, e.id, e.kind, e.status);
            if let Some(r) = tl.link.range {
                head.push_str(&format!(" at {r}"));
            }
            if let Some(r) = tl.link.region {
                head.push_str(&format!(" region {},{},{},{}", r.x, r.y, r.w, r.h));
            }
            s.push_str(&format!("{head} {}\n", e.title.as_deref().unwrap_or("")));
            if let Some(u) = &e.source_url {
                s.push_str(&format!(
                    "{pad}   {}{u}\n",
                    e.platform.as_deref().map(|p| format!("{p}: ")).unwrap_or_default()
                ));
            }
            s.push_str(&format!("{pad}   {}\n", summary_text(&tl.evidence_custody)));
            if tl.files.is_empty() {
                s.push_str(&format!(
                    "{pad}   no file held yet (acquire it, then `evcat add FILE --evidence {}`)\n",
                    e.id
                ));
            }
            for (j, tf) in tl.files.iter().enumerate() {
                let flast = j + 1 == tl.files.len();
                let (fb, fp) = if flast { ("└─", "   ") } else { ("├─", "│  ") };
                let f = &tf.file;
                s.push_str(&format!(
                    "{pad}{fb} {} sha256:{} {} {}  fixity {}\n",
                    f.id,
                    f.sha256,
                    f.media_type,
                    human_bytes(f.size),
                    tf.fixity
                ));
                if let Some(r) = &f.acquisition {
                    let tool = f.tool.as_deref().map(|t| format!(" by {t}")).unwrap_or_default();
                    let from = r.record.as_ref().map(|x| format!(" ({})", x.name)).unwrap_or_default();
                    s.push_str(&format!(
                        "{pad}{fp}   acquired {}{tool}, recorded in {}{from}\n",
                        f.acquired_at, r.format
                    ));
                }
                s.push_str(&format!("{pad}{fp}   {}\n", summary_text(&tf.custody)));
            }
        }
        match &t.last_audit {
            Some(a) => s.push_str(&format!(
                "last audit: #{} {} by {}: clean ({})\n",
                a.event.seq,
                a.event.at,
                a.event.actor,
                a.event.details.get("scope").and_then(|v| v.as_str()).unwrap_or("full")
            )),
            None => s.push_str("last audit: never (run `evcat audit`)\n"),
        }
        s
    })?;
    Ok(0)
}

pub fn cited_by(ctx: &Ctx, a: CitedByArgs) -> Result<u8> {
    let cat = ctx.open()?;
    let evidence = match a.id.parse::<Ref>()? {
        Ref::Evidence(e) => e,
        Ref::File(f) => cat.file(f)?.evidence_id,
        Ref::Sha256Prefix(p) => cat.file_by_prefix(&p)?.evidence_id,
        _ => {
            return Err(Error::invalid(
                "reference",
                a.id.as_str(),
                "give evidence (E12), a file (F40) or a SHA-256 prefix",
            ))
        }
    };
    let cites = cat.cited_by(evidence)?;
    ctx.out.emit(&cites, || {
        if cites.is_empty() {
            return format!("no claim cites {evidence}\n");
        }
        let mut s = String::new();
        for c in &cites {
            s.push_str(&format!(
                "{} {} ({}) {} {}: \"{}\"\n",
                c.article.map(|a| a.to_string()).unwrap_or_else(|| "-".into()),
                c.claim,
                c.claim_status,
                c.relation,
                c.article_title.as_deref().unwrap_or("standalone claim"),
                clip(&c.claim_text, 90)
            ));
        }
        s
    })?;
    Ok(0)
}

/// The article text with its claims marked as `⟦C7 …⟧`.
fn marked_body(a: &Article, claims: &[Claim]) -> String {
    let mut spans: Vec<(usize, usize, String)> = claims
        .iter()
        .filter_map(|c| Some((c.start_byte?, c.end_byte?, c.id.to_string())))
        .filter(|(s, e, _)| a.body.is_char_boundary(*s) && a.body.is_char_boundary(*e) && e <= &a.body.len())
        .collect();
    spans.sort();
    let mut out = String::new();
    let mut pos = 0;
    for (s, e, id) in spans {
        if s < pos {
            continue; // overlapping claims: show the first
        }
        out.push_str(&a.body[pos..s]);
        out.push_str(&format!("⟦{id} "));
        out.push_str(&a.body[s..e]);
        out.push('⟧');
        pos = e;
    }
    out.push_str(&a.body[pos..]);
    out
}

pub fn show(ctx: &Ctx, cat: &Catalog, r: Ref) -> Result<()> {
    match r {
        Ref::Article(id) => {
            let a = cat.article(id)?;
            let claims = cat.list_claims(&ClaimFilter { article: Some(id), ..Default::default() })?;
            let custody = cat.custody_of(evcat::catalog::Subject::Article(id))?;
            let doc = json!({ "article": a, "claims": claims, "custody": custody });
            ctx.out.emit(&doc, || {
                let mut s = format!("Article {id}: {}\n", a.title.as_deref().unwrap_or("untitled"));
                s.push_str(&super::output::fields(&[
                    ("publisher", a.publisher.clone()),
                    ("author", a.author.clone()),
                    ("published", a.published_at.clone()),
                    ("url", a.url.clone()),
                    ("format", Some(a.format.clone())),
                    ("body sha256", Some(a.body_sha256.clone())),
                    (
                        "source",
                        a.source_name
                            .clone()
                            .map(|n| format!("{n} (object {})", a.source_sha256.as_deref().unwrap_or("?"))),
                    ),
                ]));
                s.push_str(&format!("Claims ({})\n", claims.len()));
                for c in &claims {
                    s.push_str(&format!("  {}", claim_line(c)));
                }
                s.push('\n');
                s.push_str(&marked_body(&a, &claims));
                if !s.ends_with('\n') {
                    s.push('\n');
                }
                s
            })
        }
        Ref::Claim(id) => {
            let c = cat.claim(id)?;
            let links = cat.links_of_claim(id)?;
            let custody = cat.custody_of(evcat::catalog::Subject::Claim(id))?;
            let doc = json!({ "claim": c, "links": links, "custody": custody });
            ctx.out.emit(&doc, || {
                let mut s = format!("Claim {id} [{}, {}]\n  \"{}\"\n", c.status, c.origin, c.text);
                if let Some(a) = c.article_id {
                    s.push_str(&format!(
                        "  in {a} at bytes {}..{}\n",
                        c.start_byte.unwrap_or(0),
                        c.end_byte.unwrap_or(0)
                    ));
                }
                s.push_str(&format!("Links ({})\n", links.len()));
                for l in &links {
                    s.push_str(&format!("  {}\n", link_text(l)));
                }
                s.push_str("Custody\n");
                s.push_str(&super::records::timeline_text(&custody));
                s
            })
        }
        Ref::Link(id) => {
            let l = cat.link(id)?;
            let custody = cat.custody_of(evcat::catalog::Subject::Link(id))?;
            let doc = json!({ "link": l, "custody": custody });
            ctx.out.emit(&doc, || {
                let mut s = format!("Link {}\n", link_text(&l));
                if let Some(n) = &l.note {
                    s.push_str(&format!("  note: {n}\n"));
                }
                s.push_str(&format!("  by {} at {}\nCustody\n", l.created_by, l.created_at));
                s.push_str(&super::records::timeline_text(&custody));
                s
            })
        }
        _ => Err(Error::invalid("reference", "", "unsupported reference kind")),
    }
}
