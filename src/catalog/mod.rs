//! The SQLite catalog: opening, migrating, discovery, and the one mutation path.
//!
//! Invariant: every change to a catalog row happens inside [`Catalog::write`],
//! whose [`Writer`] is the only holder of the write transaction and appends a
//! sealed custody event for each row it creates, changes or removes, in the same
//! transaction. Event details carry a full row snapshot for creations
//! (`{"row": {...}}`), field-level before/after for changes
//! (`{"changes": {"field": {"before": .., "after": ..}}}`) and `{"removed": true}`
//! for removals, so the current state of every row can be replayed from the log
//! (see `audit`).

pub mod actors;
pub mod articles;
pub mod claims;
pub mod embedded;
pub mod evidence;
pub mod files;
pub mod fingerprints;
pub mod keys;
pub mod lineage;
pub mod links;
pub mod log;
pub mod search;
pub mod snapshot;
pub mod timestamps;
pub mod trace;
pub mod tree;

use std::cell::OnceCell;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde_json::{json, Value};

use crate::custody::{self, Action, Event, Head, Keypair, RowChange};
use crate::error::{Error, Result};
use crate::store::Store;

pub use crate::ids::{RecordKind, Subject};
pub use snapshot::row_snapshot;

/// Migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../schema/0001_init.sql")),
    ("0002_articles", include_str!("../../schema/0002_articles.sql")),
    ("0003_fingerprints", include_str!("../../schema/0003_fingerprints.sql")),
    ("0004_custody_action_index", include_str!("../../schema/0004_custody_action_index.sql")),
    ("0005_deferred_search_index", include_str!("../../schema/0005_deferred_search_index.sql")),
    ("0006_fingerprint_band", include_str!("../../schema/0006_fingerprint_band.sql")),
    ("0007_media_facts", include_str!("../../schema/0007_media_facts.sql")),
    ("0008_article_metadata", include_str!("../../schema/0008_article_metadata.sql")),
    ("0009_custody_tree", include_str!("../../schema/0009_custody_tree.sql")),
    ("0010_fingerprint_parts", include_str!("../../schema/0010_fingerprint_parts.sql")),
    ("0011_acquisition", include_str!("../../schema/0011_acquisition.sql")),
    ("0012_audio_fingerprint", include_str!("../../schema/0012_audio_fingerprint.sql")),
];

pub const DB_FILE: &str = "catalog.sqlite";
pub const OBJECTS_DIR: &str = "objects";
pub const KEYS_DIR: &str = "keys";

/// A `user_version` this far beyond the migrations known here is not a newer
/// evcat (releases add a handful of migrations a year) but a damaged file.
const IMPLAUSIBLE_SCHEMA_LEAD: i64 = 1000;

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

/// Who is acting, resolved from `--actor`, `EVCAT_ACTOR` or the catalog default.
#[derive(Debug, Clone, Default)]
pub struct ActorOptions {
    pub name: Option<String>,
    /// Private key file; defaults to `keys/<name>.key` in the catalog.
    pub key_file: Option<PathBuf>,
    /// Free-text location recorded in each event's `location` field.
    pub location: Option<String>,
}

/// The identity that signs events written through this handle.
pub struct Signer {
    pub actor: String,
    pub key: Keypair,
    pub host: String,
    pub location: Option<String>,
}

pub struct Catalog {
    root: PathBuf,
    conn: Connection,
    store: Store,
    actor_opts: ActorOptions,
    signer: OnceCell<Signer>,
}

/// Current time as the RFC 3339 UTC text stored everywhere (microsecond precision).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn host_name() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

impl Catalog {
    /// Create a new catalog in `dir` (created if missing) with `actor` as its
    /// default, signing identity.
    pub fn init(dir: &Path, actor: &str, role: Option<&str>) -> Result<Catalog> {
        validate_actor_name(actor)?;
        if dir.join(DB_FILE).exists() {
            return Err(Error::CatalogExists { path: dir.to_path_buf() });
        }
        fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
        let keys = dir.join(KEYS_DIR);
        fs::create_dir_all(&keys).map_err(|e| Error::io("create directory", &keys, e))?;
        restrict_dir(&keys)?;
        let mut cat = Catalog::open_at(dir, ActorOptions { name: Some(actor.to_string()), ..Default::default() })?;
        let key_path = keys.join(format!("{actor}.key"));
        let key = Keypair::generate()?;
        key.save(&key_path)?;
        let mut id_bytes = [0u8; 16];
        getrandom::getrandom(&mut id_bytes)
            .map_err(|e| Error::Corrupt(format!("no randomness for the catalog id: {e}")))?;
        let catalog_id = hex::encode(id_bytes);
        cat.bootstrap(actor, role, key, &catalog_id)?;
        Ok(cat)
    }

