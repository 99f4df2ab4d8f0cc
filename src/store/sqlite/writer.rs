//! The single writer: one task, one connection, every write of the application.
//!
//! SQLite allows one writer at a time. Instead of many pooled connections queueing on the
//! database lock, write jobs queue here; the task runs whatever has queued up in one transaction
//! (`BEGIN IMMEDIATE`, each job inside its own savepoint so one failing job undoes only itself),
//! commits once, and only then answers each job. A job's caller therefore hears "done" only after
//! its data is durable, while a burst of customers shares the cost of one commit.
//! Because every write runs here, in order, a job that reads before it writes sees no race.
//!
//! Visit writes (a new visit, a page shown, a choice) are most of the traffic; consecutive ones
//! run as one group with a few statements for the whole group (`super::visits::write_group`), and
//! the visits they touched are kept in the store's memory once the transaction committed.
//! Consecutive ticket openings run as one group the same way (`super::escalations`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::escalations::{self, TicketJob};
use super::group::{Answer, after_commit};
use super::recent::RecentVisits;
use super::visits::{self, Touched, VisitJob};
use crate::store::StoreError;
use crate::store::counting::RollupZone;

/// A boxed future borrowing the writer's connection.
pub type JobFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'c>>;

/// How many queued jobs share one transaction at most.
const MAX_BATCH: usize = 256;

trait Job: Send {
    /// Runs the job; returns whether it succeeded and how to answer it once the commit is known.
    fn run<'c>(
        self: Box<Self>,
        conn: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = Done> + Send + 'c>>;
    /// Answers the job with an error without running it.
    fn fail(self: Box<Self>, error: StoreError);
}

/// What waits in the writer's queue.
enum Queued {
    /// Any write, run in its own savepoint.
    Task(Box<dyn Job>),
    /// A write to a visit, run with its neighbours in the queue as one group.
    Visit(VisitJob),
    /// A ticket to open, run with its neighbours in the queue as one group.
    Ticket(Box<TicketJob>),
}

impl Queued {
    fn fail(self, error: StoreError) {
        match self {
            Queued::Task(job) => job.fail(error),
            Queued::Visit(job) => job.fail(error),
            Queued::Ticket(job) => job.fail(error),
        }
    }
}

struct Done {
    ok: bool,
    /// The job failed in a way that leaves the connection unusable (e.g. the file went read-only).
    reconnect: bool,
    answer: Answer,
}

struct TypedJob<F, T> {
    work: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<F, T> Job for TypedJob<F, T>
where
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> JobFuture<'c, T> + Send + 'static,
    T: Send + 'static,
{
    fn run<'c>(
        self: Box<Self>,
        conn: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = Done> + Send + 'c>> {
        let TypedJob { work, reply } = *self;
        Box::pin(async move {
            let result = work(conn).await;
            let ok = result.is_ok();
            Done {
                ok,
                reconnect: result
                    .as_ref()
                    .err()
                    .is_some_and(StoreError::needs_reconnect),
                answer: after_commit(reply, result),
            }
        })
    }

    fn fail(self: Box<Self>, error: StoreError) {
        let _ = self.reply.send(Err(error));
    }
}

/// A handle for sending write jobs to the writer task.
#[derive(Clone, Debug)]
pub struct Writer {
    jobs: mpsc::Sender<Queued>,
}

impl std::fmt::Debug for Queued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Queued::Task(_) => "Task",
            Queued::Visit(_) => "Visit",
            Queued::Ticket(_) => "Ticket",
        })
    }
}

impl Writer {
    /// Starts the writer task on `conn`; `options` reopen it after a fault. The visits it
    /// writes are kept in `recent`; their insight counters are keyed in `zone`.
    pub(super) fn start(
        conn: SqliteConnection,
        options: SqliteConnectOptions,
        recent: Arc<RecentVisits>,
        zone: RollupZone,
    ) -> Writer {
        let (jobs, queue) = mpsc::channel(4096);
        // The writer runs on a thread of its own: on the server's runtime, each of its awaits
        // (one per statement) would wait its turn behind every request in flight, and a busy
        // server would slow down the one task all writes go through.
        let spawned = std::thread::Builder::new()
            .name("helpdesk-writer".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(run(conn, options, recent, zone, queue)),
                    // Without a runtime the queue is dropped: every write answers "unavailable".
                    Err(e) => tracing::error!(error = %e, "cannot start the database writer"),
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the database writer's thread");
        }
        Writer { jobs }
    }

    /// Queues a visit write; its job answers after the commit.
    pub(super) async fn write_visit(&self, job: VisitJob) -> Result<(), StoreError> {
        self.jobs
            .send(Queued::Visit(job))
            .await
            .map_err(|_| StoreError::WriterGone)
    }

