//! Content-addressed, write-once object store.
//!
//! Layout: `objects/sha256/ab/cd/<64 hex>`; work files live in `objects/tmp/` on
//! the same filesystem so every `rename` is atomic.
//!
//! Writing is two-phase so that a kill at any moment leaves store and database
//! consistent:
//! 1. **stage**: bytes are copied into `tmp/<pid>-<n>.part` while being hashed,
//!    made read-only, fsynced (per file, or for a whole batch with one
//!    `syncfs`), and renamed to `tmp/<pid>-<sha256>.staged`;
//! 2. the caller commits the database rows that reference the hash;
//! 3. **publish**: the staged file is renamed to its address.
//!
//! On open, staged files left by dead processes are published when the catalog
//! references their hash (the commit happened) and deleted otherwise; `.part`
//! files of dead processes are deleted. So an object appears under an address
//! only complete and fsynced, and never without a record (no strays), while a
//! record whose publish was interrupted is completed on the next open.
//!
//! Identical bytes map to one address; objects are never rewritten or deleted.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};
use crate::hash::{copy_and_hash, hash_reader, Sha256};

mod disk;
use disk::{copy_and_hash_direct, create_temp, Blame};
pub use disk::{IoOptions, DIRECT_MIN_SIZE};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Temp files older than this are removed on open even if their owner may be alive.
const STALE_TEMP_AGE: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    io: IoOptions,
}

/// Bytes written to the store's work area, not yet published at their address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    pub sha256: Sha256,
    pub size: u64,
    /// The staged file; `None` when the store already held these bytes.
    staged: Option<PathBuf>,
}

impl Staged {
    /// Where the bytes can be read right now (staged copy or published object).
    pub fn readable_path(&self, store: &Store) -> PathBuf {
        self.staged.clone().unwrap_or_else(|| store.object_path(&self.sha256))
    }

    /// False when the store already held these bytes.
    pub fn is_new(&self) -> bool {
        self.staged.is_some()
    }
}

/// What [`Store::recover`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    pub published: u64,
    pub discarded: u64,
}

/// Result of checking one stored object or in-place file against its recorded hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fixity {
    Ok,
    Missing,
    Mismatch { found: Sha256, size: u64 },
    Unreadable(String),
}

