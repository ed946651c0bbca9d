//! `next-graft [graft]`: analyze, plan, apply, verify. The postbuild default.
//!
//! 1. `check` the build as it is (what is wrong before);
//! 2. `plan` the copies, links and config rewrites (plus `--handler` injections);
//! 3. `apply` them (nothing with `--dry-run`);
//! 4. read the layout and manifests again and `check` (verify): the exit code comes from it.
//!    When apply wrote nothing (a healthy build), the verdict of 1. stands: the tree is unchanged.
//!
//! Findings of the first check that the second no longer reports are shown as `fixed`.

use super::{exit_code, Common, Format, Outcome};
use crate::apply::{self, Applied};
use crate::check::{self, sort_findings, CheckOutcome};
use crate::findings::{Finding, Slug};
use crate::layout::{self, Layout};
use crate::manifest;
use crate::plan::{self, Action, EditReason, HandlerOverride, Plan};
use crate::report::{self, counted, display_path, Report};
use crate::InputError;
use serde_json::json;
use std::fmt::Write as _;

/// The options of `graft` beyond the common ones.
#[derive(Debug, Clone, Default)]
pub struct GraftOptions {
    /// `--handler KIND=PATH`, as given (parsed here so that bad input exits 2 before anything).
    pub handlers: Vec<String>,
    pub dry_run: bool,
    /// `--assets`: also copy `public/`, `<distDir>/static` and `<distDir>/cache/fetch-cache`.
    pub assets: bool,
    /// `--fsync`: sync the writes to disk (see `apply::Durability`).
    pub fsync: bool,
}

/// Runs graft. `Err` (exit 2) for bad input or a write that could not be made; in both cases
/// nothing was changed.
pub fn graft(common: &Common, options: &GraftOptions) -> Result<Outcome, InputError> {
    let overrides = options
        .handlers
        .iter()
        .map(|arg| HandlerOverride::parse(arg))
        .collect::<Result<Vec<_>, _>>()?;
    let layout = common.layout()?;
    // One run at a time per distDir, from reading the manifests to the end of apply: a second
    // run waits, then plans against the tree the first one left.
    let _lock = if options.dry_run {
        None
    } else {
        apply::lock(&layout.dist_dir)?
    };
    let recorded = {
        let _t = crate::timing::span(crate::timing::Phase::Setup);
        manifest::read(&layout)?
    };
    // Edges of texts an earlier run parsed (kept by `next build` in `<distDir>/cache`).
    let stored = crate::trace::store::load(&layout.dist_dir);
    let mut before = check::verify(&layout, Some(&recorded))?;
    // The source closures `check` just traced: the plan reuses them instead of tracing again.
    // Taken, not cloned: nothing reports them (`HandlerStatus::source_closure` is not rendered).
    let mut traced: Vec<_> = before
        .handlers
        .iter_mut()
        .filter_map(|h| Some((h.source_path.clone()?, h.source_closure.take()?)))
        .collect();
    let mut plan = {
        let _t = crate::timing::span(crate::timing::Phase::Plan);
        plan::plan(&layout, &recorded, &overrides, &traced)?
    };
    if options.assets {
        plan::plan_assets(&layout, &mut plan);
    }

    if options.dry_run {
        let mut findings = before.findings.clone();
        findings.extend(plan.findings.iter().cloned());
        sort_findings(&mut findings);
        crate::findings::attach_source_lines(&mut findings);
        let stdout = render(common, &layout, &before, &findings, &plan, None);
        return Ok(Outcome {
            stdout,
            exit_code: exit_code(before.errors()),
        });
    }

    let durability = if options.fsync {
        apply::Durability::Disk
    } else {
        apply::Durability::PageCache
    };
    let applied = {
        let _t = crate::timing::span(crate::timing::Phase::Copy);
        apply::apply(&layout, &plan, durability)?
    };
    if !applied.wrote_anything() {
        // The common postbuild: Next traced everything and apply wrote nothing. The tree is then
        // the one `before` verified, under the same lock (no other graft or check ran in
        // between), so verifying it again could only repeat that verdict.
        //
        // The edge store is kept here too, in `<distDir>/cache/`, outside the deployable tree:
        // `next build` keeps that folder, so the next postbuild (and the check after this one)
        // parses none of these texts again. Without it a build that is always healthy would
        // never have a store. Only for a standalone build that passes: a graft that refuses
        // (an error it cannot fix) or has no tree to graft into (`next start`) leaves the build
        // exactly as it was. `save` writes only when the store lacks a text this run met, so a
        // second run writes nothing.
        if before.errors() == 0 && layout.standalone.is_some() {
            let _ = crate::trace::store::save(&layout.dist_dir, &stored);
        }
        let mut findings = merge_fixed(&before.findings, &before.findings, &plan.findings);
        crate::findings::attach_source_lines(&mut findings);
        let stdout = render(common, &layout, &before, &findings, &plan, Some(&applied));
        return Ok(Outcome {
            stdout,
            exit_code: exit_code(before.errors()),
        });
    }
    // Verify the tree as it is now.
    let layout = common.layout()?;
    let recorded = {
        let _t = crate::timing::span(crate::timing::Phase::Setup);
        manifest::read(&layout)?
    };
    // The source closures are unchanged where apply wrote none of their files (closures hold
    // real paths: compared with the distDir's real path too).
    let dist_dirs = [
        layout.dist_dir.clone(),
        crate::platform::canonicalize(&layout.dist_dir).unwrap_or_else(|_| layout.dist_dir.clone()),
    ];
    traced.retain(|(_, closure)| {
        !closure
            .files
            .keys()
            .chain(closure.links.keys())
            .any(|f| dist_dirs.iter().any(|d| layout::is_within(f, d)))
    });
    let after = check::verify_reusing(&layout, Some(&recorded), &traced)?;
    // For the check that usually follows (the CI gate) and the next build. Only after a graft
    // that wrote the tree: a build with nothing to do is left exactly as it was. A store that
    // cannot be written costs the next run its parse, nothing else.
    let _ = crate::trace::store::save(&layout.dist_dir, &stored);
    let mut findings = merge_fixed(&before.findings, &after.findings, &plan.findings);
    crate::findings::attach_source_lines(&mut findings);
    let stdout = render(common, &layout, &after, &findings, &plan, Some(&applied));
    Ok(Outcome {
        stdout,
        exit_code: exit_code(after.errors()),
    })
}

