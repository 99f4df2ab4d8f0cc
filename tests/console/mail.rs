//! A ticket's mails in the console, through a real SMTP server: the acknowledgement, the news
//! to the manager a ticket is routed to and to those following unassigned tickets, a refusal
//! with the server's answer, and "send again".

use std::time::Duration;

use helpdesk::domain::manager::Role;

use crate::common::{TestApp, ok};
use crate::real_smtp::{SmtpServer, free_port};

#[tokio::test]
async fn managers_hear_of_their_tickets_and_see_each_mail_and_its_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), free_port(), Some("refused.example"));
    let app = TestApp::with_mail(smtp.port).await;
    let mut admin = app
        .signed_in("root@iims.example", "Rita Admin", Role::Admin)
        .await;
    let dora = app
        .add_manager("dora@iims.example", "Dora Keller", Role::Manager)
        .await;
    let ed = app
        .add_manager("ed@iims.example", "Ed Norris", Role::Manager)
        .await;
    // Ed asks to hear of every ticket nobody holds; Dora keeps the default (her own tickets).
    let mut ed_browser = app.manager("ed@iims.example");
    ed_browser.sign_in().await;
    let page = ed_browser.get("/console/account/mail").await;
    assert!(
        page.body
            .contains(r#"id="assigned" name="assigned" type="checkbox" value="1" checked"#)
    );
    assert!(
        !page
            .body
            .contains(r#"id="unassigned" name="unassigned" type="checkbox" value="1" checked"#)
    );
    assert_eq!(
        ed_browser
            .post_raw("/console/account/mail", &[("unassigned", "1")])
            .await
            .status,
        403
    );
    let page = ed_browser
        .submit(
            "/console/account/mail",
            &[("assigned", "1"), ("unassigned", "1")],
        )
        .await;
    assert!(page.shows("Your mail settings were saved."));
    assert!(
        page.body
            .contains(r#"id="unassigned" name="unassigned" type="checkbox" value="1" checked"#)
    );
    assert_eq!(
        app.count(&format!(
            "SELECT mail_unassigned FROM managers WHERE id = '{}'",
            ed.id
        ))
        .await,
        1
    );
    admin.get("/console/admin/routing").await;
    ok(&admin
        .submit(
            "/console/admin/routing",
            &[("domain", "example.com"), ("manager", &dora.id)],
        )
        .await);

    // Routed to Dora: Ann's acknowledgement and Dora's news.
    let (routed, _) = app
        .account_manager_escalation(&[("account", "example.com")])
        .await;
    let mails = smtp.arrived(2, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 2);
    let to_dora = mails
        .iter()
        .find(|m| m.to == ["dora@iims.example"])
        .expect("Dora's mail");
    assert!(
        to_dora.subject().contains("New ticket for you"),
        "{}",
        to_dora.subject()
    );
    let text = to_dora.text();
    assert!(
        text.contains(&format!(
            "http://help.iims.example/console/tickets/{routed}"
        )),
        "{text}"
    );
    assert!(text.contains("It stopped on Monday."), "{text}");
    assert!(mails.iter().any(|m| m.to == ["ann@example.com"]));
    assert!(
        !mails.iter().any(|m| m.to == ["ed@iims.example"]),
        "Ed follows unassigned tickets only"
    );

    // Nobody holds this one, and the customer's address is refused: Ed hears of it, and the
    // ticket shows the refusal with the server's answer.
    let (refused, _) = app
        .support_escalation(&[("email", "bo@refused.example")])
        .await;
    let mails = smtp.arrived(3, Duration::from_secs(10)).await;
    let to_ed = mails
        .iter()
        .find(|m| m.to == ["ed@iims.example"])
        .expect("Ed's mail");
    assert!(to_ed.subject().contains("New unassigned ticket"));
    let mut page = admin.get(&format!("/console/tickets/{refused}")).await;
    for _ in 0..100 {
        if page.shows("Refused by the mail server") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        page = admin.get(&format!("/console/tickets/{refused}")).await;
    }
    assert!(page.shows("Refused by the mail server"), "{}", page.body);
    assert!(page.shows("550"), "the server's answer");
    assert!(page.shows("bo@refused.example"));
    let resend = page
        .body
        .split("action=\"")
        .filter_map(|s| s.split('"').next())
        .find(|a| a.ends_with("/resend"))
        .expect("a send-again form")
        .to_string();

    // Send again: only with the form's token; then it is tried once more.
    let forged = admin.post_raw(&resend, &[]).await;
    assert_eq!(forged.status, 403);
    let page = admin.submit(&resend, &[]).await;
    assert_eq!(page.status, 200);
    let attempts = || async {
        app.count(&format!(
            "SELECT attempts FROM outbox WHERE ticket_id = (SELECT id FROM tickets WHERE number = {refused}) AND kind = 'ticket-opened'"
        ))
        .await
    };
    for _ in 0..100 {
        if attempts().await == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(attempts().await, 2);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'resent' AND actor_id IS NOT NULL"
        )
        .await,
        1
    );

    // Assigned to Dora by the admin: Dora hears of it; a manager who takes a ticket
    // themselves gets no mail about it.
    let page = admin.get(&format!("/console/tickets/{refused}")).await;
    let revision = page.hidden("revision").unwrap();
    ok(&admin
        .submit(
            &format!("/console/tickets/{refused}/assign"),
            &[("revision", &revision), ("assignee", &dora.id)],
        )
        .await);
    let mails = smtp.arrived(4, Duration::from_secs(10)).await;
    let assigned = mails
        .iter()
        .filter(|m| m.to == ["dora@iims.example"])
        .find(|m| m.subject().contains("Assigned to you"))
        .expect("Dora hears of the assignment");
    assert!(assigned.text().contains("A ticket was assigned to you"));
    let page = admin.get(&format!("/console/tickets/{refused}")).await;
    let revision = page.hidden("revision").unwrap();
    ok(&admin
        .submit(
            &format!("/console/tickets/{refused}/assign"),
            &[("revision", &revision), ("assignee", "me")],
        )
        .await);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !smtp
            .received()
            .iter()
            .any(|m| m.to == ["root@iims.example"]),
        "no mail to a manager about their own assignment"
    );

    // The routed ticket's mails, delivered.
    let page = admin.get(&format!("/console/tickets/{routed}")).await;
    assert!(page.shows("Acknowledgement to the customer"));
    assert!(page.shows("New ticket, to its manager"));
    assert!(page.shows("dora@iims.example"));
    assert!(!page.shows("Mail is off"));
}

#[tokio::test]
async fn with_mail_off_the_ticket_says_nothing_is_sent() {
    let app = TestApp::new().await;
    let mut admin = app
        .signed_in("root@iims.example", "Rita Admin", Role::Admin)
        .await;
    let (n, _) = app.support_escalation(&[]).await;
    let page = admin.get(&format!("/console/tickets/{n}")).await;
    assert!(page.shows("Mail is off on this server"));
    assert!(page.shows("No mail about this ticket."));
}
