//! Interrupted runs (issue 9 §2): `next-graft` is killed with a real `SIGKILL` at every failpoint
//! of apply (`NEXT_GRAFT_FAILPOINT=#n`, compiled into debug builds; see `src/apply`). After every
//! interruption: no file of the tree is anything but its old or its new content (no truncated or
//! half-written file), `server.js` and the manifests parse and hold the old or the new values,
//! and a rerun converges to exactly the tree of an uninterrupted run (staging files included:
//! none is left). Two runs at once: the second waits for the first and then has nothing to do.
// Unix permissions, ownership, signals and symlinks throughout: Windows is covered by
// src/platform/tests.rs and by scripts/test-platforms (the win32 binary under wine).
#![cfg(unix)]

mod hardening;

use hardening::*;
use next_graft::manifest::{read_copy, CopyKind};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The copies of the serialized config below `app/.next`.
const COPIES: [(&str, CopyKind); 4] = [
    (".next/required-server-files.json", CopyKind::ProjectJson),
    (".next/required-server-files.js", CopyKind::ProjectJs),
    (
        ".next/standalone/.next/required-server-files.json",
        CopyKind::StandaloneJson,
    ),
    (".next/standalone/server.js", CopyKind::ServerJs),
];

/// What each copy records: handler values and `preloadEntriesOnStart`.
fn recorded(app: &Path) -> BTreeMap<&'static str, String> {
    let mut out = BTreeMap::new();
    for (rel, kind) in COPIES {
        let path = app.join(rel);
        if !path.exists() {
            continue;
        }
        let copy = read_copy(&path, kind).unwrap_or_else(|e| panic!("{rel} does not parse: {e}"));
        out.insert(
            rel,
            format!("{:?} {:?}", copy.handlers, copy.preload_entries_on_start),
        );
    }
    out
}

struct Scenario {
    name: &'static str,
    fixture: &'static str,
    /// Breaks the fresh copy; returns the graft arguments.
    setup: fn(&Scratch) -> Vec<String>,
}

fn broken_15_1(s: &Scratch) -> Vec<String> {
    // Copies (a handler, a dependency dir's files, a file in a removed dir) and the preload
    // patch of two config copies.
    s.remove(".next/standalone/cache-handler.js");
    s.remove(".next/standalone/node_modules/ms");
    s.remove(".next/standalone/lib");
    vec![]
}

fn injected_outside_16_4(s: &Scratch) -> Vec<String> {
    // An injected handler outside the project: relocation (new directories, a written
    // package.json), copies, and rewrites of all four config copies.
    let d = s.root().join("outside");
    fs::create_dir_all(d.join("node_modules/tiny")).unwrap();
    fs::write(
        d.join("remote.mjs"),
        "import tiny from 'tiny';\nimport { note } from './helper.js';\nexport default {\n  async get(k) { note(tiny(k)); return undefined; },\n  async set(k, p) { await p; },\n  async refreshTags() {},\n  async getExpiration() { return 0; },\n  async updateTags() {},\n};\n",
    )
    .unwrap();
    fs::write(
        d.join("helper.js"),
        "export function note(x) { return x; }\n",
    )
    .unwrap();
    fs::write(d.join("package.json"), "{\"type\":\"module\"}\n").unwrap();
    fs::write(
        d.join("node_modules/tiny/package.json"),
        "{\"name\":\"tiny\",\"main\":\"main.js\"}\n",
    )
    .unwrap();
    fs::write(
        d.join("node_modules/tiny/main.js"),
        "module.exports = (x) => String(x);\n",
    )
    .unwrap();
    s.remove(".next/standalone/lib");
    vec![
        "--handler".into(),
        format!("remote={}", d.join("remote.mjs").display()),
    ]
}

const SCENARIOS: [Scenario; 2] = [
    Scenario {
        name: "15.1 copies + preload patch",
        fixture: V15_1,
        setup: broken_15_1,
    },
    Scenario {
        name: "16.4 injected handler from outside the project",
        fixture: V16_4,
        setup: injected_outside_16_4,
    },
];

