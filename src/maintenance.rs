//! One-shot commands beside `serve`: an online backup, seeding a database with synthetic data,
//! and moving an installation to PostgreSQL.

use std::time::Instant;

use crate::cli::SeedCommand;
use crate::domain::time::Timestamp;
use crate::guide::Guide;
use crate::seed::{SeedPlan, generate};
use crate::store::Store;

/// How many generated visits go into one transaction.
const SEED_CHUNK: usize = 2_000;

/// `helpdesk backup FILE`: a consistent copy of the database at `database_url`.
pub async fn backup(database_url: &str, target: &std::path::Path) -> Result<String, String> {
    if target.exists() {
        return Err(format!(
            "{} already exists: choose a new file for the backup",
            target.display()
        ));
    }
    let store = Store::open(database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let started = Instant::now();
    store
        .backup_to(target)
        .await
        .map_err(|e| format!("backup failed: {e}"))?;
    let size = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
    Ok(format!(
        "backed up to {} ({} KiB in {} ms)",
        target.display(),
        size / 1024,
        started.elapsed().as_millis()
    ))
}

/// `helpdesk migrate-database --from sqlite://... --to postgres://...`: the copy and its report.
pub async fn migrate_database(from: &str, to: &str) -> Result<String, String> {
    let started = Instant::now();
    let transfer = crate::store::transfer::sqlite_to_postgres(from, to)
        .await
        .map_err(|e| format!("migrate-database: {e}"))?;
    let rows: u64 = transfer.tables.iter().map(|(_, n, _)| n).sum();
    Ok(format!(
        "{}copied {} tables, {rows} rows, each checked, in {} ms",
        crate::store::transfer::report(&transfer),
        transfer.tables.len(),
        started.elapsed().as_millis()
    ))
}

/// `helpdesk seed`: fills the database with synthetic visits and tickets from the embedded guide.
pub async fn seed(command: SeedCommand) -> Result<String, String> {
    let store = Store::open(&command.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let guide = Guide::embedded();
    store
        .remember_guide(&guide.version, &guide.source)
        .await
        .map_err(|e| e.to_string())?;
    let managers = store
        .enabled_manager_names()
        .await
        .map_err(|e| e.to_string())?;
    let plan = SeedPlan {
        tickets: command.tickets,
        events: command.events,
        days: command.days,
        seed: command.seed,
        now: Timestamp::now(),
        // The zone the database's insights are kept in: the one the server last started with.
        zone: store.insight_zone(),
        send: !command.unsent,
    };
    let started = Instant::now();
    // Generate on a blocking thread, insert chunk by chunk as they come.
    let (chunks, mut incoming) = tokio::sync::mpsc::channel(2);
    let generator = tokio::task::spawn_blocking(move || {
        let mut chunk = Vec::with_capacity(SEED_CHUNK);
        let totals = generate(&guide, &plan, |visit| {
            chunk.push(visit);
            if chunk.len() == SEED_CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(SEED_CHUNK));
                let _ = chunks.blocking_send(full);
            }
        });
        if !chunk.is_empty() {
            let _ = chunks.blocking_send(chunk);
        }
        totals
    });
    let mut visits = 0;
    while let Some(chunk) = incoming.recv().await {
        visits += chunk.len();
        store
            .insert_synthetic(chunk, managers.clone())
            .await
            .map_err(|e| format!("seeding failed: {e}"))?;
    }
    let (tickets, events) = generator.await.map_err(|e| e.to_string())?;
    Ok(format!(
        "seeded {visits} visits, {events} path events and {tickets} tickets in {:.1} s",
        started.elapsed().as_secs_f64()
    ))
}
