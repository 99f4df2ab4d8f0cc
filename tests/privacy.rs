//! A customer's privacy requests through the real binary on a database the router wrote:
//! `helpdesk privacy export` writes out everything held about an address, and `helpdesk privacy
//! erase` leaves no table holding the address, the name or the phone number (every column of
//! every table is searched), while the guide paths, the numbers and the insight figures stay
//! as they were.

mod common;

use std::process::Command;

use common::{TestApp, contains_sql, ok, quoted_sql};
use helpdesk::domain::manager::Role;

const ANN_EMAIL: &str = "ann@example.com";
const ANN_NAME: &str = "Ann Example";
const ANN_PHONE: &str = "+1 (203) 555-0100";

/// Runs `helpdesk privacy ARGS` on the app's database; its standard output.
fn privacy(app: &TestApp, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .arg("privacy")
        .args(args)
        .args(["--database-url", &app.db_url])
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "privacy {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The first column of every row `sql` returns, as text.
async fn strings(app: &TestApp, sql: &str) -> Vec<String> {
    sqlx::query_scalar(sql)
        .fetch_all(&mut app.reader().await)
        .await
        .expect(sql)
}

/// Where in the whole database `text` is held (any case): every column of every table.
async fn holders(app: &TestApp, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for table in app.tables().await {
        for column in app.columns(&table).await {
            let n = app
                .count(&format!(
                    "SELECT COUNT(*) FROM \"{table}\" WHERE {}",
                    contains_sql(
                        &format!("lower(CAST(\"{column}\" AS TEXT))"),
                        &format!("lower('{}')", text.replace('\'', "''"))
                    )
                ))
                .await;
            if n > 0 {
                found.push(format!("{table}.{column} ({n})"));
            }
        }
    }
    found
}

/// Every insight counter and queue count, each row as text: what the insights and the queue
/// show.
async fn figures(app: &TestApp) -> Vec<String> {
    let mut all = Vec::new();
    for table in [
        "insight_attempts",
        "insight_daily",
        "insight_hourly",
        "insight_tickets",
        "insight_contacts_sent",
        "insight_resolutions",
        "insight_resolution_hours",
        "ticket_counts",
    ] {
        let row = app
            .columns(table)
            .await
            .iter()
            .map(|c| quoted_sql(c))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        for r in strings(app, &format!("SELECT {row} FROM \"{table}\" ORDER BY 1")).await {
            all.push(format!("{table}: {r}"));
        }
    }
    all
}

#[tokio::test]
async fn export_returns_everything_held_and_erase_leaves_nothing_but_the_figures() {
    let app = TestApp::new().await;
    // Ann: two tickets, a message, a contact correction, a manager's note and reply quoting her.
    let (first, link) = app.support_escalation(&[]).await;
    let (second, _) = app.account_manager_escalation(&[]).await;
    // Someone else, who must keep everything.
    let (bob, _) = app
        .support_escalation(&[
            ("name", "Bob Other"),
            ("email", "bob@example.net"),
            ("phone", "+1 (203) 555-0199"),
            ("account", "example.net"),
        ])
        .await;
    let mut ann = app.customer();
    let page = ann.get(&link).await;
    let csrf = page.hidden_in(&format!("{link}/messages"), "csrf").unwrap();
    let sent = ann
        .post_raw(
            &format!("{link}/messages"),
            &[
                ("csrf", &csrf),
                ("body", "My number is +1 (203) 555-0100, call me."),
            ],
        )
        .await;
    assert_eq!(sent.status, 303);
    let mut rita = app
        .signed_in("rita@iims.example", "Rita Admin", Role::Admin)
        .await;
    let ticket = format!("/console/tickets/{first}");
    rita.get(&ticket).await;
    ok(&rita
        .submit(
            &format!("{ticket}/notes"),
            &[(
                "body",
                "Called Ann Example at ann@example.com: port 25 blocked.",
            )],
        )
        .await);
    ok(&rita
        .submit(
            &format!("{ticket}/replies"),
            &[("body", "Hello Ann Example, please try port 587.")],
        )
        .await);
    let before = figures(&app).await;
    let paths = format!(
        "SELECT t.number || ':' || p.position || ':' || p.node_id FROM ticket_path p
         JOIN tickets t ON t.id = p.ticket_id WHERE t.number IN ({first}, {second}, {bob})
         ORDER BY t.number, p.position"
    );
    let paths_before = strings(&app, &paths).await;
    assert!(!holders(&app, ANN_EMAIL).await.is_empty());

    // Export: both of Ann's tickets, with all on them; nothing of Bob's.
    let json: serde_json::Value =
        serde_json::from_str(&privacy(&app, &["export", "--email", "ANN@example.com"]))
            .expect("JSON");
    let tickets = json["tickets"].as_array().expect("tickets");
    let numbers: Vec<i64> = tickets
        .iter()
        .map(|t| t["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [first, second]);
    let t = &tickets[0];
    assert_eq!(t["name"], ANN_NAME);
    assert_eq!(t["email"], ANN_EMAIL);
    assert_eq!(t["phone"], ANN_PHONE);
    assert!(
        t["description"]
            .as_str()
            .unwrap()
            .contains("It stopped on Monday.")
    );
    assert_eq!(
        t["path"].as_array().unwrap().len(),
        3,
        "the path, step by step"
    );
    let said = |key: &str| serde_json::to_string(&t[key]).unwrap();
    assert!(said("messages").contains("call me"), "{}", said("messages"));
    assert!(said("messages").contains("please try port 587"));
    assert!(said("notes").contains("port 25 blocked"));
    assert!(!json.to_string().contains("Bob Other"));

    // Erase.
    let summary = privacy(&app, &["erase", "--email", ANN_EMAIL]);
    assert!(summary.contains("erased from 2 ticket(s)"), "{summary}");
    for text in [ANN_EMAIL, ANN_NAME, ANN_PHONE, "555-0100"] {
        assert_eq!(
            holders(&app, text).await,
            Vec::<String>::new(),
            "{text} is still held"
        );
    }
    // Bob's details are all still there: the search above finds what is held.
    assert!(!holders(&app, "bob@example.net").await.is_empty());
    assert!(!holders(&app, "Bob Other").await.is_empty());
    // The paths, the numbers and the figures stay.
    assert_eq!(figures(&app).await, before, "the insight and queue figures");
    assert_eq!(strings(&app, &paths).await, paths_before, "the guide paths");
    // The old status link leads nowhere; the audit trail says what happened, without the data.
    assert_eq!(app.customer().get(&link).await.status, 404);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket_audit a JOIN tickets t ON t.id = a.ticket_id
             WHERE t.number IN ({first}, {second}) AND a.action = 'erased' AND a.before IS NULL AND a.after IS NULL"
        ))
        .await,
        2
    );
    // The manager's note keeps what it says about the ticket.
    assert_eq!(
        app.text(&format!(
            "SELECT n.body FROM ticket_notes n JOIN tickets t ON t.id = n.ticket_id WHERE t.number = {first}"
        ))
        .await
        .as_deref(),
        Some("Called [erased] at [erased]: port 25 blocked.")
    );
    // Asked again, nothing is held, and erasing again erases nothing.
    let json: serde_json::Value =
        serde_json::from_str(&privacy(&app, &["export", "--email", ANN_EMAIL])).unwrap();
    assert_eq!(json["tickets"].as_array().unwrap().len(), 0);
    assert!(privacy(&app, &["erase", "--email", ANN_EMAIL]).contains("nothing was erased"));
}

#[test]
fn a_malformed_address_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["privacy", "erase", "--email", "not an address"])
        .args([
            "--database-url",
            &format!("sqlite://{}", dir.path().join("h.db").display()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an email address"));
}
