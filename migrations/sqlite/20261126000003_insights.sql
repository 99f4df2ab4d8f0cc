-- Guide insights: what the recorded paths say about the guide, kept up to date by the same writer
-- job that records each event (src/store/insights.rs), so the insights page reads a few thousand
-- counters instead of every event. Definitions: docs/INSIGHTS.md.
-- Portable SQL: BIGINT milliseconds, UTC day numbers (days since 1970-01-01), UTC hour numbers.

-- One row per attempt: a symptom event, and the events of the same problem that follow it in the
-- visit until the visit's next symptom event. Events after the attempt's first outcome change
-- nothing. An attempt without an outcome is in progress or abandoned, depending on when one asks.
CREATE TABLE insight_attempts (
    id           INTEGER PRIMARY KEY,      -- the symptom event's id
    visit_id     TEXT NOT NULL REFERENCES visits (id),
    seq          INTEGER NOT NULL,         -- the symptom event's seq within the visit
    problem_id   TEXT NOT NULL,
    day          BIGINT NOT NULL,          -- UTC day the attempt started
    started_at   BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,          -- the latest of its events
    step_id      TEXT NOT NULL,            -- where the customer is: the step or ending last reached
    via_step     TEXT,                     -- the step whose choice led to step_id, if the last move was a choice
    steps        TEXT NOT NULL,            -- every step and ending reached, as |a|b|c|
    outcome_kind TEXT,                     -- NULL while the attempt has no outcome
    outcome_step TEXT,                     -- the step whose choice led to the outcome
    ended_at     BIGINT
);

CREATE UNIQUE INDEX insight_attempts_by_visit ON insight_attempts (visit_id, seq);
-- Attempts without an outcome, for "abandoned" and "in progress" at the time of the question.
CREATE INDEX insight_attempts_open ON insight_attempts (day, problem_id, step_id, last_at)
    WHERE outcome_kind IS NULL;

-- Counters per UTC day of the attempt's start and problem:
--   started  attempts started                              (step_id '', outcome_kind '')
--   reached  attempts that reached step_id                 (outcome_kind '')
--   outcome  attempts that ended in outcome_kind, from the step whose choice led there ('' if none)
CREATE TABLE insight_daily (
    day          BIGINT NOT NULL,
    problem_id   TEXT NOT NULL,
    measure      TEXT NOT NULL CHECK (measure IN ('started', 'reached', 'outcome')),
    step_id      TEXT NOT NULL,
    outcome_kind TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    PRIMARY KEY (day, problem_id, measure, step_id, outcome_kind)
);

-- Attempts started per UTC hour (hours since the epoch) and problem: the busiest times.
CREATE TABLE insight_hourly (
    hour       BIGINT NOT NULL,
    problem_id TEXT NOT NULL,
    started    BIGINT NOT NULL,
    PRIMARY KEY (hour, problem_id)
);

-- When each ticket was first marked resolved (or closed without being resolved first), and the
-- whole hours that took.
CREATE TABLE insight_resolutions (
    ticket_id   TEXT PRIMARY KEY REFERENCES tickets (id),
    problem_id  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    resolved_at BIGINT NOT NULL,
    hours       BIGINT NOT NULL            -- (resolved_at - created_at) / 3600000
);

-- The median is found in two steps: the hour it falls in from the counts below, then the exact
-- value among that hour's tickets alone, so no question sorts every ticket of the range.
CREATE INDEX insight_resolutions_by_hours ON insight_resolutions (hours, created_at, problem_id, resolved_at);

-- Resolved tickets per UTC day they were opened, problem, and whole hours to resolution.
CREATE TABLE insight_resolution_hours (
    day        BIGINT NOT NULL,
    problem_id TEXT NOT NULL,
    hours      BIGINT NOT NULL,
    tickets    BIGINT NOT NULL,
    PRIMARY KEY (day, problem_id, hours)
);

-- Backfill from what is already recorded, by the rules src/store/insights.rs applies on write.
-- (`Store::rebuild_insights` runs everything below this line again, on emptied tables.)

INSERT INTO insight_attempts (id, visit_id, seq, problem_id, day, started_at, last_at, step_id, via_step, steps)
SELECT id, visit_id, seq, problem_id, at / 86400000, at, at, node_id, NULL, '|' || node_id || '|'
FROM visit_events WHERE kind = 'symptom';

-- The events that count for each attempt: the same problem, after its symptom, before the visit's
-- next symptom, up to and including the first outcome.
CREATE TEMP TABLE insight_counted AS
WITH tagged AS (
    SELECT e.seq, e.visit_id, e.at, e.kind, e.problem_id, e.node_id, e.next_id, e.outcome_kind,
           MAX(CASE WHEN e.kind = 'symptom' THEN e.seq END)
               OVER (PARTITION BY e.visit_id ORDER BY e.seq ROWS UNBOUNDED PRECEDING) AS attempt_seq
    FROM visit_events e
),
member AS (
    SELECT a.id AS attempt_id, t.seq, t.at, t.kind, t.node_id, t.next_id, t.outcome_kind
    FROM tagged t JOIN insight_attempts a ON a.visit_id = t.visit_id AND a.seq = t.attempt_seq
    WHERE t.kind <> 'symptom' AND t.problem_id = a.problem_id
),
first_outcome AS (
    SELECT attempt_id, MIN(seq) AS seq FROM member WHERE kind = 'outcome' GROUP BY attempt_id
)
SELECT m.attempt_id, m.seq, m.at, m.kind, m.node_id, m.next_id, m.outcome_kind
FROM member m LEFT JOIN first_outcome f ON f.attempt_id = m.attempt_id
WHERE f.seq IS NULL OR m.seq <= f.seq;

