//! The edge store (`src/trace/store.rs`): graft keeps the location-free edges of the texts it
//! parsed in `<distDir>/cache/next-graft/edges.json`; check and later runs take them instead of
//! parsing the same texts again, and never trust them for a text that changed.
//!
//! The number of texts SWC parsed is read from `NEXT_GRAFT_TIMINGS=1` (`phase=swc … count=N`,
//! absent when none was).

mod common;

use common::{copy_tree, fixture, run, tree_hash};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const V16_4: &str = "next-16.4.6-v16-4";

fn store(app: &Path) -> PathBuf {
    app.join(".next/cache/next-graft/edges.json")
}

/// A copy of the 16.4 build whose standalone tree lost the handler and two of its
/// dependencies, so that graft has copies to make (and parses the closure).
fn broken_build() -> tempfile::TempDir {
    let dir = copy_tree(&fixture(V16_4));
    let standalone = dir.path().join(".next/standalone");
    for rel in ["cache-handler.js", "node_modules/ms/index.js", "lib/dep.js"] {
        fs::remove_file(standalone.join(rel)).unwrap();
    }
    assert!(!store(dir.path()).exists(), "the fixture has no store");
    dir
}

/// The broken build after graft repaired it (and wrote the store), with `line` appended to the
/// file `rel` (relative to the project).
fn grafted_then_appended(rel: &str, line: &str) -> tempfile::TempDir {
    let dir = broken_build();
    assert_eq!(run(&[], dir.path()).code, 0);
    let file = dir.path().join(rel);
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, format!("{text}\n{line}\n")).unwrap();
    dir
}

/// Runs a command with phase timings on: its exit code, and how many texts SWC parsed.
fn run_counting(args: &[&str], project: &Path) -> (i32, u64, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_next-graft"))
        .args(args)
        .arg("--project")
        .arg(project)
        .args(["--format", "json"])
        .env("NO_COLOR", "1")
        .env("NEXT_GRAFT_TIMINGS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let parsed = stderr
        .lines()
        .find_map(|l| {
            l.strip_prefix("next-graft timings: phase=swc ")
                .and_then(|rest| rest.rsplit_once("count="))
                .map(|(_, n)| n.trim().parse::<u64>().unwrap())
        })
        .unwrap_or(0);
    (
        out.status.code().unwrap_or(-1),
        parsed,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn slugs(stdout: &str) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(stdout).unwrap();
    common::slugs(&json)
}

#[test]
fn check_after_graft_parses_nothing_graft_parsed() {
    let dir = broken_build();
    let (code, parsed_by_graft, _) = run_counting(&[], dir.path());
    assert_eq!(code, 0);
    assert!(parsed_by_graft > 0, "graft parsed the closure");
    assert!(store(dir.path()).is_file(), "graft wrote the store");

    let (code, parsed, stdout) = run_counting(&["check"], dir.path());
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(parsed, 0, "check parsed texts the store holds");

    // The same check without the store parses them: the saving is the store's.
    fs::remove_file(store(dir.path())).unwrap();
    let (code, parsed_without, stdout_without) = run_counting(&["check"], dir.path());
    assert_eq!(code, 0);
    assert!(parsed_without > 0);
    assert_eq!(slugs(&stdout), slugs(&stdout_without));
    // The whole verdict, not only the slugs: with the store the two traces ran side by side,
    // without it one after the other, and both must see the same closures.
    assert_eq!(stdout, stdout_without);
}

#[test]
fn a_second_graft_writes_nothing() {
    let dir = broken_build();
    assert_eq!(run(&[], dir.path()).code, 0);
    let before = tree_hash(dir.path());
    let again = run(&[], dir.path());
    assert_eq!(again.code, 0);
    assert!(
        again.stdout.contains("graft: nothing to do"),
        "{}",
        again.stdout
    );
    assert_eq!(before, tree_hash(dir.path()), "the second run wrote");
}

/// Next traced everything: graft has nothing to copy, and keeps the store in `.next/cache` (and
/// nothing else), so that the check after it and the next postbuild parse nothing; the run after
/// that writes nothing at all.
#[test]
fn a_healthy_build_gets_the_store_and_nothing_else() {
    let healthy = copy_tree(&fixture(V16_4));
    // The whole project but the store's folder, and `.next` itself, whose mtime its new child
    // `cache` moves.
    let without_store = |dir: &Path| {
        let mut hash = tree_hash(dir);
        hash.retain(|rel, _| rel != Path::new(".next") && !rel.starts_with(".next/cache"));
        hash
    };
    assert!(
        !healthy.path().join(".next/cache").exists(),
        "the fixture has a cache"
    );
    let before = without_store(healthy.path());
    let (code, parsed, stdout) = run_counting(&[], healthy.path());
    assert_eq!(code, 0, "{stdout}");
    assert!(parsed > 0, "the first graft parsed the closure");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["actions"], serde_json::json!([]), "{stdout}");
    assert!(
        store(healthy.path()).is_file(),
        "a healthy build got no store"
    );
    assert_eq!(
        before,
        without_store(healthy.path()),
        "graft wrote into a healthy build besides its store"
    );

    let (code, parsed, stdout) = run_counting(&["check"], healthy.path());
    assert_eq!(
        (code, parsed),
        (0, 0),
        "check parsed texts the store holds: {stdout}"
    );
    let with_store = tree_hash(healthy.path());
    let (code, parsed, _) = run_counting(&[], healthy.path());
    assert_eq!((code, parsed), (0, 0), "the next postbuild parsed again");
    assert_eq!(
        with_store,
        tree_hash(healthy.path()),
        "the second run wrote"
    );
}

/// A graft that refuses (here: the handler, in the project and in the tree alike, requires a file
/// that exists nowhere, so there is nothing to copy and nothing graft can fix) writes nothing,
/// the store included.
#[test]
fn a_graft_that_refuses_writes_no_store() {
    let dir = copy_tree(&fixture(V16_4));
    for rel in ["cache-handler.js", ".next/standalone/cache-handler.js"] {
        let file = dir.path().join(rel);
        let text = fs::read_to_string(&file).unwrap();
        fs::write(&file, format!("{text}\nrequire('./not-there');\n")).unwrap();
    }
    let before = tree_hash(dir.path());
    let out = run(&["--format", "json"], dir.path());
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["actions"], serde_json::json!([]), "{}", out.stdout);
    assert!(out.stdout.contains("./not-there"), "{}", out.stdout);
    assert_eq!(before, tree_hash(dir.path()));
    assert!(!store(dir.path()).exists());
}

