//! Everything that touches Docker, kind and kubectl lives here, behind traits so the rest of
//! kubedrill runs on fakes in tests. (So far: the process runner, `doctor`, and kind's CLI
//! with per-profile configs; creating clusters end to end, applying, observing and probing come
//! with the live-cluster work.)
//!
//! Nothing above this module starts a process or opens a connection; nothing here prints.

pub mod doctor;
pub mod kind;
pub mod process;
