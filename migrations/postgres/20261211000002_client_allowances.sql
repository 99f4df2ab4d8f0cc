-- Per-client allowances (rate limits), shared by every instance on this database
-- (src/store/allowances.rs). UNLOGGED: written on every limited request, and worth nothing after
-- a crash (every client then starts with a full allowance), so kept out of the WAL.
CREATE UNLOGGED TABLE client_allowances (
    action  TEXT NOT NULL,
    client  TEXT NOT NULL,
    full_at BIGINT NOT NULL,
    PRIMARY KEY (action, client)
);

CREATE INDEX client_allowances_by_time ON client_allowances (full_at);
