//! Known answers from Certificate Transparency's test data (as kept by
//! transparency-dev/merkle, `proof/verify_test.go`), a naive reference of
//! RFC 9162's recursive definitions, random proofs against random logs, and
//! tampering.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

fn h(s: &str) -> Hash {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).unwrap();
    out
}

/// The eight leaf inputs of the CT test tree.
fn ct_leaves() -> Vec<Hash> {
    ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
        .iter()
        .map(|s| leaf_hash(&hex::decode(s).unwrap()))
        .collect()
}

const CT_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (leaf number, counted from 1 as in the Go data; tree size; path).
fn ct_inclusion() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            6,
            8,
            vec![
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (3, 3, vec![h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
        (
            2,
            5,
            vec![
                h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
    ]
}

fn ct_consistency() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            6,
            8,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            5,
            vec![
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
        (
            6,
            7,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
    ]
}

#[test]
fn ct_roots_inclusion_and_consistency_proofs_are_reproduced_and_verify() {
    let mut leaves = ct_leaves();
    assert_eq!(hex::encode(empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    for (n, want) in CT_ROOTS.iter().enumerate() {
        assert_eq!(hex::encode(root_of(&leaves[..=n])), *want, "root of {} leaves", n + 1);
        assert_eq!(subtree_root(&mut leaves[..], 0, n as u64 + 1).unwrap(), h(want));
    }
    for (leaf, size, want) in ct_inclusion() {
        let got = inclusion_path(&mut leaves[..], leaf - 1, size).unwrap();
        assert_eq!(got, want, "path of leaf {leaf} in {size}");
        let root = h(CT_ROOTS[size as usize - 1]);
        verify_inclusion(leaf - 1, size, &leaves[leaf as usize - 1], &got, &root).unwrap();
    }
    for (m, n, want) in ct_consistency() {
        let got = consistency_path(&mut leaves[..], m, n).unwrap();
        assert_eq!(got, want, "consistency {m} -> {n}");
        verify_consistency(m, n, &h(CT_ROOTS[m as usize - 1]), &h(CT_ROOTS[n as usize - 1]), &got).unwrap();
    }
}

/// The corruptions transparency-dev/merkle probes every known proof with:
/// each must fail.
#[test]
fn corrupted_known_proofs_fail() {
    let leaves = ct_leaves();
    let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
    for (leaf, size, path) in ct_inclusion() {
        let (i, root, lh) = (leaf - 1, h(CT_ROOTS[size as usize - 1]), leaves[leaf as usize - 1]);
        let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            (i.wrapping_sub(1), size, root, lh, path.clone()),
            (i + 1, size, root, lh, path.clone()),
            (i ^ 2, size, root, lh, path.clone()),
            (i, size * 2, root, lh, path.clone()),
            (i, size / 2, root, lh, path.clone()),
            (i, size, root, leaf_hash(b"WrongLeaf"), path.clone()),
            (i, size, empty_root(), lh, path.clone()),
            (i, size, some, lh, path.clone()),
            (i, size, root, lh, [path.clone(), vec![root]].concat()),
            (i, size, root, lh, [vec![root], path.clone()].concat()),
        ];
        for k in 0..path.len() {
            let mut p = path.clone();
            p[k][0] ^= 8;
            probes.push((i, size, root, lh, p));
        }
        if !path.is_empty() {
            probes.push((i, size, root, lh, path[..path.len() - 1].to_vec()));
        }
        if path.len() > 1 {
            probes.push((i, size, root, lh, [vec![path[0], some], path[1..].to_vec()].concat()));
        }
        for (n, (i, size, root, lh, p)) in probes.into_iter().enumerate() {
            if (i, size) == (0, 1) && p.is_empty() && root == lh {
                continue; // i ^ 2 etc. can land on the same valid statement
            }
            assert!(verify_inclusion(i, size, &lh, &p, &root).is_err(), "inclusion probe {n} of leaf {leaf}/{size}");
        }
    }
    for (m, n, path) in ct_consistency() {
        if path.is_empty() {
            continue;
        }
        let (r1, r2) = (h(CT_ROOTS[m as usize - 1]), h(CT_ROOTS[n as usize - 1]));
        let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            (m - 1, n, r1, r2, path.clone()),
            (m + 1, n, r1, r2, path.clone()),
            (m ^ 2, n, r1, r2, path.clone()),
            (m, n * 2, r1, r2, path.clone()),
            (m, n / 2, r1, r2, path.clone()),
            (m, n, leaf_hash(b"WrongRoot"), r2, path.clone()),
            (m, n, r1, leaf_hash(b"WrongRoot"), path.clone()),
            (m, n, r2, r1, path.clone()),
            (m, n, r1, r2, vec![]),
            (m, n, r1, r2, [path.clone(), vec![r1]].concat()),
            (m, n, r1, r2, [path.clone(), vec![r2]].concat()),
            (m, n, r1, r2, [vec![r1], path.clone()].concat()),
            (m, n, r1, r2, [vec![r2], path.clone()].concat()),
            (m, n, r1, r2, [vec![path[0]], path.clone()].concat()),
            (m, n, r1, r2, path[..path.len() - 1].to_vec()),
        ];
        for k in 0..path.len() {
            let mut p = path.clone();
            p[k][0] ^= 16;
            probes.push((m, n, r1, r2, p));
        }
        for (k, (a, b, ra, rb, p)) in probes.into_iter().enumerate() {
            assert!(verify_consistency(a, b, &ra, &rb, &p).is_err(), "consistency probe {k} of {m} -> {n}");
        }
    }
}

#[test]
fn trivial_consistency_cases() {
    let (r1, r2) = (leaf_hash(b"1"), leaf_hash(b"2"));
    assert!(verify_consistency(0, 0, &r1, &r1, &[]).is_ok());
    assert!(verify_consistency(0, 5, &r1, &r2, &[]).is_ok());
    assert!(verify_consistency(3, 3, &r2, &r2, &[]).is_ok());
    assert!(verify_consistency(3, 3, &r1, &r2, &[]).is_err());
    assert!(verify_consistency(2, 1, &r1, &r2, &[]).is_err());
    assert!(verify_consistency(1, 2, &r1, &r2, &[]).is_err());
    assert!(verify_consistency(1, 1, &r1, &r1, &[r1]).is_err());
    assert!(verify_inclusion(0, 0, &r1, &[], &r1).is_err());
}

// --- A naive reference: the RFC's recursive definitions, word for word ------

fn ref_mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => empty_root(),
        1 => d[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&ref_mth(&d[..k]), &ref_mth(&d[k..]))
        }
    }
}

