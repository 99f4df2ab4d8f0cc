-- Retention: a visit that led to no ticket is deleted, with its events, once its last event is
-- older than the installation keeps visits (`serve --keep-visits-days`, 90 days unless set;
-- src/store/sqlite/retention.rs). The insights keep counting it:
--   - the counters (insight_daily, insight_hourly) are not touched;
--   - its attempts stay in insight_attempts, which holds no personal data (a problem, the steps
--     reached, instants) and from which "abandoned" is read; their visit_id becomes NULL, so a
--     rebuild of the counters (another time zone) counts them from their rows, having no events
--     to replay.
-- So insight_attempts.visit_id may no longer reference visits: the table is rebuilt without that
-- foreign key. The trigger on tickets that reads it goes first (SQLite checks every trigger's
-- tables when one is renamed) and is made again, unchanged, at the end.

DROP TRIGGER insight_tickets_insert;

CREATE TABLE insight_attempts_kept (
    id            INTEGER PRIMARY KEY,     -- the symptom event's id
    visit_id      TEXT,                    -- NULL once retention deleted the visit
    seq           INTEGER NOT NULL,        -- the symptom event's seq within the visit
    problem_id    TEXT NOT NULL,
    day           BIGINT NOT NULL,         -- local day the attempt started
    started_at    BIGINT NOT NULL,
    last_at       BIGINT NOT NULL,         -- the latest of its events
    step_id       TEXT NOT NULL,           -- where the customer is: the step or ending last reached
    via_step      TEXT,                    -- the step whose choice led to step_id, if the last move was a choice
    steps         TEXT NOT NULL,           -- every step and ending reached, as |a|b|c|
    outcome_kind  TEXT,                    -- NULL while the attempt has no outcome
    outcome_step  TEXT,                    -- the step whose choice led to the outcome
    ended_at      BIGINT,
    ticket_opened INTEGER NOT NULL DEFAULT 0
);

INSERT INTO insight_attempts_kept (id, visit_id, seq, problem_id, day, started_at, last_at, step_id,
                                   via_step, steps, outcome_kind, outcome_step, ended_at, ticket_opened)
SELECT id, visit_id, seq, problem_id, day, started_at, last_at, step_id,
       via_step, steps, outcome_kind, outcome_step, ended_at, ticket_opened
FROM insight_attempts;

DROP TABLE insight_attempts;
ALTER TABLE insight_attempts_kept RENAME TO insight_attempts;

CREATE UNIQUE INDEX insight_attempts_by_visit ON insight_attempts (visit_id, seq);
CREATE INDEX insight_attempts_open ON insight_attempts (day, problem_id, step_id, last_at)
    WHERE outcome_kind IS NULL;

CREATE TRIGGER insight_attempts_ticket_opened AFTER UPDATE OF ticket_opened ON insight_attempts
WHEN OLD.ticket_opened = 0 AND NEW.ticket_opened = 1
BEGIN
    INSERT INTO insight_contacts_sent (day, problem_id, outcome_kind, attempts)
    VALUES (NEW.day, NEW.problem_id, NEW.outcome_kind, 1)
    ON CONFLICT (day, problem_id, outcome_kind) DO UPDATE SET attempts = attempts + 1;
END;

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

-- What retention has done. Event ids are never given twice: the next event's id is one past the
-- highest ever recorded, deleted ones included, so an attempt kept above never shares its id
-- with a later symptom.
CREATE TABLE visit_retention (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    highest_event_id BIGINT NOT NULL,      -- the highest id of any event deleted (0: none)
    visits_deleted   BIGINT NOT NULL,      -- visits deleted in all
    last_run_at      BIGINT                -- when retention last deleted anything
);

INSERT INTO visit_retention (id, highest_event_id, visits_deleted, last_run_at) VALUES (1, 0, 0, NULL);

-- Finding the old visits without a ticket: visits by age, tickets by visit.
CREATE INDEX visits_by_start ON visits (started_at);
CREATE INDEX tickets_by_visit ON tickets (visit_id);
