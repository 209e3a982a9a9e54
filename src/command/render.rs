//! `kubedrill scenario render <id|path> --seed N`: the setup manifests exactly as they would be
//! applied, as multi-document YAML on stdout.

use std::path::Path;

use crate::cli::RenderArgs;
use crate::error::{Error, Exit};
use crate::output::Printer;

/// Run `scenario render`.
pub fn run(args: &RenderArgs, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let scenario = super::resolve(&args.scenario, user_dir)?;
    let rendered = super::render(&scenario, args.seed)?;
    printer.data(&rendered.setup_yaml());
    Ok(Exit::Success)
}
