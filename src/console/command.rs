//! `helpdesk manager ...`: managing accounts from the command line, where the first admin comes
//! from (there is no default account, ever).

use std::io::{BufRead, IsTerminal, Read, Write};

use super::accounts::Password;
use crate::cli::{ManagerAction, ManagerCommand};
use crate::domain::manager::{ManagerEmail, parse_name};
use crate::store::{AccountChange, NewManager, Store};

/// Where a new password comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    /// Typed at a prompt on the terminal, twice.
    Prompt,
    /// Standard input, up to the first line break (`--password-stdin`).
    Stdin,
}

/// Reads a password from standard input: the first line, without its line break.
pub fn read_password_line(input: &mut impl Read) -> Result<String, String> {
    let mut reader = std::io::BufReader::new(input);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(line.strip_suffix('\r').unwrap_or(line).to_string())
}

/// Asks for a password on the terminal, with echo turned off where `stty` can do it.
fn prompt_password(prompt: &str) -> Result<String, String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err("standard input is not a terminal: pass the password on standard input with --password-stdin".into());
    }
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let echo_off = std::process::Command::new("stty")
        .arg("-echo")
        .stdin(std::process::Stdio::inherit())
        .status()
        .is_ok_and(|s| s.success());
    let line = read_password_line(&mut stdin.lock());
    if echo_off {
        let _ = std::process::Command::new("stty")
            .arg("echo")
            .stdin(std::process::Stdio::inherit())
            .status();
        eprintln!();
    }
    line
}

/// A new password from `source`, checked against the policy.
pub fn new_password(source: PasswordSource) -> Result<Password, String> {
    match source {
        PasswordSource::Stdin => {
            Password::parse(&read_password_line(&mut std::io::stdin().lock())?)
        }
        PasswordSource::Prompt => {
            let first = prompt_password("New password: ")?;
            let password = Password::parse(&first)?;
            if prompt_password("Repeat it: ")? != first {
                return Err("the two passwords differ; nothing was changed".into());
            }
            Ok(password)
        }
    }
}

fn source(stdin: bool) -> PasswordSource {
    if stdin {
        PasswordSource::Stdin
    } else {
        PasswordSource::Prompt
    }
}

async fn hash(password: Password) -> Result<String, String> {
    tokio::task::spawn_blocking(move || password.hash())
        .await
        .map_err(|e| format!("could not hash the password: {e}"))?
}

/// Runs a `manager` subcommand, writing what it did to `out`; the error is the message to print.
pub async fn run(command: ManagerCommand, out: &mut impl Write) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    match command.action {
        ManagerAction::Add {
            email,
            name,
            role,
            password_stdin,
        } => {
            let email = ManagerEmail::parse(&email)?;
            let name = parse_name(&name)?;
            let password = new_password(source(password_stdin))?;
            let store = open(&command.database_url).await?;
            let password_hash = hash(password).await?;
            let added = store
                .add_manager(NewManager {
                    email: email.clone(),
                    name,
                    role,
                    password_hash,
                })
                .await
                .map_err(|e| e.to_string())?;
            match added {
                Some(m) => {
                    writeln!(out, "Added {} {} ({}).", m.role.as_str(), m.email, m.name).map_err(io)
                }
                None => Err(format!(
                    "a manager with the address {} already exists",
                    email.as_str()
                )),
            }
        }
        ManagerAction::List => {
            let store = open(&command.database_url).await?;
            let managers = store.managers().await.map_err(|e| e.to_string())?;
            // In the zone the server last started with, which the database records.
            let zone = store.insight_zone();
            if managers.is_empty() {
                return writeln!(out, "No managers yet. Add the first admin with: helpdesk manager add --email E --name N --role admin")
                    .map_err(io);
            }
            let rows: Vec<[String; 5]> = managers
                .iter()
                .map(|m| {
                    [
                        m.email.clone(),
                        m.name.clone(),
                        m.role.as_str().to_string(),
                        if m.enabled { "yes" } else { "no" }.to_string(),
                        zone.display(m.created_at),
                    ]
                })
                .collect();
            let header = ["EMAIL", "NAME", "ROLE", "ENABLED", "CREATED"].map(String::from);
            let widths: Vec<usize> = (0..5)
                .map(|i| {
                    rows.iter()
                        .chain([&header])
                        .map(|r| r[i].chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for row in std::iter::once(&header).chain(rows.iter()) {
                let cells: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect();
                writeln!(out, "{}", cells.join("  ").trim_end()).map_err(io)?;
            }
            Ok(())
        }
        ManagerAction::SetPassword {
            email,
            password_stdin,
        } => {
            let email = ManagerEmail::parse(&email)?;
            let store = open(&command.database_url).await?;
            if store
                .manager_credentials(&email)
                .await
                .map_err(|e| e.to_string())?
                .is_none()
            {
                return Err(format!("no manager has the address {}", email.as_str()));
            }
            let password_hash = hash(new_password(source(password_stdin))?).await?;
            if !store
                .set_password(&email, password_hash)
                .await
                .map_err(|e| e.to_string())?
            {
                return Err(format!("no manager has the address {}", email.as_str()));
            }
            writeln!(
                out,
                "Password changed for {}; their sessions have ended.",
                email.as_str()
            )
            .map_err(io)
        }
        ManagerAction::Disable { email } => {
            let email = ManagerEmail::parse(&email)?;
            let store = open(&command.database_url).await?;
            let found = store
                .manager_credentials(&email)
                .await
                .map_err(|e| e.to_string())?;
            let Some(found) = found else {
                return Err(format!("no manager has the address {}", email.as_str()));
            };
            match store
                .set_manager_enabled(&found.manager.id, false)
                .await
                .map_err(|e| e.to_string())?
            {
                AccountChange::Done => writeln!(
                    out,
                    "Disabled {}; their sessions have ended.",
                    email.as_str()
                )
                .map_err(io),
                AccountChange::NotFound => {
                    Err(format!("no manager has the address {}", email.as_str()))
                }
                AccountChange::LastAdmin => Err(format!(
                    "{} is the last enabled admin; add or enable another admin first",
                    email.as_str()
                )),
                // Disabling hands nothing over here.
                AccountChange::NoSuchAssignee => Err("no manager to hand over to".into()),
            }
        }
    }
}

async fn open(url: &str) -> Result<Store, String> {
    Store::open(url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))
}

#[cfg(test)]
mod tests {
    use super::read_password_line;

    #[test]
    fn the_password_is_the_first_line_without_its_break() {
        assert_eq!(
            read_password_line(&mut "secret pass phrase\r\nmore".as_bytes()).unwrap(),
            "secret pass phrase"
        );
        assert_eq!(
            read_password_line(&mut "no newline".as_bytes()).unwrap(),
            "no newline"
        );
        assert_eq!(read_password_line(&mut "".as_bytes()).unwrap(), "");
    }
}
