//! Server-rendered pages (`maud`: every interpolation is HTML-escaped at
//! compile time) for articles, claims, the work list and search, and their
//! two form handlers; the file pages are in `files.rs`, the audit in
//! `audit_page.rs`. Readable without JavaScript; the script (`static/app.js`)
//! only fills in form fields: byte offsets from a text selection, a time
//! range from the player, a region from a drag on a photo.

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use super::{auth, WebResult};
use crate::catalog::articles::Article;
use crate::catalog::claims::{Claim, ClaimFilter, ClaimStatus};
use crate::catalog::links::Link;
use crate::ids::{ArticleId, ClaimId};

pub(crate) const PAGE: u64 = 50;

pub(crate) fn layout(title: &str, body: Markup) -> Html<String> {
    Html(html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " · evcat" }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                nav { a href="/" { "Articles" } " · " a href="/worklist" { "Work list" } " · "
                      a href="/files" { "Files" } " · " a href="/acquire" { "To acquire" } " · "
                      a href="/audit" { "Audit" } " · "
                      form.inline method="get" action="/search" { input type="search" name="q" placeholder="Search"; button { "Search" } } }
                main { h1 { (title) } (body) }
            }
        }
    }
    .into_string())
}

pub(crate) fn message(status: StatusCode, title: &str, text: &str) -> Response {
    (status, layout(title, html! { p.message { (text) } })).into_response()
}

/// A refusal with the way back to the page the form was on.
pub(crate) fn message_back(status: StatusCode, title: &str, text: &str, back: &str) -> Response {
    (status, layout(title, html! { p.message { (text) } p { a href=(back) { "← back" } } })).into_response()
}

#[derive(Deserialize)]
pub(crate) struct Paging {
    pub(crate) page: Option<u64>,
}

pub(crate) fn pager(base: &str, page: u64, shown: usize) -> Markup {
    html! {
        p.pager {
            @if page > 0 { a href={ (base) "?page=" (page - 1) } { "← previous" } " " }
            @if shown as u64 == PAGE { a href={ (base) "?page=" (page + 1) } { "next →" } }
        }
    }
}

pub(crate) async fn articles(State(state): State<super::State>, Query(p): Query<Paging>) -> WebResult<Html<String>> {
    let page = p.page.unwrap_or(0);
    let list = state.catalog().list_articles(Some(PAGE), Some(page.saturating_mul(PAGE)))?;
    Ok(layout(
        "Articles",
        html! {
            @if list.is_empty() { p { "No articles yet: import one with " code { "evcat article add" } "." } }
            ul.articles { @for a in &list {
                li { a href={ "/articles/" (a.id.0) } { (a.id) " " (a.title.as_deref().unwrap_or("(untitled)")) }
                     @if let Some(p) = &a.publisher { " — " (p) } }
            } }
            (pager("/", page, list.len()))
        },
    ))
}

/// The body as segments: plain text, and claims (non-overlapping, in order)
/// as `<mark>`, each carrying its byte offset so the script can map a
/// selection back to bytes of the stored body.
fn body_markup(a: &Article, claims: &[Claim]) -> Markup {
    let mut spans: Vec<&Claim> = claims.iter().filter(|c| c.start_byte.is_some() && c.end_byte.is_some()).collect();
    spans.sort_by_key(|c| (c.start_byte, c.end_byte));
    let mut at = 0usize;
    let mut parts: Vec<(usize, Option<&Claim>, &str)> = Vec::new();
    for c in spans {
        let (s, e) = (c.start_byte.unwrap_or(0), c.end_byte.unwrap_or(0));
        // Overlapping or stale spans are listed below the body, not drawn.
        let (Some(before), Some(text)) = (a.body.get(at..s), a.body.get(s..e)) else { continue };
        parts.push((at, None, before));
        parts.push((s, Some(c), text));
        at = e;
    }
    parts.push((at, None, a.body.get(at..).unwrap_or_default()));
    html! {
        div #body data-article=(a.id.0) {
            @for (start, claim, text) in parts {
                @match claim {
                    Some(c) => mark class={ "claim " (c.status) } id={ "c" (c.id.0) } data-start=(start) title={ (c.id) " " (c.status) } { (text) },
                    None => span data-start=(start) { (text) },
                }
            }
        }
    }
}

