//! Per-client limits on what changes something: starting visits, choosing answers, opening
//! tickets, the status page's forms, asking for a lost link, signing in. A client over a limit
//! is answered `429` with `Retry-After`; other clients are served as before.
//!
//! Each limit is a token bucket per client ([`governor`]'s GCRA): a client may do `count`
//! things at once and then one more each `per / count`. The defaults are far above what a person
//! does (a customer clicks an answer every few seconds at most) and well below what a script in
//! a loop does; an installation whose customers share few addresses (a campus, a carrier's NAT)
//! raises them (`--limit-*`, README). With one instance on its own database (SQLite) the counts
//! are kept in memory; instances that share a database (PostgreSQL) keep them in it
//! ([`crate::store::AllowanceStore`], the same rule), so a client's limit holds however the
//! balancer spreads its requests. Sign-in failures are also throttled in the database per
//! account (`console::sign_in`).
//!
//! The client is who [`crate::client`] says it is: the peer, or behind a trusted proxy the
//! address it forwarded; an IPv6 client is counted by its /64 network.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::domain::time::Timestamp;
use crate::store::Store;

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Starting a visit of a problem.
    StartVisit,
    /// Answering a step (or going back one).
    Choose,
    /// Opening a ticket (an escalation or the contact form).
    OpenTicket,
    /// A form of a ticket's status page: a message, a corrected contact, a rating.
    StatusForm,
    /// Asking for a lost status link.
    FindLink,
    /// Trying to sign in to the console.
    SignIn,
}

impl Action {
    const ALL: [Action; 6] = [
        Action::StartVisit,
        Action::Choose,
        Action::OpenTicket,
        Action::StatusForm,
        Action::FindLink,
        Action::SignIn,
    ];

    /// The stored name, for the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::StartVisit => "start visit",
            Action::Choose => "choose",
            Action::OpenTicket => "open ticket",
            Action::StatusForm => "status page form",
            Action::FindLink => "find link",
            Action::SignIn => "sign in",
        }
    }

    /// The time each setting counts over.
    pub fn period(self) -> Duration {
        match self {
            Action::OpenTicket => Duration::from_secs(10 * 60),
            Action::FindLink => Duration::from_secs(60 * 60),
            _ => Duration::from_secs(60),
        }
    }
}

/// How many of each action one client may do per its [`Action::period`]; 0 turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSettings {
    /// Visits started per minute.
    pub visits: u32,
    /// Answers (and steps back) per minute.
    pub choices: u32,
    /// Tickets opened per 10 minutes.
    pub tickets: u32,
    /// Status page forms sent per minute.
    pub status_forms: u32,
    /// Lost-link requests per hour.
    pub link_requests: u32,
    /// Sign-in attempts per minute.
    pub sign_ins: u32,
}

impl LimitSettings {
    /// The defaults, documented in the README and `helpdesk help serve`.
    pub const DEFAULT: LimitSettings = LimitSettings {
        visits: 60,
        choices: 300,
        tickets: 20,
        status_forms: 30,
        link_requests: 5,
        sign_ins: 30,
    };

    /// No limits at all: for tests and benchmarks that send everything from one address.
    pub const OFF: LimitSettings = LimitSettings {
        visits: 0,
        choices: 0,
        tickets: 0,
        status_forms: 0,
        link_requests: 0,
        sign_ins: 0,
    };

    fn count(&self, action: Action) -> u32 {
        match action {
            Action::StartVisit => self.visits,
            Action::Choose => self.choices,
            Action::OpenTicket => self.tickets,
            Action::StatusForm => self.status_forms,
            Action::FindLink => self.link_requests,
            Action::SignIn => self.sign_ins,
        }
    }
}

impl Default for LimitSettings {
    fn default() -> LimitSettings {
        LimitSettings::DEFAULT
    }
}

/// A refusal: the client may try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// What was refused.
    pub action: Action,
    /// How long until one more is allowed.
    pub retry_after: Duration,
}

impl Refused {
    /// The wait in words: "30 seconds", "1 minute", "10 minutes".
    pub fn wait_in_words(&self) -> String {
        let secs = self.retry_after.as_secs_f64().ceil().max(1.0) as u64;
        match secs {
            1 => "1 second".into(),
            s if s < 90 => format!("{s} seconds"),
            s => format!("{} minutes", s.div_ceil(60)),
        }
    }

    /// `Retry-After` in whole seconds, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        (self.retry_after.as_secs_f64().ceil() as u64).max(1)
    }
}

/// The limits, counted in this instance's memory or in the shared database.
pub struct Limits {
    settings: LimitSettings,
    buckets: [Option<DefaultKeyedRateLimiter<IpAddr>>; 6],
    clock: DefaultClock,
    /// The database the counts are kept in, when instances share it.
    shared: Option<Store>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("settings", &self.settings)
            .field("shared", &self.shared.is_some())
            .finish_non_exhaustive()
    }
}

impl Limits {
    /// Limits as configured, counted in this instance's memory.
    pub fn new(settings: LimitSettings) -> Limits {
        let buckets = Action::ALL.map(|action| {
            let count = NonZeroU32::new(settings.count(action))?;
            let quota = Quota::with_period(action.period() / count.get())?.allow_burst(count);
            Some(RateLimiter::keyed(quota))
        });
        Limits {
            settings,
            buckets,
            clock: DefaultClock::default(),
            shared: None,
        }
    }

