//! Streaming SHA-256.
//!
//! `sha2` selects the CPU's SHA extensions (x86 SHA-NI, ARMv8 SHA2) at run time,
//! so hashing runs near memory bandwidth without any C code. Files are never read
//! whole: a fixed buffer streams through the hasher, and [`copy_and_hash`] hashes
//! the same buffer it writes so each input byte is read exactly once.

use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256 as Sha256Hasher};

/// Read buffer size: large enough to amortise syscalls, small enough that memory
/// stays flat when many files are hashed in parallel.
pub const BUF_SIZE: usize = 1 << 20;

/// A SHA-256 digest. Displays and parses as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// SHA-256 of an in-memory byte string.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Sha256(Sha256Hasher::digest(bytes).into())
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.to_hex())
    }
}

impl FromStr for Sha256 {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 64 {
            return Err(format!("expected 64 hex digits, got {}", s.len()));
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s.to_ascii_lowercase(), &mut out).map_err(|e| e.to_string())?;
        Ok(Sha256(out))
    }
}

impl Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Stored as its 64 hex digits (the catalog's `TEXT ... CHECK (length = 64)`
/// columns); a stored value that is not hex is a conversion error naming it.
impl rusqlite::types::FromSql for Sha256 {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let s = v.as_str()?;
        s.parse().map_err(|e: String| {
            rusqlite::types::FromSqlError::Other(format!("stored SHA-256 {s:?} is malformed: {e}").into())
        })
    }
}

impl rusqlite::types::ToSql for Sha256 {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.to_hex()))
    }
}

/// Hash everything `reader` yields. Returns the digest and the byte count.
pub fn hash_reader<R: Read>(reader: R) -> io::Result<(Sha256, u64)> {
    copy_and_hash(reader, io::sink())
}

/// Copy `reader` into `writer`, hashing the bytes on the way: one read per byte.
pub fn copy_and_hash<R: Read, W: Write>(mut reader: R, mut writer: W) -> io::Result<(Sha256, u64)> {
    with_buffer(|buf| {
        let mut hasher = Sha256Hasher::new();
        let mut total = 0u64;
        loop {
            let n = match reader.read(buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
            writer.write_all(&buf[..n])?;
            total += n as u64;
        }
        writer.flush()?;
        Ok((Sha256(hasher.finalize().into()), total))
    })
}

/// Block size and alignment for [`copy_and_hash_blocks`]: a multiple of every
/// logical block size Linux's `O_DIRECT` asks for (512 or 4096).
pub const DIRECT_ALIGN: usize = 4096;
/// Buffer for direct copies: each `O_DIRECT` write waits for the device, so
/// fewer, larger writes keep it busy.
const DIRECT_BUF_SIZE: usize = 4 << 20;

/// Like [`copy_and_hash`], for writers that accept only whole, aligned blocks
/// (a file opened with `O_DIRECT`): `write_block` receives slices of a
/// [`DIRECT_ALIGN`]-aligned buffer whose lengths are multiples of
/// `DIRECT_ALIGN`; the last one is zero-padded. Returns the digest and the
/// true byte count, to which the caller truncates the file.
pub fn copy_and_hash_blocks<R: Read>(
    mut reader: R,
    mut write_block: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<(Sha256, u64)> {
    DIRECT_BUFFER.with(|cell| {
        let mut owned;
        let mut borrowed;
        let storage: &mut Vec<u8> = match cell.try_borrow_mut() {
            Ok(b) => {
                borrowed = b;
                &mut borrowed
            }
            Err(_) => {
                owned = Vec::new();
                &mut owned
            }
        };
        if storage.len() < DIRECT_BUF_SIZE + DIRECT_ALIGN {
            storage.resize(DIRECT_BUF_SIZE + DIRECT_ALIGN, 0);
        }
        let offset = storage.as_ptr().align_offset(DIRECT_ALIGN);
        let buf = &mut storage[offset..offset + DIRECT_BUF_SIZE];
        let mut hasher = Sha256Hasher::new();
        let mut total = 0u64;
        loop {
            // Fill the whole buffer so every write but the last is full-size.
            let mut filled = 0;
            while filled < buf.len() {
                match reader.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
            if filled == 0 {
                break;
            }
            hasher.update(&buf[..filled]);
            total += filled as u64;
            let padded = filled.div_ceil(DIRECT_ALIGN) * DIRECT_ALIGN;
            buf[filled..padded].fill(0);
            write_block(&buf[..padded])?;
            if filled < buf.len() {
                break;
            }
        }
        Ok((Sha256(hasher.finalize().into()), total))
    })
}

thread_local! {
    static DIRECT_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    /// One I/O buffer per thread, reused: zeroing a fresh 1 MiB buffer per file
    /// was a visible cost when registering thousands of small files.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn with_buffer<T>(f: impl FnOnce(&mut [u8]) -> io::Result<T>) -> io::Result<T> {
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < BUF_SIZE {
                buf.resize(BUF_SIZE, 0);
            }
            f(&mut buf)
        }
        // Re-entered (a reader that hashes): use a private buffer.
        Err(_) => f(&mut vec![0u8; BUF_SIZE]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        assert_eq!(Sha256::of_bytes(b"").to_hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let (h, n) = hash_reader(&b"abc"[..]).unwrap();
        assert_eq!(n, 3);
        assert_eq!(h.to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn copy_hashes_what_it_writes() {
        let data: Vec<u8> = (0..3 * BUF_SIZE + 17).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        let (h, n) = copy_and_hash(&data[..], &mut out).unwrap();
        assert_eq!(out, data);
        assert_eq!(n as usize, data.len());
        assert_eq!(h, Sha256::of_bytes(&data));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// Whole aligned blocks out, zero-padded tail, true length and hash back.
        #[test]
        fn block_copy_pads_only_the_tail(len in 0usize..(2 * DIRECT_BUF_SIZE + 3 * DIRECT_ALIGN), seed: u8) {
            let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
            let mut out = Vec::new();
            let (h, n) = copy_and_hash_blocks(&data[..], |block| {
                assert_eq!(block.len() % DIRECT_ALIGN, 0);
                assert_eq!(block.as_ptr() as usize % DIRECT_ALIGN, 0);
                out.extend_from_slice(block);
                Ok(())
            }).unwrap();
            proptest::prop_assert_eq!(n as usize, len);
            proptest::prop_assert_eq!(h, Sha256::of_bytes(&data));
            proptest::prop_assert_eq!(out.len(), len.div_ceil(DIRECT_ALIGN) * DIRECT_ALIGN);
            proptest::prop_assert_eq!(&out[..len], &data[..]);
            proptest::prop_assert!(out[len..].iter().all(|&b| b == 0));
        }
    }

    #[test]
    fn parse_round_trip_and_errors() {
        let h = Sha256::of_bytes(b"x");
        assert_eq!(h.to_hex().parse::<Sha256>().unwrap(), h);
        assert!("abc".parse::<Sha256>().is_err());
        assert!("zz".repeat(32).parse::<Sha256>().is_err());
    }
}
