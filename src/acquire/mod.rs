//! Acquisition as archivists do it: the records their tools leave, read as
//! provenance instead of typed by hand.
//!
//! - [`sidecar`]: yt-dlp `.info.json` (beside the file or embedded in it),
//!   gallery-dl and Instaloader metadata (`.json` or the default `.json.xz`),
//!   auto-archiver `metadata.json` (pure parsers, one per format);
//! - [`attach`]: how `add` pairs media files with their sidecars (or finds
//!   the info.json attached to a Matroska file) and merges a sidecar's facts
//!   with what the person gave;
//! - [`wacz`]: WACZ web captures: package verification, pages, the archived
//!   media in their WARCs (and extracting it as files derived from the WACZ).
//!
//! What a tool recorded lands in the evidence's provenance columns (source
//! `sidecar`), the file's acquisition columns (`acquired_at`, `method`,
//! `tool`) and, for the rest, the file's [`AcquisitionRecord`]
//! (`file.acquisition`), which `show`, `trace`, PROV and the report display.
//!
//! [`AcquisitionRecord`]: crate::catalog::files::AcquisitionRecord

pub mod attach;
pub mod sidecar;
pub mod wacz;
