//! `/acquire`: the acquisition to-do, evidence that is only referenced (a
//! URL, no bytes yet), and `POST /acquire/N`, which takes an uploaded file
//! for it. The upload is streamed to a private temporary folder (never held
//! in memory), then registered with `Catalog::add_paths` and
//! `AddOptions::evidence`, exactly as `evcat add FILE --evidence E12`: the
//! same hashing, media type detection, analysis, and `acquired` event. Its
//! size is capped by `ServeOptions::max_upload` (the only route allowed more
//! than `MAX_BODY_BYTES`); over it the request is refused with 413 and the
//! partial file removed.

use std::io::Write;
use std::path::{Path as FsPath, PathBuf};

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;

use super::pages::{layout, message_back, pager, Paging, PAGE};
use super::{auth, WebError, WebResult};
use crate::analysis::AnalysisOptions;
use crate::catalog::evidence::{EvidenceFilter, EvidenceStatus};
use crate::catalog::files::Acquisition;
use crate::error::{Error, Result};
use crate::ids::EvidenceId;
use crate::ingest::{AddItem, AddOptions, NoProgress};

pub(crate) async fn todo(State(state): State<super::State>, Query(p): Query<Paging>) -> WebResult<Html<String>> {
    let page = p.page.unwrap_or(0);
    let list = state.catalog().list_evidence(&EvidenceFilter {
        status: Some(EvidenceStatus::Referenced),
        limit: Some(PAGE),
        offset: Some(page.saturating_mul(PAGE)),
        ..Default::default()
    })?;
    let csrf = &state.auth.csrf;
    Ok(layout(
        "Acquisition to-do",
        html! {
            @if list.is_empty() && page == 0 { p { "Nothing to acquire: every evidence item has its bytes." } }
            ul.todo { @for e in &list { li id={ "e" (e.id.0) } {
                strong { (e.id) } " " (e.title.as_deref().unwrap_or("(untitled)"))
                @if let Some(p) = &e.platform { " · " (p) }
                @if let Some(u) = &e.source_url { br; code.url { (u) } }
                form.upload method="post" action={ "/acquire/" (e.id.0) } enctype="multipart/form-data" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="file" name="file" required;
                    " " button { "Mark acquired with this file" }
                }
            } } }
            (pager("/acquire", page, list.len()))
        },
    ))
}

/// A private folder for one upload, removed on drop whatever happened.
struct UploadDir(PathBuf);

impl UploadDir {
    fn new() -> Result<UploadDir> {
        let mut b = [0u8; 16];
        getrandom::getrandom(&mut b)
            .map_err(|e| Error::Conflict(format!("no randomness for an upload folder name: {e}")))?;
        let dir = std::env::temp_dir().join(format!("evcat-upload-{}", hex::encode(b)));
        std::fs::create_dir(&dir).map_err(|e| Error::io("creating upload folder", dir.clone(), e))?;
        Ok(UploadDir(dir))
    }
}

impl Drop for UploadDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The browser's file name reduced to a safe last component (it becomes the
/// file's `original_name`, as a file's own name does with `evcat add`).
fn safe_name(name: Option<&str>) -> String {
    let base = name.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("").trim();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "upload".to_string()
    } else {
        cleaned
    }
}

enum Upload {
    Saved(PathBuf),
    TooBig,
    Refused(Response),
}

async fn receive(state: &super::AppState, mut form: Multipart, dir: &FsPath, back: &str) -> Result<Upload> {
    let mut csrf_seen = false;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Ok(Upload::TooBig),
            Err(e) => return Err(Error::invalid("upload", "", e.body_text())),
        };
        match field.name() {
            // The form puts the token first, so nothing is written before it is checked.
            Some("csrf") => {
                let t = field.text().await.map_err(|e| Error::invalid("upload", "", e.body_text()))?;
                if !auth::csrf_ok(state, &t) {
                    return Ok(Upload::Refused(auth::csrf_refused()));
                }
                csrf_seen = true;
            }
            Some("file") if csrf_seen => {
                let path = dir.join(safe_name(field.file_name()));
                let mut out = std::fs::File::create(&path).map_err(|e| Error::io("writing upload", path.clone(), e))?;
                let mut field = field;
                loop {
                    match field.chunk().await {
                        Ok(Some(bytes)) => {
                            out.write_all(&bytes).map_err(|e| Error::io("writing upload", path.clone(), e))?
                        }
                        Ok(None) => break,
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Ok(Upload::TooBig),
                        Err(e) => return Err(Error::invalid("upload", "", e.body_text())),
                    }
                }
                out.sync_all().map_err(|e| Error::io("writing upload", path.clone(), e))?;
                return Ok(Upload::Saved(path));
            }
            Some("file") => return Ok(Upload::Refused(auth::csrf_refused())),
            _ => {}
        }
    }
    Ok(Upload::Refused(message_back(StatusCode::BAD_REQUEST, "Nothing uploaded", "Choose a file to upload.", back)))
}

pub(crate) async fn upload(
    State(state): State<super::State>,
    Path(id): Path<i64>,
    form: Multipart,
) -> WebResult<Response> {
    let evidence = EvidenceId(id);
    let back = format!("/acquire#e{id}");
    state.catalog().evidence(evidence)?;
    let dir = UploadDir::new()?;
    let path = match receive(&state, form, &dir.0, &back).await? {
        Upload::Saved(p) => p,
        Upload::Refused(r) => return Ok(r),
        Upload::TooBig => {
            let text = format!(
                "The upload is larger than this server accepts ({} bytes); nothing was registered. \
                 Register big files with `evcat add FILE --evidence {evidence}`.",
                state.max_upload
            );
            return Ok(message_back(StatusCode::PAYLOAD_TOO_LARGE, "Upload refused", &text, &back));
        }
    };
    let opts = AddOptions {
        evidence: Some(evidence),
        provenance: Default::default(),
        provenance_source: None,
        acquisition: Acquisition { method: Some("upload via evcat serve".into()), ..Default::default() },
        in_place: false,
        follow_links: false,
        analysis: AnalysisOptions { enabled: true },
        batch_files: None,
        // An uploaded WACZ is kept whole; `evcat add --extract-media` extracts.
        extract_media: false,
    };
    let report = state.catalog().add_paths(&[path], &opts, &NoProgress)?;
    // One path in, so one item out: the uploaded file's outcome.
    match report.items.first() {
        None => Err(WebError(Error::Conflict("the upload produced no file".into()))),
        Some(item) => match item {
            AddItem::Registered { file, .. } | AddItem::AlreadyRegistered { file, .. } => {
                Ok(Redirect::to(&format!("/files/{}", file.0)).into_response())
            }
            AddItem::Failed { error, .. } => {
                Ok(message_back(StatusCode::BAD_REQUEST, "Upload not registered", error, &back))
            }
            AddItem::Skipped { reason, .. } => {
                Ok(message_back(StatusCode::BAD_REQUEST, "Upload not registered", reason, &back))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::safe_name;

    #[test]
    fn upload_names_lose_their_folders() {
        assert_eq!(safe_name(Some("clip.mp4")), "clip.mp4");
        assert_eq!(safe_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(safe_name(Some("C:\\Users\\ana\\photo.jpg")), "photo.jpg");
        assert_eq!(safe_name(Some("..")), "upload");
        assert_eq!(safe_name(Some("")), "upload");
        assert_eq!(safe_name(None), "upload");
        assert_eq!(safe_name(Some("a\u{0}b\nc.jpg")), "abc.jpg");
    }
}
