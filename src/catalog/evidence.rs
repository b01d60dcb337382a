//! Evidence items: a post, stream or photo as it exists in the world.

use std::collections::BTreeMap;

use rusqlite::types::Value as V;
use rusqlite::{params_from_iter, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{now, Catalog, RecordKind, Writer};
use crate::custody::Action;
use crate::error::{Error, Result};
use crate::ids::EvidenceId;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($variant:ident => $s:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($s $(| $alias)* => Ok($name::$variant),)+
                    _ => Err($crate::error::Error::invalid($what, s, format!(
                        "expected one of: {}",
                        [$($s),+].join(", ")
                    ))),
                }
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// What kind of thing the evidence is.
    EvidenceKind, "evidence kind" {
        Video => "video",
        Image => "image" | "photo",
        Audio => "audio",
        Document => "document",
        Web => "web" | "post",
        Other => "other",
    }
);

string_enum!(
    /// Whether we hold bytes for the evidence.
    EvidenceStatus, "evidence status" {
        Referenced => "referenced",
        Acquired => "acquired",
        Unavailable => "unavailable",
    }
);

string_enum!(
    /// Where the evidence was published.
    Platform, "platform" {
        Tiktok => "tiktok",
        Youtube => "youtube",
        X => "x" | "twitter",
        Facebook => "facebook",
        Instagram => "instagram",
        Telegram => "telegram",
        Twitch => "twitch",
        Reddit => "reddit",
        Snapchat => "snapchat",
        Parler => "parler",
        Rumble => "rumble",
        Whatsapp => "whatsapp",
        Vimeo => "vimeo",
        Threads => "threads",
        Bluesky => "bluesky" | "bsky",
        Web => "web",
        Other => "other",
    }
);

string_enum!(
    /// Where a provenance value came from. `sidecar`: the record a download
    /// tool wrote beside the file (yt-dlp's `.info.json`, gallery-dl's
    /// metadata, auto-archiver's `metadata.json`).
    Source, "field source" {
        User => "user",
        File => "file",
        Import => "import",
        Detected => "detected",
        Embedded => "embedded",
        Sidecar => "sidecar",
    }
);

impl From<crate::media::MediaKind> for EvidenceKind {
    fn from(k: crate::media::MediaKind) -> Self {
        use crate::media::MediaKind as M;
        match k {
            M::Image => EvidenceKind::Image,
            M::Video => EvidenceKind::Video,
            M::Audio => EvidenceKind::Audio,
            M::Document => EvidenceKind::Document,
            M::Other => EvidenceKind::Other,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub id: EvidenceId,
    pub kind: EvidenceKind,
    pub title: Option<String>,
    pub description: Option<String>,
    pub platform: Option<String>,
    pub source_url: Option<String>,
    pub platform_id: Option<String>,
    pub author_handle: Option<String>,
    pub posted_at: Option<String>,
    /// The platform's id of the account (stable where handles change).
    pub author_id: Option<String>,
    pub status: EvidenceStatus,
    /// Provenance field -> where its value came from.
    pub sources: BTreeMap<String, Source>,
    pub created_at: String,
}

/// The provenance a person (or an import) asserts about an evidence item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub title: Option<String>,
    pub description: Option<String>,
    pub platform: Option<Platform>,
    pub source_url: Option<String>,
    pub platform_id: Option<String>,
    pub author_handle: Option<String>,
    /// Already normalised with [`crate::timefmt::normalize_timestamp`].
    pub posted_at: Option<String>,
    /// The platform's id of the account.
    pub author_id: Option<String>,
}

impl Provenance {
    pub fn is_empty(&self) -> bool {
        *self == Provenance::default()
    }

    fn fields(&self) -> [(ProvenanceField, Option<String>); 8] {
        use ProvenanceField as F;
        [
            (F::Title, self.title.clone()),
            (F::Description, self.description.clone()),
            (F::Platform, self.platform.map(|p| p.to_string())),
            (F::SourceUrl, self.source_url.clone()),
            (F::PlatformId, self.platform_id.clone()),
            (F::AuthorHandle, self.author_handle.clone()),
            (F::PostedAt, self.posted_at.clone()),
            (F::AuthorId, self.author_id.clone()),
        ]
    }

