//! The queue's counts per status are kept, not computed on each view: they must still agree with
//! a plain count of the tickets after every kind of change, under every filter.

mod common;

use common::{TestApp, ok};
use helpdesk::domain::manager::Role;
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use std::str::FromStr;

/// The tabs of a queue page as (label, count): "All 3", "Open 2", "New 1", ...
fn tabs(body: &str) -> Vec<(String, i64)> {
    body.split(r#"<span class="count">"#)
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| {
            let label = w[0].rsplit('>').next().unwrap_or("").trim().to_string();
            let count = w[1]
                .split('<')
                .next()
                .unwrap_or("")
                .parse()
                .expect("a count");
            (label, count)
        })
        .collect()
}

/// A filter of the queue, as its query string and as the SQL condition it stands for.
struct Filter {
    query: String,
    condition: String,
}

fn filter(query: &str, condition: &str) -> Filter {
    Filter {
        query: query.into(),
        condition: condition.into(),
    }
}

async fn connect(app: &TestApp) -> sqlx::AnyConnection {
    app.reader().await
}

/// What the tabs should say under `condition`, counted straight from the tickets.
async fn counted(app: &TestApp, condition: &str) -> Vec<(String, i64)> {
    let mut conn = connect(app).await;
    let sql = format!("SELECT status, COUNT(*) FROM tickets WHERE {condition} GROUP BY status");
    let rows: Vec<(String, i64)> = sqlx::query_as(&sql)
        .fetch_all(&mut conn)
        .await
        .expect("count");
    let n = |s: &str| rows.iter().find(|r| r.0 == s).map_or(0, |r| r.1);
    let open = n("new") + n("in-progress") + n("waiting-on-customer");
    let all: i64 = rows.iter().map(|r| r.1).sum();
    // The queue opens on Open, so its tab comes first.
    vec![
        ("Open".into(), open),
        ("All".into(), all),
        ("New".into(), n("new")),
        ("In progress".into(), n("in-progress")),
        ("Waiting on customer".into(), n("waiting-on-customer")),
        ("Resolved".into(), n("resolved")),
        ("Closed".into(), n("closed")),
    ]
}

/// The kept counts, row for row, against the tickets grouped the same way.
async fn assert_table_exact(app: &TestApp, when: &str) {
    let mut conn = connect(app).await;
    let kept: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT problem_id, outcome_kind, assignee_id, status, tickets FROM ticket_counts
         ORDER BY problem_id, outcome_kind, assignee_id, status",
    )
    .fetch_all(&mut conn)
    .await
    .expect("kept counts");
    let actual: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT problem_id, outcome_kind, COALESCE(assignee_id, ''), status, COUNT(*) FROM tickets
         GROUP BY problem_id, outcome_kind, COALESCE(assignee_id, ''), status
         ORDER BY problem_id, outcome_kind, COALESCE(assignee_id, ''), status",
    )
    .fetch_all(&mut conn)
    .await
    .expect("counted");
    assert_eq!(kept, actual, "kept counts {when}");
}

/// Every filter's tabs against a plain count, and the kept table against the tickets.
async fn assert_counts(app: &TestApp, m: &mut common::Manager, filters: &[Filter], when: &str) {
    assert_table_exact(app, when).await;
    for f in filters {
        let page = m.open_queue(&f.query).await;
        ok(&page);
        let expected = counted(app, &f.condition).await;
        assert_eq!(tabs(&page.body), expected, "{when}: ?{}", f.query);
    }
}

