//! Visits and their path events.
//!
//! Every write to a visit goes through the writer as a [`VisitJob`]; the writer runs the visit
//! jobs queued together as one group ([`write_group`]) and keeps the visits it wrote in the
//! store's memory ([`super::recent`]), from which page views read them.

use crate::store::shared::Conn;
use std::collections::HashMap;

use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use tokio::sync::oneshot;
use uuid::Uuid;

use async_trait::async_trait;

use super::SqliteStore;
use super::group::GroupDone;
use super::recent::{Known, RecentVisits, VisitState};
use super::rollups;
use super::{batches, keep_prepared};
use crate::domain::path::{Event, EventKind};
use crate::domain::time::{Timestamp, Zone};
use crate::store::counting::{Attempt, Tally};
use crate::store::shared::{self, event};
use crate::store::{Decide, Decision, Events, StoreError, Visit, VisitStore};

/// A visit's events, oldest first, read on `conn`.
pub(super) async fn events_on(
    conn: &mut SqliteConnection,
    visit: &str,
) -> Result<Vec<Event>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, seq, at, kind, guide_version, problem_id, node_id, choice_index, next_id, outcome_kind
         FROM visit_events WHERE visit_id = $1 ORDER BY seq",
    )
    .bind(visit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(event).collect::<Result<_, _>>()?)
}

/// A write to a visit. The writer runs the visit writes queued together as one group: a few
/// statements for the whole group, whatever its size.
pub(super) struct VisitJob {
    visit: Uuid,
    write: VisitWrite,
    reply: oneshot::Sender<Result<i64, StoreError>>,
}

enum VisitWrite {
    /// Events, as `decide` says from the visit's events. A visit that does not exist yet is
    /// started with `start` as its form token, if given (a customer's first action), else
    /// refused.
    Append {
        decide: Decide,
        start: Option<String>,
    },
    /// Nothing to write: a page view read the visit from the database, so hold it in memory
    /// for the next one (only the writer puts visits there).
    Hold,
}

impl VisitJob {
    /// Answers the job with an error without running it.
    pub(super) fn fail(self, error: StoreError) {
        let _ = self.reply.send(Err(error));
    }
}

