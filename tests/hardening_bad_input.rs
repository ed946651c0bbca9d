//! The bad-input corpus (issue 9 §1). Every case runs `check` AND `graft` (and `explain` where
//! it matters) on a broken copy of a real build, and proves the contract:
//!
//! - input next-graft cannot read or must not act on: exit 2, stdout empty, ONE stderr line
//!   `next-graft: error: <file>[:line:col]: <reason>` naming the file, and the whole scratch
//!   directory (mtimes included) identical before and after;
//! - a readable build whose handler is broken (a directory, an empty file, nothing, a loop, an
//!   escaping value): exit 1 with a finding (or 0 when graft repairs it), never a panic, never a
//!   write outside `<project>/<distDir>`, and `check` writes nothing.
//!
//! `tests/cli_check.rs` and `tests/graft_cli.rs` hold the first bad-input tests (check only, or a
//! few graft arguments); these extend the corpus without repeating them.
// Unix permissions, ownership, signals and symlinks throughout: Windows is covered by
// src/platform/tests.rs and by scripts/test-platforms (the win32 binary under wine).
#![cfg(unix)]

mod hardening;

use hardening::*;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};

const COMMANDS: [&[&str]; 3] = [&["check"], &["graft"], &["explain"]];

/// The exit-2 contract for check, graft (default command) and explain.
#[track_caller]
fn refused(s: &Scratch, needle: &str) {
    for args in COMMANDS {
        assert_bad_input(s.root(), &s.app(), args, needle);
    }
    assert_bad_input(s.root(), &s.app(), &[], needle);
}

/// No build output: graft and explain refuse (exit 2); check reads next.config alone (exit 0 for
/// the fixtures' valid config), and nothing is written by any of them.
#[track_caller]
fn refused_but_check_reads_the_config(s: &Scratch, extra: &[&str], needle: &str) {
    for args in [&["graft"][..], &["explain"][..], &[][..]] {
        let mut a = args.to_vec();
        a.extend(extra);
        assert_bad_input(s.root(), &s.app(), &a, needle);
    }
    let before = snapshot(s.root());
    let mut a = vec!["check"];
    a.extend(extra);
    let c = run(&s.app(), &a);
    assert_eq!(c.code, Some(0), "{}", c.describe());
    assert!(c.stderr.is_empty(), "{}", c.describe());
    assert_same(&before, &snapshot(s.root()));
}

/// The "handled" contract: check writes nothing and exits `check_code`; graft exits with one of
/// `graft_codes`, writes nothing outside `app/.next`, and a second graft changes nothing.
#[track_caller]
fn handled(s: &Scratch, check_code: i32, graft_codes: &[i32]) -> (Run, Run) {
    let before = snapshot(s.root());
    let c = run(&s.app(), &["check", "--format", "json"]);
    assert_eq!(c.code, Some(check_code), "check: {}", c.describe());
    assert!(!c.stderr.contains("panicked"), "{}", c.describe());
    assert_same(&before, &snapshot(s.root()));
    let g = run(&s.app(), &["--format", "json"]);
    assert!(
        g.code.is_some_and(|c| graft_codes.contains(&c)),
        "graft: {}",
        g.describe()
    );
    assert!(!g.stderr.contains("panicked"), "{}", g.describe());
    let after = snapshot(s.root());
    assert_same(
        &outside_dist(&before, ".next"),
        &outside_dist(&after, ".next"),
    );
    let again = run(&s.app(), &["--format", "json"]);
    assert_eq!(again.code, g.code, "second graft: {}", again.describe());
    assert_same(&after, &snapshot(s.root()));
    (c, g)
}

fn findings(r: &Run) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fixed"] != true)
        .map(|f| f["slug"].as_str().unwrap().to_string())
        .collect()
}

/// Sets the ISR handler value in every copy of the config (they all record
/// `../cache-handler.js` in the fixtures).
fn set_isr_everywhere(s: &Scratch, value: &str) {
    let quoted = serde_json::to_string(value).unwrap();
    for rel in [
        ".next/standalone/server.js",
        ".next/standalone/.next/required-server-files.json",
        ".next/required-server-files.json",
        ".next/required-server-files.js",
    ] {
        let p = s.path(rel);
        if !p.exists() {
            continue;
        }
        let text = s
            .read(rel)
            .replace(
                "\"cacheHandler\":\"../cache-handler.js\"",
                &format!("\"cacheHandler\":{quoted}"),
            )
            .replace(
                "\"cacheHandler\": \"../cache-handler.js\"",
                &format!("\"cacheHandler\": {quoted}"),
            );
        s.write(rel, &text);
    }
}

