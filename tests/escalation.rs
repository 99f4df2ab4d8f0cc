//! Escalating to IIMS: one ticket per escalation, carrying the path; clear form errors; the
//! customer's status link; and paths that still read as they were after the guide changes.

mod common;

use common::{ANN, TestApp, ok};
use helpdesk::guide::Guide;

async fn at_contact_iims(app: &TestApp) -> common::Customer {
    let mut c = app.customer();
    c.pick("cant-send").await;
    c.choose("My outgoing settings are correct and I still can't send")
        .await;
    c.choose("I still can't send").await;
    assert!(c.page.body.contains(r#"class="escalate""#));
    c
}

#[tokio::test]
async fn an_escalation_opens_a_ticket_with_the_whole_path() {
    let app = TestApp::new().await;
    let mut c = at_contact_iims(&app).await;
    let page = c.escalate(ANN).await;
    ok(&page);
    assert!(page.shows("We've got it: your reference is IIMS-000001"));
    assert!(
        page.shows("a**@example.com"),
        "the reply address is shown masked"
    );
    assert!(!page.shows("ann@example.com"));
    assert!(page.shows("Received"));
    assert!(page.shows("IIMS support"));
    // The guide's reason is for managers; the customer reads their own steps instead.
    assert!(!page.shows("Still can't send after confirming"));
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM tickets WHERE reason LIKE 'Still can''t send after confirming%'"
        )
        .await,
        1
    );
    for answered in [
        "You chose <strong>I can receive email, but I can't send it</strong>",
        "1) Confirm that your outgoing email (SMTP) settings are correct: you answered <strong>My outgoing settings are correct and I still can't send</strong>",
        "2) If you are using IIMS's SMTP server, try replacing this information with your ISP's mail server name: you answered <strong>I still can't send</strong>",
        "You reached: 3) Contact IIMS if you've attempted the above and the problem continues.",
    ] {
        assert!(page.shows(answered), "missing {answered:?}");
    }
    assert!(page.shows("It stopped on Monday.\nNothing changed on my side."));

    // What the database holds: the ticket and its three path rows, answers in order.
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE outcome_kind = 'iims-support' AND problem_id = 'cant-send' AND ending_id = 'contact-iims' AND customer_email = 'ann@example.com' AND email_program = 'Mozilla Thunderbird' AND customer_account = 'example.com' AND status = 'new'").await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_path").await, 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_path WHERE (position = 0 AND node_id = 'check-smtp-settings' AND choice_index = 1) OR (position = 1 AND node_id = 'use-isp-smtp' AND choice_index = 1) OR (position = 2 AND node_id = 'contact-iims' AND choice_index IS NULL)").await,
        3
    );

    // Back on the ending page, the customer is told it was sent instead of being offered the form.
    let page = c.get("/problems/cant-send/steps/contact-iims").await;
    assert!(page.shows("You've already sent this to IIMS"));
    assert!(page.shows("IIMS-000001"));
    assert!(!page.body.contains(r#"class="escalate""#));
}

#[tokio::test]
async fn a_double_submit_or_replayed_form_opens_one_ticket() {
    let app = TestApp::new().await;
    let mut c = at_contact_iims(&app).await;
    let outcome = c.page.hidden("outcome").unwrap();
    let token = c.csrf.clone().unwrap();
    let mut fields = vec![("csrf", token.as_str()), ("outcome", outcome.as_str())];
    fields.extend_from_slice(ANN);
    let action = "/problems/cant-send/steps/contact-iims/escalate";

    // Two submits racing each other, then a replay a moment later.
    let (mut a, mut b) = (app.customer(), app.customer());
    a.cookie = c.cookie.clone();
    b.cookie = c.cookie.clone();
    let (first, second) = tokio::join!(a.post_raw(action, &fields), b.post_raw(action, &fields));
    let third = c.post_raw(action, &fields).await;
    for page in [&first, &second, &third] {
        assert_eq!(page.status, 303, "{}", page.body);
    }
    assert_eq!(first.location(), second.location());
    assert_eq!(first.location(), third.location());
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1);
}

#[tokio::test]
async fn another_visits_escalation_cannot_be_replayed() {
    let app = TestApp::new().await;
    let victim = at_contact_iims(&app).await;
    let outcome = victim.page.hidden("outcome").unwrap();
    let mut other = at_contact_iims(&app).await;
    let token = other.csrf.clone().unwrap();
    let mut fields = vec![("csrf", token.as_str()), ("outcome", outcome.as_str())];
    fields.extend_from_slice(ANN);
    let page = other
        .post_raw("/problems/cant-send/steps/contact-iims/escalate", &fields)
        .await;
    assert_eq!(page.status, 400);
    assert!(page.shows("Please reload the page and send the form again."));
    let page = other
        .post_raw(
            "/problems/cant-send/steps/contact-iims/escalate",
            &[("csrf", &token), ("outcome", "not-a-number"), ("name", "x")],
        )
        .await;
    assert_eq!(page.status, 400);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);
}

