//! How `add` pairs media files with their sidecars and turns a sidecar into
//! provenance: the helpers `ingest` calls in its three phases (walk, prepare
//! in parallel, record in the batch transaction).
//!
//! A sidecar is found by the tools' naming rules ([`SidecarFormat::by_name`])
//! on disk beside each media file, so `evcat add clip.mp4` finds
//! `clip.info.json` without being told, and a folder's sidecars are not
//! registered as unrelated documents. Its bytes are registered as a file of
//! the same evidence item, derived from the media file (`how: sidecar`), so
//! they are hashed, stored, audited and exported like any file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::sidecar::{self, SidecarFacts, SidecarFormat, XzError, MAX_SIDECAR_BYTES};
use crate::catalog::evidence::{Provenance, ProvenanceField, Source};
use crate::catalog::files::{Acquisition, AcquisitionRecord, RecordFile};
use crate::error::{Error, Result};

/// A sidecar found beside a media file.
#[derive(Debug, Clone, PartialEq)]
pub struct SidecarRef {
    pub path: PathBuf,
    pub format: SidecarFormat,
}

/// The sidecar of each path (by index), and the paths that are someone's
/// sidecar (to be left out of the walk's list of files).
pub fn pair(paths: &[PathBuf]) -> (Vec<Option<SidecarRef>>, HashSet<PathBuf>) {
    let mut listed_by_dir: HashMap<PathBuf, Vec<String>> = HashMap::new();
    let mut found = Vec::with_capacity(paths.len());
    let mut used = HashSet::new();
    for p in paths {
        let sc = sidecar_of(p, &mut listed_by_dir);
        if let Some(s) = &sc {
            used.insert(s.path.clone());
        }
        found.push(sc);
    }
    // A file that is a sidecar is not also a media file with its own sidecar.
    for (p, sc) in paths.iter().zip(found.iter_mut()) {
        if used.contains(p) {
            *sc = None;
        }
    }
    (found, used)
}

fn sidecar_of(media: &Path, listed_by_dir: &mut HashMap<PathBuf, Vec<String>>) -> Option<SidecarRef> {
    let name = media.file_name()?.to_str()?;
    if name.ends_with(".json") || name.ends_with(".json.xz") {
        return None;
    }
    let dir = media.parent().unwrap_or(Path::new(""));
    for candidate in SidecarFormat::candidates(name) {
        let path = dir.join(&candidate);
        let Some(format) = SidecarFormat::by_name(name, &candidate) else { continue };
        if !path.is_file() {
            continue;
        }
        let claims = match format {
            // A plain NAME.json is Instaloader's only if it says so; NAME.json.xz
            // beside NAME.EXT is Instaloader's by name (no other tool writes
            // it), so a broken or oversized one fails the pair, by name.
            SidecarFormat::Instaloader if candidate.ends_with(".xz") => true,
            SidecarFormat::Instaloader => read_capped(&path).is_ok_and(|b| sidecar::is_instaloader(&b)),
            // metadata.json covers the media it lists.
            SidecarFormat::AutoArchiver => listed_by_dir
                .entry(dir.to_path_buf())
                .or_insert_with(|| read_capped(&path).map(|b| sidecar::named_media(&b)).unwrap_or_default())
                .iter()
                .any(|n| n == name),
            _ => true,
        };
        if claims {
            return Some(SidecarRef { path, format });
        }
    }
    None
}

/// A sidecar's bytes, refused above [`MAX_SIDECAR_BYTES`].
pub fn read_capped(path: &Path) -> Result<Vec<u8>> {
    let f = fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    let mut buf = Vec::new();
    f.take(MAX_SIDECAR_BYTES + 1).read_to_end(&mut buf).map_err(|e| Error::io("read", path, e))?;
    if buf.len() as u64 > MAX_SIDECAR_BYTES {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: format!("sidecar larger than {} MB; not read", MAX_SIDECAR_BYTES >> 20),
        });
    }
    Ok(buf)
}

