//! `trace`: the dependency closure of handler modules (see `docs/tracing-rules.md`).
//!
//! SWC collects the edges of each file on its original (pre-strip) AST (`edges.rs`), a small
//! bounded evaluator turns arguments into specifiers, paths or globs (`eval.rs`), and
//! `oxc_resolver` resolves them with Node's conditions (`resolve.rs`). Symlinks passed through
//! are recorded (`fsx.rs`) so that a copy can recreate them. Problems are data, never panics.
//!
//! Edges: static `import`/`export … from` (not `import type`/`export type`), `import()`,
//! `import.meta.resolve`, `module.register`, the free `require`/`module.require`/
//! `require.resolve` (with literal `paths`), `createRequire(import.meta.url | __filename | path)`
//! functions, `import x = require()`, `new URL('./x', import.meta.url)` (module or asset by
//! extension), `new Worker(file)`, `fs.*`/fs-extra reads (assets; a directory gives its files),
//! `bindings`/`node-gyp-build` (the package's `.node` files), partially static strings (globs),
//! every arm of conditionals. Fully dynamic edges are `Dynamic` problems with file:line:col.
//!
//! Conditions come from the request (import vs require), never from the importing file; each
//! request is resolved with and without `module-sync` and both targets are kept (catch-all).
//! Deliberately not copied: the legacy `main`/file fallbacks nft adds next to `exports` (no
//! supported Node reads them), `browser` fields, `.d.ts`/`.map` glob matches.

mod edges;
mod eval;
mod fsx;
mod parse_cache;
mod resolve;
pub mod store;

pub use parse_cache::{known_text, remember, same_known_bytes, KnownText};

/// The SWC syntaxes the tracer parses `path` with, tried in order; `None` for a file it does not
/// parse (not JavaScript or TypeScript, or a declaration file). For the benchmark's parse floor
/// (`bench/parse_floor.rs`), which must parse exactly as the tracer does.
pub fn parse_syntaxes(path: &Path) -> Option<Vec<swc_core::ecma::parser::Syntax>> {
    fsx::is_parseable(path).then(|| edges::syntaxes(path))
}

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use edges::{Edge, EdgeKind, Target};
use fsx::Fsx;
use resolve::{ResolveOutcome, Resolvers};

/// How to trace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceOptions {
    /// When set, resolution results outside this directory are NOT followed: they become
    /// `EdgeProblemKind::OutsideBoundary` problems (with `target`). Used to trace "inside the
    /// deployable tree without ever leaving it" (the standalone folder as if moved to /app).
    /// Compared by path component, not string prefix.
    pub boundary: Option<PathBuf>,
    /// The runtime working directory (`process.cwd()`), when known. Only used to evaluate
    /// `process.cwd()` in asset paths; `None` leaves such paths unevaluated.
    pub cwd: Option<PathBuf>,
}

/// Why a file is part of the closure. Ordered from weakest to strongest: a file reached for
/// several reasons keeps the strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// A `package.json` read by resolution or needed for the module kind.
    PackageJson,
    /// A shared library next to a `.node` addon (`**/*.so*` of its package).
    SharedLib,
    /// A file read at run time (`fs.*`, `new URL('./x.txt', import.meta.url)`).
    Asset,
    /// Matched by a partially static specifier (`require('./locales/' + x)`).
    Glob,
    /// Loaded by `import`/`require` (or an equivalent) from another file of the closure.
    Dependency,
    /// One of the traced entries.
    Entry,
}

/// One file of the closure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    pub reason: Reason,
    /// The files that caused this one to be included (importers), sorted. Empty for entries.
    pub parents: Vec<PathBuf>,
}

