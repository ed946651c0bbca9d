//! Config file discovery per Next version (`docs/version-facts.md` §4) and parse errors.

use std::fs;
use std::path::Path;

use next_graft::config::{self, ConfigError, Discovery};
use next_graft::versions::Version;

fn touch(dir: &Path, name: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join(name), "module.exports = {}\n").unwrap();
}

fn found(d: Discovery) -> String {
    match d {
        Discovery::Found { file } => file.file_name().unwrap().to_string_lossy().into_owned(),
        other => panic!("expected a config file, got {other:?}"),
    }
}

const V14: Version = Version::new(14, 2, 35);
const V15: Version = Version::new(15, 5, 29);
const V16: Version = Version::new(16, 4, 6);

#[test]
fn precedence_is_js_mjs_ts_mts() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    for n in [
        "next.config.mts",
        "next.config.ts",
        "next.config.mjs",
        "next.config.js",
    ] {
        touch(d, n);
    }
    assert_eq!(found(config::discover(d, Some(V16))), "next.config.js");
    fs::remove_file(d.join("next.config.js")).unwrap();
    assert_eq!(found(config::discover(d, Some(V16))), "next.config.mjs");
    fs::remove_file(d.join("next.config.mjs")).unwrap();
    assert_eq!(found(config::discover(d, Some(V16))), "next.config.ts");
    assert_eq!(found(config::discover(d, Some(V15))), "next.config.ts");
    fs::remove_file(d.join("next.config.ts")).unwrap();
    assert_eq!(found(config::discover(d, Some(V16))), "next.config.mts");
    // Unknown version: the newest known rules.
    assert_eq!(found(config::discover(d, None)), "next.config.mts");
}

