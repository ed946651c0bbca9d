//! Static analysis of `next.config.*`: which expressions name a cache handler, and what each
//! can evaluate to, branch by branch, with the condition under which each branch is taken.
//!
//! This crate is pure: an AST in, plain data out. No file system, no resolver, no parser in its
//! normal dependencies, so it builds for `wasm32-wasip1` (the SWC plugin) as well as natively.
//! The native side (`next_graft::config`) discovers and parses the file, resolves
//! `require.resolve` candidates and turns byte offsets into lines.
//!
//! Entry point: [`analyze`].
//!
//! # Forms evaluated
//! - exports: `module.exports =` (also `module.exports.x =`), `exports.default =` (transpiled),
//!   `export default`, `export { x as default }`, `export =`; through `const`/`let`/`var`,
//!   reassignment, destructuring (with defaults, also of `process.env`), spreads and
//!   `Object.assign`, member assignments (`config.cacheHandler = …`, `??=`, `||=`, `&&=`);
//! - wrappers: any call of an imported / required function (`withSentryConfig(config, …)`,
//!   `withBundleAnalyzer({…})(config)`, chains, `plugins.reduce((acc, p) => p(acc), config)`)
//!   follows the argument that carries the config; local helper functions are interpreted;
//! - function configs, sync or `async`, arrow or `function`, called with a symbolic `phase`:
//!   `if`/`switch`/`?:` on `PHASE_PRODUCTION_BUILD` / `PHASE_PRODUCTION_SERVER` (or the string
//!   constants) become phase conditions; development/export/test phases are pruned;
//! - paths: string literals, templates, `+`, `require.resolve(x[, { paths }])`,
//!   `createRequire(import.meta.url).resolve`, `path.join`/`resolve`/`dirname`/`basename`/
//!   `normalize` (also `path.posix`, named imports), `__dirname`, `__filename`, `process.cwd()`,
//!   `import.meta.{dirname,filename,url,resolve}`, `new URL(x, import.meta.url)` with
//!   `.pathname`/`.href`/`toString()`, `fileURLToPath`, `pathToFileURL`;
//! - conditions: `?:`, `&&`, `||`, `??`, `!`, `===`/`!==`/`==`/`!=`, `Boolean(x)`, `typeof`, `switch`, on
//!   `process.env.X` (set, defined, equal to a string) and the phase; anything else becomes an
//!   opaque condition quoted from the source. Every branch is kept with its condition.
//!
//! # Left out (each yields an `Unknown` candidate or a note, never an error)
//! - values imported from other local modules (`import { handler } from './cache.js'`): the
//!   crate has no file system by design; the native side could follow them later;
//! - loops, `try`/`catch` handlers, `break` nested inside a `switch` case's `if`, getters,
//!   classes, string methods (`.replace`, …), dynamic `import()`, `JSON.parse`;
//! - Windows paths (`path.win32`), `file://host/` URLs.
//!
//! Every evaluation is bounded (steps, depth, calls, alternatives, objects, condition size).

mod cond;
mod eval;
pub mod fix;
mod paths;
pub mod versions;

use serde::{Deserialize, Serialize};
use swc_core::ecma::ast::Program;

pub use cond::{Atom, Cond, PhaseKind};
pub use fix::{apply_ast, apply_text, decide_fixes, Fix, FixContext};
pub use paths::file_url_to_path;
pub use versions::{facts, Fact, Version};

/// How Next.js loads the config file, which decides which globals exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleKind {
    /// `next.config.js` without `"type":"module"`, `.cjs`, and `.ts` (Next transpiles it to
    /// CommonJS): `require`, `module.exports`, `__dirname` exist.
    Cjs,
    /// `next.config.mjs`, `.mts`, `.js` under `"type":"module"`: `import.meta` exists,
    /// `require`/`__dirname` do not.
    Esm,
}

