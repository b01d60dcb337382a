//! WACZ web captures (Webrecorder's packaging of WARCs, as written by
//! ArchiveWeb.page, Browsertrix and py-wacz; spec 1.1.1).
//!
//! `add capture.wacz` keeps the WACZ byte-exact as one file and reads, in one
//! pass over the ZIP:
//! - `datapackage.json`: every listed resource is hashed and its size and
//!   `sha256:` hash compared; entries the package does not list, and listed
//!   ones that are missing, are named; `datapackage-digest.json`'s hash of
//!   `datapackage.json` is checked (a `signedData` signature is reported as
//!   present, not verified: evcat holds no trust roots for WACZ signers);
//! - `pages/pages.jsonl` (and `extraPages.jsonl`): URL, capture time, title;
//! - every WARC under `archive/` (`.warc` or `.warc.gz`, gzip members read in
//!   sequence): the archived media, i.e. `response` records whose HTTP
//!   `Content-Type` or first bytes say image, video or audio (SVG and icons
//!   excepted: page furniture, not evidence), and `resource` records of those
//!   types (Browsertrix screenshots). Each is listed with its WARC-Target-URI,
//!   WARC-Date, record id, status, type, size, SHA-256, and the check of its
//!   `WARC-Payload-Digest`.
//!
//! With `extract`, each complete media payload (status 200, or a resource
//! record) is streamed into the store's work area while it is read, so the
//! caller can register it as a file derived from the WACZ. Partial responses
//! (206, a browser's range requests for video) are listed and not extracted:
//! a fragment is not the file.
//!
//! Nothing here panics or hangs on a hostile ZIP: JSON members are read under
//! a cap, HTTP heads under a cap, and a WARC that stops parsing is reported
//! with the number of records read before it.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use sha1::Digest as _;

use crate::error::{Error, Result};
use crate::hash::Sha256;
use crate::media::{self, MediaKind};
use crate::store::{Staged, Store};

/// JSON members (datapackage, pages) larger than this are not read.
pub const MAX_JSON_BYTES: u64 = 16 << 20;
/// An archived HTTP response head larger than this is not parsed.
const MAX_HTTP_HEAD: usize = 256 << 10;
/// Payload bytes read before deciding whether a record is media.
const SNIFF_LEN: usize = 8 << 10;
/// Pages kept from pages.jsonl (a crawl may list millions; the first are the seeds).
const MAX_PAGES: usize = 10_000;

/// What a WACZ holds and whether its package checks out.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Capture {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wacz_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub package: PackageCheck,
    pub pages: Vec<Page>,
    /// Pages beyond [`MAX_PAGES`] that were counted but not kept.
    #[serde(skip_serializing_if = "is_zero")]
    pub pages_not_listed: u64,
    pub media: Vec<ArchivedMedia>,
    /// WARC records read, of every type.
    pub records: u64,
    /// Problems that do not stop the capture from being registered.
    pub warnings: Vec<String>,
    /// SHA-256 of `datapackage.json`'s bytes (the acquisition record's file).
    pub datapackage_sha256: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The outcome of checking `datapackage.json` against the ZIP's members.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PackageCheck {
    /// Resources listed in datapackage.json.
    pub resources: usize,
    /// Listed resources whose size and SHA-256 match.
    pub verified: usize,
    /// Each mismatch, missing member or unlisted member, named.
    pub problems: Vec<String>,
    /// `verified`, `mismatch` or `absent` (no datapackage-digest.json).
    pub digest: &'static str,
    /// datapackage-digest.json carries a `signedData` signature (not verified).
    pub signed: bool,
}

impl PackageCheck {
    /// True when every listed resource matched and nothing is unaccounted for.
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty() && self.verified == self.resources && self.digest != "mismatch"
    }
}

/// One entry of `pages.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    pub url: String,
    /// Capture time as the crawler recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// One archived media payload.
#[derive(Debug, Clone, Serialize)]
pub struct ArchivedMedia {
    /// The WARC's path inside the WACZ.
    pub warc: String,
    pub record_id: String,
    /// `response` or `resource`.
    pub record_type: &'static str,
    pub target_uri: String,
    /// WARC-Date, RFC 3339 UTC.
    pub warc_date: String,
    /// The HTTP status (responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The media type the server sent (else what the bytes are).
    pub media_type: String,
    /// Payload bytes (after removing chunked transfer coding).
    pub size: u64,
    pub sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_digest: Option<String>,
    /// `verified`, `mismatch`, `not recorded` or `not checked (ALGO)`.
    pub payload_digest_check: String,
    /// A 206 response: part of a file, listed but not extracted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// The WARC says the record was truncated (WARC-Truncated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
    /// Content-Encoding the server applied (payload kept as sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// The payload staged in the store (with `extract`).
    #[serde(skip)]
    pub staged: Option<Staged>,
}