#[tokio::test]
async fn invalid_input_returns_the_form_with_a_message_per_field_and_the_values_kept() {
    let app = TestApp::new().await;
    let mut c = at_contact_iims(&app).await;
    let long = "x".repeat(4001);
    let page = c
        .escalate(&[
            ("name", "  "),
            ("email", "ann at example dot com"),
            ("phone", "call me maybe"),
            ("account", "example.com"),
            ("email_program", "Lotus Notes"),
            ("description", &long),
        ])
        .await;
    assert_eq!(page.status, 422);
    assert!(page.shows("Please check the form"));
    assert!(page.shows("Enter your name."));
    assert!(page.shows("Enter an email address like name@example.com."));
    assert!(page.shows("Enter a phone number using digits"));
    assert!(page.shows("Choose the email program you use from the list."));
    assert!(page.shows("Please keep the description under 4000 characters (it has 4001)."));
    // What the customer typed is still there.
    assert!(page.body.contains(r#"value="ann at example dot com""#));
    assert!(page.body.contains(r#"value="call me maybe""#));
    assert!(page.body.contains(&long));
    // Errors are tied to their fields for screen readers.
    assert!(
        page.body
            .contains(r#"aria-describedby="email-hint email-error""#)
    );
    assert!(page.body.contains(r#"id="name" name="name" type="text" autocomplete="name" required maxlength="100" value="  " aria-invalid="true""#));
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);

    // Missing fields entirely (a hand-made request) get the same messages, not a crash.
    let page = c.escalate(&[]).await;
    assert_eq!(page.status, 422);
    assert!(page.shows("Enter your email address, so IIMS can reply to you."));

    // Then corrected: accepted.
    let page = c.escalate(ANN).await;
    ok(&page);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1);
}

#[tokio::test]
async fn text_the_customer_typed_is_shown_escaped() {
    let app = TestApp::new().await;
    let mut c = at_contact_iims(&app).await;
    let page = c
        .escalate(&[
            ("name", "<script>alert(1)</script>"),
            ("email", "ann@example.com"),
            ("email_program", "Apple Mail"),
            ("description", "<img src=x onerror=alert(1)> ' \" & done"),
        ])
        .await;
    ok(&page);
    assert!(!page.body.contains("<img src=x"));
    assert!(!page.body.contains("<script>alert(1)"));
    assert!(
        page.body
            .contains("&#60;img src=x onerror=alert(1)&#62; &#39; &#34; &#38; done")
    );
}

#[tokio::test]
async fn a_wrong_or_malformed_status_token_is_a_404_like_any_unknown_page() {
    let app = TestApp::new().await;
    let mut c = at_contact_iims(&app).await;
    let page = c.escalate(ANN).await;
    ok(&page);
    let mut stranger = app.customer();
    let bodies: Vec<String> = {
        let mut out = Vec::new();
        for token in [
            "0".repeat(64),
            "not-a-token".to_string(),
            "A".repeat(64),
            format!("{}%00", "a".repeat(64)),
            "../../etc/passwd".to_string(),
        ] {
            let page = stranger.get(&format!("/tickets/{token}")).await;
            assert_eq!(page.status, 404, "{token}");
            out.push(
                page.body
                    .replace(page.header("x-request-id").unwrap_or("-"), ""),
            );
        }
        out
    };
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every wrong token gets the same page"
    );
}

#[tokio::test]
async fn a_path_recorded_before_a_guide_change_still_reads_as_it_was() {
    let app = TestApp::new().await;
    let mut c = at_contact_iims(&app).await;
    let page = c.escalate(ANN).await;
    ok(&page);
    // A new version of the guide rewords the first step of "can't send".
    let edited = helpdesk::guide::DEFAULT_GUIDE.replace(
        "Confirm that your outgoing email (SMTP) settings are correct",
        "Check the outgoing server setting in your mail program",
    );
    let edited = Guide::parse("edited.toml", &edited).unwrap();
    let old_version = app.guide().version.clone();
    assert_ne!(edited.version, old_version);
    let app = app.restart_with_guide(edited).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM guide_versions").await, 2);

    // New customers see the new wording...
    let mut fresh = app.customer();
    let page = fresh.pick("cant-send").await;
    assert!(page.shows("Check the outgoing server setting in your mail program"));

    // ...the recorded path keeps the words the customer actually saw, on the ticket...
    let token = status_token(&app).await;
    let page = c.get(&format!("/tickets/{token}")).await;
    ok(&page);
    assert!(page.shows("1) Confirm that your outgoing email (SMTP) settings are correct"));
    assert!(!page.shows("Check the outgoing server setting in your mail program"));
    // ...and in the customer's own path beside the steps.
    let page = c.get("/problems/cant-send/steps/contact-iims").await;
    assert!(page.shows("Confirm that your outgoing email (SMTP) settings are correct"));
}

/// The first ticket's status token, read from the database.
async fn status_token(app: &TestApp) -> String {
    let mut conn = app.reader().await;
    sqlx::query_scalar("SELECT status_token FROM tickets WHERE number = 1")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}
