//! The scenario catalogue: built-in scenarios compiled into the binary, plus an instructor's
//! folder (`--scenarios DIR` / `KUBEDRILL_SCENARIOS`) whose scenarios override built-ins with
//! the same id.
//!
//! Finds and parses folders; must not render, touch a cluster or print.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use serde::Serialize;

use crate::error::Error;
use crate::scenario::load::SCENARIO_FILE;
use crate::scenario::{Problem, Rendered, Scenario, ScenarioDir};

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/scenarios");

/// Where a catalogue entry came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "path")]
pub enum Origin {
    /// Shipped in the binary.
    Builtin,
    /// The instructor's folder.
    User(PathBuf),
}

/// One scenario of the catalogue.
#[derive(Debug)]
pub struct Entry {
    /// The parsed scenario.
    pub scenario: Scenario,
    /// Where it came from.
    pub origin: Origin,
}

/// All scenarios available, sorted by id, plus the folders that failed to parse.
#[derive(Debug, Default)]
pub struct Catalogue {
    /// Parsed scenarios, sorted by id.
    pub entries: Vec<Entry>,
    /// Folders that did not parse (reported as warnings by listing commands).
    pub broken: Vec<Problem>,
}

/// The built-in scenario folders.
#[must_use]
pub fn builtin_dirs() -> Vec<ScenarioDir> {
    BUILTIN
        .dirs()
        .filter(|d| d.get_file(d.path().join(SCENARIO_FILE)).is_some())
        .map(ScenarioDir::Builtin)
        .collect()
}

/// Scenario folders at `path`: the folder itself when it holds a scenario.yaml (or is one),
/// else each subfolder that does, sorted by name.
pub fn disk_dirs(path: &Path) -> Result<Vec<ScenarioDir>, Error> {
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound {
            path: path.to_path_buf(),
        },
        _ => Error::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        },
    };
    let metadata = std::fs::metadata(path).map_err(io)?;
    if metadata.is_file() {
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        return Ok(vec![ScenarioDir::Disk(parent.to_path_buf())]);
    }
    if path.join(SCENARIO_FILE).is_file() {
        return Ok(vec![ScenarioDir::Disk(path.to_path_buf())]);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join(SCENARIO_FILE).is_file())
        .collect();
    dirs.sort();
    Ok(dirs.into_iter().map(ScenarioDir::Disk).collect())
}

impl Catalogue {
    /// Built-ins, overridden by the scenarios in `user_dir`.
    pub fn load(user_dir: Option<&Path>) -> Result<Self, Error> {
        let mut catalogue = Self::default();
        for dir in builtin_dirs() {
            catalogue.add(dir, Origin::Builtin);
        }
        if let Some(root) = user_dir {
            for dir in disk_dirs(root)? {
                let origin = match &dir {
                    ScenarioDir::Disk(p) => Origin::User(p.clone()),
                    ScenarioDir::Builtin(_) => Origin::Builtin,
                };
                catalogue.add(dir, origin);
            }
        }
        catalogue.entries.sort_by(|a, b| a.scenario.id().cmp(b.scenario.id()));
        Ok(catalogue)
    }

    fn add(&mut self, dir: ScenarioDir, origin: Origin) {
        match Scenario::load(dir) {
            Ok(scenario) => {
                self.entries.retain(|e| e.scenario.id() != scenario.id());
                self.entries.push(Entry { scenario, origin });
            }
            Err(problem) => self.broken.push(*problem),
        }
    }

    /// The entry with this id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.scenario.id() == id)
    }

    /// An error for an unknown id, suggesting the closest known ids.
    #[must_use]
    pub fn unknown(&self, id: &str) -> Error {
        let mut known: Vec<(usize, String)> = self
            .entries
            .iter()
            .map(|e| (edit_distance(id, e.scenario.id()), e.scenario.id().to_owned()))
            .collect();
        known.sort();
        let suggestion = known
            .first()
            .filter(|(d, _)| *d <= id.len() / 2 + 1)
            .map(|(_, s)| s.clone());
        Error::UnknownScenario {
            id: id.to_owned(),
            suggestion,
        }
    }
}

