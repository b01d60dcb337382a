//! The evidence side of the desk: the gallery (`/files`), a file's page
//! (`/files/N`: facts with sources, provenance, content credentials,
//! fingerprints, similar files side by side, lineage, custody) and `POST
//! /links`, which links a claim to the file's evidence item with the time
//! range or region the page's script fills in. The form fields are the CLI's
//! own strings (`--at 00:01.5-00:03`, `--region 120,40,300,200`, `C7`),
//! parsed by the same `FromStr` impls and saved by the same
//! `Catalog::link_claim`, so the validation and its messages are the CLI's.

use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::pages::{layout, pager, PAGE};
use super::{auth, WebError, WebResult};
use crate::catalog::claims::{Claim, ClaimFilter};
use crate::catalog::evidence::Evidence;
use crate::catalog::files::{FileFilter, FileRecord, Storage};
use crate::catalog::fingerprints::DerivedObject;
use crate::catalog::links::{LinkOrigin, NewLink, Region, Relation, TimeRange};
use crate::catalog::{log, Catalog, Subject};
use crate::custody::SealedEvent;
use crate::error::{Error, Result};
use crate::ids::{ClaimId, EvidenceId, FileId};
use crate::timefmt::format_clock_ms;

/// Claims offered in the link form's suggestion list; any other is typed (`C7`).
const CLAIM_SUGGESTIONS: u64 = 200;

/// What the gallery shows for a file: a thumbnail for a picture, the poster
/// frame for a video (whichever analysis made; none for other media).
fn preview_of(cat: &Catalog, file: FileId) -> Result<Option<DerivedObject>> {
    let d = cat.derived_objects_of(file)?;
    let pick = |k: &str| d.iter().find(|o| o.kind == k).cloned();
    Ok(pick("thumbnail").or_else(|| pick("poster")))
}

fn preview(d: Option<&DerivedObject>, alt: &str) -> Markup {
    html! {
        @match d {
            Some(d) => img.thumb src={ "/objects/" (d.sha256) } alt=(alt) loading="lazy";
            None => span.nothumb { (alt) },
        }
    }
}

fn title_of(e: &Evidence) -> &str {
    e.title.as_deref().unwrap_or("(untitled)")
}

#[derive(Deserialize)]
pub(crate) struct GalleryQuery {
    page: Option<u64>,
    /// Carried from an article's "Link evidence" to the file pages.
    claim: Option<String>,
}

fn claim_param(claim: &Option<String>) -> String {
    claim.as_deref().and_then(|c| c.parse::<ClaimId>().ok()).map(|c| format!("?claim={c}")).unwrap_or_default()
}

pub(crate) async fn gallery(
    State(state): State<super::State>,
    Query(q): Query<GalleryQuery>,
) -> WebResult<Html<String>> {
    let page = q.page.unwrap_or(0);
    let carry = claim_param(&q.claim);
    let rows = {
        let cat = state.catalog();
        let files = cat.list_files(&FileFilter {
            limit: Some(PAGE),
            offset: Some(page.saturating_mul(PAGE)),
            ..Default::default()
        })?;
        files
            .into_iter()
            .map(|f| Ok((preview_of(&cat, f.id)?, cat.evidence(f.evidence_id)?, f)))
            .collect::<Result<Vec<_>>>()?
    };
    Ok(layout(
        "Evidence files",
        html! {
            @if !carry.is_empty() { p.hint { "Pick the file that shows " (carry.trim_start_matches("?claim=")) "." } }
            @if rows.is_empty() && page == 0 { p { "No files yet: register some with " code { "evcat add" } "." } }
            ul.gallery { @for (thumb, ev, f) in &rows {
                li { a href={ "/files/" (f.id.0) (carry) } {
                    (preview(thumb.as_ref(), f.original_name.as_deref().unwrap_or(&f.media_type)))
                    span.caption { strong { (f.id) } " " (ev.id) " " span.title { (title_of(ev)) } br; span.meta { (f.media_type) } }
                } }
            } }
            (pager("/files", page, rows.len()))
        },
    ))
}

/// Rows of (label, value, source) with the source shown only when known.
fn fact_table(rows: &[(&str, Option<String>, Option<String>)]) -> Markup {
    html! {
        table.facts { @for (k, v, src) in rows { @if let Some(v) = v {
            tr { th { (k) } td { (v) } td.source { @if let Some(s) = src { (s) } } }
        } } }
    }
}