#[test]
fn ts_only_from_15_and_mts_only_from_16() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    touch(d, "next.config.ts");
    assert_eq!(
        found(config::discover(d, Some(Version::new(15, 0, 0)))),
        "next.config.ts"
    );
    match config::discover(d, Some(V14)) {
        Discovery::Unsupported { message, .. } => {
            assert!(
                message.contains("'next.config.ts' is not supported"),
                "{message}"
            );
            assert!(
                message.contains("'next.config.js' or 'next.config.mjs'"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    fs::remove_file(d.join("next.config.ts")).unwrap();
    touch(d, "next.config.mts");
    assert!(matches!(
        config::discover(d, Some(V15)),
        Discovery::Unsupported { .. }
    ));
    assert_eq!(found(config::discover(d, Some(V16))), "next.config.mts");
    // 14.x does not look for .mts at all: ignored, like a lone .cjs.
    assert!(matches!(
        config::discover(d, Some(V14)),
        Discovery::Ignored { .. }
    ));
}

#[test]
fn lone_cjs_is_ignored_on_14_and_rejected_on_15() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    touch(d, "next.config.cjs");
    match config::discover(d, Some(V14)) {
        Discovery::Ignored { file, reason } => {
            assert!(file.ends_with("next.config.cjs"));
            assert!(reason.contains("no config"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // The analysis then has no config: Next runs with its defaults.
    assert!(config::analyze_project(d, Some(V14)).unwrap().is_none());
    match config::discover(d, Some(V15)) {
        Discovery::Unsupported { message, .. } => assert!(
            message.contains("'next.config.js', 'next.config.mjs', or 'next.config.ts'"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        config::analyze_project(d, Some(V16)),
        Err(ConfigError::Unsupported { .. })
    ));
    // A supported name beside it wins.
    touch(d, "next.config.mjs");
    assert_eq!(found(config::discover(d, Some(V14))), "next.config.mjs");
}

#[test]
fn parent_directories_are_searched() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let app = root.join("apps/web");
    fs::create_dir_all(&app).unwrap();
    touch(root, "next.config.js");
    let d = config::discover(&app, Some(V16));
    assert_eq!(d.file(), Some(root.join("next.config.js").as_path()));
    // The nearest directory wins over a higher-precedence name further up.
    touch(&app, "next.config.ts");
    assert_eq!(
        config::discover(&app, Some(V16)).file(),
        Some(app.join("next.config.ts").as_path())
    );
    // ... unless this version cannot read it: then the search goes on upward.
    assert_eq!(
        config::discover(&app, Some(V14)).file(),
        Some(root.join("next.config.js").as_path())
    );
}

#[test]
fn no_config_at_all() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("a/b");
    fs::create_dir_all(&d).unwrap();
    // (a temp dir's parents hold no next.config.*)
    assert_eq!(config::discover(&d, Some(V16)), Discovery::None);
    assert!(config::analyze_project(&d, Some(V16)).unwrap().is_none());
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    fs::write(
        d.join("next.config.js"),
        "module.exports = {\n  cacheHandler: './x.js'\n  output: 'standalone',\n}\n",
    )
    .unwrap();
    let err = config::analyze_project(d, Some(V16)).unwrap_err();
    match &err {
        ConfigError::Syntax {
            file,
            line,
            column,
            message,
        } => {
            assert!(file.ends_with("next.config.js"));
            assert_eq!((*line, *column), (3, 3), "{message}");
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(text.ends_with(&format!(
        "next.config.js:3:3: syntax error: {}",
        text.rsplit(": ").next().unwrap()
    )));
    assert!(
        text.contains("next.config.js:3:3: syntax error: "),
        "{text}"
    );
    let input: next_graft::InputError = err.into();
    assert!(input.message.contains(":3:3:"));

    // TypeScript: the error is reported at the offending token.
    fs::remove_file(d.join("next.config.js")).unwrap();
    fs::write(d.join("next.config.ts"), "import type { NextConfig } from 'next'\nconst c: NextConfig = {\n  cacheHandler: require.resolve('./h.js'),,\n}\nexport default c\n").unwrap();
    match config::analyze_project(d, Some(V16)).unwrap_err() {
        ConfigError::Syntax { line, column, .. } => assert_eq!((line, column), (3, 43)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn typescript_syntax_parses_and_evaluates() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    fs::write(d.join("cache-handler.js"), "module.exports = class {}\n").unwrap();
    fs::write(
        d.join("next.config.ts"),
        "import type { NextConfig } from 'next'\nimport path from 'path'\n\nconst nextConfig = {\n  output: 'standalone',\n  cacheHandler: require.resolve('./cache-handler.js') as string,\n  cacheHandlers: { default: path.join(__dirname, 'cache-handler.js')! },\n} satisfies NextConfig\n\nexport default nextConfig\n",
    )
    .unwrap();
    let a = config::analyze_project(d, Some(V16)).unwrap().unwrap();
    assert_eq!(a.module_kind, config::ModuleKind::Cjs);
    assert_eq!(a.refs.len(), 2);
    let real = fs::canonicalize(d.join("cache-handler.js")).unwrap();
    for r in &a.refs {
        let resolved = r.candidates[0].resolved.clone().unwrap();
        assert_eq!(fs::canonicalize(resolved).unwrap(), real, "{}", r.key_name);
    }
    assert_eq!(a.refs[0].location.line, Some(6));
    assert_eq!(
        a.refs[0].source_line,
        "  cacheHandler: require.resolve('./cache-handler.js') as string,"
    );
}

#[test]
fn module_kind_follows_extension_and_package_type() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    fs::write(d.join("package.json"), r#"{ "type": "module" }"#).unwrap();
    fs::write(d.join("h.mjs"), "export default {}\n").unwrap();
    fs::write(d.join("next.config.js"), "export default { cacheHandler: import.meta.resolve('./h.mjs'), cacheHandlers: { default: __dirname + '/h.mjs' } }\n").unwrap();
    let a = config::analyze_project(d, Some(V16)).unwrap().unwrap();
    assert_eq!(a.module_kind, config::ModuleKind::Esm);
    let c = &a.refs[0].candidates[0];
    assert!(matches!(
        c.value,
        config::CandidateValue::ImportMetaResolve { file_url: true, .. }
    ));
    assert!(c.resolved.as_ref().unwrap().ends_with("h.mjs"));
    // `__dirname` does not exist in an ES module: an unknown candidate at its span.
    let u = &a.refs[1].candidates[0];
    assert!(
        matches!(&u.value, config::CandidateValue::Unknown { reason, .. } if reason.contains("__dirname")),
        "{u:?}"
    );
    assert_eq!(u.location.as_ref().unwrap().column, Some(90));

    // CommonJS package: require.resolve resolves with Node's rules; a missing file says so.
    fs::write(d.join("package.json"), r#"{ "type": "commonjs" }"#).unwrap();
    fs::write(
        d.join("next.config.js"),
        "module.exports = { cacheHandler: require.resolve('./missing.js') }\n",
    )
    .unwrap();
    let a = config::analyze_project(d, Some(V16)).unwrap().unwrap();
    assert_eq!(a.module_kind, config::ModuleKind::Cjs);
    let c = &a.refs[0].candidates[0];
    assert!(c.resolved.is_none());
    assert!(c.resolve_error.as_deref().unwrap().contains("./missing.js"));
}

#[test]
fn modern_module_syntax_parses() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    fs::write(
        d.join("package.json"),
        r#"{ "name": "x", "version": "1.0.0" }"#,
    )
    .unwrap();
    fs::write(
        d.join("next.config.mjs"),
        "import pkg from './package.json' with { type: 'json' }\nconst extra = await import('./extra.mjs').catch(() => ({}))\n\nexport default {\n  env: { VERSION: pkg.version },\n  cacheHandler: new URL('./cache-handler.mjs', import.meta.url).pathname,\n}\n",
    )
    .unwrap();
    let a = config::analyze_project(d, Some(V16)).unwrap().unwrap();
    assert_eq!(a.refs.len(), 1);
    assert_eq!(
        a.refs[0].candidates[0].resolved.as_deref(),
        Some(d.join("cache-handler.mjs").as_path())
    );
}

/// SWC's TypeScript parser spins on these fuzzer-made inputs (`fuzz/known-hangs/`): the parse
/// deadline turns them into an error naming the file instead of a hung run.
#[test]
fn a_parser_hang_is_an_error_not_a_hang() {
    let hangs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/known-hangs");
    let Some(input) = std::fs::read_dir(&hangs)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .min()
    else {
        return;
    };
    let source = String::from_utf8_lossy(&std::fs::read(&input).unwrap()).into_owned();
    let started = std::time::Instant::now();
    let result = next_graft::config::parse(std::path::Path::new("/p/next.config.ts"), &source);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    // It really hangs (tests of the tracer's deadline use the same input): only the deadline
    // ends it, with an error naming the file.
    let err = result.expect_err("the parse finished: not one of SWC's known hangs any more?");
    assert!(err.to_string().starts_with("/p/next.config.ts:"), "{err}");
    assert!(err.to_string().contains("did not finish within"), "{err}");
}
