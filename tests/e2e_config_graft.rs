//! Real Next.js 16.4.6 end-to-end scenarios of the config analysis and graft that need their
//! own builds: handlers behind an env var that was unset at build time (`inactive-at-build`,
//! then `--handler` injection into that handler-less build), a healthy build that graft leaves
//! byte for byte alone, and an ES-module app whose ISR handler imports an npm package through
//! its `exports` conditions. Every server assertion reads the handlers' own log.

#![cfg(unix)]

#[path = "e2e/support.rs"]
mod support;

#[path = "common/mod.rs"]
mod common;

use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Command;
use support::*;

struct Run {
    code: i32,
    json: Value,
    text: String,
}

fn next_graft(project: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_next-graft"))
        .args(args)
        .args(["--format", "json", "--project"])
        .arg(project)
        .output()
        .expect("run next-graft");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let text = stdout.clone() + &String::from_utf8_lossy(&out.stderr);
    Run {
        code: out.status.code().unwrap_or(-1),
        json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        text,
    }
}

fn finding<'a>(json: &'a Value, slug: &str) -> Option<&'a Value> {
    json["findings"]
        .as_array()?
        .iter()
        .find(|f| f["slug"] == slug && f["fixed"] != true)
}

#[test]
fn e2e_v16_4_handlers_inactive_at_build_then_injected_with_handler_flags() {
    let build = build(&V16_4_CONDITIONAL);
    let check = next_graft(&build.dir, &["check"]);
    let inactive = finding(&check.json, "inactive-at-build")
        .unwrap_or_else(|| panic!("no inactive-at-build finding:\n{}", check.text));
    assert!(
        inactive["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("next.config.js"),
        "{inactive:#}"
    );
    assert_eq!(
        inactive["location"]["line"], 8,
        "the cacheHandler line: {inactive:#}"
    );
    assert!(
        inactive.to_string().contains("CACHE_BACKEND"),
        "the finding must name the variable: {inactive:#}"
    );

    // Build once, deploy many: inject the handlers into the handler-less build.
    let copy = copy_project(&build, "inject");
    let isr = copy.dir.join("cache-handler.js");
    let default = copy.dir.join("use-cache-handler.mjs");
    let inject = [
        "--handler".to_string(),
        format!("isr={}", isr.display()),
        "--handler".to_string(),
        format!("default={}", default.display()),
    ];
    let args: Vec<&str> = inject.iter().map(String::as_str).collect();
    let graft = next_graft(&copy.dir, &args);
    assert_eq!(graft.code, 0, "{}", graft.text);
    let standalone = copy.dir.join(".next/standalone");
    let before = common::tree_hash(&standalone);
    let again = next_graft(&copy.dir, &args);
    assert_eq!(again.code, 0, "{}", again.text);
    assert_eq!(
        before,
        common::tree_hash(&standalone),
        "a second injection wrote something:\n{}",
        again.text
    );

    let server = start_moved_server(&copy.dir, "inject");
    server.get_ok("/");
    server.get_ok("/cached");
    server.get_ok("/cached");
    server.assert_called_all("isr", &["load", "construct", "get", "set"]);
    server.assert_called_all("default", &["load", "get", "set"]);
}

#[test]
fn e2e_v16_4_healthy_build_graft_has_nothing_to_do_and_writes_only_its_store() {
    let build = build(&V16_4);
    let copy = copy_project(&build, "healthy");
    let dist = copy.dir.join(".next");
    // All of `.next` but the edge store graft keeps for the next postbuild (`cache/next-graft`),
    // and the mtimes of the folders that gain a child for it (`cache`, and `.next` if the build
    // had no `cache`): a new file anywhere else is still a new key (src/trace/store.rs).
    let without_store = || {
        let mut hash = common::tree_hash(&dist);
        hash.retain(|rel, _| {
            ![Path::new(""), Path::new("cache")].contains(&rel.as_path())
                && !rel.starts_with("cache/next-graft")
        });
        hash
    };
    let before = without_store();
    assert!(!dist.join("cache/next-graft").exists());
    let graft = next_graft(&copy.dir, &[]);
    assert_eq!(graft.code, 0, "{}", graft.text);
    assert_eq!(
        graft.json["actions"].as_array().map(Vec::len),
        Some(0),
        "{}",
        graft.text
    );
    assert_eq!(before, without_store(), "graft wrote into a healthy build");
    assert!(
        dist.join("cache/next-graft/edges.json").is_file(),
        "a healthy build got no edge store"
    );
    // The next postbuild on the same output writes nothing at all.
    let with_store = common::tree_hash(&dist);
    assert_eq!(next_graft(&copy.dir, &[]).code, 0);
    assert_eq!(
        with_store,
        common::tree_hash(&dist),
        "the second graft wrote"
    );
}

#[test]
fn e2e_v16_4_esm_app_handler_with_exports_conditions_is_restored_and_used() {
    let build = build(&V16_4_ESM);
    assert_eq!(
        next_graft(&build.dir, &["check"]).code,
        0,
        "{}",
        next_graft(&build.dir, &["check"]).text
    );

    // Break the tree as a dropped trace would: the handler and its npm dependency.
    let copy = copy_project(&build, "esm");
    let standalone = copy.dir.join(".next/standalone");
    fs::remove_file(standalone.join("cache-handler.mjs")).unwrap();
    let lru = standalone.join("node_modules/lru-cache");
    if lru.exists() {
        fs::remove_dir_all(&lru).unwrap();
    }
    let broken = next_graft(&copy.dir, &["check"]);
    assert_eq!(broken.code, 1, "{}", broken.text);

    let graft = next_graft(&copy.dir, &[]);
    assert_eq!(graft.code, 0, "{}", graft.text);
    // The package.json that makes it ESM ("type": "module") and the "import" condition's
    // target under dist/esm (lru-cache 11 maps `.` → import → node → dist/esm/node/index.js).
    assert!(lru.join("package.json").is_file(), "{}", graft.text);
    let esm_files = walkdir::WalkDir::new(lru.join("dist/esm"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "js"))
        .count();
    assert!(
        esm_files > 0,
        "no dist/esm files of lru-cache were copied:\n{}",
        graft.text
    );
    let before = common::tree_hash(&standalone);
    assert_eq!(next_graft(&copy.dir, &[]).code, 0);
    assert_eq!(
        before,
        common::tree_hash(&standalone),
        "a second graft wrote something"
    );

    let server = start_moved_server(&copy.dir, "esm");
    server.get_ok("/");
    server.get_ok("/cached");
    server.get_ok("/cached");
    server.assert_called_all("isr", &["load", "construct", "get", "set"]);
    server.assert_called_all("default", &["load", "get", "set"]);
}
