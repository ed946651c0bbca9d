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
        // Any supported Node may run the image: with and without `module-sync`, keep both.
        for resolver in [with_sync, plain] {
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

/// Whether CJS would find `spec` only by probing (extension, `/index`, directory): a relative or
/// absolute path, or a package subpath, whose last segment has no extension.
fn needs_probing(spec: &str) -> bool {
    let path_like =
        spec.starts_with('.') || spec.starts_with('/') || std::path::Path::new(spec).is_absolute();
    let segments = spec.split('/').count();
    let package_segments = if spec.starts_with('@') { 2 } else { 1 };
    let subpath = !path_like && segments > package_segments;
    let last = spec.rsplit(['/', '\\']).next().unwrap_or("");
    (path_like || subpath) && (!last.contains('.') || last == "." || last == "..")
}
