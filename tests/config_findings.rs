//! Each config finding slug: when it fires, and the nearest case where it must not.

use std::fs;

use next_graft::config::{self, findings::config_findings, ConfigAnalysis};
use next_graft::findings::{Finding, Severity, Slug};
use next_graft::manifest::RecordedHandler;
use next_graft::versions::Version;

const V14_0: Version = Version::new(14, 0, 4);
const V14: Version = Version::new(14, 2, 35);
const V15: Version = Version::new(15, 5, 29);
const V16_2: Version = Version::new(16, 2, 12);
const V16: Version = Version::new(16, 4, 6);

struct Project {
    dir: tempfile::TempDir,
}

fn project(config_name: &str, source: &str) -> (Project, ConfigAnalysis) {
    let dir = tempfile::tempdir().unwrap();
    for f in ["cache-handler.js", "use-cache-handler.js", "other.js"] {
        fs::write(dir.path().join(f), "module.exports = {}\n").unwrap();
    }
    fs::write(dir.path().join("h.mjs"), "export default {}\n").unwrap();
    fs::write(dir.path().join(config_name), source).unwrap();
    let a = config::analyze_project(dir.path(), Some(V16))
        .unwrap()
        .unwrap();
    (Project { dir }, a)
}

fn rec(key: &str, value: &str) -> RecordedHandler {
    RecordedHandler {
        key: key.into(),
        value: value.into(),
    }
}

fn slugs(f: &[Finding]) -> Vec<Slug> {
    f.iter().map(|f| f.slug).collect()
}

fn only(f: &[Finding], slug: Slug) -> &Finding {
    let matching: Vec<&Finding> = f.iter().filter(|x| x.slug == slug).collect();
    assert_eq!(matching.len(), 1, "{f:#?}");
    matching[0]
}

const GATED: &str = "/** @type {import('next').NextConfig} */\nmodule.exports = {\n  output: 'standalone',\n  cacheHandler: process.env.CACHE_BACKEND ? require.resolve('./cache-handler.js') : undefined,\n}\n";

#[test]
fn inactive_at_build_names_the_line_and_the_variable() {
    let (_p, a) = project("next.config.js", GATED);
    let f = config_findings(&a, Some(&[]), Some(V16), false, None);
    let x = only(&f, Slug::InactiveAtBuild);
    assert_eq!(x.severity, Severity::Error);
    assert_eq!(x.location.as_ref().unwrap().line, Some(4));
    assert!(x.message.contains("CACHE_BACKEND is set"), "{}", x.message);
    assert!(x.message.contains("recorded no handler"), "{}", x.message);
    let help = x.help.as_deref().unwrap();
    assert!(
        help.contains("set CACHE_BACKEND in the environment of `next build`"),
        "{help}"
    );
    assert!(help.contains("--handler isr=./cache-handler.js"), "{help}");
    assert_eq!(x.source_line.as_deref().unwrap().trim_start(), "cacheHandler: process.env.CACHE_BACKEND ? require.resolve('./cache-handler.js') : undefined,");
    assert_eq!(x.handler.as_deref(), Some("cacheHandler"));
}

#[test]
fn inactive_at_build_is_quiet_when_the_build_took_the_branch() {
    let (_p, a) = project("next.config.js", GATED);
    let f = config_findings(
        &a,
        Some(&[rec("cacheHandler", "../cache-handler.js")]),
        Some(V16),
        false,
        None,
    );
    assert!(!slugs(&f).contains(&Slug::InactiveAtBuild), "{f:#?}");
    // No build output: nothing to reconcile with.
    let f = config_findings(&a, None, Some(V16), false, None);
    assert!(!slugs(&f).contains(&Slug::InactiveAtBuild), "{f:#?}");
}

#[test]
fn inactive_at_build_when_the_build_recorded_another_handler() {
    let (_p, a) = project("next.config.js", GATED);
    let f = config_findings(
        &a,
        Some(&[rec("cacheHandler", "../other.js")]),
        Some(V16),
        false,
        None,
    );
    let x = only(&f, Slug::InactiveAtBuild);
    assert!(
        x.message.contains("`../other.js` for it instead"),
        "{}",
        x.message
    );
}

