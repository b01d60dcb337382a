//! Registering files and folder trees: walk, hash-while-copying in parallel,
//! probe metadata, then record each batch in one transaction.
//!
//! Order of effects per batch, chosen so a kill at any moment leaves a
//! consistent catalog: (1) objects are staged (copied while hashed, fsynced)
//! in the store's work area; (2) one transaction inserts the rows and custody
//! events; (3) staged objects are published at their addresses. A kill before
//! (2) commits leaves staged files that the next open deletes; a kill between
//! (2) and (3) leaves staged files that the next open publishes, because the
//! committed rows reference them (see `store`). Re-running the same `add`
//! then registers what is missing and reports the rest as already registered.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::acquire::attach::{self, SidecarRef};
use crate::acquire::sidecar::SidecarFacts;
use crate::acquire::wacz;
use crate::analysis::AnalysisOptions;
use crate::catalog::evidence::{Provenance, Source};
use crate::catalog::files::{Acquisition, Placement, RecordFile, Storage};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::hash::{hash_reader, Sha256};
use crate::ids::{EvidenceId, FileId};
use crate::media::{self, MediaFacts};
use crate::store::Staged;

mod record;
use record::record_one;

/// Files per transaction: large enough to amortise commits, small enough that
/// progress is durable often and a kill loses little work.
const BATCH_FILES: usize = 512;
/// Bytes per batch, so a few huge files also commit regularly.
const BATCH_BYTES: u64 = 512 << 20;

/// Options for [`Catalog::add_paths`]; one struct instead of a row of booleans.
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    /// Attach every file to this existing evidence item.
    pub evidence: Option<EvidenceId>,
    /// Provenance for the evidence items created for new files.
    pub provenance: Provenance,
    /// Where that provenance came from: `user` (the default, typed options)
    /// or `import` (a foreign bag's bag-info.txt).
    pub provenance_source: Option<Source>,
    pub acquisition: Acquisition,
    /// Record path and hash only, without copying into the store.
    pub in_place: bool,
    /// Follow symbolic links inside folders (loops are detected and reported).
    pub follow_links: bool,
    /// Media analysis of the new files (on by default).
    pub analysis: AnalysisOptions,
    /// Files per transaction, at most (and by default) 512: smaller batches
    /// commit more often (the crash test uses 40 to have several in flight).
    pub batch_files: Option<usize>,
    /// Register the media archived in each WACZ as files derived from it.
    pub extract_media: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum AddItem {
    Registered {
        path: String,
        file: FileId,
        evidence: EvidenceId,
        sha256: String,
        size: u64,
        media_type: String,
        warnings: Vec<String>,
        /// The format of the sidecar whose facts became this file's provenance.
        #[serde(skip_serializing_if = "Option::is_none")]
        sidecar: Option<&'static str>,
        /// This file is the sidecar of that file (registered with it).
        #[serde(skip_serializing_if = "Option::is_none")]
        sidecar_of: Option<FileId>,
        /// The evidence item existed: the file is a new capture of the same post.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        new_capture: bool,
        /// This file is a media payload extracted from that WACZ.
        #[serde(skip_serializing_if = "Option::is_none")]
        extracted_from: Option<FileId>,
        /// What this WACZ holds: package check, pages, archived media.
        #[serde(skip_serializing_if = "Option::is_none")]
        capture: Option<Box<wacz::Capture>>,
    },
    /// The bytes were already registered; nothing new was recorded.
    AlreadyRegistered {
        path: String,
        file: FileId,
        evidence: EvidenceId,
        sha256: String,
    },
    Skipped {
        path: String,
        reason: String,
    },
    Failed {
        path: String,
        error: String,
    },
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AddReport {
    pub registered: u64,
    pub already_registered: u64,
    pub skipped: u64,
    pub failed: u64,
    pub bytes_registered: u64,
    pub items: Vec<AddItem>,
    /// Fingerprints, near-duplicates, thumbnails and transcode hints of the new files.
    pub media: crate::fingerprint::MediaSummary,
}

impl AddReport {
    fn push(&mut self, item: AddItem) {
        match &item {
            AddItem::Registered { size, .. } => {
                self.registered += 1;
                self.bytes_registered += size;
            }
            AddItem::AlreadyRegistered { .. } => self.already_registered += 1,
            AddItem::Skipped { .. } => self.skipped += 1,
            AddItem::Failed { .. } => self.failed += 1,
        }
        self.items.push(item);
    }
}

/// Progress notifications for a UI; called from the calling thread only.
pub trait Progress {
    fn discovered(&self, _files: u64, _bytes: u64) {}
    fn advanced(&self, _files: u64, _bytes: u64) {}
}

/// A progress sink that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {}

struct Candidate {
    path: PathBuf,
    size: u64,
    sidecar: Option<SidecarRef>,
}

/// Walk the inputs. Regular files become candidates; everything else is
/// reported as skipped or failed with the reason, never silently dropped.
fn collect(paths: &[PathBuf], follow_links: bool, report: &mut AddReport) -> Vec<Candidate> {
    let mut out = Vec::new();
    for root in paths {
        let meta = match fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                let msg = if fs::symlink_metadata(root).is_ok() {
                    format!("dangling or looping symbolic link: {e}")
                } else {
                    e.to_string()
                };
                report.push(AddItem::Failed { path: display(root), error: msg });
                continue;
            }
        };
        if meta.is_file() {
            out.push(Candidate { path: root.clone(), size: meta.len(), sidecar: None });
            continue;
        }
        if !meta.is_dir() {
            report.push(AddItem::Failed {
                path: display(root),
                error: format!("not a regular file ({}); only files and folders can be registered", kind_of(&meta)),
            });
            continue;
        }
        let walker = walkdir::WalkDir::new(root).follow_links(follow_links).sort_by_file_name();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e.path().map(display).unwrap_or_else(|| display(root));
                    let error = if let Some(anc) = e.loop_ancestor() {
                        format!("symbolic link loop back to {}; not followed", anc.display())
                    } else {
                        e.io_error().map(|i| i.to_string()).unwrap_or_else(|| e.to_string())
                    };
                    report.push(AddItem::Failed { path, error });
                    continue;
                }
            };
            let ft = entry.file_type();
            if ft.is_dir() {
                continue;
            }
            if ft.is_symlink() {
                // Only reached when not following links.
                report.push(AddItem::Skipped {
                    path: display(entry.path()),
                    reason: "symbolic link not followed (use --follow-links)".into(),
                });
                continue;
            }
            match entry.metadata() {
                Ok(m) if m.is_file() => out.push(Candidate { path: entry.into_path(), size: m.len(), sidecar: None }),
                Ok(m) => report.push(AddItem::Failed {
                    path: display(entry.path()),
                    error: format!("not a regular file ({}); skipped", kind_of(&m)),
                }),
                Err(e) => report.push(AddItem::Failed { path: display(entry.path()), error: e.to_string() }),
            }
        }
    }
    with_sidecars(out)
}