    /// Fill the fields `self` leaves empty from `other`; returns the fields taken.
    pub fn fill_from(&mut self, other: &Provenance) -> Vec<ProvenanceField> {
        use ProvenanceField as F;
        let mut taken = Vec::new();
        let mut fill = |mine: &mut Option<String>, theirs: &Option<String>, f: ProvenanceField| {
            if mine.is_none() && theirs.is_some() {
                *mine = theirs.clone();
                taken.push(f);
            }
        };
        fill(&mut self.title, &other.title, F::Title);
        fill(&mut self.description, &other.description, F::Description);
        fill(&mut self.source_url, &other.source_url, F::SourceUrl);
        fill(&mut self.platform_id, &other.platform_id, F::PlatformId);
        fill(&mut self.author_handle, &other.author_handle, F::AuthorHandle);
        fill(&mut self.posted_at, &other.posted_at, F::PostedAt);
        fill(&mut self.author_id, &other.author_id, F::AuthorId);
        if self.platform.is_none() && other.platform.is_some() {
            self.platform = other.platform;
            taken.push(F::Platform);
        }
        taken
    }
}

/// A provenance field of an evidence item. Its column name is known only to
/// this module; callers (the CLI's `--clear`, ingest's title source) name
/// fields with this type instead of strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProvenanceField {
    Title,
    Description,
    Platform,
    SourceUrl,
    PlatformId,
    AuthorHandle,
    PostedAt,
    AuthorId,
}

impl ProvenanceField {
    /// The column, which is also the key in row snapshots, `sources` and the
    /// `changed` list of an edit.
    pub fn column(self) -> &'static str {
        match self {
            ProvenanceField::Title => "title",
            ProvenanceField::Description => "description",
            ProvenanceField::Platform => "platform",
            ProvenanceField::SourceUrl => "source_url",
            ProvenanceField::PlatformId => "platform_id",
            ProvenanceField::AuthorHandle => "author_handle",
            ProvenanceField::PostedAt => "posted_at",
            ProvenanceField::AuthorId => "author_id",
        }
    }
}

impl std::fmt::Display for ProvenanceField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.column())
    }
}

/// What an edit does to one field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Leave the current value.
    #[default]
    Keep,
    Set(T),
    /// Remove the value (the column becomes NULL, its source is forgotten).
    Clear,
}

impl<T> Patch<T> {
    /// `Set` for a given value, `Keep` for none (an absent command-line flag).
    pub fn set_or_keep(value: Option<T>) -> Self {
        value.map_or(Patch::Keep, Patch::Set)
    }

    /// Becomes `Clear` unless it is `Set` (then unchanged: false).
    fn clear_unless_set(&mut self) -> bool {
        if matches!(self, Patch::Set(_)) {
            return false;
        }
        *self = Patch::Clear;
        true
    }

    fn map<U>(self, f: impl FnOnce(T) -> Result<U>) -> Result<Patch<U>> {
        Ok(match self {
            Patch::Keep => Patch::Keep,
            Patch::Set(v) => Patch::Set(f(v)?),
            Patch::Clear => Patch::Clear,
        })
    }
}

/// A change to an evidence item: a [`Patch`] per provenance field, and kind
/// and status, which can be changed but never cleared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvidenceEdit {
    pub kind: Option<EvidenceKind>,
    pub status: Option<EvidenceStatus>,
    pub title: Patch<String>,
    pub description: Patch<String>,
    pub platform: Patch<Platform>,
    pub source_url: Patch<String>,
    pub platform_id: Patch<String>,
    pub author_handle: Patch<String>,
    /// RFC 3339, 'YYYY-MM-DD HH:MM' (UTC) or YYYY-MM-DD; normalised with
    /// [`crate::timefmt::normalize_timestamp`] by the edit.
    pub posted_at: Patch<String>,
    pub author_id: Patch<String>,
}

