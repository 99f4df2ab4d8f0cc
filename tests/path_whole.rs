//! The customer's path, whole and true: detours and back steps shown in full on the console and
//! the status page, reading a page never writing, deep links saying only what is known, and the
//! contact details a customer or a manager corrects.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{ANN, TestApp, ok};
use helpdesk::domain::manager::Role;
use helpdesk::domain::time::Timestamp;
use helpdesk::store::InsightQuery;

/// A "download gets stuck" customer who is sent to the ISP, comes back, and escalates.
async fn detour(app: &TestApp) -> (common::Customer, i64, String) {
    let mut c = app.customer();
    c.pick("download-stuck").await;
    let page = c.choose("I can't open a Web site").await;
    assert!(page.shows("Contact your Internet Service Provider (ISP)"));
    let page = c
        .submit("/problems/download-stuck/back", &[("from", "isp")])
        .await;
    ok(&page);
    c.choose("Web sites open: I'm connected to the Internet")
        .await;
    let page = c.escalate(ANN).await;
    ok(&page);
    let number = app.count("SELECT MAX(number) FROM tickets").await;
    let token = app
        .text("SELECT status_token FROM tickets ORDER BY number DESC LIMIT 1")
        .await
        .unwrap();
    (c, number, format!("/tickets/{token}"))
}

#[tokio::test]
async fn a_detour_through_the_isp_is_shown_whole_on_the_console_and_the_status_page() {
    let app = TestApp::new().await;
    let (mut c, number, status) = detour(&app).await;

    let page = c.get(&status).await;
    ok(&page);
    let said = [
        "You chose <strong>Downloading my email gets stuck or times out</strong>",
        "1) Confirm that you are successfully connected to the Internet: you answered <strong>I can't open a Web site</strong>",
        "You reached: Contact your Internet Service Provider (ISP)",
        "You came back from the ISP referral",
        "1) Confirm that you are successfully connected to the Internet: you answered <strong>Web sites open: I'm connected to the Internet</strong>",
        "You reached: 2) If you are successfully connected to the Internet",
    ];
    let mut at = 0;
    for line in said {
        let found = page.body[at..]
            .find(
                &common::escape(line)
                    .replace("&lt;", "<")
                    .replace("&gt;", ">"),
            )
            .unwrap_or_else(|| panic!("the status page lacks, in order: {line}\n{}", page.body));
        at += found;
    }

    let mut m = app
        .signed_in("mia@iims.example", "Mia Manager", Role::Manager)
        .await;
    let page = m.open_ticket(number).await;
    ok(&page);
    // The compact reading: what the customer finally did.
    assert!(page.shows("What the customer finally did"));
    assert!(page.shows("Answered: <strong>Web sites open: I'm connected to the Internet</strong>"));
    // The full reading, open because the path had detours, in the manager's words.
    assert!(page.shows("with detours"));
    // The CSV exports lead from the ticket to every event of its path, the detour included.
    let today = helpdesk::domain::time::date(helpdesk::domain::time::Zone::utc().today());
    let tickets = m
        .get(&format!(
            "/console/insights/tickets.csv?from={today}&to={today}"
        ))
        .await;
    let mut reader =
        csv::Reader::from_reader(tickets.body.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let column = |name: &str| row[headers.iter().position(|h| h == name).unwrap()].to_string();
    let (visit, outcome) = (column("visit"), column("outcome_event"));
    assert_eq!(visit, c.visit_id().to_string());
    let events = m
        .get(&format!(
            "/console/insights/events.csv?from={today}&to={today}"
        ))
        .await;
    let mut reader =
        csv::Reader::from_reader(events.body.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let path: Vec<String> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| r[at("visit")] == visit)
        .filter(|r| r[at("event_id")].parse::<i64>().unwrap() <= outcome.parse::<i64>().unwrap())
        .map(|r| format!("{} {}", &r[at("kind")], &r[at("step")]))
        .collect();
    assert_eq!(
        path,
        [
            "symptom check-internet",
            "choice check-internet",
            "outcome isp",
            "back isp",
            "shown check-internet",
            "choice check-internet",
            "outcome message-too-large",
        ]
    );

    for line in [
        "Chose <strong>Downloading my email gets stuck or times out</strong>",
        "answered <strong>I can't open a Web site</strong>",
        "Reached (Referred to the ISP): Contact your Internet Service Provider (ISP)",
        "Came back from the ISP referral: their Internet connection worked again",
        "answered <strong>Web sites open: I'm connected to the Internet</strong>",
        "Reached (Account Manager): 2) If you are successfully connected",
    ] {
        assert!(page.shows(line), "the console lacks {line}");
    }
}

#[tokio::test]
async fn a_customer_who_goes_back_a_step_and_then_escalates_has_both_readings() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("cant-send").await;
    c.choose("My outgoing settings are correct and I still can't send")
        .await;
    let page = c
        .submit("/problems/cant-send/back", &[("from", "use-isp-smtp")])
        .await;
    ok(&page);
    assert!(page.shows("Step 1 of 3"));
    c.choose("My outgoing settings are correct and I still can't send")
        .await;
    c.choose("I still can't send").await;
    let page = c.escalate(ANN).await;
    ok(&page);
    assert!(page.shows(
        "You went back a step, to 1) Confirm that your outgoing email (SMTP) settings are correct"
    ));
    // The ticket's compact path holds each step once.
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_path").await, 3);
    // Its reason is the guide's: the customer did reach the contact point through the steps.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM tickets WHERE reason LIKE 'Still can''t send after confirming%'"
        )
        .await,
        1
    );
    let mut m = app
        .signed_in("mia@iims.example", "Mia Manager", Role::Manager)
        .await;
    let page = m.open_ticket(1).await;
    assert!(page.shows(
        "Went back a step, to 1) Confirm that your outgoing email (SMTP) settings are correct"
    ));
}

