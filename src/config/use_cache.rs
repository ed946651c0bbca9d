//! Does the app use `'use cache'`, and with which kinds? (for `singular-for-use-cache` and
//! `explain`)
//!
//! **After `next build`** (the distDir has a `BUILD_ID`) the build says it, with both bundlers:
//! every `'use cache'` function is a server reference in
//! `<distDir>/server/server-reference-manifest.json` (`node` and `edge`, keyed by reference id).
//! An entry is a `'use cache'` function when its `exportedName` starts with `$$RSC_SERVER_CACHE_`
//! (function- and file-level directives alike; 15.5 and 16.x record it, 15.1 does not), or when
//! its id is 42 hex digits whose first byte, an info byte, has bit 7 set (Next's
//! `extractInfoFromServerActionId`: `typeBit` 1 = `"use cache"`, 0 = server action). The kinds
//! come from the directives of the source files the entries name (`filename`, 15.5 and 16.x:
//! relative to the project with webpack, to the tracing root with Turbopack, e.g.
//! `apps/web/app/page.js` in a monorepo). No manifest in a finished build: the app has no server
//! references, so no `'use cache'`. This reads the manifest and the few files it names, never the
//! rest of the project: the cost does not grow with the repository. A manifest that does not
//! parse, or with an id that cannot be classified (40 hex digits without an info byte, on a
//! version that has `'use cache'`), falls back to the scan below: this feeds a warning, never an
//! error.
//!
//! **Before a build** (only next.config), the sources are scanned. A directive is a
//! string-literal statement at the top of a file or function body: `'use cache'`, `"use cache"`,
//! `'use cache: remote'`. The scan is textual: it looks for such a literal at the start of a line
//! (after indentation), which is how directives are written, and skips `node_modules`, build
//! output and dot directories.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use walkdir::WalkDir;

use crate::layout::{normalize, Bundler, Layout};
use crate::versions::{facts, Fact};

const SOURCE_EXTENSIONS: &[&str] = &["js", "jsx", "ts", "tsx", "mjs", "mts", "cjs", "cts"];
const MAX_FILES: usize = 20_000;
const MAX_FILE_BYTES: u64 = 2_000_000;
/// What an inline `'use cache'` function is exported as in the server reference manifest.
const USE_CACHE_EXPORT_PREFIX: &str = "$$RSC_SERVER_CACHE_";
/// Hex digits of a reference id that starts with an info byte (15.x+): 1 + 20 bytes.
const INFO_BYTE_ID_LEN: usize = 42;

/// The `'use cache'` kinds the app uses: `default` for a plain `'use cache'`, else the name after
/// the colon (`remote`, `private`, custom kinds). Empty: the app does not use it. Read from the
/// build when there is one, else from the sources (see the module doc).
pub fn use_cache_kinds(layout: &Layout) -> BTreeSet<String> {
    // graft verifies twice (before and after apply); neither the build's server output nor the
    // sources change in between: decide once per process.
    type Key = (PathBuf, PathBuf);
    static DECIDED: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<Key, BTreeSet<String>>>,
    > = std::sync::OnceLock::new();
    let key = (layout.project_dir.clone(), layout.dist_dir.clone());
    let cache = DECIDED.get_or_init(Default::default);
    if let Some(kinds) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return kinds;
    }
    let from_build = if layout.dist_dir.join("BUILD_ID").is_file() {
        from_build(layout)
    } else {
        None
    };
    let kinds = from_build.unwrap_or_else(|| scan(&layout.project_dir, &layout.dist_dir_name));
    if let Ok(mut c) = cache.lock() {
        c.insert(key, kinds.clone());
    }
    kinds
}

/// True when the app uses `'use cache'`.
pub fn uses_use_cache(layout: &Layout) -> bool {
    !use_cache_kinds(layout).is_empty()
}

/// The kinds from a finished build; `None` when the build cannot tell (scan the sources).
fn from_build(layout: &Layout) -> Option<BTreeSet<String>> {
    let path = layout
        .dist_dir
        .join("server")
        .join("server-reference-manifest.json");
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        // Next writes it whenever the app has server references ('use server' or 'use cache').
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(BTreeSet::new()),
        Err(_) => return None,
    };
    let manifest: Value = serde_json::from_str(&text).ok()?;
    let has_use_cache = layout
        .next_version()
        .map(|v| facts(v).has(Fact::UseCacheDirective))
        // Unknown version: it may have `'use cache'`.
        .unwrap_or(true);
    let entries = use_cache_entries(&manifest, has_use_cache)?;

    let mut kinds = BTreeSet::new();
    let mut read: std::collections::HashMap<PathBuf, Vec<String>> = Default::default();
    for filename in entries {
        let file_kinds = match filename.as_deref().and_then(|f| source_file(layout, f)) {
            Some(file) => read
                .entry(file)
                .or_insert_with_key(|file| {
                    read_source(file)
                        .map(|text| directive_kinds(&text))
                        .unwrap_or_default()
                })
                .clone(),
            None => Vec::new(),
        };
        if file_kinds.is_empty() {
            // The build recorded a 'use cache' function, so the app uses it, which is all the
            // warning needs; only its kind is unknown: 15.1 records no file, the file may have
            // moved or changed since the build, or its directive is written where the line
            // check does not see it. `default` is the kind of a plain 'use cache'.
            kinds.insert("default".to_string());
        }
        kinds.extend(file_kinds);
    }
    Some(kinds)
}

