//! A customer walking the guide: every path of the shipped guide to its outcome, and the ways
//! people really move through a site (reloads, double clicks, the back button, bookmarks).

mod common;

use common::{ANN, TestApp, all_paths, ok};
use helpdesk::domain::outcome::OutcomeKind;
use helpdesk::domain::path::EventKind;
use helpdesk::guide::Guide;

#[tokio::test]
async fn the_guide_has_fourteen_paths_ending_where_the_iims_guide_says() {
    let guide = Guide::embedded();
    let paths = all_paths(&guide);
    assert_eq!(paths.len(), 14);
    let kind = |problem: &str, ending: &str| {
        let p = guide.problem(problem).unwrap();
        guide.node(p, ending).unwrap().outcome().unwrap().kind
    };
    assert_eq!(kind("cant-send", "contact-iims"), OutcomeKind::IimsSupport);
    assert_eq!(kind("cant-receive", "guide-ended"), OutcomeKind::GuideEnded);
    assert_eq!(kind("cant-send-or-receive", "isp"), OutcomeKind::Isp);
    assert_eq!(
        kind("password-prompts", "contact-account-manager"),
        OutcomeKind::AccountManager
    );
    assert_eq!(
        kind("download-stuck", "message-too-large"),
        OutcomeKind::AccountManager
    );
    assert_eq!(
        kind("same-emails-again", "possible-virus"),
        OutcomeKind::AccountManager
    );
    assert_eq!(kind("same-emails-again", "fixed"), OutcomeKind::Resolved);
}

#[tokio::test]
async fn every_path_of_the_shipped_guide_records_its_events_and_escalations_carry_the_path() {
    let app = TestApp::new().await;
    let guide = app.guide();
    let mut tickets = 0;
    for (problem, taken, ending) in all_paths(guide) {
        let mut customer = app.customer();
        customer.pick(&problem).await;
        for &i in &taken {
            customer.choose_index(i).await;
        }
        let p = guide.problem(&problem).unwrap();
        let end = guide.node(p, &ending).unwrap();
        let outcome = end.outcome().unwrap();
        assert!(
            customer.page.shows(&end.title),
            "{problem} via {taken:?} should end at {ending}"
        );

        // The recorded events: the symptom, then per step a choice and the next page shown,
        // and the outcome reached last.
        let events = app.store().events(customer.visit_id()).await.unwrap();
        let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
        let mut expected = vec![EventKind::Symptom];
        for _ in &taken[..taken.len() - 1] {
            expected.extend([EventKind::Choice, EventKind::Shown]);
        }
        expected.extend([EventKind::Choice, EventKind::Outcome]);
        assert_eq!(kinds, expected, "{problem} via {taken:?}");
        let last = events.last().unwrap();
        assert_eq!(&*last.node_id, ending);
        assert_eq!(last.outcome_kind.as_deref(), Some(outcome.kind.as_str()));
        let choices: Vec<i64> = events.iter().filter_map(|e| e.choice_index).collect();
        assert_eq!(choices, taken.iter().map(|&i| i as i64).collect::<Vec<_>>());

        match outcome.kind {
            k if k.escalates() => {
                let page = customer.escalate(ANN).await;
                ok(&page);
                tickets += 1;
                assert!(
                    page.shows(&format!("your reference is IIMS-{tickets:06}")),
                    "{}",
                    page.body
                );
                // The confirmation lists every step the customer went through, with the answer.
                let mut node = guide.node(p, &p.start).unwrap();
                for &i in &taken {
                    assert!(page.shows(&node.title), "confirmation lacks {}", node.title);
                    assert!(page.shows(&format!(
                        "you answered <strong>{}</strong>",
                        node.choices()[i].label
                    )));
                    node = guide.node(p, &node.choices()[i].next).unwrap();
                }
                // The guide's reason is written for managers, about the customer: not for them.
                assert!(!page.shows(outcome.reason.as_deref().unwrap()));
            }
            OutcomeKind::Isp => {
                assert!(customer.page.shows("What to tell your ISP"));
                assert!(customer.page.shows(outcome.tell_isp.as_deref().unwrap()));
                assert!(!customer.page.body.contains(r#"class="escalate""#));
            }
            _ => assert!(!customer.page.body.contains(r#"class="escalate""#)),
        }
    }
    assert_eq!(tickets, 6);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 6);
    // Each ticket's stored path has the answered steps plus the ending.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_path WHERE choice_index IS NULL")
            .await,
        6
    );
}

#[tokio::test]
async fn the_guide_text_keeps_the_guides_facts() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    let page = c.pick("cant-send").await;
    assert!(page.body.contains("<strong>mail.iimsnet.com</strong>"));
    assert!(page.shows("smtp.snet.net"));
    assert!(page.shows("please restart your computer before opening your email program again"));
    let page = c.pick("cant-send-or-receive").await;
    assert!(page.shows("www.football.com") && page.shows("www.disneyworld.com"));
    let page = c.pick("password-prompts").await;
    assert!(page.shows("\"Remember Password\""));
    let page = c.pick("same-emails-again").await;
    assert!(page.shows("\"Leave Copy of Messages on Server\" checkbox is NOT CHECKED"));
}

#[tokio::test]
async fn reloading_and_double_clicking_never_record_twice() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("cant-send").await;
    let step = c.at();
    // Reload the first step three times.
    for _ in 0..3 {
        ok(&c.get("/problems/cant-send/steps/check-smtp-settings").await);
    }
    // Double click: the same choice posted twice.
    let token = c.csrf.clone().unwrap();
    let first = c
        .post_raw(
            &format!("{step}/choose"),
            &[("csrf", &token), ("choice", "1")],
        )
        .await;
    let second = c
        .post_raw(
            &format!("{step}/choose"),
            &[("csrf", &token), ("choice", "1")],
        )
        .await;
    assert_eq!(first.status, 303);
    assert_eq!(second.status, 303);
    assert_eq!(first.location(), second.location());
    c.get(first.location().unwrap()).await;
    c.get(first.location().unwrap()).await;
    let kinds: Vec<_> = app
        .store()
        .events(c.visit_id())
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [EventKind::Symptom, EventKind::Choice, EventKind::Shown]
    );
}

