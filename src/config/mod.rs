//! `config`: what the user meant. Finds `next.config.*` the way the installed Next version does,
//! parses it with SWC (JavaScript or TypeScript, CommonJS or ES module), statically evaluates
//! every expression that names a cache handler (the pure evaluator lives in the
//! `next-graft-config` crate, shared with the SWC plugin), resolves `require.resolve` /
//! `import.meta.resolve` candidates to files, and places every reference at its line.
//!
//! Entry points: [`analyze_project`] (discovery + analysis), [`analyze_file`], and
//! [`findings::config_findings`] for the findings that need the config.

pub mod discovery;
pub mod explain;
pub mod findings;
pub mod use_cache;

use std::fs;
use std::path::{Path, PathBuf};

use crate::nesting::Refused;
use oxc_resolver::{ResolveError, ResolveOptions, Resolver};
use serde::Serialize;
use swc_core::common::{sync::Lrc, FileName, SourceMap, Spanned};
use swc_core::ecma::ast::Program;
use swc_core::ecma::parser::{EsSyntax, Syntax, TsSyntax};

pub use discovery::{discover, Discovery};
pub use next_graft_config::{
    Analysis, Atom, Candidate, CandidateValue, Cond, Condition, EvalContext, ExportForm, Form,
    HandlerKey, ModuleKind, PhaseKind, SpanInfo,
};

use crate::findings::Location;
use crate::versions::Version;
use crate::InputError;

/// Why the config could not be analyzed. The CLI exits 2 on any of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ConfigError {
    Io {
        file: PathBuf,
        message: String,
    },
    Syntax {
        file: PathBuf,
        line: u32,
        column: u32,
        message: String,
    },
    /// A config file name this Next version rejects (`next build` fails on it).
    Unsupported {
        file: PathBuf,
        message: String,
    },
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Io { file, message } => {
                write!(f, "{}: cannot read: {message}", file.display())
            }
            ConfigError::Syntax {
                file,
                line,
                column,
                message,
            } => {
                write!(
                    f,
                    "{}:{line}:{column}: syntax error: {message}",
                    file.display()
                )
            }
            ConfigError::Unsupported { file, message } => {
                write!(f, "{}: {message}", file.display())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<ConfigError> for InputError {
    fn from(e: ConfigError) -> Self {
        InputError::new(e.to_string())
    }
}

/// One branch of a handler reference, with the file it names when that is known statically.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigCandidate {
    pub value: CandidateValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// The absolute file this branch names, as the build would resolve it (a plain relative
    /// value against the build's cwd, `require.resolve` with Node's CommonJS rules, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<PathBuf>,
    /// Why `require.resolve` / `import.meta.resolve` failed: `next build` fails the same way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolve_error: Option<String>,
    /// Where the branch's value is written (for unknowns: the expression not evaluated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl ConfigCandidate {
    /// `require.resolve('./h.js') if REDIS_URL is set`.
    pub fn describe(&self) -> String {
        match &self.condition {
            Some(c) => format!("{} if {}", self.value.describe(), c.text),
            None => self.value.describe(),
        }
    }
}

/// One expression in next.config that names a handler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigRef {
    pub key: HandlerKey,
    /// `cacheHandler`, `cacheHandlers.default`, `experimental.cacheHandlers.remote`, …
    pub key_name: String,
    pub location: Location,
    /// The source line of `location`, for human output.
    pub source_line: String,
    pub span: SpanInfo,
    pub form: Form,
    pub candidates: Vec<ConfigCandidate>,
}

impl ConfigRef {
    /// The `--handler` kind: `isr` for the ISR keys, else the `cacheHandlers` key.
    pub fn kind(&self) -> &str {
        match &self.key {
            HandlerKey::CacheHandlers { kind, .. } => kind,
            _ => "isr",
        }
    }

    /// True when some branch is taken only under a condition.
    pub fn is_conditional(&self) -> bool {
        self.candidates.iter().any(|c| c.condition.is_some())
    }
}

/// The analysis of one config file.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigAnalysis {
    pub file: PathBuf,
    pub module_kind: ModuleKind,
    pub export_form: ExportForm,
    pub function_config: bool,
    pub wrappers: Vec<String>,
    pub refs: Vec<ConfigRef>,
    /// The export (or part of it) could not be evaluated: handler keys may be invisible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown_export: Option<Location>,
    /// Spreads / `Object.assign` sources not evaluated: they may set handler keys too.
    pub unknown_spreads: Vec<Location>,
    pub notes: Vec<String>,
    /// `process.cwd()` of the build (the project dir): base of plain relative values.
    pub project_dir: PathBuf,
    /// The absolute distDir that recorded handler values are relative to (`<project>/.next`
    /// unless the caller knows better: set it from the layout).
    pub dist_dir: PathBuf,
    #[serde(skip)]
    pub source: String,
}

