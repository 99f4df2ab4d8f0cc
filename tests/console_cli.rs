//! `helpdesk manager ...`: the real binary managing accounts in a real database, and the
//! accounts it makes signing in to the console.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{TestApp, ok};
use helpdesk::guide::Guide;

/// Runs the binary with `args` against `db`, feeding `stdin`.
fn helpdesk(db: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(args)
        .env("DATABASE_URL", db)
        .env_remove("RUST_LOG")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the helpdesk binary runs");
    if let Some(input) = stdin {
        // A command that refuses its arguments exits before reading stdin: the pipe is closed.
        if let Err(e) = child.stdin.take().unwrap().write_all(input.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    }
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn managers_are_added_listed_repassworded_and_disabled_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::fresh_database(&dir).await;

    // An empty database has no account at all.
    let list = helpdesk(&db, &["manager", "list"], None);
    assert!(list.status.success(), "{}", err(&list));
    assert!(out(&list).contains("No managers yet"));

    let add = helpdesk(
        &db,
        &[
            "manager",
            "add",
            "--email",
            "Rita@IIMS.example",
            "--name",
            "Rita Admin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("rita's first long password\n"),
    );
    assert!(add.status.success(), "{}", err(&add));
    assert_eq!(out(&add), "Added admin rita@iims.example (Rita Admin).\n");
    let add = helpdesk(
        &db,
        &[
            "manager",
            "add",
            "--email",
            "bob@iims.example",
            "--name",
            "Bob Jones",
            "--password-stdin",
        ],
        Some("bob's long password"),
    );
    assert!(add.status.success(), "{}", err(&add));

    // Mistakes: nothing is added.
    for (args, input, message) in [
        (
            vec!["--email", "bob@iims.example", "--name", "Bob Again"],
            "another long password\n",
            "already exists",
        ),
        (
            vec!["--email", "carl@iims.example", "--name", "Carl"],
            "short\n",
            "at least 12 characters",
        ),
        (
            vec!["--email", "carl@iims.example", "--name", "Carl"],
            "\n",
            "can't be empty",
        ),
        (
            vec!["--email", "not-an-email", "--name", "Carl"],
            "a long enough password\n",
            "like name@example.com",
        ),
    ] {
        let mut all = vec!["manager", "add"];
        all.extend(args);
        all.push("--password-stdin");
        let o = helpdesk(&db, &all, Some(input));
        assert_eq!(o.status.code(), Some(1), "{all:?}");
        assert!(err(&o).contains(message), "{all:?}: {}", err(&o));
    }
    // Without --password-stdin and without a terminal there is no prompt to answer.
    let o = helpdesk(
        &db,
        &[
            "manager",
            "add",
            "--email",
            "carl@iims.example",
            "--name",
            "Carl",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("--password-stdin"), "{}", err(&o));
    let o = helpdesk(
        &db,
        &[
            "manager",
            "add",
            "--email",
            "carl@iims.example",
            "--role",
            "boss",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "a usage mistake");

    let list = out(&helpdesk(&db, &["manager", "list"], None));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(
        lines[0].starts_with("EMAIL")
            && lines[0].contains("ROLE")
            && lines[0].contains("ENABLED")
            && lines[0].contains("CREATED")
    );
    assert!(
        lines[1].starts_with("bob@iims.example")
            && lines[1].contains("Bob Jones")
            && lines[1].contains("manager")
            && lines[1].contains("yes")
    );
    assert!(lines[2].starts_with("rita@iims.example") && lines[2].contains("admin"));
    assert!(!list.contains("argon2"), "hashes are never printed");

    // The accounts sign in to the console.
    let app = TestApp::on_database(dir, db.clone(), Guide::embedded()).await;
    let mut bob = app.manager("bob@iims.example");
    bob.password = "bob's long password".into();
    ok(&bob.sign_in().await);
    let stored = app
        .text("SELECT password_hash FROM managers WHERE email = 'bob@iims.example'")
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");

    // A new password ends Bob's sessions; the old one stops working.
    let o = helpdesk(
        &db,
        &[
            "manager",
            "set-password",
            "--email",
            "bob@iims.example",
            "--password-stdin",
        ],
        Some("bob's second password\n"),
    );
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(bob.get("/console/tickets").await.status, 303);
    assert_eq!(bob.sign_in().await.status, 401);
    bob.password = "bob's second password".into();
    ok(&bob.sign_in().await);
    let o = helpdesk(
        &db,
        &[
            "manager",
            "set-password",
            "--email",
            "nobody@iims.example",
            "--password-stdin",
        ],
        Some("whatever long enough\n"),
    );
    assert_eq!(o.status.code(), Some(1));

    // Disabling ends Bob's session at once.
    let o = helpdesk(
        &db,
        &["manager", "disable", "--email", "BOB@iims.example"],
        None,
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("Disabled bob@iims.example"));
    assert_eq!(bob.get("/console/tickets").await.status, 303);
    assert_eq!(bob.sign_in().await.status, 403);
    assert!(
        out(&helpdesk(&db, &["manager", "list"], None))
            .lines()
            .nth(1)
            .unwrap()
            .contains(" no ")
    );

    // The last enabled admin can't be disabled.
    let o = helpdesk(
        &db,
        &["manager", "disable", "--email", "rita@iims.example"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("last enabled admin"), "{}", err(&o));
}

#[test]
fn the_help_documents_the_manager_commands() {
    let help = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", err(&o));
        out(&o).split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let manager = help(&["help", "manager"]);
    for line in [
        "Usage: helpdesk manager [OPTIONS] <COMMAND>",
        "add ",
        "list ",
        "set-password ",
        "disable ",
        "There is no default account",
    ] {
        assert!(manager.contains(line), "manager help lacks {line:?}");
    }
    for (command, usage) in [
        (
            "add",
            "helpdesk manager add [OPTIONS] --email <EMAIL> --name <NAME>",
        ),
        ("list", "helpdesk manager list [OPTIONS]"),
        (
            "set-password",
            "helpdesk manager set-password [OPTIONS] --email <EMAIL>",
        ),
        (
            "disable",
            "helpdesk manager disable [OPTIONS] --email <EMAIL>",
        ),
    ] {
        let text = help(&["manager", command, "--help"]);
        assert!(text.contains(usage), "{command} help lacks {usage:?}");
    }
}
