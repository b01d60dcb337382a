//! Storage of the custody log: rows of `custody_event` <-> [`SealedEvent`].

use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::custody::{Event, SealedEvent, GENESIS};
use crate::error::{Error, Result};

use super::Catalog;

/// One stored event, as listed by `evcat log` / `evcat custody`.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub seq: u64,
    pub subject_type: String,
    pub subject_id: Option<i64>,
    pub action: String,
    pub actor: String,
    pub at: String,
    pub host: String,
    pub location: Option<String>,
    pub reason: Option<String>,
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
    pub key_id: String,
    pub signature: String,
}

const COLS: &str = "seq, subject_type, subject_id, action, actor, at, host, location, reason, details, prev_hash, hash, key_id, signature";

/// The one statement that stores an event (catalog log and exported bags).
pub(crate) const INSERT_EVENT: &str = "INSERT INTO custody_event(seq, subject_type, subject_id, action, actor, at, host, location, reason, details, prev_hash, hash, key_id, signature)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

fn entry_from_row(r: &Row<'_>) -> rusqlite::Result<LogEntry> {
    let details: String = r.get(9)?;
    Ok(LogEntry {
        seq: r.get::<_, i64>(0)? as u64,
        subject_type: r.get(1)?,
        subject_id: r.get(2)?,
        action: r.get(3)?,
        actor: r.get(4)?,
        at: r.get(5)?,
        host: r.get(6)?,
        location: r.get(7)?,
        reason: r.get(8)?,
        // Undecodable details are kept as a string so audit can report them.
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::String(details)),
        prev_hash: r.get(10)?,
        hash: r.get(11)?,
        key_id: r.get(12)?,
        signature: r.get(13)?,
    })
}

impl LogEntry {
    /// The sealed form for verification. Malformed hex fields become zeroes,
    /// which verification then reports as a hash or signature mismatch.
    pub fn to_sealed(&self) -> SealedEvent {
        SealedEvent {
            event: Event {
                seq: self.seq,
                subject_type: self.subject_type.clone(),
                subject_id: self.subject_id,
                action: self.action.clone(),
                actor: self.actor.clone(),
                at: self.at.clone(),
                host: self.host.clone(),
                location: self.location.clone(),
                reason: self.reason.clone(),
                details: self.details.clone(),
                prev_hash: hex32(&self.prev_hash),
            },
            hash: hex32(&self.hash),
            key_id: self.key_id.clone(),
            signature: hex64(&self.signature),
        }
    }
}

fn hex32(s: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if !decode_hex(s, &mut out) {
        return [0u8; 32];
    }
    out
}

fn hex64(s: &str) -> [u8; 64] {
    let mut out = [0u8; 64];
    if !decode_hex(s, &mut out) {
        return [0u8; 64];
    }
    out
}

/// Lowercase or uppercase hex into `out`; false unless `s` is exactly
/// `2 * out.len()` hex digits. Hand-rolled because the audit decodes three
/// hex fields per event and `hex::decode_to_slice` showed up at ~7% of it.
fn decode_hex(s: &str, out: &mut [u8]) -> bool {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    if b.len() != 2 * out.len() {
        return false;
    }
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(h), Some(l)) => *o = h << 4 | l,
            _ => return false,
        }
    }
    true
}

/// The last event's (seq, hash), or (0, GENESIS) for an empty log.
pub(crate) fn head_in(conn: &Connection) -> Result<(u64, [u8; 32])> {
    let row: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM custody_event ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Ok((0, GENESIS)),
        Some((seq, hash)) => {
            let mut h = [0u8; 32];
            hex::decode_to_slice(&hash, &mut h).map_err(|_| {
                Error::Corrupt(format!("custody event {seq} has a malformed hash {hash:?}; run `evcat audit`"))
            })?;
            Ok((seq as u64, h))
        }
    }
}

pub(crate) fn insert(conn: &Connection, s: &SealedEvent) -> Result<()> {
    let e = &s.event;
    let details = crate::custody::canonical_json(&e.details)?;
    conn.prepare_cached(INSERT_EVENT)?.execute(rusqlite::params![
        e.seq as i64,
        e.subject_type,
        e.subject_id,
        e.action,
        e.actor,
        e.at,
        e.host,
        e.location,
        e.reason,
        details,
        hex::encode(e.prev_hash),
        hex::encode(s.hash),
        s.key_id,
        hex::encode(s.signature),
    ])?;
    Ok(())
}

/// Head of the log as (seq, hex hash); `None` for an empty log.
pub fn head(cat: &Catalog) -> Result<Option<(u64, String)>> {
    let (seq, hash) = head_in(cat.conn())?;
    Ok((seq > 0).then(|| (seq, hex::encode(hash))))
}

/// Events with `seq > since`, in order, at most `limit` (all if `None`).
pub fn entries(cat: &Catalog, since: u64, limit: Option<u64>) -> Result<Vec<LogEntry>> {
    let sql = format!("SELECT {COLS} FROM custody_event WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    let lim = limit.map(|l| l.min(i64::MAX as u64) as i64).unwrap_or(-1);
    let mut stmt = cat.conn().prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params![since as i64, lim], entry_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Visit all events in seq order without holding them all in memory.
pub fn for_each(cat: &Catalog, mut f: impl FnMut(LogEntry) -> Result<()>) -> Result<()> {
    let sql = format!("SELECT {COLS} FROM custody_event ORDER BY seq");
    let mut stmt = cat.conn().prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        f(entry_from_row(r)?)?;
    }
    Ok(())
}

/// Visit all events in seq order as [`SealedEvent`]s, built straight from the
/// row: the audit reads a million-event log once and would otherwise copy
/// every field twice (row -> [`LogEntry`] -> [`SealedEvent`]).
pub fn for_each_sealed(cat: &Catalog, mut f: impl FnMut(SealedEvent) -> Result<()>) -> Result<()> {
    let sql = format!("SELECT {COLS} FROM custody_event ORDER BY seq");
    let mut stmt = cat.conn().prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        f(sealed_from_row(r)?)?;
    }
    Ok(())
}