impl ArchivedMedia {
    /// A name for the extracted file: the URL's last path segment.
    pub fn file_name(&self) -> String {
        let path = self.target_uri.split(['?', '#']).next().unwrap_or_default();
        let last = path.rsplit('/').find(|s| !s.is_empty() && !s.contains(':')).unwrap_or("payload");
        last.to_string()
    }
}

/// Whether a file is to be read as a WACZ: a ZIP by its bytes, named `.wacz`.
pub fn is_wacz(name: &str, media_type: &str) -> bool {
    media_type == "application/zip" && name.to_ascii_lowercase().ends_with(".wacz")
}

/// Read the WACZ at `path` (`label` names it in messages). With `extract`,
/// complete media payloads are staged (unsynced: the caller's batch sync
/// covers them) in that store. A file that is not a readable WACZ at all is
/// `Unsupported`; damage inside one is reported in the [`Capture`].
pub fn read(path: &Path, label: &Path, extract: Option<&Store>) -> Result<Capture> {
    let unsupported = |reason: String| Error::Unsupported { path: label.to_path_buf(), reason };
    let f = File::open(path).map_err(|e| Error::io("open", label, e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(f))
        .map_err(|e| unsupported(format!("not a readable WACZ (ZIP archive): {e}")))?;

    let package_bytes = member_capped(&mut zip, "datapackage.json", label)?
        .ok_or_else(|| unsupported("not a WACZ: it has no datapackage.json".into()))?;
    let package: Value = serde_json::from_slice(&package_bytes)
        .map_err(|e| unsupported(format!("datapackage.json is not JSON: {e}")))?;
    let resources = package
        .get("resources")
        .and_then(Value::as_array)
        .ok_or_else(|| unsupported("datapackage.json has no resources list".into()))?;
    let text = |k: &str| package.get(k).and_then(Value::as_str).map(str::to_string);
    let mut cap = Capture {
        wacz_version: text("wacz_version"),
        software: text("software"),
        created: text("created").or_else(|| text("mainPageDate")),
        title: text("title"),
        datapackage_sha256: hex::encode(sha2::Sha256::digest(&package_bytes)),
        ..Capture::default()
    };
    cap.package.resources = resources.len();
    let package_sha256 = cap.datapackage_sha256.clone();
    check_digest(&mut zip, &package_sha256, label, &mut cap)?;

    let listed: Vec<(String, Option<String>, Option<u64>)> = resources
        .iter()
        .map(|r| {
            let path = r.get("path").and_then(Value::as_str).unwrap_or_default().to_string();
            let hash = r.get("hash").and_then(Value::as_str).map(str::to_string);
            let bytes = r.get("bytes").and_then(Value::as_u64);
            (path, hash, bytes)
        })
        .collect();
    let members: BTreeSet<String> = zip.file_names().map(str::to_string).collect();
    let listed_paths: BTreeSet<&str> = listed.iter().map(|(p, _, _)| p.as_str()).collect();
    for m in &members {
        let bookkeeping = m == "datapackage.json" || m == "datapackage-digest.json" || m.ends_with('/');
        if !bookkeeping && !listed_paths.contains(m.as_str()) {
            cap.package.problems.push(format!("{m} is in the WACZ but not listed in datapackage.json"));
        }
    }
    let mut seen = BTreeSet::new();
    for (rpath, hash, bytes) in &listed {
        if rpath.is_empty() {
            cap.package.problems.push("datapackage.json lists a resource without a path".into());
            continue;
        }
        if !seen.insert(rpath.as_str()) {
            cap.package.problems.push(format!("datapackage.json lists {rpath} twice"));
            continue;
        }
        if !members.contains(rpath) {
            cap.package.problems.push(format!("datapackage.json lists {rpath}, which the WACZ does not hold"));
            continue;
        }
        let is_warc = rpath.starts_with("archive/") && (rpath.ends_with(".warc") || rpath.ends_with(".warc.gz"));
        let is_pages = rpath.starts_with("pages/") && rpath.ends_with(".jsonl");
        let mut entry = match zip.by_name(rpath) {
            Ok(e) => e,
            Err(e) => {
                cap.package.problems.push(format!("{rpath}: cannot open: {e}"));
                continue;
            }
        };
        let (packed, unpacked) = (entry.compressed_size(), entry.size());
        if unpacked > max_expansion(packed) {
            cap.package.problems.push(format!(
                "{rpath}: declares {unpacked} bytes from {packed} compressed (a decompression bomb?); not read"
            ));
            continue;
        }
        let mut tee = Tee::<_, sha2::Sha256>::new(&mut entry);
        if is_warc {
            scan_warc(&mut tee, rpath, extract, label, &mut cap, packed)?;
        } else if is_pages {
            read_pages(&mut tee, rpath, &mut cap);
        }
        // Whatever the parsers left unread still counts for the hash.
        if let Err(e) = io::copy(&mut tee, &mut io::sink()) {
            cap.package.problems.push(format!("{rpath}: cannot read: {e}"));
            continue;
        }
        let (sha, size) = tee.finish();
        let sha = hex::encode(sha);
        let expected = hash.as_deref().unwrap_or_default();
        match expected.split_once(':') {
            Some(("sha256", hex)) if hex.eq_ignore_ascii_case(&sha) => {
                if bytes.is_some_and(|b| b != size) {
                    cap.package.problems.push(format!(
                        "{rpath}: datapackage.json records {} bytes, the member holds {size}",
                        bytes.unwrap_or_default()
                    ));
                } else {
                    cap.package.verified += 1;
                }
            }
            Some(("sha256", hex)) => cap
                .package
                .problems
                .push(format!("{rpath}: datapackage.json records sha256 {hex}, its bytes hash to {sha}")),
            Some((algo, _)) => cap.package.problems.push(format!("{rpath}: hash algorithm {algo} is not checked")),
            None => cap.package.problems.push(format!("{rpath}: datapackage.json records no hash")),
        }
    }
    Ok(cap)
}

/// A member's bytes under [`MAX_JSON_BYTES`], or `None` when absent.
fn member_capped<R: Read + io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    label: &Path,
) -> Result<Option<Vec<u8>>> {
    let mut entry = match zip.by_name(name) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => {
            return Err(Error::Unsupported { path: label.to_path_buf(), reason: format!("cannot open {name}: {e}") })
        }
    };
    let mut buf = Vec::new();
    (&mut entry)
        .take(MAX_JSON_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::Unsupported { path: label.to_path_buf(), reason: format!("cannot read {name}: {e}") })?;
    if buf.len() as u64 > MAX_JSON_BYTES {
        return Err(Error::Unsupported {
            path: label.to_path_buf(),
            reason: format!("{name} is larger than {} MB; not read", MAX_JSON_BYTES >> 20),
        });
    }
    Ok(Some(buf))
}