/// Levenshtein distance, for "did you mean".
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// A scenario named by catalogue id, or by a path to its folder or scenario.yaml.
pub fn resolve(reference: &str, user_dir: Option<&Path>) -> Result<Scenario, Error> {
    let path = Path::new(reference);
    if path.exists() {
        let dir = disk_dirs(path)?.into_iter().next().ok_or_else(|| Error::NoScenarios {
            path: path.to_path_buf(),
        })?;
        let folder = disk_folder(&dir);
        return Scenario::load(dir).map_err(|p| Error::InvalidScenario {
            problems: vec![*p],
            folder,
        });
    }
    let mut catalogue = Catalogue::load(user_dir)?;
    match catalogue.entries.iter().position(|e| e.scenario.id() == reference) {
        Some(index) => Ok(catalogue.entries.swap_remove(index).scenario),
        None => Err(catalogue.unknown(reference)),
    }
}

/// The instructor's scenario folder every command uses: `--scenarios DIR` (or
/// `KUBEDRILL_SCENARIOS`) when given, else `./scenarios` when it holds at least one scenario.
#[must_use]
pub fn user_dir(flag: Option<PathBuf>) -> Option<PathBuf> {
    flag.or_else(|| {
        let local = PathBuf::from("scenarios");
        let holds_one = std::fs::read_dir(&local)
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| entry.path().join("scenario.yaml").is_file());
        holds_one.then_some(local)
    })
}

/// Render for one student of a shared cluster: every generated name starts with `prefix`
/// (a `-` is added if missing). Scenarios that reach beyond their namespaces are refused.
pub fn render_for(scenario: &Scenario, seed: u64, prefix: Option<&str>) -> Result<Rendered, Error> {
    let Some(prefix) = prefix else {
        return render(scenario, seed);
    };
    let prefix = if prefix.ends_with('-') {
        prefix.to_owned()
    } else {
        format!("{prefix}-")
    };
    let rendered = scenario
        .render_prefixed(seed, Some(&prefix))
        .map_err(|problems| invalid(scenario, problems))?;
    if let Some(why) = crate::scenario::footprint::footprint(&rendered).cluster_wide {
        return Err(Error::NotShareable {
            id: scenario.id().to_owned(),
            why,
        });
    }
    Ok(rendered)
}

/// Render, turning problems into an error.
pub fn render(scenario: &Scenario, seed: u64) -> Result<Rendered, Error> {
    scenario.render(seed).map_err(|problems| invalid(scenario, problems))
}

fn invalid(scenario: &Scenario, problems: Vec<Problem>) -> Error {
    Error::InvalidScenario {
        problems,
        folder: disk_folder(&scenario.dir),
    }
}

/// Where a scenario folder is on disk (`None` when built in), for hints that name it.
fn disk_folder(dir: &ScenarioDir) -> Option<PathBuf> {
    match dir {
        ScenarioDir::Disk(root) => Some(root.clone()),
        ScenarioDir::Builtin(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{Catalogue, edit_distance};

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn builtins_load_sorted_and_unknown_ids_get_suggestions() {
        let catalogue = Catalogue::load(None).expect("built-ins load");
        assert!(catalogue.broken.is_empty(), "{:?}", catalogue.broken);
        let ids: Vec<&str> = catalogue.entries.iter().map(|e| e.scenario.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
        assert!(ids.len() >= 3);
        let err = catalogue.unknown("service-wrong-selectr");
        assert!(err.to_string().contains("service-wrong-selectr"));
        assert!(
            matches!(err, crate::error::Error::UnknownScenario { suggestion: Some(s), .. } if s == "service-wrong-selector")
        );
    }
}