fn timeline(events: &[SealedEvent]) -> Markup {
    html! {
        ol.custody { @for e in events { li {
            span.seq { "#" (e.event.seq) } " " time { (e.event.at) } " " strong { (e.event.action) } " by " (e.event.actor)
            @if let Some(r) = &e.event.reason { " (" (r) ")" }
            " " span.hash title="event hash" { (hex::encode(&e.hash[..6])) "…" }
        } } }
    }
}

/// Everything the file page shows, read under one lock.
struct FilePage {
    f: FileRecord,
    ev: Evidence,
    media: crate::catalog::fingerprints::FileMedia,
    lineage: crate::catalog::lineage::Lineage,
    similar: Vec<(FileRecord, Option<DerivedObject>)>,
    own_preview: Option<DerivedObject>,
    links: Vec<crate::catalog::links::Link>,
    claims: Vec<Claim>,
    file_custody: Vec<SealedEvent>,
    evidence_custody: Vec<SealedEvent>,
    stored: bool,
}

fn read_file_page(cat: &Catalog, id: FileId) -> Result<FilePage> {
    let f = cat.file(id)?;
    let ev = cat.evidence(f.evidence_id)?;
    let media = cat.media_of(f.id)?;
    let lineage = cat.lineage(&[f.id])?;
    let mut similar = Vec::new();
    for r in &media.similar {
        let other = if r.file == f.id { r.other } else { r.file };
        similar.push((cat.file(other)?, preview_of(cat, other)?));
    }
    let links = cat.cited_by(ev.id)?.into_iter().map(|c| cat.link(c.link)).collect::<Result<Vec<_>>>()?;
    let claims =
        cat.list_claims(&ClaimFilter { article: None, status: None, limit: Some(CLAIM_SUGGESTIONS), offset: None })?;
    Ok(FilePage {
        own_preview: preview_of(cat, f.id)?,
        stored: f.storage == Storage::Object && cat.store().contains(&f.sha256),
        file_custody: log::for_subject(cat, Subject::File(f.id))?,
        evidence_custody: log::for_subject(cat, Subject::Evidence(ev.id))?,
        f,
        ev,
        media,
        lineage,
        similar,
        links,
        claims,
    })
}

#[derive(Deserialize)]
pub(crate) struct FileQuery {
    claim: Option<String>,
}

