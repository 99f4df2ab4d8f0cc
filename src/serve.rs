//! Running the help site: load the guide, open the database, bind, serve until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::oneshot;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::cli::ServeConfig;
use crate::domain::time::Zone;
use crate::guide::Guide;
use crate::middleware::Site;
use crate::store::Store;
use crate::{AppState, app};

/// Reads and validates the guide at `path`, or the embedded one.
pub fn load_guide(path: Option<&Path>) -> Result<Guide, String> {
    match path {
        None => Ok(Guide::embedded()),
        Some(path) => {
            let name = path.display().to_string();
            let source = std::fs::read_to_string(path)
                .map_err(|e| format!("{name}: cannot read the guide file: {e}"))?;
            Guide::parse(&name, &source).map_err(|e| e.to_string())
        }
    }
}

/// Serves the help site with `config` until SIGTERM or Ctrl-C.
///
/// The main thread opens the store, accepts connections and hands each to one of the
/// [`Workers`], and sends the mail when mail is on; the database writer runs on a thread of its
/// own.
pub fn run(config: ServeConfig) -> Result<(), String> {
    let main = runtime()?;
    let (state, listener) = main.block_on(open(&config))?;
    let workers =
        Workers::start(std::thread::available_parallelism().map_or(1, NonZeroUsize::get))?;
    // Every minute, the limits forget the clients that are back to a full allowance.
    let sweeper = main.spawn({
        let state = state.clone();
        async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                state.limits.sweep().await;
            }
        }
    });
    // At start and every hour, old visits without a ticket are deleted (none with 0 days).
    let retention = (config.keep_visits_days > 0).then(|| {
        main.spawn(crate::retention::run(
            state.store.clone(),
            config.keep_visits_days,
        ))
    });
    let (stop_mail, mail_stops) = watch::channel(false);
    let sender = state
        .mail
        .clone()
        .map(|mail| main.spawn(crate::mail::sender::run(state.clone(), mail, mail_stops)));
    main.block_on(serve(
        listener,
        app(state.clone()),
        &workers,
        shutdown_signal(),
    ));
    drop(workers);
    sweeper.abort();
    if let Some(retention) = retention {
        retention.abort();
    }
    // The mail being sent is finished (or its claim runs out and the next start sends it).
    let _ = stop_mail.send(true);
    if let Some(sender) = sender {
        let _ = main.block_on(tokio::time::timeout(Duration::from_secs(10), sender));
    }
    main.block_on(state.store.close());
    tracing::info!("helpdesk stopped");
    Ok(())
}

/// The installation's time zone from `--timezone` / `HELPDESK_TIMEZONE`, or why not.
pub fn parse_zone(name: &str) -> Result<Zone, String> {
    Zone::parse(name).map_err(|e| format!("--timezone / HELPDESK_TIMEZONE: {e}"))
}