impl EvidenceEdit {
    /// Clear `field`; refused when the same edit also sets it.
    pub fn clear(&mut self, field: ProvenanceField) -> Result<()> {
        use ProvenanceField as F;
        let cleared = match field {
            F::Title => self.title.clear_unless_set(),
            F::Description => self.description.clear_unless_set(),
            F::Platform => self.platform.clear_unless_set(),
            F::SourceUrl => self.source_url.clear_unless_set(),
            F::PlatformId => self.platform_id.clear_unless_set(),
            F::AuthorHandle => self.author_handle.clear_unless_set(),
            F::PostedAt => self.posted_at.clear_unless_set(),
            F::AuthorId => self.author_id.clear_unless_set(),
        };
        if cleared {
            Ok(())
        } else {
            Err(Error::invalid(
                "evidence edit",
                field.column(),
                "the field is both set and cleared; give one or the other",
            ))
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == EvidenceEdit::default()
    }

    /// The provenance patches as column text, `posted_at` normalised.
    fn column_patches(&self) -> Result<[(ProvenanceField, Patch<String>); 8]> {
        use ProvenanceField as F;
        Ok([
            (F::Title, self.title.clone()),
            (F::Description, self.description.clone()),
            (F::Platform, self.platform.clone().map(|p| Ok(p.to_string()))?),
            (F::SourceUrl, self.source_url.clone()),
            (F::PlatformId, self.platform_id.clone()),
            (F::AuthorHandle, self.author_handle.clone()),
            (F::PostedAt, self.posted_at.clone().map(|t| crate::timefmt::normalize_timestamp("posted-at", &t))?),
            (F::AuthorId, self.author_id.clone()),
        ])
    }
}

const SELECT: &str = "SELECT id, kind, title, description, platform, source_url, platform_id, author_handle, posted_at, status, sources, created_at, author_id FROM evidence";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Evidence> {
    let kind: String = r.get(1)?;
    let status: String = r.get(9)?;
    let sources: String = r.get(10)?;
    Ok(Evidence {
        id: EvidenceId(r.get(0)?),
        kind: kind.parse().unwrap_or(EvidenceKind::Other),
        title: r.get(2)?,
        description: r.get(3)?,
        platform: r.get(4)?,
        source_url: r.get(5)?,
        platform_id: r.get(6)?,
        author_handle: r.get(7)?,
        posted_at: r.get(8)?,
        author_id: r.get(12)?,
        status: status.parse().unwrap_or(EvidenceStatus::Referenced),
        sources: serde_json::from_str(&sources).unwrap_or_default(),
        created_at: r.get(11)?,
    })
}

fn text(v: Option<String>) -> V {
    v.map(V::Text).unwrap_or(V::Null)
}

fn sources_json(sources: &BTreeMap<String, Source>) -> String {
    // BTreeMap serialises with sorted keys, so the stored text is canonical.
    serde_json::to_string(sources).unwrap_or_else(|_| "{}".into())
}

/// The evidence item of a post: same platform and post id, and the same
/// account id where both sides know one (post ids are per account on some
/// platforms, e.g. Telegram message numbers).
pub(crate) fn by_post_in(conn: &rusqlite::Connection, prov: &Provenance) -> Result<Option<EvidenceId>> {
    let (Some(platform), Some(post)) = (prov.platform, prov.platform_id.as_deref()) else { return Ok(None) };
    let id = conn
        .prepare_cached(
            "SELECT id FROM evidence WHERE platform = ?1 AND platform_id = ?2
               AND (?3 IS NULL OR author_id IS NULL OR author_id = ?3) ORDER BY id LIMIT 1",
        )?
        .query_row(rusqlite::params![platform.as_str(), post, prov.author_id], |r| r.get::<_, i64>(0))
        .optional()?;
    Ok(id.map(EvidenceId))
}

/// Create an evidence item. `source` says where the provenance values came from.
pub(crate) fn create(
    w: &mut Writer<'_>,
    kind: EvidenceKind,
    status: EvidenceStatus,
    prov: &Provenance,
    source: Source,
    overrides: &[(ProvenanceField, Source)],
    extra: serde_json::Value,
) -> Result<EvidenceId> {
    let mut sources = BTreeMap::new();
    let mut cols: Vec<(&str, V)> = vec![("kind", V::Text(kind.to_string())), ("status", V::Text(status.to_string()))];
    for (field, value) in prov.fields() {
        if value.is_some() {
            let src = overrides.iter().find(|(f, _)| *f == field).map_or(source, |(_, s)| *s);
            sources.insert(field.column().to_string(), src);
        }
        cols.push((field.column(), text(value)));
    }
    cols.push(("sources", V::Text(sources_json(&sources))));
    cols.push(("created_at", V::Text(now())));
    let id = w.insert_row(RecordKind::Evidence, &cols, Action::Registered, None, extra)?;
    Ok(EvidenceId(id))
}

pub(crate) fn get_in(conn: &rusqlite::Connection, id: EvidenceId) -> Result<Evidence> {
    conn.prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
        .query_row([id.0], from_row)
        .optional()?
        .ok_or_else(|| Error::not_found(format!("evidence {id}")))
}

/// Apply an edit. Each changed field is logged with before/after; fields
/// given their current value are not logged.
pub(crate) fn edit(
    w: &mut Writer<'_>,
    id: EvidenceId,
    change: &EvidenceEdit,
    source: Source,
    reason: Option<&str>,
) -> Result<Vec<String>> {
    let current = get_in(&w.tx, id)?;
    if change.is_empty() {
        return Err(Error::invalid("evidence edit", id.to_string(), "give at least one field to change"));
    }
    let patches = change.column_patches()?;
    let mut sources = current.sources.clone();
    let mut cols: Vec<(&str, V)> = Vec::new();
    if let Some(k) = change.kind {
        cols.push(("kind", V::Text(k.to_string())));
    }
    if let Some(s) = change.status {
        cols.push(("status", V::Text(s.to_string())));
    }
    for (field, patch) in patches {
        let col = field.column();
        let value = match patch {
            Patch::Keep => continue,
            Patch::Set(v) => {
                sources.insert(col.to_string(), source);
                Some(v)
            }
            Patch::Clear => {
                sources.remove(col);
                None
            }
        };
        cols.push((col, text(value)));
    }
    cols.push(("sources", V::Text(sources_json(&sources))));
    let mut changed =
        w.update_row(RecordKind::Evidence, id.0, &cols, Action::Edited, reason, serde_json::Value::Null)?;
    changed.retain(|f| f != "sources");
    Ok(changed)
}

/// Mark referenced evidence as acquired (a file now backs it).
pub(crate) fn mark_acquired(w: &mut Writer<'_>, id: EvidenceId, file_sha256: &str) -> Result<()> {
    let current = get_in(&w.tx, id)?;
    if current.status != EvidenceStatus::Acquired {
        w.update_row(
            RecordKind::Evidence,
            id.0,
            &[("status", V::Text(EvidenceStatus::Acquired.to_string()))],
            Action::Acquired,
            None,
            serde_json::json!({ "file_sha256": file_sha256 }),
        )?;
    }
    Ok(())
}

/// Filters for `evcat list evidence`.
#[derive(Debug, Clone, Default)]
pub struct EvidenceFilter {
    pub kind: Option<EvidenceKind>,
    pub platform: Option<Platform>,
    pub status: Option<EvidenceStatus>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

impl Catalog {
    pub fn evidence(&self, id: EvidenceId) -> Result<Evidence> {
        get_in(self.conn(), id)
    }