impl ConfigAnalysis {
    /// The references for one key (several when branches write it in different places).
    pub fn refs_for<'a>(&'a self, key: &'a HandlerKey) -> impl Iterator<Item = &'a ConfigRef> + 'a {
        self.refs.iter().filter(move |r| &r.key == key)
    }

    /// Every candidate of every reference.
    pub fn candidates(&self) -> impl Iterator<Item = (&ConfigRef, &ConfigCandidate)> {
        self.refs
            .iter()
            .flat_map(|r| r.candidates.iter().map(move |c| (r, c)))
    }

    /// `file:line:col` and the source line of a span.
    pub fn locate(&self, span: SpanInfo) -> (Location, String) {
        let (line, col) = span.line_col(&self.source);
        (
            Location::at(&self.file, line, col),
            span.source_line(&self.source).to_string(),
        )
    }
}

/// Discover the config file for `next_version` and analyze it. `Ok(None)` when Next would run
/// without a config file (none exists, or a lone `.cjs` that old versions ignore: see
/// [`discover`] for which).
pub fn analyze_project(
    project_dir: &Path,
    next_version: Option<Version>,
) -> Result<Option<ConfigAnalysis>, ConfigError> {
    match discover(project_dir, next_version) {
        Discovery::Found { file } => analyze_file(&file, project_dir).map(Some),
        Discovery::Unsupported { file, message } => Err(ConfigError::Unsupported { file, message }),
        Discovery::Ignored { .. } | Discovery::None => Ok(None),
    }
}

/// Analyze one config file; `cwd` is `process.cwd()` of `next build` (the project dir).
pub fn analyze_file(file: &Path, cwd: &Path) -> Result<ConfigAnalysis, ConfigError> {
    let source = fs::read_to_string(file).map_err(|e| ConfigError::Io {
        file: file.to_path_buf(),
        message: e.to_string(),
    })?;
    analyze_source(file, &source, cwd)
}

fn is_ts(file: &Path) -> bool {
    matches!(
        file.extension().and_then(|e| e.to_str()),
        Some("ts" | "mts" | "cts" | "tsx")
    )
}

/// Parse a config file with SWC. Errors carry the file, line and column.
/// Parses a config with SWC, on a worker thread with a deadline ([`crate::nesting::within`]): a
/// parse that does not finish is an error naming the file (exit 2), never a hung `postbuild`.
pub fn parse(file: &Path, source: &str) -> Result<(Program, u32), ConfigError> {
    let deadline = crate::nesting::PARSE_DEADLINE;
    let (owned_file, owned_source) = (file.to_path_buf(), source.to_string());
    crate::nesting::within(deadline, move || parse_now(&owned_file, &owned_source)).unwrap_or_else(
        || {
            Err(ConfigError::Syntax {
                file: file.to_path_buf(),
                line: 1,
                column: 1,
                message: format!(
                    "the parser did not finish within {} s: not analysed",
                    deadline.as_secs()
                ),
            })
        },
    )
}

