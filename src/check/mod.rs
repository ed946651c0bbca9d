//! `check` (verify): decides, from inside the deployable tree, whether production will load each
//! recorded handler. Reads only; the result is plain data for `report`.
//!
//! For a standalone build the tree is `.next/standalone` as if moved to `/app`: each handler is
//! resolved from the server's distDir the way Next does (`join(distDir, value)`), and its closure
//! is traced with the standalone root as a boundary, so a dependency that only resolves thanks to
//! the build machine's `node_modules` counts as missing. A second trace, from the handler's source
//! in the project, tells a missing dependency (graft can copy it) from one that cannot be resolved
//! at all, and finds files outside the tracing root.

mod interface;
pub mod typescript;

use crate::findings::{Finding, Location, Severity, Slug};
use crate::layout::{is_within, normalize, Deployment, Layout};
use crate::manifest::{ConfigCopy, CopyKind, Recorded, RecordedHandler};
use crate::trace::{Closure, EdgeProblem, EdgeProblemKind, TraceOptions, Tracer};
use crate::versions::{facts, node_facts, Fact, NodeFact, NodeFacts, VersionFacts};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use interface::{module_shape, ModuleShape};

/// How one recorded handler fares.
#[derive(Debug, Clone, Serialize)]
pub struct HandlerStatus {
    pub key: String,
    pub kind: String,
    pub value: String,
    /// Whether this Next version reads this key at run time.
    pub active: bool,
    /// Where the production server loads it from (standalone: inside the tree).
    pub runtime_path: Option<PathBuf>,
    /// The handler's source in the project, when it exists.
    pub source_path: Option<PathBuf>,
    /// Files of the closure as traced in the deployable tree.
    pub deployed_files: usize,
    /// Files of the closure as traced from the source.
    pub source_files: usize,
    /// The source closure itself, for `explain` and `plan`.
    #[serde(skip)]
    pub source_closure: Option<Closure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    pub handlers: Vec<HandlerStatus>,
    pub findings: Vec<Finding>,
    /// What next.config says (set by `verify`; `None` from `check` alone).
    #[serde(skip)]
    pub config: Option<crate::config::ConfigCheck>,
}

/// The full verdict for the commands: what the build recorded (`check`), reconciled with what
/// next.config meant (`config::check_config`). Without build output (`recorded` is `None`) only
/// next.config is checked, which is useful before `next build`; with neither, there is nothing
/// to check (exit 2). A config that cannot be parsed is an `InputError` (exit 2).
pub fn verify(
    layout: &Layout,
    recorded: Option<&Recorded>,
) -> Result<CheckOutcome, crate::InputError> {
    verify_reusing(layout, recorded, &[])
}

/// `verify`, taking the source closures in `traced` (the handler's source path, and its closure
/// as `check` traced it) instead of tracing them again. For graft's check after apply: apply
/// writes only inside the distDir, so closures with no file there are still what they were.
pub fn verify_reusing(
    layout: &Layout,
    recorded: Option<&Recorded>,
    traced: &[(PathBuf, Closure)],
) -> Result<CheckOutcome, crate::InputError> {
    let recorded_handlers = recorded
        .and_then(Recorded::authoritative)
        .map(|c| c.handlers.as_slice());
    let config = {
        let _t = crate::timing::span(crate::timing::Phase::Config);
        crate::config::check_config(layout, recorded_handlers)?
    };
    if recorded.is_none() && config.analysis.is_none() {
        return Err(crate::InputError::new(format!(
            "{}: no build output (required-server-files.json not found) and no next.config; run `next build` first",
            layout.dist_dir.display()
        )));
    }
    let mut outcome = match recorded {
        Some(recorded) => check_reusing(layout, recorded, traced),
        None => CheckOutcome {
            handlers: Vec::new(),
            findings: before_build(layout, config.analysis.as_ref()),
            config: None,
        },
    };
    outcome.findings.extend(config.findings.iter().cloned());
    sort_findings(&mut outcome.findings);
    outcome.config = Some(config);
    Ok(outcome)
}

/// Before a build (or after one that failed before writing its manifest): the handler files
/// next.config names, judged for the production Node as `check_handler` judges recorded ones:
/// TypeScript the production Node cannot run (a failed `next build` on Node 24 stops on exactly
/// that), and ES modules on require()-only Next lines.
fn before_build(layout: &Layout, analysis: Option<&crate::config::ConfigAnalysis>) -> Vec<Finding> {
    let Some(analysis) = analysis else {
        return Vec::new();
    };
    let version_facts = layout.next_version().map(facts);
    let mut checker = Checker::new(layout, version_facts, &[]);
    let mut seen = BTreeSet::new();
    for r in &analysis.refs {
        if !crate::versions::reads_key(&r.key_name, version_facts) {
            continue;
        }
        for file in r.candidates.iter().filter_map(|c| c.resolved.as_ref()) {
            if !file.is_file() || !seen.insert((r.key_name.clone(), file.clone())) {
                continue;
            }
            let closure = checker.source_tracer.trace(std::slice::from_ref(file));
            checker.check_typescript(&r.key_name, file, Some(&closure));
            checker.check_esm_required(&r.key_name, file);
        }
    }
    checker.findings
}

