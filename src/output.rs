//! The one module that prints: data on stdout, diagnostics on stderr, colour only on a
//! terminal and never when `NO_COLOR` is set.
//!
//! Commands build data and hand it here; nothing else writes to the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

use serde::Serialize;

use crate::cli::ColorChoice;
use crate::error::Error;
use crate::scenario::Problem;

/// A point penalty for people: `no penalty`, `-1 point`, `-3 points` (never `-0`).
#[must_use]
pub fn penalty(points: u32) -> String {
    match points {
        0 => "no penalty".to_owned(),
        1 => "-1 point".to_owned(),
        n => format!("-{n} points"),
    }
}

/// ANSI styles used by the printer.
#[derive(Clone, Copy)]
enum Style {
    Red,
    Yellow,
    Cyan,
    Green,
    Bold,
    Dim,
}

impl Style {
    const fn code(self) -> &'static str {
        match self {
            Self::Red => "1;31",
            Self::Yellow => "1;33",
            Self::Cyan => "36",
            Self::Green => "32",
            Self::Bold => "1",
            Self::Dim => "2",
        }
    }
}

/// Buffered, locked stdout.
type Stdout<'a> = std::io::BufWriter<std::io::StdoutLock<'a>>;

/// Where output goes and whether it is coloured.
#[derive(Clone, Debug)]
pub struct Printer {
    stdout_color: bool,
    stderr_color: bool,
    quiet: bool,
}

fn color_allowed(choice: ColorChoice, is_terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && !no_color,
    }
}

impl Printer {
    /// A printer following `--color`, `NO_COLOR` and whether each stream is a terminal.
    #[must_use]
    pub fn new(color: ColorChoice, quiet: bool) -> Self {
        Self {
            stdout_color: color_allowed(color, std::io::stdout().is_terminal()),
            stderr_color: color_allowed(color, std::io::stderr().is_terminal()),
            quiet,
        }
    }

    fn paint(enabled: bool, style: Style, text: &str) -> String {
        if enabled {
            format!("\x1b[{}m{text}\x1b[0m", style.code())
        } else {
            text.to_owned()
        }
    }

    /// Whether `--quiet` was given.
    #[must_use]
    pub const fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Write data to stdout. A closed pipe (`| head`) is not an error worth reporting.
    pub fn data(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    }

    /// Write to stdout through a buffer as `write` produces it; a closed pipe is not an error.
    fn write_stdout(&self, what: &str, write: impl FnOnce(&mut Stdout<'_>) -> std::io::Result<()>) {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        match write(&mut out).and_then(|()| out.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => self.error(&format!("cannot write {what}: {e}")),
        }
    }

    /// Write data to stdout piece by piece as it is produced (a large report is never one string).
    pub fn stream(&self, pieces: impl IntoIterator<Item = String>) {
        self.write_stdout("output", |out| {
            pieces.into_iter().try_for_each(|piece| out.write_all(piece.as_bytes()))
        });
    }

    /// Serialize data as pretty JSON on stdout, streamed (a large matrix is never one string).
    pub fn json<T: Serialize>(&self, value: &T) {
        self.write_stdout("JSON", |out| {
            serde_json::to_writer_pretty(&mut *out, value)?;
            out.write_all(b"\n")
        });
    }

    /// Serialize data as YAML on stdout.
    pub fn yaml<T: Serialize>(&self, value: &T) {
        match serde_saphyr::to_string(value) {
            Ok(text) => self.data(&text),
            Err(e) => self.error(&format!("cannot encode YAML: {e}")),
        }
    }

    /// A heading in data output (bold on a terminal).
    #[must_use]
    pub fn heading(&self, text: &str) -> String {
        Self::paint(self.stdout_color, Style::Bold, text)
    }

    /// De-emphasised data text.
    #[must_use]
    pub fn dim(&self, text: &str) -> String {
        Self::paint(self.stdout_color, Style::Dim, text)
    }

    /// Data text marking success (green on a terminal).
    #[must_use]
    pub fn good(&self, text: &str) -> String {
        Self::paint(self.stdout_color, Style::Green, text)
    }

    /// Data text marking failure (red on a terminal).
    #[must_use]
    pub fn bad(&self, text: &str) -> String {
        Self::paint(self.stdout_color, Style::Red, text)
    }

    /// Data text marking something inconclusive (yellow on a terminal).
    #[must_use]
    pub fn caution(&self, text: &str) -> String {
        Self::paint(self.stdout_color, Style::Yellow, text)
    }

    fn diagnostic(&self, style: Style, label: &str, message: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{} {message}", Self::paint(self.stderr_color, style, label));
    }

    /// `error: ...` on stderr.
    pub fn error(&self, message: &str) {
        self.diagnostic(Style::Red, "error:", message);
    }

    /// `warning: ...` on stderr (hidden with `--quiet`).
    pub fn warning(&self, message: &str) {
        if !self.quiet {
            self.diagnostic(Style::Yellow, "warning:", message);
        }
    }

    /// `hint: ...` on stderr.
    pub fn hint(&self, message: &str) {
        self.diagnostic(Style::Cyan, "hint:", message);
    }

    /// A success line on stderr (hidden with `--quiet`).
    pub fn success(&self, message: &str) {
        if !self.quiet {
            self.diagnostic(Style::Green, "ok:", message);
        }
    }

    /// Ask a yes/no question on stderr and read the answer from stdin; `false` (never asked)
    /// unless both are terminals, so scripts and CI are never blocked or opted in silently.
    #[must_use]
    pub fn confirm(&self, question: &str) -> bool {
        if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
            return false;
        }
        {
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "{} {question} [y/N] ",
                Self::paint(self.stderr_color, Style::Cyan, "?")
            );
            let _ = err.flush();
        }
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
    }

    /// A problem: its one-line `error:` and its `hint:`.
    pub fn problem(&self, problem: &Problem) {
        self.error(&problem.to_string());
        if let Some(hint) = &problem.hint {
            self.hint(hint);
        }
    }

    /// A command error with all its detail and hints.
    pub fn report(&self, error: &Error) {
        if let Error::InvalidScenario { problems, .. } = error {
            for problem in problems {
                self.problem(problem);
            }
        } else {
            self.error(&error.to_string());
        }
        for hint in error.hints() {
            self.hint(&hint);
        }
    }
}

/// Align rows into columns separated by two spaces (the last column is not padded).
#[must_use]
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| visible_width(cell))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        for (c, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if c + 1 < row.len() {
                let pad = widths[c] - visible_width(cell) + 2;
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
    }
    out
}

/// Width of text without ANSI escape sequences.
fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut in_escape = false;
    for c in text.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (false, _) => width += 1,
            (true, _) => {}
        }
    }
    width
}

#[cfg(test)]
mod tests {
    use super::{penalty, table, visible_width};

    #[test]
    fn penalties_never_read_minus_zero() {
        assert_eq!(penalty(0), "no penalty");
        assert_eq!(penalty(1), "-1 point");
        assert_eq!(penalty(4), "-4 points");
    }

    #[test]
    fn tables_align_on_visible_width() {
        let rows = vec![
            vec!["\x1b[1mID\x1b[0m".to_owned(), "TITLE".to_owned()],
            vec!["service-x".to_owned(), "A title".to_owned()],
        ];
        let out = table(&rows);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[1], "service-x  A title");
        assert_eq!(visible_width(lines[0]), "ID         TITLE".len());
    }
}
