//! Storage of the custody log: rows of `custody_event` <-> [`SealedEvent`].
//!
//! One row mapper ([`sealed_from_row`]) and one insert binder ([`insert`])
//! serve the catalog's log and the log database a bag carries; everything
//! else (the CLI, exports, audit) works on `SealedEvent`.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row};

use super::actors::Actor;
use super::Catalog;
use crate::custody::{Action, Event, Head, SealedEvent, GENESIS};
use crate::error::{Error, Result};
use crate::ids::Subject;

const COLS: &str = "seq, subject_type, subject_id, action, actor, at, host, location, reason, details, prev_hash, hash, key_id, signature";

const INSERT_EVENT: &str = "INSERT INTO custody_event(seq, subject_type, subject_id, action, actor, at, host, location, reason, details, prev_hash, hash, key_id, signature)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

/// The one row mapper. Malformed hex fields become zeroes and undecodable
/// details a JSON string, so that verification reports them (as a hash or
/// signature mismatch) instead of the read failing.
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

/// The one insert binder.
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

/// The last event's head, or seq 0 with the genesis hash for an empty log.
pub(crate) fn head_in(conn: &Connection) -> Result<Head> {
    let row: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM custody_event ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Ok(Head::chain(0, GENESIS)),
        Some((seq, hash)) => {
            let mut h = [0u8; 32];
            hex::decode_to_slice(&hash, &mut h).map_err(|_| {
                Error::Corrupt(format!("custody event {seq} has a malformed hash {hash:?}; run `evcat audit`"))
            })?;
            Ok(Head::chain(seq as u64, h))
        }
    }
}

/// Head of the log with its tree root; `None` for an empty log.
pub fn head(cat: &Catalog) -> Result<Option<Head>> {
    let h = head_in(cat.conn())?;
    if h.seq == 0 {
        return Ok(None);
    }
    Ok(Some(h.with_root(super::tree::root_at(cat, h.seq)?)))
}

fn query(conn: &Connection, filter: &str, params: impl rusqlite::Params) -> Result<Vec<SealedEvent>> {
    let sql = format!("SELECT {COLS} FROM custody_event {filter}");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params, sealed_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Events with `seq > since`, in order, at most `limit` (all if `None`).
pub fn entries(cat: &Catalog, since: u64, limit: Option<u64>) -> Result<Vec<SealedEvent>> {
    let lim = limit.map(|l| l.min(i64::MAX as u64) as i64).unwrap_or(-1);
    query(cat.conn(), "WHERE seq > ?1 ORDER BY seq LIMIT ?2", rusqlite::params![since.min(i64::MAX as u64) as i64, lim])
}

/// The event with sequence number `seq`, if the log holds it.
pub fn event(cat: &Catalog, seq: u64) -> Result<Option<SealedEvent>> {
    let Ok(seq) = i64::try_from(seq) else { return Ok(None) };
    Ok(query(cat.conn(), "WHERE seq = ?1", [seq])?.pop())
}

/// Visit all events in seq order without holding them all in memory.
pub fn for_each(cat: &Catalog, mut f: impl FnMut(SealedEvent) -> Result<()>) -> Result<()> {
    let sql = format!("SELECT {COLS} FROM custody_event ORDER BY seq");
    let mut stmt = cat.conn().prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        f(sealed_from_row(r)?)?;
    }
    Ok(())
}

/// The timeline of one record (empty for the catalog itself: its events are
/// the whole log's business, see [`entries`]).
pub fn for_subject(cat: &Catalog, subject: Subject) -> Result<Vec<SealedEvent>> {
    let Some(id) = subject.id() else { return Ok(Vec::new()) };
    query(
        cat.conn(),
        "WHERE subject_type = ?1 AND subject_id = ?2 ORDER BY seq",
        rusqlite::params![subject.type_name(), id],
    )
}

/// Number of events in the log.
pub fn count(cat: &Catalog) -> Result<u64> {
    let n: i64 = cat.conn().query_row("SELECT count(*) FROM custody_event", [], |r| r.get(0))?;
    Ok(n as u64)
}

/// The most recent event with this action (e.g. the last `verified`).
pub fn last_with_action(cat: &Catalog, action: &Action) -> Result<Option<SealedEvent>> {
    Ok(query(cat.conn(), "WHERE action = ?1 ORDER BY seq DESC LIMIT 1", [action.as_str()])?.pop())
}