// ---- 1-3: no build, no standalone output ----

#[test]
fn c01_no_dot_next_at_all() {
    let s = Scratch::new(V16_4);
    s.remove(".next");
    refused_but_check_reads_the_config(&s, &[], "required-server-files.json not found");
}

#[test]
fn c02_build_without_standalone_output() {
    // A `next start` build: nothing to graft into. Not an error; nothing is written.
    let s = Scratch::new(V16_4);
    s.remove(".next/standalone");
    let before = snapshot(s.root());
    let g = run(&s.app(), &[]);
    assert_eq!(g.code, Some(0), "{}", g.describe());
    assert!(g.stdout.contains("no standalone output"), "{}", g.stdout);
    assert_eq!(run(&s.app(), &["check"]).code, Some(0));
    assert_same(&before, &snapshot(s.root()));
}

#[test]
fn c03_handler_injection_without_standalone_output() {
    let s = Scratch::new(V16_4);
    s.remove(".next/standalone");
    let h = s.path("cache-handler.js");
    assert_bad_input(
        s.root(),
        &s.app(),
        &["--handler", &format!("isr={}", h.display())],
        "--handler needs a standalone build",
    );
}

// ---- 4-9: the manifests ----

#[test]
fn c04_truncated_manifest_for_graft_and_explain() {
    let s = Scratch::new(V15_5);
    let text = s.read(".next/required-server-files.json");
    s.write(".next/required-server-files.json", &text[..text.len() / 3]);
    refused(&s, ".next/required-server-files.json:");
}

#[test]
fn c05_empty_manifest() {
    let s = Scratch::new(V14);
    s.write(".next/required-server-files.json", "");
    refused(&s, "required-server-files.json:1:0: invalid JSON");
}

#[test]
fn c06_manifest_is_not_an_object() {
    let s = Scratch::new(V16_4);
    s.write(".next/required-server-files.json", "[1, 2, 3]\n");
    refused(&s, "required-server-files.json: no `config` object");
}

#[test]
fn c07_manifest_relative_app_dir_climbs_out() {
    let s = Scratch::new(V16_4);
    let text = s.read(".next/required-server-files.json").replace(
        "\"relativeAppDir\": \"\"",
        "\"relativeAppDir\": \"../../../../etc\"",
    );
    s.write(".next/required-server-files.json", &text);
    refused(&s, "relativeAppDir \"../../../../etc\" is not a path below");
}

#[test]
fn c08_manifest_relative_app_dir_absolute() {
    let s = Scratch::new(V16_4);
    let text = s
        .read(".next/required-server-files.json")
        .replace("\"relativeAppDir\": \"\"", "\"relativeAppDir\": \"/etc\"");
    s.write(".next/required-server-files.json", &text);
    refused(&s, "relativeAppDir \"/etc\" is not a path below");
}

