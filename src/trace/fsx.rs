//! File-system helpers for the tracer: canonical paths with the symlinks passed through, the
//! nearest package.json, asset directories, globs, native addons.

use crate::layout::normalize;
use rustc_hash::FxHashMap as HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use super::edges::{EdgeKind, Glob};

/// At most this many symlinks are followed while canonicalizing one path (Linux uses 40 too):
/// a cycle ends as "not canonicalizable" instead of looping.
const MAX_LINK_HOPS: usize = 40;
/// Bound on the files one glob or asset directory may add.
const MAX_WALK: usize = 20_000;

/// Symlinks met: (link as found, target as `read_link` gives it).
type Links = Vec<(PathBuf, PathBuf)>;

/// A cache keyed by a path's bytes. `Path`'s own `Hash` walks the path byte by byte to hash it
/// component by component: with these caches asked for every edge of every file, it was 3–4% of
/// a check's CPU. The paths asked for are lexically normal, where equal paths are equal bytes;
/// another spelling of a path only misses the cache.
pub(crate) type PathMap<V> = HashMap<std::ffi::OsString, V>;

/// Per-trace caches, shared by the worker threads.
#[derive(Default)]
pub(crate) struct Fsx {
    /// Path (absolute, lexically normal; directories and files) -> its real path and the links
    /// passed through. A file of a big package is reached from hundreds of importers.
    real: Mutex<PathMap<(PathBuf, Links)>>,
    /// Path -> whether it is a file (following links): package.json probes, per importer.
    files: Mutex<PathMap<bool>>,
    /// Directory -> the nearest package.json at or above it.
    pjson: Mutex<PathMap<Option<PathBuf>>>,
    /// `"type"` of each package.json read: `Some(true)` module, `Some(false)` another value
    /// (commonjs), `None` no `type` field.
    types: Mutex<PathMap<Option<bool>>>,
}

impl Fsx {
    /// The real path of `path`, recording each symlink met on the way (link as found -> target
    /// as `read_link` gives it) into `links`. Every ancestor component is checked, so pnpm's
    /// `node_modules/x -> .pnpm/x@1/node_modules/x` and links in the middle of a path are seen.
    pub(crate) fn canonical(&self, path: &Path, links: &mut Vec<(PathBuf, PathBuf)>) -> PathBuf {
        let path = normalize(path);
        let mut hops = 0;
        self.canonical_cached(&path, links, &mut hops)
    }

    /// `path.is_file()`, asked once per trace.
    pub(crate) fn is_file(&self, path: &Path) -> bool {
        if let Some(hit) = self
            .files
            .lock()
            .ok()
            .and_then(|c| c.get(path.as_os_str()).copied())
        {
            return hit;
        }
        let is_file = path.is_file();
        if let Ok(mut cache) = self.files.lock() {
            cache.insert(path.as_os_str().to_owned(), is_file);
        }
        is_file
    }

    fn canonical_inner(
        &self,
        path: &Path,
        links: &mut Vec<(PathBuf, PathBuf)>,
        hops: &mut usize,
    ) -> PathBuf {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return path.to_path_buf();
        };
        let real_parent = self.canonical_cached(parent, links, hops);
        let candidate = real_parent.join(name);
        self.follow(&candidate, links, hops)
    }

    /// `candidate` has a real parent; if it is itself a link, follow it.
    fn follow(
        &self,
        candidate: &Path,
        links: &mut Vec<(PathBuf, PathBuf)>,
        hops: &mut usize,
    ) -> PathBuf {
        let is_link =
            std::fs::symlink_metadata(candidate).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link || *hops >= MAX_LINK_HOPS {
            return candidate.to_path_buf();
        }
        let Ok(target) = std::fs::read_link(candidate) else {
            return candidate.to_path_buf();
        };
        *hops += 1;
        links.push((candidate.to_path_buf(), target.clone()));
        let parent = candidate.parent().unwrap_or(Path::new("/"));
        let next = normalize(&parent.join(&target));
        self.canonical_inner(&next, links, hops)
    }

    fn canonical_cached(
        &self,
        dir: &Path,
        links: &mut Vec<(PathBuf, PathBuf)>,
        hops: &mut usize,
    ) -> PathBuf {
        if let Ok(cache) = self.real.lock() {
            if let Some((real, found)) = cache.get(dir.as_os_str()) {
                links.extend(found.iter().cloned());
                return real.clone();
            }
        }
        let mut found = Vec::new();
        let real = self.canonical_inner(dir, &mut found, hops);
        links.extend(found.iter().cloned());
        if let Ok(mut cache) = self.real.lock() {
            cache.insert(dir.as_os_str().to_owned(), (real.clone(), found));
        }
        real
    }

    /// The nearest package.json at or above the directory of `file` (Node's package scope).
    pub(crate) fn boundary_package_json(&self, file: &Path) -> Option<PathBuf> {
        let dir = file.parent()?;
        self.nearest_pjson(dir)
    }

    fn nearest_pjson(&self, dir: &Path) -> Option<PathBuf> {
        if let Ok(cache) = self.pjson.lock() {
            if let Some(hit) = cache.get(dir.as_os_str()) {
                return hit.clone();
            }
        }
        let candidate = dir.join("package.json");
        let found = if candidate.is_file() {
            Some(candidate)
        } else {
            dir.parent().and_then(|p| self.nearest_pjson(p))
        };
        if let Ok(mut cache) = self.pjson.lock() {
            cache.insert(dir.as_os_str().to_owned(), found.clone());
        }
        found
    }

    /// `"type": "module"` in this package.json (an unreadable one counts as CommonJS, as in Node).
    pub(crate) fn package_type_is_module(&self, pjson: &Path) -> bool {
        self.package_type(pjson) == Some(true)
    }

    /// The `"type"` of this package.json: `Some(true)` for `"module"`, `Some(false)` for any
    /// other value, `None` when it has none (or cannot be read), where Node detects the syntax.
    pub(crate) fn package_type(&self, pjson: &Path) -> Option<bool> {
        if let Ok(cache) = self.types.lock() {
            if let Some(hit) = cache.get(pjson.as_os_str()) {
                return *hit;
            }
        }
        let declared = std::fs::read(pjson)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v.get("type").map(|t| t.as_str() == Some("module")));
        if let Ok(mut cache) = self.types.lock() {
            cache.insert(pjson.as_os_str().to_owned(), declared);
        }
        declared
    }
}

