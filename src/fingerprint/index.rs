//! Near-duplicate search over 256-bit hashes: multi-index hashing (Norouzi,
//! Punjani & Fleet, "Fast Search in Hamming Space with Multi-Index Hashing").
//!
//! Each hash is cut into 16 chunks of 16 bits, and each chunk position has a
//! table from chunk value to the hashes holding it (compressed: offsets into
//! one id array per position). Two hashes within distance `r` differ by at
//! most `r / 16` bits (rounded down) in at least one chunk (pigeonhole), so a
//! query probes, in every table, each chunk value within that radius of its
//! own chunk, and checks the full distance of each candidate once. Radii of
//! 32 and more (2+ bits per chunk) fall back to a linear scan, which is then
//! faster. Results
//! are exactly those of a linear scan (a property test checks this).
//!
//! Memory: 32 bytes per hash plus 16 × 4 bytes of ids, plus 16 × 256 kB of
//! offsets: about 100 MB for a million hashes.

use super::pdq::Hash256;

const CHUNKS: usize = 16;
const BUCKETS: usize = 1 << 16;

/// An immutable index; build it with [`Index::build`].
pub struct Index {
    hashes: Vec<[u64; 4]>,
    /// Per chunk position: `offsets[c][v]..offsets[c][v+1]` indexes `ids[c]`.
    offsets: Vec<Vec<u32>>,
    ids: Vec<Vec<u32>>,
}

/// One result: the position of the hash in the build input and its distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    pub distance: u32,
    pub pos: u32,
}

pub(crate) fn words(h: &Hash256) -> [u64; 4] {
    let mut w = [0u64; 4];
    for (i, c) in h.chunks_exact(8).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        w[i] = u64::from_be_bytes(b);
    }
    w
}

#[inline]
fn chunk(w: &[u64; 4], c: usize) -> usize {
    ((w[c / 4] >> ((c % 4) * 16)) & 0xffff) as usize
}

#[inline]
fn dist(a: &[u64; 4], b: &[u64; 4]) -> u32 {
    (a[0] ^ b[0]).count_ones() + (a[1] ^ b[1]).count_ones() + (a[2] ^ b[2]).count_ones() + (a[3] ^ b[3]).count_ones()
}

impl Index {
    /// Index `hashes`; a hit's `pos` is its position in this slice. At most
    /// `u32::MAX` hashes (larger inputs are truncated).
    pub fn build(hashes: &[Hash256]) -> Index {
        let n = hashes.len().min(u32::MAX as usize);
        let hashes: Vec<[u64; 4]> = hashes[..n].iter().map(words).collect();
        let mut offsets = Vec::with_capacity(CHUNKS);
        let mut ids = Vec::with_capacity(CHUNKS);
        for c in 0..CHUNKS {
            let mut counts = vec![0u32; BUCKETS + 1];
            for h in &hashes {
                counts[chunk(h, c) + 1] += 1;
            }
            for v in 0..BUCKETS {
                counts[v + 1] += counts[v];
            }
            let mut fill = counts.clone();
            let mut col = vec![0u32; n];
            for (i, h) in hashes.iter().enumerate() {
                let v = chunk(h, c);
                col[fill[v] as usize] = i as u32;
                fill[v] += 1;
            }
            offsets.push(counts);
            ids.push(col);
        }
        Index { hashes, offsets, ids }
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Every indexed hash within `max_distance` of `query`, closest first
    /// (ties by position).
    pub fn query(&self, query: &Hash256, max_distance: u32) -> Vec<Hit> {
        let q = words(query);
        let max_distance = max_distance.min(256);
        let mut hits = Vec::new();
        if self.hashes.is_empty() {
            return hits;
        }
        // Probing pays while each chunk is searched at radius 0 or 1 (max
        // distance < 32: 17 probes per chunk); beyond, 137+ probes per chunk
        // cost more than one sequential scan of 32-byte hashes.
        let exact_chunk = (max_distance as usize) < CHUNKS;
        if max_distance as usize >= 2 * CHUNKS {
            for (i, h) in self.hashes.iter().enumerate() {
                let d = dist(&q, h);
                if d <= max_distance {
                    hits.push(Hit { distance: d, pos: i as u32 });
                }
            }
            hits.sort();
            return hits;
        }
        let mut seen = vec![0u64; self.hashes.len().div_ceil(64)];
        let mut probe = |c: usize, v: usize, hits: &mut Vec<Hit>| {
            let (a, b) = (self.offsets[c][v] as usize, self.offsets[c][v + 1] as usize);
            for &i in &self.ids[c][a..b] {
                let (word, bit) = (i as usize / 64, 1u64 << (i % 64));
                if seen[word] & bit == 0 {
                    seen[word] |= bit;
                    let d = dist(&q, &self.hashes[i as usize]);
                    if d <= max_distance {
                        hits.push(Hit { distance: d, pos: i });
                    }
                }
            }
        };
        for c in 0..CHUNKS {
            let v = chunk(&q, c);
            probe(c, v, &mut hits);
            if !exact_chunk {
                for b in 0..16 {
                    probe(c, v ^ (1 << b), &mut hits);
                }
            }
        }
        hits.sort();
        hits
    }
}

/// The reference answer: a linear scan.
pub fn linear_scan(hashes: &[Hash256], query: &Hash256, max_distance: u32) -> Vec<Hit> {
    let q = words(query);
    let mut hits: Vec<Hit> = hashes
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let d = dist(&q, &words(h));
            (d <= max_distance).then_some(Hit { distance: d, pos: i as u32 })
        })
        .collect();
    hits.sort();
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn flip(h: &Hash256, bits: &[u16]) -> Hash256 {
        let mut o = *h;
        for &b in bits {
            o[(b / 8) as usize % 32] ^= 1 << (b % 8);
        }
        o
    }

    #[test]
    fn finds_near_and_skips_far() {
        let base = [0xa5u8; 32];
        let near = flip(&base, &[1, 40, 77, 200]);
        let far = [0x5au8; 32];
        let idx = Index::build(&[far, near, base]);
        let hits = idx.query(&base, 10);
        assert_eq!(hits, vec![Hit { distance: 0, pos: 2 }, Hit { distance: 4, pos: 1 }]);
        assert!(Index::build(&[]).query(&base, 31).is_empty());
    }

    #[test]
    fn words_agree_with_bytes() {
        let mut h = [0u8; 32];
        h[0] = 0x80;
        h[31] = 1;
        let w = words(&h);
        assert_eq!(w[0], 1 << 63);
        assert_eq!(w[3], 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn index_equals_linear_scan(
            seeds in prop::collection::vec(any::<[u8; 32]>(), 1..40),
            flips in prop::collection::vec(prop::collection::vec(0u16..256, 0..70), 0..80),
            radius in 0u32..80,
            q in 0usize..40,
        ) {
            // Clusters of related hashes around random centres, so many are in range.
            let mut hashes: Vec<Hash256> = seeds.clone();
            for (i, f) in flips.iter().enumerate() {
                hashes.push(flip(&seeds[i % seeds.len()], f));
            }
            let idx = Index::build(&hashes);
            let query = flip(&seeds[q % seeds.len()], &[3, 99]);
            prop_assert_eq!(idx.query(&query, radius), linear_scan(&hashes, &query, radius));
        }
    }
}
