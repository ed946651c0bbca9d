//! Fixture tests of `next-graft [graft]`: the CLI against copies of real build outputs
//! (`fixtures/next-*`), broken on purpose in a temporary directory, never in place.
// Unix permissions, ownership, signals and symlinks throughout: Windows is covered by
// src/platform/tests.rs and by scripts/test-platforms (the win32 binary under wine).
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const V14: &str = "next-14.2.35-v14-isr";
const V15_1: &str = "next-15.1.12-v15-1-preload";
const V15_5: &str = "next-15.5.29-v15-5";
const V16_4: &str = "next-16.4.6-v16-4";
const ALL: [&str; 4] = [V14, V15_1, V15_5, V16_4];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Copies a tree, recreating symlinks as symlinks.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in walkdir::WalkDir::new(from).follow_links(false).min_depth(1) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        let kind = entry.file_type();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path()).unwrap(), &dest).unwrap();
        } else if kind.is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A scratch dir holding a copy of the fixture at `<tmp>/app`.
struct Scratch {
    tmp: tempfile::TempDir,
}

impl Scratch {
    fn new(name: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(&fixture(name), &tmp.path().join("app"));
        Self { tmp }
    }
    fn root(&self) -> &Path {
        self.tmp.path()
    }
    fn app(&self) -> PathBuf {
        self.tmp.path().join("app")
    }
    fn standalone(&self) -> PathBuf {
        self.app().join(".next/standalone")
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.app().join(rel)
    }
    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap()
    }
    fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    fn replace(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from}");
        self.write(rel, &text.replace(from, to));
    }
    /// Sets `config.<path>` in a JSON manifest, keeping its style (compact or pretty).
    fn set_json(&self, rel: &str, path: &[&str], value: Option<Value>) {
        let text = self.read(rel);
        let mut manifest: Value = serde_json::from_str(&text).unwrap();
        let mut obj = manifest["config"].as_object_mut().unwrap();
        for part in &path[..path.len() - 1] {
            obj = obj
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Default::default()))
                .as_object_mut()
                .unwrap();
        }
        let last = path[path.len() - 1].to_string();
        match value {
            Some(v) => {
                obj.insert(last, v);
            }
            None => {
                obj.shift_remove(&last);
            }
        }
        let out = if text.starts_with("{\n") {
            serde_json::to_string_pretty(&manifest).unwrap()
        } else {
            serde_json::to_string(&manifest).unwrap()
        };
        self.write(rel, &(out + if text.ends_with('\n') { "\n" } else { "" }));
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
}

fn run(project: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_next-graft"))
        .arg("--project")
        .arg(project)
        .args(["--color", "never"])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn assert_code(run: &Run, code: i32) {
    assert_eq!(
        run.code, code,
        "exit code\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
}

/// Every entry below `dir`: kind, mode, size, mtime (ns), content hash or link target.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    use std::hash::{Hash, Hasher};
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let entry = entry.unwrap();
        let meta = entry.path().symlink_metadata().unwrap();
        let rel = entry.path().strip_prefix(dir).unwrap().to_path_buf();
        let what = if meta.file_type().is_symlink() {
            format!("link {}", fs::read_link(entry.path()).unwrap().display())
        } else if meta.is_dir() {
            format!("dir {:o}", meta.permissions().mode())
        } else {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            fs::read(entry.path()).unwrap().hash(&mut h);
            format!(
                "file {:o} {} {}.{} {:x}",
                meta.permissions().mode(),
                meta.len(),
                meta.mtime(),
                meta.mtime_nsec(),
                h.finish()
            )
        };
        out.insert(rel, what);
    }
    out
}

fn assert_same_tree(before: &BTreeMap<PathBuf, String>, after: &BTreeMap<PathBuf, String>) {
    if before != after {
        let mut diff = String::new();
        for (k, v) in before {
            match after.get(k) {
                None => diff += &format!("- {} {v}\n", k.display()),
                Some(w) if w != v => diff += &format!("~ {} {v} -> {w}\n", k.display()),
                _ => {}
            }
        }
        for (k, v) in after {
            if !before.contains_key(k) {
                diff += &format!("+ {} {v}\n", k.display());
            }
        }
        panic!("the tree changed:\n{diff}");
    }
}

fn fixed_slugs(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fixed"] == true)
        .map(|f| f["slug"].as_str().unwrap().to_string())
        .collect()
}

/// A second run writes nothing: the whole scratch dir (mtimes included) is unchanged.
fn assert_second_run_writes_nothing(s: &Scratch, args: &[&str]) {
    let before = snapshot(s.root());
    let again = run(&s.app(), args);
    assert_code(&again, 0);
    assert!(
        again.stdout.contains("graft: nothing to do"),
        "{}",
        again.stdout
    );
    assert_same_tree(&before, &snapshot(s.root()));
}

