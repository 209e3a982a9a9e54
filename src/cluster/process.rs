//! Running external programs (docker, kind, kubectl) through a trait, so tests script their
//! answers instead of needing them installed.

use std::process::Command;

/// What a finished program printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// Exit status code (None when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Whether it exited 0.
    #[must_use]
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// A program that could not be started (the caller decides what a non-zero exit means).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProcessError {
    /// Not installed, or not on PATH.
    #[error("`{0}` was not found on PATH")]
    NotFound(String),
    /// Found but could not be started.
    #[error("`{program}` could not be started: {reason}")]
    Spawn {
        /// The program.
        program: String,
        /// The system's reason.
        reason: String,
    },
}

/// Runs programs.
pub trait Runner {
    /// Run `program` with `args` to completion.
    fn run(&self, program: &str, args: &[&str]) -> Result<Output, ProcessError>;
}

/// The real thing: `std::process::Command`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemRunner;

impl Runner for SystemRunner {
    fn run(&self, program: &str, args: &[&str]) -> Result<Output, ProcessError> {
        let output = Command::new(program).args(args).output().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ProcessError::NotFound(program.to_owned()),
            _ => ProcessError::Spawn {
                program: program.to_owned(),
                reason: e.to_string(),
            },
        })?;
        Ok(Output {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{ProcessError, Runner, SystemRunner};

    #[test]
    fn runs_programs_and_reports_missing_ones() {
        let out = SystemRunner
            .run("sh", &["-c", "echo hi; echo oops >&2; exit 3"])
            .expect("sh exists");
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (Some(3), "hi\n", "oops\n")
        );
        assert!(!out.success());
        assert_eq!(
            SystemRunner.run("kubedrill-no-such-program", &[]),
            Err(ProcessError::NotFound("kubedrill-no-such-program".to_owned()))
        );
    }
}