    pub fn list_evidence(&self, f: &EvidenceFilter) -> Result<Vec<Evidence>> {
        let mut sql = format!("{SELECT} WHERE 1=1");
        let mut args: Vec<String> = Vec::new();
        if let Some(k) = f.kind {
            args.push(k.to_string());
            sql.push_str(&format!(" AND kind = ?{}", args.len()));
        }
        if let Some(p) = f.platform {
            args.push(p.to_string());
            sql.push_str(&format!(" AND platform = ?{}", args.len()));
        }
        if let Some(s) = f.status {
            args.push(s.to_string());
            sql.push_str(&format!(" AND status = ?{}", args.len()));
        }
        sql.push_str(&format!(
            " ORDER BY id LIMIT {} OFFSET {}",
            f.limit.map(|l| l.min(i64::MAX as u64) as i64).unwrap_or(-1),
            f.offset.unwrap_or(0).min(i64::MAX as u64)
        ));
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Record evidence that is known (a post, a URL) but not yet held.
    pub fn add_referenced_evidence(
        &mut self,
        kind: EvidenceKind,
        prov: &Provenance,
        note: Option<&str>,
    ) -> Result<EvidenceId> {
        self.write(|w| {
            create(
                w,
                kind,
                EvidenceStatus::Referenced,
                prov,
                Source::User,
                &[],
                note.map(|n| serde_json::json!({ "note": n })).unwrap_or(serde_json::Value::Null),
            )
        })
    }

    /// Change fields of an evidence item; returns the changed fields' names
    /// (empty when every value was already as given: nothing is logged then).
    pub fn edit_evidence(
        &mut self,
        id: EvidenceId,
        changes: &EvidenceEdit,
        reason: Option<&str>,
    ) -> Result<Vec<String>> {
        self.write(|w| edit(w, id, changes, Source::User, reason))
    }
}

/// An evidence item already recorded for this post: same platform and platform id, same
/// canonical URL, or a recorded URL that is another spelling of it (`twitter.com` for
/// `x.com`, `youtu.be`, tracking parameters). Oldest first.
pub(crate) fn find_by_url(
    conn: &rusqlite::Connection,
    platform: Option<&str>,
    platform_id: Option<&str>,
    url: &str,
) -> Result<Option<EvidenceId>> {
    let direct: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM evidence WHERE source_url = ?3 OR (?1 IS NOT NULL AND ?2 IS NOT NULL AND platform = ?1 AND platform_id = ?2) ORDER BY id LIMIT 1",
        )?
        .query_row(rusqlite::params![platform, platform_id, url], |r| r.get(0))
        .optional()?;
    if let Some(id) = direct {
        return Ok(Some(EvidenceId(id)));
    }
    // Other spellings hold the post id: scan only the rows whose URL contains it.
    let Some(pid) = platform_id else { return Ok(None) };
    let mut stmt = conn.prepare_cached(
        "SELECT id, source_url FROM evidence WHERE source_url IS NOT NULL AND instr(source_url, ?1) > 0 ORDER BY id",
    )?;
    let rows = stmt.query_map([pid], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (id, u) = row?;
        if crate::articles::embeds::canonical(&u, None).is_some_and(|m| m.url == url) {
            return Ok(Some(EvidenceId(id)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        let cat = Catalog::init(&dir.path().join("cat"), "tester", None).unwrap();
        (dir, cat)
    }

    #[test]
    fn patches_set_clear_and_keep_fields_and_their_sources() {
        let (_dir, mut cat) = catalog();
        let prov = Provenance {
            title: Some("Quay clip".into()),
            platform: Some(Platform::Tiktok),
            author_handle: Some("@a".into()),
            ..Default::default()
        };
        let id = cat.add_referenced_evidence(EvidenceKind::Video, &prov, None).unwrap();
        let mut edit = EvidenceEdit {
            platform: Patch::Set(Platform::X),
            posted_at: Patch::Set("2026-03-14 13:52".into()),
            status: Some(EvidenceStatus::Unavailable),
            ..Default::default()
        };
        edit.clear(ProvenanceField::AuthorHandle).unwrap();
        let changed = cat.edit_evidence(id, &edit, Some("checked the post")).unwrap();
        assert_eq!(changed, ["author_handle", "platform", "posted_at", "status"]);
        let ev = cat.evidence(id).unwrap();
        assert_eq!(ev.title.as_deref(), Some("Quay clip"), "Keep leaves the value");
        assert_eq!(ev.platform.as_deref(), Some("x"));
        assert_eq!(ev.posted_at.as_deref(), Some("2026-03-14T13:52:00Z"), "normalised by the edit");
        assert_eq!(ev.author_handle, None);
        assert_eq!(ev.status, EvidenceStatus::Unavailable);
        assert!(!ev.sources.contains_key("author_handle"), "a cleared field has no source");
        assert_eq!(ev.sources.get("posted_at"), Some(&Source::User));
    }

    #[test]
    fn a_field_cannot_be_set_and_cleared_at_once() {
        let mut edit = EvidenceEdit { source_url: Patch::Set("https://example.org/p/1".into()), ..Default::default() };
        let err = edit.clear(ProvenanceField::SourceUrl).unwrap_err();
        assert!(err.to_string().contains("source_url"), "{err}");
        assert_eq!(edit.source_url, Patch::Set("https://example.org/p/1".into()), "the set value is kept");
        edit.clear(ProvenanceField::Title).unwrap();
        edit.clear(ProvenanceField::Title).unwrap();
        assert_eq!(edit.title, Patch::Clear, "clearing twice is clearing");
    }

    #[test]
    fn empty_edits_and_bad_times_are_refused_before_anything_is_logged() {
        let (_dir, mut cat) = catalog();
        let id = cat.add_referenced_evidence(EvidenceKind::Web, &Provenance::default(), None).unwrap();
        let head = crate::catalog::log::head(&cat).unwrap();
        let err = cat.edit_evidence(id, &EvidenceEdit::default(), None).unwrap_err();
        assert!(err.to_string().contains("at least one field"), "{err}");
        let bad = EvidenceEdit { posted_at: Patch::Set("last tuesday".into()), ..Default::default() };
        let err = cat.edit_evidence(id, &bad, None).unwrap_err();
        assert!(err.to_string().contains("last tuesday"), "{err}");
        assert_eq!(crate::catalog::log::head(&cat).unwrap(), head);
        let missing = cat.edit_evidence(EvidenceId(99), &EvidenceEdit::default(), None).unwrap_err();
        assert!(missing.to_string().contains("E99"), "{missing}");
    }
}
