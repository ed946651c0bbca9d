//! A TypeScript cache handler on Node 24, built for real (issue 15): Node 22.18+ and 24 strip
//! erasable TypeScript types, so a `.ts` handler with explicit `.ts` import specifiers loads
//! without compiling; Node 20 cannot load it at all. Two real `next build`s of next@16.4.6 on
//! Node 24.22.3:
//! - `ts-handler`: erasable syntax only. The moved server, on Node 24, constructs and calls the
//!   handler, and so does the same build served on Node 22.23.5; `check` exits 0 for production
//!   on Node 24 (from `--node` and from the `node` that runs the build), and 1 for `--node 20`.
//! - `ts-handler-enum`: the same handler with an `enum`. `next build` itself fails on it with
//!   Node's `ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX`; `check` names the construct with its file, line
//!   and column before the build (from next.config) and after it (from what the build recorded).
//!
//! Same harness and lock as `tests/e2e_real_next.rs`.

#![cfg(unix)]

#[path = "e2e/support.rs"]
mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use support::*;

/// The 16.4 app with a TypeScript ISR handler of erasable syntax only, built on Node 24.
const V16_4_TS: App = App {
    name: "v16-4-ts",
    template: "v16-4",
    overlay: Some("ts-handler"),
    next: "16.4.6",
    build_env: &[],
    build_args: &[],
    project: "",
    node: Node::V24,
};

/// As [`V16_4_TS`], with an `enum` in the handler (not erasable). Its build is expected to fail,
/// so it is run by [`build_expecting_failure`], not by the harness's `build`.
const V16_4_TS_ENUM: App = App {
    name: "v16-4-ts-enum",
    template: "v16-4",
    overlay: Some("ts-handler-enum"),
    next: "16.4.6",
    build_env: &[],
    build_args: &[],
    project: "",
    node: Node::V24,
};

/// `next-graft check --format json` with `extra` arguments and `env` set, as npm would run it
/// (`npm_node_execpath` names the node running the npm script).
fn check_with(
    project: &Path,
    extra: &[&str],
    env: &[(&str, &Path)],
) -> (Option<i32>, Value, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_next-graft"));
    cmd.arg("check")
        .arg("--project")
        .arg(project)
        .args(["--format", "json"])
        .args(extra)
        .env("NO_COLOR", "1")
        .env_remove("npm_node_execpath")
        .env_remove("NODE")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run next-graft check");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let context = format!(
        "next-graft check {extra:?} in {}\n--- exit {:?}\n--- stdout:\n{stdout}\n--- stderr:\n{}",
        project.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code(), json, context)
}

fn errors(json: &Value) -> Vec<&Value> {
    json["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["severity"] == "error").collect())
        .unwrap_or_default()
}

#[test]
fn e2e_v16_4_ts_handler_erasable_on_node_24_is_used_and_check_passes_for_node_24_only() {
    let build = build(&V16_4_TS);
    let standalone = build.dir.join(".next/standalone");
    for rel in ["cache-handler.ts", "handler-lib/dep.ts"] {
        assert!(
            standalone.join(rel).is_file(),
            "next build did not trace {rel} into standalone"
        );
    }

    // Production on Node 24, said with --node: healthy, and the report says where it came from.
    let (code, json, context) = check_with(&build.dir, &["--node", "24"], &[]);
    assert_eq!(code, Some(0), "{context}");
    assert!(errors(&json).is_empty(), "{context}");
    assert_eq!(json["node"]["version"], "24.0.0", "{context}");
    assert_eq!(json["node"]["from"], "--node", "{context}");
    let ts = json["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["slug"] == "typescript-handler"))
        .unwrap_or_else(|| panic!("no typescript-handler note\n{context}"));
    assert_eq!(ts["severity"], "note", "{context}");

    // The same, learned from the node that runs the build (npm sets npm_node_execpath).
    let node24 = Node::V24.binary();
    let (code, json, context) =
        check_with(&build.dir, &[], &[("npm_node_execpath", node24.as_path())]);
    assert_eq!(code, Some(0), "{context}");
    assert_eq!(json["node"]["version"], "24.22.3", "{context}");
    assert_eq!(json["node"]["from"], "npm_node_execpath", "{context}");

    // Production on Node 20: the handler cannot be loaded, and the finding says so.
    let (code, json, context) = check_with(&build.dir, &["--node", "20"], &[]);
    assert_eq!(code, Some(1), "{context}");
    let errs = errors(&json);
    assert_eq!(errs.len(), 1, "{context}");
    assert_eq!(errs[0]["slug"], "typescript-handler", "{context}");
    let message = errs[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Node 20.0.0"), "{context}");
    assert!(
        errs[0]["location"]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with(".next/standalone/cache-handler.ts")),
        "{context}"
    );

    // The moved server on Node 24 loads, constructs and calls the TypeScript handler, and so
    // does Node 22.18+, which strips types too.
    for (node, label) in [
        (Node::V24, "v16-4-ts-node24"),
        (Node::V22, "v16-4-ts-node22"),
    ] {
        let server = build.start_server_on(node, label);
        server.get_ok("/");
        server.get_ok("/cached");
        server.get_ok("/cached");
        server.assert_called_all("isr", &["load", "construct", "get", "set"]);
        assert_eq!(
            server.executable(),
            node.binary().canonicalize().expect("pinned node binary"),
            "the server must run on the pinned {node:?}"
        );
    }
}

/// Copies the app as the harness does (template, overlay, the cached `node_modules`) into
/// `scratch` and returns the project dir.
fn prepare(app: &App, scratch: &Scratch) -> PathBuf {
    let apps = repo_root().join("tests/e2e/apps");
    let project = scratch.dir.join("app");
    copy_tree(&apps.join(app.template), &project);
    if let Some(o) = app.overlay {
        for entry in std::fs::read_dir(apps.join("overlays").join(o)).expect("read overlay") {
            let p = entry.expect("overlay entry").path();
            copy_tree(&p, &project.join(p.file_name().expect("file name")));
        }
    }
    let node_modules = cached_node_modules(app);
    link_tree(&node_modules, &project.join("node_modules"));
    project
}

/// `next build` on the app's Node, expected to fail: whether it succeeded, and its log.
fn build_expecting_failure(app: &App, project: &Path) -> (bool, String) {
    let cached = cached_node_modules(app);
    let _heavy = heavy_lock();
    let mut cmd = Command::new(app.node.binary());
    cmd.current_dir(project)
        .args(["node_modules/next/dist/bin/next", "build"])
        .stdin(Stdio::null());
    clean_env(&mut cmd);
    let started = Instant::now();
    let out = cmd.output().expect("run next build");
    assert_install_untouched(&cached);
    timing(
        &format!("build {} (next@{}, expected to fail)", app.name, app.next),
        started.elapsed(),
    );
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), log)
}

