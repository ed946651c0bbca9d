//! `apply`: performs a `Plan`. Every write is staged beside its target (a temporary file in the
//! same directory) and only renamed into place once every write of the plan has been staged, so
//! an error leaves nothing half-written. Nothing is ever written outside `<project>/<distDir>` or
//! through a symlink, and a file whose new content equals the old one is not written at all: a
//! second run writes nothing.
//!
//! Interruptions: a run killed at any point leaves every target either old or new (renames are
//! atomic), plus at most some `.next-graft.*.tmp` / `.link` staging files, which the next run
//! removes from the directories it writes to before staging. Two runs never interleave: `graft`
//! holds [`lock`] (an OS file lock on the distDir, released by the OS when a process dies)
//! from reading the manifests to the end of apply. Test-only fault injection: [`failpoint`].
//!
//! Durability ([`Durability`]): by default the writes are left to the kernel's page cache, like
//! `next build` leaves the build it just wrote, and like `cp`. `--fsync` adds two syncs
//! ([`crate::platform::sync_to_disk`]: staged data before the first rename, the renames at the
//! end): they survive a power loss, at the price (on Linux, one `syncfs(2)`) of waiting for
//! every dirty page of the file system, other processes' included (docs/performance.md measured
//! 0.7 s of a 0.3 s-CPU graft on a busy machine).

use crate::layout::{is_within, normalize, Layout};
use crate::manifest::{find_literal, CopyKind, LiteralTarget};
use crate::plan::{apply_edits, Action, ConfigEdit, Plan};
use crate::InputError;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use tempfile::TempPath;

/// What was written.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Applied {
    pub copied: Vec<PathBuf>,
    pub linked: Vec<PathBuf>,
    pub rewritten: Vec<PathBuf>,
}

impl Applied {
    pub fn wrote_anything(&self) -> bool {
        !(self.copied.is_empty() && self.linked.is_empty() && self.rewritten.is_empty())
    }
}

/// A staged write: a temporary path beside its target.
enum Staged {
    File(TempPath),
    Link(LinkGuard),
}

impl Staged {
    fn path(&self) -> &Path {
        match self {
            Staged::File(temp) => temp,
            Staged::Link(guard) => &guard.path,
        }
    }
}

/// A temporary symlink, removed unless renamed into place.
struct LinkGuard {
    path: PathBuf,
    armed: bool,
}

impl Drop for LinkGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Directories created while staging; removed again (when still empty) if staging fails.
#[derive(Default)]
struct CreatedDirs(Vec<PathBuf>);

impl CreatedDirs {
    fn rollback(&mut self) {
        for dir in self.0.drain(..).rev() {
            let _ = fs::remove_dir(&dir);
        }
    }
}

fn err(path: &Path, what: impl std::fmt::Display) -> InputError {
    InputError::new(format!("{}: {what}", path.display()))
}

/// How far the writes are taken before `apply` returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// Atomic against a killed process (renames); reaching the disk is left to the kernel, as for
    /// the build output itself.
    #[default]
    PageCache,
    /// Also synced to disk before the first rename and after the last (`--fsync`): atomic and
    /// durable across a power loss or kernel crash.
    Disk,
}

/// Performs the plan. On error nothing of the plan is in place (staged files are removed, and
/// directories created for them too).
pub fn apply(layout: &Layout, plan: &Plan, durability: Durability) -> Result<Applied, InputError> {
    let allowed = normalize(&layout.dist_dir);
    let mut plain_dirs = PlainDirs::default();
    let mut missing = std::collections::HashSet::new();
    for action in &plan.actions {
        check_destination(&allowed, action, &mut plain_dirs, &mut missing)?;
    }
    remove_stale_staging(&allowed, plan);
    let mut created = CreatedDirs::default();
    match stage_all(&allowed, plan, &mut created, &mut plain_dirs).and_then(|staged| {
        // The staged data reaches the disk before any rename makes it visible.
        if durability == Durability::Disk && !staged.is_empty() {
            let paths: Vec<&Path> = staged.iter().map(|(w, _)| w.staged.path()).collect();
            sync_filesystem(&allowed, &paths)?;
            failpoint("synced:staged");
        }
        Ok(staged)
    }) {
        Ok(staged) => {
            failpoint("staged");
            commit(&allowed, staged, durability)
        }
        Err(e) => {
            created.rollback();
            Err(e)
        }
    }
}

/// Holds the distDir lock while alive (see [`lock`]).
pub type DistLock = crate::platform::DistLock;

