//! Edges kept for the whole process, so that a text is parsed once.
//!
//! One `graft` traces the handler's sources before and after apply, and the copies of the same
//! files inside the standalone tree, with several `Tracer`s; `check` traces the sources and their
//! deployed copies. SWC parsing is most of a trace's CPU time, and the edges of a file depend on
//! its text and extension alone, except for the directory that relative specifiers resolve from
//! (`Edge::base`) — unless a value was computed from the file's location or the cwd
//! (`__dirname`, `import.meta.url`, `process.cwd()`, globs, file paths), which
//! `Parsed::location_free` tells. So:
//!
//! - a location-free result is kept by text and extension, and handed to any file with that text,
//!   re-based on the file's own directory;
//! - any other result is kept by text, path and cwd: only the same file in the same run reuses it.
//!
//! Texts are told apart by length and a 64-bit SipHash with keys drawn at random for the process,
//! so a collision can neither be expected (thousands of files) nor crafted.

use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rustc_hash::FxHashMap;

use super::edges::{self, FileCtx, Parsed};
use super::fsx;

#[derive(PartialEq, Eq, Hash)]
enum Key {
    /// A location-free result: by text and extension (the extension picks the syntax).
    Text { text: (usize, u64), ext: String },
    /// Any other: by text, path and cwd.
    Located {
        text: (usize, u64),
        file: PathBuf,
        cwd: Option<PathBuf>,
    },
}

struct Cache {
    seed: RandomState,
    parsed: Mutex<FxHashMap<Key, Arc<Parsed>>>,
}

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Cache {
        seed: RandomState::new(),
        parsed: Mutex::new(FxHashMap::default()),
    })
}

/// `edges::collect`, parsing each text once per process.
pub(crate) fn collect(ctx: &FileCtx, source: &str) -> Parsed {
    let cache = cache();
    let text = (source.len(), cache.seed.hash_one(source));
    let dir = ctx.path.parent().unwrap_or(Path::new("/"));
    let by_text = Key::Text {
        text,
        ext: fsx::ext(ctx.path),
    };
    let by_location = Key::Located {
        text,
        file: ctx.path.to_path_buf(),
        cwd: ctx.cwd.map(Path::to_path_buf),
    };
    let hit = cache.parsed.lock().ok().and_then(|map| {
        if let Some(p) = map.get(&by_text) {
            return Some(p.moved_to(dir));
        }
        map.get(&by_location).map(|p| Parsed::clone(p))
    });
    if let Some(parsed) = hit {
        return parsed;
    }
    // Parsed without the lock: the workers parse in parallel. Two workers meeting the same text
    // at once both parse it; the results are equal.
    let parsed = edges::collect(ctx, source);
    let key = if parsed.location_free {
        by_text
    } else {
        by_location
    };
    if let Ok(mut map) = cache.parsed.lock() {
        map.insert(key, Arc::new(parsed.clone()));
    }
    parsed
}
