//! Full-text search (SQLite FTS5) over evidence, files, articles and claims.

use serde::Serialize;

use super::Catalog;
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

impl Catalog {
    pub fn search(&self, text: &str, limit: u64) -> Result<Vec<SearchHit>> {
        let q = fts_query(text).ok_or_else(|| Error::invalid("search text", text, "give at least one word"))?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT rowid, snippet(search_index, 0, '[', ']', '…', 12) FROM search_index
             WHERE search_index MATCH ?1 ORDER BY rank LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![q, limit.min(i64::MAX as u64) as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut hits = Vec::new();
        for row in rows {
            let (rowid, snippet) = row?;
            let (kind, prefix) = match rowid % 8 {
                1 => ("evidence", 'E'),
                2 => ("file", 'F'),
                3 => ("article", 'A'),
                4 => ("claim", 'C'),
                _ => continue,
            };
            hits.push(SearchHit { kind, id: format!("{prefix}{}", rowid / 8), snippet: snippet.replace('\n', " ") });
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn queries_are_quoted() {
        assert_eq!(fts_query("police barriers").as_deref(), Some("\"police\"* \"barriers\"*"));
        assert_eq!(fts_query("a\"b OR c*").as_deref(), Some("\"a\"* \"b\"* \"OR\"* \"c\"*"));
        assert_eq!(fts_query("  ...  "), None);
    }
}
