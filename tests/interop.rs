//! Interop: BagIt bags checked by the Library of Congress validator (bagit.py)
//! and re-imported, PROV-JSON loaded by the `prov` package, ClaimReview, CSV
//! both ways, and the HTML report rendered by headless Chromium.
//!
//! External tools come from `bash .ci/install-test-deps`: a Python venv at
//! `target/interop-venv` (or `$EVCAT_TEST_VENV`) with `bagit` and `prov`, and
//! Debian's `chromium`. A missing tool fails the test loudly.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{media, registered, s, sha256sum, Cat};
use serde_json::Value;

const ARTICLE: &str = "Officers at the harbour gate, a report written for these tests.

A clip posted on TikTok shows two officers lifting a steel barrier.

A photo shared on Instagram shows an officer posing for a selfie.

The council did not comment.
";

fn venv_python() -> PathBuf {
    let venv = std::env::var_os("EVCAT_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/interop-venv"));
    let py = venv.join("bin/python");
    assert!(
        py.is_file(),
        "{} is missing: the interop tests need a Python venv with the PyPI packages bagit and prov; run `bash .ci/install-test-deps`",
        py.display()
    );
    py
}

fn python(code: &str, args: &[&str]) -> Output {
    Command::new(venv_python()).arg("-c").arg(code).args(args).output().expect("run the venv's python")
}

/// `bagit.py --validate DIR` from the venv: (success, stderr).
fn bagit_validate(dir: &Path) -> (bool, String) {
    let out = python("import sys, bagit; sys.argv[0] = 'bagit.py'; bagit.main()", &["--validate", s(dir)]);
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn chromium() -> &'static str {
    let ok = Command::new("chromium").arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
    assert!(
        ok,
        "chromium is not installed: the report test renders in headless Chromium; run `bash .ci/install-test-deps`"
    );
    "chromium"
}