/// The extension in lower case (`""` when none). `.d.ts` counts as `ts`; callers that care use
/// `is_parseable`.
pub(crate) fn ext(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Files whose edges we collect.
pub(crate) fn is_parseable(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".d.ts") || name.ends_with(".d.mts") || name.ends_with(".d.cts") {
        return false;
    }
    matches!(
        ext(path).as_str(),
        "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx"
    )
}

/// Whether a path reached by a module-ish edge is loaded as a module (vs. read as an asset).
/// `new URL('./x', import.meta.url)`: `.js/.mjs/.cjs/.node` or no extension is a module.
pub(crate) fn is_module_path(path: &Path, kind: EdgeKind) -> bool {
    let e = ext(path);
    match kind {
        EdgeKind::UrlRef => matches!(e.as_str(), "" | "js" | "mjs" | "cjs" | "node"),
        EdgeKind::Asset => false,
        _ => matches!(
            e.as_str(),
            "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" | "json" | "node"
        ),
    }
}

/// For a path found under `node_modules`, the package directory (`…/node_modules/@s/pkg`).
pub(crate) fn package_dir_in_node_modules(found: &Path) -> Option<PathBuf> {
    let comps: Vec<Component> = found.components().collect();
    let idx = comps
        .iter()
        .rposition(|c| c.as_os_str() == "node_modules")?;
    let first = comps.get(idx + 1)?;
    let mut end = idx + 2;
    if first
        .as_os_str()
        .to_str()
        .is_some_and(|s| s.starts_with('@'))
    {
        end += 1;
    }
    if end > comps.len() {
        return None;
    }
    Some(comps[..end].iter().collect())
}

/// The package directory of a real file: its nearest package.json's directory.
fn package_root(file: &Path) -> Option<PathBuf> {
    let mut dir = file.parent()?;
    loop {
        if dir.join("package.json").is_file() {
            return Some(dir.to_path_buf());
        }
        dir = dir.parent()?;
    }
}

/// Walk `dir` (no link following, nested `node_modules` skipped), calling `keep` on each file.
fn walk_files(dir: &Path, mut keep: impl FnMut(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    for entry in walker
        // Nested packages are their own closure; VCS data and Next's build output are never
        // what a runtime path pattern means (and would be huge).
        .filter_entry(|e| {
            e.depth() == 0
                || !(e.file_type().is_dir()
                    && matches!(
                        e.file_name().to_str(),
                        Some("node_modules" | ".git" | ".next")
                    ))
        })
        .flatten()
    {
        if out.len() >= MAX_WALK {
            break;
        }
        let ft = entry.file_type();
        // Symlinked files are kept: the caller canonicalizes them (and records the link).
        if (ft.is_file() || ft.is_symlink()) && keep(entry.path()) {
            out.push(entry.path().to_path_buf());
        }
    }
    out
}

/// The shared libraries a `.node` addon may load: `**/*.so*` of its package (nft's
/// `sharedlib-emit`, Linux flavour: the image is Linux), nested `node_modules` excluded.
pub(crate) fn shared_libs(addon: &Path, _fsx: &Fsx) -> Vec<PathBuf> {
    let Some(root) = package_root(addon) else {
        return Vec::new();
    };
    walk_files(&root, |p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.ends_with(".so") || name.contains(".so.") || name.ends_with(".dylib")
    })
}

