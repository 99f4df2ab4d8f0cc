//! The test harness: the real router on a fresh SQLite file with the real migrations, and
//! customers whose methods read like what a person does on the site.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use helpdesk::guide::Guide;
use helpdesk::store::Store;
use helpdesk::{AppState, app};
use http_body_util::BodyExt;
use tempfile::TempDir;
use tower::ServiceExt;

/// A running application on its own database.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub db_url: String,
    pub dir: TempDir,
}

impl TestApp {
    /// The app serving the embedded IIMS guide.
    pub async fn new() -> TestApp {
        TestApp::with_guide(Guide::embedded()).await
    }

    /// The app serving `guide`, on a fresh database.
    pub async fn with_guide(guide: Guide) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_url = format!("sqlite://{}", dir.path().join("helpdesk.db").display());
        TestApp::on_database(dir, db_url, guide).await
    }

    /// The app serving `guide` on an existing database (e.g. after a guide change).
    pub async fn on_database(dir: TempDir, db_url: String, guide: Guide) -> TestApp {
        let store = Store::open(&db_url).await.expect("open store");
        let state = AppState::new(store, guide).await.expect("state");
        TestApp {
            router: app(state.clone()),
            state,
            db_url,
            dir,
        }
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

    /// A count straight from the database, for asserting what it holds.
    pub async fn count(&self, sql: &'static str) -> i64 {
        use sqlx::ConnectOptions;
        use std::str::FromStr;
        let mut conn = sqlx::sqlite::SqliteConnectOptions::from_str(&self.db_url)
            .expect("url")
            .read_only(true)
            .connect()
            .await
            .expect("connect");
        sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect("count")
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
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

fn unescape(text: &str) -> String {
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

async fn send(router: &Router, request: Request<Body>) -> Page {
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

/// A customer with a browser's cookie jar (one cookie: the visit).
pub struct Customer {
    router: Router,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    /// The last page seen after following redirects.
    pub page: Page,
}

impl Customer {
    fn remember(&mut self, page: &Page) {
        if let Some(value) = page.header("set-cookie").and_then(|set| set.split(';').next()) {
            self.cookie = Some(value.to_string());
        }
        if let Some(token) = page.hidden("csrf") {
            self.csrf = Some(token);
        }
    }

    /// `GET path`, as typed into the address bar (no redirects followed).
    pub async fn get(&mut self, path: &str) -> Page {
        let mut request = Request::get(path).header(header::HOST, "help.example.com");
        if let Some(c) = &self.cookie {
            request = request.header(header::COOKIE, c);
        }
        let page = send(&self.router, request.body(Body::empty()).unwrap()).await;
        self.remember(&page);
        if page.status == 200 {
            self.page = page.clone();
        }
        page
    }

    /// `POST path` with `fields` exactly as given (no token added, no redirect followed).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut request = Request::post(path)
            .header(header::HOST, "help.example.com")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = &self.cookie {
            request = request.header(header::COOKIE, c);
        }
        let page = send(
            &self.router,
            request.body(Body::from(form_body(fields))).unwrap(),
        )
        .await;
        self.remember(&page);
        page
    }

    /// Submits a form with the visit's token, following a 303 like a browser.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf.clone().unwrap_or_default();
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        let page = self.post_raw(path, &all).await;
        if page.status == 303 {
            let to = page
                .location()
                .expect("redirect has a location")
                .to_string();
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

    /// Picks a symptom on the home page.
    pub async fn pick(&mut self, problem: &str) -> Page {
        if self.csrf.is_none() {
            self.open_home().await;
        }
        let page = self
            .submit(&format!("/problems/{problem}/start"), &[])
            .await;
        assert_eq!(page.status, 200, "picking {problem}: {}", page.body);
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
        let mut all = vec![("outcome", outcome.as_str())];
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

pub fn ok(page: &Page) {
    assert_eq!(page.status, StatusCode::OK.as_u16(), "{}", page.body);
}
