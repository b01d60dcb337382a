//! SQL for media intelligence (the values come from `crate::fingerprint`,
//! which knows nothing of the catalog): fingerprints and their persisted band
//! index, audio fingerprints and their word index, analysis status and
//! hints, derived objects, similarity.
//! Derivations confirmed by a person are in `lineage.rs`.
//!
//! `fingerprint`, `media_analysis`, `derived_object` and `similarity` hold
//! derived, recomputable data; they are written inside `Catalog::write`
//! together with one custody event that attests them.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use serde_json::{json, Value};

use super::{now, Catalog, Writer};
use crate::custody::Action;
use crate::error::{Error, Result};
use crate::fingerprint::audio::{self, AudioPrint};
use crate::fingerprint::matching::{file_match, min_quality, sort_matches, usable, Match};
use crate::fingerprint::model::{digest, is_video, Analysis, FrameHash, StoredFingerprint};
use crate::fingerprint::parts::{Part, Transform};
use crate::fingerprint::pdq;
use crate::ids::FileId;

/// A derived object row.
#[derive(Debug, Clone, Serialize)]
pub struct DerivedObject {
    pub file: FileId,
    pub kind: String,
    pub sha256: String,
    pub media_type: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub size: u64,
}

/// A `derived_object` row from `SELECT file_id, kind, sha256, media_type, width, height, size`.
fn derived_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DerivedObject> {
    Ok(DerivedObject {
        file: FileId(r.get(0)?),
        kind: r.get(1)?,
        sha256: r.get(2)?,
        media_type: r.get(3)?,
        width: r.get(4)?,
        height: r.get(5)?,
        size: r.get::<_, i64>(6)?.max(0) as u64,
    })
}

/// A file's analysis row.
#[derive(Debug, Clone, Serialize)]
pub struct AnalysisRow {
    pub file: FileId,
    pub status: String,
    pub note: Option<String>,
    pub method: String,
    pub version: String,
    pub frames: u32,
    pub hints: serde_json::Value,
    pub analyzed_at: String,
}

/// A recorded `similar-to` relation.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarityRow {
    pub file: FileId,
    pub other: FileId,
    pub distance: u32,
    pub frames_matched: u32,
    pub frames_total: u32,
    pub looks_like: String,
    pub created_at: String,
}

/// One stored fingerprint as `show` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct FingerprintRow {
    pub method: String,
    pub version: String,
    /// 0 for a still, the keyframe's ordinal for a video.
    pub frame_index: u32,
    /// Which part of the picture: `whole`, `trimmed`, `crop-90`, `cut-left-12`, ...
    pub part: String,
    /// `identity`, or the rotation or flip the hash is of (query-side only, not indexed).
    pub transform: String,
    /// Time of a video keyframe in the file; none for stills.
    pub frame_ms: Option<u64>,
    /// The 256-bit hash, 64 lowercase hex digits.
    pub hash: String,
    pub quality: u8,
}

/// A stored audio fingerprint as `show` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct AudioFingerprintRow {
    pub method: String,
    pub version: String,
    /// Length of the fingerprinted audio.
    pub duration_ms: u64,
    /// Chromaprint items (32-bit words, one per ~124 ms).
    pub items: u64,
    /// SHA-256 of the stored words (as attested by the custody event).
    pub sha256: String,
    /// The raw fingerprint, one unsigned 32-bit word per item (what
    /// `fpcalc -raw` prints, for comparing with other tools).
    pub words: Vec<u32>,
}

/// What media analysis recorded about one file (for `show`).
#[derive(Debug, Clone, Serialize)]
pub struct FileMedia {
    pub analysis: Option<AnalysisRow>,
    pub fingerprints: Vec<FingerprintRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_fingerprint: Option<AudioFingerprintRow>,
    /// Recorded `similar-to` relations, either direction, closest first.
    pub similar: Vec<SimilarityRow>,
    pub derived: Vec<DerivedObject>,
}

