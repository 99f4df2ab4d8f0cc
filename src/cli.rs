//! The command line: `serve`, `check-guide`, `manager ...`, `backup`, `seed`, and the settings
//! each takes from flags or the environment. clap reads them; a flag wins over its environment
//! variable, and the variable over the default.

use std::path::PathBuf;

use clap::builder::{
    NonEmptyStringValueParser, OsStringValueParser, PossibleValuesParser, TypedValueParser,
};
use clap::{Args, Parser, Subcommand};

use crate::client::TrustedProxies;
use crate::domain::manager::Role;
use crate::limits::LimitSettings;
use crate::store::DEFAULT_DATABASE_URL;

/// The address the server listens on when none is given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The installation's time zone when none is given.
pub const DEFAULT_TIMEZONE: &str = "UTC";

/// The most days `seed --days` spreads visits over (ten years).
const MAX_SEED_DAYS: u64 = 3650;

/// Shown under the list of commands in `helpdesk --help`.
const AFTER_HELP: &str = "\
Each flag wins over its environment variable, and the variable over the default.
`helpdesk help COMMAND` (or `helpdesk COMMAND --help`) tells more about a command.";

/// `helpdesk` and its arguments: what clap parses before [`Cli::into_command`] tidies it.
#[derive(Debug, Parser)]
#[command(
    name = "helpdesk",
    version,
    about = "A help site that walks customers through a troubleshooting guide, step by step.",
    after_help = AFTER_HELP,
    arg_required_else_help = true
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The command asked for, with an empty `--guide` / `HELPDESK_GUIDE` meaning the embedded guide.
    pub fn into_command(self) -> Command {
        match self.command {
            Command::Serve(mut config) => {
                config.guide = config.guide.filter(|g| !g.as_os_str().is_empty());
                Command::Serve(config)
            }
            other => other,
        }
    }
}

/// Parses the process's arguments and environment; prints help or the mistake and exits (with
/// status 2 for a mistake) when there is nothing to run.
pub fn parse() -> Command {
    Cli::parse().into_command()
}

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Run the help site.
    Serve(ServeConfig),
    /// Validate a guide file without serving it.
    ///
    /// check-guide reads FILE as the server would and prints each fault with its line; it exits
    /// with status 1 if there is one, so a guide can be checked before it is deployed.
    CheckGuide {
        /// The guide file to check.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Manage the accounts of the account manager console.
    ///
    /// manager manages the accounts of the account manager console (/console). There is no
    /// default account: create the first admin with `helpdesk manager add --role admin`.
    /// Passwords (at least 12 characters) are asked for at a prompt, or read from the first line
    /// of standard input with --password-stdin. `disable` ends that manager's sessions at once;
    /// `set-password` ends them too.
    Manager(ManagerCommand),
    /// Copy the database while the server keeps serving.
    ///
    /// backup writes a consistent copy of the database to FILE (which must not exist) while the
    /// server keeps serving. To restore, stop the server and put the copy in place of the
    /// database file.
    Backup {
        /// The database to copy.
        #[arg(
            long,
            env = "DATABASE_URL",
            default_value = DEFAULT_DATABASE_URL,
            value_name = "URL",
            hide_env_values = true
        )]
        database_url: String,
        /// Where the copy goes; must not exist.
        #[arg(value_name = "FILE")]
        target: PathBuf,
    },
    /// Add a customer's reply, read as one mail on standard input, to its ticket.
    ///
    /// mail-in is what a mail server's pipe alias runs for each mail to the help desk's reply
    /// addresses (see the README for Postfix). It finds the ticket from the reply address or the
    /// mail's In-Reply-To/References, keeps the customer's own words (not the quoted mail or
    /// the signature) and adds them to the ticket. It exits 0 when added, 65 for a malformed or
    /// too large mail, 67 for a mail that is no reply to a ticket (or to a closed one), 75 when
    /// the database is unavailable (the mail server tries again later).
    MailIn {
        /// The database of the help desk.
        #[arg(
            long,
            env = "DATABASE_URL",
            default_value = DEFAULT_DATABASE_URL,
            value_name = "URL",
            hide_env_values = true
        )]
        database_url: String,
        /// The largest mail taken, in megabytes.
        #[arg(long, value_name = "MB", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100))]
        max_megabytes: u64,
    },
    /// Write out, or erase, what is held about one customer.
    ///
    /// privacy answers a customer's requests about their data, found by their email address on
    /// every ticket whose reply address it is or was. `export` writes everything held as JSON on
    /// standard output. `erase` removes their name, address, phone, account and description,
    /// their messages and rating comment, and their details wherever a note, reply, mail or audit
    /// entry quotes them; the status link stops working. The guide path, the ticket numbers and
    /// the insight figures stay, and each ticket's audit trail records the erasure without the
    /// data. Erasing cannot be undone.
    Privacy(PrivacyCommand),
    /// Copy a SQLite installation into an empty PostgreSQL database.
    ///
    /// migrate-database copies every table (guide versions, visits and their paths, tickets
    /// with their notes, messages, mails and audit trail, managers, the insight counters) into
    /// a new, empty PostgreSQL database, in one transaction, and checks each table's rows and a
    /// checksum of their values before it commits. It refuses a database that holds any data.
    /// Console sessions are not copied: managers sign in again. Stop the server first; start it
    /// again with --database-url set to the new database.
    MigrateDatabase {
        /// The SQLite database to copy, e.g. sqlite://helpdesk.db.
        #[arg(long, value_name = "URL")]
        from: String,
        /// The empty PostgreSQL database to copy into, e.g. postgres://helpdesk@db/helpdesk.
        #[arg(long, value_name = "URL", hide_env_values = true)]
        to: String,
    },
    /// Fill a database with synthetic visits and tickets.
    ///
    /// seed fills a database with synthetic, realistic visits, paths and tickets, for
    /// benchmarks, insights and demos; the same --seed gives the same data. Never run it on a
    /// live database. Numbers may be written with underscores (1_000).
    Seed(SeedCommand),
}

