-- The account manager console: managers and their sessions, sign-in throttling, ticket
-- assignment with optimistic concurrency, internal notes, the audit trail, and domain routing.
-- Portable SQL: text UUIDs, BIGINT milliseconds since the epoch, INTEGER 0/1 for flags.

-- People who work the queue. No row is ever created by a migration: accounts come from the CLI.
CREATE TABLE managers (
    id            TEXT PRIMARY KEY,        -- UUID v4
    email         TEXT NOT NULL UNIQUE,    -- lowercased
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager')),
    password_hash TEXT NOT NULL,           -- argon2id PHC string
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Server-side sessions; the cookie holds a random token, the table only its SHA-256.
CREATE TABLE manager_sessions (
    token_hash   TEXT PRIMARY KEY,
    manager_id   TEXT NOT NULL REFERENCES managers (id),
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);

CREATE INDEX manager_sessions_by_manager ON manager_sessions (manager_id);
CREATE INDEX manager_sessions_by_last_seen ON manager_sessions (last_seen_at);

-- Failed sign-ins, keyed by hashes of the account tried and of the client, so neither an email
-- address nor an IP address is kept for a failure.
CREATE TABLE sign_in_failures (
    id          INTEGER PRIMARY KEY,       -- BIGSERIAL on PostgreSQL
    account_key TEXT NOT NULL,
    client_key  TEXT NOT NULL,
    at          BIGINT NOT NULL
);

CREATE INDEX sign_in_failures_by_account ON sign_in_failures (account_key, at);
CREATE INDEX sign_in_failures_by_client ON sign_in_failures (client_key, at);
CREATE INDEX sign_in_failures_by_time ON sign_in_failures (at);

-- Who works a ticket, and a revision bumped by every change so concurrent edits are detected.
ALTER TABLE tickets ADD COLUMN assignee_id TEXT REFERENCES managers (id);
ALTER TABLE tickets ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;

-- The queue is read newest first with a (created_at, number) keyset cursor, overall and per filter.
CREATE INDEX tickets_queue ON tickets (created_at DESC, number DESC);
CREATE INDEX tickets_queue_by_status ON tickets (status, created_at DESC, number DESC);
CREATE INDEX tickets_queue_by_assignee ON tickets (assignee_id, created_at DESC, number DESC);
CREATE INDEX tickets_queue_by_kind ON tickets (outcome_kind, created_at DESC, number DESC);
CREATE INDEX tickets_queue_by_problem ON tickets (problem_id, created_at DESC, number DESC);

-- Internal notes: plain text, never shown to the customer.
CREATE TABLE ticket_notes (
    id         INTEGER PRIMARY KEY,        -- BIGSERIAL on PostgreSQL
    ticket_id  TEXT NOT NULL REFERENCES tickets (id),
    author_id  TEXT NOT NULL REFERENCES managers (id),
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX ticket_notes_by_ticket ON ticket_notes (ticket_id, created_at);

-- Every change to a ticket: who (NULL for the system), what, when, and the values before and after.
CREATE TABLE ticket_audit (
    id         INTEGER PRIMARY KEY,        -- BIGSERIAL on PostgreSQL
    ticket_id  TEXT NOT NULL REFERENCES tickets (id),
    at         BIGINT NOT NULL,
    actor_id   TEXT REFERENCES managers (id),
    action     TEXT NOT NULL CHECK (action IN ('opened', 'routed', 'status', 'assignee', 'note')),
    before     TEXT,
    after      TEXT
);

CREATE INDEX ticket_audit_by_ticket ON ticket_audit (ticket_id, at, id);

-- "Account Manager" escalations from a customer of this domain go to this manager.
CREATE TABLE domain_routes (
    domain     TEXT PRIMARY KEY,           -- lowercased, e.g. example.com
    manager_id TEXT NOT NULL REFERENCES managers (id),
    created_at BIGINT NOT NULL
);

CREATE INDEX domain_routes_by_manager ON domain_routes (manager_id);