/// The findings after apply, plus each finding of before that is gone (same slug and handler),
/// marked fixed, plus the plan's own (warnings about what it left alone; notes).
fn merge_fixed(before: &[Finding], after: &[Finding], planned: &[Finding]) -> Vec<Finding> {
    let mut out: Vec<Finding> = after.to_vec();
    for f in before {
        let still = after
            .iter()
            .any(|a| a.slug == f.slug && a.handler == f.handler);
        if !still {
            let mut fixed = f.clone();
            fixed.fixed = true;
            // The help said what to run; it has just run. Say what it did instead.
            fixed.help = None;
            fixed.notes.push(what_graft_did(f.slug).to_string());
            out.push(fixed);
        }
    }
    out.extend(planned.iter().cloned());
    sort_findings(&mut out);
    out
}

/// What graft did about a finding that its check after apply no longer reports.
fn what_graft_did(slug: Slug) -> &'static str {
    match slug {
        Slug::HandlerMissing => "next-graft copied the handler and its dependencies into the tree",
        Slug::DependencyMissing => "next-graft copied it into the tree",
        Slug::OutsideTracingRoot => {
            "next-graft relocated the files inside the standalone tree (`.next-graft/outside/…`) and rewrote the handler path"
        }
        Slug::AbsoluteBuildPath => {
            "next-graft copied the handler into the tree and recorded a path relative to the server's distDir"
        }
        Slug::PreloadBug => {
            "next-graft set `experimental.preloadEntriesOnStart: false` in the standalone config"
        }
        Slug::LegacyKeyIgnored => {
            "next-graft moved the handler to `cacheHandler` in the standalone config"
        }
        Slug::ConfigCopiesDisagree => "next-graft rewrote every copy of the config to the same values",
        Slug::InactiveAtBuild => "next-graft injected the handler (`--handler`) into the built config",
        _ => "next-graft repaired it in this run",
    }
}

struct Counts {
    copied: usize,
    linked: usize,
    rewritten: usize,
    values: usize,
    patched: Vec<&'static str>,
}

