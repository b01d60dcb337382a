-- evcat catalog schema, migration 8: page metadata of imported articles, and where links
-- came from (issue 14).
--
-- article.lang, modified_at and canonical_url are what an HTML page says about itself;
-- meta_sources maps each metadata field to the tag its value came from
-- ({"title": {"source": "meta og:title"}, "url": {"source": "--url", "page": {"source":
-- "link rel=canonical", "value": "https://..."}}}); articles.sources keeps saying user / file.
-- link.origin: manual (evcat link), detected (a sentence rule), embedded (an embedded post or
-- media item, or an in-text link to a post, of the article page). NULL for links made before
-- this migration. All new columns are nullable with no default: old rows keep NULL, their
-- creation events carry no such keys, and replay reads a missing key as null, so a rebuilt row
-- equals the stored one (a non-null default would differ from the replayed null and audit would
-- report every old article). meta_sources NULL reads as no sources.
ALTER TABLE article ADD COLUMN lang TEXT;
ALTER TABLE article ADD COLUMN modified_at TEXT;
ALTER TABLE article ADD COLUMN canonical_url TEXT;
ALTER TABLE article ADD COLUMN meta_sources TEXT;
ALTER TABLE link ADD COLUMN origin TEXT CHECK (origin IS NULL OR origin IN ('manual','detected','embedded'));
CREATE INDEX evidence_platform_id ON evidence(platform, platform_id);
