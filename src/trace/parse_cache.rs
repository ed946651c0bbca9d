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
//! Texts are told apart by length and a 128-bit XXH3 of the bytes: a collision cannot be expected
//! (thousands of files), and the hash is the same in every process, so that the edge store
//! ([`super::store`]) can keep location-free results across runs. XXH3 is not built to resist a
//! crafted collision; crafting one would take writing files into the project's `node_modules` or
//! the build output, and whoever can do that already decides what the server runs.
//!
//! Files this process read or wrote are not read again while unchanged ([`remember`],
//! [`trusted`]). Each file the trace reads is remembered with its [`FileStamp`] (inode, ctime,
//! size, mtime) taken before reading. apply copies a source with the kernel and, when the
//! source's stamp before and after the copy is the one remembered when the trace read it,
//! remembers the copy with that text and the copy's stamp taken right after its rename. When a
//! trace then reaches a remembered path whose stamp is still the same, the text is known, so its
//! location-free edges are too; they are resolved from the file's own directory like any other
//! file's. Anything else (a stamp that changed: the file was rewritten, replaced or truncated; a
//! result tied to its location; a file no one here read or wrote) is read and analysed as before.
//! `plan` tells a source and its copy equal the same way ([`same_known_bytes`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};

use rustc_hash::{FxHashMap, FxHashSet};

use super::edges::{self, FileCtx, Parsed};
use super::fsx;
use crate::platform::FileStamp;

/// The identity of a text: its length and 128-bit XXH3, as [`KnownText::of`] computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct TextId(pub(crate) usize, pub(crate) u128);

/// What the process knows of one file's bytes: the identity of their text, and whether that
/// text is exactly the bytes (valid UTF-8), so that equal identities mean equal bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownText {
    id: TextId,
    exact: bool,
}

impl KnownText {
    /// Of a file's bytes, decoded as the tracer decodes them.
    pub fn of(bytes: &[u8]) -> KnownText {
        Self::decode(bytes).0
    }

    /// The text of `bytes` as the tracer reads it (lossy UTF-8), with its identity: one
    /// decoding for both.
    fn decode(bytes: &[u8]) -> (KnownText, std::borrow::Cow<'_, str>) {
        // The strict check first: it is faster than the lossy decoder's, and almost every
        // file is valid UTF-8.
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        };
        let known = KnownText {
            id: TextId(text.len(), xxhash_rust::xxh3::xxh3_128(text.as_bytes())),
            exact: matches!(text, std::borrow::Cow::Borrowed(_)),
        };
        (known, text)
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    /// A location-free result: by text and extension (the extension picks the syntax).
    Text { text: TextId, ext: String },
    /// Any other: by text, path and cwd.
    Located {
        text: TextId,
        file: PathBuf,
        cwd: Option<PathBuf>,
    },
}

struct Cache {
    parsed: Mutex<Entries>,
    /// Set once [`preload`] took a result (see [`has_stored`]).
    preloaded: std::sync::atomic::AtomicBool,
    /// Signalled whenever a text being parsed is done (see `Entries::parsing`).
    parsed_one: Condvar,
    /// Files whose bytes this process wrote (apply's copies) or read (traced files): path -> (the
    /// text, the file's stamp then).
    /// Keyed by the path's bytes (`fsx::PathMap`: apply and the trace name them alike, normal).
    known: Mutex<fsx::PathMap<(KnownText, FileStamp)>>,
}

#[derive(Default)]
struct Entries {
    by_key: FxHashMap<Key, Arc<Parsed>>,
    /// Location-free results of earlier runs, from the edge store ([`preload`]). One moves into
    /// `by_key` when this run meets its text, so that [`location_free_results`] gives only the
    /// texts of this run: a store never grows with texts no closure holds any more.
    /// Only `Key::Text` keys.
    stored: FxHashMap<Key, Arc<Parsed>>,
    /// Texts a worker is parsing now. A second worker meeting one waits for that result instead
    /// of parsing the same text again (one file installed in several places: the large bench
    /// closure has four copies of each `@opentelemetry/resources` file).
    parsing: FxHashSet<TextId>,
}

/// Ends a text's `parsing` mark when dropped, also if the parse panicked (then the waiters parse
/// it themselves).
struct ParsingMark(TextId);

impl Drop for ParsingMark {
    fn drop(&mut self) {
        let cache = cache();
        let mut entries = cache.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        entries.parsing.remove(&self.0);
        drop(entries);
        cache.parsed_one.notify_all();
    }
}

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Cache {
        preloaded: std::sync::atomic::AtomicBool::new(false),
        parsed: Mutex::new(Entries::default()),
        parsed_one: Condvar::new(),
        known: Mutex::new(fsx::PathMap::default()),
    })
}

