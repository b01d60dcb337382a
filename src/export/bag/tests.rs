//! Verification and import planning on small bags built in memory.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use super::import::{plan, Local};
use super::verify::{check_log, BagLog};
use super::*;
use crate::custody::{seal, Event, Keypair, SealedEvent, GENESIS};
use crate::error::Result;
use crate::ids::{ArticleId, ClaimId, EvidenceId, FileId, LinkId};

struct LogBuilder {
    key: Keypair,
    events: Vec<SealedEvent>,
    prev: [u8; 32],
    seq: u64,
}

impl LogBuilder {
    fn new() -> Self {
        let mut b = LogBuilder { key: Keypair::from_seed([11u8; 32]), events: Vec::new(), prev: GENESIS, seq: 0 };
        b.push(Subject::Catalog, "created", json!({"catalog_id": "src"}));
        let actor = json!({"row": {"name": "ana", "role": null, "public_key": b.key.public_hex(),
            "key_id": b.key.key_id(), "created_at": "t"}});
        b.push(RecordKind::Actor.subject(1), "actor-added", actor);
        b
    }

    /// Append an event; `skip` events before it are left out of the bag.
    fn push_after(&mut self, skip: u64, subject: Subject, action: &str, details: Value) {
        let (t, id) = subject.parts();
        self.seq += 1 + skip;
        let prev = if skip > 0 { [0xaa; 32] } else { self.prev };
        let e = Event {
            seq: self.seq,
            subject_type: t.into(),
            subject_id: id,
            action: action.into(),
            actor: "ana".into(),
            at: "2026-03-14T05:06:07.000000Z".into(),
            host: "desk".into(),
            location: None,
            reason: None,
            details,
            prev_hash: prev,
        };
        let s = seal(e, &self.key).unwrap();
        self.prev = s.hash;
        self.events.push(s);
    }

    fn push(&mut self, subject: Subject, action: &str, details: Value) {
        self.push_after(0, subject, action, details);
    }

    /// Seal the bag: an `exported` head signing `listed`'s digest.
    fn bag(mut self, metadata: Value) -> (BagLog, Vec<Entry>) {
        let listed = vec![Entry { rel: METADATA.into(), sha: Sha256::of_bytes(b"metadata"), size: 8 }];
        let digest = payload_digest(&listed).sha256;
        self.push(Subject::Catalog, "exported", json!({"format": "bag", "payload_manifest_sha256": digest}));
        let head = self.events.last().unwrap().head().to_string();
        let actors = vec![json!({"name": "ana", "public_key": self.key.public_hex(), "key_id": self.key.key_id()})];
        (
            BagLog { metadata: Metadata::parse(&metadata).unwrap(), actors, events: self.events, head, proofs: None },
            listed,
        )
    }
}

fn e(n: i64) -> Subject {
    Subject::Evidence(EvidenceId(n))
}

fn check(log: &BagLog, listed: &[Entry]) -> BagCheck {
    let mut c = BagCheck::default();
    check_log(log, &BTreeMap::new(), listed, None, &mut c);
    c
}

fn evidence_md(rows: &[(i64, Value)]) -> Value {
    let ev: Vec<Value> = rows.iter().map(|(n, r)| json!({"id": format!("E{n}"), "row": r})).collect();
    json!({"evcat_bag": 1, "source_catalog": "src", "evidence": ev})
}

#[test]
fn a_sound_bag_verifies_and_a_partial_one_counts_its_gaps() {
    let mut b = LogBuilder::new();
    b.push(e(1), "registered", json!({"row": {"title": "a"}}));
    b.push_after(3, e(1), "edited", json!({"changes": {"title": {"before": "a", "after": "b"}}}));
    let (log, listed) = b.bag(evidence_md(&[(1, json!({"title": "b"}))]));
    let c = check(&log, &listed);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!((c.records_verified, c.chain_gaps, c.events_verified), (1, 1, 5));
    assert_eq!(c.head.as_deref(), Some(log.head.as_str()));
}