    /// Open an existing catalog directory.
    pub fn open(dir: &Path, actor: ActorOptions) -> Result<Catalog> {
        if !dir.join(DB_FILE).is_file() {
            return Err(Error::NoCatalog { searched: dir.to_path_buf() });
        }
        Catalog::open_at(dir, actor)
    }

    /// Find the catalog like git finds a repository: `explicit` (the CLI's
    /// `--catalog`, or `EVCAT_CATALOG`), else the nearest `catalog.sqlite` or
    /// `.evcat/` in the current directory or its parents.
    pub fn discover(explicit: Option<&Path>) -> Result<PathBuf> {
        if let Some(p) = explicit {
            return resolve_dir(p).ok_or_else(|| Error::NoCatalog { searched: p.to_path_buf() });
        }
        let cwd = std::env::current_dir().map_err(|e| Error::io("read", ".", e))?;
        for dir in cwd.ancestors() {
            if let Some(found) = resolve_dir(dir) {
                return Ok(found);
            }
        }
        Err(Error::NoCatalog { searched: cwd })
    }

    fn open_at(dir: &Path, actor_opts: ActorOptions) -> Result<Catalog> {
        Catalog::open_inner(dir, actor_opts).map_err(|e| e.in_catalog(dir))
    }

    fn open_inner(dir: &Path, actor_opts: ActorOptions) -> Result<Catalog> {
        let db = dir.join(DB_FILE);
        let conn = Connection::open_with_flags(
            &db,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(_, _) => Error::Corrupt(format!("cannot open {}: {e}", db.display())),
            other => Error::Db(other),
        })?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL lets readers (audit, list) run while another process writes.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(Error::from_db)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let store = Store::open(dir.join(OBJECTS_DIR))?;
        let mut cat = Catalog { root: dir.to_path_buf(), conn, store, actor_opts, signer: OnceCell::new() };
        cat.migrate()?;
        cat.recover_store()?;
        Ok(cat)
    }

    /// Complete or roll back object writes interrupted by a crash (see `store`).
    fn recover_store(&self) -> Result<()> {
        let conn = &self.conn;
        self.store.recover(|sha| {
            let hex = sha.to_hex();
            let n: i64 = conn.query_row(
                "SELECT (SELECT count(*) FROM file WHERE sha256 = ?1 AND storage = 'object')
                      + (SELECT count(*) FROM article WHERE source_sha256 = ?1)
                      + (SELECT count(*) FROM derived_object WHERE sha256 = ?1)",
                [&hex],
                |r| r.get(0),
            )?;
            Ok(n > 0)
        })?;
        Ok(())
    }

    /// Apply pending migrations, each in its own IMMEDIATE transaction so two
    /// processes opening a fresh catalog cannot both apply one.
    fn migrate(&mut self) -> Result<()> {
        let supported = MIGRATIONS.len() as i64;
        loop {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(Error::from_db)?;
            let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            // Negative, or further ahead than any release could be: damage, not
            // a newer evcat (and never an index into MIGRATIONS).
            if !(0..=supported + IMPLAUSIBLE_SCHEMA_LEAD).contains(&version) {
                return Err(Error::Corrupt(format!(
                    "{} has schema version {version}, which no evcat writes: the file is damaged or not an evcat catalog",
                    self.root.join(DB_FILE).display()
                )));
            }
            if version > supported {
                return Err(Error::SchemaTooNew { found: version, supported });
            }
            // Checked anyway: a `user_version` is input read from disk.
            let Some((name, sql)) = usize::try_from(version).ok().and_then(|v| MIGRATIONS.get(v)) else {
                return Ok(());
            };
            tx.execute_batch(sql).map_err(|e| Error::Corrupt(format!("migration {name} failed: {e}")))?;
            tx.pragma_update(None, "user_version", version + 1)?;
            tx.commit().map_err(Error::from_db)?;
        }
    }

    fn bootstrap(&mut self, actor: &str, role: Option<&str>, key: Keypair, catalog_id: &str) -> Result<()> {
        let signer =
            Signer { actor: actor.to_string(), key, host: host_name(), location: self.actor_opts.location.clone() };
        let _ = self.signer.set(signer);
        let public = self.signer()?.key.public_hex();
        let key_id = self.signer()?.key.key_id();
        self.write(|w| {
            w.tx.execute(
                "INSERT INTO meta(key, value) VALUES ('catalog_id', ?1), ('default_actor', ?2), ('created_at', ?3)",
                rusqlite::params![catalog_id, actor, now()],
            )?;
            w.append(
                Subject::Catalog,
                Action::Created,
                None,
                json!({"catalog_id": catalog_id, "evcat_version": env!("CARGO_PKG_VERSION")}),
            )?;
            actors::insert(w, actor, role, &public, &key_id)?;
            Ok(())
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// How the object store does its I/O (threads, `O_DIRECT`).
    pub fn set_io_options(&mut self, io: crate::store::IoOptions) {
        self.store.set_io_options(io);
    }

    /// Read-only access to the connection for query modules.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    /// The identity that signs this handle's writes, loaded on first use.
    pub fn signer(&self) -> Result<&Signer> {
        if let Some(s) = self.signer.get() {
            return Ok(s);
        }
        let name = match &self.actor_opts.name {
            Some(n) => n.clone(),
            None => self.meta("default_actor")?.ok_or_else(|| Error::Corrupt("catalog has no default actor".into()))?,
        };
        let actor = actors::by_name(self, &name)?.ok_or_else(|| {
            Error::invalid("actor", name.clone(), format!("no such actor; create it with `evcat actor add {name}`"))
        })?;
        // A key file the user named is their input (exit 2); keys/NAME.key is the catalog's own (exit 3).
        let (key_path, owner) = match &self.actor_opts.key_file {
            Some(p) => (p.clone(), crate::error::Owner::User),
            None => (keys::key_path(&self.root, &name, &actor.key_id), crate::error::Owner::Catalog),
        };
        let key = Keypair::load(&key_path).map_err(|e| Error::key(e, owner))?;
        keys::refuse_revoked(self, &name, &actor.key_id)?;
        if key.public_hex() != actor.public_key {
            let reason = format!(
                "does not belong to actor {name:?} (its public key differs from the one recorded in the catalog)"
            );
            return Err(Error::key(custody::CustodyError::Key { path: key_path, reason }, owner));
        }
        let _ =
            self.signer.set(Signer { actor: name, key, host: host_name(), location: self.actor_opts.location.clone() });
        self.signer.get().ok_or_else(|| Error::Corrupt("signer vanished".into()))
    }

    /// Run `f` in one IMMEDIATE transaction; every row change inside appends a
    /// custody event. Nothing is committed if `f` fails.
    pub fn write<T>(&mut self, f: impl FnOnce(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        let root = self.root.clone();
        self.write_inner(f).map_err(|e| e.in_catalog(&root))
    }

    fn write_inner<T>(&mut self, f: impl FnOnce(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        self.signer()?;
        let signer = self.signer.get().ok_or_else(|| Error::Corrupt("signer vanished".into()))?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(Error::from_db)?;
        let head = log::head_in(&tx)?;
        let mut w = Writer { tx, signer, head, appended: Vec::new(), unsigned: Vec::new() };
        let out = f(&mut w)?;
        w.sign_and_insert_events()?;
        tree::extend(&w.tx, w.head.seq)?;
        search::reindex_dirty(&w.tx)?;
        w.tx.commit().map_err(Error::from_db)?;
        Ok(out)
    }
}

/// Events held unsigned in memory before a write transaction signs and inserts them.
const UNSIGNED_EVENTS_MAX: usize = 4096;

/// The write transaction plus the custody log head. Only catalog modules see
/// its transaction; everything else goes through their functions.
pub struct Writer<'a> {
    pub(crate) tx: rusqlite::Transaction<'a>,
    signer: &'a Signer,
    head: Head,
    appended: Vec<u64>,
    /// Events chained (hash known) but not yet signed and inserted: signing
    /// is the costly part of an event (~15 µs), and needs only the hash, so
    /// the transaction's events are signed together, on every core, just
    /// before the commit. Nothing reads the log inside a write transaction.
    unsigned: Vec<Event>,
}

impl Writer<'_> {
    /// Append one sealed custody event and return its sequence number.
    pub fn append(&mut self, subject: Subject, action: Action, reason: Option<&str>, details: Value) -> Result<u64> {
        let (subject_type, subject_id) = subject.parts();
        let event = Event {
            seq: self.head.seq + 1,
            subject_type: subject_type.to_string(),
            subject_id,
            action: action.as_str().to_string(),
            actor: self.signer.actor.clone(),
            at: now(),
            host: self.signer.host.clone(),
            location: self.signer.location.clone(),
            reason: reason.map(str::to_string),
            details,
            prev_hash: self.head.hash,
        };
        let hash = custody::event_hash(&event)?;
        let seq = event.seq;
        self.head = Head::chain(seq, hash);
        self.appended.push(seq);
        self.unsigned.push(event);
        // Bounded: a 100,000-claim article import appends ~300,000 events.
        if self.unsigned.len() >= UNSIGNED_EVENTS_MAX {
            self.sign_and_insert_events()?;
        }
        Ok(seq)
    }

    /// Sign the pending events in parallel and insert them in order.
    fn sign_and_insert_events(&mut self) -> Result<()> {
        use rayon::prelude::*;
        let key = &self.signer.key;
        let sealed: Vec<custody::SealedEvent> = std::mem::take(&mut self.unsigned)
            .into_par_iter()
            .with_min_len(64)
            .map(|e| custody::seal(e, key))
            .collect::<std::result::Result<_, _>>()?;
        for s in &sealed {
            log::insert(&self.tx, s)?;
        }
        Ok(())
    }

    /// Name of the acting actor.
    pub fn actor(&self) -> &str {
        &self.signer.actor
    }

    /// Sequence numbers appended so far in this transaction.
    pub fn appended(&self) -> &[u64] {
        &self.appended
    }

    /// Insert a row from `(column, value)` pairs, then log its full snapshot.
    pub(crate) fn insert_row(
        &mut self,
        kind: RecordKind,
        cols: &[(&str, rusqlite::types::Value)],
        action: Action,
        reason: Option<&str>,
        extra: Value,
    ) -> Result<i64> {
        let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
        kind.check_columns(&names)?;
        let placeholders: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let sql = format!("INSERT INTO {}({}) VALUES ({})", kind.name(), names.join(", "), placeholders.join(", "));
        let values: Vec<&dyn rusqlite::ToSql> = cols.iter().map(|(_, v)| v as &dyn rusqlite::ToSql).collect();
        self.tx.prepare_cached(&sql)?.execute(&values[..])?;
        let id = self.tx.last_insert_rowid();
        let row = snapshot::row_of(&self.tx, kind, id)?
            .ok_or_else(|| Error::Corrupt(format!("{} row {id} vanished after insert", kind.name())))?;
        self.append(kind.subject(id), action, reason, RowChange::Created { row }.into_details(extra))?;
        Ok(id)
    }

    /// Change columns of one row, logging before/after of the fields that
    /// actually change. Returns the changed field names (empty: nothing logged).
    pub(crate) fn update_row(
        &mut self,
        kind: RecordKind,
        id: i64,
        changes: &[(&str, rusqlite::types::Value)],
        action: Action,
        reason: Option<&str>,
        extra: Value,
    ) -> Result<Vec<String>> {
        let names: Vec<&str> = changes.iter().map(|(c, _)| *c).collect();
        kind.check_columns(&names)?;
        let before = snapshot::row_of(&self.tx, kind, id)?.ok_or_else(|| Error::not_found(kind.display_id(id)))?;
        let mut set = Vec::new();
        let mut values: Vec<&dyn rusqlite::ToSql> = Vec::new();
        for (col, v) in changes {
            values.push(v as &dyn rusqlite::ToSql);
            set.push(format!("{col} = ?{}", values.len()));
        }
        values.push(&id as &dyn rusqlite::ToSql);
        let sql = format!("UPDATE {} SET {} WHERE id = ?{}", kind.name(), set.join(", "), values.len());
        self.tx.prepare_cached(&sql)?.execute(&values[..])?;
        let after = snapshot::row_of(&self.tx, kind, id)?
            .ok_or_else(|| Error::Corrupt(format!("{} vanished during update", kind.display_id(id))))?;
        let Some(change) = RowChange::diff(&before, &after, names) else { return Ok(Vec::new()) };
        let changed = match &change {
            RowChange::Changed { changes } => changes.keys().cloned().collect(),
            _ => Vec::new(),
        };
        self.append(kind.subject(id), action, reason, change.into_details(extra))?;
        Ok(changed)
    }

    /// Delete one row, logging its last snapshot.
    pub(crate) fn delete_row(&mut self, kind: RecordKind, id: i64, action: Action, reason: Option<&str>) -> Result<()> {
        let before = snapshot::row_of(&self.tx, kind, id)?.ok_or_else(|| Error::not_found(kind.display_id(id)))?;
        self.tx.prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", kind.name()))?.execute([id])?;
        self.append(kind.subject(id), action, reason, RowChange::Removed { before }.into_details(Value::Null))?;
        Ok(())
    }
}

fn resolve_dir(p: &Path) -> Option<PathBuf> {
    if p.join(DB_FILE).is_file() {
        return Some(p.to_path_buf());
    }
    let hidden = p.join(".evcat");
    if hidden.join(DB_FILE).is_file() {
        return Some(hidden);
    }
    if p.file_name().is_some_and(|n| n == DB_FILE) && p.is_file() {
        return p.parent().map(Path::to_path_buf);
    }
    None
}

pub(crate) fn validate_actor_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "actor name",
            name,
            "use 1-64 ASCII letters, digits, '-', '_', '.', '@' (not starting with '.')",
        ))
    }
}

fn restrict_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io("restrict permissions of", dir, e))?;
    }
    Ok(())
}
