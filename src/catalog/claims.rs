//! Claims: statements in an article (span-exact) or standalone.

use rusqlite::types::Value as V;
use rusqlite::OptionalExtension;
use serde::Serialize;

use super::evidence::string_enum;
use super::{now, Catalog, RecordKind, Writer};
use crate::articles::{self, QuoteMatch};
use crate::custody::Action;
use crate::error::{Error, Result};
use crate::ids::{ArticleId, ClaimId};

string_enum!(
    /// Review state of a claim.
    ClaimStatus, "claim status" {
        Detected => "detected",
        Confirmed => "confirmed",
        Rejected => "rejected",
        Asserted => "asserted",
    }
);

string_enum!(
    /// Who marked the claim.
    ClaimOrigin, "claim origin" {
        Detected => "detected",
        Manual => "manual",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    pub id: ClaimId,
    pub article_id: Option<ArticleId>,
    pub text: String,
    /// UTF-8 byte offsets into the article body.
    pub start_byte: Option<usize>,
    pub end_byte: Option<usize>,
    pub status: ClaimStatus,
    pub origin: ClaimOrigin,
    pub created_at: String,
}

const SELECT: &str = "SELECT id, article_id, text, start_byte, end_byte, status, origin, created_at FROM claim";

pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Claim> {
    let status: String = r.get(5)?;
    let origin: String = r.get(6)?;
    Ok(Claim {
        id: ClaimId(r.get(0)?),
        article_id: r.get::<_, Option<i64>>(1)?.map(ArticleId),
        text: r.get(2)?,
        start_byte: r.get::<_, Option<i64>>(3)?.map(|v| v.max(0) as usize),
        end_byte: r.get::<_, Option<i64>>(4)?.map(|v| v.max(0) as usize),
        status: status.parse().unwrap_or(ClaimStatus::Detected),
        origin: origin.parse().unwrap_or(ClaimOrigin::Manual),
        created_at: r.get(7)?,
    })
}

pub(crate) fn insert(
    w: &mut Writer<'_>,
    anchor: Option<(ArticleId, usize, usize)>,
    text: &str,
    status: ClaimStatus,
    origin: ClaimOrigin,
) -> Result<ClaimId> {
    let (a, s, e) = match anchor {
        Some((a, s, e)) => (V::Integer(a.0), V::Integer(s as i64), V::Integer(e as i64)),
        None => (V::Null, V::Null, V::Null),
    };
    let id = w.insert_row(
        RecordKind::Claim,
        &[
            ("article_id", a),
            ("text", V::Text(text.to_string())),
            ("start_byte", s),
            ("end_byte", e),
            ("status", V::Text(status.to_string())),
            ("origin", V::Text(origin.to_string())),
            ("created_at", V::Text(now())),
        ],
        Action::Marked,
        None,
        serde_json::Value::Null,
    )?;
    Ok(ClaimId(id))
}

pub(crate) fn get_in(conn: &rusqlite::Connection, id: ClaimId) -> Result<Claim> {
    conn.prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
        .query_row([id.0], from_row)
        .optional()?
        .ok_or_else(|| Error::not_found(format!("claim {id}")))
}

/// Filters for `evcat list claims`.
#[derive(Debug, Clone, Default)]
pub struct ClaimFilter {
    pub article: Option<ArticleId>,
    pub status: Option<ClaimStatus>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Result of marking a claim: new, or the existing claim with the same span.
#[derive(Debug, Clone, Serialize)]
pub struct Marked {
    pub claim: Claim,
    pub already_marked: bool,
}

impl Catalog {
    pub fn claim(&self, id: ClaimId) -> Result<Claim> {
        get_in(self.conn(), id)
    }

    /// Mark the exact span of `quote` in an article as a claim.
    pub fn add_claim_quote(&mut self, article: ArticleId, quote: &str) -> Result<Marked> {
        let a = self.article(article)?;
        let span = match articles::find_quote(&a.body, quote) {
            QuoteMatch::Unique(span) => span,
            QuoteMatch::Ambiguous(spans) => {
                return Err(Error::invalid(
                    "quote",
                    quote,
                    format!(
                        "it occurs {} times in {article} (at bytes {}); quote more words to make it unique",
                        spans.len(),
                        spans.iter().map(|s| format!("{}..{}", s.start, s.end)).collect::<Vec<_>>().join(", ")
                    ),
                ))
            }
            QuoteMatch::NotFound { suggestions } => {
                let hint = if suggestions.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; closest sentences: {}",
                        suggestions.iter().map(|(_, s)| format!("{s:?}")).collect::<Vec<_>>().join(" | ")
                    )
                };
                return Err(Error::invalid("quote", quote, format!("not found in {article}{hint}")));
            }
        };
        self.mark_span(&a, span.start, span.end)
    }

    /// Mark the bytes `start..end` of an article's stored body as a claim (what a
    /// text selection in `evcat serve` sends). The span must lie on UTF-8
    /// character boundaries and hold more than whitespace.
    pub fn add_claim_span(&mut self, article: ArticleId, start: usize, end: usize) -> Result<Marked> {
        let a = self.article(article)?;
        let span = format!("{start}..{end}");
        match a.body.get(start..end) {
            None => {
                return Err(Error::invalid(
                    "claim span",
                    span,
                    format!(
                        "{article} body is {} bytes; the span must lie inside it on character boundaries",
                        a.body.len()
                    ),
                ))
            }
            Some(t) if t.trim().is_empty() => return Err(Error::invalid("claim span", span, "it selects no text")),
            Some(_) => {}
        }
        self.mark_span(&a, start, end)
    }

    fn mark_span(&mut self, a: &super::articles::Article, start: usize, end: usize) -> Result<Marked> {
        let article = a.id;
        let span = start..end;
        let existing: Option<Claim> = self
            .conn()
            .prepare_cached(&format!("{SELECT} WHERE article_id = ?1 AND start_byte = ?2 AND end_byte = ?3"))?
            .query_row(rusqlite::params![article.0, span.start as i64, span.end as i64], from_row)
            .optional()?;
        if let Some(claim) = existing {
            return Ok(Marked { claim, already_marked: true });
        }
        let text = a.body.get(span.start..span.end).unwrap_or_default().to_string();
        let id = self.write(|w| {
            insert(w, Some((article, span.start, span.end)), &text, ClaimStatus::Asserted, ClaimOrigin::Manual)
        })?;
        Ok(Marked { claim: self.claim(id)?, already_marked: false })
    }

    /// Record a standalone claim (not anchored in an imported article).
    pub fn add_claim_text(&mut self, text: &str) -> Result<Marked> {
        let t = text.trim();
        if t.is_empty() {
            return Err(Error::invalid("claim text", text, "it is empty"));
        }
        let id = self.write(|w| insert(w, None, t, ClaimStatus::Asserted, ClaimOrigin::Manual))?;
        Ok(Marked { claim: self.claim(id)?, already_marked: false })
    }

    /// Confirm or reject a claim (typically a detected one).
    pub fn set_claim_status(&mut self, id: ClaimId, status: ClaimStatus, reason: Option<&str>) -> Result<Claim> {
        let action = match status {
            ClaimStatus::Confirmed => Action::Confirmed,
            ClaimStatus::Rejected => Action::Rejected,
            other => return Err(Error::invalid("claim status", other.to_string(), "only confirm or reject a claim")),
        };
        self.write(|w| {
            get_in(&w.tx, id)?;
            w.update_row(
                RecordKind::Claim,
                id.0,
                &[("status", V::Text(status.to_string()))],
                action,
                reason,
                serde_json::Value::Null,
            )
        })?;
        self.claim(id)
    }

    pub fn list_claims(&self, f: &ClaimFilter) -> Result<Vec<Claim>> {
        let mut sql = format!("{SELECT} WHERE 1=1");
        let mut args: Vec<V> = Vec::new();
        if let Some(a) = f.article {
            args.push(V::Integer(a.0));
            sql.push_str(&format!(" AND article_id = ?{}", args.len()));
        }
        if let Some(s) = f.status {
            args.push(V::Text(s.to_string()));
            sql.push_str(&format!(" AND status = ?{}", args.len()));
        }
        sql.push_str(&format!(
            " ORDER BY article_id, start_byte, id LIMIT {} OFFSET {}",
            f.limit.map(|l| l.min(i64::MAX as u64) as i64).unwrap_or(-1),
            f.offset.unwrap_or(0).min(i64::MAX as u64)
        ));
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Claims (not rejected) with no `depicts`, `supports` or `mentions` link to
    /// evidence we hold bytes for: what still needs acquiring or linking.
    pub fn unsupported_claims(&self, limit: Option<u64>) -> Result<Vec<Claim>> {
        let sql = format!(
            "{SELECT} WHERE status != 'rejected' AND NOT EXISTS (
                SELECT 1 FROM link l JOIN evidence e ON e.id = l.evidence_id
                WHERE l.claim_id = claim.id AND e.status = 'acquired' AND l.relation != 'contradicts')
             ORDER BY article_id, start_byte, id LIMIT {}",
            limit.map(|l| l.min(i64::MAX as u64) as i64).unwrap_or(-1)
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
