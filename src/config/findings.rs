//! Findings that need next.config: what the user meant, checked against the Next version and,
//! when a build exists, against what the build recorded.
//!
//! `file-url-unsupported`, `wrong-key-for-version`, `legacy-key-ignored`,
//! `deprecated-experimental-key`, `relative-path-next-start` and `singular-for-use-cache` need
//! only the config (and the version); `inactive-at-build` needs the recorded handlers.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{
    Atom, CandidateValue, ConfigAnalysis, ConfigCandidate, ConfigRef, HandlerKey, PhaseKind,
};
use crate::findings::{Finding, Slug};
use crate::layout::{normalize, Deployment};
use crate::manifest::RecordedHandler;
use crate::versions::{facts, Fact, Version};

/// Every config finding. `recorded`: the handlers of the authoritative serialized config
/// (`None` before a build). `version`: the installed Next (`None`: version checks are skipped).
/// `uses_use_cache`: the app has `'use cache'` directives. `deployment`: how production serves
/// the build (`None`: not known, before a build and without `--mode`).
pub fn config_findings(
    analysis: &ConfigAnalysis,
    recorded: Option<&[RecordedHandler]>,
    version: Option<Version>,
    uses_use_cache: bool,
    deployment: Option<Deployment>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(v) = version {
        version_findings(analysis, v, recorded, &mut out);
    }
    relative_path_next_start(analysis, deployment, &mut out);
    singular_for_use_cache(analysis, version, uses_use_cache, &mut out);
    if let Some(recorded) = recorded {
        inactive_at_build(analysis, recorded, version, &mut out);
    }
    out
}

fn at(r: &ConfigRef, f: Finding) -> Finding {
    f.at(r.location.clone())
        .with_source_line(r.source_line.clone())
        .for_handler(r.key_name.clone())
}

/// Whether `version` reads `key` at all.
pub fn key_is_read(key: &HandlerKey, version: Version) -> bool {
    let f = facts(version);
    match key {
        HandlerKey::CacheHandler => f.has(Fact::CacheHandlerKey),
        HandlerKey::LegacyIncrementalCacheHandlerPath => f.has(Fact::LegacyIsrKey),
        HandlerKey::CacheHandlers {
            experimental: true, ..
        } => {
            f.has(Fact::ExperimentalCacheHandlers)
                || f.has(Fact::ExperimentalCacheHandlersDeprecated)
        }
        HandlerKey::CacheHandlers {
            experimental: false,
            ..
        } => f.has(Fact::TopLevelCacheHandlers),
    }
}

fn names_handler(r: &ConfigRef) -> bool {
    r.candidates.iter().any(|c| c.value.names_handler())
}

/// Whether the build took none of `r`'s branches: every branch that names a handler sits behind
/// a condition, and the build recorded no value for the key. A config that picks its keys by
/// condition (by the installed Next version, an environment variable) then only holds keys for
/// other builds, which the version findings must not judge (shown by the version matrix,
/// tests/e2e/FINDINGS.md §9). Before a build nothing is known, and they are judged.
fn no_branch_taken(r: &ConfigRef, recorded: Option<&[RecordedHandler]>) -> bool {
    let Some(recorded) = recorded else {
        return false;
    };
    let key = r.key.display();
    r.candidates
        .iter()
        .filter(|c| c.value.names_handler())
        .all(|c| c.condition.is_some())
        && !recorded.iter().any(|h| h.key == key)
}