fn check_digest<R: Read + io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    ours: &str,
    label: &Path,
    cap: &mut Capture,
) -> Result<()> {
    let Some(bytes) = member_capped(zip, "datapackage-digest.json", label)? else {
        cap.package.digest = "absent";
        return Ok(());
    };
    let v: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            cap.package.digest = "mismatch";
            cap.package.problems.push(format!("datapackage-digest.json is not JSON: {e}"));
            return Ok(());
        }
    };
    cap.package.signed = v.get("signedData").is_some_and(|s| !s.is_null());
    let theirs = v.get("hash").and_then(Value::as_str).unwrap_or_default();
    let path_ok = v.get("path").and_then(Value::as_str).is_none_or(|p| p == "datapackage.json");
    match theirs.split_once(':') {
        Some(("sha256", hex)) if hex.eq_ignore_ascii_case(ours) && path_ok => cap.package.digest = "verified",
        _ => {
            cap.package.digest = "mismatch";
            cap.package.problems.push(format!(
                "datapackage-digest.json records {theirs:?} for datapackage.json, which hashes to sha256:{ours}"
            ));
        }
    }
    Ok(())
}

fn read_pages(r: impl Read, rpath: &str, cap: &mut Capture) {
    let mut bad = 0u64;
    for line in BufReader::new(r.take(MAX_JSON_BYTES)).split(b'\n') {
        let Ok(line) = line else {
            bad += 1;
            break;
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(v) = serde_json::from_slice::<Value>(&line) else {
            bad += 1;
            continue;
        };
        // The first line is the header ({"format": "json-pages-1.0", ...}).
        let Some(url) = v.get("url").and_then(Value::as_str) else { continue };
        if cap.pages.len() >= MAX_PAGES {
            cap.pages_not_listed += 1;
            continue;
        }
        let text = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        cap.pages.push(Page { url: url.to_string(), ts: text("ts"), title: text("title") });
    }
    if bad > 0 {
        cap.warnings.push(format!("{rpath}: {bad} line(s) are not JSON pages; skipped"));
    }
}

/// Read every record of one WARC (gzip members or plain), listing media.
/// The most bytes `packed` compressed bytes may expand to: real WARCs and
/// JSON compress 3-20x, media not at all; only crafted input reaches
/// deflate's ~1000x. Bounds the work a small hostile file can cause.
fn max_expansion(packed: u64) -> u64 {
    packed.saturating_mul(MAX_EXPANSION).saturating_add(64 << 20)
}

const MAX_EXPANSION: u64 = 200;

/// Reads at most `left` bytes, then fails (instead of quietly ending), so a
/// bomb is reported as one.
struct Budget<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "decompresses to more than {MAX_EXPANSION}x its size (a decompression bomb?); not read further"
                ),
            ));
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

