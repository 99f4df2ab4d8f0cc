-- Per-client allowances (rate limits) kept in the database, for installations whose instances
-- share it (src/store/allowances.rs). The SQLite installation runs one instance, which keeps them
-- in memory; the table is here so both schemas stay the same.
CREATE TABLE client_allowances (
    action TEXT NOT NULL,
    client TEXT NOT NULL,
    full_at BIGINT NOT NULL,               -- when the bucket is full again (GCRA's theoretical arrival time)
    PRIMARY KEY (action, client)
);

CREATE INDEX client_allowances_by_time ON client_allowances (full_at);