#[tokio::test]
async fn counts_agree_with_the_tickets_after_every_change_and_under_every_filter() {
    let app = TestApp::new().await;
    let mut ann = app
        .signed_in("ann@iims.example", "Ann Smith", Role::Admin)
        .await;
    let bob = app
        .add_manager("bob@iims.example", "Bob Jones", Role::Manager)
        .await;
    let ann_id = app
        .text("SELECT id FROM managers WHERE email = 'ann@iims.example'")
        .await
        .expect("ann");
    let me = format!("assignee_id = '{ann_id}'");
    let bobs = format!("assignee_id = '{}'", bob.id);
    let filters = [
        filter("", "1 = 1"),
        filter("status=new", "1 = 1"),
        filter("status=open", "1 = 1"),
        filter("kind=iims-support", "outcome_kind = 'iims-support'"),
        filter("kind=account-manager", "outcome_kind = 'account-manager'"),
        filter("kind=guide-ended", "outcome_kind = 'guide-ended'"),
        filter("symptom=cant-send", "problem_id = 'cant-send'"),
        filter(
            "symptom=password-prompts",
            "problem_id = 'password-prompts'",
        ),
        filter("symptom=download-stuck", "problem_id = 'download-stuck'"),
        filter("assignee=mine", &me),
        filter("assignee=unassigned", "assignee_id IS NULL"),
        filter("assignee=anyone", "1 = 1"),
        filter(&format!("assignee={}", bob.id), &bobs),
        filter(
            "kind=account-manager&assignee=unassigned",
            "outcome_kind = 'account-manager' AND assignee_id IS NULL",
        ),
        filter(
            &format!(
                "symptom=password-prompts&kind=account-manager&assignee={}",
                bob.id
            ),
            &format!(
                "problem_id = 'password-prompts' AND outcome_kind = 'account-manager' AND {bobs}"
            ),
        ),
        filter(
            "status=resolved&symptom=cant-send&assignee=mine",
            &format!("problem_id = 'cant-send' AND {me}"),
        ),
        // With a search the counts are of the matching tickets.
        filter(
            "q=corp.example",
            "lower(customer_email) LIKE '%corp.example%' OR lower(customer_name) LIKE '%corp.example%'",
        ),
        filter("q=IIMS-000002", "number = 2"),
        filter(
            "q=carol&kind=iims-support",
            "(lower(customer_email) LIKE '%carol%' OR lower(customer_name) LIKE '%carol%') AND outcome_kind = 'iims-support'",
        ),
    ];
    assert_counts(&app, &mut ann, &filters, "with no tickets").await;

    // Opened by customers: those of corp.example routed to Bob on the way in, the others
    // unassigned.
    app.store()
        .set_domain_route("corp.example", &bob.id)
        .await
        .unwrap();
    let (t1, _) = app
        .support_escalation(&[("name", "Carol Customer"), ("email", "carol@shop.example")])
        .await;
    let (t2, _) = app
        .account_manager_escalation(&[("email", "dan@corp.example"), ("account", "")])
        .await;
    let (t3, _) = app
        .account_manager_escalation(&[("email", "erin@other.example"), ("account", "")])
        .await;
    let (t4, _) = app
        .escalation(
            "download-stuck",
            &["Web sites open: I'm connected to the Internet"],
            &[("email", "fay@corp.example"), ("name", "Fay")],
        )
        .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE assignee_id IS NOT NULL")
            .await,
        2,
        "the corp.example tickets were routed"
    );
    assert_counts(&app, &mut ann, &filters, "after escalations").await;

    // Through the workflow, checking after each move.
    for status in ["in-progress", "waiting-on-customer", "resolved", "closed"] {
        ann.open_ticket(t1).await;
        ok(&ann.set_status(t1, status).await);
        assert_counts(
            &app,
            &mut ann,
            &filters,
            &format!("after t1 became {status}"),
        )
        .await;
    }
    ann.open_ticket(t2).await;
    ok(&ann.set_status(t2, "resolved").await);
    assert_counts(&app, &mut ann, &filters, "after t2 was resolved").await;

    // Assignments: to oneself, to another manager, to nobody, and back.
    for (ticket, to) in [
        (t3, "me"),
        (t4, bob.id.as_str()),
        (t3, bob.id.as_str()),
        (t2, "none"),
        (t4, "me"),
        (t1, "me"),
    ] {
        ann.open_ticket(ticket).await;
        ok(&ann.assign_to(ticket, to).await);
        assert_counts(
            &app,
            &mut ann,
            &filters,
            &format!("after assigning {ticket} to {to}"),
        )
        .await;
    }
    // A refused change (a stale revision) moves nothing.
    ann.open_ticket(t3).await;
    let stale = ann.revision();
    ok(&ann.set_status(t3, "in-progress").await);
    let refused = ann
        .submit(
            &format!("/console/tickets/{t3}/status"),
            &[("revision", &stale), ("status", "resolved")],
        )
        .await;
    assert_eq!(refused.status, 409);
    assert_counts(&app, &mut ann, &filters, "after a refused change").await;

    // Many tickets written straight to the table.
    app.seed_tickets(500).await;
    assert_counts(&app, &mut ann, &filters, "after seeding").await;

    // Changes the application never makes are kept too: the counts are the database's own.
    let mut conn = connect(&app).await;
    for sql in [
        "UPDATE tickets SET problem_id = 'cant-send', outcome_kind = 'guide-ended' WHERE number % 7 = 0",
        "UPDATE tickets SET status = 'closed', assignee_id = (SELECT id FROM managers ORDER BY email LIMIT 1) WHERE number % 5 = 0",
        "UPDATE tickets SET status = status, assignee_id = assignee_id",
        // What refers to those tickets goes first: PostgreSQL checks every reference.
        "DELETE FROM ticket_path WHERE ticket_id IN (SELECT id FROM tickets WHERE number > 400 AND number % 3 = 0)",
        "DELETE FROM ticket_audit WHERE ticket_id IN (SELECT id FROM tickets WHERE number > 400 AND number % 3 = 0)",
        "DELETE FROM insight_resolutions WHERE ticket_id IN (SELECT id FROM tickets WHERE number > 400 AND number % 3 = 0)",
        "DELETE FROM tickets WHERE number > 400 AND number % 3 = 0",
    ] {
        sqlx::query(sql).execute(&mut conn).await.expect(sql);
        assert_counts(&app, &mut ann, &filters[..4], sql).await;
    }
    assert_counts(&app, &mut ann, &filters, "at the end").await;
}

