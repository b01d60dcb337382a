//! Media intelligence: perceptual fingerprints (PDQ) of images and video
//! keyframes, audio fingerprints (Chromaprint) of videos and audio files, near-duplicate matching, thumbnails and platform transcode
//! hints. Pure: nothing here touches the database. `catalog/fingerprints.rs`
//! stores what this module computes, and `crate::analysis` holds the
//! `Catalog` methods that run it over held files.
//!
//! - [`model`]: the plain data shared with the catalog (`FrameHash`, `Analysis`, ...).
//! - [`analyze`]: one file to an [`Analysis`]: decode under limits, hash, stage thumbnails.
//! - [`matching`]: the match rule, the in-memory [`FingerprintSet`], clusters.
//! - [`summary`]: what analysis reports ([`MediaSummary`]).
//! - [`parts`]: which parts and orientations of a picture are hashed (trimmed borders, cuts, dihedral).
//! - [`pdq`]: the PDQ hash, from the published specification.
//! - [`index`]: multi-index hashing over 256-bit hashes (exact radius search).
//! - [`video`]: keyframes through the `ffmpeg` on PATH (bounded frames and time).
//! - [`audio`]: Chromaprint audio fingerprints (ffmpeg-decoded PCM) and their match rule.
//! - [`thumbs`]: thumbnail, poster and contact-sheet JPEGs (derived objects).
//! - [`hints`]: metadata signs of a platform re-encode.

pub mod analyze;
pub mod audio;
pub mod hints;
pub mod index;
pub mod matching;
pub mod model;
pub mod parts;
pub mod pdq;
pub mod summary;
pub mod thumbs;
pub mod video;

pub use analyze::{fingerprint_image_file, hash_rgb, still_hashes, MAX_PIXELS};
pub use matching::{Cluster, FingerprintSet, LooksLike, Match, Pair};
pub use model::{digest, Analysis, Derived, DerivedKind, FrameHash, Status, StoredFingerprint};
pub use parts::{Part, Transform};
pub use summary::{FileHints, FileNote, MediaSummary, NearDuplicate};

/// Fingerprint method stored with every hash.
pub const METHOD: &str = "pdq";
/// Version of evcat's fingerprinting: the PDQ reference algorithm on the
/// oriented image box-averaged to at most 512×512 pixels' worth, of the
/// whole picture, its trimmed content, two centred crops and one-side cuts
/// (`parts`), with the dihedral variants of whole and trimmed; videos sampled
/// at 1 frame/s plus scene changes (score > 0.4), at most 120 frames, decoded
/// by ffmpeg to ≤ 320 px RGB, each hashed whole and trimmed, with its mirror
/// image; stills whose borders were trimmed also get the one-side cuts of
/// the trimmed content. Change it whenever hashes could change.
/// (`evcat-pdq-1`: whole picture and centred crops only, reduced above 2 MP;
/// `evcat-pdq-2`: flat lines of any level trimmed as border, no cuts of the
/// trimmed content, video samples one second after the last selected frame.
/// Whole-picture hashes are computed alike in all three and still match.)
pub const VERSION: &str = "evcat-pdq-3";
/// Default largest per-frame PDQ distance (of 256 bits) that counts as a
/// match. ThreatExchange suggests 31 for PDQ; evcat's tests show resized and
/// recompressed copies, 10 % crops and brightness changes of photos and
/// lower-resolution re-encodes of videos within it, unrelated pictures
/// beyond 70 (see tests/fingerprints.rs).
pub const DEFAULT_MAX_DISTANCE: u32 = 31;
/// Frames (video keyframes) whose PDQ quality is below this are stored but
/// not matched on: black, white or fading frames look alike in every video.
pub const MIN_FRAME_QUALITY: u8 = pdq::MIN_QUALITY;
/// Still images below this quality are not matched on (near-flat pictures).
pub const MIN_IMAGE_QUALITY: u8 = 5;
