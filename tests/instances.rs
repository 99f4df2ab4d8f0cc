//! Instances that share one PostgreSQL database, as they run behind a balancer: what one
//! instance counts or changes holds on the other. (Always on PostgreSQL: two instances never
//! share a SQLite file.)

mod common;

use common::{TestApp, next_peer, ok, real_postgres};
use helpdesk::domain::manager::Role;
use helpdesk::limits::LimitSettings;

#[tokio::test]
async fn a_clients_limit_holds_across_two_instances_on_one_database() {
    let url = real_postgres::cluster().new_database().await;
    let limits = LimitSettings {
        choices: 4,
        ..LimitSettings::OFF
    };
    let a = TestApp::sharing(&url, limits).await;
    let b = TestApp::sharing(&url, limits).await;
    // One client answers, its requests alternating between the instances.
    let flooder = next_peer();
    let mut refused = None;
    for n in 0..12 {
        let mut c = if n % 2 == 0 {
            a.customer()
        } else {
            b.customer()
        };
        c.peer = flooder;
        c.pick("cant-send").await;
        let page = c
            .submit(&format!("{}/choose", c.at()), &[("choice", "0")])
            .await;
        if page.status == 429 {
            assert!(page.header("retry-after").is_some());
            refused = Some(n);
            break;
        }
        ok(&page);
    }
    assert_eq!(
        refused,
        Some(4),
        "the fifth answer is refused, whichever instance it reaches (each instance counting \
         alone would let eight through)"
    );
    // Another client is served by both.
    for app in [&a, &b] {
        let mut c = app.customer();
        c.pick("cant-send").await;
        ok(&c.choose_index(0).await);
    }
}

#[tokio::test]
async fn a_session_signed_in_on_one_instance_works_on_the_other_and_signing_out_ends_it_on_both() {
    let url = real_postgres::cluster().new_database().await;
    let a = TestApp::sharing(&url, LimitSettings::OFF).await;
    let b = TestApp::sharing(&url, LimitSettings::OFF).await;
    let mut rita = a
        .signed_in("rita@iims.example", "Rita Admin", Role::Admin)
        .await;
    let (number, _) = b.support_escalation(&[]).await;
    // The same browser, now sent to the other instance: signed in, with the same form token.
    rita.router = b.router.clone();
    let page = rita.get(&format!("/console/tickets/{number}")).await;
    ok(&page);
    let revision = rita.page.hidden("revision").unwrap();
    rita.router = a.router.clone();
    ok(&rita
        .submit(
            &format!("/console/tickets/{number}/status"),
            &[("revision", &revision), ("status", "in-progress")],
        )
        .await);
    // A change made through one instance is what the other shows.
    rita.router = b.router.clone();
    let page = rita.get(&format!("/console/tickets/{number}")).await;
    assert!(page.shows("In progress"), "{}", page.body);
    // Signed out on one: the other no longer knows the session.
    ok(&rita.submit("/console/sign-out", &[]).await);
    rita.router = a.router.clone();
    let page = rita.get("/console").await;
    assert_ne!(page.status, 200, "the session ended on every instance");
}
