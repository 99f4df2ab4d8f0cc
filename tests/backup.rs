//! `helpdesk backup FILE` takes a consistent copy while the server keeps serving, and a restored
//! copy serves the same tickets.

mod real_server;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use real_server::{Client, Server, free_port};

fn open_ticket(c: &mut Client) -> String {
    let r = c.escalate_download_stuck().unwrap();
    assert_eq!(r.status, 303);
    r.header("location")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn a_backup_taken_under_load_restores_and_serves_the_same_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let server = Server::start(&db, free_port());
    let status_link = open_ticket(&mut server.client());

    // Customers keep clicking while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let clicks = Arc::new(AtomicUsize::new(0));
    let load = {
        let (address, stop, clicks) = (server.address.clone(), stop.clone(), clicks.clone());
        std::thread::spawn(move || {
            let mut c = Client::new(&address);
            c.get("/problems/cant-send/steps/check-smtp-settings")
                .unwrap();
            let mut choice = 0;
            while !stop.load(Ordering::Relaxed) {
                let r = c
                    .post(
                        "/problems/cant-send/steps/check-smtp-settings/choose",
                        &format!("choice={choice}"),
                    )
                    .unwrap();
                assert_eq!(r.status, 303);
                clicks.fetch_add(1, Ordering::Relaxed);
                choice = 1 - choice;
            }
        })
    };
    while clicks.load(Ordering::Relaxed) < 20 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let copy = dir.path().join("backup.db");
    let out = Command::new(real_server::binary())
        .arg("backup")
        .arg(&copy)
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    load.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("backed up to"));

    // A second backup onto the same file is refused rather than overwriting it.
    let again = Command::new(real_server::binary())
        .arg("backup")
        .arg(&copy)
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    drop(server);

    // Restore: the copy is a database file; serve it and read the ticket.
    let restored = dir.path().join("restored.db");
    std::fs::copy(&copy, &restored).unwrap();
    let server = Server::start(&restored, free_port());
    let page = server.client().get(&status_link).unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("IIMS-000001"));
    assert!(page.body.contains("you answered <strong>Web sites open"));
    assert_eq!(server.client().get("/healthz").unwrap().status, 200);
}