fn scan_warc(
    r: impl Read,
    rpath: &str,
    extract: Option<&Store>,
    label: &Path,
    cap: &mut Capture,
    packed: u64,
) -> Result<()> {
    if rpath.ends_with(".gz") {
        let unzipped = Budget { inner: flate2::read::MultiGzDecoder::new(r), left: max_expansion(packed) };
        scan_records(BufReader::new(unzipped), rpath, extract, label, cap)
    } else {
        scan_records(BufReader::new(r), rpath, extract, label, cap)
    }
}

/// A WARC record's header block is refused beyond this (real ones are < 4 KB).
const MAX_WARC_HEAD: u64 = 64 << 10;

/// The WARC records of one file, framed here (header block, `Content-Length`
/// bytes of block, CRLF CRLF) with `warc::parser::headers` for the header
/// syntax: the crate's record type panics on a header value that is not
/// UTF-8 (found by the `wacz_read` fuzz target), so values are read from the
/// raw header bytes, lossily.
fn scan_records<R: BufRead>(
    mut r: R,
    rpath: &str,
    extract: Option<&Store>,
    label: &Path,
    cap: &mut Capture,
) -> Result<()> {
    let mut read = 0u64;
    let damaged = |cap: &mut Capture, n: u64, why: &dyn std::fmt::Display| {
        cap.warnings.push(format!("{rpath}: damaged; cannot read past record {n}: {why}"));
    };
    loop {
        let mut block = Vec::new();
        let ended = loop {
            let before = block.len();
            match (&mut r).take(MAX_WARC_HEAD + 1 - before as u64).read_until(b'\n', &mut block) {
                Ok(0) => break block.is_empty(),
                Ok(_) => {}
                Err(e) => {
                    damaged(cap, read + 1, &e);
                    cap.records += read;
                    return Ok(());
                }
            }
            // Blank lines between records are tolerated.
            if before == 0 && block.iter().all(|b| b.is_ascii_whitespace()) {
                block.clear();
                continue;
            }
            if block.ends_with(b"\r\n\r\n") || block.len() as u64 > MAX_WARC_HEAD {
                break false;
            }
        };
        if ended {
            break;
        }
        let Ok((_, (_version, fields, len))) = warc::parser::headers(&block) else {
            damaged(cap, read + 1, &"not a WARC record header");
            break;
        };
        read += 1;
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| String::from_utf8_lossy(v).trim().to_string())
        };
        let head = RecordHead {
            record_type: get("WARC-Type").unwrap_or_default().to_ascii_lowercase(),
            record_id: get("WARC-Record-ID").unwrap_or_default(),
            date: get("WARC-Date"),
            target_uri: get("WARC-Target-URI").unwrap_or_default(),
            content_type: get("Content-Type").unwrap_or_default(),
            payload_digest: get("WARC-Payload-Digest"),
            truncated: get("WARC-Truncated"),
        };
        let mut body = (&mut r).take(len as u64);
        let outcome = archived_media(&mut body, &head, rpath, extract, label)?;
        match outcome {
            Outcome::Media(m) => cap.media.push(*m),
            Outcome::Skipped(why) => cap.warnings.push(format!("{rpath}: record {read} skipped: {why}")),
            Outcome::NotMedia => {}
            Outcome::Unreadable(e) => {
                damaged(cap, read, &e);
                break;
            }
        }
        // The rest of the block, then the record's closing CRLF CRLF.
        if let Err(e) = io::copy(&mut body, &mut io::sink()) {
            damaged(cap, read, &e);
            break;
        }
        if body.limit() > 0 {
            damaged(cap, read, &"the block is shorter than its Content-Length");
            break;
        }
        let mut end = [0u8; 4];
        if r.read_exact(&mut end).is_err() || &end != b"\r\n\r\n" {
            damaged(cap, read, &"the record does not end with CRLF CRLF");
            break;
        }
    }
    cap.records += read;
    Ok(())
}

/// The WARC header fields a listing needs, as text.
struct RecordHead {
    record_type: String,
    record_id: String,
    date: Option<String>,
    target_uri: String,
    content_type: String,
    payload_digest: Option<String>,
    truncated: Option<String>,
}

enum Outcome {
    Media(Box<ArchivedMedia>),
    NotMedia,
    /// Listed as a warning, the WARC read on (e.g. a bad WARC-Date).
    Skipped(String),
    /// The stream failed: nothing after this record can be trusted.
    Unreadable(String),
}