/// What the evaluator needs to know about the file and the build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalContext {
    pub module_kind: ModuleKind,
    /// Absolute path of the config file (for `__filename`, `import.meta.url`); its directory is
    /// `__dirname` / `import.meta.dirname`.
    pub config_file: String,
    /// `process.cwd()` when `next build` runs: normally the project directory.
    pub cwd: String,
    /// The `BytePos` of the first byte of the source in the `SourceMap` that parsed `program`
    /// (`SourceFile::start_pos`); spans are reported relative to it.
    pub span_base: u32,
    /// The source text, when available: used only to quote unevaluated conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl EvalContext {
    pub fn new(
        module_kind: ModuleKind,
        config_file: impl Into<String>,
        cwd: impl Into<String>,
    ) -> Self {
        Self {
            module_kind,
            config_file: config_file.into(),
            cwd: cwd.into(),
            span_base: 0,
            source: None,
        }
    }

    /// The directory of the config file (`__dirname`).
    pub fn config_dir(&self) -> String {
        paths::dirname(&self.config_file)
    }
}

/// Byte offsets into the source text (`hi` exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SpanInfo {
    pub lo: u32,
    pub hi: u32,
}

impl SpanInfo {
    /// 1-based line and column (in characters) of `lo` in `source`.
    pub fn line_col(&self, source: &str) -> (u32, u32) {
        let lo = (self.lo as usize).min(source.len());
        let mut lo = lo;
        while lo > 0 && !source.is_char_boundary(lo) {
            lo -= 1;
        }
        let before = &source[..lo];
        let line = before.matches('\n').count() as u32 + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = source[line_start..lo].chars().count() as u32 + 1;
        (line, col)
    }

    /// The full source line containing `lo`, without its line break.
    pub fn source_line<'s>(&self, source: &'s str) -> &'s str {
        let mut lo = (self.lo as usize).min(source.len());
        while lo > 0 && !source.is_char_boundary(lo) {
            lo -= 1;
        }
        let start = source[..lo].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let end = source[lo..]
            .find('\n')
            .map(|i| lo + i)
            .unwrap_or(source.len());
        source[start..end].trim_end_matches('\r')
    }

    /// The source text of the span, if it is in range.
    pub fn text<'s>(&self, source: &'s str) -> Option<&'s str> {
        source.get(self.lo as usize..self.hi as usize)
    }
}

/// A config key that names a handler module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "key", rename_all = "kebab-case")]
pub enum HandlerKey {
    /// `cacheHandler` (14.1+): the ISR / incremental cache class.
    CacheHandler,
    /// `experimental.incrementalCacheHandlerPath` (13.4–14.0; ignored from 14.1).
    LegacyIncrementalCacheHandlerPath,
    /// `cacheHandlers.<kind>` (16+) or `experimental.cacheHandlers.<kind>` (15.x).
    CacheHandlers { kind: String, experimental: bool },
}

impl HandlerKey {
    /// The key as written in next.config and in the serialized config, e.g.
    /// `experimental.cacheHandlers.default`.
    pub fn display(&self) -> String {
        match self {
            HandlerKey::CacheHandler => "cacheHandler".into(),
            HandlerKey::LegacyIncrementalCacheHandlerPath => {
                "experimental.incrementalCacheHandlerPath".into()
            }
            HandlerKey::CacheHandlers {
                kind,
                experimental: false,
            } => format!("cacheHandlers.{kind}"),
            HandlerKey::CacheHandlers {
                kind,
                experimental: true,
            } => format!("experimental.cacheHandlers.{kind}"),
        }
    }

    /// The environment variable Next (15.0+) uses as the default of this key, if any.
    pub fn env_default_var(&self) -> Option<&'static str> {
        match self {
            HandlerKey::CacheHandler => Some("NEXT_CACHE_HANDLER_PATH"),
            HandlerKey::CacheHandlers { kind, .. } => match kind.as_str() {
                "default" => Some("NEXT_DEFAULT_CACHE_HANDLER_PATH"),
                "remote" => Some("NEXT_REMOTE_CACHE_HANDLER_PATH"),
                "static" => Some("NEXT_STATIC_CACHE_HANDLER_PATH"),
                _ => None,
            },
            HandlerKey::LegacyIncrementalCacheHandlerPath => None,
        }
    }
}