fn ref_path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = split(n as u64) as usize;
    if m < k {
        [ref_path(m, &d[..k]), vec![ref_mth(&d[k..])]].concat()
    } else {
        [ref_path(m - k, &d[k..]), vec![ref_mth(&d[..k])]].concat()
    }
}

fn ref_subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![ref_mth(d)] };
    }
    let k = split(n as u64) as usize;
    if m <= k {
        [ref_subproof(m, &d[..k], b), vec![ref_mth(&d[k..])]].concat()
    } else {
        [ref_subproof(m - k, &d[k..], false), vec![ref_mth(&d[..k])]].concat()
    }
}

/// A source that also stores every complete subtree of `2^STORED_LEVEL` or
/// more leaves, as the catalog does.
struct Stored {
    leaves: Vec<Hash>,
    nodes: HashMap<(u32, u64), Hash>,
    leaf_reads: u64,
}

impl Stored {
    fn new(leaves: Vec<Hash>) -> Stored {
        let mut nodes = HashMap::new();
        let mut f = Frontier::new();
        for l in &leaves {
            f.push(0, *l, |level, index, hash| {
                if level >= STORED_LEVEL {
                    nodes.insert((level, index), *hash);
                }
            });
        }
        Stored { leaves, nodes, leaf_reads: 0 }
    }
}

impl NodeSource for Stored {
    type Error = std::convert::Infallible;
    fn leaf_hashes(&mut self, start: u64, end: u64) -> Result<Vec<Hash>, Self::Error> {
        self.leaf_reads += end - start;
        Ok(self.leaves[start as usize..end as usize].to_vec())
    }
    fn stored_node(&mut self, level: u32, index: u64) -> Result<Option<Hash>, Self::Error> {
        Ok(self.nodes.get(&(level, index)).copied())
    }
}