#[test]
fn inactive_at_build_for_a_phase_branch_and_use_cache_handlers() {
    let src = "const { PHASE_PRODUCTION_SERVER } = require('next/constants')\nmodule.exports = (phase) => ({\n  cacheHandlers: phase === PHASE_PRODUCTION_SERVER ? { default: require.resolve('./use-cache-handler.js') } : {},\n})\n";
    let (_p, a) = project("next.config.js", src);
    let f = config_findings(&a, Some(&[]), Some(V16), false, None);
    let x = only(&f, Slug::InactiveAtBuild);
    assert_eq!(x.handler.as_deref(), Some("cacheHandlers.default"));
    assert!(
        x.message.contains("phase-production-server"),
        "{}",
        x.message
    );
    assert!(
        x.help.as_deref().unwrap().contains("--handler default="),
        "{:?}",
        x.help
    );
}

#[test]
fn relative_path_next_start() {
    let (p, a) = project(
        "next.config.js",
        "module.exports = {\n  output: 'standalone',\n  cacheHandler: './cache-handler.js',\n}\n",
    );
    let f = config_findings(&a, None, Some(V16), false, None);
    let x = only(&f, Slug::RelativePathNextStart);
    assert_eq!(x.location.as_ref().unwrap().line, Some(3));
    let dist = p.dir.path().join(".next/cache-handler.js");
    assert!(
        x.message.contains(&dist.display().to_string()),
        "{}",
        x.message
    );
    assert!(x
        .help
        .as_deref()
        .unwrap()
        .contains("require.resolve('./cache-handler.js')"));
    // An absolute form is fine.
    let (_p, a) = project(
        "next.config.js",
        "module.exports = { cacheHandler: require.resolve('./cache-handler.js') }\n",
    );
    assert!(config_findings(&a, None, Some(V16), false, None).is_empty());
}

/// The severity answers one question: does production, served this way, fail to load it?
#[test]
fn relative_path_next_start_is_an_error_only_when_next_start_serves_the_build() {
    use next_graft::layout::Deployment;
    let (_p, a) = project(
        "next.config.js",
        "module.exports = {\n  cacheHandler: './cache-handler.js',\n}\n",
    );
    let served = |d: Option<Deployment>| {
        let f = config_findings(&a, None, Some(V16), false, d);
        only(&f, Slug::RelativePathNextStart).clone()
    };
    let start = served(Some(Deployment::Start));
    assert_eq!(start.severity, Severity::Error);
    assert!(
        start
            .help
            .as_deref()
            .unwrap()
            .contains("next-graft fix-config --write"),
        "{:?}",
        start.help
    );
    assert!(
        start
            .notes
            .iter()
            .any(|n| n.contains("served with `next start`")),
        "{:?}",
        start.notes
    );
    let standalone = served(Some(Deployment::Standalone));
    assert_eq!(standalone.severity, Severity::Warning);
    assert!(
        standalone.notes.iter().any(|n| n.contains("--mode start")),
        "{:?}",
        standalone.notes
    );
    assert_eq!(served(None).severity, Severity::Warning);
}

#[test]
fn legacy_key_ignored_from_14_1() {
    let src = "const path = require('path')\nmodule.exports = {\n  experimental: { incrementalCacheHandlerPath: path.join(__dirname, 'cache-handler.js') },\n}\n";
    let (_p, a) = project("next.config.js", src);
    let f = config_findings(&a, None, Some(V14), false, None);
    let x = only(&f, Slug::LegacyKeyIgnored);
    assert_eq!(x.severity, Severity::Error);
    assert_eq!(
        x.handler.as_deref(),
        Some("experimental.incrementalCacheHandlerPath")
    );
    assert!(config_findings(&a, None, Some(V14_0), false, None).is_empty());
}

