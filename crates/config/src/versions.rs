//! Everything next-graft knows about Next.js versions, in one table.
//!
//! It lives in this pure crate so that both the CLI (`next_graft::versions` re-exports it) and the
//! fixes of `fix-config` and the SWC plugin (which build for `wasm32-wasip1`) read the same rows.
//!
//! Stages never compare version numbers themselves: they ask `facts(version).has(Fact::X)`.
//! Each row carries the half-open range `[from, until)` and the source it comes from
//! (upstream PRs, issues and Next.js source files). `docs/version-facts.md` explains every row:
//! the fact, its range, its upstream source and the real build in this repository that showed
//! it; a `source` naming `docs/version-facts.md §N` points at the section with the evidence.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Parses `16.4.6`, `15.1.1-canary.3` (pre-release tags are dropped: a canary of X.Y.Z is
    /// treated as X.Y.Z, which is how the ranges below were written), `v14.2.0`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().trim_start_matches('v');
        let core = text.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().unwrap_or("0").parse().ok()?;
        let patch = parts.next().unwrap_or("0").parse().ok()?;
        Some(Self {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The same text as `Serialize` writes (`"16.4.6"`).
impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Version::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a version: {text:?}")))
    }
}

/// A property of a Next.js release line that changes what next-graft must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fact {
    /// The ISR handler is read from `experimental.incrementalCacheHandlerPath`.
    LegacyIsrKey,
    /// The ISR handler is read from `cacheHandler`.
    CacheHandlerKey,
    /// `experimental.incrementalCacheHandlerPath` is accepted but nothing reads it.
    LegacyKeyIgnored,
    /// `'use cache'` handlers are read from `experimental.cacheHandlers`.
    ExperimentalCacheHandlers,
    /// `'use cache'` handlers are read from top-level `cacheHandlers`.
    TopLevelCacheHandlers,
    /// `experimental.cacheHandlers` still works but is deprecated (copied to the top level).
    ExperimentalCacheHandlersDeprecated,
    /// #72552: `'use cache'` handlers are loaded lazily and never used unless
    /// `experimental.preloadEntriesOnStart` is false.
    PreloadBug,
    /// Handler values may be `file://` URLs (`import.meta.resolve`).
    FileUrlHandlers,
    /// `next build` also writes `<distDir>/required-server-files.js`.
    ServerFilesJsTwin,
    /// Handlers are loaded with `require()`: CommonJS only.
    HandlersCjsOnly,
    /// `next.config.ts` is a config file name.
    ConfigTs,
    /// `next.config.mts` is a config file name (when Node strips types).
    ConfigMts,
    /// A lone `next.config.cjs` is silently ignored rather than rejected.
    LoneCjsConfigIgnored,
    /// The `'use cache'` directive exists (its functions are server references with an info
    /// byte in their id).
    UseCacheDirective,
    /// `'use cache'` handler interface, 15.0–15.2 shape (expireTags/receiveExpiredTags).
    UseCacheInterfaceV1,
    /// `'use cache'` handler interface, V2 shape (refreshTags/getExpiration/expireTags).
    UseCacheInterfaceV2,
    /// `'use cache'` handler interface, 16.x shape (refreshTags/getExpiration/updateTags).
    UseCacheInterfaceV3,
    /// A missing `'use cache'` handler silently falls back to the in-memory default.
    MissingUseCacheHandlerSilent,
    /// A missing `'use cache'` handler makes every request fail with 500.
    MissingUseCacheHandlerFatal,
}

struct Row {
    fact: Fact,
    from: Version,
    /// Exclusive; `None` = still true in the newest version known.
    until: Option<Version>,
    source: &'static str,
}

const fn v(major: u32, minor: u32, patch: u32) -> Version {
    Version::new(major, minor, patch)
}