/// Every `.node` file of the package that contains `dir` (for `bindings` / `node-gyp-build`).
pub(crate) fn native_files(dir: &Path) -> Vec<PathBuf> {
    let root = package_root(&dir.join("x")).unwrap_or_else(|| dir.to_path_buf());
    walk_files(&root, |p| ext(p) == "node")
}

/// Files of an asset directory read by `from` (e.g. `readdirSync(join(__dirname, 'dir'))`), with
/// nft's guards: never the module's own directory or one above it, never a `node_modules`
/// directory, and inside `node_modules` never outside the module's package. Sources and docs are
/// skipped as nft does (`.h/.c/.cpp/.cmake`, README, CHANGELOG).
pub(crate) fn asset_dir_files(from: &Path, dir: &Path) -> Option<Vec<PathBuf>> {
    let own = from.parent()?;
    if own.starts_with(dir) || dir.file_name().is_some_and(|n| n == "node_modules") {
        return None;
    }
    if let Some(pkg) = package_dir_in_node_modules(from) {
        if !dir.starts_with(&pkg) {
            return None;
        }
    }
    Some(walk_files(dir, |p| {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let e = ext(p);
        !(matches!(e.as_str(), "h" | "c" | "cpp" | "cmake")
            || name.starts_with("readme")
            || name.starts_with("changelog"))
    }))
}

/// The nearest `tsconfig.json`/`jsconfig.json` above a first-party file, when it declares
/// `paths` (a text check: tsconfig is JSON with comments). Used to explain an unresolvable alias.
pub(crate) fn tsconfig_with_paths(file: &Path) -> Option<PathBuf> {
    if package_dir_in_node_modules(file).is_some() {
        return None;
    }
    let mut dir = file.parent();
    while let Some(d) = dir {
        for name in ["tsconfig.json", "jsconfig.json"] {
            let candidate = d.join(name);
            if let Ok(text) = std::fs::read_to_string(&candidate) {
                return text.contains("\"paths\"").then_some(candidate);
            }
        }
        dir = d.parent();
    }
    None
}

/// `.pnp.cjs` in an ancestor: a Yarn Plug'n'Play install, which has no `node_modules`.
pub(crate) fn yarn_pnp_manifest(file: &Path) -> Option<PathBuf> {
    file.ancestors()
        .skip(1)
        .map(|d| d.join(".pnp.cjs"))
        .find(|p| p.is_file())
}

/// The object format of a native addon when it is not ELF (what a Linux image needs).
/// Empty or unreadable files are not judged.
pub(crate) fn foreign_binary(addon: &Path) -> Option<&'static str> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let mut f = std::fs::File::open(addon).ok()?;
    f.read_exact(&mut magic).ok()?;
    match magic {
        [0x7f, b'E', b'L', b'F'] => None,
        [0xcf, 0xfa, 0xed, 0xfe] | [0xce, 0xfa, 0xed, 0xfe] | [0xca, 0xfe, 0xba, 0xbe] => {
            Some("Mach-O (macOS)")
        }
        [b'M', b'Z', ..] => Some("PE (Windows)"),
        _ => None,
    }
}

/// A file read by a module inside `node_modules` must be inside the module's package (nft).
pub(crate) fn asset_allowed(from: &Path, asset: &Path) -> bool {
    match package_dir_in_node_modules(from) {
        Some(pkg) => asset.starts_with(pkg),
        None => true,
    }
}

/// Files matching a glob of a partially static specifier or path. Returns the matches (sorted)
/// and, when nothing could be walked, why.
pub(crate) fn glob(from: &Path, glob: &Glob, kind: EdgeKind) -> (Vec<PathBuf>, Option<String>) {
    let root = glob.walk_root();
    let Some(own) = from.parent() else {
        return (Vec::new(), None);
    };
    // A walk must stay inside the module's package (or its directory when it has none): a
    // pattern like `'/' + x` would otherwise walk the whole disk.
    let limit = package_root(from).unwrap_or_else(|| own.to_path_buf());
    if !root.starts_with(&limit) {
        return (
            Vec::new(),
            Some(format!(
                "not expanded: the pattern's directory {} is outside the package {}",
                root.display(),
                limit.display()
            )),
        );
    }
    if !root.is_dir() {
        return (
            Vec::new(),
            Some(format!("no such directory: {}", root.display())),
        );
    }
    let modules = !matches!(kind, EdgeKind::Asset);
    let matches = walk_files(&root, |p| {
        if p == from {
            return false;
        }
        if modules {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".d.ts") || name.ends_with(".map") {
                return false;
            }
        }
        glob.matches(p, modules)
    });
    (matches, None)
}
