//! The version matrix (issue #15): the latest patch of every Next.js minor line from 13.5 to 16.4
//! (pinned in [`LINES`]), built for real from one parameterized app (`tests/e2e/apps/matrix/`),
//! with the bundler the line uses by default and also with webpack where Turbopack is the
//! default; each build's standalone folder is moved away from its project and served by
//! `node server.js` on Node 20 (the `node` on PATH), 22 and 24, and the handlers' own log says
//! whether production constructed and called them.
//!
//! Per build, the cases (each recorded, pass or fail, in the row of its Node version):
//! - `healthy`: the moved server uses every handler (the `'use cache'` one too where the line
//!   has the directive; on 15.0–15.1 it is loaded and never called, #72552);
//! - `check`: `next-graft check` on the healthy build exits 0 (1 with `preload-bug` on 15.0–15.1);
//! - `handler dropped` / `dependency dropped`: without `cache-handler.js` (or `node_modules/ms`)
//!   the moved server answers 500, `check` exits 1 naming it, `graft` repairs it, and the moved
//!   server then uses the handlers;
//! - `'use cache' handler dropped`: what the line does without its `'use cache'` handler (a
//!   silent fallback, or 500 on every request from 16.4);
//! - `line facts`: the serialized keys, `required-server-files.js`, the `'use cache'` handler
//!   methods the line called, and (full run) variant builds for the key changes: the legacy key
//!   on 14.1, top-level `cacheHandlers` on 15.5, `experimental.cacheHandlers` on 16.0, `file://`
//!   handler values on 16.2 and 16.3, an ES-module ISR handler with top-level await on 14.0 and
//!   14.1.
//!
//! What each case expects comes from the version table (`next_graft::versions`): a failing case
//! is a fact the matrix contradicts.
//!
//! Default run (CI, `scripts/test`): 13.5 and 16.2 (the other CI lines, 14.2, 15.1, 15.5 and
//! 16.4, are built by `tests/e2e_real_next.rs`), default bundler, Node 20 and 24, no variant
//! builds. The full matrix (`scripts/test-matrix`, `NEXT_GRAFT_MATRIX=full`, `--run-ignored
//! all`) runs every line, both bundlers, Node 22 on 14.2/15.5/16.4, and the variants; with
//! `NEXT_GRAFT_MATRIX_RESULTS=<file>` each row is appended to that file as a JSON line, from
//! which `scripts/test-matrix` writes `docs/versions.md`.

#![cfg(unix)]

#[path = "e2e/support.rs"]
mod support;

use std::fs;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use next_graft::versions::{facts, Fact, Version};
use serde_json::{json, Value};
use support::*;

/// How a line turns `'use cache'` on in the matrix app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UseCache {
    /// No `'use cache'` (before 15.0).
    No,
    /// `experimental.dynamicIO`, canary-only on a stable release (15.0–15.1; see their
    /// `build_env`).
    DynamicIo,
    /// `experimental.useCache` (15.2–15.5).
    ExperimentalFlag,
    /// Top-level `cacheComponents` (16.0+).
    CacheComponents,
}

/// A variant build for one key change (full run only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// The ISR handler under `experimental.incrementalCacheHandlerPath` (LegacyKeyIgnored).
    LegacyKey,
    /// The `'use cache'` handler under top-level `cacheHandlers` (TopLevelCacheHandlers).
    TopLevelKey,
    /// The `'use cache'` handler under `experimental.cacheHandlers`
    /// (ExperimentalCacheHandlersDeprecated).
    ExperimentalKey,
    /// Both handlers named with `file://` URLs (FileUrlHandlers).
    FileUrl,
    /// The ISR handler an ES module with top-level await (HandlersCjsOnly).
    EsmIsrHandler,
}

impl Variant {
    fn slug(self) -> &'static str {
        match self {
            Variant::LegacyKey => "legacy-key",
            Variant::TopLevelKey => "top-level-cache-handlers",
            Variant::ExperimentalKey => "experimental-cache-handlers",
            Variant::FileUrl => "file-url",
            Variant::EsmIsrHandler => "esm-isr-handler",
        }
    }
}

/// One Next.js minor line of the matrix, pinned to its latest patch (`npm view next@<line>
/// version`, resolved 2026-12-07).
struct Line {
    line: &'static str,
    next: &'static str,
    react: &'static str,
    /// More dependencies, to share the e2e cache's install with the suite's apps of that version.
    extra_deps: &'static [(&'static str, &'static str)],
    /// Environment for `next build` only.
    build_env: &'static [(&'static str, &'static str)],
    use_cache: UseCache,
    /// `next build` uses Turbopack by default (16.0+): also built with `--webpack`.
    turbopack_default: bool,
    /// Also served on Node 22 (full run).
    node22: bool,
    variants: &'static [Variant],
}

/// The pinned lines: the one table of the versions the matrix builds.
const LINES: &[Line] = &[
    line("13.5", "13.5.11", "18.3.1", UseCache::No, &[]),
    line(
        "14.0",
        "14.0.4",
        "18.3.1",
        UseCache::No,
        &[Variant::EsmIsrHandler],
    ),
    line(
        "14.1",
        "14.1.4",
        "18.3.1",
        UseCache::No,
        &[Variant::LegacyKey, Variant::EsmIsrHandler],
    ),
    Line {
        node22: true,
        ..line("14.2", "14.2.35", "18.3.1", UseCache::No, &[])
    },
    Line {
        // 15.0.8 throws CanaryOnlyError for `experimental.dynamicIO` on a stable release unless
        // `__NEXT_TEST_MODE` is set (its config.js; NEXT_PRIVATE_SKIP_CANARY_CHECK came in 15.1).
        build_env: &[("__NEXT_TEST_MODE", "1")],
        ..line("15.0", "15.0.8", "19.0.0", UseCache::DynamicIo, &[])
    },
    Line {
        // 15.1 rejects `experimental.dynamicIO` on a stable release unless told not to check.
        build_env: &[("NEXT_PRIVATE_SKIP_CANARY_CHECK", "1")],
        ..line("15.1", "15.1.12", "19.0.0", UseCache::DynamicIo, &[])
    },
    line("15.2", "15.2.9", "19.2.9", UseCache::ExperimentalFlag, &[]),
    line("15.3", "15.3.9", "19.2.9", UseCache::ExperimentalFlag, &[]),
    line("15.4", "15.4.11", "19.2.9", UseCache::ExperimentalFlag, &[]),
    Line {
        node22: true,
        ..line(
            "15.5",
            "15.5.29",
            "19.2.9",
            UseCache::ExperimentalFlag,
            &[Variant::TopLevelKey],
        )
    },
    line(
        "16.0",
        "16.0.11",
        "19.2.9",
        UseCache::CacheComponents,
        &[Variant::ExperimentalKey],
    ),
    line("16.1", "16.1.7", "19.2.9", UseCache::CacheComponents, &[]),
    line(
        "16.2",
        "16.2.12",
        "19.2.9",
        UseCache::CacheComponents,
        &[Variant::FileUrl],
    ),
    line(
        "16.3",
        "16.3.8",
        "19.2.9",
        UseCache::CacheComponents,
        &[Variant::FileUrl],
    ),
    Line {
        node22: true,
        // The suite's 16.4.6 apps install lru-cache too (apps/v16-4-esm): one shared install.
        extra_deps: &[("lru-cache", "11.5.3")],
        ..line("16.4", "16.4.6", "19.2.9", UseCache::CacheComponents, &[])
    },
];

