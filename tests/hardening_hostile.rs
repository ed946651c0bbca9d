//! Hostile trees (issue 9 §3): no run writes outside `<project>/<distDir>`, and no symlink in
//! the input makes it write elsewhere.
//!
//! The strongest form we can run without privileges beyond the test's own: when the suite runs
//! as root, graft runs as `nobody` with only `<project>/.next` owned by `nobody` and everything
//! else (the rest of the project, the handler folders outside it) read-only to it, so a write
//! outside the distDir fails with EACCES instead of happening; and in every case the hash of
//! everything outside `app/.next` (mtimes included) is compared before and after.
// Unix permissions, ownership, signals and symlinks throughout: Windows is covered by
// src/platform/tests.rs and by scripts/test-platforms (the win32 binary under wine).
#![cfg(unix)]

mod hardening;

use hardening::*;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

fn chown_tree(dir: &Path, uid: u32) {
    for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
        std::os::unix::fs::lchown(e.path(), Some(uid), Some(uid)).unwrap();
    }
}

/// Runs graft as an unprivileged user that may write only below `app/.next`; asserts exit 0 and
/// nothing changed outside `app/.next`.
fn graft_confined(s: &Scratch, args: &[&str]) -> Run {
    let root = is_root();
    if root {
        open_to_others(&s.app());
        chown_tree(&s.path(".next"), 65534);
    }
    let before = outside_dist(&snapshot(s.root()), ".next");
    let r = run_unprivileged(&s.app(), args);
    assert!(!r.stderr.contains("panicked"), "{}", r.describe());
    assert_same(&before, &outside_dist(&snapshot(s.root()), ".next"));
    if root {
        chown_tree(&s.path(".next"), 0);
    }
    r
}

fn outside_handler(s: &Scratch) -> String {
    let d = s.root().join("outside");
    fs::create_dir_all(d.join("node_modules/tiny")).unwrap();
    fs::write(
        d.join("isr.js"),
        "const tiny = require('tiny');\nmodule.exports = class { async get(k) { tiny(k); return null } async set() {} async revalidateTag() {} };\n",
    )
    .unwrap();
    fs::write(
        d.join("node_modules/tiny/package.json"),
        "{\"name\":\"tiny\",\"main\":\"main.js\"}\n",
    )
    .unwrap();
    fs::write(
        d.join("node_modules/tiny/main.js"),
        "module.exports = String;\n",
    )
    .unwrap();
    open_to_others(&d);
    format!("isr={}", d.join("isr.js").display())
}

#[test]
fn graft_confined_to_the_dist_dir_repairs_every_scenario() {
    // Deleted handler and dependency (copies, a new directory).
    let s = Scratch::new(V14);
    s.remove(".next/standalone/cache-handler.js");
    s.remove(".next/standalone/lib");
    let r = graft_confined(&s, &[]);
    assert_eq!(r.code, Some(0), "{}", r.describe());

    // The preload patch (config rewrites in place).
    let s = Scratch::new(V15_1);
    let r = graft_confined(&s, &[]);
    assert_eq!(r.code, Some(0), "{}", r.describe());

    // A handler injected from outside the project (relocation, links, written package.json).
    let s = Scratch::new(V16_4);
    let arg = outside_handler(&s);
    let r = graft_confined(&s, &["--handler", &arg]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert!(s
        .path(".next/standalone/.next-graft/outside/isr.js")
        .is_file());

    // A crafted value climbing out of everything: relocated inside or left as a finding.
    let s = Scratch::new(V16_4);
    let evil = "../../../../../../../../../../tmp/evil.js";
    for rel in [
        ".next/standalone/server.js",
        ".next/standalone/.next/required-server-files.json",
        ".next/required-server-files.json",
        ".next/required-server-files.js",
    ] {
        let t = s
            .read(rel)
            .replace("\"../cache-handler.js\"", &format!("\"{evil}\""));
        s.write(rel, &t);
    }
    let r = graft_confined(&s, &[]);
    assert!(matches!(r.code, Some(0 | 1)), "{}", r.describe());
}

/// The victim folder outside the project that a symlink in the tree points into.
fn victim(s: &Scratch) -> std::path::PathBuf {
    let v = s.root().join("victim");
    fs::create_dir_all(&v).unwrap();
    v
}

#[test]
fn a_linked_handler_destination_is_not_written_through() {
    let s = Scratch::new(V16_4);
    let v = victim(&s);
    fs::write(v.join("cache-handler.js"), "// someone else's file\n").unwrap();
    s.remove(".next/standalone/cache-handler.js");
    symlink(
        v.join("cache-handler.js"),
        s.path(".next/standalone/cache-handler.js"),
    )
    .unwrap();
    let r = graft_confined(&s, &[]);
    assert!(matches!(r.code, Some(0..=2)), "{}", r.describe());
    assert_eq!(
        fs::read_to_string(v.join("cache-handler.js")).unwrap(),
        "// someone else's file\n"
    );
}

#[test]
fn a_linked_server_js_is_refused_not_rewritten() {
    let s = Scratch::new(V15_1);
    let v = victim(&s);
    fs::rename(s.path(".next/standalone/server.js"), v.join("server.js")).unwrap();
    symlink(v.join("server.js"), s.path(".next/standalone/server.js")).unwrap();
    let before = snapshot(&v);
    let r = graft_confined(&s, &[]);
    check_bad_input(&r, &[], "refusing to replace it");
    assert_same(&before, &snapshot(&v));
}

#[test]
fn a_linked_standalone_folder_is_not_written_through() {
    let s = Scratch::new(V16_4);
    let v = victim(&s);
    s.remove(".next/standalone/cache-handler.js");
    fs::rename(s.path(".next/standalone"), v.join("standalone")).unwrap();
    symlink(v.join("standalone"), s.path(".next/standalone")).unwrap();
    let before = snapshot(&v);
    let r = graft_confined(&s, &[]);
    assert!(matches!(r.code, Some(1 | 2)), "{}", r.describe());
    if r.code == Some(2) {
        check_bad_input(&r, &[], "symlink");
    }
    assert_same(&before, &snapshot(&v));
}

#[test]
fn a_linked_node_modules_is_not_written_through() {
    let s = Scratch::new(V16_4);
    let v = victim(&s);
    fs::create_dir_all(v.join("node_modules")).unwrap();
    s.remove(".next/standalone/node_modules");
    symlink(
        v.join("node_modules"),
        s.path(".next/standalone/node_modules"),
    )
    .unwrap();
    let before = snapshot(&v);
    let r = graft_confined(&s, &[]);
    assert!(matches!(r.code, Some(1)), "{}", r.describe());
    assert!(
        r.stdout.contains("warning[symlink-in-the-way]"),
        "{}",
        r.stdout
    );
    assert_same(&before, &snapshot(&v));
}

#[test]
fn a_link_loop_on_the_way_is_not_followed() {
    let s = Scratch::new(V16_4);
    s.remove(".next/standalone/lib");
    symlink("lib", s.path(".next/standalone/lib")).unwrap();
    let r = graft_confined(&s, &[]);
    assert!(matches!(r.code, Some(1 | 2)), "{}", r.describe());
    assert!(fs::symlink_metadata(s.path(".next/standalone/lib"))
        .unwrap()
        .file_type()
        .is_symlink());
}