/// What went wrong (or deserves a note) on one edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeProblemKind {
    /// The specifier resolves to nothing (the resolver's error is in `detail`).
    Unresolvable,
    /// The specifier is not statically known (`require(name)`); nothing was traced for it.
    Dynamic,
    /// It resolved outside `TraceOptions::boundary` (`target`); not followed.
    OutsideBoundary,
    /// An ESM import of a relative path without extension (or a directory): Node's ESM loader
    /// does not probe, so it fails at run time. `target` is what CJS probing would find.
    EsmExtensionless,
    /// The file does not parse (line/column of the first error).
    ParseError,
    /// An entry does not exist or is not a file.
    EntryMissing,
    /// Info: a partially static specifier was traced as a glob (`specifier` is the pattern,
    /// `detail` says how many files matched).
    Glob,
    /// Warning: a `.js` file whose package has no `"type": "module"` contains ESM syntax.
    /// Node >= 22.7 / 20.19 detects and loads it as ESM; older versions fail.
    TypelessEsm,
    /// Warning: a `.node` addon that is not a Linux (ELF) binary: built on macOS/Windows, it will
    /// not load in a Linux container image. `target` is the addon.
    ForeignNative,
    /// An ESM import of a `.json` file without `with { type: 'json' }`: Node refuses it
    /// (`ERR_IMPORT_ATTRIBUTE_MISSING`). `target` is the JSON file.
    JsonWithoutType,
    /// Info: a `./x.js` specifier was resolved to the TypeScript source `./x.ts` (the TS ESM
    /// convention). The file is traced, but Node's own type stripping does not map `.js` to
    /// `.ts`: run natively, this import fails unless the handler is compiled. `target` is the
    /// `.ts` file.
    TsSourceAlias,
    /// A relative specifier that names no TypeScript extension (`./dep`, `./dir`) resolved to a
    /// `.ts`/`.mts`/`.cts`/`.tsx` file only by probing extensions (or `index` files): no Node
    /// does that for TypeScript, with or without type stripping. `target` is the file.
    TsExtensionProbed,
}

/// One problem, located in the importing file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EdgeProblem {
    pub kind: EdgeProblemKind,
    /// The importing file.
    pub from: PathBuf,
    /// 1-based line of the specifier/call in `from` (0 when not applicable, e.g. entries).
    pub line: u32,
    /// 1-based column (in characters) of the specifier/call in `from`.
    pub column: u32,
    /// As written (`"<dynamic>"` when not static; the glob pattern for globs).
    pub specifier: String,
    /// One line: the resolver's error, or why it is dynamic.
    pub detail: String,
    /// For `OutsideBoundary` and `EsmExtensionless`: where it resolved.
    pub target: Option<PathBuf>,
    /// The edge is inside a `try` block (or an `import().catch()`): the code probably handles
    /// the failure (optional dependency), so this is likely not fatal at run time.
    pub optional: bool,
}

/// The result of a trace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Closure {
    /// Real files needed at run time (absolute paths, sorted), with why each is included.
    pub files: BTreeMap<PathBuf, FileInfo>,
    /// Symlinks passed through: link path (absolute, as found) -> target exactly as
    /// `read_link` gives it.
    pub links: BTreeMap<PathBuf, PathBuf>,
    /// Deduplicated, sorted by file, line, column.
    pub problems: Vec<EdgeProblem>,
}

/// Traces closures. Holds the resolvers (their caches live as long as the tracer).
pub struct Tracer {
    options: TraceOptions,
    /// The boundary with symlinks resolved, so that it compares with real paths.
    boundary: Option<PathBuf>,
    resolvers: Resolvers,
}

/// How a module was reached, for the package.json files it implies and its reason.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    /// A package (or `#import`) specifier: the package root's package.json was read.
    Bare,
    /// A relative/absolute specifier or a file path.
    Path,
    /// A match of a partially static specifier.
    Glob,
}

/// A file to add, found while processing one file (in parallel); merged in order afterwards.
struct Add {
    path: PathBuf,
    reason: Reason,
    parent: Option<PathBuf>,
}

#[derive(Default)]
struct FileOutcome {
    adds: Vec<Add>,
    links: Vec<(PathBuf, PathBuf)>,
    problems: Vec<EdgeProblem>,
}

impl Tracer {
    pub fn new(options: TraceOptions) -> Self {
        let boundary = options.boundary.as_ref().map(|b| {
            crate::platform::canonicalize(b).unwrap_or_else(|_| crate::layout::normalize(b))
        });
        Self {
            options,
            boundary,
            resolvers: Resolvers::new(),
        }
    }