/// What one record's block holds, when it is archived media; with `extract`
/// the payload is staged while it is read.
fn archived_media(
    body: &mut impl Read,
    head: &RecordHead,
    rpath: &str,
    extract: Option<&Store>,
    label: &Path,
) -> Result<Outcome> {
    let record_type = match head.record_type.as_str() {
        "response" => "response",
        "resource" => "resource",
        _ => return Ok(Outcome::NotMedia),
    };
    let date = head.date.as_deref().and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok());
    let Some(date) = date else {
        return Ok(Outcome::Skipped(format!(
            "WARC-Date {:?} is not an RFC 3339 time",
            head.date.as_deref().unwrap_or("")
        )));
    };
    let mut item = ArchivedMedia {
        warc: rpath.to_string(),
        record_id: head.record_id.clone(),
        record_type,
        target_uri: head.target_uri.clone(),
        warc_date: date.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        status: None,
        media_type: String::new(),
        size: 0,
        sha256: String::new(),
        payload_digest: head.payload_digest.clone(),
        payload_digest_check: String::new(),
        partial: false,
        truncated: head.truncated.clone(),
        content_encoding: None,
        staged: None,
    };
    let mut buf = Vec::new();
    let (declared, chunked) = if record_type == "response" {
        if !head.content_type.to_ascii_lowercase().starts_with("application/http") {
            return Ok(Outcome::NotMedia);
        }
        let Some(h) = http_head(body, &mut buf) else {
            return Ok(Outcome::Skipped(format!("{} has no readable HTTP response head", item.record_id)));
        };
        item.status = Some(h.status);
        if h.status != 200 && h.status != 206 {
            return Ok(Outcome::NotMedia);
        }
        item.partial = h.status == 206;
        item.content_encoding = h.content_encoding.filter(|c| c != "identity");
        (h.content_type, h.chunked)
    } else {
        (Some(head.content_type.clone()), false)
    };
    // The payload starts with what the head parser read past the head.
    // Sniff its first bytes: CDNs often serve video as octet-stream.
    let mut prefix = buf;
    if let Err(e) = body.take(SNIFF_LEN as u64).read_to_end(&mut prefix) {
        return Ok(Outcome::Unreadable(e.to_string()));
    }
    let declared = declared.map(|t| t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    let Some(media_type) = media_type_of(declared.as_deref(), &prefix, chunked) else {
        return Ok(Outcome::NotMedia);
    };
    item.media_type = media_type;
    // Raw payload (as stored, for the WARC's payload digest) and the
    // decoded one (what the server meant, the extracted file).
    let raw = io::Cursor::new(prefix).chain(body);
    let mut raw_sha1 = Tee::<_, sha1::Sha1>::new(raw);
    let extracting = extract.filter(|_| !item.partial);
    let (hashed, decoded_sha1) = if chunked {
        stage_or_hash(Dechunk::new(BufReader::new(&mut raw_sha1)), extracting, label)
    } else {
        stage_or_hash(&mut raw_sha1, extracting, label)
    };
    let (sha, size) = match hashed {
        Ok((sha, size, staged)) => {
            item.staged = staged;
            (sha, size)
        }
        Err(e) if e.is_catalog_fault() => return Err(e),
        // A chunked body that does not decode is the record's fault, not the stream's.
        Err(e) if chunked => return Ok(Outcome::Skipped(format!("{} ({}): {e}", item.record_id, item.target_uri))),
        Err(e) => return Ok(Outcome::Unreadable(format!("{} ({}): {e}", item.record_id, item.target_uri))),
    };
    // A chunked body's trailer, left by the decoder, is still raw payload.
    if chunked {
        if let Err(e) = io::copy(&mut raw_sha1, &mut io::sink()) {
            return Ok(Outcome::Unreadable(e.to_string()));
        }
    }
    let (raw_sha1, _) = raw_sha1.finish();
    item.sha256 = sha.to_hex();
    item.size = size;
    item.payload_digest_check = digest_check(item.payload_digest.as_deref(), &[&raw_sha1[..], &decoded_sha1[..]], &sha);
    Ok(Outcome::Media(Box::new(item)))
}

/// What an archived payload is, when it is media worth listing.
fn media_type_of(declared: Option<&str>, prefix: &[u8], chunked: bool) -> Option<String> {
    let furniture = |t: &str| t == "image/svg+xml" || t == "image/x-icon" || t == "image/vnd.microsoft.icon";
    if let Some(t) = declared.filter(|t| t.starts_with("image/") || t.starts_with("video/") || t.starts_with("audio/"))
    {
        return (!furniture(t)).then(|| t.to_string());
    }
    // A chunked body's first bytes are a chunk size line, not the payload.
    let bytes = if chunked {
        let nl = prefix.iter().position(|&b| b == b'\n')?;
        &prefix[nl + 1..]
    } else {
        prefix
    };
    let (mime, kind) = media::sniff(bytes);
    matches!(kind, MediaKind::Image | MediaKind::Video | MediaKind::Audio).then_some(mime).filter(|m| !furniture(m))
}