const fn line(
    line: &'static str,
    next: &'static str,
    react: &'static str,
    use_cache: UseCache,
    variants: &'static [Variant],
) -> Line {
    Line {
        line,
        next,
        react,
        extra_deps: &[],
        build_env: &[],
        use_cache,
        turbopack_default: matches!(use_cache, UseCache::CacheComponents),
        node22: false,
        variants,
    }
}

fn pinned(name: &str) -> &'static Line {
    LINES
        .iter()
        .find(|l| l.line == name)
        .unwrap_or_else(|| panic!("no line {name} in LINES"))
}

/// `NEXT_GRAFT_MATRIX=full`: every bundler, Node 22 where listed, the variant builds.
fn full() -> bool {
    std::env::var("NEXT_GRAFT_MATRIX").is_ok_and(|v| v == "full")
}

// ---------------------------------------------------------------------------------------------
// One test per line. 13.5 and 16.2 run by default (the CI subset); the rest with
// `--run-ignored all` (scripts/test-matrix).

#[test]
fn e2e_matrix_13_5() {
    run_line(pinned("13.5"));
}

#[test]
#[ignore = "full matrix: scripts/test-matrix"]
fn e2e_matrix_14_0() {
    run_line(pinned("14.0"));
}

#[test]
#[ignore = "full matrix: scripts/test-matrix"]
fn e2e_matrix_14_1() {
    run_line(pinned("14.1"));
}

#[test]
#[ignore = "full matrix: scripts/test-matrix"]
fn e2e_matrix_14_2() {
    run_line(pinned("14.2"));
}

#[test]
#[ignore = "full matrix: scripts/test-matrix"]
fn e2e_matrix_15_0() {
    run_line(pinned("15.0"));
}

#[test]
#[ignore = "full matrix: scripts/test-matrix"]
fn e2e_matrix_15_1() {
    run_line(pinned("15.1"));
}

#[test]
#[ignore = "full matrix: scripts/test-matrix"]
fn e2e_matrix_15_2() {
    run_line(pinned("15.2"));
}

#[test]
#[ignore = "full matrix: scripts/test-matrix"]
fn e2e_matrix_15_3() {
    run_line(pinned("15.3"));
}

#[test]
#[ignore = "full matrix: scripts/test-matrix"]
fn e2e_matrix_15_4() {
    run_line(pinned("15.4"));
}

#[test]
#[ignore = "full matrix: scripts/test-matrix"]
fn e2e_matrix_15_5() {
    run_line(pinned("15.5"));
}

#[test]
#[ignore = "full matrix: scripts/test-matrix"]
fn e2e_matrix_16_0() {
    run_line(pinned("16.0"));
}

#[test]
#[ignore = "full matrix: scripts/test-matrix"]
fn e2e_matrix_16_1() {
    run_line(pinned("16.1"));
}

#[test]
fn e2e_matrix_16_2() {
    run_line(pinned("16.2"));
}

#[test]
#[ignore = "full matrix: scripts/test-matrix"]
fn e2e_matrix_16_3() {
    run_line(pinned("16.3"));
}

#[test]
#[ignore = "full matrix: scripts/test-matrix"]
fn e2e_matrix_16_4() {
    run_line(pinned("16.4"));
}

/// Whatever `next` is newest on the registry today (`scripts/test-matrix --latest`; the version
/// from `NEXT_GRAFT_MATRIX_LATEST`, else `npm view next version`), built like the newest pinned
/// line.
#[test]
#[ignore = "newest next on the registry: scripts/test-matrix --latest"]
fn e2e_matrix_latest() {
    let version = std::env::var("NEXT_GRAFT_MATRIX_LATEST").unwrap_or_else(|_| {
        let out = std::process::Command::new("npm")
            .args(["view", "next", "version"])
            .output()
            .expect("npm view next version");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    });
    let parsed = Version::parse(&version).unwrap_or_else(|| panic!("not a version: {version:?}"));
    let newest = LINES.last().expect("lines");
    let next: &'static str = Box::leak(version.into_boxed_str());
    let name: &'static str =
        Box::leak(format!("{}.{}", parsed.major, parsed.minor).into_boxed_str());
    run_line(&Line {
        line: name,
        next,
        extra_deps: &[],
        build_env: &[],
        variants: &[],
        node22: false,
        ..*newest
    });
}

// ---------------------------------------------------------------------------------------------
// The runner.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bundler {
    Webpack,
    Turbopack,
}

impl Bundler {
    fn slug(self) -> &'static str {
        match self {
            Bundler::Webpack => "webpack",
            Bundler::Turbopack => "turbopack",
        }
    }
}

