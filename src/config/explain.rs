//! Human rendering of a config analysis, for `next-graft explain`: the config file, each handler
//! reference with its source line, its branches and their conditions, and what the build
//! recorded for the key.

use std::fmt::Write as _;

use super::{CandidateValue, ConfigAnalysis, ExportForm, HandlerKey, ModuleKind};
use crate::manifest::RecordedHandler;
use crate::versions::{facts, Fact, Version};

/// Keys with an environment default (15.0+) that the config leaves unset on at least one
/// branch, or does not mention: `(key, variable)`.
pub fn env_defaults(a: &ConfigAnalysis, version: Option<Version>) -> Vec<(String, &'static str)> {
    if version.is_some_and(|v| {
        !facts(v).has(Fact::ExperimentalCacheHandlers) && !facts(v).has(Fact::TopLevelCacheHandlers)
    }) {
        return Vec::new();
    }
    let experimental = version.is_some_and(|v| facts(v).has(Fact::ExperimentalCacheHandlers));
    let mut keys = vec![HandlerKey::CacheHandler];
    for kind in ["default", "remote", "static"] {
        keys.push(HandlerKey::CacheHandlers {
            kind: kind.into(),
            experimental,
        });
    }
    let mut out = Vec::new();
    for key in keys {
        let Some(var) = key.env_default_var() else {
            continue;
        };
        // 15.x merges `experimental` one level deep: a user `experimental.cacheHandlers`
        // object replaces the defaults of every kind; 16.x merges `cacheHandlers` per kind.
        if experimental
            && a.refs.iter().any(|r| {
                matches!(
                    &r.key,
                    HandlerKey::CacheHandlers {
                        experimental: true,
                        ..
                    }
                )
            })
            && a.refs_for(&key).next().is_none()
        {
            continue;
        }
        let refs: Vec<_> = a.refs_for(&key).collect();
        let unset_somewhere = refs.is_empty()
            || refs
                .iter()
                .flat_map(|r| r.candidates.iter())
                .any(|c| matches!(c.value, CandidateValue::EnvDefault { .. }));
        if unset_somewhere {
            out.push((key.display(), var));
        }
    }
    out
}

/// The config part of `explain`.
pub fn render(
    a: &ConfigAnalysis,
    recorded: Option<&[RecordedHandler]>,
    version: Option<Version>,
) -> String {
    let mut out = String::new();
    let kind = match a.module_kind {
        ModuleKind::Cjs => "CommonJS",
        ModuleKind::Esm => "ES module",
    };
    let export = match a.export_form {
        ExportForm::ModuleExports => "module.exports",
        ExportForm::ExportDefault => "export default",
        ExportForm::ExportsDefault => "exports.default",
        ExportForm::None => "no export: Next runs with an empty config",
    };
    let _ = write!(out, "config: {} ({kind}, {export}", a.file.display());
    if a.function_config {
        out.push_str(", a function of the phase: evaluated for next build and next start");
    }
    if !a.wrappers.is_empty() {
        let _ = write!(out, ", through {}", a.wrappers.join(", "));
    }
    out.push_str(")\n");
    if a.refs.is_empty() {
        out.push_str("  no handler keys in the config\n");
    }
    let file_name = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for r in &a.refs {
        let line = r.location.line.unwrap_or(0);
        let _ = writeln!(
            out,
            "\n  {}  {}:{}:{}",
            r.key_name,
            file_name,
            line,
            r.location.column.unwrap_or(0)
        );
        let _ = writeln!(out, "  {line:>5} | {}", r.source_line);
        for c in &r.candidates {
            let when = match &c.condition {
                Some(cond) => format!("if {}", cond.text),
                None => "always".to_string(),
            };
            let _ = write!(out, "        {when}: {}", c.value.describe());
            if let Some(p) = &c.resolved {
                let _ = write!(out, " -> {}", p.display());
            }
            if let Some(e) = &c.resolve_error {
                let _ = write!(out, " (does not resolve: {e})");
            }
            if let (CandidateValue::Unknown { .. }, Some(l)) = (&c.value, &c.location) {
                let _ = write!(out, " at {}:{}", l.line.unwrap_or(0), l.column.unwrap_or(0));
            }
            out.push('\n');
        }
        if let Some(rec) = recorded {
            match rec.iter().find(|h| h.key == r.key_name) {
                Some(h) => {
                    let _ = writeln!(out, "        recorded by the build: {}", h.value);
                }
                None => out.push_str("        recorded by the build: nothing\n"),
            }
        }
    }
    let defaults = env_defaults(a, version);
    if !defaults.is_empty() {
        let list: Vec<String> = defaults
            .iter()
            .map(|(k, v)| format!("{k} <- {v}"))
            .collect();
        let _ = writeln!(
            out,
            "\n  where the config leaves a key unset, `next build` takes it from the environment: {}",
            list.join(", ")
        );
    }
    if let Some(l) = &a.unknown_export {
        let _ = writeln!(
            out,
            "\n  note: the export at line {} could not be evaluated: handler keys set there are not shown",
            l.line.unwrap_or(0)
        );
    }
    for l in &a.unknown_spreads {
        let _ = writeln!(
            out,
            "  note: line {}: a spread that was not evaluated may set handler keys too",
            l.line.unwrap_or(0)
        );
    }
    for n in &a.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    out
}
