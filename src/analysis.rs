//! Media analysis over a catalog: the `Catalog` methods that run
//! [`crate::fingerprint`] (pure: decoding, hashing, the match rule) over held
//! files, record the results through `catalog/fingerprints.rs` (SQL), and
//! answer near-duplicate questions. Dependencies run one way:
//! `fingerprint` <- `catalog` <- this module.
//!
//! Analysis runs on `add` for each newly registered image or video (see
//! [`Catalog::analyze_added`]); per-file problems become warnings, never
//! errors. [`AnalysisOptions::enabled`] off registers without analysing;
//! `evcat fingerprint --missing` catches up later.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use rayon::prelude::*;

use crate::catalog::files::{FileFilter, FileRecord, Storage};
use crate::catalog::fingerprints::{self as fpdb, Near};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::fingerprint::analyze::{analyze_image, analyze_video};
use crate::fingerprint::matching::{file_match, min_quality, sort_matches, usable};
use crate::fingerprint::model::{is_image, is_video};
use crate::fingerprint::summary::FileNote;
use crate::fingerprint::{
    pdq, video, Analysis, Cluster, FingerprintSet, FrameHash, Match, MediaSummary, StoredFingerprint,
    DEFAULT_MAX_DISTANCE,
};
use crate::ids::FileId;
use crate::store::{Staged, Store};

/// Settings of the media analysis that `add` runs on what it registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalysisOptions {
    /// Analyse at all. Off registers only (e.g. for raw ingest benchmarks).
    pub enabled: bool,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions { enabled: true }
    }
}

/// One analysed file and its near-duplicates among files held before it.
type Analysed = (Analysis, Vec<Match>);

/// Where a file's bytes can be read now.
fn file_path(store: &Store, rec: &FileRecord) -> Option<PathBuf> {
    match rec.storage {
        Storage::Object => Some(store.object_path(&rec.sha256)),
        Storage::InPlace => rec.original_path.clone().map(PathBuf::from),
    }
}

/// Analyse every target in parallel (images and videos; ffmpeg is looked
/// for once, and only when there is a video).
fn analyze_all(store: &Store, targets: &[(FileRecord, PathBuf)]) -> Vec<Analysis> {
    let any_video = targets.iter().any(|(r, _)| is_video(&r.media_type));
    let ffmpeg = any_video && video::ffmpeg_available();
    targets
        .par_iter()
        .map(|(rec, path)| {
            if is_video(&rec.media_type) {
                analyze_video(rec.id, path, ffmpeg, store)
            } else {
                analyze_image(rec.id, path, store)
            }
        })
        .collect()
}

impl Catalog {
    /// Analyse newly registered files for `add`: never fails; catalog-level
    /// problems become notices. Does nothing when `opts` turn analysis off.
    pub fn analyze_added(&mut self, files: &[FileId], opts: AnalysisOptions) -> MediaSummary {
        if !opts.enabled {
            return MediaSummary::default();
        }
        match self.analyze_files(files, DEFAULT_MAX_DISTANCE) {
            Ok(s) => s,
            Err(e) => MediaSummary::not_recorded(e),
        }
    }

    /// Fingerprint, thumbnail and hint the given files (images and videos;
    /// others are ignored), find near-duplicates among everything held, and
    /// record it all in one transaction with one attesting custody event.
    pub fn analyze_files(&mut self, files: &[FileId], max_distance: u32) -> Result<MediaSummary> {
        let mut summary = MediaSummary::default();
        let targets = self.analysis_targets(files, &mut summary)?;
        if targets.is_empty() {
            return Ok(summary);
        }
        let analyses = analyze_all(self.store(), &targets);
        let batch = self.match_batch(analyses, max_distance)?;
        self.record_and_publish(&batch)?;
        summary.tally(batch);
        Ok(summary)
    }

    /// The images and videos among `files`, with where to read them; a file
    /// with no readable location is a warning.
    fn analysis_targets(&self, files: &[FileId], summary: &mut MediaSummary) -> Result<Vec<(FileRecord, PathBuf)>> {
        let mut targets = Vec::new();
        for &f in files {
            let rec = self.file(f)?;
            if !(is_image(&rec.media_type) || is_video(&rec.media_type)) {
                continue;
            }
            match file_path(self.store(), &rec) {
                Some(p) => targets.push((rec, p)),
                None => summary.warnings.push(FileNote { file: f, message: "no readable location recorded".into() }),
            }
        }
        Ok(targets)
    }

    /// Near-duplicates of each analysed file among what was held before (through
    /// the persisted index, which reads only band-lookup candidates, not every
    /// row) plus this batch (a small in-memory index); a file is compared with
    /// files held before it, so each pair is reported once. The batch's own
    /// stored fingerprints (a re-analysis) are about to be replaced: not candidates.
    fn match_batch(&self, analyses: Vec<Analysis>, max_distance: u32) -> Result<Vec<Analysed>> {
        let batch: HashSet<FileId> = analyses.iter().map(|a| a.file).collect();
        let mut fresh = Vec::new();
        let mut videos = HashSet::new();
        for a in &analyses {
            fresh.extend(StoredFingerprint::of_frames(a.file, &a.frames));
            if a.is_video {
                videos.insert(a.file);
            }
        }
        let set = FingerprintSet::build(fresh, &videos);
        let order: HashMap<FileId, usize> = analyses.iter().enumerate().map(|(i, a)| (a.file, i)).collect();
        let mut rows = Vec::with_capacity(analyses.len());
        for (i, a) in analyses.into_iter().enumerate() {
            let query = usable(&a.frames, a.is_video);
            let mut matches = self.stored_matches(&query, !a.is_video, max_distance, |f| !batch.contains(&f))?;
            matches.extend(
                set.matches(&query, !a.is_video, max_distance, |f| {
                    f != a.file && order.get(&f).is_some_and(|&j| j < i)
                }),
            );
            sort_matches(&mut matches);
            rows.push((a, matches));
        }
        Ok(rows)
    }

