//! Catalogue benchmarks: `list` (load and summarise every built-in scenario) and `scenario lint`
//! over 20 scenario folders (copies of the built-ins under new ids), in-process.
//! `just bench` also times the release binary end to end with hyperfine.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use kubedrill::catalogue::{Catalogue, disk_dirs};
use kubedrill::scenario::lint::lint_folders;

/// Copy the built-in scenarios into `root` under new ids until there are `count` folders.
fn corpus(root: &Path, count: usize) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut originals: Vec<_> = std::fs::read_dir(&source)
        .expect("scenarios/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("scenario.yaml").is_file())
        .collect();
    originals.sort();
    for i in 0..count {
        let original = &originals[i % originals.len()];
        let old_id = original.file_name().expect("name").to_string_lossy().into_owned();
        let new_id = format!("{old_id}-{i}");
        copy_tree(original, &root.join(&new_id));
        let file = root.join(&new_id).join("scenario.yaml");
        let text = std::fs::read_to_string(&file).expect("read");
        std::fs::write(
            &file,
            text.replace(&format!("id: {old_id}\n"), &format!("id: {new_id}\n")),
        )
        .expect("write");
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").filter_map(Result::ok) {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn list(c: &mut Criterion) {
    c.bench_function("list (load + summarise built-ins)", |b| {
        b.iter(|| {
            let catalogue = Catalogue::load(None).expect("loads");
            let summaries: Vec<_> = catalogue.entries.iter().map(|e| e.scenario.summary()).collect();
            black_box(summaries)
        });
    });
}

fn lint_twenty(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    corpus(dir.path(), 20);
    c.bench_function("scenario lint (20 scenarios x 5 seeds)", |b| {
        b.iter(|| {
            let reports = lint_folders(disk_dirs(dir.path()).expect("folders"));
            assert!(reports.iter().all(kubedrill::scenario::lint::FolderReport::is_valid));
            black_box(reports.len())
        });
    });
}

criterion_group!(benches, list, lint_twenty);
criterion_main!(benches);