/// Every page a customer can open, as a crawler or a link preview would find them.
fn customer_pages(app: &TestApp) -> Vec<String> {
    let guide = app.guide();
    let mut pages = vec!["/".to_string(), "/contact".to_string()];
    for p in &guide.problems {
        pages.push(format!("/problems/{}", p.id));
        for s in &p.steps {
            pages.push(format!("/problems/{}/steps/{}", p.id, s.id));
        }
        for e in &p.endings {
            pages.push(format!("/problems/{}/steps/{e}", p.id));
        }
    }
    pages
}

/// Every row count of every table, to tell whether anything was written.
async fn every_table(app: &TestApp) -> Vec<(String, i64)> {
    let tables = app.tables().await;
    let mut counts = Vec::new();
    for t in tables {
        let sql = format!("SELECT COUNT(*) FROM \"{t}\"");
        counts.push((t, app.count(&sql).await));
    }
    counts
}

#[tokio::test]
async fn a_thousand_cookieless_reads_write_nothing_and_the_next_customer_gets_a_true_path() {
    let app = TestApp::new().await;
    // Something to count, so a change would show.
    app.support_escalation(&[]).await;
    let now = Timestamp::now();
    let day = helpdesk::domain::time::Zone::utc().local_day(now);
    let q = InsightQuery {
        from_day: day - 1,
        to_day: day,
        problem: None,
        now,
    };
    let tables = every_table(&app).await;
    let figures = app.store().insights(&q).await.unwrap();
    let pages = customer_pages(&app);
    assert!(pages.len() > 20);
    let mut reads = 0;
    while reads < 1000 {
        for (i, path) in pages.iter().enumerate() {
            for method in ["GET", "HEAD"] {
                let mut r = Request::builder()
                    .method(method)
                    .uri(path)
                    .header("host", "help.example.com");
                if i % 2 == 0 {
                    // A browser's prefetch, and a link preview's.
                    r = r
                        .header("sec-purpose", "prefetch")
                        .header("purpose", "prefetch");
                }
                let page = app.send(r.body(Body::empty()).unwrap()).await;
                assert_eq!(page.status, 200, "{method} {path}");
                assert!(
                    page.header("set-cookie").is_none(),
                    "{method} {path} set a cookie"
                );
                reads += 1;
            }
        }
    }
    assert_eq!(every_table(&app).await, tables, "no row changed");
    assert_eq!(app.store().insights(&q).await.unwrap(), figures);

    // A customer who read pages and then acts has exactly the path they took.
    let mut c = app.customer();
    c.get("/problems/cant-send").await;
    c.pick("cant-send").await;
    c.choose("My outgoing settings are correct and I still can't send")
        .await;
    let page = c.choose("That fixed it: I can send email now").await;
    assert!(page.shows("Glad that fixed it"));
    let kinds: Vec<_> = app
        .store()
        .events(c.visit_id())
        .await
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e.kind.as_str(), e.node_id))
        .collect();
    assert_eq!(
        kinds,
        [
            "symptom check-smtp-settings",
            "choice check-smtp-settings",
            "shown use-isp-smtp",
            "choice use-isp-smtp",
            "outcome fixed",
        ]
    );
    let after = app.store().insights(&q).await.unwrap();
    assert_eq!(after.total().started, figures.total().started + 1);
}