/// A stored row; a part or transform this version does not know (a newer
/// evcat's) reads as `None` and is left out of matching.
fn fp_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<StoredFingerprint>> {
    let blob: Vec<u8> = r.get(3)?;
    let mut hash = [0u8; 32];
    if blob.len() == 32 {
        hash.copy_from_slice(&blob);
    }
    let (part, transform): (String, String) = (r.get(5)?, r.get(6)?);
    let (Some(part), Some(transform)) = (Part::parse(&part), Transform::parse(&transform)) else { return Ok(None) };
    Ok(Some(StoredFingerprint {
        file: FileId(r.get(0)?),
        frame: FrameHash {
            frame_index: r.get::<_, i64>(1)?.clamp(0, u32::MAX as i64) as u32,
            frame_ms: r.get::<_, Option<i64>>(2)?.map(|v| v.max(0) as u64),
            part,
            transform,
            hash,
            quality: r.get::<_, i64>(4)?.clamp(0, 100) as u8,
        },
    }))
}

const FP_SELECT: &str = "SELECT file_id, frame_index, frame_ms, hash, quality, part, transform FROM fingerprint";
const FP_ORDER: &str = "ORDER BY file_id, frame_index, id";

/// Per analysis of a recorded batch: which derived objects were new, and its matches.
pub(crate) type Recorded = (Vec<Vec<bool>>, Vec<Vec<Match>>);

/// Record one batch of analyses, their derived objects (those not already
/// recorded), and their near-duplicates, plus one attesting custody event.
/// Each file's near-duplicates are found after every fingerprint of the
/// batch is written, by [`matches`] over the transaction: exactly what
/// `similar` answers, restricted to files held before it (the catalog and
/// the files earlier in the batch). Returns, per analysis, which derived
/// objects were newly recorded (the caller publishes those and discards the
/// rest) and its matches.
pub(crate) fn record(w: &mut Writer<'_>, batch: &[Analysis], max_distance: u32) -> Result<Recorded> {
    let created = now();
    let mut inserted_all = Vec::with_capacity(batch.len());
    let mut derived_all = Vec::with_capacity(batch.len());
    for a in batch {
        replace_fingerprints(w, a, &created)?;
        replace_audio(w, a, &created)?;
        record_analysis(w, a, &created)?;
        let (inserted, derived_json) = record_derived(w, a, &created)?;
        inserted_all.push(inserted);
        derived_all.push(derived_json);
    }
    let later: std::collections::HashMap<FileId, usize> = batch.iter().enumerate().map(|(i, a)| (a.file, i)).collect();
    let mut matches_all = Vec::with_capacity(batch.len());
    let mut attest = Vec::with_capacity(batch.len());
    for ((i, a), derived_json) in batch.iter().enumerate().zip(derived_all) {
        let frames = usable(&a.frames, a.is_video);
        let query = Query { frames: &frames, video: a.is_video, audio: a.audio.as_ref() };
        let matches = matches(&w.tx, &query, max_distance, |f| later.get(&f).is_none_or(|&j| j < i))?;
        let similar_json = record_similar(w, a.file, &matches, &created)?;
        let mut attested = json!({
            "file": a.file.to_string(),
            "status": a.status.as_str(),
            "method": a.method,
            "version": a.version,
            "frames": a.frames.len(),
            "fingerprints_sha256": digest(&a.frames),
            "derived": derived_json,
            "similar_to": similar_json,
            "hints": a.hints.iter().map(|h| h.code.clone()).collect::<Vec<_>>(),
        });
        if let Some(p) = &a.audio {
            attested["audio"] = json!({
                "method": audio::METHOD,
                "version": audio::VERSION,
                "items": p.words.len(),
                "sha256": p.digest(),
            });
        }
        attest.push(attested);
        matches_all.push(matches);
    }
    if !attest.is_empty() {
        w.append(super::Subject::Catalog, Action::MediaAnalyzed, None, json!({ "files": attest }))?;
    }
    Ok((inserted_all, matches_all))
}

/// What a file is looked up by: its usable PDQ hashes (every part and
/// transform) and its audio fingerprint.
pub(crate) struct Query<'a> {
    pub frames: &'a [FrameHash],
    pub video: bool,
    pub audio: Option<&'a AudioPrint>,
}

