//! `platform`: every difference between the operating systems next-graft runs on (Linux glibc and
//! musl, macOS, Windows; x64 and arm64), in one place. The stages call these functions and never
//! name an OS themselves; `unix.rs` and `windows.rs` beside this file hold the two
//! implementations, and `tests.rs` tests the portable contract feature by feature.
//!
//! | feature | Linux | macOS (other unix) | Windows |
//! |---|---|---|---|
//! | [`DistLock`] (exclusive for graft, shared for check) | `flock` on the distDir itself (std `File::lock`) | same | std `File::lock` on `<distDir>/.next-graft.lock`: a directory handle cannot be locked |
//! | [`sync_to_disk`] | one `syncfs(2)` for the whole file system | `fsync` per path (`F_FULLFSYNC` through std) | `FlushFileBuffers` per file; directories are journaled by NTFS |
//! | [`rename_replacing`] | `rename(2)` | same | `MoveFileEx`, retried while another process briefly holds the target (antivirus, indexer), like npm's graceful-fs |
//! | [`symlink`] | `symlink(2)` | same | a file or directory symbolic link (needs Developer Mode or admin rights; the error says so); a junction for an absolute directory target |
//! | [`canonicalize`] | std | std | std, minus the `\\?\` prefix when the path does not need it |
//! | [`spawn_group`] / [`stop_group`] | own process group, `SIGTERM` then `SIGKILL` | same | new process group, `taskkill /T /F` (the whole tree) |
//! | [`mount_namespace_available`] | `unshare -m` | never | never |
//! | [`die_now`] (failpoints) | `SIGKILL` to itself | same | `abort` (no destructor runs either) |
//! | [`file_stamp`] | device, inode, ctime, size, mtime | same | size, mtime |
//! | [`thread_cpu_time`] / [`process_cpu_time`] (phase timings) | `clock_gettime(CLOCK_THREAD_CPUTIME_ID)` / `getrusage` | same | `None` (the timings show wall time only) |

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;

#[cfg(test)]
mod tests;

/// A lock on one distDir: exclusive for a run that writes (graft), shared for one that only
/// reads (check), so a check never reads a half-applied tree. Released when dropped, and by the
/// OS when the process dies (no stale lock after a kill).
#[derive(Debug)]
pub struct DistLock {
    _file: fs::File,
}

/// What [`DistLock::try_acquire`] found.
#[derive(Debug)]
pub enum LockAttempt {
    Acquired(DistLock),
    /// Another process holds it; [`DistLock::acquire`] waits for it.
    Busy,
}

/// Who else may hold the lock at the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// No one: a run that writes.
    Exclusive,
    /// Other readers: a run that only reads. It writes nothing to take it either (on Windows,
    /// where the lock is a file, a reader finds no file when no writer ever ran, and needs none).
    Shared,
}