/// The store is keyed by the text, not by the path: a file edited after graft is parsed again,
/// and its new edge is judged.
#[test]
fn a_file_changed_after_graft_is_parsed_again() {
    let dir = grafted_then_appended(".next/standalone/lib/dep.js", "require('./not-there');");
    let (code, parsed, stdout) = run_counting(&["check"], dir.path());
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(parsed, 1, "only the changed text is parsed");
    assert!(stdout.contains("./not-there"), "{stdout}");
}

#[test]
fn a_store_that_is_corrupt_or_from_another_build_of_next_graft_is_ignored() {
    let dir = broken_build();
    assert_eq!(run(&[], dir.path()).code, 0);
    let good = fs::read_to_string(store(dir.path())).unwrap();
    let mut foreign: serde_json::Value = serde_json::from_str(&good).unwrap();
    foreign["collector"] = "0000000000000000".into();
    let mut wrong_hash: serde_json::Value = serde_json::from_str(&good).unwrap();
    wrong_hash["entries"][0]["xxh3"] = "not hex".into();
    for (what, text) in [
        ("not JSON", "{\"format\": 1, \"entries\": [".to_string()),
        ("another collector", foreign.to_string()),
        ("a malformed entry", wrong_hash.to_string()),
        ("empty", String::new()),
    ] {
        fs::write(store(dir.path()), &text).unwrap();
        let before = tree_hash(dir.path());
        let (code, parsed, stdout) = run_counting(&["check"], dir.path());
        assert_eq!(code, 0, "{what}: {stdout}");
        assert!(parsed > 0, "{what}: nothing was parsed");
        assert_eq!(before, tree_hash(dir.path()), "{what}: check wrote");
    }
}

/// With a store, check traces the sources and the tree side by side: each closure must keep its
/// role. A source changed after graft (a new local dependency) makes the two closures differ, so
/// a mix-up shows in the counts and the findings; the verdict equals the one without a store
/// (one trace after the other).
#[test]
fn side_by_side_traces_keep_the_source_and_the_tree_apart() {
    let dir = grafted_then_appended("lib/dep.js", "require('./extra');");
    fs::write(dir.path().join("lib/extra.js"), "module.exports = 1;\n").unwrap();

    let (code, _, with_store) = run_counting(&["check"], dir.path());
    let json: serde_json::Value = serde_json::from_str(&with_store).unwrap();
    let isr = json["handlers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["key"] == "cacheHandler")
        .unwrap()
        .clone();
    assert_eq!(
        isr["source_files"].as_u64().unwrap(),
        isr["deployed_files"].as_u64().unwrap() + 1,
        "the source closure has lib/extra.js, the tree's does not: {isr}"
    );
    fs::remove_file(store(dir.path())).unwrap();
    let (code_without, _, without_store) = run_counting(&["check"], dir.path());
    assert_eq!((code, with_store), (code_without, without_store));
}
