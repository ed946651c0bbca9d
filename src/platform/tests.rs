//! The portable contract of `platform`, feature by feature. These run on every OS the test
//! suite runs on (Linux here; macOS and Windows in the repository's CI workflow).

use super::*;
use std::io::Write;

mod lock {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_dist_dir_is_busy_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = match DistLock::try_acquire(dir.path(), LockKind::Exclusive).unwrap() {
            Some(LockAttempt::Acquired(lock)) => lock,
            other => panic!("expected the lock, got {other:?}"),
        };
        assert!(matches!(
            DistLock::try_acquire(dir.path(), LockKind::Exclusive).unwrap(),
            Some(LockAttempt::Busy)
        ));
        drop(first);
        assert!(matches!(
            DistLock::try_acquire(dir.path(), LockKind::Exclusive).unwrap(),
            Some(LockAttempt::Acquired(_))
        ));
        assert!(DistLock::acquire(dir.path(), LockKind::Exclusive)
            .unwrap()
            .is_some());
    }

    #[test]
    fn readers_share_the_lock_and_wait_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let writer = match DistLock::try_acquire(dir.path(), LockKind::Exclusive).unwrap() {
            Some(LockAttempt::Acquired(lock)) => lock,
            other => panic!("expected the lock, got {other:?}"),
        };
        assert!(matches!(
            DistLock::try_acquire(dir.path(), LockKind::Shared).unwrap(),
            Some(LockAttempt::Busy)
        ));
        drop(writer);
        let reader = match DistLock::try_acquire(dir.path(), LockKind::Shared).unwrap() {
            Some(LockAttempt::Acquired(lock)) => lock,
            other => panic!("expected a shared lock, got {other:?}"),
        };
        assert!(matches!(
            DistLock::try_acquire(dir.path(), LockKind::Shared).unwrap(),
            Some(LockAttempt::Acquired(_))
        ));
        assert!(matches!(
            DistLock::try_acquire(dir.path(), LockKind::Exclusive).unwrap(),
            Some(LockAttempt::Busy)
        ));
        drop(reader);
    }

    #[test]
    fn a_missing_dist_dir_has_nothing_to_lock() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join(".next");
        assert!(DistLock::try_acquire(&missing, LockKind::Exclusive)
            .unwrap()
            .is_none());
        assert!(DistLock::acquire(&missing, LockKind::Exclusive)
            .unwrap()
            .is_none());
    }
}

mod files {
    use super::*;

    #[test]
    fn rename_replaces_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("a.tmp"), dir.path().join("a.js"));
        fs::write(&from, "new").unwrap();
        fs::write(&to, "old").unwrap();
        rename_replacing(&from, &to).unwrap();
        assert_eq!(fs::read_to_string(&to).unwrap(), "new");
        assert!(!from.exists());
    }

    #[test]
    fn rename_waits_out_a_short_hold_on_the_target() {
        // Windows (and Wine) refuse a rename over a file that another handle holds open; a
        // scanner or an editor lets go soon, and the rename must then go through. Unix never
        // refuses.
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("b.tmp"), dir.path().join("b.js"));
        fs::write(&from, "new").unwrap();
        fs::write(&to, "old").unwrap();
        let held = fs::File::open(&to).unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(held);
        });
        rename_replacing(&from, &to).unwrap();
        release.join().unwrap();
        assert_eq!(fs::read_to_string(&to).unwrap(), "new");
        assert!(!from.exists());
    }

    #[test]
    fn sync_accepts_files_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.js");
        fs::File::create(&file).unwrap().write_all(b"x").unwrap();
        sync_to_disk(dir.path(), &[&file, dir.path()]).unwrap();
    }

    #[test]
    fn canonical_paths_join_with_forward_slashes() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub").join("x.js"), "").unwrap();
        let root = canonicalize(dir.path()).unwrap();
        // A recorded value such as `sub/x.js` must resolve on the canonical root (a verbatim
        // `\\?\` path on Windows would take `/` literally).
        assert!(root.join("sub/x.js").is_file(), "{}", root.display());
        assert!(!root.to_string_lossy().starts_with(r"\\?\"));
    }

    #[test]
    fn created_files_are_readable_by_the_server_user() {
        // A staging file starts as rw------- on unix: what graft writes must be rw-r--r--, or
        // a server running as another user (the Dockerfile's `nextjs`) cannot read it.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let p = new_file_permissions().expect("unix sets a mode");
            assert_eq!(p.mode() & 0o777, 0o644);
        }
        #[cfg(windows)]
        assert!(new_file_permissions().is_none());
    }
}

