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
    let params: Vec<String> = rendered
        .params
        .iter()
        .filter(|(name, _)| !crate::scenario::load::RESERVED_NAMES.contains(&name.as_str()))
        .map(|(name, value)| {
            format!(
                "{name}={}",
                value.as_str().map_or_else(|| value.to_string(), str::to_owned)
            )
        })
        .collect();
    let header = format!(
        "# kubedrill scenario render {} --seed {}
# params: {}
",
        scenario.id(),
        args.seed,
        params.join(" ")
    );
    printer.data(&format!("{header}{}", rendered.setup_yaml()));
    Ok(Exit::Success)
}
