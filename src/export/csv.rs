//! CSV: export one table for spreadsheets; import an archivist's spreadsheet
//! of evidence (URL, platform, title, author, posted-at, notes) as referenced
//! evidence in one transaction.
//!
//! Export writes the same columns the custody snapshots carry, with record
//! references as `E3`/`F2`/`C1`/`A1`/`L4`. Text cells that a spreadsheet would
//! run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR, and not a
//! number) are prefixed with `'`, the usual CSV-injection guard.
//!
//! Import rows are numbered as a spreadsheet shows them: the header is row 1.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::{json, Value};

use super::{write_recorded, Counts, Described, FileExport};
use crate::catalog::evidence::{self, EvidenceFilter, EvidenceKind, EvidenceStatus, Platform, Provenance, Source};
use crate::catalog::snapshot::for_each_snapshot;
use crate::catalog::{Catalog, RecordKind, Subject};
use crate::custody::Action;
use crate::error::{Error, Result};
use crate::hash::Sha256;
use crate::ids::EvidenceId;

/// Which table `export csv` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvWhat {
    Evidence,
    Files,
    Claims,
    Links,
}

impl CsvWhat {
    fn table(self) -> RecordKind {
        match self {
            CsvWhat::Evidence => RecordKind::Evidence,
            CsvWhat::Files => RecordKind::File,
            CsvWhat::Claims => RecordKind::Claim,
            CsvWhat::Links => RecordKind::Link,
        }
    }

    /// The exported columns: exactly the logged columns of the table, so a
    /// CSV row is the row snapshot that audit replays.
    fn columns(self) -> &'static [&'static str] {
        self.table().columns()
    }

    pub fn name(self) -> &'static str {
        match self {
            CsvWhat::Evidence => "evidence",
            CsvWhat::Files => "files",
            CsvWhat::Claims => "claims",
            CsvWhat::Links => "links",
        }
    }
}

fn reference(col: &str) -> Option<char> {
    match col {
        "evidence_id" => Some('E'),
        "derived_from" => Some('F'),
        "claim_id" => Some('C'),
        "article_id" => Some('A'),
        _ => None,
    }
}

/// A cell as text, guarded against spreadsheet formula injection.
fn cell(col: &str, v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::Number(n)) => match (reference(col), n.as_i64()) {
            (Some(p), Some(i)) => format!("{p}{i}"),
            _ => n.to_string(),
        },
        Some(Value::String(s)) => {
            let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err();
            if risky {
                format!("'{s}")
            } else {
                s.clone()
            }
        }
        Some(other) => other.to_string(),
    }
}

fn csv_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::invalid("CSV file", path.display().to_string(), e.to_string())
}

/// Render one table as CSV text.
pub fn render_csv(cat: &Catalog, what: CsvWhat) -> Result<(Vec<u8>, usize)> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let cols = what.columns();
    let mut header = vec!["id"];
    header.extend_from_slice(cols);
    let label = Path::new("<csv output>");
    w.write_record(&header).map_err(|e| csv_err(label, e))?;
    let table = what.table();
    let mut n = 0;
    for_each_snapshot(cat.conn(), table, |id, row| {
        let mut rec = vec![table.display_id(id)];
        rec.extend(cols.iter().map(|c| cell(c, row.get(*c))));
        w.write_record(&rec).map_err(|e| csv_err(label, e))?;
        n += 1;
        Ok(())
    })?;
    let bytes = w.into_inner().map_err(|e| csv_err(label, e.error()))?;
    Ok((bytes, n))
}

impl Catalog {
    /// `export csv OUT --what ...`.
    pub fn export_csv(&mut self, out: &Path, what: CsvWhat, force: bool) -> Result<FileExport> {
        let (bytes, n) = render_csv(self, what)?;
        let mut counts = Counts::default();
        match what {
            CsvWhat::Evidence => counts.evidence = n,
            CsvWhat::Files => counts.files = n,
            CsvWhat::Claims => counts.claims = n,
            CsvWhat::Links => counts.links = n,
        }
        let what = Described {
            format: "csv",
            scope: what.name().to_string(),
            counts,
            records: Vec::new(),
            warnings: Vec::new(),
        };
        write_recorded(self, out, force, what, &bytes)
    }
}

// ---------------------------------------------------------------------------
// Import

/// Largest spreadsheet `import csv` reads.
const MAX_CSV_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Url,
    Platform,
    Title,
    Author,
    PostedAt,
    Notes,
    Kind,
    Description,
    PlatformId,
}

const ACCEPTED: &str = "url, platform, title, author, posted_at, notes (and optionally kind, description, platform_id)";