/// The one table of version facts. Ranges are `[from, until)`.
const TABLE: &[Row] = &[
    Row {
        fact: Fact::LegacyIsrKey,
        from: v(13, 4, 0),
        until: Some(v(14, 1, 0)),
        source: "docs/versions.md#next-13-5-webpack-node-24 #next-14-0-webpack-node-24 #next-14-1-webpack-node-24-legacy-key; upstream: docs/version-facts.md §2",
    },
    Row {
        fact: Fact::CacheHandlerKey,
        from: v(14, 1, 0),
        until: None,
        source: "docs/versions.md#next-14-1-webpack-node-24 #next-14-2-webpack-node-24 #next-16-4-turbopack-node-24; upstream: docs/version-facts.md §2",
    },
    Row {
        fact: Fact::LegacyKeyIgnored,
        from: v(14, 1, 0),
        until: None,
        source: "docs/versions.md#next-14-1-webpack-node-24-legacy-key; upstream: 14.1 dist/server/config.js warnOptionHasBeenDeprecated",
    },
    Row {
        fact: Fact::ExperimentalCacheHandlers,
        from: v(15, 0, 0),
        until: Some(v(16, 0, 0)),
        source: "docs/versions.md#next-15-0-webpack-node-24 #next-15-5-webpack-node-24 #next-15-5-webpack-node-24-top-level-cache-handlers; upstream: docs/version-facts.md §2",
    },
    Row {
        fact: Fact::TopLevelCacheHandlers,
        from: v(16, 0, 0),
        until: None,
        source: "docs/versions.md#next-16-0-turbopack-node-24 #next-16-0-webpack-node-24 #next-15-5-webpack-node-24-top-level-cache-handlers; upstream: PR #85157",
    },
    Row {
        fact: Fact::ExperimentalCacheHandlersDeprecated,
        from: v(16, 0, 0),
        until: None,
        source: "docs/versions.md#next-16-0-turbopack-node-24-experimental-cache-handlers; upstream: v16.0.11 config.ts L202-230",
    },
    Row {
        fact: Fact::PreloadBug,
        from: v(15, 0, 0),
        until: Some(v(15, 2, 0)),
        source: "docs/versions.md#next-15-0-webpack-node-24 #next-15-1-webpack-node-20 #next-15-1-webpack-node-24 #next-15-2-webpack-node-24; upstream: #72552, fixed by PR #74622 in 15.2.0",
    },
    Row {
        fact: Fact::FileUrlHandlers,
        from: v(16, 3, 0),
        until: None,
        source: "docs/versions.md#next-16-2-turbopack-node-24-file-url #next-16-3-turbopack-node-24-file-url; upstream: PR #90370",
    },
    Row {
        fact: Fact::ServerFilesJsTwin,
        from: v(16, 1, 0),
        until: None,
        source: "docs/versions.md#next-16-0-turbopack-node-24 #next-16-1-turbopack-node-24; upstream: v16.4.6 build/index.ts L812-815",
    },
    Row {
        fact: Fact::HandlersCjsOnly,
        from: v(13, 4, 0),
        until: Some(v(14, 1, 0)),
        source: "docs/versions.md#next-14-0-webpack-node-24-esm-isr-handler #next-14-1-webpack-node-24-esm-isr-handler; upstream: 13.4.19 next-server.js L219-222",
    },
    Row {
        fact: Fact::ConfigTs,
        from: v(15, 0, 0),
        until: None,
        source: "docs/versions.md#next-14-2-webpack-node-24 #next-15-0-webpack-node-24; upstream: CONFIG_FILES",
    },
    Row {
        fact: Fact::ConfigMts,
        from: v(16, 0, 0),
        until: None,
        source: "docs/versions.md#next-15-5-webpack-node-24 #next-16-0-turbopack-node-24; upstream: CONFIG_FILES",
    },
    Row {
        fact: Fact::LoneCjsConfigIgnored,
        from: v(13, 4, 0),
        until: Some(v(15, 0, 0)),
        source: "docs/versions.md#next-14-2-webpack-node-24 #next-15-0-webpack-node-24; upstream: docs/version-facts.md §4",
    },
    Row {
        fact: Fact::UseCacheDirective,
        from: v(15, 0, 0),
        until: None,
        source: "docs/versions.md#next-15-0-webpack-node-24; upstream: docs/version-facts.md §2 ('use cache' and cacheHandlers arrive in 15.0)",
    },
    Row {
        fact: Fact::UseCacheInterfaceV1,
        from: v(15, 0, 0),
        until: Some(v(16, 0, 0)),
        source: "docs/versions.md#next-15-0-webpack-node-24 #next-15-2-webpack-node-24; upstream: cache-handlers/types.ts",
    },
    Row {
        fact: Fact::UseCacheInterfaceV2,
        from: v(15, 3, 0),
        until: Some(v(16, 0, 0)),
        source: "docs/versions.md#next-15-2-webpack-node-24 #next-15-3-webpack-node-24 #next-15-5-webpack-node-24; upstream: v15.3.9 use-cache-wrapper.ts L712",
    },
    Row {
        fact: Fact::UseCacheInterfaceV3,
        from: v(16, 0, 0),
        until: None,
        source: "docs/versions.md#next-16-0-turbopack-node-24 #next-16-4-turbopack-node-24; upstream: v16.0.11 cache-handlers/types.ts",
    },
    Row {
        fact: Fact::MissingUseCacheHandlerSilent,
        from: v(15, 0, 0),
        until: Some(v(16, 4, 0)),
        source: "docs/versions.md#next-15-0-webpack-node-24 #next-15-5-webpack-node-24 #next-16-3-turbopack-node-24; upstream: docs/version-facts.md §7",
    },
    Row {
        fact: Fact::MissingUseCacheHandlerFatal,
        from: v(16, 4, 0),
        until: None,
        source: "docs/versions.md#next-16-3-turbopack-node-24 #next-16-4-turbopack-node-24; upstream: docs/version-facts.md §7",
    },
];

