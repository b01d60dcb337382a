//! Full-text search (SQLite FTS5) over evidence, files, articles and claims.

use rusqlite::OptionalExtension;
use serde::Serialize;

use super::{Catalog, RecordKind};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    /// `evidence`, `file`, `article` or `claim`.
    pub kind: &'static str,
    /// The record's reference (`E12`, `F40`, `A3`, `C7`).
    pub id: String,
    /// Matching text with hits in [brackets].
    pub snippet: String,
}

/// Turn what a person types into a safe FTS5 query: every word is quoted (so
/// punctuation and FTS operators in the input are literal) and prefix-matched,
/// and all words must match.
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '_')
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Each kind of indexed document: `rowid % 8`, its record kind (whose name
/// is the table's), and the SQL expression of its indexed text (over the
/// table's columns). The one place both the indexer and the search excerpts
/// read; the queueing triggers of schema 0005 list the same columns.
const DOCUMENTS: [(i64, RecordKind, &str); 4] = [
    (1, RecordKind::Evidence, "concat_ws(' ', title, description, platform, source_url, author_handle, platform_id)"),
    (2, RecordKind::File, "concat_ws(' ', original_name, note, make, model, acquired_by, method, tool)"),
    (3, RecordKind::Article, "concat_ws(' ', title, publisher, author, url, body)"),
    (4, RecordKind::Claim, "text"),
];

/// Bring the full-text index up to date with the documents the triggers
/// queued in this transaction (schema 0005 explains why it is deferred): the
/// writer calls it just before every commit. Deleted records simply find no
/// row to re-insert.
pub(crate) fn reindex_dirty(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    let queued: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM search_dirty)", [], |r| r.get(0))?;
    if !queued {
        return Ok(());
    }
    let selects: Vec<String> = DOCUMENTS
        .iter()
        .map(|(code, kind, text)| {
            let table = kind.name();
            format!(
                "SELECT d.doc, {text} FROM search_dirty d JOIN {table} t ON d.doc % 8 = {code} AND t.id = d.doc / 8"
            )
        })
        .collect();
    tx.execute_batch(&format!(
        "DELETE FROM search_index WHERE rowid IN (SELECT doc FROM search_dirty);
         INSERT INTO search_index(rowid, body) {};
         DELETE FROM search_dirty;",
        selects.join(" UNION ALL ")
    ))?;
    Ok(())
}

/// How many of the newest matches `search` ranks (see there).
const RANK_WINDOW: i64 = 20_000;

impl Catalog {
    /// Full-text search: up to `limit` hits, best first by bm25 among the
    /// 20,000 newest matches (all of them, unless a word is very common).
    pub fn search(&self, text: &str, limit: u64) -> Result<Vec<SearchHit>> {
        let q = fts_query(text).ok_or_else(|| Error::invalid("search text", text, "give at least one word"))?;
        // Rank first, snippets after. Ranking scores every match (bm25), so
        // only the RANK_WINDOW newest matches are ranked: a word in 200,000
        // documents took 0.19 s to rank in full (benches/scale.sh, 1M files),
        // 20,000 take ~20 ms.
        let mut stmt = self.conn().prepare_cached(
            "SELECT rowid FROM (SELECT rowid, rank FROM search_index WHERE search_index MATCH ?1
                                ORDER BY rowid DESC LIMIT ?3)
             ORDER BY rank LIMIT ?2",
        )?;
        let rowids: Vec<i64> = stmt
            .query_map(rusqlite::params![q, limit.min(i64::MAX as u64) as i64, RANK_WINDOW], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut hits = Vec::new();
        for rowid in rowids {
            let Some(&(_, kind, text_sql)) = DOCUMENTS.iter().find(|d| d.0 == rowid % 8) else {
                continue;
            };
            let sql = format!("SELECT {text_sql} FROM {} WHERE id = ?1", kind.name());
            // Excerpts from the record's own text, not FTS5's snippet(): that
            // re-runs the MATCH per hit (a prefix query merges every matching
            // term's document list each time: ~10 ms per hit at 200,000
            // matches) and tokenizes whole documents.
            let body: Option<String> =
                self.conn().prepare_cached(&sql)?.query_row([rowid / 8], |r| r.get(0)).optional()?;
            let Some(body) = body else { continue };
            hits.push(SearchHit {
                kind: kind.name(),
                id: kind.display_id(rowid / 8),
                snippet: excerpt(&body, text).replace('\n', " "),
            });
        }
        Ok(hits)
    }
}

