//! The edge store: location-free parse results kept across runs, in
//! `<distDir>/cache/next-graft/edges.json`.
//!
//! SWC parsing is most of a trace's CPU time (docs/performance.md). Within one process the parse
//! cache already parses each text once; this keeps its location-free results (edges that depend
//! on the text and the extension alone) for the next process:
//!
//! - `check` after `graft`, the CI gate after the postbuild, meets exactly the texts graft parsed;
//! - a later build whose `.next/cache` was kept (as Next recommends for CI, and as every build
//!   on one machine does: `next build` empties the distDir but keeps `cache/`) meets the same
//!   `node_modules` texts again.
//!
//! Every file is still read, its text identified (length and XXH3-128 of the bytes), and each of
//! its edges resolved where the file is now: only the parse is skipped, for a text with the same
//! identity and extension. The results are only trusted from a binary with the same collector
//! (`NEXT_GRAFT_COLLECTOR`, a hash of the collector's sources and of Cargo.lock set by
//! `build.rs`): any other store is ignored, as is one that cannot be read or parsed. The store is
//! a cache, not input: it is never an error, only a saving.
//!
//! Who writes: `graft` (staged beside the store and renamed over it), only when this run met a
//! text the store lacks (see [`save`]), so a second run writes nothing:
//!
//! - after an apply that wrote the tree;
//! - after a healthy standalone build, where apply had nothing to write, when it passes. That is the
//!   common postbuild; without this, a project whose builds are always healthy would never get a
//!   store. What the server runs is still left exactly as it was: the store lives in
//!   `<distDir>/cache/`, outside the standalone tree and apart from what `next start` loads (Next
//!   keeps its own build caches there). A graft that refuses (an error it cannot fix) writes
//!   nothing at all.
//!
//! `check` only reads it, so "check writes nothing" holds.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::edges::{Edge, EdgeKind, Parsed, Target};
use super::parse_cache::{self, TextId};

/// The collector this binary was built with (see `build.rs`).
const COLLECTOR: &str = env!("NEXT_GRAFT_COLLECTOR");
/// The store's own layout; the collector id covers what the results mean.
const FORMAT: u32 = 1;

/// Where the store of `dist_dir` lives: beside Next's own build caches, outside the standalone
/// tree, kept by `next build` across builds.
pub fn path(dist_dir: &Path) -> PathBuf {
    dist_dir.join("cache").join("next-graft").join("edges.json")
}

/// What [`load`] took: the identity of each result, to tell whether [`save`] has anything new.
#[derive(Debug, Default)]
pub struct Loaded {
    keys: Vec<(TextId, String)>,
}

/// Offers the results of `dist_dir`'s store to the parse cache. A missing, unreadable,
/// malformed or foreign store offers nothing.
pub fn load(dist_dir: &Path) -> Loaded {
    let Ok(bytes) = std::fs::read(path(dist_dir)) else {
        return Loaded::default();
    };
    let Ok(file) = serde_json::from_slice::<StoreFile>(&bytes) else {
        return Loaded::default();
    };
    if file.format != FORMAT || file.collector != COLLECTOR {
        return Loaded::default();
    }
    let results: Vec<(TextId, String, Parsed)> = file
        .entries
        .into_iter()
        .filter_map(Entry::into_result)
        .collect();
    let mut keys: Vec<(TextId, String)> = results
        .iter()
        .map(|(text, ext, _)| (*text, ext.clone()))
        .collect();
    keys.sort_unstable();
    parse_cache::preload(results);
    Loaded { keys }
}

/// Whether a store offered results to this process (then little is left to parse, and
/// `check` traces the sources and the tree side by side).
pub fn offered_results() -> bool {
    parse_cache::has_stored()
}