impl std::fmt::Display for HandlerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// What one branch of a handler expression evaluates to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum CandidateValue {
    /// An absolute file path (`path.join(__dirname, …)`, `process.cwd()`-based, a literal).
    Absolute { path: String },
    /// A plain relative string such as `'./cache-handler.js'`: the build resolves it against
    /// `process.cwd()`, `next start` against `.next/`.
    PlainRelative { path: String },
    /// `require.resolve(specifier)` (or `createRequire(…).resolve`), resolved from `from_dir`.
    RequireResolve { specifier: String, from_dir: String },
    /// `import.meta.resolve(specifier)`: a `file://` URL unless wrapped in `fileURLToPath`
    /// (`file_url: false`).
    ImportMetaResolve {
        specifier: String,
        from_dir: String,
        file_url: bool,
    },
    /// A `file://` URL string or `URL` object (`new URL('./x.mjs', import.meta.url)`).
    FileUrl { url: String },
    /// The value of an environment variable at build time (`cacheHandler: process.env.X`).
    EnvValue { var: String },
    /// The key is left unset on this branch, so Next (15.0+) takes its default from `var`.
    EnvDefault { var: String },
    /// The key is unset (or `undefined`/`null`/`false`) on this branch and has no default.
    Unset,
    /// Not statically evaluable.
    Unknown { reason: String, span: SpanInfo },
}

impl CandidateValue {
    /// A short human rendering, e.g. `require.resolve('./h.js')`.
    pub fn describe(&self) -> String {
        match self {
            CandidateValue::Absolute { path } => format!("absolute path {path}"),
            CandidateValue::PlainRelative { path } => format!("relative path '{path}'"),
            CandidateValue::RequireResolve { specifier, .. } => {
                format!("require.resolve('{specifier}')")
            }
            CandidateValue::ImportMetaResolve {
                specifier,
                file_url: true,
                ..
            } => {
                format!("import.meta.resolve('{specifier}') (a file:// URL)")
            }
            CandidateValue::ImportMetaResolve {
                specifier,
                file_url: false,
                ..
            } => {
                format!("fileURLToPath(import.meta.resolve('{specifier}'))")
            }
            CandidateValue::FileUrl { url } => format!("file URL {url}"),
            CandidateValue::EnvValue { var } => format!("the value of {var} at build time"),
            CandidateValue::EnvDefault { var } => {
                format!("unset: Next's default from {var} (15.0+)")
            }
            CandidateValue::Unset => "unset".into(),
            CandidateValue::Unknown { reason, .. } => format!("unknown ({reason})"),
        }
    }

    /// True when this branch names a handler module (or may: env values, unknowns).
    pub fn names_handler(&self) -> bool {
        !matches!(
            self,
            CandidateValue::Unset | CandidateValue::EnvDefault { .. }
        )
    }
}

/// A condition in two forms: text for people, and the expression for machines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub text: String,
    pub expr: Cond,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub value: CandidateValue,
    /// `None`: the value is taken unconditionally.
    pub condition: Option<Condition>,
    /// The expression that produced the value, when it is a single place in the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<SpanInfo>,
}

/// The syntactic form of a handler expression (for `explain` and `fix-config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    StringLiteral,
    Template,
    Concat,
    RequireResolve,
    ImportMetaResolve,
    PathCall,
    NewUrl,
    FileUrlToPath,
    Conditional,
    Env,
    Identifier,
    Member,
    Call,
    Other,
}

/// One expression in the config that names a handler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlerRef {
    pub key: HandlerKey,
    /// The property (`key: value`) in the source.
    pub span: SpanInfo,
    /// The value expression.
    pub value_span: SpanInfo,
    pub candidates: Vec<Candidate>,
    pub form: Form,
}

/// How the config is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportForm {
    ModuleExports,
    ExportDefault,
    /// `exports.default = …` (transpiled output).
    ExportsDefault,
    /// No export found: Next runs with an empty config.
    None,
}

/// The result of [`analyze`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    pub refs: Vec<HandlerRef>,
    pub export_form: ExportForm,
    /// The export is a function `(phase, { defaultConfig }) => config`.
    pub function_config: bool,
    /// Wrapper calls the evaluator followed to reach the config object (`withSentryConfig`).
    pub wrappers: Vec<String>,
    /// The exported value (or part of it) could not be evaluated to an object: handler keys
    /// may exist that the analysis does not see.
    pub unknown_export: Option<SpanInfo>,
    /// Spreads or `Object.assign` sources that could not be evaluated: they may set handler
    /// keys too.
    pub unknown_spreads: Vec<SpanInfo>,
    /// Anything else worth telling a person (statements skipped, budgets hit).
    pub notes: Vec<String>,
}

/// Analyze a parsed config file. Never fails: what cannot be evaluated becomes an `Unknown`
/// candidate or a note.
pub fn analyze(program: &Program, ctx: &EvalContext) -> Analysis {
    eval::analyze(program, ctx)
}