/// The divergence issue 11 names: bag import used to ignore a change to a
/// record its log never created, which audit reports. Both replay the same
/// way now, and the record is named.
#[test]
fn a_change_to_a_record_the_log_never_created_is_rejected_naming_it() {
    let mut b = LogBuilder::new();
    b.push(e(9), "edited", json!({"changes": {"title": {"before": "x", "after": "forged"}}}));
    b.push(e(9), "registered", json!({"row": {"title": "b"}}));
    let (log, listed) = b.bag(evidence_md(&[(9, json!({"title": "b"}))]));
    let c = check(&log, &listed);
    assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
    assert!(c.problems[0].starts_with("E9: event #3 changes E9 which the log never created"), "{:?}", c.problems);
}

#[test]
fn records_that_differ_from_or_lack_their_events_are_named() {
    let mut b = LogBuilder::new();
    b.push(e(1), "registered", json!({"row": {"title": "a", "url": null}}));
    b.push(e(2), "registered", json!({"row": {"title": "c"}}));
    let md = evidence_md(&[(1, json!({"title": "a", "url": "https://forged"})), (3, json!({"title": "z"}))]);
    let (log, listed) = b.bag(md);
    let c = check(&log, &listed);
    let all = c.problems.join("\n");
    assert!(all.contains("E1: its metadata differs from what its custody events say (url)"), "{all}");
    assert!(all.contains("E3: no custody event in the bag creates it"), "{all}");
    assert!(all.contains("E2: the bag's custody events create it but metadata.json lacks it"), "{all}");
    assert_eq!(c.records_verified, 0);
}

#[test]
fn keys_the_log_never_added_and_broken_heads_are_refused() {
    let b = LogBuilder::new();
    let (mut log, listed) = b.bag(evidence_md(&[]));
    let other = Keypair::from_seed([12u8; 32]);
    log.actors.push(json!({"name": "eve", "public_key": other.public_hex(), "key_id": other.key_id()}));
    log.head = "3:00".into();
    let c = check(&log, &listed);
    let all = c.problems.join("\n");
    assert!(all.contains(&format!("key {} is not added by an actor event", other.key_id())), "{all}");
    assert!(all.contains("head.txt says 3:00"), "{all}");
    // A payload other than the one the head signs.
    let other_payload = vec![Entry { rel: METADATA.into(), sha: Sha256::of_bytes(b"else"), size: 4 }];
    let (log, _) = LogBuilder::new().bag(evidence_md(&[]));
    assert!(check(&log, &other_payload).problems.iter().any(|p| p.contains("does not sign this payload")));
}

#[test]
fn an_altered_event_is_named_by_its_seq() {
    let mut b = LogBuilder::new();
    b.push(e(1), "registered", json!({"row": {"title": "a"}}));
    let (mut log, listed) = b.bag(evidence_md(&[(1, json!({"title": "a"}))]));
    log.events[2].event.host = "elsewhere".into();
    let c = check(&log, &listed);
    assert!(c.problems.iter().any(|p| p.contains("event #3 was altered")), "{:?}", c.problems);
    assert_eq!(c.events_verified, 3);
}

/// Give a whole-log bag its tree: the head with its root and inclusion
/// proofs, then keep only the events `keep` selects (a partial export).
fn prove(mut log: BagLog, keep: impl Fn(u64) -> bool) -> BagLog {
    use super::proofs::{BagProofs, EventPath};
    use crate::custody::tree;
    let mut leaves: Vec<[u8; 32]> = log.events.iter().map(|e| tree::leaf_hash(&e.hash)).collect();
    let n = leaves.len() as u64;
    let head = log.events.last().unwrap().head().with_root(tree::root_of(&leaves));
    let kept: Vec<SealedEvent> = log.events.iter().filter(|e| keep(e.seq()) || e.seq() == n).cloned().collect();
    let complete = kept.len() as u64 == n;
    let inclusion = if complete {
        Vec::new()
    } else {
        kept.iter()
            .map(|e| EventPath { seq: e.seq(), path: tree::inclusion_path(&mut leaves[..], e.seq() - 1, n).unwrap() })
            .collect()
    };
    log.events = kept;
    log.head = head.to_string();
    log.proofs = Some(BagProofs { evcat_proofs: 1, head, complete, inclusion, consistency: Vec::new() });
    log
}

fn five_records() -> LogBuilder {
    let mut b = LogBuilder::new();
    for n in 1..=5 {
        b.push(e(n), "registered", json!({"row": {"title": format!("t{n}")}}));
    }
    b
}

