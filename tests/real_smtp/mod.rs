//! A real SMTP server on loopback (Python's aiosmtpd, `server.py` beside this file) that keeps
//! every message it accepts, for tests of the mail helpdesk sends.
//!
//! aiosmtpd is taken from the system's Python when it has it; otherwise it is installed once
//! into a virtual environment under cargo's target directory, from PyPI, so `cargo test` needs
//! nothing installed by hand beyond Python 3.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use mail_parser::{Message, MessageParser};

/// The Python that has aiosmtpd.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let has_it = |python: &Path| {
            Command::new(python)
                .args(["-c", "import aiosmtpd"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let system = PathBuf::from("python3");
        if has_it(&system) {
            return system;
        }
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("aiosmtpd-venv");
        let venv_python = venv.join("bin/python3");
        if has_it(&venv_python) {
            return venv_python;
        }
        // Built beside, then moved in whole, so a test binary running at the same time never
        // sees half an environment.
        let building = venv.with_extension(format!("building-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&building);
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&building)
            .status()
            .expect("python3 is needed for the mail tests (a real SMTP server)");
        assert!(made.success(), "python3 -m venv failed");
        let installed = Command::new(building.join("bin/pip"))
            .args(["install", "--quiet", "aiosmtpd==1.4.6"])
            .status()
            .expect("pip");
        assert!(
            installed.success(),
            "cannot install aiosmtpd from PyPI for the mail tests; `pip install aiosmtpd` does it by hand"
        );
        if std::fs::rename(&building, &venv).is_err() {
            let _ = std::fs::remove_dir_all(&building);
        }
        assert!(has_it(&venv_python), "aiosmtpd did not install into {venv:?}");
        venv_python
    })
}

/// A free loopback port for a server to listen on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running SMTP server and the folder its messages land in.
pub struct SmtpServer {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Where it writes what it accepts.
    pub dir: PathBuf,
}

impl SmtpServer {
    /// Starts a server on `port` writing into `dir`; `refuse_domain` names a domain whose
    /// recipients it refuses for good (550).
    pub fn start(dir: &Path, port: u16, refuse_domain: Option<&str>) -> SmtpServer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real_smtp/server.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg("--port")
            .arg(port.to_string())
            .arg("--dir")
            .arg(dir)
            .arg("--refuse-domain")
            .arg(refuse_domain.unwrap_or_default())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP server");
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready.trim(), "ready", "the SMTP server did not start");
        let stdin = child.stdin.take();
        SmtpServer {
            child,
            stdin,
            port,
            dir: dir.to_path_buf(),
        }
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops the server (as an outage would); what it accepted stays in its folder.
    pub fn stop(mut self) {
        self.stdin.take();
        let _ = self.child.wait();
    }

    /// Every message accepted so far, in the order received.
    pub fn received(&self) -> Vec<Received> {
        received_in(&self.dir)
    }

    /// Waits up to `limit` until at least `n` messages arrived; returns them all.
    pub fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let got = self.received();
            if got.len() >= n || std::time::Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl SmtpServer {
    /// Waits up to `limit` until at least `n` messages arrived, letting the test's runtime run
    /// meanwhile; returns them all.
    pub async fn arrived(&self, n: usize, limit: Duration) -> Vec<Received> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let got = self.received();
            if got.len() >= n || std::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stdin.take();
        let _ = self.child.wait();
    }
}

/// A message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope's recipients.
    pub to: Vec<String>,
    /// The bytes received.
    pub raw: Vec<u8>,
}

impl Received {
    /// The message, parsed.
    pub fn parsed(&self) -> Message<'_> {
        MessageParser::default()
            .parse(&self.raw)
            .expect("a message mail-parser reads")
    }

    /// The raw header block, as sent.
    pub fn head(&self) -> String {
        let text = String::from_utf8_lossy(&self.raw);
        text.split("\r\n\r\n")
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// Header `name`'s value as sent, unfolded, trimmed; empty when absent.
    pub fn header(&self, name: &str) -> String {
        let head = self.head().replace("\r\n ", " ");
        head.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// The plain-text part.
    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    /// The HTML part.
    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    /// The subject.
    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }

    /// The `Message-ID`, without angle brackets.
    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_string()
    }
}

/// The messages in `dir`, in the order received.
pub fn received_in(dir: &Path) -> Vec<Received> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .map(|eml| {
            let envelope =
                std::fs::read_to_string(eml.with_extension("envelope")).expect("the envelope");
            Received {
                to: envelope
                    .lines()
                    .filter_map(|l| l.strip_prefix("to "))
                    .map(str::to_string)
                    .collect(),
                raw: std::fs::read(&eml).expect("the message"),
            }
        })
        .collect()
}
