//! The real `helpdesk` binary on a loopback port, and a minimal HTTP/1.1 client for it: for tests
//! that kill the process, break its disk, or need its log.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary under test: `HELPDESK_BIN` (e.g. a release build) or the one cargo built.
pub fn binary() -> PathBuf {
    std::env::var_os("HELPDESK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_helpdesk")))
}

/// A free loopback port, to restart a server on the same address.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running server and everything it logged.
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `helpdesk serve` on `db` and waits until it listens.
    pub fn start(db: &Path, port: u16) -> Server {
        Server::start_as(db, port, None)
    }

    /// Starts `helpdesk serve` on `db` with `args` added to its command line.
    pub fn start_with(db: &Path, port: u16, args: &[&str]) -> Server {
        Server::launch(db, port, None, args)
    }

    /// Starts the server as the unprivileged user `uid` (root ignores file permissions).
    pub fn start_as(db: &Path, port: u16, uid: Option<u32>) -> Server {
        Server::launch(db, port, uid, &[])
    }

    /// Starts `helpdesk serve` on the database at `url` (any backend) with `args` added.
    pub fn start_on(url: &str, port: u16, args: &[&str]) -> Server {
        Server::launch_on(url, port, None, args)
    }

    fn launch(db: &Path, port: u16, uid: Option<u32>, args: &[&str]) -> Server {
        Server::launch_on(&format!("sqlite://{}", db.display()), port, uid, args)
    }

    fn launch_on(url: &str, port: u16, uid: Option<u32>, args: &[&str]) -> Server {
        let mut command = match uid {
            Some(uid) => {
                let mut c = Command::new("setpriv");
                c.args([
                    format!("--reuid={uid}"),
                    format!("--regid={uid}"),
                    "--clear-groups".into(),
                ])
                .arg(binary());
                c
            }
            None => Command::new(binary()),
        };
        let mut child = command
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
            ])
            .arg(url)
            .args(args)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start helpdesk");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let address: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                        .collect();
                    let _ = tx.send(address);
                }
                sink.lock().unwrap().push(line);
            }
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(address) => Server {
                child,
                address,
                log,
            },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("helpdesk did not start: {:?}", log.lock().unwrap());
            }
        }
    }

    /// Whether a logged line contains `text`.
    pub fn logged(&self, text: &str) -> bool {
        self.log.lock().unwrap().iter().any(|l| l.contains(text))
    }

    /// Every line logged so far.
    pub fn lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// SIGTERM, and waits for the process to end.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }

    /// SIGTERM; waits for the process to end and for the last of its log.
    pub fn stop_and_read(mut self) -> Vec<String> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        // The reader thread sees the end of the pipe just after the process ends.
        std::thread::sleep(Duration::from_millis(200));
        self.lines()
    }

    /// SIGKILL: no chance to flush or finish anything.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A client for this server.
    pub fn client(&self) -> Client {
        Client::new(&self.address)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers (lower-case names) and body.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The path a redirect leads to, without its query: a status link after an escalation.
    pub fn location_path(&self) -> String {
        let location = self.header("location").expect("a redirect");
        location.split('?').next().unwrap_or(location).to_string()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of hidden input `name` in the body.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self.body.find(&marker)? + marker.len();
        Some(self.body[start..].split('"').next()?.to_string())
    }
}

/// One customer's browser, reduced to a cookie and the visit's form token.
#[derive(Debug, Clone)]
pub struct Client {
    pub address: String,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    /// Extra request headers, e.g. `X-Forwarded-For` as a local proxy would send it.
    pub headers: Vec<(String, String)>,
}

impl Client {
    pub fn new(address: &str) -> Client {
        Client {
            address: address.to_string(),
            cookie: None,
            csrf: None,
            headers: Vec::new(),
        }
    }

    /// Sends a raw request; an `Err` means the connection failed (e.g. the server was killed).
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&str>,
    ) -> std::io::Result<Response> {
        let mut stream = TcpStream::connect(&self.address)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.address
        );
        if let Some(c) = &self.cookie {
            head.push_str(&format!("Cookie: {c}\r\n"));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let body = form.unwrap_or("");
        if form.is_some() {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no complete response")
        })?;
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no status"))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let response = Response {
            status,
            headers,
            body: body.to_string(),
        };
        if let Some(set) = response.header("set-cookie") {
            self.cookie = set.split(';').next().map(str::to_string);
        }
        if let Some(token) = response.hidden("csrf") {
            self.csrf = Some(token);
        }
        Ok(response)
    }

    pub fn get(&mut self, path: &str) -> std::io::Result<Response> {
        self.send("GET", path, None)
    }

    /// Posts `fields` with the visit's token.
    pub fn post(&mut self, path: &str, fields: &str) -> std::io::Result<Response> {
        let token = self.csrf.clone().unwrap_or_default();
        let body = if fields.is_empty() {
            format!("csrf={token}")
        } else {
            format!("csrf={token}&{fields}")
        };
        self.send("POST", path, Some(&body))
    }

    /// A customer whose download gets stuck although their connection works, and who sends the
    /// escalation form as Ann; the form's answer (a 303 to the ticket when it is accepted).
    pub fn escalate_download_stuck(&mut self) -> std::io::Result<Response> {
        self.get("/problems/download-stuck/steps/check-internet")?;
        self.post(
            "/problems/download-stuck/steps/check-internet/choose",
            "choice=1",
        )?;
        let page = self.get("/problems/download-stuck/steps/message-too-large")?;
        let outcome = page.hidden("outcome").expect("the escalation form");
        self.post(
            "/problems/download-stuck/steps/message-too-large/escalate",
            &format!("outcome={outcome}&name=Ann&email=ann%40example.com&email_program=Apple+Mail"),
        )
    }
}

/// Waits until `check` holds, up to `limit`.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}