fn counts(plan: &Plan, applied: Option<&Applied>) -> Counts {
    let mut c = Counts {
        copied: 0,
        linked: 0,
        rewritten: 0,
        values: 0,
        patched: Vec::new(),
    };
    for action in &plan.actions {
        match action {
            Action::CopyFile { .. } | Action::WriteFile { .. } => c.copied += 1,
            Action::CreateSymlink { .. } => c.linked += 1,
            Action::RewriteConfig { edits, .. } => {
                c.rewritten += 1;
                for e in edits {
                    match e.reason {
                        EditReason::PreloadBug => {
                            if !c.patched.contains(&"preload-bug") {
                                c.patched.push("preload-bug");
                            }
                        }
                        EditReason::LegacyKey => {
                            if !c.patched.contains(&"legacy-key-ignored") {
                                c.patched.push("legacy-key-ignored");
                            }
                        }
                        _ => c.values += 1,
                    }
                }
            }
        }
    }
    if let Some(a) = applied {
        c.copied = a.copied.len();
        c.linked = a.linked.len();
        c.rewritten = a.rewritten.len();
    }
    c
}

fn describe_action(action: &Action, layout: &Layout) -> String {
    let p = |path: &std::path::Path| display_path(path, &layout.project_dir);
    match action {
        Action::CopyFile {
            from, to, replaces, ..
        } => format!(
            "{} {} -> {}",
            if *replaces { "replace" } else { "copy" },
            p(from),
            p(to)
        ),
        Action::WriteFile { to, .. } => format!("write {}", p(to)),
        Action::CreateSymlink { path, target } => {
            format!("link {} -> {}", p(path), target.display())
        }
        Action::RewriteConfig { file, edits, .. } => {
            let list: Vec<String> = edits
                .iter()
                .map(|e| match &e.value {
                    Some(v) => format!("{}={}", e.path.join("."), v),
                    None => format!("-{}", e.path.join(".")),
                })
                .collect();
            format!("rewrite {}: {}", p(file), list.join(", "))
        }
    }
}

fn render(
    common: &Common,
    layout: &Layout,
    outcome: &CheckOutcome,
    findings: &[Finding],
    plan: &Plan,
    applied: Option<&Applied>,
) -> String {
    let dry_run = applied.is_none();
    let report = Report {
        command: "graft",
        project: &layout.project_dir,
        next_version: layout.next_version().map(|v| v.to_string()),
        findings,
        extra: vec![
            (
                "handlers",
                serde_json::to_value(&outcome.handlers).unwrap_or_default(),
            ),
            ("layout", serde_json::to_value(layout).unwrap_or_default()),
            (
                "node",
                serde_json::to_value(&layout.node).unwrap_or_default(),
            ),
            (
                "actions",
                serde_json::to_value(&plan.actions).unwrap_or_default(),
            ),
            ("dry_run", json!(dry_run)),
            (
                "written",
                applied.map_or(json!(null), |a| serde_json::to_value(a).unwrap_or_default()),
            ),
        ],
    };
    if common.format == Format::Json {
        return report::to_json(&report);
    }
    let mut text = String::new();
    if !common.quiet {
        let c = counts(plan, applied);
        let verb = if dry_run { "would write" } else { "wrote" };
        if layout.standalone.is_none() {
            let why = if layout.dist_dir.join("standalone").is_dir() {
                "--mode start: `next start` serves the project, not the standalone output"
            } else {
                "no standalone output (`output: 'standalone'`): `next start` serves the project"
            };
            let _ = writeln!(text, "graft: {why}; nothing to graft into");
        } else if plan.actions.is_empty() {
            let _ = writeln!(text, "graft: nothing to do");
        } else {
            let mut parts = Vec::new();
            if c.copied > 0 {
                parts.push(format!("{} copied", counted(c.copied, "file", "files")));
            }
            if c.linked > 0 {
                parts.push(format!("{} created", counted(c.linked, "link", "links")));
            }
            if c.rewritten > 0 {
                parts.push(format!(
                    "{} rewritten ({})",
                    counted(c.rewritten, "config copy", "config copies"),
                    counted(c.values, "handler value", "handler values")
                ));
            }
            if !c.patched.is_empty() {
                parts.push(format!("patched {}", c.patched.join(", ")));
            }
            if parts.is_empty() {
                parts.push("nothing (every file and value was already in place)".into());
            }
            let _ = writeln!(
                text,
                "graft{}: {verb}: {}",
                if dry_run { " (dry run)" } else { "" },
                parts.join("; ")
            );
        }
        if dry_run || common.verbose {
            for action in &plan.actions {
                let _ = writeln!(text, "  {}", describe_action(action, layout));
            }
        }
        if !text.is_empty() {
            text.push('\n');
        }
    }
    text + &super::with_node_line(
        report::to_human(&report, common.color, common.quiet),
        common,
        layout,
    )
}
