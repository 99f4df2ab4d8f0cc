//! helpdesk: a self-hosted help site that walks customers through a troubleshooting guide one
//! step at a time, records their path, and opens an escalation ticket carrying that path when the
//! guide says to contact support.
//!
//! `main.rs` only boots; everything else lives here so tests and tools reuse it.

pub mod assets;
pub mod cli;
pub mod client;
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
pub mod privacy;
pub mod retention;
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
    /// Per-client limits on what changes something, against floods.
    pub limits: limits::Limits,
    /// The reverse proxies that may say who the client is.
    pub proxies: client::TrustedProxies,
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
            limits: limits::Limits::for_store(limits::LimitSettings::DEFAULT, &store),
            store,
            guides: Guides::new(guide),
            proxies: client::TrustedProxies::default(),
            zone,
            mail: None,
        })))
    }

    /// The same state with mail on. Call it before the state is shared.
    pub fn with_mail(self, mail: Arc<mail::Mail>) -> AppState {
        self.change("mail", |shared| shared.mail = Some(mail))
    }

    /// The same state with these limits and trusted proxies. Call it before the state is shared.
    pub fn with_network(
        self,
        proxies: client::TrustedProxies,
        limits: limits::LimitSettings,
    ) -> AppState {
        self.change("the network settings", |shared| {
            shared.proxies = proxies;
            shared.limits = limits::Limits::for_store(limits, &shared.store);
        })
    }

    /// The state changed by `f`, unless it is already shared (then it stays as it is).
    fn change(self, what: &str, f: impl FnOnce(&mut Shared)) -> AppState {
        match Arc::try_unwrap(self.0) {
            Ok(mut shared) => {
                f(&mut shared);
                AppState(Arc::new(shared))
            }
            Err(shared) => {
                tracing::error!("{what} changed after the state was shared; left as it was");
                AppState(shared)
            }
        }
    }
}