/// The attachment name and mime type yt-dlp's `--embed-info-json` gives the
/// info.json (FFmpegMetadataPP: `-attach INFOJSON -metadata:s:N
/// mimetype=application/json -metadata:s:N filename=info.json`, for `.mkv`
/// and `.mka` only; MP4 and WebM get no attachment).
pub const EMBEDDED_INFO_JSON: (&str, &str) = ("info.json", "application/json");

/// yt-dlp's info.json embedded in a Matroska media file (read at `path`, the
/// bytes that were hashed), as the facts of a sidecar and the record naming
/// the attachment; `Ok(None)` when the file is not Matroska or attaches no
/// info.json. `Err` is a warning for the file: the attachment is there but
/// unreadable, too large or not a yt-dlp record. The file is the evidence
/// whatever its attachment says, so it is still registered.
pub fn embedded(
    path: &Path,
    media_type: &str,
    media_name: &str,
) -> std::result::Result<Option<(SidecarFacts, RecordFile)>, String> {
    if !(media_type.ends_with("/x-matroska") || media_type.ends_with("/webm")) {
        return Ok(None);
    }
    let (name, mime) = EMBEDDED_INFO_JSON;
    let found =
        crate::media::matroska_attachment(path, |n, m| n == name && m.eq_ignore_ascii_case(mime), MAX_SIDECAR_BYTES)
            .map_err(|e| format!("the info.json attached to {media_name} could not be read: {e}"))?;
    let Some(att) = found else { return Ok(None) };
    let Some(bytes) = att.data else {
        return Err(format!(
            "the info.json attached to {media_name} states {} bytes (the limit is {} MB, or the file ends sooner); not read",
            att.size,
            MAX_SIDECAR_BYTES >> 20
        ));
    };
    let mut facts = sidecar::parse_embedded(&bytes)
        .map_err(|e| format!("the info.json attached to {media_name}: {}; its provenance was not taken", e.0))?;
    facts.fields.insert("embedded_in".into(), format!("{media_name} (Matroska attachment {name}, {mime})"));
    let (sha, _) = crate::hash::hash_reader(&bytes[..]).map_err(|e| e.to_string())?;
    Ok(Some((facts, RecordFile { name: att.name, sha256: sha.to_hex() })))
}

/// Parse the sidecar bytes of `media_name` (decompressed first for a
/// `.json.xz`), naming the sidecar in the error.
pub fn parse(sc: &SidecarRef, bytes: &[u8], media_name: &str) -> Result<SidecarFacts> {
    let unpacked;
    let json = if sc.path.extension().is_some_and(|e| e == "xz") {
        unpacked = sidecar::xz_decompress(bytes, MAX_SIDECAR_BYTES).map_err(|e| match e {
            XzError::TooLarge => Error::DecompressionLimit { path: sc.path.clone(), limit: MAX_SIDECAR_BYTES },
            XzError::Invalid(why) => {
                Error::Unsupported { path: sc.path.clone(), reason: format!("{why} (sidecar of {media_name})") }
            }
        })?;
        &unpacked[..]
    } else {
        bytes
    };
    sidecar::parse(sc.format, json, media_name)
        .map_err(|e| Error::Unsupported { path: sc.path.clone(), reason: format!("{} (sidecar of {media_name})", e.0) })
}

/// The new evidence item's provenance: the person's values, then the
/// sidecar's for the fields left empty; the sources of those fields.
pub fn provenance(user: &Provenance, facts: &SidecarFacts) -> (Provenance, Vec<(ProvenanceField, Source)>) {
    let mut prov = user.clone();
    let taken = prov.fill_from(&facts.provenance);
    (prov, taken.into_iter().map(|f| (f, Source::Sidecar)).collect())
}

