//! Sessions: idle and absolute lifetimes, and activity recorded without a write a page.

use std::time::Duration;

use helpdesk::domain::manager::Role;
use helpdesk::domain::time::Timestamp;
use helpdesk::store::{SESSION_ABSOLUTE, SESSION_IDLE};

use crate::common::{TestApp, ago, ok};

#[tokio::test]
async fn sessions_end_after_idle_time_and_after_their_absolute_lifetime() {
    let app = TestApp::new().await;
    let ann = app
        .add_manager("ann@iims.example", "Ann", Role::Manager)
        .await;
    let with = |token: &str| {
        let mut m = app.manager("ann@iims.example");
        m.cookies
            .push(("helpdesk_console".into(), token.to_string()));
        m
    };

    // Idle: last used longer ago than the idle limit.
    let idle = app
        .store()
        .start_session(
            &ann.id,
            None,
            None,
            ago(SESSION_IDLE + Duration::from_secs(60)),
        )
        .await
        .unwrap();
    let page = with(&idle.token).get("/console/tickets").await;
    assert_eq!(page.status, 303);
    assert!(page.location().unwrap().starts_with("/console/sign-in"));
    assert_eq!(
        app.store().session_count(&ann.id).await.unwrap(),
        0,
        "the expired session is deleted"
    );

    // Fresh enough: works, and counts as activity.
    let recent = app
        .store()
        .start_session(
            &ann.id,
            None,
            None,
            ago(SESSION_IDLE - Duration::from_secs(600)),
        )
        .await
        .unwrap();
    ok(&with(&recent.token).get("/console/tickets").await);

    // Absolute: used every few hours since sign-in, yet older than the absolute limit.
    let start = ago(SESSION_ABSOLUTE + Duration::from_secs(60));
    let busy = app
        .store()
        .start_session(&ann.id, None, None, start)
        .await
        .unwrap();
    let step = SESSION_IDLE.as_millis() as i64 / 2;
    let mut t = start.millis() + step;
    while t < Timestamp::now().millis() - step {
        assert!(
            app.store()
                .session(&busy.token, Timestamp(t))
                .await
                .unwrap()
                .is_some(),
            "alive at {t}"
        );
        t += step;
    }
    let page = with(&busy.token).get("/console/tickets").await;
    assert_eq!(page.status, 303, "a week-old session ends however active");
}

#[tokio::test]
async fn reading_pages_records_activity_at_most_once_a_minute_and_keeps_the_session_alive() {
    let app = TestApp::new().await;
    let ann = app
        .add_manager("ann@iims.example", "Ann", Role::Manager)
        .await;
    let bob = app
        .add_manager("bob@iims.example", "Bob", Role::Manager)
        .await;
    let with = |email: &str, token: &str| {
        let mut m = app.manager(email);
        m.cookies
            .push(("helpdesk_console".into(), token.to_string()));
        m
    };

    // Last used half a minute ago: reading pages writes nothing.
    let start = ago(Duration::from_secs(30));
    let recent = app
        .store()
        .start_session(&ann.id, None, None, start)
        .await
        .unwrap();
    let mut m = with("ann@iims.example", &recent.token);
    ok(&m.get("/console/tickets").await);
    ok(&m.get("/console/tickets?status=open").await);
    assert_eq!(
        app.count(
            "SELECT last_seen_at FROM manager_sessions
             WHERE manager_id = (SELECT id FROM managers WHERE email = 'ann@iims.example')"
        )
        .await,
        start.millis(),
        "no write within the minute"
    );

    // Last used ten minutes before it would expire: the page view is recorded, so the session
    // lives a full idle period from now, not from its last recorded use.
    let start = ago(SESSION_IDLE - Duration::from_secs(600));
    let idle = app
        .store()
        .start_session(&bob.id, None, None, start)
        .await
        .unwrap();
    let before = Timestamp::now();
    ok(&with("bob@iims.example", &idle.token)
        .get("/console/tickets")
        .await);
    let seen = app
        .count(
            "SELECT last_seen_at FROM manager_sessions
             WHERE manager_id = (SELECT id FROM managers WHERE email = 'bob@iims.example')",
        )
        .await;
    assert!(seen >= before.millis(), "the use was recorded");
    let later = Timestamp(start.millis() + SESSION_IDLE.as_millis() as i64 + 3_600_000);
    assert!(
        app.store()
            .session(&idle.token, later)
            .await
            .unwrap()
            .is_some(),
        "alive an hour after it would have expired unused"
    );
    let too_late = Timestamp(later.millis() + SESSION_IDLE.as_millis() as i64 + 1000);
    assert!(
        app.store()
            .session(&idle.token, too_late)
            .await
            .unwrap()
            .is_none(),
        "ends an idle period after its last use"
    );
}