/// Attach each media file's sidecar and drop the sidecars from the list:
/// they are registered with their media file, not as files of their own.
fn with_sidecars(candidates: Vec<Candidate>) -> Vec<Candidate> {
    let paths: Vec<PathBuf> = candidates.iter().map(|c| c.path.clone()).collect();
    let (found, used) = attach::pair(&paths);
    candidates
        .into_iter()
        .zip(found)
        .filter(|(c, _)| !used.contains(&c.path))
        .map(|(c, sidecar)| Candidate { sidecar, ..c })
        .collect()
}

/// The files `add` would consider under `paths` (the same walk and skip
/// rules), and the paths it would skip or fail, for `probe`.
pub fn walk(paths: &[PathBuf], follow_links: bool) -> (Vec<PathBuf>, Vec<AddItem>) {
    let mut report = AddReport::default();
    let found = collect(paths, follow_links, &mut report);
    (found.into_iter().map(|c| c.path).collect(), report.items)
}

fn kind_of(m: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let ft = m.file_type();
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "a device";
        }
    }
    let _ = m;
    "not a file"
}

fn display(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// What the parallel phase produced for one file.
struct Prepared {
    path: PathBuf,
    placement: Placement,
    facts: MediaFacts,
    /// Bytes staged in the store, published once the batch commits.
    staged: Option<Staged>,
    sidecar: Option<PreparedSidecar>,
    capture: Option<Box<PreparedCapture>>,
}

/// A WACZ's contents, and the payloads extracted from it (`--extract-media`):
/// index into `capture.media`, and the payload as a prepared file.
struct PreparedCapture {
    capture: wacz::Capture,
    extracted: Vec<(usize, Prepared)>,
}

/// A media file's sidecar: its facts, the record they were read from and,
/// for a sidecar beside the file, its own bytes (registered as a file).
struct PreparedSidecar {
    /// `None` when the record is embedded in the media file itself.
    file: Option<Box<Prepared>>,
    facts: SidecarFacts,
    record: RecordFile,
    /// How `add` reports where the provenance came from.
    label: &'static str,
}

impl Prepared {
    fn staged(&self) -> impl Iterator<Item = &Staged> {
        let extracted = self.capture.iter().flat_map(|c| c.extracted.iter().filter_map(|(_, p)| p.staged.as_ref()));
        self.staged.iter().chain(self.sidecar.as_ref().and_then(|s| s.file.as_ref()?.staged.as_ref())).chain(extracted)
    }
}

/// A batch: candidate index range and its byte count.
type BatchRange = (usize, usize, u64);
/// One candidate after hashing, copying and probing (or why that failed).
type PreparedItem = (PathBuf, Result<Prepared>);

fn prepare(c: &Candidate, cat_store: &crate::store::Store, opts: &AddOptions) -> Result<Prepared> {
    let in_place = opts.in_place;
    let mut media = prepare_one(&c.path, cat_store, in_place)?;
    let name = media.placement.original_name.clone().unwrap_or_default();
    if wacz::is_wacz(&name, &media.facts.media_type) {
        if let Err(e) = prepare_capture(&mut media, &c.path, cat_store, opts.extract_media) {
            if let Some(st) = &media.staged {
                cat_store.discard(st);
            }
            return Err(e);
        }
    }
    let Some(sc) = &c.sidecar else {
        with_embedded(&mut media, cat_store);
        return Ok(media);
    };
    let sidecar = prepare_one(&sc.path, cat_store, in_place).and_then(|file| {
        let name = media.placement.original_name.clone().unwrap_or_default();
        match attach::read_capped(&file.probe_path(cat_store)).and_then(|bytes| attach::parse(sc, &bytes, &name)) {
            Ok(facts) => {
                let record = RecordFile {
                    name: file.placement.original_name.clone().unwrap_or_default(),
                    sha256: file.placement.sha256.to_hex(),
                };
                Ok(PreparedSidecar { file: Some(Box::new(file)), label: facts.format.as_str(), facts, record })
            }
            Err(e) => {
                if let Some(st) = &file.staged {
                    cat_store.discard(st);
                }
                Err(e)
            }
        }
    });
    match sidecar {
        Ok(s) => {
            let name = sc.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            media.facts.warnings.extend(crate::acquire::sidecar::cross_check(&s.facts.expect, &media.facts, &name));
            media.sidecar = Some(s);
            Ok(media)
        }
        Err(e) => {
            // Nothing half-registered: the media file goes with its sidecar.
            media.staged().for_each(|st| cat_store.discard(st));
            Err(e)
        }
    }
}

/// A media file with no sidecar beside it may carry its record inside:
/// yt-dlp's `--embed-info-json` attaches the info.json to MKV/MKA files. Read
/// from the hashed bytes; a broken attachment is a warning, not a refusal
/// (the file is the evidence, and no sidecar of its own can be left out).
fn with_embedded(media: &mut Prepared, cat_store: &crate::store::Store) {
    let name = media.placement.original_name.clone().unwrap_or_default();
    match attach::embedded(&media.probe_path(cat_store), &media.facts.media_type, &name) {
        Ok(Some((facts, record))) => {
            let from = format!("the info.json attached to {name}");
            media.facts.warnings.extend(crate::acquire::sidecar::cross_check(&facts.expect, &media.facts, &from));
            media.sidecar = Some(PreparedSidecar { file: None, facts, record, label: "yt-dlp info.json (embedded)" });
        }
        Ok(None) => {}
        Err(warning) => media.facts.warnings.push(warning),
    }
}

/// Read a WACZ's package, pages and archived media into `media`, staging the
/// media payloads with `extract`. A file named `.wacz` that is not a readable
/// WACZ is still registered, byte-exact, with a warning saying why; only a
/// failing store stops it.
fn prepare_capture(media: &mut Prepared, path: &Path, store: &crate::store::Store, extract: bool) -> Result<()> {
    let capture = match wacz::read(&media.probe_path(store), path, extract.then_some(store)) {
        Ok(c) => c,
        Err(e) if e.is_catalog_fault() => return Err(e),
        Err(e) => {
            media.facts.warnings.push(format!("not read as a WACZ: {e}"));
            return Ok(());
        }
    };
    media.facts.media_type = "application/wacz".into();
    media.facts.warnings.extend(capture.package.problems.iter().map(|p| format!("WACZ package: {p}")));
    media.facts.warnings.extend(capture.warnings.iter().cloned());
    let mut extracted = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, m) in capture.media.iter().enumerate() {
        if m.payload_digest_check == "mismatch" {
            media.facts.warnings.push(format!(
                "{} record {} ({}): WARC-Payload-Digest does not match the payload",
                m.warc, m.record_id, m.target_uri
            ));
        }
        let Some(st) = &m.staged else { continue };
        // The same payload archived twice is one file (one staged copy).
        if !seen.insert(st.sha256) {
            continue;
        }
        let readable = st.readable_path(store);
        let mut facts = media::probe_path(&readable).unwrap_or_else(|e| {
            let (media_type, kind) = media::sniff(&[]);
            MediaFacts {
                media_type,
                kind,
                warnings: vec![format!("cannot probe the extracted payload: {e}")],
                ..MediaFacts::default()
            }
        });
        if let Some(t) = &m.truncated {
            facts.warnings.push(format!("the WARC record is truncated ({t}): the payload is incomplete"));
        }
        if let Some(enc) = &m.content_encoding {
            facts.warnings.push(format!("the server sent this payload with Content-Encoding {enc}; kept as sent"));
        }
        extracted.push((
            i,
            Prepared {
                path: path.to_path_buf(),
                placement: Placement {
                    sha256: st.sha256,
                    size: st.size,
                    storage: Storage::Object,
                    original_name: Some(m.file_name()),
                    original_path: None,
                },
                facts,
                staged: Some(st.clone()),
                sidecar: None,
                capture: None,
            },
        ));
    }
    media.capture = Some(Box::new(PreparedCapture { capture, extracted }));
    Ok(())
}

