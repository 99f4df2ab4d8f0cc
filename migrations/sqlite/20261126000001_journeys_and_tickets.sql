-- Guide versions, customer visits with their path events, and escalation tickets.
-- Portable SQL: text UUIDs, BIGINT milliseconds since the epoch, no SQLite-only types.

-- Every guide version ever served, so a path recorded today reads the same after the guide changes.
CREATE TABLE guide_versions (
    version         TEXT PRIMARY KEY,      -- hex SHA-256 of the guide file
    content         TEXT NOT NULL,
    first_served_at BIGINT NOT NULL
);

-- One visit per visit cookie.
CREATE TABLE visits (
    id           TEXT PRIMARY KEY,         -- UUID v4, the cookie's value
    csrf_token   TEXT NOT NULL,
    started_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);

-- The ordered events of a visit: symptom chosen, step shown, choice made, back, outcome reached.
CREATE TABLE visit_events (
    id            INTEGER PRIMARY KEY,     -- BIGSERIAL on PostgreSQL
    visit_id      TEXT NOT NULL REFERENCES visits (id),
    seq           INTEGER NOT NULL,        -- 1, 2, 3 ... within the visit
    at            BIGINT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('symptom', 'shown', 'choice', 'back', 'outcome')),
    guide_version TEXT NOT NULL REFERENCES guide_versions (version),
    problem_id    TEXT NOT NULL,
    node_id       TEXT NOT NULL,           -- the step shown, answered, left, or the ending reached
    choice_index  INTEGER,                 -- choice: which answer (0-based)
    next_id       TEXT,                    -- choice: where it led
    outcome_kind  TEXT,                    -- outcome: resolved, isp, iims-support, account-manager, guide-ended
    UNIQUE (visit_id, seq)
);

CREATE INDEX visit_events_by_time ON visit_events (at);

-- Escalation tickets: one per escalation outcome reached.
CREATE TABLE tickets (
    id               TEXT PRIMARY KEY,     -- UUID v4
    number           INTEGER NOT NULL UNIQUE,  -- shown as IIMS-000123
    status_token     TEXT NOT NULL UNIQUE,     -- the customer's unguessable status link
    visit_id         TEXT NOT NULL REFERENCES visits (id),
    outcome_event_id INTEGER NOT NULL UNIQUE REFERENCES visit_events (id),
    guide_version    TEXT NOT NULL REFERENCES guide_versions (version),
    problem_id       TEXT NOT NULL,
    ending_id        TEXT NOT NULL,
    outcome_kind     TEXT NOT NULL CHECK (outcome_kind IN ('iims-support', 'account-manager', 'guide-ended')),
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
    updated_at       BIGINT NOT NULL
);

CREATE INDEX tickets_by_created ON tickets (created_at, id);

-- The customer's path as it stood when the ticket was opened: each step as shown and each answer.
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