impl DistLock {
    /// Takes the lock without waiting. `Ok(None)` when there is nothing to lock.
    pub fn try_acquire(dist_dir: &Path, kind: LockKind) -> io::Result<Option<LockAttempt>> {
        let Some(file) = imp::lock_handle(dist_dir, kind == LockKind::Exclusive)? else {
            return Ok(None);
        };
        let attempt = match kind {
            LockKind::Exclusive => file.try_lock(),
            LockKind::Shared => file.try_lock_shared(),
        };
        match attempt {
            Ok(()) => Ok(Some(LockAttempt::Acquired(Self { _file: file }))),
            Err(fs::TryLockError::WouldBlock) => Ok(Some(LockAttempt::Busy)),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// Waits for the lock. `Ok(None)` when there is nothing to lock.
    pub fn acquire(dist_dir: &Path, kind: LockKind) -> io::Result<Option<Self>> {
        let Some(file) = imp::lock_handle(dist_dir, kind == LockKind::Exclusive)? else {
            return Ok(None);
        };
        loop {
            let locked = match kind {
                LockKind::Exclusive => file.lock(),
                LockKind::Shared => file.lock_shared(),
            };
            match locked {
                Ok(()) => return Ok(Some(Self { _file: file })),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// Makes what was written under `root` durable: `paths` are the files (and directories) whose
/// data or entries changed. Linux syncs the whole file system of `root` in one call, which is
/// cheaper than one `fsync` per file for the thousands of files a graft stages.
pub fn sync_to_disk(root: &Path, paths: &[&Path]) -> io::Result<()> {
    imp::sync_to_disk(root, paths)
}

/// Renames `from` over `to` (replacing a file). On Windows a rename over a file that another
/// process has open fails for as long as it stays open; short holds are waited out.
pub fn rename_replacing(from: &Path, to: &Path) -> io::Result<()> {
    imp::rename_replacing(from, to)
}

/// Creates the symbolic link `link` pointing at `target` (relative to the link's directory, or
/// absolute).
pub fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    imp::symlink(target, link)
}

/// `fs::canonicalize`, in the form the rest of the program (and the user) reads: on Windows
/// without the `\\?\` prefix that std adds, because a verbatim path does not accept `/` as a
/// separator when joined with a recorded value such as `../cache-handler.js`.
pub fn canonicalize(path: &Path) -> io::Result<PathBuf> {
    fs::canonicalize(path).map(imp::simplify)
}

/// The permissions of a file that next-graft creates (not copies): `rw-r--r--` on unix (a
/// staging file starts as `rw-------`), the default elsewhere.
pub fn new_file_permissions() -> Option<fs::Permissions> {
    imp::new_file_permissions()
}

/// Starts `command` as the leader of a new process group, so that [`stop_group`] reaches every
/// process it starts (`node server.js` may fork workers).
pub fn spawn_group(command: &mut Command) -> io::Result<Child> {
    imp::spawn_group(command)
}

/// Stops the group that [`spawn_group`] started: asks first when `force` is false (where the OS
/// has a way to ask), kills otherwise. Only processes of that group are signalled.
pub fn stop_group(child: &Child, force: bool) {
    imp::stop_group(child, force)
}

/// Whether `unshare -m` gives this process a private mount namespace (Linux, as root or with
/// user namespaces), in which smoke hides the build tree from the server.
pub fn mount_namespace_available() -> bool {
    imp::mount_namespace_available()
}

/// One state of a file, told without reading it: which file (device and inode), when its inode
/// last changed (ctime: set by every write, truncation, chmod or rename, and not settable by
/// `utimes`), its size and its modification time. Two equal stamps of one path mean that nothing
/// replaced or rewrote the file in between, to the file system's timestamp granularity (the
/// kernel's clock tick on Linux). Windows gives only size and mtime through std.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    id: (u64, u64),
    changed: (i64, i64),
    len: u64,
    modified: Option<std::time::SystemTime>,
}

/// The [`FileStamp`] of `meta` (from `fs::metadata` or `File::metadata`).
pub fn file_stamp(meta: &fs::Metadata) -> FileStamp {
    let (id, changed) = imp::file_identity(meta);
    FileStamp {
        id,
        changed,
        len: meta.len(),
        modified: meta.modified().ok(),
    }
}

/// CPU time (user + system) the calling thread has used so far; `None` where the OS gives no
/// such clock through std or libc. Only for `NEXT_GRAFT_TIMINGS` (see `crate::timing`).
pub fn thread_cpu_time() -> Option<std::time::Duration> {
    imp::thread_cpu_time()
}

/// CPU time (user + system) of the whole process, every thread, so far; `None` as above.
pub fn process_cpu_time() -> Option<std::time::Duration> {
    imp::process_cpu_time()
}

/// Ends the process at once, running no destructor (test-only failpoints: as `kill -9` would).
pub fn die_now() -> ! {
    imp::die_now()
}

/// The path a `file:` URL names, as Node's `fileURLToPath` gives it on this OS
/// (`file:///C:/app/x.mjs` is `C:\\app\\x.mjs` on Windows); `None` for other URLs.
pub fn path_from_file_url(url: &str) -> Option<PathBuf> {
    next_graft_config::file_url_to_path(url).map(imp::path_from_url_path)
}

/// A path as the tracer's evaluator writes paths: POSIX text in which an absolute path starts
/// with `/`, so that `path.join`, `new URL` and globs are one piece of string logic on every OS.
/// On Windows `C:\\app\\x.js` is `/C:/app/x.js` (the pathname of its `file:` URL).
pub fn path_to_slash(path: &Path) -> std::borrow::Cow<'_, str> {
    imp::path_to_slash(path)
}

/// The inverse of [`path_to_slash`]: the path a slash text names on this OS.
pub fn slash_to_path(text: &str) -> PathBuf {
    imp::path_from_url_path(text.to_string())
}

/// The `file:` URL of an absolute path, as Node's `pathToFileURL` writes it (`file:///app/x.mjs`,
/// `file:///C:/app/x.mjs`): every byte but unreserved ones, `/` and `:` percent-encoded.
pub fn file_url(path: &Path) -> String {
    let bytes = imp::url_path(path);
    let mut url = String::from("file://");
    if bytes.first() != Some(&b'/') {
        url.push('/');
    }
    for &byte in &bytes {
        // `:` stays: Node's `fileURLToPath` wants the drive letter's colon unescaped.
        if byte.is_ascii_alphanumeric() || b"/-._~:".contains(&byte) {
            url.push(byte as char);
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}
