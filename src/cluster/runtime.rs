//! The async runtime cluster work runs on: single-threaded, with timers and signals, and
//! stopped by Ctrl-C (the phase that was running is named in the error).
//!
//! Runs futures; must not open connections or start processes itself, nor print.

use std::future::Future;

use super::error::ClusterError;

/// A single-threaded async runtime with timers and signals.
pub fn runtime() -> Result<tokio::runtime::Runtime, ClusterError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ClusterError::Io {
            path: ".".into(),
            message: format!("cannot start the async runtime: {e}"),
        })
}

/// Run `work` on a single-threaded runtime, stopping it on Ctrl-C.
pub fn block_on<T>(phase: &str, work: impl Future<Output = Result<T, ClusterError>>) -> Result<T, ClusterError> {
    runtime()?.block_on(async {
        tokio::select! {
            result = work => result,
            _ = tokio::signal::ctrl_c() => Err(ClusterError::Interrupted { phase: phase.to_owned() }),
        }
    })
}
