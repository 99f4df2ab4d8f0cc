//! The command line as an operator meets it: the real binary's help and version, how it refuses a
//! mistake (status 2, naming the flag), and which of a flag, its environment variable and the
//! default each command ends up using.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The variables helpdesk reads; every run starts without them unless a test sets one.
const SETTINGS: [&str; 5] = [
    "DATABASE_URL",
    "HELPDESK_LISTEN",
    "HELPDESK_GUIDE",
    "HELPDESK_TIMEZONE",
    "RUST_LOG",
];

/// The guide shipped in the repository, a valid file to pass with `--guide`.
const GUIDE_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/content/iims-email-guide.toml");

/// `helpdesk` with `args` in `dir`, with only the variables in `env` set of those it reads.
fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_helpdesk"));
    c.args(args).current_dir(dir).stdin(Stdio::null());
    for name in SETTINGS {
        c.env_remove(name);
    }
    c.envs(env.iter().copied()).env("NO_COLOR", "1");
    c
}

/// Runs `helpdesk` with `args` to the end.
fn helpdesk(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(dir, args, env)
        .output()
        .expect("the helpdesk binary runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `text` with every run of white space made one space, so a check doesn't depend on where the
/// help was wrapped.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Starts `helpdesk serve` and returns the address it reports listening on (then stops it), or,
/// if it exits instead, its status and standard error.
fn serve(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<String, (Option<i32>, String)> {
    let mut all = vec!["serve"];
    all.extend(args);
    let mut child = command(dir, &all, env)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start helpdesk serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect());
        }
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    Err((status.code(), stderr))
}

#[test]
fn every_help_lists_its_flags_with_their_variables() {
    let dir = tempfile::tempdir().unwrap();
    let url = "[env: DATABASE_URL]";
    // (command, what its help must say: each flag, its variable, the paragraphs that explain it)
    let helps: [(&[&str], &[&str]); 11] = [
        (
            &[],
            &[
                "Usage: helpdesk <COMMAND>",
                "serve",
                "check-guide",
                "manager",
                "backup",
                "mail-in",
                "seed",
                "--version",
                "Each flag wins over its environment variable, and the variable over the default",
            ],
        ),
        (
            &["serve"],
            &[
                "--listen <ADDR>",
                "[env: HELPDESK_LISTEN=] [default: 127.0.0.1:8080]",
                "--database-url <URL>",
                url,
                "[default: sqlite://helpdesk.db]",
                "--guide <FILE>",
                "[env: HELPDESK_GUIDE=]",
                "embedded IIMS email guide",
                "--timezone <ZONE>",
                "IANA time zone (such as America/New_York)",
                "[env: HELPDESK_TIMEZONE=] [default: UTC]",
                "--smtp-url <URL>",
                "[env: HELPDESK_SMTP_URL]",
                "--mail-from <ADDRESS>",
                "[env: HELPDESK_MAIL_FROM=]",
                "--public-url <URL>",
                "[env: HELPDESK_PUBLIC_URL=]",
                "--mail-retry-seconds <SECONDS>",
                "[env: HELPDESK_MAIL_RETRY_SECONDS=] [default: 30]",
            ],
        ),
        (
            &["mail-in"],
            &[
                "Usage: helpdesk mail-in [OPTIONS]",
                "--database-url <URL>",
                url,
                "--max-megabytes <MB>",
                "[default: 10]",
                "67 for a mail that is no reply to a ticket",
            ],
        ),
        (
            &["check-guide"],
            &["Usage: helpdesk check-guide <FILE>", "exits with status 1"],
        ),
        (
            &["manager"],
            &[
                "add",
                "list",
                "set-password",
                "disable",
                "--database-url <URL>",
                url,
                "There is no default account",
                "at least 12 characters",
                "--password-stdin",
            ],
        ),
        (
            &["manager", "add"],
            &[
                "--email <EMAIL>",
                "--name <NAME>",
                "--role <ROLE>",
                "[default: manager] [possible values: admin, manager]",
                "--password-stdin",
                "--database-url <URL>",
                url,
                "at least 12 characters",
            ],
        ),
        (&["manager", "list"], &["--database-url <URL>", url]),
        (
            &["manager", "set-password"],
            &[
                "--email <EMAIL>",
                "--password-stdin",
                "--database-url <URL>",
                url,
            ],
        ),
        (
            &["manager", "disable"],
            &["--email <EMAIL>", "--database-url <URL>", url],
        ),
        (
            &["backup"],
            &[
                "Usage: helpdesk backup [OPTIONS] <FILE>",
                "--database-url <URL>",
                url,
                "must not exist",
                "stop the server and put the copy in place",
            ],
        ),
        (
            &["seed"],
            &[
                "--tickets <T>",
                "[default: 1000]",
                "--events <E>",
                "[default: 10000]",
                "--days <D>",
                "[default: 30]",
                "--seed <S>",
                "--unsent",
                "--database-url <URL>",
                url,
                "Never run it on a live database",
            ],
        ),
    ];
    for (path, expected) in helps {
        let mut flag = path.to_vec();
        flag.push("--help");
        let by_flag = helpdesk(dir.path(), &flag, &[]);
        let mut word = vec!["help"];
        word.extend(path);
        let by_word = helpdesk(dir.path(), &word, &[]);
        for o in [&by_flag, &by_word] {
            assert_eq!(o.status.code(), Some(0), "{path:?}: {}", err(o));
            assert_eq!(err(o), "", "{path:?}");
        }
        assert_eq!(out(&by_flag), out(&by_word), "`help {path:?}` differs");
        let help = words(&out(&by_flag));
        for line in expected {
            assert!(help.contains(line), "{path:?} help lacks {line:?}:\n{help}");
        }
    }
}

#[test]
fn help_shows_a_variable_that_is_set_but_never_the_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let o = helpdesk(
        dir.path(),
        &["serve", "--help"],
        &[
            ("HELPDESK_LISTEN", "0.0.0.0:9000"),
            ("DATABASE_URL", "sqlite://secret-place.db"),
            (
                "HELPDESK_SMTP_URL",
                "smtp://helpdesk:mail-password@mail.example:587",
            ),
        ],
    );
    let help = words(&out(&o));
    assert!(
        help.contains("[env: HELPDESK_LISTEN=0.0.0.0:9000]"),
        "{help}"
    );
    assert!(help.contains("[env: DATABASE_URL]"), "{help}");
    assert!(!help.contains("secret-place"), "a URL may carry a password");
    assert!(help.contains("[env: HELPDESK_SMTP_URL]"), "{help}");
    assert!(!help.contains("mail-password"), "nor the mail server's");
}

