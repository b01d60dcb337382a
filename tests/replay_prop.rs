//! Invariant 2 under random workloads: for random sequences of creations,
//! edits, links, unlinks (removals), status changes, transfers and file
//! registrations, the one replay of the log equals the rows (audit's record
//! check), and verifying an `--all` bag of the catalog reaches the same rows
//! (every record of the bag equals the replay of the bag's events).

use std::path::PathBuf;

use proptest::prelude::*;

use evcat::audit::AuditOptions;
use evcat::catalog::claims::ClaimStatus;
use evcat::catalog::evidence::{EvidenceEdit, EvidenceKind, Patch, Provenance};
use evcat::catalog::links::{LinkOrigin, NewLink, Relation};
use evcat::export::bag::{verify_bag, BagOptions};
use evcat::export::Scope;
use evcat::ids::{ClaimId, EvidenceId, LinkId, Subject};
use evcat::ingest::{AddOptions, NoProgress};
use evcat::Catalog;

#[derive(Debug, Clone)]
enum Op {
    Evidence(String),
    Edit { ev: usize, title: Option<String> },
    Claim(String),
    Link { claim: usize, ev: usize, rel: u8 },
    Unlink(usize),
    Status { claim: usize, confirm: bool },
    Transfer(usize),
    File { ev: usize, seed: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        "[a-z ]{1,12}".prop_map(Op::Evidence),
        (any::<usize>(), proptest::option::of("[a-z]{1,8}")).prop_map(|(ev, title)| Op::Edit { ev, title }),
        "[a-z]{3,12}".prop_map(Op::Claim),
        (any::<usize>(), any::<usize>(), 0u8..4).prop_map(|(claim, ev, rel)| Op::Link { claim, ev, rel }),
        any::<usize>().prop_map(Op::Unlink),
        (any::<usize>(), any::<bool>()).prop_map(|(claim, confirm)| Op::Status { claim, confirm }),
        any::<usize>().prop_map(Op::Transfer),
        (any::<usize>(), any::<u8>()).prop_map(|(ev, seed)| Op::File { ev, seed }),
    ]
}

fn pick<T: Copy>(v: &[T], i: usize) -> Option<T> {
    (!v.is_empty()).then(|| v[i % v.len()])
}

/// Apply `ops`; operations the catalog refuses (a duplicate link, a claim
/// text already marked...) are skipped, as a user would see an error.
fn run(cat: &mut Catalog, dir: &std::path::Path, ops: &[Op]) {
    let mut evidence: Vec<EvidenceId> = Vec::new();
    let mut claims: Vec<ClaimId> = Vec::new();
    let mut links: Vec<LinkId> = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        match op {
            Op::Evidence(title) => {
                let prov = Provenance { title: Some(title.clone()), ..Default::default() };
                if let Ok(id) = cat.add_referenced_evidence(EvidenceKind::Video, &prov, None) {
                    evidence.push(id);
                }
            }
            Op::Edit { ev, title } => {
                if let Some(e) = pick(&evidence, *ev) {
                    let title = title.clone().map_or(Patch::Clear, Patch::Set);
                    let _ = cat.edit_evidence(e, &EvidenceEdit { title, ..Default::default() }, Some("prop"));
                }
            }
            Op::Claim(text) => {
                if let Ok(m) = cat.add_claim_text(text) {
                    if !m.already_marked {
                        claims.push(m.claim.id);
                    }
                }
            }
            Op::Link { claim, ev, rel } => {
                if let (Some(c), Some(e)) = (pick(&claims, *claim), pick(&evidence, *ev)) {
                    let relation = [Relation::Depicts, Relation::Supports, Relation::Contradicts, Relation::Mentions]
                        [*rel as usize % 4];
                    let l = NewLink {
                        claim: c,
                        evidence: e,
                        relation,
                        range_ms: None,
                        region: None,
                        note: None,
                        origin: LinkOrigin::Manual,
                    };
                    if let Ok(l) = cat.link_claim(&l) {
                        links.push(l.id);
                    }
                }
            }
            Op::Unlink(i) => {
                if let Some(l) = pick(&links, *i) {
                    if cat.unlink(l, Some("prop")).is_ok() {
                        links.retain(|x| *x != l);
                    }
                }
            }
            Op::Status { claim, confirm } => {
                if let Some(c) = pick(&claims, *claim) {
                    let s = if *confirm { ClaimStatus::Confirmed } else { ClaimStatus::Rejected };
                    let _ = cat.set_claim_status(c, s, None);
                }
            }
            Op::Transfer(i) => {
                if let Some(e) = pick(&evidence, *i) {
                    cat.custody_transfer(Subject::Evidence(e), "legal", "review").unwrap();
                }
            }
            Op::File { ev, seed } => {
                let p: PathBuf = dir.join(format!("f{n}.bin"));
                std::fs::write(&p, [*seed, n as u8, 0xee, 7]).unwrap();
                let opts = AddOptions { evidence: pick(&evidence, *ev), ..Default::default() };
                cat.add_paths(&[p], &opts, &NoProgress).unwrap();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn replay_equals_rows_and_an_all_bag_reaches_the_same_rows(ops in prop::collection::vec(op(), 1..40)) {
        let tmp = tempfile::tempdir().unwrap();
        let mut cat = Catalog::init(&tmp.path().join("cat"), "prop", None).unwrap();
        run(&mut cat, tmp.path(), &ops);

        let audit = cat.audit(&AuditOptions { record_result: false, ..Default::default() }).unwrap();
        prop_assert!(audit.clean, "{:#?}", audit.problems);

        let bag = tmp.path().join("bag");
        let export = cat.export_bag(&bag, &BagOptions { scope: Scope::All, force: false, organization: None }).unwrap();
        let check = verify_bag(&bag).unwrap();
        prop_assert!(check.valid, "{:#?}", check.problems);
        prop_assert_eq!(check.chain_gaps, 0);
        let c = export.counts;
        prop_assert_eq!(check.records_verified as usize, c.articles + c.claims + c.links + c.evidence + c.files);
        prop_assert_eq!(check.events_verified as usize, export.events);
    }
}