/// A catalog with an article, two claims linked to a photo and a clip, and an audit.
fn newsroom() -> Cat {
    let c = Cat::new();
    let jpg = c.write("selfie.jpg", &media::jpeg_bytes(320, 200, 7));
    let clip = c.write("barrier clip.bin", &media::random_bytes(30_000, 3));
    c.json(&[
        "add",
        s(&clip),
        "--platform",
        "tiktok",
        "--url",
        "https://www.tiktok.com/@harbour/video/1",
        "--author",
        "@harbour",
        "--acquired-by",
        "ana",
        "--method",
        "download",
        "--tool",
        "yt-dlp",
    ]);
    c.json(&["add", s(&jpg), "--platform", "instagram", "--url", "https://instagram.com/p/abc"]);
    c.ok(&["evidence", "edit", "E2", "--title", "Selfie <script>alert(1)</script> at the gate"]);
    let art = c.write("story.txt", ARTICLE.as_bytes());
    c.json(&["article", "add", s(&art), "--publisher", "Harbour City Ledger", "--title", "Harbour gate"]);
    c.json(&["claim", "add", "--article", "A1", "--quote", "shows two officers lifting a steel barrier"]);
    let claims = c.json(&["claims"]);
    let find = |needle: &str| -> String {
        claims
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["text"].as_str().unwrap().contains(needle) && x["status"] == "asserted")
            .or_else(|| claims.as_array().unwrap().iter().find(|x| x["text"].as_str().unwrap().contains(needle)))
            .unwrap_or_else(|| panic!("no claim with {needle:?}: {claims:#}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let barrier = find("steel barrier");
    let selfie = find("selfie");
    c.ok(&["link", &barrier, "E1", "--relation", "depicts"]);
    c.ok(&["link", &selfie, "E2", "--relation", "depicts"]);
    c.ok(&["claim", "confirm", &selfie]);
    assert_eq!(c.json(&["audit"])["clean"], true);
    c
}

fn shas(c: &Cat) -> Vec<String> {
    let mut v: Vec<String> = c
        .json(&["list", "files"])
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["sha256"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn head(c: &Cat) -> String {
    c.json(&["log", "--head"])["head"].as_str().unwrap().to_string()
}

#[test]
fn bag_validates_with_bagit_py_and_round_trips_into_a_fresh_catalog() {
    let c = newsroom();
    let bag = c.tmp.path().join("bag-all");
    let r = c.json(&["export", "bag", s(&bag), "--all", "--organization", "Harbour City Ledger"]);
    assert_eq!(r["counts"]["files"], 2, "{r:#}");
    assert_eq!(r["files_with_bytes"], 2);
    let (ok, err) = bagit_validate(&bag);
    assert!(ok, "bagit.py rejected our bag:\n{err}");
    assert!(err.contains("is valid"), "{err}");

    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    for field in
        ["Bagging-Date: ", "Payload-Oxum: ", "Source-Organization: Harbour City Ledger", "External-Identifier: "]
    {
        assert!(info.contains(field), "bag-info.txt lacks {field}: {info}");
    }
    assert!(bag.join("README.txt").is_file());
    let names: Vec<String> = std::fs::read_dir(bag.join("data/files"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"F1-barrier_clip.bin".to_string()), "{names:?}");
    assert!(names.contains(&"F2-selfie.jpg".to_string()), "{names:?}");
    // The exported bytes are the registered bytes.
    for f in c.json(&["list", "files"]).as_array().unwrap() {
        let name = format!("{}-{}", f["id"].as_str().unwrap(), f["original_name"].as_str().unwrap().replace(' ', "_"));
        assert_eq!(sha256sum(&bag.join("data/files").join(name)), f["sha256"].as_str().unwrap());
    }
    // Exporting is a custody event, and it is the bag's head.
    let log = c.json(&["log"]);
    let last = log.as_array().unwrap().last().unwrap();
    assert_eq!(last["action"], "exported");
    let bag_head = r["head"].as_str().unwrap();
    assert!(bag_head.starts_with(&format!("{}:{}:", last["seq"], last["hash"].as_str().unwrap())), "{bag_head}");
    assert_eq!(bag_head, head(&c), "SEQ:CHAIN_HASH:TREE_ROOT of the source log at the exported event");

    // An --all bag holds the whole chain: the independent verifier accepts it.
    let v = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/verify_chain.py"))
        .arg(bag.join("data/custody/custody.sqlite"))
        .output()
        .expect("python3 runs tools/verify_chain.py");
    let vout = String::from_utf8_lossy(&v.stdout);
    assert!(v.status.success(), "verify_chain.py on the bag: {vout}");
    assert!(vout.contains(r["head"].as_str().unwrap()), "{vout}");

    // Import into a fresh catalog: same hashes, audit clean.
    let d = Cat::new();
    let imp = d.json(&["import", "bag", s(&bag)]);
    assert_eq!(imp["check"]["valid"], true, "{imp:#}");
    assert_eq!(imp["created"]["files"], 2, "{imp:#}");
    assert_eq!(imp["created"]["claims"], c.json(&["claims"]).as_array().unwrap().len(), "{imp:#}");
    assert_eq!(shas(&d), shas(&c));
    let audit = d.json(&["audit"]);
    assert_eq!(audit["clean"], true, "{audit:#}");
    let e2 = d.json(&["show", imp["mapping"]["E2"].as_str().unwrap()]);
    assert_eq!(e2["evidence"]["title"], "Selfie <script>alert(1)</script> at the gate");
    assert_eq!(e2["evidence"]["sources"]["title"], "user", "original provenance sources are kept");
    let imported = d.json(&["log"]);
    let ev = imported.as_array().unwrap().iter().rev().find(|e| e["action"] == "imported").unwrap();
    assert_eq!(ev["details"]["head"], r["head"], "the import records the bag's head");

    // The same bag again changes nothing.
    let before = head(&d);
    let again = d.json(&["import", "bag", s(&bag)]);
    assert_eq!(again["already_imported"], true, "{again:#}");
    assert_eq!(head(&d), before);
    assert_eq!(shas(&d), shas(&c));
}

#[test]
fn partial_bag_verifies_its_subset_of_the_chain() {
    let c = newsroom();
    let bag = c.tmp.path().join("bag-e2");
    let r = c.json(&["export", "bag", s(&bag), "--evidence", "E2"]);
    assert_eq!(r["counts"]["files"], 1, "{r:#}");
    assert!(bagit_validate(&bag).0);
    let v = c.json(&["import", "bag", "--verify-only", s(&bag)]);
    assert_eq!(v["valid"], true, "{v:#}");
    assert!(v["chain_gaps"].as_u64().unwrap() > 0, "events of other records are left out: {v:#}");
    assert_eq!(v["head"], r["head"]);
    // ... and each event it holds is proven in the tree of the head, so what
    // is left out is a statement of what is withheld.
    assert_eq!(v["events_proven"], v["events_verified"], "{v:#}");
    let withheld = v["withheld_events"].as_u64().unwrap();
    assert_eq!(withheld + v["events_verified"].as_u64().unwrap(), r["event"].as_u64().unwrap(), "{v:#}");
    assert!(!v["withheld"].as_array().unwrap().is_empty());
    // The independent verifier checks the same proofs (and reports the gaps).
    let py = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/verify_chain.py"))
        .arg(bag.join("data/custody/custody.sqlite"))
        .output()
        .expect("python3 runs tools/verify_chain.py");
    let pyout = String::from_utf8_lossy(&py.stdout);
    assert!(
        pyout.contains(&format!("events proven in the tree of head #{}; {withheld} events withheld", r["event"])),
        "{pyout}"
    );
    assert!(!pyout.contains("not in the tree"), "{pyout}");
    // The source proves the bag's head is still its own.
    assert_eq!(c.json(&["audit", "--no-record", "--head", r["head"].as_str().unwrap()])["clean"], true);

    let d = Cat::new();
    let imp = d.json(&["import", "bag", s(&bag)]);
    assert_eq!(imp["created"]["files"], 1, "{imp:#}");
    assert_eq!(d.json(&["audit"])["clean"], true);
    // A later, larger bag from the same catalog merges without duplicates.
    let all = c.tmp.path().join("bag-all");
    c.json(&["export", "bag", s(&all), "--all"]);
    let imp2 = d.json(&["import", "bag", s(&all)]);
    assert_eq!(imp2["created"]["files"], 1, "only the clip is new: {imp2:#}");
    assert_eq!(imp2["existing"]["files"], 1, "{imp2:#}");
    assert_eq!(shas(&d), shas(&c));
    assert_eq!(d.json(&["audit"])["clean"], true);
}

#[test]
fn altered_payload_byte_is_rejected_by_bagit_py_and_by_import() {
    let c = newsroom();
    let bag = c.tmp.path().join("bag");
    c.json(&["export", "bag", s(&bag), "--article", "A1"]);
    let p = bag.join("data/files/F2-selfie.jpg");
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[50] ^= 0x01;
    std::fs::write(&p, bytes).unwrap();
    let (ok, err) = bagit_validate(&bag);
    assert!(!ok, "bagit.py accepted a bag with a flipped byte: {err}");

    let d = Cat::new();
    let (out, _) = d.fails(&["import", "bag", s(&bag)], 1);
    assert!(out.contains("data/files/F2-selfie.jpg") && out.contains("mismatch"), "{out}");
    assert!(out.contains("REJECTED"), "{out}");
    assert!(d.json(&["list", "files"]).as_array().unwrap().is_empty(), "nothing is imported from a bad bag");
}

/// Rewrite a bag's manifests after changing files, as a forger would.
fn reseal_manifests(bag: &Path) {
    let mut manifest = String::new();
    let mut total = 0u64;
    let mut count = 0u64;
    let mut files: Vec<PathBuf> = walk(&bag.join("data")).into_iter().filter(|p| p.is_file()).collect::<Vec<_>>();
    files.sort();
    for f in files {
        let rel = f.strip_prefix(bag).unwrap().to_str().unwrap().to_string();
        manifest.push_str(&format!("{}  {rel}\n", sha256sum(&f)));
        total += std::fs::metadata(&f).unwrap().len();
        count += 1;
    }
    std::fs::write(bag.join("manifest-sha256.txt"), manifest).unwrap();
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    let info: String =
        info.lines()
            .map(|l| {
                if l.starts_with("Payload-Oxum:") {
                    format!("Payload-Oxum: {total}.{count}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
    std::fs::write(bag.join("bag-info.txt"), info).unwrap();
    let mut tags = String::new();
    for t in ["README.txt", "bag-info.txt", "bagit.txt", "manifest-sha256.txt"] {
        tags.push_str(&format!("{}  {t}\n", sha256sum(&bag.join(t))));
    }
    std::fs::write(bag.join("tagmanifest-sha256.txt"), tags).unwrap();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Bags written before the Merkle tree (no proofs.json, a SEQ:HASH head)
/// still import, with today's checks.
#[test]
fn a_bag_from_before_the_tree_still_imports() {
    let c = newsroom();
    let bag = c.tmp.path().join("old-bag");
    let r = c.json(&["export", "bag", s(&bag), "--evidence", "E2"]);
    let full = r["head"].as_str().unwrap();
    let old = full.rsplit_once(':').unwrap().0;
    std::fs::remove_file(bag.join("data/custody/proofs.json")).unwrap();
    std::fs::write(bag.join("data/custody/head.txt"), format!("{old}\n")).unwrap();
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    std::fs::write(bag.join("bag-info.txt"), info.replace(full, old)).unwrap();
    reseal_manifests(&bag);
    assert!(bagit_validate(&bag).0);
    let d = Cat::new();
    let imp = d.json(&["import", "bag", s(&bag)]);
    assert_eq!(imp["check"]["valid"], true, "{imp:#}");
    assert_eq!(imp["check"]["head"], old);
    assert_eq!(imp["check"]["events_proven"], 0);
    assert!(imp["check"]["chain_gaps"].as_u64().unwrap() > 0);
    assert_eq!(imp["created"]["files"], 1, "{imp:#}");
    // A proofs.json taken away from a new bag is noticed: head.txt still names a root.
    let bag2 = c.tmp.path().join("stripped");
    c.json(&["export", "bag", s(&bag2), "--evidence", "E2"]);
    std::fs::remove_file(bag2.join("data/custody/proofs.json")).unwrap();
    reseal_manifests(&bag2);
    let (out, _) = d.fails(&["import", "bag", s(&bag2)], 1);
    assert!(out.contains("carries no data/custody/proofs.json"), "{out}");
}

#[test]
fn forged_metadata_with_resealed_manifests_passes_bagit_but_not_evcat() {
    let c = newsroom();
    let bag = c.tmp.path().join("bag");
    c.json(&["export", "bag", s(&bag), "--all"]);
    let md = bag.join("data/metadata.json");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("https://instagram.com/p/abc"));
    std::fs::write(&md, text.replace("https://instagram.com/p/abc", "https://instagram.com/p/xyz")).unwrap();
    reseal_manifests(&bag);
    let (ok, err) = bagit_validate(&bag);
    assert!(ok, "the forger's bag is a valid BagIt bag: {err}");
    let d = Cat::new();
    let (out, _) = d.fails(&["import", "bag", s(&bag)], 1);
    assert!(out.contains("does not sign this payload"), "{out}");
    assert!(out.contains("differs from what its custody events say"), "{out}");
}

#[test]
fn path_traversal_and_escaping_symlinks_are_refused() {
    let c = newsroom();
    let outside = c.tmp.path().join("outside.txt");
    std::fs::write(&outside, b"secret").unwrap();

    let bag = c.tmp.path().join("bag-dotdot");
    c.json(&["export", "bag", s(&bag), "--claim", "C1"]);
    let mut m = std::fs::read_to_string(bag.join("manifest-sha256.txt")).unwrap();
    m.push_str(&format!("{}  data/../../outside.txt\n", sha256sum(&outside)));
    std::fs::write(bag.join("manifest-sha256.txt"), m).unwrap();
    let d = Cat::new();
    let (out, _) = d.fails(&["import", "bag", s(&bag)], 1);
    assert!(out.contains("unsafe path") && out.contains(".."), "{out}");

    let bag2 = c.tmp.path().join("bag-abs");
    c.json(&["export", "bag", s(&bag2), "--claim", "C1"]);
    let mut m = std::fs::read_to_string(bag2.join("manifest-sha256.txt")).unwrap();
    m.push_str(&format!("{}  {}\n", sha256sum(&outside), outside.display()));
    std::fs::write(bag2.join("manifest-sha256.txt"), m).unwrap();
    let (out, _) = d.fails(&["import", "bag", s(&bag2)], 1);
    assert!(out.contains("absolute path"), "{out}");

    let bag3 = c.tmp.path().join("bag-link");
    c.json(&["export", "bag", s(&bag3), "--claim", "C1"]);
    std::os::unix::fs::symlink(&outside, bag3.join("data/files/F9-evil.txt")).unwrap();
    reseal_manifests(&bag3);
    let (out, _) = d.fails(&["import", "bag", s(&bag3)], 1);
    assert!(out.contains("leaves the bag"), "{out}");
    assert!(d.json(&["list", "evidence"]).as_array().unwrap().is_empty());
}

#[test]
fn exports_refuse_to_overwrite_without_force() {
    let c = newsroom();
    let out = c.tmp.path().join("prov.json");
    c.json(&["export", "prov", s(&out)]);
    let before = std::fs::read(&out).unwrap();
    let (_, err) = c.fails(&["export", "prov", s(&out)], 2);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), before);
    let r = c.json(&["export", "prov", s(&out), "--force"]);
    assert_eq!(r["format"], "prov");
    assert_eq!(r["sha256"], sha256sum(&out));

    let bag = c.tmp.path().join("bag");
    c.json(&["export", "bag", s(&bag), "--all"]);
    c.fails(&["export", "bag", s(&bag), "--all"], 2);
    c.json(&["export", "bag", s(&bag), "--all", "--force"]);
    assert!(bagit_validate(&bag).0);
    // --force never deletes a directory that is not a bag.
    let notbag = c.tmp.path().join("work");
    let (_, err) = c.fails(&["export", "bag", s(&notbag), "--all", "--force"], 2);
    assert!(err.contains("not a bag"), "{err}");
    assert!(c.work("selfie.jpg").is_file());
    // Every export is in the log.
    let exported = c.json(&["log"]).as_array().unwrap().iter().filter(|e| e["action"] == "exported").count();
    assert_eq!(exported, 4);
    assert_eq!(c.json(&["audit"])["clean"], true);
}

#[test]
fn prov_json_loads_in_the_prov_package() {
    let c = newsroom();
    let out = c.tmp.path().join("prov.json");
    let r = c.json(&["export", "prov", s(&out)]);
    assert_eq!(r["counts"]["files"], 2);
    let code = r#"
import json, sys, prov
doc = prov.read(sys.argv[1], format='json')
records = doc.get_records()
def ids(cls):
    return sorted(r.identifier.localpart for r in records if isinstance(r, cls))
from prov.model import ProvEntity, ProvActivity, ProvAgent, ProvDerivation, ProvAttribution, ProvGeneration
def rel(cls):
    return sorted([str(v.localpart) for k, v in r.formal_attributes if v is not None and hasattr(v, 'localpart')]
                  for r in records if isinstance(r, cls))
print(json.dumps({
  "entities": ids(ProvEntity), "activities": ids(ProvActivity), "agents": ids(ProvAgent),
  "derived": rel(ProvDerivation), "attributed": rel(ProvAttribution), "generated": rel(ProvGeneration),
}))
"#;
    let o = python(code, &[s(&out)]);
    assert!(o.status.success(), "prov could not load our PROV-JSON: {}", String::from_utf8_lossy(&o.stderr));
    let g: Value = serde_json::from_slice(&o.stdout).unwrap();
    let has = |k: &str, v: &str| g[k].as_array().unwrap().iter().any(|x| x == v);
    for e in ["F1", "F2", "E1", "E2", "A1", "C1"] {
        assert!(has("entities", e), "entity {e} missing: {g:#}");
    }
    assert!(has("activities", "acquisition-F1"), "{g:#}");
    assert!(has("agents", "person-ana"), "{g:#}");
    assert!(has("agents", "actor-tester"), "{g:#}");
    let rel_has = |k: &str, a: &str, b: &str| {
        g[k].as_array().unwrap().iter().any(|r| {
            let r: Vec<&str> = r.as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
            r.first() == Some(&a) && r.get(1) == Some(&b)
        })
    };
    assert!(rel_has("derived", "F1", "E1"), "F1 wasDerivedFrom E1: {g:#}");
    assert!(rel_has("generated", "F1", "acquisition-F1"), "{g:#}");
    assert!(rel_has("attributed", "E1", "author-tiktok-_harbour"), "{g:#}");
    assert!(rel_has("attributed", "F1", "person-ana"), "{g:#}");
}

#[test]
fn claimreview_lists_claims_with_their_evidence() {
    let c = newsroom();
    let out = c.tmp.path().join("claims.jsonld");
    c.json(&["export", "claimreview", s(&out), "--article", "A1"]);
    let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc["@context"], "https://schema.org");
    let graph = doc["@graph"].as_array().unwrap();
    let barrier = graph
        .iter()
        .find(|r| r["claimReviewed"] == "shows two officers lifting a steel barrier")
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(barrier["@type"], "ClaimReview");
    assert_eq!(barrier["itemReviewed"]["appearance"]["headline"], "Harbour gate");
    assert_eq!(barrier["author"]["name"], "Harbour City Ledger");
    let ev = &barrier["isBasedOn"][0];
    assert_eq!(ev["identifier"], "E1");
    assert_eq!(ev["url"], "https://www.tiktok.com/@harbour/video/1");
    assert_eq!(ev["associatedMedia"][0]["sha256"], shas_of(&c, "F1"));
}

fn shas_of(c: &Cat, f: &str) -> String {
    c.json(&["show", f])["file"]["sha256"].as_str().unwrap().to_string()
}

#[test]
fn csv_export_has_one_row_per_record() {
    let c = newsroom();
    let out = c.tmp.path().join("files.csv");
    c.json(&["export", "csv", s(&out), "--what", "files"]);
    let mut rdr = csv::Reader::from_path(&out).unwrap();
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    let sha_col = headers.iter().position(|h| h == "sha256").unwrap();
    let ev_col = headers.iter().position(|h| h == "evidence_id").unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][0], "F1");
    assert_eq!(&rows[0][ev_col], "E1");
    assert_eq!(rows[0][sha_col].to_string(), shas_of(&c, "F1"));
    for what in ["evidence", "claims", "links"] {
        let p = c.tmp.path().join(format!("{what}.csv"));
        c.json(&["export", "csv", s(&p), "--what", what]);
        assert!(csv::Reader::from_path(&p).unwrap().records().count() >= 2, "{what}");
    }
}

#[test]
fn csv_import_is_all_or_nothing_and_names_row_and_column() {
    let c = Cat::new();
    let good = c.write(
        "sheet.csv",
        "URL,Platform,Title,Author,Posted At,Notes\n\
         https://www.tiktok.com/@a/video/1,TikTok,Barrier clip,@a,2026-03-14T13:52:00Z,seen by the desk\n\
         https://x.com/b/status/2,twitter,\"Crowd, at the gate\",@b,2026-03-14,\n\
         ,,,,,\n"
            .as_bytes(),
    );
    let r = c.json(&["import", "csv", s(&good)]);
    assert_eq!(r["created"], 2, "{r:#}");
    let ev = c.json(&["list", "evidence", "--status", "referenced"]);
    let ev = ev.as_array().unwrap();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0]["kind"], "video");
    assert_eq!(ev[0]["sources"]["source_url"], "import");
    assert_eq!(ev[1]["title"], "Crowd, at the gate");
    assert_eq!(ev[1]["platform"], "x");
    assert_eq!(ev[1]["posted_at"], "2026-03-14");
    // Importing it again creates nothing.
    let again = c.json(&["import", "csv", s(&good)]);
    assert_eq!(again["created"], 0);
    assert_eq!(again["existing"], 2);

    let before = head(&c);
    let bad = c.write(
        "bad.csv",
        "url,title,platform,posted_at\n\
         https://example.org/1,one,web,2026-01-01\n\
         https://example.org/2,two,web,yesterday-ish\n"
            .as_bytes(),
    );
    let (_, err) = c.fails(&["import", "csv", s(&bad)], 2);
    assert!(err.contains("row 3") && err.contains("column posted_at (D)"), "{err}");
    assert!(err.contains("yesterday-ish"), "{err}");
    assert_eq!(head(&c), before, "nothing is half-imported");
    assert_eq!(c.json(&["list", "evidence"]).as_array().unwrap().len(), 2);

    let bad_platform = c.write("p.csv", "url,platform\nhttps://example.org/3,myspace\n".as_bytes());
    let (_, err) = c.fails(&["import", "csv", s(&bad_platform)], 2);
    assert!(err.contains("row 2") && err.contains("column platform (B)"), "{err}");
    let bad_header = c.write("h.csv", "url,colour\nhttps://example.org/4,red\n".as_bytes());
    let (_, err) = c.fails(&["import", "csv", s(&bad_header)], 2);
    assert!(err.contains("row 1") && err.contains("column colour (B)"), "{err}");
    assert_eq!(c.json(&["audit"])["clean"], true);
}

#[test]
fn html_report_is_self_contained_and_renders_in_chromium() {
    let c = newsroom();
    let out = c.tmp.path().join("report.html");
    let r = c.json(&["export", "report", s(&out), "--article", "A1"]);
    assert!(r["warnings"].as_array().unwrap().is_empty(), "{r:#}");
    let html = std::fs::read_to_string(&out).unwrap();
    // No external requests: no remote src/href on loaded resources, no scripts.
    for bad in ["src=\"http", "src='http", "url(", "<link", "<script", "@import"] {
        assert!(!html.contains(bad), "report contains {bad:?}");
    }
    assert!(html.contains("src=\"data:image/jpeg;base64,"), "the photo is inlined as a thumbnail");
    assert!(html.contains("Selfie &lt;script&gt;alert(1)&lt;/script&gt; at the gate"), "text is escaped");

    let browser = chromium();
    let profile = c.tmp.path().join("chromium-profile");
    let shot = c.tmp.path().join("report.png");
    let url = format!("file://{}", out.display());
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ];
    let run = |extra: &[String]| -> Output {
        Command::new(browser)
            .args(flags)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(&url)
            .output()
            .expect("run chromium")
    };
    let o = run(&[format!("--screenshot={}", shot.display()), "--window-size=1200,1600".into()]);
    assert!(o.status.success(), "chromium --screenshot failed: {}", String::from_utf8_lossy(&o.stderr));
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "screenshot is a real PNG");

    let o = run(&["--dump-dom".into()]);
    assert!(o.status.success(), "chromium --dump-dom failed: {}", String::from_utf8_lossy(&o.stderr));
    let dom = String::from_utf8_lossy(&o.stdout);
    let claims = c.json(&["claims", "--article", "A1"]);
    for cl in claims.as_array().unwrap() {
        let id = cl["id"].as_str().unwrap();
        assert!(dom.contains(&format!("id=\"claimbox-{id}\"")), "claim {id} missing from the DOM");
    }
    assert!(dom.contains("<mark class=\"claim status-asserted\" id=\"claim-C"), "claims highlighted in the article");
    assert!(dom.contains("shows two officers lifting a steel barrier"));
    assert!(dom.contains("data-evidence=\"E1\"") && dom.contains("data-evidence=\"E2\""), "evidence shown");
    assert!(dom.contains("https://www.tiktok.com/@harbour/video/1"));
    assert!(dom.contains("id=\"provenance\"") && dom.contains("id=\"custody\""));
    assert!(dom.contains("clean</span> audit"), "last audit result shown");
    assert!(!dom.contains("<script>alert(1)"), "catalog text never becomes markup");
    assert!(dom.contains(&shas_of(&c, "F1")));
}

