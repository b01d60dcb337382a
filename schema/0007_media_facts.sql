-- Issue 12: more facts from the file itself, and every fact with its source.
-- The main columns hold the chosen value of each fact (captured_at keeps its
-- UTC offset in its RFC 3339 text when the file gives one); `facts` is the JSON
-- list of every fact read, [{"field", "value", "source"}], conflicting ones
-- included; `c2pa` is the JSON summary of a Content Credentials manifest
-- (NULL when the file has none). REAL columns travel as strings in custody
-- snapshots, like gps_lat/gps_lon. Every new column is NULL for files
-- registered before this migration (`facts` NULL reads as no facts): their
-- creation events carry no such keys, and audit's replay reads a missing key
-- as null, so old catalogs still audit clean and a later change to these
-- columns is still caught.
ALTER TABLE file ADD COLUMN lens TEXT;
ALTER TABLE file ADD COLUMN gps_alt REAL;
ALTER TABLE file ADD COLUMN gps_direction REAL;
ALTER TABLE file ADD COLUMN frame_rate REAL;
ALTER TABLE file ADD COLUMN rotation INTEGER;
ALTER TABLE file ADD COLUMN facts TEXT;
ALTER TABLE file ADD COLUMN c2pa TEXT;
