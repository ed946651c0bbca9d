//! Real Next.js end-to-end tests of `next-graft smoke` (issue: prove production parity by
//! running the moved server). Builds come from the shared e2e harness (`tests/e2e/support.rs`,
//! cached under `target/e2e-cache` / `target/e2e-work`). Each run must leave no server process
//! and no temporary copy behind.

#![cfg(unix)]

#[path = "e2e/support.rs"]
mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

struct SmokeRun {
    code: i32,
    json: Value,
    stderr: String,
}

impl SmokeRun {
    fn handler(&self, key: &str) -> &Value {
        self.json["smoke"]["handlers"]
            .as_array()
            .and_then(|hs| hs.iter().find(|h| h["key"] == key))
            .unwrap_or_else(|| panic!("no handler {key} in {:#}", self.json["smoke"]))
    }

    fn calls(&self, key: &str, method: &str) -> u64 {
        self.handler(key)["calls"][method]["count"]
            .as_u64()
            .unwrap_or(0)
    }

    fn slugs(&self) -> Vec<String> {
        self.json["findings"]
            .as_array()
            .map(|f| {
                f.iter()
                    .map(|f| f["slug"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Runs `next-graft smoke --format json` and asserts it left nothing behind.
fn smoke(project: &Path, extra: &[&str]) -> SmokeRun {
    // A private TMPDIR: the copy smoke makes must be gone from it afterwards, whatever other
    // processes do in the shared temporary directory meanwhile.
    let tmp = tempfile::tempdir().expect("private TMPDIR");
    let out = Command::new(env!("CARGO_BIN_EXE_next-graft"))
        .args(["smoke", "--format", "json", "--timeout", "90", "--project"])
        .arg(project)
        .args(extra)
        .env("TMPDIR", tmp.path())
        .output()
        .expect("run next-graft smoke");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("smoke printed no JSON ({e}):\n{stdout}\n{stderr}"));
    let left: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    assert!(
        left.is_empty(),
        "smoke left temporary copies behind: {left:?}"
    );
    if let Some(pid) = json["smoke"]["server_pid"].as_u64() {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "smoke left its server (pid {pid}) running"
        );
    }
    let run = SmokeRun {
        code: out.status.code().unwrap_or(-1),
        json,
        stderr,
    };
    eprintln!(
        "smoke report for {}:\n{:#}",
        project.display(),
        run.json["smoke"]
    );
    run
}

#[test]
fn e2e_smoke_v14_healthy_isr_handler_is_constructed_and_called() {
    let build = build(&V14_ISR);
    let run = smoke(&build.dir, &["--route", "/isr", "--route", "/data"]);
    assert_eq!(run.code, 0, "{:#}\n{}", run.json, run.stderr);
    assert!(run.handler("cacheHandler")["constructed"].as_u64() > Some(0));
    assert!(
        run.calls("cacheHandler", "get") > 0,
        "{:#}",
        run.json["smoke"]
    );
    assert!(
        run.calls("cacheHandler", "set") > 0,
        "{:#}",
        run.json["smoke"]
    );
    assert_eq!(
        run.json["smoke"]["isolation"], "mount-namespace",
        "the build tree should be hidden where unshare works"
    );
}

#[test]
fn e2e_smoke_v16_healthy_isr_and_use_cache_handlers_are_called() {
    let build = build(&V16_4);
    // No --route: the build's own manifests list the pages.
    let run = smoke(&build.dir, &[]);
    assert_eq!(run.code, 0, "{:#}\n{}", run.json, run.stderr);
    assert!(
        run.calls("cacheHandler", "get") > 0,
        "{:#}",
        run.json["smoke"]
    );
    assert!(
        run.calls("cacheHandler", "set") > 0,
        "{:#}",
        run.json["smoke"]
    );
    assert!(
        run.calls("cacheHandlers.default", "get") > 0,
        "{:#}",
        run.json["smoke"]
    );
    assert!(
        run.calls("cacheHandlers.default", "set") > 0,
        "{:#}",
        run.json["smoke"]
    );
    let routes: BTreeSet<&str> = run.json["smoke"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["route"].as_str())
        .collect();
    assert!(
        routes.contains("/") && routes.contains("/cached"),
        "{routes:?}"
    );
}

#[test]
fn e2e_smoke_v15_1_fails_on_72552_then_passes_after_graft() {
    let build = build(&V15_1_PRELOAD);
    let copy = copy_project(&build, "smoke-72552");
    let before = smoke(&copy.dir, &[]);
    assert_eq!(before.code, 1, "{:#}", before.json);
    assert!(
        before
            .slugs()
            .contains(&"smoke-handler-not-called".to_string()),
        "{:?}",
        before.slugs()
    );
    assert_eq!(
        before.handler("experimental.cacheHandlers.default")["loaded"],
        true
    );
    assert_eq!(before.calls("experimental.cacheHandlers.default", "get"), 0);

    let graft = Command::new(env!("CARGO_BIN_EXE_next-graft"))
        .arg("--project")
        .arg(&copy.dir)
        .output()
        .expect("run next-graft");
    assert_eq!(
        graft.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&graft.stdout)
    );

    let after = smoke(&copy.dir, &[]);
    assert_eq!(after.code, 0, "{:#}\n{}", after.json, after.stderr);
    assert!(
        after.calls("experimental.cacheHandlers.default", "get") > 0,
        "{:#}",
        after.json["smoke"]
    );
    assert!(
        after.calls("experimental.cacheHandlers.default", "set") > 0,
        "{:#}",
        after.json["smoke"]
    );
}

#[test]
fn e2e_smoke_v16_deleted_handler_fails_with_the_servers_own_error() {
    let build = build(&V16_4);
    let copy = copy_project(&build, "smoke-deleted");
    std::fs::remove_file(copy.dir.join(".next/standalone/cache-handler.js")).unwrap();
    let run = smoke(&copy.dir, &["--route", "/", "--requests", "1"]);
    assert_eq!(run.code, 1, "{:#}", run.json);
    assert!(
        run.slugs()
            .contains(&"smoke-handler-not-loaded".to_string()),
        "{:?}",
        run.slugs()
    );
    let errors = run.json["smoke"]["server_errors"].to_string();
    assert!(
        errors.contains("Cannot find module") || errors.contains("ERR_MODULE_NOT_FOUND"),
        "the report should quote the server's own error line: {errors}"
    );
}

#[test]
fn e2e_smoke_next_start_mode_v16_handlers_are_called() {
    let build = build(&V16_4);
    let run = smoke(&build.dir, &["--mode", "start"]);
    assert_eq!(run.code, 0, "{:#}\n{}", run.json, run.stderr);
    assert_eq!(run.json["smoke"]["mode"], "start");
    assert!(
        run.calls("cacheHandler", "get") > 0,
        "{:#}",
        run.json["smoke"]
    );
    assert!(
        run.calls("cacheHandlers.default", "set") > 0,
        "{:#}",
        run.json["smoke"]
    );
}

/// `relative-path-next-start` stays honest: `next start` re-reads next.config and really fails
/// to load a plain relative handler path (it joins it to `.next/`), while `check` warns.
#[test]
fn e2e_next_start_really_fails_on_a_relative_handler_path_and_check_says_why() {
    let build = build(&V16_4);
    let copy = copy_project(&build, "relative-start");
    let config = copy.dir.join("next.config.js");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("require.resolve('./cache-handler.js')"),
        "{text}"
    );
    std::fs::write(
        &config,
        text.replace(
            "require.resolve('./cache-handler.js')",
            "'./cache-handler.js'",
        ),
    )
    .unwrap();

    let check = Command::new(env!("CARGO_BIN_EXE_next-graft"))
        .args(["check", "--format", "json", "--project"])
        .arg(&copy.dir)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&check.stdout).unwrap();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["slug"] == "relative-path-next-start")
        .unwrap_or_else(|| panic!("no relative-path-next-start: {json:#}"));
    assert_eq!(finding["location"]["line"], 4, "{finding:#}");
    // Served by the standalone server.js (this build's default), production is not affected:
    // a warning, exit 0.
    assert_eq!(check.status.code(), Some(0), "{json:#}");
    assert_eq!(finding["severity"], "warning", "{finding:#}");
    assert_eq!(json["layout"]["deployment"], "standalone", "{json:#}");
    // The team that builds standalone but runs `next start` says so: then it is an error, for
    // check and for graft, and graft writes nothing (the standalone tree is not what runs).
    let start = run_cli_with("check", &copy.dir, &["--mode", "start"]);
    start.assert(1, &["relative-path-next-start"]);
    assert!(
        start.finding("relative-path-next-start")["help"]
            .as_str()
            .unwrap()
            .contains("next-graft fix-config --write"),
        "{}",
        start.stdout
    );
    let before = tree_digest(&copy.dir.join(".next"));
    let graft_start = run_cli_with("graft", &copy.dir, &["--mode", "start"]);
    graft_start.assert(1, &["relative-path-next-start"]);
    assert_eq!(
        tree_digest(&copy.dir.join(".next")),
        before,
        "graft --mode start wrote into the build"
    );