/// Settings for `serve`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "HELPDESK_LISTEN", default_value = DEFAULT_LISTEN, value_name = "ADDR")]
    pub listen: String,
    /// The database: sqlite://PATH (created on first run) or postgres://USER:PASSWORD@HOST/DB.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: String,
    /// Guide file to serve; absent or empty serves the embedded IIMS email guide.
    // clap's own path parser refuses an empty value; `HELPDESK_GUIDE=` has always meant the
    // embedded guide, so take any value and let `Cli::into_command` drop an empty one.
    #[arg(
        long,
        env = "HELPDESK_GUIDE",
        value_name = "FILE",
        value_parser = OsStringValueParser::new().map(PathBuf::from)
    )]
    pub guide: Option<PathBuf>,
    /// The installation's IANA time zone (such as America/New_York), for every date shown and
    /// every day and hour in the insights.
    #[arg(
        long,
        env = "HELPDESK_TIMEZONE",
        default_value = DEFAULT_TIMEZONE,
        value_name = "ZONE",
        value_parser = NonEmptyStringValueParser::new()
    )]
    pub timezone: String,
    /// Mail server for outbound mail, e.g. smtp://user:pass@mail.example:587 (STARTTLS),
    /// smtps://user:pass@mail.example:465 (TLS) or smtp://127.0.0.1:25 (a relay on this
    /// machine, plain). Unset: mail is off.
    #[arg(
        long,
        env = "HELPDESK_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    /// The sender of every mail, e.g. "IIMS Support <support@iims.example>"; needed with
    /// --smtp-url.
    #[arg(long, env = "HELPDESK_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,
    /// The help site's address as customers open it, e.g. https://help.iims.example: the links
    /// in mail; needed with --smtp-url.
    #[arg(long, env = "HELPDESK_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Seconds before a mail that could not be sent is tried again; each later try waits twice
    /// as long, up to an hour.
    #[arg(
        long,
        env = "HELPDESK_MAIL_RETRY_SECONDS",
        value_name = "SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub mail_retry_seconds: u64,
    /// A reverse proxy allowed to say who the client is (X-Forwarded-For) and that it came over
    /// HTTPS (X-Forwarded-Proto): a network (10.0.0.0/8) or an address (127.0.0.1). Repeat the
    /// flag or separate with commas. Unset: forwarded headers are ignored and the connection's
    /// peer is the client.
    #[arg(
        long = "trusted-proxy",
        env = "HELPDESK_TRUSTED_PROXIES",
        value_name = "CIDR",
        value_delimiter = ',',
        value_parser = crate::client::parse_network
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Visits one client may start per minute (0: no limit).
    #[arg(long, env = "HELPDESK_LIMIT_VISITS", value_name = "N", help_heading = LIMITS,
          default_value_t = LimitSettings::DEFAULT.visits)]
    pub limit_visits: u32,
    /// Answers (and steps back) one client may send per minute (0: no limit).
    #[arg(long, env = "HELPDESK_LIMIT_CHOICES", value_name = "N", help_heading = LIMITS,
          default_value_t = LimitSettings::DEFAULT.choices)]
    pub limit_choices: u32,
    /// Tickets one client may open per 10 minutes (0: no limit).
    #[arg(long, env = "HELPDESK_LIMIT_TICKETS", value_name = "N", help_heading = LIMITS,
          default_value_t = LimitSettings::DEFAULT.tickets)]
    pub limit_tickets: u32,
    /// Forms of ticket status pages (messages, contact corrections, ratings) one client may
    /// send per minute (0: no limit).
    #[arg(long, env = "HELPDESK_LIMIT_STATUS_FORMS", value_name = "N", help_heading = LIMITS,
          default_value_t = LimitSettings::DEFAULT.status_forms)]
    pub limit_status_forms: u32,
    /// Lost status links one client may ask for per hour (0: no limit).
    #[arg(long, env = "HELPDESK_LIMIT_LINK_REQUESTS", value_name = "N", help_heading = LIMITS,
          default_value_t = LimitSettings::DEFAULT.link_requests)]
    pub limit_link_requests: u32,
    /// Console sign-in attempts one client may make per minute (0: no limit); failures are
    /// also throttled per account.
    #[arg(long, env = "HELPDESK_LIMIT_SIGN_INS", value_name = "N", help_heading = LIMITS,
          default_value_t = LimitSettings::DEFAULT.sign_ins)]
    pub limit_sign_ins: u32,
    /// Days a visit that led to no ticket is kept after its last answer; then it is deleted
    /// with its path, and the insights keep counting it (0: kept for ever). Checked at start
    /// and every hour.
    #[arg(
        long,
        env = "HELPDESK_KEEP_VISITS_DAYS",
        value_name = "DAYS",
        default_value_t = DEFAULT_KEEP_VISITS_DAYS,
        value_parser = clap::value_parser!(u32).range(0..=36_500)
    )]
    pub keep_visits_days: u32,
}

