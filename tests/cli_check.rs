//! Layer 2: `next-graft check` on trimmed real build trees (`fixtures/next-*`), copied to a
//! temporary directory first so fixtures are never modified. Fast and offline.

mod common;

use common::{copy_tree, fixture, run, slugs, tree_hash};
use std::fs;

#[test]
fn healthy_builds_pass() {
    for name in [
        "next-14.2.35-v14-isr",
        "next-15.5.29-v15-5",
        "next-16.4.6-v16-4",
    ] {
        let dir = copy_tree(&fixture(name));
        let out = run(&["check", "--format", "json"], dir.path());
        assert_eq!(out.code, 0, "{name}: {}\n{}", out.stdout, out.stderr);
        let json = out.json();
        assert_eq!(json["summary"]["errors"], 0, "{name}");
        assert_eq!(json["command"], "check");
        assert_eq!(json["schema_version"], 1);
        let handlers = json["handlers"].as_array().unwrap();
        assert!(
            handlers
                .iter()
                .any(|h| h["key"] == "cacheHandler" && h["deployed_files"].as_u64() >= Some(3)),
            "{name}: {handlers:?}"
        );
    }
}

#[test]
fn versions_are_detected() {
    let cases = [
        ("next-14.2.35-v14-isr", "14.2.35"),
        ("next-15.1.12-v15-1-preload", "15.1.12"),
        ("next-15.5.29-v15-5", "15.5.29"),
        ("next-16.4.6-v16-4", "16.4.6"),
    ];
    for (name, version) in cases {
        let out = run(&["check", "--format", "json"], &fixture(name));
        assert_eq!(out.json()["next_version"], version, "{name}");
    }
}

#[test]
fn preload_bug_on_15_1() {
    let dir = copy_tree(&fixture("next-15.1.12-v15-1-preload"));
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(slugs(&out.json()), ["preload-bug"]);
}

#[test]
fn handler_deleted_from_standalone() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    fs::remove_file(dir.path().join(".next/standalone/cache-handler.js")).unwrap();
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(slugs(&json), ["handler-missing"]);
    assert_eq!(json["findings"][0]["handler"], "cacheHandler");
}

#[test]
fn use_cache_handler_deleted_from_standalone() {
    let dir = copy_tree(&fixture("next-15.5.29-v15-5"));
    fs::remove_file(dir.path().join(".next/standalone/use-cache-handler.mjs")).unwrap();
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(slugs(&json), ["handler-missing"]);
    assert_eq!(
        json["findings"][0]["handler"],
        "experimental.cacheHandlers.default"
    );
}

#[test]
fn dependency_deleted_from_standalone() {
    for (name, dep) in [
        ("next-16.4.6-v16-4", "node_modules/ms"),
        ("next-14.2.35-v14-isr", "lib/dep.js"),
    ] {
        let dir = copy_tree(&fixture(name));
        let path = dir.path().join(".next/standalone").join(dep);
        if path.is_dir() {
            fs::remove_dir_all(&path).unwrap();
        } else {
            fs::remove_file(&path).unwrap();
        }
        let out = run(&["check", "--format", "json"], dir.path());
        assert_eq!(out.code, 1, "{name}");
        assert_eq!(
            slugs(&out.json()),
            ["dependency-missing"],
            "{name}: {}",
            out.stdout
        );
    }
}

#[test]
fn dependency_missing_also_when_the_build_tree_is_gone() {
    // As in a Docker image: the standalone folder alone, no project node_modules above it.
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    fs::remove_dir_all(dir.path().join(".next/standalone/node_modules/ms")).unwrap();
    fs::remove_dir_all(dir.path().join("node_modules/ms")).unwrap();
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 1);
    // The source cannot resolve `ms` either now: that is an unresolvable dependency.
    assert_eq!(
        slugs(&out.json()),
        ["dependency-unresolvable"],
        "{}",
        out.stdout
    );
}

#[test]
fn unresolvable_import_names_file_and_line() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    for base in ["", ".next/standalone/"] {
        let dep = dir.path().join(base).join("lib/dep.js");
        let text = fs::read_to_string(&dep).unwrap();
        fs::write(&dep, format!("{text}\nrequire('not-installed-pkg')\n")).unwrap();
    }
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(slugs(&json), ["dependency-unresolvable"], "{}", out.stdout);
    let location = &json["findings"][0]["location"];
    assert!(
        location["file"].as_str().unwrap().ends_with("lib/dep.js"),
        "{location}"
    );
    assert!(location["line"].as_u64().unwrap() > 1);
}

#[test]
fn disagreeing_copies() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    let json_copy = dir
        .path()
        .join(".next/standalone/.next/required-server-files.json");
    let text = fs::read_to_string(&json_copy).unwrap();
    fs::write(
        &json_copy,
        text.replace("../cache-handler.js", "../other-handler.js"),
    )
    .unwrap();
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 1);
    assert_eq!(slugs(&out.json()), ["config-copies-disagree"]);
}