#[test]
fn deprecated_experimental_key_on_16() {
    let src = "module.exports = {\n  experimental: { cacheHandlers: { default: require.resolve('./use-cache-handler.js') } },\n}\n";
    let (_p, a) = project("next.config.js", src);
    let f = config_findings(&a, None, Some(V16), false, None);
    let x = only(&f, Slug::DeprecatedExperimentalKey);
    assert_eq!(x.severity, Severity::Warning);
    assert_eq!(
        x.handler.as_deref(),
        Some("experimental.cacheHandlers.default")
    );
    assert!(config_findings(&a, None, Some(V15), false, None).is_empty());
}

#[test]
fn wrong_key_for_version() {
    let top = "module.exports = {\n  cacheHandlers: { default: require.resolve('./use-cache-handler.js') },\n}\n";
    let (_p, a) = project("next.config.js", top);
    let f = config_findings(&a, Some(&[]), Some(V15), false, None);
    let x = only(&f, Slug::WrongKeyForVersion);
    assert!(x.message.contains("15.5.29"), "{}", x.message);
    assert!(x
        .help
        .as_deref()
        .unwrap()
        .contains("experimental.cacheHandlers"));
    // A key the version does not read is not also reported as inactive.
    assert_eq!(slugs(&f), vec![Slug::WrongKeyForVersion]);
    assert!(config_findings(&a, None, Some(V16), false, None).is_empty());

    let exp = "module.exports = { experimental: { cacheHandlers: { default: require.resolve('./use-cache-handler.js') } } }\n";
    let (_p, a) = project("next.config.js", exp);
    only(
        &config_findings(&a, None, Some(V14), false, None),
        Slug::WrongKeyForVersion,
    );
    assert!(config_findings(&a, None, Some(V15), false, None).is_empty());

    let isr = "module.exports = { cacheHandler: require.resolve('./cache-handler.js') }\n";
    let (_p, a) = project("next.config.js", isr);
    only(
        &config_findings(&a, None, Some(V14_0), false, None),
        Slug::WrongKeyForVersion,
    );
    assert!(config_findings(&a, None, Some(V14), false, None).is_empty());
}

#[test]
fn file_url_unsupported_before_16_3_even_without_a_build() {
    let src = "export default {\n  cacheHandlers: {\n    default: import.meta.resolve('./h.mjs'),\n  },\n}\n";
    let (_p, a) = project("next.config.mjs", src);
    let f = config_findings(&a, None, Some(V16_2), false, None);
    let x = only(&f, Slug::FileUrlUnsupported);
    assert_eq!(x.location.as_ref().unwrap().line, Some(3));
    assert!(x.help.as_deref().unwrap().contains("fileURLToPath"));
    assert!(config_findings(&a, None, Some(V16), false, None).is_empty());
    // new URL(...).href is a file URL too; fileURLToPath(...) is a path.
    let src = "import { fileURLToPath } from 'node:url'\nexport default {\n  cacheHandler: new URL('./h.mjs', import.meta.url).href,\n  cacheHandlers: { default: fileURLToPath(import.meta.resolve('./h.mjs')) },\n}\n";
    let (_p, a) = project("next.config.mjs", src);
    let f = config_findings(&a, None, Some(V15), false, None);
    assert_eq!(
        slugs(&f),
        vec![Slug::FileUrlUnsupported, Slug::WrongKeyForVersion],
        "{f:#?}"
    );
    assert_eq!(
        only(&f, Slug::FileUrlUnsupported).handler.as_deref(),
        Some("cacheHandler")
    );
}

