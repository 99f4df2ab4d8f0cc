//! The console for a day's work: the queue opening on open tickets, sorted three ways and paged
//! both ways; search across every field, case-insensitive for all of Unicode; form errors inside
//! the console page; a note sent after the session ended; handing a disabled manager's tickets
//! over; a manager's own password; routing by subdomain and pasted address; the customer's other
//! tickets.

mod common;

use std::time::Duration;

use common::{PASSWORD, TestApp, ago, ok};
use helpdesk::domain::manager::Role;
use helpdesk::store::SESSION_IDLE;

fn reference(n: i64) -> String {
    format!("IIMS-{n:06}")
}

/// (number, status, created_at, updated_at) of every ticket, as the test made them.
async fn tickets(app: &TestApp) -> Vec<(i64, String, i64, i64)> {
    sqlx::query_as("SELECT number, status, created_at, updated_at FROM tickets")
        .fetch_all(&mut app.reader().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_queue_opens_on_open_tickets_sorts_three_ways_and_pages_both_ways() {
    let app = TestApp::new().await;
    let mut m = app
        .signed_in("ann@iims.example", "Ann", Role::Manager)
        .await;
    app.seed_tickets(70).await;
    // Last updates in an order of their own: ticket n was updated (n * 7) % 70 minutes after
    // the seed's times, so sorting by update differs from sorting by age.
    app.execute(
        "UPDATE tickets SET updated_at = created_at + ((number * 7) % 70) * 60000 + number",
    )
    .await;
    let all = tickets(&app).await;
    let open = |s: &str| ["new", "in-progress", "waiting-on-customer"].contains(&s);

    // The queue opens on the Open tab.
    let page = m.open_queue("").await;
    ok(&page);
    assert!(
        page.body
            .contains(r#"aria-current="page" class="current">Open <span class="count">"#),
        "{}",
        page.body
    );
    let open_count = all.iter().filter(|t| open(&t.1)).count();
    assert!(page.shows(&format!("{open_count} matching tickets")));
    // Dates never wrap and carry an age beside them.
    assert!(page.body.contains(r#"class="when"><time datetime="#));
    assert!(page.body.contains(r#"<span class="age">"#));
    assert!(page.body.contains(" d</span>"), "seeded in 2023: days old");

    for (sort, key) in [("", 0u8), ("newest", 0), ("oldest", 1), ("updated", 2)] {
        let mut expected: Vec<&(i64, String, i64, i64)> =
            all.iter().filter(|t| open(&t.1)).collect();
        match key {
            0 => expected.sort_by_key(|t| std::cmp::Reverse((t.2, t.0))),
            1 => expected.sort_by_key(|t| (t.2, t.0)),
            _ => expected.sort_by_key(|t| std::cmp::Reverse((t.3, t.0))),
        }
        let expected: Vec<String> = expected.iter().map(|t| reference(t.0)).collect();
        assert!(expected.len() > 50, "three pages");

        // Forwards with Next, from the first page (which has no Previous).
        let query = if sort.is_empty() {
            String::new()
        } else {
            format!("sort={sort}")
        };
        ok(&m.open_queue(&query).await);
        assert_eq!(m.previous_page(), None, "{sort}: the first page");
        let mut pages = vec![m.references()];
        while let Some(next) = m.next_page() {
            if !sort.is_empty() && sort != "newest" {
                assert!(next.contains(&format!("sort={sort}")), "{next}");
            }
            ok(&m.get(&next).await);
            pages.push(m.references());
        }
        assert_eq!(pages.concat(), expected, "{sort}: forwards");
        assert_eq!(pages.len(), expected.len().div_ceil(25));

        // Backwards with Previous, from the last page: the same pages, and the first has no
        // Previous link.
        let mut back = vec![m.references()];
        while let Some(previous) = m.previous_page() {
            ok(&m.get(&previous).await);
            back.push(m.references());
            assert!(
                back.len() <= pages.len(),
                "{sort}: Previous runs past the first page"
            );
        }
        back.reverse();
        assert_eq!(back, pages, "{sort}: backwards");
        assert!(
            m.next_page().is_some(),
            "{sort}: the first page again has a Next"
        );
    }

    // A stale link past the end still offers a way back to the first page.
    let page = m.open_queue("after=1.1").await;
    ok(&page);
    assert!(m.references().is_empty());
    assert!(page.shows(">First page</a>"), "{}", page.body);

    // The other tabs stay; "All" counts every ticket.
    let page = m.open_queue("status=all").await;
    assert!(page.shows(&format!("{} matching tickets", all.len())));
    for bad in ["sort=random", "before=x", "before=1.2.3"] {
        assert_eq!(m.open_queue(bad).await.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn search_covers_every_field_and_is_case_insensitive_for_all_of_unicode() {
    let app = TestApp::new().await;
    let mut m = app
        .signed_in("ann@iims.example", "Ann", Role::Manager)
        .await;
    // What each ticket holds, as the test sends it: (name, email, account, description).
    let made: Vec<(&str, &str, &str, &str)> = vec![
        ("Émile Zola", "emile@zola.example", "", "Rien ne marche"),
        (
            "Dana Smith",
            "dana@bigcorp.example",
            "BigCorp.example",
            "Outlook says ÆRØ ERROR",
        ),
        (
            "Sven Größe",
            "sven@huset.example",
            "",
            "Prüfen Sie bitte den Server",
        ),
        ("Oksana", "oksana@mail.example", "", "ПОЧТА не приходит"),
    ];
    let mut numbers = Vec::new();
    for (name, email, account, description) in &made {
        let (n, _) = app
            .support_escalation(&[
                ("name", name),
                ("email", email),
                ("account", account),
                ("description", description),
            ])
            .await;
        numbers.push(n);
    }
    let mut notes: Vec<(i64, &str)> = vec![(numbers[3], "Клиентка перезвонит; ÜBERPRÜFT")];
    for (n, text) in &notes {
        ok(&m.add_note(*n, text).await);
    }
    // A later change of the description, made outside the console (another part of the
    // application, or another process), is searched too.
    app.execute(&format!(
        "UPDATE tickets SET description = 'Ça ne marche PLUS depuis lundi' WHERE number = {}",
        numbers[0]
    ))
    .await;
    let descriptions: Vec<String> = made
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if i == 0 {
                "Ça ne marche PLUS depuis lundi".to_string()
            } else {
                t.3.to_string()
            }
        })
        .collect();
    notes.push((numbers[1], "Spoke to Dana"));
    ok(&m.add_note(numbers[1], "Spoke to Dana").await);

    // The expected matches, worked out here from what the test sent.
    let expect = |q: &str| -> Vec<String> {
        let q = q.to_lowercase();
        let mut hits: Vec<i64> = made
            .iter()
            .enumerate()
            .filter(|(i, (name, email, account, _))| {
                let mut text = vec![
                    name.to_string(),
                    email.to_string(),
                    account.to_string(),
                    descriptions[*i].clone(),
                ];
                text.extend(
                    notes
                        .iter()
                        .filter(|(n, _)| *n == numbers[*i])
                        .map(|(_, t)| t.to_string()),
                );
                text.iter().any(|t| t.to_lowercase().contains(&q))
            })
            .map(|(i, _)| numbers[i])
            .collect();
        hits.sort_by(|a, b| b.cmp(a));
        hits.into_iter().map(reference).collect()
    };
    for q in [
        "émile",
        "ÉMILE",
        "Émile",
        "ça ne marche",
        "rien ne marche",
        "bigcorp",
        "BIGCORP.EXAMPLE",
        "ærø error",
        "GRÖSSE",
        "größe",
        "prüfen sie",
        "почта",
        "Почта Не",
        "клиентка",
        "überprüft",
        "spoke to",
        "zola.example",
        "nobody-at-all",
    ] {
        let expected = expect(q);
        let page = m
            .open_queue(&format!("status=all&q={}", urlencode(q)))
            .await;
        ok(&page);
        assert_eq!(m.references(), expected, "q={q}");
    }
    // Sanity of the oracle itself: the Unicode cases do find something.
    assert_eq!(expect("ÉMILE"), vec![reference(numbers[0])]);
    assert_eq!(expect("почта"), vec![reference(numbers[3])]);
    assert_eq!(expect("überprüft"), vec![reference(numbers[3])]);
    assert!(expect("GRÖSSE").is_empty(), "ß is not folded to ss");
    // A count follows the search.
    let page = m.open_queue("status=all&q=%C3%89MILE").await;
    assert!(page.shows("1 matching ticket"));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn console_form_errors_stay_in_the_console_page_with_what_was_typed() {
    let app = TestApp::new().await;
    let mut admin = app
        .signed_in("root@iims.example", "Rita Admin", Role::Admin)
        .await;
    let (number, _) = app.support_escalation(&[]).await;
    let console_page = |page: &common::Page| {
        page.body.contains(r#"<body class="console">"#)
            && page.body.contains(r#"class="console-nav""#)
            && page.body.contains("field-error")
    };

    // Notes: empty or whitespace only, and too long; the text typed comes back.
    for (text, message) in [
        ("", "The note is empty."),
        ("   \n\t  ", "The note is empty."),
    ] {
        let page = admin.add_note(number, text).await;
        assert_eq!(page.status, 422, "{text:?}");
        assert!(console_page(&page), "{}", page.body);
        assert!(page.shows(message));
    }
    let long = format!("Called twice. {}", "x".repeat(8000));
    let page = admin.add_note(number, &long).await;
    assert_eq!(page.status, 422);
    assert!(console_page(&page));
    assert!(page.shows("at most 8000 characters"));
    assert!(page.shows(&long), "the note typed is kept");
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_notes").await, 0);

    // Status and assignment.
    admin.open_ticket(number).await;
    let page = admin.set_status(number, "finished").await;
    assert_eq!(page.status, 422);
    assert!(console_page(&page) && page.shows("There is no ticket status called that."));
    admin.open_ticket(number).await;
    let page = admin.assign_to(number, "not-a-manager").await;
    assert_eq!(page.status, 422);
    assert!(console_page(&page) && page.shows("Choose a manager from the list."));

    // Adding a manager: a message beside each field, the typed values kept (never the password).
    admin.get("/console/admin/managers").await;
    let page = admin
        .submit(
            "/console/admin/managers",
            &[
                ("email", "not-an-address"),
                ("name", "Gus <b>Grey</b>"),
                ("role", "manager"),
                ("password", "short pw"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(console_page(&page));
    assert!(page.body.contains(r#"id="new-email-error""#));
    assert!(page.body.contains(r#"id="new-password-error""#));
    assert!(page.body.contains(r#"value="not-an-address""#));
    assert!(page.body.contains("Gus &#60;b&#62;Grey&#60;/b&#62;"));
    assert!(!page.body.contains("short pw"));

    // Role and access: on the managers page, on that manager's line.
    let id = app.text("SELECT id FROM managers").await.unwrap();
    admin.get("/console/admin/managers").await;
    let page = admin
        .submit(
            &format!("/console/admin/managers/{id}/role"),
            &[("role", "owner")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(console_page(&page) && page.shows("Choose a role: admin or manager."));
    admin.get("/console/admin/managers").await;
    let page = admin
        .submit(
            &format!("/console/admin/managers/{id}/access"),
            &[("enabled", "maybe")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(console_page(&page) && page.shows("Choose whether the manager may sign in."));

    // Routing: the typed domain comes back with its message.
    admin.get("/console/admin/routing").await;
    let page = admin
        .submit(
            "/console/admin/routing",
            &[("domain", "bad domain!"), ("manager", &id)],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(console_page(&page) && page.body.contains(r#"value="bad domain!""#));
    assert_eq!(app.count("SELECT COUNT(*) FROM domain_routes").await, 0);
    assert_eq!(app.count("SELECT revision FROM tickets").await, 1);
}

#[tokio::test]
async fn a_note_sent_after_the_session_ended_comes_back_after_sign_in() {
    let app = TestApp::new().await;
    let ann = app
        .add_manager("ann@iims.example", "Ann Smith", Role::Manager)
        .await;
    let (number, _) = app.support_escalation(&[]).await;
    let note = "Customer called back: the SMTP port was 25, changed to 587.";

    // Ann opened the ticket this morning; her session has since been idle too long.
    let expired = app
        .store()
        .start_session(
            &ann.id,
            None,
            None,
            ago(SESSION_IDLE + Duration::from_secs(60)),
        )
        .await
        .unwrap();
    let mut m = app.manager("ann@iims.example");
    m.cookies
        .push(("helpdesk_console".into(), expired.token.clone()));
    let path = format!("/console/tickets/{number}/notes");
    let page = m
        .post_raw(&path, &[("csrf", &expired.csrf), ("body", note)])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let to_sign_in = page.location().unwrap().to_string();
    assert!(
        to_sign_in.starts_with("/console/sign-in?next="),
        "{to_sign_in}"
    );
    let pending_cookie = page
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("helpdesk_pending="))
        .map(|(_, v)| v.clone())
        .expect("the browser keeps the form's id");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(pending_cookie.contains(flag), "{pending_cookie}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_notes").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM console_pending_forms")
            .await,
        1
    );

    // She signs in and lands on the ticket with her note filled in, to send again.
    let page = m.sign_in_from(&to_sign_in).await;
    ok(&page);
    assert!(page.shows("Your session had ended before your note was saved"));
    assert!(page.shows(&format!("{note}</textarea>")), "{}", page.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM console_pending_forms")
            .await,
        0,
        "taken once"
    );
    let page = m.submit(&path, &[("body", note)]).await;
    ok(&page);
    assert_eq!(
        app.text("SELECT body FROM ticket_notes").await.as_deref(),
        Some(note)
    );
    // Shown once: a reload has an empty note field.
    let page = m.open_ticket(number).await;
    assert!(!page.shows("Your session had ended"));

    // A form from another site, or from a browser without the old session, is not kept.
    let expired = app
        .store()
        .start_session(
            &ann.id,
            None,
            None,
            ago(SESSION_IDLE + Duration::from_secs(60)),
        )
        .await
        .unwrap();
    let mut other = app.manager("ann@iims.example");
    let page = other
        .post_raw(&path, &[("csrf", &expired.csrf), ("body", "forged")])
        .await;
    assert_eq!(page.status, 403);
    other
        .cookies
        .push(("helpdesk_console".into(), expired.token.clone()));
    let request = other
        .request("POST", &path)
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(common::form_body(&[
            ("csrf", &expired.csrf),
            ("body", "forged"),
        ])))
        .unwrap();
    assert_eq!(app.send(request).await.status, 403);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM console_pending_forms")
            .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_notes").await, 1);
}

#[tokio::test]
async fn disabling_a_manager_hands_their_open_tickets_over_on_the_audit_trail() {
    let app = TestApp::new().await;
    let mut admin = app
        .signed_in("root@iims.example", "Rita Admin", Role::Admin)
        .await;
    let mut bob = app
        .signed_in("bob@iims.example", "Bob Jones", Role::Manager)
        .await;
    let carol = app
        .add_manager("carol@iims.example", "Carol King", Role::Manager)
        .await;
    let bob_id = app
        .text("SELECT id FROM managers WHERE email = 'bob@iims.example'")
        .await
        .unwrap();
    let mut numbers = Vec::new();
    for _ in 0..3 {
        let (n, _) = app.support_escalation(&[]).await;
        bob.open_ticket(n).await;
        ok(&bob.assign_to(n, "me").await);
        numbers.push(n);
    }
    bob.open_ticket(numbers[2]).await;
    ok(&bob.set_status(numbers[2], "resolved").await);

    // The managers page offers to hand Bob's two open tickets over.
    let page = admin.get("/console/admin/managers").await;
    assert!(page.shows("Their 2 open tickets go to"), "{}", page.body);
    // Not to Bob himself, nor to nobody in particular.
    let path = format!("/console/admin/managers/{bob_id}/access");
    for to in [bob_id.as_str(), "somebody"] {
        admin.get("/console/admin/managers").await;
        let page = admin
            .submit(&path, &[("enabled", "no"), ("hand_over", to)])
            .await;
        assert_eq!(page.status, 422, "{to}");
        assert!(page.shows("Their open tickets can go") || page.shows("Choose who takes over"));
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM managers WHERE enabled = 0")
            .await,
        0
    );

    admin.get("/console/admin/managers").await;
    ok(&admin
        .submit(&path, &[("enabled", "no"), ("hand_over", &carol.id)])
        .await);
    assert_eq!(bob.get("/console/tickets").await.status, 303, "signed out");
    let assignee = |n: i64| {
        let app = &app;
        async move {
            app.text(&format!(
                "SELECT m.name FROM tickets t JOIN managers m ON m.id = t.assignee_id WHERE t.number = {n}"
            ))
            .await
        }
    };
    assert_eq!(assignee(numbers[0]).await.as_deref(), Some("Carol King"));
    assert_eq!(assignee(numbers[1]).await.as_deref(), Some("Carol King"));
    assert_eq!(
        assignee(numbers[2]).await.as_deref(),
        Some("Bob Jones"),
        "a resolved ticket keeps who resolved it"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM ticket_audit a JOIN managers m ON m.id = a.actor_id
             WHERE a.action = 'assignee' AND a.before = 'Bob Jones' AND a.after = 'Carol King'
               AND m.name = 'Rita Admin'"
        )
        .await,
        2
    );
    let page = admin.open_ticket(numbers[0]).await;
    assert!(page.shows("Assignment changed") && page.shows("Carol King"));

    // Carol leaves too: her tickets go back to the shared queue.
    admin.get("/console/admin/managers").await;
    ok(&admin
        .submit(
            &format!("/console/admin/managers/{}/access", carol.id),
            &[("enabled", "no"), ("hand_over", "none")],
        )
        .await);
    assert_eq!(assignee(numbers[0]).await, None);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM ticket_audit WHERE action = 'assignee' AND before = 'Carol King' AND after IS NULL"
        )
        .await,
        2
    );
    admin.open_queue("assignee=unassigned").await;
    assert_eq!(
        admin.references(),
        vec![reference(numbers[1]), reference(numbers[0])]
    );
}

#[tokio::test]
async fn a_manager_changes_their_own_password_and_their_other_sessions_end() {
    let app = TestApp::new().await;
    let mut here = app
        .signed_in("ann@iims.example", "Ann Smith", Role::Manager)
        .await;
    let mut elsewhere = app.manager("ann@iims.example");
    ok(&elsewhere.sign_in().await);
    let old_hash = app.text("SELECT password_hash FROM managers").await;
    let path = "/console/account/password";
    let new = "a much longer new passphrase";

    ok(&here.get(path).await);
    for (fields, message) in [
        (
            [
                ("current", "wrong password!!"),
                ("new", new),
                ("repeat", new),
            ],
            "That is not your current password.",
        ),
        (
            [
                ("current", PASSWORD),
                ("new", "too short"),
                ("repeat", "too short"),
            ],
            "at least 12 characters",
        ),
        (
            [
                ("current", PASSWORD),
                ("new", new),
                ("repeat", "a much longer new passphrase!"),
            ],
            "The two new passwords are not the same.",
        ),
    ] {
        let page = here.submit(path, &fields).await;
        assert_eq!(page.status, 422, "{message}");
        assert!(page.shows(message), "{}", page.body);
        assert!(page.body.contains(r#"<body class="console">"#));
        assert!(!page.body.contains(new), "passwords are never shown back");
        here.get(path).await;
    }
    assert_eq!(
        app.text("SELECT password_hash FROM managers").await,
        old_hash
    );

    let page = here
        .submit(
            path,
            &[("current", PASSWORD), ("new", new), ("repeat", new)],
        )
        .await;
    ok(&page);
    assert!(page.shows("Your password has been changed."));
    let hash = app
        .text("SELECT password_hash FROM managers")
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert_ne!(Some(hash), old_hash);

    // This browser stays signed in; the other one is signed out.
    ok(&here.get("/console/tickets").await);
    assert_eq!(elsewhere.get("/console/tickets").await.status, 303);
    let ann_id = app.text("SELECT id FROM managers").await.unwrap();
    assert_eq!(app.store().session_count(&ann_id).await.unwrap(), 1);
    // The old password no longer signs in; the new one does.
    let mut later = app.manager("ann@iims.example");
    assert_eq!(later.sign_in().await.status, 401);
    later.password = new.into();
    ok(&later.sign_in().await);

    // Without the form token, nothing changes.
    let page = here
        .post_raw(
            path,
            &[
                ("current", new),
                ("new", "yet another long one"),
                ("repeat", "yet another long one"),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
}

#[tokio::test]
async fn routing_takes_subdomains_the_most_specific_route_and_pasted_addresses() {
    let app = TestApp::new().await;
    let mut admin = app
        .signed_in("root@iims.example", "Rita Admin", Role::Admin)
        .await;
    let dora = app
        .add_manager("dora@iims.example", "Dora Keller", Role::Manager)
        .await;
    let ed = app
        .add_manager("ed@iims.example", "Ed Norris", Role::Manager)
        .await;
    admin.get("/console/admin/routing").await;
    ok(&admin
        .submit(
            "/console/admin/routing",
            &[
                ("domain", "https://www.BigCorp.example/contact?from=mail"),
                ("manager", &dora.id),
            ],
        )
        .await);
    ok(&admin
        .submit(
            "/console/admin/routing",
            &[("domain", "eu.bigcorp.example"), ("manager", &ed.id)],
        )
        .await);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM domain_routes WHERE domain IN ('bigcorp.example', 'eu.bigcorp.example')")
            .await,
        2
    );

    let assignee = |n: i64| {
        let app = &app;
        async move {
            app.text(&format!(
                "SELECT m.name FROM tickets t JOIN managers m ON m.id = t.assignee_id WHERE t.number = {n}"
            ))
            .await
        }
    };
    for (email, account, expected) in [
        ("a@mail.bigcorp.example", "", Some("Dora Keller")),
        ("a@bigcorp.example", "", Some("Dora Keller")),
        ("b@x.eu.bigcorp.example", "", Some("Ed Norris")),
        ("c@eu.bigcorp.example", "", Some("Ed Norris")),
        (
            "d@gmail.example",
            "https://shop.bigcorp.example/",
            Some("Dora Keller"),
        ),
        ("e@notbigcorp.example", "", None),
        ("f@bigcorp.example.org", "", None),
    ] {
        let (n, _) = app
            .account_manager_escalation(&[("email", email), ("account", account)])
            .await;
        assert_eq!(assignee(n).await.as_deref(), expected, "{email} {account}");
    }
}

#[tokio::test]
async fn the_ticket_page_lists_the_customers_other_tickets() {
    let app = TestApp::new().await;
    let mut m = app
        .signed_in("ann@iims.example", "Ann", Role::Manager)
        .await;
    let (first, _) = app
        .support_escalation(&[("email", "pat@shop.example")])
        .await;
    let (other, _) = app
        .support_escalation(&[("email", "someone@else.example")])
        .await;
    let (second, _) = app
        .support_escalation(&[("email", "pat@shop.example")])
        .await;
    let (third, _) = app
        .support_escalation(&[("email", "pat@shop.example")])
        .await;
    m.open_ticket(second).await;
    ok(&m.set_status(second, "in-progress").await);

    let page = m.open_ticket(first).await;
    ok(&page);
    let section = page
        .body
        .split(r#"id="other-tickets""#)
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("the other tickets section")
        .to_string();
    let refs: Vec<&str> = section
        .split(r#"class="ticket-ref" href=""#)
        .skip(1)
        .filter_map(|p| p.split_once('>').and_then(|(_, r)| r.split('<').next()))
        .collect();
    assert_eq!(refs, [reference(third), reference(second)], "newest first");
    assert!(section.contains(&format!(r#"href="/console/tickets/{third}""#)));
    assert!(section.contains("In progress") && section.contains("New"));
    assert!(section.contains("<time datetime="));
    assert!(!section.contains(&reference(other)));
    assert!(
        !section.contains(&reference(first)),
        "not the ticket itself"
    );

    let page = m.open_ticket(other).await;
    assert!(page.shows("None: this is their only ticket"));
}