#[test]
fn no_arguments_show_the_help_as_a_mistake_and_the_version_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let o = helpdesk(dir.path(), &[], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(out(&o), "");
    assert!(err(&o).contains("Usage: helpdesk <COMMAND>"), "{}", err(&o));
    assert!(err(&o).contains("check-guide"), "{}", err(&o));

    for flag in ["--version", "-V"] {
        let o = helpdesk(dir.path(), &[flag], &[]);
        assert_eq!(o.status.code(), Some(0));
        assert_eq!(out(&o), format!("helpdesk {}\n", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn mistakes_exit_with_status_2_and_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    for (args, named) in [
        (
            &["seed", "--tickets", "many"][..],
            &["--tickets", "many"][..],
        ),
        (&["seed", "--days"], &["--days"]),
        (&["seed", "--unsent=yes"], &["--unsent"]),
        (
            &[
                "manager", "add", "--email", "a@b.co", "--name", "A", "--role", "root",
            ],
            &["--role", "root", "[possible values: admin, manager]"],
        ),
        (&["manager", "add", "--email", "a@b.co"], &["--name <NAME>"]),
        (&["manager", "list", "--email", "a@b.co"], &["--email"]),
        (&["manager", "remove"], &["remove"]),
        (&["serve", "--bogus"], &["--bogus"]),
        (&["serve", "--listn", "x"], &["--listn", "--listen"]),
        (&["serve", "--timezone="], &["--timezone"]),
        (&["check-guide"], &["<FILE>"]),
        (&["backup"], &["<FILE>"]),
        (&["frobnicate"], &["frobnicate"]),
    ] {
        let o = helpdesk(dir.path(), args, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert_eq!(out(&o), "", "{args:?}");
        for name in named {
            assert!(err(&o).contains(name), "{args:?}: {}", err(&o));
        }
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "a mistake touches no database"
    );
}

#[test]
fn check_guide_reads_the_file_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let o = helpdesk(dir.path(), &["check-guide", GUIDE_FILE], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains(": ok: "), "{}", out(&o));
    let o = helpdesk(dir.path(), &["check-guide", "missing.toml"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("missing.toml"), "{}", err(&o));
}

/// Whether `dir` holds the SQLite file `name`.
fn has(dir: &Path, name: &str) -> bool {
    dir.join(name).exists()
}

#[test]
fn the_database_comes_from_the_flag_then_database_url_then_the_default() {
    let db_flag = |dir: &Path, name: &str| format!("sqlite://{}", dir.join(name).display());
    // Each command that opens a database, with the arguments it needs besides the database.
    let commands: [&[&str]; 3] = [
        &["manager", "list"],
        &[
            "seed",
            "--tickets",
            "1_0",
            "--events",
            "1_00",
            "--days",
            "0",
        ],
        &["backup", "copy.db"],
    ];
    for args in commands {
        // Neither: the default, helpdesk.db in the working directory.
        let dir = tempfile::tempdir().unwrap();
        let o = helpdesk(dir.path(), args, &[]);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", err(&o));
        assert!(has(dir.path(), "helpdesk.db"), "{args:?}");

        // The variable wins over the default.
        let dir = tempfile::tempdir().unwrap();
        let env_url = db_flag(dir.path(), "from-env.db");
        let o = helpdesk(dir.path(), args, &[("DATABASE_URL", &env_url)]);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", err(&o));
        assert!(has(dir.path(), "from-env.db"), "{args:?}");
        assert!(!has(dir.path(), "helpdesk.db"), "{args:?}");

        // The flag wins over the variable.
        let dir = tempfile::tempdir().unwrap();
        let env_url = db_flag(dir.path(), "from-env.db");
        let flag_url = db_flag(dir.path(), "from-flag.db");
        let mut with_flag = args.to_vec();
        with_flag.extend(["--database-url", &flag_url]);
        let o = helpdesk(dir.path(), &with_flag, &[("DATABASE_URL", &env_url)]);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", err(&o));
        assert!(has(dir.path(), "from-flag.db"), "{args:?}");
        assert!(!has(dir.path(), "from-env.db"), "{args:?}");
        assert!(!has(dir.path(), "helpdesk.db"), "{args:?}");
    }
}

#[test]
fn seed_takes_numbers_written_with_underscores() {
    let dir = tempfile::tempdir().unwrap();
    let o = helpdesk(
        dir.path(),
        &[
            "seed",
            "--tickets",
            "2_5",
            "--events",
            "2_00",
            "--days",
            "9_999",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let summary = out(&o);
    let tickets: usize = summary
        .split(" tickets")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no ticket count in {summary:?}"));
    assert!(tickets >= 25, "{summary}");
}

#[test]
fn serve_takes_each_setting_from_the_flag_then_the_variable_then_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());

    // Only variables: each is used (an empty guide is the embedded one).
    let env_url = url("from-env.db");
    let address = serve(
        dir.path(),
        &[],
        &[
            ("HELPDESK_LISTEN", "127.0.0.1:0"),
            ("DATABASE_URL", &env_url),
            ("HELPDESK_GUIDE", ""),
            ("HELPDESK_TIMEZONE", "America/New_York"),
        ],
    )
    .expect("serve starts from its variables");
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    assert_ne!(address, "127.0.0.1:8080", "the variable, not the default");
    assert!(has(dir.path(), "from-env.db"));
    assert!(!has(dir.path(), "helpdesk.db"));

    // Flags over variables that would each fail on their own.
    let flag_url = url("from-flag.db");
    let unused_url = url("unused.db");
    serve(
        dir.path(),
        &[
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &flag_url,
            "--guide",
            GUIDE_FILE,
            "--timezone",
            "UTC",
        ],
        &[
            ("HELPDESK_LISTEN", "nowhere"),
            ("DATABASE_URL", &unused_url),
            ("HELPDESK_GUIDE", "missing.toml"),
            ("HELPDESK_TIMEZONE", ""),
        ],
    )
    .expect("flags win over their variables");
    assert!(has(dir.path(), "from-flag.db"));
    assert!(!has(dir.path(), "unused.db"));

    // The variables are read: a missing guide and an empty time zone are refused.
    let (status, stderr) = serve(
        dir.path(),
        &["--listen", "127.0.0.1:0"],
        &[("HELPDESK_GUIDE", "missing.toml")],
    )
    .expect_err("HELPDESK_GUIDE is the guide");
    assert_eq!(status, Some(1));
    assert!(stderr.contains("missing.toml"), "{stderr}");
    let (status, stderr) = serve(
        dir.path(),
        &["--listen", "127.0.0.1:0"],
        &[("HELPDESK_TIMEZONE", "")],
    )
    .expect_err("an empty time zone is a mistake");
    assert_eq!(status, Some(2));
    assert!(stderr.contains("--timezone"), "{stderr}");

    // Nothing set: the default database in the working directory.
    serve(dir.path(), &["--listen", "127.0.0.1:0"], &[]).expect("serve starts on its defaults");
    assert!(has(dir.path(), "helpdesk.db"));
}
