//! Windows (x64 and arm64).

use std::fs;
use std::io;
use std::os::windows::process::CommandExt;
use std::path::{Component, Path, PathBuf, Prefix};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `CREATE_NEW_PROCESS_GROUP` (winbase.h).
const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
/// How long a rename waits out another process holding the target open. npm's graceful-fs
/// retries for up to 60 s; a postbuild step should fail sooner, naming the file.
const RENAME_PATIENCE: Duration = Duration::from_secs(10);

/// A directory handle cannot be locked on Windows: the lock is a file beside the build output
/// (`<distDir>/.next-graft.lock`, outside `standalone/`, so never shipped).
/// `create`: a writer creates the file; a reader that finds none has no writer to wait for.
pub fn lock_handle(dist_dir: &Path, create: bool) -> io::Result<Option<fs::File>> {
    if !dist_dir.is_dir() {
        return Ok(None);
    }
    match fs::OpenOptions::new()
        .read(true)
        .write(create)
        .create(create)
        .truncate(false)
        .open(dist_dir.join(".next-graft.lock"))
    {
        Ok(f) => Ok(Some(f)),
        Err(e) if !create && e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// `FlushFileBuffers` on each file (std's `sync_all`). Directories cannot be opened as files
/// without backup semantics, and NTFS journals the renames themselves.
pub fn sync_to_disk(_root: &Path, paths: &[&Path]) -> io::Result<()> {
    for path in paths {
        if path.is_dir() {
            continue;
        }
        fs::OpenOptions::new().write(true).open(path)?.sync_all()?;
    }
    Ok(())
}

/// `MoveFileEx(MOVEFILE_REPLACE_EXISTING)` fails with "access denied" while another process
/// has the target open without `FILE_SHARE_DELETE` (a virus scanner, the indexer, an editor).
/// Such holds are usually short: retry with a growing pause, then give up with the error.
pub fn rename_replacing(from: &Path, to: &Path) -> io::Result<()> {
    let deadline = Instant::now() + RENAME_PATIENCE;
    let mut pause = Duration::from_millis(10);
    loop {
        match fs::rename(from, to) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied && Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(500));
            }
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("{e} (another process keeps the file open: stop it and run again)"),
                ))
            }
            Err(e) => return Err(e),
        }
    }
}

/// A directory link when the target is a directory, a file link otherwise. Symbolic links need
/// Developer Mode or administrator rights; a directory with an absolute target (smoke's copy of
/// a project linking its node_modules) falls back to a junction, which needs neither. A
/// relative link (graft recreating a pnpm layout that must survive a move) has no such fallback:
/// a junction always stores an absolute path.
pub fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    let resolved = link.parent().unwrap_or(Path::new(".")).join(target);
    let made = if resolved.is_dir() {
        std::os::windows::fs::symlink_dir(target, link)
    } else {
        std::os::windows::fs::symlink_file(target, link)
    };
    match made {
        // Wine reports success and creates nothing: a link that cannot be found is an error.
        Ok(()) if fs::symlink_metadata(link).is_err() => Err(io::Error::other(
            "the OS reported a symbolic link created, but there is none (creating a symbolic link on Windows needs Developer Mode or an administrator shell, and a file system that supports them)",
        )),
        Err(e) if e.raw_os_error() == Some(ERROR_PRIVILEGE_NOT_HELD) => {
            if target.is_absolute() && resolved.is_dir() && junction(target, link).is_ok() {
                return Ok(());
            }
            Err(io::Error::new(
                e.kind(),
                format!("{e} (creating a symbolic link on Windows needs Developer Mode or an administrator shell)"),
            ))
        }
        other => other,
    }
}

const ERROR_PRIVILEGE_NOT_HELD: i32 = 1314;

/// `mklink /J`: the one way std offers none of.
fn junction(target: &Path, link: &Path) -> io::Result<()> {
    let status = Command::new("cmd")
        .arg("/C")
        .arg("mklink")
        .arg("/J")
        .arg(link)
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if status.success() && link.is_dir() {
        Ok(())
    } else {
        Err(io::Error::other(format!("mklink /J failed ({status})")))
    }
}