/// How long visits without a ticket are kept unless `--keep-visits-days` says otherwise.
pub const DEFAULT_KEEP_VISITS_DAYS: u32 = 90;

/// The heading of the limits in `helpdesk help serve`.
const LIMITS: &str = "Limits per client (429 with Retry-After past them)";

impl ServeConfig {
    /// The trusted proxies as configured.
    pub fn trusted_proxies(&self) -> TrustedProxies {
        TrustedProxies::new(self.trusted_proxies.clone())
    }

    /// The per-client limits as configured.
    pub fn limits(&self) -> LimitSettings {
        LimitSettings {
            visits: self.limit_visits,
            choices: self.limit_choices,
            tickets: self.limit_tickets,
            status_forms: self.limit_status_forms,
            link_requests: self.limit_link_requests,
            sign_ins: self.limit_sign_ins,
        }
    }

    /// Mail as configured, `None` when it is off (no `--smtp-url`), or which setting is wrong.
    pub fn mail(&self) -> Result<Option<crate::mail::Mail>, String> {
        let Some(url) = self.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let from = self.mail_from.as_deref().unwrap_or_default();
        if from.trim().is_empty() {
            return Err("--smtp-url turns mail on, and mail needs a sender: set --mail-from / HELPDESK_MAIL_FROM (e.g. \"IIMS Support <support@iims.example>\")".into());
        }
        let public_url = self.public_url.as_deref().unwrap_or_default();
        if public_url.trim().is_empty() {
            return Err("--smtp-url turns mail on, and mail links to the site: set --public-url / HELPDESK_PUBLIC_URL (e.g. https://help.iims.example)".into());
        }
        crate::mail::Mail::new(
            url,
            from,
            public_url,
            std::time::Duration::from_secs(self.mail_retry_seconds),
        )
        .map(Some)
    }
}

