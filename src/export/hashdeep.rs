//! hashdeep / md5deep known lists (hashdeep 4.x "HASHDEEP-1.0" format): the
//! list archivists and forensic examiners hand over with a copy of evidence.
//!
//! ```text
//! %%%% HASHDEEP-1.0
//! %%%% size,md5,sha256,filename
//! ## Invoked from: /cases/17
//! ## $ hashdeep -c md5,sha256 -r -l .
//! ##
//! 5,d41d8cd98f00b204e9800998ecf8427e,e3b0...,./a/b.txt
//! ```
//!
//! - [`parse_list`]: a list made by hashdeep (or by evcat), bounded, every bad
//!   line named; the filename is the rest of the line, commas included.
//! - [`Catalog::export_hashdeep`]: the catalog's files (a scope) as a list
//!   `hashdeep -a -k LIST` audits a copy against.
//! - [`Catalog::audit_against`]: `evcat audit --against LIST DIR`, hashdeep's
//!   audit mode (`-a -v`) with a catalog beside it: each file of DIR matched,
//!   moved, changed or new; each known entry found or missing; and whether the
//!   catalog holds those bytes.
//! - [`Catalog::import_hashdeep`]: attach a list made elsewhere to the files
//!   it names, each hash checked against the stored bytes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use super::digests::{digest_file, Algorithm};
use super::{write_recorded, Described, FileExport, Scope, Selection};
use crate::catalog::files::{FileFilter, FileRecord, Storage};
use crate::catalog::Catalog;
use crate::custody::Action;
use crate::error::{Error, Result};
use crate::hash::Sha256;
use crate::ids::{FileId, Subject};

/// Lists larger than this are refused (a list of ten million files is ~1.2 GB;
/// a case list is far smaller).
const MAX_LIST_BYTES: u64 = 512 << 20;

/// One line of a known list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownEntry {
    /// Line number in the list (1-based).
    pub line: usize,
    pub size: u64,
    /// The list's digests that evcat can check, lowercase hex.
    pub hashes: BTreeMap<Algorithm, String>,
    pub filename: String,
}

/// A parsed known list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownList {
    pub path: PathBuf,
    /// The list's hash columns evcat checks (md5, sha1, sha256).
    pub algorithms: Vec<Algorithm>,
    /// Columns evcat cannot check (tiger, whirlpool), by name.
    pub unchecked: Vec<String>,
    pub entries: Vec<KnownEntry>,
    /// SHA-256 of the list's bytes: what a custody event names it by.
    pub sha256: String,
}

/// Parse a hashdeep known list. Every problem is an error naming the file
/// and line; nothing is half-read.
pub fn parse_list(path: &Path) -> Result<KnownList> {
    let f = fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    let mut bytes = Vec::new();
    f.take(MAX_LIST_BYTES + 1).read_to_end(&mut bytes).map_err(|e| Error::io("read", path, e))?;
    if bytes.len() as u64 > MAX_LIST_BYTES {
        return Err(Error::invalid("hashdeep list", path.display().to_string(), "larger than 512 MB"));
    }
    let sha256 = Sha256::of_bytes(&bytes).to_hex();
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::invalid("hashdeep list", path.display().to_string(), "not UTF-8 text"))?;
    parse_text(path, &text, sha256)
}

