//! The Merkle tree over the log (RFC 9162, Certificate Transparency v2,
//! section 2.1): leaf `i` is the event with `seq = i + 1`, its leaf input the
//! event's 32-byte chain hash.
//!
//! ```text
//! leaf  = SHA-256(0x00 || event hash)
//! node  = SHA-256(0x01 || left || right)
//! MTH({})      = SHA-256("")
//! MTH(D[n])    = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
//! ```
//!
//! Proofs are made from a [`NodeSource`] (the catalog's stored nodes and
//! event hashes, or leaves held in memory) and verified with RFC 9162's own
//! algorithms (sections 2.1.3.2 and 2.1.4.2), which need nothing but hashes.
//! [`Frontier`] builds the root of a growing log from one pass over its
//! hashes, keeping one node per set bit of the size.

use std::fmt;

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// Domain separation of leaves and interior nodes (RFC 9162 section 2.1.1).
pub const LEAF_PREFIX: u8 = 0x00;
pub const NODE_PREFIX: u8 = 0x01;

/// Subtrees of at least `2^STORED_LEVEL` leaves are the ones the catalog
/// stores (`custody_tree`); smaller ones are recomputed from event hashes.
pub const STORED_LEVEL: u32 = 8;

/// Root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// `SHA-256(0x00 || input)`: the leaf hash of one leaf input (for the log,
/// the event's chain hash).
pub fn leaf_hash(input: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(input);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two smaller than `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Where the tree's hashes come from.
pub trait NodeSource {
    type Error;
    /// Leaf hashes of leaves `start..end` (all of them, in order).
    fn leaf_hashes(&mut self, start: u64, end: u64) -> Result<Vec<Hash>, Self::Error>;
    /// The stored root of the complete subtree of `2^level` leaves starting
    /// at leaf `index << level`, if the source keeps it.
    fn stored_node(&mut self, _level: u32, _index: u64) -> Result<Option<Hash>, Self::Error> {
        Ok(None)
    }
}

/// Leaf hashes held in memory.
impl NodeSource for [Hash] {
    type Error = std::convert::Infallible;
    fn leaf_hashes(&mut self, start: u64, end: u64) -> Result<Vec<Hash>, Self::Error> {
        Ok(self[start as usize..end as usize].to_vec())
    }
}

/// MTH of leaf hashes held in memory.
pub fn root_of(leaves: &[Hash]) -> Hash {
    let mut f = Frontier::new();
    for l in leaves {
        f.push(0, *l, |_, _, _| {});
    }
    f.root()
}

/// MTH(D[start:end]). Complete, aligned subtrees the source stores are read
/// whole; everything else of at most `2^STORED_LEVEL` leaves is hashed from
/// its leaves.
pub fn subtree_root<S: NodeSource + ?Sized>(src: &mut S, start: u64, end: u64) -> Result<Hash, S::Error> {
    let n = end - start;
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() && start.is_multiple_of(n) && n >= 1 << STORED_LEVEL {
        if let Some(h) = src.stored_node(n.trailing_zeros(), start / n)? {
            return Ok(h);
        }
    }
    if n <= 1 << STORED_LEVEL {
        return Ok(root_of(&src.leaf_hashes(start, end)?));
    }
    let k = split(n);
    let left = subtree_root(src, start, start + k)?;
    let right = subtree_root(src, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// The audit path of leaf `index` in the tree of the first `size` leaves
/// (RFC 9162 2.1.3.1, `PATH(m, D[n])`), leaf level first.
pub fn inclusion_path<S: NodeSource + ?Sized>(src: &mut S, index: u64, size: u64) -> Result<Vec<Hash>, S::Error> {
    let mut path = Vec::new();
    path_into(src, index, 0, size, &mut path)?;
    path.reverse();
    Ok(path)
}

/// Pushes the path of leaf `m` within `D[start:end]`, root level first.
fn path_into<S: NodeSource + ?Sized>(
    src: &mut S,
    m: u64,
    start: u64,
    end: u64,
    out: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        out.push(subtree_root(src, start + k, end)?);
        path_into(src, m, start, start + k, out)
    } else {
        out.push(subtree_root(src, start, start + k)?);
        path_into(src, m - k, start + k, end, out)
    }
}

/// The proof that the tree of `second` leaves extends the tree of `first`
/// (RFC 9162 2.1.4.1, `PROOF(m, D[n])`); empty when `first` is 0 or equal
/// to `second`.
pub fn consistency_path<S: NodeSource + ?Sized>(src: &mut S, first: u64, second: u64) -> Result<Vec<Hash>, S::Error> {
    let mut path = Vec::new();
    if first > 0 && first < second {
        subproof_into(src, first, 0, second, true, &mut path)?;
    }
    path.reverse();
    Ok(path)
}

/// `SUBPROOF(m, D[start:end], b)`, pushed root level first.
fn subproof_into<S: NodeSource + ?Sized>(
    src: &mut S,
    m: u64,
    start: u64,
    end: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    let n = end - start;
    if m == n {
        if !whole {
            out.push(subtree_root(src, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        out.push(subtree_root(src, start + k, end)?);
        subproof_into(src, m, start, start + k, whole, out)
    } else {
        out.push(subtree_root(src, start, start + k)?);
        subproof_into(src, m - k, start + k, end, false, out)
    }
}

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// The index is not inside the tree, or the sizes are out of order.
    OutOfRange(String),
    /// The path has too many or too few hashes for the sizes given.
    WrongLength,
    /// The path leads to another root.
    RootMismatch { computed: Hash, expected: Hash },
    /// A consistency path that does not lead back to the first root.
    FirstRootMismatch { computed: Hash, expected: Hash },
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofError::OutOfRange(why) => f.write_str(why),
            ProofError::WrongLength => f.write_str("the proof has the wrong number of hashes for these tree sizes"),
            ProofError::RootMismatch { computed, expected } => write!(
                f,
                "the proof leads to root {} but the head's root is {}",
                hex::encode(computed),
                hex::encode(expected)
            ),
            ProofError::FirstRootMismatch { computed, expected } => write!(
                f,
                "the proof leads back to root {} but the first head's root is {}",
                hex::encode(computed),
                hex::encode(expected)
            ),
        }
    }
}

/// The root an inclusion path leads to (RFC 9162 2.1.3.2, steps 1-4).
pub fn root_from_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash]) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange(format!("leaf {index} is not in a tree of {size} leaves")));
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    Ok(r)
}

/// RFC 9162 2.1.3.2: `path` proves that `leaf` (a leaf hash) is leaf `index`
/// of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> Result<(), ProofError> {
    let computed = root_from_inclusion(index, size, leaf, path)?;
    if computed != *root {
        return Err(ProofError::RootMismatch { computed, expected: *root });
    }
    Ok(())
}

/// RFC 9162 2.1.4.2: `path` proves that the tree of `second` leaves with
/// root `second_root` extends the tree of `first` leaves with `first_root`.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    path: &[Hash],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::OutOfRange(format!("a tree of {first} leaves cannot precede one of {second}")));
    }
    if first == second || first == 0 {
        // Trivially consistent; RFC 9162 leaves these out, the proof is empty.
        if !path.is_empty() {
            return Err(ProofError::WrongLength);
        }
        if first == second && first_root != second_root {
            return Err(ProofError::RootMismatch { computed: *first_root, expected: *second_root });
        }
        return Ok(());
    }
    if path.is_empty() {
        return Err(ProofError::WrongLength);
    }
    let mut path: Vec<Hash> = path.to_vec();
    if first.is_power_of_two() {
        path.insert(0, *first_root);
    }
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *first_root {
        return Err(ProofError::FirstRootMismatch { computed: fr, expected: *first_root });
    }
    if sr != *second_root {
        return Err(ProofError::RootMismatch { computed: sr, expected: *second_root });
    }
    Ok(())
}

/// The right edge of a tree being built leaf by leaf: one complete subtree
/// root per set bit of `size`, largest first (a compact range from 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

impl Frontier {
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Append a complete subtree of `2^level` leaves (a leaf hash for level
    /// 0); `size` must be a multiple of `2^level`. Every subtree completed on
    /// the way (this one included) is reported to `completed(level, index,
    /// hash)`.
    pub fn push(&mut self, level: u32, hash: Hash, mut completed: impl FnMut(u32, u64, &Hash)) {
        debug_assert_eq!(self.size % (1u64 << level), 0, "unaligned subtree");
        let mut node = hash;
        let mut l = level;
        completed(l, self.size >> l, &node);
        while (self.size >> l) & 1 == 1 {
            let Some(left) = self.nodes.pop() else { break };
            node = node_hash(&left, &node);
            l += 1;
            completed(l, self.size >> l, &node);
        }
        self.nodes.push(node);
        self.size += 1 << level;
    }

    /// MTH of the leaves so far.
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        let Some(last) = it.next() else { return empty_root() };
        it.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

pub mod check;

#[cfg(test)]
mod tests;
