//! Running the help site: load the guide, open the database, bind, serve until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::cli::ServeConfig;
use crate::guide::Guide;
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
pub async fn run(config: ServeConfig) -> Result<(), String> {
    let guide = load_guide(config.guide.as_deref())?;
    let store = Store::open(&config.database_url)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let state = AppState::new(store, guide)
        .await
        .map_err(|e| format!("cannot store the guide version: {e}"))?;
    let listener = TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(guide.version = %state.guides.current().version, "helpdesk listening on http://{address}");
    serve(listener, app(state.clone()), shutdown_signal()).await;
    state.store.close().await;
    tracing::info!("helpdesk stopped");
    Ok(())
}

/// How long a client may take to send a request's headers (or, between requests on a kept-alive
/// connection, to start the next one) before the connection is closed. Bounds slow-header
/// ("slowloris") clients; a slow body is bounded by the request timeout in `middleware`.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for requests in flight before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Serves `router` on `listener` until `shutdown` resolves, then lets requests in flight finish.
///
/// A small loop of our own instead of `axum::serve`, for three things it does not offer: a bound
/// on slow headers, `TCP_NODELAY` on every connection (small responses must not wait for delayed
/// ACKs), and the client's address on every request (`ConnectInfo`) for per-client limits.
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
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
        let router = router.clone();
        let mut stop = stop_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request
                        .extensions_mut()
                        .insert(ConnectInfo::<SocketAddr>(remote));
                    router.clone().oneshot(request)
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