/// The `filename` (or `None` when not recorded) of every `'use cache'` entry of a server
/// reference manifest. `None` when the manifest is not one, or an entry cannot be classified.
/// `has_use_cache`: the Next version has `'use cache'` (else every entry is a server action).
fn use_cache_entries(manifest: &Value, has_use_cache: bool) -> Option<Vec<Option<String>>> {
    let manifest = manifest.as_object()?;
    let runtimes: Vec<&Value> = ["node", "edge"]
        .iter()
        .filter_map(|k| manifest.get(*k))
        .collect();
    if runtimes.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for runtime in runtimes {
        for (id, entry) in runtime.as_object()? {
            let exported = entry.get("exportedName").and_then(Value::as_str);
            let use_cache = if exported.is_some_and(|n| n.starts_with(USE_CACHE_EXPORT_PREFIX)) {
                true
            } else if let Some(info) = info_byte(id) {
                // 15.1 records no name; the id's type bit decides.
                info & 0x80 != 0
            } else if !has_use_cache {
                false
            } else {
                return None;
            };
            if use_cache {
                let filename = entry.get("filename").and_then(Value::as_str);
                out.push(filename.map(str::to_string));
            }
        }
    }
    Some(out)
}

/// The info byte of a reference id in the 42-hex-digit form.
fn info_byte(id: &str) -> Option<u8> {
    if id.len() != INFO_BYTE_ID_LEN || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u8::from_str_radix(&id[..2], 16).ok()
}

/// The source file a manifest `filename` names: webpack writes it relative to the project
/// (`../../packages/x.js` for a file beside it in a monorepo), Turbopack relative to its root,
/// the tracing root (`apps/web/app/page.js`); try the bundler's base first. Neither writes
/// absolute paths: one is not read.
fn source_file(layout: &Layout, filename: &str) -> Option<PathBuf> {
    let rel = Path::new(filename);
    if rel.is_absolute() {
        return None;
    }
    let bases: [&Path; 2] = match layout.bundler {
        Bundler::Turbopack => [&layout.tracing_root, &layout.project_dir],
        _ => [&layout.project_dir, &layout.tracing_root],
    };
    bases
        .iter()
        .map(|base| normalize(&base.join(rel)))
        .find(|p| p.is_file())
}

fn read_source(path: &Path) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    if meta.len() > MAX_FILE_BYTES {
        return None;
    }
    fs::read_to_string(path).ok()
}

fn scan(project_dir: &Path, dist_dir_name: &str) -> BTreeSet<String> {
    let mut kinds = BTreeSet::new();
    let walker = WalkDir::new(project_dir)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.depth() == 0
                || !(name == "node_modules"
                    || name == dist_dir_name
                    || name == ".next"
                    || name == "out"
                    || (name.starts_with('.') && e.file_type().is_dir()))
        });
    for entry in walker
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .take(MAX_FILES)
    {
        let path = entry.path();
        let ext_ok = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SOURCE_EXTENSIONS.contains(&e));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !ext_ok || name.starts_with("next.config.") {
            continue;
        }
        if entry
            .metadata()
            .map(|m| m.len() > MAX_FILE_BYTES)
            .unwrap_or(true)
        {
            continue;
        }
        if let Ok(text) = fs::read_to_string(path) {
            kinds.extend(directive_kinds(&text));
        }
    }
    kinds
}

/// The `'use cache'` kinds named by directives in one source text.
pub fn directive_kinds(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        let Some(q) = t.chars().next().filter(|c| *c == '\'' || *c == '"') else {
            continue;
        };
        let rest = &t[1..];
        let Some(end) = rest.find(q) else { continue };
        let lit = &rest[..end];
        let after = rest[end + 1..].trim_start();
        if !(after.is_empty() || after.starts_with(';') || after.starts_with("//")) {
            continue;
        }
        if lit == "use cache" {
            out.push("default".to_string());
        } else if let Some(kind) = lit.strip_prefix("use cache:") {
            let kind = kind.trim();
            if !kind.is_empty() {
                out.push(kind.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_byte_of_42_digit_ids_only() {
        assert_eq!(
            info_byte("80fceb7ab1c5bf6fff6406b53393d695899b9285e5"),
            Some(0x80)
        );
        assert_eq!(
            info_byte("408993fd2c8a0561136be29ce5377473dff859dc6c"),
            Some(0x40)
        );
        // 14.x: a SHA-1, no info byte.
        assert_eq!(info_byte("b5e90288cf305847fa04da1275197d7e7c421e5c"), None);
        assert_eq!(
            info_byte("zz8993fd2c8a0561136be29ce5377473dff859dc6c"),
            None
        );
        assert_eq!(info_byte("é08993fd2c8a0561136be29ce5377473dff859dc6"), None);
    }

    #[test]
    fn directives() {
        assert_eq!(
            directive_kinds("'use cache'\nexport default 1"),
            ["default"]
        );
        assert_eq!(
            directive_kinds("async function f() {\n  \"use cache: remote\";\n}"),
            ["remote"]
        );
        assert!(directive_kinds("const s = 'use cache'\n").is_empty());
        assert!(directive_kinds("// 'use cache' is great\n'use client'\n").is_empty());
        assert!(directive_kinds("'use cache' + x\n").is_empty());
    }
}
