//! Progress on stderr for long cluster work: an indicatif spinner per phase with its elapsed
//! time on a terminal, one plain line per finished phase otherwise (CI logs), nothing with
//! `--quiet`. Part of the printing side: the cluster module only calls [`Progress`].
#![allow(clippy::print_stderr)]

use std::cell::RefCell;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::cluster::lifecycle::Progress;

/// Spinners or lines on stderr.
pub struct Spinner {
    quiet: bool,
    terminal: bool,
    current: RefCell<Option<ProgressBar>>,
}

impl Spinner {
    /// Following `--quiet` and whether stderr is a terminal.
    #[must_use]
    pub fn new(quiet: bool) -> Self {
        Self {
            quiet,
            terminal: std::io::stderr().is_terminal(),
            current: RefCell::new(None),
        }
    }
}

impl Progress for Spinner {
    fn begin(&self, phase: &str) {
        if self.quiet || !self.terminal {
            return;
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(phase.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        *self.current.borrow_mut() = Some(bar);
    }

    fn end(&self, phase: &str, elapsed: Duration) {
        if let Some(bar) = self.current.borrow_mut().take() {
            bar.finish_and_clear();
        }
        if !self.quiet {
            eprintln!("{phase}: {:.1}s", elapsed.as_secs_f64());
        }
    }
}

/// The foreground countdown: a bar filling up as time passes, with the time left.
pub struct CountdownBar {
    bar: ProgressBar,
}

impl CountdownBar {
    /// A bar over `limit_secs` seconds.
    #[must_use]
    pub fn new(limit_secs: u64) -> Self {
        let bar = ProgressBar::new(limit_secs);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {msg}") {
            bar.set_style(style);
        }
        Self { bar }
    }

    /// Show `elapsed_secs` used and `left` as text.
    pub fn show(&self, elapsed_secs: u64, left: &str) {
        self.bar.set_position(elapsed_secs);
        self.bar.set_message(format!(
            "{left} left — kubedrill check | hint | submit (Ctrl-C hides this)"
        ));
    }

    /// A line above the bar.
    pub fn note(&self, line: &str) {
        self.bar.println(line);
    }

    /// Remove the bar.
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }
}