/// Writes the storable results of this run into `dist_dir`'s store, unless `loaded` held every
/// one of them already. `Ok(true)` when it wrote.
///
/// A store with texts this run did not meet is kept as it is: the run before may have met more
/// (graft parses a tree's old copies before replacing them), and rewriting it for fewer would
/// make the next run, which meets only the new copies, write again. When it is written, it holds
/// exactly this run's texts, so it never grows beyond one run's.
pub fn save(dist_dir: &Path, loaded: &Loaded) -> std::io::Result<bool> {
    let mut results = parse_cache::location_free_results();
    results.retain(|(_, _, parsed)| storable(parsed));
    results.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let held = |key: (TextId, &String)| {
        loaded
            .keys
            .binary_search_by(|(text, ext)| (*text, ext).cmp(&key))
            .is_ok()
    };
    if results.iter().all(|(text, ext, _)| held((*text, ext))) {
        return Ok(false);
    }
    let target = path(dist_dir);
    let dir = target.parent().expect("the store has a parent directory");
    std::fs::create_dir_all(dir)?;
    // Named like apply's staging files (`.next-graft.*.tmp`), created new (the umask's mode, as
    // any file the build wrote), removed again if anything fails before the rename.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let staged = dir.join(format!(
        ".next-graft.edges.{}-{nanos}.tmp",
        std::process::id()
    ));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&staged)
        .and_then(|f| write_store(std::io::BufWriter::new(f), &results))
        .and_then(|()| std::fs::rename(&staged, &target));
    if written.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    written.map(|()| true)
}

/// Writes a [`StoreFile`] one entry at a time: the entries of a large closure, all made at once,
/// took about a MiB of a graft whose peak RSS has a budget (docs/performance.md).
fn write_store(
    mut out: impl std::io::Write,
    results: &[(TextId, String, Arc<Parsed>)],
) -> std::io::Result<()> {
    write!(
        out,
        "{{\"format\":{FORMAT},\"collector\":{},\"entries\":[",
        serde_json::to_string(COLLECTOR)?
    )?;
    let mut first = true;
    for (text, ext, parsed) in results {
        let Some(entry) = Entry::of(*text, ext, parsed) else {
            continue;
        };
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        serde_json::to_writer(&mut out, &entry)?;
    }
    out.write_all(b"]}")?;
    out.flush()
}

#[derive(Deserialize)]
struct StoreFile {
    format: u32,
    collector: String,
    entries: Vec<Entry>,
}

/// One text's result. Only location-free results are stored, whose targets are specifiers or
/// dynamic, and whose bases are the file's own directory (set again on use).
#[derive(Serialize, Deserialize)]
struct Entry {
    len: usize,
    /// XXH3-128 of the text, 32 hex digits.
    xxh3: String,
    ext: String,
    module_syntax: bool,
    module_syntax_at: (u32, u32),
    edges: Vec<StoredEdge>,
}

#[derive(Serialize, Deserialize)]
struct StoredEdge {
    kind: StoredKind,
    /// The specifier to resolve, or `None` for a dynamic edge.
    spec: Option<String>,
    /// Why a dynamic edge is dynamic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dynamic: Option<String>,
    line: u32,
    column: u32,
    specifier: String,
    optional: bool,
    json_type: bool,
}

#[derive(Serialize, Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum StoredKind {
    Import,
    Require,
    Asset,
    UrlRef,
}

/// Whether [`Entry::of`] keeps `parsed`: a location-free result of a text that parsed, whose
/// targets are all specifiers or dynamic.
fn storable(parsed: &Parsed) -> bool {
    parsed.location_free
        && parsed.parse_error.is_none()
        && parsed
            .edges
            .iter()
            .all(|e| matches!(e.target, Target::Spec(_) | Target::Dynamic(_)))
}