    /// Trace the closure of `entries` (absolute file paths). Never panics; problems are data.
    pub fn trace(&self, entries: &[PathBuf]) -> Closure {
        self.resolvers.clear_cache();
        let fsx = Fsx::default();
        let mut state = State::default();
        let mut queue: Vec<PathBuf> = Vec::new();

        let mut sorted_entries: Vec<&PathBuf> = entries.iter().collect();
        sorted_entries.sort();
        sorted_entries.dedup();
        for entry in sorted_entries {
            // Entries should be absolute; a relative one is taken from the current directory.
            let entry = crate::layout::normalize(
                &std::path::absolute(entry).unwrap_or_else(|_| entry.to_path_buf()),
            );
            if !entry.is_file() {
                state.problems.insert(EdgeProblem {
                    kind: EdgeProblemKind::EntryMissing,
                    from: entry.clone(),
                    line: 0,
                    column: 0,
                    specifier: entry.display().to_string(),
                    detail: if entry.exists() {
                        "not a file".into()
                    } else {
                        "no such file".into()
                    },
                    target: None,
                    optional: false,
                });
                continue;
            }
            let mut out = FileOutcome::default();
            let mut links = Vec::new();
            let real = fsx.canonical(&entry, &mut links);
            // Links are kept only for accepted paths: a link whose target leaves the boundary is
            // reported with its target, not handed out for copying.
            if self.inside(&real) {
                out.links = links;
                out.adds.push(Add {
                    path: real,
                    reason: Reason::Entry,
                    parent: None,
                });
            } else {
                out.problems.push(EdgeProblem {
                    kind: EdgeProblemKind::OutsideBoundary,
                    from: entry.clone(),
                    line: 0,
                    column: 0,
                    specifier: entry.display().to_string(),
                    detail: "the entry's real path is outside the boundary".into(),
                    target: Some(real),
                    optional: false,
                });
            }
            state.merge(out, &mut queue);
        }

        let work = Work {
            state,
            queue,
            parsed: FxHashSet::default(),
            active: 0,
        };
        run_workers(work, |file| self.process_file(file, &fsx)).finish()
    }

    fn inside(&self, real: &Path) -> bool {
        match &self.boundary {
            // Path::starts_with compares whole components: `/repo-b` is not inside `/repo`.
            Some(b) => real.starts_with(b),
            None => true,
        }
    }

    /// Parse one file, collect its edges and resolve them. Runs on worker threads.
    fn process_file(&self, file: &Path, fsx: &Fsx) -> FileOutcome {
        let mut out = FileOutcome::default();
        let ext = fsx::ext(file);
        // The module kind of .js/.ts comes from the nearest package.json: it is needed at run time.
        let boundary_pjson = fsx.boundary_package_json(file);
        let declared_esm = match ext.as_str() {
            "mjs" | "mts" => true,
            "cjs" | "cts" => false,
            _ => boundary_pjson
                .as_ref()
                .is_some_and(|p| fsx.package_type_is_module(p)),
        };
        if matches!(ext.as_str(), "js" | "ts" | "jsx" | "tsx") {
            if let Some(pj) = &boundary_pjson {
                self.add_checked(&mut out, pj.clone(), Reason::PackageJson, file, fsx);
            }
        }
        let parse_time = crate::timing::span(crate::timing::Phase::Parse);
        let ctx = edges::FileCtx {
            path: file,
            cwd: self.options.cwd.as_deref(),
        };
        // A copy this process wrote and nothing changed since: its text is known (see
        // `parse_cache`); only its edges' resolution inside the tree is new.
        let parsed = match parse_cache::trusted(&ctx) {
            Some(parsed) => parsed,
            None => match parse_cache::read_and_collect(&ctx) {
                Ok(parsed) => parsed,
                Err(e) => {
                    out.problems.push(problem(
                        EdgeProblemKind::ParseError,
                        file,
                        (0, 0),
                        "",
                        format!("cannot read: {e}"),
                    ));
                    return out;
                }
            },
        };
        drop(parse_time);
        let _t = crate::timing::span(crate::timing::Phase::Resolve);
        if let Some((line, col, msg)) = parsed.parse_error {
            out.problems.push(problem(
                EdgeProblemKind::ParseError,
                file,
                (line, col),
                "",
                msg,
            ));
        }
        if parsed.module_syntax
            && !declared_esm
            // Only `.js`: every Node that strips types (>= 22.18) also detects ESM syntax, so a
            // typeless `.ts` has no version-dependent behaviour.
            && ext == "js"
        {
            out.problems.push(problem(
                EdgeProblemKind::TypelessEsm,
                file,
                parsed.module_syntax_at,
                "",
                "ESM syntax in a file whose package.json has no \"type\": \"module\": Node >= 22.7 \
                 detects it, older Node fails"
                    .into(),
            ));
        }
        for edge in &parsed.edges {
            let before = out.problems.len();
            self.process_edge(&mut out, file, edge, fsx, boundary_pjson.as_deref());
            // Problems met while adding the edge's files (an asset outside the boundary, …)
            // point at the edge.
            for p in &mut out.problems[before..] {
                if p.line == 0 && p.from == file {
                    (p.line, p.column) = (edge.line, edge.column);
                }
                p.optional = edge.optional;
            }
        }
        out
    }