mod links {
    use super::*;

    /// Creating links needs a privilege on Windows; where the OS refuses, the error must say why.
    fn try_link(target: &Path, link: &Path) -> bool {
        match symlink(target, link) {
            Ok(()) => true,
            // Only the Windows implementation says this (ERROR_PRIVILEGE_NOT_HELD).
            Err(e) if e.to_string().contains("Developer Mode") => false,
            Err(e) => panic!("cannot create {}: {e}", link.display()),
        }
    }

    #[test]
    fn relative_file_and_directory_links_resolve_from_their_directory() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("pkg")).unwrap();
        fs::write(dir.path().join("pkg").join("index.js"), "x").unwrap();
        if !try_link(Path::new("pkg"), &dir.path().join("dir-link")) {
            return;
        }
        assert!(try_link(
            Path::new("pkg/index.js"),
            &dir.path().join("file-link.js")
        ));
        let dir_link = fs::symlink_metadata(dir.path().join("dir-link")).unwrap();
        assert!(dir_link.file_type().is_symlink());
        assert!(dir.path().join("dir-link").join("index.js").is_file());
        assert_eq!(
            fs::read_to_string(dir.path().join("file-link.js")).unwrap(),
            "x"
        );
    }
}

mod processes {
    use super::*;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    fn node() -> Option<PathBuf> {
        crate::smoke::find_node().ok().filter(|n| n.is_file())
    }

    #[test]
    fn stopping_a_group_ends_the_children_it_started() {
        let Some(node) = node() else { return };
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild.pid");
        // The leader starts a grandchild that would outlive it, then both wait forever.
        let script = format!(
            "const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {{}}, 1000)'], {{ stdio: 'ignore' }});\
             require('fs').writeFileSync({:?}, String(c.pid)); setInterval(() => {{}}, 1000);",
            pid_file.to_string_lossy()
        );
        let mut command = Command::new(&node);
        command
            .args(["-e", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = spawn_group(&mut command).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !pid_file.is_file() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let grandchild: u32 = fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        stop_group(&child, true);
        child.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while alive(grandchild) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!alive(grandchild), "the grandchild {grandchild} survived");
    }

    /// Whether a process still runs, asked of Node (portable, and what the server runs on).
    fn alive(pid: u32) -> bool {
        let node = node().unwrap();
        let probe = format!(
            "try {{ process.kill({pid}, 0); process.exit(0) }} catch {{ process.exit(1) }}"
        );
        let running = Command::new(node)
            .args(["-e", &probe])
            .status()
            .is_ok_and(|s| s.success());
        // A zombie (exited, not yet reaped by its dead parent's reaper) still answers kill 0 on
        // Linux; /proc tells them apart.
        running && !is_zombie(pid)
    }

    fn is_zombie(pid: u32) -> bool {
        fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        })
    }
}

mod urls {
    use super::*;

    #[test]
    fn file_urls_are_what_node_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = canonicalize(dir.path()).unwrap().join("a b#c.mjs");
        let url = file_url(&path);
        assert!(url.starts_with("file:///"), "{url}");
        assert!(url.ends_with("/a%20b%23c.mjs"), "{url}");
        assert!(!url.contains('\\'), "{url}");
        // The inverse the config crate uses gives the path back.
        assert_eq!(path_from_file_url(&url), Some(path.clone()), "{url}");
    }
}