/// `verified` when the recorded digest (hex or base32, `sha1:` or
/// `sha256:`) matches one of the computed ones.
fn digest_check(recorded: Option<&str>, sha1s: &[&[u8]], sha256: &Sha256) -> String {
    let Some(recorded) = recorded else { return "not recorded".into() };
    let Some((algo, value)) = recorded.split_once(':') else { return format!("not checked ({recorded})") };
    let value = value.trim().trim_end_matches('=').to_ascii_uppercase();
    let candidates: Vec<&[u8]> = match algo.to_ascii_lowercase().as_str() {
        "sha1" => sha1s.to_vec(),
        "sha256" => vec![&sha256.0[..]],
        other => return format!("not checked ({other})"),
    };
    let matches = candidates
        .iter()
        .any(|d| value == data_encoding::BASE32_NOPAD.encode(d) || value.eq_ignore_ascii_case(&hex::encode(d)));
    if matches { "verified" } else { "mismatch" }.into()
}

/// A payload's SHA-256 and size, and where it was staged.
type Hashed = Result<(Sha256, u64, Option<Staged>)>;

/// Hashed (SHA-256, SHA-1) or, with a store, staged: the payload's bytes once.
/// A read error leaves nothing staged.
fn stage_or_hash<R: Read>(r: R, store: Option<&Store>, label: &Path) -> (Hashed, sha1::digest::Output<sha1::Sha1>) {
    let mut tee = Tee::<_, sha1::Sha1>::new(r);
    let res = match store {
        Some(s) => s.stage_stream_unsynced(&mut tee, label).map(|st| (st.sha256, st.size, Some(st))),
        None => {
            crate::hash::hash_reader(&mut tee).map(|(sha, n)| (sha, n, None)).map_err(|e| Error::io("read", label, e))
        }
    };
    (res, tee.finish().0)
}

struct HttpHead {
    status: u16,
    content_type: Option<String>,
    content_encoding: Option<String>,
    chunked: bool,
}

/// Parse an HTTP response head from `r`; `buf` is left holding what was read
/// past it (the payload's first bytes).
fn http_head(r: &mut impl Read, buf: &mut Vec<u8>) -> Option<HttpHead> {
    let mut chunk = [0u8; 4096];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 128];
        let mut resp = httparse::Response::new(&mut headers);
        match resp.parse(buf) {
            Ok(httparse::Status::Complete(n)) => {
                let get = |name: &str| {
                    resp.headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
                };
                let head = HttpHead {
                    status: resp.code?,
                    content_type: get("content-type"),
                    content_encoding: get("content-encoding").map(|c| c.to_ascii_lowercase()),
                    chunked: get("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")),
                };
                buf.drain(..n);
                return Some(head);
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HTTP_HEAD => {}
            _ => return None,
        }
        let n = r.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Hashes what passes through with `D` and counts it: SHA-256 of ZIP
/// members (checked against datapackage.json), SHA-1 of WARC payloads
/// (checked against WARC-Payload-Digest).
struct Tee<R, D> {
    inner: R,
    hasher: D,
    size: u64,
}

impl<R: Read, D: sha2::Digest> Tee<R, D> {
    fn new(inner: R) -> Self {
        Tee { inner, hasher: D::new(), size: 0 }
    }
    fn finish(self) -> (sha2::digest::Output<D>, u64) {
        (self.hasher.finalize(), self.size)
    }
}

impl<R: Read, D: sha2::Digest> Read for Tee<R, D> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

/// Removes HTTP/1.1 chunked transfer coding (sizes parsed by `httparse`).
struct Dechunk<R> {
    inner: R,
    /// Bytes left in the current chunk; `None` before a size line.
    left: Option<u64>,
    done: bool,
}

impl<R: BufRead> Dechunk<R> {
    fn new(inner: R) -> Self {
        Dechunk { inner, left: None, done: false }
    }

    fn size_line(&mut self) -> io::Result<u64> {
        let mut line = Vec::new();
        (&mut self.inner).take(4096).read_until(b'\n', &mut line)?;
        if line.is_empty() {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "chunked body ends before its last chunk"));
        }
        match httparse::parse_chunk_size(&line) {
            Ok(httparse::Status::Complete((_, size))) => Ok(size),
            _ => Err(io::Error::new(io::ErrorKind::InvalidData, "bad chunk size line in chunked body")),
        }
    }
}