pub(crate) async fn file_page(
    State(state): State<super::State>,
    Path(id): Path<i64>,
    Query(q): Query<FileQuery>,
) -> WebResult<Html<String>> {
    let p = read_file_page(&state.catalog(), FileId(id))?;
    let csrf = &state.auth.csrf;
    let f = &p.f;
    let ev = &p.ev;
    let src = |k: &str| f.sources.get(k).map(|s| s.to_string());
    let esrc = |k: &str| ev.sources.get(k).map(|s| s.to_string());
    let is_video = f.media_type.starts_with("video/") || f.media_type.starts_with("audio/");
    let is_image = f.media_type.starts_with("image/");
    let object = format!("/objects/{}", f.sha256);
    let title = format!("{} · {} {}", f.id, ev.id, title_of(ev));
    let disagreements = crate::media::disagreements(&f.facts);
    Ok(layout(
        &title,
        html! {
            p.meta { (f.media_type) " · " (f.size) " bytes · sha256 " code { (f.sha256) } }
            section.viewer {
                @if !p.stored {
                    p.hint { "The bytes are not in the store (registered in place at "
                        (f.original_path.as_deref().unwrap_or("?")) "): nothing to play." }
                } @else if is_video {
                    video #player controls preload="metadata" src=(object)
                        data-duration-ms=[f.duration_ms] poster=[p.own_preview.as_ref().filter(|d| d.kind == "poster").map(|d| format!("/objects/{}", d.sha256))] {}
                } @else if is_image {
                    div #photo-wrap {
                        img #photo src=(object) alt=(f.original_name.as_deref().unwrap_or("photo")) draggable="false"
                            data-width=[f.width] data-height=[f.height];
                        div #region-box hidden {}
                    }
                } @else {
                    p { a href=(object) { "Download " (f.original_name.as_deref().unwrap_or("the file")) } }
                }
            }
            section #link-evidence {
                h2 { "Link a claim to " (ev.id) }
                form #link method="post" action="/links" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="evidence" value=(ev.id);
                    input type="hidden" name="file" value=(f.id.0);
                    label { "Claim " input #claim type="text" name="claim" list="claims" placeholder="C7" required value=[q.claim.as_deref()]; }
                    datalist #claims { @for c in &p.claims { option value=(c.id) { (c.text) } } }
                    " "
                    label { "Relation " select name="relation" {
                        @for r in Relation::ALL { option value=(r.as_str()) selected[*r == Relation::Depicts] { (r.as_str()) } }
                    } }
                    @if is_video {
                        div.range {
                            button #set-in type="button" hidden { "Set in" } " "
                            button #set-out type="button" hidden { "Set out" } " "
                            label { "Time range " input #at type="text" name="at" placeholder="00:12-00:18"; }
                            span.hint { " (play, then Set in / Set out; or type START-END)" }
                        }
                    }
                    @if is_image || f.media_type.starts_with("video/") {
                        div.region {
                            label { "Region " input #region type="text" name="region" placeholder="x,y,w,h"; }
                            @if is_image { span.hint { " (drag on the photo; photo pixels)" } }
                        }
                    }
                    label { "Note " input type="text" name="note"; }
                    " " button #save-link { "Save link" }
                }
                @if !p.links.is_empty() {
                    h3 { "Links to " (ev.id) }
                    ul.links { @for l in &p.links { li {
                        strong { (l.id) } " " (l.claim_id) " " (l.relation) " " (l.evidence_id)
                        @if let Some(r) = l.range { " at " span.at { (r) } }
                        @if let Some(r) = l.region { " region " span.region { (r.x) "," (r.y) "," (r.w) "," (r.h) } }
                        @if let Some(n) = &l.note { " — " (n) }
                        " by " (l.created_by)
                    } } }
                }
            }
            h2 { "Facts" }
            (fact_table(&[
                ("name", f.original_name.clone(), None),
                ("dimensions", f.width.zip(f.height).map(|(w, h)| format!("{w}x{h}")), src("width")),
                ("duration", f.duration_ms.map(format_clock_ms), src("duration_ms")),
                ("video codec", f.video_codec.clone(), src("video_codec")),
                ("audio codec", f.audio_codec.clone(), src("audio_codec")),
                ("captured at", f.captured_at.clone(), src("captured_at")),
                ("device", match (&f.make, &f.model) { (None, None) => None, (m, d) => Some(format!("{} {}", m.as_deref().unwrap_or(""), d.as_deref().unwrap_or("")).trim().to_string()) }, src("model")),
                ("gps", f.gps_lat.zip(f.gps_lon).map(|(a, b)| format!("{a:.6}, {b:.6}")), src("gps_lat")),
                ("software", f.software.clone(), src("software")),
            ]))
            @if !f.facts.is_empty() {
                details {
                    summary { "Every fact the file gives (" (f.facts.len()) "), with its source" }
                    table.facts { @for x in &f.facts { tr { th { (x.field) } td { (x.value) } td.source { (x.source) } } } }
                }
            }
            @for d in &disagreements {
                p.warn { "Sources disagree on " (d.field) ": "
                    @for (i, (v, srcs)) in d.values.iter().enumerate() { @if i > 0 { "; " } (v) " (" (srcs.join(", ")) ")" } }
            }
            h2 { "Provenance" }
            (fact_table(&[
                ("evidence", Some(format!("{} ({}, {})", ev.id, ev.kind, ev.status)), None),
                ("title", ev.title.clone(), esrc("title")),
                ("platform", ev.platform.clone(), esrc("platform")),
                ("url", ev.source_url.clone(), esrc("source_url")),
                ("author", ev.author_handle.clone(), esrc("author_handle")),
                ("posted at", ev.posted_at.clone(), esrc("posted_at")),
                ("acquired at", Some(f.acquired_at.clone()), src("acquired_at")),
                ("acquired by", f.acquired_by.clone(), src("acquired_by")),
                ("method", f.method.clone(), src("method")),
                ("tool", f.tool.clone(), src("tool")),
                ("note", f.note.clone(), None),
            ]))
            @if let Some(r) = &f.acquisition {
                p { "Acquisition record: " (r.format) @if let Some(x) = &r.record { " (" (x.name) ")" } }
                table.facts { @for (k, v) in &r.fields { tr { th { (k) } td { (v) } } } }
            }
            h2 { "Content credentials" }
            @match &f.c2pa {
                None => p { "None: the file carries no C2PA manifest." },
                Some(c) => (fact_table(&[
                    ("status", Some(c.status.clone()), None),
                    ("codes", (!c.codes.is_empty()).then(|| c.codes.join(", ")), None),
                    ("signer", c.signer.clone(), None),
                    ("signed at", c.signed_at.clone(), None),
                    ("made by", c.claim_generator.clone(), None),
                    ("actions", (!c.actions.is_empty()).then(|| c.actions.join(", ")), None),
                    ("ingredients", (!c.ingredients.is_empty()).then(|| c.ingredients.join(", ")), None),
                    ("generative AI", (!c.ai_generated.is_empty()).then(|| c.ai_generated.join(", ")), None),
                ])),
            }
            h2 { "Fingerprints" }
            @if let Some(a) = &p.media.analysis { p.meta { "Media analysis: " (a.status) @if let Some(n) = &a.note { " (" (n) ")" } ", " (a.analyzed_at) } }
            @if p.media.fingerprints.is_empty() { p { "None recorded." } }
            @else {
                table.fingerprints { @for fp in &p.media.fingerprints { tr {
                    td { (fp.method) " " (fp.version) } td { "frame " (fp.frame_index) @if let Some(ms) = fp.frame_ms { " at " (format_clock_ms(ms)) } }
                    td { (fp.part) @if fp.transform != "identity" { ", " (fp.transform) } } td { "quality " (fp.quality) } td { code { (fp.hash) } }
                } } }
            }
            h2 { "Similar files" }
            @if p.similar.is_empty() { p { "No near-duplicates recorded." } }
            @for ((other, thumb), r) in p.similar.iter().zip(&p.media.similar) {
                div.side-by-side {
                    figure { (preview(p.own_preview.as_ref(), &f.id.to_string())) figcaption { (f.id) " (this file)" } }
                    figure { a href={ "/files/" (other.id.0) } { (preview(thumb.as_ref(), &other.id.to_string())) }
                             figcaption { a href={ "/files/" (other.id.0) } { (other.id) } " " (other.media_type) } }
                    p { (r.looks_like) ", PDQ distance " (r.distance)
                        @if r.frames_total > 1 { ", " (r.frames_matched) " of " (r.frames_total) " hashes match" }
                        " (found by media analysis, not confirmed)" }
                }
            }
            h2 { "Lineage" }
            @if p.lineage.nodes.len() <= 1 { p { "No confirmed derivation to or from this file." } }
            @else {
                ul.lineage { @for n in &p.lineage.nodes { li {
                    @if n.file == f.id { strong { (n.file) } } @else { a href={ "/files/" (n.file.0) } { (n.file) } }
                    " " (n.media_type)
                    @if let Some(d) = n.derived_from { " derived from " (d) @if let Some(h) = &n.how { " (" (h) ")" } }
                    @if n.earliest { " · earliest known" }
                } } }
            }
            @if !p.media.derived.is_empty() {
                p { "Derived objects: "
                    @for (i, d) in p.media.derived.iter().enumerate() { @if i > 0 { ", " }
                        a href={ "/objects/" (d.sha256) } { (d.kind) } " " code { (&d.sha256[..12.min(d.sha256.len())]) } } }
            }
            h2 { "Custody of " (f.id) }
            (timeline(&p.file_custody))
            h2 { "Custody of " (ev.id) }
            (timeline(&p.evidence_custody))
        },
    ))
}

