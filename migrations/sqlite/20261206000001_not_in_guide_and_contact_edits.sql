-- Two new values that older CHECK constraints refuse:
--   tickets.outcome_kind  'not-in-guide': the customer's problem is not one of the guide's
--                         symptoms ("something else" on the home page);
--   ticket_audit.action   'contact': the customer's contact details were corrected (by the
--                         customer from their status page, or by a manager).
--
-- SQLite cannot change a CHECK constraint in place, and sqlx runs every migration inside a
-- transaction, where foreign keys cannot be switched off. So the tables are rebuilt in an order
-- that never leaves a reference dangling: the parent is renamed (SQLite points its children at
-- the new name), a new parent is filled, each child is rebuilt against the new parent, and only
-- then is the old parent, by now unreferenced, dropped.

-- The triggers that keep ticket_counts exact follow the table when it is renamed; they go, and
-- are made again on the new table below.
DROP TRIGGER ticket_counts_insert;
DROP TRIGGER ticket_counts_delete;
DROP TRIGGER ticket_counts_update;

ALTER TABLE tickets RENAME TO tickets_old;

CREATE TABLE tickets (
    id               TEXT PRIMARY KEY,     -- UUID v4
    number           INTEGER NOT NULL UNIQUE,  -- shown as IIMS-000123
    status_token     TEXT NOT NULL UNIQUE,     -- the customer's unguessable status link
    visit_id         TEXT NOT NULL REFERENCES visits (id),
    outcome_event_id INTEGER NOT NULL UNIQUE REFERENCES visit_events (id),
    guide_version    TEXT NOT NULL REFERENCES guide_versions (version),
    problem_id       TEXT NOT NULL,            -- '' for a problem not in the guide
    ending_id        TEXT NOT NULL,
    outcome_kind     TEXT NOT NULL
                     CHECK (outcome_kind IN ('iims-support', 'account-manager', 'guide-ended', 'not-in-guide')),
    reason           TEXT NOT NULL,
    customer_name    TEXT NOT NULL,
    customer_email   TEXT NOT NULL,
    customer_phone   TEXT,
    customer_account TEXT,
    email_program    TEXT NOT NULL,
    description      TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'new'
                     CHECK (status IN ('new', 'in-progress', 'waiting-on-customer', 'resolved', 'closed')),
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    assignee_id      TEXT REFERENCES managers (id),
    revision         INTEGER NOT NULL DEFAULT 1
);

INSERT INTO tickets (id, number, status_token, visit_id, outcome_event_id, guide_version, problem_id,
                     ending_id, outcome_kind, reason, customer_name, customer_email, customer_phone,
                     customer_account, email_program, description, status, created_at, updated_at,
                     assignee_id, revision)
SELECT id, number, status_token, visit_id, outcome_event_id, guide_version, problem_id,
       ending_id, outcome_kind, reason, customer_name, customer_email, customer_phone,
       customer_account, email_program, description, status, created_at, updated_at,
       assignee_id, revision
FROM tickets_old;

-- The children, each rebuilt so it references the new table.

ALTER TABLE ticket_path RENAME TO ticket_path_old;
CREATE TABLE ticket_path (
    ticket_id     TEXT NOT NULL REFERENCES tickets (id),
    position      INTEGER NOT NULL,
    guide_version TEXT NOT NULL REFERENCES guide_versions (version),
    node_id       TEXT NOT NULL,
    shown_at      BIGINT NOT NULL,
    choice_index  INTEGER,                 -- NULL for the ending the path stopped at
    answered_at   BIGINT,
    PRIMARY KEY (ticket_id, position)
);
INSERT INTO ticket_path SELECT ticket_id, position, guide_version, node_id, shown_at, choice_index, answered_at
FROM ticket_path_old;
DROP TABLE ticket_path_old;

ALTER TABLE ticket_notes RENAME TO ticket_notes_old;
CREATE TABLE ticket_notes (
    id         INTEGER PRIMARY KEY,        -- BIGSERIAL on PostgreSQL
    ticket_id  TEXT NOT NULL REFERENCES tickets (id),
    author_id  TEXT NOT NULL REFERENCES managers (id),
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO ticket_notes SELECT id, ticket_id, author_id, body, created_at FROM ticket_notes_old;
DROP TABLE ticket_notes_old;

ALTER TABLE ticket_audit RENAME TO ticket_audit_old;
CREATE TABLE ticket_audit (
    id         INTEGER PRIMARY KEY,        -- BIGSERIAL on PostgreSQL
    ticket_id  TEXT NOT NULL REFERENCES tickets (id),
    at         BIGINT NOT NULL,
    actor_id   TEXT REFERENCES managers (id),   -- NULL: the system, or the customer
    action     TEXT NOT NULL CHECK (action IN ('opened', 'routed', 'status', 'assignee', 'note', 'contact')),
    before     TEXT,
    after      TEXT
);
INSERT INTO ticket_audit SELECT id, ticket_id, at, actor_id, action, before, after FROM ticket_audit_old;
DROP TABLE ticket_audit_old;

ALTER TABLE insight_resolutions RENAME TO insight_resolutions_old;
CREATE TABLE insight_resolutions (
    ticket_id   TEXT PRIMARY KEY REFERENCES tickets (id),
    problem_id  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    resolved_at BIGINT NOT NULL,
    hours       BIGINT NOT NULL            -- (resolved_at - created_at) / 3600000
);
INSERT INTO insight_resolutions SELECT ticket_id, problem_id, created_at, resolved_at, hours
FROM insight_resolutions_old;
DROP TABLE insight_resolutions_old;

-- Nothing references the old table any more.
DROP TABLE tickets_old;

-- Indexes, as the earlier migrations made them (they went with the tables they were on).
CREATE INDEX tickets_by_created ON tickets (created_at, id);
CREATE INDEX tickets_queue ON tickets (created_at DESC, number DESC);
CREATE INDEX tickets_queue_by_status ON tickets (status, created_at DESC, number DESC);
CREATE INDEX tickets_queue_by_assignee ON tickets (assignee_id, created_at DESC, number DESC);
CREATE INDEX tickets_queue_by_kind ON tickets (outcome_kind, created_at DESC, number DESC);
CREATE INDEX tickets_queue_by_problem ON tickets (problem_id, created_at DESC, number DESC);
CREATE INDEX ticket_notes_by_ticket ON ticket_notes (ticket_id, created_at);
CREATE INDEX ticket_audit_by_ticket ON ticket_audit (ticket_id, at, id);
CREATE INDEX insight_resolutions_by_hours ON insight_resolutions (hours, created_at, problem_id, resolved_at);

-- The ticket_counts triggers, unchanged.
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
    DELETE FROM ticket_counts
    WHERE problem_id = OLD.problem_id AND outcome_kind = OLD.outcome_kind
      AND assignee_id = COALESCE(OLD.assignee_id, '') AND status = OLD.status AND tickets = 0;
END;

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
