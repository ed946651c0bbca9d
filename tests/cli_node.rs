//! `check` for the production Node version (issue 15): where the version comes from (`--node`,
//! `engines.node`, the `node` that runs the build) and how the TypeScript findings follow it.
//! The trimmed 16.4.6 build (`fixtures/next-16.4.6-v16-4`) with its ISR handler turned into
//! `cache-handler.ts` in the project and in the standalone tree. Fast and offline.

mod common;

use common::{copy_tree, fixture, run, slugs};
use serde_json::Value;
use std::fs;
use std::path::Path;

const ERASABLE: &str = r#"import ms from 'ms';
import { logEvent } from './lib/dep.ts';

interface Entry { value: unknown; lastModified: number }
const store = new Map<string, Entry>();
const TTL: number = ms('1h') as number;

export default class CacheHandler {
  async get(key: string): Promise<Entry | null> { logEvent('get'); return store.get(key) ?? null; }
  async set(key: string, value: unknown): Promise<void> { store.set(key, { value, lastModified: TTL }); }
  async revalidateTag(tags: string[]): Promise<void> {}
}
"#;

const DEP: &str = "export function logEvent(event: string): void {}\n";

/// A copy of the 16.4 fixture whose ISR handler is `cache-handler.ts` (source and tree) with
/// `handler` as its text and `lib/dep.ts` beside it.
fn ts_project(handler: &str) -> tempfile::TempDir {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    let root = dir.path();
    for base in [root.to_path_buf(), root.join(".next/standalone")] {
        fs::write(base.join("cache-handler.ts"), handler).unwrap();
        fs::write(base.join("lib/dep.ts"), DEP).unwrap();
        fs::remove_file(base.join("cache-handler.js")).unwrap();
    }
    for file in [
        "next.config.js",
        ".next/required-server-files.json",
        ".next/required-server-files.js",
        ".next/standalone/server.js",
        ".next/standalone/.next/required-server-files.json",
    ] {
        let path = root.join(file);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replace("cache-handler.js", "cache-handler.ts")).unwrap();
    }
    dir
}

fn check(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&args, dir);
    assert!(
        out.code == 0 || out.code == 1,
        "exit {}\n{}\n{}",
        out.code,
        out.stdout,
        out.stderr
    );
    (out.code, out.json())
}

fn ts_findings(json: &Value) -> Vec<Value> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["slug"] == "typescript-handler" || f["slug"] == "dependency-unresolvable")
        .cloned()
        .collect()
}

