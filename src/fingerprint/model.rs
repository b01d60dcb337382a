//! The plain data of media analysis, shared by the analysers in this module
//! and the SQL in `catalog/fingerprints.rs`. Depends on nothing in `catalog`,
//! so the catalog can store these values without a cycle back to it.

use serde::Serialize;

use super::audio::AudioPrint;
use super::hints::Hint;
use super::parts::{Part, Transform};
use super::pdq;
use crate::hash::Sha256;
use crate::ids::FileId;
use crate::store::Staged;

/// One perceptual hash: of a part of a still image (index 0, no time) or
/// of a keyframe (its ordinal and time), possibly rotated or flipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FrameHash {
    pub frame_index: u32,
    pub frame_ms: Option<u64>,
    pub part: Part,
    pub transform: Transform,
    #[serde(serialize_with = "ser_hex")]
    pub hash: pdq::Hash256,
    pub quality: u8,
}

fn ser_hex<S: serde::Serializer>(h: &pdq::Hash256, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(h))
}

/// SHA-256 over the hashes in frame order (what the custody event attests);
/// a hash of a part or under a transform is preceded by their names.
pub fn digest(frames: &[FrameHash]) -> String {
    let mut bytes = Vec::with_capacity(frames.len() * 32);
    for f in frames {
        if f.part != Part::Whole || f.transform != Transform::Identity {
            bytes.extend_from_slice(format!("{}/{}:", f.part.name(), f.transform.as_str()).as_bytes());
        }
        bytes.extend_from_slice(&f.hash);
    }
    Sha256::of_bytes(&bytes).to_hex()
}

/// One fingerprint as the catalog stores it: a [`FrameHash`] with its file.
#[derive(Debug, Clone, Copy)]
pub struct StoredFingerprint {
    pub file: FileId,
    pub frame: FrameHash,
}

impl StoredFingerprint {
    /// The frames of one analysis as stored rows.
    pub fn of_frames(file: FileId, frames: &[FrameHash]) -> Vec<StoredFingerprint> {
        frames.iter().map(|&frame| StoredFingerprint { file, frame }).collect()
    }
}

/// How analysing one file ended (`media_analysis.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    /// A video, but no ffmpeg on PATH.
    NoFfmpeg,
    /// Over the size limits; not decoded.
    Refused,
    /// Could not be decoded.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NoFfmpeg => "no-ffmpeg",
            Status::Refused => "refused",
            Status::Failed => "failed",
        }
    }
}

/// What a derived object is (`derived_object.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DerivedKind {
    Thumbnail,
    Poster,
    ContactSheet,
}

impl DerivedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DerivedKind::Thumbnail => "thumbnail",
            DerivedKind::Poster => "poster",
            DerivedKind::ContactSheet => "contact-sheet",
        }
    }
}

/// A derived object staged in the store, published once its row commits.
#[derive(Debug, Clone)]
pub struct Derived {
    pub kind: DerivedKind,
    pub sha256: Sha256,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    pub staged: Staged,
}

/// Everything analysing one file produced.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub file: FileId,
    pub method: String,
    pub version: String,
    pub status: Status,
    pub note: Option<String>,
    pub is_video: bool,
    pub frames: Vec<FrameHash>,
    /// The Chromaprint fingerprint of the first audio stream (videos and audio files).
    pub audio: Option<AudioPrint>,
    pub derived: Vec<Derived>,
    pub hints: Vec<Hint>,
}

impl Analysis {
    /// A fresh, successful analysis with nothing found yet.
    pub(crate) fn new(file: FileId, is_video: bool) -> Analysis {
        Analysis {
            file,
            method: super::METHOD.into(),
            version: super::VERSION.into(),
            status: Status::Ok,
            note: None,
            is_video,
            frames: Vec::new(),
            audio: None,
            derived: Vec::new(),
            hints: Vec::new(),
        }
    }

    /// End the analysis with `status` and why.
    pub(crate) fn fail(&mut self, status: Status, note: impl Into<String>) {
        self.status = status;
        self.note = Some(note.into());
    }
}

/// Media types media analysis handles (images, videos, audio files).
pub(crate) fn is_image(media_type: &str) -> bool {
    media_type.starts_with("image/")
}

pub(crate) fn is_video(media_type: &str) -> bool {
    media_type.starts_with("video/")
}

pub(crate) fn is_audio(media_type: &str) -> bool {
    media_type.starts_with("audio/")
}
