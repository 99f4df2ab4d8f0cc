-- The conversation after a ticket opens, and the mail outbox: every notification is a row written
-- in the same transaction as the change that causes it, and a sender delivers it afterwards
-- (src/mail/sender.rs, docs/MAIL.md).

-- What the customer and the managers say to each other on a ticket, oldest first. Internal
-- notes stay in ticket_notes and are never shown to the customer.
CREATE TABLE ticket_messages (
    id         INTEGER PRIMARY KEY,        -- BIGSERIAL on PostgreSQL
    ticket_id  TEXT NOT NULL REFERENCES tickets (id),
    author     TEXT NOT NULL CHECK (author IN ('customer', 'manager')),
    manager_id TEXT REFERENCES managers (id),  -- the manager who wrote a manager's reply
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX ticket_messages_by_ticket ON ticket_messages (ticket_id, id);

-- Canned replies admins keep for the reply composer; {name}, {reference} and {status_link} are
-- filled in for the ticket when one is inserted.
CREATE TABLE canned_replies (
    id         INTEGER PRIMARY KEY,        -- BIGSERIAL on PostgreSQL
    title      TEXT NOT NULL UNIQUE,
    body       TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The customer's answer, once their ticket is resolved, to "did this solve your problem?". A
-- second answer replaces the first.
CREATE TABLE ticket_ratings (
    ticket_id   TEXT PRIMARY KEY REFERENCES tickets (id),
    helped      INTEGER NOT NULL CHECK (helped IN (0, 1)),
    comment     TEXT NOT NULL DEFAULT '',
    answered_at BIGINT NOT NULL
);

-- One mail to one recipient. Its text is written when it is sent, from the ticket as it stands
-- and the row's kind, so a retry sends the same mail.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,   -- BIGSERIAL on PostgreSQL
    ticket_id       TEXT NOT NULL REFERENCES tickets (id),
    kind            TEXT NOT NULL CHECK (kind IN ('ticket-opened', 'ticket-routed', 'ticket-assigned',
                        'ticket-unassigned', 'reply', 'status-changed', 'customer-replied',
                        'status-link')),
    manager_id      TEXT REFERENCES managers (id),  -- set when the mail goes to a manager
    ticket_message_id INTEGER REFERENCES ticket_messages (id),  -- reply, customer-replied: which message
    status          TEXT,                  -- status-changed: the status the ticket moved to
    recipient       TEXT NOT NULL,         -- the address, as it was when the mail was queued
    message_id      TEXT NOT NULL UNIQUE,  -- without the angle brackets; the same on every attempt
    state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'refused')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,       -- when a queued mail may next be tried
    claimed_until   BIGINT,                -- a sender is trying it until then
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    last_error      TEXT                   -- the mail server's last answer, when it was not a yes
);

CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_by_ticket ON outbox (ticket_id, id);

-- Every attempt to deliver a mail, and every "send again" a manager asked for.
CREATE TABLE outbox_attempts (
    outbox_id INTEGER NOT NULL REFERENCES outbox (id),
    at        BIGINT NOT NULL,
    outcome   TEXT NOT NULL CHECK (outcome IN ('sent', 'retry', 'refused', 'resent')),
    detail    TEXT NOT NULL,                 -- the mail server's answer, when it was not a yes
    actor_id  TEXT REFERENCES managers (id)  -- resent: who asked
);

CREATE INDEX outbox_attempts_by_mail ON outbox_attempts (outbox_id, at);

-- Which mails a manager wants: a ticket routed or assigned to them (on unless turned off), and
-- every new ticket nobody holds (off unless turned on).
ALTER TABLE managers ADD COLUMN mail_assigned INTEGER NOT NULL DEFAULT 1;
ALTER TABLE managers ADD COLUMN mail_unassigned INTEGER NOT NULL DEFAULT 0;

-- Response-time targets per escalation kind: a first response and a resolution within so many
-- minutes of the ticket opening, around the clock or in business hours (Monday to Friday,
-- 09:00-17:00 in the installation's time zone). A kind without a row has no targets.
CREATE TABLE response_targets (
    outcome_kind           TEXT PRIMARY KEY,
    first_response_minutes INTEGER CHECK (first_response_minutes IS NULL OR first_response_minutes > 0),
    resolution_minutes     INTEGER CHECK (resolution_minutes IS NULL OR resolution_minutes > 0),
    business_hours         INTEGER NOT NULL DEFAULT 0 CHECK (business_hours IN (0, 1))
);

-- When a manager first answered the customer, and the deadline an open ticket works to next (its
-- first response, then its resolution; the largest BIGINT when it has none), kept by every change
-- that moves it so the queue can sort by it.
ALTER TABLE tickets ADD COLUMN first_response_at BIGINT;
ALTER TABLE tickets ADD COLUMN due_at BIGINT NOT NULL DEFAULT 9223372036854775807;
CREATE INDEX tickets_by_due ON tickets (due_at, number);

