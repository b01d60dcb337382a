//! Files: the bytes we hold for an evidence item, with what the file says about
//! itself (source `file`) kept apart from what a person asserted (source `user`).

use std::collections::BTreeMap;

use rusqlite::types::Value as V;
use rusqlite::{params, params_from_iter, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::evidence::Source;
use super::{now, Catalog, RecordKind, Writer};
use crate::custody::Action;
use crate::error::{Error, Result};
use crate::hash::Sha256;
use crate::ids::{EvidenceId, FileId};
use crate::media::c2pa::C2pa;
use crate::media::{Fact, MediaFacts};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Storage {
    /// A read-only copy in the catalog's object store.
    Object,
    /// Left where it is; only path and hash recorded.
    InPlace,
}

impl Storage {
    pub fn as_str(self) -> &'static str {
        match self {
            Storage::Object => "object",
            Storage::InPlace => "in-place",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRecord {
    pub id: FileId,
    pub evidence_id: EvidenceId,
    pub sha256: Sha256,
    pub size: u64,
    pub media_type: String,
    pub storage: Storage,
    pub original_name: Option<String>,
    pub original_path: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub captured_at: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub gps_lat: Option<f64>,
    pub gps_lon: Option<f64>,
    pub orientation: Option<u16>,
    pub software: Option<String>,
    pub acquired_at: String,
    pub acquired_by: Option<String>,
    pub method: Option<String>,
    pub tool: Option<String>,
    pub note: Option<String>,
    pub derived_from: Option<FileId>,
    pub sources: BTreeMap<String, Source>,
    pub created_at: String,
    pub lens: Option<String>,
    pub gps_alt: Option<f64>,
    pub gps_direction: Option<f64>,
    pub frame_rate: Option<f64>,
    pub rotation: Option<u16>,
    /// Every fact the file gave, with its source (the columns above hold the chosen ones).
    pub facts: Vec<Fact>,
    /// Content Credentials, when the file carries them.
    pub c2pa: Option<C2pa>,
    /// The record an acquisition tool left about these bytes.
    pub acquisition: Option<AcquisitionRecord>,
}

/// How and by whom bytes were acquired: asserted by the person registering
/// them, or taken from an acquisition tool's record (then named in `sources`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Acquisition {
    pub acquired_by: Option<String>,
    pub method: Option<String>,
    pub tool: Option<String>,
    pub note: Option<String>,
    /// When the bytes were acquired (defaults to registration time).
    pub acquired_at: Option<String>,
    /// Where a field's value came from when not from the person (`user`):
    /// field name (`acquired_at`, `tool`, ...) -> source.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, Source>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<AcquisitionRecord>,
}

/// What an acquisition tool recorded about a file beyond the columns: stored
/// as JSON in `file.acquisition`, shown by `show`, `trace`, PROV and the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcquisitionRecord {
    /// `yt-dlp info.json`, `gallery-dl metadata`, `auto-archiver metadata.json`,
    /// `instaloader metadata`, `bagit`.
    pub format: String,
    /// The file the record was read from, when it is one of its own (or,
    /// for an embedded info.json, the attachment's name and bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordFile>,
    /// Field name (as the tool names it) -> value.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// A record file: its name and the SHA-256 of its bytes (registered as a
/// file of the same evidence item when it is a sidecar).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordFile {
    pub name: String,
    pub sha256: String,
}

/// Where registered bytes live and what they were called.
#[derive(Debug, Clone)]
pub struct Placement {
    pub sha256: Sha256,
    pub size: u64,
    pub storage: Storage,
    pub original_name: Option<String>,
    pub original_path: Option<String>,
}

/// What audit needs to check one file's bytes.
#[derive(Debug, Clone)]
pub struct FixityTarget {
    pub file: FileId,
    pub sha256: String,
    pub storage: Storage,
    /// The original path; where in-place files are checked.
    pub path: Option<String>,
}

const SELECT: &str = "SELECT id, evidence_id, sha256, size, media_type, storage, original_name, original_path, width, height, duration_ms, video_codec, audio_codec, captured_at, make, model, gps_lat, gps_lon, orientation, software, acquired_at, acquired_by, method, tool, note, derived_from, sources, created_at, lens, gps_alt, gps_direction, frame_rate, rotation, facts, c2pa, acquisition FROM file";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FileRecord> {
    let storage: String = r.get(5)?;
    let sources: String = r.get(26)?;
    Ok(FileRecord {
        id: FileId(r.get(0)?),
        evidence_id: EvidenceId(r.get(1)?),
        sha256: r.get(2)?,
        size: r.get::<_, i64>(3)?.max(0) as u64,
        media_type: r.get(4)?,
        storage: if storage == "in-place" { Storage::InPlace } else { Storage::Object },
        original_name: r.get(6)?,
        original_path: r.get(7)?,
        width: r.get(8)?,
        height: r.get(9)?,
        duration_ms: r.get::<_, Option<i64>>(10)?.map(|d| d.max(0) as u64),
        video_codec: r.get(11)?,
        audio_codec: r.get(12)?,
        captured_at: r.get(13)?,
        make: r.get(14)?,
        model: r.get(15)?,
        gps_lat: r.get(16)?,
        gps_lon: r.get(17)?,
        orientation: r.get(18)?,
        software: r.get(19)?,
        acquired_at: r.get(20)?,
        acquired_by: r.get(21)?,
        method: r.get(22)?,
        tool: r.get(23)?,
        note: r.get(24)?,
        derived_from: r.get::<_, Option<i64>>(25)?.map(FileId),
        sources: serde_json::from_str(&sources).unwrap_or_default(),
        created_at: r.get(27)?,
        lens: r.get(28)?,
        gps_alt: r.get(29)?,
        gps_direction: r.get(30)?,
        frame_rate: r.get(31)?,
        rotation: r.get(32)?,
        facts: r.get::<_, Option<String>>(33)?.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default(),
        c2pa: r.get::<_, Option<String>>(34)?.and_then(|c| serde_json::from_str(&c).ok()),
        acquisition: r.get::<_, Option<String>>(35)?.and_then(|j| serde_json::from_str(&j).ok()),
    })
}

fn text(v: Option<&str>) -> V {
    v.map(|s| V::Text(s.to_string())).unwrap_or(V::Null)
}

fn int(v: Option<i64>) -> V {
    v.map(V::Integer).unwrap_or(V::Null)
}

/// Record registered bytes for an evidence item.
pub(crate) fn register(
    w: &mut Writer<'_>,
    evidence: EvidenceId,
    place: &Placement,
    facts: &MediaFacts,
    acq: &Acquisition,
) -> Result<FileId> {
    let mut sources: BTreeMap<String, Source> = BTreeMap::new();
    let real = |v: Option<f64>| v.filter(|f| f.is_finite()).map(V::Real).unwrap_or(V::Null);
    let file_facts: [(&str, V); 17] = [
        ("width", int(facts.width.map(i64::from))),
        ("height", int(facts.height.map(i64::from))),
        ("duration_ms", int(facts.duration_ms.map(|d| d.min(i64::MAX as u64) as i64))),
        ("video_codec", text(facts.video_codec.as_deref())),
        ("audio_codec", text(facts.audio_codec.as_deref())),
        ("captured_at", text(facts.captured_at.as_deref())),
        ("make", text(facts.make.as_deref())),
        ("model", text(facts.model.as_deref())),
        ("gps_lat", facts.gps_lat.filter(|f| f.is_finite()).map(V::Real).unwrap_or(V::Null)),
        ("gps_lon", facts.gps_lon.filter(|f| f.is_finite()).map(V::Real).unwrap_or(V::Null)),
        ("orientation", int(facts.orientation.map(i64::from))),
        ("software", text(facts.software.as_deref())),
        ("lens", text(facts.lens.as_deref())),
        ("gps_alt", real(facts.gps_alt)),
        ("gps_direction", real(facts.gps_direction)),
        ("frame_rate", real(facts.frame_rate)),
        ("rotation", int(facts.rotation.map(i64::from))),
    ];
    let user_facts: [(&str, V); 4] = [
        ("acquired_by", text(acq.acquired_by.as_deref())),
        ("method", text(acq.method.as_deref())),
        ("tool", text(acq.tool.as_deref())),
        ("note", text(acq.note.as_deref())),
    ];
    let mut cols: Vec<(&str, V)> = vec![
        ("evidence_id", V::Integer(evidence.0)),
        ("sha256", V::Text(place.sha256.to_hex())),
        ("size", V::Integer(place.size.min(i64::MAX as u64) as i64)),
        ("media_type", V::Text(facts.media_type.clone())),
        ("storage", V::Text(place.storage.as_str().to_string())),
        ("original_name", text(place.original_name.as_deref())),
        ("original_path", text(place.original_path.as_deref())),
    ];
    for (name, v) in file_facts {
        if v != V::Null {
            sources.insert(name.to_string(), Source::File);
        }
        cols.push((name, v));
    }
    let from = |name: &str| acq.sources.get(name).copied().unwrap_or(Source::User);
    for (name, v) in user_facts {
        if v != V::Null {
            sources.insert(name.to_string(), from(name));
        }
        cols.push((name, v));
    }
    if let Some(src) = acq.sources.get("acquired_at").filter(|_| acq.acquired_at.is_some()) {
        sources.insert("acquired_at".into(), *src);
    }
    let record = match &acq.record {
        Some(r) => V::Text(
            serde_json::to_string(r).map_err(|e| Error::Json { context: "acquisition record".into(), source: e })?,
        ),
        None => V::Null,
    };
    cols.push(("acquisition", record));
    let created = now();
    cols.push(("acquired_at", V::Text(acq.acquired_at.clone().unwrap_or_else(|| created.clone()))));
    cols.push(("sources", V::Text(serde_json::to_string(&sources).unwrap_or_else(|_| "{}".into()))));
    cols.push(("created_at", V::Text(created)));
    cols.push(("facts", V::Text(serde_json::to_string(&facts.facts).unwrap_or_else(|_| "[]".into()))));
    cols.push((
        "c2pa",
        facts.c2pa.as_ref().and_then(|c| serde_json::to_string(c).ok()).map(V::Text).unwrap_or(V::Null),
    ));
    let extra = if facts.warnings.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::json!({ "probe_warnings": facts.warnings })
    };
    let id = w.insert_row(RecordKind::File, &cols, Action::Registered, None, extra)?;
    Ok(FileId(id))
}

