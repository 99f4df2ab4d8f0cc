//! Property tests run briefly on every `cargo test`: the guide loader and form decoding are fed
//! many mutated and random inputs and must answer with an error, never a panic or a 5xx.
//! `HELPDESK_FUZZ_ITERATIONS=200000 cargo test --release --test fuzz` runs them longer.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::TestApp;
use helpdesk::guide::{DEFAULT_GUIDE, Guide};

/// Deterministic xorshift, so a failure can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn iterations(default: usize) -> usize {
    std::env::var("HELPDESK_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Mutations that keep the input near valid, where the loader's logic (not just the TOML
/// parser) is exercised: delete, duplicate or swap lines; flip, insert or drop bytes.
fn mutate(rng: &mut Rng, source: &str) -> String {
    let mut lines: Vec<String> = source.lines().map(str::to_string).collect();
    for _ in 0..1 + rng.below(3) {
        if lines.is_empty() {
            break;
        }
        let i = rng.below(lines.len());
        match rng.below(7) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(rng.below(lines.len()), l);
            }
            2 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            3 => {
                // Point a reference somewhere else.
                if let Some(p) = lines[i].find("next = \"") {
                    let other = [
                        "fixed",
                        "isp",
                        "nowhere",
                        "check-internet",
                        "",
                        "contact-iims",
                    ][rng.below(6)];
                    let end = lines[i][p + 8..]
                        .find('"')
                        .map(|e| p + 8 + e)
                        .unwrap_or(lines[i].len());
                    lines[i].replace_range(p + 8..end, other);
                }
            }
            4 => {
                let mut bytes = lines[i].clone().into_bytes();
                if !bytes.is_empty() {
                    let k = rng.below(bytes.len());
                    bytes[k] = (rng.next() % 128) as u8;
                }
                lines[i] = String::from_utf8_lossy(&bytes).into_owned();
            }
            5 => {
                let mut chars: Vec<char> = lines[i].chars().collect();
                let at = rng.below(chars.len() + 1);
                chars.insert(
                    at.min(chars.len()),
                    ['"', '[', ']', '=', '\n', '#', '\u{0}'][rng.below(7)],
                );
                lines[i] = chars.into_iter().collect();
            }
            _ => lines.truncate(i),
        }
    }
    lines.join("\n")
}

#[test]
fn mutated_guide_files_are_refused_with_a_line_or_accepted_whole() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let lines = DEFAULT_GUIDE.lines().count() + 64;
    let mut refused = 0;
    for round in 0..iterations(3000) {
        let source = mutate(&mut rng, DEFAULT_GUIDE);
        match std::panic::catch_unwind(|| Guide::parse("fuzz.toml", &source)) {
            Err(_) => panic!("round {round}: the loader panicked on:\n{source}"),
            Ok(Err(e)) => {
                refused += 1;
                assert!(!e.faults.is_empty(), "round {round}");
                for f in &e.faults {
                    assert!(
                        f.line >= 1 && f.line <= lines,
                        "round {round}: line {} out of range",
                        f.line
                    );
                    assert!(!f.message.is_empty());
                }
            }
            Ok(Ok(guide)) => {
                // Accepted: then every problem's every path must end in an outcome.
                for p in &guide.problems {
                    assert!(guide.node(p, &p.start).is_some(), "round {round}");
                    for s in &p.steps {
                        for c in s.choices() {
                            assert!(
                                guide.node(p, &c.next).is_some(),
                                "round {round}: accepted a dangling target"
                            );
                        }
                    }
                }
            }
        }
    }
    assert!(refused > 0, "the mutations found faults");
}

#[test]
fn random_bytes_are_never_a_guide() {
    let mut rng = Rng(42);
    for _ in 0..iterations(2000) {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() % 256) as u8).collect();
        let text = String::from_utf8_lossy(&bytes);
        assert!(Guide::parse("random.toml", &text).is_err());
    }
}

/// Form bodies built from the fields the site knows, random values, and random bytes.
fn random_form(rng: &mut Rng, csrf: &str) -> Vec<u8> {
    let fields = [
        "csrf",
        "choice",
        "from",
        "outcome",
        "name",
        "email",
        "phone",
        "account",
        "email_program",
        "description",
        "x",
    ];
    let values = [
        "",
        "0",
        "1",
        "-1",
        "99999999999999999999",
        "%00",
        "%FF%FE",
        "a%zz",
        "<script>",
        "'; --",
        "ann@example.com",
        "Apple+Mail",
        "%E2%80%AE",
        "+",
        "&",
        "=",
    ];
    let mut body = Vec::new();
    for i in 0..rng.below(8) {
        if i > 0 {
            body.push(b'&');
        }
        if rng.below(10) == 0 {
            body.extend((0..rng.below(20)).map(|_| (rng.next() % 256) as u8));
            continue;
        }
        let name = fields[rng.below(fields.len())];
        let value = if name == "csrf" && rng.below(2) == 0 {
            csrf
        } else {
            values[rng.below(values.len())]
        };
        body.extend_from_slice(format!("{name}={value}").as_bytes());
    }
    body
}

#[tokio::test]
async fn random_form_bodies_never_cause_a_5xx() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("cant-send").await;
    c.choose("My outgoing settings are correct and I still can't send")
        .await;
    c.choose("I still can't send").await;
    let csrf = c.csrf.clone().unwrap();
    let targets = [
        "/problems/cant-send/start",
        "/problems/cant-send/back",
        "/problems/cant-send/steps/check-smtp-settings/choose",
        "/problems/cant-send/steps/use-isp-smtp/choose",
        "/problems/cant-send/steps/contact-iims/escalate",
    ];
    let mut rng = Rng(7);
    for round in 0..iterations(600) {
        let target = targets[rng.below(targets.len())];
        let body = random_form(&mut rng, &csrf);
        let request = Request::post(target)
            .header("host", "help.example.com")
            .header("cookie", c.cookie.clone().unwrap())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body.clone()))
            .unwrap();
        let page = app.send(request).await;
        assert!(
            page.status < 500,
            "round {round}: {target} answered {} to {:?}",
            page.status,
            String::from_utf8_lossy(&body)
        );
    }
}