/// Nothing is copied or rewritten; the only write is the edge store in `.next/cache/next-graft`
/// (src/trace/store.rs), and a second run writes nothing at all.
#[test]
fn healthy_builds_need_nothing_and_stay_untouched() {
    for name in [V14, V15_5, V16_4] {
        let s = Scratch::new(name);
        // `.next` itself and `.next/cache` gain a child for the store: their mtimes move.
        let without_store = |tree: BTreeMap<PathBuf, String>| -> BTreeMap<PathBuf, String> {
            tree.into_iter()
                .filter(|(rel, _)| {
                    !(rel == Path::new("app/.next")
                        || rel == Path::new("app/.next/cache")
                        || rel.starts_with("app/.next/cache/next-graft"))
                })
                .collect()
        };
        let before = snapshot(s.root());
        let r = run(&s.app(), &[]);
        assert_code(&r, 0);
        assert!(
            r.stdout.contains("graft: nothing to do"),
            "{name}: {}",
            r.stdout
        );
        let after = snapshot(s.root());
        assert_same_tree(&without_store(before), &without_store(after.clone()));
        assert!(
            s.app().join(".next/cache/next-graft/edges.json").is_file(),
            "{name}: a healthy build got no edge store"
        );
        assert_second_run_writes_nothing(&s, &[]);
    }
}

#[test]
fn restores_a_deleted_handler_and_dependency() {
    for name in ALL {
        let s = Scratch::new(name);
        let handler = s.standalone().join("cache-handler.js");
        let dep = s.standalone().join("node_modules/ms/index.js");
        let local = s.standalone().join("lib/dep.js");
        fs::remove_file(&handler).unwrap();
        fs::remove_file(&dep).unwrap();
        fs::remove_file(&local).unwrap();
        assert_code(&run(&s.app(), &["check"]), 1);

        let r = run(&s.app(), &["--format", "json"]);
        assert_code(&r, 0);
        let report = r.json();
        assert_eq!(report["command"], "graft");
        assert_eq!(report["summary"]["errors"], 0, "{name}: {}", r.stdout);
        let fixed = fixed_slugs(&report);
        assert!(
            fixed.contains(&"handler-missing".to_string()),
            "{name}: {fixed:?}"
        );
        let copies: Vec<&Value> = report["actions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "copy-file")
            .collect();
        assert_eq!(copies.len(), 3, "{name}: {}", report["actions"]);

        assert_eq!(
            fs::read(&handler).unwrap(),
            fs::read(s.path("cache-handler.js")).unwrap()
        );
        assert_eq!(
            fs::read(&dep).unwrap(),
            fs::read(s.path("node_modules/ms/index.js")).unwrap()
        );
        assert_eq!(
            fs::read(&local).unwrap(),
            fs::read(s.path("lib/dep.js")).unwrap()
        );
        // The copy keeps the source's permissions (tempfiles start as 0600).
        assert_eq!(
            fs::metadata(&handler).unwrap().permissions().mode(),
            fs::metadata(s.path("cache-handler.js"))
                .unwrap()
                .permissions()
                .mode()
        );
        // No staging leftovers.
        let leftovers: Vec<_> = walkdir::WalkDir::new(s.root())
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".next-graft."))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");

        assert_code(&run(&s.app(), &["check"]), 0);
        assert_second_run_writes_nothing(&s, &[]);
    }
}

#[test]
fn replaces_a_different_copy() {
    let s = Scratch::new(V15_5);
    let deployed = s.standalone().join("lib/dep.js");
    fs::write(&deployed, "module.exports = { logEvent() {} } // stale\n").unwrap();
    let r = run(&s.app(), &["-v"]);
    assert_code(&r, 0);
    assert!(
        r.stdout
            .contains("replace lib/dep.js -> .next/standalone/lib/dep.js"),
        "{}",
        r.stdout
    );
    assert_eq!(
        fs::read(&deployed).unwrap(),
        fs::read(s.path("lib/dep.js")).unwrap()
    );
    assert_second_run_writes_nothing(&s, &[]);
}

#[test]
fn preload_bug_is_patched_in_server_js_and_the_standalone_json() {
    let s = Scratch::new(V15_1);
    let server_before = s.read(".next/standalone/server.js");
    let json_before = s.read(".next/standalone/.next/required-server-files.json");
    let project_before = s.read(".next/required-server-files.json");
    assert_code(&run(&s.app(), &["check"]), 1);

    let r = run(&s.app(), &["--format", "json"]);
    assert_code(&r, 0);
    let report = r.json();
    assert_eq!(fixed_slugs(&report), ["preload-bug"], "{}", r.stdout);

    // Every other byte of server.js is as it was.
    let server_after = s.read(".next/standalone/server.js");
    assert_eq!(
        server_before
            .matches("\"preloadEntriesOnStart\":true")
            .count(),
        1
    );
    assert_eq!(
        server_after,
        server_before.replace(
            "\"preloadEntriesOnStart\":true",
            "\"preloadEntriesOnStart\":false"
        )
    );
    let json_after = s.read(".next/standalone/.next/required-server-files.json");
    assert_eq!(
        json_after,
        json_before.replace(
            "\"preloadEntriesOnStart\":true",
            "\"preloadEntriesOnStart\":false"
        )
    );
    assert_ne!(json_after, json_before);
    // The project manifest is not the standalone runtime's config: left as it was.
    assert_eq!(s.read(".next/required-server-files.json"), project_before);

    assert_code(&run(&s.app(), &["check"]), 0);
    assert_second_run_writes_nothing(&s, &[]);
}

