//! Actors: who acts, with the public half of their signing key.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{now, Catalog, RecordKind, Writer};
use crate::custody::Action;
use crate::error::Result;

#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub name: String,
    pub role: Option<String>,
    pub public_key: String,
    pub key_id: String,
    pub created_at: String,
}

const SELECT: &str = "SELECT name, role, public_key, key_id, created_at FROM actor";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Actor> {
    Ok(Actor { name: r.get(0)?, role: r.get(1)?, public_key: r.get(2)?, key_id: r.get(3)?, created_at: r.get(4)? })
}

pub(crate) fn insert(
    w: &mut Writer<'_>,
    name: &str,
    role: Option<&str>,
    public_key: &str,
    key_id: &str,
) -> Result<i64> {
    use rusqlite::types::Value as V;
    let opt = |s: Option<&str>| s.map(|s| V::Text(s.to_string())).unwrap_or(V::Null);
    w.insert_row(
        RecordKind::Actor,
        &[
            ("name", V::Text(name.to_string())),
            ("role", opt(role)),
            ("public_key", V::Text(public_key.to_string())),
            ("key_id", V::Text(key_id.to_string())),
            ("created_at", V::Text(now())),
        ],
        Action::ActorAdded,
        None,
        serde_json::Value::Null,
    )
}

pub fn by_name(cat: &Catalog, name: &str) -> Result<Option<Actor>> {
    Ok(cat.conn().query_row(&format!("{SELECT} WHERE name = ?1"), params![name], from_row).optional()?)
}

pub fn list(cat: &Catalog) -> Result<Vec<Actor>> {
    let mut stmt = cat.conn().prepare(&format!("{SELECT} ORDER BY id"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Catalog {
    /// Create a signing identity: an ed25519 key pair whose private half is
    /// written (mode 0600) to `key_file` or `keys/NAME.key`, and whose public
    /// half is recorded in the catalog by the acting actor.
    pub fn add_actor(
        &mut self,
        name: &str,
        role: Option<&str>,
        key_file: Option<&std::path::Path>,
    ) -> Result<(Actor, std::path::PathBuf)> {
        super::validate_actor_name(name)?;
        if by_name(self, name)?.is_some() {
            return Err(crate::error::Error::Conflict(format!("actor {name:?} already exists")));
        }
        let path = key_file
            .map(std::path::Path::to_path_buf)
            .unwrap_or_else(|| self.root().join(super::KEYS_DIR).join(format!("{name}.key")));
        if path.exists() {
            return Err(crate::error::Error::Conflict(format!(
                "key file {} already exists; refusing to overwrite a private key",
                path.display()
            )));
        }
        let key = crate::custody::Keypair::generate()?;
        let (public, key_id) = (key.public_hex(), key.key_id());
        // Key file first, then the row: if the commit fails the key is
        // deleted again; the other order could leave an actor with no key.
        key.save(&path)?;
        let result = self.write(|w| insert(w, name, role, &public, &key_id));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        let actor = by_name(self, name)?.ok_or_else(|| crate::error::Error::not_found(format!("actor {name}")))?;
        Ok((actor, path))
    }
}
