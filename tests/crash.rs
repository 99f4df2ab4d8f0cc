//! Crash safety: the real server under write load (customers clicking and escalating) is killed
//! with SIGKILL at random moments, restarted on the same database, and checked: the database is
//! intact and every choice and ticket the server acknowledged before the kill is there.
//!
//! A short run by default; `HELPDESK_CRASH_ROUNDS=50 cargo test --release --test crash` for a
//! long one (`HELPDESK_BIN` picks the binary, e.g. a release build).

mod real_server;

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use real_server::{Client, Server, free_port};
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

/// What the server confirmed before it died.
#[derive(Debug, Default)]
struct Acknowledged {
    /// (visit id, step, choice index)
    choices: Vec<(String, String, i64)>,
    /// status tokens of tickets
    tickets: Vec<String>,
}

/// A tiny deterministic random source (xorshift), so a failing run can be repeated by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One customer's journey through "can't send" to a ticket; records each acknowledged write.
/// Returns when the server stops answering.
fn customer(address: String, acks: Arc<Mutex<Acknowledged>>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let mut c = Client::new(&address);
        let mut journey = || -> std::io::Result<()> {
            c.get("/problems/cant-send/steps/check-smtp-settings")?;
            let r = c.post("/problems/cant-send/start", "")?;
            if r.status != 303 {
                return Ok(());
            }
            // The customer's first action started the visit and set its cookie.
            let visit = c
                .cookie
                .clone()
                .unwrap_or_default()
                .split_once('=')
                .map(|(_, v)| v.to_string())
                .unwrap_or_default();
            for step in ["check-smtp-settings", "use-isp-smtp"] {
                let r = c.post(
                    &format!("/problems/cant-send/steps/{step}/choose"),
                    "choice=1",
                )?;
                if r.status != 303 {
                    return Ok(());
                }
                acks.lock()
                    .unwrap()
                    .choices
                    .push((visit.clone(), step.to_string(), 1));
            }
            let page = c.get("/problems/cant-send/steps/contact-iims")?;
            let Some(outcome) = page.hidden("outcome") else {
                return Ok(());
            };
            let r = c.post(
                "/problems/cant-send/steps/contact-iims/escalate",
                &format!("outcome={outcome}&name=Ann&email=ann%40example.com&email_program=Apple+Mail&description=crash+test"),
            )?;
            if r.status == 303 {
                let token = r
                    .header("location")
                    .unwrap_or_default()
                    .trim_start_matches("/tickets/")
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                acks.lock().unwrap().tickets.push(token);
            }
            Ok(())
        };
        if journey().is_err() {
            // Connection refused or reset: the server is down.
            return;
        }
    }
}

#[test]
fn acknowledged_choices_and_tickets_survive_sigkill() {
    let rounds: usize = std::env::var("HELPDESK_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(4);
    let seed = std::env::var("HELPDESK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234_u64);
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("helpdesk.db");
    let port = free_port();
    let acks = Arc::new(Mutex::new(Acknowledged::default()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    for round in 0..rounds {
        let server = Server::start(&db, port);
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..6)
            .map(|_| {
                let (address, acks, stop) = (server.address.clone(), acks.clone(), stop.clone());
                std::thread::spawn(move || customer(address, acks, stop))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300 + rng.below(900)));
        server.kill();
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.join().unwrap();
        }

        // With the server dead, check the database as it was left.
        let acks = acks.lock().unwrap();
        runtime.block_on(async {
            let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", db.display()))
                .unwrap()
                .connect()
                .await
                .unwrap();
            let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await.unwrap();
            assert_eq!(integrity, "ok", "round {round}");
            for (visit, step, choice) in &acks.choices {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM visit_events WHERE visit_id = $1 AND kind = 'choice' AND node_id = $2 AND choice_index = $3",
                )
                .bind(visit)
                .bind(step)
                .bind(choice)
                .fetch_one(&mut conn)
                .await
                .unwrap();
                assert_eq!(n, 1, "round {round} (seed {seed}): acknowledged choice {step} of visit {visit} is missing or doubled");
            }
            for token in &acks.tickets {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM tickets t WHERE status_token = $1
                       AND (SELECT COUNT(*) FROM ticket_path p WHERE p.ticket_id = t.id) = 3",
                )
                .bind(token)
                .fetch_one(&mut conn)
                .await
                .unwrap();
                assert_eq!(n, 1, "round {round} (seed {seed}): acknowledged ticket {token} is missing or half-written");
            }
            // No ticket anywhere without its whole path.
            let half: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM tickets t WHERE (SELECT COUNT(*) FROM ticket_path p WHERE p.ticket_id = t.id) <> 3",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            assert_eq!(half, 0, "round {round}");
        });
    }
    let acks = acks.lock().unwrap();
    assert!(
        acks.choices.len() > 10,
        "the load did real work: {} choices",
        acks.choices.len()
    );
    assert!(!acks.tickets.is_empty(), "the load opened tickets");
    eprintln!(
        "{rounds} kills survived: {} acknowledged choices, {} tickets",
        acks.choices.len(),
        acks.tickets.len()
    );
}
