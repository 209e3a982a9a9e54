//! Everything that touches Docker, kind and the Kubernetes API lives here, behind traits and
//! one connection type ([`live::Live`]), so the rest of kubedrill runs on fakes in tests.
//!
//! - [`process`], [`kind`], [`doctor`]: programs through a [`process::Runner`].
//! - [`client`], [`safety`], [`kinds`], [`live`]: a client from one explicit kubeconfig, and the
//!   guard that refuses writes to clusters kubedrill did not create.
//! - [`connect`]: which cluster a command means (kubedrill's own or a named kubeconfig), opened.
//! - [`runtime`]: the runtime cluster work runs on, stopped by Ctrl-C.
//! - [`apply`], [`steps`]: server-side apply and breakage steps.
//! - [`observe`], [`probe`]: the graders' state, one list per kind and namespace; probes by exec.
//!
//! Nothing above this module starts a process or opens a connection; nothing here prints.

pub mod addons;
pub mod apply;
pub mod canary;
pub mod client;
pub mod cni;
pub mod connect;
pub mod doctor;
pub mod error;
pub mod images;
pub mod kind;
pub mod kinds;
pub mod lifecycle;
pub mod live;
#[cfg(test)]
pub mod mock;
pub mod observe;
pub mod paths;
pub mod probe;
pub mod process;
pub mod runtime;
pub mod safety;
pub mod steps;
pub mod tools;
pub mod wait;

pub use error::ClusterError;
