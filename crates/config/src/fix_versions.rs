//! The few Next.js version predicates the config fixes need, mirroring `next_graft::versions`
//! (the root crate's one table of version facts). This crate cannot depend on the root crate
//! (it builds for `wasm32-wasip1`), so the rows are repeated here; a test in the root crate
//! (`tests/fix_config_versions.rs`) asserts both tables agree for every version 13.4.0..16.4.x.

use serde::{Deserialize, Serialize};

/// A Next.js version, as plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NextVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl NextVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Parses `16.4.6`, `v15.1.0`, `15.1.1-canary.3` (the pre-release tag is dropped).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().trim_start_matches('v');
        let core = text.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().unwrap_or("0").parse().ok()?;
        let patch = parts.next().unwrap_or("0").parse().ok()?;
        Some(Self::new(major, minor, patch))
    }
}

impl std::fmt::Display for NextVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The version predicates of the fixes (names match `next_graft::versions::Fact`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FixFact {
    /// `cacheHandler` is read (14.1+).
    CacheHandlerKey,
    /// `experimental.cacheHandlers` is read (15.x).
    ExperimentalCacheHandlers,
    /// Top-level `cacheHandlers` is read (16+).
    TopLevelCacheHandlers,
    /// #72552: `'use cache'` handlers need `experimental.preloadEntriesOnStart: false` (15.0–15.1).
    PreloadBug,
    /// Handler values may be `file://` URLs (16.3+).
    FileUrlHandlers,
}

const fn v(major: u32, minor: u32, patch: u32) -> NextVersion {
    NextVersion::new(major, minor, patch)
}

/// `[from, until)`, as in the root table.
const ROWS: &[(FixFact, NextVersion, Option<NextVersion>)] = &[
    (FixFact::CacheHandlerKey, v(14, 1, 0), None),
    (
        FixFact::ExperimentalCacheHandlers,
        v(15, 0, 0),
        Some(v(16, 0, 0)),
    ),
    (FixFact::TopLevelCacheHandlers, v(16, 0, 0), None),
    (FixFact::PreloadBug, v(15, 0, 0), Some(v(15, 2, 0))),
    (FixFact::FileUrlHandlers, v(16, 3, 0), None),
];

impl NextVersion {
    pub fn has(&self, fact: FixFact) -> bool {
        ROWS.iter()
            .any(|(f, from, until)| *f == fact && from <= self && until.is_none_or(|u| *self < u))
    }
}