/// The oldest and newest lines this table was checked against.
pub const SUPPORTED_FROM: Version = v(13, 4, 0);
pub const CHECKED_UNTIL: Version = v(16, 4, 99);

/// The facts that hold for one version.
#[derive(Debug, Clone, Copy)]
pub struct VersionFacts {
    pub version: Version,
}

pub fn facts(version: Version) -> VersionFacts {
    VersionFacts { version }
}

impl VersionFacts {
    pub fn has(&self, fact: Fact) -> bool {
        TABLE.iter().any(|row| {
            row.fact == fact
                && row.from <= self.version
                && row.until.is_none_or(|u| self.version < u)
        })
    }

    /// The source of a fact, for help texts.
    pub fn source(fact: Fact) -> &'static str {
        TABLE
            .iter()
            .find(|row| row.fact == fact)
            .map_or("", |row| row.source)
    }

    /// The first Next.js release where `fact` no longer holds (`None`: it still does), for help
    /// texts that name the upgrade.
    pub fn ends_at(fact: Fact) -> Option<Version> {
        // A row without an end means the fact still holds: then there is no end (`?`).
        TABLE
            .iter()
            .filter(|row| row.fact == fact)
            .map(|row| row.until)
            .collect::<Option<Vec<Version>>>()?
            .into_iter()
            .max()
    }

    pub fn is_supported(&self) -> bool {
        self.version >= SUPPORTED_FROM
    }

    pub fn is_newer_than_checked(&self) -> bool {
        self.version > CHECKED_UNTIL
    }

    /// Config file names, in the precedence order Next uses (`CONFIG_FILES`).
    pub fn config_files(&self) -> Vec<&'static str> {
        let mut names = vec!["next.config.js", "next.config.mjs"];
        if self.has(Fact::ConfigTs) {
            names.push("next.config.ts");
        }
        if self.has(Fact::ConfigMts) {
            names.push("next.config.mts");
        }
        names
    }

    /// The methods this version calls on an ISR `cacheHandler` instance (class members).
    pub fn isr_methods(&self) -> &'static [&'static str] {
        &["get", "set", "revalidateTag"]
    }

    /// The accepted method sets of a `'use cache'` handler object: the handler must have every
    /// method of at least one set. Empty when this version has no `'use cache'` handlers.
    pub fn use_cache_method_sets(&self) -> Vec<&'static [&'static str]> {
        let mut sets: Vec<&'static [&'static str]> = Vec::new();
        if self.has(Fact::UseCacheInterfaceV3) {
            sets.push(&["get", "set", "refreshTags", "getExpiration", "updateTags"]);
        }
        if self.has(Fact::UseCacheInterfaceV2) {
            sets.push(&["get", "set", "refreshTags", "getExpiration", "expireTags"]);
        }
        if self.has(Fact::UseCacheInterfaceV1) {
            sets.push(&["get", "set", "expireTags", "receiveExpiredTags"]);
        }
        sets
    }
}