#[tokio::test]
async fn the_browser_back_button_and_a_different_answer_rewrite_the_path() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("cant-send").await;
    c.choose("My outgoing settings are correct and I still can't send")
        .await;
    assert!(c.at().ends_with("/use-isp-smtp"));
    // Browser back: the first step's page again, then a different answer on it.
    c.get("/problems/cant-send/steps/check-smtp-settings").await;
    let page = c.choose("That fixed it: I can send email now").await;
    assert!(page.shows("Glad that fixed it"));
    let page = c.get("/problems/cant-send/steps/fixed").await;
    // The path shows only the answer that counts now.
    assert!(page.shows("You answered: That fixed it: I can send email now"));
    assert!(!page.shows("You answered: My outgoing settings are correct and I still can't send"));
}

#[tokio::test]
async fn back_a_step_start_over_and_switching_symptom() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("cant-send").await;
    c.choose("My outgoing settings are correct and I still can't send")
        .await;
    let page = c.choose("I still can't send").await;
    assert!(page.shows("Contact IIMS if you've attempted the above and the problem continues."));

    // Back a step, twice in a row with the same form: goes back once.
    let token = c.csrf.clone().unwrap();
    let fields = [("csrf", token.as_str()), ("from", "contact-iims")];
    let a = c.post_raw("/problems/cant-send/back", &fields).await;
    let b = c.post_raw("/problems/cant-send/back", &fields).await;
    assert_eq!(a.location(), Some("/problems/cant-send/steps/use-isp-smtp"));
    assert_eq!(b.location(), Some("/problems/cant-send/steps/use-isp-smtp"));
    let page = c.get(a.location().unwrap()).await;
    assert!(page.shows("If you are using IIMS's SMTP server"));
    assert!(page.shows("You answered: My outgoing settings are correct and I still can't send"));
    assert!(!page.shows("You answered: I still can't send"));

    // Start over: back at step 1 with an empty path.
    let page = c.submit("/problems/cant-send/start", &[]).await;
    assert!(page.shows("Step 1 of 3"));
    assert!(page.shows("Nothing yet: this is the first step."));

    // Switch symptom from the home page, and answer its first step.
    let page = c.pick("download-stuck").await;
    assert!(page.shows("Confirm that you are successfully connected to the Internet"));
    assert!(page.shows("You were working on"));
    c.choose("Web sites open: I'm connected to the Internet")
        .await;
    let events = app.store().events(c.visit_id()).await.unwrap();
    let backs = events.iter().filter(|e| e.kind == EventKind::Back).count();
    assert_eq!(backs, 1);
    assert_eq!(&*events.last().unwrap().problem_id, "download-stuck");
}

#[tokio::test]
async fn the_home_page_offers_to_resume_a_journey_under_way() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("cant-send-or-receive").await;
    c.choose("Web sites open: I'm connected to the Internet")
        .await;
    let home = c.open_home().await;
    assert!(home.shows("Continue where you left off"));
    assert!(
        home.body
            .contains("/problems/cant-send-or-receive/steps/check-mail-settings")
    );
}

