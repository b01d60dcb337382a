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

use std::collections::HashSet;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::catalog::files::{FileFilter, FileRecord, Storage};
use crate::catalog::fingerprints as fpdb;
use crate::catalog::links::TimeRange;
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::fingerprint::analyze::{analyze_audio, analyze_image, analyze_video};
use crate::fingerprint::matching::usable;
use crate::fingerprint::model::{is_audio, is_image, is_video};
use crate::fingerprint::summary::FileNote;
use crate::fingerprint::{
    video, Analysis, Cluster, FingerprintSet, FrameHash, Match, MediaSummary, DEFAULT_MAX_DISTANCE,
};
use crate::ids::{EvidenceId, FileId};
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

/// Where a file's bytes can be read now.
fn file_path(store: &Store, rec: &FileRecord) -> Option<PathBuf> {
    match rec.storage {
        Storage::Object => Some(store.object_path(&rec.sha256)),
        Storage::InPlace => rec.original_path.clone().map(PathBuf::from),
    }
}

/// Analyse every target in parallel (images, videos and audio files;
/// ffmpeg is looked for once, and only when there is a video or audio file).
fn analyze_all(store: &Store, targets: &[(FileRecord, PathBuf)]) -> Vec<Analysis> {
    let any_av = targets.iter().any(|(r, _)| is_video(&r.media_type) || is_audio(&r.media_type));
    let ffmpeg = any_av && video::ffmpeg_available();
    targets
        .par_iter()
        .map(|(rec, path)| {
            if is_video(&rec.media_type) {
                analyze_video(rec.id, path, ffmpeg, store)
            } else if is_audio(&rec.media_type) {
                analyze_audio(rec.id, path, ffmpeg)
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

    /// Fingerprint, thumbnail and hint the given files (images, videos and
    /// audio files; others are ignored), find near-duplicates among everything held, and
    /// record it all in one transaction with one attesting custody event.
    pub fn analyze_files(&mut self, files: &[FileId], max_distance: u32) -> Result<MediaSummary> {
        let mut summary = MediaSummary::default();
        let targets = self.analysis_targets(files, &mut summary)?;
        if targets.is_empty() {
            return Ok(summary);
        }
        let analyses = analyze_all(self.store(), &targets);
        let matches = self.record_and_publish(&analyses, max_distance)?;
        summary.tally(analyses.into_iter().zip(matches).collect());
        Ok(summary)
    }

    /// The images, videos and audio files among `files`, with where to read
    /// them; a file with no readable location is a warning.
    fn analysis_targets(&self, files: &[FileId], summary: &mut MediaSummary) -> Result<Vec<(FileRecord, PathBuf)>> {
        let mut targets = Vec::new();
        for &f in files {
            let rec = self.file(f)?;
            if !(is_image(&rec.media_type) || is_video(&rec.media_type) || is_audio(&rec.media_type)) {
                continue;
            }
            match file_path(self.store(), &rec) {
                Some(p) => targets.push((rec, p)),
                None => summary.warnings.push(FileNote { file: f, message: "no readable location recorded".into() }),
            }
        }
        Ok(targets)
    }

    /// Record the batch with each file's near-duplicates among the files held
    /// before it (found inside the transaction by the same lookup as
    /// [`Catalog::similar`], so `add` reports what `similar` answers); then
    /// publish the thumbnails whose rows are new and discard the rest
    /// (identical ones already held). A failed transaction discards every
    /// staged thumbnail. Returns each analysis's matches.
    fn record_and_publish(&mut self, batch: &[Analysis], max_distance: u32) -> Result<Vec<Vec<Match>>> {
        let staged: Vec<Vec<Staged>> =
            batch.iter().map(|a| a.derived.iter().map(|d| d.staged.clone()).collect()).collect();
        let recorded = self.write(|w| fpdb::record(w, batch, max_distance));
        let store = self.store();
        let (inserted, matches) = match recorded {
            Ok(r) => r,
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
        Ok(matches)
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

    /// Near-duplicates of `file` (by picture, closest first, then by sound).
    pub fn similar(&self, file: FileId, max_distance: u32) -> Result<Vec<Match>> {
        let rec = self.file(file)?;
        let own = self.fingerprints_of(file)?;
        let audio = fpdb::audio_of(self.conn(), file)?;
        if own.is_empty() && audio.is_none() {
            let why = match self.analysis_of(file)? {
                Some(a) => a.note.unwrap_or_else(|| format!("analysis status {}", a.status)),
                None if is_image(&rec.media_type) || is_video(&rec.media_type) || is_audio(&rec.media_type) => {
                    "it has not been analysed; run `evcat fingerprint --missing`".into()
                }
                None => format!("{} files are not fingerprinted", rec.media_type),
            };
            return Err(Error::Conflict(format!("{file} has no fingerprints: {why}")));
        }
        let frames: Vec<FrameHash> = own.iter().map(|f| f.frame).collect();
        let video = is_video(&rec.media_type);
        let frames = usable(&frames, video);
        let query = fpdb::Query { frames: &frames, video, audio: audio.as_ref() };
        fpdb::matches(self.conn(), &query, max_distance, |f| f != file)
    }

    /// The stretch of `evidence`'s file that `file` matches (the longest
    /// matched segment, in that file's time), for `link --from-match`.
    pub fn matched_range(&self, file: FileId, evidence: EvidenceId) -> Result<TimeRange> {
        self.evidence(evidence)?;
        let held: HashSet<FileId> = self.file_ids_of(evidence)?.into_iter().collect();
        let matches = self.similar(file, DEFAULT_MAX_DISTANCE)?;
        let into: Vec<&Match> = matches.iter().filter(|m| held.contains(&m.file)).collect();
        if into.is_empty() {
            return Err(Error::Conflict(format!("{file} matches no file of {evidence} (see `evcat similar {file}`)")));
        }
        into.iter()
            .flat_map(|m| m.segments.iter())
            .max_by_key(|g| (g.other_end_ms - g.other_start_ms, std::cmp::Reverse(g.other_start_ms)))
            .map(|g| TimeRange { start_ms: g.other_start_ms, end_ms: g.other_end_ms })
            .ok_or_else(|| {
                Error::Conflict(format!(
                    "{file} matches {evidence}, but not in matched time segments (videos and audio only)"
                ))
            })
    }

    /// Clusters of near-duplicates across the catalog (connected components).
    pub fn similar_all(&self, max_distance: u32) -> Result<Vec<Cluster>> {
        Ok(self.fingerprint_set()?.clusters(max_distance))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::{Part, Transform};
    use crate::ingest::{AddOptions, NoProgress};
    use proptest::prelude::*;

    /// A hash near one of a few centres (so batches hold real near-duplicates).
    fn near_hash(centre: u8, flips: &[u16]) -> [u8; 32] {
        let mut h: [u8; 32] =
            std::array::from_fn(|i| (i as u8).wrapping_mul(73).wrapping_add(centre.wrapping_mul(151)));
        for &b in flips {
            h[(b / 8) as usize % 32] ^= 1 << (b % 8);
        }
        h
    }

    const PARTS: [Part; 4] =
        [Part::Whole, Part::Trimmed, Part::Cut(crate::fingerprint::parts::Side::Left, 12), Part::Centre(90)];

    fn analysis(file: FileId, prints: &[(u8, Vec<u16>, usize, bool)]) -> Analysis {
        let mut a = Analysis::new(file, false);
        for (centre, flips, part, mirrored) in prints {
            let transform = if *mirrored { Transform::Mirror } else { Transform::Identity };
            let part = if *mirrored { Part::Whole } else { PARTS[part % PARTS.len()] };
            let frame = FrameHash {
                frame_index: 0,
                frame_ms: None,
                part,
                transform,
                hash: near_hash(*centre, flips),
                quality: 60,
            };
            if !a.frames.iter().any(|f| f.part == part && f.transform == transform) {
                a.frames.push(frame);
            }
        }
        a
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        /// What `add` reports for each new file is exactly what `similar`
        /// answers about it, restricted to the files held before it: the
        /// catalog and the files earlier in its batch.
        #[test]
        fn add_reports_what_similar_finds(
            batches in prop::collection::vec(
                prop::collection::vec(
                    prop::collection::vec((0u8..4, prop::collection::vec(0u16..256, 0..24), 0usize..4, any::<bool>()), 1..4),
                    1..5),
                1..4),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut cat = Catalog::init(&dir.path().join("cat"), "tester", None).unwrap();
            let n: usize = batches.iter().map(Vec::len).sum();
            let paths: Vec<PathBuf> = (0..n)
                .map(|i| {
                    let p = dir.path().join(format!("f{i:02}.txt"));
                    std::fs::write(&p, format!("file {i}")).unwrap();
                    p
                })
                .collect();
            let opts = AddOptions { analysis: AnalysisOptions { enabled: false }, ..Default::default() };
            let report = cat.add_paths(&paths, &opts, &NoProgress).unwrap();
            prop_assert_eq!(report.registered as usize, n);
            let mut next = 1;
            for batch in &batches {
                let analyses: Vec<Analysis> = batch
                    .iter()
                    .map(|prints| {
                        next += 1;
                        analysis(FileId(next - 1), prints)
                    })
                    .collect();
                let reported = cat.record_and_publish(&analyses, DEFAULT_MAX_DISTANCE).unwrap();
                for (a, got) in analyses.iter().zip(&reported) {
                    let before = |f: FileId| f.0 < a.file.0;
                    let want: Vec<Match> =
                        cat.similar(a.file, DEFAULT_MAX_DISTANCE).unwrap().into_iter().filter(|m| before(m.file)).collect();
                    prop_assert_eq!(serde_json::to_value(got).unwrap(), serde_json::to_value(&want).unwrap());
                }
            }
        }
    }
}