#[test]
fn erasable_ts_handler_is_fine_exactly_where_node_strips_types() {
    let dir = ts_project(ERASABLE);
    for node in ["24", "v24.22.3", "22.18", "23.6.0"] {
        let (code, json) = check(dir.path(), &["--node", node]);
        assert_eq!(code, 0, "--node {node}: {json:#}");
        let found = ts_findings(&json);
        assert_eq!(found.len(), 1, "--node {node}: {found:#?}");
        assert_eq!(found[0]["severity"], "note", "--node {node}");
        assert_eq!(json["node"]["from"], "--node");
    }
    for (node, version) in [("20", "20.0.0"), ("22.17", "22.17.0"), ("23.5", "23.5.0")] {
        let (code, json) = check(dir.path(), &["--node", node]);
        assert_eq!(code, 1, "--node {node}");
        assert_eq!(slugs(&json), ["typescript-handler"], "--node {node}");
        let finding = &json["findings"][0];
        let message = finding["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("Node {version} cannot load"))
                && message.contains("22.18.0, 23.6.0"),
            "{message}"
        );
        assert!(finding["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with(".next/standalone/cache-handler.ts"));
    }
}

#[test]
fn non_erasable_syntax_is_named_with_its_position() {
    let handler = ERASABLE.replace(
        "interface Entry",
        "enum Kind { A }\nclass Box { constructor(private v: number) {} }\ninterface Entry",
    );
    let dir = ts_project(&handler);
    let (code, json) = check(dir.path(), &["--node", "24"]);
    assert_eq!(code, 1, "{json:#}");
    let found: Vec<(String, u64, u64)> = ts_findings(&json)
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            (
                f["message"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
                f["location"]["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0]
        .0
        .starts_with("enum `Kind` cannot be run by Node 24.0.0"));
    assert_eq!((found[0].1, found[0].2), (4, 1));
    assert!(found[1].0.starts_with("parameter property `v`"));
    assert_eq!((found[1].1, found[1].2), (5, 25));
    // On Node 20 the whole file is the problem, not its constructs.
    let (_, json) = check(dir.path(), &["--node", "20"]);
    assert_eq!(slugs(&json), ["typescript-handler"]);
}

#[test]
fn extensionless_imports_and_aliases_fail_on_every_node() {
    // ESM: `./lib/dep` without extension; an alias that only tsconfig knows.
    let handler = ERASABLE.replace("'./lib/dep.ts'", "'./lib/dep'").replace(
        "import ms from 'ms';",
        "import ms from 'ms';\nimport { x } from '@/lib/x';",
    );
    let dir = ts_project(&handler);
    fs::write(
        dir.path().join("tsconfig.json"),
        r#"{"compilerOptions":{"paths":{"@/*":["./*"]}}}"#,
    )
    .unwrap();
    fs::write(dir.path().join("lib/x.ts"), "export const x = 1;\n").unwrap();
    for node in ["20", "24"] {
        let (code, json) = check(dir.path(), &["--node", node]);
        assert_eq!(code, 1);
        let unresolvable: Vec<(String, u64)> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["slug"] == "dependency-unresolvable" && f["severity"] == "error")
            .filter(|f| {
                f["location"]["file"]
                    .as_str()
                    .unwrap()
                    .ends_with("/cache-handler.ts")
            })
            .map(|f| {
                (
                    f["message"].as_str().unwrap().to_string(),
                    f["location"]["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(unresolvable.len(), 2, "--node {node}: {json:#}");
        assert!(unresolvable[0]
            .0
            .starts_with("`@/lib/x` cannot be resolved"));
        assert_eq!(unresolvable[0].1, 2);
        assert!(unresolvable[1]
            .0
            .starts_with("`./lib/dep` cannot be loaded"));
        assert_eq!(unresolvable[1].1, 3);
    }

    // CommonJS: `require('./lib/helper')` finds `helper.ts` only by probing, which Node never does.
    let cjs = "const { logEvent } = require('./lib/helper');\nmodule.exports = class H { async get(k: string) { return null; } async set() {} async revalidateTag() {} };\n";
    let dir = ts_project(cjs);
    for base in [
        dir.path().to_path_buf(),
        dir.path().join(".next/standalone"),
    ] {
        fs::write(base.join("lib/helper.ts"), DEP).unwrap();
    }
    let (code, json) = check(dir.path(), &["--node", "24"]);
    assert_eq!(code, 1, "{json:#}");
    let probed = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["slug"] == "dependency-unresolvable")
        .unwrap_or_else(|| panic!("{json:#}"))
        .clone();
    assert!(probed["message"].as_str().unwrap().starts_with(
        "`./lib/helper` names no file extension: only the TypeScript file helper.ts exists"
    ));
    assert_eq!(probed["location"]["line"], 1);
}

#[test]
fn engines_node_decides_when_no_flag() {
    let dir = ts_project(ERASABLE);
    let package = dir.path().join("package.json");
    let text = fs::read_to_string(&package).unwrap();
    let with_engines = |range: &str| {
        text.replacen(
            "\"private\": true,",
            &format!("\"private\": true,\n  \"engines\": {{ \"node\": {range:?} }},"),
            1,
        )
    };
    fs::write(&package, with_engines(">=24")).unwrap();
    let (code, json) = check(dir.path(), &[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["node"]["version"], "24.0.0");
    assert_eq!(json["node"]["from"], "engines.node");
    assert_eq!(json["node"]["detail"], ">=24");

    // Production may run the lowest version the range admits: 20.19 here.
    fs::write(&package, with_engines("^20.19.0 || >=22.18")).unwrap();
    let (code, json) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(json["node"]["version"], "20.19.0");
    assert!(json["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Node 20.19.0 cannot load"));
    // --node wins over engines.node.
    let (code, _) = check(dir.path(), &["--node", "24"]);
    assert_eq!(code, 0);

    // A range that is not one: exit 2, naming package.json; --node still decides alone.
    fs::write(&package, with_engines("lts please")).unwrap();
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("package.json") && out.stderr.contains("engines.node"),
        "{}",
        out.stderr
    );
    let (code, _) = check(dir.path(), &["--node", "24"]);
    assert_eq!(code, 0);
}

#[test]
fn bad_node_flag_is_exit_2() {
    let dir = ts_project(ERASABLE);
    let out = run(&["check", "--node", "lts"], dir.path());
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--node"), "{}", out.stderr);
}

#[test]
fn human_output_says_which_node() {
    let dir = ts_project(ERASABLE);
    let out = run(&["check", "--node", "24", "--color", "never"], dir.path());
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.ends_with(
            "production runs Node 24.0.0 (from --node)\ncheck: ok: 0 errors, 0 warnings (Next.js 16.4.6)\n"
        ),
        "{}",
        out.stdout
    );
}

/// The node that runs the build: npm's `npm_node_execpath`, else `node` on PATH; none → unknown,
/// and the TypeScript finding stays an error that says why.
#[cfg(unix)]
#[test]
fn build_node_from_npm_or_path_else_unknown() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    let dir = ts_project(ERASABLE);
    let bin = tempfile::tempdir().unwrap();
    let fake = bin.path().join("node");
    fs::write(&fake, "#!/bin/sh\necho v24.1.0\n").unwrap();
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    let empty = tempfile::tempdir().unwrap();
    let run_env = |vars: &[(&str, &std::ffi::OsStr)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_next-graft"));
        cmd.args(["check", "--format", "json", "--project"])
            .arg(dir.path())
            .env_remove("npm_node_execpath")
            .env_remove("NODE")
            .env("PATH", empty.path());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), json)
    };
    let (code, json) = run_env(&[("npm_node_execpath", fake.as_os_str())]);
    assert_eq!(code, Some(0), "{json:#}");
    assert_eq!(json["node"]["version"], "24.1.0");
    assert_eq!(json["node"]["from"], "npm_node_execpath");
    let (code, json) = run_env(&[("PATH", bin.path().as_os_str())]);
    assert_eq!(code, Some(0), "{json:#}");
    assert_eq!(json["node"]["from"], "PATH");
    let (code, json) = run_env(&[]);
    assert_eq!(code, Some(1), "{json:#}");
    assert_eq!(json["node"]["from"], "unknown");
    assert!(json["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("the production Node version is unknown"));
}

/// The 14.2.35 fixture made to look like a 14.0 build (Next 14.0.4, the legacy key) whose ISR
/// handler is the ES module `cache-handler.mjs`: 13.4–14.0 load it with `require()`, which
/// loads an ES module only on Node with require(esm).
fn esm_on_14_0() -> tempfile::TempDir {
    let dir = copy_tree(&fixture("next-14.2.35-v14-isr"));
    let root = dir.path();
    let next_pkg = root.join("node_modules/next/package.json");
    let text = fs::read_to_string(&next_pkg).unwrap();
    fs::write(&next_pkg, text.replace("\"14.2.35\"", "\"14.0.4\"")).unwrap();
    let esm = "export default class CacheHandler {\n  async get() { return null; }\n  async set() {}\n  async revalidateTag() {}\n}\n";
    for base in [root.to_path_buf(), root.join(".next/standalone")] {
        fs::write(base.join("cache-handler.mjs"), esm).unwrap();
    }
    for file in [
        ".next/required-server-files.json",
        ".next/standalone/server.js",
        ".next/standalone/.next/required-server-files.json",
    ] {
        let path = root.join(file);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"experimental\":{"), "{file}");
        fs::write(
            &path,
            text.replace(
                "\"experimental\":{",
                "\"experimental\":{\"incrementalCacheHandlerPath\":\"../cache-handler.mjs\",",
            ),
        )
        .unwrap();
    }
    dir
}

fn esm_finding(json: &Value) -> Option<Value> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["slug"] == "esm-handler-required")
        .cloned()
}

#[test]
fn esm_handler_on_require_only_next_follows_require_esm() {
    let dir = esm_on_14_0();
    let out = run(
        &["check", "--format", "json", "--node", "20.18"],
        dir.path(),
    );
    let json = out.json();
    assert_eq!(json["next_version"], "14.0.4");
    let finding = esm_finding(&json).unwrap_or_else(|| panic!("{json:#}"));
    assert_eq!(finding["severity"], "error", "{finding:#}");
    assert!(finding["message"]
        .as_str()
        .unwrap()
        .contains("Node 20.18.0 cannot require() (ERR_REQUIRE_ESM)"));
    assert_eq!(
        finding["handler"],
        "experimental.incrementalCacheHandlerPath"
    );
    assert_eq!(out.code, 1);
    for node in ["22.11", "21"] {
        let json = run(&["check", "--format", "json", "--node", node], dir.path()).json();
        assert_eq!(
            esm_finding(&json).unwrap()["severity"],
            "error",
            "--node {node}"
        );
    }
    for node in ["20.19", "22.12", "24"] {
        let json = run(&["check", "--format", "json", "--node", node], dir.path()).json();
        let finding = esm_finding(&json).unwrap_or_else(|| panic!("--node {node}: {json:#}"));
        assert_eq!(finding["severity"], "note", "--node {node}");
    }
    // 14.1+ import() the handler: no question of require(esm).
    let healthy = copy_tree(&fixture("next-14.2.35-v14-isr"));
    let json = run(
        &["check", "--format", "json", "--node", "20.18"],
        healthy.path(),
    )
    .json();
    assert!(esm_finding(&json).is_none());
}

/// A build whose handlers are JavaScript has no finding that depends on the Node version, so
/// `check` runs no `node` (the common postbuild pays nothing for the probe): a `node` on PATH
/// that leaves a mark is never started, the report's `node` is null and the human output has no
/// Node line. `--node` is reported as given.
#[cfg(unix)]
#[test]
fn javascript_handlers_never_start_a_node() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    let bin = tempfile::tempdir().unwrap();
    let mark = bin.path().join("node-was-run");
    let fake = bin.path().join("node");
    fs::write(
        &fake,
        // A shell builtin: PATH holds nothing but this fake node.
        format!("#!/bin/sh\n: > '{}'\necho v24.1.0\n", mark.display()),
    )
    .unwrap();
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    let run_with = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_next-graft"))
            .args(args)
            .arg("--project")
            .arg(dir.path())
            .env_remove("npm_node_execpath")
            .env("NODE", &fake)
            .env("PATH", bin.path())
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, json) = run_with(&["check", "--format", "json"]);
    assert_eq!(code, Some(0), "{json}");
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["node"], Value::Null, "{json:#}");
    let (code, human) = run_with(&["check", "--color", "never"]);
    assert_eq!(code, Some(0), "{human}");
    assert!(!human.contains("production runs"), "{human}");
    assert!(
        !mark.exists(),
        "check ran `node --version` for JavaScript handlers"
    );
    let (_, json) = run_with(&["check", "--format", "json", "--node", "22"]);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["node"]["from"], "--node");
    // The same fake node is asked as soon as a finding depends on the version.
    let ts = ts_project(ERASABLE);
    let out = Command::new(env!("CARGO_BIN_EXE_next-graft"))
        .args(["check", "--format", "json", "--project"])
        .arg(ts.path())
        .env_remove("npm_node_execpath")
        .env("NODE", &fake)
        .env("PATH", bin.path())
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["node"]["from"], "NODE", "{json:#}");
    assert!(mark.exists(), "a TypeScript handler must ask the node");
}