/// Reads visits' committed state from the database, inside the writer: two statements for
/// all of `ids`. Visits that do not exist are left out.
async fn read_states(
    conn: &mut SqliteConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, VisitState>, StoreError> {
    let mut states = HashMap::with_capacity(ids.len());
    for chunk in batches(ids) {
        let keys: Vec<String> = chunk.iter().map(Uuid::to_string).collect();
        let mut q = QueryBuilder::<Sqlite>::new("SELECT id, csrf_token FROM visits WHERE id IN (");
        let mut list = q.separated(", ");
        for key in &keys {
            list.push_bind(key);
        }
        q.push(")");
        let mut by_key: HashMap<String, VisitState> = HashMap::with_capacity(keys.len());
        for row in q.build().fetch_all(&mut *conn).await? {
            by_key.insert(
                row.try_get("id")?,
                VisitState {
                    csrf_token: row.try_get("csrf_token")?,
                    events: Vec::new(),
                    attempt: Known::Unread,
                },
            );
        }
        for (key, events) in events_of(conn, &keys).await? {
            if let Some(state) = by_key.get_mut(&key) {
                state.events = events;
            }
        }
        for (id, key) in chunk.iter().zip(&keys) {
            if let Some(state) = by_key.remove(key) {
                states.insert(*id, state);
            }
        }
    }
    Ok(states)
}

/// The events of each of the visits `keys` (their ids as text), oldest first, in one
/// statement. Visits with no events are left out.
pub(super) async fn events_of(
    conn: &mut SqliteConnection,
    keys: &[String],
) -> Result<HashMap<String, Vec<Event>>, sqlx::Error> {
    let mut events: HashMap<String, Vec<Event>> = HashMap::with_capacity(keys.len());
    if keys.is_empty() {
        return Ok(events);
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT id, visit_id, seq, at, kind, guide_version, problem_id, node_id, choice_index, next_id, outcome_kind
         FROM visit_events WHERE visit_id IN (",
    );
    let mut list = q.separated(", ");
    for key in keys {
        list.push_bind(key);
    }
    q.push(") ORDER BY visit_id, seq");
    for row in q
        .build()
        .persistent(keep_prepared(keys.len()))
        .fetch_all(&mut *conn)
        .await?
    {
        let visit: String = row.try_get("visit_id")?;
        events.entry(visit).or_default().push(event(row)?);
    }
    Ok(events)
}

/// The most events a visit may have to be held in memory; a customer's visit has a few dozen.
const HELD_EVENTS: usize = 400;

/// The visits a write transaction has touched, as they stand inside it. Published to the
/// store's memory once the transaction committed; forgotten if it did not.
pub(super) struct Touched<'r> {
    recent: &'r RecentVisits,
    /// `None`: a group that touched the visit was undone; read it from the database again.
    visits: HashMap<Uuid, Option<VisitState>>,
}

impl<'r> Touched<'r> {
    pub(super) fn new(recent: &'r RecentVisits) -> Touched<'r> {
        Touched {
            recent,
            visits: HashMap::new(),
        }
    }

    /// Makes sure the transaction has each of `ids` at hand: from memory where held, else read
    /// from the database, all of them together.
    async fn load(
        &mut self,
        conn: &mut SqliteConnection,
        ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<(), StoreError> {
        let mut missing = Vec::new();
        for id in ids {
            let held = match self.visits.get(&id) {
                Some(Some(_)) => continue,
                // Undone earlier in this transaction: only the database knows it now.
                Some(None) => None,
                None => self.recent.get(&id),
            };
            match held {
                Some(held) => {
                    self.visits.insert(id, Some(held.state()));
                }
                None if !missing.contains(&id) => missing.push(id),
                None => {}
            }
        }
        if !missing.is_empty() {
            for (id, mut state) in read_states(conn, &missing).await? {
                state.events.iter_mut().for_each(|e| self.recent.share(e));
                self.visits.insert(id, Some(state));
            }
        }
        Ok(())
    }

    /// The visit as the transaction sees it; `None` if there is no such visit.
    async fn state(
        &mut self,
        conn: &mut SqliteConnection,
        id: Uuid,
    ) -> Result<Option<&mut VisitState>, StoreError> {
        self.load(conn, [id]).await?;
        Ok(self.visits.get_mut(&id).and_then(Option::as_mut))
    }

    /// The transaction committed: its visits' states are now the committed ones.
    pub(super) fn publish(self) {
        for (id, state) in self.visits {
            match state {
                // A visit with an unusually long history (a script clicking for hours) is read
                // from the database instead, so memory stays bounded by the number of visits.
                Some(state) if state.events.len() > HELD_EVENTS => self.recent.forget(&id),
                Some(state) => self.recent.put(id, state),
                None => self.recent.forget(&id),
            }
        }
    }

    /// The transaction did not commit: forget every visit it touched.
    pub(super) fn discard(self) {
        for id in self.visits.keys() {
            self.recent.forget(id);
        }
    }
}

/// How a job of a group came out.
enum Outcome {
    /// Recorded as the group's `n`th new event.
    Recorded(usize),
    /// Already recorded, with this id (or a new visit: 0).
    Found(i64),
    /// Refused on its own.
    Refused(StoreError),
}

/// Runs a group of visit writes inside the writer's transaction: every new visit in one
/// statement, every new event in one, the insight counters (local days and hours in `zone`) in a
/// few.
pub(super) async fn write_group(
    conn: &mut SqliteConnection,
    touched: &mut Touched<'_>,
    jobs: Vec<VisitJob>,
    zone: &Zone,
) -> GroupDone {
    let ids: Vec<Uuid> = jobs.iter().map(|j| j.visit).collect();
    let (replies, writes): (Vec<_>, Vec<_>) = jobs
        .into_iter()
        .map(|j| (j.reply, (j.visit, j.write)))
        .unzip();
    match run_group(conn, touched, writes, zone).await {
        Ok((outcomes, events)) => GroupDone::answered(
            replies,
            outcomes.into_iter().map(|outcome| match outcome {
                Outcome::Recorded(n) => Ok(events[n]),
                Outcome::Found(id) => Ok(id),
                Outcome::Refused(e) => Err(e),
            }),
        ),
        Err(e) => {
            for id in ids {
                touched.visits.insert(id, None);
            }
            GroupDone::failed(replies, &e)
        }
    }
}

/// The group's work: returns each job's outcome and the ids of the events recorded, in order.
async fn run_group(
    conn: &mut SqliteConnection,
    touched: &mut Touched<'_>,
    writes: Vec<(Uuid, VisitWrite)>,
    zone: &Zone,
) -> Result<(Vec<Outcome>, Vec<i64>), StoreError> {
    let now = Timestamp::now().millis();
    let mut outcomes = Vec::with_capacity(writes.len());
    let mut started: Vec<(Uuid, String)> = Vec::new();
    // The new events: which visit, and the event as the visit's state holds it.
    let mut recorded: Vec<(Uuid, Event)> = Vec::new();
    touched
        .load(conn, writes.iter().map(|(visit, _)| *visit))
        .await?;
    let recent = touched.recent;
    // New events are numbered as they are appended, so a later job of the same group that
    // finds one already recorded (a double submit) answers with its real id.
    let mut next_id: Option<i64> = None;
    for (visit, write) in writes {
        match write {
            VisitWrite::Hold => outcomes.push(Outcome::Found(0)),
            VisitWrite::Append { decide, start } => {
                if touched.state(conn, visit).await?.is_none() {
                    let Some(csrf_token) = start else {
                        outcomes.push(Outcome::Refused(StoreError::from(sqlx::Error::RowNotFound)));
                        continue;
                    };
                    touched.visits.insert(
                        visit,
                        Some(VisitState {
                            csrf_token: csrf_token.clone(),
                            events: Vec::new(),
                            attempt: Known::Is(None),
                        }),
                    );
                    started.push((visit, csrf_token));
                }
                let Some(state) = touched.state(conn, visit).await? else {
                    return Err(sqlx::Error::RowNotFound.into());
                };
                let new = match decide(&state.events) {
                    Decision::Found(id) => {
                        outcomes.push(Outcome::Found(id));
                        continue;
                    }
                    Decision::Append(new) => new,
                };
                outcomes.push(Outcome::Recorded(recorded.len()));
                for new in new {
                    let id = match next_id {
                        Some(id) => id,
                        None => shared::events::next_event_id(Conn::from(&mut *conn)).await?,
                    };
                    next_id = Some(id + 1);
                    let event = Event {
                        id,
                        seq: state.events.last().map_or(1, |e| e.seq + 1),
                        at: Timestamp(now),
                        kind: new.kind,
                        guide_version: recent.name(&new.guide_version),
                        problem_id: recent.name(&new.problem_id),
                        node_id: recent.name(&new.node_id),
                        choice_index: new.choice_index,
                        next_id: new.next_id.as_deref().map(|n| recent.name(n)),
                        outcome_kind: new.outcome_kind.map(|k| recent.name(k)),
                    };
                    state.events.push(event.clone());
                    recorded.push((visit, event));
                }
            }
        }
    }

    for chunk in batches(&started) {
        let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO visits (id, csrf_token, started_at) ");
        q.push_values(chunk, |mut row, (id, token)| {
            row.push_bind(id.to_string())
                .push_bind(token)
                .push_bind(now);
        });
        q.build().execute(&mut *conn).await?;
    }
    if recorded.is_empty() {
        return Ok((outcomes, Vec::new()));
    }

    // The new events' ids, in order.
    let keys: Vec<String> = recorded
        .iter()
        .map(|(visit, _)| visit.to_string())
        .collect();
    let rows: Vec<(&str, &Event)> = keys
        .iter()
        .zip(&recorded)
        .map(|(key, (_, e))| (key.as_str(), e))
        .collect();
    let ids: Vec<i64> = recorded.iter().map(|(_, e)| e.id).collect();
    shared::events::insert_numbered(Conn::from(&mut *conn), &ids, &rows).await?;

    // The attempts the new events move on, for visits whose attempt is not known yet: all read
    // together. (A visit whose first new event is a symptom starts a new attempt.)
    let mut unknown: Vec<Uuid> = Vec::new();
    for (visit, event) in &recorded {
        if let Some(Some(state)) = touched.visits.get_mut(visit)
            && matches!(state.attempt, Known::Unread)
        {
            if event.kind == EventKind::Symptom {
                state.attempt = Known::Is(None);
            } else if !unknown.contains(visit) {
                unknown.push(*visit);
            }
        }
    }
    if !unknown.is_empty() {
        let keys: Vec<String> = unknown.iter().map(Uuid::to_string).collect();
        let mut latest = rollups::latest_attempts(conn, &keys).await?;
        for (visit, key) in unknown.iter().zip(&keys) {
            if let Some(Some(state)) = touched.visits.get_mut(visit) {
                state.attempt = Known::Is(latest.remove(key));
            }
        }
    }

    let mut tally = Tally::default();
    let mut event_ids = Vec::with_capacity(recorded.len());
    for ((visit, event), key) in recorded.into_iter().zip(keys) {
        event_ids.push(event.id);
        let Some(state) = touched.state(conn, visit).await? else {
            return Err(sqlx::Error::RowNotFound.into());
        };
        if matches!(state.attempt, Known::Unread) {
            state.attempt = Known::Is(if event.kind == EventKind::Symptom {
                None // a new attempt replaces whatever was there
            } else {
                shared::rollups::latest_attempt(shared::Conn::Sqlite(conn), &key).await?
            });
        }
        if let Known::Is(attempt) = &mut state.attempt {
            Attempt::apply(attempt, &key, &event, zone, &mut tally);
        }
    }
    shared::rollups::write(tally, shared::Conn::Sqlite(conn)).await?;
    Ok((outcomes, event_ids))
}

#[async_trait]
impl VisitStore for SqliteStore {
    async fn visit(&self, id: Uuid) -> Result<Option<Visit>, StoreError> {
        Ok(self.visit_as_held(id).await?.map(|(visit, _)| visit))
    }

    async fn visit_as_held(&self, id: Uuid) -> Result<Option<(Visit, Option<Events>)>, StoreError> {
        if let Some(held) = self.recent.get(&id) {
            let visit = Visit {
                id,
                csrf_token: held.csrf_token().to_string(),
            };
            return Ok(Some((visit, Some(Events::held(held)))));
        }
        let row: Option<(String,)> = sqlx::query_as("SELECT csrf_token FROM visits WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|(csrf_token,)| (Visit { id, csrf_token }, None)))
    }

    async fn events(&self, visit: Uuid) -> Result<Events, StoreError> {
        if let Some(held) = self.recent.get(&visit) {
            return Ok(Events::held(held));
        }
        let mut conn = self.read.acquire().await?;
        let events = events_on(&mut conn, &visit.to_string()).await?;
        if !events.is_empty() && events.len() <= HELD_EVENTS {
            self.hold(visit);
        }
        Ok(Events::read(events))
    }

    async fn record_with(
        &self,
        visit: Uuid,
        start: Option<String>,
        decide: Decide,
    ) -> Result<i64, StoreError> {
        self.write_visit(visit, VisitWrite::Append { decide, start })
            .await
    }
}

impl SqliteStore {
    async fn write_visit(&self, visit: Uuid, write: VisitWrite) -> Result<i64, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer
            .write_visit(VisitJob {
                visit,
                write,
                reply,
            })
            .await?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Asks the writer to hold a visit read from the database in memory, without waiting.
    fn hold(&self, visit: Uuid) {
        let (reply, _) = oneshot::channel();
        self.writer.hold(VisitJob {
            visit,
            write: VisitWrite::Hold,
            reply,
        });
    }
}