impl Prepared {
    /// Where the hashed bytes can be read again: the staged copy, or the file in place.
    fn probe_path(&self, store: &crate::store::Store) -> PathBuf {
        match &self.staged {
            Some(st) => st.readable_path(store),
            None => self.path.clone(),
        }
    }
}

fn prepare_one(path: &Path, cat_store: &crate::store::Store, in_place: bool) -> Result<Prepared> {
    let path = &path.to_path_buf();
    // Refuse anything that stopped being a regular file since the walk (a FIFO
    // swapped in would block the open forever).
    let meta = fs::metadata(path).map_err(|e| Error::io("stat", path, e))?;
    if !meta.is_file() {
        return Err(Error::Unsupported { path: path.clone(), reason: "not a regular file".into() });
    }
    let (sha256, size, storage, staged) = if in_place {
        let f = fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
        let (sha, size) = hash_reader(f).map_err(|e| Error::io("read", path, e))?;
        (sha, size, Storage::InPlace, None)
    } else {
        let st = cat_store.stage_file_unsynced(path)?;
        (st.sha256, st.size, Storage::Object, Some(st))
    };
    // Probe the bytes we hashed (the staged copy), not a source that may change.
    let probe_path = match &staged {
        Some(st) => st.readable_path(cat_store),
        None => path.clone(),
    };
    let probed = media::probe_path(&probe_path).map_err(|e| Error::io("read", path, e));
    let mut facts = match probed {
        Ok(f) => f,
        Err(e) => {
            if let Some(st) = &staged {
                cat_store.discard(st);
            }
            return Err(e);
        }
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    if path.file_name().is_some_and(|n| n.to_str().is_none()) {
        facts.warnings.push("file name is not valid UTF-8; recorded with replacement characters".into());
    }
    // Where the file is, with `.` and `..` resolved through the real folders;
    // the file itself is not resolved, so a link keeps its own name.
    let abs = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .and_then(|d| std::fs::canonicalize(d).ok())
        .zip(path.file_name())
        .map(|(d, n)| d.join(n))
        .or_else(|| std::path::absolute(path).ok())
        .unwrap_or_else(|| path.clone());
    Ok(Prepared {
        path: path.clone(),
        placement: Placement {
            sha256,
            size,
            storage,
            original_name: name,
            original_path: Some(abs.to_string_lossy().into_owned()),
        },
        facts,
        staged,
        sidecar: None,
        capture: None,
    })
}

impl Catalog {
    /// Register files and folder trees. Per-file problems (unreadable,
    /// unsupported input) are reported in the returned [`AddReport`]; catalog
    /// faults ([`Error::is_catalog_fault`]: a full object store, a failing
    /// database) stop the add and return `Err`, after rolling back the batch
    /// in progress; batches committed before stay registered.
    pub fn add_paths(&mut self, paths: &[PathBuf], opts: &AddOptions, progress: &dyn Progress) -> Result<AddReport> {
        if let Some(e) = opts.evidence {
            self.evidence(e)?;
            if !opts.provenance.is_empty() {
                return Err(Error::invalid(
                    "provenance options",
                    e.to_string(),
                    format!("--platform/--url/--author/--posted-at/--title describe a new evidence item; to change {e}, use `evcat evidence edit {e}`"),
                ));
            }
        }
        // Fail before any work if we cannot sign.
        self.signer()?;
        let mut report = AddReport::default();
        let candidates = collect(paths, opts.follow_links, &mut report);
        progress.discovered(candidates.len() as u64, candidates.iter().map(|c| c.size).sum());

        // Batch boundaries: at most BATCH_FILES files / BATCH_BYTES bytes.
        let batch_files = opts.batch_files.map_or(BATCH_FILES, |n| n.clamp(1, BATCH_FILES));
        let mut ranges = Vec::new();
        let mut start = 0;
        while start < candidates.len() {
            let mut end = start;
            let mut bytes = 0u64;
            while end < candidates.len() && end - start < batch_files && (end == start || bytes < BATCH_BYTES) {
                bytes += candidates[end].size;
                end += 1;
            }
            ranges.push((start, end, bytes));
            start = end;
        }
        let store = self.store().clone();
        // Large files are copied with O_DIRECT, and each direct write waits for
        // the device: with one thread per core the disk idles while both
        // threads hash. Batches of large files get four threads per core (the
        // extra ones mostly wait); small files stay one thread per core, where
        // extra threads would only take CPU from the serial transaction.
        // Created on the first large-file batch only: small-file runs never need it.
        let io_pool = std::sync::OnceLock::new();
        let prepare_batch = |(s, e, bytes): BatchRange| -> Vec<PreparedItem> {
            let run = || candidates[s..e].par_iter().map(|c| (c.path.clone(), prepare(c, &store, opts))).collect();
            let large = !opts.in_place && bytes / (e - s).max(1) as u64 >= crate::store::DIRECT_MIN_SIZE;
            match large.then(|| io_pool.get_or_init(|| store.io_thread_pool(4)).as_ref()).flatten() {
                Some(pool) => pool.install(run),
                None => run(),
            }
        };
        let staged_of = |prepared: &[PreparedItem]| -> Vec<Staged> {
            prepared.iter().filter_map(|(_, r)| r.as_ref().ok()).flat_map(|p| p.staged().cloned()).collect()
        };

        // Pipeline, per batch N (one SQLite transaction, serial):
        // - a thread makes N's staged bytes durable (syncfs, mostly waiting on
        //   the disk) while N's rows are inserted; the commit waits for it, so
        //   no committed row ever references bytes that are not on disk;
        // - meanwhile the other cores publish batch N-1 (committed: its renames
        //   need no sync of their own, see `Store::publish_deferred`; a later
        //   batch's sync or the final one covers them) and hash, copy and
        //   probe N+1.
        // Staged bytes stay invisible until their own batch commits, so the
        // crash guarantees are those of a single batch.
        let mut next = ranges.first().map(|&r| (r, prepare_batch(r)));
        let mut i = 0;
        // Committed batch awaiting publication, and the files it registered
        // (analysed once their objects are at their addresses).
        let mut committed: (Vec<Staged>, Vec<FileId>) = (Vec::new(), Vec::new());
        let mut published_any = false;
        (|| -> Result<()> {
            while let Some(((_, _, bytes), prepared)) = next.take() {
                i += 1;
                let staged = staged_of(&prepared);
                let sync = {
                    let (store, staged) = (store.clone(), staged.clone());
                    std::thread::Builder::new().name("evcat-sync".into()).spawn(move || store.sync_staged(&staged))
                };
                let before_commit = || -> Result<()> {
                    match sync {
                        Ok(handle) => {
                            handle.join().map_err(|_| Error::Corrupt("the object store sync thread panicked".into()))?
                        }
                        // No thread to spare: sync here, before the commit all the same.
                        Err(_) => store.sync_staged(&staged),
                    }
                };
                let following = ranges.get(i).copied();
                let (previous, previous_files) = std::mem::take(&mut committed);
                let (recorded, (published, upcoming)) = rayon::join(
                    || self.record_batch(prepared, opts, before_commit),
                    || (store.publish_deferred(&previous), following.map(|r| (r, prepare_batch(r)))),
                );
                let discard_upcoming = |upcoming: &Option<(BatchRange, Vec<PreparedItem>)>| {
                    if let Some((_, p)) = upcoming {
                        staged_of(p).iter().for_each(|st| store.discard(st));
                    }
                };
                let items = match recorded {
                    Ok(items) => items,
                    Err(e) => {
                        // N rolled back: its staged bytes belong to nothing.
                        staged.iter().for_each(|st| store.discard(st));
                        discard_upcoming(&upcoming);
                        return Err(e);
                    }
                };
                if let Err(e) = published {
                    // N-1 and N are committed; their staged files stay for the
                    // next open to publish.
                    discard_upcoming(&upcoming);
                    return Err(e);
                }
                self.analyze_into(&previous_files, opts.analysis, &mut report);
                let new_files: Vec<FileId> = items
                    .iter()
                    .filter_map(|i| if let AddItem::Registered { file, .. } = i { Some(*file) } else { None })
                    .collect();
                let files_in_batch = items.len() as u64;
                for item in items {
                    report.push(item);
                }
                progress.advanced(files_in_batch, bytes);
                published_any |= staged.iter().any(Staged::is_new);
                committed = (staged, new_files);
                next = upcoming;
            }
            Ok(())
        })()?;
        // The last batch: publish, make every rename of the run durable (even
        // when this batch itself had nothing new), analyse.
        store.publish_deferred(&committed.0)?;
        if published_any {
            store.finish_deferred()?;
        }
        self.analyze_into(&committed.1, opts.analysis, &mut report);
        Ok(report)
    }

    /// Media analysis of what a batch registered (never fails the add).
    fn analyze_into(&mut self, files: &[FileId], opts: AnalysisOptions, report: &mut AddReport) {
        if !files.is_empty() {
            let media = self.analyze_added(files, opts);
            report.media.merge(media);
        }
    }

    fn record_batch(
        &mut self,
        prepared: Vec<PreparedItem>,
        opts: &AddOptions,
        before_commit: impl FnOnce() -> Result<()>,
    ) -> Result<Vec<AddItem>> {
        self.write(|w| {
            let mut items = Vec::with_capacity(prepared.len());
            for (path, result) in prepared {
                let p = match result {
                    Ok(p) => p,
                    // The store is full or failing: every later file would
                    // fail too, and the fault is the catalog's, not this
                    // file's. Stop; this batch rolls back, earlier ones stay.
                    Err(e) if e.is_catalog_fault() => return Err(e),
                    Err(e) => {
                        items.push(AddItem::Failed { path: display(&path), error: e.to_string() });
                        continue;
                    }
                };
                items.extend(record_one(w, p, opts)?);
            }
            before_commit()?;
            Ok(items)
        })
    }

    /// The media facts alone (no hashing): what `probe --no-hash` shows.
    pub fn probe_facts(path: &Path) -> Result<(u64, MediaFacts)> {
        let meta = fs::metadata(path).map_err(|e| Error::io("stat", path, e))?;
        if !meta.is_file() {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                reason: format!("not a regular file ({})", kind_of(&meta)),
            });
        }
        let facts = media::probe_path(path).map_err(|e| Error::io("read", path, e))?;
        Ok((meta.len(), facts))
    }

    /// What would be recorded for a file, without registering it.
    pub fn probe(path: &Path) -> Result<(Sha256, u64, MediaFacts)> {
        let meta = fs::metadata(path).map_err(|e| Error::io("stat", path, e))?;
        if !meta.is_file() {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                reason: format!("not a regular file ({})", kind_of(&meta)),
            });
        }
        let f = fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
        let (sha, size) = hash_reader(f).map_err(|e| Error::io("read", path, e))?;
        let facts = media::probe_path(path).map_err(|e| Error::io("read", path, e))?;
        Ok((sha, size, facts))
    }
}