/// Files held that near-duplicate `query`, closest first: by picture, the
/// match rule (`matching::file_match`) over each candidate's stored hashes,
/// candidates from the persisted band index (never the whole table below
/// radius 48); by sound, `audio::audio_match` over each candidate's stored
/// audio fingerprint, candidates from the audio word index. A file matching
/// both ways is one match carrying both. `allow` filters candidates. The
/// one path of `similar` and of `add`.
pub(crate) fn matches(
    conn: &rusqlite::Connection,
    query: &Query<'_>,
    max_distance: u32,
    allow: impl Fn(FileId) -> bool,
) -> Result<Vec<Match>> {
    let mut out = Vec::new();
    if !query.frames.is_empty() {
        let hashes: Vec<[u8; 32]> = query.frames.iter().map(|f| f.hash).collect();
        let mut candidates = std::collections::BTreeSet::new();
        for n in near(conn, &hashes, max_distance)? {
            if allow(n.file) {
                candidates.insert(n.file);
            }
        }
        for file in candidates {
            let media_type: String =
                conn.prepare_cached("SELECT media_type FROM file WHERE id = ?1")?.query_row([file.0], |r| r.get(0))?;
            let o_video = is_video(&media_type);
            let frames: Vec<FrameHash> = of_file(conn, file)?.into_iter().map(|f| f.frame).collect();
            let other = usable(&frames, o_video);
            if other.iter().all(|f| f.quality < min_quality(o_video)) {
                continue;
            }
            if let Some(m) = file_match(query.frames, query.video, max_distance, file, &other, o_video) {
                out.push(m);
            }
        }
    }
    if let Some(q) = query.audio {
        for file in audio_candidates(conn, q)? {
            if !allow(file) {
                continue;
            }
            let Some(other) = audio_of(conn, file)? else { continue };
            let Some(am) = audio::audio_match(q, &other) else { continue };
            match out.iter_mut().find(|m| m.file == file) {
                Some(m) => m.audio = Some(am),
                None => out.push(Match::same_audio(file, am)),
            }
        }
    }
    sort_matches(&mut out);
    Ok(out)
}

/// A word held by more files than this says nothing about which (the
/// words of silence, of a test tone, of a jingle every clip starts with);
/// it is not used to find candidates.
const MAX_KEY_FILES: usize = 1000;
/// Distinct words a file must share with the query to be compared: an
/// excerpt of the shortest matching length (`audio::MIN_MATCH_MS`, 32 items)
/// shares about 14 at the 44 % exact agreement measured for a cut at an
/// arbitrary sample; unrelated sound shares none or one.
const MIN_SHARED_KEYS: usize = 5;

/// Files whose audio fingerprints share at least [`MIN_SHARED_KEYS`] distinct
/// words with `query`, by the `audio_fingerprint_key` index: one lookup per
/// distinct query word, never a pass over the stored fingerprints.
fn audio_candidates(conn: &rusqlite::Connection, query: &AudioPrint) -> Result<Vec<FileId>> {
    let mut stmt = conn.prepare_cached("SELECT file_id FROM audio_fingerprint_key WHERE key = ?1 LIMIT ?2")?;
    let mut shared: std::collections::BTreeMap<i64, usize> = std::collections::BTreeMap::new();
    for key in query.keys() {
        let files: Vec<i64> = stmt
            .query_map(params![i64::from(key), (MAX_KEY_FILES + 1) as i64], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if files.len() > MAX_KEY_FILES {
            continue;
        }
        for f in files {
            *shared.entry(f).or_default() += 1;
        }
    }
    Ok(shared.into_iter().filter(|&(_, n)| n >= MIN_SHARED_KEYS).map(|(f, _)| FileId(f)).collect())
}

/// The stored audio fingerprint of one file (of this evcat's version).
pub(crate) fn audio_of(conn: &rusqlite::Connection, file: FileId) -> Result<Option<AudioPrint>> {
    let row: Option<(Vec<u8>, i64)> = conn
        .prepare_cached(
            "SELECT words, duration_ms FROM audio_fingerprint WHERE file_id = ?1 AND method = ?2 AND version = ?3",
        )?
        .query_row(params![file.0, audio::METHOD, audio::VERSION], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row
        .map(|(b, ms)| AudioPrint { words: AudioPrint::words_from_bytes(&b), duration_ms: ms.max(0) as u64 })
        .filter(|p| !p.words.is_empty()))
}

/// A re-analysis replaces the file's audio fingerprint and its index keys.
fn replace_audio(w: &mut Writer<'_>, a: &Analysis, created: &str) -> Result<()> {
    let fid = a.file.0;
    w.tx.prepare_cached("DELETE FROM audio_fingerprint_key WHERE file_id = ?1")?.execute([fid])?;
    w.tx.prepare_cached("DELETE FROM audio_fingerprint WHERE file_id = ?1")?.execute([fid])?;
    let Some(p) = &a.audio else { return Ok(()) };
    w.tx.prepare_cached(
        "INSERT INTO audio_fingerprint(file_id, method, version, duration_ms, words, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        fid,
        audio::METHOD,
        audio::VERSION,
        p.duration_ms.min(i64::MAX as u64) as i64,
        p.to_bytes(),
        created
    ])?;
    let mut ins = w.tx.prepare_cached("INSERT INTO audio_fingerprint_key(key, file_id) VALUES (?1, ?2)")?;
    for k in p.keys() {
        ins.execute(params![i64::from(k), fid])?;
    }
    Ok(())
}

