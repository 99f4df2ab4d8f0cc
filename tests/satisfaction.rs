//! "Did this solve your problem?": one click from the mail that says a ticket is resolved (a GET
//! shows the question, the answer is a POST), a changed answer, another ticket's link refused,
//! and the insights' figures on a database whose answers are known.

mod common;
mod real_smtp;

use std::time::Duration;

use common::{TestApp, ok};
use helpdesk::domain::manager::Role;
use real_smtp::{SmtpServer, free_port};

#[tokio::test]
async fn the_resolved_mail_asks_and_one_click_and_a_send_answer_it() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), free_port(), None);
    let app = TestApp::with_mail(smtp.port).await;
    let mut rita = app
        .signed_in("rita@iims.example", "Rita Admin", Role::Admin)
        .await;
    let (n, link) = app.support_escalation(&[]).await;
    let (other, other_link) = app.support_escalation(&[("email", "bo@example.com")]).await;
    for (number, status) in [(n, "resolved"), (other, "resolved")] {
        rita.get(&format!("/console/tickets/{number}")).await;
        let revision = rita.page.hidden("revision").unwrap();
        ok(&rita
            .submit(
                &format!("/console/tickets/{number}/status"),
                &[("revision", &revision), ("status", status)],
            )
            .await);
    }
    let mails = smtp.arrived(4, Duration::from_secs(10)).await;
    let resolved = mails
        .iter()
        .find(|m| m.to == ["ann@example.com"] && m.subject().contains("Resolved"))
        .expect("the resolved mail");
    let text = resolved.text();
    let yes = text
        .lines()
        .find_map(|l| l.strip_prefix("Yes: "))
        .expect("a yes link")
        .trim()
        .strip_prefix("http://help.iims.example")
        .unwrap()
        .to_string();
    assert_eq!(yes, format!("{link}/rating?answer=helped"));

    // The click shows the question with the answer chosen, and records nothing.
    let mut ann = app.customer();
    let page = ann.get(&yes).await;
    ok(&page);
    assert!(
        page.body
            .contains(r#"id="helped" name="answer" type="radio" value="helped" checked"#)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_ratings").await, 0);
    let csrf = page.hidden("csrf").unwrap();
    let sent = ann
        .post_raw(
            &format!("{link}/rating"),
            &[("csrf", &csrf), ("answer", "helped")],
        )
        .await;
    assert_eq!(sent.status, 303);
    let page = ann.get(sent.header("location").unwrap()).await;
    assert!(page.shows("Thank you: your answer was recorded."));
    assert!(page.shows("yes, it solved my problem"));

    // A second answer replaces the first.
    let sent = ann
        .post_raw(
            &format!("{link}/rating"),
            &[
                ("csrf", &csrf),
                ("answer", "not"),
                ("comment", "It broke again the next day."),
            ],
        )
        .await;
    assert_eq!(sent.status, 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_ratings").await, 1);
    assert_eq!(app.count("SELECT SUM(helped) FROM ticket_ratings").await, 0);
    let page = rita.get(&format!("/console/tickets/{n}")).await;
    assert!(page.shows("It did not help"));
    assert!(page.shows("It broke again the next day."));

    // Ann's page's token does not answer for Bo's ticket; nothing changes there.
    let forged = ann
        .post_raw(
            &format!("{other_link}/rating"),
            &[("csrf", &csrf), ("answer", "not")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let unknown = ann
        .get(&format!("/tickets/{}/rating?answer=helped", "0".repeat(64)))
        .await;
    assert_eq!(unknown.status, 404);
    let no_answer = ann
        .post_raw(&format!("{link}/rating"), &[("csrf", &csrf)])
        .await;
    assert_eq!(no_answer.status, 422);
    assert!(no_answer.shows("Choose whether it solved your problem."));
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_ratings").await, 1);

    // A ticket that is not resolved asks nothing and takes no answer.
    let (open, open_link) = app.support_escalation(&[("email", "cy@example.com")]).await;
    let page = ann.get(&open_link).await;
    assert!(!page.shows("Did this solve your problem?"));
    let csrf = page.hidden("csrf").unwrap();
    let early = ann
        .post_raw(
            &format!("{open_link}/rating"),
            &[("csrf", &csrf), ("answer", "helped")],
        )
        .await;
    assert_ne!(early.status, 303, "ticket {open} is not resolved");
}

#[tokio::test]
async fn insights_show_the_share_of_satisfied_customers_by_kind_and_by_step() {
    let app = TestApp::new().await;
    let mut rita = app
        .signed_in("rita@iims.example", "Rita Admin", Role::Admin)
        .await;
    // Three IIMS support tickets (two helped), two Account Manager ones (none helped), one
    // ticket nobody answered.
    let mut answers = Vec::new();
    for helped in [true, true, false] {
        answers.push((app.support_escalation(&[]).await.0, helped));
    }
    for _ in 0..2 {
        answers.push((app.account_manager_escalation(&[]).await.0, false));
    }
    app.support_escalation(&[]).await;
    for (number, helped) in &answers {
        let id = app
            .text(&format!("SELECT id FROM tickets WHERE number = {number}"))
            .await
            .unwrap();
        app.store().rate(&id, *helped, "").await.unwrap();
    }
    let page = rita.get("/console/insights").await;
    ok(&page);
    let all = common::unescape(&page.body);
    let text = all
        .split(r#"id="satisfaction-heading""#)
        .nth(1)
        .expect("the satisfaction section")
        .to_string();
    let row = |label: &str| {
        let at = text
            .find(&format!(r#"<th scope="row">{label}"#))
            .unwrap_or_else(|| panic!("a row for {label}"));
        let end = text[at..].find("</tr>").unwrap();
        text[at..at + end]
            .split("<td>")
            .skip(1)
            .map(|c| c.split('<').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(row("IIMS support"), ["3", "2", "67%"]);
    assert_eq!(row("Account Manager"), ["2", "0", "0%"]);
    assert!(page.shows("Satisfied"));
    assert!(text.contains("<dt>Answers</dt><dd>5</dd>"), "five answers");
    assert!(text.contains("<dt>Satisfied</dt><dd>40%</dd>"));
    // By step: the support tickets left the guide at "contact IIMS", the Account Manager ones
    // at "contact your IIMS Account Manager"; the unhappiest first.
    let first = text
        .split("by where they left the guide")
        .nth(1)
        .unwrap()
        .split("<tbody>")
        .nth(1)
        .unwrap();
    assert!(first.trim_start().starts_with("<tr><th scope=\"row\">"));
    let first_row: String = first.split("</tr>").next().unwrap().to_string();
    assert!(
        first_row.contains("0%"),
        "the unhappiest step first: {first_row}"
    );
}