fn version_findings(
    a: &ConfigAnalysis,
    v: Version,
    recorded: Option<&[RecordedHandler]>,
    out: &mut Vec<Finding>,
) {
    let f = facts(v);
    for r in &a.refs {
        if !names_handler(r) || no_branch_taken(r, recorded) {
            continue;
        }
        match &r.key {
            HandlerKey::LegacyIncrementalCacheHandlerPath if f.has(Fact::LegacyKeyIgnored) => {
                out.push(at(
                    r,
                    Finding::error(
                        Slug::LegacyKeyIgnored,
                        format!(
                            "`experimental.incrementalCacheHandlerPath` is ignored by Next.js {v} (renamed to `cacheHandler` in 14.1): the default cache handler is used"
                        ),
                    )
                    .with_help("rename the key to `cacheHandler` (`next-graft fix-config`); `next-graft` repairs the standalone copy of this build"),
                ));
            }
            HandlerKey::CacheHandlers {
                experimental: true, ..
            } if f.has(Fact::ExperimentalCacheHandlersDeprecated) => {
                out.push(at(
                    r,
                    Finding::warning(
                        Slug::DeprecatedExperimentalKey,
                        format!(
                            "`{}` is deprecated in Next.js {v}: it still works (copied to the top level), but the build keeps an absolute copy under `experimental`",
                            r.key_name
                        ),
                    )
                    .with_help("move it to the top-level `cacheHandlers` (`next-graft fix-config`)"),
                ));
            }
            key if !key_is_read(key, v) => {
                let (why, help) = match key {
                    HandlerKey::CacheHandler => (
                        "reads the ISR handler from `experimental.incrementalCacheHandlerPath` before 14.1".to_string(),
                        "use `experimental.incrementalCacheHandlerPath` on this version, or upgrade to 14.1+".to_string(),
                    ),
                    HandlerKey::CacheHandlers { experimental: false, .. } if f.has(Fact::ExperimentalCacheHandlers) => (
                        "reads `'use cache'` handlers from `experimental.cacheHandlers` (top level from 16.0): this value stays an absolute build-machine path in server.js and is never traced".to_string(),
                        "move it under `experimental.cacheHandlers` (`next-graft fix-config`)".to_string(),
                    ),
                    HandlerKey::CacheHandlers { .. } => (
                        "has no `'use cache'` handlers (they arrived in 15.0)".to_string(),
                        "remove the key, or upgrade Next.js".to_string(),
                    ),
                    HandlerKey::LegacyIncrementalCacheHandlerPath => (
                        "does not read this key".to_string(),
                        "use `cacheHandler`".to_string(),
                    ),
                };
                out.push(at(
                    r,
                    Finding::error(
                        Slug::WrongKeyForVersion,
                        format!("`{}` is not read by Next.js {v}, which {why}", r.key_name),
                    )
                    .with_help(help),
                ));
            }
            _ => {}
        }
        if !f.has(Fact::FileUrlHandlers) && key_is_read(&r.key, v) {
            for c in &r.candidates {
                let what = match &c.value {
                    CandidateValue::ImportMetaResolve {
                        specifier,
                        file_url: true,
                        ..
                    } => {
                        format!("`import.meta.resolve('{specifier}')` is a file:// URL")
                    }
                    CandidateValue::FileUrl { url } => format!("`{url}` is a file:// URL"),
                    _ => continue,
                };
                let mut finding = Finding::error(
                    Slug::FileUrlUnsupported,
                    format!(
                        "{what}, which Next.js {v} cannot load as `{}` (file URLs are accepted from 16.3): `next build` fails to load the handler",
                        r.key_name
                    ),
                )
                .with_help("wrap it in `fileURLToPath(…)` from 'node:url' to pass a path (`next-graft fix-config`)");
                if let Some(cond) = &c.condition {
                    finding = finding.with_note(format!("this branch is taken when {}", cond.text));
                }
                out.push(at(r, finding));
            }
        }
    }
}