#[test]
fn absolute_and_escaping_values() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    let server = dir.path().join(".next/standalone/server.js");
    let text = fs::read_to_string(&server).unwrap();
    let json_copy = dir
        .path()
        .join(".next/standalone/.next/required-server-files.json");
    let json_text = fs::read_to_string(&json_copy).unwrap();
    let abs = dir.path().join("cache-handler.js").display().to_string();
    fs::write(
        &server,
        text.replace("\"../cache-handler.js\"", &format!("{abs:?}")),
    )
    .unwrap();
    fs::write(
        &json_copy,
        json_text.replace("\"../cache-handler.js\"", &format!("{abs:?}")),
    )
    .unwrap();
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 1);
    assert_eq!(slugs(&out.json()), ["absolute-build-path"]);

    let escaping = "../../../../../../etc/handler.js";
    fs::write(&server, text.replace("../cache-handler.js", escaping)).unwrap();
    fs::write(
        &json_copy,
        json_text.replace("../cache-handler.js", escaping),
    )
    .unwrap();
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 1);
    assert_eq!(slugs(&out.json()), ["outside-tracing-root"]);
}

#[test]
fn legacy_key_on_14_2() {
    let dir = copy_tree(&fixture("next-14.2.35-v14-isr"));
    for file in [
        ".next/standalone/server.js",
        ".next/standalone/.next/required-server-files.json",
        ".next/required-server-files.json",
    ] {
        let path = dir.path().join(file);
        let text = fs::read_to_string(&path).unwrap();
        let text = text
            .replacen("\"cacheHandler\":", "\"cacheHandlerX\":", 1)
            .replacen("\"cacheHandler\": ", "\"cacheHandlerX\": ", 1);
        let text = text.replacen(
            "\"experimental\":{",
            "\"experimental\":{\"incrementalCacheHandlerPath\":\"/build/old.js\",",
            1,
        );
        let text = text.replacen(
            "\"experimental\": {",
            "\"experimental\": {\n    \"incrementalCacheHandlerPath\": \"/build/old.js\",",
            1,
        );
        fs::write(&path, text).unwrap();
    }
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(slugs(&out.json()), ["legacy-key-ignored"]);
}

#[test]
fn interface_mismatch_object_for_isr() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    fs::write(
        dir.path().join(".next/standalone/cache-handler.js"),
        "module.exports = { get() {}, set() {} }\n",
    )
    .unwrap();
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 1);
    assert_eq!(slugs(&out.json()), ["interface-mismatch"]);
}

#[test]
fn interface_mismatch_missing_use_cache_methods_on_16() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    // The 15.x shape (expireTags) is not what 16.x calls (updateTags).
    fs::write(
        dir.path().join(".next/standalone/use-cache-handler.mjs"),
        "export default { async get() {}, async set() {}, async refreshTags() {}, async getExpiration() {}, async expireTags() {} }\n",
    )
    .unwrap();
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 1);
    let json = out.json();
    assert_eq!(slugs(&json), ["interface-mismatch"]);
    assert!(json["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("updateTags"));
}

#[test]
fn factory_handlers_are_not_checkable_not_wrong() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    fs::write(
        dir.path().join(".next/standalone/cache-handler.js"),
        "const f = require('./lib/dep.js')\nmodule.exports = f.create()\n",
    )
    .unwrap();
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(slugs(&out.json()), ["interface-uncheckable"]);
}

#[test]
fn typescript_handler() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    let standalone = dir.path().join(".next/standalone");
    fs::copy(
        standalone.join("cache-handler.js"),
        standalone.join("cache-handler.ts"),
    )
    .unwrap();
    for file in ["server.js", ".next/required-server-files.json"] {
        let path = standalone.join(file);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(
            &path,
            text.replace("../cache-handler.js", "../cache-handler.ts"),
        )
        .unwrap();
    }
    // Production on Node 20, which cannot load `.ts` (tests/cli_node.rs has the other versions).
    let out = run(&["check", "--format", "json", "--node", "20"], dir.path());
    assert_eq!(out.code, 1);
    assert!(
        slugs(&out.json()).contains(&"typescript-handler".to_string()),
        "{}",
        out.stdout
    );
}

