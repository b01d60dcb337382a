//! What media analysis reports: [`MediaSummary`] (part of the `add` report
//! and the whole `fingerprint` report), built from a batch's analyses and
//! their matches.

use serde::Serialize;

use super::hints::Hint;
use super::matching::{LooksLike, Match};
use super::model::{Analysis, Status};
use crate::ids::FileId;

/// A near-duplicate found while adding: `file` looks like `of`.
#[derive(Debug, Clone, Serialize)]
pub struct NearDuplicate {
    pub file: FileId,
    pub of: FileId,
    pub distance: u32,
    pub frames_matched: u32,
    pub frames_total: u32,
    pub looks_like: LooksLike,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileNote {
    pub file: FileId,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileHints {
    pub file: FileId,
    pub hints: Vec<Hint>,
}

/// What media analysis did during one `add` (part of the add report).
#[derive(Debug, Clone, Default, Serialize)]
pub struct MediaSummary {
    /// Image, video and audio files analysed.
    pub analyzed: u64,
    /// Of those, files that got fingerprints.
    pub fingerprinted: u64,
    /// Catalog-wide notices, each once (e.g. ffmpeg missing).
    pub notices: Vec<String>,
    pub near_duplicates: Vec<NearDuplicate>,
    pub transcode_hints: Vec<FileHints>,
    /// Per-file problems (refused, undecodable); the files are registered.
    pub warnings: Vec<FileNote>,
}

impl MediaSummary {
    pub fn merge(&mut self, other: MediaSummary) {
        self.analyzed += other.analyzed;
        self.fingerprinted += other.fingerprinted;
        for n in other.notices {
            if !self.notices.contains(&n) {
                self.notices.push(n);
            }
        }
        self.near_duplicates.extend(other.near_duplicates);
        self.transcode_hints.extend(other.transcode_hints);
        self.warnings.extend(other.warnings);
    }

    pub fn is_empty(&self) -> bool {
        self.analyzed == 0 && self.notices.is_empty()
    }

    /// The summary of an analysis that could not be recorded (`add` goes on).
    pub(crate) fn not_recorded(error: impl std::fmt::Display) -> MediaSummary {
        MediaSummary {
            notices: vec![format!(
                "media analysis was not recorded ({error}); the files are registered; run `evcat fingerprint --missing` to retry"
            )],
            ..Default::default()
        }
    }

    /// Count a recorded batch of analyses and their matches: fingerprinted
    /// files, per-file warnings, hints, near-duplicates, and one notice for
    /// all the videos analysed without ffmpeg.
    pub(crate) fn tally(&mut self, batch: Vec<(Analysis, Vec<Match>)>) {
        let mut no_ffmpeg = 0;
        for (a, matches) in batch {
            self.analyzed += 1;
            if !a.frames.is_empty() || a.audio.is_some() {
                self.fingerprinted += 1;
            }
            match a.status {
                Status::NoFfmpeg => no_ffmpeg += 1,
                Status::Refused | Status::Failed => self.warnings.push(FileNote {
                    file: a.file,
                    message: a.note.clone().unwrap_or_else(|| "not fingerprinted".into()),
                }),
                Status::Ok => {
                    if let Some(n) = &a.note {
                        self.warnings.push(FileNote { file: a.file, message: n.clone() });
                    }
                }
            }
            if !a.hints.is_empty() {
                self.transcode_hints.push(FileHints { file: a.file, hints: a.hints.clone() });
            }
            for m in matches {
                self.near_duplicates.push(NearDuplicate {
                    file: a.file,
                    of: m.file,
                    distance: m.distance,
                    frames_matched: m.frames_matched,
                    frames_total: m.frames_total,
                    looks_like: m.looks_like,
                    message: m.describe(a.file),
                });
            }
        }
        if no_ffmpeg > 0 {
            self.notices.push(format!(
                "ffmpeg not found on PATH: {no_ffmpeg} video or audio file(s) recorded without keyframe or audio fingerprints or thumbnails; install ffmpeg, then run `evcat fingerprint --missing`"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::model::FrameHash;

    fn analysis(file: i64, status: Status, note: Option<&str>, frames: usize) -> Analysis {
        let mut a = Analysis::new(FileId(file), status == Status::NoFfmpeg);
        a.status = status;
        a.note = note.map(str::to_string);
        a.frames = (0..frames)
            .map(|i| FrameHash {
                frame_index: i as u32,
                frame_ms: None,
                part: crate::fingerprint::Part::Whole,
                transform: crate::fingerprint::Transform::Identity,
                hash: [i as u8; 32],
                quality: 90,
            })
            .collect();
        a
    }

    #[test]
    fn tally_counts_warns_and_says_no_ffmpeg_once() {
        let near = Match {
            file: FileId(1),
            distance: 4,
            frames_matched: 3,
            frames_total: 3,
            other_frames_matched: 3,
            other_frames_total: 3,
            looks_like: LooksLike::NearDuplicate,
            how: vec![],
            segments: vec![],
            query_ms: None,
            audio: None,
        };
        let batch = vec![
            (analysis(2, Status::Ok, None, 3), vec![near]),
            (analysis(3, Status::Ok, Some("thumbnail not stored: disk full"), 3), vec![]),
            (analysis(4, Status::Refused, Some("too big"), 0), vec![]),
            (analysis(5, Status::Failed, None, 0), vec![]),
            (analysis(6, Status::NoFfmpeg, Some("no ffmpeg"), 0), vec![]),
            (analysis(7, Status::NoFfmpeg, Some("no ffmpeg"), 0), vec![]),
        ];
        let mut s = MediaSummary::default();
        s.tally(batch);
        assert_eq!((s.analyzed, s.fingerprinted), (6, 2));
        let warned: Vec<(i64, &str)> = s.warnings.iter().map(|w| (w.file.0, w.message.as_str())).collect();
        assert_eq!(warned, [(3, "thumbnail not stored: disk full"), (4, "too big"), (5, "not fingerprinted")]);
        assert_eq!(s.notices.len(), 1);
        assert!(s.notices[0].starts_with("ffmpeg not found on PATH: 2 video or audio file(s)"), "{:?}", s.notices);
        assert_eq!(s.near_duplicates.len(), 1);
        assert_eq!(s.near_duplicates[0].message, "F2 looks like a near-duplicate of F1: PDQ distance 4");

        // Merging keeps each notice once.
        let mut total = MediaSummary::default();
        total.merge(s.clone());
        total.merge(s);
        assert_eq!((total.analyzed, total.notices.len(), total.warnings.len()), (12, 1, 6));
    }
}