/// Every event about a record kind (`actor`: the key history), in order.
pub fn for_subject_type(cat: &Catalog, subject_type: &str) -> Result<Vec<SealedEvent>> {
    query(cat.conn(), "WHERE subject_type = ?1 ORDER BY seq", [subject_type])
}

/// Every event with this action, on any subject, in order (uses the
/// `custody_action` index).
pub fn events_with_action(cat: &Catalog, action: &Action) -> Result<Vec<SealedEvent>> {
    query(cat.conn(), "WHERE action = ?1 ORDER BY seq", [action.as_str()])
}

/// Every event with this action on the catalog itself, in order (e.g. the
/// earlier `imported` events of bags).
pub fn catalog_events_with_action(cat: &Catalog, action: &Action) -> Result<Vec<SealedEvent>> {
    query(cat.conn(), "WHERE action = ?1 AND subject_type = ?2 ORDER BY seq", [action.as_str(), Subject::CATALOG])
}

/// Write `actors` and `events` into a new SQLite database at `path`, using
/// this catalog's own definitions of the `actor` and `custody_event` tables
/// (read from its schema, so the copy cannot drift from it): the log a bag
/// carries for `tools/verify_chain.py`.
pub(crate) fn write_log_db(cat: &Catalog, path: &Path, actors: &[Actor], events: &[SealedEvent]) -> Result<()> {
    let mut stmt = cat.conn().prepare(
        "SELECT sql FROM sqlite_master WHERE tbl_name IN ('actor', 'custody_event') AND sql IS NOT NULL
         ORDER BY type = 'table' DESC, name",
    )?;
    let schema: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let mut conn = Connection::open(path)?;
    let tx = conn.transaction()?;
    for sql in &schema {
        tx.execute_batch(sql)?;
    }
    for a in actors {
        tx.execute(
            "INSERT INTO actor(name, role, public_key, key_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![a.name, a.role, a.public_key, a.key_id, a.created_at],
        )?;
    }
    for e in events {
        insert(&tx, e)?;
    }
    tx.commit()?;
    conn.close().map_err(|(_, e)| Error::Db(e))?;
    Ok(())
}

impl Catalog {
    /// Check that a referenced record exists and return it as a custody subject.
    pub fn resolve_subject(&self, r: &crate::ids::Ref) -> Result<Subject> {
        use crate::ids::Ref;
        Ok(match r {
            Ref::Evidence(id) => Subject::Evidence(self.evidence(*id)?.id),
            Ref::File(id) => Subject::File(self.file(*id)?.id),
            Ref::Sha256Prefix(p) => Subject::File(self.file_by_prefix(p)?.id),
            Ref::Article(id) => Subject::Article(self.article(*id)?.id),
            Ref::Claim(id) => Subject::Claim(self.claim(*id)?.id),
            Ref::Link(id) => Subject::Link(self.link(*id)?.id),
        })
    }

    /// The timeline of a record given by reference, including records that
    /// were removed (an unlinked link keeps its history in the log).
    pub fn custody_history(&self, r: &crate::ids::Ref) -> Result<Vec<SealedEvent>> {
        match self.resolve_subject(r) {
            Ok(s) => self.custody_of(s),
            Err(Error::NotFound { what }) => {
                let Some(removed) = r.subject() else { return Err(Error::NotFound { what }) };
                let events = self.custody_of(removed)?;
                if events.is_empty() {
                    return Err(Error::NotFound { what });
                }
                Ok(events)
            }
            Err(e) => Err(e),
        }
    }

    /// The timeline of one record.
    pub fn custody_of(&self, subject: Subject) -> Result<Vec<SealedEvent>> {
        for_subject(self, subject)
    }

    /// Record a hand-over of a record (and the bytes behind it) to someone.
    pub fn custody_transfer(&mut self, subject: Subject, to: &str, reason: &str) -> Result<u64> {
        if to.trim().is_empty() || reason.trim().is_empty() {
            return Err(Error::invalid("transfer", to, "both --to and --reason are required and must not be empty"));
        }
        self.write(|w| {
            let from = w.actor().to_string();
            w.append(subject, Action::Transferred, Some(reason), serde_json::json!({ "from": from, "to": to }))
        })
    }

    /// Attach a free-text note to a record's timeline.
    pub fn custody_note(&mut self, subject: Subject, text: &str) -> Result<u64> {
        if text.trim().is_empty() {
            return Err(Error::invalid("note", text, "the note is empty"));
        }
        self.write(|w| w.append(subject, Action::Note, None, serde_json::json!({ "note": text })))
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