#[test]
fn human_output_and_quiet() {
    let dir = copy_tree(&fixture("next-15.1.12-v15-1-preload"));
    let out = run(&["check", "--color", "never"], dir.path());
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.starts_with("error[preload-bug]: "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(" --> .next/standalone/server.js"));
    assert!(out.stdout.contains("= help: "));
    assert!(out
        .stdout
        .ends_with("check: failed: 1 error, 0 warnings (Next.js 15.1.12)\n"));
    assert!(!out.stdout.contains('\x1b'));
    let coloured = run(&["check", "--color", "always"], dir.path());
    assert!(coloured.stdout.contains('\x1b'));
    // -q: the errors and the verdict that counts them.
    let quiet = run(&["check", "-q", "--color", "never"], dir.path());
    assert_eq!(quiet.code, 1);
    assert!(
        quiet.stdout.starts_with("error[preload-bug]: "),
        "{}",
        quiet.stdout
    );
    assert!(quiet
        .stdout
        .ends_with("check: failed: 1 error, 0 warnings (Next.js 15.1.12)\n"));
}

/// `-q` on a build that passes prints nothing at all (a quiet postbuild), and exits 0.
#[test]
fn quiet_prints_nothing_when_there_is_no_error() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    let loud = run(&["check", "--color", "never"], dir.path());
    assert_eq!(loud.code, 0, "{}", loud.stdout);
    assert!(loud.stdout.contains("check: ok: "), "{}", loud.stdout);
    let quiet = run(&["check", "-q"], dir.path());
    assert_eq!(quiet.code, 0, "{}", quiet.stdout);
    assert_eq!(quiet.stdout, "", "-q printed something on a passing build");
    let graft = run(&["-q"], dir.path());
    assert_eq!(graft.code, 0, "{}", graft.stdout);
    assert_eq!(graft.stdout, "");
}

// ---- bad input: one line naming the file, exit 2, nothing written ----

fn assert_bad_input(dir: &std::path::Path, args: &[&str], expect_in_message: &str) {
    let before = tree_hash(dir);
    let out = run(args, dir);
    assert_eq!(
        out.code, 2,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let line = out.stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.starts_with("next-graft: error: "), "{line}");
    assert!(
        line.contains(expect_in_message),
        "{line} does not contain {expect_in_message}"
    );
    assert_eq!(before, tree_hash(dir), "the tree changed");
}

#[test]
fn bad_input_not_a_next_project() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("README"), "hello").unwrap();
    assert_bad_input(dir.path(), &["check"], "not a Next.js project");
}

#[test]
fn bad_input_missing_project_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["check"], &dir.path().join("does-not-exist"));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("does-not-exist: cannot open project directory"),
        "{}",
        out.stderr
    );
}

#[test]
fn bad_input_no_build_output() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    fs::remove_dir_all(dir.path().join(".next")).unwrap();
    fs::remove_file(dir.path().join("next.config.js")).unwrap();
    assert_bad_input(dir.path(), &["check"], "run `next build` first");
}

#[test]
fn bad_input_invalid_manifest_json() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    let manifest = dir.path().join(".next/required-server-files.json");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(&manifest, &text[..text.len() / 2]).unwrap();
    assert_bad_input(dir.path(), &["check"], "required-server-files.json:");
}

#[test]
fn bad_input_standalone_manifest_invalid() {
    let dir = copy_tree(&fixture("next-15.5.29-v15-5"));
    fs::write(
        dir.path()
            .join(".next/standalone/.next/required-server-files.json"),
        "{\"config\": 3}",
    )
    .unwrap();
    assert_bad_input(
        dir.path(),
        &["check"],
        "standalone/.next/required-server-files.json: no `config` object",
    );
}

#[test]
fn bad_input_server_js_without_config_literal() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    fs::write(
        dir.path().join(".next/standalone/server.js"),
        "require('./my-custom-server')\n",
    )
    .unwrap();
    assert_bad_input(dir.path(), &["check"], "server.js: no `const nextConfig");
}

#[test]
fn bad_input_server_js_syntax_error() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    fs::write(
        dir.path().join(".next/standalone/server.js"),
        "const nextConfig = {\n  oops(\n",
    )
    .unwrap();
    assert_bad_input(dir.path(), &["check"], "server.js:");
}

#[test]
fn bad_usage_is_exit_2() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    let out = run(&["check", "--format", "yaml"], dir.path());
    assert_eq!(out.code, 2);
}

#[test]
fn explain_shows_handlers_closures_and_destinations() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    fs::remove_file(dir.path().join(".next/standalone/lib/dep.js")).unwrap();
    let out = run(&["explain", "-v", "--color", "never"], dir.path());
    assert_eq!(out.code, 1, "{}", out.stdout);
    for expected in [
        "next.js       16.4.6",
        "cacheHandler = ../cache-handler.js",
        "production loads  .next/standalone/cache-handler.js (present)",
        "closure           5 files from the source; 4 in the deployable tree",
        "lib/dep.js",
        "-> .next/standalone/lib/dep.js [Dependency, to copy]",
        "error[dependency-missing]: `./lib/dep.js`",
    ] {
        assert!(
            out.stdout.contains(expected),
            "missing {expected:?} in\n{}",
            out.stdout
        );
    }
    let json = run(&["explain", "--format", "json"], dir.path()).json();
    let closure = json["handlers"][0]["closure"].as_array().unwrap();
    let dep = closure
        .iter()
        .find(|f| f["source"].as_str().unwrap().ends_with("lib/dep.js"))
        .unwrap();
    assert_eq!(dep["present"], false);
    assert!(dep["destination"]
        .as_str()
        .unwrap()
        .ends_with(".next/standalone/lib/dep.js"));
    assert_eq!(json["copies"].as_array().unwrap().len(), 4);
}

