//! `scenario lint`: everything that can be wrong with a scenario folder, found without a
//! cluster: schema, seed-independent rules, rendering with several seeds, manifests, grader
//! parameters, determinism, and duplicate ids across folders.
//!
//! Returns data; the printer reports it. Must not stop at the first problem.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::load::{SCENARIO_FILE, Scenario};
use super::problem::Problem;
use super::source::ScenarioDir;

/// Seeds every scenario is rendered with.
pub const LINT_SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

/// The lint result of one folder.
#[derive(Clone, Debug, Serialize)]
pub struct FolderReport {
    /// The folder's `scenario.yaml`, as shown to the user.
    pub file: String,
    /// The scenario id, when the file parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Everything wrong, in file order of discovery.
    pub problems: Vec<Problem>,
}

impl FolderReport {
    /// Whether the folder is valid.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Lint one folder.
#[must_use]
pub fn lint_folder(dir: ScenarioDir) -> FolderReport {
    let file = dir.display(SCENARIO_FILE);
    let scenario = match Scenario::load(dir) {
        Ok(s) => s,
        Err(problem) => {
            return FolderReport {
                file,
                id: None,
                problems: vec![*problem],
            };
        }
    };
    let mut problems = scenario.static_problems();
    let mut seen: BTreeSet<String> = problems.iter().map(ToString::to_string).collect();
    for seed in LINT_SEEDS {
        let found = match scenario.render(seed) {
            Ok(first) => match scenario.render(seed) {
                Ok(second) if second == first => Vec::new(),
                _ => vec![
                    Problem::new(&file, format!("rendering seed {seed} twice gave different results"))
                        .hint("params and templates must depend only on the seed"),
                ],
            },
            Err(found) => found,
        };
        for mut problem in found {
            if seen.insert(problem.to_string()) {
                if seed != LINT_SEEDS[0] {
                    problem.message = format!("{} (with seed {seed})", problem.message);
                }
                problems.push(problem);
            }
        }
    }
    FolderReport {
        file,
        id: Some(scenario.id().to_owned()),
        problems,
    }
}

/// Lint many folders, adding a problem for every id used by more than one of them.
#[must_use]
pub fn lint_folders(dirs: Vec<ScenarioDir>) -> Vec<FolderReport> {
    let mut reports: Vec<FolderReport> = dirs.into_iter().map(lint_folder).collect();
    let mut by_id: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, report) in reports.iter().enumerate() {
        if let Some(id) = &report.id {
            by_id.entry(id.clone()).or_default().push(index);
        }
    }
    for indices in by_id.values().filter(|i| i.len() > 1) {
        let files: Vec<String> = indices.iter().map(|i| reports[*i].file.clone()).collect();
        for index in indices {
            let others: Vec<&str> = files
                .iter()
                .filter(|f| **f != reports[*index].file)
                .map(String::as_str)
                .collect();
            let id = reports[*index].id.clone().unwrap_or_default();
            let problem = Problem::new(
                &reports[*index].file,
                format!("duplicate scenario id `{id}`, also in {}", others.join(", ")),
            )
            .field("id")
            .hint("scenario ids must be unique; rename one of them");
            reports[*index].problems.push(problem);
        }
    }
    reports
}