    fn process_edge(
        &self,
        out: &mut FileOutcome,
        file: &Path,
        edge: &Edge,
        fsx: &Fsx,
        importer_pjson: Option<&Path>,
    ) {
        let at = (edge.line, edge.column);
        match &edge.target {
            Target::Dynamic(detail) => {
                out.problems.push(problem(
                    EdgeProblemKind::Dynamic,
                    file,
                    at,
                    &edge.specifier,
                    detail.clone(),
                ));
            }
            Target::Spec(spec) => {
                let esm = matches!(edge.kind, EdgeKind::Import);
                match self.resolvers.resolve(&edge.base, spec, esm) {
                    ResolveOutcome::Builtin => {}
                    ResolveOutcome::Found(paths) => {
                        let bare = !resolve::is_path(spec);
                        let via = if bare { Via::Bare } else { Via::Path };
                        if spec.starts_with('#') {
                            // `imports` is read from the importer's own package.json.
                            if let Some(pj) = importer_pjson {
                                let pj = pj.to_path_buf();
                                self.add_checked(out, pj, Reason::PackageJson, file, fsx);
                            }
                        } else if !bare {
                            // `require('./dir')` with `dir/package.json#main`: that package.json
                            // is read at run time. Not when the request was found as a file
                            // (`./dir` or `./dir.js`): Node tries the directory only after those.
                            let requested = crate::layout::normalize(&edge.base.join(spec));
                            let loaded_as_file = !paths.is_empty()
                                && paths.iter().all(|p| found_as_file(&requested, p));
                            let dir_pjson = (!loaded_as_file)
                                .then(|| requested.join("package.json"))
                                .filter(|pj| fsx.is_file(pj));
                            if let Some(pj) = dir_pjson {
                                self.add_checked(out, pj, Reason::PackageJson, file, fsx);
                            }
                        }
                        for p in paths {
                            if !bare && is_ts_probed(spec, &p) {
                                out.problems.push(EdgeProblem {
                                    target: Some(p.clone()),
                                    ..problem(
                                        EdgeProblemKind::TsExtensionProbed,
                                        file,
                                        at,
                                        spec,
                                        "resolved to a TypeScript file by probing extensions; \
                                         Node loads a TypeScript file only when the specifier \
                                         names it with its extension"
                                            .into(),
                                    )
                                });
                            }
                            if !bare && is_ts_alias(spec, &p) {
                                out.problems.push(EdgeProblem {
                                    target: Some(p.clone()),
                                    ..problem(
                                        EdgeProblemKind::TsSourceAlias,
                                        file,
                                        at,
                                        spec,
                                        "resolved to the TypeScript source; Node's type stripping \
                                         loads only the file named, so this needs compiling"
                                            .into(),
                                    )
                                });
                            }
                            self.add_resolved(out, &p, file, edge, fsx, via, importer_pjson);
                        }
                    }
                    ResolveOutcome::EsmExtensionless { target, error } => {
                        out.problems.push(EdgeProblem {
                            target: Some(target),
                            ..problem(
                                EdgeProblemKind::EsmExtensionless,
                                file,
                                at,
                                spec,
                                format!("ESM imports must name the file (with extension); {error}"),
                            )
                        });
                    }
                    ResolveOutcome::NotFound(mut error) => {
                        if let Some(pnp) = fsx::yarn_pnp_manifest(file) {
                            error.push_str(&format!(
                                " (Yarn Plug'n'Play install, {}: not supported, use \
                                 `nodeLinker: node-modules`)",
                                pnp.display()
                            ));
                        } else if !resolve::is_path(spec) && !spec.starts_with('#') {
                            if let Some(ts) = fsx::tsconfig_with_paths(file) {
                                error.push_str(&format!(
                                    " ({} has `paths`: Node does not apply them at run time)",
                                    ts.display()
                                ));
                            }
                        }
                        out.problems.push(problem(
                            EdgeProblemKind::Unresolvable,
                            file,
                            at,
                            spec,
                            error,
                        ));
                    }
                }
            }
            Target::Path(p) => {
                let meta = std::fs::metadata(p);
                match edge.kind {
                    // `new URL('./dir/', import.meta.url)` names a directory: handled as assets.
                    EdgeKind::UrlRef if meta.as_ref().is_ok_and(|m| m.is_dir()) => {
                        if let Some(files) = fsx::asset_dir_files(file, p) {
                            for f in files {
                                self.add_checked(out, f, Reason::Asset, file, fsx);
                            }
                        }
                    }
                    EdgeKind::Import | EdgeKind::Require | EdgeKind::UrlRef
                        if fsx::is_module_path(p, edge.kind) =>
                    {
                        if meta.as_ref().is_ok_and(|m| m.is_file()) {
                            self.add_resolved(out, p, file, edge, fsx, Via::Path, importer_pjson);
                        } else if !matches!(edge.kind, EdgeKind::UrlRef) {
                            out.problems.push(problem(
                                EdgeProblemKind::Unresolvable,
                                file,
                                at,
                                &edge.specifier,
                                format!("no such file: {}", p.display()),
                            ));
                        }
                    }
                    // nft's guard: a package's own reads stay inside the package.
                    _ if !fsx::asset_allowed(file, p) => {}
                    _ => match meta {
                        Ok(m) if m.is_file() => {
                            self.add_checked(out, p.clone(), Reason::Asset, file, fsx);
                        }
                        Ok(m) if m.is_dir() => {
                            if let Some(files) = fsx::asset_dir_files(file, p) {
                                for f in files {
                                    self.add_checked(out, f, Reason::Asset, file, fsx);
                                }
                            }
                        }
                        // Optional files (`existsSync` probes) are fine to miss.
                        _ => {}
                    },
                }
            }
            Target::Glob(pattern) => {
                let (matches, note) = fsx::glob(file, pattern, edge.kind);
                let modules = !matches!(edge.kind, EdgeKind::Asset);
                let count = matches.len();
                for m in matches {
                    if modules && fsx::is_module_path(&m, edge.kind) {
                        self.add_resolved(out, &m, file, edge, fsx, Via::Glob, importer_pjson);
                    } else {
                        self.add_checked(out, m, Reason::Asset, file, fsx);
                    }
                }
                out.problems.push(problem(
                    EdgeProblemKind::Glob,
                    file,
                    at,
                    &pattern.display(),
                    note.unwrap_or_else(|| {
                        format!(
                            "partially static path: {} matched",
                            crate::report::counted(count, "file", "files")
                        )
                    }),
                ));
            }
            Target::NativeDir(dir) => {
                // `require('bindings')('x')`, `require('node-gyp-build')(__dirname)`: the addon is
                // picked at run time from the package, so take every `.node` of the package.
                for f in fsx::native_files(dir) {
                    self.add_resolved(out, &f, file, edge, fsx, Via::Path, importer_pjson);
                }
            }
        }
    }

