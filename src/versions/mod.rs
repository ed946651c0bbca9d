//! Everything next-graft knows about Next.js versions: the one table lives in the pure crate
//! (`next_graft_config::versions`), shared with `fix-config` and the SWC plugin.

pub use next_graft_config::versions::*;