    /// Queues a visit write nobody waits for, unless the queue is full (then it is dropped).
    pub(super) fn hold(&self, job: VisitJob) {
        let _ = self.jobs.try_send(Queued::Visit(job));
    }

    /// Queues a ticket to open; its job answers after the commit.
    pub(super) async fn open_ticket(&self, job: TicketJob) -> Result<(), StoreError> {
        self.jobs
            .send(Queued::Ticket(Box::new(job)))
            .await
            .map_err(|_| StoreError::WriterGone)
    }

    /// Runs `work` inside the writer's transaction; answers after the commit.
    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> JobFuture<'c, T> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Queued::Task(Box::new(TypedJob { work, reply })))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }
}

async fn run(
    conn: SqliteConnection,
    options: SqliteConnectOptions,
    recent: Arc<RecentVisits>,
    zone: RollupZone,
    mut queue: mpsc::Receiver<Queued>,
) {
    let mut batch: Vec<Queued> = Vec::with_capacity(MAX_BATCH);
    let mut conn = Some(conn);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // After a fault that spoils the connection (the file went read-only, an I/O error), a
        // fresh connection is what lets the server recover once the fault is gone, no restart.
        if conn.is_none() {
            match options.connect().await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    let e = StoreError::from(e);
                    for job in batch.drain(..) {
                        job.fail(e.duplicate());
                    }
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let reconnect = run_batch(c, &recent, &zone, &mut batch).await;
        if reconnect && let Some(c) = conn.take() {
            let _ = c.close().await;
        }
    }
    // Every sender is gone: the server is shutting down.
    if let Some(c) = conn {
        let _ = c.close().await;
    }
}

/// Runs one batch in one transaction and answers its jobs; returns whether to reconnect.
async fn run_batch(
    conn: &mut SqliteConnection,
    recent: &RecentVisits,
    zone: &RollupZone,
    batch: &mut Vec<Queued>,
) -> bool {
    // Failures are answered to each job and logged once, by the request that gets them.
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE").await {
        tracing::debug!(error = %e, "could not begin a write transaction");
        let reconnect = e.needs_reconnect();
        for job in batch.drain(..) {
            job.fail(e.duplicate());
        }
        return reconnect;
    }
    let mut reconnect = false;
    let mut answers = Vec::with_capacity(batch.len());
    let mut touched = Touched::new(recent);
    let mut jobs = batch.drain(..).peekable();
    while let Some(job) = jobs.next() {
        if let Err(e) = exec(conn, "SAVEPOINT job").await {
            reconnect |= e.needs_reconnect();
            job.fail(e);
            continue;
        }
        let ok = match job {
            Queued::Task(job) => {
                let done = job.run(conn).await;
                reconnect |= done.reconnect;
                answers.push(done.answer);
                done.ok
            }
            Queued::Visit(first) => {
                let mut group = vec![first];
                while let Some(Queued::Visit(_)) = jobs.peek() {
                    if let Some(Queued::Visit(job)) = jobs.next() {
                        group.push(job);
                    }
                }
                // Read for each group: a rebuild earlier in the batch may have changed it.
                let done = visits::write_group(conn, &mut touched, group, &zone.get()).await;
                reconnect |= done.reconnect;
                answers.extend(done.answers);
                done.ok
            }
            Queued::Ticket(first) => {
                let mut group = vec![*first];
                while let Some(Queued::Ticket(_)) = jobs.peek() {
                    if let Some(Queued::Ticket(job)) = jobs.next() {
                        group.push(*job);
                    }
                }
                let done = escalations::open_group(conn, group, &zone.get()).await;
                reconnect |= done.reconnect;
                answers.extend(done.answers);
                done.ok
            }
        };
        let closed = if ok {
            exec(conn, "RELEASE job").await
        } else {
            match exec(conn, "ROLLBACK TO job").await {
                Ok(()) => exec(conn, "RELEASE job").await,
                Err(e) => Err(e),
            }
        };
        if let Err(e) = closed {
            tracing::debug!(error = %e, "could not close a job's savepoint");
        }
    }
    let commit = exec(conn, "COMMIT").await.err();
    if let Some(e) = &commit {
        tracing::debug!(error = %e, "write transaction failed to commit");
        reconnect |= e.needs_reconnect();
        // Leave no transaction open for the next batch.
        let _ = exec(conn, "ROLLBACK").await;
        touched.discard();
    } else {
        touched.publish();
    }
    for answer in answers {
        answer(commit.as_ref());
    }
    reconnect
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> Result<(), StoreError> {
    sqlx::query(sql).execute(&mut *conn).await?;
    Ok(())
}