/// Takes the exclusive lock on the distDir ([`crate::platform::DistLock`]: no lock file on unix,
/// and a killed holder releases it). When another run holds it, prints one line on stderr and
/// waits. `Ok(None)` when the distDir does not exist (nothing to protect; the caller fails on
/// the missing build).
pub fn lock(dist_dir: &Path) -> Result<Option<DistLock>, InputError> {
    lock_as(dist_dir, crate::platform::LockKind::Exclusive)
}

/// [`lock`] for a run that only reads (`check`): shared with other readers, and it waits while
/// a graft holds the exclusive lock, so it never reads a half-applied tree.
pub fn lock_shared(dist_dir: &Path) -> Result<Option<DistLock>, InputError> {
    lock_as(dist_dir, crate::platform::LockKind::Shared)
}

fn lock_as(
    dist_dir: &Path,
    kind: crate::platform::LockKind,
) -> Result<Option<DistLock>, InputError> {
    use crate::platform::LockAttempt;
    let cannot = |e: std::io::Error| err(dist_dir, format!("cannot lock: {e}"));
    match DistLock::try_acquire(dist_dir, kind).map_err(cannot)? {
        None => Ok(None),
        Some(LockAttempt::Acquired(lock)) => Ok(Some(lock)),
        Some(LockAttempt::Busy) => {
            eprintln!(
                "next-graft: waiting for another next-graft run on {} to finish",
                dist_dir.display()
            );
            DistLock::acquire(dist_dir, kind).map_err(cannot)
        }
    }
}

/// Whether `name` is one of apply's staging files (`.next-graft.*.tmp`, `.next-graft.*.link`).
pub fn is_staging_name(name: &std::ffi::OsStr) -> bool {
    let name = name.as_encoded_bytes();
    name.starts_with(b".next-graft.") && (name.ends_with(b".tmp") || name.ends_with(b".link"))
}