#[test]
fn before_the_build_check_reads_next_config_alone() {
    let dir = copy_tree(&fixture("next-15.5.29-v15-5"));
    fs::remove_dir_all(dir.path().join(".next")).unwrap();
    fs::write(
        dir.path().join("next.config.mjs"),
        "export default {\n  output: 'standalone',\n  cacheHandler: import.meta.resolve('./cache-handler.js'),\n}\n",
    )
    .unwrap();
    fs::remove_file(dir.path().join("next.config.js")).unwrap();
    let before = tree_hash(dir.path());
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let json = out.json();
    assert_eq!(slugs(&json), ["file-url-unsupported"]);
    let location = &json["findings"][0]["location"];
    assert!(location["file"]
        .as_str()
        .unwrap()
        .ends_with("next.config.mjs"));
    assert_eq!(location["line"], 3);
    assert_eq!(before, tree_hash(dir.path()));
}

#[test]
fn relative_handler_path_is_flagged_for_next_start() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    let config = dir.path().join("next.config.js");
    let text = fs::read_to_string(&config).unwrap();
    fs::write(
        &config,
        text.replace(
            "require.resolve('./cache-handler.js')",
            "'./cache-handler.js'",
        ),
    )
    .unwrap();
    let out = run(&["check", "--format", "json"], dir.path());
    let json = out.json();
    assert!(
        slugs(&json).contains(&"relative-path-next-start".to_string()),
        "{}",
        out.stdout
    );
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["slug"] == "relative-path-next-start")
        .unwrap();
    assert_eq!(
        finding["location"]["file"].as_str().unwrap(),
        config.to_str().unwrap()
    );
    assert!(finding["source_line"]
        .as_str()
        .unwrap()
        .contains("'./cache-handler.js'"));
}

#[test]
fn config_syntax_error_is_exit_2_with_line_and_column() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    fs::write(
        dir.path().join("next.config.js"),
        "module.exports = {\n  cacheHandler: require.resolve('./x.js'),,\n}\n",
    )
    .unwrap();
    assert_bad_input(dir.path(), &["check"], "next.config.js:2:");
}

#[test]
fn optional_dependency_in_try_catch_is_a_warning_not_an_error() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4"));
    for base in ["", ".next/standalone/"] {
        let dep = dir.path().join(base).join("lib/dep.js");
        let text = fs::read_to_string(&dep).unwrap();
        fs::write(
            &dep,
            format!(
                "{text}\nlet colors;\ntry {{ colors = require('supports-color'); }} catch {{}}\n"
            ),
        )
        .unwrap();
    }
    let out = run(&["check", "--format", "json"], dir.path());
    assert_eq!(out.code, 0, "{}", out.stdout);
    let json = out.json();
    let finding = &json["findings"][0];
    assert_eq!(finding["slug"], "dependency-unresolvable");
    assert_eq!(finding["severity"], "warning");
}

/// Files outside the tracing root are shown where graft puts them: below
/// `standalone/<app>/.next-graft/outside/`, not only as "relocated".
#[test]
fn explain_names_the_relocation_destination_of_outside_files() {
    let dir = copy_tree(&fixture("next-16.4.6-v16-4-outside-root"));
    let web = dir.path().join("web");
    let human = run(&["explain", "-v", "--color", "never"], &web);
    assert!(
        human
            .stdout
            .contains("-> .next/standalone/.next-graft/outside/cache-handler.js"),
        "{}",
        human.stdout
    );
    let json = run(&["explain", "--format", "json"], &web).json();
    let closure = json["handlers"][0]["closure"].as_array().unwrap().clone();
    let dests: Vec<String> = closure
        .iter()
        .filter_map(|f| f["destination"].as_str().map(str::to_string))
        .collect();
    assert!(
        dests
            .iter()
            .any(|d| d.ends_with(".next-graft/outside/dep.js")),
        "{dests:?}"
    );
    // Exactly where graft puts them.
    assert_eq!(run(&[], &web).code, 0);
    for d in &dests {
        assert!(std::path::Path::new(d).is_file(), "graft did not place {d}");
    }
}
