//! Helpers shared by the `tests/hardening_*.rs` suites (issue 9): scratch copies of the fixture
//! builds, running the binary (optionally as an unprivileged user, optionally with a failpoint),
//! and content snapshots that compare trees across directories.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const V14: &str = "next-14.2.35-v14-isr";
pub const V15_1: &str = "next-15.1.12-v15-1-preload";
pub const V15_5: &str = "next-15.5.29-v15-5";
pub const V16_4: &str = "next-16.4.6-v16-4";

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Copies a tree, recreating symlinks as symlinks.
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in walkdir::WalkDir::new(from).follow_links(false).min_depth(1) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        let kind = entry.file_type();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path()).unwrap(), &dest).unwrap();
        } else if kind.is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// `<tmp>/app`: a copy of a fixture; the rest of `<tmp>` is "outside the project".
pub struct Scratch {
    pub tmp: tempfile::TempDir,
}

impl Scratch {
    pub fn new(name: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(&fixture(name), &tmp.path().join("app"));
        Self { tmp }
    }
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }
    pub fn app(&self) -> PathBuf {
        self.tmp.path().join("app")
    }
    pub fn path(&self, rel: &str) -> PathBuf {
        self.app().join(rel)
    }
    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap()
    }
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    pub fn remove(&self, rel: &str) {
        let p = self.path(rel);
        if fs::symlink_metadata(&p).unwrap().is_dir() {
            fs::remove_dir_all(p).unwrap();
        } else {
            fs::remove_file(p).unwrap();
        }
    }
}

pub struct Run {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn describe(&self) -> String {
        format!(
            "code {:?} signal {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.signal, self.stdout, self.stderr
        )
    }
}

pub fn command(project: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_next-graft"));
    c.args(args)
        .arg("--project")
        .arg(project)
        .args(["--color", "never"])
        .env("NO_COLOR", "1")
        .env_remove("NEXT_GRAFT_FAILPOINT")
        .stdin(Stdio::null());
    c
}

pub fn finish(out: std::process::Output) -> Run {
    Run {
        code: out.status.code(),
        signal: out.status.signal(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run(project: &Path, args: &[&str]) -> Run {
    finish(command(project, args).output().unwrap())
}

pub fn run_with_failpoint(project: &Path, args: &[&str], point: &str) -> Run {
    finish(
        command(project, args)
            .env("NEXT_GRAFT_FAILPOINT", point)
            .output()
            .unwrap(),
    )
}

pub fn is_root() -> bool {
    // SAFETY: a plain getter.
    unsafe { libc::geteuid() == 0 }
}

/// Runs the binary as `nobody` (uid/gid 65534) when the tests run as root, so that permission
/// bits apply (root ignores them); as the current user otherwise. The tree must be reachable by
/// that user: see [`open_to_others`].
pub fn run_unprivileged(project: &Path, args: &[&str]) -> Run {
    if !is_root() {
        return run(project, args);
    }
    let mut c = Command::new("setpriv");
    c.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
        env!("CARGO_BIN_EXE_next-graft"),
    ])
    .args(args)
    .arg("--project")
    .arg(project)
    .args(["--color", "never"])
    .env("NO_COLOR", "1")
    .env_remove("NEXT_GRAFT_FAILPOINT")
    .stdin(Stdio::null());
    finish(c.output().unwrap())
}

/// Makes `dir` and its ancestors traversable by everyone (a tempdir is 0700).
pub fn open_to_others(dir: &Path) {
    for d in dir.ancestors() {
        if let Ok(m) = fs::metadata(d) {
            let mode = m.permissions().mode();
            if mode & 0o005 != 0o005 {
                let _ = fs::set_permissions(d, fs::Permissions::from_mode(mode | 0o005));
            }
        }
    }
}

/// Every entry below `dir`, keyed by relative path: kind, mode, size, mtime (ns), content hash
/// or link target. Equal snapshots mean nothing was written.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    entries(dir, true)
}