fn parse_now(file: &Path, source: &str) -> Result<(Program, u32), ConfigError> {
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(
        FileName::Real(file.to_path_buf()).into(),
        source.to_string(),
    );
    let ts = is_ts(file);
    let syntax = if ts {
        Syntax::Typescript(TsSyntax {
            tsx: file.extension().is_some_and(|e| e == "tsx"),
            ..Default::default()
        })
    } else {
        Syntax::Es(EsSyntax {
            jsx: file.extension().is_some_and(|e| e == "jsx"),
            ..Default::default()
        })
    };
    let base = fm.start_pos.0;
    let syntax_error = |at: SpanInfo, message: String| {
        let (line, column) = at.line_col(source);
        let message = message
            .lines()
            .next()
            .unwrap_or("invalid syntax")
            .trim()
            .to_string();
        ConfigError::Syntax {
            file: file.to_path_buf(),
            line,
            column,
            message,
        }
    };
    let to_error = |span: swc_core::common::Span, message: String| {
        let at = SpanInfo {
            lo: span.lo.0.saturating_sub(base),
            hi: span.hi.0.saturating_sub(base),
        };
        syntax_error(at, message)
    };
    let (program, recovered) = match crate::nesting::parse(&fm, syntax, MAX_BRACKET_DEPTH) {
        Ok(parsed) => parsed,
        Err(Refused::TooDeep { at }) => {
            let at = SpanInfo {
                lo: at as u32,
                hi: at as u32,
            };
            return Err(syntax_error(
                at,
                format!("nesting deeper than {MAX_BRACKET_DEPTH} levels: not analysed"),
            ));
        }
        Err(Refused::ParserFailed) => {
            return Err(ConfigError::Syntax {
                file: file.to_path_buf(),
                line: 1,
                column: 1,
                message: "the parser failed on this file".into(),
            })
        }
        Err(Refused::Syntax(e)) => return Err(to_error(e.span(), e.kind().msg().into_owned())),
    };
    // Errors the parser recovered from still make Node reject a JavaScript file. (TypeScript
    // recoveries include checks that Next's transpiler does not make: keep those files.)
    if !ts {
        if let Some(e) = recovered.first() {
            return Err(to_error(e.span(), e.kind().msg().into_owned()));
        }
    }
    Ok((program, base))
}

/// Bracket nesting beyond which a config is not parsed (see [`parse_now`]).
const MAX_BRACKET_DEPTH: usize = 256;

/// `"type"` of the nearest package.json above `dir`.
fn nearest_type_module(dir: &Path) -> bool {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if let Ok(text) = fs::read_to_string(d.join("package.json")) {
            return serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| {
                    v.get("type")
                        .and_then(|t| t.as_str())
                        .map(|t| t == "module")
                })
                .unwrap_or(false);
        }
        cur = d.parent();
    }
    false
}

/// How Node (or Next's TypeScript loader) runs the file.
pub fn module_kind(file: &Path, program: &Program) -> ModuleKind {
    match file.extension().and_then(|e| e.to_str()) {
        Some("mjs" | "mts") => ModuleKind::Esm,
        Some("cjs" | "cts") => ModuleKind::Cjs,
        // Next transpiles next.config.ts to CommonJS (`require`, `__dirname` work).
        Some("ts") => ModuleKind::Cjs,
        _ => {
            let dir = file.parent().unwrap_or(Path::new("/"));
            if nearest_type_module(dir) {
                ModuleKind::Esm
            } else if matches!(program, Program::Module(m) if m.body.iter().any(|i| i.is_module_decl()))
            {
                // Node 22+ detects ES module syntax in an untyped `.js` file.
                ModuleKind::Esm
            } else {
                ModuleKind::Cjs
            }
        }
    }
}

/// Analyze source text that belongs to `file` (used by [`analyze_file`]; handy in tests).
pub fn analyze_source(
    file: &Path,
    source: &str,
    cwd: &Path,
) -> Result<ConfigAnalysis, ConfigError> {
    let (program, base) = parse(file, source)?;
    let kind = module_kind(file, &program);
    let mut ctx = EvalContext::new(kind, file.to_string_lossy(), cwd.to_string_lossy());
    ctx.span_base = base;
    ctx.source = Some(source.to_string());
    let analysis = next_graft_config::analyze(&program, &ctx);
    Ok(place(file, source, kind, analysis, cwd))
}

fn resolver(esm: bool) -> Resolver {
    let conditions: &[&str] = if esm {
        &["node", "import", "module-sync", "default"]
    } else {
        &["node", "require", "module-sync", "default"]
    };
    Resolver::new(ResolveOptions {
        condition_names: conditions.iter().map(|s| s.to_string()).collect(),
        builtin_modules: true,
        node_path: false,
        fully_specified: esm,
        module_type: true,
        ..ResolveOptions::default()
    })
}

struct Resolvers {
    cjs: Option<Resolver>,
    esm: Option<Resolver>,
}

impl Resolvers {
    fn resolve(&mut self, dir: &str, spec: &str, esm: bool) -> Result<PathBuf, String> {
        let r = if esm {
            self.esm.get_or_insert_with(|| resolver(true))
        } else {
            self.cjs.get_or_insert_with(|| resolver(false))
        };
        match r.resolve(dir, spec) {
            Ok(res) => Ok(res.into_path_buf()),
            Err(ResolveError::Builtin { resolved, .. }) => {
                Err(format!("'{spec}' is the Node built-in {resolved}"))
            }
            Err(e) => Err(format!("Cannot find module '{spec}' from {dir}: {e}")),
        }
    }
}

