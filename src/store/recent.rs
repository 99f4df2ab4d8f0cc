//! The store's memory of recently active visits: their form token, events and attempt.
//!
//! A step page needs the visit's path, and every click appends to it. Reading the path back from
//! SQLite on every page costs more than rendering the page, so the store keeps the visits it has
//! recently written in memory. Only the writer puts visits here, after their batch committed (it
//! sees every write in order, so what it puts is the committed state); readers take a shared
//! snapshot and fall back to the database for a visit not held. The memory is bounded: two
//! generations of at most `capacity / 2` visits each; a visit used while in the older one moves
//! to the younger, and when the younger fills up, the older is dropped.

use std::collections::HashMap;
use std::mem;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use super::rollups::Attempt;
use crate::journey::path::Event;

/// What the store holds of a visit.
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

/// Recently active visits, bounded.
#[derive(Debug)]
pub(super) struct RecentVisits {
    generation: usize,
    inner: Mutex<Generations>,
}

#[derive(Debug, Default)]
struct Generations {
    young: HashMap<Uuid, Arc<VisitState>>,
    old: HashMap<Uuid, Arc<VisitState>>,
}

impl RecentVisits {
    /// Holds up to `capacity` visits (at least 2).
    pub(super) fn new(capacity: usize) -> RecentVisits {
        RecentVisits {
            generation: (capacity / 2).max(1),
            inner: Mutex::new(Generations::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // A panic while holding the lock leaves only whole entries behind: keep using them.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The visit, if held.
    pub(super) fn get(&self, id: &Uuid) -> Option<Arc<VisitState>> {
        let mut g = self.lock();
        if let Some(v) = g.young.get(id) {
            return Some(v.clone());
        }
        let v = g.old.remove(id)?;
        self.insert(&mut g, *id, v.clone());
        Some(v)
    }

    /// Holds `state` as the visit's committed state.
    pub(super) fn put(&self, id: Uuid, state: Arc<VisitState>) {
        let mut g = self.lock();
        g.old.remove(&id);
        self.insert(&mut g, id, state);
    }

    /// Forgets the visit: the next read goes to the database.
    pub(super) fn forget(&self, id: &Uuid) {
        let mut g = self.lock();
        g.young.remove(id);
        g.old.remove(id);
    }

    fn insert(&self, g: &mut Generations, id: Uuid, state: Arc<VisitState>) {
        if g.young.len() >= self.generation && !g.young.contains_key(&id) {
            g.old = mem::take(&mut g.young);
        }
        g.young.insert(id, state);
    }

    /// How many visits are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        let g = self.lock();
        g.young.len() + g.old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(token: &str) -> Arc<VisitState> {
        Arc::new(VisitState {
            csrf_token: token.into(),
            events: Vec::new(),
            attempt: Known::Unread,
        })
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
        assert_eq!(recent.get(&ids[4]).unwrap().csrf_token, "4");
        recent.forget(&ids[4]);
        assert!(recent.get(&ids[4]).is_none());
    }

    #[test]
    fn a_newer_state_replaces_the_older() {
        let recent = RecentVisits::new(8);
        let id = Uuid::new_v4();
        recent.put(id, state("a"));
        recent.put(id, state("b"));
        assert_eq!(recent.get(&id).unwrap().csrf_token, "b");
        assert_eq!(recent.len(), 1);
    }
}