/// Checks the time zone, loads the guide, opens the database (keying the insight counters by the
/// zone) and binds the listening socket.
async fn open(config: &ServeConfig) -> Result<(AppState, TcpListener), String> {
    // Before anything touches the database or the network: a typo here must not start a server
    // that counts the insights in the wrong days.
    let zone = parse_zone(&config.timezone)?;
    let mail = config.mail()?;
    let guide = load_guide(config.guide.as_deref())?;
    let store = Store::open(&config.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let mut state = AppState::new(store, guide, zone)
        .await
        .map_err(|e| format!("cannot prepare the database: {e}"))?;
    if let Some(mail) = mail {
        state = state.with_mail(Arc::new(mail));
    }
    state = state.with_network(config.trusted_proxies(), config.limits());
    let listener = TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(guide.version = %state.guides.current().version, zone = state.zone.name(), "helpdesk listening on http://{address}");
    Ok((state, listener))
}

/// A single-threaded runtime with I/O and timers.
fn runtime() -> Result<Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

/// The threads connections are served on, as nginx serves them: one single-threaded runtime
/// per core, each answering every request of the connections it was given, so a request is
/// read, handled and answered on one thread without being handed to another. (A work-stealing
/// runtime on two cores spent more time waking its other worker than it gained from it: one
/// worker answered as many pages as two.) Each new connection goes to the worker with the
/// fewest open ones.
pub struct Workers {
    workers: Vec<Worker>,
}

struct Worker {
    runtime: Handle,
    connections: Arc<AtomicUsize>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Workers {
    /// Starts `count` worker threads (at least one).
    pub fn start(count: usize) -> Result<Workers, String> {
        let mut workers = Workers {
            workers: Vec::with_capacity(count.max(1)),
        };
        for n in 0..count.max(1) {
            let (ready_tx, ready_rx) = std::sync::mpsc::channel();
            let (stop, stopped) = oneshot::channel::<()>();
            let thread = std::thread::Builder::new()
                .name(format!("helpdesk-http-{n}"))
                .spawn(move || match runtime() {
                    Ok(runtime) => {
                        let _ = ready_tx.send(Ok(runtime.handle().clone()));
                        runtime.block_on(async {
                            let _ = stopped.await;
                        });
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                })
                .map_err(|e| format!("cannot start a server thread: {e}"))?;
            let runtime = ready_rx
                .recv()
                .map_err(|_| "a server thread stopped as it started".to_string())??;
            workers.workers.push(Worker {
                runtime,
                connections: Arc::new(AtomicUsize::new(0)),
                stop: Some(stop),
                thread: Some(thread),
            });
        }
        Ok(workers)
    }

    /// Runs `connection` on the worker with the fewest open connections.
    fn spawn(&self, connection: impl Future<Output = ()> + Send + 'static) {
        let Some(worker) = self
            .workers
            .iter()
            .min_by_key(|w| w.connections.load(Ordering::Relaxed))
        else {
            return;
        };
        let open = OpenConnection::new(&worker.connections);
        worker.runtime.spawn(async move {
            connection.await;
            drop(open);
        });
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for worker in &mut self.workers {
            if let Some(stop) = worker.stop.take() {
                let _ = stop.send(());
            }
        }
        for worker in &mut self.workers {
            if let Some(thread) = worker.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

/// Counts a connection as open on its worker until dropped.
struct OpenConnection(Arc<AtomicUsize>);

impl OpenConnection {
    fn new(count: &Arc<AtomicUsize>) -> OpenConnection {
        count.fetch_add(1, Ordering::Relaxed);
        OpenConnection(count.clone())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How long a client may take to send a request's headers (or, between requests on a kept-alive
/// connection, to start the next one) before the connection is closed. Bounds slow-header
/// ("slowloris") clients; a slow body is bounded by the request timeout in `middleware`.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for requests in flight before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Serves `site` on `listener` until `shutdown` resolves, then lets requests in flight finish.
/// Connections are accepted here and served on `workers`.
///
/// A small loop of our own instead of `axum::serve`, for four things it does not offer: a bound
/// on slow headers, `TCP_NODELAY` on every connection (small responses must not wait for delayed
/// ACKs), the client's address on every request (`ConnectInfo`) for per-client limits, and
/// connections served on single-threaded workers.
pub async fn serve(
    listener: TcpListener,
    site: Site,
    workers: &Workers,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, done_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // Unregistered from this thread's runtime, registered with the worker's below.
        let Ok(stream) = stream.into_std() else {
            continue;
        };
        let site = site.clone();
        let mut stop = stop_rx.clone();
        let done = done_rx.clone();
        workers.spawn(async move {
            let Ok(stream) = TcpStream::from_std(stream) else {
                return;
            };
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request
                        .extensions_mut()
                        .insert(ConnectInfo::<SocketAddr>(remote));
                    site.clone().oneshot(request)
                });
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT);
            let mut connection = pin!(builder.serve_connection(TokioIo::new(stream), service));
            let stopping = tokio::select! {
                _ = connection.as_mut() => false,
                stop = stop.wait_for(|stop| *stop) => stop.is_ok(),
            };
            if stopping {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
            drop(done);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(done_rx);
    if tokio::time::timeout(SHUTDOWN_GRACE, done_tx.closed())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the shutdown grace period");
    }
}

/// Resolves on Ctrl-C or SIGTERM: in-flight requests finish, new ones are refused.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
