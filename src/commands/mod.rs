//! The commands, as library functions: each runs the pipeline stages it needs and returns a
//! rendered report plus the exit code. `main.rs` only parses arguments and prints.

mod explain;
mod fix_config;
mod graft;
pub mod init;

pub use explain::{explain, PlacedFile};
pub use fix_config::{
    fix_config, fix_source, unified_diff, write_atomic, FixConfigOptions, FixResult,
};
pub use graft::{graft, GraftOptions};
pub use init::{init, InitOptions};

use crate::check::{self, CheckOutcome};
use crate::layout::{self, Layout};
use crate::manifest;
use crate::report::{self, Report};
use crate::InputError;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// Options every command takes.
#[derive(Debug, Clone)]
pub struct Common {
    pub project: PathBuf,
    pub dist_dir: Option<String>,
    pub format: Format,
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
    /// `--mode`: how production serves the build (default: as the build suggests).
    pub mode: Option<layout::Deployment>,
    /// `--node`: the Node.js version production runs (default: `engines.node`, else the `node`
    /// that runs the build; `crate::node`).
    pub node: Option<crate::versions::Version>,
}

impl Common {
    /// The project's layout, served as `--mode` says, with the production Node version decided
    /// (`crate::node::decide`).
    pub fn layout(&self) -> Result<layout::Layout, InputError> {
        let _t = crate::timing::span(crate::timing::Phase::Setup);
        let mut layout = layout::discover_as(&self.project, self.dist_dir.as_deref(), self.mode)?;
        layout.node = crate::node::decide(self.node, &layout.project_dir)?;
        Ok(layout)
    }
}

/// What a command produced: text for stdout and the process exit code (0 or 1; exit code 2
/// is an `InputError`).
pub struct Outcome {
    pub stdout: String,
    pub exit_code: i32,
}

fn exit_code(errors: usize) -> i32 {
    if errors == 0 {
        0
    } else {
        1
    }
}

/// `next-graft check`: analyze and verify; writes nothing.
pub fn check(common: &Common) -> Result<Outcome, InputError> {
    let layout = common.layout()?;
    // Never read a tree that a graft is writing: wait for it (shared with other checks).
    let _lock = crate::apply::lock_shared(&layout.dist_dir)?;
    let recorded = if layout.has_build() {
        let _t = crate::timing::span(crate::timing::Phase::Setup);
        Some(manifest::read(&layout)?)
    } else {
        None
    };
    // Edges an earlier graft stored spare this check SWC's parse of the same texts.
    crate::trace::store::load(&layout.dist_dir);
    let mut outcome = check::verify(&layout, recorded.as_ref())?;
    outcome
        .findings
        .extend(init::postbuild_findings(&layout.project_dir));
    crate::findings::attach_source_lines(&mut outcome.findings);
    let stdout = render("check", common, &layout, &outcome);
    Ok(Outcome {
        stdout,
        exit_code: exit_code(outcome.errors()),
    })
}

fn render(command: &str, common: &Common, layout: &Layout, outcome: &CheckOutcome) -> String {
    let report = Report {
        command,
        project: &layout.project_dir,
        next_version: layout.next_version().map(|v| v.to_string()),
        findings: &outcome.findings,
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
                "config",
                serde_json::to_value(&outcome.config).unwrap_or_default(),
            ),
        ],
    };
    match common.format {
        Format::Json => report::to_json(&report),
        Format::Human => {
            let mut text = String::new();
            if common.verbose {
                for h in &outcome.handlers {
                    let place = h
                        .runtime_path
                        .as_ref()
                        .map(|p| report::display_path(p, &layout.project_dir))
                        .unwrap_or_else(|| "-".into());
                    text.push_str(&format!(
                        "handler {} = {} -> {} ({} files deployed, {} in source)\n",
                        h.key, h.value, place, h.deployed_files, h.source_files
                    ));
                }
            }
            text + &with_node_line(
                report::to_human(&report, common.color, common.quiet),
                common,
                layout,
            )
        }
    }
}

/// `human` (findings, then the verdict line) with the line that says which Node.js the verdict
/// is for just above the verdict (not with `--quiet`).
pub(crate) fn with_node_line(human: String, common: &Common, layout: &Layout) -> String {
    // Only when known without running node (a finding that depended on it asked already).
    let Some(node) = layout.node.answered() else {
        return human;
    };
    if common.quiet || human.is_empty() {
        return human;
    }
    let line = format!("production runs {}\n", node.describe());
    let body = human.strip_suffix('\n').unwrap_or(&human);
    let at = body.rfind('\n').map_or(0, |i| i + 1);
    format!("{}{line}{}", &human[..at], &human[at..])
}

/// `next-graft smoke`: run the moved server with probes around each handler.
pub fn smoke(common: &Common, options: &crate::smoke::SmokeOptions) -> Result<Outcome, InputError> {
    let layout = common.layout()?;
    let recorded = manifest::read(&layout)?;
    let result = crate::smoke::run(&layout, &recorded, options)?;
    let report = Report {
        command: "smoke",
        project: &layout.project_dir,
        next_version: layout.next_version().map(|v| v.to_string()),
        findings: &result.findings,
        extra: vec![("smoke", serde_json::to_value(&result).unwrap_or_default())],
    };
    let errors = report::summarize(&result.findings).errors;
    let stdout = match common.format {
        Format::Json => report::to_json(&report),
        Format::Human => {
            crate::smoke::render_human(&result)
                + &report::to_human(&report, common.color, common.quiet)
        }
    };
    Ok(Outcome {
        stdout,
        exit_code: exit_code(errors),
    })
}
