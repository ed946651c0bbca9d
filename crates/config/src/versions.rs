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
        source: "docs/version-facts.md §2",
    },
    Row {
        fact: Fact::CacheHandlerKey,
        from: v(14, 1, 0),
        until: None,
        source: "docs/version-facts.md §2",
    },
    Row {
        fact: Fact::LegacyKeyIgnored,
        from: v(14, 1, 0),
        until: None,
        source: "14.1 dist/server/config.js warnOptionHasBeenDeprecated",
    },
    Row {
        fact: Fact::ExperimentalCacheHandlers,
        from: v(15, 0, 0),
        until: Some(v(16, 0, 0)),
        source: "docs/version-facts.md §2",
    },
    Row {
        fact: Fact::TopLevelCacheHandlers,
        from: v(16, 0, 0),
        until: None,
        source: "PR #85157",
    },
    Row {
        fact: Fact::ExperimentalCacheHandlersDeprecated,
        from: v(16, 0, 0),
        until: None,
        source: "v16.0.11 config.ts L202-230",
    },
    Row {
        fact: Fact::PreloadBug,
        from: v(15, 0, 0),
        until: Some(v(15, 2, 0)),
        source: "#72552, fixed by PR #74622 in 15.2.0",
    },
    Row {
        fact: Fact::FileUrlHandlers,
        from: v(16, 3, 0),
        until: None,
        source: "PR #90370",
    },
    Row {
        fact: Fact::ServerFilesJsTwin,
        from: v(16, 1, 0),
        until: None,
        source: "v16.4.6 build/index.ts L812-815",
    },
    Row {
        fact: Fact::HandlersCjsOnly,
        from: v(13, 4, 0),
        until: Some(v(14, 1, 0)),
        source: "13.4.19 next-server.js L219-222",
    },
    Row {
        fact: Fact::ConfigTs,
        from: v(15, 0, 0),
        until: None,
        source: "CONFIG_FILES",
    },
    Row {
        fact: Fact::ConfigMts,
        from: v(16, 0, 0),
        until: None,
        source: "CONFIG_FILES",
    },
    Row {
        fact: Fact::LoneCjsConfigIgnored,
        from: v(13, 4, 0),
        until: Some(v(15, 0, 0)),
        source: "docs/version-facts.md §4",
    },
    Row {
        fact: Fact::UseCacheDirective,
        from: v(15, 0, 0),
        until: None,
        source: "docs/version-facts.md §2 ('use cache' and cacheHandlers arrive in 15.0)",
    },
    Row {
        fact: Fact::UseCacheInterfaceV1,
        from: v(15, 0, 0),
        until: Some(v(16, 0, 0)),
        source: "cache-handlers/types.ts",
    },
    Row {
        fact: Fact::UseCacheInterfaceV2,
        from: v(15, 3, 0),
        until: Some(v(16, 0, 0)),
        source: "v15.3.9 use-cache-wrapper.ts L712",
    },
    Row {
        fact: Fact::UseCacheInterfaceV3,
        from: v(16, 0, 0),
        until: None,
        source: "v16.0.11 cache-handlers/types.ts",
    },
    Row {
        fact: Fact::MissingUseCacheHandlerSilent,
        from: v(15, 0, 0),
        until: Some(v(16, 4, 0)),
        source: "docs/version-facts.md §7",
    },
    Row {
        fact: Fact::MissingUseCacheHandlerFatal,
        from: v(16, 4, 0),
        until: None,
        source: "docs/version-facts.md §7",
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