/// One row of `docs/versions.md`: a build of one line served on one Node.
struct Row {
    id: String,
    next: String,
    bundler: String,
    node: String,
    built: String,
    cases: Vec<(String, &'static str, String)>,
}

impl Row {
    /// Runs `f`, recording what it noted and whether it passed (a panic is a failure, with the
    /// first lines of its message).
    fn case(&mut self, name: &str, f: impl FnOnce(&mut Vec<String>)) {
        let mut notes = Vec::new();
        let result = catch_unwind(AssertUnwindSafe(|| f(&mut notes)));
        let (status, mut text) = match result {
            Ok(()) => ("pass", notes.join("; ")),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                let first: Vec<&str> = message.lines().take(3).collect();
                let mut t = notes.join("; ");
                if !t.is_empty() {
                    t.push_str("; ");
                }
                t.push_str("FAILED: ");
                t.push_str(&first.join(" / "));
                ("fail", t)
            }
        };
        text = text.replace('|', "\\|").replace('\n', " ");
        eprintln!("matrix: {} {name}: {status}: {text}", self.id);
        self.cases.push((name.to_string(), status, text));
    }

    fn skip(&mut self, name: &str, why: &str) {
        self.cases.push((name.to_string(), "skip", why.to_string()));
    }

    fn failed(&self) -> Vec<String> {
        self.cases
            .iter()
            .filter(|c| c.1 == "fail")
            .map(|c| format!("{} / {}: {}", self.id, c.0, c.2))
            .collect()
    }

    fn write(&self) {
        let Some(path) = std::env::var_os("NEXT_GRAFT_MATRIX_RESULTS") else {
            return;
        };
        let cases: Vec<Value> = self
            .cases
            .iter()
            .map(|(case, status, observed)| {
                json!({"case": case, "status": status, "observed": observed})
            })
            .collect();
        let row = json!({
            "id": self.id,
            "date": today(),
            "next": self.next,
            "bundler": self.bundler,
            "node": self.node,
            "built": self.built,
            "cases": cases,
        });
        let mut f = fs::File::options()
            .create(true)
            .append(true)
            .open(&path)
            .expect("open NEXT_GRAFT_MATRIX_RESULTS");
        writeln!(f, "{row}").expect("write matrix row");
    }
}

/// Today's UTC date, `YYYY-MM-DD` (civil-from-days, H. Hinnant).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// What one build of a line is: the app, its generated files, and what the table expects of it.
struct Target<'a> {
    line: &'a Line,
    version: Version,
    bundler: Bundler,
    variant: Option<Variant>,
}