fn check_reusing(
    layout: &Layout,
    recorded: &Recorded,
    traced: &[(PathBuf, Closure)],
) -> CheckOutcome {
    let mut findings = Vec::new();
    let version_facts = layout.next_version().map(facts);
    if let Some(f) = &version_facts {
        if !f.is_supported() {
            findings.push(
                Finding::warning(
                    Slug::UnsupportedVersion,
                    format!(
                        "Next.js {} is older than 13.4, which has no custom cache handlers",
                        f.version
                    ),
                )
                .with_help("upgrade Next.js; next-graft supports 13.4 to 16.4"),
            );
        } else if f.is_newer_than_checked() {
            findings.push(Finding::note(
                Slug::UnsupportedVersion,
                format!("Next.js {} is newer than the versions next-graft was checked against (up to 16.4); results may be incomplete", f.version),
            ));
        }
    }

    let Some(authoritative) = recorded.authoritative() else {
        return CheckOutcome {
            handlers: Vec::new(),
            findings,
            config: None,
        };
    };
    let mut checker = Checker::new(layout, version_facts, traced);
    let mut handlers = Vec::new();
    for handler in &authoritative.handlers {
        let mut status = checker.check_handler(authoritative, handler);
        status.source_files = status.source_closure.as_ref().map_or(0, |c| c.files.len());
        handlers.push(status);
    }
    checker.check_preload_bug(authoritative);
    findings.extend(copies_disagree(recorded));
    findings.append(&mut checker.findings);
    sort_findings(&mut findings);
    CheckOutcome {
        handlers,
        findings,
        config: None,
    }
}

pub fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (
            a.severity,
            a.handler.as_deref(),
            a.slug,
            &a.location,
            &a.message,
        )
            .cmp(&(
                b.severity,
                b.handler.as_deref(),
                b.slug,
                &b.location,
                &b.message,
            ))
    });
    findings.dedup();
    merge_shared(findings);
}

/// A problem in a module that several handlers share is one finding: keep the first and name
/// the other handlers in a note.
fn merge_shared(findings: &mut Vec<Finding>) {
    let mut merged: Vec<Finding> = Vec::with_capacity(findings.len());
    for finding in findings.drain(..) {
        let same = merged.iter_mut().find(|m| {
            m.slug == finding.slug
                && m.location == finding.location
                && m.message == finding.message
                && m.handler != finding.handler
        });
        match (same, &finding.handler) {
            (Some(first), Some(other)) => first
                .notes
                .push(format!("also in the closure of `{other}`")),
            _ => merged.push(finding),
        }
    }
    *findings = merged;
}

struct Checker<'a> {
    layout: &'a Layout,
    /// Source closures already traced (see `verify_reusing`).
    traced: &'a [(PathBuf, Closure)],
    facts: Option<VersionFacts>,
    deployed_tracer: Option<Tracer>,
    source_tracer: Tracer,
    findings: Vec<Finding>,
}

impl<'a> Checker<'a> {
    fn new(
        layout: &'a Layout,
        facts: Option<VersionFacts>,
        traced: &'a [(PathBuf, Closure)],
    ) -> Self {
        let deployed_tracer = layout.standalone.as_ref().map(|s| {
            Tracer::new(TraceOptions {
                boundary: Some(s.root.clone()),
                cwd: Some(s.server_dir.clone()),
            })
        });
        let source_tracer = Tracer::new(TraceOptions {
            boundary: None,
            cwd: Some(layout.project_dir.clone()),
        });
        Self {
            layout,
            traced,
            facts,
            deployed_tracer,
            source_tracer,
            findings: Vec::new(),
        }
    }

    fn has(&self, fact: Fact) -> bool {
        self.facts.is_some_and(|f| f.has(fact))
    }

