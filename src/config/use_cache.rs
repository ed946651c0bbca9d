//! Does the app use `'use cache'`? (for `singular-for-use-cache`)
//!
//! A directive is a string-literal statement at the top of a file or function body:
//! `'use cache'`, `"use cache"`, `'use cache: remote'`. The scan is textual: it looks for such a
//! literal at the start of a line (after indentation), which is how directives are written, and
//! skips `node_modules`, build output and dot directories.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use walkdir::WalkDir;

const SOURCE_EXTENSIONS: &[&str] = &["js", "jsx", "ts", "tsx", "mjs", "mts", "cjs", "cts"];
const MAX_FILES: usize = 20_000;
const MAX_FILE_BYTES: u64 = 2_000_000;

/// The `'use cache'` kinds the app's sources name: `default` for a plain `'use cache'`, else the
/// name after the colon (`remote`, `private`, custom kinds). Empty: the app does not use it.
pub fn use_cache_kinds(project_dir: &Path, dist_dir_name: &str) -> BTreeSet<String> {
    // The scan reads every source file of the app; graft verifies twice (before and after
    // apply), and the sources do not change in between: scan once per process.
    type Key = (std::path::PathBuf, String);
    static SCANNED: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<Key, BTreeSet<String>>>,
    > = std::sync::OnceLock::new();
    let key = (project_dir.to_path_buf(), dist_dir_name.to_string());
    let cache = SCANNED.get_or_init(Default::default);
    if let Some(kinds) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return kinds;
    }
    let kinds = scan(project_dir, dist_dir_name);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, kinds.clone());
    }
    kinds
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

/// True when the app has any `'use cache'` directive.
pub fn uses_use_cache(project_dir: &Path, dist_dir_name: &str) -> bool {
    !use_cache_kinds(project_dir, dist_dir_name).is_empty()
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
