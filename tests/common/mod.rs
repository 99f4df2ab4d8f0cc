//! The test harness: the real router on a fresh database with the real migrations, and
//! customers whose methods read like what a person does on the site.
//!
//! The database is a SQLite file, or with `HELPDESK_TEST_DATABASE=postgres` a database of its
//! own on a throwaway PostgreSQL cluster (`tests/real_postgres`): the same tests run on both.
#![allow(dead_code)]

#[path = "../real_postgres/mod.rs"]
pub mod real_postgres;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use helpdesk::domain::time::{Timestamp, Zone};
use helpdesk::guide::Guide;
use helpdesk::limits::LimitSettings;
use helpdesk::store::Store;
use helpdesk::{AppState, Site, app};
use http_body_util::BodyExt;
use tempfile::TempDir;
use tower::ServiceExt;

/// Whether the tests run on PostgreSQL (`HELPDESK_TEST_DATABASE=postgres`) rather than SQLite.
pub fn on_postgres() -> bool {
    match std::env::var("HELPDESK_TEST_DATABASE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("HELPDESK_TEST_DATABASE={other}: use sqlite or postgres"),
    }
}

/// A new, empty database for a test: a file in `dir`, or a database on the test cluster.
pub async fn fresh_database(dir: &TempDir) -> String {
    if on_postgres() {
        real_postgres::cluster().new_database().await
    } else {
        format!("sqlite://{}", dir.path().join("helpdesk.db").display())
    }
}

/// [`fresh_database`] for a test without a runtime of its own (one that starts the real binary).
pub fn fresh_database_now(dir: &TempDir) -> String {
    block_on(fresh_database(dir))
}

/// Runs `work` to its end on a runtime of its own, from a test that has none.
pub fn block_on<F: std::future::Future>(work: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(work)
}

/// The number `sql` gives, as a BIGINT on either database (PostgreSQL's `SUM` is NUMERIC).
pub async fn count_on(conn: &mut sqlx::AnyConnection, sql: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT CAST(({sql}) AS BIGINT)"))
        .fetch_one(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A connection of its own to the database at `url`, whichever backend it is, for asserting
/// what it holds.
pub async fn connect_any(url: &str) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(url).await.expect("connect")
}

/// The errors the application logs, shown with a failing test's output (a 500's cause).
fn show_errors() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .with_test_writer()
        .try_init();
}

/// SQL that is true when the text `haystack` contains `needle` (both SQL expressions).
pub fn contains_sql(haystack: &str, needle: &str) -> String {
    if on_postgres() {
        format!("strpos({haystack}, {needle}) > 0")
    } else {
        format!("instr({haystack}, {needle}) > 0")
    }
}

/// SQL for column `column` of any type as a literal that tells NULL from text, for comparing
/// rows whole.
pub fn quoted_sql(column: &str) -> String {
    if on_postgres() {
        format!("quote_nullable(\"{column}\"::text)")
    } else {
        format!("quote(\"{column}\")")
    }
}

/// Every path through the guide: (problem, the choice indexes taken, the ending reached).
pub fn all_paths(guide: &Guide) -> Vec<(String, Vec<usize>, String)> {
    let mut out = Vec::new();
    for problem in &guide.problems {
        let mut stack = vec![(problem.start.clone(), Vec::new())];
        while let Some((node_id, taken)) = stack.pop() {
            let node = guide.node(problem, &node_id).unwrap();
            if node.outcome().is_some() {
                out.push((problem.id.clone(), taken, node_id));
                continue;
            }
            for (i, choice) in node.choices().iter().enumerate() {
                let mut t = taken.clone();
                t.push(i);
                stack.push((choice.next.clone(), t));
            }
        }
    }
    out
}

/// A running application on its own database.
pub struct TestApp {
    pub router: Site,
    pub state: AppState,
    pub db_url: String,
    pub dir: TempDir,
    /// Stops the mail sender when dropped (with mail on).
    pub mail_stop: Option<tokio::sync::watch::Sender<bool>>,
}

impl TestApp {
    /// The app serving the embedded IIMS guide.
    pub async fn new() -> TestApp {
        TestApp::with_guide(Guide::embedded()).await
    }