    /// Whether this Next version reads `key` at run time; reports keys it ignores.
    fn is_active(&mut self, handler: &RecordedHandler) -> bool {
        let key = handler.key.as_str();
        let Some(facts) = self.facts else { return true };
        if crate::versions::reads_key(key, Some(facts)) {
            return true;
        }
        // Not read: say why where the user can act on it.
        if key == "experimental.incrementalCacheHandlerPath" {
            self.findings.push(
                Finding::error(
                    Slug::LegacyKeyIgnored,
                    format!("`experimental.incrementalCacheHandlerPath` is ignored by Next.js {}: production uses the default cache", facts.version),
                )
                .for_handler(key)
                .with_help("rename the key to `cacheHandler` in next.config (`next-graft fix-config`); `next-graft` fixes the standalone config")
                .with_note(format!("recorded value: {}", handler.value)),
            );
        } else if let Some(kind) = key.strip_prefix("experimental.cacheHandlers.") {
            // 16.x copies it to the top level and keeps the (absolute) original: unused, fine.
            if !facts.has(Fact::TopLevelCacheHandlers) {
                self.findings.push(
                    Finding::error(
                        Slug::WrongKeyForVersion,
                        format!(
                            "`experimental.cacheHandlers.{kind}` is not read by Next.js {}",
                            facts.version
                        ),
                    )
                    .for_handler(key)
                    .with_help("`'use cache'` handlers need Next.js 15 or later"),
                );
            }
        } else if let Some(kind) = key.strip_prefix("cacheHandlers.") {
            let help = if facts.has(Fact::ExperimentalCacheHandlers) {
                "move it under `experimental.cacheHandlers` (`next-graft fix-config`)"
            } else {
                "`'use cache'` handlers need Next.js 15 or later"
            };
            self.findings.push(
                Finding::error(
                    Slug::WrongKeyForVersion,
                    format!("top-level `cacheHandlers.{kind}` is not read by Next.js {}: the build neither traced nor used it", facts.version),
                )
                .for_handler(key)
                .with_help(help),
            );
        }
        false
    }

    fn check_handler(&mut self, copy: &ConfigCopy, handler: &RecordedHandler) -> HandlerStatus {
        let mut status = HandlerStatus {
            key: handler.key.clone(),
            kind: handler.kind().to_string(),
            value: handler.value.clone(),
            active: true,
            runtime_path: None,
            source_path: None,
            deployed_files: 0,
            source_files: 0,
            source_closure: None,
        };
        if !self.is_active(handler) {
            status.active = false;
            return status;
        }
        let key = handler.key.clone();
        let copy_location = Location::file(&copy.file);
        let mut value = handler.value.clone();
        if let Some(path) = value.strip_prefix("file://") {
            if !self.has(Fact::FileUrlHandlers) {
                self.findings.push(
                    Finding::error(Slug::FileUrlUnsupported, format!("`{key}` is a `file://` URL, which this Next.js version cannot load"))
                        .for_handler(&key)
                        .at(copy_location.clone())
                        .with_help("use `fileURLToPath(import.meta.resolve(…))` in next.config (`next-graft fix-config`), or upgrade to Next.js 16.3+"),
                );
            }
            value = path.to_string();
        }

        let dist_dir = self.runtime_dist_dir(copy);
        if Path::new(&value).is_absolute() {
            self.findings.push(
                Finding::error(
                    Slug::AbsoluteBuildPath,
                    format!("`{key}` is an absolute build-machine path: {value}"),
                )
                .for_handler(&key)
                .at(copy_location.clone())
                .with_help(
                    "run `next-graft` to copy the handler into the tree and record a relative path",
                ),
            );
            status.source_path = Path::new(&value).is_file().then(|| PathBuf::from(&value));
            if let Some(source) = status.source_path.clone() {
                status.source_closure = Some(self.check_source_closure(&key, &source, None));
            }
            return status;
        }

        let runtime_path = normalize(&dist_dir.join(&value));
        status.runtime_path = Some(runtime_path.clone());
        // The handler's source: the same value against the project's distDir.
        let source_path = normalize(&self.layout.dist_dir.join(&value));
        let source_exists = source_path.is_file();
        let verifiable = self.deployed_tracer.is_some()
            && self
                .layout
                .standalone
                .as_ref()
                .is_some_and(|s| is_within(&runtime_path, &s.root))
            && runtime_path.is_file();
        let (source_closure, deployed) = self.trace_pair(
            source_exists.then_some(source_path.as_path()),
            verifiable.then_some(runtime_path.as_path()),
        );
        if source_exists {
            status.source_path = Some(source_path.clone());
            status.source_closure =
                Some(self.check_source_closure(&key, &source_path, source_closure));
        }

        if let Some(standalone) = &self.layout.standalone {
            if !is_within(&runtime_path, &standalone.root) {
                self.findings.push(
                    Finding::error(
                        Slug::OutsideTracingRoot,
                        format!("`{key}` points outside the standalone tree: {value} resolves to {}", runtime_path.display()),
                    )
                    .for_handler(&key)
                    .at(copy_location)
                    .with_help("run `next-graft` to relocate the handler inside the tree and rewrite the path"),
                );
                return status;
            }
        }
        if !runtime_path.is_file() {
            let mut finding = Finding::error(
                Slug::HandlerMissing,
                format!(
                    "the `{key}` handler is not in the deployable tree: {} does not exist",
                    runtime_path.display()
                ),
            )
            .for_handler(&key)
            .at(copy_location);
            finding = if status.source_path.is_some() {
                finding
                    .with_help("run `next-graft` to copy it (and its dependencies) into the tree")
            } else {
                finding.with_help(format!("the source {} does not exist either: fix the handler path in next.config and rebuild", source_path.display()))
            };
            self.findings.push(finding);
            return status;
        }
        let _t = crate::timing::span(crate::timing::Phase::Verify);
        self.check_interface(&key, handler.kind(), &runtime_path);
        let mut deployed_closure = None;
        if let Some(closure) = deployed {
            status.deployed_files = closure.files.len();
            self.report_deployed_problems(&key, &closure);
            // The tree holds the whole closure (e.g. relocated by graft): files outside the
            // tracing root in the source are then no deployment problem.
            let complete = !closure.problems.iter().any(|p| {
                matches!(
                    p.kind,
                    EdgeProblemKind::OutsideBoundary | EdgeProblemKind::Unresolvable
                )
            });
            if complete {
                self.findings.retain(|f| {
                    !(f.slug == Slug::OutsideTracingRoot && f.handler.as_deref() == Some(&key))
                });
            }
            deployed_closure = Some(closure);
        }
        // The TypeScript production loads: the deployed closure, else (next start) the source's.
        let closure = deployed_closure.as_ref().or(status.source_closure.as_ref());
        self.check_typescript(&key, &runtime_path, closure);
        self.check_esm_required(&key, &runtime_path);
        status
    }

