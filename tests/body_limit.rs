//! Bodies over the limit, over a real socket: the client sends its whole body, as a browser
//! does, and always reads the `413` page; it never meets a connection reset while sending (which
//! a browser shows as a network error instead of the page).

mod common;
mod real_server;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::fresh_database_now;
use real_server::{Server, free_port};

/// How the body of a request is framed.
#[derive(Clone, Copy, Debug)]
enum Framing {
    Length,
    Chunked,
}

/// Posts a form of `size` bytes to `path` on a kept-alive connection, as a browser does; the
/// status and the page, or what went wrong (a write or read that failed is a failure here).
fn post(address: &str, path: &str, size: usize, framing: Framing) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(address).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let body = format!("name=Ann&description={}", "x".repeat(size));
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    );
    match framing {
        Framing::Length => head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len())),
        Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n\r\n"),
    }
    stream
        .write_all(head.as_bytes())
        .map_err(|e| format!("sending the head: {e}"))?;
    // In pieces with a pause between, as an upload over a real network arrives: the server
    // sees the head long before the end of the body.
    match framing {
        Framing::Length => {
            for piece in body.as_bytes().chunks(64 * 1024) {
                stream
                    .write_all(piece)
                    .map_err(|e| format!("sending the body: {e}"))?;
                std::thread::sleep(Duration::from_micros(500));
            }
        }
        Framing::Chunked => {
            for chunk in body.as_bytes().chunks(64 * 1024) {
                std::thread::sleep(Duration::from_micros(500));
                stream
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .and_then(|()| stream.write_all(chunk))
                    .and_then(|()| stream.write_all(b"\r\n"))
                    .map_err(|e| format!("sending a chunk: {e}"))?;
            }
            stream
                .write_all(b"0\r\n\r\n")
                .map_err(|e| format!("sending the last chunk: {e}"))?;
        }
    }
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader
        .read_line(&mut status_line)
        .map_err(|e| format!("reading the answer: {e}"))?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line: {status_line:?}"))?;
    let mut length = None;
    loop {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| format!("reading the headers: {e}"))?;
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut page = vec![0; length.ok_or("no Content-Length")?];
    reader
        .read_exact(&mut page)
        .map_err(|e| format!("reading the page: {e}"))?;
    Ok((status, String::from_utf8_lossy(&page).into_owned()))
}

fn is_413_page(answer: &Result<(u16, String), String>) -> bool {
    matches!(answer, Ok((413, page)) if page.contains("That was more than we can accept"))
}

#[test]
fn a_2_mb_form_gets_the_413_page_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on(&fresh_database_now(&dir), free_port(), &[]);
    let mut failures = Vec::new();
    for i in 0..200 {
        let answer = post(
            &server.address,
            "/contact",
            2 * 1024 * 1024,
            Framing::Length,
        );
        if !is_413_page(&answer) {
            failures.push((i, answer.map(|(s, _)| s)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 200 failed: {failures:?}",
        failures.len()
    );
}

#[test]
fn a_chunked_body_over_the_limit_gets_the_413_page_too() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on(&fresh_database_now(&dir), free_port(), &[]);
    for i in 0..20 {
        let answer = post(
            &server.address,
            "/contact",
            2 * 1024 * 1024,
            Framing::Chunked,
        );
        assert!(is_413_page(&answer), "try {i}: {answer:?}");
    }
    // A chunked body within the limit is read as any other: here, a form without its token.
    let answer = post(&server.address, "/contact", 100, Framing::Chunked);
    assert!(matches!(answer, Ok((s, _)) if s != 413), "{answer:?}");
}

#[test]
fn a_client_waiting_for_100_continue_is_answered_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on(&fresh_database_now(&dir), free_port(), &[]);
    let mut stream = TcpStream::connect(&server.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /contact HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 50000000\r\nExpect: 100-continue\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
}