/// `next start` reads next.config again and resolves a plain relative handler path against the
/// distDir. Served with `next start` (no standalone output, or `--mode start`) that is a handler
/// production never loads: an error. A standalone `server.js` uses the build's resolved path, so
/// there, and before a build, it is a warning about the day someone runs `next start`.
fn relative_path_next_start(
    a: &ConfigAnalysis,
    deployment: Option<Deployment>,
    out: &mut Vec<Finding>,
) {
    for r in &a.refs {
        for c in &r.candidates {
            let CandidateValue::PlainRelative { path } = &c.value else {
                continue;
            };
            let wrong = normalize(&a.dist_dir.join(path));
            let right = normalize(&a.project_dir.join(path));
            let message = format!(
                "`{}` is the plain relative path '{path}': `next start` resolves it against the distDir ({}) and fails to load it",
                r.key_name,
                wrong.display()
            );
            let absolute = format!(
                "`require.resolve('{path}')` or `path.join(__dirname, '{}')`",
                path.trim_start_matches("./")
            );
            let mut f = if deployment == Some(Deployment::Start) {
                Finding::error(Slug::RelativePathNextStart, message)
                    .with_help(format!(
                        "run `next-graft fix-config --write` to name the file absolutely ({absolute}), then rebuild"
                    ))
                    .with_note("this build is served with `next start`: production does not load the handler")
            } else {
                let served = match deployment {
                    Some(Deployment::Standalone) => "this build is served by the standalone `server.js`, which is not affected; if you serve it with `next start`, run with `--mode start`",
                    _ => "the standalone `server.js` is not affected; `next start` is",
                };
                Finding::warning(Slug::RelativePathNextStart, message)
                    .with_help(format!(
                        "name the file absolutely: {absolute} (`next-graft fix-config --write`)"
                    ))
                    .with_note(served)
            }
            .with_note(format!("the build resolves it against its cwd: {}", right.display()));
            if let Some(cond) = &c.condition {
                f = f.with_note(format!("this branch is taken when {}", cond.text));
            }
            out.push(at(r, f));
        }
    }
}

fn singular_for_use_cache(
    a: &ConfigAnalysis,
    version: Option<Version>,
    uses_use_cache: bool,
    out: &mut Vec<Finding>,
) {
    if !uses_use_cache {
        return;
    }
    if version.is_some_and(|v| {
        !facts(v).has(Fact::ExperimentalCacheHandlers) && !facts(v).has(Fact::TopLevelCacheHandlers)
    }) {
        return;
    }
    let plural = a
        .refs
        .iter()
        .any(|r| matches!(r.key, HandlerKey::CacheHandlers { .. }) && names_handler(r));
    if plural {
        return;
    }
    if let Some(r) = a
        .refs
        .iter()
        .find(|r| r.key == HandlerKey::CacheHandler && names_handler(r))
    {
        let key = match version {
            Some(v) if facts(v).has(Fact::ExperimentalCacheHandlers) => {
                "experimental.cacheHandlers"
            }
            _ => "cacheHandlers",
        };
        out.push(at(
            r,
            Finding::warning(
                Slug::SingularForUseCache,
                "only `cacheHandler` is set, but the app uses `'use cache'`: those entries use the in-memory default handler, not this one (#82993)",
            )
            .with_help(format!(
                "add `{key}: {{ default: … }}` naming a `'use cache'` handler (a plain object with get/set/…, not the ISR class)"
            )),
        ));
    }
}

/// Env variables a condition depends on.
fn env_vars(c: &ConfigCandidate) -> Vec<String> {
    let mut vars = BTreeSet::new();
    if let Some(cond) = &c.condition {
        for (atom, _) in cond.expr.literals() {
            match atom {
                Atom::EnvSet { var } | Atom::EnvDefined { var } | Atom::EnvEquals { var, .. } => {
                    vars.insert(var.clone());
                }
                _ => {}
            }
        }
    }
    vars.into_iter().collect()
}

