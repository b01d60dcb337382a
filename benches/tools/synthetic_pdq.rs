//! Deterministic synthetic PDQ hashes for the fingerprint benchmarks
//! (`examples/fingerprint_bench.rs`, `examples/similar_catalog.rs`), included
//! by `#[path]` so both draw the same distribution from the same generator.

/// SplitMix64: fast, seedable, good enough to spread bits for a benchmark.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform 256-bit hash.
    pub fn hash(&mut self) -> [u8; 32] {
        let mut h = [0u8; 32];
        for c in h.chunks_exact_mut(8) {
            c.copy_from_slice(&self.next().to_le_bytes());
        }
        h
    }

    /// `h` with `bits` random bit positions flipped (a position may repeat).
    pub fn flip(&mut self, h: &[u8; 32], bits: u64) -> [u8; 32] {
        let mut o = *h;
        for _ in 0..bits {
            let b = (self.next() % 256) as usize;
            o[b / 8] ^= 1 << (b % 8);
        }
        o
    }

    /// Hash of the `i`-th of `total` files: the first 70 % come in clusters of
    /// 10 copies of one picture (0-23 bits from its `centre`), the rest uniform.
    #[allow(dead_code)] // used by similar_catalog only
    pub fn synthetic(&mut self, centre: &mut [u8; 32], i: usize, total: usize) -> [u8; 32] {
        if i < total * 7 / 10 {
            if i.is_multiple_of(10) {
                *centre = self.hash();
            }
            let bits = self.next() % 24;
            self.flip(centre, bits)
        } else {
            self.hash()
        }
    }
}
