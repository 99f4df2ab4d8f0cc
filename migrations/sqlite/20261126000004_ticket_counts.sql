-- What the console's busiest pages read on every view, kept up to date instead of computed:
-- the queue's counts per status, and a number that tells when the list of managers changed.
-- Triggers keep both exact on every write, whichever code path (or process) makes it.
-- Portable SQL apart from the triggers, which each backend writes in its own dialect.

-- The queue's counts: counting the tickets on every view read all of them (100,000 rows for one
-- page). One row per combination of the queue's non-search filters and status; the queue sums
-- the rows its filters match (src/store/queue.rs).

CREATE TABLE ticket_counts (
    problem_id   TEXT NOT NULL,
    outcome_kind TEXT NOT NULL,
    assignee_id  TEXT NOT NULL,            -- '' for unassigned (a key column cannot be NULL)
    status       TEXT NOT NULL,
    tickets      BIGINT NOT NULL,
    PRIMARY KEY (problem_id, outcome_kind, assignee_id, status)
);

INSERT INTO ticket_counts (problem_id, outcome_kind, assignee_id, status, tickets)
SELECT problem_id, outcome_kind, COALESCE(assignee_id, ''), status, COUNT(*)
FROM tickets
GROUP BY problem_id, outcome_kind, COALESCE(assignee_id, ''), status;

CREATE TRIGGER ticket_counts_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO ticket_counts (problem_id, outcome_kind, assignee_id, status, tickets)
    VALUES (NEW.problem_id, NEW.outcome_kind, COALESCE(NEW.assignee_id, ''), NEW.status, 1)
    ON CONFLICT (problem_id, outcome_kind, assignee_id, status) DO UPDATE SET tickets = tickets + 1;
END;

CREATE TRIGGER ticket_counts_delete AFTER DELETE ON tickets
BEGIN
    UPDATE ticket_counts SET tickets = tickets - 1
    WHERE problem_id = OLD.problem_id AND outcome_kind = OLD.outcome_kind
      AND assignee_id = COALESCE(OLD.assignee_id, '') AND status = OLD.status;
    -- Rows that reach zero go, so the table holds only combinations that exist.
    DELETE FROM ticket_counts
    WHERE problem_id = OLD.problem_id AND outcome_kind = OLD.outcome_kind
      AND assignee_id = COALESCE(OLD.assignee_id, '') AND status = OLD.status AND tickets = 0;
END;

-- Only a change of a counted column moves a ticket between rows; the far more frequent writes
-- that leave them alone (updated_at, revision) do not fire it.
CREATE TRIGGER ticket_counts_update AFTER UPDATE OF problem_id, outcome_kind, assignee_id, status ON tickets
WHEN OLD.problem_id IS NOT NEW.problem_id OR OLD.outcome_kind IS NOT NEW.outcome_kind
  OR OLD.assignee_id IS NOT NEW.assignee_id OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE ticket_counts SET tickets = tickets - 1
    WHERE problem_id = OLD.problem_id AND outcome_kind = OLD.outcome_kind
      AND assignee_id = COALESCE(OLD.assignee_id, '') AND status = OLD.status;
    DELETE FROM ticket_counts
    WHERE problem_id = OLD.problem_id AND outcome_kind = OLD.outcome_kind
      AND assignee_id = COALESCE(OLD.assignee_id, '') AND status = OLD.status AND tickets = 0;
    INSERT INTO ticket_counts (problem_id, outcome_kind, assignee_id, status, tickets)
    VALUES (NEW.problem_id, NEW.outcome_kind, COALESCE(NEW.assignee_id, ''), NEW.status, 1)
    ON CONFLICT (problem_id, outcome_kind, assignee_id, status) DO UPDATE SET tickets = tickets + 1;
END;

-- Bumped by every change to a manager account, so a server can keep the list of managers in
-- memory and read it again only when this number moved (src/store/managers.rs). A change made by
-- another process, such as `helpdesk manager add`, moves it too.
CREATE TABLE manager_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);

INSERT INTO manager_generation (id, generation) VALUES (1, 1);

CREATE TRIGGER manager_generation_insert AFTER INSERT ON managers
BEGIN
    UPDATE manager_generation SET generation = generation + 1;
END;

CREATE TRIGGER manager_generation_update AFTER UPDATE ON managers
BEGIN
    UPDATE manager_generation SET generation = generation + 1;
END;

CREATE TRIGGER manager_generation_delete AFTER DELETE ON managers
BEGIN
    UPDATE manager_generation SET generation = generation + 1;
END;