impl Target<'_> {
    fn has(&self, fact: Fact) -> bool {
        facts(self.version).has(fact)
    }

    fn uses_cache(&self) -> bool {
        self.line.use_cache != UseCache::No
    }

    fn isr_pages(&self) -> bool {
        matches!(
            self.line.use_cache,
            UseCache::No | UseCache::ExperimentalFlag
        )
    }

    fn isr_key(&self) -> &'static str {
        if self.variant == Some(Variant::LegacyKey) || self.has(Fact::LegacyIsrKey) {
            "legacy"
        } else {
            "cacheHandler"
        }
    }

    fn use_cache_key(&self) -> Option<&'static str> {
        if !self.uses_cache() {
            return None;
        }
        Some(match self.variant {
            Some(Variant::TopLevelKey) => "top",
            Some(Variant::ExperimentalKey) => "experimental",
            _ if self.has(Fact::TopLevelCacheHandlers) => "top",
            _ => "experimental",
        })
    }

    fn label(&self) -> String {
        let mut s = format!(
            "{}-{}",
            self.line.line.replace('.', "-"),
            self.bundler.slug()
        );
        if let Some(v) = self.variant {
            s.push('-');
            s.push_str(v.slug());
        }
        s
    }

    fn row_id(&self, node: &str) -> String {
        let major = node.trim_start_matches('v').split('.').next().unwrap_or("");
        // Stable ids: the line, not the patch (a new patch keeps every citation valid).
        let line = if LINES.iter().any(|l| l.next == self.line.next) {
            self.line.line.replace('.', "-")
        } else {
            "latest".to_string()
        };
        let mut id = format!("next-{line}-{}-node-{major}", self.bundler.slug());
        if let Some(v) = self.variant {
            id.push('-');
            id.push_str(v.slug());
        }
        id
    }

    fn app(&self) -> App {
        let turbo_default = self.line.turbopack_default;
        App {
            name: Box::leak(format!("matrix-{}", self.label()).into_boxed_str()),
            template: "matrix/base",
            overlay: None,
            next: self.line.next,
            build_env: self.line.build_env,
            build_args: if turbo_default && self.bundler == Bundler::Webpack {
                &["--webpack"]
            } else {
                &[]
            },
            project: "",
            node: Node::Host,
        }
    }

    fn layers(&self) -> Layers {
        let mut dirs = Vec::new();
        if self.isr_pages() {
            dirs.push("matrix/isr".to_string());
        }
        if self.uses_cache() {
            dirs.push("matrix/use-cache".to_string());
            dirs.push(
                if self.line.use_cache == UseCache::ExperimentalFlag {
                    "matrix/cached-dynamic"
                } else {
                    "matrix/cached-connection"
                }
                .to_string(),
            );
        }
        if self.variant == Some(Variant::EsmIsrHandler) {
            dirs.push("matrix/esm-isr".to_string());
        }
        let mut deps = serde_json::Map::new();
        deps.insert("ms".into(), json!("2.1.3"));
        deps.insert("next".into(), json!(self.line.next));
        deps.insert("react".into(), json!(self.line.react));
        deps.insert("react-dom".into(), json!(self.line.react));
        for (k, v) in self.line.extra_deps {
            deps.insert((*k).into(), json!(v));
        }
        let package = json!({
            "name": format!("graft-e2e-matrix-{}", self.label()),
            "private": true,
            "dependencies": deps,
        });
        let next_config = self.next_config();
        Layers {
            dirs,
            files: vec![
                (
                    "package.json".into(),
                    serde_json::to_string_pretty(&package).expect("json"),
                ),
                ("next.config.js".into(), next_config),
            ],
        }
    }

    /// The line's `next.config.js`, written as a user of that line would: only the keys it
    /// reads (a config with every key behind conditions would draw `check`'s
    /// `wrong-key-for-version` for the branches not taken).
    fn next_config(&self) -> String {
        let file_url = self.variant == Some(Variant::FileUrl);
        let handler = |file: &str| {
            if file_url {
                format!("pathToFileURL(require.resolve('{file}')).href")
            } else {
                format!("require.resolve('{file}')")
            }
        };
        let isr_file = if self.variant == Some(Variant::EsmIsrHandler) {
            "./cache-handler.mjs"
        } else {
            "./cache-handler.js"
        };
        let mut top = vec!["output: 'standalone'".to_string()];
        let mut experimental = Vec::new();
        // Every request goes to the custom handler (no in-memory layer in front of it).
        if self.isr_key() == "legacy" {
            experimental.push(format!(
                "incrementalCacheHandlerPath: {}",
                handler(isr_file)
            ));
            experimental.push("isrMemoryCacheSize: 0".to_string());
        } else {
            top.push(format!("cacheHandler: {}", handler(isr_file)));
            top.push("cacheMaxMemorySize: 0".to_string());
        }
        match self.line.use_cache {
            UseCache::No => {}
            UseCache::DynamicIo => experimental.push("dynamicIO: true".to_string()),
            UseCache::ExperimentalFlag => experimental.push("useCache: true".to_string()),
            UseCache::CacheComponents => top.push("cacheComponents: true".to_string()),
        }
        let use_cache = format!(
            "cacheHandlers: {{ default: {} }}",
            handler("./use-cache-handler.mjs")
        );
        match self.use_cache_key() {
            Some("top") => top.push(use_cache),
            Some(_) => experimental.push(use_cache),
            None => {}
        }
        if !experimental.is_empty() {
            top.push(format!(
                "experimental: {{\n    {},\n  }}",
                experimental.join(",\n    ")
            ));
        }
        format!(
            "// Generated by tests/e2e_matrix.rs for next@{} ({}).\n{}/** @type {{import('next').NextConfig}} */\nmodule.exports = {{\n  {},\n}};\n",
            self.line.next,
            self.label(),
            if file_url {
                "const { pathToFileURL } = require('url');\n"
            } else {
                ""
            },
            top.join(",\n  ")
        )
    }

    /// What was built, in words, for the table.
    fn built(&self) -> String {
        let isr = if self.isr_key() == "legacy" {
            "`experimental.incrementalCacheHandlerPath`"
        } else {
            "`cacheHandler`"
        };
        let isr_file = if self.variant == Some(Variant::EsmIsrHandler) {
            "ESM `cache-handler.mjs` with top-level await"
        } else {
            "CJS `cache-handler.js`"
        };
        let mut s = format!("{isr} = {isr_file}");
        if let Some(key) = self.use_cache_key() {
            let key = if key == "top" {
                "`cacheHandlers.default`"
            } else {
                "`experimental.cacheHandlers.default`"
            };
            let flag = match self.line.use_cache {
                UseCache::DynamicIo => "`experimental.dynamicIO`",
                UseCache::ExperimentalFlag => "`experimental.useCache`",
                _ => "`cacheComponents`",
            };
            s.push_str(&format!(", {key} = `use-cache-handler.mjs`, {flag}"));
        }
        if self.variant == Some(Variant::FileUrl) {
            s.push_str(", both as `file://` URLs");
        }
        for (k, v) in self.line.build_env {
            s.push_str(&format!(", built with `{k}={v}`"));
        }
        s.push_str("; pages ");
        s.push_str(&self.paths().join(" "));
        s
    }

    /// The requests that exercise every handler: `/` (prerendered), `/isr` and `/data` where
    /// segment config is allowed, `/cached` twice (a miss, then a hit) where `'use cache'` is.
    fn paths(&self) -> Vec<&'static str> {
        let mut p = vec!["/"];
        if self.isr_pages() {
            p.extend(["/isr", "/data"]);
        }
        if self.uses_cache() {
            p.extend(["/cached", "/cached"]);
        }
        p
    }

    /// The path that fails first when the ISR handler is missing.
    fn isr_path(&self) -> &'static str {
        if self.isr_pages() {
            "/isr"
        } else {
            "/"
        }
    }

    fn preload_bug(&self) -> bool {
        self.uses_cache() && self.has(Fact::PreloadBug)
    }
}

/// Every build of `line` and every case of each, one row per Node; fails at the end if any
/// case failed (all rows are recorded first).
fn run_line(line: &Line) {
    let version = Version::parse(line.next).expect("pinned version");
    let full = full();
    let mut bundlers = vec![if line.turbopack_default {
        Bundler::Turbopack
    } else {
        Bundler::Webpack
    }];
    if full && line.turbopack_default {
        bundlers.push(Bundler::Webpack);
    }
    let mut failures = Vec::new();
    for bundler in bundlers {
        let target = Target {
            line,
            version,
            bundler,
            variant: None,
        };
        failures.extend(run_build(&target, full));
    }
    if full {
        for variant in line.variants {
            let target = Target {
                line,
                version,
                bundler: if line.turbopack_default {
                    Bundler::Turbopack
                } else {
                    Bundler::Webpack
                },
                variant: Some(*variant),
            };
            failures.extend(run_variant(&target));
        }
    }
    assert!(
        failures.is_empty(),
        "next@{}: {} failed case(s):\n{}",
        line.next,
        failures.len(),
        failures.join("\n")
    );
}

fn nodes(target: &Target, full: bool) -> Vec<Node> {
    let mut nodes = vec![Node::Host];
    if full && target.line.node22 {
        nodes.push(Node::V22);
    }
    nodes.push(Node::V24);
    nodes
}