    /// A module (or leaf) that resolution found at `found` (a path as found, maybe through links).
    #[allow(clippy::too_many_arguments)]
    fn add_resolved(
        &self,
        out: &mut FileOutcome,
        found: &Path,
        from: &Path,
        edge: &Edge,
        fsx: &Fsx,
        via: Via,
        importer_pjson: Option<&Path>,
    ) {
        let mut links = Vec::new();
        let real = fsx.canonical(found, &mut links);
        if !self.inside(&real) {
            out.problems.push(EdgeProblem {
                target: Some(real),
                ..problem(
                    EdgeProblemKind::OutsideBoundary,
                    from,
                    (edge.line, edge.column),
                    &edge.specifier,
                    "resolves outside the boundary".into(),
                )
            });
            return;
        }
        out.links.extend(links);
        if via == Via::Bare {
            // The package root whose `exports`/`main` was used, read at its real location.
            match fsx::package_dir_in_node_modules(found) {
                Some(dir) => {
                    // `add_checked` canonicalizes again (cached) and keeps the links.
                    let pj = dir.join("package.json");
                    if fsx.is_file(&pj) {
                        self.add_checked(out, pj, Reason::PackageJson, from, fsx);
                    }
                }
                // Self-reference or `#imports`: the importer's own package.json was read.
                None => {
                    if let Some(pj) = importer_pjson {
                        self.add_checked(out, pj.to_path_buf(), Reason::PackageJson, from, fsx);
                    }
                }
            }
        }
        let reason = match fsx::ext(&real).as_str() {
            "node" => {
                for lib in fsx::shared_libs(&real, fsx) {
                    self.add_checked(out, lib, Reason::SharedLib, &real, fsx);
                }
                if let Some(format) = fsx::foreign_binary(&real) {
                    out.problems.push(EdgeProblem {
                        target: Some(real.clone()),
                        ..problem(
                            EdgeProblemKind::ForeignNative,
                            from,
                            (edge.line, edge.column),
                            &edge.specifier,
                            format!("{format} binary: it does not load on Linux"),
                        )
                    });
                }
                Reason::Dependency
            }
            "json" if edge.kind == EdgeKind::Import && !edge.json_type && via != Via::Glob => {
                out.problems.push(EdgeProblem {
                    target: Some(real.clone()),
                    ..problem(
                        EdgeProblemKind::JsonWithoutType,
                        from,
                        (edge.line, edge.column),
                        &edge.specifier,
                        "Node imports JSON from ESM only with `with { type: 'json' }`".into(),
                    )
                });
                Reason::Dependency
            }
            _ if via == Via::Glob => Reason::Glob,
            _ => Reason::Dependency,
        };
        out.adds.push(Add {
            path: real,
            reason,
            parent: Some(from.to_path_buf()),
        });
    }