    /// The app behind the reverse proxies `proxies` (as `--trusted-proxy` takes them), with
    /// `limits`, on a fresh database.
    pub async fn with_network(proxies: &str, limits: LimitSettings) -> TestApp {
        let TestApp { dir, db_url, .. } = TestApp::new().await;
        let store = Store::open(&db_url).await.expect("open store");
        let state = AppState::new(store, Guide::embedded(), Zone::utc())
            .await
            .expect("state")
            .with_network(proxies.parse().expect("proxies"), limits);
        TestApp::serving(state, dir, db_url)
    }

    /// An instance of the app with `limits` on the existing database at `db_url`, which other
    /// instances may share (a PostgreSQL one).
    pub async fn sharing(db_url: &str, limits: LimitSettings) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(db_url).await.expect("open store");
        let state = AppState::new(store, Guide::embedded(), Zone::utc())
            .await
            .expect("state")
            .with_network(Default::default(), limits);
        TestApp::serving(state, dir, db_url.to_string())
    }

    /// The app around `state`, whose database is `db_url` in `dir`.
    fn serving(state: AppState, dir: TempDir, db_url: String) -> TestApp {
        show_errors();
        TestApp {
            router: app(state.clone()),
            state,
            db_url,
            dir,
            mail_stop: None,
        }
    }

    /// The app serving `guide`, on a fresh database.
    pub async fn with_guide(guide: Guide) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_url = fresh_database(&dir).await;
        TestApp::on_database(dir, db_url, guide).await
    }

    /// The app serving the embedded guide in the time zone `zone` (an IANA name), on a fresh
    /// database.
    pub async fn in_zone(zone: &str) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_url = fresh_database(&dir).await;
        TestApp::on_database_in(dir, db_url, Guide::embedded(), zone).await
    }

    /// The app serving `guide` on an existing database (e.g. after a guide change), in UTC.
    pub async fn on_database(dir: TempDir, db_url: String, guide: Guide) -> TestApp {
        TestApp::on_database_in(dir, db_url, guide, "UTC").await
    }

    /// The app serving `guide` on an existing database, in the time zone `zone`, as the server
    /// starts with `--timezone zone`.
    pub async fn on_database_in(dir: TempDir, db_url: String, guide: Guide, zone: &str) -> TestApp {
        let zone = Zone::parse(zone).expect("a known zone");
        let store = Store::open(&db_url).await.expect("open store");
        let state = AppState::new(store, guide, zone).await.expect("state");
        TestApp::serving(state, dir, db_url)
    }

    /// The app with mail on, sending through the SMTP server on 127.0.0.1:`smtp_port` from
    /// `support@iims.example`, trying again after a second; its sender runs on the test's
    /// runtime (so a test waits for mail with `.await`, never by blocking the thread).
    pub async fn with_mail(smtp_port: u16) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_url = fresh_database(&dir).await;
        let store = Store::open(&db_url).await.expect("open store");
        let mail = std::sync::Arc::new(
            helpdesk::mail::Mail::new(
                &format!("smtp://127.0.0.1:{smtp_port}"),
                "IIMS Support <support@iims.example>",
                "http://help.iims.example",
                Duration::from_secs(1),
            )
            .expect("mail settings"),
        );
        let state = AppState::new(store, Guide::embedded(), Zone::utc())
            .await
            .expect("state")
            .with_mail(mail.clone());
        let (stop, stops) = tokio::sync::watch::channel(false);
        tokio::spawn(helpdesk::mail::sender::run(state.clone(), mail, stops));
        show_errors();
        TestApp {
            router: app(state.clone()),
            state,
            db_url,
            dir,
            mail_stop: Some(stop),
        }
    }

    /// The same database, now served with the embedded guide in the time zone `zone`.
    pub async fn restart_in_zone(self, zone: &str) -> TestApp {
        let TestApp { dir, db_url, .. } = self;
        TestApp::on_database_in(dir, db_url, Guide::embedded(), zone).await
    }

    /// The same database, now served with another guide.
    pub async fn restart_with_guide(self, guide: Guide) -> TestApp {
        let TestApp { dir, db_url, .. } = self;
        TestApp::on_database(dir, db_url, guide).await
    }

    /// A new customer with no cookie.
    pub fn customer(&self) -> Customer {
        Customer {
            router: self.router.clone(),
            peer: next_peer(),
            cookie: None,
            csrf: None,
            page: Page::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    pub fn guide(&self) -> &Guide {
        self.state.guides.current()
    }

    /// Sends one request as is.
    pub async fn send(&self, request: Request<Body>) -> Page {
        send(&self.router, request).await
    }

    /// A connection of its own to the database, for asserting what it holds.
    pub async fn reader(&self) -> sqlx::AnyConnection {
        connect_any(&self.db_url).await
    }

    /// Every table of the application (not the database's or sqlx's own), by name.
    pub async fn tables(&self) -> Vec<String> {
        let sql = if on_postgres() {
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%' ORDER BY 1"
        } else {
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name"
        };
        sqlx::query_scalar(sql)
            .fetch_all(&mut self.reader().await)
            .await
            .expect("tables")
    }

    /// The columns of `table`, in order.
    pub async fn columns(&self, table: &str) -> Vec<String> {
        let sql = if on_postgres() {
            format!(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
            )
        } else {
            format!("SELECT name FROM pragma_table_info('{table}')")
        };
        sqlx::query_scalar(&sql)
            .fetch_all(&mut self.reader().await)
            .await
            .expect("columns")
    }

    /// A count straight from the database, for asserting what it holds.
    pub async fn count(&self, sql: &str) -> i64 {
        count_on(&mut self.reader().await, sql).await
    }
}

/// A response, read whole.
#[derive(Debug, Default, Clone)]
pub struct Page {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// Whether the page shows `text`, as written in a template or escaped from data.
    pub fn shows(&self, text: &str) -> bool {
        unescape(&self.body).contains(text)
    }

    /// The buttons of the choices form: (value, label).
    pub fn choices(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for part in self.body.split(r#"name="choice" value=""#).skip(1) {
            let value = part.split('"').next().unwrap_or_default().to_string();
            let label = part
                .split_once('>')
                .map(|(_, rest)| rest.split("</button>").next().unwrap_or_default())
                .unwrap_or_default();
            out.push((value, unescape(label)));
        }
        out
    }

    /// The value of the hidden input `name`.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self.body.find(&marker)? + marker.len();
        Some(self.body[start..].split('"').next()?.to_string())
    }

    /// The value of hidden field `name` in the form posting to `action`.
    pub fn hidden_in(&self, action: &str, name: &str) -> Option<String> {
        let form = self.body.find(&format!(r#"action="{action}""#))?;
        let page = Page {
            body: self.body[form..].to_string(),
            ..Page::default()
        };
        page.hidden(name)
    }
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

pub fn unescape(text: &str) -> String {
    [
        ("&#39;", "'"),
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#60;", "<"),
        ("&lt;", "<"),
        ("&#62;", ">"),
        ("&gt;", ">"),
        ("&#38;", "&"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(text.to_string(), |t, (from, to)| t.replace(from, to))
}

pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A new client address (10.x.y.z, a private range), as a browser on
/// another machine would connect from.
pub fn next_peer() -> SocketAddr {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    SocketAddr::from(([10, (n >> 16) as u8, (n >> 8) as u8, n as u8], 40000))
}

/// Sends one request to `router` and reads the whole response.
pub async fn send(router: &Site, request: Request<Body>) -> Page {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Page {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// `request` without a body.
fn empty(request: axum::http::request::Builder) -> Request<Body> {
    request.body(Body::empty()).expect("a request")
}

/// `request` posting `fields` as a form.
fn form(request: axum::http::request::Builder, fields: &[(&str, &str)]) -> Request<Body> {
    request
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form_body(fields)))
        .expect("a request")
}

/// `fields` after the form's token, as a browser sends a form with its hidden `csrf` field.
fn with_token<'a>(
    token: &'a Option<String>,
    fields: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![("csrf", token.as_deref().unwrap_or_default())];
    all.extend_from_slice(fields);
    all
}

/// Where a 303 answer sends the browser.
fn see_other(page: &Page) -> Option<String> {
    (page.status == 303).then(|| {
        page.location()
            .expect("redirect has a location")
            .to_string()
    })
}

/// A customer with a browser's cookie jar (one cookie: the visit).
#[derive(Clone)]
pub struct Customer {
    /// The instance the customer's requests go to.
    pub router: Site,
    /// The address the customer connects from, as the server would see it: each customer its
    /// own, so that per-client limits count each apart.
    pub peer: SocketAddr,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    /// The last page seen after following redirects.
    pub page: Page,
}

impl Customer {
    fn remember(&mut self, page: &Page) {
        if let Some(value) = page
            .header("set-cookie")
            .and_then(|set| set.split(';').next())
        {
            self.cookie = Some(value.to_string());
        }
        if let Some(token) = page.hidden("csrf") {
            self.csrf = Some(token);
        }
    }

    /// Builds a request with the visit's cookie.
    pub fn request(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "help.example.com")
            .extension(ConnectInfo(self.peer));
        if let Some(c) = &self.cookie {
            request = request.header(header::COOKIE, c);
        }
        request
    }

    /// `GET path`, as typed into the address bar (no redirects followed).
    pub async fn get(&mut self, path: &str) -> Page {
        let page = send(&self.router, empty(self.request("GET", path))).await;
        self.remember(&page);
        if page.status == 200 {
            self.page = page.clone();
        }
        page
    }

    /// `POST path` with `fields` exactly as given (no token added, no redirect followed).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let page = send(&self.router, form(self.request("POST", path), fields)).await;
        self.remember(&page);
        page
    }

    /// Submits a form with the visit's token, following a 303 like a browser.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf.clone();
        let page = self.post_raw(path, &with_token(&token, fields)).await;
        if let Some(to) = see_other(&page) {
            return self.get(&to).await;
        }
        if page.status < 400 || page.body.contains("<form") {
            self.page = page.clone();
        }
        page
    }

    /// Opens the home page.
    pub async fn open_home(&mut self) -> Page {
        let page = self.get("/").await;
        assert_eq!(page.status, 200);
        page
    }

    /// Picks a symptom on the home page: follows its link to the first step.
    pub async fn pick(&mut self, problem: &str) -> Page {
        let home = self.open_home().await;
        let marker = format!(r#"href="/problems/{problem}/steps/"#);
        let i = home
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no link for {problem} on the home page"))
            + r#"href=""#.len();
        let url = home.body[i..].split('"').next().unwrap().to_string();
        let page = self.get(&url).await;
        assert_eq!(page.status, 200, "picking {problem}: {}", page.body);
        page
    }

    /// Starts the current problem over with the sidebar's button.
    pub async fn start_over(&mut self, problem: &str) -> Page {
        let page = self
            .submit(&format!("/problems/{problem}/start"), &[])
            .await;
        assert_eq!(page.status, 200, "starting {problem} over: {}", page.body);
        page
    }

    /// The path of the page the customer is on.
    pub fn at(&self) -> String {
        let marker = r#"class="choices" method="post" action=""#;
        if let Some(i) = self.page.body.find(marker) {
            let rest = &self.page.body[i + marker.len()..];
            return rest
                .split('"')
                .next()
                .unwrap()
                .trim_end_matches("/choose")
                .to_string();
        }
        String::new()
    }

    /// Clicks the choice button labelled `label` on the current step.
    pub async fn choose(&mut self, label: &str) -> Page {
        let (value, _) = self
            .page
            .choices()
            .into_iter()
            .find(|(_, l)| l == label)
            .unwrap_or_else(|| panic!("no choice {label:?} on {}", self.at()));
        let step = self.at();
        let page = self
            .submit(&format!("{step}/choose"), &[("choice", &value)])
            .await;
        assert_eq!(page.status, 200, "choosing {label:?}: {}", page.body);
        page
    }

    /// Clicks the choice button with this position.
    pub async fn choose_index(&mut self, index: usize) -> Page {
        let step = self.at();
        let page = self
            .submit(&format!("{step}/choose"), &[("choice", &index.to_string())])
            .await;
        assert_eq!(
            page.status, 200,
            "choosing {index} at {step}: {}",
            page.body
        );
        page
    }

    /// The visit id from the cookie.
    pub fn visit_id(&self) -> uuid::Uuid {
        let value = self
            .cookie
            .as_ref()
            .expect("a visit cookie")
            .split_once('=')
            .unwrap()
            .1;
        value.parse().expect("uuid")
    }

    /// Fills in and sends the escalation form on the current ending page.
    pub async fn escalate(&mut self, fields: &[(&str, &str)]) -> Page {
        let marker = r#"class="escalate" method="post" action=""#;
        let body = &self.page.body;
        let i = body.find(marker).expect("an escalation form on the page") + marker.len();
        let action = body[i..].split('"').next().unwrap().to_string();
        let outcome = self.page.hidden("outcome").expect("outcome field");
        let after = self.page.hidden("after").expect("after field");
        let mut all = vec![("outcome", outcome.as_str()), ("after", after.as_str())];
        all.extend_from_slice(fields);
        self.submit(&action, &all).await
    }
}

/// A complete, valid escalation form.
pub const ANN: &[(&str, &str)] = &[
    ("name", "Ann Example"),
    ("email", "ann@example.com"),
    ("phone", "+1 (203) 555-0100"),
    ("account", "example.com"),
    ("email_program", "Mozilla Thunderbird"),
    (
        "description",
        "It stopped on Monday.\nNothing changed on my side.",
    ),
];

/// The moment `d` ago.
pub fn ago(d: Duration) -> Timestamp {
    Timestamp(Timestamp::now().millis() - d.as_millis() as i64)
}

pub fn ok(page: &Page) {
    assert_eq!(page.status, StatusCode::OK.as_u16(), "{}", page.body);
}

// ---------------------------------------------------------------------------------------------
// The account manager console.

use helpdesk::console::accounts::Password;
use helpdesk::domain::manager::{ManagerEmail, Role};
use helpdesk::store::{ManagerRecord, NewManager};

/// The password every test manager gets (there is no default account; tests make their own).
pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// Creates a manager through the store, with [`PASSWORD`].
    pub async fn add_manager(&self, email: &str, name: &str, role: Role) -> ManagerRecord {
        let password_hash = Password::parse(PASSWORD).unwrap().hash().unwrap();
        self.store()
            .add_manager(NewManager {
                email: ManagerEmail::parse(email).unwrap(),
                name: name.into(),
                role,
                password_hash,
            })
            .await
            .expect("store")
            .expect("a new address")
    }

    /// A browser for `email`, not signed in yet.
    pub fn manager(&self, email: &str) -> Manager {
        Manager {
            router: self.router.clone(),
            email: email.into(),
            password: PASSWORD.into(),
            cookies: Vec::new(),
            peer: next_peer(),
            csrf: None,
            page: Page::default(),
        }
    }

    /// Creates a manager and signs them in.
    pub async fn signed_in(&self, email: &str, name: &str, role: Role) -> Manager {
        self.add_manager(email, name, role).await;
        let mut m = self.manager(email);
        let page = m.sign_in().await;
        assert_eq!(page.status, 200, "sign-in of {email}: {}", page.body);
        m
    }

    /// Runs one statement straight on the database, as another process (or another part of the
    /// application) would.
    pub async fn execute(&self, sql: &str) {
        let mut conn = self.reader().await;
        sqlx::query(sql).execute(&mut conn).await.expect("execute");
    }

    /// One text value straight from the database.
    pub async fn text(&self, sql: &str) -> Option<String> {
        sqlx::query_scalar(sql)
            .fetch_optional(&mut self.reader().await)
            .await
            .expect("text")
    }

    /// A customer who walks `problem` choosing `labels`, then sends the escalation form with
    /// `ANN`'s details overridden by `fields`. Returns (ticket number, status page path).
    pub async fn escalation(
        &self,
        problem: &str,
        labels: &[&str],
        fields: &[(&str, &str)],
    ) -> (i64, String) {
        let mut c = self.customer();
        c.pick(problem).await;
        for label in labels {
            c.choose(label).await;
        }
        let mut all: Vec<(&str, &str)> = ANN
            .iter()
            .filter(|(k, _)| !fields.iter().any(|(f, _)| f == k))
            .copied()
            .collect();
        all.extend_from_slice(fields);
        let page = c.escalate(&all).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let number: i64 = self.count("SELECT MAX(number) FROM tickets").await;
        let token = self
            .text("SELECT status_token FROM tickets ORDER BY number DESC LIMIT 1")
            .await
            .expect("a ticket");
        (number, format!("/tickets/{token}"))
    }

    /// An "Account Manager" escalation (password prompts), with `fields` overriding `ANN`.
    pub async fn account_manager_escalation(&self, fields: &[(&str, &str)]) -> (i64, String) {
        self.escalation(
            "password-prompts",
            &["I'm still asked for my username or password"],
            fields,
        )
        .await
    }

    /// An "IIMS support" escalation (can't send), with `fields` overriding `ANN`.
    pub async fn support_escalation(&self, fields: &[(&str, &str)]) -> (i64, String) {
        self.escalation(
            "cant-send",
            &[
                "My outgoing settings are correct and I still can't send",
                "I still can't send",
            ],
            fields,
        )
        .await
    }

    /// Inserts `count` tickets straight into the database, numbered after the existing ones,
    /// two per millisecond-timestamp so the queue's tie-break by number is exercised. Each has
    /// an outcome event of its own on the visit `seed`, as a real ticket does.
    pub async fn seed_tickets(&self, count: i64) {
        let mut conn = self.reader().await;
        let start: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) FROM tickets")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let (numbers, text, padded) = if on_postgres() {
            (
                "generate_series(1, $1) AS n(i)",
                "'seed-' || ($2 + i)",
                "lpad(($2 + i)::text, 64, '0')",
            )
        } else {
            (
                "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) SELECT i FROM n)",
                "printf('seed-%d', $2 + i)",
                "printf('%064d', $2 + i)",
            )
        };
        self.execute(
            "INSERT INTO visits (id, csrf_token, started_at) VALUES ('seed', 'x', 0) ON CONFLICT (id) DO NOTHING",
        )
        .await;
        for sql in [
            format!(
                "INSERT INTO visit_events (id, visit_id, seq, at, kind, guide_version, problem_id, node_id, outcome_kind)
                 SELECT -($2 + i), 'seed', $2 + i, 0, 'outcome', $3, 'cant-send', 'contact-iims', 'iims-support'
                 FROM {numbers} WHERE $1 > 0"
            ),
            format!(
                "INSERT INTO tickets (id, number, status_token, visit_id, outcome_event_id, guide_version, problem_id,
                     ending_id, outcome_kind, reason, customer_name, customer_email, email_program, description,
                     status, created_at, updated_at)
                 SELECT {text}, $2 + i, {padded}, 'seed', -($2 + i), $3,
                     CASE i % 2 WHEN 0 THEN 'cant-send' ELSE 'download-stuck' END, 'contact-iims',
                     CASE i % 3 WHEN 0 THEN 'account-manager' ELSE 'iims-support' END, 'seeded',
                     {name}, {email}, 'Outlook', '',
                     CASE i % 4 WHEN 0 THEN 'resolved' ELSE 'new' END,
                     1700000000000 + ($2 + i) / 2 * 1000, 1700000000000 + ($2 + i) / 2 * 1000
                 FROM {numbers} WHERE $1 > 0",
                name = if on_postgres() {
                    "'Seeded Customer ' || ($2 + i)".to_string()
                } else {
                    "printf('Seeded Customer %d', $2 + i)".to_string()
                },
                email = if on_postgres() {
                    "'seed' || ($2 + i) || '@example.net'".to_string()
                } else {
                    "printf('seed%d@example.net', $2 + i)".to_string()
                },
            ),
        ] {
            sqlx::query(&sql)
                .bind(count)
                .bind(start)
                .bind(self.guide().version.clone())
                .execute(&mut conn)
                .await
                .expect("seed tickets");
        }
        if on_postgres() {
            // The next ticket the site opens is numbered after these.
            self.execute("UPDATE ticket_number SET last = (SELECT MAX(number) FROM tickets)")
                .await;
        }
    }
}

