//! Generic row snapshots: the JSON form of a row that custody events carry and
//! that audit recomputes. One function for every table keeps the two in step.
//!
//! Encoding of SQLite values: NULL -> null, INTEGER -> number, TEXT -> string,
//! REAL -> string in Rust's shortest round-trip form (custody JSON forbids floats
//! because float printing is not portable), BLOB -> lowercase hex string.
//! The `id` column is omitted: it is the event's subject id.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};

use crate::custody::Row;
use crate::error::{Error, Result};
use crate::ids::RecordKind;

/// The columns of each logged table, in snapshot order. The record kinds
/// themselves (names, prefixes) are [`RecordKind`], in `ids`.
impl RecordKind {
    pub(crate) fn columns(self) -> &'static [&'static str] {
        match self {
            RecordKind::Actor => &["name", "role", "public_key", "key_id", "created_at"],
            RecordKind::Evidence => &[
                "kind",
                "title",
                "description",
                "platform",
                "source_url",
                "platform_id",
                "author_handle",
                "posted_at",
                "status",
                "sources",
                "created_at",
                "author_id",
            ],
            RecordKind::File => &[
                "evidence_id",
                "sha256",
                "size",
                "media_type",
                "storage",
                "original_name",
                "original_path",
                "width",
                "height",
                "duration_ms",
                "video_codec",
                "audio_codec",
                "captured_at",
                "make",
                "model",
                "gps_lat",
                "gps_lon",
                "orientation",
                "software",
                "acquired_at",
                "acquired_by",
                "method",
                "tool",
                "note",
                "derived_from",
                "sources",
                "created_at",
                // 0007_media_facts: appended, so older snapshots are a prefix.
                "lens",
                "gps_alt",
                "gps_direction",
                "frame_rate",
                "rotation",
                "facts",
                "c2pa",
                // 0011_acquisition
                "acquisition",
            ],
            RecordKind::Article => &[
                "title",
                "publisher",
                "url",
                "author",
                "published_at",
                "format",
                "body",
                "body_sha256",
                "source_sha256",
                "source_name",
                "sources",
                "created_at",
                "lang",
                "modified_at",
                "canonical_url",
                "meta_sources",
            ],
            RecordKind::Claim => &["article_id", "text", "start_byte", "end_byte", "status", "origin", "created_at"],
            RecordKind::Link => &[
                "claim_id",
                "evidence_id",
                "relation",
                "start_ms",
                "end_ms",
                "region_x",
                "region_y",
                "region_w",
                "region_h",
                "note",
                "created_by",
                "created_at",
                "origin",
            ],
        }
    }

    /// Column names are interpolated into SQL, so only known ones pass.
    pub(crate) fn check_columns(self, names: &[&str]) -> Result<()> {
        for n in names {
            if !self.columns().contains(n) {
                return Err(Error::Corrupt(format!("internal: {} has no column {n}", self.name())));
            }
        }
        Ok(())
    }

    fn select_sql(self) -> String {
        format!("SELECT id, {} FROM {}", self.columns().join(", "), self.name())
    }
}

fn value_json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Value::String(format!("{f}")),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(hex::encode(b)),
    }
}

fn snapshot_from_row(kind: RecordKind, row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Row)> {
    let id: i64 = row.get(0)?;
    let mut m = Map::new();
    for (i, col) in kind.columns().iter().enumerate() {
        m.insert((*col).to_string(), value_json(row.get_ref(i + 1)?));
    }
    Ok((id, m))
}

/// The snapshot of one row, or `None` if it does not exist.
pub fn row_of(conn: &Connection, kind: RecordKind, id: i64) -> Result<Option<Row>> {
    let sql = format!("{} WHERE id = ?1", kind.select_sql());
    Ok(conn.prepare_cached(&sql)?.query_row([id], |r| snapshot_from_row(kind, r)).optional()?.map(|(_, v)| v))
}

/// [`row_of`] as a JSON value (what exports write).
pub fn row_snapshot(conn: &Connection, kind: RecordKind, id: i64) -> Result<Option<Value>> {
    Ok(row_of(conn, kind, id)?.map(Value::Object))
}

/// The inverse of the snapshot: the column values that insert a row whose
/// snapshot is `row` (how a bag's records come back in). Columns this evcat
/// does not know are refused; REAL columns, snapshotted as strings, are
/// parsed back.
pub(crate) fn row_values(
    conn: &Connection,
    kind: RecordKind,
    row: &Row,
) -> std::result::Result<Vec<(String, rusqlite::types::Value)>, String> {
    use rusqlite::types::Value as V;
    let real: Vec<String> = conn
        .prepare_cached("SELECT name FROM pragma_table_info(?1) WHERE upper(type) = 'REAL'")
        .and_then(|mut s| s.query_map([kind.name()], |r| r.get(0))?.collect())
        .map_err(|e| format!("cannot read the schema of {}: {e}", kind.name()))?;
    let mut out = Vec::with_capacity(row.len());
    for (k, val) in row {
        if !kind.columns().contains(&k.as_str()) {
            return Err(format!("column {k:?} is unknown to this evcat; upgrade evcat"));
        }
        let v = match val {
            Value::Null => V::Null,
            Value::String(s) if real.iter().any(|r| r == k) => {
                V::Real(s.parse::<f64>().map_err(|_| format!("{k} {s:?} is not a number"))?)
            }
            Value::String(s) => V::Text(s.clone()),
            Value::Number(n) => V::Integer(n.as_i64().ok_or_else(|| format!("{k} {n} is not a 64-bit integer"))?),
            other => return Err(format!("{k} holds {other}, not a column value")),
        };
        out.push((k.clone(), v));
    }
    Ok(out)
}

/// Visit every row of a table as `(id, snapshot)`, in id order.
pub fn for_each_snapshot(
    conn: &Connection,
    table: RecordKind,
    mut f: impl FnMut(i64, Row) -> Result<()>,
) -> Result<()> {
    let sql = format!("{} ORDER BY id", table.select_sql());
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (id, v) = snapshot_from_row(table, row)?;
        f(id, v)?;
    }
    Ok(())
}