    /// Record the batch; then publish the thumbnails whose rows are new and
    /// discard the rest (identical ones already held). A failed transaction
    /// discards every staged thumbnail.
    fn record_and_publish(&mut self, batch: &[Analysed]) -> Result<()> {
        let staged: Vec<Vec<Staged>> =
            batch.iter().map(|(a, _)| a.derived.iter().map(|d| d.staged.clone()).collect()).collect();
        let recorded = self.write(|w| fpdb::record(w, batch));
        let store = self.store();
        let inserted = match recorded {
            Ok(i) => i,
            Err(e) => {
                for st in staged.iter().flatten() {
                    store.discard(st);
                }
                return Err(e);
            }
        };
        for (sts, ins) in staged.iter().zip(&inserted) {
            for (st, new) in sts.iter().zip(ins) {
                if *new {
                    store.publish(st)?;
                } else {
                    store.discard(st);
                }
            }
        }
        Ok(())
    }

    /// Ids of files whose media type is video.
    fn video_files(&self) -> Result<HashSet<FileId>> {
        Ok(self
            .list_files(&FileFilter { media_type: Some("video/".into()), ..Default::default() })?
            .into_iter()
            .map(|f| f.id)
            .collect())
    }

    /// Build the search set over every fingerprint held.
    pub fn fingerprint_set(&self) -> Result<FingerprintSet> {
        Ok(FingerprintSet::build(self.all_fingerprints()?, &self.video_files()?))
    }

    /// Near-duplicates of `file`, closest first.
    pub fn similar(&self, file: FileId, max_distance: u32) -> Result<Vec<Match>> {
        let rec = self.file(file)?;
        let own = self.fingerprints_of(file)?;
        if own.is_empty() {
            let why = match self.analysis_of(file)? {
                Some(a) => a.note.unwrap_or_else(|| format!("analysis status {}", a.status)),
                None if is_image(&rec.media_type) || is_video(&rec.media_type) => {
                    "it has not been analysed; run `evcat fingerprint --missing`".into()
                }
                None => format!("{} files are not fingerprinted", rec.media_type),
            };
            return Err(Error::Conflict(format!("{file} has no fingerprints: {why}")));
        }
        let frames: Vec<FrameHash> = own
            .iter()
            .map(|f| FrameHash { frame_index: f.frame_index, frame_ms: f.frame_ms, hash: f.hash, quality: f.quality })
            .collect();
        let query = usable(&frames, is_video(&rec.media_type));
        self.stored_matches(&query, !is_video(&rec.media_type), max_distance, |f| f != file)
    }

    /// Files held whose fingerprints near-duplicate `query` (usable hashes of
    /// one file), closest first, found through the persisted band index: reads
    /// the candidates' rows and the matching files' fingerprints, never the
    /// whole table (below radius 48). Same answers as [`FingerprintSet::matches`]
    /// over every stored fingerprint.
    fn stored_matches(
        &self,
        query: &[pdq::Hash256],
        q_still: bool,
        max_distance: u32,
        allow: impl Fn(FileId) -> bool,
    ) -> Result<Vec<Match>> {
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let mut near: BTreeMap<FileId, Vec<Near>> = BTreeMap::new();
        for n in fpdb::near(self.conn(), query, max_distance)? {
            if allow(n.file) {
                near.entry(n.file).or_default().push(n);
            }
        }
        let mut out = Vec::new();
        for (file, hits) in near {
            if let Some(m) = self.candidate_match(query, q_still, max_distance, file, &hits)? {
                out.push(m);
            }
        }
        sort_matches(&mut out);
        Ok(out)
    }

    /// The match rule for one candidate file of the band lookup, given its
    /// stored hashes near the query (`hits`).
    fn candidate_match(
        &self,
        query: &[pdq::Hash256],
        q_still: bool,
        max_distance: u32,
        file: FileId,
        hits: &[Near],
    ) -> Result<Option<Match>> {
        let o_video = is_video(&self.file(file)?.media_type);
        let min = min_quality(o_video);
        let mut best: BTreeMap<usize, u32> = BTreeMap::new();
        for n in hits.iter().filter(|n| n.quality >= min) {
            let e = best.entry(n.query).or_insert(u32::MAX);
            *e = (*e).min(n.distance);
        }
        if best.is_empty() {
            return Ok(None);
        }
        let other: Vec<pdq::Hash256> =
            self.fingerprints_of(file)?.into_iter().filter(|f| f.quality >= min).map(|f| f.hash).collect();
        Ok(file_match(query, q_still, max_distance, file, &best, &other, !o_video))
    }

    /// Clusters of near-duplicates across the catalog (connected components).
    pub fn similar_all(&self, max_distance: u32) -> Result<Vec<Cluster>> {
        Ok(self.fingerprint_set()?.clusters(max_distance))
    }
}
