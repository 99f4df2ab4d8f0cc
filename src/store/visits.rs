//! A customer's visit and its path events: what a page reads and what a click appends.

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

use super::StoreError;
use crate::domain::path::{Event, EventKind};

/// A customer's visit, identified by the visit cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    /// The cookie's value.
    pub id: Uuid,
    /// The token every customer form of this visit carries.
    pub csrf_token: String,
}

/// An event to append to a visit.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// The guide version shown.
    pub guide_version: String,
    /// The problem.
    pub problem_id: String,
    /// The step or ending.
    pub node_id: String,
    /// For a choice: the answer.
    pub choice_index: Option<i64>,
    /// For a choice: where it led.
    pub next_id: Option<String>,
    /// For an outcome: its kind.
    pub outcome_kind: Option<&'static str>,
}

/// A visit's events, oldest first, as [`VisitStore::events`] found them: a page reads them
/// where a backend holds them instead of copying them.
#[derive(Debug)]
pub struct Events(EventsFrom);

/// Events a backend holds in memory and shares with the pages that read them.
pub trait HeldEvents: std::fmt::Debug + Send + Sync {
    /// The events, oldest first.
    fn events(&self) -> &[Event];
}

#[derive(Debug)]
enum EventsFrom {
    Held(Arc<dyn HeldEvents>),
    Read(Vec<Event>),
}

impl Events {
    /// No events: a customer without a visit.
    pub fn none() -> Events {
        Events(EventsFrom::Read(Vec::new()))
    }

    /// Events read from the database for this page.
    pub fn read(events: Vec<Event>) -> Events {
        Events(EventsFrom::Read(events))
    }

    /// Events a backend holds in memory.
    pub fn held(events: Arc<dyn HeldEvents>) -> Events {
        Events(EventsFrom::Held(events))
    }
}

impl std::ops::Deref for Events {
    type Target = [Event];

    fn deref(&self) -> &[Event] {
        match &self.0 {
            EventsFrom::Held(held) => held.events(),
            EventsFrom::Read(events) => events,
        }
    }
}

impl<'e> IntoIterator for &'e Events {
    type Item = &'e Event;
    type IntoIter = std::slice::Iter<'e, Event>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// What to write to a visit, decided from its events as they stand where they are written.
#[derive(Debug)]
pub enum Decision {
    /// It is already recorded, as the event with this id: nothing to write.
    Found(i64),
    /// Append these events, in order.
    Append(Vec<NewEvent>),
}

/// How a click decides what to write from the visit's events.
pub type Decide = Box<dyn FnOnce(&[Event]) -> Decision + Send>;

/// A customer's visits and their events.
#[async_trait]
pub trait VisitStore: Send + Sync {
    /// The visit with this id, if there is one.
    async fn visit(&self, id: Uuid) -> Result<Option<Visit>, StoreError>;
    /// The visit with this id, if there is one, and its events if memory holds them: a page
    /// that needs both finds them with one look.
    async fn visit_as_held(&self, id: Uuid) -> Result<Option<(Visit, Option<Events>)>, StoreError>;
    /// A visit's events, oldest first.
    async fn events(&self, visit: Uuid) -> Result<Events, StoreError>;
    /// Writes what `decide` says from the visit's events as they stand where they are written
    /// (so a decision never rests on a stale read: two requests for one visit are decided one
    /// after the other), starting the visit as [`super::Store::record_event`] does. Returns the
    /// id of the first event appended, or the one `decide` found. Event ids come from the
    /// backend and increase with every event appended.
    async fn record_with(
        &self,
        visit: Uuid,
        start: Option<String>,
        decide: Decide,
    ) -> Result<i64, StoreError>;
}
