//! Links between claims and evidence, optionally narrowed to a time range of a
//! video or a region of a photo.

use rusqlite::types::Value as V;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use super::evidence::{string_enum, EvidenceKind};
use super::{now, Catalog, RecordKind, Writer};
use crate::custody::Action;
use crate::error::{Error, Result};
use crate::ids::{ArticleId, ClaimId, EvidenceId, LinkId};
use crate::timefmt::format_clock_ms;

string_enum!(
    /// How evidence bears on a claim.
    Relation, "relation" {
        Depicts => "depicts",
        Supports => "supports",
        Contradicts => "contradicts",
        Mentions => "mentions",
    }
);

string_enum!(
    /// Where a link came from: a person (`evcat link`), a detection rule, or an embed of the
    /// article page (an embedded post or media item, or an in-text link to a post).
    LinkOrigin, "link origin" {
        Manual => "manual",
        Detected => "detected",
        Embedded => "embedded",
    }
);

/// A rectangle in pixels of the image (or video frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl std::str::FromStr for Region {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let parts: Vec<Option<u32>> = s.split(',').map(|p| p.trim().parse().ok()).collect();
        match parts.as_slice() {
            [Some(x), Some(y), Some(w), Some(h)] if *w > 0 && *h > 0 => Ok(Region { x: *x, y: *y, w: *w, h: *h }),
            _ => Err(Error::invalid("region", s, "expected x,y,w,h in pixels with w and h > 0, e.g. 120,40,300,200")),
        }
    }
}

/// A time range `START-END` in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    pub start_ms: u64,
    pub end_ms: u64,
}

impl std::str::FromStr for TimeRange {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::invalid(
                "time range",
                s,
                format!("{why}; expected START-END such as 00:12-00:18 or 1:02:03.5-1:02:10"),
            )
        };
        let (a, b) = s.split_once('-').ok_or_else(|| bad("no '-' between start and end"))?;
        let start_ms = crate::timefmt::parse_clock_ms(a).ok_or_else(|| bad("start is not a time"))?;
        let end_ms = crate::timefmt::parse_clock_ms(b).ok_or_else(|| bad("end is not a time"))?;
        if end_ms <= start_ms {
            return Err(bad("end must be after start"));
        }
        Ok(TimeRange { start_ms, end_ms })
    }
}

impl std::fmt::Display for TimeRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", format_clock_ms(self.start_ms), format_clock_ms(self.end_ms))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub id: LinkId,
    pub claim_id: ClaimId,
    pub evidence_id: EvidenceId,
    pub relation: Relation,
    pub range: Option<TimeRange>,
    pub region: Option<Region>,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: String,
    /// None for links made before links recorded their origin.
    pub origin: Option<LinkOrigin>,
}

#[derive(Debug, Clone)]
pub struct NewLink {
    pub claim: ClaimId,
    pub evidence: EvidenceId,
    pub relation: Relation,
    pub range_ms: Option<TimeRange>,
    pub region: Option<Region>,
    pub note: Option<String>,
    pub origin: LinkOrigin,
}

const SELECT: &str = "SELECT id, claim_id, evidence_id, relation, start_ms, end_ms, region_x, region_y, region_w, region_h, note, created_by, created_at, origin FROM link";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Link> {
    let rel: String = r.get(3)?;
    let range = match (r.get::<_, Option<i64>>(4)?, r.get::<_, Option<i64>>(5)?) {
        (Some(s), Some(e)) => Some(TimeRange { start_ms: s.max(0) as u64, end_ms: e.max(0) as u64 }),
        _ => None,
    };
    let region = match (r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?) {
        (Some(x), Some(y), Some(w), Some(h)) => Some(Region { x, y, w, h }),
        _ => None,
    };
    Ok(Link {
        id: LinkId(r.get(0)?),
        claim_id: ClaimId(r.get(1)?),
        evidence_id: EvidenceId(r.get(2)?),
        relation: rel.parse().unwrap_or(Relation::Mentions),
        range,
        region,
        note: r.get(10)?,
        created_by: r.get(11)?,
        created_at: r.get(12)?,
        origin: r.get::<_, Option<String>>(13)?.and_then(|o| o.parse().ok()),
    })
}

fn opt_u(v: Option<u64>) -> V {
    v.map(|x| V::Integer(x.min(i64::MAX as u64) as i64)).unwrap_or(V::Null)
}