/// Removes staging files that a killed run left in the directories this plan writes to (the
/// caller holds the lock, so no live run owns them). Never follows a symlink; a directory on
/// the way that is a symlink is skipped (`check_destination` refused it already).
fn remove_stale_staging(allowed: &Path, plan: &Plan) {
    let mut dirs: Vec<&Path> = plan
        .actions
        .iter()
        .filter_map(|a| a.destination().parent())
        .filter(|d| is_within(d, allowed))
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        if !fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let stale = is_staging_name(&entry.file_name())
                && entry
                    .file_type()
                    .is_ok_and(|t| t.is_file() || t.is_symlink());
            if stale {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Test-only fault injection, compiled into debug builds (every test build) and into builds
/// with the `failpoints` feature; a release build has none. `NEXT_GRAFT_FAILPOINT=<point>`
/// stops the process at once (`SIGKILL`, or `abort` on Windows: no destructor runs, no staging file is removed, as
/// with `kill -9`) when it reaches `<point>`: a name (`staged`, `stage:<i>`, `commit:<i>`,
/// `committed`; with `Durability::Disk` also `synced:staged` and `synced:committed`, after each
/// sync) or `#<n>` for the n-th point reached. `<point>=pause:<ms>` sleeps there instead
/// (to make two runs overlap in a test).
#[cfg(any(debug_assertions, feature = "failpoints"))]
pub fn failpoint(name: &str) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static HITS: AtomicUsize = AtomicUsize::new(0);
    let Some(spec) = std::env::var_os("NEXT_GRAFT_FAILPOINT") else {
        return;
    };
    let spec = spec.to_string_lossy();
    let n = HITS.fetch_add(1, Ordering::SeqCst) + 1;
    let (point, action) = spec.split_once('=').unwrap_or((&spec, "kill"));
    let hit = point == name || point.strip_prefix('#').and_then(|i| i.parse().ok()) == Some(n);
    if !hit {
        return;
    }
    if let Some(ms) = action.strip_prefix("pause:").and_then(|m| m.parse().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
        return;
    }
    crate::platform::die_now();
}

/// Release builds without the `failpoints` feature: no fault injection.
#[cfg(not(any(debug_assertions, feature = "failpoints")))]
#[inline(always)]
pub fn failpoint(_name: &str) {}

struct StagedWrite {
    staged: Staged,
    target: PathBuf,
    action: usize,
    /// A copy of a source whose text the trace read, unchanged since: that text.
    known: Option<crate::trace::KnownText>,
}

/// Stages every write of the plan: first the directories they need, in plan order, then the
/// writes themselves on two threads, each taking a contiguous half of the plan. The plan is
/// sorted by destination, so each half's files mostly share directories the other does not
/// write to, and file creation in different directories proceeds in parallel in the file
/// system: on a settled ext4, two `cp` processes copied the realistic closure in 11.2 ms against
/// 14.5 ms for one. Not more than two: an earlier round measured four threads slower than one
/// right after a mass deletion (docs/performance.md). On an error nothing stays staged: the
/// error of the first failing action in plan order is returned, every staged write is dropped
/// (which removes it), and the caller removes the directories.
fn stage_all(
    allowed: &Path,
    plan: &Plan,
    created: &mut CreatedDirs,
    plain_dirs: &mut PlainDirs,
) -> Result<Vec<(StagedWrite, &'static str)>, InputError> {
    for action in &plan.actions {
        if let Action::CopyFile { to: dest, .. }
        | Action::WriteFile { to: dest, .. }
        | Action::CreateSymlink { path: dest, .. } = action
        {
            ensure_dir(
                allowed,
                dest.parent().unwrap_or(allowed),
                created,
                plain_dirs,
            )?;
        }
    }
    let actions: Vec<(usize, &Action)> = plan.actions.iter().enumerate().collect();
    // A part whose thread panicked dropped (so removed) what it staged; it is staged again.
    let parts = crate::parallel::by_parts(&actions, 2, 32, |part| stage_part(allowed, part));
    let mut out = Vec::new();
    let mut first_error: Option<(usize, InputError)> = None;
    for part in parts {
        match part {
            Ok(staged) => out.extend(staged),
            Err((index, e)) => {
                if first_error.as_ref().is_none_or(|(first, _)| index < *first) {
                    first_error = Some((index, e));
                }
            }
        }
    }
    match first_error {
        // `out` is dropped here: every staged write is removed.
        Some((_, e)) => Err(e),
        None => Ok(out),
    }
}

/// Stages a contiguous run of the plan, in order; stops at the first error (with its action's
/// index), dropping what it staged.
fn stage_part(
    allowed: &Path,
    part: &[(usize, &Action)],
) -> Result<Vec<(StagedWrite, &'static str)>, (usize, InputError)> {
    let mut out = Vec::with_capacity(part.len());
    for &(index, action) in part {
        if let Some(write) = stage_one(allowed, index, action).map_err(|e| (index, e))? {
            out.push(write);
        }
    }
    Ok(out)
}

/// Stages one action (`None`: a config copy whose text would not change).
fn stage_one(
    allowed: &Path,
    index: usize,
    action: &Action,
) -> Result<Option<(StagedWrite, &'static str)>, InputError> {
    let target = action.destination().to_path_buf();
    let mut known = None;
    let staged = match action {
        Action::CopyFile { from, .. } => {
            let meta = fs::metadata(from).map_err(|e| err(from, format!("cannot read: {e}")))?;
            if !meta.is_file() {
                return Err(err(from, "not a regular file"));
            }
            let mut source =
                fs::File::open(from).map_err(|e| err(from, format!("cannot read: {e}")))?;
            let temp = stage_file(
                &target,
                |file| {
                    // The kernel copies (`copy_file_range` on Linux: as fast as read and write
                    // for the small files, faster on the large closure, docs/performance.md).
                    std::io::copy(&mut source, file)?;
                    // The source as it is after the copy: when that is the state the trace read
                    // (same stamp before and after), the copy holds the text the trace knows,
                    // and the verification after apply need not read it again.
                    let after = source.metadata()?;
                    if crate::platform::file_stamp(&after) == crate::platform::file_stamp(&meta) {
                        known = crate::trace::known_text(from, &after);
                    }
                    Ok(())
                },
                Some(meta.permissions()),
            )?;
            (Staged::File(temp), "copied")
        }
        Action::WriteFile { contents, .. } => {
            let temp = stage_file(
                &target,
                |f| f.write_all(contents.as_bytes()),
                crate::platform::new_file_permissions(),
            )?;
            (Staged::File(temp), "copied")
        }
        Action::CreateSymlink {
            path,
            target: link_target,
        } => {
            if link_target.is_absolute()
                || !is_within(&path.parent().unwrap_or(allowed).join(link_target), allowed)
            {
                return Err(err(
                    path,
                    format!(
                        "refusing a symlink to {} (outside the build output)",
                        link_target.display()
                    ),
                ));
            }
            let parent = path.parent().unwrap_or(allowed);
            let temp = parent.join(format!(".next-graft.{}.{index}.link", std::process::id()));
            let _ = fs::remove_file(&temp);
            crate::platform::symlink(link_target, &temp)
                .map_err(|e| err(path, format!("cannot create symlink: {e}")))?;
            (
                Staged::Link(LinkGuard {
                    path: temp,
                    armed: true,
                }),
                "linked",
            )
        }
        Action::RewriteConfig { file, kind, edits } => {
            let text =
                fs::read_to_string(file).map_err(|e| err(file, format!("cannot read: {e}")))?;
            let new = render_config(*kind, file, &text, edits)?;
            if new == text {
                return Ok(None);
            }
            let permissions = fs::metadata(file)
                .map_err(|e| err(file, format!("cannot read: {e}")))?
                .permissions();
            let temp = stage_file(file, |f| f.write_all(new.as_bytes()), Some(permissions))?;
            (Staged::File(temp), "rewritten")
        }
    };
    failpoint(&format!("stage:{index}"));
    Ok(Some((
        StagedWrite {
            staged: staged.0,
            target,
            action: index,
            known,
        },
        staged.1,
    )))
}

/// Makes `paths` (under `dir`) durable, naming `dir` in the error.
fn sync_filesystem(dir: &Path, paths: &[&Path]) -> Result<(), InputError> {
    crate::platform::sync_to_disk(dir, paths).map_err(|e| err(dir, format!("cannot sync: {e}")))
}

/// Renames every staged write into place, then syncs the file system (the renames).
///
/// In plan order by kind: the links first, then the files, then the config rewrites last, so
/// that a config never names a file not yet in place. The files' renames run on two threads,
/// each a contiguous half (the plan is sorted by destination, so the halves rename in mostly
/// different directories, which the file system serves in parallel): one after another they
/// were the largest serial part of a fresh graft (perf: 3.7 of 4.8 ms in `commit`, realistic).
/// On an error the renames made stay (each one is whole), the rest are dropped, which removes
/// them, and the error of the first failing write in plan order is returned.
fn commit(
    allowed: &Path,
    staged: Vec<(StagedWrite, &'static str)>,
    durability: Durability,
) -> Result<Applied, InputError> {
    let mut applied = Applied::default();
    let wrote = !staged.is_empty();
    let mut order: Vec<(StagedWrite, &'static str)> = staged;
    order.sort_by_key(|(w, _)| w.action);
    // Links, files, config rewrites: the plan's own order, so three contiguous runs.
    let files_start = order.partition_point(|(w, _)| matches!(w.staged, Staged::Link(_)));
    let files_end =
        files_start + order[files_start..].partition_point(|(_, what)| *what == "copied");
    let outcomes: Vec<Result<(), InputError>> = {
        let (links, rest) = order.split_at(files_start);
        let (files, rewrites) = rest.split_at(files_end - files_start);
        let mut outcomes: Vec<_> = links.iter().map(|(w, _)| rename_into_place(w)).collect();
        if outcomes.iter().all(Result::is_ok) {
            let halves = crate::parallel::by_parts(files, 2, 32, |part| {
                part.iter()
                    .map(|(w, _)| rename_into_place(w))
                    .collect::<Vec<_>>()
            });
            outcomes.extend(halves.into_iter().flatten());
        }
        if outcomes.iter().all(Result::is_ok) {
            outcomes.extend(rewrites.iter().map(|(w, _)| rename_into_place(w)));
        }
        outcomes
    };
    let mut written_dirs: Vec<PathBuf> = Vec::new();
    let mut first_error = None;
    let mut outcomes = outcomes.into_iter();
    for (write, what) in order {
        match outcomes.next() {
            Some(Ok(())) => {}
            Some(Err(e)) => {
                first_error.get_or_insert(e);
                continue;
            }
            // Not tried (a group before it failed): dropped, so removed.
            None => continue,
        }
        let target = write.target;
        match write.staged {
            Staged::File(temp) => {
                let _ = temp.keep();
            }
            Staged::Link(mut guard) => guard.armed = false,
        }
        if let Some(dir) = target.parent() {
            if written_dirs.last().map(PathBuf::as_path) != Some(dir) {
                written_dirs.push(dir.to_path_buf());
            }
        }
        match what {
            "copied" => applied.copied.push(target),
            "linked" => applied.linked.push(target),
            _ => applied.rewritten.push(target),
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    failpoint("committed");
    if wrote && durability == Durability::Disk {
        written_dirs.sort();
        written_dirs.dedup();
        let dirs: Vec<&Path> = written_dirs.iter().map(PathBuf::as_path).collect();
        let _ = sync_filesystem(allowed, &dirs);
        failpoint("synced:committed");
    }
    Ok(applied)
}

/// Renames one staged write over its target. Its guard still holds the staged path: the caller
/// disarms it when this succeeded (a failed one is removed when dropped).
fn rename_into_place(write: &StagedWrite) -> Result<(), InputError> {
    let target = &write.target;
    crate::platform::rename_replacing(write.staged.path(), target)
        .map_err(|e| err(target, format!("cannot rename into place: {e}")))?;
    // Stamped after the rename, which sets the inode's ctime.
    if let (Some(text), Ok(meta)) = (write.known, fs::symlink_metadata(target)) {
        crate::trace::remember(target, text, crate::platform::file_stamp(&meta));
    }
    failpoint(&format!("commit:{}", write.action));
    Ok(())
}

fn stage_file(
    target: &Path,
    write: impl FnOnce(&mut fs::File) -> std::io::Result<()>,
    permissions: Option<fs::Permissions>,
) -> Result<TempPath, InputError> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".next-graft.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| err(target, format!("cannot stage a write: {e}")))?;
    write(temp.as_file_mut()).map_err(|e| err(target, format!("cannot write: {e}")))?;
    // Not synced here: with `Durability::Disk`, `apply` syncs the file system once after staging
    // everything.
    if let Some(permissions) = permissions {
        // Through the open file: no second walk of the path.
        temp.as_file()
            .set_permissions(permissions)
            .map_err(|e| err(target, format!("cannot set permissions: {e}")))?;
    }
    Ok(temp.into_temp_path())
}

/// Creates `dir` and its missing ancestors below `allowed`, recording each one created. Refuses a
/// symlink (or a non-directory) on the way.
fn ensure_dir(
    allowed: &Path,
    dir: &Path,
    created: &mut CreatedDirs,
    plain_dirs: &mut PlainDirs,
) -> Result<(), InputError> {
    let rel = dir
        .strip_prefix(allowed)
        .map_err(|_| err(dir, "outside the build output; refusing to write"))?;
    let mut current = allowed.to_path_buf();
    for part in rel.components() {
        current.push(part.as_os_str());
        if plain_dirs.0.contains(&current) {
            continue;
        }
        plain_dirs.0.insert(current.clone());
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(err(&current, "is a symlink; refusing to write through it"))
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(err(&current, "is not a directory")),
            Err(_) => {
                fs::create_dir(&current)
                    .map_err(|e| err(&current, format!("cannot create directory: {e}")))?;
                created.0.push(current.clone());
            }
        }
    }
    Ok(())
}

/// Directories below the distDir already seen to be no symlink in this run: thousands of
/// destinations share a few hundred directories, each checked once.
#[derive(Default)]
struct PlainDirs(std::collections::HashSet<PathBuf>);

/// Every destination must be a plain path strictly inside the distDir, with no symlink on the
/// way; files to replace must be regular files, links to replace must be links.
fn check_destination(
    allowed: &Path,
    action: &Action,
    plain_dirs: &mut PlainDirs,
    missing: &mut std::collections::HashSet<PathBuf>,
) -> Result<(), InputError> {
    let dest = action.destination();
    let plain = dest.is_absolute()
        && dest.components().all(|c| {
            matches!(
                c,
                Component::Prefix(_) | Component::RootDir | Component::Normal(_)
            )
        });
    if !plain || normalize(dest) != dest || !is_within(dest, allowed) || dest == allowed {
        return Err(err(
            dest,
            format!(
                "refusing to write outside the build output {}",
                allowed.display()
            ),
        ));
    }
    let rel = dest.strip_prefix(allowed).unwrap_or(dest);
    let mut current = allowed.to_path_buf();
    let parts: Vec<_> = rel.components().collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        current.push(part.as_os_str());
        if plain_dirs.0.contains(&current) {
            continue;
        }
        // A directory that does not exist has nothing below it, no symlink and no file to
        // replace (nothing is created before every destination is checked): thousands of new
        // files share a few new directories, each looked at once.
        if missing.contains(&current) {
            return Ok(());
        }
        let meta = fs::symlink_metadata(&current);
        if meta.as_ref().is_ok_and(|m| m.is_dir()) {
            plain_dirs.0.insert(current.clone());
        }
        if matches!(&meta, Err(e) if e.kind() == std::io::ErrorKind::NotFound) {
            missing.insert(current);
            return Ok(());
        }
        if meta.is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(err(
                dest,
                format!(
                    "{} is a symlink; refusing to write through it",
                    current.display()
                ),
            ));
        }
    }
    if let Ok(meta) = fs::symlink_metadata(dest) {
        let ok = match action {
            Action::CreateSymlink { .. } => meta.file_type().is_symlink(),
            _ => meta.is_file(),
        };
        if !ok {
            return Err(err(
                dest,
                "exists and is of another type; refusing to replace it",
            ));
        }
    }
    Ok(())
}

/// The new text of one config copy after `edits`, every other byte kept:
/// - `server.js`: the `const nextConfig = {…}` literal is replaced by the compact JSON of the
///   edited object (what `JSON.stringify` writes for these values);
/// - `required-server-files.js`: the manifest literal is replaced by its 2-space pretty JSON;
/// - `required-server-files.json`: in the style it was written (2-space pretty, or compact as
///   in 14.x), with the trailing newline kept.
pub fn render_config(
    kind: CopyKind,
    path: &Path,
    text: &str,
    edits: &[ConfigEdit],
) -> Result<String, InputError> {
    let invalid = |e: serde_json::Error| err(path, format!("invalid JSON: {e}"));
    match kind {
        CopyKind::ServerJs => {
            let span = find_literal(path, text, LiteralTarget::NextConfig)?;
            let mut config: Map<String, Value> =
                serde_json::from_str(&text[span.clone()]).map_err(invalid)?;
            apply_edits(&mut config, edits);
            let literal = serde_json::to_string(&config).map_err(invalid)?;
            Ok(splice(text, span, &literal))
        }
        CopyKind::ProjectJs => {
            let span = find_literal(path, text, LiteralTarget::ServerFilesManifest)?;
            let mut manifest: Map<String, Value> =
                serde_json::from_str(&text[span.clone()]).map_err(invalid)?;
            edit_manifest_config(path, &mut manifest, edits)?;
            let literal = serde_json::to_string_pretty(&manifest).map_err(invalid)?;
            Ok(splice(text, span, &literal))
        }
        CopyKind::ProjectJson | CopyKind::StandaloneJson => {
            let mut manifest: Map<String, Value> = serde_json::from_str(text).map_err(invalid)?;
            edit_manifest_config(path, &mut manifest, edits)?;
            // Next writes these pretty (2 spaces) from 15.x on, compact before: keep the style.
            let pretty = text.trim_start().starts_with("{\n");
            let mut out = if pretty {
                serde_json::to_string_pretty(&manifest)
            } else {
                serde_json::to_string(&manifest)
            }
            .map_err(invalid)?;
            if text.ends_with('\n') {
                out.push('\n');
            }
            Ok(out)
        }
    }
}

fn edit_manifest_config(
    path: &Path,
    manifest: &mut Map<String, Value>,
    edits: &[ConfigEdit],
) -> Result<(), InputError> {
    match manifest.get_mut("config") {
        Some(Value::Object(config)) => {
            apply_edits(config, edits);
            Ok(())
        }
        _ => Err(err(path, "no `config` object in the manifest")),
    }
}

fn splice(text: &str, span: std::ops::Range<usize>, literal: &str) -> String {
    let mut out = String::with_capacity(text.len() + literal.len());
    out.push_str(&text[..span.start]);
    out.push_str(literal);
    out.push_str(&text[span.end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{key_path, EditReason};
    use serde_json::json;

    fn fixtures() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut out: Vec<PathBuf> = fs::read_dir(root)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join(".next").is_dir())
            .collect();
        out.sort();
        out
    }

    /// With no edits, every copy of every fixture renders byte-identical.
    #[test]
    fn config_copies_round_trip_byte_identical() {
        let mut seen = 0;
        for fixture in fixtures() {
            let copies = [
                (CopyKind::ProjectJson, ".next/required-server-files.json"),
                (CopyKind::ProjectJs, ".next/required-server-files.js"),
                (
                    CopyKind::StandaloneJson,
                    ".next/standalone/.next/required-server-files.json",
                ),
                (CopyKind::ServerJs, ".next/standalone/server.js"),
            ];
            for (kind, rel) in copies {
                let path = fixture.join(rel);
                let Ok(text) = fs::read_to_string(&path) else {
                    continue;
                };
                let out = render_config(kind, &path, &text, &[]).unwrap();
                assert!(out == text, "{} does not round-trip", path.display());
                seen += 1;
            }
        }
        assert!(seen >= 13, "only {seen} copies checked");
    }

    #[test]
    fn server_js_splice_changes_only_the_value() {
        let fixture = fixtures()
            .into_iter()
            .find(|f| f.to_string_lossy().contains("15.1"))
            .unwrap();
        let path = fixture.join(".next/standalone/server.js");
        let text = fs::read_to_string(&path).unwrap();
        let edits = [ConfigEdit {
            path: key_path("experimental.preloadEntriesOnStart"),
            value: Some(json!(false)),
            reason: EditReason::PreloadBug,
        }];
        let out = render_config(CopyKind::ServerJs, &path, &text, &edits).unwrap();
        assert_eq!(
            out,
            text.replace(
                "\"preloadEntriesOnStart\":true",
                "\"preloadEntriesOnStart\":false"
            )
        );
        assert_ne!(out, text);
    }

    #[test]
    fn js_twin_splice_changes_only_the_value() {
        let fixture = fixtures()
            .into_iter()
            .find(|f| f.to_string_lossy().contains("16.4"))
            .unwrap();
        let path = fixture.join(".next/required-server-files.js");
        let text = fs::read_to_string(&path).unwrap();
        let edits = [ConfigEdit {
            path: key_path("cacheHandlers.default"),
            value: Some(json!("../elsewhere.mjs")),
            reason: EditReason::HandlerPath,
        }];
        let out = render_config(CopyKind::ProjectJs, &path, &text, &edits).unwrap();
        assert_eq!(
            out,
            text.replace(
                "\"default\": \"../use-cache-handler.mjs\"",
                "\"default\": \"../elsewhere.mjs\""
            )
        );
        assert_ne!(out, text);
    }

    /// Staging runs on several threads (`stage_all`): in a plan long enough to be split, a
    /// failing copy in any part leaves nothing staged and no directory created, and the error
    /// names the first failing action in plan order; without a failure every copy lands.
    #[test]
    fn parallel_staging_fails_whole_and_names_the_first_failure() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        let allowed = dir.path().join(".next");
        fs::create_dir_all(&src).unwrap();
        fs::create_dir_all(allowed.join("standalone")).unwrap();
        let n = 200;
        for i in 0..n {
            fs::write(src.join(format!("f{i:03}.js")), format!("// {i}\n")).unwrap();
        }
        let plan_with = |missing: &[usize]| Plan {
            actions: (0..n)
                .map(|i| Action::CopyFile {
                    from: if missing.contains(&i) {
                        src.join(format!("missing{i:03}.js"))
                    } else {
                        src.join(format!("f{i:03}.js"))
                    },
                    to: allowed.join(format!("standalone/d{}/f{i:03}.js", i / 10)),
                    handlers: vec![],
                    replaces: false,
                })
                .collect(),
            findings: vec![],
        };
        let listing = || {
            let mut all: Vec<PathBuf> = walkdir::WalkDir::new(&allowed)
                .into_iter()
                .map(|e| e.unwrap().into_path())
                .collect();
            all.sort();
            all
        };
        let before = listing();
        for missing in [vec![170], vec![60, 170], vec![199], vec![0]] {
            let mut created = CreatedDirs::default();
            let plan = plan_with(&missing);
            let staged = stage_all(&allowed, &plan, &mut created, &mut PlainDirs::default());
            let error = staged.map(|_| ()).unwrap_err().to_string();
            created.rollback();
            let first = format!("missing{:03}.js", missing[0]);
            assert!(error.contains(&first), "{missing:?}: {error}");
            assert_eq!(listing(), before, "{missing:?}");
        }
        let plan = plan_with(&[]);
        let mut created = CreatedDirs::default();
        let staged = stage_all(&allowed, &plan, &mut created, &mut PlainDirs::default()).unwrap();
        let applied = commit(&allowed, staged, Durability::PageCache).unwrap();
        assert_eq!(applied.copied.len(), n);
        for i in 0..n {
            let copy = allowed.join(format!("standalone/d{}/f{i:03}.js", i / 10));
            assert_eq!(fs::read_to_string(copy).unwrap(), format!("// {i}\n"));
        }
        assert!(!listing()
            .iter()
            .any(|p| p.file_name().is_some_and(is_staging_name)));
    }

    /// The files' renames run on two threads. All succeed: every copy in place, reported in plan
    /// order. Some fail (their targets turned into non-empty directories after staging, in
    /// either half): the others are in place and whole, nothing staged is left, and the error
    /// names the first failing write in plan order.
    #[test]
    fn parallel_commit_renames_every_file_or_names_the_first_failure() {
        let n = 200;
        // A plan of `n` copies into 20 directories, staged.
        let staged_plan = || {
            let dir = tempfile::tempdir().unwrap();
            let src = dir.path().join("src");
            let allowed = dir.path().join(".next");
            fs::create_dir_all(&src).unwrap();
            fs::create_dir_all(allowed.join("standalone")).unwrap();
            for i in 0..n {
                fs::write(src.join(format!("f{i:03}.js")), format!("// {i}\n")).unwrap();
            }
            let plan = Plan {
                actions: (0..n)
                    .map(|i| Action::CopyFile {
                        from: src.join(format!("f{i:03}.js")),
                        to: allowed.join(format!("standalone/d{}/f{i:03}.js", i / 10)),
                        handlers: vec![],
                        replaces: false,
                    })
                    .collect(),
                findings: vec![],
            };
            let mut created = CreatedDirs::default();
            let staged =
                stage_all(&allowed, &plan, &mut created, &mut PlainDirs::default()).unwrap();
            (dir, allowed, staged)
        };
        let target =
            |allowed: &Path, i: usize| allowed.join(format!("standalone/d{}/f{i:03}.js", i / 10));

        let (_dir, allowed, staged) = staged_plan();
        let applied = commit(&allowed, staged, Durability::PageCache).unwrap();
        let expected: Vec<PathBuf> = (0..n).map(|i| target(&allowed, i)).collect();
        assert_eq!(applied.copied, expected, "reported in plan order");

        for failing in [vec![170], vec![60, 170], vec![199], vec![0, 150]] {
            let (_dir, allowed, staged) = staged_plan();
            for &i in &failing {
                fs::create_dir_all(target(&allowed, i).join("occupied")).unwrap();
            }
            let error = commit(&allowed, staged, Durability::PageCache)
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(
                error.contains(&format!("f{:03}.js", failing[0])),
                "{failing:?}: {error}"
            );
            for i in (0..n).filter(|i| !failing.contains(i)) {
                assert_eq!(
                    fs::read_to_string(target(&allowed, i)).unwrap(),
                    format!("// {i}\n"),
                    "{failing:?}: f{i:03}.js"
                );
            }
            let staging: Vec<PathBuf> = walkdir::WalkDir::new(&allowed)
                .into_iter()
                .map(|e| e.unwrap().into_path())
                .filter(|p| p.file_name().is_some_and(is_staging_name))
                .collect();
            assert!(staging.is_empty(), "{failing:?}: {staging:?}");
        }
    }

    #[test]
    fn refuses_destinations_outside_the_dist_dir() {
        let dir = tempfile::tempdir().unwrap();
        let allowed = dir.path().join(".next");
        fs::create_dir_all(allowed.join("standalone")).unwrap();
        let bad = [
            dir.path().join("escape.js"),
            allowed.join("standalone/../../escape.js"),
            allowed.clone(),
            PathBuf::from("relative/x.js"),
        ];
        for to in bad {
            let action = Action::CopyFile {
                from: dir.path().join("x"),
                to,
                handlers: vec![],
                replaces: false,
            };
            assert!(check_destination(
                &allowed,
                &action,
                &mut PlainDirs::default(),
                &mut Default::default()
            )
            .is_err());
        }
        // A symlink on the way is refused too (where this OS lets the test create one: a
        // Windows without Developer Mode, or Wine, does not).
        match crate::platform::symlink(dir.path(), &allowed.join("standalone/link")) {
            Ok(()) => {
                let action = Action::CopyFile {
                    from: dir.path().join("x"),
                    to: allowed.join("standalone/link/x.js"),
                    handlers: vec![],
                    replaces: false,
                };
                assert!(check_destination(
                    &allowed,
                    &action,
                    &mut PlainDirs::default(),
                    &mut Default::default()
                )
                .is_err());
            }
            Err(e) if cfg!(windows) => eprintln!("no symlink on this Windows: {e}"),
            Err(e) => panic!("symlink: {e}"),
        }
        let ok = Action::CopyFile {
            from: dir.path().join("x"),
            to: allowed.join("standalone/new/x.js"),
            handlers: vec![],
            replaces: false,
        };
        assert!(check_destination(
            &allowed,
            &ok,
            &mut PlainDirs::default(),
            &mut Default::default()
        )
        .is_ok());
    }
}
