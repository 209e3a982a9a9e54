//! One file per subcommand. Each turns arguments into data and hands it to the printer; none
//! prints directly.

pub mod cluster;
pub mod completions;
pub mod doctor;
pub mod explain;
pub mod grade;
pub mod lint;
pub mod list;
pub mod new;
pub mod render;
pub mod show;

use std::path::Path;

use crate::catalogue::{Catalogue, disk_dirs};
use crate::cli::{Cli, Command, ScenarioCommand};
use crate::error::{Error, Exit};
use crate::output::Printer;
use crate::scenario::{Rendered, Scenario};

/// Run the parsed command line.
pub fn dispatch(cli: Cli, printer: &Printer) -> Result<Exit, Error> {
    let user_dir = cli.scenarios.as_deref();
    match cli.command {
        Command::List(args) => list::run(&args, user_dir, printer),
        Command::Show(args) => show::run(&args, user_dir, printer),
        Command::Scenario(ScenarioCommand::Lint(args)) => lint::run(&args, user_dir, printer),
        Command::Scenario(ScenarioCommand::Render(args)) => render::run(&args, user_dir, printer),
        Command::Scenario(ScenarioCommand::New(args)) => new::run(&args, printer),
        Command::Grade(args) => grade::run(&args, user_dir, printer),
        Command::Explain(args) => explain::run(&args, printer),
        Command::Doctor(args) => doctor::run(&args, printer),
        Command::Cluster(command) => cluster::run(&command, user_dir, printer),
        Command::Completions(args) => Ok(completions::run(&args, printer)),
    }
}

/// A scenario named by catalogue id, or by a path to its folder or scenario.yaml.
pub fn resolve(reference: &str, user_dir: Option<&Path>) -> Result<Scenario, Error> {
    let path = Path::new(reference);
    if path.exists() {
        let dir = disk_dirs(path)?.into_iter().next().ok_or_else(|| Error::Io {
            path: path.to_path_buf(),
            message: "no scenario.yaml here".to_owned(),
        })?;
        return Scenario::load(dir).map_err(|p| Error::InvalidScenario { problems: vec![*p] });
    }
    let mut catalogue = Catalogue::load(user_dir)?;
    match catalogue.entries.iter().position(|e| e.scenario.id() == reference) {
        Some(index) => Ok(catalogue.entries.swap_remove(index).scenario),
        None => Err(catalogue.unknown(reference)),
    }
}

/// Render, turning problems into an error.
pub fn render(scenario: &Scenario, seed: u64) -> Result<Rendered, Error> {
    scenario
        .render(seed)
        .map_err(|problems| Error::InvalidScenario { problems })
}