#[test]
fn dry_run_writes_nothing() {
    let s = Scratch::new(V15_1);
    fs::remove_file(s.standalone().join("cache-handler.js")).unwrap();
    let before = snapshot(s.root());

    let human = run(&s.app(), &["--dry-run"]);
    assert_code(&human, 1);
    assert!(
        human.stdout.contains("graft (dry run): would write"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("copy cache-handler.js -> .next/standalone/cache-handler.js"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains(
            "rewrite .next/standalone/server.js: experimental.preloadEntriesOnStart=false"
        ),
        "{}",
        human.stdout
    );

    let json = run(&s.app(), &["graft", "--dry-run", "--format", "json"]);
    assert_code(&json, 1);
    let report = json.json();
    assert_eq!(report["dry_run"], true);
    let kinds: Vec<&str> = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["copy-file", "rewrite-config", "rewrite-config"]);
    assert_same_tree(&before, &snapshot(s.root()));
}

/// After a real repair the output says what was done, in words that read right: the fixed
/// blocks carry no "run `next-graft` to …" help (it has just run), and counts have plurals.
#[test]
fn fixed_blocks_say_what_was_done() {
    let s = Scratch::new(V15_1);
    fs::remove_file(s.standalone().join("cache-handler.js")).unwrap();
    let out = run(&s.app(), &[]);
    assert_code(&out, 0);
    assert!(
        out.stdout
            .contains("1 file copied; 2 config copies rewritten"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("(s)") && !out.stdout.contains("(ies)"),
        "{}",
        out.stdout
    );
    for (slug, done) in [
        (
            "handler-missing",
            "next-graft copied the handler and its dependencies into the tree",
        ),
        (
            "preload-bug",
            "next-graft set `experimental.preloadEntriesOnStart: false` in the standalone config",
        ),
    ] {
        let block = out
            .stdout
            .split("\n\n")
            .find(|b| b.starts_with(&format!("fixed[{slug}]")))
            .unwrap_or_else(|| panic!("no fixed[{slug}] block:\n{}", out.stdout));
        assert!(block.contains(&format!("= note: {done}")), "{block}");
        assert!(!block.contains("help: run `next-graft`"), "{block}");
    }
}

#[test]
fn bad_input_exits_2_and_changes_nothing() {
    let s = Scratch::new(V14);
    fs::remove_file(s.standalone().join("cache-handler.js")).unwrap();
    let handler = s.path("cache-handler.js");
    let before = snapshot(s.root());
    let cases: Vec<Vec<String>> = vec![
        vec!["--handler".into(), "isr".into()],
        vec![
            "--handler".into(),
            format!("no such kind!={}", handler.display()),
        ],
        vec!["--handler".into(), "isr=/definitely/not/here.js".into()],
        vec!["--handler".into(), "isr=".into()],
        // 14.2 has no 'use cache' handlers.
        vec!["--handler".into(), format!("default={}", handler.display())],
        // graft options on another command.
        vec!["--dry-run".into(), "check".into()],
    ];
    for args in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run(&s.app(), &args);
        assert_code(&r, 2);
        assert!(r.stderr.contains("error"), "{args:?}: {}", r.stderr);
    }
    let missing = run(&s.root().join("nope"), &[]);
    assert_code(&missing, 2);
    assert_same_tree(&before, &snapshot(s.root()));
}

const ISR_HANDLER: &str = r#"const tiny = require('tiny');
const { note } = require('./helper.js');
module.exports = class PlatformCache {
  constructor(ctx) { this.ctx = ctx; }
  async get(key) { note(tiny(key)); return null; }
  async set(key, data) {}
  async revalidateTag(tags) {}
};
"#;

const USE_CACHE_16: &str = r#"import { note } from './helper.js';
export default {
  async get(cacheKey, softTags) { note(cacheKey); return undefined; },
  async set(cacheKey, pendingEntry) { await pendingEntry; },
  async refreshTags() {},
  async getExpiration(tags) { return 0; },
  async updateTags(tags, durations) {},
};
"#;

/// A handler folder outside the project: `<tmp>/<dir>/{handler, helper.js, node_modules/tiny}`.
fn write_outside_handlers(root: &Path, dir: &str) -> PathBuf {
    let d = root.join(dir);
    fs::create_dir_all(d.join("node_modules/tiny")).unwrap();
    fs::write(d.join("isr.js"), ISR_HANDLER).unwrap();
    fs::write(d.join("remote.mjs"), USE_CACHE_16).unwrap();
    fs::write(
        d.join("helper.js"),
        "exports.note = function note(x) { return x; };\n",
    )
    .unwrap();
    fs::write(
        d.join("node_modules/tiny/package.json"),
        "{\"name\":\"tiny\",\"version\":\"1.0.0\",\"main\":\"main.js\"}\n",
    )
    .unwrap();
    fs::write(
        d.join("node_modules/tiny/main.js"),
        "module.exports = (x) => String(x);\n",
    )
    .unwrap();
    d
}

#[test]
fn handler_injection_into_the_16_4_build() {
    let s = Scratch::new(V16_4);
    let platform = write_outside_handlers(s.root(), "platform");
    let isr = format!("isr={}", platform.join("isr.js").display());
    let remote = format!("remote={}", platform.join("remote.mjs").display());
    let outside_before = snapshot(&platform);

    let r = run(
        &s.app(),
        &["--handler", &isr, "--handler", &remote, "--format", "json"],
    );
    assert_code(&r, 0);
    let report = r.json();
    assert_eq!(report["summary"]["errors"], 0, "{}", r.stdout);
    let keys: Vec<&str> = report["handlers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"cacheHandler") && keys.contains(&"cacheHandlers.remote"),
        "{keys:?}"
    );

    // Copied in (relocated: the platform folder is outside the tracing root), with its
    // dependencies where Node's resolution from the copy finds them.
    let outside = s.standalone().join(".next-graft/outside");
    for f in [
        "isr.js",
        "remote.mjs",
        "helper.js",
        "node_modules/tiny/main.js",
        "node_modules/tiny/package.json",
    ] {
        assert_eq!(
            fs::read(outside.join(f)).unwrap(),
            fs::read(platform.join(f)).unwrap(),
            "{f}"
        );
    }
    // Recorded in every standalone copy, relative to the server's distDir.
    let server = s.read(".next/standalone/server.js");
    assert!(
        server.contains("\"cacheHandler\":\"../.next-graft/outside/isr.js\""),
        "{server}"
    );
    assert!(
        server.contains("\"cacheHandlers\":{\"default\":\"../use-cache-handler.mjs\",\"remote\":\"../.next-graft/outside/remote.mjs\"}"),
        "{server}"
    );
    let standalone_json: Value =
        serde_json::from_str(&s.read(".next/standalone/.next/required-server-files.json")).unwrap();
    assert_eq!(
        standalone_json["config"]["cacheHandler"],
        "../.next-graft/outside/isr.js"
    );
    assert_eq!(
        standalone_json["config"]["cacheHandlers"]["remote"],
        "../.next-graft/outside/remote.mjs"
    );
    // The project copies (JSON and its 16.1+ .js twin) name the sources, and agree.
    let project_json: Value =
        serde_json::from_str(&s.read(".next/required-server-files.json")).unwrap();
    assert_eq!(
        project_json["config"]["cacheHandler"],
        "../../platform/isr.js"
    );
    let js = s.read(".next/required-server-files.js");
    assert!(
        js.contains("\"cacheHandler\": \"../../platform/isr.js\""),
        "{js}"
    );
    assert!(
        js.contains("\"remote\": \"../../platform/remote.mjs\""),
        "{js}"
    );

    // Nothing written outside the project's distDir.
    assert_same_tree(&outside_before, &snapshot(&platform));
    assert_code(&run(&s.app(), &["check"]), 0);
    assert_second_run_writes_nothing(&s, &["--handler", &isr, "--handler", &remote]);
    // And without the flags: the build now records them.
    assert_second_run_writes_nothing(&s, &[]);
}

#[test]
fn injected_handler_with_wrong_interface_fails_verify() {
    let s = Scratch::new(V16_4);
    let platform = write_outside_handlers(s.root(), "platform");
    // An ISR class given as a 'use cache' handler: verify must catch it.
    let arg = format!("remote={}", platform.join("isr.js").display());
    let r = run(&s.app(), &["--handler", &arg, "--format", "json"]);
    assert_code(&r, 1);
    let report = r.json();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["slug"] == "interface-mismatch" && f["handler"] == "cacheHandlers.remote"),
        "{}",
        r.stdout
    );
}

