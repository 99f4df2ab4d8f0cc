-- The insight counters count by the installation's local days and hours (its time zone,
-- `serve --timezone`), not by UTC ones: `day` columns hold the day number of the local date
-- (days since 1970-01-01), `insight_hourly.hour` the local day number * 24 + the local hour.
-- Instants stay as they were everywhere: BIGINT milliseconds since the epoch, UTC.
--
-- Every counter kept so far was keyed by UTC days, which is what this migration records. When
-- the server starts in another zone, the store rebuilds every counter from the events and tickets
-- for it, in one transaction, and records the new zone here (src/store/sqlite/rebuild.rs).

-- The zone the counters are keyed in.
CREATE TABLE insight_zone (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL                     -- an IANA name: 'UTC', 'America/New_York'
);

INSERT INTO insight_zone (id, name) VALUES (1, 'UTC');

-- That zone's offset from UTC from each instant on, as the time zone database (jiff's, in the
-- binary) gives it, for the triggers below, which cannot ask jiff: the offset at an instant is
-- that of the latest row starting at or before it. Written by the store with the zone.
CREATE TABLE insight_zone_offsets (
    from_at   BIGINT PRIMARY KEY,          -- milliseconds since the epoch; the first row is the smallest BIGINT
    offset_ms BIGINT NOT NULL
);

INSERT INTO insight_zone_offsets (from_at, offset_ms) VALUES (-9223372036854775808, 0);

-- Tickets opened per local day: the triggers of migration 20261206000003, with the day taken in
-- the zone above.
DROP TRIGGER insight_tickets_insert;
DROP TRIGGER insight_tickets_delete;
DROP TRIGGER insight_tickets_update;

CREATE TRIGGER insight_tickets_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO insight_tickets (day, problem_id, outcome_kind, tickets)
    VALUES ((NEW.created_at + (SELECT o.offset_ms FROM insight_zone_offsets o WHERE o.from_at <= NEW.created_at
                               ORDER BY o.from_at DESC LIMIT 1)) / 86400000,
            NEW.problem_id, NEW.outcome_kind, 1)
    ON CONFLICT (day, problem_id, outcome_kind) DO UPDATE SET tickets = tickets + 1;
    -- The attempt the ticket's outcome event belongs to: the visit's latest attempt started
    -- before it, if of the same problem (a "something else" ticket, problem '', has none).
    UPDATE insight_attempts SET ticket_opened = 1
    WHERE id = (SELECT a.id FROM insight_attempts a
                WHERE a.visit_id = NEW.visit_id
                  AND a.seq < (SELECT e.seq FROM visit_events e WHERE e.id = NEW.outcome_event_id)
                ORDER BY a.seq DESC LIMIT 1)
      AND problem_id = NEW.problem_id
      AND outcome_kind IN ('iims-support', 'account-manager', 'guide-ended')
      AND ticket_opened = 0;
END;

CREATE TRIGGER insight_tickets_delete AFTER DELETE ON tickets
BEGIN
    UPDATE insight_tickets SET tickets = tickets - 1
    WHERE day = (OLD.created_at + (SELECT o.offset_ms FROM insight_zone_offsets o WHERE o.from_at <= OLD.created_at
                                   ORDER BY o.from_at DESC LIMIT 1)) / 86400000
      AND problem_id = OLD.problem_id AND outcome_kind = OLD.outcome_kind;
END;

CREATE TRIGGER insight_tickets_update AFTER UPDATE OF created_at, problem_id, outcome_kind ON tickets
WHEN OLD.created_at IS NOT NEW.created_at OR OLD.problem_id IS NOT NEW.problem_id
  OR OLD.outcome_kind IS NOT NEW.outcome_kind
BEGIN
    UPDATE insight_tickets SET tickets = tickets - 1
    WHERE day = (OLD.created_at + (SELECT o.offset_ms FROM insight_zone_offsets o WHERE o.from_at <= OLD.created_at
                                   ORDER BY o.from_at DESC LIMIT 1)) / 86400000
      AND problem_id = OLD.problem_id AND outcome_kind = OLD.outcome_kind;
    INSERT INTO insight_tickets (day, problem_id, outcome_kind, tickets)
    VALUES ((NEW.created_at + (SELECT o.offset_ms FROM insight_zone_offsets o WHERE o.from_at <= NEW.created_at
                               ORDER BY o.from_at DESC LIMIT 1)) / 86400000,
            NEW.problem_id, NEW.outcome_kind, 1)
    ON CONFLICT (day, problem_id, outcome_kind) DO UPDATE SET tickets = tickets + 1;
END;