// ---------------------------------------------------------------------------------------------
// Node.js: the facts of the production Node version that decide a verdict, in the same style
// (`docs/version-facts.md` §14 holds the evidence of each row). A fact that arrived on several
// release lines at different patches has one row per line.

/// A property of a Node.js release that changes whether production loads a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeFact {
    /// `require()` loads an ES module (no top-level await) without a flag: a `require()`-only
    /// loader (Next 13.4–14.0) can load an ESM handler, and an ESM `.ts` file can be required.
    RequireEsm,
    /// TypeScript types are stripped by default: `.ts`, `.mts`, `.cts` files of erasable syntax
    /// only load as they are, through `import()` and `require()` alike. Not `.tsx`, not files
    /// under `node_modules`, and no extension probing (`docs/version-facts.md` §14).
    StripTypes,
}

struct NodeRow {
    fact: NodeFact,
    from: Version,
    /// Exclusive; `None` = still true in the newest version known.
    until: Option<Version>,
    source: &'static str,
}

/// The Node.js section of the table. Ranges are `[from, until)`.
const NODE_TABLE: &[NodeRow] = &[
    NodeRow {
        fact: NodeFact::RequireEsm,
        from: v(20, 19, 0),
        until: Some(v(21, 0, 0)),
        source: "docs/versions.md#node-20-require-esm; upstream: docs/version-facts.md §14a (v20.19.0 changelog; run on 20.20.2)",
    },
    NodeRow {
        fact: NodeFact::RequireEsm,
        from: v(22, 12, 0),
        until: None,
        source: "docs/versions.md#node-24-ts-handler-erasable; upstream: docs/version-facts.md §14a (v22.12.0 and v23.0.0 changelogs; run on 22.23.5, 24.22.3)",
    },
    NodeRow {
        fact: NodeFact::StripTypes,
        from: v(22, 18, 0),
        until: Some(v(23, 0, 0)),
        source: "docs/versions.md#node-24-ts-handler-erasable; upstream: docs/version-facts.md §14b (v22.18.0 changelog; run on 22.23.5)",
    },
    NodeRow {
        fact: NodeFact::StripTypes,
        from: v(23, 6, 0),
        until: None,
        source: "docs/versions.md#node-24-ts-handler-erasable #node-24-ts-handler-enum; upstream: docs/version-facts.md §14b (v23.6.0 changelog, PR #56350; run on 24.22.3)",
    },
];

/// The facts that hold for one Node.js version.
#[derive(Debug, Clone, Copy)]
pub struct NodeFacts {
    pub version: Version,
}

pub fn node_facts(version: Version) -> NodeFacts {
    NodeFacts { version }
}

impl NodeFacts {
    pub fn has(&self, fact: NodeFact) -> bool {
        NODE_TABLE.iter().any(|row| {
            row.fact == fact
                && row.from <= self.version
                && row.until.is_none_or(|u| self.version < u)
        })
    }

