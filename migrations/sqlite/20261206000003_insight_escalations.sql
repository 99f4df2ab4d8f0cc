-- Escalations as tickets opened, and attempts that reached a contact point and left without
-- sending the form (definitions: docs/INSIGHTS.md). Both are kept by triggers on the tickets
-- table, so every way a ticket is opened (the form, the synthetic loader) keeps them exact in
-- the same transaction, and the insights page still reads a few thousand counters.

-- Tickets opened per UTC day of opening, problem ('' for a problem not in the guide) and
-- escalation kind: every "escalated" figure, which therefore adds up to the tickets table.
CREATE TABLE insight_tickets (
    day          BIGINT NOT NULL,
    problem_id   TEXT NOT NULL,
    outcome_kind TEXT NOT NULL,
    tickets      BIGINT NOT NULL,
    PRIMARY KEY (day, problem_id, outcome_kind)
);

-- 1 once a ticket was opened from the attempt: from its escalating outcome, or from an ending
-- the customer reached after it within the same attempt.
ALTER TABLE insight_attempts ADD COLUMN ticket_opened INTEGER NOT NULL DEFAULT 0;

-- Attempts with an escalating outcome from which a ticket was opened, per UTC day the attempt
-- started, problem and outcome kind. "Reached a contact point and left" is the attempts with
-- that outcome (insight_daily) less these.
CREATE TABLE insight_contacts_sent (
    day          BIGINT NOT NULL,
    problem_id   TEXT NOT NULL,
    outcome_kind TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    PRIMARY KEY (day, problem_id, outcome_kind)
);

CREATE TRIGGER insight_tickets_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO insight_tickets (day, problem_id, outcome_kind, tickets)
    VALUES (NEW.created_at / 86400000, NEW.problem_id, NEW.outcome_kind, 1)
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

-- Tickets are never deleted nor moved to another day, problem or kind; should that change, the
-- counter follows.
CREATE TRIGGER insight_tickets_delete AFTER DELETE ON tickets
BEGIN
    UPDATE insight_tickets SET tickets = tickets - 1
    WHERE day = OLD.created_at / 86400000 AND problem_id = OLD.problem_id AND outcome_kind = OLD.outcome_kind;
END;

CREATE TRIGGER insight_tickets_update AFTER UPDATE OF created_at, problem_id, outcome_kind ON tickets
WHEN OLD.created_at IS NOT NEW.created_at OR OLD.problem_id IS NOT NEW.problem_id
  OR OLD.outcome_kind IS NOT NEW.outcome_kind
BEGIN
    UPDATE insight_tickets SET tickets = tickets - 1
    WHERE day = OLD.created_at / 86400000 AND problem_id = OLD.problem_id AND outcome_kind = OLD.outcome_kind;
    INSERT INTO insight_tickets (day, problem_id, outcome_kind, tickets)
    VALUES (NEW.created_at / 86400000, NEW.problem_id, NEW.outcome_kind, 1)
    ON CONFLICT (day, problem_id, outcome_kind) DO UPDATE SET tickets = tickets + 1;
END;

CREATE TRIGGER insight_attempts_ticket_opened AFTER UPDATE OF ticket_opened ON insight_attempts
WHEN OLD.ticket_opened = 0 AND NEW.ticket_opened = 1
BEGIN
    INSERT INTO insight_contacts_sent (day, problem_id, outcome_kind, attempts)
    VALUES (NEW.day, NEW.problem_id, NEW.outcome_kind, 1)
    ON CONFLICT (day, problem_id, outcome_kind) DO UPDATE SET attempts = attempts + 1;
END;

-- Backfill from the tickets already opened, by the rules the triggers apply.
-- (`Store::rebuild_insights` runs everything below this line again, after the first insights
-- migration's backfill, on emptied tables.)

INSERT INTO insight_tickets (day, problem_id, outcome_kind, tickets)
SELECT created_at / 86400000, problem_id, outcome_kind, COUNT(*) FROM tickets
GROUP BY created_at / 86400000, problem_id, outcome_kind;

-- The attempt each ticket was opened from, as the trigger above finds it (ticket by ticket:
-- there is no index on tickets by visit), then marked all at once, which fills
-- insight_contacts_sent through the trigger on insight_attempts.
CREATE TEMP TABLE insight_sent_attempts AS
SELECT DISTINCT a.id
FROM (SELECT t.problem_id,
             (SELECT b.id FROM insight_attempts b WHERE b.visit_id = t.visit_id AND b.seq < e.seq
              ORDER BY b.seq DESC LIMIT 1) AS attempt_id
      FROM tickets t JOIN visit_events e ON e.id = t.outcome_event_id) x
JOIN insight_attempts a ON a.id = x.attempt_id AND a.problem_id = x.problem_id
WHERE a.outcome_kind IN ('iims-support', 'account-manager', 'guide-ended');

UPDATE insight_attempts SET ticket_opened = 1 WHERE id IN (SELECT id FROM insight_sent_attempts);

DROP TABLE insight_sent_attempts;
