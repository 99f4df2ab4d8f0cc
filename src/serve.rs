//! Running the help site: load the guide, open the database, bind, serve until told to stop.

use std::path::Path;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

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
    // Small responses must not wait for delayed ACKs (Nagle's algorithm).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app(state.clone()))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))?;
    state.store.close().await;
    tracing::info!("helpdesk stopped");
    Ok(())
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