fn run_build(target: &Target, full: bool) -> Vec<String> {
    let app = target.app();
    let built = match try_build_with(&app, &target.layers()) {
        Ok(b) => b,
        Err(failure) => {
            let mut row = new_row(target, Node::V24);
            row.case("build", |_| {
                panic!(
                    "`next build` fails: {}",
                    first_error_line(&failure.log).unwrap_or("(no error line)")
                )
            });
            row.write();
            return row.failed();
        }
    };
    let mut failures = Vec::new();
    let check_run = check(&built.dir);
    for node in nodes(target, full) {
        let mut row = new_row(target, node);
        let newest = node == Node::V24;
        row.case("healthy", |n| healthy(target, &built, node, n));
        if newest {
            row.case("check", |n| {
                let expected: &[&str] = if target.preload_bug() {
                    &["preload-bug"]
                } else {
                    &[]
                };
                note_run(&check_run, n);
                check_run.assert(if target.preload_bug() { 1 } else { 0 }, expected);
            });
            row.case("handler dropped", |n| {
                dropped(
                    target,
                    &built,
                    node,
                    "cache-handler.js",
                    "handler-missing",
                    n,
                )
            });
            row.case("dependency dropped", |n| {
                dropped(
                    target,
                    &built,
                    node,
                    "node_modules/ms",
                    "dependency-missing",
                    n,
                )
            });
        } else {
            for name in ["check", "handler dropped", "dependency dropped"] {
                row.skip(name, "Node 24 row");
            }
        }
        if target.uses_cache() {
            row.case("'use cache' handler dropped", |n| {
                use_cache_dropped(target, &built, node, newest, n)
            });
        } else {
            row.skip("'use cache' handler dropped", "no 'use cache' before 15.0");
        }
        if newest {
            row.case("line facts", |n| line_facts(target, &built, node, n));
            row.case("config files", |n| config_files(target, &built, node, n));
            if target.uses_cache() {
                row.case("'use cache' interfaces", |n| {
                    interfaces(target, &built, node, n)
                });
            } else {
                row.skip("'use cache' interfaces", "no 'use cache' before 15.0");
            }
        } else {
            row.skip("line facts", "Node 24 row");
            row.skip("config files", "Node 24 row");
            row.skip("'use cache' interfaces", "Node 24 row");
        }
        row.write();
        failures.extend(row.failed());
    }
    failures
}

fn new_row(target: &Target, node: Node) -> Row {
    let node_version = node.version();
    Row {
        id: target.row_id(&node_version),
        next: target.line.next.to_string(),
        bundler: match (target.bundler, target.line.turbopack_default) {
            (Bundler::Turbopack, _) => "Turbopack (default)".into(),
            (Bundler::Webpack, true) => "webpack (`--webpack`)".into(),
            (Bundler::Webpack, false) => "webpack (default)".into(),
        },
        node: node_version,
        built: target.built(),
        cases: Vec::new(),
    }
}

/// `isr: load 1, construct 6, get 4, set 2` from the moved server's handler log.
fn summary(server: &MovedServer) -> String {
    let mut parts = Vec::new();
    for handler in ["isr", "default"] {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for e in server.events() {
            if e["handler"] != handler || e["pid"].as_u64() != Some(u64::from(server.pid)) {
                continue;
            }
            let ev = e["event"].as_str().unwrap_or("?").to_string();
            match counts.iter_mut().find(|(k, _)| *k == ev) {
                Some((_, c)) => *c += 1,
                None => counts.push((ev, 1)),
            }
        }
        if !counts.is_empty() {
            let list: Vec<String> = counts.iter().map(|(k, c)| format!("{k} {c}")).collect();
            parts.push(format!("{handler}: {}", list.join(", ")));
        }
    }
    if parts.is_empty() {
        "no handler log lines".into()
    } else {
        parts.join("; ")
    }
}

fn get_all(server: &MovedServer, paths: &[&str]) -> Vec<u16> {
    paths.iter().map(|p| server.get(p).0).collect()
}

