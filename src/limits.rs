//! Per-client rate limits, kept in memory: enough to stop one client flooding the queue with
//! tickets, never noticed by a real customer. (Sign-in throttling is kept in the database
//! instead, so that several server instances share it; see `console::sign_in`.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many tickets one client may open per window.
pub const TICKETS_PER_CLIENT: u32 = 20;
/// The window for [`TICKETS_PER_CLIENT`].
pub const TICKET_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Past this many tracked clients, expired windows are swept.
const SWEEP_AT: usize = 10_000;

/// A fixed-window counter per client key.
#[derive(Debug)]
pub struct RateLimit {
    max: u32,
    window: Duration,
    clients: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimit {
    /// `max` per `window` for each client.
    pub fn new(max: u32, window: Duration) -> RateLimit {
        RateLimit {
            max,
            window,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one more for `client`; `Err` with the time to wait when it is over the limit.
    pub fn allow(&self, client: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut clients = self.clients.lock().expect("rate limit lock");
        if clients.len() >= SWEEP_AT {
            clients.retain(|_, (started, _)| now.duration_since(*started) < self.window);
        }
        let (started, count) = clients.entry(client.to_string()).or_insert((now, 0));
        if now.duration_since(*started) >= self.window {
            (*started, *count) = (now, 0);
        }
        if *count >= self.max {
            return Err(self.window.saturating_sub(now.duration_since(*started)));
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_client_and_refuses_past_the_limit() {
        let limit = RateLimit::new(2, Duration::from_secs(60));
        assert!(limit.allow("a").is_ok());
        assert!(limit.allow("a").is_ok());
        let wait = limit.allow("a").unwrap_err();
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
        assert!(limit.allow("b").is_ok(), "another client is not affected");
    }

    #[test]
    fn the_window_starts_again() {
        let limit = RateLimit::new(1, Duration::from_millis(20));
        assert!(limit.allow("a").is_ok());
        assert!(limit.allow("a").is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(limit.allow("a").is_ok());
    }
}
