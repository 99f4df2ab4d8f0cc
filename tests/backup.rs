//! A backup taken while the server keeps serving restores to a database that serves the same
//! tickets: `helpdesk backup FILE` on SQLite; on PostgreSQL, where `helpdesk backup` says to use
//! `pg_dump`, the README's `pg_dump --format=custom` and `pg_restore`.

mod common;
mod real_server;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::{fresh_database_now, on_postgres, real_postgres};
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

/// `helpdesk backup FILE` on the database at `url`.
fn helpdesk_backup(url: &str, file: &Path) -> Output {
    Command::new(real_server::binary())
        .arg("backup")
        .arg(file)
        .args(["--database-url", url])
        .output()
        .unwrap()
}

/// SQLite: `helpdesk backup` takes the copy (and refuses to overwrite one); the restored copy is
/// a database file. Returns its URL.
fn back_up_sqlite(url: &str, dir: &Path) -> String {
    let copy = dir.join("backup.db");
    let out = helpdesk_backup(url, &copy);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("backed up to"));

    // A second backup onto the same file is refused rather than overwriting it.
    let again = helpdesk_backup(url, &copy);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let restored = dir.join("restored.db");
    std::fs::copy(&copy, &restored).unwrap();
    format!("sqlite://{}", restored.display())
}

/// PostgreSQL: `helpdesk backup` says to use `pg_dump` and writes nothing; `pg_dump` takes the
/// copy and `pg_restore` loads it into a new database. Returns its URL.
fn back_up_postgres(url: &str, dir: &Path) -> String {
    let refused_file = dir.join("backup.db");
    let refused = helpdesk_backup(url, &refused_file);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("pg_dump --format=custom"), "{said}");
    assert!(!refused_file.exists(), "nothing is written");

    let bin = real_postgres::bin_dir();
    let dump = dir.join("helpdesk.dump");
    let out = Command::new(bin.join("pg_dump"))
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = common::block_on(real_postgres::cluster().new_database());
    let out = Command::new(bin.join("pg_restore"))
        .args(["--no-owner", "--exit-on-error", "--dbname", &restored])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    restored
}

#[test]
fn a_backup_taken_under_load_restores_and_serves_the_same_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_now(&dir);
    let server = Server::start_on(&db, free_port(), &[]);
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
    let restored = if on_postgres() {
        back_up_postgres(&db, dir.path())
    } else {
        back_up_sqlite(&db, dir.path())
    };
    stop.store(true, Ordering::Relaxed);
    load.join().unwrap();
    drop(server);

    // The restored copy serves the ticket.
    let server = Server::start_on(&restored, free_port(), &[]);
    let page = server.client().get(&status_link).unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("IIMS-000001"));
    assert!(page.body.contains("you answered <strong>Web sites open"));
    assert_eq!(server.client().get("/healthz").unwrap().status, 200);
}