#[test]
fn a_partial_bag_proves_each_event_and_states_what_is_withheld() {
    // Events: 1 created, 2 actor, 3..7 E1..E5, 8 exported. Keep E2 and E4.
    let (log, listed) = five_records().bag(evidence_md(&[(2, json!({"title": "t2"})), (4, json!({"title": "t4"}))]));
    let log = prove(log, |s| s <= 2 || s == 4 || s == 6);
    let c = check(&log, &listed);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!((c.events_proven, c.withheld_events, c.chain_gaps), (5, 3, 3));
    assert_eq!(c.withheld, ["#3", "#5", "#7"]);
    assert_eq!(c.head.as_deref(), Some(log.head.as_str()));
    assert_eq!(c.head.as_deref().map(|h| h.split(':').count()), Some(3));

    // The whole log: no paths, the receiver recomputes the root.
    let rows: Vec<(i64, Value)> = (1..=5).map(|n| (n, json!({"title": format!("t{n}")}))).collect();
    let (all, listed) = five_records().bag(evidence_md(&rows));
    let all = prove(all, |_| true);
    let c = check(&all, &listed);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!((c.events_proven, c.withheld_events), (8, 0));
}

#[test]
fn an_event_resealed_by_an_insider_is_not_in_the_heads_tree() {
    let (log, listed) = five_records().bag(evidence_md(&[(2, json!({"title": "t2"}))]));
    let mut log = prove(log, |s| s <= 2 || s == 4);
    // The exporter's own key re-signs a changed E2: its signature verifies,
    // its links are not checked across the gap; only the tree catches it.
    let i = log.events.iter().position(|e| e.seq() == 4).unwrap();
    let mut ev = log.events[i].event.clone();
    ev.details = json!({"row": {"title": "forged"}});
    log.events[i] = seal(ev, &Keypair::from_seed([11u8; 32])).unwrap();
    log.metadata = Metadata::parse(&evidence_md(&[(2, json!({"title": "forged"}))])).unwrap();
    let c = check(&log, &listed);
    assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
    assert!(c.problems[0].starts_with("event #4 is not in the log of the bag's head"), "{:?}", c.problems);
    assert_eq!(c.events_proven, 3);
}

#[test]
fn missing_or_mismatched_proofs_are_named_and_old_bags_keep_todays_checks() {
    let md = evidence_md(&[(2, json!({"title": "t2"}))]);
    let (log, listed) = five_records().bag(md.clone());
    let proven = prove(log.clone(), |s| s <= 2 || s == 4);
    let mut no_path = proven.clone();
    no_path.proofs.as_mut().unwrap().inclusion.retain(|p| p.seq != 4);
    assert!(check(&no_path, &listed).problems.iter().any(|p| p.contains("event #4 has no inclusion proof")));
    let mut other_root = proven.clone();
    other_root.proofs.as_mut().unwrap().head.root = Some([9; 32]);
    assert!(check(&other_root, &listed).problems.iter().any(|p| p.contains("is not the bag's head")));
    let mut dropped = proven.clone();
    dropped.proofs = None;
    assert!(check(&dropped, &listed).problems.iter().any(|p| p.contains("carries no data/custody/proofs.json")));
    // A bag from before the tree: SEQ:HASH head, no proofs.json: valid, with
    // its gaps counted and nothing proven.
    let mut old = proven;
    old.proofs = None;
    old.head = old.events.last().unwrap().head().to_string();
    let c = check(&old, &listed);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!((c.events_proven, c.chain_gaps, c.withheld_events), (0, 2, 4));
}

/// A catalog as the planner sees it, in memory.
#[derive(Default)]
struct FakeLocal {
    exists: Vec<Subject>,
    files: HashMap<Sha256, (Subject, Subject)>,
    claims: HashMap<(ArticleId, Option<i64>, Option<i64>), Subject>,
    links: HashMap<(ClaimId, EvidenceId), Subject>,
}

