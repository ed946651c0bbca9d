//! `config::use_cache`: after a build, whether the app uses `'use cache'` (and which kinds) comes
//! from `<distDir>/server/server-reference-manifest.json` and the few files it names, never from
//! a walk of the project; before a build, from the source scan.
//!
//! The manifests below are the shapes real builds wrote (see each test); the ids and encryption
//! keys are real values from those builds.

use std::fs;
use std::path::{Path, PathBuf};

use next_graft::config::{self, use_cache};
use next_graft::layout::{self, Layout};

/// A Next app at `<root>/<app_dir>` with next@`version` installed, no build yet.
fn app(root: &Path, app_dir: &str, version: &str) -> PathBuf {
    let project = root.join(app_dir);
    fs::create_dir_all(project.join("node_modules/next")).unwrap();
    fs::write(project.join("package.json"), "{\"private\":true}\n").unwrap();
    fs::write(
        project.join("node_modules/next/package.json"),
        format!("{{\"name\":\"next\",\"version\":\"{version}\"}}\n"),
    )
    .unwrap();
    project
}

enum Bundler {
    Webpack,
    Turbopack,
}

/// A finished build in `<project>/.next` (BUILD_ID, required-server-files.json with
/// `relative_app_dir`, the bundler's runtime marker) with `manifest` as the server reference
/// manifest, or none.
fn build(project: &Path, relative_app_dir: &str, bundler: Bundler, manifest: Option<&str>) {
    let dist = project.join(".next");
    fs::create_dir_all(dist.join("server")).unwrap();
    fs::write(dist.join("BUILD_ID"), "build-id\n").unwrap();
    fs::write(
        dist.join("required-server-files.json"),
        format!("{{\"version\":1,\"config\":{{}},\"relativeAppDir\":\"{relative_app_dir}\",\"files\":[]}}"),
    )
    .unwrap();
    let marker = match bundler {
        Bundler::Webpack => "webpack-runtime.js",
        Bundler::Turbopack => "[turbopack]_runtime.js",
    };
    fs::write(dist.join("server").join(marker), "").unwrap();
    if let Some(text) = manifest {
        fs::write(dist.join("server/server-reference-manifest.json"), text).unwrap();
    }
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn kinds(layout: &Layout) -> Vec<String> {
    use_cache::use_cache_kinds(layout).into_iter().collect()
}

fn discover(project: &Path) -> Layout {
    layout::discover(project, None).unwrap()
}

const PAGE: &str = "async function getValue() {\n  'use cache';\n  return 1;\n}\n";
const REMOTE: &str =
    "export async function remoteValue() {\n  'use cache: remote';\n  return 42;\n}\n";

/// next@16.4.6 Turbopack, 'use cache' in app/cached/page.js and 'use cache: remote' in
/// lib/remote.js: the manifest as the build wrote it (pretty-printed, numeric module ids).
const MANIFEST_16_4_TURBOPACK: &str = r#"{
  "node": {
    "80fceb7ab1c5bf6fff6406b53393d695899b9285e5": {
      "workers": {
        "app/cached/page": {
          "moduleId": 80442,
          "async": false
        }
      },
      "filename": "app/cached/page.js",
      "exportedName": "$$RSC_SERVER_CACHE_0"
    },
    "807f6c34c31db0198b82774aa402d51ec4dd587c3e": {
      "workers": {
        "app/cached/page": {
          "moduleId": 80442,
          "async": false
        }
      },
      "filename": "lib/remote.js",
      "exportedName": "$$RSC_SERVER_CACHE_0"
    }
  },
  "edge": {},
  "encryptionKey": "rQFYbvrdky53ZNqUELQsccVNEunJcE5NYNUlBhiA8HE="
}"#;

/// The same app built by next@16.4.6 with `--webpack` (compact, string module ids).
const MANIFEST_16_4_WEBPACK: &str = r#"{"node":{"80d71a90b7e23a7bea5db2718e5fe18859b580c126":{"workers":{"app/cached/page":{"moduleId":"9278","async":false}},"filename":"app/cached/page.js","exportedName":"$$RSC_SERVER_CACHE_0"},"80b670e71c5c8b29a3a27778fcc2e8da7562695f75":{"workers":{"app/cached/page":{"moduleId":"9278","async":false}},"filename":"lib/remote.js","exportedName":"$$RSC_SERVER_CACHE_0"}},"edge":{},"encryptionKey":"NrYuSo/w97uBe6nwFoyVuIs6D8R230TpiTMI2pDmhA0="}"#;

/// next@15.1.12 (webpack), 'use cache' in app/cached/page.js: no filename, no exportedName.
const MANIFEST_15_1: &str = r#"{"node":{"80b5e90288cf305847fa04da1275197d7e7c421e5c":{"workers":{"app/cached/page":{"moduleId":"5009","async":false}},"layer":{"app/cached/page":"rsc"}}},"edge":{},"encryptionKey":"fT4fN0soVKceWgLbojcSshKjQ0o/KEMXoRlDzjOO6Yc="}"#;