    /// A file that is not resolved through a specifier (asset, package.json, shared lib): still
    /// canonicalized (links recorded) and checked against the boundary.
    fn add_checked(
        &self,
        out: &mut FileOutcome,
        path: PathBuf,
        reason: Reason,
        from: &Path,
        fsx: &Fsx,
    ) {
        let mut links = Vec::new();
        let real = fsx.canonical(&path, &mut links);
        if !self.inside(&real) {
            // A package.json above the boundary is not a file the tree can have. It only matters
            // when it makes `.js` files ESM: once moved, they would load as CommonJS.
            let detail = match reason {
                Reason::PackageJson if fsx.package_type_is_module(&real) => {
                    "the package.json that makes this file ESM (\"type\": \"module\") is outside \
                     the boundary: once moved, the file loads as CommonJS"
                        .to_string()
                }
                Reason::PackageJson => return,
                _ => format!("{reason:?} outside the boundary").to_lowercase(),
            };
            out.problems.push(EdgeProblem {
                target: Some(real),
                ..problem(
                    EdgeProblemKind::OutsideBoundary,
                    from,
                    (0, 0),
                    &path.display().to_string(),
                    detail,
                )
            });
            return;
        }
        out.links.extend(links);
        out.adds.push(Add {
            path: real,
            reason,
            parent: Some(from.to_path_buf()),
        });
    }
}

