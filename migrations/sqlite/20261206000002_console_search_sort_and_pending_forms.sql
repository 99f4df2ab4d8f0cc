-- The console's day-to-day needs: a search text per ticket that is case-insensitive for all of
-- Unicode, indexes for sorting the queue by last update and for a customer's other tickets, and
-- forms a manager sent after their session ended, kept until they sign in again.

-- The text a queue search looks in: the customer's name, email and account, the description and
-- every internal note, lowercased by the application (Rust's `str::to_lowercase`), because
-- SQLite's lower() and LIKE fold ASCII only. `folded` is NULL while it needs (re)folding: the
-- triggers below mark a ticket whenever a write of any origin (the escalation form, a contact
-- edit, a note, the seeder, another process) changes what is searched, and the store folds the
-- marked rows before it searches (src/store/search.rs). No foreign key, so a later rebuild of
-- `tickets` needs no rebuild of this table; a deleted ticket's row goes with it (trigger).
CREATE TABLE ticket_search (
    ticket_id TEXT PRIMARY KEY,
    folded    TEXT
);

CREATE INDEX ticket_search_to_fold ON ticket_search (ticket_id) WHERE folded IS NULL;

INSERT INTO ticket_search (ticket_id, folded) SELECT id, NULL FROM tickets;

CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO ticket_search (ticket_id, folded) VALUES (NEW.id, NULL)
    ON CONFLICT (ticket_id) DO UPDATE SET folded = NULL;
END;

CREATE TRIGGER ticket_search_update AFTER UPDATE OF customer_name, customer_email, customer_account, description ON tickets
BEGIN
    INSERT INTO ticket_search (ticket_id, folded) VALUES (NEW.id, NULL)
    ON CONFLICT (ticket_id) DO UPDATE SET folded = NULL;
END;

CREATE TRIGGER ticket_search_delete AFTER DELETE ON tickets
BEGIN
    DELETE FROM ticket_search WHERE ticket_id = OLD.id;
END;

CREATE TRIGGER ticket_search_note_insert AFTER INSERT ON ticket_notes
BEGIN
    INSERT INTO ticket_search (ticket_id, folded) VALUES (NEW.ticket_id, NULL)
    ON CONFLICT (ticket_id) DO UPDATE SET folded = NULL;
END;

CREATE TRIGGER ticket_search_note_update AFTER UPDATE ON ticket_notes
BEGIN
    INSERT INTO ticket_search (ticket_id, folded) VALUES (NEW.ticket_id, NULL)
    ON CONFLICT (ticket_id) DO UPDATE SET folded = NULL;
END;

CREATE TRIGGER ticket_search_note_delete AFTER DELETE ON ticket_notes
BEGIN
    INSERT INTO ticket_search (ticket_id, folded) VALUES (OLD.ticket_id, NULL)
    ON CONFLICT (ticket_id) DO UPDATE SET folded = NULL;
END;

-- The queue sorted by last update, overall and per status, with the same keyset tie-break.
CREATE INDEX tickets_queue_by_update ON tickets (updated_at DESC, number DESC);
CREATE INDEX tickets_queue_by_status_update ON tickets (status, updated_at DESC, number DESC);

-- A customer's other tickets, on the ticket page.
CREATE INDEX tickets_by_customer_email ON tickets (customer_email, created_at DESC);

-- A note or change a manager sent after their session had ended: kept (for an hour) under the
-- SHA-256 of a random id that only their browser holds (an HttpOnly, SameSite=Strict cookie),
-- and shown back filled in once they have signed in again, to be sent with the new session's
-- form token. Never applied without that second, token-carrying submit.
CREATE TABLE console_pending_forms (
    id_hash       TEXT PRIMARY KEY,
    ticket_number INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('note', 'status', 'assign')),
    value         TEXT NOT NULL,          -- the note's text, the status, or the assignee
    created_at    BIGINT NOT NULL
);

CREATE INDEX console_pending_forms_by_time ON console_pending_forms (created_at);