fn parse_text(path: &Path, text: &str, sha256: String) -> Result<KnownList> {
    let bad =
        |line: usize, why: String| Error::invalid("hashdeep list", format!("{} line {line}", path.display()), why);
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)));
    match lines.next() {
        Some((_, l)) if l.trim_start_matches('\u{feff}') == "%%%% HASHDEEP-1.0" => {}
        _ => return Err(bad(1, "not a hashdeep list: the first line must be `%%%% HASHDEEP-1.0`".into())),
    }
    let Some((n, cols)) = lines.next() else { return Err(bad(2, "no `%%%% size,...,filename` header".into())) };
    let Some(cols) = cols.strip_prefix("%%%% ") else {
        return Err(bad(n, "the second line must be `%%%% size,HASH...,filename`".into()));
    };
    let cols: Vec<&str> = cols.split(',').map(str::trim).collect();
    if cols.len() < 3 || cols[0] != "size" || cols[cols.len() - 1] != "filename" {
        return Err(bad(n, format!("columns {cols:?}: expected size, one or more hashes, filename")));
    }
    let hash_cols: Vec<(usize, Option<Algorithm>, &str)> = cols[1..cols.len() - 1]
        .iter()
        .enumerate()
        .map(|(i, c)| (i, Algorithm::parse(c).filter(hashdeep_alg), *c))
        .collect();
    let mut seen = BTreeSet::new();
    for (_, _, c) in &hash_cols {
        if !seen.insert(*c) {
            return Err(bad(n, format!("column {c:?} appears twice")));
        }
    }
    let algorithms: Vec<Algorithm> = hash_cols.iter().filter_map(|(_, a, _)| *a).collect();
    let unchecked: Vec<String> =
        hash_cols.iter().filter(|(_, a, _)| a.is_none()).map(|(_, _, c)| c.to_string()).collect();
    if algorithms.is_empty() {
        return Err(bad(n, format!("no column evcat can check (md5, sha1, sha256) among {unchecked:?}")));
    }
    let mut entries = Vec::new();
    for (n, line) in lines {
        if line.is_empty() || line.starts_with("##") {
            continue;
        }
        if line.starts_with("%%%%") {
            // hashdeep writes one header per list; several lists concatenated
            // would need their own columns, so refuse rather than guess.
            return Err(bad(n, "a second `%%%%` header: concatenated lists are not supported".into()));
        }
        // size, each hash, then the filename: the rest, commas and all.
        let mut parts = line.splitn(hash_cols.len() + 2, ',');
        let size = parts.next().unwrap_or_default();
        let size: u64 = size.parse().map_err(|_| bad(n, format!("size {size:?} is not a number")))?;
        let mut hashes = BTreeMap::new();
        for (_, alg, name) in &hash_cols {
            let Some(h) = parts.next() else { return Err(bad(n, format!("no {name} column"))) };
            if let Some(a) = alg {
                if h.len() != a.hex_len() || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad(n, format!("{h:?} is not a {a} digest")));
                }
                hashes.insert(*a, h.to_ascii_lowercase());
            }
        }
        let Some(filename) = parts.next().filter(|f| !f.is_empty()) else {
            return Err(bad(n, "no filename".into()));
        };
        entries.push(KnownEntry { line: n, size, hashes, filename: filename.to_string() });
    }
    Ok(KnownList { path: path.to_path_buf(), algorithms, unchecked, entries, sha256 })
}

/// The algorithms hashdeep lists use that evcat checks.
fn hashdeep_alg(a: &Algorithm) -> bool {
    matches!(a, Algorithm::Md5 | Algorithm::Sha1 | Algorithm::Sha256)
}

/// A list filename relative to the audited folder: `./a/b` and `a/b` are the
/// same file; an absolute name under the folder is made relative to it.
fn relative_name(name: &str, root: &Path) -> String {
    let p = Path::new(name);
    if p.is_absolute() {
        if let Ok(rel) = p.strip_prefix(root) {
            return rel.to_string_lossy().into_owned();
        }
        return name.to_string();
    }
    let mut s = name;
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.to_string()
}

// ---------------------------------------------------------------------------
// Export

impl Catalog {
    /// Write the files of `scope` as a hashdeep known list (`size,sha256,filename`),
    /// named by the path they were registered from (else their original name,
    /// else `F<id>`); recorded as an `exported` event like every export.
    pub fn export_hashdeep(&mut self, out: &Path, scope: Scope, force: bool) -> Result<FileExport> {
        let sel = Selection::build(self, scope)?;
        let mut text = String::from("%%%% HASHDEEP-1.0\n%%%% size,sha256,filename\n");
        text.push_str(&format!(
            "## Invoked from: evcat {} (catalog {})\n## $ evcat export hashdeep {} {}\n##\n",
            env!("CARGO_PKG_VERSION"),
            self.meta("catalog_id")?.unwrap_or_default(),
            out.display(),
            scope
        ));
        let mut warnings = Vec::new();
        for f in sel.files.values() {
            let name = f.original_path.clone().or_else(|| f.original_name.clone()).unwrap_or_else(|| f.id.to_string());
            if name.contains(['\n', '\r']) {
                warnings.push(format!("{}: its name holds a line break; listed as {}", f.id, f.id));
                text.push_str(&format!("{},{},{}\n", f.size, f.sha256, f.id));
            } else {
                text.push_str(&format!("{},{},{name}\n", f.size, f.sha256));
            }
        }
        let what = Described {
            format: "hashdeep",
            scope: scope.to_string(),
            counts: super::Counts { files: sel.files.len(), ..Default::default() },
            records: sel.files.values().map(|f| f.id.to_string()).collect(),
            warnings,
        };
        write_recorded(self, out, force, what, text.as_bytes())
    }
}