fn problem(
    kind: EdgeProblemKind,
    from: &Path,
    at: (u32, u32),
    specifier: &str,
    detail: String,
) -> EdgeProblem {
    EdgeProblem {
        kind,
        from: from.to_path_buf(),
        line: at.0,
        column: at.1,
        specifier: specifier.to_string(),
        detail,
        target: None,
        optional: false,
    }
}

/// `./x.js` resolved to `x.ts` (or `.mjs` → `.mts`, `.cjs` → `.cts`) by extension aliasing.
fn is_ts_alias(spec: &str, resolved: &Path) -> bool {
    let written_js = [".js", ".mjs", ".cjs", ".jsx"]
        .iter()
        .any(|e| spec.ends_with(e));
    written_js && matches!(fsx::ext(resolved).as_str(), "ts" | "mts" | "cts" | "tsx")
}

/// Whether Node loads `file` as an ES module: `.mjs`/`.mts`; a `.js`/`.ts` file whose nearest
/// package.json says `"type": "module"`; or, when it says no `type`, a file with ESM syntax
/// (Node's syntax detection). For `check`'s question whether a `require()` can load a handler.
pub fn is_es_module(file: &Path) -> bool {
    match fsx::ext(file).as_str() {
        "mjs" | "mts" => return true,
        "cjs" | "cts" => return false,
        _ => {}
    }
    let fsx = Fsx::default();
    if let Some(declared) = fsx
        .boundary_package_json(file)
        .and_then(|pjson| fsx.package_type(&pjson))
    {
        return declared;
    }
    let ctx = edges::FileCtx {
        path: file,
        cwd: None,
    };
    // Through the parse cache: the handler was traced already, its text is parsed once.
    parse_cache::trusted(&ctx)
        .map(Ok)
        .unwrap_or_else(|| parse_cache::read_and_collect(&ctx))
        .is_ok_and(|parsed| parsed.module_syntax)
}

/// Whether `found`, a resolution of the path `requested`, is `requested` itself or `requested`
/// with an extension added, in the same directory: then the request was loaded as a file, and
/// no `requested/package.json` was read. A found path spelled otherwise (a real path through a
/// link) does not count: the directory's package.json is then looked for as before.
fn found_as_file(requested: &Path, found: &Path) -> bool {
    let (Some(name), Some(found_name)) = (requested.file_name(), found.file_name()) else {
        return false;
    };
    found.parent() == requested.parent()
        && (found_name == name
            || found_name
                .as_encoded_bytes()
                .strip_prefix(name.as_encoded_bytes())
                .is_some_and(|rest| rest.starts_with(b".")))
}

/// `./dep` or `./dir` resolved to a TypeScript file by probing: the specifier names neither
/// the file's extension nor a JavaScript one (`is_ts_alias`).
fn is_ts_probed(spec: &str, resolved: &Path) -> bool {
    let ext = fsx::ext(resolved);
    matches!(ext.as_str(), "ts" | "mts" | "cts" | "tsx")
        && !spec.ends_with(&format!(".{ext}"))
        && !is_ts_alias(spec, resolved)
}

#[derive(Default)]
struct State {
    /// Keyed by the path's bytes (`fsx::PathMap`): the closure's paths are real, normal paths.
    files: fsx::PathMap<(Reason, BTreeSet<PathBuf>)>,
    links: BTreeMap<PathBuf, PathBuf>,
    problems: BTreeSet<EdgeProblem>,
}

impl State {
    fn merge(&mut self, out: FileOutcome, queue: &mut Vec<PathBuf>) {
        self.links.extend(out.links);
        self.problems.extend(out.problems);
        for add in out.adds {
            let code = matches!(
                add.reason,
                Reason::Entry | Reason::Dependency | Reason::Glob
            ) && fsx::is_parseable(&add.path);
            let previous = self.files.get(add.path.as_os_str()).map(|slot| slot.0);
            let slot = self
                .files
                .entry(add.path.as_os_str().to_owned())
                .or_insert((add.reason, BTreeSet::new()));
            if add.reason > slot.0 {
                slot.0 = add.reason;
            }
            if let Some(p) = add.parent {
                if p != add.path {
                    slot.1.insert(p);
                }
            }
            // Parse when first seen as code, or when upgraded from asset to code.
            let first_as_code = match previous {
                None => true,
                Some(was) => was < Reason::Glob,
            };
            if code && first_as_code {
                queue.push(add.path);
            }
        }
    }