/// Points the ISR handler of every copy at `project_value` (project copies) and
/// `standalone_value` (server.js and the standalone JSON).
fn repoint_isr(s: &Scratch, project_value: &str, standalone_value: &str) {
    let old = "\"cacheHandler\":\"../cache-handler.js\"";
    s.replace(
        ".next/standalone/server.js",
        old,
        &format!("\"cacheHandler\":{}", Value::from(standalone_value)),
    );
    s.set_json(
        ".next/standalone/.next/required-server-files.json",
        &["cacheHandler"],
        Some(Value::from(standalone_value)),
    );
    s.set_json(
        ".next/required-server-files.json",
        &["cacheHandler"],
        Some(Value::from(project_value)),
    );
    fs::remove_file(s.standalone().join("cache-handler.js")).unwrap();
}

#[test]
fn handler_outside_the_tracing_root_is_relocated() {
    for absolute in [false, true] {
        let s = Scratch::new(V15_5);
        let shared = write_outside_handlers(s.root(), "shared");
        let (project_value, standalone_value) = if absolute {
            let abs = shared.join("isr.js").display().to_string();
            (abs.clone(), abs)
        } else {
            // What the build writes for a handler in a sibling folder (relative to each distDir).
            (
                "../../shared/isr.js".to_string(),
                "../../shared/isr.js".to_string(),
            )
        };
        repoint_isr(&s, &project_value, &standalone_value);
        let shared_before = snapshot(&shared);
        assert_code(&run(&s.app(), &["check"]), 1);

        let r = run(&s.app(), &["--format", "json"]);
        assert_code(&r, 0);
        let fixed = fixed_slugs(&r.json());
        if absolute {
            assert!(
                fixed.contains(&"absolute-build-path".to_string()),
                "{fixed:?}"
            );
        } else {
            assert!(
                fixed.contains(&"outside-tracing-root".to_string()),
                "{fixed:?}"
            );
        }
        let outside = s.standalone().join(".next-graft/outside");
        for f in [
            "isr.js",
            "helper.js",
            "node_modules/tiny/main.js",
            "node_modules/tiny/package.json",
        ] {
            assert!(outside.join(f).is_file(), "{f} not relocated");
        }
        let server = s.read(".next/standalone/server.js");
        assert!(server.contains("\"cacheHandler\":\"../.next-graft/outside/isr.js\""));
        let project_json: Value =
            serde_json::from_str(&s.read(".next/required-server-files.json")).unwrap();
        assert_eq!(
            project_json["config"]["cacheHandler"],
            "../../shared/isr.js"
        );
        assert_same_tree(&shared_before, &snapshot(&shared));
        assert_code(&run(&s.app(), &["check"]), 0);
        assert_second_run_writes_nothing(&s, &[]);
    }
}

