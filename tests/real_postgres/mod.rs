//! A real PostgreSQL server for the tests: a throwaway cluster made with `initdb` in a temporary
//! folder and started on a free loopback port, once per test binary, as an unprivileged user
//! (PostgreSQL refuses to run as root). Each test gets a database of its own.
//!
//! It needs PostgreSQL's server programs (Debian: `apt-get install postgresql`), found on the
//! `PATH`, under `/usr/lib/postgresql/*/bin`, or in `HELPDESK_PG_BIN`. Without them the tests
//! that need it fail and say so; nothing is skipped. The server stops when the test binary
//! ends: a watchdog beside it waits for the test process to go.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sqlx::Connection;

/// The cluster of this test binary.
pub struct Cluster {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Where its data and socket live; the watchdog removes it at the end.
    _dir: tempfile::TempDir,
    /// The shell that runs the server and stops it when the tests end (it is never waited
    /// for: it outlives this process's last test on purpose).
    _watchdog: std::process::Child,
}

/// The folder holding `initdb`, `postgres` and `pg_ctl`.
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HELPDESK_PG_BIN") {
        return PathBuf::from(dir);
    }
    let on_path = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|p| !p.is_empty());
    if let Some(initdb) = on_path {
        let resolved = std::fs::canonicalize(&initdb).unwrap_or_else(|_| PathBuf::from(&initdb));
        return resolved.parent().unwrap().to_path_buf();
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path().join("bin"))
                .filter(|bin| bin.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL's server programs are needed for these tests and were not found \
             (on the PATH, under /usr/lib/postgresql/*/bin, or in HELPDESK_PG_BIN): \
             apt-get install postgresql"
        )
    })
}

/// The user the server runs as: `postgres` when it exists, else `nobody`; `None` when the tests
/// do not run as root (the server then runs as the tests' own user).
pub fn server_user() -> Option<(u32, u32)> {
    let id = |args: &[&str]| -> Option<u32> {
        let out = Command::new("id").args(args).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    if id(&["-u"]) != Some(0) {
        return None;
    }
    for user in ["postgres", "nobody"] {
        if let (Some(uid), Some(gid)) = (id(&["-u", user]), id(&["-g", user])) {
            return Some((uid, gid));
        }
    }
    panic!("running as root, and neither a postgres nor a nobody user to run PostgreSQL as");
}

/// `program` from the server's folder, run as the server's user.
fn as_server_user(user: Option<(u32, u32)>, program: &Path) -> Command {
    match user {
        Some((uid, gid)) => {
            let mut c = Command::new("setpriv");
            c.args([
                format!("--reuid={uid}"),
                format!("--regid={gid}"),
                "--clear-groups".into(),
            ])
            .arg(program);
            c
        }
        None => Command::new(program),
    }
}

impl Cluster {
    fn start() -> Cluster {
        let bin = bin_dir();
        let user = server_user();
        let dir = tempfile::Builder::new()
            .prefix("helpdesk-pg-")
            .tempdir()
            .expect("a temporary folder");
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let data = dir.path().join("data");
        let made = as_server_user(user, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "helpdesk",
                "--auth=trust",
                "--no-sync",
                "--encoding=UTF8",
                "--locale=C",
            ])
            .stdout(Stdio::null())
            .output()
            .expect("initdb runs");
        assert!(
            made.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // The server, and a watchdog that stops it once this test process has ended.
        let script = format!(
            "\"$0\" -D \"$1\" -p {port} -k \"$2\" -c listen_addresses=127.0.0.1 -c fsync=off \
             -c max_connections=200 >\"$2/log\" 2>&1 & server=$!; \
             while [ -d /proc/{test} ] && kill -0 $server 2>/dev/null; do sleep 1; done; \
             kill -INT $server 2>/dev/null; wait $server; rm -rf \"$2\"",
            test = std::process::id()
        );
        let mut watchdog = match user {
            Some((uid, gid)) => {
                let mut c = Command::new("setpriv");
                c.args([
                    format!("--reuid={uid}"),
                    format!("--regid={gid}"),
                    "--clear-groups".into(),
                    "sh".into(),
                ]);
                c
            }
            None => Command::new("sh"),
        };
        let watchdog = watchdog
            .arg("-c")
            .arg(script)
            .arg(bin.join("postgres"))
            .arg(&data)
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start PostgreSQL");
        let cluster = Cluster {
            port,
            _dir: dir,
            _watchdog: watchdog,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return cluster;
            }
            if Instant::now() > deadline {
                let log =
                    std::fs::read_to_string(cluster._dir.path().join("log")).unwrap_or_default();
                panic!("PostgreSQL did not start within 30 s: {log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://helpdesk@127.0.0.1:{}/{name}", self.port)
    }

    /// A new, empty database of its own; its URL.
    pub async fn new_database(&self) -> String {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .expect("connect to the test cluster");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        admin.close().await.ok();
        self.url(&name)
    }
}

/// This test binary's cluster, started on first use.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(Cluster::start)
}
