//! The command line: `serve`, `check-guide`, and the settings each takes from flags or the
//! environment (a flag wins over its variable).

use std::ffi::OsString;
use std::path::PathBuf;

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
}

/// Usage text for `--help` and for mistakes.
pub const USAGE: &str = "\
helpdesk: a help site that walks customers through a troubleshooting guide

Usage:
  helpdesk serve [--listen ADDR] [--database-url URL] [--guide FILE]
  helpdesk check-guide FILE
  helpdesk --help | --version

serve options (each flag wins over its environment variable):
  --listen ADDR        address to listen on [HELPDESK_LISTEN, default 127.0.0.1:8080]
  --database-url URL   SQLite database, created on first run [DATABASE_URL, default sqlite://helpdesk.db]
  --guide FILE         guide file to serve [HELPDESK_GUIDE, default: the embedded IIMS email guide]

check-guide validates a guide file, printing each fault with its line, and exits 1 if there is one.
";

/// Parses the arguments after the program name; `env` looks up environment variables.
pub fn parse(args: impl IntoIterator<Item = OsString>, env: impl Fn(&str) -> Option<String>) -> Result<Command, String> {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.into_string().map_err(|a| format!("argument {a:?} is not valid UTF-8")))
        .collect::<Result<_, _>>()?;
    let mut rest = args.iter().map(String::as_str);
    match rest.next() {
        None | Some("help" | "--help" | "-h") => Ok(Command::Help),
        Some("--version" | "-V") => Ok(Command::Version),
        Some("check-guide") => match (rest.next(), rest.next()) {
            (Some(file), None) if !file.starts_with("--") => Ok(Command::CheckGuide(PathBuf::from(file))),
            _ => Err("check-guide takes exactly one FILE".into()),
        },
        Some("serve") => {
            let mut config = ServeConfig {
                listen: env("HELPDESK_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.into()),
                database_url: env("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
                guide: env("HELPDESK_GUIDE").filter(|g| !g.is_empty()).map(PathBuf::from),
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
                    other => return Err(format!("unknown option {other} for serve")),
                }
            }
            Ok(Command::Serve(config))
        }
        Some(other) => Err(format!("unknown command {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Command, String> {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        parse(args.iter().map(OsString::from), move |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn flags_win_over_the_environment() {
        let Ok(Command::Serve(c)) = run(
            &["serve", "--listen", "0.0.0.0:9000", "--guide=g.toml"],
            &[("HELPDESK_LISTEN", "1.2.3.4:1"), ("DATABASE_URL", "sqlite://x.db")],
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
                guide: None
            }))
        );
        assert!(run(&["serve", "--listen"], &[]).is_err());
        assert!(run(&["serve", "--bogus", "1"], &[]).is_err());
        assert!(run(&["check-guide"], &[]).is_err());
        assert!(run(&["frobnicate"], &[]).is_err());
    }
}
