//! The README is a newcomer's page, so it must not drift from the binary: its command table
//! names every command and every flag `--help` shows (and no flag `--help` does not), and its
//! table of errors runs each example and gets the documented exit code and hint.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use assert_cmd::Command;
use clap::CommandFactory;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README.md")
}

/// The rows of the markdown table under `heading` (cells, header and rule skipped).
fn table(text: &str, heading: &str) -> Vec<Vec<String>> {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has no `{heading}`"));
    text[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|row| {
            let row = row.replace("\\|", "\u{0}");
            row.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().replace('\u{0}', "|"))
                .collect()
        })
        .collect()
}

/// An argument's spellings: `--output` and `-o`.
type Names = BTreeSet<String>;

/// Every leaf command path (`cluster up`, `list`...) with the spellings of each of its flags,
/// from clap's model (what `--help` prints); global and built-in flags left out.
fn commands() -> BTreeMap<String, Vec<Names>> {
    fn walk(cmd: &clap::Command, path: &str, out: &mut BTreeMap<String, Vec<Names>>) {
        let subs: Vec<_> = cmd.get_subcommands().filter(|s| s.get_name() != "help").collect();
        if subs.is_empty() {
            let flags = cmd
                .get_arguments()
                .filter(|a| !a.is_global_set() && !a.is_hide_set() && !a.is_positional())
                .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
                .map(|a| {
                    let long = a.get_long().map(|l| format!("--{l}"));
                    let short = a.get_short().map(|s| format!("-{s}"));
                    long.into_iter().chain(short).collect()
                })
                .collect();
            out.insert(path.trim().to_owned(), flags);
        }
        for sub in subs {
            walk(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }
    let mut out = BTreeMap::new();
    walk(&kubedrill::cli::Cli::command(), "", &mut out);
    out
}

/// The command paths a table cell documents: `kubedrill cluster up\|down [...]` names
/// `cluster up` and `cluster down`; ` / ` separates several commands in one cell.
fn documented_paths(cell: &str, known: &BTreeMap<String, Vec<Names>>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in cell.trim_matches('`').split(" / ") {
        let part = part.trim().trim_matches('`').trim_start_matches("kubedrill ");
        let words: Vec<&str> = part
            .split_whitespace()
            .take_while(|w| !w.starts_with(['-', '[', '<']))
            .collect();
        let (first, rest) = words.split_first().expect("a command");
        let candidates: Vec<String> = match rest.first() {
            Some(second) => second.split('|').map(|s| format!("{first} {s}")).collect(),
            None => vec![(*first).to_owned()],
        };
        for path in candidates {
            if known.contains_key(&path) {
                out.push((path, part.to_owned()));
            } else if let Some(single) = known.keys().find(|k| **k == *first) {
                out.push((single.clone(), part.to_owned()));
            }
        }
    }
    out
}

#[test]
fn the_command_table_names_every_command_and_every_flag_help_shows() {
    let known = commands();
    let mut flags_in_readme: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in table(&readme(), "## Commands") {
        for (path, text) in documented_paths(&row[0], &known) {
            let flags = text
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .filter(|w| w.starts_with('-') && w.len() > 1 && !w.starts_with("---"))
                .map(str::to_owned);
            flags_in_readme.entry(path).or_default().extend(flags);
        }
    }
    let mut problems = Vec::new();
    for (path, flags) in &known {
        let Some(documented) = flags_in_readme.get(path) else {
            problems.push(format!("`kubedrill {path}` is not in the README's command table"));
            continue;
        };
        for names in flags.iter().filter(|names| names.is_disjoint(documented)) {
            let name = names.first().map_or("?", String::as_str);
            problems.push(format!(
                "`kubedrill {path}` has `{name}`, which the README's table omits"
            ));
        }
        for word in documented
            .iter()
            .filter(|w| !flags.iter().any(|names| names.contains(*w)))
        {
            problems.push(format!(
                "the README's table gives `kubedrill {path}` `{word}`, which it does not accept"
            ));
        }
    }
    assert!(problems.is_empty(), "README drift:\n{}", problems.join("\n"));
}

#[test]
fn every_errors_table_row_runs_and_gives_its_exit_code_and_hint() {
    let rows = table(&readme(), "## Errors and exit codes");
    assert!(rows.len() >= 10, "the table lists the common errors");
    let home = tempfile::tempdir().expect("tempdir");
    for row in rows {
        let [situation, example, exit, hint] = row.as_slice() else {
            panic!("a row is | situation | example | exit | hint |: {row:?}");
        };
        let example = example.trim_matches('`');
        let args = example
            .strip_prefix("kubedrill ")
            .expect("an example starts with kubedrill");
        let out = Command::cargo_bin("kubedrill")
            .expect("binary")
            .current_dir(home.path())
            .env("KUBEDRILL_HOME", home.path())
            .env("PATH", "/nonexistent")
            .env_remove("KUBEDRILL_SCENARIOS")
            .env_remove("KUBEDRILL_KUBECONFIG")
            .args(args.split_whitespace())
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code: i32 = exit.trim_matches('`').parse().expect("an exit code");
        assert_eq!(out.status.code(), Some(code), "{situation}: `{example}`\n{stderr}");
        let hint = hint.trim_matches('`').replace('`', "");
        assert!(
            stderr.replace('`', "").contains(&hint),
            "{situation}: `{example}` should hint `{hint}`:\n{stderr}"
        );
    }
}