    fn finish(self) -> Closure {
        let files = self
            .files
            .into_iter()
            .map(|(path, (reason, parents))| {
                (
                    PathBuf::from(path),
                    FileInfo {
                        reason,
                        parents: parents.into_iter().collect(),
                    },
                )
            })
            .collect();
        // Deduplicated by the set; presented in source order (file, line, column), like a compiler.
        let mut problems: Vec<EdgeProblem> = self.problems.into_iter().collect();
        problems.sort_by(|a, b| {
            (&a.from, a.line, a.column, a.kind, &a.specifier)
                .cmp(&(&b.from, b.line, b.column, b.kind, &b.specifier))
                .then_with(|| a.cmp(b))
        });
        Closure {
            files,
            links: self.links,
            problems,
        }
    }
}

/// The shared state of a trace while workers run: the closure so far, the files waiting to be
/// analysed, those already taken, and how many are being analysed now.
struct Work {
    state: State,
    queue: Vec<PathBuf>,
    parsed: FxHashSet<std::ffi::OsString>,
    active: usize,
}

/// Analyse every queued file (and those they add) on a few worker threads. A worker takes the
/// next file, analyses it without the lock, and merges the outcome. The result does not depend
/// on the order: reasons only go up, parents/links/problems are sets, and a file is analysed once.
///
/// SWC's parser, our visitor and the AST's drop recurse per nesting level; generated code can
/// nest `a + a + …` or `x => x => …` tens of thousands deep, and a stack overflow aborts the
/// process. So workers reserve a large stack (address space, committed only when used). A file
/// whose analysis panics (a bug, never expected) becomes a problem instead of ending the trace.
fn run_workers(work: Work, analyse: impl Fn(&Path) -> FileOutcome + Sync) -> State {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::{Condvar, Mutex, PoisonError};
    const STACK: usize = 1024 * 1024 * 1024;
    const SMALL_STACK: usize = 64 * 1024 * 1024;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    let shared = Mutex::new(work);
    let wake = Condvar::new();
    let worker = || loop {
        let file = {
            let mut w = shared.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if let Some(f) = w.queue.pop() {
                    if w.parsed.insert(f.as_os_str().to_owned()) {
                        w.active += 1;
                        break Some(f);
                    }
                } else if w.active == 0 {
                    break None;
                } else {
                    w = wake.wait(w).unwrap_or_else(PoisonError::into_inner);
                }
            }
        };
        let Some(file) = file else {
            wake.notify_all();
            return;
        };
        let out =
            catch_unwind(AssertUnwindSafe(|| analyse(&file))).unwrap_or_else(|_| FileOutcome {
                problems: vec![problem(
                    EdgeProblemKind::ParseError,
                    &file,
                    (0, 0),
                    "",
                    "internal error while analysing this file".into(),
                )],
                ..FileOutcome::default()
            });
        let mut w = shared.lock().unwrap_or_else(PoisonError::into_inner);
        let Work { state, queue, .. } = &mut *w;
        // Never expected to panic; if it did, `active` must still come down or the others wait.
        let _ = catch_unwind(AssertUnwindSafe(|| state.merge(out, queue)));
        w.active -= 1;
        drop(w);
        wake.notify_all();
    };
    let started = std::thread::scope(|s| {
        let mut started = 0;
        for _ in 0..threads {
            // Where the big reservation is refused, try a smaller one.
            let spawned = [STACK, SMALL_STACK].into_iter().any(|size| {
                std::thread::Builder::new()
                    .stack_size(size)
                    .spawn_scoped(s, worker)
                    .is_ok()
            });
            if spawned {
                started += 1;
            }
        }
        started
    });
    if started == 0 {
        // No thread could start: do the work here.
        worker();
    }
    shared
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .state
}