/// An account manager's browser: cookies (session and sign-in form), the page seen last, and
/// the form token taken from it.
pub struct Manager {
    /// The instance the browser's requests go to.
    pub router: Site,
    pub email: String,
    pub password: String,
    /// (name, value) of each cookie the site set.
    pub cookies: Vec<(String, String)>,
    /// The address the browser connects from (each manager its own).
    pub peer: SocketAddr,
    pub csrf: Option<String>,
    pub page: Page,
}

impl Manager {
    fn cookie_header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn remember(&mut self, page: &Page) {
        for (name, value) in &page.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let Some((n, v)) = value.split(';').next().and_then(|kv| kv.split_once('=')) else {
                continue;
            };
            self.cookies.retain(|(k, _)| k != n);
            if !value.contains("Max-Age=0") {
                self.cookies.push((n.to_string(), v.to_string()));
            }
        }
        if let Some(token) = page.hidden("csrf") {
            self.csrf = Some(token);
        }
    }

    /// The session cookie's value, if signed in.
    pub fn session(&self) -> Option<String> {
        self.cookies
            .iter()
            .find(|(n, _)| n == "helpdesk_console")
            .map(|(_, v)| v.clone())
    }

    /// Builds a request with this browser's cookies.
    pub fn request(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "help.example.com")
            .extension(ConnectInfo(self.peer));
        if let Some(c) = self.cookie_header() {
            request = request.header(header::COOKIE, c);
        }
        request
    }

    /// `GET path`, no redirects followed.
    pub async fn get(&mut self, path: &str) -> Page {
        let page = send(&self.router, empty(self.request("GET", path))).await;
        self.remember(&page);
        if page.status < 300 || page.status >= 400 {
            self.page = page.clone();
        }
        page
    }

    /// `POST path` with exactly `fields`, no redirects followed.
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let page = send(&self.router, form(self.request("POST", path), fields)).await;
        self.remember(&page);
        page
    }

    /// Submits a form with the page's token, following a 303 like a browser.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf.clone();
        let page = self.post_raw(path, &with_token(&token, fields)).await;
        if let Some(to) = see_other(&page) {
            return self.get(&to).await;
        }
        self.page = page.clone();
        page
    }

    /// Opens the sign-in page and signs in with this browser's email and password.
    pub async fn sign_in(&mut self) -> Page {
        let (email, password) = (self.email.clone(), self.password.clone());
        self.sign_in_with(&email, &password).await
    }

    /// Opens the sign-in page and signs in with these credentials.
    pub async fn sign_in_with(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/console/sign-in").await;
        assert_eq!(form.status, 200, "{}", form.body);
        self.submit(
            "/console/sign-in",
            &[
                ("email", email),
                ("password", password),
                ("next", "/console/tickets"),
            ],
        )
        .await
    }

    /// Opens the queue with a query string (e.g. `status=new&q=ann`).
    pub async fn open_queue(&mut self, query: &str) -> Page {
        let path = if query.is_empty() {
            "/console/tickets".to_string()
        } else {
            format!("/console/tickets?{query}")
        };
        self.get(&path).await
    }

    /// The references listed on the current queue page, in order.
    pub fn references(&self) -> Vec<String> {
        self.page
            .body
            .split(r#"class="ticket-ref" href=""#)
            .skip(1)
            .filter_map(|part| {
                part.split_once('>')
                    .and_then(|(_, rest)| rest.split('<').next())
            })
            .map(str::to_string)
            .collect()
    }

    /// The "Older tickets" link of the current queue page.
    pub fn next_page(&self) -> Option<String> {
        let marker = r#"rel="next" href=""#;
        let i = self.page.body.find(marker)? + marker.len();
        Some(unescape(self.page.body[i..].split('"').next()?))
    }

    /// The "Previous" link of the current queue page.
    pub fn previous_page(&self) -> Option<String> {
        let marker = r#"rel="prev" href=""#;
        let i = self.page.body.find(marker)? + marker.len();
        Some(unescape(self.page.body[i..].split('"').next()?))
    }

    /// Follows a redirect to the sign-in page and signs in there, going on where it leads.
    pub async fn sign_in_from(&mut self, sign_in_url: &str) -> Page {
        let form = self.get(sign_in_url).await;
        assert_eq!(form.status, 200, "{}", form.body);
        let next = form.hidden("next").unwrap_or_default();
        let (email, password) = (self.email.clone(), self.password.clone());
        self.submit(
            "/console/sign-in",
            &[("email", &email), ("password", &password), ("next", &next)],
        )
        .await
    }

    /// Opens a ticket by number.
    pub async fn open_ticket(&mut self, number: i64) -> Page {
        self.get(&format!("/console/tickets/{number}")).await
    }

    /// The revision the open ticket's edit forms carry.
    pub fn revision(&self) -> String {
        self.page
            .hidden("revision")
            .expect("an edit form with a revision")
    }

    /// Adds a note to a ticket (opening it first).
    pub async fn add_note(&mut self, number: i64, text: &str) -> Page {
        self.open_ticket(number).await;
        self.submit(
            &format!("/console/tickets/{number}/notes"),
            &[("body", text)],
        )
        .await
    }

    /// Assigns a ticket (`me`, `none` or a manager id) from the ticket as last opened.
    pub async fn assign_to(&mut self, number: i64, assignee: &str) -> Page {
        let revision = self.revision();
        self.submit(
            &format!("/console/tickets/{number}/assign"),
            &[("revision", &revision), ("assignee", assignee)],
        )
        .await
    }

    /// Sets a ticket's status from the ticket as last opened.
    pub async fn set_status(&mut self, number: i64, status: &str) -> Page {
        let revision = self.revision();
        self.submit(
            &format!("/console/tickets/{number}/status"),
            &[("revision", &revision), ("status", status)],
        )
        .await
    }

    /// Signs out with the page's form.
    pub async fn sign_out(&mut self) -> Page {
        self.submit("/console/sign-out", &[]).await
    }
}