#[test]
fn crafted_dotdot_values_never_write_outside_the_dist_dir() {
    let s = Scratch::new(V14);
    let evil = s.root().join("evil");
    fs::create_dir_all(&evil).unwrap();
    fs::write(
        evil.join("x.js"),
        ISR_HANDLER.replace("require('tiny')", "String"),
    )
    .unwrap();
    fs::write(evil.join("helper.js"), "exports.note = (x) => x;\n").unwrap();
    // From the standalone distDir, this names <tmp>/evil/x.js: a copy "to where the runtime
    // looks" would write outside the tree (and outside the project).
    repoint_isr(&s, "../../evil/x.js", "../../../../evil/x.js");
    // And a value that names a place inside the distDir but outside standalone.
    let before_outside: BTreeMap<PathBuf, String> = snapshot(s.root())
        .into_iter()
        .filter(|(p, _)| !p.starts_with("app/.next"))
        .collect();

    let r = run(&s.app(), &[]);
    assert_code(&r, 0);
    let after_outside: BTreeMap<PathBuf, String> = snapshot(s.root())
        .into_iter()
        .filter(|(p, _)| !p.starts_with("app/.next"))
        .collect();
    assert_same_tree(&before_outside, &after_outside);
    assert!(!s.path(".next/evil").exists());
    let server = s.read(".next/standalone/server.js");
    assert!(
        server.contains("\"cacheHandler\":\"../.next-graft/outside/x.js\""),
        "{server}"
    );
    assert!(s.standalone().join(".next-graft/outside/x.js").is_file());
    assert_second_run_writes_nothing(&s, &[]);
}

#[test]
fn a_server_js_value_that_disagrees_is_restored_from_the_project_manifest() {
    let s = Scratch::new(V14);
    let server_before = s.read(".next/standalone/server.js");
    s.replace(
        ".next/standalone/server.js",
        "\"cacheHandler\":\"../cache-handler.js\"",
        "\"cacheHandler\":\"../../../../../../../../etc/passwd-handler.js\"",
    );
    let r = run(&s.app(), &["--format", "json"]);
    assert_code(&r, 0);
    let fixed = fixed_slugs(&r.json());
    assert!(
        fixed.contains(&"config-copies-disagree".to_string()),
        "{fixed:?}"
    );
    assert_eq!(s.read(".next/standalone/server.js"), server_before);
}

#[test]
fn the_16_4_js_twin_is_made_to_agree() {
    let s = Scratch::new(V16_4);
    let js_before = s.read(".next/required-server-files.js");
    s.replace(
        ".next/required-server-files.js",
        "\"cacheHandler\": \"../cache-handler.js\"",
        "\"cacheHandler\": \"../somewhere-else.js\"",
    );
    let r = run(&s.app(), &["--format", "json"]);
    assert_code(&r, 0);
    let fixed = fixed_slugs(&r.json());
    assert!(
        fixed.contains(&"config-copies-disagree".to_string()),
        "{fixed:?}"
    );
    assert_eq!(s.read(".next/required-server-files.js"), js_before);
    assert_second_run_writes_nothing(&s, &[]);
}

#[test]
fn legacy_key_becomes_cache_handler_in_the_standalone_config() {
    let s = Scratch::new(V14);
    let abs = s.path("cache-handler.js").display().to_string();
    for rel in [
        ".next/required-server-files.json",
        ".next/standalone/.next/required-server-files.json",
    ] {
        s.set_json(rel, &["cacheHandler"], None);
        s.set_json(
            rel,
            &["experimental", "incrementalCacheHandlerPath"],
            Some(Value::from(abs.clone())),
        );
    }
    s.replace(
        ".next/standalone/server.js",
        "\"cacheHandler\":\"../cache-handler.js\",",
        "",
    );
    s.replace(
        ".next/standalone/server.js",
        "\"experimental\":{",
        &format!(
            "\"experimental\":{{\"incrementalCacheHandlerPath\":{},",
            Value::from(abs.clone())
        ),
    );
    assert_code(&run(&s.app(), &["check"]), 1);

    let r = run(&s.app(), &["--format", "json"]);
    assert_code(&r, 0);
    let fixed = fixed_slugs(&r.json());
    assert!(
        fixed.contains(&"legacy-key-ignored".to_string()),
        "{fixed:?}"
    );
    let server = s.read(".next/standalone/server.js");
    assert!(
        server.contains("\"cacheHandler\":\"../cache-handler.js\""),
        "{server}"
    );
    assert!(!server.contains("incrementalCacheHandlerPath"));
    assert_code(&run(&s.app(), &["check"]), 0);
    assert_second_run_writes_nothing(&s, &[]);
}