fn leaves(n: usize, salt: u8) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&[&(i as u64).to_be_bytes()[..], &[salt]].concat())).collect()
}

#[test]
fn stored_nodes_give_the_same_tree_and_bound_the_leaves_read() {
    let n = 3 * 1024 + 77;
    let mut s = Stored::new(leaves(n, 1));
    let root = ref_mth(&s.leaves);
    assert_eq!(subtree_root(&mut s, 0, n as u64).unwrap(), root);
    for m in [0, 255, 256, 1000, n - 1] {
        s.leaf_reads = 0;
        let p = inclusion_path(&mut s, m as u64, n as u64).unwrap();
        assert_eq!(p, ref_path(m, &s.leaves));
        // One block of 256 leaves around m, plus the ragged right edge.
        assert!(s.leaf_reads <= 2 * 256, "read {} leaves for one proof", s.leaf_reads);
        verify_inclusion(m as u64, n as u64, &s.leaves[m], &p, &root).unwrap();
    }
    let c = consistency_path(&mut s, 1500, n as u64).unwrap();
    assert_eq!(c, ref_subproof(1500, &s.leaves, true));
}

#[test]
fn frontier_reports_every_completed_subtree() {
    let l = leaves(20, 2);
    let mut seen = Vec::new();
    let mut f = Frontier::new();
    for (i, x) in l.iter().enumerate() {
        f.push(0, *x, |level, index, hash| seen.push((level, index, *hash)));
        assert_eq!(f.root(), ref_mth(&l[..=i]));
        assert_eq!(f.size(), i as u64 + 1);
    }
    for (level, index, hash) in seen {
        let (a, b) = ((index << level) as usize, ((index + 1) << level) as usize);
        assert_eq!(hash, ref_mth(&l[a..b]), "node {level}/{index}");
    }
    // Pushing a whole subtree equals pushing its leaves.
    let mut g = Frontier::new();
    g.push(4, ref_mth(&l[..16]), |_, _, _| {});
    for x in &l[16..] {
        g.push(0, *x, |_, _, _| {});
    }
    assert_eq!(g.root(), f.root());
}

proptest! {
    /// Random proofs against random logs agree with the reference and verify;
    /// a changed leaf breaks its inclusion proof and every consistency proof
    /// from a tree that holds it.
    #[test]
    fn random_proofs_verify_and_tampering_breaks_them(
        n in 1usize..700, m_frac in 0.0f64..1.0, first_frac in 0.0f64..1.0, salt in any::<u8>(), flip in 0usize..32
    ) {
        let mut s = Stored::new(leaves(n, salt));
        let size = n as u64;
        let root = ref_mth(&s.leaves);
        let m = ((n as f64 * m_frac) as usize).min(n - 1);
        let path = inclusion_path(&mut s, m as u64, size).unwrap();
        prop_assert_eq!(&path, &ref_path(m, &s.leaves));
        prop_assert!(verify_inclusion(m as u64, size, &s.leaves[m], &path, &root).is_ok());
        let first = ((n as f64 * first_frac) as u64).clamp(1, size);
        let c = consistency_path(&mut s, first, size).unwrap();
        prop_assert_eq!(&c, &ref_subproof(first as usize, &s.leaves, true));
        let first_root = ref_mth(&s.leaves[..first as usize]);
        prop_assert!(verify_consistency(first, size, &first_root, &root, &c).is_ok());

        // Tamper with leaf m, rebuild the log from there.
        let mut bad = s.leaves.clone();
        bad[m][flip] ^= 1;
        let bad_root = ref_mth(&bad);
        prop_assert!(verify_inclusion(m as u64, size, &bad[m], &path, &root).is_err());
        prop_assert!(verify_inclusion(m as u64, size, &s.leaves[m], &path, &bad_root).is_err());
        if (m as u64) < first {
            // The published first head still says the original: the rewritten
            // tree is not consistent with it.
            let mut bs = Stored::new(bad.clone());
            let bc = consistency_path(&mut bs, first, size).unwrap();
            prop_assert!(verify_consistency(first, size, &first_root, &bad_root, &bc).is_err());
        }
    }
}