/// `check --node 24` reports the enum, and only as `typescript-handler`, at its line, column 1.
fn assert_enum_reported(project: &Path, enum_line: usize, when: &str, log: &str) {
    let (code, json, context) = check_with(project, &["--node", "24"], &[]);
    let enum_error = errors(&json)
        .into_iter()
        .find(|f| f["slug"] == "typescript-handler")
        .cloned()
        .unwrap_or_else(|| {
            panic!("{when}: no typescript-handler error\n{context}\n--- build:\n{log}")
        });
    assert_eq!(code, Some(1), "{when}: {context}");
    let message = enum_error["message"].as_str().unwrap_or_default();
    assert!(message.contains("enum `Event`"), "{when}: {context}");
    assert_eq!(
        enum_error["location"]["line"], enum_line as u64,
        "{when}: {context}"
    );
    assert_eq!(enum_error["location"]["column"], 1, "{when}: {context}");
    assert!(
        enum_error["location"]["file"]
            .as_str()
            .is_some_and(|f| f == project.join("cache-handler.ts").to_string_lossy()),
        "{when}: {context}"
    );
}

#[test]
fn e2e_v16_4_ts_handler_with_enum_on_node_24_is_reported_exactly() {
    let scratch = scratch_dir("v16-4-ts-enum");
    let apps = repo_root().join("tests/e2e/apps");
    let handler = apps.join("overlays/ts-handler-enum/cache-handler.ts");
    let text = std::fs::read_to_string(&handler).expect("read the enum handler");
    let enum_line = text
        .lines()
        .position(|l| l.starts_with("enum Event"))
        .expect("the handler declares `enum Event`")
        + 1;

    let project = prepare(&V16_4_TS_ENUM, &scratch);
    // Before the build: from next.config, which names the handler.
    assert_enum_reported(&project, enum_line, "before the build", "(not built yet)");
    // What Node 24 does with it: next build loads the handler ('Collecting page data') and stops.
    let (built, log) = build_expecting_failure(&V16_4_TS_ENUM, &project);
    assert!(
        !built,
        "next build was expected to fail on the enum:\n{log}"
    );
    assert!(
        log.contains("ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX")
            && log.contains("TypeScript enum is not supported in strip-only mode"),
        "next build failed for another reason:\n{log}"
    );
    // After the failed build: the same finding, from what the build recorded (Next writes
    // required-server-files.json before it collects page data).
    assert!(
        project.join(".next/required-server-files.json").is_file(),
        "the failed build wrote no required-server-files.json:\n{log}"
    );
    assert_enum_reported(&project, enum_line, "after the failed build", &log);
}