pub(crate) fn by_sha_in(conn: &rusqlite::Connection, sha: &Sha256) -> Result<Option<FileRecord>> {
    Ok(conn.prepare_cached(&format!("{SELECT} WHERE sha256 = ?1"))?.query_row([sha.to_hex()], from_row).optional()?)
}

/// Filters for `evcat list files`.
#[derive(Debug, Clone, Default)]
pub struct FileFilter {
    pub evidence: Option<EvidenceId>,
    /// Prefix of the media type, e.g. `video/` or `image/jpeg`.
    pub media_type: Option<String>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

impl Catalog {
    pub fn file(&self, id: FileId) -> Result<FileRecord> {
        self.conn()
            .prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
            .query_row([id.0], from_row)
            .optional()?
            .ok_or_else(|| Error::not_found(format!("file {id}")))
    }

    pub fn file_by_sha(&self, sha: &Sha256) -> Result<Option<FileRecord>> {
        by_sha_in(self.conn(), sha)
    }

    /// Resolve a git-style unique SHA-256 prefix (at least 4 hex digits).
    pub fn file_by_prefix(&self, prefix: &str) -> Result<FileRecord> {
        let p = prefix.to_ascii_lowercase();
        if p.len() < 4 || p.len() > 64 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid("SHA-256 prefix", prefix, "give at least 4 hex digits"));
        }
        // Range scan on the unique index: every hash starting with p sorts in [p, p+"g").
        let upper = format!("{p}g");
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("{SELECT} WHERE sha256 >= ?1 AND sha256 < ?2 ORDER BY sha256 LIMIT 11"))?;
        let rows: Vec<FileRecord> = stmt.query_map(params![p, upper], from_row)?.collect::<rusqlite::Result<_>>()?;
        match rows.len() {
            0 => Err(Error::not_found(format!("file with SHA-256 prefix {p}"))),
            1 => {
                Ok(rows.into_iter().next().ok_or_else(|| Error::not_found(format!("file with SHA-256 prefix {p}")))?)
            }
            _ => Err(Error::AmbiguousPrefix {
                prefix: p,
                candidates: rows.iter().take(10).map(|f| format!("{} {}", f.id, &f.sha256.to_hex()[..16])).collect(),
            }),
        }
    }

    pub fn files_of(&self, evidence: EvidenceId) -> Result<Vec<FileRecord>> {
        self.list_files(&FileFilter { evidence: Some(evidence), ..Default::default() })
    }

    pub fn list_files(&self, f: &FileFilter) -> Result<Vec<FileRecord>> {
        let mut sql = format!("{SELECT} WHERE 1=1");
        let mut args: Vec<V> = Vec::new();
        if let Some(e) = f.evidence {
            args.push(V::Integer(e.0));
            sql.push_str(&format!(" AND evidence_id = ?{}", args.len()));
        }
        if let Some(m) = &f.media_type {
            args.push(V::Text(format!("{}%", m.replace('%', ""))));
            sql.push_str(&format!(" AND media_type LIKE ?{}", args.len()));
        }
        sql.push_str(&format!(
            " ORDER BY id LIMIT {} OFFSET {}",
            f.limit.map(|l| l.min(i64::MAX as u64) as i64).unwrap_or(-1),
            f.offset.unwrap_or(0).min(i64::MAX as u64)
        ));
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every registered file's (id, sha256, storage, in-place path) for fixity checks.
    pub fn fixity_targets(&self) -> Result<Vec<FixityTarget>> {
        let mut stmt = self.conn().prepare("SELECT id, sha256, storage, original_path FROM file ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            let storage: String = r.get(2)?;
            Ok(FixityTarget {
                file: FileId(r.get(0)?),
                sha256: r.get(1)?,
                storage: if storage == "in-place" { Storage::InPlace } else { Storage::Object },
                path: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