/// The fingerprints of one file, in frame order.
pub(crate) fn of_file(conn: &rusqlite::Connection, file: FileId) -> Result<Vec<StoredFingerprint>> {
    let mut stmt = conn.prepare_cached(&format!("{FP_SELECT} WHERE file_id = ?1 {FP_ORDER}"))?;
    let rows = stmt.query_map([file.0], fp_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.into_iter().flatten().collect())
}

/// A re-analysis replaces the file's fingerprints (the band triggers follow).
fn replace_fingerprints(w: &mut Writer<'_>, a: &Analysis, created: &str) -> Result<()> {
    let fid = a.file.0;
    w.tx.prepare_cached("DELETE FROM fingerprint WHERE file_id = ?1")?.execute([fid])?;
    let mut ins = w.tx.prepare_cached(
        "INSERT INTO fingerprint(file_id, method, version, frame_index, frame_ms, part, transform, hash, quality, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for f in &a.frames {
        ins.execute(params![
            fid,
            a.method,
            a.version,
            i64::from(f.frame_index),
            f.frame_ms.map(|m| m.min(i64::MAX as u64) as i64),
            f.part.name(),
            f.transform.as_str(),
            &f.hash[..],
            i64::from(f.quality),
            created
        ])?;
    }
    Ok(())
}

fn record_analysis(w: &mut Writer<'_>, a: &Analysis, created: &str) -> Result<()> {
    let hints =
        serde_json::to_string(&a.hints).map_err(|e| Error::Json { context: "transcode hints".into(), source: e })?;
    w.tx.prepare_cached(
        "INSERT OR REPLACE INTO media_analysis(file_id, status, note, method, version, frames, hints, analyzed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        a.file.0,
        a.status.as_str(),
        a.note,
        a.method,
        a.version,
        a.frames.len() as i64,
        hints,
        created
    ])?;
    Ok(())
}

/// Insert the derived objects not recorded yet (identical thumbnails of a
/// re-analysis are kept once). Returns which were new, and their attestation.
fn record_derived(w: &mut Writer<'_>, a: &Analysis, created: &str) -> Result<(Vec<bool>, Vec<Value>)> {
    let mut inserted = Vec::with_capacity(a.derived.len());
    let mut derived_json = Vec::new();
    for d in &a.derived {
        let n = w
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO derived_object(file_id, kind, sha256, media_type, width, height, size, created_at)
                 VALUES (?1, ?2, ?3, 'image/jpeg', ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                a.file.0,
                d.kind.as_str(),
                d.sha256.to_hex(),
                i64::from(d.width),
                i64::from(d.height),
                d.size.min(i64::MAX as u64) as i64,
                created
            ])?;
        inserted.push(n == 1);
        if n == 1 {
            derived_json.push(json!({"kind": d.kind.as_str(), "sha256": d.sha256.to_hex()}));
        }
    }
    Ok((inserted, derived_json))
}

/// Record the `similar-to` relations of `file`; returns their attestation.
fn record_similar(w: &mut Writer<'_>, file: FileId, matches: &[Match], created: &str) -> Result<Vec<Value>> {
    let mut similar_json = Vec::with_capacity(matches.len());
    for m in matches {
        w.tx.prepare_cached(
            "INSERT OR REPLACE INTO similarity(file_id, other_id, distance, frames_matched, frames_total, looks_like, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            file.0,
            m.file.0,
            i64::from(m.distance),
            i64::from(m.frames_matched),
            i64::from(m.frames_total),
            m.looks_like.as_str(),
            created
        ])?;
        similar_json.push(json!({
            "file": m.file.to_string(),
            "distance": m.distance,
            "frames_matched": m.frames_matched,
            "frames_total": m.frames_total,
            "looks_like": m.looks_like.as_str(),
        }));
    }
    Ok(similar_json)
}

