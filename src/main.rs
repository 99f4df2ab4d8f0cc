//! The `helpdesk` binary: parse the command line (`helpdesk::cli`), set up logging, hand over to
//! the library.

use std::process::ExitCode;

use helpdesk::cli::{self, Command, PrivacyAction, PrivacyCommand};

fn main() -> ExitCode {
    match cli::parse() {
        Command::CheckGuide { file: path } => match helpdesk::serve::load_guide(Some(&path)) {
            Ok(guide) => {
                let steps: usize = guide.problems.iter().map(|p| p.steps.len()).sum();
                println!(
                    "{}: ok: {} problems, {steps} steps, {} shared endings (version {})",
                    path.display(),
                    guide.problems.len(),
                    guide.endings.len(),
                    &guide.version[..12]
                );
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("{message}");
                ExitCode::FAILURE
            }
        },
        Command::Manager(command) => {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("helpdesk: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(helpdesk::console::command::run(
                command,
                &mut std::io::stdout(),
            )) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("helpdesk: {message}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Backup {
            database_url,
            target,
        } => one_shot(helpdesk::maintenance::backup(&database_url, &target)),
        Command::Seed(command) => one_shot(helpdesk::maintenance::seed(command)),
        Command::MigrateDatabase { from, to } => {
            one_shot(helpdesk::maintenance::migrate_database(&from, &to))
        }
        Command::Privacy(PrivacyCommand {
            action,
            database_url,
        }) => match action {
            PrivacyAction::Export { email } => {
                one_shot(helpdesk::privacy::export(&database_url, &email))
            }
            PrivacyAction::Erase { email } => {
                one_shot(helpdesk::privacy::erase(&database_url, &email))
            }
        },
        Command::MailIn {
            database_url,
            max_megabytes,
        } => mail_in(&database_url, max_megabytes),
        Command::Serve(config) => {
            let _log = helpdesk::logging::init();
            match helpdesk::serve::run(config) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    tracing::error!("{message}");
                    eprintln!("helpdesk: {message}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `helpdesk mail-in`: one mail on standard input to its ticket; the exit status tells the mail
/// server what became of it.
fn mail_in(database_url: &str, max_megabytes: u64) -> ExitCode {
    use helpdesk::mail::inbound::{Refusal, deliver};
    use std::io::Read;
    let max = max_megabytes * 1024 * 1024;
    let mut raw = Vec::new();
    if let Err(e) = std::io::stdin().take(max + 1).read_to_end(&mut raw) {
        eprintln!("helpdesk mail-in: cannot read the mail: {e}");
        return ExitCode::from(74);
    }
    let refused = |r: Refusal| {
        eprintln!("helpdesk mail-in: {}", r.message());
        ExitCode::from(r.exit_code())
    };
    if raw.len() as u64 > max {
        return refused(Refusal::TooLarge(max));
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return refused(Refusal::Unavailable(e.to_string())),
    };
    runtime.block_on(async {
        let store = match helpdesk::store::Store::open(database_url).await {
            Ok(store) => store,
            Err(e) => return refused(Refusal::Unavailable(e.to_string())),
        };
        let done = deliver(&store, &raw).await;
        store.close().await;
        match done {
            Ok(added) => {
                println!(
                    "added to ticket {}{}",
                    added.number,
                    if added.reopened { " (reopened)" } else { "" }
                );
                ExitCode::SUCCESS
            }
            Err(r) => refused(r),
        }
    })
}

/// Runs a one-shot command on a small runtime, printing its summary or its error.
fn one_shot(command: impl std::future::Future<Output = Result<String, String>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("helpdesk: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(command) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("helpdesk: {message}");
            ExitCode::FAILURE
        }
    }
}
