//! The config part of `explain`: each reference with its source line, branches, conditions and
//! what the build recorded.

use std::fs;

use next_graft::config::{self, explain};
use next_graft::manifest::RecordedHandler;
use next_graft::versions::Version;

#[test]
fn explain_shows_lines_branches_conditions_and_the_record() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("cache-handler.js"),
        "module.exports = class {}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("next.config.js"),
        "const { withSentryConfig } = require('@sentry/nextjs')\n\nmodule.exports = withSentryConfig({\n  output: 'standalone',\n  cacheHandler: process.env.CACHE_BACKEND ? require.resolve('./cache-handler.js') : undefined,\n}, { silent: true })\n",
    )
    .unwrap();
    let v = Some(Version::new(16, 4, 6));
    let a = config::analyze_project(dir.path(), v).unwrap().unwrap();
    let text = explain::render(&a, Some(&[]), v);
    let handler = fs::canonicalize(dir.path().join("cache-handler.js")).unwrap();
    for needle in [
        "(CommonJS, module.exports, through withSentryConfig)",
        "cacheHandler  next.config.js:5:3",
        "    5 |   cacheHandler: process.env.CACHE_BACKEND ? require.resolve('./cache-handler.js') : undefined,",
        "if CACHE_BACKEND is set: require.resolve('./cache-handler.js') -> ",
        "if CACHE_BACKEND is not set: unset: Next's default from NEXT_CACHE_HANDLER_PATH (15.0+)",
        "recorded by the build: nothing",
        "takes it from the environment: cacheHandler <- NEXT_CACHE_HANDLER_PATH, cacheHandlers.default <- NEXT_DEFAULT_CACHE_HANDLER_PATH",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let resolved = a.refs[0].candidates[0].resolved.clone().unwrap();
    assert_eq!(fs::canonicalize(resolved).unwrap(), handler);

    let rec = [RecordedHandler {
        key: "cacheHandler".into(),
        value: "../cache-handler.js".into(),
    }];
    let text = explain::render(&a, Some(&rec), v);
    assert!(
        text.contains("recorded by the build: ../cache-handler.js"),
        "{text}"
    );
    // 14.x has no env defaults.
    assert!(explain::env_defaults(&a, Some(Version::new(14, 2, 35))).is_empty());
}
