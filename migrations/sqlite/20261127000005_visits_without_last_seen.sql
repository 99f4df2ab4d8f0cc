-- A visit's last activity is its latest event (`visit_events.at`, found through the
-- `(visit_id, seq)` index); keeping a copy on the visit cost an extra row update on every click,
-- and nothing read it.
ALTER TABLE visits DROP COLUMN last_seen_at;
