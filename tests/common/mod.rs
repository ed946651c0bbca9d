//! Helpers shared by the CLI integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Copies a fixture tree (symlinks as symlinks) into a fresh temporary directory.
pub fn copy_tree(src: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_into(src, dir.path());
    dir
}

pub fn copy_into(src: &Path, dst: &Path) {
    for entry in walkdir::WalkDir::new(src).follow_links(false) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(src).unwrap();
        let target = dst.join(rel);
        let kind = entry.file_type();
        if kind.is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else if kind.is_symlink() {
            next_graft::platform::symlink(&fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

/// Runs the binary with `--project <project>` appended.
pub fn run(args: &[&str], project: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_next-graft"))
        .args(args)
        .arg("--project")
        .arg(project)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The unfixed findings' slugs, in output order.
pub fn slugs(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fixed"] != true)
        .map(|f| f["slug"].as_str().unwrap().to_string())
        .collect()
}

/// Every path below `dir` with its kind, size, content digest, mode and mtime: equal hashes
/// mean nothing was written.
pub fn tree_hash(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.unwrap();
        let meta = entry.path().symlink_metadata().unwrap();
        let content = if meta.is_file() {
            let bytes = fs::read(entry.path()).unwrap();
            format!("{:x}", fnv(&bytes))
        } else if meta.file_type().is_symlink() {
            fs::read_link(entry.path()).unwrap().display().to_string()
        } else {
            String::new()
        };
        let rel = entry.path().strip_prefix(dir).unwrap().to_path_buf();
        out.insert(
            rel,
            format!(
                "{:?} {} {} {:?}",
                meta.permissions(),
                meta.len(),
                content,
                meta.modified().ok()
            ),
        );
    }
    out
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x100000001b3)
    })
}
