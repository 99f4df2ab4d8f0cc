//! Retention: a visit that led to no ticket is deleted once it is older than the installation
//! keeps visits (`serve --keep-visits-days`), at start and every hour after. The insights keep
//! counting it; a visit with a ticket is kept with the ticket.

use std::time::Duration;

use crate::domain::time::Timestamp;
use crate::store::Store;

/// How often old visits are looked for.
const EVERY: Duration = Duration::from_secs(3600);

const DAY_MS: i64 = 86_400_000;

/// The instant before which a visit's last event makes it old, keeping visits `days` days.
pub fn cutoff(now: Timestamp, days: u32) -> Timestamp {
    Timestamp(now.millis() - i64::from(days) * DAY_MS)
}

/// Deletes the old visits now and every hour, for ever; `days` is at least 1.
pub async fn run(store: Store, days: u32) {
    let mut every = tokio::time::interval(EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match store
            .delete_visits_before(cutoff(Timestamp::now(), days))
            .await
        {
            Ok(0) => {}
            Ok(deleted) => {
                tracing::info!(
                    deleted,
                    days,
                    "deleted visits without a ticket past retention"
                )
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not delete old visits; trying again in an hour")
            }
        }
    }
}
