//! evcat: a media-evidence catalog.
//!
//! The library holds everything; the `evcat` binary is a thin layer over it.
//! Start at [`Catalog`]: `Catalog::init` / `Catalog::open`, then
//! [`Catalog::add_paths`] to register files, [`Catalog::write`] is the one
//! mutation path through which every change appends a signed custody event.
//!
//! Module map (see ARCHITECTURE.md for invariants):
//! - [`catalog`]: SQLite catalog, one module per aggregate; all SQL lives here.
//! - [`store`]: content-addressed, write-once object store.
//! - [`hash`]: streaming SHA-256.
//! - [`media`]: magic-byte sniffing and header-only metadata (EXIF, MP4).
//! - [`articles`]: article import, sentence splitting, evidence-reference detection.
//! - [`custody`]: canonical event encoding, hash chain, ed25519 signatures.
//! - [`ingest`]: the `add` pipeline.
//! - [`acquire`]: records of the archivists' tools: downloader sidecars, foreign bags, hashdeep lists.
//! - [`audit`]: fixity, chain and record-integrity verification.
//! - [`fingerprint`]: perceptual fingerprints (PDQ), the near-duplicate rule, thumbnails (pure).
//! - [`analysis`]: media analysis of held files and near-duplicate search over the catalog.
//! - [`export`]: BagIt export/import, W3C PROV, ClaimReview, CSV and the HTML report.
//! - [`timestamp`]: RFC 3161 time-stamp tokens and OpenTimestamps proofs (trusted time).

pub mod acquire;
pub mod analysis;
pub mod articles;
pub mod audit;
pub mod catalog;
pub mod custody;
pub mod error;
pub mod export;
pub mod fingerprint;
pub mod hash;
pub mod ids;
pub mod ingest;
pub mod media;
pub mod serve;
pub mod store;
pub mod timefmt;
pub mod timestamp;

pub use catalog::{ActorOptions, Catalog};
pub use error::{Error, Result};
pub use hash::Sha256;