impl Entry {
    fn of(text: TextId, ext: &str, parsed: &Arc<Parsed>) -> Option<Entry> {
        if !storable(parsed) {
            return None;
        }
        let edges = parsed
            .edges
            .iter()
            .map(|e| {
                let (spec, dynamic) = match &e.target {
                    Target::Spec(s) => (Some(s.clone()), None),
                    Target::Dynamic(why) => (None, Some(why.clone())),
                    // Never in a location-free result (`storable` refused it).
                    Target::Path(_) | Target::Glob(_) | Target::NativeDir(_) => return None,
                };
                Some(StoredEdge {
                    kind: match e.kind {
                        EdgeKind::Import => StoredKind::Import,
                        EdgeKind::Require => StoredKind::Require,
                        EdgeKind::Asset => StoredKind::Asset,
                        EdgeKind::UrlRef => StoredKind::UrlRef,
                    },
                    spec,
                    dynamic,
                    line: e.line,
                    column: e.column,
                    specifier: e.specifier.clone(),
                    optional: e.optional,
                    json_type: e.json_type,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Entry {
            len: text.0,
            xxh3: format!("{:032x}", text.1),
            ext: ext.to_string(),
            module_syntax: parsed.module_syntax,
            module_syntax_at: parsed.module_syntax_at,
            edges,
        })
    }

    fn into_result(self) -> Option<(TextId, String, Parsed)> {
        if self.xxh3.len() != 32 {
            return None;
        }
        let hash = u128::from_str_radix(&self.xxh3, 16).ok()?;
        let edges = self
            .edges
            .into_iter()
            .map(|e| {
                let target = match (e.spec, e.dynamic) {
                    (Some(spec), None) => Target::Spec(spec),
                    (None, Some(why)) => Target::Dynamic(why),
                    _ => return None,
                };
                Some(Edge {
                    kind: match e.kind {
                        StoredKind::Import => EdgeKind::Import,
                        StoredKind::Require => EdgeKind::Require,
                        StoredKind::Asset => EdgeKind::Asset,
                        StoredKind::UrlRef => EdgeKind::UrlRef,
                    },
                    target,
                    // Set to the file's directory when used (`Parsed::moved_to`).
                    base: PathBuf::new(),
                    line: e.line,
                    column: e.column,
                    specifier: e.specifier,
                    optional: e.optional,
                    json_type: e.json_type,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some((
            TextId(self.len, hash),
            self.ext,
            Parsed {
                edges,
                parse_error: None,
                module_syntax: self.module_syntax,
                module_syntax_at: self.module_syntax_at,
                location_free: true,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(kind: EdgeKind, target: Target) -> Edge {
        Edge {
            kind,
            target,
            base: PathBuf::new(),
            line: 3,
            column: 7,
            specifier: "./x".into(),
            optional: kind == EdgeKind::Require,
            json_type: kind == EdgeKind::Import,
        }
    }

    #[test]
    fn an_entry_reads_back_as_the_result_it_was_made_of() {
        let parsed = Parsed {
            edges: vec![
                edge(EdgeKind::Import, Target::Spec("./a.js".into())),
                edge(EdgeKind::Require, Target::Spec("lru-cache".into())),
                edge(EdgeKind::Asset, Target::Spec("./data.json".into())),
                edge(EdgeKind::UrlRef, Target::Spec("./w.js".into())),
                edge(EdgeKind::Require, Target::Dynamic("a computed name".into())),
            ],
            parse_error: None,
            module_syntax: true,
            module_syntax_at: (2, 1),
            location_free: true,
        };
        let text = TextId(120, 0x0123_4567_89ab_cdef_0011_2233_4455_6677);
        let entry = Entry::of(text, "mjs", &Arc::new(parsed.clone())).unwrap();
        let json = serde_json::to_string(&entry).unwrap();
        let back: Entry = serde_json::from_str(&json).unwrap();
        let (id, ext, result) = back.into_result().unwrap();
        assert_eq!((id, ext.as_str()), (text, "mjs"));
        assert_eq!(result.edges, parsed.edges);
        assert_eq!(
            (result.module_syntax, result.module_syntax_at),
            (true, (2, 1))
        );
        assert!(result.location_free && result.parse_error.is_none());
    }

    #[test]
    fn results_tied_to_a_location_or_a_parse_error_are_not_stored() {
        let text = TextId(1, 1);
        let located = Parsed {
            edges: vec![edge(EdgeKind::Asset, Target::Path("/a/b".into()))],
            location_free: true,
            ..Parsed::default()
        };
        assert!(Entry::of(text, "js", &Arc::new(located)).is_none());
        let not_free = Parsed::default();
        assert!(Entry::of(text, "js", &Arc::new(not_free)).is_none());
        let failed = Parsed {
            parse_error: Some((1, 1, "x".into())),
            location_free: true,
            ..Parsed::default()
        };
        assert!(Entry::of(text, "js", &Arc::new(failed)).is_none());
    }
}