/// `\\?\C:\app` → `C:\app` and `\\?\UNC\server\share` → `\\server\share`, unless the path needs
/// the verbatim form (a component that Win32 would reinterpret, or a path too long for it).
pub fn simplify(path: PathBuf) -> PathBuf {
    let mut components = path.components();
    let Some(Component::Prefix(prefix)) = components.next() else {
        return path;
    };
    let rest: PathBuf = components.collect();
    let plain = match prefix.kind() {
        Prefix::VerbatimDisk(drive) => PathBuf::from(format!("{}:\\", drive as char)).join(&rest),
        Prefix::VerbatimUNC(server, share) => {
            let mut p = PathBuf::from(r"\\");
            p.push(server);
            p.push(share);
            p.join(&rest)
        }
        _ => return path,
    };
    let reinterpreted = rest.components().any(|c| {
        let name = c.as_os_str().to_string_lossy();
        name.ends_with('.') || name.ends_with(' ') || is_reserved_name(&name)
    });
    if reinterpreted || plain.as_os_str().len() >= 260 {
        path
    } else {
        plain
    }
}

/// DOS device names, which Win32 maps to devices in any directory (`CON`, `NUL.txt`, `COM1`…).
fn is_reserved_name(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit()
            && stem.as_bytes()[3] != b'0')
}

pub fn new_file_permissions() -> Option<fs::Permissions> {
    None
}

pub fn spawn_group(command: &mut Command) -> io::Result<Child> {
    command.creation_flags(CREATE_NEW_PROCESS_GROUP).spawn()
}

/// `taskkill /T /F` ends the process and every process it started. A console process such as
/// `node server.js` has no window to ask to close, so both the polite and the forced stop kill.
pub fn stop_group(child: &Child, _force: bool) {
    let _ = Command::new("taskkill")
        .args(["/T", "/F", "/PID", &child.id().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

pub fn mount_namespace_available() -> bool {
    false
}

pub fn die_now() -> ! {
    std::process::abort()
}

/// `C:\app\x.mjs` → `C:/app/x.mjs` (the caller adds `file:///` and percent-encodes).
pub fn url_path(path: &Path) -> Vec<u8> {
    simplify(path.to_path_buf())
        .to_string_lossy()
        .replace('\\', "/")
        .into_bytes()
}

/// `/C:/app/x.mjs` → `C:\\app\\x.mjs`, as Node's `fileURLToPath` does on Windows.
pub fn path_from_url_path(path: String) -> PathBuf {
    let bytes = path.as_bytes();
    let drive =
        bytes.len() >= 3 && bytes[0] == b'/' && bytes[1].is_ascii_alphabetic() && bytes[2] == b':';
    let text = if drive { &path[1..] } else { &path[..] };
    PathBuf::from(text.replace('/', "\\"))
}

/// `C:\\app\\x.js` → `/C:/app/x.js`; a relative path keeps its place (`a\\b` → `a/b`).
pub fn path_to_slash(path: &Path) -> std::borrow::Cow<'_, str> {
    let text = simplify(path.to_path_buf())
        .to_string_lossy()
        .replace('\\', "/");
    std::borrow::Cow::Owned(if path.has_root() && !text.starts_with('/') {
        format!("/{text}")
    } else {
        text
    })
}

/// std has no CPU clock on Windows, and next-graft takes no Windows API crate for a bench aid.
pub fn thread_cpu_time() -> Option<std::time::Duration> {
    None
}

pub fn process_cpu_time() -> Option<std::time::Duration> {
    None
}

/// std gives no stable volume serial, file index or change time on Windows: the stamp is size
/// and modification time only.
pub fn file_identity(_meta: &fs::Metadata) -> ((u64, u64), (i64, i64)) {
    ((0, 0), (0, 0))
}
