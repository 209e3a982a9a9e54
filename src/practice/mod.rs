//! Practice sessions: the learner's loop (`start`, `status`, `check`, `hint`, `submit`,
//! `abandon`), exam mode, and the history of graded attempts.
//!
//! Time is injected through [`clock::Clock`]; the cluster is reached only through the
//! [`lab::Lab`] trait, so every flow here is tested with a fake lab and a fake clock. Nothing
//! here prints: flows return data for the commands to show.

pub mod clock;
pub mod error;
pub mod exam;
pub mod flow;
pub mod history;
pub mod lab;
pub mod session;
pub mod solution;
pub mod status;
pub mod store;
pub mod timer;
pub mod verify;