impl Store {
    /// Open (creating directories if needed) the store rooted at `root` (the
    /// catalog's `objects/` folder) and remove temp files left by dead writers.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        for d in [root.join("sha256"), root.join("tmp")] {
            fs::create_dir_all(&d).map_err(|e| Error::catalog_io("create directory", &d, e))?;
        }
        let store = Store { root, io: IoOptions::default() };
        store.clean_stale_temps();
        Ok(store)
    }

    /// Use these I/O settings from now on.
    pub fn set_io_options(&mut self, io: IoOptions) {
        self.io = io;
    }

    pub fn io_options(&self) -> &IoOptions {
        &self.io
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the object with this hash lives (whether or not it exists).
    pub fn object_path(&self, sha: &Sha256) -> PathBuf {
        let hex = sha.to_hex();
        self.root.join("sha256").join(&hex[0..2]).join(&hex[2..4]).join(hex)
    }

    pub fn contains(&self, sha: &Sha256) -> bool {
        self.object_path(sha).is_file()
    }

    /// Stage `src`: stream it into the store's work area, hashing while
    /// copying (`src` is read once). Call [`Store::publish`] after the records
    /// referencing it are committed.
    pub fn stage_file(&self, src: &Path) -> Result<Staged> {
        let f = File::open(src).map_err(|e| Error::io("open", src, e))?;
        let direct = self.wants_direct_io(&f);
        self.stage_reader(f, src, true, direct)
    }

    /// Like [`Store::stage_file`] but without forcing the bytes to disk: for
    /// batches, where one [`Store::sync_staged`] replaces an fsync per file
    /// (10,000 small files cost 20,000 fsyncs otherwise). The caller must call
    /// it before committing records that reference the staged bytes.
    pub fn stage_file_unsynced(&self, src: &Path) -> Result<Staged> {
        let f = File::open(src).map_err(|e| Error::io("open", src, e))?;
        let direct = self.wants_direct_io(&f);
        self.stage_reader(f, src, false, direct)
    }

    /// Stage a stream (a payload read out of a container, such as a WACZ's
    /// WARC), unsynced like [`Store::stage_file_unsynced`]; `label` names the
    /// container in errors.
    pub fn stage_stream_unsynced<R: io::Read>(&self, reader: R, label: &Path) -> Result<Staged> {
        self.stage_reader(reader, label, false, false)
    }

    /// Stage an in-memory byte string (article sources).
    pub fn stage_bytes(&self, bytes: &[u8]) -> Result<Staged> {
        self.stage_reader(bytes, Path::new("<memory>"), true, false)
    }

    /// Make staged files (contents and their names in `tmp/`) durable: one
    /// `syncfs` on Linux, an fsync per file and of `tmp/` elsewhere.
    pub fn sync_staged(&self, staged: &[Staged]) -> Result<()> {
        if staged.iter().all(|s| s.staged.is_none()) {
            return Ok(());
        }
        #[cfg(target_os = "linux")]
        {
            self.syncfs()
        }
        #[cfg(not(target_os = "linux"))]
        {
            let tmp = self.root.join("tmp");
            for p in staged.iter().filter_map(|s| s.staged.as_ref()) {
                File::open(p).and_then(|f| f.sync_all()).map_err(|e| Error::catalog_io("fsync", p, e))?;
            }
            sync_dir(&tmp);
            Ok(())
        }
    }

    /// One `syncfs` of the filesystem holding the store: every staged file and
    /// every rename so far becomes durable.
    #[cfg(target_os = "linux")]
    fn syncfs(&self) -> Result<()> {
        use std::os::fd::AsRawFd;
        let tmp = self.root.join("tmp");
        let dir = File::open(&tmp).map_err(|e| Error::catalog_io("open", &tmp, e))?;
        // SAFETY: syncfs only reads the descriptor, which `dir` keeps open.
        if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
            return Err(Error::catalog_io("sync the object store", &tmp, io::Error::last_os_error()));
        }
        Ok(())
    }

    /// Publish a committed batch: renames, then one sync of the store.
    pub fn publish_all(&self, staged: &[Staged]) -> Result<()> {
        self.publish_all_unsynced(staged)?;
        self.sync_published(staged)
    }

    /// Rename a committed batch into place without waiting for the disk. A
    /// rename lost to a crash leaves the file staged, and the next open
    /// publishes it (the rows are committed), so callers may defer
    /// [`Store::sync_published`] — `add` lets the next batch's sync cover it.
    fn publish_all_unsynced(&self, staged: &[Staged]) -> Result<()> {
        for st in staged {
            let Some(path) = &st.staged else { continue };
            self.publish_unsynced(path, &st.sha256)?;
        }
        Ok(())
    }

    /// Publish a committed batch whose renames may become durable later, at
    /// [`Store::finish_deferred`]: on Linux a bare rename per object (a later
    /// `syncfs` — the next batch's staging sync or `finish_deferred` — covers
    /// it); elsewhere [`Store::publish_all`], which syncs each directory.
    pub fn publish_deferred(&self, staged: &[Staged]) -> Result<()> {
        if cfg!(target_os = "linux") {
            self.publish_all_unsynced(staged)
        } else {
            self.publish_all(staged)
        }
    }

    /// Make every [`Store::publish_deferred`] rename so far durable.
    pub fn finish_deferred(&self) -> Result<()> {
        #[cfg(target_os = "linux")]
        {
            self.syncfs()
        }
        #[cfg(not(target_os = "linux"))]
        {
            Ok(())
        }
    }

    /// Make the renames of [`Store::publish_all_unsynced`] durable: one
    /// `syncfs` on Linux, an fsync of each object's directory elsewhere.
    pub fn sync_published(&self, published: &[Staged]) -> Result<()> {
        if published.iter().all(|s| s.staged.is_none()) {
            return Ok(());
        }
        #[cfg(target_os = "linux")]
        {
            self.syncfs()
        }
        #[cfg(not(target_os = "linux"))]
        {
            let dirs: std::collections::BTreeSet<PathBuf> = published
                .iter()
                .filter(|s| s.staged.is_some())
                .filter_map(|s| self.object_path(&s.sha256).parent().map(Path::to_path_buf))
                .collect();
            dirs.iter().for_each(|d| sync_dir(d));
            Ok(())
        }
    }

    /// Copy `reader` into a new temp file while hashing it. `direct`: write
    /// with `O_DIRECT` (Linux), for large files — see [`DIRECT_MIN_SIZE`].
    fn stage_reader<R: io::Read>(&self, reader: R, label: &Path, durable: bool, direct: bool) -> Result<Staged> {
        let tmp = self.temp_path();
        let result = (|| {
            let (out, direct) =
                create_temp(&tmp, direct).map_err(|e| Error::catalog_io("create temp file", &tmp, e))?;
            let mut reader = Blame { inner: reader, failed: false };
            let copied =
                if direct { copy_and_hash_direct(&mut reader, &out) } else { copy_and_hash(&mut reader, &out) };
            let (sha256, size) = copied.map_err(|e| {
                // Blame the side that failed: an unreadable input is the
                // user's problem (exit 2), a full or failing store the
                // catalog's (exit 3, and `add` stops).
                if reader.failed {
                    Error::io("read", label, e)
                } else {
                    Error::StoreWrite { input: label.to_path_buf(), store: self.root.clone(), source: e }
                }
            })?;
            if self.object_path(&sha256).is_file() {
                let _ = fs::remove_file(&tmp);
                return Ok(Staged { sha256, size, staged: None });
            }
            // Read-only from the start (on the open descriptor: no second path
            // lookup), so publishing is a bare rename.
            make_read_only(&out).map_err(|e| Error::catalog_io("make read-only", &tmp, e))?;
            if durable {
                out.sync_all().map_err(|e| Error::catalog_io("fsync", &tmp, e))?;
            }
            drop(out);
            let staged = self.staged_path(std::process::id(), &sha256);
            fs::rename(&tmp, &staged).map_err(|e| Error::catalog_io("rename", &staged, e))?;
            Ok(Staged { sha256, size, staged: Some(staged) })
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Move a staged file to its address, read-only. Idempotent: publishing
    /// bytes the store already holds just removes the staged copy.
    pub fn publish(&self, staged: &Staged) -> Result<()> {
        let Some(path) = &staged.staged else { return Ok(()) };
        self.publish_path(path, &staged.sha256)
    }

    fn publish_path(&self, path: &Path, sha: &Sha256) -> Result<()> {
        if let Some(parent) = self.publish_unsynced(path, sha)? {
            sync_dir(&parent);
        }
        Ok(())
    }

    /// Rename into place; returns the directory to sync, if anything moved.
    fn publish_unsynced(&self, path: &Path, sha: &Sha256) -> Result<Option<PathBuf>> {
        let dest = self.object_path(sha);
        if dest.is_file() {
            let _ = fs::remove_file(path);
            return Ok(None);
        }
        let parent =
            dest.parent().ok_or_else(|| Error::Corrupt(format!("object path {} has no parent", dest.display())))?;
        fs::create_dir_all(parent).map_err(|e| Error::catalog_io("create directory", parent, e))?;
        // A concurrent writer may have published identical bytes first; rename
        // replaces them atomically with the same content, so both win.
        fs::rename(path, &dest).map_err(|e| Error::catalog_io("rename into store", &dest, e))?;
        Ok(Some(parent.to_path_buf()))
    }

    /// Delete a staged file whose records were not committed.
    pub fn discard(&self, staged: &Staged) {
        if let Some(p) = &staged.staged {
            let _ = fs::remove_file(p);
        }
    }

    /// Finish or roll back the two-phase writes of dead processes: staged files
    /// whose hash `is_referenced` are published, others deleted.
    pub fn recover(&self, is_referenced: impl Fn(&Sha256) -> Result<bool>) -> Result<RecoveryReport> {
        let mut report = RecoveryReport::default();
        let Ok(entries) = fs::read_dir(self.root.join("tmp")) else {
            return Ok(report);
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(stem) = name.strip_suffix(".staged") else { continue };
            let Some((pid, hex)) = stem.split_once('-') else { continue };
            if pid.parse::<u32>().map(process_alive).unwrap_or(false) {
                continue;
            }
            let Ok(sha) = hex.parse::<Sha256>() else { continue };
            if is_referenced(&sha)? {
                // Staged by this version it is read-only already; older ones chmod at publish.
                set_read_only(&entry.path())?;
                self.publish_path(&entry.path(), &sha)?;
                report.published += 1;
            } else {
                let _ = fs::remove_file(entry.path());
                report.discarded += 1;
            }
        }
        Ok(report)
    }

    /// Where a staged file is kept: the writer's pid (so recovery leaves live
    /// writers alone) and the hash (so recovery knows what it is).
    fn staged_path(&self, pid: u32, sha: &Sha256) -> PathBuf {
        self.root.join("tmp").join(format!("{pid}-{}.staged", sha.to_hex()))
    }

    /// Re-hash a stored object and compare with its address.
    pub fn check(&self, sha: &Sha256) -> Fixity {
        check_path(&self.object_path(sha), sha)
    }

    /// Every object address present in the store (for stray-object detection).
    pub fn list(&self) -> Result<Vec<Sha256>> {
        let base = self.root.join("sha256");
        let mut out = Vec::new();
        for entry in walkdir::WalkDir::new(&base).min_depth(3).max_depth(3) {
            let entry = entry.map_err(|e| {
                let p = e.path().map(Path::to_path_buf).unwrap_or_else(|| base.clone());
                Error::catalog_io("list", p, io::Error::other(e.to_string()))
            })?;
            if entry.file_type().is_file() {
                if let Some(sha) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
                    out.push(sha);
                }
            }
        }
        Ok(out)
    }

    fn temp_path(&self) -> PathBuf {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        self.root.join("tmp").join(format!("{}-{}-{:08x}.part", std::process::id(), n, nanos))
    }

    /// Remove `.part` files whose writing process is gone (or that are very old).
    /// Staged files are left to [`Store::recover`], which needs the catalog.
    fn clean_stale_temps(&self) {
        let Ok(entries) = fs::read_dir(self.root.join("tmp")) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !name.ends_with(".part") {
                continue;
            }
            let pid_alive =
                name.split('-').next().and_then(|p| p.parse::<u32>().ok()).map(process_alive).unwrap_or(false);
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_TEMP_AGE);
            if !pid_alive || old {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Hash the file at `path` and compare it with `expected`.
pub fn check_path(path: &Path, expected: &Sha256) -> Fixity {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Fixity::Missing,
        Err(e) => return Fixity::Unreadable(e.to_string()),
    };
    match hash_reader(f) {
        Ok((found, _)) if &found == expected => Fixity::Ok,
        Ok((found, size)) => Fixity::Mismatch { found, size },
        Err(e) => Fixity::Unreadable(e.to_string()),
    }
}

fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        // Without /proc we cannot tell; rely on the age rule.
        true
    }
}