    /// The distDir the production server resolves handler values against.
    fn runtime_dist_dir(&self, copy: &ConfigCopy) -> PathBuf {
        match (&self.layout.standalone, copy.kind) {
            (Some(standalone), CopyKind::ServerJs | CopyKind::StandaloneJson) => {
                let recorded = copy
                    .dist_dir
                    .as_deref()
                    .unwrap_or(&self.layout.dist_dir_name);
                normalize(&standalone.server_dir.join(recorded))
            }
            _ => self.layout.dist_dir.clone(),
        }
    }

    /// The source closure of `source` (unless `traced` has it) and the closure of `deployed`
    /// inside the tree, each traced by a worker per core.
    ///
    /// When the edge store offered results (`parse_cache::has_stored`), the two traces run side
    /// by side: with little left to parse, each trace is short and leaves a core idle at its
    /// start and end, which the other fills (check after graft on realistic: 43 → 36 ms, large:
    /// 159 → 129 ms, docs/performance.md). Without a store they run one after the other: one big
    /// bundled file being parsed stalls a trace, and side by side that was slower on the large
    /// closure (283 → 317 ms in round 2; 296 → 311 ms again with this code).
    fn trace_pair(
        &self,
        source: Option<&Path>,
        deployed: Option<&Path>,
    ) -> (Option<Closure>, Option<Closure>) {
        use crate::timing::{span, Phase};
        let source = source.filter(|s| !self.traced.iter().any(|(path, _)| path == s));
        if crate::trace::store::offered_results() {
            if let (Some(s), Some(d), Some(tree)) = (source, deployed, &self.deployed_tracer) {
                // One span for both: they share the process's CPU clock.
                let _t = span(Phase::Trace);
                return std::thread::scope(|scope| {
                    let deployed = scope.spawn(|| tree.trace(&[d.to_path_buf()]));
                    let source = self.source_tracer.trace(&[s.to_path_buf()]);
                    // A trace catches its workers' panics; should the thread itself fail,
                    // trace the tree here instead.
                    let deployed = deployed
                        .join()
                        .unwrap_or_else(|_| tree.trace(&[d.to_path_buf()]));
                    (Some(source), Some(deployed))
                });
            }
        }
        let source = source.map(|s| {
            let _t = span(Phase::Trace);
            self.source_tracer.trace(&[s.to_path_buf()])
        });
        let deployed = deployed.and_then(|d| {
            let _t = span(Phase::Verify);
            Some(self.deployed_tracer.as_ref()?.trace(&[d.to_path_buf()]))
        });
        (source, deployed)
    }

