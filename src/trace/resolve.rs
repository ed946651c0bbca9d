//! Node resolution with `oxc_resolver`, per request kind, with the catch-all rule of
//! `docs/tracing-rules.md` §4: resolve with and without `module-sync` and keep every target.

use std::path::{Path, PathBuf};

use oxc_resolver::{ResolveError, ResolveOptions, Resolver};

pub(crate) enum ResolveOutcome {
    /// `fs`, `node:fs`, …: nothing to copy.
    Builtin,
    /// Paths as found (not canonicalized: the caller records the links on the way), sorted.
    Found(Vec<PathBuf>),
    /// An ESM request that only CJS-style probing resolves: it fails at run time.
    EsmExtensionless {
        target: PathBuf,
        error: String,
    },
    NotFound(String),
}

pub(crate) struct Resolvers {
    esm: Resolver,
    esm_plain: Resolver,
    cjs: Resolver,
    cjs_plain: Resolver,
}

fn options(conditions: &[&str], esm: bool) -> ResolveOptions {
    let alias = |from: &str, to: &[&str]| {
        (
            from.to_string(),
            to.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    };
    ResolveOptions {
        // oxc_resolver starts with no condition at all: always set them.
        condition_names: conditions.iter().map(|s| s.to_string()).collect(),
        builtin_modules: true,
        // NODE_PATH of the build machine is not the image's: deterministic results only.
        node_path: false,
        // Paths are returned as found; `Fsx::canonical` makes them real and records each link on
        // the way (oxc's own realpath would hide the links a copy must recreate).
        symlinks: false,
        module_type: true,
        // Node's ESM loader does not probe extensions or directories for relative imports.
        fully_specified: esm,
        // A `.js` specifier may name a first-party `.ts` source (TS ESM convention). The real
        // `.js` wins when both exist, because that is what Node loads.
        extension_alias: vec![
            alias(".js", &[".js", ".ts", ".tsx"]),
            alias(".mjs", &[".mjs", ".mts"]),
            alias(".cjs", &[".cjs", ".cts"]),
        ],
        extensions: [".js", ".json", ".node", ".ts"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        // Conditions are then read only through a package's `exports`/`imports`, never for a
        // path (see `is_path`). Node's behaviour, and oxc's default; set here because
        // `resolve` relies on it.
        allow_package_exports_in_directory_resolve: false,
        ..ResolveOptions::default()
    }
}

impl Resolvers {
    pub(crate) fn new() -> Self {
        let esm = Resolver::new(options(&["node", "import", "module-sync", "default"], true));
        // Clones share the file-system and package.json cache.
        let esm_plain = esm.clone_with_options(options(&["node", "import", "default"], true));
        let cjs = esm.clone_with_options(options(
            &["node", "require", "module-sync", "default"],
            false,
        ));
        let cjs_plain = esm.clone_with_options(options(&["node", "require", "default"], false));
        Self {
            esm,
            esm_plain,
            cjs,
            cjs_plain,
        }
    }

    /// Forget cached file-system facts (shared by all four resolvers): a trace must see the tree
    /// as it is now, e.g. after files were copied into a standalone folder.
    pub(crate) fn clear_cache(&self) {
        self.esm.clear_cache();
    }

    /// Resolve `spec` from directory `dir` as an ESM (`import`) or CJS (`require`) request.
    pub(crate) fn resolve(&self, dir: &Path, spec: &str, esm: bool) -> ResolveOutcome {
        let (with_sync, plain) = if esm {
            (&self.esm, &self.esm_plain)
        } else {
            (&self.cjs, &self.cjs_plain)
        };
        let mut found = Vec::new();
        let mut first_error: Option<ResolveError> = None;
        // Any supported Node may run the image: with and without `module-sync`, keep both. The
        // two differ only where conditions are read, a package's `exports` or `imports`; a
        // path never reaches either, so one resolution answers for both (half the resolver's
        // work on a closure, most of whose edges are relative).
        let both = [with_sync, plain];
        let resolvers = if is_path(spec) { &both[..1] } else { &both[..] };
        for resolver in resolvers {
            match resolver.resolve(dir, spec) {
                Ok(r) => found.push(r.into_path_buf()),
                Err(ResolveError::Builtin { .. }) => return ResolveOutcome::Builtin,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if !found.is_empty() {
            found.sort();
            found.dedup();
            return ResolveOutcome::Found(found);
        }
        let error = first_error.map(|e| e.to_string()).unwrap_or_default();
        let error = error.lines().next().unwrap_or("").to_string();
        if esm {
            // Does CJS-style probing find it? Then it is the classic "works in a bundler, fails in
            // Node" extensionless ESM import.
            if let Ok(r) = self.cjs.resolve(dir, spec) {
                if needs_probing(spec) {
                    return ResolveOutcome::EsmExtensionless {
                        target: r.into_path_buf(),
                        error,
                    };
                }
                // Not a probing issue: the package only answers `require` conditions.
                return ResolveOutcome::NotFound(format!(
                    "{error} (only a require() finds {})",
                    r.path().display()
                ));
            }
        }
        ResolveOutcome::NotFound(error)
    }
}

/// Whether `spec` names a path rather than a package (bare) or `#imports` specifier, classified
/// as oxc_resolver's `require` classifies it (after turning a `file:` URL into its path): its
/// first path component is `.`, `..`, the root or a Windows prefix. A path is resolved through
/// files and directories (`main`, never `exports`: `allow_package_exports_in_directory_resolve`
/// is off), so it reads no conditions. `.hidden` is a package name, as for Node.
pub(crate) fn is_path(spec: &str) -> bool {
    use std::path::Component;
    spec.starts_with("file:")
        || matches!(
            Path::new(spec).components().next(),
            Some(
                Component::CurDir
                    | Component::ParentDir
                    | Component::RootDir
                    | Component::Prefix(_)
            )
        )
}

/// Whether CJS would find `spec` only by probing (extension, `/index`, directory): a relative or
/// absolute path, or a package subpath, whose last segment has no extension.
fn needs_probing(spec: &str) -> bool {
    let path_like = is_path(spec);
    let segments = spec.split('/').count();
    let package_segments = if spec.starts_with('@') { 2 } else { 1 };
    let subpath = !path_like && segments > package_segments;
    let last = spec.rsplit(['/', '\\']).next().unwrap_or("");
    (path_like || subpath) && (!last.contains('.') || last == "." || last == "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_package_and_imports_specifiers_read_conditions() {
        for spec in ["ms", "@scope/pkg/sub", "#internal", ".hidden", "node:fs"] {
            assert!(!is_path(spec), "{spec}");
        }
        for spec in [
            ".",
            "..",
            "./x",
            "../x/y.js",
            "/abs/x.js",
            "file:///abs/x.js",
        ] {
            assert!(is_path(spec), "{spec}");
        }
    }

    /// The shortcut for paths gives what the two resolutions gave: every path-like request into
    /// a package whose `exports` and `imports` have `module-sync` resolves alike with and
    /// without it, while the package request still keeps both targets.
    #[test]
    fn a_path_resolves_once_and_alike_under_both_condition_sets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = crate::platform::canonicalize(dir.path()).expect("canonical tempdir");
        let exports = r##"{"name":"ms","main":"./main.js","exports":{".":{"module-sync":"./sync.mjs","require":"./req.cjs"}},"imports":{"#i":{"module-sync":"./sync.mjs","default":"./req.cjs"}}}"##;
        for (rel, text) in [
            ("node_modules/ms/package.json", exports),
            ("node_modules/ms/main.js", ""),
            ("node_modules/ms/sync.mjs", ""),
            ("node_modules/ms/req.cjs", ""),
            ("node_modules/ms/lib/index.js", ""),
        ] {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        let resolvers = Resolvers::new();
        let pkg = root.join("node_modules/ms");
        let absolute = pkg.join("sync.mjs").display().to_string();
        let specs = [
            "./node_modules/ms",
            "./node_modules/ms/lib",
            "./node_modules/ms/sync.mjs",
            "../ms/req.cjs",
            absolute.as_str(),
        ];
        for esm in [false, true] {
            let (with_sync, plain) = if esm {
                (&resolvers.esm, &resolvers.esm_plain)
            } else {
                (&resolvers.cjs, &resolvers.cjs_plain)
            };
            for spec in specs {
                let base = if spec.starts_with("../") {
                    pkg.join("lib")
                } else {
                    root.clone()
                };
                let each = [with_sync, plain]
                    .map(|r| r.resolve(&base, spec).map(|r| r.into_path_buf()).ok());
                assert_eq!(each[0], each[1], "{spec} (esm: {esm})");
                let got = match resolvers.resolve(&base, spec, esm) {
                    ResolveOutcome::Found(paths) => Some(paths),
                    _ => None,
                };
                assert_eq!(got, each[0].clone().map(|p| vec![p]), "{spec} (esm: {esm})");
            }
        }
        // A package request still resolves under both sets and keeps both targets.
        match resolvers.resolve(&root, "ms", false) {
            ResolveOutcome::Found(paths) => {
                assert_eq!(paths, [pkg.join("req.cjs"), pkg.join("sync.mjs")]);
            }
            _ => panic!("ms did not resolve"),
        }
        match resolvers.resolve(&pkg.join("lib"), "#i", false) {
            ResolveOutcome::Found(paths) => {
                assert_eq!(paths, [pkg.join("req.cjs"), pkg.join("sync.mjs")]);
            }
            _ => panic!("#i did not resolve"),
        }
    }
}