// ---------------------------------------------------------------------------
// Audit of an outside copy

/// One file of the audited folder, or one known entry, and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct AgainstItem {
    /// Path relative to the folder (found files) or as the list names it (missing entries).
    pub path: String,
    pub size: u64,
    /// For a moved file: the list's name for these bytes. For a changed
    /// file: the list's line for this path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_as: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub sha256: Option<String>,
    /// The catalog holds these bytes (by SHA-256), as this file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_file: Option<FileId>,
}

impl AgainstItem {
    /// A file of the audited folder (`catalog_file` is filled in at the end).
    fn found(rel: &str, size: u64, sha: &Sha256, known_as: Option<String>, line: Option<usize>) -> Self {
        AgainstItem { path: rel.to_string(), size, known_as, line, sha256: Some(sha.to_hex()), catalog_file: None }
    }
}

/// `evcat audit --against LIST DIR`: hashdeep's audit categories.
#[derive(Debug, Clone, Serialize)]
pub struct AgainstReport {
    pub list: PathBuf,
    pub list_sha256: String,
    pub dir: PathBuf,
    pub algorithms: Vec<Algorithm>,
    /// Same bytes, same name.
    pub matched: Vec<AgainstItem>,
    /// Same bytes as a known entry, another name.
    pub moved: Vec<AgainstItem>,
    /// A known name whose bytes differ (and match no other entry).
    pub changed: Vec<AgainstItem>,
    /// Neither the bytes nor the name are in the list.
    pub new: Vec<AgainstItem>,
    /// Known entries whose bytes are nowhere in the folder (a changed file's
    /// old entry is counted under `changed`, not here).
    pub missing: Vec<AgainstItem>,
    /// Files some of whose digests match an entry and others do not: a sign
    /// of a forged or corrupted list, never a match.
    pub partial: Vec<AgainstItem>,
    /// Files that could not be read.
    pub unreadable: Vec<String>,
    /// Every file matched by name and bytes, nothing else: as in hashdeep's
    /// audit, a moved file fails it (the copy's layout is not the list's).
    pub passed: bool,
}

