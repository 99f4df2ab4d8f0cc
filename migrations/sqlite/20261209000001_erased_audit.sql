-- A new value that the audit trail's CHECK constraint refuses:
--   ticket_audit.action   'erased': the customer's personal data was erased from the ticket
--                         (`helpdesk privacy erase`); the entry holds no data (before and after
--                         are NULL).
--
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt (nothing references
-- it, and no trigger is defined on it), and its index made again.

ALTER TABLE ticket_audit RENAME TO ticket_audit_old;
CREATE TABLE ticket_audit (
    id         INTEGER PRIMARY KEY,        -- BIGSERIAL on PostgreSQL
    ticket_id  TEXT NOT NULL REFERENCES tickets (id),
    at         BIGINT NOT NULL,
    actor_id   TEXT REFERENCES managers (id),   -- NULL: the system, or the customer
    action     TEXT NOT NULL CHECK (action IN ('opened', 'routed', 'status', 'assignee', 'note', 'contact', 'erased')),
    before     TEXT,
    after      TEXT
);
INSERT INTO ticket_audit SELECT id, ticket_id, at, actor_id, action, before, after FROM ticket_audit_old;
DROP TABLE ticket_audit_old;
CREATE INDEX ticket_audit_by_ticket ON ticket_audit (ticket_id, at, id);