#[tokio::test]
async fn a_bookmarked_contact_page_says_the_customer_came_straight_there() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    let page = c.get("/problems/cant-send/steps/contact-iims").await;
    ok(&page);
    assert!(page.shows("You opened this page directly, so no earlier steps are recorded."));
    assert!(!page.shows("Nothing yet: this is the first step."));
    assert!(page.shows("Step 3 of 3"));
    let after = c.page.hidden("after").unwrap();
    let mut fields = vec![("outcome", ""), ("after", after.as_str())];
    fields.extend_from_slice(ANN);
    // A double submit opens one ticket.
    let token = c.csrf.clone().unwrap();
    assert!(token.starts_with("new-"));
    let mut twin = c.clone();
    let (a, b) = tokio::join!(
        c.submit("/problems/cant-send/steps/contact-iims/escalate", &fields),
        twin.submit("/problems/cant-send/steps/contact-iims/escalate", &fields)
    );
    ok(&a);
    ok(&b);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM visits").await, 1);
    assert!(a.shows("You opened 3) Contact IIMS if you've attempted the above and the problem continues. directly"));
    let reason = app.text("SELECT reason FROM tickets").await.unwrap();
    assert_eq!(reason, helpdesk::tickets::CAME_DIRECTLY);
    assert!(!reason.contains("SMTP"), "it claims no step");
}

#[tokio::test]
async fn deep_links_and_the_back_button_say_only_what_is_known() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    // Step 2 from a bookmark, in a fresh browser.
    let page = c.get("/problems/cant-send/steps/use-isp-smtp").await;
    assert!(page.shows("Step 2 of 3"));
    assert!(page.shows("You opened this page directly"));
    assert!(!page.shows("Nothing yet"));
    // Answering it records that the customer came straight to it.
    c.choose("I still can't send").await;
    let kinds: Vec<_> = app
        .store()
        .events(c.visit_id())
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(kinds, ["shown", "choice", "outcome"]);

    // The browser's Back button to an answered step: the sidebar lists only what came before.
    let mut d = app.customer();
    d.pick("cant-send").await;
    d.choose("My outgoing settings are correct and I still can't send")
        .await;
    let page = d.get("/problems/cant-send/steps/check-smtp-settings").await;
    assert!(page.shows("You answered this step before: <strong>My outgoing settings are correct and I still can't send</strong>"));
    assert!(!page.shows("You answered: My outgoing settings"));
    assert!(page.shows("Continue where you left off"));
    // Can't receive has one numbered step: never "1 of 1".
    let page = d
        .get("/problems/cant-receive/steps/check-pop3-settings")
        .await;
    assert!(page.shows("Step 1"));
    assert!(!page.shows("Step 1 of 1"));
    assert!(page.shows("You were working on"));
    // Instructions are a list, not checkboxes nobody keeps.
    assert!(!page.body.contains(r#"type="checkbox""#));
}

#[tokio::test]
async fn coming_back_after_the_isp_resumes_where_the_customer_was() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("cant-send-or-receive").await;
    c.choose("I can't open a Web site").await;
    let home = c.open_home().await;
    assert!(home.shows("led you to contact your Internet Service Provider"));
    assert!(home.body.contains(
        r#"href="/problems/cant-send-or-receive/steps/check-internet">My connection works again: continue the guide"#
    ));
    // Picking the symptom again shows the step that referred them, with their answer.
    let page = c.pick("cant-send-or-receive").await;
    assert!(page.shows("You answered this step before: <strong>I can't open a Web site</strong>"));
    let page = c
        .choose("Web sites open: I'm connected to the Internet")
        .await;
    assert!(page.shows("Confirm that your incoming and outgoing email settings are correct"));
    assert!(page.shows("You answered: Web sites open: I'm connected to the Internet"));
}