/// As [`snapshot`] without mtimes, and without the edge store (`.next/cache/next-graft`):
/// compares trees in different directories or runs. The store is a cache that only a graft
/// that wrote the tree, and ran to its end, leaves: an interrupted run's rerun that finds
/// nothing left to do converges to the same tree without one.
pub fn contents(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = entries(dir, false);
    out.retain(|rel, _| !rel.ancestors().any(|a| a.ends_with("cache/next-graft")));
    // And a `cache` directory that this leaves empty (only the store made it: the fixtures
    // have none).
    let emptied: Vec<PathBuf> = out
        .keys()
        .filter(|rel| {
            rel.ends_with("cache") && !out.keys().any(|k| k != *rel && k.starts_with(rel))
        })
        .cloned()
        .collect();
    for rel in emptied {
        out.remove(&rel);
    }
    out
}

fn entries(dir: &Path, with_time: bool) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let entry = entry.unwrap();
        let meta = entry.path().symlink_metadata().unwrap();
        let rel = entry.path().strip_prefix(dir).unwrap().to_path_buf();
        let time = if with_time {
            format!(" {}.{}", meta.mtime(), meta.mtime_nsec())
        } else {
            String::new()
        };
        let what = if meta.file_type().is_symlink() {
            format!("link {}", fs::read_link(entry.path()).unwrap().display())
        } else if meta.is_dir() {
            format!("dir {:o}{time}", meta.permissions().mode())
        } else {
            format!(
                "file {:o} {} {:x}{time}",
                meta.permissions().mode(),
                meta.len(),
                fnv(&fs::read(entry.path()).unwrap())
            )
        };
        out.insert(rel, what);
    }
    out
}

pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x100000001b3)
    })
}

pub fn diff(before: &BTreeMap<PathBuf, String>, after: &BTreeMap<PathBuf, String>) -> String {
    let mut d = String::new();
    for (k, v) in before {
        match after.get(k) {
            None => d += &format!("- {} {v}\n", k.display()),
            Some(w) if w != v => d += &format!("~ {} {v} -> {w}\n", k.display()),
            _ => {}
        }
    }
    for (k, v) in after {
        if !before.contains_key(k) {
            d += &format!("+ {} {v}\n", k.display());
        }
    }
    d
}

#[track_caller]
pub fn assert_same(before: &BTreeMap<PathBuf, String>, after: &BTreeMap<PathBuf, String>) {
    if before != after {
        panic!("the tree changed:\n{}", diff(before, after));
    }
}

/// Entries of a snapshot of `<tmp>` that are not below `app/<dist>`.
pub fn outside_dist(snap: &BTreeMap<PathBuf, String>, dist: &str) -> BTreeMap<PathBuf, String> {
    let dist = Path::new("app").join(dist);
    snap.iter()
        .filter(|(p, _)| !p.starts_with(&dist))
        .map(|(p, v)| (p.clone(), v.clone()))
        .collect()
}

pub fn is_staging(name: &OsStr) -> bool {
    next_graft::apply::is_staging_name(name)
}

/// The bad-input contract: exit 2, stdout empty, one stderr line `next-graft: error: …`
/// containing `needle`, and the whole scratch dir (mtimes included) unchanged.
#[track_caller]
pub fn assert_bad_input(root: &Path, project: &Path, args: &[&str], needle: &str) {
    let before = snapshot(root);
    let r = run(project, args);
    check_bad_input(&r, args, needle);
    assert_same(&before, &snapshot(root));
}

#[track_caller]
pub fn check_bad_input(r: &Run, args: &[&str], needle: &str) {
    assert_eq!(r.code, Some(2), "{args:?}: {}", r.describe());
    assert!(r.stdout.is_empty(), "{args:?}: {}", r.describe());
    let line = r.stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "{args:?}: {}", r.describe());
    assert!(
        line.starts_with("next-graft: error: "),
        "{args:?}: {}",
        r.describe()
    );
    assert!(
        line.contains(needle),
        "{args:?}: {line:?} does not contain {needle:?}"
    );
    assert!(!line.contains("panicked"), "{line}");
}