/// `edges::collect`, parsing each text (`text`: its identity) once per process.
fn collect(ctx: &FileCtx, source: &str, text: TextId) -> Parsed {
    let cache = cache();
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
    let mut entries = cache.parsed.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        if let Some(p) = entries.by_key.get(&by_text) {
            return p.moved_to(dir);
        }
        if let Some(p) = take_stored(&mut entries, &by_text) {
            return p.moved_to(dir);
        }
        if let Some(p) = entries.by_key.get(&by_location) {
            return Parsed::clone(p);
        }
        if entries.parsing.insert(text) {
            break;
        }
        // Another worker is parsing this text: its result serves this file too, unless it is
        // tied to the other file's location (then this one is parsed after all).
        entries = cache
            .parsed_one
            .wait(entries)
            .unwrap_or_else(PoisonError::into_inner);
    }
    drop(entries);
    let mark = ParsingMark(text);
    // Parsed without the lock: workers parse different texts in parallel.
    let parsed = {
        let _t = crate::timing::span(crate::timing::Phase::Swc);
        edges::collect(ctx, source)
    };
    let key = if parsed.location_free {
        by_text
    } else {
        by_location
    };
    cache
        .parsed
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .by_key
        .insert(key, Arc::new(parsed.clone()));
    drop(mark);
    parsed
}

/// The stored result for `key`, moved into `by_key` (it is this run's now).
fn take_stored(entries: &mut Entries, key: &Key) -> Option<Arc<Parsed>> {
    let parsed = entries.stored.remove(key)?;
    entries.by_key.insert(key.clone(), parsed.clone());
    Some(parsed)
}

