//! Linux (glibc and musl), macOS and the other unix systems.

use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The distDir directory itself: `flock` works on a directory descriptor, so nothing is added
/// to the tree.
pub fn lock_handle(dist_dir: &Path, _create: bool) -> io::Result<Option<fs::File>> {
    match fs::File::open(dist_dir) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn sync_to_disk(root: &Path, _paths: &[&Path]) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let handle = fs::File::open(root)?;
    // SAFETY: `handle` owns a valid descriptor for the duration of the call.
    if unsafe { libc::syncfs(handle.as_raw_fd()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// No `syncfs` outside Linux: `fsync` each path. std's `sync_all` is `F_FULLFSYNC` on Apple
/// systems, where a plain `fsync` does not reach the platter.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn sync_to_disk(_root: &Path, paths: &[&Path]) -> io::Result<()> {
    for path in paths {
        fs::File::open(path)?.sync_all()?;
    }
    Ok(())
}

pub fn rename_replacing(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)
}

pub fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

pub fn simplify(path: PathBuf) -> PathBuf {
    path
}

pub fn new_file_permissions() -> Option<fs::Permissions> {
    Some(std::os::unix::fs::PermissionsExt::from_mode(0o644))
}

pub fn spawn_group(command: &mut Command) -> io::Result<Child> {
    command.process_group(0).spawn()
}

pub fn stop_group(child: &Child, force: bool) {
    let Ok(pid) = i32::try_from(child.id()) else {
        return;
    };
    let signal = if force { libc::SIGKILL } else { libc::SIGTERM };
    // SAFETY: kill(2) with a negative pid signals only the process group that `spawn_group`
    // created (the child is its leader).
    unsafe { libc::kill(-pid, signal) };
}

#[cfg(target_os = "linux")]
pub fn mount_namespace_available() -> bool {
    Command::new("unshare")
        .args(["-m", "--", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(not(target_os = "linux"))]
pub fn mount_namespace_available() -> bool {
    let _ = Stdio::null;
    false
}

pub fn die_now() -> ! {
    // SAFETY: plain syscalls on our own process.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    std::process::abort()
}

/// The path's bytes, as they are (the caller percent-encodes them).
pub fn url_path(path: &Path) -> Vec<u8> {
    path.as_os_str().as_bytes().to_vec()
}

pub fn path_from_url_path(path: String) -> PathBuf {
    PathBuf::from(path)
}

/// Borrowed for a UTF-8 path: the glob matcher calls this once per file it walks.
pub fn path_to_slash(path: &Path) -> std::borrow::Cow<'_, str> {
    path.to_string_lossy()
}

pub fn thread_cpu_time() -> Option<std::time::Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return None;
    }
    Some(std::time::Duration::new(
        u64::try_from(ts.tv_sec).ok()?,
        u32::try_from(ts.tv_nsec).ok()?,
    ))
}

pub fn process_cpu_time() -> Option<std::time::Duration> {
    // SAFETY: an all-zero rusage is a valid value; getrusage only writes into it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is valid and writable for the duration of the call.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let micros = |t: libc::timeval| -> Option<u64> {
        Some(u64::try_from(t.tv_sec).ok()? * 1_000_000 + u64::try_from(t.tv_usec).ok()?)
    };
    Some(std::time::Duration::from_micros(
        micros(usage.ru_utime)? + micros(usage.ru_stime)?,
    ))
}

pub fn file_identity(meta: &fs::Metadata) -> ((u64, u64), (i64, i64)) {
    use std::os::unix::fs::MetadataExt;
    ((meta.dev(), meta.ino()), (meta.ctime(), meta.ctime_nsec()))
}