#[test]
fn c09_manifest_nested_too_deep() {
    // serde_json's recursion limit: an error, not a stack overflow.
    let s = Scratch::new(V16_4);
    let deep = format!(
        "{{\"config\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    s.write(".next/required-server-files.json", &deep);
    refused(&s, "required-server-files.json:1:");
}

#[test]
fn c10_manifest_is_a_directory() {
    let s = Scratch::new(V16_4);
    s.remove(".next/required-server-files.json");
    fs::create_dir(s.path(".next/required-server-files.json")).unwrap();
    refused_but_check_reads_the_config(&s, &[], "required-server-files.json not found");
}

#[test]
fn c11_js_twin_syntax_error_has_line_and_column() {
    let s = Scratch::new(V16_4);
    s.write(
        ".next/required-server-files.js",
        "self.__SERVER_FILES_MANIFEST = {\n  \"version\": 1,\n  \"config\": {,}\n}\n",
    );
    refused(&s, "required-server-files.js:3:");
}

#[test]
fn c12_js_twin_without_the_manifest_assignment() {
    let s = Scratch::new(V16_4);
    s.write(".next/required-server-files.js", "module.exports = {}\n");
    refused(
        &s,
        "required-server-files.js: no `self.__SERVER_FILES_MANIFEST",
    );
}

// ---- 13-18: server.js ----

#[test]
fn c13_custom_server_without_config_literal_for_graft() {
    let s = Scratch::new(V15_1);
    s.write(
        ".next/standalone/server.js",
        "const { createServer } = require('http')\nconst next = require('next')\nnext({}).prepare()\n",
    );
    refused(&s, "server.js: no `const nextConfig");
}

#[test]
fn c14_server_js_literal_is_not_plain_json() {
    let s = Scratch::new(V16_4);
    let text = s.read(".next/standalone/server.js").replace(
        "const nextConfig = {",
        "const nextConfig = {computed: compute(),",
    );
    s.write(".next/standalone/server.js", &text);
    refused(
        &s,
        "server.js: the `const nextConfig = {…}` literal is not plain JSON",
    );
}

#[test]
fn c15_server_js_syntax_error_for_graft_has_line_and_column() {
    let s = Scratch::new(V15_1);
    let text = s.read(".next/standalone/server.js") + "\nconst = broken;\n";
    s.write(".next/standalone/server.js", &text);
    let lines = text.lines().count();
    refused(&s, &format!("server.js:{lines}:"));
}

#[test]
fn c16_server_js_nested_too_deep_is_refused_not_a_stack_overflow() {
    // Found while hardening: SWC's recursive parser overflowed the stack (an abort) here.
    let s = Scratch::new(V15_1);
    let text = s.read(".next/standalone/server.js").replace(
        "const nextConfig = {",
        &format!(
            "const nextConfig = {{\"deep\":{}{},",
            "[".repeat(200_000),
            "]".repeat(200_000)
        ),
    );
    s.write(".next/standalone/server.js", &text);
    refused(&s, "nesting deeper than");
}

#[test]
fn c17_server_js_not_utf8() {
    let s = Scratch::new(V16_4);
    let mut bytes = fs::read(s.path(".next/standalone/server.js")).unwrap();
    bytes.extend_from_slice(b"\n// \xff\xfe\n");
    fs::write(s.path(".next/standalone/server.js"), bytes).unwrap();
    refused(&s, "server.js: cannot read");
}

#[test]
fn c18_server_js_with_a_byte_order_mark_is_grafted_correctly() {
    // Found while hardening: SWC drops a BOM, so the literal's span was 3 bytes off and the
    // splice refused (or could have cut a character). Node accepts a BOM: so must next-graft.
    let s = Scratch::new(V15_1);
    let text = format!("\u{feff}{}", s.read(".next/standalone/server.js"));
    s.write(".next/standalone/server.js", &text);
    let g = run(&s.app(), &[]);
    assert_eq!(g.code, Some(0), "{}", g.describe());
    let out = s.read(".next/standalone/server.js");
    assert!(out.starts_with('\u{feff}'));
    assert!(out.contains("\"preloadEntriesOnStart\":false"));
    assert_eq!(
        out,
        text.replace(
            "\"preloadEntriesOnStart\":true",
            "\"preloadEntriesOnStart\":false"
        )
    );
}

// ---- 19-21: permissions (run as `nobody` when the suite runs as root) ----

fn unprivileged_refused(s: &Scratch, needle: &str) {
    open_to_others(&s.app());
    for args in [&["check"][..], &[][..]] {
        let before = snapshot(s.root());
        let r = run_unprivileged(&s.app(), args);
        check_bad_input(&r, args, needle);
        assert_same(&before, &snapshot(s.root()));
    }
}

#[test]
fn c19_unreadable_manifest() {
    let s = Scratch::new(V16_4);
    let p = s.path(".next/required-server-files.json");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
    unprivileged_refused(
        &s,
        "required-server-files.json: cannot read: Permission denied",
    );
}

#[test]
fn c20_unreadable_server_js() {
    let s = Scratch::new(V16_4);
    let p = s.path(".next/standalone/server.js");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
    unprivileged_refused(&s, "server.js: cannot read: Permission denied");
}

#[test]
fn c21_read_only_standalone_tree() {
    // graft has work to do (a deleted handler) but may not write: exit 2 naming the place,
    // nothing changed. check still works (it reads only) and reports the missing handler.
    let s = Scratch::new(V16_4);
    s.remove(".next/standalone/cache-handler.js");
    open_to_others(&s.app());
    let mut dirs = Vec::new();
    for e in walkdir::WalkDir::new(s.path(".next")).into_iter().flatten() {
        if e.file_type().is_dir() {
            dirs.push(e.path().to_path_buf());
        }
    }
    for d in &dirs {
        fs::set_permissions(d, fs::Permissions::from_mode(0o555)).unwrap();
    }
    let before = snapshot(s.root());
    let c = run_unprivileged(&s.app(), &["check"]);
    assert_eq!(c.code, Some(1), "{}", c.describe());
    let g = run_unprivileged(&s.app(), &[]);
    check_bad_input(&g, &[], "Permission denied");
    assert!(g.stderr.contains(".next/standalone"), "{}", g.stderr);
    assert_same(&before, &snapshot(s.root()));
    for d in &dirs {
        fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

// ---- 22-26: handler values ----

#[test]
fn c22_handler_path_is_a_directory() {
    let s = Scratch::new(V16_4);
    set_isr_everywhere(&s, "../lib");
    let (c, g) = handled(&s, 1, &[1]);
    assert!(
        findings(&c).contains(&"handler-missing".to_string()),
        "{}",
        c.stdout
    );
    assert!(
        findings(&g).contains(&"handler-missing".to_string()),
        "{}",
        g.stdout
    );
}

#[test]
fn c23_handler_is_an_empty_file() {
    let s = Scratch::new(V16_4);
    s.write("cache-handler.js", "");
    s.write(".next/standalone/cache-handler.js", "");
    let (c, _) = handled(&s, 1, &[1]);
    assert!(
        findings(&c).contains(&"interface-mismatch".to_string()),
        "{}",
        c.stdout
    );
}

#[test]
fn c24_handler_points_at_nothing() {
    let s = Scratch::new(V16_4);
    set_isr_everywhere(&s, "../no-such-handler.js");
    let (c, g) = handled(&s, 1, &[1]);
    assert!(
        findings(&c).contains(&"handler-missing".to_string()),
        "{}",
        c.stdout
    );
    assert!(
        findings(&g).contains(&"handler-missing".to_string()),
        "{}",
        g.stdout
    );
}

#[test]
fn c25_crafted_dotdot_value_to_the_filesystem_root() {
    // `../../../../../../../../../../etc/passwd` from the distDir names /etc/passwd: it is
    // never copied "to where the runtime looks" (outside the tree), and /etc is untouched.
    let s = Scratch::new(V16_4);
    let passwd_before = fs::read("/etc/passwd").ok();
    set_isr_everywhere(&s, &format!("{}etc/passwd", "../".repeat(12)));
    handled(&s, 1, &[0, 1]);
    assert_eq!(fs::read("/etc/passwd").ok(), passwd_before);
}

#[test]
fn c26_absolute_value_naming_a_system_file() {
    let s = Scratch::new(V16_4);
    set_isr_everywhere(&s, "/etc/hostname");
    handled(&s, 1, &[0, 1]);
}

// ---- 27-30: hostile trees ----

#[test]
fn c27_symlink_loop_in_the_closure() {
    let s = Scratch::new(V16_4);
    symlink("b.js", s.path("lib/a.js")).unwrap();
    symlink("a.js", s.path("lib/b.js")).unwrap();
    let text = s.read("cache-handler.js");
    s.write(
        "cache-handler.js",
        &format!("try {{ require('./lib/a.js') }} catch {{}}\n{text}"),
    );
    s.write(
        ".next/standalone/cache-handler.js",
        &s.read("cache-handler.js"),
    );
    // The require sits in a `try`: an optional edge, so the loop is a warning, not an error.
    let (c, _) = handled(&s, 0, &[0]);
    assert!(
        findings(&c).contains(&"dependency-unresolvable".to_string()),
        "{}",
        c.stdout
    );
}

#[test]
fn c28_symlink_to_outside_the_project_in_the_tree() {
    // standalone/lib is a link to a directory outside the project: graft must not write through
    // it (lib/dep.js is missing there), and nothing outside changes.
    let s = Scratch::new(V16_4);
    let outside = s.root().join("elsewhere");
    fs::create_dir_all(&outside).unwrap();
    s.remove(".next/standalone/lib");
    symlink(&outside, s.path(".next/standalone/lib")).unwrap();
    let (_, g) = handled(&s, 1, &[1]);
    assert!(g.stdout.contains("symlink"), "{}", g.stdout);
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
}

#[test]
fn c29_non_utf8_names_in_the_project_and_its_path() {
    // The whole project lives below a non-UTF-8 directory name, and the handler's package holds
    // a non-UTF-8 file name: graft restores the handler; values stay valid UTF-8 relative paths.
    let tmp = tempfile::tempdir().unwrap();
    let weird = tmp.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    let app = weird.join("app");
    copy_tree(&fixture(V16_4), &app);
    fs::write(
        app.join("node_modules/ms")
            .join(std::ffi::OsStr::from_bytes(b"\xff.js")),
        "x",
    )
    .unwrap();
    fs::remove_file(app.join(".next/standalone/cache-handler.js")).unwrap();
    let g = run(&app, &[]);
    assert_eq!(g.code, Some(0), "{}", g.describe());
    assert!(app.join(".next/standalone/cache-handler.js").is_file());
    let again = snapshot(tmp.path());
    assert_eq!(run(&app, &[]).code, Some(0));
    assert_same(&again, &snapshot(tmp.path()));
}

#[test]
fn c30_fifty_megabyte_handler() {
    let s = Scratch::new(V16_4);
    let text = s.read("cache-handler.js");
    let big = format!("{text}\n/*{}*/\n", "x".repeat(50 * 1024 * 1024));
    s.write("cache-handler.js", &big);
    let started = std::time::Instant::now();
    let g = run(&s.app(), &[]);
    assert_eq!(g.code, Some(0), "{}", g.describe());
    assert_eq!(
        fs::metadata(s.path(".next/standalone/cache-handler.js"))
            .unwrap()
            .len(),
        big.len() as u64
    );
    assert!(started.elapsed().as_secs() < 120, "{:?}", started.elapsed());
}

// ---- 31-33: module graphs and packages ----

#[test]
fn c31_circular_imports() {
    let s = Scratch::new(V16_4);
    s.write("lib/a.js", "require('./b.js'); module.exports = 1;\n");
    s.write("lib/b.js", "require('./a.js'); module.exports = 2;\n");
    let dep = s.read("lib/dep.js") + "\nrequire('./a.js');\n";
    s.write("lib/dep.js", &dep);
    s.write(".next/standalone/lib/dep.js", &dep);
    // check finds the cycle missing from the tree; graft copies it; the second run has
    // nothing to do.
    let (_, g) = handled(&s, 1, &[0]);
    assert!(g.stdout.contains("\"errors\": 0"), "{}", g.stdout);
    assert!(s.path(".next/standalone/lib/a.js").is_file());
    assert!(s.path(".next/standalone/lib/b.js").is_file());
}

#[test]
fn c32_package_json_with_invalid_exports() {
    let s = Scratch::new(V16_4);
    for root in ["", ".next/standalone/"] {
        let rel = format!("{root}node_modules/ms/package.json");
        let mut pj: serde_json::Value = serde_json::from_str(&s.read(&rel)).unwrap();
        pj["exports"] = serde_json::json!({ ".": "../../../escape.js", "./x": 42 });
        s.write(&rel, &pj.to_string());
    }
    let (c, _) = handled(&s, 1, &[1]);
    assert!(
        findings(&c).iter().any(|f| f.starts_with("dependency-")),
        "{}",
        c.stdout
    );
}

#[test]
fn c33_package_json_that_is_not_json() {
    let s = Scratch::new(V16_4);
    for root in ["", ".next/standalone/"] {
        s.write(
            &format!("{root}node_modules/ms/package.json"),
            "{ \"name\": ",
        );
    }
    handled(&s, 1, &[1]);
}

// ---- 34-36: next.config (the analysis API and the commands report config errors with
// file:line:col, one line) ----

fn config_error(name: &str, source: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("package.json"), "{}").unwrap();
    fs::write(dir.path().join(name), source).unwrap();
    let e = next_graft::config::analyze_project(dir.path(), None).unwrap_err();
    let text = e.to_string();
    assert!(!text.contains('\n'), "{text}");
    assert!(
        text.starts_with(&dir.path().join(name).display().to_string()),
        "{text}"
    );
    text
}

#[test]
fn c34_config_syntax_error_has_file_line_col_and_stops_every_command() {
    let text = config_error(
        "next.config.js",
        "module.exports = {\n  output: 'standalone',\n  cacheHandler: require.resolve('./h.js'\n}\n",
    );
    assert!(text.contains("next.config.js:4:1: syntax error"), "{text}");
    let deep = config_error(
        "next.config.mjs",
        &format!(
            "export default {}1{}\n",
            "(".repeat(50_000),
            ")".repeat(50_000)
        ),
    );
    // Just below the limit it parses, on a test thread's 2 MB stack, in a debug build.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("package.json"), "{}").unwrap();
    fs::write(
        dir.path().join("next.config.js"),
        format!(
            "module.exports = {}{{}}{}\n",
            "(".repeat(250),
            ")".repeat(250)
        ),
    )
    .unwrap();
    assert!(next_graft::config::analyze_project(dir.path(), None).is_ok());
    assert!(
        deep.contains("next.config.mjs:1:") && deep.contains("nesting"),
        "{deep}"
    );
    // Next to a build, check, explain and graft verify with the config too: a config that
    // does not parse stops them (exit 2, file:line:col), and nothing is written.
    let s = Scratch::new(V16_4);
    s.write("next.config.js", "module.exports = {\n  oops(\n");
    refused(&s, "next.config.js:3:1: syntax error");
}

#[test]
fn c35_config_that_throws_or_is_async_is_analysed_not_run() {
    for (name, source) in [
        ("next.config.js", "throw new Error('no config for you')\n"),
        (
            "next.config.mjs",
            "export default async (phase) => { await null; return { cacheHandler: new URL('./h.mjs', import.meta.url).pathname } }\n",
        ),
        (
            "next.config.js",
            "module.exports = () => { throw new Error('x') }\n",
        ),
        ("next.config.ts", "export default (await import('./x.js')).default\n"),
        ("next.config.js", "\u{feff}module.exports = { cacheHandler: 'é/ü.js' } // ✓\n"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("package.json"), "{}").unwrap();
        fs::write(dir.path().join(name), source).unwrap();
        let a = next_graft::config::analyze_project(dir.path(), None);
        assert!(a.is_ok(), "{name}: {source}: {a:?}");
    }
    let s = Scratch::new(V16_4);
    s.write("next.config.js", "throw new Error('boom')\n");
    handled(&s, 0, &[0]);
}

#[test]
fn c36_duplicate_config_files() {
    // Next loads the first of next.config.js, .mjs, .ts: so does the analysis; the tools keep
    // working from the build output.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("package.json"), "{}").unwrap();
    fs::write(dir.path().join("next.config.mjs"), "export default {}\n").unwrap();
    fs::write(dir.path().join("next.config.js"), "module.exports = {}\n").unwrap();
    let found = next_graft::config::discover(dir.path(), None);
    assert_eq!(
        found.file(),
        Some(dir.path().join("next.config.js").as_path())
    );
    let s = Scratch::new(V16_4);
    s.write(
        "next.config.mjs",
        "export default { output: 'standalone' }\n",
    );
    s.write("next.config.ts", "export default {}\n");
    handled(&s, 0, &[0]);
}

// ---- 37-40: the command line and the project itself ----

#[test]
fn c37_project_is_a_file() {
    let s = Scratch::new(V16_4);
    let file = s.path("package.json");
    for args in COMMANDS {
        let before = snapshot(s.root());
        let r = run(&file, args);
        check_bad_input(&r, args, "package.json: not a directory");
        assert_same(&before, &snapshot(s.root()));
    }
}

#[test]
fn c38_dist_dir_flag_naming_nothing_or_a_file() {
    let s = Scratch::new(V16_4);
    for (dist, needle) in [
        ("build", "build: no build output"),
        ("../../elsewhere", "elsewhere: no build output"),
        ("package.json", "no build output"),
    ] {
        refused_but_check_reads_the_config(&s, &["--dist-dir", dist], needle);
    }
}

#[test]
fn c39_standalone_manifest_truncated_for_graft() {
    let s = Scratch::new(V15_1);
    let rel = ".next/standalone/.next/required-server-files.json";
    let text = s.read(rel);
    s.write(rel, &text[..text.len() - 10]);
    refused(&s, "standalone/.next/required-server-files.json:");
}

#[test]
fn c40_handler_override_is_a_directory_or_unreadable() {
    let s = Scratch::new(V16_4);
    let lib = s.path("lib");
    assert_bad_input(
        s.root(),
        &s.app(),
        &["--handler", &format!("remote={}", lib.display())],
        "is not a file",
    );
}

#[test]
fn c41_handler_nested_too_deep_is_a_finding_not_a_stack_overflow() {
    // Found in review: the handler's interface check parsed the file without the nesting guard
    // the tracer uses; the previous release aborted here (stack overflow, exit 134).
    let s = Scratch::new(V16_4);
    let text = format!(
        "module.exports = class H {{ get() {{}} set() {{}} }};\nconst x = {}{};\n",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    s.write("cache-handler.js", &text);
    s.write(".next/standalone/cache-handler.js", &text);
    let (c, _) = handled(&s, 0, &[0]);
    assert!(c.stdout.contains("nesting deeper than"), "{}", c.describe());
    assert!(
        findings(&c).contains(&"interface-uncheckable".to_string()),
        "{}",
        c.describe()
    );
}