impl Local for FakeLocal {
    fn exists(&self, s: Subject) -> Result<bool> {
        Ok(self.exists.contains(&s))
    }
    fn article_with_body(&self, body: &str) -> Option<Subject> {
        (body == "known-body").then_some(Subject::Article(ArticleId(7)))
    }
    fn file_with_sha(&self, sha: &Sha256) -> Result<Option<(Subject, Subject)>> {
        Ok(self.files.get(sha).copied())
    }
    fn claim_at(&self, a: ArticleId, s: Option<i64>, e: Option<i64>) -> Option<Subject> {
        self.claims.get(&(a, s, e)).copied()
    }
    fn standalone_claim(&self, text: &str) -> Option<Subject> {
        (text == "known claim").then_some(Subject::Claim(ClaimId(70)))
    }
    fn same_link(&self, c: ClaimId, e: EvidenceId, _row: &crate::custody::Row) -> Result<Option<Subject>> {
        Ok(self.links.get(&(c, e)).copied())
    }
}

fn metadata() -> Metadata {
    let sha_here = Sha256::of_bytes(b"here").to_hex();
    let sha_new = Sha256::of_bytes(b"new").to_hex();
    Metadata::parse(&json!({
        "evcat_bag": 1, "source_catalog": "src",
        "articles": [{"id": "A1", "row": {"body_sha256": "known-body"}}, {"id": "A2", "row": {"body_sha256": "b2"}}],
        "claims": [
            {"id": "C1", "row": {"article_id": 1, "start_byte": 0, "end_byte": 5, "text": "x"}},
            {"id": "C2", "row": {"article_id": 2, "start_byte": 0, "end_byte": 5, "text": "y"}},
            {"id": "C3", "row": {"article_id": null, "text": "known claim"}},
        ],
        "links": [{"id": "L1", "row": {"claim_id": 1, "evidence_id": 1}}, {"id": "L2", "row": {"claim_id": 2, "evidence_id": 2}}],
        "evidence": [{"id": "E1", "row": {}}, {"id": "E2", "row": {}}],
        "files": [
            {"id": "F1", "path": "data/files/F1-a", "row": {"sha256": sha_here, "evidence_id": 1}},
            {"id": "F2", "path": "data/files/F2-b", "row": {"sha256": sha_new, "evidence_id": 2}},
            {"id": "F3", "path": null, "row": {"sha256": Sha256::of_bytes(b"gone").to_hex(), "evidence_id": 2}},
        ],
    }))
    .unwrap()
}

#[test]
fn the_plan_matches_by_content_and_keeps_only_what_is_new() {
    let md = metadata();
    let mut local = FakeLocal::default();
    local.files.insert(Sha256::of_bytes(b"here"), (Subject::File(FileId(40)), e(41)));
    local.claims.insert((ArticleId(7), Some(0), Some(5)), Subject::Claim(ClaimId(71)));
    local.links.insert((ClaimId(71), EvidenceId(41)), Subject::Link(LinkId(72)));
    let p = plan(&md, BTreeMap::new(), false, &local).unwrap();
    let ids = |v: &[&BagRecord]| v.iter().map(|r| r.id.to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&p.articles), ["A2"]);
    assert_eq!(ids(&p.files), ["F2"]);
    assert_eq!(ids(&p.evidence), ["E2"], "E1 is matched through the bytes of F1");
    assert_eq!(ids(&p.claims), ["C2"]);
    assert_eq!(ids(&p.links), ["L2"]);
    assert_eq!(p.skipped, ["F3: its bytes are not in the bag"]);
    assert_eq!(p.map.get(&Subject::Link(LinkId(1))), Some(&Subject::Link(LinkId(72))));
    assert_eq!(p.map.get(&Subject::Claim(ClaimId(3))), Some(&Subject::Claim(ClaimId(70))));
    assert_eq!(p.existing, Counts { articles: 1, claims: 2, links: 1, evidence: 1, files: 1 });
}

#[test]
fn earlier_imports_and_the_source_catalog_itself_map_records() {
    let md = metadata();
    let local = FakeLocal { exists: md.records().map(|r| r.id).collect(), ..Default::default() };
    let p = plan(&md, BTreeMap::new(), true, &local).unwrap();
    assert!(p.is_empty_for_test(), "a bag re-imported into its own catalog adds nothing");
    assert_eq!(p.map.get(&e(2)), Some(&e(2)));
    let prior: BTreeMap<Subject, Subject> = md.records().map(|r| (r.id, r.id)).collect();
    let p = plan(&md, prior, false, &FakeLocal::default()).unwrap();
    assert!(p.is_empty_for_test());
}

