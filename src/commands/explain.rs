//! `next-graft explain`: what was found, for a person. The layout, each handler the build
//! recorded with where production loads it from, its closure (count; the files with `-v`) and
//! where each file goes in the standalone tree, then the findings. Writes nothing.

use super::{Common, Format, Outcome};
use crate::check::{self, CheckOutcome, HandlerStatus};
use crate::layout::Layout;
use crate::manifest::{self, Recorded};
use crate::plan::Destinations;
use crate::report::{self, display_path, Report};
use crate::trace::Reason;
use crate::InputError;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One file of a handler's closure and its place in the deployable tree.
#[derive(Debug, Clone, Serialize)]
pub struct PlacedFile {
    pub source: PathBuf,
    /// Where it belongs in the standalone tree, as graft places it (files outside the tracing
    /// root: below `.next-graft/outside/`); `None` without standalone output.
    pub destination: Option<PathBuf>,
    pub reason: Reason,
    /// Whether the destination already holds it.
    pub present: bool,
}

fn placed_files(destinations: Option<&Destinations>, status: &HandlerStatus) -> Vec<PlacedFile> {
    let Some(closure) = &status.source_closure else {
        return Vec::new();
    };
    closure
        .files
        .iter()
        .map(|(source, info)| {
            let destination = destinations.and_then(|d| d.of(source));
            let present = destination.as_ref().is_some_and(|d| d.is_file());
            PlacedFile {
                source: source.clone(),
                destination,
                reason: info.reason,
                present,
            }
        })
        .collect()
}

pub fn explain(common: &Common) -> Result<Outcome, InputError> {
    let layout = common.layout()?;
    let recorded = manifest::read(&layout)?;
    crate::trace::store::load(&layout.dist_dir);
    let mut outcome = check::verify(&layout, Some(&recorded))?;
    crate::findings::attach_source_lines(&mut outcome.findings);
    // Placed as graft places them: the relocation folder depends on every closure at once.
    let destinations = Destinations::of_closures(
        &layout,
        outcome
            .handlers
            .iter()
            .filter_map(|h| h.source_closure.as_ref()),
    );
    let placed: Vec<Vec<PlacedFile>> = outcome
        .handlers
        .iter()
        .map(|h| placed_files(destinations.as_ref(), h))
        .collect();
    let stdout = match common.format {
        Format::Json => json(&layout, &recorded, &outcome, &placed),
        Format::Human => human(common, &layout, &recorded, &outcome, &placed),
    };
    Ok(Outcome {
        stdout,
        exit_code: if outcome.errors() == 0 { 0 } else { 1 },
    })
}

fn json(
    layout: &Layout,
    recorded: &Recorded,
    outcome: &CheckOutcome,
    placed: &[Vec<PlacedFile>],
) -> String {
    let handlers: Vec<serde_json::Value> = outcome
        .handlers
        .iter()
        .zip(placed)
        .map(|(status, files)| {
            let mut value = serde_json::to_value(status).unwrap_or_default();
            value["closure"] = serde_json::to_value(files).unwrap_or_default();
            value
        })
        .collect();
    report::to_json(&Report {
        command: "explain",
        project: &layout.project_dir,
        next_version: layout.next_version().map(|v| v.to_string()),
        findings: &outcome.findings,
        extra: vec![
            ("handlers", serde_json::Value::Array(handlers)),
            (
                "copies",
                serde_json::to_value(&recorded.copies).unwrap_or_default(),
            ),
            ("layout", serde_json::to_value(layout).unwrap_or_default()),
        ],
    })
}

fn human(
    common: &Common,
    layout: &Layout,
    recorded: &Recorded,
    outcome: &CheckOutcome,
    placed: &[Vec<PlacedFile>],
) -> String {
    let project = &layout.project_dir;
    let rel = |p: &Path| display_path(p, project);
    let mut out = String::new();
    let version = layout
        .next_version()
        .map_or("unknown".to_string(), |v| v.to_string());
    let _ = writeln!(out, "project       {}", project.display());
    let _ = writeln!(
        out,
        "next.js       {version} ({} build)",
        layout.bundler.name()
    );
    let _ = writeln!(out, "distDir       {}", layout.dist_dir_name);
    match &layout.standalone {
        Some(s) => {
            let _ = writeln!(
                out,
                "standalone    {} (server.js in {})",
                rel(&s.root),
                rel(&s.server_dir)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "standalone    none (not built with `output: 'standalone'`)"
            );
        }
    }
    let _ = writeln!(out, "tracing root  {}", layout.tracing_root.display());
    let _ = writeln!(
        out,
        "next start    {}",
        if layout.supports_next_start {
            "supported"
        } else {
            "no complete build"
        }
    );

    if let Some(config) = &outcome.config {
        match &config.analysis {
            Some(analysis) => {
                let handlers = recorded.authoritative().map(|c| c.handlers.as_slice());
                out.push('\n');
                out.push_str(&crate::config::explain::render(
                    analysis,
                    handlers,
                    layout.next_version(),
                ));
            }
            None => {
                let _ = writeln!(out, "\nnext.config   none ({:?})", config.discovery);
            }
        }
        if !config.use_cache_kinds.is_empty() {
            let _ = writeln!(
                out,
                "'use cache'   used in the app (kinds: {})",
                config.use_cache_kinds.join(", ")
            );
        }
    }

    let _ = writeln!(out, "\nconfig copies recorded by the build:");
    for copy in &recorded.copies {
        let list: Vec<String> = copy
            .handlers
            .iter()
            .map(|h| format!("{} = {}", h.key, h.value))
            .collect();
        let _ = writeln!(
            out,
            "  {:<52} {}",
            rel(&copy.file),
            if list.is_empty() {
                "(no handlers)".to_string()
            } else {
                list.join(", ")
            }
        );
    }

    if outcome.handlers.is_empty() {
        let _ = writeln!(
            out,
            "\nno cache handler is recorded: Next.js uses its built-in caches"
        );
    }
    for (status, files) in outcome.handlers.iter().zip(placed) {
        let _ = writeln!(out, "\n{} = {}", status.key, status.value);
        if !status.active {
            let _ = writeln!(out, "  not read by Next.js {version} at run time");
            continue;
        }
        if let Some(path) = &status.runtime_path {
            let state = if path.is_file() { "present" } else { "MISSING" };
            let _ = writeln!(out, "  production loads  {} ({state})", rel(path));
        }
        if let Some(source) = &status.source_path {
            let _ = writeln!(out, "  source            {}", rel(source));
        }
        let missing = files.iter().filter(|f| !f.present).count();
        let _ = writeln!(
            out,
            "  closure           {} from the source; {} in the deployable tree ({} traced there), {missing} to copy",
            crate::report::counted(files.len(), "file", "files"),
            files.len() - missing,
            status.deployed_files
        );
        if common.verbose {
            for file in files {
                let dest = match &file.destination {
                    Some(d) => rel(d),
                    None => "(no standalone output)".to_string(),
                };
                let mark = if file.present { "ok" } else { "to copy" };
                let _ = writeln!(
                    out,
                    "    {:<44} -> {dest} [{:?}, {mark}]",
                    rel(&file.source),
                    file.reason
                );
            }
        }
    }
    out.push('\n');
    let report = Report {
        command: "explain",
        project,
        next_version: layout.next_version().map(|v| v.to_string()),
        findings: &outcome.findings,
        extra: Vec::new(),
    };
    out + &report::to_human(&report, common.color, common.quiet)
}