#[test]
fn singular_for_use_cache() {
    let (_p, a) = project(
        "next.config.js",
        "module.exports = { cacheHandler: require.resolve('./cache-handler.js') }\n",
    );
    let f = config_findings(&a, None, Some(V16), true, None);
    let x = only(&f, Slug::SingularForUseCache);
    assert!(x.message.contains("#82993"));
    assert!(x
        .help
        .as_deref()
        .unwrap()
        .contains("cacheHandlers: { default"));
    let f15 = config_findings(&a, None, Some(V15), true, None);
    assert!(only(&f15, Slug::SingularForUseCache)
        .help
        .as_deref()
        .unwrap()
        .contains("experimental.cacheHandlers"));
    // Not without 'use cache', not on 14.x, not when cacheHandlers is set.
    assert!(config_findings(&a, None, Some(V16), false, None).is_empty());
    assert!(config_findings(&a, None, Some(V14), true, None).is_empty());
    let (_p, a) = project(
        "next.config.js",
        "module.exports = { cacheHandler: require.resolve('./cache-handler.js'), cacheHandlers: { default: require.resolve('./use-cache-handler.js') } }\n",
    );
    assert!(config_findings(&a, None, Some(V16), true, None).is_empty());
}

#[test]
fn inactive_at_build_ignores_branches_that_hold_during_next_build() {
    // NODE_ENV is 'production' during `next build`: that branch was taken. The development
    // branch names no handler, so nothing is reported.
    let src = "module.exports = {\n  cacheHandler: process.env.NODE_ENV === 'production' ? require.resolve('./cache-handler.js') : undefined,\n}\n";
    let (_p, a) = project("next.config.js", src);
    assert!(config_findings(&a, Some(&[]), Some(V16), false, None).is_empty());
    // A development-only handler is not expected in production either.
    let src = "module.exports = {\n  cacheHandler: process.env.NODE_ENV === 'development' ? require.resolve('./cache-handler.js') : undefined,\n}\n";
    let (_p, a) = project("next.config.js", src);
    assert!(config_findings(&a, Some(&[]), Some(V16), false, None).is_empty());
    // But `NODE_ENV === 'production' && REDIS_URL` depends on REDIS_URL: reported, naming it.
    let src = "module.exports = {\n  cacheHandler: process.env.NODE_ENV === 'production' && process.env.REDIS_URL ? require.resolve('./cache-handler.js') : undefined,\n}\n";
    let (_p, a) = project("next.config.js", src);
    let f = config_findings(&a, Some(&[]), Some(V16), false, None);
    let x = only(&f, Slug::InactiveAtBuild);
    assert!(
        x.help
            .as_deref()
            .unwrap()
            .starts_with("set REDIS_URL in the environment"),
        "{:?}",
        x.help
    );
}

const SINGULAR_CONFIG: &str =
    "module.exports = { cacheHandler: require.resolve('./cache-handler.js') }\n";

/// A 16.4.6 project with only `cacheHandler` in next.config.js (no build).
fn singular_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("node_modules/next")).unwrap();
    fs::write(
        dir.path().join("node_modules/next/package.json"),
        "{\"name\":\"next\",\"version\":\"16.4.6\"}\n",
    )
    .unwrap();
    fs::write(dir.path().join("package.json"), "{}\n").unwrap();
    fs::write(dir.path().join("cache-handler.js"), "module.exports = {}\n").unwrap();
    fs::write(dir.path().join("next.config.js"), SINGULAR_CONFIG).unwrap();
    dir
}

fn check_slugs(dir: &std::path::Path) -> (Vec<String>, Vec<Slug>) {
    let layout = next_graft::layout::discover(dir, None).unwrap();
    let c = config::check_config(&layout, None).unwrap();
    (c.use_cache_kinds.clone(), slugs(&c.findings))
}

#[test]
fn use_cache_scan_feeds_singular_for_use_cache() {
    // No build: the sources are scanned (node_modules skipped).
    let dir = singular_project();
    let app = dir.path().join("app/posts");
    fs::create_dir_all(&app).unwrap();
    fs::create_dir_all(dir.path().join("node_modules/x")).unwrap();
    fs::write(
        dir.path().join("node_modules/x/index.js"),
        "'use cache: vendor'\n",
    )
    .unwrap();
    fs::write(
        app.join("page.tsx"),
        "export default async function Page() {\n  'use cache'\n  return null\n}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("app/data.ts"),
        "export async function get() {\n  \"use cache: remote\";\n}\n",
    )
    .unwrap();
    let (kinds, slugs) = check_slugs(dir.path());
    assert_eq!(kinds, ["default", "remote"]);
    assert_eq!(slugs, [Slug::SingularForUseCache]);
    let empty = singular_project();
    assert_eq!(check_slugs(empty.path()), (vec![], vec![]));
}

