//! `kubedrill completions <shell>`: shell completion scripts on stdout, completing flags,
//! subcommands and the scenario ids of the catalogue (and of the instructor's folder) as they
//! are when the script is generated.
//!
//! Changes only the copy of the command model the script is generated from, never parsing.

use std::path::Path;

use clap::CommandFactory;
use clap::builder::PossibleValuesParser;

use crate::catalogue::Catalogue;
use crate::cli::{Cli, CompletionsArgs};
use crate::error::Exit;
use crate::output::Printer;

/// Arguments that take a scenario id: (subcommand path, argument id).
const SCENARIO_ARGS: &[(&[&str], &str)] = &[
    (&["show"], "id"),
    (&["start"], "scenario"),
    (&["solution"], "scenario"),
    (&["grade"], "scenario"),
    (&["history"], "scenario"),
    (&["scenario", "render"], "scenario"),
    (&["scenario", "verify"], "scenario"),
    (&["cluster", "setup"], "scenario"),
];

/// Run `completions`.
#[must_use]
pub fn run(args: &CompletionsArgs, user_dir: Option<&Path>, printer: &Printer) -> Exit {
    let ids: Vec<String> = Catalogue::load(user_dir)
        .map(|c| c.entries.iter().map(|e| e.scenario.id().to_owned()).collect())
        .unwrap_or_default();
    let mut command = with_scenario_ids(Cli::command(), &ids);
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "kubedrill", &mut script);
    printer.data(&String::from_utf8_lossy(&script));
    Exit::Success
}

/// `command` with `ids` offered wherever a scenario id is taken.
fn with_scenario_ids(command: clap::Command, ids: &[String]) -> clap::Command {
    SCENARIO_ARGS.iter().fold(command, |command, (path, arg)| {
        let ids = ids.to_vec();
        mut_at(command, path, &move |sub| {
            sub.mut_arg(*arg, |a| a.value_parser(PossibleValuesParser::new(ids.clone())))
        })
    })
}

fn mut_at(command: clap::Command, path: &[&str], change: &dyn Fn(clap::Command) -> clap::Command) -> clap::Command {
    match path.split_first() {
        None => change(command),
        Some((first, rest)) => command.mut_subcommand(*first, |sub| mut_at(sub, rest, change)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_argument_exists_and_offers_the_ids() {
        let ids = vec!["drill-a".to_owned(), "drill-b".to_owned()];
        let command = with_scenario_ids(Cli::command(), &ids);
        for (path, arg) in SCENARIO_ARGS {
            let sub = path
                .iter()
                .fold(&command, |c, name| c.find_subcommand(name).expect("subcommand"));
            let values: Vec<String> = sub
                .get_arguments()
                .find(|a| a.get_id() == *arg)
                .unwrap_or_else(|| panic!("{path:?} has no `{arg}`"))
                .get_possible_values()
                .iter()
                .map(|v| v.get_name().to_owned())
                .collect();
            assert_eq!(values, ids, "{path:?} {arg}");
        }
    }
}
