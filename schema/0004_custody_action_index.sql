-- `trace` and `show` ask for the last `verified` event; without this index that
-- is a scan of the whole log when no audit was ever recorded (74 ms at 220k events).
CREATE INDEX custody_action ON custody_event(action, seq);
