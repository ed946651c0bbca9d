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

fn smoke_start(project: &Path, extra: &[&str]) -> (i32, Value) {
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
    let (code, json) = smoke_start(&copy.dir, &["--route", "/", "--requests", "1"]);
    assert_eq!(code, 1, "{json:#}");
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
    let (code, json) = smoke_start(&copy.dir, &[]);
    assert_eq!(code, 0, "{json:#}");
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