fn symlink(target: &str, link: &Path) {
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[test]
fn pnpm_links_are_recreated_as_relative_links() {
    let s = Scratch::new(V14);
    let nm = s.path("node_modules");
    let pnpm = nm.join(".pnpm");
    let tiny = pnpm.join("tiny@1.0.0/node_modules/tiny");
    let dep2 = pnpm.join("dep2@2.0.0/node_modules/dep2");
    fs::create_dir_all(&tiny).unwrap();
    fs::create_dir_all(&dep2).unwrap();
    fs::write(
        tiny.join("package.json"),
        r#"{"name":"tiny","main":"main.js"}"#,
    )
    .unwrap();
    fs::write(
        tiny.join("main.js"),
        "const up = require('dep2');\nmodule.exports = (x) => up(String(x));\n",
    )
    .unwrap();
    fs::write(
        dep2.join("package.json"),
        r#"{"name":"dep2","version":"2.0.0"}"#,
    )
    .unwrap();
    fs::write(
        dep2.join("index.js"),
        "module.exports = (s) => s.toUpperCase();\n",
    )
    .unwrap();
    symlink(
        "../../dep2@2.0.0/node_modules/dep2",
        &pnpm.join("tiny@1.0.0/node_modules/dep2"),
    );
    symlink(".pnpm/tiny@1.0.0/node_modules/tiny", &nm.join("tiny"));
    s.write(
        "pnpm-handler.js",
        &ISR_HANDLER.replace("./helper.js", "./lib/helper.js"),
    );
    s.write("lib/helper.js", "exports.note = (x) => x;\n");

    let arg = format!("isr={}", s.path("pnpm-handler.js").display());
    let r = run(&s.app(), &["--handler", &arg, "-v"]);
    assert_code(&r, 0);
    let st = s.standalone();
    assert_eq!(
        fs::read_link(st.join("node_modules/tiny")).unwrap(),
        PathBuf::from(".pnpm/tiny@1.0.0/node_modules/tiny")
    );
    assert_eq!(
        fs::read_link(st.join("node_modules/.pnpm/tiny@1.0.0/node_modules/dep2")).unwrap(),
        PathBuf::from("../../dep2@2.0.0/node_modules/dep2")
    );
    for f in [
        "node_modules/.pnpm/tiny@1.0.0/node_modules/tiny/main.js",
        "node_modules/.pnpm/tiny@1.0.0/node_modules/tiny/package.json",
        "node_modules/.pnpm/dep2@2.0.0/node_modules/dep2/index.js",
        "node_modules/.pnpm/dep2@2.0.0/node_modules/dep2/package.json",
        "pnpm-handler.js",
        "lib/helper.js",
    ] {
        let p = st.join(f);
        assert!(
            p.symlink_metadata().unwrap().is_file(),
            "{f} is not a real file in the tree"
        );
    }
    let server = s.read(".next/standalone/server.js");
    assert!(server.contains("\"cacheHandler\":\"../pnpm-handler.js\""));
    // Node itself resolves the copied closure from inside the tree, when it is installed.
    if let Ok(out) = Command::new("node")
        .arg("-e")
        .arg("const C = require(process.argv[1]); new C({}).get('k').then(() => console.log('ok'))")
        .arg(st.join("pnpm-handler.js"))
        .env("NODE_PATH", "")
        .output()
    {
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_second_run_writes_nothing(&s, &["--handler", &arg]);

    // A real directory where the source has a link: left alone, with its own warning.
    let link = st.join("node_modules/tiny");
    fs::remove_file(&link).unwrap();
    copy_tree(&tiny, &link);
    let r = run(&s.app(), &["--handler", &arg, "--format", "json"]);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let warned: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "warning")
        .filter_map(|f| f["slug"].as_str())
        .collect();
    assert!(warned.contains(&"link-replaced-in-tree"), "{}", r.stdout);
    assert!(link.symlink_metadata().unwrap().is_dir(), "replaced");
}

/// A destination that exists as something other than a file is never replaced.
#[test]
fn a_directory_where_a_file_belongs_is_not_replaced() {
    let s = Scratch::new(V14);
    let handler = s.standalone().join("cache-handler.js");
    fs::remove_file(&handler).unwrap();
    fs::create_dir(&handler).unwrap();
    let r = run(&s.app(), &["--format", "json"]);
    assert_code(&r, 1);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["slug"] == "not-a-regular-file")
        .unwrap_or_else(|| panic!("no not-a-regular-file warning: {}", r.stdout))
        .clone();
    assert_eq!(finding["severity"], "warning");
    assert!(handler.is_dir());
}

#[test]
fn a_failing_write_leaves_nothing_half_written() {
    let s = Scratch::new(V14);
    // Two copies are needed; the second cannot be made (a file where its directory should be).
    fs::remove_file(s.standalone().join("cache-handler.js")).unwrap();
    fs::remove_dir_all(s.standalone().join("lib")).unwrap();
    fs::write(s.standalone().join("lib"), "not a directory").unwrap();
    let before = snapshot(s.root());
    let r = run(&s.app(), &[]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("lib"), "{}", r.stderr);
    assert_same_tree(&before, &snapshot(s.root()));
}