/// The file's acquisition: the person's values, then the sidecar's
/// (`acquired_at`, `method`, `tool`, source `sidecar`), and the record.
pub fn acquisition(
    user: &Acquisition,
    facts: &SidecarFacts,
    record: RecordFile,
    media_sha256: &str,
) -> (Acquisition, Vec<String>) {
    let mut acq = user.clone();
    let mut warnings = Vec::new();
    let take =
        |mine: &mut Option<String>, theirs: Option<String>, field: &str, sources: &mut BTreeMap<String, Source>| {
            if mine.is_none() && theirs.is_some() {
                *mine = theirs;
                sources.insert(field.to_string(), Source::Sidecar);
            }
        };
    let mut sources = acq.sources.clone();
    take(&mut acq.acquired_at, facts.acquired_at.clone(), "acquired_at", &mut sources);
    take(&mut acq.method, facts.method.map(str::to_string), "method", &mut sources);
    take(&mut acq.tool, facts.tool.clone(), "tool", &mut sources);
    acq.sources = sources;
    let mut fields = facts.fields.clone();
    if let Some((algo, hex)) = &facts.recorded_hash {
        fields.insert("recorded_hash".into(), format!("{algo}:{hex}"));
        let verdict = if algo == "SHA-256" || algo == "SHA256" {
            if hex == media_sha256 {
                "verified"
            } else {
                warnings.push(format!(
                    "{} records SHA-256 {hex} for this file, but its bytes hash to {media_sha256}",
                    record.name
                ));
                "mismatch"
            }
        } else {
            warnings.push(format!("{} records a {algo} hash, which evcat cannot check", record.name));
            "not checked"
        };
        fields.insert("recorded_hash_check".into(), verdict.into());
    }
    acq.record = Some(AcquisitionRecord { format: facts.format.as_str().to_string(), record: Some(record), fields });
    (acq, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecars_pair_by_the_tools_naming_rules_and_leave_the_walk() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let w = |n: &str, b: &[u8]| {
            fs::write(d.join(n), b).unwrap();
            d.join(n)
        };
        let clip = w("clip [1].mp4", b"v");
        let info = w("clip [1].info.json", b"{}");
        let pic = w("2_1.jpg", b"i");
        let meta = w("2_1.jpg.json", b"{}");
        let loose = w("notes.mp4", b"n");
        let plain = w("notes.json", b"{\"not\": \"instaloader\"}");
        let post = w("2026-03-14_13-52-00_UTC.mp4", b"p");
        let insta = w("2026-03-14_13-52-00_UTC.json", b"{\"node\": {}, \"instaloader\": {\"version\": \"4.16\"}}");
        let packed_post = w("2026-03-15_08-00-00_UTC.mp4", b"q");
        let packed = w("2026-03-15_08-00-00_UTC.json.xz", b"claimed by name, read later");
        let paths = vec![
            clip.clone(),
            info.clone(),
            pic.clone(),
            meta.clone(),
            loose.clone(),
            plain.clone(),
            post,
            insta.clone(),
            packed_post,
            packed.clone(),
        ];
        let (found, used) = pair(&paths);
        assert_eq!(found[0], Some(SidecarRef { path: info.clone(), format: SidecarFormat::YtDlp }));
        assert_eq!(found[2], Some(SidecarRef { path: meta.clone(), format: SidecarFormat::GalleryDl }));
        assert_eq!(found[4], None, "a plain NAME.json that is not Instaloader's stays a file of its own");
        assert_eq!(found[6], Some(SidecarRef { path: insta.clone(), format: SidecarFormat::Instaloader }));
        assert_eq!(found[8], Some(SidecarRef { path: packed.clone(), format: SidecarFormat::Instaloader }));
        assert_eq!(found[9], None, "a sidecar is not a media file with a sidecar of its own");
        assert_eq!(used, HashSet::from([info, meta, insta, packed]));
        assert!(!used.contains(&plain));
    }

    #[test]
    fn auto_archiver_metadata_covers_the_media_it_lists() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("a.mp4"), b"a").unwrap();
        fs::write(d.join("b.mp4"), b"b").unwrap();
        let listed = br#"{"status": "success", "metadata": {"url": "https://t.me/c/1"}, "media": [{"filename": "/tmp/x/a.mp4", "properties": {}}]}"#;
        fs::write(d.join("metadata.json"), listed).unwrap();
        let (found, _) = pair(&[d.join("a.mp4"), d.join("b.mp4")]);
        assert_eq!(found[0].as_ref().map(|s| s.format), Some(SidecarFormat::AutoArchiver));
        assert_eq!(found[1], None, "b.mp4 is not in its media list");
    }
}