#[tokio::test]
async fn something_else_opens_a_ticket_of_its_own_kind() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    let home = c.open_home().await;
    assert!(home.shows("Something else: my problem isn't listed here"));
    ok(&c.get("/contact").await);
    let after = c.page.hidden("after").unwrap();
    // A description is what this form is about.
    let page = c
        .submit(
            "/contact",
            &[
                ("after", after.as_str()),
                ("name", "Eve"),
                ("email", "eve@example.com"),
                ("email_program", "Apple Mail"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.shows("Describe your problem"));
    assert!(page.body.contains(r#"value="eve@example.com""#), "kept");
    let page = c
        .submit(
            "/contact",
            &[
                ("after", after.as_str()),
                ("name", "Eve"),
                ("email", "eve@example.com"),
                ("email_program", "Apple Mail"),
                ("description", "I think someone else reads my mail."),
            ],
        )
        .await;
    ok(&page);
    assert!(page.shows("your reference is IIMS-000001"));
    assert!(page.shows("You wrote to us without going through the guide."));
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM tickets WHERE outcome_kind = 'not-in-guide' AND problem_id = ''"
        )
        .await,
        1
    );
    let mut m = app
        .signed_in("mia@iims.example", "Mia Manager", Role::Manager)
        .await;
    let page = m.open_queue("kind=not-in-guide").await;
    ok(&page);
    assert_eq!(m.references(), ["IIMS-000001"]);
    let page = m.open_ticket(1).await;
    assert!(page.shows("Something else: my problem isn't listed here"));
    assert!(page.shows("Not in the guide"));
    // Written from the home page's entry: nothing was opened "directly" past any step.
    assert!(page.shows("Reached (Not in the guide): Tell IIMS about your problem"));
    assert!(!page.shows("directly"));
}

#[tokio::test]
async fn contact_details_are_corrected_by_the_customer_until_a_manager_acts_then_by_managers() {
    let app = TestApp::new().await;
    let (number, status) = app
        .support_escalation(&[("email", "ann@exmaple.com")])
        .await;
    let mut c = app.customer();
    let page = c.get(&status).await;
    ok(&page);
    assert!(page.shows("Now: a**@exmaple.com"));
    assert!(!page.shows("ann@exmaple.com"), "never the whole address");
    let csrf = page.hidden("csrf").unwrap();
    // A wrong address is refused with its message; nothing changes.
    let bad = c
        .post_raw(
            &format!("{status}/contact"),
            &[("csrf", &csrf), ("email", "ann@")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.shows("Enter an email address like name@example.com."));
    // A form without the page's token changes nothing.
    let forged = c
        .post_raw(
            &format!("{status}/contact"),
            &[("csrf", "x"), ("email", "evil@example.net")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let fixed = c
        .post_raw(
            &format!("{status}/contact"),
            &[
                ("csrf", &csrf),
                ("email", "ann@example.com"),
                ("phone", "555 0100 ext. 23"),
            ],
        )
        .await;
    assert_eq!(fixed.status, 303);
    let page = c.get(fixed.location().unwrap()).await;
    assert!(page.shows("Your contact details were updated."));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE customer_email = 'ann@example.com' AND customer_phone = '555 0100 ext. 23' AND customer_name = 'Ann Example'")
            .await,
        1,
        "empty fields keep what was held"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_audit WHERE action = 'contact' AND actor_id IS NULL AND before LIKE '%ann@exmaple.com%'")
            .await,
        1
    );

    // A manager acts: the customer can no longer change it; the manager can, audited.
    let mut m = app
        .signed_in("mia@iims.example", "Mia Manager", Role::Manager)
        .await;
    m.open_ticket(number).await;
    ok(&m.assign_to(number, "me").await);
    let page = c.get(&status).await;
    assert!(!page.body.contains("/contact\""), "the form is gone");
    let late = c
        .post_raw(
            &format!("{status}/contact"),
            &[("csrf", &csrf), ("name", "Mallory")],
        )
        .await;
    assert_eq!(late.status, 409);
    m.open_ticket(number).await;
    let revision = m.revision();
    let page = m
        .submit(
            &format!("/console/tickets/{number}/contact"),
            &[
                ("revision", &revision),
                ("name", "Ann Example"),
                ("email", "not an address"),
                ("phone", ""),
                ("account", "example.com"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains(r#"value="not an address""#),
        "what was typed is kept"
    );
    let page = m
        .submit(
            &format!("/console/tickets/{number}/contact"),
            &[
                ("revision", &revision),
                ("name", "Ann Example-Smith"),
                ("email", "ann@example.com"),
                ("phone", ""),
                ("account", "example.com"),
            ],
        )
        .await;
    ok(&page);
    assert!(page.shows("Ann Example-Smith"));
    assert!(page.shows("Contact details corrected"));
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM ticket_audit WHERE action = 'contact' AND actor_id IS NOT NULL"
        )
        .await,
        1
    );
    // The same stale form again is a conflict, not an overwrite.
    let stale = m
        .submit(
            &format!("/console/tickets/{number}/contact"),
            &[
                ("revision", &revision),
                ("name", "Someone Else"),
                ("email", "ann@example.com"),
            ],
        )
        .await;
    assert_eq!(stale.status, 409);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE customer_name = 'Ann Example-Smith'")
            .await,
        1
    );
}

#[tokio::test]
async fn customer_words_promise_nothing_the_site_does_not_do() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("cant-receive").await;
    let page = c
        .choose("My incoming settings are correct and I still don't receive email")
        .await;
    // The guide-ended page speaks to the customer, not about them.
    assert!(!page.shows("The customer went through"));
    assert!(
        page.body
            .contains(r#"<option value="" selected>Choose one</option>"#)
    );
    let page = c.escalate(ANN).await;
    ok(&page);
    for promise in ["reply to", "We have replied", "our last email", "email you"] {
        assert!(!page.shows(promise), "the status page promises {promise:?}");
    }
    let mut m = app
        .signed_in("mia@iims.example", "Mia Manager", Role::Manager)
        .await;
    m.open_ticket(1).await;
    ok(&m.set_status(1, "waiting-on-customer").await);
    let page = c
        .get(&format!(
            "/tickets/{}",
            app.text("SELECT status_token FROM tickets").await.unwrap()
        ))
        .await;
    assert!(page.shows("Waiting for you"));
    assert!(!page.shows("replied"));
}

#[tokio::test]
async fn the_same_form_sent_again_with_a_corrected_address_updates_the_one_ticket() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("password-prompts").await;
    c.choose("I'm still asked for my username or password")
        .await;
    let form = c.page.clone();
    let mut typo: Vec<(&str, &str)> = ANN.to_vec();
    typo.retain(|(k, _)| *k != "email");
    typo.push(("email", "ann@exmaple.com"));
    ok(&c.escalate(&typo).await);
    // The browser's Back button to the form as it was, the address fixed, sent again.
    c.csrf = form.hidden("csrf");
    c.page = form;
    let page = c.escalate(ANN).await;
    ok(&page);
    assert!(page.shows("your corrected contact details were saved"));
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1);
    assert_eq!(
        app.text("SELECT customer_email FROM tickets")
            .await
            .unwrap(),
        "ann@example.com"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_audit WHERE action = 'contact'")
            .await,
        1
    );
    // A plain double submit changes nothing and says nothing.
    c.page = c
        .get("/problems/password-prompts/steps/contact-account-manager")
        .await;
    assert!(c.page.shows("You've already sent this to IIMS"));
}

#[tokio::test]
async fn the_first_step_answered_again_later_starts_a_new_attempt_but_not_straight_away() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("cant-send").await;
    c.choose("That fixed it: I can send email now").await;
    // The browser's Back button straight away, and the other answer: the same attempt.
    c.get("/problems/cant-send/steps/check-smtp-settings").await;
    c.choose("My outgoing settings are correct and I still can't send")
        .await;
    let symptoms = "SELECT COUNT(*) FROM visit_events WHERE kind = 'symptom'";
    assert_eq!(app.count(symptoms).await, 1);
    c.choose("That fixed it: I can send email now").await;

    // An hour later the customer is back with the same problem: a new attempt.
    let visit = c.visit_id();
    app.execute(&format!(
        "UPDATE visit_events SET at = at - 3600000 WHERE visit_id = '{visit}'"
    ))
    .await;
    let (cookie, csrf) = (c.cookie.clone(), c.csrf.clone());
    let app = app
        .restart_with_guide(helpdesk::guide::Guide::embedded())
        .await;
    let mut c = app.customer();
    (c.cookie, c.csrf) = (cookie, csrf);
    c.pick("cant-send").await;
    c.choose("My outgoing settings are correct and I still can't send")
        .await;
    assert_eq!(app.count(symptoms).await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM insight_attempts").await, 2);
}
