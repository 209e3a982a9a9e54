//! The session file and its lock, in kubedrill's data folder (`session/`): one active session
//! at a time, written atomically (a temp file renamed over the old one, so a crash leaves the
//! old or the new file, never half of one), readable from any terminal and after a restart.
//!
//! File I/O only; decisions about the session live in `session` and `flow`.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::clock::Timestamp;
use super::error::PracticeError;
use super::session::{SESSION_VERSION, Session};

/// The session folder.
#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
}

/// Held while a command changes the session; removed on drop.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Store {
    /// The store in `dir` (created on first write).
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The session file.
    #[must_use]
    pub fn session_path(&self) -> PathBuf {
        self.dir.join("session.json")
    }

    fn lock_path(&self) -> PathBuf {
        self.dir.join("session.lock")
    }

    fn ensure_dir(&self) -> Result<(), PracticeError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| PracticeError::io(&self.dir, &e))
    }

    /// Take the lock: created exclusively, holding this process id. A lock left by a process
    /// that no longer runs is taken over.
    pub fn lock(&self) -> Result<Lock, PracticeError> {
        self.ensure_dir()?;
        let path = self.lock_path();
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    let _ = write!(file, "{}", std::process::id());
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let pid = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| t.trim().parse::<u32>().ok());
                    match pid {
                        Some(pid) if process_alive(pid) => return Err(PracticeError::Locked { pid, path }),
                        _ => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(PracticeError::io(&path, &e)),
            }
        }
        Err(PracticeError::Locked { pid: 0, path })
    }

    /// The active session, if any.
    pub fn load(&self) -> Result<Option<Session>, PracticeError> {
        let path = self.session_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(PracticeError::io(&path, &e)),
        };
        let corrupt = |message: String| PracticeError::CorruptSession {
            path: path.clone(),
            message,
        };
        let session: Session = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
        if session.version != SESSION_VERSION {
            return Err(corrupt(format!(
                "format version {} (this kubedrill reads {SESSION_VERSION})",
                session.version
            )));
        }
        Ok(Some(session))
    }

    /// The active session, or [`PracticeError::NoSession`].
    pub fn require(&self) -> Result<Session, PracticeError> {
        self.load()?.ok_or(PracticeError::NoSession)
    }

    /// Write the session atomically.
    pub fn save(&self, session: &Session) -> Result<(), PracticeError> {
        self.ensure_dir()?;
        let path = self.session_path();
        let text = serde_json::to_string_pretty(session).map_err(|e| PracticeError::Io {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let mut temp = tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| PracticeError::io(&self.dir, &e))?;
        temp.write_all(text.as_bytes())
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| PracticeError::io(temp.path(), &e))?;
        temp.persist(&path).map_err(|e| PracticeError::io(&path, &e.error))?;
        Ok(())
    }

    /// End the session (its file is removed).
    pub fn remove(&self) -> Result<(), PracticeError> {
        let path = self.session_path();
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(PracticeError::io(&path, &e)),
        }
    }

    /// Set an unreadable session file aside (renamed with `now`, never deleted); its new path.
    pub fn quarantine(&self, now: Timestamp) -> Result<Option<PathBuf>, PracticeError> {
        let path = self.session_path();
        if !path.exists() {
            return Ok(None);
        }
        let aside = self.dir.join(format!("session.corrupt-{}.json", now.0));
        std::fs::rename(&path, &aside).map_err(|e| PracticeError::io(&path, &e))?;
        Ok(Some(aside))
    }

    /// The folder.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Whether a process runs (Linux: `/proc/<pid>`; elsewhere assumed alive, so a stale lock is
/// reported rather than silently broken).
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::Store;
    use crate::practice::clock::Timestamp;
    use crate::practice::error::PracticeError;
    use crate::practice::session::{Mode, SESSION_VERSION, Session, Task};
    use crate::practice::timer::Countdown;

    pub(crate) fn session() -> Session {
        Session {
            version: SESSION_VERSION,
            id: "1-s".into(),
            mode: Mode::Practice,
            countdown: Countdown {
                started: Timestamp(1),
                limit_ms: 60_000,
            },
            scenarios_dir: None,
            tasks: vec![Task {
                seed: 7,
                ..crate::practice::session::tests::task()
            }],
            current: 0,
            checks_run: 0,
        }
    }

    #[test]
    fn a_saved_session_loads_back_from_another_store_value() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::new(dir.path().join("session"));
        assert!(store.load().expect("empty").is_none());
        assert!(matches!(store.require(), Err(PracticeError::NoSession)));
        store.save(&session()).expect("save");
        // Another terminal: a fresh Store value over the same folder.
        let other = Store::new(dir.path().join("session"));
        assert_eq!(other.require().expect("load"), session());
        other.remove().expect("remove");
        assert!(store.load().expect("gone").is_none());
        let leftovers: Vec<_> = std::fs::read_dir(store.dir()).expect("dir").flatten().collect();
        assert!(leftovers.is_empty(), "no temp files left: {leftovers:?}");
    }

    #[test]
    fn a_corrupted_session_is_named_and_set_aside_not_deleted() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::new(dir.path());
        std::fs::write(store.session_path(), "{\"version\": 1, \"id\": ").expect("write");
        let error = store.load().expect_err("corrupt");
        assert!(matches!(error, PracticeError::CorruptSession { .. }), "{error}");
        assert!(error.to_string().contains("session.json"), "{error}");
        let aside = store.quarantine(Timestamp(42)).expect("rename").expect("moved");
        assert_eq!(
            std::fs::read_to_string(aside).expect("kept"),
            "{\"version\": 1, \"id\": "
        );
        assert!(store.load().expect("none").is_none());
    }

    #[test]
    fn the_lock_is_exclusive_while_held_and_a_dead_holder_is_taken_over() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::new(dir.path());
        let held = store.lock().expect("first");
        assert!(
            matches!(store.lock(), Err(PracticeError::Locked { .. })),
            "held by this live process"
        );
        drop(held);
        let again = store.lock().expect("released on drop");
        drop(again);
        if cfg!(target_os = "linux") {
            // A pid that cannot be running (above Linux's pid_max).
            std::fs::write(dir.path().join("session.lock"), "4294967295").expect("stale");
            assert!(store.lock().is_ok(), "a stale lock is taken over");
        }
    }
}