/// About 80 characters of `body` around the first word of `text` that
/// occurs in it (case-insensitive), the word in [brackets] like FTS snippets.
fn excerpt(body: &str, text: &str) -> String {
    let lower = body.to_lowercase();
    // Lowercasing can change byte lengths (rare scripts); fall back to the start.
    let same_layout = lower.len() == body.len();
    let found = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '_')
        .filter(|w| !w.is_empty())
        .find_map(|w| {
            let w = w.to_lowercase();
            lower.find(&w).map(|at| (at, w.len()))
        })
        .filter(|_| same_layout);
    let Some((at, len)) = found else {
        return body.chars().take(80).collect();
    };
    let floor = |mut i: usize| {
        while !body.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(at.saturating_sub(40));
    let end = floor((at + len + 40).min(body.len()));
    let word_end = floor((at + len).min(body.len()));
    let pre = if start > 0 { "…" } else { "" };
    let post = if end < body.len() { "…" } else { "" };
    format!("{pre}{}[{}]{}{post}", &body[start..at], &body[at..word_end], &body[word_end..end])
}

#[cfg(test)]
mod tests {
    use super::{excerpt, fts_query};
    use crate::catalog::evidence::{EvidenceEdit, EvidenceKind, Patch, Provenance};
    use crate::catalog::Catalog;

    fn hits(cat: &Catalog, text: &str) -> Vec<String> {
        cat.search(text, 10).unwrap().into_iter().map(|h| h.id).collect()
    }

    /// The index is brought up to date at commit (schema 0005): inserts,
    /// edits of indexed fields and nothing else.
    #[test]
    fn deferred_index_follows_inserts_and_edits() {
        let dir = tempfile::tempdir().unwrap();
        let mut cat = Catalog::init(&dir.path().join("cat"), "tester", None).unwrap();
        let prov = Provenance { title: Some("Quayside barrier clip".into()), ..Default::default() };
        let e = cat.add_referenced_evidence(EvidenceKind::Video, &prov, None).unwrap();
        assert_eq!(hits(&cat, "quayside"), vec![e.to_string()]);
        let retitle = EvidenceEdit { title: Patch::Set("Harbour gate clip".into()), ..Default::default() };
        cat.edit_evidence(e, &retitle, None).unwrap();
        assert!(hits(&cat, "quayside").is_empty());
        assert_eq!(hits(&cat, "harbour"), vec![e.to_string()]);
        // Excerpts come from the record's own text, the hit in brackets.
        assert_eq!(cat.search("harbour", 10).unwrap()[0].snippet, "[Harbour] gate clip");
        let url = EvidenceEdit { source_url: Patch::Set("https://video.example/v/991".into()), ..Default::default() };
        cat.edit_evidence(e, &url, None).unwrap();
        assert_eq!(hits(&cat, "991"), vec![e.to_string()]);
        let queued: i64 = cat.conn().query_row("SELECT count(*) FROM search_dirty", [], |r| r.get(0)).unwrap();
        assert_eq!(queued, 0, "the queue is emptied by every commit");
    }

    #[test]
    fn excerpts_bracket_the_first_hit_on_char_boundaries() {
        let body = format!("{}Officers moved the BARRIER aside. {}", "é".repeat(50), "ü".repeat(50));
        let e = excerpt(&body, "barrier");
        assert!(e.contains("[BARRIER]"), "{e}");
        assert!(e.starts_with('…') && e.ends_with('…'));
        assert_eq!(excerpt("short text", "absent"), "short text");
    }

    #[test]
    fn queries_are_quoted() {
        assert_eq!(fts_query("police barriers").as_deref(), Some("\"police\"* \"barriers\"*"));
        assert_eq!(fts_query("a\"b OR c*").as_deref(), Some("\"a\"* \"b\"* \"OR\"* \"c\"*"));
        assert_eq!(fts_query("  ...  "), None);
    }
}