#[test]
fn kinds_from_the_16_4_manifest_and_the_files_it_names() {
    for (manifest, bundler) in [
        (MANIFEST_16_4_TURBOPACK, Bundler::Turbopack),
        (MANIFEST_16_4_WEBPACK, Bundler::Webpack),
    ] {
        let root = tempfile::tempdir().unwrap();
        let project = app(root.path(), "", "16.4.6");
        write(&project.join("app/cached/page.js"), PAGE);
        write(&project.join("lib/remote.js"), REMOTE);
        build(&project, "", bundler, Some(manifest));
        assert_eq!(kinds(&discover(&project)), ["default", "remote"]);
    }
}

#[test]
fn the_15_1_manifest_names_no_file_the_app_uses_use_cache_kind_default() {
    let root = tempfile::tempdir().unwrap();
    let project = app(root.path(), "", "15.1.12");
    // A source naming another kind: the build's answer, not the scan's, is used.
    write(&project.join("lib/remote.js"), REMOTE);
    build(&project, "", Bundler::Webpack, Some(MANIFEST_15_1));
    let layout = discover(&project);
    assert_eq!(kinds(&layout), ["default"]);
    assert!(use_cache::uses_use_cache(&layout));
}

#[test]
fn an_entry_whose_file_is_gone_or_names_no_directive_still_means_use_cache() {
    let root = tempfile::tempdir().unwrap();
    let project = app(root.path(), "", "16.4.6");
    // lib/remote.js was deleted after the build; app/cached/page.js was rewritten.
    write(&project.join("app/cached/page.js"), "export default 1\n");
    build(&project, "", Bundler::Webpack, Some(MANIFEST_16_4_WEBPACK));
    assert_eq!(kinds(&discover(&project)), ["default"]);
}

#[test]
fn a_manifest_of_server_actions_only_means_no_use_cache() {
    let root = tempfile::tempdir().unwrap();
    let project = app(root.path(), "", "16.4.6");
    // Type bit 0: server actions ('use server'), whatever their names and files say.
    let manifest = r#"{"node":{"00ab5e90288cf305847fa04da1275197d7e7c421e5":{"workers":{"app/page":{"moduleId":"1","async":false}},"filename":"lib/actions.js","exportedName":"save"},"7fcd5e90288cf305847fa04da1275197d7e7c421e5":{"workers":{"app/page":{"moduleId":"1","async":false}},"filename":"lib/actions.js","exportedName":"remove"}},"edge":{"40ef5e90288cf305847fa04da1275197d7e7c421e5":{"workers":{"app/edge/page":{"moduleId":"2","async":false}},"filename":"lib/actions.js","exportedName":"load"}},"encryptionKey":"x"}"#;
    write(
        &project.join("lib/actions.js"),
        "'use server';\nexport async function save() {}\n",
    );
    // A 'use cache' source the build did not compile (dead code): not read.
    write(&project.join("app/unused.js"), PAGE);
    build(&project, "", Bundler::Webpack, Some(manifest));
    let layout = discover(&project);
    assert!(kinds(&layout).is_empty());
    assert!(!use_cache::uses_use_cache(&layout));
}

#[test]
fn the_type_bit_alone_marks_use_cache() {
    let root = tempfile::tempdir().unwrap();
    let project = app(root.path(), "", "16.4.6");
    // An entry whose name is not `$$RSC_SERVER_CACHE_*` but whose id has the type bit set
    // (first byte 0x80 and up) is a 'use cache' function. The edge runtime counts too.
    let manifest = r#"{"node":{},"edge":{"c0ab5e90288cf305847fa04da1275197d7e7c421e5":{"workers":{"app/page":{"moduleId":"1","async":false}},"filename":"lib/data.js","exportedName":"getData"}},"encryptionKey":"x"}"#;
    write(
        &project.join("lib/data.js"),
        "'use cache: private'\nexport async function getData() {}\n",
    );
    build(&project, "", Bundler::Webpack, Some(manifest));
    assert_eq!(kinds(&discover(&project)), ["private"]);
}

#[test]
fn a_build_without_a_manifest_has_no_use_cache_and_the_sources_are_not_read() {
    let root = tempfile::tempdir().unwrap();
    let project = app(root.path(), "", "16.4.6");
    for i in 0..50 {
        write(&project.join(format!("app/p{i}/page.js")), PAGE);
    }
    build(&project, "", Bundler::Turbopack, None);
    // The scan would find `default` in every one of them: an empty answer proves it did not run.
    assert!(kinds(&discover(&project)).is_empty());
}

#[test]
fn a_manifest_that_cannot_be_read_falls_back_to_the_scan() {
    let unclassifiable_on_16 =
        r#"{"node":{"b5e90288cf305847fa04da1275197d7e7c421e5c":{"workers":{}}},"edge":{}}"#;
    for manifest in [
        "{\"node\": {",
        "[]",
        "{\"encryptionKey\":\"x\"}",
        "{\"node\":[]}",
        unclassifiable_on_16,
    ] {
        let root = tempfile::tempdir().unwrap();
        let project = app(root.path(), "", "16.4.6");
        write(&project.join("lib/remote.js"), REMOTE);
        build(&project, "", Bundler::Webpack, Some(manifest));
        assert_eq!(kinds(&discover(&project)), ["remote"], "{manifest}");
    }
}