    let run = smoke(
        &copy.dir,
        &["--mode", "start", "--route", "/", "--requests", "1"],
    );
    assert_eq!(run.code, 1, "{:#}", run.json);
    let errors = run.json["smoke"]["server_errors"].to_string();
    assert!(
        errors.contains("Cannot find module") && errors.contains(".next/cache-handler.js"),
        "next start should fail to load <dir>/.next/cache-handler.js: {errors}"
    );
}

/// A real build without standalone output, served with `next start`, whose `cacheHandler` is a
/// plain relative path: `check` and `graft` exit 1 naming `fix-config`, `next start` really fails
/// to load the handler, and after `next-graft fix-config --write` (no rebuild: `next start`
/// reads next.config again) both pass and `next start` constructs and calls the handler.
#[test]
fn e2e_next_start_build_relative_handler_is_an_error_until_fix_config() {
    let build = build(&V16_4_START);
    let copy = copy_project(&build, "next-start");
    assert!(!copy.dir.join(".next/standalone").exists());

    let verdict = check(&copy.dir);
    verdict.assert(1, &["relative-path-next-start"]);
    assert_eq!(
        verdict.json.as_ref().unwrap()["layout"]["deployment"],
        "start",
        "{}",
        verdict.stdout
    );
    let finding = verdict.finding("relative-path-next-start");
    assert!(
        finding["help"]
            .as_str()
            .unwrap()
            .contains("next-graft fix-config --write"),
        "{finding:#}"
    );
    let before = tree_digest(&copy.dir.join(".next"));
    graft(&copy.dir).assert(1, &["relative-path-next-start"]);
    assert_eq!(
        tree_digest(&copy.dir.join(".next")),
        before,
        "graft wrote into the build"
    );
    // `--mode standalone` needs standalone output: an input error naming the folder.
    let wrong = run_cli_with("check", &copy.dir, &["--mode", "standalone"]);
    assert_eq!(wrong.code, Some(2), "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains(".next/standalone") && wrong.stderr.contains("--mode start"),
        "{}",
        wrong.stderr
    );

    // Production, for real: `next start` cannot load the handler.
    let run = smoke(&copy.dir, &["--route", "/", "--requests", "1"]);
    assert_eq!(run.code, 1, "{:#}", run.json);
    assert_eq!(run.json["smoke"]["mode"], "start");
    let errors = run.json["smoke"]["server_errors"].to_string();
    assert!(
        errors.contains("Cannot find module") && errors.contains(".next/cache-handler.js"),
        "next start should fail to load <dir>/.next/cache-handler.js: {errors}"
    );

    let fix = Command::new(env!("CARGO_BIN_EXE_next-graft"))
        .args(["fix-config", "--write", "--project"])
        .arg(&copy.dir)
        .output()
        .unwrap();
    assert_eq!(
        fix.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&fix.stdout),
        String::from_utf8_lossy(&fix.stderr)
    );
    check(&copy.dir).assert(0, &[]);
    graft(&copy.dir).assert(0, &[]);
    // Every route: the 'use cache' handler is only asked on the routes that use it.
    let run = smoke(&copy.dir, &[]);
    assert_eq!(run.code, 0, "{:#}\n{}", run.json, run.stderr);
    assert!(
        run.calls("cacheHandler", "get") > 0,
        "{:#}",
        run.json["smoke"]
    );
}