fn make_read_only(f: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(fs::Permissions::from_mode(0o444))
    }
    #[cfg(not(unix))]
    {
        let mut perms = f.metadata()?.permissions();
        perms.set_readonly(true);
        f.set_permissions(perms)
    }
}

fn set_read_only(path: &Path) -> Result<()> {
    let mut perms = fs::metadata(path).map_err(|e| Error::catalog_io("stat", path, e))?.permissions();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        perms.set_mode(0o444);
    }
    #[cfg(not(unix))]
    perms.set_readonly(true);
    fs::set_permissions(path, perms).map_err(|e| Error::catalog_io("make read-only", path, e))
}

/// fsync a directory so a rename in it survives power loss. Best effort: some
/// filesystems refuse to open directories for sync, and the object is already
/// durable under its temp name.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(store: &Store, bytes: &[u8]) -> Staged {
        let st = store.stage_bytes(bytes).unwrap();
        store.publish(&st).unwrap();
        st
    }

    #[test]
    fn stores_once_read_only_at_its_address() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("objects")).unwrap();
        let a = put(&store, b"hello");
        assert!(a.is_new());
        let b = put(&store, b"hello");
        assert!(!b.is_new());
        assert_eq!(a.sha256, b.sha256);
        let p = store.object_path(&a.sha256);
        assert_eq!(fs::read(&p).unwrap(), b"hello");
        assert!(fs::metadata(&p).unwrap().permissions().readonly());
        assert_eq!(store.check(&a.sha256), Fixity::Ok);
        assert_eq!(store.list().unwrap(), vec![a.sha256]);
        assert_eq!(fs::read_dir(dir.path().join("objects/tmp")).unwrap().count(), 0);
    }

    #[test]
    fn staged_bytes_are_invisible_until_published() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("objects")).unwrap();
        let st = store.stage_bytes(b"pending").unwrap();
        assert!(!store.contains(&st.sha256));
        assert_eq!(fs::read(st.readable_path(&store)).unwrap(), b"pending");
        store.discard(&st);
        assert!(!st.readable_path(&store).exists());
        assert!(store.list().unwrap().is_empty());
    }

    #[test]
    fn recovery_publishes_committed_and_discards_uncommitted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("objects")).unwrap();
        let keep = Sha256::of_bytes(b"committed");
        let drop_ = Sha256::of_bytes(b"uncommitted");
        // As left by a killed process (pid 0 is never a user process).
        for (sha, bytes) in [(keep, &b"committed"[..]), (drop_, &b"uncommitted"[..])] {
            fs::write(store.staged_path(0, &sha), bytes).unwrap();
        }
        let r = store.recover(|sha| Ok(*sha == keep)).unwrap();
        assert_eq!(r, RecoveryReport { published: 1, discarded: 1 });
        assert_eq!(store.check(&keep), Fixity::Ok);
        assert_eq!(store.list().unwrap(), vec![keep]);
        assert_eq!(fs::read_dir(dir.path().join("objects/tmp")).unwrap().count(), 0);
    }

    #[test]
    fn stale_temp_files_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("objects/tmp");
        fs::create_dir_all(&tmp).unwrap();
        // pid 0 is never a user process.
        fs::write(tmp.join("0-1-deadbeef.part"), b"partial").unwrap();
        Store::open(dir.path().join("objects")).unwrap();
        assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0);
    }

    #[test]
    fn io_options_decide_threads_and_direct_io() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("objects")).unwrap();
        let big = dir.path().join("big.bin");
        fs::write(&big, vec![7u8; DIRECT_MIN_SIZE as usize]).unwrap();
        let f = File::open(&big).unwrap();
        assert_eq!(store.wants_direct_io(&f), cfg!(target_os = "linux"), "default: direct for large files");
        store.set_io_options(IoOptions { io_threads: Some(3), direct_io: false });
        assert!(!store.wants_direct_io(&f));
        assert_eq!(store.io_thread_pool(4).unwrap().current_num_threads(), 3);
        store.set_io_options(IoOptions { io_threads: Some(100_000), direct_io: true });
        assert_eq!(store.io_thread_pool(4).unwrap().current_num_threads(), 256, "clamped");
        let st = store.stage_file(&big).unwrap();
        store.publish(&st).unwrap();
        assert_eq!(store.check(&st.sha256), Fixity::Ok);
    }

    /// A failing input is the user's problem (exit 2), named, and leaves no temp file.
    #[test]
    fn an_unreadable_input_is_blamed_on_the_input() {
        struct Failing;
        impl io::Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("device went away"))
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("objects")).unwrap();
        let err = store.stage_reader(Failing, Path::new("/media/card/clip.mp4"), true, false).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
        assert!(err.to_string().contains("clip.mp4"), "{err}");
        assert_eq!(fs::read_dir(dir.path().join("objects/tmp")).unwrap().count(), 0);
    }

    #[test]
    fn missing_object_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("objects")).unwrap();
        assert_eq!(store.check(&Sha256::of_bytes(b"nope")), Fixity::Missing);
    }
}