/// Same conversion rules as [`LogEntry::to_sealed`] (malformed hex becomes
/// zeroes, undecodable details a JSON string), so both report the same.
fn sealed_from_row(r: &Row<'_>) -> rusqlite::Result<SealedEvent> {
    let details = r.get_ref(9)?.as_str()?;
    let details = serde_json::from_str(details).unwrap_or_else(|_| serde_json::Value::String(details.to_string()));
    Ok(SealedEvent {
        event: Event {
            seq: r.get::<_, i64>(0)? as u64,
            subject_type: r.get(1)?,
            subject_id: r.get(2)?,
            action: r.get(3)?,
            actor: r.get(4)?,
            at: r.get(5)?,
            host: r.get(6)?,
            location: r.get(7)?,
            reason: r.get(8)?,
            details,
            prev_hash: hex32(r.get_ref(10)?.as_str()?),
        },
        hash: hex32(r.get_ref(11)?.as_str()?),
        key_id: r.get(12)?,
        signature: hex64(r.get_ref(13)?.as_str()?),
    })
}

/// The timeline of one record.
pub fn for_subject(cat: &Catalog, subject_type: &str, subject_id: i64) -> Result<Vec<LogEntry>> {
    let sql = format!("SELECT {COLS} FROM custody_event WHERE subject_type = ?1 AND subject_id = ?2 ORDER BY seq");
    let mut stmt = cat.conn().prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params![subject_type, subject_id], entry_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Number of events in the log.
pub fn count(cat: &Catalog) -> Result<u64> {
    let n: i64 = cat.conn().query_row("SELECT count(*) FROM custody_event", [], |r| r.get(0))?;
    Ok(n as u64)
}

/// The most recent event with this action (e.g. the last `verified`).
pub fn last_with_action(cat: &Catalog, action: &str) -> Result<Option<LogEntry>> {
    let sql = format!("SELECT {COLS} FROM custody_event WHERE action = ?1 ORDER BY seq DESC LIMIT 1");
    Ok(cat.conn().query_row(&sql, [action], entry_from_row).optional()?)
}

impl Catalog {
    /// Check that a referenced record exists and return it as a custody subject.
    pub fn resolve_subject(&self, r: &crate::ids::Ref) -> Result<super::Subject> {
        use super::Subject;
        use crate::ids::Ref;
        Ok(match r {
            Ref::Evidence(id) => Subject::Evidence(self.evidence(*id)?.id.0),
            Ref::File(id) => Subject::File(self.file(*id)?.id.0),
            Ref::Sha256Prefix(p) => Subject::File(self.file_by_prefix(p)?.id.0),
            Ref::Article(id) => Subject::Article(self.article(*id)?.id.0),
            Ref::Claim(id) => Subject::Claim(self.claim(*id)?.id.0),
            Ref::Link(id) => Subject::Link(self.link(*id)?.id.0),
        })
    }

    /// The timeline of a record given by reference, including records that
    /// were removed (an unlinked link keeps its history in the log).
    pub fn custody_history(&self, r: &crate::ids::Ref) -> Result<Vec<LogEntry>> {
        use super::Subject;
        use crate::ids::Ref;
        let subject = match self.resolve_subject(r) {
            Ok(s) => s,
            Err(Error::NotFound { what }) => {
                let removed = match r {
                    Ref::Evidence(id) => Subject::Evidence(id.0),
                    Ref::File(id) => Subject::File(id.0),
                    Ref::Article(id) => Subject::Article(id.0),
                    Ref::Claim(id) => Subject::Claim(id.0),
                    Ref::Link(id) => Subject::Link(id.0),
                    Ref::Sha256Prefix(_) => return Err(Error::NotFound { what }),
                };
                let events = self.custody_of(removed)?;
                if events.is_empty() {
                    return Err(Error::NotFound { what });
                }
                return Ok(events);
            }
            Err(e) => return Err(e),
        };
        self.custody_of(subject)
    }

    /// The timeline of one record.
    pub fn custody_of(&self, subject: super::Subject) -> Result<Vec<LogEntry>> {
        let (t, id) = subject.parts();
        for_subject(self, t, id.unwrap_or_default())
    }

    /// Record a hand-over of a record (and the bytes behind it) to someone.
    pub fn custody_transfer(&mut self, subject: super::Subject, to: &str, reason: &str) -> Result<u64> {
        if to.trim().is_empty() || reason.trim().is_empty() {
            return Err(Error::invalid("transfer", to, "both --to and --reason are required and must not be empty"));
        }
        self.write(|w| {
            let from = w.actor().to_string();
            w.append(subject, "transferred", Some(reason), serde_json::json!({ "from": from, "to": to }))
        })
    }

    /// Attach a free-text note to a record's custody timeline.
    pub fn custody_note(&mut self, subject: super::Subject, text: &str) -> Result<u64> {
        if text.trim().is_empty() {
            return Err(Error::invalid("note", text, "the note is empty"));
        }
        self.write(|w| w.append(subject, "note", None, serde_json::json!({ "note": text })))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_decoding_matches_the_hex_crate() {
        for s in ["", "00ff", "0A1b", "zz", "abc", "0g"] {
            let mut a = [0u8; 2];
            let mut b = [0u8; 2];
            assert_eq!(super::decode_hex(s, &mut a), hex::decode_to_slice(s, &mut b).is_ok(), "{s}");
            assert_eq!(a, b, "{s}");
        }
    }
}