#[test]
fn use_cache_from_the_build_feeds_singular_for_use_cache() {
    // After a build the server reference manifest decides, not the sources.
    let build = |dir: &std::path::Path, manifest: &str| {
        fs::create_dir_all(dir.join(".next/server")).unwrap();
        fs::write(dir.join(".next/BUILD_ID"), "x\n").unwrap();
        fs::write(
            dir.join(".next/required-server-files.json"),
            "{\"version\":1,\"config\":{},\"relativeAppDir\":\"\",\"files\":[]}",
        )
        .unwrap();
        fs::write(
            dir.join(".next/server/server-reference-manifest.json"),
            manifest,
        )
        .unwrap();
    };
    let uses = singular_project();
    build(
        uses.path(),
        r#"{"node":{"80b5e90288cf305847fa04da1275197d7e7c421e5c":{"workers":{"app/cached/page":{"moduleId":"5009","async":false}},"layer":{"app/cached/page":"rsc"}}},"edge":{},"encryptionKey":"x"}"#,
    );
    let (kinds, slugs) = check_slugs(uses.path());
    assert_eq!(kinds, ["default"]);
    assert_eq!(slugs, [Slug::SingularForUseCache]);
    // Server actions only, and a 'use cache' source the build did not compile: no warning.
    let actions = singular_project();
    fs::write(actions.path().join("unused.js"), "'use cache'\n").unwrap();
    build(
        actions.path(),
        r#"{"node":{"00b5e90288cf305847fa04da1275197d7e7c421e5c":{"workers":{"app/page":{"moduleId":"1","async":false}},"filename":"app/actions.js","exportedName":"save"}},"edge":{},"encryptionKey":"x"}"#,
    );
    assert_eq!(check_slugs(actions.path()), (vec![], vec![]));
}

/// A config that picks its key by the installed Next version (as the version matrix's app
/// does): the branch the build did not take names a key this version does not read. With the
/// build's record (only the key it took), that branch is not a finding; before a build, or when
/// the build did record the key, it still is.
#[test]
fn wrong_key_for_version_only_for_a_branch_the_build_took() {
    let src = "const legacy = require('next/package.json').version.startsWith('13.')\nmodule.exports = {\n  cacheHandler: legacy ? undefined : require.resolve('./cache-handler.js'),\n  experimental: legacy ? { incrementalCacheHandlerPath: require.resolve('./cache-handler.js') } : {},\n}\n";
    let (p, a) = project("next.config.js", src);
    let handler = p.dir.path().join("cache-handler.js");
    let handler = handler.to_str().unwrap();
    // Next 13.5 took the legacy branch: only the legacy key is recorded.
    let legacy_build = [rec("experimental.incrementalCacheHandlerPath", handler)];
    let f = config_findings(&a, Some(&legacy_build), Some(V14_0), false, None);
    assert!(!slugs(&f).contains(&Slug::WrongKeyForVersion), "{f:#?}");
    // Next 16.4 took the other one: the legacy key's branch is not judged either.
    let current_build = [rec("cacheHandler", handler)];
    let f = config_findings(&a, Some(&current_build), Some(V16), false, None);
    assert!(!slugs(&f).contains(&Slug::LegacyKeyIgnored), "{f:#?}");
    // Before a build nothing says which branch runs.
    only(
        &config_findings(&a, None, Some(V14_0), false, None),
        Slug::WrongKeyForVersion,
    );
    // A build that recorded the unread key did take its branch.
    let both = [
        rec("cacheHandler", handler),
        rec("experimental.incrementalCacheHandlerPath", handler),
    ];
    only(
        &config_findings(&a, Some(&both), Some(V14_0), false, None),
        Slug::WrongKeyForVersion,
    );
}