fn prepare(sc: &Scenario) -> (Scratch, Vec<String>) {
    let s = Scratch::new(sc.fixture);
    let args = (sc.setup)(&s);
    (s, args)
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Every path of `now` is a staging file or holds its content before or after a clean run.
fn assert_old_or_new(
    now: &BTreeMap<PathBuf, String>,
    old: &BTreeMap<PathBuf, String>,
    new: &BTreeMap<PathBuf, String>,
    what: &str,
) {
    for (path, v) in now {
        if path.file_name().is_some_and(is_staging) {
            continue;
        }
        let ok = old.get(path) == Some(v) || new.get(path) == Some(v);
        assert!(
            ok,
            "{what}: {} is neither old ({:?}) nor new ({:?}): {v}",
            path.display(),
            old.get(path),
            new.get(path)
        );
    }
    // Nothing that both the old and the new tree have is missing.
    for path in old.keys().filter(|p| new.contains_key(*p)) {
        assert!(
            now.contains_key(path),
            "{what}: {} vanished",
            path.display()
        );
    }
}

#[test]
fn sigkill_at_every_failpoint_then_rerun_converges() {
    let mut total_points = 0;
    for sc in &SCENARIOS {
        // The uninterrupted run.
        let (clean, args) = prepare(sc);
        let old = contents(&clean.app());
        let old_values = recorded(&clean.app());
        let r = run(&clean.app(), &strs(&args));
        assert_eq!(r.code, Some(0), "{}: {}", sc.name, r.describe());
        let new = contents(&clean.app());
        let new_values = recorded(&clean.app());
        assert_ne!(old, new, "{}: the scenario must write", sc.name);

        let mut n = 1;
        loop {
            let (s, args) = prepare(sc);
            let point = format!("#{n}");
            let r = run_with_failpoint(&s.app(), &strs(&args), &point);
            if r.signal.is_none() {
                // Fewer than n points: the run went through.
                assert_eq!(r.code, Some(0), "{} {point}: {}", sc.name, r.describe());
                assert_eq!(contents(&s.app()), new, "{}", sc.name);
                break;
            }
            assert_eq!(r.signal, Some(9), "{} {point}: {}", sc.name, r.describe());
            let what = format!("{} killed at {point}", sc.name);
            let now = contents(&s.app());
            assert_old_or_new(&now, &old, &new, &what);
            for (rel, values) in recorded(&s.app()) {
                assert!(
                    old_values.get(rel) == Some(&values) || new_values.get(rel) == Some(&values),
                    "{what}: {rel} records {values}"
                );
            }
            // `check` reads the interrupted tree without error and without writing.
            let before_check = snapshot(s.root());
            let c = run(&s.app(), &["check"]);
            assert!(matches!(c.code, Some(0 | 1)), "{what}: {}", c.describe());
            assert_same(&before_check, &snapshot(s.root()));
            // The rerun converges to the uninterrupted tree, staging files gone.
            let again = run(&s.app(), &strs(&args));
            assert_eq!(again.code, Some(0), "{what}: rerun: {}", again.describe());
            let after = contents(&s.app());
            assert!(
                after == new,
                "{what}: rerun differs:\n{}",
                diff(&new, &after)
            );
            n += 1;
        }
        assert!(n > 3, "{}: only {} failpoints reached", sc.name, n - 1);
        total_points += n - 1;
    }
    eprintln!("interrupted at {total_points} failpoints");
}

#[test]
fn named_failpoints_stop_where_they_say() {
    let (s, args) = prepare(&SCENARIOS[0]);
    let old = contents(&s.app());
    // Killed once everything is staged, before the first rename: only staging files differ.
    let r = run_with_failpoint(&s.app(), &strs(&args), "staged");
    assert_eq!(r.signal, Some(9), "{}", r.describe());
    let now = contents(&s.app());
    let changed: Vec<PathBuf> = now
        .iter()
        .filter(|(p, v)| old.get(*p) != Some(*v))
        .map(|(p, _)| p.clone())
        .collect();
    assert!(!changed.is_empty());
    for p in &changed {
        let name = p.file_name().unwrap();
        let new_dir = now[p].starts_with("dir ");
        assert!(
            is_staging(name) || new_dir,
            "{} changed before commit",
            p.display()
        );
    }
    let again = run(&s.app(), &strs(&args));
    assert_eq!(again.code, Some(0), "{}", again.describe());
    let leftover: Vec<_> = contents(&s.app())
        .into_keys()
        .filter(|p| p.file_name().is_some_and(is_staging))
        .collect();
    assert!(leftover.is_empty(), "{leftover:?}");
}

/// Waits until `path`'s directory holds a staging file (the first run is inside apply).
fn wait_for_staging(dir: &Path) {
    for _ in 0..400 {
        let found = walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .any(|e| is_staging(e.file_name()));
        if found {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the first run never staged anything");
}

#[test]
fn two_runs_at_once_one_waits_and_the_tree_is_never_mixed() {
    let sc = &SCENARIOS[1];
    let (clean, args) = prepare(sc);
    assert_eq!(run(&clean.app(), &strs(&args)).code, Some(0));
    let new = contents(&clean.app());

    let (s, args) = prepare(sc);
    // The first run pauses with everything staged, holding the lock.
    let first = command(&s.app(), &strs(&args))
        .env("NEXT_GRAFT_FAILPOINT", "staged=pause:4000")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_staging(&s.path(".next"));
    let second = command(&s.app(), &strs(&args))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let first = finish(first.wait_with_output().unwrap());
    let second = finish(second.wait_with_output().unwrap());
    assert_eq!(first.code, Some(0), "{}", first.describe());
    assert_eq!(second.code, Some(0), "{}", second.describe());
    assert!(
        second.stderr.contains("waiting for another next-graft run"),
        "{}",
        second.describe()
    );
    assert!(
        second.stdout.contains("graft: nothing to do"),
        "the second run re-planned on the finished tree: {}",
        second.describe()
    );
    assert_eq!(contents(&s.app()), new);
}

/// `check` takes the lock shared: while a graft holds it, check waits and then reads the finished
/// tree, never a half-applied one.
#[test]
fn check_waits_for_a_graft_in_progress() {
    let sc = &SCENARIOS[0];
    let (s, args) = prepare(sc);
    assert_eq!(
        run(&s.app(), &["check"]).code,
        Some(1),
        "the damage is visible"
    );
    let graft = command(&s.app(), &strs(&args))
        .env("NEXT_GRAFT_FAILPOINT", "staged=pause:3000")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_staging(&s.path(".next"));
    let check = command(&s.app(), &["check"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let graft = finish(graft.wait_with_output().unwrap());
    let check = finish(check.wait_with_output().unwrap());
    assert_eq!(graft.code, Some(0), "{}", graft.describe());
    assert!(
        check.stderr.contains("waiting for another next-graft run"),
        "{}",
        check.describe()
    );
    // It read the repaired tree: the verdict after the graft, not the damage before it.
    assert_eq!(check.code, Some(0), "{}", check.describe());
}

#[test]
fn a_killed_lock_holder_releases_the_lock() {
    let sc = &SCENARIOS[1];
    let (clean, args) = prepare(sc);
    assert_eq!(run(&clean.app(), &strs(&args)).code, Some(0));
    let new = contents(&clean.app());

    let (s, args) = prepare(sc);
    let mut first = command(&s.app(), &strs(&args))
        .env("NEXT_GRAFT_FAILPOINT", "staged=pause:60000")
        .spawn()
        .unwrap();
    wait_for_staging(&s.path(".next"));
    let second = command(&s.app(), &strs(&args))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let second = finish(second.wait_with_output().unwrap());
    assert_eq!(second.code, Some(0), "{}", second.describe());
    let after = contents(&s.app());
    assert!(after == new, "{}", diff(&new, &after));
}

/// A real `SIGKILL` from outside, at delays measured from an uninterrupted run (tenths of its
/// duration, several rounds): wherever it lands, the tree holds old or new files and the rerun
/// converges.
#[test]
fn external_sigkill_at_measured_delays() {
    for sc in &SCENARIOS {
        let (clean, args) = prepare(sc);
        let old = contents(&clean.app());
        let started = std::time::Instant::now();
        assert_eq!(run(&clean.app(), &strs(&args)).code, Some(0));
        let took = started.elapsed();
        let new = contents(&clean.app());
        for step in 1..=12u32 {
            let (s, args) = prepare(sc);
            let mut child = command(&s.app(), &strs(&args))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(took * step / 10);
            let _ = child.kill();
            child.wait().unwrap();
            let what = format!("{} killed after {:?}", sc.name, took * step / 10);
            assert_old_or_new(&contents(&s.app()), &old, &new, &what);
            let again = run(&s.app(), &strs(&args));
            assert_eq!(again.code, Some(0), "{what}: {}", again.describe());
            let after = contents(&s.app());
            assert!(
                after == new,
                "{what}: rerun differs:\n{}",
                diff(&new, &after)
            );
        }
    }
}

/// graft's verification after apply does not read again the copies it has just written: their
/// bytes are known (`src/trace/parse_cache.rs`). That trust lasts only while a copy's stamp
/// (inode, ctime, size, mtime) is the one taken right after its rename: a copy changed in
/// between, here to the same size with its mtime put back, is read and analysed again, and the
/// damage fails the run.
#[test]
fn a_copy_changed_after_apply_is_verified_from_its_bytes() {
    let (s, args) = prepare(&SCENARIOS[0]);
    let graft = command(&s.app(), &strs(&args))
        .env("NEXT_GRAFT_FAILPOINT", "committed=pause:5000")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let copy = s.path(".next/standalone/lib/dep.js");
    for _ in 0..400 {
        if copy.is_file() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(copy.is_file(), "graft never committed {}", copy.display());
    // Inside the pause: every rename is done, the verification has not started.
    std::thread::sleep(Duration::from_millis(500));
    let original = fs::read(&copy).unwrap();
    let mtime = fs::metadata(&copy).unwrap().modified().unwrap();
    let head = b"require('./gone-after-apply');//";
    assert!(original.len() > head.len() + 1);
    let mut bad = head.to_vec();
    bad.resize(original.len() - 1, b'x');
    bad.push(b'\n');
    assert_eq!(bad.len(), original.len());
    fs::write(&copy, &bad).unwrap();
    fs::File::options()
        .write(true)
        .open(&copy)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let graft = finish(graft.wait_with_output().unwrap());
    assert_eq!(graft.code, Some(1), "{}", graft.describe());
    assert!(
        graft.stdout.contains("gone-after-apply"),
        "the changed copy's new edge is reported: {}",
        graft.describe()
    );
}
