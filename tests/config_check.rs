//! `check_config` on a real (trimmed) Next 16.4.6 build: discovery, analysis against the
//! recorded handlers, and findings, in one call.

use std::path::Path;

use next_graft::config::{self, Discovery};
use next_graft::{layout, manifest};

#[test]
fn check_config_on_a_real_16_4_build() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/next-16.4.6-v16-4");
    let layout = layout::discover(&dir, None).unwrap();
    let recorded = manifest::read(&layout).unwrap();
    let handlers = recorded
        .authoritative()
        .map(|c| c.handlers.clone())
        .unwrap_or_default();
    let c = config::check_config(&layout, Some(&handlers)).unwrap();
    assert!(matches!(&c.discovery, Discovery::Found { file } if file.ends_with("next.config.js")));
    let a = c.analysis.as_ref().unwrap();
    assert_eq!(a.dist_dir, layout.dist_dir);
    let keys: Vec<&str> = a.refs.iter().map(|r| r.key_name.as_str()).collect();
    assert_eq!(keys, ["cacheHandler", "cacheHandlers.default"]);
    // The config names both handlers unconditionally and the build recorded them: no findings.
    assert!(c.findings.is_empty(), "{:#?}", c.findings);
}
