//! How the command line is read: each command's flags and defaults (with the environment shut
//! out), and the kind of mistake clap reports for each slip.

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches};

use super::*;

/// `cmd` with no argument reading the environment, so a test sees only its flags and the
/// defaults whatever the variables of the shell running it.
fn without_env(mut cmd: clap::Command) -> clap::Command {
    let read_env: Vec<_> = cmd
        .get_arguments()
        .filter(|a| a.get_env().is_some())
        .map(|a| a.get_id().clone())
        .collect();
    for id in read_env {
        cmd = cmd.mut_arg(id, |a| a.env(None));
    }
    let subcommands: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subcommands {
        cmd = cmd.mut_subcommand(name, without_env);
    }
    cmd
}

/// Parses `args` (after the program name) as the binary would, ignoring the environment.
fn run(args: &[&str]) -> Result<Command, clap::Error> {
    let matches = without_env(Cli::command())
        .try_get_matches_from(std::iter::once("helpdesk").chain(args.iter().copied()))?;
    Cli::from_arg_matches(&matches).map(Cli::into_command)
}

fn mistake(args: &[&str]) -> ErrorKind {
    match run(args) {
        Ok(command) => panic!("{args:?} parsed as {command:?}"),
        Err(e) => e.kind(),
    }
}

#[test]
fn the_definitions_are_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn every_setting_names_its_variable_and_default() {
    let cmd = Cli::command();
    let find = |path: &[&str], id: &str| {
        let mut c = &cmd;
        for name in path {
            c = c.find_subcommand(name).expect("subcommand exists");
        }
        let arg = c
            .get_arguments()
            .find(|a| a.get_id() == id)
            .unwrap_or_else(|| panic!("{path:?} has no {id}"));
        (
            arg.get_env().map(|e| e.to_string_lossy().into_owned()),
            arg.get_default_values()
                .iter()
                .map(|d| d.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(","),
        )
    };
    let env = |name: &str| Some(name.to_string());
    for (path, id, variable, default) in [
        (
            &["serve"][..],
            "listen",
            env("HELPDESK_LISTEN"),
            DEFAULT_LISTEN,
        ),
        (
            &["serve"],
            "database_url",
            env("DATABASE_URL"),
            DEFAULT_DATABASE_URL,
        ),
        (&["serve"], "guide", env("HELPDESK_GUIDE"), ""),
        (&["serve"], "timezone", env("HELPDESK_TIMEZONE"), "UTC"),
        (&["serve"], "smtp_url", env("HELPDESK_SMTP_URL"), ""),
        (&["serve"], "mail_from", env("HELPDESK_MAIL_FROM"), ""),
        (&["serve"], "public_url", env("HELPDESK_PUBLIC_URL"), ""),
        (
            &["serve"],
            "mail_retry_seconds",
            env("HELPDESK_MAIL_RETRY_SECONDS"),
            "30",
        ),
        (
            &["serve"],
            "trusted_proxies",
            env("HELPDESK_TRUSTED_PROXIES"),
            "",
        ),
        (
            &["serve"],
            "limit_visits",
            env("HELPDESK_LIMIT_VISITS"),
            "60",
        ),
        (
            &["serve"],
            "limit_choices",
            env("HELPDESK_LIMIT_CHOICES"),
            "300",
        ),
        (
            &["serve"],
            "limit_tickets",
            env("HELPDESK_LIMIT_TICKETS"),
            "20",
        ),
        (
            &["serve"],
            "limit_status_forms",
            env("HELPDESK_LIMIT_STATUS_FORMS"),
            "30",
        ),
        (
            &["serve"],
            "limit_link_requests",
            env("HELPDESK_LIMIT_LINK_REQUESTS"),
            "5",
        ),
        (
            &["serve"],
            "limit_sign_ins",
            env("HELPDESK_LIMIT_SIGN_INS"),
            "30",
        ),
        (
            &["serve"],
            "keep_visits_days",
            env("HELPDESK_KEEP_VISITS_DAYS"),
            "90",
        ),
        (
            &["manager"],
            "database_url",
            env("DATABASE_URL"),
            DEFAULT_DATABASE_URL,
        ),
        (
            &["backup"],
            "database_url",
            env("DATABASE_URL"),
            DEFAULT_DATABASE_URL,
        ),
        (
            &["seed"],
            "database_url",
            env("DATABASE_URL"),
            DEFAULT_DATABASE_URL,
        ),
        (&["seed"], "tickets", None, "1000"),
        (&["seed"], "events", None, "10000"),
        (&["seed"], "days", None, "30"),
        (&["seed"], "seed", None, "1"),
        (&["manager", "add"], "role", None, "manager"),
    ] {
        assert_eq!(
            find(path, id),
            (variable, default.to_string()),
            "{path:?} {id}"
        );
    }
}

#[test]
fn serve_takes_its_flags_and_defaults() {
    assert_eq!(
        run(&["serve"]).unwrap(),
        Command::Serve(ServeConfig {
            listen: DEFAULT_LISTEN.into(),
            database_url: DEFAULT_DATABASE_URL.into(),
            guide: None,
            timezone: "UTC".into(),
            smtp_url: None,
            mail_from: None,
            public_url: None,
            mail_retry_seconds: 30,
            trusted_proxies: Vec::new(),
            limit_visits: 60,
            limit_choices: 300,
            limit_tickets: 20,
            limit_status_forms: 30,
            limit_link_requests: 5,
            limit_sign_ins: 30,
            keep_visits_days: 90,
        })
    );
    assert_eq!(
        run(&[
            "serve",
            "--listen",
            "0.0.0.0:9000",
            "--database-url=sqlite://x.db",
            "--guide=g.toml",
            "--timezone",
            "America/New_York",
            "--smtp-url=smtp://127.0.0.1:2525",
            "--mail-from",
            "IIMS Support <support@iims.example>",
            "--public-url=https://help.iims.example",
            "--mail-retry-seconds=5",
            "--trusted-proxy=127.0.0.1",
            "--trusted-proxy",
            "10.0.0.0/8,2001:db8::/32",
            "--limit-visits=1",
            "--limit-choices=2",
            "--limit-tickets=3",
            "--limit-status-forms=4",
            "--limit-link-requests=5",
            "--limit-sign-ins=0",
            "--keep-visits-days=0",
        ])
        .unwrap(),
        Command::Serve(ServeConfig {
            listen: "0.0.0.0:9000".into(),
            database_url: "sqlite://x.db".into(),
            guide: Some(PathBuf::from("g.toml")),
            timezone: "America/New_York".into(),
            smtp_url: Some("smtp://127.0.0.1:2525".into()),
            mail_from: Some("IIMS Support <support@iims.example>".into()),
            public_url: Some("https://help.iims.example".into()),
            mail_retry_seconds: 5,
            trusted_proxies: ["127.0.0.1/32", "10.0.0.0/8", "2001:db8::/32"]
                .map(|n| n.parse().unwrap())
                .to_vec(),
            limit_visits: 1,
            limit_choices: 2,
            limit_tickets: 3,
            limit_status_forms: 4,
            limit_link_requests: 5,
            limit_sign_ins: 0,
            keep_visits_days: 0,
        })
    );
    let Command::Serve(config) = run(&["serve", "--guide="]).unwrap() else {
        panic!("serve did not parse");
    };
    assert_eq!(config.guide, None, "an empty guide is the embedded one");
    assert_eq!(mistake(&["serve", "--listen"]), ErrorKind::InvalidValue);
    assert_eq!(
        mistake(&["serve", "--bogus", "1"]),
        ErrorKind::UnknownArgument
    );
    assert_eq!(mistake(&["serve", "--timezone="]), ErrorKind::InvalidValue);
    assert_eq!(mistake(&["serve", "extra"]), ErrorKind::UnknownArgument);
    assert_eq!(
        mistake(&["serve", "--mail-retry-seconds=0"]),
        ErrorKind::ValueValidation
    );
    assert_eq!(
        mistake(&["serve", "--trusted-proxy=proxy.example"]),
        ErrorKind::ValueValidation
    );
    assert_eq!(
        mistake(&["serve", "--limit-choices=-1"]),
        ErrorKind::ValueValidation
    );
    for days in ["-1", "36501", "ninety"] {
        assert_eq!(
            mistake(&["serve", &format!("--keep-visits-days={days}")]),
            ErrorKind::ValueValidation,
            "{days}"
        );
    }
}

#[test]
fn mail_is_off_without_a_server_and_needs_a_sender_and_an_address() {
    let serve = |args: &[&str]| {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        match run(&all).unwrap() {
            Command::Serve(config) => config.mail(),
            other => panic!("{other:?}"),
        }
    };
    assert!(serve(&[]).unwrap().is_none());
    assert!(serve(&["--smtp-url="]).unwrap().is_none());
    let e = serve(&["--smtp-url=smtp://127.0.0.1:2525"]).unwrap_err();
    assert!(e.contains("--mail-from"), "{e}");
    let e = serve(&[
        "--smtp-url=smtp://127.0.0.1:2525",
        "--mail-from=a@iims.example",
    ])
    .unwrap_err();
    assert!(e.contains("--public-url"), "{e}");
    let mail = serve(&[
        "--smtp-url=smtp://127.0.0.1:2525",
        "--mail-from=a@iims.example",
        "--public-url=http://127.0.0.1:8080/",
    ])
    .unwrap()
    .unwrap();
    assert_eq!(mail.public_url, "http://127.0.0.1:8080");
}

#[test]
fn privacy_takes_an_action_and_an_address() {
    assert_eq!(
        run(&["privacy", "export", "--email", "ann@example.com"]).unwrap(),
        Command::Privacy(PrivacyCommand {
            action: PrivacyAction::Export {
                email: "ann@example.com".into()
            },
            database_url: DEFAULT_DATABASE_URL.into(),
        })
    );
    assert_eq!(
        run(&[
            "privacy",
            "erase",
            "--email=ann@example.com",
            "--database-url",
            "sqlite://x.db"
        ])
        .unwrap(),
        Command::Privacy(PrivacyCommand {
            action: PrivacyAction::Erase {
                email: "ann@example.com".into()
            },
            database_url: "sqlite://x.db".into(),
        })
    );
    assert_eq!(
        mistake(&["privacy", "erase"]),
        ErrorKind::MissingRequiredArgument
    );
    assert_eq!(
        mistake(&["privacy", "forget", "--email", "a@b.c"]),
        ErrorKind::InvalidSubcommand
    );
}

#[test]
fn check_guide_and_backup_take_one_file() {
    assert_eq!(
        run(&["check-guide", "my-guide.toml"]).unwrap(),
        Command::CheckGuide {
            file: "my-guide.toml".into()
        }
    );
    assert_eq!(
        mistake(&["check-guide"]),
        ErrorKind::MissingRequiredArgument
    );
    assert_eq!(
        mistake(&["check-guide", "a.toml", "b.toml"]),
        ErrorKind::UnknownArgument
    );
    assert_eq!(
        run(&["backup", "copy.db"]).unwrap(),
        Command::Backup {
            database_url: DEFAULT_DATABASE_URL.into(),
            target: "copy.db".into()
        }
    );
    assert_eq!(
        run(&["backup", "--database-url", "sqlite://x.db", "copy.db"]).unwrap(),
        Command::Backup {
            database_url: "sqlite://x.db".into(),
            target: "copy.db".into()
        }
    );
    assert_eq!(mistake(&["backup"]), ErrorKind::MissingRequiredArgument);
    assert_eq!(
        mistake(&["backup", "copy.db", "--bogus"]),
        ErrorKind::UnknownArgument
    );
}

#[test]
fn seed_takes_numbers_with_underscores_and_clamps_days() {
    assert_eq!(
        run(&["seed"]).unwrap(),
        Command::Seed(SeedCommand {
            database_url: DEFAULT_DATABASE_URL.into(),
            tickets: 1_000,
            events: 10_000,
            days: 30,
            seed: 1,
            unsent: false,
        })
    );
    assert_eq!(
        run(&[
            "seed",
            "--tickets",
            "100_000",
            "--events=1_000_000",
            "--days",
            "7",
            "--seed",
            "42",
            "--unsent",
            "--database-url",
            "sqlite://demo.db",
        ])
        .unwrap(),
        Command::Seed(SeedCommand {
            database_url: "sqlite://demo.db".into(),
            tickets: 100_000,
            events: 1_000_000,
            days: 7,
            seed: 42,
            unsent: true,
        })
    );
    let days = |d: &str| match run(&["seed", "--days", d]).unwrap() {
        Command::Seed(c) => c.days,
        other => panic!("{other:?}"),
    };
    assert_eq!((days("0"), days("365"), days("99_999")), (1, 365, 3650));
    assert_eq!(
        mistake(&["seed", "--tickets", "many"]),
        ErrorKind::ValueValidation
    );
    assert_eq!(
        mistake(&["seed", "--days", "-3"]),
        ErrorKind::UnknownArgument
    );
    assert_eq!(mistake(&["seed", "--unsent=yes"]), ErrorKind::TooManyValues);
}

#[test]
fn manager_subcommands() {
    assert_eq!(
        run(&[
            "manager",
            "add",
            "--email",
            "ann@example.com",
            "--name=Ann Smith",
            "--role",
            "admin",
            "--password-stdin",
            "--database-url",
            "sqlite://x.db",
        ])
        .unwrap(),
        Command::Manager(ManagerCommand {
            database_url: "sqlite://x.db".into(),
            action: ManagerAction::Add {
                email: "ann@example.com".into(),
                name: "Ann Smith".into(),
                role: Role::Admin,
                password_stdin: true
            }
        })
    );
    assert_eq!(
        run(&["manager", "add", "--email", "a@b.co", "--name", "A"]).unwrap(),
        Command::Manager(ManagerCommand {
            database_url: DEFAULT_DATABASE_URL.into(),
            action: ManagerAction::Add {
                email: "a@b.co".into(),
                name: "A".into(),
                role: Role::Manager,
                password_stdin: false
            }
        })
    );
    // The database may be named before or after the subcommand.
    for args in [
        &["manager", "list", "--database-url", "sqlite://y.db"][..],
        &["manager", "--database-url", "sqlite://y.db", "list"],
    ] {
        assert_eq!(
            run(args).unwrap(),
            Command::Manager(ManagerCommand {
                database_url: "sqlite://y.db".into(),
                action: ManagerAction::List
            }),
            "{args:?}"
        );
    }
    assert_eq!(
        run(&["manager", "set-password", "--email", "a@b.co"]).unwrap(),
        Command::Manager(ManagerCommand {
            database_url: DEFAULT_DATABASE_URL.into(),
            action: ManagerAction::SetPassword {
                email: "a@b.co".into(),
                password_stdin: false
            }
        })
    );
    assert_eq!(
        run(&["manager", "disable", "--email", "a@b.co"]).unwrap(),
        Command::Manager(ManagerCommand {
            database_url: DEFAULT_DATABASE_URL.into(),
            action: ManagerAction::Disable {
                email: "a@b.co".into()
            }
        })
    );
    for (args, kind) in [
        (
            &["manager"][..],
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand,
        ),
        (
            &["manager", "add", "--email", "a@b.co"],
            ErrorKind::MissingRequiredArgument,
        ),
        (
            &[
                "manager", "add", "--email", "a@b.co", "--name", "A", "--role", "root",
            ],
            ErrorKind::InvalidValue,
        ),
        (
            &["manager", "list", "--email", "a@b.co"],
            ErrorKind::UnknownArgument,
        ),
        (&["manager", "disable"], ErrorKind::MissingRequiredArgument),
        (
            &[
                "manager",
                "disable",
                "--email",
                "a@b.co",
                "--password-stdin",
            ],
            ErrorKind::UnknownArgument,
        ),
        (
            &["manager", "remove", "--email", "a@b.co"],
            ErrorKind::InvalidSubcommand,
        ),
    ] {
        assert_eq!(mistake(args), kind, "{args:?}");
    }
}

#[test]
fn no_command_is_a_mistake_that_shows_the_help() {
    assert_eq!(
        mistake(&[]),
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    assert_eq!(mistake(&["frobnicate"]), ErrorKind::InvalidSubcommand);
    assert_eq!(mistake(&["--help"]), ErrorKind::DisplayHelp);
    assert_eq!(mistake(&["--version"]), ErrorKind::DisplayVersion);
}
