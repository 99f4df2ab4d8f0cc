//! The command line: `serve`, `check-guide`, `manager ...`, and the settings each takes from
//! flags or the environment (a flag wins over its variable).

use std::ffi::OsString;
use std::path::PathBuf;

use crate::console::command::parse_role;
use crate::domain::manager::Role;
use crate::store::DEFAULT_DATABASE_URL;

/// The address the server listens on when none is given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the help site.
    Serve(ServeConfig),
    /// Validate a guide file without serving.
    CheckGuide(PathBuf),
    /// Manage console accounts.
    Manager(ManagerCommand),
    /// Copy the database while the server runs.
    Backup {
        /// `--database-url` / `DATABASE_URL`.
        database_url: String,
        /// Where the copy goes; must not exist.
        target: PathBuf,
    },
    /// Fill a database with synthetic visits and tickets.
    Seed(SeedCommand),
    /// Print usage.
    Help,
    /// Print the version.
    Version,
}

/// Settings for `serve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// `--listen` / `HELPDESK_LISTEN`.
    pub listen: String,
    /// `--database-url` / `DATABASE_URL`.
    pub database_url: String,
    /// `--guide` / `HELPDESK_GUIDE`; `None` serves the embedded IIMS guide.
    pub guide: Option<PathBuf>,
    /// `--timezone` / `HELPDESK_TIMEZONE`: the installation's IANA time zone, checked by `serve`.
    pub timezone: String,
}

/// Settings for `seed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedCommand {
    /// `--database-url` / `DATABASE_URL`.
    pub database_url: String,
    /// `--tickets T`: at least this many tickets.
    pub tickets: usize,
    /// `--events E`: at least this many path events.
    pub events: usize,
    /// `--days D`: spread over this many days before now.
    pub days: u32,
    /// `--seed S`: the random seed.
    pub seed: u64,
    /// `--unsent`: leave escalations without a ticket (free for an escalation benchmark).
    pub unsent: bool,
}

/// A `manager` subcommand and the database it works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerCommand {
    /// `--database-url` / `DATABASE_URL`.
    pub database_url: String,
    /// What to do.
    pub action: ManagerAction,
}

/// What `manager` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagerAction {
    /// `manager add --email E --name N [--role admin|manager] [--password-stdin]`.
    Add {
        /// Sign-in address, as typed.
        email: String,
        /// Display name, as typed.
        name: String,
        /// Role; `manager` unless given.
        role: Role,
        /// Read the password from standard input instead of a prompt.
        password_stdin: bool,
    },
    /// `manager list`.
    List,
    /// `manager set-password --email E [--password-stdin]`.
    SetPassword {
        /// Sign-in address, as typed.
        email: String,
        /// Read the password from standard input instead of a prompt.
        password_stdin: bool,
    },
    /// `manager disable --email E`: also ends the manager's sessions.
    Disable {
        /// Sign-in address, as typed.
        email: String,
    },
}

/// Usage text for `--help` and for mistakes.
pub const USAGE: &str = "\
helpdesk: a help site that walks customers through a troubleshooting guide

Usage:
  helpdesk serve [--listen ADDR] [--database-url URL] [--guide FILE] [--timezone ZONE]
  helpdesk check-guide FILE
  helpdesk manager add --email E --name N [--role admin|manager] [--password-stdin] [--database-url URL]
  helpdesk manager list [--database-url URL]
  helpdesk manager set-password --email E [--password-stdin] [--database-url URL]
  helpdesk manager disable --email E [--database-url URL]
  helpdesk backup FILE [--database-url URL]
  helpdesk seed [--tickets T] [--events E] [--days D] [--seed S] [--unsent] [--database-url URL]
  helpdesk --help | --version

