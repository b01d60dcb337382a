//! The library's one error type.
//!
//! Every variant carries enough context to name the file or record involved, and
//! maps to a documented process exit code (see [`Error::exit_code`]) so the CLI
//! never has to guess.

use std::io;
use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O operation on a named path failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// No catalog could be located.
    #[error("no evcat catalog found (searched {}); create one with `evcat init DIR` or pass --catalog DIR / set EVCAT_CATALOG", searched.display())]
    NoCatalog { searched: PathBuf },

    /// `init` on a directory that already holds a catalog.
    #[error("{} already holds an evcat catalog", path.display())]
    CatalogExists { path: PathBuf },

    /// The catalog database was written by a newer evcat.
    #[error("catalog schema version {found} is newer than this evcat supports ({supported}); upgrade evcat")]
    SchemaTooNew { found: i64, supported: i64 },

    /// SQLite reported an error.
    #[error("catalog database error: {0}")]
    Db(#[from] rusqlite::Error),

    /// The catalog (database, its directory or the object store) cannot be written.
    #[error("catalog {} is read-only ({detail}); evcat needs write access to the catalog directory, catalog.sqlite and its -wal/-shm files", path.display())]
    ReadOnly { path: PathBuf, detail: String },

    /// The catalog is locked by another writer for longer than the busy timeout.
    #[error("catalog is busy (another evcat process holds the write lock); try again")]
    Busy,

    /// A referenced record does not exist.
    #[error("{what} not found")]
    NotFound { what: String },

    /// A hash prefix matched more than one file.
    #[error("prefix {prefix} is ambiguous; it matches {}", candidates.join(", "))]
    AmbiguousPrefix { prefix: String, candidates: Vec<String> },

    /// A user-supplied value could not be parsed or is not allowed.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidInput { what: &'static str, value: String, reason: String },

    /// The request is well-formed but conflicts with catalog state.
    #[error("{0}")]
    Conflict(String),

    /// A file given for registration cannot be registered (FIFO, device, loop...).
    #[error("{}: {reason}", path.display())]
    Unsupported { path: PathBuf, reason: String },

    /// The catalog is internally inconsistent in a way that stops the operation.
    #[error("catalog is inconsistent: {0}")]
    Corrupt(String),

    /// Signing, key or custody-encoding failure.
    #[error(transparent)]
    Custody(#[from] crate::custody::CustodyError),

    /// A Time-Stamping Authority could not be reached or gave no usable token.
    #[error("time-stamping authority {url}: {reason}")]
    Tsa { url: String, reason: String },

    /// JSON (de)serialisation of stored details failed.
    #[error("JSON error in {context}: {source}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// Wrap an `io::Error` with the operation and the path it concerned.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io { op, path: path.into(), source }
    }

    pub fn invalid(what: &'static str, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput { what, value: value.into(), reason: reason.into() }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound { what: what.into() }
    }

    /// The documented exit code for this error (see README "Exit codes").
    ///
    /// 2: the user's input is at fault (bad value, missing record, unreadable input file).
    /// 3: the catalog itself is at fault or unavailable (missing, locked, corrupt, too new).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::InvalidInput { .. }
            | Error::NotFound { .. }
            | Error::AmbiguousPrefix { .. }
            | Error::Conflict(_)
            | Error::Unsupported { .. }
            | Error::Io { .. }
            | Error::CatalogExists { .. }
            | Error::Tsa { .. } => 2,
            Error::NoCatalog { .. }
            | Error::SchemaTooNew { .. }
            | Error::Busy
            | Error::ReadOnly { .. }
            | Error::Corrupt(_)
            | Error::Db(_)
            | Error::Custody(_)
            | Error::Json { .. } => 3,
        }
    }

    /// Map SQLite's busy/locked into [`Error::Busy`] so callers see one clear message.
    pub(crate) fn from_db(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) {
                return Error::Busy;
            }
        }
        Error::Db(e)
    }

    /// Name the catalog when SQLite refuses to write to it.
    pub(crate) fn in_catalog(self, root: &std::path::Path) -> Self {
        match &self {
            Error::Db(rusqlite::Error::SqliteFailure(f, msg)) if f.code == rusqlite::ErrorCode::ReadOnly => {
                Error::ReadOnly { path: root.to_path_buf(), detail: msg.clone().unwrap_or_else(|| f.to_string()) }
            }
            _ => self,
        }
    }
}