fn recorded_path(a: &ConfigAnalysis, value: &str) -> PathBuf {
    if let Some(p) =
        crate::platform::path_from_file_url(value).filter(|_| value.starts_with("file://"))
    {
        return p;
    }
    let p = Path::new(value);
    if p.is_absolute() {
        normalize(p)
    } else {
        normalize(&a.dist_dir.join(p))
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    if normalize(a) == normalize(b) {
        return true;
    }
    match (
        crate::platform::canonicalize(a),
        crate::platform::canonicalize(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn inactive_at_build(
    a: &ConfigAnalysis,
    recorded: &[RecordedHandler],
    version: Option<Version>,
    out: &mut Vec<Finding>,
) {
    for r in &a.refs {
        if version.is_some_and(|v| !key_is_read(&r.key, v)) {
            continue;
        }
        let key = r.key.display();
        let rec = recorded.iter().find(|h| h.key == key);
        let rec_path = rec.map(|h| recorded_path(a, &h.value));
        // Which branches of every reference to this key the build may have taken.
        let all: Vec<&ConfigCandidate> = a
            .refs_for(&r.key)
            .flat_map(|x| x.candidates.iter())
            .collect();
        if let Some(p) = &rec_path {
            let matched = all
                .iter()
                .any(|c| c.resolved.as_deref().is_some_and(|x| same_file(x, p)));
            let undecidable = all.iter().any(|c| {
                c.value.names_handler()
                    && c.resolved.is_none()
                    && !matches!(c.value, CandidateValue::Unknown { .. })
                    || matches!(
                        c.value,
                        CandidateValue::Unknown { .. } | CandidateValue::EnvValue { .. }
                    )
            });
            if matched || undecidable {
                continue;
            }
        }
        for c in &r.candidates {
            let Some(cond) = &c.condition else {
                continue;
            };
            if !c.value.names_handler() || matches!(c.value, CandidateValue::Unknown { .. }) {
                continue;
            }
            // `next build` runs with NODE_ENV=production and phase-production-build: a branch
            // whose condition holds there was taken, so it is not what went missing.
            let at_build = cond.expr.eval_with(&|atom| match atom {
                Atom::EnvEquals { var, value } if var == "NODE_ENV" => Some(value == "production"),
                Atom::EnvSet { var } | Atom::EnvDefined { var } if var == "NODE_ENV" => Some(true),
                Atom::Phase { phase } => Some(*phase == PhaseKind::ProductionBuild),
                _ => None,
            });
            if at_build == Some(true) {
                continue;
            }
            // A branch that no production process takes (NODE_ENV === 'development') is meant
            // for development only.
            let in_production = cond.expr.eval_with(&|atom| match atom {
                Atom::EnvEquals { var, value } if var == "NODE_ENV" => Some(value == "production"),
                Atom::EnvSet { var } | Atom::EnvDefined { var } if var == "NODE_ENV" => Some(true),
                _ => None,
            });
            if in_production == Some(false) {
                continue;
            }
            let vars: Vec<String> = env_vars(c)
                .into_iter()
                .filter(|v| v != "NODE_ENV")
                .collect();
            let phase_only = vars.is_empty()
                && cond
                    .expr
                    .literals()
                    .iter()
                    .any(|(atom, _)| matches!(atom, Atom::Phase { .. }));
            let recorded_text = match rec {
                Some(h) => format!("the build recorded `{}` for it instead", h.value),
                None => "the build recorded no handler for it".into(),
            };
            let message = format!(
                "`{}` names {} only when {}, which was not the case when `next build` ran: {recorded_text}, so the standalone server runs without it",
                r.key_name,
                c.value.describe(),
                cond.text
            );
            let value_hint = match (&c.resolved, &c.value) {
                (Some(p), _) => {
                    let rel = pathdiff::diff_paths(p, &a.project_dir).unwrap_or_else(|| p.clone());
                    format!("./{}", rel.display())
                        .replace("/./", "/")
                        .replace("././", "./")
                }
                (None, CandidateValue::PlainRelative { path }) => path.clone(),
                _ => "<path>".into(),
            };
            let kind = r.kind();
            let help = if phase_only {
                format!(
                    "this branch depends on the phase: make the handler unconditional for `phase-production-build` too, or inject it into this build with `next-graft --handler {kind}={value_hint}`"
                )
            } else if vars.is_empty() {
                format!("make the condition true when `next build` runs, or inject the handler into this build with `next-graft --handler {kind}={value_hint}`")
            } else {
                format!(
                    "set {} in the environment of `next build` (the standalone server never re-reads next.config), or inject the handler into this build with `next-graft --handler {kind}={value_hint}`",
                    vars.join(", ")
                )
            };
            let mut f = Finding::error(Slug::InactiveAtBuild, message).with_help(help);
            for other in &r.candidates {
                if other != c {
                    f = f.with_note(format!("other branch: {}", other.describe()));
                }
            }
            out.push(at(r, f));
        }
    }
}
