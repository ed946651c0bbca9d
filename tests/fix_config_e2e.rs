//! Real Next.js: a 16.4.6 app whose next.config names `cacheHandler: './cache-handler.js'`
//! fails to load the handler under `next start` (it is joined to `.next/`); after
//! `next-graft fix-config --write` the same build is served with the handler loaded and called.
//! Builds come from the shared e2e harness (`tests/e2e/support.rs`).

#![cfg(unix)]

#[path = "e2e/support.rs"]
mod support;

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use support::*;

/// The handler's own log lines (`tests/e2e/apps/*/lib/dep.js` appends them to
/// `$GRAFT_HANDLER_LOG`, which the server inherits from `next-graft smoke`).
fn handler_events(log: &Path, handler: &str, event: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["handler"] == handler && v["event"] == event)
        .count()
}

fn smoke_start_logged(project: &Path, extra: &[&str], log: Option<&Path>) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_next-graft"))
        .args([
            "smoke",
            "--format",
            "json",
            "--timeout",
            "90",
            "--mode",
            "start",
        ])
        .args(extra)
        .arg("--project")
        .arg(project)
        .envs(log.map(|l| ("GRAFT_HANDLER_LOG", l)))
        .output()
        .expect("run next-graft smoke");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "smoke printed no JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

fn calls(json: &Value, key: &str, method: &str) -> u64 {
    json["smoke"]["handlers"]
        .as_array()
        .and_then(|hs| hs.iter().find(|h| h["key"] == key))
        .map(|h| h["calls"][method]["count"].as_u64().unwrap_or(0))
        .unwrap_or(0)
}

#[test]
fn e2e_fix_config_makes_next_start_load_a_relative_handler() {
    let build = build(&V16_4);
    let copy = copy_project(&build, "fix-config-start");
    let config = copy.dir.join("next.config.js");
    let text = std::fs::read_to_string(&config).unwrap();
    let broken = text.replace(
        "require.resolve('./cache-handler.js')",
        "'./cache-handler.js'",
    );
    assert_ne!(broken, text, "{text}");
    std::fs::write(&config, &broken).unwrap();

    // Before: next start joins the relative path to .next/ and cannot load it.
    let before_dir = tempfile::tempdir().unwrap();
    let before_log = before_dir.path().join("handler.log");
    let (code, json) = smoke_start_logged(
        &copy.dir,
        &["--route", "/", "--requests", "1"],
        Some(&before_log),
    );
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(
        handler_events(&before_log, "isr", "construct"),
        0,
        "the handler's log shows it constructed"
    );
    let errors = json["smoke"]["server_errors"].to_string();
    assert!(
        errors.contains("Cannot find module") && errors.contains(".next/cache-handler.js"),
        "next start should fail to load <dir>/.next/cache-handler.js: {errors}"
    );

    // fix-config (the version comes from the installed next package).
    let out = Command::new(env!("CARGO_BIN_EXE_next-graft"))
        .args(["fix-config", "--write", "--project"])
        .arg(&copy.dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fixed = std::fs::read_to_string(&config).unwrap();
    assert_eq!(
        fixed, text,
        "fix-config should restore require.resolve:\n{stdout}"
    );

    // After: the same build, served by next start, loads and calls the handler.
    let log_dir = tempfile::tempdir().unwrap();
    let log = log_dir.path().join("handler.log");
    let (code, json) = smoke_start_logged(&copy.dir, &[], Some(&log));
    assert_eq!(code, 0, "{json:#}");
    // From the handler's own log: constructed and called by next start.
    for event in ["construct", "get", "set"] {
        assert!(
            handler_events(&log, "isr", event) > 0,
            "no isr {event} in the handler's log"
        );
    }
    assert!(
        handler_events(&log, "default", "set") > 0,
        "no 'use cache' set in the handler's log"
    );
    assert!(
        calls(&json, "cacheHandler", "get") > 0,
        "{:#}",
        json["smoke"]
    );
    assert!(
        calls(&json, "cacheHandlers.default", "set") > 0,
        "{:#}",
        json["smoke"]
    );
}
