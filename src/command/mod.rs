//! One file per subcommand. Each turns arguments into data and hands it to the printer; none
//! prints directly.

pub mod batch;
pub mod cluster;
pub mod completions;
pub mod doctor;
pub mod explain;
pub mod grade;
pub mod history;
pub mod lint;
pub mod list;
pub mod new;
pub mod practice;
pub mod render;
pub mod report;
pub mod show;

use crate::cli::{Cli, Command, GivenCluster, ScenarioCommand};
use crate::cluster::connect::Connection;
use crate::cluster::error::ClusterError;
use crate::cluster::paths::DataDir;
use crate::error::{Error, Exit};
use crate::output::Printer;
use crate::scenario::model::Profile;

/// Run the parsed command line.
pub fn dispatch(cli: Cli, printer: &Printer) -> Result<Exit, Error> {
    let user_dir = crate::catalogue::user_dir(cli.scenarios);
    let user_dir = user_dir.as_deref();
    match cli.command {
        Command::List(args) => list::run(&args, user_dir, printer),
        Command::Show(args) => show::run(&args, user_dir, printer),
        Command::Scenario(ScenarioCommand::Lint(args)) => lint::run(&args, user_dir, printer),
        Command::Scenario(ScenarioCommand::Render(args)) => render::run(&args, user_dir, printer),
        Command::Scenario(ScenarioCommand::New(args)) => new::run(&args, printer),
        Command::Scenario(ScenarioCommand::Verify(args)) => practice::verify(&args, user_dir, printer),
        Command::Grade(args) => grade::run(&args, user_dir, printer),
        Command::Explain(args) => explain::run(&args, printer),
        Command::Doctor(args) => doctor::run(&args, printer),
        Command::Cluster(command) => cluster::run(&command, user_dir, printer),
        Command::Start(args) => practice::start(&args, user_dir, printer),
        Command::Status(args) => practice::status(&args, user_dir, printer),
        Command::Check(args) => practice::check(&args, user_dir, printer),
        Command::Hint(args) => practice::hint(&args, user_dir, printer),
        Command::Submit(args) => practice::submit(&args, user_dir, printer),
        Command::Abandon(args) => practice::abandon(&args, user_dir, printer),
        Command::Solution(args) => practice::solution(&args, user_dir, printer),
        Command::Exam(command) => practice::exam(&command, user_dir, printer),
        Command::History(args) => history::history(&args, printer),
        Command::Stats(args) => history::stats(&args, printer),
        Command::Report(crate::cli::ReportCommand::Verify(args)) => report::verify(&args, user_dir, printer),
        Command::Completions(args) => Ok(completions::run(&args, user_dir, printer)),
    }
}

pub use crate::catalogue::{render, resolve};

/// The cluster the command line names (`--kubeconfig`, `--context`, `--allow-foreign-cluster`),
/// else kubedrill's own cluster of `profile`.
fn connection(given: &GivenCluster, profile: Profile, data: &DataDir) -> Result<Connection, ClusterError> {
    match &given.kubeconfig {
        Some(kubeconfig) => Ok(Connection::given(
            kubeconfig,
            given.context.as_deref(),
            given.allow_foreign_cluster,
            given.agnhost_loaded,
        )),
        None => Connection::own(profile, data),
    }
}
