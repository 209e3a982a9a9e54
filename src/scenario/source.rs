//! Where a scenario folder's files come from: compiled into the binary, or a folder on disk.
//!
//! Reading only; this module must not parse or render.

use std::path::{Component, Path, PathBuf};

use include_dir::Dir;

/// A scenario folder.
#[derive(Clone, Debug)]
pub enum ScenarioDir {
    /// Shipped inside the binary (`scenarios/<id>` at build time).
    Builtin(&'static Dir<'static>),
    /// A folder on disk.
    Disk(PathBuf),
}

/// A file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// No such file in the folder.
    #[error("no such file")]
    Missing,
    /// The file exists but is not UTF-8 text or could not be read.
    #[error("{0}")]
    Io(String),
}

impl ScenarioDir {
    /// Read `relative` (a `/`-separated path inside the folder) as text.
    pub fn read(&self, relative: &str) -> Result<String, ReadError> {
        if !is_inside(relative) {
            return Err(ReadError::Missing);
        }
        match self {
            Self::Builtin(dir) => {
                let file = dir.get_file(dir.path().join(relative)).ok_or(ReadError::Missing)?;
                file.contents_utf8()
                    .map(str::to_owned)
                    .ok_or_else(|| ReadError::Io("not UTF-8 text".to_owned()))
            }
            Self::Disk(root) => std::fs::read_to_string(root.join(relative)).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => ReadError::Missing,
                _ => ReadError::Io(e.to_string()),
            }),
        }
    }

    /// How to name `relative` to a user: a path they can open, or `builtin:<id>/<file>`.
    #[must_use]
    pub fn display(&self, relative: &str) -> String {
        match self {
            Self::Builtin(dir) => format!("builtin:{}", dir.path().join(relative).display()),
            Self::Disk(root) => root.join(relative).display().to_string(),
        }
    }

    /// Every file in the folder as (`/`-separated relative path, bytes), sorted by path.
    pub fn files(&self) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
        let mut files = Vec::new();
        match self {
            Self::Builtin(dir) => collect_builtin(dir, dir.path(), &mut files),
            Self::Disk(root) => collect_disk(root, root, &mut files).map_err(|e| ReadError::Io(e.to_string()))?,
        }
        files.sort();
        Ok(files)
    }

    /// SHA-256 over every file (path, length, bytes), lowercase hex: any edit to any file of
    /// the scenario changes it.
    pub fn sha256(&self) -> Result<String, ReadError> {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for (path, bytes) in self.files()? {
            hasher.update(path.as_bytes());
            hasher.update([0]);
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
        }
        Ok(hex::encode(hasher.finalize()))
    }

    /// The folder's own name (a scenario id when the layout is followed).
    #[must_use]
    pub fn folder_name(&self) -> String {
        let path: &Path = match self {
            Self::Builtin(dir) => dir.path(),
            Self::Disk(root) => root,
        };
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn collect_builtin(dir: &Dir<'static>, root: &Path, files: &mut Vec<(String, Vec<u8>)>) {
    for file in dir.files() {
        files.push((relative(root, file.path()), file.contents().to_vec()));
    }
    for sub in dir.dirs() {
        collect_builtin(sub, root, files);
    }
}

fn collect_disk(dir: &Path, root: &Path, files: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_disk(&path, root, files)?;
        } else {
            files.push((relative(root, &path), std::fs::read(&path)?));
        }
    }
    Ok(())
}

/// A relative path that cannot leave its folder.
fn is_inside(relative: &str) -> bool {
    let path = Path::new(relative);
    !relative.is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::{ReadError, ScenarioDir, is_inside};

    #[test]
    fn reads_disk_files_and_refuses_to_escape() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("scenario.yaml"), "id: x").expect("write");
        let source = ScenarioDir::Disk(dir.path().to_path_buf());
        assert_eq!(source.read("scenario.yaml").expect("reads"), "id: x");
        assert!(matches!(source.read("missing.yaml"), Err(ReadError::Missing)));
        assert!(matches!(source.read("../scenario.yaml"), Err(ReadError::Missing)));
        assert!(!is_inside("/etc/passwd"));
        assert!(is_inside("manifests/app.yaml"));
    }
}
