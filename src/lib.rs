//! helpdesk: a self-hosted help site that walks customers through a troubleshooting guide one
//! step at a time, records their path, and opens an escalation ticket carrying that path when the
//! guide says to contact support.
//!
//! `main.rs` only boots; everything else lives here so tests and tools reuse it.

pub mod assets;
pub mod cli;
pub mod console;
pub mod domain;
pub mod error;
pub mod extract;
pub mod guide;
pub mod gzip;
pub mod journey;
pub mod limits;
pub mod logging;
pub mod mail;
pub mod maintenance;
mod middleware;
pub mod router;
pub mod seed;
pub mod serve;
pub mod store;
pub mod tickets;

use std::sync::Arc;

use domain::time::Zone;
use guide::library::Guides;
use store::Store;

pub use middleware::Site;
pub use router::app;

/// What every handler can reach. Cloned for every request (and by each extractor), so it is one
/// shared pointer.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// The parts of [`AppState`].
#[derive(Debug)]
pub struct Shared {
    /// The database.
    pub store: Store,
    /// The guide being served, and earlier versions.
    pub guides: Guides,
    /// Tickets per client, against floods.
    pub ticket_limit: limits::RateLimit,
    /// Requests for a lost status link per client.
    pub find_limit: limits::RateLimit,
    /// The installation's time zone: every time shown to a person is in it, and a day is a
    /// local day in it.
    pub zone: Zone,
    /// Mail, when it is on (`--smtp-url`).
    pub mail: Option<Arc<mail::Mail>>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Builds the state, storing the guide's version so paths made with it can be read later,
    /// and keying the insight counters by `zone` (rebuilt, before anything is served, when they
    /// were kept in another zone).
    pub async fn new(
        store: Store,
        guide: guide::Guide,
        zone: Zone,
    ) -> Result<AppState, store::StoreError> {
        store.remember_guide(&guide.version, &guide.source).await?;
        if store.use_zone(&zone).await? {
            tracing::info!(
                zone = zone.name(),
                "insight counters rebuilt for the time zone"
            );
        }
        Ok(AppState(Arc::new(Shared {
            store,
            guides: Guides::new(guide),
            ticket_limit: limits::RateLimit::new(limits::TICKETS_PER_CLIENT, limits::TICKET_WINDOW),
            find_limit: limits::RateLimit::new(
                tickets::find::FINDS_PER_CLIENT,
                tickets::find::FIND_WINDOW,
            ),
            zone,
            mail: None,
        })))
    }

    /// The same state with mail on. Call it before the state is shared.
    pub fn with_mail(self, mail: Arc<mail::Mail>) -> AppState {
        match Arc::try_unwrap(self.0) {
            Ok(mut shared) => {
                shared.mail = Some(mail);
                AppState(Arc::new(shared))
            }
            Err(shared) => {
                tracing::error!("mail was turned on after the state was shared; it stays off");
                AppState(shared)
            }
        }
    }
}