fn field_of(header: &str) -> Option<Field> {
    let h: String =
        header.trim().to_ascii_lowercase().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c }).collect();
    Some(match h.as_str() {
        "url" | "source_url" | "link" => Field::Url,
        "platform" => Field::Platform,
        "title" => Field::Title,
        "author" | "author_handle" | "account" => Field::Author,
        "posted_at" | "posted" => Field::PostedAt,
        "notes" | "note" => Field::Notes,
        "kind" => Field::Kind,
        "description" => Field::Description,
        "platform_id" => Field::PlatformId,
        _ => return None,
    })
}

/// Spreadsheet column letter of a 0-based index (A, B, ..., Z, AA, ...).
fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

#[derive(Debug, Clone, Serialize)]
pub struct CsvImportRow {
    pub row: u64,
    pub evidence: EvidenceId,
    /// True when the URL was already recorded (nothing new was created).
    pub existing: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CsvImport {
    pub file: String,
    pub sha256: String,
    pub created: usize,
    pub existing: usize,
    pub rows: Vec<CsvImportRow>,
    /// Sequence number of the `imported` custody event (none if nothing was new).
    pub event: Option<u64>,
}

struct Parsed {
    row: u64,
    kind: EvidenceKind,
    prov: Provenance,
    notes: Option<String>,
}

fn default_kind(p: Option<Platform>) -> EvidenceKind {
    match p {
        Some(Platform::Tiktok | Platform::Youtube | Platform::Twitch | Platform::Rumble) => EvidenceKind::Video,
        _ => EvidenceKind::Web,
    }
}

impl Catalog {
    /// Import a spreadsheet of evidence as referenced evidence, all rows or
    /// none. URLs already recorded are reported, not duplicated.
    pub fn import_csv(&mut self, path: &Path) -> Result<CsvImport> {
        let size = std::fs::metadata(path).map_err(|e| Error::io("stat", path, e))?.len();
        if size > MAX_CSV_BYTES {
            return Err(Error::invalid("CSV file", path.display().to_string(), "larger than 64 MB"));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
        let name = path.display().to_string();
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&bytes);
        let mut rdr = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
        let mut records = rdr.byte_records();
        let bad = |row: u64, col: Option<(usize, &str)>, value: &str, why: String| {
            let at = match col {
                Some((i, h)) => format!("{name} row {row}, column {h} ({})", column_letter(i)),
                None => format!("{name} row {row}"),
            };
            Error::invalid("CSV cell", value, format!("{at}: {why}"))
        };
        let header = match records.next() {
            None => return Err(Error::invalid("CSV file", name.clone(), "it is empty; expected a header row")),
            Some(r) => r.map_err(|e| bad(1, None, "", e.to_string()))?,
        };
        let mut fields = Vec::new();
        let mut headers = Vec::new();
        for (i, h) in header.iter().enumerate() {
            let h = std::str::from_utf8(h)
                .map_err(|_| bad(1, None, "", format!("column {} is not UTF-8", column_letter(i))))?;
            let f = field_of(h).ok_or_else(|| {
                bad(1, Some((i, h)), h, format!("unknown column header; accepted (any case): {ACCEPTED}"))
            })?;
            if fields.contains(&f) {
                return Err(bad(1, Some((i, h)), h, "this column appears twice".into()));
            }
            fields.push(f);
            headers.push(h.trim().to_string());
        }
        if !fields.contains(&Field::Url) && !fields.contains(&Field::Title) {
            return Err(bad(1, None, "", "the header needs a url or a title column".into()));
        }
        let mut parsed = Vec::new();
        for (n, rec) in records.enumerate() {
            let row = n as u64 + 2;
            let rec = rec.map_err(|e| bad(row, None, "", e.to_string()))?;
            if rec.len() > fields.len() {
                return Err(bad(
                    row,
                    Some((fields.len(), "(none)")),
                    "",
                    format!("{} cells but the header has {} columns", rec.len(), fields.len()),
                ));
            }
            let mut p = Parsed { row, kind: EvidenceKind::Web, prov: Provenance::default(), notes: None };
            let mut kind = None;
            for (i, raw) in rec.iter().enumerate() {
                let h = headers[i].as_str();
                let v = std::str::from_utf8(raw)
                    .map_err(|_| bad(row, Some((i, h)), "", "not UTF-8 text; save the sheet as UTF-8 CSV".into()))?
                    .trim();
                if v.is_empty() {
                    continue;
                }
                let val = Some(v.to_string());
                match fields[i] {
                    Field::Url => {
                        if !(v.starts_with("http://") || v.starts_with("https://")) || v.contains(char::is_whitespace) {
                            return Err(bad(row, Some((i, h)), v, "not an http(s) URL".into()));
                        }
                        p.prov.source_url = val;
                    }
                    Field::Platform => {
                        p.prov.platform =
                            Some(v.parse::<Platform>().map_err(|e| bad(row, Some((i, h)), v, e.to_string()))?)
                    }
                    Field::Title => p.prov.title = val,
                    Field::Author => p.prov.author_handle = val,
                    Field::PostedAt => {
                        p.prov.posted_at = Some(
                            crate::timefmt::normalize_timestamp("posted-at", v)
                                .map_err(|e| bad(row, Some((i, h)), v, e.to_string()))?,
                        )
                    }
                    Field::Notes => p.notes = val,
                    Field::Kind => {
                        kind = Some(v.parse::<EvidenceKind>().map_err(|e| bad(row, Some((i, h)), v, e.to_string()))?)
                    }
                    Field::Description => p.prov.description = val,
                    Field::PlatformId => p.prov.platform_id = val,
                }
            }
            if p.prov.is_empty() && p.notes.is_none() {
                continue; // an empty row
            }
            if p.prov.source_url.is_none() && p.prov.title.is_none() {
                return Err(bad(row, None, "", "the row has neither a url nor a title".into()));
            }
            p.kind = kind.unwrap_or_else(|| default_kind(p.prov.platform));
            parsed.push(p);
        }

        // Evidence already recorded under the same URL is not duplicated.
        let mut known: BTreeMap<String, EvidenceId> = BTreeMap::new();
        for e in self.list_evidence(&EvidenceFilter::default())? {
            if let Some(u) = e.source_url {
                known.entry(u).or_insert(e.id);
            }
        }
        let sha = Sha256::of_bytes(&bytes).to_hex();
        let mut rows = Vec::new();
        let todo: Vec<&Parsed> = parsed
            .iter()
            .filter(|p| {
                if let Some(id) = p.prov.source_url.as_ref().and_then(|u| known.get(u)) {
                    rows.push(CsvImportRow { row: p.row, evidence: *id, existing: true });
                    false
                } else {
                    true
                }
            })
            .collect();
        let mut event = None;
        if !todo.is_empty() {
            let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let (created_rows, seq) = self.write(|w| {
                let mut created: Vec<CsvImportRow> = Vec::new();
                let mut seen: BTreeMap<String, EvidenceId> = BTreeMap::new();
                for p in &todo {
                    if let Some(id) = p.prov.source_url.as_ref().and_then(|u| seen.get(u)) {
                        created.push(CsvImportRow { row: p.row, evidence: *id, existing: true });
                        continue;
                    }
                    let mut extra = json!({ "imported_from": { "file": file_name, "sha256": sha, "row": p.row } });
                    if let (Some(n), Some(o)) = (&p.notes, extra.as_object_mut()) {
                        o.insert("note".into(), Value::String(n.clone()));
                    }
                    let id =
                        evidence::create(w, p.kind, EvidenceStatus::Referenced, &p.prov, Source::Import, &[], extra)?;
                    if let Some(u) = &p.prov.source_url {
                        seen.insert(u.clone(), id);
                    }
                    created.push(CsvImportRow { row: p.row, evidence: id, existing: false });
                }
                let n_created = created.iter().filter(|r| !r.existing).count();
                let seq = w.append(
                    Subject::Catalog,
                    Action::Imported,
                    None,
                    json!({ "kind": "csv", "file": file_name, "sha256": sha, "rows": todo.len(), "created": n_created }),
                )?;
                Ok((created, seq))
            })?;
            rows.extend(created_rows);
            event = Some(seq);
        }
        rows.sort_by_key(|r| r.row);
        let existing_total = rows.iter().filter(|r| r.existing).count();
        Ok(CsvImport {
            file: name,
            sha256: sha,
            created: rows.len() - existing_total,
            existing: existing_total,
            rows,
            event,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(4), "E");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }

    #[test]
    fn headers_match_case_insensitively() {
        assert_eq!(field_of(" URL "), Some(Field::Url));
        assert_eq!(field_of("Posted At"), Some(Field::PostedAt));
        assert_eq!(field_of("posted-at"), Some(Field::PostedAt));
        assert_eq!(field_of("NOTES"), Some(Field::Notes));
        assert_eq!(field_of("colour"), None);
    }

    #[test]
    fn formula_cells_are_guarded() {
        assert_eq!(cell("title", Some(&json!("=HYPERLINK(\"x\")"))), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("gps_lat", Some(&json!("-33.5"))), "-33.5");
        assert_eq!(cell("evidence_id", Some(&json!(3))), "E3");
        assert_eq!(cell("title", None), "");
    }
}