/// A stored fingerprint within some distance of a query hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Near {
    /// Position of the query hash this is near.
    pub query: usize,
    pub file: FileId,
    pub distance: u32,
    pub quality: u8,
}

/// Bands of the persisted index (`fingerprint_band`, migration 6): band `b`
/// is bytes `2b` and `2b + 1` of the hash, big-endian.
const BANDS: usize = 16;

/// Band values of a hash, as the migration's `fingerprint_band_of` view computes them.
pub(crate) fn bands(h: &[u8; 32]) -> [u16; BANDS] {
    std::array::from_fn(|b| u16::from_be_bytes([h[2 * b], h[2 * b + 1]]))
}

/// Largest bits per band probed through the index: at 3 bits (radius 48 and
/// more) each band needs 697 lookups and a uniform catalog returns about a
/// sixth of its rows as candidates, so one sequential pass is cheaper.
const MAX_PROBE_BITS: u32 = 2;

/// Every value within `bits` (at most 2) bit flips of `v`.
fn probes(v: u16, bits: u32) -> Vec<u16> {
    let mut out = vec![v];
    if bits >= 1 {
        for i in 0..16 {
            out.push(v ^ (1 << i));
        }
    }
    if bits >= 2 {
        for i in 0..16 {
            for j in i + 1..16 {
                out.push(v ^ (1 << i) ^ (1 << j));
            }
        }
    }
    out
}