/// Check a range/region against what we know of the evidence's files.
fn validate(w: &Writer<'_>, l: &NewLink) -> Result<()> {
    let ev = super::evidence::get_in(&w.tx, l.evidence)?;
    super::claims::get_in(&w.tx, l.claim)?;
    let (max_duration, max_w, max_h): (Option<i64>, Option<i64>, Option<i64>) = w.tx.query_row(
        "SELECT max(duration_ms), max(width), max(height) FROM file WHERE evidence_id = ?1",
        [l.evidence.0],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    if let Some(range) = l.range_ms {
        if !matches!(ev.kind, EvidenceKind::Video | EvidenceKind::Audio) {
            return Err(Error::invalid(
                "time range",
                range.to_string(),
                format!("{} is {} evidence; a time range applies to video or audio", ev.id, ev.kind),
            ));
        }
        if let Some(d) = max_duration {
            if range.end_ms > d.max(0) as u64 {
                return Err(Error::invalid(
                    "time range",
                    range.to_string(),
                    format!("it ends after the end of {}'s longest file ({})", ev.id, format_clock_ms(d.max(0) as u64)),
                ));
            }
        }
    }
    if let Some(r) = l.region {
        if !matches!(ev.kind, EvidenceKind::Image | EvidenceKind::Video) {
            return Err(Error::invalid(
                "region",
                format!("{},{},{},{}", r.x, r.y, r.w, r.h),
                format!("{} is {} evidence; a region applies to an image or video frame", ev.id, ev.kind),
            ));
        }
        if let (Some(mw), Some(mh)) = (max_w, max_h) {
            let right = u64::from(r.x) + u64::from(r.w);
            let bottom = u64::from(r.y) + u64::from(r.h);
            if right > mw.max(0) as u64 || bottom > mh.max(0) as u64 {
                return Err(Error::invalid(
                    "region",
                    format!("{},{},{},{}", r.x, r.y, r.w, r.h),
                    format!("it extends beyond the {mw}x{mh} picture of {}", ev.id),
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn insert(w: &mut Writer<'_>, l: &NewLink) -> Result<LinkId> {
    validate(w, l)?;
    let dup: Option<i64> = w
        .tx
        .query_row(
            "SELECT id FROM link WHERE claim_id = ?1 AND evidence_id = ?2 AND relation = ?3
             AND start_ms IS ?4 AND end_ms IS ?5 AND region_x IS ?6 AND region_y IS ?7 AND region_w IS ?8 AND region_h IS ?9",
            rusqlite::params![
                l.claim.0,
                l.evidence.0,
                l.relation.as_str(),
                l.range_ms.map(|r| r.start_ms as i64),
                l.range_ms.map(|r| r.end_ms as i64),
                l.region.map(|r| r.x),
                l.region.map(|r| r.y),
                l.region.map(|r| r.w),
                l.region.map(|r| r.h),
            ],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(d) = dup {
        return Err(Error::Conflict(format!(
            "{} is already linked to {} as {} (L{d})",
            l.claim, l.evidence, l.relation
        )));
    }
    let actor = w.actor().to_string();
    let cols: Vec<(&str, V)> = vec![
        ("claim_id", V::Integer(l.claim.0)),
        ("evidence_id", V::Integer(l.evidence.0)),
        ("relation", V::Text(l.relation.to_string())),
        ("start_ms", opt_u(l.range_ms.map(|r| r.start_ms))),
        ("end_ms", opt_u(l.range_ms.map(|r| r.end_ms))),
        ("region_x", opt_u(l.region.map(|r| u64::from(r.x)))),
        ("region_y", opt_u(l.region.map(|r| u64::from(r.y)))),
        ("region_w", opt_u(l.region.map(|r| u64::from(r.w)))),
        ("region_h", opt_u(l.region.map(|r| u64::from(r.h)))),
        ("note", l.note.clone().map(V::Text).unwrap_or(V::Null)),
        ("created_by", V::Text(actor)),
        ("created_at", V::Text(now())),
        ("origin", V::Text(l.origin.to_string())),
    ];
    Ok(LinkId(w.insert_row(RecordKind::Link, &cols, Action::Linked, None, serde_json::Value::Null)?))
}

/// An article or claim that relies on a piece of evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Citation {
    pub link: LinkId,
    pub relation: Relation,
    pub evidence: EvidenceId,
    pub claim: ClaimId,
    pub claim_text: String,
    pub claim_status: String,
    pub article: Option<ArticleId>,
    pub article_title: Option<String>,
}

impl Catalog {
    pub fn link_claim(&mut self, l: &NewLink) -> Result<Link> {
        let id = self.write(|w| insert(w, l))?;
        self.link(id)
    }

    pub fn unlink(&mut self, id: LinkId, reason: Option<&str>) -> Result<Link> {
        let link = self.link(id)?;
        self.write(|w| w.delete_row(RecordKind::Link, id.0, Action::Unlinked, reason))?;
        Ok(link)
    }

    pub fn link(&self, id: LinkId) -> Result<Link> {
        self.conn()
            .prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
            .query_row([id.0], from_row)
            .optional()?
            .ok_or_else(|| Error::not_found(format!("link {id}")))
    }

    pub fn links_of_claim(&self, claim: ClaimId) -> Result<Vec<Link>> {
        let mut stmt = self.conn().prepare_cached(&format!("{SELECT} WHERE claim_id = ?1 ORDER BY id"))?;
        let rows = stmt.query_map([claim.0], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Which claims and articles rely on this evidence item.
    pub fn cited_by(&self, evidence: EvidenceId) -> Result<Vec<Citation>> {
        self.evidence(evidence)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT l.id, l.relation, l.evidence_id, c.id, c.text, c.status, a.id, a.title
             FROM link l JOIN claim c ON c.id = l.claim_id LEFT JOIN article a ON a.id = c.article_id
             WHERE l.evidence_id = ?1 ORDER BY a.id, c.start_byte, l.id",
        )?;
        let rows = stmt.query_map([evidence.0], |r| {
            let rel: String = r.get(1)?;
            Ok(Citation {
                link: LinkId(r.get(0)?),
                relation: rel.parse().unwrap_or(Relation::Mentions),
                evidence: EvidenceId(r.get(2)?),
                claim: ClaimId(r.get(3)?),
                claim_text: r.get(4)?,
                claim_status: r.get(5)?,
                article: r.get::<_, Option<i64>>(6)?.map(ArticleId),
                article_title: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
