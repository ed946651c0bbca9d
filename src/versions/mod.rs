//! Everything next-graft knows about Next.js versions: the one table lives in the pure crate
//! (`next_graft_config::versions`), shared with `fix-config` and the SWC plugin.

pub use next_graft_config::versions::*;

/// Whether Next.js (with these facts; `None`: unknown version, assumed yes) reads the serialized
/// config key `key` at run time: the one answer for check, plan and smoke.
pub fn reads_key(key: &str, facts: Option<VersionFacts>) -> bool {
    let Some(f) = facts else { return true };
    if key == "experimental.incrementalCacheHandlerPath" {
        f.has(Fact::LegacyIsrKey)
    } else if key == "cacheHandler" {
        f.has(Fact::CacheHandlerKey)
    } else if key.starts_with("experimental.cacheHandlers.") {
        f.has(Fact::ExperimentalCacheHandlers)
    } else if key.starts_with("cacheHandlers.") {
        f.has(Fact::TopLevelCacheHandlers)
    } else {
        true
    }
}