impl Catalog {
    /// Check the folder `dir` (a copy handed to someone) against a known
    /// list, like `hashdeep -a -v -k LIST -r DIR`, and say for each file
    /// whether this catalog holds its bytes. Reads only; records nothing.
    pub fn audit_against(&self, list: &Path, dir: &Path) -> Result<AgainstReport> {
        let known = parse_list(list)?;
        let meta = fs::metadata(dir).map_err(|e| Error::io("open", dir, e))?;
        if !meta.is_dir() {
            return Err(Error::invalid("folder to audit", dir.display().to_string(), "not a directory"));
        }
        let root = fs::canonicalize(dir).map_err(|e| Error::io("resolve", dir, e))?;
        // Known entries by name and by digests (identical files may be listed twice).
        let key = |h: &BTreeMap<Algorithm, String>, size: u64| (size, h.clone());
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut by_digest: HashMap<(u64, BTreeMap<Algorithm, String>), Vec<usize>> = HashMap::new();
        for (i, e) in known.entries.iter().enumerate() {
            by_name.entry(relative_name(&e.filename, &root)).or_insert(i);
            by_digest.entry(key(&e.hashes, e.size)).or_default().push(i);
        }
        let mut want: Vec<Algorithm> = known.algorithms.clone();
        if !want.contains(&Algorithm::Sha256) {
            want.push(Algorithm::Sha256);
        }
        let mut report = AgainstReport {
            list: list.to_path_buf(),
            list_sha256: known.sha256.clone(),
            dir: dir.to_path_buf(),
            algorithms: known.algorithms.clone(),
            matched: Vec::new(),
            moved: Vec::new(),
            changed: Vec::new(),
            new: Vec::new(),
            missing: Vec::new(),
            partial: Vec::new(),
            unreadable: Vec::new(),
            passed: false,
        };
        let mut found = vec![false; known.entries.len()];
        let mut walked = Vec::new();
        for entry in walkdir::WalkDir::new(&root).follow_links(false).sort_by_file_name() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    report.unreadable.push(e.to_string());
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry.path().strip_prefix(&root).unwrap_or(entry.path()).to_string_lossy().into_owned();
            match digest_file(entry.path(), &want) {
                Ok((sha, size, digests)) => walked.push((rel, sha, size, digests)),
                Err(e) => report.unreadable.push(format!("{rel}: {e}")),
            }
        }
        // Name-and-bytes matches first, so a duplicate elsewhere is "moved",
        // not the other way round.
        let mut rest = Vec::new();
        for (rel, sha, size, mut digests) in walked {
            digests.retain(|a, _| known.algorithms.contains(a));
            let item = |known_as, line| AgainstItem::found(&rel, size, &sha, known_as, line);
            match by_name.get(&rel) {
                Some(&i) if known.entries[i].hashes == digests && known.entries[i].size == size => {
                    found[i] = true;
                    report.matched.push(item(None, Some(known.entries[i].line)));
                }
                _ => rest.push((rel.clone(), sha, size, digests)),
            }
        }
        for (rel, sha, size, digests) in rest {
            let item = |known_as, line| AgainstItem::found(&rel, size, &sha, known_as, line);
            if let Some(ix) = by_digest.get(&key(&digests, size)) {
                // Prefer an entry no other file has claimed.
                let i = ix.iter().copied().find(|&i| !found[i]).unwrap_or(ix[0]);
                found[i] = true;
                report.moved.push(item(Some(known.entries[i].filename.clone()), Some(known.entries[i].line)));
            } else if let Some(i) = partial_match(&known.entries, &digests, size) {
                report.partial.push(item(Some(known.entries[i].filename.clone()), Some(known.entries[i].line)));
            } else if let Some(&i) = by_name.get(&rel) {
                found[i] = true;
                report.changed.push(item(None, Some(known.entries[i].line)));
            } else {
                report.new.push(item(None, None));
            }
        }
        for (i, e) in known.entries.iter().enumerate() {
            if !found[i] {
                report.missing.push(AgainstItem {
                    path: e.filename.clone(),
                    size: e.size,
                    known_as: None,
                    line: Some(e.line),
                    sha256: e.hashes.get(&Algorithm::Sha256).cloned(),
                    catalog_file: None,
                });
            }
        }
        // Which of these bytes the catalog holds.
        for list in [
            &mut report.matched,
            &mut report.moved,
            &mut report.changed,
            &mut report.new,
            &mut report.missing,
            &mut report.partial,
        ] {
            for it in list.iter_mut() {
                if let Some(sha) = it.sha256.as_deref().and_then(|s| s.parse::<Sha256>().ok()) {
                    it.catalog_file = self.file_by_sha(&sha)?.map(|f| f.id);
                }
            }
        }
        report.passed = report.moved.is_empty()
            && report.changed.is_empty()
            && report.new.is_empty()
            && report.missing.is_empty()
            && report.partial.is_empty()
            && report.unreadable.is_empty();
        Ok(report)
    }
}

/// An entry some but not all of whose digests equal the file's.
fn partial_match(entries: &[KnownEntry], digests: &BTreeMap<Algorithm, String>, size: u64) -> Option<usize> {
    if digests.len() < 2 {
        return None;
    }
    entries.iter().position(|e| {
        let same = e.hashes.iter().filter(|(a, h)| digests.get(a) == Some(h)).count();
        same > 0 && (same < e.hashes.len() || e.size != size)
    })
}