#[tokio::test]
async fn bookmarked_steps_and_symptoms_open_directly() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    let page = c.get("/problems/download-stuck").await;
    ok(&page);
    assert!(page.shows("Downloading my email gets stuck or times out"));
    assert!(page.shows("Start with step 1"));
    let page = c
        .get("/problems/download-stuck/steps/message-too-large")
        .await;
    ok(&page);
    assert!(page.shows("Contact your IIMS Account Manager for further assistance."));
    assert!(page.body.contains(r#"class="escalate""#));
}

#[tokio::test]
async fn unknown_symptoms_and_steps_get_a_friendly_404_with_a_way_home() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    for path in [
        "/problems/printer-on-fire",
        "/problems/cant-send/steps/no-such-step",
        "/problems/cant-send/steps/check-pop3-settings",
        // A shared ending this problem never leads to is no page of it.
        "/problems/cant-send/steps/isp",
        "/problems/cant-receive/steps/contact-iims",
        "/nowhere",
        "/problems/%FF%FE/steps/x",
    ] {
        let page = c.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(
            page.shows("We can't find that page"),
            "{path}: {}",
            page.body
        );
        assert!(page.body.contains(r#"href="/""#));
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
    }
}

#[tokio::test]
async fn a_tampered_or_unknown_cookie_starts_a_fresh_visit() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("cant-send").await;
    c.choose("My outgoing settings are correct and I still can't send")
        .await;
    let original = c.visit_id();
    for forged in [
        "helpdesk_visit=not-a-uuid".to_string(),
        "helpdesk_visit=00000000-0000-4000-8000-000000000000".to_string(),
        format!("helpdesk_visit={}x", original),
        format!(
            "helpdesk_visit={}",
            original.to_string().to_uppercase().replace('-', "")
        ),
    ] {
        let mut stranger = app.customer();
        stranger.cookie = Some(forged.clone());
        let page = stranger.get("/problems/cant-send/steps/use-isp-smtp").await;
        ok(&page);
        assert!(
            page.header("set-cookie").is_none(),
            "{forged}: reading a page starts nothing"
        );
        assert!(!page.shows("You answered"), "{forged}: no path is known");
        // Their first answer starts a fresh visit of their own.
        stranger.choose("I still can't send").await;
        assert_ne!(stranger.visit_id(), original, "{forged}");
    }
    // The original visit is untouched.
    let events = app.store().events(original).await.unwrap();
    assert_eq!(events.len(), 3);
}

#[tokio::test]
async fn forms_without_the_visits_token_are_refused_and_record_nothing() {
    let app = TestApp::new().await;
    // Without a visit, a form without a pending token starts nothing.
    let mut stranger = app.customer();
    stranger.pick("cant-send").await;
    for fields in [
        vec![("choice", "1")],
        vec![("csrf", "wrong"), ("choice", "1")],
        vec![("csrf", "new-not-a-uuid"), ("choice", "1")],
    ] {
        let page = stranger
            .post_raw(
                "/problems/cant-send/steps/check-smtp-settings/choose",
                &fields,
            )
            .await;
        assert_eq!(page.status, 403);
        assert!(page.header("set-cookie").is_none());
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM visits").await, 0);

    let mut c = app.customer();
    c.pick("cant-send").await;
    c.choose("My outgoing settings are correct and I still can't send")
        .await;
    let before = app.store().events(c.visit_id()).await.unwrap().len();
    let step = "/problems/cant-send/steps/use-isp-smtp/choose";
    for fields in [
        vec![("choice", "1")],
        vec![("csrf", "wrong"), ("choice", "1")],
    ] {
        let page = c.post_raw(step, &fields).await;
        assert_eq!(page.status, 403);
        assert!(page.shows("This page had expired"));
    }
    // From another site, even with the right token.
    let token = c.csrf.clone().unwrap();
    let request = axum::http::Request::post(step)
        .header("host", "help.example.com")
        .header("origin", "https://evil.example")
        .header("cookie", c.cookie.clone().unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!("csrf={token}&choice=1")))
        .unwrap();
    let page = app.send(request).await;
    assert_eq!(page.status, 403);
    assert_eq!(
        app.store().events(c.visit_id()).await.unwrap().len(),
        before
    );
}

#[tokio::test]
async fn an_answer_that_is_not_a_choice_is_a_clear_400() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.pick("cant-send").await;
    for bad in ["7", "-1", "one", ""] {
        let page = c
            .submit(
                "/problems/cant-send/steps/check-smtp-settings/choose",
                &[("choice", bad)],
            )
            .await;
        assert_eq!(page.status, 400, "{bad:?}");
        assert!(page.shows("That answer isn't one of this step's choices"));
    }
    let page = c
        .submit(
            "/problems/cant-send/steps/contact-iims/choose",
            &[("choice", "0")],
        )
        .await;
    assert_eq!(page.status, 400, "an ending has no choices");
}

#[tokio::test]
async fn health_answers_200_with_the_database_and_503_without_it() {
    let app = TestApp::new().await;
    let mut c = app.customer();
    c.open_home().await;
    assert_eq!(c.get("/healthz").await.status, 200);
    app.store().close().await;
    assert_eq!(c.get("/healthz").await.status, 503);
    // Pages that need the database say so plainly instead of failing obscurely. (The customer's
    // own visit is held in memory, so a ticket's status page is the one that needs it here.)
    let page = c.get(&format!("/tickets/{}", "a".repeat(64))).await;
    assert_eq!(page.status, 503);
    assert!(page.shows("The help site is briefly unavailable"));
}
