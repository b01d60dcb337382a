//! How bytes reach the disk: the I/O settings ([`IoOptions`]), the I/O thread
//! pool, temp files written with `O_DIRECT`, and which side a failed copy is
//! blamed on.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

use super::Store;
#[cfg(not(target_os = "linux"))]
use crate::hash::copy_and_hash;
use crate::hash::Sha256;

/// How the store does its I/O. The library reads no environment: the CLI
/// fills these from `--io-threads` / `EVCAT_IO_THREADS` and `--no-direct-io` /
/// `EVCAT_NO_DIRECT_IO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoOptions {
    /// Threads of [`Store::io_thread_pool`] (clamped to 1..=256); `None`: a
    /// number per core chosen by the caller.
    pub io_threads: Option<usize>,
    /// Write files of at least [`DIRECT_MIN_SIZE`] with `O_DIRECT` (Linux).
    /// Off: every object goes through the page cache.
    pub direct_io: bool,
}

impl Default for IoOptions {
    fn default() -> Self {
        IoOptions { io_threads: None, direct_io: true }
    }
}

impl Store {
    /// A thread pool for file I/O-bound work, with `per_core` threads per core
    /// (or [`IoOptions::io_threads`]), so one thread's wait for the device does
    /// not leave a core idle. Measured on the 831 MB media corpus (2 cores):
    /// `audit --objects-only` (reads, page cache) runs at 1.38 CPUs with 2
    /// threads and 1.95 with 4 (0.44 s → 0.31 s); `add` (O_DIRECT writes) took
    /// 1.1 s with 2 threads, ~1.0 with 4, ~0.85 with 8. `None` if the threads
    /// cannot be created; callers then use rayon's global pool.
    pub fn io_thread_pool(&self, per_core: usize) -> Option<rayon::ThreadPool> {
        let threads = match self.io.io_threads {
            Some(n) => n.clamp(1, 256),
            None => std::thread::available_parallelism().map_or(2, |n| n.get()) * per_core,
        };
        rayon::ThreadPoolBuilder::new().num_threads(threads).thread_name(|i| format!("evcat-io-{i}")).build().ok()
    }

    pub(super) fn wants_direct_io(&self, src: &File) -> bool {
        cfg!(target_os = "linux") && self.io.direct_io && src.metadata().is_ok_and(|m| m.len() >= DIRECT_MIN_SIZE)
    }
}

/// A reader that remembers whether it failed, so the error of a copy can be
/// blamed on the side that caused it.
pub(super) struct Blame<R> {
    pub(super) inner: R,
    pub(super) failed: bool,
}

impl<R: io::Read> io::Read for Blame<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = self.inner.read(buf);
        if r.as_ref().is_err_and(|e| e.kind() != io::ErrorKind::Interrupted) {
            self.failed = true;
        }
        r
    }
}

/// Files at least this large are written with `O_DIRECT` on Linux. The kernel's
/// buffered write path (page allocation, dirty tracking, writeback) cost as much
/// CPU as hashing and copying together (`dd`: 0.35 s of system time per 800 MB
/// buffered + fsync, 0.19 s direct), and the bytes go to disk anyway before the
/// commit. Small files stay buffered: a direct write waits for the device, and
/// one `syncfs` per batch is far cheaper for thousands of them.
pub const DIRECT_MIN_SIZE: u64 = 1 << 20;

/// Create the temp file, with `O_DIRECT` when asked and the filesystem allows it
/// (tmpfs and some FUSE filesystems refuse it at open: fall back to buffered).
/// Returns the file and whether it is direct.
pub(super) fn create_temp(path: &Path, direct: bool) -> io::Result<(File, bool)> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(target_os = "linux")]
    if direct {
        use std::os::unix::fs::OpenOptionsExt;
        let mut direct_opts = opts.clone();
        direct_opts.custom_flags(libc::O_DIRECT);
        match direct_opts.open(path) {
            Ok(f) => return Ok((f, true)),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
            Err(e) => return Err(e),
        }
    }
    let _ = direct;
    Ok((opts.open(path)?, false))
}

/// Hash-while-copying into a file opened with `O_DIRECT`: whole aligned blocks,
/// then truncate the zero padding of the last one. If the filesystem rejects a
/// direct write after all, the descriptor drops `O_DIRECT` and carries on.
#[cfg(target_os = "linux")]
pub(super) fn copy_and_hash_direct<R: io::Read>(reader: R, out: &File) -> io::Result<(Sha256, u64)> {
    use std::os::unix::fs::FileExt;
    // Positional writes: a retry after EINVAL rewrites the whole block at its
    // own offset, whatever part of it a failed call may have written.
    let mut offset = 0u64;
    let (sha, size) = crate::hash::copy_and_hash_blocks(reader, |block| {
        match out.write_all_at(block, offset) {
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) && clear_direct(out) => out.write_all_at(block, offset),
            other => other,
        }?;
        offset += block.len() as u64;
        Ok(())
    })?;
    out.set_len(size)?;
    Ok((sha, size))
}

#[cfg(not(target_os = "linux"))]
pub(super) fn copy_and_hash_direct<R: io::Read>(reader: R, out: &File) -> io::Result<(Sha256, u64)> {
    copy_and_hash(reader, out)
}

#[cfg(target_os = "linux")]
fn clear_direct(f: &File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: fcntl on a descriptor `f` keeps open; flags are plain integers.
    unsafe {
        let flags = libc::fcntl(f.as_raw_fd(), libc::F_GETFL);
        flags >= 0 && libc::fcntl(f.as_raw_fd(), libc::F_SETFL, flags & !libc::O_DIRECT) == 0
    }
}