    /// The findings of the handler's source closure (unresolvable edges, files outside the
    /// tracing root): `traced` when the caller just traced it, else the one `self.traced` holds,
    /// else traced now.
    fn check_source_closure(
        &mut self,
        key: &str,
        source: &Path,
        traced: Option<Closure>,
    ) -> Closure {
        let closure = match traced {
            Some(closure) => closure,
            None => match self.traced.iter().find(|(path, _)| path == source) {
                Some((_, closure)) => closure.clone(),
                None => {
                    let _t = crate::timing::span(crate::timing::Phase::Trace);
                    self.source_tracer.trace(&[source.to_path_buf()])
                }
            },
        };
        let root = &self.layout.tracing_root;
        for problem in &closure.problems {
            match problem.kind {
                EdgeProblemKind::Unresolvable | EdgeProblemKind::EsmExtensionless => {
                    self.findings.push(unresolvable(key, problem));
                }
                // No Node maps `./x.js` to `x.ts`, or probes `./x` to `x.ts`: these fail on
                // every version, with or without type stripping.
                EdgeProblemKind::TsSourceAlias | EdgeProblemKind::TsExtensionProbed => {
                    let written = if problem.kind == EdgeProblemKind::TsSourceAlias {
                        "names a JavaScript file that does not exist"
                    } else {
                        "names no file extension"
                    };
                    let target = problem
                        .target
                        .as_ref()
                        .and_then(|t| t.file_name())
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                    self.findings.push(
                        Finding::error(Slug::DependencyUnresolvable, format!("`{}` {written}: only the TypeScript file {target} exists, and no Node version resolves a specifier to a TypeScript file", problem.specifier))
                            .for_handler(key)
                            .at(problem_location(problem))
                            .with_help(format!("import it by its own name (`…/{target}`), which Node {} and later load with type stripping; or compile the handler to JavaScript", NodeFacts::first_releases(NodeFact::StripTypes))),
                    );
                }
                EdgeProblemKind::Dynamic => self.findings.push(
                    Finding::warning(Slug::DynamicDependency, format!("a dynamic dependency cannot be traced: {}", problem.detail))
                        .for_handler(key)
                        .at(problem_location(problem))
                        .with_help("use a static specifier, or make sure the module is copied into the tree by other means"),
                ),
                _ => {}
            }
        }
        let outside: Vec<&PathBuf> = closure
            .files
            .keys()
            .filter(|f| !is_within(f, root))
            .collect();
        if let Some(first) = outside.first() {
            let mut finding = Finding::error(
                Slug::OutsideTracingRoot,
                format!("{} of the `{key}` closure {} outside the tracing root {}", crate::report::counted(outside.len(), "file", "files"), if outside.len() == 1 { "lies" } else { "lie" }, root.display()),
            )
            .for_handler(key)
            .at(Location::file(*first))
            .with_help("run `next-graft` to relocate them inside the standalone tree, or set `outputFileTracingRoot` to a common parent");
            for file in outside.iter().take(5) {
                finding = finding.with_note(format!("outside: {}", file.display()));
            }
            self.findings.push(finding);
        }
        closure
    }

    fn report_deployed_problems(&mut self, key: &str, closure: &Closure) {
        let Some(standalone) = &self.layout.standalone else {
            return;
        };
        for problem in &closure.problems {
            let missing = match problem.kind {
                EdgeProblemKind::OutsideBoundary | EdgeProblemKind::Unresolvable => true,
                EdgeProblemKind::EsmExtensionless | EdgeProblemKind::EntryMissing => false,
                EdgeProblemKind::ParseError => {
                    self.findings.push(
                        Finding::warning(
                            Slug::DependencyUnresolvable,
                            format!("cannot parse: {}", problem.detail),
                        )
                        .for_handler(key)
                        .at(problem_location(problem)),
                    );
                    false
                }
                _ => false,
            };
            if !missing {
                continue;
            }
            // Already reported as unresolvable from the source? Then it is not a copy problem.
            let source_from = self.layout.tracing_root.join(
                problem
                    .from
                    .strip_prefix(&standalone.root)
                    .unwrap_or(&problem.from),
            );
            if self.is_unresolvable_in_source(&source_from, &problem.specifier) {
                continue;
            }
            let message = format!(
                "`{}` (imported by the `{key}` handler's closure) is not in the deployable tree",
                problem.specifier
            );
            let mut finding = if problem.optional {
                Finding::warning(Slug::DependencyMissing, message).with_note(
                    "the import is inside try/catch: the code runs without it, but differently",
                )
            } else {
                Finding::error(Slug::DependencyMissing, message)
            };
            finding = finding
                .for_handler(key)
                .at(problem_location(problem))
                .with_help("run `next-graft` to copy the handler's dependencies into the tree");
            if let Some(target) = &problem.target {
                finding = finding.with_note(format!(
                    "it resolves only outside the tree, to {}",
                    target.display()
                ));
            }
            self.findings.push(finding);
        }
    }