impl<R: BufRead> Read for Dechunk<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            match self.left {
                None => {
                    let size = self.size_line()?;
                    if size == 0 {
                        // Trailers are not payload; whatever follows is left unread.
                        self.done = true;
                        return Ok(0);
                    }
                    self.left = Some(size);
                }
                Some(0) => {
                    // The CRLF after a chunk's data.
                    let mut crlf = Vec::new();
                    (&mut self.inner).take(2).read_until(b'\n', &mut crlf)?;
                    self.left = None;
                }
                Some(left) => {
                    let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = self.inner.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "chunked body cut short"));
                    }
                    self.left = Some(left - n as u64);
                    return Ok(n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_decoded() {
        let body = b"4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n";
        let mut out = Vec::new();
        Dechunk::new(&body[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"Wikipedia in \r\n\r\nchunks.");
    }

    #[test]
    fn cut_or_garbled_chunked_bodies_are_errors_not_hangs() {
        for body in [&b"10\r\nshort"[..], b"zz\r\nabc", b"4\r\nWiki\r\n"] {
            let mut out = Vec::new();
            assert!(Dechunk::new(body).read_to_end(&mut out).is_err(), "{:?}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn http_heads_parse_and_leave_the_payload() {
        let msg = b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nTransfer-Encoding: chunked\r\n\r\nPAYLOAD";
        let mut buf = Vec::new();
        let h = http_head(&mut &msg[..], &mut buf).unwrap();
        assert_eq!((h.status, h.content_type.as_deref(), h.chunked), (200, Some("video/mp4"), true));
        assert_eq!(buf, b"PAYLOAD");
        let mut buf = Vec::new();
        assert!(http_head(&mut &b"not http at all\r\n\r\n"[..], &mut buf).is_none());
        // A head that never ends is given up at the cap, not read forever.
        let endless = std::iter::repeat_n(b'a', MAX_HTTP_HEAD * 2).collect::<Vec<u8>>();
        let mut src = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        src.extend(endless);
        assert!(http_head(&mut &src[..], &mut Vec::new()).is_none());
    }

    #[test]
    fn payload_digests_are_checked_in_base32_and_hex() {
        let sha1 = sha1::Sha1::digest(b"abc");
        let sha256 = Sha256(sha2::Sha256::digest(b"abc").into());
        let b32 = format!("sha1:{}", data_encoding::BASE32.encode(&sha1));
        assert_eq!(digest_check(Some(&b32), &[&sha1], &sha256), "verified");
        assert_eq!(digest_check(Some(&format!("sha1:{}", hex::encode(sha1))), &[&sha1], &sha256), "verified");
        assert_eq!(digest_check(Some(&format!("sha256:{}", sha256.to_hex())), &[&sha1], &sha256), "verified");
        assert_eq!(digest_check(Some("sha1:AAAA"), &[&sha1], &sha256), "mismatch");
        assert_eq!(digest_check(Some("md5:abc"), &[&sha1], &sha256), "not checked (md5)");
        assert_eq!(digest_check(None, &[&sha1], &sha256), "not recorded");
    }

    #[test]
    fn media_is_told_by_type_or_bytes_and_furniture_is_not() {
        assert_eq!(media_type_of(Some("video/mp4"), b"", false).as_deref(), Some("video/mp4"));
        assert_eq!(media_type_of(Some("image/svg+xml"), b"<svg", false), None);
        assert_eq!(media_type_of(Some("text/html"), b"<html>", false), None);
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
        assert_eq!(media_type_of(Some("application/octet-stream"), &jpeg, false).as_deref(), Some("image/jpeg"));
        let mut chunked = b"b\r\n".to_vec();
        chunked.extend_from_slice(&jpeg);
        assert_eq!(media_type_of(None, &chunked, true).as_deref(), Some("image/jpeg"));
    }

    #[test]
    fn names_of_extracted_files_come_from_the_url() {
        let m = |u: &str| ArchivedMedia {
            warc: String::new(),
            record_id: String::new(),
            record_type: "response",
            target_uri: u.into(),
            warc_date: String::new(),
            status: None,
            media_type: String::new(),
            size: 0,
            sha256: String::new(),
            payload_digest: None,
            payload_digest_check: String::new(),
            partial: false,
            truncated: None,
            content_encoding: None,
            staged: None,
        };
        assert_eq!(m("https://video.twimg.com/ext/clip.mp4?tag=12").file_name(), "clip.mp4");
        assert_eq!(m("https://example.org/").file_name(), "example.org");
        assert_eq!(m("urn:view:https://example.org/").file_name(), "example.org");
    }

    fn warc_record(headers: &str, block: &[u8]) -> Vec<u8> {
        let mut r = format!("WARC/1.1\r\n{headers}Content-Length: {}\r\n\r\n", block.len()).into_bytes();
        r.extend_from_slice(block);
        r.extend_from_slice(b"\r\n\r\n");
        r
    }

    #[test]
    fn a_record_with_a_bad_date_is_skipped_and_the_next_one_still_read() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 2, 3];
        let mut http = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n\r\n".to_vec();
        http.extend_from_slice(&jpeg);
        let mut warc = warc_record(
            "WARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\nWARC-Date: yesterday\r\nContent-Type: application/http; msgtype=response\r\n",
            &http,
        );
        warc.extend(warc_record(
            "WARC-Type: response\r\nWARC-Record-ID: <urn:uuid:2>\r\nWARC-Date: 2026-03-14T14:05:09.123456Z\r\nWARC-Target-URI: https://e.org/a.jpg\r\nContent-Type: application/http; msgtype=response\r\n",
            &http,
        ));
        let mut cap = Capture::default();
        scan_records(&warc[..], "archive/x.warc", None, Path::new("x.wacz"), &mut cap).unwrap();
        assert_eq!(cap.records, 2);
        assert!(cap.warnings[0].contains("record 1 skipped"), "{:?}", cap.warnings);
        assert_eq!(cap.media.len(), 1);
        let m = &cap.media[0];
        assert_eq!(
            (m.target_uri.as_str(), m.warc_date.as_str()),
            ("https://e.org/a.jpg", "2026-03-14T14:05:09.123456Z")
        );
        assert_eq!((m.size, m.sha256.clone()), (jpeg.len() as u64, hex::encode(sha2::Sha256::digest(jpeg))));
        assert_eq!(m.payload_digest_check, "not recorded");
    }

    #[test]
    fn a_header_value_that_is_not_utf8_is_read_lossily_not_a_panic() {
        // Found by the wacz_read fuzz target: the warc crate's Record::header
        // unwraps from_utf8 on such a value.
        let mut http = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n".to_vec();
        http.extend_from_slice(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        let mut headers = b"WARC-Type: response\r\nWARC-Record-ID: <urn:uuid:3>\r\nWARC-Date: 2026-03-14T14:05:09Z\r\nWARC-Target-URI: https://e.org/p.png\r\nWARC-Payload-Digest: sha1:PGWP\x9a3S\r\nContent-Type: application/http; msgtype=response\r\n".to_vec();
        let mut warc = b"WARC/1.0\r\n".to_vec();
        warc.append(&mut headers);
        warc.extend_from_slice(format!("Content-Length: {}\r\n\r\n", http.len()).as_bytes());
        warc.extend_from_slice(&http);
        warc.extend_from_slice(b"\r\n\r\n");
        let mut cap = Capture::default();
        scan_records(&warc[..], "archive/x.warc", None, Path::new("x.wacz"), &mut cap).unwrap();
        assert_eq!(cap.media.len(), 1, "{:?}", cap.warnings);
        assert_eq!(cap.media[0].payload_digest_check, "mismatch");
        // Cut anywhere, the same WARC is reported, never a panic or a hang.
        for cut in 0..warc.len() {
            let mut cap = Capture::default();
            scan_records(&warc[..cut], "archive/x.warc", None, Path::new("x.wacz"), &mut cap).unwrap();
            assert!(
                cap.media.is_empty() || cut >= warc.len() - 4 || cap.warnings.iter().any(|w| w.contains("damaged"))
            );
        }
    }

    /// Inputs the fuzzer found (tests/data/fuzz/wacz_read): each is read
    /// (with extraction into a scratch store) without a panic, within 60 s.
    #[test]
    fn fuzz_regressions_finish() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz/wacz_read");
        let inputs: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert!(!inputs.is_empty());
        for p in inputs {
            let (tx, rx) = std::sync::mpsc::channel();
            let path = p.clone();
            std::thread::spawn(move || {
                let scratch = tempfile::tempdir().unwrap();
                let store = Store::open(scratch.path().join("objects")).unwrap();
                tx.send(read(&path, &path, Some(&store)).map(|c| c.media.len()).map_err(|e| e.to_string()))
            });
            let got = rx.recv_timeout(std::time::Duration::from_secs(60));
            assert!(got.is_ok(), "reading {} did not finish within 60 s (or panicked)", p.display());
        }
    }

    #[test]
    fn decompression_is_bounded_by_the_compressed_size() {
        let mut out = Vec::new();
        let e = Budget { inner: &[0u8; 100][..], left: 10 }.read_to_end(&mut out).unwrap_err();
        assert!(e.to_string().contains("decompression bomb"), "{e}");
        assert_eq!(out.len(), 10);
        assert_eq!(max_expansion(1 << 20), (200 << 20) + (64 << 20));
        assert_eq!(max_expansion(u64::MAX), u64::MAX);
    }

    #[test]
    fn garbage_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.wacz");
        std::fs::write(&p, b"PK\x03\x04 not really").unwrap();
        let e = read(&p, &p, None).unwrap_err().to_string();
        assert!(e.contains("bad.wacz") && e.contains("ZIP"), "{e}");
    }
}