    /// Limits as configured, counted in `store` when several instances may share it, else in
    /// memory.
    pub fn for_store(settings: LimitSettings, store: &Store) -> Limits {
        let mut limits = Limits::new(settings);
        if store.shared() {
            limits.shared = Some(store.clone());
        }
        limits
    }

    /// Counts one `action` of `client`; `Err` when it is over its limit (and then it is not
    /// counted). Should the shared database not answer, the request goes on: it will meet the
    /// same database, and be answered 503, if it changes anything.
    pub async fn check(&self, action: Action, client: IpAddr) -> Result<(), Refused> {
        let count = self.settings.count(action);
        if count == 0 {
            return Ok(());
        }
        let wait = match &self.shared {
            Some(store) => {
                let interval = action.period() / count;
                match store
                    .take_allowance(
                        action.as_str(),
                        &client.to_string(),
                        interval,
                        count,
                        Timestamp::now(),
                    )
                    .await
                {
                    Ok(wait) => wait,
                    Err(e) => {
                        tracing::warn!(error = %e, "rate limit not checked: the database did not answer");
                        None
                    }
                }
            }
            None => self.buckets[action as usize]
                .as_ref()
                .and_then(|bucket| bucket.check_key(&client).err())
                .map(|not_until| not_until.wait_time_from(self.clock.now())),
        };
        match wait {
            None => Ok(()),
            Some(retry_after) => {
                // The request's own log line says 429; one more line per refusal would let a
                // flood fill the log.
                tracing::debug!(action = action.as_str(), "client over a rate limit");
                Err(Refused {
                    action,
                    retry_after,
                })
            }
        }
    }

    /// Forgets the clients whose buckets are full again, so memory (or the shared table) holds
    /// only the clients of the last period. Run every minute by the server.
    pub async fn sweep(&self) {
        for bucket in self.buckets.iter().flatten() {
            bucket.retain_recent();
            bucket.shrink_to_fit();
        }
        if let Some(store) = &self.shared
            && let Err(e) = store.forget_full_allowances(Timestamp::now()).await
        {
            tracing::warn!(error = %e, "could not forget the full allowances");
        }
    }

    /// How many clients are counted in memory, over all limits.
    pub fn clients(&self) -> usize {
        self.buckets.iter().flatten().map(|b| b.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn a_client_gets_its_burst_then_a_refusal_with_the_wait_and_others_are_served() {
        let limits = Limits::new(LimitSettings {
            tickets: 3,
            ..LimitSettings::OFF
        });
        for _ in 0..3 {
            assert!(
                limits
                    .check(Action::OpenTicket, ip("192.0.2.7"))
                    .await
                    .is_ok()
            );
        }
        let refused = limits
            .check(Action::OpenTicket, ip("192.0.2.7"))
            .await
            .unwrap_err();
        assert_eq!(refused.action, Action::OpenTicket);
        // One ticket every 200 s refills the bucket.
        assert!(
            refused.retry_after > Duration::from_secs(190)
                && refused.retry_after <= Duration::from_secs(200),
            "{:?}",
            refused.retry_after
        );
        assert_eq!(refused.wait_in_words(), "4 minutes");
        assert!(
            limits
                .check(Action::OpenTicket, ip("192.0.2.8"))
                .await
                .is_ok()
        );
        // Another action is counted apart, and one that is off never refuses.
        for _ in 0..1000 {
            assert!(limits.check(Action::Choose, ip("192.0.2.7")).await.is_ok());
        }
    }

    #[tokio::test]
    async fn the_bucket_refills_at_its_rate() {
        let limits = Limits::new(LimitSettings {
            // 600 a minute: one each 100 ms.
            choices: 600,
            ..LimitSettings::OFF
        });
        let client = ip("198.51.100.1");
        while limits.check(Action::Choose, client).await.is_ok() {}
        let wait = limits
            .check(Action::Choose, client)
            .await
            .unwrap_err()
            .retry_after;
        assert!(wait <= Duration::from_millis(100), "{wait:?}");
        std::thread::sleep(wait + Duration::from_millis(20));
        assert!(limits.check(Action::Choose, client).await.is_ok());
    }

    #[tokio::test]
    async fn sweeping_forgets_only_clients_whose_bucket_is_full_again() {
        let limits = Limits::new(LimitSettings::DEFAULT);
        assert!(limits.check(Action::SignIn, ip("192.0.2.1")).await.is_ok());
        assert_eq!(limits.clients(), 1);
        limits.sweep().await;
        // Its one try is not yet back: still counted.
        assert_eq!(limits.clients(), 1);
    }

    #[test]
    fn waits_read_as_a_person_would_say_them() {
        let r = |secs: f64| Refused {
            action: Action::Choose,
            retry_after: Duration::from_secs_f64(secs),
        };
        assert_eq!(r(0.2).wait_in_words(), "1 second");
        assert_eq!(r(0.2).retry_after_secs(), 1);
        assert_eq!(r(12.5).wait_in_words(), "13 seconds");
        assert_eq!(r(600.0).wait_in_words(), "10 minutes");
        assert_eq!(r(3599.0).retry_after_secs(), 3599);
    }
}