    fn is_unresolvable_in_source(&self, from: &Path, specifier: &str) -> bool {
        self.findings.iter().any(|f| {
            f.slug == Slug::DependencyUnresolvable
                && f.location.as_ref().is_some_and(|l| l.file == from)
                && f.message.contains(&format!("`{specifier}`"))
        })
    }

    /// TypeScript in the handler's closure, judged for the production Node version
    /// (`Layout::node`): Node without type stripping cannot load it at all; Node with it loads
    /// erasable syntax only, never `.tsx`, never under `node_modules`.
    fn check_typescript(&mut self, key: &str, handler: &Path, closure: Option<&Closure>) {
        let mut files: Vec<PathBuf> = closure
            .map(|c| {
                c.files
                    .keys()
                    .filter(|f| is_typescript(f))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if is_typescript(handler) && !files.iter().any(|f| f == handler) {
            files.insert(0, handler.to_path_buf());
        }
        if files.is_empty() {
            return;
        }
        // Name the handler itself when it is TypeScript, else the first TypeScript file it loads.
        let handler_is_ts = is_typescript(handler);
        let first = if handler_is_ts {
            handler.to_path_buf()
        } else {
            files[0].clone()
        };
        let what = if handler_is_ts {
            format!("the `{key}` handler is TypeScript")
        } else {
            format!(
                "the `{key}` handler loads TypeScript ({})",
                first
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            )
        };
        let node = self.layout.node.answer();
        let stripping = NodeFacts::first_releases(NodeFact::StripTypes);
        let Some(version) = node.version else {
            self.findings.push(
                Finding::error(Slug::TypescriptHandler, format!("{what}, and the production Node version is unknown: only Node {stripping} and later strip types, and Next.js does not compile handlers"))
                    .for_handler(key)
                    .at(Location::file(&first))
                    .with_note(node.describe())
                    .with_help(format!("say which Node production runs (`--node 24`, or `engines.node` in package.json); on a Node older than {stripping}, compile the handler to JavaScript (.js/.mjs)")),
            );
            return;
        };
        if !node_facts(version).has(NodeFact::StripTypes) {
            self.findings.push(
                Finding::error(Slug::TypescriptHandler, format!("{what}, which Next.js does not compile and Node {version} cannot load: Node strips types from {stripping} on"))
                    .for_handler(key)
                    .at(Location::file(&first))
                    .with_note(format!("production runs {}", node.describe()))
                    .with_help(format!("compile the handler to JavaScript (.js/.mjs) and point the config at the output, or run production on Node {stripping} or later (and say so in `engines.node`)")),
            );
            return;
        }
        let before = self.findings.len();
        for file in &files {
            self.check_strippable(key, version, file);
        }
        if self.findings.len() == before {
            self.findings.push(
                Finding::note(Slug::TypescriptHandler, format!("{what}; Node {version} strips its types (erasable syntax only, explicit `.ts` specifiers)"))
                    .for_handler(key)
                    .at(Location::file(&first))
                    .with_note(format!("production runs {}", node.describe())),
            );
        }
    }

    /// Next 13.4–14.0 load handlers with `require()` (`Fact::HandlersCjsOnly`): an ES module
    /// loads only on a Node with `require(esm)` (`NodeFact::RequireEsm`).
    fn check_esm_required(&mut self, key: &str, handler: &Path) {
        let Some(next) = self.facts.filter(|f| f.has(Fact::HandlersCjsOnly)) else {
            return;
        };
        if !crate::trace::is_es_module(handler) {
            return;
        }
        let node = self.layout.node.answer();
        let versions = NodeFacts::first_releases(NodeFact::RequireEsm);
        let message = format!(
            "Next.js {} loads the `{key}` handler with require(), and it is an ES module",
            next.version
        );
        let upgrade = VersionFacts::ends_at(Fact::HandlersCjsOnly).map_or_else(String::new, |v| {
            format!(", upgrade Next.js to {v} or later (which uses import())")
        });
        let help = format!("make the handler CommonJS (`module.exports`, or a .cjs file){upgrade}, or run production on Node {versions} or later (and say so in `engines.node`)");
        let finding = match node.version {
            Some(v) if node_facts(v).has(NodeFact::RequireEsm) => Finding::note(
                Slug::EsmHandlerRequired,
                format!("{message}: Node {v} can require() it"),
            ),
            Some(v) => Finding::error(
                Slug::EsmHandlerRequired,
                format!("{message}, which Node {v} cannot require() (ERR_REQUIRE_ESM): require(esm) needs Node {versions} or later"),
            )
            .with_help(help),
            None => Finding::warning(
                Slug::EsmHandlerRequired,
                format!("{message}, and the production Node version is unknown: only Node {versions} and later can require() an ES module"),
            )
            .with_help(help),
        };
        self.findings.push(
            finding
                .for_handler(key)
                .at(Location::file(handler))
                .with_note(format!("production runs {}", node.describe())),
        );
    }

    /// One TypeScript file under a Node that strips types: what it refuses, with positions.
    fn check_strippable(&mut self, key: &str, version: crate::versions::Version, file: &Path) {
        let error =
            |message: String| Finding::error(Slug::TypescriptHandler, message).for_handler(key);
        if file.extension().is_some_and(|e| e == "tsx") {
            self.findings.push(
                error(format!("Node {version} does not load `.tsx` files: type stripping covers .ts, .mts and .cts only"))
                    .at(Location::file(file))
                    .with_help("rename it to .ts (no JSX), or compile the handler to JavaScript"),
            );
            return;
        }
        if file.components().any(|c| c.as_os_str() == "node_modules") {
            self.findings.push(
                error(format!("Node {version} does not strip types of files under node_modules (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING)"))
                    .at(Location::file(file))
                    .with_help("depend on the package's compiled JavaScript, or compile the handler"),
            );
            return;
        }
        let Ok(text) = std::fs::read_to_string(file) else {
            return;
        };
        // A file that does not parse is reported by the trace.
        let Ok(found) = typescript::non_erasable(file, &text) else {
            return;
        };
        for n in found {
            self.findings.push(
                error(format!("{} cannot be run by Node {version}: its type stripping removes types only (ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX)", n.construct))
                    .at(Location::at(file, n.line, n.column))
                    .with_help("use erasable syntax only (TypeScript's `erasableSyntaxOnly` option lists every such place), or compile the handler to JavaScript"),
            );
        }
    }

    fn check_interface(&mut self, key: &str, kind: &str, path: &Path) {
        let Some(facts) = self.facts else { return };
        let shape = match std::fs::read_to_string(path) {
            Ok(text) => module_shape(path, &text),
            Err(_) => return,
        };
        let location = Location::file(path);
        let (expected_class, method_sets): (bool, Vec<&[&str]>) = if kind == "isr" {
            (true, vec![facts.isr_methods()])
        } else {
            (false, facts.use_cache_method_sets())
        };
        let mismatch = |message: String| {
            Finding::error(Slug::InterfaceMismatch, message)
                .for_handler(key)
                .at(location.clone())
        };
        match shape {
            ModuleShape::Unknown(why) => self.findings.push(
                Finding::note(Slug::InterfaceUncheckable, format!("the `{key}` handler's shape is built at run time ({why}); its interface was not checked"))
                    .for_handler(key)
                    .at(location.clone()),
            ),
            ModuleShape::NoDefault => self.findings.push(
                mismatch(format!("the `{key}` handler has no default export (`module.exports =` or `export default`); named exports alone are not loaded"))
                    .with_help("export the handler as the module's default"),
            ),
            ModuleShape::Class { methods, extends } => {
                if !expected_class {
                    self.findings.push(
                        mismatch(format!("the `{key}` handler exports a class; `'use cache'` handlers must be plain objects (Next uses the export as is)"))
                            .with_help("export an object (`export default { get, set, … }`) or an instance (`new MyHandler()`)"),
                    );
                } else if !extends {
                    self.report_missing_methods(key, &location, &methods, &method_sets);
                }
            }
            ModuleShape::Object { methods, complete } => {
                if expected_class {
                    self.findings.push(
                        mismatch(format!("the `{key}` handler exports an object; Next.js calls `new` on the ISR `cacheHandler`, which needs a class"))
                            .with_help("export a class (`module.exports = class CacheHandler { … }`)"),
                    );
                } else if complete {
                    self.report_missing_methods(key, &location, &methods, &method_sets);
                }
            }
        }
    }

    fn report_missing_methods(
        &mut self,
        key: &str,
        location: &Location,
        methods: &BTreeSet<String>,
        sets: &[&[&str]],
    ) {
        if sets.is_empty()
            || sets
                .iter()
                .any(|set| set.iter().all(|m| methods.contains(*m)))
        {
            return;
        }
        // Name what is missing from the closest accepted shape.
        let missing: Vec<&str> = sets
            .iter()
            .map(|set| {
                set.iter()
                    .copied()
                    .filter(|m| !methods.contains(*m))
                    .collect::<Vec<_>>()
            })
            .min_by_key(Vec::len)
            .unwrap_or_default();
        let version = self
            .facts
            .map(|f| f.version.to_string())
            .unwrap_or_default();
        self.findings.push(
            Finding::error(
                Slug::InterfaceMismatch,
                format!("the `{key}` handler lacks {} that Next.js {version} calls: {}", if missing.len() == 1 { "a method" } else { "methods" }, missing.join(", ")),
            )
            .for_handler(key)
            .at(location.clone())
            .with_help("implement the missing methods (see the cache handler interface of this Next.js version)"),
        );
    }

    fn check_preload_bug(&mut self, copy: &ConfigCopy) {
        if !self.has(Fact::PreloadBug) {
            return;
        }
        let use_cache = copy
            .handlers
            .iter()
            .any(|h| h.key.starts_with("experimental.cacheHandlers."));
        if use_cache && copy.preload_entries_on_start != Some(false) {
            let version = self
                .facts
                .map(|f| f.version.to_string())
                .unwrap_or_default();
            self.findings.push(
                Finding::error(
                    Slug::PreloadBug,
                    format!("Next.js {version} never calls custom `'use cache'` handlers when entries are preloaded on start (#72552)"),
                )
                .for_handler("experimental.cacheHandlers")
                .at(Location::file(&copy.file))
                .with_help(if self.layout.deployment == Some(Deployment::Start) {
                    // `next start` reads next.config again: only the config itself can carry it.
                    "run `next-graft fix-config --write` to set `experimental.preloadEntriesOnStart: false` in next.config, then rebuild; or upgrade to Next.js 15.2+"
                } else {
                    "run `next-graft` to set `experimental.preloadEntriesOnStart: false` in the standalone config, or upgrade to Next.js 15.2+"
                }),
            );
        }
    }
}

fn problem_location(problem: &EdgeProblem) -> Location {
    if problem.line == 0 {
        Location::file(&problem.from)
    } else {
        Location::at(&problem.from, problem.line, problem.column)
    }
}

fn unresolvable(key: &str, problem: &EdgeProblem) -> Finding {
    let message = if problem.kind == EdgeProblemKind::EsmExtensionless {
        format!("`{}` cannot be loaded by Node's ESM loader: relative imports must name the file with its extension", problem.specifier)
    } else {
        format!(
            "`{}` cannot be resolved: {}",
            problem.specifier, problem.detail
        )
    };
    // An edge inside `try { … }` or `import().catch()` is an optional dependency: the code
    // handles its absence (`debug` probing for `supports-color`), so it is not an error.
    let finding = if problem.optional {
        Finding::warning(Slug::DependencyUnresolvable, message).with_note(
            "the import is inside try/catch (or import().catch()): the code handles its absence",
        )
    } else {
        Finding::error(Slug::DependencyUnresolvable, message)
    };
    finding
        .for_handler(key)
        .at(problem_location(problem))
        .with_help(
            if problem.kind == EdgeProblemKind::EsmExtensionless
                && problem.target.as_deref().is_some_and(is_typescript)
            {
                "write the import with its file extension (e.g. './dep.ts')"
            } else if problem.kind == EdgeProblemKind::EsmExtensionless {
                "write the import with its file extension (e.g. './dep.js')"
            } else {
                "install the package (add it to dependencies) or fix the import"
            },
        )
}

/// Copies of the serialized config that the same server reads must name the same handlers.
fn copies_disagree(recorded: &Recorded) -> Vec<Finding> {
    let groups: [&[CopyKind]; 2] = [
        &[CopyKind::ServerJs, CopyKind::StandaloneJson],
        &[CopyKind::ProjectJson, CopyKind::ProjectJs],
    ];
    let mut out = Vec::new();
    for group in groups {
        let copies: Vec<&ConfigCopy> = group.iter().filter_map(|k| recorded.copy(*k)).collect();
        let Some(first) = copies.first() else {
            continue;
        };
        for other in &copies[1..] {
            if other.handlers != first.handlers {
                let describe = |c: &ConfigCopy| {
                    let list: Vec<String> = c
                        .handlers
                        .iter()
                        .map(|h| format!("{}={}", h.key, h.value))
                        .collect();
                    format!(
                        "{}: {}",
                        c.file.display(),
                        if list.is_empty() {
                            "(none)".to_string()
                        } else {
                            list.join(", ")
                        }
                    )
                };
                out.push(
                    Finding::error(
                        Slug::ConfigCopiesDisagree,
                        "copies of the serialized config name different handlers",
                    )
                    .at(Location::file(&other.file))
                    .with_note(describe(first))
                    .with_note(describe(other))
                    .with_help("run `next-graft` to make every copy agree"),
                );
            }
        }
    }
    out
}

impl CheckOutcome {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error && !f.fixed)
            .count()
    }
}

fn is_typescript(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let declaration =
        name.ends_with(".d.ts") || name.ends_with(".d.mts") || name.ends_with(".d.cts");
    !declaration
        && matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("ts" | "mts" | "cts" | "tsx")
        )
}
