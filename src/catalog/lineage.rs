//! Lineage: confirmed derivations between files (`file.derived_from`, a
//! logged column, changed with `evcat derive`) and the graph `evcat lineage`
//! walks both ways, with the earliest known capture or post time marked.
//! Machine-found `similar-to` relations are shown beside it, never mixed in.

use std::collections::{HashMap, HashSet};

use rusqlite::types::Value as V;
use rusqlite::OptionalExtension;
use serde::Serialize;

use super::files::FileRecord;
use super::fingerprints::SimilarityRow;
use super::{Catalog, RecordKind, Subject};
use crate::custody::Action;
use crate::error::{Error, Result};
use crate::ids::{EvidenceId, FileId};

/// Longest walk through derivations before the catalog is taken to hold a cycle.
const MAX_STEPS: usize = 100_000;

/// A file in a lineage graph.
#[derive(Debug, Clone, Serialize)]
pub struct LineageNode {
    pub file: FileId,
    pub evidence: EvidenceId,
    pub media_type: String,
    pub name: Option<String>,
    pub derived_from: Option<FileId>,
    /// How it was derived, as confirmed with `evcat derive --how`.
    pub how: Option<String>,
    pub captured_at: Option<String>,
    pub posted_at: Option<String>,
    pub platform: Option<String>,
    pub source_url: Option<String>,
    pub transcode_hints: Vec<String>,
    /// This node holds the earliest known capture or post time of the graph.
    pub earliest: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Earliest {
    pub file: FileId,
    /// `capture` (the file's own metadata) or `post` (the evidence's posted_at).
    pub what: &'static str,
    pub at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Lineage {
    /// Files connected by confirmed derivations, parents before children.
    pub nodes: Vec<LineageNode>,
    pub earliest: Option<Earliest>,
    /// Machine-found `similar-to` relations touching the graph, not confirmed.
    pub similar: Vec<SimilarityRow>,
}

impl Catalog {
    /// The derivation graph around `files` (confirmed `derived_from` links,
    /// both directions), with the earliest known capture/post marked.
    pub fn lineage(&self, files: &[FileId]) -> Result<Lineage> {
        let mut recs = self.derivation_graph(files)?;
        sort_parents_first(&mut recs);
        let mut nodes = recs.into_iter().map(|r| self.lineage_node(r)).collect::<Result<Vec<_>>>()?;
        let earliest = earliest_of(&nodes);
        if let Some(e) = &earliest {
            for n in &mut nodes {
                n.earliest = n.file == e.file;
            }
        }
        let similar = self.similarity_around(&nodes)?;
        Ok(Lineage { nodes, earliest, similar })
    }

    /// Files of an evidence item (for `lineage E12`).
    pub fn file_ids_of(&self, evidence: EvidenceId) -> Result<Vec<FileId>> {
        Ok(self.files_of(evidence)?.into_iter().map(|f| f.id).collect())
    }

    /// Files whose `derived_from` is `file`.
    pub fn derived_children(&self, file: FileId) -> Result<Vec<FileId>> {
        let mut stmt = self.conn().prepare_cached("SELECT id FROM file WHERE derived_from = ?1 ORDER BY id")?;
        let rows = stmt.query_map([file.0], |r| r.get::<_, i64>(0).map(FileId))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How the latest confirmed derivation of `file` was described, from its custody log.
    pub fn derivation_how(&self, file: FileId) -> Result<Option<String>> {
        let details: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT details FROM custody_event WHERE subject_type = 'file' AND subject_id = ?1 AND action = 'derived'
                 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row([file.0], |r| r.get(0))
            .optional()?;
        Ok(details
            .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
            .and_then(|v| v.get("how").and_then(|h| h.as_str()).map(str::to_string)))
    }

    /// Record that `file` was derived from `from` (logged change of
    /// `file.derived_from`). Returns false when exactly this was already recorded.
    pub fn set_derivation(&mut self, file: FileId, from: FileId, how: &str, reason: Option<&str>) -> Result<bool> {
        if file == from {
            return Err(Error::invalid("derivation", file.to_string(), "a file cannot derive from itself"));
        }
        let child = self.file(file)?;
        self.file(from)?;
        self.refuse_cycle(file, from)?;
        let previous_how = self.derivation_how(file)?;
        if child.derived_from == Some(from) && previous_how.as_deref() == Some(how) {
            return Ok(false);
        }
        let extra = serde_json::json!({ "how": how, "from": from.to_string() });
        self.write(|w| {
            let changed = w.update_row(
                RecordKind::File,
                file.0,
                &[("derived_from", V::Integer(from.0))],
                Action::Derived,
                reason,
                extra.clone(),
            )?;
            if changed.is_empty() {
                // Same parent, new description: log the description alone.
                w.append(Subject::File(file), Action::Derived, reason, extra)?;
            }
            Ok(())
        })?;
        Ok(true)
    }
}

/// Record, inside a write, that a file registered in the same transaction
/// derives from `from` (a sidecar from its media file): a new file has no
/// children, so no cycle is possible.
pub(crate) fn derive_in(w: &mut super::Writer<'_>, file: FileId, from: FileId, how: &str) -> Result<()> {
    let extra = serde_json::json!({ "how": how, "from": from.to_string() });
    w.update_row(RecordKind::File, file.0, &[("derived_from", V::Integer(from.0))], Action::Derived, None, extra)?;
    Ok(())
}

impl Catalog {
    /// Refuse a derivation of `file` from `from` when `from` already derives
    /// (transitively) from `file`.
    fn refuse_cycle(&self, file: FileId, from: FileId) -> Result<()> {
        let mut cur = Some(from);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == file {
                return Err(Error::Conflict(format!(
                    "{from} already derives (directly or through others) from {file}; a derivation cycle is not allowed"
                )));
            }
            steps += 1;
            if steps > MAX_STEPS {
                return Err(Error::Corrupt("derivation chain too long (a cycle in the catalog?)".into()));
            }
            cur = self.file(c)?.derived_from;
        }
        Ok(())
    }

    /// Every file connected to `files` through derivations, either direction.
    fn derivation_graph(&self, files: &[FileId]) -> Result<Vec<FileRecord>> {
        let mut seen: HashSet<FileId> = HashSet::new();
        let mut queue: Vec<FileId> = files.to_vec();
        let mut recs: Vec<FileRecord> = Vec::new();
        while let Some(f) = queue.pop() {
            if !seen.insert(f) || seen.len() > MAX_STEPS {
                continue;
            }
            let rec = self.file(f)?;
            if let Some(p) = rec.derived_from {
                queue.push(p);
            }
            queue.extend(self.derived_children(f)?);
            recs.push(rec);
        }
        Ok(recs)
    }

    /// One file of the graph with its evidence's post facts, how it was
    /// derived and the codes of its transcode hints.
    fn lineage_node(&self, r: FileRecord) -> Result<LineageNode> {
        let ev = self.evidence(r.evidence_id)?;
        let how = if r.derived_from.is_some() { self.derivation_how(r.id)? } else { None };
        let hints = match self.analysis_of(r.id)? {
            Some(a) => a
                .hints
                .as_array()
                .map(|v| v.iter().filter_map(|h| h["code"].as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(LineageNode {
            file: r.id,
            evidence: r.evidence_id,
            media_type: r.media_type,
            name: r.original_name,
            derived_from: r.derived_from,
            how,
            captured_at: r.captured_at,
            posted_at: ev.posted_at,
            platform: ev.platform,
            source_url: ev.source_url,
            transcode_hints: hints,
            earliest: false,
        })
    }

    /// Recorded `similar-to` relations touching any node, each pair once.
    fn similarity_around(&self, nodes: &[LineageNode]) -> Result<Vec<SimilarityRow>> {
        let mut similar = Vec::new();
        let mut pairs = HashSet::new();
        for n in nodes {
            for s in self.similarity_of(n.file)? {
                if pairs.insert((s.file, s.other)) {
                    similar.push(s);
                }
            }
        }
        Ok(similar)
    }
}

/// Parents before children: order by depth below the graph's roots, then id.
fn sort_parents_first(recs: &mut [FileRecord]) {
    let parent: HashMap<FileId, Option<FileId>> = recs.iter().map(|r| (r.id, r.derived_from)).collect();
    let depth = |mut f: FileId| {
        let mut d = 0;
        while let Some(Some(p)) = parent.get(&f) {
            d += 1;
            f = *p;
            if d > MAX_STEPS {
                break;
            }
        }
        d
    };
    recs.sort_by_key(|r| (depth(r.id), r.id));
}

/// The earliest capture or post time among the nodes, in node order; on a
/// tie the first one seen (a file's capture before its post) is kept.
fn earliest_of(nodes: &[LineageNode]) -> Option<Earliest> {
    let mut earliest: Option<(i64, Earliest)> = None;
    for n in nodes {
        for (what, t) in [("capture", n.captured_at.as_deref()), ("post", n.posted_at.as_deref())] {
            if let Some((t, at)) = t.and_then(|t| instant(t).map(|i| (i, t))) {
                if earliest.as_ref().is_none_or(|(e, _)| t < *e) {
                    earliest = Some((t, Earliest { file: n.file, what, at: at.to_string() }));
                }
            }
        }
    }
    earliest.map(|(_, e)| e)
}

/// Sortable instant of a stored time: RFC 3339, a zone-less date-time
/// (taken as UTC) or a date.
fn instant(t: &str) -> Option<i64> {
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp());
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, f) {
            return Some(d.and_utc().timestamp());
        }
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(file: i64, captured: Option<&str>, posted: Option<&str>) -> LineageNode {
        LineageNode {
            file: FileId(file),
            evidence: EvidenceId(file),
            media_type: "image/jpeg".into(),
            name: None,
            derived_from: None,
            how: None,
            captured_at: captured.map(str::to_string),
            posted_at: posted.map(str::to_string),
            platform: None,
            source_url: None,
            transcode_hints: Vec::new(),
            earliest: false,
        }
    }

    #[test]
    fn times_compare_across_forms() {
        assert!(instant("2026-03-14T13:02:03+01:00") < instant("2026-03-14T13:02:03Z"));
        assert!(instant("2026-03-14") < instant("2026-03-14T00:00:01"));
        assert_eq!(instant("garbage"), None);
    }

    #[test]
    fn earliest_is_the_first_strictly_earliest_time() {
        let nodes = [
            node(1, Some("garbage"), Some("2026-03-15")),
            node(2, Some("2026-03-14T13:00:00+01:00"), Some("2026-03-14T12:00:00Z")),
            node(3, None, Some("2026-03-14T12:00:00Z")),
        ];
        let e = earliest_of(&nodes).expect("a time is known");
        assert_eq!((e.file, e.what, e.at.as_str()), (FileId(2), "capture", "2026-03-14T13:00:00+01:00"));
        assert!(earliest_of(&[node(4, None, Some("not a time"))]).is_none());
    }
}