#[test]
fn exported_files_registered_from_folders_keep_distinct_names() {
    // Two files with the same original name get distinct, readable bag names.
    let c = Cat::new();
    let a = c.write("a/clip.bin", &media::random_bytes(1000, 1));
    let b = c.write("b/clip.bin", &media::random_bytes(1000, 2));
    let r = c.json(&["add", s(&a), s(&b)]);
    assert_eq!(registered(&r).len(), 2);
    let bag = c.tmp.path().join("bag");
    c.json(&["export", "bag", s(&bag), "--all"]);
    assert!(bag.join("data/files/F1-clip.bin").is_file());
    assert!(bag.join("data/files/F2-clip.bin").is_file());
    assert!(bagit_validate(&bag).0);
}

/// Videos are shown by the poster frame media analysis stored (audited like
/// any object), not a placeholder.
#[test]
fn report_inlines_the_stored_poster_frame_of_a_video() {
    let c = Cat::new();
    let clip = media::make_mp4(&c.work(""), "clip.mp4", 2, 160, 120, None);
    c.json(&["add", s(&clip)]);
    let claim = c.json(&["claim", "add", "--text", "The clip shows the gate being opened."]);
    let id = claim["claim"]["id"].as_str().unwrap().to_string();
    c.ok(&["link", &id, "E1", "--relation", "depicts"]);
    let out = c.tmp.path().join("video-report.html");
    c.json(&["export", "report", s(&out), "--all"]);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("alt=\"thumbnail of F1\" src=\"data:image/jpeg;base64,"), "poster frame inlined");
}