#[tokio::test]
async fn counts_start_from_the_tickets_already_recorded() {
    // A database from before the counts were kept: every migration up to the one adding them,
    // and tickets in it, some assigned.
    let dir = tempfile::tempdir().expect("temp dir");
    let db_url = format!("sqlite://{}", dir.path().join("helpdesk.db").display());
    let earlier = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir("migrations/sqlite").expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.as_str() < "20261126000004" {
            std::fs::copy(&path, earlier.path().join(&name)).expect("copy");
        }
    }
    let old_hand = "6f1c1d52-57a4-4f0c-9a43-3d1b5a0b2c11";
    {
        let mut conn = SqliteConnectOptions::from_str(&db_url)
            .expect("url")
            .create_if_missing(true)
            .connect()
            .await
            .expect("connect");
        sqlx::migrate::Migrator::new(earlier.path())
            .await
            .expect("migrations")
            .run(&mut conn)
            .await
            .expect("migrate");
        sqlx::query(
            "INSERT INTO managers (id, email, name, role, password_hash, created_at, updated_at)
             VALUES ($1, 'old@iims.example', 'Old Hand', 'manager', 'x', 0, 0)",
        )
        .bind(old_hand)
        .execute(&mut conn)
        .await
        .expect("manager");
        // What the tickets refer to, so later migrations that rebuild tables find it whole.
        for statement in [
            "INSERT INTO guide_versions (version, content, first_served_at) VALUES ('old-guide', '', 0)",
            "INSERT INTO visits (id, csrf_token, started_at, last_seen_at) VALUES ('old', 'x', 0, 0)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
             INSERT INTO visit_events (id, visit_id, seq, at, kind, guide_version, problem_id, node_id, outcome_kind)
             SELECT -i, 'old', i, 0, 'outcome', 'old-guide', 'cant-send', 'contact-iims', 'iims-support' FROM n",
        ] {
            sqlx::query(statement).execute(&mut conn).await.unwrap();
        }
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
             INSERT INTO tickets (id, number, status_token, visit_id, outcome_event_id, guide_version, problem_id,
                 ending_id, outcome_kind, reason, customer_name, customer_email, email_program, description,
                 status, created_at, updated_at, assignee_id)
             SELECT printf('old-%d', i), i, printf('%064d', i), 'old', -i, 'old-guide',
                 CASE i % 2 WHEN 0 THEN 'cant-send' ELSE 'download-stuck' END, 'contact-iims',
                 CASE i % 3 WHEN 0 THEN 'account-manager' ELSE 'iims-support' END, 'old',
                 printf('Customer %d', i), printf('old%d@example.net', i), 'Outlook', '',
                 CASE i % 5 WHEN 0 THEN 'resolved' WHEN 1 THEN 'in-progress' ELSE 'new' END,
                 1700000000000 + i * 1000, 1700000000000 + i * 1000,
                 CASE WHEN i % 4 = 0 THEN $1 END
             FROM n",
        )
        .bind(old_hand)
        .execute(&mut conn)
        .await
        .expect("tickets");
    }

    let app = TestApp::on_database(dir, db_url, helpdesk::guide::Guide::embedded()).await;
    assert_table_exact(&app, "after the migration").await;
    let mut ann = app
        .signed_in("ann@iims.example", "Ann Smith", Role::Manager)
        .await;
    let filters = [
        filter("", "1 = 1"),
        filter("kind=account-manager", "outcome_kind = 'account-manager'"),
        filter("symptom=cant-send", "problem_id = 'cant-send'"),
        filter("assignee=unassigned", "assignee_id IS NULL"),
        filter(
            &format!("assignee={old_hand}&kind=iims-support"),
            &format!("assignee_id = '{old_hand}' AND outcome_kind = 'iims-support'"),
        ),
    ];
    assert_counts(&app, &mut ann, &filters, "after the migration").await;
    let page = ann.open_queue("").await;
    assert!(page.body.contains(r#"All <span class="count">300</span>"#));
}