/// Every stored fingerprint within `max_distance` of each of `queries`,
/// exactly as a linear scan would find them (in no particular order). Below
/// radius 48 this looks up candidates in `fingerprint_band` (pigeonhole over
/// 16 bands: a match agrees with the query within `max_distance / 16` bits in
/// some band) and reads only their rows; above, it streams the table once.
pub(crate) fn near(conn: &rusqlite::Connection, queries: &[[u8; 32]], max_distance: u32) -> Result<Vec<Near>> {
    let mut out = Vec::new();
    let bits = max_distance / BANDS as u32;
    let row = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(i64, FileId, Vec<u8>, i64)> {
        Ok((r.get(0)?, FileId(r.get(1)?), r.get(2)?, r.get(3)?))
    };
    let mut keep = |query: usize, file: FileId, hash: &[u8], quality: i64| {
        // A malformed blob cannot match (the schema forbids it anyway).
        let Ok(h) = <[u8; 32]>::try_from(hash) else { return };
        let distance = pdq::distance(&queries[query], &h);
        if distance <= max_distance {
            out.push(Near { query, file, distance, quality: quality.clamp(0, 100) as u8 });
        }
    };
    if bits > MAX_PROBE_BITS {
        let mut stmt =
            conn.prepare("SELECT id, file_id, hash, quality FROM fingerprint WHERE transform = 'identity'")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (_, file, hash, quality) = row(r)?;
            for q in 0..queries.len() {
                keep(q, file, &hash, quality);
            }
        }
        return Ok(out);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.file_id, f.hash, f.quality FROM fingerprint_band b JOIN fingerprint f ON f.id = b.fingerprint_id
         WHERE b.band = ?1 AND b.value = ?2",
    )?;
    for (q, query) in queries.iter().enumerate() {
        // A near hash usually shares several bands: read its row once.
        let mut seen = std::collections::HashSet::new();
        for (band, v) in bands(query).into_iter().enumerate() {
            for p in probes(v, bits) {
                let mut rows = stmt.query(params![band as i64, i64::from(p)])?;
                while let Some(r) = rows.next()? {
                    let (id, file, hash, quality) = row(r)?;
                    if seen.insert(id) {
                        keep(q, file, &hash, quality);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Every fingerprint, ordered by file and frame.
pub(crate) fn all(conn: &rusqlite::Connection) -> Result<Vec<StoredFingerprint>> {
    let mut stmt = conn.prepare(&format!("{FP_SELECT} {FP_ORDER}"))?;
    let rows = stmt.query_map([], fp_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.into_iter().flatten().collect())
}

impl Catalog {
    /// Fingerprints of one file, in frame order.
    pub fn fingerprints_of(&self, file: FileId) -> Result<Vec<StoredFingerprint>> {
        of_file(self.conn(), file)
    }

    /// Analysis status, fingerprints (with method and version), recorded
    /// similarity and derived objects of one file.
    pub fn media_of(&self, file: FileId) -> Result<FileMedia> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT method, version, frame_index, frame_ms, hash, quality, part, transform FROM fingerprint
             WHERE file_id = ?1 ORDER BY method, version, frame_index, id",
        )?;
        let fingerprints = stmt
            .query_map([file.0], |r| {
                Ok(FingerprintRow {
                    method: r.get(0)?,
                    version: r.get(1)?,
                    frame_index: r.get::<_, i64>(2)?.clamp(0, u32::MAX as i64) as u32,
                    frame_ms: r.get::<_, Option<i64>>(3)?.map(|v| v.max(0) as u64),
                    hash: hex::encode(r.get::<_, Vec<u8>>(4)?),
                    quality: r.get::<_, i64>(5)?.clamp(0, 100) as u8,
                    part: r.get(6)?,
                    transform: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let audio_fingerprint = audio_of(self.conn(), file)?.map(|p| AudioFingerprintRow {
            method: audio::METHOD.into(),
            version: audio::VERSION.into(),
            duration_ms: p.duration_ms,
            items: p.words.len() as u64,
            sha256: p.digest(),
            words: p.words,
        });
        Ok(FileMedia {
            analysis: self.analysis_of(file)?,
            fingerprints,
            audio_fingerprint,
            similar: self.similarity_of(file)?,
            derived: self.derived_objects_of(file)?,
        })
    }

    /// Every fingerprint in the catalog (for building a search index).
    pub fn all_fingerprints(&self) -> Result<Vec<StoredFingerprint>> {
        all(self.conn())
    }

    /// Every derived object (for audit and `show`).
    pub fn derived_objects(&self) -> Result<Vec<DerivedObject>> {
        self.derived_query(
            "SELECT file_id, kind, sha256, media_type, width, height, size FROM derived_object ORDER BY id",
            None,
        )
    }

    pub fn derived_objects_of(&self, file: FileId) -> Result<Vec<DerivedObject>> {
        self.derived_query(
            "SELECT file_id, kind, sha256, media_type, width, height, size FROM derived_object WHERE file_id = ?1 ORDER BY id",
            Some(file),
        )
    }

    /// The derived object (thumbnail, poster, contact sheet) stored under
    /// `sha256`, if one is: `evcat serve` serves these by hash with the media
    /// type recorded here, as it serves files with theirs.
    pub fn derived_by_sha(&self, sha256: &crate::hash::Sha256) -> Result<Option<DerivedObject>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT file_id, kind, sha256, media_type, width, height, size FROM derived_object WHERE sha256 = ?1
             ORDER BY id LIMIT 1",
        )?;
        Ok(stmt.query_row([sha256.to_hex()], derived_from_row).optional()?)
    }

    fn derived_query(&self, sql: &str, file: Option<FileId>) -> Result<Vec<DerivedObject>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let map = derived_from_row;
        let rows = match file {
            Some(f) => stmt.query_map([f.0], map)?.collect::<rusqlite::Result<Vec<_>>>()?,
            None => stmt.query_map([], map)?.collect::<rusqlite::Result<Vec<_>>>()?,
        };
        Ok(rows)
    }

    pub fn analysis_of(&self, file: FileId) -> Result<Option<AnalysisRow>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT file_id, status, note, method, version, frames, hints, analyzed_at FROM media_analysis WHERE file_id = ?1",
            )?
            .query_row([file.0], |r| {
                let hints: String = r.get(6)?;
                Ok(AnalysisRow {
                    file: FileId(r.get(0)?),
                    status: r.get(1)?,
                    note: r.get(2)?,
                    method: r.get(3)?,
                    version: r.get(4)?,
                    frames: r.get::<_, i64>(5)?.clamp(0, u32::MAX as i64) as u32,
                    hints: serde_json::from_str(&hints).unwrap_or(serde_json::Value::Null),
                    analyzed_at: r.get(7)?,
                })
            })
            .optional()?)
    }

    /// Image, video and audio files with no analysis, or whose analysis
    /// could not fingerprint them for want of ffmpeg.
    pub fn files_needing_analysis(&self) -> Result<Vec<FileId>> {
        let mut stmt = self.conn().prepare(
            "SELECT f.id FROM file f LEFT JOIN media_analysis m ON m.file_id = f.id
             WHERE (f.media_type LIKE 'image/%' OR f.media_type LIKE 'video/%' OR f.media_type LIKE 'audio/%')
               AND (m.file_id IS NULL OR m.status = 'no-ffmpeg') ORDER BY f.id",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, i64>(0).map(FileId))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Recorded `similar-to` relations touching `file`, either direction.
    pub fn similarity_of(&self, file: FileId) -> Result<Vec<SimilarityRow>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT file_id, other_id, distance, frames_matched, frames_total, looks_like, created_at FROM similarity
             WHERE file_id = ?1 OR other_id = ?1 ORDER BY distance, file_id, other_id",
        )?;
        let rows = stmt.query_map([file.0], |r| {
            Ok(SimilarityRow {
                file: FileId(r.get(0)?),
                other: FileId(r.get(1)?),
                distance: r.get::<_, i64>(2)?.max(0) as u32,
                frames_matched: r.get::<_, i64>(3)?.max(0) as u32,
                frames_total: r.get::<_, i64>(4)?.max(0) as u32,
                looks_like: r.get(5)?,
                created_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Index of the migration that creates `fingerprint_band`.
    const BAND_MIGRATION: usize = 5;
    /// 0010_fingerprint_parts; 0007..0009 (other tables) run between the two.
    const PARTS_MIGRATION: usize = 9;

    /// A bare connection with the schema (foreign keys off: no file rows needed).
    fn schema(upto: usize) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
        for (_, sql) in &super::super::MIGRATIONS[..upto] {
            conn.execute_batch(sql).unwrap();
        }
        conn
    }

    fn insert(conn: &rusqlite::Connection, file: i64, frame: i64, hash: &[u8; 32], quality: i64) {
        conn.execute(
            "INSERT INTO fingerprint(file_id, method, version, frame_index, hash, quality, created_at)
             VALUES (?1, 'pdq', 'test', ?2, ?3, ?4, 'now')",
            params![file, frame, &hash[..], quality],
        )
        .unwrap();
    }

    /// (band, value, fingerprint id)
    type BandRow = (i64, i64, i64);

    /// The band rows as stored, and as `bands` computes them from the hashes.
    fn band_rows(conn: &rusqlite::Connection) -> (Vec<BandRow>, Vec<BandRow>) {
        let mut st = conn.prepare("SELECT band, value, fingerprint_id FROM fingerprint_band ORDER BY 1, 2, 3").unwrap();
        let stored = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
        let identity = if conn.prepare("SELECT transform FROM fingerprint").is_ok() {
            " WHERE transform = 'identity'"
        } else {
            ""
        };
        let mut st = conn.prepare(&format!("SELECT id, hash FROM fingerprint{identity}")).unwrap();
        let mut want: Vec<BandRow> = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .flat_map(|(id, h)| {
                let h: [u8; 32] = h.try_into().unwrap();
                bands(&h).into_iter().enumerate().map(move |(b, v)| (b as i64, i64::from(v), id)).collect::<Vec<_>>()
            })
            .collect();
        want.sort();
        (stored, want)
    }

    fn flip(h: &[u8; 32], bits: &[u16]) -> [u8; 32] {
        let mut o = *h;
        for &b in bits {
            o[(b / 8) as usize % 32] ^= 1 << (b % 8);
        }
        o
    }

    #[test]
    fn migration_backfills_and_triggers_keep_bands_in_step() {
        let conn = schema(BAND_MIGRATION);
        let a: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ 0xa5);
        insert(&conn, 1, 0, &a, 80);
        insert(&conn, 1, 1, &[0xff; 32], 80);
        assert_eq!(super::super::MIGRATIONS[BAND_MIGRATION].0, "0006_fingerprint_band");
        conn.execute_batch(super::super::MIGRATIONS[BAND_MIGRATION].1).unwrap();
        let (stored, want) = band_rows(&conn);
        assert_eq!(stored.len(), 32);
        assert_eq!(stored, want, "backfill");
        insert(&conn, 2, 0, &flip(&a, &[0, 9, 255]), 80);
        conn.execute("UPDATE fingerprint SET hash = ?1 WHERE id = 2", [&[0x0fu8; 32][..]]).unwrap();
        conn.execute("DELETE FROM fingerprint WHERE id = 1", []).unwrap();
        let (stored, want) = band_rows(&conn);
        assert_eq!(stored.len(), 32);
        assert_eq!(stored, want, "insert, update and delete triggers");

        // Migration 10 rebuilds the table keeping ids (the band rows stay
        // right), names the parts of old rows, and indexes identity hashes only.
        for (_, sql) in &super::super::MIGRATIONS[BAND_MIGRATION + 1..PARTS_MIGRATION] {
            conn.execute_batch(sql).unwrap();
        }
        assert_eq!(super::super::MIGRATIONS[PARTS_MIGRATION].0, "0010_fingerprint_parts");
        conn.execute_batch(super::super::MIGRATIONS[PARTS_MIGRATION].1).unwrap();
        let (stored, want) = band_rows(&conn);
        assert_eq!((stored.len(), &stored), (32, &want), "after the rebuild");
        let part: String = conn.query_row("SELECT part FROM fingerprint WHERE id = 2", [], |r| r.get(0)).unwrap();
        assert_eq!(part, "crop-90", "frame 1 of an old still");
        insert(&conn, 3, 1, &a, 80);
        let part: String = conn.query_row("SELECT part FROM fingerprint WHERE file_id = 3", [], |r| r.get(0)).unwrap();
        assert_eq!(part, "whole", "new rows default to the whole picture");
        conn.execute(
            "INSERT INTO fingerprint(file_id, method, version, frame_index, part, transform, hash, quality, created_at)
             VALUES (3, 'pdq', 'test', 1, 'whole', 'mirror', ?1, 80, 'now')",
            [&[0x33u8; 32][..]],
        )
        .unwrap();
        let bands: i64 = conn.query_row("SELECT count(*) FROM fingerprint_band", [], |r| r.get(0)).unwrap();
        assert_eq!(bands, 48, "the mirror row is not indexed");
        conn.execute("DELETE FROM fingerprint WHERE file_id = 3", []).unwrap();
        let (stored, want) = band_rows(&conn);
        assert_eq!(stored, want);
    }

    #[test]
    fn old_rows_get_the_part_their_frame_index_meant() {
        let conn = schema(PARTS_MIGRATION);
        for i in 0..3 {
            insert(&conn, 1, i, &[i as u8; 32], 80);
        }
        conn.execute(
            "INSERT INTO fingerprint(file_id, method, version, frame_index, frame_ms, hash, quality, created_at)
             VALUES (2, 'pdq', 'evcat-pdq-1', 1, 1000, ?1, 80, 'now')",
            [&[9u8; 32][..]],
        )
        .unwrap();
        conn.execute_batch(super::super::MIGRATIONS[PARTS_MIGRATION].1).unwrap();
        let parts: Vec<String> = conn
            .prepare("SELECT part FROM fingerprint ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(parts, ["whole", "crop-90", "crop-81", "whole"]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// The persisted index answers exactly like a linear scan, on both
        /// sides of the probe/scan switch (radius 48).
        #[test]
        fn near_equals_linear_scan(
            seeds in prop::collection::vec(any::<[u8; 32]>(), 1..20),
            flips in prop::collection::vec(prop::collection::vec(0u16..256, 0..70), 0..60),
            radius in 0u32..80,
            q in 0usize..20,
        ) {
            let conn = schema(super::super::MIGRATIONS.len());
            let mut hashes: Vec<[u8; 32]> = seeds.clone();
            for (i, f) in flips.iter().enumerate() {
                hashes.push(flip(&seeds[i % seeds.len()], f));
            }
            for (i, h) in hashes.iter().enumerate() {
                insert(&conn, (i % 7) as i64, i as i64, h, (i * 13 % 101) as i64);
            }
            let queries = [flip(&seeds[q % seeds.len()], &[3, 99]), seeds[(q + 1) % seeds.len()]];
            let mut got: Vec<(usize, u32, i64, u8)> = near(&conn, &queries, radius)
                .unwrap()
                .into_iter()
                .map(|n| (n.query, n.distance, n.file.0, n.quality))
                .collect();
            got.sort();
            let mut want = Vec::new();
            for (qi, query) in queries.iter().enumerate() {
                for (i, h) in hashes.iter().enumerate() {
                    let d = pdq::distance(query, h);
                    if d <= radius {
                        want.push((qi, d, (i % 7) as i64, (i * 13 % 101) as u8));
                    }
                }
            }
            want.sort();
            prop_assert_eq!(got, want);
        }
    }
}
