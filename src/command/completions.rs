//! `kubedrill completions <shell>`: shell completion scripts on stdout.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Exit;
use crate::output::Printer;

/// Run `completions`.
#[must_use]
pub fn run(args: &CompletionsArgs, printer: &Printer) -> Exit {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "kubedrill", &mut script);
    printer.data(&String::from_utf8_lossy(&script));
    Exit::Success
}