/// Offers location-free results of an earlier run (the edge store): a text met in this run
/// takes its edges from here instead of SWC. Only results with `location_free` are taken.
pub(crate) fn preload(results: Vec<(TextId, String, Parsed)>) {
    let mut entries = cache()
        .parsed
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    for (text, ext, parsed) in results {
        if parsed.location_free {
            entries
                .stored
                .insert(Key::Text { text, ext }, Arc::new(parsed));
        }
    }
    if !entries.stored.is_empty() {
        cache()
            .preloaded
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Whether [`preload`] took any result.
pub(crate) fn has_stored() -> bool {
    let cache = cache();
    cache.preloaded.load(std::sync::atomic::Ordering::Relaxed)
}

/// The location-free results of the texts this run met (parsed or taken from the store), by
/// text and extension, in no particular order.
pub(crate) fn location_free_results() -> Vec<(TextId, String, Arc<Parsed>)> {
    let entries = cache()
        .parsed
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    entries
        .by_key
        .iter()
        .filter_map(|(key, parsed)| match key {
            Key::Text { text, ext } => Some((*text, ext.clone(), parsed.clone())),
            Key::Located { .. } => None,
        })
        .collect()
}

/// Records that this process wrote (or read) `path` with the text `text`, and that the file's
/// stamp right after writing (or before reading) was `stamp`.
pub fn remember(path: &Path, text: KnownText, stamp: FileStamp) {
    if let Ok(mut map) = cache().known.lock() {
        map.insert(path.as_os_str().to_owned(), (text, stamp));
    }
}

/// What is known of `path` now: the text remembered for it, if its stamp is still `meta`'s.
pub fn known_text(path: &Path, meta: &std::fs::Metadata) -> Option<KnownText> {
    known_now(path, meta)
}

fn known_now(path: &Path, meta: &std::fs::Metadata) -> Option<KnownText> {
    let remembered = *cache().known.lock().ok()?.get(path.as_os_str())?;
    still(remembered, meta)
}

/// The remembered text, if the file (`meta`: its metadata now) still has the remembered stamp.
fn still((text, stamp): (KnownText, FileStamp), meta: &std::fs::Metadata) -> Option<KnownText> {
    (meta.is_file() && crate::platform::file_stamp(meta) == stamp).then_some(text)
}

/// Whether two files hold the same bytes, told from what this process read or wrote of them,
/// unchanged since (`meta`s: their metadata now). `None`: not known, compare the bytes.
pub fn same_known_bytes(
    a: (&Path, &std::fs::Metadata),
    b: (&Path, &std::fs::Metadata),
) -> Option<bool> {
    let (ta, tb) = (known_now(a.0, a.1)?, known_now(b.0, b.1)?);
    (ta.exact && tb.exact).then_some(ta.id == tb.id)
}

/// The edges of `ctx.path` without reading it, when this process wrote or read its bytes and
/// nothing changed it since (same stamp), and their text was analysed before with a
/// location-free result. `None`: read it.
pub(crate) fn trusted(ctx: &FileCtx) -> Option<Parsed> {
    // Most files of a check were never read or written before: no `stat` for those. One
    // lookup: the remembered text and stamp, then the file's stamp now.
    let remembered = *cache().known.lock().ok()?.get(ctx.path.as_os_str())?;
    let now = std::fs::symlink_metadata(ctx.path).ok()?;
    let text = still(remembered, &now)?;
    let key = Key::Text {
        text: text.id,
        ext: fsx::ext(ctx.path),
    };
    let dir = ctx.path.parent().unwrap_or(Path::new("/"));
    let mut entries = cache().parsed.lock().ok()?;
    if let Some(p) = entries.by_key.get(&key) {
        return Some(p.moved_to(dir));
    }
    take_stored(&mut entries, &key).map(|p| p.moved_to(dir))
}

/// Reads `ctx.path` (stamped before reading, remembered) and collects its edges.
pub(crate) fn read_and_collect(ctx: &FileCtx) -> std::io::Result<Parsed> {
    let mut file = std::fs::File::open(ctx.path)?;
    let meta = file.metadata()?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0) + 1);
    // Through `Take`: `File::read_to_end` would `stat` the file again for its size (and seek).
    std::io::Read::read_to_end(&mut std::io::Read::take(&mut file, u64::MAX), &mut bytes)?;
    drop(file);
    let (known, text) = KnownText::decode(&bytes);
    remember(ctx.path, known, crate::platform::file_stamp(&meta));
    Ok(collect(ctx, &text, known.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(path: &Path) -> FileCtx<'_> {
        FileCtx { path, cwd: None }
    }

    fn stamp(path: &Path) -> FileStamp {
        crate::platform::file_stamp(&std::fs::metadata(path).unwrap())
    }

    /// A copy is trusted only while its stamp is the one recorded when it was written: rewritten
    /// (even to the same size), it is read again.
    #[test]
    fn a_rewritten_copy_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("src.js");
        let copy = dir.path().join("copy.js");
        let text = b"require('./a');\n";
        std::fs::write(&source, text).unwrap();
        std::fs::write(&copy, text).unwrap();
        let parsed = read_and_collect(&ctx(&source)).unwrap();
        assert!(parsed.location_free);
        // Neither written nor read by this process: not trusted.
        assert!(trusted(&ctx(&copy)).is_none());
        remember(&copy, KnownText::of(text), stamp(&copy));
        let hit = trusted(&ctx(&copy)).expect("an unchanged copy is trusted");
        assert_eq!(hit.edges.len(), 1);
        assert_eq!(hit.edges[0].base, dir.path());
        // Same size, other bytes, and a different mtime (set explicitly: the kernel's clock tick
        // may not have moved since the first write).
        std::fs::write(&copy, b"require('./b');\n").unwrap();
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&copy)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert!(
            trusted(&ctx(&copy)).is_none(),
            "a rewritten copy must be read"
        );
        // Replaced by another file (a new inode) with the same bytes: read too.
        remember(&copy, KnownText::of(text), stamp(&copy));
        let other = dir.path().join("other.js");
        std::fs::write(&other, text).unwrap();
        std::fs::rename(&other, &copy).unwrap();
        if cfg!(unix) {
            assert!(
                trusted(&ctx(&copy)).is_none(),
                "a replaced copy must be read"
            );
        }
    }

    /// A result that depends on the file's location is never handed to a copy.
    #[test]
    fn located_results_are_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("a.js");
        let copy = dir.path().join("b.js");
        let text = b"require(__dirname + '/x.js');\n";
        std::fs::write(&source, text).unwrap();
        std::fs::write(&copy, text).unwrap();
        let parsed = read_and_collect(&ctx(&source)).unwrap();
        assert!(!parsed.location_free);
        remember(&copy, KnownText::of(text), stamp(&copy));
        assert!(trusted(&ctx(&copy)).is_none());
    }

    /// Two files' bytes are told equal from memory only while both are as they were read; a
    /// changed one (here same size, other bytes, later mtime) must be compared byte by byte.
    #[test]
    fn known_bytes_answer_only_for_unchanged_files() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.js"), dir.path().join("b.js"));
        std::fs::write(&a, "module.exports = 1;\n").unwrap();
        std::fs::write(&b, "module.exports = 1;\n").unwrap();
        let meta = |p: &Path| std::fs::metadata(p).unwrap();
        assert_eq!(same_known_bytes((&a, &meta(&a)), (&b, &meta(&b))), None);
        read_and_collect(&ctx(&a)).unwrap();
        read_and_collect(&ctx(&b)).unwrap();
        assert_eq!(
            same_known_bytes((&a, &meta(&a)), (&b, &meta(&b))),
            Some(true)
        );
        std::fs::write(&b, "module.exports = 2;\n").unwrap();
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        let f = std::fs::File::options().write(true).open(&b).unwrap();
        f.set_modified(later).unwrap();
        assert_eq!(same_known_bytes((&a, &meta(&a)), (&b, &meta(&b))), None);
        read_and_collect(&ctx(&b)).unwrap();
        assert_eq!(
            same_known_bytes((&a, &meta(&a)), (&b, &meta(&b))),
            Some(false)
        );
        // Not valid UTF-8: the text identity is of a lossy decoding, so it never answers.
        let (c, d) = (dir.path().join("c.js"), dir.path().join("d.js"));
        std::fs::write(&c, b"x\xff").unwrap();
        std::fs::write(&d, b"x\xfe").unwrap();
        read_and_collect(&ctx(&c)).unwrap();
        read_and_collect(&ctx(&d)).unwrap();
        assert_eq!(same_known_bytes((&c, &meta(&c)), (&d, &meta(&d))), None);
    }
}