serve options (each flag wins over its environment variable):
  --listen ADDR        address to listen on [HELPDESK_LISTEN, default 127.0.0.1:8080]
  --database-url URL   SQLite database, created on first run [DATABASE_URL, default sqlite://helpdesk.db]
  --guide FILE         guide file to serve [HELPDESK_GUIDE, default: the embedded IIMS email guide]
  --timezone ZONE      IANA time zone for the times shown and the insights' days [HELPDESK_TIMEZONE, default UTC]

check-guide validates a guide file, printing each fault with its line, and exits 1 if there is one.

manager manages the accounts of the account manager console (/console). There is no default
account: create the first admin with `manager add --role admin`. Passwords (at least 12
characters) are asked for at a prompt, or read from the first line of standard input with
--password-stdin. `disable` ends that manager's sessions at once; `set-password` ends them too.

backup writes a consistent copy of the database to FILE (which must not exist) while the server
keeps serving. To restore, stop the server and put the copy in place of the database file.

seed fills a database with synthetic, realistic visits, paths and tickets (defaults: 1,000 tickets,
10,000 events, 30 days, seed 1), for benchmarks, insights and demos. Never run it on a live database.
";

/// Parses the arguments after the program name; `env` looks up environment variables.
pub fn parse(
    args: impl IntoIterator<Item = OsString>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Command, String> {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| {
            a.into_string()
                .map_err(|a| format!("argument {a:?} is not valid UTF-8"))
        })
        .collect::<Result<_, _>>()?;
    let mut rest = args.iter().map(String::as_str);
    match rest.next() {
        None | Some("help" | "--help" | "-h") => Ok(Command::Help),
        Some("--version" | "-V") => Ok(Command::Version),
        Some("check-guide") => match (rest.next(), rest.next()) {
            (Some(file), None) if !file.starts_with("--") => {
                Ok(Command::CheckGuide(PathBuf::from(file)))
            }
            _ => Err("check-guide takes exactly one FILE".into()),
        },
        Some("serve") => {
            let mut config = ServeConfig {
                listen: env("HELPDESK_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.into()),
                database_url: env("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
                guide: env("HELPDESK_GUIDE")
                    .filter(|g| !g.is_empty())
                    .map(PathBuf::from),
                timezone: env("HELPDESK_TIMEZONE").unwrap_or_else(|| "UTC".into()),
            };
            while let Some(flag) = rest.next() {
                let (name, inline) = match flag.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (flag, None),
                };
                let mut value = || {
                    inline
                        .clone()
                        .or_else(|| rest.next().map(str::to_string))
                        .ok_or_else(|| format!("{name} needs a value"))
                };
                match name {
                    "--listen" => config.listen = value()?,
                    "--database-url" => config.database_url = value()?,
                    "--guide" => config.guide = Some(PathBuf::from(value()?)),
                    "--timezone" => config.timezone = value()?,
                    other => return Err(format!("unknown option {other} for serve")),
                }
            }
            Ok(Command::Serve(config))
        }
        Some("manager") => parse_manager(rest, env).map(Command::Manager),
        Some("backup") => {
            let mut database_url =
                env("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
            let mut target = None;
            while let Some(arg) = rest.next() {
                match arg.split_once('=') {
                    Some(("--database-url", v)) => database_url = v.to_string(),
                    None if arg == "--database-url" => {
                        database_url = rest
                            .next()
                            .ok_or("--database-url needs a value")?
                            .to_string()
                    }
                    _ if arg.starts_with("--") => {
                        return Err(format!("unknown option {arg} for backup"));
                    }
                    _ if target.is_none() => target = Some(PathBuf::from(arg)),
                    _ => return Err("backup takes exactly one FILE".into()),
                }
            }
            let target = target.ok_or("backup needs the FILE to write the copy to")?;
            Ok(Command::Backup {
                database_url,
                target,
            })
        }
        Some("seed") => {
            let mut c = SeedCommand {
                database_url: env("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
                tickets: 1_000,
                events: 10_000,
                days: 30,
                seed: 1,
                unsent: false,
            };
            while let Some(flag) = rest.next() {
                if flag == "--unsent" {
                    c.unsent = true;
                    continue;
                }
                let (name, inline) = match flag.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (flag, None),
                };
                let value = inline
                    .or_else(|| rest.next().map(str::to_string))
                    .ok_or_else(|| format!("{name} needs a value"))?;
                let number = |v: &str| {
                    v.replace('_', "")
                        .parse::<u64>()
                        .map_err(|_| format!("{name} takes a whole number, not {v:?}"))
                };
                match name {
                    "--database-url" => c.database_url = value,
                    "--tickets" => c.tickets = number(&value)? as usize,
                    "--events" => c.events = number(&value)? as usize,
                    "--days" => c.days = number(&value)?.clamp(1, 3650) as u32,
                    "--seed" => c.seed = number(&value)?,
                    other => return Err(format!("unknown option {other} for seed")),
                }
            }
            Ok(Command::Seed(c))
        }
        Some(other) => Err(format!("unknown command {other}")),
    }
}

/// Parses what follows `manager`.
fn parse_manager<'a>(
    mut rest: impl Iterator<Item = &'a str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<ManagerCommand, String> {
    let sub = rest
        .next()
        .ok_or("manager needs a subcommand: add, list, set-password or disable")?;
    let mut database_url = env("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
    let (mut email, mut name, mut role, mut password_stdin) = (None, None, None, false);
    while let Some(flag) = rest.next() {
        let (flag_name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (flag, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| rest.next().map(str::to_string))
                .ok_or_else(|| format!("{flag_name} needs a value"))
        };
        match (sub, flag_name) {
            (_, "--database-url") => database_url = value()?,
            ("add" | "set-password" | "disable", "--email") => email = Some(value()?),
            ("add", "--name") => name = Some(value()?),
            ("add", "--role") => role = Some(parse_role(&value()?)?),
            ("add" | "set-password", "--password-stdin") if inline.is_none() => {
                password_stdin = true
            }
            (_, other) => return Err(format!("unknown option {other} for manager {sub}")),
        }
    }
    let need =
        |v: Option<String>, flag: &str| v.ok_or_else(|| format!("manager {sub} needs {flag}"));
    let action = match sub {
        "add" => ManagerAction::Add {
            email: need(email, "--email E")?,
            name: need(name, "--name N")?,
            role: role.unwrap_or(Role::Manager),
            password_stdin,
        },
        "list" => ManagerAction::List,
        "set-password" => ManagerAction::SetPassword {
            email: need(email, "--email E")?,
            password_stdin,
        },
        "disable" => ManagerAction::Disable {
            email: need(email, "--email E")?,
        },
        other => {
            return Err(format!(
                "unknown manager subcommand {other}: use add, list, set-password or disable"
            ));
        }
    };
    Ok(ManagerCommand {
        database_url,
        action,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Command, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(args.iter().map(OsString::from), move |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn flags_win_over_the_environment() {
        let Ok(Command::Serve(c)) = run(
            &["serve", "--listen", "0.0.0.0:9000", "--guide=g.toml"],
            &[
                ("HELPDESK_LISTEN", "1.2.3.4:1"),
                ("DATABASE_URL", "sqlite://x.db"),
            ],
        ) else {
            panic!("serve did not parse");
        };
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.database_url, "sqlite://x.db");
        assert_eq!(c.guide, Some(PathBuf::from("g.toml")));
    }

    #[test]
    fn defaults_and_mistakes() {
        assert_eq!(
            run(&["serve"], &[]),
            Ok(Command::Serve(ServeConfig {
                listen: DEFAULT_LISTEN.into(),
                database_url: DEFAULT_DATABASE_URL.into(),
                guide: None,
                timezone: "UTC".into(),
            }))
        );
        assert!(run(&["serve", "--listen"], &[]).is_err());
        assert!(run(&["serve", "--bogus", "1"], &[]).is_err());
        assert!(run(&["check-guide"], &[]).is_err());
        assert!(run(&["frobnicate"], &[]).is_err());
    }

    #[test]
    fn manager_subcommands() {
        assert_eq!(
            run(
                &[
                    "manager",
                    "add",
                    "--email",
                    "ann@example.com",
                    "--name=Ann Smith",
                    "--role",
                    "admin",
                    "--password-stdin"
                ],
                &[("DATABASE_URL", "sqlite://x.db")]
            ),
            Ok(Command::Manager(ManagerCommand {
                database_url: "sqlite://x.db".into(),
                action: ManagerAction::Add {
                    email: "ann@example.com".into(),
                    name: "Ann Smith".into(),
                    role: Role::Admin,
                    password_stdin: true
                }
            }))
        );
        let Ok(Command::Manager(c)) =
            run(&["manager", "list", "--database-url", "sqlite://y.db"], &[])
        else {
            panic!("list did not parse");
        };
        assert_eq!(
            (c.database_url.as_str(), c.action),
            ("sqlite://y.db", ManagerAction::List)
        );
        let Ok(Command::Manager(c)) =
            run(&["manager", "add", "--email", "a@b.co", "--name", "A"], &[])
        else {
            panic!("add did not parse");
        };
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert!(matches!(
            c.action,
            ManagerAction::Add {
                role: Role::Manager,
                password_stdin: false,
                ..
            }
        ));
        assert!(matches!(
            run(&["manager", "disable", "--email", "a@b.co"], &[]),
            Ok(Command::Manager(ManagerCommand {
                action: ManagerAction::Disable { .. },
                ..
            }))
        ));
        assert!(run(&["manager"], &[]).is_err());
        assert!(
            run(&["manager", "add", "--email", "a@b.co"], &[]).is_err(),
            "no name"
        );
        assert!(
            run(
                &[
                    "manager", "add", "--email", "a@b.co", "--name", "A", "--role", "root"
                ],
                &[]
            )
            .is_err()
        );
        assert!(run(&["manager", "list", "--email", "a@b.co"], &[]).is_err());
        assert!(run(&["manager", "disable"], &[]).is_err());
        assert!(
            run(
                &[
                    "manager",
                    "disable",
                    "--email",
                    "a@b.co",
                    "--password-stdin"
                ],
                &[]
            )
            .is_err()
        );
        assert!(run(&["manager", "remove", "--email", "a@b.co"], &[]).is_err());
    }
}
