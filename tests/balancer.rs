//! Two real `helpdesk serve` processes on one PostgreSQL database, behind a real nginx that
//! balances round-robin with no sticky sessions, so a customer's clicks alternate between the
//! instances on every request. Every path of the guide is walked through the balancer; every
//! escalation is sent twice, once to each instance; then one instance is killed with SIGKILL
//! while customers click, and every acknowledged choice and ticket must be stored exactly once.

mod common;
mod real_server;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{all_paths, real_postgres};
use helpdesk::guide::Guide;
use real_server::{Client, Response, Server, free_port};
use sqlx::Row;

/// nginx in front of the instances, round-robin, as the README's example runs it.
struct Nginx {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(upstreams: &[&str]) -> Nginx {
        let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .expect("nginx is needed for this test: apt-get install nginx");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let d = dir.path().display();
        let servers: String = upstreams
            .iter()
            .map(|a| format!("server {a} max_fails=1 fail_timeout=30s;\n"))
            .collect();
        let conf = format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 512; }}\n\
             http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
             upstream helpdesk {{\n{servers} }}\n\
             server {{\n listen 127.0.0.1:{port};\n location / {{\n proxy_pass http://helpdesk;\n\
             proxy_set_header Host $host;\n proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
             proxy_set_header X-Forwarded-Proto $scheme;\n }}\n }}\n}}\n"
        );
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new(binary)
            .arg("-c")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let address = format!("127.0.0.1:{port}");
        assert!(
            real_server::eventually(Duration::from_secs(10), || {
                std::net::TcpStream::connect(&address).is_ok()
            }),
            "nginx did not start: {}",
            std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
        );
        Nginx {
            child,
            address,
            _dir: dir,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An instance: limits off (every customer here comes through one proxy on one address), the
/// proxy trusted.
fn instance(url: &str) -> Server {
    Server::start_on(
        url,
        free_port(),
        &[
            "--trusted-proxy",
            "127.0.0.1",
            "--limit-visits=0",
            "--limit-choices=0",
            "--limit-tickets=0",
            "--limit-status-forms=0",
        ],
    )
}

/// What one customer was told was saved.
#[derive(Debug, Default, Clone)]
struct Acknowledged {
    /// The visit (the cookie's value), once the first answer started it.
    visit: Option<String>,
    /// The choice indexes whose answer came back as a redirect to the next page, in order.
    choices: Vec<i64>,
    /// The ticket page the escalation was answered with, if sent.
    ticket: Option<String>,
}

fn visit_of(client: &Client) -> Option<String> {
    client
        .cookie
        .as_deref()
        .and_then(|c| c.strip_prefix("helpdesk_visit="))
        .map(str::to_string)
}

/// Walks `taken` on `problem` through `address`, then sends the escalation form twice at once
/// (the balancer gives each send to the other instance). Stops at the first answer that is not
/// an acknowledgement, which only an instance being killed may cause (`in_flight_allowed`);
/// notes in `ack` what was acknowledged.
fn walk(
    address: &str,
    guide: &Guide,
    problem: &str,
    taken: &[usize],
    ack: &Mutex<Acknowledged>,
    in_flight_allowed: bool,
) {
    let p = guide.problem(problem).unwrap();
    let mut client = Client::new(address);
    let mut node = p.start.clone();
    let Ok(page) = client.get(&format!("/problems/{problem}/steps/{node}")) else {
        return;
    };
    if page.status != 200 {
        return;
    }
    for &i in taken {
        let answered = client.post(
            &format!("/problems/{problem}/steps/{node}/choose"),
            &format!("choice={i}"),
        );
        let Ok(answered) = answered else { return };
        if answered.status != 303 {
            return;
        }
        {
            let mut a = ack.lock().unwrap();
            a.visit = visit_of(&client);
            a.choices.push(i as i64);
        }
        node = guide.node(p, &node).unwrap().choices()[i].next.clone();
        let Ok(next) = client.get(&answered.location_path()) else {
            return;
        };
        if next.status != 200 {
            return;
        }
        if let Some(outcome) = next.hidden("outcome") {
            let form = format!(
                "outcome={outcome}&name=Ann&email=ann%40example.com&email_program=Apple+Mail"
            );
            let path = format!("/problems/{problem}/steps/{node}/escalate");
            // Both sends at once, as a double click does; the balancer gives them to the two
            // instances.
            let sends: Vec<_> = (0..2)
                .map(|_| {
                    let (mut client, path, form) = (client.clone(), path.clone(), form.clone());
                    std::thread::spawn(move || client.post(&path, &form))
                })
                .collect();
            let tickets: Vec<String> = sends
                .into_iter()
                .filter_map(|t| t.join().unwrap().ok())
                .filter(|r: &Response| r.status == 303)
                .map(|r| r.location_path())
                .collect();
            if let Some(ticket) = tickets.first() {
                assert!(
                    tickets.iter().all(|t| t == ticket),
                    "a double submit answered with two tickets: {tickets:?}"
                );
                assert!(
                    in_flight_allowed || tickets.len() == 2,
                    "both sends of a double submit are answered with the ticket"
                );
                ack.lock().unwrap().ticket = Some(ticket.clone());
            }
        }
    }
}

/// Checks the database against what was acknowledged: each visit's choices are exactly the
/// acknowledged ones in order, plus at most one more that was committed as its instance died
/// (`in_flight`); each acknowledged escalation is one ticket; no ticket is doubled.
async fn check(url: &str, acks: &[Acknowledged], in_flight: bool) {
    let mut conn = common::connect_any(url).await;
    let rows = sqlx::query(
        "SELECT visit_id, choice_index FROM visit_events WHERE kind = 'choice' ORDER BY visit_id, seq",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut stored: HashMap<String, Vec<i64>> = HashMap::new();
    for r in rows {
        stored
            .entry(r.get::<String, _>(0))
            .or_default()
            .push(r.get::<i64, _>(1));
    }
    for a in acks {
        let Some(visit) = &a.visit else { continue };
        let got = stored.get(visit).cloned().unwrap_or_default();
        let extra = got.len().checked_sub(a.choices.len());
        assert!(
            got.starts_with(&a.choices) && (extra == Some(0) || (in_flight && extra == Some(1))),
            "visit {visit}: acknowledged {:?}, stored {got:?}",
            a.choices
        );
    }
    let tickets: Vec<(String, String)> =
        sqlx::query_as("SELECT visit_id, status_token FROM tickets")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let mut per_visit: HashMap<&str, usize> = HashMap::new();
    for (visit, _) in &tickets {
        *per_visit.entry(visit.as_str()).or_default() += 1;
    }
    assert!(
        per_visit.values().all(|n| *n == 1),
        "a visit with two tickets"
    );
    for a in acks {
        if let Some(page) = &a.ticket {
            let token = page.rsplit('/').next().unwrap();
            assert!(
                tickets
                    .iter()
                    .any(|(v, t)| t == token && Some(v) == a.visit.as_ref()),
                "the acknowledged ticket {page} is not stored for its visit"
            );
        }
    }
    let numbers: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(DISTINCT number) AS BIGINT) FROM tickets")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(numbers as usize, tickets.len(), "ticket numbers are unique");
}

fn served(server: &Server, method: &str) -> usize {
    server
        .lines()
        .iter()
        .filter(|l| l.contains(&format!("method={method}")))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_nginx_record_every_path_once_and_survive_one_being_killed() {
    let url = real_postgres::cluster().new_database().await;
    // The first instance makes the schema; the second finds it made.
    let a = instance(&url);
    let b = instance(&url);
    let nginx = Nginx::start(&[&a.address, &b.address]);
    let guide = Guide::embedded();

    // Every path of the guide, one customer each, through the balancer.
    let paths = all_paths(&guide);
    assert_eq!(paths.len(), 14);
    let mut acks = Vec::new();
    for (problem, taken, _) in &paths {
        let ack = Mutex::new(Acknowledged::default());
        walk(&nginx.address, &guide, problem, taken, &ack, false);
        let ack = ack.into_inner().unwrap();
        assert_eq!(ack.choices.len(), taken.len(), "{problem} {taken:?}");
        acks.push(ack);
    }
    assert_eq!(acks.iter().filter(|a| a.ticket.is_some()).count(), 6);
    // Every answer and both sends of each escalation, shared between the instances.
    let posts: usize = paths.iter().map(|(_, taken, _)| taken.len()).sum::<usize>() + 2 * 6;
    real_server::eventually(Duration::from_secs(5), || {
        served(&a, "POST") + served(&b, "POST") >= posts
    });
    let (a_posts, b_posts) = (served(&a, "POST"), served(&b, "POST"));
    assert!(
        a_posts + b_posts == posts && a_posts >= posts / 3 && b_posts >= posts / 3,
        "{posts} posts, answered {a_posts} and {b_posts}"
    );
    check(&url, &acks, false).await;

    // Customers clicking from four threads; one instance is killed under them.
    let stop = Arc::new(AtomicBool::new(false));
    let all = Arc::new(Mutex::new(Vec::<Arc<Mutex<Acknowledged>>>::new()));
    let mut threads = Vec::new();
    for n in 0..4 {
        let (stop, all, address, paths, guide) = (
            stop.clone(),
            all.clone(),
            nginx.address.clone(),
            paths.clone(),
            Guide::embedded(),
        );
        threads.push(std::thread::spawn(move || {
            let mut k = n;
            while !stop.load(Ordering::Relaxed) {
                let (problem, taken, _) = &paths[k % paths.len()];
                k += 4;
                let ack = Arc::new(Mutex::new(Acknowledged::default()));
                all.lock().unwrap().push(ack.clone());
                walk(&address, &guide, problem, taken, &ack, true);
            }
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before_kill = all.lock().unwrap().len();
    a.kill();
    tokio::time::sleep(Duration::from_millis(2000)).await;
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let walked: Vec<Acknowledged> = all
        .lock()
        .unwrap()
        .iter()
        .map(|a| a.lock().unwrap().clone())
        .collect();
    let after_kill = walked.len() - before_kill;
    assert!(
        before_kill > 10 && after_kill > 10,
        "customers walked before ({before_kill}) and after ({after_kill}) the kill, in {:?}",
        started.elapsed()
    );
    let acknowledged: usize = walked.iter().map(|a| a.choices.len()).sum();
    assert!(acknowledged > 50, "{acknowledged} choices acknowledged");
    check(&url, &walked, true).await;

    // The instance left serves every acknowledged ticket's page.
    let mut client = Client::new(&b.address);
    for a in walked.iter().chain(&acks) {
        if let Some(page) = &a.ticket {
            assert_eq!(client.get(page).unwrap().status, 200, "{page}");
        }
    }

    // A database the instance cannot reach: /healthz answers 503, so a balancer takes the
    // instance out, and 200 again once it can.
    let name = url.rsplit('/').next().unwrap().to_string();
    let mut admin = common::connect_any(&real_postgres::cluster().url("postgres")).await;
    for sql in [
        format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
        format!(
            "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE datname = '{name}'"
        ),
    ] {
        sqlx::query(&sql).execute(&mut admin).await.unwrap();
    }
    let health = |want: u16| {
        let address = b.address.clone();
        real_server::eventually(Duration::from_secs(15), move || {
            Client::new(&address)
                .get("/healthz")
                .is_ok_and(|r| r.status == want)
        })
    };
    assert!(health(503), "/healthz says 503 without the database");
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .await
        .unwrap();
    assert!(health(200), "/healthz says 200 with it back");
    drop(nginx);
    b.stop();
}