/// A catalog with evidence E1, file F1 and F2 derived from it; returns the
/// bag records of the three, files listed child first.
fn source_records(dir: &std::path::Path) -> Metadata {
    use crate::ingest::{AddOptions, NoProgress};
    let mut cat = crate::Catalog::init(&dir.join("src"), "ana", None).unwrap();
    for (name, bytes) in [("a.bin", &b"parent"[..]), ("b.bin", &b"child"[..])] {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let opts = AddOptions::default();
    cat.add_paths(&[dir.join("a.bin")], &opts, &NoProgress).unwrap();
    let opts = AddOptions { evidence: Some(EvidenceId(1)), ..Default::default() };
    cat.add_paths(&[dir.join("b.bin")], &opts, &NoProgress).unwrap();
    cat.set_derivation(FileId(2), FileId(1), "transcode", None).unwrap();
    let rec = |s: Subject, path: Option<&str>| {
        let (k, id) = (s.kind().unwrap(), s.id().unwrap());
        BagRecord {
            id: s,
            row: crate::catalog::snapshot::row_of(cat.conn(), k, id).unwrap().unwrap(),
            path: path.map(Into::into),
        }
    };
    Metadata {
        source_catalog: Some("src".into()),
        evidence: vec![rec(e(1), None)],
        files: vec![
            rec(Subject::File(FileId(2)), Some("data/files/F2-b.bin")),
            rec(Subject::File(FileId(1)), Some("data/files/F1-a.bin")),
        ],
        ..Default::default()
    }
}

#[test]
fn apply_inserts_parents_first_renumbers_and_logs_every_record() {
    let tmp = tempfile::tempdir().unwrap();
    let md = source_records(tmp.path());
    let mut dest = crate::Catalog::init(&tmp.path().join("dest"), "bo", None).unwrap();
    // Occupy E1 and F1 so that the import must renumber.
    std::fs::write(tmp.path().join("other.bin"), b"other").unwrap();
    dest.add_paths(&[tmp.path().join("other.bin")], &Default::default(), &crate::ingest::NoProgress).unwrap();
    let p = plan(&md, BTreeMap::new(), false, &FakeLocal::default()).unwrap();
    let origin = super::import::Origin { source: "src", head: "9:ab", bag: Some("urn:x") };
    let (created, map, _seq) = dest.write(|w| super::import::apply(w, &md, &p, &origin)).unwrap();
    assert_eq!((created.evidence, created.files), (1, 2));
    let f1 = map[&Subject::File(FileId(1))];
    let f2 = map[&Subject::File(FileId(2))];
    assert_eq!((map[&e(1)], f1, f2), (e(2), Subject::File(FileId(2)), Subject::File(FileId(3))), "parents first");
    assert_eq!(dest.file(FileId(3)).unwrap().derived_from, Some(FileId(2)));
    let audit =
        dest.audit(&crate::audit::AuditOptions { objects: false, record_result: false, ..Default::default() }).unwrap();
    assert!(audit.clean, "{:#?}", audit.problems);
}

#[test]
fn staging_refuses_bytes_that_do_not_match_their_row_and_keeps_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let md = source_records(tmp.path());
    let root = tmp.path().join("bag");
    std::fs::create_dir_all(root.join("data/files")).unwrap();
    std::fs::write(root.join("data/files/F1-a.bin"), b"parent").unwrap();
    std::fs::write(root.join("data/files/F2-b.bin"), b"tampered").unwrap();
    let dest = crate::Catalog::init(&tmp.path().join("dest"), "bo", None).unwrap();
    let p = plan(&md, BTreeMap::new(), false, &FakeLocal::default()).unwrap();
    let bag = super::verify::Verified {
        root,
        log: BagLog { metadata: md.clone(), actors: Vec::new(), events: Vec::new(), head: String::new(), proofs: None },
    };
    let err = dest.stage_bag_bytes(&bag, &p).unwrap_err().to_string();
    assert!(err.contains("F2") && err.contains("changed while importing"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dest.root().join("objects/tmp")).unwrap().collect();
    assert!(left.is_empty(), "staged files left behind: {left:?}");
}