fn claim_row(c: &Claim, links: &[Link], csrf: &str) -> Markup {
    html! {
        li class={ "claim " (c.status) } {
            a href={ "#c" (c.id.0) } { (c.id) } " " span.status { (c.status) } " "
            @if let (Some(s), Some(e)) = (c.start_byte, c.end_byte) { span.bytes { "bytes " (s) ".." (e) } " " }
            q { (c.text) }
            " " a.link-evidence href={ "/files?claim=" (c.id) } { "Link evidence" }
            @if !links.is_empty() {
                ul.evidence { @for l in links { li {
                    (l.id) " " (l.relation) " " (l.evidence_id)
                    @if let Some(r) = l.range { " at " (r) }
                    @if let Some(r) = l.region { " region " (r.x) "," (r.y) "," (r.w) "," (r.h) }
                } } }
            }
            @if c.status != ClaimStatus::Confirmed {
                form.inline method="post" action={ "/claims/" (c.id.0) "/status" } {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="status" value="confirmed";
                    button.confirm { "Confirm" }
                }
            }
            @if c.status != ClaimStatus::Rejected {
                form.inline method="post" action={ "/claims/" (c.id.0) "/status" } {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="status" value="rejected";
                    button.reject { "Reject" }
                }
            }
        }
    }
}

pub(crate) async fn article(State(state): State<super::State>, Path(id): Path<i64>) -> WebResult<Html<String>> {
    let (a, claims) = {
        let cat = state.catalog();
        let a = cat.article(ArticleId(id))?;
        let claims = cat.list_claims(&ClaimFilter { article: Some(a.id), status: None, limit: None, offset: None })?;
        let claims =
            claims.into_iter().map(|c| Ok((cat.links_of_claim(c.id)?, c))).collect::<crate::Result<Vec<_>>>()?;
        (a, claims)
    };
    let csrf = &state.auth.csrf;
    let title = format!("{} {}", a.id, a.title.as_deref().unwrap_or("(untitled)"));
    Ok(layout(
        &title,
        html! {
            p.meta { @if let Some(p) = &a.publisher { (p) " · " } @if let Some(u) = &a.url { (u) " · " } (a.body.len()) " bytes" }
            (body_markup(&a, &claims.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>()))
            form #mark method="post" action={ "/articles/" (a.id.0) "/claims" } {
                input type="hidden" name="csrf" value=(csrf);
                "Mark claim: bytes "
                input #start type="number" name="start" min="0" required;
                " to "
                input #end type="number" name="end" min="0" required;
                " "
                button #mark-claim { "Mark claim" }
                span.hint { " (select text in the body to fill these in)" }
            }
            h2 { "Claims" }
            ul.claims { @for (links, c) in &claims { (claim_row(c, links, csrf)) } }
        },
    ))
}

#[derive(Deserialize)]
pub(crate) struct MarkForm {
    #[serde(default)]
    csrf: String,
    start: usize,
    end: usize,
}

pub(crate) async fn mark_claim(
    State(state): State<super::State>,
    Path(id): Path<i64>,
    Form(f): Form<MarkForm>,
) -> WebResult<Response> {
    if !auth::csrf_ok(&state, &f.csrf) {
        return Ok(auth::csrf_refused());
    }
    let marked = state.catalog().add_claim_span(ArticleId(id), f.start, f.end)?;
    Ok(Redirect::to(&format!("/articles/{id}#c{}", marked.claim.id.0)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct StatusForm {
    #[serde(default)]
    csrf: String,
    status: String,
}

pub(crate) async fn claim_status(
    State(state): State<super::State>,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> WebResult<Response> {
    if !auth::csrf_ok(&state, &f.csrf) {
        return Ok(auth::csrf_refused());
    }
    let status: ClaimStatus = f.status.parse()?;
    let claim = state.catalog().set_claim_status(ClaimId(id), status, None)?;
    let back = match claim.article_id {
        Some(a) => format!("/articles/{}#c{}", a.0, claim.id.0),
        None => "/worklist".to_string(),
    };
    Ok(Redirect::to(&back).into_response())
}

pub(crate) async fn worklist(State(state): State<super::State>) -> WebResult<Html<String>> {
    let claims = state.catalog().unsupported_claims(Some(PAGE * 4))?;
    Ok(layout(
        "Claims without acquired evidence",
        html! {
            @if claims.is_empty() { p { "Every claim has acquired evidence linked." } }
            ul.claims { @for c in &claims {
                li { @if let Some(a) = c.article_id { a href={ "/articles/" (a.0) "#c" (c.id.0) } { (c.id) } } @else { (c.id) }
                     " " span.status { (c.status) } " " q { (c.text) } }
            } }
        },
    ))
}

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub(crate) async fn search(State(state): State<super::State>, Query(s): Query<SearchQuery>) -> WebResult<Html<String>> {
    let hits = if s.q.trim().is_empty() { Vec::new() } else { state.catalog().search(&s.q, PAGE)? };
    Ok(layout(
        "Search",
        html! {
            p { (hits.len()) " results for " q { (s.q) } }
            ol.hits { @for h in &hits {
                li { span.kind { (h.kind) } " " strong { (h.id) } " " (h.snippet) }
            } }
        },
    ))
}

pub(crate) async fn app_js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("static/app.js"))
}

pub(crate) async fn app_css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("static/app.css"))
}