/// `privacy export` and `privacy erase`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct PrivacyCommand {
    /// What to do.
    #[command(subcommand)]
    pub action: PrivacyAction,
    /// The database of the help desk.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        value_name = "URL",
        hide_env_values = true,
        global = true
    )]
    pub database_url: String,
}

/// What `privacy` does.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum PrivacyAction {
    /// Write everything held about the customer as JSON on standard output.
    Export {
        /// The customer's email address.
        #[arg(long, value_name = "ADDRESS")]
        email: String,
    },
    /// Erase the customer's personal data (cannot be undone).
    Erase {
        /// The customer's email address.
        #[arg(long, value_name = "ADDRESS")]
        email: String,
    },
}

/// Settings for `seed`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct SeedCommand {
    /// The database to fill, created if missing.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: String,
    /// At least this many tickets.
    #[arg(long, value_name = "T", default_value_t = 1_000, value_parser = whole_number::<usize>)]
    pub tickets: usize,
    /// At least this many path events.
    #[arg(long, value_name = "E", default_value_t = 10_000, value_parser = whole_number::<usize>)]
    pub events: usize,
    /// Spread the visits over this many days before now (1 to 3650).
    #[arg(long, value_name = "D", default_value_t = 30, value_parser = days)]
    pub days: u32,
    /// The random seed.
    #[arg(long, value_name = "S", default_value_t = 1, value_parser = whole_number::<u64>)]
    pub seed: u64,
    /// Leave escalations without a ticket (free for an escalation benchmark).
    #[arg(long)]
    pub unsent: bool,
}

/// A `manager` subcommand and the database it works on.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(arg_required_else_help = true)]
pub struct ManagerCommand {
    /// The database holding the accounts.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: String,
    /// What to do.
    #[command(subcommand)]
    pub action: ManagerAction,
}

/// What `manager` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ManagerAction {
    /// Add a manager; the password is asked for, or read with --password-stdin.
    ///
    /// add creates an account that can sign in to the console at once. There is no default
    /// account: create the first admin with `--role admin`. The password (at least 12
    /// characters) is asked for twice at a prompt, or read from the first line of standard
    /// input with --password-stdin.
    Add {
        /// Sign-in address.
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// Display name.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// admin manages managers and routing; manager works the queue.
        #[arg(long, value_name = "ROLE", default_value = Role::Manager.as_str(), value_parser = role())]
        role: Role,
        /// Read the password from the first line of standard input instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the managers, their roles and whether they may sign in.
    List,
    /// Give a manager a new password; their sessions end.
    SetPassword {
        /// Sign-in address.
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// Read the password from the first line of standard input instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Stop a manager signing in; their sessions end at once.
    ///
    /// disable refuses to disable the last enabled admin. Their open tickets stay theirs; an
    /// admin hands them over from the console.
    Disable {
        /// Sign-in address.
        #[arg(long, value_name = "EMAIL")]
        email: String,
    },
}

/// The role names `--role` accepts, listed in help and in the error for any other.
fn role() -> impl TypedValueParser<Value = Role> {
    PossibleValuesParser::new([Role::Admin, Role::Manager].map(Role::as_str))
        .try_map(|name| Role::from_name(&name).ok_or("not a role"))
}

/// A whole number, which may be written with `_` between digits (`1_000`).
fn whole_number<T: std::str::FromStr>(raw: &str) -> Result<T, String> {
    raw.replace('_', "")
        .parse()
        .map_err(|_| "expected a whole number, such as 1_000".to_string())
}

/// `--days`: a whole number, clamped to 1..=3650 so a slip can't ask for a century of data.
fn days(raw: &str) -> Result<u32, String> {
    let days = whole_number::<u64>(raw)?.clamp(1, MAX_SEED_DAYS);
    Ok(u32::try_from(days).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests;
