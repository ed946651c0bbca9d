//! The pure crate's version predicates (`next_graft_config::fix_versions`) mirror the root
//! table (`next_graft::versions`): they must agree on every version 13.4.0..16.4.x.

use next_graft::versions::{facts, Fact, Version};
use next_graft_config::{FixFact, NextVersion};

#[test]
fn fix_facts_agree_with_the_version_table() {
    let pairs = [
        (FixFact::CacheHandlerKey, Fact::CacheHandlerKey),
        (
            FixFact::ExperimentalCacheHandlers,
            Fact::ExperimentalCacheHandlers,
        ),
        (FixFact::TopLevelCacheHandlers, Fact::TopLevelCacheHandlers),
        (FixFact::PreloadBug, Fact::PreloadBug),
        (FixFact::FileUrlHandlers, Fact::FileUrlHandlers),
    ];
    let mut checked = 0;
    for major in 13..=16 {
        for minor in 0..=12 {
            for patch in 0..=40 {
                let v = Version::new(major, minor, patch);
                if v < Version::new(13, 4, 0) || v > Version::new(16, 4, 40) {
                    continue;
                }
                let n = NextVersion::new(major, minor, patch);
                for (mine, root) in pairs {
                    assert_eq!(n.has(mine), facts(v).has(root), "{v}: {mine:?}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 1000);
}