#[test]
fn an_absolute_build_machine_path_is_mapped_onto_this_project() {
    let s = Scratch::new(V14);
    let manifest: Value =
        serde_json::from_str(&s.read(".next/required-server-files.json")).unwrap();
    let build_machine = manifest["appDir"].as_str().unwrap().to_string();
    assert!(
        !Path::new(&build_machine).exists(),
        "the fixture's appDir exists here"
    );
    let abs = format!("{build_machine}/cache-handler.js");
    repoint_isr(&s, &abs, &abs);
    assert_code(&run(&s.app(), &["check"]), 1);
    let r = run(&s.app(), &["--format", "json"]);
    assert_code(&r, 0);
    let fixed = fixed_slugs(&r.json());
    assert!(
        fixed.contains(&"absolute-build-path".to_string()),
        "{fixed:?}"
    );
    assert!(s
        .read(".next/standalone/server.js")
        .contains("\"cacheHandler\":\"../cache-handler.js\""));
    let project: Value = serde_json::from_str(&s.read(".next/required-server-files.json")).unwrap();
    assert_eq!(project["config"]["cacheHandler"], "../cache-handler.js");
    assert!(s.standalone().join("cache-handler.js").is_file());
    assert_second_run_writes_nothing(&s, &[]);
}

#[test]
fn a_workspace_link_to_outside_the_root_is_relocated_and_relinked() {
    let s = Scratch::new(V15_5);
    let pkg = s.root().join("shared-pkg");
    fs::create_dir_all(&pkg).unwrap();
    fs::write(
        pkg.join("package.json"),
        r#"{"name":"shared-pkg","main":"index.js"}"#,
    )
    .unwrap();
    fs::write(pkg.join("index.js"), "module.exports = (x) => String(x);\n").unwrap();
    symlink("../../shared-pkg", &s.path("node_modules/shared-pkg"));
    s.write(
        "ws-handler.js",
        &ISR_HANDLER
            .replace("require('tiny')", "require('shared-pkg')")
            .replace("./helper.js", "./lib/dep.js"),
    );
    let arg = format!("isr={}", s.path("ws-handler.js").display());
    let r = run(&s.app(), &["--handler", &arg]);
    assert_code(&r, 0);
    let st = s.standalone();
    assert!(st.join(".next-graft/outside/index.js").is_file());
    assert!(st.join(".next-graft/outside/package.json").is_file());
    let link = fs::read_link(st.join("node_modules/shared-pkg")).unwrap();
    assert!(link.is_relative(), "{}", link.display());
    assert_eq!(
        fs::canonicalize(st.join("node_modules/shared-pkg/index.js")).unwrap(),
        fs::canonicalize(st.join(".next-graft/outside/index.js")).unwrap()
    );
    assert_code(&run(&s.app(), &["check"]), 0);
    assert_second_run_writes_nothing(&s, &["--handler", &arg]);
}

#[test]
fn a_file_url_value_becomes_a_relative_path() {
    let s = Scratch::new(V15_5);
    let url = format!("file://{}", s.path("cache-handler.js").display());
    repoint_isr(&s, &url, &url);
    assert_code(&run(&s.app(), &["check"]), 1);
    let r = run(&s.app(), &["--format", "json"]);
    assert_code(&r, 0);
    let fixed = fixed_slugs(&r.json());
    assert!(
        fixed.contains(&"file-url-unsupported".to_string()),
        "{fixed:?}"
    );
    assert!(s
        .read(".next/standalone/server.js")
        .contains("\"cacheHandler\":\"../cache-handler.js\""));
    assert_second_run_writes_nothing(&s, &[]);
}

#[test]
fn relocated_commonjs_keeps_its_module_kind_in_an_esm_app() {
    let s = Scratch::new(V15_5);
    for rel in ["package.json", ".next/standalone/package.json"] {
        let mut pj: Value = serde_json::from_str(&s.read(rel)).unwrap();
        pj["type"] = Value::from("module");
        s.write(rel, &serde_json::to_string_pretty(&pj).unwrap());
    }
    let shared = write_outside_handlers(s.root(), "shared");
    repoint_isr(&s, "../../shared/isr.js", "../../shared/isr.js");
    let r = run(&s.app(), &["-v"]);
    assert_code(&r, 0);
    let outside = s.standalone().join(".next-graft/outside");
    let boundary: Value =
        serde_json::from_str(&fs::read_to_string(outside.join("package.json")).unwrap()).unwrap();
    assert!(boundary.get("type").is_none(), "{boundary}");
    assert!(!shared.join("package.json").exists());
    // Node loads the relocated CommonJS handler from inside the ESM app's tree.
    if let Ok(out) = Command::new("node")
        .arg("-e")
        .arg("const C = require(process.argv[1]); new C({}).get('k').then(() => console.log('ok'))")
        .arg(outside.join("isr.js"))
        .output()
    {
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_second_run_writes_nothing(&s, &[]);
}

const USE_CACHE_15: &str = r#"export default {
  async get(cacheKey, softTags) { return undefined; },
  async set(cacheKey, pendingEntry) { await pendingEntry; },
  async refreshTags() {},
  async getExpiration(...tags) { return 0; },
  async expireTags(...tags) {},
};
"#;

