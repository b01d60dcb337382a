//! The library's one error type.
//!
//! Every variant carries enough context to name the file or record involved, and
//! maps to a documented process exit code (see [`Error::exit_code`]) so the CLI
//! never has to guess.
//!
//! Exit codes follow the *cause*, not the kind of failure: the same `ENOSPC` is
//! an input problem when writing an export the user asked for and a catalog
//! problem when the catalog's own object store is full; the same unreadable
//! key is an input problem when the user named it (`--key-file`) and a catalog
//! problem when it is the catalog's `keys/NAME.key`.
//!
//! | code | cause | variants |
//! |---|---|---|
//! | 2 | the user's input or request | `InvalidInput`, `NotFound`, `AmbiguousPrefix`, `Conflict`, `Unsupported`, `DecompressionLimit`, `CatalogExists`, `Io` of a user's file ([`Owner::User`]), `KeyFile` |
//! | 3 | the catalog, its files or its environment | `NoCatalog`, `SchemaTooNew`, `Busy`, `ReadOnly`, `Corrupt`, `Db`, `Json`, `Custody`, `Io` of the catalog's own files ([`Owner::Catalog`]), `StoreWrite` |

use std::io;
use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whose file an I/O error concerns, which decides its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A file the user named: an input to read, an output to write (exit 2).
    User,
    /// The catalog's own files: its directory, object store, keys (exit 3).
    Catalog,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O operation on a named path failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        owner: Owner,
        #[source]
        source: io::Error,
    },

    /// The object store could not take the bytes of `input` (disk full, quota,
    /// file size limit, device error): the catalog's storage is at fault.
    #[error("cannot store {} in the catalog's object store {}: {source}", input.display(), store.display())]
    StoreWrite {
        input: PathBuf,
        store: PathBuf,
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

    /// A compressed input (an Instaloader `.json.xz`) decompresses to more than
    /// `limit` bytes: refused before it is held in memory (a decompression bomb
    /// or not a sidecar at all).
    #[error("{}: decompresses to more than {} MB; refused (a sidecar is kilobytes: a decompression bomb?)", path.display(), limit >> 20)]
    DecompressionLimit { path: PathBuf, limit: u64 },

    /// The catalog is internally inconsistent in a way that stops the operation.
    #[error("catalog is inconsistent: {0}")]
    Corrupt(String),

    /// Signing, custody-encoding or catalog key (`keys/NAME.key`) failure.
    #[error(transparent)]
    Custody(#[from] crate::custody::CustodyError),

    /// A Time-Stamping Authority could not be reached or gave no usable token.
    #[error("time-stamping authority {url}: {reason}")]
    Tsa { url: String, reason: String },
    /// The key file the user named (`--key-file`) is missing, unreadable, not
    /// an evcat key, or not the acting actor's.
    #[error("--key-file: {0}")]
    KeyFile(#[source] crate::custody::CustodyError),

    /// JSON (de)serialisation of stored details failed.
    #[error("JSON error in {context}: {source}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// Wrap an `io::Error` on a file the user named (an input or an output).
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io { op, path: path.into(), owner: Owner::User, source }
    }

    /// Wrap an `io::Error` on one of the catalog's own files.
    pub fn catalog_io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io { op, path: path.into(), owner: Owner::Catalog, source }
    }

    /// A key-file problem, blamed on whoever chose the file.
    pub fn key(source: crate::custody::CustodyError, owner: Owner) -> Self {
        match owner {
            Owner::User => Error::KeyFile(source),
            Owner::Catalog => Error::Custody(source),
        }
    }

    pub fn invalid(what: &'static str, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput { what, value: value.into(), reason: reason.into() }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound { what: what.into() }
    }

    /// The documented exit code for this error (see README "Exit codes" and
    /// the table at the top of this module).
    ///
    /// 2: the user's input is at fault (bad value, missing record, a file they
    /// named that cannot be read or written, their `--key-file`).
    /// 3: the catalog itself is at fault or unavailable (missing, locked,
    /// corrupt, too new, its store full, its own keys unusable).
    pub fn exit_code(&self) -> i32 {
        if self.is_catalog_fault() {
            3
        } else {
            2
        }
    }

    /// True when the catalog (its database, store or keys) is at fault rather
    /// than the input: an `add` stops at such an error instead of reporting
    /// the file as failed and carrying on.
    pub fn is_catalog_fault(&self) -> bool {
        match self {
            Error::InvalidInput { .. }
            | Error::NotFound { .. }
            | Error::AmbiguousPrefix { .. }
            | Error::Conflict(_)
            | Error::Unsupported { .. }
            | Error::DecompressionLimit { .. }
            | Error::Io { owner: Owner::User, .. }
            | Error::KeyFile(_)
            | Error::CatalogExists { .. }
            | Error::Tsa { .. } => false,
            Error::NoCatalog { .. }
            | Error::SchemaTooNew { .. }
            | Error::Busy
            | Error::ReadOnly { .. }
            | Error::Corrupt(_)
            | Error::Db(_)
            | Error::Custody(_)
            | Error::Io { owner: Owner::Catalog, .. }
            | Error::StoreWrite { .. }
            | Error::Json { .. } => true,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custody::CustodyError;

    fn key_err() -> CustodyError {
        CustodyError::Key { path: "k.key".into(), reason: "is not an evcat key (missing header)".into() }
    }

    #[test]
    fn exit_codes_follow_the_cause() {
        let eio = || io::Error::other("boom");
        assert_eq!(Error::io("read", "in.mp4", eio()).exit_code(), 2);
        assert_eq!(Error::catalog_io("fsync", "objects/tmp/x.part", eio()).exit_code(), 3);
        let full = Error::StoreWrite { input: "in.mp4".into(), store: "objects".into(), source: eio() };
        assert_eq!(full.exit_code(), 3);
        assert!(full.to_string().contains("in.mp4") && full.to_string().contains("object store"), "{full}");
        assert_eq!(Error::key(key_err(), Owner::User).exit_code(), 2);
        assert_eq!(Error::key(key_err(), Owner::Catalog).exit_code(), 3);
        assert!(Error::key(key_err(), Owner::User).to_string().contains("--key-file: key file k.key"));
    }
}