CREATE INDEX insight_counted_by_attempt ON insight_counted (attempt_id, seq);

-- Each attempt's last move (its latest counted event other than "back" or a choice leading nowhere),
-- and its outcome.
CREATE TEMP TABLE insight_moves AS
SELECT c.attempt_id,
       (SELECT MAX(at) FROM insight_counted x WHERE x.attempt_id = c.attempt_id) AS last_at,
       (SELECT MAX(seq) FROM insight_counted x WHERE x.attempt_id = c.attempt_id AND x.kind <> 'back'
          AND (x.kind <> 'choice' OR x.next_id IS NOT NULL)) AS last_move,
       (SELECT MAX(seq) FROM insight_counted x WHERE x.attempt_id = c.attempt_id AND x.kind = 'outcome') AS outcome_seq
FROM (SELECT DISTINCT attempt_id FROM insight_counted) c;

UPDATE insight_attempts SET
    last_at = (SELECT CASE WHEN m.last_at > insight_attempts.last_at THEN m.last_at ELSE insight_attempts.last_at END
               FROM insight_moves m WHERE m.attempt_id = insight_attempts.id),
    step_id = COALESCE((SELECT CASE WHEN c.kind = 'choice' THEN c.next_id ELSE c.node_id END
                        FROM insight_moves m JOIN insight_counted c ON c.attempt_id = m.attempt_id AND c.seq = m.last_move
                        WHERE m.attempt_id = insight_attempts.id), step_id),
    via_step = (SELECT CASE WHEN c.kind = 'choice' THEN c.node_id END
                FROM insight_moves m JOIN insight_counted c ON c.attempt_id = m.attempt_id AND c.seq = m.last_move
                WHERE m.attempt_id = insight_attempts.id),
    outcome_kind = (SELECT c.outcome_kind FROM insight_moves m
                    JOIN insight_counted c ON c.attempt_id = m.attempt_id AND c.seq = m.outcome_seq
                    WHERE m.attempt_id = insight_attempts.id),
    ended_at = (SELECT c.at FROM insight_moves m
                JOIN insight_counted c ON c.attempt_id = m.attempt_id AND c.seq = m.outcome_seq
                WHERE m.attempt_id = insight_attempts.id),
    outcome_step = (SELECT p.node_id FROM insight_moves m
                    JOIN insight_counted o ON o.attempt_id = m.attempt_id AND o.seq = m.outcome_seq
                    JOIN insight_counted p ON p.attempt_id = m.attempt_id
                     AND p.seq = (SELECT MAX(q.seq) FROM insight_counted q
                                  WHERE q.attempt_id = m.attempt_id AND q.seq < m.outcome_seq AND q.kind <> 'back'
                                    AND (q.kind <> 'choice' OR q.next_id IS NOT NULL))
                    WHERE m.attempt_id = insight_attempts.id AND p.kind = 'choice' AND p.next_id = o.node_id)
WHERE id IN (SELECT attempt_id FROM insight_moves);

-- Every step and ending each attempt reached: its first step, and each step shown or ending reached.
CREATE TEMP TABLE insight_reached AS
SELECT id AS attempt_id, node_id FROM visit_events WHERE kind = 'symptom'
UNION
SELECT attempt_id, node_id FROM insight_counted WHERE kind IN ('shown', 'outcome');

CREATE INDEX insight_reached_by_attempt ON insight_reached (attempt_id);

UPDATE insight_attempts SET
    steps = '|' || (SELECT group_concat(node_id, '|') FROM insight_reached r WHERE r.attempt_id = insight_attempts.id) || '|';

INSERT INTO insight_daily (day, problem_id, measure, step_id, outcome_kind, attempts)
SELECT day, problem_id, 'started', '', '', COUNT(*) FROM insight_attempts GROUP BY day, problem_id;

INSERT INTO insight_daily (day, problem_id, measure, step_id, outcome_kind, attempts)
SELECT a.day, a.problem_id, 'reached', r.node_id, '', COUNT(*)
FROM insight_reached r JOIN insight_attempts a ON a.id = r.attempt_id
GROUP BY a.day, a.problem_id, r.node_id;

INSERT INTO insight_daily (day, problem_id, measure, step_id, outcome_kind, attempts)
SELECT day, problem_id, 'outcome', COALESCE(outcome_step, ''), outcome_kind, COUNT(*)
FROM insight_attempts WHERE outcome_kind IS NOT NULL
GROUP BY day, problem_id, COALESCE(outcome_step, ''), outcome_kind;

INSERT INTO insight_hourly (hour, problem_id, started)
SELECT started_at / 3600000, problem_id, COUNT(*) FROM insight_attempts GROUP BY started_at / 3600000, problem_id;

INSERT INTO insight_resolutions (ticket_id, problem_id, created_at, resolved_at, hours)
SELECT t.id, t.problem_id, t.created_at, MIN(a.at), (MIN(a.at) - t.created_at) / 3600000
FROM tickets t JOIN ticket_audit a ON a.ticket_id = t.id
WHERE a.action = 'status' AND a.after IN ('resolved', 'closed')
GROUP BY t.id, t.problem_id, t.created_at;

INSERT INTO insight_resolution_hours (day, problem_id, hours, tickets)
SELECT created_at / 86400000, problem_id, hours, COUNT(*) FROM insight_resolutions
GROUP BY created_at / 86400000, problem_id, hours;

DROP TABLE insight_reached;
DROP TABLE insight_moves;
DROP TABLE insight_counted;
