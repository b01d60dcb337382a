-- evcat catalog schema, migration 11: acquisition as archivists do it (issue 13).
--
-- evidence.author_id: the platform's id of the account (yt-dlp `uploader_id`,
-- gallery-dl `author.id`, Instaloader `owner.id`). With the platform and the
-- post id it is the stable key that makes a second download of the same post
-- a new capture of the same evidence item instead of a new item.
--
-- file.acquisition: the record an acquisition tool left (a downloader
-- sidecar, a WACZ, a foreign bag's bag-info.txt, a hashdeep list), as JSON
-- {"format", "record": {"name", "sha256"}?, "fields": {NAME: TEXT}}: the facts
-- without a column of their own (yt-dlp's original_url and live_status, a
-- bag's External-Identifier, a WARC record's WARC-Target-URI ...). Both are
-- logged columns, NULL for rows made before this migration.

ALTER TABLE evidence ADD COLUMN author_id TEXT;
ALTER TABLE file ADD COLUMN acquisition TEXT;

CREATE INDEX evidence_post ON evidence(platform, platform_id);