#[derive(Deserialize)]
pub(crate) struct LinkForm {
    #[serde(default)]
    csrf: String,
    claim: String,
    evidence: String,
    relation: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    note: String,
    /// The file page to go back to.
    file: Option<i64>,
}

/// An empty field is an absent flag; anything else is parsed as the CLI parses it.
fn opt<T: std::str::FromStr<Err = Error>>(v: &str) -> Result<Option<T>> {
    let v = v.trim();
    if v.is_empty() {
        Ok(None)
    } else {
        v.parse().map(Some)
    }
}

fn new_link(f: &LinkForm) -> Result<NewLink> {
    Ok(NewLink {
        claim: f.claim.parse()?,
        evidence: f.evidence.parse::<EvidenceId>()?,
        relation: f.relation.parse()?,
        range_ms: opt::<TimeRange>(&f.at)?,
        region: opt::<Region>(&f.region)?,
        note: Some(f.note.trim().to_string()).filter(|n| !n.is_empty()),
        origin: LinkOrigin::Manual,
    })
}

pub(crate) async fn add_link(State(state): State<super::State>, Form(f): Form<LinkForm>) -> WebResult<Response> {
    if !auth::csrf_ok(&state, &f.csrf) {
        return Ok(auth::csrf_refused());
    }
    let back = f.file.map(|id| format!("/files/{id}")).unwrap_or_else(|| "/files".to_string());
    let saved = new_link(&f).and_then(|l| state.catalog().link_claim(&l));
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("{back}#link-evidence")).into_response()),
        // The library's message (the one `evcat link` prints), and a way back.
        Err(e) => {
            let e = WebError(e);
            Ok(super::pages::message_back(e.status(), "Link not saved", &e.0.to_string(), &back))
        }
    }
}
