//! The real binary over a real socket: it starts on the embedded guide, creates its SQLite file
//! (or sets up its PostgreSQL database), answers on loopback, reports its health, and shuts down
//! cleanly on SIGTERM.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `helpdesk serve` on a free loopback port; returns the child and its address.
fn start(url: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", url])
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start helpdesk");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let address: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            // Keep draining the log so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return (child, address);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("helpdesk did not report its address");
}

fn get(address: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

#[test]
fn the_binary_serves_the_guide_on_loopback_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::fresh_database_now(&dir);
    let (mut child, address) = start(&url);
    if common::on_postgres() {
        let migrated = common::block_on(async {
            let mut db = common::connect_any(&url).await;
            common::count_on(&mut db, "SELECT COUNT(*) FROM _sqlx_migrations").await
        });
        assert!(migrated > 0, "the schema is set up on first run");
    } else {
        let db = dir.path().join("helpdesk.db");
        assert!(db.exists(), "the SQLite file is created on first run");
    }

    let (status, body) = get(&address, "/healthz");
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(&address, "/");
    assert_eq!(status, 200);
    assert!(body.contains("I can receive email, but I can&#39;t send it"));
    assert!(
        !body.to_ascii_lowercase().contains("set-cookie"),
        "reading a page starts no visit"
    );
    let (status, body) = get(&address, "/problems/cant-send/steps/check-smtp-settings");
    assert_eq!(status, 200);
    assert!(body.contains("mail.iimsnet.com"));
    let css = body
        .split("href=\"")
        .find(|s| s.starts_with("/static/style.css"))
        .unwrap();
    let css = &css[..css.find('"').unwrap()];
    let (status, body) = get(&address, css);
    assert_eq!(status, 200);
    assert!(
        body.to_ascii_lowercase()
            .contains("cache-control: public, max-age=31536000, immutable")
    );
    let (status, _) = get(&address, "/static/../Cargo.toml");
    assert_eq!(status, 404);

    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "graceful shutdown exits 0, got {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "helpdesk did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.is_empty(), "nothing on stderr: {stderr}");
}

#[test]
fn slow_clients_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, address) = start(&common::fresh_database_now(&dir));

    // Headers that never finish (slowloris): the connection is closed after the header timeout.
    let slow_headers = std::thread::spawn({
        let address = address.clone();
        move || {
            let mut stream = TcpStream::connect(&address).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            let started = Instant::now();
            let mut buf = Vec::new();
            let _ = stream.read_to_end(&mut buf);
            (
                started.elapsed(),
                String::from_utf8_lossy(&buf).into_owned(),
            )
        }
    });
    // A body that never arrives: the request times out with a 408 page.
    let slow_body = std::thread::spawn({
        let address = address.clone();
        move || {
            let mut stream = TcpStream::connect(&address).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(40)))
                .unwrap();
            let head = "POST /problems/cant-send/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ncsrf=";
            stream.write_all(head.as_bytes()).unwrap();
            let started = Instant::now();
            let mut buf = Vec::new();
            let _ = stream.read_to_end(&mut buf);
            (
                started.elapsed(),
                String::from_utf8_lossy(&buf).into_owned(),
            )
        }
    });
    let (took, answer) = slow_headers.join().unwrap();
    // Cut at the header timeout (10 s), not by the request timeout (15 s) or the client's own.
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(13),
        "slow headers held the connection for {took:?}"
    );
    assert!(!answer.contains("200 OK"), "{answer}");
    let (took, answer) = slow_body.join().unwrap();
    // Answered at the request timeout (15 s).
    assert!(
        took >= Duration::from_secs(14) && took < Duration::from_secs(18),
        "a slow body held the request for {took:?}"
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("That took too long"));

    // Meanwhile the server kept answering everyone else.
    assert_eq!(get(&address, "/healthz").0, 200);
    let _ = child.kill();
    let _ = child.wait();
}
