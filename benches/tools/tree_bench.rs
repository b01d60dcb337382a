//! Merkle-tree benchmark for issue 16 (not a test; figures in BENCHMARKS.md):
//!
//! ```text
//! cargo run --release --example bench_log -- DIR 1000000
//! cargo run --release --example bench_tree -- DIR [RUNS]
//! ```
//!
//! On a catalog built by `bench_log`, in one process:
//! 1. the audit's chain pass (`log::for_each` + `ChainVerifier`, as
//!    `audit::check_chain` streams it) without and with the `TreeChecker`
//!    that recomputes the tree and compares the stored nodes, alternated
//!    RUNS times (default 3); the median of each and the overhead;
//! 2. the inclusion proof of one event (the middle one, then 100 spread
//!    over the log) through `catalog::tree::inclusion_proof`, and its
//!    verification (`InclusionProof::verify`, which also re-encodes and
//!    re-hashes the event).
//!
//! Prints `key=value` lines. Wall times from `Instant`; nothing here is asserted.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use evcat::catalog::{actors, keys, log, tree};
use evcat::custody::tree::check::TreeChecker;
use evcat::custody::{ChainVerifier, SealedEvent};
use evcat::{ActorOptions, Catalog};

const BATCH: usize = 8192;

fn chain_pass(cat: &Catalog, keys: &HashMap<String, String>, with_tree: bool) -> evcat::Result<f64> {
    let start = Instant::now();
    let mut verifier = ChainVerifier::new(keys);
    let mut tree_check = if with_tree { Some(TreeChecker::new(tree::stored_nodes(cat)?, None)) } else { None };
    let mut batch: Vec<SealedEvent> = Vec::with_capacity(BATCH);
    let mut flush = |batch: &mut Vec<SealedEvent>| {
        verifier.push_batch(batch);
        if let Some(t) = tree_check.as_mut() {
            t.push_batch(batch);
        }
        batch.clear();
    };
    log::for_each(cat, |e| {
        batch.push(e);
        if batch.len() == BATCH {
            flush(&mut batch);
        }
        Ok(())
    })?;
    flush(&mut batch);
    let report = verifier.finish();
    let problems = report.problems.len() + tree_check.map_or(0, |t| t.finish().problems.len());
    if problems > 0 {
        eprintln!("warning: {problems} problems in the log: the timing is of a damaged log");
    }
    Ok(start.elapsed().as_secs_f64())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> evcat::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: bench_tree DIR [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.next().and_then(|r| r.to_string_lossy().parse().ok()).unwrap_or(3).max(1);
    let cat = Catalog::open(&PathBuf::from(dir), ActorOptions::default())?;

    let mut keys: HashMap<String, String> = actors::list(&cat)?.into_iter().map(|a| (a.key_id, a.public_key)).collect();
    keys.extend(keys::key_history(&cat)?.public_keys());
    chain_pass(&cat, &keys, true)?; // warm-up: page cache, rayon pool
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        without.push(chain_pass(&cat, &keys, false)?);
        with.push(chain_pass(&cat, &keys, true)?);
    }
    let (a, b) = (median(&mut without), median(&mut with));
    println!("chain_pass_without_tree_secs={a:.3} runs={without:.3?}");
    println!("chain_pass_with_tree_secs={b:.3} runs={with:.3?}");
    println!("tree_overhead_pct={:.1}", 100.0 * (b - a) / a);

    let n = log::head(&cat)?.map_or(0, |h| h.seq);
    let mid = n / 2 + 1;
    let t = Instant::now();
    let proof = tree::inclusion_proof(&cat, mid, None)?;
    let first_prove = t.elapsed().as_secs_f64();
    let t = Instant::now();
    proof.verify().map_err(|e| evcat::Error::Corrupt(e.to_string()))?;
    let first_verify = t.elapsed().as_secs_f64();
    println!(
        "events={n} proof_seq={mid} path_len={} first_prove_ms={:.3} first_verify_ms={:.3}",
        proof.path.len(),
        first_prove * 1e3,
        first_verify * 1e3
    );
    let (mut prove, mut verify) = (Vec::new(), Vec::new());
    for k in 0..100u64 {
        let seq = 1 + k * (n.max(100) / 100) % n.max(1);
        let t = Instant::now();
        let p = tree::inclusion_proof(&cat, seq, None)?;
        prove.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        p.verify().map_err(|e| evcat::Error::Corrupt(e.to_string()))?;
        verify.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let (pmax, vmax) = (max(&prove), max(&verify));
    println!(
        "prove_ms_median={:.3} prove_ms_max={pmax:.3} verify_ms_median={:.3} verify_ms_max={vmax:.3} (100 events spread over the log)",
        median(&mut prove),
        median(&mut verify)
    );
    Ok(())
}
