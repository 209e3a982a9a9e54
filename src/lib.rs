//! kubedrill: a local lab for practising the CKA exam's Services & Networking troubleshooting.
//!
//! Data flows one way: scenario folder -> [`scenario::Scenario`] -> [`scenario::Rendered`]
//! (one seed) -> cluster -> observed state + probes -> `graders` -> verdicts -> report.
//! Only [`output`] prints; only [`cluster`] talks to Docker, kind or the API.

pub mod catalogue;
pub mod classroom;
pub mod cli;
pub mod cluster;
pub mod command;
pub mod error;
pub mod grading;
pub mod images;
pub mod output;
pub mod practice;
pub mod progress;
pub mod report;
pub mod scenario;
pub mod seed_match;
pub mod snapshot;

use clap::Parser;

use crate::error::Exit;

/// Parse the command line, run it, and map the outcome to an exit code.
#[must_use]
pub fn run() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let printer = output::Printer::new(cli.color, cli.quiet);
    match command::dispatch(cli, &printer) {
        Ok(exit) => exit.into(),
        Err(error) => {
            printer.report(&error);
            error.exit().into()
        }
    }
}

/// The exit code for a clap usage error is 2, the same as [`Exit::Usage`].
const _: () = assert!(Exit::Usage as u8 == 2);
