//! `helpdesk migrate-database`, through the real binary: a seeded SQLite installation copied
//! into an empty PostgreSQL database shows the same insight figures, holds the same rows in
//! every table, and goes on numbering tickets after the copied ones; a database that holds data
//! is refused.

mod common;

use std::process::{Command, Output};

use common::{ANN, TestApp, connect_any, ok, real_postgres};
use helpdesk::domain::time::Timestamp;
use helpdesk::guide::Guide;
use helpdesk::store::{InsightQuery, Insights, Store};

fn helpdesk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// The insights for the last 90 days, for all problems and each one.
async fn figures(url: &str) -> Vec<Insights> {
    let store = Store::open(url).await.unwrap();
    let now = Timestamp::now();
    let zone = store.insight_zone();
    let mut problems: Vec<Option<String>> = vec![None];
    problems.extend(
        Guide::embedded()
            .problems
            .iter()
            .map(|p| Some(p.id.clone())),
    );
    let mut out = Vec::new();
    for problem in problems {
        let q = InsightQuery {
            from_day: zone.local_day(Timestamp(now.millis() - 90 * 86_400_000)),
            to_day: zone.local_day(now),
            problem,
            now,
        };
        out.push(store.insights(&q).await.unwrap());
    }
    store.close().await;
    out
}

/// Every table's row count, but the sessions' (not copied).
async fn counts(url: &str) -> Vec<(String, i64)> {
    let mut conn = connect_any(url).await;
    let mut out = Vec::new();
    for table in [
        "guide_versions",
        "visits",
        "visit_events",
        "managers",
        "tickets",
        "ticket_path",
        "ticket_audit",
        "ticket_counts",
        "insight_attempts",
        "insight_daily",
        "insight_hourly",
        "insight_tickets",
        "insight_resolutions",
        "insight_contacts_sent",
        "outbox",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        out.push((table.to_string(), n));
    }
    out
}

#[tokio::test]
async fn a_seeded_sqlite_installation_moves_to_postgresql_with_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    let from = format!("sqlite://{}", dir.path().join("helpdesk.db").display());
    let seeded = helpdesk(&[
        "seed",
        "--database-url",
        &from,
        "--tickets",
        "150",
        "--events",
        "6000",
        "--days",
        "60",
    ]);
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let to = real_postgres::cluster().new_database().await;
    let before = figures(&from).await;
    assert!(before[0].total().started > 0 && before[0].tickets.opened > 100);
    let counted = counts(&from).await;

    let moved = helpdesk(&["migrate-database", "--from", &from, "--to", &to]);
    let said = String::from_utf8_lossy(&moved.stdout);
    assert!(
        moved.status.success(),
        "{}",
        String::from_utf8_lossy(&moved.stderr)
    );
    assert!(said.contains("copied 30 tables"), "{said}");
    assert!(
        said.contains("visit_events") && said.contains(" ok"),
        "{said}"
    );

    assert_eq!(counts(&to).await, counted);
    assert_eq!(figures(&to).await, before, "the insights read the same");

    // Refused the second time: the target holds data now.
    let again = helpdesk(&["migrate-database", "--from", &from, "--to", &to]);
    assert!(!again.status.success());
    let why = String::from_utf8_lossy(&again.stderr);
    assert!(why.contains("not empty"), "{why}");
    assert_eq!(counts(&to).await, counted, "nothing written by the refusal");

    // The moved installation serves: a new ticket is numbered after the copied ones.
    let tickets = counted.iter().find(|(t, _)| t == "tickets").unwrap().1;
    let app =
        TestApp::on_database(tempfile::tempdir().unwrap(), to.clone(), Guide::embedded()).await;
    let (number, link) = app.support_escalation(ANN).await;
    assert_eq!(number, tickets + 1);
    ok(&app.customer().get(&link).await);
}

#[tokio::test]
async fn only_sqlite_to_postgresql_and_only_an_existing_source() {
    let to = real_postgres::cluster().new_database().await;
    for (from, target, says) in [
        (
            "postgres://x@127.0.0.1/x",
            to.as_str(),
            "--from must be a SQLite database",
        ),
        (
            "sqlite:///nowhere/helpdesk.db",
            to.as_str(),
            "no such database",
        ),
        (
            "sqlite://a.db",
            "sqlite://b.db",
            "--to must be a PostgreSQL database",
        ),
    ] {
        let out = helpdesk(&["migrate-database", "--from", from, "--to", target]);
        assert!(!out.status.success());
        let why = String::from_utf8_lossy(&out.stderr);
        assert!(why.contains(says), "{from} -> {target}: {why}");
    }
}
