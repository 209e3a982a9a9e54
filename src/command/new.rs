//! `kubedrill scenario new <id>`: scaffold a scenario folder from the built-in template
//! `templates/scenario-new`, written atomically (a temporary folder renamed into place) and
//! linted before it is kept.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::cli::NewArgs;
use crate::error::{Error, Exit};
use crate::output::Printer;
use crate::scenario::ScenarioDir;
use crate::scenario::lint::lint_folder;

static SCAFFOLD: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates/scenario-new");

/// Suffix of scaffold template files; stripped from the written names.
const TEMPLATE_SUFFIX: &str = ".tera";

/// Run `scenario new`.
pub fn run(args: &NewArgs, printer: &Printer) -> Result<Exit, Error> {
    graders::names::check_dns1123_label(&args.id).map_err(|reason| Error::InvalidId {
        id: args.id.clone(),
        reason,
    })?;
    let target = args.dir.join(&args.id);
    if target.exists() {
        return Err(Error::AlreadyExists { path: target });
    }
    let title = args.title.clone().unwrap_or_else(|| title_from_id(&args.id));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e: std::io::Error| Error::Io {
            path,
            message: e.to_string(),
        }
    };
    std::fs::create_dir_all(&args.dir).map_err(io(&args.dir))?;
    let staging = tempfile::Builder::new()
        .prefix(".kubedrill-new-")
        .tempdir_in(&args.dir)
        .map_err(io(&args.dir))?;
    // Built under its final name inside the staging folder, so lint sees `id == folder`.
    let staged = staging.path().join(&args.id);
    for (relative, text) in render_scaffold(&args.id, &title)? {
        let path = staged.join(&relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, text).map_err(io(&target.join(&relative)))?;
    }
    let report = lint_folder(ScenarioDir::Disk(staged.clone()));
    if !report.is_valid() {
        return Err(Error::Template {
            name: "scenario-new".to_owned(),
            message: format!("{:?}", report.problems),
        });
    }
    std::fs::rename(&staged, &target).map_err(io(&target))?;
    printer.data(&format!("{}\n", target.display()));
    printer.success(&format!("created `{}`; it passes lint", target.display()));
    printer.hint(&format!(
        "edit it, then run `kubedrill scenario lint {}`",
        target.display()
    ));
    Ok(Exit::Success)
}

/// Every scaffold file rendered, as (relative path, text).
fn render_scaffold(id: &str, title: &str) -> Result<Vec<(PathBuf, String)>, Error> {
    let mut tera = tera::Tera::new();
    let template_error = |name: &str, e: &tera::Error| Error::Template {
        name: name.to_owned(),
        message: e.to_string(),
    };
    tera.set_delimiters(tera::Delimiters {
        block_start: "[%".into(),
        block_end: "%]".into(),
        variable_start: "[[".into(),
        variable_end: "]]".into(),
        comment_start: "[#".into(),
        comment_end: "#]".into(),
    })
    .map_err(|e| template_error("delimiters", &e))?;
    let mut context = tera::Context::new();
    context.insert("id", id);
    context.insert("title", title);
    let mut files = Vec::new();
    for file in all_files(&SCAFFOLD) {
        let relative = file.path().strip_prefix(SCAFFOLD.path()).unwrap_or(file.path());
        let name = relative.to_string_lossy();
        let text = file.contents_utf8().ok_or_else(|| Error::Template {
            name: name.to_string(),
            message: "not UTF-8".to_owned(),
        })?;
        let rendered = tera
            .render_str(text, &context, false)
            .map_err(|e| template_error(&name, &e))?;
        let output = PathBuf::from(name.strip_suffix(TEMPLATE_SUFFIX).unwrap_or(&name));
        files.push((output, rendered));
    }
    Ok(files)
}

fn all_files(dir: &'static Dir<'static>) -> Vec<&'static include_dir::File<'static>> {
    let mut files: Vec<_> = dir.files().collect();
    for child in dir.dirs() {
        files.extend(all_files(child));
    }
    files
}

fn title_from_id(id: &str) -> String {
    let words: Vec<String> = id
        .split('-')
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        })
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::{render_scaffold, title_from_id};

    #[test]
    fn titles_from_ids() {
        assert_eq!(title_from_id("svc-wrong-port"), "Svc Wrong Port");
    }

    #[test]
    fn scaffold_renders_every_file_with_the_id() {
        let files = render_scaffold("my-drill", "My Drill").expect("renders");
        let scenario = files
            .iter()
            .find(|(p, _)| p.as_os_str() == "scenario.yaml")
            .expect("scenario.yaml");
        assert!(scenario.1.contains("id: my-drill"));
        assert!(files.iter().all(|(p, _)| !p.to_string_lossy().ends_with(".tera")));
    }
}
