//! The store's memory of recently active visits: their form token, events and attempt.
//!
//! A step page needs the visit's path, and every click appends to it. Reading the path back from
//! SQLite on every page costs more than rendering the page, so the store keeps the visits it has
//! recently written in memory. Only the writer puts visits here, after their batch committed (it
//! sees every write in order, so what it puts is the committed state); readers take a shared
//! snapshot and fall back to the database for a visit not held. The memory is bounded: two
//! generations of at most `capacity / 2` visits each; a visit used while in the older one moves
//! to the younger, and when the younger fills up, the older is dropped. Held events are compact
//! (about 130 bytes each): the names they carry are shared, not copied.

use std::collections::{HashMap, HashSet};
use std::mem;
use std::sync::{Arc, Mutex, MutexGuard};

use uuid::Uuid;

use crate::domain::path::{Event, Name};
use crate::store::HeldEvents;
use crate::store::counting::Attempt;

/// The most events one click adds to a visit.
const EVENTS_A_CLICK: usize = 2;

/// A visit as the writer works on it.
#[derive(Debug, Clone)]
pub(super) struct VisitState {
    /// The token every customer form of the visit carries.
    pub csrf_token: String,
    /// The visit's events, oldest first.
    pub events: Vec<Event>,
    /// The visit's latest insight attempt, once the writer has needed it.
    pub attempt: Known<Attempt>,
}

/// A value the writer may not have read yet.
#[derive(Debug, Clone)]
pub(super) enum Known<T> {
    /// Not read yet.
    Unread,
    /// Read (or set by the writer): there is none, or this one.
    Is(Option<T>),
}

/// A visit as memory holds it. The names its events carry (guide version, problem, steps) are
/// shared with every other held event that names the same thing.
#[derive(Debug)]
pub(super) struct HeldVisit {
    csrf_token: Box<str>,
    /// A vector, not a boxed slice: the writer made it with room for the click's events, and
    /// cutting it to size would move it once more on every click.
    events: Vec<Event>,
    attempt: Known<Attempt>,
}

impl HeldEvents for HeldVisit {
    fn events(&self) -> &[Event] {
        &self.events
    }
}

impl HeldVisit {
    /// The visit's form token.
    pub(super) fn csrf_token(&self) -> &str {
        &self.csrf_token
    }

    /// Whether the visit has the event with this id.
    pub(super) fn has_event(&self, id: i64) -> bool {
        self.events.iter().any(|e| e.id == id)
    }

    /// The visit as the writer works on it.
    pub(super) fn state(&self) -> VisitState {
        VisitState {
            csrf_token: self.csrf_token.to_string(),
            events: {
                // Room for what a click adds (a choice, perhaps an outcome), so the writer's
                // pushes never move the path.
                let mut events = Vec::with_capacity(self.events.len() + EVENTS_A_CLICK);
                events.extend_from_slice(&self.events);
                events
            },
            attempt: self.attempt.clone(),
        }
    }
}

/// Recently active visits, bounded.
#[derive(Debug)]
pub(super) struct RecentVisits {
    generation: usize,
    inner: Mutex<Generations>,
    /// The names held events share; as many as the guides have steps.
    names: Mutex<HashSet<Arc<str>>>,
}

#[derive(Debug, Default)]
struct Generations {
    young: HashMap<Uuid, Arc<HeldVisit>>,
    old: HashMap<Uuid, Arc<HeldVisit>>,
}

/// A lock whose holder panicked still guards whole entries: keep using it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl RecentVisits {
    /// Holds up to `capacity` visits (at least 2).
    pub(super) fn new(capacity: usize) -> RecentVisits {
        RecentVisits {
            generation: (capacity / 2).max(1),
            inner: Mutex::new(Generations::default()),
            names: Mutex::new(HashSet::new()),
        }
    }

    /// The visit, if held.
    pub(super) fn get(&self, id: &Uuid) -> Option<Arc<HeldVisit>> {
        let mut g = lock(&self.inner);
        if let Some(v) = g.young.get(id) {
            return Some(v.clone());
        }
        let v = g.old.remove(id)?;
        self.insert(&mut g, *id, v.clone());
        Some(v)
    }

    /// The shared copy of a name: events the writer makes or reads carry it, so the visits held
    /// here share one copy of each guide version, problem and step name.
    pub(super) fn name(&self, s: &str) -> Name {
        let mut names = lock(&self.names);
        match names.get(s) {
            Some(n) => n.clone(),
            None => {
                let n: Name = Arc::from(s);
                names.insert(n.clone());
                n
            }
        }
    }

    /// Replaces the names of an event read from the database by their shared copies.
    pub(super) fn share(&self, e: &mut Event) {
        e.guide_version = self.name(&e.guide_version);
        e.problem_id = self.name(&e.problem_id);
        e.node_id = self.name(&e.node_id);
        if let Some(next) = &mut e.next_id {
            *next = self.name(next);
        }
        if let Some(kind) = &mut e.outcome_kind {
            *kind = self.name(kind);
        }
    }

    /// Holds `state` as the visit's committed state. Its events' names are expected to be
    /// shared copies already ([`RecentVisits::name`]).
    pub(super) fn put(&self, id: Uuid, state: VisitState) {
        let held = Arc::new(HeldVisit {
            csrf_token: state.csrf_token.into_boxed_str(),
            events: state.events,
            attempt: state.attempt,
        });
        let mut g = lock(&self.inner);
        g.old.remove(&id);
        self.insert(&mut g, id, held);
    }

    /// Forgets the visit: the next read goes to the database.
    pub(super) fn forget(&self, id: &Uuid) {
        let mut g = lock(&self.inner);
        g.young.remove(id);
        g.old.remove(id);
    }

    fn insert(&self, g: &mut Generations, id: Uuid, held: Arc<HeldVisit>) {
        if g.young.len() >= self.generation && !g.young.contains_key(&id) {
            g.old = mem::take(&mut g.young);
        }
        g.young.insert(id, held);
    }

    /// How many visits are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        let g = lock(&self.inner);
        g.young.len() + g.old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(token: &str) -> VisitState {
        VisitState {
            csrf_token: token.into(),
            events: Vec::new(),
            attempt: Known::Unread,
        }
    }

    #[test]
    fn holds_at_most_its_capacity_and_keeps_what_is_used() {
        let recent = RecentVisits::new(4);
        let ids: Vec<Uuid> = (0..6).map(|_| Uuid::new_v4()).collect();
        recent.put(ids[0], state("0"));
        recent.put(ids[1], state("1"));
        recent.put(ids[2], state("2")); // the first two become the older generation
        assert!(recent.get(&ids[0]).is_some()); // used: moves to the younger one
        recent.put(ids[3], state("3")); // the younger is full: {2, 0} become the older one
        recent.put(ids[4], state("4"));
        recent.put(ids[5], state("5")); // {3, 4} older, {5} younger; 1, 2 and 0 are gone
        assert!(recent.len() <= 4);
        assert!(recent.get(&ids[1]).is_none());
        assert!(recent.get(&ids[2]).is_none());
        assert_eq!(recent.get(&ids[4]).unwrap().csrf_token(), "4");
        recent.forget(&ids[4]);
        assert!(recent.get(&ids[4]).is_none());
    }

    #[test]
    fn a_newer_state_replaces_the_older() {
        let recent = RecentVisits::new(8);
        let id = Uuid::new_v4();
        recent.put(id, state("a"));
        recent.put(id, state("b"));
        assert_eq!(recent.get(&id).unwrap().csrf_token(), "b");
        assert_eq!(recent.len(), 1);
    }
}