fn place(file: &Path, source: &str, kind: ModuleKind, a: Analysis, cwd: &Path) -> ConfigAnalysis {
    let loc = |s: SpanInfo| {
        let (line, col) = s.line_col(source);
        Location::at(file, line, col)
    };
    let mut resolvers = Resolvers {
        cjs: None,
        esm: None,
    };
    let refs = a
        .refs
        .into_iter()
        .map(|r| {
            let candidates = r
                .candidates
                .into_iter()
                .map(|c| {
                    let (resolved, resolve_error) = match &c.value {
                        CandidateValue::Absolute { path } => (Some(PathBuf::from(path)), None),
                        CandidateValue::PlainRelative { path } => {
                            (Some(crate::layout::normalize(&cwd.join(path))), None)
                        }
                        CandidateValue::RequireResolve {
                            specifier,
                            from_dir,
                        } => match resolvers.resolve(from_dir, specifier, false) {
                            Ok(p) => (Some(p), None),
                            Err(e) => (None, Some(e)),
                        },
                        CandidateValue::ImportMetaResolve {
                            specifier,
                            from_dir,
                            ..
                        } => match resolvers.resolve(from_dir, specifier, true) {
                            Ok(p) => (Some(p), None),
                            Err(e) => (None, Some(e)),
                        },
                        CandidateValue::FileUrl { url } => {
                            (crate::platform::path_from_file_url(url), None)
                        }
                        _ => (None, None),
                    };
                    let location = match &c.value {
                        CandidateValue::Unknown { span, .. } => Some(loc(*span)),
                        _ => c.span.map(loc),
                    };
                    ConfigCandidate {
                        value: c.value,
                        condition: c.condition,
                        resolved,
                        resolve_error,
                        location,
                    }
                })
                .collect();
            ConfigRef {
                key_name: r.key.display(),
                key: r.key,
                location: loc(r.span),
                source_line: r.span.source_line(source).to_string(),
                span: r.span,
                form: r.form,
                candidates,
            }
        })
        .collect();
    ConfigAnalysis {
        file: file.to_path_buf(),
        module_kind: kind,
        export_form: a.export_form,
        function_config: a.function_config,
        wrappers: a.wrappers,
        refs,
        unknown_export: a.unknown_export.map(loc),
        unknown_spreads: a.unknown_spreads.into_iter().map(loc).collect(),
        notes: a.notes,
        project_dir: cwd.to_path_buf(),
        dist_dir: cwd.join(".next"),
        source: source.to_string(),
    }
}

/// Everything the config stage hands to `check`/`explain` for one project.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigCheck {
    /// Which file Next loads (or why none).
    pub discovery: Discovery,
    /// `None` when Next runs without a config file.
    pub analysis: Option<ConfigAnalysis>,
    /// The `'use cache'` kinds the app uses (from the build, else from the sources).
    pub use_cache_kinds: Vec<String>,
    pub findings: Vec<crate::findings::Finding>,
}

/// Discover, parse and analyze the project's config for the installed Next version, and compute
/// the config findings against `recorded` (the authoritative copy's handlers; `None` before a
/// build). Errors (syntax, unreadable file, unsupported config name) mean exit 2.
pub fn check_config(
    layout: &crate::layout::Layout,
    recorded: Option<&[crate::manifest::RecordedHandler]>,
) -> Result<ConfigCheck, ConfigError> {
    let version = layout.next_version();
    let discovery = discover(&layout.project_dir, version);
    let analysis = match &discovery {
        Discovery::Found { file } => {
            let mut a = analyze_file(file, &layout.project_dir)?;
            a.dist_dir = layout.dist_dir.clone();
            Some(a)
        }
        Discovery::Unsupported { file, message } => {
            return Err(ConfigError::Unsupported {
                file: file.clone(),
                message: message.clone(),
            })
        }
        Discovery::Ignored { .. } | Discovery::None => None,
    };
    let use_cache_kinds: Vec<String> = use_cache::use_cache_kinds(layout).into_iter().collect();
    let findings = match &analysis {
        Some(a) => findings::config_findings(
            a,
            recorded,
            version,
            !use_cache_kinds.is_empty(),
            layout.deployment,
        ),
        None => Vec::new(),
    };
    Ok(ConfigCheck {
        discovery,
        analysis,
        use_cache_kinds,
        findings,
    })
}