fn statuses(paths: &[&str], codes: &[u16]) -> String {
    paths
        .iter()
        .zip(codes)
        .map(|(p, c)| format!("{p} {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Asserts that the server used the handlers as the line should: the ISR handler loaded,
/// constructed, `get` and `set`; the `'use cache'` handler loaded and called (only loaded on
/// the #72552 lines unless `grafted`).
#[track_caller]
fn assert_uses_handlers(target: &Target, server: &MovedServer, grafted: bool) {
    server.assert_called_all("isr", &["load", "construct", "get", "set"]);
    if !target.uses_cache() {
        return;
    }
    server.assert_called("default", "load");
    if target.preload_bug() && !grafted {
        assert_eq!(
            (
                server.count("default", "get"),
                server.count("default", "set")
            ),
            (0, 0),
            "#72552: next@{} should load the 'use cache' handler and never call it\n{}",
            target.line.next,
            server.diagnostics()
        );
    } else {
        server.assert_called_all("default", &["get", "set"]);
    }
}

fn healthy(target: &Target, build: &Build, node: Node, n: &mut Vec<String>) {
    let server = build.start_server_on(node, &format!("matrix-{}", target.label()));
    if target.preload_bug() {
        // #72552 shows once the entries are preloaded (a request during the preload still gets
        // the custom handler): wait for `/cached`'s module, as production traffic would.
        server.wait_for_event("page", "evaluate");
        n.push(
            "`/cached` module evaluated before the first request (preloadEntriesOnStart)".into(),
        );
    }
    let paths = target.paths();
    let codes = get_all(&server, &paths);
    n.push(statuses(&paths, &codes));
    n.push(summary(&server));
    if node.pinned_version().is_some() {
        assert_eq!(
            server.executable(),
            node.binary().canonicalize().expect("node binary"),
            "the server must run on the pinned Node"
        );
    }
    assert!(
        codes.iter().all(|c| *c == 200),
        "not every request answered 200\n{}",
        server.diagnostics()
    );
    assert_uses_handlers(target, &server, false);
    if target.preload_bug() {
        n.push("'use cache' handler loaded, never called (#72552)".into());
    }
}

fn note_run(run: &CheckRun, n: &mut Vec<String>) {
    let slugs: Vec<String> = run
        .findings()
        .iter()
        .filter(|f| f["severity"] == "error" || f["fixed"] == true)
        .map(|f| {
            let fixed = if f["fixed"] == true { " (fixed)" } else { "" };
            format!("{}{fixed}", f["slug"].as_str().unwrap_or("?"))
        })
        .collect();
    n.push(format!(
        "{} exit {}{}",
        run.command,
        run.code.map_or("none".into(), |c| c.to_string()),
        if slugs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", slugs.join(", "))
        }
    ));
}

/// Deletes `rel` from the standalone tree of a copy; the moved server must fail, `check` must
/// name `slug`, `graft` must repair it, and the moved server then uses the handlers.
fn dropped(target: &Target, build: &Build, node: Node, rel: &str, slug: &str, n: &mut Vec<String>) {
    let copy = copy_project(build, "drop");
    let victim = copy.dir.join(".next/standalone").join(rel);
    assert!(victim.exists(), "{rel} is not in the standalone tree");
    if victim.is_dir() {
        fs::remove_dir_all(&victim).expect("delete dir");
    } else {
        fs::remove_file(&victim).expect("delete file");
    }
    {
        let server = copy.start_server_on(node, "matrix-dropped");
        let path = target.isr_path();
        let (status, _) = server.get(path);
        n.push(format!("without {rel}: {path} {status}"));
        assert_eq!(
            status,
            500,
            "without {rel} the moved server should fail\n{}",
            server.diagnostics()
        );
    }
    let run = check(&copy.dir);
    note_run(&run, n);
    run.assert(1, &[slug]);
    let run = graft(&copy.dir);
    note_run(&run, n);
    run.assert(0, &[]);
    run.assert_fixed(slug);
    let server = copy.start_server_on(node, "matrix-grafted");
    let paths = target.paths();
    let codes = get_all(&server, &paths);
    n.push(format!("after graft: {}", statuses(&paths, &codes)));
    n.push(summary(&server));
    assert!(
        codes.iter().all(|c| *c == 200),
        "not every request answered 200 after graft\n{}",
        server.diagnostics()
    );
    assert_uses_handlers(target, &server, true);
}

/// Deletes the `'use cache'` handler from a copy: 16.4+ answers 500 on every request, older
/// lines fall back to the default handler (15.0–15.1 perhaps after a first 500).
fn use_cache_dropped(
    target: &Target,
    build: &Build,
    node: Node,
    with_check: bool,
    n: &mut Vec<String>,
) {
    let copy = copy_project(build, "drop-use-cache");
    fs::remove_file(copy.dir.join(".next/standalone/use-cache-handler.mjs"))
        .expect("delete use-cache-handler.mjs");
    {
        let server = copy.start_server_on(node, "matrix-no-use-cache");
        let paths = ["/", "/cached", "/cached"];
        let codes = get_all(&server, &paths);
        n.push(statuses(&paths, &codes));
        if target.has(Fact::MissingUseCacheHandlerFatal) {
            n.push("expected: 500 on every request (MissingUseCacheHandlerFatal)".into());
            assert!(
                codes.iter().all(|c| *c == 500),
                "without its 'use cache' handler next@{} should answer 500 everywhere\n{}",
                target.line.next,
                server.diagnostics()
            );
        } else {
            n.push("expected: silent fallback (MissingUseCacheHandlerSilent)".into());
            assert!(
                target.has(Fact::MissingUseCacheHandlerSilent),
                "the table has no missing-'use cache'-handler fact for next@{}",
                target.line.next
            );
            assert_eq!(
                codes.last(),
                Some(&200),
                "without its 'use cache' handler next@{} should fall back silently\n{}",
                target.line.next,
                server.diagnostics()
            );
        }
        n.push(summary(&server));
    }
    if with_check {
        let run = check(&copy.dir);
        note_run(&run, n);
        run.assert(1, &["handler-missing"]);
    }
}

/// The serialized config (`required-server-files.json`), `required-server-files.js`, the
/// `'use cache'` methods the line called, and the #72552 workaround.
fn line_facts(target: &Target, build: &Build, node: Node, n: &mut Vec<String>) {
    let manifest: Value = serde_json::from_str(
        &fs::read_to_string(build.dir.join(".next/required-server-files.json"))
            .expect("read required-server-files.json"),
    )
    .expect("parse required-server-files.json");
    let config = &manifest["config"];
    let legacy = &config["experimental"]["incrementalCacheHandlerPath"];
    let isr = &config["cacheHandler"];
    let exp = &config["experimental"]["cacheHandlers"]["default"];
    let top = &config["cacheHandlers"]["default"];
    let shown = |v: &Value| match v.as_str() {
        Some(s) if !s.is_empty() => {
            if Path::new(s).is_absolute() {
                "(absolute)".to_string()
            } else {
                format!("`{s}`")
            }
        }
        _ => "—".to_string(),
    };
    n.push(format!(
        "serialized: incrementalCacheHandlerPath {}, cacheHandler {}, experimental.cacheHandlers {}, cacheHandlers {}",
        shown(legacy),
        shown(isr),
        shown(exp),
        shown(top)
    ));
    let twin = build.dir.join(".next/required-server-files.js").is_file();
    n.push(format!(
        "required-server-files.js {}",
        if twin { "written" } else { "absent" }
    ));
    assert_eq!(
        twin,
        target.has(Fact::ServerFilesJsTwin),
        "ServerFilesJsTwin disagrees"
    );
    if target.has(Fact::LegacyIsrKey) {
        assert_eq!(legacy.as_str(), Some("../cache-handler.js"), "LegacyIsrKey");
    } else {
        assert_eq!(isr.as_str(), Some("../cache-handler.js"), "CacheHandlerKey");
    }
    if target.uses_cache() {
        let (want, other) = if target.has(Fact::TopLevelCacheHandlers) {
            (top, exp)
        } else {
            (exp, top)
        };
        assert_eq!(
            want.as_str(),
            Some("../use-cache-handler.mjs"),
            "the 'use cache' key of next@{}",
            target.line.next
        );
        assert!(other.as_str().is_none(), "both 'use cache' keys serialized");
        // Which interface the line called (from a run that calls the handler: the grafted copy
        // on the #72552 lines).
        let copy;
        let server = if target.preload_bug() {
            copy = copy_project(build, "methods");
            let run = graft(&copy.dir);
            note_run(&run, n);
            run.assert(0, &[]);
            run.assert_fixed("preload-bug");
            copy.start_server_on(node, "matrix-methods")
        } else {
            build.start_server_on(node, "matrix-methods")
        };
        let paths = ["/cached", "/cached", "/"];
        let codes = get_all(&server, &paths);
        let mut called: Vec<&str> = [
            "get",
            "set",
            "refreshTags",
            "getExpiration",
            "expireTags",
            "receiveExpiredTags",
            "updateTags",
        ]
        .into_iter()
        .filter(|m| server.count("default", m) > 0)
        .collect();
        called.dedup();
        n.push(format!(
            "'use cache' methods called: {} ({})",
            called.join(", "),
            statuses(&paths, &codes)
        ));
        if target.preload_bug() {
            n.push("#72552: after graft the 'use cache' handler is called".into());
        }
        assert_uses_handlers(target, &server, true);
        if target.has(Fact::UseCacheInterfaceV1) && !target.has(Fact::UseCacheInterfaceV2) {
            assert!(
                !called.contains(&"getExpiration") && !called.contains(&"refreshTags"),
                "a V1-only line called V2 methods"
            );
        }
        if target.has(Fact::UseCacheInterfaceV3) {
            assert!(
                !called.contains(&"receiveExpiredTags"),
                "a 16.x line called a V1 method"
            );
        }
    }
}

/// Which config file names the line reads (`ConfigTs`, `ConfigMts`, `LoneCjsConfigIgnored`):
/// the line's own `loadConfig` (`next/dist/server/config`, run on the row's Node) in a directory
/// holding only `next.config.<ext>`, which sets `env.GRAFT_PROBE`. Outcomes: `loaded`,
/// `ignored` (the default config, silently) or `rejected` (loadConfig throws: "… is not
/// supported" for a name the line does not read, another error for one it read and failed on).
fn config_files(target: &Target, build: &Build, node: Node, n: &mut Vec<String>) {
    const SCRIPT: &str = r#"
const [dir, modules] = process.argv.slice(1);
const loadConfig = require(modules + '/next/dist/server/config').default;
loadConfig('phase-production-build', dir, { silent: true }).then(
  (c) => console.log(JSON.stringify({ probe: (c.env || {}).GRAFT_PROBE || null })),
  (e) => console.log(JSON.stringify({ error: String((e && e.message) || e).split(/\r?\n/)[0] })),
);
"#;
    let probes = [
        (
            "ts",
            "export default { env: { GRAFT_PROBE: 'ts' } };
",
        ),
        (
            "mts",
            "export default { env: { GRAFT_PROBE: 'mts' } };
",
        ),
        (
            "cjs",
            "module.exports = { env: { GRAFT_PROBE: 'cjs' } };
",
        ),
    ];
    let mut outcomes = Vec::new();
    for (ext, text) in probes {
        let dir = scratch_dir(&format!("config-{ext}"));
        fs::write(dir.dir.join("package.json"), r#"{"private":true}"#).expect("package.json");
        fs::write(dir.dir.join(format!("next.config.{ext}")), text).expect("config");
        std::os::unix::fs::symlink(build.dir.join("node_modules"), dir.dir.join("node_modules"))
            .expect("link node_modules");
        let out = std::process::Command::new(node.binary())
            .current_dir(&dir.dir)
            .arg("-e")
            .arg(SCRIPT)
            .arg(&dir.dir)
            .arg(build.dir.join("node_modules"))
            .env("NEXT_TELEMETRY_DISABLED", "1")
            .output()
            .expect("run loadConfig");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let json: Value = stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| {
                panic!(
                    "loadConfig printed no result for next.config.{ext}: {stdout}
{}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
        let outcome = if json["probe"].as_str() == Some(ext) {
            "loaded".to_string()
        } else if let Some(e) = json["error"].as_str() {
            format!("rejected ({})", e.chars().take(120).collect::<String>())
        } else {
            "ignored".to_string()
        };
        n.push(format!("next.config.{ext} alone: {outcome}"));
        outcomes.push((ext, outcome));
    }
    // A config the line reads but fails to transpile here (15.4–16.0 want the `typescript`
    // package for next.config.ts, which the matrix does not install) is still one of its
    // config file names: only "… is not supported" or silence means the name is not read.
    let loaded = |ext: &str| {
        outcomes.iter().any(|(e, o)| {
            *e == ext
                && (o == "loaded" || (o.starts_with("rejected") && !o.contains("is not supported")))
        })
    };
    let outcome = |ext: &str| {
        outcomes
            .iter()
            .find(|(e, _)| *e == ext)
            .map(|(_, o)| o.clone())
            .unwrap_or_default()
    };
    assert_eq!(loaded("ts"), target.has(Fact::ConfigTs), "ConfigTs");
    assert_eq!(
        loaded("mts"),
        target.has(Fact::ConfigMts),
        "ConfigMts (on {})",
        node.version()
    );
    assert!(!loaded("cjs"), "a lone next.config.cjs was loaded");
    assert_eq!(
        outcome("cjs") == "ignored",
        target.has(Fact::LoneCjsConfigIgnored),
        "LoneCjsConfigIgnored"
    );
}

/// The `'use cache'` handler cut down to one interface at a time (`GRAFT_USE_CACHE_SHAPE`, read
/// by the handler at startup): a shape the table accepts for the line
/// (`use_cache_method_sets`, from `UseCacheInterfaceV1/V2/V3`) must serve `/cached` through the
/// handler; what the other shapes do is recorded. On the #72552 lines, on a grafted copy.
fn interfaces(target: &Target, build: &Build, node: Node, n: &mut Vec<String>) {
    const SHAPES: [(&str, &[&str]); 3] = [
        ("v1", &["get", "set", "expireTags", "receiveExpiredTags"]),
        (
            "v2",
            &["get", "set", "refreshTags", "getExpiration", "expireTags"],
        ),
        (
            "v3",
            &["get", "set", "refreshTags", "getExpiration", "updateTags"],
        ),
    ];
    let accepted_sets = facts(target.version).use_cache_method_sets();
    let copy = target.preload_bug().then(|| {
        let copy = copy_project(build, "shapes");
        graft(&copy.dir).assert(0, &[]);
        copy
    });
    let mut failures = Vec::new();
    for (name, methods) in SHAPES {
        let accepted = accepted_sets
            .iter()
            .any(|set| set.len() == methods.len() && set.iter().all(|m| methods.contains(m)));
        let env = [("GRAFT_USE_CACHE_SHAPE".to_string(), name.to_string())];
        let label = format!("matrix-shape-{name}");
        let server = match &copy {
            Some(c) => c.start_server_with(node, &label, &env),
            None => build.start_server_with(node, &label, &env),
        };
        let paths = ["/cached", "/cached", "/"];
        let codes = get_all(&server, &paths);
        let used = server.count("default", "get") > 0 && server.count("default", "set") > 0;
        let works = used && codes.iter().all(|c| *c == 200);
        let errors = server
            .server_log()
            .lines()
            .filter(|l| l.contains("Error") || l.contains("is not a function"))
            .map(|l| l.trim().chars().take(100).collect::<String>())
            .next();
        n.push(format!(
            "{name} ({}): {}{}{}",
            if accepted {
                "accepted"
            } else {
                "not in the table"
            },
            statuses(&paths, &codes),
            if used {
                ", handler used"
            } else {
                ", handler not used"
            },
            errors
                .map(|e| format!(", server says {e:?}"))
                .unwrap_or_default()
        ));
        if accepted && !works {
            failures.push(format!("{name}\n{}", server.diagnostics()));
        }
    }
    assert!(
        failures.is_empty(),
        "an interface the table accepts for next@{} was not used: {}",
        target.line.next,
        failures.join("\n")
    );
}

/// A variant build for one key change: one row, on Node 24.
fn run_variant(target: &Target) -> Vec<String> {
    let variant = target.variant.expect("variant");
    let app = target.app();
    let mut row = new_row(target, Node::V24);
    let built = try_build_with(&app, &target.layers());
    match variant {
        Variant::FileUrl => row.case("line facts", |n| {
            if target.has(Fact::FileUrlHandlers) {
                let build = built.as_ref().map_err(|f| f.message.clone()).expect("build");
                n.push("`next build` exits 0".into());
                let config: Value = serde_json::from_str(
                    &fs::read_to_string(build.dir.join(".next/required-server-files.json"))
                        .expect("manifest"),
                )
                .expect("json");
                let isr = config["config"]["cacheHandler"].as_str().unwrap_or("");
                n.push(format!("serialized cacheHandler `{isr}`"));
                assert_eq!(isr, "../cache-handler.js", "file:// value not converted");
                {
                    let server = build.start_server_on(Node::V24, "matrix-file-url");
                    let paths = target.paths();
                    let codes = get_all(&server, &paths);
                    n.push(statuses(&paths, &codes));
                    n.push(summary(&server));
                    assert_uses_handlers(target, &server, false);
                }
                // After the server: it renames the project away while it runs.
                let run = check(&build.dir);
                note_run(&run, n);
                run.assert(0, &[]);
            } else {
                match &built {
                    Err(f) => {
                        n.push(format!(
                            "`next build` fails: {}",
                            first_error_line(&f.log).unwrap_or("(no error line)")
                        ));
                    }
                    Ok(build) => {
                        let config =
                            fs::read_to_string(build.dir.join(".next/required-server-files.json"))
                                .unwrap_or_default();
                        panic!(
                            "next@{} built file:// handler values (FileUrlHandlers says it cannot): {}",
                            target.line.next,
                            config.chars().take(200).collect::<String>()
                        );
                    }
                }
            }
        }),
        Variant::EsmIsrHandler => row.case("line facts", |n| {
            let build = match &built {
                Err(f) => {
                    n.push(format!(
                        "`next build` fails: {}",
                        first_error_line(&f.log).unwrap_or("(no error line)")
                    ));
                    assert!(
                        target.has(Fact::HandlersCjsOnly),
                        "next@{} could not build an ESM ISR handler",
                        target.line.next
                    );
                    return;
                }
                Ok(b) => b,
            };
            n.push("`next build` exits 0".into());
            let server = build.start_server_on(Node::V24, "matrix-esm");
            let paths = target.paths();
            let codes = get_all(&server, &paths);
            n.push(statuses(&paths, &codes));
            n.push(summary(&server));
            if target.has(Fact::HandlersCjsOnly) {
                assert_eq!(
                    server.count("isr", "get"),
                    0,
                    "next@{} used an ESM handler with top-level await (HandlersCjsOnly says require())",
                    target.line.next
                );
            } else {
                assert_uses_handlers(target, &server, false);
            }
        }),
        Variant::LegacyKey | Variant::TopLevelKey | Variant::ExperimentalKey => {
            row.case("line facts", |n| {
                let build = built.as_ref().map_err(|f| f.message.clone()).expect("build");
                {
                    let server = build.start_server_on(Node::V24, "matrix-key");
                    let paths = target.paths();
                    let codes = get_all(&server, &paths);
                    n.push(statuses(&paths, &codes));
                    n.push(summary(&server));
                    assert!(codes.iter().all(|c| *c == 200), "{}", server.diagnostics());
                    match variant {
                        Variant::LegacyKey => {
                            assert!(target.has(Fact::LegacyKeyIgnored), "LegacyKeyIgnored");
                            n.push("the legacy key is ignored: the ISR handler never loads".into());
                            assert_eq!(server.count("isr", "load"), 0, "{}", server.diagnostics());
                        }
                        Variant::TopLevelKey => {
                            assert!(!target.has(Fact::TopLevelCacheHandlers));
                            n.push("top-level cacheHandlers is not read: the 'use cache' handler never loads".into());
                            assert_eq!(server.count("default", "load"), 0, "{}", server.diagnostics());
                        }
                        _ => {
                            assert!(target.has(Fact::ExperimentalCacheHandlersDeprecated));
                            n.push("experimental.cacheHandlers still works".into());
                            server.assert_called_all("default", &["load", "get", "set"]);
                        }
                    }
                }
                // After the server: it renames the project away while it runs.
                let run = check(&build.dir);
                note_run(&run, n);
            })
        }
    }
    row.write();
    row.failed()
}

/// The line of a build log that names the error: the first with a Node error code (`ERR_…`),
/// else the first `…Error: …`, else the first that mentions an error.
fn first_error_line(log: &str) -> Option<&str> {
    let lines = || log.lines().map(str::trim);
    lines()
        .find(|l| l.contains("ERR_"))
        .or_else(|| lines().find(|l| l.contains("Error: ")))
        .or_else(|| lines().find(|l| l.contains("Error") || l.contains("error")))
}
