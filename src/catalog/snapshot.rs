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

use super::Subject;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    Actor,
    Evidence,
    File,
    Article,
    Claim,
    Link,
}

impl Table {
    pub const ALL: [Table; 6] = [Table::Actor, Table::Evidence, Table::File, Table::Article, Table::Claim, Table::Link];

    pub fn name(self) -> &'static str {
        match self {
            Table::Actor => "actor",
            Table::Evidence => "evidence",
            Table::File => "file",
            Table::Article => "article",
            Table::Claim => "claim",
            Table::Link => "link",
        }
    }

    pub fn from_subject_type(s: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == s)
    }

    pub fn subject(self, id: i64) -> Subject {
        match self {
            Table::Actor => Subject::Actor(id),
            Table::Evidence => Subject::Evidence(id),
            Table::File => Subject::File(id),
            Table::Article => Subject::Article(id),
            Table::Claim => Subject::Claim(id),
            Table::Link => Subject::Link(id),
        }
    }

    /// The user-facing reference of a row (`E12`, `F40`, ...).
    pub fn display_id(self, id: i64) -> String {
        match self {
            Table::Actor => format!("actor #{id}"),
            Table::Evidence => format!("E{id}"),
            Table::File => format!("F{id}"),
            Table::Article => format!("A{id}"),
            Table::Claim => format!("C{id}"),
            Table::Link => format!("L{id}"),
        }
    }

    pub(crate) fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Actor => &["name", "role", "public_key", "key_id", "created_at"],
            Table::Evidence => &[
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
            ],
            Table::File => &[
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
            ],
            Table::Article => &[
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
            Table::Claim => &["article_id", "text", "start_byte", "end_byte", "status", "origin", "created_at"],
            Table::Link => &[
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

fn snapshot_from_row(table: Table, row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Value)> {
    let id: i64 = row.get(0)?;
    let mut m = Map::new();
    for (i, col) in table.columns().iter().enumerate() {
        m.insert((*col).to_string(), value_json(row.get_ref(i + 1)?));
    }
    Ok((id, Value::Object(m)))
}

/// The snapshot of one row, or `None` if it does not exist.
pub fn row_snapshot(conn: &Connection, table: Table, id: i64) -> Result<Option<Value>> {
    let sql = format!("{} WHERE id = ?1", table.select_sql());
    Ok(conn.prepare_cached(&sql)?.query_row([id], |r| snapshot_from_row(table, r)).optional()?.map(|(_, v)| v))
}

/// Visit every row of a table as `(id, snapshot)`, in id order.
pub fn for_each_snapshot(conn: &Connection, table: Table, mut f: impl FnMut(i64, Value) -> Result<()>) -> Result<()> {
    let sql = format!("{} ORDER BY id", table.select_sql());
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (id, v) = snapshot_from_row(table, row)?;
        f(id, v)?;
    }
    Ok(())
}