    /// The source of a Node fact (its first row), for help texts.
    pub fn source(fact: NodeFact) -> &'static str {
        NODE_TABLE
            .iter()
            .find(|row| row.fact == fact)
            .map_or("", |row| row.source)
    }

    /// The first release of each line that has `fact` (`22.18.0, 23.6.0`), for messages that
    /// say which Node would do.
    pub fn first_releases(fact: NodeFact) -> String {
        NODE_TABLE
            .iter()
            .filter(|row| row.fact == fact)
            .map(|row| row.from.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_at_is_the_end_of_the_last_row() {
        assert_eq!(
            VersionFacts::ends_at(Fact::HandlersCjsOnly),
            Some(v(14, 1, 0))
        );
        assert_eq!(VersionFacts::ends_at(Fact::CacheHandlerKey), None);
    }

    #[test]
    fn parses_versions() {
        assert_eq!(Version::parse("16.4.6"), Some(v(16, 4, 6)));
        assert_eq!(Version::parse("15.1.1-canary.3"), Some(v(15, 1, 1)));
        assert_eq!(Version::parse("v14.2"), Some(v(14, 2, 0)));
        assert_eq!(Version::parse("latest"), None);
        assert_eq!(Version::parse(""), None);
    }

    #[test]
    fn ranges_are_half_open() {
        assert!(facts(v(15, 1, 12)).has(Fact::PreloadBug));
        assert!(facts(v(15, 0, 0)).has(Fact::PreloadBug));
        assert!(!facts(v(15, 2, 0)).has(Fact::PreloadBug));
        assert!(!facts(v(14, 2, 35)).has(Fact::PreloadBug));
        assert!(facts(v(14, 0, 4)).has(Fact::LegacyIsrKey));
        assert!(!facts(v(14, 1, 0)).has(Fact::LegacyIsrKey));
        assert!(facts(v(14, 1, 0)).has(Fact::LegacyKeyIgnored));
    }

    #[test]
    fn use_cache_keys_per_line() {
        assert!(facts(v(15, 5, 29)).has(Fact::ExperimentalCacheHandlers));
        assert!(!facts(v(15, 5, 29)).has(Fact::TopLevelCacheHandlers));
        assert!(facts(v(16, 4, 6)).has(Fact::TopLevelCacheHandlers));
        assert!(facts(v(16, 4, 6)).has(Fact::ExperimentalCacheHandlersDeprecated));
        assert!(facts(v(14, 2, 35)).use_cache_method_sets().is_empty());
        assert_eq!(facts(v(15, 5, 29)).use_cache_method_sets().len(), 2);
        assert_eq!(facts(v(16, 0, 0)).use_cache_method_sets().len(), 1);
    }

    /// Every row of the Next.js table cites the row(s) of the build matrix that prove it
    /// (`docs/versions.md#<row id>`, written by `scripts/test-matrix`), and each cited row is in
    /// the committed table.
    #[test]
    fn every_fact_cites_a_matrix_row() {
        let matrix = include_str!("../../../docs/versions.md");
        let next = TABLE.iter().map(|r| (format!("{:?}", r.fact), r.source));
        let node = NODE_TABLE
            .iter()
            .map(|r| (format!("{:?}", r.fact), r.source));
        for (fact, source) in next.chain(node) {
            // `docs/versions.md#<id> #<id>…; upstream: …`
            let rows = source.split("; upstream:").next().unwrap_or("");
            let Some(cited) = rows.strip_prefix("docs/versions.md#") else {
                panic!("{fact} cites no docs/versions.md row: {source:?}");
            };
            let ids: Vec<&str> = cited.split(" #").map(str::trim).collect();
            for id in ids {
                assert!(
                    matrix.contains(&format!("<a id=\"{id}\"></a>")),
                    "{fact} cites docs/versions.md#{id}, which is not in its table"
                );
            }
        }
    }

    #[test]
    fn config_file_precedence() {
        assert_eq!(
            facts(v(14, 2, 35)).config_files(),
            ["next.config.js", "next.config.mjs"]
        );
        assert_eq!(
            facts(v(16, 4, 6)).config_files().last(),
            Some(&"next.config.mts")
        );
    }

    #[test]
    fn node_facts_per_line() {
        // require(esm): 20.19+, not 21, 22.12+, 23 and 24.
        assert!(!node_facts(v(20, 18, 3)).has(NodeFact::RequireEsm));
        assert!(node_facts(v(20, 19, 0)).has(NodeFact::RequireEsm));
        assert!(!node_facts(v(21, 7, 3)).has(NodeFact::RequireEsm));
        assert!(!node_facts(v(22, 11, 0)).has(NodeFact::RequireEsm));
        assert!(node_facts(v(22, 12, 0)).has(NodeFact::RequireEsm));
        assert!(node_facts(v(24, 0, 0)).has(NodeFact::RequireEsm));
        // Type stripping by default: 22.18+, 23.6+, 24.
        assert!(!node_facts(v(20, 20, 2)).has(NodeFact::StripTypes));
        assert!(!node_facts(v(22, 17, 1)).has(NodeFact::StripTypes));
        assert!(node_facts(v(22, 18, 0)).has(NodeFact::StripTypes));
        assert!(!node_facts(v(23, 5, 0)).has(NodeFact::StripTypes));
        assert!(node_facts(v(23, 6, 0)).has(NodeFact::StripTypes));
        assert!(node_facts(v(24, 22, 3)).has(NodeFact::StripTypes));
        assert_eq!(
            NodeFacts::first_releases(NodeFact::StripTypes),
            "22.18.0, 23.6.0"
        );
    }
}