/// The 15.5 fixture turned into a monorepo: `<tmp>/repo/apps/web` (tracing root `<tmp>/repo`,
/// `relativeAppDir` = `apps/web`), as `next build` lays it out.
#[test]
fn monorepo_layout_places_files_relative_to_the_tracing_root() {
    let s = Scratch::new(V15_5);
    let repo = s.root().join("repo");
    let web = repo.join("apps/web");
    fs::create_dir_all(repo.join("apps")).unwrap();
    fs::rename(s.app(), &web).unwrap();
    let standalone = web.join(".next/standalone");
    let server_dir = standalone.join("apps/web");
    fs::create_dir_all(&server_dir).unwrap();
    for entry in fs::read_dir(&standalone).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "apps" {
            fs::rename(entry.path(), server_dir.join(entry.file_name())).unwrap();
        }
    }
    for manifest in [
        web.join(".next/required-server-files.json"),
        server_dir.join(".next/required-server-files.json"),
    ] {
        let text = fs::read_to_string(&manifest).unwrap();
        let text = text.replace(
            "\"relativeAppDir\": \"\"",
            "\"relativeAppDir\": \"apps/web\"",
        );
        fs::write(&manifest, text).unwrap();
    }
    assert_code(&run(&web, &["check"]), 0);

    // A workspace package (inside the root) and a platform folder (outside it).
    let cache = repo.join("packages/cache");
    fs::create_dir_all(&cache).unwrap();
    fs::write(cache.join("handler.js"), ISR_HANDLER).unwrap();
    fs::write(cache.join("helper.js"), "exports.note = (x) => x;\n").unwrap();
    fs::write(
        cache.join("package.json"),
        r#"{"name":"cache","type":"commonjs"}"#,
    )
    .unwrap();
    let tiny = repo.join("node_modules/tiny");
    fs::create_dir_all(&tiny).unwrap();
    fs::write(
        tiny.join("package.json"),
        r#"{"name":"tiny","main":"main.js"}"#,
    )
    .unwrap();
    fs::write(tiny.join("main.js"), "module.exports = String;\n").unwrap();
    let platform = s.root().join("platform");
    fs::create_dir_all(&platform).unwrap();
    fs::write(platform.join("remote.mjs"), USE_CACHE_15).unwrap();
    fs::remove_file(server_dir.join("use-cache-handler.mjs")).unwrap();

    let isr = format!("isr={}", cache.join("handler.js").display());
    let remote = format!("remote={}", platform.join("remote.mjs").display());
    let r = run(&web, &["--handler", &isr, "--handler", &remote, "-v"]);
    assert_code(&r, 0);
    for f in [
        "packages/cache/handler.js",
        "packages/cache/helper.js",
        "packages/cache/package.json",
        "node_modules/tiny/main.js",
        "node_modules/tiny/package.json",
        "apps/web/use-cache-handler.mjs",
        "apps/web/.next-graft/outside/remote.mjs",
    ] {
        assert!(standalone.join(f).is_file(), "{f} missing:\n{}", r.stdout);
    }
    let server = fs::read_to_string(server_dir.join("server.js")).unwrap();
    assert!(
        server.contains("\"cacheHandler\":\"../../../packages/cache/handler.js\""),
        "{server}"
    );
    assert!(server.contains("\"remote\":\"../.next-graft/outside/remote.mjs\""));
    assert!(server.contains("\"default\":\"../use-cache-handler.mjs\""));
    assert_code(&run(&web, &["check"]), 0);

    let before = snapshot(s.root());
    let again = run(&web, &["--handler", &isr, "--handler", &remote]);
    assert_code(&again, 0);
    assert!(
        again.stdout.contains("graft: nothing to do"),
        "{}",
        again.stdout
    );
    assert_same_tree(&before, &snapshot(s.root()));
}

/// `--fsync` syncs before the first rename and after the last; the default leaves the writes to
/// the page cache. Proved with the sync failpoints (a real SIGKILL right after each sync): they
/// are reached only with `--fsync`, in that order, and the tree converges either way.
#[test]
fn fsync_syncs_before_and_after_the_renames_only_when_asked() {
    use std::os::unix::process::ExitStatusExt;
    fn graft(app: &Path, args: &[&str], failpoint: &str) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_next-graft"))
            .arg("--project")
            .arg(app)
            .args(["--color", "never", "-q"])
            .args(args)
            .env("NEXT_GRAFT_FAILPOINT", failpoint)
            .output()
            .unwrap()
    }
    let s = Scratch::new(V16_4);
    let dep = s.standalone().join("lib/dep.js");
    fs::remove_file(&dep).unwrap();
    // Killed right after the first sync: staged, nothing renamed yet.
    let out = graft(&s.app(), &["--fsync"], "synced:staged");
    assert_eq!(out.status.signal(), Some(9), "{out:?}");
    assert!(!dep.exists());
    // Killed right after the final sync: everything is in place.
    let out = graft(&s.app(), &["--fsync"], "synced:committed");
    assert_eq!(out.status.signal(), Some(9), "{out:?}");
    assert!(dep.is_file());
    assert_code(&run(&s.app(), &["check"]), 0);

    // Without --fsync neither point is reached: the run completes.
    let s = Scratch::new(V16_4);
    let dep = s.standalone().join("lib/dep.js");
    fs::remove_file(&dep).unwrap();
    for point in ["synced:staged", "synced:committed"] {
        let out = graft(&s.app(), &[], point);
        assert_eq!(out.status.code(), Some(0), "{point}: {out:?}");
    }
    assert!(dep.is_file());
}