#[test]
fn old_40_digit_ids_are_server_actions_where_the_version_has_no_use_cache() {
    // next@14.x ids are SHA-1s without an info byte; 14.x has no 'use cache' at all.
    let root = tempfile::tempdir().unwrap();
    let project = app(root.path(), "", "14.2.35");
    write(&project.join("app/p/page.js"), PAGE);
    let manifest = r#"{"node":{"b5e90288cf305847fa04da1275197d7e7c421e5c":{"workers":{"app/page":"app/page.js"},"layer":{"app/page":"action-browser"}}},"edge":{},"encryptionKey":"x"}"#;
    build(&project, "", Bundler::Webpack, Some(manifest));
    assert!(kinds(&discover(&project)).is_empty());
}

#[test]
fn monorepo_filenames_turbopack_from_the_tracing_root_webpack_from_the_project() {
    // next@16.4.6 in a monorepo (app in apps/web, outputFileTracingRoot = the repo): Turbopack
    // writes `filename` relative to its root (the tracing root), webpack relative to the project.
    let turbopack = r#"{"node":{"80df7bf07c7d5e9750e0c0acde38287dd1ca9be1cc":{"workers":{"app/cached/page":{"moduleId":44472,"async":false}},"filename":"apps/web/app/cached/page.js","exportedName":"$$RSC_SERVER_CACHE_0"},"80aa7bf07c7d5e9750e0c0acde38287dd1ca9be1cc":{"workers":{"app/cached/page":{"moduleId":44472,"async":false}},"filename":"packages/shared/remote.js","exportedName":"$$RSC_SERVER_CACHE_0"}},"edge":{},"encryptionKey":"x"}"#;
    let webpack = r#"{"node":{"80df7bf07c7d5e9750e0c0acde38287dd1ca9be1cc":{"workers":{"app/cached/page":{"moduleId":"1","async":false}},"filename":"app/cached/page.js","exportedName":"$$RSC_SERVER_CACHE_0"},"80aa7bf07c7d5e9750e0c0acde38287dd1ca9be1cc":{"workers":{"app/cached/page":{"moduleId":"1","async":false}},"filename":"../../packages/shared/remote.js","exportedName":"$$RSC_SERVER_CACHE_0"}},"edge":{},"encryptionKey":"x"}"#;
    for (manifest, bundler) in [(turbopack, Bundler::Turbopack), (webpack, Bundler::Webpack)] {
        let root = tempfile::tempdir().unwrap();
        let project = app(root.path(), "apps/web", "16.4.6");
        write(
            &project.join("app/cached/page.js"),
            "async function f() {\n  'use cache: local'\n}\n",
        );
        write(&root.path().join("packages/shared/remote.js"), REMOTE);
        build(&project, "apps/web", bundler, Some(manifest));
        assert_eq!(
            kinds(&discover(&project)),
            ["local", "remote"],
            "{manifest}"
        );
    }
}

#[test]
fn before_a_build_the_sources_are_scanned() {
    let root = tempfile::tempdir().unwrap();
    let project = app(root.path(), "", "16.4.6");
    write(&project.join("lib/remote.js"), REMOTE);
    // Without BUILD_ID a manifest left over from an interrupted build is not trusted.
    fs::create_dir_all(project.join(".next/server")).unwrap();
    fs::write(
        project.join(".next/server/server-reference-manifest.json"),
        MANIFEST_15_1,
    )
    .unwrap();
    assert_eq!(kinds(&discover(&project)), ["remote"]);
}

/// The real manifests kept in the fixtures (byte-exact from real builds of the same apps): each
/// app has one inline `'use cache'` function; the fixtures do not keep the page sources, so the
/// kind is `default` from the manifest alone.
#[test]
fn real_fixture_builds_use_use_cache() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for name in [
        "next-15.1.12-v15-1-preload",
        "next-15.5.29-v15-5",
        "next-16.4.6-v16-4",
        "next-16.4.6-v16-4-monorepo/apps/web",
    ] {
        let layout = discover(&fixtures.join(name));
        assert!(
            layout
                .dist_dir
                .join("server/server-reference-manifest.json")
                .is_file(),
            "{name}"
        );
        let c = config::check_config(&layout, None).unwrap();
        assert_eq!(c.use_cache_kinds, ["default"], "{name}");
    }
    // The 14.2 and outside-root apps have no 'use cache' (their builds wrote no entry).
    for name in ["next-14.2.35-v14-isr", "next-16.4.6-v16-4-outside-root/web"] {
        let layout = discover(&fixtures.join(name));
        assert!(use_cache::use_cache_kinds(&layout).is_empty(), "{name}");
    }
}