// ---------------------------------------------------------------------------
// Import of a list made elsewhere

/// What `import hashdeep` did with each entry.
#[derive(Debug, Clone, Serialize)]
pub struct HashdeepImport {
    pub list: PathBuf,
    pub list_sha256: String,
    pub algorithms: Vec<Algorithm>,
    /// Entries attached to a catalog file, every digest checked against its bytes.
    pub attached: Vec<Attached>,
    /// Entries whose bytes the catalog does not hold (line, filename).
    pub unknown: Vec<(usize, String)>,
    /// Entries that match a file's size and some digest but not all: refused.
    pub conflicts: Vec<String>,
    /// The `imported` event, unless nothing was attached.
    pub event: Option<u64>,
    /// The same list was imported before (same SHA-256): nothing changed.
    pub already_imported: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attached {
    pub line: usize,
    pub filename: String,
    pub file: FileId,
    /// The list's digests, each verified against the stored bytes.
    pub hashes: BTreeMap<Algorithm, String>,
}

impl Catalog {
    /// Attach the known hashes of a list made elsewhere (a partner's
    /// `hashdeep -c md5,sha256 -r` of what they sent) to the catalog's files:
    /// entries are matched by size, then each of their digests is computed
    /// from the stored bytes and must agree. One `imported` event records the
    /// list (its SHA-256) and every attached entry, so `show` and the log say
    /// which outside list vouches for which file. Nothing is recorded if any
    /// entry conflicts.
    pub fn import_hashdeep(&mut self, list: &Path) -> Result<HashdeepImport> {
        let known = parse_list(list)?;
        let mut report = HashdeepImport {
            list: list.to_path_buf(),
            list_sha256: known.sha256.clone(),
            algorithms: known.algorithms.clone(),
            attached: Vec::new(),
            unknown: Vec::new(),
            conflicts: Vec::new(),
            event: None,
            already_imported: false,
        };
        for e in crate::catalog::log::catalog_events_with_action(self, &Action::Imported)? {
            if e.event.detail_str("kind") == Some("hashdeep")
                && e.event.detail_str("list_sha256") == Some(&known.sha256)
            {
                report.already_imported = true;
                report.event = Some(e.seq());
                return Ok(report);
            }
        }
        // Candidate files by size; each candidate's digests computed once.
        let sizes: BTreeSet<u64> = known.entries.iter().map(|e| e.size).collect();
        let mut by_size: HashMap<u64, Vec<FileRecord>> = HashMap::new();
        for f in self.list_files(&FileFilter::default())? {
            if sizes.contains(&f.size) {
                by_size.entry(f.size).or_default().push(f);
            }
        }
        let mut digests_of: HashMap<FileId, BTreeMap<Algorithm, String>> = HashMap::new();
        for e in &known.entries {
            let mut hit = None;
            let mut conflict = None;
            for f in by_size.get(&e.size).map(Vec::as_slice).unwrap_or_default() {
                if let Some(sha) = e.hashes.get(&Algorithm::Sha256) {
                    if *sha != f.sha256.to_hex() {
                        continue;
                    }
                }
                let got = match digests_of.get(&f.id) {
                    Some(d) => d.clone(),
                    None => {
                        let path = match f.storage {
                            Storage::Object => self.store().object_path(&f.sha256),
                            Storage::InPlace => f.original_path.clone().map(PathBuf::from).unwrap_or_default(),
                        };
                        let (sha, _, d) = digest_file(&path, &known.algorithms)?;
                        if sha != f.sha256 {
                            return Err(Error::Corrupt(format!(
                                "{}: {} no longer holds its bytes (SHA-256 {sha}); run `evcat audit`",
                                f.id,
                                path.display()
                            )));
                        }
                        digests_of.insert(f.id, d.clone());
                        d
                    }
                };
                let same = e.hashes.iter().filter(|(a, h)| got.get(a) == Some(h)).count();
                if same == e.hashes.len() {
                    hit = Some(f.id);
                    break;
                } else if same > 0 {
                    conflict = Some(f.id);
                }
            }
            match (hit, conflict) {
                (Some(file), _) => report.attached.push(Attached {
                    line: e.line,
                    filename: e.filename.clone(),
                    file,
                    hashes: e.hashes.clone(),
                }),
                (None, Some(file)) => report.conflicts.push(format!(
                    "{} line {}: {} matches {file} in some digests and not others",
                    list.display(),
                    e.line,
                    e.filename
                )),
                (None, None) => report.unknown.push((e.line, e.filename.clone())),
            }
        }
        if !report.conflicts.is_empty() || report.attached.is_empty() {
            return Ok(report);
        }
        let attached: Vec<serde_json::Value> = report
            .attached
            .iter()
            .map(|a| json!({ "file": a.file.to_string(), "line": a.line, "filename": a.filename, "hashes": a.hashes }))
            .collect();
        let details = json!({
            "kind": "hashdeep",
            "list": list.display().to_string(),
            "list_sha256": known.sha256,
            "algorithms": known.algorithms,
            "entries": known.entries.len(),
            "attached": attached,
            "unknown": report.unknown.len(),
        });
        let seq = self.write(|w| w.append(Subject::Catalog, Action::Imported, None, details))?;
        report.event = Some(seq);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<KnownList> {
        parse_text(Path::new("list.txt"), text, String::new())
    }

    #[test]
    fn a_hashdeep_list_parses_with_commas_in_names() {
        let l = parse(
            "%%%% HASHDEEP-1.0\r\n%%%% size,md5,sha256,filename\r\n## Invoked from: /x\r\n## $ hashdeep -r .\r\n##\r\n\
             3,900150983CD24FB0D6963F7D28E17F72,ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad,./a, b.txt\r\n",
        )
        .unwrap();
        assert_eq!(l.algorithms, vec![Algorithm::Md5, Algorithm::Sha256]);
        assert_eq!(l.entries.len(), 1);
        let e = &l.entries[0];
        assert_eq!((e.line, e.size, e.filename.as_str()), (6, 3, "./a, b.txt"));
        assert_eq!(e.hashes[&Algorithm::Md5], "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn unchecked_columns_are_kept_out_and_named() {
        let l = parse(
            "%%%% HASHDEEP-1.0\n%%%% size,tiger,sha1,filename\n1,abc,a9993e364706816aba3e25717850c26c9cd0d89d,x\n",
        )
        .unwrap();
        assert_eq!(l.algorithms, vec![Algorithm::Sha1]);
        assert_eq!(l.unchecked, vec!["tiger".to_string()]);
        let err = parse("%%%% HASHDEEP-1.0\n%%%% size,tiger,filename\n").unwrap_err().to_string();
        assert!(err.contains("no column evcat can check"), "{err}");
    }

    #[test]
    fn bad_lists_name_the_line() {
        for (text, want) in [
            ("hello\n", "line 1"),
            ("%%%% HASHDEEP-1.0\n", "line 2"),
            ("%%%% HASHDEEP-1.0\n%%%% md5,filename\n", "expected size"),
            (
                "%%%% HASHDEEP-1.0\n%%%% size,md5,filename\nx,900150983cd24fb0d6963f7d28e17f72,a\n",
                "size \"x\" is not a number",
            ),
            ("%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n1,9001,a\n", "not a md5 digest"),
            ("%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n1,900150983cd24fb0d6963f7d28e17f72\n", "no filename"),
            ("%%%% HASHDEEP-1.0\n%%%% size,md5,md5,filename\n", "appears twice"),
            ("%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n%%%% HASHDEEP-1.0\n", "a second `%%%%` header"),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(want) && err.contains("list.txt"), "{text:?}: {err}");
        }
    }

    #[test]
    fn names_are_compared_relative_to_the_folder() {
        let root = Path::new("/cases/17");
        assert_eq!(relative_name("./a/b.txt", root), "a/b.txt");
        assert_eq!(relative_name("a/b.txt", root), "a/b.txt");
        assert_eq!(relative_name("/cases/17/a/b.txt", root), "a/b.txt");
        assert_eq!(relative_name("/elsewhere/b.txt", root), "/elsewhere/b.txt");
    }
}
