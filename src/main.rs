//! The `helpdesk` binary: parse the command line (`helpdesk::cli`), set up logging, hand over to
//! the library.

use std::process::ExitCode;

use helpdesk::cli::{self, Command};

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
